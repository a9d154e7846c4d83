/* GET /api/v1/analytics/{networks,genres,schedule-density}: cached like the
 * other routes (the day is part of the key), read from the replicas when
 * some are configured (spread over them), from the primary when none is or
 * none answers. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config/store_options.h"
#include "api/api_internal.h"
#include "services/analytics.h"
#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"

typedef struct analytics_query {
    report_kind kind;
    int32_t today;
} analytics_query;

/* Replica i, (re)opened at most once a second; NULL while it is down. */
static store *replica(api_thread *t, size_t i)
{
    store_options opt = store_options_on_loop(t->app->cfg, STORE_ROLE_REPLICA, api_db_loop(t));
    char err[256];

    if (!store_open_lazy(&t->replicas[i], &t->replica_retry_at[i], t->app->replica_urls[i], &opt,
                         1000, err, sizeof(err)) &&
        err[0])
        log_warn("replica unavailable", LF_I("replica", (int64_t)i), LF_S("error", err));
    return t->replicas[i];
}

/* The report from the replicas, each read starting at the next one (the
 * load is spread), trying the others when one fails; STORE_EDOWN when none
 * answered. */
static int from_replicas(api_thread *t, const analytics_query *q, report *out)
{
    size_t n = t->app->nreplicas, first = n ? t->replica_next++ % n : 0;
    int rc;

    for (size_t k = 0; k < n; k++) {
        size_t i = (first + k) % n;
        store *rep = replica(t, i);
        if (!rep)
            continue;
        if ((rc = analytics_run(rep, q->kind, q->today, &t->mem, out)) == STORE_OK)
            return STORE_OK;
        /* on the loop a replica connects in the background: one that
         * cannot be reached says so here */
        log_warn(rc == STORE_EDOWN ? "replica unavailable" : "replica query failed",
                 LF_I("replica", (int64_t)i), LF_S("error", store_errmsg(rep)));
        if (api_db_loop(t))
            continue; /* shared by the tasks waiting on it; it reconnects by itself */
        store_close(t->replicas[i]);
        t->replicas[i] = NULL;
        t->replica_retry_at[i] = clock_mono_ms() + 1000;
    }
    return STORE_EDOWN;
}

static int build_report(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const analytics_query *q = ctx;
    store *st;
    report out;
    int rc = from_replicas(t, q, &out);

    (void)r;
    if (rc != STORE_OK && t->app->nreplicas) {
        metrics_inc(M_DB_REPLICA_FALLBACKS);
        log_warn("no replica answered, reading from the primary",
                 LF_I("replicas", (int64_t)t->app->nreplicas));
    }
    if (rc != STORE_OK) {
        if (!(st = api_store(t))) {
            api_unavailable(res);
            return -1;
        }
        if ((rc = analytics_run(st, q->kind, q->today, &t->mem, &out)) != STORE_OK) {
            api_store_error(t, res, rc);
            return -1;
        }
    }
    analytics_json(&out, time(NULL), &t->body);
    return 0;
}

void route_analytics(api_thread *t, api_request *r, http_response *res)
{
    analytics_query q;
    char name[32];
    size_t n = r->match.param_lens[0];

    snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
             r->match.params[0]);
    if (n >= sizeof(name) || analytics_find(name, &q.kind) != 0) {
        api_error(res, 404, "Not found", NULL);
        return;
    }
    q.today = date_today_utc();
    buf_reset(&t->key);
    buf_printf(&t->key, "analytics;%s;%d;", name, q.today);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_report, &q);
}
