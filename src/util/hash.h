/* hash.h — digests, randomness and comparisons that must not leak timing.
 *
 * SHA-256 comes from OpenSSL (EVP); random bytes from getrandom(2).
 * All functions are thread-safe. hash_sha256* return 0, or -1 when OpenSSL
 * fails (out of memory). */
#ifndef TVSHOWS_HASH_H
#define TVSHOWS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN     32
#define SHA256_HEX_LEN 64

int hash_sha256(const void *data, size_t n, unsigned char out[SHA256_LEN]);
int hash_sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1]);
void hash_hex(const unsigned char *in, size_t n, char *out); /* out: 2n+1 bytes */
/* HMAC-SHA256 of data under key, in hex (signing webhook deliveries). */
int hash_hmac_sha256_hex(const void *key, size_t klen, const void *data, size_t n,
                         char out[SHA256_HEX_LEN + 1]);
/* Constant-time equality of two equal-length byte strings. */
int hash_ct_equal(const void *a, const void *b, size_t n);
int hash_random(void *out, size_t n);
/* FNV-1a, for hash tables of our own (not for secrets). */
uint64_t hash_fnv1a(const void *data, size_t n);

#endif
