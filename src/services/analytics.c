#include "services/analytics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/date.h"
#include "util/json.h"

#define MIN_GENRE_SHOWS 3
#define DENSITY_DAYS    30

static const char *const network_cols[] = {"rank",     "distributor", "kind",  "country",
                                           "episodes", "peak_7d",     "avg_7d"};
static const char *const genre_cols[] = {
    "genre",          "shows",           "episodes",           "upcoming_episodes",
    "upcoming_share", "avg_show_rating", "avg_episode_rating", "rating_quartile"};
static const char *const density_cols[] = {"day_type", "day_part", "episodes", "per_day",
                                           "busiest"};

static const char *const day_parts[] = {"morning", "afternoon", "prime_time", "late_night",
                                        "unknown"};

int analytics_find(const char *name, report_kind *out)
{
    if (!strcmp(name, "networks"))
        *out = REPORT_NETWORKS;
    else if (!strcmp(name, "genres"))
        *out = REPORT_GENRES;
    else if (!strcmp(name, "schedule-density"))
        *out = REPORT_DENSITY;
    else
        return -1;
    return 0;
}

/* Half away from zero, at a number of decimals (scale 100: two). */
static double round_to(double v, double scale)
{
    return round(v * scale) / scale;
}

static cell text_cell(const char *s)
{
    return s ? (cell){CELL_TEXT, s, 0, 0} : (cell){CELL_NULL, NULL, 0, 0};
}

static cell int_cell(int64_t v)
{
    return (cell){CELL_INT, NULL, v, 0};
}

static cell real_cell(int has, double v, double scale)
{
    return has ? (cell){CELL_REAL, NULL, 0, round_to(v, scale)} : (cell){CELL_NULL, NULL, 0, 0};
}

/* NTILE(4) of the item at 0-based position pos among n: the first n % 4
 * groups hold one item more, as in SQL. */
static int64_t ntile4(size_t pos, size_t n)
{
    size_t base = n / 4, extra = n % 4, start = 0;

    for (int64_t g = 1; g <= 4; g++) {
        size_t size = base + ((size_t)g <= extra ? 1 : 0);
        if (pos < start + size)
            return g;
        start += size;
    }
    return 4;
}

static int alloc_cells(report *r, arena *a, const char *const *cols, size_t ncols, size_t nrows)
{
    r->cols = cols;
    r->ncols = ncols;
    r->nrows = nrows;
    r->cells = arena_calloc(a, (nrows ? nrows : 1) * ncols * sizeof(cell));
    return r->cells ? STORE_OK : STORE_ERR;
}

static int networks(store *st, int32_t today, arena *a, report *r)
{
    char from[DATE_LEN + 1], to[DATE_LEN + 1];
    store_page page;
    int rc;

    date_format(today - 30, from);
    date_format(today + 90, to);
    if ((rc = store_top_distributors(st, from, to, a, &page)) != STORE_OK ||
        (rc = alloc_cells(r, a, network_cols, 7, page.n)) != STORE_OK)
        return rc;
    for (size_t i = 0, rank = 1; i < page.n; i++) {
        const store_network_stat *s = page.rows[i];
        cell *c = r->cells + i * 7;
        /* ties share a rank (1, 2, 2, 4) */
        if (i && s->episodes != ((store_network_stat *)page.rows[i - 1])->episodes)
            rank = i + 1;
        c[0] = int_cell((int64_t)rank);
        c[1] = text_cell(s->name);
        c[2] = text_cell(s->kind);
        c[3] = text_cell(s->country);
        c[4] = int_cell(s->episodes);
        c[5] = int_cell(s->peak_7d);
        c[6] = real_cell(1, s->avg_7d, 100);
    }
    return STORE_OK;
}

static int genres(store *st, int32_t today, arena *a, report *r)
{
    char day[DATE_LEN + 1];
    store_page page;
    size_t rated = 0;
    int rc;

    date_format(today, day);
    if ((rc = store_genre_stats(st, day, MIN_GENRE_SHOWS, a, &page)) != STORE_OK ||
        (rc = alloc_cells(r, a, genre_cols, 8, page.n)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < page.n; i++)
        rated += ((store_genre_stat *)page.rows[i])->has_show_rating;
    for (size_t i = 0; i < page.n; i++) {
        const store_genre_stat *s = page.rows[i];
        cell *c = r->cells + i * 8;
        c[0] = text_cell(s->genre);
        c[1] = int_cell(s->shows);
        c[2] = int_cell(s->episodes);
        c[3] = int_cell(s->upcoming);
        c[4] = real_cell(1, s->shows ? (double)s->shows_upcoming / (double)s->shows : 0, 10000);
        c[5] = real_cell(s->has_show_rating, s->avg_show_rating, 100);
        c[6] = real_cell(s->has_episode_rating, s->avg_episode_rating, 100);
        c[7] = (cell){CELL_NULL, NULL, 0, 0};
        if (s->has_show_rating) {
            /* NTILE(4) over the rated genres, best first: position by rating
             * (ties broken by name), then the quarter it falls in */
            size_t better = 0;
            for (size_t k = 0; k < page.n; k++) {
                const store_genre_stat *o = page.rows[k];
                if (o->has_show_rating &&
                    (o->avg_show_rating > s->avg_show_rating ||
                     (o->avg_show_rating == s->avg_show_rating && strcmp(o->genre, s->genre) < 0)))
                    better++;
            }
            c[7] = int_cell(ntile4(better, rated));
        }
    }
    return STORE_OK;
}

/* The part of the day of minutes after midnight. */
static int day_part(int minutes)
{
    if (minutes >= 6 * 60 && minutes < 12 * 60)
        return 0;
    if (minutes >= 12 * 60 && minutes < 18 * 60)
        return 1;
    if (minutes >= 18 * 60 && minutes < 23 * 60)
        return 2;
    return 3;
}

static int density(store *st, int32_t today, arena *a, report *r)
{
    char from[DATE_LEN + 1], to[DATE_LEN + 1];
    int64_t counts[2][5] = {{0}}, days[2] = {0};
    double best = -1;
    int best_t = -1, best_p = -1;
    store_page page;
    int rc;

    date_format(today, from);
    date_format(today + DENSITY_DAYS - 1, to);
    for (int32_t d = today; d < today + DENSITY_DAYS; d++)
        days[date_weekday(d) >= 5]++;
    if ((rc = store_slot_counts(st, from, to, a, &page)) != STORE_OK ||
        (rc = alloc_cells(r, a, density_cols, 5, 10)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < page.n; i++) {
        const store_slot_count *s = page.rows[i];
        int32_t d;
        int minutes;
        if (date_parse(s->airdate, strlen(s->airdate), &d) != 0)
            continue;
        if (s->airtime && time_parse_hhmm(s->airtime, strlen(s->airtime), &minutes) == 0)
            counts[date_weekday(d) >= 5][day_part(minutes)] += s->episodes;
        else
            counts[date_weekday(d) >= 5][4] += s->episodes; /* not announced */
    }
    for (int t = 0; t < 2; t++) {
        for (int p = 0; p < 4; p++) {
            double per_day = days[t] ? (double)counts[t][p] / (double)days[t] : 0;
            if (per_day > best) {
                best = per_day;
                best_t = t;
                best_p = p;
            }
        }
    }
    for (int t = 0; t < 2; t++) {
        for (int p = 0; p < 5; p++) {
            cell *c = r->cells + (size_t)(t * 5 + p) * 5;
            c[0] = text_cell(t ? "weekend" : "weekday");
            c[1] = text_cell(day_parts[p]);
            c[2] = int_cell(counts[t][p]);
            c[3] = real_cell(1, days[t] ? (double)counts[t][p] / (double)days[t] : 0, 100);
            c[4] = (cell){CELL_BOOL, NULL, best > 0 && t == best_t && p == best_p, 0};
        }
    }
    return STORE_OK;
}

int analytics_run(store *st, report_kind k, int32_t today, arena *a, report *out)
{
    memset(out, 0, sizeof(*out));
    switch (k) {
    case REPORT_NETWORKS:
        return networks(st, today, a, out);
    case REPORT_GENRES:
        return genres(st, today, a, out);
    default:
        return density(st, today, a, out);
    }
}

static void cell_text(const cell *c, buf *out)
{
    switch (c->type) {
    case CELL_NULL:
        break;
    case CELL_TEXT:
        buf_puts(out, c->s);
        break;
    case CELL_INT:
        buf_put_i64(out, c->i);
        break;
    case CELL_REAL:
        buf_printf(out, "%.15g", c->f);
        break;
    case CELL_BOOL:
        buf_puts(out, c->i ? "true" : "false");
        break;
    }
}

void analytics_json(const report *r, int64_t generated_at, buf *out)
{
    char when[INSTANT_LEN + 1];
    jw_writer w;

    instant_format(generated_at, when);
    jw_begin(&w, out);
    jw_obj_open(&w);
    jw_key(&w, "data");
    jw_arr_open(&w);
    for (size_t i = 0; i < r->nrows; i++) {
        jw_obj_open(&w);
        for (size_t k = 0; k < r->ncols; k++) {
            const cell *c = &r->cells[i * r->ncols + k];
            jw_key(&w, r->cols[k]);
            switch (c->type) {
            case CELL_NULL:
                jw_null(&w);
                break;
            case CELL_TEXT:
                jw_str(&w, c->s);
                break;
            case CELL_INT:
                jw_int(&w, c->i);
                break;
            case CELL_REAL:
                jw_double(&w, c->f);
                break;
            case CELL_BOOL:
                jw_bool(&w, (int)c->i);
                break;
            }
        }
        jw_obj_close(&w);
    }
    jw_arr_close(&w);
    jw_key(&w, "generated_at");
    jw_str(&w, when);
    jw_obj_close(&w);
    jw_end(&w);
}

static void csv_field(const cell *c, buf *out)
{
    buf tmp;

    buf_init(&tmp, 1 << 16);
    cell_text(c, &tmp);
    buf_put_csv(out, tmp.data, tmp.len);
    buf_free(&tmp);
}

void analytics_csv(const report *r, buf *out)
{
    for (size_t k = 0; k < r->ncols; k++)
        buf_printf(out, "%s%s", k ? "," : "", r->cols[k]);
    buf_puts(out, "\r\n");
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t k = 0; k < r->ncols; k++) {
            if (k)
                buf_putc(out, ',');
            csv_field(&r->cells[i * r->ncols + k], out);
        }
        buf_puts(out, "\r\n");
    }
}

static int numeric_column(const report *r, size_t k)
{
    for (size_t i = 0; i < r->nrows; i++) {
        cell_type t = r->cells[i * r->ncols + k].type;
        if (t == CELL_INT || t == CELL_REAL)
            return 1;
    }
    return 0;
}

/* Display width of UTF-8 text: one column per code point (good enough for
 * the names in schedules). */
static size_t width(const char *s, size_t n)
{
    size_t w = 0;

    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

void analytics_text(const report *r, buf *out)
{
    size_t widths[16] = {0};
    buf tmp;

    buf_init(&tmp, 1 << 16);
    for (size_t k = 0; k < r->ncols && k < 16; k++)
        widths[k] = strlen(r->cols[k]);
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t k = 0; k < r->ncols && k < 16; k++) {
            buf_reset(&tmp);
            cell_text(&r->cells[i * r->ncols + k], &tmp);
            size_t w = width(tmp.data ? tmp.data : "", tmp.len);
            if (w > widths[k])
                widths[k] = w;
        }
    }
    for (size_t k = 0; k < r->ncols && k < 16; k++) {
        int last = k + 1 == r->ncols || k + 1 == 16;
        if (numeric_column(r, k))
            buf_printf(out, "%s%*s", k ? "  " : "", (int)widths[k], r->cols[k]);
        else
            buf_printf(out, "%s%-*s", k ? "  " : "", last ? 0 : (int)widths[k], r->cols[k]);
    }
    buf_putc(out, '\n');
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t k = 0; k < r->ncols && k < 16; k++) {
            const cell *c = &r->cells[i * r->ncols + k];
            size_t w;
            buf_reset(&tmp);
            cell_text(c, &tmp);
            if (c->type == CELL_NULL)
                buf_puts(&tmp, "-");
            w = width(tmp.data ? tmp.data : "", tmp.len);
            if (k)
                buf_puts(out, "  ");
            /* numeric columns right-aligned (their nulls too), text left */
            if (numeric_column(r, k))
                buf_printf(out, "%*s", (int)(widths[k] - w), "");
            buf_append(out, tmp.data, tmp.len);
            if (!numeric_column(r, k) && k + 1 < r->ncols && k + 1 < 16)
                buf_printf(out, "%*s", (int)(widths[k] - w), "");
        }
        buf_putc(out, '\n');
    }
    buf_free(&tmp);
}
