/* schedule.h — the read model of the schedule: which episodes a query
 * matches, in the order the API returns them, and how many, answered in
 * memory.
 *
 * Per data generation, a schedule holds the days it has been asked about:
 * for each airdate, every episode's order keys and filter attributes
 * (an entry of a few dozen bytes), read from the store once, plus every
 * distributor. A query is then a walk over the window's entries: the
 * total is exact for every combination of filters, and the page comes out
 * as episode ids, which the caller reads from the store by id.
 *
 * Two orders. Without a time zone, the original contract's: airdate, then
 * the announced time (unknown last), show name, season, number (specials
 * last), id. With a zone, the viewer's: the window's days are the zone's
 * local days; an episode with an announced time sits on the local day of
 * its instant, ordered by instant; one without stays on its published
 * airdate in every zone and comes after that day's timed episodes.
 *
 * A new generation drops every day held. The days of a query that are not
 * held are read in one statement, at the generation the database is at; a
 * page never mixes two generations' days. At most SCHEDULE_MAX_ENTRIES
 * entries are kept; past that the schedule starts over.
 *
 * Ownership: schedule_new() / schedule_free(). Thread-safe: one per
 * process, shared by the API threads; its lock is never held during a
 * query. Errors are the store's (STORE_*), its message in store_errmsg(). */
#ifndef TVSHOWS_SCHEDULE_H
#define TVSHOWS_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "model/model.h"
#include "store/store.h"
#include "store/store_read.h"
#include "util/tz.h"

#define SCHEDULE_MAX_ENTRIES (1 << 21)
#define SCHEDULE_MAX_DAYS    400 /* airdates one query may read: a year and the zones' margin */
#define SCHEDULE_MAX_NAMES   16  /* distributors (or genres…) one filter may list */
#define SCHEDULE_PAGE_MAX    100

typedef struct schedule schedule;

/* What an episode is, besides its place in the order. */
enum {
    SCHED_TIMED = 1 << 0,           /* a time is announced: it has an instant */
    SCHED_SERIES_PREMIERE = 1 << 1, /* season 1, episode 1 */
    SCHED_SEASON_PREMIERE = 1 << 2, /* episode 1 of a later season */
    SCHED_SEASON_FINALE = 1 << 3,   /* the last episode of its season, where known */
};

/* Which premieres a query keeps (0: every episode). */
enum {
    SCHED_KEEP_SERIES = 1 << 0,
    SCHED_KEEP_SEASON = 1 << 1,
    SCHED_KEEP_FINALE = 1 << 2,
};

/* A string a filter compares, by bytes, case-insensitively where said. */
typedef struct sched_text {
    const char *s;
    size_t n;
} sched_text;

/* A parsed, typed query. Days are day numbers; names are the caller's
 * (borrowed during the call). */
typedef struct sched_query {
    int32_t from, to; /* inclusive: airdates, or with tz the zone's local days */
    const tz_zone *tz;
    int64_t not_before; /* with tz: timed episodes from this instant on (INT64_MIN: all) */
    /* exact names, any of them: the parts of a comma-separated list, and
     * the whole value, which wins when it is itself a name ("A, B Inc.") */
    sched_text distributors[SCHEDULE_MAX_NAMES];
    size_t ndistributors;
    sched_text distributor_whole;
    sched_text country; /* full name or ISO code (s NULL: any) */
    int kind;           /* -1: any; DIST_NETWORK or DIST_WEB (the show's distributor) */
    int has_min_rating;
    double min_rating;
    sched_text genres[SCHEDULE_MAX_NAMES]; /* any of them (case-insensitive) */
    size_t ngenres;
    sched_text exclude_genres[SCHEDULE_MAX_NAMES]; /* none of them */
    size_t nexclude_genres;
    sched_text language, type, status; /* case-insensitive; s NULL: any */
    unsigned premieres;                /* SCHED_KEEP_*; 0: any */
    int new_shows;                     /* only shows whose premiere date is in the window */
    const int64_t *show_ids;           /* sorted; only these shows (NULL: any) */
    size_t nshow_ids;
} sched_query;

void sched_query_init(sched_query *q); /* no filter, no zone */

/* A parameter that is not what it must be: its name and why (static). */
typedef struct sched_error {
    const char *param, *why;
} sched_error;

/* Reads tz and every filter (distributor, country, rating, genre,
 * exclude_genre, language, type, status, kind, premieres, new_shows) from
 * query parameters into q (which points into params' storage, so params
 * must outlive it); -1 with e set at the first bad one. Dates and
 * pagination are the caller's. */
int sched_parse_filters(const query *params, sched_query *q, sched_error *e);

/* A page: the matches' total and the episode ids of rows [offset,
 * offset + limit), in order, with what the order knew of each. */
typedef struct sched_row {
    int64_t id;
    unsigned flags; /* SCHED_* */
} sched_row;

typedef struct sched_page {
    int64_t total;
    size_t n;
    sched_row rows[SCHEDULE_PAGE_MAX];
} sched_page;

schedule *schedule_new(void);    /* NULL when out of memory */
void schedule_free(schedule *s); /* NULL is fine */

/* Answers q for the data generation gen the caller sees; st is the
 * caller's connection (used only for days not held). limit is at most
 * SCHEDULE_PAGE_MAX. */
int schedule_page(schedule *s, store *st, int64_t gen, const sched_query *q, int64_t offset,
                  int limit, sched_page *out);

/* The same for a longer run of rows (calendar feeds): up to cap ids into
 * the caller's rows[]; *n of them written, *total matches in all. */
int schedule_rows(schedule *s, store *st, int64_t gen, const sched_query *q, int64_t offset,
                  size_t cap, sched_row *rows, size_t *n, int64_t *total);

/* Whether a show passes the query's filters that are about shows
 * (distributors, country, kind, rating, genres, language, type, status,
 * show ids), with the same comparisons as a schedule query. */
int schedule_show_matches(const sched_query *q, const tv_show *s);

/* The SCHED_* flags of an episode: what premieres and finales the order
 * knows from its season and number (a finale needs the season's length,
 * 0 when unknown). */
unsigned schedule_episode_flags(int32_t season, int has_number, int32_t number,
                                int32_t season_length);
/* Whether an episode of those flags passes a query's premieres (its
 * SCHED_KEEP_* bits; 0 keeps every episode). */
int schedule_premieres_keep(unsigned premieres, unsigned flags);

#endif
