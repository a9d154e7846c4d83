#include "services/jobs.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "services/import.h"
#include "services/seasons.h"
#include "services/webhooks.h"
#include "util/date.h"
#include "util/json.h"
#include "util/log.h"

int jobs_enqueue_plan(queue *q, const import_plan *p, int *enqueued)
{
    buf b;
    jw_writer w;
    int rc = -1;

    buf_init(&b, 4096);
    jw_begin(&w, &b);
    jw_obj_open(&w);
    jw_key(&w, "days");
    jw_int(&w, p->days);
    jw_key(&w, "from");
    jw_str(&w, p->from && *p->from ? p->from : NULL);
    jw_key(&w, "countries");
    jw_str(&w, p->countries);
    jw_key(&w, "web");
    jw_bool(&w, p->web);
    jw_key(&w, "full");
    jw_bool(&w, p->full);
    jw_obj_close(&w);
    if (jw_end(&w) == 0)
        rc = queue_enqueue(q, "import-plan", b.data, "import-plan", 0, enqueued);
    buf_free(&b);
    return rc;
}

/* After an import that brought anything, the seasons step (seasons.h) as
 * a job of its own, when some show is due: one at a time (its key), and
 * never in the way of the import's days. */
static void enqueue_seasons(job_env *env)
{
    int added = 0;

    if (env->cfg->import_seasons_max <= 0 || seasons_due(env->st) != 1)
        return;
    if (queue_enqueue(env->q, "seasons", "{}", "seasons", 0, &added) != 0)
        log_warn("seasons step not enqueued", LF_S("error", queue_errmsg(env->q)));
    else if (added)
        log_info("seasons step enqueued", LF_I("max_shows", env->cfg->import_seasons_max));
}

/* Counts a finished run in the metrics and the log; a run finished before
 * whose outcome a late day changed is logged, not counted again. */
static void run_finished(job_env *env, int64_t run, const char *status, int first)
{
    if (!first) {
        log_info("import run outcome changed", LF_I("run", run), LF_S("status", status));
        return;
    }
    import_count_run(status);
    log_info("import run finished", LF_I("run", run), LF_S("status", status));
    if (strcmp(status, "failed"))
        enqueue_seasons(env);
}

static void warn_run(store *st, int64_t run)
{
    log_warn("cannot update import run", LF_I("run", run), LF_S("error", store_errmsg(st)));
}

/* Reports a day's outcome to its run (ok, or failed: its job is dead) with
 * the attempt's counts; the run finishes with its last day. */
static void report_day(job_env *env, int64_t run, const char *day, const char *source, int ok,
                       const import_result *r, const char *error)
{
    store_run d = {0};
    const char *status = NULL;
    int first = 0;

    if (!run)
        return;
    if (r) {
        d.requests = r->net.requests;
        d.retries = r->net.retries;
        d.upserted = r->upserted;
        d.removed = r->removed;
    }
    if (store_run_unit_done(env->st, run, day, source, ok, error, &d, &status, &first) !=
        STORE_OK) {
        warn_run(env->st, run);
        return;
    }
    if (status)
        run_finished(env, run, status, first);
}

/* A failed attempt that will be retried: only its requests count now. */
static void report_attempt(job_env *env, int64_t run, const import_result *r)
{
    store_run d = {0};

    d.requests = r->net.requests;
    d.retries = r->net.retries;
    if (run && store_run_add(env->st, run, &d, NULL, NULL) != STORE_OK)
        warn_run(env->st, run);
}

/* Enqueues a (day, source) of a run, unless a job for that day is queued
 * or running already (*added 0). */
static int enqueue_day(queue *q, int64_t run, const char *day, const char *source, int *added)
{
    char payload[160], key[96];

    snprintf(payload, sizeof(payload), "{\"day\":\"%.10s\",\"source\":\"%.24s\",\"run\":%lld}", day,
             source, (long long)run);
    snprintf(key, sizeof(key), "import-day:%.10s:%.24s", day, source);
    return queue_enqueue(q, "import-day", payload, key, 0, added);
}

/* Enqueues a planned (day, source): *added is 0 when the queue had a job
 * for that day already (another run's: the unit is dropped from this one),
 * -1 with err when the queue or the database failed. */
static int enqueue_unit(job_env *env, int64_t run, const char *day, const char *source, int *added,
                        char *err, size_t errlen)
{
    if (enqueue_day(env->q, run, day, source, added) != 0) {
        snprintf(err, errlen, "queue unavailable: %s", queue_errmsg(env->q));
        return -1;
    }
    if (!*added && store_run_drop_unit(env->st, run, day, source) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(env->st));
        return -1;
    }
    return 0;
}

/* The window of an import-plan job's payload. */
static import_plan plan_of(json_t *p)
{
    import_plan plan = {.days = (int)json_integer_value(json_object_get(p, "days")),
                        .from = json_string_value(json_object_get(p, "from")),
                        .countries = json_string_value(json_object_get(p, "countries")),
                        .web = json_is_true(json_object_get(p, "web"))};

    return plan;
}

static int fan_out(job_env *env, json_t *p, char *err, size_t errlen)
{
    import_plan plan = plan_of(p);
    import_units u;
    char day[DATE_LEN + 1], why[128];
    const char *status;
    int64_t run, queued = 0;

    if (import_plan_units(&plan, &u, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad plan: %s", why);
        return -1;
    }
    if (store_run_begin(env->st, "days", 0, &run) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(env->st));
        return -1;
    }
    /* every unit is planned before any is enqueued: a job may report before
     * the fan-out ends, and the run must not look complete until all are in */
    for (int64_t i = 0; i < u.n; i++) {
        const char *source = import_unit_at(&u, i, day);
        if (store_run_plan_unit(env->st, run, day, source) != STORE_OK) {
            snprintf(err, errlen, "%s", store_errmsg(env->st));
            store_run_delete(env->st, run);
            return -1;
        }
    }
    for (int64_t i = 0; i < u.n; i++) {
        int added = 0;
        const char *source = import_unit_at(&u, i, day);
        if (enqueue_unit(env, run, day, source, &added, err, errlen) != 0) {
            /* the rest stay planned: the scheduler's reaper enqueues the
             * days of a run whose jobs never made it */
            log_warn("import plan cut short", LF_I("run", run), LF_S("error", err));
            return 0;
        }
        queued += added;
    }
    if (!queued) {
        store_run_delete(env->st, run); /* nothing new to do: no run */
        return 0;
    }
    log_info("import plan queued", LF_I("run", run), LF_I("days", queued));
    /* its days may all be in already */
    if (store_run_settle(env->st, run, &status) == STORE_OK && status)
        run_finished(env, run, status, 1);
    return 0;
}

/* The worker's thread runs a unit on its own store and client. */
static import_exec exec_of(job_env *env)
{
    import_exec x = {.cfg = env->cfg, .st = env->st, .tm = env->tm};

    return x;
}

static int run_day(job_env *env, json_t *p, char *err, size_t errlen)
{
    const char *day = json_string_value(json_object_get(p, "day"));
    const char *source = json_string_value(json_object_get(p, "source"));
    int64_t run = json_integer_value(json_object_get(p, "run"));
    import_plan plan = {.days = 1, .from = day, .source = source};
    import_exec x = exec_of(env);
    import_result r;
    int32_t d;

    if (!day || !source || date_parse(day, strlen(day), &d) != 0) {
        snprintf(err, errlen, "bad import-day payload");
        return -1;
    }
    /* a day fetched while the database is away would be fetched again by
     * every retry: ask the upstream only once the day can be written */
    if (store_ping(env->st) != STORE_OK) {
        snprintf(err, errlen, "database unavailable: %s", store_errmsg(env->st));
        return JOBS_EDEFER;
    }
    memset(&r, 0, sizeof(r));
    if (import_run_plan(&plan, &x, &r, err, errlen) != 0)
        return -1;
    if (r.skipped) {
        snprintf(err, errlen, "TVmaze unreachable: imports paused");
        return JOBS_EUPSTREAM;
    }
    if (!r.days_failed) {
        report_day(env, run, day, source, 1, &r, NULL);
        return 0;
    }
    /* the day is counted failed only when the queue gives up on it; this
     * attempt's requests count now */
    report_attempt(env, run, &r);
    snprintf(err, errlen, "%s", r.error);
    return r.unreachable ? JOBS_EUPSTREAM : -1;
}

static int run_full(job_env *env, char *err, size_t errlen)
{
    import_plan plan = {.full = 1};
    import_exec x = exec_of(env);
    import_result r;

    memset(&r, 0, sizeof(r));
    x.runs = env->st;
    if (import_run_plan(&plan, &x, &r, err, errlen) != 0) {
        if (!r.run || !r.days_ok)
            return -1;
        /* the days are in; only the run's record is behind */
        warn_run(env->st, r.run);
    } else if (r.skipped) {
        snprintf(err, errlen, "TVmaze unreachable: imports paused");
        return JOBS_EUPSTREAM;
    } else {
        log_info("import run finished", LF_I("run", r.run), LF_S("status", r.status));
    }
    if (r.days_failed && !r.days_ok) {
        snprintf(err, errlen, "%s", r.error);
        return -1;
    }
    if (r.days_ok)
        enqueue_seasons(env);
    return 0;
}

/* The seasons step: whatever the upstream did, the job is done (the next
 * import's step asks again); only a store that failed retries it. */
static int run_seasons(job_env *env, char *err, size_t errlen)
{
    seasons_result r;

    if (store_ping(env->st) != STORE_OK) {
        snprintf(err, errlen, "database unavailable: %s", store_errmsg(env->st));
        return JOBS_EDEFER;
    }
    if (seasons_run(env->st, env->tm, env->cfg->import_seasons_max, &r) != 0) {
        snprintf(err, errlen, "%s", r.error);
        return -1;
    }
    return 0;
}

/* A plan while a queued run is in progress would re-import most of its
 * days as a second run: it is skipped (the scheduler's next tick, or the
 * operator once the run is over, plans again). 1 when skipped. */
static int plan_overlaps(job_env *env)
{
    int64_t run, done, total;

    if (store_run_in_progress(env->st, &run, &done, &total) != STORE_OK)
        return 0;
    log_info("import plan skipped: a run is in progress", LF_I("run", run), LF_I("days_in", done),
             LF_I("days", total));
    return 1;
}

int jobs_use_upstream(const queue_job *job)
{
    return !strcmp(job->type, "import-day") || !strcmp(job->type, "import-full") ||
           !strcmp(job->type, "seasons");
}

int jobs_run(job_env *env, const queue_job *job, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *p = json_loads(job->payload ? job->payload : "", 0, &jerr);
    int rc = -1;

    if (!json_is_object(p)) {
        snprintf(err, errlen, "payload is not a JSON object");
    } else if (!strcmp(job->type, "import-plan")) {
        if (plan_overlaps(env)) {
            rc = 0;
        } else if (json_is_true(json_object_get(p, "full"))) {
            int added;
            rc = queue_enqueue(env->q, "import-full", "{}", "import-full", 0, &added);
            if (rc)
                snprintf(err, errlen, "queue unavailable");
        } else {
            rc = fan_out(env, p, err, errlen);
        }
    } else if (!strcmp(job->type, "import-day")) {
        rc = run_day(env, p, err, errlen);
    } else if (!strcmp(job->type, "import-full")) {
        rc = run_full(env, err, errlen);
    } else if (!strcmp(job->type, "seasons")) {
        rc = run_seasons(env, err, errlen);
    } else if (!strcmp(job->type, "webhook")) {
        rc = webhooks_deliver(env->st, json_integer_value(json_object_get(p, "webhook")), err,
                              errlen);
    } else {
        snprintf(err, errlen, "unknown job type \"%.31s\"", job->type);
    }
    json_decref(p);
    return rc;
}

static const char *jstr(const json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));

    return v ? v : "?";
}

int64_t jobs_reap(store *st, queue *q, int64_t stalled_ms)
{
    arena a;
    store_page page;
    int64_t total = 0, n = 0;
    int failed = 0;

    arena_init(&a, 16 * 1024);
    if (store_run_stalled_units(st, clock_now_ms() - stalled_ms, 1000, &a, &page) != STORE_OK) {
        failed = 1;
        goto done;
    }
    for (size_t i = 0; i < page.n && !failed; i++) {
        const store_run_unit *u = page.rows[i];
        int added = 0;
        failed = enqueue_day(q, u->run, u->day, u->source, &added) != 0;
        n += added;
        /* one line a run: at its last unit of the page */
        if (n && (failed || i + 1 == page.n ||
                  ((const store_run_unit *)page.rows[i + 1])->run != u->run)) {
            log_warn("import run lost its jobs: days enqueued again", LF_I("run", u->run),
                     LF_I("days", n));
            total += n;
            n = 0;
        }
    }
done:
    arena_free(&a);
    return failed ? -1 : total;
}

void jobs_on_dead(job_env *env, const queue_job *job, const char *error)
{
    json_error_t jerr;
    json_t *p;

    if (!strcmp(job->type, "webhook")) {
        /* its cursor has not moved: the next dispatch starts over */
        log_warn("webhook delivery given up after its last attempt", LF_S("error", error));
        return;
    }
    if (strcmp(job->type, "import-day"))
        return;
    if (!(p = json_loads(job->payload ? job->payload : "", 0, &jerr)))
        return;
    report_day(env, json_integer_value(json_object_get(p, "run")), jstr(p, "day"),
               jstr(p, "source"), 0, NULL, error);
    json_decref(p);
}
