/* GET /api/v1/calendar.ics — the schedule as an iCalendar feed (RFC 5545)
 * that calendar applications subscribe to, with the filters of
 * /api/v1/tvshows. One VEVENT per episode: its UID is the TVmaze episode's
 * (stable across imports), its times are UTC instants, or a whole day when
 * no time is announced; SEQUENCE counts the times its date or time moved. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "util/date.h"
#include "util/ics.h"

#define DAYS_BACK       7
#define DAYS_AHEAD      90
#define MAX_EVENTS      5000 /* a feed larger than this is cut (X-WR-CALDESC says so) */
#define BATCH           500  /* episodes read by id at a time */
#define TITLE_MAX       200
#define ICS_TYPE        "text/calendar; charset=utf-8"
#define DEFAULT_TITLE   "{show} \xe2\x80\x94 S{season}E{number} {name}"
#define SPECIAL_TITLE   "{show} \xe2\x80\x94 S{season} special {name}"
#define ATTRIBUTION     "Data from TVmaze.com (CC BY-SA 4.0)."
#define DEFAULT_RUNTIME 30 /* minutes, when the runtime is unknown */

typedef struct calendar_request {
    schedule_request s;
    const char *title; /* a template, or NULL for the default */
    size_t title_len;
    char name[256]; /* X-WR-CALNAME */
} calendar_request;

static const char *const placeholders[] = {"{show}", "{season}", "{number}", "{name}", "{network}"};

/* A title template may use the placeholders and nothing else in braces. */
static int title_ok(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t k;
        if (t[i] == '}')
            return 0;
        if (t[i] != '{')
            continue;
        for (k = 0; k < 5; k++) {
            size_t len = strlen(placeholders[k]);
            if (n - i >= len && !memcmp(t + i, placeholders[k], len))
                break;
        }
        if (k == 5)
            return 0;
        i += strlen(placeholders[k]) - 1;
    }
    return 1;
}

static void two_digits(buf *out, int has, int32_t v)
{
    if (has)
        buf_printf(out, "%02d", v);
}

/* SUMMARY from the template: "EastEnders — S2026E107 07/07/2026". */
static void render_title(buf *out, const char *t, size_t n, const tv_episode *e)
{
    const tv_show *s = e->show;
    const tv_distributor *d = s ? (s->network ? s->network : s->web_channel) : NULL;
    size_t start = out->len;

    for (size_t i = 0; i < n; i++) {
        if (t[i] != '{') {
            buf_putc(out, t[i]);
            continue;
        }
        if (!strncmp(t + i, "{show}", 6))
            buf_puts(out, s && s->name ? s->name : "");
        else if (!strncmp(t + i, "{season}", 8))
            two_digits(out, e->has_season, e->season);
        else if (!strncmp(t + i, "{number}", 8))
            two_digits(out, e->has_number, e->number);
        else if (!strncmp(t + i, "{name}", 6))
            buf_puts(out, e->name ? e->name : "");
        else
            buf_puts(out, d && d->name ? d->name : "");
        while (t[i] != '}')
            i++;
    }
    while (out->len > start && out->data[out->len - 1] == ' ')
        out->len--;
}

static void render_event(buf *out, buf *scratch, const calendar_request *c, const tv_episode *e)
{
    const tv_show *s = e->show;
    const tv_distributor *d = s ? (s->network ? s->network : s->web_channel) : NULL;
    char stamp[17], uid[64];
    int64_t start;
    int32_t day;
    int timed =
        tv_airing_instant(e->airtime, e->airstamp, e->airstamp ? strlen(e->airstamp) : 0, &start);
    int64_t revised =
        e->time_changed_at > (s ? s->updated : 0) ? e->time_changed_at : (s ? s->updated : 0);

    buf_puts(out, "BEGIN:VEVENT\r\n");
    snprintf(uid, sizeof(uid), "tvmaze-episode-%lld@tvshows", (long long)e->tvmaze_id);
    ics_raw(out, "UID", uid);
    ics_utc(revised, stamp);
    ics_raw(out, "DTSTAMP", stamp);
    if (timed) {
        ics_utc(start, stamp);
        ics_raw(out, "DTSTART", stamp);
        ics_utc(start +
                    60 * (int64_t)(e->has_runtime && e->runtime > 0 ? e->runtime : DEFAULT_RUNTIME),
                stamp);
        ics_raw(out, "DTEND", stamp);
    } else if (e->airdate && date_parse(e->airdate, strlen(e->airdate), &day) == 0) {
        /* no time announced: a whole day, never an invented hour */
        ics_date(day, stamp);
        ics_raw(out, "DTSTART;VALUE=DATE", stamp);
        ics_date(day + 1, stamp);
        ics_raw(out, "DTEND;VALUE=DATE", stamp);
    }
    buf_reset(scratch);
    if (c->title)
        render_title(scratch, c->title, c->title_len, e);
    else if (e->has_number)
        render_title(scratch, DEFAULT_TITLE, strlen(DEFAULT_TITLE), e);
    else
        render_title(scratch, SPECIAL_TITLE, strlen(SPECIAL_TITLE), e);
    ics_text(out, "SUMMARY", scratch->data, scratch->len);
    buf_reset(scratch);
    ics_plain_text(scratch, e->summary);
    if (scratch->len)
        buf_puts(scratch, "\n\n");
    buf_printf(scratch, "%s%s%s. " ATTRIBUTION, s && s->name ? s->name : "", d ? " on " : "",
               d && d->name ? d->name : "");
    ics_text(out, "DESCRIPTION", scratch->data, scratch->len);
    if (d && d->name)
        ics_text(out, "LOCATION", d->name, strlen(d->name));
    if (e->url)
        ics_raw(out, "URL", e->url);
    buf_printf(out, "SEQUENCE:%d\r\n", e->revision);
    if (e->revision && e->time_changed_at) {
        ics_utc(e->time_changed_at, stamp);
        ics_raw(out, "LAST-MODIFIED", stamp);
    }
    ics_raw(out, "TRANSP", "TRANSPARENT");
    buf_puts(out, "END:VEVENT\r\n");
}

static void render_head(buf *out, const calendar_request *c, int64_t total)
{
    buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tvshows//schedule " TVSHOWS_VERSION
                  "//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n");
    ics_text(out, "X-WR-CALNAME", c->name, strlen(c->name));
    if (c->s.q.tz)
        ics_raw(out, "X-WR-TIMEZONE", tz_name(c->s.q.tz));
    if (total > MAX_EVENTS) {
        char why[128];
        int n = snprintf(why, sizeof(why), "The first %d of %lld episodes: narrow the filters.",
                         MAX_EVENTS, (long long)total);
        ics_text(out, "X-WR-CALDESC", why, (size_t)n);
    }
    ics_raw(out, "REFRESH-INTERVAL;VALUE=DURATION", "PT6H");
    ics_raw(out, "X-PUBLISHED-TTL", "PT6H");
}

static int build_calendar(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const calendar_request *c = ctx;
    store *st = api_store(t);
    sched_row *rows = NULL;
    tv_episode **eps = NULL;
    size_t n = 0;
    int64_t total = 0;
    buf scratch;
    int rc = STORE_ERR;

    (void)r;
    if (!st) {
        api_unavailable(res);
        return -1;
    }
    buf_init(&scratch, (size_t)1 << 20);
    rows = arena_alloc(&t->mem, MAX_EVENTS * sizeof(*rows));
    eps = arena_alloc(&t->mem, BATCH * sizeof(tv_episode *));
    if (rows && eps)
        rc = read_model_rows(t->app->reads, st, &c->s.q, 0, MAX_EVENTS, rows, &n, &total);
    if (rc != STORE_OK)
        goto fail;
    buf_reset(&t->body);
    render_head(&t->body, c, total);
    for (size_t i = 0; i < n; i += BATCH) {
        int64_t ids[BATCH];
        size_t k = n - i < BATCH ? n - i : BATCH;
        for (size_t j = 0; j < k; j++)
            ids[j] = rows[i + j].id;
        if ((rc = store_episodes_by_ids(st, ids, k, &t->mem, eps)) != STORE_OK)
            goto fail;
        for (size_t j = 0; j < k; j++)
            if (eps[j])
                render_event(&t->body, &scratch, c, eps[j]);
    }
    buf_puts(&t->body, "END:VCALENDAR\r\n");
    buf_free(&scratch);
    return 0;
fail:
    buf_free(&scratch);
    api_store_error(t, res, rc);
    return -1;
}

/* The window of a feed without dates: a week back and 90 days ahead of the
 * request's day (in the zone when there is one). */
static int feed_window(api_request *r, http_response *res, sched_query *q)
{
    size_t nf = 0, nt = 0;
    int32_t today, minute;

    query_get(&r->q, "date_from", &nf);
    query_get(&r->q, "date_to", &nt);
    if (nf || nt)
        return api_schedule_dates(r, res, q);
    tz_local(q->tz ? q->tz : tz_utc(), r->now, &today, &minute);
    q->from = today - DAYS_BACK;
    q->to = today + DAYS_AHEAD;
    return 0;
}

static int feed_title(api_request *r, http_response *res, calendar_request *c)
{
    param_rc rc = api_param_text(r, "title", TITLE_MAX, &c->title, &c->title_len);

    if (rc == PARAM_BAD || (rc == PARAM_OK && !title_ok(c->title, c->title_len))) {
        api_bad_param(res, "title",
                      "must be text of at most 200 characters that may use {show}, {season}, "
                      "{number}, {name} and {network}");
        return -1;
    }
    if (rc == PARAM_ABSENT)
        c->title = NULL;
    return 0;
}

/* The calendar's name: "TV schedule", and the filters that narrow it. */
static void calendar_name(const schedule_request *s, char *out, size_t n)
{
    const sched_query *q = &s->q;
    int len = snprintf(out, n, "TV schedule");

    if (q->ndistributors && len < (int)n)
        len += snprintf(out + len, n - (size_t)len, " \xe2\x80\x94 %.*s",
                        (int)(q->distributor_whole.n < 100 ? q->distributor_whole.n : 100),
                        q->distributor_whole.s);
    if (q->country.s && len < (int)n)
        len += snprintf(out + len, n - (size_t)len, " (%.*s)",
                        (int)(q->country.n < 60 ? q->country.n : 60), q->country.s);
    for (size_t i = 0; i < q->ngenres && len < (int)n; i++)
        len += snprintf(out + len, n - (size_t)len, "%s%.*s", i ? ", " : " \xe2\x80\x94 ",
                        (int)q->genres[i].n, q->genres[i].s);
}

void route_calendar(api_thread *t, api_request *r, http_response *res)
{
    calendar_request c;

    memset(&c, 0, sizeof(c));
    sched_query_init(&c.s.q);
    /* dates are optional here: a week back and three months ahead */
    if (api_schedule_filters(r, res, &c.s) != 0 || feed_window(r, res, &c.s.q) != 0 ||
        feed_title(r, res, &c) != 0)
        return;
    calendar_name(&c.s, c.name, sizeof(c.name));
    api_schedule_key(r, &t->key, "calendar;", &c.s);
    if (c.title)
        api_key_add(&t->key, "title", c.title, c.title_len);
    r->content_type = ICS_TYPE;
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_calendar, &c);
}

void api_list_feed(api_thread *t, api_request *r, http_response *res, const store_list *l, int ics)
{
    calendar_request c;
    int64_t *ids;
    size_t n;
    int rc;

    memset(&c, 0, sizeof(c));
    sched_query_init(&c.s.q);
    if (api_schedule_filters(r, res, &c.s) != 0 || feed_window(r, res, &c.s.q) != 0 ||
        (ics && feed_title(r, res, &c) != 0))
        return;
    if ((rc = store_list_show_ids(t->st, l->id, &t->mem, &ids, &n)) != STORE_OK) {
        api_store_error(t, res, rc);
        return;
    }
    c.s.q.show_ids = ids;
    c.s.q.nshow_ids = n;
    snprintf(c.name, sizeof(c.name), "%s", l->name);
    api_schedule_key(r, &t->key, ics ? "feed.ics;" : "feed.json;", &c.s);
    api_key_add_int(&t->key, "list", l->id);
    api_key_add_int(&t->key, "version", l->version);
    if (c.title)
        api_key_add(&t->key, "title", c.title, c.title_len);
    /* the URL is the secret: no shared cache may keep it past a rotation */
    r->cache_control = "private, no-cache";
    if (ics) {
        r->content_type = ICS_TYPE;
        api_serve_cached(t, r, res, t->key.data, t->key.len, build_calendar, &c);
    } else {
        api_serve_cached(t, r, res, t->key.data, t->key.len, api_build_schedule, &c.s);
    }
}
