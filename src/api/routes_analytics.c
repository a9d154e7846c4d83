/* GET /api/v1/analytics/{networks,genres,schedule-density}: cached like the
 * other routes (the day is part of the key), read from the replica when one
 * is configured, from the primary when it is not or is down. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "services/analytics.h"
#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"

typedef struct analytics_query {
    report_kind kind;
    int32_t today;
} analytics_query;

/* The replica, (re)opened at most once a second; NULL when there is none. */
static store *replica(api_thread *t)
{
    const config *cfg = t->app->cfg;
    store_options opt = {"tvshows-analytics", cfg->db_statement_timeout_ms * 6, cfg->slow_query_ms,
                         NULL};
    int64_t now = clock_mono_ms();
    char err[256];

    if (t->replica || !cfg->database_replica_url[0] || now < t->replica_retry_at)
        return t->replica;
    if (store_open(&t->replica, cfg->database_replica_url, &opt, err, sizeof(err)) != STORE_OK) {
        t->replica = NULL;
        t->replica_retry_at = now + 1000;
        log_warn("replica unavailable, reading from the primary", LF_S("error", err));
    }
    return t->replica;
}

static int build_report(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const analytics_query *q = ctx;
    store *rep = replica(t), *st;
    report out;
    int rc = STORE_EDOWN;

    (void)r;
    if (rep && (rc = analytics_run(rep, q->kind, q->today, &t->mem, &out)) != STORE_OK) {
        log_warn("replica query failed, reading from the primary",
                 LF_S("error", store_errmsg(rep)));
        store_close(t->replica);
        t->replica = NULL;
        t->replica_retry_at = clock_mono_ms() + 1000;
    }
    if (rc != STORE_OK && t->app->cfg->database_replica_url[0])
        metrics_inc(M_DB_REPLICA_FALLBACKS);
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
