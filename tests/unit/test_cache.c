/* Tests of the in-process response cache (src/schedule/cache.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schedule/cache.h"
#include "util/hash.h"

/* entries are spread over CACHE_SHARDS shards by the key's hash, and each
 * shard holds its share of the byte bound */
#define SHARDS CACHE_SHARDS

static unsigned shard_of(const char *key)
{
    return cache_shard_of(key, strlen(key));
}

/* Fills keys[0..n) with distinct keys that land in one shard. */
static void keys_in_one_shard(char keys[][32], size_t n)
{
    unsigned want = 0;
    size_t found = 0;

    for (unsigned i = 0; found < n; i++) {
        char k[32];
        snprintf(k, sizeof(k), "/api/v1/shows?page=%u", i);
        if (found == 0)
            want = shard_of(k);
        if (shard_of(k) == want)
            memcpy(keys[found++], k, sizeof(k));
    }
}

static cache_meta meta_of(const char *etag, int gz)
{
    cache_meta m;

    memset(&m, 0, sizeof(m));
    snprintf(m.etag, sizeof(m.etag), "\"%s\"", etag);
    m.gzipped = gz;
    m.identity_len = 1234;
    return m;
}

static void put(cache *c, const char *key, int64_t gen, const char *body, size_t n)
{
    cache_meta m = meta_of(key, 0);
    cache_put(c, key, strlen(key), gen, body, n, &m, NULL);
}

static int get(cache *c, const char *key, int64_t gen, buf *out)
{
    cache_meta m;

    buf_reset(out);
    return cache_get(c, key, strlen(key), gen, out, &m);
}

static void test_cache_hits_after_put_and_misses_unknown_key(void **state)
{
    cache *c = cache_new(1 << 20);
    cache_meta in = meta_of("abc", 1), out;
    buf b;

    (void)state;
    assert_non_null(c);
    buf_init(&b, 0);
    cache_put(c, "/a", 2, 7, "body-a", 6, &in, NULL);
    memset(&out, 0, sizeof(out));
    assert_int_equal(cache_get(c, "/a", 2, 7, &b, &out), 1);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "body-a", 6);
    assert_string_equal(out.etag, "\"abc\"");
    assert_int_equal(out.gzipped, 1);
    assert_int_equal(out.identity_len, 1234);
    /* the body is appended to what the buffer holds */
    assert_int_equal(cache_get(c, "/a", 2, 7, &b, &out), 1);
    assert_int_equal(b.len, 12);
    assert_int_equal(get(c, "/b", 7, &b), 0);
    assert_int_equal(b.len, 0);
    /* keys are compared by length, not as C strings */
    assert_int_equal(cache_get(c, "/a", 1, 7, &b, &out), 0);
    assert_int_equal(cache_get(c, "/a\0", 3, 7, &b, &out), 0);
    buf_free(&b);
    cache_free(c);
}

static void test_cache_generation_mismatch_misses_and_keeps_the_entry(void **state)
{
    cache *c = cache_new(1 << 20);
    cache_meta m;
    int64_t g = 0;
    buf b;

    (void)state;
    buf_init(&b, 0);
    put(c, "/s", 1, "old", 3);
    assert_int_equal(get(c, "/s", 2, &b), 0);
    /* a miss for the new data, but the older rendering is still there */
    assert_int_equal(cache_get_any(c, "/s", 2, &b, &m, &g), 1);
    assert_int_equal(g, 1);
    assert_memory_equal(b.data, "old", 3);
    assert_string_equal(m.etag, "\"/s\"");
    assert_true(cache_bytes(c) > 0);
    buf_reset(&b);
    assert_int_equal(cache_get_any(c, "/t", 2, &b, &m, &g), 0);
    /* the new rendering replaces it */
    put(c, "/s", 2, "new", 3);
    assert_int_equal(get(c, "/s", 2, &b), 1);
    assert_memory_equal(b.data, "new", 3);
    assert_int_equal(get(c, "/s", 1, &b), 0);
    /* and a rendering of older data never replaces a newer one */
    put(c, "/s", 1, "older", 5);
    buf_reset(&b);
    assert_int_equal(cache_get_any(c, "/s", 2, &b, &m, &g), 1);
    assert_int_equal(g, 2);
    assert_memory_equal(b.data, "new", 3);
    buf_free(&b);
    cache_free(c);
}

static void test_cache_put_replaces_same_key(void **state)
{
    cache *c = cache_new(1 << 20);
    size_t one;
    buf b;

    (void)state;
    buf_init(&b, 0);
    put(c, "/k", 1, "first", 5);
    one = cache_bytes(c);
    put(c, "/k", 1, "again", 5);
    assert_int_equal(cache_bytes(c), one);
    assert_int_equal(get(c, "/k", 1, &b), 1);
    assert_memory_equal(b.data, "again", 5);
    buf_free(&b);
    cache_free(c);
}

static void test_cache_evicts_least_recently_used_over_bound(void **state)
{
    const size_t per_shard = 10000, body_len = 3000;
    cache *c = cache_new(per_shard * SHARDS);
    char keys[4][32], *body = malloc(body_len);
    buf b;

    (void)state;
    assert_non_null(body);
    memset(body, 'x', body_len);
    buf_init(&b, 0);
    keys_in_one_shard(keys, 4);
    put(c, keys[0], 1, body, body_len);
    put(c, keys[1], 1, body, body_len);
    put(c, keys[2], 1, body, body_len);
    assert_true(cache_bytes(c) > 3 * body_len);
    assert_true(cache_bytes(c) <= per_shard);
    /* touch the oldest: now keys[1] is the least recently used */
    assert_int_equal(get(c, keys[0], 1, &b), 1);
    put(c, keys[3], 1, body, body_len);
    assert_true(cache_bytes(c) <= per_shard);
    assert_int_equal(get(c, keys[1], 1, &b), 0);
    assert_int_equal(get(c, keys[0], 1, &b), 1);
    assert_int_equal(get(c, keys[2], 1, &b), 1);
    assert_int_equal(get(c, keys[3], 1, &b), 1);
    buf_free(&b);
    free(body);
    cache_free(c);
}

static void test_cache_stays_within_byte_bound(void **state)
{
    const size_t max = 64 * 1024;
    cache *c = cache_new(max);
    char key[32], body[700];

    (void)state;
    memset(body, 'y', sizeof(body));
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "/k/%d", i);
        put(c, key, 1, body, (size_t)(i % 7) * 100);
        assert_true(cache_bytes(c) <= max);
    }
    cache_free(c);
}

/* Keys that differ only in their last characters (page numbers, ids) must
 * still spread over the shards; otherwise a few shards evict while the
 * rest of the bound stays unused. */
static void test_cache_fills_most_of_its_bound_with_similar_keys(void **state)
{
    const size_t max = 64 * 1024;
    cache *c = cache_new(max);
    char key[32], body[400];
    size_t used;

    (void)state;
    memset(body, 'y', sizeof(body));
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "/k/%d", i);
        put(c, key, 1, body, sizeof(body));
    }
    used = cache_bytes(c);
    cache_free(c);
    if (used <= max / 2)
        print_error("2000 entries of ~500 bytes fill %zu of %zu bytes\n", used, max);
    assert_true(used > max / 2);
}

static void test_cache_does_not_store_oversized_entry(void **state)
{
    const size_t max = 16 * 1024;
    cache *c = cache_new(max);
    char *body = malloc(max);
    buf b;

    (void)state;
    assert_non_null(body);
    memset(body, 'z', max);
    buf_init(&b, 0);
    put(c, "/small", 1, "s", 1);
    /* larger than a shard's share of the bound */
    put(c, "/big", 1, body, max / SHARDS + 1);
    assert_int_equal(get(c, "/big", 1, &b), 0);
    assert_int_equal(get(c, "/small", 1, &b), 1);
    put(c, "/huge", 1, body, max);
    assert_int_equal(get(c, "/huge", 1, &b), 0);
    assert_true(cache_bytes(c) < 1024);
    buf_free(&b);
    free(body);
    cache_free(c);
}

static void test_cache_disabled_with_zero_bound(void **state)
{
    cache *c = cache_new(0);
    buf b;

    (void)state;
    assert_non_null(c);
    buf_init(&b, 0);
    put(c, "/a", 1, "a", 1);
    assert_int_equal(get(c, "/a", 1, &b), 0);
    assert_int_equal(cache_bytes(c), 0);
    buf_free(&b);
    cache_free(c);
    cache_free(NULL);
}

static void test_cache_miss_when_output_buffer_is_full(void **state)
{
    cache *c = cache_new(1 << 20);
    buf b;

    (void)state;
    buf_init(&b, 4);
    put(c, "/a", 1, "too long", 8);
    assert_int_equal(get(c, "/a", 1, &b), 0);
    assert_int_equal(b.len, 0);
    buf_free(&b);
    cache_free(c);
}

/* ---- threads ---- */

#define THREADS 4
#define OPS     20000
#define KEYS    300

typedef struct worker {
    cache *c;
    unsigned seed;
    long hits, bad;
} worker;

/* The body rendered for key k at generation g: its text repeated. */
static size_t body_for(int k, int64_t g, char *out, size_t cap)
{
    char unit[32];
    int n = snprintf(unit, sizeof(unit), "<%d:%lld>", k, (long long)g);
    size_t len = (size_t)n * (size_t)(1 + k % 40), off = 0;

    if (len > cap)
        len = cap;
    while (off < len) {
        size_t take = len - off < (size_t)n ? len - off : (size_t)n;
        memcpy(out + off, unit, take);
        off += take;
    }
    return len;
}

static void *work(void *arg)
{
    worker *w = arg;
    char key[32], body[2048], want[2048];
    buf out;

    buf_init(&out, 0);
    for (int i = 0; i < OPS; i++) {
        int k = (int)(rand_r(&w->seed) % KEYS);
        int64_t g = 1 + i / (OPS / 4); /* the data generation moves on */
        size_t n;
        cache_meta m;

        snprintf(key, sizeof(key), "/api/v1/schedule?k=%d", k);
        buf_reset(&out);
        if (cache_get(w->c, key, strlen(key), g, &out, &m)) {
            n = body_for(k, g, want, sizeof(want));
            if (out.len != n || memcmp(out.data, want, n) != 0 || strcmp(m.etag, key) != 0)
                w->bad++;
            w->hits++;
        } else {
            n = body_for(k, g, body, sizeof(body));
            memset(&m, 0, sizeof(m));
            snprintf(m.etag, sizeof(m.etag), "%s", key);
            cache_put(w->c, key, strlen(key), g, body, n, &m, NULL);
        }
    }
    buf_free(&out);
    return NULL;
}

static void test_cache_survives_concurrent_use(void **state)
{
    const size_t max = 128 * 1024;
    cache *c = cache_new(max);
    pthread_t t[THREADS];
    worker w[THREADS];
    long hits = 0;

    (void)state;
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){c, (unsigned)i * 7919u + 1, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].bad, 0);
        hits += w[i].hits;
    }
    assert_true(hits > 0);
    assert_true(cache_bytes(c) <= max);
    cache_free(c);
}

/* A lent entry stays whole while it is replaced, evicted, or the cache
 * freed, and goes when it is given back (ASan says if it leaks or is read
 * after being freed). */
static void test_cache_lent_entry_outlives_its_replacement_and_eviction(void **state)
{
    cache *c = cache_new(16 * 4096); /* 4 KiB a shard */
    cache_meta m = meta_of("v1", 0);
    cache_loan a, b, d;
    char big[3000];

    (void)state;
    memset(big, 'x', sizeof(big));
    assert_int_equal(cache_put(c, "/k", 2, 1, "first", 5, &m, &a), 1);
    assert_memory_equal(a.body, "first", 5);
    assert_string_equal(a.meta.etag, "\"v1\"");
    assert_int_equal(cache_lend(c, "/k", 2, 1, &b), 1);
    assert_ptr_equal(b.ref, a.ref); /* the same entry, not a copy */
    assert_int_equal(cache_lend(c, "/k", 2, 2, &d), 0);
    /* replaced: the loans still read the old body */
    put(c, "/k", 2, "second", 6);
    assert_memory_equal(a.body, "first", 5);
    assert_int_equal(cache_lend(c, "/k", 2, 2, &d), 1);
    assert_memory_equal(d.body, "second", 6);
    cache_release(b.ref);
    /* evicted by a large entry in the same shard, and the cache freed */
    for (int i = 0, stored = 0; stored < 2; i++) {
        snprintf(big, 9, "/big%04u", (unsigned)i % 10000u);
        if (cache_shard_of(big, 8) == cache_shard_of("/k", 2))
            stored += cache_put(c, big, 8, 2, big, 2000, &m, NULL);
    }
    assert_int_equal(cache_lend(c, "/k", 2, 2, &b), 0);
    assert_memory_equal(d.body, "second", 6);
    cache_free(c);
    assert_memory_equal(a.body, "first", 5);
    cache_release(a.ref);
    cache_release(d.ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_hits_after_put_and_misses_unknown_key),
        cmocka_unit_test(test_cache_generation_mismatch_misses_and_keeps_the_entry),
        cmocka_unit_test(test_cache_put_replaces_same_key),
        cmocka_unit_test(test_cache_evicts_least_recently_used_over_bound),
        cmocka_unit_test(test_cache_stays_within_byte_bound),
        cmocka_unit_test(test_cache_fills_most_of_its_bound_with_similar_keys),
        cmocka_unit_test(test_cache_does_not_store_oversized_entry),
        cmocka_unit_test(test_cache_disabled_with_zero_bound),
        cmocka_unit_test(test_cache_miss_when_output_buffer_is_full),
        cmocka_unit_test(test_cache_survives_concurrent_use),
        cmocka_unit_test(test_cache_lent_entry_outlives_its_replacement_and_eviction),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
