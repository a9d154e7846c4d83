/* Tests of the client address behind trusted proxies and of the per-IP
 * budget key (src/middleware/client.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "middleware/client.h"

static http_request req;
static cidr_list trusted;

/* A request from peer with the given X-Forwarded-For lines (NULL-ended). */
static void request_from(const char *peer, const char *const *lines)
{
    memset(&req, 0, sizeof(req));
    assert_int_equal(cidr_addr_parse(peer, strlen(peer), req.peer), 0);
    snprintf(req.peer_text, sizeof(req.peer_text), "%s", peer);
    for (size_t i = 0; lines && lines[i]; i++) {
        http_header *h = &req.headers[req.nheaders++];
        h->name = i % 2 ? "x-forwarded-for" : "X-Forwarded-For";
        h->name_len = 15;
        h->value = lines[i];
        h->value_len = strlen(lines[i]);
    }
}

static void assert_client(const char *want)
{
    uint8_t addr[16], expect[16];
    char text[CLIENT_TEXT_MAX];

    client_address(&req, &trusted, addr, text, sizeof(text));
    assert_string_equal(text, want);
    assert_int_equal(cidr_addr_parse(want, strlen(want), expect), 0);
    assert_memory_equal(addr, expect, 16);
}

static void assert_parses_to(const char *entry, const char *want)
{
    uint8_t a[16], b[16];

    assert_int_equal(client_addr_parse(entry, strlen(entry), a), 0);
    assert_int_equal(cidr_addr_parse(want, strlen(want), b), 0);
    assert_memory_equal(a, b, 16);
}

static void assert_refused(const char *entry)
{
    uint8_t a[16];

    assert_int_equal(client_addr_parse(entry, strlen(entry), a), -1);
}

static const char *key_of(const char *addr, int prefix)
{
    static char key[CLIENT_KEY_MAX];
    uint8_t a[16];

    assert_int_equal(client_addr_parse(addr, strlen(addr), a), 0);
    assert_true(client_limit_key(a, prefix, key) == strlen(key));
    return key;
}

static int setup(void **state)
{
    (void)state;
    return cidr_list_parse(&trusted, "127.0.0.1, 10.0.0.0/8, 2001:db8:ffff::/48");
}

static int teardown(void **state)
{
    (void)state;
    cidr_list_free(&trusted);
    return 0;
}

static void test_client_entries_with_ports_and_brackets_parse(void **state)
{
    (void)state;
    assert_parses_to("198.51.100.7", "198.51.100.7");
    assert_parses_to("198.51.100.7:5678", "198.51.100.7");
    assert_parses_to("198.51.100.7:0", "198.51.100.7");
    assert_parses_to("2001:db8::1", "2001:db8::1");
    assert_parses_to("[2001:db8::1]", "2001:db8::1");
    assert_parses_to("[2001:db8::1]:443", "2001:db8::1");
    assert_parses_to("[::ffff:198.51.100.7]:443", "198.51.100.7");
    assert_refused("");
    assert_refused("198.51.100.7:");
    assert_refused("198.51.100.7:65536");
    assert_refused("198.51.100.7:+80");
    assert_refused("198.51.100.7:123456");
    assert_refused("[2001:db8::1");
    assert_refused("[2001:db8::1]:");
    assert_refused("[2001:db8::1]443");
    assert_refused("[198.51.100.7]");
    assert_refused("2001:db8::1:443:");
    assert_refused("unknown");
    assert_refused("_hidden");
    assert_refused("198.51.100.7 ");
    assert_refused("fe80::1%eth0");
}

static void test_client_spellings_of_an_ipv4_address_are_one(void **state)
{
    (void)state;
    assert_parses_to("::ffff:198.51.100.7", "198.51.100.7");
    assert_parses_to("::FFFF:c633:6407", "198.51.100.7");
    assert_parses_to("0:0:0:0:0:ffff:198.51.100.7", "198.51.100.7");
    assert_parses_to("0000:0000:0000:0000:0000:ffff:c633:6407", "198.51.100.7");
    assert_string_equal(key_of("::ffff:198.51.100.7", 64), "ip:198.51.100.7");
    assert_string_equal(key_of("[::ffff:c633:6407]:80", 64), "ip:198.51.100.7");
    assert_string_equal(key_of("198.51.100.7:1", 64), "ip:198.51.100.7");
}

static void test_client_ipv6_keys_are_per_network(void **state)
{
    (void)state;
    assert_string_equal(key_of("2001:db8:1:2::1", 64), "ip:2001:db8:1:2::/64");
    assert_string_equal(key_of("2001:DB8:1:2:ffff:ffff:ffff:ffff", 64), "ip:2001:db8:1:2::/64");
    assert_string_equal(key_of("[2001:db8:1:2:0:0:0:9]:443", 64), "ip:2001:db8:1:2::/64");
    assert_string_equal(key_of("2001:db8:1:3::1", 64), "ip:2001:db8:1:3::/64");
    assert_string_equal(key_of("2001:db8:1:2::1", 128), "ip:2001:db8:1:2::1/128");
    assert_string_equal(key_of("2001:db8:1:2::1", 48), "ip:2001:db8:1::/48");
    assert_string_equal(key_of("2001:db8:1:2::1", 60), "ip:2001:db8:1::/60");
    assert_string_equal(key_of("2001:db8:1:ff::1", 60), "ip:2001:db8:1:f0::/60");
    assert_string_equal(key_of("::1", 64), "ip:::/64");
    assert_string_equal(key_of("2001:db8::1", 0), "ip:::/1"); /* clamped to 1..128 */
    assert_string_equal(key_of("2001:db8::1", 3), "ip:2000::/3");
}

static void test_client_is_the_peer_unless_it_is_trusted(void **state)
{
    const char *xff[] = {"203.0.113.9", NULL};

    (void)state;
    request_from("192.0.2.1", xff);
    assert_client("192.0.2.1");
    request_from("::ffff:192.0.2.1", NULL);
    assert_client("192.0.2.1");
    request_from("127.0.0.1", NULL);
    assert_client("127.0.0.1");
    request_from("127.0.0.1", xff);
    assert_client("203.0.113.9");
}

static void test_client_walks_right_to_left_past_trusted_hops(void **state)
{
    const char *chain[] = {"203.0.113.9, 198.51.100.1:4000, 10.1.2.3, [2001:db8:ffff::5]:443",
                           NULL};
    const char *garbage[] = {"203.0.113.9, nonsense, 10.1.2.3", NULL};
    const char *all_trusted[] = {"10.0.0.1,127.0.0.1", NULL};
    const char *empties[] = {" , 203.0.113.9 ,, ,\t", NULL};

    (void)state;
    request_from("127.0.0.1", chain);
    assert_client("198.51.100.1");
    request_from("127.0.0.1", garbage);
    assert_client("10.1.2.3"); /* nothing beyond garbage is believed */
    request_from("127.0.0.1", all_trusted);
    assert_client("10.0.0.1");
    request_from("127.0.0.1", empties);
    assert_client("203.0.113.9");
}

/* RFC 9110 §5.3: repeated field lines are one comma-separated list. */
static void test_client_joins_repeated_field_lines(void **state)
{
    const char *two[] = {"203.0.113.9, 10.0.0.1", "127.0.0.1", NULL};
    const char *three[] = {"203.0.113.9", "198.51.100.4", "10.0.0.2, 10.0.0.3", NULL};
    const char *stop[] = {"203.0.113.9", "junk", "10.0.0.2", NULL};

    (void)state;
    request_from("127.0.0.1", two);
    assert_client("203.0.113.9");
    request_from("127.0.0.1", three);
    assert_client("198.51.100.4");
    request_from("127.0.0.1", stop);
    assert_client("10.0.0.2");
    /* another header between the lines changes nothing */
    request_from("127.0.0.1", two);
    req.headers[2] = req.headers[1];
    req.headers[1] = (http_header){"Accept", 6, "*/*", 3};
    req.nheaders = 3;
    assert_client("203.0.113.9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_entries_with_ports_and_brackets_parse),
        cmocka_unit_test(test_client_spellings_of_an_ipv4_address_are_one),
        cmocka_unit_test(test_client_ipv6_keys_are_per_network),
        cmocka_unit_test(test_client_is_the_peer_unless_it_is_trusted),
        cmocka_unit_test(test_client_walks_right_to_left_past_trusted_hops),
        cmocka_unit_test(test_client_joins_repeated_field_lines),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
