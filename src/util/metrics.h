/* metrics.h — the process-wide metrics registry, rendered in Prometheus text
 * format (exposition format 0.0.4).
 *
 * Counters and gauges are relaxed atomics: updating one costs an atomic add
 * and never takes a lock, so the request path can count freely. Labelled
 * families use small fixed label sets (routes are registered once at start).
 * Thread-safe. */
#ifndef TVSHOWS_METRICS_H
#define TVSHOWS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum {
    M_DB_ERRORS,
    M_DB_CONNECT_FAILURES,
    M_DB_RECONNECTS,
    M_DB_REPLICA_FALLBACKS,
    M_CACHE_HITS,
    M_CACHE_MISSES,
    M_CACHE_L2_HITS,
    M_CACHE_STORES,
    M_CACHE_EVICTIONS,
    M_REDIS_ERRORS,
    M_IMPORT_EPISODES_UPSERTED,
    M_IMPORT_EPISODES_REMOVED,
    M_IMPORT_REQUESTS,
    M_IMPORT_RETRIES,
    M_IMPORT_FAILURES,       /* (day, source) units that failed */
    M_IMPORT_LARGE_REMOVALS, /* days that dropped most of their listings */
    M_WEBHOOK_DELIVERIES,    /* batches a webhook accepted */
    M_WEBHOOK_FAILURES,      /* attempts that failed (retried by the queue) */
    M_JOBS_COMPLETED,
    M_JOBS_FAILED,
    M_TRACE_SPANS_EXPORTED, /* accepted by the collector */
    M_TRACE_SPANS_DROPPED,  /* queue full, or the collector did not take them */
    M_COUNTER_COUNT
} metric_counter;

typedef enum {
    M_IN_FLIGHT,
    M_LAST_IMPORT_SUCCESS, /* Unix seconds */
    M_CACHE_BYTES,
    M_GAUGE_COUNT
} metric_gauge;

/* refusals by reason */
typedef enum {
    M_REFUSE_RATE_IP,
    M_REFUSE_RATE_KEY,
    M_REFUSE_BLOCKLIST,
    M_REFUSE_AUTH_MISSING,
    M_REFUSE_AUTH_BAD_KEY,
    M_REFUSE_AUTH_BAD_TOKEN,
    M_REFUSE_COUNT
} metric_refusal;

typedef enum { M_RUN_SUCCEEDED, M_RUN_PARTIAL, M_RUN_FAILED, M_RUN_COUNT } metric_run;

#define METRICS_MAX_ROUTES 32

void metrics_inc(metric_counter c);
void metrics_add(metric_counter c, uint64_t n);
void metrics_gauge_set(metric_gauge g, int64_t v);
void metrics_gauge_add(metric_gauge g, int64_t v);
void metrics_refusal(metric_refusal r);
void metrics_import_run(metric_run r);

/* Route names are registered before serving; index = route number. */
void metrics_set_routes(const char *const *names, size_t n);
/* One finished request: route (index, or -1 for no route), method text,
 * status and latency. */
void metrics_request(int route, int method, int status, double seconds);

/* Lines that only their owner can compute, asked for at each scrape (the
 * worker's jobs by type and state). */
typedef void (*metrics_collector)(buf *out, void *ud);
void metrics_add_collector(metrics_collector fn, void *ud);
void metrics_remove_collector(metrics_collector fn, void *ud);

void metrics_render(buf *out);

/* Totals since start, for the CloudWatch EMF emitter (which sends deltas). */
typedef struct metrics_totals {
    uint64_t requests, errors_5xx, latency_us;
    uint64_t db_connect_failures, import_failures;
} metrics_totals;

void metrics_totals_get(metrics_totals *out);
uint64_t metrics_counter_value(metric_counter c);

#endif
