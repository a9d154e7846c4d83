/* search.h — finding shows by name as people type them: a prefix, a missing
 * letter, two letters swapped, another case, accents or none.
 *
 * The query is folded (fold.h) and answered by the read model's name index
 * (schedule/names.h), which ranks every show that has episodes; when the
 * index cannot answer (it is off, over its memory budget, or being built
 * by another request) the store's trigram index of its backend (pg_trgm,
 * FTS5) proposes candidates, which are ranked the same way (names.h says
 * how).
 *
 * Threads: none of its own (the caller's store). Ownership: the shows are
 * in the caller's arena. Errors: the store's. */
#ifndef TVSHOWS_SEARCH_H
#define TVSHOWS_SEARCH_H

#include <stddef.h>

#include "model/model.h"
#include "schedule/read_model.h"
#include "store/store.h"
#include "store/store_read.h"

#define SEARCH_LIMIT_MAX 50

/* Up to limit shows for q, best first, into out[0..*n): from m's name
 * index (m NULL: the store's index). From the name index, each show is its
 * card (what a show object in a list holds, shows.h); from the store's
 * index, the whole show. */
int search_shows(read_model *m, store *st, const char *q, size_t qlen, int limit, arena *a,
                 tv_show **out, size_t *n);

#endif
