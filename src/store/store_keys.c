/* API keys: hashes only. */
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

/* Ends a key write begun by db_begin_write: when rc is STORE_OK, bumps
 * keys_version (so every API process reloads its keys) and commits;
 * otherwise, or when that fails, rolls back. Returns the outcome. */
static int finish_key_write(store *st, int rc)
{
    if (rc == STORE_OK) {
        rc = db_exec(st->db, "UPDATE meta SET value = value + 1 WHERE key = 'keys_version'", NULL,
                     0, NULL);
        if (rc == DB_OK)
            rc = db_commit(st->db);
        if (rc == DB_OK)
            return STORE_OK;
        rc = store_fail(st, rc);
    }
    db_rollback(st->db);
    return rc;
}

int store_key_create(store *st, const char *name, const char *prefix, const char *sha256_hex,
                     int64_t *id)
{
    db_val p[4] = {dbv_text(name), dbv_text(prefix), dbv_text(sha256_hex), dbv_int(time(NULL))};
    db_rows *r;
    int rc;

    *id = 0;
    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    rc = db_query(st->db,
                  "INSERT INTO api_keys (name, prefix, sha256, created_at)"
                  " VALUES ($1, $2, $3, $4) RETURNING id",
                  p, 4, &r);
    if (rc != DB_OK)
        return finish_key_write(st, store_fail(st, rc));
    rc = db_next(r);
    if (rc == 1)
        *id = db_col_int(r, 0);
    db_rows_close(r);
    return finish_key_write(st, rc == 1 ? STORE_OK : store_fail(st, DB_ERR));
}

int store_key_revoke(store *st, int64_t id)
{
    db_val p[2] = {dbv_int(time(NULL)), dbv_int(id)};
    int64_t changed = 0;
    int rc;

    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    rc = db_exec(st->db, "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                 p, 2, &changed);
    if (rc != DB_OK)
        return finish_key_write(st, store_fail(st, rc));
    return finish_key_write(st, changed ? STORE_OK : STORE_ENOTFOUND);
}

static void *read_key_row(db_rows *r, arena *a)
{
    store_key *k = arena_calloc(a, sizeof(*k));

    if (!k)
        return NULL;
    k->id = db_col_int(r, 0);
    k->name = arena_strdup(a, db_col_text(r, 1, NULL));
    k->prefix = arena_strdup(a, db_col_text(r, 2, NULL));
    k->sha256 = arena_strdup(a, db_col_text(r, 3, NULL));
    k->created_at = db_col_int(r, 4);
    k->last_used_at = db_col_int(r, 5);
    k->revoked_at = db_col_int(r, 6);
    return k;
}

int store_key_list(store *st, int active_only, arena *a, store_page *out)
{
    db_val p = dbv_int(active_only);
    int rc = store_collect(st,
                           "SELECT id, name, prefix, sha256, created_at, coalesce(last_used_at, 0),"
                           " coalesce(revoked_at, 0) FROM api_keys"
                           " WHERE $1 = 0 OR revoked_at IS NULL ORDER BY id",
                           &p, 1, a, read_key_row, out);

    out->total = (int64_t)out->n;
    return rc;
}

int store_key_touch(store *st, int64_t id, int64_t last_used_at)
{
    db_val p[2] = {dbv_int(last_used_at), dbv_int(id)};
    int rc = db_exec(st->db,
                     "UPDATE api_keys SET last_used_at = $1 WHERE id = $2"
                     " AND (last_used_at IS NULL OR last_used_at < $1)",
                     p, 2, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_keys_version(store *st, int64_t *version)
{
    return store_query_int(st, "SELECT value FROM meta WHERE key = 'keys_version'", NULL, 0,
                           version);
}
