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

/* A plan being run: its units taken in order from a shared counter. */
typedef struct engine {
    const import_plan *plan;
    const import_exec *x;
    import_units units;
    _Atomic int64_t next;
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
    int ok;

    if (e->plan->files) {
        import_file(st, e->plan->files[i], x->progress, x->ud, r);
    } else if (e->plan->full) {
        import_full(st, tm, x->progress, x->ud, r);
    } else {
        source = import_unit_at(&e->units, i, day);
        ok = import_day(st, tm, source, e->units.from + (int32_t)(i / (int64_t)e->units.nsources),
                        r) == 0;
        if (x->progress)
            x->progress(x->ud, day, source, ok, r);
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

/* Runs the units on up to CONCURRENCY threads, each with its own
 * connection and HTTP client; the limiter keeps the upstream's rate for
 * all of them. */
static int run_threads(engine *e, import_result *r, char *err, size_t errlen)
{
    int64_t n = e->x->cfg->concurrency < e->units.n ? e->x->cfg->concurrency : e->units.n;
    int want = n > 0 ? (int)n : 1, started = 0, rc = 0;
    engine_thread *ts = calloc((size_t)want, sizeof(*ts));

    if (!ts) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (; started < want; started++) {
        ts[started].e = e;
        if (pthread_create(&ts[started].thread, NULL, engine_thread_main, &ts[started]) != 0)
            break;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(ts[i].thread, NULL);
        result_add(r, &ts[i].r);
        if (ts[i].err[0] && rc == 0) {
            snprintf(err, errlen, "cannot start: %s", ts[i].err);
            rc = -1;
        }
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
    rc = run_end(x, p, r, err, errlen);
done:
    free(e);
    return rc;
}
