#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "api/api.h"
#include "cli/cli.h"
#include "http/http.h"
#include "services/worker.h"
#include "store/store.h"
#include "util/emf.h"
#include "util/log.h"
#include "util/trace.h"

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
    /* embedded mode: the same worker and scheduler `tvshows worker` runs */
    if (cfg->serve_worker && !(w = worker_start(cfg, 1, err, sizeof(err)))) {
        fprintf(stderr, "tvshows: %s\n", err);
        goto stop;
    }
    if (cfg->log_emf)
        e = emf_start(cfg->metrics_environment,
                      cfg->metrics_service[0] ? cfg->metrics_service : "api",
                      cfg->emf_interval_s * 1000, w ? worker_queue_depth : NULL, w);
    log_info("listening", LF_S("host", cfg->host), LF_I("port", http_server_port(srv)),
             LF_I("threads", cfg->threads), LF_S("version", TVSHOWS_VERSION),
             LF_S("database", store_is_postgres(st) ? "postgresql" : "sqlite"));
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
