/* GET /up, GET /ready, GET /api/v1/openapi.json */
#include <string.h>

#include "api/api_internal.h"
#include "kv/redis.h"
#include "services/demo.h"

extern const char tvshows_openapi_json[];
extern const size_t tvshows_openapi_json_len;

void route_up(api_thread *t, api_request *r, http_response *res)
{
    (void)r;
    buf_reset(&t->body);
    buf_puts(&t->body, "{\"status\":\"ok\"}");
    api_send_json(t, res, 200, "no-store");
}

/* 1 when Redis answers PING, -1 when it does not, 0 when not configured. */
static int redis_state(api_thread *t)
{
    redisReply *rep;
    int ok;

    if (!t->redis)
        return 0;
    rep = redis_cmd(t->redis, "PING");
    ok = rep && rep->type == REDIS_REPLY_STATUS;
    if (rep)
        freeReplyObject(rep);
    return ok ? 1 : -1;
}

/* Readiness: the database answers, and Redis when it is configured (the
 * load balancer checks /up; /ready tells operators which part is down). */
void route_ready(api_thread *t, api_request *r, http_response *res)
{
    store *st;
    int db_ok, rs;
    const char *redis_text;
    int32_t demo_from;
    jw_writer w;

    (void)r;
    if (api_must_wait(t, WAIT_DB | WAIT_KV))
        return; /* asks both servers: from a task */
    st = api_store(t);
    db_ok = st && store_ping(st) == STORE_OK;
    rs = redis_state(t);
    redis_text = rs > 0 ? "ok" : rs < 0 ? "down" : "disabled";
    buf_reset(&t->body);
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "status");
    jw_str(&w, db_ok && rs >= 0 ? "ok" : "unavailable");
    jw_key(&w, "database");
    jw_str(&w, db_ok ? "ok" : "down");
    jw_key(&w, "redis");
    jw_str(&w, redis_text);
    /* sample data must not pass for a schedule (services/demo.h) */
    if (db_ok && demo_loaded(st, &demo_from) > 0) {
        jw_key(&w, "data");
        jw_str(&w, "demo");
    }
    jw_obj_close(&w);
    api_send_json(t, res, db_ok && rs >= 0 ? 200 : 503, "no-store");
}

static int build_openapi(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    (void)r;
    (void)res;
    (void)ctx;
    return buf_append(&t->body, tvshows_openapi_json, tvshows_openapi_json_len);
}

void route_openapi(api_thread *t, api_request *r, http_response *res)
{
    api_serve_cached(t, r, res, "openapi;", 8, build_openapi, NULL);
}
