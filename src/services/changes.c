#include "services/changes.h"

#include "util/date.h"

/* {"airdate","airtime","airstamp"}, or null for the side that is not (a
 * removal's after, an addition's before); no airstamp without a time. */
static void render_moment(jw_writer *w, const char *key, const char *airdate, const char *airtime,
                          const char *airstamp)
{
    jw_key(w, key);
    if (!airdate) {
        jw_null(w);
        return;
    }
    jw_obj_open(w);
    jw_key(w, "airdate");
    jw_str(w, airdate);
    jw_key(w, "airtime");
    jw_str(w, airtime ? airtime : "");
    jw_key(w, "airstamp");
    jw_str(w, airtime && airtime[0] ? airstamp : NULL);
    jw_obj_close(w);
}

void changes_render_open(jw_writer *w, const store_change *c)
{
    char cursor[STORE_CURSOR_LEN + 1], at[INSTANT_LEN + 1];

    store_change_cursor(c->seq, cursor);
    instant_format(c->created_at, at);
    jw_obj_open(w);
    jw_key(w, "cursor");
    jw_str(w, cursor);
    jw_key(w, "kind");
    jw_str(w, c->kind);
    jw_key(w, "at");
    jw_str(w, at);
    jw_key(w, "episode");
    jw_obj_open(w);
    jw_key(w, "id");
    jw_int(w, c->episode_id);
    jw_key(w, "tvmaze_id");
    jw_int(w, c->episode_tvmaze_id);
    jw_key(w, "name");
    jw_str(w, c->name);
    jw_key(w, "season");
    jw_int(w, c->season);
    jw_key(w, "number");
    if (c->has_number)
        jw_int(w, c->number);
    else
        jw_null(w);
    jw_obj_close(w);
    render_moment(w, "before", c->airdate_before, c->airtime_before, c->airstamp_before);
    render_moment(w, "after", c->airdate, c->airtime, c->airstamp);
}
