/* store_jobs.h — the job queue in the database (services/queue_db.c is its
 * adapter to queue.h), the units of queued import runs, the scheduler's
 * ticks, and the webhooks' cursors and deliveries. Errors and ownership as
 * in store.h. */
#ifndef TVSHOWS_STORE_JOBS_H
#define TVSHOWS_STORE_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "util/must_use.h"
#include "store/store.h"
#include "store/store_write.h" /* store_run */

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
MUST_USE int store_job_enqueue(store *st, const char *type, const char *payload,
                               const char *unique_key, int64_t run_at_ms, int *enqueued);
/* Claims the next due job, or one whose claim expired (its worker died):
 * STORE_ENOTFOUND when there is none. PostgreSQL claims with FOR UPDATE
 * SKIP LOCKED, so concurrent workers never take the same job. */
MUST_USE int store_job_claim(store *st, const char *worker, int64_t now_ms, int64_t visibility_ms,
                             arena *a, store_job *out);
MUST_USE int store_job_done(store *st, int64_t id, const char *worker);
/* Back to queued at run_at_ms (a retry), or dead; count_attempt 0 hands a
 * job back without counting the attempt (shutdown). */
MUST_USE int store_job_requeue(store *st, int64_t id, const char *worker, int64_t run_at_ms,
                               const char *error, int count_attempt);
MUST_USE int store_job_bury(store *st, int64_t id, const char *worker, const char *error);
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
MUST_USE int store_run_plan_unit(store *st, int64_t run, const char *day, const char *source);
int store_run_drop_unit(store *st, int64_t run, const char *day, const char *source);
/* Reports a unit ok, or failed with error (its job is dead), with the
 * attempt's requests, retries, upserted and removed from delta (may be
 * NULL); ok is final. The run is recounted from its units and finished
 * once none is planned; a finished run whose outcome a late report changes
 * (a failed day that succeeds after retry-dead) gets its new status.
 * *status is the status this report set (NULL: none); *first is 1 when the
 * run was still running before it. */
MUST_USE int store_run_unit_done(store *st, int64_t run, const char *day, const char *source,
                                 int ok, const char *error, const store_run *delta,
                                 const char **status, int *first);
/* Recounts a queued run and finishes it when nothing is planned (the end
 * of its fan-out); *status as above. */
MUST_USE int store_run_settle(store *st, int64_t run, const char **status);
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

#endif
