/* queue_backend.h — what a backend of the queue implements (queue_db.c,
 * queue_redis.c) and queue.c calls: the handle's common part and its ops.
 * The ops take absolute times (Unix ms) and return as queue.h says;
 * queue.c turns delays into times, counts metrics and picks the backend.
 * Private to services/queue*.c. */
#ifndef TVSHOWS_QUEUE_BACKEND_H
#define TVSHOWS_QUEUE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "services/queue_job.h"
#include "util/buf.h"

typedef struct queue queue;

typedef struct queue_ops {
    void (*close)(queue *q);
    const char *(*errmsg)(queue *q);
    int (*enqueue)(queue *q, const char *type, const char *payload, const char *unique_key,
                   int64_t run_at_ms, int *enqueued);
    int (*claim)(queue *q, queue_job *out, int wait_ms);
    int (*done)(queue *q, queue_job *j);
    int (*retry)(queue *q, queue_job *j, int64_t run_at_ms, const char *error, int count);
    int (*bury)(queue *q, queue_job *j, const char *error);
    int (*touch)(queue *q, queue_job *j);
    int (*stats)(queue *q, queue_stats *out);
    int (*list)(queue *q, buf *out, int limit);
    int (*retry_dead)(queue *q, int64_t *count);
    int (*claim_tick)(queue *q, int64_t tick, int *won);
} queue_ops;

struct queue {
    const queue_ops *ops;
    const char *backend;
    char worker[96];
    int64_t visibility_ms;
    int max_attempts;
    int64_t backoff_base_ms, backoff_cap_ms;
};

queue *queue_db_open(const config *cfg, char *err, size_t errlen);
queue *queue_redis_open(const config *cfg, char *err, size_t errlen);

#endif
