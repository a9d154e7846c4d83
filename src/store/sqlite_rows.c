/* tvshows_rows: an eponymous virtual table over a sqlite_rows_batch (see
 * the header). Read only, scanned in order; its one argument, the hidden
 * column `batch`, must be given, or the planner is told the scan is
 * impossible. */
#include "store/sqlite_rows.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POINTER_TYPE "tvshows_rows_batch"
#define BATCH_COL    SQLITE_ROWS_MAX_COLS /* the hidden argument's column */

typedef struct rows_cursor {
    sqlite3_vtab_cursor base;
    const sqlite_rows_batch *batch;
    size_t at;
} rows_cursor;

static int rows_connect(sqlite3 *conn, void *aux, int argc, const char *const *argv,
                        sqlite3_vtab **out, char **err)
{
    char schema[64 + SQLITE_ROWS_MAX_COLS * 6];
    size_t len = 0;
    int rc;

    (void)aux, (void)argc, (void)argv, (void)err;
    len += (size_t)snprintf(schema, sizeof(schema), "CREATE TABLE x(");
    for (int i = 0; i < SQLITE_ROWS_MAX_COLS; i++)
        len += (size_t)snprintf(schema + len, sizeof(schema) - len, "c%d,", i);
    snprintf(schema + len, sizeof(schema) - len, "batch HIDDEN)");
    if ((rc = sqlite3_declare_vtab(conn, schema)) != SQLITE_OK)
        return rc;
    if (!(*out = sqlite3_malloc(sizeof(**out))))
        return SQLITE_NOMEM;
    memset(*out, 0, sizeof(**out));
    return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *vt)
{
    sqlite3_free(vt);
    return SQLITE_OK;
}

static int rows_best_index(sqlite3_vtab *vt, sqlite3_index_info *info)
{
    (void)vt;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->iColumn != BATCH_COL || c->op != SQLITE_INDEX_CONSTRAINT_EQ)
            continue;
        if (!c->usable)
            return SQLITE_CONSTRAINT;
        info->aConstraintUsage[i].argvIndex = 1;
        info->aConstraintUsage[i].omit = 1;
        info->estimatedCost = 10;
        info->estimatedRows = 100;
        info->orderByConsumed = 0;
        return SQLITE_OK;
    }
    return SQLITE_CONSTRAINT; /* no batch, no rows to scan */
}

static int rows_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
    rows_cursor *c = sqlite3_malloc(sizeof(*c));

    (void)vt;
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof(*c));
    *out = &c->base;
    return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *cur)
{
    sqlite3_free(cur);
    return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str, int argc,
                       sqlite3_value **argv)
{
    rows_cursor *c = (rows_cursor *)cur;

    (void)idx_num, (void)idx_str;
    c->batch = argc == 1 ? sqlite3_value_pointer(argv[0], POINTER_TYPE) : NULL;
    c->at = 0;
    return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *cur)
{
    ((rows_cursor *)cur)->at++;
    return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *cur)
{
    const rows_cursor *c = (const rows_cursor *)cur;

    return !c->batch || c->at >= c->batch->nrows;
}

static int rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int col)
{
    const rows_cursor *c = (const rows_cursor *)cur;
    const db_val *v;

    assert(c->batch && c->at < c->batch->nrows);
    if (col >= c->batch->ncols) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    v = &c->batch->rows[c->at * (size_t)c->batch->ncols + (size_t)col];
    switch (v->type) {
    case DBV_NULL:
        sqlite3_result_null(ctx);
        break;
    case DBV_INT:
        sqlite3_result_int64(ctx, v->i);
        break;
    case DBV_FLOAT:
        sqlite3_result_double(ctx, v->f);
        break;
    case DBV_TEXT: /* the batch outlives the step: no copy */
        sqlite3_result_text(ctx, v->s, (int)v->n, SQLITE_STATIC);
        break;
    }
    return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((const rows_cursor *)cur)->at;
    return SQLITE_OK;
}

static const sqlite3_module rows_module = {
    .iVersion = 0,
    .xConnect = rows_connect,
    .xBestIndex = rows_best_index,
    .xDisconnect = rows_disconnect,
    .xOpen = rows_open,
    .xClose = rows_close,
    .xFilter = rows_filter,
    .xNext = rows_next,
    .xEof = rows_eof,
    .xColumn = rows_column,
    .xRowid = rows_rowid,
};

int sqlite_rows_register(sqlite3 *conn)
{
    return sqlite3_create_module_v2(conn, "tvshows_rows", &rows_module, NULL, NULL);
}

int sqlite_rows_bind(sqlite3_stmt *st, int idx, const sqlite_rows_batch *batch)
{
    assert(batch->ncols > 0 && batch->ncols <= SQLITE_ROWS_MAX_COLS);
    return sqlite3_bind_pointer(st, idx, (void *)batch, POINTER_TYPE, NULL);
}
