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
    int64_t unreachable;                /* units failed because nothing answered upstream */
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

/* ---- an upstream nothing answers at ----
 * Units whose request found nothing answering (TVMAZE_EUNREACHABLE: the
 * name does not resolve, connections are refused or time out) are counted
 * across days and threads. After IMPORT_UNREACHABLE_AFTER in a row the
 * upstream counts as unreachable: that is said once (in the log, when
 * import_upstream_init asked for it) and imports pause, for IMPORT_PAUSE
 * (a minute), then twice as long each time a try after a pause finds
 * nothing either, up to an hour (1, 2, 4 … 60 minutes).
 * Any answer from the upstream ends it. Process-wide; thread-safe. */
#define IMPORT_UNREACHABLE_AFTER 3

/* Once at start: the base URL the message names, the first pause
 * (IMPORT_PAUSE), and whether to log it (services) or leave it to the
 * caller (the foreground import says it itself). Keeps what was recorded
 * so far. */
void import_upstream_init(const char *base_url, int64_t first_pause_ms, int log_it);
/* Something else found nothing answering (serve's first-run probe) and
 * said so: unreachable at once, the pause begins. */
void import_upstream_down(void);
/* 1 while the upstream counts as unreachable. */
int import_upstream_unreachable(void);
/* How long imports should still wait, in ms; 0 when they may go on. */
int64_t import_upstream_pause_ms(void);
/* The line that says it: "TVmaze is unreachable at …". */
void import_upstream_message(char *out, size_t n);

/* The sources of a plan: one per country of a "US,GB" list, then "web".
 * Returns how many were written to out. */
size_t import_sources(const char *countries, int web, char out[][IMPORT_SOURCE_MAX], size_t max);

#endif
