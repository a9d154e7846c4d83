#include "store/db.h"
#include "store/db_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/buf.h"
#include "util/hash.h"
#include "util/log.h"

db_val dbv_text(const char *s)
{
    return s ? dbv_textn(s, strlen(s)) : dbv_null();
}

/* The value an update gives column c: the new one, or with keep_on_null the
 * stored one when the new one is null. */
static int put_new_value(const db_upsert_spec *spec, const char *c, buf *out)
{
    if (spec->keep_on_null)
        return buf_printf(out, "coalesce(excluded.%s, %s.%s)", c, spec->table, c);
    return buf_printf(out, "excluded.%s", c);
}

static int put_update(const db_upsert_spec *spec, int last, buf *out)
{
    int rc = 0;

    rc |= buf_puts(out, " DO UPDATE SET ");
    for (int i = spec->nkeys; i < last; i++) {
        rc |= buf_printf(out, "%s%s = ", i > spec->nkeys ? ", " : "", spec->cols[i]);
        rc |= put_new_value(spec, spec->cols[i], out);
    }
    /* only rows whose values change are written: a re-import of the same
     * data leaves every row, and the data generation, as they were */
    rc |= buf_puts(out, " WHERE (");
    for (int i = spec->nkeys; i < last; i++) {
        rc |= buf_printf(out, "%s%s.%s IS DISTINCT FROM ", i > spec->nkeys ? " OR " : "",
                         spec->table, spec->cols[i]);
        rc |= put_new_value(spec, spec->cols[i], out);
    }
    rc |= buf_putc(out, ')');
    if (spec->extra_where)
        rc |= buf_printf(out, " AND (%s)", spec->extra_where);
    return rc;
}

int db_upsert_conflict_sql(const db_upsert_spec *spec, buf *out)
{
    int rc = 0, last = spec->ncols - spec->insert_only;

    rc |= buf_puts(out, " ON CONFLICT (");
    for (int i = 0; i < spec->nkeys; i++)
        rc |= buf_printf(out, "%s%s", i ? ", " : "", spec->cols[i]);
    rc |= buf_putc(out, ')');
    if (spec->ignore_conflicts || spec->nkeys >= last)
        rc |= buf_puts(out, " DO NOTHING");
    else
        rc |= put_update(spec, last, out);
    if (spec->returning)
        rc |= buf_printf(out, " RETURNING %s", spec->returning);
    return rc ? -1 : 0;
}

void *db_cache_get(db_stmt_cache *c, const char *sql, uint64_t *hash)
{
    *hash = hash_fnv1a(sql, strlen(sql));
    for (size_t i = 0; i < c->n; i++)
        if (c->items[i].hash == *hash && !strcmp(c->items[i].sql, sql))
            return c->items[i].handle;
    return NULL;
}

int db_cache_put(db_stmt_cache *c, const char *sql, uint64_t hash, void *handle)
{
    char *copy;

    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct db_cached *grown = realloc(c->items, cap * sizeof(*grown));
        if (!grown)
            return -1;
        c->items = grown;
        c->cap = cap;
    }
    if (!(copy = strdup(sql)))
        return -1;
    c->items[c->n].hash = hash;
    c->items[c->n].sql = copy;
    c->items[c->n].handle = handle;
    c->n++;
    return 0;
}

void db_cache_clear(db_stmt_cache *c, void (*release)(void *handle, void *ud), void *ud)
{
    for (size_t i = 0; i < c->n; i++) {
        if (release)
            release(c->items[i].handle, ud);
        free(c->items[i].sql);
    }
    free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

int64_t db_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void db_note_duration(const db_options *opt, const char *sql, int64_t started_us)
{
    int64_t us = db_now_us() - started_us;
    char stmt[81];
    size_t i = 0;

    if (!opt->slow_query_ms || us < (int64_t)opt->slow_query_ms * 1000)
        return;
    /* the statement's first words, whitespace folded */
    for (const char *p = sql; *p && i < sizeof(stmt) - 1; p++) {
        char ch = (*p == '\n' || *p == '\t') ? ' ' : *p;
        if (ch == ' ' && (i == 0 || stmt[i - 1] == ' '))
            continue;
        stmt[i++] = ch;
    }
    stmt[i] = '\0';
    log_warn("slow query", LF_F("duration_ms", (double)us / 1000.0), LF_S("statement", stmt));
}

/* ---- traces: a client span per statement ---- */

static int sql_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static int sql_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

/* The identifier after the first whole word kw (case-insensitive) in sql
 * outside parentheses (a subquery's FROM is not the statement's), into
 * out; "" when there is none. */
static void sql_word_after(const char *sql, const char *kw, char *out, size_t outlen)
{
    size_t k = strlen(kw), n = 0;
    int depth = 0;

    out[0] = '\0';
    for (const char *p = sql; *p; p++) {
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (depth > 0 || (p > sql && sql_ident_char(p[-1])) || strncasecmp(p, kw, k) ||
            !sql_space(p[k]))
            continue;
        for (p += k; sql_space(*p); p++)
            ;
        while (n < outlen - 1 && sql_ident_char(p[n]))
            n++;
        memcpy(out, p, n);
        out[n] = '\0';
        return;
    }
}

/* What a trace says of a statement: its operation and the first table it
 * names ("SELECT episodes"), never its text. */
static void sql_summary(const char *sql, char *op, size_t oplen, char *table, size_t tlen)
{
    size_t n = 0;

    while (sql_space(*sql))
        sql++;
    while (n < oplen - 1 && sql_ident_char(sql[n])) {
        op[n] = (char)(sql[n] >= 'a' && sql[n] <= 'z' ? sql[n] - 32 : sql[n]);
        n++;
    }
    op[n] = '\0';
    if (!strcmp(op, "UPDATE"))
        sql_word_after(sql, "UPDATE", table, tlen);
    else if (!strcmp(op, "INSERT"))
        sql_word_after(sql, "INTO", table, tlen);
    else
        sql_word_after(sql, "FROM", table, tlen);
}

static void db_trace_named(const db *d, trace_span *s, const char *op, const char *table)
{
    char name[TRACE_NAME_MAX];
    int n = snprintf(name, sizeof(name), "%s%s%s", op, *table ? " " : "", table);

    trace_set_name(s, name, n > 0 && (size_t)n < sizeof(name) ? (size_t)n : 0);
    trace_attr_str(s, "db.system.name", d->dialect == DB_PG ? "postgresql" : "sqlite");
    trace_attr_str(s, "db.operation.name", op);
    if (*table)
        trace_attr_str(s, "db.collection.name", table);
}

static void db_trace_begin(const db *d, trace_span *s, const char *sql)
{
    char op[16], table[64];

    trace_begin_child(s, TRACE_CLIENT, NULL);
    if (!trace_recording(s))
        return;
    sql_summary(sql, op, sizeof(op), table, sizeof(table));
    db_trace_named(d, s, op, table);
}

/* Ends the span with the statement's outcome; returns rc. The error's text
 * stays out of the trace: the server's messages can quote values. */
static int db_trace_end(trace_span *s, int rc)
{
    if (rc < 0 && trace_recording(s)) {
        trace_attr_str(s, "error.type",
                       rc == DB_DOWN    ? "db_down"
                       : rc == DB_RETRY ? "db_retry"
                                        : "db_error");
        trace_set_error(s);
    }
    trace_end(s);
    return rc;
}

/* BEGIN, COMMIT, ROLLBACK */
static int db_control(db *d, const char *op, int (*run)(db *, const char *), const char *sql)
{
    trace_span s;

    trace_begin_child(&s, TRACE_CLIENT, NULL);
    if (trace_recording(&s))
        db_trace_named(d, &s, op, "");
    return db_trace_end(&s, run(d, sql));
}

int db_connect(db **out, const char *url, const db_options *opt, char *err, size_t errlen)
{
    *out = NULL;
    if (!strncmp(url, "sqlite:", 7))
        return db_sqlite_connect(out, url + 7, opt, err, errlen);
    if ((!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13)) && opt->loop)
        return db_pg_async_connect(out, url, opt, err, errlen);
    if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
        return db_pg_connect(out, url, opt, err, errlen);
    snprintf(err, errlen, "unknown database URL scheme");
    return DB_ERR;
}

void db_close(db *d)
{
    if (d)
        d->drv->close(d);
}

db_dialect db_dialect_of(const db *d)
{
    return d->dialect;
}

const char *db_errmsg(const db *d)
{
    return d->err;
}

int db_ping(db *d)
{
    return d->drv->ping(d);
}

int64_t db_reconnects(const db *d)
{
    return d->reconnects;
}

void db_tick(db *d)
{
    if (d && d->drv->tick)
        d->drv->tick(d);
}

void db_abandon(db *d)
{
    if (d && d->drv->abandon)
        d->drv->abandon(d);
}

int db_exec(db *d, const char *sql, const db_val *params, int nparams, int64_t *changes)
{
    trace_span s;

    db_trace_begin(d, &s, sql);
    return db_trace_end(&s, d->drv->exec(d, sql, params, nparams, changes));
}

/* The span covers the rows being read: SQLite steps through them lazily. */
int db_query(db *d, const char *sql, const db_val *params, int nparams, db_rows **out)
{
    trace_span s;
    int rc;

    *out = NULL;
    db_trace_begin(d, &s, sql);
    rc = d->drv->query(d, sql, params, nparams, out);
    if (rc != DB_OK || !trace_recording(&s))
        return db_trace_end(&s, rc);
    (*out)->span = s;
    return rc;
}

int db_next(db_rows *r)
{
    return r->drv->next(r);
}

int db_col_null(db_rows *r, int col)
{
    return r->drv->col_null(r, col);
}

int64_t db_col_int(db_rows *r, int col)
{
    return r->drv->col_int(r, col);
}

double db_col_float(db_rows *r, int col)
{
    return r->drv->col_float(r, col);
}

const char *db_col_text(db_rows *r, int col, size_t *len)
{
    return r->drv->col_text(r, col, len);
}

void db_rows_close(db_rows *r)
{
    if (!r)
        return;
    trace_end(&r->span);
    r->drv->rows_close(r);
}

int db_script(db *d, const char *sql)
{
    return d->drv->script(d, sql);
}

static int db_begin_write_run(db *d, const char *sql)
{
    (void)sql;
    return d->drv->begin_write(d);
}

int db_begin(db *d)
{
    return db_control(d, "BEGIN", d->drv->script, "BEGIN");
}

int db_begin_write(db *d)
{
    return db_control(d, "BEGIN", db_begin_write_run, NULL);
}

int db_commit(db *d)
{
    return db_control(d, "COMMIT", d->drv->script, "COMMIT");
}

void db_rollback(db *d)
{
    char keep[sizeof(d->err)];

    /* the error that caused the rollback is the one worth reporting */
    memcpy(keep, d->err, sizeof(keep));
    db_control(d, "ROLLBACK", d->drv->script, "ROLLBACK");
    memcpy(d->err, keep, sizeof(keep));
}

int db_upsert(db *d, const db_upsert_spec *spec, const db_val *rows, size_t nrows, int64_t *changes,
              db_pair_fn fn, void *ud)
{
    trace_span s;

    if (changes)
        *changes = 0;
    if (!nrows)
        return DB_OK;
    trace_begin_child(&s, TRACE_CLIENT, NULL);
    if (trace_recording(&s)) {
        db_trace_named(d, &s, "INSERT", spec->table);
        trace_attr_int(&s, "db.operation.batch.size", (int64_t)nrows);
    }
    return db_trace_end(&s, d->drv->upsert(d, spec, rows, nrows, changes, fn, ud));
}
