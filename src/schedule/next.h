/* next.h — the shows' next episodes, remembered per data generation.
 *
 * A show's next episode (store_next_episodes(): the first episode from the
 * request's day on that has not aired) changes in only two ways: when the
 * data does (a new generation), or when that episode airs. Time only ever
 * takes episodes out of the running, never puts one in, so the answer
 * found at instant t0 holds until the episode it names stops qualifying,
 * and "none" holds for the whole generation. The memo keeps each answer
 * with that interval, so a page's show objects need no statement once
 * their shows have been seen; only the shows it does not hold are asked
 * of the store.
 *
 * An episode with a time stops qualifying after its airstamp, or when its
 * airdate is over (UTC), whichever comes first; one without a time when
 * its airdate is over. The memo's interval ends at the first of these,
 * never later, so it may ask again early but never answers wrongly.
 *
 * Ownership: next_memo_new() / next_memo_free(); next_memo_fill() copies
 * what it hands out into the caller's arena. Threads: one per process,
 * shared by the API threads; its lock is held for a lookup or an insert,
 * never while the store is asked. At most max_shows answers are held; the
 * memo starts over when full or when the generation moves. */
#ifndef TVSHOWS_SCHEDULE_NEXT_H
#define TVSHOWS_SCHEDULE_NEXT_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "store/store_read.h"
#include "util/arena.h"

typedef struct next_memo next_memo;

next_memo *next_memo_new(size_t max_shows); /* NULL when out of memory */
void next_memo_free(next_memo *m);          /* NULL is fine */

/* Sets shows[i]->next for n shows as of instant now, data generation gen:
 * from the memo where it holds the answer, from st (one statement) for
 * the rest, which are then remembered. Strings are copied into a. STORE_OK
 * or the store's error (shows then unchanged where not yet answered). */
int next_memo_fill(next_memo *m, store *st, int64_t gen, int64_t now, tv_show *const *shows,
                   size_t n, arena *a);

#endif
