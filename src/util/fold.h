/* fold.h — the form of a name that search compares: Unicode compatibility
 * decomposition (NFKD) with the combining marks dropped ("Éden" -> "eden",
 * "ﬁ" -> "fi"), case-folded, every run of characters that are not letters
 * or digits turned into one space, trimmed. Scripts without case or marks
 * (Cyrillic is folded, CJK kept as is) stay findable. Uses ICU.
 *
 * Thread-safe. Errors: -1 for input that is not UTF-8, or a result longer
 * than the caller's room. */
#ifndef TVSHOWS_FOLD_H
#define TVSHOWS_FOLD_H

#include <stddef.h>

#define FOLD_MAX 1024 /* bytes of input folded; longer names are cut first */

/* Folds s[0..n) into out (room for cap bytes, NUL-terminated); *len is the
 * result's length. */
int text_fold(const char *s, size_t n, char *out, size_t cap, size_t *len);

#endif
