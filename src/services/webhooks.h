/* webhooks.h — telling other systems what changed. An operator registers
 * endpoints (tvshows webhooks add); each change of the change feed that a
 * webhook's filter passes is POSTed to it as JSON, in batches of up to
 * WEBHOOKS_BATCH with a one-line summary, signed with HMAC-SHA256 under the
 * webhook's secret:
 *
 *   X-Tvshows-Event: changes (or ping)
 *   X-Tvshows-Delivery: <id, the same for every attempt at one batch>
 *   X-Tvshows-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
 *
 * Deliveries go through the job queue, on the worker's job threads (never
 * an import's or the API's): the scheduler enqueues one "webhook" job per
 * webhook that is behind; a job delivers batch after batch and moves the
 * webhook's cursor after each 2xx. A failed POST fails the job, which the
 * queue retries with backoff and dead-lists after JOB_MAX_ATTEMPTS; the
 * cursor has not moved, so nothing is lost: delivery is at least once
 * (receivers deduplicate on each change's cursor).
 * Threads: none of their own. Errors: 0, or -1 with err. */
#ifndef TVSHOWS_WEBHOOKS_H
#define TVSHOWS_WEBHOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "services/queue.h"
#include "store/store.h"
#include "store/store_jobs.h"
#include "store/store_read.h"

#define WEBHOOKS_BATCH      200
#define WEBHOOKS_TIMEOUT_MS 10000

/* Whether filter (the schedule's query parameters, and list=ID for a
 * followed-show list's shows) is one a webhook can keep; why names the bad
 * parameter. */
int webhooks_filter_ok(const char *filter, char *why, size_t n);
/* http:// or https:// with a host. */
int webhooks_url_ok(const char *url);

/* Enqueues a delivery job for each webhook that has changes it was not told
 * of; returns how many, or -1. */
int webhooks_dispatch(store *st, queue *q);
/* Delivers what webhook id has not been told of yet (a few batches); 0
 * when it is up to date or the rest waits for the next job, -1 when a POST
 * failed. */
int webhooks_deliver(store *st, int64_t id, char *err, size_t errlen);
/* A ping: one signed POST with no changes; the HTTP status in *status. */
int webhooks_ping(store *st, int64_t id, int *status, char *err, size_t errlen);
/* The X-Tvshows-Signature value of body at time t. */
int webhooks_sign(const char *secret, int64_t t, const char *body, size_t n, char *out,
                  size_t outlen);

#endif
