/* web.h — the web app (web/), embedded in the binary at build time.
 *
 * tools/embed_web.py reads web/, names every asset after its content
 * (/assets/app.3f2a9c1d.js; module imports and the page's references are
 * rewritten to those names), gzips each file when that pays and writes the
 * table web_files[] into the build directory: the page first, at "/", then
 * the assets sorted by path. Nothing is read from disk at run time.
 *
 * Serving: the page is "no-cache" (revalidated with its strong ETag, so a
 * new build is seen at once); an asset never changes under its name and is
 * "public, max-age=31536000, immutable". Every response carries the
 * Content-Security-Policy below: scripts, styles, fonts and API calls come
 * from this origin only, nothing inline (the build refuses inline script,
 * style and event attributes), images also from TVmaze's image host.
 * X-Content-Type-Options and Referrer-Policy come from the API's pipeline,
 * which adds them to every response.
 *
 * Routing: the caller routes here only the app's own paths (the page's
 * client-side routes and /assets/…); web_find() answers the page for every
 * path outside /assets/. Thread-safety: the table is constant; everything
 * here is safe from any thread. Ownership: web_files[] is static storage;
 * web_respond() copies the bytes it sends into the response. */
#ifndef TVSHOWS_WEB_H
#define TVSHOWS_WEB_H

#include <stddef.h>

#include "http/http.h"

#define WEB_CSP                                                                                    \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "                     \
    "https://static.tvmaze.com data:; connect-src 'self'; font-src 'self'; object-src 'none'; "    \
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

typedef struct web_file {
    const char *path; /* "/" for the page, else "/assets/<name>.<hash>.<ext>" */
    const char *type; /* Content-Type */
    const unsigned char *body;
    size_t len;
    const unsigned char *gz; /* the gzip form; NULL when it would not be smaller */
    size_t gz_len;
    const char *etag; /* strong, quoted; the gzip form's is the same with "-gz" */
} web_file;

extern const web_file web_files[]; /* generated: the page, then the assets by path */
extern const size_t web_nfiles;

/* The file for a request path (raw, as received): an asset under /assets/
 * by its exact name, NULL for an unknown one; the page for any other path. */
const web_file *web_find(const char *path, size_t n);

/* Fills res with f: 304 without a body when not_modified (the request's
 * If-None-Match matched f->etag), else 200 with the gzip form when gzip_ok
 * and there is one. */
void web_respond(const web_file *f, int gzip_ok, int not_modified, http_response *res);

#endif
