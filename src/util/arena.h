/* arena.h — a bump allocator for data that lives and dies together
 * (one import batch, one page of query results).
 *
 * Ownership: everything allocated from an arena is freed at once by
 * arena_reset() (keeps the first block for reuse) or arena_free().
 * Allocation failure returns NULL. Not thread-safe. */
#ifndef TVSHOWS_ARENA_H
#define TVSHOWS_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
    arena_block *head;  /* blocks in use, newest first */
    arena_block *spare; /* blocks kept by a rewind, empty */
    size_t block_size;
    size_t used_total;
} arena;

void arena_init(arena *a, size_t block_size);
void arena_free(arena *a);
void arena_reset(arena *a);
/* Rewinds keeping up to keep bytes of blocks for reuse (their pages stay
 * mapped: no page faults the next time), freeing the rest. */
void arena_rewind(arena *a, size_t keep);
void *arena_alloc(arena *a, size_t n); /* 16-byte aligned, uninitialised */
void *arena_calloc(arena *a, size_t n);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s); /* NULL in, NULL out */

#endif
