/* worker.h — the job worker and the scheduler, as threads of the calling
 * process: `tvshows worker`, and `tvshows serve` unless --no-worker.
 *
 * WORKER_CONCURRENCY threads claim jobs from the queue (Redis or the
 * database), each with its own connections; a heartbeat thread keeps their
 * claims alive while long jobs run; the scheduler enqueues the import plan
 * at every IMPORT_SCHEDULE tick (one process wins each tick) and, at start,
 * right away if no import started in the last 24 hours.
 * The scheduler also reaps: runs whose jobs were lost (Redis back empty)
 * get their planned days enqueued again (jobs_reap).
 * worker_stop() stops taking jobs, lets the running ones finish, and after
 * SHUTDOWN_TIMEOUT aborts their transfers and hands them back to the queue.
 * Errors: worker_start() returns NULL with one line in err. */
#ifndef TVSHOWS_WORKER_H
#define TVSHOWS_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

typedef struct worker worker;

worker *worker_start(const config *cfg, int with_scheduler, char *err, size_t errlen);
void worker_stop(worker *w); /* NULL is fine; waits for the threads */
/* Jobs waiting (queued and retrying), or -1 when the queue cannot be asked;
 * for the EMF emitter (emf_depth_fn). Thread-safe. */
int64_t worker_queue_depth(void *w);

#endif
