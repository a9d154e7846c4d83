/* The seasons step (seasons.h): ask TVmaze for the seasons of the shows
 * that are due, a bounded number per step, and write the answers a batch
 * of shows at a time. */
#include "services/seasons.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "services/import.h"
#include "store/store_write.h"
#include "util/date.h"
#include "util/log.h"

/* Answers waiting to be written, each show's seasons owned here. */
typedef struct pending {
    store_show_seasons shows[SEASONS_BATCH];
    tv_season *owned[SEASONS_BATCH];
    size_t n;
} pending;

static void pending_clear(pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->owned[i]);
    p->n = 0;
}

/* Takes seasons (owned from now on, may be NULL) for a show. */
static void pending_add(pending *p, int64_t show_id, int found, tv_season *seasons, size_t n)
{
    p->shows[p->n] = (store_show_seasons){show_id, found, seasons, n};
    p->owned[p->n++] = seasons;
}

static int flush(store *st, pending *p, seasons_result *r)
{
    int64_t changed = 0;
    int rc;

    if (!p->n)
        return 0;
    rc = store_seasons_write(st, p->shows, p->n, (int64_t)time(NULL), &changed);
    pending_clear(p);
    if (rc != STORE_OK) {
        snprintf(r->error, sizeof(r->error), "writing seasons: %s", store_errmsg(st));
        return -1;
    }
    r->changed += changed;
    return 0;
}

/* The shows due now, soonest first. */
static int load_due(store *st, arena *a, store_page *out)
{
    char today[DATE_LEN + 1];
    int64_t now = (int64_t)time(NULL);

    date_format(date_today_utc(), today);
    return store_seasons_due(st, today, now - SEASONS_MAX_AGE_S, now - SEASONS_NEW_AGE_S, a, out);
}

int seasons_due(store *st)
{
    arena a;
    store_page due;
    int rc;

    arena_init(&a, 16 * 1024);
    rc = load_due(st, &a, &due) == STORE_OK ? due.n > 0 : -1;
    arena_free(&a);
    return rc;
}

/* What asking for one show came to. */
typedef enum { ASK_FOUND, ASK_NOT_FOUND, ASK_FAILED, ASK_UNREACHABLE } ask_outcome;

static ask_outcome ask(tvmaze_client *tm, const store_season_due *d, buf *body, pending *p,
                       seasons_result *r)
{
    char path[64], err[512];
    tv_season *seasons;
    size_t n;
    int got;

    snprintf(path, sizeof(path), "/shows/%lld/seasons", (long long)d->tvmaze_id);
    got = tvmaze_get(tm, path, body, &r->net, err, sizeof(err));
    if (got == TVMAZE_EUNREACHABLE)
        return ASK_UNREACHABLE;
    if (got != TVMAZE_OK && tvmaze_last_status(tm) == 404) {
        pending_add(p, d->show_id, 0, NULL, 0); /* gone upstream: asked again when stale */
        return ASK_NOT_FOUND;
    }
    if (got == TVMAZE_OK)
        got = tvmaze_map_seasons(body->data, body->len, &seasons, &n, err, sizeof(err));
    if (got != TVMAZE_OK) {
        log_warn("seasons not read", LF_S("path", path), LF_S("error", err));
        return ASK_FAILED;
    }
    pending_add(p, d->show_id, 1, seasons, n);
    return ASK_FOUND;
}

/* Asks for the due shows in order until the bound, the upstream or the
 * store says stop. */
static int ask_all(store *st, tvmaze_client *tm, const store_page *due, int max_shows,
                   seasons_result *r)
{
    pending p = {.n = 0};
    buf body;
    int rc = 0, failures = 0;

    buf_init(&body, TVMAZE_SEASONS_BODY_MAX);
    for (size_t i = 0; i < due->n && r->asked < max_shows && rc == 0; i++) {
        ask_outcome o = ask(tm, due->rows[i], &body, &p, r);
        if (o == ASK_UNREACHABLE) {
            r->unreachable = 1;
            break;
        }
        r->asked++;
        r->found += o == ASK_FOUND;
        r->not_found += o == ASK_NOT_FOUND;
        r->failed += o == ASK_FAILED;
        failures = o == ASK_FAILED ? failures + 1 : 0;
        if (failures >= SEASONS_FAILURES_MAX)
            break; /* the upstream is failing: the next step tries again */
        if (p.n == SEASONS_BATCH)
            rc = flush(st, &p, r);
    }
    if (rc == 0)
        rc = flush(st, &p, r);
    pending_clear(&p);
    buf_free(&body);
    return rc;
}

int seasons_run(store *st, tvmaze_client *tm, int max_shows, seasons_result *r)
{
    int64_t t0 = clock_mono_ms();
    store_page due;
    arena a;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    if (max_shows <= 0)
        return 0;
    if (import_upstream_pause_ms() > 0) {
        r->skipped = 1;
        log_info("seasons step skipped: TVmaze is unreachable, imports pause",
                 LF_I("pause_ms", import_upstream_pause_ms()));
        return 0;
    }
    arena_init(&a, 16 * 1024);
    if (load_due(st, &a, &due) != STORE_OK) {
        snprintf(r->error, sizeof(r->error), "finding the shows due: %s", store_errmsg(st));
        rc = -1;
        goto done;
    }
    r->due = (int64_t)due.n;
    if (r->due)
        log_info("seasons step: asking TVmaze for shows' seasons", LF_I("due", r->due),
                 LF_I("max_shows", max_shows));
    rc = ask_all(st, tm, &due, max_shows, r);
    r->left = r->due - r->asked;
    r->ms = clock_mono_ms() - t0;
    log_info(r->unreachable ? "seasons step stopped: TVmaze is unreachable" : "seasons step",
             LF_I("due", r->due), LF_I("asked", r->asked), LF_I("found", r->found),
             LF_I("not_found", r->not_found), LF_I("failed", r->failed),
             LF_I("changed", r->changed), LF_I("left", r->left), LF_I("requests", r->net.requests),
             LF_I("retries", r->net.retries), LF_I("ms", r->ms));
done:
    if (rc != 0)
        log_warn("seasons step failed", LF_S("error", r->error));
    arena_free(&a);
    return rc;
}
