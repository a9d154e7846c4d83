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
    a->block_size = block_size ? block_size : 64 * 1024;
    a->used_total = 0;
}

void arena_free(arena *a)
{
    arena_block *b = a->head, *next;

    while (b) {
        next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_total = 0;
}

void arena_reset(arena *a)
{
    arena_block *keep = a->head;

    if (!keep)
        return;
    /* keep only the last block in the chain: it is the first one allocated,
     * normally of the default size */
    while (keep->next) {
        arena_block *b = keep;
        keep = keep->next;
        free(b);
    }
    keep->used = 0;
    a->head = keep;
    a->used_total = 0;
}

void *arena_alloc(arena *a, size_t n)
{
    arena_block *b = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;

    if (n > SIZE_MAX / 2)
        return NULL;
    if (!b || b->size - b->used < need) {
        size_t size = need > a->block_size ? need : a->block_size;
        if (!(b = malloc(sizeof(*b) + size)))
            return NULL;
        b->size = size;
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
