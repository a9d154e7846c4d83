/* PostgreSQL on an event loop (db.h's task_loop): the API's connections.
 *
 * One connection per loop thread, non-blocking, in pipeline mode: a task's
 * statement is sent at once, with a sync point of its own (an error aborts
 * that statement only), and the task waits; the loop reads the results as
 * they arrive, in the order the statements were sent, and hands each to
 * its task. So the statements of every request a loop has in flight are on
 * the wire together, and the loop never waits for the server.
 *
 * Connecting happens in the background too (PQconnectStartParams and
 * PQconnectPoll; only libpq's lookup of a host name blocks, once per
 * connect, and a hostaddr in the URL avoids even that). A lost connection
 * fails every statement in flight with DB_DOWN (their requests answer 503,
 * or retry once on a new connection when nothing of theirs was in a
 * transaction); the next statement reconnects, at once after a drop, then
 * at most once a second.
 *
 * While one task is in a transaction (a list's writes), the statements of
 * the others wait for it to end, so none of theirs runs inside it.
 *
 * Tasks are resumed only from the loop (the ready callback, db_tick), never
 * from inside another task: a task that finds the connection lost hands
 * the others' wake-ups to the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_driver.h"
#include "store/db_pg_internal.h"
#include "util/metrics.h"
#include "util/url.h"

#define CONNECT_TIMEOUT_US    3000000
#define RECONNECT_INTERVAL_US 1000000

enum { PA_DOWN, PA_CONNECTING, PA_UP };

/* A task waiting: for its statement's result (on the sent list), or for
 * the connection or another's transaction (on the blocked list). Lives on
 * the task's stack. */
typedef struct pa_wait {
    void *token;
    PGresult *res; /* the statement's result, once in */
    int rc;
    int done;
    int prepared;     /* its statement was PREPAREd with it */
    int name_unknown; /* failed for want of a PREPARE that failed */
    char err[sizeof(((db *)0)->err)];
    struct pa_wait *next;
} pa_wait;

typedef struct pa_db {
    db base;
    char *url;
    task_loop loop;
    PGconn *conn;
    int state;
    int fd; /* watched; -1: none */
    unsigned want;
    int64_t connect_deadline_us;
    int64_t last_attempt_us;
    int retry_now; /* after a drop: the next statement reconnects at once */
    int connected_once;
    db_stmt_cache cache;
    int next_name;
    pa_wait *head, *tail; /* sent, results due in this order */
    pa_wait *blocked;     /* waiting for the connection or a transaction's end */
    pa_wait *ready;       /* done, to be resumed from the loop */
    void *tx_owner;       /* the task in a transaction, if any */
} pa_db;

static void pa_on_ready(void *arg, unsigned ready);

static void pa_set_err(pa_db *d, const char *what)
{
    const char *msg = d->conn ? PQerrorMessage(d->conn) : "out of memory";

    snprintf(d->base.err, sizeof(d->base.err), "%s%s%s", what ? what : "", what ? ": " : "", msg);
    db_pg_one_line(d->base.err);
    url_scrub(d->base.err, sizeof(d->base.err), d->url);
}

static void pa_watch(pa_db *d, int fd, unsigned want)
{
    if (fd != d->fd && d->fd >= 0) {
        d->loop.watch(d->loop.ud, d->fd, 0, pa_on_ready, d);
        d->want = 0;
    }
    d->fd = fd;
    if (fd >= 0 && want != d->want && d->loop.watch(d->loop.ud, fd, want, pa_on_ready, d) == 0)
        d->want = want;
}

/* w is done: resumed by the loop (pa_drain), never from inside a task. */
static void pa_finish(pa_db *d, pa_wait *w)
{
    w->done = 1;
    w->next = d->ready;
    d->ready = w;
}

static void pa_drain(pa_db *d)
{
    if (d->loop.current(d->loop.ud)) {
        if (d->ready) /* the loop takes them up on its next turn */
            d->loop.wake_at(d->loop.ud, 1);
        return;
    }
    while (d->ready) {
        pa_wait *w = d->ready;
        d->ready = w->next;
        d->loop.resume(d->loop.ud, w->token); /* w may be gone after this */
    }
}

static void pa_wake_blocked(pa_db *d)
{
    while (d->blocked) {
        pa_wait *w = d->blocked;
        d->blocked = w->next;
        pa_finish(d, w);
    }
}

static void pa_free_name(void *handle, void *ud)
{
    (void)ud;
    free(handle);
}

/* The connection is gone: every statement in flight fails, every waiter
 * is told, and the next statement reconnects at once. */
static void pa_lost(pa_db *d, const char *what)
{
    pa_set_err(d, what);
    pa_watch(d, -1, 0);
    PQfinish(d->conn);
    d->conn = NULL;
    d->state = PA_DOWN;
    d->retry_now = 1;
    d->tx_owner = NULL;
    db_cache_clear(&d->cache, pa_free_name, NULL);
    metrics_inc(M_DB_ERRORS);
    while (d->head) {
        pa_wait *w = d->head;
        d->head = w->next;
        if (w->res)
            PQclear(w->res);
        w->res = NULL;
        w->rc = DB_DOWN;
        snprintf(w->err, sizeof(w->err), "%s", d->base.err);
        pa_finish(d, w);
    }
    d->tail = NULL;
    pa_wake_blocked(d);
}

static void pa_connect_failed(pa_db *d, const char *what)
{
    pa_set_err(d, what);
    pa_watch(d, -1, 0);
    PQfinish(d->conn);
    d->conn = NULL;
    d->state = PA_DOWN;
    metrics_inc(M_DB_CONNECT_FAILURES);
    pa_wake_blocked(d);
}

static void pa_connect_start(pa_db *d)
{
    db_pg_conn p;

    d->last_attempt_us = db_now_us();
    d->retry_now = 0;
    db_pg_conn_params(d->url, &d->base.opt, &p);
    d->conn = PQconnectStartParams(p.keys, p.vals, 1);
    if (!d->conn || PQstatus(d->conn) == CONNECTION_BAD || PQsetnonblocking(d->conn, 1) != 0) {
        pa_connect_failed(d, "connect");
        return;
    }
    PQsetNoticeProcessor(d->conn, db_pg_quiet, NULL);
    d->state = PA_CONNECTING;
    d->connect_deadline_us = d->last_attempt_us + CONNECT_TIMEOUT_US;
    d->loop.wake_at(d->loop.ud, d->connect_deadline_us / 1000 + 1);
    /* libpq's rule: first wait until the socket takes writes */
    pa_watch(d, PQsocket(d->conn), TASK_WANT_WRITE);
}

static void pa_connected(pa_db *d)
{
    if (!PQenterPipelineMode(d->conn)) {
        pa_connect_failed(d, "pipeline mode");
        return;
    }
    d->state = PA_UP;
    if (d->connected_once++) {
        d->base.reconnects++;
        metrics_inc(M_DB_RECONNECTS);
    }
    if (d->base.opt.last_connect_us)
        *d->base.opt.last_connect_us = db_now_us();
    pa_watch(d, PQsocket(d->conn), TASK_WANT_READ);
    pa_wake_blocked(d);
}

static void pa_connect_poll(pa_db *d)
{
    switch (PQconnectPoll(d->conn)) {
    case PGRES_POLLING_READING:
        pa_watch(d, PQsocket(d->conn), TASK_WANT_READ);
        break;
    case PGRES_POLLING_WRITING:
        pa_watch(d, PQsocket(d->conn), TASK_WANT_WRITE);
        break;
    case PGRES_POLLING_OK:
        pa_connected(d);
        break;
    default:
        pa_connect_failed(d, "connect");
        break;
    }
}

/* Whether a reconnect may be tried now: at once after a drop or when
 * another connection of the process got through since, else once a
 * second. */
static int pa_may_retry(pa_db *d)
{
    if (d->retry_now)
        return 1;
    if (d->base.opt.last_connect_us && *d->base.opt.last_connect_us > d->last_attempt_us)
        return 1;
    return db_now_us() - d->last_attempt_us >= RECONNECT_INTERVAL_US;
}

static void pa_block(pa_db *d, pa_wait *w)
{
    w->done = 0;
    w->next = d->blocked;
    d->blocked = w;
    while (!w->done)
        d->loop.suspend(d->loop.ud);
}

/* Waits until the connection is up and no other task is in a transaction;
 * DB_DOWN when it cannot be had now. */
static int pa_ready_for(pa_db *d, pa_wait *w)
{
    for (;;) {
        if (d->state == PA_UP && (!d->tx_owner || d->tx_owner == w->token))
            return DB_OK;
        if (d->state == PA_DOWN) {
            if (!pa_may_retry(d)) {
                snprintf(d->base.err, sizeof(d->base.err), "database unavailable");
                return DB_DOWN;
            }
            pa_connect_start(d);
            if (d->state == PA_DOWN)
                return DB_DOWN;
        }
        pa_block(d, w);
        if (d->state == PA_DOWN)
            return DB_DOWN; /* the attempt waited for failed */
    }
}

/* Sends one statement with its sync point: prepared once per connection
 * (when name_it), or as it is. DB_DOWN when the connection broke. */
static int pa_send(pa_db *d, pa_wait *w, const char *sql, int name_it, int n,
                   const char *const *vals, const int *lens, const int *formats)
{
    uint64_t hash;
    char *name = name_it ? db_cache_get(&d->cache, sql, &hash) : NULL;
    int ok;

    w->prepared = name_it && !name;
    if (name_it && !name) {
        if (!(name = malloc(16)))
            return DB_ERR;
        snprintf(name, 16, "a%d", d->next_name++);
        if (!PQsendPrepare(d->conn, name, sql, 0, NULL) ||
            db_cache_put(&d->cache, sql, hash, name) != 0) {
            free(name);
            pa_lost(d, "send");
            return DB_DOWN;
        }
    }
    if (name)
        ok = PQsendQueryPrepared(d->conn, name, n, vals, lens, formats, 0);
    else
        ok = PQsendQueryParams(d->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (!ok || !PQpipelineSync(d->conn)) {
        pa_lost(d, "send");
        return DB_DOWN;
    }
    return DB_OK;
}

/* Writes what libpq holds; watches for room when the socket is full. */
static void pa_flush(pa_db *d)
{
    int r = PQflush(d->conn);

    if (r < 0) {
        pa_lost(d, "send");
        return;
    }
    pa_watch(d, d->fd, TASK_WANT_READ | (r ? TASK_WANT_WRITE : 0));
}

/* Hands the results that are in to their statements, in order. */
static void pa_collect(pa_db *d)
{
    while (d->head && !PQisBusy(d->conn)) {
        PGresult *r = PQgetResult(d->conn);
        pa_wait *w = d->head;
        ExecStatusType st;

        if (!r)
            continue; /* the end of one statement's results */
        st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            d->head = w->next;
            if (!d->head)
                d->tail = NULL;
            pa_finish(d, w);
        } else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (w->res)
                PQclear(w->res); /* the PREPARE's, before its statement's */
            w->res = r;
        } else {
            if (w->rc == DB_OK) {
                const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
                w->rc = db_pg_result_error(r, w->err, sizeof(w->err));
                /* a statement sent while another's PREPARE of it was on
                 * the wire, which failed: it is sent again */
                w->name_unknown = state && !strcmp(state, "26000");
                metrics_inc(M_DB_ERRORS);
                /* a failed PREPARE leaves a name the server does not know:
                 * the next use prepares afresh */
                if (w->prepared)
                    db_cache_clear(&d->cache, pa_free_name, NULL);
            }
            PQclear(r);
        }
    }
}

static void pa_on_ready(void *arg, unsigned ready)
{
    pa_db *d = arg;

    if (d->state == PA_CONNECTING) {
        pa_connect_poll(d);
    } else if (d->state == PA_UP) {
        if (ready & TASK_WANT_WRITE)
            pa_flush(d);
        if (d->state == PA_UP && (ready & TASK_WANT_READ || !ready)) {
            if (!PQconsumeInput(d->conn))
                pa_lost(d, "receive");
            else
                pa_collect(d);
        }
        if (d->state == PA_UP && PQstatus(d->conn) != CONNECTION_OK)
            pa_lost(d, "connection");
    }
    pa_drain(d);
}

static void pa_tick(db *base)
{
    pa_db *d = (pa_db *)base;

    if (d->state == PA_CONNECTING && db_now_us() >= d->connect_deadline_us) {
        snprintf(d->base.err, sizeof(d->base.err), "connect: timeout");
        PQfinish(d->conn);
        d->conn = NULL;
        pa_watch(d, -1, 0);
        d->state = PA_DOWN;
        metrics_inc(M_DB_CONNECT_FAILURES);
        pa_wake_blocked(d);
    }
    pa_drain(d);
}

static void pa_abandon(db *base)
{
    pa_db *d = (pa_db *)base;

    if (d->state != PA_DOWN) {
        pa_lost(d, "closing");
        snprintf(d->base.err, sizeof(d->base.err), "closing");
    }
    d->retry_now = 0;
    d->last_attempt_us = INT64_MAX / 2; /* no reconnect from here on */
    pa_wake_blocked(d);
    pa_drain(d);
}

/* Queues w for its statement's result (sent just now) and waits for it;
 * w lives on the waiting task's stack, which stays put meanwhile. */
static void pa_await(pa_db *d, pa_wait *w)
{
    w->done = 0;
    w->next = NULL;
    if (d->tail)
        d->tail->next = w;
    else
        d->head = w;
    d->tail = w;
    pa_flush(d);
    while (!w->done)
        d->loop.suspend(d->loop.ud);
}

/* Runs one statement from the current task: sends it and waits for its
 * result. Once more on a new connection when the old one turns out dead
 * and no transaction of this task was open on it. */
static int pa_run(pa_db *d, const char *sql, int name_it, const db_val *p, int n, PGresult **out)
{
    const char *vals[PG_MAX_PARAMS];
    int lens[PG_MAX_PARAMS], formats[PG_MAX_PARAMS] = {0};
    char scratch[PG_PARAM_SCRATCH];
    int64_t t0 = db_now_us();

    *out = NULL;
    if (db_pg_params(p, n, vals, lens, formats, scratch, sizeof(scratch)) != 0) {
        snprintf(d->base.err, sizeof(d->base.err), "too many parameters");
        return DB_ERR;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        pa_wait w = {.token = d->loop.current(d->loop.ud)};
        int in_tx = d->tx_owner && d->tx_owner == w.token, rc;

        if (!w.token) {
            snprintf(d->base.err, sizeof(d->base.err), "a statement on the loop outside a task");
            return DB_ERR;
        }
        if ((rc = pa_ready_for(d, &w)) != DB_OK)
            return rc;
        if ((rc = pa_send(d, &w, sql, name_it, n, vals, lens, formats)) != DB_OK) {
            if (rc == DB_DOWN && !in_tx)
                continue;
            return rc;
        }
        pa_await(d, &w);
        if (w.rc == DB_OK) {
            db_note_duration(&d->base.opt, sql, t0);
            *out = w.res;
            return DB_OK;
        }
        snprintf(d->base.err, sizeof(d->base.err), "%s", w.err);
        if (w.res)
            PQclear(w.res);
        if (!in_tx && ((w.rc == DB_DOWN && d->retry_now) || w.name_unknown))
            continue;
        return w.rc;
    }
    return DB_DOWN;
}

static int pa_exec(db *base, const char *sql, const db_val *p, int n, int64_t *changes)
{
    PGresult *res;
    int rc = pa_run((pa_db *)base, sql, 1, p, n, &res);

    return rc != DB_OK ? rc : db_pg_changes(res, changes);
}

static int pa_query(db *base, const char *sql, const db_val *p, int n, db_rows **out)
{
    PGresult *res;
    int rc = pa_run((pa_db *)base, sql, 1, p, n, &res);

    return rc != DB_OK ? rc : db_pg_rows(res, out);
}

/* One statement as it is (BEGIN, COMMIT, ROLLBACK): the pipeline takes no
 * multi-statement scripts. A transaction's begin makes the task its
 * owner; its end lets the tasks waiting for it go on. */
static int pa_script(db *base, const char *sql)
{
    pa_db *d = (pa_db *)base;
    void *me = d->loop.current(d->loop.ud);
    int begin = !strcmp(sql, "BEGIN"), end = !strcmp(sql, "COMMIT") || !strcmp(sql, "ROLLBACK");
    PGresult *res;
    int rc;

    if (begin && me) {
        pa_wait w = {.token = me};
        if ((rc = pa_ready_for(d, &w)) != DB_OK)
            return rc;
        d->tx_owner = me;
    }
    rc = pa_run(d, sql, 0, NULL, 0, &res);
    if (rc == DB_OK)
        PQclear(res);
    if ((end || (begin && rc != DB_OK)) && d->tx_owner == me) {
        d->tx_owner = NULL;
        pa_wake_blocked(d);
        pa_drain(d);
    }
    return rc;
}

static int pa_begin_write(db *base)
{
    return pa_script(base, "BEGIN");
}

static int pa_ping(db *base)
{
    PGresult *res;
    int rc = pa_run((pa_db *)base, "SELECT 1", 1, NULL, 0, &res);

    if (rc == DB_OK)
        PQclear(res);
    return rc;
}

static int pa_upsert(db *base, const db_upsert_spec *spec, const db_val *rows, size_t nrows,
                     int64_t *changes, db_pair_fn fn, void *ud)
{
    (void)spec;
    (void)rows;
    (void)nrows;
    (void)changes;
    (void)fn;
    (void)ud;
    snprintf(base->err, sizeof(base->err), "bulk writes do not run on the loop");
    return DB_ERR;
}

/* Every task has been answered by now (the loop's owner fails its waiting
 * requests before closing). */
static void pa_close(db *base)
{
    pa_db *d = (pa_db *)base;

    pa_watch(d, -1, 0);
    db_cache_clear(&d->cache, pa_free_name, NULL);
    PQfinish(d->conn);
    free(d->url);
    free(d);
}

static const db_driver pa_driver = {
    .close = pa_close,
    .ping = pa_ping,
    .exec = pa_exec,
    .query = pa_query,
    .script = pa_script,
    .begin_write = pa_begin_write,
    .upsert = pa_upsert,
    .tick = pa_tick,
    .abandon = pa_abandon,
};

int db_pg_async_connect(db **out, const char *url, const db_options *opt, char *err, size_t errlen)
{
    pa_db *d = calloc(1, sizeof(*d));

    if (!d || !(d->url = strdup(url))) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return DB_ERR;
    }
    d->base.drv = &pa_driver;
    d->base.dialect = DB_PG;
    d->base.opt = *opt;
    d->loop = *opt->loop;
    d->base.opt.loop = &d->loop;
    d->fd = -1;
    d->state = PA_DOWN;
    d->retry_now = 1;
    pa_connect_start(d); /* in the background; statements wait for it */
    *out = &d->base;
    return DB_OK;
}
