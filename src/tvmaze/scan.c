/* The schedule scanner (scan.h): a strict JSON reader that fills the
 * mapper's slots. Its grammar is jansson's (RFC 8259 with jansson's limits:
 * 64-bit integers, finite reals, no U+0000); where jansson would refuse,
 * or where the answer could depend on what jansson does with it (a key
 * given twice, a key with escapes), it gives up and jansson decides. */
#include "tvmaze/scan.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

typedef struct scan {
    const char *p, *end;
    arena *scratch;
} scan;

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int is_digit(const scan *s, const char *q)
{
    return q < s->end && *q >= '0' && *q <= '9';
}

static int hex4(const char *q, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char c = q[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* A \u escape at q (q[0] == 'u'), a surrogate pair taken whole; where it
 * ends into *next. -1 for what jansson refuses: a lone surrogate, U+0000. */
static int unicode_escape(const scan *s, const char *q, const char **next, unsigned *cp)
{
    unsigned lo;

    if (s->end - q < 5 || hex4(q + 1, cp) != 0 || *cp == 0)
        return -1;
    q += 5;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return -1;
    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
        if (s->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) != 0 || lo < 0xDC00 ||
            lo > 0xDFFF)
            return -1;
        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
        q += 6;
    }
    *next = q;
    return 0;
}

/* A string with escapes, from start (after the quote) to its closing quote
 * at stop: decoded into the scratch arena (never longer than its JSON). */
static int decode_string(scan *s, const char *start, const char *stop, jv *v)
{
    const char *q = start;
    char *out = arena_alloc(s->scratch, (size_t)(stop - start) + 1), *o = out;

    if (!out)
        return -1;
    while (q < s->end && *q != '"') {
        const char *run = q;
        unsigned cp;
        while (q < s->end && *q != '"' && *q != '\\')
            q++;
        memcpy(o, run, (size_t)(q - run));
        o += q - run;
        if (q >= s->end || *q == '"')
            break;
        if (++q >= s->end)
            return -1;
        switch (*q) {
        case '"':
        case '\\':
        case '/':
            *o++ = *q++;
            break;
        case 'b':
            *o++ = '\b', q++;
            break;
        case 'f':
            *o++ = '\f', q++;
            break;
        case 'n':
            *o++ = '\n', q++;
            break;
        case 'r':
            *o++ = '\r', q++;
            break;
        case 't':
            *o++ = '\t', q++;
            break;
        case 'u':
            if (unicode_escape(s, q, &q, &cp) != 0)
                return -1;
            o = put_utf8(o, cp);
            break;
        default:
            return -1;
        }
    }
    if (q >= s->end)
        return -1;
    s->p = q + 1;
    v->t = JV_STR;
    v->s = out;
    v->len = (size_t)(o - out);
    return 0;
}

/* A string at s->p (its quote). One pass checks it (control characters,
 * UTF-8) and finds its end; a string with escapes is decoded after. */
static int scan_string(scan *s, jv *v, int escapes_ok)
{
    const char *start = ++s->p, *q = start;
    int escaped = 0;

    while (q < s->end) {
        unsigned char c = (unsigned char)*q;
        if (c == '"') {
            if (escaped)
                return escapes_ok ? decode_string(s, start, q, v) : -1;
            s->p = q + 1;
            v->t = JV_STR;
            v->s = start;
            v->len = (size_t)(q - start);
            return 0;
        }
        if (c == '\\') { /* checked here, decoded at the end */
            if (s->end - q < 2)
                return -1;
            escaped = 1;
            q += 2;
            continue;
        }
        if (c < 0x20)
            return -1;
        if (c >= 0x80) {
            const char *run = q;
            while (q < s->end && (unsigned char)*q >= 0x80)
                q++;
            if (!utf8_valid(run, (size_t)(q - run)))
                return -1;
            continue;
        }
        q++;
    }
    return -1;
}

/* A number as jansson reads it: an integer (no fraction, no exponent) that
 * fits 64 bits, or a finite real. */
static int scan_number(scan *s, jv *v)
{
    const char *q = s->p;
    char text[64], *end;
    size_t len;
    int real = 0;

    if (q < s->end && *q == '-')
        q++;
    if (!is_digit(s, q))
        return -1;
    if (*q == '0') {
        if (is_digit(s, ++q))
            return -1;
    } else {
        while (is_digit(s, q))
            q++;
    }
    if (q < s->end && *q == '.') {
        real = 1;
        if (!is_digit(s, ++q))
            return -1;
        while (is_digit(s, q))
            q++;
    }
    if (q < s->end && (*q == 'e' || *q == 'E')) {
        real = 1;
        q++;
        if (q < s->end && (*q == '+' || *q == '-'))
            q++;
        if (!is_digit(s, q))
            return -1;
        while (is_digit(s, q))
            q++;
    }
    len = (size_t)(q - s->p);
    if (len >= sizeof(text))
        return -1;
    memcpy(text, s->p, len);
    text[len] = '\0';
    errno = 0;
    if (real) {
        v->d = strtod(text, &end);
        if (end != text + len || (errno == ERANGE && isinf(v->d)))
            return -1;
        v->t = JV_REAL;
    } else {
        long long i = strtoll(text, &end, 10);
        if (end != text + len || errno == ERANGE)
            return -1;
        v->i = i;
        v->t = JV_INT;
    }
    s->p = q;
    return 0;
}

static int scan_literal(scan *s, const char *word, size_t n, jv *v)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return -1;
    s->p += n;
    v->t = JV_OTHER;
    return 0;
}

static int scan_value(scan *s, jv *v, const scan_field *fields, jv *base, int strings, int depth);

/* An object's members: those the table names into base's slots, the
 * others read and dropped. */
static int scan_object(scan *s, const scan_field *fields, jv *base, int depth)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        const scan_field *f = NULL;
        jv key = {0}, dropped = {0};
        if (s->p >= s->end || *s->p != '"' || scan_string(s, &key, 0) != 0)
            return -1;
        skip_ws(s);
        if (s->p >= s->end || *s->p++ != ':')
            return -1;
        skip_ws(s);
        for (const scan_field *t = fields; t && t->key && !f; t++)
            if (key.len && t->key[0] == key.s[0] && !strncmp(t->key, key.s, key.len) &&
                t->key[key.len] == '\0')
                f = t;
        if (f) {
            jv *slot = base + f->slot;
            if (slot->t != JV_ABSENT) /* given twice: jansson keeps the last */
                return -1;
            if (scan_value(s, slot, f->kind == SLOT_OBJECT ? f->child : NULL, base + f->child_base,
                           f->kind == SLOT_STRINGS, depth) != 0)
                return -1;
        } else if (scan_value(s, &dropped, NULL, NULL, 0, depth) != 0) {
            return -1;
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        return -1;
    }
}

/* An array's elements; with strings, its strings are kept in v. */
static int scan_array(scan *s, jv *v, int strings, int depth)
{
    jv *kept = NULL;
    size_t n = 0, cap = 0;

    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        jv e = {0};
        if (scan_value(s, &e, NULL, NULL, 0, depth) != 0)
            return -1;
        if (strings && e.t == JV_STR) {
            if (n == cap) {
                jv *grown = arena_alloc(s->scratch, (cap ? cap * 2 : 8) * sizeof(*grown));
                if (!grown)
                    return -1;
                if (n)
                    memcpy(grown, kept, n * sizeof(*grown));
                kept = grown;
                cap = cap ? cap * 2 : 8;
            }
            kept[n++] = e;
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            v->items = kept;
            v->len = n;
            return 0;
        }
        return -1;
    }
}

static int scan_value(scan *s, jv *v, const scan_field *fields, jv *base, int strings, int depth)
{
    if (s->p >= s->end || depth > SCAN_DEPTH)
        return -1;
    switch (*s->p) {
    case '"':
        return scan_string(s, v, 1);
    case '{':
        v->t = JV_OBJ;
        return scan_object(s, fields, base, depth + 1);
    case '[':
        v->t = JV_ARR;
        return scan_array(s, v, strings, depth + 1);
    case 't':
        return scan_literal(s, "true", 4, v);
    case 'f':
        return scan_literal(s, "false", 5, v);
    case 'n':
        return scan_literal(s, "null", 4, v);
    default:
        return scan_number(s, v);
    }
}

int scan_schedule(const char *json, size_t n, const scan_field *item, size_t nslots, arena *scratch,
                  scan_item_fn fn, void *ud)
{
    scan s = {json, json + n, scratch};
    jv *slots = arena_alloc(scratch, nslots * sizeof(*slots));
    size_t index = 0;

    if (!slots)
        return -1;
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '[')
        return -1;
    s.p++;
    skip_ws(&s);
    if (s.p < s.end && *s.p == ']') {
        s.p++;
    } else {
        for (;;) {
            memset(slots, 0, nslots * sizeof(*slots));
            if (s.p >= s.end || *s.p != '{' || scan_object(&s, item, slots, 2) != 0 ||
                fn(ud, slots, index++) != 0)
                return -1;
            skip_ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                skip_ws(&s);
                continue;
            }
            if (s.p < s.end && *s.p == ']') {
                s.p++;
                break;
            }
            return -1;
        }
    }
    skip_ws(&s);
    return s.p == s.end ? 0 : -1;
}
