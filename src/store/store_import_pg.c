/* PostgreSQL's write of a (day, source): the batch is streamed with COPY
 * into temporary staging tables and merged with one set-based statement per
 * table, the ids resolved by joins on the server instead of travelling back
 * and forth. Every rule of the SQLite path holds: a row is written only when
 * a value changes (an identical stored row is passed over without even a
 * row lock, so an unchanged re-import writes nothing), an older TVmaze
 * payload never overwrites a newer one, an episode copies its show as
 * stored, and an episode goes only when no source lists it any more. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/import_rows.h"
#include "util/hash.h"

/* A day's transaction in two parts. First, side by side with the other
 * import connections, what touches no row another day's write may change:
 * the day's listings it no longer has, dropped, and its new distributors,
 * shows and episodes, each episode with its listing (insert_new_rows), the
 * bulk of a first import. Then, one transaction at a time under the import's
 * lock (LOCK_SQL), what changes or removes stored rows, as the others
 * committed them: the merges, the listings of episodes stored before, the
 * episodes a show's change must reach, the removals. Under the lock,
 * concurrent days share shows and channels without deadlocks (their
 * upserts would take them in different orders) and an episode copies its
 * show as last committed. The rows of the feed are written under it too,
 * in the order the transactions commit: the trigger that writes them takes
 * the lock first (PG_CHANGES_IN_COMMIT_ORDER, schema.c), and a day's new
 * episodes wait for it there, at the end of their statement. Two writers
 * of the same day, a job beside a run, take turns from their first read
 * of the day's listings (lock_unit).
 *
 * The parts before the lock never wait on a transaction that holds it and
 * waits in turn on them: they insert only rows no one has stored (and wait,
 * in key order, only for a writer inserting the same), and they lock no
 * stored row the serial part would change (a new episode's show and a new
 * listing's episode are locked KEY SHARE, which no update of theirs
 * conflicts with). Three writers can still wait in a circle, by a row
 * inserted before the lock by one and merged under it by another; the
 * server ends one of them, and its day is run again (STORE_ERETRY).
 *
 * A day's commit does not wait for its flush to disk: a crash can lose the
 * last days written, never half of one, and the run's final status,
 * committed synchronously after them, is durable only with them.
 *
 * Every statement joins a few hundred staged rows to a table by a unique
 * index: hashing or sorting a whole table instead, as the planner may when
 * the table's statistics are stale (they are during a first import), costs
 * a scan of it per day; the transaction turns those joins off. The merges
 * are prepared once per connection (their text never changes): parsing
 * and planning them for every day cost more than a tenth of the lock's
 * time. Their plans, made at the first day, maybe on empty tables, stay
 * right as the tables grow: a nested loop over the staged rows, each
 * looked up by a unique index. (The listings' statements, whose NOT IN
 * may or may not be hashed, are planned afresh.)
 *
 * The staging tables: the batch's rows, typed like their tables, with the
 * TVmaze ids of what a row refers to where the table holds our ids. Made
 * once per connection (they live as long as it does), emptied at every
 * commit. */
#define BEGIN_SQL                                                                                  \
    "SET LOCAL synchronous_commit = off;"                                                          \
    "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off;"                           \
    "CREATE TEMP TABLE IF NOT EXISTS stage_distributors ON COMMIT DELETE ROWS AS"                  \
    " SELECT kind, tvmaze_id, name, country_code, country_name, country_timezone,"                 \
    " official_site, updated FROM distributors WITH NO DATA;"                                      \
    "CREATE TEMP TABLE IF NOT EXISTS stage_shows ON COMMIT DELETE ROWS AS"                         \
    " SELECT tvmaze_id, name, url, type, language, status, runtime, average_runtime,"              \
    " premiered, ended, official_site, schedule_time, schedule_days, rating, weight,"              \
    " network_id AS network_tvmaze_id, web_channel_id AS web_channel_tvmaze_id, genres,"           \
    " image_medium, image_original, summary, updated, imdb, thetvdb, search_name"                  \
    " FROM shows WITH NO DATA;"                                                                    \
    "CREATE TEMP TABLE IF NOT EXISTS stage_episodes ON COMMIT DELETE ROWS AS"                      \
    " SELECT tvmaze_id, show_id AS show_tvmaze_id, name, season, number, type, airdate,"           \
    " airtime, airstamp, runtime, rating, image_medium, image_original, summary, url,"             \
    " time_sort, number_sort FROM episodes WITH NO DATA;"                                          \
    "CREATE TEMP TABLE IF NOT EXISTS stage_copies ON COMMIT DELETE ROWS AS"                        \
    " SELECT show_id, show_name, show_rating, network_id, web_channel_id"                          \
    " FROM episodes WITH NO DATA"

#define LOCK_SQL      "SELECT pg_advisory_xact_lock(7263002)"
#define UNIT_LOCK_SQL "SELECT pg_advisory_xact_lock(7263003, $1::int)"

static const char *const stage_show_cols[SHOW_WIDTH] = {"tvmaze_id",
                                                        "name",
                                                        "url",
                                                        "type",
                                                        "language",
                                                        "status",
                                                        "runtime",
                                                        "average_runtime",
                                                        "premiered",
                                                        "ended",
                                                        "official_site",
                                                        "schedule_time",
                                                        "schedule_days",
                                                        "rating",
                                                        "weight",
                                                        "network_tvmaze_id",
                                                        "web_channel_tvmaze_id",
                                                        "genres",
                                                        "image_medium",
                                                        "image_original",
                                                        "summary",
                                                        "updated",
                                                        "imdb",
                                                        "thetvdb",
                                                        "search_name"};
static const char *const stage_ep_cols[EP_OWN_WIDTH] = {
    "tvmaze_id",      "show_tvmaze_id", "name",     "season",    "number",     "type",
    "airdate",        "airtime",        "airstamp", "runtime",   "rating",     "image_medium",
    "image_original", "summary",        "url",      "time_sort", "number_sort"};

/* What the merge of each table selects for each of its columns. A show's
 * distributors are looked up by a subquery each, which a plan made while
 * the table is empty still answers by its unique index (joined instead,
 * such a plan reads all the distributors of a kind for every show). */
#define S(c) "s." c
#define DIST_ID(kind, ref)                                                                         \
    "(SELECT d.id FROM distributors d WHERE d.kind = '" kind "' AND d.tvmaze_id = s." ref ")"
static const char *const dist_exprs[DIST_WIDTH] = {
    S("kind"),         S("tvmaze_id"),        S("name"),          S("country_code"),
    S("country_name"), S("country_timezone"), S("official_site"), S("updated")};
static const char *const show_exprs[SHOW_WIDTH] = {S("tvmaze_id"),
                                                   S("name"),
                                                   S("url"),
                                                   S("type"),
                                                   S("language"),
                                                   S("status"),
                                                   S("runtime"),
                                                   S("average_runtime"),
                                                   S("premiered"),
                                                   S("ended"),
                                                   S("official_site"),
                                                   S("schedule_time"),
                                                   S("schedule_days"),
                                                   S("rating"),
                                                   S("weight"),
                                                   DIST_ID("network", "network_tvmaze_id"),
                                                   DIST_ID("web", "web_channel_tvmaze_id"),
                                                   S("genres"),
                                                   S("image_medium"),
                                                   S("image_original"),
                                                   S("summary"),
                                                   S("updated"),
                                                   S("imdb"),
                                                   S("thetvdb"),
                                                   S("search_name")};
static const char *const ep_exprs[EP_WIDTH] = {
    S("tvmaze_id"),     "sh.id",           S("name"),           S("season"),   S("number"),
    S("type"),          S("airdate"),      S("airtime"),        S("airstamp"), S("runtime"),
    S("rating"),        S("image_medium"), S("image_original"), S("summary"),  S("url"),
    S("time_sort"),     S("number_sort"),  "sh.name",           "sh.rating",   "sh.network_id",
    "sh.web_channel_id"};
#undef S
#undef DIST_ID

/* an episode takes its show's name, rating and distributors as stored:
 * after the shows' merge, that is the newest payload of each */
#define EPISODES_FROM "stage_episodes s JOIN shows sh ON sh.tvmaze_id = s.show_tvmaze_id"

/* The listings this source had for the day of episodes the batch no
 * longer lists, dropped first: on a day listed for the first time the
 * DELETE finds none and gathers nothing. NOT IN: each side's ids are
 * gathered once (a hashed subplan), not looked for once per row of the
 * other. Only episodes stored before the merges can be listed already, and
 * a merge keeps an episode's id, so the merges need not come first. */
static const char stale_sql[] =
    "DELETE FROM listings l WHERE l.source = $1 AND l.day = $2 AND l.episode_id NOT IN"
    " (SELECT e.id FROM stage_episodes s JOIN episodes e ON e.tvmaze_id = s.tvmaze_id)"
    " RETURNING l.episode_id";

/* The day's listings of episodes stored before its new ones, or by another
 * writer meanwhile. A batch holds an episode once (tv_batch_episode) and
 * lock_unit keeps any other writer of the day's listings out until this
 * one commits, so the INSERT needs no ON CONFLICT (a speculative insertion
 * costs a third more than a plain one). */
static const char listings_sql[] =
    "INSERT INTO listings (source, day, episode_id) SELECT $1::text, $2::text, e.id"
    " FROM stage_episodes s JOIN episodes e ON e.tvmaze_id = s.tvmaze_id"
    " WHERE e.id NOT IN (SELECT l.episode_id FROM listings l WHERE l.source = $1"
    " AND l.day = $2)";

/* "INSERT INTO table (cols) SELECT exprs FROM from WHERE NOT EXISTS (SELECT
 * 1 FROM table t WHERE" and the test of the keys: what a merge and an
 * insert of new rows begin with. */
static int select_sql(buf *out, const db_upsert_spec *spec, const char *const *exprs,
                      const char *from)
{
    int rc = buf_printf(out, "INSERT INTO %s (", spec->table);

    for (int i = 0; i < spec->ncols; i++)
        rc |= buf_printf(out, "%s%s", i ? ", " : "", spec->cols[i]);
    rc |= buf_puts(out, ") SELECT ");
    for (int i = 0; i < spec->ncols; i++)
        rc |= buf_printf(out, "%s%s", i ? ", " : "", exprs[i]);
    rc |=
        buf_printf(out, " FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE ", from, spec->table);
    for (int i = 0; i < spec->nkeys; i++)
        rc |= buf_printf(out, "%st.%s = %s", i ? " AND " : "", spec->cols[i], exprs[i]);
    return rc;
}

/* INSERT … SELECT exprs FROM from, leaving out the rows stored already with
 * the same values (the ON CONFLICT clause's change test, negated, checked
 * before the insert so that an unchanged row is not even locked), then the
 * spec's ON CONFLICT clause for the rest. */
static int merge_sql(buf *out, const db_upsert_spec *spec, const char *const *exprs,
                     const char *from)
{
    int last = spec->ncols - spec->insert_only, rc;

    assert(spec->nkeys > 0 && spec->nkeys < last);
    rc = select_sql(out, spec, exprs, from);
    rc |= buf_puts(out, " AND (");
    for (int i = spec->nkeys; i < last; i++)
        rc |= buf_printf(out, "%st.%s", i > spec->nkeys ? ", " : "", spec->cols[i]);
    rc |= buf_puts(out, ") IS NOT DISTINCT FROM (");
    for (int i = spec->nkeys; i < last; i++) {
        const char *sep = i > spec->nkeys ? ", " : "";
        if (spec->keep_on_null) /* a null leaves the stored value: no change */
            rc |= buf_printf(out, "%scoalesce(%s, t.%s)", sep, exprs[i], spec->cols[i]);
        else
            rc |= buf_printf(out, "%s%s", sep, exprs[i]);
    }
    rc |= buf_puts(out, "))");
    rc |= db_upsert_conflict_sql(spec, out);
    return rc ? -1 : 0;
}

/* INSERT … SELECT exprs FROM from of the rows not stored yet, in the order
 * of their keys, a row another writer stores meanwhile passed over (the
 * merge under the lock compares the two). Key order: two writers of rows
 * in common wait for each other in one order, never in a circle. */
static int insert_new_sql(buf *out, const db_upsert_spec *spec, const char *const *exprs,
                          const char *from)
{
    int rc;

    assert(spec->nkeys > 0);
    rc = select_sql(out, spec, exprs, from);
    rc |= buf_puts(out, ") ORDER BY ");
    for (int i = 0; i < spec->nkeys; i++)
        rc |= buf_printf(out, "%s%s", i ? ", " : "", exprs[i]);
    rc |= buf_puts(out, " ON CONFLICT (");
    for (int i = 0; i < spec->nkeys; i++)
        rc |= buf_printf(out, "%s%s", i ? ", " : "", spec->cols[i]);
    rc |= buf_puts(out, ") DO NOTHING");
    return rc ? -1 : 0;
}

/* Runs the merge of one table (none when nothing was staged); *changes:
 * rows inserted or changed. With changed_ids, the ids of the rows changed
 * that were stored before this merge (the spec returns "x, id"): a row
 * inserted now has no other unit's listing to forget nor any stored
 * episode to follow it, and during a first import rows changed are far
 * fewer than rows inserted. Told apart by id: a row inserted takes the
 * next id of the table's identity, above every id stored before, while a
 * row changed keeps its id. The highest id stored before is read once (an
 * uncorrelated subquery), at the first row returned: the statement reads
 * the table as it was before it, and only one row it wrote lies past the
 * end of the index by then, rather than all of them. */
static int merge(writer *w, const db_upsert_spec *spec, const char *const *exprs, const char *from,
                 size_t staged, idmap *changed_ids, int64_t *changes)
{
    db_upsert_spec flagged = *spec;
    char returning[256];
    buf sql;
    db_rows *r = NULL;
    int rc;

    *changes = 0;
    if (!staged)
        return STORE_OK;
    if (changed_ids) {
        assert(spec->returning);
        snprintf(returning, sizeof(returning),
                 "%s, (id <= (SELECT coalesce(max(o.id), 0) FROM %s o))::int", spec->returning,
                 spec->table);
        flagged.returning = returning;
    }
    buf_init(&sql, 1 << 16);
    if (merge_sql(&sql, &flagged, exprs, from) != 0) {
        buf_free(&sql);
        return STORE_ERR;
    }
    if (!changed_ids) {
        rc = db_exec(w->st->db, sql.data, NULL, 0, changes);
        buf_free(&sql);
        return rc == DB_OK ? STORE_OK : store_fail(w->st, rc);
    }
    rc = db_query(w->st->db, sql.data, NULL, 0, &r);
    buf_free(&sql);
    if (rc != DB_OK)
        return store_fail(w->st, rc);
    while ((rc = db_next(r)) == 1) {
        if (db_col_int(r, 2) && idmap_put(changed_ids, db_col_int(r, 0), db_col_int(r, 1)) != 0) {
            rc = -1;
            break;
        }
        (*changes)++;
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(w->st, DB_ERR) : STORE_OK;
}

/* Inserts the staged rows of one table not stored yet (insert_new_sql),
 * the statement put between before and after (NULL: none); *n: the rows
 * the whole statement wrote. */
static int insert_new(writer *w, const db_upsert_spec *spec, const char *const *exprs,
                      const char *from, const char *before, const char *after, const db_val *p,
                      int np, int64_t *n)
{
    buf sql;
    int rc;

    *n = 0;
    buf_init(&sql, 1 << 16);
    if ((before && buf_puts(&sql, before) != 0) || insert_new_sql(&sql, spec, exprs, from) != 0 ||
        (after && buf_puts(&sql, after) != 0)) {
        buf_free(&sql);
        return STORE_ERR;
    }
    rc = db_exec(w->st->db, sql.data, p, np, n);
    buf_free(&sql);
    return rc == DB_OK ? STORE_OK : store_fail(w->st, rc);
}

/* What the insert of the new episodes goes on with, in its statement: their
 * listing; the show's copy each took (what a show changed by another
 * writer before the lock is compared with: show_copies_changed); and their
 * rows out of the staging table, which the merges under the lock then need
 * not look at (a row another writer inserted meanwhile stays, for them).
 * The IN is kept from becoming a join (IS TRUE): as a hashed subplan, the
 * new ids are gathered once, with no hash join. The statement's count: the
 * episodes inserted. */
#define NEW_EPISODES_THEN                                                                          \
    " RETURNING id, tvmaze_id, show_id, show_name, show_rating, network_id, web_channel_id),"      \
    " l AS (INSERT INTO listings (source, day, episode_id) SELECT $1::text, $2::text, id FROM n)," \
    " c AS (INSERT INTO stage_copies SELECT DISTINCT show_id, show_name, show_rating, network_id," \
    " web_channel_id FROM n)"                                                                      \
    " DELETE FROM stage_episodes s WHERE (s.tvmaze_id IN (SELECT tvmaze_id FROM n)) IS TRUE"

/* The day's new rows, written before the lock: the bulk of a first
 * import's work, done by the import's connections side by side. New
 * distributors, then new shows (which refer to them), then new episodes
 * with their listing, each row in key order (insert_new_sql). Nothing here
 * updates or deletes a stored row, and a new episode is listed only by the
 * transaction that inserts it: what needs the rows as the others committed
 * them waits for the lock (store_pg_write_rows). The feed's rows for the
 * episodes are not written here but by their trigger, at the end of the
 * statement, which takes the lock first (PG_CHANGES_IN_COMMIT_ORDER). */
static int insert_new_rows(writer *w, const db_val *p, size_t ndists, size_t nshows,
                           int64_t *inserted, int64_t *listed)
{
    int64_t dists = 0, shows = 0;
    int rc;

    *inserted = *listed = 0;
    if ((ndists && (rc = insert_new(w, &store_dist_spec, dist_exprs, "stage_distributors s", NULL,
                                    NULL, NULL, 0, &dists))) ||
        (nshows && (rc = insert_new(w, &store_show_spec, show_exprs, "stage_shows s", NULL, NULL,
                                    NULL, 0, &shows))) ||
        (w->written && (rc = insert_new(w, &store_ep_spec, ep_exprs, EPISODES_FROM, "WITH n AS (",
                                        NEW_EPISODES_THEN, p, 2, listed))))
        return rc;
    *inserted = dists + shows + *listed;
    return STORE_OK;
}

static int copy_rows(writer *w, const char *table, const char *const *cols, int ncols, size_t n)
{
    int rc = n ? db_copy(w->st->db, table, cols, ncols, w->vals, n) : DB_OK;

    return rc == DB_OK ? STORE_OK : store_fail(w->st, rc);
}

static db_val tvmaze_ref(const tv_distributor *d)
{
    return d ? dbv_int(d->tvmaze_id) : dbv_null();
}

/* The batch's distributors and shows this connection has not written as
 * they are, into their staging tables; *ndists, *nshows: how many. */
static int stage_dists_and_shows(writer *w, size_t *ndists, size_t *nshows)
{
    const tv_batch *b = w->b;
    size_t cap = b->ndists * DIST_WIDTH > b->nshows * SHOW_WIDTH ? b->ndists * DIST_WIDTH
                                                                 : b->nshows * SHOW_WIDTH;
    db_val *v = store_scratch_rows(w, cap + 1);
    int rc;

    if (!v)
        return STORE_ERR;
    for (size_t i = 0; i < b->ndists; i++)
        store_dist_values(b->dists[i], v + i * DIST_WIDTH);
    *ndists = store_skip_unchanged(w, v, b->ndists, DIST_WIDTH, store_dist_row_key, 1, NULL);
    if (*ndists == SIZE_MAX)
        return STORE_ERR;
    if ((rc = copy_rows(w, "stage_distributors", store_dist_cols, DIST_WIDTH, *ndists)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < b->nshows; i++) {
        const tv_show *s = b->shows[i];
        store_show_values(s, tvmaze_ref(s->network), tvmaze_ref(s->web_channel),
                          v + i * SHOW_WIDTH);
    }
    *nshows = store_skip_unchanged(w, v, b->nshows, SHOW_WIDTH, store_show_row_key, 0, NULL);
    if (*nshows == SIZE_MAX)
        return STORE_ERR;
    return copy_rows(w, "stage_shows", stage_show_cols, SHOW_WIDTH, *nshows);
}

/* The batch's dated episodes of a show, into their staging table. */
static int stage_episodes(writer *w)
{
    const tv_batch *b = w->b;
    db_val *v = store_scratch_rows(w, b->nepisodes * EP_OWN_WIDTH + 1);
    size_t n = 0;

    if (!v)
        return STORE_ERR;
    for (size_t i = 0; i < b->nepisodes; i++) {
        const tv_episode *e = b->episodes[i];
        if (!e->airdate || !e->show)
            continue; /* undated: nothing a schedule can show */
        store_episode_values(e, e->show->tvmaze_id, v + n * EP_OWN_WIDTH);
        n++;
    }
    assert(n <= b->nepisodes);
    w->written = n;
    return copy_rows(w, "stage_episodes", stage_ep_cols, EP_OWN_WIDTH, n);
}

/* The stored episodes of the shows this batch changed follow their show.
 * The ids go in a buffer of their own: w->ids holds the day's unlisted
 * episodes until remove_orphans. */
static int follow_shows(writer *w, const idmap *changed)
{
    static const char sql[] = DENORM_SQL(PG_IDS);
    int64_t n = 0;
    db_val ids;
    buf list;
    int rc = 0;

    if (!changed->n)
        return STORE_OK;
    buf_init(&list, (size_t)1 << 28);
    rc |= buf_putc(&list, '[');
    for (size_t i = 0; i < changed->cap; i++)
        if (changed->used[i])
            rc |= buf_printf(&list, "%s%lld", list.len > 1 ? "," : "", (long long)changed->vals[i]);
    rc |= buf_putc(&list, ']');
    if (rc != 0) {
        buf_free(&list);
        return STORE_ERR;
    }
    ids = dbv_textn(list.data, list.len);
    rc = db_exec(w->st->db, sql, &ids, 1, &n);
    buf_free(&list);
    if (rc != DB_OK)
        return store_fail(w->st, rc);
    w->stats.upserted += n;
    return STORE_OK;
}

/* The listings the day dropped (stale_sql): their episode ids into w->ids,
 * *unlisted counting them. */
static int unlist_stale(writer *w, const db_val *p, int64_t *unlisted)
{
    db_rows *r;
    int rc = db_query_fresh(w->st->db, stale_sql, p, 2, &r);

    if (rc != DB_OK)
        return store_fail(w->st, rc);
    return store_read_unlisted(w, r, unlisted);
}

/* The episodes the day dropped (w->ids) that no source lists any more,
 * removed. */
static int remove_orphans(writer *w, int64_t unlisted)
{
    static const char orphans_sql[] = ORPHANS_SQL(PG_IDS);
    db_val ids = store_ids_end(w);
    int64_t removed = 0;
    int rc;

    if (unlisted && (rc = db_exec(w->st->db, orphans_sql, &ids, 1, &removed)) != DB_OK)
        return store_fail(w->st, rc);
    w->stats.removed += removed;
    return STORE_OK;
}

/* The shows another writer changed between the insert of the day's new
 * episodes and the lock (their copies in stage_copies, taken then): into
 * w->show_changed, which their episodes, the new ones with the others,
 * follow (follow_shows). No show changes but under the lock, so none can
 * change from here to the commit. */
static int show_copies_changed(writer *w)
{
    static const char sql[] =
        "SELECT sh.tvmaze_id, sh.id FROM stage_copies c JOIN shows sh ON sh.id = c.show_id"
        " WHERE (c.show_name, c.show_rating, c.network_id, c.web_channel_id) IS DISTINCT FROM"
        " (sh.name, sh.rating, sh.network_id, sh.web_channel_id)";

    return store_load_map(w, sql, NULL, 0, &w->show_changed, 0);
}

/* Another writer of the same (day, source), a job beside a run, waits here
 * for this one's commit, from before its first read of the day's listings
 * to its last write of them. A key for each pair of the day and source
 * (UNIT_LOCK_SQL's two-number keys are apart from LOCK_SQL's one-number
 * keys): a clash of two pairs on one key only makes one wait. */
static int lock_unit(writer *w, const char *source, const char *day)
{
    char unit[64] = {0};
    int len = snprintf(unit, sizeof(unit), "%s %s", source, day);
    size_t n = len > 0 && (size_t)len < sizeof(unit) ? (size_t)len : sizeof(unit) - 1;
    db_val key = dbv_int((int32_t)(hash_fnv1a(unit, n) & 0x7fffffff));
    int rc = db_exec(w->st->db, UNIT_LOCK_SQL, &key, 1, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(w->st, rc);
}

int store_pg_write_rows(writer *w, const char *source, const char *day)
{
    db_val p[2] = {dbv_text(source), dbv_text(day)};
    int64_t dists = 0, shows = 0, episodes = 0, added = 0, unlisted = 0, inserted = 0,
            listed_new = 0;
    size_t ndists = 0, nshows = 0;
    int rc;

    if ((rc = db_script(w->st->db, BEGIN_SQL)) != DB_OK)
        return store_fail(w->st, rc);
    if ((rc = stage_dists_and_shows(w, &ndists, &nshows)) != STORE_OK ||
        (rc = stage_episodes(w)) != STORE_OK || (rc = lock_unit(w, source, day)) != STORE_OK ||
        (rc = unlist_stale(w, p, &unlisted)) != STORE_OK ||
        (rc = insert_new_rows(w, p, ndists, nshows, &inserted, &listed_new)) != STORE_OK)
        return rc;
    assert(listed_new >= 0 && (size_t)listed_new <= w->written);
    if ((rc = db_script(w->st->db, LOCK_SQL)) != DB_OK)
        return store_fail(w->st, rc);
    if ((rc = merge(w, &store_dist_spec, dist_exprs, "stage_distributors s", ndists, NULL,
                    &dists)) ||
        (rc = merge(w, &store_show_spec, show_exprs, "stage_shows s", nshows, &w->show_changed,
                    &shows)) ||
        (rc = merge(w, &store_ep_spec, ep_exprs, EPISODES_FROM, w->written - (size_t)listed_new,
                    &w->ep_changed, &episodes)))
        return rc;
    /* the episodes stored before, or by another writer meanwhile */
    if ((size_t)listed_new < w->written &&
        (rc = db_exec_fresh(w->st->db, listings_sql, p, 2, &added)) != DB_OK)
        return store_fail(w->st, rc);
    if (listed_new && (rc = show_copies_changed(w)) != STORE_OK)
        return rc;
    added += listed_new;
    w->stats.upserted += inserted + dists + shows + episodes;
    /* what the day held: the rows listed again, and the ones dropped */
    w->stats.listed_before = (int64_t)w->written - added + unlisted;
    w->stats.unlisted = unlisted;
    if ((rc = follow_shows(w, &w->show_changed)) != STORE_OK)
        return rc;
    return remove_orphans(w, unlisted);
}
