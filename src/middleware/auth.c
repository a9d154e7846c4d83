#include "middleware/auth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "middleware/jwks_cache.h"
#include "middleware/jwt.h"
#include "util/hash.h"
#include "util/log.h"

#define KEY_MAX_LEN   256 /* longer is not a key of ours: refused unhashed */
#define JWKS_TTL_MS   (3600 * 1000)
#define JWKS_RETRY_MS (10 * 1000) /* a new key is accepted within seconds */
#define JWKS_START_MS 4000        /* the first fetch, before serving */
#define JWT_LEEWAY_S  60

typedef struct key_entry {
    int64_t id; /* 0 for keys from API_KEYS_SHA256 */
    unsigned char hash[SHA256_LEN];
    _Atomic int64_t last_used;
    int64_t flushed;
} key_entry;

struct auth {
    auth_mode mode;
    pthread_rwlock_t lock; /* guards keys/nkeys */
    key_entry *keys;
    size_t nkeys;
    unsigned char (*env_keys)[SHA256_LEN];
    size_t nenv;
    jwks_cache *jwks;
    char issuer[256];
    char audience[256];
};

static int hex_digest(const char *hex, size_t n, unsigned char out[SHA256_LEN])
{
    if (n != SHA256_HEX_LEN)
        return -1;
    for (size_t i = 0; i < SHA256_LEN; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            v = v * 16 + (unsigned)(c >= '0' && c <= '9'   ? c - '0'
                                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                           : 99);
            if (v > 255)
                return -1;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

/* API_KEYS_SHA256: comma-separated hex digests (checked by the config). */
static int parse_env_keys(auth *a, const char *list)
{
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        void *grown;
        if (n) {
            if (!(grown = realloc(a->env_keys, (a->nenv + 1) * sizeof(*a->env_keys))))
                return -1;
            a->env_keys = grown;
            if (hex_digest(p, n, a->env_keys[a->nenv]) != 0)
                return -1;
            a->nenv++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return 0;
}

auth *auth_new(const config *cfg, char *err, size_t errlen)
{
    auth *a = calloc(1, sizeof(*a));

    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->mode = cfg->auth;
    pthread_rwlock_init(&a->lock, NULL);
    snprintf(a->issuer, sizeof(a->issuer), "%s", cfg->jwt_issuer);
    snprintf(a->audience, sizeof(a->audience), "%s", cfg->jwt_audience);
    if (parse_env_keys(a, cfg->api_keys_sha256) != 0) {
        snprintf(err, errlen, "invalid API_KEYS_SHA256");
        goto fail;
    }
    if ((a->mode == AUTH_JWT || a->mode == AUTH_ANY) && (!a->issuer[0] || !a->audience[0])) {
        snprintf(err, errlen, "JWT_ISSUER and JWT_AUDIENCE are required for tokens");
        goto fail;
    }
    if ((a->mode == AUTH_JWT || a->mode == AUTH_ANY) &&
        !(a->jwks =
              jwks_cache_new(cfg->jwt_jwks_url, cfg->jwt_jwks_file, JWKS_TTL_MS, JWKS_RETRY_MS))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (a->jwks && jwks_cache_start(a->jwks, JWKS_START_MS) != 0) {
        snprintf(err, errlen, "cannot start the key set refresher");
        goto fail;
    }
    return a;
fail:
    auth_free(a);
    return NULL;
}

void auth_free(auth *a)
{
    if (!a)
        return;
    jwks_cache_free(a->jwks);
    free(a->keys);
    free(a->env_keys);
    pthread_rwlock_destroy(&a->lock);
    free(a);
}

int auth_enabled(const auth *a)
{
    return a && a->mode != AUTH_NONE;
}

int auth_load_keys(auth *a, store *st)
{
    arena mem;
    store_page page;
    key_entry *keys;
    size_t n = 0;
    int rc = -1;

    arena_init(&mem, 16 * 1024);
    if (store_key_list(st, 1, &mem, &page) != STORE_OK)
        goto done;
    if (!(keys = calloc(page.n + 1, sizeof(*keys))))
        goto done;
    for (size_t i = 0; i < page.n; i++) {
        const store_key *k = page.rows[i];
        if (!k->sha256 || hex_digest(k->sha256, strlen(k->sha256), keys[n].hash) != 0)
            continue;
        keys[n].id = k->id;
        keys[n].flushed = k->last_used_at;
        atomic_store(&keys[n].last_used, k->last_used_at);
        n++;
    }
    pthread_rwlock_wrlock(&a->lock);
    /* uses seen since the last flush are not lost by the reload */
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < a->nkeys; k++) {
            if (a->keys[k].id == keys[i].id) {
                int64_t seen = atomic_load(&a->keys[k].last_used);
                if (seen > atomic_load(&keys[i].last_used))
                    atomic_store(&keys[i].last_used, seen);
                if (a->keys[k].flushed > keys[i].flushed)
                    keys[i].flushed = a->keys[k].flushed;
            }
        }
    }
    free(a->keys);
    a->keys = keys;
    a->nkeys = n;
    pthread_rwlock_unlock(&a->lock);
    rc = 0;
done:
    arena_free(&mem);
    return rc;
}

int auth_flush_last_used(auth *a, store *st)
{
    int64_t ids[64], when[64];
    size_t n = 0;
    int rc = 0;

    pthread_rwlock_rdlock(&a->lock);
    for (size_t i = 0; i < a->nkeys && n < 64; i++) {
        int64_t seen = atomic_load(&a->keys[i].last_used);
        if (seen > a->keys[i].flushed) {
            ids[n] = a->keys[i].id;
            when[n++] = seen;
            a->keys[i].flushed = seen; /* only the refresher thread writes this */
        }
    }
    pthread_rwlock_unlock(&a->lock);
    for (size_t i = 0; i < n; i++)
        if (store_key_touch(st, ids[i], when[i]) != STORE_OK)
            rc = -1;
    return rc;
}

/* Every stored digest is compared, whether or not one matched earlier, so
 * the time taken says nothing about which key came close. *id is the
 * matching key's row id, or 0 and *env its index in API_KEYS_SHA256. */
static int key_valid(auth *a, const char *v, size_t n, int64_t now, int64_t *id, size_t *env)
{
    unsigned char h[SHA256_LEN];
    int found = 0;

    if (!n || n > KEY_MAX_LEN || hash_sha256(v, n, h) != 0)
        return 0;
    for (size_t i = 0; i < a->nenv; i++) {
        int eq = hash_ct_equal(h, a->env_keys[i], SHA256_LEN);
        if (eq)
            *env = i;
        found |= eq;
    }
    pthread_rwlock_rdlock(&a->lock);
    for (size_t i = 0; i < a->nkeys; i++) {
        int eq = hash_ct_equal(h, a->keys[i].hash, SHA256_LEN);
        if (eq) {
            *id = a->keys[i].id;
            atomic_store(&a->keys[i].last_used, now);
        }
        found |= eq;
    }
    pthread_rwlock_unlock(&a->lock);
    return found;
}

/* The rate-limit identity of a key: its row id, or for a key from
 * API_KEYS_SHA256 the start of its digest (which says nothing of the key),
 * so each key has its own budget. */
static void key_principal(const auth *a, int64_t id, size_t env, char *out, size_t outlen)
{
    const unsigned char *d = a->env_keys ? a->env_keys[env] : NULL;

    if (id || !d)
        snprintf(out, outlen, "key:%lld", (long long)id);
    else
        snprintf(out, outlen, "key:env:%02x%02x%02x%02x%02x%02x%02x%02x", d[0], d[1], d[2], d[3],
                 d[4], d[5], d[6], d[7]);
}

/* Reads the current key set only: a kid it lacks is handed to the
 * refresher and this token is refused now (its client retries; the loop
 * never waits for a key server). */
static int token_valid(auth *a, const char *tok, size_t n, int64_t now, char *sub, size_t sublen)
{
    jwt_expect e = {a->issuer, a->audience, now, JWT_LEEWAY_S};
    char kid[128] = "";
    jwks *keys;
    jwt_result r;

    if (n > JWT_MAX_LEN)
        return 0;
    if (!(keys = jwks_current(a->jwks)))
        return 0; /* no key set yet: nobody gets in */
    r = jwt_verify(tok, n, keys, &e, kid, sizeof(kid), sub, sublen);
    jwks_release(a->jwks, keys);
    if (r == JWT_UNKNOWN_KID && kid[0])
        jwks_cache_want(a->jwks, kid); /* maybe the keys were rotated */
    if (r != JWT_OK)
        log_debug("token refused", LF_S("reason", jwt_result_text(r)));
    return r == JWT_OK;
}

static void refuse(auth_result *out, const char *error, int bearer, metric_refusal reason)
{
    out->ok = 0;
    out->status = 401;
    out->error = error;
    out->bearer = bearer;
    out->reason = reason;
}

void auth_check(auth *a, const http_request *req, int64_t now_s, auth_result *out)
{
    size_t klen = 0, hlen = 0;
    const char *key = http_request_header(req, "X-API-Key", &klen);
    const char *authz = http_request_header(req, "Authorization", &hlen);
    const char *token = NULL;
    size_t tlen = 0;
    int64_t id = 0;
    size_t env = 0;

    memset(out, 0, sizeof(*out));
    out->ok = 1;
    if (!a || a->mode == AUTH_NONE)
        return;
    /* "Bearer" 1*SP b64token (RFC 6750 §2.1) */
    if (authz && hlen > 7 && !strncasecmp(authz, "Bearer ", 7)) {
        token = authz + 7;
        tlen = hlen - 7;
        while (tlen && *token == ' ') {
            token++;
            tlen--;
        }
        if (!tlen)
            token = NULL;
    }
    if (key && (a->mode == AUTH_API_KEY || a->mode == AUTH_ANY)) {
        if (key_valid(a, key, klen, now_s, &id, &env)) {
            key_principal(a, id, env, out->principal, sizeof(out->principal));
            return;
        }
        refuse(out, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
        return;
    }
    if (a->mode == AUTH_API_KEY) {
        refuse(out, "Invalid API key", 0, M_REFUSE_AUTH_MISSING);
        return;
    }
    if (!token) {
        refuse(out, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
        return;
    }
    {
        char sub[80] = "";
        if (token_valid(a, token, tlen, now_s, sub, sizeof(sub))) {
            snprintf(out->principal, sizeof(out->principal), "sub:%s", sub);
            return;
        }
    }
    refuse(out, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
}

void auth_identify(auth *a, const http_request *req, int64_t now_s, auth_result *out)
{
    size_t klen = 0;
    const char *key;
    int64_t id = 0;
    size_t env = 0;

    if (a && a->mode != AUTH_NONE) {
        auth_check(a, req, now_s, out);
        return;
    }
    /* reads are open; an API key is still an identity */
    memset(out, 0, sizeof(*out));
    key = a ? http_request_header(req, "X-API-Key", &klen) : NULL;
    if (key && key_valid(a, key, klen, now_s, &id, &env)) {
        out->ok = 1;
        key_principal(a, id, env, out->principal, sizeof(out->principal));
        return;
    }
    refuse(out, key ? "Invalid API key" : "Unauthorized", 0,
           key ? M_REFUSE_AUTH_BAD_KEY : M_REFUSE_AUTH_MISSING);
}

int auth_new_key(char out[64])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[33];
    size_t o = 4;

    if (hash_random(r, 32) != 0)
        return -1;
    r[32] = 0;
    memcpy(out, "tvs_", 4);
    /* base64url of 256 bits: 43 characters */
    for (size_t i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)(i + 1 < 33 ? r[i + 1] : 0) << 8 |
                     (uint32_t)(i + 2 < 33 ? r[i + 2] : 0);
        for (int k = 3; k >= 0 && o < 4 + 43; k--)
            out[o++] = b64[(v >> (6 * k)) & 63];
    }
    out[o] = '\0';
    return 0;
}
