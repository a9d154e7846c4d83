/* api_internal.h — what the files of api/ share. Private to api/. */
#ifndef TVSHOWS_API_INTERNAL_H
#define TVSHOWS_API_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "api/api.h"
#include "model/model.h"
#include "schedule/read_model.h"
#include "store/store.h"
#include "store/store_read.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/cidr.h"
#include "util/gzip.h"
#include "util/json.h"
#include "util/task.h"

typedef struct redis redis;
typedef struct auth auth;
typedef struct ratelimit ratelimit;

enum {
    R_UP,
    R_READY,
    R_TVSHOWS,
    R_SHOWS,
    R_SHOW,
    R_SHOW_EPISODES,
    R_NETWORKS,
    R_COUNTRIES,
    R_OPENAPI,
    R_ANALYTICS,
    R_UPCOMING,
    R_SEARCH_SHOWS,
    R_LOOKUP_SHOWS,
    R_GENRES,
    R_CALENDAR,
    R_CHANGES,
    R_LISTS,
    R_LIST,
    R_LIST_FEED_TOKEN,
    R_LIST_SHOW,
    R_FEED,
    R_WEB,
    R_WEEK,
    R_ROUTE_COUNT
};

#define REPLICAS_MAX 8

struct api_app {
    const config *cfg;
    char *replica_urls[REPLICAS_MAX]; /* DATABASE_REPLICA_URL, split */
    size_t nreplicas;
    _Atomic int64_t db_connected_us; /* when a connection last (re)connected */
    /* the read side: the data generation, the schedule's days, the
     * response cache and its Redis level (schedule/read_model.h) */
    read_model *reads;
    /* the key set as the read model's poller last loaded it (its thread's
     * alone): -1 before the first load */
    int64_t keys_version;
    int polls;
    char cache_control[64];
    char vary[64]; /* of cacheable 200s, which are private when auth is on */
    char **cors_origins;
    size_t ncors;
    int cors_any;
    cidr_list blocklist;
    cidr_list trusted_proxies;
    auth *auth;
    ratelimit *limits; /* in process; Redis shares them when configured */
};

typedef struct api_task api_task;

/* A descriptor another server's client watches on the loop (wait.c). */
typedef struct api_watch {
    int fd; /* -1: a free slot */
    http_watch *w;
    task_ready_fn ready;
    void *arg;
} api_watch;

#define API_WATCHES (REPLICAS_MAX + 4)

typedef struct api_thread {
    api_app *app;
    http_loop *loop; /* the loop thread this context belongs to */
    int index;
    /* requests that wait (wait.c): what waits here (WAIT_*), the task
     * running now, finished tasks kept for reuse, those waiting */
    unsigned waits;
    int want_task; /* WANT_*: a wait met on the loop, the request goes on as a task */
    api_task *running;
    api_task *idle_tasks;
    size_t ntasks;
    task_loop dbloop;
    api_watch watches[API_WATCHES];
    store *st;
    int64_t st_retry_at; /* monotonic ms: when to try opening the store again */
    redis *redis;        /* the shared second-level cache (and limits); NULL without Redis */
    /* DATABASE_REPLICA_URL's replicas, for analytics, opened when first
     * needed; NULL while one is down (retried after replica_retry_at) */
    store *replicas[REPLICAS_MAX];
    int64_t replica_retry_at[REPLICAS_MAX];
    unsigned replica_next; /* where the next read starts: reads are spread */
    arena mem;             /* per request, reset after each */
    buf body;              /* JSON being rendered */
    buf alt;               /* the other encoding of body (gzip or inflated) */
    gzip_ctx *gz;
    buf log; /* access-log lines, written out when the loop idles */
    buf key; /* the cache key of the request */
    uint64_t reqid_seed;
    uint64_t reqid_seq;
} api_thread;

typedef struct api_request {
    const http_request *http;
    http_route_match match;
    int route;
    query q;
    char request_id[72];
    char client[48];
    uint8_t client_addr[16];
    /* the request's time, in NOW_STEP steps: what "next" and "from now"
     * mean in a response (part of the cache key of those that say it) */
    int64_t now;
    const char *content_type;  /* of a cacheable 200: NULL for JSON */
    const char *cache_control; /* of a cacheable 200: NULL for the API's */
} api_request;

#define NOW_STEP 300 /* seconds */

typedef void (*api_route_fn)(api_thread *t, api_request *r, http_response *res);

/* ---- responses (respond.c) ---- */

/* {"error": message[, "details": details]} with Cache-Control: no-store */
void api_error(http_response *res, int status, const char *message, const char *details);
/* The same with a message of n bytes that may hold any byte (echoed input). */
void api_error_n(http_response *res, int status, const char *message, size_t n);
/* Accept-Encoding takes gzip (RFC 9110 §12.5.3: unless its q is 0). */
int api_accepts_gzip(const http_request *req);
/* If-None-Match matches etag, or its "-gz" form (RFC 9110 §13.1.2, weak
 * comparison). */
int api_none_match(const http_request *req, const char *etag);
/* 503 {"error":"Service unavailable"} with Retry-After, for a database that is down */
void api_unavailable(http_response *res);
/* A failed store call: 503 when the database is down, 500 otherwise. */
void api_store_error(api_thread *t, http_response *res, int rc);
/* The body in t->body as a 200 JSON response, uncached (health, lists). */
void api_send_json(api_thread *t, http_response *res, int status, const char *cache_control);
/* Renders a 200 body into t->body; returns 0, or -1 after writing an error
 * response into res (errors are never cached). */
typedef int (*api_build_fn)(api_thread *t, api_request *r, http_response *res, void *ctx);
/* Serves a cacheable 200 for key: the read model's body for the current
 * data generation (kept, or built once with build and kept), with a strong
 * ETag, 304 on If-None-Match, gzip when the client takes it. */
void api_serve_cached(api_thread *t, api_request *r, http_response *res, const char *key,
                      size_t klen, api_build_fn build, void *ctx);
/* The store for this thread, opening it if needed; NULL when the database
 * is unreachable (the caller answers 503), or when the request must go on
 * as a task (api_must_wait: whatever the caller answers is dropped). */
store *api_store(api_thread *t);
/* The same without the task check: for the thread's start. */
store *api_store_open(api_thread *t);

/* What the running request has seen of the database; a task keeps its own
 * while it waits. */
typedef struct api_db_seen {
    int used, failed;
} api_db_seen;
void api_db_seen_swap(api_db_seen *other);

/* ---- requests that wait (wait.c) ----
 * A route runs on the loop until it is about to wait for another server
 * (PostgreSQL on its loop connection, Redis): it asks api_must_wait, which
 * on the loop says yes and marks the request; the route then returns at
 * once, having changed nothing, and the request is parked and runs again
 * from its start as a task (api.c), where the waits yield to the loop.
 * Cache hits and everything that needs no other server stay on the loop. */

enum { WAIT_DB = 1, WAIT_KV = 2 };
/* What runs again as a task: the route, or the whole request (its budgets
 * are counted in Redis) */
enum { WANT_ROUTE = 1, WANT_REQUEST = 2 };

/* Sets up the thread's waits (PostgreSQL on the loop when the database is
 * PostgreSQL) and the loop callbacks the database uses. */
void api_wait_init(api_thread *t);
/* Answers every request still waiting (the database fails them), then
 * frees the tasks. The loop has ended. */
void api_wait_fini(api_thread *t);
/* Puts the thread's Redis client on the loop: its commands never wait
 * there, and routes reach it from tasks (WAIT_KV). */
void api_wait_redis(api_thread *t);
/* The loop callbacks for a store opened on this thread (NULL: blocking). */
const task_loop *api_db_loop(api_thread *t);
/* 1 when the caller, on the loop, must stop before a wait of kind `what`
 * (the request is marked to go on as a task); 0 in a task, or when such
 * waits block (SQLite). */
int api_must_wait(api_thread *t, unsigned what);
/* Runs fn(arg) as a task with scratch of its own (t->mem, body, alt, key
 * and what it has seen of the database are its own while it runs): fn
 * ends its request itself. -1 when no task can be had (fn not run). */
int api_task_run(api_thread *t, void (*fn)(void *arg), void *arg);
/* After each turn of the loop: deadlines of the database connections. */
void api_wait_tick(api_thread *t);

/* ---- query parameters (params.c) ---- */

typedef enum { PARAM_OK = 0, PARAM_ABSENT = 1, PARAM_BAD = -1 } param_rc;

/* A text parameter: absent/empty -> PARAM_ABSENT; invalid UTF-8, control
 * characters or longer than max -> PARAM_BAD. */
param_rc api_param_text(const api_request *r, const char *key, size_t max, const char **v,
                        size_t *n);
param_rc api_param_int(const api_request *r, const char *key, int64_t min, int64_t max,
                       int64_t *out);
param_rc api_param_decimal(const api_request *r, const char *key, double min, double max,
                           double *out);
/* page and per_page: writes a 400 into res and returns -1 when invalid */
int api_pagination(const api_request *r, http_response *res, int64_t per_page_default,
                   int64_t *page, int64_t *per_page);
/* Appends "name=<len>:<value>;" to a cache key (length-prefixed: no value
 * can imitate another parameter). */
void api_key_add(buf *key, const char *name, const char *v, size_t n);
void api_key_add_int(buf *key, const char *name, int64_t v);
/* The request's time step, for responses that render show objects (their
 * next_episode) or start from now. */
void api_key_add_now(buf *key, const api_request *r);
/* 400 {"error":"Invalid parameter: key", "details": why} */
void api_bad_param(http_response *res, const char *key, const char *why);

/* ---- schedule queries (routes_schedule.c) ---- */

typedef struct schedule_request {
    sched_query q;
    int64_t page, per_page;
} schedule_request;

/* date_from and date_to into q->from/to, or the contract's 400 in res. */
int api_schedule_dates(api_request *r, http_response *res, sched_query *q);
/* Pagination, tz and every filter, or a 400 naming the parameter. */
int api_schedule_filters(api_request *r, http_response *res, schedule_request *s);
/* The canonical cache key of a parsed schedule query. */
void api_schedule_key(api_request *r, buf *key, const char *route, const schedule_request *s);
/* Renders the page of a schedule_request (ctx) as /api/v1/tvshows does. */
int api_build_schedule(api_thread *t, api_request *r, http_response *res, void *ctx);
/* A list's feed: its shows' episodes as iCalendar (ics) or JSON. */
void api_list_feed(api_thread *t, api_request *r, http_response *res, const store_list *l, int ics);

/* ---- reads shared by routes (respond.c) ---- */

/* Episodes ids[0..n) of a list into rows[i] (NULL where one is gone
 * since, or its show is), each with its show's card (store_show_cards()),
 * from st: the read model's memo of cards answers for the shows it holds. */
int api_list_episodes(api_thread *t, store *st, const int64_t *ids, size_t n, tv_episode **rows);
/* The episodes of a schedule page, into rows[i] in the page's order (NULL
 * where one is gone since), their shows' next episodes filled. */
int api_episodes_by_page(api_thread *t, const api_request *r, const sched_page *page,
                         tv_episode **rows);
/* Fills the next episode of each show (as of the request's time). */
int api_fill_next(api_thread *t, const api_request *r, tv_show *const *shows, size_t n);

/* ---- rendering (render.c) ---- */

void render_show(jw_writer *w, const tv_show *s, int detail);
/* With tz, the episode's local_date and local_time in that zone. */
void render_episode(jw_writer *w, const tv_episode *e, const tz_zone *tz);
/* "local_date" and "local_time": what the zone makes of an episode, its
 * published airdate and no time when none is announced (timed: instant). */
void render_local(jw_writer *w, const tv_episode *e, const tz_zone *tz, int timed, int64_t instant);
void render_pagination(jw_writer *w, int64_t page, int64_t per_page, int64_t total);
/* "data": the page's rows (episodes or shows), then "pagination". */
typedef enum { RENDER_EPISODES, RENDER_SHOWS } render_kind;
void render_list(jw_writer *w, const store_page *rows, render_kind kind, int64_t page,
                 int64_t per_page);

/* ---- routes ---- */

void route_up(api_thread *t, api_request *r, http_response *res);
void route_ready(api_thread *t, api_request *r, http_response *res);
void route_tvshows(api_thread *t, api_request *r, http_response *res);
void route_shows(api_thread *t, api_request *r, http_response *res);
void route_show(api_thread *t, api_request *r, http_response *res);
void route_show_episodes(api_thread *t, api_request *r, http_response *res);
void route_networks(api_thread *t, api_request *r, http_response *res);
void route_countries(api_thread *t, api_request *r, http_response *res);
void route_openapi(api_thread *t, api_request *r, http_response *res);
void route_analytics(api_thread *t, api_request *r, http_response *res);
void route_upcoming(api_thread *t, api_request *r, http_response *res);
void route_search_shows(api_thread *t, api_request *r, http_response *res);
void route_lookup_shows(api_thread *t, api_request *r, http_response *res);
void route_genres(api_thread *t, api_request *r, http_response *res);
void route_calendar(api_thread *t, api_request *r, http_response *res);
void route_changes(api_thread *t, api_request *r, http_response *res);
void route_lists(api_thread *t, api_request *r, http_response *res);
void route_list(api_thread *t, api_request *r, http_response *res);
void route_list_show(api_thread *t, api_request *r, http_response *res);
void route_feed(api_thread *t, api_request *r, http_response *res);
void route_week(api_thread *t, api_request *r, http_response *res);
void route_web(api_thread *t, api_request *r, http_response *res);

#endif
