/* Building responses: errors, plain JSON, and the HTTP side of a cached
 * 200: the read model (schedule/read_model.h) finds or builds the body;
 * here it gets its ETag (and 304), its encoding and its headers. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/store_options.h"
#include "api/api_internal.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/metrics.h"

#define JSON_TYPE "application/json; charset=utf-8"

/* The database as this process last found it: going away and coming back
 * are logged once each, not once per request. */
static _Atomic int db_away;
/* The request running now on this loop thread used the database, or met
 * an error of the database. A request that waits (a task) takes its own
 * with it (api_db_seen_swap). */
static _Thread_local api_db_seen seen;
#define db_used   seen.used
#define db_failed seen.failed

void api_db_seen_swap(api_db_seen *other)
{
    api_db_seen mine = seen;

    seen = *other;
    *other = mine;
}

static void note_db(int up, const char *why)
{
    if (!up && !atomic_exchange(&db_away, 1))
        log_warn("database unavailable: cached pages of older data are served meanwhile",
                 LF_S("error", why));
    else if (up && atomic_exchange(&db_away, 0))
        log_msg(LOG_INFO, "database available again");
}

static void error_body(http_response *res, int status, const char *message, size_t n,
                       const char *details)
{
    jw_writer w;

    res->status = status;
    http_response_clear_body(res);
    jw_begin(&w, &res->body);
    jw_obj_open(&w);
    jw_key(&w, "error");
    jw_strn(&w, message, n);
    if (details) {
        jw_key(&w, "details");
        jw_str(&w, details);
    }
    jw_obj_close(&w);
    http_response_header(res, "Content-Type", JSON_TYPE);
    http_response_header(res, "Cache-Control", "no-store");
}

void api_error(http_response *res, int status, const char *message, const char *details)
{
    error_body(res, status, message, strlen(message), details);
}

void api_error_n(http_response *res, int status, const char *message, size_t n)
{
    error_body(res, status, message, n, NULL);
}

void api_unavailable(http_response *res)
{
    db_failed = 1;
    api_error(res, 503, "Service unavailable", NULL);
    http_response_header(res, "Retry-After", "5");
}

void api_store_error(api_thread *t, http_response *res, int rc)
{
    if (rc == STORE_EDOWN) {
        note_db(0, t->st ? store_errmsg(t->st) : "no connection");
        api_unavailable(res);
        return;
    }
    db_failed = 1;
    log_error("database error", LF_S("error", t->st ? store_errmsg(t->st) : "no connection"));
    api_error(res, 500, "Internal server error", NULL);
}

void api_send_json(api_thread *t, http_response *res, int status, const char *cache_control)
{
    res->status = status;
    http_response_header(res, "Content-Type", JSON_TYPE);
    if (cache_control)
        http_response_header(res, "Cache-Control", cache_control);
    http_response_clear_body(res);
    buf_append(&res->body, t->body.data, t->body.len);
}

store *api_store_open(api_thread *t)
{
    const config *cfg = t->app->cfg;
    store_options opt = store_options_on_loop(cfg, STORE_ROLE_API, api_db_loop(t));
    char err[256];

    opt.last_connect_us = &t->app->db_connected_us;
    if (!store_open_lazy(&t->st, &t->st_retry_at, cfg->database_url, &opt, 1000, err,
                         sizeof(err)) &&
        err[0])
        note_db(0, err);
    db_used |= t->st != NULL;
    return t->st;
}

store *api_store(api_thread *t)
{
    return api_must_wait(t, WAIT_DB) ? NULL : api_store_open(t);
}

/* Accept-Encoding (RFC 9110 §12.5.3): gzip unless its q is 0. */
int api_accepts_gzip(const http_request *req)
{
    size_t n, i = 0;
    const char *v = http_request_header(req, "Accept-Encoding", &n);

    while (v && i < n) {
        size_t s, e, q;
        int is_gzip;
        while (i < n && (v[i] == ' ' || v[i] == ','))
            i++;
        s = i;
        while (i < n && v[i] != ',' && v[i] != ';' && v[i] != ' ')
            i++;
        e = i;
        is_gzip = (e - s == 4 && !strncasecmp(v + s, "gzip", 4)) || (e - s == 1 && v[s] == '*');
        q = 1;
        while (i < n && v[i] != ',') {
            if (v[i] == '=' && i + 1 < n) {
                /* q=0, q=0.0, q=0.000 all refuse */
                size_t k = i + 1;
                q = 0;
                while (k < n && v[k] != ',' && v[k] != ' ') {
                    if (v[k] >= '1' && v[k] <= '9')
                        q = 1;
                    k++;
                }
            }
            i++;
        }
        if (is_gzip)
            return q != 0;
    }
    return 0;
}

/* If-None-Match (RFC 9110 §13.1.2): weak comparison against the tag of
 * either encoding, "*" matches anything. */
int api_none_match(const http_request *req, const char *etag)
{
    size_t n, i = 0, tl = strlen(etag) - 2; /* the opaque part without quotes */
    const char *v = http_request_header(req, "If-None-Match", &n);

    while (v && i < n) {
        while (i < n && (v[i] == ' ' || v[i] == ',' || v[i] == '\t'))
            i++;
        if (i < n && v[i] == '*')
            return 1;
        if (i + 1 < n && v[i] == 'W' && v[i + 1] == '/')
            i += 2;
        if (i < n && v[i] == '"') {
            size_t s = ++i;
            while (i < n && v[i] != '"')
                i++;
            if (i - s >= tl && !memcmp(v + s, etag + 1, tl) &&
                (i - s == tl || (i - s == tl + 3 && !memcmp(v + s + tl, "-gz", 3))))
                return 1;
            i++;
        } else {
            while (i < n && v[i] != ',')
                i++;
        }
    }
    return 0;
}

/* A route's build, as the read model calls it: what the database did is
 * noted, and a build that failed says whether an older rendering may
 * stand in (the database failed it) or its own answer stands. */
typedef struct api_read {
    api_thread *t;
    api_request *r;
    http_response *res;
    api_build_fn build;
    void *ctx;
} api_read;

static int build_body(void *arg)
{
    api_read *a = arg;

    db_used = db_failed = 0;
    if (a->build(a->t, a->r, a->res, a->ctx) != 0) {
        /* a build that failed without answering ran out of room: the JSON
         * writer refused to grow the body past its cap */
        if (a->res->status == 200) {
            log_error("response larger than the body cap", LF_S("request_id", a->r->request_id),
                      LF_I("cap_bytes", (int64_t)a->t->body.cap));
            api_error(a->res, 500, "Internal server error", NULL);
            return READ_BROKEN;
        }
        return db_failed ? READ_NO_DATA : READ_BROKEN;
    }
    if (db_used)
        note_db(1, NULL);
    return READ_BUILT;
}

static int must_stop(void *arg)
{
    return api_must_wait(arg, WAIT_DB | WAIT_KV);
}

/* The body in the encoding asked for: the stored form itself when it is
 * that encoding (lent when it can be, so written from where it lies), else
 * the identity form, inflated when only gzip is stored. */
static void send_body(api_thread *t, http_response *res, read_body *b, int send_gz)
{
    const buf *identity = b->identity;

    if (send_gz == b->meta.gzipped) {
        if (b->ref) {
            http_response_set_body_ref(res, NULL, b->data, b->len, b->release, b->ref);
            b->ref = NULL;
        } else {
            http_response_set_body(res, NULL, b->data, b->len);
        }
        return;
    }
    if (!identity) {
        buf_reset(&t->body);
        if (gzip_decompress(t->gz, b->data, b->len, b->meta.identity_len, &t->body) != 0) {
            api_error(res, 500, "Internal server error", NULL);
            return;
        }
        identity = &t->body;
    }
    http_response_set_body(res, NULL, identity->data ? identity->data : "", identity->len);
}

void api_serve_cached(api_thread *t, api_request *r, http_response *res, const char *key,
                      size_t klen, api_build_fn build, void *ctx)
{
    api_app *app = t->app;
    int gzip_ok = api_accepts_gzip(r->http), send_gz;
    size_t mark = res->headers.len;
    api_read a = {t, r, res, build, ctx};
    read_thread rt = {.redis = t->redis,
                      .may_block = !(t->waits & WAIT_KV),
                      .gz = t->gz,
                      .body = &t->body,
                      .alt = &t->alt,
                      .must_stop = must_stop,
                      .arg = t};
    read_body b;
    char etag[CACHE_ETAG_MAX + 4];

    if (read_model_get(app->reads, &rt, key, klen, build_body, &a, &b) != READ_OK)
        return; /* a miss that goes on in a task, or the build's own answer */
    if (b.stale) {
        /* the error written meanwhile gives way to the older rendering */
        res->headers.len = mark;
        if (res->headers.data)
            res->headers.data[mark] = '\0';
    }
    send_gz = b.meta.gzipped && gzip_ok;
    if (send_gz)
        snprintf(etag, sizeof(etag), "%.*s-gz\"", (int)strlen(b.meta.etag) - 1, b.meta.etag);
    else
        snprintf(etag, sizeof(etag), "%s", b.meta.etag);
    http_response_header(res, "Cache-Control",
                         r->cache_control ? r->cache_control : app->cache_control);
    http_response_header(res, "ETag", etag);
    http_response_header(res, "Vary", app->vary);
    if (b.stale) {
        /* rendered from older data: said by the (RFC 7234 §5.5.1) warning
         * clients know, and plainly */
        http_response_header(res, "Warning", "110 - \"Response is Stale\"");
        http_response_header(res, "X-Cache", "stale");
    }
    if (api_none_match(r->http, b.meta.etag)) {
        res->status = 304;
        res->no_body = 1;
    } else {
        res->status = 200;
        http_response_header(res, "Content-Type", r->content_type ? r->content_type : JSON_TYPE);
        if (send_gz)
            http_response_header(res, "Content-Encoding", "gzip");
        send_body(t, res, &b, send_gz);
    }
    read_body_release(&b);
}

int api_fill_next(api_thread *t, const api_request *r, tv_show *const *shows, size_t n)
{
    return read_model_next(t->app->reads, t->st, r->now, shows, n, &t->mem);
}

int api_list_episodes(api_thread *t, store *st, const int64_t *ids, size_t n, tv_episode **rows)
{
    int64_t *show_ids = arena_alloc(&t->mem, (n + 1) * sizeof(*show_ids));
    tv_show **cards = arena_alloc(&t->mem, (n + 1) * sizeof(tv_show *));
    int rc;

    if (!show_ids || !cards)
        return STORE_ERR;
    if ((rc = store_list_episodes(st, ids, n, &t->mem, rows)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        show_ids[i] = rows[i] ? rows[i]->show->id : 0;
    if ((rc = read_model_cards(t->app->reads, st, show_ids, n, &t->mem, cards)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (rows[i] && !(rows[i]->show = cards[i]))
            rows[i] = NULL; /* its show is gone since */
    return STORE_OK;
}

int api_episodes_by_page(api_thread *t, const api_request *r, const sched_page *page,
                         tv_episode **rows)
{
    int64_t ids[SCHEDULE_PAGE_MAX];
    tv_show *shows[SCHEDULE_PAGE_MAX];
    size_t k = 0;
    int rc;

    for (size_t i = 0; i < page->n; i++)
        ids[i] = page->rows[i].id;
    if ((rc = api_list_episodes(t, t->st, ids, page->n, rows)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < page->n; i++)
        if (rows[i])
            shows[k++] = rows[i]->show;
    return api_fill_next(t, r, shows, k);
}
