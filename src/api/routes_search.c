/* GET /api/v1/search/shows, /api/v1/lookup/shows */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "services/search.h"

#define QUERY_MAX 200 /* bytes of a search query */

typedef struct search_query {
    const char *q;
    size_t n;
    int64_t limit;
} search_query;

static store *need_store(api_thread *t, http_response *res)
{
    store *st = api_store(t);

    if (!st)
        api_unavailable(res);
    return st;
}

static int build_search(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const search_query *q = ctx;
    tv_show *shows[SEARCH_LIMIT_MAX];
    store *st = need_store(t, res);
    size_t n = 0;
    jw_writer w;
    int rc;

    if (!st)
        return -1;
    if ((rc = search_shows(t->app->reads, st, q->q, q->n, (int)q->limit, &t->mem, shows, &n)) !=
            STORE_OK ||
        (rc = api_fill_next(t, r, shows, n)) != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "data");
    jw_arr_open(&w);
    for (size_t i = 0; i < n; i++)
        render_show(&w, shows[i], 0);
    jw_arr_close(&w);
    jw_obj_close(&w);
    return jw_end(&w);
}

void route_search_shows(api_thread *t, api_request *r, http_response *res)
{
    search_query q = {NULL, 0, 10};
    param_rc rc = api_param_text(r, "q", QUERY_MAX, &q.q, &q.n);

    if (rc == PARAM_ABSENT) {
        api_bad_param(res, "q", "is required: the name, or part of the name, of a show");
        return;
    }
    if (rc == PARAM_BAD) {
        api_bad_param(res, "q", "must be text of at most 200 characters");
        return;
    }
    if (api_param_int(r, "limit", 1, SEARCH_LIMIT_MAX, &q.limit) == PARAM_BAD) {
        api_bad_param(res, "limit", "must be an integer from 1 to 50");
        return;
    }
    buf_reset(&t->key);
    buf_puts(&t->key, "search;");
    api_key_add(&t->key, "q", q.q, q.n);
    api_key_add_int(&t->key, "l", q.limit);
    api_key_add_now(&t->key, r);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_search, &q);
}

typedef struct lookup_query {
    store_external kind;
    const char *name, *v;
    size_t n;
} lookup_query;

static int build_lookup(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const lookup_query *q = ctx;
    store *st = need_store(t, res);
    tv_show *s;
    jw_writer w;
    int rc;

    if (!st)
        return -1;
    rc = store_lookup_show(st, q->kind, q->v, q->n, &t->mem, &s);
    if (rc == STORE_OK)
        rc = api_fill_next(t, r, &s, 1);
    if (rc == STORE_ENOTFOUND) {
        char details[160];
        snprintf(details, sizeof(details), "No show with %s %.*s", q->name, (int)q->n, q->v);
        api_error(res, 404, "Resource not found", details);
        return -1;
    }
    if (rc != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "data");
    render_show(&w, s, 1);
    jw_obj_close(&w);
    return jw_end(&w);
}

static int digits_only(const char *s, size_t n, size_t max)
{
    if (!n || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Exactly one of tvmaze=, imdb=, thetvdb=, each checked for its form. */
void route_lookup_shows(api_thread *t, api_request *r, http_response *res)
{
    static const char *const names[] = {"tvmaze", "imdb", "thetvdb"};
    lookup_query q = {0};
    int given = 0;

    for (int i = 0; i < 3; i++) {
        size_t n;
        const char *v = query_get(&r->q, names[i], &n);
        if (!v || !n)
            continue;
        given++;
        q.kind = (store_external)i;
        q.name = names[i];
        q.v = v;
        q.n = n;
    }
    if (given != 1) {
        api_error(res, 400, "Give exactly one of the parameters tvmaze, imdb and thetvdb", NULL);
        return;
    }
    if (q.kind == STORE_EXT_IMDB ? !(q.n >= 3 && q.n <= 12 && q.v[0] == 't' && q.v[1] == 't' &&
                                     digits_only(q.v + 2, q.n - 2, 10))
                                 : !digits_only(q.v, q.n, 12) || q.v[0] == '0') {
        api_bad_param(res, q.name,
                      q.kind == STORE_EXT_IMDB ? "must be an IMDb id such as tt0944947"
                                               : "must be a positive integer id");
        return;
    }
    buf_reset(&t->key);
    buf_puts(&t->key, "lookup;");
    api_key_add(&t->key, q.name, q.v, q.n);
    api_key_add_now(&t->key, r);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_lookup, &q);
}
