/* Seasons (services/seasons.h): which shows need theirs asked for, and
 * what TVmaze answered, written per batch of shows in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

static const char *const season_cols[] = {"show_id",       "number",        "tvmaze_id",
                                          "episode_order", "premiere_date", "end_date"};
static const db_upsert_spec season_spec = {
    .table = "seasons", .cols = season_cols, .ncols = 6, .nkeys = 2};
static const char *const check_cols[] = {"show_id", "checked_at", "ok"};
static const db_upsert_spec check_spec = {
    .table = "season_checks", .cols = check_cols, .ncols = 3, .nkeys = 1};

/* the seasons a show no longer lists */
static dialect_sql unlisted_sql =
    IDS_SQL("DELETE FROM seasons WHERE show_id = $1 AND number NOT IN ", "$2", "");

static void *read_due(db_rows *r, arena *a)
{
    store_season_due *d = arena_calloc(a, sizeof(*d));

    if (!d)
        return NULL;
    d->show_id = db_col_int(r, 0);
    d->tvmaze_id = db_col_int(r, 1);
    return d;
}

int store_seasons_due(store *st, const char *today, int64_t stale_before, int64_t new_before,
                      arena *a, store_page *out)
{
    /* the upcoming episodes are a range of the schedule's index; a show
     * comes once, at its first episode that makes it due */
    static const char sql[] =
        "SELECT e.show_id, s.tvmaze_id, min(e.airdate) FROM episodes e"
        " JOIN shows s ON s.id = e.show_id"
        " LEFT JOIN season_checks c ON c.show_id = e.show_id"
        " WHERE e.airdate >= $1 AND (c.show_id IS NULL OR c.checked_at < $2"
        " OR (c.checked_at < $3 AND c.ok = 1 AND NOT EXISTS (SELECT 1 FROM seasons x"
        " WHERE x.show_id = e.show_id AND x.number = e.season)))"
        " GROUP BY e.show_id, s.tvmaze_id ORDER BY 3, 2";
    db_val p[3] = {dbv_text(today), dbv_int(stale_before), dbv_int(new_before)};
    int rc = store_collect(st, sql, p, 3, a, read_due, out);

    out->total = rc == STORE_OK ? (int64_t)out->n : 0;
    return rc;
}

/* The season rows of one show, and the JSON list of their numbers. */
static int season_rows(const store_show_seasons *s, db_val *v, buf *numbers)
{
    int rc = buf_putc(numbers, '[');

    for (size_t i = 0; i < s->n; i++, v += 6) {
        const tv_season *x = &s->seasons[i];
        v[0] = dbv_int(s->show_id);
        v[1] = dbv_int(x->number);
        v[2] = x->tvmaze_id ? dbv_int(x->tvmaze_id) : dbv_null();
        v[3] = x->episode_order ? dbv_int(x->episode_order) : dbv_null();
        v[4] = x->premiere_date[0] ? dbv_text(x->premiere_date) : dbv_null();
        v[5] = x->end_date[0] ? dbv_text(x->end_date) : dbv_null();
        rc |= buf_printf(numbers, "%s%d", i ? "," : "", (int)x->number);
    }
    rc |= buf_putc(numbers, ']');
    return rc ? STORE_ERR : STORE_OK;
}

/* One show's seasons become exactly those listed; *changed counts rows. */
static int write_show(store *st, const store_show_seasons *s, int64_t *changed)
{
    db_val *v = s->n ? calloc(s->n * 6, sizeof(*v)) : NULL;
    db_val p[2];
    int64_t n = 0;
    buf numbers;
    int rc;

    buf_init(&numbers, (size_t)1 << 20);
    if ((s->n && !v) || season_rows(s, v, &numbers) != STORE_OK) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        rc = STORE_ERR;
        goto done;
    }
    if (s->n && (rc = db_upsert(st->db, &season_spec, v, s->n, &n, NULL, NULL)) != DB_OK) {
        rc = store_fail(st, rc);
        goto done;
    }
    *changed += n;
    p[0] = dbv_int(s->show_id);
    p[1] = dbv_textn(numbers.data, numbers.len);
    if ((rc = db_exec(st->db, store_sql(st, unlisted_sql), p, 2, &n)) != DB_OK) {
        rc = store_fail(st, rc);
        goto done;
    }
    *changed += n;
    rc = STORE_OK;
done:
    buf_free(&numbers);
    free(v);
    return rc;
}

static int write_once(store *st, const store_show_seasons *shows, size_t n, int64_t checked_at,
                      int64_t *changed)
{
    int rc;

    *changed = 0;
    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    for (size_t i = 0; i < n; i++) {
        db_val check[3] = {dbv_int(shows[i].show_id), dbv_int(checked_at),
                           dbv_int(shows[i].found ? 1 : 0)};
        if (shows[i].found && (rc = write_show(st, &shows[i], changed)) != STORE_OK)
            goto rollback;
        if ((rc = db_upsert(st->db, &check_spec, check, 1, NULL, NULL, NULL)) != DB_OK) {
            rc = store_fail(st, rc);
            goto rollback;
        }
    }
    /* the schedule holds each day per generation, the response cache each
     * answer: both must see the new lengths (the import's digests stay
     * good: no episode or show row changed) */
    if (*changed && (rc = db_exec(st->db, STORE_BUMP_GENERATION, NULL, 0, NULL)) != DB_OK) {
        rc = store_fail(st, rc);
        goto rollback;
    }
    return store_commit(st);
rollback:
    db_rollback(st->db);
    return rc;
}

int store_seasons_write(store *st, const store_show_seasons *shows, size_t n, int64_t checked_at,
                        int64_t *changed)
{
    int rc = STORE_ERETRY;

    /* a transaction that lost to a concurrent one (an import's) was rolled
     * back whole: run it again */
    for (int attempt = 0; attempt < STORE_RETRIES && rc == STORE_ERETRY; attempt++)
        rc = write_once(st, shows, n, checked_at, changed);
    return rc;
}
