/* date.h — calendar dates, times of day and UTC instants, without the C
 * library's locale or time-zone state (thread-safe, pure functions).
 *
 * A date is a day number: days since 1970-01-01 (proleptic Gregorian).
 * Parsers are strict and return 0 on success, -1 on anything else. */
#ifndef TVSHOWS_DATE_H
#define TVSHOWS_DATE_H

#include <stddef.h>
#include <stdint.h>

#define DATE_LEN    10 /* "YYYY-MM-DD" */
#define INSTANT_LEN 20 /* "YYYY-MM-DDTHH:MM:SSZ" */

int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
void civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Exactly "YYYY-MM-DD", a real calendar date, year 1000-9999. */
int date_parse(const char *s, size_t n, int32_t *days);
void date_format(int32_t days, char out[DATE_LEN + 1]);
int32_t date_today_utc(void);
/* 0 = Monday ... 6 = Sunday */
int date_weekday(int32_t days);

/* "HH:MM" (00:00-23:59) to minutes after midnight. */
int time_parse_hhmm(const char *s, size_t n, int *minutes);

/* ISO-8601 instant with a UTC offset: "2020-12-01T09:00:00+00:00",
 * "...-05:00", "...Z", optional fractional seconds. To Unix seconds. */
int instant_parse(const char *s, size_t n, int64_t *epoch);
void instant_format(int64_t epoch, char out[INSTANT_LEN + 1]);

/* Milliseconds: wall clock, and a monotonic clock for timeouts. */
int64_t clock_now_ms(void);
int64_t clock_mono_ms(void);

#endif
