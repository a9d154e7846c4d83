#include "services/search.h"

#include <stdlib.h>
#include <string.h>

#include "util/fold.h"

#define TRIGRAMS_MAX 256
#define CANDIDATES   100
#define MIN_SCORE    0.5 /* of the query's trigrams, at least this share found */

enum { RANK_EXACT, RANK_PREFIX, RANK_WORD_PREFIX, RANK_SUBSTRING, RANK_SIMILAR, RANK_NONE };

typedef struct trigram {
    char b[13]; /* up to three UTF-8 characters, NUL-terminated */
} trigram;

static int trigram_cmp(const void *x, const void *y)
{
    return strcmp(((const trigram *)x)->b, ((const trigram *)y)->b);
}

/* pg_trgm's trigrams: each word padded with two spaces before and one
 * after, then every three consecutive characters; sorted, each once.
 * Returns how many. */
static size_t trigrams(const char *s, trigram *out, size_t max)
{
    typedef struct ch {
        const char *p;
        size_t len;
    } ch;
    static const ch space = {" ", 1};
    ch word[FOLD_MAX + 3];
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
            if (k < FOLD_MAX + 2)
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

static size_t common(const trigram *a, size_t na, const trigram *b, size_t nb)
{
    size_t i = 0, j = 0, c = 0;

    while (i < na && j < nb) {
        int d = strcmp(a[i].b, b[j].b);
        if (!d) {
            c++;
            i++;
            j++;
        } else if (d < 0) {
            i++;
        } else {
            j++;
        }
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

void search_rank(const char *query, const char *name, int *rank, double *score)
{
    size_t qn = strlen(query);
    trigram *q, *t;
    size_t nq, nt, c;

    *score = 0;
    if (!qn || !name) {
        *rank = RANK_NONE;
        return;
    }
    if (!strcmp(name, query)) {
        *rank = RANK_EXACT;
        *score = 1;
        return;
    }
    if (!strncmp(name, query, qn))
        *rank = RANK_PREFIX;
    else if (has_word_prefix(name, query))
        *rank = RANK_WORD_PREFIX;
    else if (strstr(name, query))
        *rank = RANK_SUBSTRING;
    else
        *rank = RANK_SIMILAR;
    if (!(q = malloc(2 * TRIGRAMS_MAX * sizeof(*q)))) {
        *rank = *rank == RANK_SIMILAR ? RANK_NONE : *rank;
        return;
    }
    t = q + TRIGRAMS_MAX;
    nq = trigrams(query, q, TRIGRAMS_MAX);
    nt = trigrams(name, t, TRIGRAMS_MAX);
    c = common(q, nq, t, nt);
    /* mostly how much of the query the name holds; a little of how much
     * else it has, so that the closer of two names comes first */
    if (nq)
        *score = 0.8 * (double)c / (double)nq + 0.2 * (double)c / (double)(nq + nt - c);
    if (*rank == RANK_SIMILAR && (!nq || (double)c / (double)nq < MIN_SCORE))
        *rank = RANK_NONE;
    free(q);
}

typedef struct hit {
    tv_show *show;
    int rank;
    double score;
} hit;

static int hit_cmp(const void *x, const void *y)
{
    const hit *a = x, *b = y;
    int wa = a->show->has_weight ? a->show->weight : -1,
        wb = b->show->has_weight ? b->show->weight : -1;
    int c;

    if (a->rank != b->rank)
        return a->rank - b->rank;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (wa != wb)
        return wb - wa;
    if ((c = strcmp(a->show->name ? a->show->name : "", b->show->name ? b->show->name : "")))
        return c;
    return (a->show->id > b->show->id) - (a->show->id < b->show->id);
}

int search_shows(store *st, const char *q, size_t qlen, int limit, arena *a, tv_show **out,
                 size_t *n)
{
    char folded[FOLD_MAX * 4];
    size_t flen, k = 0;
    store_page page;
    hit *hits;
    int rc;

    *n = 0;
    if (text_fold(q, qlen, folded, sizeof(folded), &flen) != 0 || !flen)
        return STORE_OK;
    if ((rc = store_search_shows(st, folded, flen, CANDIDATES, a, &page)) != STORE_OK)
        return rc;
    if (!(hits = arena_alloc(a, (page.n + 1) * sizeof(*hits))))
        return STORE_ERR;
    for (size_t i = 0; i < page.n; i++) {
        hit h = {page.rows[i], 0, 0};
        search_rank(folded, h.show->search_name, &h.rank, &h.score);
        if (h.rank != RANK_NONE)
            hits[k++] = h;
    }
    qsort(hits, k, sizeof(*hits), hit_cmp);
    for (size_t i = 0; i < k && (int)i < limit; i++)
        out[(*n)++] = hits[i].show;
    return STORE_OK;
}
