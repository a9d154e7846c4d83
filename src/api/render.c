/* JSON shapes of docs/api-contract.md; key order as documented (keys added
 * since the Rails contract come after the ones it had). */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "util/date.h"

static void opt_int(jw_writer *w, const char *key, int has, int64_t v)
{
    jw_key(w, key);
    if (has)
        jw_int(w, v);
    else
        jw_null(w);
}

static void opt_double(jw_writer *w, const char *key, int has, double v)
{
    jw_key(w, key);
    if (has)
        jw_double(w, v);
    else
        jw_null(w);
}

static void str(jw_writer *w, const char *key, const char *v)
{
    jw_key(w, key);
    jw_str(w, v);
}

/* Stored JSON (genres, schedule days) is our own output from import time;
 * it is checked here anyway so a damaged row cannot break a response. */
static void raw_array(jw_writer *w, const char *key, const char *json)
{
    size_t n = json ? strlen(json) : 0;

    jw_key(w, key);
    if (n >= 2 && json[0] == '[' && json[n - 1] == ']' && utf8_valid(json, n))
        jw_raw(w, json, n);
    else
        jw_raw(w, "[]", 2);
}

static void render_distributor(jw_writer *w, const char *key, const tv_distributor *d)
{
    jw_key(w, key);
    if (!d) {
        jw_null(w);
        return;
    }
    jw_obj_open(w);
    jw_key(w, "id");
    jw_int(w, d->id);
    str(w, "name", d->name);
    str(w, "country", d->country_name);
    str(w, "country_code", d->country_code);
    str(w, "kind", d->kind == DIST_WEB ? "web" : "network");
    str(w, "timezone", d->country_timezone);
    jw_obj_close(w);
}

static void render_next(jw_writer *w, const tv_next_episode *x)
{
    jw_key(w, "next_episode");
    if (!x) {
        jw_null(w);
        return;
    }
    jw_obj_open(w);
    jw_key(w, "id");
    jw_int(w, x->id);
    jw_key(w, "season");
    jw_int(w, x->season);
    opt_int(w, "number", x->has_number, x->number);
    str(w, "name", x->name);
    str(w, "airdate", x->airdate);
    str(w, "airstamp", x->airstamp && x->airtime && x->airtime[0] ? x->airstamp : NULL);
    jw_obj_close(w);
}

static void render_externals(jw_writer *w, const tv_show *s)
{
    jw_key(w, "externals");
    jw_obj_open(w);
    jw_key(w, "tvmaze");
    jw_int(w, s->tvmaze_id);
    str(w, "imdb", s->imdb);
    opt_int(w, "thetvdb", s->has_thetvdb, s->thetvdb);
    jw_obj_close(w);
}

void render_show(jw_writer *w, const tv_show *s, int detail)
{
    jw_obj_open(w);
    jw_key(w, "id");
    jw_int(w, s->id);
    str(w, "name", s->name);
    str(w, "type", s->type);
    str(w, "language", s->language);
    str(w, "status", s->status);
    opt_double(w, "rating", s->has_rating, s->rating);
    raw_array(w, "genres", s->genres_json);
    str(w, "image_medium", s->image_medium);
    str(w, "image_original", s->image_original);
    /* a show streamed only on a web channel gives it as its network, with
     * kind "web": clients of the Rails contract read network alone */
    render_distributor(w, "network", s->network ? s->network : s->web_channel);
    render_distributor(w, "web_channel", s->web_channel);
    str(w, "url", s->url);
    if (detail) {
        opt_int(w, "runtime", s->has_runtime, s->runtime);
        str(w, "premiered", s->premiered);
        str(w, "ended", s->ended);
        str(w, "official_site", s->official_site);
        jw_key(w, "schedule");
        jw_obj_open(w);
        str(w, "time", s->schedule_time ? s->schedule_time : "");
        raw_array(w, "days", s->schedule_days_json);
        jw_obj_close(w);
        str(w, "summary", s->summary);
    }
    render_distributor(w, "distributor", s->network ? s->network : s->web_channel);
    render_externals(w, s);
    render_next(w, s->next);
    jw_obj_close(w);
}

void render_local(jw_writer *w, const tv_episode *e, const tz_zone *tz, int timed, int64_t instant)
{
    char day[DATE_LEN + 1], hhmm[16];
    int32_t d, minute;

    if (!timed) {
        str(w, "local_date", e->airdate);
        jw_key(w, "local_time");
        jw_null(w);
        return;
    }
    tz_local(tz, instant, &d, &minute);
    date_format(d, day);
    snprintf(hhmm, sizeof(hhmm), "%02d:%02d", minute / 60, minute % 60);
    str(w, "local_date", day);
    str(w, "local_time", hhmm);
}

void render_episode(jw_writer *w, const tv_episode *e, const tz_zone *tz)
{
    unsigned flags = schedule_episode_flags(e->season, e->has_number, e->number, e->season_length);
    int64_t instant = 0;
    int timed =
        tv_airing_instant(e->airtime, e->airstamp, e->airstamp ? strlen(e->airstamp) : 0, &instant);

    jw_obj_open(w);
    jw_key(w, "id");
    jw_int(w, e->id);
    str(w, "name", e->name);
    jw_key(w, "season");
    jw_int(w, e->season);
    opt_int(w, "episode_number", e->has_number, e->number);
    str(w, "type", e->type);
    opt_int(w, "runtime", e->has_runtime, e->runtime);
    opt_double(w, "rating", e->has_rating, e->rating);
    str(w, "summary", e->summary);
    str(w, "image_medium", e->image_medium);
    str(w, "image_original", e->image_original);
    str(w, "airdate", e->airdate);
    str(w, "airtime", e->airtime ? e->airtime : "");
    str(w, "airstamp", e->airstamp);
    str(w, "url", e->url);
    jw_key(w, "show");
    if (e->show)
        render_show(w, e->show, 0);
    else
        jw_null(w);
    str(w, "premiere",
        flags & SCHED_SERIES_PREMIERE   ? "series"
        : flags & SCHED_SEASON_PREMIERE ? "season"
                                        : NULL);
    jw_key(w, "season_finale");
    /* null where TVmaze's seasons do not say how long the season is */
    if (e->season_length > 0)
        jw_bool(w, (flags & SCHED_SEASON_FINALE) != 0);
    else
        jw_null(w);
    jw_key(w, "time_known");
    jw_bool(w, timed);
    if (tz)
        render_local(w, e, tz, timed, instant);
    jw_obj_close(w);
}

void render_pagination(jw_writer *w, int64_t page, int64_t per_page, int64_t total)
{
    jw_key(w, "pagination");
    jw_obj_open(w);
    jw_key(w, "current_page");
    jw_int(w, page);
    jw_key(w, "total_pages");
    jw_int(w, (total + per_page - 1) / per_page);
    jw_key(w, "total_count");
    jw_int(w, total);
    jw_key(w, "per_page");
    jw_int(w, per_page);
    jw_obj_close(w);
}

void render_list(jw_writer *w, const store_page *rows, render_kind kind, int64_t page,
                 int64_t per_page)
{
    jw_key(w, "data");
    jw_arr_open(w);
    for (size_t i = 0; i < rows->n; i++) {
        if (kind == RENDER_EPISODES)
            render_episode(w, rows->rows[i], NULL);
        else
            render_show(w, rows->rows[i], 0);
    }
    jw_arr_close(w);
    render_pagination(w, page, per_page, rows->total);
}
