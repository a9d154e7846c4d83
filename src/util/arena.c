#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
    arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void arena_init(arena *a, size_t block_size)
{
    a->head = NULL;
    a->spare = NULL;
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used_total = 0;
}

static void free_chain(arena_block *b)
{
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void arena_free(arena *a)
{
    free_chain(a->head);
    free_chain(a->spare);
    a->head = a->spare = NULL;
    a->used_total = 0;
}

void arena_rewind(arena *a, size_t keep)
{
    size_t kept = 0;
    arena_block *b, *next;

    for (b = a->spare; b; b = b->next)
        kept += b->size;
    for (b = a->head; b; b = next) {
        next = b->next;
        if (kept + b->size <= keep) {
            kept += b->size;
            b->used = 0;
            b->next = a->spare;
            a->spare = b;
        } else {
            free(b);
        }
    }
    a->head = NULL;
    a->used_total = 0;
}

void arena_reset(arena *a)
{
    arena_rewind(a, a->block_size);
}

/* A spare block with room for need bytes, or a new one. */
static arena_block *next_block(arena *a, size_t need)
{
    arena_block **pp = &a->spare, *b;
    size_t size;

    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->size >= need) {
            b = *pp;
            *pp = b->next;
            return b;
        }
    }
    size = need > a->block_size ? need : a->block_size;
    if (!(b = malloc(sizeof(*b) + size)))
        return NULL;
    b->size = size;
    return b;
}

void *arena_alloc(arena *a, size_t n)
{
    arena_block *b = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;

    if (n > SIZE_MAX / 2)
        return NULL;
    if (!b || b->size - b->used < need) {
        if (!(b = next_block(a, need)))
            return NULL;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    p = b->data + b->used;
    b->used += need;
    a->used_total += need;
    return p;
}

void *arena_calloc(arena *a, size_t n)
{
    void *p = arena_alloc(a, n);

    if (p)
        memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);

    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}
