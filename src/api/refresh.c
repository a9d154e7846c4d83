#include "api/refresh.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "config/store_options.h"
#include "api/api_internal.h"
#include "middleware/auth.h"
#include "util/log.h"

struct refresher {
    api_app *app;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    store *st;
    int64_t keys_version; /* -1: never loaded */
    int ticks;
};

#define FLUSH_EVERY 8 /* refreshes between writes of keys' last-used times */

static void refresh_once(refresher *r)
{
    const config *cfg = r->app->cfg;
    store_options opt = store_options_for(cfg, STORE_ROLE_REFRESH);
    char err[256];
    int64_t gen, retry_at = 0; /* every refresh may try */

    if (!store_open_lazy(&r->st, &retry_at, cfg->database_url, &opt, 0, err, sizeof(err)))
        return;
    if (store_generation(r->st, &gen) == STORE_OK)
        atomic_store_explicit(&r->app->generation, gen, memory_order_release);
    /* the key set: reloaded as soon as a key is created or revoked anywhere
     * (with AUTH_MODE=none too: the API's writes need an identity) */
    if (store_keys_version(r->st, &gen) == STORE_OK && gen != r->keys_version &&
        auth_load_keys(r->app->auth, r->st) == 0)
        r->keys_version = gen;
    if (++r->ticks % FLUSH_EVERY == 0)
        auth_flush_last_used(r->app->auth, r->st);
}

static void *refresher_main(void *arg)
{
    refresher *r = arg;

    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        struct timespec ts;
        pthread_mutex_unlock(&r->lock);
        refresh_once(r);
        pthread_mutex_lock(&r->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += REFRESH_INTERVAL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        if (!r->stop)
            pthread_cond_timedwait(&r->cond, &r->lock, &ts);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

refresher *refresher_start(api_app *app, char *err, size_t errlen)
{
    refresher *r = calloc(1, sizeof(*r));

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->app = app;
    r->keys_version = -1;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    /* one read before serving, so the first responses carry the right
     * generation */
    refresh_once(r);
    if (pthread_create(&r->thread, NULL, refresher_main, r) != 0) {
        snprintf(err, errlen, "cannot start the refresh thread");
        store_close(r->st);
        free(r);
        return NULL;
    }
    return r;
}

void refresher_stop(refresher *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    if (r->st)
        auth_flush_last_used(r->app->auth, r->st);
    store_close(r->st);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
