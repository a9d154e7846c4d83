/* shows.h — what a list says of each show (its card and its next
 * episode), remembered per data generation.
 *
 * A page of episodes names a few dozen shows, most of them shown on other
 * pages too. A show's card (what a show object in a list holds:
 * store_show_cards()) changes only with the data, so it holds for the
 * generation. Its next episode (store_next_episodes(): the first from the
 * request's day on that has not aired) changes with the data or when that
 * episode airs: time only ever takes episodes out of the running, never
 * puts one in, so the answer found at instant t0 holds until the episode
 * it names stops qualifying, and "none" holds for the whole generation.
 * An episode with a time stops qualifying at its airstamp or when its
 * airdate is over (UTC), whichever comes first; one without a time when
 * its airdate is over. The interval kept ends at the first of these, never
 * later, so the memo may ask again early but never answers wrongly.
 *
 * Only the shows the memo does not hold are asked of the store, in one
 * statement per call.
 *
 * Ownership: show_memo_new() / show_memo_free(); what the calls hand out
 * is copied into the caller's arena. Threads: one per process, shared by
 * the API threads; its lock is held for lookups and inserts, never while
 * the store is asked. At most max_shows shows and about max_bytes of
 * their text are held; the memo starts over when full or when the
 * generation moves. Errors: the store's (STORE_*). */
#ifndef TVSHOWS_SCHEDULE_SHOWS_H
#define TVSHOWS_SCHEDULE_SHOWS_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "store/store_read.h"
#include "util/arena.h"

typedef struct show_memo show_memo;

show_memo *show_memo_new(size_t max_shows, size_t max_bytes); /* NULL when out of memory */
void show_memo_free(show_memo *m);                            /* NULL is fine */

/* The cards of shows ids[0..n) at data generation gen into out[i] (NULL
 * where a show is gone), in a's memory. */
int show_memo_cards(show_memo *m, store *st, int64_t gen, const int64_t *ids, size_t n, arena *a,
                    tv_show **out);

/* Sets shows[i]->next for n shows as of instant now, generation gen
 * (strings in a). On an error, shows not yet answered are unchanged. */
int show_memo_next(show_memo *m, store *st, int64_t gen, int64_t now, tv_show *const *shows,
                   size_t n, arena *a);

#endif
