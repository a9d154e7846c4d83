#include "util/gzip.h"

#include <libdeflate.h>
#include <stdlib.h>

struct gzip_ctx {
    struct libdeflate_compressor *c;
    struct libdeflate_decompressor *d;
};

gzip_ctx *gzip_new(int level)
{
    gzip_ctx *g = calloc(1, sizeof(*g));

    if (!g)
        return NULL;
    g->c = libdeflate_alloc_compressor(level);
    g->d = libdeflate_alloc_decompressor();
    if (!g->c || !g->d) {
        gzip_free(g);
        return NULL;
    }
    return g;
}

void gzip_free(gzip_ctx *g)
{
    if (!g)
        return;
    if (g->c)
        libdeflate_free_compressor(g->c);
    if (g->d)
        libdeflate_free_decompressor(g->d);
    free(g);
}

int gzip_compress(gzip_ctx *g, const char *in, size_t n, buf *out)
{
    size_t bound = libdeflate_gzip_compress_bound(g->c, n), got;

    if (buf_reserve(out, bound) != 0)
        return -1;
    got = libdeflate_gzip_compress(g->c, in, n, out->data + out->len, bound);
    if (!got)
        return -1;
    out->len += got;
    out->data[out->len] = '\0';
    return 0;
}

int gzip_decompress(gzip_ctx *g, const char *in, size_t n, size_t inflated_len, buf *out)
{
    size_t got = 0;

    if (buf_reserve(out, inflated_len) != 0)
        return -1;
    if (libdeflate_gzip_decompress(g->d, in, n, out->data + out->len, inflated_len, &got) !=
            LIBDEFLATE_SUCCESS ||
        got != inflated_len)
        return -1;
    out->len += got;
    out->data[out->len] = '\0';
    return 0;
}
