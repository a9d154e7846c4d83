/* Tests of the API's query parameters (src/api/params.c): what each parser
 * takes, what it refuses, and the one 400 that names the parameter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_internal.h"

typedef struct fixture {
    api_request r;
    http_response res;
    char *qs;
} fixture;

static fixture *parse(const char *qs)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->qs = strdup(qs); /* query_parse decodes in place */
    assert_non_null(f->qs);
    assert_int_equal(query_parse(&f->r.q, f->qs, strlen(f->qs)), 0);
    buf_init(&f->res.headers, 1 << 16);
    buf_init(&f->res.body, 1 << 16);
    return f;
}

static void done(fixture *f)
{
    query_free(&f->r.q);
    buf_free(&f->res.headers);
    buf_free(&f->res.body);
    free(f->qs);
    free(f);
}

static void test_int_takes_its_range_only(void **state)
{
    fixture *f = parse("a=5&b=0&c=11&d=x&e=&f=-3");
    int64_t v = 99;

    (void)state;
    assert_int_equal(api_param_int(&f->r, "a", 1, 10, &v), PARAM_OK);
    assert_int_equal(v, 5);
    assert_int_equal(api_param_int(&f->r, "b", 1, 10, &v), PARAM_BAD);
    assert_int_equal(api_param_int(&f->r, "c", 1, 10, &v), PARAM_BAD);
    assert_int_equal(api_param_int(&f->r, "d", 1, 10, &v), PARAM_BAD);
    assert_int_equal(api_param_int(&f->r, "e", 1, 10, &v), PARAM_ABSENT); /* empty: absent */
    assert_int_equal(api_param_int(&f->r, "f", -5, 10, &v), PARAM_OK);
    assert_int_equal(v, -3);
    assert_int_equal(api_param_int(&f->r, "missing", 1, 10, &v), PARAM_ABSENT);
    assert_int_equal(v, -3); /* untouched when absent */
    done(f);
}

static void test_decimal_takes_its_range_only(void **state)
{
    fixture *f = parse("r=7.5&s=10.01&t=1e3&u=abc");
    double v = 0;

    (void)state;
    assert_int_equal(api_param_decimal(&f->r, "r", 0, 10, &v), PARAM_OK);
    assert_true(v > 7.49 && v < 7.51);
    assert_int_equal(api_param_decimal(&f->r, "s", 0, 10, &v), PARAM_BAD);
    assert_int_equal(api_param_decimal(&f->r, "u", 0, 10, &v), PARAM_BAD);
    done(f);
}

static void test_text_refuses_control_bytes_bad_utf8_and_length(void **state)
{
    fixture *f = parse("ok=Caf%C3%A9&ctl=a%01b&del=a%7Fb&bad=%C3%28&long=abcdefghijk");
    const char *v = NULL;
    size_t n = 0;

    (void)state;
    assert_int_equal(api_param_text(&f->r, "ok", 10, &v, &n), PARAM_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(v, "Caf\xc3\xa9", 5);
    assert_int_equal(api_param_text(&f->r, "ctl", 10, &v, &n), PARAM_BAD);
    assert_int_equal(api_param_text(&f->r, "del", 10, &v, &n), PARAM_BAD);
    assert_int_equal(api_param_text(&f->r, "bad", 10, &v, &n), PARAM_BAD);
    assert_int_equal(api_param_text(&f->r, "long", 10, &v, &n), PARAM_BAD);
    assert_int_equal(api_param_text(&f->r, "none", 10, &v, &n), PARAM_ABSENT);
    done(f);
}

static void test_pagination_defaults_and_bounds(void **state)
{
    fixture *f = parse("");
    int64_t page = 0, per = 0;

    (void)state;
    assert_int_equal(api_pagination(&f->r, &f->res, 25, &page, &per), 0);
    assert_int_equal(page, 1);
    assert_int_equal(per, 25);
    done(f);
    f = parse("page=3&per_page=100");
    assert_int_equal(api_pagination(&f->r, &f->res, 25, &page, &per), 0);
    assert_int_equal(page, 3);
    assert_int_equal(per, 100);
    done(f);
}

static void test_a_bad_page_is_one_400_naming_it(void **state)
{
    fixture *f = parse("page=1&per_page=101");
    int64_t page, per;

    (void)state;
    assert_int_equal(api_pagination(&f->r, &f->res, 25, &page, &per), -1);
    assert_int_equal(f->res.status, 400);
    assert_non_null(strstr(f->res.body.data, "\"Invalid parameter: per_page\""));
    assert_non_null(strstr(f->res.body.data, "from 1 to 100"));
    done(f);
    f = parse("page=0");
    assert_int_equal(api_pagination(&f->r, &f->res, 25, &page, &per), -1);
    assert_int_equal(f->res.status, 400);
    assert_non_null(strstr(f->res.body.data, "\"Invalid parameter: page\""));
    done(f);
}

static void test_cache_key_parts_are_length_prefixed(void **state)
{
    buf key;

    (void)state;
    buf_init(&key, 1 << 10);
    /* "a;b" as one value must not read as two parameters */
    api_key_add(&key, "q", "a;b", 3);
    api_key_add_int(&key, "n", -4);
    assert_string_equal(key.data, "q=3:a;b;n=-4;");
    buf_free(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_takes_its_range_only),
        cmocka_unit_test(test_decimal_takes_its_range_only),
        cmocka_unit_test(test_text_refuses_control_bytes_bad_utf8_and_length),
        cmocka_unit_test(test_pagination_defaults_and_bounds),
        cmocka_unit_test(test_a_bad_page_is_one_400_naming_it),
        cmocka_unit_test(test_cache_key_parts_are_length_prefixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
