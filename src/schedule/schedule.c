/* The schedule's index: snapshots of days per generation, and the walk
 * that answers a query. See schedule.h for the contract. */
#include "schedule/schedule.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/arena.h"
#include "util/idmap.h"

#define DAY_SECONDS 86400
#define ZONE_MARGIN 2 /* airdates around a local day whose episodes may air on it */
#define VOCAB_MAX   65535
#define GENRES_MAX  64 /* bits of an entry's genre set */

/* One episode: its order keys and what the filters look at. */
typedef struct entry {
    int64_t id, show_id;
    int64_t instant;       /* Unix seconds, when SCHED_TIMED */
    const char *show_name; /* in the day's arena */
    uint64_t genres;       /* bit i: genre i of the vocabulary */
    int64_t network_id, web_channel_id;
    double rating; /* NaN: none */
    int32_t season, number_sort;
    int32_t premiered;               /* the show's premiere day; INT32_MIN: unknown */
    uint16_t language, type, status; /* vocabulary ids; 0: null */
    uint16_t time_sort;
    uint8_t flags; /* SCHED_* */
} entry;

/* How many of a day's entries have one (network, web channel) pair. */
typedef struct pair_count {
    int64_t network_id, web_channel_id;
    int64_t n;
} pair_count;

typedef struct day {
    int32_t airdate;
    entry *v; /* the schedule's order */
    size_t n, cap;
    uint32_t *by_instant; /* the timed entries in instant order, then the others */
    size_t ntimed;
    /* what counts a day that a query does not page through, without
     * walking it: its distributor pairs, and its shows' ratings */
    pair_count *pairs;
    size_t npairs;
    double *ratings; /* ascending, the rated entries only */
    size_t nrated;
    arena names;
} day;

typedef struct dist {
    int64_t id;
    dist_kind kind;
    char *name, *country_name, *country_code; /* NULL: null */
} dist;

/* The days held for one generation. refs and the days' map change under
 * the schedule's lock; a day, once in, is never changed. */
typedef struct snapshot {
    int refs;
    int64_t gen;
    idmap days; /* airdate -> day* */
    size_t nentries;
    dist *dists;
    size_t ndists;
    int have_dists;
} snapshot;

/* Strings that filters compare (languages, show types, statuses, genres)
 * get small ids, once per process: an entry holds ids, not strings. */
typedef struct vocab {
    char **words;
    size_t n, cap;
    size_t max;
} vocab;

struct schedule {
    pthread_mutex_t lock;
    snapshot *cur;
    pthread_mutex_t vocab_lock;
    vocab words;  /* languages, types and statuses share one vocabulary */
    vocab genres; /* at most GENRES_MAX: an entry's set is a bitmask */
};

/* ---- vocabularies ---- */

/* The id (1..) of s in v, adding it when add is set; 0 when absent (or v
 * is full). Case-sensitive when adding, insensitive when looking up. */
static unsigned vocab_id(schedule *s, vocab *v, const char *w, size_t n, int add)
{
    unsigned id = 0;

    pthread_mutex_lock(&s->vocab_lock);
    for (size_t i = 0; i < v->n && !id; i++)
        if (strlen(v->words[i]) == n &&
            (add ? !memcmp(v->words[i], w, n) : !strncasecmp(v->words[i], w, n)))
            id = (unsigned)i + 1;
    if (!id && add && v->n < v->max) {
        char *copy = strndup(w, n);
        if (copy && v->n == v->cap) {
            size_t cap = v->cap ? v->cap * 2 : 16;
            char **grown = realloc(v->words, cap * sizeof(*grown));
            if (grown) {
                v->words = grown;
                v->cap = cap;
            }
        }
        if (copy && v->n < v->cap) {
            v->words[v->n++] = copy;
            id = (unsigned)v->n;
        } else {
            free(copy);
        }
    }
    pthread_mutex_unlock(&s->vocab_lock);
    return id;
}

static void vocab_free(vocab *v)
{
    for (size_t i = 0; i < v->n; i++)
        free(v->words[i]);
    free(v->words);
}

static uint16_t word_id(schedule *s, const char *w)
{
    return w ? (uint16_t)vocab_id(s, &s->words, w, strlen(w), 1) : 0;
}

/* ["Drama","Comedy"], as our own writer stored it: a bit per genre. */
static uint64_t genre_bits(schedule *s, const char *json)
{
    uint64_t bits = 0;

    for (const char *p = json ? strchr(json, '"') : NULL; p; p = strchr(p + 1, '"')) {
        const char *e = p + 1;
        unsigned id;
        while (*e && *e != '"')
            e += *e == '\\' && e[1] ? 2 : 1;
        if (!*e)
            break;
        if ((id = vocab_id(s, &s->genres, p + 1, (size_t)(e - p - 1), 1)))
            bits |= (uint64_t)1 << (id - 1);
        p = e;
    }
    return bits;
}

/* ---- snapshots ---- */

static void dists_free(struct dist *v, size_t n);

static void day_free(day *d)
{
    if (!d)
        return;
    free(d->v);
    free(d->by_instant);
    free(d->pairs);
    free(d->ratings);
    arena_free(&d->names);
    free(d);
}

static snapshot *snapshot_new(int64_t gen)
{
    snapshot *sn = calloc(1, sizeof(*sn));

    if (!sn)
        return NULL;
    sn->refs = 1;
    sn->gen = gen;
    idmap_init(&sn->days);
    return sn;
}

static void snapshot_free(snapshot *sn)
{
    for (size_t i = 0; i < sn->days.cap; i++)
        if (sn->days.used[i])
            day_free((day *)(intptr_t)sn->days.vals[i]);
    idmap_free(&sn->days);
    dists_free(sn->dists, sn->ndists);
    free(sn);
}

/* Called with the lock held. */
static void snapshot_release_locked(snapshot *sn)
{
    if (sn && --sn->refs == 0)
        snapshot_free(sn);
}

static void snapshot_release(schedule *s, snapshot *sn)
{
    pthread_mutex_lock(&s->lock);
    snapshot_release_locked(sn);
    pthread_mutex_unlock(&s->lock);
}

static day *snapshot_day(const snapshot *sn, int32_t airdate)
{
    int64_t v;

    return idmap_get(&sn->days, airdate, &v) ? (day *)(intptr_t)v : NULL;
}

/* The snapshot of generation gen, or a newer one: a new, empty one when the
 * current is older. NULL when out of memory. */
static snapshot *snapshot_acquire(schedule *s, int64_t gen)
{
    snapshot *sn;

    pthread_mutex_lock(&s->lock);
    if (!s->cur || s->cur->gen < gen) {
        snapshot *fresh = snapshot_new(gen);
        if (fresh) {
            snapshot_release_locked(s->cur);
            s->cur = fresh;
        }
    }
    sn = s->cur;
    if (sn)
        sn->refs++;
    pthread_mutex_unlock(&s->lock);
    return sn;
}

schedule *schedule_new(void)
{
    schedule *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return NULL;
    }
    if (pthread_mutex_init(&s->vocab_lock, NULL) != 0) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    s->words.max = VOCAB_MAX;
    s->genres.max = GENRES_MAX;
    return s;
}

void schedule_free(schedule *s)
{
    if (!s)
        return;
    if (s->cur) {
        assert(s->cur->refs == 1); /* no request may be running */
        snapshot_free(s->cur);
    }
    vocab_free(&s->words);
    vocab_free(&s->genres);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->vocab_lock);
    free(s);
}

unsigned schedule_episode_flags(int32_t season, int has_number, int32_t number,
                                int32_t season_length)
{
    unsigned f = 0;

    if (has_number && number == 1)
        f |= season == 1 ? SCHED_SERIES_PREMIERE : SCHED_SEASON_PREMIERE;
    if (has_number && season_length > 0 && number == season_length)
        f |= SCHED_SEASON_FINALE;
    return f;
}

int schedule_premieres_keep(unsigned premieres, unsigned flags)
{
    return !premieres || ((premieres & SCHED_KEEP_SERIES) && (flags & SCHED_SERIES_PREMIERE)) ||
           ((premieres & SCHED_KEEP_SEASON) && (flags & SCHED_SEASON_PREMIERE)) ||
           ((premieres & SCHED_KEEP_FINALE) && (flags & SCHED_SEASON_FINALE));
}

/* ---- reading days ---- */

/* The days one statement brings, before they join a snapshot. */
typedef struct loading {
    schedule *s;
    day **days; /* by airdate - first */
    int32_t first, last;
    size_t nentries;
} loading;

static int entry_add(day *d, const entry *e)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        entry *grown = realloc(d->v, cap * sizeof(*grown));
        if (!grown)
            return -1;
        d->v = grown;
        d->cap = cap;
    }
    d->v[d->n++] = *e;
    return 0;
}

static int load_row(void *ctx, const store_sched_row *r)
{
    loading *l = ctx;
    day **slot;
    entry e;

    if (r->airdate < l->first || r->airdate > l->last)
        return 0;
    slot = &l->days[r->airdate - l->first];
    if (!*slot) {
        if (!(*slot = calloc(1, sizeof(**slot))))
            return -1;
        (*slot)->airdate = r->airdate;
        arena_init(&(*slot)->names, 16 * 1024);
    }
    memset(&e, 0, sizeof(e));
    e.id = r->id;
    e.show_id = r->show_id;
    e.instant = r->has_instant ? r->instant : 0;
    if (!(e.show_name = arena_strndup(&(*slot)->names, r->show_name, r->show_name_len)))
        return -1;
    e.genres = genre_bits(l->s, r->genres_json);
    e.network_id = r->network_id;
    e.web_channel_id = r->web_channel_id;
    e.rating = r->has_rating ? r->show_rating : NAN;
    e.season = r->season;
    e.number_sort = r->number_sort;
    e.premiered = r->has_premiered ? r->premiered : INT32_MIN;
    e.language = word_id(l->s, r->language);
    e.type = word_id(l->s, r->type);
    e.status = word_id(l->s, r->status);
    e.time_sort = (uint16_t)(r->time_sort < 0 ? 0 : r->time_sort > 1440 ? 1440 : r->time_sort);
    e.flags =
        (uint8_t)(schedule_episode_flags(r->season, r->has_number, r->number, r->season_length) |
                  (r->has_instant ? SCHED_TIMED : 0));
    l->nentries++;
    return entry_add(*slot, &e);
}

/* The viewer's order of timed episodes: instant, then the same keys as the
 * schedule's order. Independent of the zone, so it is computed once. */
static int instant_cmp(const entry *a, const entry *b)
{
    int c;

    if (a->instant != b->instant)
        return a->instant < b->instant ? -1 : 1;
    if ((c = strcmp(a->show_name, b->show_name)))
        return c;
    if (a->season != b->season)
        return a->season < b->season ? -1 : 1;
    if (a->number_sort != b->number_sort)
        return a->number_sort < b->number_sort ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static _Thread_local const entry *sort_base;

static int by_instant_cmp(const void *x, const void *y)
{
    return instant_cmp(&sort_base[*(const uint32_t *)x], &sort_base[*(const uint32_t *)y]);
}

static int pair_cmp(const void *x, const void *y)
{
    const pair_count *a = x, *b = y;

    if (a->network_id != b->network_id)
        return a->network_id < b->network_id ? -1 : 1;
    return (a->web_channel_id > b->web_channel_id) - (a->web_channel_id < b->web_channel_id);
}

static int double_cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;

    return (a > b) - (a < b);
}

/* d's distributor pairs with their counts, and its ratings in order. */
static int day_summarise(day *d)
{
    size_t k = 0;

    d->npairs = d->nrated = 0;
    if (!(d->pairs = malloc((d->n + 1) * sizeof(*d->pairs))) ||
        !(d->ratings = malloc((d->n + 1) * sizeof(*d->ratings))))
        return -1;
    for (size_t i = 0; i < d->n; i++) {
        d->pairs[i] = (pair_count){d->v[i].network_id, d->v[i].web_channel_id, 1};
        if (!isnan(d->v[i].rating))
            d->ratings[d->nrated++] = d->v[i].rating;
    }
    qsort(d->pairs, d->n, sizeof(*d->pairs), pair_cmp);
    for (size_t i = 0; i < d->n; i++) {
        if (k && !pair_cmp(&d->pairs[k - 1], &d->pairs[i]))
            d->pairs[k - 1].n++;
        else
            d->pairs[k++] = d->pairs[i];
    }
    d->npairs = k;
    qsort(d->ratings, d->nrated, sizeof(*d->ratings), double_cmp);
    return 0;
}

static int day_index(day *d)
{
    d->ntimed = 0;
    if (!(d->by_instant = malloc((d->n + 1) * sizeof(*d->by_instant))))
        return -1;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].flags & SCHED_TIMED)
            d->by_instant[d->ntimed++] = (uint32_t)i;
    sort_base = d->v;
    qsort(d->by_instant, d->ntimed, sizeof(*d->by_instant), by_instant_cmp);
    sort_base = NULL;
    for (size_t i = 0, k = d->ntimed; i < d->n; i++)
        if (!(d->v[i].flags & SCHED_TIMED))
            d->by_instant[k++] = (uint32_t)i;
    return day_summarise(d);
}

/* Reads airdates [first, last] in one statement into l (days with no
 * episode are empty days, held like the others). */
static int load_span(schedule *s, store *st, int32_t first, int32_t last, loading *l, int64_t *gen)
{
    int rc;

    memset(l, 0, sizeof(*l));
    l->s = s;
    l->first = first;
    l->last = last;
    if (!(l->days = calloc((size_t)(last - first + 1), sizeof(day *))))
        return STORE_ERR;
    if ((rc = store_sched_rows(st, first, last, load_row, l, gen)) != STORE_OK)
        return rc;
    if (*gen < 0 && (rc = store_generation(st, gen)) != STORE_OK)
        return rc; /* no episode at all: the generation on its own */
    for (int32_t d = first; d <= last; d++) {
        day **slot = &l->days[d - first];
        if (!*slot) {
            if (!(*slot = calloc(1, sizeof(**slot))))
                return STORE_ERR;
            (*slot)->airdate = d;
            arena_init(&(*slot)->names, 64);
        }
        if (day_index(*slot) != 0)
            return STORE_ERR;
    }
    return STORE_OK;
}

static void loading_free(loading *l)
{
    if (!l->days)
        return;
    for (int32_t d = l->first; d <= l->last; d++)
        day_free(l->days[d - l->first]);
    free(l->days);
    l->days = NULL;
}

/* Moves the loaded days into sn where it lacks them (the lock is held). */
static int snapshot_take(snapshot *sn, loading *l)
{
    for (int32_t d = l->first; d <= l->last; d++) {
        day **slot = &l->days[d - l->first];
        if (!*slot || snapshot_day(sn, d))
            continue;
        if (idmap_put(&sn->days, d, (int64_t)(intptr_t)*slot) != 0)
            return -1;
        sn->nentries += (*slot)->n;
        *slot = NULL;
    }
    return 0;
}

/* Adds what l read at generation gen to the schedule: to *snp when it is
 * of that generation, else to a new snapshot that replaces the current
 * one (the database moved on), which *snp then becomes. */
static int snapshot_merge(schedule *s, snapshot **snp, loading *l, int64_t gen)
{
    snapshot *sn = *snp;
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    if (sn->gen != gen || sn->nentries + l->nentries > SCHEDULE_MAX_ENTRIES) {
        snapshot *fresh = snapshot_new(gen);
        if (!fresh) {
            rc = -1;
            goto done;
        }
        if (s->cur == sn || (s->cur && s->cur->gen <= gen)) {
            snapshot_release_locked(s->cur);
            s->cur = fresh;
            fresh->refs++;
        }
        snapshot_release_locked(sn);
        *snp = sn = fresh;
    }
    rc = snapshot_take(sn, l);
done:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

typedef struct dist_list {
    dist *v;
    size_t n;
} dist_list;

static void dists_free(dist *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].country_name);
        free(v[i].country_code);
    }
    free(v);
}

static int dist_add(void *ctx, const store_distributor *x)
{
    dist_list *l = ctx;
    dist *d;

    if (l->n % 64 == 0) {
        dist *grown = realloc(l->v, (l->n + 64) * sizeof(*grown));
        if (!grown)
            return -1;
        l->v = grown;
    }
    d = &l->v[l->n++];
    memset(d, 0, sizeof(*d));
    d->id = x->id;
    d->kind = x->kind;
    if ((x->name && !(d->name = strdup(x->name))) ||
        (x->country_name && !(d->country_name = strdup(x->country_name))) ||
        (x->country_code && !(d->country_code = strdup(x->country_code))))
        return -1;
    return 0;
}

/* Reads the distributors once per snapshot (outside the lock; a request
 * that loses the race to install its list drops it). */
static int snapshot_dists(schedule *s, snapshot *sn, store *st)
{
    dist_list l = {NULL, 0};
    int64_t gen;
    int have, rc;

    pthread_mutex_lock(&s->lock);
    have = sn->have_dists;
    pthread_mutex_unlock(&s->lock);
    if (have)
        return STORE_OK;
    if ((rc = store_distributors(st, dist_add, &l, &gen)) != STORE_OK) {
        dists_free(l.v, l.n);
        return rc;
    }
    pthread_mutex_lock(&s->lock);
    if (!sn->have_dists) {
        sn->dists = l.v;
        sn->ndists = l.n;
        sn->have_dists = 1;
        l.v = NULL;
        l.n = 0;
    }
    pthread_mutex_unlock(&s->lock);
    dists_free(l.v, l.n);
    return STORE_OK;
}

/* Makes sure every airdate of [first, last] is held in *snp. */
static int snapshot_fill(schedule *s, snapshot **snp, store *st, int32_t first, int32_t last)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        loading l;
        int64_t gen;
        int rc;

        pthread_mutex_lock(&s->lock);
        for (int32_t d = first; d <= last; d++)
            if (!snapshot_day(*snp, d)) {
                lo = lo < d ? lo : d;
                hi = d;
            }
        pthread_mutex_unlock(&s->lock);
        if (lo > hi)
            return STORE_OK;
        rc = load_span(s, st, lo, hi, &l, &gen);
        if (rc == STORE_OK && snapshot_merge(s, snp, &l, gen) != 0)
            rc = STORE_ERR;
        loading_free(&l);
        if (rc != STORE_OK)
            return rc;
    }
    /* the database kept moving under three reads in a row: answer with
     * what is held, days of the newest generation first read */
    return STORE_OK;
}

/* The days a query walks, taken from the snapshot under the lock (the
 * snapshot's map may grow meanwhile; the days themselves never change). */
typedef struct view {
    int32_t first, last;
    const day *days[SCHEDULE_MAX_DAYS];
} view;

static const day *view_day(const view *v, int32_t airdate)
{
    return airdate < v->first || airdate > v->last ? NULL : v->days[airdate - v->first];
}

static void view_take(schedule *s, const snapshot *sn, int32_t first, int32_t last, view *v)
{
    v->first = first;
    v->last = last;
    pthread_mutex_lock(&s->lock);
    for (int32_t d = first; d <= last; d++)
        v->days[d - first] = snapshot_day(sn, d);
    pthread_mutex_unlock(&s->lock);
}

/* ---- matching ---- */

/* A set of distributor ids: a bit per id up to the snapshot's largest
 * (the database's ids, dense), so that the walk tests an entry's two
 * distributors with a shift and a mask each. */
typedef struct idset {
    uint64_t *bits;
    int64_t limit; /* ids in [1, limit) can be members */
} idset;

static int idset_init(idset *x, int64_t limit)
{
    x->limit = limit;
    x->bits = calloc((size_t)(limit + 63) / 64, sizeof(*x->bits));
    return x->bits ? 0 : -1;
}

static void idset_add(idset *x, int64_t id)
{
    if (id > 0 && id < x->limit)
        x->bits[id >> 6] |= (uint64_t)1 << (id & 63);
}

static int idset_has(const idset *x, int64_t id)
{
    return id > 0 && id < x->limit && (x->bits[id >> 6] >> (id & 63) & 1);
}

/* A query resolved against a snapshot: names to ids and bits. */
typedef struct matcher {
    const sched_query *q;
    int by_dist, by_country, nothing;
    idset dists, countries;
    uint64_t genres_any, genres_none;
    int language, type, status; /* -1: any */
} matcher;

static int text_is(const char *s, const sched_text *t)
{
    return s && strlen(s) == t->n && !memcmp(s, t->s, t->n);
}

static int resolve_names(const dist *dists, size_t ndists, const sched_query *q, matcher *m)
{
    char code[3] = "";
    int whole = 0;
    int64_t limit = 1;

    for (size_t i = 0; i < ndists; i++)
        if (dists[i].id >= limit)
            limit = dists[i].id + 1;
    if (idset_init(&m->dists, limit) != 0 || idset_init(&m->countries, limit) != 0)
        return -1;

    /* a name that holds a comma is matched whole before the list is split
     * on its commas */
    for (size_t i = 0; i < ndists && q->ndistributors > 1 && !whole; i++)
        whole = text_is(dists[i].name, &q->distributor_whole);
    if (q->country.s && q->country.n == 2) {
        code[0] = (char)(q->country.s[0] & ~0x20);
        code[1] = (char)(q->country.s[1] & ~0x20);
    }
    for (size_t i = 0; i < ndists; i++) {
        const dist *d = &dists[i];
        int hit = whole && text_is(d->name, &q->distributor_whole);
        for (size_t k = 0; k < q->ndistributors && !hit && !whole; k++)
            hit = text_is(d->name, &q->distributors[k]);
        if (hit)
            idset_add(&m->dists, d->id);
        if (q->country.s && (text_is(d->country_name, &q->country) ||
                             (code[0] && d->country_code && !strcmp(d->country_code, code))))
            idset_add(&m->countries, d->id);
    }
    return 0;
}

static int resolve_word(schedule *s, const sched_text *t)
{
    unsigned id;

    if (!t->s)
        return -1;
    id = vocab_id(s, &s->words, t->s, t->n, 0);
    return id ? (int)id : 0x10000; /* a word never seen matches nothing */
}

static int matcher_init(schedule *s, const snapshot *sn, const sched_query *q, matcher *m)
{
    /* the distributors are read once per snapshot and never change after */
    memset(m, 0, sizeof(*m));
    m->q = q;
    m->by_dist = q->ndistributors > 0;
    m->by_country = q->country.s != NULL;
    if ((m->by_dist || m->by_country) && resolve_names(sn->dists, sn->ndists, q, m) != 0)
        return -1;
    for (size_t i = 0; i < q->ngenres; i++) {
        unsigned id = vocab_id(s, &s->genres, q->genres[i].s, q->genres[i].n, 0);
        if (id)
            m->genres_any |= (uint64_t)1 << (id - 1);
    }
    /* genres asked for that no show has: nothing matches */
    m->nothing = q->ngenres && !m->genres_any;
    for (size_t i = 0; i < q->nexclude_genres; i++) {
        unsigned id = vocab_id(s, &s->genres, q->exclude_genres[i].s, q->exclude_genres[i].n, 0);
        if (id)
            m->genres_none |= (uint64_t)1 << (id - 1);
    }
    m->language = resolve_word(s, &q->language);
    m->type = resolve_word(s, &q->type);
    m->status = resolve_word(s, &q->status);
    return 0;
}

static void matcher_free(matcher *m)
{
    free(m->dists.bits);
    free(m->countries.bits);
}

static int has_id(const idset *set, int64_t a, int64_t b)
{
    return idset_has(set, a) || idset_has(set, b);
}

static int show_listed(const sched_query *q, int64_t show_id)
{
    size_t lo = 0, hi = q->nshow_ids;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (q->show_ids[mid] < show_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < q->nshow_ids && q->show_ids[lo] == show_id;
}

/* Whether a show with this network and web channel passes the filters on
 * distributors: names, country, kind. */
static int dists_keep(const matcher *m, int64_t network_id, int64_t web_channel_id)
{
    const sched_query *q = m->q;

    if (m->by_dist && !has_id(&m->dists, network_id, web_channel_id))
        return 0;
    if (m->by_country && !has_id(&m->countries, network_id, web_channel_id))
        return 0;
    /* a show's distributor is its network, or its web channel without one */
    if (q->kind == DIST_NETWORK && !network_id)
        return 0;
    if (q->kind == DIST_WEB && (network_id || !web_channel_id))
        return 0;
    return 1;
}

static int keeps(const matcher *m, const entry *e)
{
    const sched_query *q = m->q;

    if (m->nothing)
        return 0;
    if (!dists_keep(m, e->network_id, e->web_channel_id))
        return 0;
    if (q->has_min_rating && !(e->rating >= q->min_rating))
        return 0;
    if ((m->genres_any && !(e->genres & m->genres_any)) || (e->genres & m->genres_none))
        return 0;
    if ((m->language >= 0 && e->language != m->language) || (m->type >= 0 && e->type != m->type) ||
        (m->status >= 0 && e->status != m->status))
        return 0;
    if (!schedule_premieres_keep(q->premieres, e->flags))
        return 0;
    if (q->new_shows && (e->premiered < q->from || e->premiered > q->to))
        return 0;
    if (q->show_ids && !show_listed(q, e->show_id))
        return 0;
    return 1;
}

/* No filter other than those on distributors and the rating. */
static int only_dists_or_rating(const matcher *m)
{
    const sched_query *q = m->q;

    return !m->nothing && !q->ngenres && !q->nexclude_genres && m->language < 0 && m->type < 0 &&
           m->status < 0 && !q->premieres && !q->new_shows && !q->show_ids;
}

static int filters_dists(const matcher *m)
{
    return m->by_dist || m->by_country || m->q->kind >= 0;
}

static int unfiltered(const matcher *m)
{
    return only_dists_or_rating(m) && !filters_dists(m) && !m->q->has_min_rating;
}

/* How many of d's entries the query keeps, from d's summary: 1 with *c,
 * or 0 when the query filters on more than its summary tells. */
static int day_count(const day *d, const matcher *m, int64_t *c)
{
    size_t lo = 0, hi;

    if (!only_dists_or_rating(m) || (filters_dists(m) && m->q->has_min_rating))
        return 0;
    *c = 0;
    if (!m->q->has_min_rating) {
        for (size_t i = 0; i < d->npairs; i++)
            if (dists_keep(m, d->pairs[i].network_id, d->pairs[i].web_channel_id))
                *c += d->pairs[i].n;
        return 1;
    }
    for (hi = d->nrated; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ratings[mid] >= m->q->min_rating)
            hi = mid;
        else
            lo = mid + 1;
    }
    *c = (int64_t)(d->nrated - lo);
    return 1;
}

/* ---- the walk ---- */

/* Collects the matches of a query in order: skips `skip`, keeps up to the
 * page's room, counts all. */
typedef struct walk {
    const matcher *m;
    int64_t skip;
    size_t cap;
    sched_row *rows;
    size_t n;
    int64_t total;
    int all; /* the query keeps every entry */
} walk;

static void walk_take(walk *w, const entry *e)
{
    w->total++;
    if (w->skip > 0) {
        w->skip--;
        return;
    }
    if (w->n < w->cap) {
        w->rows[w->n].id = e->id;
        w->rows[w->n].flags = e->flags;
        w->n++;
    }
}

/* The rows of v[0..n) (in order) that match, or all of them. */
static void walk_run(walk *w, const entry *v, size_t n, const uint32_t *idx)
{
    int all = w->all;

    /* unfiltered and wholly before the page or after it: count only */
    if (all && (w->skip >= (int64_t)n || w->n >= w->cap)) {
        w->total += (int64_t)n;
        w->skip -= w->skip >= (int64_t)n ? (int64_t)n : 0;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const entry *e = idx ? &v[idx[i]] : &v[i];
        if (all || keeps(w->m, e))
            walk_take(w, e);
    }
}

static void walk_airdates(const view *v, const sched_query *q, walk *w)
{
    for (int32_t d = q->from; d <= q->to; d++) {
        const day *x = view_day(v, d);
        int64_t c;
        if (!x)
            continue;
        /* a day wholly after the page, or wholly skipped, is only counted */
        if (!w->all && day_count(x, w->m, &c) && (w->n >= w->cap || w->skip >= c)) {
            w->total += c;
            w->skip -= w->n >= w->cap ? 0 : c;
            continue;
        }
        walk_run(w, x->v, x->n, NULL);
    }
}

/* The slice of a day's instant order inside [lo, hi). */
typedef struct slice {
    const day *d;
    size_t at, end;
} slice;

static size_t first_at_or_after(const day *d, int64_t t)
{
    size_t lo = 0, hi = d->ntimed;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->v[d->by_instant[mid]].instant < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The timed episodes of [lo, hi), from the airdates they can have, merged
 * into the viewer's order. */
static void walk_instants(const view *v, int32_t local_day, int64_t lo, int64_t hi, walk *w)
{
    slice sl[2 * ZONE_MARGIN + 1];
    size_t k = 0;

    for (int32_t a = local_day - ZONE_MARGIN; a <= local_day + ZONE_MARGIN; a++) {
        const day *d = view_day(v, a);
        if (!d || !d->ntimed)
            continue;
        sl[k].d = d;
        sl[k].at = first_at_or_after(d, lo);
        sl[k].end = first_at_or_after(d, hi);
        if (sl[k].at < sl[k].end)
            k++;
    }
    if (k == 1) {
        walk_run(w, sl[0].d->v, sl[0].end - sl[0].at, sl[0].d->by_instant + sl[0].at);
        return;
    }
    for (;;) {
        const entry *best = NULL;
        size_t bi = 0;
        if (w->n >= w->cap) {
            /* the page is full: what remains is only counted, in any order */
            for (size_t i = 0; i < k; i++)
                walk_run(w, sl[i].d->v, sl[i].end - sl[i].at, sl[i].d->by_instant + sl[i].at);
            return;
        }
        for (size_t i = 0; i < k; i++) {
            const entry *e;
            if (sl[i].at == sl[i].end)
                continue;
            e = &sl[i].d->v[sl[i].d->by_instant[sl[i].at]];
            if (!best || instant_cmp(e, best) < 0) {
                best = e;
                bi = i;
            }
        }
        if (!best)
            break;
        sl[bi].at++;
        walk_run(w, best, 1, NULL);
    }
}

static void walk_local_days(const view *v, const sched_query *q, walk *w)
{
    for (int32_t d = q->from; d <= q->to; d++) {
        int64_t lo = tz_day_start(q->tz, d), hi = tz_day_start(q->tz, d + 1);
        const day *x = view_day(v, d);
        if (lo < q->not_before)
            lo = q->not_before;
        if (lo < hi)
            walk_instants(v, d, lo, hi, w);
        /* episodes without a time: on their airdate, after the timed ones */
        if (x)
            walk_run(w, x->v, x->n - x->ntimed, x->by_instant + x->ntimed);
    }
}

void sched_query_init(sched_query *q)
{
    memset(q, 0, sizeof(*q));
    q->kind = -1;
    q->not_before = INT64_MIN;
}

int schedule_rows(schedule *s, store *st, int64_t gen, const sched_query *q, int64_t offset,
                  size_t cap, sched_row *rows, size_t *n, int64_t *total)
{
    int32_t first = q->tz ? q->from - ZONE_MARGIN : q->from,
            last = q->tz ? q->to + ZONE_MARGIN : q->to;
    snapshot *sn;
    view *v;
    matcher m;
    walk w;
    int rc;

    *n = 0;
    *total = 0;
    if (last - first + 1 > SCHEDULE_MAX_DAYS || q->from > q->to)
        return STORE_OK;
    if (!(sn = snapshot_acquire(s, gen)))
        return STORE_ERR;
    rc = snapshot_fill(s, &sn, st, first, last);
    if (rc == STORE_OK && (q->ndistributors || q->country.s))
        rc = snapshot_dists(s, sn, st);
    if (rc != STORE_OK) {
        snapshot_release(s, sn);
        return rc;
    }
    if (!(v = malloc(sizeof(*v))) || matcher_init(s, sn, q, &m) != 0) {
        if (v)
            matcher_free(&m);
        free(v);
        snapshot_release(s, sn);
        return STORE_ERR;
    }
    view_take(s, sn, first, last, v);
    w = (walk){&m, offset, cap, rows, 0, 0, unfiltered(&m)};
    if (q->tz)
        walk_local_days(v, q, &w);
    else
        walk_airdates(v, q, &w);
    *n = w.n;
    *total = w.total;
    matcher_free(&m);
    free(v);
    snapshot_release(s, sn);
    return STORE_OK;
}

int schedule_page(schedule *s, store *st, int64_t gen, const sched_query *q, int64_t offset,
                  int limit, sched_page *out)
{
    assert(limit >= 0 && limit <= SCHEDULE_PAGE_MAX);
    memset(out, 0, sizeof(*out));
    return schedule_rows(s, st, gen, q, offset, (size_t)limit, out->rows, &out->n, &out->total);
}

/* ---- one show against a query (the change feed, webhooks) ---- */

static int dist_named(const tv_distributor *d, const sched_query *q, int whole)
{
    if (!d)
        return 0;
    if (whole)
        return text_is(d->name, &q->distributor_whole);
    for (size_t k = 0; k < q->ndistributors; k++)
        if (text_is(d->name, &q->distributors[k]))
            return 1;
    return 0;
}

static int dist_in_country(const tv_distributor *d, const sched_text *c)
{
    if (!d)
        return 0;
    if (text_is(d->country_name, c))
        return 1;
    return c->n == 2 && d->country_code && strlen(d->country_code) == 2 &&
           !strncasecmp(d->country_code, c->s, 2);
}

static int word_is(const char *v, const sched_text *t)
{
    return !t->s || (v && strlen(v) == t->n && !strncasecmp(v, t->s, t->n));
}

/* Whether the genres of a show (our JSON array) hold any of list[0..n). */
static int genres_hold(const char *json, const sched_text *list, size_t n)
{
    for (const char *p = json ? strchr(json, '"') : NULL; p; p = strchr(p + 1, '"')) {
        const char *e = strchr(p + 1, '"');
        if (!e)
            break;
        for (size_t i = 0; i < n; i++)
            if ((size_t)(e - p - 1) == list[i].n && !strncasecmp(p + 1, list[i].s, list[i].n))
                return 1;
        p = e;
    }
    return 0;
}

int schedule_show_matches(const sched_query *q, const tv_show *s)
{
    int whole = 0;

    if (q->ndistributors) {
        whole = q->ndistributors > 1 &&
                (text_is(s->network ? s->network->name : NULL, &q->distributor_whole) ||
                 text_is(s->web_channel ? s->web_channel->name : NULL, &q->distributor_whole));
        if (!dist_named(s->network, q, whole) && !dist_named(s->web_channel, q, whole))
            return 0;
    }
    if (q->country.s && !dist_in_country(s->network, &q->country) &&
        !dist_in_country(s->web_channel, &q->country))
        return 0;
    if ((q->kind == DIST_NETWORK && !s->network) ||
        (q->kind == DIST_WEB && (s->network || !s->web_channel)))
        return 0;
    if (q->has_min_rating && !(s->has_rating && s->rating >= q->min_rating))
        return 0;
    if ((q->ngenres && !genres_hold(s->genres_json, q->genres, q->ngenres)) ||
        genres_hold(s->genres_json, q->exclude_genres, q->nexclude_genres))
        return 0;
    if (!word_is(s->language, &q->language) || !word_is(s->type, &q->type) ||
        !word_is(s->status, &q->status))
        return 0;
    return !q->show_ids || show_listed(q, s->id);
}
