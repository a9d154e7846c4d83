/* The queue in Redis: a stream with a consumer group.
 *
 * A job is a stream entry holding one JSON document
 *   {"type", "payload", "unique", "attempts", "error", "n"}
 * where attempts counts the deliveries before this entry. Workers read with
 * XREADGROUP; an entry stays pending until acknowledged, and XAUTOCLAIM hands
 * entries idle longer than the visibility timeout (a dead worker's) to
 * another worker. Retries wait in a sorted set scored by due time and are
 * moved back to the stream when due; dead jobs go to a list. Every change
 * that touches several keys is one Lua script, so it is atomic. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kv/redis.h"
#include "services/queue_backend.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"

#define STREAM        "tvshows:q:jobs"
#define GROUP         "workers"
#define DELAYED       "tvshows:q:delayed"
#define DEAD          "tvshows:q:dead"
#define ATTEMPTS      "tvshows:q:attempts"
#define UNIQUE_PREFIX "tvshows:q:unique:"
#define TICK_PREFIX   "tvshows:q:tick:"
#define UNIQUE_TTL    "86400"
#define SCAN_MAX      "10000"

typedef struct redis_queue {
    queue base;
    redis *r;
    int group_ok;
    char script_err[256]; /* the last script's error reply; "" when it ran */
} redis_queue;

/* KEYS: stream, delayed, unique ("" for none). ARGV: job, run_at, now */
static const char enqueue_lua[] =
    "if KEYS[3] ~= '' and not redis.call('SET', KEYS[3], '1', 'NX', 'EX', " UNIQUE_TTL ") then"
    " return 0 end "
    "if tonumber(ARGV[2]) > tonumber(ARGV[3]) then redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])"
    " else redis.call('XADD', KEYS[1], '*', 'job', ARGV[1]) end return 1";

/* KEYS: delayed, stream. ARGV: now */
static const char promote_lua[] =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100) "
    "for _, m in ipairs(due) do redis.call('ZREM', KEYS[1], m)"
    " redis.call('XADD', KEYS[2], '*', 'job', m) end return #due";

/* The holder check: the entry must still be pending for this consumer, or
 * a worker whose claim expired would settle the new holder's delivery. A
 * stream or group that is gone (Redis lost its data) holds nothing. */
#define HOLDER_CHECK                                                                               \
    "local p = redis.pcall('XPENDING', KEYS[1], '" GROUP "', ARGV[1], ARGV[1], 1, ARGV[2]) "       \
    "if p.err or #p == 0 then return 0 end "                                                       \
    "redis.call('XACK', KEYS[1], '" GROUP "', ARGV[1]) redis.call('XDEL', KEYS[1], ARGV[1]) "      \
    "redis.call('HDEL', KEYS[2], ARGV[1]) "

/* KEYS: stream, attempts, unique. ARGV: id, consumer */
static const char done_lua[] =
    HOLDER_CHECK "if KEYS[3] ~= '' then redis.call('DEL', KEYS[3]) end return 1";

/* KEYS: stream, attempts, delayed. ARGV: id, consumer, job, run_at */
static const char retry_lua[] =
    HOLDER_CHECK "redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3]) return 1";

/* KEYS: stream, attempts, dead, unique. ARGV: id, consumer, job */
static const char bury_lua[] =
    HOLDER_CHECK "redis.call('LPUSH', KEYS[3], ARGV[3]) "
                 "if KEYS[4] ~= '' then redis.call('DEL', KEYS[4]) end return 1";

/* KEYS: dead, stream. Requeues every dead job whose key is free. */
static const char retry_dead_lua[] =
    "local n = 0 local keep = {} "
    "while true do local m = redis.call('RPOP', KEYS[1]) if not m then break end "
    " local j = cjson.decode(m) j.attempts = 0 j.error = cjson.null "
    " local ok = true "
    " if j.unique and j.unique ~= '' then"
    "  ok = redis.call('SET', '" UNIQUE_PREFIX "' .. j.unique, '1', 'NX', 'EX', " UNIQUE_TTL ") end"
    " if ok then redis.call('XADD', KEYS[2], '*', 'job', cjson.encode(j)) n = n + 1"
    " else table.insert(keep, m) end end "
    "for _, m in ipairs(keep) do redis.call('LPUSH', KEYS[1], m) end return n";

static int eval(redis_queue *q, const char *script, int nkeys, const char **keys, int nargs,
                const char **args, long long *result)
{
    const char *argv[16];
    char nk[8];
    redisReply *rep;
    int argc = 0, rc = -1;

    q->script_err[0] = '\0';
    snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[argc++] = "EVAL";
    argv[argc++] = script;
    argv[argc++] = nk;
    for (int i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    if (!(rep = redis_command(q->r, argc, argv, NULL)))
        return -1;
    if (rep->type == REDIS_REPLY_INTEGER) {
        if (result)
            *result = rep->integer;
        rc = 0;
    } else if (rep->type == REDIS_REPLY_ERROR) {
        log_warn("redis script failed", LF_S("error", rep->str));
        snprintf(q->script_err, sizeof(q->script_err), "%s", rep->str);
    }
    freeReplyObject(rep);
    return rc;
}

static void ensure_group(redis_queue *q)
{
    redisReply *rep;

    if (q->group_ok)
        return;
    rep = redis_cmd(q->r, "XGROUP", "CREATE", STREAM, GROUP, "0", "MKSTREAM");
    /* BUSYGROUP: it exists already */
    if (rep && (rep->type != REDIS_REPLY_ERROR || strstr(rep->str, "BUSYGROUP")))
        q->group_ok = 1;
    if (rep)
        freeReplyObject(rep);
}

/* The job document of an entry, re-encoded with new attempts and error. */
static char *job_json(const char *type, const char *payload, const char *unique, int attempts,
                      const char *error)
{
    buf b;
    jw_writer w;
    uint64_t nonce;

    hash_random(&nonce, sizeof(nonce));
    buf_init(&b, (size_t)16 << 20);
    jw_begin(&w, &b);
    jw_obj_open(&w);
    jw_key(&w, "type");
    jw_str(&w, type);
    jw_key(&w, "payload");
    jw_raw(&w, payload, strlen(payload));
    jw_key(&w, "unique");
    jw_str(&w, unique);
    jw_key(&w, "attempts");
    jw_int(&w, attempts);
    jw_key(&w, "error");
    jw_str(&w, error);
    /* distinct members in the delayed set even for identical jobs */
    jw_key(&w, "n");
    jw_int(&w, (int64_t)(nonce >> 1));
    jw_obj_close(&w);
    if (jw_end(&w) != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

static const char *doc_str(const json_t *doc, const char *key, const char *fallback)
{
    const char *v = json_string_value(json_object_get(doc, key));

    return v ? v : fallback;
}

static void unique_key_of(const char *unique, char *out, size_t n)
{
    if (unique && *unique)
        snprintf(out, n, UNIQUE_PREFIX "%s", unique);
    else
        out[0] = '\0';
}

static int rq_enqueue(queue *qb, const char *type, const char *payload, const char *unique,
                      int64_t run_at_ms, int *enqueued)
{
    redis_queue *q = (redis_queue *)qb;
    char ukey[200], run_at[24], now[24];
    char *job = job_json(type, payload, unique ? unique : "", 0, NULL);
    const char *keys[3] = {STREAM, DELAYED, ukey}, *args[3] = {job, run_at, now};
    long long res = 0;
    int rc;

    if (!job)
        return -1;
    unique_key_of(unique, ukey, sizeof(ukey));
    snprintf(run_at, sizeof(run_at), "%lld", (long long)run_at_ms);
    snprintf(now, sizeof(now), "%lld", (long long)clock_now_ms());
    rc = eval(q, enqueue_lua, 3, keys, 3, args, &res);
    *enqueued = res == 1;
    free(job);
    return rc;
}

/* Fills out from a stream entry [id, [field, value…]]. */
static int take_entry(redis_queue *q, const redisReply *e, queue_job *out)
{
    const redisReply *fields;
    json_t *doc = NULL, *payload;
    json_error_t jerr;
    redisReply *rep;
    size_t n;
    int rc = -1;

    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
        e->element[0]->type != REDIS_REPLY_STRING)
        return -1;
    fields = e->element[1];
    snprintf(out->id, sizeof(out->id), "%s", e->element[0]->str);
    for (size_t i = 0; fields->type == REDIS_REPLY_ARRAY && i + 1 < fields->elements; i += 2)
        if (!strcmp(fields->element[i]->str, "job"))
            doc = json_loadb(fields->element[i + 1]->str, fields->element[i + 1]->len, 0, &jerr);
    if (!doc || !json_is_object(doc))
        goto done;
    snprintf(out->type, sizeof(out->type), "%s", doc_str(doc, "type", ""));
    snprintf(out->unique_key, sizeof(out->unique_key), "%s", doc_str(doc, "unique", ""));
    payload = json_object_get(doc, "payload");
    n = json_dumpb(payload, NULL, 0, JSON_COMPACT);
    if (!n || !(out->payload = calloc(1, n + 1)))
        goto done;
    json_dumpb(payload, out->payload, n, JSON_COMPACT);
    /* deliveries of this entry, plus those of the entries it came from */
    rep = redis_cmd(q->r, "HINCRBY", ATTEMPTS, out->id, "1");
    if (!rep)
        goto done;
    out->attempts = (int)json_integer_value(json_object_get(doc, "attempts")) +
                    (rep->type == REDIS_REPLY_INTEGER ? (int)rep->integer : 1);
    freeReplyObject(rep);
    rc = 1;
done:
    json_decref(doc);
    if (rc != 1) {
        free(out->payload);
        out->payload = NULL;
    }
    return rc;
}

static int rq_claim(queue *qb, queue_job *out, int wait_ms)
{
    redis_queue *q = (redis_queue *)qb;
    char vis[24], block[24], now[24];
    const char *keys[2] = {DELAYED, STREAM}, *args[1] = {now};
    redisReply *rep;
    int rc = 0;

    ensure_group(q);
    snprintf(now, sizeof(now), "%lld", (long long)clock_now_ms());
    if (eval(q, promote_lua, 2, keys, 1, args, NULL) != 0)
        return -1;
    /* first, entries a dead worker left behind */
    snprintf(vis, sizeof(vis), "%lld", (long long)qb->visibility_ms);
    rep = redis_cmd(q->r, "XAUTOCLAIM", STREAM, GROUP, qb->worker, vis, "0-0", "COUNT", "1");
    if (!rep)
        return -1;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 &&
        rep->element[1]->type == REDIS_REPLY_ARRAY && rep->element[1]->elements > 0)
        rc = take_entry(q, rep->element[1]->element[0], out);
    else if (rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "NOGROUP"))
        q->group_ok = 0; /* Redis lost its data (a restart without persistence) */
    freeReplyObject(rep);
    if (rc)
        return rc;
    snprintf(block, sizeof(block), "%d", wait_ms);
    {
        const char *argv[] = {"XREADGROUP", "GROUP", GROUP,     qb->worker, "COUNT", "1",
                              "BLOCK",      block,   "STREAMS", STREAM,     ">"};
        rep = redis_command_wait(q->r, wait_ms, 11, argv, NULL);
    }
    if (!rep)
        return -1;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 && rep->element[0]->elements >= 2 &&
        rep->element[0]->element[1]->elements > 0)
        rc = take_entry(q, rep->element[0]->element[1]->element[0], out);
    else if (rep->type == REDIS_REPLY_ERROR)
        q->group_ok = 0, rc = -1;
    freeReplyObject(rep);
    return rc;
}

static int rq_done(queue *qb, queue_job *j)
{
    redis_queue *q = (redis_queue *)qb;
    char ukey[200];
    const char *keys[3] = {STREAM, ATTEMPTS, ukey}, *args[2] = {j->id, qb->worker};

    unique_key_of(j->unique_key, ukey, sizeof(ukey));
    return eval(q, done_lua, 3, keys, 2, args, NULL);
}

static int rq_retry(queue *qb, queue_job *j, int64_t run_at_ms, const char *error, int count)
{
    redis_queue *q = (redis_queue *)qb;
    char run_at[24];
    char *job = job_json(j->type, j->payload, j->unique_key, j->attempts - (count ? 0 : 1), error);
    const char *keys[3] = {STREAM, ATTEMPTS, DELAYED}, *args[4] = {j->id, qb->worker, job, run_at};
    int rc;

    if (!job)
        return -1;
    snprintf(run_at, sizeof(run_at), "%lld", (long long)run_at_ms);
    rc = eval(q, retry_lua, 3, keys, 4, args, NULL);
    free(job);
    return rc;
}

static int rq_bury(queue *qb, queue_job *j, const char *error)
{
    redis_queue *q = (redis_queue *)qb;
    char ukey[200];
    char *job = job_json(j->type, j->payload, j->unique_key, j->attempts, error);
    const char *keys[4] = {STREAM, ATTEMPTS, DEAD, ukey}, *args[3] = {j->id, qb->worker, job};
    int rc;

    if (!job)
        return -1;
    unique_key_of(j->unique_key, ukey, sizeof(ukey));
    rc = eval(q, bury_lua, 4, keys, 3, args, NULL);
    free(job);
    return rc;
}

static int rq_touch(queue *qb, queue_job *j)
{
    redis_queue *q = (redis_queue *)qb;
    redisReply *rep = redis_cmd(q->r, "XCLAIM", STREAM, GROUP, j->holder, "0", j->id, "JUSTID");

    if (!rep)
        return -1;
    freeReplyObject(rep);
    return 0;
}

/* Calls fn for each job document in a reply of entries or of raw documents. */
typedef void (*doc_fn)(void *ud, const char *id, json_t *doc, const char *state);

static void each_doc(const char *id, const char *text, size_t len, const char *state, doc_fn fn,
                     void *ud)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);

    if (doc)
        fn(ud, id, doc, state);
    json_decref(doc);
}

/* Walks every job: the stream (running when pending), retries, dead. */
static int walk(redis_queue *q, doc_fn fn, void *ud)
{
    redisReply *pending, *entries, *delayed, *dead;
    int rc = -1;

    ensure_group(q);
    pending = redis_cmd(q->r, "XPENDING", STREAM, GROUP, "-", "+", SCAN_MAX);
    entries = redis_cmd(q->r, "XRANGE", STREAM, "-", "+", "COUNT", SCAN_MAX);
    delayed = redis_cmd(q->r, "ZRANGE", DELAYED, "0", "-1");
    dead = redis_cmd(q->r, "LRANGE", DEAD, "0", "-1");
    if (!pending || !entries || !delayed || !dead)
        goto done;
    for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++) {
        const redisReply *e = entries->element[i], *f = e->element[1];
        const char *state = "queued";
        for (size_t k = 0; pending->type == REDIS_REPLY_ARRAY && k < pending->elements; k++)
            if (!strcmp(pending->element[k]->element[0]->str, e->element[0]->str))
                state = "running";
        if (f->type == REDIS_REPLY_ARRAY && f->elements >= 2)
            each_doc(e->element[0]->str, f->element[1]->str, f->element[1]->len, state, fn, ud);
    }
    for (size_t i = 0; delayed->type == REDIS_REPLY_ARRAY && i < delayed->elements; i++)
        each_doc("delayed", delayed->element[i]->str, delayed->element[i]->len, "queued", fn, ud);
    for (size_t i = 0; dead->type == REDIS_REPLY_ARRAY && i < dead->elements; i++)
        each_doc("dead", dead->element[i]->str, dead->element[i]->len, "dead", fn, ud);
    rc = 0;
done:
    if (pending)
        freeReplyObject(pending);
    if (entries)
        freeReplyObject(entries);
    if (delayed)
        freeReplyObject(delayed);
    if (dead)
        freeReplyObject(dead);
    return rc;
}

static void count_doc(void *ud, const char *id, json_t *doc, const char *state)
{
    (void)id;
    queue_stats_add(ud, doc_str(doc, "type", "?"), state,
                    json_integer_value(json_object_get(doc, "attempts")) > 0, 1);
}

static int rq_stats(queue *qb, queue_stats *out)
{
    return walk((redis_queue *)qb, count_doc, out);
}

static void list_doc(void *ud, const char *id, json_t *doc, const char *state)
{
    const char *err = json_string_value(json_object_get(doc, "error"));
    const char *u = json_string_value(json_object_get(doc, "unique"));

    buf_printf(ud, "%s\t%s\t%s\t%lld\t%s\t%s\n", id, doc_str(doc, "type", "?"), state,
               (long long)json_integer_value(json_object_get(doc, "attempts")), u && *u ? u : "-",
               err ? err : "");
}

static int rq_list(queue *qb, buf *out, int limit)
{
    (void)limit;
    return walk((redis_queue *)qb, list_doc, out);
}

static int rq_retry_dead(queue *qb, int64_t *count)
{
    const char *keys[2] = {DEAD, STREAM};
    long long n = 0;
    int rc = eval((redis_queue *)qb, retry_dead_lua, 2, keys, 0, NULL, &n);

    *count = n;
    return rc;
}

static int rq_claim_tick(queue *qb, int64_t tick, int *won)
{
    redis_queue *q = (redis_queue *)qb;
    char key[64];
    redisReply *rep;

    snprintf(key, sizeof(key), TICK_PREFIX "%lld", (long long)tick);
    if (!(rep = redis_cmd(q->r, "SET", key, qb->worker, "NX", "EX", "172800")))
        return -1;
    *won = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    return 0;
}

static const char *rq_errmsg(queue *qb)
{
    redis_queue *q = (redis_queue *)qb;

    return q->script_err[0] ? q->script_err : redis_errmsg(q->r);
}

static void rq_close(queue *qb)
{
    redis_queue *q = (redis_queue *)qb;

    redis_free(q->r);
    free(q);
}

static const queue_ops redis_ops = {
    .close = rq_close,
    .errmsg = rq_errmsg,
    .enqueue = rq_enqueue,
    .claim = rq_claim,
    .done = rq_done,
    .retry = rq_retry,
    .bury = rq_bury,
    .touch = rq_touch,
    .stats = rq_stats,
    .list = rq_list,
    .retry_dead = rq_retry_dead,
    .claim_tick = rq_claim_tick,
};

queue *queue_redis_open(const config *cfg, char *err, size_t errlen)
{
    redis_queue *q = calloc(1, sizeof(*q));

    if (!q) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!(q->r = redis_new(cfg->redis_url, 2000, err, errlen))) {
        free(q);
        return NULL;
    }
    q->base.ops = &redis_ops;
    q->base.backend = "redis";
    return &q->base;
}
