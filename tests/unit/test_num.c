/* Tests of strict number parsing (src/util/num.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/num.h"

static int u64(const char *s, uint64_t max, uint64_t *out)
{
    return num_parse_u64(s, strlen(s), max, out);
}

static int i64(const char *s, int64_t *out)
{
    return num_parse_i64(s, strlen(s), out);
}

static int dec(const char *s, double *out)
{
    return num_parse_decimal(s, strlen(s), out);
}

static void test_num_parses_unsigned(void **state)
{
    uint64_t v;

    (void)state;
    assert_int_equal(u64("0", 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(u64("007", 10, &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(u64("18446744073709551615", UINT64_MAX, &v), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(u64("10", 10, &v), 0);
    assert_int_equal(v, 10);
}

static void test_num_rejects_bad_unsigned(void **state)
{
    static const char *bad[] = {"", " 1", "1 ", "+1", "-1", "1e3", "0x10", "1.0", "1,000", "a"};
    uint64_t v = 99;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(u64(bad[i], UINT64_MAX, &v), -1);
    assert_int_equal(v, 99);
    assert_int_equal(u64("11", 10, &v), -1);                           /* over max */
    assert_int_equal(u64("18446744073709551616", UINT64_MAX, &v), -1); /* overflow */
    assert_int_equal(u64("99999999999999999999", UINT64_MAX, &v), -1);
    assert_int_equal(u64("000000000000000000001", UINT64_MAX, &v), -1); /* 21 digits */
    assert_int_equal(num_parse_u64("12", 1, 100, &v), 0);               /* length counts */
    assert_int_equal(v, 1);
}

static void test_num_parses_signed(void **state)
{
    int64_t v;

    (void)state;
    assert_int_equal(i64("-5", &v), 0);
    assert_int_equal(v, -5);
    assert_int_equal(i64("-0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(i64("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(i64("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);
}

static void test_num_rejects_bad_signed(void **state)
{
    static const char *bad[] = {"",
                                "-",
                                "--1",
                                "+1",
                                " -1",
                                "-1 ",
                                "- 1",
                                "1-",
                                "9223372036854775808",
                                "-9223372036854775809"};
    int64_t v;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(i64(bad[i], &v), -1);
}

static void test_num_parses_decimals(void **state)
{
    double v;

    (void)state;
    assert_int_equal(dec("7.5", &v), 0);
    assert_true(v == 7.5);
    assert_int_equal(dec("6.9", &v), 0);
    assert_true(v == 6.9);
    assert_int_equal(dec("10", &v), 0);
    assert_true(v == 10);
    assert_int_equal(dec("0.5", &v), 0);
    assert_true(v == 0.5);
    assert_int_equal(dec("123456789012345", &v), 0);
    assert_true(v == 123456789012345.0);
}

/* "at most 15 significant digits": leading zeros are not significant */
static void test_num_decimal_leading_zeros_are_not_significant(void **state)
{
    double v;

    (void)state;
    assert_int_equal(dec("0.000000000000001", &v), 0);
    assert_true(v == 1e-15);
    assert_int_equal(dec("0000000000000007.5", &v), 0);
    assert_true(v == 7.5);
}

static void test_num_rejects_bad_decimals(void **state)
{
    static const char *bad[] = {"",
                                ".5",
                                "5.",
                                "-1.5",
                                "+1.5",
                                "1e5",
                                "1.5e1",
                                "1,5",
                                " 1.5",
                                "1.5 ",
                                "1.2.3",
                                "nan",
                                "inf",
                                "0x1p3",
                                "1234567890123456",
                                "0.1234567890123456"};
    double v;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (dec(bad[i], &v) != -1)
            print_error("accepted \"%s\"\n", bad[i]);
        assert_int_equal(dec(bad[i], &v), -1);
    }
}

static void test_num_parses_booleans(void **state)
{
    static const char *yes[] = {"true", "TRUE", "1", "yes", "Yes", "on", "ON"};
    static const char *no[] = {"false", "False", "0", "no", "NO", "off", "Off"};
    static const char *bad[] = {"", "2", "y", "n", "truee", " true", "enabled", "-1"};
    int b;

    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        b = 0;
        assert_int_equal(num_parse_bool(yes[i], &b), 0);
        assert_int_equal(b, 1);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        b = 1;
        assert_int_equal(num_parse_bool(no[i], &b), 0);
        assert_int_equal(b, 0);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(num_parse_bool(bad[i], &b), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_parses_unsigned),
        cmocka_unit_test(test_num_rejects_bad_unsigned),
        cmocka_unit_test(test_num_parses_signed),
        cmocka_unit_test(test_num_rejects_bad_signed),
        cmocka_unit_test(test_num_parses_decimals),
        cmocka_unit_test(test_num_rejects_bad_decimals),
        cmocka_unit_test(test_num_decimal_leading_zeros_are_not_significant),
        cmocka_unit_test(test_num_parses_booleans),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
