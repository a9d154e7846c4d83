/* json.h — a streaming JSON writer that always emits valid JSON.
 *
 * Strings are escaped per RFC 8259 §7 (quote, backslash, control characters);
 * bytes that are not valid UTF-8 are replaced by U+FFFD, never passed through.
 * Commas are placed automatically; nesting depth is limited to 31.
 * Errors are sticky: after a failed append (buffer cap, depth) every call is a
 * no-op and jw_end() returns -1.
 * Ownership: the writer borrows the output buffer. Not thread-safe. */
#ifndef TVSHOWS_JSON_H
#define TVSHOWS_JSON_H

#include <stddef.h>
#include <string.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct jw_writer {
    buf *out;
    uint32_t depth;
    uint32_t need_comma; /* bit d set: the container at depth d has an element */
    int after_key;
    int err;
} jw_writer;

void jw_begin(jw_writer *w, buf *out);
int jw_end(jw_writer *w);

void jw_obj_open(jw_writer *w);
void jw_obj_close(jw_writer *w);
void jw_arr_open(jw_writer *w);
void jw_arr_close(jw_writer *w);
/* A key (escaped as a string is); its length is folded at compile time
 * for a literal. */
#define jw_key(w, key) jw_keyn((w), (key), strlen(key))
void jw_keyn(jw_writer *w, const char *key, size_t n);
void jw_str(jw_writer *w, const char *s); /* NULL writes null */
void jw_strn(jw_writer *w, const char *s, size_t n);
void jw_int(jw_writer *w, int64_t v);
void jw_double(jw_writer *w, double v); /* NaN and infinities write null */
void jw_bool(jw_writer *w, int v);
void jw_null(jw_writer *w);
/* Appends text that is already a JSON value (trusted, produced by this writer). */
void jw_raw(jw_writer *w, const char *json, size_t n);

/* Appends s escaped as the inside of a JSON string (no quotes). */
int json_escape(buf *out, const char *s, size_t n);
/* Length of the longest valid UTF-8 prefix of s, at most n, cut only at a
 * character boundary (used to truncate echoed values safely). */
size_t utf8_prefix(const char *s, size_t n, size_t max);
/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t n);

#endif
