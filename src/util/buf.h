/* buf.h — a growable byte buffer with a hard cap.
 *
 * Every buffer has a cap fixed at init: appends that would grow it past the
 * cap fail with -1 and leave the contents as they were, so a hostile peer can
 * make a request fail but never make memory grow without bound.
 * The data is always NUL-terminated (the NUL is not counted in len).
 * Ownership: the buffer owns its memory; buf_free() releases it, and
 * buf_detach() hands it to the caller (free() it).
 * Not thread-safe; one owner at a time. */
#ifndef TVSHOWS_BUF_H
#define TVSHOWS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    char *data;
    size_t len;
    size_t size; /* allocated bytes, including room for the NUL */
    size_t cap;  /* hard limit on len */
} buf;

#define BUF_CAP_DEFAULT ((size_t)64 << 20)

void buf_init(buf *b, size_t cap);
void buf_free(buf *b);
void buf_reset(buf *b);
char *buf_detach(buf *b);
int buf_reserve(buf *b, size_t extra);
int buf_append(buf *b, const void *p, size_t n);
int buf_puts(buf *b, const char *s);
int buf_putc(buf *b, char c);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap);
int buf_put_i64(buf *b, int64_t v);
/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
 * break, its quotes doubled. */
int buf_put_csv(buf *b, const char *s, size_t n);
/* Removes the first n bytes, keeping the rest (used by connection buffers). */
void buf_consume(buf *b, size_t n);

#endif
