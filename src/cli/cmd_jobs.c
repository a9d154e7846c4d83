/* tvshows jobs: the queue seen from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/store_options.h"
#include "cli/cli.h"
#include "services/jobs.h"
#include "services/queue.h"
#include "store/store.h"
#include "store/store_jobs.h"
#include "util/buf.h"
#include "util/json.h"

static void print_stats(const queue *q, const queue_stats *s, const char *format)
{
    if (!strcmp(format, "csv")) {
        printf("type,queued,running,retrying,dead\r\n");
        for (size_t i = 0; i < s->ntypes; i++) {
            const queue_stat *t = &s->types[i];
            printf("%s,%lld,%lld,%lld,%lld\r\n", t->type, (long long)t->queued,
                   (long long)t->running, (long long)t->retrying, (long long)t->dead);
        }
        printf("total,%lld,%lld,%lld,%lld\r\n", (long long)s->queued, (long long)s->running,
               (long long)s->retrying, (long long)s->dead);
        return;
    }
    if (!strcmp(format, "json")) {
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

/* ---- jobs list: the queue's lines (id, type, state, attempts, key, last
 * error, tab-separated), each job in the state stats counts it in ---- */

#define LIST_FIELDS 6

typedef struct job_line {
    const char *f[LIST_FIELDS];
    size_t n[LIST_FIELDS];
} job_line;

/* Splits the line at p into fields; the error, last, runs to the end of
 * the line. Returns where the next line starts, NULL at the end. */
static const char *next_job(const char *p, job_line *j)
{
    const char *eol = strchr(p, '\n');
    size_t k = 0;

    if (!*p)
        return NULL;
    if (!eol)
        eol = p + strlen(p);
    memset(j, 0, sizeof(*j));
    for (; k < LIST_FIELDS; k++) {
        const char *tab = k + 1 < LIST_FIELDS ? memchr(p, '\t', (size_t)(eol - p)) : NULL;
        j->f[k] = p;
        j->n[k] = (size_t)((tab ? tab : eol) - p);
        if (!tab)
            break;
        p = tab + 1;
    }
    return *eol ? eol + 1 : eol;
}

static int64_t job_attempts(const job_line *j)
{
    char attempts[24];

    snprintf(attempts, sizeof(attempts), "%.*s", (int)j->n[3], j->f[3] ? j->f[3] : "0");
    return strtoll(attempts, NULL, 10);
}

static void job_state(const job_line *j, char *out, size_t n)
{
    char state[32];

    snprintf(state, sizeof(state), "%.*s", (int)j->n[2], j->f[2] ? j->f[2] : "");
    snprintf(out, n, "%s", queue_state_shown(state, job_attempts(j)));
}

static const char *const list_columns[LIST_FIELDS] = {"id",       "type", "state",
                                                      "attempts", "key",  "last_error"};

static void print_list(const char *lines, const char *format, buf *out)
{
    int json = !strcmp(format, "json"), csv = !strcmp(format, "csv");
    char state[32];
    jw_writer w;
    job_line j;

    if (json) {
        jw_begin(&w, out);
        jw_obj_open(&w);
        jw_key(&w, "jobs");
        jw_arr_open(&w);
    } else if (csv) {
        buf_puts(out, "id,type,state,attempts,key,last_error\r\n");
    } else {
        buf_puts(out, "ID\tTYPE\tSTATE\tATTEMPTS\tKEY\tLAST ERROR\n");
    }
    for (const char *p = lines; (p = next_job(p, &j)) != NULL;) {
        job_state(&j, state, sizeof(state));
        if (json) {
            jw_obj_open(&w);
            for (size_t k = 0; k < LIST_FIELDS; k++) {
                jw_key(&w, list_columns[k]);
                if (k == 2)
                    jw_str(&w, state);
                else if (k == 3)
                    jw_int(&w, job_attempts(&j));
                else
                    jw_strn(&w, j.f[k] ? j.f[k] : "", j.n[k]);
            }
            jw_obj_close(&w);
            continue;
        }
        for (size_t k = 0; k < LIST_FIELDS; k++) {
            const char *f = k == 2 ? state : j.f[k] ? j.f[k] : "";
            size_t n = k == 2 ? strlen(state) : j.n[k];
            if (k)
                buf_putc(out, csv ? ',' : '\t');
            if (csv)
                buf_put_csv(out, f, n);
            else
                buf_append(out, f, n);
        }
        buf_puts(out, csv ? "\r\n" : "\n");
    }
    if (json) {
        jw_arr_close(&w);
        jw_obj_close(&w);
        jw_end(&w);
        buf_putc(out, '\n');
    }
}

/* A second plan while a queued run is in progress would import most of
 * its days again as another run: refused (the worker skips one that gets
 * through anyway). When the database cannot be asked, the worker decides. */
static int run_in_progress(const config *cfg)
{
    store_options opt = store_options_for(cfg, STORE_ROLE_CLI);
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
    import_plan p = {.days = cfg->import_days,
                     .from = cfg->import_from,
                     .countries = cfg->import_countries,
                     .web = cfg->import_web,
                     .full = cfg->import_full};
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

    snprintf(id, sizeof(id), "cli:%d", (int)getpid());
    if (!(q = queue_open(cfg, id, err, sizeof(err)))) {
        fprintf(stderr, "tvshows: %s: %s\n", cfg->redis_url[0] ? "REDIS_URL" : "DATABASE_URL", err);
        return EXIT_USAGE;
    }
    if (!strcmp(what, "stats")) {
        queue_stats s;
        if (queue_stats_get(q, &s) == 0) {
            print_stats(q, &s, cfg->format);
            rc = 0;
        }
    } else if (!strcmp(what, "list")) {
        buf lines, out;
        buf_init(&lines, (size_t)64 << 20);
        buf_init(&out, (size_t)128 << 20);
        if (queue_list(q, &lines, 1000) == 0) {
            print_list(lines.data ? lines.data : "", cfg->format, &out);
            fwrite(out.data ? out.data : "", 1, out.len, stdout);
            rc = 0;
        }
        buf_free(&lines);
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
