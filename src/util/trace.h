/* trace.h — per-request traces: W3C Trace Context in, OTLP/HTTP JSON out.
 *
 * A trace is a tree of spans. A root span is begun where work enters the
 * process: a request on an event loop (a server span, continuing the
 * caller's `traceparent` when it sends a valid one), a job on a worker
 * thread. Child spans (a database statement, a Redis command, an upstream
 * fetch) are begun under the thread's *current* span, a thread-local
 * pointer the code that owns the root sets and restores around its work:
 *
 *     trace_span span, *outer;
 *     trace_begin_root(&span, TRACE_SERVER, "GET", parent_or_NULL);
 *     outer = trace_current_set(&span);
 *     ... handler: db_query() begins and ends its own child spans ...
 *     trace_end(&span);
 *     trace_current_set(outer);
 *
 * Parked work: a request that waits for another server runs as a task on
 * its loop thread (api/wait.c), several of them interleaved. Its server
 * span lives with the parked request and ends when the answer is given;
 * the thread's current span is part of the task's state, set when the task
 * runs and put back when it yields, so each task's children name their own
 * request. A child span that outlives one callback (a Redis command sent
 * now, answered later) is kept with what waits for the answer and ended
 * when it arrives. Nothing in this module assumes that a span ends on the
 * stack frame that began it.
 *
 * Sampling is parent-based: a caller's sampled flag is followed (sampled:
 * recorded; not sampled: not recorded); a new trace is recorded with the
 * probability of the sampler ratio (OTEL_TRACES_SAMPLER_ARG), decided on the
 * trace id's random half so every process agrees. A ratio of 0 records
 * nothing, sampled callers included: it is the switch that turns tracing
 * off. A span that is not recorded still has ids (the server span's go back
 * to the caller in `traceparent`); its children cost a flag test each.
 * Trace ids begin with the Unix time in seconds (4 bytes) and 12 random
 * bytes: the form AWS X-Ray accepts, and still a valid W3C id.
 *
 * Export: trace_end() copies a recorded span into a bounded in-memory queue
 * (a short mutex: one copy, never a wait on the network, never an
 * allocation); when the queue is full the span is dropped and counted
 * (tvshows_trace_spans_dropped_total). An exporter thread POSTs the queue
 * every second, or as soon as a batch has filled, to
 * <endpoint>/v1/traces as OTLP/HTTP JSON, with libcurl; a failed POST is
 * tried once more, then its spans are dropped and counted; spans sent are
 * counted in tvshows_trace_spans_exported_total.
 *
 * Ownership: a trace_span is the caller's storage (a stack frame, a parked
 * request, a driver's row set); its fields are private to trace.c. Attribute
 * keys must be string literals (they are kept by pointer); attribute values
 * and names are copied into the span (truncated at a UTF-8 boundary when the
 * span's text room is used up).
 * Threads: trace_start() before any thread records spans, trace_stop() after
 * they have all ended; everything else may be called from any thread. A
 * span belongs to one thread at a time.
 * Errors: trace_start() returns 0, or -1 with one line in err. */
#ifndef TVSHOWS_TRACE_H
#define TVSHOWS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define TRACE_TRACEPARENT_LEN 55  /* "00-" 32 hex "-" 16 hex "-" 2 hex */
#define TRACE_TRACESTATE_MAX  512 /* longer ones are not passed along */
#define TRACE_NAME_MAX        72
#define TRACE_ATTRS_MAX       10
#define TRACE_TEXT_MAX        448

#define TRACE_DEFAULT_RATIO 0.05 /* with an endpoint and no OTEL_TRACES_SAMPLER_ARG */

/* OTLP's SpanKind numbers */
typedef enum {
    TRACE_INTERNAL = 1,
    TRACE_SERVER = 2,
    TRACE_CLIENT = 3,
    TRACE_CONSUMER = 5
} trace_kind;

typedef struct trace_ctx {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags; /* W3C trace-flags: bit 0 is "sampled" */
} trace_ctx;

typedef struct trace_attr {
    const char *key; /* a string literal */
    int64_t i;
    uint16_t off, len; /* a string value: text[off, off + len) */
    uint8_t is_str;
} trace_attr;

typedef struct trace_span {
    trace_ctx ctx;
    uint8_t parent_id[8];
    uint8_t has_parent; /* a parent span (local, or the caller's) */
    uint8_t remote;     /* the parent came in a traceparent header */
    uint8_t recording;
    uint8_t kind;
    uint8_t error;
    uint8_t nattrs;
    uint16_t text_len;
    int64_t start_ns; /* Unix time */
    int64_t start_mono_ns;
    int64_t end_ns;
    char name[TRACE_NAME_MAX];
    trace_attr attrs[TRACE_ATTRS_MAX];
    char text[TRACE_TEXT_MAX];
} trace_span;

typedef struct trace_options {
    /* OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (spans go to
     * <endpoint>/v1/traces); NULL or "": nothing is recorded */
    const char *endpoint;
    /* OTEL_TRACES_SAMPLER_ARG, "0".."1"; NULL or "": TRACE_DEFAULT_RATIO */
    const char *sampler_arg;
    const char *service_name; /* OTEL_SERVICE_NAME: the resource's service.name */
    /* tests: record into the queue without an endpoint, for trace_collect() */
    int keep;
    /* 0 for the defaults: 2048 queued spans, batches of 512, a POST at
     * least every 1000 ms */
    size_t queue_cap, batch;
    int flush_ms;
} trace_options;

int trace_start(const trace_options *o, char *err, size_t errlen);
/* Sends what is queued (within a few seconds at most), stops the exporter
 * and frees the queue. Safe without trace_start(). */
void trace_stop(void);
/* 0 when s is a sampler ratio: a decimal number from 0 to 1 ("0.05",
 * "1"); exponents, signs, "nan" and the like are refused. */
int trace_ratio_parse(const char *s, double *out);

/* ---- W3C Trace Context ---- */

/* 0 when v[0..n) is a valid version-00 traceparent, strictly: exactly 55
 * characters, lowercase hex, neither id all zeros; -1 otherwise (any other
 * version included). */
int trace_parse_traceparent(const char *v, size_t n, trace_ctx *out);
void trace_format_traceparent(const trace_ctx *c, char out[TRACE_TRACEPARENT_LEN + 1]);
/* 1 when v[0..n) is a tracestate list that may be passed along: at most 32
 * members key=value with the key and value grammar of the specification,
 * at most TRACE_TRACESTATE_MAX bytes. */
int trace_tracestate_valid(const char *v, size_t n);

/* ---- spans ---- */

/* A root span: a child of parent (the caller's context from a
 * traceparent) or of nothing (a new trace id). name may be NULL (set it
 * later). Always gives s ids; records it when sampled. */
void trace_begin_root(trace_span *s, trace_kind kind, const char *name, const trace_ctx *parent);
/* A child of the thread's current span: recorded when that one is,
 * otherwise only marked not recording (nothing else is filled in). */
void trace_begin_child(trace_span *s, trace_kind kind, const char *name);
/* Ends s: a recorded span goes to the export queue. s may be reused. */
void trace_end(trace_span *s);

static inline int trace_recording(const trace_span *s)
{
    return s->recording;
}

/* The thread's current span (NULL: none); set returns the one it replaces. */
trace_span *trace_current(void);
trace_span *trace_current_set(trace_span *s);

/* These do nothing on a span that is not recording. */
void trace_set_name(trace_span *s, const char *name, size_t n);
void trace_attr_str(trace_span *s, const char *key, const char *v);
void trace_attr_strn(trace_span *s, const char *key, const char *v, size_t n);
void trace_attr_int(trace_span *s, const char *key, int64_t v);
void trace_set_error(trace_span *s);

/* The HTTP server span's name ("GET /api/v1/tvshows", or the method alone
 * when no route matched) and attributes (OpenTelemetry's HTTP semantic
 * conventions); a 5xx marks it failed. method is "_OTHER" for a method
 * the server does not know; route may be NULL; path must hold no secret
 * and no query. */
void trace_http_server(trace_span *s, const char *method, size_t method_len, const char *route,
                       const char *path, size_t path_len, int status, int port);

/* ---- the export queue ---- */

/* Encodes n spans as one OTLP ExportTraceServiceRequest in the protobuf
 * JSON mapping (hex ids, times as Unix nanoseconds in strings). 0 or -1
 * when out's cap was reached. */
int trace_encode_otlp(const trace_span *spans, size_t n, const char *service_name, buf *out);
/* Takes everything queued and encodes it into out as one document; the
 * number of spans taken. For tests (trace_options.keep); the exporter
 * thread does the same in batches. */
size_t trace_collect(buf *out);

#endif
