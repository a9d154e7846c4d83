#include "schedule/read_model.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule/l2.h"
#include "util/hash.h"
#include "util/metrics.h"

#define GZIP_MIN   1024        /* smaller bodies are not worth a Content-Encoding */
#define MEMO_SHOWS (64 * 1024) /* shows remembered for lists */
#define MEMO_BYTES (16u << 20) /* and at most this much of their text */

struct read_model {
    const config *cfg;
    _Atomic int64_t generation; /* written by the poller, read by every thread */
    generation_poller *poller;
    schedule *schedule;
    name_index *names; /* the shows' names, for search */
    show_memo *shows;  /* the shows' cards and next episodes */
    cache *cache;      /* NULL when CACHE_MB=0 */
};

read_model *read_model_new(const config *cfg, generation_poll_fn poll, void *arg, char *err,
                           size_t errlen)
{
    read_model *m = calloc(1, sizeof(*m));

    if (!m || !(m->schedule = schedule_new()) ||
        !(m->names = names_new((size_t)cfg->search_index_mb << 20)) ||
        !(m->shows = show_memo_new(MEMO_SHOWS, MEMO_BYTES)) ||
        (cfg->cache_mb > 0 && !(m->cache = cache_new((size_t)cfg->cache_mb << 20)))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    m->cfg = cfg;
    if (!(m->poller = generation_start(cfg, &m->generation, poll, arg, err, errlen)))
        goto fail;
    return m;
fail:
    read_model_free(m);
    return NULL;
}

void read_model_free(read_model *m)
{
    if (!m)
        return;
    generation_stop(m->poller);
    cache_free(m->cache);
    schedule_free(m->schedule);
    names_free(m->names);
    show_memo_free(m->shows);
    free(m);
}

int64_t read_model_generation(read_model *m)
{
    return atomic_load_explicit(&m->generation, memory_order_acquire);
}

int read_model_search(read_model *m, store *st, const char *folded, int limit, int64_t *ids,
                      size_t *nids, int *answered)
{
    return names_search(m->names, st, read_model_generation(m), folded, limit, ids, nids, answered);
}

int read_model_page(read_model *m, store *st, const sched_query *q, int64_t offset, int limit,
                    sched_page *out)
{
    return schedule_page(m->schedule, st, read_model_generation(m), q, offset, limit, out);
}

int read_model_rows(read_model *m, store *st, const sched_query *q, int64_t offset, size_t cap,
                    sched_row *rows, size_t *n, int64_t *total)
{
    return schedule_rows(m->schedule, st, read_model_generation(m), q, offset, cap, rows, n, total);
}

int read_model_cards(read_model *m, store *st, const int64_t *ids, size_t n, arena *a,
                     tv_show **out)
{
    return show_memo_cards(m->shows, st, read_model_generation(m), ids, n, a, out);
}

int read_model_next(read_model *m, store *st, int64_t now, tv_show *const *shows, size_t n,
                    arena *a)
{
    return show_memo_next(m->shows, st, read_model_generation(m), now, shows, n, a);
}

void read_body_release(read_body *b)
{
    if (b->ref && b->release)
        b->release(b->ref);
    b->ref = NULL;
}

static void take_loan(read_body *out, const cache_loan *loan)
{
    out->data = loan->body;
    out->len = loan->len;
    out->meta = loan->meta;
    out->release = cache_release;
    out->ref = loan->ref;
}

/* Another process rendered it: kept here too, and lent from here; when
 * this process cannot keep it, lent from the reply itself. */
static int from_l2(read_model *m, const read_thread *rt, const char *key, size_t klen, int64_t gen,
                   read_body *out)
{
    l2_entry e;
    cache_loan loan;

    if (!l2_get(rt->redis, key, klen, gen, &e))
        return 0;
    metrics_inc(M_CACHE_L2_HITS);
    if (m->cache && cache_put(m->cache, key, klen, gen, e.body, e.len, &e.meta, &loan)) {
        l2_entry_release(e.reply);
        take_loan(out, &loan);
        return 1;
    }
    out->data = e.body;
    out->len = e.len;
    out->meta = e.meta;
    out->release = l2_entry_release;
    out->ref = e.reply;
    return 1;
}

/* The stored form of rt->body: the gzip form (in rt->alt) when that pays,
 * and its strong ETag. The ETag is the digest of the stored bytes: the
 * compressor is deterministic, so equal bodies stored alike share it and
 * different ones do not, and the gzip form is a sixth of the bytes to hash
 * (a process that compresses at another level names the same body
 * otherwise, which costs a client one full answer). */
static void stored_form(const read_thread *rt, cache_meta *meta)
{
    char hex[SHA256_HEX_LEN + 1];
    const buf *stored;

    meta->identity_len = rt->body->len;
    meta->gzipped = 0;
    buf_reset(rt->alt);
    if (rt->body->len >= GZIP_MIN &&
        gzip_compress(rt->gz, rt->body->data, rt->body->len, rt->alt) == 0 &&
        rt->alt->len < rt->body->len)
        meta->gzipped = 1;
    stored = meta->gzipped ? rt->alt : rt->body;
    hash_sha256_hex(stored->data, stored->len, hex);
    snprintf(meta->etag, sizeof(meta->etag), "\"%.32s\"", hex);
}

/* A body just built: kept at both levels, lent from this process's cache
 * when it keeps it, else handed out from the scratch. */
static void keep(read_model *m, const read_thread *rt, const char *key, size_t klen, int64_t gen,
                 read_body *out)
{
    const buf *stored;
    cache_loan loan;

    stored_form(rt, &out->meta);
    stored = out->meta.gzipped ? rt->alt : rt->body;
    out->data = stored->data ? stored->data : "";
    out->len = stored->len;
    out->identity = rt->body;
    if (m->cache && cache_put(m->cache, key, klen, gen, out->data, out->len, &out->meta, &loan))
        take_loan(out, &loan);
    if (rt->redis)
        l2_put(rt->redis, rt->may_block, key, klen, gen, m->cfg->cache_ttl, out->data, out->len,
               &out->meta);
}

/* Stale-if-error: the rendering of older data this process still holds
 * for key, copied into rt->alt. */
static int stand_in(read_model *m, const read_thread *rt, const char *key, size_t klen, int64_t gen,
                    read_body *out)
{
    int64_t from = 0;

    buf_reset(rt->body);
    buf_reset(rt->alt);
    if (!m->cache || !cache_get_any(m->cache, key, klen, rt->alt, &out->meta, &from) ||
        from >= gen) {
        buf_reset(rt->alt);
        return 0;
    }
    out->data = rt->alt->data ? rt->alt->data : "";
    out->len = rt->alt->len;
    out->stale = 1;
    return 1;
}

int read_model_get(read_model *m, const read_thread *rt, const char *key, size_t klen,
                   read_build_fn build, void *ctx, read_body *out)
{
    int64_t gen = read_model_generation(m);
    cache_loan loan;
    int rc;

    memset(out, 0, sizeof(*out));
    buf_reset(rt->body);
    buf_reset(rt->alt);
    if (m->cache && cache_lend(m->cache, key, klen, gen, &loan)) {
        metrics_inc(M_CACHE_HITS);
        take_loan(out, &loan);
        return READ_OK;
    }
    if (rt->must_stop && rt->must_stop(rt->arg))
        return READ_WAIT; /* asked again where it may wait */
    if (rt->redis && from_l2(m, rt, key, klen, gen, out))
        return READ_OK;
    if (m->cache)
        metrics_inc(M_CACHE_MISSES);
    if ((rc = build(ctx)) == READ_BUILT) {
        keep(m, rt, key, klen, gen, out);
        return READ_OK;
    }
    if (rc == READ_NO_DATA && stand_in(m, rt, key, klen, gen, out))
        return READ_OK;
    return READ_FAILED;
}
