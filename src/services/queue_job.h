/* queue_job.h — what the job queue and its backends both speak: a claimed
 * job, the queue's statistics, and how a count is added to them.
 * Ownership: a queue_job's payload is the job's (queue_job_clear() in
 * queue.h frees it); stats are plain values. */
#ifndef TVSHOWS_QUEUE_JOB_H
#define TVSHOWS_QUEUE_JOB_H

#include <stddef.h>
#include <stdint.h>

typedef struct queue_job {
    char id[48];
    char type[32];
    char unique_key[160];
    char *payload;
    int attempts; /* including this one */
    int64_t backend_id;
    char holder[96]; /* the claimant's name: a heartbeat on another handle touches for it */
} queue_job;

typedef struct queue_stat {
    char type[32];
    int64_t queued, running, retrying, dead;
} queue_stat;

#define QUEUE_MAX_TYPES 8

typedef struct queue_stats {
    queue_stat types[QUEUE_MAX_TYPES];
    size_t ntypes;
    int64_t queued, running, retrying, dead; /* totals */
} queue_stats;

/* The state a job is shown in, in stats and lists alike: a queued job that
 * ran before (attempts > 0) is "retrying". */
const char *queue_state_shown(const char *state, int64_t attempts);
/* Adds one count to a stats table (per type and in the totals); a type
 * past QUEUE_MAX_TYPES counts in the totals only. */
void queue_stats_add(queue_stats *s, const char *type, const char *state, int retrying, int64_t n);

#endif
