/* Tests of the read side's entry point (src/schedule/read_model.h) on a
 * real SQLite database: a body is built once per data generation and lent
 * afterwards, a new generation builds again, a build the database fails
 * falls back on the older rendering, and a miss stops where the caller
 * says it must. No Redis here: the second level is exercised by
 * tests/integration/test_cache.py. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "schedule/read_model.h"
#include "store/store_internal.h"

static char dir[64], url[128];

typedef struct builder {
    buf *body;
    int calls;
    int rc;       /* what the build answers */
    size_t bytes; /* of JSON it renders */
    char fill;
} builder;

static int build(void *ctx)
{
    builder *b = ctx;

    b->calls++;
    if (b->rc != READ_BUILT) {
        buf_puts(b->body, "{\"partial\":"); /* left behind by a failed build */
        return b->rc;
    }
    buf_reset(b->body);
    buf_putc(b->body, '"');
    for (size_t i = 0; i + 2 < b->bytes; i++)
        buf_putc(b->body, b->fill);
    buf_putc(b->body, '"');
    return READ_BUILT;
}

typedef struct fixture {
    config cfg;
    read_model *m;
    buf body, alt;
    gzip_ctx *gz;
    read_thread rt;
    builder b;
} fixture;

static int stops(void *arg)
{
    return *(int *)arg;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char arg[160], err[256];
    char *argv[] = {"serve", arg, "--cache-mb=1"};
    store *st = NULL;
    int applied;

    assert_non_null(f);
    snprintf(arg, sizeof(arg), "--database-url=%s", url);
    assert_int_equal(config_load(&f->cfg, CMD_SERVE, 3, argv, err, sizeof(err)), 0);
    assert_int_equal(store_open(&st, url, NULL, err, sizeof(err)), STORE_OK);
    assert_int_equal(store_migrate(st, &applied), STORE_OK);
    store_close(st);
    assert_non_null(f->m = read_model_new(&f->cfg, NULL, NULL, err, sizeof(err)));
    buf_init(&f->body, (size_t)1 << 20);
    buf_init(&f->alt, (size_t)1 << 20);
    assert_non_null(f->gz = gzip_new(6));
    f->rt = (read_thread){NULL, 1, f->gz, &f->body, &f->alt, NULL, NULL};
    f->b = (builder){&f->body, 0, READ_BUILT, 4096, 'a'};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    read_model_free(f->m);
    gzip_free(f->gz);
    buf_free(&f->body);
    buf_free(&f->alt);
    config_free(&f->cfg);
    free(f);
    return 0;
}

/* Bumps the generation in the database and waits for the poller to see it. */
static void next_generation(read_model *m)
{
    int64_t gen = read_model_generation(m);
    store *st = NULL;
    char err[256];

    assert_int_equal(store_open(&st, url, NULL, err, sizeof(err)), STORE_OK);
    assert_int_equal(
        db_script(st->db, "UPDATE meta SET value = value + 1 WHERE key = 'generation'"), DB_OK);
    store_close(st);
    for (int i = 0; i < 400 && read_model_generation(m) == gen; i++)
        nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
    assert_int_equal(read_model_generation(m), gen + 1);
}

static void get(fixture *f, const char *key, read_body *out)
{
    assert_int_equal(read_model_get(f->m, &f->rt, key, strlen(key), build, &f->b, out), READ_OK);
}

static void test_a_body_is_built_once_then_lent(void **state)
{
    fixture *f = *state;
    read_body first, again;

    get(f, "k;", &first);
    assert_int_equal(f->b.calls, 1);
    assert_non_null(first.ref); /* kept, and lent from the cache */
    assert_non_null(first.identity);
    assert_int_equal(first.identity->len, 4096);
    assert_int_equal(first.meta.identity_len, 4096);
    assert_true(first.meta.gzipped); /* 4 KiB of one letter pays */
    assert_true(first.len < 4096);
    assert_false(first.stale);
    get(f, "k;", &again);
    assert_int_equal(f->b.calls, 1);
    assert_ptr_equal(again.data, first.data); /* the same bytes, not a copy */
    assert_string_equal(again.meta.etag, first.meta.etag);
    assert_null(again.identity);
    read_body_release(&first);
    read_body_release(&again);
    assert_null(again.ref);
}

static void test_a_small_body_is_kept_as_it_is(void **state)
{
    fixture *f = *state;
    read_body b;

    f->b.bytes = 100;
    get(f, "small;", &b);
    assert_false(b.meta.gzipped);
    assert_int_equal(b.len, 100);
    assert_memory_equal(b.data, "\"aaaa", 5);
    read_body_release(&b);
}

static void test_a_new_generation_builds_again(void **state)
{
    fixture *f = *state;
    read_body before, after;

    get(f, "k;", &before);
    next_generation(f->m);
    f->b.fill = 'b';
    get(f, "k;", &after);
    assert_int_equal(f->b.calls, 2);
    assert_string_not_equal(after.meta.etag, before.meta.etag);
    /* the older loan is still readable after its replacement */
    assert_int_equal(before.meta.identity_len, 4096);
    read_body_release(&before);
    read_body_release(&after);
}

static void test_a_build_without_the_database_serves_the_older_rendering(void **state)
{
    fixture *f = *state;
    read_body old, stale;

    get(f, "k;", &old);
    next_generation(f->m);
    f->b.rc = READ_NO_DATA;
    get(f, "k;", &stale);
    assert_int_equal(f->b.calls, 2);
    assert_true(stale.stale);
    assert_null(stale.ref); /* copied out of the cache into the scratch */
    assert_string_equal(stale.meta.etag, old.meta.etag);
    assert_int_equal(stale.len, old.len);
    assert_memory_equal(stale.data, old.data, old.len);
    /* a key never rendered has nothing to stand in */
    assert_int_equal(read_model_get(f->m, &f->rt, "never;", 6, build, &f->b, &stale), READ_FAILED);
    read_body_release(&old);
}

static void test_a_failed_build_is_not_kept(void **state)
{
    fixture *f = *state;
    read_body b;

    f->b.rc = READ_BROKEN;
    assert_int_equal(read_model_get(f->m, &f->rt, "k;", 2, build, &f->b, &b), READ_FAILED);
    f->b.rc = READ_BUILT;
    get(f, "k;", &b);
    assert_int_equal(f->b.calls, 2);
    assert_false(b.stale);
    read_body_release(&b);
}

static void test_a_miss_stops_where_the_caller_must_wait(void **state)
{
    fixture *f = *state;
    int stop = 1;
    read_body b;

    f->rt.must_stop = stops;
    f->rt.arg = &stop;
    assert_int_equal(read_model_get(f->m, &f->rt, "k;", 2, build, &f->b, &b), READ_WAIT);
    assert_int_equal(f->b.calls, 0);
    stop = 0;
    get(f, "k;", &b);
    read_body_release(&b);
    stop = 1; /* a hit never asks */
    get(f, "k;", &b);
    assert_int_equal(f->b.calls, 1);
    read_body_release(&b);
}

/* The database's files, then their folder. */
static void remove_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char file[sizeof(dir) + sizeof(e->d_name) + 1];

    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
            unlink(file);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_body_is_built_once_then_lent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_small_body_is_kept_as_it_is, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_new_generation_builds_again, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_build_without_the_database_serves_the_older_rendering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_failed_build_is_not_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_miss_stops_where_the_caller_must_wait, setup,
                                        teardown),
    };
    int rc;

    snprintf(dir, sizeof(dir), "/tmp/tvshows-read-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    remove_dir();
    return rc;
}
