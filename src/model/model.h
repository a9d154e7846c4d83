/* model.h — the domain: distributors (TV networks and web channels), shows
 * and episodes, as the importer maps them from TVmaze and as the store
 * returns them to the API.
 *
 * Strings are UTF-8; NULL means "null" (unknown), "" means an empty value the
 * source sent (airtime "" = time not announced). Numbers that may be null
 * have a has_ flag. Ownership: every pointer in these structs lives in the
 * arena of the batch or query that produced it. */
#ifndef TVSHOWS_MODEL_H
#define TVSHOWS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/idmap.h"

typedef enum { DIST_NETWORK = 0, DIST_WEB = 1 } dist_kind;

typedef struct tv_distributor {
    int64_t id; /* ours; 0 until stored */
    int64_t tvmaze_id;
    dist_kind kind;
    const char *name;
    const char *country_code; /* NULL for a global web channel */
    const char *country_name;
    const char *country_timezone;
    const char *official_site;
    int64_t updated; /* the newest `updated` of the shows that carried it */
} tv_distributor;

/* What a show object says of its next episode. */
typedef struct tv_next_episode {
    int64_t id;
    int32_t season, number;
    int has_number;
    const char *name;
    const char *airstamp; /* NULL when unknown */
    const char *airdate;
    const char *airtime; /* "" when not announced */
} tv_next_episode;

typedef struct tv_show {
    int64_t id;
    int64_t tvmaze_id;
    const char *name;
    const char *url;
    const char *type;
    const char *language;
    const char *status;
    const char *premiered;
    const char *ended;
    const char *official_site;
    const char *schedule_time;      /* "HH:MM" or "" */
    const char *schedule_days_json; /* JSON array of day names */
    const char *genres_json;        /* JSON array of strings */
    const char *image_medium;
    const char *image_original;
    const char *summary;     /* HTML as sent */
    const char *imdb;        /* "tt…" or NULL (externals) */
    const char *search_name; /* the name as search compares it (fold.h) */
    int64_t thetvdb;
    int32_t runtime, average_runtime, weight;
    int has_runtime, has_average_runtime, has_weight, has_rating, has_thetvdb;
    double rating;
    int64_t updated; /* TVmaze's Unix seconds */
    tv_distributor *network;
    tv_distributor *web_channel;
    tv_next_episode *next; /* set by the API's reads only; NULL: none known */
} tv_show;

typedef struct tv_episode {
    int64_t id;
    int64_t tvmaze_id;
    tv_show *show;
    const char *name;
    const char *type;     /* NULL when the source had no key */
    const char *airdate;  /* "YYYY-MM-DD"; NULL when unknown */
    const char *airtime;  /* "HH:MM" or "" */
    const char *airstamp; /* "YYYY-MM-DDTHH:MM:SSZ" (UTC) or NULL */
    const char *url;
    const char *summary;
    const char *image_medium;
    const char *image_original;
    int32_t season, number, runtime;
    int has_season, has_number, has_runtime, has_rating;
    double rating;
    int32_t revision;        /* times its date or time moved (read side only) */
    int64_t time_changed_at; /* Unix seconds of the last move; 0: never */
    int32_t season_length;   /* episodes in its season (read side only); 0: not known */
} tv_episode;

/* A season as TVmaze lists it (/shows/:id/seasons): episode_order is how
 * many episodes it will have, 0 when TVmaze does not know yet (null).
 * Self-contained: the dates are copied in ("YYYY-MM-DD", "" when null). */
typedef struct tv_season {
    int64_t tvmaze_id;
    int32_t number;
    int32_t episode_order;
    char premiere_date[11];
    char end_date[11];
} tv_season;

/* A set of episodes with the shows and distributors they reference, each
 * show and distributor once. */
typedef struct tv_batch {
    arena mem;
    tv_distributor **dists;
    size_t ndists, dists_cap;
    tv_show **shows;
    size_t nshows, shows_cap;
    tv_episode **episodes;
    size_t nepisodes, episodes_cap;
    idmap index; /* (kind, TVmaze id) -> position, for each of the three arrays */
} tv_batch;

void tv_batch_init(tv_batch *b);
void tv_batch_free(tv_batch *b);
/* Finds or adds (by TVmaze id and kind); NULL when out of memory. The
 * returned object is owned by the batch; fill it while it is new. */
tv_distributor *tv_batch_distributor(tv_batch *b, dist_kind kind, int64_t tvmaze_id, int *is_new);
tv_show *tv_batch_show(tv_batch *b, int64_t tvmaze_id, int *is_new);
tv_episode *tv_batch_episode(tv_batch *b, int64_t tvmaze_id, int *is_new);

/* A view of the episodes of one airdate and what they refer to: its arrays
 * point at objects owned by all. Free it with tv_batch_free(), which leaves
 * those objects alone. Returns 0, or -1 when out of memory. */
int tv_batch_day_view(const tv_batch *all, const char *airdate, tv_batch *view);

/* Minutes after midnight for an "HH:MM" airtime, 1440 when unknown: the
 * order the API promises (known times first, unknown last in the day). */
int tv_time_sort(const char *airtime);
/* 1 and the instant in *t when an episode's time is announced and TVmaze
 * gave its instant; 0 otherwise (an airstamp without an airtime is
 * TVmaze's placeholder, never a time to show). */
int tv_airing_instant(const char *airtime, const char *airstamp, size_t stamp_len, int64_t *t);

/* Specials (no number) sort after numbered episodes of the same season. */
#define TV_NUMBER_SORT_NULL 2147483647

#endif
