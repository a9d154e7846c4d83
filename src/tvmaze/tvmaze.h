/* tvmaze.h — the upstream: an HTTP client for api.tvmaze.com (libcurl) and
 * the mapper from its schedule JSON to the domain structs.
 *
 * Client: gzip, connect timeout 5 s, total timeout 30 s (configurable), a
 * User-Agent naming tvshows, one reused connection per client. A limiter
 * (token bucket) is shared by every client of a process: TVmaze allows about
 * 20 requests per 10 s per IP. 429 waits Retry-After when given, otherwise an
 * exponential backoff with jitter (capped at 60 s); 5xx, timeouts and resets
 * are retried the same way, a bounded number of times (a host that does not
 * resolve or refuses connections only once: TVMAZE_EUNREACHABLE);
 * any other 4xx fails at once, 404 included (TVmaze lists an empty day as
 * [], so a 404 means the URL is wrong, never that a day is empty).
 * Transport: the base URL is https (plain http only to a loopback host, see
 * tvmaze_url_check); redirects are followed to https only, so never down
 * from https to http. An answer larger than the caller's buffer cap stops
 * the transfer and fails at once (TVMAZE_*_BODY_MAX below).
 * Threads: a client belongs to one thread; the limiter is thread-safe.
 * curl_global_init() must have run before the first client is made.
 * Errors: functions return 0 or TVMAZE_E*, with a message in err.
 * Ownership: fetched bodies are appended to the caller's buffer; the mapper
 * puts everything in the caller's batch. */
#ifndef TVSHOWS_TVMAZE_H
#define TVSHOWS_TVMAZE_H

#include <stddef.h>
#include <stdint.h>

#include "model/model.h"
#include "util/buf.h"

#define TVMAZE_OK    0
#define TVMAZE_EFAIL (-1) /* gave up: retries exhausted, or a 4xx */
#define TVMAZE_EBODY (-2) /* a body that is not what the endpoint returns */
/* Nothing answered: the host name did not resolve, the connection was
 * refused, or connecting timed out. Such a failure is tried once more (a
 * blip), not IMPORT_RETRIES times: a machine off the network stays off it
 * for longer than a backoff, and the importer pauses instead (import.h). */
#define TVMAZE_EUNREACHABLE (-3)

/* Upstream answers are read into buffers capped at these sizes (decoded,
 * after gzip). /schedule/full is about 11 MB today and a busy day's
 * schedule under 1 MB: the caps leave room for years of growth while
 * keeping what a broken or hostile upstream can make us hold bounded
 * (parsing costs about 8 bytes of memory per byte of JSON, see the mapper). */
#define TVMAZE_FULL_BODY_MAX ((size_t)64 << 20)
#define TVMAZE_DAY_BODY_MAX  ((size_t)16 << 20)

/* ---- limiter: a token bucket with an injectable clock ---- */

typedef struct tvmaze_limiter tvmaze_limiter;

/* rate requests per period_ms; rate 0 means unlimited */
tvmaze_limiter *tvmaze_limiter_new(int rate, int64_t period_ms);
void tvmaze_limiter_free(tvmaze_limiter *l);
/* Takes a token at time now_ms (any monotonic clock); returns how many ms
 * the caller must wait before sending (0: at once). */
int64_t tvmaze_limiter_reserve(tvmaze_limiter *l, int64_t now_ms);

/* A Retry-After value (delta-seconds, or an HTTP date relative to now) in
 * ms, capped at cap_ms; -1 when absent or unreadable. */
int64_t tvmaze_retry_after_ms(const char *value, int64_t now_s, int64_t cap_ms);

/* ---- client ---- */

typedef struct tvmaze_client tvmaze_client;

typedef struct tvmaze_options {
    const char *base_url;
    tvmaze_limiter *limiter; /* shared, may be NULL */
    int retries;
    int connect_timeout_ms;
    int timeout_ms;
    int64_t backoff_base_ms;
    int64_t backoff_cap_ms;
    const _Atomic int *abort; /* when set (may be NULL), transfers stop at once */
    /* when set (may be NULL), a wait between attempts (rate limit, backoff)
     * ends at once and the request fails: a shutting-down worker hands its
     * job back instead of waiting out the upstream */
    const _Atomic int *interrupt;
} tvmaze_options;

typedef struct tvmaze_stats {
    int64_t requests;
    int64_t retries;
} tvmaze_stats;

/* 0 when url may be the upstream: https, or plain http to a loopback host
 * (localhost, 127.0.0.0/8, [::1]: a local stand-in); -1 with the reason in
 * why otherwise. */
int tvmaze_url_check(const char *url, char *why, size_t whylen);

tvmaze_client *tvmaze_client_new(const tvmaze_options *opt);
void tvmaze_client_free(tvmaze_client *c);
/* GETs base_url + path_query into out (replacing its contents); an answer
 * longer than out's cap fails with "larger than N MiB". */
int tvmaze_get(tvmaze_client *c, const char *path_query, buf *out, tvmaze_stats *stats, char *err,
               size_t errlen);

/* Whether the upstream answers at all: one HEAD of the base URL, no
 * retries, connect_timeout_ms (and twice that in all). TVMAZE_OK on any
 * HTTP answer, TVMAZE_EUNREACHABLE when nothing answered, TVMAZE_EFAIL on
 * anything else (TLS, memory); err says why. */
int tvmaze_probe(const tvmaze_options *opt, char *err, size_t errlen);

/* ---- mapper ---- */

/* Installs the allocator the mapper parses with (jansson's allocation hooks
 * are process-wide): call once, before any thread starts. */
void tvmaze_global_init(void);

typedef enum {
    TVMAZE_SHAPE_EMPTY,   /* [] */
    TVMAZE_SHAPE_COUNTRY, /* /schedule: show at item.show */
    TVMAZE_SHAPE_EMBEDDED /* /schedule/web and /schedule/full: item._embedded.show */
} tvmaze_shape;

typedef struct tvmaze_map_info {
    tvmaze_shape shape;
    size_t items;
    size_t undated; /* episodes without an airdate (kept out of schedules) */
} tvmaze_map_info;

/* What one body may hold. A schedule item is about 2 KB of JSON: the full
 * schedule (11 MB) has about 6,000 items and a day a few hundred; the
 * longest strings (summaries) are a few KB. More is a broken or hostile
 * upstream, refused before anything is built (30 MB of empty items would
 * otherwise become ten million objects, 2.6 GB). */
#define TVMAZE_MAX_ITEMS  100000
#define TVMAZE_MAX_STRING ((size_t)64 << 10)

/* Maps a schedule array into b. Anything that is not an array of episode
 * objects each with a show fails with TVMAZE_EBODY and a message saying what
 * was wrong; so does a body of more than TVMAZE_MAX_ITEMS items, with a
 * string longer than TVMAZE_MAX_STRING bytes, or whose parse would take
 * more than 12 bytes of memory per byte of JSON. b is then left as it was
 * before the call only in that nothing of it is written anywhere (the
 * caller drops the batch). Links (url, officialSite, image URLs) that are
 * not http or https are mapped to NULL. */
int tvmaze_map_schedule(const char *json, size_t n, tv_batch *b, tvmaze_map_info *info, char *err,
                        size_t errlen);
/* The same mapping, always through jansson's tree. tvmaze_map_schedule
 * reads a well-formed body into an empty batch with a scanner of its own
 * (src/tvmaze/scan.h), several times faster, and hands anything it is not
 * sure of to jansson: both must map every body alike, which the mapper's
 * fuzz target checks against this one. */
int tvmaze_map_schedule_tree(const char *json, size_t n, tv_batch *b, tvmaze_map_info *info,
                             char *err, size_t errlen);

#endif
