/* The change feed's reads and its pruning (the rows are written by the
 * triggers of schema.c, in the transactions that change episodes). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

#define CHANGE_COLS                                                                                \
    "c.seq, c.created_at, c.kind, c.episode_id, c.episode_tvmaze_id, c.show_id, c.name,"           \
    " c.season, c.number, c.airdate_before, c.airtime_before, c.airstamp_before, c.airdate,"       \
    " c.airtime, c.airstamp,"                                                                      \
    " (SELECT x.episode_order FROM seasons x WHERE x.show_id = c.show_id AND x.number = c.season)"
#define CHANGE_NCOLS 16

static void *read_change(db_rows *r, arena *a)
{
    store_change *c = arena_calloc(a, sizeof(*c));

    if (!c)
        return NULL;
    c->seq = db_col_int(r, 0);
    c->created_at = db_col_int(r, 1);
    c->kind = store_text(r, a, 2);
    c->episode_id = db_col_int(r, 3);
    c->episode_tvmaze_id = db_col_int(r, 4);
    c->show_id = db_col_int(r, 5);
    c->name = store_text(r, a, 6);
    c->season = (int32_t)db_col_int(r, 7);
    if ((c->has_number = !db_col_null(r, 8)))
        c->number = (int32_t)db_col_int(r, 8);
    c->airdate_before = store_text(r, a, 9);
    c->airtime_before = store_text(r, a, 10);
    c->airstamp_before = store_text(r, a, 11);
    c->airdate = store_text(r, a, 12);
    c->airtime = store_text(r, a, 13);
    c->airstamp = store_text(r, a, 14);
    c->season_length = db_col_null(r, 15) ? 0 : (int32_t)db_col_int(r, 15);
    return c;
}

int store_changes_after(store *st, int64_t after, int limit, arena *a, store_page *out)
{
    db_val p[2] = {dbv_int(after), dbv_int(limit)};

    out->total = 0;
    return store_collect(st,
                         "SELECT " CHANGE_COLS " FROM changes c WHERE c.seq > $1"
                         " ORDER BY c.seq LIMIT $2",
                         p, 2, a, read_change, out);
}

int store_changes_bounds(store *st, int64_t *pruned, int64_t *latest)
{
    int rc = store_query_int(st, "SELECT value FROM meta WHERE key = 'changes_pruned_seq'", NULL, 0,
                             pruned);

    if (rc != STORE_OK)
        return rc;
    /* the latest seq ever given, even when its row is pruned: never less
     * than what was pruned */
    if ((rc = store_query_int(st, "SELECT coalesce(max(seq), 0) FROM changes", NULL, 0, latest)) !=
        STORE_OK)
        return rc;
    if (*latest < *pruned)
        *latest = *pruned;
    return STORE_OK;
}

int store_changes_prune(store *st, int64_t before, int64_t *removed)
{
    db_val p = dbv_int(before);
    int64_t last = 0;
    int rc;

    *removed = 0;
    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = store_query_int(st, "SELECT coalesce(max(seq), 0) FROM changes WHERE created_at < $1",
                              &p, 1, &last)) != STORE_OK)
        goto rollback;
    if (last > 0) {
        db_val q = dbv_int(last);
        if ((rc = db_exec(st->db, "DELETE FROM changes WHERE seq <= $1", &q, 1, removed)) !=
                DB_OK ||
            (rc = db_exec(st->db,
                          "UPDATE meta SET value = $1 WHERE key = 'changes_pruned_seq'"
                          " AND value < $1",
                          &q, 1, NULL)) != DB_OK ||
            (rc = db_exec(st->db, STORE_BUMP_GENERATION, NULL, 0, NULL)) != DB_OK) {
            rc = store_fail(st, rc);
            goto rollback;
        }
    }
    return store_commit(st);
rollback:
    db_rollback(st->db);
    return rc;
}

/* The cursor is the change's seq: opaque to clients, monotonic, the same in
 * every process and across restarts. */
void store_change_cursor(int64_t seq, char out[STORE_CURSOR_LEN + 1])
{
    snprintf(out, STORE_CURSOR_LEN + 1, "c%016" PRIx64, (uint64_t)seq);
}

int store_change_cursor_parse(const char *s, size_t n, int64_t *seq)
{
    uint64_t v = 0;

    if (n != STORE_CURSOR_LEN || s[0] != 'c')
        return -1;
    for (size_t i = 1; i < n; i++) {
        int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                                             : -1;
        if (d < 0)
            return -1;
        v = v << 4 | (uint64_t)d;
    }
    if (v > INT64_MAX)
        return -1;
    *seq = (int64_t)v;
    return 0;
}
