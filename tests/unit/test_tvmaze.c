/* Tests of the upstream's pure parts (src/tvmaze/tvmaze.h, src/util/backoff.h):
 * the token bucket with an injected clock, backoff bounds, Retry-After, and
 * the schedule mapper on the recorded responses in tests/fixtures/tvmaze/.
 * Expected numbers are computed from the fixtures here, never written down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tvmaze/tvmaze.h"
#include "util/backoff.h"

#define FIXTURES TVSHOWS_FIXTURES "/tvmaze"

/* ---- limiter ---- */

static void test_limiter_first_20_immediate_then_waits(void **state)
{
    tvmaze_limiter *l = tvmaze_limiter_new(20, 10000);

    (void)state;
    assert_non_null(l);
    for (int i = 0; i < 20; i++)
        assert_int_equal(tvmaze_limiter_reserve(l, 1000), 0);
    /* one token every 500 ms: the 21st waits for it, the 22nd for the next */
    assert_int_equal(tvmaze_limiter_reserve(l, 1000), 500);
    assert_int_equal(tvmaze_limiter_reserve(l, 1000), 1000);
    tvmaze_limiter_free(l);
    tvmaze_limiter_free(NULL);
}

static void test_limiter_refills_over_time(void **state)
{
    tvmaze_limiter *l = tvmaze_limiter_new(20, 10000);

    (void)state;
    for (int i = 0; i < 20; i++)
        assert_int_equal(tvmaze_limiter_reserve(l, 0), 0);
    /* 500 ms later one token is back, and only one */
    assert_int_equal(tvmaze_limiter_reserve(l, 500), 0);
    assert_int_equal(tvmaze_limiter_reserve(l, 500), 500);
    /* 250 ms later half a token is back: the next is owed until 1500 */
    assert_int_equal(tvmaze_limiter_reserve(l, 750), 750);
    /* a whole idle period refills the bucket, and no more than it */
    for (int i = 0; i < 20; i++)
        assert_int_equal(tvmaze_limiter_reserve(l, 100000), 0);
    assert_int_equal(tvmaze_limiter_reserve(l, 100000), 500);
    /* a clock that goes back refills nothing */
    assert_int_equal(tvmaze_limiter_reserve(l, 50000), 1000);
    tvmaze_limiter_free(l);
}

static void test_limiter_rate_zero_is_unlimited(void **state)
{
    tvmaze_limiter *l = tvmaze_limiter_new(0, 10000);

    (void)state;
    for (int i = 0; i < 10000; i++)
        assert_int_equal(tvmaze_limiter_reserve(l, 0), 0);
    assert_int_equal(tvmaze_limiter_reserve(NULL, 0), 0);
    tvmaze_limiter_free(l);
}

#define THREADS    4
#define PER_THREAD 1000

typedef struct reserve_arg {
    tvmaze_limiter *l;
    int64_t *waits;
} reserve_arg;

static void *reserve_many(void *p)
{
    reserve_arg *a = p;

    for (int i = 0; i < PER_THREAD; i++)
        a->waits[i] = tvmaze_limiter_reserve(a->l, 0);
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Under contention every reservation gets its own slot: sorted, the waits
 * are exactly 0 (20 times), 500, 1000, … — no slot lost or given twice. */
static void test_limiter_is_thread_safe(void **state)
{
    tvmaze_limiter *l = tvmaze_limiter_new(20, 10000);
    int64_t *waits = calloc(THREADS * PER_THREAD, sizeof(*waits));
    pthread_t th[THREADS];
    reserve_arg args[THREADS];

    (void)state;
    assert_non_null(waits);
    for (int i = 0; i < THREADS; i++) {
        args[i] = (reserve_arg){l, waits + i * PER_THREAD};
        assert_int_equal(pthread_create(&th[i], NULL, reserve_many, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    qsort(waits, THREADS * PER_THREAD, sizeof(*waits), cmp_i64);
    for (int64_t i = 0; i < THREADS * PER_THREAD; i++)
        assert_int_equal(waits[i], i < 20 ? 0 : (i - 19) * 500);
    free(waits);
    tvmaze_limiter_free(l);
}

/* ---- backoff ---- */

static void test_backoff_equal_jitter_bounds(void **state)
{
    const int64_t base = 1000, cap = 60000;
    uint32_t rng = 12345;

    (void)state;
    for (int attempt = 1; attempt <= 10; attempt++) {
        int64_t full = base << (attempt - 1);

        if (full > cap)
            full = cap;
        /* the fixed half, and the whole of it at the top of the random half */
        assert_int_equal(backoff_ms(attempt, base, cap, 0), full / 2);
        assert_int_equal(backoff_ms(attempt, base, cap, (uint32_t)(full / 2)), full);
        for (int i = 0; i < 1000; i++) {
            int64_t d;

            rng = rng * 1103515245u + 12345u;
            d = backoff_ms(attempt, base, cap, rng);
            assert_in_range(d, full / 2, full);
        }
        assert_in_range(backoff_ms(attempt, base, cap, UINT32_MAX), full / 2, full);
    }
    /* far past the cap, nothing overflows */
    assert_in_range(backoff_ms(100, base, cap, 777), cap / 2, cap);
    assert_in_range(backoff_ms(1000000, 1, INT64_MAX / 4, 5), 0, INT64_MAX / 4);
    assert_int_equal(backoff_ms(3, 0, cap, 99), 0);
}

/* ---- Retry-After ---- */

#define DATE_NOW 1445412480LL /* Wed, 21 Oct 2015 07:28:00 GMT */

static void test_retry_after_reads_seconds(void **state)
{
    (void)state;
    assert_int_equal(tvmaze_retry_after_ms("120", DATE_NOW, 300000), 120000);
    assert_int_equal(tvmaze_retry_after_ms(" 7\r\n", DATE_NOW, 300000), 7000);
    assert_int_equal(tvmaze_retry_after_ms("0", DATE_NOW, 300000), 0);
    assert_int_equal(tvmaze_retry_after_ms("3600", DATE_NOW, 300000), 300000);
    assert_int_equal(tvmaze_retry_after_ms("99999999999999999999", DATE_NOW, 300000), -1);
}

static void test_retry_after_reads_http_dates(void **state)
{
    (void)state;
    assert_int_equal(tvmaze_retry_after_ms("Wed, 21 Oct 2015 07:28:30 GMT", DATE_NOW, 300000),
                     30000);
    assert_int_equal(tvmaze_retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", DATE_NOW, 300000), 0);
    assert_int_equal(tvmaze_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", DATE_NOW, 300000), 0);
    assert_int_equal(tvmaze_retry_after_ms("Thu, 22 Oct 2015 07:28:00 GMT", DATE_NOW, 300000),
                     300000);
}

static void test_retry_after_refuses_garbage(void **state)
{
    (void)state;
    assert_int_equal(tvmaze_retry_after_ms(NULL, DATE_NOW, 300000), -1);
    assert_int_equal(tvmaze_retry_after_ms("", DATE_NOW, 300000), -1);
    assert_int_equal(tvmaze_retry_after_ms("   ", DATE_NOW, 300000), -1);
    assert_int_equal(tvmaze_retry_after_ms("soon", DATE_NOW, 300000), -1);
    assert_int_equal(tvmaze_retry_after_ms("12abc", DATE_NOW, 300000), -1);
}

/* ---- mapper: helpers ---- */

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long len;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    data = malloc((size_t)len + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    data[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return data;
}

static json_t *load_json(const char *name)
{
    char path[512];
    json_error_t jerr;
    json_t *v;

    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    v = json_load_file(path, 0, &jerr);
    if (!v)
        fail_msg("%s: %s", path, jerr.text);
    return v;
}

/* A JSON value as compact text, malloc'd (json_dumps would allocate with
 * the mapper's hooks, which free() must not see). */
static char *dump(const json_t *v, size_t *n)
{
    size_t len = json_dumpb(v, NULL, 0, JSON_COMPACT);
    char *out = malloc(len + 1);

    assert_non_null(out);
    assert_int_equal(json_dumpb(v, out, len, JSON_COMPACT), len);
    out[len] = '\0';
    *n = len;
    return out;
}

static int map_text(const char *text, size_t n, tv_batch *b, tvmaze_map_info *info, char *err,
                    size_t errlen)
{
    tv_batch_init(b);
    err[0] = '\0';
    return tvmaze_map_schedule(text, n, b, info, err, errlen);
}

static void map_fixture(const char *name, tv_batch *b, tvmaze_map_info *info)
{
    char path[512], err[256];
    size_t n;
    char *text;
    int rc;

    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    text = read_all(path, &n);
    rc = map_text(text, n, b, info, err, sizeof(err));
    if (rc != TVMAZE_OK)
        fail_msg("%s: %s", name, err);
    free(text);
}

static const json_t *show_of_item(const json_t *item)
{
    const json_t *s = json_object_get(item, "show");

    return json_is_object(s) ? s : json_object_get(json_object_get(item, "_embedded"), "show");
}

static json_int_t id_of(const json_t *obj)
{
    return json_integer_value(json_object_get(obj, "id"));
}

static tv_episode *find_episode(const tv_batch *b, int64_t id)
{
    for (size_t i = 0; i < b->nepisodes; i++) {
        if (b->episodes[i]->tvmaze_id == id)
            return b->episodes[i];
    }
    return NULL;
}

static tv_show *find_show(const tv_batch *b, int64_t id)
{
    for (size_t i = 0; i < b->nshows; i++) {
        if (b->shows[i]->tvmaze_id == id)
            return b->shows[i];
    }
    return NULL;
}

/* A small set of int64 keys, enough for a fixture's few hundred ids. */
typedef struct idset {
    int64_t keys[1024];
    size_t n;
} idset;

static void idset_add(idset *s, int64_t key)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->keys[i] == key)
            return;
    }
    assert_true(s->n < sizeof(s->keys) / sizeof(s->keys[0]));
    s->keys[s->n++] = key;
}

/* The fixtures' schedule responses: every file named schedule-*.json. */
static size_t schedule_fixtures(char names[][128], size_t max)
{
    DIR *d = opendir(FIXTURES);
    struct dirent *de;
    size_t n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) && n < max) {
        size_t len = strlen(de->d_name);
        if (!strncmp(de->d_name, "schedule-", 9) && len > 5 && len < 128 &&
            !strcmp(de->d_name + len - 5, ".json"))
            snprintf(names[n++], 128, "%.127s", de->d_name);
    }
    closedir(d);
    return n;
}

/* ---- mapper: the recorded responses ---- */

static void test_mapper_counts_match_fixtures(void **state)
{
    char names[32][128];
    size_t nfiles = schedule_fixtures(names, 32);

    (void)state;
    assert_true(nfiles >= 9);
    for (size_t f = 0; f < nfiles; f++) {
        json_t *root = load_json(names[f]), *item;
        idset *episodes = calloc(1, sizeof(idset)), *shows = calloc(1, sizeof(idset));
        idset *dists = calloc(1, sizeof(idset));
        size_t i, undated = 0;
        tvmaze_map_info info;
        tv_batch b;

        assert_non_null(episodes);
        assert_non_null(shows);
        assert_non_null(dists);
        assert_true(json_is_array(root));
        json_array_foreach(root, i, item)
        {
            const json_t *s = show_of_item(item);
            const json_t *net = json_object_get(s, "network"),
                         *web = json_object_get(s, "webChannel");
            const char *airdate = json_string_value(json_object_get(item, "airdate"));

            idset_add(episodes, id_of(item));
            idset_add(shows, id_of(s));
            /* networks and web channels are counted apart: their ids overlap */
            if (json_is_object(net))
                idset_add(dists, id_of(net) * 2);
            if (json_is_object(web))
                idset_add(dists, id_of(web) * 2 + 1);
            if (!airdate || !*airdate)
                undated++;
        }
        map_fixture(names[f], &b, &info);
        assert_int_equal(info.items, json_array_size(root));
        assert_int_equal(b.nepisodes, episodes->n);
        assert_int_equal(b.nshows, shows->n);
        assert_int_equal(b.ndists, dists->n);
        assert_int_equal(info.undated, undated);
        assert_true(b.nepisodes > 0);
        tv_batch_free(&b);
        json_decref(root);
        free(episodes), free(shows), free(dists);
    }
}

/* Every episode is tied to its own show, wherever the response put it. */
static void check_shows_of(const char *name, tvmaze_shape want)
{
    json_t *root = load_json(name), *item;
    tvmaze_map_info info;
    tv_batch b;
    size_t i;

    map_fixture(name, &b, &info);
    assert_int_equal(info.shape, want);
    json_array_foreach(root, i, item)
    {
        tv_episode *e = find_episode(&b, id_of(item));
        const json_t *s = show_of_item(item);

        assert_non_null(e);
        assert_non_null(e->show);
        assert_int_equal(e->show->tvmaze_id, id_of(s));
        assert_string_equal(e->show->name, json_string_value(json_object_get(s, "name")));
        assert_string_equal(e->url, json_string_value(json_object_get(item, "url")));
    }
    tv_batch_free(&b);
    json_decref(root);
}

static void test_mapper_finds_show_at_show_or_embedded(void **state)
{
    json_t *us = load_json("schedule-US-2020-12-01.json");
    json_t *web = load_json("schedule-web-2020-12-04.json");

    (void)state;
    /* the two shapes really are what the test claims */
    assert_true(json_is_object(json_object_get(json_array_get(us, 0), "show")));
    assert_null(json_object_get(json_array_get(web, 0), "show"));
    check_shows_of("schedule-US-2020-12-01.json", TVMAZE_SHAPE_COUNTRY);
    check_shows_of("schedule-GB-2026-07-06.json", TVMAZE_SHAPE_COUNTRY);
    check_shows_of("schedule-web-2020-12-04.json", TVMAZE_SHAPE_EMBEDDED);
    check_shows_of("schedule-web-2024-01-01.json", TVMAZE_SHAPE_EMBEDDED);
    json_decref(us);
    json_decref(web);
}

static void test_mapper_keeps_global_web_channel_without_country(void **state)
{
    const char *name = "schedule-web-2020-12-04.json";
    json_t *root = load_json(name), *item;
    tvmaze_map_info info;
    tv_batch b;
    size_t i, global = 0, local = 0;

    (void)state;
    map_fixture(name, &b, &info);
    json_array_foreach(root, i, item)
    {
        const json_t *web = json_object_get(show_of_item(item), "webChannel");
        tv_show *s = find_show(&b, id_of(show_of_item(item)));

        assert_non_null(s);
        if (!json_is_object(web)) {
            assert_null(s->web_channel);
            continue;
        }
        assert_non_null(s->web_channel);
        assert_int_equal(s->web_channel->kind, DIST_WEB);
        assert_int_equal(s->web_channel->tvmaze_id, id_of(web));
        assert_string_equal(s->web_channel->name, json_string_value(json_object_get(web, "name")));
        if (json_is_null(json_object_get(web, "country"))) {
            assert_null(s->web_channel->country_code);
            assert_null(s->web_channel->country_name);
            assert_null(s->web_channel->country_timezone);
            global++;
        } else {
            assert_string_equal(
                s->web_channel->country_code,
                json_string_value(json_object_get(json_object_get(web, "country"), "code")));
            local++;
        }
    }
    assert_true(global > 0); /* the fixture has both kinds */
    assert_true(local > 0);
    tv_batch_free(&b);
    json_decref(root);
}

static void test_mapper_specials_have_no_number(void **state)
{
    char names[32][128];
    size_t nfiles = schedule_fixtures(names, 32), specials = 0;

    (void)state;
    for (size_t f = 0; f < nfiles; f++) {
        json_t *root = load_json(names[f]), *item;
        tvmaze_map_info info;
        tv_batch b;
        size_t i;

        map_fixture(names[f], &b, &info);
        json_array_foreach(root, i, item)
        {
            const json_t *number = json_object_get(item, "number");
            tv_episode *e = find_episode(&b, id_of(item));

            assert_non_null(e);
            assert_int_equal(e->has_number, json_is_integer(number));
            if (json_is_integer(number))
                assert_int_equal(e->number, json_integer_value(number));
            else
                specials++;
        }
        tv_batch_free(&b);
        json_decref(root);
    }
    assert_true(specials > 0);
}

static void test_mapper_keeps_empty_airtime(void **state)
{
    char names[32][128];
    size_t nfiles = schedule_fixtures(names, 32), empty = 0;

    (void)state;
    for (size_t f = 0; f < nfiles; f++) {
        json_t *root = load_json(names[f]), *item;
        tvmaze_map_info info;
        tv_batch b;
        size_t i;

        map_fixture(names[f], &b, &info);
        json_array_foreach(root, i, item)
        {
            const char *airtime = json_string_value(json_object_get(item, "airtime"));
            const char *airstamp = json_string_value(json_object_get(item, "airstamp"));
            tv_episode *e = find_episode(&b, id_of(item));

            assert_non_null(e->airtime);
            assert_string_equal(e->airtime, airtime);
            if (!*airtime)
                empty++;
            /* every instant comes out in UTC, "…Z" */
            if (airstamp) {
                assert_non_null(e->airstamp);
                assert_int_equal(strlen(e->airstamp), 20);
                assert_int_equal(e->airstamp[19], 'Z');
                assert_memory_equal(e->airstamp, airstamp, 19); /* the fixtures are +00:00 */
            }
        }
        tv_batch_free(&b);
        json_decref(root);
    }
    assert_true(empty > 0);
}

/* ---- mapper: arrays built from the 2017 episode responses ---- */

static json_t *show_json(json_int_t id, const char *name, json_int_t updated, const char *network)
{
    json_t *s =
        json_pack("{s:I, s:s, s:I, s:{s:i, s:s, s:{s:s, s:s, s:s}}, s:n}", "id", id, "name", name,
                  "updated", updated, "network", "id", 4, "name", network, "country", "code", "US",
                  "name", "United States", "timezone", "America/New_York", "webChannel");

    assert_non_null(s);
    return s;
}

/* Episode 13007 (no airdate, airtime "", airstamp null) and episode 20471
 * (airstamp with -04:00), each given a show as /schedule would. */
static json_t *episodes_2017(void)
{
    json_t *undated = load_json("episode-show180-s01e13-no-airdate-2017-03-26.json");
    json_t *bydate = load_json("episodesbydate-show249-2012-06-06-2017-03-26.json");
    json_t *dated = json_incref(json_array_get(bydate, 0));
    json_t *arr = json_array();

    assert_non_null(dated);
    assert_non_null(arr);
    json_object_set_new(undated, "show", show_json(180, "Firefly", 1490000000, "FOX"));
    json_object_set_new(dated, "show",
                        show_json(249, "The Daily Show", 1490000001, "Comedy Central"));
    json_array_append_new(arr, undated);
    json_array_append_new(arr, dated);
    json_decref(bydate);
    return arr;
}

static void test_mapper_normalises_airstamp_offsets(void **state)
{
    json_t *arr = episodes_2017();
    json_t *shifted = json_deep_copy(json_array_get(arr, 1));
    tvmaze_map_info info;
    tv_batch b;
    char err[256];
    size_t n;
    char *text;
    tv_episode *e;

    (void)state;
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "airstamp")),
                        "2012-06-06T23:00:00-04:00");
    json_object_set_new(shifted, "id", json_integer(20472));
    json_object_set_new(shifted, "airstamp", json_string("2012-06-06T23:00:00+05:30"));
    json_array_append_new(arr, shifted);
    text = dump(arr, &n);
    assert_int_equal(map_text(text, n, &b, &info, err, sizeof(err)), TVMAZE_OK);
    assert_int_equal(info.shape, TVMAZE_SHAPE_COUNTRY);
    assert_non_null(e = find_episode(&b, 20471));
    assert_string_equal(e->airstamp, "2012-06-07T03:00:00Z");
    assert_string_equal(e->airdate, "2012-06-06"); /* the local day, as sent */
    assert_string_equal(e->airtime, "23:00");
    assert_non_null(e = find_episode(&b, 20472));
    assert_string_equal(e->airstamp, "2012-06-06T17:30:00Z");
    assert_non_null(e = find_episode(&b, 13007));
    assert_null(e->airstamp);
    tv_batch_free(&b);
    free(text);
    json_decref(arr);
}

static void test_mapper_counts_undated_episodes(void **state)
{
    json_t *arr = episodes_2017();
    tvmaze_map_info info;
    tv_batch b;
    char err[256];
    size_t n;
    char *text = dump(arr, &n);
    tv_episode *e;

    (void)state;
    assert_int_equal(map_text(text, n, &b, &info, err, sizeof(err)), TVMAZE_OK);
    assert_int_equal(info.items, 2);
    assert_int_equal(info.undated, 1);
    assert_non_null(e = find_episode(&b, 13007));
    assert_null(e->airdate);
    assert_string_equal(e->airtime, "");
    assert_int_equal(e->has_season, 1);
    assert_int_equal(e->season, 1);
    assert_int_equal(e->number, 13);
    assert_string_equal(e->show->name, "Firefly");
    tv_batch_free(&b);
    free(text);
    json_decref(arr);
}

static void test_mapper_collapses_duplicate_ids(void **state)
{
    json_t *arr = episodes_2017();
    tvmaze_map_info info;
    tv_batch b;
    char err[256];
    size_t n;
    char *text;

    (void)state;
    /* the same two episodes again, as overlapping responses would send them */
    json_array_append_new(arr, json_deep_copy(json_array_get(arr, 0)));
    json_array_append_new(arr, json_deep_copy(json_array_get(arr, 1)));
    text = dump(arr, &n);
    assert_int_equal(map_text(text, n, &b, &info, err, sizeof(err)), TVMAZE_OK);
    assert_int_equal(info.items, 4);
    assert_int_equal(b.nepisodes, 2);
    assert_int_equal(b.nshows, 2);
    assert_int_equal(b.ndists, 1); /* both shows on network 4 */
    assert_int_equal(info.undated, 1);
    tv_batch_free(&b);
    free(text);
    json_decref(arr);
}

/* Two payloads of one show, in either order: the newer `updated` wins, and
 * so does the network it carries. */
static void check_newest_show_wins(int newest_first)
{
    json_t *arr = episodes_2017(), *other = json_deep_copy(json_array_get(arr, 1));
    json_t *newer = json_array_get(arr, 1);
    tvmaze_map_info info;
    tv_batch b;
    char err[256];
    size_t n;
    char *text;
    tv_show *s;

    json_object_set_new(newer, "show", show_json(249, "The Daily Show (new)", 1600000000, "CC"));
    json_object_set_new(other, "id", json_integer(20480));
    json_object_set_new(other, "show", show_json(249, "The Daily Show (old)", 1500000000, "Old"));
    if (newest_first)
        json_array_append_new(arr, other);
    else
        json_array_insert_new(arr, 0, other);
    text = dump(arr, &n);
    assert_int_equal(map_text(text, n, &b, &info, err, sizeof(err)), TVMAZE_OK);
    assert_int_equal(b.nshows, 2);
    assert_non_null(s = find_show(&b, 249));
    assert_string_equal(s->name, "The Daily Show (new)");
    assert_int_equal(s->updated, 1600000000);
    assert_string_equal(s->network->name, "CC");
    assert_ptr_equal(find_episode(&b, 20480)->show, s);
    tv_batch_free(&b);
    free(text);
    json_decref(arr);
}

static void test_mapper_newest_show_payload_wins(void **state)
{
    (void)state;
    check_newest_show_wins(1);
    check_newest_show_wins(0);
}

/* ---- mapper: bodies that are not schedules ---- */

static void expect_body_error_n(const char *text, size_t n, const char *says)
{
    tvmaze_map_info info;
    tv_batch b;
    char err[256];

    assert_int_equal(map_text(text, n, &b, &info, err, sizeof(err)), TVMAZE_EBODY);
    if (!strstr(err, says))
        fail_msg("for %.200s: expected a message with \"%s\", got \"%s\"", text, says, err);
    tv_batch_free(&b);
}

static void expect_body_error(const char *text, const char *says)
{
    expect_body_error_n(text, strlen(text), says);
}

static void test_mapper_refuses_what_is_not_a_schedule(void **state)
{
    char path[512];
    size_t n;
    char *not_found;

    (void)state;
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, "error-404-episodebynumber-2017-03-26.json");
    not_found = read_all(path, &n);
    expect_body_error("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "not valid JSON");
    expect_body_error("<html></html>", "HTML");
    expect_body_error("", "not valid JSON");
    expect_body_error("[{\"id\":1,", "not valid JSON");
    expect_body_error(not_found, "got an object");
    expect_body_error("[1,2,3]", "item 0 is not an episode object");
    expect_body_error("[\"x\"]", "item 0");
    expect_body_error("[{\"name\":\"no id\",\"show\":{\"id\":1}}]", "numeric id");
    expect_body_error("[{\"id\":5,\"name\":\"Pilot\"}]", "episode 5 has no show");
    expect_body_error("[{\"id\":5,\"show\":null,\"_embedded\":{\"show\":7}}]",
                      "episode 5 has no show");
    expect_body_error("[{\"id\":5,\"show\":{\"name\":\"Nameless\"}}]",
                      "a show without a numeric id");
    expect_body_error("[{\"id\":5,\"_embedded\":{\"show\":{\"id\":\"9\"}}}]",
                      "a show without a numeric id");
    free(not_found);
}

static void test_mapper_maps_empty_array(void **state)
{
    tvmaze_map_info info;
    tv_batch b;
    char err[64];

    (void)state;
    assert_int_equal(map_text("[]", 2, &b, &info, err, sizeof(err)), TVMAZE_OK);
    assert_int_equal(info.shape, TVMAZE_SHAPE_EMPTY);
    assert_int_equal(info.items, 0);
    assert_int_equal(b.nepisodes, 0);
    tv_batch_free(&b);
}

/* ---- mapper: what a body may cost ---- */

/* "[" + n copies of item joined by "," + "]", malloc'd */
static char *repeat_items(const char *item, size_t n, size_t *len)
{
    size_t il = strlen(item), cap = 2 + n * (il + 1);
    char *out = malloc(cap + 1), *p = out;

    assert_non_null(out);
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        memcpy(p, item, il);
        p += il;
    }
    *p++ = ']';
    *p = '\0';
    *len = (size_t)(p - out);
    return out;
}

static void test_mapper_refuses_more_items_than_the_cap(void **state)
{
    size_t n;
    char *body;

    (void)state;
    /* at the cap the items are looked at (and these are not episodes) */
    body = repeat_items("\"not an episode but cheap to parse\"", TVMAZE_MAX_ITEMS, &n);
    expect_body_error_n(body, n, "item 0 is not an episode object");
    free(body);
    /* one more is refused before anything is parsed */
    body = repeat_items("{}", TVMAZE_MAX_ITEMS + 1, &n);
    expect_body_error_n(body, n, "more than 100000 items");
    free(body);
}

/* A one-episode schedule whose summary is len bytes of 'x'. */
static char *episode_with_summary(size_t len, size_t *n)
{
    static const char head[] = "[{\"id\":1,\"show\":{\"id\":2,\"name\":\"S\"}},"
                               "{\"id\":3,\"summary\":\"";
    static const char tail[] = "\",\"show\":{\"id\":2}}]";
    char *out = malloc(sizeof(head) + len + sizeof(tail));

    assert_non_null(out);
    memcpy(out, head, sizeof(head) - 1);
    memset(out + sizeof(head) - 1, 'x', len);
    memcpy(out + sizeof(head) - 1 + len, tail, sizeof(tail));
    *n = sizeof(head) - 1 + len + sizeof(tail) - 1;
    return out;
}

static void test_mapper_refuses_a_string_longer_than_the_cap(void **state)
{
    tvmaze_map_info info;
    tv_batch b;
    char err[256];
    size_t n;
    char *body;

    (void)state;
    body = episode_with_summary(TVMAZE_MAX_STRING, &n);
    assert_int_equal(map_text(body, n, &b, &info, err, sizeof(err)), TVMAZE_OK);
    assert_int_equal(strlen(find_episode(&b, 3)->summary), TVMAZE_MAX_STRING);
    tv_batch_free(&b);
    free(body);
    body = episode_with_summary(TVMAZE_MAX_STRING + 1, &n);
    expect_body_error_n(body, n, "item 1 holds a string longer than 64 KiB");
    free(body);
}

static void test_mapper_bounds_the_memory_of_a_parse(void **state)
{
    size_t n;
    char *body, *inner;

    (void)state;
    /* one item of few bytes per value and many values: a million empty
     * arrays (3 MB) would build over 100 MB of tree */
    inner = repeat_items("[]", 1000000, &n);
    n += 2;
    body = malloc(n + 1);
    assert_non_null(body);
    snprintf(body, n + 1, "[%s]", inner);
    free(inner);
    expect_body_error_n(body, n, "the body would take more than 34 MiB to parse");
    free(body);
}

static void test_mapper_keeps_only_http_links(void **state)
{
    static const char body[] =
        "[{\"id\":1,\"url\":\"javascript:alert(1)\","
        "\"image\":{\"medium\":\"data:image/png;base64,AAAA\","
        "\"original\":\"HTTPS://static.tvmaze.com/a.jpg\"},"
        "\"show\":{\"id\":2,\"url\":\"https://www.tvmaze.com/shows/2\","
        "\"officialSite\":\" http://x.example\","
        "\"image\":{\"medium\":\"http://static.tvmaze.com/b.jpg\",\"original\":\"//x\"},"
        "\"network\":{\"id\":3,\"name\":\"N\",\"officialSite\":\"vbscript:x\"},"
        "\"webChannel\":{\"id\":4,\"name\":\"W\",\"officialSite\":\"https://w.example/\"}}}]";
    tvmaze_map_info info;
    tv_batch b;
    char err[256];
    tv_episode *e;

    (void)state;
    assert_int_equal(map_text(body, strlen(body), &b, &info, err, sizeof(err)), TVMAZE_OK);
    e = find_episode(&b, 1);
    assert_null(e->url);
    assert_null(e->image_medium);
    assert_string_equal(e->image_original, "HTTPS://static.tvmaze.com/a.jpg");
    assert_string_equal(e->show->url, "https://www.tvmaze.com/shows/2");
    assert_null(e->show->official_site);
    assert_string_equal(e->show->image_medium, "http://static.tvmaze.com/b.jpg");
    assert_null(e->show->image_original);
    assert_null(e->show->network->official_site);
    assert_string_equal(e->show->web_channel->official_site, "https://w.example/");
    tv_batch_free(&b);
}

/* ---- client: where it may connect ---- */

static void test_url_check_wants_https_or_loopback_http(void **state)
{
    static const char *const ok[] = {"https://api.tvmaze.com", "https://api.tvmaze.com:8443/v1/",
                                     "HTTPS://API.TVMAZE.COM", "http://127.0.0.1:8080",
                                     "http://127.9.9.9",       "http://localhost:3000/x",
                                     "http://[::1]:9000"};
    static const char *const refused[] = {"http://api.tvmaze.com",
                                          "http://10.0.0.1",
                                          "http://128.0.0.1",
                                          "http://localhost.example.com",
                                          "http://127.0.0.1.nip.io",
                                          "http://[::2]",
                                          "http://[::ffff:8.8.8.8]",
                                          "ftp://127.0.0.1",
                                          "file:///etc/passwd",
                                          "api.tvmaze.com",
                                          ""};
    char why[128];

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (tvmaze_url_check(ok[i], why, sizeof(why)) != 0)
            fail_msg("%s refused: %s", ok[i], why);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        why[0] = '\0';
        if (tvmaze_url_check(refused[i], why, sizeof(why)) == 0)
            fail_msg("%s accepted", refused[i]);
        assert_non_null(strstr(why, "https://"));
    }
}

/* ---- a show's seasons ---- */

/* The seasons a recorded show payload embeds, as /shows/:id/seasons sends them. */
static char *embedded_seasons(const char *name, json_t **seasons, size_t *n)
{
    json_t *show = load_json(name);
    char *text;

    *seasons = json_incref(json_object_get(json_object_get(show, "_embedded"), "seasons"));
    assert_true(json_is_array(*seasons) && json_array_size(*seasons) > 0);
    text = dump(*seasons, n);
    json_decref(show);
    return text;
}

static void expect_date(const json_t *season, const char *key, const char *got)
{
    const char *want = json_string_value(json_object_get(season, key));

    assert_string_equal(got, want ? want : "");
}

static void test_seasons_mapper_reads_recorded_seasons(void **state)
{
    static const char *const names[] = {"show-13-embed-seasons-2020-01-12.json",
                                        "singlesearch-house-md-embed-seasons-2017-03-26.json",
                                        "singlesearch-unite-9-embed-seasons-2017-03-26.json"};
    char err[256];

    (void)state;
    for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
        json_t *want, *w;
        tv_season *got;
        size_t len, n, i;
        char *text = embedded_seasons(names[f], &want, &len);
        assert_int_equal(tvmaze_map_seasons(text, len, &got, &n, err, sizeof(err)), TVMAZE_OK);
        assert_int_equal(n, json_array_size(want));
        json_array_foreach(want, i, w)
        {
            const json_t *order = json_object_get(w, "episodeOrder");
            assert_int_equal(got[i].tvmaze_id, json_integer_value(json_object_get(w, "id")));
            assert_int_equal(got[i].number, json_integer_value(json_object_get(w, "number")));
            /* null (not announced yet) is 0 */
            assert_int_equal(got[i].episode_order,
                             json_is_null(order) ? 0 : json_integer_value(order));
            expect_date(w, "premiereDate", got[i].premiere_date);
            expect_date(w, "endDate", got[i].end_date);
        }
        free(got);
        free(text);
        json_decref(want);
    }
}

static void test_seasons_mapper_keeps_only_what_it_can_use(void **state)
{
    const char *body =
        "[{\"id\":1,\"number\":1,\"episodeOrder\":\"10\",\"premiereDate\":\"2020-13-01\"},"
        "{\"id\":2,\"number\":null,\"episodeOrder\":8},"
        "{\"id\":3,\"number\":2,\"episodeOrder\":-4,\"endDate\":\"\"},"
        "{\"id\":4,\"number\":3,\"episodeOrder\":12,\"premiereDate\":\"2021-01-05\"},"
        "{\"id\":-5,\"number\":0,\"episodeOrder\":1}]";
    tv_season *got;
    size_t n;
    char err[256];

    (void)state;
    assert_int_equal(tvmaze_map_seasons(body, strlen(body), &got, &n, err, sizeof(err)), TVMAZE_OK);
    /* no number (or season 0): nothing to attach it to */
    assert_int_equal(n, 3);
    assert_int_equal(got[0].number, 1);
    assert_int_equal(got[0].episode_order, 0); /* a string is no count */
    assert_string_equal(got[0].premiere_date, "");
    assert_int_equal(got[1].number, 2);
    assert_int_equal(got[1].episode_order, 0);
    assert_int_equal(got[2].number, 3);
    assert_int_equal(got[2].episode_order, 12);
    assert_string_equal(got[2].premiere_date, "2021-01-05");
    free(got);
    assert_int_equal(tvmaze_map_seasons("[]", 2, &got, &n, err, sizeof(err)), TVMAZE_OK);
    assert_int_equal(n, 0);
    assert_null(got);
}

static void expect_seasons_error(const char *body, const char *words)
{
    tv_season *got = (tv_season *)1;
    size_t n = 99;
    char err[256] = "";

    assert_int_equal(tvmaze_map_seasons(body, strlen(body), &got, &n, err, sizeof(err)),
                     TVMAZE_EBODY);
    assert_null(got);
    assert_int_equal(n, 0);
    if (!strstr(err, words))
        fail_msg("\"%s\": error \"%s\" does not say \"%s\"", body, err, words);
}

static void test_seasons_mapper_refuses_what_is_not_seasons(void **state)
{
    buf many;

    (void)state;
    expect_seasons_error("<html></html>", "HTML");
    expect_seasons_error("{\"name\":\"Not Found\",\"status\":404}", "got an object");
    expect_seasons_error("[{\"number\":1},7]", "season 1 is a number");
    buf_init(&many, 1 << 20);
    buf_putc(&many, '[');
    for (int i = 0; i <= TVMAZE_MAX_SEASONS; i++)
        buf_printf(&many, "%s{\"number\":%d}", i ? "," : "", i + 1);
    buf_putc(&many, ']');
    buf_putc(&many, '\0');
    expect_seasons_error(many.data, "more than 1000 seasons");
    buf_free(&many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limiter_first_20_immediate_then_waits),
        cmocka_unit_test(test_limiter_refills_over_time),
        cmocka_unit_test(test_limiter_rate_zero_is_unlimited),
        cmocka_unit_test(test_limiter_is_thread_safe),
        cmocka_unit_test(test_backoff_equal_jitter_bounds),
        cmocka_unit_test(test_retry_after_reads_seconds),
        cmocka_unit_test(test_retry_after_reads_http_dates),
        cmocka_unit_test(test_retry_after_refuses_garbage),
        cmocka_unit_test(test_mapper_counts_match_fixtures),
        cmocka_unit_test(test_mapper_finds_show_at_show_or_embedded),
        cmocka_unit_test(test_mapper_keeps_global_web_channel_without_country),
        cmocka_unit_test(test_mapper_specials_have_no_number),
        cmocka_unit_test(test_mapper_keeps_empty_airtime),
        cmocka_unit_test(test_mapper_normalises_airstamp_offsets),
        cmocka_unit_test(test_mapper_counts_undated_episodes),
        cmocka_unit_test(test_mapper_collapses_duplicate_ids),
        cmocka_unit_test(test_mapper_newest_show_payload_wins),
        cmocka_unit_test(test_mapper_refuses_what_is_not_a_schedule),
        cmocka_unit_test(test_mapper_maps_empty_array),
        cmocka_unit_test(test_mapper_refuses_more_items_than_the_cap),
        cmocka_unit_test(test_mapper_refuses_a_string_longer_than_the_cap),
        cmocka_unit_test(test_mapper_bounds_the_memory_of_a_parse),
        cmocka_unit_test(test_mapper_keeps_only_http_links),
        cmocka_unit_test(test_url_check_wants_https_or_loopback_http),
        cmocka_unit_test(test_seasons_mapper_reads_recorded_seasons),
        cmocka_unit_test(test_seasons_mapper_keeps_only_what_it_can_use),
        cmocka_unit_test(test_seasons_mapper_refuses_what_is_not_seasons),
    };

    /* jansson's allocation hooks are process-wide: set them before any
     * JSON is made, here or in the mapper */
    tvmaze_global_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
