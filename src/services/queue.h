/* queue.h — the job queue: at-least-once delivery of JSON jobs to workers,
 * with two backends behind one interface:
 *   - Redis (REDIS_URL set): a stream with a consumer group; entries a dead
 *     worker held are reclaimed after the visibility timeout (XAUTOCLAIM);
 *     retries wait in a sorted set, dead jobs in a list;
 *   - the database otherwise: the jobs table (store_job_*).
 * Both: a job held longer than the visibility timeout without a touch is
 * delivered again; a failed job is retried with exponential backoff and
 * jitter until max_attempts, then moved to the dead list; a job with a
 * unique key is not enqueued while another with that key is queued or
 * running.
 * Threads: a queue handle belongs to one thread (it owns a connection).
 * Errors: 0 success, -1 the backend is unreachable or failed (callers wait
 * and retry: nothing is lost). Ownership: queue_job payloads are owned by
 * the job and freed by queue_job_clear(). */
#ifndef TVSHOWS_QUEUE_H
#define TVSHOWS_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "services/queue_job.h"
#include "util/buf.h"

typedef struct queue queue;

/* Redis when cfg->redis_url is set, else the database. worker names this
 * process in locks ("host:pid:thread"). */
queue *queue_open(const config *cfg, const char *worker, char *err, size_t errlen);
void queue_close(queue *q);                /* NULL is fine */
const char *queue_backend(const queue *q); /* "redis" or "database" */
/* Why the last call that returned -1 failed (the backend's message). */
const char *queue_errmsg(queue *q);

int queue_enqueue(queue *q, const char *type, const char *payload, const char *unique_key,
                  int64_t delay_ms, int *enqueued);
/* 1 and a job, 0 when none arrived within wait_ms, -1 on a backend error */
int queue_claim(queue *q, queue_job *out, int wait_ms);
int queue_done(queue *q, queue_job *j);
/* Retries later or, after the last attempt, buries the job (*dead = 1). */
int queue_fail(queue *q, queue_job *j, const char *error, int *dead);
/* Hands a job back without counting the attempt (shutting down). */
int queue_release(queue *q, queue_job *j);
/* Hands a job back to run again in delay_ms, the attempt not counted (what
 * it needs is unavailable: it waits instead of using up its attempts). */
int queue_defer(queue *q, queue_job *j, int64_t delay_ms, const char *error);
/* Extends the job's visibility timeout (a heartbeat for long jobs). */
int queue_touch(queue *q, queue_job *j);
int queue_stats_get(queue *q, queue_stats *out);
/* Appends one line per job (id, type, state, attempts, key, error). */
int queue_list(queue *q, buf *out, int limit);
int queue_retry_dead(queue *q, int64_t *count);
/* The first process to claim a scheduler tick wins it. */
int queue_claim_tick(queue *q, int64_t tick, int *won);
void queue_job_clear(queue_job *j);

#endif
