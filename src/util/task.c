/* Tasks on ucontext: portable (x86-64 and arm64 alike), one swapcontext
 * each way. The sanitizer is told about every switch, so it knows which
 * stack is live and does not take the other for overflowed memory. */
#include "util/task.h"

#include <assert.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define TASK_ASAN 1
#else
#define TASK_ASAN 0
#endif

enum { TASK_IDLE, TASK_RUNNING, TASK_WAITING };

struct task {
    ucontext_t ctx;    /* the task's registers while it waits */
    ucontext_t caller; /* the starter's or resumer's while it runs */
    char *map;         /* guard page, then the stack */
    size_t map_len;
    int state;
    task_fn fn;
    void *arg;
    /* the sanitizer's view of the two stacks */
    void *fake_stack;
    const void *caller_bottom;
    size_t caller_size;
};

static _Thread_local task *running;

static void switch_begin(void **save, const void *bottom, size_t size)
{
#if TASK_ASAN
    __sanitizer_start_switch_fiber(save, bottom, size);
#else
    (void)save;
    (void)bottom;
    (void)size;
#endif
}

static void switch_end(void *saved, const void **bottom, size_t *size)
{
#if TASK_ASAN
    __sanitizer_finish_switch_fiber(saved, bottom, size);
#else
    (void)saved;
    (void)bottom;
    (void)size;
#endif
}

task *task_new(void)
{
    task *t = calloc(1, sizeof(*t));
    size_t page = (size_t)sysconf(_SC_PAGESIZE);

    if (!t)
        return NULL;
    t->map_len = TASK_STACK + page;
    t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->map == MAP_FAILED) {
        free(t);
        return NULL;
    }
    mprotect(t->map, page, PROT_NONE);
    return t;
}

void task_free(task *t)
{
    if (!t)
        return;
    assert(t->state != TASK_WAITING && t->state != TASK_RUNNING);
    munmap(t->map, t->map_len);
    free(t);
}

static void task_entry(void)
{
    task *t = running;

    switch_end(NULL, &t->caller_bottom, &t->caller_size);
    t->fn(t->arg);
    t->state = TASK_IDLE;
    /* the task's stack is left for good: the sanitizer may forget it */
    switch_begin(NULL, t->caller_bottom, t->caller_size);
    /* returning switches to uc_link, t->caller */
}

/* Runs t until it yields or returns. */
static int task_enter(task *t)
{
    void *fake = NULL;

    assert(!running);
    running = t;
    t->state = TASK_RUNNING;
    switch_begin(&fake, t->map + (t->map_len - TASK_STACK), TASK_STACK);
    swapcontext(&t->caller, &t->ctx);
    switch_end(fake, NULL, NULL);
    running = NULL;
    return t->state == TASK_IDLE;
}

int task_start(task *t, task_fn fn, void *arg)
{
    assert(t->state == TASK_IDLE);
    getcontext(&t->ctx);
    t->ctx.uc_stack.ss_sp = t->map + (t->map_len - TASK_STACK);
    t->ctx.uc_stack.ss_size = TASK_STACK;
    t->ctx.uc_link = &t->caller;
    t->fn = fn;
    t->arg = arg;
    makecontext(&t->ctx, task_entry, 0);
    return task_enter(t);
}

int task_resume(task *t)
{
    assert(t->state == TASK_WAITING);
    return task_enter(t);
}

void task_yield(void)
{
    task *t = running;

    assert(t && t->state == TASK_RUNNING);
    t->state = TASK_WAITING;
    switch_begin(&t->fake_stack, t->caller_bottom, t->caller_size);
    swapcontext(&t->ctx, &t->caller);
    switch_end(t->fake_stack, &t->caller_bottom, &t->caller_size);
}

task *task_current(void)
{
    return running;
}
