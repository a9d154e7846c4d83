/* emf.h — CloudWatch Embedded Metric Format (EMF) lines on stdout: on
 * Fargate the awslogs driver ships stdout to CloudWatch Logs, which turns
 * these lines into metrics with no agent. Every interval one line carries
 * what happened since the last: RequestCount, Error5xxCount, Latency
 * (average ms), DbConnectionErrors, ImportFailures and, in a worker,
 * QueueDepth — namespace "TvShows", dimensions Environment and Service
 * (environments that share an account never trip each other's alarms).
 * Thread: the emitter runs its own; emf_stop() writes a last line. */
#ifndef TVSHOWS_EMF_H
#define TVSHOWS_EMF_H

#include <stdint.h>

#include "util/buf.h"
#include "util/metrics.h"

#define EMF_NAMESPACE "TvShows"

/* queue_depth: jobs waiting (queued and retrying), or -1 when unknown */
typedef int64_t (*emf_depth_fn)(void *ud);

typedef struct emf emf;

/* environment and service: the dimensions' values (borrowed for the
 * emitter's life) */
emf *emf_start(const char *environment, const char *service, int interval_ms, emf_depth_fn depth,
               void *ud);
void emf_stop(emf *e); /* NULL is fine */
/* One EMF document for the change between two snapshots (pure; tests use
 * it directly). */
int emf_format(buf *out, const char *environment, const char *service, int64_t ts_ms,
               const metrics_totals *prev, const metrics_totals *now, int64_t queue_depth);

#endif
