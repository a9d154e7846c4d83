/* Tests of RS256 token verification and the key-set cache
 * (src/middleware/jwt.h) and the key-set cache (jwks_cache.h). Keys are generated here, tokens
 * signed here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "middleware/jwks_cache.h"
#include "middleware/jwt.h"

#define NOW      1750000000LL
#define ISSUER   "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example"
#define AUDIENCE "app-client-1"
#define LEEWAY   60

static EVP_PKEY *key_a; /* in the key set as "ka" */
static EVP_PKEY *key_b; /* not in it, or in it as "kb" after a rotation */
static jwks *keys;      /* {ka} */

/* ---- helpers: base64url, keys, signing ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *b64url(const unsigned char *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(n * 4 / 3 + 4), *o = out;
    size_t i;

    assert_non_null(out);
    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = abc[(v >> 6) & 63];
        *o++ = abc[v & 63];
    }
    if (n - i == 1) {
        *o++ = abc[p[i] >> 2];
        *o++ = abc[(p[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
        *o++ = abc[v >> 10];
        *o++ = abc[(v >> 4) & 63];
        *o++ = abc[(v & 15) << 2];
    }
    *o = '\0';
    return out;
}

static char *b64url_str(const char *s)
{
    return b64url((const unsigned char *)s, strlen(s));
}

static char *bn_param_b64(EVP_PKEY *pkey, const char *name)
{
    BIGNUM *bn = NULL;
    unsigned char raw[1024];
    int n;

    assert_int_equal(EVP_PKEY_get_bn_param(pkey, name, &bn), 1);
    n = BN_bn2bin(bn, raw);
    BN_free(bn);
    return b64url(raw, (size_t)n);
}

/* One JWK: {"kty":"RSA","kid":…,"n":…,"e":…} plus extra members. */
static char *jwk_json(EVP_PKEY *pkey, const char *kid, const char *extra)
{
    char *n = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_N);
    char *e = bn_param_b64(pkey, OSSL_PKEY_PARAM_RSA_E);
    size_t len = strlen(n) + strlen(e) + strlen(kid) + strlen(extra) + 64;
    char *out = malloc(len);

    assert_non_null(out);
    snprintf(out, len, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}", kid, n, e,
             extra);
    free(n);
    free(e);
    return out;
}

static char *jwks_json1(EVP_PKEY *pkey, const char *kid)
{
    char *k = jwk_json(pkey, kid, ",\"use\":\"sig\",\"alg\":\"RS256\"");
    size_t len = strlen(k) + 16;
    char *out = malloc(len);

    assert_non_null(out);
    snprintf(out, len, "{\"keys\":[%s]}", k);
    free(k);
    return out;
}

static char *join3(const char *a, const char *b, const char *c)
{
    size_t len = strlen(a) + strlen(b) + strlen(c) + 3;
    char *out = malloc(len);

    assert_non_null(out);
    snprintf(out, len, "%s.%s.%s", a, b, c);
    return out;
}

static char *signing_input(const char *header, const char *claims)
{
    char *h = b64url_str(header), *p = b64url_str(claims);
    size_t len = strlen(h) + strlen(p) + 2;
    char *out = malloc(len);

    assert_non_null(out);
    snprintf(out, len, "%s.%s", h, p);
    free(h);
    free(p);
    return out;
}

/* header.claims signed RS256 with pkey */
static char *sign_rs256(const char *header, const char *claims, EVP_PKEY *pkey)
{
    char *input = signing_input(header, claims), *sig64, *out;
    unsigned char sig[1024];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t len;

    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)),
                     1);
    EVP_MD_CTX_free(md);
    sig64 = b64url(sig, siglen);
    len = strlen(input) + strlen(sig64) + 2;
    out = malloc(len);
    assert_non_null(out);
    snprintf(out, len, "%s.%s", input, sig64);
    free(input);
    free(sig64);
    return out;
}

static char *token_for(const char *claims)
{
    return sign_rs256("{\"alg\":\"RS256\",\"kid\":\"ka\",\"typ\":\"JWT\"}", claims, key_a);
}

static jwt_expect expect_now(void)
{
    jwt_expect e = {ISSUER, AUDIENCE, NOW, LEEWAY};
    return e;
}

static jwt_result verify_with(const char *token, const jwks *k, char *sub, size_t sublen)
{
    jwt_expect e = expect_now();
    char kid[64];

    return jwt_verify(token, strlen(token), k, &e, kid, sizeof(kid), sub, sublen);
}

static jwt_result verify(const char *token)
{
    return verify_with(token, keys, NULL, 0);
}

/* Claims of a good ID token, with exp/nbf relative to NOW and extra members. */
static char *claims_with(long long exp_delta, const char *extra)
{
    size_t len = strlen(extra) + 512;
    char *out = malloc(len);

    assert_non_null(out);
    snprintf(out, len,
             "{\"sub\":\"user-1\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
             "\",\"token_use\":\"id\",\"iat\":%lld,\"exp\":%lld%s}",
             NOW - 10, NOW + exp_delta, extra);
    return out;
}

static jwt_result verify_claims(const char *claims)
{
    char *t = token_for(claims);
    jwt_result r = verify(t);

    free(t);
    return r;
}

static int setup(void **state)
{
    char err[256];
    char *doc;

    (void)state;
    key_a = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    key_b = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (!key_a || !key_b)
        return -1;
    doc = jwks_json1(key_a, "ka");
    if (jwks_parse(doc, strlen(doc), &keys, err, sizeof(err)) != 0)
        return -1;
    free(doc);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jwks_free(keys);
    EVP_PKEY_free(key_a);
    EVP_PKEY_free(key_b);
    return 0;
}

/* ---- verification ---- */

static void test_jwt_accepts_good_token_with_subject(void **state)
{
    char *claims = claims_with(3600, ""), *t = token_for(claims);
    jwt_expect e = expect_now();
    char kid[16], sub[16];

    (void)state;
    assert_int_equal(jwt_verify(t, strlen(t), keys, &e, kid, sizeof(kid), sub, sizeof(sub)),
                     JWT_OK);
    assert_string_equal(kid, "ka");
    assert_string_equal(sub, "user-1");
    /* without expectations of issuer and audience, too */
    e.issuer = "";
    e.audience = NULL;
    assert_int_equal(jwt_verify(t, strlen(t), keys, &e, NULL, 0, NULL, 0), JWT_OK);
    assert_string_equal(jwt_result_text(JWT_OK), "ok");
    assert_string_equal(jwt_result_text(JWT_EXPIRED), "expired");
    free(t);
    free(claims);
}

static void test_jwt_refuses_alg_none_with_empty_signature(void **state)
{
    char *claims = claims_with(3600, "");
    char *h = b64url_str("{\"alg\":\"none\",\"kid\":\"ka\"}"), *p = b64url_str(claims);
    char *t = join3(h, p, "");
    char *h2 = b64url_str("{\"alg\":\"none\"}"), *t2 = join3(h2, p, "");
    char *h3 = b64url_str("{\"alg\":\"RS256 \",\"kid\":\"ka\"}"), *t3 = join3(h3, p, "");

    (void)state;
    assert_int_equal(verify(t), JWT_BAD_ALG);
    assert_int_equal(verify(t2), JWT_BAD_ALG);
    assert_int_equal(verify(t3), JWT_BAD_ALG);
    free(h), free(p), free(t), free(h2), free(t2), free(h3), free(t3), free(claims);
}

/* The classic confusion: the public key, as the verifier might hold it,
 * used as an HMAC secret. */
static void test_jwt_refuses_hs256_signed_with_public_key(void **state)
{
    char *claims = claims_with(3600, ""), *input, *sig64, *t;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    long pemlen;
    size_t len;

    (void)state;
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, key_a), 1);
    pemlen = BIO_get_mem_data(bio, &pem);
    input = signing_input("{\"alg\":\"HS256\",\"kid\":\"ka\",\"typ\":\"JWT\"}", claims);
    assert_non_null(HMAC(EVP_sha256(), pem, (int)pemlen, (const unsigned char *)input,
                         strlen(input), mac, &maclen));
    sig64 = b64url(mac, maclen);
    len = strlen(input) + strlen(sig64) + 2;
    t = malloc(len);
    assert_non_null(t);
    snprintf(t, len, "%s.%s", input, sig64);
    assert_int_equal(verify(t), JWT_BAD_ALG);
    BIO_free(bio);
    free(claims), free(input), free(sig64), free(t);
}

static void test_jwt_reports_unknown_kid(void **state)
{
    char *claims = claims_with(3600, "");
    char *t = sign_rs256("{\"alg\":\"RS256\",\"kid\":\"rotated\"}", claims, key_b);
    jwt_expect e = expect_now();
    char kid[16];

    (void)state;
    assert_int_equal(jwt_verify(t, strlen(t), keys, &e, kid, sizeof(kid), NULL, 0),
                     JWT_UNKNOWN_KID);
    assert_string_equal(kid, "rotated");
    /* no key set at all: the same answer, so the caller fetches one */
    assert_int_equal(jwt_verify(t, strlen(t), NULL, &e, kid, sizeof(kid), NULL, 0),
                     JWT_UNKNOWN_KID);
    free(t);
    free(claims);
}

static void test_jwt_refuses_missing_kid(void **state)
{
    char *claims = claims_with(3600, "");
    char *t = sign_rs256("{\"alg\":\"RS256\"}", claims, key_a);
    char *t2 = sign_rs256("{\"alg\":\"RS256\",\"kid\":7}", claims, key_a);

    (void)state;
    assert_int_equal(verify(t), JWT_MALFORMED);
    assert_int_equal(verify(t2), JWT_MALFORMED);
    free(t), free(t2), free(claims);
}

static void test_jwt_refuses_signature_of_another_key(void **state)
{
    char *claims = claims_with(3600, "");
    char *t = sign_rs256("{\"alg\":\"RS256\",\"kid\":\"ka\"}", claims, key_b);

    (void)state;
    assert_int_equal(verify(t), JWT_BAD_SIGNATURE);
    free(t);
    free(claims);
}

static void test_jwt_refuses_tampered_payload(void **state)
{
    char *claims = claims_with(3600, ""), *t = token_for(claims);
    char *evil = b64url_str("{\"sub\":\"admin\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                            "\",\"exp\":9999999999}");
    char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');
    char *h, *forged;

    (void)state;
    *dot1 = '\0';
    h = t;
    forged = join3(h, evil, dot2 + 1);
    assert_int_equal(verify(forged), JWT_BAD_SIGNATURE);
    /* one flipped bit of the signature, too */
    *dot1 = '.';
    dot2[1] = dot2[1] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(t), JWT_BAD_SIGNATURE);
    free(forged), free(evil), free(t), free(claims);
}

/* Claims are judged only once the signature is good: an expired token
 * with a bad signature says "bad signature". */
static void test_jwt_checks_signature_before_claims(void **state)
{
    char *claims = claims_with(-100000, ",\"nbf\":\"soon\"");
    char *t = sign_rs256("{\"alg\":\"RS256\",\"kid\":\"ka\"}", claims, key_b);

    char *t_good = sign_rs256("{\"alg\":\"RS256\",\"kid\":\"ka\"}", claims, key_a);

    (void)state;
    assert_int_equal(verify(t), JWT_BAD_SIGNATURE);
    assert_int_equal(verify(t_good), JWT_MALFORMED); /* signed: now its claims count */
    free(t), free(t_good), free(claims);
}

static void test_jwt_refuses_expired_beyond_leeway(void **state)
{
    char *c1 = claims_with(-(LEEWAY + 1), ""), *c2 = claims_with(-LEEWAY, "");
    char *c3 = claims_with(-100000, "");

    (void)state;
    assert_int_equal(verify_claims(c1), JWT_EXPIRED);
    assert_int_equal(verify_claims(c2), JWT_EXPIRED); /* valid strictly before exp + leeway */
    assert_int_equal(verify_claims(c3), JWT_EXPIRED);
    free(c1), free(c2), free(c3);
}

static void test_jwt_accepts_exp_within_leeway(void **state)
{
    char *c1 = claims_with(-(LEEWAY - 1), ""), *c2 = claims_with(-30, "");

    (void)state;
    assert_int_equal(verify_claims(c1), JWT_OK);
    assert_int_equal(verify_claims(c2), JWT_OK);
    free(c1), free(c2);
}

static void test_jwt_refuses_nbf_in_future(void **state)
{
    char extra[64], extra_ok[64];
    char *c1, *c2;

    (void)state;
    snprintf(extra, sizeof(extra), ",\"nbf\":%lld", NOW + LEEWAY + 1);
    snprintf(extra_ok, sizeof(extra_ok), ",\"nbf\":%lld", NOW + LEEWAY);
    c1 = claims_with(3600, extra);
    c2 = claims_with(3600, extra_ok);
    assert_int_equal(verify_claims(c1), JWT_NOT_YET_VALID);
    assert_int_equal(verify_claims(c2), JWT_OK);
    free(c1), free(c2);
}

static void test_jwt_refuses_wrong_issuer(void **state)
{
    char *claims = claims_with(3600, ""), *t = token_for(claims);
    jwt_expect e = expect_now();
    char *no_iss = strdup("{\"sub\":\"u\",\"aud\":\"" AUDIENCE "\",\"exp\":9999999999}");

    (void)state;
    e.issuer = "https://evil.example";
    assert_int_equal(jwt_verify(t, strlen(t), keys, &e, NULL, 0, NULL, 0), JWT_BAD_ISSUER);
    assert_int_equal(verify_claims(no_iss), JWT_BAD_ISSUER);
    free(t), free(claims), free(no_iss);
}

static void test_jwt_refuses_wrong_audience(void **state)
{
    char *claims = claims_with(3600, ""), *t = token_for(claims);
    jwt_expect e = expect_now();

    (void)state;
    e.audience = "another-client";
    assert_int_equal(jwt_verify(t, strlen(t), keys, &e, NULL, 0, NULL, 0), JWT_BAD_AUDIENCE);
    free(t), free(claims);
}

static void test_jwt_accepts_aud_array_containing_audience(void **state)
{
    char *yes = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":[\"other\",\"" AUDIENCE
                       "\"],\"exp\":9999999999}");
    char *no = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":[\"other\",\"x\"],"
                      "\"exp\":9999999999}");
    char *empty = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":[],\"exp\":9999999999}");
    char *bad = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":[\"" AUDIENCE "\",1],"
                       "\"exp\":9999999999}");

    (void)state;
    assert_int_equal(verify_claims(yes), JWT_OK);
    assert_int_equal(verify_claims(no), JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(empty), JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(bad), JWT_MALFORMED);
    free(yes), free(no), free(empty), free(bad);
}

/* Cognito access tokens: no aud, token_use "access", the client in client_id. */
static void test_jwt_accepts_cognito_access_token_by_client_id(void **state)
{
    char *claims =
        strdup("{\"iss\":\"" ISSUER "\",\"token_use\":\"access\",\"client_id\":\"" AUDIENCE
               "\",\"scope\":\"tvshows/read\",\"exp\":1750003600,\"iat\":1750000000}");
    char *t = token_for(claims);
    char sub[32];

    (void)state;
    assert_int_equal(verify_with(t, keys, sub, sizeof(sub)), JWT_OK);
    assert_string_equal(sub, AUDIENCE); /* no sub: the client is the subject */
    free(t), free(claims);
}

static void test_jwt_refuses_client_id_unless_access_token(void **state)
{
    char *id = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER
                      "\",\"token_use\":\"id\",\"client_id\":\"" AUDIENCE "\",\"exp\":1750003600}");
    char *none = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"client_id\":\"" AUDIENCE
                        "\",\"exp\":1750003600}");
    char *other = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER
                         "\",\"token_use\":\"access\",\"client_id\":\"someone-else\","
                         "\"exp\":1750003600}");

    (void)state;
    assert_int_equal(verify_claims(id), JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(none), JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(other), JWT_BAD_AUDIENCE);
    free(id), free(none), free(other);
}

/* Cognito token_use: "id" is judged by aud, "access" by client_id, and
 * nothing else (a refresh token) opens the API. */
static void test_jwt_checks_token_use(void **state)
{
    char *refresh =
        strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
               "\",\"client_id\":\"" AUDIENCE "\",\"token_use\":\"refresh\",\"exp\":1750003600}");
    char *access_aud_only = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                                   "\",\"token_use\":\"access\",\"exp\":1750003600}");
    char *access_both =
        strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
               "\",\"token_use\":\"access\",\"client_id\":\"other\",\"exp\":1750003600}");
    char *odd = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                       "\",\"token_use\":\"ID\",\"exp\":1750003600}");
    char *plain = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                         "\",\"exp\":1750003600}");
    char *id = claims_with(3600, "");

    (void)state;
    assert_int_equal(verify_claims(refresh), JWT_BAD_TOKEN_USE);
    assert_int_equal(verify_claims(odd), JWT_BAD_TOKEN_USE);
    /* an access token is the client_id's: aud alone does not make it ours */
    assert_int_equal(verify_claims(access_aud_only), JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(access_both), JWT_BAD_AUDIENCE);
    assert_int_equal(verify_claims(id), JWT_OK);
    assert_int_equal(verify_claims(plain), JWT_OK);
    assert_string_equal(jwt_result_text(JWT_BAD_TOKEN_USE), "token_use not allowed");
    free(refresh), free(access_aud_only), free(access_both), free(odd), free(plain), free(id);
}

static void test_jwt_refuses_token_over_8_kib(void **state)
{
    char pad[JWT_MAX_LEN];
    char extra[JWT_MAX_LEN + 32];
    char *claims, *t;
    jwt_expect e = expect_now();

    (void)state;
    memset(pad, 'x', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    snprintf(extra, sizeof(extra), ",\"pad\":\"%s\"", pad);
    claims = claims_with(3600, extra);
    t = token_for(claims);
    assert_true(strlen(t) > JWT_MAX_LEN);
    assert_int_equal(verify(t), JWT_TOO_LARGE);
    /* the length alone decides: nothing is read */
    assert_int_equal(jwt_verify("", JWT_MAX_LEN + 1, keys, &e, NULL, 0, NULL, 0), JWT_TOO_LARGE);
    free(t), free(claims);
}

static void test_jwt_refuses_not_three_parts(void **state)
{
    char *claims = claims_with(3600, ""), *t = token_for(claims);
    size_t len = strlen(t) + 8;
    char *four = malloc(len), *two = strdup(t);
    jwt_expect e = expect_now();

    (void)state;
    snprintf(four, len, "%s.AAAA", t);
    *strrchr(two, '.') = '\0';
    assert_int_equal(verify(four), JWT_MALFORMED);
    assert_int_equal(verify(two), JWT_MALFORMED);
    assert_int_equal(verify(""), JWT_MALFORMED);
    assert_int_equal(verify(".."), JWT_MALFORMED);
    assert_int_equal(verify("abc"), JWT_MALFORMED);
    assert_int_equal(jwt_verify(NULL, 0, keys, &e, NULL, 0, NULL, 0), JWT_MALFORMED);
    /* the length given is what counts, not a NUL further on: two characters
     * less still decode (342 -> 340), to a signature one byte short */
    assert_int_equal(strlen(strrchr(t, '.') + 1), 342);
    assert_int_equal(jwt_verify(t, strlen(t) - 2, keys, &e, NULL, 0, NULL, 0), JWT_BAD_SIGNATURE);
    free(t), free(claims), free(four), free(two);
}

static void test_jwt_refuses_bad_base64url(void **state)
{
    char *claims = claims_with(3600, ""), *t = token_for(claims);
    char *h = b64url_str("{\"alg\":\"RS256\",\"kid\":\"ka\"}"), *p = b64url_str(claims);
    char *dot2 = strrchr(t, '.');
    char padded[64], *t2, *t3, *t4, *t5;

    (void)state;
    snprintf(padded, sizeof(padded), "%s=", h); /* no padding in JWS */
    t2 = join3(padded, p, dot2 + 1);
    t3 = join3("eyJ+bGciOiJSUzI1NiJ9", p, dot2 + 1); /* '+' is base64, not base64url */
    t4 = join3(h, p, "A");                           /* a length no encoding has */
    t5 = join3("e31", p, dot2 + 1); /* "{}" is "e30": stray bits in the last character */
    assert_int_equal(verify(t2), JWT_MALFORMED);
    assert_int_equal(verify(t3), JWT_MALFORMED);
    assert_int_equal(verify(t4), JWT_MALFORMED);
    assert_int_equal(verify(t5), JWT_MALFORMED);
    t[5] = '*';
    assert_int_equal(verify(t), JWT_MALFORMED);
    free(t), free(claims), free(h), free(p), free(t2), free(t3), free(t4), free(t5);
}

static void test_jwt_refuses_json_that_is_not_an_object(void **state)
{
    char *c1 = strdup("[1,2,3]");
    char *t1 = token_for(c1);
    char *t2 = sign_rs256("\"RS256\"", "{\"exp\":9999999999}", key_a);
    char *t3 = sign_rs256("{\"alg\":\"RS256\",\"kid\":\"ka\"", "{\"exp\":9999999999}", key_a);
    char *t4 = token_for("{\"exp\":1,\"exp\":9999999999,\"iss\":\"" ISSUER "\"}");

    (void)state;
    assert_int_equal(verify(t1), JWT_MALFORMED);
    assert_int_equal(verify(t2), JWT_MALFORMED);
    assert_int_equal(verify(t3), JWT_MALFORMED);
    assert_int_equal(verify(t4), JWT_MALFORMED); /* duplicate members */
    free(c1), free(t1), free(t2), free(t3), free(t4);
}

static void test_jwt_refuses_claims_of_wrong_type(void **state)
{
    char *exp_str = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                           "\",\"exp\":\"9999999999\"}");
    char *no_exp = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\"}");
    char *nbf_null = claims_with(3600, ",\"nbf\":null");
    char *sub_num =
        strdup("{\"sub\":5,\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE "\",\"exp\":9999999999}");
    char *exp_real = strdup("{\"sub\":\"u\",\"iss\":\"" ISSUER "\",\"aud\":\"" AUDIENCE
                            "\",\"exp\":1750000100.5}");

    (void)state;
    assert_int_equal(verify_claims(exp_str), JWT_MALFORMED);
    assert_int_equal(verify_claims(no_exp), JWT_MALFORMED);
    assert_int_equal(verify_claims(nbf_null), JWT_MALFORMED);
    assert_int_equal(verify_claims(sub_num), JWT_MALFORMED);
    assert_int_equal(verify_claims(exp_real), JWT_OK); /* NumericDate may be fractional */
    free(exp_str), free(no_exp), free(nbf_null), free(sub_num), free(exp_real);
}

static void test_jwt_refuses_crit_header(void **state)
{
    char *claims = claims_with(3600, "");
    char *t = sign_rs256("{\"alg\":\"RS256\",\"kid\":\"ka\",\"crit\":[\"exp\"]}", claims, key_a);

    (void)state;
    assert_int_equal(verify(t), JWT_MALFORMED);
    free(t), free(claims);
}

/* ---- key sets ---- */

static void test_jwks_parse_skips_other_keys(void **state)
{
    char *good = jwk_json(key_a, "ka", ",\"use\":\"sig\"");
    char *enc = jwk_json(key_b, "enc", ",\"use\":\"enc\"");
    char *rs512 = jwk_json(key_b, "rs512", ",\"alg\":\"RS512\"");
    char *ops = jwk_json(key_b, "wrap", ",\"key_ops\":[\"wrapKey\"]");
    char *plain = jwk_json(key_b, "plain", "");
    char doc[16384];
    char err[256];
    jwks *k = NULL;

    (void)state;
    snprintf(doc, sizeof(doc),
             "{\"keys\":[%s,%s,%s,%s,"
             "{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"},"
             "{\"kty\":\"oct\",\"kid\":\"sym\",\"k\":\"c2VjcmV0\"},"
             "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},%s]}",
             good, enc, rs512, ops, plain);
    assert_int_equal(jwks_parse(doc, strlen(doc), &k, err, sizeof(err)), 0);
    assert_int_equal(jwks_count(k), 2);
    assert_true(jwks_has_kid(k, "ka"));
    assert_true(jwks_has_kid(k, "plain"));
    assert_false(jwks_has_kid(k, "enc"));
    assert_false(jwks_has_kid(k, "rs512"));
    assert_false(jwks_has_kid(k, "wrap"));
    assert_false(jwks_has_kid(k, "ec"));
    assert_false(jwks_has_kid(k, "sym"));
    assert_false(jwks_has_kid(k, NULL));
    jwks_free(k);
    free(good), free(enc), free(rs512), free(ops), free(plain);
}

static void test_jwks_parse_refuses_broken_documents(void **state)
{
    static const char *bad[] = {
        "",
        "not json",
        "[]",
        "{}",
        "{\"keys\":{}}",
        "{\"keys\":[1]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"A+B\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[],\"keys\":[]}",
    };
    char err[256];
    jwks *k = (jwks *)&err;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(jwks_parse(bad[i], strlen(bad[i]), &k, err, sizeof(err)), -1);
        assert_null(k);
        assert_true(err[0] != '\0');
    }
    /* an empty set is a set */
    assert_int_equal(jwks_parse("{\"keys\":[]}", 11, &k, err, sizeof(err)), 0);
    assert_int_equal(jwks_count(k), 0);
    jwks_free(k);
    jwks_free(NULL);
    assert_int_equal(jwks_count(NULL), 0);
}

static void test_jwks_parse_refuses_duplicate_kid_and_skips_short_keys(void **state)
{
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    char *a = jwk_json(key_a, "same", ""), *b = jwk_json(key_b, "same", "");
    char *s = jwk_json(small, "small", "");
    char doc[8192], err[256];
    jwks *k = NULL;

    (void)state;
    assert_non_null(small);
    snprintf(doc, sizeof(doc), "{\"keys\":[%s,%s]}", a, b);
    assert_int_equal(jwks_parse(doc, strlen(doc), &k, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "twice"));
    snprintf(doc, sizeof(doc), "{\"keys\":[%s]}", s);
    assert_int_equal(jwks_parse(doc, strlen(doc), &k, err, sizeof(err)), 0);
    assert_int_equal(jwks_count(k), 0);
    jwks_free(k);
    EVP_PKEY_free(small);
    free(a), free(b), free(s);
}

/* ---- the cache ---- */

static void write_file(const char *path, const char *text)
{
    char tmp[512];
    FILE *f;

    /* whole files only: readers never see half a rewrite */
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, path), 0);
}

static void write_jwks(const char *path, EVP_PKEY *pkey, const char *kid)
{
    char *doc = jwks_json1(pkey, kid);

    write_file(path, doc);
    free(doc);
}

static void temp_path(char *path, size_t len)
{
    int fd;

    snprintf(path, len, "/tmp/tvshows-test-jwks-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

/* A reference to the current set that must hold kid (or lack it). */
static void assert_current_has(jwks_cache *c, const char *kid, int want)
{
    jwks *k = jwks_current(c);

    assert_non_null(k);
    assert_int_equal(jwks_has_kid(k, kid), want);
    jwks_release(c, k);
}

static void test_jwks_cache_refetches_on_rotation(void **state)
{
    const int64_t retry = 10000, ttl = 3600000, t0 = 1000;
    char path[64];
    jwks_cache *c;
    jwks *first, *k;
    char *claims = claims_with(3600, "");
    char *tok_b = sign_rs256("{\"alg\":\"RS256\",\"kid\":\"kb\"}", claims, key_b);

    (void)state;
    temp_path(path, sizeof(path));
    write_jwks(path, key_a, "ka");
    assert_non_null(c = jwks_cache_new(NULL, path, ttl, retry));
    assert_null(jwks_current(c)); /* nothing is fetched before the refresher runs */
    assert_int_equal(jwks_cache_poll(c, t0), 1);
    assert_int_equal(jwks_cache_poll(c, t0), 0);
    assert_non_null(first = jwks_current(c));
    assert_true(jwks_has_kid(first, "ka"));
    assert_int_equal(verify_with(tok_b, first, NULL, 0), JWT_UNKNOWN_KID);

    /* the provider rotates: only kb is published now */
    write_jwks(path, key_b, "kb");
    /* a known kid never causes a fetch */
    jwks_cache_want(c, "ka");
    assert_int_equal(jwks_cache_poll(c, t0 + 1), 0);
    /* the first unknown kid is fetched at once, even right after the first
     * load: a rotation just after start is picked up */
    jwks_cache_want(c, "kb");
    assert_int_equal(jwks_cache_poll(c, t0 + 2), 1);
    assert_non_null(k = jwks_current(c));
    assert_true(jwks_has_kid(k, "kb"));
    assert_false(jwks_has_kid(k, "ka"));
    assert_int_equal(verify_with(tok_b, k, NULL, 0), JWT_OK);
    /* the set a caller still holds outlives the swap */
    assert_true(jwks_has_kid(first, "ka"));
    jwks_release(c, first);
    jwks_release(c, k);

    /* made-up kids within retry of that fetch: none, however many ask */
    write_jwks(path, key_a, "kc");
    for (int i = 0; i < 50; i++) {
        jwks_cache_want(c, "made-up");
        assert_int_equal(jwks_cache_poll(c, t0 + 3 + i * 100), 0);
    }
    assert_current_has(c, "kc", 0);
    /* once retry has passed, the wanted kid brings a fetch: a key published
     * meanwhile is accepted within seconds, not a minute */
    assert_int_equal(jwks_cache_poll(c, t0 + 2 + retry), 1);
    assert_current_has(c, "kc", 1);
    /* nothing wanted: nothing fetched until the set is three quarters of
     * its ttl old, then fetched before it expires */
    write_jwks(path, key_b, "kd");
    assert_int_equal(jwks_cache_poll(c, t0 + 2 + retry + ttl * 3 / 4 - 1), 0);
    assert_current_has(c, "kd", 0);
    assert_int_equal(jwks_cache_poll(c, t0 + 2 + retry + ttl * 3 / 4), 1);
    assert_current_has(c, "kd", 1);
    jwks_cache_free(c);
    unlink(path);
    free(tok_b), free(claims);
}

typedef struct poll_arg {
    jwks_cache *c;
    int64_t now;
    int rc;
} poll_arg;

static void *poll_thread(void *p)
{
    poll_arg *a = p;

    a->rc = jwks_cache_poll(a->c, a->now);
    return NULL;
}

/* A token whose kid is in the set being fetched, arriving while the first
 * fetch runs (a slow start): the set brings the kid, so no second fetch
 * follows, and the kid budget is still there for a real rotation. The
 * fetch is held open by reading a FIFO whose writer is the test. */
static void test_jwks_cache_a_kid_wanted_during_a_fetch_that_brings_it_fetches_nothing(void **state)
{
    const int64_t retry = 10000, ttl = 3600000, t0 = 1000;
    char dir[64], path[128], regular[160];
    poll_arg a;
    pthread_t th;
    char *doc;
    FILE *w;
    jwks_cache *c;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/tvshows-test-jwks-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/jwks.json", dir);
    snprintf(regular, sizeof(regular), "%s/next.json", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_non_null(c = jwks_cache_new(NULL, path, ttl, retry));
    a = (poll_arg){c, t0, 0};
    assert_int_equal(pthread_create(&th, NULL, poll_thread, &a), 0);
    /* opening the writer's end returns once the fetch has opened the
     * reader's: the fetch is running */
    assert_non_null(w = fopen(path, "w"));
    jwks_cache_want(c, "ka");
    doc = jwks_json1(key_a, "ka");
    assert_int_equal(fwrite(doc, 1, strlen(doc), w), strlen(doc));
    free(doc);
    assert_int_equal(fclose(w), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(a.rc, 1);
    assert_current_has(c, "ka", 1);
    /* from now on the source is a plain file (a fetch no longer waits) */
    write_jwks(regular, key_a, "ka");
    assert_int_equal(rename(regular, path), 0);
    assert_int_equal(jwks_cache_poll(c, t0 + 1), 0);
    /* a real rotation right after: fetched at once */
    write_jwks(path, key_b, "kb");
    jwks_cache_want(c, "kb");
    assert_int_equal(jwks_cache_poll(c, t0 + 2), 1);
    assert_current_has(c, "kb", 1);
    jwks_cache_free(c);
    unlink(path);
    rmdir(dir);
}

static void test_jwks_cache_keeps_keys_when_fetch_fails(void **state)
{
    char path[64];
    jwks_cache *c;

    (void)state;
    temp_path(path, sizeof(path));
    write_jwks(path, key_a, "ka");
    assert_non_null(c = jwks_cache_new("", path, 1000, 100));
    assert_int_equal(jwks_cache_poll(c, 0), 1);
    write_file(path, "{\"keys\":[");
    assert_int_equal(jwks_cache_poll(c, 5000), -1); /* old enough; the fetch fails */
    assert_current_has(c, "ka", 1);
    /* a failing source is tried again after retry_ms, not at every poll */
    assert_int_equal(jwks_cache_poll(c, 5050), 0);
    write_file(path, "{\"keys\":[]}"); /* nothing usable counts as a failure */
    jwks_cache_want(c, "kz");
    assert_int_equal(jwks_cache_poll(c, 10000), -1);
    assert_current_has(c, "ka", 1);
    unlink(path);
    assert_int_equal(jwks_cache_poll(c, 15000), -1);
    assert_current_has(c, "ka", 1);
    jwks_cache_free(c);
}

static void test_jwks_cache_missing_file_gives_null(void **state)
{
    jwks_cache *c = jwks_cache_new(NULL, "/nonexistent/tvshows/jwks.json", 1000, 100);

    (void)state;
    assert_non_null(c);
    assert_int_equal(jwks_cache_poll(c, 0), -1);
    assert_null(jwks_current(c));
    jwks_cache_want(c, "ka");
    assert_int_equal(jwks_cache_poll(c, 50), 0);
    assert_int_equal(jwks_cache_poll(c, 200), -1);
    assert_null(jwks_current(c));
    jwks_release(c, NULL);
    jwks_cache_free(c);
    jwks_cache_free(NULL);
    /* exactly one source */
    assert_null(jwks_cache_new(NULL, NULL, 1000, 100));
    assert_null(jwks_cache_new("", "", 1000, 100));
    assert_null(jwks_cache_new("http://127.0.0.1:1/jwks.json", "/tmp/x", 1000, 100));
}

/* The refresher thread: the set is there once start returns, and a wanted
 * kid is fetched by the thread while the caller goes on. */
static void test_jwks_cache_refresher_fetches_in_the_background(void **state)
{
    char path[64];
    jwks_cache *c;
    int seen = 0;

    (void)state;
    temp_path(path, sizeof(path));
    write_jwks(path, key_a, "ka");
    assert_non_null(c = jwks_cache_new(NULL, path, 3600000, 100));
    assert_int_equal(jwks_cache_start(c, 3000), 0);
    assert_current_has(c, "ka", 1);
    write_jwks(path, key_b, "kb");
    jwks_cache_want(c, "kb");
    for (int i = 0; i < 300 && !seen; i++) {
        jwks *k = jwks_current(c);
        seen = jwks_has_kid(k, "kb");
        jwks_release(c, k);
        usleep(10000);
    }
    assert_true(seen);
    jwks_cache_free(c); /* stops and joins the thread */
    unlink(path);
}

/* An https URL that never answers: the caller of start waits at most its
 * bound, and freeing cuts the fetch short. */
static void test_jwks_cache_free_does_not_wait_out_a_slow_source(void **state)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    char url[96];
    jwks_cache *c;
    int64_t t0;

    (void)state;
    /* listens, never accepts: the TLS handshake never ends */
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/jwks.json", ntohs(a.sin_port));
    assert_non_null(c = jwks_cache_new(url, NULL, 3600000, 10000));
    t0 = mono_ms();
    assert_int_equal(jwks_cache_start(c, 200), 0);
    assert_true(mono_ms() - t0 < 1500);
    assert_null(jwks_current(c));
    t0 = mono_ms();
    jwks_cache_free(c);
    assert_true(mono_ms() - t0 < 1500); /* not the 3 s fetch timeout */
    close(fd);
}

typedef struct reader_arg {
    jwks_cache *c;
    const char *token_a;
    int ok;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;

    for (int i = 0; i < 300; i++) {
        jwks *k = jwks_current(a->c);

        if (i % 3 == 0)
            jwks_cache_want(a->c, "unknown");
        if (!k)
            continue;
        /* the set must stay whole while held, however often it is swapped */
        if (verify_with(a->token_a, k, NULL, 0) == JWT_OK)
            a->ok++;
        jwks_release(a->c, k);
    }
    return NULL;
}

static void test_jwks_cache_is_thread_safe(void **state)
{
    char path[64];
    jwks_cache *c;
    pthread_t th[4];
    reader_arg args[4];
    char *claims = claims_with(3600, ""), *tok = token_for(claims);

    (void)state;
    temp_path(path, sizeof(path));
    write_jwks(path, key_a, "ka");
    /* ttl 0 and no retry gap: the refresher fetches again and again while
     * the readers hold and release sets */
    assert_non_null(c = jwks_cache_new(NULL, path, 0, 0));
    assert_int_equal(jwks_cache_start(c, 3000), 0);
    for (int i = 0; i < 4; i++) {
        args[i] = (reader_arg){c, tok, 0};
        assert_int_equal(pthread_create(&th[i], NULL, reader, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].ok, 300);
    }
    jwks_cache_free(c);
    unlink(path);
    free(tok), free(claims);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_accepts_good_token_with_subject),
        cmocka_unit_test(test_jwt_refuses_alg_none_with_empty_signature),
        cmocka_unit_test(test_jwt_refuses_hs256_signed_with_public_key),
        cmocka_unit_test(test_jwt_reports_unknown_kid),
        cmocka_unit_test(test_jwt_refuses_missing_kid),
        cmocka_unit_test(test_jwt_refuses_signature_of_another_key),
        cmocka_unit_test(test_jwt_refuses_tampered_payload),
        cmocka_unit_test(test_jwt_checks_signature_before_claims),
        cmocka_unit_test(test_jwt_refuses_expired_beyond_leeway),
        cmocka_unit_test(test_jwt_accepts_exp_within_leeway),
        cmocka_unit_test(test_jwt_refuses_nbf_in_future),
        cmocka_unit_test(test_jwt_refuses_wrong_issuer),
        cmocka_unit_test(test_jwt_refuses_wrong_audience),
        cmocka_unit_test(test_jwt_accepts_aud_array_containing_audience),
        cmocka_unit_test(test_jwt_accepts_cognito_access_token_by_client_id),
        cmocka_unit_test(test_jwt_refuses_client_id_unless_access_token),
        cmocka_unit_test(test_jwt_checks_token_use),
        cmocka_unit_test(test_jwt_refuses_token_over_8_kib),
        cmocka_unit_test(test_jwt_refuses_not_three_parts),
        cmocka_unit_test(test_jwt_refuses_bad_base64url),
        cmocka_unit_test(test_jwt_refuses_json_that_is_not_an_object),
        cmocka_unit_test(test_jwt_refuses_claims_of_wrong_type),
        cmocka_unit_test(test_jwt_refuses_crit_header),
        cmocka_unit_test(test_jwks_parse_skips_other_keys),
        cmocka_unit_test(test_jwks_parse_refuses_broken_documents),
        cmocka_unit_test(test_jwks_parse_refuses_duplicate_kid_and_skips_short_keys),
        cmocka_unit_test(test_jwks_cache_refetches_on_rotation),
        cmocka_unit_test(
            test_jwks_cache_a_kid_wanted_during_a_fetch_that_brings_it_fetches_nothing),
        cmocka_unit_test(test_jwks_cache_keeps_keys_when_fetch_fails),
        cmocka_unit_test(test_jwks_cache_missing_file_gives_null),
        cmocka_unit_test(test_jwks_cache_refresher_fetches_in_the_background),
        cmocka_unit_test(test_jwks_cache_free_does_not_wait_out_a_slow_source),
        cmocka_unit_test(test_jwks_cache_is_thread_safe),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
