#include "services/lists.h"

#include <stdio.h>
#include <string.h>

#include "middleware/auth.h"
#include "util/json.h"

int lists_new_token(lists_token *out)
{
    char key[64];

    /* an API key's 256 random bits, told apart by the prefix */
    if (auth_new_key(key) != 0)
        return -1;
    snprintf(out->token, sizeof(out->token), "tvf_%.43s", key + 4);
    snprintf(out->prefix, sizeof(out->prefix), "%.*s", LISTS_PREFIX_SHOWN, out->token);
    return hash_sha256_hex(out->token, strlen(out->token), out->sha256);
}

int lists_name_ok(const char *name, size_t n)
{
    size_t chars = 0, blank = 1;

    if (!n || !utf8_valid(name, n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 0;
        chars += ((unsigned char)name[i] & 0xC0) != 0x80;
        blank &= name[i] == ' ';
    }
    return !blank && chars <= LISTS_NAME_MAX;
}
