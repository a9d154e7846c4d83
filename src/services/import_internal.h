/* import_internal.h — the units of an import (import.c), which the plans'
 * engine (import_plan.c) runs: a (day, source), the full schedule, a saved
 * response; and the record of a finished run. Private to services/import*.c;
 * everyone else runs plans (import.h). Errors and threads as in import.h. */
#ifndef TVSHOWS_IMPORT_INTERNAL_H
#define TVSHOWS_IMPORT_INTERNAL_H

#include "services/import.h"
#include "util/buf.h"

int import_day(store *st, tvmaze_client *tm, const char *source, int32_t day, import_result *res);

/* A (day, source) fetched and mapped, waiting to be written. Owns its body
 * and the batch that points into it; source is the plan's. */
typedef struct import_parsed {
    const char *source;
    char day[DATE_LEN + 1];
    buf body;
    tv_batch b;
    char digest[STORE_DIGEST_MAX];
    int digested;
} import_parsed;

/* import_day's first half: fetches and maps the unit. 1: *out is the unit
 * to write (the caller's, for import_write_days or import_parsed_free);
 * 0: done already (its answer unchanged upstream), counted in res; -1:
 * failed, counted in res. */
int import_day_fetch(store *st, tvmaze_client *tm, const char *source, int32_t day,
                     import_parsed **out, import_result *res);
/* …and the second, for several units at once (SQLite: store_write_days,
 * one transaction): counts each in res, calls progress for each, and frees
 * them. */
void import_write_days(store *st, import_parsed **units, size_t n, import_progress_fn progress,
                       void *ud, import_result *res);
void import_parsed_free(import_parsed *p);
/* Counts a unit as failed in res, with why (logged, and kept as the first
 * error). A unit is "day/source", or a file's path (day NULL). */
void import_fail_unit(import_result *res, const char *day, const char *source, const char *error);
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

#endif
