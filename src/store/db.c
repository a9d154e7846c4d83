#include "store/db.h"
#include "store/db_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

db_val dbv_text(const char *s)
{
    return s ? dbv_textn(s, strlen(s)) : dbv_null();
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
    return d->drv->exec(d, sql, params, nparams, changes);
}

int db_query(db *d, const char *sql, const db_val *params, int nparams, db_rows **out)
{
    *out = NULL;
    return d->drv->query(d, sql, params, nparams, out);
}

int db_exec_fresh(db *d, const char *sql, const db_val *params, int nparams, int64_t *changes)
{
    if (!d->drv->exec_fresh)
        return db_exec(d, sql, params, nparams, changes);
    return d->drv->exec_fresh(d, sql, params, nparams, changes);
}

int db_query_fresh(db *d, const char *sql, const db_val *params, int nparams, db_rows **out)
{
    *out = NULL;
    if (!d->drv->query_fresh)
        return d->drv->query(d, sql, params, nparams, out);
    return d->drv->query_fresh(d, sql, params, nparams, out);
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
    if (r)
        r->drv->rows_close(r);
}

int db_script(db *d, const char *sql)
{
    return d->drv->script(d, sql);
}

int db_begin_write(db *d)
{
    return d->drv->begin_write(d);
}

int db_commit(db *d)
{
    return d->drv->script(d, "COMMIT");
}

void db_rollback(db *d)
{
    char keep[sizeof(d->err)];

    /* the error that caused the rollback is the one worth reporting */
    memcpy(keep, d->err, sizeof(keep));
    d->drv->script(d, "ROLLBACK");
    memcpy(d->err, keep, sizeof(keep));
}

int db_copy(db *d, const char *table, const char *const *cols, int ncols, const db_val *rows,
            size_t nrows)
{
    if (!d->drv->copy) {
        snprintf(d->err, sizeof(d->err), "COPY is PostgreSQL's");
        return DB_ERR;
    }
    return nrows ? d->drv->copy(d, table, cols, ncols, rows, nrows) : DB_OK;
}

int db_upsert(db *d, const db_upsert_spec *spec, const db_val *rows, size_t nrows, int64_t *changes,
              db_pair_fn fn, void *ud)
{
    if (changes)
        *changes = 0;
    if (!nrows)
        return DB_OK;
    return d->drv->upsert(d, spec, rows, nrows, changes, fn, ud);
}
