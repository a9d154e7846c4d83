/* seasons.h — the seasons step: how many episodes each season of a show
 * has, so the schedule can tell a season's finale.
 *
 * TVmaze's schedules give an episode's season and number, never how long
 * its season is; /shows/:id/seasons does (episodeOrder, null until the
 * order is announced). Asking for it per show inside the day import would
 * put a request per show on the import's critical path: a 90-day window
 * lists about a thousand shows, five times the import's own requests at
 * TVmaze's 20 per 10 s. So it is a step of its own, run after an import:
 *   - `tvshows import` runs one once its plan's run is recorded, when it
 *     imported anything (not for --file: no network);
 *   - the worker enqueues a "seasons" job (services/jobs.h) when a queued
 *     run finishes or an import-full job ends, when some show is due; the
 *     scheduler's daily import thus brings a step a day, and a first run
 *     (`scripts/run` on an empty database) one as soon as its days are in.
 * A show is due when it has an episode today (UTC) or later and its
 * seasons were never asked for, were asked for more than SEASONS_MAX_AGE
 * ago (orders change rarely: a week), or, once SEASONS_NEW_AGE has passed
 * since, it has an upcoming episode of a season they did not list (a new
 * season). One step asks for at most max_shows (IMPORT_SEASONS_MAX) of
 * them, the one whose episode airs soonest first; the rest wait for the
 * next step.
 * The requests are the import's: its client (the limiter the process's
 * imports share, retries, 429's Retry-After), counted in
 * tvshows_import_requests_total, a span each when tracing; the step logs
 * one line with its counts. No step starts while imports pause for an
 * unreachable upstream (import.h); nothing answering stops a step at once,
 * and so do SEASONS_FAILURES_MAX failures in a row; a show not asked
 * successfully is not marked, so the next step asks again. A show TVmaze
 * does not know (404) is marked, its stored seasons kept.
 * Answers are written SEASONS_BATCH shows per transaction
 * (store_seasons_write), which bumps the data generation when a season's
 * length changed: the schedule's held days and the response cache follow.
 * Where no length is known (never asked, TVmaze's episodeOrder null, a
 * show not asked yet because of the bound) season_finale stays null.
 * Threads: none of its own; st and tm belong to the calling thread.
 * Errors: seasons_run() returns 0 whatever the upstream did (the result
 * says it), -1 when the store failed (result->error). */
#ifndef TVSHOWS_SEASONS_H
#define TVSHOWS_SEASONS_H

#include <stdint.h>

#include "store/store.h"
#include "tvmaze/tvmaze.h"

#define SEASONS_MAX_AGE_S    (7 * 86400)
#define SEASONS_NEW_AGE_S    (20 * 3600)
#define SEASONS_FAILURES_MAX 3
#define SEASONS_BATCH        20

typedef struct seasons_result {
    int64_t due;       /* shows due when the step began */
    int64_t asked;     /* of them, asked for */
    int64_t found;     /* answered with their seasons */
    int64_t not_found; /* TVmaze had no such show */
    int64_t failed;    /* no usable answer: asked again next time */
    int64_t changed;   /* seasons added, changed or dropped */
    int64_t left;      /* due but not asked: the bound, or the step stopped */
    tvmaze_stats net;
    int unreachable; /* stopped: nothing answered upstream */
    int skipped;     /* not started: imports pause for an unreachable upstream */
    int64_t ms;
    char error[300];
} seasons_result;

int seasons_run(store *st, tvmaze_client *tm, int max_shows, seasons_result *r);

/* 1 when some show is due (a step would ask for something), 0 when none,
 * -1 when the store failed. */
int seasons_due(store *st);

#endif
