/* GET /api/v1/tvshows — episodes airing in a date range — and
 * GET /api/v1/upcoming — what is on from now, in the viewer's zone. Both
 * parse into a sched_query, ask the read model for the body kept for it
 * (or, to build it, for a page of ids), read those episodes and render
 * them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "util/date.h"

#define MAX_RANGE_DAYS    366 /* days in the inclusive range */
#define MAX_UPCOMING_DAYS 31
#define ECHO_MAX          64 /* bytes of a bad value echoed back */

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Parses a date parameter or writes the contract's 400 naming its value. */
static int parse_date(http_response *res, const char *v, size_t n, int32_t *days)
{
    char msg[128];
    size_t keep;
    int len;

    if (date_parse(v, n, days) == 0)
        return 0;
    keep = utf8_prefix(v, n, ECHO_MAX);
    len = snprintf(msg, sizeof(msg), "Invalid date format: ");
    memcpy(msg + len, v, keep);
    api_error_n(res, 400, msg, (size_t)len + keep);
    return -1;
}

int api_schedule_dates(api_request *r, http_response *res, sched_query *q)
{
    size_t nf = 0, nt = 0;
    const char *from = query_get(&r->q, "date_from", &nf);
    const char *to = query_get(&r->q, "date_to", &nt);

    if (!from || !to || blank(from, nf) || blank(to, nt)) {
        api_error(res, 400, "date_from and date_to parameters are required", NULL);
        return -1;
    }
    if (parse_date(res, from, nf, &q->from) || parse_date(res, to, nt, &q->to))
        return -1;
    if (q->from > q->to) {
        api_error(res, 400, "Start date cannot be after end date", NULL);
        return -1;
    }
    if (q->to - q->from + 1 > MAX_RANGE_DAYS) {
        api_error(res, 400, "Date range cannot exceed 366 days", NULL);
        return -1;
    }
    return 0;
}

/* The filters /tvshows, /upcoming, the calendars and the change feed
 * share (schedule/filters.c), with the pagination. */
int api_schedule_filters(api_request *r, http_response *res, schedule_request *s)
{
    sched_error e;

    if (api_pagination(r, res, 25, &s->page, &s->per_page) != 0)
        return -1;
    if (sched_parse_filters(&r->q, &s->q, &e) != 0) {
        api_bad_param(res, e.param, e.why);
        return -1;
    }
    return 0;
}

static void key_text(buf *key, const char *name, const sched_text *t)
{
    if (t->s)
        api_key_add(key, name, t->s, t->n);
}

static void key_list(buf *key, const char *name, const sched_text *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        api_key_add(key, name, v[i].s, v[i].n);
}

/* The canonical form of a query: parsed values in a fixed order, so
 * parameter order, repeats and spellings of one value share an entry. */
void api_schedule_key(api_request *r, buf *key, const char *route, const schedule_request *s)
{
    const sched_query *q = &s->q;

    buf_reset(key);
    buf_puts(key, route);
    api_key_add_int(key, "from", q->from);
    api_key_add_int(key, "to", q->to);
    if (q->tz)
        api_key_add(key, "tz", tz_name(q->tz), strlen(tz_name(q->tz)));
    if (q->not_before != INT64_MIN)
        api_key_add_int(key, "nb", q->not_before);
    if (q->ndistributors)
        key_text(key, "d", &q->distributor_whole);
    key_text(key, "c", &q->country);
    if (q->has_min_rating)
        buf_printf(key, "r=%.17g;", q->min_rating);
    key_list(key, "g", q->genres, q->ngenres);
    key_list(key, "xg", q->exclude_genres, q->nexclude_genres);
    key_text(key, "l", &q->language);
    key_text(key, "t", &q->type);
    key_text(key, "s", &q->status);
    api_key_add_int(key, "k", q->kind);
    api_key_add_int(key, "pr", q->premieres);
    api_key_add_int(key, "ns", q->new_shows);
    api_key_add_int(key, "p", s->page);
    api_key_add_int(key, "pp", s->per_page);
    api_key_add_now(key, r);
}

int api_build_schedule(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const schedule_request *s = ctx;
    int64_t offset = (s->page - 1) * s->per_page;
    store *st = api_store(t);
    sched_page *page = arena_alloc(&t->mem, sizeof(*page));
    tv_episode **rows;
    jw_writer w;
    int rc;

    if (!st) {
        api_unavailable(res);
        return -1;
    }
    if (!page || !(rows = arena_calloc(&t->mem, SCHEDULE_PAGE_MAX * sizeof(tv_episode *)))) {
        api_error(res, 500, "Internal server error", NULL);
        return -1;
    }
    rc = read_model_page(t->app->reads, st, &s->q, offset, (int)s->per_page, page);
    if (rc == STORE_OK)
        rc = api_episodes_by_page(t, r, page, rows);
    if (rc != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "data");
    jw_arr_open(&w);
    for (size_t i = 0; i < page->n; i++)
        if (rows[i])
            render_episode(&w, rows[i], s->q.tz);
    jw_arr_close(&w);
    render_pagination(&w, s->page, s->per_page, page->total);
    jw_obj_close(&w);
    return jw_end(&w);
}

void route_tvshows(api_thread *t, api_request *r, http_response *res)
{
    schedule_request s;

    memset(&s, 0, sizeof(s));
    sched_query_init(&s.q);
    if (api_schedule_dates(r, res, &s.q) != 0 || api_schedule_filters(r, res, &s) != 0)
        return;
    api_schedule_key(r, &t->key, "tvshows;", &s);
    api_serve_cached(t, r, res, t->key.data, t->key.len, api_build_schedule, &s);
}

/* What is on from now: `days` local days from today in the zone (default
 * one: tonight), timed episodes that have not started yet, and the days'
 * episodes whose time is not announced. */
void route_upcoming(api_thread *t, api_request *r, http_response *res)
{
    schedule_request s;
    int64_t days = 1;
    int32_t minute;

    memset(&s, 0, sizeof(s));
    sched_query_init(&s.q);
    if (api_param_int(r, "days", 1, MAX_UPCOMING_DAYS, &days) == PARAM_BAD) {
        api_bad_param(res, "days", "must be an integer from 1 to 31");
        return;
    }
    if (api_schedule_filters(r, res, &s) != 0)
        return;
    if (!s.q.tz)
        s.q.tz = tz_utc();
    s.q.not_before = r->now;
    tz_local(s.q.tz, r->now, &s.q.from, &minute);
    s.q.to = s.q.from + (int32_t)days - 1;
    api_schedule_key(r, &t->key, "upcoming;", &s);
    api_serve_cached(t, r, res, t->key.data, t->key.len, api_build_schedule, &s);
}
