/* Followed-show lists — the API's writes — and their feeds:
 *
 *   POST   /api/v1/lists                    {"name": "…"}   201, the list and its feed token
 *   GET    /api/v1/lists                    the caller's lists
 *   GET    /api/v1/lists/:id                one, with its shows
 *   PATCH  /api/v1/lists/:id                {"name": "…"}   rename
 *   DELETE /api/v1/lists/:id
 *   POST   /api/v1/lists/:id/feed-token     a new feed token (the old one stops working)
 *   PUT    /api/v1/lists/:id/shows/:show_id
 *   DELETE /api/v1/lists/:id/shows/:show_id
 *   GET    /feeds/<token>.ics, /feeds/<token>.json   the list's episodes, no other credential
 *
 * A list belongs to the identity that made it (an API key, a token's
 * subject); another identity gets 404. Writes need that identity even when
 * reads are open (AUTH_MODE=none): an API key (tvshows keys create). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api_internal.h"
#include "middleware/auth.h"
#include "services/lists.h"
#include "util/hash.h"
#include "util/num.h"

#define NAME_MAX_CHARS LISTS_NAME_MAX

/* The caller's identity for a write, or a 401 in res. */
static int owner_of(api_thread *t, api_request *r, http_response *res, char owner[96])
{
    auth_result ar;

    auth_identify(t->app->auth, r->http, (int64_t)time(NULL), &ar);
    if (!ar.ok || !ar.principal[0]) {
        api_error(res, 401, ar.error ? ar.error : "Unauthorized",
                  "lists belong to an identity: send X-API-Key (tvshows keys create NAME) or a "
                  "bearer token");
        if (ar.bearer)
            http_response_header(res, "WWW-Authenticate", "Bearer");
        return -1;
    }
    snprintf(owner, 96, "%s", ar.principal);
    return 0;
}

static int id_param(api_request *r, http_response *res, size_t i, const char *what, int64_t *id)
{
    if (num_parse_i64(r->match.params[i], r->match.param_lens[i], id) == 0 && *id > 0)
        return 0;
    api_error(res, 404, "Resource not found", what);
    return -1;
}

/* The JSON object of a request body, with "name" and nothing else; a 4xx
 * in res otherwise. */
static int body_name(api_request *r, http_response *res, char *name, size_t cap)
{
    const http_request *req = r->http;
    size_t ctlen = 0;
    const char *ct = http_request_header(req, "Content-Type", &ctlen);
    json_error_t jerr;
    json_t *root, *v;
    const char *key;
    int rc = -1;

    if (!ct || ctlen < 16 || strncasecmp(ct, "application/json", 16) ||
        (ctlen > 16 && ct[16] != ';' && ct[16] != ' ')) {
        api_error(res, 415, "Unsupported media type", "the body must be application/json");
        return -1;
    }
    if (!(root = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES,
                            &jerr))) {
        api_error(res, 400, "Request body is not valid JSON", jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        api_error(res, 400, "Invalid request body", "must be a JSON object");
        goto done;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "name")) {
            char why[96];
            snprintf(why, sizeof(why), "unknown field \"%.40s\"", key);
            api_error(res, 400, "Invalid request body", why);
            goto done;
        }
    }
    v = json_object_get(root, "name");
    if (!json_is_string(v)) {
        api_error(res, 400, "Invalid field: name", "must be a string");
        goto done;
    }
    {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        while (n && s[n - 1] == ' ')
            n--;
        if (!lists_name_ok(s, n) || n >= cap) {
            api_error(res, 400, "Invalid field: name",
                      "must be 1 to 100 characters, without control characters");
            goto done;
        }
        memcpy(name, s, n);
        name[n] = '\0';
    }
    rc = 0;
done:
    json_decref(root);
    return rc;
}

static void render_list_object(api_thread *t, api_request *r, jw_writer *w, const store_list *l,
                               const char *token, tv_show **shows, size_t nshows)
{
    (void)t;
    (void)r;
    jw_obj_open(w);
    jw_key(w, "id");
    jw_int(w, l->id);
    jw_key(w, "name");
    jw_str(w, l->name);
    jw_key(w, "feed_token_prefix");
    jw_str(w, l->feed_prefix);
    if (token) {
        char path[128];
        jw_key(w, "feed_token");
        jw_str(w, token);
        snprintf(path, sizeof(path), "/feeds/%s.ics", token);
        jw_key(w, "feed_ics");
        jw_str(w, path);
        snprintf(path, sizeof(path), "/feeds/%s.json", token);
        jw_key(w, "feed_json");
        jw_str(w, path);
    }
    if (shows) {
        jw_key(w, "shows");
        jw_arr_open(w);
        for (size_t i = 0; i < nshows; i++)
            if (shows[i])
                render_show(w, shows[i], 0);
        jw_arr_close(w);
    }
    jw_obj_close(w);
}

static void send_list(api_thread *t, api_request *r, http_response *res, int status,
                      const store_list *l, const char *token, int with_shows)
{
    tv_show **shows = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    jw_writer w;
    int rc;

    if (with_shows && ((rc = store_list_show_ids(t->st, l->id, &t->mem, &ids, &n)) != STORE_OK ||
                       !(shows = arena_alloc(&t->mem, (n + 1) * sizeof(tv_show *))) ||
                       (rc = store_shows_by_ids(t->st, ids, n, &t->mem, shows)) != STORE_OK ||
                       (rc = api_fill_next(t, r, shows, n)) != STORE_OK)) {
        api_store_error(t, res, shows ? rc : STORE_ERR);
        return;
    }
    buf_reset(&t->body);
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "data");
    render_list_object(t, r, &w, l, token, shows, n);
    jw_obj_close(&w);
    if (jw_end(&w) != 0) {
        api_error(res, 500, "Internal server error", NULL);
        return;
    }
    api_send_json(t, res, status, "no-store");
}

static void list_store_error(api_thread *t, http_response *res, int rc)
{
    if (rc == STORE_ENOTFOUND)
        api_error(res, 404, "Resource not found", "no such list");
    else if (rc == STORE_ELIMIT)
        api_error(res, 409, "Limit reached", store_errmsg(t->st));
    else
        api_store_error(t, res, rc);
}

/* POST /api/v1/lists and GET /api/v1/lists */
void route_lists(api_thread *t, api_request *r, http_response *res)
{
    char owner[96], name[NAME_MAX_CHARS * 4 + 1];
    lists_token tok;
    store_list *l;
    int64_t id;
    int rc;

    if (owner_of(t, r, res, owner) != 0)
        return;
    if (!api_store(t)) {
        api_unavailable(res);
        return;
    }
    if (r->http->method != HTTP_POST) {
        store_page page;
        jw_writer w;
        if ((rc = store_lists_of(t->st, owner, &t->mem, &page)) != STORE_OK) {
            api_store_error(t, res, rc);
            return;
        }
        buf_reset(&t->body);
        jw_begin(&w, &t->body);
        jw_obj_open(&w);
        jw_key(&w, "data");
        jw_arr_open(&w);
        for (size_t i = 0; i < page.n; i++)
            render_list_object(t, r, &w, page.rows[i], NULL, NULL, 0);
        jw_arr_close(&w);
        jw_obj_close(&w);
        if (jw_end(&w) == 0)
            api_send_json(t, res, 200, "private, no-store");
        return;
    }
    if (body_name(r, res, name, sizeof(name)) != 0)
        return;
    if (lists_new_token(&tok) != 0) {
        api_error(res, 500, "Internal server error", NULL);
        return;
    }
    if ((rc = store_list_create(t->st, owner, name, tok.sha256, tok.prefix, LISTS_PER_OWNER,
                                &id)) != STORE_OK ||
        (rc = store_list_get(t->st, id, owner, &t->mem, &l)) != STORE_OK) {
        list_store_error(t, res, rc);
        return;
    }
    send_list(t, r, res, 201, l, tok.token, 1);
}

/* GET, PATCH, DELETE /api/v1/lists/:id and POST …/feed-token */
void route_list(api_thread *t, api_request *r, http_response *res)
{
    char owner[96], name[NAME_MAX_CHARS * 4 + 1];
    int rotate = r->route == R_LIST_FEED_TOKEN;
    lists_token tok;
    store_list *l;
    int64_t id;
    int rc;

    if (owner_of(t, r, res, owner) != 0 || id_param(r, res, 0, "no such list", &id) != 0)
        return;
    if (!api_store(t)) {
        api_unavailable(res);
        return;
    }
    switch (rotate ? HTTP_OTHER : r->http->method) {
    case HTTP_DELETE:
        if ((rc = store_list_delete(t->st, id, owner)) != STORE_OK) {
            list_store_error(t, res, rc);
            return;
        }
        res->status = 204;
        res->no_body = 1;
        http_response_header(res, "Cache-Control", "no-store");
        return;
    case HTTP_PATCH:
        if (body_name(r, res, name, sizeof(name)) != 0)
            return;
        rc = store_list_rename(t->st, id, owner, name);
        break;
    case HTTP_OTHER: /* a new feed token */
        if (lists_new_token(&tok) != 0) {
            api_error(res, 500, "Internal server error", NULL);
            return;
        }
        rc = store_list_rotate(t->st, id, owner, tok.sha256, tok.prefix);
        break;
    default:
        rc = STORE_OK;
        break;
    }
    if (rc == STORE_OK)
        rc = store_list_get(t->st, id, owner, &t->mem, &l);
    if (rc != STORE_OK) {
        list_store_error(t, res, rc);
        return;
    }
    send_list(t, r, res, 200, l, rotate ? tok.token : NULL, 1);
}

/* PUT and DELETE /api/v1/lists/:id/shows/:show_id */
void route_list_show(api_thread *t, api_request *r, http_response *res)
{
    char owner[96];
    int64_t id, show_id;
    tv_show *s;
    int rc;

    if (owner_of(t, r, res, owner) != 0 || id_param(r, res, 0, "no such list", &id) != 0)
        return;
    if (num_parse_i64(r->match.params[1], r->match.param_lens[1], &show_id) != 0 || show_id < 1) {
        char why[96];
        snprintf(why, sizeof(why), "Couldn't find TvShow with 'id'=%.*s",
                 (int)(r->match.param_lens[1] < 40 ? r->match.param_lens[1] : 40),
                 r->match.params[1]);
        api_error(res, 404, "Resource not found", why);
        return;
    }
    if (!api_store(t)) {
        api_unavailable(res);
        return;
    }
    if (r->http->method == HTTP_PUT) {
        rc = store_get_show(t->st, show_id, &t->mem, &s);
        if (rc == STORE_ENOTFOUND) {
            char why[96];
            snprintf(why, sizeof(why), "Couldn't find TvShow with 'id'=%lld", (long long)show_id);
            api_error(res, 404, "Resource not found", why);
            return;
        }
        if (rc == STORE_OK)
            rc = store_list_add_show(t->st, id, owner, show_id, LISTS_SHOWS_MAX);
    } else {
        rc = store_list_remove_show(t->st, id, owner, show_id);
    }
    if (rc != STORE_OK) {
        list_store_error(t, res, rc);
        return;
    }
    res->status = 204;
    res->no_body = 1;
    http_response_header(res, "Cache-Control", "no-store");
}

/* GET /feeds/<token>.ics and .json: the list's shows' episodes over the
 * calendar's window, for whoever holds the token. */
void route_feed(api_thread *t, api_request *r, http_response *res)
{
    const char *seg = r->match.params[0];
    size_t n = r->match.param_lens[0], stem;
    char sha[SHA256_HEX_LEN + 1];
    int ics;
    store_list *l;
    int rc;

    ics = n > 4 && !memcmp(seg + n - 4, ".ics", 4);
    stem = n - (ics ? 4 : 5);
    if (!ics && !(n > 5 && !memcmp(seg + n - 5, ".json", 5))) {
        api_error(res, 404, "Not found", NULL);
        return;
    }
    /* the digest of whatever was sent, then one indexed lookup: an unknown
     * token and a rotated one take the same path */
    hash_sha256_hex(seg, stem, sha);
    if (!api_store(t)) {
        api_unavailable(res);
        return;
    }
    rc = store_list_by_feed(t->st, sha, &t->mem, &l);
    if (rc == STORE_ENOTFOUND) {
        api_error(res, 404, "Not found", NULL);
        return;
    }
    if (rc != STORE_OK) {
        api_store_error(t, res, rc);
        return;
    }
    api_list_feed(t, r, res, l, ics);
}
