#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"
#include "util/date.h"

int store_fail(store *st, int db_rc)
{
    snprintf(st->err, sizeof(st->err), "%s", db_errmsg(st->db));
    return db_rc == DB_DOWN ? STORE_EDOWN : db_rc == DB_RETRY ? STORE_ERETRY : STORE_ERR;
}

int store_commit(store *st)
{
    int rc = db_commit(st->db);

    if (rc == DB_OK)
        return STORE_OK;
    rc = store_fail(st, rc);
    db_rollback(st->db);
    return rc;
}

const char *store_sql(const store *st, dialect_sql sql)
{
    return sql[db_dialect_of(st->db) == DB_PG];
}

int store_collect(store *st, const char *sql, const db_val *p, int np, arena *a,
                  store_row_reader fn, store_page *out)
{
    db_rows *r;
    size_t cap = 32;
    int rc;

    out->n = 0;
    if (!(out->rows = arena_alloc(a, cap * sizeof(void *))))
        return STORE_ERR;
    if ((rc = db_query(st->db, sql, p, np, &r)) != DB_OK)
        return store_fail(st, rc);
    while ((rc = db_next(r)) == 1) {
        void *row = fn(r, a);
        if (!row) {
            rc = -1;
            break;
        }
        if (out->n == cap) {
            void **grown = arena_alloc(a, cap * 2 * sizeof(void *));
            if (!grown) {
                rc = -1;
                break;
            }
            memcpy(grown, out->rows, cap * sizeof(void *));
            out->rows = grown;
            cap *= 2;
        }
        out->rows[out->n++] = row;
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
}

const char *store_text(db_rows *r, arena *a, int col)
{
    size_t n;
    const char *t = db_col_text(r, col, &n);

    return t ? arena_strndup(a, t, n) : NULL;
}

int store_query_int(store *st, const char *sql, const db_val *p, int np, int64_t *n)
{
    db_rows *r;
    int rc = db_query(st->db, sql, p, np, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    *n = 0;
    rc = db_next(r);
    if (rc == 1)
        *n = db_col_int(r, 0);
    db_rows_close(r);
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
}

int store_open(store **out, const char *url, const store_options *opt, char *err, size_t errlen)
{
    store *st = calloc(1, sizeof(*st));
    db_options dopt = {0};
    int rc;

    *out = NULL;
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return STORE_ERR;
    }
    if (opt) {
        dopt.application_name = opt->application_name;
        dopt.statement_timeout_ms = opt->statement_timeout_ms;
        dopt.slow_query_ms = opt->slow_query_ms;
        dopt.last_connect_us = opt->last_connect_us;
        dopt.generic_plans = opt->reads;
        dopt.loop = opt->loop;
    }
    if ((rc = db_connect(&st->db, url, &dopt, err, errlen)) != DB_OK) {
        free(st);
        return rc == DB_DOWN ? STORE_EDOWN : STORE_ERR;
    }
    *out = st;
    return STORE_OK;
}

store *store_open_lazy(store **st, int64_t *retry_at_ms, const char *url, const store_options *opt,
                       int retry_ms, char *err, size_t errlen)
{
    int64_t now = clock_mono_ms();

    if (errlen)
        err[0] = '\0';
    if (*st || now < *retry_at_ms)
        return *st;
    if (store_open(st, url, opt, err, errlen) != STORE_OK) {
        *st = NULL;
        *retry_at_ms = now + retry_ms;
    }
    return *st;
}

void store_close(store *st)
{
    if (!st)
        return;
    db_close(st->db);
    if (st->memo) {
        idmap_free(&st->memo->ids);
        idmap_free(&st->memo->hashes);
        free(st->memo);
    }
    free(st);
}

const char *store_errmsg(const store *st)
{
    return st->err;
}

int store_is_postgres(const store *st)
{
    return db_dialect_of(st->db) == DB_PG;
}

int store_url_is_sqlite(const char *url)
{
    return url && db_url_is_sqlite(url);
}

void store_tick(store *st)
{
    if (st)
        db_tick(st->db);
}

void store_abandon(store *st)
{
    if (st)
        db_abandon(st->db);
}

int store_ping(store *st)
{
    int rc = db_ping(st->db);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_generation(store *st, int64_t *gen)
{
    return store_query_int(st, "SELECT value FROM meta WHERE key = 'generation'", NULL, 0, gen);
}

int store_meta_get(store *st, const char *key, int64_t *value)
{
    db_val p[1] = {dbv_text(key)};

    return store_query_int(st, "SELECT value FROM meta WHERE key = $1", p, 1, value);
}

int store_meta_set(store *st, const char *key, int64_t value)
{
    db_val p[2] = {dbv_text(key), dbv_int(value)};
    int rc = value ? db_exec(st->db,
                             "INSERT INTO meta (key, value) VALUES ($1, $2)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             p, 2, NULL)
                   : db_exec(st->db, "DELETE FROM meta WHERE key = $1", p, 1, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}
