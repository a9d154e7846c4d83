#include "util/ics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"

#define FOLD_AT 75

/* Folds the content line that starts at `start` in out, in place. */
static void fold(buf *out, size_t start)
{
    size_t len = out->len - start, col = 0, i = 0;
    char *line;
    buf tmp;

    if (len <= FOLD_AT)
        return;
    buf_init(&tmp, len * 2 + 16);
    line = out->data + start;
    while (i < len) {
        size_t n = 1;
        while (i + n < len && ((unsigned char)line[i + n] & 0xC0) == 0x80)
            n++; /* a whole UTF-8 character */
        if (col + n > FOLD_AT) {
            buf_append(&tmp, "\r\n ", 3);
            col = 1;
        }
        buf_append(&tmp, line + i, n);
        col += n;
        i += n;
    }
    out->len = start;
    buf_append(out, tmp.data, tmp.len);
    buf_free(&tmp);
}

void ics_raw(buf *out, const char *name, const char *value)
{
    size_t start = out->len;

    buf_puts(out, name);
    buf_putc(out, ':');
    buf_puts(out, value);
    fold(out, start);
    buf_append(out, "\r\n", 2);
}

void ics_text(buf *out, const char *name, const char *text, size_t n)
{
    size_t start = out->len;

    buf_puts(out, name);
    buf_putc(out, ':');
    for (size_t i = 0; text && i < n; i++) {
        char c = text[i];
        if (c == '\\' || c == ';' || c == ',') {
            buf_putc(out, '\\');
            buf_putc(out, c);
        } else if (c == '\n') {
            buf_append(out, "\\n", 2);
        } else if ((unsigned char)c >= 0x20 && c != 0x7f) {
            buf_putc(out, c);
        }
    }
    fold(out, start);
    buf_append(out, "\r\n", 2);
}

void ics_utc(int64_t t, char out[17])
{
    char iso[INSTANT_LEN + 1];

    instant_format(t, iso); /* YYYY-MM-DDTHH:MM:SSZ */
    snprintf(out, 17, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8, iso + 11, iso + 14,
             iso + 17);
}

void ics_date(int32_t day, char out[9])
{
    char iso[DATE_LEN + 1];

    date_format(day, iso);
    snprintf(out, 9, "%.4s%.2s%.2s", iso, iso + 5, iso + 8);
}

static const struct {
    const char *name;
    const char *text;
} entities[] = {{"amp", "&"},
                {"lt", "<"},
                {"gt", ">"},
                {"quot", "\""},
                {"apos", "'"},
                {"#39", "'"},
                {"nbsp", " "},
                {"hellip", "\xe2\x80\xa6"},
                {"mdash", "\xe2\x80\x94"},
                {"ndash", "\xe2\x80\x93"},
                {"rsquo", "\xe2\x80\x99"},
                {"lsquo", "\xe2\x80\x98"},
                {"rdquo", "\xe2\x80\x9d"},
                {"ldquo", "\xe2\x80\x9c"}};

/* Appends the UTF-8 form of code point c (a decoded &#…; entity). */
static void put_utf8(buf *out, unsigned long c)
{
    char b[4];
    size_t n;

    if (c < 0x80) {
        b[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xC0 | c >> 6);
        b[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        if (c >= 0xD800 && c <= 0xDFFF)
            return;
        b[0] = (char)(0xE0 | c >> 12);
        b[1] = (char)(0x80 | (c >> 6 & 0x3F));
        b[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else if (c < 0x110000) {
        b[0] = (char)(0xF0 | c >> 18);
        b[1] = (char)(0x80 | (c >> 12 & 0x3F));
        b[2] = (char)(0x80 | (c >> 6 & 0x3F));
        b[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    } else {
        return;
    }
    buf_append(out, b, n);
}

/* Decodes the entity at p ("&…;"); returns its length, 0 when it is none. */
static size_t entity(buf *out, const char *p)
{
    const char *semi = strchr(p, ';');
    size_t n;

    if (!semi || semi - p > 10)
        return 0;
    n = (size_t)(semi - p - 1);
    if (p[1] == '#' && n > 1) {
        char *end;
        unsigned long c =
            p[2] == 'x' || p[2] == 'X' ? strtoul(p + 3, &end, 16) : strtoul(p + 2, &end, 10);
        if (end != semi)
            return 0;
        put_utf8(out, c);
        return n + 2;
    }
    for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++)
        if (strlen(entities[i].name) == n && !memcmp(entities[i].name, p + 1, n)) {
            buf_puts(out, entities[i].text);
            return n + 2;
        }
    return 0;
}

static int breaks_line(const char *tag, size_t n)
{
    static const char *const names[] = {"br", "/p", "p", "/li", "/div", "/h1", "/h2", "/h3"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t k = strlen(names[i]);
        if (n >= k && !strncmp(tag, names[i], k) &&
            (n == k || tag[k] == ' ' || tag[k] == '/' || tag[k] == '>'))
            return 1;
    }
    return 0;
}

void ics_plain_text(buf *out, const char *html)
{
    size_t start = out->len, k;
    int blank = 1; /* at the start, or after a space or newline */

    for (const char *p = html; p && *p;) {
        if (*p == '<') {
            const char *e = strchr(p, '>');
            if (!e)
                break;
            if (breaks_line(p + 1, (size_t)(e - p - 1)) && out->len > start) {
                while (out->len > start && out->data[out->len - 1] == ' ')
                    out->len--;
                if (out->data[out->len - 1] != '\n')
                    buf_putc(out, '\n');
                blank = 1;
            }
            p = e + 1;
        } else if (*p == '&' && (k = entity(out, p)) > 0) {
            p += k; /* entity() appended its text */
            blank = 0;
        } else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            if (!blank)
                buf_putc(out, ' ');
            blank = 1;
            p++;
        } else {
            buf_putc(out, *p++);
            blank = 0;
        }
    }
    while (out->len > start && (out->data[out->len - 1] == ' ' || out->data[out->len - 1] == '\n'))
        out->len--;
}
