/* store_write.h — what an import writes: a (day, source) at a time, the
 * runs that account for it, and the pruning of the change feed that its
 * writes fill. The first write gives the store its memo of rows written
 * (store_import.c). Errors and ownership as in store.h. */
#ifndef TVSHOWS_STORE_WRITE_H
#define TVSHOWS_STORE_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "util/must_use.h"
#include "store/store.h"

/* ---- import (store_import.c) ---- */

typedef struct store_day_stats {
    int64_t episodes;      /* listed in the batch */
    int64_t upserted;      /* rows inserted or changed (distributors, shows, episodes) */
    int64_t removed;       /* episodes no longer listed anywhere */
    int64_t listed_before; /* listings (source, day) had before the write */
    int64_t unlisted;      /* of those, the ones this write dropped */
} store_day_stats;

/* Writes what one source listed for one day, in one transaction: upserts
 * distributors, shows and episodes by TVmaze id, records the listing, drops
 * episodes this source no longer lists for the day (unless another source
 * still lists them), and bumps the generation when anything changed.
 * On error nothing of the day is written. */
MUST_USE int store_write_day(store *st, const tv_batch *b, const char *source, const char *day,
                             store_day_stats *out);

/* ---- unchanged answers ----
 * A unit can be written with the digest of the upstream answer its batch
 * was mapped from (at most STORE_DIGEST_MAX bytes; the caller names the
 * format and version in it, so that a mapping that changes gives every
 * answer a new digest). store_write_day writes without one, which forgets
 * the unit's: a day written from anything else is never skipped. A write
 * that changes rows other units list (an episode, a show) forgets theirs
 * too: their answers, written again, would write those rows back. */
#define STORE_DIGEST_MAX 80

/* store_write_day, remembering digest (NULL: forgetting the unit's). */
MUST_USE int store_write_day_from(store *st, const tv_batch *b, const char *source, const char *day,
                                  const char *digest, store_day_stats *out);
/* *same = 1 and the episodes it listed when (source, day) was written last
 * from an answer with this digest and what it wrote still holds: writing
 * the same answer again would change nothing. Any write the digests do not
 * account for (an older binary's, which bumps only the generation) makes
 * every unit be written again. */
MUST_USE int store_day_unchanged(store *st, const char *source, const char *day, const char *digest,
                                 int *same, int64_t *episodes);

typedef struct store_run {
    int64_t id;
    int64_t started_at, finished_at; /* Unix seconds; finished 0 while running */
    const char *status;              /* running, succeeded, partial, failed */
    const char *mode;
    int64_t days_total, days_ok, days_failed;
    int64_t requests, retries, upserted, removed;
    const char *first_error;
    const char *failed_days; /* comma-separated "day/source" */
} store_run;

MUST_USE int store_run_begin(store *st, const char *mode, int64_t days_total, int64_t *id);
/* Adds counts to a run (several workers may report to one run). A day that
 * failed passes its name and error; the first error is kept. */
MUST_USE int store_run_add(store *st, int64_t id, const store_run *delta, const char *failed_day,
                           const char *error);
/* Sets finished_at and the status from the counts, once every day is in. */
MUST_USE int store_run_finish(store *st, int64_t id, const char **status);

/* ---- the change feed's retention ---- */

/* Drops changes made before `before` (Unix seconds); *removed rows. */
MUST_USE int store_changes_prune(store *st, int64_t before, int64_t *removed);

#endif
