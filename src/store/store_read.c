/* The API's reads. Every list is a range scan of an index that already holds
 * the response order (see schema.c); the rows of a page are then joined to
 * their show and distributors, 25 rows at a time. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"
#include "util/date.h"

#define SHOW_COLS                                                                                  \
    "s.id, s.name, s.type, s.language, s.status, s.rating, s.genres, s.image_medium,"              \
    " s.image_original, s.url, s.runtime, s.premiered, s.ended, s.official_site,"                  \
    " s.schedule_time, s.schedule_days, s.summary, s.average_runtime,"                             \
    " n.id, n.name, n.country_name, n.country_code,"                                               \
    " w.id, w.name, w.country_name, w.country_code"
#define SHOW_NCOLS 26
#define SHOW_JOINS                                                                                 \
    " LEFT JOIN distributors n ON n.id = s.network_id"                                             \
    " LEFT JOIN distributors w ON w.id = s.web_channel_id"
#define EPISODE_COLS                                                                               \
    "e.id, e.name, e.season, e.number, e.type, e.runtime, e.rating, e.summary, e.image_medium,"    \
    " e.image_original, e.airdate, e.airtime, e.airstamp, e.url, "
#define EPISODE_NCOLS  14
#define SCHEDULE_ORDER "e.airdate, e.time_sort, e.show_name, e.season, e.number_sort, e.id"

static const char *text(db_rows *r, arena *a, int col)
{
    size_t n;
    const char *t = db_col_text(r, col, &n);

    return t ? arena_strndup(a, t, n) : NULL;
}

static tv_distributor *read_distributor(db_rows *r, arena *a, int col, dist_kind kind)
{
    tv_distributor *d;

    if (db_col_null(r, col) || !(d = arena_calloc(a, sizeof(*d))))
        return NULL;
    d->id = db_col_int(r, col);
    d->kind = kind;
    d->name = text(r, a, col + 1);
    d->country_name = text(r, a, col + 2);
    d->country_code = text(r, a, col + 3);
    return d;
}

static tv_show *read_show(db_rows *r, arena *a, int c)
{
    tv_show *s = arena_calloc(a, sizeof(*s));

    if (!s)
        return NULL;
    s->id = db_col_int(r, c);
    s->name = text(r, a, c + 1);
    s->type = text(r, a, c + 2);
    s->language = text(r, a, c + 3);
    s->status = text(r, a, c + 4);
    if ((s->has_rating = !db_col_null(r, c + 5)))
        s->rating = db_col_float(r, c + 5);
    s->genres_json = text(r, a, c + 6);
    s->image_medium = text(r, a, c + 7);
    s->image_original = text(r, a, c + 8);
    s->url = text(r, a, c + 9);
    if ((s->has_runtime = !db_col_null(r, c + 10)))
        s->runtime = (int32_t)db_col_int(r, c + 10);
    s->premiered = text(r, a, c + 11);
    s->ended = text(r, a, c + 12);
    s->official_site = text(r, a, c + 13);
    s->schedule_time = text(r, a, c + 14);
    s->schedule_days_json = text(r, a, c + 15);
    s->summary = text(r, a, c + 16);
    if ((s->has_average_runtime = !db_col_null(r, c + 17)))
        s->average_runtime = (int32_t)db_col_int(r, c + 17);
    s->network = read_distributor(r, a, c + 18, DIST_NETWORK);
    s->web_channel = read_distributor(r, a, c + 22, DIST_WEB);
    return s;
}

static tv_episode *read_episode(db_rows *r, arena *a)
{
    tv_episode *e = arena_calloc(a, sizeof(*e));

    if (!e)
        return NULL;
    e->id = db_col_int(r, 0);
    e->name = text(r, a, 1);
    e->has_season = 1;
    e->season = (int32_t)db_col_int(r, 2);
    if ((e->has_number = !db_col_null(r, 3)))
        e->number = (int32_t)db_col_int(r, 3);
    e->type = text(r, a, 4);
    if ((e->has_runtime = !db_col_null(r, 5)))
        e->runtime = (int32_t)db_col_int(r, 5);
    if ((e->has_rating = !db_col_null(r, 6)))
        e->rating = db_col_float(r, 6);
    e->summary = text(r, a, 7);
    e->image_medium = text(r, a, 8);
    e->image_original = text(r, a, 9);
    e->airdate = text(r, a, 10);
    e->airtime = text(r, a, 11);
    e->airstamp = text(r, a, 12);
    e->url = text(r, a, 13);
    e->show = read_show(r, a, EPISODE_NCOLS);
    return e;
}

static void *read_episode_row(db_rows *r, arena *a)
{
    return read_episode(r, a);
}

static void *read_show_row(db_rows *r, arena *a)
{
    return read_show(r, a, 0);
}

static void *read_name_row(db_rows *r, arena *a)
{
    return (void *)text(r, a, 0);
}

void store_country_code(const episode_filter *f, char code[3])
{
    size_t k = f->country_len == 2 ? 2 : 0;

    for (size_t i = 0; i < k; i++)
        code[i] = (char)toupper((unsigned char)f->country[i]);
    code[k] = '\0';
}

/* " AND (s.network_id IN ids OR s.web_channel_id IN ids)", the ids as one
 * parameter (from the arena): an array the show indexes are searched by. */
static int show_terms(store *st, arena *a, buf *sql, db_val *p, int n, const int64_t *ids, size_t k)
{
    static dialect_sql terms = {" AND (s.network_id IN (SELECT value FROM json_each($%d))"
                                " OR s.web_channel_id IN (SELECT value FROM json_each($%d)))",
                                " AND (s.network_id = ANY($%d::text::bigint[])"
                                " OR s.web_channel_id = ANY($%d::text::bigint[]))"};
    int pg = store_is_postgres(st);
    char *text = arena_alloc(a, k * 21 + 3), *w = text;

    if (!text)
        return -1;
    *w++ = pg ? '{' : '[';
    for (size_t i = 0; i < k; i++)
        w += sprintf(w, i ? ",%lld" : "%lld", (long long)ids[i]);
    *w++ = pg ? '}' : ']';
    *w = '\0';
    p[n] = dbv_text(text);
    buf_printf(sql, store_sql(st, terms), n + 1, n + 1);
    return n + 1;
}

/* The FROM and WHERE of a schedule query, with placeholders numbered from
 * $1; only our own fixed fragments go into the text, every value is a
 * parameter. Either a range of the schedule index, checking each entry, or
 * (f->by_show) the filter's shows first, then each one's episodes in the
 * range by the show index: the join order is forced (SQLite: CROSS JOIN,
 * PostgreSQL: LATERAL, kept a subquery by OFFSET 0), as the planners cannot
 * know the filter is sparse. Returns the number of parameters, or -1. */
static int episode_where(store *st, const episode_filter *f, arena *a, buf *sql, db_val *p,
                         char *code)
{
    static dialect_sql by_show = {
        " FROM shows s CROSS JOIN episodes e INDEXED BY episodes_show"
        " WHERE e.show_id = s.id AND e.airdate >= $1 AND e.airdate <= $2",
        " FROM shows s CROSS JOIN LATERAL (SELECT x.id, x.airdate, x.time_sort, x.show_name,"
        " x.season, x.number_sort, x.show_rating FROM episodes x WHERE x.show_id = s.id"
        " AND x.airdate >= $1 AND x.airdate <= $2 OFFSET 0) e WHERE TRUE"};
    int n = 2;

    p[0] = dbv_text(f->from);
    p[1] = dbv_text(f->to);
    if (f->by_show) {
        buf_puts(sql, store_sql(st, by_show));
        if (f->distributor && (n = show_terms(st, a, sql, p, n, f->named_ids, f->n_named)) < 0)
            return -1;
        if (f->country && (n = show_terms(st, a, sql, p, n, f->country_ids, f->n_country)) < 0)
            return -1;
    } else {
        buf_puts(sql, " FROM episodes e WHERE e.airdate >= $1 AND e.airdate <= $2");
        if (f->distributor) {
            p[n++] = dbv_textn(f->distributor, f->distributor_len);
            buf_printf(sql,
                       " AND (e.network_id IN (SELECT id FROM distributors WHERE name = $%d)"
                       " OR e.web_channel_id IN (SELECT id FROM distributors WHERE name = $%d))",
                       n, n);
        }
        if (f->country) {
            store_country_code(f, code);
            p[n++] = dbv_textn(f->country, f->country_len);
            p[n++] = dbv_text(code);
            buf_printf(sql,
                       " AND (e.network_id IN (SELECT id FROM distributors"
                       " WHERE country_name = $%d OR country_code = $%d)"
                       " OR e.web_channel_id IN (SELECT id FROM distributors"
                       " WHERE country_name = $%d OR country_code = $%d))",
                       n - 1, n, n - 1, n);
        }
    }
    if (f->has_min_rating) {
        p[n++] = dbv_float(f->min_rating);
        buf_printf(sql, " AND e.show_rating >= $%d", n);
    }
    return n;
}

int store_find_episodes(store *st, const episode_filter *f, int64_t offset, int limit, arena *a,
                        store_page *out)
{
    db_val p[8];
    char code[3];
    buf where, sql;
    int n, rc;

    buf_init(&where, 1 << 14);
    buf_init(&sql, 1 << 14);
    if ((n = episode_where(st, f, a, &where, p, code)) < 0) {
        rc = STORE_ERR;
        goto done;
    }
    p[n] = dbv_int(limit);
    p[n + 1] = dbv_int(offset);
    buf_printf(&sql,
               "SELECT " EPISODE_COLS SHOW_COLS " FROM (SELECT e.id, e.airdate, e.time_sort,"
               " e.show_name, e.season, e.number_sort%s ORDER BY " SCHEDULE_ORDER
               " LIMIT $%d OFFSET $%d) p JOIN episodes e ON e.id = p.id"
               " JOIN shows s ON s.id = e.show_id" SHOW_JOINS " ORDER BY p.airdate, p.time_sort,"
               " p.show_name, p.season, p.number_sort, p.id",
               where.data, n + 1, n + 2);
    rc = store_collect(st, sql.data, p, n + 2, a, read_episode_row, out);
done:
    buf_free(&where);
    buf_free(&sql);
    return rc;
}

int store_day_groups(store *st, const char *from, const char *to, store_group_fn fn, void *ctx,
                     int64_t *gen)
{
    /* in the schedule index's order; the generation rides along on every
     * row (an uncorrelated subquery: evaluated once) */
    static const char sql[] =
        "SELECT airdate, network_id, web_channel_id, show_rating,"
        " (SELECT value FROM meta WHERE key = 'generation')"
        " FROM episodes WHERE airdate >= $1 AND airdate <= $2 ORDER BY airdate";
    db_val p[2] = {dbv_text(from), dbv_text(to)};
    store_day_group g = {.n = 1};
    char last[DATE_LEN] = "";
    const char *day;
    db_rows *r;
    size_t len;
    int rc, bad = 0;

    *gen = -1;
    if ((rc = db_query(st->db, sql, p, 2, &r)) != DB_OK)
        return store_fail(st, rc);
    while ((rc = db_next(r)) == 1) {
        day = db_col_text(r, 0, &len);
        if (!day || len != DATE_LEN) {
            bad = 1;
            break;
        }
        if (memcmp(day, last, DATE_LEN) != 0) {
            if ((bad = date_parse(day, len, &g.day) != 0))
                break; /* not a date: the mapper lets none through */
            memcpy(last, day, DATE_LEN);
        }
        g.network_id = db_col_null(r, 1) ? 0 : db_col_int(r, 1);
        g.web_channel_id = db_col_null(r, 2) ? 0 : db_col_int(r, 2);
        g.show_rating = db_col_null(r, 3) ? NAN : db_col_float(r, 3);
        *gen = db_col_int(r, 4);
        if ((rc = fn(ctx, &g)) < 0)
            break;
    }
    db_rows_close(r);
    if (bad) {
        snprintf(st->err, sizeof(st->err), "cannot count the schedule: an airdate is no date");
        return STORE_ERR;
    }
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
}

int store_all_distributors(store *st, store_distributor_fn fn, void *ctx, int64_t *gen)
{
    static const char sql[] =
        "SELECT id, name, country_name, country_code,"
        " (SELECT value FROM meta WHERE key = 'generation') FROM distributors";
    db_rows *r;
    size_t len;
    int rc;

    *gen = -1;
    if ((rc = db_query(st->db, sql, NULL, 0, &r)) != DB_OK)
        return store_fail(st, rc);
    while ((rc = db_next(r)) == 1) {
        *gen = db_col_int(r, 4);
        if ((rc = fn(ctx, db_col_int(r, 0), db_col_text(r, 1, &len), db_col_text(r, 2, &len),
                     db_col_text(r, 3, &len))) < 0)
            break;
    }
    db_rows_close(r);
    return rc < 0 ? store_fail(st, DB_ERR) : STORE_OK;
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
