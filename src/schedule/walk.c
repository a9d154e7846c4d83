/* The walk that answers a schedule query: the query resolved against a
 * snapshot (names to ids and bits), each day's entries matched in the
 * schedule's order or merged into a zone's, days outside the page counted
 * from their summaries. See schedule.h for the contract. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schedule/schedule_internal.h"
#include "util/tz.h"

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
    id = schedule_word_id(s, t->s, t->n);
    return id ? (int)id : 0x10000; /* a word never seen matches nothing */
}

static int matcher_init(schedule *s, const view *v, const sched_query *q, matcher *m)
{
    /* the distributors are read once per snapshot and never change after */
    memset(m, 0, sizeof(*m));
    m->q = q;
    m->by_dist = q->ndistributors > 0;
    m->by_country = q->country.s != NULL;
    if ((m->by_dist || m->by_country) && resolve_names(v->dists, v->ndists, q, m) != 0)
        return -1;
    for (size_t i = 0; i < q->ngenres; i++) {
        unsigned id = schedule_genre_id(s, q->genres[i].s, q->genres[i].n);
        if (id)
            m->genres_any |= (uint64_t)1 << (id - 1);
    }
    /* genres asked for that no show has: nothing matches */
    m->nothing = q->ngenres && !m->genres_any;
    for (size_t i = 0; i < q->nexclude_genres; i++) {
        unsigned id = schedule_genre_id(s, q->exclude_genres[i].s, q->exclude_genres[i].n);
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

int schedule_rows(schedule *s, store *st, int64_t gen, const sched_query *q, int64_t offset,
                  size_t cap, sched_row *rows, size_t *n, int64_t *total)
{
    int32_t first = q->tz ? q->from - ZONE_MARGIN : q->from,
            last = q->tz ? q->to + ZONE_MARGIN : q->to;
    snapshot *sn;
    matcher m;
    view *v;
    walk w;
    int rc;

    *n = 0;
    *total = 0;
    if (last - first + 1 > SCHEDULE_MAX_DAYS || q->from > q->to)
        return STORE_OK;
    if (!(v = malloc(sizeof(*v))))
        return STORE_ERR;
    rc = schedule_view(s, st, gen, first, last, q->ndistributors || q->country.s, v, &sn);
    if (rc != STORE_OK)
        goto done;
    if (matcher_init(s, v, q, &m) != 0) {
        rc = STORE_ERR;
        goto release;
    }
    w = (walk){&m, offset, cap, rows, 0, 0, unfiltered(&m)};
    if (q->tz)
        walk_local_days(v, q, &w);
    else
        walk_airdates(v, q, &w);
    *n = w.n;
    *total = w.total;
release:
    matcher_free(&m);
    schedule_view_release(s, sn);
done:
    free(v);
    return rc;
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
