/* Requests that wait: the tasks a loop thread runs them in, and the loop
 * as its database connections see it (task_loop).
 *
 * A task brings its own scratch (arena, body buffers, cache key, what it
 * has seen of the database, its current span) into the thread context
 * while it runs and takes it away when it yields, so the routes' code
 * keeps using t->mem, t->body… as if the request were the only one. Only
 * one task runs at a time (the loop's own code in between), so nothing
 * here needs a lock. */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "api/api_internal.h"
#include "kv/redis.h"
#include "util/log.h"
#include "util/trace.h"

struct api_task {
    task *task;
    void (*fn)(void *arg);
    void *arg;
    /* its scratch, while it is not running */
    arena mem;
    buf body, alt, key;
    api_db_seen seen;
    trace_span *span; /* the thread's current span (trace.h) */
    api_task *next;   /* idle list */
};

#define SWAP(a, b)                                                                                 \
    do {                                                                                           \
        __typeof__(a) tmp_ = (a);                                                                  \
        (a) = (b);                                                                                 \
        (b) = tmp_;                                                                                \
    } while (0)

static void scratch_swap(api_thread *t, api_task *k)
{
    SWAP(t->mem, k->mem);
    SWAP(t->body, k->body);
    SWAP(t->alt, k->alt);
    SWAP(t->key, k->key);
    api_db_seen_swap(&k->seen);
    /* the spans a task begins are children of its own request's */
    k->span = trace_current_set(k->span);
}

static api_task *task_get(api_thread *t)
{
    api_task *k = t->idle_tasks;

    if (k) {
        t->idle_tasks = k->next;
        return k;
    }
    if (!(k = calloc(1, sizeof(*k))) || !(k->task = task_new())) {
        free(k);
        return NULL;
    }
    arena_init(&k->mem, 64 * 1024);
    buf_init(&k->body, t->body.cap);
    buf_init(&k->alt, t->alt.cap);
    buf_init(&k->key, t->key.cap);
    t->ntasks++;
    return k;
}

static void task_release(api_task *k)
{
    task_free(k->task);
    arena_free(&k->mem);
    buf_free(&k->body);
    buf_free(&k->alt);
    buf_free(&k->key);
    free(k);
}

/* Finished: its scratch is emptied and kept, with its stack, for the next. */
static void task_put(api_thread *t, api_task *k)
{
    arena_reset(&k->mem);
    buf_reset(&k->body);
    buf_reset(&k->alt);
    buf_reset(&k->key);
    k->seen = (api_db_seen){0};
    k->span = NULL;
    k->next = t->idle_tasks;
    t->idle_tasks = k;
}

static void task_main(void *arg)
{
    api_task *k = arg;

    k->fn(k->arg);
}

/* Runs k (from its start, or where it yielded) until it yields or ends. */
static void task_enter(api_thread *t, api_task *k, int start)
{
    int done;

    t->running = k;
    scratch_swap(t, k);
    done = start ? task_start(k->task, task_main, k) : task_resume(k->task);
    scratch_swap(t, k);
    t->running = NULL;
    if (done)
        task_put(t, k);
}

int api_task_run(api_thread *t, void (*fn)(void *arg), void *arg)
{
    api_task *k = task_get(t);

    if (!k)
        return -1;
    k->fn = fn;
    k->arg = arg;
    task_enter(t, k, 1);
    return 0;
}

int api_must_wait(api_thread *t, unsigned what)
{
    if (!(t->waits & what) || t->running)
        return 0;
    t->want_task = WANT_ROUTE;
    return 1;
}

/* ---- the loop, as the database sees it ---- */

static void on_watch(void *arg, uint32_t events)
{
    api_watch *w = arg;
    unsigned ready = 0;

    if (events & EPOLLIN)
        ready |= TASK_WANT_READ;
    if (events & EPOLLOUT)
        ready |= TASK_WANT_WRITE;
    if (events & (EPOLLERR | EPOLLHUP))
        ready = 0; /* the connection reads the error */
    w->ready(w->arg, ready);
}

static int loop_watch(void *ud, int fd, unsigned want, task_ready_fn ready, void *arg)
{
    api_thread *t = ud;
    uint32_t events =
        (want & TASK_WANT_READ ? EPOLLIN : 0) | (want & TASK_WANT_WRITE ? EPOLLOUT : 0);
    api_watch *w = NULL, *free_slot = NULL;

    for (size_t i = 0; i < API_WATCHES; i++) {
        if (t->watches[i].fd == fd)
            w = &t->watches[i];
        else if (t->watches[i].fd < 0 && !free_slot)
            free_slot = &t->watches[i];
    }
    if (!want) {
        if (w) {
            http_watch_remove(w->w);
            w->fd = -1;
            w->w = NULL;
        }
        return 0;
    }
    if (w) {
        w->ready = ready;
        w->arg = arg;
        return http_watch_set(w->w, events);
    }
    if (!free_slot)
        return -1;
    free_slot->ready = ready;
    free_slot->arg = arg;
    if (!(free_slot->w = http_watch_add(t->loop, fd, events, on_watch, free_slot)))
        return -1;
    free_slot->fd = fd;
    return 0;
}

static void loop_wake_at(void *ud, int64_t at_ms)
{
    api_thread *t = ud;

    http_loop_wake_at(t->loop, at_ms);
}

static void *loop_current(void *ud)
{
    api_thread *t = ud;

    return t->running;
}

static void loop_suspend(void *ud)
{
    (void)ud;
    task_yield();
}

static void loop_resume(void *ud, void *token)
{
    task_enter(ud, token, 0);
}

void api_wait_init(api_thread *t)
{
    for (size_t i = 0; i < API_WATCHES; i++)
        t->watches[i].fd = -1;
    t->dbloop = (task_loop){.ud = t,
                            .watch = loop_watch,
                            .wake_at = loop_wake_at,
                            .current = loop_current,
                            .suspend = loop_suspend,
                            .resume = loop_resume};
    /* PostgreSQL is a server away; SQLite is a function call */
    if (t->loop && !strncmp(t->app->cfg->database_url, "postgres", 8))
        t->waits |= WAIT_DB;
}

void api_wait_redis(api_thread *t)
{
    redis_set_loop(t->redis, &t->dbloop);
    t->waits |= WAIT_KV;
}

const task_loop *api_db_loop(api_thread *t)
{
    return t->waits & WAIT_DB ? &t->dbloop : NULL;
}

void api_wait_tick(api_thread *t)
{
    redis_tick(t->redis);
    if (!(t->waits & WAIT_DB))
        return;
    store_tick(t->st);
    for (size_t i = 0; i < REPLICAS_MAX; i++)
        store_tick(t->replicas[i]);
}

void api_wait_fini(api_thread *t)
{
    size_t idle = 0;

    redis_abandon(t->redis);
    store_abandon(t->st);
    for (size_t i = 0; i < REPLICAS_MAX; i++)
        store_abandon(t->replicas[i]);
    while (t->idle_tasks) {
        api_task *k = t->idle_tasks;
        t->idle_tasks = k->next;
        task_release(k);
        idle++;
    }
    if (idle != t->ntasks)
        log_error("requests still waiting at the end of the loop",
                  LF_I("waiting", (int64_t)(t->ntasks - idle)));
}
