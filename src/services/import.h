/* import.h — importing TVmaze schedules into the store: one (day, source) at
 * a time, the whole /schedule/full at once, or a saved response file.
 *
 * A source is "country:XX" (GET /schedule?country=XX&date=D) or "web"
 * (GET /schedule/web?date=D); the full schedule is written day by day under
 * the source "full". Each (day, source) is one transaction: a day that
 * fails leaves that day's previous data as it was.
 * This is the only import code: `tvshows import` and the job worker both
 * call it. Thread-safety: none of its own; pass each thread its own store
 * and client. Errors: functions return 0, or -1 with the reason in
 * result->error. */
#ifndef TVSHOWS_IMPORT_H
#define TVSHOWS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "tvmaze/tvmaze.h"

#define IMPORT_SOURCE_MAX 16

typedef struct import_result {
    int64_t days_ok, days_failed;
    int64_t episodes;                   /* listed by the upstream */
    int64_t upserted;                   /* rows inserted or changed */
    int64_t removed;                    /* episodes dropped */
    tvmaze_stats net;                   /* requests and retries */
    char error[512];                    /* the first failure */
    char failed[4096];                  /* "day/source" of each failed unit, comma-separated */
    int64_t reported;                   /* episodes already passed to a progress report */
    int64_t fetch_us, map_us, write_us; /* where the time went (summed over threads) */
} import_result;

/* Called after each written or failed (day, source). */
typedef void (*import_progress_fn)(void *ud, const char *day, const char *source, int ok,
                                   const import_result *so_far);

int import_day(store *st, tvmaze_client *tm, const char *source, int32_t day, import_result *res);
int import_full(store *st, tvmaze_client *tm, import_progress_fn progress, void *ud,
                import_result *res);
int import_file(store *st, const char *path, import_progress_fn progress, void *ud,
                import_result *res);

/* Adds a finished import's counts, failed units and first error to its run
 * (store_run_add), days_total more days than the run began with, and
 * finishes the run; *status is its final status. STORE_OK or the store's
 * error. */
int import_finish_run(store *st, int64_t run, const import_result *r, int64_t days_total,
                      const char **status);

/* Writing a day that drops more than percent % of the listings its source
 * had for it logs a warning and counts tvshows_import_large_removals_total
 * (the day is written all the same: the answer was well-formed). Set once
 * at start, before import threads run; 100 turns the warning off. */
void import_set_removal_warning(int percent);

/* How long the change feed keeps a change (CHANGES_RETENTION_DAYS); set
 * once at start. Imports prune older changes, at most once an hour. */
void import_set_change_retention(int days);

/* The sources of a plan: one per country of a "US,GB" list, then "web".
 * Returns how many were written to out. */
size_t import_sources(const char *countries, int web, char out[][IMPORT_SOURCE_MAX], size_t max);

#endif
