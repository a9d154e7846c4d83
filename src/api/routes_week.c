/* GET /api/v1/week — a schedule window in one compact answer, for the web
 * app's week: every matching episode (up to WEEK_MAX) with only what a card
 * shows, and each of their shows once, which the episodes name by id.
 * Parameters, their checks and the order are /api/v1/tvshows's (dates,
 * tz, every filter); there are no pages. A busy week is a few hundred
 * bytes per episode less than its /api/v1/tvshows pages, and one request.
 * With fields=id only the matching ids come back, read from the schedule
 * alone: a client that holds the whole week redraws a filter from them. */
#include <string.h>

#include "api/api_internal.h"
#include "util/idmap.h"

#define WEEK_MAX 5000 /* episodes in one answer; total_count says when there were more */
#define BATCH    500  /* episodes read by id at a time */

typedef struct week_request {
    schedule_request s;
    int ids_only; /* fields=id */
} week_request;

/* "key": v, or dflt when v is NULL (which may be NULL: null) */
static void week_text(jw_writer *w, const char *key, const char *v, const char *dflt)
{
    jw_key(w, key);
    jw_str(w, v ? v : dflt);
}

static void week_num(jw_writer *w, const char *key, int64_t v)
{
    jw_key(w, key);
    jw_int(w, v);
}

static void week_episode(jw_writer *w, const tv_episode *e, const tz_zone *tz)
{
    unsigned flags = schedule_episode_flags(e->season, e->has_number, e->number, 0);
    int64_t instant = 0;
    int timed =
        tv_airing_instant(e->airtime, e->airstamp, e->airstamp ? strlen(e->airstamp) : 0, &instant);

    jw_obj_open(w);
    week_num(w, "id", e->id);
    jw_key(w, "show_id");
    e->show ? jw_int(w, e->show->id) : jw_null(w);
    week_text(w, "name", e->name, NULL);
    week_num(w, "season", e->season);
    jw_key(w, "episode_number");
    e->has_number ? jw_int(w, e->number) : jw_null(w);
    week_text(w, "airdate", e->airdate, NULL);
    week_text(w, "airtime", e->airtime, "");
    week_text(w, "airstamp", e->airstamp, NULL);
    week_text(w, "premiere", NULL,
              flags & SCHED_SERIES_PREMIERE   ? "series"
              : flags & SCHED_SEASON_PREMIERE ? "season"
                                              : NULL);
    if (tz)
        render_local(w, e, tz, timed, instant);
    jw_obj_close(w);
}

static void week_show(jw_writer *w, const tv_show *s)
{
    const tv_distributor *d = s->network ? s->network : s->web_channel;

    jw_obj_open(w);
    week_num(w, "id", s->id);
    week_text(w, "name", s->name, NULL);
    week_text(w, "distributor", d ? d->name : NULL, NULL);
    jw_obj_close(w);
}

/* "shows": each show of eps[0..n) once, in the order of their first
 * episodes. -1 when out of memory. */
static int week_shows(jw_writer *w, tv_episode *const *eps, size_t n)
{
    idmap seen;
    int64_t ignored;
    int rc = 0;

    idmap_init(&seen);
    jw_key(w, "shows");
    jw_arr_open(w);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const tv_show *s = eps[i] ? eps[i]->show : NULL;
        if (!s || idmap_get(&seen, s->id, &ignored))
            continue;
        rc = idmap_put(&seen, s->id, 1);
        if (rc == 0)
            week_show(w, s);
    }
    jw_arr_close(w);
    idmap_free(&seen);
    return rc;
}

/* The window's episodes, read by id in batches into eps[0..*n); those gone
 * since the schedule was read are left out. */
static int week_read(api_thread *t, store *st, const sched_row *rows, size_t *n, tv_episode **eps)
{
    int64_t ids[BATCH];
    size_t kept = 0;
    int rc = STORE_OK;

    for (size_t i = 0; i < *n && rc == STORE_OK; i += BATCH) {
        size_t k = *n - i < BATCH ? *n - i : BATCH;
        tv_episode **got = eps + kept;
        for (size_t j = 0; j < k; j++)
            ids[j] = rows[i + j].id;
        rc = api_list_episodes(t, st, ids, k, got);
        for (size_t j = 0; rc == STORE_OK && j < k; j++)
            if (got[j])
                eps[kept++] = got[j];
    }
    *n = kept;
    return rc;
}

/* {"data": [episodes], "shows": [...], "total_count": N}, or with fields=id
 * {"ids": [...], "total_count": N} */
static int week_render(api_thread *t, http_response *res, const week_request *wr,
                       const sched_row *rows, tv_episode *const *eps, size_t n, int64_t total)
{
    jw_writer w;

    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, wr->ids_only ? "ids" : "data");
    jw_arr_open(&w);
    for (size_t i = 0; i < n; i++) {
        if (wr->ids_only)
            jw_int(&w, rows[i].id);
        else
            week_episode(&w, eps[i], wr->s.q.tz);
    }
    jw_arr_close(&w);
    if (!wr->ids_only && week_shows(&w, eps, n) != 0) {
        api_error(res, 500, "Internal server error", NULL);
        return -1;
    }
    week_num(&w, "total_count", total);
    jw_obj_close(&w);
    return jw_end(&w);
}

static int build_week(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const week_request *wr = ctx;
    store *st = api_store(t);
    sched_row *rows;
    tv_episode **eps;
    size_t n = 0;
    int64_t total = 0;
    int rc;

    (void)r;
    if (!st) {
        api_unavailable(res);
        return -1;
    }
    rows = arena_alloc(&t->mem, WEEK_MAX * sizeof(*rows));
    eps = arena_calloc(&t->mem, WEEK_MAX * sizeof(tv_episode *));
    if (!rows || !eps) {
        api_error(res, 500, "Internal server error", NULL);
        return -1;
    }
    rc = read_model_rows(t->app->reads, st, &wr->s.q, 0, WEEK_MAX, rows, &n, &total);
    if (rc == STORE_OK && !wr->ids_only)
        rc = week_read(t, st, rows, &n, eps);
    if (rc != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    return week_render(t, res, wr, rows, eps, n, total);
}

/* fields: absent (everything a card shows) or "id" */
static int week_fields(api_request *r, http_response *res, week_request *w)
{
    const char *v;
    size_t n;
    param_rc rc = api_param_text(r, "fields", 16, &v, &n);

    if (rc == PARAM_ABSENT)
        return 0;
    if (rc == PARAM_OK && n == 2 && !memcmp(v, "id", 2)) {
        w->ids_only = 1;
        return 0;
    }
    api_bad_param(res, "fields", "must be id, or absent for every field");
    return -1;
}

void route_week(api_thread *t, api_request *r, http_response *res)
{
    week_request w;
    sched_error e;

    memset(&w, 0, sizeof(w));
    sched_query_init(&w.s.q);
    if (api_schedule_dates(r, res, &w.s.q) != 0)
        return;
    if (sched_parse_filters(&r->q, &w.s.q, &e) != 0) {
        api_bad_param(res, e.param, e.why);
        return;
    }
    if (week_fields(r, res, &w) != 0)
        return;
    api_schedule_key(r, &t->key, w.ids_only ? "week-ids;" : "week;", &w.s);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_week, &w);
}
