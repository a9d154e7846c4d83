/* scan.h — the schedule scanner: reads a schedule body in one pass, without
 * building a tree, into a fixed set of slots per item, which the mapper
 * (mapper.c) maps exactly as it maps the members of jansson's tree.
 *
 * It takes only what it is sure of: a well-formed top-level array of
 * objects, every key without escapes, no key the mapper reads twice in one
 * object, numbers jansson reads the same, strings of valid UTF-8 without
 * U+0000, nesting no deeper than SCAN_DEPTH. Anything else (and anything
 * malformed) is not an error here: scan_schedule says "not sure" and the
 * mapper parses the body with jansson, which then also says what is wrong.
 * Private to src/tvmaze/. Threads: none of its own; no shared state.
 * Ownership: strings and arrays of the slots point into the body or into
 * the scratch arena, valid until the caller rewinds it. */
#ifndef TVSHOWS_SCAN_H
#define TVSHOWS_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

#define SCAN_DEPTH 32

typedef enum { JV_ABSENT, JV_OTHER, JV_INT, JV_REAL, JV_STR, JV_OBJ, JV_ARR } jv_type;

/* One member's value, as the mapper reads it. */
typedef struct jv {
    jv_type t;              /* JV_OTHER: null, true or false */
    size_t len;             /* JV_STR: bytes; JV_ARR: strings in items */
    const char *s;          /* JV_STR: not NUL-terminated */
    const struct jv *items; /* JV_ARR of a SLOT_STRINGS field: its strings */
    const void *tree;       /* or, read from jansson's tree, its node (mapper.c) */
    int64_t i;              /* JV_INT */
    double d;               /* JV_REAL */
} jv;

typedef enum { SLOT_VALUE, SLOT_OBJECT, SLOT_STRINGS } slot_kind;

/* A key the mapper reads: its value goes to slot (of the object's base);
 * an object value of a SLOT_OBJECT key fills child's keys at base +
 * child_base; an array of a SLOT_STRINGS key keeps its strings. */
typedef struct scan_field {
    const char *key;
    int slot;
    slot_kind kind;
    const struct scan_field *child; /* NULL-key terminated */
    int child_base;
} scan_field;

/* Called with the slots of each item in order (index from 0); non-zero
 * stops the scan, which then returns -1. */
typedef int (*scan_item_fn)(void *ud, const jv *slots, size_t index);

/* 0 when json[0..n) is an array of objects that was read whole, every item
 * passed to fn (nslots slots each, filled by the NULL-key terminated item
 * table); -1 when not sure (see above). */
int scan_schedule(const char *json, size_t n, const scan_field *item, size_t nslots, arena *scratch,
                  scan_item_fn fn, void *ud);

#endif
