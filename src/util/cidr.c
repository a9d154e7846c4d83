#include "util/cidr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/num.h"

int cidr_addr_parse(const char *s, size_t n, uint8_t out[16])
{
    char tmp[INET6_ADDRSTRLEN + 1];
    struct in_addr v4;

    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, &v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &v4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

static int parse_one(cidr *c, const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    int v4 = memchr(s, ':', alen) == NULL;
    uint64_t prefix = v4 ? 32 : 128;

    if (cidr_addr_parse(s, alen, c->addr) != 0)
        return -1;
    if (slash && num_parse_u64(slash + 1, n - alen - 1, v4 ? 32 : 128, &prefix) != 0)
        return -1;
    c->prefix = (uint8_t)(v4 ? prefix + 96 : prefix);
    return 0;
}

int cidr_list_parse(cidr_list *l, const char *text)
{
    const char *p = text;

    l->items = NULL;
    l->n = 0;
    while (*p) {
        const char *end;
        size_t len;
        cidr *grown;

        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        end = p;
        while (*end && *end != ',')
            end++;
        len = (size_t)(end - p);
        while (len && p[len - 1] == ' ')
            len--;
        if (!(grown = realloc(l->items, (l->n + 1) * sizeof(*grown))))
            goto fail;
        l->items = grown;
        if (parse_one(&l->items[l->n], p, len) != 0)
            goto fail;
        l->n++;
        p = end;
    }
    return 0;
fail:
    cidr_list_free(l);
    return -1;
}

void cidr_list_free(cidr_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int prefix_match(const cidr *c, const uint8_t addr[16])
{
    unsigned bits = c->prefix, full = bits / 8, rest = bits % 8;

    if (memcmp(c->addr, addr, full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((c->addr[full] & mask) != (addr[full] & mask))
            return 0;
    }
    return 1;
}

int cidr_list_contains(const cidr_list *l, const uint8_t addr[16])
{
    for (size_t i = 0; i < l->n; i++)
        if (prefix_match(&l->items[i], addr))
            return 1;
    return 0;
}
