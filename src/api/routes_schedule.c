/* GET /api/v1/tvshows — episodes airing in a date range. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "util/date.h"

#define MAX_RANGE_DAYS 366 /* days in the inclusive range */
#define ECHO_MAX       64  /* bytes of a bad value echoed back */
#define NAME_MAX_LEN   200

typedef struct tvshows_query {
    episode_filter f;
    int64_t page, per_page;
} tvshows_query;

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* Parses a date parameter or writes the contract's 400 naming its value. */
static int parse_date(http_response *res, const char *v, size_t n, int32_t *days, char out[11])
{
    char msg[128];
    size_t keep;
    int len;

    if (date_parse(v, n, days) == 0) {
        memcpy(out, v, 10);
        out[10] = '\0';
        return 0;
    }
    keep = utf8_prefix(v, n, ECHO_MAX);
    len = snprintf(msg, sizeof(msg), "Invalid date format: ");
    memcpy(msg + len, v, keep);
    api_error_n(res, 400, msg, (size_t)len + keep);
    return -1;
}

static int parse_query(api_request *r, http_response *res, tvshows_query *q)
{
    size_t nf = 0, nt = 0;
    const char *from = query_get(&r->q, "date_from", &nf);
    const char *to = query_get(&r->q, "date_to", &nt);
    int32_t d0, d1;
    param_rc rc;

    memset(q, 0, sizeof(*q));
    if (!from || !to || blank(from, nf) || blank(to, nt)) {
        api_error(res, 400, "date_from and date_to parameters are required", NULL);
        return -1;
    }
    if (parse_date(res, from, nf, &d0, q->f.from) || parse_date(res, to, nt, &d1, q->f.to))
        return -1;
    if (d0 > d1) {
        api_error(res, 400, "Start date cannot be after end date", NULL);
        return -1;
    }
    if (d1 - d0 + 1 > MAX_RANGE_DAYS) {
        api_error(res, 400, "Date range cannot exceed 366 days", NULL);
        return -1;
    }
    if (api_pagination(r, res, 25, &q->page, &q->per_page) != 0)
        return -1;
    rc = api_param_text(r, "distributor", NAME_MAX_LEN, &q->f.distributor, &q->f.distributor_len);
    if (rc == PARAM_BAD) {
        api_bad_param(res, "distributor", "must be a name of at most 200 characters");
        return -1;
    }
    rc = api_param_text(r, "country", NAME_MAX_LEN, &q->f.country, &q->f.country_len);
    if (rc == PARAM_BAD) {
        api_bad_param(res, "country", "must be a country name or ISO code");
        return -1;
    }
    rc = api_param_decimal(r, "rating", 0, 10, &q->f.min_rating);
    if (rc == PARAM_BAD) {
        api_bad_param(res, "rating", "must be a number from 0 to 10");
        return -1;
    }
    q->f.has_min_rating = rc == PARAM_OK;
    return 0;
}

static int build_tvshows(api_thread *t, api_request *r, http_response *res, void *ctx)
{
    const tvshows_query *q = ctx;
    int64_t offset = (q->page - 1) * q->per_page;
    store *st = api_store(t);
    episode_filter days;
    store_page page = {0};
    counts_page where;
    jw_writer w;
    int rc;

    (void)r;
    if (!st) {
        api_unavailable(res);
        return -1;
    }
    rc = counts_episodes(t->app->counts, st,
                         atomic_load_explicit(&t->app->generation, memory_order_acquire), &q->f,
                         offset, (int)q->per_page, &t->mem, &where);
    if (rc == STORE_OK && offset < where.total) {
        counts_page_filter(&where, &q->f, &days);
        rc = store_find_episodes(st, &days, where.offset, (int)q->per_page, &t->mem, &page);
    }
    if (rc != STORE_OK) {
        api_store_error(t, res, rc);
        return -1;
    }
    page.total = where.total;
    jw_begin(&w, &t->body);
    jw_obj_open(&w);
    render_list(&w, &page, RENDER_EPISODES, q->page, q->per_page);
    jw_obj_close(&w);
    return jw_end(&w);
}

void route_tvshows(api_thread *t, api_request *r, http_response *res)
{
    tvshows_query q;
    buf *key = &t->key;

    if (parse_query(r, res, &q) != 0)
        return;
    /* the canonical form of the query: parsed values in a fixed order, so
     * parameter order, repeats and spellings of one number share an entry */
    buf_reset(key);
    buf_puts(key, "tvshows;");
    api_key_add(key, "from", q.f.from, 10);
    api_key_add(key, "to", q.f.to, 10);
    if (q.f.distributor)
        api_key_add(key, "d", q.f.distributor, q.f.distributor_len);
    if (q.f.country)
        api_key_add(key, "c", q.f.country, q.f.country_len);
    if (q.f.has_min_rating)
        buf_printf(key, "r=%.17g;", q.f.min_rating);
    api_key_add_int(key, "p", q.page);
    api_key_add_int(key, "pp", q.per_page);
    api_serve_cached(t, r, res, key->data, key->len, build_tvshows, &q);
}
