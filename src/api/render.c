/* JSON shapes of docs/api-contract.md; key order as documented. */
#include <string.h>

#include "api/api_internal.h"

static void opt_int(json_writer *w, const char *key, int has, int64_t v)
{
    json_key(w, key);
    if (has)
        json_int(w, v);
    else
        json_null(w);
}

static void opt_double(json_writer *w, const char *key, int has, double v)
{
    json_key(w, key);
    if (has)
        json_double(w, v);
    else
        json_null(w);
}

static void str(json_writer *w, const char *key, const char *v)
{
    json_key(w, key);
    json_str(w, v);
}

/* Stored JSON (genres, schedule days) is our own output from import time;
 * it is checked here anyway so a damaged row cannot break a response. */
static void raw_array(json_writer *w, const char *key, const char *json)
{
    size_t n = json ? strlen(json) : 0;

    json_key(w, key);
    if (n >= 2 && json[0] == '[' && json[n - 1] == ']' && utf8_valid(json, n))
        json_raw(w, json, n);
    else
        json_raw(w, "[]", 2);
}

static void render_distributor(json_writer *w, const char *key, const tv_distributor *d)
{
    json_key(w, key);
    if (!d) {
        json_null(w);
        return;
    }
    json_obj_open(w);
    json_key(w, "id");
    json_int(w, d->id);
    str(w, "name", d->name);
    str(w, "country", d->country_name);
    str(w, "country_code", d->country_code);
    json_obj_close(w);
}

void render_show(json_writer *w, const tv_show *s, int detail)
{
    json_obj_open(w);
    json_key(w, "id");
    json_int(w, s->id);
    str(w, "name", s->name);
    str(w, "type", s->type);
    str(w, "language", s->language);
    str(w, "status", s->status);
    opt_double(w, "rating", s->has_rating, s->rating);
    raw_array(w, "genres", s->genres_json);
    str(w, "image_medium", s->image_medium);
    str(w, "image_original", s->image_original);
    render_distributor(w, "network", s->network);
    render_distributor(w, "web_channel", s->web_channel);
    str(w, "url", s->url);
    if (detail) {
        opt_int(w, "runtime", s->has_runtime, s->runtime);
        str(w, "premiered", s->premiered);
        str(w, "ended", s->ended);
        str(w, "official_site", s->official_site);
        json_key(w, "schedule");
        json_obj_open(w);
        str(w, "time", s->schedule_time ? s->schedule_time : "");
        raw_array(w, "days", s->schedule_days_json);
        json_obj_close(w);
        str(w, "summary", s->summary);
    }
    json_obj_close(w);
}

void render_episode(json_writer *w, const tv_episode *e)
{
    json_obj_open(w);
    json_key(w, "id");
    json_int(w, e->id);
    str(w, "name", e->name);
    json_key(w, "season");
    json_int(w, e->season);
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
    json_key(w, "show");
    if (e->show)
        render_show(w, e->show, 0);
    else
        json_null(w);
    json_obj_close(w);
}

void render_pagination(json_writer *w, int64_t page, int64_t per_page, int64_t total)
{
    json_key(w, "pagination");
    json_obj_open(w);
    json_key(w, "current_page");
    json_int(w, page);
    json_key(w, "total_pages");
    json_int(w, (total + per_page - 1) / per_page);
    json_key(w, "total_count");
    json_int(w, total);
    json_key(w, "per_page");
    json_int(w, per_page);
    json_obj_close(w);
}
