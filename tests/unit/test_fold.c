/* Tests of the search form of names (src/util/fold.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/fold.h"

static void assert_folds(const char *in, const char *want)
{
    char out[FOLD_MAX * 4];
    size_t n;

    assert_int_equal(text_fold(in, strlen(in), out, sizeof(out), &n), 0);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void test_fold_case_marks_and_punctuation(void **state)
{
    (void)state;
    assert_folds("Stranger Things", "stranger things");
    assert_folds("Éden Hotel", "eden hotel");
    assert_folds("La Voz de la Mañana", "la voz de la manana");
    assert_folds("Grey's Anatomy", "grey s anatomy");
    assert_folds("  Love Island: Aftersun!  ", "love island aftersun");
    assert_folds("F*ck That's Delicious", "f ck that s delicious");
    assert_folds("Life Below Zero°", "life below zero");
    assert_folds("", "");
    assert_folds("...", "");
}

static void test_fold_letters_without_decomposition(void **state)
{
    (void)state;
    assert_folds("Førstegangstjenesten", "forstegangstjenesten");
    assert_folds("Kısmetse Olur: Aşkın Gücü", "kismetse olur askin gucu");
    assert_folds("Vår tid är nu", "var tid ar nu");
    assert_folds("STRASSE Straße", "strasse strasse");
    assert_folds("ﬁnal", "final");
}

static void test_fold_other_scripts(void **state)
{
    (void)state;
    assert_folds("Склифосовский", "склифосовскии");
    assert_folds("ЧУМА!", "чума");
    assert_folds("進撃の巨人", "進撃の巨人");
    assert_folds("ＴＯＫＹＯ", "tokyo");
}

static void test_fold_refuses_bad_utf8_and_small_room(void **state)
{
    char out[8];
    size_t n;

    (void)state;
    assert_int_equal(text_fold("\xff\xfe", 2, out, sizeof(out), &n), -1);
    assert_int_equal(text_fold("a long name", 11, out, sizeof(out), &n), -1);
}

static void test_fold_cuts_long_names_on_a_character(void **state)
{
    char in[FOLD_MAX + 8], out[FOLD_MAX * 4];
    size_t n;

    (void)state;
    memset(in, 'a', sizeof(in));
    memcpy(in + FOLD_MAX - 1, "\xc3\xa9", 2); /* an é across the limit */
    assert_int_equal(text_fold(in, sizeof(in), out, sizeof(out), &n), 0);
    assert_int_equal(n, FOLD_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_case_marks_and_punctuation),
        cmocka_unit_test(test_fold_letters_without_decomposition),
        cmocka_unit_test(test_fold_other_scripts),
        cmocka_unit_test(test_fold_refuses_bad_utf8_and_small_room),
        cmocka_unit_test(test_fold_cuts_long_names_on_a_character),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
