#include <pthread.h>
#include <stdlib.h>

#include "tvmaze/tvmaze.h"

/* Tokens are counted in thousandths so the refill needs no floating point. */
struct tvmaze_limiter {
    pthread_mutex_t lock;
    int64_t capacity; /* milli-tokens */
    int64_t tokens;   /* may go negative: reservations not yet due */
    int64_t period_ms;
    int64_t rate;
    int64_t last_ms;
    int started;
};

tvmaze_limiter *tvmaze_limiter_new(int rate, int64_t period_ms)
{
    tvmaze_limiter *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    pthread_mutex_init(&l->lock, NULL);
    l->rate = rate;
    l->period_ms = period_ms > 0 ? period_ms : 1;
    l->capacity = (int64_t)rate * 1000;
    l->tokens = l->capacity;
    return l;
}

void tvmaze_limiter_free(tvmaze_limiter *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int64_t tvmaze_limiter_reserve(tvmaze_limiter *l, int64_t now_ms)
{
    int64_t wait = 0;

    if (!l || l->rate <= 0)
        return 0;
    pthread_mutex_lock(&l->lock);
    if (!l->started) {
        l->last_ms = now_ms;
        l->started = 1;
    }
    if (now_ms > l->last_ms) {
        /* refill: rate tokens per period */
        l->tokens += (now_ms - l->last_ms) * l->rate * 1000 / l->period_ms;
        if (l->tokens > l->capacity)
            l->tokens = l->capacity;
        l->last_ms = now_ms;
    }
    l->tokens -= 1000;
    if (l->tokens < 0) {
        /* the time until this reservation's token has been refilled */
        wait = (-l->tokens * l->period_ms + l->rate * 1000 - 1) / (l->rate * 1000);
    }
    pthread_mutex_unlock(&l->lock);
    return wait;
}
