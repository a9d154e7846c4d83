/* tvshows import: runs an import in the foreground, with a progress line on
 * a terminal (one line, redrawn in place) and log lines otherwise, and a
 * summary at the end. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "services/demo.h"
#include "services/import.h"
#include "store/store.h"
#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"

#define MAX_SOURCES 64

typedef struct progress {
    pthread_mutex_t lock;
    int tty;
    int64_t total, done, episodes;
    int64_t started_ms;
} progress;

static void fmt_duration(char *out, size_t n, int64_t secs)
{
    if (secs >= 3600)
        snprintf(out, n, "%lldh%02lldm", (long long)(secs / 3600), (long long)(secs / 60 % 60));
    else if (secs >= 60)
        snprintf(out, n, "%lldm%02llds", (long long)(secs / 60), (long long)(secs % 60));
    else
        snprintf(out, n, "%llds", (long long)secs);
}

/* Called by the import threads after each (day, source); r is the calling
 * thread's own tally, so only the shared counters need the lock. */
static void on_progress(void *ud, const char *day, const char *source, int ok,
                        const import_result *r)
{
    progress *p = ud;
    double secs = (double)(clock_mono_ms() - p->started_ms) / 1000.0;
    int64_t done, episodes;

    pthread_mutex_lock(&p->lock);
    done = ++p->done;
    episodes = p->episodes += r->episodes - r->reported;
    ((import_result *)r)->reported = r->episodes;
    if (p->tty) {
        /* one line, redrawn in place (log_status keeps it to the width) */
        char eta[32] = "?", line[160];
        double rate = secs > 0 ? (double)episodes / secs : 0;
        int width = 20, filled = p->total ? (int)(done * width / p->total) : width;
        if (p->total >= done)
            fmt_duration(eta, sizeof(eta),
                         (int64_t)(secs / (double)done * (double)(p->total - done)));
        snprintf(line, sizeof(line), "[%.*s%.*s] %lld/%lld days, %lld episodes, %.0f/s, %s left",
                 filled, "####################", width - filled, "....................",
                 (long long)done, (long long)p->total, (long long)episodes, rate, eta);
        log_status(line);
    }
    pthread_mutex_unlock(&p->lock);
    if (!p->tty)
        log_info(ok ? "imported day" : "day failed", LF_S("day", day), LF_S("source", source),
                 LF_I("done", done), LF_I("total", p->total), LF_I("episodes", episodes));
}

static int window_start(const config *cfg, int32_t *from)
{
    if (!cfg->import_from[0]) {
        *from = date_today_utc();
        return 0;
    }
    if (date_parse(cfg->import_from, strlen(cfg->import_from), from) != 0) {
        fprintf(stderr, "tvshows: invalid --from \"%s\": must be a date YYYY-MM-DD\n",
                cfg->import_from);
        return -1;
    }
    return 0;
}

/* The summary on stdout; the first error on stderr unless say_error is 0
 * (the caller says something better). */
static void print_summary(const char *status, const import_result *r, int64_t ms, int say_error)
{
    printf("import %s: %lld of %lld days ok, %lld failed; %lld episodes listed, %lld rows "
           "upserted, %lld episodes removed; %lld requests, %lld retries; %.1f s\n",
           status, (long long)r->days_ok, (long long)(r->days_ok + r->days_failed),
           (long long)r->days_failed, (long long)r->episodes, (long long)r->upserted,
           (long long)r->removed, (long long)r->net.requests, (long long)r->net.retries,
           (double)ms / 1000.0);
    printf("time: fetching %.1f s, parsing %.1f s, writing %.1f s (summed over the threads)\n",
           (double)r->fetch_us / 1e6, (double)r->map_us / 1e6, (double)r->write_us / 1e6);
    if (r->days_failed && say_error)
        fprintf(stderr, "tvshows: import: %lld failed (%s); first error: %s\n",
                (long long)r->days_failed, r->failed, r->error);
}

static tvmaze_client *make_client(const config *cfg, tvmaze_limiter *lim)
{
    tvmaze_options o = {
        .base_url = cfg->tvmaze_base_url,
        .limiter = lim,
        .retries = cfg->import_retries,
        .timeout_ms = cfg->import_timeout_s * 1000,
        .backoff_base_ms = cfg->import_backoff_ms,
    };
    return tvmaze_client_new(&o);
}

/* The units of a day-by-day or file plan, taken by the import threads in
 * order from a shared counter. */
typedef struct plan {
    const config *cfg;
    tvmaze_limiter *lim;
    progress *p;
    char sources[MAX_SOURCES][IMPORT_SOURCE_MAX];
    size_t nsources;
    int32_t from;
    int64_t nunits;
    _Atomic int64_t next;
} plan;

typedef struct import_thread {
    pthread_t thread;
    plan *plan;
    import_result r;
    int failed_setup;
} import_thread;

static void run_unit(plan *pl, store *st, tvmaze_client *tm, int64_t u, import_result *r)
{
    char day[DATE_LEN + 1];
    int ok;

    if (pl->cfg->import_files) {
        import_file(st, pl->cfg->args[u], on_progress, pl->p, r);
        return;
    }
    /* day-major order: all sources of a day before the next day */
    date_format(pl->from + (int32_t)(u / (int64_t)pl->nsources), day);
    ok = import_day(st, tm, pl->sources[u % (int64_t)pl->nsources],
                    pl->from + (int32_t)(u / (int64_t)pl->nsources), r) == 0;
    on_progress(pl->p, day, pl->sources[u % (int64_t)pl->nsources], ok, r);
}

static void *import_thread_main(void *arg)
{
    import_thread *it = arg;
    plan *pl = it->plan;
    store_options so = {"tvshows-import", 0, pl->cfg->slow_query_ms, NULL};
    store *st = NULL;
    char err[256];
    tvmaze_client *tm = pl->cfg->import_files ? NULL : make_client(pl->cfg, pl->lim);
    int64_t u;

    if (store_open(&st, pl->cfg->database_url, &so, err, sizeof(err)) != STORE_OK) {
        fprintf(stderr, "tvshows: DATABASE_URL: %s\n", err);
        st = NULL;
    }
    if (!st || (!pl->cfg->import_files && !tm)) {
        it->failed_setup = 1;
        goto done;
    }
    /* nothing answering upstream ends the whole plan (import.h) */
    while (!import_upstream_unreachable() && (u = atomic_fetch_add(&pl->next, 1)) < pl->nunits)
        run_unit(pl, st, tm, u, &it->r);
done:
    tvmaze_client_free(tm);
    store_close(st);
    return NULL;
}

static void merge(import_result *into, const import_result *r)
{
    size_t l = strlen(into->failed);

    into->days_ok += r->days_ok;
    into->days_failed += r->days_failed;
    into->episodes += r->episodes;
    into->upserted += r->upserted;
    into->removed += r->removed;
    into->net.requests += r->net.requests;
    into->net.retries += r->net.retries;
    into->fetch_us += r->fetch_us;
    into->map_us += r->map_us;
    into->write_us += r->write_us;
    if (!into->error[0])
        snprintf(into->error, sizeof(into->error), "%s", r->error);
    if (r->failed[0])
        snprintf(into->failed + l, sizeof(into->failed) - l, "%s%s", l ? "," : "", r->failed);
}

/* Runs the units on `concurrency` threads, each with its own connection
 * and HTTP client; the limiter keeps the upstream's rate for all of them. */
static int run_parallel(plan *pl, int concurrency, import_result *r)
{
    import_thread *ts = calloc((size_t)concurrency, sizeof(*ts));
    int started = 0, rc = 0;

    if (!ts)
        return -1;
    for (; started < concurrency; started++) {
        ts[started].plan = pl;
        if (pthread_create(&ts[started].thread, NULL, import_thread_main, &ts[started]) != 0)
            break;
    }
    for (int i = 0; i < started; i++) {
        pthread_join(ts[i].thread, NULL);
        merge(r, &ts[i].r);
        rc |= ts[i].failed_setup ? -1 : 0;
    }
    free(ts);
    return started ? rc : -1;
}

static int run_plan(const config *cfg, store *st, tvmaze_limiter *lim, progress *p,
                    import_result *r)
{
    plan *pl;
    int rc, threads;

    if (cfg->import_full) {
        tvmaze_client *tm = make_client(cfg, lim);
        rc = tm ? import_full(st, tm, on_progress, p, r) : -1;
        tvmaze_client_free(tm);
        return rc == 0 || r->days_failed ? 0 : -1;
    }
    if (!(pl = calloc(1, sizeof(*pl))))
        return -1;
    pl->cfg = cfg;
    pl->lim = lim;
    pl->p = p;
    if (cfg->import_files) {
        pl->nunits = cfg->nargs;
    } else {
        if (window_start(cfg, &pl->from) != 0) {
            free(pl);
            return -2;
        }
        pl->nsources =
            import_sources(cfg->import_countries, cfg->import_web, pl->sources, MAX_SOURCES);
        pl->nunits = (int64_t)cfg->import_days * (int64_t)pl->nsources;
    }
    threads = cfg->concurrency < pl->nunits ? cfg->concurrency : (int)pl->nunits;
    rc = pl->nunits ? run_parallel(pl, threads > 0 ? threads : 1, r) : 0;
    free(pl);
    return rc;
}

/* --demo: the week built into the binary, no network (services/demo.h). */
static int import_demo(const config *cfg)
{
    char err[512], from[DATE_LEN + 1], to[DATE_LEN + 1];
    demo_info info;
    store *st;
    int rc = 1;

    if (cfg->import_files || cfg->import_full || cfg->import_from[0] || cfg->nargs) {
        fprintf(stderr, "tvshows: --demo loads the week built into the binary: it takes no "
                        "--file, --full, --from or arguments\n");
        return EXIT_USAGE;
    }
    if (!(st = cli_open_store(cfg->database_url, "tvshows-import", cfg)))
        return EXIT_USAGE;
    if (cli_check_schema(st, !store_is_postgres(st)) != 0) {
        rc = EXIT_USAGE;
        goto done;
    }
    if (demo_load(st, date_today_utc(), &info, err, sizeof(err)) != 0) {
        fprintf(stderr, "tvshows: import --demo: %s\n", err);
        goto done;
    }
    date_format(info.from, from);
    date_format(info.to, to);
    printf("demo week loaded: %lld episodes from %d recorded days, %s to %s (sample data; the "
           "first real import replaces it)\n",
           (long long)info.episodes, info.days, from, to);
    rc = 0;
done:
    store_close(st);
    return rc;
}

int cmd_import(config *cfg)
{
    char sources[MAX_SOURCES][IMPORT_SOURCE_MAX];
    progress p = {PTHREAD_MUTEX_INITIALIZER, isatty(STDERR_FILENO), 0, 0, 0, clock_mono_ms()};
    import_result r;
    tvmaze_limiter *lim = NULL;
    const char *status = "failed", *mode;
    int64_t run_id = 0;
    store *st;
    int rc = EXIT_USAGE;

    memset(&r, 0, sizeof(r));
    if (cfg->demo)
        return import_demo(cfg);
    if (cfg->import_files && !cfg->nargs) {
        fprintf(stderr, "tvshows: --file needs at least one PATH\n");
        return EXIT_USAGE;
    }
    if (!cfg->import_files && cfg->nargs) {
        fprintf(stderr, "tvshows: unexpected argument \"%.64s\" (files need --file)\n",
                cfg->args[0]);
        return EXIT_USAGE;
    }
    if (cfg->import_from[0] && (cfg->import_full || cfg->import_files)) {
        fprintf(stderr, "tvshows: --from applies to the day-by-day import only\n");
        return EXIT_USAGE;
    }
    if (!(st = cli_open_store(cfg->database_url, "tvshows-import", cfg)))
        return EXIT_USAGE;
    if (cli_check_schema(st, !store_is_postgres(st)) != 0)
        goto done;
    mode = cfg->import_files ? "file" : cfg->import_full ? "full" : "days";
    p.total = cfg->import_files ? cfg->nargs
              : cfg->import_full
                  ? 0
                  : (int64_t)cfg->import_days * (int64_t)import_sources(cfg->import_countries,
                                                                        cfg->import_web, sources,
                                                                        MAX_SOURCES);
    import_upstream_init(cfg->tvmaze_base_url, (int64_t)cfg->import_pause_s * 1000, 0);
    if (!cfg->import_files && !(lim = tvmaze_limiter_new(cfg->import_rate, 10000))) {
        fprintf(stderr, "tvshows: out of memory\n");
        rc = 1;
        goto done;
    }
    if (store_run_begin(st, mode, p.total, &run_id) != STORE_OK) {
        fprintf(stderr, "tvshows: import: %s\n", store_errmsg(st));
        rc = 1;
        goto done;
    }
    switch (run_plan(cfg, st, lim, &p, &r)) {
    case 0:
        break;
    case -2:
        rc = EXIT_USAGE;
        goto done;
    default:
        fprintf(stderr, "tvshows: import: cannot start (database or memory)\n");
        rc = 1;
        goto done;
    }
    log_status(NULL);
    if (import_finish_run(st, run_id, &r, 0, &status) != STORE_OK) {
        fprintf(stderr, "tvshows: import: %s\n", store_errmsg(st));
        rc = 1;
        goto done;
    }
    metrics_import_run(!strcmp(status, "succeeded") ? M_RUN_SUCCEEDED
                       : !strcmp(status, "partial") ? M_RUN_PARTIAL
                                                    : M_RUN_FAILED);
    print_summary(status, &r, clock_mono_ms() - p.started_ms, !import_upstream_unreachable());
    rc = r.days_failed ? 1 : 0;
    if (import_upstream_unreachable()) {
        char msg[700];
        import_upstream_message(msg, sizeof(msg));
        fprintf(stderr, "tvshows: %s\n", msg);
        rc = 1;
    }
done:
    tvmaze_limiter_free(lim);
    store_close(st);
    return rc;
}
