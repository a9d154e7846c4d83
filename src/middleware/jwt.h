/* jwt.h — RS256 JSON Web Tokens (RFC 7519) verified with OpenSSL against a
 * JSON Web Key Set (RFC 7517), as Amazon Cognito issues them.
 *
 * Only RS256 is accepted: "none", every HS* (key confusion) and any other
 * algorithm are refused, as are tokens over JWT_MAX_LEN bytes, malformed
 * base64url or JSON, a kid not in the key set, a bad signature, exp/nbf out
 * of range (with a leeway), an issuer other than the expected one, a
 * Cognito "token_use" other than "id" or "access" (a refresh token is no
 * credential), and an audience that does not match: "client_id" for access
 * tokens, "aud" for every other token.
 *
 * jwks: an immutable parsed key set; thread-safe to read. Where a key set
 * comes from and how it is kept fresh is jwks_cache.h's.
 * Ownership: jwks_parse() gives the caller the set, freed by jwks_free().
 * Strings passed in are borrowed. */
#ifndef TVSHOWS_JWT_H
#define TVSHOWS_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_MAX_LEN 8192

typedef struct jwks jwks;

/* Parses {"keys":[{"kty":"RSA","kid":…,"n":…,"e":…,"alg"?,"use"?}…]};
 * keys of other types, or marked for another alg or use, are skipped.
 * Returns 0, or -1 with a message in err. */
int jwks_parse(const char *json, size_t n, jwks **out, char *err, size_t errlen);
void jwks_free(jwks *k); /* NULL is fine */
size_t jwks_count(const jwks *k);
int jwks_has_kid(const jwks *k, const char *kid);
/* For a jwks_cache, under its own lock: adds delta to the set's reference
 * count and returns the new count. */
long jwks_refs_add(jwks *k, long delta);

typedef enum {
    JWT_OK = 0,
    JWT_TOO_LARGE,
    JWT_MALFORMED, /* not three base64url parts, bad JSON, bad claims types */
    JWT_BAD_ALG,   /* anything but RS256 */
    JWT_UNKNOWN_KID,
    JWT_BAD_SIGNATURE,
    JWT_EXPIRED,
    JWT_NOT_YET_VALID,
    JWT_BAD_ISSUER,
    JWT_BAD_AUDIENCE,
    JWT_BAD_TOKEN_USE /* Cognito token_use other than "id" or "access" */
} jwt_result;

typedef struct jwt_expect {
    const char *issuer;   /* required "iss"; NULL or "": not checked */
    const char *audience; /* required "aud" / client_id; NULL or "": not checked */
    int64_t now;          /* Unix seconds */
    int leeway_s;         /* allowed clock skew for exp and nbf */
} jwt_expect;

/* Verifies token[0..n). kid (may be NULL) receives the header's kid, so the
 * caller can refetch the key set on JWT_UNKNOWN_KID; subject (may be NULL)
 * receives "sub" (or "client_id"), for logs and rate limits. */
jwt_result jwt_verify(const char *token, size_t n, const jwks *keys, const jwt_expect *e, char *kid,
                      size_t kid_len, char *subject, size_t subject_len);
const char *jwt_result_text(jwt_result r); /* "expired", "bad signature", … */

#endif
