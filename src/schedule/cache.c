#include "schedule/cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/lru.h"
#include "util/metrics.h"

#define SHARDS  CACHE_SHARDS
#define BUCKETS 1024 /* per shard, chained */

typedef struct entry {
    struct entry *hnext;
    lru_node lru;
    uint64_t hash;
    atomic_int refs; /* the shard's hold (while linked), and each loan */
    int64_t generation;
    size_t klen, blen;
    cache_meta meta;
    char data[]; /* key, then body */
} entry;

typedef struct shard {
    pthread_mutex_t lock;
    entry *buckets[BUCKETS];
    lru_list lru;
    size_t bytes;
} shard;

struct cache {
    size_t max_per_shard;
    shard shards[SHARDS];
};

cache *cache_new(size_t max_bytes)
{
    cache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->max_per_shard = max_bytes / SHARDS;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&c->shards[i].lock, NULL);
    return c;
}

void cache_free(cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < SHARDS; i++) {
        lru_node *n = c->shards[i].lru.newest, *older;
        for (; n; n = older) {
            older = n->older;
            cache_release(LRU_ELEMENT(n, entry, lru));
        }
        pthread_mutex_destroy(&c->shards[i].lock);
    }
    free(c);
}

/* FNV-1a's high bits barely depend on a key's last bytes, and cache keys
 * often differ only there: mix before choosing a shard. */
static unsigned shard_index(uint64_t h)
{
    return (unsigned)((h * 0x9E3779B97F4A7C15ull) >> 60);
}

static shard *shard_of(cache *c, uint64_t h)
{
    return &c->shards[shard_index(h)];
}

unsigned cache_shard_of(const char *key, size_t klen)
{
    return shard_index(hash_fnv1a(key, klen));
}

static size_t entry_size(const entry *e)
{
    return sizeof(*e) + e->klen + e->blen;
}

void cache_release(void *ref)
{
    entry *e = ref;

    if (atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) == 1)
        free(e);
}

static void lend(entry *e, cache_loan *out)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    out->body = e->data + e->klen;
    out->len = e->blen;
    out->meta = e->meta;
    out->ref = e;
}

/* Unlinks e from its bucket and the LRU, then lets go of it (freed now,
 * or when the last loan is given back). */
static void drop(shard *s, entry *e)
{
    entry **pp = &s->buckets[e->hash % BUCKETS];

    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    lru_unlink(&s->lru, &e->lru);
    s->bytes -= entry_size(e);
    metrics_gauge_add(M_CACHE_BYTES, -(int64_t)entry_size(e));
    cache_release(e);
}

static entry *find(shard *s, uint64_t h, const char *key, size_t klen)
{
    for (entry *e = s->buckets[h % BUCKETS]; e; e = e->hnext)
        if (e->hash == h && e->klen == klen && !memcmp(e->data, key, klen))
            return e;
    return NULL;
}

#define ANY_GENERATION INT64_MIN

/* Copies out the entry for key when it is of that generation (a use: it
 * moves to the front of the LRU), or of any with ANY_GENERATION. An entry
 * rendered from other data stays, unused, until a rendering of the current
 * data replaces it. */
static int lookup(cache *c, const char *key, size_t klen, int64_t generation, buf *out,
                  cache_meta *meta, int64_t *found)
{
    uint64_t h = hash_fnv1a(key, klen);
    shard *s = shard_of(c, h);
    entry *e;
    int hit = 0;

    pthread_mutex_lock(&s->lock);
    if ((e = find(s, h, key, klen)) &&
        (generation == ANY_GENERATION || e->generation == generation) &&
        buf_append(out, e->data + e->klen, e->blen) == 0) {
        *meta = e->meta;
        *found = e->generation;
        if (generation != ANY_GENERATION)
            lru_touch(&s->lru, &e->lru); /* a use; a stale read is not */
        hit = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return hit;
}

int cache_get(cache *c, const char *key, size_t klen, int64_t generation, buf *out,
              cache_meta *meta)
{
    int64_t found;

    return lookup(c, key, klen, generation, out, meta, &found);
}

int cache_get_any(cache *c, const char *key, size_t klen, buf *out, cache_meta *meta,
                  int64_t *generation)
{
    return lookup(c, key, klen, ANY_GENERATION, out, meta, generation);
}

int cache_lend(cache *c, const char *key, size_t klen, int64_t generation, cache_loan *out)
{
    uint64_t h = hash_fnv1a(key, klen);
    shard *s = shard_of(c, h);
    entry *e;
    int hit = 0;

    pthread_mutex_lock(&s->lock);
    if ((e = find(s, h, key, klen)) && e->generation == generation) {
        lend(e, out);
        lru_touch(&s->lru, &e->lru);
        hit = 1;
    }
    pthread_mutex_unlock(&s->lock);
    return hit;
}

int cache_put(cache *c, const char *key, size_t klen, int64_t generation, const char *body,
              size_t blen, const cache_meta *meta, cache_loan *out)
{
    uint64_t h = hash_fnv1a(key, klen);
    shard *s = shard_of(c, h);
    entry *e = malloc(sizeof(*e) + klen + blen), *old;

    if (!e)
        return 0;
    if (sizeof(*e) + klen + blen > c->max_per_shard) {
        free(e); /* larger than the whole shard: not worth keeping */
        return 0;
    }
    memset(e, 0, sizeof(*e));
    atomic_init(&e->refs, 1);
    e->hash = h;
    e->generation = generation;
    e->klen = klen;
    e->blen = blen;
    e->meta = *meta;
    memcpy(e->data, key, klen);
    memcpy(e->data + klen, body, blen);
    pthread_mutex_lock(&s->lock);
    if ((old = find(s, h, key, klen)) && old->generation > generation) {
        /* a thread that read the generation before an import was seen */
        pthread_mutex_unlock(&s->lock);
        free(e);
        return 0;
    }
    if (old)
        drop(s, old);
    e->hnext = s->buckets[h % BUCKETS];
    s->buckets[h % BUCKETS] = e;
    lru_push_newest(&s->lru, &e->lru);
    s->bytes += entry_size(e);
    metrics_gauge_add(M_CACHE_BYTES, (int64_t)entry_size(e));
    while (s->bytes > c->max_per_shard && s->lru.oldest && s->lru.oldest != &e->lru) {
        drop(s, LRU_ELEMENT(s->lru.oldest, entry, lru));
        metrics_inc(M_CACHE_EVICTIONS);
    }
    if (out)
        lend(e, out);
    pthread_mutex_unlock(&s->lock);
    metrics_inc(M_CACHE_STORES);
    return 1;
}

size_t cache_bytes(cache *c)
{
    size_t total = 0;

    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_lock(&c->shards[i].lock);
        total += c->shards[i].bytes;
        pthread_mutex_unlock(&c->shards[i].lock);
    }
    return total;
}
