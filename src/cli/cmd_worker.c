#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "http/http.h"
#include "services/worker.h"
#include "store/store.h"
#include "util/emf.h"
#include "util/log.h"
#include "util/trace.h"

int cmd_worker(config *cfg)
{
    trace_options to = {cfg->otel_endpoint, cfg->otel_sampler_arg,
                        cfg->otel_service_name[0] ? cfg->otel_service_name : "tvshows-worker"};
    worker *w = NULL;
    emf *e = NULL;
    http_server *metrics = NULL;
    store *st;
    sigset_t set;
    char err[512];
    int sig = 0, rc = EXIT_USAGE;

    if (!(st = cli_open_store(cfg->database_url, "tvshows-worker", cfg)))
        return EXIT_USAGE;
    if (cli_check_schema(st, !store_is_postgres(st)) != 0)
        goto done;
    cli_block_signals(&set);
    if (trace_start(&to, err, sizeof(err)) != 0) {
        fprintf(stderr, "tvshows: %s\n", err);
        goto done;
    }
    if (!(w = worker_start(cfg, 1, err, sizeof(err)))) {
        fprintf(stderr, "tvshows: %s\n", err);
        goto done;
    }
    if (cli_start_metrics(cfg, &metrics) != 0)
        goto stop;
    if (cfg->log_emf)
        e = emf_start(cfg->metrics_environment,
                      cfg->metrics_service[0] ? cfg->metrics_service : "worker",
                      cfg->emf_interval_s * 1000, worker_queue_depth, w);
    sigwait(&set, &sig);
    log_info("shutting down", LF_S("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    rc = 0;
stop:
    emf_stop(e);
    cli_stop_metrics(metrics);
    worker_stop(w);
done:
    trace_stop(); /* after the worker's threads */
    store_close(st);
    return rc;
}
