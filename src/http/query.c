#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int http_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_percent_decode(const char *s, size_t n, char *out, size_t *out_len, int plus_is_space)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = http_hex_value(s[i + 1]);
            lo = http_hex_value(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = c;
        }
    }
    *out_len = o;
    return 0;
}

int query_parse(query *q, const char *s, size_t n)
{
    size_t i = 0, o = 0;

    q->n = 0;
    q->storage = NULL;
    if (!s || !n)
        return 0;
    /* decoded text is never longer than the input */
    if (!(q->storage = malloc(n + 1)))
        return -1;
    while (i <= n) {
        const char *part = s + i, *amp = memchr(part, '&', n - i), *eq;
        size_t plen = amp ? (size_t)(amp - part) : n - i, klen, vlen;
        query_param *qp;

        i += plen + 1;
        if (!plen)
            continue;
        if (q->n >= QUERY_MAX_PARAMS)
            goto fail;
        eq = memchr(part, '=', plen);
        qp = &q->params[q->n++];
        if (http_percent_decode(part, eq ? (size_t)(eq - part) : plen, q->storage + o, &klen, 1))
            goto fail;
        qp->key = q->storage + o;
        qp->key_len = klen;
        o += klen;
        if (eq) {
            if (http_percent_decode(eq + 1, plen - (size_t)(eq + 1 - part), q->storage + o, &vlen,
                                    1))
                goto fail;
        } else {
            vlen = 0;
        }
        qp->value = q->storage + o;
        qp->value_len = vlen;
        o += vlen;
    }
    return 0;
fail:
    query_free(q);
    return -1;
}

void query_free(query *q)
{
    free(q->storage);
    q->storage = NULL;
    q->n = 0;
}

const char *query_get(const query *q, const char *key, size_t *len)
{
    size_t kl = strlen(key);

    for (size_t i = q->n; i-- > 0;) {
        const query_param *p = &q->params[i];
        if (p->key_len == kl && !memcmp(p->key, key, kl)) {
            *len = p->value_len;
            return p->value;
        }
    }
    return NULL;
}
