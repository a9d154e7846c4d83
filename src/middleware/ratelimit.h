/* ratelimit.h — request budgets in fixed windows (like rack-attack's
 * throttles): at most `limit` requests per key in each window of window_ms,
 * windows aligned to the epoch so every process agrees on them.
 *
 * Two places to count: in process (ratelimit_take), or in Redis, where one
 * budget is shared by every API process (ratelimit_take_redis: one atomic
 * script). When Redis is down the caller counts in process instead.
 * Thread-safe: the in-process table is sharded, one mutex per shard; memory
 * is bounded: stale windows are swept, and while a shard holds its share of
 * RATELIMIT_MAX_KEYS live counters a new client is not counted (each of its
 * requests is its first) until a window turns; the WAF's per-IP rule stands
 * in front of that case in production. */
#ifndef TVSHOWS_RATELIMIT_H
#define TVSHOWS_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_MAX_KEYS 200000

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
/* -1 when Redis could not be asked. */
int ratelimit_take_redis(redis *r, const char *key, size_t klen, int64_t limit, int64_t window_ms,
                         int64_t now_ms, rl_result *out);

#endif
