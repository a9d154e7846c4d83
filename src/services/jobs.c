#include "services/jobs.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "services/import.h"
#include "util/date.h"
#include "util/json.h"
#include "util/log.h"
#include "util/metrics.h"

#define MAX_SOURCES 64

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

/* Counts a finished run in the metrics and the log. */
static void run_finished(int64_t run, const char *status)
{
    metrics_import_run(!strcmp(status, "succeeded") ? M_RUN_SUCCEEDED
                       : !strcmp(status, "partial") ? M_RUN_PARTIAL
                                                    : M_RUN_FAILED);
    if (strcmp(status, "failed"))
        metrics_gauge_set(M_LAST_IMPORT_SUCCESS, (int64_t)time(NULL));
    log_info("import run finished", LF_I("run", run), LF_S("status", status));
}

/* Adds a day's outcome to its run and finishes the run when it was the last. */
static void report(job_env *env, int64_t run, const import_result *r, const char *failed_day,
                   const char *error)
{
    store_run d = {0};
    const char *status = NULL;

    d.days_ok = r ? r->days_ok : 0;
    d.days_failed = failed_day ? 1 : 0;
    d.requests = r ? r->net.requests : 0;
    d.retries = r ? r->net.retries : 0;
    d.upserted = r ? r->upserted : 0;
    d.removed = r ? r->removed : 0;
    if (!run)
        return;
    if (store_run_add(env->st, run, &d, failed_day, error) != STORE_OK ||
        store_run_finish_if_complete(env->st, run, &status) != STORE_OK) {
        log_warn("cannot update import run", LF_I("run", run),
                 LF_S("error", store_errmsg(env->st)));
        return;
    }
    if (status)
        run_finished(run, status);
}

static int fan_out(job_env *env, json_t *p, char *err, size_t errlen)
{
    char sources[MAX_SOURCES][IMPORT_SOURCE_MAX], day[DATE_LEN + 1], payload[160], key[96];
    const char *from = json_string_value(json_object_get(p, "from"));
    const char *countries = json_string_value(json_object_get(p, "countries"));
    int days = (int)json_integer_value(json_object_get(p, "days"));
    int web = json_is_true(json_object_get(p, "web"));
    int32_t start = date_today_utc();
    size_t nsources;
    store_run d = {0};
    int64_t run;

    if (from && date_parse(from, strlen(from), &start) != 0) {
        snprintf(err, errlen, "bad plan: from \"%.20s\"", from);
        return -1;
    }
    nsources = import_sources(countries ? countries : "", web, sources, MAX_SOURCES);
    if (store_run_begin(env->st, "days", 0, &run) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(env->st));
        return -1;
    }
    for (int i = 0; i < days; i++) {
        for (size_t s = 0; s < nsources; s++) {
            int added = 0;
            date_format(start + i, day);
            snprintf(payload, sizeof(payload), "{\"day\":\"%s\",\"source\":\"%s\",\"run\":%lld}",
                     day, sources[s], (long long)run);
            snprintf(key, sizeof(key), "import-day:%s:%s", day, sources[s]);
            /* a day already queued or running is not queued twice */
            if (queue_enqueue(env->q, "import-day", payload, key, 0, &added) != 0) {
                snprintf(err, errlen, "queue unavailable");
                return -1;
            }
            d.days_total += added;
        }
    }
    if (!d.days_total) {
        store_run_delete(env->st, run); /* nothing new to do: no run */
        return 0;
    }
    store_run_add(env->st, run, &d, NULL, NULL);
    log_info("import plan queued", LF_I("run", run), LF_I("days", d.days_total));
    return 0;
}

static int run_day(job_env *env, json_t *p, char *err, size_t errlen)
{
    const char *day = json_string_value(json_object_get(p, "day"));
    const char *source = json_string_value(json_object_get(p, "source"));
    int64_t run = json_integer_value(json_object_get(p, "run"));
    import_result r;
    int32_t d;

    if (!day || !source || date_parse(day, strlen(day), &d) != 0) {
        snprintf(err, errlen, "bad import-day payload");
        return -1;
    }
    memset(&r, 0, sizeof(r));
    if (import_day(env->st, env->tm, source, d, &r) == 0) {
        report(env, run, &r, NULL, NULL);
        return 0;
    }
    /* the day is counted failed only when the queue gives up on it; this
     * attempt's requests count now */
    r.days_ok = r.upserted = r.removed = 0;
    report(env, run, &r, NULL, NULL);
    snprintf(err, errlen, "%s", r.error);
    return -1;
}

static int run_full(job_env *env, char *err, size_t errlen)
{
    import_result r;
    const char *status;
    int64_t run;

    memset(&r, 0, sizeof(r));
    if (store_run_begin(env->st, "full", 0, &run) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(env->st));
        return -1;
    }
    import_full(env->st, env->tm, NULL, NULL, &r);
    if (import_finish_run(env->st, run, &r, r.days_ok + r.days_failed, &status) == STORE_OK)
        run_finished(run, status);
    if (r.days_failed && !r.days_ok) {
        snprintf(err, errlen, "%s", r.error);
        return -1;
    }
    return 0;
}

int jobs_run(job_env *env, const queue_job *job, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *p = json_loads(job->payload ? job->payload : "", 0, &jerr);
    int rc = -1;

    if (!json_is_object(p)) {
        snprintf(err, errlen, "payload is not a JSON object");
    } else if (!strcmp(job->type, "import-plan")) {
        if (json_is_true(json_object_get(p, "full"))) {
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

void jobs_on_dead(job_env *env, const queue_job *job, const char *error)
{
    json_error_t jerr;
    json_t *p;
    char unit[64];

    if (strcmp(job->type, "import-day"))
        return;
    if (!(p = json_loads(job->payload ? job->payload : "", 0, &jerr)))
        return;
    snprintf(unit, sizeof(unit), "%.10s/%.24s", jstr(p, "day"), jstr(p, "source"));
    report(env, json_integer_value(json_object_get(p, "run")), NULL, unit, error);
    json_decref(p);
}
