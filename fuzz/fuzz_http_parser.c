/* Fuzzes the request parser (src/http/parser.h) the way the server drives it.
 *
 * Input: byte 0 picks a split point (its high six bits, as a fraction of the
 * rest) and the route's body cap (its low two bits: the server's ceiling,
 * 64, 0 or 4096 bytes); the rest is what a client sent. Requests are taken in
 * order, as on a keep-alive connection with pipelining. Each head is found
 * once in one read and once in two (up to the split, then all), each read in
 * a heap block of exactly the bytes received so far; both must reach the
 * same answer. Its body is then admitted or refused against the cap before a
 * byte of it is looked at, and taken (Content-Length or chunked) the same
 * two ways, which must agree: never more than the cap decoded, never more
 * than wire_max taken. Anything a parsed request points at must lie inside
 * its head. */
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

/* Takes a body from one read, or from two with the buffer moved in between
 * (as a growing read buffer may be), starting from the admitted state b. The
 * decoded bytes are left at the start of *body. */
static int take_in_reads(http_body b, char **body, size_t n, size_t cut, size_t *used, size_t *len)
{
    int rc = 0;

    *used = *len = 0;
    if (cut && cut < n) {
        char *first = copy_of(*body, cut), *moved;
        rc = http_body_take(&b, first, cut, used, len);
        moved = copy_of(first, cut);
        free(first);
        if (rc == 0) {
            char *grown = realloc(moved, n);
            if (!grown)
                abort();
            memcpy(grown + cut, *body + cut, n - cut);
            moved = grown;
            rc = http_body_take(&b, moved, n, used, len);
        }
        free(*body);
        *body = moved;
    } else {
        rc = http_body_take(&b, *body, n, used, len);
    }
    return rc;
}

/* A body refused before it is read must be one the cap does not allow. */
static void check_refusal(int rc, const http_head_info *info, size_t cap)
{
    size_t ceiling = cap < HTTP_MAX_BODY ? cap : HTTP_MAX_BODY;

    if (rc == 0)
        return;
    if (rc != 413 || info->body == BODY_NONE ||
        (info->body == BODY_LENGTH && info->content_length <= ceiling) ||
        (info->body == BODY_CHUNKED && ceiling))
        abort();
}

/* Takes one request from s; returns the bytes it used, or 0 to stop. */
static size_t take_request(const char *s, size_t n, size_t cut, size_t cap)
{
    http_request req;
    http_head_info info;
    http_body admitted;
    size_t skip, skip2, used, avail, used_a, used_b, len_a, len_b;
    char *whole = copy_of(s, n), *a, *b;
    long h = head_in_reads(whole, n, 0, &skip), h2 = head_in_reads(whole, n, cut, &skip2);
    int ra, rb;

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
    if (info.body == BODY_LENGTH && info.content_length > HTTP_MAX_BODY)
        abort(); /* refused by the parser */
    ra = http_body_begin(&admitted, &info, cap);
    check_refusal(ra, &info, cap);
    if (ra != 0)
        goto done;
    used = skip + (size_t)h;
    avail = n - used;
    a = copy_of(whole + used, avail);
    b = copy_of(whole + used, avail);
    ra = take_in_reads(admitted, &a, avail, 0, &used_a, &len_a);
    rb = take_in_reads(admitted, &b, avail, cut > used ? cut - used : 0, &used_b, &len_b);
    if (ra != rb || (ra == 1 && (used_a != used_b || len_a != len_b || memcmp(a, b, len_a))))
        abort(); /* the split changed the body */
    if (ra == 1 && (len_a > admitted.cap || used_a > avail || len_a > used_a ||
                    (admitted.kind != BODY_NONE && used_a > admitted.wire_max) ||
                    (admitted.kind == BODY_LENGTH && len_a != info.content_length)))
        abort(); /* past the cap, or more taken than allowed */
    free(a);
    free(b);
    if (ra != 1) {
        used = 0;
        goto done;
    }
    used += used_a;
done:
    free(whole);
    return used;
}

#define MAX_REQUESTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data + 1;
    static const size_t caps[4] = {HTTP_MAX_BODY, 64, 0, 4096};
    size_t n, cut, off = 0, cap;

    if (size < 1)
        return 0;
    n = size - 1;
    cut = n * (data[0] >> 2) / 63;
    /* small caps, and none, so that every refusal is reachable */
    cap = caps[data[0] & 3];
    for (int i = 0; i < MAX_REQUESTS && off < n; i++) {
        size_t used = take_request(in + off, n - off, cut > off ? cut - off : 0, cap);
        if (!used)
            break;
        off += used;
    }
    return 0;
}
