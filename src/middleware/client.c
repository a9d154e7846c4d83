#include "middleware/client.h"

#include <stdio.h>
#include <string.h>

void client_address(const http_request *req, const cidr_list *trusted, uint8_t addr[16], char *text,
                    size_t textlen)
{
    const char *xff;
    size_t n;

    memcpy(addr, req->peer, 16);
    snprintf(text, textlen, "%s", req->peer_text);
    if (!trusted->n || !cidr_list_contains(trusted, req->peer) ||
        !(xff = http_request_header(req, "X-Forwarded-For", &n)))
        return;
    /* right to left: each hop appends the address it got the request from */
    while (n) {
        size_t end = n, start;
        uint8_t a[16];
        while (end && (xff[end - 1] == ' ' || xff[end - 1] == '\t'))
            end--;
        start = end;
        while (start && xff[start - 1] != ',')
            start--;
        n = start ? start - 1 : 0;
        while (start < end && (xff[start] == ' ' || xff[start] == '\t'))
            start++;
        if (cidr_addr_parse(xff + start, end - start, a) != 0)
            return; /* garbage in the chain: trust nothing beyond it */
        memcpy(addr, a, 16);
        snprintf(text, textlen, "%.*s", (int)(end - start), xff + start);
        if (!cidr_list_contains(trusted, a))
            return;
    }
}
