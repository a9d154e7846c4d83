/* num.h — strict number parsing for untrusted text (query strings, env).
 *
 * No leading/trailing spaces, no '+', no exponent, no hex: what a person
 * means by "a plain decimal number". Return 0 on success, -1 otherwise
 * (including overflow). Pure functions, thread-safe. */
#ifndef TVSHOWS_NUM_H
#define TVSHOWS_NUM_H

#include <stddef.h>
#include <stdint.h>

/* [0-9]+, value <= max */
int num_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *out);
/* -?[0-9]+ */
int num_parse_i64(const char *s, size_t n, int64_t *out);
/* [0-9]+(\.[0-9]+)? with at most 15 significant digits */
int num_parse_decimal(const char *s, size_t n, double *out);
/* A boolean word: true/false, 1/0, yes/no, on/off (case-insensitive). */
int num_parse_bool(const char *s, int *out);

#endif
