/* Fuzzes token verification and key-set parsing (src/middleware/jwt.h).
 *
 * One RSA key is made at start-up and published as the key set, under the
 * kid "fuzz" the seed tokens name. The input is verified as a token against
 * that set, where nothing may ever pass (the private key never leaves this
 * process, so JWT_OK would be a forgery), and it is parsed as a key set,
 * which then verifies a fixed token signed with the start-up key. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "middleware/jwt.h"

#define NOW 1750000000LL

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jwks *keys;
static char *signed_token; /* RS256 with the start-up key, kid "fuzz" */

static char *b64url(const unsigned char *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(n * 4 / 3 + 4), *o = out;
    size_t i;

    if (!out)
        abort();
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

static char *param_b64(EVP_PKEY *pkey, const char *name)
{
    unsigned char raw[1024];
    BIGNUM *bn = NULL;
    int n;

    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1 || BN_num_bytes(bn) > (int)sizeof(raw))
        abort();
    n = BN_bn2bin(bn, raw);
    BN_free(bn);
    return b64url(raw, (size_t)n);
}

static char *sign(EVP_PKEY *pkey, const char *header, const char *claims)
{
    char *h = b64url((const unsigned char *)header, strlen(header));
    char *c = b64url((const unsigned char *)claims, strlen(claims));
    char input[2048], *sig64, *out;
    unsigned char sig[1024];
    size_t siglen = sizeof(sig), len;
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    snprintf(input, sizeof(input), "%s.%s", h, c);
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, strlen(input)) != 1)
        abort();
    EVP_MD_CTX_free(md);
    sig64 = b64url(sig, siglen);
    len = strlen(input) + strlen(sig64) + 2;
    if (!(out = malloc(len)))
        abort();
    snprintf(out, len, "%s.%s", input, sig64);
    free(h);
    free(c);
    free(sig64);
    return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *n, *e, doc[2048], err[256];

    (void)argc;
    (void)argv;
    if (!pkey)
        abort();
    n = param_b64(pkey, OSSL_PKEY_PARAM_RSA_N);
    e = param_b64(pkey, OSSL_PKEY_PARAM_RSA_E);
    snprintf(doc, sizeof(doc),
             "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"fuzz\",\"use\":\"sig\",\"alg\":\"RS256\","
             "\"n\":\"%s\",\"e\":\"%s\"}]}",
             n, e);
    if (jwks_parse(doc, strlen(doc), &keys, err, sizeof(err)) != 0 || jwks_count(keys) != 1) {
        fprintf(stderr, "fuzz_jwt: %s\n", err);
        abort();
    }
    signed_token = sign(pkey, "{\"alg\":\"RS256\",\"kid\":\"fuzz\"}",
                        "{\"sub\":\"fuzz\",\"aud\":\"client\",\"exp\":1750003600}");
    free(n);
    free(e);
    EVP_PKEY_free(pkey);
    return 0;
}

/* An output buffer must hold a NUL-terminated string. */
static void check_string(const char *s, size_t cap)
{
    if (!memchr(s, '\0', cap))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    jwt_expect e = {"https://issuer.example", "client", NOW, 60};
    char kid[64], sub[64], err[256];
    jwks *parsed = NULL;
    jwt_result r;

    memset(kid, 'x', sizeof(kid));
    memset(sub, 'x', sizeof(sub));
    r = jwt_verify(in, size, keys, &e, kid, sizeof(kid), sub, sizeof(sub));
    if (r == JWT_OK || (int)r < JWT_OK || r > JWT_BAD_AUDIENCE)
        abort();
    if ((size > JWT_MAX_LEN) != (r == JWT_TOO_LARGE))
        abort();
    check_string(kid, sizeof(kid));
    check_string(sub, sizeof(sub));
    if (!jwt_result_text(r))
        abort();
    /* an audience that is not checked, and no key set at all */
    e.audience = NULL;
    e.issuer = NULL;
    if (jwt_verify(in, size, keys, &e, NULL, 0, NULL, 0) == JWT_OK)
        abort();
    if (jwt_verify(in, size, NULL, &e, kid, 1, sub, 1) == JWT_OK)
        abort();

    err[0] = '\0';
    if (jwks_parse(in, size, &parsed, err, sizeof(err)) == 0) {
        e.now = NOW;
        if (!parsed)
            abort();
        for (size_t i = 0; i < jwks_count(parsed); i++)
            (void)jwks_has_kid(parsed, "fuzz");
        r = jwt_verify(signed_token, strlen(signed_token), parsed, &e, NULL, 0, sub, sizeof(sub));
        if (r == JWT_OK && !jwks_has_kid(parsed, "fuzz"))
            abort();
        jwks_free(parsed);
    } else {
        if (parsed || !err[0])
            abort();
    }
    return 0;
}
