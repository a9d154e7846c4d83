#include "middleware/client.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/num.h"

static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static int is_v4(const uint8_t a[16])
{
    return !memcmp(a, v4_mapped, sizeof(v4_mapped));
}

static int port_ok(const char *s, size_t n)
{
    uint64_t port;

    return n >= 1 && n <= 5 && num_parse_u64(s, n, 65535, &port) == 0;
}

int client_addr_parse(const char *s, size_t n, uint8_t out[16])
{
    const char *colon, *close;

    if (!n)
        return -1;
    if (s[0] == '[') { /* [v6] or [v6]:port (RFC 3986 §3.2.2) */
        if (!(close = memchr(s, ']', n)) || !memchr(s, ':', (size_t)(close - s)))
            return -1;
        if ((size_t)(close + 1 - s) != n &&
            (close[1] != ':' || !port_ok(close + 2, n - (size_t)(close + 2 - s))))
            return -1;
        return cidr_addr_parse(s + 1, (size_t)(close - s - 1), out);
    }
    /* one colon: a.b.c.d:port; more: a bare IPv6 address, which has no
     * room for a port */
    colon = memchr(s, ':', n);
    if (colon && !memchr(colon + 1, ':', n - (size_t)(colon + 1 - s))) {
        if (!port_ok(colon + 1, n - (size_t)(colon + 1 - s)))
            return -1;
        n = (size_t)(colon - s);
    }
    return cidr_addr_parse(s, n, out);
}

static void format_addr(const uint8_t a[16], char *text, size_t textlen)
{
    char t[INET6_ADDRSTRLEN];

    if (!inet_ntop(is_v4(a) ? AF_INET : AF_INET6, is_v4(a) ? a + 12 : a, t, sizeof(t)))
        t[0] = '\0';
    snprintf(text, textlen, "%s", t);
}

static int is_forwarded_for(const http_header *h)
{
    return h->name_len == 15 && !strncasecmp(h->name, "X-Forwarded-For", 15);
}

/* Right to left through one field line's entries. 1 when the walk goes
 * on to the line before, 0 when it ended here. */
static int walk_line(const char *v, size_t n, const cidr_list *trusted, uint8_t addr[16])
{
    while (n) {
        size_t end = n, start;
        uint8_t a[16];
        while (end && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        start = end;
        while (start && v[start - 1] != ',')
            start--;
        n = start ? start - 1 : 0;
        while (start < end && (v[start] == ' ' || v[start] == '\t'))
            start++;
        if (start == end)
            continue; /* an empty element: ignored (RFC 9110 §5.6.1) */
        if (client_addr_parse(v + start, end - start, a) != 0)
            return 0; /* garbage in the chain: trust nothing beyond it */
        memcpy(addr, a, 16);
        if (!cidr_list_contains(trusted, a))
            return 0;
    }
    return 1;
}

void client_address(const http_request *req, const cidr_list *trusted, uint8_t addr[16], char *text,
                    size_t textlen)
{
    memcpy(addr, req->peer, 16);
    /* each hop appends the address it got the request from: the lines from
     * the last, each line from its end */
    if (trusted->n && cidr_list_contains(trusted, req->peer)) {
        for (size_t i = req->nheaders; i-- > 0;) {
            const http_header *h = &req->headers[i];
            if (is_forwarded_for(h) && !walk_line(h->value, h->value_len, trusted, addr))
                break;
        }
    }
    format_addr(addr, text, textlen);
}

size_t client_limit_key(const uint8_t addr[16], int v6_prefix, char out[CLIENT_KEY_MAX])
{
    char t[INET6_ADDRSTRLEN];
    uint8_t a[16];
    int n;

    if (is_v4(addr)) {
        format_addr(addr, t, sizeof(t));
        n = snprintf(out, CLIENT_KEY_MAX, "ip:%s", t);
    } else {
        int bits = v6_prefix < 1 ? 1 : v6_prefix > 128 ? 128 : v6_prefix;
        memcpy(a, addr, 16);
        for (int i = 0; i < 16; i++) {
            int keep = bits - i * 8;
            a[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        }
        format_addr(a, t, sizeof(t));
        n = snprintf(out, CLIENT_KEY_MAX, "ip:%s/%d", t, bits);
    }
    return n < 0 ? 0 : (size_t)n < CLIENT_KEY_MAX ? (size_t)n : CLIENT_KEY_MAX - 1;
}
