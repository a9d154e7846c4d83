/* GET /api/v1/changes — what imports changed for viewers, in order, with an
 * opaque cursor: episodes added, rescheduled (date or time moved), whose
 * time became known, removed. The schedule's show filters apply. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "services/changes.h"
#include "util/date.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX     500
#define BATCH         500
#define BATCHES_MAX   20 /* rows looked at per request: a sparse filter pages on */

typedef struct changes_request {
    schedule_request s;
    int64_t after; /* the cursor's seq */
    int latest;    /* since=latest: nothing, just the cursor of now */
    int64_t limit;
} changes_request;

static void render_change(jw_writer *w, const store_change *c, const tv_show *s)
{
    changes_render_open(w, c);
    jw_key(w, "show");
    if (s)
        render_show(w, s, 0);
    else
        jw_null(w);
    jw_obj_close(w);
}

/* Whether a change passes the query: its show's filters, and premieres. */
static int change_kept(const sched_query *q, const store_change *c, const tv_show *s)
{
    unsigned f = schedule_episode_flags(c->season, c->has_number, c->number, c->season_length);

    if (!schedule_premieres_keep(q->premieres, f))
        return 0;
    return s ? schedule_show_matches(q, s) : !q->ndistributors && !q->country.s;
}

static int build_changes(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const changes_request *cr = ctx;
    store *st = api_store(t);
    store_change **kept = NULL;
    tv_show **shows = NULL, **kept_shows = NULL;
    int64_t pruned, latest, at = cr->after, ids[BATCH];
    size_t n = 0;
    char next[STORE_CURSOR_LEN + 1];
    jw_writer w;
    int rc;

    if (!st) {
        api_unavailable(res);
        return -1;
    }
    if ((rc = store_changes_bounds(st, &pruned, &latest)) != STORE_OK)
        goto fail;
    if (cr->after < 0) /* no since: from the oldest change kept */
        at = pruned;
    if (at < pruned) {
        api_error(res, 410, "Cursor expired",
                  "changes this old are no longer kept (CHANGES_RETENTION_DAYS): start again "
                  "without since, or with since=latest");
        return -1;
    }
    kept = arena_alloc(&t->mem, (size_t)cr->limit * sizeof(store_change *));
    kept_shows = arena_alloc(&t->mem, (size_t)cr->limit * sizeof(tv_show *));
    shows = arena_alloc(&t->mem, BATCH * sizeof(tv_show *));
    if (!kept || !kept_shows || !shows) {
        rc = STORE_ERR;
        goto fail;
    }
    if (cr->latest)
        at = latest;
    for (int b = 0; !cr->latest && b < BATCHES_MAX && (int64_t)n < cr->limit; b++) {
        store_page page;
        size_t i;
        if ((rc = store_changes_after(st, at, BATCH, &t->mem, &page)) != STORE_OK)
            goto fail;
        for (i = 0; i < page.n; i++)
            ids[i] = ((store_change *)page.rows[i])->show_id;
        if ((rc = store_shows_by_ids(st, ids, page.n, &t->mem, shows)) != STORE_OK)
            goto fail;
        for (i = 0; i < page.n && (int64_t)n < cr->limit; i++) {
            store_change *c = page.rows[i];
            at = c->seq;
            if (change_kept(&cr->s.q, c, shows[i])) {
                kept[n] = c;
                kept_shows[n++] = shows[i];
            }
        }
        if (page.n < BATCH)
            break;
    }
    if ((rc = api_fill_next(t, r, kept_shows, n)) != STORE_OK)
        goto fail;
    store_change_cursor(at, next);
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    jw_key(&w, "data");
    jw_arr_open(&w);
    for (size_t i = 0; i < n; i++)
        render_change(&w, kept[i], kept_shows[i]);
    jw_arr_close(&w);
    jw_key(&w, "next_cursor");
    jw_str(&w, next);
    jw_key(&w, "has_more");
    jw_bool(&w, at < latest);
    jw_obj_close(&w);
    return jw_end(&w);
fail:
    api_store_error(t, res, rc);
    return -1;
}

void route_changes(api_thread *t, api_request *r, http_response *res)
{
    changes_request cr;
    const char *since;
    size_t n;

    memset(&cr, 0, sizeof(cr));
    sched_query_init(&cr.s.q);
    cr.after = -1;
    cr.limit = LIMIT_DEFAULT;
    if (api_schedule_filters(r, res, &cr.s) != 0)
        return;
    if (api_param_int(r, "limit", 1, LIMIT_MAX, &cr.limit) == PARAM_BAD) {
        api_bad_param(res, "limit", "must be an integer from 1 to 500");
        return;
    }
    since = query_get(&r->q, "since", &n);
    if (since && n == 6 && !memcmp(since, "latest", 6)) {
        cr.latest = 1;
    } else if (since && n && store_change_cursor_parse(since, n, &cr.after) != 0) {
        api_bad_param(res, "since", "must be a next_cursor this API gave, or latest");
        return;
    }
    api_schedule_key(r, &t->key, "changes;", &cr.s);
    api_key_add_int(&t->key, "after", cr.after);
    api_key_add_int(&t->key, "latest", cr.latest);
    api_key_add_int(&t->key, "limit", cr.limit);
    api_serve_cached(t, r, res, t->key.data, t->key.len, build_changes, &cr);
}
