#include "schedule/shows.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/idmap.h"

#define NEVER INT64_MAX /* "none": no time makes an episode next */

/* One show: its card, and its next episode for instants in [from, until). */
typedef struct memo_entry {
    int has_card, has_next;
    tv_show card;
    int64_t from, until;
    tv_next_episode next; /* when has_next and next_known */
    int next_known;       /* 0: the show has no next episode */
} memo_entry;

struct show_memo {
    pthread_mutex_t lock;
    int64_t gen;
    idmap at; /* show id -> index in v */
    memo_entry *v;
    size_t n, cap, max;
    size_t max_bytes;
    arena strings; /* the entries' strings and distributors */
};

show_memo *show_memo_new(size_t max_shows, size_t max_bytes)
{
    show_memo *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    idmap_init(&m->at);
    arena_init(&m->strings, 64 * 1024);
    m->max = max_shows;
    m->max_bytes = max_bytes;
    m->gen = -1;
    return m;
}

void show_memo_free(show_memo *m)
{
    if (!m)
        return;
    idmap_free(&m->at);
    arena_free(&m->strings);
    free(m->v);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void memo_clear(show_memo *m, int64_t gen)
{
    idmap_free(&m->at);
    idmap_init(&m->at);
    arena_reset(&m->strings);
    m->n = 0;
    m->gen = gen;
}

/* Called with the lock held: the entry of show id, NULL when not held. */
static memo_entry *memo_find(const show_memo *m, int64_t id)
{
    int64_t i;

    return idmap_get(&m->at, id, &i) ? &m->v[i] : NULL;
}

/* Called with the lock held: the entry of show id, made empty when not
 * held (the memo starting over when full); NULL when out of memory. */
static memo_entry *memo_slot(show_memo *m, int64_t id)
{
    memo_entry *x = memo_find(m, id);

    if (x)
        return x;
    if (m->n == m->max || m->strings.used_total > m->max_bytes)
        memo_clear(m, m->gen);
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        memo_entry *grown = realloc(m->v, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        m->v = grown;
        m->cap = cap;
    }
    if (idmap_put(&m->at, id, (int64_t)m->n) != 0)
        return NULL;
    x = &m->v[m->n++];
    memset(x, 0, sizeof(*x));
    return x;
}

/* ---- copies ---- */

static int copy_str(arena *a, const char *from, const char **to)
{
    *to = arena_strdup(a, from);
    return from && !*to ? -1 : 0;
}

static int copy_dist(arena *a, const tv_distributor *from, tv_distributor **to)
{
    tv_distributor *d;

    *to = NULL;
    if (!from)
        return 0;
    if (!(d = arena_alloc(a, sizeof(*d))))
        return -1;
    *d = *from;
    *to = d;
    return copy_str(a, from->name, &d->name) | copy_str(a, from->country_code, &d->country_code) |
           copy_str(a, from->country_name, &d->country_name) |
           copy_str(a, from->country_timezone, &d->country_timezone) |
           copy_str(a, from->official_site, &d->official_site);
}

/* What store_show_cards() reads of a show, and nothing else. */
static int copy_card(arena *a, const tv_show *from, tv_show *to)
{
    memset(to, 0, sizeof(*to));
    to->id = from->id;
    to->tvmaze_id = from->tvmaze_id;
    to->has_rating = from->has_rating;
    to->rating = from->rating;
    to->has_thetvdb = from->has_thetvdb;
    to->thetvdb = from->thetvdb;
    return copy_str(a, from->name, &to->name) | copy_str(a, from->url, &to->url) |
           copy_str(a, from->type, &to->type) | copy_str(a, from->language, &to->language) |
           copy_str(a, from->status, &to->status) |
           copy_str(a, from->genres_json, &to->genres_json) |
           copy_str(a, from->image_medium, &to->image_medium) |
           copy_str(a, from->image_original, &to->image_original) |
           copy_str(a, from->imdb, &to->imdb) | copy_dist(a, from->network, &to->network) |
           copy_dist(a, from->web_channel, &to->web_channel);
}

static int copy_next(arena *a, const tv_next_episode *from, tv_next_episode *to)
{
    *to = *from;
    return copy_str(a, from->name, &to->name) | copy_str(a, from->airstamp, &to->airstamp) |
           copy_str(a, from->airdate, &to->airdate) | copy_str(a, from->airtime, &to->airtime);
}

/* ---- cards ---- */

int show_memo_cards(show_memo *m, store *st, int64_t gen, const int64_t *ids, size_t n, arena *a,
                    tv_show **out)
{
    int64_t *miss = arena_alloc(a, (n + 1) * sizeof(*miss));
    size_t *at = arena_alloc(a, (n + 1) * sizeof(*at)), k = 0;
    tv_show **got = arena_alloc(a, (n + 1) * sizeof(tv_show *));
    int rc;

    if (!miss || !at || !got)
        return STORE_ERR;
    pthread_mutex_lock(&m->lock);
    if (gen > m->gen)
        memo_clear(m, gen);
    for (size_t i = 0; i < n; i++) {
        const memo_entry *x = gen == m->gen ? memo_find(m, ids[i]) : NULL;
        out[i] = NULL;
        if (x && x->has_card && (out[i] = arena_alloc(a, sizeof(tv_show))) &&
            copy_card(a, &x->card, out[i]) == 0)
            continue;
        miss[k] = ids[i];
        at[k++] = i;
    }
    pthread_mutex_unlock(&m->lock);
    if (!k)
        return STORE_OK;
    if ((rc = store_show_cards(st, miss, k, a, got)) != STORE_OK)
        return rc;
    pthread_mutex_lock(&m->lock);
    for (size_t j = 0; j < k; j++) {
        memo_entry *x;
        out[at[j]] = got[j];
        if (!got[j] || gen != m->gen || !(x = memo_slot(m, got[j]->id)) || x->has_card)
            continue;
        x->has_card = copy_card(&m->strings, got[j], &x->card) == 0;
    }
    pthread_mutex_unlock(&m->lock);
    return STORE_OK;
}

/* ---- next episodes ---- */

/* The end of the interval from which e is the answer: the start of the
 * UTC day after its airdate, or its airstamp when it has a time (the
 * store compares airstamps as text, so the very second may already be
 * out); -1 when e cannot be read (such an answer is not kept). */
static int64_t next_until(const tv_next_episode *e)
{
    int32_t day;
    int64_t until, stamp;

    if (!e->airdate || date_parse(e->airdate, strlen(e->airdate), &day) != 0)
        return -1;
    until = ((int64_t)day + 1) * 86400;
    if (e->airtime && e->airtime[0] && e->airstamp) {
        if (instant_parse(e->airstamp, strlen(e->airstamp), &stamp) != 0)
            return -1;
        if (stamp < until)
            until = stamp;
    }
    return until;
}

/* Called with the lock held: 1 when s's next episode at now is held (and
 * set, in a's memory), 0 when the store is to be asked. */
static int memo_take_next(const show_memo *m, int64_t now, tv_show *s, arena *a)
{
    const memo_entry *x = memo_find(m, s->id);
    tv_next_episode *e;

    if (!x || !x->has_next || now < x->from || now >= x->until)
        return 0;
    if (!x->next_known) {
        s->next = NULL;
        return 1;
    }
    if (!(e = arena_alloc(a, sizeof(*e))) || copy_next(a, &x->next, e) != 0)
        return 0;
    s->next = e;
    return 1;
}

/* Called with the lock held: keeps s's next episode, found at now. */
static void memo_keep_next(show_memo *m, int64_t now, const tv_show *s)
{
    int64_t until = s->next ? next_until(s->next) : NEVER;
    memo_entry *x;

    if (until <= now || !(x = memo_slot(m, s->id)) ||
        (x->has_next && now >= x->from && now < x->until))
        return; /* unreadable, already over, or kept twice in one call */
    x->from = now;
    x->until = until;
    x->next_known = s->next != NULL;
    x->has_next = !x->next_known || copy_next(&m->strings, s->next, &x->next) == 0;
}

int show_memo_next(show_memo *m, store *st, int64_t gen, int64_t now, tv_show *const *shows,
                   size_t n, arena *a)
{
    tv_show **miss = arena_alloc(a, (n + 1) * sizeof(tv_show *));
    size_t k = 0;
    int rc;

    if (!miss)
        return STORE_ERR;
    pthread_mutex_lock(&m->lock);
    if (gen > m->gen)
        memo_clear(m, gen);
    for (size_t i = 0; i < n; i++)
        if (gen != m->gen || !memo_take_next(m, now, shows[i], a))
            miss[k++] = shows[i];
    pthread_mutex_unlock(&m->lock);
    if (!k)
        return STORE_OK;
    if ((rc = store_next_episodes(st, miss, k, now, a)) != STORE_OK)
        return rc;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < k && gen == m->gen; i++)
        memo_keep_next(m, now, miss[i]);
    pthread_mutex_unlock(&m->lock);
    return STORE_OK;
}
