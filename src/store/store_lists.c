/* Followed-show lists: who owns them, their shows, their feed tokens (kept
 * as SHA-256 digests only, like API keys). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

#define LIST_COLS "l.id, l.owner, l.name, l.feed_prefix, l.created_at, l.version"

static void *read_list(db_rows *r, arena *a)
{
    store_list *l = arena_calloc(a, sizeof(*l));

    if (!l)
        return NULL;
    l->id = db_col_int(r, 0);
    l->owner = store_text(r, a, 1);
    l->name = store_text(r, a, 2);
    l->feed_prefix = store_text(r, a, 3);
    l->created_at = db_col_int(r, 4);
    l->version = db_col_int(r, 5);
    return l;
}

static int one_list(store *st, const char *sql, const db_val *p, int np, arena *a, store_list **out)
{
    store_page page;
    int rc = store_collect(st, sql, p, np, a, read_list, &page);

    if (rc != STORE_OK)
        return rc;
    if (!page.n) {
        snprintf(st->err, sizeof(st->err), "no such list");
        return STORE_ENOTFOUND;
    }
    *out = page.rows[0];
    return STORE_OK;
}

int store_list_create(store *st, const char *owner, const char *name, const char *feed_sha256,
                      const char *feed_prefix, int max_lists, int64_t *id)
{
    static const char insert[] =
        "INSERT INTO lists (owner, name, feed_sha256, feed_prefix, created_at, version)"
        " SELECT $1, $2, $3, $4, $5, 1 WHERE (SELECT count(*) FROM lists WHERE owner = $1) < $6"
        " RETURNING id";
    db_val p[6] = {dbv_text(owner),       dbv_text(name),      dbv_text(feed_sha256),
                   dbv_text(feed_prefix), dbv_int(time(NULL)), dbv_int(max_lists)};
    int rc;

    *id = 0;
    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = store_query_int(st, insert, p, 6, id)) != STORE_OK)
        goto rollback;
    if ((rc = store_commit(st)) != STORE_OK)
        return rc;
    if (!*id) {
        snprintf(st->err, sizeof(st->err), "an owner keeps at most %d lists", max_lists);
        return STORE_ELIMIT;
    }
    return STORE_OK;
rollback:
    db_rollback(st->db);
    return rc;
}

int store_list_get(store *st, int64_t id, const char *owner, arena *a, store_list **out)
{
    db_val p[2] = {dbv_int(id), dbv_text(owner)};

    return one_list(
        st, "SELECT " LIST_COLS " FROM lists l WHERE l.id = $1 AND l.owner = coalesce($2, l.owner)",
        p, 2, a, out);
}

int store_list_by_feed(store *st, const char *feed_sha256, arena *a, store_list **out)
{
    db_val p = dbv_text(feed_sha256);

    return one_list(st, "SELECT " LIST_COLS " FROM lists l WHERE l.feed_sha256 = $1", &p, 1, a,
                    out);
}

int store_lists_of(store *st, const char *owner, arena *a, store_page *out)
{
    db_val p = dbv_text(owner);

    out->total = 0;
    return store_collect(st,
                         owner ? "SELECT " LIST_COLS
                                 " FROM lists l WHERE l.owner = $1 ORDER BY l.id"
                               : "SELECT " LIST_COLS " FROM lists l ORDER BY l.id",
                         &p, owner ? 1 : 0, a, read_list, out);
}

/* The end of a transaction that changed list id: its version moves on (its
 * feeds' cache key), then the commit. */
static int bump_and_commit(store *st, int64_t id)
{
    db_val p = dbv_int(id);
    int rc;

    if ((rc = db_exec(st->db, "UPDATE lists SET version = version + 1 WHERE id = $1", &p, 1,
                      NULL)) != DB_OK ||
        (rc = db_commit(st->db)) != DB_OK)
        return store_fail(st, rc);
    return STORE_OK;
}

/* Runs one statement that changes a list of this owner, in a transaction
 * that also bumps the list's version (its feeds' cache key); ENOTFOUND
 * when the list is not this owner's, or (must_change) nothing changed. */
static int list_change(store *st, int64_t id, const char *owner, const char *sql, const db_val *p,
                       int np, int must_change)
{
    db_val q[2] = {dbv_int(id), dbv_text(owner)};
    int64_t changes = 0, mine = 0;
    int rc;

    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = store_query_int(
             st, "SELECT count(*) FROM lists WHERE id = $1 AND owner = coalesce($2, owner)", q, 2,
             &mine)) != STORE_OK)
        goto rollback;
    if (!mine || (sql && (rc = db_exec(st->db, sql, p, np, &changes)) != DB_OK) ||
        (must_change && !changes)) {
        if (rc != DB_OK && rc != STORE_OK)
            rc = store_fail(st, rc);
        else {
            snprintf(st->err, sizeof(st->err), !mine ? "no such list" : "not in the list");
            rc = STORE_ENOTFOUND;
        }
        goto rollback;
    }
    if ((rc = bump_and_commit(st, id)) != STORE_OK)
        goto rollback;
    return STORE_OK;
rollback:
    db_rollback(st->db);
    return rc;
}

int store_list_rename(store *st, int64_t id, const char *owner, const char *name)
{
    db_val p[2] = {dbv_text(name), dbv_int(id)};

    return list_change(st, id, owner, "UPDATE lists SET name = $1 WHERE id = $2", p, 2, 0);
}

int store_list_rotate(store *st, int64_t id, const char *owner, const char *feed_sha256,
                      const char *feed_prefix)
{
    db_val p[3] = {dbv_text(feed_sha256), dbv_text(feed_prefix), dbv_int(id)};

    return list_change(st, id, owner,
                       "UPDATE lists SET feed_sha256 = $1, feed_prefix = $2 WHERE id = $3", p, 3,
                       0);
}

int store_list_delete(store *st, int64_t id, const char *owner)
{
    db_val p[2] = {dbv_int(id), dbv_text(owner)};
    int64_t changes = 0;
    int rc = db_exec(st->db, "DELETE FROM lists WHERE id = $1 AND owner = coalesce($2, owner)", p,
                     2, &changes);

    if (rc != DB_OK)
        return store_fail(st, rc);
    if (!changes) {
        snprintf(st->err, sizeof(st->err), "no such list");
        return STORE_ENOTFOUND;
    }
    return STORE_OK;
}

int store_list_add_show(store *st, int64_t id, const char *owner, int64_t show_id, int max_shows)
{
    db_val q[2] = {dbv_int(id), dbv_text(owner)}, k[2] = {dbv_int(id), dbv_int(show_id)};
    db_val p[4] = {dbv_int(id), dbv_int(show_id), dbv_int(time(NULL)), dbv_int(max_shows)};
    int64_t mine = 0, held = 0, added = 0;
    int rc;

    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = store_query_int(
             st, "SELECT count(*) FROM lists WHERE id = $1 AND owner = coalesce($2, owner)", q, 2,
             &mine)) != STORE_OK ||
        (rc = store_query_int(st,
                              "SELECT count(*) FROM list_shows WHERE list_id = $1 AND show_id = $2",
                              k, 2, &held)) != STORE_OK)
        goto rollback;
    if (!mine) {
        snprintf(st->err, sizeof(st->err), "no such list");
        rc = STORE_ENOTFOUND;
        goto rollback;
    }
    if (held) { /* already there: PUT is idempotent, nothing changes */
        db_rollback(st->db);
        return STORE_OK;
    }
    if ((rc = db_exec(st->db,
                      "INSERT INTO list_shows (list_id, show_id, added_at)"
                      " SELECT $1, $2, $3 WHERE (SELECT count(*) FROM list_shows"
                      " WHERE list_id = $1) < $4",
                      p, 4, &added)) != DB_OK) {
        rc = store_fail(st, rc);
        goto rollback;
    }
    if (!added) {
        snprintf(st->err, sizeof(st->err), "a list holds at most %d shows", max_shows);
        rc = STORE_ELIMIT;
        goto rollback;
    }
    if ((rc = bump_and_commit(st, id)) != STORE_OK)
        goto rollback;
    return STORE_OK;
rollback:
    db_rollback(st->db);
    return rc;
}

int store_list_remove_show(store *st, int64_t id, const char *owner, int64_t show_id)
{
    db_val p[2] = {dbv_int(id), dbv_int(show_id)};

    return list_change(st, id, owner, "DELETE FROM list_shows WHERE list_id = $1 AND show_id = $2",
                       p, 2, 1);
}

static void *read_id(db_rows *r, arena *a)
{
    int64_t *v = arena_alloc(a, sizeof(*v));

    if (v)
        *v = db_col_int(r, 0);
    return v;
}

int store_list_show_ids(store *st, int64_t id, arena *a, int64_t **ids, size_t *n)
{
    db_val p = dbv_int(id);
    store_page page;
    int rc = store_collect(st, "SELECT show_id FROM list_shows WHERE list_id = $1 ORDER BY show_id",
                           &p, 1, a, read_id, &page);

    *ids = NULL;
    *n = 0;
    if (rc != STORE_OK)
        return rc;
    if (!(*ids = arena_alloc(a, (page.n + 1) * sizeof(**ids))))
        return STORE_ERR;
    for (size_t i = 0; i < page.n; i++)
        (*ids)[i] = *(int64_t *)page.rows[i];
    *n = page.n;
    return STORE_OK;
}
