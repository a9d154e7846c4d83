/* lists.h — what the API and the operator's `tvshows lists` share about
 * followed-show lists: their feed tokens and the rules for a name.
 *
 * A feed token is "tvf_" and 43 base64url characters (256 random bits),
 * shown once; the store keeps its SHA-256 and its first characters.
 * Thread-safe (pure, or the system's random source). */
#ifndef TVSHOWS_LISTS_H
#define TVSHOWS_LISTS_H

#include <stddef.h>

#include "util/hash.h"

#define LISTS_NAME_MAX     100 /* characters */
#define LISTS_PER_OWNER    100
#define LISTS_SHOWS_MAX    1000
#define LISTS_TOKEN_LEN    47
#define LISTS_PREFIX_SHOWN 12

typedef struct lists_token {
    char token[LISTS_TOKEN_LEN + 1];
    char sha256[SHA256_HEX_LEN + 1];
    char prefix[LISTS_PREFIX_SHOWN + 1];
} lists_token;

/* A new token; -1 when the system has no randomness to give. */
int lists_new_token(lists_token *out);
/* Whether name[0..n) is a list's name: 1 to 100 characters of UTF-8, no
 * control characters, not only spaces. */
int lists_name_ok(const char *name, size_t n);

#endif
