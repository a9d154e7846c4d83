#include "services/import_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "services/demo.h"
#include "util/date.h"
#include "util/hash.h"
#include "util/idmap.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/url.h"

#define FILE_CAP ((size_t)512 << 20)

size_t import_sources(const char *countries, int web, char out[][IMPORT_SOURCE_MAX], size_t max)
{
    size_t n = 0;

    for (const char *p = countries; *p && n < max;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 2)
            snprintf(out[n++], IMPORT_SOURCE_MAX, "country:%.2s", p);
        if (!e)
            break;
        p = e + 1;
    }
    if (web && n < max)
        snprintf(out[n++], IMPORT_SOURCE_MAX, "web");
    return n;
}

void import_fail_unit(import_result *res, const char *day, const char *source, const char *error)
{
    size_t l = strlen(res->failed);
    char unit[300];

    snprintf(unit, sizeof(unit), "%s%s%s", day ? day : "", day ? "/" : "", source);
    res->days_failed++;
    metrics_inc(M_IMPORT_FAILURES);
    log_warn("import failed", LF_S("unit", unit), LF_S("error", error));
    if (!res->error[0])
        snprintf(res->error, sizeof(res->error), "%s: %s", unit, error);
    snprintf(res->failed + l, sizeof(res->failed) - l, "%s%s", l ? "," : "", unit);
}

/* ---- an upstream nothing answers at (import.h) ---- */

#define PAUSE_MAX_MS ((int64_t)60 * 60 * 1000)

static struct {
    pthread_mutex_t lock;
    int failures;     /* units in a row that found nothing answering */
    int64_t pause_ms; /* the current pause; 0 while the upstream answers */
    int64_t until_ms; /* monotonic: when the current pause ends */
    int64_t first_ms; /* IMPORT_PAUSE */
    int log_it;
    char base_url[512]; /* without a password */
} upstream = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 60 * 1000, 0, "TVMAZE_BASE_URL"};

void import_upstream_init(const char *base_url, int64_t first_pause_ms, int log_it)
{
    pthread_mutex_lock(&upstream.lock);
    url_redact(base_url, upstream.base_url, sizeof(upstream.base_url));
    upstream.first_ms = first_pause_ms;
    upstream.log_it = log_it;
    pthread_mutex_unlock(&upstream.lock);
}

void import_upstream_message(char *out, size_t n)
{
    pthread_mutex_lock(&upstream.lock);
    snprintf(out, n,
             "TVmaze is unreachable at %s — check the network or TVMAZE_BASE_URL; `tvshows "
             "import --demo` loads sample data",
             upstream.base_url);
    pthread_mutex_unlock(&upstream.lock);
}

/* Under the lock: the pause begins, or (a try after it found nothing
 * either) doubles. */
static void pause_locked(int64_t now)
{
    upstream.pause_ms = upstream.pause_ms ? upstream.pause_ms * 2 : upstream.first_ms;
    if (upstream.pause_ms > PAUSE_MAX_MS)
        upstream.pause_ms = PAUSE_MAX_MS;
    upstream.until_ms = now + upstream.pause_ms;
}

void import_upstream_down(void)
{
    pthread_mutex_lock(&upstream.lock);
    if (upstream.failures < IMPORT_UNREACHABLE_AFTER) {
        upstream.failures = IMPORT_UNREACHABLE_AFTER;
        pause_locked(clock_mono_ms());
    }
    pthread_mutex_unlock(&upstream.lock);
}

int import_upstream_unreachable(void)
{
    int down;

    pthread_mutex_lock(&upstream.lock);
    down = upstream.failures >= IMPORT_UNREACHABLE_AFTER;
    pthread_mutex_unlock(&upstream.lock);
    return down;
}

int64_t import_upstream_pause_ms(void)
{
    int64_t left;

    pthread_mutex_lock(&upstream.lock);
    left = upstream.pause_ms ? upstream.until_ms - clock_mono_ms() : 0;
    pthread_mutex_unlock(&upstream.lock);
    return left > 0 ? left : 0;
}

/* Counts a unit's request by its outcome: an answer, nothing answering,
 * or neither (an HTTP error, a shutdown: the count stays). Says when the
 * upstream turns unreachable, when a pause grows, and when it answers
 * again: once per change, never once per unit. */
static void note_upstream(int got)
{
    int reached = got == TVMAZE_OK;
    char msg[700];
    int64_t now = clock_mono_ms(), pause = 0;
    int event = 0; /* 1 down, 2 still down, 3 back */

    if (got != TVMAZE_OK && got != TVMAZE_EUNREACHABLE)
        return;
    pthread_mutex_lock(&upstream.lock);
    if (reached) {
        event = upstream.failures >= IMPORT_UNREACHABLE_AFTER ? 3 : 0;
        upstream.failures = 0;
        upstream.pause_ms = 0;
    } else if (++upstream.failures == IMPORT_UNREACHABLE_AFTER) {
        pause_locked(now);
        event = 1;
    } else if (upstream.failures > IMPORT_UNREACHABLE_AFTER && now >= upstream.until_ms) {
        pause_locked(now);
        event = 2;
    }
    pause = upstream.pause_ms;
    event = upstream.log_it ? event : 0;
    pthread_mutex_unlock(&upstream.lock);
    if (event == 1) {
        import_upstream_message(msg, sizeof(msg));
        log_warn(msg, LF_I("imports_pause_s", pause / 1000));
    } else if (event == 2) {
        log_info("imports paused: TVmaze is still unreachable", LF_I("pause_s", pause / 1000));
    } else if (event == 3) {
        log_msg(LOG_INFO, "TVmaze answers again: imports resume");
    }
}

static _Atomic int removal_warn_pct = 50;
static _Atomic int change_retention_days = 30;
static _Atomic int64_t last_prune_ms;

void import_set_change_retention(int days)
{
    change_retention_days = days;
}

/* The change feed keeps CHANGES_RETENTION_DAYS: imports, its only
 * writers, drop what is older, at most once an hour per process. */
static void prune_changes(store *st)
{
    int64_t now = clock_mono_ms(), last = last_prune_ms, removed = 0;

    if ((last && now - last < 3600 * 1000) ||
        !atomic_compare_exchange_strong(&last_prune_ms, &last, now))
        return;
    if (store_changes_prune(st, (int64_t)time(NULL) - (int64_t)change_retention_days * 86400,
                            &removed) != STORE_OK)
        log_warn("pruning the change feed failed", LF_S("error", store_errmsg(st)));
    else if (removed)
        log_info("change feed pruned", LF_I("removed", removed),
                 LF_I("retention_days", change_retention_days));
}

void import_set_removal_warning(int percent)
{
    removal_warn_pct = percent;
}

/* A day that loses most of what its source listed is more often a broken
 * upstream answer than a mass cancellation: it is written (the answer was
 * well-formed) but said loudly, and counted. */
static void check_removals(const char *day, const char *source, const store_day_stats *s)
{
    int pct = removal_warn_pct;

    if (pct >= 100 || s->unlisted <= 0 || s->unlisted * 100 <= s->listed_before * pct)
        return;
    metrics_inc(M_IMPORT_LARGE_REMOVALS);
    log_warn("import dropped a large share of a day's listings", LF_S("day", day),
             LF_S("source", source), LF_I("listed_before", s->listed_before),
             LF_I("unlisted", s->unlisted), LF_I("warn_percent", pct));
}

static void note_success(import_result *res, const store_day_stats *s)
{
    res->days_ok++;
    res->episodes += s->episodes;
    res->upserted += s->upserted;
    res->removed += s->removed;
    metrics_add(M_IMPORT_EPISODES_UPSERTED, (uint64_t)s->upserted);
    metrics_add(M_IMPORT_EPISODES_REMOVED, (uint64_t)s->removed);
}

/* The first real day written replaces the demo week (services/demo.h):
 * a real schedule is never shown mixed with sample data. */
static void drop_demo(store *st)
{
    char err[512];
    int32_t from;
    int loaded = demo_loaded(st, &from);

    if (loaded > 0 && demo_clear(st, err, sizeof(err)) == 0)
        log_msg(LOG_INFO, "demo week removed: imported data replaces it");
    else if (loaded != 0)
        log_warn("the demo week could not be removed",
                 LF_S("error", loaded < 0 ? store_errmsg(st) : err));
}

/* Writes one (day, source) batch and accounts for it. */
static int64_t now_us(void)
{
    return clock_mono_ms() * 1000; /* millisecond resolution is plenty per unit */
}

/* What a written unit does besides its rows. */
static void after_write(store *st)
{
    prune_changes(st);
    drop_demo(st);
}

/* Counts a day written (error NULL), its large removals said; or failed. */
static int count_day(const char *day, const char *source, const char *error,
                     const store_day_stats *s, import_result *res)
{
    if (error) {
        import_fail_unit(res, day, source, error);
        return -1;
    }
    check_removals(day, source, s);
    note_success(res, s);
    return 0;
}

/* digest: the answer b was mapped from (NULL: none, a file or the full
 * schedule, which forgets the unit's). */
static int write_unit(store *st, const tv_batch *b, const char *source, const char *day,
                      const char *digest, import_result *res)
{
    store_day_stats s = {0};
    int64_t t0 = now_us();
    int rc = store_write_day_from(st, b, source, day, digest, &s);

    res->write_us += now_us() - t0;
    if (count_day(day, source, rc == STORE_OK ? NULL : store_errmsg(st), &s, res) != 0)
        return -1;
    after_write(st);
    return 0;
}

/* The digest an answer is remembered by: the mapping's version, then the
 * SHA-256 of the body. Bump the version whenever the mapper or the write
 * path would store the same answer differently, so that every day is
 * written again once. Returns -1 (no digest: the unit is simply written)
 * when OpenSSL fails. */
#define BODY_DIGEST_VERSION "schedule-1:"

static int body_digest(const buf *body, char out[STORE_DIGEST_MAX])
{
    char hex[SHA256_HEX_LEN + 1];

    if (hash_sha256_hex(body->data ? body->data : "", body->len, hex) != 0)
        return -1;
    snprintf(out, STORE_DIGEST_MAX, "%s%s", BODY_DIGEST_VERSION, hex);
    return 0;
}

/* 1 when the unit's answer is the one it was last written from and what
 * that wrote still holds: it is counted as written (its episodes listed,
 * nothing changed) without being parsed or written. A store that cannot
 * say is not an answer: the unit is written. */
static int skip_unchanged(store *st, const char *source, const char *day, const char *digest,
                          import_result *res)
{
    store_day_stats s = {0};
    int same = 0;

    if (store_day_unchanged(st, source, day, digest, &same, &s.episodes) != STORE_OK || !same)
        return 0;
    res->unchanged++;
    note_success(res, &s);
    after_write(st);
    return 1;
}

/* The upstream path of a (day, source) unit. */
static int unit_path(const char *source, const char *day, char *out, size_t n)
{
    if (!strncmp(source, "country:", 8) && strlen(source) == 10)
        return snprintf(out, n, "/schedule?country=%s&date=%s", source + 8, day) < (int)n ? 0 : -1;
    if (!strcmp(source, "web"))
        return snprintf(out, n, "/schedule/web?date=%s", day) < (int)n ? 0 : -1;
    return -1;
}

void import_parsed_free(import_parsed *p)
{
    if (!p)
        return;
    buf_free(&p->body);
    tv_batch_free(&p->b);
    free(p);
}

int import_day_fetch(store *st, tvmaze_client *tm, const char *source, int32_t day,
                     import_parsed **out, import_result *res)
{
    char path[128], err[512];
    tvmaze_map_info info;
    import_parsed *p = calloc(1, sizeof(*p));
    int got;
    int64_t t0;

    *out = NULL;
    if (!p) {
        char d[DATE_LEN + 1];
        date_format(day, d);
        import_fail_unit(res, d, source, "out of memory");
        return -1;
    }
    p->source = source;
    date_format(day, p->day);
    tv_batch_init(&p->b);
    buf_init(&p->body, TVMAZE_DAY_BODY_MAX);
    if (unit_path(source, p->day, path, sizeof(path)) != 0) {
        import_fail_unit(res, p->day, source, "unknown source");
        goto fail;
    }
    t0 = now_us();
    got = tvmaze_get(tm, path, &p->body, &res->net, err, sizeof(err));
    res->fetch_us += now_us() - t0;
    note_upstream(got);
    if (got != TVMAZE_OK) {
        res->unreachable += got == TVMAZE_EUNREACHABLE;
        import_fail_unit(res, p->day, source, err);
        goto fail;
    }
    t0 = now_us();
    p->digested = body_digest(&p->body, p->digest) == 0;
    if (p->digested && skip_unchanged(st, source, p->day, p->digest, res)) {
        res->map_us += now_us() - t0;
        import_parsed_free(p);
        return 0;
    }
    got = tvmaze_map_schedule(p->body.data, p->body.len, &p->b, &info, err, sizeof(err));
    res->map_us += now_us() - t0;
    if (got != TVMAZE_OK) {
        char msg[600];
        snprintf(msg, sizeof(msg), "GET %.100s: %.480s", path, err);
        import_fail_unit(res, p->day, source, msg);
        goto fail;
    }
    *out = p;
    return 1;
fail:
    import_parsed_free(p);
    return -1;
}

int import_day(store *st, tvmaze_client *tm, const char *source, int32_t day, import_result *res)
{
    import_parsed *p;
    int rc = import_day_fetch(st, tm, source, day, &p, res);

    if (rc == 1)
        rc = write_unit(st, &p->b, source, p->day, p->digested ? p->digest : NULL, res);
    import_parsed_free(p);
    return rc;
}

void import_write_days(store *st, import_parsed **units, size_t n, import_progress_fn progress,
                       void *ud, import_result *res)
{
    store_day_write *days = calloc(n, sizeof(*days));
    int64_t t0 = now_us();

    if (!days) {
        for (size_t i = 0; i < n; i++)
            import_fail_unit(res, units[i]->day, units[i]->source, "out of memory");
    } else {
        for (size_t i = 0; i < n; i++)
            days[i] = (store_day_write){.b = &units[i]->b,
                                        .source = units[i]->source,
                                        .day = units[i]->day,
                                        .digest = units[i]->digested ? units[i]->digest : NULL};
        /* each day's outcome is in its rc; a batch lost whole is said once */
        if (store_write_days(st, days, n) != STORE_OK)
            log_warn("an import batch was not committed", LF_S("error", store_errmsg(st)),
                     LF_I("days", (int64_t)n));
        res->write_us += now_us() - t0;
    }
    for (size_t i = 0; i < n; i++) {
        int ok = days &&
                 count_day(days[i].day, days[i].source, days[i].rc == STORE_OK ? NULL : days[i].err,
                           &days[i].stats, res) == 0;
        if (progress)
            progress(ud, units[i]->day, units[i]->source, ok, res);
        import_parsed_free(units[i]);
    }
    if (days && n)
        after_write(st);
    free(days);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Writes a multi-day batch (the full schedule) one airdate at a time. */
static int write_by_airdate(store *st, const tv_batch *all, const char *source,
                            import_progress_fn progress, void *ud, import_result *res)
{
    const char **days = calloc(all->nepisodes + 1, sizeof(*days));
    size_t ndays = 0;
    int rc = 0;

    if (!days) {
        import_fail_unit(res, "-", source, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < all->nepisodes; i++)
        if (all->episodes[i]->airdate)
            days[ndays++] = all->episodes[i]->airdate;
    qsort(days, ndays, sizeof(*days), cmp_str);
    for (size_t i = 0; i < ndays; i++) {
        tv_batch view;
        int ok;
        if (i && !strcmp(days[i], days[i - 1]))
            continue;
        if (tv_batch_day_view(all, days[i], &view) != 0) {
            import_fail_unit(res, days[i], source, "out of memory");
            rc = -1;
        } else {
            ok = write_unit(st, &view, source, days[i], NULL, res) == 0;
            if (!ok)
                rc = -1;
            if (progress)
                progress(ud, days[i], source, ok, res);
        }
        tv_batch_free(&view);
    }
    free(days);
    return rc;
}

int import_full(store *st, tvmaze_client *tm, import_progress_fn progress, void *ud,
                import_result *res)
{
    char err[512];
    tvmaze_map_info info;
    tv_batch b;
    buf body;
    int rc = -1, got;

    tv_batch_init(&b);
    buf_init(&body, TVMAZE_FULL_BODY_MAX);
    got = tvmaze_get(tm, "/schedule/full", &body, &res->net, err, sizeof(err));
    note_upstream(got);
    if (got != TVMAZE_OK) {
        res->unreachable += got == TVMAZE_EUNREACHABLE;
        import_fail_unit(res, "all", "full", err);
        goto done;
    }
    if (tvmaze_map_schedule(body.data, body.len, &b, &info, err, sizeof(err)) != TVMAZE_OK) {
        import_fail_unit(res, "all", "full", err);
        goto done;
    }
    buf_free(&body);
    rc = write_by_airdate(st, &b, "full", progress, ud, res);
done:
    buf_free(&body);
    tv_batch_free(&b);
    return rc;
}

static int read_file(const char *path, buf *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    struct stat sb;
    size_t n;

    if (!f) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fileno(f), &sb) == 0 && sb.st_size > 0 && (size_t)sb.st_size < FILE_CAP)
        buf_reserve(out, (size_t)sb.st_size); /* one allocation, no regrowth */
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(out, chunk, n) != 0) {
            snprintf(err, errlen, "larger than %zu MiB", FILE_CAP >> 20);
            fclose(f);
            return -1;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read: %s", strerror(errno));
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* "schedule-US-2026-07-04.json" / "schedule-web-2026-07-04.json": the names
 * saved responses get here, which say exactly what they hold. */
static int source_from_name(const char *path, char *source, char *day)
{
    const char *base = strrchr(path, '/');
    size_t n;
    int32_t d;

    base = base ? base + 1 : path;
    n = strlen(base);
    if (n < 9 + 10 + 5 || strncmp(base, "schedule-", 9) || strcmp(base + n - 5, ".json"))
        return -1;
    if (date_parse(base + n - 15, 10, &d) != 0 || base[n - 16] != '-')
        return -1;
    memcpy(day, base + n - 15, 10);
    day[10] = '\0';
    if (n - 16 - 9 == 3 && !strncmp(base + 9, "web", 3))
        snprintf(source, IMPORT_SOURCE_MAX, "web");
    else if (n - 16 - 9 == 2 && base[9] >= 'A' && base[9] <= 'Z' && base[10] >= 'A' &&
             base[10] <= 'Z')
        snprintf(source, IMPORT_SOURCE_MAX, "country:%.2s", base + 9);
    else
        return -1;
    return 0;
}

/* The key of an episode for most_common(): its airdate as a day number, or
 * its distributor's country code as two letters; -1 when it has none. */
static int64_t episode_key(const tv_episode *e, int country)
{
    const tv_distributor *d = e->show->network ? e->show->network : e->show->web_channel;
    int32_t days;

    if (country)
        return d && d->country_code && strlen(d->country_code) == 2
                   ? (int64_t)((unsigned char)d->country_code[0] << 8 |
                               (unsigned char)d->country_code[1])
                   : -1;
    return e->airdate && date_parse(e->airdate, DATE_LEN, &days) == 0 ? days : -1;
}

/* The most common airdate (or country code) of a batch, latest on a tie;
 * written to out. Returns -1 when no episode has one. */
static int most_common(const tv_batch *b, int country, char *out, size_t outlen)
{
    idmap counts;
    int64_t best = -1, best_n = 0;

    idmap_init(&counts);
    for (size_t i = 0; i < b->nepisodes; i++) {
        int64_t k = episode_key(b->episodes[i], country), n = 0;
        if (k < 0)
            continue;
        idmap_get(&counts, k, &n);
        if (idmap_put(&counts, k, ++n) != 0)
            break;
        if (n > best_n || (n == best_n && k > best)) {
            best = k;
            best_n = n;
        }
    }
    idmap_free(&counts);
    if (best < 0)
        return -1;
    if (country)
        snprintf(out, outlen, "%c%c", (char)(best >> 8), (char)(best & 0xff));
    else
        date_format((int32_t)best, out);
    return 0;
}

int import_file(store *st, const char *path, import_progress_fn progress, void *ud,
                import_result *res)
{
    char err[400], source[IMPORT_SOURCE_MAX], day[DATE_LEN + 1];
    tvmaze_map_info info;
    tv_batch b;
    buf body;
    int rc = -1, named;
    int64_t t0;

    tv_batch_init(&b);
    buf_init(&body, FILE_CAP);
    t0 = now_us();
    rc = read_file(path, &body, err, sizeof(err));
    res->fetch_us += now_us() - t0;
    if (rc == 0) {
        t0 = now_us();
        rc = tvmaze_map_schedule(body.data, body.len, &b, &info, err, sizeof(err)) == TVMAZE_OK
                 ? 0
                 : -1;
        res->map_us += now_us() - t0;
    }
    if (rc != 0) {
        import_fail_unit(res, NULL, path, err);
        goto done;
    }
    named = source_from_name(path, source, day) == 0;
    if (!named) {
        /* no telling name: a country schedule holds one day of one country;
         * an embedded-show file is a web day, or the full schedule when its
         * airdates span several days */
        char cc[3];
        if (most_common(&b, 0, day, sizeof(day)) != 0) {
            rc = 0; /* an empty schedule: nothing to write, nothing to remove */
            goto done;
        }
        if (info.shape == TVMAZE_SHAPE_COUNTRY) {
            if (most_common(&b, 1, cc, sizeof(cc)) != 0)
                snprintf(cc, sizeof(cc), "ZZ");
            snprintf(source, sizeof(source), "country:%s", cc);
        } else {
            int many = 0;
            for (size_t i = 0; i < b.nepisodes && !many; i++)
                many = b.episodes[i]->airdate && strcmp(b.episodes[i]->airdate, day);
            if (many) {
                rc = write_by_airdate(st, &b, "full", progress, ud, res);
                goto done;
            }
            snprintf(source, sizeof(source), "web");
        }
    }
    rc = write_unit(st, &b, source, day, NULL, res);
    if (progress)
        progress(ud, day, source, rc == 0, res);
done:
    buf_free(&body);
    tv_batch_free(&b);
    return rc;
}

int import_finish_run(store *st, int64_t run, const import_result *r, int64_t days_total,
                      const char **status)
{
    store_run d = {0};
    int rc;

    d.days_total = days_total;
    d.days_ok = r->days_ok;
    d.days_failed = r->days_failed;
    d.requests = r->net.requests;
    d.retries = r->net.retries;
    d.upserted = r->upserted;
    d.removed = r->removed;
    rc = store_run_add(st, run, &d, r->failed[0] ? r->failed : NULL, r->error[0] ? r->error : NULL);
    return rc != STORE_OK ? rc : store_run_finish(st, run, status);
}
