/* Tests of configuration loading (src/config/config.h): defaults, then the
 * environment, then flags; every error names the variable or flag.
 *
 * config_load reads the process environment: the group setup starts from an
 * empty one, and every test unsets what it set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

#define MAX_SET 8

/* variables a test has set, unset again by the teardown */
static const char *set_names[MAX_SET];
static size_t nset;

static void env(const char *name, const char *value)
{
    assert_true(nset < MAX_SET);
    assert_int_equal(setenv(name, value, 1), 0);
    set_names[nset++] = name;
}

static int group_setup(void **state)
{
    (void)state;
    return clearenv();
}

static int teardown(void **state)
{
    (void)state;
    while (nset > 0)
        unsetenv(set_names[--nset]);
    return 0;
}

/* Loads for cmd with the given flags; the config is freed unless kept. */
static int load(config *cfg, unsigned cmd, char **argv, int argc, char *err, size_t errlen)
{
    err[0] = '\0';
    return config_load(cfg, cmd, argc, argv, err, errlen);
}

/* Loads a config that must fail; the error line must name `names`. */
static void load_fails(unsigned cmd, char **argv, int argc, const char *names)
{
    config cfg;
    char err[256];

    assert_int_equal(load(&cfg, cmd, argv, argc, err, sizeof(err)), -1);
    if (!strstr(err, names))
        print_error("error \"%s\" does not name %s\n", err, names);
    assert_non_null(strstr(err, names));
    assert_null(strchr(err, '\n'));
    config_free(&cfg);
}

static void test_config_uses_defaults(void **state)
{
    config cfg;
    char err[256];

    (void)state;
    assert_int_equal(load(&cfg, CMD_SERVE, NULL, 0, err, sizeof(err)), 0);
    assert_string_equal(cfg.database_url, "sqlite:var/tvshows.db");
    assert_string_equal(cfg.host, "127.0.0.1");
    assert_int_equal(cfg.port, 3000);
    assert_true(cfg.threads >= 1);
    assert_int_equal(cfg.max_connections, 10000);
    assert_int_equal(cfg.cache_ttl, 3600);
    assert_int_equal(cfg.cache_mb, 32);
    assert_string_equal(cfg.import_countries, "US");
    assert_int_equal(cfg.import_web, 1);
    assert_string_equal(cfg.import_schedule, "0 2 * * *");
    assert_int_equal(cfg.auth, AUTH_NONE);
    assert_string_equal(cfg.auth_mode_name, "none");
    assert_string_equal(cfg.redis_url, "");
    assert_string_equal(cfg.log_level, "info");
    assert_string_equal(cfg.log_format, "auto");
    assert_int_equal(cfg.serve_worker, 1);
    assert_int_equal(cfg.help, 0);
    assert_int_equal(cfg.nargs, 0);
    config_free(&cfg);
    assert_null(cfg.database_url);
}

static void test_config_env_overrides_default(void **state)
{
    config cfg;
    char err[256];

    (void)state;
    env("PORT", "8080");
    env("HOST", "0.0.0.0");
    env("DATABASE_URL", "postgres://u:p@db:5432/tv");
    env("IMPORT_WEB", "no");
    env("AUTH_MODE", "api_key");
    env("BLOCKLIST", "10.0.0.0/8, 2001:db8::/32");
    assert_int_equal(load(&cfg, CMD_SERVE, NULL, 0, err, sizeof(err)), 0);
    assert_int_equal(cfg.port, 8080);
    assert_string_equal(cfg.host, "0.0.0.0");
    assert_string_equal(cfg.database_url, "postgres://u:p@db:5432/tv");
    assert_int_equal(cfg.import_web, 0);
    assert_int_equal(cfg.auth, AUTH_API_KEY);
    assert_string_equal(cfg.blocklist, "10.0.0.0/8, 2001:db8::/32");
    config_free(&cfg);
}

static void test_config_flag_overrides_env(void **state)
{
    char *argv[] = {"--port=9090", "--host", "::1", "--database-url", "sqlite:/tmp/x.db"};
    config cfg;
    char err[256];

    (void)state;
    env("PORT", "8080");
    env("HOST", "0.0.0.0");
    assert_int_equal(load(&cfg, CMD_SERVE, argv, 5, err, sizeof(err)), 0);
    assert_int_equal(cfg.port, 9090);
    assert_string_equal(cfg.host, "::1");
    assert_string_equal(cfg.database_url, "sqlite:/tmp/x.db");
    config_free(&cfg);
}

static void test_config_accepts_flag_with_separate_value(void **state)
{
    char *argv[] = {"--port", "4000", "--cache-mb", "0"};
    config cfg;
    char err[256];

    (void)state;
    assert_int_equal(load(&cfg, CMD_SERVE, argv, 4, err, sizeof(err)), 0);
    assert_int_equal(cfg.port, 4000);
    assert_int_equal(cfg.cache_mb, 0);
    config_free(&cfg);
}

static void test_config_no_web_turns_web_off(void **state)
{
    char *argv[] = {"--no-web"};
    char *argv_on[] = {"--web"};
    char *argv_value[] = {"--web=false"};
    config cfg;
    char err[256];

    (void)state;
    assert_int_equal(load(&cfg, CMD_SERVE, argv, 1, err, sizeof(err)), 0);
    assert_int_equal(cfg.import_web, 0);
    config_free(&cfg);
    env("IMPORT_WEB", "false");
    assert_int_equal(load(&cfg, CMD_SERVE, argv_on, 1, err, sizeof(err)), 0);
    assert_int_equal(cfg.import_web, 1);
    config_free(&cfg);
    assert_int_equal(load(&cfg, CMD_SERVE, argv_value, 1, err, sizeof(err)), 0);
    assert_int_equal(cfg.import_web, 0);
    config_free(&cfg);
}

static void test_config_rejects_value_on_negated_flag(void **state)
{
    char *argv[] = {"--no-web=true"};

    (void)state;
    load_fails(CMD_SERVE, argv, 1, "--no-web");
}

static void test_config_sets_flag_only_options(void **state)
{
    char *argv[] = {"--no-worker", "--help"};
    config cfg;
    char err[256];

    (void)state;
    assert_int_equal(load(&cfg, CMD_SERVE, argv, 2, err, sizeof(err)), 0);
    assert_int_equal(cfg.serve_worker, 0);
    assert_int_equal(cfg.help, 1);
    config_free(&cfg);
}

static void test_config_keeps_positional_arguments(void **state)
{
    char *argv[] = {"first", "--port=1", "second", "--", "-x", "--port=2"};
    config cfg;
    char err[256];

    (void)state;
    assert_int_equal(load(&cfg, CMD_SERVE, argv, 6, err, sizeof(err)), 0);
    /* "--" ends the options: what follows is an argument whatever it looks like */
    assert_int_equal(cfg.nargs, 4);
    assert_string_equal(cfg.args[0], "first");
    assert_string_equal(cfg.args[1], "second");
    assert_string_equal(cfg.args[2], "-x");
    assert_string_equal(cfg.args[3], "--port=2");
    assert_int_equal(cfg.port, 1);
    config_free(&cfg);
}

static void test_config_rejects_single_dash_options(void **state)
{
    char *p[] = {"-p", "4302"};
    char *word[] = {"-port", "4302"};
    char *unknown[] = {"-z"};
    char *help[] = {"-h"};
    config cfg;
    char err[256];

    (void)state;
    load_fails(CMD_SERVE, p, 2, "-p: options take two dashes, as in --port");
    load_fails(CMD_SERVE, word, 2, "-port: options take two dashes, as in --port");
    load_fails(CMD_SERVE, unknown, 1, "-z: options take two dashes (see --help)");
    assert_int_equal(load(&cfg, CMD_SERVE, help, 1, err, sizeof(err)), 0);
    assert_int_equal(cfg.help, 1);
    config_free(&cfg);
}

static void test_config_rejects_invalid_port(void **state)
{
    static const char *bad[] = {"abc", "0", "70000", "-1", "", " 80", "80 ", "8e3", "+80"};
    char *argv[] = {"--port=abc"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        env("PORT", bad[i]);
        load_fails(CMD_SERVE, NULL, 0, "PORT");
        teardown(NULL);
    }
    load_fails(CMD_SERVE, argv, 1, "--port");
}

static void test_config_rejects_unknown_database_scheme(void **state)
{
    static const char *bad[] = {"mysql://u@h/db", "sqlite:", "", "postgres:/x", "SQLITE:x"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        env("DATABASE_URL", bad[i]);
        load_fails(CMD_SERVE, NULL, 0, "DATABASE_URL");
        teardown(NULL);
    }
}

static void test_config_rejects_bad_cron(void **state)
{
    static const char *bad[] = {"0 2 * *", "0 0 2 * * * *", "61 * * * *", "0 2 * * mon", "daily"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        env("IMPORT_SCHEDULE", bad[i]);
        load_fails(CMD_SERVE, NULL, 0, "IMPORT_SCHEDULE");
        teardown(NULL);
    }
}

static void test_config_rejects_bad_cidr(void **state)
{
    (void)state;
    env("BLOCKLIST", "10.0.0.0/33");
    load_fails(CMD_SERVE, NULL, 0, "BLOCKLIST");
    teardown(NULL);
    env("TRUSTED_PROXIES", "10.0.0.1, not-an-address");
    load_fails(CMD_SERVE, NULL, 0, "TRUSTED_PROXIES");
    teardown(NULL);
    env("TRUSTED_PROXIES", "2001:db8::/129");
    load_fails(CMD_SERVE, NULL, 0, "TRUSTED_PROXIES");
}

static void test_config_rejects_bad_auth_mode(void **state)
{
    (void)state;
    env("AUTH_MODE", "basic");
    load_fails(CMD_SERVE, NULL, 0, "AUTH_MODE");
    teardown(NULL);
    env("AUTH_MODE", "API_KEY");
    load_fails(CMD_SERVE, NULL, 0, "AUTH_MODE");
    teardown(NULL);
    /* JWT needs keys to verify with */
    env("AUTH_MODE", "jwt");
    load_fails(CMD_SERVE, NULL, 0, "AUTH_MODE");
}

static void test_config_accepts_jwt_with_jwks(void **state)
{
    config cfg;
    char err[256];

    (void)state;
    env("AUTH_MODE", "any");
    env("JWT_JWKS_URL", "https://issuer.example/.well-known/jwks.json");
    /* without an issuer and an audience any token of the key set would do */
    load_fails(CMD_SERVE, NULL, 0, "JWT_ISSUER");
    env("JWT_ISSUER", "https://issuer.example");
    load_fails(CMD_SERVE, NULL, 0, "JWT_AUDIENCE");
    env("JWT_AUDIENCE", "app-client");
    assert_int_equal(load(&cfg, CMD_SERVE, NULL, 0, err, sizeof(err)), 0);
    assert_int_equal(cfg.auth, AUTH_ANY);
    config_free(&cfg);
    /* keys come over https, or plain http from this machine only */
    env("JWT_JWKS_URL", "http://issuer.example/.well-known/jwks.json");
    load_fails(CMD_SERVE, NULL, 0, "JWT_JWKS_URL");
    env("JWT_JWKS_URL", "http://127.0.0.1:8080/jwks.json");
    assert_int_equal(load(&cfg, CMD_SERVE, NULL, 0, err, sizeof(err)), 0);
    config_free(&cfg);
}

static void test_config_rejects_bad_import_countries(void **state)
{
    static const char *bad[] = {"usa", "us", "U", "US GB", "US;GB", "USA", "U1"};
    config cfg;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        env("IMPORT_COUNTRIES", bad[i]);
        load_fails(CMD_SERVE, NULL, 0, "IMPORT_COUNTRIES");
        teardown(NULL);
    }
    env("IMPORT_COUNTRIES", "US,GB,DE");
    assert_int_equal(load(&cfg, CMD_SERVE, NULL, 0, err, sizeof(err)), 0);
    assert_string_equal(cfg.import_countries, "US,GB,DE");
    config_free(&cfg);
}

static void test_config_rejects_unknown_flag(void **state)
{
    char *argv[] = {"--port=80", "--bogus=1"};
    char *other_cmd[] = {"--days=3"};

    (void)state;
    load_fails(CMD_SERVE, argv, 2, "--bogus");
    /* a flag of another command is unknown here */
    load_fails(CMD_MIGRATE, other_cmd, 1, "--days");
}

static void test_config_rejects_flag_without_value(void **state)
{
    char *argv[] = {"--port"};

    (void)state;
    load_fails(CMD_SERVE, argv, 1, "--port");
}

static void test_config_ignores_env_of_other_commands(void **state)
{
    config cfg;
    char err[256];

    (void)state;
    env("PORT", "abc");
    assert_int_equal(load(&cfg, CMD_MIGRATE, NULL, 0, err, sizeof(err)), 0);
    assert_int_equal(cfg.port, 3000);
    config_free(&cfg);
}

static void test_config_does_not_echo_unprintable_values(void **state)
{
    config cfg;
    char err[256];

    (void)state;
    env("PORT", "80\x1b[31m");
    assert_int_equal(load(&cfg, CMD_SERVE, NULL, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "PORT"));
    assert_null(strchr(err, '\x1b'));
    config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_config_uses_defaults, teardown),
        cmocka_unit_test_teardown(test_config_env_overrides_default, teardown),
        cmocka_unit_test_teardown(test_config_flag_overrides_env, teardown),
        cmocka_unit_test_teardown(test_config_accepts_flag_with_separate_value, teardown),
        cmocka_unit_test_teardown(test_config_no_web_turns_web_off, teardown),
        cmocka_unit_test_teardown(test_config_rejects_value_on_negated_flag, teardown),
        cmocka_unit_test_teardown(test_config_sets_flag_only_options, teardown),
        cmocka_unit_test_teardown(test_config_keeps_positional_arguments, teardown),
        cmocka_unit_test_teardown(test_config_rejects_single_dash_options, teardown),
        cmocka_unit_test_teardown(test_config_rejects_invalid_port, teardown),
        cmocka_unit_test_teardown(test_config_rejects_unknown_database_scheme, teardown),
        cmocka_unit_test_teardown(test_config_rejects_bad_cron, teardown),
        cmocka_unit_test_teardown(test_config_rejects_bad_cidr, teardown),
        cmocka_unit_test_teardown(test_config_rejects_bad_auth_mode, teardown),
        cmocka_unit_test_teardown(test_config_accepts_jwt_with_jwks, teardown),
        cmocka_unit_test_teardown(test_config_rejects_bad_import_countries, teardown),
        cmocka_unit_test_teardown(test_config_rejects_unknown_flag, teardown),
        cmocka_unit_test_teardown(test_config_rejects_flag_without_value, teardown),
        cmocka_unit_test_teardown(test_config_ignores_env_of_other_commands, teardown),
        cmocka_unit_test_teardown(test_config_does_not_echo_unprintable_values, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
