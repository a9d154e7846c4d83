#include "store/counts.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/idmap.h"

typedef struct groups {
    store_day_group *v;
    size_t n, cap;
    size_t day_first; /* while reading: where the last day's groups begin */
} groups;

typedef struct id_set {
    int64_t *v;
    size_t n, cap;
} id_set;

typedef struct distributor {
    int64_t id;
    char *name, *country_name, *country_code; /* NULL: null */
} distributor;

typedef struct distributors {
    distributor *v;
    size_t n, cap;
} distributors;

struct counts {
    pthread_mutex_t lock;
    int64_t gen; /* the generation of every day held, and of dists */
    idmap days;  /* day -> index of its first group << 32 | its number of groups */
    groups held; /* the groups of the days held, a day's groups together */
    /* every distributor; none held when empty (an empty table is never
     * held: its generation is unknown) */
    distributors dists;
};

/* What a filter matches once its names are resolved to distributor ids. */
typedef struct matcher {
    const episode_filter *f;
    id_set named;   /* distributors called f->distributor */
    id_set country; /* distributors of f->country */
} matcher;

counts *counts_new(void)
{
    counts *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->gen = -1;
    idmap_init(&c->days);
    return c;
}

static void distributors_free(distributors *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].name);
        free(d->v[i].country_name);
        free(d->v[i].country_code);
    }
    free(d->v);
    memset(d, 0, sizeof(*d));
}

void counts_free(counts *c)
{
    if (!c)
        return;
    distributors_free(&c->dists);
    idmap_free(&c->days);
    free(c->held.v);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 64;
    void *p;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    if (!(p = realloc(*v, n * size)))
        return -1;
    *v = p;
    *cap = n;
    return 0;
}

static int groups_add(groups *g, const store_day_group *x)
{
    if (grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v)) != 0)
        return -1;
    g->v[g->n++] = *x;
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    const store_day_group *x = a, *y = b;
    int xn = isnan(x->show_rating), yn = isnan(y->show_rating);

    if (x->network_id != y->network_id)
        return x->network_id < y->network_id ? -1 : 1;
    if (x->web_channel_id != y->web_channel_id)
        return x->web_channel_id < y->web_channel_id ? -1 : 1;
    if (xn || yn)
        return yn - xn; /* no rating first */
    return (x->show_rating > y->show_rating) - (x->show_rating < y->show_rating);
}

/* Merges the last day's episodes into one group per key. */
static void groups_merge_day(groups *g)
{
    store_day_group *v = g->v + g->day_first;
    size_t n = g->n - g->day_first, k = 0;

    if (n < 2)
        return;
    qsort(v, n, sizeof(*v), key_cmp);
    for (size_t i = 1; i < n; i++) {
        if (key_cmp(&v[k], &v[i]) == 0)
            v[k].n += v[i].n;
        else
            v[++k] = v[i];
    }
    g->n = g->day_first + k + 1;
}

/* Reads episodes (groups of one, by day), merging each day as it ends. */
static int groups_collect(void *ctx, const store_day_group *x)
{
    groups *g = ctx;

    if (g->n && g->v[g->n - 1].day != x->day) {
        groups_merge_day(g);
        g->day_first = g->n;
    }
    return groups_add(g, x);
}

static int id_add(id_set *s, int64_t id)
{
    if (grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) != 0)
        return -1;
    s->v[s->n++] = id;
    return 0;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int distributor_collect(void *ctx, int64_t id, const char *name, const char *country_name,
                               const char *country_code)
{
    distributors *d = ctx;
    distributor *x;

    if (grow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v)) != 0)
        return -1;
    x = &d->v[d->n++];
    x->id = id;
    x->name = dup_or_null(name);
    x->country_name = dup_or_null(country_name);
    x->country_code = dup_or_null(country_code);
    return (name && !x->name) || (country_name && !x->country_name) ||
                   (country_code && !x->country_code)
               ? -1
               : 0;
}

static int same(const char *s, const char *v, size_t n)
{
    return s && strlen(s) == n && memcmp(s, v, n) == 0;
}

/* The ids of the distributors f names, by the same comparisons as the page
 * query's WHERE clause (store_read.c): byte for byte. */
static int match_distributors(const distributors *d, matcher *m)
{
    const episode_filter *f = m->f;
    char code[3];

    store_country_code(f, code);
    for (size_t i = 0; i < d->n; i++) {
        const distributor *x = &d->v[i];
        if (f->distributor && same(x->name, f->distributor, f->distributor_len) &&
            id_add(&m->named, x->id) != 0)
            return -1;
        if (f->country &&
            (same(x->country_name, f->country, f->country_len) ||
             same(x->country_code, code, strlen(code))) &&
            id_add(&m->country, x->id) != 0)
            return -1;
    }
    return 0;
}

static void forget_all(counts *c, int64_t gen)
{
    distributors_free(&c->dists);
    idmap_free(&c->days);
    idmap_init(&c->days);
    c->held.n = 0;
    c->gen = gen;
}

/* Locks c, first dropping what it holds when gen is newer; 1 when what it
 * holds is of gen (a caller behind the others' generation reads for
 * itself). */
static int lock_at(counts *c, int64_t gen)
{
    pthread_mutex_lock(&c->lock);
    if (gen > c->gen)
        forget_all(c, gen);
    return gen == c->gen;
}

/* Resolves f's names to ids from the distributors held for gen, reading
 * them first when they are not. */
static int resolve(counts *c, store *st, int64_t gen, matcher *m)
{
    distributors read = {0};
    int64_t read_gen;
    int rc;

    if (lock_at(c, gen) && c->dists.n) {
        rc = match_distributors(&c->dists, m);
        pthread_mutex_unlock(&c->lock);
        return rc == 0 ? STORE_OK : STORE_ERR;
    }
    pthread_mutex_unlock(&c->lock);
    if ((rc = store_all_distributors(st, distributor_collect, &read, &read_gen)) != STORE_OK)
        goto done;
    if (match_distributors(&read, m) != 0) {
        rc = STORE_ERR;
        goto done;
    }
    pthread_mutex_lock(&c->lock);
    if (read_gen == gen && c->gen == gen && !c->dists.n) {
        c->dists = read;
        memset(&read, 0, sizeof(read));
    }
    pthread_mutex_unlock(&c->lock);
done:
    distributors_free(&read);
    return rc;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

static void id_sort(id_set *s)
{
    if (s->n)
        qsort(s->v, s->n, sizeof(*s->v), id_cmp);
}

static int id_in(const id_set *s, int64_t id)
{
    return id && s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), id_cmp);
}

/* The same test as the page query's WHERE clause (store_read.c), in C. */
static int matches(const matcher *m, const store_day_group *g)
{
    const episode_filter *f = m->f;

    if (f->distributor && !id_in(&m->named, g->network_id) && !id_in(&m->named, g->web_channel_id))
        return 0;
    if (f->country && !id_in(&m->country, g->network_id) && !id_in(&m->country, g->web_channel_id))
        return 0;
    /* a show without a rating (NaN) never passes a minimum */
    return !f->has_min_rating || g->show_rating >= f->min_rating;
}

/* Per day from d0: the episodes f matches, and all episodes. */
typedef struct day_sums {
    int64_t matched[COUNTS_MAX_DAYS];
    int64_t all[COUNTS_MAX_DAYS];
} day_sums;

static void sum(const matcher *m, const store_day_group *v, size_t n, int32_t d0, day_sums *ds)
{
    for (size_t i = 0; i < n; i++) {
        ds->all[v[i].day - d0] += v[i].n;
        if (matches(m, &v[i]))
            ds->matched[v[i].day - d0] += v[i].n;
    }
}

/* Sums the days held into ds, marking them in held; the first and last day
 * not held go into *r0 and *r1. Returns the number of days not held. Locked. */
static int sum_held(counts *c, const matcher *m, int32_t d0, int32_t d1, day_sums *ds, char *held,
                    int32_t *r0, int32_t *r1)
{
    int64_t span;
    int missing = 0;

    for (int32_t d = d0; d <= d1; d++) {
        if (!idmap_get(&c->days, d, &span)) {
            *r0 = missing++ ? *r0 : d;
            *r1 = d;
            continue;
        }
        held[d - d0] = 1;
        sum(m, c->held.v + ((uint64_t)span >> 32), (size_t)(span & 0xffffffff), d0, ds);
    }
    return missing;
}

static int day_cmp(const void *a, const void *b)
{
    int32_t x = ((const store_day_group *)a)->day, y = ((const store_day_group *)b)->day;

    return (x > y) - (x < y);
}

/* Keeps a window read from the database, its groups sorted by day. Locked.
 * A day already held is kept as it is: it was read at the same generation. */
static void hold(counts *c, const groups *read, int32_t d0, int32_t d1)
{
    size_t i = 0, first, cost = read->n + (size_t)(d1 - d0 + 1);
    int64_t span;

    /* groups and days held, against the bound */
    if (c->held.n + c->days.n + cost > COUNTS_MAX_GROUPS)
        forget_all(c, c->gen);
    if (cost > COUNTS_MAX_GROUPS)
        return;
    if (grow((void **)&c->held.v, &c->held.cap, c->held.n + read->n, sizeof(*c->held.v)) != 0)
        return;
    for (int32_t d = d0; d <= d1; d++) {
        for (first = i; i < read->n && read->v[i].day == d; i++)
            ;
        if (idmap_get(&c->days, d, &span))
            continue;
        span = (int64_t)((uint64_t)c->held.n << 32 | (uint64_t)(i - first));
        if (idmap_put(&c->days, d, span) != 0)
            return;
        if (i > first)
            memcpy(c->held.v + c->held.n, read->v + first, (i - first) * sizeof(*read->v));
        c->held.n += i - first;
    }
}

/* Reads days r0..r1 from the database and sums those not held into ds;
 * keeps them when they are of the generation the caller sees. *read_gen: the
 * generation they were read at, -1 when there were no episodes. */
static int sum_read(counts *c, store *st, int64_t gen, const matcher *m, int32_t d0, int32_t r0,
                    int32_t r1, const char *held, day_sums *ds, int64_t *read_gen)
{
    groups read = {0};
    char from[DATE_LEN + 1], to[DATE_LEN + 1];
    size_t i = 0, first;
    int rc;

    date_format(r0, from);
    date_format(r1, to);
    rc = store_day_groups(st, from, to, groups_collect, &read, read_gen);
    if (rc != STORE_OK)
        goto done;
    groups_merge_day(&read);
    if (read.n)
        qsort(read.v, read.n, sizeof(*read.v), day_cmp); /* whatever order the rows came in */
    while (i < read.n) {
        for (first = i; i < read.n && read.v[i].day == read.v[first].day; i++)
            ;
        if (!held[read.v[first].day - d0])
            sum(m, read.v + first, i - first, d0, ds);
    }
    if (*read_gen == gen) {
        pthread_mutex_lock(&c->lock);
        if (c->gen == gen)
            hold(c, &read, r0, r1);
        pthread_mutex_unlock(&c->lock);
    }
done:
    free(read.v);
    return rc;
}

/* The episodes f matches on each day of d0..d1, and all episodes, into ds:
 * from the days held, the others read (the span between the first and the
 * last not held). When what was read is of another generation than the days
 * held, the whole window is read again, so the sums never mix generations. */
static int sum_days(counts *c, store *st, int64_t gen, const matcher *m, int32_t d0, int32_t d1,
                    day_sums *ds)
{
    char held[COUNTS_MAX_DAYS] = {0};
    int32_t r0 = d0, r1 = d1;
    int64_t read_gen;
    int missing = d1 - d0 + 1, rc;

    if (lock_at(c, gen))
        missing = sum_held(c, m, d0, d1, ds, held, &r0, &r1);
    pthread_mutex_unlock(&c->lock);
    if (!missing)
        return STORE_OK;
    rc = sum_read(c, st, gen, m, d0, r0, r1, held, ds, &read_gen);
    if (rc != STORE_OK || read_gen == gen || read_gen < 0 || missing == d1 - d0 + 1)
        return rc;
    memset(ds, 0, sizeof(*ds));
    memset(held, 0, sizeof(held));
    return sum_read(c, st, gen, m, d0, d0, d1, held, ds, &read_gen);
}

/* The days that hold rows [offset, offset + limit) of the matches, and the
 * offset of the first of those rows within them. Then whether to read them
 * by show: a scan of the days' schedule checks entries until it has the
 * page, about all * wanted / matched of them; finding a filter's episodes
 * by its shows costs about BY_SHOW_COST entries' worth a match. */
#define BY_SHOW_COST 8

static void narrow(const episode_filter *f, const day_sums *ds, int32_t d0, int32_t d1,
                   int64_t offset, int limit, counts_page *page)
{
    const int64_t *per_day = ds->matched;
    int64_t before = 0, end = offset + limit, matched = 0, all = 0, wanted;
    int32_t first = d0, last;

    while (first < d1 && before + per_day[first - d0] <= offset)
        before += per_day[first++ - d0];
    page->offset = offset - before;
    for (last = first; last < d1 && before + per_day[last - d0] < end; last++)
        before += per_day[last - d0];
    page->first_day = first;
    page->last_day = last;
    for (int32_t d = first; d <= last; d++) {
        matched += per_day[d - d0];
        all += ds->all[d - d0];
    }
    wanted = page->offset + limit < matched ? page->offset + limit : matched;
    page->by_show = (f->distributor || f->country) && matched > 0 &&
                    matched * BY_SHOW_COST * matched <= all * wanted;
}

/* A copy of an id set in the arena; NULL when out of memory. */
static int64_t *id_copy(arena *a, const id_set *s)
{
    int64_t *v = arena_alloc(a, (s->n ? s->n : 1) * sizeof(*v));

    if (v && s->n)
        memcpy(v, s->v, s->n * sizeof(*v));
    return v;
}

int counts_episodes(counts *c, store *st, int64_t gen, const episode_filter *f, int64_t offset,
                    int limit, arena *a, counts_page *page)
{
    matcher m = {.f = f};
    day_sums ds = {{0}, {0}};
    int32_t d0, d1;
    int rc = STORE_OK;

    memset(page, 0, sizeof(*page));
    if (date_parse(f->from, strlen(f->from), &d0) != 0 ||
        date_parse(f->to, strlen(f->to), &d1) != 0 || d0 > d1 || d1 - d0 >= COUNTS_MAX_DAYS)
        return STORE_OK; /* the API refuses such windows before asking */
    page->first_day = d0;
    page->last_day = d1;
    if (f->distributor || f->country) {
        if ((rc = resolve(c, st, gen, &m)) != STORE_OK)
            goto done;
        if ((f->distributor && !m.named.n) || (f->country && !m.country.n))
            goto done; /* a name no distributor has: nothing matches */
        id_sort(&m.named);
        id_sort(&m.country);
    }
    if ((rc = sum_days(c, st, gen, &m, d0, d1, &ds)) != STORE_OK)
        goto done;
    for (int32_t d = d0; d <= d1; d++)
        page->total += ds.matched[d - d0];
    narrow(f, &ds, d0, d1, offset, limit, page);
    if (page->by_show) {
        page->named_ids = id_copy(a, &m.named);
        page->country_ids = id_copy(a, &m.country);
        page->n_named = m.named.n;
        page->n_country = m.country.n;
        if (!page->named_ids || !page->country_ids)
            page->by_show = 0; /* out of memory: the scan needs none */
    }
done:
    free(m.named.v);
    free(m.country.v);
    return rc;
}

void counts_page_filter(const counts_page *page, const episode_filter *f, episode_filter *out)
{
    *out = *f;
    date_format(page->first_day, out->from);
    date_format(page->last_day, out->to);
    out->by_show = page->by_show;
    out->named_ids = page->named_ids;
    out->country_ids = page->country_ids;
    out->n_named = page->n_named;
    out->n_country = page->n_country;
}
