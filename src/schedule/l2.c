#include "schedule/l2.h"

#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/hash.h"

#define L2_VALUE_MAX ((size_t)64 << 20)

static void l2_key(const char *key, size_t klen, int64_t gen, char *out, size_t n)
{
    char hex[SHA256_HEX_LEN + 1];

    hash_sha256_hex(key, klen, hex);
    snprintf(out, n, "tvshows:c:%lld:%s", (long long)gen, hex);
}

void l2_entry_release(void *reply)
{
    freeReplyObject(reply);
}

int l2_get(redis *r, const char *key, size_t klen, int64_t generation, l2_entry *out)
{
    char k[128];
    const char *argv[2] = {"GET", k};
    redisReply *rep;
    const char *nl;
    unsigned long long ilen = 0;
    int gz = 0;
    char etag[CACHE_ETAG_MAX];

    l2_key(key, klen, generation, k, sizeof(k));
    if (!(rep = redis_command(r, 2, argv, NULL)))
        return 0;
    if (rep->type != REDIS_REPLY_STRING || !(nl = memchr(rep->str, '\n', rep->len)) ||
        sscanf(rep->str, "%47s %d %llu", etag, &gz, &ilen) != 3 || etag[0] != '"') {
        freeReplyObject(rep);
        return 0;
    }
    snprintf(out->meta.etag, sizeof(out->meta.etag), "%s", etag);
    out->meta.gzipped = gz;
    out->meta.identity_len = (size_t)ilen;
    out->body = nl + 1;
    out->len = rep->len - (size_t)(nl + 1 - rep->str);
    out->reply = rep;
    return 1;
}

void l2_put(redis *r, int may_block, const char *key, size_t klen, int64_t generation, int ttl_s,
            const char *body, size_t len, const cache_meta *meta)
{
    char k[128], ttl[16];
    buf v;
    redisReply *rep;

    l2_key(key, klen, generation, k, sizeof(k));
    snprintf(ttl, sizeof(ttl), "%d", ttl_s > 0 ? ttl_s : 1);
    buf_init(&v, L2_VALUE_MAX);
    buf_printf(&v, "%s %d %zu\n", meta->etag, meta->gzipped, meta->identity_len);
    buf_append(&v, body ? body : "", len);
    {
        const char *argv[5] = {"SET", k, v.data ? v.data : "", "EX", ttl};
        size_t lens[5] = {3, strlen(k), v.len, 2, strlen(ttl)};
        /* on a loop: sent, its answer not waited for */
        if (redis_send(r, 5, argv, lens, NULL, NULL) != 0 && may_block &&
            (rep = redis_command(r, 5, argv, lens)))
            freeReplyObject(rep);
    }
    buf_free(&v);
}
