/* idmap.h — an open-addressing hash map from int64 keys to int64 values
 * (TVmaze id -> our id, id -> array index).
 *
 * Ownership: the map owns its table; idmap_free(). Not thread-safe.
 * idmap_put returns 0, or -1 when out of memory (the map is unchanged). */
#ifndef TVSHOWS_IDMAP_H
#define TVSHOWS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct idmap {
    int64_t *keys;
    int64_t *vals;
    unsigned char *used;
    size_t cap; /* power of two */
    size_t n;
} idmap;

void idmap_init(idmap *m);
void idmap_free(idmap *m);
int idmap_put(idmap *m, int64_t key, int64_t val);
/* 1 and *val when present, 0 when absent */
int idmap_get(const idmap *m, int64_t key, int64_t *val);

#endif
