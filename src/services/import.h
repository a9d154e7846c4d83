/* import.h — importing TVmaze schedules into the store: one (day, source) at
 * a time, the whole /schedule/full at once, or a saved response file.
 *
 * A source is "country:XX" (GET /schedule?country=XX&date=D) or "web"
 * (GET /schedule/web?date=D); the full schedule is written day by day under
 * the source "full". A day that fails leaves that day's previous data as
 * it was: each (day, source) is one transaction, or on SQLite, where a
 * plan's days go to one writer thread, a savepoint in a transaction of
 * several days (import_plan.c, store_write_days).
 * This is the only import code: `tvshows import` and the job worker both
 * run their imports as plans (import_run_plan, import_plan.c). Threads:
 * import_run_plan makes its own when asked to; the other functions have
 * none of their own (pass each thread its own store and client).
 * Errors: functions return 0, or -1 with the reason in result->error. */
#ifndef TVSHOWS_IMPORT_H
#define TVSHOWS_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "services/seasons.h"
#include "store/store.h"
#include "store/store_write.h"
#include "tvmaze/tvmaze.h"
#include "util/date.h"

#define IMPORT_SOURCE_MAX  16
#define IMPORT_MAX_SOURCES 64 /* sources of one plan; more countries are not taken */

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
    int64_t skipped;                    /* units not started: the upstream's pause ran */
    int64_t unchanged;                  /* units whose answer was the one last written:
                                         * neither parsed nor written (store_day_unchanged) */
    int64_t fetch_us, map_us, write_us; /* where the time went (summed over threads) */
    int64_t run;                        /* the run a plan recorded (import_exec.runs) */
    const char *status;                 /* and its final status (static) */
    seasons_result seasons;             /* the seasons step after it (import_exec.seasons) */
} import_result;

/* Called after each written or failed (day, source). */
typedef void (*import_progress_fn)(void *ud, const char *day, const char *source, int ok,
                                   const import_result *so_far);

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

/* ---- plans (import_plan.c) ----
 * What one import covers, and the one way it is run. `tvshows import` runs
 * a whole plan in the foreground; the job worker runs each import-day job
 * as a plan of one unit and an import-full job as the full plan, and an
 * import-plan job fans out into import-day jobs, one per unit of its plan
 * (import_unit_at). Strings are borrowed for the call. */
typedef struct import_plan {
    int days;                 /* a window of days from `from` on… */
    const char *from;         /* "YYYY-MM-DD"; NULL or "": today (UTC) */
    const char *countries;    /* a source per country of "US,GB", then… */
    int web;                  /* …"web" */
    const char *source;       /* or one source ("country:US", "web") instead of those */
    int full;                 /* or /schedule/full, written day by day */
    const char *const *files; /* or saved responses (import_file), a unit each */
    size_t nfiles;
} import_plan;

/* A plan's units: the days of a window, day-major (every source of a day
 * before the next day); a file each; or the full schedule as one. */
typedef struct import_units {
    int32_t from;
    char sources[IMPORT_MAX_SOURCES][IMPORT_SOURCE_MAX];
    size_t nsources;
    int64_t n;
    int64_t days_total; /* what its run counts up front: n, or 0 for the full
                         * schedule (its days are known once fetched) */
} import_units;

/* -1 with err when the plan cannot be run (a `from` that is no date, an
 * unknown source). */
int import_plan_units(const import_plan *p, import_units *u, char *err, size_t errlen);
/* Unit i of a window: its day into day (DATE_LEN + 1 bytes); returns its
 * source (in u). */
const char *import_unit_at(const import_units *u, int64_t i, char *day);
/* "days", "full" or "file": the mode its run is recorded with. */
const char *import_plan_mode(const import_plan *p);

/* The upstream client an import uses, from IMPORT_* and TVMAZE_BASE_URL;
 * lim (may be NULL) keeps the rate across clients. */
tvmaze_options import_client_options(const config *cfg, tvmaze_limiter *lim);

/* How a plan runs. */
typedef struct import_exec {
    const config *cfg; /* DATABASE_URL, CONCURRENCY, the client's settings */
    /* The units run on this store and client, on the calling thread (the
     * job worker's). NULL: on up to CONCURRENCY threads of their own, each
     * with a store (STORE_ROLE_IMPORT) and a client (sharing lim). */
    store *st;
    tvmaze_client *tm;
    tvmaze_limiter *lim;
    /* Records the plan as one import run on this store: begun before the
     * first unit, its counts added and finished after the last, counted in
     * the metrics (import_count_run); result->run and ->status say which
     * and how. NULL: the caller reports it (a queued run's unit). */
    store *runs;
    import_progress_fn progress; /* after each unit (may be NULL); from the threads */
    void *ud;
    /* Once the run is recorded, and when it imported a day, the seasons
     * step (seasons.h) on the calling thread, on `runs` (or st) and tm (or
     * a client of its own sharing lim), bounded by IMPORT_SEASONS_MAX;
     * result->seasons says how it went. Not for files (no network). */
    int seasons;
} import_exec;

/* Runs a plan. No unit starts while the upstream is unreachable and its
 * pause runs: a foreground import gives up after the first few units,
 * the worker waits out the pause before it runs a job. Returns 0 once the
 * units ran (r counts those that failed), -1 with err when the plan could
 * not run (a thread's store or client, its run not recorded), -2 with err
 * when the plan is invalid (import_plan_units). */
int import_run_plan(const import_plan *p, const import_exec *x, import_result *r, char *err,
                    size_t errlen);

/* Counts a finished run in the metrics by its status (succeeded, partial,
 * failed), and when it imported anything, the time of the last import
 * that did. */
void import_count_run(const char *status);

#endif
