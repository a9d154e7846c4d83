#include "http/parser.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2 tchar */
/* clang-format off */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
    ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};
/* clang-format on */

static int is_field_vchar(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f); /* VCHAR, SP, HTAB, obs-text */
}

static int is_target_char(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != '#'; /* no CTL, no SP, no fragment */
}

/* A control byte: never part of a head but as CR LF, or HTAB in a field. */
static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Every byte is judged once, in order, as it arrives, so a stream that can
 * never be a request (a TLS ClientHello, binary, bare CR line endings) is
 * refused at its first wrong byte rather than when an LF comes, and the
 * answer does not depend on how the bytes were split into reads. */
long http_head_length(const char *data, size_t len, size_t *scan, size_t *skip)
{
    const unsigned char *d = (const unsigned char *)data;
    const char *lf;
    size_t start, line_len = 0, i;

    /* leading CRLFs are ignored, but not forever */
    while (*skip + 1 < len && d[*skip] == '\r' && d[*skip + 1] == '\n') {
        *skip += 2;
        if (*skip > 64)
            return -400;
    }
    start = *skip;
    if (len <= start)
        return 0;
    /* a request starts with its method, a token (RFC 9112 §3) */
    if (d[start] == '\r')
        return start + 1 < len ? -400 : 0; /* a CR not followed by LF */
    if (!tchar[d[start]])
        return -400;
    i = *scan > start ? *scan : start;
    /* the request line ends at the first LF: it may have been seen already */
    if ((lf = memchr(data + start, '\n', i - start)))
        line_len = (size_t)(lf - (data + start)) + 1;
    for (; i < len; i++) {
        unsigned char c = d[i];
        if (c == '\n') {
            if (d[i - 1] != '\r')
                return -400; /* a bare LF: lines end with CRLF (RFC 9112 §2.2) */
            if (line_len && i - start - line_len + 1 > HTTP_MAX_HEADER_BYTES + 2)
                return -431;
            if (!line_len)
                line_len = i - start + 1;
            else if (d[i - 2] == '\n')
                return (long)(i + 1 - start); /* CRLF CRLF ends the head */
            continue;
        }
        if (!line_len && i - start + 1 > HTTP_MAX_REQUEST_LINE + 1)
            return -414;
        if (line_len && i - start - line_len + 1 > HTTP_MAX_HEADER_BYTES + 2)
            return -431;
        if (c == '\r') {
            if (i + 1 == len)
                break; /* its LF may be in the next read: judge it then */
            if (d[i + 1] != '\n')
                return -400;
        } else if (is_ctl(c) && (c != '\t' || !line_len)) {
            return -400; /* HTAB only within header fields */
        }
    }
    *scan = i;
    return 0;
}

static http_method method_of(const char *m, size_t n)
{
    static const struct {
        const char *name;
        http_method m;
    } methods[] = {{"GET", HTTP_GET},        {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
                   {"PUT", HTTP_PUT},        {"DELETE", HTTP_DELETE}, {"PATCH", HTTP_PATCH},
                   {"OPTIONS", HTTP_OPTIONS}};

    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strlen(methods[i].name) == n && !memcmp(methods[i].name, m, n))
            return methods[i].m;
    return HTTP_OTHER;
}

static int parse_target(http_request *req, const char *t, size_t n)
{
    const char *q;

    if (n == 1 && t[0] == '*') {
        if (req->method != HTTP_OPTIONS)
            return 400;
        req->path = t;
        req->path_len = 1;
        return 0;
    }
    if (t[0] != '/') {
        /* absolute-form (RFC 9112 §3.2.2): keep only the path and query */
        size_t skip;
        if (n > 7 && !strncasecmp(t, "http://", 7))
            skip = 7;
        else if (n > 8 && !strncasecmp(t, "https://", 8))
            skip = 8;
        else
            return 400;
        const char *slash = memchr(t + skip, '/', n - skip);
        const char *qm = memchr(t + skip, '?', n - skip);
        if (!slash || (qm && qm < slash))
            return 400;
        n -= (size_t)(slash - t);
        t = slash;
    }
    q = memchr(t, '?', n);
    req->path = t;
    req->path_len = q ? (size_t)(q - t) : n;
    req->query = q ? q + 1 : NULL;
    req->query_len = q ? n - req->path_len - 1 : 0;
    return 0;
}

static int parse_request_line(http_request *req, const char *p, const char *end)
{
    const char *sp1, *sp2;
    size_t mlen;

    sp1 = memchr(p, ' ', (size_t)(end - p));
    if (!sp1 || sp1 == p)
        return 400;
    mlen = (size_t)(sp1 - p);
    for (size_t i = 0; i < mlen; i++)
        if (!tchar[(unsigned char)p[i]])
            return 400;
    req->method_str = p;
    req->method_len = mlen;
    req->method = method_of(p, mlen);
    sp2 = sp1 + 1;
    while (sp2 < end && is_target_char((unsigned char)*sp2))
        sp2++;
    if (sp2 == sp1 + 1 || sp2 >= end || *sp2 != ' ')
        return 400;
    if (end - (sp2 + 1) != 8 || memcmp(sp2 + 1, "HTTP/", 5) || sp2[7] != '.' || sp2[6] < '0' ||
        sp2[6] > '9' || sp2[8] < '0' || sp2[8] > '9')
        return 400;
    if (sp2[6] != '1')
        return 505;
    req->minor_version = sp2[8] == '0' ? 0 : 1;
    return parse_target(req, sp1 + 1, (size_t)(sp2 - sp1 - 1));
}

static int token_list_has(const char *v, size_t n, const char *token)
{
    size_t tl = strlen(token), i = 0;

    while (i < n) {
        size_t s, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        s = i;
        while (i < n && v[i] != ',')
            i++;
        e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && !strncasecmp(v + s, token, tl))
            return 1;
    }
    return 0;
}

static int name_is(const http_header *h, const char *name)
{
    return h->name_len == strlen(name) && !strncasecmp(h->name, name, h->name_len);
}

/* Framing and connection semantics of the parsed headers (RFC 9112 §6). */
static int apply_headers(http_request *req, http_head_info *info)
{
    int hosts = 0, have_cl = 0, have_te = 0, close = 0, keep = 0;
    uint64_t cl = 0;

    for (size_t i = 0; i < req->nheaders; i++) {
        const http_header *h = &req->headers[i];
        if (name_is(h, "host")) {
            hosts++;
        } else if (name_is(h, "content-length")) {
            uint64_t v = 0;
            if (!h->value_len || h->value_len > 18)
                return 400;
            for (size_t k = 0; k < h->value_len; k++) {
                if (h->value[k] < '0' || h->value[k] > '9')
                    return 400;
                v = v * 10 + (uint64_t)(h->value[k] - '0');
            }
            if (have_cl && v != cl)
                return 400;
            cl = v;
            have_cl = 1;
        } else if (name_is(h, "transfer-encoding")) {
            /* only "chunked", once, is understood */
            if (have_te || h->value_len != 7 || strncasecmp(h->value, "chunked", 7))
                return 501;
            have_te = 1;
        } else if (name_is(h, "connection")) {
            close |= token_list_has(h->value, h->value_len, "close");
            keep |= token_list_has(h->value, h->value_len, "keep-alive");
        } else if (name_is(h, "expect")) {
            if (h->value_len != 12 || strncasecmp(h->value, "100-continue", 12))
                return 417;
            req->expect_continue = 1;
        }
    }
    if (req->minor_version == 1 && hosts != 1)
        return 400;
    if (hosts > 1)
        return 400;
    if (have_cl && have_te)
        return 400; /* request smuggling: refuse, do not guess */
    if (have_te && req->minor_version == 0)
        return 400;
    info->body = have_te ? BODY_CHUNKED : have_cl && cl ? BODY_LENGTH : BODY_NONE;
    info->content_length = cl;
    if (have_cl && cl > HTTP_MAX_BODY)
        return 413;
    req->keep_alive = req->minor_version == 1 ? !close : keep && !close;
    return 0;
}

int http_parse_head(const char *data, size_t head_len, http_request *req, http_head_info *info)
{
    const char *p = data, *end = data + head_len - 2; /* before the final CRLF */
    const char *eol;
    int rc;

    req->nheaders = 0;
    req->query = NULL;
    req->query_len = 0;
    req->body = NULL;
    req->body_len = 0;
    req->expect_continue = 0;
    info->body = BODY_NONE;
    info->content_length = 0;

    eol = memchr(p, '\r', (size_t)(end - p + 1));
    if (!eol || eol[1] != '\n')
        return 400;
    if ((rc = parse_request_line(req, p, eol)) != 0)
        return rc;
    p = eol + 2;
    while (p < end) {
        http_header *h;
        const char *colon, *v, *ve;

        eol = memchr(p, '\r', (size_t)(end - p + 1));
        if (!eol || eol[1] != '\n')
            return 400;
        if (req->nheaders >= HTTP_MAX_HEADERS)
            return 431;
        colon = p;
        while (colon < eol && tchar[(unsigned char)*colon])
            colon++;
        if (colon == p || colon == eol || *colon != ':')
            return 400; /* includes obs-fold and space before the colon */
        v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
        ve = eol;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const char *c = v; c < ve; c++)
            if (!is_field_vchar((unsigned char)*c))
                return 400;
        h = &req->headers[req->nheaders++];
        h->name = p;
        h->name_len = (size_t)(colon - p);
        h->value = v;
        h->value_len = (size_t)(ve - v);
        p = eol + 2;
    }
    return apply_headers(req, info);
}

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF };

int http_chunked_decode(http_chunked *st, char *data, size_t len, size_t max_body)
{
    while (st->in < len) {
        char c = data[st->in];
        switch (st->state) {
        case CH_SIZE: {
            int h = http_hex_value(c);
            if (h >= 0) {
                if (st->line >= 8)
                    return -413; /* over 4 GiB: more than any limit */
                st->remaining = st->remaining * 16 + (uint64_t)h;
                st->line++;
                st->in++;
                break;
            }
            if (!st->line)
                return -400;
            if (st->remaining > max_body || st->out + st->remaining > max_body)
                return -413;
            st->state = c == '\r' ? CH_SIZE_LF : CH_EXT;
            st->in++;
            if (st->state == CH_EXT && c != ';' && c != ' ' && c != '\t')
                return -400;
            break;
        }
        case CH_EXT:
            /* chunk extensions are ignored, within the request-line limit */
            if (++st->line > HTTP_MAX_REQUEST_LINE)
                return -400;
            if (c == '\r')
                st->state = CH_SIZE_LF;
            else if (c == '\n' || ((unsigned char)c < 0x20 && c != '\t'))
                return -400;
            st->in++;
            break;
        case CH_SIZE_LF:
            if (c != '\n')
                return -400;
            st->in++;
            st->line = 0;
            st->state = st->remaining ? CH_DATA : CH_TRAILER;
            break;
        case CH_DATA: {
            size_t avail = len - st->in;
            size_t take = avail < st->remaining ? avail : (size_t)st->remaining;
            memmove(data + st->out, data + st->in, take);
            st->out += take;
            st->in += take;
            st->remaining -= take;
            if (!st->remaining)
                st->state = CH_DATA_CR;
            break;
        }
        case CH_DATA_CR:
            if (c != '\r')
                return -400;
            st->in++;
            st->state = CH_DATA_LF;
            break;
        case CH_DATA_LF:
            if (c != '\n')
                return -400;
            st->in++;
            st->state = CH_SIZE;
            break;
        case CH_TRAILER:
            /* trailer fields are read and dropped; an empty line ends them */
            if (c == '\r') {
                st->state = CH_TRAILER_LF;
            } else {
                if (c == '\n' || ++st->line > HTTP_MAX_HEADER_BYTES)
                    return c == '\n' ? -400 : -431;
            }
            st->in++;
            break;
        case CH_TRAILER_LF:
            if (c != '\n')
                return -400;
            st->in++;
            if (!st->line)
                return 1;
            st->line = 0;
            st->state = CH_TRAILER;
            break;
        }
    }
    return 0;
}

int http_body_begin(http_body *b, const http_head_info *info, size_t cap)
{
    memset(b, 0, sizeof(*b));
    b->kind = info->body;
    b->length = info->content_length;
    b->cap = cap < HTTP_MAX_BODY ? cap : HTTP_MAX_BODY;
    switch (b->kind) {
    case BODY_NONE:
        return 0;
    case BODY_LENGTH:
        if (b->length > b->cap)
            return 413;
        b->wire_max = (size_t)b->length;
        return 0;
    default:
        /* its size is unknown until it has arrived: where none is taken,
         * refuse it rather than read it to find out */
        if (!b->cap)
            return 413;
        b->wire_max = 2 * b->cap + HTTP_CHUNK_FRAMING;
        return 0;
    }
}

int http_body_take(http_body *b, char *data, size_t len, size_t *used, size_t *body_len)
{
    int rc;

    switch (b->kind) {
    case BODY_NONE:
        *used = *body_len = 0;
        return 1;
    case BODY_LENGTH:
        if (len < b->length)
            return 0;
        *used = *body_len = (size_t)b->length;
        return 1;
    default:
        /* never past wire_max, so the answer does not depend on how the
         * bytes were split into reads */
        rc = http_chunked_decode(&b->chunk, data, len < b->wire_max ? len : b->wire_max, b->cap);
        if (rc == 0 && b->chunk.in >= b->wire_max)
            return -413;
        if (rc != 1)
            return rc;
        *used = b->chunk.in;
        *body_len = b->chunk.out;
        return 1;
    }
}
