/* store.h — the database behind the API, the importer and the job queue.
 *
 * One store per thread; a store is not thread-safe. Two backends, chosen by
 * the URL scheme: "sqlite:PATH" (WAL; the directory is created) and
 * "postgres://…" (libpq; reconnects by itself after the server restarts).
 * Errors: functions return STORE_OK (0) or a negative STORE_E* code;
 * store_errmsg() says why, valid until the next call on the same store.
 * STORE_EDOWN means the database cannot be reached right now (the API answers
 * 503); STORE_ENOTFOUND that a looked-up row does not exist.
 * Ownership: strings passed in are borrowed; rows returned live in the arena
 * the caller passes and are freed with it.
 *
 * This header is the handle; what each consumer asks of it is in its own:
 * store_read.h (the API's queries and its lists), store_write.h (imports
 * and their runs), store_jobs.h (the database job queue, queued runs'
 * units, webhooks' bookkeeping) and store_admin.h (schema, roles, keys). */
#ifndef TVSHOWS_STORE_H
#define TVSHOWS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/must_use.h"
#include "model/model.h"
#include "util/task.h"
#include "util/arena.h"

#define STORE_OK        0
#define STORE_ERR       (-1)
#define STORE_EDOWN     (-2)
#define STORE_ENOTFOUND (-3)
#define STORE_ERETRY    (-4) /* a transaction lost to a concurrent one, STORE_RETRIES times */
#define STORE_ELIMIT    (-5) /* a limit of the data would be passed (lists per owner…) */

/* How often a transaction that lost to a concurrent one (a deadlock or a
 * serialization failure) is run before STORE_ERETRY reaches the caller:
 * the import's day writes and the runs' reports run it again themselves. */
#define STORE_RETRIES 3

typedef struct store store;

typedef struct store_options {
    const char *application_name; /* PostgreSQL application_name */
    int statement_timeout_ms;
    int slow_query_ms;
    _Atomic int64_t *last_connect_us; /* shared reconnect hint, see db.h */
    int reads;                        /* serves the API: one plan per statement on PostgreSQL */
    const task_loop *loop; /* PostgreSQL on an event loop, used from tasks (db.h); NULL: blocking */
} store_options;

MUST_USE int store_open(store **out, const char *url, const store_options *opt, char *err,
                        size_t errlen);
void store_close(store *st); /* NULL is fine */

/* The one way a long-lived thread (re)opens its store, so that it outlives
 * a database restart: *st when it is open; else, once *retry_at_ms
 * (monotonic ms, 0: now) has passed, store_open() into *st, and after a
 * failure the next attempt retry_ms later. NULL while there is no store:
 * err says why, or is empty when no attempt was due. */
store *store_open_lazy(store **st, int64_t *retry_at_ms, const char *url, const store_options *opt,
                       int retry_ms, char *err, size_t errlen);
const char *store_errmsg(const store *st);
int store_is_postgres(const store *st);
/* 1 when url names a SQLite database, before opening it. */
int store_url_is_sqlite(const char *url);
MUST_USE int store_ping(store *st);
/* On a loop: checks the connection's deadlines (call after each turn);
 * else nothing. */
void store_tick(store *st);
/* On a loop, at its end: every statement still waiting fails
 * (STORE_EDOWN), its task resumed. Else nothing. */
void store_abandon(store *st);

/* A page of rows, in the arena the caller passed. */
typedef struct store_page {
    int64_t total;
    size_t n;
    void **rows; /* each a pointer to the function's row type */
} store_page;

/* ---- data generation: bumped by every import commit that changed data ---- */

MUST_USE int store_generation(store *st, int64_t *gen);

/* ---- meta: named integers the whole deployment shares ---- */

/* The value of key, 0 when it is not set. */
MUST_USE int store_meta_get(store *st, const char *key, int64_t *value);
/* Sets key to value; 0 removes it. */
MUST_USE int store_meta_set(store *st, const char *key, int64_t value);

#endif
