/* Tests of query strings (query_parse, query_get, http_percent_decode in
 * src/http/http.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"

/* Parses s from an exact-size copy, so ASan sees any read past its end. */
static int parse(query *q, const char *s)
{
    size_t n = strlen(s);
    char *copy = malloc(n ? n : 1);
    int rc;

    assert_non_null(copy);
    memcpy(copy, s, n);
    rc = query_parse(q, copy, n);
    free(copy); /* the query owns its decoded bytes */
    return rc;
}

static void assert_value(const query *q, const char *key, const char *want, size_t want_len)
{
    size_t len = 12345;
    const char *v = query_get(q, key, &len);

    assert_non_null(v);
    assert_int_equal(len, want_len);
    assert_memory_equal(v, want, want_len);
}

static void test_query_splits_pairs(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "date=2025-06-09&country=US&page=2"), 0);
    assert_int_equal(q.n, 3);
    assert_value(&q, "date", "2025-06-09", 10);
    assert_value(&q, "country", "US", 2);
    assert_value(&q, "page", "2", 1);
    assert_null(query_get(&q, "missing", &(size_t){0}));
    assert_null(query_get(&q, "Date", &(size_t){0}));
    query_free(&q);
}

static void test_query_decodes_percent_escapes(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "q=caf%C3%A9%20bar&k%65y=%2f%2F&amp=%26%3D"), 0);
    assert_value(&q, "q", "caf\xc3\xa9 bar", 9);
    assert_value(&q, "key", "//", 2);
    assert_value(&q, "amp", "&=", 2);
    query_free(&q);
}

static void test_query_decodes_plus_as_space(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "q=the+office&a+b=%2B"), 0);
    assert_value(&q, "q", "the office", 10);
    assert_value(&q, "a b", "+", 1);
    query_free(&q);
}

static void test_query_rejects_malformed_escapes(void **state)
{
    static const char *bad[] = {"q=%", "q=%4",    "q=%zz", "q=%4g", "q=%g4",
                                "%=1", "q=1&r=%", "q=a%",  "%4"};
    query q;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        q.n = 99;
        assert_int_equal(parse(&q, bad[i]), -1);
        assert_int_equal(q.n, 0);
        assert_null(q.storage);
        query_free(&q); /* harmless after a failure */
    }
}

static void test_query_keeps_nul_with_its_length(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "q=a%00b&%00=z"), 0);
    assert_value(&q, "q", "a\0b", 3);
    assert_int_equal(q.params[1].key_len, 1);
    assert_int_equal(q.params[1].key[0], '\0');
    query_free(&q);
}

static void test_query_last_repeated_key_wins(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "page=1&page=2&x=0&page=3"), 0);
    assert_int_equal(q.n, 4);
    assert_value(&q, "page", "3", 1);
    query_free(&q);
}

static void test_query_accepts_keys_without_value(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "full&embed=&x"), 0);
    assert_int_equal(q.n, 3);
    assert_value(&q, "full", "", 0);
    assert_value(&q, "embed", "", 0);
    assert_value(&q, "x", "", 0);
    query_free(&q);
}

static void test_query_skips_empty_parts(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "&&a=1&&b=2&"), 0);
    assert_int_equal(q.n, 2);
    assert_value(&q, "a", "1", 1);
    assert_value(&q, "b", "2", 1);
    query_free(&q);
    assert_int_equal(parse(&q, "&"), 0);
    assert_int_equal(q.n, 0);
    query_free(&q);
    assert_int_equal(query_parse(&q, NULL, 0), 0);
    assert_int_equal(q.n, 0);
    query_free(&q);
}

static void test_query_keeps_equals_in_value(void **state)
{
    query q;

    (void)state;
    assert_int_equal(parse(&q, "a==b=c&=v"), 0);
    assert_value(&q, "a", "=b=c", 4);
    assert_value(&q, "", "v", 1);
    query_free(&q);
}

static char *many_params(size_t count)
{
    char *s = malloc(count * 8 + 1);
    size_t off = 0;

    assert_non_null(s);
    for (size_t i = 0; i < count; i++)
        off += (size_t)sprintf(s + off, "%sk%zu=v", i ? "&" : "", i);
    s[off] = '\0';
    return s;
}

static void test_query_accepts_max_params(void **state)
{
    char *s = many_params(QUERY_MAX_PARAMS);
    query q;

    (void)state;
    assert_int_equal(parse(&q, s), 0);
    assert_int_equal(q.n, QUERY_MAX_PARAMS);
    assert_value(&q, "k63", "v", 1);
    query_free(&q);
    free(s);
}

static void test_query_rejects_too_many_params(void **state)
{
    char *s = many_params(QUERY_MAX_PARAMS + 1);
    query q;

    (void)state;
    assert_int_equal(parse(&q, s), -1);
    assert_null(q.storage);
    free(s);
}

static void test_percent_decode_honours_plus_flag(void **state)
{
    char out[16];
    size_t n = 0;

    (void)state;
    assert_int_equal(http_percent_decode("a+b%2B", 6, out, &n, 0), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "a+b+", 4);
    assert_int_equal(http_percent_decode("a+b%2B", 6, out, &n, 1), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "a b+", 4);
    assert_int_equal(http_percent_decode("%41%42%43", 9, out, &n, 0), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "ABC", 3);
    assert_int_equal(http_percent_decode("", 0, out, &n, 0), 0);
    assert_int_equal(n, 0);
}

static void test_percent_decode_rejects_bad_escapes(void **state)
{
    char out[16];
    size_t n;

    (void)state;
    assert_int_equal(http_percent_decode("%", 1, out, &n, 0), -1);
    assert_int_equal(http_percent_decode("%4", 2, out, &n, 0), -1);
    assert_int_equal(http_percent_decode("%zz", 3, out, &n, 0), -1);
    assert_int_equal(http_percent_decode("ab%-1", 5, out, &n, 0), -1);
    /* the escape must lie inside the given length */
    assert_int_equal(http_percent_decode("%41", 2, out, &n, 0), -1);
}

static void test_percent_decode_every_byte(void **state)
{
    char in[4], out[4];
    size_t n;

    (void)state;
    for (unsigned c = 0; c < 256; c++) {
        snprintf(in, sizeof(in), "%%%02X", c);
        assert_int_equal(http_percent_decode(in, 3, out, &n, 1), 0);
        assert_int_equal(n, 1);
        assert_int_equal((unsigned char)out[0], c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_splits_pairs),
        cmocka_unit_test(test_query_decodes_percent_escapes),
        cmocka_unit_test(test_query_decodes_plus_as_space),
        cmocka_unit_test(test_query_rejects_malformed_escapes),
        cmocka_unit_test(test_query_keeps_nul_with_its_length),
        cmocka_unit_test(test_query_last_repeated_key_wins),
        cmocka_unit_test(test_query_accepts_keys_without_value),
        cmocka_unit_test(test_query_skips_empty_parts),
        cmocka_unit_test(test_query_keeps_equals_in_value),
        cmocka_unit_test(test_query_accepts_max_params),
        cmocka_unit_test(test_query_rejects_too_many_params),
        cmocka_unit_test(test_percent_decode_honours_plus_flag),
        cmocka_unit_test(test_percent_decode_rejects_bad_escapes),
        cmocka_unit_test(test_percent_decode_every_byte),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
