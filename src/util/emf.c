#include "util/emf.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/date.h"
#include "util/json.h"
#include "util/log.h"

struct emf {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    int interval_ms;
    const char *environment, *service;
    emf_depth_fn depth;
    void *ud;
    metrics_totals last;
};

static void declare(jw_writer *w, const char *name, const char *unit)
{
    jw_obj_open(w);
    jw_key(w, "Name");
    jw_str(w, name);
    jw_key(w, "Unit");
    jw_str(w, unit);
    jw_obj_close(w);
}

int emf_format(buf *out, const char *environment, const char *service, int64_t ts_ms,
               const metrics_totals *prev, const metrics_totals *now, int64_t queue_depth)
{
    uint64_t requests = now->requests - prev->requests;
    jw_writer w;

    jw_begin(&w, out);
    jw_obj_open(&w);
    jw_key(&w, "_aws");
    jw_obj_open(&w);
    jw_key(&w, "Timestamp");
    jw_int(&w, ts_ms);
    jw_key(&w, "CloudWatchMetrics");
    jw_arr_open(&w);
    jw_obj_open(&w);
    jw_key(&w, "Namespace");
    jw_str(&w, EMF_NAMESPACE);
    jw_key(&w, "Dimensions");
    jw_arr_open(&w);
    jw_arr_open(&w);
    jw_str(&w, "Environment");
    jw_str(&w, "Service");
    jw_arr_close(&w);
    jw_arr_close(&w);
    jw_key(&w, "Metrics");
    jw_arr_open(&w);
    declare(&w, "RequestCount", "Count");
    declare(&w, "Error5xxCount", "Count");
    /* an interval without requests has no latency, rather than a zero that
     * would pull the average down */
    if (requests)
        declare(&w, "Latency", "Milliseconds");
    declare(&w, "DbConnectionErrors", "Count");
    declare(&w, "ImportFailures", "Count");
    if (queue_depth >= 0)
        declare(&w, "QueueDepth", "Count");
    jw_arr_close(&w);
    jw_obj_close(&w);
    jw_arr_close(&w);
    jw_obj_close(&w);
    jw_key(&w, "Environment");
    jw_str(&w, environment);
    jw_key(&w, "Service");
    jw_str(&w, service);
    jw_key(&w, "RequestCount");
    jw_int(&w, (int64_t)requests);
    jw_key(&w, "Error5xxCount");
    jw_int(&w, (int64_t)(now->errors_5xx - prev->errors_5xx));
    if (requests) {
        jw_key(&w, "Latency");
        jw_double(&w, (double)(now->latency_us - prev->latency_us) / 1000.0 / (double)requests);
    }
    jw_key(&w, "DbConnectionErrors");
    jw_int(&w, (int64_t)(now->db_connect_failures - prev->db_connect_failures));
    jw_key(&w, "ImportFailures");
    jw_int(&w, (int64_t)(now->import_failures - prev->import_failures));
    if (queue_depth >= 0) {
        jw_key(&w, "QueueDepth");
        jw_int(&w, queue_depth);
    }
    jw_obj_close(&w);
    if (jw_end(&w) != 0)
        return -1;
    return buf_putc(out, '\n');
}

static void emit(emf *e)
{
    metrics_totals now;
    buf line;

    metrics_totals_get(&now);
    buf_init(&line, 1 << 16);
    if (emf_format(&line, e->environment, e->service, clock_now_ms(), &e->last, &now,
                   e->depth ? e->depth(e->ud) : -1) == 0)
        log_write_lines(line.data, line.len);
    buf_free(&line);
    e->last = now;
}

static void *emf_main(void *arg)
{
    emf *e = arg;

    pthread_mutex_lock(&e->lock);
    while (!e->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += e->interval_ms / 1000;
        ts.tv_nsec += (long)(e->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (pthread_cond_timedwait(&e->cond, &e->lock, &ts) != 0 || e->stop) {
            pthread_mutex_unlock(&e->lock);
            emit(e);
            pthread_mutex_lock(&e->lock);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

emf *emf_start(const char *environment, const char *service, int interval_ms, emf_depth_fn depth,
               void *ud)
{
    emf *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->environment = environment;
    e->service = service;
    e->interval_ms = interval_ms > 100 ? interval_ms : 100;
    e->depth = depth;
    e->ud = ud;
    metrics_totals_get(&e->last);
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->cond, NULL);
    if (pthread_create(&e->thread, NULL, emf_main, e) != 0) {
        free(e);
        return NULL;
    }
    return e;
}

void emf_stop(emf *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->stop = 1;
    pthread_cond_signal(&e->cond);
    pthread_mutex_unlock(&e->lock);
    pthread_join(e->thread, NULL);
    pthread_cond_destroy(&e->cond);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
