/* schedule_internal.h — what the schedule's index (schedule.c: the
 * vocabularies, the snapshots of days and their loading) and its walk
 * (walk.c: a query matched against the days, in the viewer's order) share.
 * Private to src/schedule/. Threads and ownership as in schedule.h: a day,
 * once in a snapshot, is never changed, so the walk reads it unlocked. */
#ifndef TVSHOWS_SCHEDULE_INTERNAL_H
#define TVSHOWS_SCHEDULE_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "schedule/schedule.h"
#include "util/arena.h"
#include "util/idmap.h"

#define ZONE_MARGIN 2 /* airdates around a local day whose episodes may air on it */

/* One episode: its order keys and what the filters look at. */
typedef struct entry {
    int64_t id, show_id;
    int64_t instant;       /* Unix seconds, when SCHED_TIMED */
    const char *show_name; /* in the day's arena */
    uint64_t genres;       /* bit i: genre i of the vocabulary */
    int64_t network_id, web_channel_id;
    double rating; /* NaN: none */
    int32_t season, number_sort;
    int32_t premiered;               /* the show's premiere day; INT32_MIN: unknown */
    uint16_t language, type, status; /* vocabulary ids; 0: null */
    uint16_t time_sort;
    uint8_t flags; /* SCHED_* */
} entry;

/* How many of a day's entries have one (network, web channel) pair. */
typedef struct pair_count {
    int64_t network_id, web_channel_id;
    int64_t n;
} pair_count;

typedef struct day {
    int32_t airdate;
    entry *v; /* the schedule's order */
    size_t n, cap;
    uint32_t *by_instant; /* the timed entries in instant order, then the others */
    size_t ntimed;
    /* what counts a day that a query does not page through, without
     * walking it: its distributor pairs, and its shows' ratings */
    pair_count *pairs;
    size_t npairs;
    double *ratings; /* ascending, the rated entries only */
    size_t nrated;
    arena names;
} day;

typedef struct dist {
    int64_t id;
    dist_kind kind;
    char *name, *country_name, *country_code; /* NULL: null */
} dist;

/* The days held for one generation (schedule.c), and what a walk holds
 * on to while it reads them. */
typedef struct snapshot snapshot;

/* The days a query walks, taken from the snapshot under the lock (the
 * snapshot's map may grow meanwhile; the days themselves never change). */
typedef struct view {
    int32_t first, last;
    const day *days[SCHEDULE_MAX_DAYS];
    const dist *dists; /* the snapshot's, when the query asked for them */
    size_t ndists;
} view;

static inline const day *view_day(const view *v, int32_t airdate)
{
    return airdate < v->first || airdate > v->last ? NULL : v->days[airdate - v->first];
}

/* The viewer's order of timed episodes: instant, then the same keys as the
 * schedule's order. Independent of the zone, so it is computed once. */
static inline int instant_cmp(const entry *a, const entry *b)
{
    int c;

    if (a->instant != b->instant)
        return a->instant < b->instant ? -1 : 1;
    if ((c = strcmp(a->show_name, b->show_name)))
        return c;
    if (a->season != b->season)
        return a->season < b->season ? -1 : 1;
    if (a->number_sort != b->number_sort)
        return a->number_sort < b->number_sort ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* The id (1..) of a language, show type or status (schedule_word_id), or
 * of a genre (schedule_genre_id), compared without case; 0 when no
 * episode held has it. */
unsigned schedule_word_id(schedule *s, const char *w, size_t n);
unsigned schedule_genre_id(schedule *s, const char *w, size_t n);

/* The days [first, last] of generation gen (or a newer one) into v, read
 * from st where not held, and the distributors when dists is set; *out is
 * the snapshot they are in, held until schedule_view_release. STORE_OK or
 * the store's error (nothing held). */
int schedule_view(schedule *s, store *st, int64_t gen, int32_t first, int32_t last, int dists,
                  view *v, snapshot **out);
void schedule_view_release(schedule *s, snapshot *sn);

#endif
