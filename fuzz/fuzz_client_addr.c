/* Fuzzes the client address behind trusted proxies and the per-IP limiter
 * key (client_address, client_addr_parse, client_limit_key in
 * src/middleware/client.h).
 *
 * The input is X-Forwarded-For field lines separated by '\n' (each copied
 * to a buffer of its own size, so a read past a line is caught). Checked:
 * an untrusted peer is its own client whatever the lines say; a trusted
 * peer's client is the peer or an address one of the entries names; the
 * client's text parses back to the same 16 bytes; every entry that parses
 * gives the same address in its canonical text, with a port, and (IPv6) in
 * brackets; limiter keys fit, start "ip:", and are one per /prefix network
 * and one per spelling. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "middleware/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cidr_list trusted;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        abort();
    return p;
}

static int is_v4(const uint8_t a[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    return !memcmp(a, mapped, 12);
}

static void text_of(const uint8_t a[16], char *out, size_t n)
{
    if (!inet_ntop(is_v4(a) ? AF_INET : AF_INET6, is_v4(a) ? a + 12 : a, out, (socklen_t)n))
        abort();
}

static void check_key(const uint8_t a[16], int prefix)
{
    char key[CLIENT_KEY_MAX], again[CLIENT_KEY_MAX], text[64];
    uint8_t b[16];
    size_t n = client_limit_key(a, prefix, key);

    if (n != strlen(key) || n >= CLIENT_KEY_MAX || strncmp(key, "ip:", 3))
        abort();
    /* the same address by its text: the same key */
    text_of(a, text, sizeof(text));
    if (client_addr_parse(text, strlen(text), b) != 0 || client_limit_key(b, prefix, again) != n ||
        strcmp(key, again))
        abort();
    /* IPv6: flipping a bit past the prefix keeps the key, one inside it
     * changes it */
    if (!is_v4(a) && prefix >= 1 && prefix <= 128) {
        memcpy(b, a, 16);
        if (prefix < 128) {
            b[15] ^= 1;
            if (client_limit_key(b, prefix, again) != n || strcmp(key, again))
                abort();
        }
        memcpy(b, a, 16);
        b[(prefix - 1) / 8] ^= (uint8_t)(0x80 >> ((prefix - 1) % 8));
        client_limit_key(b, prefix, again);
        if (!strcmp(key, again) && !is_v4(b))
            abort();
    }
}

/* An entry that parses names the same address in every other form. */
static void check_entry(const char *e, size_t n)
{
    char *copy = xmalloc(n), text[64], form[80];
    uint8_t a[16], b[16];
    int ok;

    if (n)
        memcpy(copy, e, n);
    ok = client_addr_parse(copy, n, a) == 0;
    free(copy);
    if (!ok)
        return;
    text_of(a, text, sizeof(text));
    if (client_addr_parse(text, strlen(text), b) != 0 || memcmp(a, b, 16))
        abort();
    snprintf(form, sizeof(form), is_v4(a) ? "%s:65535" : "[%s]:1", text);
    if (client_addr_parse(form, strlen(form), b) != 0 || memcmp(a, b, 16))
        abort();
    if (!is_v4(a)) {
        snprintf(form, sizeof(form), "[%s]", text);
        if (client_addr_parse(form, strlen(form), b) != 0 || memcmp(a, b, 16))
            abort();
    }
    check_key(a, 64);
}

/* Whether some entry of the lines parses to a. */
static int named(const http_request *req, const uint8_t a[16])
{
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *v = req->headers[i].value;
        size_t n = req->headers[i].value_len, s = 0;
        for (size_t k = 0; k <= n; k++) {
            if (k < n && v[k] != ',')
                continue;
            size_t b = s, e = k;
            uint8_t x[16];
            while (b < e && (v[b] == ' ' || v[b] == '\t'))
                b++;
            while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
                e--;
            if (client_addr_parse(v + b, e - b, x) == 0 && !memcmp(x, a, 16))
                return 1;
            s = k + 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static http_request req;
    char *lines[HTTP_MAX_HEADERS];
    char text[CLIENT_TEXT_MAX];
    uint8_t addr[16], back[16];
    size_t nlines = 0, start = 0;

    if (!trusted.n && cidr_list_parse(&trusted, "127.0.0.1, 10.0.0.0/8, 2001:db8::/32") != 0)
        abort();
    memset(&req, 0, sizeof(req));
    for (size_t i = 0; i <= size && nlines < HTTP_MAX_HEADERS; i++) {
        if (i < size && data[i] != '\n')
            continue;
        lines[nlines] = xmalloc(i - start);
        memcpy(lines[nlines], data + start, i - start);
        req.headers[nlines] = (http_header){"X-Forwarded-For", 15, lines[nlines], i - start};
        /* the entries on their own */
        for (size_t s = start, k = start; k <= i; k++) {
            if (k < i && data[k] != ',')
                continue;
            check_entry((const char *)data + s, k - s);
            s = k + 1;
        }
        nlines++;
        start = i + 1;
    }
    req.nheaders = nlines;

    /* an untrusted peer: the lines say nothing */
    cidr_addr_parse("192.0.2.1", 9, req.peer);
    client_address(&req, &trusted, addr, text, sizeof(text));
    if (memcmp(addr, req.peer, 16) || strcmp(text, "192.0.2.1"))
        abort();

    /* a trusted one: the peer, or an address an entry names */
    cidr_addr_parse("127.0.0.1", 9, req.peer);
    client_address(&req, &trusted, addr, text, sizeof(text));
    if (cidr_addr_parse(text, strlen(text), back) != 0 || memcmp(addr, back, 16))
        abort();
    if (memcmp(addr, req.peer, 16) && !named(&req, addr))
        abort();
    check_key(addr, 64);
    check_key(addr, 128);
    check_key(addr, size ? 1 + data[0] % 128 : 48);

    for (size_t i = 0; i < nlines; i++)
        free(lines[i]);
    return 0;
}
