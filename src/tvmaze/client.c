#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tvmaze/tvmaze.h"
#include "util/backoff.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/num.h"
#include "util/trace.h"
#include "util/url.h"

#define RETRY_AFTER_CAP_MS 300000

struct tvmaze_client {
    CURL *curl;
    char *base_url;
    tvmaze_options opt;
    char retry_after[64];
    char user_agent[96];
    int over_cap;     /* the answer outgrew the caller's buffer */
    long last_status; /* of the last answer; 0: none */
};

/* 127.0.0.0/8, ::1 and localhost: plain http never leaves the machine. */
static int host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    char inner[64];
    size_t n = strlen(host);

    if (!strcasecmp(host, "localhost") || !strcasecmp(host, "localhost."))
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (n > 2 && n < sizeof(inner) + 2 && host[0] == '[' && host[n - 1] == ']') {
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        return inet_pton(AF_INET6, inner, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return 0;
}

int tvmaze_url_check(const char *url, char *why, size_t whylen)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int rc = -1;

    if (!u) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        (!strcmp(scheme, "https") || (!strcmp(scheme, "http") && host_is_loopback(host))))
        rc = 0;
    else
        snprintf(why, whylen, "must be an https:// URL (plain http only to a loopback host)");
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int64_t tvmaze_retry_after_ms(const char *value, int64_t now_s, int64_t cap_ms)
{
    uint64_t secs;
    size_t n;
    time_t when;

    if (!value)
        return -1;
    while (*value == ' ')
        value++;
    n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\r' || value[n - 1] == '\n'))
        n--;
    if (!n)
        return -1;
    if (num_parse_u64(value, n, UINT64_MAX / 2000, &secs) == 0)
        return (int64_t)secs * 1000 > cap_ms ? cap_ms : (int64_t)secs * 1000;
    when = curl_getdate(value, NULL); /* RFC 9110 §10.2.3: an HTTP-date */
    if (when < 0)
        return -1;
    if (when <= now_s)
        return 0;
    return (when - now_s) * 1000 > cap_ms ? cap_ms : (when - now_s) * 1000;
}

typedef struct sink {
    tvmaze_client *c;
    buf *out;
} sink;

/* The caller's buffer caps the answer: past it the transfer stops (a short
 * write aborts it) instead of growing without bound. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;

    if (buf_append(s->out, p, n) == 0)
        return n;
    s->c->over_cap = 1;
    return 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    tvmaze_client *c = ud;
    size_t n = size * nmemb;

    if (n > 12 && !strncasecmp(p, "Retry-After:", 12)) {
        size_t v = n - 12 < sizeof(c->retry_after) - 1 ? n - 12 : sizeof(c->retry_after) - 1;
        memcpy(c->retry_after, p + 12, v);
        c->retry_after[v] = '\0';
    }
    return n;
}

/* libcurl calls this while a transfer runs: a non-zero return aborts it,
 * so a shutting-down worker does not wait out a 30 s timeout. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    const tvmaze_client *c = ud;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return c->opt.abort && *c->opt.abort;
}

tvmaze_client *tvmaze_client_new(const tvmaze_options *opt)
{
    tvmaze_client *c = calloc(1, sizeof(*c));

    if (!c || !(c->base_url = strdup(opt->base_url)) || !(c->curl = curl_easy_init())) {
        tvmaze_client_free(c);
        return NULL;
    }
    c->opt = *opt;
    if (!c->opt.connect_timeout_ms)
        c->opt.connect_timeout_ms = 5000;
    if (!c->opt.timeout_ms)
        c->opt.timeout_ms = 30000;
    if (!c->opt.backoff_base_ms)
        c->opt.backoff_base_ms = 1000;
    if (!c->opt.backoff_cap_ms)
        c->opt.backoff_cap_ms = 60000;
    /* drop a trailing slash so paths join cleanly */
    for (size_t n = strlen(c->base_url); n && c->base_url[n - 1] == '/'; n--)
        c->base_url[n - 1] = '\0';
    snprintf(c->user_agent, sizeof(c->user_agent), "tvshows/%s (TV schedule importer; libcurl)",
             TVSHOWS_VERSION);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)c->opt.connect_timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)c->opt.timeout_ms);
    curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c->curl, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    /* a redirect is followed to https only: never from https down to http,
     * and a loopback http base never sends the importer to a plain-http host */
    curl_easy_setopt(c->curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    /* TVmaze asks clients not to keep more than one idle connection */
    curl_easy_setopt(c->curl, CURLOPT_MAXCONNECTS, 1L);
    curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
    curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
    return c;
}

void tvmaze_client_free(tvmaze_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->base_url);
    free(c);
}

static int interrupted(const tvmaze_client *c)
{
    return (c->opt.abort && *c->opt.abort) || (c->opt.interrupt && *c->opt.interrupt);
}

/* Sleeps ms in slices, so that a shutdown is noticed; -1 when it was. */
static int pause_ms(const tvmaze_client *c, int64_t ms)
{
    while (ms > 0 && !interrupted(c)) {
        int64_t slice = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
    return interrupted(c) ? -1 : 0;
}

/* What to do with one attempt's outcome. */
typedef enum { ATTEMPT_DONE, ATTEMPT_RETRY, ATTEMPT_FAIL, ATTEMPT_UNREACHABLE } attempt_verdict;

/* Nothing answered: the name did not resolve, the connection was refused,
 * or connecting timed out (no connection was made before the timeout). */
static int nothing_answered(CURL *curl, CURLcode cc)
{
    curl_off_t connect_us = 0;

    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return 1;
    case CURLE_OPERATION_TIMEDOUT:
        return curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME_T, &connect_us) == CURLE_OK &&
               connect_us == 0;
    default:
        return 0;
    }
}

static attempt_verdict judge(const tvmaze_client *c, CURLcode cc, long status, const buf *out,
                             char *err, size_t errlen, const char *path)
{
    if (c->over_cap) {
        snprintf(err, errlen, "GET %s: the answer is larger than %zu MiB", path, out->cap >> 20);
        return ATTEMPT_FAIL;
    }
    if (cc == CURLE_UNSUPPORTED_PROTOCOL && status >= 300 && status < 400) {
        snprintf(err, errlen,
                 "GET %s: HTTP %ld redirects to a plain http URL (only https is followed)", path,
                 status);
        return ATTEMPT_FAIL;
    }
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "GET %s: %s", path, curl_easy_strerror(cc));
        if (nothing_answered(c->curl, cc))
            return ATTEMPT_UNREACHABLE;
        switch (cc) {
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_BAD_CONTENT_ENCODING:
            return ATTEMPT_RETRY;
        default:
            return ATTEMPT_FAIL;
        }
    }
    if (status == 200)
        return ATTEMPT_DONE;
    /* TVmaze answers a day with nothing on it with [], never 404: a 404 is a
     * wrong TVMAZE_BASE_URL or path, and must not read as an empty day */
    if (status == 404)
        snprintf(err, errlen, "GET %s: HTTP 404 (check TVMAZE_BASE_URL)", path);
    else
        snprintf(err, errlen, "GET %s: HTTP %ld", path, status);
    if (status == 429 || status >= 500)
        return ATTEMPT_RETRY;
    return ATTEMPT_FAIL;
}

static int get_with_retries(tvmaze_client *c, const char *path_query, buf *out, tvmaze_stats *stats,
                            char *err, size_t errlen)
{
    char url[2048];
    uint32_t rnd;
    sink s = {c, out};

    snprintf(url, sizeof(url), "%s%s", c->base_url, path_query);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &s);
    c->last_status = 0;
    for (int attempt = 0;; attempt++) {
        long status = 0;
        CURLcode cc;
        attempt_verdict v;
        int64_t wait;

        wait = tvmaze_limiter_reserve(c->opt.limiter, clock_mono_ms());
        if (pause_ms(c, wait) != 0) {
            snprintf(err, errlen, "GET %s: interrupted by shutdown", path_query);
            return TVMAZE_EFAIL;
        }
        buf_reset(out);
        c->retry_after[0] = '\0';
        c->over_cap = 0;
        cc = curl_easy_perform(c->curl);
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        c->last_status = status;
        stats->requests++;
        metrics_inc(M_IMPORT_REQUESTS);
        v = judge(c, cc, status, out, err, errlen, path_query);
        if (c->opt.abort && *c->opt.abort)
            return TVMAZE_EFAIL; /* shutting down: no retries */
        if (v == ATTEMPT_DONE)
            return TVMAZE_OK;
        /* nothing answering is tried once more (a blip), never the whole
         * IMPORT_RETRIES: the importer pauses instead (import.h) */
        if (v == ATTEMPT_UNREACHABLE && (attempt >= 1 || attempt >= c->opt.retries))
            return TVMAZE_EUNREACHABLE;
        if (v == ATTEMPT_FAIL || attempt >= c->opt.retries) {
            if (v == ATTEMPT_RETRY && errlen > 0) {
                size_t l = strlen(err);
                snprintf(err + l, errlen - l, " (gave up after %d retries)", attempt);
            }
            return TVMAZE_EFAIL;
        }
        wait = status == 429 ? tvmaze_retry_after_ms(c->retry_after, time(NULL), RETRY_AFTER_CAP_MS)
                             : -1;
        if (wait < 0) {
            hash_random(&rnd, sizeof(rnd));
            wait = backoff_ms(attempt + 1, c->opt.backoff_base_ms, c->opt.backoff_cap_ms, rnd);
        }
        log_warn("upstream retry", LF_S("path", path_query), LF_S("error", err),
                 LF_I("attempt", attempt + 1), LF_I("wait_ms", wait));
        stats->retries++;
        metrics_inc(M_IMPORT_RETRIES);
        if (pause_ms(c, wait) != 0) {
            snprintf(err, errlen, "GET %s: interrupted by shutdown", path_query);
            return TVMAZE_EFAIL;
        }
    }
}

/* A client span per fetch, retries included: the URL without secrets, the
 * last answer's status, and how many times it was sent again. */
int tvmaze_get(tvmaze_client *c, const char *path_query, buf *out, tvmaze_stats *stats, char *err,
               size_t errlen)
{
    trace_span s;
    int64_t retries = stats->retries;
    long status = 0;
    int rc;

    trace_begin_child(&s, TRACE_CLIENT, "GET");
    if (trace_recording(&s)) {
        char url[2048], shown[1024];
        snprintf(url, sizeof(url), "%s%s", c->base_url, path_query);
        url_redact(url, shown, sizeof(shown));
        trace_attr_str(&s, "http.request.method", "GET");
        trace_attr_str(&s, "url.full", shown);
    }
    rc = get_with_retries(c, path_query, out, stats, err, errlen);
    if (trace_recording(&s)) {
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status)
            trace_attr_int(&s, "http.response.status_code", status);
        if (stats->retries > retries)
            trace_attr_int(&s, "http.request.resend_count", stats->retries - retries);
        if (rc != TVMAZE_OK) {
            char code[24];
            snprintf(code, sizeof(code), "%ld", status);
            trace_attr_str(&s, "error.type", status >= 400 ? code : "transport");
            trace_set_error(&s);
        }
    }
    trace_end(&s);
    return rc;
}

long tvmaze_last_status(const tvmaze_client *c)
{
    return c->last_status;
}

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

int tvmaze_probe(const tvmaze_options *opt, char *err, size_t errlen)
{
    tvmaze_options o = *opt;
    tvmaze_client *c;
    char url[2048];
    CURLcode cc;
    int rc;

    o.retries = 0;
    o.timeout_ms = 2 * (o.connect_timeout_ms ? o.connect_timeout_ms : 5000);
    if (!(c = tvmaze_client_new(&o))) {
        snprintf(err, errlen, "out of memory");
        return TVMAZE_EFAIL;
    }
    snprintf(url, sizeof(url), "%s/", c->base_url);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, discard);
    cc = curl_easy_perform(c->curl);
    rc = cc == CURLE_OK                  ? TVMAZE_OK
         : nothing_answered(c->curl, cc) ? TVMAZE_EUNREACHABLE
                                         : TVMAZE_EFAIL;
    if (cc != CURLE_OK)
        snprintf(err, errlen, "HEAD %s: %s", url, curl_easy_strerror(cc));
    tvmaze_client_free(c);
    return rc;
}
