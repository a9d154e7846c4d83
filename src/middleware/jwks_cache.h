/* jwks_cache.h — a JSON Web Key Set from a file or URL, kept fresh by a
 * refresher thread of its own, so no request ever waits for a fetch: it
 * fetches at start, before the set grows old, and soon after a token names
 * a kid the set lacks (a few times a minute at most, however many made-up
 * kids arrive). A fetch that fails keeps the previous keys and lets nobody
 * in with a kid it does not know.
 *
 * Threads: thread-safe; readers take a reference to the current set under
 * a short lock, and a swap never frees a set someone holds. Ownership:
 * jwks_cache_new() / jwks_cache_free(); jwks_current() returns a reference
 * the caller gives back with jwks_release(). Strings passed in are copied.
 * Errors: a failed fetch is logged (the URL without its password). */
#ifndef TVSHOWS_JWKS_CACHE_H
#define TVSHOWS_JWKS_CACHE_H

#include <stdint.h>

#include "middleware/jwt.h"

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
