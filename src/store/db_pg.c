#include <assert.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_driver.h"
#include "store/db_pg_internal.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/metrics.h"
#include "util/url.h"

#define RECONNECT_INTERVAL_US 1000000

typedef struct pg_db {
    db base;
    PGconn *conn;
    char *url;
    db_stmt_cache cache;
    int next_name;
    int down;
    int64_t last_attempt_us;
} pg_db;

typedef struct pg_rows {
    db_rows base;
    PGresult *res;
    int row, nrows;
} pg_rows;

void db_pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("already exists, skipping") are not errors */
}

void db_pg_conn_params(const char *url, const db_options *opt, db_pg_conn *c)
{
    static const char *const keys[] = {"dbname",
                                       "connect_timeout",
                                       "application_name",
                                       "client_encoding",
                                       "keepalives",
                                       "keepalives_idle",
                                       "keepalives_interval",
                                       "keepalives_count",
                                       "tcp_user_timeout",
                                       "options",
                                       NULL};
    const char *vals[] = {
        url,        "3", opt->application_name ? opt->application_name : "tvshows",
        "UTF8",     "1", "10",
        "5",        "3", "10000",
        c->options, NULL};

    memcpy(c->keys, keys, sizeof(keys));
    memcpy(c->vals, vals, sizeof(vals));
    c->options[0] = '\0';
    if (opt->statement_timeout_ms)
        snprintf(c->options, sizeof(c->options), "-c statement_timeout=%d",
                 opt->statement_timeout_ms);
    /* The API's reads are a few statements whose plans do not depend on
     * the values (their shape is chosen by the caller, see store_read.c),
     * run thousands of times a second: planning each time would cost more
     * than running it, and the planner keeps doing so when it cannot cost a
     * LIMIT $n. Other connections keep the server's choice: an import grows
     * its tables, and measured, planning its statements every time made it
     * half as slow again. */
    if (opt->generic_plans)
        snprintf(c->options + strlen(c->options), sizeof(c->options) - strlen(c->options),
                 " -c plan_cache_mode=force_generic_plan");
    /* search (store_search_shows): pg_trgm proposes names that share 30 %
     * of the query's trigrams, not its default 60 %: a short word with two
     * letters swapped shares about half; the ranking drops weak ones */
    if (opt->generic_plans)
        snprintf(c->options + strlen(c->options), sizeof(c->options) - strlen(c->options),
                 " -c pg_trgm.word_similarity_threshold=0.3");
}

static PGconn *pg_open(const char *url, const db_options *opt)
{
    db_pg_conn p;
    PGconn *c;

    db_pg_conn_params(url, opt, &p);
    c = PQconnectdbParams(p.keys, p.vals, 1);
    if (c)
        PQsetNoticeProcessor(c, db_pg_quiet, NULL);
    return c;
}

/* libpq's messages span lines ("…\n\tIs the server running…"): one line
 * here, since errors end up in single-line logs and CLI messages */
void db_pg_one_line(char *s)
{
    char *w = s;

    for (char *r = s; *r; r++) {
        if (*r == '\n' || *r == '\t' || *r == '\r') {
            if (w > s && w[-1] != ' ')
                *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    while (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

static void pg_set_err(pg_db *d, const char *what)
{
    const char *msg = d->conn ? PQerrorMessage(d->conn) : "out of memory";

    snprintf(d->base.err, sizeof(d->base.err), "%s%s%s", what ? what : "", what ? ": " : "", msg);
    db_pg_one_line(d->base.err);
    /* libpq quotes what it could not parse: the URL, or a piece of its
     * password */
    url_scrub(d->base.err, sizeof(d->base.err), d->url);
}

/* The cache holds statement names; the statements die with their
 * connection, the names are ours. */
static void pg_free_name(void *handle, void *ud)
{
    (void)ud;
    free(handle);
}

/* DB_OK when a usable connection is there, reconnecting at most once a
 * second (immediately when `now` is set: the first retry after a drop). */
static int pg_ensure(pg_db *d, int now)
{
    int64_t t = db_now_us();

    if (d->conn && !d->down && PQstatus(d->conn) == CONNECTION_OK)
        return DB_OK;
    if (d->base.opt.last_connect_us && *d->base.opt.last_connect_us > d->last_attempt_us)
        now = 1; /* another connection got through since our last try */
    if (!now && t - d->last_attempt_us < RECONNECT_INTERVAL_US) {
        snprintf(d->base.err, sizeof(d->base.err), "database unavailable");
        return DB_DOWN;
    }
    d->last_attempt_us = t;
    db_cache_clear(&d->cache, pg_free_name, NULL);
    PQfinish(d->conn);
    d->conn = pg_open(d->url, &d->base.opt);
    if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
        pg_set_err(d, "connect");
        d->down = 1;
        metrics_inc(M_DB_CONNECT_FAILURES);
        return DB_DOWN;
    }
    d->down = 0;
    d->base.reconnects++;
    if (d->base.opt.last_connect_us)
        *d->base.opt.last_connect_us = db_now_us();
    metrics_inc(M_DB_RECONNECTS);
    return DB_OK;
}

/* After a failed statement: was it the connection? */
static int pg_classify(pg_db *d)
{
    metrics_inc(M_DB_ERRORS);
    if (PQstatus(d->conn) != CONNECTION_OK) {
        d->down = 1;
        return DB_DOWN;
    }
    return DB_ERR;
}

static const char *pg_prepare(pg_db *d, const char *sql)
{
    uint64_t hash;
    char *name = db_cache_get(&d->cache, sql, &hash);
    PGresult *res;

    if (name)
        return name;
    if (!(name = malloc(16)))
        return NULL;
    snprintf(name, 16, "s%d", d->next_name++);
    res = PQprepare(d->conn, name, sql, 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        pg_set_err(d, NULL);
        PQclear(res);
        free(name);
        return NULL;
    }
    PQclear(res);
    if (db_cache_put(&d->cache, sql, hash, name) != 0) {
        free(name);
        return NULL;
    }
    return name;
}

/* Numbers go in text format, formatted into scratch. Strings go in binary
 * format, which for text-like types is the bytes themselves: libpq then
 * uses their length instead of looking for a NUL, so a value need not be
 * NUL-terminated (and is never copied). */
int db_pg_params(const db_val *p, int n, const char **vals, int *lens, int *formats, char *scratch,
                 size_t scratch_len)
{
    size_t used = 0;

    if (n > PG_MAX_PARAMS)
        return -1;
    for (int i = 0; i < n; i++) {
        int w;
        lens[i] = 0;
        formats[i] = 0;
        switch (p[i].type) {
        case DBV_NULL:
            vals[i] = NULL;
            break;
        case DBV_TEXT:
            vals[i] = p[i].s;
            lens[i] = (int)p[i].n;
            formats[i] = 1;
            break;
        case DBV_INT:
        case DBV_FLOAT:
            if (p[i].type == DBV_INT)
                w = snprintf(scratch + used, scratch_len - used, "%lld", (long long)p[i].i);
            else
                w = snprintf(scratch + used, scratch_len - used, "%.17g", p[i].f);
            if (w < 0 || (size_t)w + 1 > scratch_len - used)
                return -1;
            vals[i] = scratch + used;
            lens[i] = w;
            used += (size_t)w + 1;
            break;
        }
    }
    return 0;
}

int db_pg_result_error(const PGresult *res, char *err, size_t errlen)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *detail = PQresultErrorMessage(res);

    if (detail && *detail) {
        snprintf(err, errlen, "%s", detail);
        db_pg_one_line(err);
    }
    if (state && (!strcmp(state, "40P01") || !strcmp(state, "40001")))
        return DB_RETRY;
    /* the statement timeout: the database is too slow right now, which a
     * client should hear as "try again shortly" (503), not as a fault */
    if (state && !strcmp(state, "57014"))
        return DB_DOWN;
    return DB_ERR;
}

/* Runs a statement, prepared once per connection (fresh: planned at this
 * call); retries once on a new connection when the old one turns out to be
 * dead and no transaction was open on it. */
static int pg_run(pg_db *d, const char *sql, const db_val *p, int n, int fresh, PGresult **out)
{
    const char *vals[PG_MAX_PARAMS];
    int lens[PG_MAX_PARAMS], formats[PG_MAX_PARAMS] = {0};
    char scratch[PG_PARAM_SCRATCH];
    int64_t t0 = db_now_us();

    if (db_pg_params(p, n, vals, lens, formats, scratch, sizeof(scratch)) != 0) {
        snprintf(d->base.err, sizeof(d->base.err), "too many parameters");
        return DB_ERR;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        const char *name;
        PGresult *res;
        ExecStatusType st;
        int in_tx, rc;

        if ((rc = pg_ensure(d, attempt > 0)) != DB_OK)
            return rc;
        in_tx = PQtransactionStatus(d->conn) != PQTRANS_IDLE;
        if (fresh) {
            res = PQexecParams(d->conn, sql, n, NULL, vals, lens, formats, 0);
        } else if (!(name = pg_prepare(d, sql))) {
            if (pg_classify(d) == DB_DOWN && !in_tx)
                continue;
            return d->down ? DB_DOWN : DB_ERR;
        } else {
            res = PQexecPrepared(d->conn, name, n, vals, lens, formats, 0);
        }
        st = PQresultStatus(res);
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            db_note_duration(&d->base.opt, sql, t0);
            *out = res;
            return DB_OK;
        }
        pg_set_err(d, NULL);
        if ((rc = db_pg_result_error(res, d->base.err, sizeof(d->base.err))) != DB_ERR) {
            PQclear(res);
            metrics_inc(M_DB_ERRORS);
            return rc;
        }
        PQclear(res);
        if (pg_classify(d) == DB_DOWN && !in_tx)
            continue;
        return d->down ? DB_DOWN : DB_ERR;
    }
    return DB_DOWN;
}

int db_pg_changes(PGresult *res, int64_t *changes)
{
    if (changes)
        *changes = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return DB_OK;
}

static int pg_exec_as(db *base, const char *sql, const db_val *p, int n, int fresh,
                      int64_t *changes)
{
    PGresult *res;
    int rc = pg_run((pg_db *)base, sql, p, n, fresh, &res);

    return rc != DB_OK ? rc : db_pg_changes(res, changes);
}

static const db_driver pg_driver;

int db_pg_rows(PGresult *res, db_rows **out)
{
    pg_rows *r = calloc(1, sizeof(*r));

    if (!r) {
        PQclear(res);
        return DB_ERR;
    }
    r->base.drv = &pg_driver;
    r->res = res;
    r->row = -1;
    r->nrows = PQntuples(res);
    *out = &r->base;
    return DB_OK;
}

static int pg_query_as(db *base, const char *sql, const db_val *p, int n, int fresh, db_rows **out)
{
    PGresult *res;
    int rc = pg_run((pg_db *)base, sql, p, n, fresh, &res);

    return rc != DB_OK ? rc : db_pg_rows(res, out);
}

static int pg_exec(db *base, const char *sql, const db_val *p, int n, int64_t *changes)
{
    return pg_exec_as(base, sql, p, n, 0, changes);
}

static int pg_exec_fresh(db *base, const char *sql, const db_val *p, int n, int64_t *changes)
{
    return pg_exec_as(base, sql, p, n, 1, changes);
}

static int pg_query(db *base, const char *sql, const db_val *p, int n, db_rows **out)
{
    return pg_query_as(base, sql, p, n, 0, out);
}

static int pg_query_fresh(db *base, const char *sql, const db_val *p, int n, db_rows **out)
{
    return pg_query_as(base, sql, p, n, 1, out);
}

static int pg_next(db_rows *base)
{
    pg_rows *r = (pg_rows *)base;

    return ++r->row < r->nrows ? 1 : 0;
}

static int pg_col_null(db_rows *base, int col)
{
    pg_rows *r = (pg_rows *)base;

    return PQgetisnull(r->res, r->row, col);
}

static int64_t pg_col_int(db_rows *base, int col)
{
    pg_rows *r = (pg_rows *)base;

    return strtoll(PQgetvalue(r->res, r->row, col), NULL, 10);
}

static double pg_col_float(db_rows *base, int col)
{
    pg_rows *r = (pg_rows *)base;

    return strtod(PQgetvalue(r->res, r->row, col), NULL);
}

static const char *pg_col_text(db_rows *base, int col, size_t *len)
{
    pg_rows *r = (pg_rows *)base;

    if (PQgetisnull(r->res, r->row, col))
        return NULL;
    if (len)
        *len = (size_t)PQgetlength(r->res, r->row, col);
    return PQgetvalue(r->res, r->row, col);
}

static void pg_rows_close(db_rows *base)
{
    pg_rows *r = (pg_rows *)base;

    PQclear(r->res);
    free(r);
}

static int pg_script(db *base, const char *sql)
{
    pg_db *d = (pg_db *)base;
    PGresult *res;
    ExecStatusType st;
    int rc = pg_ensure(d, 0);

    if (rc != DB_OK)
        return rc;
    res = PQexec(d->conn, sql);
    st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        PQclear(res);
        return DB_OK;
    }
    pg_set_err(d, NULL);
    PQclear(res);
    return pg_classify(d);
}

static int pg_ping(db *base)
{
    pg_db *d = (pg_db *)base;
    PGresult *res;
    int rc = pg_ensure(d, 0);

    if (rc != DB_OK)
        return rc;
    res = PQexec(d->conn, "SELECT 1");
    rc = PQresultStatus(res) == PGRES_TUPLES_OK ? DB_OK : DB_DOWN;
    PQclear(res);
    if (rc != DB_OK) {
        pg_set_err(d, "ping");
        d->down = 1;
        /* one immediate reconnect: after a server restart the old
         * connection is dead but a new one works */
        if (pg_ensure(d, 1) == DB_OK) {
            res = PQexec(d->conn, "SELECT 1");
            rc = PQresultStatus(res) == PGRES_TUPLES_OK ? DB_OK : DB_DOWN;
            PQclear(res);
        }
    }
    return rc;
}

static int pg_begin_write(db *base)
{
    return pg_script(base, "BEGIN");
}

static void pg_row_json(jw_writer *w, const db_upsert_spec *spec, const db_val *row)
{
    jw_obj_open(w);
    for (int c = 0; c < spec->ncols; c++) {
        jw_key(w, spec->cols[c]);
        switch (row[c].type) {
        case DBV_NULL:
            jw_null(w);
            break;
        case DBV_INT:
            jw_int(w, row[c].i);
            break;
        case DBV_FLOAT:
            jw_double(w, row[c].f);
            break;
        case DBV_TEXT:
            jw_strn(w, row[c].s, row[c].n);
            break;
        }
    }
    jw_obj_close(w);
}

/* All rows in one statement: the rows travel as one JSON document that
 * json_populate_recordset turns into a relation typed like the table, so a
 * day of episodes is one round trip instead of one per row. */
static int pg_upsert(db *base, const db_upsert_spec *spec, const db_val *rows, size_t nrows,
                     int64_t *changes, db_pair_fn fn, void *ud)
{
    buf sql, doc;
    jw_writer w;
    db_val param;
    int rc = DB_ERR;

    buf_init(&sql, 1 << 16);
    buf_init(&doc, (size_t)1 << 30);
    buf_printf(&sql, "INSERT INTO %s (", spec->table);
    for (int i = 0; i < spec->ncols; i++)
        buf_printf(&sql, "%s%s", i ? ", " : "", spec->cols[i]);
    buf_puts(&sql, ") SELECT ");
    for (int i = 0; i < spec->ncols; i++)
        buf_printf(&sql, "%s%s", i ? ", " : "", spec->cols[i]);
    buf_printf(&sql, " FROM json_populate_recordset(NULL::%s, $1::json)", spec->table);
    if (db_upsert_conflict_sql(spec, &sql) != 0)
        goto done;
    jw_begin(&w, &doc);
    jw_arr_open(&w);
    for (size_t r = 0; r < nrows; r++)
        pg_row_json(&w, spec, rows + r * (size_t)spec->ncols);
    jw_arr_close(&w);
    if (jw_end(&w) != 0) {
        snprintf(base->err, sizeof(base->err), "batch too large");
        goto done;
    }
    param = dbv_textn(doc.data, doc.len);
    if (!spec->returning) {
        rc = pg_exec(base, sql.data, &param, 1, changes);
    } else {
        PGresult *res;
        if ((rc = pg_run((pg_db *)base, sql.data, &param, 1, 0, &res)) == DB_OK) {
            int n = PQntuples(res);
            for (int i = 0; fn && i < n; i++)
                fn(ud, strtoll(PQgetvalue(res, i, 0), NULL, 10),
                   strtoll(PQgetvalue(res, i, 1), NULL, 10));
            if (changes)
                *changes = n;
            PQclear(res);
        }
    }
done:
    buf_free(&sql);
    buf_free(&doc);
    return rc;
}

/* One value in COPY's text format: \\N for a null; in text, the
 * backslash and the characters that delimit rows and columns escaped. */
static int pg_copy_value(buf *out, const db_val *v)
{
    size_t start;
    int rc = 0;

    switch (v->type) {
    case DBV_NULL:
        return buf_append(out, "\\N", 2);
    case DBV_INT:
        return buf_put_i64(out, v->i);
    case DBV_FLOAT:
        return buf_printf(out, "%.17g", v->f);
    case DBV_TEXT:
        break;
    }
    start = 0;
    for (size_t i = 0; i < v->n && rc == 0; i++) {
        char c = v->s[i], esc;
        switch (c) {
        case '\\':
            esc = '\\';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        default:
            continue;
        }
        char pair[2] = {'\\', esc};
        rc |= buf_append(out, v->s + start, i - start);
        rc |= buf_append(out, pair, 2);
        start = i + 1;
    }
    return rc | buf_append(out, v->s + start, v->n - start);
}

/* Sends what data holds of the COPY in progress. */
static int pg_copy_flush(pg_db *d, buf *data)
{
    int ok = !data->len || PQputCopyData(d->conn, data->data, (int)data->len) == 1;

    buf_reset(data);
    return ok ? 0 : -1;
}

#define COPY_CHUNK ((size_t)256 << 10)

static int pg_copy(db *base, const char *table, const char *const *cols, int ncols,
                   const db_val *rows, size_t nrows)
{
    pg_db *d = (pg_db *)base;
    int64_t t0 = db_now_us();
    buf sql, data;
    PGresult *res;
    int rc, sent = 0;

    assert(ncols > 0 && nrows > 0); /* db_copy() passes no empty COPY */
    if ((rc = pg_ensure(d, 0)) != DB_OK)
        return rc;
    buf_init(&sql, 4096);
    buf_init(&data, BUF_CAP_DEFAULT);
    rc = buf_printf(&sql, "COPY %s (", table);
    for (int c = 0; c < ncols; c++)
        rc |= buf_printf(&sql, "%s%s", c ? ", " : "", cols[c]);
    rc |= buf_puts(&sql, ") FROM STDIN");
    if (rc != 0) {
        snprintf(base->err, sizeof(base->err), "out of memory");
        rc = DB_ERR;
        goto done;
    }
    res = PQexec(d->conn, sql.data);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        pg_set_err(d, NULL);
        PQclear(res);
        rc = pg_classify(d);
        goto done;
    }
    PQclear(res);
    for (size_t r = 0; r < nrows && sent == 0; r++) {
        const db_val *row = rows + r * (size_t)ncols;
        int w = 0;
        for (int c = 0; c < ncols; c++)
            w |= (c ? buf_putc(&data, '\t') : 0) | pg_copy_value(&data, &row[c]);
        w |= buf_putc(&data, '\n');
        sent = w ? -1 : data.len >= COPY_CHUNK ? pg_copy_flush(d, &data) : 0;
    }
    if (sent == 0)
        sent = pg_copy_flush(d, &data);
    /* a refused row (too large for the chunk) ends the COPY with an error,
     * which rolls back what was sent */
    PQputCopyEnd(d->conn, sent == 0 ? NULL : "row too large");
    rc = DB_OK;
    while ((res = PQgetResult(d->conn))) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == DB_OK) {
            pg_set_err(d, NULL);
            rc = DB_ERR;
        }
        PQclear(res);
    }
    if (rc != DB_OK)
        rc = pg_classify(d);
    else
        db_note_duration(&d->base.opt, sql.data, t0);
done:
    buf_free(&sql);
    buf_free(&data);
    return rc;
}

static void pg_close(db *base)
{
    pg_db *d = (pg_db *)base;

    db_cache_clear(&d->cache, pg_free_name, NULL);
    PQfinish(d->conn);
    free(d->url);
    free(d);
}

static const db_driver pg_driver = {
    .close = pg_close,
    .ping = pg_ping,
    .exec = pg_exec,
    .query = pg_query,
    .exec_fresh = pg_exec_fresh,
    .query_fresh = pg_query_fresh,
    .next = pg_next,
    .col_null = pg_col_null,
    .col_int = pg_col_int,
    .col_float = pg_col_float,
    .col_text = pg_col_text,
    .rows_close = pg_rows_close,
    .script = pg_script,
    .begin_write = pg_begin_write,
    .upsert = pg_upsert,
    .copy = pg_copy,
};

int db_pg_connect(db **out, const char *url, const db_options *opt, char *err, size_t errlen)
{
    pg_db *d = calloc(1, sizeof(*d));

    if (!d || !(d->url = strdup(url))) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return DB_ERR;
    }
    d->base.drv = &pg_driver;
    d->base.dialect = DB_PG;
    d->base.opt = *opt;
    d->conn = pg_open(url, opt);
    if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
        pg_set_err(d, NULL);
        snprintf(err, errlen, "%s", d->base.err);
        PQfinish(d->conn);
        free(d->url);
        free(d);
        return DB_DOWN;
    }
    *out = &d->base;
    return DB_OK;
}
