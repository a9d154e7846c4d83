#include "middleware/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/redis.h"
#include "util/hash.h"

#define SHARDS  16
#define BUCKETS 4096
#define KEY_MAX 96

typedef struct counter {
    struct counter *next;
    uint64_t hash;
    int64_t window; /* index of the window it counts */
    int64_t count;
    size_t klen;
    char key[KEY_MAX];
} counter;

typedef struct shard {
    pthread_mutex_t lock;
    counter *buckets[BUCKETS];
    size_t n;
} shard;

struct ratelimit {
    shard shards[SHARDS];
};

ratelimit *ratelimit_new(void)
{
    ratelimit *rl = calloc(1, sizeof(*rl));

    if (!rl)
        return NULL;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&rl->shards[i].lock, NULL);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < SHARDS; i++) {
        for (int b = 0; b < BUCKETS; b++) {
            counter *c = rl->shards[i].buckets[b], *next;
            for (; c; c = next) {
                next = c->next;
                free(c);
            }
        }
        pthread_mutex_destroy(&rl->shards[i].lock);
    }
    free(rl);
}

/* Drops counters of windows before `window` (or all but this one when the
 * shard is full). */
static void sweep(shard *s, int64_t window)
{
    for (int b = 0; b < BUCKETS; b++) {
        counter **pp = &s->buckets[b];
        while (*pp) {
            counter *c = *pp;
            if (c->window < window) {
                *pp = c->next;
                free(c);
                s->n--;
            } else {
                pp = &c->next;
            }
        }
    }
}

static void fill(rl_result *out, int64_t limit, int64_t count, int64_t window_ms, int64_t now_ms)
{
    int64_t end = (now_ms / window_ms + 1) * window_ms;

    out->limit = limit;
    out->allowed = count <= limit;
    out->remaining = count >= limit ? 0 : limit - count;
    out->reset_s = (end - now_ms + 999) / 1000;
    if (out->reset_s < 1)
        out->reset_s = 1;
}

void ratelimit_take(ratelimit *rl, const char *key, size_t klen, int64_t limit, int64_t window_ms,
                    int64_t now_ms, rl_result *out)
{
    uint64_t h = hash_fnv1a(key, klen);
    shard *s = &rl->shards[(h * 0x9E3779B97F4A7C15ull) >> 60];
    int64_t window = now_ms / window_ms, count = 1;
    counter *c;

    if (klen > KEY_MAX)
        klen = KEY_MAX; /* keys are addresses and key ids: never longer */
    pthread_mutex_lock(&s->lock);
    for (c = s->buckets[h % BUCKETS]; c; c = c->next)
        if (c->hash == h && c->klen == klen && !memcmp(c->key, key, klen))
            break;
    if (c) {
        if (c->window != window) {
            c->window = window;
            c->count = 0;
        }
        count = ++c->count;
    } else {
        if (s->n >= RATELIMIT_MAX_KEYS / SHARDS)
            sweep(s, window);
        if (s->n < RATELIMIT_MAX_KEYS / SHARDS && (c = calloc(1, sizeof(*c)))) {
            c->hash = h;
            c->window = window;
            c->count = 1;
            c->klen = klen;
            memcpy(c->key, key, klen);
            c->next = s->buckets[h % BUCKETS];
            s->buckets[h % BUCKETS] = c;
            s->n++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    fill(out, limit, count, window_ms, now_ms);
}

/* INCR the window's counter and give it a lifetime on first use; both in
 * one script, so no process can see a counter without its expiry. */
static const char take_lua[] =
    "local n = redis.call('INCR', KEYS[1]) "
    "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

int ratelimit_take_redis(redis *r, const char *key, size_t klen, int64_t limit, int64_t window_ms,
                         int64_t now_ms, rl_result *out)
{
    char rkey[160], ttl[24];
    const char *argv[5] = {"EVAL", take_lua, "1", rkey, ttl};
    redisReply *rep;
    int rc = -1;

    snprintf(rkey, sizeof(rkey), "tvshows:rl:%.*s:%lld", (int)(klen > 96 ? 96 : klen), key,
             (long long)(now_ms / window_ms));
    snprintf(ttl, sizeof(ttl), "%lld", (long long)window_ms);
    if (!(rep = redis_command(r, 5, argv, NULL)))
        return -1;
    if (rep->type == REDIS_REPLY_INTEGER) {
        fill(out, limit, rep->integer, window_ms, now_ms);
        rc = 0;
    }
    freeReplyObject(rep);
    return rc;
}
