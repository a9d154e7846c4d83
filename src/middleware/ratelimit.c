#include "middleware/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/redis.h"
#include "util/hash.h"
#include "util/lru.h"

#define SHARDS     16
#define BUCKETS    4096
#define SHARD_KEYS (RATELIMIT_MAX_KEYS / SHARDS)
#define DROP_STEPS 2 /* ended counters dropped per request, at most */

/* A counter is in its bucket's chain and in its shard's recency list
 * (most recent at the head). */
typedef struct counter {
    struct counter *next; /* bucket chain */
    lru_node lru;
    uint64_t hash;
    int64_t window;     /* index of the window it counts */
    int64_t expires_ms; /* when that window ends */
    int64_t count;
    size_t klen;
    char key[RATELIMIT_KEY_MAX];
} counter;

typedef struct shard {
    pthread_mutex_t lock;
    counter *buckets[BUCKETS];
    lru_list lru;
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
        lru_node *n = rl->shards[i].lru.newest, *older;
        for (; n; n = older) {
            older = n->older;
            free(LRU_ELEMENT(n, counter, lru));
        }
        pthread_mutex_destroy(&rl->shards[i].lock);
    }
    free(rl);
}

size_t ratelimit_size(ratelimit *rl)
{
    size_t n = 0;

    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&rl->shards[i].lock);
        n += rl->shards[i].n;
        pthread_mutex_unlock(&rl->shards[i].lock);
    }
    return n;
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

/* Takes a counter out of its chain and the recency list. */
static void detach(shard *s, counter *c)
{
    counter **pp = &s->buckets[c->hash % BUCKETS];

    while (*pp != c)
        pp = &(*pp)->next;
    *pp = c->next;
    lru_unlink(&s->lru, &c->lru);
    s->n--;
}

/* A counter for a key the shard does not hold. A full shard hands over its
 * least recently used counter, so a new client is always counted; NULL
 * only when memory runs out below the cap (the request then counts as a
 * first one). */
static counter *add_counter(shard *s, uint64_t h, const char *key, size_t klen)
{
    counter *c;

    if (s->n >= SHARD_KEYS && s->lru.oldest) {
        detach(s, c = LRU_ELEMENT(s->lru.oldest, counter, lru));
        memset(c, 0, sizeof(*c));
    } else if (!(c = calloc(1, sizeof(*c)))) {
        return NULL;
    }
    c->hash = h;
    c->window = -1;
    c->klen = klen;
    memcpy(c->key, key, klen);
    c->next = s->buckets[h % BUCKETS];
    s->buckets[h % BUCKETS] = c;
    lru_push_newest(&s->lru, &c->lru);
    s->n++;
    return c;
}

void ratelimit_take(ratelimit *rl, const char *key, size_t klen, int64_t limit, int64_t window_ms,
                    int64_t now_ms, rl_result *out)
{
    uint64_t h;
    shard *s;
    int64_t window = now_ms / window_ms, count = 1;
    counter *c;

    if (klen > RATELIMIT_KEY_MAX)
        klen = RATELIMIT_KEY_MAX;
    h = hash_fnv1a(key, klen);
    s = &rl->shards[(h * 0x9E3779B97F4A7C15ull) >> 60];
    pthread_mutex_lock(&s->lock);
    /* counters whose window has ended count nothing: free them as they
     * reach the cold end, a few at a time */
    for (int i = 0; i < DROP_STEPS && s->lru.oldest; i++) {
        counter *old = LRU_ELEMENT(s->lru.oldest, counter, lru);
        if (old->expires_ms > now_ms)
            break;
        detach(s, old);
        free(old);
    }
    for (c = s->buckets[h % BUCKETS]; c; c = c->next)
        if (c->hash == h && c->klen == klen && !memcmp(c->key, key, klen))
            break;
    if (!c)
        c = add_counter(s, h, key, klen);
    if (c) {
        if (c->window != window) {
            c->window = window;
            c->expires_ms = (window + 1) * window_ms;
            c->count = 0;
        }
        count = ++c->count;
        lru_touch(&s->lru, &c->lru);
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

    snprintf(rkey, sizeof(rkey), "tvshows:rl:%.*s:%lld",
             (int)(klen > RATELIMIT_KEY_MAX ? RATELIMIT_KEY_MAX : klen), key,
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
