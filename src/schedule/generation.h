/* generation.h — the data generation as the database has it, polled.
 *
 * Every import commit that changes data bumps a generation number in the
 * database (store_generation). A poller thread reads it every
 * GENERATION_POLL_MS and publishes it in the caller's atomic, so a new
 * import reaches every API process within a second whichever process ran
 * it, without depending on Redis. It reads once before it returns from
 * generation_start(), so the first responses carry the right generation.
 *
 * The poller's connection serves the process's other shared versions too:
 * after each read it calls the caller's poll function with that
 * connection (the API reloads its key set there), and once more with last
 * set when it stops.
 *
 * Ownership: generation_start() / generation_stop(); the atomic and the
 * poll function's argument are the caller's and must outlive the poller.
 * Threads: start and stop from one thread (the main one); the poll
 * function runs on the poller's thread. Errors: generation_start() returns
 * NULL with a message in err when the thread cannot be started; a database
 * that cannot be read leaves the generation as it was, and is tried again
 * at the next poll. */
#ifndef TVSHOWS_SCHEDULE_GENERATION_H
#define TVSHOWS_SCHEDULE_GENERATION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "store/store.h"

#define GENERATION_POLL_MS 250

typedef struct generation_poller generation_poller;

/* Called on the poller's thread after each read, st open; last: the poller
 * is stopping (the final call). */
typedef void (*generation_poll_fn)(void *arg, store *st, int last);

generation_poller *generation_start(const config *cfg, _Atomic int64_t *generation,
                                    generation_poll_fn poll, void *arg, char *err, size_t errlen);
void generation_stop(generation_poller *p); /* NULL is fine */

#endif
