/* db.h — the thin SQL driver under store/: one interface, a SQLite and a
 * PostgreSQL implementation (db_sqlite.c, db_pg.c, chosen by db.c from the
 * URL). Private to store/: nothing above it includes this header.
 *
 * SQL text is written once with $1..$N placeholders; the SQLite driver turns
 * them into ?1..?N. Statements are prepared once per connection and cached by
 * their text. Parameters are always bound, never spliced.
 * Errors: DB_OK (0), DB_ERR (-1, the statement failed; db_errmsg says why),
 * DB_DOWN (-2, the connection is gone; the next call tries to reconnect, at
 * most once a second, with a short connect timeout), DB_RETRY (-3, the
 * transaction lost to a concurrent one and was rolled back by the server).
 * Ownership: text returned by db_col_text() is valid until the next db_next()
 * or db_rows_close() on those rows. One connection per thread. */
#ifndef TVSHOWS_DB_H
#define TVSHOWS_DB_H

#include <stddef.h>
#include <stdint.h>

#include "util/must_use.h"
#include "util/task.h"

#define DB_OK   0
#define DB_ERR  (-1)
#define DB_DOWN (-2)
#define DB_RETRY                                                                                   \
    (-3) /* PostgreSQL: deadlock or serialization failure; run the transaction again               \
          */

typedef enum { DB_SQLITE, DB_PG } db_dialect;
typedef enum { DBV_NULL, DBV_INT, DBV_FLOAT, DBV_TEXT } db_type;

typedef struct db_val {
    db_type type;
    int64_t i;
    double f;
    const char *s;
    size_t n;
} db_val;

static inline db_val dbv_null(void)
{
    return (db_val){DBV_NULL, 0, 0, NULL, 0};
}
static inline db_val dbv_int(int64_t v)
{
    return (db_val){DBV_INT, v, 0, NULL, 0};
}
static inline db_val dbv_float(double v)
{
    return (db_val){DBV_FLOAT, 0, v, NULL, 0};
}
db_val dbv_text(const char *s); /* NULL gives a null value */
static inline db_val dbv_textn(const char *s, size_t n)
{
    return (db_val){DBV_TEXT, 0, 0, s, n};
}

typedef struct db_options {
    const char *application_name;
    int statement_timeout_ms; /* PostgreSQL; 0: server default */
    int slow_query_ms;        /* log statements slower than this; 0: never */
    int generic_plans;        /* PostgreSQL: plan each statement once (API reads, see db_pg.c) */
    /* shared by the connections of one process (may be NULL): when one of
     * them reconnects, the others retry at once instead of waiting out
     * their own pause */
    _Atomic int64_t *last_connect_us;
    const task_loop *loop; /* PostgreSQL on an event loop (NULL: blocking); copied */
} db_options;

typedef struct db db;
typedef struct db_rows db_rows;

MUST_USE int db_connect(db **out, const char *url, const db_options *opt, char *err, size_t errlen);
/* 1 when url names a SQLite database ("sqlite:PATH"). */
int db_url_is_sqlite(const char *url);
void db_close(db *d); /* NULL is fine */
db_dialect db_dialect_of(const db *d);
const char *db_errmsg(const db *d);
/* DB_OK when the connection answers (reconnecting if needed). */
int db_ping(db *d);
/* Times the connection was re-established since it opened. */
int64_t db_reconnects(const db *d);
/* For a connection on a loop: deadlines (a connect that takes too long)
 * are checked; call after each turn of the loop. Else nothing. */
void db_tick(db *d);
/* For a connection on a loop, at the loop's end: every statement waiting
 * fails (DB_DOWN) and its task is resumed. Else nothing. */
void db_abandon(db *d);

MUST_USE int db_exec(db *d, const char *sql, const db_val *params, int nparams, int64_t *changes);
MUST_USE int db_query(db *d, const char *sql, const db_val *params, int nparams, db_rows **out);
/* The same, planned at each call instead of once per connection: for
 * statements over staging tables, whose sizes (and so their best plans)
 * change from one call to the next. */
MUST_USE int db_exec_fresh(db *d, const char *sql, const db_val *params, int nparams,
                           int64_t *changes);
MUST_USE int db_query_fresh(db *d, const char *sql, const db_val *params, int nparams,
                            db_rows **out);
int db_next(db_rows *r); /* 1: a row, 0: no more, <0: error */
int db_col_null(db_rows *r, int col);
int64_t db_col_int(db_rows *r, int col);
double db_col_float(db_rows *r, int col);
const char *db_col_text(db_rows *r, int col, size_t *len); /* NULL for null */
void db_rows_close(db_rows *r);
/* Several statements, no parameters, not cached (migrations). */
MUST_USE int db_script(db *d, const char *sql);

/* Transactions. db_begin_write takes the write lock at once on SQLite
 * (BEGIN IMMEDIATE) so a transaction never fails half-way on a lock upgrade. */
MUST_USE int db_begin_write(db *d);
MUST_USE int db_commit(db *d);
void db_rollback(db *d);

/* Upserts nrows rows of spec->ncols values each (row-major). Rows whose
 * values all equal the stored ones are left untouched, so re-importing the
 * same data changes nothing; *changes counts rows inserted or changed.
 * Keys must be unique within one call. */
typedef struct db_upsert_spec {
    const char *table;
    const char *const *cols;
    int ncols;
    int nkeys;               /* the first nkeys columns are the conflict target */
    const char *extra_where; /* AND-ed to the change test, may be NULL */
    int ignore_conflicts;    /* ON CONFLICT DO NOTHING */
    int keep_on_null;        /* a null never overwrites a stored value */
    int insert_only;         /* the last insert_only columns are set on insert only */
    const char *returning;   /* two integer columns of each row written, e.g.
                                "tvmaze_id, id"; NULL for none */
} db_upsert_spec;

/* Called with the `returning` columns of each row inserted or changed. */
typedef void (*db_pair_fn)(void *ud, int64_t a, int64_t b);

MUST_USE int db_upsert(db *d, const db_upsert_spec *spec, const db_val *rows, size_t nrows,
                       int64_t *changes, db_pair_fn fn, void *ud);

/* PostgreSQL: streams nrows rows of ncols values each (row-major) into
 * table (a staging table) with one COPY … FROM STDIN in text format: far
 * less work for the server than binding or parsing the same rows. SQLite:
 * DB_ERR (its statements are in-process; it has nothing to gain). */
MUST_USE int db_copy(db *d, const char *table, const char *const *cols, int ncols,
                     const db_val *rows, size_t nrows);

/* The ON CONFLICT clause of an upsert (the drivers', and PostgreSQL's
 * set-based import merge); -1 when out of memory. */
struct buf;
int db_upsert_conflict_sql(const db_upsert_spec *spec, struct buf *out);

#endif
