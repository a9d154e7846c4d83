#include "services/queue.h"
#include "services/queue_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/backoff.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/metrics.h"

queue *queue_open(const config *cfg, const char *worker, char *err, size_t errlen)
{
    queue *q =
        cfg->redis_url[0] ? queue_redis_open(cfg, err, errlen) : queue_db_open(cfg, err, errlen);

    if (!q)
        return NULL;
    snprintf(q->worker, sizeof(q->worker), "%s", worker);
    q->visibility_ms = (int64_t)cfg->job_visibility_s * 1000;
    q->max_attempts = cfg->job_max_attempts;
    q->backoff_base_ms = cfg->job_backoff_ms;
    q->backoff_cap_ms = 3600 * 1000;
    return q;
}

void queue_close(queue *q)
{
    if (q)
        q->ops->close(q);
}

const char *queue_backend(const queue *q)
{
    return q->backend;
}

const char *queue_errmsg(queue *q)
{
    const char *m = q->ops->errmsg(q);

    return m && *m ? m : "no reason given";
}

int queue_enqueue(queue *q, const char *type, const char *payload, const char *unique_key,
                  int64_t delay_ms, int *enqueued)
{
    int dummy;

    return q->ops->enqueue(q, type, payload, unique_key, clock_now_ms() + delay_ms,
                           enqueued ? enqueued : &dummy);
}

int queue_claim(queue *q, queue_job *out, int wait_ms)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = q->ops->claim(q, out, wait_ms);
    if (rc == 1)
        snprintf(out->holder, sizeof(out->holder), "%s", q->worker);
    return rc;
}

int queue_done(queue *q, queue_job *j)
{
    int rc = q->ops->done(q, j);

    if (rc == 0)
        metrics_inc(M_JOBS_COMPLETED);
    return rc;
}

int queue_fail(queue *q, queue_job *j, const char *error, int *dead)
{
    uint32_t rnd;

    metrics_inc(M_JOBS_FAILED);
    *dead = j->attempts >= q->max_attempts;
    if (*dead)
        return q->ops->bury(q, j, error);
    hash_random(&rnd, sizeof(rnd));
    return q->ops->retry(
        q, j, clock_now_ms() + backoff_ms(j->attempts, q->backoff_base_ms, q->backoff_cap_ms, rnd),
        error, 1);
}

int queue_release(queue *q, queue_job *j)
{
    return queue_defer(q, j, 0, NULL);
}

int queue_defer(queue *q, queue_job *j, int64_t delay_ms, const char *error)
{
    return q->ops->retry(q, j, clock_now_ms() + delay_ms, error, 0);
}

int queue_touch(queue *q, queue_job *j)
{
    return q->ops->touch(q, j);
}

int queue_stats_get(queue *q, queue_stats *out)
{
    memset(out, 0, sizeof(*out));
    return q->ops->stats(q, out);
}

int queue_list(queue *q, buf *out, int limit)
{
    return q->ops->list(q, out, limit);
}

int queue_retry_dead(queue *q, int64_t *count)
{
    *count = 0;
    return q->ops->retry_dead(q, count);
}

int queue_claim_tick(queue *q, int64_t tick, int *won)
{
    *won = 0;
    return q->ops->claim_tick(q, tick, won);
}

void queue_job_clear(queue_job *j)
{
    free(j->payload);
    memset(j, 0, sizeof(*j));
}
