/* tvshows import: its options made into a plan, run in the foreground by
 * the import engine (services/import.h), with a progress line on a
 * terminal (one line, redrawn in place) and log lines otherwise, and a
 * summary at the end. */
#include <pthread.h>
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
    printf("time: fetching %.1f s, parsing %.1f s, writing %.1f s (summed over the threads); "
           "%lld days unchanged upstream, not parsed\n",
           (double)r->fetch_us / 1e6, (double)r->map_us / 1e6, (double)r->write_us / 1e6,
           (long long)r->unchanged);
    if (r->days_failed && say_error)
        fprintf(stderr, "tvshows: import: %lld failed (%s); first error: %s\n",
                (long long)r->days_failed, r->failed, r->error);
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

/* The plan the command line asks for. */
static import_plan plan_of(const config *cfg)
{
    import_plan p = {.days = cfg->import_days,
                     .from = cfg->import_from,
                     .countries = cfg->import_countries,
                     .web = cfg->import_web,
                     .full = cfg->import_full};

    if (cfg->import_files) {
        p.files = cfg->args;
        p.nfiles = (size_t)cfg->nargs;
    }
    return p;
}

/* Refuses what the options cannot mean together; EXIT_USAGE or 0. */
static int check_options(const config *cfg)
{
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
    return 0;
}

int cmd_import(config *cfg)
{
    progress p = {PTHREAD_MUTEX_INITIALIZER, isatty(STDERR_FILENO), 0, 0, 0, clock_mono_ms()};
    import_plan plan = plan_of(cfg);
    import_exec x = {.cfg = cfg, .progress = on_progress, .ud = &p};
    import_units units;
    import_result r;
    char err[512];
    store *st = NULL;
    int rc;

    memset(&r, 0, sizeof(r));
    if (cfg->demo)
        return import_demo(cfg);
    if ((rc = check_options(cfg)) != 0)
        return rc;
    if (import_plan_units(&plan, &units, err, sizeof(err)) != 0) {
        fprintf(stderr, "tvshows: invalid --from \"%s\": must be a date YYYY-MM-DD\n",
                cfg->import_from);
        return EXIT_USAGE;
    }
    p.total = units.days_total;
    if (!(st = cli_open_store(cfg->database_url, "tvshows-import", cfg)))
        return EXIT_USAGE;
    rc = EXIT_USAGE;
    if (cli_check_schema(st, !store_is_postgres(st)) != 0)
        goto done;
    rc = 1;
    import_upstream_init(cfg->tvmaze_base_url, (int64_t)cfg->import_pause_s * 1000, 0);
    if (!cfg->import_files && !(x.lim = tvmaze_limiter_new(cfg->import_rate, 10000))) {
        fprintf(stderr, "tvshows: out of memory\n");
        goto done;
    }
    x.runs = st;
    if (import_run_plan(&plan, &x, &r, err, sizeof(err)) != 0) {
        log_status(NULL);
        fprintf(stderr, "tvshows: import: %s\n", err);
        goto done;
    }
    log_status(NULL);
    print_summary(r.status, &r, clock_mono_ms() - p.started_ms, !import_upstream_unreachable());
    rc = r.days_failed ? 1 : 0;
    if (import_upstream_unreachable()) {
        import_upstream_message(err, sizeof(err));
        fprintf(stderr, "tvshows: %s\n", err);
        rc = 1;
    }
done:
    tvmaze_limiter_free(x.lim);
    store_close(st);
    return rc;
}
