/* read_model.h — the read side in one place: the data generation, the
 * schedule's days, and the rendered bodies (in process, then in Redis),
 * behind two kinds of call.
 *
 *   read_model_page / read_model_rows: a parsed, typed query (days as day
 *   numbers, filters as values) answered from the schedule at the current
 *   generation: a typed page of episode ids and the exact total.
 *
 *   read_model_cards / read_model_next: what a list says of each show
 *   (its card, its next episode as of an instant), from what earlier
 *   reads of the generation found (shows.h), the rest from the store.
 *
 *   read_model_search: the shows whose names best answer a folded search
 *   query, from the in-memory name index of the current generation
 *   (names.h), or "not answered" when the index cannot answer now.
 *
 *   read_model_get: the body kept for a cache key at the current
 *   generation, from this process's cache (lent, never copied: the HTTP
 *   layer writes it with one writev and gives it back), else from Redis,
 *   else built once by the caller's function, stored at both levels and
 *   handed back the same way. When the build fails for want of the
 *   database, the rendering of an older generation this process still
 *   holds stands in (stale-if-error).
 *
 * What a response says about the body (ETag and 304, gzip negotiation,
 * Cache-Control, Vary, Warning) is the HTTP layer's (api/respond.c); a
 * body here is bytes with its strong ETag, stored gzipped when that pays.
 *
 * Files: generation.c polls the generation, schedule.c and filters.c hold
 * the days and answer queries, names.c the shows' names for search,
 * shows.c the shows' cards and next episodes,
 * cache.c is the first level, l2.c the second, read_model.c ties them.
 *
 * Ownership: read_model_new() / read_model_free(); a read_body holds a
 * loan until read_body_release() (or until the release it carries is
 * handed to whoever writes the body). Threads: one read model per process,
 * shared by the API's threads; a read_thread is one thread's (its Redis
 * client and scratch). Errors: the store's (STORE_*) from the page calls;
 * read_model_get answers READ_OK, READ_WAIT or READ_FAILED. */
#ifndef TVSHOWS_SCHEDULE_READ_MODEL_H
#define TVSHOWS_SCHEDULE_READ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "kv/redis.h"
#include "schedule/cache.h"
#include "schedule/generation.h"
#include "schedule/names.h"
#include "schedule/shows.h"
#include "schedule/schedule.h"
#include "util/buf.h"
#include "util/gzip.h"

typedef struct read_model read_model;

/* Starts the generation poller (poll: see generation.h) and, with
 * CACHE_MB > 0, the in-process cache; NULL with a message in err. */
read_model *read_model_new(const config *cfg, generation_poll_fn poll, void *arg, char *err,
                           size_t errlen);
void read_model_free(read_model *m); /* stops the poller first; NULL is fine */

/* The data generation as last read from the database. */
int64_t read_model_generation(read_model *m);

/* schedule_page() and schedule_rows() (schedule.h) at the current
 * generation; st is the caller's connection, used for days not held. */
int read_model_page(read_model *m, store *st, const sched_query *q, int64_t offset, int limit,
                    sched_page *out);
int read_model_rows(read_model *m, store *st, const sched_query *q, int64_t offset, size_t cap,
                    sched_row *rows, size_t *n, int64_t *total);

/* names_search() (names.h) at the current generation: up to limit show
 * ids for a folded query, best first; *answered 0 when the caller is to
 * ask the store's own index. */
int read_model_search(read_model *m, store *st, const char *folded, int limit, int64_t *ids,
                      size_t *nids, int *answered);

/* show_memo_cards() and show_memo_next() (shows.h) at the current
 * generation, in a's memory; st is the caller's connection. */
int read_model_cards(read_model *m, store *st, const int64_t *ids, size_t n, arena *a,
                     tv_show **out);
int read_model_next(read_model *m, store *st, int64_t now, tv_show *const *shows, size_t n,
                    arena *a);

/* ---- cached reads ---- */

/* What a read needs of the thread making it. */
typedef struct read_thread {
    redis *redis;  /* the second level; NULL without Redis */
    int may_block; /* the Redis client is not on an event loop */
    gzip_ctx *gz;
    buf *body; /* scratch: the build renders the identity body here */
    buf *alt;  /* scratch: the other encoding */
    /* Asked on a miss, before anything that may wait (Redis, the build):
     * 1 when the caller must stop here and ask again where it can wait
     * (READ_WAIT). NULL: every wait is fine. */
    int (*must_stop)(void *arg);
    void *arg;
} read_thread;

/* What a build answers: READ_BUILT with the body in rt->body; READ_BROKEN
 * when it could not build (its own answer, nothing kept); READ_NO_DATA
 * when the database failed it, so an older rendering may stand in. */
enum { READ_BUILT = 0, READ_BROKEN = -1, READ_NO_DATA = -2 };
typedef int (*read_build_fn)(void *ctx);

/* A body to send: the stored form, lent or in the thread's scratch. */
typedef struct read_body {
    const char *data; /* the stored form (meta.gzipped says which encoding) */
    size_t len;
    cache_meta meta;
    const buf *identity;        /* the identity form when at hand (just built), else NULL */
    void (*release)(void *ref); /* gives ref back; an http_release_fn */
    void *ref;                  /* NULL: data lies in the thread's scratch */
    int stale;                  /* an older generation's, the build having failed */
} read_body;

enum { READ_OK = 0, READ_WAIT = 1, READ_FAILED = -1 };

/* The body for key (klen bytes, any bytes) at the current generation:
 * READ_OK with *out filled; READ_WAIT when rt->must_stop() said so on a
 * miss (nothing changed); READ_FAILED when the build failed and nothing
 * stands in (the build's own answer stands). */
int read_model_get(read_model *m, const read_thread *rt, const char *key, size_t klen,
                   read_build_fn build, void *ctx, read_body *out);
/* Gives back what *b still holds; b->ref NULL is fine. */
void read_body_release(read_body *b);

#endif
