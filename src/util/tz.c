/* Time zones from tzdata's compiled files. The format is RFC 8536: a
 * version 1 block of 32-bit transition times, then (version 2 and later) a
 * block of 64-bit times and a footer holding a POSIX TZ rule that gives
 * local time after the last transition (tzdata's "slim" files rely on it
 * for every future year). */
#include "util/tz.h"

#include <assert.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/date.h"

#define TZ_DIR       "/usr/share/zoneinfo/"
#define TZ_FILE_MAX  (256 * 1024) /* the largest tzdata file is about 4 KiB */
#define TZ_HOURS_MAX 167          /* a TZ rule's time of day, RFC 8536 §3.3.1 */
#define DAY          86400

typedef struct rule_date {
    char kind;    /* 'J': Julian 1..365 without Feb 29, 'D': 0..365, 'M': month.week.day */
    int n;        /* J and D */
    int m, w, d;  /* M: month 1..12, week 1..5 (5: the last), weekday 0..6 (Sunday 0) */
    int32_t time; /* seconds after local midnight, may be negative or past a day */
} rule_date;

typedef struct tz_rule {
    int has_dst;
    int32_t std_off, dst_off; /* seconds east of UTC */
    rule_date start, end;
} tz_rule;

struct tz_zone {
    char name[TZ_NAME_MAX + 1];
    int64_t *times; /* transitions, ascending */
    int32_t *offs;  /* the offset from each transition on */
    size_t n;
    int32_t first_off; /* before the first transition: time type 0 */
    int has_rule;      /* past the last transition: the footer's rule */
    tz_rule rule;
    struct tz_zone *next; /* the cache's list */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tz_zone *cache;
static tz_zone utc_builtin = {.name = "UTC"};

/* ---- POSIX TZ rules (the footer, and tz_from_rule) ---- */

static const char *rule_abbr(const char *p, const char *e)
{
    const char *s;

    if (p < e && *p == '<') {
        while (++p < e && *p != '>')
            ;
        return p < e ? p + 1 : NULL;
    }
    for (s = p; p < e && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')); p++)
        ;
    return p - s >= 3 ? p : NULL;
}

static const char *rule_number(const char *p, const char *e, int max_digits, int *out)
{
    int v = 0, k = 0;

    while (p < e && *p >= '0' && *p <= '9' && k < max_digits) {
        v = v * 10 + (*p++ - '0');
        k++;
    }
    if (!k)
        return NULL;
    *out = v;
    return p;
}

/* [+-]hh[:mm[:ss]], hh at most max_hours */
static const char *rule_hms(const char *p, const char *e, int max_hours, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;

    if (p < e && (*p == '+' || *p == '-'))
        sign = *p++ == '-' ? -1 : 1;
    if (!(p = rule_number(p, e, 3, &h)) || h > max_hours)
        return NULL;
    if (p < e && *p == ':') {
        if (!(p = rule_number(p + 1, e, 2, &m)) || m > 59)
            return NULL;
        if (p < e && *p == ':' && (!(p = rule_number(p + 1, e, 2, &s)) || s > 59))
            return NULL;
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *rule_when(const char *p, const char *e, rule_date *r)
{
    r->time = 2 * 3600; /* the default: 02:00 */
    if (p < e && *p == 'J') {
        r->kind = 'J';
        if (!(p = rule_number(p + 1, e, 3, &r->n)) || r->n < 1 || r->n > 365)
            return NULL;
    } else if (p < e && *p == 'M') {
        r->kind = 'M';
        if (!(p = rule_number(p + 1, e, 2, &r->m)) || r->m < 1 || r->m > 12 || p >= e ||
            *p != '.' || !(p = rule_number(p + 1, e, 1, &r->w)) || r->w < 1 || r->w > 5 || p >= e ||
            *p != '.' || !(p = rule_number(p + 1, e, 1, &r->d)) || r->d > 6)
            return NULL;
    } else {
        r->kind = 'D';
        if (!(p = rule_number(p, e, 3, &r->n)) || r->n > 365)
            return NULL;
    }
    if (p < e && *p == '/')
        p = rule_hms(p + 1, e, TZ_HOURS_MAX, &r->time);
    return p;
}

static int rule_parse(const char *p, const char *e, tz_rule *r)
{
    int32_t off;

    memset(r, 0, sizeof(*r));
    if (!(p = rule_abbr(p, e)) || !(p = rule_hms(p, e, 24, &off)))
        return -1;
    r->std_off = -off; /* POSIX counts west of Greenwich as positive */
    if (p == e)
        return 0;
    if (!(p = rule_abbr(p, e)))
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (p < e && *p != ',') {
        if (!(p = rule_hms(p, e, 24, &off)))
            return -1;
        r->dst_off = -off;
    }
    if (p == e) {
        /* no dates: the US rules of POSIX's example, as tzcode assumes */
        r->start = (rule_date){'M', 0, 3, 2, 0, 7200};
        r->end = (rule_date){'M', 0, 11, 1, 0, 7200};
        return 0;
    }
    if (*p != ',' || !(p = rule_when(p + 1, e, &r->start)) || p >= e || *p != ',' ||
        !(p = rule_when(p + 1, e, &r->end)))
        return -1;
    return p == e ? 0 : -1;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The local wall-clock second (counted like Unix time) at which a rule date
 * falls in year y. */
static int64_t rule_local(const rule_date *r, int64_t y)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day = days_from_civil(y, 1, 1);

    if (r->kind == 'J') {
        day += r->n - 1 + (is_leap(y) && r->n >= 60);
    } else if (r->kind == 'D') {
        day += r->n;
    } else {
        int64_t first = days_from_civil(y, (unsigned)r->m, 1);
        int wday = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        unsigned len = mdays[r->m - 1] + (r->m == 2 && is_leap(y));
        int64_t d = 1 + (r->d - wday + 7) % 7 + (int64_t)(r->w - 1) * 7;
        while (d > (int64_t)len)
            d -= 7;
        day = first + d - 1;
    }
    return day * DAY + r->time;
}

static int32_t rule_offset(const tz_rule *r, int64_t t)
{
    int64_t y, start, end;
    unsigned m, d;

    if (!r->has_dst)
        return r->std_off;
    civil_from_days((t + r->std_off) / DAY - ((t + r->std_off) % DAY < 0), &y, &m, &d);
    start = rule_local(&r->start, y) - r->std_off;
    end = rule_local(&r->end, y) - r->dst_off;
    if (start < end)
        return t >= start && t < end ? r->dst_off : r->std_off;
    /* southern hemisphere: summer time spans the new year */
    return t >= end && t < start ? r->std_off : r->dst_off;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static int tzif_header(const unsigned char *p, size_t n, tzif_counts *c, int *version)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    *version = p[4] ? p[4] - '0' : 1;
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chars = be32(p + 40);
    /* generous bounds, far above tzdata's, so the sizes below cannot overflow */
    if (c->time > 100000 || c->type < 1 || c->type > 256 || c->chars > 65536 || c->leap > 10000 ||
        c->isut > 256 || c->isstd > 256)
        return -1;
    return 0;
}

static size_t tzif_block_len(const tzif_counts *c, size_t tsize)
{
    return c->time * tsize + c->time + c->type * 6u + c->chars + c->leap * (tsize + 4) + c->isstd +
           c->isut;
}

/* Reads a data block with transition times of tsize bytes into z. */
static int tzif_block(const unsigned char *p, const tzif_counts *c, size_t tsize, tz_zone *z)
{
    const unsigned char *idx = p + c->time * tsize, *types = idx + c->time;

    if (c->leap)
        return -1; /* "right/" zones count leap seconds: not Unix time */
    z->n = c->time;
    z->times = malloc((z->n + 1) * sizeof(*z->times));
    z->offs = malloc((z->n + 1) * sizeof(*z->offs));
    if (!z->times || !z->offs)
        return -1;
    z->first_off = (int32_t)be32(types);
    for (size_t i = 0; i < z->n; i++) {
        if (idx[i] >= c->type)
            return -1;
        z->times[i] = tsize == 8 ? be64(p + i * 8) : (int64_t)(int32_t)be32(p + i * 4);
        z->offs[i] = (int32_t)be32(types + idx[i] * 6u);
        if (i && z->times[i] <= z->times[i - 1])
            return -1;
    }
    return 0;
}

static int tzif_parse(const unsigned char *p, size_t n, tz_zone *z)
{
    tzif_counts c;
    int version;
    size_t len;

    if (tzif_header(p, n, &c, &version) != 0 || n - 44 < (len = tzif_block_len(&c, 4)))
        return -1;
    if (version < 2)
        return tzif_block(p + 44, &c, 4, z);
    p += 44 + len;
    n -= 44 + len;
    if (tzif_header(p, n, &c, &version) != 0 || n - 44 < (len = tzif_block_len(&c, 8)) ||
        tzif_block(p + 44, &c, 8, z) != 0)
        return -1;
    p += 44 + len;
    n -= 44 + len;
    if (n >= 2 && p[0] == '\n') {
        const unsigned char *e = memchr(p + 1, '\n', n - 1);
        if (!e)
            return -1;
        if (e > p + 1) {
            if (rule_parse((const char *)p + 1, (const char *)e, &z->rule) != 0)
                return -1;
            z->has_rule = 1;
        }
    }
    return 0;
}

/* IANA names: letters, digits and "/_+-", no empty, dot-led or ".." part,
 * so the path stays inside the zone directory. */
static int name_ok(const char *s, size_t n)
{
    if (!n || n > TZ_NAME_MAX || s[0] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '/' && i + 1 == n)
            return 0;
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '/' || ch == '_' || ch == '+' || ch == '-' || ch == '.'))
            return 0;
        if (ch == '/' && s[i + 1] == '/')
            return 0;
        if (ch == '.' && (i == 0 || s[i - 1] == '/'))
            return 0;
    }
    return 1;
}

static void zone_free(tz_zone *z)
{
    if (z && z != &utc_builtin) {
        free(z->times);
        free(z->offs);
        free(z);
    }
}

static tz_zone *zone_load(const char *name, size_t len)
{
    char path[sizeof(TZ_DIR) + TZ_NAME_MAX];
    unsigned char *data = NULL;
    tz_zone *z = NULL;
    size_t n = 0;
    ssize_t got;
    int fd;

    memcpy(path, TZ_DIR, sizeof(TZ_DIR) - 1);
    memcpy(path + sizeof(TZ_DIR) - 1, name, len);
    path[sizeof(TZ_DIR) - 1 + len] = '\0';
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return NULL;
    if (!(data = malloc(TZ_FILE_MAX)))
        goto fail;
    while (n < TZ_FILE_MAX && (got = read(fd, data + n, TZ_FILE_MAX - n)) > 0)
        n += (size_t)got;
    if (!(z = calloc(1, sizeof(*z))))
        goto fail;
    memcpy(z->name, name, len);
    if (n == TZ_FILE_MAX || tzif_parse(data, n, z) != 0)
        goto fail;
    close(fd);
    free(data);
    return z;
fail:
    close(fd);
    free(data);
    zone_free(z);
    return NULL;
}

const tz_zone *tz_find(const char *name, size_t len)
{
    tz_zone *z;

    if (!name_ok(name, len))
        return NULL;
    pthread_mutex_lock(&cache_lock);
    for (z = cache; z; z = z->next)
        if (strlen(z->name) == len && !memcmp(z->name, name, len))
            break;
    pthread_mutex_unlock(&cache_lock);
    if (z)
        return z;
    if (!(z = zone_load(name, len)))
        return NULL;
    pthread_mutex_lock(&cache_lock);
    {
        /* another thread may have loaded it meanwhile: keep the first */
        tz_zone *other = cache;
        while (other && strcmp(other->name, z->name))
            other = other->next;
        if (other) {
            zone_free(z);
            z = other;
        } else {
            z->next = cache;
            cache = z;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return z;
}

const tz_zone *tz_utc(void)
{
    const tz_zone *z = tz_find("UTC", 3);

    return z ? z : &utc_builtin;
}

const char *tz_name(const tz_zone *z)
{
    return z->name;
}

int32_t tz_offset_at(const tz_zone *z, int64_t t)
{
    size_t lo = 0, hi = z->n;

    if (!z->n || t < z->times[0])
        return z->n || !z->has_rule ? z->first_off : rule_offset(&z->rule, t);
    if (t >= z->times[z->n - 1] && z->has_rule)
        return rule_offset(&z->rule, t);
    /* the last transition at or before t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    assert(z->times[lo] <= t);
    return z->offs[lo];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void tz_local(const tz_zone *z, int64_t t, int32_t *day, int32_t *minute)
{
    int64_t local = t + tz_offset_at(z, t), d = floor_div(local, DAY);

    *day = (int32_t)d;
    *minute = (int32_t)((local - d * DAY) / 60);
}

int64_t tz_day_start(const tz_zone *z, int32_t day)
{
    /* every offset in use is within a day of UTC: search that span for the
     * first instant whose local day is `day` */
    int64_t lo = (int64_t)day * DAY - 2 * DAY, hi = (int64_t)day * DAY + 2 * DAY;

    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2, t = mid;
        int32_t d, m;
        tz_local(z, t, &d, &m);
        if (d >= day)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

tz_zone *tz_from_rule(const char *rule, size_t len)
{
    tz_zone *z = calloc(1, sizeof(*z));

    if (!z)
        return NULL;
    if (rule_parse(rule, rule + len, &z->rule) != 0) {
        free(z);
        return NULL;
    }
    z->has_rule = 1;
    snprintf(z->name, sizeof(z->name), "%.*s", (int)(len < TZ_NAME_MAX ? len : TZ_NAME_MAX), rule);
    return z;
}

void tz_free(tz_zone *z)
{
    zone_free(z);
}

void tz_shutdown(void)
{
    pthread_mutex_lock(&cache_lock);
    while (cache) {
        tz_zone *next = cache->next;
        zone_free(cache);
        cache = next;
    }
    pthread_mutex_unlock(&cache_lock);
}
