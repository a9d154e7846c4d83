/* The request pipeline and the lifecycle of the API's process and thread
 * state. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_internal.h"
#include "kv/redis.h"
#include "middleware/auth.h"
#include "middleware/client.h"
#include "middleware/ratelimit.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/trace.h"
#include "web/web.h"

#define GET_ONLY     (1u << HTTP_GET | 1u << HTTP_OPTIONS)
#define LOG_FLUSH_AT (64 * 1024)

/* The last field is the most request-body bytes a route reads: 0 for every
 * route today, so a body sent to any of them is refused with 413 before a
 * byte of it is buffered (api_body_limit). */
#define NO_BODY 0
/* The cap of a route that takes a small JSON document. */
#define JSON_BODY_MAX (8 * 1024)

static const http_route routes[] = {
    {"/up", 1u << HTTP_GET, R_UP, NO_BODY},
    {"/ready", 1u << HTTP_GET, R_READY, NO_BODY},
    {"/api/v1/tvshows", GET_ONLY, R_TVSHOWS, NO_BODY},
    {"/api/v1/shows", GET_ONLY, R_SHOWS, NO_BODY},
    {"/api/v1/shows/:id", GET_ONLY, R_SHOW, NO_BODY},
    {"/api/v1/shows/:id/episodes", GET_ONLY, R_SHOW_EPISODES, NO_BODY},
    {"/api/v1/networks", GET_ONLY, R_NETWORKS, NO_BODY},
    {"/api/v1/countries", GET_ONLY, R_COUNTRIES, NO_BODY},
    {"/api/v1/openapi.json", GET_ONLY, R_OPENAPI, NO_BODY},
    {"/api/v1/analytics/:report", GET_ONLY, R_ANALYTICS, NO_BODY},
    {"/api/v1/upcoming", GET_ONLY, R_UPCOMING, NO_BODY},
    {"/api/v1/search/shows", GET_ONLY, R_SEARCH_SHOWS, NO_BODY},
    {"/api/v1/lookup/shows", GET_ONLY, R_LOOKUP_SHOWS, NO_BODY},
    {"/api/v1/genres", GET_ONLY, R_GENRES, NO_BODY},
    {"/api/v1/calendar.ics", GET_ONLY, R_CALENDAR, NO_BODY},
    {"/api/v1/changes", GET_ONLY, R_CHANGES, NO_BODY},
    {"/api/v1/week", GET_ONLY, R_WEEK, NO_BODY},
    /* the API's writes: small JSON documents, where a route takes one */
    {"/api/v1/lists", GET_ONLY | 1u << HTTP_POST, R_LISTS, JSON_BODY_MAX},
    {"/api/v1/lists/:id", GET_ONLY | 1u << HTTP_PATCH | 1u << HTTP_DELETE, R_LIST, JSON_BODY_MAX},
    {"/api/v1/lists/:id/feed-token", 1u << HTTP_POST | 1u << HTTP_OPTIONS, R_LIST_FEED_TOKEN,
     NO_BODY},
    {"/api/v1/lists/:id/shows/:show_id", 1u << HTTP_PUT | 1u << HTTP_DELETE | 1u << HTTP_OPTIONS,
     R_LIST_SHOW, NO_BODY},
    {"/feeds/:token", GET_ONLY, R_FEED, NO_BODY},
    /* the web app: its page at its client-side routes, and its files */
    {"/", GET_ONLY, R_WEB, NO_BODY},
    {"/shows/:id", GET_ONLY, R_WEB, NO_BODY},
    {"/insights", GET_ONLY, R_WEB, NO_BODY},
    {"/assets/:file", GET_ONLY, R_WEB, NO_BODY},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static const api_route_fn handlers[R_ROUTE_COUNT] = {
    [R_UP] = route_up,
    [R_READY] = route_ready,
    [R_TVSHOWS] = route_tvshows,
    [R_SHOWS] = route_shows,
    [R_SHOW] = route_show,
    [R_SHOW_EPISODES] = route_show_episodes,
    [R_NETWORKS] = route_networks,
    [R_COUNTRIES] = route_countries,
    [R_OPENAPI] = route_openapi,
    [R_ANALYTICS] = route_analytics,
    [R_UPCOMING] = route_upcoming,
    [R_SEARCH_SHOWS] = route_search_shows,
    [R_LOOKUP_SHOWS] = route_lookup_shows,
    [R_GENRES] = route_genres,
    [R_CALENDAR] = route_calendar,
    [R_CHANGES] = route_changes,
    [R_LISTS] = route_lists,
    [R_LIST] = route_list,
    [R_LIST_FEED_TOKEN] = route_list,
    [R_LIST_SHOW] = route_list_show,
    [R_FEED] = route_feed,
    [R_WEB] = route_web,
    [R_WEEK] = route_week,
};

static const char *const route_names[R_ROUTE_COUNT] = {
    [R_UP] = "/up",
    [R_READY] = "/ready",
    [R_TVSHOWS] = "/api/v1/tvshows",
    [R_SHOWS] = "/api/v1/shows",
    [R_SHOW] = "/api/v1/shows/:id",
    [R_SHOW_EPISODES] = "/api/v1/shows/:id/episodes",
    [R_NETWORKS] = "/api/v1/networks",
    [R_COUNTRIES] = "/api/v1/countries",
    [R_OPENAPI] = "/api/v1/openapi.json",
    [R_ANALYTICS] = "/api/v1/analytics/:report",
    [R_UPCOMING] = "/api/v1/upcoming",
    [R_SEARCH_SHOWS] = "/api/v1/search/shows",
    [R_LOOKUP_SHOWS] = "/api/v1/lookup/shows",
    [R_GENRES] = "/api/v1/genres",
    [R_CALENDAR] = "/api/v1/calendar.ics",
    [R_CHANGES] = "/api/v1/changes",
    [R_LISTS] = "/api/v1/lists",
    [R_LIST] = "/api/v1/lists/:id",
    [R_LIST_FEED_TOKEN] = "/api/v1/lists/:id/feed-token",
    [R_LIST_SHOW] = "/api/v1/lists/:id/shows/:show_id",
    [R_FEED] = "/feeds/:token",
    [R_WEB] = "web",
    [R_WEEK] = "/api/v1/week",
};

/* ---- CORS ---- */

static int parse_origins(api_app *app, const char *list)
{
    const char *p = list;

    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (n == 1 && *p == '*') {
            app->cors_any = 1;
        } else if (n) {
            char **grown = realloc(app->cors_origins, (app->ncors + 1) * sizeof(*grown));
            if (!grown)
                return -1;
            app->cors_origins = grown;
            if (!(app->cors_origins[app->ncors] = strndup(p, n)))
                return -1;
            app->ncors++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

static int origin_allowed(const api_app *app, const char *o, size_t n)
{
    if (app->cors_any)
        return 1;
    for (size_t i = 0; i < app->ncors; i++)
        if (strlen(app->cors_origins[i]) == n && !memcmp(app->cors_origins[i], o, n))
            return 1;
    return 0;
}

/* A page whose origin CORS_ORIGINS does not list fails in the browser,
 * where its developer sees a CORS error but not why: each such origin is
 * logged once, with the fix. At most CORS_LOGGED_MAX are remembered (their
 * hashes), so a client sending a new Origin every time can neither grow
 * memory nor flood the log; later ones go unlogged. */
#define CORS_LOGGED_MAX 64

static pthread_mutex_t cors_logged_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t cors_logged[CORS_LOGGED_MAX];
static size_t ncors_logged;

static void log_refused_origin(const char *o, size_t n)
{
    uint64_t h = hash_fnv1a(o, n);
    char origin[128];
    int seen = 0;

    pthread_mutex_lock(&cors_logged_lock);
    for (size_t i = 0; i < ncors_logged && !seen; i++)
        seen = cors_logged[i] == h;
    if (!seen && ncors_logged < CORS_LOGGED_MAX)
        cors_logged[ncors_logged++] = h;
    else
        seen = 1;
    pthread_mutex_unlock(&cors_logged_lock);
    if (seen)
        return;
    snprintf(origin, sizeof(origin), "%.*s", (int)(n < 100 ? n : 100), o);
    log_warn("browser requests from this origin are refused: add it to CORS_ORIGINS "
             "(comma-separated) to let its pages read the API",
             LF_S("origin", origin));
}

static void add_cors(const api_app *app, const http_request *req, http_response *res)
{
    size_t n;
    const char *o = http_request_header(req, "Origin", &n);

    if (!o)
        return;
    if (!origin_allowed(app, o, n)) {
        log_refused_origin(o, n);
        return;
    }
    http_response_headern(res, "Access-Control-Allow-Origin", o, n);
    http_response_header(res, "Access-Control-Expose-Headers",
                         "ETag, X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, "
                         "RateLimit-Reset");
}

/* OPTIONS: a CORS preflight, or a plain question about the methods. */
static void answer_options(api_request *r, http_response *res)
{
    buf allow;

    buf_init(&allow, 256);
    http_methods_format(r->match.allowed, &allow);
    res->status = 204;
    res->no_body = 1;
    http_response_header(res, "Allow", allow.data ? allow.data : "");
    if (http_request_header(r->http, "Access-Control-Request-Method", NULL) &&
        http_request_header(r->http, "Origin", NULL)) {
        http_response_header(res, "Access-Control-Allow-Methods", allow.data ? allow.data : "");
        http_response_header(res, "Access-Control-Allow-Headers",
                             "Authorization, X-API-Key, If-None-Match, X-Request-Id, "
                             "Content-Type");
        http_response_header(res, "Access-Control-Max-Age", "600");
    }
    http_response_header(res, "Cache-Control", "no-store");
    buf_free(&allow);
}

/* ---- request id, client address ---- */

static int request_id_sane(const char *v, size_t n)
{
    if (!n || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return 0;
    }
    return 1;
}

static void assign_request_id(api_thread *t, const http_request *req, char out[72])
{
    size_t n;
    const char *v = req ? http_request_header(req, "X-Request-Id", &n) : NULL;

    if (v && request_id_sane(v, n)) {
        memcpy(out, v, n);
        out[n] = '\0';
        return;
    }
    snprintf(out, 72, "%016llx%08llx", (unsigned long long)t->reqid_seed,
             (unsigned long long)(++t->reqid_seq & 0xffffffffull));
}

static void resolve_client(api_thread *t, api_request *r)
{
    client_address(r->http, &t->app->trusted_proxies, r->client_addr, r->client, sizeof(r->client));
}

/* ---- traces ---- */

/* The server span: the caller's trace is continued when its traceparent is
 * valid; otherwise a new trace begins (a bad one is ignored, never an
 * error: W3C Trace Context, "Processing Model"). The span is the loop
 * thread's current one while the request is handled; the previous one is
 * returned. */
static trace_span *trace_request_begin(trace_span *span, const http_request *req)
{
    trace_ctx parent;
    size_t n;
    const char *v = req ? http_request_header(req, "traceparent", &n) : NULL;
    int continued = v && trace_parse_traceparent(v, n, &parent) == 0;

    trace_begin_root(span, TRACE_SERVER, NULL, continued ? &parent : NULL);
    return trace_current_set(span);
}

/* The server span's name and attributes: the method (OpenTelemetry's
 * "_OTHER" for one the server does not know, "HTTP" when none was parsed),
 * the route's template, and the path, which for a feed is its secret token
 * and is then given as the template. */
static void trace_request_attrs(api_thread *t, trace_span *span, int route, const http_request *req,
                                int status)
{
    const char *method = "HTTP", *path = "";
    size_t mlen = 4, plen = 0;

    if (req) {
        method = req->method == HTTP_OTHER ? "_OTHER" : req->method_str;
        mlen = req->method == HTTP_OTHER ? 6 : req->method_len;
        path = route == R_FEED ? route_names[R_FEED] : req->path;
        plen = route == R_FEED ? strlen(path) : req->path_len;
    }
    trace_http_server(span, method, mlen, route >= 0 ? route_names[route] : NULL, path, plen,
                      status, t->app->cfg->port);
}

/* Every response names its server span, which ends with it (a parked
 * request's when its task answers); a valid tracestate that came with the
 * caller's context goes back unchanged. */
static void trace_request_end(api_thread *t, trace_span *span, int route, const http_request *req,
                              http_response *res)
{
    char tp[TRACE_TRACEPARENT_LEN + 1];
    size_t n;
    const char *ts = req && span->remote ? http_request_header(req, "tracestate", &n) : NULL;

    if (trace_recording(span))
        trace_request_attrs(t, span, route, req, res->status);
    trace_format_traceparent(&span->ctx, tp);
    /* a whole header line (http.h): hex digits and dashes need no filter */
    buf_puts(&res->headers, "traceparent: ");
    buf_append(&res->headers, tp, TRACE_TRACEPARENT_LEN);
    buf_puts(&res->headers, "\r\n");
    if (ts && trace_tracestate_valid(ts, n))
        http_response_headern(res, "tracestate", ts, n);
    trace_end(span);
}

/* ---- limits and authentication ---- */

/* Counts one request against a budget: in Redis when it answers (one budget
 * for every API process), else in this process. */
/* Counts the request against key's budget: in Redis, shared by every API
 * process (from a task on the loop: the request waits, the loop does
 * not), or in this process when Redis cannot be asked. */
static void take_budget(api_thread *t, const char *key, int64_t limit, int64_t window_ms,
                        rl_result *out)
{
    int64_t now = clock_now_ms();

    if (t->redis &&
        ratelimit_take_redis(t->redis, key, strlen(key), limit, window_ms, now, out) == 0)
        return;
    ratelimit_take(t->app->limits, key, strlen(key), limit, window_ms, now, out);
}

static void add_limit_headers(http_response *res, const rl_result *rl)
{
    char v[24];

    snprintf(v, sizeof(v), "%lld", (long long)rl->limit);
    http_response_header(res, "RateLimit-Limit", v);
    snprintf(v, sizeof(v), "%lld", (long long)rl->remaining);
    http_response_header(res, "RateLimit-Remaining", v);
    snprintf(v, sizeof(v), "%lld", (long long)rl->reset_s);
    http_response_header(res, "RateLimit-Reset", v);
}

static void too_many(http_response *res, const rl_result *rl, metric_refusal why)
{
    char v[24], body[96];
    int n = snprintf(body, sizeof(body), "{\"error\":\"Rate limit exceeded\",\"retry_after\":%lld}",
                     (long long)rl->reset_s);

    api_error(res, 429, "Rate limit exceeded", NULL);
    http_response_clear_body(res);
    buf_append(&res->body, body, (size_t)n);
    snprintf(v, sizeof(v), "%lld", (long long)rl->reset_s);
    http_response_header(res, "Retry-After", v);
    metrics_refusal(why);
}

/* The web app's files are public and served from memory: a browser cannot
 * send an API key with a page load, and a first visit asks for a dozen files
 * at once, so they need no credentials and spend no budget; the API calls
 * the app then makes are counted and authenticated like any other. */
static int is_web(const api_request *r)
{
    return r->route == R_WEB;
}

/* Blocklist and the per-IP budget: every route but /up (the budget not for
 * the web app's files either). Returns 0 to go on; otherwise the response is
 * written. */
static int guard_client(api_thread *t, api_request *r, http_response *res, rl_result *rl)
{
    const config *cfg = t->app->cfg;
    char key[CLIENT_KEY_MAX];

    if (cidr_list_contains(&t->app->blocklist, r->client_addr)) {
        api_error(res, 403, "Forbidden", NULL);
        metrics_refusal(M_REFUSE_BLOCKLIST);
        return -1;
    }
    if (cfg->rate_limit_ip_per_min > 0 && !is_web(r)) {
        client_limit_key(r->client_addr, cfg->rate_limit_ipv6_prefix, key);
        take_budget(t, key, cfg->rate_limit_ip_per_min, 60 * 1000, rl);
        if (!rl->allowed) {
            too_many(res, rl, M_REFUSE_RATE_IP);
            return -1;
        }
    }
    return 0;
}

/* Authentication and the per-key budget on /api/. */
static int guard_api(api_thread *t, api_request *r, http_response *res, rl_result *rl)
{
    const config *cfg = t->app->cfg;
    auth_result ar;

    if (!auth_enabled(t->app->auth))
        return 0;
    auth_check(t->app->auth, r->http, (int64_t)time(NULL), &ar);
    if (!ar.ok) {
        api_error(res, ar.status, ar.error, NULL);
        if (ar.bearer)
            http_response_header(res, "WWW-Authenticate", "Bearer");
        metrics_refusal(ar.reason);
        return -1;
    }
    if (cfg->rate_limit_key_per_hour > 0 && !strncmp(ar.principal, "key:", 4)) {
        rl_result kr;
        take_budget(t, ar.principal, cfg->rate_limit_key_per_hour, 3600 * 1000, &kr);
        if (!rl->limit || kr.remaining < rl->remaining)
            *rl = kr; /* the headers show the tighter budget */
        if (!kr.allowed) {
            too_many(res, &kr, M_REFUSE_RATE_KEY);
            return -1;
        }
    }
    return 0;
}

/* ---- access log ---- */

static void log_request(api_thread *t, const api_request *r, const http_request *req, int status,
                        size_t bytes, double ms)
{
    log_field f[8];
    size_t n = 0;
    char method[16], path[512];
    size_t pl = 0, ml = 0;

    if (!log_enabled(LOG_INFO))
        return;
    if (req) {
        ml = req->method_len < sizeof(method) - 1 ? req->method_len : sizeof(method) - 1;
        memcpy(method, req->method_str, ml);
        pl = req->path_len < sizeof(path) - 1 ? req->path_len : sizeof(path) - 1;
        memcpy(path, req->path, pl);
    }
    method[ml] = '\0';
    path[pl] = '\0';
    f[n++] = LF_S("request_id", r->request_id);
    f[n++] = LF_S("method", method);
    f[n++] = LF_S("path", path);
    f[n++] = LF_I("status", status);
    f[n++] = LF_F("duration_ms", ms);
    f[n++] = LF_I("bytes", bytes);
    f[n++] = LF_S("client", r->client);
    f[n] = (log_field){0};
    log_format(&t->log, LOG_INFO, "request", f);
    if (t->log.len >= LOG_FLUSH_AT)
        api_thread_idle(t);
}

static double elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Headers every response carries. */
static void common_headers(const api_request *r, http_response *res)
{
    http_response_header(res, "X-Request-Id", r->request_id);
    http_response_header(res, "X-Content-Type-Options", "nosniff");
    http_response_header(res, "Referrer-Policy", "no-referrer");
}

static int is_health(const api_request *r)
{
    return r->route == R_UP || r->route == R_READY;
}

/* /up is for the load balancer: never refused. /ready pings the database
 * and Redis on the loop thread, so it is guarded like any route (the
 * load balancer checks /up; operators and monitors ask /ready rarely). */
static int is_exempt(const api_request *r)
{
    return r->route == R_UP;
}

static void route_request(api_thread *t, api_request *r, http_response *res, rl_result *rl)
{
    const http_request *req = r->http;
    int rc = http_route_find(routes, NROUTES, req->method, req->path, req->path_len, &r->match);

    r->route = r->match.path_route ? r->match.path_route->id : -1;
    /* budgets counted in Redis: the request waits for it, in a task, from
     * here on (nothing counted yet) */
    if (t->redis && !is_exempt(r) && !is_web(r) &&
        (t->app->cfg->rate_limit_ip_per_min > 0 || t->app->cfg->rate_limit_key_per_hour > 0) &&
        api_must_wait(t, WAIT_KV)) {
        t->want_task = WANT_REQUEST;
        return;
    }
    /* everything but /up, unknown paths included, counts against the
     * client's budget */
    if (!is_exempt(r) && guard_client(t, r, res, rl) != 0)
        return;
    if (rc == 404) {
        api_error(res, 404, "Not found", NULL);
        return;
    }
    if (rc == 405) {
        buf allow;
        buf_init(&allow, 256);
        http_methods_format(r->match.allowed, &allow);
        api_error(res, 405, "Method not allowed", NULL);
        http_response_header(res, "Allow", allow.data ? allow.data : "");
        buf_free(&allow);
        return;
    }
    if (req->method == HTTP_OPTIONS) {
        answer_options(r, res); /* CORS preflights carry no credentials */
        return;
    }
    /* a feed's secret token is its credential (calendar applications send
     * no other) */
    if (!is_health(r) && !is_web(r) && r->route != R_FEED && guard_api(t, r, res, rl) != 0)
        return;
    if (query_parse(&r->q, req->query, req->query_len) != 0) {
        api_error(res, 400, "Malformed query string", NULL);
        return;
    }
    handlers[r->route](t, r, res);
}

size_t api_body_limit(void *ctx, const http_request *req)
{
    http_route_match m;

    (void)ctx;
    if (http_route_find(routes, NROUTES, req->method, req->path, req->path_len, &m) != 200)
        return 0;
    return m.route->max_body;
}

/* What every answer gets once its route has written it. */
static void request_end(api_thread *t, api_request *r, http_response *res, const rl_result *rl,
                        const struct timespec *t0, trace_span *span)
{
    const http_request *req = r->http;
    double ms;

    if (rl->limit)
        add_limit_headers(res, rl);
    add_cors(t->app, req, res);
    common_headers(r, res);
    trace_request_end(t, span, r->route, req, res);
    query_free(&r->q);
    arena_reset(&t->mem);
    metrics_gauge_add(M_IN_FLIGHT, -1);
    ms = elapsed_ms(t0);
    metrics_request(r->route, req->method, res->status, ms / 1000.0);
    log_request(t, r, req, res->status, res->no_body ? 0 : http_response_body_len(res), ms);
}

/* A request that waits: parked on its connection, its route run again as
 * a task (wait.c), which answers it. */
typedef struct api_job {
    api_thread *t;
    http_parked *parked;
    int whole; /* the guards too, not only the route */
    api_request r;
    rl_result rl;
    struct timespec t0;
    trace_span span; /* the server span, current while the task runs */
} api_job;

static void job_main(void *arg)
{
    api_job *j = arg;
    api_thread *t = j->t;
    http_response *res = http_parked_response(j->parked);
    trace_span *outer = trace_current_set(&j->span);

    if (j->whole)
        route_request(t, &j->r, res, &j->rl);
    else
        handlers[j->r.route](t, &j->r, res);
    request_end(t, &j->r, res, &j->rl, &j->t0, &j->span);
    trace_current_set(outer);
    http_resume(j->parked);
    free(j);
}

/* The route asked to wait: its answer so far is dropped (it changed
 * nothing) and it runs again as a task. 0, or -1 to answer at once. */
static int job_start(api_thread *t, const http_request *req, api_request *r, const rl_result *rl,
                     const struct timespec *t0, const trace_span *span)
{
    api_job *j = calloc(1, sizeof(*j));

    int whole = t->want_task == WANT_REQUEST;

    t->want_task = 0;
    if (!j || !(j->parked = http_park(req))) {
        free(j);
        return -1;
    }
    *j = (api_job){t, j->parked, whole, *r, *rl, *t0, *span};
    j->r.http = http_parked_request(j->parked);
    memset(&r->q, 0, sizeof(r->q)); /* the job's now */
    arena_reset(&t->mem);
    if (api_task_run(t, job_main, j) != 0) {
        http_response *res = http_parked_response(j->parked);
        api_unavailable(res);
        request_end(t, &j->r, res, &j->rl, &j->t0, &j->span);
        http_resume(j->parked);
        free(j);
    }
    return 0;
}

void api_handle(void *ctx, const http_request *req, http_response *res)
{
    api_thread *t = ctx;
    api_request r;
    rl_result rl = {0};
    struct timespec t0;
    trace_span span, *outer = trace_request_begin(&span, req);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    metrics_gauge_add(M_IN_FLIGHT, 1);
    memset(&r, 0, sizeof(r));
    r.http = req;
    r.route = -1;
    r.now = (int64_t)time(NULL) / NOW_STEP * NOW_STEP;
    assign_request_id(t, req, r.request_id);
    resolve_client(t, &r);
    route_request(t, &r, res, &rl);
    if (t->want_task && job_start(t, req, &r, &rl, &t0, &span) == 0) {
        trace_current_set(outer); /* the span is the task's now */
        return;
    }
    request_end(t, &r, res, &rl, &t0, &span);
    trace_current_set(outer);
}

void api_handle_error(void *ctx, int status, const http_request *req, http_response *res)
{
    api_thread *t = ctx;
    api_request r;
    const char *msg;
    trace_span span, *outer = trace_request_begin(&span, req);

    memset(&r, 0, sizeof(r));
    r.route = -1;
    assign_request_id(t, req, r.request_id);
    switch (status) {
    case 408:
        msg = "Request timeout";
        break;
    case 413:
        /* req is there when the head was parsed: say which rule refused it */
        msg = req && !api_body_limit(t, req) ? "This request takes no body"
                                             : "Request body too large";
        break;
    case 414:
        msg = "Request line too long";
        break;
    case 417:
        msg = "Expectation failed";
        break;
    case 431:
        msg = "Request headers too large";
        break;
    case 501:
        msg = "Transfer-Encoding not implemented";
        break;
    case 505:
        msg = "HTTP version not supported";
        break;
    case 503:
        msg = "Too many request bodies in progress";
        break;
    default:
        msg = "Bad request";
        break;
    }
    api_error(res, status, msg, NULL);
    if (status == 503)
        http_response_header(res, "Retry-After", "1");
    common_headers(&r, res);
    trace_request_end(t, &span, -1, req, res);
    trace_current_set(outer);
    metrics_request(-1, HTTP_OTHER, status, 0);
    log_request(t, &r, req, status, http_response_body_len(res), 0);
}

void *api_metrics_thread_new(void *unused, http_loop *loop, int index)
{
    buf *b = malloc(sizeof(*b));

    (void)unused;
    (void)loop;
    (void)index;
    if (b)
        buf_init(b, (size_t)16 << 20);
    return b;
}

void api_metrics_thread_free(void *ctx)
{
    if (ctx)
        buf_free(ctx);
    free(ctx);
}

void api_handle_metrics(void *ctx, const http_request *req, http_response *res)
{
    buf *b = ctx;

    if (!b) {
        api_error(res, 500, "Internal server error", NULL);
        return;
    }
    if (req->path_len != 8 || memcmp(req->path, "/metrics", 8)) {
        api_error(res, 404, "Not found", NULL);
        return;
    }
    if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
        api_error(res, 405, "Method not allowed", NULL);
        http_response_header(res, "Allow", "GET, HEAD");
        return;
    }
    buf_reset(b);
    metrics_render(b);
    res->status = 200;
    http_response_header(res, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    http_response_header(res, "Cache-Control", "no-store");
    http_response_clear_body(res);
    buf_append(&res->body, b->data, b->len);
}

/* ---- lifecycle ---- */

/* With auth on, an answer is for whoever presented the credentials: no
 * shared cache may keep it (a revoked key would go on being served), and a
 * client's own cache asks again each time, cheaply, with the ETag. */
static void app_cache_headers(api_app *app)
{
    if (app->cfg->auth != AUTH_NONE) {
        snprintf(app->cache_control, sizeof(app->cache_control), "private, no-cache");
        snprintf(app->vary, sizeof(app->vary), "Accept-Encoding, Origin, Authorization, X-API-Key");
        return;
    }
    snprintf(app->cache_control, sizeof(app->cache_control), "public, max-age=%d",
             app->cfg->cache_ttl);
    snprintf(app->vary, sizeof(app->vary), "Accept-Encoding, Origin");
}

#define FLUSH_EVERY 8 /* polls between writes of keys' last-used times */

/* On the read model's poller thread, with its connection, after each read
 * of the generation: the key set, reloaded as soon as a key is created or
 * revoked anywhere (with AUTH_MODE=none too: the API's writes need an
 * identity), and the keys' last-used times, written now and then and at
 * the end. */
static void app_poll(void *arg, store *st, int last)
{
    api_app *app = arg;
    int64_t version;

    if (last) {
        auth_flush_last_used(app->auth, st);
        return;
    }
    if (store_keys_version(st, &version) == STORE_OK && version != app->keys_version &&
        auth_load_keys(app->auth, st) == 0)
        app->keys_version = version;
    if (++app->polls % FLUSH_EVERY == 0)
        auth_flush_last_used(app->auth, st);
}

api_app *api_app_new(const config *cfg, char *err, size_t errlen)
{
    api_app *app = calloc(1, sizeof(*app));

    if (!app) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    app->cfg = cfg;
    app_cache_headers(app);
    for (char url[4096];
         app->nreplicas < REPLICAS_MAX &&
         config_list_item(cfg->database_replica_url, app->nreplicas, url, sizeof(url)) == 0;
         app->nreplicas++)
        if (!(app->replica_urls[app->nreplicas] = strdup(url))) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    if (parse_origins(app, cfg->cors_origins) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (cidr_list_parse(&app->blocklist, cfg->blocklist) != 0 ||
        cidr_list_parse(&app->trusted_proxies, cfg->trusted_proxies) != 0) {
        snprintf(err, errlen, "invalid BLOCKLIST or TRUSTED_PROXIES");
        goto fail;
    }
    if (!(app->limits = ratelimit_new()) || !(app->auth = auth_new(cfg, err, errlen))) {
        if (!app->limits)
            snprintf(err, errlen, "out of memory");
        goto fail;
    }
    metrics_set_routes(route_names, R_ROUTE_COUNT);
    app->keys_version = -1;
    if (!(app->reads = read_model_new(cfg, app_poll, app, err, errlen)))
        goto fail;
    return app;
fail:
    api_app_free(app);
    return NULL;
}

void api_app_free(api_app *app)
{
    if (!app)
        return;
    read_model_free(app->reads); /* its poller uses auth until it stops */
    auth_free(app->auth);
    ratelimit_free(app->limits);
    for (size_t i = 0; i < app->nreplicas; i++)
        free(app->replica_urls[i]);
    for (size_t i = 0; i < app->ncors; i++)
        free(app->cors_origins[i]);
    free(app->cors_origins);
    cidr_list_free(&app->blocklist);
    cidr_list_free(&app->trusted_proxies);
    free(app);
}

void *api_thread_new(void *appv, http_loop *loop, int index)
{
    api_app *app = appv;
    api_thread *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->app = app;
    t->loop = loop;
    t->index = index;
    arena_init(&t->mem, 64 * 1024);
    buf_init(&t->body, (size_t)32 << 20);
    buf_init(&t->alt, (size_t)32 << 20);
    buf_init(&t->log, (size_t)4 << 20);
    buf_init(&t->key, 4096);
    /* a body that is kept and sent many times is worth compressing harder
     * than one that is sent once (nginx's default level is 1) */
    t->gz = gzip_new(app->cfg->cache_mb > 0 || app->cfg->redis_url[0] ? 6 : 1);
    hash_random(&t->reqid_seed, sizeof(t->reqid_seed));
    api_wait_init(t);
    if (app->cfg->redis_url[0]) {
        char err[256];
        /* a short timeout: a slow Redis must not hold requests that the
         * database can answer */
        if (!(t->redis = redis_new(app->cfg->redis_url, 250, err, sizeof(err))))
            log_warn("REDIS_URL unusable", LF_S("error", err));
        else if (loop) /* on the loop: never waited for */
            api_wait_redis(t);
        else
            redis_set_nonblocking_reconnect(t->redis);
    }
    api_store_open(t);
    return t;
}

void api_thread_idle(void *ctx)
{
    api_thread *t = ctx;

    if (!t)
        return;
    if (t->log.len) {
        log_write_lines(t->log.data, t->log.len);
        buf_reset(&t->log);
    }
    api_wait_tick(t);
}

void api_thread_free(void *ctx)
{
    api_thread *t = ctx;

    if (!t)
        return;
    api_wait_fini(t);
    api_thread_idle(t);
    store_close(t->st);
    for (size_t i = 0; i < REPLICAS_MAX; i++)
        store_close(t->replicas[i]);
    redis_free(t->redis);
    arena_free(&t->mem);
    buf_free(&t->body);
    buf_free(&t->alt);
    buf_free(&t->log);
    buf_free(&t->key);
    gzip_free(t->gz);
    free(t);
}
