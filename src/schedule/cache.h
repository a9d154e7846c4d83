/* cache.h — the first level of the read model's response cache: rendered
 * bodies in this process, bounded by bytes, LRU, sharded. read_model.c is
 * its one user; routes reach it only through read_model_get().
 *
 * Keys are route + canonical parameters; every entry also carries the data
 * generation it was rendered from, and a lookup for another generation
 * misses, so an import makes every cached page unreachable at once without
 * a sweep. The older entry stays (until a newer rendering of its key
 * replaces it or the LRU evicts it) for stale-if-error: cache_get_any().
 * Entries hold the body as it will be sent (gzip-compressed when that pays)
 * with its strong ETag precomputed.
 * Threads: thread-safe, one mutex per shard, held only to find, link or
 * copy an entry; the API's loop threads and tasks share one cache.
 * Ownership: cache_new() / cache_free(). The cache copies what it stores;
 * cache_get copies out, while cache_lend (and cache_put's lend) hands out
 * the entry itself, counted: it stays readable, even once replaced or
 * evicted, until cache_release. Errors: none but out of memory, which
 * cache_put answers 0 for (nothing stored). */
#ifndef TVSHOWS_CACHE_H
#define TVSHOWS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define CACHE_ETAG_MAX 48

typedef struct cache cache;

typedef struct cache_meta {
    char etag[CACHE_ETAG_MAX]; /* the quoted opaque tag, e.g. "\"3f…\"" */
    int gzipped;               /* body is gzip; identity_len is its inflated size */
    size_t identity_len;
} cache_meta;

cache *cache_new(size_t max_bytes);
void cache_free(cache *c);
/* 1 on a hit (body appended to out, meta filled), 0 on a miss. */
int cache_get(cache *c, const char *key, size_t klen, int64_t generation, buf *out,
              cache_meta *meta);
/* The entry held for key whatever its generation (*generation says which):
 * 1 and the body appended to out, or 0. For a page the database cannot
 * render now (stale-if-error); it does not count as a use for the LRU. */
int cache_get_any(cache *c, const char *key, size_t klen, buf *out, cache_meta *meta,
                  int64_t *generation);
/* A lent entry: its stored body and meta, readable until
 * cache_release(ref). */
typedef struct cache_loan {
    const char *body;
    size_t len;
    cache_meta meta;
    void *ref;
} cache_loan;

/* 1 on a hit, the entry lent in *out; 0 on a miss. */
int cache_lend(cache *c, const char *key, size_t klen, int64_t generation, cache_loan *out);
/* Gives a lent entry back (an http_release_fn). */
void cache_release(void *ref);
/* Stores body for key, replacing an entry of the same or an older
 * generation (never a newer one). With out (may be NULL), the stored
 * entry is lent as well: 1 then, 0 when nothing was stored. */
int cache_put(cache *c, const char *key, size_t klen, int64_t generation, const char *body,
              size_t blen, const cache_meta *meta, cache_loan *out);
size_t cache_bytes(cache *c);

/* The cache is split into CACHE_SHARDS shards, each bounded to a share of
 * the bytes; cache_shard_of() says which one a key lands in (for tests). */
#define CACHE_SHARDS 16
unsigned cache_shard_of(const char *key, size_t klen);

#endif
