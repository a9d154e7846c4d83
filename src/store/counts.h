/* counts.h — total_count of a schedule query without counting episodes.
 *
 * For each day it has been asked about, a counts keeps the number of
 * episodes of each distinct (network, web channel, show rating): fewer
 * entries than episodes, read once per data generation instead of on every
 * request. A filter's total is then a sum over those groups in memory, the
 * distributor and country filters resolved to distributor ids first from
 * the distributors, which it also holds (read once per generation).
 *
 * Knowing each day's count also tells which days a page's rows lie on, so
 * the page query reads those days only.
 *
 * Days are kept for one generation: the first call with a new generation
 * drops them all. At most COUNTS_MAX_GROUPS groups are kept; past that the
 * counts starts over. The days of a window that are not held are read
 * from the database (the span from the first to the last of them, at the
 * generation the database is at) and kept if that is the generation the
 * caller sees; a total never mixes days of two generations.
 *
 * Ownership: counts_new() / counts_free(). Thread-safe: one per process,
 * shared by the API threads; a mutex guards it, never held during a query.
 * Errors are the store's (STORE_*), with its message in store_errmsg(). */
#ifndef TVSHOWS_COUNTS_H
#define TVSHOWS_COUNTS_H

#include <stdint.h>

#include "store/store.h"

#define COUNTS_MAX_GROUPS (1 << 18)
#define COUNTS_MAX_DAYS   366 /* the longest window counted */

typedef struct counts counts;

/* A count, and where its page lies: the page's rows are rows offset.. of
 * the matches between first_day and last_day (day numbers, inclusive). */
typedef struct counts_page {
    int64_t total;
    int32_t first_day, last_day;
    int64_t offset;
    /* the matches are few among those days' episodes: read them by show, by
     * the ids of the distributors the filter names (in the caller's arena) */
    int by_show;
    int64_t *named_ids, *country_ids;
    size_t n_named, n_country;
} counts_page;

counts *counts_new(void);    /* NULL when out of memory */
void counts_free(counts *c); /* NULL is fine */
/* Counts the episodes f matches, and narrows the page [offset, offset +
 * limit) of them to the days that hold it. gen is the data generation the
 * caller sees; st is the caller's connection. */
int counts_episodes(counts *c, store *st, int64_t gen, const episode_filter *f, int64_t offset,
                    int limit, arena *a, counts_page *page);
/* f narrowed to the page's days, with the way to read them: the filter to
 * pass store_find_episodes() with page->offset. */
void counts_page_filter(const counts_page *page, const episode_filter *f, episode_filter *out);

#endif
