/* store_read.h — what the API asks of the store: the schedule's rows, shows
 * and episodes, search and lookups, filter values, the change feed, the
 * followed-show lists (the API's own writes) and the analytics reports.
 * A store that only reads holds no import memo. Errors and ownership as in
 * store.h. */
#ifndef TVSHOWS_STORE_READ_H
#define TVSHOWS_STORE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- API reads (store_read.c) ---- */

/* One episode as the schedule's index keeps it (schedule/): what its
 * order and its filters need. Strings are valid during the callback only. */
typedef struct store_sched_row {
    int64_t id, show_id;
    int32_t airdate;   /* day number */
    int32_t time_sort; /* minutes after midnight, 1440: no time announced */
    int has_instant;   /* a time is announced and TVmaze gave its instant */
    int64_t instant;   /* airstamp, Unix seconds */
    int32_t season;    /* season, episode number (has_number: not a special) */
    int32_t number, number_sort;
    int has_number;
    const char *show_name;
    size_t show_name_len;
    int has_rating;
    double show_rating;
    int64_t network_id, web_channel_id;   /* 0: none */
    const char *genres_json;              /* ["Drama", …] */
    const char *language, *type, *status; /* NULL: none */
    int has_premiered;
    int32_t premiered;     /* the show's first airdate, a day number */
    int32_t season_length; /* episodes in its season (TVmaze's episodeOrder); 0: not known */
} store_sched_row;
typedef int (*store_sched_fn)(void *ctx, const store_sched_row *r);
/* Every episode with an airdate in [from, to] (day numbers), in the
 * schedule's order (airdate, time, show name, season, number, id). fn sees
 * each (a negative return stops the read and is returned); *gen is the data
 * generation they belong to (one statement: one snapshot), -1 when there
 * were none. */
int store_sched_rows(store *st, int32_t from, int32_t to, store_sched_fn fn, void *ctx,
                     int64_t *gen);

/* Every distributor, for matching filters in memory (strings valid during
 * the call, NULL for a null); *gen as above. */
typedef struct store_distributor {
    int64_t id;
    dist_kind kind;
    const char *name, *country_name, *country_code, *timezone;
} store_distributor;
typedef int (*store_distributor_fn)(void *ctx, const store_distributor *d);
int store_distributors(store *st, store_distributor_fn fn, void *ctx, int64_t *gen);

/* Every show that has episodes, as search's name index keeps it (strings
 * valid during the call), and the data generation they are of. */
typedef struct store_show_name {
    int64_t id;
    const char *name, *search_name;
    int weight; /* -1: none */
} store_show_name;
typedef int (*store_show_name_fn)(void *ctx, const store_show_name *s);
int store_show_names(store *st, store_show_name_fn fn, void *ctx, int64_t *gen);

/* The episodes ids[0..n) with their shows and distributors, into out[i] in
 * the order of ids (NULL where an episode is gone). */
int store_episodes_by_ids(store *st, const int64_t *ids, size_t n, arena *a, tv_episode **out);
/* The same without the shows: each episode's show is a stub that holds
 * only the show's id (for store_show_cards() or a memo of them). */
int store_list_episodes(store *st, const int64_t *ids, size_t n, arena *a, tv_episode **out);
/* The shows ids[0..n) into out[i] (NULL where a show is gone). */
int store_shows_by_ids(store *st, const int64_t *ids, size_t n, arena *a, tv_show **out);
/* The same with only what a show object in a list shows (render_show()
 * without detail): the run, schedule, summary, official site, weight,
 * search name and update time are unset. */
int store_show_cards(store *st, const int64_t *ids, size_t n, arena *a, tv_show **out);
/* Each show's next episode as of `now` (Unix seconds): the first, in
 * airing order, that airs at or after now, or on a day from now's UTC day on
 * when its time is not announced; shows[i]->next, NULL when none. */
int store_next_episodes(store *st, tv_show *const *shows, size_t n, int64_t now, arena *a);

int store_list_shows(store *st, int64_t offset, int limit, arena *a, store_page *out);
int store_get_show(store *st, int64_t id, arena *a, tv_show **out);
int store_show_episodes(store *st, int64_t show_id, int64_t offset, int limit, arena *a,
                        store_page *out);
/* Up to limit candidate shows (that have episodes) for a search: folded
 * (fold.h) is the folded query; each backend finds names that resemble it
 * with its own trigram index (PostgreSQL pg_trgm, SQLite FTS5), roughly
 * best first; the caller ranks them. */
int store_search_shows(store *st, const char *folded, size_t n, int limit, arena *a,
                       store_page *out);
typedef enum { STORE_EXT_TVMAZE, STORE_EXT_IMDB, STORE_EXT_THETVDB } store_external;
/* The show with that external id (value: digits, or "tt…" for IMDb);
 * STORE_ENOTFOUND when there is none. */
int store_lookup_show(store *st, store_external kind, const char *value, size_t n, arena *a,
                      tv_show **out);
/* Sorted genres of shows that have episodes. */
int store_genre_names(store *st, arena *a, store_page *out);
/* Sorted names of distributors that have episodes, and of their countries. */
int store_distributor_names(store *st, arena *a, store_page *out);
int store_country_names(store *st, arena *a, store_page *out);

/* ---- the change feed (store_changes.c) ---- */

/* What changed for viewers (schema.c's triggers): kind is "added",
 * "rescheduled", "time_known" or "removed"; the before values are null for
 * an addition, the after values for a removal. */
typedef struct store_change {
    int64_t seq, created_at; /* created_at: Unix seconds */
    const char *kind;
    int64_t episode_id, episode_tvmaze_id, show_id;
    const char *name;
    int32_t season, number;
    int has_number;
    int32_t season_length; /* episodes in its season now (TVmaze's episodeOrder); 0: not known */
    const char *airdate_before, *airtime_before, *airstamp_before;
    const char *airdate, *airtime, *airstamp;
} store_change;

/* A change's place in the feed as clients see it: "c" and 16 hex digits of
 * its seq (opaque, monotonic); parse gives -1 for anything else. */
#define STORE_CURSOR_LEN 17
void store_change_cursor(int64_t seq, char out[STORE_CURSOR_LEN + 1]);
int store_change_cursor_parse(const char *s, size_t n, int64_t *seq);

/* Up to limit changes after seq `after`, in order, as store_change rows. */
int store_changes_after(store *st, int64_t after, int limit, arena *a, store_page *out);
/* The last pruned seq (changes at or before it are gone) and the latest. */
int store_changes_bounds(store *st, int64_t *pruned, int64_t *latest);

/* ---- followed-show lists (store_lists.c) ---- */

/* A list: owner is the caller's identity ("key:<id>", "sub:<subject>"),
 * feed_prefix the start of its feed token (to tell tokens apart; the token
 * itself is kept as a SHA-256 only), version changes with every change of
 * the list (its feeds' cache key). Functions taking an owner act only on
 * that owner's lists; a NULL owner is the operator's (any list). */
typedef struct store_list {
    int64_t id;
    const char *owner, *name, *feed_prefix;
    int64_t created_at, version;
} store_list;

/* STORE_ELIMIT when the owner has max_lists already. */
int store_list_create(store *st, const char *owner, const char *name, const char *feed_sha256,
                      const char *feed_prefix, int max_lists, int64_t *id);
/* ENOTFOUND when there is no such list or it is someone else's. */
int store_list_get(store *st, int64_t id, const char *owner, arena *a, store_list **out);
int store_list_by_feed(store *st, const char *feed_sha256, arena *a, store_list **out);
/* The owner's lists (NULL: everybody's), as store_list rows. */
int store_lists_of(store *st, const char *owner, arena *a, store_page *out);
int store_list_rename(store *st, int64_t id, const char *owner, const char *name);
int store_list_rotate(store *st, int64_t id, const char *owner, const char *feed_sha256,
                      const char *feed_prefix);
int store_list_delete(store *st, int64_t id, const char *owner);
/* Adding a show already there changes nothing (STORE_OK); STORE_ELIMIT
 * past max_shows. The show must exist (the caller checks). */
int store_list_add_show(store *st, int64_t id, const char *owner, int64_t show_id, int max_shows);
/* ENOTFOUND when the list is not the owner's or does not hold the show. */
int store_list_remove_show(store *st, int64_t id, const char *owner, int64_t show_id);
/* The list's show ids, sorted, in the arena. */
int store_list_show_ids(store *st, int64_t id, arena *a, int64_t **ids, size_t *n);

/* ---- analytics (store_analytics.c); dates are "YYYY-MM-DD" ---- */

typedef struct store_network_stat {
    const char *name, *kind, *country;
    int64_t episodes;
    int64_t peak_7d; /* the busiest 7 consecutive calendar days */
    double avg_7d;   /* the 7-day rolling count, averaged over the days */
} store_network_stat;

typedef struct store_genre_stat {
    const char *genre;
    int64_t shows, episodes, upcoming, shows_upcoming;
    int has_show_rating, has_episode_rating;
    double avg_show_rating, avg_episode_rating;
} store_genre_stat;

typedef struct store_slot_count {
    const char *airdate, *airtime;
    int64_t episodes;
} store_slot_count;

/* The 10 distributors with the most episodes airing from..to, busiest first. */
int store_top_distributors(store *st, const char *from, const char *to, arena *a, store_page *out);
/* Genres of at least min_shows shows that have episodes; upcoming from today. */
int store_genre_stats(store *st, const char *today, int min_shows, arena *a, store_page *out);
/* Episode counts by (airdate, airtime) from..to. */
int store_slot_counts(store *st, const char *from, const char *to, arena *a, store_page *out);

#endif
