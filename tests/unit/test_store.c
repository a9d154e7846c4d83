/* Tests of the store's write path (src/store/store_write.h) on a real
 * database: SQLite in a temporary directory, or the PostgreSQL database
 * that TVSHOWS_TEST_DATABASE_URL names (tests/integration/test_unit_store.py
 * runs this program so against a server it starts). The data is a recorded
 * TVmaze schedule (tests/fixtures/tvmaze). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store_internal.h"
#include "tvmaze/tvmaze.h"
#include "util/buf.h"

#include "unit_db.h"

#define FIXTURE TVSHOWS_FIXTURES "/tvmaze/schedule-GB-2026-07-03.json"
#define DAY     "2026-07-03"

/* The recorded day, mapped; its body stays in *body (the batch points
 * into it). */
static void load_day(tv_batch *b, buf *body)
{
    FILE *f = fopen(FIXTURE, "rb");
    char chunk[65536], err[256];
    tvmaze_map_info info;
    size_t n;

    assert_non_null(f);
    buf_init(body, (size_t)64 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(buf_append(body, chunk, n), 0);
    fclose(f);
    tv_batch_init(b);
    assert_int_equal(tvmaze_map_schedule(body->data, body->len, b, &info, err, sizeof(err)),
                     TVMAZE_OK);
    assert_true(b->nepisodes > 10);
}

static int64_t generation(store *st)
{
    int64_t g = -1;

    assert_int_equal(store_generation(st, &g), STORE_OK);
    return g;
}

static int64_t count(store *st, const char *sql)
{
    int64_t n = -1;

    assert_int_equal(store_query_int(st, sql, NULL, 0, &n), STORE_OK);
    return n;
}

/* Each test starts from an empty, migrated database. */
static int setup(void **state)
{
    store *st;
    int applied;

    (void)state;
    st = unit_db_open();
    assert_int_equal(store_migrate(st, &applied), STORE_OK);
    assert_int_equal(db_script(st->db, "DELETE FROM listings; DELETE FROM episodes;"
                                       " DELETE FROM shows; DELETE FROM distributors;"
                                       " DELETE FROM changes; DELETE FROM import_runs"),
                     DB_OK);
    store_close(st);
    return 0;
}

static void test_a_store_that_reads_holds_no_memo(void **state)
{
    store *st = unit_db_open();
    tv_batch b;
    buf body;
    store_day_stats s;

    (void)state;
    assert_null(st->memo);
    assert_int_equal(store_generation(st, &(int64_t){0}), STORE_OK);
    assert_null(st->memo); /* reading makes none */
    load_day(&b, &body);
    assert_int_equal(store_write_day(st, &b, "country:GB", DAY, &s), STORE_OK);
    assert_non_null(st->memo); /* the first write does */
    assert_true(st->memo->hashes.n > 0);
    tv_batch_free(&b);
    buf_free(&body);
    store_close(st);
}

static void test_an_unchanged_day_writes_nothing(void **state)
{
    store *st = unit_db_open(), *other;
    store_day_stats s;
    tv_batch b;
    buf body;
    int64_t gen, changes;

    (void)state;
    load_day(&b, &body);
    gen = generation(st);
    assert_int_equal(store_write_day(st, &b, "country:GB", DAY, &s), STORE_OK);
    assert_true(s.upserted > 0);
    assert_int_equal(s.episodes, count(st, "SELECT count(*) FROM episodes"));
    assert_int_equal(s.listed_before, 0);
    assert_int_equal(generation(st), gen + 1);
    gen = generation(st);
    changes = count(st, "SELECT count(*) FROM changes");
    /* again on the same connection (its memo) and on a new one (none) */
    assert_int_equal(store_write_day(st, &b, "country:GB", DAY, &s), STORE_OK);
    assert_int_equal(s.upserted, 0);
    assert_int_equal(s.removed, 0);
    assert_int_equal(s.listed_before, s.episodes);
    other = unit_db_open();
    assert_int_equal(store_write_day(other, &b, "country:GB", DAY, &s), STORE_OK);
    assert_int_equal(s.upserted, 0);
    assert_int_equal(s.removed, 0);
    assert_int_equal(generation(st), gen);
    assert_int_equal(count(st, "SELECT count(*) FROM changes"), changes);
    store_close(other);
    tv_batch_free(&b);
    buf_free(&body);
    store_close(st);
}

static void test_an_episode_goes_when_no_source_lists_it(void **state)
{
    store *st = unit_db_open();
    store_day_stats s;
    tv_batch b, empty;
    buf body;
    int64_t n;

    (void)state;
    load_day(&b, &body);
    tv_batch_init(&empty);
    assert_int_equal(store_write_day(st, &b, "country:GB", DAY, &s), STORE_OK);
    assert_int_equal(store_write_day(st, &b, "web", DAY, &s), STORE_OK);
    n = count(st, "SELECT count(*) FROM episodes");
    /* GB lists nothing now: its listings go, the episodes stay (web) */
    assert_int_equal(store_write_day(st, &empty, "country:GB", DAY, &s), STORE_OK);
    assert_int_equal(s.unlisted, n);
    assert_int_equal(s.removed, 0);
    assert_int_equal(count(st, "SELECT count(*) FROM episodes"), n);
    /* the last source lets them go, and the feed says so */
    assert_int_equal(store_write_day(st, &empty, "web", DAY, &s), STORE_OK);
    assert_int_equal(s.removed, n);
    assert_int_equal(count(st, "SELECT count(*) FROM episodes"), 0);
    assert_int_equal(count(st, "SELECT count(*) FROM changes WHERE kind = 'removed'"), n);
    tv_batch_free(&b);
    buf_free(&body);
    store_close(st);
}

static void test_a_newer_show_payload_wins_and_episodes_follow(void **state)
{
    store *st = unit_db_open();
    store_day_stats s;
    tv_batch b;
    buf body;
    tv_show *show;
    const char *old_name;
    int64_t old_updated;

    (void)state;
    load_day(&b, &body);
    show = b.episodes[0]->show;
    assert_int_equal(store_write_day(st, &b, "country:GB", DAY, &s), STORE_OK);
    old_name = show->name;
    old_updated = show->updated;
    /* an older payload with another name changes nothing */
    show->name = "An Older Name";
    show->updated = old_updated - 100;
    assert_int_equal(store_write_day(st, &b, "country:GB", DAY, &s), STORE_OK);
    assert_int_equal(count(st, "SELECT count(*) FROM shows WHERE name = 'An Older Name'"), 0);
    /* a newer one is written, and its stored episodes take the new name */
    show->name = "A Newer Name";
    show->updated = old_updated + 100;
    assert_int_equal(store_write_day(st, &b, "country:GB", DAY, &s), STORE_OK);
    assert_true(s.upserted > 0);
    assert_int_equal(count(st, "SELECT count(*) FROM shows WHERE name = 'A Newer Name'"), 1);
    assert_int_equal(count(st, "SELECT count(*) FROM episodes e JOIN shows s ON s.id = e.show_id"
                               " WHERE s.name = 'A Newer Name' AND e.show_name <> s.name"),
                     0);
    assert_true(count(st, "SELECT count(*) FROM episodes WHERE show_name = 'A Newer Name'") > 0);
    show->name = old_name;
    show->updated = old_updated;
    tv_batch_free(&b);
    buf_free(&body);
    store_close(st);
}

static void test_a_run_is_finished_from_its_counts(void **state)
{
    store *st = unit_db_open();
    store_run d = {0};
    const char *status = NULL;
    int64_t id = 0;

    (void)state;
    assert_int_equal(store_run_begin(st, "days", 2, &id), STORE_OK);
    assert_true(id > 0);
    d.days_ok = 1;
    assert_int_equal(store_run_add(st, id, &d, NULL, NULL), STORE_OK);
    d.days_ok = 0;
    d.days_failed = 1;
    assert_int_equal(store_run_add(st, id, &d, "2026-07-04/web", "timeout"), STORE_OK);
    assert_int_equal(store_run_finish(st, id, &status), STORE_OK);
    assert_string_equal(status, "partial");
    assert_int_equal(count(st, "SELECT count(*) FROM import_runs WHERE status = 'partial'"
                               " AND first_error = 'timeout' AND failed_days = '2026-07-04/web'"),
                     1);
    store_close(st);
}

/* store_write_days: a day that fails, in the middle of a batch, fails
 * alone; the days around it are written, and the memo the batch built
 * still holds for the next write. */
static void test_a_day_that_fails_in_a_batch_leaves_the_others(void **state)
{
    tv_batch b;
    buf body;
    store_day_write days[3] = {
        {.source = "country:GB", .day = DAY},
        {.source = "country:XX", .day = DAY},
        {.source = "web", .day = DAY},
    };
    store_day_stats s;
    store *st = unit_db_open();

    (void)state;
    load_day(&b, &body);
    for (int i = 0; i < 3; i++)
        days[i].b = &b;
    assert_int_equal(
        db_script(st->db, store_is_postgres(st)
                              ? "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
                                " $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;"
                                " CREATE TRIGGER refuse BEFORE INSERT ON listings FOR EACH ROW"
                                " WHEN (NEW.source = 'country:XX') EXECUTE FUNCTION refuse()"
                              : "CREATE TRIGGER refuse BEFORE INSERT ON listings"
                                " WHEN new.source = 'country:XX' BEGIN"
                                " SELECT RAISE(ABORT, 'refused by the test'); END"),
        DB_OK);
    assert_int_equal(store_write_days(st, days, 3), STORE_OK);
    assert_int_equal(days[0].rc, STORE_OK);
    assert_int_not_equal(days[1].rc, STORE_OK);
    assert_non_null(strstr(days[1].err, "refused by the test"));
    assert_int_equal(days[2].rc, STORE_OK);
    assert_true(days[0].stats.episodes > 10);
    assert_int_equal(days[2].stats.episodes, days[0].stats.episodes);
    assert_int_equal(count(st, "SELECT count(*) FROM listings WHERE source = 'country:GB'"),
                     days[0].stats.episodes);
    assert_int_equal(count(st, "SELECT count(*) FROM listings WHERE source = 'country:XX'"), 0);
    assert_int_equal(count(st, "SELECT count(*) FROM listings WHERE source = 'web'"),
                     days[0].stats.episodes);
    /* the refused day, once the database takes it */
    assert_int_equal(db_script(st->db, store_is_postgres(st) ? "DROP TRIGGER refuse ON listings;"
                                                               " DROP FUNCTION refuse()"
                                                             : "DROP TRIGGER refuse"),
                     DB_OK);
    assert_int_equal(store_write_day(st, &b, "country:XX", DAY, &s), STORE_OK);
    assert_int_equal(s.upserted, 0);
    assert_int_equal(count(st, "SELECT count(*) FROM listings WHERE source = 'country:XX'"),
                     days[0].stats.episodes);
    store_close(st);
    tv_batch_free(&b);
    buf_free(&body);
}

/* db_pair_fn: counts the pairs, and those whose id is not the key's
 * (rows inserted out of order). */
static void note_pair(void *ud, int64_t k, int64_t id)
{
    int64_t *seen = ud;

    seen[0]++;
    seen[1] += k != id;
}

/* db_upsert writes a batch as if row by row, in order (ids are given in
 * the batch's order), every row inserted or changed comes back once, and
 * rows stored as they are write and return nothing. Both drivers write a
 * batch in one statement. */
static void test_an_upsert_batch_writes_in_order_and_only_what_changed(void **state)
{
    static const char *const cols[] = {"k", "v", "f"};
    const db_upsert_spec spec = {"upsert_probe", cols, 3, 1, NULL, 0, 0, 0, "k, id"};
    enum { N = 1500 };
    db_val *rows = calloc(N * 3, sizeof(*rows));
    char(*text)[16] = calloc(N, sizeof(*text));
    int64_t changes = -1, seen[2] = {0, 0};
    store *st = unit_db_open();

    (void)state;
    assert_non_null(rows);
    assert_non_null(text);
    assert_int_equal(db_script(st->db, store_is_postgres(st)
                                           ? "DROP TABLE IF EXISTS upsert_probe;"
                                             " CREATE TABLE upsert_probe (id BIGSERIAL PRIMARY KEY,"
                                             " k BIGINT UNIQUE, v TEXT, f DOUBLE PRECISION)"
                                           : "DROP TABLE IF EXISTS upsert_probe;"
                                             " CREATE TABLE upsert_probe (id INTEGER PRIMARY KEY,"
                                             " k BIGINT UNIQUE, v TEXT, f DOUBLE PRECISION)"),
                     DB_OK);
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof(text[i]), "v%d", i);
        rows[i * 3] = dbv_int(i + 1);
        rows[i * 3 + 1] = dbv_text(text[i]);
        rows[i * 3 + 2] = i % 3 ? dbv_float(i / 2.0) : dbv_null();
    }
    assert_int_equal(db_upsert(st->db, &spec, rows, N, &changes, note_pair, seen), DB_OK);
    assert_int_equal(changes, N);
    assert_int_equal(seen[0], N);
    assert_int_equal(seen[1], 0);
    assert_int_equal(count(st, "SELECT count(*) FROM upsert_probe"), N);
    assert_int_equal(count(st, "SELECT count(*) FROM upsert_probe WHERE k = 3 AND v = 'v2'"
                               " AND f = 1.0"),
                     1);
    assert_int_equal(count(st, "SELECT count(*) FROM upsert_probe WHERE f IS NULL"), N / 3);
    /* the same rows, every tenth with another value */
    for (int i = 0; i < N; i += 10)
        rows[i * 3 + 1] = dbv_text("changed");
    seen[0] = seen[1] = 0;
    assert_int_equal(db_upsert(st->db, &spec, rows, N, &changes, note_pair, seen), DB_OK);
    assert_int_equal(changes, N / 10);
    assert_int_equal(seen[0], N / 10);
    assert_int_equal(count(st, "SELECT count(*) FROM upsert_probe WHERE v = 'changed'"), N / 10);
    /* again: nothing changes */
    seen[0] = 0;
    assert_int_equal(db_upsert(st->db, &spec, rows, N, &changes, note_pair, seen), DB_OK);
    assert_int_equal(changes, 0);
    assert_int_equal(seen[0], 0);
    assert_int_equal(db_script(st->db, "DROP TABLE upsert_probe"), DB_OK);
    store_close(st);
    free(text);
    free(rows);
}

int main(void)
{
    const char *env = getenv("TVSHOWS_TEST_DATABASE_URL");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_a_store_that_reads_holds_no_memo, setup),
        cmocka_unit_test_setup(test_an_unchanged_day_writes_nothing, setup),
        cmocka_unit_test_setup(test_an_episode_goes_when_no_source_lists_it, setup),
        cmocka_unit_test_setup(test_a_newer_show_payload_wins_and_episodes_follow, setup),
        cmocka_unit_test_setup(test_a_run_is_finished_from_its_counts, setup),
        cmocka_unit_test_setup(test_an_upsert_batch_writes_in_order_and_only_what_changed, setup),
        cmocka_unit_test_setup(test_a_day_that_fails_in_a_batch_leaves_the_others, setup),
    };
    int rc;

    tvmaze_global_init();
    if (env && *env)
        snprintf(unit_db_url, sizeof(unit_db_url), "%s", env);
    else if (unit_db_make("store") != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (!env || !*env)
        unit_db_remove();
    return rc;
}
