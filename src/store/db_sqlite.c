#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/db_driver.h"
#include "store/sqlite_rows.h"
#include "util/buf.h"
#include "util/metrics.h"

/* A connection SQLite opened read-only, because the file could not be
 * written then (its permissions, an immutable file, a read-only mount),
 * stays read-only for good: every write fails with SQLITE_READONLY even
 * once the file is writable again. Such a connection reports DB_DOWN for
 * writes and is reopened before a later statement, at most once a second,
 * until it opens writable; reads go on meanwhile. */
#define REOPEN_INTERVAL_US 1000000

typedef struct sqlite_db {
    db base;
    sqlite3 *conn;
    db_stmt_cache cache;
    char *path;
    int readonly;            /* the connection cannot write: reopen it */
    int open_rows;           /* statements being stepped: the connection stays */
    int64_t last_attempt_us; /* the last reopen */
} sqlite_db;

typedef struct sqlite_rows {
    db_rows base;
    sqlite3_stmt *st;
    sqlite_db *d;
    const char *sql;
    int64_t started;
} sqlite_rows;

static void sqlite_refresh(sqlite_db *d);

/* After a failed call: DB_DOWN when the connection cannot write. */
static int sqlite_classify(sqlite_db *d)
{
    metrics_inc(M_DB_ERRORS);
    if ((sqlite3_extended_errcode(d->conn) & 0xff) == SQLITE_READONLY) {
        d->readonly = 1;
        return DB_DOWN;
    }
    return DB_ERR;
}

static int sqlite_fail(sqlite_db *d)
{
    snprintf(d->base.err, sizeof(d->base.err), "%s", sqlite3_errmsg(d->conn));
    return sqlite_classify(d);
}

/* "$12" placeholders become "?12" */
static char *sqlite_translate(const char *sql)
{
    char *s = strdup(sql);

    for (char *p = s; p && *p; p++)
        if (*p == '$' && p[1] >= '0' && p[1] <= '9')
            *p = '?';
    return s;
}

static sqlite3_stmt *sqlite_prepare(sqlite_db *d, const char *sql)
{
    uint64_t hash;
    sqlite3_stmt *st = db_cache_get(&d->cache, sql, &hash);
    char *text;

    if (st)
        return st;
    if (!(text = sqlite_translate(sql)))
        return NULL;
    if (sqlite3_prepare_v3(d->conn, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        free(text);
        sqlite_fail(d);
        return NULL;
    }
    free(text);
    if (db_cache_put(&d->cache, sql, hash, st) != 0) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static int sqlite_bind(sqlite_db *d, sqlite3_stmt *st, const db_val *p, int n)
{
    int rc = SQLITE_OK;

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        switch (p[i].type) {
        case DBV_NULL:
            rc = sqlite3_bind_null(st, i + 1);
            break;
        case DBV_INT:
            rc = sqlite3_bind_int64(st, i + 1, p[i].i);
            break;
        case DBV_FLOAT:
            rc = sqlite3_bind_double(st, i + 1, p[i].f);
            break;
        case DBV_TEXT:
            rc = sqlite3_bind_text(st, i + 1, p[i].s, (int)p[i].n, SQLITE_TRANSIENT);
            break;
        }
    }
    return rc == SQLITE_OK ? DB_OK : sqlite_fail(d);
}

static int sqlite_exec(db *base, const char *sql, const db_val *p, int n, int64_t *changes)
{
    sqlite_db *d = (sqlite_db *)base;
    sqlite3_stmt *st;
    int64_t t0 = db_now_us();
    int rc;

    sqlite_refresh(d);
    st = sqlite_prepare(d, sql);
    if (!st || sqlite_bind(d, st, p, n) != DB_OK)
        return DB_ERR;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    db_note_duration(&base->opt, sql, t0);
    if (rc != SQLITE_DONE)
        return sqlite_fail(d);
    if (changes)
        *changes = sqlite3_changes64(d->conn);
    return DB_OK;
}

static int sqlite_query(db *base, const char *sql, const db_val *p, int n, db_rows **out)
{
    sqlite_db *d = (sqlite_db *)base;
    sqlite3_stmt *st;
    sqlite_rows *r;

    sqlite_refresh(d);
    st = sqlite_prepare(d, sql);
    if (!st || sqlite_bind(d, st, p, n) != DB_OK)
        return DB_ERR;
    if (!(r = calloc(1, sizeof(*r))))
        return DB_ERR;
    r->base.drv = d->base.drv;
    r->st = st;
    r->d = d;
    r->sql = sql;
    r->started = db_now_us();
    d->open_rows++;
    *out = &r->base;
    return DB_OK;
}

static int sqlite_next(db_rows *base)
{
    sqlite_rows *r = (sqlite_rows *)base;
    int rc = sqlite3_step(r->st);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sqlite_fail(r->d);
}

static int sqlite_col_null(db_rows *base, int col)
{
    return sqlite3_column_type(((sqlite_rows *)base)->st, col) == SQLITE_NULL;
}

static int64_t sqlite_col_int(db_rows *base, int col)
{
    return sqlite3_column_int64(((sqlite_rows *)base)->st, col);
}

static double sqlite_col_float(db_rows *base, int col)
{
    return sqlite3_column_double(((sqlite_rows *)base)->st, col);
}

static const char *sqlite_col_text(db_rows *base, int col, size_t *len)
{
    sqlite3_stmt *st = ((sqlite_rows *)base)->st;
    const unsigned char *t;

    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    t = sqlite3_column_text(st, col);
    if (len)
        *len = (size_t)sqlite3_column_bytes(st, col);
    return (const char *)t;
}

static void sqlite_rows_close(db_rows *base)
{
    sqlite_rows *r = (sqlite_rows *)base;

    sqlite3_reset(r->st);
    db_note_duration(&r->d->base.opt, r->sql, r->started);
    r->d->open_rows--;
    free(r);
}

static int sqlite_script(db *base, const char *sql)
{
    sqlite_db *d = (sqlite_db *)base;
    char *msg = NULL;

    sqlite_refresh(d);
    if (sqlite3_exec(d->conn, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(base->err, sizeof(base->err), "%s", msg ? msg : "error");
        sqlite3_free(msg);
        return sqlite_classify(d);
    }
    return DB_OK;
}

static int sqlite_ping(db *base)
{
    return sqlite_script(base, "SELECT 1");
}

static int sqlite_begin_write(db *base)
{
    return sqlite_script(base, "BEGIN IMMEDIATE");
}

/* One statement for the whole batch: INSERT … SELECT from tvshows_rows
 * (sqlite_rows.h), with the spec's ON CONFLICT clause. The rows are taken
 * in order, each as if written alone: a later row of the batch meets an
 * earlier one as a conflict. */
static int sqlite_upsert(db *base, const db_upsert_spec *spec, const db_val *rows, size_t nrows,
                         int64_t *changes, db_pair_fn fn, void *ud)
{
    sqlite_db *d = (sqlite_db *)base;
    sqlite_rows_batch batch = {rows, nrows, spec->ncols};
    sqlite3_stmt *st;
    buf sql;
    int64_t t0 = db_now_us();
    int rc = DB_ERR, step;

    if (changes)
        *changes = 0;
    if (!nrows)
        return DB_OK;
    assert(spec->ncols <= SQLITE_ROWS_MAX_COLS);
    buf_init(&sql, 1 << 16);
    sqlite_refresh(d);
    buf_printf(&sql, "INSERT INTO %s (", spec->table);
    for (int i = 0; i < spec->ncols; i++)
        buf_printf(&sql, "%s%s", i ? ", " : "", spec->cols[i]);
    buf_puts(&sql, ") SELECT ");
    for (int i = 0; i < spec->ncols; i++)
        buf_printf(&sql, "%sc%d", i ? ", " : "", i);
    /* WHERE true: without it, ON would be read as a join's */
    buf_puts(&sql, " FROM tvshows_rows($1) WHERE true");
    if (db_upsert_conflict_sql(spec, &sql) != 0 || !(st = sqlite_prepare(d, sql.data)))
        goto done;
    sqlite3_reset(st);
    if (sqlite_rows_bind(st, 1, &batch) != SQLITE_OK) {
        rc = sqlite_fail(d);
        goto done;
    }
    /* a row comes back only when the row was inserted or changed */
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (fn)
            fn(ud, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    if (step != SQLITE_DONE) {
        rc = sqlite_fail(d);
        sqlite3_reset(st);
        goto done;
    }
    if (changes)
        *changes = sqlite3_changes64(d->conn);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    rc = DB_OK;
done:
    db_note_duration(&base->opt, sql.data ? sql.data : "", t0);
    buf_free(&sql);
    return rc;
}

static void sqlite_release(void *handle, void *ud)
{
    (void)ud;
    sqlite3_finalize(handle);
}

static void sqlite_close(db *base)
{
    sqlite_db *d = (sqlite_db *)base;

    db_cache_clear(&d->cache, sqlite_release, NULL);
    sqlite3_close(d->conn);
    free(d->path);
    free(d);
}

static const db_driver sqlite_driver = {
    .close = sqlite_close,
    .ping = sqlite_ping,
    .exec = sqlite_exec,
    .query = sqlite_query,
    .next = sqlite_next,
    .col_null = sqlite_col_null,
    .col_int = sqlite_col_int,
    .col_float = sqlite_col_float,
    .col_text = sqlite_col_text,
    .rows_close = sqlite_rows_close,
    .script = sqlite_script,
    .begin_write = sqlite_begin_write,
    .upsert = sqlite_upsert,
};

/* mkdir -p for the directory part of path */
static int make_parent_dirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);

    if (n >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* SQLite's memory statistics take a process-wide mutex on every
 * allocation (about 7% of an import's time); nothing here reads them. Set
 * before SQLite initialises, at the first open; once it has, SQLite keeps
 * them and says so with SQLITE_MISUSE, which changes nothing else. */
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* A connection to path with our settings; *readonly when SQLite could only
 * open the file for reading. */
static int sqlite_open_conn(const char *path, sqlite3 **out, int *readonly, char *err,
                            size_t errlen)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    char *msg = NULL;
    sqlite3 *conn = NULL;

    pthread_once(&configured, sqlite_configure);

    if (sqlite3_open_v2(path, &conn, flags, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 conn ? sqlite3_errmsg(conn) : "out of memory");
        sqlite3_close(conn);
        return DB_ERR;
    }
    if (sqlite_rows_register(conn) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, sqlite3_errmsg(conn));
        sqlite3_close(conn);
        return DB_ERR;
    }
    sqlite3_busy_timeout(conn, 5000);
    /* WAL: readers on the API threads never wait for the importer's writer */
    if (sqlite3_exec(conn,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
                     "PRAGMA cache_size=-16384;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, msg ? msg : "error");
        sqlite3_free(msg);
        sqlite3_close(conn);
        return DB_ERR;
    }
    *readonly = sqlite3_db_readonly(conn, "main") == 1;
    *out = conn;
    return DB_OK;
}

/* Reopens a connection that cannot write (see REOPEN_INTERVAL_US), never
 * with a statement being stepped or inside a transaction. */
static void sqlite_refresh(sqlite_db *d)
{
    int64_t t = db_now_us();
    sqlite3 *fresh;
    int readonly;
    char err[256];

    if (!d->readonly || d->open_rows || !sqlite3_get_autocommit(d->conn) ||
        t - d->last_attempt_us < REOPEN_INTERVAL_US)
        return;
    d->last_attempt_us = t;
    if (sqlite_open_conn(d->path, &fresh, &readonly, err, sizeof(err)) != DB_OK)
        return;
    if (readonly) {
        sqlite3_close(fresh);
        return;
    }
    db_cache_clear(&d->cache, sqlite_release, NULL);
    sqlite3_close(d->conn);
    d->conn = fresh;
    d->readonly = 0;
    d->base.reconnects++;
    metrics_inc(M_DB_RECONNECTS);
}

int db_sqlite_connect(db **out, const char *path, const db_options *opt, char *err, size_t errlen)
{
    sqlite_db *d = calloc(1, sizeof(*d));

    if (!d || !(d->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(d);
        return DB_ERR;
    }
    d->base.drv = &sqlite_driver;
    d->base.dialect = DB_SQLITE;
    d->base.opt = *opt;
    if (make_parent_dirs(path) != 0) {
        snprintf(err, errlen, "cannot create the directory of %s: %s", path, strerror(errno));
        goto fail;
    }
    if (sqlite_open_conn(path, &d->conn, &d->readonly, err, errlen) != DB_OK)
        goto fail;
    d->last_attempt_us = db_now_us();
    *out = &d->base;
    return DB_OK;
fail:
    free(d->path);
    free(d);
    return DB_ERR;
}
