/* Building responses: errors, plain JSON, and the cached 200 path. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/store_options.h"
#include "api/api_internal.h"
#include "kv/redis.h"
#include "middleware/cache.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/metrics.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define GZIP_MIN  1024 /* smaller bodies are not worth a Content-Encoding */

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

/* Fills meta and, when it pays, the gzip form (in t->alt) of t->body. */
static void prepare_entry(api_thread *t, cache_meta *meta)
{
    char hex[SHA256_HEX_LEN + 1];

    hash_sha256_hex(t->body.data, t->body.len, hex);
    snprintf(meta->etag, sizeof(meta->etag), "\"%.32s\"", hex);
    meta->identity_len = t->body.len;
    meta->gzipped = 0;
    buf_reset(&t->alt);
    if (t->body.len >= GZIP_MIN && gzip_compress(t->gz, t->body.data, t->body.len, &t->alt) == 0 &&
        t->alt.len < t->body.len)
        meta->gzipped = 1;
}

/* The second level: Redis, shared by every API process. An entry is
 *   "<etag> <gzipped> <identity_len>\n" + the stored body
 * under tvshows:c:<generation>:<sha256 of the key>; it expires with
 * CACHE_TTL, and a new generation makes it unreachable like in process. */
static void l2_key(const char *key, size_t klen, int64_t gen, char *out, size_t n)
{
    char hex[SHA256_HEX_LEN + 1];

    hash_sha256_hex(key, klen, hex);
    snprintf(out, n, "tvshows:c:%lld:%s", (long long)gen, hex);
}

static int l2_get(api_thread *t, const char *key, size_t klen, int64_t gen, cache_meta *meta)
{
    char k[128];
    const char *argv[2] = {"GET", k};
    redisReply *rep;
    const char *nl;
    int hit = 0;

    l2_key(key, klen, gen, k, sizeof(k));
    if (!(rep = redis_command(t->redis, 2, argv, NULL)))
        return 0;
    if (rep->type == REDIS_REPLY_STRING && (nl = memchr(rep->str, '\n', rep->len))) {
        unsigned long long ilen = 0;
        int gz = 0;
        char etag[CACHE_ETAG_MAX];
        if (sscanf(rep->str, "%47s %d %llu", etag, &gz, &ilen) == 3 && etag[0] == '"') {
            snprintf(meta->etag, sizeof(meta->etag), "%s", etag);
            meta->gzipped = gz;
            meta->identity_len = (size_t)ilen;
            buf_append(&t->alt, nl + 1, rep->len - (size_t)(nl + 1 - rep->str));
            hit = 1;
        }
    }
    freeReplyObject(rep);
    return hit;
}

static void l2_put(api_thread *t, const char *key, size_t klen, int64_t gen, const buf *stored,
                   const cache_meta *meta)
{
    char k[128], ttl[16];
    buf v;
    redisReply *rep;

    l2_key(key, klen, gen, k, sizeof(k));
    snprintf(ttl, sizeof(ttl), "%d", t->app->cfg->cache_ttl > 0 ? t->app->cfg->cache_ttl : 1);
    buf_init(&v, (size_t)64 << 20);
    buf_printf(&v, "%s %d %zu\n", meta->etag, meta->gzipped, meta->identity_len);
    buf_append(&v, stored->data ? stored->data : "", stored->len);
    {
        const char *argv[5] = {"SET", k, v.data ? v.data : "", "EX", ttl};
        size_t lens[5] = {3, strlen(k), v.len, 2, strlen(ttl)};
        /* on the loop: sent, its answer not waited for */
        if (redis_send(t->redis, 5, argv, lens, NULL, NULL) != 0 && !(t->waits & WAIT_KV) &&
            (rep = redis_command(t->redis, 5, argv, lens)))
            freeReplyObject(rep);
    }
    buf_free(&v);
}

/* Stale-if-error: when the database cannot render the page, the rendering
 * of older data this process still holds for the key, if any; the error
 * response written meanwhile gives way to it (headers back to mark). */
static int load_stale(api_thread *t, const char *key, size_t klen, int64_t gen, cache_meta *meta,
                      http_response *res, size_t mark)
{
    int64_t from = 0;

    buf_reset(&t->body);
    buf_reset(&t->alt);
    if (!db_failed || !t->app->cache ||
        !cache_get_any(t->app->cache, key, klen, &t->alt, meta, &from) || from >= gen) {
        buf_reset(&t->alt);
        return 0;
    }
    res->headers.len = mark;
    if (res->headers.data)
        res->headers.data[mark] = '\0';
    return 1;
}

/* A stored form read into t->alt goes where its encoding lives: gzip in
 * t->alt, the identity body in t->body. */
static void settle_stored(api_thread *t, const cache_meta *meta)
{
    if (!meta->gzipped) {
        buf tmp = t->body; /* both are empty but for the stored form */
        t->body = t->alt;
        t->alt = tmp;
    }
}

/* Looks the page up in this process, then in Redis (keeping what Redis
 * had here too): 1 with the stored form lent in *loan, or, when this
 * process cannot keep it, in t->alt or t->body (loan->ref NULL); 0 on a
 * miss. */
static int find_cached(api_thread *t, const char *key, size_t klen, int64_t gen, cache_loan *loan)
{
    api_app *app = t->app;

    memset(loan, 0, sizeof(*loan));
    if (app->cache && cache_lend(app->cache, key, klen, gen, loan)) {
        metrics_inc(M_CACHE_HITS);
        return 1;
    }
    if (api_must_wait(t, WAIT_DB | WAIT_KV))
        return 0; /* asked again from a task */
    if (t->redis && l2_get(t, key, klen, gen, &loan->meta)) {
        metrics_inc(M_CACHE_L2_HITS); /* another process rendered it */
        if (!app->cache ||
            !cache_put(app->cache, key, klen, gen, t->alt.data, t->alt.len, &loan->meta, loan))
            settle_stored(t, &loan->meta);
        return 1;
    }
    if (app->cache)
        metrics_inc(M_CACHE_MISSES);
    return 0;
}

/* Renders the page and keeps it (lent in *loan when the process caches);
 * 0, or -1 after answering with an error or when only a stale rendering
 * is left (*stale then, the stored form in t->alt). */
static int render_page(api_thread *t, api_request *r, http_response *res, const char *key,
                       size_t klen, int64_t gen, api_build_fn build, void *ctx, cache_loan *loan,
                       int *stale)
{
    api_app *app = t->app;
    size_t mark = res->headers.len;
    const buf *stored;

    db_used = db_failed = 0;
    if (build(t, r, res, ctx) != 0) {
        /* a build that failed without answering ran out of room: the JSON
         * writer refused to grow the body past its cap */
        if (res->status == 200) {
            log_error("response larger than the body cap", LF_S("request_id", r->request_id),
                      LF_I("cap_bytes", (int64_t)t->body.cap));
            api_error(res, 500, "Internal server error", NULL);
            return -1;
        }
        if (!load_stale(t, key, klen, gen, &loan->meta, res, mark))
            return -1;
        settle_stored(t, &loan->meta);
        *stale = 1;
        return 0;
    }
    if (db_used)
        note_db(1, NULL);
    prepare_entry(t, &loan->meta);
    stored = loan->meta.gzipped ? &t->alt : &t->body;
    if (app->cache)
        cache_put(app->cache, key, klen, gen, stored->data, stored->len, &loan->meta, loan);
    if (t->redis)
        l2_put(t, key, klen, gen, stored, &loan->meta);
    return 0;
}

/* The body in the encoding asked for: the stored form itself when it is
 * that encoding (lent from the cache, never copied), else the identity
 * form, inflated when only gzip is stored. */
static void send_body(api_thread *t, http_response *res, cache_loan *loan, int send_gz,
                      int rendered)
{
    const buf *stored = loan->meta.gzipped ? &t->alt : &t->body;

    if (loan->ref && send_gz == loan->meta.gzipped) {
        http_response_set_body_ref(res, NULL, loan->body, loan->len, cache_release, loan->ref);
        loan->ref = NULL;
        return;
    }
    if (send_gz || !loan->meta.gzipped) {
        /* not in this process's cache: the form at hand */
        http_response_set_body(res, NULL, stored->data ? stored->data : "", stored->len);
        return;
    }
    if (!rendered) {
        buf_reset(&t->body);
        if (gzip_decompress(t->gz, loan->ref ? loan->body : t->alt.data,
                            loan->ref ? loan->len : t->alt.len, loan->meta.identity_len,
                            &t->body) != 0) {
            api_error(res, 500, "Internal server error", NULL);
            return;
        }
    }
    http_response_set_body(res, NULL, t->body.data ? t->body.data : "", t->body.len);
}

void api_serve_cached(api_thread *t, api_request *r, http_response *res, const char *key,
                      size_t klen, api_build_fn build, void *ctx)
{
    api_app *app = t->app;
    int64_t gen = atomic_load_explicit(&app->generation, memory_order_acquire);
    int gzip_ok = api_accepts_gzip(r->http), send_gz, rendered = 0, stale = 0;
    cache_loan loan;
    char etag[CACHE_ETAG_MAX + 4];

    buf_reset(&t->body);
    buf_reset(&t->alt);
    if (!find_cached(t, key, klen, gen, &loan)) {
        if (api_must_wait(t, WAIT_DB | WAIT_KV))
            return; /* a miss: the rest may wait, in a task */
        if (render_page(t, r, res, key, klen, gen, build, ctx, &loan, &stale) != 0)
            return;
        rendered = !stale;
    }
    send_gz = loan.meta.gzipped && gzip_ok;
    if (send_gz)
        snprintf(etag, sizeof(etag), "%.*s-gz\"", (int)strlen(loan.meta.etag) - 1, loan.meta.etag);
    else
        snprintf(etag, sizeof(etag), "%s", loan.meta.etag);
    http_response_header(res, "Cache-Control",
                         r->cache_control ? r->cache_control : app->cache_control);
    http_response_header(res, "ETag", etag);
    http_response_header(res, "Vary", app->vary);
    if (stale) {
        /* rendered from older data: said by the (RFC 7234 §5.5.1) warning
         * clients know, and plainly */
        http_response_header(res, "Warning", "110 - \"Response is Stale\"");
        http_response_header(res, "X-Cache", "stale");
    }
    if (api_none_match(r->http, loan.meta.etag)) {
        res->status = 304;
        res->no_body = 1;
    } else {
        res->status = 200;
        http_response_header(res, "Content-Type", r->content_type ? r->content_type : JSON_TYPE);
        if (send_gz)
            http_response_header(res, "Content-Encoding", "gzip");
        send_body(t, res, &loan, send_gz, rendered);
    }
    if (loan.ref)
        cache_release(loan.ref);
}

int api_fill_next(api_thread *t, const api_request *r, tv_show *const *shows, size_t n)
{
    return store_next_episodes(t->st, shows, n, r->now, &t->mem);
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
    if ((rc = store_episodes_by_ids(t->st, ids, page->n, &t->mem, rows)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < page->n; i++)
        if (rows[i] && rows[i]->show)
            shows[k++] = rows[i]->show;
    return api_fill_next(t, r, shows, k);
}
