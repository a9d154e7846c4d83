/* Tests of cron expressions (src/util/cron.h), evaluated in UTC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/cron.h"
#include "util/date.h"

/* Unix seconds of a UTC wall-clock time. */
static int64_t at(int y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
    return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* cron_next(text, after) must be want (-1: none). */
static void next_is(const char *text, int64_t after, int64_t want)
{
    cron_expr c;
    int64_t got;
    char a[INSTANT_LEN + 1], w[INSTANT_LEN + 1], g[INSTANT_LEN + 1];

    assert_int_equal(cron_parse(&c, text), 0);
    got = cron_next(&c, after);
    if (got != want) {
        instant_format(after, a);
        instant_format(want, w);
        instant_format(got, g);
        print_error("\"%s\" after %s: want %s, got %s (%lld)\n", text, a, w, g, (long long)got);
    }
    assert_int_equal(got, want);
}

static void test_cron_six_fields_schedule_seconds(void **state)
{
    cron_expr c;
    int64_t t0 = 1795651200; /* 2026-11-26T00:00:00Z */

    (void)state;
    assert_int_equal(cron_parse(&c, "*/5 * * * * *"), 0);
    assert_int_equal(cron_next(&c, t0), t0 + 5);
    assert_int_equal(cron_next(&c, t0 + 5), t0 + 10);
    assert_int_equal(cron_next(&c, t0 + 58), t0 + 60);
    assert_int_equal(cron_parse(&c, "30 0 2 * * *"), 0);
    assert_int_equal(cron_next(&c, t0), t0 + 2 * 3600 + 30);
    /* five fields keep firing on the minute */
    assert_int_equal(cron_parse(&c, "* * * * *"), 0);
    assert_int_equal(cron_next(&c, t0 + 1), t0 + 60);
}

static void test_cron_rejects_malformed_expressions(void **state)
{
    static const char *bad[] = {
        "",
        "* * * *",
        "* * * * * * *",
        "60 * * * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * 32 * *",
        "* * * 0 *",
        "* * * 13 *",
        "* * * * 8",
        "*/0 * * * *",
        "5-1 * * * *",
        "a * * * *",
        "1, * * * *",
        ",1 * * * *",
        "-1 * * * *",
        "1- * * * *",
        "1-2- * * * *",
        "*/ * * * *",
        "** * * * *",
        "1/2/3 * * * *",
        "0 2 * * mon",
        "0 2 * jan *",
        "0\t2 * * *",
        "99999 * * * *",
        "@daily",
    };
    cron_expr c;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cron_parse(&c, bad[i]) != -1)
            print_error("accepted \"%s\"\n", bad[i]);
        assert_int_equal(cron_parse(&c, bad[i]), -1);
    }
}

static void test_cron_parses_fields_into_masks(void **state)
{
    cron_expr c;

    (void)state;
    assert_int_equal(cron_parse(&c, "0,30 2-4 1,15 */3 1-5"), 0);
    assert_int_equal(c.minute, ((uint64_t)1 << 0) | ((uint64_t)1 << 30));
    assert_int_equal(c.hour, (1u << 2) | (1u << 3) | (1u << 4));
    assert_int_equal(c.dom, (1u << 1) | (1u << 15));
    assert_int_equal(c.month, (1u << 1) | (1u << 4) | (1u << 7) | (1u << 10));
    assert_int_equal(c.dow, 0x3e);
    assert_false(c.dom_star);
    assert_false(c.dow_star);
    /* surrounding spaces are fine, 7 is Sunday */
    assert_int_equal(cron_parse(&c, "  59 23 31 12 7  "), 0);
    assert_int_equal(c.dow, 1);
    assert_int_equal(cron_parse(&c, "10-50/20 * * * *"), 0);
    assert_int_equal(c.minute, ((uint64_t)1 << 10) | ((uint64_t)1 << 30) | ((uint64_t)1 << 50));
    assert_true(c.dom_star);
    assert_true(c.dow_star);
}

static void test_cron_next_daily_at_two(void **state)
{
    (void)state;
    next_is("0 2 * * *", at(2025, 6, 9, 10, 7), at(2025, 6, 10, 2, 0));
    next_is("0 2 * * *", at(2025, 6, 9, 1, 59), at(2025, 6, 9, 2, 0));
    /* strictly after: the very minute does not count again */
    next_is("0 2 * * *", at(2025, 6, 9, 2, 0), at(2025, 6, 10, 2, 0));
    next_is("0 2 * * *", at(2025, 6, 9, 2, 0) + 30, at(2025, 6, 10, 2, 0));
    next_is("0 2 * * *", at(2025, 6, 9, 2, 0) - 1, at(2025, 6, 9, 2, 0));
}

static void test_cron_next_every_quarter_hour(void **state)
{
    (void)state;
    next_is("*/15 * * * *", at(2025, 6, 9, 10, 7), at(2025, 6, 9, 10, 15));
    next_is("*/15 * * * *", at(2025, 6, 9, 10, 15), at(2025, 6, 9, 10, 30));
    next_is("*/15 * * * *", at(2025, 6, 9, 10, 14) + 59, at(2025, 6, 9, 10, 15));
    next_is("*/15 * * * *", at(2025, 6, 9, 23, 50), at(2025, 6, 10, 0, 0));
    next_is("* * * * *", at(2025, 6, 9, 10, 7) + 1, at(2025, 6, 9, 10, 8));
}

static void test_cron_next_on_day_of_week(void **state)
{
    (void)state;
    /* 2025-06-08 is a Sunday, 2025-06-09 a Monday */
    next_is("0 9 * * 1", at(2025, 6, 8, 12, 0), at(2025, 6, 9, 9, 0));
    next_is("0 9 * * 1", at(2025, 6, 9, 9, 0), at(2025, 6, 16, 9, 0));
    next_is("0 0 * * 0", at(2025, 6, 9, 0, 0), at(2025, 6, 15, 0, 0));
    next_is("0 0 * * 7", at(2025, 6, 9, 0, 0), at(2025, 6, 15, 0, 0));
    next_is("30 18 * * 1-5", at(2025, 6, 6, 19, 0), at(2025, 6, 9, 18, 30)); /* Fri → Mon */
}

static void test_cron_next_on_day_of_month(void **state)
{
    (void)state;
    next_is("0 0 1 * *", at(2025, 1, 31, 12, 0), at(2025, 2, 1, 0, 0));
    /* months without a 31st are skipped */
    next_is("0 0 31 * *", at(2025, 4, 1, 0, 0), at(2025, 5, 31, 0, 0));
    next_is("0 0 31 * *", at(2025, 5, 31, 0, 0), at(2025, 7, 31, 0, 0));
    /* the next 29 February is in 2028 */
    next_is("0 0 29 2 *", at(2025, 1, 1, 0, 0), at(2028, 2, 29, 0, 0));
    next_is("0 12 * 3 *", at(2025, 2, 28, 23, 59), at(2025, 3, 1, 12, 0));
}

static void test_cron_next_either_day_rule_when_both_restricted(void **state)
{
    (void)state;
    /* the 13th or any Friday: Friday 2025-06-06 comes first */
    next_is("0 0 13 * 5", at(2025, 6, 1, 0, 0), at(2025, 6, 6, 0, 0));
    next_is("0 0 13 * 5", at(2025, 6, 6, 0, 0), at(2025, 6, 13, 0, 0));
    next_is("0 0 10 * 5", at(2025, 6, 7, 0, 0), at(2025, 6, 10, 0, 0));
    /* with one side "*", both must match */
    next_is("0 0 * * 5", at(2025, 6, 1, 0, 0), at(2025, 6, 6, 0, 0));
    next_is("0 0 13 * *", at(2025, 6, 1, 0, 0), at(2025, 6, 13, 0, 0));
}

static void test_cron_next_crosses_year_end(void **state)
{
    (void)state;
    next_is("59 23 31 12 *", at(2025, 12, 31, 23, 59), at(2026, 12, 31, 23, 59));
    next_is("0 0 1 1 *", at(2025, 12, 31, 23, 59), at(2026, 1, 1, 0, 0));
}

static void test_cron_next_gives_up_on_impossible_days(void **state)
{
    (void)state;
    next_is("0 0 30 2 *", at(2025, 1, 1, 0, 0), -1);
    next_is("0 0 31 4 *", at(2025, 1, 1, 0, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cron_rejects_malformed_expressions),
        cmocka_unit_test(test_cron_six_fields_schedule_seconds),
        cmocka_unit_test(test_cron_parses_fields_into_masks),
        cmocka_unit_test(test_cron_next_daily_at_two),
        cmocka_unit_test(test_cron_next_every_quarter_hour),
        cmocka_unit_test(test_cron_next_on_day_of_week),
        cmocka_unit_test(test_cron_next_on_day_of_month),
        cmocka_unit_test(test_cron_next_either_day_rule_when_both_restricted),
        cmocka_unit_test(test_cron_next_crosses_year_end),
        cmocka_unit_test(test_cron_next_gives_up_on_impossible_days),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
