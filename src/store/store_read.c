/* The API's reads. Every list is a range scan of an index that already holds
 * the response order (see schema.c); the rows of a page are then joined to
 * their show and distributors, 25 rows at a time. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

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
#define SCHEDULE_ORDER "airdate, time_sort, show_name, season, number_sort, id"

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

/* The WHERE clause of a schedule query, with placeholders numbered from $1;
 * only our own fixed fragments go into the text, every value is a parameter. */
static int episode_where(const episode_filter *f, buf *sql, db_val *p, char *code)
{
    int n = 0;

    p[n++] = dbv_text(f->from);
    p[n++] = dbv_text(f->to);
    buf_puts(sql, " FROM episodes e WHERE e.airdate >= $1 AND e.airdate <= $2");
    if (f->distributor) {
        p[n++] = dbv_textn(f->distributor, f->distributor_len);
        buf_printf(sql,
                   " AND (e.network_id IN (SELECT id FROM distributors WHERE name = $%d)"
                   " OR e.web_channel_id IN (SELECT id FROM distributors WHERE name = $%d))",
                   n, n);
    }
    if (f->country) {
        /* a two-letter value is also tried as an ISO code, in upper case */
        size_t k = f->country_len == 2 ? 2 : 0;
        for (size_t i = 0; i < k; i++)
            code[i] = (char)toupper((unsigned char)f->country[i]);
        code[k] = '\0';
        p[n++] = dbv_textn(f->country, f->country_len);
        p[n++] = dbv_text(code);
        buf_printf(sql,
                   " AND (e.network_id IN (SELECT id FROM distributors"
                   " WHERE country_name = $%d OR country_code = $%d)"
                   " OR e.web_channel_id IN (SELECT id FROM distributors"
                   " WHERE country_name = $%d OR country_code = $%d))",
                   n - 1, n, n - 1, n);
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
    n = episode_where(f, &where, p, code);
    buf_printf(&sql, "SELECT count(*)%s", where.data);
    if ((rc = store_query_int(st, sql.data, p, n, &out->total)) != STORE_OK)
        goto done;
    out->n = 0;
    out->rows = NULL;
    if (offset >= out->total)
        goto done; /* past the end: no second query */
    buf_reset(&sql);
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
