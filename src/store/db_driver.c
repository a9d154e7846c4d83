/* What both drivers share: the ON CONFLICT clause of an upsert, the
 * statement cache, and the slow-statement log. */
#include "store/db_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/hash.h"
#include "util/log.h"

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
