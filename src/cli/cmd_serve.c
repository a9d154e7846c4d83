#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "api/api.h"
#include "cli/cli.h"
#include "http/http.h"
#include "services/demo.h"
#include "services/import.h"
#include "services/worker.h"
#include "store/store.h"
#include "tvmaze/tvmaze.h"
#include "util/date.h"
#include "util/emf.h"
#include "util/log.h"
#include "util/trace.h"
#include "util/url.h"

/* Descriptors the process holds besides the API's connections: its own, and
 * per loop thread its epoll, eventfd, listener, database files and Redis;
 * the metrics listener and its connections; the worker's jobs. */
static long serve_fd_reserve(const config *cfg)
{
    return 64 + 16L * cfg->threads + (cfg->metrics_port ? 72 : 0) +
           (cfg->serve_worker ? 16L * cfg->concurrency : 0);
}

/* Each connection takes a descriptor: the soft open-file limit is raised to
 * the hard one, and MAX_CONNECTIONS kept to what that leaves (said in one
 * line when it is lowered), so the server refuses connections over it
 * rather than running out of descriptors. */
static int serve_max_connections(const config *cfg)
{
    struct rlimit rl;
    long fit;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return cfg->max_connections;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit raised = {.rlim_cur = rl.rlim_max, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl = raised;
    }
    if (rl.rlim_cur == RLIM_INFINITY)
        return cfg->max_connections;
    fit = (long)rl.rlim_cur - serve_fd_reserve(cfg);
    if (fit >= cfg->max_connections)
        return cfg->max_connections;
    if (fit < 1)
        fit = 1;
    log_warn("MAX_CONNECTIONS lowered to what the open-file limit allows",
             LF_I("max_connections", fit), LF_I("configured", cfg->max_connections),
             LF_I("open_file_limit", rl.rlim_cur));
    return (int)fit;
}

/* The demo week at start (services/demo.h): when asked for (--demo), or on
 * a first run (an empty database, the embedded worker on) when TVmaze does
 * not answer, so that a new user sees a real-looking week rather than an
 * empty schedule. Said in one line either way. */
static void serve_demo(const config *cfg, store *st)
{
    tvmaze_options probe = {.base_url = cfg->tvmaze_base_url, .connect_timeout_ms = 3000};
    char err[512], msg[1024], base[512], from[DATE_LEN + 1], to[DATE_LEN + 1];
    demo_info info;
    int rc;

    if (!cfg->demo && (!cfg->serve_worker || demo_database_empty(st) != 1 ||
                       tvmaze_probe(&probe, err, sizeof(err)) != TVMAZE_EUNREACHABLE))
        return;
    if (!cfg->demo) { /* said below; the worker's imports pause at once */
        import_upstream_init(cfg->tvmaze_base_url, (int64_t)cfg->import_pause_s * 1000, 1);
        import_upstream_down();
    }
    rc = demo_load(st, date_today_utc(), &info, err, sizeof(err));
    if (rc == DEMO_EREAL) {
        log_info("--demo skipped: the database holds imported data", LF_S("reason", err));
        return;
    }
    if (rc != 0) {
        log_warn("the demo week could not be loaded", LF_S("error", err));
        if (!cfg->demo) { /* the pause must not go unsaid */
            import_upstream_message(msg, sizeof(msg));
            log_warn(msg, LF_I("imports_pause_s", cfg->import_pause_s));
        }
        return;
    }
    date_format(info.from, from);
    date_format(info.to, to);
    url_redact(cfg->tvmaze_base_url, base, sizeof(base));
    if (cfg->demo)
        snprintf(msg, sizeof(msg),
                 "demo week loaded (sample data; the first real import "
                 "replaces it)");
    else
        snprintf(msg, sizeof(msg),
                 "TVmaze is unreachable at %s — check the network or TVMAZE_BASE_URL; serving "
                 "the demo week (sample data) until it answers",
                 base);
    LOG_WITH(cfg->demo ? LOG_INFO : LOG_WARN, msg, LF_I("episodes", info.episodes),
             LF_S("from", from), LF_S("to", to));
}

/* "listening", with URLs to open that answer 200: the web app, this
 * week's schedule (a schedule needs its dates) and /up. A server bound to
 * every address is reached on loopback. */
static void serve_say_listening(const config *cfg, store *st, int port)
{
    char base[300], app[320], week[400], up[320], from[DATE_LEN + 1], to[DATE_LEN + 1];
    const char *host = cfg->host;
    int32_t today = date_today_utc();

    if (!*host || !strcmp(host, "0.0.0.0"))
        host = "127.0.0.1";
    else if (!strcmp(host, "::"))
        host = "::1";
    snprintf(base, sizeof(base), strchr(host, ':') ? "http://[%.250s]:%d" : "http://%.250s:%d",
             host, port);
    date_format(today, from);
    date_format(today + 6, to);
    snprintf(app, sizeof(app), "%s/", base);
    snprintf(week, sizeof(week), "%s/api/v1/tvshows?date_from=%s&date_to=%s", base, from, to);
    snprintf(up, sizeof(up), "%s/up", base);
    log_info("listening", LF_S("host", cfg->host), LF_I("port", port),
             LF_I("threads", cfg->threads), LF_S("version", TVSHOWS_VERSION),
             LF_S("database", store_is_postgres(st) ? "postgresql" : "sqlite"),
             LF_S("web_app", app), LF_S("this_week", week), LF_S("up", up));
}

int cmd_serve(config *cfg)
{
    http_server_config hc = {
        .host = cfg->host,
        .port = cfg->port,
        .threads = cfg->threads,
        .max_connections = cfg->max_connections,
        .header_timeout_ms = cfg->header_timeout_s * 1000,
        .idle_timeout_ms = cfg->idle_timeout_s * 1000,
        .body_timeout_ms = cfg->body_timeout_s * 1000,
        .shutdown_timeout_ms = cfg->shutdown_timeout_s * 1000,
        .handler = api_handle,
        .error_handler = api_handle_error,
        .body_limit = api_body_limit,
        .thread_init = api_thread_new,
        .thread_fini = api_thread_free,
        .thread_idle = api_thread_idle,
    };
    trace_options to = {cfg->otel_endpoint, cfg->otel_sampler_arg,
                        cfg->otel_service_name[0] ? cfg->otel_service_name : "tvshows-api"};
    http_server *srv = NULL, *metrics = NULL;
    worker *w = NULL;
    emf *e = NULL;
    api_app *app = NULL;
    store *st;
    sigset_t set;
    char err[512];
    int sig = 0, rc = EXIT_USAGE;

    if (!(st = cli_open_store(cfg->database_url, "tvshows-serve", cfg)))
        return EXIT_USAGE;
    /* the embedded default migrates itself; a shared PostgreSQL is migrated
     * by its own task, before new code serves from it */
    if (cli_check_schema(st, !store_is_postgres(st)) != 0)
        goto done;
    cli_block_signals(&set);
    if (trace_start(&to, err, sizeof(err)) != 0) {
        fprintf(stderr, "tvshows: %s\n", err);
        goto done;
    }
    if (!(app = api_app_new(cfg, err, sizeof(err)))) {
        fprintf(stderr, "tvshows: %s\n", err);
        goto done;
    }
    hc.app = app;
    hc.max_connections = serve_max_connections(cfg);
    if (http_server_start(&srv, &hc, err, sizeof(err)) != 0) {
        fprintf(stderr, "tvshows: PORT: %s\n", err);
        goto done;
    }
    if (cli_start_metrics(cfg, &metrics) != 0)
        goto stop;
    serve_demo(cfg, st);
    /* embedded mode: the same worker and scheduler `tvshows worker` runs */
    if (cfg->serve_worker && !(w = worker_start(cfg, 1, err, sizeof(err)))) {
        fprintf(stderr, "tvshows: %s\n", err);
        goto stop;
    }
    if (cfg->log_emf)
        e = emf_start(cfg->metrics_environment,
                      cfg->metrics_service[0] ? cfg->metrics_service : "api",
                      cfg->emf_interval_s * 1000, w ? worker_queue_depth : NULL, w);
    serve_say_listening(cfg, st, http_server_port(srv));
    sigwait(&set, &sig);
    log_info("shutting down", LF_S("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    rc = 0;
stop:
    http_server_stop(srv);
    http_server_join(srv);
    emf_stop(e);
    cli_stop_metrics(metrics);
    worker_stop(w);
    if (rc == 0)
        log_msg(LOG_INFO, "stopped");
done:
    trace_stop(); /* after every thread that records spans */
    api_app_free(app);
    store_close(st);
    return rc;
}
