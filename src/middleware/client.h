/* client.h — who the client is: the socket peer, or, when the peer is one
 * of TRUSTED_PROXIES (the load balancer), the right-most address in
 * X-Forwarded-For that is not itself a trusted proxy. A header from any
 * other peer is ignored: anybody can send one. Pure function. */
#ifndef TVSHOWS_CLIENT_H
#define TVSHOWS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "util/cidr.h"

void client_address(const http_request *req, const cidr_list *trusted, uint8_t addr[16], char *text,
                    size_t textlen);

#endif
