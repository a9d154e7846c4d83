#include "services/webhooks.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"
#include "schedule/schedule.h"
#include "services/changes.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/num.h"

#define BATCHES_PER_JOB 10
#define BODY_MAX        ((size_t)8 << 20)

/* ---- filters ---- */

/* A webhook's filter parsed: the query parameters own the strings q
 * points at; list is the list=ID parameter (0: none). */
typedef struct hook_filter {
    query params;
    sched_query q;
    int64_t list;
} hook_filter;

static int filter_parse(const char *filter, hook_filter *f, char *why, size_t n)
{
    sched_error e;
    const char *list;
    size_t len;

    memset(f, 0, sizeof(*f));
    sched_query_init(&f->q);
    if (query_parse(&f->params, filter, strlen(filter)) != 0) {
        snprintf(why, n, "not a query string (name=value&…)");
        return -1;
    }
    if (sched_parse_filters(&f->params, &f->q, &e) != 0) {
        snprintf(why, n, "%s %s", e.param, e.why);
        return -1;
    }
    if ((list = query_get(&f->params, "list", &len)) && len &&
        (num_parse_i64(list, len, &f->list) != 0 || f->list < 1)) {
        snprintf(why, n, "list must be a list's id");
        return -1;
    }
    return 0;
}

int webhooks_filter_ok(const char *filter, char *why, size_t n)
{
    hook_filter f;
    int rc = filter_parse(filter, &f, why, n);

    query_free(&f.params);
    return rc;
}

int webhooks_url_ok(const char *url)
{
    const char *host = !strncmp(url, "https://", 8)  ? url + 8
                       : !strncmp(url, "http://", 7) ? url + 7
                                                     : NULL;

    if (!host || !*host || *host == '/' || strlen(url) > 2000)
        return 0;
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* ---- one batch ---- */

static int change_passes(const hook_filter *f, const store_change *c, const tv_show *s)
{
    unsigned flags = schedule_episode_flags(c->season, c->has_number, c->number, c->season_length);

    return schedule_premieres_keep(f->q.premieres, flags) && s && schedule_show_matches(&f->q, s);
}

static void put_change(jw_writer *w, const store_change *c, const tv_show *s)
{
    const tv_distributor *d = s->network ? s->network : s->web_channel;

    changes_render_open(w, c);
    jw_key(w, "show");
    jw_obj_open(w);
    jw_key(w, "id");
    jw_int(w, s->id);
    jw_key(w, "name");
    jw_str(w, s->name);
    jw_key(w, "url");
    jw_str(w, s->url);
    jw_key(w, "distributor");
    jw_str(w, d ? d->name : NULL);
    jw_obj_close(w);
    jw_obj_close(w);
}

/* "3 episodes rescheduled, 1 added": what a person reads first. */
static void summary(buf *out, const int counts[4])
{
    static const char *const words[4] = {"added", "rescheduled", "with a time announced",
                                         "removed"};
    size_t start = out->len;

    for (int k = 0; k < 4; k++) {
        if (!counts[k])
            continue;
        buf_printf(out, "%s%d episode%s %s", out->len > start ? ", " : "", counts[k],
                   counts[k] == 1 ? "" : "s", words[k]);
    }
}

static int kind_index(const char *kind)
{
    return !strcmp(kind, "added")         ? 0
           : !strcmp(kind, "rescheduled") ? 1
           : !strcmp(kind, "time_known")  ? 2
                                          : 3;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n; /* the answer's body is not read */
}

/* One signed POST; *status the HTTP status (0: none). */
static int post(const store_webhook *h, const char *event, const char *delivery, const buf *body,
                int *status, char *err, size_t errlen)
{
    char sig[160], hdr[256];
    struct curl_slist *headers = NULL;
    CURL *c = curl_easy_init();
    long code = 0;
    CURLcode cc;
    int rc = -1;

    *status = 0;
    if (!c || webhooks_sign(h->secret, (int64_t)time(NULL), body->data, body->len, sig,
                            sizeof(sig)) != 0) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json");
    snprintf(hdr, sizeof(hdr), "X-Tvshows-Event: %s", event);
    headers = curl_slist_append(headers, hdr);
    snprintf(hdr, sizeof(hdr), "X-Tvshows-Delivery: %s", delivery);
    headers = curl_slist_append(headers, hdr);
    snprintf(hdr, sizeof(hdr), "X-Tvshows-Signature: %s", sig);
    headers = curl_slist_append(headers, hdr);
    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body->len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "tvshows/" TVSHOWS_VERSION " (webhooks)");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)WEBHOOKS_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    *status = (int)code;
    if (cc != CURLE_OK)
        snprintf(err, errlen, "POST: %s", curl_easy_strerror(cc));
    else if (code < 200 || code > 299)
        snprintf(err, errlen, "POST: HTTP %ld", code);
    else
        rc = 0;
done:
    curl_slist_free_all(headers);
    if (c)
        curl_easy_cleanup(c);
    return rc;
}

/* The same id for every attempt at one batch of one webhook. */
static void delivery_id(int64_t hook, int64_t from, int64_t to, char out[33])
{
    char key[96], hex[SHA256_HEX_LEN + 1];
    int n = snprintf(key, sizeof(key), "webhook:%lld:%lld:%lld", (long long)hook, (long long)from,
                     (long long)to);

    hash_sha256_hex(key, (size_t)n, hex);
    snprintf(out, 33, "%.32s", hex);
}

static void record(store *st, const store_webhook *h, const char *id, int64_t from, int64_t to,
                   int n, int ok, int status, const char *error, int64_t started)
{
    store_delivery d = {h->id,  id,    from,
                        to,     n,     ok ? "delivered" : "failed",
                        status, error, (int)(clock_mono_ms() - started),
                        0};

    if (store_webhook_delivery_add(st, &d) != STORE_OK)
        log_warn("webhook delivery not recorded", LF_I("webhook", h->id),
                 LF_S("error", store_errmsg(st)));
    metrics_inc(ok ? M_WEBHOOK_DELIVERIES : M_WEBHOOK_FAILURES);
    if (ok)
        log_info("webhook delivered", LF_I("webhook", h->id), LF_S("delivery", id),
                 LF_I("changes", n), LF_I("status", status));
    else
        log_warn("webhook delivery failed", LF_I("webhook", h->id), LF_S("delivery", id),
                 LF_I("changes", n), LF_S("error", error));
}

/* The next batch after the webhook's cursor: 1 when one was delivered (or
 * passed over), 0 when there was nothing, -1 when the POST failed. */
static int deliver_batch(store *st, store_webhook *h, hook_filter *f, arena *a, char *err,
                         size_t errlen)
{
    store_page page;
    tv_show **shows;
    int64_t *ids, to;
    int counts[4] = {0}, kept = 0, status = 0, rc;
    char id[33];
    buf body;
    jw_writer w;
    int64_t started = clock_mono_ms();

    if (store_changes_after(st, h->cursor, WEBHOOKS_BATCH, a, &page) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(st));
        return -1;
    }
    if (!page.n)
        return 0;
    to = ((store_change *)page.rows[page.n - 1])->seq;
    ids = arena_alloc(a, page.n * sizeof(*ids));
    shows = arena_alloc(a, page.n * sizeof(tv_show *));
    if (!ids || !shows) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < page.n; i++)
        ids[i] = ((store_change *)page.rows[i])->show_id;
    if (store_shows_by_ids(st, ids, page.n, a, shows) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(st));
        return -1;
    }
    delivery_id(h->id, h->cursor, to, id);
    buf_init(&body, BODY_MAX);
    jw_begin(&w, &body);
    jw_obj_open(&w);
    jw_key(&w, "event");
    jw_str(&w, "changes");
    jw_key(&w, "delivery_id");
    jw_str(&w, id);
    jw_key(&w, "webhook_id");
    jw_int(&w, h->id);
    jw_key(&w, "changes");
    jw_arr_open(&w);
    for (size_t i = 0; i < page.n; i++) {
        const store_change *c = page.rows[i];
        if (!change_passes(f, c, shows[i]))
            continue;
        put_change(&w, c, shows[i]);
        counts[kind_index(c->kind)]++;
        kept++;
    }
    jw_arr_close(&w);
    {
        char next[STORE_CURSOR_LEN + 1];
        buf line;
        store_change_cursor(to, next);
        buf_init(&line, 1024);
        summary(&line, counts);
        jw_key(&w, "summary");
        jw_strn(&w, line.data ? line.data : "", line.len);
        buf_free(&line);
        jw_key(&w, "next_cursor");
        jw_str(&w, next);
    }
    jw_obj_close(&w);
    rc = jw_end(&w);
    if (rc == 0 && kept)
        rc = post(h, "changes", id, &body, &status, err, errlen);
    if (kept)
        record(st, h, id, h->cursor, to, kept, rc == 0, status, rc ? err : NULL, started);
    buf_free(&body);
    if (rc != 0)
        return -1;
    /* delivered, or nothing in it passed the filter: the cursor moves on */
    if (store_webhook_advance(st, h->id, h->cursor, to) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(st));
        return -1;
    }
    h->cursor = to;
    return 1;
}

int webhooks_deliver(store *st, int64_t id, char *err, size_t errlen)
{
    store_webhook *h;
    hook_filter f;
    arena a;
    char why[256];
    int rc = -1;

    arena_init(&a, 64 * 1024);
    memset(&f, 0, sizeof(f));
    if (store_webhook_get(st, id, &a, &h) != STORE_OK) {
        /* removed meanwhile: nothing to deliver */
        rc = 0;
        goto done;
    }
    if (filter_parse(h->filter, &f, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "filter: %s", why);
        goto done;
    }
    if (f.list) {
        int64_t *ids;
        size_t n;
        if (store_list_show_ids(st, f.list, &a, &ids, &n) != STORE_OK) {
            snprintf(err, errlen, "%s", store_errmsg(st));
            goto done;
        }
        f.q.show_ids = ids;
        f.q.nshow_ids = n;
    }
    for (int b = 0; b < BATCHES_PER_JOB; b++) {
        int got = deliver_batch(st, h, &f, &a, err, errlen);
        if (got < 0)
            goto done;
        if (!got)
            break;
    }
    rc = 0;
done:
    query_free(&f.params);
    arena_free(&a);
    return rc;
}

int webhooks_ping(store *st, int64_t id, int *status, char *err, size_t errlen)
{
    store_webhook *h;
    unsigned char raw[16];
    char did[33];
    arena a;
    buf body;
    int rc = -1;

    arena_init(&a, 4096);
    buf_init(&body, 4096);
    *status = 0;
    if (store_webhook_get(st, id, &a, &h) != STORE_OK) {
        snprintf(err, errlen, "%s", store_errmsg(st));
        goto done;
    }
    hash_random(raw, sizeof(raw));
    hash_hex(raw, sizeof(raw), did);
    buf_printf(&body, "{\"event\":\"ping\",\"delivery_id\":\"%.32s\",\"webhook_id\":%lld}", did,
               (long long)h->id);
    rc = post(h, "ping", did, &body, status, err, errlen);
done:
    buf_free(&body);
    arena_free(&a);
    return rc;
}

int webhooks_sign(const char *secret, int64_t t, const char *body, size_t n, char *out,
                  size_t outlen)
{
    char hex[SHA256_HEX_LEN + 1];
    buf signed_text;
    int rc;

    buf_init(&signed_text, BODY_MAX + 32);
    buf_printf(&signed_text, "%lld.", (long long)t);
    buf_append(&signed_text, body ? body : "", n);
    rc = hash_hmac_sha256_hex(secret, strlen(secret), signed_text.data, signed_text.len, hex);
    buf_free(&signed_text);
    if (rc != 0)
        return -1;
    snprintf(out, outlen, "t=%lld,v1=%s", (long long)t, hex);
    return 0;
}

int webhooks_dispatch(store *st, queue *q)
{
    store_page page;
    arena a;
    int n = 0;

    arena_init(&a, 16 * 1024);
    if (store_webhooks_behind(st, &a, &page) != STORE_OK) {
        arena_free(&a);
        return -1;
    }
    for (size_t i = 0; i < page.n; i++) {
        const store_webhook *h = page.rows[i];
        char payload[64], key[64];
        int added = 0;
        snprintf(payload, sizeof(payload), "{\"webhook\":%lld}", (long long)h->id);
        snprintf(key, sizeof(key), "webhook:%lld", (long long)h->id);
        if (queue_enqueue(q, "webhook", payload, key, 0, &added) != 0) {
            n = -1;
            break;
        }
        n += added;
    }
    arena_free(&a);
    return n;
}
