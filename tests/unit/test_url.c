/* Tests of URL judging and redaction (src/util/url.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "util/url.h"

static void assert_redacted(const char *url, const char *want)
{
    char out[256];

    url_redact(url, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_url_redact_hides_passwords_only(void **state)
{
    (void)state;
    assert_redacted("postgres://user:S3cretPw@db.internal/tvshows",
                    "postgres://user:***@db.internal/tvshows");
    assert_redacted("postgresql://u:p%40ss@h:5432/db?sslmode=require&password=Q1&x=1",
                    "postgresql://u:***@h:5432/db?sslmode=require&password=***&x=1");
    assert_redacted("postgres://h/db?sslpassword=abc", "postgres://h/db?sslpassword=***");
    assert_redacted("redis://:S3cret@cache:6379/0", "redis://:***@cache:6379/0");
    assert_redacted("redis://S3cret@cache", "redis://***@cache");
    assert_redacted("rediss://default:S3cret@cache:6380", "rediss://default:***@cache:6380");
    assert_redacted("https://svc:tok3n@idp.example/jwks.json",
                    "https://svc:***@idp.example/jwks.json");
    /* nothing secret: unchanged */
    assert_redacted("postgres://user@h/db", "postgres://user@h/db");
    assert_redacted("postgres://user:@h/db", "postgres://user:@h/db");
    assert_redacted("sqlite:var/tvshows.db", "sqlite:var/tvshows.db");
    assert_redacted("https://api.tvmaze.com", "https://api.tvmaze.com");
    assert_redacted("", "");
    /* mistyped: still nothing of the password */
    assert_redacted("postgress://u:p@ss@h/db", "postgress://u:***@h/db");
    assert_redacted("postgres://u:pa/ss@h/db", "postgres://u:***@h/db");
    assert_redacted("postgres:/u:S3cret@h/db", "postgres:***@h/db");
    assert_redacted("u:S3cret@h", "u:***@h");
    assert_redacted("S3cret@h", "***@h");
}

static void test_url_redact_truncates_safely(void **state)
{
    char out[12];

    (void)state;
    url_redact("postgres://user:S3cretPw@h/db", out, sizeof(out));
    assert_string_equal(out, "postgres://");
    url_redact("postgres://user:S3cretPw@h/db", out, 0); /* writes nothing */
}

static void assert_scrubbed(const char *url, const char *msg, const char *want)
{
    char buf[512];

    snprintf(buf, sizeof(buf), "%s", msg);
    url_scrub(buf, sizeof(buf), url);
    assert_string_equal(buf, want);
}

/* Messages libpq 15 gives for these URLs. */
static void test_url_scrub_removes_passwords_from_driver_messages(void **state)
{
    (void)state;
    assert_scrubbed("postgres://u:s3cretpw@[::1/db",
                    "end of string reached when looking for matching \"]\" in IPv6 host address "
                    "in URI: \"postgres://u:s3cretpw@[::1/db\"",
                    "end of string reached when looking for matching \"]\" in IPv6 host address "
                    "in URI: \"postgres://u:***@[::1/db\"");
    assert_scrubbed("postgres://u:s3cret%zzpw@127.0.0.1:1/db",
                    "invalid percent-encoded token: \"s3cret%zzpw\"",
                    "invalid percent-encoded token: \"***\"");
    assert_scrubbed("postgresql://u:s3c/retpw@h:5/db",
                    "invalid integer value \"s3c\" for connection option \"port\"",
                    "invalid integer value \"***\" for connection option \"port\"");
    assert_scrubbed("postgres://u:p%41ss1234@h/db", "password pAss1234 and p%41ss1234",
                    "password *** and ***");
    assert_scrubbed("postgres://u:s3cretpw@h/db?password=other1&x",
                    "missing key/value separator \"=\" in URI query parameter: \"x\" other1",
                    "missing key/value separator \"=\" in URI query parameter: \"x\" ***");
    /* nothing to hide: untouched */
    assert_scrubbed("postgres://u:s3cretpw@127.0.0.1:1/db",
                    "connection to server at \"127.0.0.1\", port 1 failed: Connection refused",
                    "connection to server at \"127.0.0.1\", port 1 failed: Connection refused");
    assert_scrubbed("postgres://u@127.0.0.1/db", "a \"u\" b", "a \"u\" b");
    assert_scrubbed("sqlite:x.db", "unable to open \"x.db\"", "unable to open \"x.db\"");
}

static void test_url_secure_is_https_or_loopback_http(void **state)
{
    (void)state;
    assert_true(
        url_is_secure("https://cognito-idp.eu-west-1.amazonaws.com/x/.well-known/jwks.json"));
    assert_true(url_is_secure("HTTPS://idp.example/jwks"));
    assert_true(url_is_secure("http://127.0.0.1:8080/jwks.json"));
    assert_true(url_is_secure("http://127.9.9.9/jwks.json"));
    assert_true(url_is_secure("http://localhost/jwks.json"));
    assert_true(url_is_secure("http://[::1]:80/jwks.json"));
    assert_false(url_is_secure("http://10.0.0.1/jwks.json"));
    assert_false(url_is_secure("http://idp.example/jwks.json"));
    assert_false(url_is_secure("http://127.0.0.1.evil.example/jwks.json"));
    assert_false(url_is_secure("http://127.0.0.1@evil.example/jwks.json"));
    assert_false(url_is_secure("http://evil.example#@127.0.0.1/"));
    assert_false(url_is_secure("ftp://127.0.0.1/jwks.json"));
    assert_false(url_is_secure("file:///etc/jwks.json"));
    assert_false(url_is_secure("127.0.0.1/jwks.json"));
    assert_false(url_is_secure(""));
    assert_true(url_host_is_loopback("LOCALHOST"));
    assert_true(url_host_is_loopback("::ffff:127.0.0.1"));
    assert_false(url_host_is_loopback("128.0.0.1"));
    assert_false(url_host_is_loopback("::2"));
    assert_false(url_host_is_loopback("[::1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_redact_hides_passwords_only),
        cmocka_unit_test(test_url_redact_truncates_safely),
        cmocka_unit_test(test_url_scrub_removes_passwords_from_driver_messages),
        cmocka_unit_test(test_url_secure_is_https_or_loopback_http),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
