/* store.h — the database behind the API, the importer and the job queue.
 *
 * One store per thread; a store is not thread-safe. Two backends, chosen by
 * the URL scheme: "sqlite:PATH" (WAL; the directory is created) and
 * "postgres://…" (libpq; reconnects by itself after the server restarts).
 * Errors: functions return STORE_OK (0) or a negative STORE_E* code;
 * store_errmsg() says why, valid until the next call on the same store.
 * STORE_EDOWN means the database cannot be reached right now (the API answers
 * 503); STORE_ENOTFOUND that a looked-up row does not exist.
 * Ownership: strings passed in are borrowed; rows returned live in the arena
 * the caller passes and are freed with it. */
#ifndef TVSHOWS_STORE_H
#define TVSHOWS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "util/task.h"
#include "util/arena.h"

#define STORE_OK        0
#define STORE_ERR       (-1)
#define STORE_EDOWN     (-2)
#define STORE_ENOTFOUND (-3)
#define STORE_ERETRY    (-4) /* a transaction lost to a concurrent one; run it again */
#define STORE_ELIMIT    (-5) /* a limit of the data would be passed (lists per owner…) */

typedef struct store store;

typedef struct store_options {
    const char *application_name; /* PostgreSQL application_name */
    int statement_timeout_ms;
    int slow_query_ms;
    _Atomic int64_t *last_connect_us; /* shared reconnect hint, see db.h */
    int reads;                        /* serves the API: one plan per statement on PostgreSQL */
    const task_loop *loop; /* PostgreSQL on an event loop, used from tasks (db.h); NULL: blocking */
} store_options;

int store_open(store **out, const char *url, const store_options *opt, char *err, size_t errlen);
void store_close(store *st); /* NULL is fine */
const char *store_errmsg(const store *st);
int store_is_postgres(const store *st);
int store_ping(store *st);
/* On a loop: checks the connection's deadlines (call after each turn);
 * else nothing. */
void store_tick(store *st);
/* On a loop, at its end: every statement still waiting fails
 * (STORE_EDOWN), its task resumed. Else nothing. */
void store_abandon(store *st);

/* ---- schema (schema.c) ---- */

/* Applies pending migrations; safe when several processes run it at once
 * (PostgreSQL: an advisory lock; SQLite: a write transaction). */
int store_migrate(store *st, int *applied);
/* The same, up to version `to` only (0: all). */
int store_migrate_to(store *st, int to, int *applied);
int store_schema_version(store *st, int *current, int *latest);
/* Whether migration `version`, as applied to this database, is marked
 * compatible: a binary one version older still serves the database. */
int store_schema_compatible(store *st, int version, int *compatible);
/* PostgreSQL: creates (or updates the password of) the least-privilege role
 * the API and worker connect as, with the rights they need on every table
 * and sequence, now and later. SQLite: nothing (STORE_OK). */
int store_app_role(store *st, const char *role, const char *password);

/* ---- data generation: bumped by every import commit that changed data ---- */

int store_generation(store *st, int64_t *gen);

/* ---- meta: named integers the whole deployment shares ---- */

/* The value of key, 0 when it is not set. */
int store_meta_get(store *st, const char *key, int64_t *value);
/* Sets key to value; 0 removes it. */
int store_meta_set(store *st, const char *key, int64_t value);

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
int store_write_day(store *st, const tv_batch *b, const char *source, const char *day,
                    store_day_stats *out);

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

int store_run_begin(store *st, const char *mode, int64_t days_total, int64_t *id);
/* Adds counts to a run (several workers may report to one run). A day that
 * failed passes its name and error; the first error is kept. */
int store_run_add(store *st, int64_t id, const store_run *delta, const char *failed_day,
                  const char *error);
/* Sets finished_at and the status from the counts, once every day is in. */
int store_run_finish(store *st, int64_t id, const char **status);
int store_run_get(store *st, int64_t id, arena *a, store_run *out);
/* When the last import run that succeeded (or partly) finished; 0 if none. */
int store_last_import(store *st, int64_t *finished_at);

/* ---- API reads (store_read.c) ---- */

typedef struct store_page {
    int64_t total;
    size_t n;
    void **rows; /* tv_episode* or tv_show*, in the arena */
} store_page;

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
    int32_t premiered; /* the show's first airdate, a day number */
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

/* The episodes ids[0..n) with their shows and distributors, into out[i] in
 * the order of ids (NULL where an episode is gone). */
int store_episodes_by_ids(store *st, const int64_t *ids, size_t n, arena *a, tv_episode **out);
/* The shows ids[0..n) into out[i] (NULL where a show is gone). */
int store_shows_by_ids(store *st, const int64_t *ids, size_t n, arena *a, tv_show **out);
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
/* Drops changes made before `before` (Unix seconds); *removed rows. */
int store_changes_prune(store *st, int64_t before, int64_t *removed);

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

/* ---- webhooks (store_webhooks.c) ---- */

typedef struct store_webhook {
    int64_t id;
    const char *url, *secret, *filter; /* filter: the schedule's query parameters */
    int64_t created_at;
    int64_t cursor; /* the last change seq it was told of (or that its filter passed over) */
} store_webhook;

typedef struct store_delivery {
    int64_t webhook_id;
    const char *delivery_id;
    int64_t from_seq, to_seq; /* the changes after from_seq, up to to_seq */
    int changes;              /* how many the delivery held */
    const char *status;       /* "delivered" or "failed" */
    int http_status;          /* 0: no answer */
    const char *error;
    int duration_ms;
    int64_t created_at;
} store_delivery;

/* A new webhook starts at the latest change. */
int store_webhook_add(store *st, const char *url, const char *secret, const char *filter,
                      int64_t *id);
int store_webhook_get(store *st, int64_t id, arena *a, store_webhook **out);
int store_webhooks_all(store *st, arena *a, store_page *out);
int store_webhook_remove(store *st, int64_t id);
/* The webhooks that have changes they were not told of yet. */
int store_webhooks_behind(store *st, arena *a, store_page *out);
/* Moves the cursor from `from` to `to` (only if it is still at from). */
int store_webhook_advance(store *st, int64_t id, int64_t from, int64_t to);
int store_webhook_delivery_add(store *st, const store_delivery *d);
/* The last deliveries, newest first, of one webhook (0: of all). */
int store_webhook_deliveries(store *st, int64_t webhook_id, int limit, arena *a, store_page *out);

/* ---- the database job queue (store_jobs.c) ---- */

typedef struct store_job {
    int64_t id;
    const char *type;
    const char *payload; /* JSON */
    const char *unique_key;
    const char *state;
    int attempts;
    int64_t run_at;       /* Unix ms */
    int64_t locked_until; /* Unix ms */
    const char *last_error;
} store_job;

/* *enqueued is 0 when a live job (queued or running) has the same key. */
int store_job_enqueue(store *st, const char *type, const char *payload, const char *unique_key,
                      int64_t run_at_ms, int *enqueued);
/* Claims the next due job, or one whose claim expired (its worker died):
 * STORE_ENOTFOUND when there is none. PostgreSQL claims with FOR UPDATE
 * SKIP LOCKED, so concurrent workers never take the same job. */
int store_job_claim(store *st, const char *worker, int64_t now_ms, int64_t visibility_ms, arena *a,
                    store_job *out);
int store_job_done(store *st, int64_t id, const char *worker);
/* Back to queued at run_at_ms (a retry), or dead; count_attempt 0 hands a
 * job back without counting the attempt (shutdown). */
int store_job_requeue(store *st, int64_t id, const char *worker, int64_t run_at_ms,
                      const char *error, int count_attempt);
int store_job_bury(store *st, int64_t id, const char *worker, const char *error);
int store_job_touch(store *st, int64_t id, const char *worker, int64_t until_ms);
/* Rows of (type, state, retrying, count) */
int store_job_stats(store *st, arena *a, store_page *out);
/* Jobs in a state (NULL: all), oldest first, as store_job rows */
int store_job_list(store *st, const char *state, int limit, arena *a, store_page *out);
int store_job_retry_dead(store *st, int64_t now_ms, int64_t *count);
/* The first process to record a scheduler tick wins it (*won = 1). */
int store_tick_claim(store *st, int64_t tick, const char *worker, int *won);

/* A queued run (import-plan jobs) has units: each (day, source) its plan
 * enqueued, planned until its job reports it. Its days are counted from
 * them, so a day reported twice counts once. A unit is planned before its
 * job is enqueued; dropped when the queue already had a job for that day
 * (another run's). */
int store_run_plan_unit(store *st, int64_t run, const char *day, const char *source);
int store_run_drop_unit(store *st, int64_t run, const char *day, const char *source);
/* Reports a unit ok, or failed with error (its job is dead), with the
 * attempt's requests, retries, upserted and removed from delta (may be
 * NULL); ok is final. The run is recounted from its units and finished
 * once none is planned; a finished run whose outcome a late report changes
 * (a failed day that succeeds after retry-dead) gets its new status.
 * *status is the status this report set (NULL: none); *first is 1 when the
 * run was still running before it. */
int store_run_unit_done(store *st, int64_t run, const char *day, const char *source, int ok,
                        const char *error, const store_run *delta, const char **status, int *first);
/* Recounts a queued run and finishes it when nothing is planned (the end
 * of its fan-out); *status as above. */
int store_run_settle(store *st, int64_t run, const char **status);
typedef struct store_run_unit {
    int64_t run;
    const char *day, *source;
} store_run_unit;
/* The planned units of running runs none of whose units changed since
 * before_ms (Unix ms): their jobs may be lost. At most limit rows of
 * store_run_unit, by run. */
int store_run_stalled_units(store *st, int64_t before_ms, int limit, arena *a, store_page *out);
/* The newest queued run still in progress (running, with days planned):
 * its id, days in and days in all; STORE_ENOTFOUND when there is none. */
int store_run_in_progress(store *st, int64_t *run, int64_t *done, int64_t *total);
int store_run_delete(store *st, int64_t id);
/* When an import run that is not failed last started; 0 if none. */
int store_last_import_start(store *st, int64_t *started_at);

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

/* ---- API keys (store_keys.c) ---- */

typedef struct store_key {
    int64_t id;
    const char *name;
    const char *prefix;
    const char *sha256;                           /* hex */
    int64_t created_at, last_used_at, revoked_at; /* Unix seconds; 0: never */
} store_key;

int store_key_create(store *st, const char *name, const char *prefix, const char *sha256_hex,
                     int64_t *id);
/* STORE_ENOTFOUND when there is no such key or it is revoked already. */
int store_key_revoke(store *st, int64_t id);
/* All keys (active_only: not revoked), as store_key rows. */
int store_key_list(store *st, int active_only, arena *a, store_page *out);
int store_key_touch(store *st, int64_t id, int64_t last_used_at);
/* The version of the key set: changes with every create and revoke. */
int store_keys_version(store *st, int64_t *version);

#endif
