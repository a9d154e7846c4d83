/* Import plans (import.h): what one import covers, its units, and the one
 * engine that runs them, on the caller's thread or on threads of its own,
 * and records them as an import run. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/store_options.h"
#include "services/import_internal.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/url.h"

int import_plan_units(const import_plan *p, import_units *u, char *err, size_t errlen)
{
    memset(u, 0, sizeof(*u));
    if (p->files) {
        u->n = u->days_total = (int64_t)p->nfiles;
        return 0;
    }
    if (p->full) {
        u->n = 1;
        return 0;
    }
    u->from = date_today_utc();
    if (p->from && *p->from && date_parse(p->from, strlen(p->from), &u->from) != 0) {
        snprintf(err, errlen, "from \"%.20s\" is not a date YYYY-MM-DD", p->from);
        return -1;
    }
    if (p->source) {
        if (strlen(p->source) >= IMPORT_SOURCE_MAX) {
            snprintf(err, errlen, "unknown source \"%.24s\"", p->source);
            return -1;
        }
        snprintf(u->sources[0], IMPORT_SOURCE_MAX, "%s", p->source);
        u->nsources = 1;
    } else {
        u->nsources = import_sources(p->countries ? p->countries : "", p->web, u->sources,
                                     IMPORT_MAX_SOURCES);
    }
    u->n = u->days_total = (int64_t)(p->days > 0 ? p->days : 0) * (int64_t)u->nsources;
    return 0;
}

const char *import_unit_at(const import_units *u, int64_t i, char *day)
{
    date_format(u->from + (int32_t)(i / (int64_t)u->nsources), day);
    return u->sources[i % (int64_t)u->nsources];
}

const char *import_plan_mode(const import_plan *p)
{
    return p->files ? "file" : p->full ? "full" : "days";
}

tvmaze_options import_client_options(const config *cfg, tvmaze_limiter *lim)
{
    tvmaze_options o = {
        .base_url = cfg->tvmaze_base_url,
        .limiter = lim,
        .retries = cfg->import_retries,
        .timeout_ms = cfg->import_timeout_s * 1000,
        .backoff_base_ms = cfg->import_backoff_ms,
    };
    return o;
}

void import_count_run(const char *status)
{
    metrics_import_run(!strcmp(status, "succeeded") ? M_RUN_SUCCEEDED
                       : !strcmp(status, "partial") ? M_RUN_PARTIAL
                                                    : M_RUN_FAILED);
    if (strcmp(status, "failed"))
        metrics_gauge_set(M_LAST_IMPORT_SUCCESS, (int64_t)time(NULL));
}

/* ---- the engine ---- */

/* ---- the SQLite writer ----
 * SQLite writes one transaction at a time, and a commit writes every page
 * its transaction changed: written a day at a time, the index pages that
 * every day touches were written 270 times over in a first import. So a
 * plan of days on SQLite gets one writer thread: the import threads only
 * fetch and map, and queue each unit; the writer takes all the units that
 * wait (up to QUEUE_MAX) and writes them in one transaction
 * (store_write_days), each day in a savepoint of its own. The queue is
 * bounded, so fetching runs at most QUEUE_MAX mapped days ahead of writing
 * (their memory: about a megabyte each), and a batch is a few tens of
 * milliseconds of writing. */
#define QUEUE_MAX 8

typedef struct write_queue {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* an item came or went, or the queue closed */
    import_parsed *items[QUEUE_MAX];
    size_t head, n;
    int closed; /* no item will come: the writer ends once it is empty */
} write_queue;

static void queue_push(write_queue *q, import_parsed *p)
{
    pthread_mutex_lock(&q->lock);
    while (q->n == QUEUE_MAX)
        pthread_cond_wait(&q->changed, &q->lock);
    q->items[(q->head + q->n++) % QUEUE_MAX] = p;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

/* Takes every item waiting into out, waiting for one; 0 once the queue is
 * closed and empty. */
static size_t queue_take(write_queue *q, import_parsed **out)
{
    size_t n;

    pthread_mutex_lock(&q->lock);
    while (!q->n && !q->closed)
        pthread_cond_wait(&q->changed, &q->lock);
    for (n = 0; q->n; n++, q->n--) {
        out[n] = q->items[q->head];
        q->head = (q->head + 1) % QUEUE_MAX;
    }
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
    return n;
}

static void queue_close(write_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->lock);
}

/* A plan being run: its units taken in order from a shared counter. */
typedef struct engine {
    const import_plan *plan;
    const import_exec *x;
    import_units units;
    _Atomic int64_t next;
    write_queue q;
    int queued; /* units go to the writer through q; 0: each thread writes its own */
} engine;

typedef struct engine_thread {
    pthread_t thread;
    engine *e;
    import_result r;
    char err[300]; /* why it could not start; empty when it ran */
} engine_thread;

static void run_unit(engine *e, store *st, tvmaze_client *tm, int64_t i, import_result *r)
{
    const import_exec *x = e->x;
    char day[DATE_LEN + 1];
    const char *source;
    int rc;

    if (e->plan->files) {
        import_file(st, e->plan->files[i], x->progress, x->ud, r);
    } else if (e->plan->full) {
        import_full(st, tm, x->progress, x->ud, r);
    } else {
        int32_t at = e->units.from + (int32_t)(i / (int64_t)e->units.nsources);
        import_parsed *p = NULL;
        source = import_unit_at(&e->units, i, day);
        /* 0: done, -1: failed, 1: fetched and queued, the writer reports it */
        if (!e->queued)
            rc = import_day(st, tm, source, at, r);
        else if ((rc = import_day_fetch(st, tm, source, at, &p, r)) == 1)
            queue_push(&e->q, p);
        if (x->progress && rc != 1)
            x->progress(x->ud, day, source, rc == 0, r);
    }
}

/* Takes units until none is left; none starts during the pause of an
 * unreachable upstream (import.h): those left count as skipped. */
static void run_units(engine *e, store *st, tvmaze_client *tm, import_result *r)
{
    int64_t i;

    while ((i = atomic_fetch_add(&e->next, 1)) < e->units.n) {
        if (import_upstream_pause_ms() > 0) {
            r->skipped++;
            continue;
        }
        run_unit(e, st, tm, i, r);
    }
}

static void *engine_thread_main(void *arg)
{
    engine_thread *t = arg;
    const import_exec *x = t->e->x;
    store_options so = store_options_for(x->cfg, STORE_ROLE_IMPORT);
    tvmaze_options to = import_client_options(x->cfg, x->lim);
    tvmaze_client *tm = NULL;
    store *st = NULL;
    char err[256];

    if (store_open(&st, x->cfg->database_url, &so, err, sizeof(err)) != STORE_OK) {
        url_scrub(err, sizeof(err), x->cfg->database_url); /* the driver may quote the URL */
        snprintf(t->err, sizeof(t->err), "DATABASE_URL: %s", err);
        st = NULL;
        goto done;
    }
    if (!t->e->plan->files && !(tm = tvmaze_client_new(&to))) {
        snprintf(t->err, sizeof(t->err), "out of memory");
        goto done;
    }
    run_units(t->e, st, tm, &t->r);
done:
    tvmaze_client_free(tm);
    store_close(st);
    return NULL;
}

/* The writer: writes what the import threads queue, on a store of its
 * own, until the queue closes. A writer that cannot open its store fails
 * each unit it is given. */
static void *engine_writer_main(void *arg)
{
    engine_thread *t = arg;
    const import_exec *x = t->e->x;
    store_options so = store_options_for(x->cfg, STORE_ROLE_IMPORT);
    import_parsed *batch[QUEUE_MAX];
    store *st = NULL;
    char err[256];
    size_t n;

    if (store_open(&st, x->cfg->database_url, &so, err, sizeof(err)) != STORE_OK) {
        url_scrub(err, sizeof(err), x->cfg->database_url);
        snprintf(t->err, sizeof(t->err), "DATABASE_URL: %s", err);
        st = NULL;
    }
    while ((n = queue_take(&t->e->q, batch)) > 0) {
        if (st) {
            import_write_days(st, batch, n, x->progress, x->ud, &t->r);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            import_fail_unit(&t->r, batch[i]->day, batch[i]->source, t->err);
            if (x->progress)
                x->progress(x->ud, batch[i]->day, batch[i]->source, 0, &t->r);
            import_parsed_free(batch[i]);
        }
    }
    store_close(st);
    return NULL;
}

static void result_add(import_result *into, const import_result *r)
{
    size_t l = strlen(into->failed);

    into->days_ok += r->days_ok;
    into->days_failed += r->days_failed;
    into->episodes += r->episodes;
    into->upserted += r->upserted;
    into->removed += r->removed;
    into->net.requests += r->net.requests;
    into->net.retries += r->net.retries;
    into->unreachable += r->unreachable;
    into->skipped += r->skipped;
    into->unchanged += r->unchanged;
    into->fetch_us += r->fetch_us;
    into->map_us += r->map_us;
    into->write_us += r->write_us;
    if (!into->error[0])
        snprintf(into->error, sizeof(into->error), "%s", r->error);
    if (r->failed[0])
        snprintf(into->failed + l, sizeof(into->failed) - l, "%s%s", l ? "," : "", r->failed);
}

/* Joins a thread; its counts go into r, and the first that could not
 * start says why in err. */
static void join_thread(engine_thread *t, import_result *r, int *rc, char *err, size_t errlen)
{
    pthread_join(t->thread, NULL);
    result_add(r, &t->r);
    if (t->err[0] && *rc == 0) {
        snprintf(err, errlen, "cannot start: %s", t->err);
        *rc = -1;
    }
}

/* Runs the units on up to CONCURRENCY threads, each with its own
 * connection and HTTP client; the limiter keeps the upstream's rate for
 * all of them. Days on SQLite get the writer (above). */
static int run_threads(engine *e, import_result *r, char *err, size_t errlen)
{
    int64_t n = e->x->cfg->concurrency < e->units.n ? e->x->cfg->concurrency : e->units.n;
    int want = n > 0 ? (int)n : 1, started = 0, rc = 0, writing = 0;
    engine_thread *ts = calloc((size_t)want + 1, sizeof(*ts));

    if (!ts) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!e->plan->files && !e->plan->full && store_url_is_sqlite(e->x->cfg->database_url)) {
        ts[want].e = e;
        writing = pthread_create(&ts[want].thread, NULL, engine_writer_main, &ts[want]) == 0;
        e->queued = writing; /* else each thread writes its own */
    }
    for (; started < want; started++) {
        ts[started].e = e;
        if (pthread_create(&ts[started].thread, NULL, engine_thread_main, &ts[started]) != 0)
            break;
    }
    for (int i = 0; i < started; i++)
        join_thread(&ts[i], r, &rc, err, errlen);
    if (writing) {
        queue_close(&e->q);
        join_thread(&ts[want], r, &rc, err, errlen);
    }
    if (!started) {
        snprintf(err, errlen, "cannot start a thread");
        rc = -1;
    }
    free(ts);
    return rc;
}

/* The run a plan is recorded as: begun with the days it knows of. */
static int run_begin(const import_exec *x, const import_plan *p, const engine *e, import_result *r,
                     char *err, size_t errlen)
{
    if (!x->runs)
        return 0;
    if (store_run_begin(x->runs, import_plan_mode(p), e->units.days_total, &r->run) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(x->runs));
        return -1;
    }
    return 0;
}

/* …and finished with its counts (the full schedule's days now known),
 * counted in the metrics. */
static int run_end(const import_exec *x, const import_plan *p, import_result *r, char *err,
                   size_t errlen)
{
    int64_t more = p->full ? r->days_ok + r->days_failed : 0;

    if (!x->runs)
        return 0;
    if (import_finish_run(x->runs, r->run, r, more, &r->status) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(x->runs));
        return -1;
    }
    import_count_run(r->status);
    return 0;
}

/* The seasons step after a run (import_exec.seasons): apart from the run,
 * so that the import's own requests and time are what they were. */
static void run_seasons(const import_exec *x, const import_plan *p, import_result *r)
{
    tvmaze_options to = import_client_options(x->cfg, x->lim);
    tvmaze_client *tm = x->tm;
    store *st = x->runs ? x->runs : x->st;

    if (!x->seasons || p->files || !r->days_ok || !st || import_upstream_unreachable())
        return;
    if (!tm && !(tm = tvmaze_client_new(&to))) {
        snprintf(r->seasons.error, sizeof(r->seasons.error), "out of memory");
        return;
    }
    seasons_run(st, tm, x->cfg->import_seasons_max, &r->seasons);
    if (tm != x->tm)
        tvmaze_client_free(tm);
}

int import_run_plan(const import_plan *p, const import_exec *x, import_result *r, char *err,
                    size_t errlen)
{
    engine *e = calloc(1, sizeof(*e));
    int rc = -1;

    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->plan = p;
    e->x = x;
    pthread_mutex_init(&e->q.lock, NULL);
    pthread_cond_init(&e->q.changed, NULL);
    if (import_plan_units(p, &e->units, err, errlen) != 0) {
        rc = -2;
        goto done;
    }
    /* a plan that would start in the pause records nothing */
    if (import_upstream_pause_ms() > 0) {
        r->skipped += e->units.n;
        rc = 0;
        goto done;
    }
    if (run_begin(x, p, e, r, err, errlen) != 0)
        goto done;
    if (x->st)
        run_units(e, x->st, x->tm, r);
    else if (e->units.n && run_threads(e, r, err, errlen) != 0)
        goto done;
    if ((rc = run_end(x, p, r, err, errlen)) == 0)
        run_seasons(x, p, r);
done:
    pthread_cond_destroy(&e->q.changed);
    pthread_mutex_destroy(&e->q.lock);
    free(e);
    return rc;
}
