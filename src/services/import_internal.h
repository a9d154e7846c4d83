/* import_internal.h — the units of an import (import.c), which the plans'
 * engine (import_plan.c) runs: a (day, source), the full schedule, a saved
 * response; and the record of a finished run. Private to services/import*.c;
 * everyone else runs plans (import.h). Errors and threads as in import.h. */
#ifndef TVSHOWS_IMPORT_INTERNAL_H
#define TVSHOWS_IMPORT_INTERNAL_H

#include "services/import.h"

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

#endif
