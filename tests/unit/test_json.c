/* Tests of the JSON writer and UTF-8 helpers (src/util/json.h). Output is
 * also read back with jansson, which refuses invalid JSON and invalid UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/json.h"

#define S(lit) lit, sizeof(lit) - 1
#define FFFD   "\xEF\xBF\xBD"

/* json_escape(s) must give exactly want. */
static void escape_is(const char *s, size_t n, const char *want, size_t want_len)
{
    buf b;

    buf_init(&b, 0);
    assert_int_equal(json_escape(&b, s, n), 0);
    assert_int_equal(b.len, want_len);
    if (want_len)
        assert_memory_equal(b.data, want, want_len);
    buf_free(&b);
}

/* Writes s as a JSON string and checks jansson reads back valid UTF-8. */
static void string_reads_back(const char *s, size_t n)
{
    jw_writer w;
    json_error_t err;
    json_t *v;
    buf b;

    buf_init(&b, 0);
    jw_begin(&w, &b);
    jw_strn(&w, s, n);
    assert_int_equal(jw_end(&w), 0);
    assert_true(utf8_valid(b.data, b.len));
    v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        print_error("jansson: %s in %s\n", err.text, b.data);
    assert_non_null(v);
    assert_true(json_is_string(v));
    json_decref(v);
    buf_free(&b);
}

static void test_json_escapes_quote_and_backslash(void **state)
{
    (void)state;
    escape_is(S("a\"b\\c"), S("a\\\"b\\\\c"));
    escape_is(S("\"\""), S("\\\"\\\""));
    escape_is(S("/ is not escaped"), S("/ is not escaped"));
    escape_is("", 0, "", 0);
}

/* The writer checks eight bytes at a time whether a string needs
 * escaping: a byte that does is found at every place in and across those
 * words, and the string then reads back as itself. */
static void test_json_writer_finds_what_needs_escaping_anywhere(void **state)
{
    static const char special[] = {'"', '\\', '\n', '\x01', '\x1f', '\x7f', '\xc3'};
    (void)state;
    for (size_t len = 1; len <= 24; len++)
        for (size_t k = 0; k < sizeof(special); k++)
            for (size_t at = 0; at < len; at++) {
                char s[25];
                jw_writer w;
                json_t *v;
                buf b;
                if (special[k] == '\xc3' && at + 1 == len)
                    continue; /* "é" takes two bytes */
                memset(s, 'a' + (char)(at % 26), 24);
                s[at] = special[k];
                if (special[k] == '\xc3')
                    s[at + 1] = '\xa9';
                s[24] = '\0';
                buf_init(&b, 0);
                jw_begin(&w, &b);
                jw_strn(&w, s, len);
                assert_int_equal(jw_end(&w), 0);
                v = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
                assert_non_null(v);
                assert_int_equal(json_string_length(v), len);
                assert_memory_equal(json_string_value(v), s, len);
                json_decref(v);
                buf_free(&b);
            }
}

static void test_json_escapes_every_control_character(void **state)
{
    static const char *named[32] = {
        ['\b'] = "\\b", ['\f'] = "\\f", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t"};
    char want[8];

    (void)state;
    for (unsigned c = 0; c < 0x20; c++) {
        char in = (char)c;
        if (named[c])
            strcpy(want, named[c]);
        else
            snprintf(want, sizeof(want), "\\u%04x", c);
        escape_is(&in, 1, want, strlen(want));
        string_reads_back(&in, 1);
    }
    /* DEL needs no escape in JSON */
    escape_is(S("\x7f"), S("\x7f"));
    escape_is(S("a\0b"), S("a\\u0000b"));
}

static void test_json_passes_valid_multibyte_text(void **state)
{
    static const char *valid[] = {
        "caf\xc3\xa9",                          /* é */
        "\xe2\x82\xac",                         /* € */
        "\xf0\x9f\x98\x80",                     /* 😀 */
        "\xc2\x80",                             /* U+0080, the first two-byte character */
        "\xdf\xbf",                             /* U+07FF */
        "\xe0\xa0\x80",                         /* U+0800 */
        "\xed\x9f\xbf",                         /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",                         /* U+E000, just above them */
        "\xef\xbf\xbf",                         /* U+FFFF */
        "\xf0\x90\x80\x80",                     /* U+10000 */
        "\xf4\x8f\xbf\xbf",                     /* U+10FFFF, the last */
        "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", /* 日本語 */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t n = strlen(valid[i]);
        assert_true(utf8_valid(valid[i], n));
        escape_is(valid[i], n, valid[i], n);
        string_reads_back(valid[i], n);
    }
}

static void test_json_replaces_invalid_utf8(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\x80", FFFD},                                              /* lone continuation */
        {"a\xbfz", "a" FFFD "z"},                                    /* lone continuation */
        {"\xc0\x80", FFFD FFFD},                                     /* overlong NUL */
        {"\xc1\xbf", FFFD FFFD},                                     /* overlong */
        {"\xe0\x80\xaf", FFFD FFFD FFFD},                            /* overlong '/' */
        {"\xe0\x9f\xbf", FFFD FFFD FFFD},                            /* overlong U+07FF */
        {"\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD},                   /* overlong */
        {"\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD},                   /* overlong U+FFFF */
        {"\xed\xa0\x80", FFFD FFFD FFFD},                            /* U+D800 */
        {"\xed\xbf\xbf", FFFD FFFD FFFD},                            /* U+DFFF */
        {"\xed\xa0\xbd\xed\xb8\x80", FFFD FFFD FFFD FFFD FFFD FFFD}, /* CESU-8 pair */
        {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD},                   /* U+110000 */
        {"\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD},                   /* lead byte > 0xF4 */
        {"\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD},
        {"\xfe\xff", FFFD FFFD},
        {"\xe2\x82", FFFD FFFD},          /* truncated at the end */
        {"\xf0\x9f\x98", FFFD FFFD FFFD}, /* truncated at the end */
        {"\xe2\x82z", FFFD FFFD "z"},     /* truncated in the middle */
        {"\xc3", FFFD},
        {"\xc3\xc3\xa9", FFFD "\xc3\xa9"}, /* a lead byte, then a real é */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);
        assert_false(utf8_valid(cases[i].in, n));
        escape_is(cases[i].in, n, cases[i].out, strlen(cases[i].out));
        string_reads_back(cases[i].in, n);
    }
}

static void test_json_output_is_valid_for_every_byte_pair(void **state)
{
    char in[3];
    buf out;

    (void)state;
    buf_init(&out, 0);
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            json_t *v;
            in[0] = (char)a;
            in[1] = (char)b;
            in[2] = 'x';
            buf_reset(&out);
            buf_putc(&out, '"');
            assert_int_equal(json_escape(&out, in, 3), 0);
            buf_putc(&out, '"');
            assert_true(utf8_valid(out.data, out.len));
            v = json_loadb(out.data, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
            assert_non_null(v);
            json_decref(v);
        }
    }
    buf_free(&out);
}

static const char *written(jw_writer *w)
{
    assert_int_equal(jw_end(w), 0);
    return w->out->data;
}

static void test_json_places_commas_in_nested_containers(void **state)
{
    jw_writer w;
    buf b;

    (void)state;
    buf_init(&b, 0);
    jw_begin(&w, &b);
    jw_obj_open(&w);
    jw_key(&w, "a");
    jw_int(&w, 1);
    jw_key(&w, "b");
    jw_arr_open(&w);
    jw_int(&w, 1);
    jw_int(&w, -2);
    jw_obj_open(&w);
    jw_key(&w, "c");
    jw_null(&w);
    jw_obj_close(&w);
    jw_arr_open(&w);
    jw_arr_close(&w);
    jw_obj_open(&w);
    jw_obj_close(&w);
    jw_arr_close(&w);
    jw_key(&w, "d");
    jw_str(&w, "x");
    jw_key(&w, "e");
    jw_bool(&w, 1);
    jw_key(&w, "f");
    jw_bool(&w, 0);
    jw_key(&w, "g");
    jw_str(&w, NULL);
    jw_key(&w, "h");
    jw_raw(&w, "[1]", 3);
    jw_obj_close(&w);
    assert_string_equal(written(&w),
                        "{\"a\":1,\"b\":[1,-2,{\"c\":null},[],{}],\"d\":\"x\",\"e\":true,"
                        "\"f\":false,\"g\":null,\"h\":[1]}");
    buf_free(&b);
}

static void test_json_escapes_keys(void **state)
{
    jw_writer w;
    buf b;

    (void)state;
    buf_init(&b, 0);
    jw_begin(&w, &b);
    jw_obj_open(&w);
    jw_key(&w, "a\"b\n");
    jw_int(&w, 0);
    jw_obj_close(&w);
    assert_string_equal(written(&w), "{\"a\\\"b\\n\":0}");
    buf_free(&b);
}

static void test_json_writes_top_level_array_of_values(void **state)
{
    jw_writer w;
    buf b;

    (void)state;
    buf_init(&b, 0);
    jw_begin(&w, &b);
    jw_arr_open(&w);
    jw_int(&w, INT64_MIN);
    jw_int(&w, INT64_MAX);
    jw_int(&w, 0);
    jw_arr_close(&w);
    assert_string_equal(written(&w), "[-9223372036854775808,9223372036854775807,0]");
    buf_free(&b);
}

static void test_json_allows_nesting_below_limit(void **state)
{
    jw_writer w;
    buf b;

    (void)state;
    buf_init(&b, 0);
    jw_begin(&w, &b);
    for (int i = 0; i < 31; i++)
        jw_arr_open(&w);
    for (int i = 0; i < 31; i++)
        jw_arr_close(&w);
    assert_int_equal(jw_end(&w), 0);
    assert_int_equal(b.len, 62);
    buf_free(&b);
}

static void test_json_fails_too_deep_nesting(void **state)
{
    jw_writer w;
    buf b;

    (void)state;
    buf_init(&b, 0);
    jw_begin(&w, &b);
    for (int i = 0; i < 40; i++)
        jw_arr_open(&w);
    for (int i = 0; i < 40; i++)
        jw_arr_close(&w);
    assert_int_equal(jw_end(&w), -1);
    buf_free(&b);
}

static void test_json_fails_unbalanced_containers(void **state)
{
    jw_writer w;
    buf b;

    (void)state;
    buf_init(&b, 0);
    jw_begin(&w, &b);
    jw_obj_open(&w);
    assert_int_equal(jw_end(&w), -1);
    jw_begin(&w, &b);
    jw_arr_close(&w);
    assert_int_equal(jw_end(&w), -1);
    buf_free(&b);
}

static void test_json_errors_are_sticky_at_buffer_cap(void **state)
{
    jw_writer w;
    buf b;
    size_t len;

    (void)state;
    buf_init(&b, 16);
    jw_begin(&w, &b);
    jw_arr_open(&w);
    jw_str(&w, "this string is longer than the cap");
    len = b.len;
    jw_int(&w, 1);
    jw_arr_close(&w);
    assert_int_equal(b.len, len);
    assert_int_equal(jw_end(&w), -1);
    buf_free(&b);
}

static const char *double_text(double v, buf *b)
{
    jw_writer w;

    buf_reset(b);
    jw_begin(&w, b);
    jw_double(&w, v);
    return written(&w);
}

static void test_json_writes_shortest_doubles(void **state)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {7.5, "7.5"},     {6.9, "6.9"}, {8.1, "8.1"},    {0.1, "0.1"},        {0, "0"},
        {-2.25, "-2.25"}, {100, "100"}, {1e21, "1e+21"}, {1.5e-7, "1.5e-07"},
    };
    buf b;

    (void)state;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(double_text(cases[i].v, &b), cases[i].text);
    buf_free(&b);
}

static void test_json_doubles_read_back_exactly(void **state)
{
    static const double values[] = {1.0 / 3,     0.1 + 0.2,       5e-324, 1.7976931348623157e308,
                                    -123456.789, 2.0 / 3 * 1e-100};
    buf b;

    (void)state;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
        assert_true(strtod(double_text(values[i], &b), NULL) == values[i]);
    buf_free(&b);
}

static void test_json_writes_null_for_nan_and_infinity(void **state)
{
    jw_writer w;
    buf b;

    (void)state;
    buf_init(&b, 0);
    assert_string_equal(double_text(NAN, &b), "null");
    assert_string_equal(double_text(INFINITY, &b), "null");
    assert_string_equal(double_text(-INFINITY, &b), "null");
    buf_reset(&b);
    jw_begin(&w, &b);
    jw_arr_open(&w);
    jw_double(&w, 1);
    jw_double(&w, NAN);
    jw_double(&w, 2);
    jw_arr_close(&w);
    assert_string_equal(written(&w), "[1,null,2]");
    buf_free(&b);
}

static void test_utf8_prefix_cuts_at_boundaries(void **state)
{
    static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"; /* a é € 😀 z */
    static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};

    (void)state;
    for (size_t max = 0; max < sizeof(want) / sizeof(want[0]); max++)
        assert_int_equal(utf8_prefix(s, sizeof(s) - 1, max), want[max]);
    assert_int_equal(utf8_prefix(s, sizeof(s) - 1, 1000), sizeof(s) - 1);
    /* only n bytes are looked at */
    assert_int_equal(utf8_prefix(s, 2, 1000), 2);
}

static void test_utf8_prefix_counts_invalid_bytes_as_one(void **state)
{
    (void)state;
    assert_int_equal(utf8_prefix("\xff\xfe\xfd", 3, 2), 2);
    assert_int_equal(utf8_prefix("\xe2\x82", 2, 1), 1);
    assert_int_equal(utf8_prefix("", 0, 5), 0);
}

static void test_utf8_valid_checks_whole_text(void **state)
{
    (void)state;
    assert_true(utf8_valid("", 0));
    assert_true(utf8_valid("plain ascii", 11));
    assert_false(utf8_valid("ok\x80", 3));
    assert_false(utf8_valid("\xe2\x82\xac", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_escapes_quote_and_backslash),
        cmocka_unit_test(test_json_escapes_every_control_character),
        cmocka_unit_test(test_json_writer_finds_what_needs_escaping_anywhere),
        cmocka_unit_test(test_json_passes_valid_multibyte_text),
        cmocka_unit_test(test_json_replaces_invalid_utf8),
        cmocka_unit_test(test_json_output_is_valid_for_every_byte_pair),
        cmocka_unit_test(test_json_places_commas_in_nested_containers),
        cmocka_unit_test(test_json_escapes_keys),
        cmocka_unit_test(test_json_writes_top_level_array_of_values),
        cmocka_unit_test(test_json_allows_nesting_below_limit),
        cmocka_unit_test(test_json_fails_too_deep_nesting),
        cmocka_unit_test(test_json_fails_unbalanced_containers),
        cmocka_unit_test(test_json_errors_are_sticky_at_buffer_cap),
        cmocka_unit_test(test_json_writes_shortest_doubles),
        cmocka_unit_test(test_json_doubles_read_back_exactly),
        cmocka_unit_test(test_json_writes_null_for_nan_and_infinity),
        cmocka_unit_test(test_utf8_prefix_cuts_at_boundaries),
        cmocka_unit_test(test_utf8_prefix_counts_invalid_bytes_as_one),
        cmocka_unit_test(test_utf8_valid_checks_whole_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
