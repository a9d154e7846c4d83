#include <string.h>

#include "http/http.h"

/* Matches one pattern against a path, segment by segment; ":name" segments
 * capture any non-empty segment. */
static int pattern_match(const char *pat, const char *path, size_t n, http_route_match *m)
{
    size_t i = 0;

    m->nparams = 0;
    while (*pat) {
        if (i >= n || path[i] != '/' || *pat != '/')
            return 0;
        pat++;
        i++;
        if (*pat == ':') {
            size_t s = i;
            while (*pat && *pat != '/')
                pat++;
            while (i < n && path[i] != '/')
                i++;
            if (i == s || m->nparams >= ROUTER_MAX_PARAMS)
                return 0;
            m->params[m->nparams] = path + s;
            m->param_lens[m->nparams++] = i - s;
        } else {
            while (*pat && *pat != '/') {
                if (i >= n || path[i] != *pat)
                    return 0;
                pat++;
                i++;
            }
            if (i < n && path[i] != '/')
                return 0;
        }
    }
    return i == n;
}

int http_route_find(const http_route *routes, size_t n, http_method m, const char *path,
                    size_t path_len, http_route_match *out)
{
    unsigned want = 1u << m;

    if (m == HTTP_HEAD)
        want |= 1u << HTTP_GET;
    out->route = NULL;
    out->path_route = NULL;
    out->allowed = 0;
    for (size_t i = 0; i < n; i++) {
        http_route_match tmp;
        if (!pattern_match(routes[i].pattern, path, path_len, &tmp))
            continue;
        if (!out->path_route)
            out->path_route = &routes[i];
        out->allowed |= routes[i].methods;
        if ((routes[i].methods & want) && !out->route) {
            *out = tmp;
            out->route = &routes[i];
            out->path_route = &routes[i];
            out->allowed = routes[i].methods;
        }
    }
    if (out->route)
        return 200;
    return out->allowed ? 405 : 404;
}

void http_methods_format(unsigned methods, buf *out)
{
    static const char *names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"};
    int first = 1;

    if (methods & (1u << HTTP_GET))
        methods |= 1u << HTTP_HEAD;
    for (int i = 0; i < 7; i++) {
        if (!(methods & (1u << i)))
            continue;
        if (!first)
            buf_puts(out, ", ");
        buf_puts(out, names[i]);
        first = 0;
    }
}
