/* tvshows jobs: the queue seen from the command line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "services/jobs.h"
#include "services/queue.h"
#include "store/store.h"
#include "util/buf.h"

static void print_stats(const queue *q, const queue_stats *s, int json)
{
    if (json) {
        printf("{\"queue\":\"%s\",\"types\":[", queue_backend(q));
        for (size_t i = 0; i < s->ntypes; i++) {
            const queue_stat *t = &s->types[i];
            printf("%s{\"type\":\"%s\",\"queued\":%lld,\"running\":%lld,\"retrying\":%lld,"
                   "\"dead\":%lld}",
                   i ? "," : "", t->type, (long long)t->queued, (long long)t->running,
                   (long long)t->retrying, (long long)t->dead);
        }
        printf("],\"total\":{\"queued\":%lld,\"running\":%lld,\"retrying\":%lld,\"dead\":%lld}}\n",
               (long long)s->queued, (long long)s->running, (long long)s->retrying,
               (long long)s->dead);
        return;
    }
    printf("queue: %s\n%-14s %8s %8s %9s %6s\n", queue_backend(q), "TYPE", "QUEUED", "RUNNING",
           "RETRYING", "DEAD");
    for (size_t i = 0; i < s->ntypes; i++) {
        const queue_stat *t = &s->types[i];
        printf("%-14s %8lld %8lld %9lld %6lld\n", t->type, (long long)t->queued,
               (long long)t->running, (long long)t->retrying, (long long)t->dead);
    }
    printf("%-14s %8lld %8lld %9lld %6lld\n", "total", (long long)s->queued, (long long)s->running,
           (long long)s->retrying, (long long)s->dead);
}

/* A second plan while a queued run is in progress would import most of
 * its days again as another run: refused (the worker skips one that gets
 * through anyway). When the database cannot be asked, the worker decides. */
static int run_in_progress(const config *cfg)
{
    store_options opt = {"tvshows-jobs", cfg->db_statement_timeout_ms, cfg->slow_query_ms, NULL};
    int64_t run, done, total;
    char err[256];
    store *st;
    int busy = 0;

    if (store_open(&st, cfg->database_url, &opt, err, sizeof(err)) != STORE_OK)
        return 0;
    if (store_run_in_progress(st, &run, &done, &total) == STORE_OK) {
        fprintf(stderr,
                "tvshows: jobs: import run %lld is in progress (%lld of %lld days in); enqueue"
                " the next import once it has finished\n",
                (long long)run, (long long)done, (long long)total);
        busy = 1;
    }
    store_close(st);
    return busy;
}

static int enqueue_import(const config *cfg, queue *q)
{
    import_plan p = {cfg->import_days, cfg->import_from, cfg->import_countries, cfg->import_web,
                     cfg->import_full};
    int added = 0;

    if (run_in_progress(cfg))
        return 1;
    if (jobs_enqueue_plan(q, &p, &added) != 0) {
        fprintf(stderr, "tvshows: jobs: the queue is unavailable: %s\n", queue_errmsg(q));
        return 1;
    }
    printf(added ? "import plan enqueued\n" : "an import plan is already queued\n");
    return 0;
}

int cmd_jobs(config *cfg)
{
    const char *what = cfg->nargs ? cfg->args[0] : "stats";
    char err[256], id[64];
    queue *q;
    int rc = 1;

    if (!((!strcmp(what, "stats") || !strcmp(what, "list") || !strcmp(what, "retry-dead")) &&
          cfg->nargs <= 1) &&
        !(!strcmp(what, "enqueue") && cfg->nargs == 2 && !strcmp(cfg->args[1], "import"))) {
        fprintf(stderr, "tvshows: jobs: expected stats, list, retry-dead or enqueue import\n");
        return EXIT_USAGE;
    }
    if (strcmp(cfg->format, "table") && strcmp(cfg->format, "json")) {
        fprintf(stderr, "tvshows: invalid --format \"%s\": must be table or json\n", cfg->format);
        return EXIT_USAGE;
    }
    snprintf(id, sizeof(id), "cli:%d", (int)getpid());
    if (!(q = queue_open(cfg, id, err, sizeof(err)))) {
        fprintf(stderr, "tvshows: %s: %s\n", cfg->redis_url[0] ? "REDIS_URL" : "DATABASE_URL", err);
        return EXIT_USAGE;
    }
    if (!strcmp(what, "stats")) {
        queue_stats s;
        if (queue_stats_get(q, &s) == 0) {
            print_stats(q, &s, !strcmp(cfg->format, "json"));
            rc = 0;
        }
    } else if (!strcmp(what, "list")) {
        buf out;
        buf_init(&out, (size_t)64 << 20);
        if (queue_list(q, &out, 1000) == 0) {
            printf("ID\tTYPE\tSTATE\tATTEMPTS\tKEY\tLAST ERROR\n%s", out.data ? out.data : "");
            rc = 0;
        }
        buf_free(&out);
    } else if (!strcmp(what, "retry-dead")) {
        int64_t n;
        if (queue_retry_dead(q, &n) == 0) {
            printf("%lld dead jobs queued again\n", (long long)n);
            rc = 0;
        }
    } else {
        rc = enqueue_import(cfg, q);
    }
    if (rc && strcmp(what, "enqueue"))
        fprintf(stderr, "tvshows: jobs: the queue is unavailable: %s\n", queue_errmsg(q));
    queue_close(q);
    return rc;
}
