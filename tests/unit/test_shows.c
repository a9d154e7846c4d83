/* Tests of the memo of shows' cards and next episodes
 * (src/schedule/shows.h) on a real SQLite database: a card is held for its
 * generation; a next episode is found once and then held without the
 * store, and given up exactly when the episode it names airs (its
 * airstamp, or the end of its airdate without a time), when the generation
 * moves, or when the instant asked about is earlier than the one it was
 * found at. The store's rows are changed behind the memo's back so that a
 * held answer and a fresh one differ. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "schedule/shows.h"
#include "store/store_admin.h"
#include "store/store_internal.h"
#include "util/date.h"

#include "unit_db.h"

#define SHOW_A 1 /* episodes with times */
#define SHOW_B 2 /* an episode without a time */
#define SHOW_C 3 /* nothing ahead */

typedef struct fixture {
    store *st;
    show_memo *m;
    arena a;
    tv_show shows[3];
    tv_show *ptrs[3];
} fixture;

static int64_t at(const char *instant)
{
    int64_t t = 0;

    assert_int_equal(instant_parse(instant, strlen(instant), &t), 0);
    return t;
}

static void sql(fixture *f, const char *text)
{
    assert_int_equal(db_script(f->st->db, text), DB_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    int applied;

    assert_non_null(f);
    f->st = unit_db_open();
    assert_int_equal(store_migrate(f->st, &applied), STORE_OK);
    sql(f, "DELETE FROM episodes; DELETE FROM shows;"
           "INSERT INTO shows (id, tvmaze_id, name) VALUES (1, 101, 'A'), (2, 102, 'B'),"
           " (3, 103, 'C');"
           "INSERT INTO episodes (id, tvmaze_id, show_id, name, season, number, airdate,"
           " airtime, airstamp, time_sort, number_sort, show_name) VALUES"
           " (11, 1011, 1, 'A1', 1, 1, '2030-05-01', '20:00', '2030-05-01T18:00:00+00:00',"
           "  1200, 1, 'A'),"
           " (12, 1012, 1, 'A2', 1, 2, '2030-05-08', '20:00', '2030-05-09T00:00:00+00:00',"
           "  1200, 2, 'A'),"
           " (21, 1021, 2, 'B1', 1, 1, '2030-05-03', '', NULL, 1441, 1, 'B'),"
           " (22, 1022, 2, 'B2', 1, 2, '2030-05-10', '', NULL, 1441, 2, 'B'),"
           " (31, 1031, 3, 'C1', 1, 1, '2020-01-01', '', NULL, 1441, 1, 'C');");
    assert_non_null(f->m = show_memo_new(16, 1 << 20));
    arena_init(&f->a, 4096);
    for (int i = 0; i < 3; i++) {
        f->shows[i].id = i + 1;
        f->ptrs[i] = &f->shows[i];
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    show_memo_free(f->m);
    arena_free(&f->a);
    store_close(f->st);
    free(f);
    return 0;
}

/* The next episodes' names of the three shows ("-" for none), as of now. */
static void names_at(fixture *f, int64_t gen, int64_t now, char out[3][8])
{
    for (int i = 0; i < 3; i++)
        f->shows[i].next = (tv_next_episode *)(intptr_t)1; /* must be overwritten */
    assert_int_equal(show_memo_next(f->m, f->st, gen, now, f->ptrs, 3, &f->a), STORE_OK);
    for (int i = 0; i < 3; i++)
        snprintf(out[i], 8, "%s", f->shows[i].next ? f->shows[i].next->name : "-");
}

static void expect(fixture *f, int64_t gen, int64_t now, const char *a, const char *b,
                   const char *c)
{
    char got[3][8];

    names_at(f, gen, now, got);
    assert_string_equal(got[0], a);
    assert_string_equal(got[1], b);
    assert_string_equal(got[2], c);
}

static void test_an_answer_is_held_until_its_episode_airs(void **state)
{
    fixture *f = *state;
    int64_t t0 = at("2030-04-30T12:00:00Z");

    expect(f, 1, t0, "A1", "B1", "-");
    /* the store changes without a new generation: the memo still answers */
    sql(f, "UPDATE episodes SET name = name || 'x'");
    expect(f, 1, t0 + 3600, "A1", "B1", "-");
    expect(f, 1, at("2030-05-01T17:55:00Z"), "A1", "B1", "-");
    /* A1's airstamp, hours before its airdate is over: asked again (and the
     * store's rows are what it finds) */
    expect(f, 1, at("2030-05-01T18:00:00Z"), "A2x", "B1", "-");
    /* B1, without a time, is next until its airdate is over (UTC) */
    expect(f, 1, at("2030-05-03T23:55:00Z"), "A2x", "B1", "-");
    expect(f, 1, at("2030-05-04T00:00:00Z"), "A2x", "B2x", "-");
}

static void test_a_new_generation_or_an_earlier_instant_asks_again(void **state)
{
    fixture *f = *state;
    int64_t t0 = at("2030-04-30T12:00:00Z");

    expect(f, 1, t0, "A1", "B1", "-");
    sql(f, "UPDATE episodes SET name = name || 'x';"
           "INSERT INTO episodes (id, tvmaze_id, show_id, name, season, number, airdate,"
           " airtime, airstamp, time_sort, number_sort, show_name) VALUES"
           " (32, 1032, 3, 'C2', 1, 2, '2030-06-01', '', NULL, 1441, 2, 'C')");
    /* "none" holds for the generation */
    expect(f, 1, t0 + 60, "A1", "B1", "-");
    /* an instant before the answer was found: A0 could have been next */
    expect(f, 1, t0 - 86400 * 400, "A1x", "B1x", "C2");
    expect(f, 2, t0 + 60, "A1x", "B1x", "C2");
}

/* The three shows' card names ("-" for a show gone). */
static void cards_are(fixture *f, int64_t gen, const char *a, const char *b, const char *c)
{
    int64_t ids[3] = {SHOW_A, SHOW_B, 99};
    tv_show *out[3];

    assert_int_equal(show_memo_cards(f->m, f->st, gen, ids, 3, &f->a, out), STORE_OK);
    assert_string_equal(out[0] ? out[0]->name : "-", a);
    assert_string_equal(out[1] ? out[1]->name : "-", b);
    assert_string_equal(out[2] ? out[2]->name : "-", c);
    assert_int_equal(out[0]->tvmaze_id, 101);
    assert_null(out[0]->summary); /* a card holds only what a list shows */
}

static void test_a_card_is_held_for_its_generation(void **state)
{
    fixture *f = *state;

    sql(f, "UPDATE shows SET summary = '<p>long</p>'");
    cards_are(f, 1, "A", "B", "-");
    sql(f, "UPDATE shows SET name = name || 'x'");
    cards_are(f, 1, "A", "B", "-");
    cards_are(f, 2, "Ax", "Bx", "-");
}

static void test_an_answer_found_again_is_held_again(void **state)
{
    fixture *f = *state;

    expect(f, 1, at("2030-04-30T12:00:00Z"), "A1", "B1", "-");
    expect(f, 1, at("2030-05-01T18:00:00Z"), "A2", "B1", "-");
    /* A2 is held from now on: the store's change is not seen */
    sql(f, "UPDATE episodes SET name = name || 'x'");
    expect(f, 1, at("2030-05-01T19:00:00Z"), "A2", "B1", "-");
}

static void test_the_memo_starts_over_when_full(void **state)
{
    fixture *f = *state;
    show_memo *small = show_memo_new(2, 1 << 20);
    int64_t t0 = at("2030-04-30T12:00:00Z");

    assert_non_null(small);
    show_memo_free(f->m);
    f->m = small;
    expect(f, 1, t0, "A1", "B1", "-");
    sql(f, "UPDATE episodes SET name = name || 'x'");
    /* only the last answer kept survives the start-over */
    expect(f, 1, t0 + 60, "A1x", "B1x", "-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_an_answer_is_held_until_its_episode_airs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_new_generation_or_an_earlier_instant_asks_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_memo_starts_over_when_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_card_is_held_for_its_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_answer_found_again_is_held_again, setup, teardown),
    };
    int rc;

    if (unit_db_make("shows") != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    unit_db_remove();
    return rc;
}
