#include "util/date.h"

#include <time.h>

/* Day counting after the civil-calendar derivation in H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms": eras of 400 years. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : dim[m - 1];
}

int date_parse(const char *s, size_t n, int32_t *days)
{
    unsigned y, m, d;

    if (n != DATE_LEN || s[4] != '-' || s[7] != '-')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
        return -1;
    if (y < 1000 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *days = (int32_t)days_from_civil(y, m, d);
    return 0;
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

void date_format(int32_t days, char out[DATE_LEN + 1])
{
    int64_t y;
    unsigned m, d, year;

    civil_from_days(days, &y, &m, &d);
    year = (unsigned)(y < 0 ? 0 : y % 10000);
    put2(out, year / 100);
    put2(out + 2, year % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = '\0';
}

int32_t date_today_utc(void)
{
    return (int32_t)(clock_now_ms() / 1000 / 86400);
}

int date_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0) */
    int w = (int)((days % 7 + 7 + 3) % 7);
    return w;
}

int time_parse_hhmm(const char *s, size_t n, int *minutes)
{
    unsigned h, m;

    if (n != 5 || s[2] != ':' || digits(s, 2, &h) || digits(s + 3, 2, &m))
        return -1;
    if (h > 23 || m > 59)
        return -1;
    *minutes = (int)(h * 60 + m);
    return 0;
}

int instant_parse(const char *s, size_t n, int64_t *epoch)
{
    unsigned hh, mi, ss = 0, oh = 0, om = 0;
    int32_t days;
    size_t i;
    int sign = 0;

    if (n < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
        return -1;
    if (date_parse(s, 10, &days) || s[13] != ':' || digits(s + 11, 2, &hh) ||
        digits(s + 14, 2, &mi))
        return -1;
    i = 16;
    if (i < n && s[i] == ':') {
        if (i + 3 > n || digits(s + i + 1, 2, &ss))
            return -1;
        i += 3;
        if (i < n && s[i] == '.') {
            i++;
            if (i >= n || s[i] < '0' || s[i] > '9')
                return -1;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        }
    }
    if (hh > 23 || mi > 59 || ss > 60)
        return -1;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        sign = s[i] == '-' ? -1 : 1;
        i++;
        if (i + 2 > n || digits(s + i, 2, &oh))
            return -1;
        i += 2;
        if (i < n && s[i] == ':')
            i++;
        if (i + 2 > n || digits(s + i, 2, &om))
            return -1;
        i += 2;
        if (oh > 23 || om > 59)
            return -1;
    } else {
        return -1; /* an instant without an offset is ambiguous */
    }
    if (i != n)
        return -1;
    *epoch = (int64_t)days * 86400 + hh * 3600 + mi * 60 + ss -
             (int64_t)sign * (int64_t)(oh * 3600 + om * 60);
    return 0;
}

void instant_format(int64_t epoch, char out[INSTANT_LEN + 1])
{
    int64_t days = epoch >= 0 ? epoch / 86400 : -((-epoch + 86399) / 86400);
    unsigned secs = (unsigned)(epoch - days * 86400);

    date_format((int32_t)days, out);
    out[10] = 'T';
    put2(out + 11, secs / 3600);
    out[13] = ':';
    put2(out + 14, secs / 60 % 60);
    out[16] = ':';
    put2(out + 17, secs % 60);
    out[19] = 'Z';
    out[20] = '\0';
}

int64_t clock_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
