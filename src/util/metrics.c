#include "util/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define ROUTES   (METRICS_MAX_ROUTES + 1) /* the last one: requests with no route */
#define METHODS  8
#define NBUCKETS 14

static const int status_codes[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 410,
                                   413, 414, 415, 417, 422, 429, 431, 500, 501, 503, 505};
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]) + 1)

static const double buckets[NBUCKETS - 1] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                             0.1,    0.25,  0.5,    1,     2.5,  5};
static const char *const method_names[METHODS] = {"GET",    "HEAD",  "POST",    "PUT",
                                                  "DELETE", "PATCH", "OPTIONS", "OTHER"};

static _Atomic uint64_t counters[M_COUNTER_COUNT];
static _Atomic int64_t gauges[M_GAUGE_COUNT];
static _Atomic uint64_t refusals[M_REFUSE_COUNT];
static _Atomic uint64_t runs[M_RUN_COUNT];
static _Atomic uint64_t requests[ROUTES][METHODS][NSTATUS];
static _Atomic uint64_t latency[ROUTES][NBUCKETS];
static _Atomic uint64_t latency_sum_us[ROUTES];

static const char *route_names[ROUTES];
static size_t nroutes;

#define MAX_COLLECTORS 8
static struct {
    metrics_collector fn;
    void *ud;
} collectors[MAX_COLLECTORS];
static size_t ncollectors;
static pthread_mutex_t collectors_lock = PTHREAD_MUTEX_INITIALIZER;

void metrics_inc(metric_counter c)
{
    atomic_fetch_add_explicit(&counters[c], 1, memory_order_relaxed);
}

void metrics_add(metric_counter c, uint64_t n)
{
    atomic_fetch_add_explicit(&counters[c], n, memory_order_relaxed);
}

void metrics_gauge_set(metric_gauge g, int64_t v)
{
    atomic_store_explicit(&gauges[g], v, memory_order_relaxed);
}

void metrics_gauge_add(metric_gauge g, int64_t v)
{
    atomic_fetch_add_explicit(&gauges[g], v, memory_order_relaxed);
}

void metrics_refusal(metric_refusal r)
{
    atomic_fetch_add_explicit(&refusals[r], 1, memory_order_relaxed);
}

void metrics_import_run(metric_run r)
{
    atomic_fetch_add_explicit(&runs[r], 1, memory_order_relaxed);
}

void metrics_set_routes(const char *const *names, size_t n)
{
    nroutes = n > METRICS_MAX_ROUTES ? METRICS_MAX_ROUTES : n;
    for (size_t i = 0; i < nroutes; i++)
        route_names[i] = names[i];
}

static size_t status_index(int status)
{
    for (size_t i = 0; i < NSTATUS - 1; i++)
        if (status_codes[i] == status)
            return i;
    return NSTATUS - 1;
}

void metrics_request(int route, int method, int status, double seconds)
{
    size_t r = route >= 0 && (size_t)route < nroutes ? (size_t)route : ROUTES - 1;
    size_t m = method >= 0 && method < METHODS ? (size_t)method : METHODS - 1;
    size_t b = 0;

    atomic_fetch_add_explicit(&requests[r][m][status_index(status)], 1, memory_order_relaxed);
    while (b < NBUCKETS - 1 && seconds > buckets[b])
        b++;
    atomic_fetch_add_explicit(&latency[r][b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&latency_sum_us[r], (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

void metrics_add_collector(metrics_collector fn, void *ud)
{
    pthread_mutex_lock(&collectors_lock);
    if (ncollectors < MAX_COLLECTORS) {
        collectors[ncollectors].fn = fn;
        collectors[ncollectors].ud = ud;
        ncollectors++;
    }
    pthread_mutex_unlock(&collectors_lock);
}

void metrics_remove_collector(metrics_collector fn, void *ud)
{
    pthread_mutex_lock(&collectors_lock);
    for (size_t i = 0; i < ncollectors; i++) {
        if (collectors[i].fn == fn && collectors[i].ud == ud) {
            collectors[i] = collectors[--ncollectors];
            break;
        }
    }
    pthread_mutex_unlock(&collectors_lock);
}

uint64_t metrics_counter_value(metric_counter c)
{
    return atomic_load_explicit(&counters[c], memory_order_relaxed);
}

void metrics_totals_get(metrics_totals *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t r = 0; r < ROUTES; r++) {
        out->latency_us += atomic_load_explicit(&latency_sum_us[r], memory_order_relaxed);
        for (size_t m = 0; m < METHODS; m++) {
            for (size_t st = 0; st < NSTATUS; st++) {
                uint64_t v = atomic_load_explicit(&requests[r][m][st], memory_order_relaxed);
                out->requests += v;
                if (st < NSTATUS - 1 ? status_codes[st] >= 500 : 0)
                    out->errors_5xx += v;
            }
        }
    }
    out->db_connect_failures = metrics_counter_value(M_DB_CONNECT_FAILURES);
    out->import_failures = metrics_counter_value(M_IMPORT_FAILURES);
}

static const char *route_label(size_t r)
{
    return r < nroutes ? route_names[r] : "none";
}

static void render_counter(buf *out, const char *name, const char *help, uint64_t v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
               (unsigned long long)v);
}

/* A counter with one label: name{label="names[i]"} values[i]. */
static void render_labeled(buf *out, const char *name, const char *help, const char *label,
                           const char *const *names, _Atomic uint64_t *values, int n)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (int i = 0; i < n; i++)
        buf_printf(out, "%s{%s=\"%s\"} %llu\n", name, label, names[i],
                   (unsigned long long)atomic_load(&values[i]));
}

static void render_requests(buf *out)
{
    buf_puts(out, "# HELP tvshows_http_requests_total HTTP requests by route, method and status.\n"
                  "# TYPE tvshows_http_requests_total counter\n");
    for (size_t r = 0; r < ROUTES; r++) {
        for (size_t m = 0; m < METHODS; m++) {
            for (size_t s = 0; s < NSTATUS; s++) {
                uint64_t v = atomic_load_explicit(&requests[r][m][s], memory_order_relaxed);
                char code[8];
                if (!v)
                    continue;
                if (s < NSTATUS - 1)
                    snprintf(code, sizeof(code), "%d", status_codes[s]);
                else
                    snprintf(code, sizeof(code), "other");
                buf_printf(out,
                           "tvshows_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} "
                           "%llu\n",
                           route_label(r), method_names[m], code, (unsigned long long)v);
            }
        }
    }
    buf_puts(out, "# HELP tvshows_http_request_duration_seconds Request latency by route.\n"
                  "# TYPE tvshows_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r < ROUTES; r++) {
        uint64_t cum = 0;
        for (size_t b = 0; b < NBUCKETS; b++)
            cum += atomic_load_explicit(&latency[r][b], memory_order_relaxed);
        if (!cum)
            continue;
        cum = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += atomic_load_explicit(&latency[r][b], memory_order_relaxed);
            if (b < NBUCKETS - 1)
                buf_printf(out,
                           "tvshows_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} "
                           "%llu\n",
                           route_label(r), buckets[b], (unsigned long long)cum);
            else
                buf_printf(out,
                           "tvshows_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} "
                           "%llu\n",
                           route_label(r), (unsigned long long)cum);
        }
        buf_printf(out, "tvshows_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                   route_label(r),
                   (double)atomic_load_explicit(&latency_sum_us[r], memory_order_relaxed) / 1e6);
        buf_printf(out, "tvshows_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                   route_label(r), (unsigned long long)cum);
    }
}

static void render_process(buf *out)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, resident = 0;

    if (f) {
        if (fscanf(f, "%lu %lu", &size, &resident) != 2)
            size = resident = 0;
        fclose(f);
    }
    buf_printf(out,
               "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
               "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %lu\n"
               "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
               "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %lu\n",
               resident * 4096, size * 4096);
}

/* Every plain counter and gauge, by id: what is counted is what is
 * rendered, and a new one is one line here. */
static const struct metric_def {
    const char *name, *help;
} counter_defs[M_COUNTER_COUNT] = {
    [M_DB_ERRORS] = {"tvshows_db_errors_total", "Database statements that failed."},
    [M_DB_CONNECT_FAILURES] = {"tvshows_db_connect_failures_total",
                               "Attempts to connect to the database that failed."},
    [M_DB_RECONNECTS] = {"tvshows_db_reconnects_total", "Database connections re-established."},
    [M_DB_REPLICA_FALLBACKS] = {"tvshows_db_replica_fallbacks_total",
                                "Reads sent to the primary because the replica was down."},
    [M_CACHE_HITS] = {"tvshows_cache_hits_total", "Response cache hits (process memory)."},
    [M_CACHE_MISSES] = {"tvshows_cache_misses_total", "Response cache misses."},
    [M_CACHE_L2_HITS] = {"tvshows_cache_l2_hits_total", "Response cache hits in Redis."},
    [M_CACHE_STORES] = {"tvshows_cache_stores_total", "Responses stored in the cache."},
    [M_CACHE_EVICTIONS] = {"tvshows_cache_evictions_total", "Entries evicted from the cache."},
    [M_REDIS_ERRORS] = {"tvshows_redis_errors_total", "Redis commands that failed."},
    [M_IMPORT_EPISODES_UPSERTED] = {"tvshows_import_episodes_upserted_total",
                                    "Episodes inserted or changed by imports."},
    [M_IMPORT_EPISODES_REMOVED] = {"tvshows_import_episodes_removed_total",
                                   "Episodes removed because upstream stopped listing them."},
    [M_IMPORT_REQUESTS] = {"tvshows_import_requests_total", "Requests sent to TVmaze."},
    [M_IMPORT_RETRIES] = {"tvshows_import_retries_total", "TVmaze requests retried."},
    [M_IMPORT_FAILURES] = {"tvshows_import_failures_total",
                           "Import days (day, source) that failed."},
    [M_IMPORT_LARGE_REMOVALS] = {"tvshows_import_large_removals_total",
                                 "Imported days that dropped more than IMPORT_REMOVAL_WARN "
                                 "percent of their listings."},
    [M_WEBHOOK_DELIVERIES] = {"tvshows_webhook_deliveries_total",
                              "Webhook deliveries (batches of changes) accepted with a 2xx."},
    [M_WEBHOOK_FAILURES] = {"tvshows_webhook_failures_total",
                            "Webhook delivery attempts that failed (the queue retries them)."},
    [M_JOBS_COMPLETED] = {"tvshows_jobs_completed_total", "Jobs that ran to success."},
    [M_JOBS_FAILED] = {"tvshows_jobs_failed_total", "Job attempts that failed."},
    [M_TRACE_SPANS_EXPORTED] = {"tvshows_trace_spans_exported_total",
                                "Trace spans the OTLP collector accepted."},
    [M_TRACE_SPANS_DROPPED] = {"tvshows_trace_spans_dropped_total",
                               "Trace spans dropped: the export queue was full, or the "
                               "collector failed twice."},
};

static const struct metric_def gauge_defs[M_GAUGE_COUNT] = {
    [M_IN_FLIGHT] = {"tvshows_http_in_flight", "Requests being handled now."},
    [M_LAST_IMPORT_SUCCESS] = {"tvshows_import_last_success_timestamp_seconds",
                               "When the last import succeeded."},
    [M_CACHE_BYTES] = {"tvshows_cache_bytes", "Bytes held by the response cache."},
};

void metrics_render(buf *out)
{
    static const char *const refusal_names[M_REFUSE_COUNT] = {"rate_limit_ip", "rate_limit_key",
                                                              "blocklist",     "auth_missing",
                                                              "auth_bad_key",  "auth_bad_token"};
    static const char *const run_names[M_RUN_COUNT] = {"succeeded", "partial", "failed"};

    render_requests(out);
    for (int i = 0; i < M_COUNTER_COUNT; i++)
        render_counter(out, counter_defs[i].name, counter_defs[i].help,
                       metrics_counter_value((metric_counter)i));
    for (int i = 0; i < M_GAUGE_COUNT; i++)
        buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", gauge_defs[i].name,
                   gauge_defs[i].help, gauge_defs[i].name, gauge_defs[i].name,
                   (long long)atomic_load(&gauges[i]));
    render_labeled(out, "tvshows_refusals_total", "Requests refused, by reason.", "reason",
                   refusal_names, refusals, M_REFUSE_COUNT);
    render_labeled(out, "tvshows_import_runs_total", "Import runs, by outcome.", "status",
                   run_names, runs, M_RUN_COUNT);
    render_process(out);
    pthread_mutex_lock(&collectors_lock);
    for (size_t i = 0; i < ncollectors; i++)
        collectors[i].fn(out, collectors[i].ud);
    pthread_mutex_unlock(&collectors_lock);
}
