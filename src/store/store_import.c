/* The import's write path: one (day, source) per transaction. What both
 * dialects share (the rows, the memo, the specs) and SQLite's statements;
 * PostgreSQL's set-based merge is store_import_pg.c. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/import_rows.h"
#include "util/idmap.h"

static const char *const listing_cols[] = {"source", "day", "episode_id"};
static const db_upsert_spec listing_spec = {"listings", listing_cols, 3, 3, NULL, 1};

static dialect_sql map_dists_sql =
    IDS_SQL("SELECT kind, tvmaze_id, id FROM distributors WHERE tvmaze_id IN ", "$1", "");
static dialect_sql stored_shows_sql =
    IDS_SQL("SELECT tvmaze_id, id, name, rating, network_id, web_channel_id FROM shows"
            " WHERE tvmaze_id IN ",
            "$1", "");
static dialect_sql map_episodes_sql =
    IDS_SQL("SELECT tvmaze_id, id FROM episodes WHERE tvmaze_id IN ", "$1", "");
static dialect_sql denorm_sql = {DENORM_SQL(SQLITE_IDS), DENORM_SQL(PG_IDS)};
static dialect_sql stale_listings_sql =
    IDS_SQL("DELETE FROM listings WHERE source = $1 AND day = $2 AND episode_id NOT IN ", "$3",
            " RETURNING episode_id");
static dialect_sql orphans_sql = {ORPHANS_SQL(SQLITE_IDS), ORPHANS_SQL(PG_IDS)};

int store_load_map(writer *w, const char *sql, const db_val *params, int nparams, idmap *map,
                   int keyed_by_kind)
{
    db_rows *r;
    int rc = db_query(w->st->db, sql, params, nparams, &r);

    if (rc != DB_OK)
        return store_fail(w->st, rc);
    while ((rc = db_next(r)) == 1) {
        int64_t key, id;
        if (keyed_by_kind) {
            const char *kind = db_col_text(r, 0, NULL);
            key = store_memo_key(kind && !strcmp(kind, "web") ? DIST_WEB : DIST_NETWORK,
                                 db_col_int(r, 1));
            id = db_col_int(r, 2);
        } else {
            key = db_col_int(r, 0);
            id = db_col_int(r, 1);
        }
        if (idmap_put(map, key, id) != 0) {
            rc = -1;
            break;
        }
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(w->st, DB_ERR) : STORE_OK;
}

/* store_load_map of a mapping query over the ids in w->ids. */
static int load_ids_map(writer *w, const char *sql, idmap *map, int keyed_by_kind)
{
    db_val ids = store_ids_end(w);

    return store_load_map(w, sql, &ids, 1, map, keyed_by_kind);
}

/* db_pair_fn: the (TVmaze id, our id) of a row written goes into a map. */
static void put_pair(void *map, int64_t tvmaze_id, int64_t id)
{
    idmap_put(map, tvmaze_id, id);
}

static int upsert(writer *w, const db_upsert_spec *spec, size_t nrows, idmap *written,
                  int64_t *changes)
{
    int64_t changed = 0;
    int rc =
        db_upsert(w->st->db, spec, w->vals, nrows, &changed, written ? put_pair : NULL, written);

    if (rc != DB_OK)
        return store_fail(w->st, rc);
    if (spec != &listing_spec)
        w->stats.upserted += changed;
    if (changes)
        *changes = changed;
    return STORE_OK;
}

static int write_distributors(writer *w)
{
    const tv_batch *b = w->b;
    db_val *v = store_scratch_rows(w, b->ndists * DIST_WIDTH);
    size_t n;

    if (!v && b->ndists)
        return STORE_ERR;
    store_ids_begin(w);
    for (size_t i = 0; i < b->ndists; i++, v += DIST_WIDTH)
        store_dist_values(b->dists[i], v);
    n = store_skip_unchanged(w, w->vals, b->ndists, DIST_WIDTH, store_dist_row_key, 1,
                             &w->dist_ids);
    if (n == SIZE_MAX)
        return STORE_ERR;
    for (size_t i = 0; i < n; i++)
        store_ids_add(w, w->vals[i * DIST_WIDTH + 1].i);
    if (!n)
        return STORE_OK;
    if (upsert(w, &store_dist_spec, n, NULL, NULL) != STORE_OK)
        return STORE_ERR;
    return load_ids_map(w, store_sql(w->st, map_dists_sql), &w->dist_ids, 1);
}

static db_val dist_ref(writer *w, const tv_distributor *d)
{
    int64_t id;

    if (d && idmap_get(&w->dist_ids, store_memo_key(d->kind, d->tvmaze_id), &id))
        return dbv_int(id);
    return dbv_null();
}

static int fill_show_row(writer *w, const tv_show *s, db_val *v)
{
    store_show_values(s, dist_ref(w, s->network), dist_ref(w, s->web_channel), v);
    return idmap_put(&w->show_index, s->tvmaze_id, (int64_t)(v - w->vals) / SHOW_WIDTH);
}

static int same_val(db_val a, db_val b)
{
    return a.type == b.type && (a.type != DBV_INT || a.i == b.i) &&
           (a.type != DBV_FLOAT || a.f == b.f);
}

static db_val col_val(db_rows *r, int col, db_type type)
{
    if (db_col_null(r, col))
        return dbv_null();
    return type == DBV_FLOAT ? dbv_float(db_col_float(r, col)) : dbv_int(db_col_int(r, col));
}

/* Notes a stored show's row: its id, and what its episodes copy when that
 * differs from this batch's payload. */
static int note_stored_show(writer *w, db_rows *r)
{
    int64_t tvmaze_id = db_col_int(r, 0), i;
    const char *name = db_col_text(r, 2, NULL);
    show_copy c = {NULL, col_val(r, 3, DBV_FLOAT), col_val(r, 4, DBV_INT), col_val(r, 5, DBV_INT)};
    const tv_show *s;

    if (idmap_put(&w->show_ids, tvmaze_id, db_col_int(r, 1)) != 0 ||
        !idmap_get(&w->show_index, tvmaze_id, &i))
        return -1;
    s = w->b->shows[i];
    if (!strcmp(name ? name : "", s->name ? s->name : "") &&
        same_val(c.rating, store_opt_float(s->has_rating, s->rating)) &&
        same_val(c.network_id, dist_ref(w, s->network)) &&
        same_val(c.web_channel_id, dist_ref(w, s->web_channel)))
        return 0;
    if (!(c.name = strdup(name ? name : "")))
        return -1;
    w->copies[w->ncopies] = c;
    return idmap_put(&w->show_copied, tvmaze_id, (int64_t)w->ncopies++);
}

/* The ids and stored values of the batch's shows it did not change. */
static int load_stored_shows(writer *w)
{
    const tv_batch *b = w->b;
    db_rows *r;
    db_val ids;
    int64_t id;
    int rc;

    store_ids_begin(w);
    for (size_t i = 0; i < b->nshows; i++)
        if (!idmap_get(&w->show_changed, b->shows[i]->tvmaze_id, &id))
            store_ids_add(w, b->shows[i]->tvmaze_id);
    ids = store_ids_end(w);
    if (ids.n <= 2)
        return STORE_OK;
    if ((rc = db_query(w->st->db, store_sql(w->st, stored_shows_sql), &ids, 1, &r)) != DB_OK)
        return store_fail(w->st, rc);
    while ((rc = db_next(r)) == 1)
        if (note_stored_show(w, r) != 0) {
            rc = -1;
            break;
        }
    db_rows_close(r);
    return rc < 0 ? store_fail(w->st, DB_ERR) : STORE_OK;
}

static int write_shows(writer *w)
{
    const tv_batch *b = w->b;
    db_val *v = store_scratch_rows(w, b->nshows * SHOW_WIDTH);
    size_t n;

    if (!v && b->nshows)
        return STORE_ERR;
    w->copies = calloc(b->nshows + 1, sizeof(*w->copies));
    if (!w->copies)
        return STORE_ERR;
    for (size_t i = 0; i < b->nshows; i++, v += SHOW_WIDTH)
        if (fill_show_row(w, b->shows[i], v) != 0)
            return STORE_ERR;
    n = store_skip_unchanged(w, w->vals, b->nshows, SHOW_WIDTH, store_show_row_key, 0,
                             &w->show_ids);
    if (n && upsert(w, &store_show_spec, n, &w->show_changed, NULL) != STORE_OK)
        return STORE_ERR;
    for (size_t i = 0; i < w->show_changed.cap; i++)
        if (w->show_changed.used[i] &&
            idmap_put(&w->show_ids, w->show_changed.keys[i], w->show_changed.vals[i]) != 0)
            return STORE_ERR;
    return load_stored_shows(w);
}

/* Columns 17..20 of an episode row: its show's name, rating, distributors. */
static void fill_show_copy(writer *w, const tv_show *s, db_val *v)
{
    int64_t i;

    if (idmap_get(&w->show_copied, s->tvmaze_id, &i)) {
        const show_copy *c = &w->copies[i];
        v[0] = dbv_text(c->name);
        v[1] = c->rating;
        v[2] = c->network_id;
        v[3] = c->web_channel_id;
        return;
    }
    v[0] = dbv_text(s->name ? s->name : "");
    v[1] = store_opt_float(s->has_rating, s->rating);
    v[2] = dist_ref(w, s->network);
    v[3] = dist_ref(w, s->web_channel);
}

static int write_episodes(writer *w)
{
    const tv_batch *b = w->b;
    db_val *v = store_scratch_rows(w, b->nepisodes * EP_WIDTH);
    size_t n = 0;
    int64_t id;

    if (!v && b->nepisodes)
        return STORE_ERR;
    for (size_t i = 0; i < b->nepisodes; i++) {
        const tv_episode *e = b->episodes[i];
        const tv_show *s = e->show;
        int64_t show_id;
        if (!e->airdate || !s || !idmap_get(&w->show_ids, s->tvmaze_id, &show_id))
            continue; /* undated: nothing a schedule can show */
        store_episode_values(e, show_id, v);
        fill_show_copy(w, s, v + EP_OWN_WIDTH);
        v += EP_WIDTH;
        n++;
    }
    w->written = n;
    if (upsert(w, &store_ep_spec, n, &w->ep_changed, NULL) != STORE_OK)
        return STORE_ERR;
    for (size_t i = 0; i < w->ep_changed.cap; i++)
        if (w->ep_changed.used[i] &&
            idmap_put(&w->ep_ids, w->ep_changed.keys[i], w->ep_changed.vals[i]) != 0)
            return STORE_ERR;
    /* the rows left as they were come back from no upsert: look them up */
    store_ids_begin(w);
    for (size_t i = 0; i < n; i++)
        if (!idmap_get(&w->ep_ids, w->vals[i * EP_WIDTH].i, &id))
            store_ids_add(w, w->vals[i * EP_WIDTH].i);
    if (w->ids.len <= 1)
        return STORE_OK;
    return load_ids_map(w, store_sql(w->st, map_episodes_sql), &w->ep_ids, 0);
}

/* The stored episodes of the shows this batch changed follow their show. */
static int refresh_denormalised(writer *w)
{
    db_val ids;
    int64_t changed = 0;
    int rc;

    store_ids_begin(w);
    for (size_t i = 0; i < w->show_changed.cap; i++)
        if (w->show_changed.used[i])
            store_ids_add(w, w->show_changed.vals[i]);
    ids = store_ids_end(w);
    if (ids.n <= 2)
        return STORE_OK;
    rc = db_exec(w->st->db, store_sql(w->st, denorm_sql), &ids, 1, &changed);
    if (rc != DB_OK)
        return store_fail(w->st, rc);
    w->stats.upserted += changed;
    return STORE_OK;
}

static int write_listings(writer *w, const char *source, const char *day)
{
    db_val p[3], *v;
    db_rows *r;
    size_t n = 0;
    int64_t removed = 0, added = 0, unlisted = 0;
    int rc;

    if (!(v = store_scratch_rows(w, w->ep_ids.n * 3 + 1)))
        return STORE_ERR;
    store_ids_begin(w);
    for (size_t i = 0; i < w->ep_ids.cap; i++) {
        if (!w->ep_ids.used[i])
            continue;
        v[n * 3] = dbv_text(source);
        v[n * 3 + 1] = dbv_text(day);
        v[n * 3 + 2] = dbv_int(w->ep_ids.vals[i]);
        store_ids_add(w, w->ep_ids.vals[i]);
        n++;
    }
    if (upsert(w, &listing_spec, n, NULL, &added) != STORE_OK)
        return STORE_ERR;
    p[0] = dbv_text(source);
    p[1] = dbv_text(day);
    p[2] = store_ids_end(w);
    if ((rc = db_query(w->st->db, store_sql(w->st, stale_listings_sql), p, 3, &r)) != DB_OK)
        return store_fail(w->st, rc);
    if ((rc = store_read_unlisted(w, r, &unlisted)) != STORE_OK)
        return rc;
    /* what the day held: the rows listed again, and the ones dropped */
    w->stats.listed_before = (int64_t)n - added + unlisted;
    w->stats.unlisted = unlisted;
    p[0] = store_ids_end(w);
    if (p[0].n > 2) {
        if ((rc = db_exec(w->st->db, store_sql(w->st, orphans_sql), p, 1, &removed)) != DB_OK)
            return store_fail(w->st, rc);
    }
    w->stats.removed += removed;
    return STORE_OK;
}

/* SQLite: row by row through prepared statements, in process. */
static int sqlite_write_rows(writer *w, const char *source, const char *day)
{
    int rc;

    if ((rc = write_distributors(w)) || (rc = write_shows(w)) || (rc = write_episodes(w)) ||
        (rc = refresh_denormalised(w)) || (rc = write_listings(w, source, day)))
        return rc;
    return STORE_OK;
}

static int bump_generation(store *st)
{
    int rc = db_exec(st->db, STORE_BUMP_GENERATION, NULL, 0, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

static dialect_sql shared_eps_sql =
    IDS_SQL("DELETE FROM import_bodies WHERE NOT (source = $2 AND day = $3) AND (source, day) IN"
            " (SELECT l.source, l.day FROM listings l WHERE l.episode_id IN ",
            "$1", ")");
static dialect_sql shared_shows_sql =
    IDS_SQL("DELETE FROM import_bodies WHERE NOT (source = $2 AND day = $3) AND (source, day) IN"
            " (SELECT l.source, l.day FROM episodes e JOIN listings l ON l.episode_id = e.id"
            " WHERE e.show_id IN ",
            "$1", ")");

/* Forgets the digests of the other units that list a row of map (our ids
 * of the episodes, or shows, this write changed): their answers hold
 * these rows as they were, and writing them again would write them back.
 * (Distributors and shows only ever take a newer payload; episodes have no
 * stamp, the last answer written wins. Shows are forgotten all the same:
 * a payload as new may still differ.) */
static int forget_shared(writer *w, const char *sql, const idmap *map, const char *source,
                         const char *day)
{
    db_val p[3];
    int rc;

    if (!map->n)
        return STORE_OK;
    store_ids_begin(w);
    for (size_t i = 0; i < map->cap; i++)
        if (map->used[i])
            store_ids_add(w, map->vals[i]);
    p[0] = store_ids_end(w);
    p[1] = dbv_text(source);
    p[2] = dbv_text(day);
    rc = db_exec(w->st->db, sql, p, 3, NULL);
    return rc == DB_OK ? STORE_OK : store_fail(w->st, rc);
}

/* The digests count only while every write since they were taken kept
 * them: when the generation moved without them, all go. */
static int check_bodies_generation(store *st)
{
    db_rows *r;
    int64_t gen = 0, bodies = -1;
    int rc = db_query(
        st->db, "SELECT key, value FROM meta WHERE key IN ('generation', 'bodies_generation')",
        NULL, 0, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    while ((rc = db_next(r)) == 1) {
        const char *key = db_col_text(r, 0, NULL);
        if (key && !strcmp(key, "generation"))
            gen = db_col_int(r, 1);
        else
            bodies = db_col_int(r, 1);
    }
    db_rows_close(r);
    if (rc < 0)
        return store_fail(st, DB_ERR);
    if (bodies == gen)
        return STORE_OK;
    {
        db_val p = dbv_int(gen);
        if ((rc = db_exec(st->db, "DELETE FROM import_bodies", NULL, 0, NULL)) != DB_OK ||
            (rc = db_exec(st->db, "UPDATE meta SET value = $1 WHERE key = 'bodies_generation'", &p,
                          1, NULL)) != DB_OK)
            return store_fail(st, rc);
    }
    return STORE_OK;
}

/* The unit's digest, and the others' that this write made wrong; inside
 * the write's transaction, after its rows. */
static int note_body(writer *w, const char *source, const char *day, const char *digest)
{
    store *st = w->st;
    int rc;

    if ((rc = check_bodies_generation(st)) ||
        (rc = forget_shared(w, store_sql(st, shared_eps_sql), &w->ep_changed, source, day)) ||
        (rc = forget_shared(w, store_sql(st, shared_shows_sql), &w->show_changed, source, day)))
        return rc;
    if (digest) {
        db_val p[4] = {dbv_text(source), dbv_text(day), dbv_text(digest),
                       dbv_int((int64_t)w->written)};
        rc = db_exec(st->db,
                     "INSERT INTO import_bodies (source, day, digest, episodes)"
                     " VALUES ($1, $2, $3, $4) ON CONFLICT (source, day)"
                     " DO UPDATE SET digest = excluded.digest, episodes = excluded.episodes",
                     p, 4, NULL);
    } else {
        db_val p[2] = {dbv_text(source), dbv_text(day)};
        rc =
            db_exec(st->db, "DELETE FROM import_bodies WHERE source = $1 AND day = $2", p, 2, NULL);
    }
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_day_unchanged(store *st, const char *source, const char *day, const char *digest,
                        int *same, int64_t *episodes)
{
    db_val p[3] = {dbv_text(source), dbv_text(day), dbv_text(digest)};
    db_rows *r;
    int rc = db_query(st->db,
                      "SELECT b.episodes FROM import_bodies b, meta g, meta bg"
                      " WHERE b.source = $1 AND b.day = $2 AND b.digest = $3"
                      " AND g.key = 'generation' AND bg.key = 'bodies_generation'"
                      " AND g.value = bg.value",
                      p, 3, &r);

    *same = 0;
    *episodes = 0;
    if (rc != DB_OK)
        return store_fail(st, rc);
    if ((rc = db_next(r)) == 1) {
        *same = 1;
        *episodes = db_col_int(r, 0);
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
}

/* SQLite has one writer at a time: the stores of a process that import
 * (a plan's writer thread with its batches, the job worker's days) take
 * turns here, where the next one starts the moment a commit is done,
 * rather than in SQLite's busy handler, which polls in sleeps of up to
 * 100 ms. (Other processes still meet at SQLite's lock.) */
static pthread_mutex_t sqlite_writer = PTHREAD_MUTEX_INITIALIZER;

/* SQLite's settings for a connection that imports, set at its first write
 * (a store that only reads keeps the defaults). A checkpoint copies every
 * page the WAL holds back into the database file and syncs it; at the
 * default of 1000 pages one ran after nearly every day, rewriting the same
 * index pages each time. 16,000 pages (64 MB of WAL, reused after each
 * checkpoint, the file capped there) copy each page once for several days;
 * readers find pages in the WAL through its index whatever its length. A
 * larger page cache keeps the indexes' inner pages across days. What the
 * days commit is synced at the checkpoints and at the run's end
 * (store_run_finish), not at every day. */
#define SQLITE_IMPORT_PRAGMAS                                                                      \
    "PRAGMA wal_autocheckpoint=16000; PRAGMA journal_size_limit=67108864;"                         \
    " PRAGMA cache_size=-32768"

static int import_settings(store *st)
{
    int rc;

    if (store_is_postgres(st) || st->memo)
        return STORE_OK;
    rc = db_script(st->db, SQLITE_IMPORT_PRAGMAS);
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

static int writer_init(writer *w, store *st, const tv_batch *b)
{
    *w = (writer){.st = st, .b = b};
    buf_init(&w->ids, (size_t)1 << 28);
    w->notes_cap = b->ndists + b->nshows + 1;
    w->notes = calloc(w->notes_cap, sizeof(*w->notes));
    idmap_init(&w->dist_ids);
    idmap_init(&w->show_ids);
    idmap_init(&w->show_changed);
    idmap_init(&w->show_index);
    idmap_init(&w->show_copied);
    idmap_init(&w->ep_ids);
    idmap_init(&w->ep_changed);
    if (w->notes)
        return STORE_OK;
    snprintf(st->err, sizeof(st->err), "out of memory");
    return STORE_ERR;
}

static void writer_free(writer *w)
{
    buf_free(&w->ids);
    free(w->notes);
    for (size_t i = 0; i < w->ncopies; i++)
        free(w->copies[i].name);
    free(w->copies);
    idmap_free(&w->dist_ids);
    idmap_free(&w->show_ids);
    idmap_free(&w->show_changed);
    idmap_free(&w->show_index);
    idmap_free(&w->show_copied);
    idmap_free(&w->ep_ids);
    idmap_free(&w->ep_changed);
    free(w->vals);
}

/* Everything a day writes inside its transaction: its rows, its digest
 * and the others' it made wrong, the generation. */
static int write_day_rows(writer *w, const char *source, const char *day, const char *digest)
{
    store *st = w->st;
    int rc;

    if ((rc = store_is_postgres(st) ? store_pg_write_rows(w, source, day)
                                    : sqlite_write_rows(w, source, day)))
        return rc;
    if ((rc = note_body(w, source, day, digest)))
        return rc;
    if ((w->stats.upserted || w->stats.removed) && (rc = bump_generation(st)))
        return rc;
    return STORE_OK;
}

/* A day's write done: the memo learns its rows, the caller its counts. */
static void day_written(writer *w, store_day_stats *out)
{
    store_memo_commit(w);
    w->stats.episodes = (int64_t)w->written;
    if (out)
        *out = w->stats;
}

static int write_day_locked(store *st, const tv_batch *b, const char *source, const char *day,
                            const char *digest, store_day_stats *out)
{
    writer w;
    int rc;

    if ((rc = writer_init(&w, st, b)) || (rc = import_settings(st)))
        goto done;
    if ((rc = db_begin_write(st->db)) != DB_OK) {
        rc = store_fail(st, rc);
        goto done;
    }
    if ((rc = write_day_rows(&w, source, day, digest))) {
        if (rc == STORE_ERR && !st->err[0])
            snprintf(st->err, sizeof(st->err), "out of memory");
        db_rollback(st->db);
        goto done;
    }
    if ((rc = store_commit(st)) == STORE_OK)
        day_written(&w, out);
done:
    writer_free(&w);
    return rc;
}

static int write_day_once(store *st, const tv_batch *b, const char *source, const char *day,
                          const char *digest, store_day_stats *out)
{
    int rc;

    if (store_is_postgres(st)) /* its own lock: LOCK_SQL, store_import_pg.c */
        return write_day_locked(st, b, source, day, digest, out);
    pthread_mutex_lock(&sqlite_writer);
    rc = write_day_locked(st, b, source, day, digest, out);
    pthread_mutex_unlock(&sqlite_writer);
    return rc;
}

/* One day of a batch, in a savepoint of the batch's transaction: a day
 * that fails leaves the others. STORE_OK with d->rc the day's own
 * outcome; an error when the transaction itself is lost. */
static int write_day_in_batch(store *st, store_day_write *d)
{
    writer w;
    int rc, lost;

    d->rc = STORE_OK;
    d->err[0] = '\0';
    if ((rc = db_script(st->db, "SAVEPOINT import_day")) != DB_OK)
        return store_fail(st, rc);
    if ((d->rc = writer_init(&w, st, d->b)) == STORE_OK &&
        (d->rc = write_day_rows(&w, d->source, d->day, d->digest)) == STORE_OK &&
        (rc = db_script(st->db, "RELEASE import_day")) != DB_OK)
        d->rc = store_fail(st, rc);
    if (d->rc == STORE_OK) {
        day_written(&w, &d->stats);
        writer_free(&w);
        return STORE_OK;
    }
    writer_free(&w);
    snprintf(d->err, sizeof(d->err), "%s", st->err[0] ? st->err : "out of memory");
    /* an error SQLite ends the transaction for (a full disk, an I/O
     * error) leaves no savepoint to go back to */
    lost = db_script(st->db, "ROLLBACK TO import_day; RELEASE import_day") != DB_OK;
    snprintf(st->err, sizeof(st->err), "%s", d->err);
    return lost ? d->rc : STORE_OK;
}

static int write_days_locked(store *st, store_day_write *days, size_t n)
{
    int rc;

    if ((rc = import_settings(st)))
        return rc;
    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    for (size_t i = 0; i < n; i++)
        if ((rc = write_day_in_batch(st, &days[i])) != STORE_OK) {
            db_rollback(st->db);
            break;
        }
    if (rc == STORE_OK)
        rc = store_commit(st);
    /* the memo learnt each day at its savepoint: what did not commit goes */
    if (rc != STORE_OK)
        store_memo_forget(st);
    return rc;
}

int store_write_days(store *st, store_day_write *days, size_t n)
{
    int rc = STORE_ERETRY;

    if (store_is_postgres(st)) {
        for (size_t i = 0; i < n; i++) {
            days[i].rc = store_write_day_from(st, days[i].b, days[i].source, days[i].day,
                                              days[i].digest, &days[i].stats);
            snprintf(days[i].err, sizeof(days[i].err), "%s", days[i].rc ? st->err : "");
        }
        return STORE_OK;
    }
    for (int attempt = 0; attempt < STORE_RETRIES && rc == STORE_ERETRY; attempt++) {
        pthread_mutex_lock(&sqlite_writer);
        rc = write_days_locked(st, days, n);
        pthread_mutex_unlock(&sqlite_writer);
    }
    if (rc != STORE_OK)
        for (size_t i = 0; i < n; i++) {
            days[i].rc = rc;
            snprintf(days[i].err, sizeof(days[i].err), "%s", st->err);
        }
    return rc;
}

int store_write_day_from(store *st, const tv_batch *b, const char *source, const char *day,
                         const char *digest, store_day_stats *out)
{
    int rc = STORE_ERETRY;

    /* a transaction that lost to a concurrent one (another process's import
     * of the same rows) was rolled back whole: run it again */
    for (int attempt = 0; attempt < STORE_RETRIES && rc == STORE_ERETRY; attempt++)
        rc = write_day_once(st, b, source, day, digest, out);
    return rc;
}

int store_write_day(store *st, const tv_batch *b, const char *source, const char *day,
                    store_day_stats *out)
{
    return store_write_day_from(st, b, source, day, NULL, out);
}
