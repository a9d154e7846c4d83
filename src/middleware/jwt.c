#include "middleware/jwt.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define RSA_MIN_BITS 2048  /* shorter keys are skipped: they can be factored */
#define RSA_MAX_BITS 16384 /* OpenSSL's own limit for RSA moduli */

typedef struct jwk {
    char *kid;
    EVP_PKEY *pkey;
} jwk;

struct jwks {
    jwk *keys;
    size_t n;
    long refs; /* references handed out by a jwks_cache (jwks_refs_add) */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- base64url ---- */

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Strict base64url without padding (RFC 7515 §2, RFC 4648 §5): only the
 * URL-safe alphabet, no '=', and the unused low bits of the last character
 * zero, so a byte string has exactly one encoding. out needs n * 3 / 4
 * bytes. Returns 0 and the decoded length in *outlen, or -1. */
static int b64url_decode(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;

    if (n % 4 == 1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value((unsigned char)s[i]);

        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return -1;
    *outlen = o;
    return 0;
}

/* A base64url member of a JWK as a big number; NULL when absent or bad. */
static BIGNUM *bignum_of(const json_t *key, const char *name)
{
    const json_t *v = json_object_get(key, name);
    unsigned char *raw = NULL;
    BIGNUM *bn = NULL;
    size_t len, n;

    if (!json_is_string(v) || !(len = json_string_length(v)))
        goto done;
    if (!(raw = malloc(len * 3 / 4 + 1)))
        goto done;
    if (b64url_decode(json_string_value(v), len, raw, &n) != 0 || n == 0 || n > INT32_MAX)
        goto done;
    bn = BN_bin2bn(raw, (int)n, NULL);
done:
    free(raw);
    return bn;
}

/* ---- key sets ---- */

/* An RSA public key from its JWK members (RFC 7518 §6.3.1). Returns 0,
 * 1 when the key is too short to trust (skipped), or -1 with a message. */
static int rsa_key_of(const json_t *key, EVP_PKEY **out, char *why, size_t whylen)
{
    BIGNUM *n = bignum_of(key, "n"), *e = bignum_of(key, "e");
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    int rc = -1;

    *out = NULL;
    if (!n || !e) {
        set_err(why, whylen, "\"n\" and \"e\" must be base64url numbers");
        goto done;
    }
    if (BN_num_bits(n) > RSA_MAX_BITS || !BN_is_odd(n)) {
        set_err(why, whylen, "\"n\" is not an RSA modulus");
        goto done;
    }
    /* e = 1 would make every signature valid; OpenSSL refuses e over 64 bits */
    if (!BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 64) {
        set_err(why, whylen, "\"e\" is not a usable RSA exponent");
        goto done;
    }
    if (BN_num_bits(n) < RSA_MIN_BITS) {
        rc = 1;
        goto done;
    }
    if (!(bld = OSSL_PARAM_BLD_new()) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)) ||
        !(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
        EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        set_err(why, whylen, "OpenSSL refused the key");
        goto done;
    }
    rc = 0;
done:
    if (rc != 0)
        ERR_clear_error();
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return rc;
}

/* An optional string member: absent is fine, otherwise it must be want. */
static int absent_or(const json_t *obj, const char *name, const char *want)
{
    const json_t *v = json_object_get(obj, name);

    return !v || (json_is_string(v) && !strcmp(json_string_value(v), want));
}

/* RFC 7517 §4: a key for RS256 signatures; anything else in the set (EC
 * keys, encryption keys, other algorithms) is not ours to use. */
static int is_rs256_verify_key(const json_t *key)
{
    const json_t *ops = json_object_get(key, "key_ops"), *op;
    size_t i;
    const char *kty = json_string_value(json_object_get(key, "kty"));

    if (!kty || strcmp(kty, "RSA") || !absent_or(key, "use", "sig") ||
        !absent_or(key, "alg", "RS256") || !json_is_string(json_object_get(key, "kid")))
        return 0;
    if (!ops)
        return 1;
    json_array_foreach(ops, i, op)
    {
        if (json_is_string(op) && !strcmp(json_string_value(op), "verify"))
            return 1;
    }
    return 0;
}

/* Adds the key at index if it is one to verify RS256 with: 0 when added or
 * skipped, -1 with a message when it is broken. */
static int add_key(jwks *k, const json_t *key, size_t index, char *err, size_t errlen)
{
    char why[128];
    const char *kid;
    EVP_PKEY *pkey = NULL;
    int rc = -1, made;

    if (!json_is_object(key)) {
        set_err(err, errlen, "key %zu is not an object", index);
        goto done;
    }
    if (!is_rs256_verify_key(key)) {
        rc = 0;
        goto done;
    }
    /* is_rs256_verify_key: kid is a string */
    if (!(kid = json_string_value(json_object_get(key, "kid"))) || jwks_has_kid(k, kid)) {
        /* a token's kid must name one key */
        set_err(err, errlen, "key %zu: kid \"%.64s\" appears twice", index, kid);
        goto done;
    }
    made = rsa_key_of(key, &pkey, why, sizeof(why));
    if (made < 0) {
        set_err(err, errlen, "key %zu (kid \"%.64s\"): %s", index, kid, why);
        goto done;
    }
    if (made > 0) {
        rc = 0;
        goto done;
    }
    if (!(k->keys[k->n].kid = strdup(kid))) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    k->keys[k->n++].pkey = pkey;
    pkey = NULL;
    rc = 0;
done:
    EVP_PKEY_free(pkey);
    return rc;
}

int jwks_parse(const char *json, size_t n, jwks **out, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root, *list, *key;
    jwks *k = NULL;
    size_t i;
    int rc = -1;

    *out = NULL;
    set_err(err, errlen, "%s", "");
    root = json_loadb(json ? json : "", json ? n : 0, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        set_err(err, errlen, "not valid JSON (%s at line %d, column %d)", jerr.text, jerr.line,
                jerr.column);
        goto done;
    }
    list = json_object_get(root, "keys");
    if (!json_is_array(list)) {
        set_err(err, errlen, "expected an object with a \"keys\" array");
        goto done;
    }
    if (!(k = calloc(1, sizeof(*k))) ||
        !(k->keys = calloc(json_array_size(list) + 1, sizeof(*k->keys)))) {
        set_err(err, errlen, "out of memory");
        goto done;
    }
    json_array_foreach(list, i, key)
    {
        if (add_key(k, key, i, err, errlen) != 0)
            goto done;
    }
    *out = k;
    k = NULL;
    rc = 0;
done:
    jwks_free(k);
    json_decref(root);
    return rc;
}

void jwks_free(jwks *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->keys[i].kid);
        EVP_PKEY_free(k->keys[i].pkey);
    }
    free(k->keys);
    free(k);
}

size_t jwks_count(const jwks *k)
{
    return k ? k->n : 0;
}

static const jwk *key_by_kid(const jwks *k, const char *kid)
{
    for (size_t i = 0; k && kid && i < k->n; i++) {
        if (!strcmp(k->keys[i].kid, kid))
            return &k->keys[i];
    }
    return NULL;
}

long jwks_refs_add(jwks *k, long delta)
{
    return k->refs += delta;
}

int jwks_has_kid(const jwks *k, const char *kid)
{
    return key_by_kid(k, kid) != NULL;
}

/* ---- tokens ---- */

static void copy_out(char *dst, size_t len, const char *src)
{
    if (dst && len)
        snprintf(dst, len, "%s", src ? src : "");
}

/* A JSON object from base64url-decoded bytes; NULL when it is not one.
 * Duplicate members are refused: two "alg" or two "exp" would let a
 * reader other than us see a different token (RFC 7515 §5.2). */
static json_t *object_of(const unsigned char *p, size_t n, size_t flags)
{
    json_t *v = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | flags, NULL);

    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3) over "header.payload". */
static int signature_ok(EVP_PKEY *pkey, const char *signed_part, size_t n, const unsigned char *sig,
                        size_t siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = 0;

    if (!md)
        goto done;
    if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
        goto done;
    ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)signed_part, n) == 1;
done:
    if (!ok)
        ERR_clear_error(); /* a failed verify leaves errors on this thread's queue */
    EVP_MD_CTX_free(md);
    return ok;
}

static int absent_or_type(const json_t *claims, const char *name, int (*is)(const json_t *))
{
    const json_t *v = json_object_get(claims, name);

    return !v || is(v);
}

static int is_number(const json_t *v)
{
    return json_is_number(v);
}

static int is_string(const json_t *v)
{
    return json_is_string(v);
}

/* "aud" is a string or an array of strings (RFC 7519 §4.1.3). */
static int is_audience(const json_t *v)
{
    const json_t *item;
    size_t i;

    if (json_is_string(v))
        return 1;
    if (!json_is_array(v))
        return 0;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return 0;
    }
    return 1;
}

static int claim_types_ok(const json_t *c)
{
    return is_number(json_object_get(c, "exp")) && absent_or_type(c, "nbf", is_number) &&
           absent_or_type(c, "iat", is_number) && absent_or_type(c, "iss", is_string) &&
           absent_or_type(c, "sub", is_string) && absent_or_type(c, "aud", is_audience) &&
           absent_or_type(c, "token_use", is_string) && absent_or_type(c, "client_id", is_string);
}

static int aud_contains(const json_t *claims, const char *want)
{
    const json_t *aud = json_object_get(claims, "aud"), *item;
    size_t i;

    if (json_is_string(aud))
        return !strcmp(json_string_value(aud), want);
    json_array_foreach(aud, i, item)
    {
        if (!strcmp(json_string_value(item), want))
            return 1;
    }
    return 0;
}

/* Cognito marks what a token is for with "token_use": "id" tokens name the
 * app client in "aud"; "access" tokens have no "aud" and name it in
 * "client_id" (so client_id is trusted only on those); a token without the
 * claim (another issuer) is judged by "aud" alone. */
static int audience_ok(const json_t *claims, const char *want)
{
    const char *use = json_string_value(json_object_get(claims, "token_use"));
    const char *client = json_string_value(json_object_get(claims, "client_id"));

    if (use && !strcmp(use, "access"))
        return client && !strcmp(client, want);
    return aud_contains(claims, want);
}

/* Only ID and access tokens open the API: a refresh token (or anything a
 * provider may add later) is not a credential for it. */
static int token_use_ok(const json_t *claims)
{
    const char *use = json_string_value(json_object_get(claims, "token_use"));

    return !use || !strcmp(use, "id") || !strcmp(use, "access");
}

/* Time and the expected issuer and audience, once the signature is known
 * to be good. */
static jwt_result claims_verdict(const json_t *claims, const jwt_expect *e)
{
    const json_t *nbf = json_object_get(claims, "nbf");
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    double now = (double)e->now, leeway = e->leeway_s > 0 ? e->leeway_s : 0;

    /* RFC 7519 §4.1.4: valid strictly before exp; §4.1.5: from nbf on */
    if (now - leeway >= json_number_value(json_object_get(claims, "exp")))
        return JWT_EXPIRED;
    if (nbf && now + leeway < json_number_value(nbf))
        return JWT_NOT_YET_VALID;
    if (e->issuer && *e->issuer && (!iss || strcmp(iss, e->issuer)))
        return JWT_BAD_ISSUER;
    if (!token_use_ok(claims))
        return JWT_BAD_TOKEN_USE;
    if (e->audience && *e->audience && !audience_ok(claims, e->audience))
        return JWT_BAD_AUDIENCE;
    return JWT_OK;
}

jwt_result jwt_verify(const char *token, size_t n, const jwks *keys, const jwt_expect *e, char *kid,
                      size_t kid_len, char *subject, size_t subject_len)
{
    /* the three decoded parts together are shorter than the token */
    unsigned char raw[JWT_MAX_LEN];
    const char *dot1, *dot2, *alg, *kid_value, *sub;
    size_t hlen, plen, slen;
    json_t *header = NULL, *claims = NULL;
    const jwk *key;
    jwt_result r = JWT_MALFORMED;

    copy_out(kid, kid_len, "");
    copy_out(subject, subject_len, "");
    if (n > JWT_MAX_LEN) {
        r = JWT_TOO_LARGE;
        goto done;
    }
    if (!token || !e || !n)
        goto done;
    /* JWS compact serialisation (RFC 7515 §7.1): header.payload.signature */
    if (!(dot1 = memchr(token, '.', n)) ||
        !(dot2 = memchr(dot1 + 1, '.', n - (size_t)(dot1 + 1 - token))) ||
        memchr(dot2 + 1, '.', n - (size_t)(dot2 + 1 - token)) || dot1 == token || dot2 == dot1 + 1)
        goto done;
    if (b64url_decode(token, (size_t)(dot1 - token), raw, &hlen) != 0 ||
        b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), raw + hlen, &plen) != 0 ||
        b64url_decode(dot2 + 1, n - (size_t)(dot2 + 1 - token), raw + hlen + plen, &slen) != 0)
        goto done;
    if (!(header = object_of(raw, hlen, 0)) ||
        !(claims = object_of(raw + hlen, plen, JSON_DECODE_INT_AS_REAL)))
        goto done;
    /* RFC 8725 §3.1: the algorithm is ours to choose, never the token's */
    alg = json_string_value(json_object_get(header, "alg"));
    if (!alg || strcmp(alg, "RS256")) {
        r = JWT_BAD_ALG;
        goto done;
    }
    /* RFC 7515 §4.1.11: extensions marked critical that we do not know
     * (we know none) make the token invalid */
    if (json_object_get(header, "crit"))
        goto done;
    if (!(kid_value = json_string_value(json_object_get(header, "kid"))))
        goto done;
    copy_out(kid, kid_len, kid_value);
    if (!(key = key_by_kid(keys, kid_value))) {
        r = JWT_UNKNOWN_KID;
        goto done;
    }
    if (!signature_ok(key->pkey, token, (size_t)(dot2 - token), raw + hlen + plen, slen)) {
        r = JWT_BAD_SIGNATURE;
        goto done;
    }
    if (!claim_types_ok(claims))
        goto done;
    sub = json_string_value(json_object_get(claims, "sub"));
    copy_out(subject, subject_len,
             sub ? sub : json_string_value(json_object_get(claims, "client_id")));
    r = claims_verdict(claims, e);
done:
    json_decref(header);
    json_decref(claims);
    return r;
}

const char *jwt_result_text(jwt_result r)
{
    switch (r) {
    case JWT_OK:
        return "ok";
    case JWT_TOO_LARGE:
        return "token too large";
    case JWT_MALFORMED:
        return "malformed token";
    case JWT_BAD_ALG:
        return "algorithm not allowed";
    case JWT_UNKNOWN_KID:
        return "unknown key id";
    case JWT_BAD_SIGNATURE:
        return "bad signature";
    case JWT_EXPIRED:
        return "expired";
    case JWT_NOT_YET_VALID:
        return "not yet valid";
    case JWT_BAD_ISSUER:
        return "wrong issuer";
    case JWT_BAD_AUDIENCE:
        return "wrong audience";
    case JWT_BAD_TOKEN_USE:
        return "token_use not allowed";
    }
    return "unknown";
}
