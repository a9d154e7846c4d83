#include "middleware/jwks_cache.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "util/date.h"
#include "util/log.h"
#include "util/url.h"

#define JWKS_BODY_CAP   ((size_t)1 << 20)
#define JWKS_TIMEOUT_MS 3000L

struct jwks_cache {
    pthread_mutex_t lock; /* guards everything below but the strings */
    pthread_cond_t wake;  /* the refresher: a kid is wanted, or stop */
    pthread_cond_t tried; /* the first fetch ended */
    char *url;
    char *file;
    char *shown; /* url or file as printed: a URL without its password */
    int64_t ttl_ms;
    int64_t refresh_ms;   /* a set this old is fetched again: before the ttl */
    int64_t retry_ms;     /* after a failed fetch, and between kid fetches */
    jwks *cur;            /* the cache's own reference; NULL until a fetch worked */
    int64_t loaded_ms;    /* when cur was fetched */
    int64_t tried_ms;     /* when the last fetch started, whatever its outcome */
    int64_t kid_fetch_ms; /* when a wanted kid last caused a fetch */
    int attempts;         /* fetches started */
    int done;             /* fetches ended */
    int kid_fetches;      /* fetches caused by a wanted kid */
    int wanted;           /* a token named a kid that cur lacks */
    int fetching;         /* one fetch at a time, outside the lock */
    atomic_int stop;      /* the refresher ends; a fetch in flight is cut short */
    int running;          /* the refresher thread exists */
    pthread_t thread;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    buf *out = ud;
    size_t n = size * nmemb;

    return buf_append(out, p, n) == 0 ? n : 0;
}

/* curl's progress callback: a stopping refresher does not wait out a slow
 * host. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load((atomic_int *)ud) ? 1 : 0;
}

/* shown: the URL as it may be printed (without its userinfo password). */
static int fetch_url(const char *url, const char *shown, atomic_int *stop, buf *out, char *err,
                     size_t errlen)
{
    CURL *h = NULL;
    long status = 0;
    CURLcode cc;
    int rc = -1;

    /* keys that decide who gets in are taken from https only (plain http
     * to this machine is for tests and sidecars), and a redirect never
     * leaves https, wherever it started */
    if (!url_is_secure(url)) {
        set_err(err, errlen, "GET %s: not an https:// URL", shown);
        goto done;
    }
    if (!(h = curl_easy_init())) {
        set_err(err, errlen, "GET %s: cannot make a curl handle", shown);
        goto done;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "tvshows/" TVSHOWS_VERSION " (jwks)");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, JWKS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, JWKS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, strncmp(url, "http://", 7) ? "https" : "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)JWKS_BODY_CAP);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, stop);
    cc = curl_easy_perform(h);
    if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED) {
        set_err(err, errlen, "GET %s: body over %zu KiB", shown, JWKS_BODY_CAP >> 10);
        goto done;
    }
    if (cc != CURLE_OK) {
        set_err(err, errlen, "GET %s: %s", shown, curl_easy_strerror(cc));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        set_err(err, errlen, "GET %s: HTTP %ld", shown, status);
        goto done;
    }
    rc = 0;
done:
    if (h)
        curl_easy_cleanup(h);
    return rc;
}

static int read_file(const char *path, buf *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;
    int rc = -1;

    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        goto done;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(out, chunk, n) != 0) {
            set_err(err, errlen, "%s: larger than %zu KiB", path, JWKS_BODY_CAP >> 10);
            goto done;
        }
    }
    if (ferror(f)) {
        set_err(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (f)
        fclose(f);
    return rc;
}

/* Fetches and parses the key set; NULL with a message on failure. A set
 * with no usable key counts as a failure: the previous keys are kept
 * rather than locking everybody out because of a bad publication. */
static jwks *load_keys(jwks_cache *c, char *err, size_t errlen)
{
    const char *source = c->shown;
    char why[256];
    jwks *k = NULL;
    buf body;

    buf_init(&body, JWKS_BODY_CAP);
    if ((c->url ? fetch_url(c->url, c->shown, &c->stop, &body, err, errlen)
                : read_file(c->file, &body, err, errlen)) != 0)
        goto done;
    if (jwks_parse(body.data, body.len, &k, why, sizeof(why)) != 0) {
        set_err(err, errlen, "%s: %s", source, why);
        goto done;
    }
    if (jwks_count(k) == 0) {
        set_err(err, errlen, "%s: no RSA key for RS256 signatures", source);
        jwks_free(k);
        k = NULL;
    }
done:
    buf_free(&body);
    return k;
}

jwks_cache *jwks_cache_new(const char *url, const char *file, int64_t ttl_ms, int64_t retry_ms)
{
    int has_url = url && *url, has_file = file && *file;
    pthread_condattr_t attr;
    jwks_cache *c = NULL;

    if (has_url == has_file)
        goto fail;
    if (!(c = calloc(1, sizeof(*c))))
        goto fail;
    if ((has_url && !(c->url = strdup(url))) || (has_file && !(c->file = strdup(file))))
        goto fail;
    /* "***" for each of at most 8 secret parts, however short */
    if (!(c->shown = has_url ? malloc(strlen(url) + 32) : strdup(file)))
        goto fail;
    if (has_url)
        url_redact(url, c->shown, strlen(url) + 32);
    c->ttl_ms = ttl_ms;
    c->refresh_ms = ttl_ms - ttl_ms / 4;
    c->retry_ms = retry_ms;
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_cond_init(&c->tried, NULL);
    return c;
fail:
    if (c) {
        free(c->url);
        free(c->file);
        free(c->shown);
        free(c);
    }
    return NULL;
}

void jwks_cache_free(jwks_cache *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    atomic_store(&c->stop, 1);
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    if (c->running)
        pthread_join(c->thread, NULL);
    /* every reference handed out must have come back by now */
    if (c->cur && jwks_refs_add(c->cur, -1) == 0)
        jwks_free(c->cur);
    pthread_cond_destroy(&c->tried);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c->url);
    free(c->file);
    free(c->shown);
    free(c);
}

/* When the next fetch is due (monotonic ms; INT64_MAX: none); under the
 * lock. The set is fetched at once the first time; again when it is
 * refresh_ms old, so it never reaches its ttl while the source answers; a
 * source that fails is tried once per retry_ms; and a kid a token named
 * that the set lacks (a rotation) brings a fetch, at most once per
 * retry_ms, so made-up kids cost the source a few fetches a minute. The
 * first load does not count against that: a rotation just after start is
 * picked up at once. */
static int64_t due_at(const jwks_cache *c)
{
    int64_t retry = c->tried_ms + c->retry_ms, due;

    if (!c->attempts)
        return INT64_MIN;
    if (!c->cur)
        return retry;
    due = c->loaded_ms + c->refresh_ms > retry ? c->loaded_ms + c->refresh_ms : retry;
    if (c->wanted) {
        int64_t kid_due = c->kid_fetches ? c->kid_fetch_ms + c->retry_ms : INT64_MIN;
        if (kid_due < due)
            due = kid_due;
    }
    return due;
}

int jwks_cache_poll(jwks_cache *c, int64_t now_ms)
{
    char err[512];
    jwks *fresh = NULL, *dead = NULL;
    int kid;

    pthread_mutex_lock(&c->lock);
    if (c->fetching || due_at(c) > now_ms) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    c->fetching = 1;
    /* a fetch for a wanted kid, unless the ttl asked first */
    kid = c->cur && c->wanted && c->loaded_ms + c->refresh_ms > now_ms;
    if (kid) {
        c->kid_fetches++;
        c->kid_fetch_ms = now_ms;
    }
    c->wanted = 0;
    c->attempts++;
    c->tried_ms = now_ms;
    pthread_mutex_unlock(&c->lock);

    err[0] = '\0';
    fresh = load_keys(c, err, sizeof(err));

    pthread_mutex_lock(&c->lock);
    if (fresh) {
        if (c->cur && jwks_refs_add(c->cur, -1) == 0)
            dead = c->cur;
        jwks_refs_add(fresh, 1);
        c->cur = fresh;
        c->loaded_ms = now_ms;
        /* a kid wanted while this fetch ran may be in the new set: the next
         * token that still misses its kid asks again; a fetch now would
         * spend the kid budget and hold back a real rotation */
        c->wanted = 0;
    }
    c->fetching = 0;
    c->done++;
    pthread_cond_broadcast(&c->tried);
    pthread_mutex_unlock(&c->lock);
    if (!fresh)
        log_warn("jwks fetch failed", LF_S("error", err));
    jwks_free(dead);
    return fresh ? 1 : -1;
}

jwks *jwks_current(jwks_cache *c)
{
    jwks *k;

    if (!c)
        return NULL;
    pthread_mutex_lock(&c->lock);
    if ((k = c->cur))
        jwks_refs_add(k, 1);
    pthread_mutex_unlock(&c->lock);
    return k;
}

void jwks_release(jwks_cache *c, jwks *k)
{
    int last;

    if (!c || !k)
        return;
    pthread_mutex_lock(&c->lock);
    last = jwks_refs_add(k, -1) == 0;
    pthread_mutex_unlock(&c->lock);
    if (last)
        jwks_free(k);
}

void jwks_cache_want(jwks_cache *c, const char *kid)
{
    if (!c || !kid)
        return;
    pthread_mutex_lock(&c->lock);
    if (!jwks_has_kid(c->cur, kid) && !c->wanted) {
        c->wanted = 1;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
}

static void wait_until(jwks_cache *c, int64_t due_ms)
{
    struct timespec ts;

    if (due_ms == INT64_MAX) {
        pthread_cond_wait(&c->wake, &c->lock);
        return;
    }
    ts.tv_sec = (time_t)(due_ms / 1000);
    ts.tv_nsec = (long)(due_ms % 1000) * 1000000L;
    pthread_cond_timedwait(&c->wake, &c->lock, &ts);
}

static void *refresher_main(void *arg)
{
    jwks_cache *c = arg;

    pthread_mutex_lock(&c->lock);
    while (!atomic_load(&c->stop)) {
        int64_t now = clock_mono_ms(), due = due_at(c);
        if (due > now) {
            wait_until(c, due);
            continue;
        }
        pthread_mutex_unlock(&c->lock);
        jwks_cache_poll(c, now);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

int jwks_cache_start(jwks_cache *c, int wait_ms)
{
    struct timespec ts;
    int rc = 0;

    if (c->running)
        return 0;
    if (pthread_create(&c->thread, NULL, refresher_main, c) != 0)
        return -1;
    c->running = 1;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += wait_ms / 1000;
    ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    /* a server that starts with its keys answers its first tokens */
    pthread_mutex_lock(&c->lock);
    while (!c->done && rc == 0)
        rc = pthread_cond_timedwait(&c->tried, &c->lock, &ts);
    pthread_mutex_unlock(&c->lock);
    return 0;
}
