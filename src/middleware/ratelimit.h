/* ratelimit.h — request budgets in fixed windows (like rack-attack's
 * throttles): at most `limit` requests per key in each window of window_ms,
 * windows aligned to the epoch so every process agrees on them.
 *
 * Two places to count: in process (ratelimit_take), or in Redis, where one
 * budget is shared by every API process (ratelimit_take_redis: one atomic
 * script). When Redis is down the caller counts in process instead.
 * Thread-safe: the in-process table is sharded, one mutex per shard. Memory
 * is bounded at RATELIMIT_MAX_KEYS counters; a full shard evicts its least
 * recently used counter, so every request is always counted: a flood of new
 * (spoofed) clients costs the quietest clients their counts, never turns
 * the limit off. Counters of windows that have ended are dropped as they
 * reach the cold end. */
#ifndef TVSHOWS_RATELIMIT_H
#define TVSHOWS_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_MAX_KEYS 200000
#define RATELIMIT_KEY_MAX  64 /* longer keys are cut (ours are addresses and key ids) */

typedef struct ratelimit ratelimit;
typedef struct redis redis;

typedef struct rl_result {
    int allowed;
    int64_t limit;
    int64_t remaining; /* after this request */
    int64_t reset_s;   /* seconds until the window ends (>= 1) */
} rl_result;

ratelimit *ratelimit_new(void);
void ratelimit_free(ratelimit *rl);
void ratelimit_take(ratelimit *rl, const char *key, size_t klen, int64_t limit, int64_t window_ms,
                    int64_t now_ms, rl_result *out);
/* Counters held now (at most RATELIMIT_MAX_KEYS). */
size_t ratelimit_size(ratelimit *rl);
/* -1 when Redis could not be asked. */
int ratelimit_take_redis(redis *r, const char *key, size_t klen, int64_t limit, int64_t window_ms,
                         int64_t now_ms, rl_result *out);

#endif
