/* names.h — show names as search compares them, and an index that finds
 * them in memory.
 *
 * Names and queries are compared in their folded form (util/fold.h), by
 * pg_trgm's trigrams: each word padded with two spaces before and one
 * after, then every three consecutive characters, each trigram once. A
 * name answers a query with a rank (the exact name; a name that starts
 * with the query; one with a word that does; one that holds it; one that
 * holds at least half of the query's trigrams) and a score: mostly how
 * much of the query the name holds, a little of how much else it has.
 * Shows of equal rank and score go by TVmaze's popularity (weight), then
 * name and id. The order is the same whoever proposes the candidates.
 *
 * The index: per data generation, every show that has episodes, with its
 * names and a posting list per trigram, so that a query counts the
 * trigrams each show shares with it by walking a few lists, and ranks
 * every show, not only a database's first hundred candidates. It is built
 * from the store by the first search of a generation (one statement),
 * within a memory budget. A search that finds no index of its generation
 * while another thread is building it, or whose generation is over the
 * budget, is told so (answered = 0) and asks the store's own trigram index
 * (pg_trgm, FTS5) instead: it never waits for another request's build.
 *
 * Ownership: names_new() / names_free(); an index is shared by the
 * searches using it and freed by the last. Threads: one per process,
 * shared by the API threads; its lock is held only to swap or take an
 * index, never during a build or a search. Errors: the store's (STORE_*),
 * its message in store_errmsg(). */
#ifndef TVSHOWS_NAMES_H
#define TVSHOWS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define NAMES_TRIGRAMS_MAX 256 /* of one name or query; longer ones are cut */

typedef struct name_index name_index;

/* One trigram: up to three UTF-8 characters, NUL-terminated. */
typedef struct names_trigram {
    char b[13];
} names_trigram;

/* The trigrams of a folded text, sorted, each once, into out (room for
 * max); returns how many. */
size_t names_trigrams(const char *folded, names_trigram *out, size_t max);

enum { NAMES_EXACT, NAMES_PREFIX, NAMES_WORD_PREFIX, NAMES_SUBSTRING, NAMES_SIMILAR, NAMES_NONE };

/* How well a folded name answers a folded query: the rank (NAMES_*) and a
 * score in [0, 1]. */
void names_rank(const char *query, const char *name, int *rank, double *score);

/* A show found, with what orders it. `at` is the caller's: where it keeps
 * the show (the store's candidates), or the index's own number. */
typedef struct names_hit {
    int64_t id;
    const char *name; /* as shown, for ties (NULL: "") */
    int weight;       /* -1: none */
    int rank;
    double score;
    size_t at;
} names_hit;

/* The search order: rank, score (higher first), weight (higher first),
 * name, id. A qsort comparator of names_hit. */
int names_hit_cmp(const void *a, const void *b);

/* budget: bytes an index may take; 0 never builds one (the store always
 * answers). NULL when out of memory. */
name_index *names_new(size_t budget);
void names_free(name_index *n); /* NULL is fine */

/* The ids of up to limit shows for the folded query q, best first, from
 * the index of generation gen, which st builds first when none is held
 * (st is the caller's connection). *answered is 0 when the index cannot
 * answer now (none, over budget, or being built by another search): the
 * caller asks the store. */
int names_search(name_index *n, store *st, int64_t gen, const char *q, int limit, int64_t *ids,
                 size_t *nids, int *answered);

/* What the index holds now, for /metrics and tests: its generation (-1:
 * none) and shows. */
void names_stats(name_index *n, int64_t *gen, size_t *shows, size_t *bytes);

#endif
