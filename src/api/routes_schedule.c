/* GET /api/v1/tvshows — episodes airing in a date range — and
 * GET /api/v1/upcoming — what is on from now, in the viewer's zone. Both
 * parse into a sched_query, ask the schedule for a page of ids, read those
 * episodes and render them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api_internal.h"
#include "util/date.h"

#define MAX_RANGE_DAYS    366 /* days in the inclusive range */
#define MAX_UPCOMING_DAYS 31
#define ECHO_MAX          64 /* bytes of a bad value echoed back */
#define NAME_MAX_LEN      200
#define WORD_MAX_LEN      60

/* TVmaze's genres, a closed list (their site's filter): a name outside it
 * is a typo, answered with the list rather than with nothing. */
static const char *const genres[] = {
    "Action",   "Adult",   "Adventure", "Anime",           "Children", "Comedy",
    "Crime",    "DIY",     "Drama",     "Espionage",       "Family",   "Fantasy",
    "Food",     "History", "Horror",    "Legal",           "Medical",  "Music",
    "Mystery",  "Nature",  "Romance",   "Science-Fiction", "Sports",   "Supernatural",
    "Thriller", "Travel",  "War",       "Western"};
static const char *const statuses[] = {"Running", "Ended", "To Be Determined", "In Development"};

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

/* Splits a comma-separated value into trimmed, non-empty parts. */
static int split_list(const char *v, size_t n, sched_text *out, size_t max, size_t *count)
{
    size_t k = 0, i = 0;

    while (i <= n) {
        size_t j = i, a, b;
        while (j < n && v[j] != ',')
            j++;
        for (a = i; a < j && v[a] == ' '; a++)
            ;
        for (b = j; b > a && v[b - 1] == ' '; b--)
            ;
        if (b > a) {
            if (k == max)
                return -1;
            out[k].s = v + a;
            out[k++].n = b - a;
        }
        i = j + 1;
    }
    *count = k;
    return k ? 0 : -1;
}

/* One of a closed list, case-insensitively; the canonical spelling. */
static const char *one_of(const char *const *names, size_t n, const sched_text *t)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(names[i]) == t->n && !strncasecmp(names[i], t->s, t->n))
            return names[i];
    return NULL;
}

static int parse_genres(api_request *r, http_response *res, const char *key, sched_text *out,
                        size_t *count)
{
    const char *v;
    size_t n;
    param_rc rc = api_param_text(r, key, NAME_MAX_LEN * 4, &v, &n);

    if (rc == PARAM_ABSENT)
        return 0;
    if (rc == PARAM_OK && split_list(v, n, out, SCHEDULE_MAX_NAMES, count) == 0) {
        size_t i;
        for (i = 0; i < *count; i++) {
            const char *canon = one_of(genres, sizeof(genres) / sizeof(genres[0]), &out[i]);
            if (!canon)
                break;
            out[i].s = canon;
        }
        if (i == *count)
            return 0;
    }
    api_bad_param(res, key,
                  "must be TVmaze genres separated by commas: Action, Adult, Adventure, Anime, "
                  "Children, Comedy, Crime, DIY, Drama, Espionage, Family, Fantasy, Food, "
                  "History, Horror, Legal, Medical, Music, Mystery, Nature, Romance, "
                  "Science-Fiction, Sports, Supernatural, Thriller, Travel, War, Western");
    return -1;
}

static int parse_word(api_request *r, http_response *res, const char *key, const char *why,
                      sched_text *out)
{
    param_rc rc = api_param_text(r, key, WORD_MAX_LEN, &out->s, &out->n);

    if (rc == PARAM_ABSENT) {
        out->s = NULL;
        return 0;
    }
    if (rc == PARAM_OK && !blank(out->s, out->n))
        return 0;
    api_bad_param(res, key, why);
    return -1;
}

static int parse_premieres(api_request *r, http_response *res, sched_query *q)
{
    sched_text parts[4];
    const char *v;
    size_t n, k;
    param_rc rc = api_param_text(r, "premieres", 64, &v, &n);

    if (rc == PARAM_ABSENT)
        return 0;
    if (rc == PARAM_OK && split_list(v, n, parts, 4, &k) == 0) {
        size_t i;
        for (i = 0; i < k; i++) {
            if (parts[i].n == 6 && !strncasecmp(parts[i].s, "series", 6))
                q->premieres |= SCHED_KEEP_SERIES;
            else if (parts[i].n == 6 && !strncasecmp(parts[i].s, "season", 6))
                q->premieres |= SCHED_KEEP_SEASON;
            else if (parts[i].n == 3 && !strncasecmp(parts[i].s, "any", 3))
                q->premieres |= SCHED_KEEP_SERIES | SCHED_KEEP_SEASON;
            else if (parts[i].n == 6 && !strncasecmp(parts[i].s, "finale", 6))
                q->premieres |= SCHED_KEEP_FINALE;
            else
                break;
        }
        if (i == k)
            return 0;
    }
    api_bad_param(res, "premieres",
                  "must be series, season, any or finale (or several, "
                  "separated by commas)");
    return -1;
}

static int parse_bool(api_request *r, http_response *res, const char *key, int *out)
{
    size_t n;
    const char *v = query_get(&r->q, key, &n);

    *out = 0;
    if (!v || !n)
        return 0;
    if ((n == 4 && !strncasecmp(v, "true", 4)) || (n == 1 && v[0] == '1'))
        *out = 1;
    else if (!((n == 5 && !strncasecmp(v, "false", 5)) || (n == 1 && v[0] == '0'))) {
        api_bad_param(res, key, "must be true or false");
        return -1;
    }
    return 0;
}

/* tz=: an IANA zone; absent is NULL (airdates), which is not UTC. */
static int parse_tz(api_request *r, http_response *res, const tz_zone **out)
{
    const char *v;
    size_t n;
    param_rc rc = api_param_text(r, "tz", TZ_NAME_MAX, &v, &n);

    *out = NULL;
    if (rc == PARAM_ABSENT)
        return 0;
    if (rc == PARAM_OK && (*out = tz_find(v, n)))
        return 0;
    api_bad_param(res, "tz",
                  "must be an IANA time zone name such as Europe/Berlin or "
                  "America/New_York");
    return -1;
}

static int parse_distributor(api_request *r, http_response *res, sched_query *q)
{
    const char *v;
    size_t n;
    param_rc rc = api_param_text(r, "distributor", NAME_MAX_LEN * SCHEDULE_MAX_NAMES, &v, &n);

    if (rc == PARAM_ABSENT)
        return 0;
    if (rc == PARAM_OK &&
        split_list(v, n, q->distributors, SCHEDULE_MAX_NAMES, &q->ndistributors) == 0) {
        size_t i;
        for (i = 0; i < q->ndistributors && q->distributors[i].n <= NAME_MAX_LEN; i++)
            ;
        if (i == q->ndistributors) {
            q->distributor_whole = (sched_text){v, n};
            return 0;
        }
    }
    api_bad_param(res, "distributor",
                  "must be a name of at most 200 characters, or up to 16 names separated by "
                  "commas");
    return -1;
}

/* The filters /tvshows, /upcoming and the calendars share. */
int api_schedule_filters(api_request *r, http_response *res, schedule_request *s)
{
    sched_query *q = &s->q;
    param_rc rc;
    sched_text kind = {0};

    if (api_pagination(r, res, 25, &s->page, &s->per_page) != 0 || parse_tz(r, res, &q->tz) ||
        parse_distributor(r, res, q))
        return -1;
    rc = api_param_text(r, "country", NAME_MAX_LEN, &q->country.s, &q->country.n);
    if (rc == PARAM_BAD) {
        api_bad_param(res, "country", "must be a country name or ISO code");
        return -1;
    }
    if (rc == PARAM_ABSENT)
        q->country.s = NULL;
    rc = api_param_decimal(r, "rating", 0, 10, &q->min_rating);
    if (rc == PARAM_BAD) {
        api_bad_param(res, "rating", "must be a number from 0 to 10");
        return -1;
    }
    q->has_min_rating = rc == PARAM_OK;
    if (parse_genres(r, res, "genre", q->genres, &q->ngenres) ||
        parse_genres(r, res, "exclude_genre", q->exclude_genres, &q->nexclude_genres) ||
        parse_word(r, res, "language", "must be a language name such as English", &q->language) ||
        parse_word(r, res, "type", "must be a show type such as Scripted or Reality", &q->type) ||
        parse_word(r, res, "kind", "must be network or web", &kind) ||
        parse_word(r, res, "status", "must be Running, Ended, To Be Determined or In Development",
                   &q->status) ||
        parse_premieres(r, res, q) || parse_bool(r, res, "new_shows", &q->new_shows))
        return -1;
    if (q->status.s) {
        const char *canon = one_of(statuses, sizeof(statuses) / sizeof(statuses[0]), &q->status);
        if (!canon) {
            api_bad_param(res, "status",
                          "must be Running, Ended, To Be Determined or In Development");
            return -1;
        }
        q->status = (sched_text){canon, strlen(canon)};
    }
    if (kind.s) {
        if (kind.n == 7 && !strncasecmp(kind.s, "network", 7))
            q->kind = DIST_NETWORK;
        else if (kind.n == 3 && !strncasecmp(kind.s, "web", 3))
            q->kind = DIST_WEB;
        else {
            api_bad_param(res, "kind", "must be network or web");
            return -1;
        }
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

static int build_schedule(api_thread *t, api_request *r, http_response *res, void *ctx)
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
    rc = schedule_page(t->app->schedule, st,
                       atomic_load_explicit(&t->app->generation, memory_order_acquire), &s->q,
                       offset, (int)s->per_page, page);
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
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_schedule, &s);
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
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_schedule, &s);
}
