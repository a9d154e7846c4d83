#include "model/model.h"

#include <stdlib.h>
#include <string.h>

#include "util/date.h"

void tv_batch_init(tv_batch *b)
{
    memset(b, 0, sizeof(*b));
    arena_init(&b->mem, 256 * 1024);
}

void tv_batch_free(tv_batch *b)
{
    arena_free(&b->mem);
    free(b->dists);
    free(b->shows);
    free(b->episodes);
    idmap_free(&b->index);
    memset(b, 0, sizeof(*b));
}

static int push(void ***arr, size_t *n, size_t *cap, void *p);

/* One index serves the three arrays: the kind of object is folded into the
 * top bits of the key (TVmaze ids are far below 2^56). */
enum { KEY_NETWORK, KEY_WEB, KEY_SHOW, KEY_EPISODE };

static int64_t batch_key(int kind, int64_t tvmaze_id)
{
    return (int64_t)((uint64_t)kind << 56 | ((uint64_t)tvmaze_id & 0x00ffffffffffffffull));
}

/* Finds the object for key, or makes a zeroed one of size bytes and appends it
 * to the array. */
static void *batch_find_or_add(tv_batch *b, int64_t key, void ***arr, size_t *n, size_t *cap,
                               size_t size, int *is_new)
{
    int64_t pos;
    void *p;

    if (idmap_get(&b->index, key, &pos)) {
        *is_new = 0;
        return (*arr)[pos];
    }
    if (!(p = arena_calloc(&b->mem, size)) || idmap_put(&b->index, key, (int64_t)*n) != 0 ||
        push(arr, n, cap, p) != 0)
        return NULL;
    *is_new = 1;
    return p;
}

tv_distributor *tv_batch_distributor(tv_batch *b, dist_kind kind, int64_t tvmaze_id, int *is_new)
{
    tv_distributor *d =
        batch_find_or_add(b, batch_key(kind == DIST_WEB ? KEY_WEB : KEY_NETWORK, tvmaze_id),
                          (void ***)&b->dists, &b->ndists, &b->dists_cap, sizeof(*d), is_new);

    if (d && *is_new) {
        d->kind = kind;
        d->tvmaze_id = tvmaze_id;
    }
    return d;
}

tv_show *tv_batch_show(tv_batch *b, int64_t tvmaze_id, int *is_new)
{
    tv_show *s = batch_find_or_add(b, batch_key(KEY_SHOW, tvmaze_id), (void ***)&b->shows,
                                   &b->nshows, &b->shows_cap, sizeof(*s), is_new);

    if (s && *is_new)
        s->tvmaze_id = tvmaze_id;
    return s;
}

tv_episode *tv_batch_episode(tv_batch *b, int64_t tvmaze_id, int *is_new)
{
    tv_episode *e = batch_find_or_add(b, batch_key(KEY_EPISODE, tvmaze_id), (void ***)&b->episodes,
                                      &b->nepisodes, &b->episodes_cap, sizeof(*e), is_new);

    if (e && *is_new)
        e->tvmaze_id = tvmaze_id;
    return e;
}

/* Appends p to a growing pointer array. */
static int push(void ***arr, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void **grown = realloc(*arr, c * sizeof(*grown));
        if (!grown)
            return -1;
        *arr = grown;
        *cap = c;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

/* Adds p to the view's array unless key is already in its index. */
static int view_add(tv_batch *v, int64_t key, void ***arr, size_t *n, size_t *cap, void *p)
{
    int64_t pos;

    if (idmap_get(&v->index, key, &pos))
        return 0;
    if (push(arr, n, cap, p) != 0 || idmap_put(&v->index, key, (int64_t)*n - 1) != 0)
        return -1;
    return 0;
}

int tv_batch_day_view(const tv_batch *all, const char *airdate, tv_batch *view)
{
    tv_batch_init(view);
    for (size_t i = 0; i < all->nepisodes; i++) {
        tv_episode *e = all->episodes[i];
        tv_show *s = e->show;
        if (!e->airdate || strcmp(e->airdate, airdate))
            continue;
        if (view_add(view, batch_key(KEY_EPISODE, e->tvmaze_id), (void ***)&view->episodes,
                     &view->nepisodes, &view->episodes_cap, e) ||
            view_add(view, batch_key(KEY_SHOW, s->tvmaze_id), (void ***)&view->shows, &view->nshows,
                     &view->shows_cap, s))
            return -1;
        if (s->network &&
            view_add(view, batch_key(KEY_NETWORK, s->network->tvmaze_id), (void ***)&view->dists,
                     &view->ndists, &view->dists_cap, s->network))
            return -1;
        if (s->web_channel &&
            view_add(view, batch_key(KEY_WEB, s->web_channel->tvmaze_id), (void ***)&view->dists,
                     &view->ndists, &view->dists_cap, s->web_channel))
            return -1;
    }
    return 0;
}

int tv_time_sort(const char *airtime)
{
    int m;

    if (airtime && time_parse_hhmm(airtime, strlen(airtime), &m) == 0)
        return m;
    return 1440;
}

int tv_airing_instant(const char *airtime, const char *airstamp, size_t stamp_len, int64_t *t)
{
    return airtime && airtime[0] && airstamp && instant_parse(airstamp, stamp_len, t) == 0;
}
