/* Fuzzes the request parser (src/http/parser.h) the way the server drives it.
 *
 * Input: byte 0 picks a split point (as a fraction of the rest) and the body
 * limit; the rest is what a client sent. Requests are taken in order, as on a
 * keep-alive connection with pipelining. Each head is found once in one read
 * and once in two (up to the split, then all), each read in a heap block of
 * exactly the bytes received so far; both must reach the same answer. A
 * chunked body is decoded the same two ways and must decode the same.
 * Anything a parsed request points at must lie inside its head. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"

#define MAX_REQUESTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *copy_of(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);

    if (!p)
        abort();
    if (n)
        memcpy(p, s, n);
    return p;
}

static void check_inside(const char *p, size_t n, const char *lo, const char *hi)
{
    if (n && (!p || p < lo || p + n > hi))
        abort();
}

/* The pointers of a parsed request all point into its head. */
static void check_request(const http_request *req, const char *head, size_t len)
{
    const char *end = head + len;

    check_inside(req->method_str, req->method_len, head, end);
    check_inside(req->path, req->path_len, head, end);
    if (req->query)
        check_inside(req->query, req->query_len, head, end);
    if (req->nheaders > HTTP_MAX_HEADERS)
        abort();
    for (size_t i = 0; i < req->nheaders; i++) {
        check_inside(req->headers[i].name, req->headers[i].name_len, head, end);
        check_inside(req->headers[i].value, req->headers[i].value_len, head, end);
    }
    (void)http_request_header(req, "host", NULL);
}

/* The head in one read (the whole buffer), or in two (the first cut bytes,
 * then all of them), keeping scan and skip as the server does. */
static long head_in_reads(const char *s, size_t n, size_t cut, size_t *skip)
{
    size_t scan = 0;
    long h = 0;

    *skip = 0;
    if (cut && cut < n) {
        char *part = copy_of(s, cut);
        h = http_head_length(part, cut, &scan, skip);
        free(part);
    }
    if (h == 0)
        h = http_head_length(s, n, &scan, skip);
    return h;
}

/* Decodes a chunked body from one read, or from two with the buffer moved in
 * between (as a growing read buffer may be). The decoded bytes are left at
 * the start of *body. */
static int decode_in_reads(char **body, size_t n, size_t cut, size_t max, http_chunked *st)
{
    int rc = 0;

    memset(st, 0, sizeof(*st));
    if (cut && cut < n) {
        char *first = copy_of(*body, cut), *moved;
        rc = http_chunked_decode(st, first, cut, max);
        moved = copy_of(first, cut);
        free(first);
        if (rc == 0) {
            char *grown = realloc(moved, n);
            if (!grown)
                abort();
            memcpy(grown + cut, *body + cut, n - cut);
            moved = grown;
            rc = http_chunked_decode(st, moved, n, max);
        }
        free(*body);
        *body = moved;
    } else {
        rc = http_chunked_decode(st, *body, n, max);
    }
    return rc;
}

/* Takes one request from s; returns the bytes it used, or 0 to stop. */
static size_t take_request(const char *s, size_t n, size_t cut, size_t max_body)
{
    http_request req;
    http_head_info info;
    size_t skip, skip2, used, body_len;
    char *whole = copy_of(s, n);
    long h = head_in_reads(whole, n, 0, &skip), h2 = head_in_reads(whole, n, cut, &skip2);

    if ((h > 0) != (h2 > 0) || (h < 0) != (h2 < 0) || (h > 0 && (h != h2 || skip != skip2)))
        abort(); /* the split changed the answer */
    used = 0;
    if (h <= 0)
        goto done;
    if ((size_t)h + skip > n)
        abort();
    if (http_parse_head(whole + skip, (size_t)h, &req, &info) != 0)
        goto done;
    check_request(&req, whole + skip, (size_t)h);
    used = skip + (size_t)h;
    body_len = n - used;
    if (info.body == BODY_LENGTH) {
        if (info.content_length > HTTP_MAX_BODY)
            abort(); /* refused by the parser */
        if (info.content_length > body_len) {
            used = 0;
            goto done;
        }
        used += (size_t)info.content_length;
    } else if (info.body == BODY_CHUNKED) {
        char *a = copy_of(whole + used, body_len), *b = copy_of(whole + used, body_len);
        size_t body_cut = cut > used ? cut - used : 0;
        http_chunked sa, sb;
        int ra = decode_in_reads(&a, body_len, 0, max_body, &sa);
        int rb = decode_in_reads(&b, body_len, body_cut, max_body, &sb);

        if (ra != rb || sa.in != sb.in || sa.out != sb.out || sa.out > sa.in || sa.in > body_len ||
            sa.out > max_body || (sa.out && memcmp(a, b, sa.out)))
            abort();
        free(a);
        free(b);
        if (ra != 1) {
            used = 0;
            goto done;
        }
        used += sa.in;
    }
done:
    free(whole);
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data + 1;
    size_t n, cut, off = 0, max_body;

    if (size < 1)
        return 0;
    n = size - 1;
    cut = n * (data[0] >> 1) / 127;
    /* a small limit now and then, so the 413 paths are reachable */
    max_body = data[0] & 1 ? 64 : HTTP_MAX_BODY;
    for (int i = 0; i < MAX_REQUESTS && off < n; i++) {
        size_t used = take_request(in + off, n - off, cut > off ? cut - off : 0, max_body);
        if (!used)
            break;
        off += used;
    }
    return 0;
}
