/* analytics.h — the three analytical reports, as tables that render to
 * JSON (the API and --format json), CSV and aligned text:
 *   networks          the 10 distributors with the most episodes from
 *                     today-30 to today+90, with rank, the peak and the
 *                     average of the rolling 7-calendar-day count;
 *   genres            per genre of at least 3 shows: shows, episodes,
 *                     upcoming episodes, share of shows with one upcoming,
 *                     average show and episode rating, rating quartile (1 =
 *                     the best-rated quarter of genres);
 *   schedule-density  the next 30 days by weekday/weekend and day part
 *                     (morning 06-12, afternoon 12-18, prime time 18-23, late
 *                     night 23-06) from announced airtimes; unannounced ones
 *                     ("") are counted apart as day part "unknown"; the slot
 *                     with the most episodes per calendar day is marked.
 * "today" is a day number (UTC) so tests can fix it. Errors: 0, or a
 * STORE_E* code with the reason in the store. Ownership: tables live in the
 * caller's arena. */
#ifndef TVSHOWS_ANALYTICS_H
#define TVSHOWS_ANALYTICS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_read.h"
#include "util/buf.h"

typedef enum { REPORT_NETWORKS, REPORT_GENRES, REPORT_DENSITY } report_kind;

typedef enum { CELL_NULL, CELL_TEXT, CELL_INT, CELL_REAL, CELL_BOOL } cell_type;

typedef struct cell {
    cell_type type;
    const char *s;
    int64_t i;
    double f;
} cell;

typedef struct report {
    const char *const *cols;
    size_t ncols;
    cell *cells; /* nrows * ncols, row-major */
    size_t nrows;
} report;

/* "networks", "genres", "schedule-density" */
int analytics_find(const char *name, report_kind *out);
int analytics_run(store *st, report_kind k, int32_t today, arena *a, report *out);

void analytics_json(const report *r, int64_t generated_at, buf *out);
void analytics_csv(const report *r, buf *out);
void analytics_text(const report *r, buf *out);

#endif
