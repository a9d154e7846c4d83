/* gzip.h — gzip (RFC 1952) compression of response bodies with libdeflate.
 *
 * A gzip context holds a compressor and a decompressor; it is not
 * thread-safe, so each event-loop thread has its own. Functions return 0, or
 * -1 on failure (out of memory, corrupt input, buffer cap). Output is
 * appended to the caller's buffer. */
#ifndef TVSHOWS_GZIP_H
#define TVSHOWS_GZIP_H

#include <stddef.h>

#include "util/buf.h"

typedef struct gzip_ctx gzip_ctx;

gzip_ctx *gzip_new(int level);
void gzip_free(gzip_ctx *g);
int gzip_compress(gzip_ctx *g, const char *in, size_t n, buf *out);
int gzip_decompress(gzip_ctx *g, const char *in, size_t n, size_t inflated_len, buf *out);

#endif
