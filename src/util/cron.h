/* cron.h — five-field cron expressions (minute hour day-of-month month
 * day-of-week), evaluated in UTC; a sixth, leading field of seconds is
 * accepted too ("*\/5 * * * * *": every five seconds).
 *
 * Fields accept "*", numbers, ranges "a-b", steps "*\/n" and "a-b/n", and
 * lists "a,b". Day-of-week is 0-7 (0 and 7 are Sunday). When both day fields
 * are restricted, a day matching either one fires (as Vixie cron does).
 * Pure functions, thread-safe. */
#ifndef TVSHOWS_CRON_H
#define TVSHOWS_CRON_H

#include <stdint.h>

typedef struct cron_expr {
    uint64_t second; /* bit i: second i; only 0 with five fields */
    uint64_t minute; /* bit i: minute i */
    uint32_t hour;
    uint32_t dom;   /* bits 1..31 */
    uint16_t month; /* bits 1..12 */
    uint8_t dow;    /* bits 0..6, Sunday = 0 */
    uint8_t dom_star, dow_star;
} cron_expr;

int cron_parse(cron_expr *c, const char *text);
/* The first time strictly after `after` (Unix seconds) that matches;
 * -1 if none within five years. */
int64_t cron_next(const cron_expr *c, int64_t after);

#endif
