/* Tests of the int64 hash map (src/util/idmap.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/idmap.h"

static void test_idmap_empty_map_finds_nothing(void **state)
{
    idmap m;
    int64_t v = 7;

    (void)state;
    idmap_init(&m);
    assert_int_equal(idmap_get(&m, 0, &v), 0);
    assert_int_equal(idmap_get(&m, 42, &v), 0);
    assert_int_equal(v, 7);
    idmap_free(&m);
}

static void test_idmap_puts_and_gets(void **state)
{
    idmap m;
    int64_t v;

    (void)state;
    idmap_init(&m);
    assert_int_equal(idmap_put(&m, 82, 1), 0);
    assert_int_equal(idmap_put(&m, 0, 2), 0);
    assert_int_equal(idmap_put(&m, -5, 3), 0);
    assert_int_equal(idmap_put(&m, INT64_MAX, 4), 0);
    assert_int_equal(idmap_put(&m, INT64_MIN, 5), 0);
    assert_int_equal(m.n, 5);
    assert_int_equal(idmap_get(&m, 82, &v), 1);
    assert_int_equal(v, 1);
    assert_int_equal(idmap_get(&m, 0, &v), 1);
    assert_int_equal(v, 2);
    assert_int_equal(idmap_get(&m, -5, &v), 1);
    assert_int_equal(v, 3);
    assert_int_equal(idmap_get(&m, INT64_MAX, &v), 1);
    assert_int_equal(v, 4);
    assert_int_equal(idmap_get(&m, INT64_MIN, &v), 1);
    assert_int_equal(v, 5);
    assert_int_equal(idmap_get(&m, 83, &v), 0);
    idmap_free(&m);
}

static void test_idmap_overwrites_existing_key(void **state)
{
    idmap m;
    int64_t v;

    (void)state;
    idmap_init(&m);
    assert_int_equal(idmap_put(&m, 9, 1), 0);
    assert_int_equal(idmap_put(&m, 9, -1), 0);
    assert_int_equal(m.n, 1);
    assert_int_equal(idmap_get(&m, 9, &v), 1);
    assert_int_equal(v, -1);
    idmap_free(&m);
}

static void test_idmap_grows_with_many_keys(void **state)
{
    const int64_t count = 200000;
    idmap m;
    int64_t v;

    (void)state;
    idmap_init(&m);
    /* keys spread widely and clustered: multiples of 4096 collide on low bits */
    for (int64_t i = 0; i < count; i++)
        assert_int_equal(idmap_put(&m, i * 4096 - 1000000, i), 0);
    assert_int_equal(m.n, count);
    assert_true(m.cap >= (size_t)count);
    assert_int_equal(m.cap & (m.cap - 1), 0);
    assert_true(m.n * 4 <= m.cap * 3);
    for (int64_t i = 0; i < count; i++) {
        assert_int_equal(idmap_get(&m, i * 4096 - 1000000, &v), 1);
        assert_int_equal(v, i);
    }
    for (int64_t i = 0; i < 1000; i++)
        assert_int_equal(idmap_get(&m, i * 4096 - 1000000 + 1, &v), 0);
    /* overwrite every other key after growth */
    for (int64_t i = 0; i < count; i += 2)
        assert_int_equal(idmap_put(&m, i * 4096 - 1000000, -i), 0);
    assert_int_equal(m.n, count);
    for (int64_t i = 0; i < count; i++) {
        assert_int_equal(idmap_get(&m, i * 4096 - 1000000, &v), 1);
        assert_int_equal(v, i % 2 ? i : -i);
    }
    idmap_free(&m);
    assert_int_equal(m.n, 0);
    assert_int_equal(idmap_get(&m, 0, &v), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idmap_empty_map_finds_nothing),
        cmocka_unit_test(test_idmap_puts_and_gets),
        cmocka_unit_test(test_idmap_overwrites_existing_key),
        cmocka_unit_test(test_idmap_grows_with_many_keys),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
