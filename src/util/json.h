/* json.h — a streaming JSON writer that always emits valid JSON.
 *
 * Strings are escaped per RFC 8259 §7 (quote, backslash, control characters);
 * bytes that are not valid UTF-8 are replaced by U+FFFD, never passed through.
 * Commas are placed automatically; nesting depth is limited to 32.
 * Errors are sticky: after a failed append (buffer cap, depth) every call is a
 * no-op and json_end() returns -1.
 * Ownership: the writer borrows the output buffer. Not thread-safe. */
#ifndef TVSHOWS_JSON_H
#define TVSHOWS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct json_writer {
    buf *out;
    uint32_t depth;
    uint32_t need_comma; /* bit d set: the container at depth d has an element */
    int after_key;
    int err;
} json_writer;

void json_begin(json_writer *w, buf *out);
int json_end(json_writer *w);

void json_obj_open(json_writer *w);
void json_obj_close(json_writer *w);
void json_arr_open(json_writer *w);
void json_arr_close(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_str(json_writer *w, const char *s); /* NULL writes null */
void json_strn(json_writer *w, const char *s, size_t n);
void json_int(json_writer *w, int64_t v);
void json_double(json_writer *w, double v); /* NaN and infinities write null */
void json_bool(json_writer *w, int v);
void json_null(json_writer *w);
/* Appends text that is already a JSON value (trusted, produced by this writer). */
void json_raw(json_writer *w, const char *json, size_t n);

/* Appends s escaped as the inside of a JSON string (no quotes). */
int json_escape(buf *out, const char *s, size_t n);
/* Length of the longest valid UTF-8 prefix of s, at most n, cut only at a
 * character boundary (used to truncate echoed values safely). */
size_t utf8_prefix(const char *s, size_t n, size_t max);
/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t n);

#endif
