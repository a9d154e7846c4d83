#include "util/num.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (n == 0 || n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return -1;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int num_parse_i64(const char *s, size_t n, int64_t *out)
{
    uint64_t v;
    int neg = n > 0 && s[0] == '-';

    if (num_parse_u64(s + neg, n - (size_t)neg, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &v))
        return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int num_parse_decimal(const char *s, size_t n, double *out)
{
    char tmp[64];
    size_t i = 0, significant = 0;
    int seen_nonzero = 0;

    if (n == 0 || n >= sizeof(tmp))
        return -1;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        seen_nonzero |= s[i] != '0';
        significant += seen_nonzero;
    }
    if (i == 0)
        return -1;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            seen_nonzero |= s[i] != '0';
            significant += seen_nonzero;
        }
        if (i == start)
            return -1;
    }
    /* leading zeros are not significant; 15 digits always fit a double */
    if (i != n || significant > 15)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

int num_parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"true", "1", "yes", "on"};
    static const char *no[] = {"false", "0", "no", "off"};

    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}
