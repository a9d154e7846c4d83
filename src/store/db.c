#include "store/db.h"
#include "store/db_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

db_val dbv_text(const char *s)
{
    return s ? dbv_textn(s, strlen(s)) : dbv_null();
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

/* The body of a WITH statement's first query, after its "AS (" outside
 * parentheses (a name's column list comes before it); NULL when none. */
static const char *sql_first_cte(const char *sql)
{
    int depth = 0;

    for (const char *p = sql; *p; p++) {
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        if (depth || !sql_space(*p) || strncasecmp(p + 1, "AS", 2) || !sql_space(p[3]))
            continue;
        for (p += 3; sql_space(*p); p++)
            ;
        return *p == '(' ? p + 1 : NULL;
    }
    return NULL;
}

/* What a trace says of a statement: its operation and the first table it
 * names ("SELECT episodes"), never its text. A WITH statement is told by
 * its first query, which in the import's statements is the write that
 * the others follow ("WITH n AS (INSERT INTO episodes …" is "INSERT
 * episodes"). */
static void sql_summary(const char *sql, char *op, size_t oplen, char *table, size_t tlen)
{
    const char *cte;
    size_t n = 0;

    while (sql_space(*sql))
        sql++;
    if (!strncasecmp(sql, "WITH", 4) && sql_space(sql[4]) && (cte = sql_first_cte(sql))) {
        sql_summary(cte, op, oplen, table, tlen);
        return;
    }
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

/* Rows written in one operation (an upsert's INSERT, a COPY) */
static void db_trace_batch(const db *d, trace_span *s, const char *op, const char *table,
                           size_t nrows)
{
    if (!trace_recording(s))
        return;
    db_trace_named(d, s, op, table);
    trace_attr_int(s, "db.operation.batch.size", (int64_t)nrows);
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

typedef int (*db_exec_fn)(db *d, const char *sql, const db_val *p, int n, int64_t *changes);
typedef int (*db_query_fn)(db *d, const char *sql, const db_val *p, int n, db_rows **out);

static int exec_traced(db *d, db_exec_fn exec, const char *sql, const db_val *params, int nparams,
                       int64_t *changes)
{
    trace_span s;

    db_trace_begin(d, &s, sql);
    return db_trace_end(&s, exec(d, sql, params, nparams, changes));
}

/* The span covers the rows being read: SQLite steps through them lazily. */
static int query_traced(db *d, db_query_fn query, const char *sql, const db_val *params,
                        int nparams, db_rows **out)
{
    trace_span s;
    int rc;

    *out = NULL;
    db_trace_begin(d, &s, sql);
    rc = query(d, sql, params, nparams, out);
    if (rc != DB_OK || !trace_recording(&s))
        return db_trace_end(&s, rc);
    (*out)->span = s;
    return rc;
}

int db_exec(db *d, const char *sql, const db_val *params, int nparams, int64_t *changes)
{
    return exec_traced(d, d->drv->exec, sql, params, nparams, changes);
}

int db_query(db *d, const char *sql, const db_val *params, int nparams, db_rows **out)
{
    return query_traced(d, d->drv->query, sql, params, nparams, out);
}

int db_exec_fresh(db *d, const char *sql, const db_val *params, int nparams, int64_t *changes)
{
    return exec_traced(d, d->drv->exec_fresh ? d->drv->exec_fresh : d->drv->exec, sql, params,
                       nparams, changes);
}

int db_query_fresh(db *d, const char *sql, const db_val *params, int nparams, db_rows **out)
{
    return query_traced(d, d->drv->query_fresh ? d->drv->query_fresh : d->drv->query, sql, params,
                        nparams, out);
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

int db_copy(db *d, const char *table, const char *const *cols, int ncols, const db_val *rows,
            size_t nrows)
{
    trace_span s;

    if (!d->drv->copy) {
        snprintf(d->err, sizeof(d->err), "COPY is PostgreSQL's");
        return DB_ERR;
    }
    if (!nrows)
        return DB_OK;
    trace_begin_child(&s, TRACE_CLIENT, NULL);
    db_trace_batch(d, &s, "COPY", table, nrows);
    return db_trace_end(&s, d->drv->copy(d, table, cols, ncols, rows, nrows));
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
    db_trace_batch(d, &s, "INSERT", spec->table, nrows);
    return db_trace_end(&s, d->drv->upsert(d, spec, rows, nrows, changes, fn, ud));
}
