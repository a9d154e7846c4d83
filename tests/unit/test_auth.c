/* Tests of who may call the API (src/middleware/auth.h): API keys from
 * API_KEYS_SHA256 and from the api_keys table (a temporary SQLite database
 * opened through store_open), the four modes, the X-API-Key and
 * Authorization headers as auth reads them, and RS256 tokens checked
 * against a key set in a local JWKS file (JWT_JWKS_FILE). The RSA keys are
 * generated here and the tokens signed here; digests are computed with
 * OpenSSL directly, not through the project's hash module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "middleware/auth.h"
#include "middleware/jwt.h"
#include "util/arena.h"

#define NOW      1750000000LL
#define ISSUER   "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test"
#define AUDIENCE "client-abc"
#define KEY_ONE  "tvs_first-key-for-the-tests"
#define KEY_TWO  "tvs_second-key-for-the-tests"

static char dir[64];
static char db_url[128];
static char jwks_path[128];
static EVP_PKEY *signer;   /* in the JWKS file as kid "k1" */
static EVP_PKEY *stranger; /* in no key set */

/* ---- helpers ---- */

static void sha256_hex(const char *s, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned dlen = 0;

    assert_int_equal(EVP_Digest(s, n, d, &dlen, EVP_sha256(), NULL), 1);
    assert_int_equal(dlen, 32);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* base64url without padding (RFC 7515 §2), from OpenSSL's base64. */
static char *b64url(const void *p, size_t n)
{
    char *out = malloc(4 * (n / 3 + 1) + 1);
    int len;

    assert_non_null(out);
    len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    out[len] = '\0';
    for (char *c = out; *c; c++)
        *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    return out;
}

static char *rsa_param(EVP_PKEY *k, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char raw[512];
    int n;

    assert_int_equal(EVP_PKEY_get_bn_param(k, name, &bn), 1);
    assert_true(BN_num_bytes(bn) <= (int)sizeof(raw));
    n = BN_bn2bin(bn, raw);
    BN_free(bn);
    return b64url(raw, (size_t)n);
}

static void write_jwks_file(void)
{
    char *n = rsa_param(signer, OSSL_PKEY_PARAM_RSA_N);
    char *e = rsa_param(signer, OSSL_PKEY_PARAM_RSA_E);
    FILE *f = fopen(jwks_path, "w");

    assert_non_null(f);
    fprintf(f,
            "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"k1\",\"alg\":\"RS256\",\"use\":\"sig\","
            "\"n\":\"%s\",\"e\":\"%s\"}]}",
            n, e);
    assert_int_equal(fclose(f), 0);
    free(n);
    free(e);
}

/* A compact JWS: b64(header).b64(claims).b64(RS256 signature by k). */
static char *sign_token(EVP_PKEY *k, const char *kid, const char *claims)
{
    char header[128], *h, *c, *s, *out;
    unsigned char sig[512];
    size_t siglen = sizeof(sig), len;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    h = b64url(header, strlen(header));
    c = b64url(claims, strlen(claims));
    len = strlen(h) + strlen(c) + sizeof(sig) * 2;
    out = malloc(len);
    assert_non_null(out);
    assert_non_null(md);
    snprintf(out, len, "%s.%s", h, c);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)out, strlen(out)), 1);
    s = b64url(sig, siglen);
    snprintf(out + strlen(out), len - strlen(out), ".%s", s);
    EVP_MD_CTX_free(md);
    free(h);
    free(c);
    free(s);
    return out;
}

/* A Cognito-style token by the signer: use is "id", "access" or "refresh";
 * an access token names its client in client_id, every other in aud. */
static char *cognito_token(const char *use, const char *iss, const char *aud, long long exp)
{
    char claims[1024];

    snprintf(claims, sizeof(claims),
             "{\"sub\":\"user-42\",\"iss\":\"%s\",\"%s\":\"%s\",\"token_use\":\"%s\","
             "\"iat\":%lld,\"exp\":%lld}",
             iss, strcmp(use, "access") ? "aud" : "client_id", aud, use, NOW - 60, exp);
    return sign_token(signer, "k1", claims);
}

static char *good_token(void)
{
    return cognito_token("id", ISSUER, AUDIENCE, NOW + 3600);
}

static config base_config(auth_mode mode, char *env_keys)
{
    config c;

    memset(&c, 0, sizeof(c));
    c.auth = mode;
    c.api_keys_sha256 = env_keys;
    c.jwt_jwks_url = (char *)"";
    c.jwt_jwks_file = (char *)"";
    c.jwt_issuer = (char *)"";
    c.jwt_audience = (char *)"";
    if (mode == AUTH_JWT || mode == AUTH_ANY) {
        c.jwt_jwks_file = jwks_path;
        c.jwt_issuer = (char *)ISSUER;
        c.jwt_audience = (char *)AUDIENCE;
    }
    return c;
}

/* An auth in mode whose API_KEYS_SHA256 holds the digests of KEY_ONE and
 * KEY_TWO. */
static auth *make_auth(auth_mode mode)
{
    char list[2 * 64 + 2], err[256] = "";
    config c;
    auth *a;

    sha256_hex(KEY_ONE, strlen(KEY_ONE), list);
    list[64] = ',';
    sha256_hex(KEY_TWO, strlen(KEY_TWO), list + 65);
    c = base_config(mode, list);
    a = auth_new(&c, err, sizeof(err));
    if (!a)
        fail_msg("auth_new: %s", err);
    return a;
}

/* Headers as the parser hands them over (values already without OWS). */
static void add_header(http_request *r, const char *name, const char *value, size_t n)
{
    http_header *h = &r->headers[r->nheaders++];

    h->name = name;
    h->name_len = strlen(name);
    h->value = value;
    h->value_len = n;
}

static auth_result check(auth *a, const char *key, const char *authz)
{
    http_request r;
    auth_result out;

    memset(&r, 0, sizeof(r));
    if (key)
        add_header(&r, "x-api-key", key, strlen(key));
    if (authz)
        add_header(&r, "Authorization", authz, strlen(authz));
    memset(&out, 0x55, sizeof(out)); /* auth must set every field */
    auth_check(a, &r, NOW, &out);
    return out;
}

static auth_result check_bearer(auth *a, const char *key, const char *token)
{
    size_t len = strlen(token) + 8;
    char *h = malloc(len);
    auth_result out;

    assert_non_null(h);
    snprintf(h, len, "Bearer %s", token);
    out = check(a, key, h);
    free(h);
    return out;
}

static void assert_refused(const auth_result *r, const char *error, int bearer,
                           metric_refusal reason)
{
    assert_false(r->ok);
    assert_int_equal(r->status, 401);
    assert_string_equal(r->error, error);
    assert_int_equal(r->bearer, bearer);
    assert_int_equal(r->reason, reason);
}

static void assert_let_in_as(const auth_result *r, const char *principal)
{
    assert_true(r->ok);
    assert_string_equal(r->principal, principal);
}

static store *open_store(void)
{
    store *st = NULL;
    char err[512];
    int applied;

    if (store_open(&st, db_url, NULL, err, sizeof(err)) != STORE_OK)
        fail_msg("store_open: %s", err);
    assert_int_equal(store_migrate(st, &applied), STORE_OK);
    return st;
}

static int64_t add_db_key(store *st, const char *key)
{
    char hex[65];
    int64_t id = 0;

    sha256_hex(key, strlen(key), hex);
    assert_int_equal(store_key_create(st, "test", "tvs_", hex, &id), STORE_OK);
    assert_true(id > 0);
    return id;
}

static int64_t last_used_of(store *st, int64_t id)
{
    arena mem;
    store_page page;
    int64_t when = -1;

    arena_init(&mem, 4096);
    assert_int_equal(store_key_list(st, 0, &mem, &page), STORE_OK);
    for (size_t i = 0; i < page.n; i++) {
        const store_key *k = page.rows[i];
        if (k->id == id)
            when = k->last_used_at;
    }
    arena_free(&mem);
    return when;
}

/* ---- API keys from the configuration ---- */

static void test_configured_keys_let_in_each_as_its_own_identity(void **state)
{
    auth *a = make_auth(AUTH_API_KEY);
    auth_result one, two, again;
    char hex[65], want[64];

    (void)state;
    one = check(a, KEY_ONE, NULL);
    two = check(a, KEY_TWO, NULL);
    again = check(a, KEY_ONE, NULL);
    /* the identity is the start of the digest, never the key itself */
    sha256_hex(KEY_ONE, strlen(KEY_ONE), hex);
    snprintf(want, sizeof(want), "key:env:%.16s", hex);
    assert_let_in_as(&one, want);
    sha256_hex(KEY_TWO, strlen(KEY_TWO), hex);
    snprintf(want, sizeof(want), "key:env:%.16s", hex);
    assert_let_in_as(&two, want);
    assert_string_not_equal(one.principal, two.principal);
    assert_string_equal(again.principal, one.principal);
    assert_null(strstr(one.principal, "first-key"));
    auth_free(a);
}

static void test_unknown_and_near_miss_keys_are_refused(void **state)
{
    auth *a = make_auth(AUTH_API_KEY);
    char longer[64], shorter[64], flipped[64];
    auth_result r;

    (void)state;
    snprintf(longer, sizeof(longer), "%sx", KEY_ONE);
    snprintf(shorter, sizeof(shorter), "%.*s", (int)strlen(KEY_ONE) - 1, KEY_ONE);
    snprintf(flipped, sizeof(flipped), "%s", KEY_ONE);
    flipped[5] ^= 0x20; /* the same key but for the case of one letter */
    const char *bad[] = {"tvs_not-a-key", longer, shorter, flipped, " " KEY_ONE, KEY_ONE " "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = check(a, bad[i], NULL);
        assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
        assert_string_equal(r.principal, "");
    }
    /* a digest list entry is a key's digest, not a key: sending it is no use */
    {
        char hex[65];
        sha256_hex(KEY_ONE, strlen(KEY_ONE), hex);
        r = check(a, hex, NULL);
        assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
    }
    auth_free(a);
}

static void test_an_empty_or_over_long_key_is_refused_even_if_configured(void **state)
{
    char at_limit[257], over[258], list[3 * 65], err[256] = "";
    auth_result r;
    config c;
    auth *a;

    (void)state;
    memset(at_limit, 'k', 256);
    at_limit[256] = '\0';
    memset(over, 'k', 257);
    over[257] = '\0';
    sha256_hex(at_limit, 256, list);
    list[64] = ',';
    sha256_hex(over, 257, list + 65);
    list[129] = ',';
    sha256_hex("", 0, list + 130); /* nor is an empty one */
    c = base_config(AUTH_API_KEY, list);
    a = auth_new(&c, err, sizeof(err));
    assert_non_null(a);
    r = check(a, at_limit, NULL);
    assert_true(r.ok);
    r = check(a, over, NULL); /* its digest is listed, but no key is that long */
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
    r = check(a, "", NULL); /* "X-API-Key:" with nothing after it */
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
    auth_free(a);
}

static void test_a_malformed_digest_list_is_a_start_error(void **state)
{
    char good[65], bad[4][160], list[160], err[256];
    config c;

    (void)state;
    sha256_hex(KEY_ONE, strlen(KEY_ONE), good);
    snprintf(bad[0], sizeof(bad[0]), "%.63s", good);  /* one digit short */
    snprintf(bad[1], sizeof(bad[1]), "%sa", good);    /* one digit long */
    snprintf(bad[2], sizeof(bad[2]), "%.63sg", good); /* not hex */
    snprintf(bad[3], sizeof(bad[3]), "%s,zz", good);  /* a good one, then not */
    for (size_t i = 0; i < 4; i++) {
        c = base_config(AUTH_API_KEY, bad[i]);
        err[0] = '\0';
        assert_null(auth_new(&c, err, sizeof(err)));
        assert_string_equal(err, "invalid API_KEYS_SHA256");
    }
    /* upper-case hex and empty entries between commas are fine */
    for (char *p = good; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    snprintf(list, sizeof(list), ",%s,,", good);
    c = base_config(AUTH_API_KEY, list);
    {
        auth *a = auth_new(&c, err, sizeof(err));
        auth_result r;
        assert_non_null(a);
        r = check(a, KEY_ONE, NULL);
        assert_true(r.ok);
        auth_free(a);
    }
}

/* A digest that differs from a key's in its first or last byte only: the
 * whole digest is compared. */
static void test_a_digest_equal_but_for_one_byte_lets_nobody_in(void **state)
{
    store *st = open_store();
    char hex[65], err[256] = "";
    const size_t at[] = {0, 63};
    auth_result r;
    int64_t id;
    config c;
    auth *a;

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        sha256_hex(KEY_ONE, strlen(KEY_ONE), hex);
        hex[at[i]] = hex[at[i]] == '0' ? '1' : '0';
        c = base_config(AUTH_API_KEY, hex); /* in the configuration */
        a = auth_new(&c, err, sizeof(err));
        assert_non_null(a);
        r = check(a, KEY_ONE, NULL);
        assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
        auth_free(a);
        c = base_config(AUTH_API_KEY, (char *)""); /* in the database */
        a = auth_new(&c, err, sizeof(err));
        assert_non_null(a);
        assert_int_equal(store_key_create(st, "near", "tvs_", hex, &id), STORE_OK);
        assert_int_equal(auth_load_keys(a, st), 0);
        r = check(a, KEY_ONE, NULL);
        assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
        assert_int_equal(store_key_revoke(st, id), STORE_OK);
        auth_free(a);
    }
    store_close(st);
}

/* ---- API keys from the database ---- */

static void test_database_keys_are_loaded_revoked_and_budgeted_by_id(void **state)
{
    store *st = open_store();
    auth *a = make_auth(AUTH_API_KEY);
    int64_t id1, id2;
    char want[64];
    auth_result r;

    (void)state;
    id1 = add_db_key(st, "tvs_db-key-one");
    id2 = add_db_key(st, "tvs_db-key-two");
    r = check(a, "tvs_db-key-one", NULL); /* not loaded yet */
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
    assert_int_equal(auth_load_keys(a, st), 0);
    r = check(a, "tvs_db-key-one", NULL);
    snprintf(want, sizeof(want), "key:%lld", (long long)id1);
    assert_let_in_as(&r, want);
    r = check(a, "tvs_db-key-two", NULL);
    snprintf(want, sizeof(want), "key:%lld", (long long)id2);
    assert_let_in_as(&r, want);
    r = check(a, KEY_ONE, NULL); /* the configured keys still count */
    assert_true(r.ok);

    assert_int_equal(store_key_revoke(st, id1), STORE_OK);
    assert_int_equal(auth_load_keys(a, st), 0);
    r = check(a, "tvs_db-key-one", NULL);
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
    r = check(a, "tvs_db-key-two", NULL);
    assert_let_in_as(&r, want);
    auth_free(a);
    store_close(st);
}

static void test_a_key_use_is_written_back_on_flush(void **state)
{
    store *st = open_store();
    auth *a = make_auth(AUTH_API_KEY);
    int64_t id;
    http_request req;
    auth_result r;

    (void)state;
    id = add_db_key(st, "tvs_db-key-used");
    assert_int_equal(auth_load_keys(a, st), 0);
    assert_int_equal(last_used_of(st, id), 0);
    memset(&req, 0, sizeof(req));
    add_header(&req, "X-API-Key", "tvs_db-key-used", strlen("tvs_db-key-used"));
    auth_check(a, &req, NOW + 5, &r);
    assert_true(r.ok);
    /* a reload before the flush keeps the use seen in memory */
    assert_int_equal(auth_load_keys(a, st), 0);
    assert_int_equal(auth_flush_last_used(a, st), 0);
    assert_int_equal(last_used_of(st, id), NOW + 5);
    auth_free(a);
    store_close(st);
}

/* ---- modes ---- */

static void test_mode_none_lets_everyone_read(void **state)
{
    auth *a = make_auth(AUTH_NONE);
    auth_result r;

    (void)state;
    assert_false(auth_enabled(a));
    assert_false(auth_enabled(NULL));
    r = check(a, NULL, NULL);
    assert_let_in_as(&r, "");
    r = check(a, "tvs_not-a-key", "Bearer not.a.token");
    assert_let_in_as(&r, "");
    auth_free(a);
}

static void test_mode_none_still_identifies_writers_by_key(void **state)
{
    auth *a = make_auth(AUTH_NONE);
    http_request req;
    auth_result r;

    (void)state;
    memset(&req, 0, sizeof(req));
    auth_identify(a, &req, NOW, &r);
    assert_refused(&r, "Unauthorized", 0, M_REFUSE_AUTH_MISSING);
    add_header(&req, "X-API-Key", "tvs_nope", 8);
    auth_identify(a, &req, NOW, &r);
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
    req.nheaders = 0;
    add_header(&req, "X-API-Key", KEY_TWO, strlen(KEY_TWO));
    auth_identify(a, &req, NOW, &r);
    assert_true(r.ok);
    assert_true(strncmp(r.principal, "key:env:", 8) == 0);
    /* with reads open, tokens are not checked: a token is no identity */
    req.nheaders = 0;
    add_header(&req, "Authorization", "Bearer x.y.z", 12);
    auth_identify(a, &req, NOW, &r);
    assert_refused(&r, "Unauthorized", 0, M_REFUSE_AUTH_MISSING);
    auth_free(a);
}

static void test_mode_key_wants_a_key_and_ignores_tokens(void **state)
{
    auth *a = make_auth(AUTH_API_KEY);
    char *tok = good_token();
    auth_result r;

    (void)state;
    assert_true(auth_enabled(a));
    r = check(a, NULL, NULL);
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_MISSING);
    r = check_bearer(a, NULL, tok);
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_MISSING);
    r = check_bearer(a, KEY_ONE, tok);
    assert_true(r.ok);
    assert_true(strncmp(r.principal, "key:", 4) == 0);
    free(tok);
    auth_free(a);
}

static void test_mode_jwt_wants_a_token_and_ignores_keys(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *tok = good_token();
    auth_result r;

    (void)state;
    assert_true(auth_enabled(a));
    r = check_bearer(a, NULL, tok);
    assert_let_in_as(&r, "sub:user-42");
    r = check(a, NULL, NULL);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
    r = check(a, KEY_ONE, NULL); /* a good key is no credential here */
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
    r = check_bearer(a, "tvs_not-a-key", tok); /* nor is a bad one a refusal */
    assert_let_in_as(&r, "sub:user-42");
    free(tok);
    auth_free(a);
}

static void test_mode_any_takes_either_and_a_bad_key_is_not_overlooked(void **state)
{
    auth *a = make_auth(AUTH_ANY);
    char *tok = good_token();
    auth_result r;

    (void)state;
    r = check_bearer(a, NULL, tok);
    assert_let_in_as(&r, "sub:user-42");
    r = check(a, KEY_ONE, NULL);
    assert_true(r.ok);
    assert_true(strncmp(r.principal, "key:env:", 8) == 0);
    r = check_bearer(a, KEY_ONE, tok); /* the key is the identity */
    assert_true(r.ok);
    assert_true(strncmp(r.principal, "key:env:", 8) == 0);
    r = check_bearer(a, "tvs_not-a-key", tok);
    assert_refused(&r, "Invalid API key", 0, M_REFUSE_AUTH_BAD_KEY);
    r = check(a, NULL, NULL);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
    free(tok);
    auth_free(a);
}

static void test_token_modes_need_issuer_and_audience(void **state)
{
    const auth_mode modes[] = {AUTH_JWT, AUTH_ANY};
    char err[256];

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        config c = base_config(modes[i], (char *)"");
        c.jwt_issuer = (char *)"";
        err[0] = '\0';
        assert_null(auth_new(&c, err, sizeof(err)));
        assert_string_equal(err, "JWT_ISSUER and JWT_AUDIENCE are required for tokens");
        c = base_config(modes[i], (char *)"");
        c.jwt_audience = (char *)"";
        err[0] = '\0';
        assert_null(auth_new(&c, err, sizeof(err)));
        assert_string_equal(err, "JWT_ISSUER and JWT_AUDIENCE are required for tokens");
    }
}

/* ---- the Authorization header ---- */

static void test_the_bearer_scheme_is_read_case_insensitively(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *tok = good_token(), h[4096];
    const char *schemes[] = {"bearer", "BEARER", "BeArEr"};
    auth_result r;

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        snprintf(h, sizeof(h), "%s %s", schemes[i], tok);
        r = check(a, NULL, h);
        assert_let_in_as(&r, "sub:user-42");
    }
    /* one or more spaces after the scheme (RFC 6750 §2.1) */
    snprintf(h, sizeof(h), "Bearer   %s", tok);
    r = check(a, NULL, h);
    assert_let_in_as(&r, "sub:user-42");
    free(tok);
    auth_free(a);
}

static void test_other_schemes_and_empty_bearers_count_as_no_token(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *tok = good_token(), h[4096];
    auth_result r;

    (void)state;
    const char *fixed[] = {"",         "Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz",
                           "Token abc"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        r = check(a, NULL, fixed[i]);
        assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
    }
    /* a good token behind the wrong scheme, or with no space after it */
    snprintf(h, sizeof(h), "Basic %s", tok);
    r = check(a, NULL, h);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
    snprintf(h, sizeof(h), "Bearer%s", tok);
    r = check(a, NULL, h);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
    snprintf(h, sizeof(h), "Bearer\t%s", tok);
    r = check(a, NULL, h);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_MISSING);
    free(tok);
    auth_free(a);
}

static void test_a_token_with_bytes_around_it_is_refused(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *tok = good_token(), h[4096];
    auth_result r;

    (void)state;
    snprintf(h, sizeof(h), "Bearer %s ", tok);
    r = check(a, NULL, h);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    snprintf(h, sizeof(h), "Bearer %s.", tok);
    r = check(a, NULL, h);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    r = check(a, NULL, "Bearer not-a-token");
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    free(tok);
    auth_free(a);
}

static void test_an_over_long_token_is_refused(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    /* a genuinely signed token whose claims make it longer than any we take */
    size_t pad = JWT_MAX_LEN;
    char *claims = malloc(pad + 512), *tok;
    auth_result r;

    (void)state;
    assert_non_null(claims);
    snprintf(claims, pad + 512,
             "{\"sub\":\"user-42\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
             "\",\"token_use\":\"id\",\"exp\":%lld,\"pad\":\"%0*d\"}",
             NOW + 3600, (int)pad, 0);
    tok = sign_token(signer, "k1", claims);
    assert_true(strlen(tok) > JWT_MAX_LEN);
    r = check_bearer(a, NULL, tok);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    free(tok);
    free(claims);
    auth_free(a);
}

/* ---- tokens ---- */

static void test_cognito_id_and_access_tokens_are_accepted(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *id = cognito_token("id", ISSUER, AUDIENCE, NOW + 600);
    char *access = cognito_token("access", ISSUER, AUDIENCE, NOW + 600);
    auth_result r;

    (void)state;
    r = check_bearer(a, NULL, id);
    assert_let_in_as(&r, "sub:user-42");
    r = check_bearer(a, NULL, access);
    assert_let_in_as(&r, "sub:user-42");
    free(id);
    free(access);
    auth_free(a);
}

static void test_a_refresh_token_is_no_credential(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *tok = cognito_token("refresh", ISSUER, AUDIENCE, NOW + 600);
    char *other = sign_token(signer, "k1",
                             "{\"sub\":\"user-42\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                             "\",\"token_use\":\"admin\",\"exp\":1750003600}");
    auth_result r;

    (void)state;
    r = check_bearer(a, NULL, tok);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    assert_string_equal(r.principal, "");
    r = check_bearer(a, NULL, other);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    free(tok);
    free(other);
    auth_free(a);
}

static void test_a_token_for_another_issuer_or_audience_is_refused(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *toks[] = {
        cognito_token("id", ISSUER "x", AUDIENCE, NOW + 600),
        cognito_token("id", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other", AUDIENCE,
                      NOW + 600),
        cognito_token("id", ISSUER, "client-other", NOW + 600),
        cognito_token("access", ISSUER, "client-other", NOW + 600),
        /* an access token names its client in client_id, not aud */
        sign_token(signer, "k1",
                   "{\"sub\":\"user-42\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                   "\",\"client_id\":\"client-other\",\"token_use\":\"access\","
                   "\"exp\":1750003600}"),
    };
    auth_result r;

    (void)state;
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++) {
        r = check_bearer(a, NULL, toks[i]);
        assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
        free(toks[i]);
    }
    auth_free(a);
}

static void test_expiry_is_judged_at_the_time_given_with_a_minute_of_leeway(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    char *within = cognito_token("id", ISSUER, AUDIENCE, NOW - 30);
    char *past = cognito_token("id", ISSUER, AUDIENCE, NOW - 120);
    http_request req;
    auth_result r;
    char h[4096];

    (void)state;
    r = check_bearer(a, NULL, within);
    assert_true(r.ok);
    r = check_bearer(a, NULL, past);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    /* the same token, earlier: the clock is the caller's, not the wall's */
    snprintf(h, sizeof(h), "Bearer %s", past);
    memset(&req, 0, sizeof(req));
    add_header(&req, "Authorization", h, strlen(h));
    auth_check(a, &req, NOW - 200, &r);
    assert_true(r.ok);
    auth_check(a, &req, NOW - 30, &r);
    assert_false(r.ok);
    free(within);
    free(past);
    auth_free(a);
}

static void test_a_token_not_signed_by_the_key_set_is_refused(void **state)
{
    auth *a = make_auth(AUTH_JWT);
    const char *claims = "{\"sub\":\"user-42\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                         "\",\"token_use\":\"id\",\"exp\":1750003600}";
    char *forged = sign_token(stranger, "k1", claims);  /* the kid is right, the key not */
    char *unknown = sign_token(stranger, "k9", claims); /* a kid the set lacks */
    char *good = sign_token(signer, "k1", claims);
    auth_result r;

    (void)state;
    r = check_bearer(a, NULL, forged);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    r = check_bearer(a, NULL, unknown);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    r = check_bearer(a, NULL, good);
    assert_let_in_as(&r, "sub:user-42");
    free(forged);
    free(unknown);
    free(good);
    auth_free(a);
}

static void test_without_a_readable_key_set_nobody_gets_in(void **state)
{
    char missing[160], err[256] = "";
    char *tok = good_token();
    config c = base_config(AUTH_JWT, (char *)"");
    auth_result r;
    auth *a;

    (void)state;
    snprintf(missing, sizeof(missing), "%s/no-such.json", dir);
    c.jwt_jwks_file = missing;
    a = auth_new(&c, err, sizeof(err));
    assert_non_null(a); /* it starts, and keeps trying */
    r = check_bearer(a, NULL, tok);
    assert_refused(&r, "Unauthorized", 1, M_REFUSE_AUTH_BAD_TOKEN);
    free(tok);
    auth_free(a);
}

/* ---- new keys ---- */

static void test_new_keys_are_43_base64url_characters_after_the_prefix(void **state)
{
    char k1[64], k2[64];

    (void)state;
    assert_int_equal(auth_new_key(k1), 0);
    assert_int_equal(auth_new_key(k2), 0);
    assert_int_equal(strlen(k1), 4 + 43);
    assert_true(strncmp(k1, "tvs_", 4) == 0);
    assert_int_equal(strspn(k1 + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                    "0123456789-_"),
                     43);
    assert_string_not_equal(k1, k2);
}

static void test_a_new_key_stored_by_digest_lets_its_holder_in(void **state)
{
    store *st = open_store();
    auth *a = make_auth(AUTH_ANY);
    char key[64], want[64];
    int64_t id;
    auth_result r;

    (void)state;
    assert_int_equal(auth_new_key(key), 0);
    id = add_db_key(st, key);
    assert_int_equal(auth_load_keys(a, st), 0);
    r = check(a, key, NULL);
    snprintf(want, sizeof(want), "key:%lld", (long long)id);
    assert_let_in_as(&r, want);
    auth_free(a);
    store_close(st);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/tvshows-auth-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(db_url, sizeof(db_url), "sqlite:%s/t.db", dir);
    snprintf(jwks_path, sizeof(jwks_path), "%s/jwks.json", dir);
    signer = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    stranger = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!signer || !stranger)
        return -1;
    write_jwks_file();
    return 0;
}

static int group_teardown(void **state)
{
    char path[160];
    const char *const files[] = {"t.db", "t.db-wal", "t.db-shm", "jwks.json"};

    (void)state;
    EVP_PKEY_free(signer);
    EVP_PKEY_free(stranger);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configured_keys_let_in_each_as_its_own_identity),
        cmocka_unit_test(test_unknown_and_near_miss_keys_are_refused),
        cmocka_unit_test(test_an_empty_or_over_long_key_is_refused_even_if_configured),
        cmocka_unit_test(test_a_malformed_digest_list_is_a_start_error),
        cmocka_unit_test(test_a_digest_equal_but_for_one_byte_lets_nobody_in),
        cmocka_unit_test(test_database_keys_are_loaded_revoked_and_budgeted_by_id),
        cmocka_unit_test(test_a_key_use_is_written_back_on_flush),
        cmocka_unit_test(test_mode_none_lets_everyone_read),
        cmocka_unit_test(test_mode_none_still_identifies_writers_by_key),
        cmocka_unit_test(test_mode_key_wants_a_key_and_ignores_tokens),
        cmocka_unit_test(test_mode_jwt_wants_a_token_and_ignores_keys),
        cmocka_unit_test(test_mode_any_takes_either_and_a_bad_key_is_not_overlooked),
        cmocka_unit_test(test_token_modes_need_issuer_and_audience),
        cmocka_unit_test(test_the_bearer_scheme_is_read_case_insensitively),
        cmocka_unit_test(test_other_schemes_and_empty_bearers_count_as_no_token),
        cmocka_unit_test(test_a_token_with_bytes_around_it_is_refused),
        cmocka_unit_test(test_an_over_long_token_is_refused),
        cmocka_unit_test(test_cognito_id_and_access_tokens_are_accepted),
        cmocka_unit_test(test_a_refresh_token_is_no_credential),
        cmocka_unit_test(test_a_token_for_another_issuer_or_audience_is_refused),
        cmocka_unit_test(test_expiry_is_judged_at_the_time_given_with_a_minute_of_leeway),
        cmocka_unit_test(test_a_token_not_signed_by_the_key_set_is_refused),
        cmocka_unit_test(test_without_a_readable_key_set_nobody_gets_in),
        cmocka_unit_test(test_new_keys_are_43_base64url_characters_after_the_prefix),
        cmocka_unit_test(test_a_new_key_stored_by_digest_lets_its_holder_in),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
