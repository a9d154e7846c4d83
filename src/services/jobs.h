/* jobs.h — the jobs the worker runs:
 *   import-plan  {"days", "from", "countries", "web", "full"}: opens an
 *                import run and fans out into one import-day job per
 *                (day, source), or one import-full job;
 *   import-day   {"day", "source", "run"}: that unit as a plan of its own
 *                (import_run_plan), reported to its run;
 *   import-full  {}: the full schedule as a plan, recorded as its own run;
 *   seasons      {}: the seasons step (seasons.h), enqueued when a run
 *                finishes (not failed) or an import-full job imported a
 *                day, and some show is due; one at a time;
 *   webhook      {"webhook"}: deliver what a webhook has not been told of.
 * A run is finished (and counted in the metrics) when its last day is in:
 * done, or dead after its last attempt.
 * A plan is skipped while a queued run is in progress (a second run would
 * import most of its days again).
 * Threads: a job_env belongs to one worker thread. Errors: jobs_run()
 * returns 0, -1 with the reason in err (the queue retries the job), or
 * JOBS_EDEFER: the database is unavailable, nothing was asked of the
 * upstream, and the job should wait for it without counting the attempt;
 * or JOBS_EUPSTREAM: nothing answered upstream (import.h), and the job
 * should wait for the import pause without counting the attempt. */
#ifndef TVSHOWS_JOBS_H
#define TVSHOWS_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "services/import.h"
#include "services/queue.h"
#include "store/store.h"
#include "store/store_jobs.h"
#include "store/store_write.h"
#include "tvmaze/tvmaze.h"

typedef struct job_env {
    const config *cfg;
    store *st;
    tvmaze_client *tm;
    queue *q;
} job_env;

/* Enqueues a plan as an import-plan job (unique: while a plan is queued,
 * another is not added). Its window only: days, from, countries, web,
 * full. */
int jobs_enqueue_plan(queue *q, const import_plan *p, int *enqueued);
#define JOBS_EDEFER    (-2)
#define JOBS_EUPSTREAM (-3)

/* 1 for the jobs that ask the upstream (imports, seasons): they wait out
 * the import pause of an unreachable upstream instead of running. */
int jobs_use_upstream(const queue_job *job);

int jobs_run(job_env *env, const queue_job *job, char *err, size_t errlen);
/* A job that will not be retried any more: its day counts as failed. */
void jobs_on_dead(job_env *env, const queue_job *job, const char *error);
/* The reaper: enqueues again the planned days of running runs that have not
 * moved for stalled_ms (a Redis that came back empty lost their jobs; a day
 * whose job is still queued or running is not enqueued twice). Logs each
 * run it re-planned; returns the days enqueued, or -1 when the store or
 * the queue failed. */
int64_t jobs_reap(store *st, queue *q, int64_t stalled_ms);

#endif
