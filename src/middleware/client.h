/* client.h — who the client is, and the key its per-IP budget counts under.
 *
 * The client is the socket peer, or, when the peer is one of TRUSTED_PROXIES
 * (the load balancer), the right-most address in X-Forwarded-For that is not
 * itself a trusted proxy. Every X-Forwarded-For field line counts, joined in
 * order into one list (RFC 9110 §5.3); an entry may carry a port and IPv6
 * brackets ("192.0.2.7:5678", "[2001:db8::1]:443"), and an entry that is not
 * an address ends the walk (nothing beyond it is believed). A header from
 * any other peer is ignored: anybody can send one.
 * Addresses are 16 bytes (IPv4 as ::ffff:a.b.c.d, as in util/cidr.h), so
 * every spelling of one address is one client.
 * Pure functions, thread-safe. */
#ifndef TVSHOWS_CLIENT_H
#define TVSHOWS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "util/cidr.h"

#define CLIENT_TEXT_MAX 48 /* an address as text, with its NUL */
#define CLIENT_KEY_MAX  64 /* a budget key, with its NUL */

/* One X-Forwarded-For entry, without surrounding spaces: an IPv4 or IPv6
 * address, "a.b.c.d:port", "[v6]" or "[v6]:port". 0, or -1 when it is none
 * of these. */
int client_addr_parse(const char *s, size_t n, uint8_t out[16]);
/* The client of req into addr, and its canonical text (dotted quad for
 * IPv4, RFC 5952 for IPv6) into text. */
void client_address(const http_request *req, const cidr_list *trusted, uint8_t addr[16], char *text,
                    size_t textlen);
/* The per-IP budget key of addr: "ip:192.0.2.7", or for IPv6 its first
 * v6_prefix bits (1..128), "ip:2001:db8:1:2::/64": a subscriber gets a /64
 * (RFC 6177), and every address in it is the same client. Returns the
 * length written (out holds CLIENT_KEY_MAX bytes). */
size_t client_limit_key(const uint8_t addr[16], int v6_prefix, char out[CLIENT_KEY_MAX]);

#endif
