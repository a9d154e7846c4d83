#include "schedule/next.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/idmap.h"

#define NEVER INT64_MAX /* "none": no time makes an episode next */

/* One show's answer, which holds for instants in [from, until). */
typedef struct memo_entry {
    int64_t from, until;
    int has; /* 0: the show has no next episode */
    tv_next_episode e;
} memo_entry;

struct next_memo {
    pthread_mutex_t lock;
    int64_t gen;
    idmap at; /* show id -> index in v */
    memo_entry *v;
    size_t n, cap, max;
    arena strings; /* the entries' strings */
};

next_memo *next_memo_new(size_t max_shows)
{
    next_memo *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    pthread_mutex_init(&m->lock, NULL);
    idmap_init(&m->at);
    arena_init(&m->strings, 64 * 1024);
    m->max = max_shows;
    m->gen = -1;
    return m;
}

void next_memo_free(next_memo *m)
{
    if (!m)
        return;
    idmap_free(&m->at);
    arena_free(&m->strings);
    free(m->v);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static void memo_clear(next_memo *m, int64_t gen)
{
    idmap_free(&m->at);
    idmap_init(&m->at);
    arena_reset(&m->strings);
    m->n = 0;
    m->gen = gen;
}

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

static int copy_next(arena *a, const tv_next_episode *from, tv_next_episode *to)
{
    *to = *from;
    to->name = arena_strdup(a, from->name);
    to->airstamp = arena_strdup(a, from->airstamp);
    to->airdate = arena_strdup(a, from->airdate);
    to->airtime = arena_strdup(a, from->airtime);
    return (from->name && !to->name) || (from->airstamp && !to->airstamp) ||
                   (from->airdate && !to->airdate) || (from->airtime && !to->airtime)
               ? -1
               : 0;
}

/* Called with the lock held: 1 when s's answer at now was found (and set,
 * in a's memory), 0 when the store is to be asked. */
static int memo_take(const next_memo *m, int64_t now, tv_show *s, arena *a)
{
    const memo_entry *x;
    tv_next_episode *e;
    int64_t i;

    if (!idmap_get(&m->at, s->id, &i))
        return 0;
    x = &m->v[i];
    if (now < x->from || now >= x->until)
        return 0;
    if (!x->has) {
        s->next = NULL;
        return 1;
    }
    if (!(e = arena_alloc(a, sizeof(*e))) || copy_next(a, &x->e, e) != 0)
        return 0;
    s->next = e;
    return 1;
}

/* Called with the lock held: remembers s's answer, found at now. */
static void memo_keep(next_memo *m, int64_t now, const tv_show *s)
{
    memo_entry *x;
    int64_t until = s->next ? next_until(s->next) : NEVER, i;

    if (until <= now || idmap_get(&m->at, s->id, &i))
        return; /* unreadable, already over, or kept twice in one page */
    if (m->n == m->max)
        memo_clear(m, m->gen);
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        memo_entry *grown = realloc(m->v, cap * sizeof(*grown));
        if (!grown)
            return;
        m->v = grown;
        m->cap = cap;
    }
    x = &m->v[m->n];
    x->from = now;
    x->until = until;
    x->has = s->next != NULL;
    if ((x->has && copy_next(&m->strings, s->next, &x->e) != 0) ||
        idmap_put(&m->at, s->id, (int64_t)m->n) != 0)
        return; /* the strings stay in the arena until the next clear */
    m->n++;
}

int next_memo_fill(next_memo *m, store *st, int64_t gen, int64_t now, tv_show *const *shows,
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
        if (gen != m->gen || !memo_take(m, now, shows[i], a))
            miss[k++] = shows[i];
    pthread_mutex_unlock(&m->lock);
    if (!k)
        return STORE_OK;
    if ((rc = store_next_episodes(st, miss, k, now, a)) != STORE_OK)
        return rc;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < k && gen == m->gen; i++)
        memo_keep(m, now, miss[i]);
    pthread_mutex_unlock(&m->lock);
    return STORE_OK;
}
