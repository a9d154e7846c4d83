/* Fuzzes query strings (query_parse, query_get, http_percent_decode in
 * src/http/http.h).
 *
 * The input is the raw query. Checked: parameters point into the query's own
 * storage and never decode longer than the input; query_get finds every key
 * and returns its last value; percent-decoding agrees with itself with and
 * without '+' as space, and decoding a re-encoding gives the bytes back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort();
    return p;
}

static void check_params(const query *q, size_t n)
{
    size_t total = 0;

    if (q->n > QUERY_MAX_PARAMS)
        abort();
    for (size_t i = 0; i < q->n; i++) {
        const query_param *p = &q->params[i];
        const char *lo = q->storage, *hi = q->storage + n + 1;
        if (p->key < lo || p->key + p->key_len > hi || p->value < lo ||
            p->value + p->value_len > hi)
            abort();
        total += p->key_len + p->value_len;
    }
    if (total > n)
        abort();
}

/* query_get(key) is the value of the last parameter with that key. */
static void check_lookups(const query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        const query_param *p = &q->params[i];
        const query_param *last = p;
        const char *v;
        char *key;
        size_t len = 0;

        if (memchr(p->key, '\0', p->key_len))
            continue; /* not reachable through a C-string key */
        for (size_t j = i + 1; j < q->n; j++)
            if (q->params[j].key_len == p->key_len && !memcmp(q->params[j].key, p->key, p->key_len))
                last = &q->params[j];
        key = xmalloc(p->key_len + 1);
        memcpy(key, p->key, p->key_len);
        key[p->key_len] = '\0';
        v = query_get(q, key, &len);
        if (v != last->value || len != last->value_len)
            abort();
        free(key);
    }
}

static void check_percent_decode(const char *s, size_t n)
{
    char *plain = xmalloc(n), *spaced = xmalloc(n), *enc, *back;
    size_t plain_len = 0, spaced_len = 0, back_len = 0;
    int rp = http_percent_decode(s, n, plain, &plain_len, 0);
    int rs = http_percent_decode(s, n, spaced, &spaced_len, 1);

    if (rp != rs)
        abort();
    if (rp == 0) {
        if (plain_len != spaced_len || plain_len > n)
            abort();
        for (size_t i = 0; i < plain_len; i++)
            if (plain[i] != spaced[i] && !(plain[i] == '+' && spaced[i] == ' '))
                abort();
        enc = xmalloc(3 * plain_len);
        back = xmalloc(3 * plain_len);
        for (size_t i = 0; i < plain_len; i++) {
            unsigned char c = (unsigned char)plain[i];
            enc[3 * i] = '%';
            enc[3 * i + 1] = "0123456789ABCDEF"[c >> 4];
            enc[3 * i + 2] = "0123456789abcdef"[c & 15];
        }
        if (http_percent_decode(enc, 3 * plain_len, back, &back_len, 1) != 0 ||
            back_len != plain_len || (plain_len && memcmp(back, plain, plain_len)))
            abort();
        free(enc);
        free(back);
    }
    free(plain);
    free(spaced);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size);
    query q;

    if (size)
        memcpy(s, data, size);
    if (query_parse(&q, s, size) == 0) {
        if (size && !q.storage)
            abort();
        check_params(&q, size);
        check_lookups(&q);
    } else if (q.storage || q.n) {
        abort();
    }
    query_free(&q);
    check_percent_decode(s, size);
    free(s);
    return 0;
}
