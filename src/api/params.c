/* Query parameters: strict parsing, one clear 400 naming the parameter. */
#include <stdio.h>
#include <string.h>

#include "api/api_internal.h"
#include "util/num.h"

#define PAGE_MAX     1000000
#define PER_PAGE_MAX 100

void api_bad_param(http_response *res, const char *key, const char *why)
{
    char msg[96];

    snprintf(msg, sizeof(msg), "Invalid parameter: %s", key);
    api_error(res, 400, msg, why);
}

param_rc api_param_text(const api_request *r, const char *key, size_t max, const char **v,
                        size_t *n)
{
    const char *s = query_get(&r->q, key, n);

    if (!s || !*n)
        return PARAM_ABSENT;
    if (*n > max || !utf8_valid(s, *n))
        return PARAM_BAD;
    for (size_t i = 0; i < *n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return PARAM_BAD;
    *v = s;
    return PARAM_OK;
}

param_rc api_param_int(const api_request *r, const char *key, int64_t min, int64_t max,
                       int64_t *out)
{
    size_t n;
    const char *s = query_get(&r->q, key, &n);
    int64_t v;

    if (!s || !n)
        return PARAM_ABSENT;
    if (num_parse_i64(s, n, &v) != 0 || v < min || v > max)
        return PARAM_BAD;
    *out = v;
    return PARAM_OK;
}

param_rc api_param_decimal(const api_request *r, const char *key, double min, double max,
                           double *out)
{
    size_t n;
    const char *s = query_get(&r->q, key, &n);
    double v;

    if (!s || !n)
        return PARAM_ABSENT;
    if (num_parse_decimal(s, n, &v) != 0 || v < min || v > max)
        return PARAM_BAD;
    *out = v;
    return PARAM_OK;
}

int api_pagination(const api_request *r, http_response *res, int64_t per_page_default,
                   int64_t *page, int64_t *per_page)
{
    char why[64];

    *page = 1;
    *per_page = per_page_default;
    if (api_param_int(r, "page", 1, PAGE_MAX, page) == PARAM_BAD) {
        snprintf(why, sizeof(why), "must be an integer from 1 to %d", PAGE_MAX);
        api_bad_param(res, "page", why);
        return -1;
    }
    if (api_param_int(r, "per_page", 1, PER_PAGE_MAX, per_page) == PARAM_BAD) {
        snprintf(why, sizeof(why), "must be an integer from 1 to %d", PER_PAGE_MAX);
        api_bad_param(res, "per_page", why);
        return -1;
    }
    return 0;
}

void api_key_add(buf *key, const char *name, const char *v, size_t n)
{
    buf_printf(key, "%s=%zu:", name, n);
    buf_append(key, v, n);
    buf_putc(key, ';');
}

void api_key_add_int(buf *key, const char *name, int64_t v)
{
    buf_printf(key, "%s=%lld;", name, (long long)v);
}

void api_key_add_now(buf *key, const api_request *r)
{
    api_key_add_int(key, "now", r->now);
}
