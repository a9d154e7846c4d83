/* The web app's files: lookup by path and the response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web.h"

#define ASSETS_PREFIX "/assets/"
#define PAGE_CACHE    "no-cache"
#define IMMUTABLE     "public, max-age=31536000, immutable"
#define WEB_ETAG_MAX  72

typedef struct path_key {
    const char *path;
    size_t n;
} path_key;

static int compare_path(const void *keyv, const void *filev)
{
    const path_key *k = keyv;
    const web_file *f = filev;
    size_t fl = strlen(f->path);
    int c = memcmp(k->path, f->path, k->n < fl ? k->n : fl);

    if (c)
        return c;
    return k->n < fl ? -1 : k->n > fl;
}

const web_file *web_find(const char *path, size_t n)
{
    size_t pl = sizeof(ASSETS_PREFIX) - 1;
    path_key k = {path, n};

    if (n < pl || memcmp(path, ASSETS_PREFIX, pl) != 0)
        return &web_files[0];
    /* the assets follow the page, sorted by path (the generator sorts them) */
    return bsearch(&k, web_files + 1, web_nfiles - 1, sizeof(web_file), compare_path);
}

void web_respond(const web_file *f, int gzip_ok, int not_modified, http_response *res)
{
    int send_gz = gzip_ok && f->gz;
    char etag[WEB_ETAG_MAX];

    if (send_gz)
        snprintf(etag, sizeof(etag), "%.*s-gz\"", (int)strlen(f->etag) - 1, f->etag);
    else
        snprintf(etag, sizeof(etag), "%s", f->etag);
    http_response_header(res, "Cache-Control", f == &web_files[0] ? PAGE_CACHE : IMMUTABLE);
    http_response_header(res, "ETag", etag);
    http_response_header(res, "Vary", "Accept-Encoding");
    http_response_header(res, "Content-Security-Policy", WEB_CSP);
    http_response_header(res, "Cross-Origin-Opener-Policy", "same-origin");
    if (not_modified) {
        res->status = 304;
        res->no_body = 1;
        return;
    }
    res->status = 200;
    if (send_gz)
        http_response_header(res, "Content-Encoding", "gzip");
    /* the files are in the binary: written from there, never copied */
    http_response_set_body_ref(res, f->type, (const char *)(send_gz ? f->gz : f->body),
                               send_gz ? f->gz_len : f->len, NULL, NULL);
}
