#include "util/idmap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void idmap_init(idmap *m)
{
    memset(m, 0, sizeof(*m));
}

void idmap_free(idmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof(*m));
}

static size_t slot_of(int64_t key, size_t cap)
{
    assert(cap && (cap & (cap - 1)) == 0);              /* probing masks with cap - 1 */
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull; /* Fibonacci hashing */
    return (size_t)(h >> 32) & (cap - 1);
}

static int grow(idmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    idmap next = {calloc(cap, sizeof(int64_t)), calloc(cap, sizeof(int64_t)), calloc(cap, 1), cap,
                  0};

    if (!next.keys || !next.vals || !next.used) {
        idmap_free(&next);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->used[i])
            idmap_put(&next, m->keys[i], m->vals[i]);
    idmap_free(m);
    *m = next;
    return 0;
}

int idmap_put(idmap *m, int64_t key, int64_t val)
{
    size_t i;

    assert(m->n <= m->cap * 3 / 4); /* a free slot ends every probe */
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return -1;
    for (i = slot_of(key, m->cap); m->used[i]; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return 0;
        }
    }
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
    return 0;
}

int idmap_get(const idmap *m, int64_t key, int64_t *val)
{
    if (!m->cap)
        return 0;
    for (size_t i = slot_of(key, m->cap); m->used[i]; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            *val = m->vals[i];
            return 1;
        }
    }
    return 0;
}
