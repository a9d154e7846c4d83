/* tz.h — IANA time zones, read from the system's compiled zone files
 * (tzdata's /usr/share/zoneinfo, TZif versions 1 to 4, RFC 8536), with the
 * POSIX TZ footer for instants past the file's last transition.
 *
 * Instants are Unix seconds (UTC); days are days since 1970-01-01, as in
 * date.h. A zone is looked up by its IANA name ("Europe/Berlin", "UTC");
 * names are case-sensitive, as in tzdata.
 * Threads: thread-safe. A zone is loaded once per process and kept until
 * tz_shutdown() (there are a few hundred zones; lookups of names that are
 * not zones are not kept). Ownership: a tz_zone belongs to the module. */
#ifndef TVSHOWS_TZ_H
#define TVSHOWS_TZ_H

#include <stddef.h>
#include <stdint.h>

#define TZ_NAME_MAX 64

typedef struct tz_zone tz_zone;

/* The zone called name[0..len), or NULL when there is no such zone (or it
 * cannot be read: a name that is not a zone file, a file that is not TZif,
 * a zone with leap seconds). */
const tz_zone *tz_find(const char *name, size_t len);
const char *tz_name(const tz_zone *z);
/* The UTC zone, always available (tzdata's "UTC", or a built-in zero
 * offset where the file is missing). */
const tz_zone *tz_utc(void);

/* Seconds to add to UTC for local time at instant t. */
int32_t tz_offset_at(const tz_zone *z, int64_t t);
/* The local day and minute of the day (0..1439) of instant t. */
void tz_local(const tz_zone *z, int64_t t, int32_t *day, int32_t *minute);
/* The first instant of local day `day`: midnight, or the end of a gap when
 * a transition skips midnight. */
int64_t tz_day_start(const tz_zone *z, int32_t day);

/* Parses a POSIX TZ rule string ("CET-1CEST,M3.5.0,M10.5.0/3") into a
 * zone of its own (for the unit tests and for a TZ footer); NULL when it
 * is not one. Free with tz_free(). */
tz_zone *tz_from_rule(const char *rule, size_t len);
void tz_free(tz_zone *z); /* only for tz_from_rule()'s zones; NULL is fine */

/* Frees every cached zone; no zone may be used afterwards. */
void tz_shutdown(void);

#endif
