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
 * jwks: an immutable parsed key set; thread-safe to read.
 * jwks_cache: a key set from a file or URL, kept fresh by a refresher
 * thread of its own, so no request ever waits for a fetch: it fetches at
 * start, before the set grows old, and soon after a token names a kid the
 * set lacks (a few times a minute at most, however many made-up kids
 * arrive). Thread-safe; readers take a reference to the current set under a
 * short lock, and a swap never frees a set someone holds. A fetch that fails
 * keeps the previous keys and lets nobody in with a kid it does not know.
 * Ownership: jwks_current() returns a reference the caller gives back with
 * jwks_release(). Strings passed in are borrowed. */
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

typedef struct jwks_cache jwks_cache;

/* One of url and file (the other NULL or ""). Does not fetch yet. The set
 * is fetched again when it is three quarters of ttl_ms old (so it is never
 * used past its ttl while the source answers); a failed fetch is retried
 * after retry_ms, and so is a fetch for a wanted kid at most. */
jwks_cache *jwks_cache_new(const char *url, const char *file, int64_t ttl_ms, int64_t retry_ms);
/* Stops the refresher (cutting a fetch in flight short) and frees. Every
 * reference from jwks_current() must have been released. */
void jwks_cache_free(jwks_cache *c);
/* Starts the refresher thread, which fetches at once, then whenever
 * jwks_cache_poll() says; waits up to wait_ms for that first fetch to end,
 * so a server starting up has its keys. -1 when no thread can be made. */
int jwks_cache_start(jwks_cache *c, int wait_ms);
/* One step of the refresher at now_ms (a monotonic clock; tests drive it
 * by hand instead of starting the thread): fetches if one is due. 1 when a
 * fetch worked, -1 when one failed (the previous keys stay), 0 when none
 * was due. */
int jwks_cache_poll(jwks_cache *c, int64_t now_ms);
/* The current key set, or NULL when none was ever loaded: never fetches,
 * never waits on the network (a short lock). */
jwks *jwks_current(jwks_cache *c);
void jwks_release(jwks_cache *c, jwks *k);
/* A token named kid and the current set lacks it (keys were rotated, or the
 * kid is made up): asks the refresher for a fetch and returns at once. */
void jwks_cache_want(jwks_cache *c, const char *kid);

#endif
