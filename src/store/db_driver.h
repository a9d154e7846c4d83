/* db_driver.h — what a driver implements for db.h, and the helpers both
 * drivers use (db_driver.c); db_connect.c picks a driver. Private to
 * store/ (db*.c). */
#ifndef TVSHOWS_DB_DRIVER_H
#define TVSHOWS_DB_DRIVER_H

#include "store/db.h"
#include "util/trace.h"

/* ---- shared by the two drivers (db_driver.c) ---- */

typedef struct db_stmt_cache {
    struct db_cached {
        uint64_t hash;
        char *sql;
        void *handle;
    } * items;
    size_t n, cap;
} db_stmt_cache;

void *db_cache_get(db_stmt_cache *c, const char *sql, uint64_t *hash);
int db_cache_put(db_stmt_cache *c, const char *sql, uint64_t hash, void *handle);
void db_cache_clear(db_stmt_cache *c, void (*release)(void *handle, void *ud), void *ud);
/* Logs a statement slower than the threshold: its duration and the start
 * of its text (SQL text never holds parameter values). */
void db_note_duration(const db_options *opt, const char *sql, int64_t started_us);
int64_t db_now_us(void);

typedef struct db_driver {
    void (*close)(db *d);
    int (*ping)(db *d);
    int (*exec)(db *d, const char *sql, const db_val *p, int n, int64_t *changes);
    int (*query)(db *d, const char *sql, const db_val *p, int n, db_rows **out);
    /* planned at each call (NULL: exec and query are) */
    int (*exec_fresh)(db *d, const char *sql, const db_val *p, int n, int64_t *changes);
    int (*query_fresh)(db *d, const char *sql, const db_val *p, int n, db_rows **out);
    int (*next)(db_rows *r);
    int (*col_null)(db_rows *r, int col);
    int64_t (*col_int)(db_rows *r, int col);
    double (*col_float)(db_rows *r, int col);
    const char *(*col_text)(db_rows *r, int col, size_t *len);
    void (*rows_close)(db_rows *r);
    int (*script)(db *d, const char *sql);
    int (*begin_write)(db *d);
    int (*upsert)(db *d, const db_upsert_spec *spec, const db_val *rows, size_t nrows,
                  int64_t *changes, db_pair_fn fn, void *ud);
    int (*copy)(db *d, const char *table, const char *const *cols, int ncols, const db_val *rows,
                size_t nrows); /* NULL: the dialect has no COPY */
    void (*tick)(db *d);       /* may be NULL */
    void (*abandon)(db *d);    /* may be NULL */
} db_driver;

struct db {
    const db_driver *drv;
    db_dialect dialect;
    db_options opt;
    int64_t reconnects;
    char err[512];
};

/* A driver allocates its rows zeroed (calloc): span is not recording
 * unless db_query() set it. */
struct db_rows {
    const db_driver *drv;
    trace_span span; /* the statement's, ended by db_rows_close() */
};

int db_sqlite_connect(db **out, const char *path, const db_options *opt, char *err, size_t errlen);
int db_pg_connect(db **out, const char *url, const db_options *opt, char *err, size_t errlen);
/* On opt->loop: returns at once, connecting in the background. */
int db_pg_async_connect(db **out, const char *url, const db_options *opt, char *err, size_t errlen);

#endif
