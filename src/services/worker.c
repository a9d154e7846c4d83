#include "services/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/store_options.h"
#include "services/import.h"
#include "services/jobs.h"
#include "services/webhooks.h"
#include "services/queue.h"
#include "store/store.h"
#include "store/store_jobs.h"
#include "tvmaze/tvmaze.h"
#include "util/cron.h"
#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/trace.h"

#define MAX_THREADS         64
#define CLAIM_WAIT_MS       1000
#define BACKEND_PAUSE_MS    1000
#define ACK_BACKOFF_MS      100 /* first wait before acknowledging again; doubles */
#define ACK_BACKOFF_CAP     2000
#define WEBHOOK_DISPATCH_MS 2000 /* how often webhooks are looked at for changes */

typedef struct worker_thread {
    struct worker *w;
    pthread_t thread;
    int index;
    pthread_mutex_t lock; /* guards job while the heartbeat reads it */
    queue_job job;
    int busy;
} worker_thread;

struct worker {
    const config *cfg;
    tvmaze_limiter *limiter;
    _Atomic int stop;           /* no new jobs */
    _Atomic int abort;          /* stop transfers now: the shutdown deadline passed */
    _Atomic int claims_failing; /* the last claim failed (logged once per change) */
    _Atomic int db_failing;     /* jobs are waiting for the database (the same) */
    worker_thread threads[MAX_THREADS];
    int nthreads;
    pthread_t heartbeat, scheduler;
    int have_heartbeat, have_scheduler;
    char name[64];
    pthread_mutex_t stats_lock; /* the metrics and EMF threads share stats_q */
    queue *stats_q;
};

/* Sleeps ms in slices, ending early once *until is set. */
static void nap_ms(const _Atomic int *until, int64_t ms)
{
    for (int64_t waited = 0; waited < ms && !atomic_load(until); waited += 100) {
        struct timespec ts = {0, (long)(ms - waited < 100 ? ms - waited : 100) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void pause_ms(struct worker *w, int ms)
{
    nap_ms(&w->stop, ms);
}

static queue *open_queue(struct worker *w, const char *role, int index)
{
    char id[160], err[256];
    queue *q;

    snprintf(id, sizeof(id), "%s:%s%d", w->name, role, index);
    if (!(q = queue_open(w->cfg, id, err, sizeof(err))))
        log_warn("queue unavailable", LF_S("error", err));
    return q;
}

/* Says when something the jobs need starts failing and when it works
 * again: once per change for the whole process, never once per poll. */
static void note_state(_Atomic int *failing, int ok, const char *down, const char *up,
                       const char *error)
{
    if (ok && atomic_exchange(failing, 0))
        log_msg(LOG_INFO, up);
    else if (!ok && !atomic_exchange(failing, 1))
        log_warn(down, LF_S("error", error));
}

/* Acknowledges a finished job. A lost acknowledgement leaves the job
 * pending, to be delivered again once its visibility timeout passes: it is
 * tried again with backoff until then (Redis failing over, the database
 * restarting), and the heartbeat keeps the claim alive meanwhile. After
 * that the job is the queue's to hand out again; its run counts the day
 * once either way. Gives up at once when the shutdown deadline passed. */
static int ack_done(worker_thread *t, queue *q)
{
    struct worker *w = t->w;
    int64_t deadline = clock_mono_ms() + (int64_t)w->cfg->job_visibility_s * 1000;
    int64_t wait = ACK_BACKOFF_MS;

    for (int tries = 1;; tries++) {
        if (queue_done(q, &t->job) == 0) {
            if (tries > 1)
                log_info("job acknowledged", LF_S("id", t->job.id), LF_I("tries", tries));
            return 0;
        }
        if (tries == 1)
            log_warn("cannot acknowledge job, retrying", LF_S("id", t->job.id),
                     LF_S("error", queue_errmsg(q)));
        if (atomic_load(&w->abort) || clock_mono_ms() + wait > deadline)
            return -1;
        nap_ms(&w->abort, wait);
        wait = wait * 2 > ACK_BACKOFF_CAP ? ACK_BACKOFF_CAP : wait * 2;
    }
}

/* A job is the root of a trace of its own (sampled like a new request):
 * the upstream fetch and the day's writes are its children. */
static int run_job_traced(job_env *env, const queue_job *job, char *err, size_t errlen)
{
    trace_span span, *outer;
    int rc;

    trace_begin_root(&span, TRACE_CONSUMER, job->type, NULL);
    trace_attr_str(&span, "tvshows.job.type", job->type);
    trace_attr_str(&span, "tvshows.job.id", job->id);
    trace_attr_str(&span, "tvshows.job.key", job->unique_key);
    trace_attr_int(&span, "tvshows.job.attempt", job->attempts);
    outer = trace_current_set(&span);
    rc = jobs_run(env, job, err, errlen);
    if (rc != 0) {
        trace_attr_str(&span, "error.type", rc == JOBS_EDEFER ? "deferred" : "failed");
        trace_set_error(&span);
    }
    trace_end(&span);
    trace_current_set(outer);
    return rc;
}

/* An import while nothing answers upstream waits out the pause (import.h)
 * without asking, its attempt not counted: a plan stays put rather than
 * churning through its days. 1 when the job was handed back. */
static int wait_for_upstream(worker_thread *t, job_env *env, int64_t wait)
{
    if (wait <= 0)
        return 0;
    queue_defer(env->q, &t->job, wait, "TVmaze unreachable: imports paused");
    log_debug("job waits for the upstream", LF_S("id", t->job.id), LF_I("wait_ms", wait));
    return 1;
}

/* Runs one claimed job and settles it with the queue; 1 when it was
 * deferred (the database is away: the thread should pause). */
static int run_one(worker_thread *t, job_env *env)
{
    struct worker *w = t->w;
    char err[600] = "";
    int dead = 0, rc;
    int64_t started = clock_mono_ms();

    if (jobs_use_upstream(&t->job) && wait_for_upstream(t, env, import_upstream_pause_ms()))
        return 0;
    log_info("job started", LF_S("id", t->job.id), LF_S("type", t->job.type),
             LF_S("key", t->job.unique_key), LF_I("attempt", t->job.attempts));
    rc = run_job_traced(env, &t->job, err, sizeof(err));
    note_state(&w->db_failing, rc != JOBS_EDEFER, "database unavailable: jobs wait for it",
               "database available again: jobs resume", err);
    if (rc == JOBS_EDEFER) {
        /* the attempt is not counted: a long outage kills no job */
        queue_defer(env->q, &t->job, w->cfg->job_backoff_ms, err);
        log_debug("job deferred", LF_S("id", t->job.id), LF_S("error", err));
        return 1;
    }
    if (rc == JOBS_EUPSTREAM) {
        int64_t pause = import_upstream_pause_ms();
        wait_for_upstream(t, env, pause > w->cfg->job_backoff_ms ? pause : w->cfg->job_backoff_ms);
        return 0;
    }
    if (rc == 0) {
        if (ack_done(t, env->q) == 0)
            log_info("job done", LF_S("id", t->job.id), LF_S("type", t->job.type),
                     LF_I("ms", clock_mono_ms() - started));
        else
            log_warn("job done but not acknowledged: it will be delivered again",
                     LF_S("id", t->job.id), LF_S("type", t->job.type),
                     LF_S("error", queue_errmsg(env->q)));
    } else if (atomic_load(&w->stop)) {
        queue_release(env->q, &t->job); /* cut short by the shutdown: hand it back */
        log_info("job handed back", LF_S("id", t->job.id), LF_S("type", t->job.type));
    } else {
        queue_fail(env->q, &t->job, err, &dead);
        log_warn(dead ? "job dead" : "job failed, will retry", LF_S("id", t->job.id),
                 LF_S("type", t->job.type), LF_I("attempt", t->job.attempts), LF_S("error", err));
        if (dead)
            jobs_on_dead(env, &t->job, err);
    }
    return 0;
}

static void *job_thread_main(void *arg)
{
    worker_thread *t = arg;
    struct worker *w = t->w;
    tvmaze_options to = import_client_options(w->cfg, w->limiter);
    store_options so = store_options_for(w->cfg, STORE_ROLE_WORKER);
    job_env env = {w->cfg, NULL, NULL, NULL};
    queue_job job;
    int64_t retry_at = 0; /* the loop pauses between attempts */
    char err[256];

    to.abort = &w->abort;    /* a stopping worker's transfers end at once */
    to.interrupt = &w->stop; /* and so do its waits between attempts */
    env.tm = tvmaze_client_new(&to);

    while (!atomic_load(&w->stop)) {
        int got, deferred;
        /* connections are (re)made here, so a worker outlives a database or
         * Redis restart: it waits and tries again */
        if (!store_open_lazy(&env.st, &retry_at, w->cfg->database_url, &so, 0, err, sizeof(err))) {
            pause_ms(w, BACKEND_PAUSE_MS);
            continue;
        }
        if (!env.q && !(env.q = open_queue(w, "job", t->index))) {
            pause_ms(w, BACKEND_PAUSE_MS);
            continue;
        }
        got = queue_claim(env.q, &job, CLAIM_WAIT_MS);
        note_state(&w->claims_failing, got >= 0, "queue unavailable: cannot claim jobs",
                   "queue available again", got < 0 ? queue_errmsg(env.q) : NULL);
        if (got == 1) {
            pthread_mutex_lock(&t->lock);
            t->job = job;
            t->busy = 1;
            pthread_mutex_unlock(&t->lock);
        }
        if (got < 0) {
            pause_ms(w, BACKEND_PAUSE_MS); /* the queue is down: nothing was taken */
            continue;
        }
        if (got == 0)
            continue;
        deferred = 0;
        if (t->job.attempts > w->cfg->job_max_attempts) {
            /* claimed again and again by workers that died on it */
            int dead;
            queue_fail(env.q, &t->job, "gave up: its workers kept dying", &dead);
            jobs_on_dead(&env, &t->job, "gave up: its workers kept dying");
        } else {
            deferred = run_one(t, &env);
        }
        /* settled: the heartbeat kept its claim alive until now */
        pthread_mutex_lock(&t->lock);
        t->busy = 0;
        queue_job_clear(&t->job);
        pthread_mutex_unlock(&t->lock);
        if (deferred)
            pause_ms(w, BACKEND_PAUSE_MS);
    }
    tvmaze_client_free(env.tm);
    queue_close(env.q);
    store_close(env.st);
    return NULL;
}

/* Keeps the claims of running jobs alive: a third of the visibility
 * timeout between touches. */
static void *heartbeat_main(void *arg)
{
    struct worker *w = arg;
    queue *q = NULL;
    int interval = w->cfg->job_visibility_s * 1000 / 3, waited = 0;

    if (interval < 200)
        interval = 200;
    /* until worker_stop() has seen every job thread finish */
    while (!atomic_load(&w->abort)) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        if ((waited += 100) < interval)
            continue;
        waited = 0;
        if (!q && !(q = open_queue(w, "heartbeat", 0)))
            continue;
        for (int i = 0; i < w->nthreads; i++) {
            worker_thread *t = &w->threads[i];
            pthread_mutex_lock(&t->lock);
            if (t->busy)
                queue_touch(q, &t->job);
            pthread_mutex_unlock(&t->lock);
        }
    }
    queue_close(q);
    return NULL;
}

static void enqueue_plan(struct worker *w, queue *q, const char *why)
{
    import_plan p = {.days = w->cfg->import_days,
                     .countries = w->cfg->import_countries,
                     .web = w->cfg->import_web};
    int added = 0;

    if (jobs_enqueue_plan(q, &p, &added) == 0)
        log_info(added ? "import plan enqueued" : "import plan already queued", LF_S("why", why));
}

/* At start: an import at once when none started in the last 24 hours. The
 * hour is claimed like a tick, so workers starting together add one plan. */
static int catch_up(struct worker *w, queue *q, store *st)
{
    int64_t started = 0, now = time(NULL);
    int won = 0;

    if (store_last_import_start(st, &started) != STORE_OK)
        return -1;
    if (started && now - started < 86400)
        return 0;
    if (queue_claim_tick(q, -(now / 3600), &won) != 0)
        return -1;
    /* look again: a plan may have started while the hour was claimed */
    if (won && store_last_import_start(st, &started) == STORE_OK &&
        (!started || now - started >= 86400))
        enqueue_plan(w, q, started ? "last import over 24 h ago" : "no import yet");
    return 0;
}

static void *scheduler_main(void *arg)
{
    struct worker *w = arg;
    store_options so = store_options_for(w->cfg, STORE_ROLE_SCHEDULER);
    cron_expr expr;
    queue *q = NULL;
    store *st = NULL;
    int64_t next = -1, next_reap = 0, next_hooks = 0,
            visibility = (int64_t)w->cfg->job_visibility_s * 1000;
    int caught_up = 0;
    int64_t retry_at = 0; /* the loop pauses between attempts */
    char err[256];

    cron_parse(&expr, w->cfg->import_schedule);
    while (!atomic_load(&w->stop)) {
        int64_t now = time(NULL);
        int won;
        store_open_lazy(&st, &retry_at, w->cfg->database_url, &so, 0, err, sizeof(err));
        if (!q)
            q = open_queue(w, "scheduler", 0);
        if (!st || !q) {
            pause_ms(w, BACKEND_PAUSE_MS);
            continue;
        }
        if (!caught_up)
            caught_up = catch_up(w, q, st) == 0;
        if (next < 0)
            next = cron_next(&expr, now);
        /* webhooks with changes they were not told of get a delivery job */
        if (clock_mono_ms() >= next_hooks) {
            webhooks_dispatch(st, q);
            next_hooks = clock_mono_ms() + WEBHOOK_DISPATCH_MS;
        }
        /* runs whose jobs were lost (Redis back empty) get them again */
        if (clock_mono_ms() >= next_reap) {
            jobs_reap(st, q, visibility);
            next_reap = clock_mono_ms() + (visibility / 2 > 1000 ? visibility / 2 : 1000);
        }
        if (next >= 0 && now >= next) {
            /* every scheduler sees the tick; the first to record it enqueues */
            if (queue_claim_tick(q, next, &won) == 0) {
                if (won)
                    enqueue_plan(w, q, "schedule");
                next = cron_next(&expr, now);
            }
        }
        pause_ms(w, 250);
    }
    queue_close(q);
    store_close(st);
    return NULL;
}

/* Queue statistics for the metrics: one handle, opened on first use. */
static int queue_stats_locked(struct worker *w, queue_stats *s)
{
    int rc = -1;

    pthread_mutex_lock(&w->stats_lock);
    if (!w->stats_q)
        w->stats_q = open_queue(w, "stats", 0);
    if (w->stats_q)
        rc = queue_stats_get(w->stats_q, s);
    pthread_mutex_unlock(&w->stats_lock);
    return rc;
}

int64_t worker_queue_depth(void *arg)
{
    queue_stats s;

    return queue_stats_locked(arg, &s) == 0 ? s.queued + s.retrying : -1;
}

/* Prometheus: jobs by type and state, scraped from the queue itself so
 * every worker process reports the shared queue's depth. */
static void collect(buf *out, void *arg)
{
    static const char *const states[] = {"queued", "running", "retrying", "dead"};
    queue_stats s;

    if (queue_stats_locked(arg, &s) != 0)
        return;
    buf_puts(out, "# HELP tvshows_jobs Jobs in the queue by type and state.\n"
                  "# TYPE tvshows_jobs gauge\n");
    for (size_t i = 0; i < s.ntypes; i++) {
        const queue_stat *t = &s.types[i];
        const int64_t v[4] = {t->queued, t->running, t->retrying, t->dead};
        for (int k = 0; k < 4; k++)
            buf_printf(out, "tvshows_jobs{type=\"%s\",state=\"%s\"} %lld\n", t->type, states[k],
                       (long long)v[k]);
    }
    buf_printf(out,
               "# HELP tvshows_queue_depth Jobs waiting (queued and retrying).\n"
               "# TYPE tvshows_queue_depth gauge\ntvshows_queue_depth %lld\n",
               (long long)(s.queued + s.retrying));
}

worker *worker_start(const config *cfg, int with_scheduler, char *err, size_t errlen)
{
    struct worker *w = calloc(1, sizeof(*w));
    char host[32] = "host";

    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->cfg = cfg;
    pthread_mutex_init(&w->stats_lock, NULL);
    gethostname(host, sizeof(host) - 1);
    snprintf(w->name, sizeof(w->name), "%.31s:%d", host, (int)getpid());
    w->limiter = tvmaze_limiter_new(cfg->import_rate, 10000);
    import_upstream_init(cfg->tvmaze_base_url, (int64_t)cfg->import_pause_s * 1000, 1);
    w->nthreads = cfg->concurrency > MAX_THREADS ? MAX_THREADS : cfg->concurrency;
    for (int i = 0; i < w->nthreads; i++) {
        worker_thread *t = &w->threads[i];
        t->w = w;
        t->index = i;
        pthread_mutex_init(&t->lock, NULL);
        if (pthread_create(&t->thread, NULL, job_thread_main, t) != 0) {
            w->nthreads = i;
            snprintf(err, errlen, "cannot start worker threads");
            worker_stop(w);
            return NULL;
        }
    }
    w->have_heartbeat = pthread_create(&w->heartbeat, NULL, heartbeat_main, w) == 0;
    if (with_scheduler)
        w->have_scheduler = pthread_create(&w->scheduler, NULL, scheduler_main, w) == 0;
    metrics_add_collector(collect, w);
    log_info("worker started", LF_I("concurrency", w->nthreads),
             LF_S("queue", cfg->redis_url[0] ? "redis" : "database"),
             LF_S("schedule", with_scheduler ? cfg->import_schedule : "off"));
    return w;
}

/* Waits for a thread until the deadline; then sets abort and waits for it. */
static void join_by(struct worker *w, pthread_t th, int64_t deadline)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    {
        int64_t left = deadline - clock_mono_ms();
        if (left < 0)
            left = 0;
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
    }
    if (pthread_timedjoin_np(th, NULL, &ts) != 0) {
        atomic_store(&w->abort, 1);
        pthread_join(th, NULL);
    }
}

void worker_stop(worker *w)
{
    int64_t deadline;

    if (!w)
        return;
    metrics_remove_collector(collect, w);
    deadline = clock_mono_ms() + (int64_t)w->cfg->shutdown_timeout_s * 1000;
    atomic_store(&w->stop, 1);
    for (int i = 0; i < w->nthreads; i++)
        join_by(w, w->threads[i].thread, deadline);
    atomic_store(&w->abort, 1);
    if (w->have_heartbeat)
        pthread_join(w->heartbeat, NULL);
    if (w->have_scheduler)
        pthread_join(w->scheduler, NULL);
    for (int i = 0; i < w->nthreads; i++)
        pthread_mutex_destroy(&w->threads[i].lock);
    tvmaze_limiter_free(w->limiter);
    queue_close(w->stats_q);
    pthread_mutex_destroy(&w->stats_lock);
    log_msg(LOG_INFO, "worker stopped");
    free(w);
}
