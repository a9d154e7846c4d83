/* GET /api/v1/shows, /shows/:id, /shows/:id/episodes, /networks, /countries, /genres */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "util/num.h"

typedef struct list_query {
    int64_t show_id;
    int64_t page, per_page;
} list_query;

static void not_found_show(http_response *res, const char *raw, size_t n)
{
    buf details;
    size_t keep = utf8_prefix(raw, n, 64);

    buf_init(&details, 256);
    buf_puts(&details, "Couldn't find TvShow with 'id'=");
    buf_append(&details, raw, keep);
    api_error(res, 404, "Resource not found", details.data ? details.data : "");
    buf_free(&details);
}

/* The :id segment as a positive integer, or a 404 naming it. */
static int show_id_param(api_request *r, http_response *res, int64_t *id)
{
    const char *raw = r->match.params[0];
    size_t n = r->match.param_lens[0];

    if (num_parse_i64(raw, n, id) != 0 || *id < 1) {
        not_found_show(res, raw, n);
        return -1;
    }
    return 0;
}

static store *need_store(api_thread *t, http_response *res)
{
    store *st = api_store(t);

    if (!st)
        api_unavailable(res);
    return st;
}

static int build_shows(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const list_query *q = ctx;
    store *st = need_store(t, res);
    store_page page;
    jw_writer w;
    int rc;

    if (!st)
        return -1;
    if ((rc = store_list_shows(st, (q->page - 1) * q->per_page, (int)q->per_page, &t->mem,
                               &page)) != STORE_OK ||
        (rc = api_fill_next(t, r, (tv_show *const *)page.rows, page.n)) != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    render_list(&w, &page, RENDER_SHOWS, q->page, q->per_page);
    jw_obj_close(&w);
    return jw_end(&w);
}

void route_shows(api_thread *t, api_request *r, http_response *res)
{
    list_query q = {0};

    if (api_pagination(r, res, 50, &q.page, &q.per_page) != 0)
        return;
    buf_reset(&t->key);
    buf_puts(&t->key, "shows;");
    api_key_add_int(&t->key, "p", q.page);
    api_key_add_int(&t->key, "pp", q.per_page);
    api_key_add_now(&t->key, r);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_shows, &q);
}

/* Looks the show up; a 404 naming the id when it does not exist. */
static int load_show(api_thread *t, api_request *r, http_response *res, int64_t id, tv_show **s)
{
    store *st = need_store(t, res);
    int rc;

    if (!st)
        return -1;
    rc = store_get_show(st, id, &t->mem, s);
    if (rc == STORE_OK)
        rc = api_fill_next(t, r, s, 1);
    if (rc == STORE_ENOTFOUND) {
        not_found_show(res, r->match.params[0], r->match.param_lens[0]);
        return -1;
    }
    if (rc != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    return 0;
}

static int build_show(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const list_query *q = ctx;
    tv_show *s;
    jw_writer w;

    if (load_show(t, r, res, q->show_id, &s) != 0)
        return -1;
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "data");
    render_show(&w, s, 1);
    jw_obj_close(&w);
    return jw_end(&w);
}

void route_show(api_thread *t, api_request *r, http_response *res)
{
    list_query q = {0};

    if (show_id_param(r, res, &q.show_id) != 0)
        return;
    buf_reset(&t->key);
    buf_puts(&t->key, "show;");
    api_key_add_int(&t->key, "id", q.show_id);
    api_key_add_now(&t->key, r);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_show, &q);
}

static int build_show_episodes(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const list_query *q = ctx;
    store_page page;
    tv_show *s;
    jw_writer w;
    int rc;

    if (load_show(t, r, res, q->show_id, &s) != 0)
        return -1;
    rc = store_show_episodes(t->st, q->show_id, (q->page - 1) * q->per_page, (int)q->per_page,
                             &t->mem, &page);
    for (size_t i = 0; rc == STORE_OK && i < page.n; i++)
        ((tv_episode *)page.rows[i])->show->next = s->next;
    if (rc != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "show");
    render_show(&w, s, 0);
    render_list(&w, &page, RENDER_EPISODES, q->page, q->per_page);
    jw_obj_close(&w);
    return jw_end(&w);
}

void route_show_episodes(api_thread *t, api_request *r, http_response *res)
{
    list_query q = {0};

    if (show_id_param(r, res, &q.show_id) != 0 ||
        api_pagination(r, res, 25, &q.page, &q.per_page) != 0)
        return;
    buf_reset(&t->key);
    buf_puts(&t->key, "show_episodes;");
    api_key_add_int(&t->key, "id", q.show_id);
    api_key_add_int(&t->key, "p", q.page);
    api_key_add_int(&t->key, "pp", q.per_page);
    api_key_add_now(&t->key, r);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_show_episodes, &q);
}

typedef int (*names_fn)(store *st, arena *a, store_page *out);

static int build_names(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    names_fn fn = *(names_fn *)ctx;
    store *st = need_store(t, res);
    store_page page;
    jw_writer w;
    int rc;

    (void)r;
    if (!st)
        return -1;
    if ((rc = fn(st, &t->mem, &page)) != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "data");
    jw_arr_open(&w);
    for (size_t i = 0; i < page.n; i++)
        jw_str(&w, page.rows[i]);
    jw_arr_close(&w);
    jw_obj_close(&w);
    return jw_end(&w);
}

void route_networks(api_thread *t, api_request *r, http_response *res)
{
    names_fn fn = store_distributor_names;

    api_serve_cached(t, r, res, "networks;", 9, build_names, &fn);
}

void route_countries(api_thread *t, api_request *r, http_response *res)
{
    names_fn fn = store_country_names;

    api_serve_cached(t, r, res, "countries;", 10, build_names, &fn);
}

void route_genres(api_thread *t, api_request *r, http_response *res)
{
    names_fn fn = store_genre_names;

    api_serve_cached(t, r, res, "genres;", 7, build_names, &fn);
}
