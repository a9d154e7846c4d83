#include "util/buf.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->size = 0;
    b->cap = cap ? cap : BUF_CAP_DEFAULT;
}

void buf_free(buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->size = 0;
}

void buf_reset(buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *buf_detach(buf *b)
{
    char *p = b->data;

    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->size = 0;
    return p;
}

int buf_reserve(buf *b, size_t extra)
{
    size_t need, size;
    char *p;

    if (extra > b->cap || b->len > b->cap - extra)
        return -1;
    need = b->len + extra + 1;
    if (need <= b->size)
        return 0;
    size = b->size ? b->size : 256;
    while (size < need)
        size *= 2;
    if (size > b->cap + 1)
        size = b->cap + 1;
    if (!(p = realloc(b->data, size)))
        return -1;
    b->data = p;
    b->size = size;
    assert(b->size >= need && b->size <= b->cap + 1);
    return 0;
}

int buf_append(buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    assert(b->len <= b->cap && b->len < b->size);
    return 0;
}

int buf_puts(buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int buf_put_i64(buf *b, int64_t v)
{
    char tmp[24];
    char *p = tmp + sizeof(tmp);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

int buf_put_csv(buf *b, const char *s, size_t n)
{
    int quote = 0, rc = 0;

    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (quote)
        rc |= buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            rc |= buf_putc(b, '"');
        rc |= buf_putc(b, s[i]);
    }
    if (quote)
        rc |= buf_putc(b, '"');
    return rc ? -1 : 0;
}

void buf_consume(buf *b, size_t n)
{
    if (n >= b->len) {
        buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}
