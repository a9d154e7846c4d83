#include "schedule/names.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_read.h"

#define MIN_SCORE 0.5 /* of the query's trigrams, at least this share found */

/* ---- trigrams and ranks ---- */

static int trigram_cmp(const void *x, const void *y)
{
    return strcmp(((const names_trigram *)x)->b, ((const names_trigram *)y)->b);
}

size_t names_trigrams(const char *s, names_trigram *out, size_t max)
{
    typedef struct ch {
        const char *p;
        size_t len;
    } ch;
    static const ch space = {" ", 1};
    ch word[NAMES_TRIGRAMS_MAX + 3];
    size_t n = 0, u = 0;

    while (*s) {
        size_t k = 0;
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        word[k++] = space;
        word[k++] = space;
        while (*s && *s != ' ') {
            size_t len = 1;
            while ((s[len] & 0xC0) == 0x80)
                len++;
            if (k < NAMES_TRIGRAMS_MAX + 2)
                word[k++] = (ch){s, len};
            s += len;
        }
        word[k++] = space;
        for (size_t i = 0; i + 3 <= k && n < max; i++) {
            char *w = out[n].b;
            for (size_t c = i; c < i + 3; c++) {
                memcpy(w, word[c].p, word[c].len);
                w += word[c].len;
            }
            *w = '\0';
            n++;
        }
    }
    qsort(out, n, sizeof(*out), trigram_cmp);
    for (size_t i = 0; i < n; i++)
        if (!u || strcmp(out[u - 1].b, out[i].b))
            out[u++] = out[i];
    return u;
}

static size_t trigrams_common(const names_trigram *a, size_t na, const names_trigram *b, size_t nb)
{
    size_t i = 0, j = 0, c = 0;

    while (i < na && j < nb) {
        int d = strcmp(a[i].b, b[j].b);
        c += !d;
        i += d <= 0;
        j += d >= 0;
    }
    return c;
}

static int has_word_prefix(const char *name, const char *q)
{
    for (const char *p = name; (p = strstr(p, q)); p++)
        if (p == name || p[-1] == ' ')
            return 1;
    return 0;
}

/* The rank of name for query when the trigrams are counted: `common` of
 * the query's nq are in the name's nn. `contains` 0 says the name cannot
 * hold the query (it lacks one of the query's inner trigrams), which
 * spares the string comparisons. */
static void rank_counted(const char *query, const char *name, int contains, size_t common,
                         size_t nq, size_t nn, int *rank, double *score)
{
    size_t qn = strlen(query);

    *score = 0;
    if (!qn || !name) {
        *rank = NAMES_NONE;
        return;
    }
    if (contains && !strcmp(name, query)) {
        *rank = NAMES_EXACT;
        *score = 1;
        return;
    }
    if (contains && !strncmp(name, query, qn))
        *rank = NAMES_PREFIX;
    else if (contains && has_word_prefix(name, query))
        *rank = NAMES_WORD_PREFIX;
    else if (contains && strstr(name, query))
        *rank = NAMES_SUBSTRING;
    else
        *rank = NAMES_SIMILAR;
    if (nq)
        *score =
            0.8 * (double)common / (double)nq + 0.2 * (double)common / (double)(nq + nn - common);
    if (*rank == NAMES_SIMILAR && (!nq || (double)common / (double)nq < MIN_SCORE))
        *rank = NAMES_NONE;
}

void names_rank(const char *query, const char *name, int *rank, double *score)
{
    names_trigram *q, *t;
    size_t nq, nt;

    if (!*query || !name) {
        rank_counted(query, name, 1, 0, 0, 0, rank, score);
        return;
    }
    if (!(q = malloc(2 * NAMES_TRIGRAMS_MAX * sizeof(*q)))) {
        *rank = NAMES_NONE;
        *score = 0;
        return;
    }
    t = q + NAMES_TRIGRAMS_MAX;
    nq = names_trigrams(query, q, NAMES_TRIGRAMS_MAX);
    nt = names_trigrams(name, t, NAMES_TRIGRAMS_MAX);
    rank_counted(query, name, 1, trigrams_common(q, nq, t, nt), nq, nt, rank, score);
    free(q);
}

int names_hit_cmp(const void *x, const void *y)
{
    const names_hit *a = x, *b = y;
    int c;

    if (a->rank != b->rank)
        return a->rank - b->rank;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->weight != b->weight)
        return b->weight - a->weight;
    if ((c = strcmp(a->name ? a->name : "", b->name ? b->name : "")))
        return c;
    return (a->id > b->id) - (a->id < b->id);
}

/* ---- the index ---- */

/* A trigram as a number: its (up to 12) bytes in two words, zero-padded,
 * so that finding one is comparing integers. */
typedef struct gram_key {
    uint64_t hi, lo;
} gram_key;

static gram_key gram_key_of(const char *b)
{
    unsigned char bytes[16] = {0};
    gram_key k = {0, 0};

    memcpy(bytes, b, strlen(b));
    for (int i = 0; i < 8; i++) {
        k.hi = k.hi << 8 | bytes[i];
        k.lo = k.lo << 8 | bytes[8 + i];
    }
    return k;
}

static int gram_key_cmp(gram_key a, gram_key b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return (a.lo > b.lo) - (a.lo < b.lo);
}

typedef struct name_entry {
    int64_t id;
    size_t name, folded; /* offsets into the index's text */
    int weight;
    uint32_t ngrams; /* distinct trigrams of the folded name */
    int long_name;   /* so long its trigrams may be cut: compared as text */
} name_entry;

/* A (trigram, show) pair while building. */
typedef struct posting {
    gram_key key;
    uint32_t show;
} posting;

typedef struct name_gen {
    atomic_int refs;
    int64_t gen;
    name_entry *shows;
    size_t nshows, cap;
    char *text; /* every name and folded name, NUL-terminated */
    size_t ntext, textcap;
    gram_key *grams; /* sorted, each once */
    uint32_t *start; /* ngrams + 1: the shows of grams[i] are post[start[i] .. start[i + 1]) */
    uint32_t *post;
    size_t ngrams, npost;
    uint32_t *longs; /* the shows whose names are compared as text */
    size_t nlongs;
    size_t bytes, budget;
    int over; /* past the budget while building */
} name_gen;

struct name_index {
    pthread_mutex_t lock;
    name_gen *cur;
    size_t budget;
    int building;
    int64_t over_gen; /* a generation found too large for the budget (-1: none) */
};

static void index_unref(name_gen *x)
{
    if (!x || atomic_fetch_sub_explicit(&x->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(x->shows);
    free(x->text);
    free(x->grams);
    free(x->start);
    free(x->post);
    free(x->longs);
    free(x);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    size_t c = *cap ? *cap : 1024;
    void *q;

    if (need <= *cap)
        return 0;
    while (c < need)
        c *= 2;
    if (!(q = realloc(*p, c * size)))
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static size_t text_add(name_gen *x, const char *s)
{
    size_t n = strlen(s ? s : "") + 1, at = x->ntext;

    if (grow((void **)&x->text, &x->textcap, x->ntext + n, 1) != 0)
        return SIZE_MAX;
    memcpy(x->text + at, s ? s : "", n);
    x->ntext += n;
    return at;
}

static int index_add_show(void *ctx, const store_show_name *s)
{
    name_gen *x = ctx;
    name_entry *e;

    if (x->over)
        return 0; /* the statement runs to its end; nothing more is kept */
    if (grow((void **)&x->shows, &x->cap, x->nshows + 1, sizeof(*x->shows)) != 0)
        return -1;
    e = &x->shows[x->nshows];
    e->id = s->id;
    e->weight = s->weight;
    e->ngrams = 0;
    if ((e->name = text_add(x, s->name)) == SIZE_MAX ||
        (e->folded = text_add(x, s->search_name)) == SIZE_MAX)
        return -1;
    x->nshows++;
    /* the text, the entries and about 16 trigrams of 8 bytes a show */
    x->bytes = x->textcap + x->cap * (sizeof(name_entry) + 16 * 8);
    x->over = x->bytes > x->budget;
    return 0;
}

static int posting_cmp(const void *a, const void *b)
{
    const posting *p = a, *q = b;
    int c = gram_key_cmp(p->key, q->key);

    return c ? c : (p->show > q->show) - (p->show < q->show);
}

/* The posting lists of every show's trigrams. -1: out of memory or over
 * the budget. */
static int index_invert(name_gen *x)
{
    names_trigram *t = malloc(NAMES_TRIGRAMS_MAX * sizeof(*t));
    posting *pairs = NULL;
    size_t npairs = 0, cap = 0, longcap = 0;
    int rc = -1;

    if (!t)
        return -1;
    for (size_t i = 0; i < x->nshows; i++) {
        size_t n = names_trigrams(x->text + x->shows[i].folded, t, NAMES_TRIGRAMS_MAX);
        if (grow((void **)&pairs, &cap, npairs + n, sizeof(*pairs)) != 0)
            goto out;
        for (size_t k = 0; k < n; k++)
            pairs[npairs++] = (posting){gram_key_of(t[k].b), (uint32_t)i};
        x->shows[i].ngrams = (uint32_t)n;
        /* a word of k characters has k + 1 trigrams: under half the
         * maximum in bytes, none is cut */
        x->shows[i].long_name = strlen(x->text + x->shows[i].folded) >= NAMES_TRIGRAMS_MAX / 2;
        if (x->shows[i].long_name &&
            grow((void **)&x->longs, &longcap, x->nlongs + 1, sizeof(*x->longs)) != 0)
            goto out;
        if (x->shows[i].long_name)
            x->longs[x->nlongs++] = (uint32_t)i;
    }
    x->bytes += npairs * (sizeof(uint32_t) + sizeof(gram_key) + sizeof(uint32_t));
    if (x->bytes > x->budget) {
        x->over = 1;
        goto out;
    }
    x->grams = calloc(npairs + 1, sizeof(*x->grams));
    x->start = calloc(npairs + 1, sizeof(*x->start));
    x->post = calloc(npairs + 1, sizeof(*x->post));
    if (!x->grams || !x->start || !x->post)
        goto out;
    if (!pairs) /* no show has a trigram */
        npairs = 0;
    else
        qsort(pairs, npairs, sizeof(*pairs), posting_cmp);
    for (size_t i = 0; pairs && i < npairs; i++) {
        gram_key k = pairs[i].key;
        if (!i || gram_key_cmp(pairs[i - 1].key, k)) {
            x->grams[x->ngrams] = k;
            x->start[x->ngrams++] = (uint32_t)i;
        }
        x->post[i] = pairs[i].show;
    }
    x->start[x->ngrams] = (uint32_t)npairs;
    x->npost = npairs;
    rc = 0;
out:
    free(pairs);
    free(t);
    return rc;
}

/* A new index of the generation st is at: *out NULL (and STORE_OK) when
 * it is over the budget. */
static int index_build(store *st, size_t budget, int64_t gen, name_gen **out)
{
    name_gen *x = calloc(1, sizeof(*x));
    int rc;

    *out = NULL;
    if (!x)
        return STORE_ERR;
    atomic_init(&x->refs, 1);
    x->budget = budget;
    if ((rc = store_show_names(st, index_add_show, x, &x->gen)) != STORE_OK)
        goto fail;
    if (x->gen < 0)
        x->gen = gen; /* no show has episodes: the caller's generation */
    if (!x->over && index_invert(x) != 0 && !x->over) {
        rc = STORE_ERR;
        goto fail;
    }
    if (x->over) {
        index_unref(x);
        return STORE_OK;
    }
    *out = x;
    return STORE_OK;
fail:
    index_unref(x);
    return rc;
}

static const uint32_t *postings(const name_gen *x, const char *gram, size_t *n)
{
    gram_key k = gram_key_of(gram);
    size_t lo = 0, hi = x->ngrams;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = gram_key_cmp(x->grams[mid], k);
        if (!c) {
            *n = x->start[mid + 1] - x->start[mid];
            return x->post + x->start[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *n = 0;
    return NULL;
}

/* Keeps the best `limit` of the hits offered, in order, in best[0..*n). */
static void keep_best(names_hit *best, size_t *n, int limit, const names_hit *h)
{
    size_t i = *n;

    if (*n == (size_t)limit) {
        if (names_hit_cmp(h, &best[*n - 1]) >= 0)
            return;
        i = --*n;
    }
    while (i > 0 && names_hit_cmp(h, &best[i - 1]) < 0) {
        best[i] = best[i - 1];
        i--;
    }
    best[i] = *h;
    ++*n;
}

/* A search's state: every show's count of the query's trigrams (the low
 * 16 bits all of them, the high 16 bits the inner ones, without padding,
 * which a name that holds the query has every one of), the shows counted
 * at all, and the best hits so far. */
typedef struct search {
    const name_gen *x;
    const char *q;
    size_t nq, inner;
    uint32_t *count, *touched;
    size_t ntouched;
    names_hit *best;
    size_t nbest;
    int limit;
} search;

static void search_consider(search *s, uint32_t i)
{
    const name_entry *e = &s->x->shows[i];
    size_t common = s->count[i] & 0xFFFF;
    int contains = (s->count[i] >> 16) == s->inner || e->long_name;
    names_hit h;

    /* neither holding the query nor sharing half its trigrams */
    if (!contains && (double)common < MIN_SCORE * (double)s->nq)
        return;
    rank_counted(s->q, s->x->text + e->folded, contains, common, s->nq, e->ngrams, &h.rank,
                 &h.score);
    if (h.rank == NAMES_NONE)
        return;
    h.id = e->id;
    h.name = s->x->text + e->name;
    h.weight = e->weight;
    h.at = i;
    keep_best(s->best, &s->nbest, s->limit, &h);
}

static int index_search(const name_gen *x, const char *q, int limit, int64_t *ids, size_t *nids)
{
    names_trigram *t = malloc(NAMES_TRIGRAMS_MAX * sizeof(*t));
    search s = {x,
                q,
                0,
                0,
                calloc(x->nshows + 1, sizeof(uint32_t)),
                malloc((x->nshows + 1) * sizeof(uint32_t)),
                0,
                malloc((size_t)limit * sizeof(names_hit)),
                0,
                limit};
    int rc = -1;

    if (!t || !s.count || !s.touched || !s.best)
        goto out;
    s.nq = names_trigrams(q, t, NAMES_TRIGRAMS_MAX);
    for (size_t i = 0; i < s.nq; i++) {
        int in = !strchr(t[i].b, ' ');
        size_t n;
        const uint32_t *p = postings(x, t[i].b, &n);
        s.inner += in;
        for (size_t k = 0; k < n; k++) {
            if (!s.count[p[k]])
                s.touched[s.ntouched++] = p[k];
            s.count[p[k]] += in ? 0x10001u : 1u;
        }
    }
    if (!s.inner) { /* too short to count: every name is looked at */
        for (uint32_t i = 0; i < x->nshows; i++)
            search_consider(&s, i);
    } else { /* a show no trigram counted neither holds nor resembles q */
        for (size_t k = 0; k < s.ntouched; k++)
            if (!x->shows[s.touched[k]].long_name)
                search_consider(&s, s.touched[k]);
        for (size_t k = 0; k < x->nlongs; k++)
            search_consider(&s, x->longs[k]);
    }
    for (size_t i = 0; i < s.nbest; i++)
        ids[i] = s.best[i].id;
    *nids = s.nbest;
    rc = 0;
out:
    free(t);
    free(s.count);
    free(s.touched);
    free(s.best);
    return rc;
}

name_index *names_new(size_t budget)
{
    name_index *n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    if (pthread_mutex_init(&n->lock, NULL) != 0) {
        free(n);
        return NULL;
    }
    n->budget = budget;
    n->over_gen = -1;
    return n;
}

void names_free(name_index *n)
{
    if (!n)
        return;
    index_unref(n->cur);
    pthread_mutex_destroy(&n->lock);
    free(n);
}

/* The held index when it is of gen or later, with a reference for the
 * caller; otherwise NULL, and *build 1 when the caller is to build it. */
static name_gen *names_take(name_index *n, int64_t gen, int *build)
{
    name_gen *x = NULL;

    *build = 0;
    pthread_mutex_lock(&n->lock);
    if (n->cur && n->cur->gen >= gen) {
        x = n->cur;
        atomic_fetch_add_explicit(&x->refs, 1, memory_order_relaxed);
    } else if (!n->building && n->over_gen < gen) {
        n->building = *build = 1;
    }
    pthread_mutex_unlock(&n->lock);
    return x;
}

/* Builds the index for gen and holds it (if it is newer than the held
 * one); returns it with a reference for the caller, or NULL. */
static int names_rebuild(name_index *n, store *st, int64_t gen, name_gen **out)
{
    name_gen *x;
    int rc = index_build(st, n->budget, gen, &x);

    pthread_mutex_lock(&n->lock);
    n->building = 0;
    if (rc == STORE_OK && !x)
        n->over_gen = gen;
    if (x && (!n->cur || x->gen >= n->cur->gen)) {
        name_gen *old = n->cur;
        n->cur = x;
        atomic_fetch_add_explicit(&x->refs, 1, memory_order_relaxed);
        pthread_mutex_unlock(&n->lock);
        index_unref(old);
    } else {
        pthread_mutex_unlock(&n->lock);
    }
    *out = x;
    return rc;
}

int names_search(name_index *n, store *st, int64_t gen, const char *q, int limit, int64_t *ids,
                 size_t *nids, int *answered)
{
    name_gen *x;
    int build, rc = STORE_OK;

    *nids = 0;
    *answered = 0;
    if (!n || !n->budget || limit <= 0)
        return STORE_OK;
    if (!(x = names_take(n, gen, &build)) && build)
        rc = names_rebuild(n, st, gen, &x);
    if (x) {
        if (index_search(x, q, limit, ids, nids) == 0)
            *answered = 1;
        index_unref(x);
    }
    return rc;
}

void names_stats(name_index *n, int64_t *gen, size_t *shows, size_t *bytes)
{
    pthread_mutex_lock(&n->lock);
    *gen = n->cur ? n->cur->gen : -1;
    *shows = n->cur ? n->cur->nshows : 0;
    *bytes = n->cur ? n->cur->bytes : 0;
    pthread_mutex_unlock(&n->lock);
}
