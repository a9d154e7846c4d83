/* Spans, W3C Trace Context, the export queue and the OTLP/HTTP exporter
 * thread (see trace.h). */
#include "util/trace.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/hash.h"
#include "util/json.h" /* json_escape, utf8_prefix */
#include "util/log.h"
#include "util/metrics.h"
#include "util/url.h"

#define QUEUE_CAP_DEFAULT  2048
#define BATCH_DEFAULT      512
#define FLUSH_MS_DEFAULT   1000
#define BODY_CAP           ((size_t)16 << 20)
#define CONNECT_TIMEOUT_MS 1000
#define POST_TIMEOUT_MS    5000
#define FINAL_BUDGET_MS    2000 /* from trace_stop(): a dead collector holds no exit */
#define RETRY_PAUSE_MS     200
#define TRACESTATE_MEMBERS 32

typedef struct tracer {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* loop threads append to fill; the exporter swaps it with spare and
     * sends spare without the lock (only the exporter swaps) */
    trace_span *fill, *spare;
    size_t nfill, cap, batch;
    int flush_ms;
    int stop;
    _Atomic int64_t give_up_at; /* monotonic ms set by trace_stop(): transfers end by then */
    int have_thread;
    pthread_t thread;
    char *url;       /* <endpoint>/v1/traces; NULL: keep for trace_collect() */
    char shown[256]; /* the endpoint as logs may print it */
    char service[128];
    int failing; /* the exporter's last POST failed (logged once per change) */
} tracer;

static _Atomic(tracer *) the_tracer;
/* sampling of new traces: all, or those whose random 64 bits fall under
 * the bound (ratio * 2^64) */
static _Atomic int sample_all;
static _Atomic uint64_t sample_bound;
static _Thread_local trace_span *current;

/* ---- ids and clocks ---- */

/* splitmix64 over a per-thread seed from getrandom(2): ids must be unique
 * and unpredictable enough to spread, not secret */
static uint64_t rng_next(void)
{
    static _Thread_local uint64_t state;
    static _Thread_local int seeded;
    uint64_t z;

    if (!seeded) {
        hash_random(&state, sizeof(state));
        seeded = 1;
    }
    z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* X-Ray's form: the first 4 bytes are the Unix time in seconds. */
static void new_trace_id(uint8_t id[16])
{
    uint64_t secs = (uint64_t)time(NULL), r = rng_next();

    id[0] = (uint8_t)(secs >> 24);
    id[1] = (uint8_t)(secs >> 16);
    id[2] = (uint8_t)(secs >> 8);
    id[3] = (uint8_t)secs;
    id[4] = (uint8_t)(r >> 24);
    id[5] = (uint8_t)(r >> 16);
    id[6] = (uint8_t)(r >> 8);
    id[7] = (uint8_t)r;
    put_be64(id + 8, rng_next());
}

static void new_span_id(uint8_t id[8])
{
    uint64_t r;

    while (!(r = rng_next())) /* all zeros is not a valid id */
        ;
    put_be64(id, r);
}

static int sampler_on(void)
{
    return atomic_load_explicit(&sample_all, memory_order_relaxed) ||
           atomic_load_explicit(&sample_bound, memory_order_relaxed) > 0;
}

/* The trace id's random half decides, so every process that sees the
 * trace decides alike. */
static int root_sampled(const uint8_t trace_id[16])
{
    if (atomic_load_explicit(&sample_all, memory_order_relaxed))
        return 1;
    return get_be64(trace_id + 8) < atomic_load_explicit(&sample_bound, memory_order_relaxed);
}

/* ---- W3C Trace Context ---- */

static int hex_lower(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* n bytes from 2n lowercase hex digits; 1 when any byte is not zero, 0 when
 * all are, -1 on a bad digit. */
static int unhex(const char *s, uint8_t *out, size_t n)
{
    int any = 0;

    for (size_t i = 0; i < n; i++) {
        int hi = hex_lower(s[2 * i]), lo = hex_lower(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
        any |= out[i];
    }
    return any != 0;
}

int trace_parse_traceparent(const char *v, size_t n, trace_ctx *out)
{
    trace_ctx c;

    /* version 00 is exactly 55 characters; a version we do not know is not
     * guessed at (the caller's context is then ignored, never an error) */
    if (!v || n != TRACE_TRACEPARENT_LEN || v[0] != '0' || v[1] != '0' || v[2] != '-' ||
        v[35] != '-' || v[52] != '-')
        return -1;
    if (unhex(v + 3, c.trace_id, 16) != 1 || unhex(v + 36, c.span_id, 8) != 1 ||
        unhex(v + 53, &c.flags, 1) < 0)
        return -1;
    *out = c;
    return 0;
}

void trace_format_traceparent(const trace_ctx *c, char out[TRACE_TRACEPARENT_LEN + 1])
{
    memcpy(out, "00-", 3);
    hash_hex(c->trace_id, 16, out + 3);
    out[35] = '-';
    hash_hex(c->span_id, 8, out + 36);
    memcpy(out + 52, c->flags & 1 ? "-01" : "-00", 4); /* with the NUL */
}

static int key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' ||
           c == '/';
}

/* first: 'a' (lowercase letter only) or 'd' (letter or digit) */
static int key_part_valid(const char *k, size_t n, size_t max, char first)
{
    if (!n || n > max)
        return 0;
    if (!(k[0] >= 'a' && k[0] <= 'z') && !(first == 'd' && k[0] >= '0' && k[0] <= '9'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!key_char(k[i]))
            return 0;
    return 1;
}

/* simple-key, or tenant-id "@" system-id */
static int ts_key_valid(const char *k, size_t n)
{
    const char *at = memchr(k, '@', n);

    if (!at)
        return key_part_valid(k, n, 256, 'a');
    return key_part_valid(k, (size_t)(at - k), 241, 'd') &&
           key_part_valid(at + 1, n - (size_t)(at - k) - 1, 14, 'a');
}

/* 1 to 256 printable characters but ',' and '=', not ending in a space */
static int ts_value_valid(const char *v, size_t n)
{
    if (!n || n > 256 || v[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x20 || v[i] > 0x7e || v[i] == ',' || v[i] == '=')
            return 0;
    return 1;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

int trace_tracestate_valid(const char *v, size_t n)
{
    const char *keys[TRACESTATE_MEMBERS];
    size_t klens[TRACESTATE_MEMBERS], nkeys = 0;

    if (!v || !n || n > TRACE_TRACESTATE_MAX)
        return 0;
    for (size_t i = 0; i <= n;) {
        size_t s = i, e, eq;
        while (i < n && v[i] != ',')
            i++;
        e = i++;
        while (s < e && is_ows(v[s]))
            s++;
        while (e > s && is_ows(v[e - 1]))
            e--;
        if (s == e)
            continue; /* empty members are allowed */
        for (eq = s; eq < e && v[eq] != '='; eq++)
            ;
        if (eq == e || nkeys == TRACESTATE_MEMBERS || !ts_key_valid(v + s, eq - s) ||
            !ts_value_valid(v + eq + 1, e - eq - 1))
            return 0;
        for (size_t k = 0; k < nkeys; k++)
            if (klens[k] == eq - s && !memcmp(keys[k], v + s, eq - s))
                return 0; /* a key may appear once */
        keys[nkeys] = v + s;
        klens[nkeys++] = eq - s;
    }
    return nkeys > 0;
}

/* ---- spans ---- */

static void span_open(trace_span *s, trace_kind kind, const char *name)
{
    s->kind = (uint8_t)kind;
    s->error = 0;
    s->nattrs = 0;
    s->text_len = 0;
    s->name[0] = '\0';
    s->start_ns = clock_ns(CLOCK_REALTIME);
    s->start_mono_ns = clock_ns(CLOCK_MONOTONIC);
    s->end_ns = 0;
    if (name)
        trace_set_name(s, name, strlen(name));
}

void trace_begin_root(trace_span *s, trace_kind kind, const char *name, const trace_ctx *parent)
{
    if (parent) {
        memcpy(s->ctx.trace_id, parent->trace_id, 16);
        memcpy(s->parent_id, parent->span_id, 8);
        s->has_parent = s->remote = 1;
        s->recording = (parent->flags & 1) && sampler_on();
    } else {
        new_trace_id(s->ctx.trace_id);
        s->has_parent = s->remote = 0;
        s->recording = (uint8_t)root_sampled(s->ctx.trace_id);
    }
    new_span_id(s->ctx.span_id);
    s->ctx.flags = s->recording;
    if (s->recording)
        span_open(s, kind, name);
}

void trace_begin_child(trace_span *s, trace_kind kind, const char *name)
{
    const trace_span *p = current;

    if (!p || !p->recording) {
        s->recording = 0;
        return;
    }
    memcpy(s->ctx.trace_id, p->ctx.trace_id, 16);
    memcpy(s->parent_id, p->ctx.span_id, 8);
    new_span_id(s->ctx.span_id);
    s->ctx.flags = 1;
    s->has_parent = 1;
    s->remote = 0;
    s->recording = 1;
    span_open(s, kind, name);
}

trace_span *trace_current(void)
{
    return current;
}

trace_span *trace_current_set(trace_span *s)
{
    trace_span *was = current;

    current = s;
    return was;
}

void trace_set_name(trace_span *s, const char *name, size_t n)
{
    if (!s->recording)
        return;
    n = utf8_prefix(name, n, sizeof(s->name) - 1);
    memcpy(s->name, name, n);
    s->name[n] = '\0';
}

static trace_attr *attr_slot(trace_span *s, const char *key)
{
    trace_attr *a;

    if (!s->recording || s->nattrs == TRACE_ATTRS_MAX)
        return NULL;
    a = &s->attrs[s->nattrs++];
    a->key = key;
    a->i = 0;
    a->off = a->len = 0;
    a->is_str = 0;
    return a;
}

void trace_attr_strn(trace_span *s, const char *key, const char *v, size_t n)
{
    trace_attr *a;
    size_t room = sizeof(s->text) - s->text_len;

    if (!s->recording || !room || !(a = attr_slot(s, key)))
        return;
    n = utf8_prefix(v, n, room);
    memcpy(s->text + s->text_len, v, n);
    a->is_str = 1;
    a->off = s->text_len;
    a->len = (uint16_t)n;
    s->text_len = (uint16_t)(s->text_len + n);
}

void trace_attr_str(trace_span *s, const char *key, const char *v)
{
    if (s->recording && v)
        trace_attr_strn(s, key, v, strlen(v));
}

void trace_attr_int(trace_span *s, const char *key, int64_t v)
{
    trace_attr *a = attr_slot(s, key);

    if (a)
        a->i = v;
}

void trace_set_error(trace_span *s)
{
    if (s->recording)
        s->error = 1;
}

void trace_http_server(trace_span *s, const char *method, size_t method_len, const char *route,
                       const char *path, size_t path_len, int status, int port)
{
    char name[TRACE_NAME_MAX];
    size_t n, rlen = route ? strlen(route) : 0;

    if (!s->recording)
        return;
    if (method_len > 16)
        method_len = 16;
    memcpy(name, method, method_len);
    n = method_len;
    if (route) {
        name[n++] = ' ';
        if (rlen > sizeof(name) - n)
            rlen = sizeof(name) - n;
        memcpy(name + n, route, rlen);
        n += rlen;
    }
    trace_set_name(s, name, n);
    trace_attr_strn(s, "http.request.method", method, method_len);
    if (route)
        trace_attr_str(s, "http.route", route);
    trace_attr_int(s, "http.response.status_code", status);
    trace_attr_int(s, "server.port", port);
    trace_attr_str(s, "url.scheme", "http");
    trace_attr_strn(s, "url.path", path, path_len);
    if (status >= 500) {
        char code[12];
        snprintf(code, sizeof(code), "%d", status);
        trace_attr_str(s, "error.type", code);
        trace_set_error(s);
    }
}

/* ---- the queue ---- */

static void enqueue(const trace_span *s)
{
    tracer *t = atomic_load_explicit(&the_tracer, memory_order_acquire);
    int full = 1;

    if (t) {
        pthread_mutex_lock(&t->lock);
        if (t->nfill < t->cap) {
            /* the used part only: the text room is mostly empty */
            memcpy(&t->fill[t->nfill], s, offsetof(trace_span, text) + s->text_len);
            full = 0;
            if (++t->nfill == t->batch)
                pthread_cond_signal(&t->wake);
        }
        pthread_mutex_unlock(&t->lock);
    }
    if (full)
        metrics_inc(M_TRACE_SPANS_DROPPED);
}

void trace_end(trace_span *s)
{
    if (!s->recording)
        return;
    s->end_ns = s->start_ns + (clock_ns(CLOCK_MONOTONIC) - s->start_mono_ns);
    enqueue(s);
    s->recording = 0; /* ended once */
}

/* Everything queued: swapped out under the lock, read without it. */
static size_t take_locked(tracer *t, trace_span **out)
{
    size_t n = t->nfill;

    *out = t->fill;
    t->fill = t->spare;
    t->spare = *out;
    t->nfill = 0;
    return n;
}

/* ---- OTLP JSON ----
 *
 * Written by hand rather than with the JSON writer: the exporter encodes
 * every recorded span, and the fixed parts of a span are most of it. Every
 * string that does not come from this file goes through json_escape(), so
 * the output is valid JSON whatever a span holds. */

#define PUT_LIT(b, lit) buf_append((b), (lit), sizeof(lit) - 1)

/* "s", escaped */
static int put_jstr(buf *b, const char *s, size_t n)
{
    return buf_putc(b, '"') | json_escape(b, s, n) | buf_putc(b, '"');
}

/* "<hex>" */
static int put_jhex(buf *b, const uint8_t *id, size_t n)
{
    char hex[33];

    hash_hex(id, n, hex);
    return buf_putc(b, '"') | buf_append(b, hex, 2 * n) | buf_putc(b, '"');
}

/* int64 values are strings in the protobuf JSON mapping */
static int put_ji64(buf *b, int64_t v)
{
    return buf_putc(b, '"') | buf_put_i64(b, v) | buf_putc(b, '"');
}

/* {"key":"k","value":{"stringValue":"v"}} */
static int put_kv_str(buf *b, const char *key, const char *v, size_t n)
{
    return PUT_LIT(b, "{\"key\":") | put_jstr(b, key, strlen(key)) |
           PUT_LIT(b, ",\"value\":{\"stringValue\":") | put_jstr(b, v, n) | PUT_LIT(b, "}}");
}

static int put_attrs(buf *b, const trace_span *s)
{
    int rc = PUT_LIT(b, ",\"attributes\":[");

    for (size_t i = 0; i < s->nattrs; i++) {
        const trace_attr *a = &s->attrs[i];
        if (i)
            rc |= buf_putc(b, ',');
        if (a->is_str) {
            rc |= put_kv_str(b, a->key, s->text + a->off, a->len);
            continue;
        }
        rc |= PUT_LIT(b, "{\"key\":") | put_jstr(b, a->key, strlen(a->key)) |
              PUT_LIT(b, ",\"value\":{\"intValue\":") | put_ji64(b, a->i) | PUT_LIT(b, "}}");
    }
    return rc | buf_putc(b, ']');
}

static int put_span(buf *b, const trace_span *s)
{
    int rc = PUT_LIT(b, "{\"traceId\":") | put_jhex(b, s->ctx.trace_id, 16) |
             PUT_LIT(b, ",\"spanId\":") | put_jhex(b, s->ctx.span_id, 8);

    if (s->has_parent)
        rc |= PUT_LIT(b, ",\"parentSpanId\":") | put_jhex(b, s->parent_id, 8);
    rc |= PUT_LIT(b, ",\"name\":") | put_jstr(b, s->name, strlen(s->name));
    rc |= PUT_LIT(b, ",\"kind\":") | buf_put_i64(b, s->kind);
    rc |= PUT_LIT(b, ",\"startTimeUnixNano\":") | put_ji64(b, s->start_ns);
    rc |= PUT_LIT(b, ",\"endTimeUnixNano\":") | put_ji64(b, s->end_ns);
    rc |= put_attrs(b, s);
    if (s->error)
        rc |= PUT_LIT(b, ",\"status\":{\"code\":2}"); /* STATUS_CODE_ERROR */
    return rc | buf_putc(b, '}');
}

int trace_encode_otlp(const trace_span *spans, size_t n, const char *service_name, buf *out)
{
    static const char version[] = TVSHOWS_VERSION;
    int rc = PUT_LIT(out, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");

    rc |= put_kv_str(out, "service.name", service_name, strlen(service_name)) | buf_putc(out, ',');
    rc |= put_kv_str(out, "service.version", version, sizeof(version) - 1) | buf_putc(out, ',');
    rc |= put_kv_str(out, "telemetry.sdk.name", "tvshows", 7);
    rc |= PUT_LIT(out, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"tvshows\",\"version\":") |
          put_jstr(out, version, sizeof(version) - 1) | PUT_LIT(out, "},\"spans\":[");
    for (size_t i = 0; i < n && !rc; i++)
        rc |= (i ? buf_putc(out, ',') : 0) | put_span(out, &spans[i]);
    rc |= PUT_LIT(out, "]}]}]}");
    return rc ? -1 : 0;
}

size_t trace_collect(buf *out)
{
    tracer *t = atomic_load(&the_tracer);
    trace_span *spans;
    size_t n;

    if (!t)
        return 0;
    pthread_mutex_lock(&t->lock);
    n = take_locked(t, &spans);
    pthread_mutex_unlock(&t->lock);
    if (trace_encode_otlp(spans, n, t->service, out) != 0)
        metrics_add(M_TRACE_SPANS_DROPPED, n);
    return n;
}

/* ---- the exporter thread ---- */

static int64_t mono_ms(void)
{
    return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* libcurl asks while a transfer runs (at least once a second): a non-zero
 * answer ends it, so a collector that never answers holds no exit. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const tracer *t = ud;
    int64_t until = atomic_load(&t->give_up_at);

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return until && mono_ms() > until;
}

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

/* 0: accepted; 1: worth one more try (no answer, 429, 502-504: OTLP's
 * retryable answers); -1: refused for good. */
static int post_once(CURL *c, const buf *body, char *why, size_t wlen)
{
    long status = 0;
    CURLcode cc;

    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(why, wlen, "%s", curl_easy_strerror(cc));
        return 1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300)
        return 0;
    snprintf(why, wlen, "HTTP %ld", status);
    return status == 429 || (status >= 502 && status <= 504) ? 1 : -1;
}

static void note_export(tracer *t, int ok, const char *why)
{
    if (ok && t->failing) {
        t->failing = 0;
        log_info("trace export working again", LF_S("endpoint", t->shown));
    } else if (!ok && !t->failing) {
        t->failing = 1;
        log_warn("trace export failing: spans are dropped", LF_S("endpoint", t->shown),
                 LF_S("error", why));
    }
}

static void send_batch(tracer *t, CURL *c, buf *body, const trace_span *spans, size_t n)
{
    char why[256] = "";
    int rc;

    buf_reset(body);
    if (trace_encode_otlp(spans, n, t->service, body) != 0) {
        metrics_add(M_TRACE_SPANS_DROPPED, n);
        return;
    }
    rc = post_once(c, body, why, sizeof(why));
    if (rc == 1 && !atomic_load(&t->give_up_at)) {
        struct timespec ts = {0, RETRY_PAUSE_MS * 1000000L};
        nanosleep(&ts, NULL);
        rc = post_once(c, body, why, sizeof(why));
    }
    note_export(t, rc == 0, why);
    metrics_add(rc == 0 ? M_TRACE_SPANS_EXPORTED : M_TRACE_SPANS_DROPPED, n);
}

static struct timespec deadline_in(int ms)
{
    int64_t ns = clock_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;

    return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

static void *exporter_main(void *arg)
{
    tracer *t = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    buf body;
    int stopping = 0;

    buf_init(&body, BODY_CAP);
    if (c) {
        curl_easy_setopt(c, CURLOPT_URL, t->url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)POST_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    }
    while (!stopping) {
        struct timespec until = deadline_in(t->flush_ms);
        trace_span *spans;
        size_t n;

        pthread_mutex_lock(&t->lock);
        while (!t->stop && t->nfill < t->batch)
            if (pthread_cond_timedwait(&t->wake, &t->lock, &until) == ETIMEDOUT)
                break;
        stopping = t->stop;
        n = take_locked(t, &spans);
        pthread_mutex_unlock(&t->lock);
        for (size_t i = 0; i < n; i += t->batch) {
            size_t k = n - i < t->batch ? n - i : t->batch;
            if (c)
                send_batch(t, c, &body, spans + i, k);
            else
                metrics_add(M_TRACE_SPANS_DROPPED, k);
        }
    }
    buf_free(&body);
    curl_slist_free_all(headers);
    if (c)
        curl_easy_cleanup(c);
    return NULL;
}

/* ---- lifecycle ---- */

int trace_ratio_parse(const char *s, double *out)
{
    const char *p = s;
    size_t digits = 0;
    double v;

    while (*p >= '0' && *p <= '9')
        p++, digits++;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
    if (!digits || *p || p - s > 32)
        return -1;
    v = strtod(s, NULL);
    if (!(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

static void tracer_free(tracer *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    free(t->fill);
    free(t->spare);
    free(t->url);
    free(t);
}

static tracer *tracer_new(const trace_options *o)
{
    tracer *t = calloc(1, sizeof(*t));
    pthread_condattr_t ca;

    if (!t)
        return NULL;
    t->cap = o->queue_cap ? o->queue_cap : QUEUE_CAP_DEFAULT;
    t->batch = o->batch ? o->batch : BATCH_DEFAULT;
    t->flush_ms = o->flush_ms > 0 ? o->flush_ms : FLUSH_MS_DEFAULT;
    snprintf(t->service, sizeof(t->service), "%s", o->service_name ? o->service_name : "tvshows");
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_condattr_destroy(&ca);
    t->fill = calloc(t->cap, sizeof(trace_span));
    t->spare = calloc(t->cap, sizeof(trace_span));
    if (!t->fill || !t->spare) {
        tracer_free(t);
        return NULL;
    }
    return t;
}

/* <endpoint>/v1/traces, as OTLP/HTTP names the traces path under a base */
static int tracer_set_url(tracer *t, const char *endpoint)
{
    size_t n = strlen(endpoint);

    while (n && endpoint[n - 1] == '/')
        n--;
    if (!(t->url = malloc(n + sizeof("/v1/traces"))))
        return -1;
    memcpy(t->url, endpoint, n);
    memcpy(t->url + n, "/v1/traces", sizeof("/v1/traces"));
    url_redact(t->url, t->shown, sizeof(t->shown));
    return 0;
}

static void set_sampler(double ratio)
{
    /* 2^64 * ratio, below 1.0 only: 1.0 is "all" */
    atomic_store(&sample_bound, ratio >= 1 ? 0 : (uint64_t)(ratio * 18446744073709551616.0));
    atomic_store(&sample_all, ratio >= 1);
}

int trace_start(const trace_options *o, char *err, size_t errlen)
{
    double ratio = TRACE_DEFAULT_RATIO;
    int exporting = o->endpoint && *o->endpoint;
    tracer *t;

    if (o->sampler_arg && *o->sampler_arg && trace_ratio_parse(o->sampler_arg, &ratio) != 0) {
        snprintf(err, errlen, "invalid OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1");
        return -1;
    }
    if ((!exporting && !o->keep) || ratio <= 0 || atomic_load(&the_tracer))
        return 0; /* nothing is recorded: spans cost a flag test */
    if (!(t = tracer_new(o)) || (exporting && tracer_set_url(t, o->endpoint) != 0)) {
        tracer_free(t);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (exporting) {
        if (pthread_create(&t->thread, NULL, exporter_main, t) != 0) {
            tracer_free(t);
            snprintf(err, errlen, "cannot start the trace exporter thread");
            return -1;
        }
        t->have_thread = 1;
    }
    /* the queue first: a span sampled from now on always finds it */
    atomic_store(&the_tracer, t);
    set_sampler(ratio);
    if (exporting)
        log_info("tracing", LF_S("endpoint", t->shown), LF_F("sample_ratio", ratio),
                 LF_S("service", t->service));
    return 0;
}

void trace_stop(void)
{
    tracer *t;

    set_sampler(0);
    if (!(t = atomic_exchange(&the_tracer, NULL)))
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    atomic_store(&t->give_up_at, mono_ms() + FINAL_BUDGET_MS);
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    if (t->have_thread)
        pthread_join(t->thread, NULL);
    else if (t->nfill)
        metrics_add(M_TRACE_SPANS_DROPPED, t->nfill);
    tracer_free(t);
}
