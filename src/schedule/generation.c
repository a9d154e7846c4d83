#include "schedule/generation.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config/store_options.h"

struct generation_poller {
    const config *cfg;
    _Atomic int64_t *generation;
    generation_poll_fn poll;
    void *arg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    store *st;
};

static void poll_once(generation_poller *p)
{
    store_options opt = store_options_for(p->cfg, STORE_ROLE_REFRESH);
    char err[256];
    int64_t gen, retry_at = 0; /* every poll may try */

    if (!store_open_lazy(&p->st, &retry_at, p->cfg->database_url, &opt, 0, err, sizeof(err)))
        return;
    if (store_generation(p->st, &gen) == STORE_OK)
        atomic_store_explicit(p->generation, gen, memory_order_release);
    if (p->poll)
        p->poll(p->arg, p->st, 0);
}

static void *poller_main(void *arg)
{
    generation_poller *p = arg;

    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        struct timespec ts;
        pthread_mutex_unlock(&p->lock);
        poll_once(p);
        pthread_mutex_lock(&p->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += GENERATION_POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (!p->stop)
            pthread_cond_timedwait(&p->cond, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

generation_poller *generation_start(const config *cfg, _Atomic int64_t *generation,
                                    generation_poll_fn poll, void *arg, char *err, size_t errlen)
{
    generation_poller *p = calloc(1, sizeof(*p));

    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->generation = generation;
    p->poll = poll;
    p->arg = arg;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    /* one read before serving, so the first responses carry the right
     * generation */
    poll_once(p);
    if (pthread_create(&p->thread, NULL, poller_main, p) != 0) {
        snprintf(err, errlen, "cannot start the refresh thread");
        store_close(p->st);
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

void generation_stop(generation_poller *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    if (p->st && p->poll)
        p->poll(p->arg, p->st, 1);
    store_close(p->st);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
