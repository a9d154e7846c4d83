/* cidr.h — lists of IPv4/IPv6 addresses and CIDR blocks, for the blocklist
 * and the trusted proxies.
 *
 * Addresses are kept as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d)
 * so one comparison serves both families.
 * Ownership: a list owns its array; cidr_list_free(). Read-only after parse,
 * so lookups are thread-safe. */
#ifndef TVSHOWS_CIDR_H
#define TVSHOWS_CIDR_H

#include <stddef.h>
#include <stdint.h>

typedef struct cidr {
    uint8_t addr[16];
    uint8_t prefix; /* 0..128 */
} cidr;

typedef struct cidr_list {
    cidr *items;
    size_t n;
} cidr_list;

/* Comma-separated "10.0.0.0/8, 2001:db8::/32, 192.0.2.7". Empty string: empty
 * list. Returns 0 or -1 (the list is then empty). */
int cidr_list_parse(cidr_list *l, const char *text);
void cidr_list_free(cidr_list *l);
int cidr_list_contains(const cidr_list *l, const uint8_t addr[16]);
/* Text form of an address ("192.0.2.7", "2001:db8::1") to 16 bytes. */
int cidr_addr_parse(const char *s, size_t n, uint8_t out[16]);

#endif
