/* The queue in the database: the jobs table, through store_job_*. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/store_options.h"
#include "services/queue_backend.h"
#include "store/store.h"
#include "store/store_jobs.h"
#include "util/date.h"

typedef struct db_queue {
    queue base;
    store *st;
    arena mem;
} db_queue;

static int ok(int rc)
{
    return rc == STORE_OK ? 0 : -1;
}

static void dbq_close(queue *q)
{
    db_queue *d = (db_queue *)q;

    store_close(d->st);
    arena_free(&d->mem);
    free(d);
}

static const char *dbq_errmsg(queue *q)
{
    return store_errmsg(((db_queue *)q)->st);
}

static int dbq_enqueue(queue *q, const char *type, const char *payload, const char *unique_key,
                       int64_t run_at_ms, int *enqueued)
{
    return ok(
        store_job_enqueue(((db_queue *)q)->st, type, payload, unique_key, run_at_ms, enqueued));
}

/* The database has no blocking read: poll every 200 ms up to wait_ms. */
static int dbq_claim(queue *q, queue_job *out, int wait_ms)
{
    db_queue *d = (db_queue *)q;
    int64_t deadline = clock_mono_ms() + wait_ms;
    store_job j;

    for (;;) {
        int rc;
        arena_reset(&d->mem);
        rc = store_job_claim(d->st, q->worker, clock_now_ms(), q->visibility_ms, &d->mem, &j);
        if (rc == STORE_OK)
            break;
        if (rc != STORE_ENOTFOUND)
            return -1;
        if (clock_mono_ms() >= deadline)
            return 0;
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    snprintf(out->id, sizeof(out->id), "%lld", (long long)j.id);
    snprintf(out->type, sizeof(out->type), "%s", j.type ? j.type : "");
    snprintf(out->unique_key, sizeof(out->unique_key), "%s", j.unique_key ? j.unique_key : "");
    out->payload = strdup(j.payload ? j.payload : "{}");
    out->attempts = j.attempts;
    out->backend_id = j.id;
    return out->payload ? 1 : -1;
}

static int dbq_done(queue *q, queue_job *j)
{
    return ok(store_job_done(((db_queue *)q)->st, j->backend_id, q->worker));
}

static int dbq_retry(queue *q, queue_job *j, int64_t run_at_ms, const char *error, int count)
{
    return ok(
        store_job_requeue(((db_queue *)q)->st, j->backend_id, q->worker, run_at_ms, error, count));
}

static int dbq_bury(queue *q, queue_job *j, const char *error)
{
    return ok(store_job_bury(((db_queue *)q)->st, j->backend_id, q->worker, error));
}

static int dbq_touch(queue *q, queue_job *j)
{
    return ok(store_job_touch(((db_queue *)q)->st, j->backend_id, j->holder,
                              clock_now_ms() + q->visibility_ms));
}

static int dbq_stats(queue *q, queue_stats *out)
{
    db_queue *d = (db_queue *)q;
    store_page page;

    arena_reset(&d->mem);
    if (store_job_stats(d->st, &d->mem, &page) != STORE_OK)
        return -1;
    for (size_t i = 0; i < page.n; i++) {
        const store_job *row = page.rows[i];
        queue_stats_add(out, row->type, row->state, row->attempts, row->id);
    }
    return 0;
}

static int dbq_list(queue *q, buf *out, int limit)
{
    db_queue *d = (db_queue *)q;
    store_page page;

    arena_reset(&d->mem);
    if (store_job_list(d->st, NULL, limit, &d->mem, &page) != STORE_OK)
        return -1;
    for (size_t i = 0; i < page.n; i++) {
        const store_job *j = page.rows[i];
        buf_printf(out, "%lld\t%s\t%s\t%d\t%s\t%s\n", (long long)j->id, j->type, j->state,
                   j->attempts, j->unique_key ? j->unique_key : "-",
                   j->last_error ? j->last_error : "");
    }
    return 0;
}

static int dbq_retry_dead(queue *q, int64_t *count)
{
    return ok(store_job_retry_dead(((db_queue *)q)->st, clock_now_ms(), count));
}

static int dbq_claim_tick(queue *q, int64_t tick, int *won)
{
    return ok(store_tick_claim(((db_queue *)q)->st, tick, q->worker, won));
}

static const queue_ops db_ops = {
    .close = dbq_close,
    .errmsg = dbq_errmsg,
    .enqueue = dbq_enqueue,
    .claim = dbq_claim,
    .done = dbq_done,
    .retry = dbq_retry,
    .bury = dbq_bury,
    .touch = dbq_touch,
    .stats = dbq_stats,
    .list = dbq_list,
    .retry_dead = dbq_retry_dead,
    .claim_tick = dbq_claim_tick,
};

queue *queue_db_open(const config *cfg, char *err, size_t errlen)
{
    db_queue *d = calloc(1, sizeof(*d));
    store_options opt = store_options_for(cfg, STORE_ROLE_WORKER);

    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (store_open(&d->st, cfg->database_url, &opt, err, errlen) != STORE_OK) {
        free(d);
        return NULL;
    }
    arena_init(&d->mem, 16 * 1024);
    d->base.ops = &db_ops;
    d->base.backend = "database";
    return &d->base;
}
