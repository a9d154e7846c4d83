/* ics.h — writing iCalendar content lines (RFC 5545 §3.1): NAME:VALUE,
 * CRLF-terminated, folded so that no line is longer than 75 octets (a fold
 * is CRLF and one space, never inside a UTF-8 character), TEXT values
 * escaped (§3.3.11: backslash, semicolon, comma, newline).
 *
 * Pure functions over the caller's buffer; names and raw values are the
 * caller's (ASCII, no CR or LF). Thread-safe. */
#ifndef TVSHOWS_ICS_H
#define TVSHOWS_ICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* A line whose value is written as given (dates, integers, URIs). */
void ics_raw(buf *out, const char *name, const char *value);
/* A TEXT line: the value escaped; control characters other than newline
 * are dropped. */
void ics_text(buf *out, const char *name, const char *text, size_t n);
/* "20260707T050000Z" for Unix seconds t; "20260707" for a day number. */
void ics_utc(int64_t t, char out[17]);
void ics_date(int32_t day, char out[9]);
/* Plain text of TVmaze's HTML summaries: tags dropped (a paragraph or line
 * break becomes a newline), the common entities decoded, runs of blanks
 * collapsed. Appends to out. */
void ics_plain_text(buf *out, const char *html);

#endif
