#include "util/url.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "util/cidr.h"

#define MASK        "***"
#define SPANS_MAX   8
#define SCRUB_MIN   4 /* shorter secrets are scrubbed only where quoted */
#define SCRUB_LIMIT ((size_t)1 << 20)

typedef struct span {
    size_t at, len;
} span;

int url_host_is_loopback(const char *host)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    char bare[64];
    size_t n = strlen(host);
    uint8_t a[16];

    if (!strcasecmp(host, "localhost"))
        return 1;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n >= sizeof(bare))
        return 0;
    memcpy(bare, host, n);
    bare[n] = '\0';
    if (cidr_addr_parse(bare, n, a) != 0)
        return 0;
    /* 127.0.0.0/8, which cidr keeps IPv4-mapped, or ::1 */
    return (a[10] == 0xff && a[11] == 0xff && a[12] == 127 && !memcmp(a, v6_loopback, 10)) ||
           !memcmp(a, v6_loopback, 16);
}

/* curl's own parser reads the URL, so the scheme and host judged here are
 * the ones curl will connect to. */
int url_is_secure(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = 0;

    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto done;
    ok = !strcmp(scheme, "https") || (!strcmp(scheme, "http") && url_host_is_loopback(host));
done:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static int name_is_password(const char *p, size_t n)
{
    static const char word[] = "password";
    size_t wl = sizeof(word) - 1;

    for (size_t i = 0; i + wl <= n; i++)
        if (!strncasecmp(p + i, word, wl))
            return 1;
    return 0;
}

/* The secret parts of url, in order: the password of the userinfo (the
 * whole userinfo when it is a lone password: redis://secret@host, or a
 * value without "://" that may have lost its scheme), then the values of
 * password parameters. The userinfo ends at the last '@', so a password
 * with an unencoded '@' or '/' is hidden whole. */
static size_t secret_spans(const char *u, span *out)
{
    const char *sep = strstr(u, "://"), *at, *q;
    size_t start = sep ? (size_t)(sep - u) + 3 : 0, rest = start, n = 0;
    int redis = !strncmp(u, "redis://", 8) || !strncmp(u, "rediss://", 9);

    if ((at = strrchr(u + start, '@'))) {
        size_t ai = (size_t)(at - u);
        const char *colon = memchr(u + start, ':', ai - start);
        if (colon)
            out[n++] = (span){(size_t)(colon - u) + 1, ai - (size_t)(colon - u) - 1};
        else if (redis || !sep)
            out[n++] = (span){start, ai - start};
        rest = ai + 1;
    }
    for (q = strchr(u + rest, '?'); q && n < SPANS_MAX;) {
        const char *p = q + 1, *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq && name_is_password(p, (size_t)(eq - p)))
            out[n++] = (span){(size_t)(eq + 1 - u), (size_t)(end - eq - 1)};
        q = amp;
    }
    /* an empty password has nothing to hide */
    for (size_t i = 0; i < n;) {
        if (out[i].len == 0)
            memmove(&out[i], &out[i + 1], (--n - i) * sizeof(*out));
        else
            i++;
    }
    return n;
}

void url_redact(const char *url, char *out, size_t outlen)
{
    span s[SPANS_MAX];
    size_t n = secret_spans(url, s), from = 0;
    buf b;

    if (!outlen)
        return;
    buf_init(&b, SCRUB_LIMIT);
    for (size_t i = 0; i < n; i++) {
        buf_append(&b, url + from, s[i].at - from);
        buf_puts(&b, MASK);
        from = s[i].at + s[i].len;
    }
    buf_puts(&b, url + from);
    snprintf(out, outlen, "%s", b.data ? b.data : "");
    buf_free(&b);
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static char *percent_decoded(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t o = 0;

    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        int hi = i + 2 < n && s[i] == '%' ? hex_value(s[i + 1]) : -1;
        int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
        if (lo >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Finds, from p on, the next span to rewrite: its start (NULL: none),
 * its length in *n and its replacement in *with. */
typedef const char *(*span_finder)(const char *p, size_t *n, const char **with, const void *ud);

/* s with every span the finder finds rewritten, in a new string (NULL: no
 * memory). */
static char *rewritten(const char *s, span_finder find, const void *ud)
{
    const char *p = s, *hit, *with;
    size_t n;
    buf b;

    buf_init(&b, SCRUB_LIMIT);
    while ((hit = find(p, &n, &with, ud))) {
        if (buf_append(&b, p, (size_t)(hit - p)) != 0 || buf_puts(&b, with) != 0)
            goto fail;
        p = hit + n;
    }
    if (buf_puts(&b, p) != 0 || !b.data)
        goto fail;
    return buf_detach(&b);
fail:
    buf_free(&b);
    return NULL;
}

typedef struct swap {
    const char *what, *with;
} swap;

static const char *find_text(const char *p, size_t *n, const char **with, const void *ud)
{
    const swap *sw = ud;

    *n = strlen(sw->what);
    *with = sw->with;
    return *n ? strstr(p, sw->what) : NULL;
}

static char *replaced(const char *s, const char *what, const char *with)
{
    swap sw = {what, with};

    return rewritten(s, find_text, &sw);
}

typedef struct secret_set {
    char *const *secrets;
    size_t n;
} secret_set;

static int piece_of(const char *token, size_t tn, const secret_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        const char *sec = set->secrets[i];
        size_t sl = strlen(sec);
        if (memmem(sec, sl, token, tn) || (sl && memmem(token, tn, sec, sl)))
            return 1;
    }
    return 0;
}

/* The next "quoted" token that is a piece of a secret: the span is the
 * token and its closing quote, so the search goes on past the pair. */
static const char *find_quoted_secret(const char *p, size_t *n, const char **with, const void *ud)
{
    const char *open, *close;

    *with = MASK "\"";
    for (; (open = strchr(p, '"')) && (close = strchr(open + 1, '"')); p = close + 1) {
        size_t tn = (size_t)(close - open - 1);
        if (tn && piece_of(open + 1, tn, ud)) {
            *n = tn + 1;
            return open + 1;
        }
    }
    return NULL;
}

void url_scrub(char *msg, size_t cap, const char *url)
{
    span s[SPANS_MAX];
    char *secrets[2 * SPANS_MAX], redacted[1024], *text = NULL, *next;
    size_t n, ns = 0;

    if (!msg || !cap || !url || !(n = secret_spans(url, s)))
        return;
    for (size_t i = 0; i < n; i++) {
        if (!(secrets[ns] = strndup(url + s[i].at, s[i].len)))
            goto fail;
        ns++;
        if (!(secrets[ns] = percent_decoded(url + s[i].at, s[i].len)))
            goto fail;
        ns++;
    }
    url_redact(url, redacted, sizeof(redacted));
    if (!(text = replaced(msg, url, redacted)))
        goto fail;
    for (size_t i = 0; i < ns; i++) {
        size_t sl = strlen(secrets[i]);
        if (sl < SCRUB_MIN)
            continue;
        if (!(next = replaced(text, secrets[i], MASK)))
            goto fail;
        free(text);
        text = next;
    }
    if (!(next = rewritten(text, find_quoted_secret, &(secret_set){secrets, ns})))
        goto fail;
    free(text);
    text = next;
    snprintf(msg, cap, "%s", text);
    goto done;
fail:
    /* better no message than one that may hold the secret */
    snprintf(msg, cap, "(message withheld: out of memory)");
done:
    free(text);
    for (size_t i = 0; i < ns; i++)
        free(secrets[i]);
}
