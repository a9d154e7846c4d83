#include "util/hash.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/random.h>

int hash_sha256(const void *data, size_t n, unsigned char out[SHA256_LEN])
{
    unsigned int len = 0;

    if (!EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) || len != SHA256_LEN)
        return -1;
    return 0;
}

void hash_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int hash_sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1])
{
    unsigned char d[SHA256_LEN];

    if (hash_sha256(data, n, d) != 0)
        return -1;
    hash_hex(d, SHA256_LEN, out);
    return 0;
}

int hash_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char acc = 0;

    for (size_t i = 0; i < n; i++)
        acc |= x[i] ^ y[i];
    return acc == 0;
}

int hash_random(void *out, size_t n)
{
    unsigned char *p = out;

    while (n) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

uint64_t hash_fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

int hash_hmac_sha256_hex(const void *key, size_t klen, const void *data, size_t n,
                         char out[SHA256_HEX_LEN + 1])
{
    unsigned char mac[SHA256_LEN];
    unsigned int len = 0;

    if (!HMAC(EVP_sha256(), key, (int)klen, data, n, mac, &len) || len != SHA256_LEN)
        return -1;
    hash_hex(mac, SHA256_LEN, out);
    return 0;
}
