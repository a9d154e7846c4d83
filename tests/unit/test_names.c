/* Tests of the name index (src/schedule/names.h) on a real SQLite store
 * holding recorded TVmaze schedules (tests/fixtures/tvmaze): what the index
 * answers is what ranking every show by hand answers, for every kind of
 * query; a new generation is seen; a budget too small leaves the answer
 * to the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "schedule/names.h"
#include "store/store_internal.h"
#include "store/store_read.h"
#include "store/store_write.h"
#include "tvmaze/tvmaze.h"
#include "util/buf.h"

#include "unit_db.h"

#define LIMIT 10

/* Writes a recorded day (schedule-<source>-<day>.json) into st. */
static void write_day(store *st, const char *source, const char *day)
{
    char path[512], err[256], src[32];
    tvmaze_map_info info;
    store_day_stats s;
    tv_batch b;
    buf body;
    FILE *f;
    char chunk[65536];
    size_t n;

    snprintf(path, sizeof(path), "%s/tvmaze/schedule-%s-%s.json", TVSHOWS_FIXTURES, source, day);
    assert_non_null(f = fopen(path, "rb"));
    buf_init(&body, (size_t)64 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(buf_append(&body, chunk, n), 0);
    fclose(f);
    tv_batch_init(&b);
    assert_int_equal(tvmaze_map_schedule(body.data, body.len, &b, &info, err, sizeof(err)),
                     TVMAZE_OK);
    snprintf(src, sizeof(src), strcmp(source, "web") ? "country:%s" : "%s", source);
    assert_int_equal(store_write_day(st, &b, src, day, &s), STORE_OK);
    tv_batch_free(&b);
    buf_free(&body);
}

static int64_t generation(store *st)
{
    int64_t g = -1;

    assert_int_equal(store_generation(st, &g), STORE_OK);
    return g;
}

/* Every show with episodes, as the index sees them, kept for ranking by
 * hand. */
typedef struct show_row {
    int64_t id;
    char name[256], folded[256];
    int weight;
} show_row;

typedef struct all_shows {
    show_row rows[4096];
    size_t n;
} all_shows;

static int keep_row(void *ctx, const store_show_name *s)
{
    all_shows *a = ctx;
    show_row *r = &a->rows[a->n++];

    assert_true(a->n < 4096);
    r->id = s->id;
    snprintf(r->name, sizeof(r->name), "%s", s->name ? s->name : "");
    snprintf(r->folded, sizeof(r->folded), "%s", s->search_name ? s->search_name : "");
    r->weight = s->weight;
    return 0;
}

/* The best LIMIT shows for q by ranking every show with names_rank. */
static size_t rank_by_hand(const all_shows *a, const char *q, int64_t *ids)
{
    names_hit *hits = calloc(a->n + 1, sizeof(*hits));
    size_t k = 0, n = 0;

    assert_non_null(hits);
    for (size_t i = 0; i < a->n; i++) {
        names_hit h = {a->rows[i].id, a->rows[i].name, a->rows[i].weight, 0, 0, i};
        names_rank(q, a->rows[i].folded, &h.rank, &h.score);
        if (h.rank != NAMES_NONE)
            hits[k++] = h;
    }
    qsort(hits, k, sizeof(*hits), names_hit_cmp);
    for (; n < k && n < LIMIT; n++)
        ids[n] = hits[n].id;
    free(hits);
    return n;
}

static void check_query(name_index *idx, store *st, int64_t gen, const all_shows *a, const char *q)
{
    int64_t want[LIMIT], got[LIMIT];
    size_t nwant = rank_by_hand(a, q, want), ngot;
    int answered;

    assert_int_equal(names_search(idx, st, gen, q, LIMIT, got, &ngot, &answered), STORE_OK);
    assert_int_equal(answered, 1);
    if (ngot != nwant)
        fail_msg("query \"%s\": %zu shows from the index, %zu by hand", q, ngot, nwant);
    for (size_t i = 0; i < ngot; i++)
        if (got[i] != want[i])
            fail_msg("query \"%s\": #%zu is show %lld from the index, %lld by hand", q, i,
                     (long long)got[i], (long long)want[i]);
}

static int setup(void **state)
{
    static const char *const days[][2] = {
        {"GB", "2026-07-03"}, {"GB", "2026-07-04"},  {"GB", "2026-07-05"},
        {"US", "2020-12-01"}, {"web", "2020-12-04"},
    };
    store *st;
    int applied;

    (void)state;
    st = unit_db_open();
    assert_int_equal(store_migrate(st, &applied), STORE_OK);
    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
        write_day(st, days[i][0], days[i][1]);
    store_close(st);
    return 0;
}

/* The bytes of s's first n bytes that end on a character. */
static size_t utf8_cut(const char *s, size_t n)
{
    size_t len = strlen(s);

    if (n >= len)
        return len;
    while (n > 0 && (s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static int ascii(const char *s)
{
    for (; *s; s++)
        if (*s & 0x80)
            return 0;
    return 1;
}

/* Pieces of every name as people type them: prefixes, a word, a middle,
 * a letter dropped, two swapped; and queries of one and two letters,
 * several words, other scripts and nothing found. */
static void test_the_index_ranks_as_ranking_every_show_does(void **state)
{
    static const char *const fixed[] = {"a",      "e",      "ab",         "zz",     "the",
                                        "lo is",  "巨人",   "進撃の巨人", "склиф",  "eden",
                                        "x y z",  "of the", "show",       "news",   "zzzzqqqq",
                                        "love i", "s",      "2",          "mandal", "eastedners"};
    store *st = unit_db_open();
    name_index *idx = names_new((size_t)16 << 20);
    all_shows *a = calloc(1, sizeof(*a));
    int64_t gen, g2;
    size_t queries = 0;

    (void)state;
    assert_non_null(idx);
    assert_non_null(a);
    assert_int_equal(store_show_names(st, keep_row, a, &gen), STORE_OK);
    if (a->n < 150)
        fail_msg("%zu shows", a->n);
    assert_int_equal(gen, generation(st));
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++, queries++)
        check_query(idx, st, gen, a, fixed[i]);
    for (size_t i = 0; i < a->n; i++) {
        const char *f = a->rows[i].folded;
        size_t len = strlen(f), mid = len / 3;
        char q[64];
        if (len < 6 || len > 60)
            continue;
        for (size_t cut = 3; cut <= 8; cut += 5, queries++) { /* prefixes */
            snprintf(q, sizeof(q), "%.*s", (int)utf8_cut(f, cut), f);
            check_query(idx, st, gen, a, q);
        }
        while ((f[mid] & 0xC0) == 0x80)
            mid++;
        snprintf(q, sizeof(q), "%.*s", (int)utf8_cut(f + mid, 5), f + mid); /* a middle */
        check_query(idx, st, gen, a, q);
        queries++;
        if (!ascii(f))
            continue;
        snprintf(q, sizeof(q), "%.2s%s", f, f + 3); /* a letter dropped */
        check_query(idx, st, gen, a, q);
        snprintf(q, sizeof(q), "%s", f); /* two letters swapped */
        q[1] = f[2];
        q[2] = f[1];
        check_query(idx, st, gen, a, q);
        queries += 2;
    }
    assert_true(queries > 600);
    /* one index served every query */
    {
        size_t shows, bytes;
        names_stats(idx, &g2, &shows, &bytes);
        assert_int_equal(g2, gen);
        assert_int_equal(shows, a->n);
        assert_true(bytes > 0 && bytes < ((size_t)16 << 20));
    }
    free(a);
    names_free(idx);
    store_close(st);
}

static void test_a_new_generation_is_searched(void **state)
{
    store *st = unit_db_open();
    name_index *idx = names_new((size_t)16 << 20);
    int64_t ids[LIMIT], gen = generation(st), held;
    size_t n, shows_before, shows, bytes;
    int answered;

    (void)state;
    /* Vår tid är nu airs only on 2020-12-25 (web), not yet written */
    assert_int_equal(names_search(idx, st, gen, "var tid ar nu", LIMIT, ids, &n, &answered),
                     STORE_OK);
    assert_int_equal(answered, 1);
    assert_int_equal(n, 0);
    names_stats(idx, &held, &shows_before, &bytes);
    assert_int_equal(held, gen);
    write_day(st, "web", "2020-12-25");
    assert_true(generation(st) > gen);
    /* a caller still at the old generation is answered by the index held */
    assert_int_equal(names_search(idx, st, gen, "var tid ar nu", LIMIT, ids, &n, &answered),
                     STORE_OK);
    assert_int_equal(n, 0);
    names_stats(idx, &held, &shows, &bytes);
    assert_int_equal(held, gen);
    gen = generation(st);
    assert_int_equal(names_search(idx, st, gen, "var tid ar nu", LIMIT, ids, &n, &answered),
                     STORE_OK);
    assert_int_equal(answered, 1);
    assert_true(n >= 1);
    {
        tv_show *s[1];
        arena a;
        arena_init(&a, 4096);
        assert_int_equal(store_shows_by_ids(st, ids, 1, &a, s), STORE_OK);
        assert_non_null(s[0]);
        assert_string_equal(s[0]->name, "Vår tid är nu");
        arena_free(&a);
    }
    names_stats(idx, &held, &shows, &bytes);
    assert_int_equal(held, gen);
    assert_true(shows > shows_before);
    names_free(idx);
    store_close(st);
}

static void test_a_budget_too_small_leaves_the_answer_to_the_store(void **state)
{
    store *st = unit_db_open();
    name_index *small = names_new(4096), *off = names_new(0);
    int64_t ids[LIMIT], gen = generation(st), held;
    size_t n, shows, bytes;
    int answered = 1;

    (void)state;
    assert_int_equal(names_search(small, st, gen, "eastenders", LIMIT, ids, &n, &answered),
                     STORE_OK);
    assert_int_equal(answered, 0);
    assert_int_equal(n, 0);
    names_stats(small, &held, &shows, &bytes);
    assert_int_equal(held, -1);
    answered = 1;
    assert_int_equal(names_search(off, st, gen, "eastenders", LIMIT, ids, &n, &answered), STORE_OK);
    assert_int_equal(answered, 0);
    names_free(small);
    names_free(off);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_the_index_ranks_as_ranking_every_show_does, setup),
        cmocka_unit_test_setup(test_a_new_generation_is_searched, setup),
        cmocka_unit_test_setup(test_a_budget_too_small_leaves_the_answer_to_the_store, setup),
    };
    int rc;

    tvmaze_global_init();
    if (unit_db_make("names") != 0)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    unit_db_remove();
    return rc;
}
