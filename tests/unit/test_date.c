/* Tests of dates, times and instants (src/util/date.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/date.h"

static int parse_date(const char *s, int32_t *days)
{
    return date_parse(s, strlen(s), days);
}

static int parse_instant(const char *s, int64_t *epoch)
{
    return instant_parse(s, strlen(s), epoch);
}

static void test_date_parses_epoch_and_known_days(void **state)
{
    int32_t d;

    (void)state;
    assert_int_equal(parse_date("1970-01-01", &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(parse_date("2025-06-09", &d), 0);
    assert_int_equal(d, 20248);
    assert_int_equal(parse_date("2000-03-01", &d), 0);
    assert_int_equal(d, 11017);
    assert_int_equal(parse_date("1969-12-31", &d), 0);
    assert_int_equal(d, -1);
    assert_int_equal(parse_date("1000-01-01", &d), 0);
    assert_int_equal(parse_date("9999-12-31", &d), 0);
}

static void test_date_knows_leap_years(void **state)
{
    int32_t d;

    (void)state;
    assert_int_equal(parse_date("2024-02-29", &d), 0);
    assert_int_equal(parse_date("2000-02-29", &d), 0);
    assert_int_equal(parse_date("2025-02-29", &d), -1);
    assert_int_equal(parse_date("1900-02-29", &d), -1);
    assert_int_equal(parse_date("2100-02-29", &d), -1);
    assert_int_equal(parse_date("2024-02-30", &d), -1);
}

static void test_date_rejects_impossible_dates(void **state)
{
    static const char *bad[] = {"2025-13-01", "2025-00-10", "2025-01-00",
                                "2025-01-32", "2025-04-31", "2025-06-31",
                                "2025-09-31", "2025-11-31", "0999-12-31"};
    int32_t d;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_date(bad[i], &d), -1);
}

static void test_date_rejects_other_shapes(void **state)
{
    static const char *bad[] = {
        "20250609",   " 2025-06-09", "2025-06-09 ", "2025-6-09",   "2025-06-9",
        "2025/06/09", "2025-06-09T", "+025-06-09",  "2025-0a-09",  "2025--6-09",
        "",           "2025-06-0 ",  "12025-06-09", "2025-06-09Z", "2025-06+09"};
    int32_t d = 12345;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_date(bad[i], &d), -1);
    assert_int_equal(d, 12345); /* untouched on failure */
    /* the length given is what counts */
    assert_int_equal(date_parse("2025-06-09junk", 10, &d), 0);
    assert_int_equal(date_parse("2025-06-09", 9, &d), -1);
}

static void test_date_format_round_trips(void **state)
{
    char out[DATE_LEN + 1];
    int32_t d;

    (void)state;
    /* every day from 1900 to 2100 */
    for (int32_t day = -25567; day <= 47482; day++) {
        date_format(day, out);
        assert_int_equal(strlen(out), DATE_LEN);
        assert_int_equal(date_parse(out, DATE_LEN, &d), 0);
        assert_int_equal(d, day);
    }
    date_format(20248, out);
    assert_string_equal(out, "2025-06-09");
    date_format(0, out);
    assert_string_equal(out, "1970-01-01");
}

static void test_date_civil_conversion_round_trips(void **state)
{
    int64_t y;
    unsigned m, d;

    (void)state;
    for (int64_t day = -800000; day <= 800000; day += 97) {
        civil_from_days(day, &y, &m, &d);
        assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
        assert_int_equal(days_from_civil(y, m, d), day);
    }
}

static void test_date_weekday(void **state)
{
    int32_t d;

    (void)state;
    assert_int_equal(date_weekday(0), 3); /* 1970-01-01, a Thursday */
    assert_int_equal(parse_date("2025-06-09", &d), 0);
    assert_int_equal(date_weekday(d), 0); /* Monday */
    assert_int_equal(date_weekday(d + 6), 6);
    assert_int_equal(date_weekday(d + 7), 0);
    assert_int_equal(date_weekday(-1), 2); /* 1969-12-31, a Wednesday */
    assert_int_equal(parse_date("1900-01-01", &d), 0);
    assert_int_equal(date_weekday(d), 0); /* a Monday */
    assert_int_equal(parse_date("2024-02-29", &d), 0);
    assert_int_equal(date_weekday(d), 3); /* a Thursday */
}

static void test_time_parses_hhmm(void **state)
{
    int m;

    (void)state;
    assert_int_equal(time_parse_hhmm("00:00", 5, &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(time_parse_hhmm("23:59", 5, &m), 0);
    assert_int_equal(m, 23 * 60 + 59);
    assert_int_equal(time_parse_hhmm("09:05", 5, &m), 0);
    assert_int_equal(m, 545);
    assert_int_equal(time_parse_hhmm("24:00", 5, &m), -1);
    assert_int_equal(time_parse_hhmm("12:60", 5, &m), -1);
    assert_int_equal(time_parse_hhmm("9:05", 4, &m), -1);
    assert_int_equal(time_parse_hhmm("09-05", 5, &m), -1);
    assert_int_equal(time_parse_hhmm("", 0, &m), -1);
}

static void test_instant_parses_offsets(void **state)
{
    static const struct {
        const char *text;
        int64_t epoch;
    } cases[] = {
        {"2025-06-09T10:00:00Z", 1749463200},
        {"2025-06-09T10:00:00z", 1749463200},
        {"2025-06-09T10:00:00+00:00", 1749463200},
        {"2025-06-09T10:00:00-00:00", 1749463200},
        {"2025-06-09T05:00:00-05:00", 1749463200},
        {"2025-06-09T15:30:00+05:30", 1749463200},
        {"2025-06-09T15:30:00+0530", 1749463200},
        {"2025-06-09T10:00Z", 1749463200},
        {"2025-06-09 10:00:00Z", 1749463200},
        {"2025-06-09T10:00:00.5Z", 1749463200},
        {"2025-06-09T10:00:00.123456789+00:00", 1749463200},
        {"2025-06-09T23:30:00-05:00", 1749529800}, /* the next day in UTC */
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59Z", -1},
    };
    int64_t e;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        e = 42;
        if (parse_instant(cases[i].text, &e) != 0)
            print_error("rejected %s\n", cases[i].text);
        assert_int_equal(parse_instant(cases[i].text, &e), 0);
        assert_int_equal(e, cases[i].epoch);
    }
}

static void test_instant_rejects_bad_text(void **state)
{
    static const char *bad[] = {
        "2025-06-09T10:00:00",       /* no offset: ambiguous */
        "2025-06-09",                /* a date */
        "2025-06-09T24:00:00Z",      /* hour 24 */
        "2025-06-09T10:60:00Z",      /* minute 60 */
        "2025-06-09T10:00:61Z",      /* second 61 */
        "2025-02-29T10:00:00Z",      /* no such day */
        "2025-06-09T10:00:00.Z",     /* empty fraction */
        "2025-06-09T10:00:00+05",    /* offset without minutes */
        "2025-06-09T10:00:00+24:00", /* offset hour */
        "2025-06-09T10:00:00+05:60", /* offset minute */
        "2025-06-09T10:00:00ZZ",     /* trailing bytes */
        "2025-06-09T10:00:00Z ",     /* trailing space */
        "2025-06-09X10:00:00Z",      /* separator */
        "2025-06-09T1:00:00Z",       /* one-digit hour */
        "2025-06-09T10:00:0Z",       /* one-digit second */
        "2025-06-09T10:00:00+5:00",  /* one-digit offset hour */
        " 2025-06-09T10:00:00Z",     /* leading space */
        "",
    };
    int64_t e;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse_instant(bad[i], &e) != -1)
            print_error("accepted \"%s\"\n", bad[i]);
        assert_int_equal(parse_instant(bad[i], &e), -1);
    }
}

static void test_instant_format_round_trips(void **state)
{
    static const int64_t epochs[] = {0,         1,  59,     86399,  86400,       1749463200,
                                     951782400, -1, -86400, -86401, 253402300799};
    char out[INSTANT_LEN + 1];
    int64_t e;

    (void)state;
    for (size_t i = 0; i < sizeof(epochs) / sizeof(epochs[0]); i++) {
        instant_format(epochs[i], out);
        assert_int_equal(strlen(out), INSTANT_LEN);
        if (epochs[i] >= -30610224000) { /* year 1000 and later parse back */
            assert_int_equal(instant_parse(out, INSTANT_LEN, &e), 0);
            assert_int_equal(e, epochs[i]);
        }
    }
    instant_format(1749463200, out);
    assert_string_equal(out, "2025-06-09T10:00:00Z");
    instant_format(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    instant_format(951782400, out);
    assert_string_equal(out, "2000-02-29T00:00:00Z");
}

static void test_clock_moves_forward(void **state)
{
    int64_t a = clock_mono_ms(), b = clock_mono_ms();

    (void)state;
    assert_true(b >= a);
    /* after 2020-01-01, and today agrees with the wall clock */
    assert_true(clock_now_ms() > 1577836800000LL);
    assert_true(date_today_utc() >= (int32_t)(1577836800LL / 86400));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_parses_epoch_and_known_days),
        cmocka_unit_test(test_date_knows_leap_years),
        cmocka_unit_test(test_date_rejects_impossible_dates),
        cmocka_unit_test(test_date_rejects_other_shapes),
        cmocka_unit_test(test_date_format_round_trips),
        cmocka_unit_test(test_date_civil_conversion_round_trips),
        cmocka_unit_test(test_date_weekday),
        cmocka_unit_test(test_time_parses_hhmm),
        cmocka_unit_test(test_instant_parses_offsets),
        cmocka_unit_test(test_instant_rejects_bad_text),
        cmocka_unit_test(test_instant_format_round_trips),
        cmocka_unit_test(test_clock_moves_forward),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
