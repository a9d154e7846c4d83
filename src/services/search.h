/* search.h — finding shows by name as people type them: a prefix, a missing
 * letter, two letters swapped, another case, accents or none.
 *
 * The query and the names are compared in their folded form (fold.h). The
 * store's trigram index of its backend proposes candidates; they are
 * ranked here, the same way on both backends: the exact name first, then
 * names that start with the query, names with a word that does, names that
 * hold it, and then the rest by how many of the query's trigrams they
 * share; TVmaze's popularity (weight) orders shows of equal rank.
 *
 * Threads: none of its own (the caller's store). Ownership: the shows are
 * in the caller's arena. Errors: the store's. */
#ifndef TVSHOWS_SEARCH_H
#define TVSHOWS_SEARCH_H

#include <stddef.h>

#include "model/model.h"
#include "store/store.h"
#include "store/store_read.h"

#define SEARCH_LIMIT_MAX 50

/* Up to limit shows for q, best first, into out[0..*n). */
int search_shows(store *st, const char *q, size_t qlen, int limit, arena *a, tv_show **out,
                 size_t *n);

/* How well name (folded) answers query (folded): the rank (0 exact ..
 * 4 similar, 5 not at all) and, for similar names, a score in [0, 1]. */
void search_rank(const char *query, const char *name, int *rank, double *score);

#endif
