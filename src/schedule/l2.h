/* l2.h — the second level of the read model's response cache: Redis,
 * shared by every API process. read_model.c is its one user.
 *
 * An entry is "<etag> <gzipped> <identity_len>\n" + the stored body under
 * tvshows:c:<generation>:<sha256 of the key>; it expires after the TTL, and
 * a new generation makes it unreachable, as in process. Only the current
 * generation is ever asked for (no stale-if-error from Redis).
 *
 * Threads: a call uses the calling thread's client (kv/redis.h). On an
 * event loop's client l2_get() must run in a task (it waits for the
 * reply); l2_put() never waits there: the SET is sent and its answer
 * dropped. Ownership: a hit's body lies in the reply, which the l2_entry
 * holds until l2_entry_release(). Errors: a Redis that cannot be reached,
 * answers late or holds something else under the key is a miss; a put
 * that cannot be sent is dropped. */
#ifndef TVSHOWS_SCHEDULE_L2_H
#define TVSHOWS_SCHEDULE_L2_H

#include <stddef.h>
#include <stdint.h>

#include "kv/redis.h"
#include "schedule/cache.h"

typedef struct l2_entry {
    const char *body; /* the stored form, in the reply */
    size_t len;
    cache_meta meta;
    void *reply; /* the reply holding body: l2_entry_release() */
} l2_entry;

/* 1 on a hit (out filled), 0 on a miss. */
int l2_get(redis *r, const char *key, size_t klen, int64_t generation, l2_entry *out);
/* Gives a hit's reply back (an http_release_fn: the reply may be lent to
 * the response that writes the body). */
void l2_entry_release(void *reply);
/* Stores body (len bytes, described by meta) for key, kept ttl_s seconds.
 * may_block: the client is not on an event loop, so a command that cannot
 * be queued may be sent and waited for. */
void l2_put(redis *r, int may_block, const char *key, size_t klen, int64_t generation, int ttl_s,
            const char *body, size_t len, const cache_meta *meta);

#endif
