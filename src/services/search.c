#include "services/search.h"

#include <stdlib.h>
#include <string.h>

#include "util/fold.h"

#define CANDIDATES 100 /* the store's index proposes this many */

/* The store's trigram index proposes candidates; they are ranked here. */
static int search_store(store *st, const char *folded, size_t flen, int limit, arena *a,
                        tv_show **out, size_t *n)
{
    store_page page;
    names_hit *hits;
    size_t k = 0;
    int rc;

    if ((rc = store_search_shows(st, folded, flen, CANDIDATES, a, &page)) != STORE_OK)
        return rc;
    if (!(hits = arena_alloc(a, (page.n + 1) * sizeof(*hits))))
        return STORE_ERR;
    for (size_t i = 0; i < page.n; i++) {
        tv_show *s = page.rows[i];
        names_hit h = {s->id, s->name, s->has_weight ? s->weight : -1, 0, 0, i};
        names_rank(folded, s->search_name, &h.rank, &h.score);
        if (h.rank != NAMES_NONE)
            hits[k++] = h;
    }
    qsort(hits, k, sizeof(*hits), names_hit_cmp);
    for (size_t i = 0; i < k && (int)i < limit; i++)
        out[(*n)++] = page.rows[hits[i].at];
    return STORE_OK;
}

int search_shows(read_model *m, store *st, const char *q, size_t qlen, int limit, arena *a,
                 tv_show **out, size_t *n)
{
    char folded[FOLD_MAX * 4];
    int64_t ids[SEARCH_LIMIT_MAX];
    tv_show *shows[SEARCH_LIMIT_MAX];
    size_t flen, nids;
    int answered, rc;

    *n = 0;
    if (limit > SEARCH_LIMIT_MAX)
        limit = SEARCH_LIMIT_MAX;
    if (text_fold(q, qlen, folded, sizeof(folded), &flen) != 0 || !flen)
        return STORE_OK;
    answered = 0;
    if (m && (rc = read_model_search(m, st, folded, limit, ids, &nids, &answered)) != STORE_OK)
        return rc;
    if (!answered)
        return search_store(st, folded, flen, limit, a, out, n);
    /* a search lists show objects: cards, mostly from the read model's memo */
    if (nids && (rc = read_model_cards(m, st, ids, nids, a, shows)) != STORE_OK)
        return rc;
    for (size_t i = 0; i < nids; i++)
        if (shows[i]) /* gone since the index was built */
            out[(*n)++] = shows[i];
    return STORE_OK;
}
