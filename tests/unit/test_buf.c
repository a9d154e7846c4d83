/* Tests of the capped byte buffer (src/util/buf.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/buf.h"

static void test_buf_appends_and_stays_nul_terminated(void **state)
{
    buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(b.cap, BUF_CAP_DEFAULT);
    assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(buf_puts(&b, "cd"), 0);
    assert_int_equal(buf_putc(&b, 'e'), 0);
    assert_int_equal(buf_printf(&b, "-%d-%s", 42, "x"), 0);
    assert_int_equal(buf_put_i64(&b, -7), 0);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "abcde-42-x-7");
    assert_int_equal(buf_append(&b, NULL, 0), 0);
    assert_int_equal(b.len, 12);
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void test_buf_grows_past_initial_size(void **state)
{
    char chunk[1000];
    buf b;

    (void)state;
    memset(chunk, 'z', sizeof(chunk));
    buf_init(&b, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(buf_append(&b, chunk, sizeof(chunk)), 0);
    assert_int_equal(b.len, 100000);
    assert_true(b.size > b.len);
    assert_int_equal(b.data[b.len], '\0');
    for (size_t i = 0; i < b.len; i++)
        assert_int_equal(b.data[i], 'z');
    buf_free(&b);
}

static void test_buf_cap_refuses_append_and_keeps_contents(void **state)
{
    buf b;

    (void)state;
    buf_init(&b, 10);
    assert_int_equal(buf_puts(&b, "12345678"), 0);
    assert_int_equal(buf_puts(&b, "abc"), -1);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(buf_printf(&b, "%s", "xyz"), -1);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(buf_put_i64(&b, 123), -1);
    assert_string_equal(b.data, "12345678");
    /* exactly up to the cap is fine */
    assert_int_equal(buf_puts(&b, "90"), 0);
    assert_string_equal(b.data, "1234567890");
    assert_int_equal(buf_putc(&b, '!'), -1);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "1234567890");
    assert_true(b.size <= b.cap + 1);
    buf_free(&b);
}

static void test_buf_cap_refuses_huge_reserve(void **state)
{
    buf b;

    (void)state;
    buf_init(&b, 100);
    assert_int_equal(buf_puts(&b, "keep"), 0);
    assert_int_equal(buf_reserve(&b, SIZE_MAX), -1);
    assert_int_equal(buf_reserve(&b, SIZE_MAX - 2), -1);
    assert_int_equal(buf_reserve(&b, 97), -1);
    assert_int_equal(buf_reserve(&b, 96), 0);
    assert_string_equal(b.data, "keep");
    buf_free(&b);
}

static void test_buf_reset_keeps_memory(void **state)
{
    buf b;
    char *before;

    (void)state;
    buf_init(&b, 0);
    buf_puts(&b, "hello");
    before = b.data;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_ptr_equal(b.data, before);
    buf_free(&b);
    buf_reset(&b); /* reset of an empty buffer is fine */
}

static void test_buf_consume_drops_prefix(void **state)
{
    buf b;

    (void)state;
    buf_init(&b, 0);
    buf_puts(&b, "GET /a\r\nGET /b");
    buf_consume(&b, 8);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "GET /b");
    buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_buf_detach_hands_over_memory(void **state)
{
    buf b;
    char *p;

    (void)state;
    buf_init(&b, 0);
    buf_puts(&b, "owned");
    p = buf_detach(&b);
    assert_string_equal(p, "owned");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(p);
    p = buf_detach(&b); /* never NULL, even when empty */
    assert_non_null(p);
    assert_string_equal(p, "");
    free(p);
}

static void test_buf_formats_int64_extremes(void **state)
{
    buf b;

    (void)state;
    buf_init(&b, 0);
    buf_put_i64(&b, INT64_MIN);
    buf_putc(&b, ' ');
    buf_put_i64(&b, INT64_MAX);
    buf_putc(&b, ' ');
    buf_put_i64(&b, 0);
    assert_string_equal(b.data, "-9223372036854775808 9223372036854775807 0");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_appends_and_stays_nul_terminated),
        cmocka_unit_test(test_buf_grows_past_initial_size),
        cmocka_unit_test(test_buf_cap_refuses_append_and_keeps_contents),
        cmocka_unit_test(test_buf_cap_refuses_huge_reserve),
        cmocka_unit_test(test_buf_reset_keeps_memory),
        cmocka_unit_test(test_buf_consume_drops_prefix),
        cmocka_unit_test(test_buf_detach_hands_over_memory),
        cmocka_unit_test(test_buf_formats_int64_extremes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
