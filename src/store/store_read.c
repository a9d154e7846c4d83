/* The API's reads. Every list is a range scan of an index that already holds
 * the response order (see schema.c); the rows of a page are then joined to
 * their show and distributors, 25 rows at a time. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"
#include "util/date.h"
#include "util/fold.h"
#include "util/idmap.h"

#define SHOW_COLS                                                                                  \
    "s.id, s.name, s.type, s.language, s.status, s.rating, s.genres, s.image_medium,"              \
    " s.image_original, s.url, s.runtime, s.premiered, s.ended, s.official_site,"                  \
    " s.schedule_time, s.schedule_days, s.summary, s.average_runtime,"                             \
    " s.tvmaze_id, s.imdb, s.thetvdb, s.weight, s.search_name, s.updated,"                         \
    " n.id, n.name, n.country_name, n.country_code, n.country_timezone,"                           \
    " w.id, w.name, w.country_name, w.country_code, w.country_timezone"
#define SHOW_NCOLS 34
/* The same columns where a show object in a list shows nothing of them
 * (its run, schedule, summary, site, weight, search name, update time) */
#define SHOW_LIST_COLS                                                                             \
    "s.id, s.name, s.type, s.language, s.status, s.rating, s.genres, s.image_medium,"              \
    " s.image_original, s.url, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"                    \
    " s.tvmaze_id, s.imdb, s.thetvdb, NULL, NULL, 0,"                                              \
    " n.id, n.name, n.country_name, n.country_code, n.country_timezone,"                           \
    " w.id, w.name, w.country_name, w.country_code, w.country_timezone"
#define SHOW_JOINS                                                                                 \
    " LEFT JOIN distributors n ON n.id = s.network_id"                                             \
    " LEFT JOIN distributors w ON w.id = s.web_channel_id"
/* episode e's season length (TVmaze's episodeOrder): a primary-key lookup */
#define SEASON_LENGTH                                                                              \
    "(SELECT x.episode_order FROM seasons x WHERE x.show_id = e.show_id AND x.number = e.season)"
#define EPISODE_COLS                                                                               \
    "e.id, e.name, e.season, e.number, e.type, e.runtime, e.rating, e.summary, e.image_medium,"    \
    " e.image_original, e.airdate, e.airtime, e.airstamp, e.url, e.tvmaze_id, e.revision,"         \
    " e.time_changed_at, " SEASON_LENGTH ", "
#define EPISODE_NCOLS 18

static tv_distributor *read_distributor(db_rows *r, arena *a, int col, dist_kind kind)
{
    tv_distributor *d;

    if (db_col_null(r, col) || !(d = arena_calloc(a, sizeof(*d))))
        return NULL;
    d->id = db_col_int(r, col);
    d->kind = kind;
    d->name = store_text(r, a, col + 1);
    d->country_name = store_text(r, a, col + 2);
    d->country_code = store_text(r, a, col + 3);
    d->country_timezone = store_text(r, a, col + 4);
    return d;
}

static tv_show *read_show(db_rows *r, arena *a, int c)
{
    tv_show *s = arena_calloc(a, sizeof(*s));

    if (!s)
        return NULL;
    s->id = db_col_int(r, c);
    s->name = store_text(r, a, c + 1);
    s->type = store_text(r, a, c + 2);
    s->language = store_text(r, a, c + 3);
    s->status = store_text(r, a, c + 4);
    if ((s->has_rating = !db_col_null(r, c + 5)))
        s->rating = db_col_float(r, c + 5);
    s->genres_json = store_text(r, a, c + 6);
    s->image_medium = store_text(r, a, c + 7);
    s->image_original = store_text(r, a, c + 8);
    s->url = store_text(r, a, c + 9);
    if ((s->has_runtime = !db_col_null(r, c + 10)))
        s->runtime = (int32_t)db_col_int(r, c + 10);
    s->premiered = store_text(r, a, c + 11);
    s->ended = store_text(r, a, c + 12);
    s->official_site = store_text(r, a, c + 13);
    s->schedule_time = store_text(r, a, c + 14);
    s->schedule_days_json = store_text(r, a, c + 15);
    s->summary = store_text(r, a, c + 16);
    if ((s->has_average_runtime = !db_col_null(r, c + 17)))
        s->average_runtime = (int32_t)db_col_int(r, c + 17);
    s->tvmaze_id = db_col_int(r, c + 18);
    s->imdb = store_text(r, a, c + 19);
    if ((s->has_thetvdb = !db_col_null(r, c + 20)))
        s->thetvdb = db_col_int(r, c + 20);
    if ((s->has_weight = !db_col_null(r, c + 21)))
        s->weight = (int32_t)db_col_int(r, c + 21);
    s->search_name = store_text(r, a, c + 22);
    s->updated = db_col_int(r, c + 23);
    s->network = read_distributor(r, a, c + 24, DIST_NETWORK);
    s->web_channel = read_distributor(r, a, c + 29, DIST_WEB);
    return s;
}

static tv_episode *read_episode(db_rows *r, arena *a, int with_show)
{
    tv_episode *e = arena_calloc(a, sizeof(*e));

    if (!e)
        return NULL;
    e->id = db_col_int(r, 0);
    e->name = store_text(r, a, 1);
    e->has_season = 1;
    e->season = (int32_t)db_col_int(r, 2);
    if ((e->has_number = !db_col_null(r, 3)))
        e->number = (int32_t)db_col_int(r, 3);
    e->type = store_text(r, a, 4);
    if ((e->has_runtime = !db_col_null(r, 5)))
        e->runtime = (int32_t)db_col_int(r, 5);
    if ((e->has_rating = !db_col_null(r, 6)))
        e->rating = db_col_float(r, 6);
    e->summary = store_text(r, a, 7);
    e->image_medium = store_text(r, a, 8);
    e->image_original = store_text(r, a, 9);
    e->airdate = store_text(r, a, 10);
    e->airtime = store_text(r, a, 11);
    e->airstamp = store_text(r, a, 12);
    e->url = store_text(r, a, 13);
    e->tvmaze_id = db_col_int(r, 14);
    e->revision = (int32_t)db_col_int(r, 15);
    e->time_changed_at = db_col_null(r, 16) ? 0 : db_col_int(r, 16);
    e->season_length = db_col_null(r, 17) ? 0 : (int32_t)db_col_int(r, 17);
    if (with_show)
        e->show = read_show(r, a, EPISODE_NCOLS);
    return e;
}

static void *read_episode_row(db_rows *r, arena *a)
{
    return read_episode(r, a, 1);
}

static void *read_show_row(db_rows *r, arena *a)
{
    return read_show(r, a, 0);
}

static void *read_name_row(db_rows *r, arena *a)
{
    return (void *)store_text(r, a, 0);
}

/* ---- the schedule's index ---- */

int store_sched_rows(store *st, int32_t from, int32_t to, store_sched_fn fn, void *ctx,
                     int64_t *gen)
{
    /* in the schedule index's order; the generation rides along on every
     * row (an uncorrelated subquery: evaluated once) */
    static const char sql[] =
        "SELECT e.id, e.show_id, e.airdate, e.time_sort, e.airtime, e.airstamp, e.season,"
        " e.number, e.number_sort, e.show_name, e.show_rating, e.network_id, e.web_channel_id,"
        " s.genres, s.language, s.type, s.status, s.premiered,"
        " (SELECT value FROM meta WHERE key = 'generation'), " SEASON_LENGTH
        " FROM episodes e JOIN shows s ON s.id = e.show_id"
        " WHERE e.airdate >= $1 AND e.airdate <= $2"
        " ORDER BY e.airdate, e.time_sort, e.show_name, e.season, e.number_sort, e.id";
    char d0[DATE_LEN + 1], d1[DATE_LEN + 1], last[DATE_LEN] = "";
    db_val p[2];
    store_sched_row row;
    db_rows *r;
    int rc, bad = 0;

    date_format(from, d0);
    date_format(to, d1);
    p[0] = dbv_text(d0);
    p[1] = dbv_text(d1);
    *gen = -1;
    if ((rc = db_query(st->db, sql, p, 2, &r)) != DB_OK)
        return store_fail(st, rc);
    memset(&row, 0, sizeof(row));
    while ((rc = db_next(r)) == 1) {
        size_t len;
        const char *day = db_col_text(r, 2, &len), *airtime, *stamp, *prem;
        if (!day || len != DATE_LEN) {
            bad = 1;
            break;
        }
        if (memcmp(day, last, DATE_LEN) != 0) {
            if ((bad = date_parse(day, len, &row.airdate) != 0))
                break; /* not a date: the mapper lets none through */
            memcpy(last, day, DATE_LEN);
        }
        row.id = db_col_int(r, 0);
        row.show_id = db_col_int(r, 1);
        row.time_sort = (int32_t)db_col_int(r, 3);
        airtime = db_col_text(r, 4, &len);
        stamp = db_col_text(r, 5, &len);
        row.has_instant = tv_airing_instant(airtime, stamp, len, &row.instant);
        row.season = (int32_t)db_col_int(r, 6);
        if ((row.has_number = !db_col_null(r, 7)))
            row.number = (int32_t)db_col_int(r, 7);
        row.number_sort = (int32_t)db_col_int(r, 8);
        row.show_name = db_col_text(r, 9, &row.show_name_len);
        if ((row.has_rating = !db_col_null(r, 10)))
            row.show_rating = db_col_float(r, 10);
        row.network_id = db_col_null(r, 11) ? 0 : db_col_int(r, 11);
        row.web_channel_id = db_col_null(r, 12) ? 0 : db_col_int(r, 12);
        row.genres_json = db_col_text(r, 13, &len);
        row.language = db_col_text(r, 14, &len);
        row.type = db_col_text(r, 15, &len);
        row.status = db_col_text(r, 16, &len);
        prem = db_col_text(r, 17, &len);
        row.has_premiered = prem && date_parse(prem, len, &row.premiered) == 0;
        *gen = db_col_int(r, 18);
        row.season_length = db_col_null(r, 19) ? 0 : (int32_t)db_col_int(r, 19);
        if (!row.show_name)
            row.show_name = "";
        if ((rc = fn(ctx, &row)) < 0)
            break;
    }
    db_rows_close(r);
    if (bad) {
        snprintf(st->err, sizeof(st->err), "cannot read the schedule: an airdate is no date");
        return STORE_ERR;
    }
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
}

int store_distributors(store *st, store_distributor_fn fn, void *ctx, int64_t *gen)
{
    static const char sql[] =
        "SELECT id, kind, name, country_name, country_code, country_timezone,"
        " (SELECT value FROM meta WHERE key = 'generation') FROM distributors";
    store_distributor d;
    db_rows *r;
    size_t len;
    int rc;

    *gen = -1;
    if ((rc = db_query(st->db, sql, NULL, 0, &r)) != DB_OK)
        return store_fail(st, rc);
    while ((rc = db_next(r)) == 1) {
        const char *kind = db_col_text(r, 1, &len);
        d.id = db_col_int(r, 0);
        d.kind = kind && !strcmp(kind, "web") ? DIST_WEB : DIST_NETWORK;
        d.name = db_col_text(r, 2, &len);
        d.country_name = db_col_text(r, 3, &len);
        d.country_code = db_col_text(r, 4, &len);
        d.timezone = db_col_text(r, 5, &len);
        *gen = db_col_int(r, 6);
        if ((rc = fn(ctx, &d)) < 0)
            break;
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
}

int store_show_names(store *st, store_show_name_fn fn, void *ctx, int64_t *gen)
{
    static const char sql[] = "SELECT s.id, s.name, s.search_name, s.weight,"
                              " (SELECT value FROM meta WHERE key = 'generation') FROM shows s"
                              " WHERE EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id)";
    store_show_name n;
    db_rows *r;
    size_t len;
    int rc;

    *gen = -1;
    if ((rc = db_query(st->db, sql, NULL, 0, &r)) != DB_OK)
        return store_fail(st, rc);
    while ((rc = db_next(r)) == 1) {
        n.id = db_col_int(r, 0);
        n.name = db_col_text(r, 1, &len);
        n.search_name = db_col_text(r, 2, &len);
        n.weight = db_col_null(r, 3) ? -1 : (int)db_col_int(r, 3);
        *gen = db_col_int(r, 4);
        if ((rc = fn(ctx, &n)) < 0)
            break;
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
}

/* A list of ids as one parameter: a JSON array (SQLite) or an array
 * literal (PostgreSQL), in the arena. */
static db_val id_list(store *st, arena *a, const int64_t *ids, size_t n)
{
    int pg = store_is_postgres(st);
    char *text = arena_alloc(a, n * 21 + 3), *w = text;

    if (!text)
        return dbv_null();
    *w++ = pg ? '{' : '[';
    for (size_t i = 0; i < n; i++)
        w += sprintf(w, i ? ",%lld" : "%lld", (long long)ids[i]);
    *w++ = pg ? '}' : ']';
    *w = '\0';
    return dbv_text(text);
}

static int episodes_by_ids(store *st, dialect_sql sql, store_row_reader read, const int64_t *ids,
                           size_t n, arena *a, tv_episode **out)
{
    store_page page;
    idmap at;
    db_val p;
    int rc;

    memset(out, 0, n * sizeof(tv_episode *));
    if (!n)
        return STORE_OK;
    p = id_list(st, a, ids, n);
    if (p.type == DBV_NULL ||
        (rc = store_collect(st, store_sql(st, sql), &p, 1, a, read, &page)) != STORE_OK)
        return p.type == DBV_NULL ? STORE_ERR : rc;
    idmap_init(&at);
    for (size_t i = 0; i < n; i++)
        if (idmap_put(&at, ids[i], (int64_t)i) != 0) {
            idmap_free(&at);
            return STORE_ERR;
        }
    for (size_t i = 0; i < page.n; i++) {
        tv_episode *e = page.rows[i];
        int64_t k;
        if (idmap_get(&at, e->id, &k))
            out[k] = e;
    }
    idmap_free(&at);
    return STORE_OK;
}

int store_episodes_by_ids(store *st, const int64_t *ids, size_t n, arena *a, tv_episode **out)
{
    static dialect_sql sql = {"SELECT " EPISODE_COLS SHOW_COLS
                              " FROM episodes e JOIN shows s ON s.id = e.show_id" SHOW_JOINS
                              " WHERE e.id IN (SELECT value FROM json_each($1))",
                              "SELECT " EPISODE_COLS SHOW_COLS
                              " FROM episodes e JOIN shows s ON s.id = e.show_id" SHOW_JOINS
                              " WHERE e.id = ANY($1::text::bigint[])"};

    return episodes_by_ids(st, sql, read_episode_row, ids, n, a, out);
}

/* An episode of a list: its show is a stub that carries only the id. */
static void *read_list_episode_row(db_rows *r, arena *a)
{
    tv_episode *e = read_episode(r, a, 0);

    if (e && (e->show = arena_calloc(a, sizeof(*e->show))))
        e->show->id = db_col_int(r, EPISODE_NCOLS);
    return e && e->show ? e : NULL;
}

int store_list_episodes(store *st, const int64_t *ids, size_t n, arena *a, tv_episode **out)
{
    static dialect_sql sql = {"SELECT " EPISODE_COLS "e.show_id FROM episodes e"
                              " WHERE e.id IN (SELECT value FROM json_each($1))",
                              "SELECT " EPISODE_COLS "e.show_id FROM episodes e"
                              " WHERE e.id = ANY($1::text::bigint[])"};

    return episodes_by_ids(st, sql, read_list_episode_row, ids, n, a, out);
}

/* A next episode and the show it is next of. */
typedef struct next_row {
    tv_next_episode e;
    int64_t show_id;
} next_row;

static int shows_by_ids(store *st, dialect_sql sql, const int64_t *ids, size_t n, arena *a,
                        tv_show **out)
{
    store_page page;
    db_val p;
    int rc;

    memset(out, 0, n * sizeof(tv_show *));
    if (!n)
        return STORE_OK;
    p = id_list(st, a, ids, n);
    if (p.type == DBV_NULL)
        return STORE_ERR;
    if ((rc = store_collect(st, store_sql(st, sql), &p, 1, a, read_show_row, &page)) != STORE_OK)
        return rc;
    for (size_t j = 0; j < page.n; j++) {
        tv_show *s = page.rows[j];
        for (size_t i = 0; i < n; i++)
            if (ids[i] == s->id)
                out[i] = s;
    }
    return STORE_OK;
}

/* The shows of an id list, with the columns cols. */
#define SHOWS_BY_IDS_SQL(cols)                                                                     \
    {                                                                                              \
        "SELECT " cols " FROM shows s" SHOW_JOINS                                                  \
        " WHERE s.id IN (SELECT value FROM json_each($1))",                                        \
            "SELECT " cols " FROM shows s" SHOW_JOINS " WHERE s.id = ANY($1::text::bigint[])"      \
    }

int store_shows_by_ids(store *st, const int64_t *ids, size_t n, arena *a, tv_show **out)
{
    static dialect_sql sql = SHOWS_BY_IDS_SQL(SHOW_COLS);

    return shows_by_ids(st, sql, ids, n, a, out);
}

int store_show_cards(store *st, const int64_t *ids, size_t n, arena *a, tv_show **out)
{
    static dialect_sql sql = SHOWS_BY_IDS_SQL(SHOW_LIST_COLS);

    return shows_by_ids(st, sql, ids, n, a, out);
}

static void *read_next_row(db_rows *r, arena *a)
{
    next_row *row = arena_calloc(a, sizeof(*row));
    tv_next_episode *x;

    if (!row)
        return NULL;
    x = &row->e;
    row->show_id = db_col_int(r, 0);
    x->id = db_col_int(r, 1);
    x->season = (int32_t)db_col_int(r, 2);
    if ((x->has_number = !db_col_null(r, 3)))
        x->number = (int32_t)db_col_int(r, 3);
    x->name = store_text(r, a, 4);
    x->airstamp = store_text(r, a, 5);
    x->airdate = store_text(r, a, 6);
    x->airtime = store_text(r, a, 7);
    return row;
}

int store_next_episodes(store *st, tv_show *const *shows, size_t n, int64_t now, arena *a)
{
    /* one index probe per show (episodes_show: show_id, airdate, …): the
     * first episode from today on that has not aired yet */
#define NEXT_SQL(IDS)                                                                              \
    "SELECT q.show_id, x.id, x.season, x.number, x.name, x.airstamp, x.airdate, x.airtime"         \
    " FROM (SELECT j.show_id, (SELECT y.id FROM episodes y WHERE y.show_id = j.show_id"            \
    " AND y.airdate >= $2 AND (y.airdate > $2 OR y.airtime = '' OR y.airstamp IS NULL"             \
    " OR y.airstamp >= $3) ORDER BY y.airdate, y.time_sort, y.season, y.number_sort, y.id"         \
    " LIMIT 1) AS next_id FROM " IDS " j) q JOIN episodes x ON x.id = q.next_id"
    static dialect_sql sql = {NEXT_SQL("(SELECT value AS show_id FROM json_each($1))"),
                              NEXT_SQL("(SELECT unnest($1::text::bigint[]) AS show_id)")};
#undef NEXT_SQL
    char today[DATE_LEN + 1], stamp[INSTANT_LEN + 1];
    int64_t *ids = arena_alloc(a, (n + 1) * sizeof(*ids));
    size_t k = 0;
    store_page page;
    db_val p[3];
    int rc;

    if (!ids)
        return STORE_ERR;
    for (size_t i = 0; i < n; i++) {
        shows[i]->next = NULL;
        ids[k++] = shows[i]->id; /* repeats are harmless: each gets the same answer */
    }
    if (!k)
        return STORE_OK;
    date_format((int32_t)(now / 86400 - (now % 86400 < 0)), today);
    instant_format(now, stamp);
    p[0] = id_list(st, a, ids, k);
    p[1] = dbv_text(today);
    p[2] = dbv_text(stamp);
    if (p[0].type == DBV_NULL)
        return STORE_ERR;
    if ((rc = store_collect(st, store_sql(st, sql), p, 3, a, read_next_row, &page)) != STORE_OK)
        return rc;
    for (size_t j = 0; j < page.n; j++) {
        next_row *row = page.rows[j];
        for (size_t i = 0; i < n; i++)
            if (shows[i]->id == row->show_id)
                shows[i]->next = &row->e;
    }
    return STORE_OK;
}

#define SHOWS_WITH_EPISODES                                                                        \
    " FROM shows s WHERE EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id)"

int store_list_shows(store *st, int64_t offset, int limit, arena *a, store_page *out)
{
    db_val p[2] = {dbv_int(limit), dbv_int(offset)};
    int rc = store_query_int(st, "SELECT count(*)" SHOWS_WITH_EPISODES, NULL, 0, &out->total);

    out->n = 0;
    out->rows = NULL;
    if (rc != STORE_OK || offset >= out->total)
        return rc;
    return store_collect(st,
                         "SELECT " SHOW_COLS " FROM (SELECT s.id, s.name" SHOWS_WITH_EPISODES
                         " ORDER BY s.name, s.id LIMIT $1 OFFSET $2) p"
                         " JOIN shows s ON s.id = p.id" SHOW_JOINS " ORDER BY p.name, p.id",
                         p, 2, a, read_show_row, out);
}

int store_get_show(store *st, int64_t id, arena *a, tv_show **out)
{
    db_val p = dbv_int(id);
    store_page page;
    int rc = store_collect(st, "SELECT " SHOW_COLS " FROM shows s" SHOW_JOINS " WHERE s.id = $1",
                           &p, 1, a, read_show_row, &page);

    if (rc != STORE_OK)
        return rc;
    if (!page.n) {
        snprintf(st->err, sizeof(st->err), "no show %lld", (long long)id);
        return STORE_ENOTFOUND;
    }
    *out = page.rows[0];
    return STORE_OK;
}

int store_show_episodes(store *st, int64_t show_id, int64_t offset, int limit, arena *a,
                        store_page *out)
{
    db_val p[3] = {dbv_int(show_id), dbv_int(limit), dbv_int(offset)};
    int rc =
        store_query_int(st, "SELECT count(*) FROM episodes WHERE show_id = $1", p, 1, &out->total);

    out->n = 0;
    out->rows = NULL;
    if (rc != STORE_OK || offset >= out->total)
        return rc;
    return store_collect(st,
                         "SELECT " EPISODE_COLS SHOW_COLS " FROM episodes e"
                         " JOIN shows s ON s.id = e.show_id" SHOW_JOINS " WHERE e.show_id = $1"
                         " ORDER BY e.airdate DESC, e.season DESC, e.number_sort DESC, e.id DESC"
                         " LIMIT $2 OFFSET $3",
                         p, 3, a, read_episode_row, out);
}

/* The distributors of shows that have episodes (a show's episodes carry its
 * distributors, so this is where episodes air). */
#define SHOW_DISTRIBUTORS                                                                          \
    " (SELECT s.network_id FROM shows s WHERE s.network_id IS NOT NULL AND"                        \
    " EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id)"                                    \
    " UNION SELECT s.web_channel_id FROM shows s WHERE s.web_channel_id IS NOT NULL AND"           \
    " EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id))"

int store_distributor_names(store *st, arena *a, store_page *out)
{
    out->total = 0;
    return store_collect(
        st,
        "SELECT DISTINCT d.name FROM distributors d WHERE d.id IN" SHOW_DISTRIBUTORS
        " ORDER BY d.name",
        NULL, 0, a, read_name_row, out);
}

int store_country_names(store *st, arena *a, store_page *out)
{
    out->total = 0;
    return store_collect(st,
                         "SELECT DISTINCT d.country_name FROM distributors d"
                         " WHERE d.country_name IS NOT NULL AND d.id IN" SHOW_DISTRIBUTORS
                         " ORDER BY d.country_name",
                         NULL, 0, a, read_name_row, out);
}

/* ---- search and lookup ---- */

/* FTS5 query text: the folded query's trigrams, each a quoted string, any
 * of them ("" inside a string is a quote). */
static int trigram_match(const char *q, size_t n, buf *out)
{
    size_t starts[FOLD_MAX + 1], k = 0;

    /* the byte offsets of the characters (UTF-8 lead bytes) */
    for (size_t i = 0; i < n && k < FOLD_MAX; i++)
        if (((unsigned char)q[i] & 0xC0) != 0x80)
            starts[k++] = i;
    starts[k] = n;
    for (size_t i = 0; i + 3 <= k; i++) {
        if (i)
            buf_puts(out, " OR ");
        buf_putc(out, '"');
        for (size_t j = starts[i]; j < starts[i + 3]; j++) {
            if (q[j] == '"')
                buf_putc(out, '"');
            buf_putc(out, q[j]);
        }
        buf_putc(out, '"');
    }
    return k >= 3 ? 0 : -1;
}

/* A LIKE pattern: before, then q with the pattern characters escaped,
 * then anything. */
static void like_escaped(const char *q, size_t n, const char *before, buf *out)
{
    buf_puts(out, before);
    for (size_t i = 0; i < n; i++) {
        if (q[i] == '%' || q[i] == '_' || q[i] == '\\')
            buf_putc(out, '\\');
        buf_putc(out, q[i]);
    }
    buf_putc(out, '%');
}

int store_search_shows(store *st, const char *q, size_t n, int limit, arena *a, store_page *out)
{
    /* PostgreSQL: pg_trgm's word similarity (its GIN index serves <% and
     * LIKE); the API's connections lower its threshold (db_pg.c) so that a
     * short word with two letters swapped is still a candidate */
    static const char pg[] =
        "SELECT " SHOW_COLS " FROM shows s" SHOW_JOINS
        " WHERE ($1 <% s.search_name OR s.search_name LIKE $2 ESCAPE '\\')"
        " AND EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id)"
        " ORDER BY word_similarity($1, s.search_name) DESC, s.weight DESC NULLS LAST, s.id"
        " LIMIT $3";
    /* SQLite: FTS5's trigram index, any of the query's trigrams, best
     * bm25 first; a query under three characters (two CJK characters are a
     * word) is looked for anywhere in the names */
    static const char sqlite_fts[] =
        "SELECT " SHOW_COLS " FROM (SELECT rowid AS id FROM shows_search"
        " WHERE shows_search MATCH $1 ORDER BY rank LIMIT $3) f JOIN shows s ON s.id = "
        "f.id" SHOW_JOINS " WHERE EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id)";
    static const char sqlite_short[] =
        "SELECT " SHOW_COLS " FROM shows s" SHOW_JOINS " WHERE s.search_name LIKE $1 ESCAPE '\\'"
        " AND EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id)"
        " ORDER BY s.weight DESC, s.id LIMIT $3";
    buf a1, a2;
    db_val p[3];
    const char *sql;
    int rc;

    buf_init(&a1, 64 * 1024);
    buf_init(&a2, 64 * 1024);
    if (store_is_postgres(st)) {
        like_escaped(q, n, "%", &a2);
        p[0] = dbv_textn(q, n);
        p[1] = dbv_textn(a2.data, a2.len);
        sql = pg;
    } else if (trigram_match(q, n, &a1) == 0) {
        p[0] = dbv_textn(a1.data, a1.len);
        p[1] = dbv_null();
        sql = sqlite_fts;
    } else {
        like_escaped(q, n, "%", &a1);
        p[0] = dbv_textn(a1.data, a1.len);
        p[1] = dbv_null();
        sql = sqlite_short;
    }
    p[2] = dbv_int(limit);
    rc = store_collect(st, sql, p, 3, a, read_show_row, out);
    buf_free(&a1);
    buf_free(&a2);
    return rc;
}

int store_lookup_show(store *st, store_external kind, const char *value, size_t n, arena *a,
                      tv_show **out)
{
    char sql[2048];
    store_page page;
    db_val p;
    int rc;

    if (kind == STORE_EXT_IMDB) {
        p = dbv_textn(value, n);
    } else {
        int64_t id = 0;
        for (size_t i = 0; i < n && id < INT64_MAX / 10 - 10; i++)
            id = id * 10 + (value[i] - '0');
        p = dbv_int(id);
    }
    snprintf(sql, sizeof(sql),
             "SELECT " SHOW_COLS " FROM shows s" SHOW_JOINS "%s ORDER BY s.id LIMIT 1",
             kind == STORE_EXT_THETVDB ? " WHERE s.thetvdb = $1"
             : kind == STORE_EXT_IMDB  ? " WHERE s.imdb = $1"
                                       : " WHERE s.tvmaze_id = $1");
    if ((rc = store_collect(st, sql, &p, 1, a, read_show_row, &page)) != STORE_OK)
        return rc;
    if (!page.n) {
        snprintf(st->err, sizeof(st->err), "no such show");
        return STORE_ENOTFOUND;
    }
    *out = page.rows[0];
    return STORE_OK;
}

int store_genre_names(store *st, arena *a, store_page *out)
{
    static dialect_sql sql = {
        "SELECT DISTINCT j.value FROM shows s, json_each(s.genres) j"
        " WHERE EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id) ORDER BY 1",
        "SELECT DISTINCT j.value COLLATE \"C\" FROM shows s,"
        " json_array_elements_text(s.genres::json) j (value)"
        " WHERE EXISTS (SELECT 1 FROM episodes e WHERE e.show_id = s.id) ORDER BY 1"};

    out->total = 0;
    return store_collect(st, store_sql(st, sql), NULL, 0, a, read_name_row, out);
}
