/* Tests of the HTTP/1.1 request parser (src/http/parser.h).
 *
 * Every input is copied into a heap block of exactly its length, so a read
 * past either end is caught by AddressSanitizer in the sanitizer build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/parser.h"

/* What the server learns from one head: http_head_length's answer, then
 * http_parse_head's. */
typedef struct parse {
    char *data;
    size_t len;
    long head; /* > 0 head length, 0 need more, < 0 -status */
    size_t skip;
    int status; /* 0 parsed, -1 incomplete, else the error status */
    http_request req;
    http_head_info info;
} parse;

/* Out of memory ends the test program: no test can go on without it. */
static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort();
    return p;
}

static char *dup_exact(const char *s, size_t n)
{
    char *p = xmalloc(n);

    if (n)
        memcpy(p, s, n);
    return p;
}

static int finish(parse *p, const char *s, size_t n, size_t *scan)
{
    p->data = dup_exact(s, n);
    p->len = n;
    if (p->head == 0)
        p->head = http_head_length(p->data, n, scan, &p->skip);
    if (p->head == 0)
        return p->status = -1;
    if (p->head < 0)
        return p->status = (int)-p->head;
    return p->status = http_parse_head(p->data + p->skip, (size_t)p->head, &p->req, &p->info);
}

/* Feeds s as the server receives it: the prefixes cuts[0..ncuts) and then all
 * of it, each in a fresh buffer (a read may move the data), keeping scan and
 * skip between calls. */
static int parse_fed(parse *p, const char *s, size_t n, const size_t *cuts, size_t ncuts)
{
    size_t scan = 0;

    memset(p, 0, sizeof(*p));
    for (size_t i = 0; i < ncuts && p->head == 0; i++) {
        char *part = dup_exact(s, cuts[i]);
        p->head = http_head_length(part, cuts[i], &scan, &p->skip);
        free(part);
    }
    return finish(p, s, n, &scan);
}

static int parse_whole(parse *p, const char *s, size_t n)
{
    return parse_fed(p, s, n, NULL, 0);
}

static void parse_done(parse *p)
{
    free(p->data);
    p->data = NULL;
}

/* The status of a whole request given as a C string. */
static int status_of(const char *s)
{
    parse *p = xmalloc(sizeof(*p));
    int rc;

    rc = parse_whole(p, s, strlen(s));
    parse_done(p);
    free(p);
    return rc;
}

static int same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    if (!a || !b)
        return a == b;
    return an == bn && !memcmp(a, b, an);
}

/* 1 when both parses reached the same result; prints the first difference. */
static int same_parse(const parse *a, const parse *b)
{
    if (a->head != b->head || a->skip != b->skip || a->status != b->status) {
        print_error("head %ld/%ld skip %zu/%zu status %d/%d\n", a->head, b->head, a->skip, b->skip,
                    a->status, b->status);
        return 0;
    }
    if (a->status != 0)
        return 1;
    const http_request *x = &a->req, *y = &b->req;
    if (x->method != y->method ||
        !same_bytes(x->method_str, x->method_len, y->method_str, y->method_len) ||
        !same_bytes(x->path, x->path_len, y->path, y->path_len) ||
        !same_bytes(x->query, x->query_len, y->query, y->query_len) ||
        x->minor_version != y->minor_version || x->keep_alive != y->keep_alive ||
        x->expect_continue != y->expect_continue || x->nheaders != y->nheaders ||
        a->info.body != b->info.body || a->info.content_length != b->info.content_length) {
        print_error("request line, framing or header count differ\n");
        return 0;
    }
    for (size_t i = 0; i < x->nheaders; i++) {
        const http_header *g = &x->headers[i], *h = &y->headers[i];
        if (!same_bytes(g->name, g->name_len, h->name, h->name_len) ||
            !same_bytes(g->value, g->value_len, h->value, h->value_len)) {
            print_error("header %zu differs\n", i);
            return 0;
        }
    }
    return 1;
}

/* Splits s at every byte boundary, in two reads and byte by byte. */
/* Splits s at every byte boundary, in two reads and byte by byte; returns 1
 * when every way gives the parse of the whole (memory is released either
 * way, so a failure leaves nothing behind for LeakSanitizer to report). */
static int every_split_agrees(const char *s, size_t n)
{
    parse *whole = xmalloc(sizeof(*whole)), *split = xmalloc(sizeof(*split));
    size_t *cuts = xmalloc(n * sizeof(*cuts));
    int ok = 1;

    parse_whole(whole, s, n);
    for (size_t k = 0; k < n && ok; k++) {
        cuts[k] = k;
        parse_fed(split, s, n, &k, 1);
        if (!same_parse(whole, split)) {
            print_error("split at byte %zu of %zu\n", k, n);
            ok = 0;
        }
        parse_done(split);
    }
    if (ok) {
        parse_fed(split, s, n, cuts, n);
        if (!same_parse(whole, split)) {
            print_error("fed byte by byte, %zu bytes\n", n);
            ok = 0;
        }
        parse_done(split);
    }
    parse_done(whole);
    free(cuts);
    free(whole);
    free(split);
    return ok;
}

static void check_every_split(const char *s, size_t n)
{
    assert_true(every_split_agrees(s, n));
}

#define S(lit) lit, sizeof(lit) - 1

/* ---- valid requests, split anywhere ---- */

static void test_parser_parses_get_with_query(void **state)
{
    static const char req[] = "GET /api/v1/schedule?date=2025-06-09&country=US HTTP/1.1\r\n"
                              "Host: example.com\r\n"
                              "User-Agent: test/1.0\r\n"
                              "Accept:  */*  \r\n"
                              "\r\n";
    parse p;
    size_t n;
    const char *v;

    (void)state;
    assert_int_equal(parse_whole(&p, S(req)), 0);
    assert_int_equal(p.head, (long)sizeof(req) - 1);
    assert_int_equal(p.skip, 0);
    assert_int_equal(p.req.method, HTTP_GET);
    assert_true(same_bytes(p.req.path, p.req.path_len, S("/api/v1/schedule")));
    assert_true(same_bytes(p.req.query, p.req.query_len, S("date=2025-06-09&country=US")));
    assert_int_equal(p.req.minor_version, 1);
    assert_int_equal(p.req.keep_alive, 1);
    assert_int_equal(p.req.nheaders, 3);
    assert_int_equal(p.info.body, BODY_NONE);
    v = http_request_header(&p.req, "accept", &n);
    assert_non_null(v);
    assert_true(same_bytes(v, n, S("*/*"))); /* optional whitespace trimmed */
    v = http_request_header(&p.req, "HOST", &n);
    assert_true(same_bytes(v, n, S("example.com")));
    parse_done(&p);
}

static void test_parser_same_parse_at_every_split_of_get(void **state)
{
    static const char req[] = "GET /api/v1/shows/82?embed=episodes HTTP/1.1\r\n"
                              "Host: example.com\r\n"
                              "Accept-Encoding: gzip\r\n"
                              "If-None-Match: \"abc\"\r\n"
                              "\r\n";
    (void)state;
    check_every_split(S(req));
}

static void test_parser_same_parse_at_every_split_with_leading_crlf(void **state)
{
    static const char req[] = "\r\n\r\nHEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    (void)state;
    check_every_split(S(req));
}

static void test_parser_same_parse_at_every_split_of_post(void **state)
{
    static const char req[] = "POST /api/v1/refresh HTTP/1.1\r\n"
                              "Host: a\r\n"
                              "Content-Length: 11\r\n"
                              "Expect: 100-continue\r\n"
                              "\r\n"
                              "hello world";
    (void)state;
    check_every_split(S(req));
}

static void test_parser_same_parse_at_every_split_of_head_only(void **state)
{
    static const char req[] = "GET / HTTP/1.0\r\n\r\n";
    (void)state;
    check_every_split(S(req));
}

static void test_parser_same_parse_at_every_split_of_pipelined(void **state)
{
    static const char req[] =
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n";
    (void)state;
    check_every_split(S(req));
}

/* A request line of exactly HTTP_MAX_REQUEST_LINE bytes is allowed; it must
 * be allowed however the bytes arrive. */
static void test_parser_accepts_max_request_line_at_every_split(void **state)
{
    const size_t line = HTTP_MAX_REQUEST_LINE;
    const char tail[] = " HTTP/1.1\r\nHost: a\r\n\r\n";
    size_t n;
    char *req = xmalloc(line + sizeof(tail));
    parse p;

    (void)state;
    memcpy(req, "GET /", 5);
    memset(req + 5, 'a', line - 5 - 9);
    memcpy(req + line - 9, tail, sizeof(tail));
    n = strlen(req);
    assert_int_equal(n, line + sizeof(tail) - 1 - 9);
    assert_int_equal(parse_whole(&p, req, n), 0);
    assert_int_equal(p.req.path_len, line - 4 - 9);
    parse_done(&p);
    /* the byte after the line's CR is the one that can tip it over */
    {
        size_t cut = line + 1;
        int st = parse_fed(&p, req, n, &cut, 1), all;
        parse_done(&p);
        all = every_split_agrees(req, n);
        free(req);
        assert_int_equal(st, 0);
        assert_true(all);
    }
}

/* ---- limits ---- */

static char *request_with_line(size_t target_len, int complete)
{
    const char *tail = complete ? " HTTP/1.1\r\nHost: a\r\n\r\n" : "";
    size_t n = 4 + target_len + strlen(tail);
    char *s = xmalloc(n + 1);

    memcpy(s, "GET /", 5);
    memset(s + 5, 'a', target_len - 1);
    memcpy(s + 4 + target_len, tail, strlen(tail) + 1);
    return s;
}

static void test_parser_answers_414_to_long_request_line(void **state)
{
    char *s;

    (void)state;
    s = request_with_line(HTTP_MAX_REQUEST_LINE + 100, 1);
    assert_int_equal(status_of(s), 414);
    free(s);
    /* not yet terminated, already too long */
    s = request_with_line(HTTP_MAX_REQUEST_LINE + 100, 0);
    assert_int_equal(status_of(s), 414);
    free(s);
    /* one byte over: "GET " + target + " HTTP/1.1" is 8193 */
    s = request_with_line(HTTP_MAX_REQUEST_LINE - 12, 1);
    assert_int_equal(status_of(s), 414);
    free(s);
    s = request_with_line(HTTP_MAX_REQUEST_LINE - 13, 1);
    assert_int_equal(status_of(s), 0);
    free(s);
}

/* A request whose header fields (each line with its CRLF) total fields_len. */
static char *request_with_fields(size_t fields_len, int complete)
{
    const char *line = "GET / HTTP/1.1\r\n", *host = "Host: a\r\n";
    size_t n = strlen(line) + fields_len + 2, off, fill;
    char *s = xmalloc(n + 1);

    off = strlen(line);
    memcpy(s, line, off);
    memcpy(s + off, host, strlen(host));
    off += strlen(host);
    /* fields of at most 4000 bytes: "X: aaa…\r\n" */
    while (off < strlen(line) + fields_len) {
        size_t left = strlen(line) + fields_len - off;
        size_t len = left > 4000 ? 4000 : left;
        if (left - len > 0 && left - len < 6)
            len -= 6; /* keep room for one more minimal field */
        assert_true(len >= 6);
        fill = len - 5;
        memcpy(s + off, "X: ", 3);
        memset(s + off + 3, 'a', fill);
        memcpy(s + off + 3 + fill, "\r\n", 2);
        off += len;
    }
    if (complete) {
        memcpy(s + off, "\r\n", 3);
    } else {
        s[off] = '\0';
    }
    return s;
}

static void test_parser_accepts_header_section_at_limit(void **state)
{
    char *s = request_with_fields(HTTP_MAX_HEADER_BYTES, 1);
    parse p;

    (void)state;
    assert_int_equal(parse_whole(&p, s, strlen(s)), 0);
    assert_int_equal(p.req.nheaders, 10);
    parse_done(&p);
    free(s);
}

static void test_parser_answers_431_to_large_header_section(void **state)
{
    char *s;

    (void)state;
    s = request_with_fields(HTTP_MAX_HEADER_BYTES + 1, 1);
    assert_int_equal(status_of(s), 431);
    free(s);
    s = request_with_fields(HTTP_MAX_HEADER_BYTES + 4000, 1);
    assert_int_equal(status_of(s), 431);
    free(s);
    /* still unterminated but already over the limit */
    s = request_with_fields(HTTP_MAX_HEADER_BYTES + 4000, 0);
    assert_int_equal(status_of(s), 431);
    free(s);
}

static char *request_with_headers(size_t count)
{
    char *s = xmalloc(64 + count * 16);
    size_t off;

    off = (size_t)sprintf(s, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (size_t i = 1; i < count; i++)
        off += (size_t)sprintf(s + off, "X-%zu: v\r\n", i);
    memcpy(s + off, "\r\n", 3);
    return s;
}

static void test_parser_accepts_100_headers(void **state)
{
    char *s = request_with_headers(HTTP_MAX_HEADERS);
    parse p;

    (void)state;
    assert_int_equal(parse_whole(&p, s, strlen(s)), 0);
    assert_int_equal(p.req.nheaders, HTTP_MAX_HEADERS);
    parse_done(&p);
    free(s);
}

static void test_parser_answers_431_to_101_headers(void **state)
{
    char *s = request_with_headers(HTTP_MAX_HEADERS + 1);

    (void)state;
    assert_int_equal(status_of(s), 431);
    free(s);
}

static void test_parser_answers_413_to_large_content_length(void **state)
{
    parse p;

    (void)state;
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n"),
                     413);
    assert_int_equal(
        status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999\r\n\r\n"), 413);
    assert_int_equal(
        parse_whole(&p, S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n")), 0);
    assert_int_equal(p.info.body, BODY_LENGTH);
    assert_int_equal(p.info.content_length, HTTP_MAX_BODY);
    parse_done(&p);
}

/* ---- malformed heads ---- */

static void test_parser_rejects_space_before_colon(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n"), 400);
}

static void test_parser_rejects_obs_fold(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  c\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n"), 400);
}

static void test_parser_rejects_bare_lf(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: b\rc\r\n\r\n"), 400);
}

/* A bare LF where the request line should begin: the search for the end of
 * the head must start inside the buffer (here the byte before it is a CR, as
 * it can be after a pipelined request's body). */
static void test_parser_head_search_stays_in_buffer_after_leading_lf(void **state)
{
    static const char input[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const char *data = input + 1; /* "\n\r\nGET …", preceded by '\r' */
    size_t n = sizeof(input) - 2, scan = 0, skip = 0;
    long h = http_head_length(data, n, &scan, &skip);

    (void)state;
    if (h > 0) {
        /* whatever the head is, it lies inside data and ends with CRLF CRLF */
        assert_true(skip + (size_t)h >= 4);
        assert_true(skip + (size_t)h <= n);
        assert_memory_equal(data + skip + h - 4, "\r\n\r\n", 4);
    } else {
        assert_int_equal(h, -400);
    }
}

/* The same input in a block of its own size (ASan sees a read before it). */
static void test_parser_leading_lf_is_rejected(void **state)
{
    (void)state;
    assert_int_equal(status_of("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void test_parser_rejects_ctl_in_value(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n"), 400);
    /* HTAB and obs-text are allowed */
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb \xe9\r\n\r\n"), 0);
}

static void test_parser_rejects_ctl_in_target(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of(" / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

/* http_head_length on bytes that hold no complete head, in a block of
 * their own size. */
static long head_so_far(const char *s, size_t n)
{
    char *d = dup_exact(s, n);
    size_t scan = 0, skip = 0;
    long h = http_head_length(d, n, &scan, &skip);

    free(d);
    return h;
}

static void test_parser_refuses_what_cannot_start_a_request_before_any_lf(void **state)
{
    (void)state;
    /* a TLS ClientHello, binary, JSON: the first byte is no method's */
    assert_int_equal(head_so_far(S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")), -400);
    assert_int_equal(head_so_far(S("\x00\x01\x02")), -400);
    assert_int_equal(head_so_far(S("{\"a\":1}")), -400);
    assert_int_equal(head_so_far(S(" GET / HTTP/1.1")), -400);
    /* bare CR line endings, and control bytes as they come */
    assert_int_equal(head_so_far(S("GET / HTTP/1.1\rHost: a\r\r")), -400);
    assert_int_equal(head_so_far(S("\r\n\rX")), -400);
    assert_int_equal(head_so_far(S("GET /\x01")), -400);
    assert_int_equal(head_so_far(S("GET\t/ HTTP/1.1")), -400); /* HTAB: not in the request line */
    assert_int_equal(head_so_far(S("GET / HTTP/1.1\r\nHost: a\x7f")), -400);
    assert_int_equal(head_so_far("GET / HTTP/1.1\r\nX: a\0", 21), -400);
    /* what may still become a request waits for more */
    assert_int_equal(head_so_far(S("G")), 0);
    assert_int_equal(head_so_far(S("\r")), 0);
    assert_int_equal(head_so_far(S("\r\n\r")), 0);
    assert_int_equal(head_so_far(S("GET / HTTP/1.1\r")), 0);
    assert_int_equal(head_so_far(S("GET / HTTP/1.1\r\nX: a\tb \xe9\r")), 0);
    /* and whatever the reads, the same answer */
    check_every_split(S("GET / HTTP/1.1\rHost: a\r\n\r\n"));
    check_every_split(S("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\x01\r\n\r\n"));
    check_every_split(S("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n"));
}

static void test_parser_rejects_empty_header_name(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400);
}

static void test_parser_requires_host_on_1_1(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nX-Host: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.0\r\n\r\n"), 0);
}

static void test_parser_rejects_two_hosts(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

static void test_parser_rejects_bad_version(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/1,1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTP/x.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET / HTTQ/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET /\r\nHost: a\r\n\r\n"), 400);
}

static void test_parser_answers_505_to_other_major_versions(void **state)
{
    (void)state;
    assert_int_equal(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    assert_int_equal(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
}

static void test_parser_answers_501_to_unknown_transfer_coding(void **state)
{
    (void)state;
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
                     501);
    assert_int_equal(
        status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n"),
                     501);
}

static void test_parser_rejects_cl_with_te(void **state)
{
    (void)state;
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n"),
                     400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                               "Content-Length: 5\r\n\r\n"),
                     400);
}

static void test_parser_rejects_te_on_1_0(void **state)
{
    (void)state;
    assert_int_equal(status_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
}

static void test_parser_rejects_conflicting_content_length(void **state)
{
    parse p;

    (void)state;
    assert_int_equal(
        status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
        400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n"), 400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"), 400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n"), 400);
    /* the same value twice is one length */
    assert_int_equal(parse_whole(&p, S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                                       "Content-Length: 5\r\n\r\n")),
                     0);
    assert_int_equal(p.info.body, BODY_LENGTH);
    assert_int_equal(p.info.content_length, 5);
    parse_done(&p);
}

static void test_parser_treats_zero_content_length_as_no_body(void **state)
{
    parse p;

    (void)state;
    assert_int_equal(parse_whole(&p, S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")),
                     0);
    assert_int_equal(p.info.body, BODY_NONE);
    parse_done(&p);
}

/* ---- connection semantics ---- */

static int keep_alive_of(const char *s)
{
    parse p;
    int keep;

    assert_int_equal(parse_whole(&p, s, strlen(s)), 0);
    keep = p.req.keep_alive;
    parse_done(&p);
    return keep;
}

static void test_parser_keeps_1_1_alive_by_default(void **state)
{
    (void)state;
    assert_int_equal(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 1);
    assert_int_equal(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"),
                     1);
}

static void test_parser_closes_1_1_on_connection_close(void **state)
{
    (void)state;
    assert_int_equal(keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), 0);
    assert_int_equal(
        keep_alive_of("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n"), 0);
}

static void test_parser_closes_1_0_by_default(void **state)
{
    (void)state;
    assert_int_equal(keep_alive_of("GET / HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(keep_alive_of("GET / HTTP/1.0\r\nConnection: close\r\n\r\n"), 0);
}

static void test_parser_keeps_1_0_alive_when_asked(void **state)
{
    (void)state;
    assert_int_equal(keep_alive_of("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), 1);
    assert_int_equal(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"), 0);
}

/* ---- request targets ---- */

static void test_parser_accepts_absolute_form(void **state)
{
    parse p;

    (void)state;
    assert_int_equal(
        parse_whole(&p, S("GET http://example.com:3000/api/v1/shows?q=x HTTP/1.1\r\nHost: "
                          "example.com\r\n\r\n")),
        0);
    assert_true(same_bytes(p.req.path, p.req.path_len, S("/api/v1/shows")));
    assert_true(same_bytes(p.req.query, p.req.query_len, S("q=x")));
    parse_done(&p);
    assert_int_equal(parse_whole(&p, S("GET HTTPS://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n")), 0);
    assert_true(same_bytes(p.req.path, p.req.path_len, S("/")));
    assert_null(p.req.query);
    parse_done(&p);
    assert_int_equal(status_of("GET ftp://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET example.com/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    assert_int_equal(status_of("GET http://example.com?x=/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void test_parser_accepts_options_asterisk(void **state)
{
    parse p;

    (void)state;
    assert_int_equal(parse_whole(&p, S("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")), 0);
    assert_int_equal(p.req.method, HTTP_OPTIONS);
    assert_true(same_bytes(p.req.path, p.req.path_len, S("*")));
    parse_done(&p);
    assert_int_equal(status_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}

static void test_parser_keeps_empty_query(void **state)
{
    parse p;

    (void)state;
    assert_int_equal(parse_whole(&p, S("GET /x? HTTP/1.1\r\nHost: a\r\n\r\n")), 0);
    assert_true(same_bytes(p.req.path, p.req.path_len, S("/x")));
    assert_non_null(p.req.query);
    assert_int_equal(p.req.query_len, 0);
    parse_done(&p);
}

static void test_parser_recognises_methods(void **state)
{
    static const struct {
        const char *req;
        http_method m;
    } cases[] = {
        {"GET / HTTP/1.0\r\n\r\n", HTTP_GET},         {"HEAD / HTTP/1.0\r\n\r\n", HTTP_HEAD},
        {"POST / HTTP/1.0\r\n\r\n", HTTP_POST},       {"PUT / HTTP/1.0\r\n\r\n", HTTP_PUT},
        {"DELETE / HTTP/1.0\r\n\r\n", HTTP_DELETE},   {"PATCH / HTTP/1.0\r\n\r\n", HTTP_PATCH},
        {"OPTIONS / HTTP/1.0\r\n\r\n", HTTP_OPTIONS}, {"BREW / HTTP/1.0\r\n\r\n", HTTP_OTHER},
        {"get / HTTP/1.0\r\n\r\n", HTTP_OTHER},       {"GETS / HTTP/1.0\r\n\r\n", HTTP_OTHER},
    };
    parse p;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse_whole(&p, cases[i].req, strlen(cases[i].req)), 0);
        assert_int_equal(p.req.method, cases[i].m);
        parse_done(&p);
    }
}

/* ---- framing across requests ---- */

static void test_parser_skips_leading_empty_lines(void **state)
{
    parse p;
    char many[200];

    (void)state;
    assert_int_equal(parse_whole(&p, S("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")), 0);
    assert_int_equal(p.skip, 4);
    assert_int_equal(p.head, 27);
    parse_done(&p);
    /* but not without end */
    memset(many, 0, sizeof(many));
    for (size_t i = 0; i < 40; i++)
        memcpy(many + 2 * i, "\r\n", 2);
    strcat(many, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_int_equal(status_of(many), 400);
}

static void test_parser_waits_for_the_whole_head(void **state)
{
    (void)state;
    assert_int_equal(status_of(""), -1);
    assert_int_equal(status_of("\r\n"), -1);
    assert_int_equal(status_of("GET / HTTP/1.1"), -1);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n"), -1);
    assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n\r"), -1);
}

/* Takes requests from a buffer as the server does; returns how many. */
static size_t take_pipelined(char *data, size_t len, const char **paths, size_t max,
                             const char **bodies)
{
    size_t off = 0, count = 0;

    while (off < len && count < max) {
        size_t scan = 0, skip = 0, used;
        long h = http_head_length(data + off, len - off, &scan, &skip);
        http_request req;
        http_head_info info;

        assert_true(h > 0);
        assert_int_equal(http_parse_head(data + off + skip, (size_t)h, &req, &info), 0);
        used = skip + (size_t)h;
        paths[count] = req.path;
        bodies[count] = NULL;
        if (info.body == BODY_LENGTH) {
            bodies[count] = data + off + used;
            used += info.content_length;
        } else if (info.body == BODY_CHUNKED) {
            http_chunked st;
            memset(&st, 0, sizeof(st));
            assert_int_equal(
                http_chunked_decode(&st, data + off + used, len - off - used, HTTP_MAX_BODY), 1);
            bodies[count] = data + off + used;
            used += st.in;
        }
        off += used;
        count++;
    }
    assert_int_equal(off, len);
    return count;
}

static void test_parser_takes_pipelined_requests_in_order(void **state)
{
    static const char in[] = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz"
                             "\r\n"
                             "PUT /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nhi\r\n0\r\n\r\n"
                             "GET /d HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    char *data = dup_exact(S(in));
    const char *paths[8], *bodies[8];

    (void)state;
    assert_int_equal(take_pipelined(data, sizeof(in) - 1, paths, 8, bodies), 4);
    assert_memory_equal(paths[0], "/a ", 3);
    assert_memory_equal(paths[1], "/b ", 3);
    assert_memory_equal(bodies[1], "xyz", 3);
    assert_memory_equal(paths[2], "/c ", 3);
    assert_memory_equal(bodies[2], "hi", 2);
    assert_memory_equal(paths[3], "/d ", 3);
    free(data);
}

/* ---- Expect ---- */

static void test_parser_accepts_expect_100_continue(void **state)
{
    parse p;

    (void)state;
    assert_int_equal(parse_whole(&p, S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                                       "Expect: 100-Continue\r\n\r\n")),
                     0);
    assert_int_equal(p.req.expect_continue, 1);
    parse_done(&p);
    assert_int_equal(parse_whole(&p, S("POST / HTTP/1.1\r\nHost: a\r\n\r\n")), 0);
    assert_int_equal(p.req.expect_continue, 0);
    parse_done(&p);
}

static void test_parser_answers_417_to_unknown_expect(void **state)
{
    (void)state;
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n"), 417);
    assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue-x\r\n\r\n"),
                     417);
}

/* ---- chunked bodies ---- */

typedef struct chunked_result {
    int rc;
    size_t in, out;
    char *data; /* decoded bytes at data[0..out) */
} chunked_result;

/* Decodes body in one call, the buffer being exactly the body. */
static chunked_result decode_whole(const char *body, size_t n, size_t max)
{
    chunked_result r;
    http_chunked st;

    memset(&st, 0, sizeof(st));
    r.data = dup_exact(body, n);
    r.rc = http_chunked_decode(&st, r.data, n, max);
    r.in = st.in;
    r.out = st.out;
    return r;
}

/* Decodes body as it trickles in one byte at a time into one buffer. */
static chunked_result decode_bytewise(const char *body, size_t n, size_t max)
{
    chunked_result r;
    http_chunked st;

    memset(&st, 0, sizeof(st));
    r.data = xmalloc(n ? n : 1);
    r.rc = 0;
    for (size_t len = 1; len <= n && r.rc == 0; len++) {
        r.data[len - 1] = body[len - 1];
        r.rc = http_chunked_decode(&st, r.data, len, max);
    }
    r.in = st.in;
    r.out = st.out;
    return r;
}

static void expect_decoded(const char *body, size_t n, const char *want, size_t want_len)
{
    chunked_result a = decode_whole(body, n, HTTP_MAX_BODY);
    chunked_result b = decode_bytewise(body, n, HTTP_MAX_BODY);

    assert_int_equal(a.rc, 1);
    assert_int_equal(a.in, n);
    assert_int_equal(a.out, want_len);
    assert_memory_equal(a.data, want, want_len);
    assert_int_equal(b.rc, 1);
    assert_int_equal(b.in, n);
    assert_int_equal(b.out, want_len);
    assert_memory_equal(b.data, want, want_len);
    free(a.data);
    free(b.data);
}

static int decode_status(const char *body)
{
    chunked_result a = decode_whole(body, strlen(body), HTTP_MAX_BODY);
    chunked_result b = decode_bytewise(body, strlen(body), HTTP_MAX_BODY);

    free(a.data);
    free(b.data);
    assert_int_equal(a.rc, b.rc);
    return a.rc;
}

static void test_parser_decodes_chunked_body(void **state)
{
    (void)state;
    expect_decoded(S("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"), S("hello world"));
    expect_decoded(S("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n"), S("0123456789abcdefghij"));
    expect_decoded(S("0\r\n\r\n"), "", 0);
    /* binary data with CR, LF and NUL inside a chunk */
    expect_decoded(S("4\r\n\r\n\0\n\r\n0\r\n\r\n"), "\r\n\0\n", 4);
}

static void test_parser_ignores_chunk_extensions(void **state)
{
    (void)state;
    expect_decoded(S("5;name=value\r\nhello\r\n0;last\r\n\r\n"), S("hello"));
    expect_decoded(S("5 ;a=\"q; x\"\r\nhello\r\n0\r\n\r\n"), S("hello"));
}

static void test_parser_drops_trailers(void **state)
{
    (void)state;
    expect_decoded(S("3\r\nabc\r\n0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n"), S("abc"));
}

static void test_parser_stops_chunked_at_its_end(void **state)
{
    static const char body[] = "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    chunked_result a = decode_whole(S(body), HTTP_MAX_BODY);

    (void)state;
    assert_int_equal(a.rc, 1);
    assert_int_equal(a.in, 13);
    assert_memory_equal(a.data + a.in, "GET ", 4);
    free(a.data);
}

static void test_parser_waits_for_the_whole_chunked_body(void **state)
{
    (void)state;
    assert_int_equal(decode_status("5\r\nhel"), 0);
    assert_int_equal(decode_status("5\r\nhello\r\n0\r\n"), 0);
    assert_int_equal(decode_status("5\r\nhello\r\n0\r\nX: y\r\n"), 0);
}

static void test_parser_rejects_bad_chunk_syntax(void **state)
{
    (void)state;
    assert_int_equal(decode_status("z\r\n"), -400);
    assert_int_equal(decode_status("\r\n"), -400);
    assert_int_equal(decode_status(";x\r\n"), -400);
    assert_int_equal(decode_status("5x\r\nhello\r\n"), -400);
    assert_int_equal(decode_status("5\nhello\r\n0\r\n\r\n"), -400);
    assert_int_equal(decode_status("5\rhello\r\n0\r\n\r\n"), -400);
    assert_int_equal(decode_status("5\r\nhelloX\r\n0\r\n\r\n"), -400);
    assert_int_equal(decode_status("5\r\nhello\rX0\r\n\r\n"), -400);
    assert_int_equal(decode_status("5\r\nhello\n0\r\n\r\n"), -400);
    assert_int_equal(decode_status("5;a\nb\r\nhello\r\n0\r\n\r\n"), -400);
    assert_int_equal(decode_status("5;a\x01\r\nhello\r\n0\r\n\r\n"), -400);
    assert_int_equal(decode_status("0\r\nX: y\nZ\r\n\r\n"), -400);
    assert_int_equal(decode_status("0\r\n\rX"), -400);
}

static void test_parser_answers_413_to_large_chunk_size(void **state)
{
    (void)state;
    assert_int_equal(decode_status("100001\r\n"), -413);
    assert_int_equal(decode_status("fffffffff\r\n"), -413);
}

static void test_parser_answers_413_to_chunked_body_over_limit(void **state)
{
    /* two chunks of 512 KiB, then one byte more */
    const size_t half = HTTP_MAX_BODY / 2;
    size_t n = 2 * (8 + half + 2) + 3 + 1 + 2, off = 0;
    char *body = xmalloc(n + 16);
    chunked_result a;

    (void)state;
    for (int i = 0; i < 2; i++) {
        memcpy(body + off, "80000\r\n", 7);
        off += 7;
        memset(body + off, 'x', half);
        off += half;
        memcpy(body + off, "\r\n", 2);
        off += 2;
    }
    memcpy(body + off, "1\r\nx\r\n0\r\n\r\n", 11);
    off += 11;
    a = decode_whole(body, off, HTTP_MAX_BODY);
    assert_int_equal(a.rc, -413);
    free(a.data);
    /* exactly the limit is fine */
    memcpy(body + off - 11, "0\r\n\r\n", 5);
    a = decode_whole(body, off - 6, HTTP_MAX_BODY);
    assert_int_equal(a.rc, 1);
    assert_int_equal(a.out, HTTP_MAX_BODY);
    free(a.data);
    free(body);
}

/* ---- a body, given the route's cap ---- */

static http_head_info head_info(http_body_kind kind, uint64_t length)
{
    http_head_info info = {.body = kind, .content_length = length};
    return info;
}

static void test_parser_body_over_the_cap_is_refused_before_a_byte_is_read(void **state)
{
    http_head_info cl = head_info(BODY_LENGTH, 65), te = head_info(BODY_CHUNKED, 0);
    http_body b;

    (void)state;
    assert_int_equal(http_body_begin(&b, &cl, 64), 413);
    assert_int_equal(http_body_begin(&b, &cl, 65), 0);
    assert_int_equal(b.wire_max, 65);
    /* where the route takes none, any body is refused, chunked included */
    assert_int_equal(http_body_begin(&b, &cl, 0), 413);
    assert_int_equal(http_body_begin(&b, &te, 0), 413);
    assert_int_equal(http_body_begin(&b, &te, 64), 0);
    /* no route may take more than the server's ceiling */
    cl.content_length = HTTP_MAX_BODY + 1;
    assert_int_equal(http_body_begin(&b, &cl, SIZE_MAX), 413);
}

static void test_parser_body_take_waits_for_the_declared_length(void **state)
{
    http_head_info cl = head_info(BODY_LENGTH, 5);
    char data[] = "hellGET";
    size_t used = 0, n = 0;
    http_body b;

    (void)state;
    assert_int_equal(http_body_begin(&b, &cl, 64), 0);
    assert_int_equal(http_body_take(&b, data, 4, &used, &n), 0);
    data[4] = 'o';
    assert_int_equal(http_body_take(&b, data, 7, &used, &n), 1);
    assert_int_equal(used, 5);
    assert_int_equal(n, 5);
}

/* A chunked body whose framing passes wire_max is refused whatever the
 * reads it came in, and one within it is decoded. */
static int take_chunked_in_steps(const char *s, size_t n, size_t cap, size_t step, size_t *out)
{
    http_head_info te = head_info(BODY_CHUNKED, 0);
    char *data = xmalloc(n);
    size_t used = 0, len = 0;
    http_body b;
    int rc = 0;

    memcpy(data, s, n);
    assert_int_equal(http_body_begin(&b, &te, cap), 0);
    while (rc == 0 && len < n) {
        len = len + step < n ? len + step : n;
        rc = http_body_take(&b, data, len, &used, out);
    }
    free(data);
    return rc;
}

static void test_parser_chunk_framing_past_wire_max_is_413_at_every_step(void **state)
{
    const size_t cap = 16, chunks = 15, ext = 300;
    char *body = xmalloc(chunks * (ext + 8) + 8);
    size_t off = 0, out = 0;

    (void)state;
    /* one data byte a chunk behind a long extension: the decoded body stays
     * under the cap, the bytes it takes pass 2 * cap + HTTP_CHUNK_FRAMING */
    for (size_t i = 0; i < chunks; i++) {
        memcpy(body + off, "1;", 2);
        memset(body + off + 2, 'e', ext);
        memcpy(body + off + 2 + ext, "\r\nz\r\n", 5);
        off += ext + 7;
    }
    memcpy(body + off, "0\r\n\r\n", 5);
    off += 5;
    assert_true(off > 2 * cap + HTTP_CHUNK_FRAMING);
    for (size_t step = 1; step <= off; step = step * 3 + 1)
        assert_int_equal(take_chunked_in_steps(body, off, cap, step, &out), -413);
    /* the same body is fine for a cap whose allowance covers its framing */
    assert_int_equal(take_chunked_in_steps(body, off, 1024, off, &out), 1);
    assert_int_equal(out, chunks);
    assert_int_equal(take_chunked_in_steps(S("3;e=1\r\nabc\r\n0\r\n\r\n"), cap, 1, &out), 1);
    assert_int_equal(out, 3);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_parses_get_with_query),
        cmocka_unit_test(test_parser_same_parse_at_every_split_of_get),
        cmocka_unit_test(test_parser_same_parse_at_every_split_with_leading_crlf),
        cmocka_unit_test(test_parser_same_parse_at_every_split_of_post),
        cmocka_unit_test(test_parser_same_parse_at_every_split_of_head_only),
        cmocka_unit_test(test_parser_same_parse_at_every_split_of_pipelined),
        cmocka_unit_test(test_parser_accepts_max_request_line_at_every_split),
        cmocka_unit_test(test_parser_answers_414_to_long_request_line),
        cmocka_unit_test(test_parser_accepts_header_section_at_limit),
        cmocka_unit_test(test_parser_answers_431_to_large_header_section),
        cmocka_unit_test(test_parser_accepts_100_headers),
        cmocka_unit_test(test_parser_answers_431_to_101_headers),
        cmocka_unit_test(test_parser_answers_413_to_large_content_length),
        cmocka_unit_test(test_parser_rejects_space_before_colon),
        cmocka_unit_test(test_parser_rejects_obs_fold),
        cmocka_unit_test(test_parser_rejects_bare_lf),
        cmocka_unit_test(test_parser_rejects_ctl_in_value),
        cmocka_unit_test(test_parser_rejects_ctl_in_target),
        cmocka_unit_test(test_parser_refuses_what_cannot_start_a_request_before_any_lf),
        cmocka_unit_test(test_parser_rejects_empty_header_name),
        cmocka_unit_test(test_parser_requires_host_on_1_1),
        cmocka_unit_test(test_parser_rejects_two_hosts),
        cmocka_unit_test(test_parser_rejects_bad_version),
        cmocka_unit_test(test_parser_answers_505_to_other_major_versions),
        cmocka_unit_test(test_parser_answers_501_to_unknown_transfer_coding),
        cmocka_unit_test(test_parser_rejects_cl_with_te),
        cmocka_unit_test(test_parser_rejects_te_on_1_0),
        cmocka_unit_test(test_parser_rejects_conflicting_content_length),
        cmocka_unit_test(test_parser_treats_zero_content_length_as_no_body),
        cmocka_unit_test(test_parser_keeps_1_1_alive_by_default),
        cmocka_unit_test(test_parser_closes_1_1_on_connection_close),
        cmocka_unit_test(test_parser_closes_1_0_by_default),
        cmocka_unit_test(test_parser_keeps_1_0_alive_when_asked),
        cmocka_unit_test(test_parser_accepts_absolute_form),
        cmocka_unit_test(test_parser_accepts_options_asterisk),
        cmocka_unit_test(test_parser_keeps_empty_query),
        cmocka_unit_test(test_parser_recognises_methods),
        cmocka_unit_test(test_parser_skips_leading_empty_lines),
        cmocka_unit_test(test_parser_waits_for_the_whole_head),
        cmocka_unit_test(test_parser_takes_pipelined_requests_in_order),
        cmocka_unit_test(test_parser_accepts_expect_100_continue),
        cmocka_unit_test(test_parser_answers_417_to_unknown_expect),
        cmocka_unit_test(test_parser_decodes_chunked_body),
        cmocka_unit_test(test_parser_ignores_chunk_extensions),
        cmocka_unit_test(test_parser_drops_trailers),
        cmocka_unit_test(test_parser_stops_chunked_at_its_end),
        cmocka_unit_test(test_parser_waits_for_the_whole_chunked_body),
        cmocka_unit_test(test_parser_rejects_bad_chunk_syntax),
        cmocka_unit_test(test_parser_answers_413_to_large_chunk_size),
        cmocka_unit_test(test_parser_answers_413_to_chunked_body_over_limit),
        cmocka_unit_test(test_parser_body_over_the_cap_is_refused_before_a_byte_is_read),
        cmocka_unit_test(test_parser_body_take_waits_for_the_declared_length),
        cmocka_unit_test(test_parser_chunk_framing_past_wire_max_is_413_at_every_step),
        cmocka_unit_test(test_parser_leading_lf_is_rejected),
        cmocka_unit_test(test_parser_head_search_stays_in_buffer_after_leading_lf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
