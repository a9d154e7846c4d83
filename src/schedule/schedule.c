/* The schedule's index: the vocabularies, and the snapshots of days per
 * generation with their loading; the walk that answers a query is walk.c.
 * See schedule.h for the contract. */
#include "schedule/schedule_internal.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/arena.h"
#include "util/idmap.h"

#define DAY_SECONDS 86400
#define VOCAB_MAX   65535
#define GENRES_MAX  64 /* bits of an entry's genre set */

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

/* The id (1..) of w in v, adding it when add is set; 0 when absent (or v
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

unsigned schedule_word_id(schedule *s, const char *w, size_t n)
{
    return vocab_id(s, &s->words, w, n, 0);
}

unsigned schedule_genre_id(schedule *s, const char *w, size_t n)
{
    return vocab_id(s, &s->genres, w, n, 0);
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

static void view_take(schedule *s, const snapshot *sn, int32_t first, int32_t last, view *v)
{
    v->first = first;
    v->last = last;
    pthread_mutex_lock(&s->lock);
    v->dists = sn->dists;
    v->ndists = sn->ndists;
    for (int32_t d = first; d <= last; d++)
        v->days[d - first] = snapshot_day(sn, d);
    pthread_mutex_unlock(&s->lock);
}

void sched_query_init(sched_query *q)
{
    memset(q, 0, sizeof(*q));
    q->kind = -1;
    q->not_before = INT64_MIN;
}

int schedule_view(schedule *s, store *st, int64_t gen, int32_t first, int32_t last, int dists,
                  view *v, snapshot **out)
{
    snapshot *sn = snapshot_acquire(s, gen);
    int rc;

    *out = NULL;
    if (!sn)
        return STORE_ERR;
    rc = snapshot_fill(s, &sn, st, first, last);
    if (rc == STORE_OK && dists)
        rc = snapshot_dists(s, sn, st);
    if (rc != STORE_OK) {
        snapshot_release(s, sn);
        return rc;
    }
    view_take(s, sn, first, last, v);
    *out = sn;
    return STORE_OK;
}

void schedule_view_release(schedule *s, snapshot *sn)
{
    snapshot_release(s, sn);
}
