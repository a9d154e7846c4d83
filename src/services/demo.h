/* demo.h — the demo week: recorded TVmaze schedules built into the binary
 * (tests/fixtures/tvmaze, gzipped into a C table at build time by
 * tools/embed.py), loaded with their dates moved into the coming week, so
 * that a new installation shows a real-looking schedule with no network and
 * no source tree (`tvshows import --demo`, `tvshows serve --demo`, and
 * `serve` by itself on a first run that cannot reach TVmaze).
 *
 * Each recorded day keeps its weekday: it moves by whole weeks to the same
 * weekday among the seven days from the load (UTC), the airdates and
 * airstamps of its episodes together; TVmaze ids are kept. Each recorded
 * file is listed under a source of its own ("demo:0", "demo:1", …), so that
 * demo_clear() removes the demo's listings, and with them the episodes that
 * no real source lists.
 * The mark: the meta key "demo" holds the first day of the demo week while
 * demo data is in the database. It is set before the first demo day is
 * written (a load cut short is still cleared) and removed by demo_clear(),
 * which the importer calls after each real day it writes (a no-op once the
 * mark is gone): the first real import removes the demo.
 * Threads: no state of its own; each thread passes its own store.
 * Errors: 0, or -1 (DEMO_EREAL: see demo_load) with one line in err. */
#ifndef TVSHOWS_DEMO_H
#define TVSHOWS_DEMO_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define DEMO_EREAL (-2)

typedef struct demo_info {
    int32_t from, to; /* the demo week's first and last day (days since 1970-01-01) */
    int64_t episodes; /* listed by the demo's days */
    int days;         /* recorded days written */
} demo_info;

/* Loads the demo week starting on day `today`, replacing an older demo.
 * DEMO_EREAL when the database holds imported data: the demo is never
 * mixed into it. */
int demo_load(store *st, int32_t today, demo_info *info, char *err, size_t errlen);
/* 1 with the demo week's first day in *from when demo data is in the
 * database, 0 when not, -1 when the store failed. */
int demo_loaded(store *st, int32_t *from);
/* 1 when the database holds no data at all (nothing imported, no demo):
 * a first run. 0 otherwise, -1 when the store failed. */
int demo_database_empty(store *st);
/* Removes the demo's listings, the episodes only they listed and the mark;
 * nothing to do without demo data. */
int demo_clear(store *st, char *err, size_t errlen);

#endif
