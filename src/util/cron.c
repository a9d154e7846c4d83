#include "util/cron.h"

#include <ctype.h>
#include <string.h>

#include "util/date.h"

static const char *parse_num(const char *p, unsigned *v)
{
    unsigned n = 0;
    int any = 0;

    while (isdigit((unsigned char)*p) && n < 1000) {
        n = n * 10 + (unsigned)(*p++ - '0');
        any = 1;
    }
    *v = n;
    return any ? p : NULL;
}

/* One field (up to the next space) into a bit mask. */
static const char *parse_field(const char *p, unsigned lo, unsigned hi, uint64_t *mask, int *star)
{
    *mask = 0;
    *star = *p == '*' && (p[1] == ' ' || p[1] == '\0');
    for (;;) {
        unsigned a = lo, b = hi, step = 1;
        if (*p == '*') {
            p++;
        } else {
            if (!(p = parse_num(p, &a)))
                return NULL;
            b = a;
            if (*p == '-') {
                if (!(p = parse_num(p + 1, &b)))
                    return NULL;
            }
        }
        if (*p == '/') {
            if (!(p = parse_num(p + 1, &step)) || step == 0)
                return NULL;
        }
        if (a < lo || b > hi || a > b)
            return NULL;
        for (unsigned i = a; i <= b; i += step)
            *mask |= (uint64_t)1 << i;
        if (*p != ',')
            break;
        p++;
    }
    return p;
}

static int count_fields(const char *p)
{
    int n = 0;

    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        n++;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

int cron_parse(cron_expr *c, const char *text)
{
    static const unsigned lo[6] = {0, 0, 0, 1, 1, 0}, hi[6] = {59, 59, 23, 31, 12, 7};
    uint64_t masks[6] = {1, 0, 0, 0, 0, 0};
    int stars[6] = {0};
    const char *p = text;
    int nfields = count_fields(text), first = nfields == 6 ? 0 : 1;

    if (nfields != 5 && nfields != 6)
        return -1;
    for (int f = first; f < 6; f++) {
        while (*p == ' ')
            p++;
        if (!(p = parse_field(p, lo[f], hi[f], &masks[f], &stars[f])))
            return -1;
        if (*p && *p != ' ')
            return -1;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return -1;
    memset(c, 0, sizeof(*c));
    c->second = masks[0];
    c->minute = masks[1];
    c->hour = (uint32_t)masks[2];
    c->dom = (uint32_t)masks[3];
    c->month = (uint16_t)masks[4];
    c->dow = (uint8_t)((masks[5] | (masks[5] >> 7)) & 0x7f); /* 7 is Sunday too */
    c->dom_star = (uint8_t)stars[3];
    c->dow_star = (uint8_t)stars[5];
    return 0;
}

static int day_matches(const cron_expr *c, int32_t days, unsigned dom)
{
    int dow = (date_weekday(days) + 1) % 7; /* cron: Sunday = 0 */
    int dom_ok = (c->dom >> dom) & 1, dow_ok = (c->dow >> dow) & 1;

    if (c->dom_star || c->dow_star)
        return dom_ok && dow_ok;
    return dom_ok || dow_ok;
}

int64_t cron_next(const cron_expr *c, int64_t after)
{
    int64_t t = after + 1;
    int64_t limit = after + (int64_t)5 * 366 * 86400;

    while (t < limit) {
        int32_t days = (int32_t)(t / 86400);
        int64_t y;
        unsigned m, d, hour = (unsigned)(t % 86400 / 3600), minute = (unsigned)(t % 3600 / 60);
        unsigned second = (unsigned)(t % 60);

        civil_from_days(days, &y, &m, &d);
        if (!((c->month >> m) & 1) || !day_matches(c, days, d)) {
            t = ((int64_t)days + 1) * 86400;
            continue;
        }
        if (!((c->hour >> hour) & 1)) {
            t = (t / 3600 + 1) * 3600;
            continue;
        }
        if (!((c->minute >> minute) & 1)) {
            t = (t / 60 + 1) * 60;
            continue;
        }
        if ((c->second >> second) & 1)
            return t;
        t++;
    }
    return -1;
}
