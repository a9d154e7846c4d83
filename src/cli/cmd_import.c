/* tvshows import: runs an import in the foreground, with a progress bar on
 * a terminal and log lines otherwise, and a summary at the end. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "services/import.h"
#include "store/store.h"
#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"

#define MAX_SOURCES 64

typedef struct progress {
    int tty;
    int64_t total, done;
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

static void on_progress(void *ud, const char *day, const char *source, int ok,
                        const import_result *r)
{
    progress *p = ud;
    double secs = (double)(clock_mono_ms() - p->started_ms) / 1000.0;
    double rate = secs > 0 ? (double)r->episodes / secs : 0;

    p->done++;
    if (p->tty) {
        char eta[32] = "?";
        int width = 30, filled = p->total ? (int)(p->done * width / p->total) : width;
        if (p->done && p->total >= p->done)
            fmt_duration(eta, sizeof(eta),
                         (int64_t)(secs / (double)p->done * (double)(p->total - p->done)));
        fprintf(stderr, "\r[%.*s%.*s] %lld/%lld days  %lld episodes  %.0f eps/s  ETA %s  ",
                filled, "##############################", width - filled,
                "                              ", (long long)p->done, (long long)p->total,
                (long long)r->episodes, rate, eta);
        fflush(stderr);
        return;
    }
    log_info(ok ? "imported day" : "day failed", LF_S("day", day), LF_S("source", source),
             LF_I("done", p->done), LF_I("total", p->total), LF_I("episodes", r->episodes));
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

static void print_summary(const char *status, const import_result *r, int64_t ms)
{
    printf("import %s: %lld of %lld days ok, %lld failed; %lld episodes listed, %lld rows "
           "upserted, %lld episodes removed; %lld requests, %lld retries; %.1f s\n",
           status, (long long)r->days_ok, (long long)(r->days_ok + r->days_failed),
           (long long)r->days_failed, (long long)r->episodes, (long long)r->upserted,
           (long long)r->removed, (long long)r->net.requests, (long long)r->net.retries,
           (double)ms / 1000.0);
    if (r->days_failed)
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

/* Runs the plan the flags describe; fills r. */
static int run_plan(const config *cfg, store *st, tvmaze_client *tm, progress *p,
                    import_result *r)
{
    char sources[MAX_SOURCES][IMPORT_SOURCE_MAX];
    size_t nsources;
    int32_t from;

    if (cfg->import_files) {
        for (int i = 0; i < cfg->nargs; i++)
            import_file(st, cfg->args[i], on_progress, p, r);
        return 0;
    }
    if (cfg->import_full)
        return import_full(st, tm, on_progress, p, r);
    if (window_start(cfg, &from) != 0)
        return -1;
    nsources = import_sources(cfg->import_countries, cfg->import_web, sources, MAX_SOURCES);
    for (int d = 0; d < cfg->import_days; d++) {
        for (size_t s = 0; s < nsources; s++) {
            char day[DATE_LEN + 1];
            int ok = import_day(st, tm, sources[s], from + d, r) == 0;
            date_format(from + d, day);
            on_progress(p, day, sources[s], ok, r);
        }
    }
    return 0;
}

int cmd_import(config *cfg)
{
    char sources[MAX_SOURCES][IMPORT_SOURCE_MAX];
    progress p = {isatty(STDERR_FILENO), 0, 0, clock_mono_ms()};
    import_result r;
    store_run delta = {0};
    tvmaze_limiter *lim = NULL;
    tvmaze_client *tm = NULL;
    const char *status = "failed", *mode;
    int64_t run_id = 0;
    store *st;
    int rc = EXIT_USAGE;

    memset(&r, 0, sizeof(r));
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
                  : (int64_t)cfg->import_days *
                        (int64_t)import_sources(cfg->import_countries, cfg->import_web, sources,
                                                MAX_SOURCES);
    if (!cfg->import_files) {
        lim = tvmaze_limiter_new(cfg->import_rate, 10000);
        if (!lim || !(tm = make_client(cfg, lim))) {
            fprintf(stderr, "tvshows: out of memory\n");
            rc = 1;
            goto done;
        }
    }
    if (store_run_begin(st, mode, p.total, &run_id) != STORE_OK) {
        fprintf(stderr, "tvshows: import: %s\n", store_errmsg(st));
        rc = 1;
        goto done;
    }
    if (run_plan(cfg, st, tm, &p, &r) != 0) {
        rc = EXIT_USAGE;
        goto done;
    }
    if (p.tty)
        fputc('\n', stderr);
    delta.days_ok = r.days_ok;
    delta.days_failed = r.days_failed;
    delta.requests = r.net.requests;
    delta.retries = r.net.retries;
    delta.upserted = r.upserted;
    delta.removed = r.removed;
    if (store_run_add(st, run_id, &delta, r.failed[0] ? r.failed : NULL,
                      r.error[0] ? r.error : NULL) != STORE_OK ||
        store_run_finish(st, run_id, &status) != STORE_OK) {
        fprintf(stderr, "tvshows: import: %s\n", store_errmsg(st));
        rc = 1;
        goto done;
    }
    metrics_import_run(!strcmp(status, "succeeded") ? M_RUN_SUCCEEDED
                       : !strcmp(status, "partial") ? M_RUN_PARTIAL
                                                    : M_RUN_FAILED);
    print_summary(status, &r, clock_mono_ms() - p.started_ms);
    rc = r.days_failed ? 1 : 0;
done:
    tvmaze_client_free(tm);
    tvmaze_limiter_free(lim);
    store_close(st);
    return rc;
}
