/* Webhooks and their deliveries. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

#define HOOK_COLS "id, url, secret, filter, created_at, cursor"

static void *read_hook(db_rows *r, arena *a)
{
    store_webhook *w = arena_calloc(a, sizeof(*w));

    if (!w)
        return NULL;
    w->id = db_col_int(r, 0);
    w->url = store_text(r, a, 1);
    w->secret = store_text(r, a, 2);
    w->filter = store_text(r, a, 3);
    w->created_at = db_col_int(r, 4);
    w->cursor = db_col_int(r, 5);
    return w;
}

int store_webhook_add(store *st, const char *url, const char *secret, const char *filter,
                      int64_t *id)
{
    /* a new webhook starts at the latest change: it is told what changes
     * from now on, not the whole history kept */
    static const char sql[] =
        "INSERT INTO webhooks (url, secret, filter, created_at, cursor) VALUES ($1, $2, $3, $4,"
        " (SELECT coalesce(max(seq), 0) FROM changes)) RETURNING id";
    db_val p[4] = {dbv_text(url), dbv_text(secret), dbv_text(filter), dbv_int(time(NULL))};

    return store_query_int(st, sql, p, 4, id);
}

int store_webhook_get(store *st, int64_t id, arena *a, store_webhook **out)
{
    db_val p = dbv_int(id);
    store_page page;
    int rc = store_collect(st, "SELECT " HOOK_COLS " FROM webhooks WHERE id = $1", &p, 1, a,
                           read_hook, &page);

    if (rc != STORE_OK)
        return rc;
    if (!page.n) {
        snprintf(st->err, sizeof(st->err), "no webhook %lld", (long long)id);
        return STORE_ENOTFOUND;
    }
    *out = page.rows[0];
    return STORE_OK;
}

int store_webhooks_all(store *st, arena *a, store_page *out)
{
    out->total = 0;
    return store_collect(st, "SELECT " HOOK_COLS " FROM webhooks ORDER BY id", NULL, 0, a,
                         read_hook, out);
}

int store_webhook_remove(store *st, int64_t id)
{
    db_val p = dbv_int(id);
    int64_t changes = 0;
    int rc = db_exec(st->db, "DELETE FROM webhooks WHERE id = $1", &p, 1, &changes);

    if (rc != DB_OK)
        return store_fail(st, rc);
    if (!changes) {
        snprintf(st->err, sizeof(st->err), "no webhook %lld", (long long)id);
        return STORE_ENOTFOUND;
    }
    return STORE_OK;
}

int store_webhooks_behind(store *st, arena *a, store_page *out)
{
    out->total = 0;
    return store_collect(st,
                         "SELECT " HOOK_COLS " FROM webhooks"
                         " WHERE cursor < (SELECT coalesce(max(seq), 0) FROM changes) ORDER BY id",
                         NULL, 0, a, read_hook, out);
}

int store_webhook_advance(store *st, int64_t id, int64_t from, int64_t to)
{
    /* only from where this delivery started: a cursor never moves back,
     * and two deliveries of one batch advance it once */
    db_val p[3] = {dbv_int(to), dbv_int(id), dbv_int(from)};
    int rc = db_exec(st->db, "UPDATE webhooks SET cursor = $1 WHERE id = $2 AND cursor = $3", p, 3,
                     NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_webhook_delivery_add(store *st, const store_delivery *d)
{
    db_val p[10] = {dbv_int(d->webhook_id),
                    dbv_text(d->delivery_id),
                    dbv_int(d->from_seq),
                    dbv_int(d->to_seq),
                    dbv_int(d->changes),
                    dbv_text(d->status),
                    d->http_status ? dbv_int(d->http_status) : dbv_null(),
                    dbv_text(d->error),
                    dbv_int(d->duration_ms),
                    dbv_int(time(NULL))};
    int rc = db_exec(st->db,
                     "INSERT INTO webhook_deliveries (webhook_id, delivery_id, from_seq, to_seq,"
                     " changes, status, http_status, error, duration_ms, created_at)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                     p, 10, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

static void *read_delivery(db_rows *r, arena *a)
{
    store_delivery *d = arena_calloc(a, sizeof(*d));

    if (!d)
        return NULL;
    d->webhook_id = db_col_int(r, 0);
    d->delivery_id = store_text(r, a, 1);
    d->from_seq = db_col_int(r, 2);
    d->to_seq = db_col_int(r, 3);
    d->changes = (int)db_col_int(r, 4);
    d->status = store_text(r, a, 5);
    d->http_status = db_col_null(r, 6) ? 0 : (int)db_col_int(r, 6);
    d->error = store_text(r, a, 7);
    d->duration_ms = (int)db_col_int(r, 8);
    d->created_at = db_col_int(r, 9);
    return d;
}

int store_webhook_deliveries(store *st, int64_t webhook_id, int limit, arena *a, store_page *out)
{
    db_val p[2] = {dbv_int(webhook_id), dbv_int(limit)};

    out->total = 0;
    return store_collect(st,
                         "SELECT webhook_id, delivery_id, from_seq, to_seq, changes, status,"
                         " http_status, error, duration_ms, created_at FROM webhook_deliveries"
                         " WHERE webhook_id = $1 OR $1 = 0 ORDER BY id DESC LIMIT $2",
                         p, 2, a, read_delivery, out);
}
