/* The analytical reports' queries. The two dialects differ in how they make
 * a series of days and unnest a JSON array; the meaning is the same. */
#include <string.h>

#include "store/store_internal.h"

/* An episode counts for its show's network and for its web channel. The
 * rolling window runs over a dense series of calendar days, so days without
 * episodes count as zeros (a window of rows would skip them). */
#define TOP_TAIL                                                                                   \
    " ep AS (SELECT airdate AS d, network_id AS did FROM episodes"                                 \
    "   WHERE airdate BETWEEN $1 AND $2 AND network_id IS NOT NULL"                                \
    "  UNION ALL SELECT airdate, web_channel_id FROM episodes"                                     \
    "   WHERE airdate BETWEEN $1 AND $2 AND web_channel_id IS NOT NULL),"                          \
    " totals AS (SELECT did, count(*) AS n FROM ep GROUP BY did),"                                 \
    " top AS (SELECT t.did, t.n, d.name FROM totals t JOIN distributors d ON d.id = t.did"         \
    "   ORDER BY t.n DESC, d.name, t.did LIMIT 10),"                                               \
    " daily AS (SELECT did, d, count(*) AS c FROM ep WHERE did IN (SELECT did FROM top)"           \
    "   GROUP BY did, d),"                                                                         \
    " dense AS (SELECT top.did, days.d, coalesce(daily.c, 0) AS c FROM top CROSS JOIN days"        \
    "   LEFT JOIN daily ON daily.did = top.did AND daily.d = days.d),"                             \
    " rolling AS (SELECT did, sum(c) OVER (PARTITION BY did ORDER BY d"                            \
    "   ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS w FROM dense)"                                \
    " SELECT d.name, d.kind, d.country_name, top.n, max(r.w), avg(r.w)"                            \
    " FROM top JOIN distributors d ON d.id = top.did JOIN rolling r ON r.did = top.did"            \
    " GROUP BY top.did, d.name, d.kind, d.country_name, top.n"                                     \
    " ORDER BY top.n DESC, d.name, top.did"

static dialect_sql top_sql = {
    "WITH RECURSIVE days(d) AS (SELECT $1 UNION ALL SELECT date(d, '+1 day') FROM days"
    " WHERE d < $2)," TOP_TAIL,
    "WITH days AS (SELECT to_char(g, 'YYYY-MM-DD') AS d FROM"
    " generate_series(CAST(CAST($1 AS text) AS date), CAST(CAST($2 AS text) AS date),"
    " interval '1 day') g)," TOP_TAIL};

#define GENRE_TAIL                                                                                 \
    " se AS (SELECT show_id, count(*) AS n,"                                                       \
    "   sum(CASE WHEN airdate >= $1 THEN 1 ELSE 0 END) AS upcoming,"                               \
    "   count(rating) AS rated, sum(rating) AS rating_sum FROM episodes GROUP BY show_id)"         \
    " SELECT g.genre, count(*), sum(se.n), sum(se.upcoming),"                                      \
    "  sum(CASE WHEN se.upcoming > 0 THEN 1 ELSE 0 END), avg(g.rating),"                           \
    "  sum(se.rating_sum) / nullif(sum(se.rated), 0)"                                              \
    " FROM g JOIN se ON se.show_id = g.show_id GROUP BY g.genre HAVING count(*) >= $2"             \
    " ORDER BY g.genre"

static dialect_sql genre_sql = {
    "WITH g AS (SELECT s.id AS show_id, j.value AS genre, s.rating FROM shows s,"
    " json_each(s.genres) j)," GENRE_TAIL,
    "WITH g AS (SELECT s.id AS show_id, j AS genre, s.rating FROM shows s,"
    " json_array_elements_text(CAST(s.genres AS json)) j)," GENRE_TAIL};

static void *read_top(db_rows *r, arena *a)
{
    store_network_stat *s = arena_calloc(a, sizeof(*s));

    if (!s)
        return NULL;
    s->name = store_text(r, a, 0);
    s->kind = store_text(r, a, 1);
    s->country = store_text(r, a, 2);
    s->episodes = db_col_int(r, 3);
    s->peak_7d = db_col_int(r, 4);
    s->avg_7d = db_col_float(r, 5);
    return s;
}

static void *read_genre(db_rows *r, arena *a)
{
    store_genre_stat *s = arena_calloc(a, sizeof(*s));

    if (!s)
        return NULL;
    s->genre = store_text(r, a, 0);
    s->shows = db_col_int(r, 1);
    s->episodes = db_col_int(r, 2);
    s->upcoming = db_col_int(r, 3);
    s->shows_upcoming = db_col_int(r, 4);
    if ((s->has_show_rating = !db_col_null(r, 5)))
        s->avg_show_rating = db_col_float(r, 5);
    if ((s->has_episode_rating = !db_col_null(r, 6)))
        s->avg_episode_rating = db_col_float(r, 6);
    return s;
}

static void *read_slot(db_rows *r, arena *a)
{
    store_slot_count *s = arena_calloc(a, sizeof(*s));

    if (!s)
        return NULL;
    s->airdate = store_text(r, a, 0);
    s->airtime = store_text(r, a, 1);
    s->episodes = db_col_int(r, 2);
    return s;
}

static int rows(store *st, const char *sql, const db_val *p, int np, arena *a, store_row_reader fn,
                store_page *out)
{
    int rc = store_collect(st, sql, p, np, a, fn, out);

    out->total = (int64_t)out->n;
    return rc;
}

int store_top_distributors(store *st, const char *from, const char *to, arena *a, store_page *out)
{
    db_val p[2] = {dbv_text(from), dbv_text(to)};

    return rows(st, store_sql(st, top_sql), p, 2, a, read_top, out);
}

int store_genre_stats(store *st, const char *today, int min_shows, arena *a, store_page *out)
{
    db_val p[2] = {dbv_text(today), dbv_int(min_shows)};

    return rows(st, store_sql(st, genre_sql), p, 2, a, read_genre, out);
}

int store_slot_counts(store *st, const char *from, const char *to, arena *a, store_page *out)
{
    db_val p[2] = {dbv_text(from), dbv_text(to)};

    return rows(st,
                "SELECT airdate, airtime, count(*) FROM episodes"
                " WHERE airdate BETWEEN $1 AND $2 GROUP BY airdate, airtime"
                " ORDER BY airdate, airtime",
                p, 2, a, read_slot, out);
}
