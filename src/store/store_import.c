/* The import's write path: one (day, source) per transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/idmap.h"

static const char *const dist_cols[] = {"kind",          "tvmaze_id",    "name",
                                        "country_code",  "country_name", "country_timezone",
                                        "official_site", "updated"};
/* payloads from older API generations lack keys (officialSite): a missing
 * value never erases one a newer payload gave */
static const db_upsert_spec dist_spec = {
    "distributors", dist_cols, 8, 2, "excluded.updated >= distributors.updated", 0, 1, 0};

static const char *const show_cols[] = {
    "tvmaze_id",      "name",    "url",           "type",
    "language",       "status",  "runtime",       "average_runtime",
    "premiered",      "ended",   "official_site", "schedule_time",
    "schedule_days",  "rating",  "weight",        "network_id",
    "web_channel_id", "genres",  "image_medium",  "image_original",
    "summary",        "updated", "imdb",          "thetvdb",
    "search_name"};
#define SHOW_WIDTH ((int)(sizeof(show_cols) / sizeof(show_cols[0])))
/* an older payload of a show never overwrites a newer one */
static const db_upsert_spec show_spec = {
    "shows", show_cols, SHOW_WIDTH,     1, "excluded.updated >= shows.updated", 0,
    0,       0,         "tvmaze_id, id"};

static const char *const ep_cols[] = {
    "tvmaze_id",      "show_id",    "name",          "season",    "number",      "type",
    "airdate",        "airtime",    "airstamp",      "runtime",   "rating",      "image_medium",
    "image_original", "summary",    "url",           "time_sort", "number_sort", "show_name",
    "show_rating",    "network_id", "web_channel_id"};
/* the show's name, rating and distributors are the stored show's
 * (show_copy), never those of a batch whose show payload may be older */
static const db_upsert_spec ep_spec = {"episodes", ep_cols, 21, 1, NULL, 0, 0, 0, "tvmaze_id, id"};

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
/* Episodes carry a copy of their show's name, rating and distributors: when
 * a show's row changes, its stored episodes follow. */
#define DENORM_SQL(IDS)                                                                            \
    "UPDATE episodes SET show_name = s.name, show_rating = s.rating,"                              \
    " network_id = s.network_id, web_channel_id = s.web_channel_id"                                \
    " FROM shows s WHERE s.id = episodes.show_id AND episodes.show_id IN " IDS(                    \
        "$1") " AND (episodes.show_name IS DISTINCT FROM s.name"                                   \
              " OR episodes.show_rating IS DISTINCT FROM s.rating"                                 \
              " OR episodes.network_id IS DISTINCT FROM s.network_id"                              \
              " OR episodes.web_channel_id IS DISTINCT FROM s.web_channel_id)"
static dialect_sql denorm_sql = {DENORM_SQL(SQLITE_IDS), DENORM_SQL(PG_IDS)};
static dialect_sql stale_listings_sql =
    IDS_SQL("DELETE FROM listings WHERE source = $1 AND day = $2 AND episode_id NOT IN ", "$3",
            " RETURNING episode_id");
static dialect_sql orphans_sql =
    IDS_SQL("DELETE FROM episodes WHERE id IN ", "$1",
            " AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.episode_id = episodes.id)");

typedef struct memo_note {
    int64_t key, hash;
} memo_note;

/* What an episode copies of its show, as stored, when that differs from the
 * batch's payload of the show (a newer payload was written before). */
typedef struct show_copy {
    char *name;
    db_val rating, network_id, web_channel_id;
} show_copy;

typedef struct writer {
    store *st;
    const tv_batch *b;
    db_val *vals; /* scratch rows */
    size_t vals_cap;
    buf ids;
    memo_note *notes; /* rows written, for the memo once the commit holds */
    size_t nnotes;
    idmap dist_ids;     /* (kind << 56 | TVmaze id) -> our id */
    idmap show_ids;     /* TVmaze id -> our id */
    idmap show_changed; /* TVmaze id -> our id, of the shows this batch changed */
    idmap show_index;   /* TVmaze id -> index in b->shows */
    idmap show_copied;  /* TVmaze id -> index in copies */
    show_copy *copies;
    size_t ncopies;
    idmap ep_ids;
    store_day_stats stats;
} writer;

static db_val *scratch_rows(writer *w, size_t nvals)
{
    if (nvals > w->vals_cap) {
        db_val *grown = realloc(w->vals, nvals * sizeof(*grown));
        if (!grown)
            return NULL;
        w->vals = grown;
        w->vals_cap = nvals;
    }
    return w->vals;
}

static void ids_begin(writer *w)
{
    buf_reset(&w->ids);
    buf_putc(&w->ids, '[');
}

static void ids_add(writer *w, int64_t id)
{
    if (w->ids.len > 1)
        buf_putc(&w->ids, ',');
    buf_put_i64(&w->ids, id);
}

static db_val ids_end(writer *w)
{
    buf_putc(&w->ids, ']');
    return dbv_textn(w->ids.data, w->ids.len);
}

static int64_t dist_key(int kind, int64_t tvmaze_id)
{
    return (int64_t)((uint64_t)kind << 56 | (uint64_t)tvmaze_id);
}

#define SHOW_KIND 2 /* shows share the memo with distributors (kinds 0, 1) */

/* A hash of a row's values, for the memo. */
static int64_t row_hash(const db_val *v, int n)
{
    uint64_t h = 14695981039346656037ull;

    for (int i = 0; i < n; i++) {
        unsigned char t = (unsigned char)v[i].type;
        h = (h ^ t) * 1099511628211ull;
        switch (v[i].type) {
        case DBV_INT:
            h = (h ^ hash_fnv1a(&v[i].i, sizeof(v[i].i))) * 1099511628211ull;
            break;
        case DBV_FLOAT:
            h = (h ^ hash_fnv1a(&v[i].f, sizeof(v[i].f))) * 1099511628211ull;
            break;
        case DBV_TEXT:
            h = (h ^ hash_fnv1a(v[i].s, v[i].n)) * 1099511628211ull;
            h = (h ^ v[i].n) * 1099511628211ull;
            break;
        case DBV_NULL:
            break;
        }
    }
    return (int64_t)h;
}

/* Drops from rows[0..n) those this connection wrote already with the same
 * values (their ids go straight into map) and notes the others for the
 * memo. Returns how many rows remain, compacted at the front. */
static size_t skip_unchanged(writer *w, db_val *rows, size_t n, int ncols,
                             int64_t (*key_of)(const db_val *row), int key_in_map_is_key,
                             idmap *map)
{
    size_t kept = 0;

    for (size_t i = 0; i < n; i++) {
        db_val *row = rows + i * (size_t)ncols;
        int64_t key = key_of(row), h = row_hash(row, ncols), seen, id;
        if (idmap_get(&w->st->memo.hashes, key, &seen) && seen == h &&
            idmap_get(&w->st->memo.ids, key, &id)) {
            idmap_put(map, key_in_map_is_key ? key : row[0].i, id);
            continue;
        }
        w->notes[w->nnotes].key = key;
        w->notes[w->nnotes++].hash = h;
        if (kept != i)
            memmove(rows + kept * (size_t)ncols, row, (size_t)ncols * sizeof(*row));
        kept++;
    }
    return kept;
}

static int64_t dist_row_key(const db_val *row)
{
    int web = row[0].n == 3 && !memcmp(row[0].s, "web", 3);

    return dist_key(web ? DIST_WEB : DIST_NETWORK, row[1].i);
}

static int64_t show_row_key(const db_val *row)
{
    return dist_key(SHOW_KIND, row[0].i);
}

/* After the commit: what was written is what the database holds. */
static void memo_commit(writer *w)
{
    store_memo *m = &w->st->memo;

    if (m->ids.n + w->nnotes > STORE_MEMO_MAX) {
        idmap_free(&m->ids);
        idmap_free(&m->hashes);
    }
    for (size_t i = 0; i < w->nnotes; i++) {
        int64_t key = w->notes[i].key, id;
        int found = (key >> 56) == SHOW_KIND
                        ? idmap_get(&w->show_ids, key & 0x00ffffffffffffffll, &id)
                        : idmap_get(&w->dist_ids, key, &id);
        if (found && idmap_put(&m->ids, key, id) == 0)
            idmap_put(&m->hashes, key, w->notes[i].hash);
    }
}

/* Runs a "SELECT key columns…, id" mapping query into map. */
static int load_map(writer *w, const char *sql, db_val ids, idmap *map, int keyed_by_kind)
{
    db_rows *r;
    int rc = db_query(w->st->db, sql, &ids, 1, &r);

    if (rc != DB_OK)
        return store_fail(w->st, rc);
    while ((rc = db_next(r)) == 1) {
        int64_t key, id;
        if (keyed_by_kind) {
            const char *kind = db_col_text(r, 0, NULL);
            key =
                dist_key(kind && !strcmp(kind, "web") ? DIST_WEB : DIST_NETWORK, db_col_int(r, 1));
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
    db_val *v = scratch_rows(w, b->ndists * 8);
    size_t n;

    if (!v && b->ndists)
        return STORE_ERR;
    ids_begin(w);
    for (size_t i = 0; i < b->ndists; i++, v += 8) {
        const tv_distributor *d = b->dists[i];
        v[0] = dbv_text(d->kind == DIST_WEB ? "web" : "network");
        v[1] = dbv_int(d->tvmaze_id);
        v[2] = dbv_text(d->name ? d->name : "");
        v[3] = dbv_text(d->country_code);
        v[4] = dbv_text(d->country_name);
        v[5] = dbv_text(d->country_timezone);
        v[6] = dbv_text(d->official_site);
        v[7] = dbv_int(d->updated);
    }
    n = skip_unchanged(w, w->vals, b->ndists, 8, dist_row_key, 1, &w->dist_ids);
    for (size_t i = 0; i < n; i++)
        ids_add(w, w->vals[i * 8 + 1].i);
    if (!n)
        return STORE_OK;
    if (upsert(w, &dist_spec, n, NULL, NULL) != STORE_OK)
        return STORE_ERR;
    return load_map(w, store_sql(w->st, map_dists_sql), ids_end(w), &w->dist_ids, 1);
}

static db_val dist_ref(writer *w, const tv_distributor *d)
{
    int64_t id;

    if (d && idmap_get(&w->dist_ids, dist_key(d->kind, d->tvmaze_id), &id))
        return dbv_int(id);
    return dbv_null();
}

static db_val opt_int(int has, int64_t v)
{
    return has ? dbv_int(v) : dbv_null();
}

static db_val opt_float(int has, double v)
{
    return has ? dbv_float(v) : dbv_null();
}

static int fill_show_row(writer *w, const tv_show *s, db_val *v)
{
    v[0] = dbv_int(s->tvmaze_id);
    v[1] = dbv_text(s->name ? s->name : "");
    v[2] = dbv_text(s->url);
    v[3] = dbv_text(s->type);
    v[4] = dbv_text(s->language);
    v[5] = dbv_text(s->status);
    v[6] = opt_int(s->has_runtime, s->runtime);
    v[7] = opt_int(s->has_average_runtime, s->average_runtime);
    v[8] = dbv_text(s->premiered);
    v[9] = dbv_text(s->ended);
    v[10] = dbv_text(s->official_site);
    v[11] = dbv_text(s->schedule_time ? s->schedule_time : "");
    v[12] = dbv_text(s->schedule_days_json ? s->schedule_days_json : "[]");
    v[13] = opt_float(s->has_rating, s->rating);
    v[14] = opt_int(s->has_weight, s->weight);
    v[15] = dist_ref(w, s->network);
    v[16] = dist_ref(w, s->web_channel);
    v[17] = dbv_text(s->genres_json ? s->genres_json : "[]");
    v[18] = dbv_text(s->image_medium);
    v[19] = dbv_text(s->image_original);
    v[20] = dbv_text(s->summary);
    v[21] = dbv_int(s->updated);
    v[22] = dbv_text(s->imdb);
    v[23] = opt_int(s->has_thetvdb, s->thetvdb);
    v[24] = dbv_text(s->search_name ? s->search_name : "");
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
        same_val(c.rating, opt_float(s->has_rating, s->rating)) &&
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

    ids_begin(w);
    for (size_t i = 0; i < b->nshows; i++)
        if (!idmap_get(&w->show_changed, b->shows[i]->tvmaze_id, &id))
            ids_add(w, b->shows[i]->tvmaze_id);
    ids = ids_end(w);
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
    db_val *v = scratch_rows(w, b->nshows * SHOW_WIDTH);
    size_t n;

    if (!v && b->nshows)
        return STORE_ERR;
    w->copies = calloc(b->nshows + 1, sizeof(*w->copies));
    if (!w->copies)
        return STORE_ERR;
    for (size_t i = 0; i < b->nshows; i++, v += SHOW_WIDTH)
        if (fill_show_row(w, b->shows[i], v) != 0)
            return STORE_ERR;
    n = skip_unchanged(w, w->vals, b->nshows, SHOW_WIDTH, show_row_key, 0, &w->show_ids);
    if (n && upsert(w, &show_spec, n, &w->show_changed, NULL) != STORE_OK)
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
    v[1] = opt_float(s->has_rating, s->rating);
    v[2] = dist_ref(w, s->network);
    v[3] = dist_ref(w, s->web_channel);
}

static int write_episodes(writer *w, size_t *written)
{
    const tv_batch *b = w->b;
    db_val *v = scratch_rows(w, b->nepisodes * 21);
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
        v[0] = dbv_int(e->tvmaze_id);
        v[1] = dbv_int(show_id);
        v[2] = dbv_text(e->name ? e->name : "");
        v[3] = dbv_int(e->has_season ? e->season : 0);
        v[4] = opt_int(e->has_number, e->number);
        v[5] = dbv_text(e->type);
        v[6] = dbv_text(e->airdate);
        v[7] = dbv_text(e->airtime ? e->airtime : "");
        v[8] = dbv_text(e->airstamp);
        v[9] = opt_int(e->has_runtime, e->runtime);
        v[10] = opt_float(e->has_rating, e->rating);
        v[11] = dbv_text(e->image_medium);
        v[12] = dbv_text(e->image_original);
        v[13] = dbv_text(e->summary);
        v[14] = dbv_text(e->url);
        v[15] = dbv_int(tv_time_sort(e->airtime));
        v[16] = dbv_int(e->has_number ? e->number : TV_NUMBER_SORT_NULL);
        fill_show_copy(w, s, v + 17);
        v += 21;
        n++;
    }
    *written = n;
    if (upsert(w, &ep_spec, n, &w->ep_ids, NULL) != STORE_OK)
        return STORE_ERR;
    /* the rows left as they were come back from no upsert: look them up */
    ids_begin(w);
    for (size_t i = 0; i < n; i++)
        if (!idmap_get(&w->ep_ids, w->vals[i * 21].i, &id))
            ids_add(w, w->vals[i * 21].i);
    if (w->ids.len <= 1)
        return STORE_OK;
    return load_map(w, store_sql(w->st, map_episodes_sql), ids_end(w), &w->ep_ids, 0);
}

/* The stored episodes of the shows this batch changed follow their show. */
static int refresh_denormalised(writer *w)
{
    db_val ids;
    int64_t changed = 0;
    int rc;

    ids_begin(w);
    for (size_t i = 0; i < w->show_changed.cap; i++)
        if (w->show_changed.used[i])
            ids_add(w, w->show_changed.vals[i]);
    ids = ids_end(w);
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

    if (!(v = scratch_rows(w, w->ep_ids.n * 3 + 1)))
        return STORE_ERR;
    ids_begin(w);
    for (size_t i = 0; i < w->ep_ids.cap; i++) {
        if (!w->ep_ids.used[i])
            continue;
        v[n * 3] = dbv_text(source);
        v[n * 3 + 1] = dbv_text(day);
        v[n * 3 + 2] = dbv_int(w->ep_ids.vals[i]);
        ids_add(w, w->ep_ids.vals[i]);
        n++;
    }
    if (upsert(w, &listing_spec, n, NULL, &added) != STORE_OK)
        return STORE_ERR;
    p[0] = dbv_text(source);
    p[1] = dbv_text(day);
    p[2] = ids_end(w);
    if ((rc = db_query(w->st->db, store_sql(w->st, stale_listings_sql), p, 3, &r)) != DB_OK)
        return store_fail(w->st, rc);
    ids_begin(w);
    while ((rc = db_next(r)) == 1) {
        ids_add(w, db_col_int(r, 0));
        unlisted++;
    }
    db_rows_close(r);
    if (rc < 0)
        return store_fail(w->st, DB_ERR);
    /* what the day held: the rows listed again, and the ones dropped */
    w->stats.listed_before = (int64_t)n - added + unlisted;
    w->stats.unlisted = unlisted;
    p[0] = ids_end(w);
    if (p[0].n > 2) {
        if ((rc = db_exec(w->st->db, store_sql(w->st, orphans_sql), p, 1, &removed)) != DB_OK)
            return store_fail(w->st, rc);
    }
    w->stats.removed += removed;
    return STORE_OK;
}

static int bump_generation(store *st)
{
    int rc = db_exec(st->db, "UPDATE meta SET value = value + 1 WHERE key = 'generation'", NULL, 0,
                     NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_write_day(store *st, const tv_batch *b, const char *source, const char *day,
                    store_day_stats *out)
{
    writer w = {.st = st, .b = b};
    size_t written = 0;
    int rc;

    buf_init(&w.ids, (size_t)1 << 28);
    w.notes = calloc(b->ndists + b->nshows + 1, sizeof(*w.notes));
    if (!w.notes) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        rc = STORE_ERR;
        goto done;
    }
    idmap_init(&w.dist_ids);
    idmap_init(&w.show_ids);
    idmap_init(&w.show_changed);
    idmap_init(&w.show_index);
    idmap_init(&w.show_copied);
    idmap_init(&w.ep_ids);
    if ((rc = db_begin_write(st->db)) != DB_OK) {
        rc = store_fail(st, rc);
        goto done;
    }
    /* PostgreSQL: one import transaction at a time. Concurrent days share
     * shows and channels: upserting them in different orders deadlocks, and
     * an episode's copy of its show must be taken from the show as last
     * committed. A write takes milliseconds; the parallel work (fetching,
     * parsing) is outside the transaction. SQLite has one writer anyway.
     * A day's commit does not wait for its flush to disk: a crash can lose
     * the last days written, never half of one, and the run's final status,
     * committed synchronously after them, is durable only with them. */
    if (store_is_postgres(st) &&
        (rc = db_script(st->db, "SELECT pg_advisory_xact_lock(7263002);"
                                " SET LOCAL synchronous_commit = off")) != DB_OK) {
        rc = store_fail(st, rc);
        goto rollback;
    }
    if ((rc = write_distributors(&w)) || (rc = write_shows(&w)) ||
        (rc = write_episodes(&w, &written)) || (rc = refresh_denormalised(&w)) ||
        (rc = write_listings(&w, source, day)))
        goto rollback;
    if ((w.stats.upserted || w.stats.removed) && (rc = bump_generation(st)))
        goto rollback;
    if ((rc = db_commit(st->db)) != DB_OK) {
        rc = store_fail(st, rc);
        goto rollback;
    }
    memo_commit(&w);
    w.stats.episodes = (int64_t)written;
    if (out)
        *out = w.stats;
    rc = STORE_OK;
    goto done;
rollback:
    if (rc == STORE_ERR && !st->err[0])
        snprintf(st->err, sizeof(st->err), "out of memory");
    db_rollback(st->db);
done:
    buf_free(&w.ids);
    free(w.notes);
    for (size_t i = 0; i < w.ncopies; i++)
        free(w.copies[i].name);
    free(w.copies);
    idmap_free(&w.dist_ids);
    idmap_free(&w.show_ids);
    idmap_free(&w.show_changed);
    idmap_free(&w.show_index);
    idmap_free(&w.show_copied);
    idmap_free(&w.ep_ids);
    free(w.vals);
    return rc;
}

int store_run_begin(store *st, const char *mode, int64_t days_total, int64_t *id)
{
    db_val p[3] = {dbv_int(time(NULL)), dbv_text(mode), dbv_int(days_total)};
    db_rows *r;
    int rc = db_query(st->db,
                      "INSERT INTO import_runs (started_at, status, mode, days_total)"
                      " VALUES ($1, 'running', $2, $3) RETURNING id",
                      p, 3, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    rc = db_next(r);
    *id = rc == 1 ? db_col_int(r, 0) : 0;
    db_rows_close(r);
    return rc == 1 ? STORE_OK : store_fail(st, DB_ERR);
}

int store_run_add(store *st, int64_t id, const store_run *d, const char *failed_day,
                  const char *error)
{
    db_val p[10] = {dbv_int(d->days_ok),   dbv_int(d->days_failed), dbv_int(d->requests),
                    dbv_int(d->retries),   dbv_int(d->upserted),    dbv_int(d->removed),
                    dbv_text(error),       dbv_text(failed_day),    dbv_int(id),
                    dbv_int(d->days_total)};
    int rc =
        db_exec(st->db,
                "UPDATE import_runs SET days_ok = days_ok + $1, days_failed = days_failed + $2,"
                " requests = requests + $3, retries = retries + $4,"
                " upserted = upserted + $5, removed = removed + $6,"
                " first_error = coalesce(first_error, $7),"
                " failed_days = CASE WHEN CAST($8 AS TEXT) IS NULL THEN failed_days"
                " WHEN failed_days IS NULL THEN CAST($8 AS TEXT)"
                " ELSE failed_days || ',' || CAST($8 AS TEXT) END,"
                " days_total = days_total + $10"
                " WHERE id = $9",
                p, 10, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

/* A run's status from its counts, once every day is in. */
#define RUN_OUTCOME                                                                                \
    "CASE WHEN days_failed = 0 THEN 'succeeded' WHEN days_ok = 0 THEN 'failed'"                    \
    " ELSE 'partial' END"

/* Runs an UPDATE of import_runs … RETURNING status: *status is the status
 * set, NULL when no row was updated. */
static int run_set_status(store *st, const char *sql, int64_t id, const char **status)
{
    db_val p[2] = {dbv_int(time(NULL)), dbv_int(id)};
    db_rows *r;
    int rc = db_query(st->db, sql, p, 2, &r);

    *status = NULL;
    if (rc != DB_OK)
        return store_fail(st, rc);
    if (db_next(r) == 1) {
        const char *s = db_col_text(r, 0, NULL);
        *status = s && !strcmp(s, "succeeded") ? "succeeded"
                  : s && !strcmp(s, "partial") ? "partial"
                                               : "failed";
    }
    db_rows_close(r);
    return STORE_OK;
}

int store_run_finish(store *st, int64_t id, const char **status)
{
    int rc = run_set_status(st,
                            "UPDATE import_runs SET finished_at = $1, status = " RUN_OUTCOME
                            " WHERE id = $2 RETURNING status",
                            id, status);

    if (rc == STORE_OK && !*status)
        *status = "failed";
    return rc;
}

/* ---- a queued run's units ---- */

static int run_exec(store *st, const char *sql, const db_val *p, int n)
{
    int rc = db_exec(st->db, sql, p, n, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_run_plan_unit(store *st, int64_t run, const char *day, const char *source)
{
    db_val p[4] = {dbv_int(run), dbv_text(day), dbv_text(source), dbv_int(clock_now_ms())};

    return run_exec(st,
                    "INSERT INTO import_run_units (run_id, day, source, status, changed_at)"
                    " VALUES ($1, $2, $3, 'planned', $4)"
                    " ON CONFLICT (run_id, day, source) DO NOTHING",
                    p, 4);
}

int store_run_drop_unit(store *st, int64_t run, const char *day, const char *source)
{
    db_val p[3] = {dbv_int(run), dbv_text(day), dbv_text(source)};

    return run_exec(st,
                    "DELETE FROM import_run_units WHERE run_id = $1 AND day = $2"
                    " AND source = $3 AND status = 'planned'",
                    p, 3);
}

/* The days of a run, counted from its units: each unit once, however often
 * it was reported. */
#define UNITS_OF_RUN " FROM import_run_units u WHERE u.run_id = $1"
#define RECOUNT_COUNTS                                                                             \
    "UPDATE import_runs SET days_total = (SELECT count(*)" UNITS_OF_RUN "),"                       \
    " days_ok = (SELECT count(*)" UNITS_OF_RUN " AND u.status = 'ok'),"                            \
    " days_failed = (SELECT count(*)" UNITS_OF_RUN " AND u.status = 'failed'),"
#define RECOUNT_FIRST_ERROR                                                                        \
    " first_error = (SELECT error" UNITS_OF_RUN " AND u.status = 'failed'"                         \
    " ORDER BY changed_at, day, source LIMIT 1) WHERE id = $1"
static dialect_sql recount_sql = {
    RECOUNT_COUNTS " failed_days = (SELECT group_concat(k, ',') FROM (SELECT day || '/' || source"
                   " AS k" UNITS_OF_RUN
                   " AND u.status = 'failed' ORDER BY day, source))," RECOUNT_FIRST_ERROR,
    RECOUNT_COUNTS " failed_days = (SELECT string_agg(day || '/' || source, ',' ORDER BY day,"
                   " source)" UNITS_OF_RUN " AND u.status = 'failed')," RECOUNT_FIRST_ERROR};

/* The first statement of a report: takes the run's row (PostgreSQL: the
 * reports to one run queue on it, so each recount sees the units the
 * others committed; SQLite's write lock does the same) and says whether
 * the run is still running; STORE_ENOTFOUND when it is gone. */
static dialect_sql lock_run_sql = {"SELECT status FROM import_runs WHERE id = $1",
                                   "SELECT status FROM import_runs WHERE id = $1 FOR UPDATE"};

static int run_lock(store *st, int64_t run, int *running)
{
    db_val p = dbv_int(run);
    db_rows *r;
    int rc;

    *running = 0;
    if ((rc = db_query(st->db, store_sql(st, lock_run_sql), &p, 1, &r)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = db_next(r)) == 1) {
        const char *s = db_col_text(r, 0, NULL);
        *running = s && !strcmp(s, "running");
    }
    db_rows_close(r);
    return rc == 1 ? STORE_OK : rc == 0 ? STORE_ENOTFOUND : store_fail(st, DB_ERR);
}

/* One report to a run, in one transaction: the unit's outcome (unit NULL:
 * none) and the attempt's counts, then the recount; the run is finished
 * once no unit is planned, and a finished run whose outcome a late report
 * changed (a failed day that succeeded after all) gets its new status.
 * *status is the status set by this report (NULL: none), *first 1 when the
 * run was still running. */
static int run_report(store *st, int64_t run, const db_val *unit, const store_run *counts,
                      const char **status, int *first)
{
    db_val p = dbv_int(run);
    int rc;

    *status = NULL;
    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = run_lock(st, run, first)) != STORE_OK)
        goto rollback;
    /* ok is final: a day delivered again (or failing after it succeeded)
     * never counts twice, and a failed day that succeeds later turns ok */
    if (unit && (rc = run_exec(st,
                               "INSERT INTO import_run_units (run_id, day, source, status,"
                               " error, changed_at) VALUES ($1, $2, $3, $4, $5, $6)"
                               " ON CONFLICT (run_id, day, source) DO UPDATE SET"
                               " status = excluded.status, error = excluded.error,"
                               " changed_at = excluded.changed_at"
                               " WHERE import_run_units.status <> 'ok'",
                               unit, 6)) != STORE_OK)
        goto rollback;
    if ((counts && (rc = store_run_add(st, run, counts, NULL, NULL)) != STORE_OK) ||
        (rc = run_exec(st, store_sql(st, recount_sql), &p, 1)) != STORE_OK ||
        (rc = run_set_status(st,
                             "UPDATE import_runs SET finished_at = $1, status = " RUN_OUTCOME
                             " WHERE id = $2 AND status <> " RUN_OUTCOME
                             " AND NOT EXISTS (SELECT 1 FROM import_run_units u"
                             " WHERE u.run_id = $2 AND u.status = 'planned') RETURNING status",
                             run, status)) != STORE_OK)
        goto rollback;
    if ((rc = db_commit(st->db)) != DB_OK) {
        rc = store_fail(st, rc);
        goto rollback;
    }
    return STORE_OK;
rollback:
    db_rollback(st->db);
    *status = NULL;
    return rc;
}

int store_run_unit_done(store *st, int64_t run, const char *day, const char *source, int ok,
                        const char *error, const store_run *delta, const char **status, int *first)
{
    db_val unit[6] = {dbv_int(run),
                      dbv_text(day),
                      dbv_text(source),
                      dbv_text(ok ? "ok" : "failed"),
                      dbv_text(ok ? NULL : error),
                      dbv_int(clock_now_ms())};
    store_run counts = {0};

    if (delta) {
        counts.requests = delta->requests;
        counts.retries = delta->retries;
        counts.upserted = delta->upserted;
        counts.removed = delta->removed;
    }
    return run_report(st, run, unit, &counts, status, first);
}

int store_run_settle(store *st, int64_t run, const char **status)
{
    int first;

    return run_report(st, run, NULL, NULL, status, &first);
}

static void *read_unit(db_rows *r, arena *a)
{
    store_run_unit *u = arena_calloc(a, sizeof(*u));

    if (!u)
        return NULL;
    u->run = db_col_int(r, 0);
    u->day = arena_strdup(a, db_col_text(r, 1, NULL));
    u->source = arena_strdup(a, db_col_text(r, 2, NULL));
    return u->day && u->source ? u : NULL;
}

int store_run_stalled_units(store *st, int64_t before_ms, int limit, arena *a, store_page *out)
{
    db_val p[2] = {dbv_int(before_ms), dbv_int(limit)};
    int rc = store_collect(st,
                           "SELECT u.run_id, u.day, u.source FROM import_runs r"
                           " JOIN import_run_units u ON u.run_id = r.id"
                           " WHERE r.status = 'running' AND u.status = 'planned'"
                           " AND NOT EXISTS (SELECT 1 FROM import_run_units x"
                           " WHERE x.run_id = r.id AND x.changed_at >= $1)"
                           " ORDER BY u.run_id, u.day, u.source LIMIT $2",
                           p, 2, a, read_unit, out);

    out->total = (int64_t)out->n;
    return rc;
}

int store_run_in_progress(store *st, int64_t *run, int64_t *done, int64_t *total)
{
    db_rows *r;
    int rc = db_query(st->db,
                      "SELECT r.id, r.days_ok + r.days_failed, r.days_total FROM import_runs r"
                      " WHERE r.status = 'running' AND EXISTS (SELECT 1 FROM import_run_units u"
                      " WHERE u.run_id = r.id AND u.status = 'planned') ORDER BY r.id DESC LIMIT 1",
                      NULL, 0, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    if ((rc = db_next(r)) == 1) {
        *run = db_col_int(r, 0);
        *done = db_col_int(r, 1);
        *total = db_col_int(r, 2);
    }
    db_rows_close(r);
    return rc == 1 ? STORE_OK : rc == 0 ? STORE_ENOTFOUND : store_fail(st, DB_ERR);
}

int store_run_get(store *st, int64_t id, arena *a, store_run *out)
{
    db_val p = dbv_int(id);
    db_rows *r;
    int rc = db_query(st->db,
                      "SELECT id, started_at, coalesce(finished_at, 0), status, mode, days_total,"
                      " days_ok, days_failed, requests, retries, upserted, removed, first_error,"
                      " failed_days FROM import_runs WHERE id = $1",
                      &p, 1, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    if ((rc = db_next(r)) != 1) {
        db_rows_close(r);
        snprintf(st->err, sizeof(st->err), "no import run %lld", (long long)id);
        return rc < 0 ? store_fail(st, DB_ERR) : STORE_ENOTFOUND;
    }
    out->id = db_col_int(r, 0);
    out->started_at = db_col_int(r, 1);
    out->finished_at = db_col_int(r, 2);
    out->status = arena_strdup(a, db_col_text(r, 3, NULL));
    out->mode = arena_strdup(a, db_col_text(r, 4, NULL));
    out->days_total = db_col_int(r, 5);
    out->days_ok = db_col_int(r, 6);
    out->days_failed = db_col_int(r, 7);
    out->requests = db_col_int(r, 8);
    out->retries = db_col_int(r, 9);
    out->upserted = db_col_int(r, 10);
    out->removed = db_col_int(r, 11);
    out->first_error = arena_strdup(a, db_col_text(r, 12, NULL));
    out->failed_days = arena_strdup(a, db_col_text(r, 13, NULL));
    db_rows_close(r);
    return STORE_OK;
}

int store_last_import(store *st, int64_t *finished_at)
{
    return store_query_int(st,
                           "SELECT coalesce(max(finished_at), 0) FROM import_runs"
                           " WHERE status IN ('succeeded', 'partial')",
                           NULL, 0, finished_at);
}
