#include "util/fold.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#define UNITS (FOLD_MAX * 4) /* UTF-16 units: decomposition can quadruple a name */

/* Letters Unicode does not decompose, though readers take them for a base
 * letter with a mark (a Norwegian "ø" is typed "o" by a viewer abroad). */
static const struct {
    UChar32 c;
    const char *as;
} plain[] = {{0x00F8, "o"},  {0x0142, "l"},  {0x0111, "d"},  {0x0127, "h"}, {0x0131, "i"},
             {0x00E6, "ae"}, {0x0153, "oe"}, {0x00FE, "th"}, {0x00F0, "d"}, {0x0140, "l"}};

static const char *plain_form(UChar32 c)
{
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (plain[i].c == c)
            return plain[i].as;
    return NULL;
}

int text_fold(const char *s, size_t n, char *out, size_t cap, size_t *len)
{
    UChar src[FOLD_MAX + 1], nfkd[UNITS], folded[UNITS], kept[UNITS];
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *norm = unorm2_getNFKDInstance(&err);
    int32_t nsrc, nnfkd, nfolded, k = 0, space = 1, got;

    if (U_FAILURE(err) || !cap)
        return -1;
    if (n > FOLD_MAX) {
        /* cut before the character the limit falls in, not inside it */
        n = FOLD_MAX;
        while (n && (s[n] & 0xC0) == 0x80)
            n--;
    }
    u_strFromUTF8(src, FOLD_MAX + 1, &nsrc, s, (int32_t)n, &err);
    nnfkd = unorm2_normalize(norm, src, nsrc, nfkd, UNITS, &err);
    nfolded = u_strFoldCase(folded, UNITS, nfkd, nnfkd, U_FOLD_CASE_DEFAULT, &err);
    if (U_FAILURE(err))
        return -1;
    for (int32_t i = 0; i < nfolded;) {
        UChar32 c;
        int32_t start = i;
        U16_NEXT(folded, i, nfolded, c);
        if (u_charType(c) == U_NON_SPACING_MARK || u_charType(c) == U_ENCLOSING_MARK)
            continue;
        if (!u_isalnum(c)) {
            if (!space && k < UNITS)
                kept[k++] = ' ';
            space = 1;
            continue;
        }
        {
            const char *as = plain_form(c);
            if (as)
                while (*as && k < UNITS)
                    kept[k++] = (UChar)*as++;
            else
                for (int32_t j = start; j < i && k < UNITS; j++)
                    kept[k++] = folded[j];
        }
        space = 0;
    }
    while (k && kept[k - 1] == ' ')
        k--;
    u_strToUTF8(out, (int32_t)cap, &got, kept, k, &err);
    if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING || (size_t)got >= cap)
        return -1;
    *len = (size_t)got;
    return 0;
}
