/* Tests of import plans (src/services/import_plan.c): the units a plan
 * stands for and their order, what it refuses, and the engine run on
 * threads of its own over saved responses into a real SQLite database,
 * recorded as one run. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "services/import.h"
#include "store/store_admin.h"

#include "unit_db.h"

#define FIXTURES TVSHOWS_FIXTURES "/tvmaze/"

static void assert_unit(const import_units *u, int64_t i, const char *day, const char *source)
{
    char d[DATE_LEN + 1];

    assert_string_equal(import_unit_at(u, i, d), source);
    assert_string_equal(d, day);
}

static void test_a_window_is_day_major(void **state)
{
    import_plan p = {.days = 3, .from = "2026-07-03", .countries = "US,GB", .web = 1};
    import_units u;
    char err[128];

    (void)state;
    assert_int_equal(import_plan_units(&p, &u, err, sizeof(err)), 0);
    assert_int_equal(u.nsources, 3);
    assert_int_equal(u.n, 9);
    assert_int_equal(u.days_total, 9);
    assert_string_equal(import_plan_mode(&p), "days");
    assert_unit(&u, 0, "2026-07-03", "country:US");
    assert_unit(&u, 2, "2026-07-03", "web");
    assert_unit(&u, 4, "2026-07-04", "country:GB");
    assert_unit(&u, 8, "2026-07-05", "web");
}

static void test_one_source_stands_for_countries_and_web(void **state)
{
    import_plan p = {
        .days = 1, .from = "2026-07-03", .countries = "US,GB", .web = 1, .source = "country:GB"};
    import_units u;
    char err[128];

    (void)state;
    assert_int_equal(import_plan_units(&p, &u, err, sizeof(err)), 0);
    assert_int_equal(u.n, 1);
    assert_unit(&u, 0, "2026-07-03", "country:GB");
}

static void test_a_plan_that_cannot_run_is_refused_with_its_reason(void **state)
{
    import_plan bad_from = {.days = 1, .from = "2026-13-01", .countries = "US"};
    import_plan bad_source = {.days = 1, .source = "country:USA-and-then-some"};
    import_units u;
    char err[128];

    (void)state;
    assert_int_equal(import_plan_units(&bad_from, &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "2026-13-01"));
    assert_int_equal(import_plan_units(&bad_source, &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown source"));
}

static void test_the_full_schedule_is_one_unit_whose_days_come_later(void **state)
{
    const char *const files[] = {"a.json", "b.json"};
    import_plan full = {.full = 1, .days = 90, .countries = "US"};
    import_plan saved = {.files = files, .nfiles = 2};
    import_units u;
    char err[128];

    (void)state;
    assert_int_equal(import_plan_units(&full, &u, err, sizeof(err)), 0);
    assert_int_equal(u.n, 1);
    assert_int_equal(u.days_total, 0);
    assert_string_equal(import_plan_mode(&full), "full");
    assert_int_equal(import_plan_units(&saved, &u, err, sizeof(err)), 0);
    assert_int_equal(u.n, 2);
    assert_int_equal(u.days_total, 2);
    assert_string_equal(import_plan_mode(&saved), "file");
}

static void test_sources_stop_at_the_maximum(void **state)
{
    char countries[IMPORT_MAX_SOURCES * 3 + 64] = "";
    import_plan p = {.days = 1, .countries = countries, .web = 1};
    import_units u;
    char err[128];

    (void)state;
    for (int i = 0; i < IMPORT_MAX_SOURCES + 10; i++)
        snprintf(countries + strlen(countries), sizeof(countries) - strlen(countries), "%s%c%c",
                 i ? "," : "", 'A' + i / 26, 'A' + i % 26);
    assert_int_equal(import_plan_units(&p, &u, err, sizeof(err)), 0);
    assert_int_equal(u.nsources, IMPORT_MAX_SOURCES);
}

/* What the progress callback saw, from the engine's threads. */
typedef struct seen {
    pthread_mutex_t lock;
    int n, ok;
    char days[16][DATE_LEN + 1];
} seen;

static void on_unit(void *ud, const char *day, const char *source, int ok, const import_result *r)
{
    seen *s = ud;

    (void)source;
    (void)r;
    pthread_mutex_lock(&s->lock);
    if (s->n < 16)
        snprintf(s->days[s->n], sizeof(s->days[0]), "%s", day);
    s->n++;
    s->ok += ok;
    pthread_mutex_unlock(&s->lock);
}

static int cmp_day(const void *a, const void *b)
{
    return strcmp(a, b);
}

static store *open_migrated(void)
{
    store *st = unit_db_open();
    int applied;

    assert_int_equal(store_migrate(st, &applied), STORE_OK);
    return st;
}

static void test_saved_days_run_on_threads_and_are_recorded_as_one_run(void **state)
{
    const char *const files[] = {
        FIXTURES "schedule-GB-2026-07-03.json", FIXTURES "schedule-GB-2026-07-04.json",
        FIXTURES "schedule-GB-2026-07-05.json", FIXTURES "schedule-GB-2026-07-06.json",
        FIXTURES "schedule-GB-2026-07-07.json", FIXTURES "schedule-GB-2026-07-08.json"};
    config cfg = {.database_url = unit_db_url, .concurrency = 3};
    seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    store *st = open_migrated();
    import_exec x = {.cfg = &cfg, .runs = st, .progress = on_unit, .ud = &s};
    import_plan p = {.files = files, .nfiles = 5};
    import_result r;
    char err[256];

    (void)state;
    memset(&r, 0, sizeof(r));
    assert_int_equal(import_run_plan(&p, &x, &r, err, sizeof(err)), 0);
    assert_int_equal(r.days_ok, 5);
    assert_int_equal(r.days_failed, 0);
    assert_true(r.episodes > 50);
    assert_true(r.run > 0);
    assert_string_equal(r.status, "succeeded");
    /* each unit once, whichever thread took it */
    assert_int_equal(s.n, 5);
    assert_int_equal(s.ok, 5);
    qsort(s.days, 5, sizeof(s.days[0]), cmp_day);
    assert_string_equal(s.days[0], "2026-07-03");
    assert_string_equal(s.days[4], "2026-07-07");

    /* a file that is not there fails its unit only: the run is partial */
    memset(&r, 0, sizeof(r));
    p.nfiles = 6;
    assert_int_equal(import_run_plan(&p, &x, &r, err, sizeof(err)), 0);
    assert_int_equal(r.days_ok, 5);
    assert_int_equal(r.days_failed, 1);
    assert_string_equal(r.status, "partial");
    assert_non_null(strstr(r.failed, "schedule-GB-2026-07-08.json"));
    assert_int_equal(r.upserted, 0); /* the five days again: nothing changed */
    store_close(st);
}

static void test_no_unit_starts_in_the_upstreams_pause_and_no_run_is_recorded(void **state)
{
    config cfg = {.database_url = unit_db_url, .concurrency = 2};
    store *st = open_migrated();
    import_exec x = {.cfg = &cfg, .st = st, .runs = st};
    import_plan p = {.days = 4, .from = "2026-07-03", .countries = "GB", .web = 1};
    import_result r;
    char err[256];

    (void)state;
    memset(&r, 0, sizeof(r));
    import_upstream_init("http://127.0.0.1:9", 60 * 1000, 0);
    import_upstream_down(); /* the pause begins: nothing is asked of the upstream */
    assert_int_equal(import_run_plan(&p, &x, &r, err, sizeof(err)), 0);
    assert_int_equal(r.skipped, 8);
    assert_int_equal(r.days_ok + r.days_failed, 0);
    assert_int_equal(r.net.requests, 0);
    assert_int_equal(r.run, 0);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_window_is_day_major),
        cmocka_unit_test(test_one_source_stands_for_countries_and_web),
        cmocka_unit_test(test_a_plan_that_cannot_run_is_refused_with_its_reason),
        cmocka_unit_test(test_the_full_schedule_is_one_unit_whose_days_come_later),
        cmocka_unit_test(test_sources_stop_at_the_maximum),
        cmocka_unit_test(test_saved_days_run_on_threads_and_are_recorded_as_one_run),
        /* last: the pause is process-wide */
        cmocka_unit_test(test_no_unit_starts_in_the_upstreams_pause_and_no_run_is_recorded),
    };
    int rc;

    tvmaze_global_init();
    if (unit_db_make("plan") != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    unit_db_remove();
    return rc;
}
