/* Tests of address lists (src/util/cidr.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/cidr.h"

static void addr(const char *text, uint8_t out[16])
{
    assert_int_equal(cidr_addr_parse(text, strlen(text), out), 0);
}

static int list_has(const char *list, const char *address)
{
    cidr_list l;
    uint8_t a[16];
    int in;

    assert_int_equal(cidr_list_parse(&l, list), 0);
    addr(address, a);
    in = cidr_list_contains(&l, a);
    cidr_list_free(&l);
    return in;
}

static void test_cidr_parses_ipv4_as_mapped(void **state)
{
    static const uint8_t want[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
    uint8_t a[16];

    (void)state;
    addr("192.0.2.7", a);
    assert_memory_equal(a, want, 16);
    addr("::ffff:192.0.2.7", a);
    assert_memory_equal(a, want, 16);
}

static void test_cidr_parses_ipv6(void **state)
{
    static const uint8_t want[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    uint8_t a[16];

    (void)state;
    addr("2001:db8::1", a);
    assert_memory_equal(a, want, 16);
    addr("2001:0DB8:0:0:0:0:0:1", a);
    assert_memory_equal(a, want, 16);
}

static void test_cidr_rejects_bad_addresses(void **state)
{
    static const char *bad[] = {"",
                                "1.2.3",
                                "1.2.3.4.5",
                                "256.1.1.1",
                                "1.2.3.4 ",
                                " 1.2.3.4",
                                "2001:db8:::1",
                                "2001:db8::g",
                                "localhost",
                                "1.2.3.4/8",
                                "::ffff:1.2.3.256",
                                "0000:0000:0000:0000:0000:0000:0000:0000:0000"};
    uint8_t a[16];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cidr_addr_parse(bad[i], strlen(bad[i]), a), -1);
    /* only n bytes are read */
    assert_int_equal(cidr_addr_parse("10.0.0.1junk", 8, a), 0);
}

static void test_cidr_matches_ipv4_blocks(void **state)
{
    (void)state;
    assert_true(list_has("10.0.0.0/8", "10.255.1.2"));
    assert_false(list_has("10.0.0.0/8", "11.0.0.1"));
    assert_true(list_has("192.168.1.0/24", "192.168.1.255"));
    assert_false(list_has("192.168.1.0/24", "192.168.2.0"));
    assert_true(list_has("172.16.0.0/12", "172.31.255.255"));
    assert_false(list_has("172.16.0.0/12", "172.32.0.0"));
    /* host bits in the block are ignored */
    assert_true(list_has("10.1.2.3/8", "10.9.9.9"));
}

static void test_cidr_handles_ipv4_prefix_bounds(void **state)
{
    (void)state;
    assert_true(list_has("0.0.0.0/0", "203.0.113.9"));
    assert_true(list_has("1.2.3.4/0", "255.255.255.255"));
    /* an IPv4 /0 covers IPv4 only */
    assert_false(list_has("0.0.0.0/0", "2001:db8::1"));
    assert_true(list_has("192.0.2.7/32", "192.0.2.7"));
    assert_false(list_has("192.0.2.7/32", "192.0.2.6"));
    assert_true(list_has("192.0.2.7", "192.0.2.7"));
    assert_false(list_has("192.0.2.7", "192.0.2.8"));
}

static void test_cidr_matches_ipv6_blocks(void **state)
{
    (void)state;
    assert_true(list_has("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(list_has("2001:db8::/32", "2001:db9::1"));
    assert_true(list_has("2001:db8::/33", "2001:db8:7fff::1"));
    assert_false(list_has("2001:db8::/33", "2001:db8:8000::1"));
    assert_true(list_has("::/0", "2001:db8::1"));
    assert_true(list_has("::/0", "10.0.0.1")); /* mapped addresses are IPv6 too */
    assert_true(list_has("2001:db8::1/128", "2001:db8::1"));
    assert_false(list_has("2001:db8::1/128", "2001:db8::2"));
    assert_true(list_has("2001:db8::1", "2001:db8::1"));
}

static void test_cidr_matches_ipv4_mapped_forms(void **state)
{
    (void)state;
    assert_true(list_has("10.0.0.0/8", "::ffff:10.1.2.3"));
    assert_true(list_has("::ffff:10.0.0.0/104", "10.1.2.3"));
    assert_false(list_has("::ffff:10.0.0.0/104", "11.1.2.3"));
    /* an IPv4 address is not the IPv4-compatible ::a.b.c.d */
    assert_false(list_has("::10.1.2.3", "10.1.2.3"));
}

static void test_cidr_parses_lists(void **state)
{
    cidr_list l;

    (void)state;
    assert_int_equal(cidr_list_parse(&l, "10.0.0.0/8, 2001:db8::/32 ,192.0.2.7,,"), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.items[0].prefix, 96 + 8);
    assert_int_equal(l.items[1].prefix, 32);
    assert_int_equal(l.items[2].prefix, 128);
    cidr_list_free(&l);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
    assert_true(list_has("10.0.0.0/8, 2001:db8::/32", "2001:db8::5"));
    assert_false(list_has("10.0.0.0/8, 2001:db8::/32", "192.0.2.1"));
}

static void test_cidr_parses_empty_list(void **state)
{
    cidr_list l;
    uint8_t a[16];

    (void)state;
    assert_int_equal(cidr_list_parse(&l, ""), 0);
    assert_int_equal(l.n, 0);
    addr("10.0.0.1", a);
    assert_false(cidr_list_contains(&l, a));
    cidr_list_free(&l);
    assert_int_equal(cidr_list_parse(&l, " , ,"), 0);
    assert_int_equal(l.n, 0);
    cidr_list_free(&l);
}

static void test_cidr_rejects_bad_blocks(void **state)
{
    static const char *bad[] = {
        "10.0.0.0/33",          "2001:db8::/129",  "10.0.0.0/",  "10.0.0.0/-1",
        "10.0.0.0/8x",          "10.0.0.0/ 8",     "/8",         "10.0.0.0/08/1",
        "10.0.0.0/8, nonsense", "1.2.3.4 5.6.7.8", "10.0.0.0/+8"};
    cidr_list l;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (cidr_list_parse(&l, bad[i]) != -1)
            print_error("accepted \"%s\"\n", bad[i]);
        assert_int_equal(cidr_list_parse(&l, bad[i]), -1);
        assert_int_equal(l.n, 0);
        assert_null(l.items);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_parses_ipv4_as_mapped),
        cmocka_unit_test(test_cidr_parses_ipv6),
        cmocka_unit_test(test_cidr_rejects_bad_addresses),
        cmocka_unit_test(test_cidr_matches_ipv4_blocks),
        cmocka_unit_test(test_cidr_handles_ipv4_prefix_bounds),
        cmocka_unit_test(test_cidr_matches_ipv6_blocks),
        cmocka_unit_test(test_cidr_matches_ipv4_mapped_forms),
        cmocka_unit_test(test_cidr_parses_lists),
        cmocka_unit_test(test_cidr_parses_empty_list),
        cmocka_unit_test(test_cidr_rejects_bad_blocks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
