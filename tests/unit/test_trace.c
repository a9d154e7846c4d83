/* Tests of traces (src/util/trace.h): W3C Trace Context parsing, sampling,
 * span parentage, the bounded queue and the OTLP JSON encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "util/hash.h"
#include "util/metrics.h"
#include "util/trace.h"

#define TP_SAMPLED "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static int parses(const char *v)
{
    trace_ctx c;

    return trace_parse_traceparent(v, v ? strlen(v) : 0, &c) == 0;
}

static void start_keeping(const char *ratio, size_t queue_cap)
{
    trace_options o = {NULL, ratio, "tvshows-test", 1, queue_cap, 0, 0};
    char err[128];

    assert_int_equal(trace_start(&o, err, sizeof(err)), 0);
}

/* Takes what was queued as parsed OTLP JSON; *n is the number of spans. */
static json_t *collect(size_t *n)
{
    buf out;
    json_error_t e;
    json_t *doc;

    buf_init(&out, (size_t)16 << 20);
    *n = trace_collect(&out);
    doc = json_loadb(out.data ? out.data : "", out.len, 0, &e);
    buf_free(&out);
    assert_non_null(doc);
    return doc;
}

static json_t *spans_of(json_t *doc)
{
    json_t *rs = json_array_get(json_object_get(doc, "resourceSpans"), 0);
    json_t *ss = json_array_get(json_object_get(rs, "scopeSpans"), 0);

    return json_object_get(ss, "spans");
}

/* A recording root server span, every span kept. */
static void begin_one(trace_span *s)
{
    start_keeping("1", 0);
    trace_begin_root(s, TRACE_SERVER, NULL, NULL);
}

/* Ends s, the only span, and returns it as exported; *doc owns it. */
static json_t *end_one(trace_span *s, json_t **doc)
{
    size_t n;

    trace_end(s);
    *doc = collect(&n);
    assert_int_equal(n, 1);
    return json_array_get(spans_of(*doc), 0);
}

/* The value of attribute key of an OTLP span (its "value" object), or NULL. */
static json_t *attr_of(json_t *span, const char *key)
{
    size_t i;
    json_t *a;

    json_array_foreach(json_object_get(span, "attributes"), i, a)
    {
        if (!strcmp(json_string_value(json_object_get(a, "key")), key))
            return json_object_get(a, "value");
    }
    return NULL;
}

static const char *str_attr(json_t *span, const char *key)
{
    return json_string_value(json_object_get(attr_of(span, key), "stringValue"));
}

static void test_traceparent_accepts_version_00_and_formats_it_back(void **state)
{
    trace_ctx c;
    char out[TRACE_TRACEPARENT_LEN + 1];
    static const uint8_t tid[16] = {0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
                                    0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c};
    static const uint8_t sid[8] = {0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31};

    (void)state;
    assert_int_equal(trace_parse_traceparent(TP_SAMPLED, strlen(TP_SAMPLED), &c), 0);
    assert_memory_equal(c.trace_id, tid, 16);
    assert_memory_equal(c.span_id, sid, 8);
    assert_int_equal(c.flags, 1);
    trace_format_traceparent(&c, out);
    assert_string_equal(out, TP_SAMPLED);
    assert_true(parses("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"));
    /* flags other than "sampled" are read, and not echoed as ours */
    assert_int_equal(
        trace_parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09", 55, &c),
        0);
    assert_int_equal(c.flags, 9);
    trace_format_traceparent(&c, out);
    assert_string_equal(out + 53, "01");
}

static void test_traceparent_rejects_anything_not_strictly_version_00(void **state)
{
    static const char *const bad[] = {
        "",
        "00",
        /* uppercase hex */
        "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",
        /* other versions, even well formed, and the forbidden ff */
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        /* version 00 is exactly 55 characters */
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 ",
        " 00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
        /* all-zero ids are invalid */
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        /* separators and digits */
        "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01",
        "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333z-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0x",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331--1",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parses(bad[i]))
            fail_msg("accepted: \"%s\"", bad[i]);
    assert_false(parses(NULL));
    /* a NUL inside the 55 bytes */
    {
        char v[] = TP_SAMPLED;
        trace_ctx c;
        v[20] = '\0';
        assert_int_not_equal(trace_parse_traceparent(v, 55, &c), 0);
    }
}

static int ts_valid(const char *v)
{
    return trace_tracestate_valid(v, strlen(v));
}

static void test_tracestate_is_passed_along_only_when_valid(void **state)
{
    char many[1024];
    size_t n = 0;

    (void)state;
    assert_true(ts_valid("congo=t61rcWkgMzE"));
    assert_true(ts_valid("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
    assert_true(ts_valid("rojo=00f067aa0ba902b7 ,\tcongo=t61rcWkgMzE"));
    assert_true(ts_valid("a=1,,b=2"));
    assert_true(ts_valid("tenant-1@vendor=x y"));
    assert_true(ts_valid("0tenant@sys_*-/=v!\"#"));
    assert_true(ts_valid("k/*_-=~"));
    assert_false(ts_valid(""));
    assert_false(ts_valid(" , "));
    assert_false(ts_valid("Congo=1"));       /* keys are lowercase */
    assert_false(ts_valid("0abc=1"));        /* a simple key starts with a letter */
    assert_false(ts_valid("a="));            /* a value has a character */
    assert_false(ts_valid("a=1 ,b"));        /* a member without '=' */
    assert_false(ts_valid("=1"));            /* without a key */
    assert_false(ts_valid("a=b=c"));         /* '=' inside a value */
    assert_false(ts_valid("a=1,a=2"));       /* a key appears once */
    assert_false(ts_valid("a=\x01"));        /* control characters */
    assert_false(ts_valid("a=caf\xc3\xa9")); /* printable ASCII only */
    assert_false(ts_valid("t@averylongsystemid=1"));
    assert_false(ts_valid("t@=1"));
    assert_false(ts_valid("@s=1"));
    /* 32 members at most */
    for (int i = 0; i < 32; i++)
        n += (size_t)snprintf(many + n, sizeof(many) - n, "%sk%d=v", i ? "," : "", i);
    assert_true(trace_tracestate_valid(many, n));
    snprintf(many + n, sizeof(many) - n, ",k32=v");
    assert_false(ts_valid(many));
    /* nor longer than we pass along */
    memset(many, 'v', sizeof(many));
    memcpy(many, "k=", 2);
    assert_true(trace_tracestate_valid(many, 258));
    assert_false(trace_tracestate_valid(many, 259)); /* a value of 257 */
}

static void test_ratio_parse_takes_plain_decimals_from_0_to_1(void **state)
{
    static const char *const bad[] = {"",    "1.5", "-0.1", "+0.5", "1e-3", "nan",
                                      "inf", ".",   "0.5x", " 0.5", "0,5",  "2"};
    double r = -1;

    (void)state;
    assert_int_equal(trace_ratio_parse("0", &r), 0);
    assert_true(r == 0);
    assert_int_equal(trace_ratio_parse("1", &r), 0);
    assert_true(r == 1);
    assert_int_equal(trace_ratio_parse("1.0", &r), 0);
    assert_int_equal(trace_ratio_parse("0.05", &r), 0);
    assert_true(r > 0.0499 && r < 0.0501);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (trace_ratio_parse(bad[i], &r) == 0)
            fail_msg("accepted: \"%s\"", bad[i]);
}

static void test_a_bad_sampler_arg_is_an_error_and_no_endpoint_records_nothing(void **state)
{
    trace_options bad = {"http://127.0.0.1:9", "2", "x", 0, 0, 0, 0};
    trace_options off = {NULL, "1", "x", 0, 0, 0, 0};
    trace_span s;
    char err[128] = "";

    (void)state;
    assert_int_equal(trace_start(&bad, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "OTEL_TRACES_SAMPLER_ARG"));
    assert_int_equal(trace_start(&off, err, sizeof(err)), 0);
    trace_begin_root(&s, TRACE_SERVER, "GET", NULL);
    assert_false(trace_recording(&s));
    trace_stop();
}

static void test_sampling_follows_the_parent_and_the_ratio(void **state)
{
    trace_ctx sampled, unsampled;
    trace_span s;
    int recorded = 0;
    size_t n;

    (void)state;
    assert_int_equal(trace_parse_traceparent(TP_SAMPLED, 55, &sampled), 0);
    unsampled = sampled;
    unsampled.flags = 0;

    start_keeping("1", 8192);
    trace_begin_root(&s, TRACE_SERVER, "GET", NULL);
    assert_true(trace_recording(&s));
    assert_int_equal(s.ctx.flags, 1);
    trace_end(&s);
    trace_begin_root(&s, TRACE_SERVER, "GET", &unsampled);
    assert_false(trace_recording(&s)); /* the caller decided */
    assert_int_equal(s.ctx.flags, 0);
    assert_memory_equal(s.ctx.trace_id, sampled.trace_id, 16); /* still continued */
    trace_end(&s);
    trace_stop();

    /* half the new traces; every sampled parent */
    start_keeping("0.5", 8192);
    for (int i = 0; i < 2000; i++) {
        trace_begin_root(&s, TRACE_SERVER, "GET", NULL);
        recorded += trace_recording(&s);
        trace_end(&s);
    }
    assert_in_range(recorded, 850, 1150);
    for (int i = 0; i < 100; i++) {
        trace_begin_root(&s, TRACE_SERVER, "GET", &sampled);
        assert_true(trace_recording(&s));
        trace_end(&s);
    }
    json_decref(collect(&n));
    assert_int_equal(n, (size_t)recorded + 100);
    trace_stop();

    /* 0 is off: not even a sampled caller is recorded */
    start_keeping("0", 0);
    trace_begin_root(&s, TRACE_SERVER, "GET", &sampled);
    assert_false(trace_recording(&s));
    assert_int_equal(s.ctx.flags, 0);
    trace_stop();
}

static void test_ids_are_fresh_and_begin_with_the_time(void **state)
{
    trace_span a, b;
    uint32_t secs;
    int64_t now = (int64_t)time(NULL);

    (void)state;
    trace_begin_root(&a, TRACE_SERVER, NULL, NULL);
    trace_begin_root(&b, TRACE_SERVER, NULL, NULL);
    secs = (uint32_t)a.ctx.trace_id[0] << 24 | (uint32_t)a.ctx.trace_id[1] << 16 |
           (uint32_t)a.ctx.trace_id[2] << 8 | a.ctx.trace_id[3];
    assert_in_range((int64_t)secs, now - 5, now + 5); /* AWS X-Ray's form */
    assert_memory_not_equal(a.ctx.trace_id, b.ctx.trace_id, 16);
    assert_memory_not_equal(a.ctx.span_id, b.ctx.span_id, 8);
    assert_memory_not_equal(a.ctx.span_id, "\0\0\0\0\0\0\0\0", 8);
}

static void test_children_belong_to_the_thread_s_current_span(void **state)
{
    trace_span root, child, grandchild, orphan, *outer;
    trace_ctx unsampled;
    size_t n;
    json_t *doc;

    (void)state;
    start_keeping("1", 0);
    trace_begin_child(&orphan, TRACE_CLIENT, "SELECT"); /* no current span */
    assert_false(trace_recording(&orphan));
    trace_end(&orphan);

    trace_begin_root(&root, TRACE_CONSUMER, "import-day", NULL);
    outer = trace_current_set(&root);
    assert_null(outer);
    assert_ptr_equal(trace_current(), &root);
    trace_begin_child(&child, TRACE_CLIENT, "GET");
    assert_true(trace_recording(&child));
    assert_memory_equal(child.ctx.trace_id, root.ctx.trace_id, 16);
    assert_memory_equal(child.parent_id, root.ctx.span_id, 8);
    /* a child is not current unless made so */
    trace_begin_child(&grandchild, TRACE_CLIENT, "INSERT episodes");
    assert_memory_equal(grandchild.parent_id, root.ctx.span_id, 8);
    trace_end(&grandchild);
    trace_end(&child);
    trace_end(&child); /* ended once */
    trace_end(&root);
    assert_ptr_equal(trace_current_set(outer), &root);
    doc = collect(&n);
    assert_int_equal(n, 3);
    json_decref(doc);

    /* under a span that is not recorded, nothing is */
    assert_int_equal(trace_parse_traceparent(TP_SAMPLED, 55, &unsampled), 0);
    unsampled.flags = 0;
    trace_begin_root(&root, TRACE_SERVER, NULL, &unsampled);
    trace_current_set(&root);
    trace_begin_child(&child, TRACE_CLIENT, "SELECT");
    assert_false(trace_recording(&child));
    trace_end(&child);
    trace_end(&root);
    trace_current_set(NULL);
    json_decref(collect(&n));
    assert_int_equal(n, 0);
    trace_stop();
}

/* A parked request: its span is current only while it runs. */
static void test_a_parked_span_is_restored_and_keeps_its_children(void **state)
{
    trace_span a, b, q1, q2;
    size_t n;
    json_t *doc, *spans;

    (void)state;
    start_keeping("1", 0);
    trace_begin_root(&a, TRACE_SERVER, "GET /a", NULL);
    trace_current_set(&a);
    trace_begin_child(&q1, TRACE_CLIENT, "SELECT episodes"); /* sent; a's answer comes later */
    trace_current_set(NULL);                                 /* a parks */
    trace_begin_root(&b, TRACE_SERVER, "GET /b", NULL);      /* the loop serves b */
    trace_current_set(&b);
    trace_begin_child(&q2, TRACE_CLIENT, "SELECT shows");
    trace_end(&q2);
    trace_end(&b);
    trace_current_set(&a); /* a resumes */
    trace_end(&q1);
    trace_end(&a);
    trace_current_set(NULL);
    doc = collect(&n);
    assert_int_equal(n, 4);
    spans = spans_of(doc);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(spans, i);
        const char *name = json_string_value(json_object_get(s, "name"));
        char want[17];
        if (strncmp(name, "SELECT", 6))
            continue;
        hash_hex((strstr(name, "episodes") ? &a : &b)->ctx.span_id, 8, want);
        assert_string_equal(json_string_value(json_object_get(s, "parentSpanId")), want);
    }
    json_decref(doc);
    trace_stop();
}

static int is_lower_hex(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static long long nanos(json_t *span, const char *key)
{
    const char *v = json_string_value(json_object_get(span, key)); /* a string, as proto3 JSON */
    long long x;

    assert_non_null(v);
    assert_int_equal(sscanf(v, "%lld", &x), 1);
    return x;
}

static void test_otlp_json_follows_the_protobuf_mapping(void **state)
{
    trace_span root, child;
    size_t n;
    json_t *doc, *rs, *spans, *s, *res_attrs, *kv;
    struct timespec ts;
    long long now;

    (void)state;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    start_keeping("1", 0);
    trace_begin_root(&root, TRACE_SERVER, NULL, NULL);
    trace_current_set(&root);
    trace_begin_child(&child, TRACE_CLIENT, "SELECT episodes");
    trace_attr_str(&child, "db.system.name", "sqlite");
    trace_attr_int(&child, "db.operation.batch.size", 9007199254740993LL);
    trace_set_error(&child);
    trace_end(&child);
    trace_http_server(&root, "GET", 3, "/api/v1/shows/:id", "/api/v1/shows/12", 16, 200, 3000);
    trace_end(&root);
    trace_current_set(NULL);
    doc = collect(&n);
    assert_int_equal(n, 2);

    rs = json_array_get(json_object_get(doc, "resourceSpans"), 0);
    res_attrs = json_object_get(json_object_get(rs, "resource"), "attributes");
    kv = json_array_get(res_attrs, 0);
    assert_string_equal(json_string_value(json_object_get(kv, "key")), "service.name");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(kv, "value"), "stringValue")),
        "tvshows-test");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_array_get(json_object_get(rs, "scopeSpans"), 0), "scope"),
            "name")),
        "tvshows");
    spans = spans_of(doc);
    assert_int_equal(json_array_size(spans), 2);

    s = json_array_get(spans, 0); /* the child ended first */
    assert_string_equal(json_string_value(json_object_get(s, "name")), "SELECT episodes");
    assert_int_equal(json_integer_value(json_object_get(s, "kind")), 3);
    assert_true(is_lower_hex(json_string_value(json_object_get(s, "traceId")), 32));
    assert_true(is_lower_hex(json_string_value(json_object_get(s, "spanId")), 16));
    assert_true(is_lower_hex(json_string_value(json_object_get(s, "parentSpanId")), 16));
    assert_string_equal(str_attr(s, "db.system.name"), "sqlite");
    assert_string_equal(
        json_string_value(json_object_get(attr_of(s, "db.operation.batch.size"), "intValue")),
        "9007199254740993");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "status"), "code")), 2);

    s = json_array_get(spans, 1);
    assert_string_equal(json_string_value(json_object_get(s, "name")), "GET /api/v1/shows/:id");
    assert_int_equal(json_integer_value(json_object_get(s, "kind")), 2);
    assert_null(json_object_get(s, "parentSpanId")); /* a root */
    assert_null(json_object_get(s, "status"));       /* unset: not an error */
    assert_string_equal(str_attr(s, "http.request.method"), "GET");
    assert_string_equal(str_attr(s, "http.route"), "/api/v1/shows/:id");
    assert_string_equal(str_attr(s, "url.path"), "/api/v1/shows/12");
    assert_string_equal(
        json_string_value(json_object_get(attr_of(s, "http.response.status_code"), "intValue")),
        "200");
    assert_string_equal(json_string_value(json_object_get(attr_of(s, "server.port"), "intValue")),
                        "3000");
    assert_true(nanos(s, "startTimeUnixNano") >= now - 1000000000LL);
    assert_true(nanos(s, "startTimeUnixNano") <= nanos(s, "endTimeUnixNano"));
    assert_true(nanos(s, "endTimeUnixNano") < now + 60000000000LL);
    json_decref(doc);
    trace_stop();
}

static void test_http_server_span_is_named_by_the_route_and_fails_on_5xx(void **state)
{
    trace_span s;
    json_t *doc, *span;

    (void)state;
    begin_one(&s);
    trace_http_server(&s, "_OTHER", 6, NULL, "/nope", 5, 503, 8080);
    span = end_one(&s, &doc);
    assert_string_equal(json_string_value(json_object_get(span, "name")), "_OTHER");
    assert_null(attr_of(span, "http.route"));
    assert_string_equal(str_attr(span, "error.type"), "503");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(span, "status"), "code")),
                     2);
    json_decref(doc);
    trace_stop();
}

static void test_a_full_queue_drops_and_counts(void **state)
{
    uint64_t dropped = metrics_counter_value(M_TRACE_SPANS_DROPPED);
    trace_span s;
    size_t n;

    (void)state;
    start_keeping("1", 4);
    for (int i = 0; i < 7; i++) {
        trace_begin_root(&s, TRACE_CONSUMER, "job", NULL);
        trace_end(&s);
    }
    json_decref(collect(&n));
    assert_int_equal(n, 4);
    assert_int_equal(metrics_counter_value(M_TRACE_SPANS_DROPPED) - dropped, 3);
    /* the queue is empty again */
    trace_begin_root(&s, TRACE_CONSUMER, "job", NULL);
    trace_end(&s);
    json_decref(collect(&n));
    assert_int_equal(n, 1);
    trace_stop();
}

static void test_names_and_attributes_are_bounded(void **state)
{
    char big[2000];
    trace_span s;
    json_t *doc, *span;
    const char *v;

    (void)state;
    /* 3-byte characters: a cut must fall between them */
    for (size_t i = 0; i + 3 < sizeof(big); i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3);
    big[sizeof(big) - 2] = '\0';
    begin_one(&s);
    trace_set_name(&s, big, strlen(big));
    for (int i = 0; i < TRACE_ATTRS_MAX + 5; i++)
        trace_attr_str(&s, "k", big);
    trace_attr_int(&s, "over", 1);
    span = end_one(&s, &doc);
    v = json_string_value(json_object_get(span, "name"));
    assert_true(strlen(v) < TRACE_NAME_MAX && strlen(v) % 3 == 0);
    assert_true(json_array_size(json_object_get(span, "attributes")) <= TRACE_ATTRS_MAX);
    v = str_attr(span, "k");
    assert_true(strlen(v) <= TRACE_TEXT_MAX && strlen(v) % 3 == 0);
    assert_null(attr_of(span, "over"));
    json_decref(doc);
    trace_stop();
}

static void test_strings_are_escaped_into_valid_json(void **state)
{
    static const char odd[] = "a\"b\\c\n\x01\xff/\xe2\x82\xac";
    trace_span s;
    json_t *doc, *span;

    (void)state;
    begin_one(&s);
    trace_set_name(&s, odd, sizeof(odd) - 1);
    trace_attr_strn(&s, "url.path", odd, sizeof(odd) - 1);
    trace_attr_int(&s, "negative", -42);
    span = end_one(&s, &doc); /* parses, or fails the test */
    /* the invalid byte becomes U+FFFD; everything else comes back as it was */
    assert_string_equal(json_string_value(json_object_get(span, "name")),
                        "a\"b\\c\n\x01\xef\xbf\xbd/\xe2\x82\xac");
    assert_string_equal(str_attr(span, "url.path"), "a\"b\\c\n\x01\xef\xbf\xbd/\xe2\x82\xac");
    assert_string_equal(json_string_value(json_object_get(attr_of(span, "negative"), "intValue")),
                        "-42");
    json_decref(doc);
    trace_stop();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_traceparent_accepts_version_00_and_formats_it_back),
        cmocka_unit_test(test_traceparent_rejects_anything_not_strictly_version_00),
        cmocka_unit_test(test_tracestate_is_passed_along_only_when_valid),
        cmocka_unit_test(test_ratio_parse_takes_plain_decimals_from_0_to_1),
        cmocka_unit_test(test_a_bad_sampler_arg_is_an_error_and_no_endpoint_records_nothing),
        cmocka_unit_test(test_sampling_follows_the_parent_and_the_ratio),
        cmocka_unit_test(test_ids_are_fresh_and_begin_with_the_time),
        cmocka_unit_test(test_children_belong_to_the_thread_s_current_span),
        cmocka_unit_test(test_a_parked_span_is_restored_and_keeps_its_children),
        cmocka_unit_test(test_otlp_json_follows_the_protobuf_mapping),
        cmocka_unit_test(test_http_server_span_is_named_by_the_route_and_fails_on_5xx),
        cmocka_unit_test(test_a_full_queue_drops_and_counts),
        cmocka_unit_test(test_names_and_attributes_are_bounded),
        cmocka_unit_test(test_strings_are_escaped_into_valid_json),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
