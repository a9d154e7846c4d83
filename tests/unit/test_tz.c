/* Tests of time zones (src/util/tz.h) against the system's tzdata. The
 * expected offsets were computed independently with Python's zoneinfo
 * over the same tzdata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/date.h"
#include "util/tz.h"

static const tz_zone *zone(const char *name)
{
    const tz_zone *z = tz_find(name, strlen(name));

    assert_non_null(z);
    assert_string_equal(tz_name(z), name);
    return z;
}

static int32_t day_of(const char *s)
{
    int32_t d;

    assert_int_equal(date_parse(s, strlen(s), &d), 0);
    return d;
}

static void test_tz_offsets_around_european_and_us_changes(void **state)
{
    const tz_zone *berlin = zone("Europe/Berlin"), *ny = zone("America/New_York");

    (void)state;
    assert_int_equal(tz_offset_at(berlin, 1774745999), 3600); /* 2026-03-29 00:59:59Z */
    assert_int_equal(tz_offset_at(berlin, 1774746000), 7200);
    assert_int_equal(tz_offset_at(berlin, 1792889999), 7200); /* 2026-10-25 00:59:59Z */
    assert_int_equal(tz_offset_at(berlin, 1792890000), 3600);
    assert_int_equal(tz_offset_at(ny, 1772953199), -18000); /* 2026-03-08 06:59:59Z */
    assert_int_equal(tz_offset_at(ny, 1772953200), -14400);
    assert_int_equal(tz_offset_at(ny, 1793512799), -14400); /* 2026-11-01 05:59:59Z */
    assert_int_equal(tz_offset_at(ny, 1793512800), -18000);
}

static void test_tz_southern_half_hour_and_odd_zones(void **state)
{
    (void)state;
    assert_int_equal(tz_offset_at(zone("Australia/Sydney"), 1768435200), 39600);
    assert_int_equal(tz_offset_at(zone("Australia/Sydney"), 1784073600), 36000);
    assert_int_equal(tz_offset_at(zone("Australia/Lord_Howe"), 1768435200), 39600);
    assert_int_equal(tz_offset_at(zone("Australia/Lord_Howe"), 1784073600), 37800);
    assert_int_equal(tz_offset_at(zone("Pacific/Auckland"), 1790431199), 43200);
    assert_int_equal(tz_offset_at(zone("Pacific/Auckland"), 1790431200), 46800);
    assert_int_equal(tz_offset_at(zone("Asia/Kolkata"), 1767225600), 19800);
    assert_int_equal(tz_offset_at(zone("Pacific/Kiritimati"), 1767225600), 50400);
    assert_int_equal(tz_offset_at(zone("America/Santiago"), 1788667199), -14400);
    assert_int_equal(tz_offset_at(zone("America/Santiago"), 1788667200), -10800);
    assert_int_equal(tz_offset_at(zone("UTC"), 1788667200), 0);
}

static void test_tz_far_future_follows_the_footer_rule(void **state)
{
    (void)state;
    assert_int_equal(tz_offset_at(zone("Europe/Berlin"), 4118083200), 7200); /* 2100-07-01 */
    assert_int_equal(tz_offset_at(zone("Europe/Berlin"), 4102444800), 3600); /* 2100-01-01 */
    assert_int_equal(tz_offset_at(zone("America/Sao_Paulo"), 2208988800), -10800);
}

static void test_tz_day_start_is_local_midnight_or_the_end_of_a_gap(void **state)
{
    (void)state;
    /* the day of a spring change still starts at midnight */
    assert_int_equal(tz_day_start(zone("Europe/Berlin"), day_of("2026-03-29")), 1774738800);
    assert_int_equal(tz_day_start(zone("America/New_York"), day_of("2026-11-01")), 1793505600);
    assert_int_equal(tz_day_start(zone("Pacific/Auckland"), day_of("2026-07-03")), 1782993600);
    assert_int_equal(tz_day_start(zone("UTC"), day_of("2026-07-03")), 1783036800);
    /* Chile moves its clocks at midnight: the day begins at 01:00 */
    assert_int_equal(tz_day_start(zone("America/Santiago"), day_of("2026-09-06")), 1788667200);
}

static void test_tz_local_day_and_minute(void **state)
{
    int32_t day, minute;

    (void)state;
    /* 2025-06-09T04:35Z is 00:35 in New York and 21:35 the day before in
     * Los Angeles */
    tz_local(zone("America/New_York"), 1749443700, &day, &minute);
    assert_int_equal(day, day_of("2025-06-09"));
    assert_int_equal(minute, 35);
    tz_local(zone("America/Los_Angeles"), 1749443700, &day, &minute);
    assert_int_equal(day, day_of("2025-06-08"));
    assert_int_equal(minute, 21 * 60 + 35);
    tz_local(zone("UTC"), -1, &day, &minute);
    assert_int_equal(day, -1);
    assert_int_equal(minute, 1439);
}

static void test_tz_rules_match_the_compiled_zones(void **state)
{
    tz_zone *us = tz_from_rule("EST5EDT,M3.2.0,M11.1.0", 22);
    tz_zone *cet = tz_from_rule("CET-1CEST,M3.5.0,M10.5.0/3", 26);
    tz_zone *lh = tz_from_rule("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 36);
    const tz_zone *ny = zone("America/New_York"), *berlin = zone("Europe/Berlin"),
                  *howe = zone("Australia/Lord_Howe");

    (void)state;
    assert_non_null(us);
    assert_non_null(cet);
    assert_non_null(lh);
    /* every hour of 2030: the rules and the files agree */
    for (int64_t t = 1893456000; t < 1893456000 + 365 * 86400; t += 3600) {
        assert_int_equal(tz_offset_at(us, t), tz_offset_at(ny, t));
        assert_int_equal(tz_offset_at(cet, t), tz_offset_at(berlin, t));
        assert_int_equal(tz_offset_at(lh, t), tz_offset_at(howe, t));
    }
    tz_free(us);
    tz_free(cet);
    tz_free(lh);
}

static void test_tz_refuses_names_that_are_not_zones(void **state)
{
    static const char *bad[] = {"",
                                "../../etc/passwd",
                                "Europe/../../../etc/passwd",
                                "/etc/passwd",
                                "Europe",
                                "Europe/",
                                "Europe//Berlin",
                                "Nowhere/Land",
                                "europe/berlin",
                                ".hidden",
                                "Europe/Berlin\n",
                                "zone.tab",
                                "Europe/Berlin Europe/Paris"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(tz_find(bad[i], strlen(bad[i])));
    assert_null(tz_from_rule("", 0));
    assert_null(tz_from_rule("CET-1CEST,M13.5.0,M10.5.0", 25));
    assert_null(tz_from_rule("X1", 2));
    assert_non_null(tz_utc());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tz_offsets_around_european_and_us_changes),
        cmocka_unit_test(test_tz_southern_half_hour_and_odd_zones),
        cmocka_unit_test(test_tz_far_future_follows_the_footer_rule),
        cmocka_unit_test(test_tz_day_start_is_local_midnight_or_the_end_of_a_gap),
        cmocka_unit_test(test_tz_local_day_and_minute),
        cmocka_unit_test(test_tz_rules_match_the_compiled_zones),
        cmocka_unit_test(test_tz_refuses_names_that_are_not_zones),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    tz_shutdown();
    return rc;
}
