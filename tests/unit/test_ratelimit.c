/* Tests of the in-process request budgets (src/middleware/ratelimit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "middleware/ratelimit.h"

#define MINUTE 60000
#define HOUR   3600000
#define T0     1750000040000LL /* 20 s into a minute */

static int take(ratelimit *rl, const char *key, int64_t limit, int64_t window, int64_t now,
                rl_result *out)
{
    ratelimit_take(rl, key, strlen(key), limit, window, now, out);
    return out->allowed;
}

static void test_ratelimit_counts_within_a_window(void **state)
{
    ratelimit *rl = ratelimit_new();
    rl_result r;

    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < 3; i++) {
        assert_true(take(rl, "ip:192.0.2.1", 3, MINUTE, T0 + i, &r));
        assert_int_equal(r.remaining, 2 - i);
    }
    assert_false(take(rl, "ip:192.0.2.1", 3, MINUTE, T0 + 3, &r));
    assert_int_equal(r.reset_s, 40);
    assert_true(take(rl, "ip:192.0.2.2", 3, MINUTE, T0 + 4, &r));     /* someone else */
    assert_true(take(rl, "ip:192.0.2.1", 3, MINUTE, T0 + 40000, &r)); /* the next window */
    assert_int_equal(r.remaining, 2);
    ratelimit_free(rl);
}

/* More live clients than the table holds: the newest is still counted
 * (before, a full table let it through unlimited until the window turned),
 * and the table does not grow past its cap. */
static void test_ratelimit_full_table_keeps_limiting(void **state)
{
    ratelimit *rl = ratelimit_new();
    char key[32];
    rl_result r;
    int allowed = 0;

    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < RATELIMIT_MAX_KEYS + 20000; i++) {
        snprintf(key, sizeof(key), "ip:100.%d.%d.%d", 64 + (i >> 16), (i >> 8) & 255, i & 255);
        assert_true(take(rl, key, 5, MINUTE, T0 + i / 100, &r));
    }
    assert_true(ratelimit_size(rl) <= RATELIMIT_MAX_KEYS);
    for (int i = 0; i < 6; i++)
        allowed += take(rl, "ip:192.0.2.77", 5, MINUTE, T0 + 3000, &r);
    assert_int_equal(allowed, 5);
    assert_false(r.allowed);
    assert_int_equal(r.remaining, 0);
    /* a client that keeps coming is recent: a flood of others behind it
     * does not reset its count */
    for (int i = 0; i < 50000; i++) {
        snprintf(key, sizeof(key), "ip:198.18.%d.%d", (i >> 8) & 255, i & 255);
        take(rl, key, 5, MINUTE, T0 + 3001, &r);
        if (i % 1000 == 0)
            assert_false(take(rl, "ip:192.0.2.77", 5, MINUTE, T0 + 3001, &r));
    }
    assert_true(ratelimit_size(rl) <= RATELIMIT_MAX_KEYS);
    ratelimit_free(rl);
}

/* Counters of ended windows are freed as traffic goes on; a longer window
 * (an hourly key budget) is not taken for ended by minute traffic. */
static void test_ratelimit_drops_ended_windows_only(void **state)
{
    ratelimit *rl = ratelimit_new();
    char key[32];
    rl_result r;

    (void)state;
    assert_non_null(rl);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "ip:192.0.2.%d:%d", i & 255, i);
        take(rl, key, 10, MINUTE, T0, &r);
    }
    for (int i = 0; i < 3; i++)
        take(rl, "key:7", 10, HOUR, T0, &r);
    assert_int_equal(ratelimit_size(rl), 1001);
    /* two minutes on: every minute counter has ended and goes as requests
     * come to its shard; the hourly one stays, with its count */
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "ip:203.0.113.%d", i % 100);
        take(rl, key, 1000000, MINUTE, T0 + 2 * MINUTE, &r);
    }
    assert_int_equal(ratelimit_size(rl), 101);
    take(rl, "key:7", 10, HOUR, T0 + 2 * MINUTE, &r);
    assert_int_equal(r.remaining, 6);
    ratelimit_free(rl);
}

static void test_ratelimit_long_keys_are_cut_consistently(void **state)
{
    ratelimit *rl = ratelimit_new();
    char a[200], b[200];
    rl_result r;

    (void)state;
    assert_non_null(rl);
    memset(a, 'x', sizeof(a) - 1);
    a[sizeof(a) - 1] = '\0';
    memcpy(b, a, sizeof(b));
    b[150] = 'y'; /* differs only past the cut */
    assert_true(take(rl, a, 1, MINUTE, T0, &r));
    assert_false(take(rl, b, 1, MINUTE, T0, &r));
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratelimit_counts_within_a_window),
        cmocka_unit_test(test_ratelimit_full_table_keeps_limiting),
        cmocka_unit_test(test_ratelimit_drops_ended_windows_only),
        cmocka_unit_test(test_ratelimit_long_keys_are_cut_consistently),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
