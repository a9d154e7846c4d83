/* Tests of the log line (src/util/log.h): the timestamp, a JSON line's
 * fields, and numbers written without printf as printf would write them. */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/log.h"

static void line_of(buf *b, const log_field *fields)
{
    buf_reset(b);
    assert_int_equal(log_format(b, LOG_INFO, "request", fields), 0);
}

static void test_a_json_line_holds_its_time_and_fields(void **state)
{
    regex_t re;
    buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(log_configure("info", "json"), 0);
    line_of(&b, (const log_field[]){LF_S("path", "/a\"b"), LF_I("status", 200), {0}});
    assert_int_equal(regcomp(&re,
                             "^\\{\"ts\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
                             "\\.[0-9]{3}Z\",\"level\":\"info\",\"msg\":\"request\","
                             "\"path\":\"/a\\\\\"b\",\"status\":200\\}\n$",
                             REG_EXTENDED),
                     0);
    assert_int_equal(regexec(&re, b.data, 0, NULL, 0), 0);
    regfree(&re);
    buf_free(&b);
}

static void test_durations_are_written_with_three_decimals(void **state)
{
    static const struct {
        double v;
        const char *text;
    } cases[] = {{12.3456, "12.346"},        {0.0004, "0.000"}, {1234.5, "1234.500"},
                 {-2.5, "-2.500"},           {0.999, "0.999"},  {9.9996, "10.000"},
                 {3e12, "3000000000000.000"}};
    buf b;

    (void)state;
    buf_init(&b, 0);
    assert_int_equal(log_configure("info", "json"), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char want[64];
        line_of(&b, (const log_field[]){LF_F("ms", cases[i].v), {0}});
        snprintf(want, sizeof(want), ",\"ms\":%s}\n", cases[i].text);
        assert_non_null(strstr(b.data, want));
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_json_line_holds_its_time_and_fields),
        cmocka_unit_test(test_durations_are_written_with_three_decimals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
