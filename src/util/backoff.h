/* backoff.h — exponential backoff with jitter, shared by the upstream client
 * (retrying requests) and the job queue (retrying jobs). Pure function. */
#ifndef TVSHOWS_BACKOFF_H
#define TVSHOWS_BACKOFF_H

#include <stdint.h>

/* The wait before retry number attempt (1, 2, …): base * 2^(attempt-1),
 * capped at cap_ms, with "equal jitter": half fixed, so retries never bunch
 * at zero, half random (from rnd), so clients that failed together do not
 * retry together. */
int64_t backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd);

#endif
