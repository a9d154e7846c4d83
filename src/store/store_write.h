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
/* Several days in one transaction (SQLite; PostgreSQL, whose import
 * transactions take turns on a lock of their own, writes each day as
 * store_write_day_from does). Each day is written in a savepoint of its own, so a day that fails
 * (d->rc, d->err) leaves the others; they are committed together, once. A SQLite commit writes
 * every page the transaction changed: the index pages that all days touch are written once for the
 * batch instead of once a day. The transaction holds the database's write lock for as long as its
 * days take (readers never wait in WAL mode); callers keep batches to a few tens of milliseconds of
 * writing. Returns STORE_OK when the batch committed (each day's outcome in
 * its rc), or the error that lost it, every day failed with it. */
typedef struct store_day_write {
    const tv_batch *b; /* in: the day's batch, source, day and digest (may be NULL), */
    const char *source, *day, *digest; /*     all the caller's */
    int rc;                            /* out: STORE_OK, or why the day failed (err) */
    char err[512];
    store_day_stats stats; /* out: what the day wrote, when rc is STORE_OK */
} store_day_write;

MUST_USE int store_write_days(store *st, store_day_write *days, size_t n);

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

/* ---- seasons (store_seasons.c; services/seasons.h) ---- */

/* A show whose seasons are due to be asked for. */
typedef struct store_season_due {
    int64_t show_id, tvmaze_id;
} store_season_due;

/* The shows with an episode on `today` ("YYYY-MM-DD") or later whose
 * seasons were never asked for, or last asked before stale_before (Unix
 * seconds), or before new_before and an upcoming episode is of a season
 * they did not list; as store_season_due rows, the show whose first such
 * episode airs soonest first (then by TVmaze id). */
MUST_USE int store_seasons_due(store *st, const char *today, int64_t stale_before,
                               int64_t new_before, arena *a, store_page *out);

/* What TVmaze answered for one show: its seasons (found), or that it has
 * no such show (found 0: the seasons stored are kept). Borrowed. */
typedef struct store_show_seasons {
    int64_t show_id;
    int found;
    const tv_season *seasons;
    size_t n;
} store_show_seasons;

/* Writes the answers of n shows in one transaction: each found show's
 * seasons become exactly those listed, and each show is marked asked at
 * checked_at (Unix seconds). Bumps the generation when a season was
 * added, changed or dropped (*changed counts them), so the schedule and
 * the response cache see the new lengths at once. */
MUST_USE int store_seasons_write(store *st, const store_show_seasons *shows, size_t n,
                                 int64_t checked_at, int64_t *changed);

/* ---- the change feed's retention ---- */

/* Drops changes made before `before` (Unix seconds); *removed rows. */
MUST_USE int store_changes_prune(store *st, int64_t before, int64_t *removed);

#endif
