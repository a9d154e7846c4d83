/* lru.h — an intrusive doubly linked list kept in recency order: the most
 * recently used element at the newest end, the one to evict at the oldest.
 * The node lives inside the element (LRU_ELEMENT finds the element again),
 * so the list allocates nothing.
 * Not thread-safe: the owner's lock guards the list and its nodes. */
#ifndef TVSHOWS_LRU_H
#define TVSHOWS_LRU_H

#include <stddef.h>

typedef struct lru_node {
    struct lru_node *newer, *older;
} lru_node;

typedef struct lru_list {
    lru_node *newest, *oldest;
} lru_list;

/* The element of type `type` whose member `member` is node. */
#define LRU_ELEMENT(node, type, member) ((type *)(void *)((char *)(node)-offsetof(type, member)))

/* Adds n, not in the list, at the newest end. */
void lru_push_newest(lru_list *l, lru_node *n);
/* Takes n, in the list, out of it. */
void lru_unlink(lru_list *l, lru_node *n);
/* Moves n, in the list, to the newest end: it was just used. */
void lru_touch(lru_list *l, lru_node *n);

#endif
