#include "util/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 32

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0) /* overlong */
            return 0;
        if (c == 0xED && s[1] >= 0xA0) /* UTF-16 surrogate */
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) /* overlong */
            return 0;
        if (c == 0xF4 && s[1] >= 0x90) /* above U+10FFFF */
            return 0;
        return 4;
    }
    return 0;
}

int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        if (!(k = utf8_seq_len(p + i, n - i)))
            return 0;
        i += k;
    }
    return 1;
}

size_t utf8_prefix(const char *s, size_t n, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        k = utf8_seq_len(p + i, n - i);
        if (!k)
            k = 1; /* invalid bytes count as one replaced character */
        if (i + k > max)
            break;
        i += k;
    }
    return i;
}

int json_escape(buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, k;

    while (i < n) {
        unsigned c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (i > run && buf_append(out, s + run, i - run) != 0)
            return -1;
        if (c >= 0x80) {
            k = utf8_seq_len(p + i, n - i);
            if (k) {
                if (buf_append(out, s + i, k) != 0)
                    return -1;
                i += k;
            } else {
                if (buf_append(out, "\xEF\xBF\xBD", 3) != 0)
                    return -1;
                i++;
            }
            run = i;
            continue;
        }
        {
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            size_t len = 2;
            switch (c) {
            case '"':
                esc[1] = '"';
                break;
            case '\\':
                esc[1] = '\\';
                break;
            case '\n':
                esc[1] = 'n';
                break;
            case '\r':
                esc[1] = 'r';
                break;
            case '\t':
                esc[1] = 't';
                break;
            case '\b':
                esc[1] = 'b';
                break;
            case '\f':
                esc[1] = 'f';
                break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                len = 6;
            }
            if (buf_append(out, esc, len) != 0)
                return -1;
        }
        i++;
        run = i;
    }
    if (i > run && buf_append(out, s + run, i - run) != 0)
        return -1;
    return 0;
}

void jw_begin(jw_writer *w, buf *out)
{
    w->out = out;
    w->depth = 0;
    w->need_comma = 0;
    w->after_key = 0;
    w->err = 0;
}

int jw_end(jw_writer *w)
{
    return w->err || w->depth ? -1 : 0;
}

static void put(jw_writer *w, const char *s, size_t n)
{
    if (!w->err && buf_append(w->out, s, n) != 0)
        w->err = 1;
}

/* Emits the separator a new value needs at the current position. */
static void value_prefix(jw_writer *w)
{
    uint32_t bit = 1u << w->depth;

    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->need_comma & bit)
        put(w, ",", 1);
    w->need_comma |= bit;
}

static void open_container(jw_writer *w, char c)
{
    if (w->err)
        return;
    value_prefix(w);
    if (w->depth + 1 >= JSON_MAX_DEPTH) {
        w->err = 1;
        return;
    }
    put(w, &c, 1);
    w->depth++;
    w->need_comma &= ~(1u << w->depth);
}

static void close_container(jw_writer *w, char c)
{
    if (w->err)
        return;
    if (!w->depth) {
        w->err = 1;
        return;
    }
    w->depth--;
    put(w, &c, 1);
}

void jw_obj_open(jw_writer *w)
{
    open_container(w, '{');
}

void jw_obj_close(jw_writer *w)
{
    close_container(w, '}');
}

void jw_arr_open(jw_writer *w)
{
    open_container(w, '[');
}

void jw_arr_close(jw_writer *w)
{
    close_container(w, ']');
}

/* Whether s goes into a JSON string as it is: printable ASCII other than
 * '"' and '\\' (anything else takes json_escape()). */
static inline int word_plain(uint64_t v)
{
    /* a byte that is a control character, not ASCII, '"' or '\\' sets its
     * top bit in one of these (the classic has-zero-byte test on v,
     * v - 0x20 and v xor each quote) */
    const uint64_t ones = 0x0101010101010101ull, tops = 0x8080808080808080ull;
    uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');

    return !((v | ((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & tops);
}

static inline int plain(const char *s, size_t n)
{
    uint64_t v;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&v, s + i, 8);
        if (!word_plain(v))
            return 0;
    }
    /* the last bytes in a word padded with a plain letter */
    v = 0x6161616161616161ull;
    memcpy(&v, s + i, n - i);
    return word_plain(v);
}

/* s quoted, then ':' for a key: one copy when s needs no escaping (keys,
 * names and dates nearly always). */
static void put_quoted(jw_writer *w, const char *s, size_t n, int key)
{
    size_t len = n + 2 + (key != 0);
    char *d;

    if (w->err)
        return;
    if (!plain(s, n)) {
        put(w, "\"", 1);
        if (!w->err && json_escape(w->out, s, n) != 0)
            w->err = 1;
        put(w, key ? "\":" : "\"", key ? 2 : 1);
        return;
    }
    if (buf_reserve(w->out, len) != 0) {
        w->err = 1;
        return;
    }
    d = w->out->data + w->out->len;
    *d++ = '"';
    memcpy(d, s, n);
    d[n] = '"';
    if (key)
        d[n + 1] = ':';
    w->out->len += len;
    w->out->data[w->out->len] = '\0';
}

void jw_keyn(jw_writer *w, const char *key, size_t n)
{
    uint32_t bit = 1u << w->depth;
    int comma = 0;
    char *d;

    if (w->err)
        return;
    if (!plain(key, n)) {
        value_prefix(w);
        put_quoted(w, key, n, 1);
        w->after_key = 1;
        return;
    }
    if (w->after_key) {
        w->after_key = 0; /* a key after a key: as value_prefix() does */
    } else {
        comma = (w->need_comma & bit) != 0;
        w->need_comma |= bit;
    }
    /* the separator, the quoted key and its colon in one reservation */
    if (buf_reserve(w->out, n + 4) != 0) {
        w->err = 1;
        return;
    }
    d = w->out->data + w->out->len;
    if (comma)
        *d++ = ',';
    *d++ = '"';
    memcpy(d, key, n);
    d += n;
    *d++ = '"';
    *d++ = ':';
    *d = '\0';
    w->out->len = (size_t)(d - w->out->data);
    w->after_key = 1;
}

void jw_strn(jw_writer *w, const char *s, size_t n)
{
    value_prefix(w);
    put_quoted(w, s, n, 0);
}

void jw_str(jw_writer *w, const char *s)
{
    if (!s)
        jw_null(w);
    else
        jw_strn(w, s, strlen(s));
}

void jw_int(jw_writer *w, int64_t v)
{
    value_prefix(w);
    if (!w->err && buf_put_i64(w->out, v) != 0)
        w->err = 1;
}

void jw_double(jw_writer *w, double v)
{
    char tmp[32];
    int n;

    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    /* the shortest of %.15g / %.17g that reads back as the same double */
    n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
    value_prefix(w);
    put(w, tmp, (size_t)n);
}

void jw_bool(jw_writer *w, int v)
{
    value_prefix(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(jw_writer *w)
{
    value_prefix(w);
    put(w, "null", 4);
}

void jw_raw(jw_writer *w, const char *json, size_t n)
{
    value_prefix(w);
    put(w, json, n);
}
