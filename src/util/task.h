/* task.h — tasks: functions that run on a stack of their own and can stop
 * in the middle (task_yield) while their thread goes on with other work,
 * then go on from where they stopped (task_resume).
 *
 * The API's loop threads run a request that must wait for another server
 * (PostgreSQL, Redis) as a task: where the code would block, it sends what
 * it has to send and yields; the loop serves other connections and
 * resumes the task when the answer is there. The request's code reads as
 * if it were synchronous, and the loop never waits on the network.
 *
 * Threads: a task belongs to the thread that made it; it runs only between
 * a task_start/task_resume on that thread and its next task_yield (or its
 * end), never alongside the thread's other code, so it shares that
 * thread's data without locks. A task may not start or resume another.
 * Stacks: TASK_STACK bytes, mapped on first use with a guard page below
 * (an overflow faults instead of overwriting memory).
 * Ownership: task_new() / task_free(); a finished task may be started
 * again (its stack is kept). */
#ifndef TVSHOWS_TASK_H
#define TVSHOWS_TASK_H

#include <stddef.h>
#include <stdint.h>

#define TASK_STACK ((size_t)256 << 10)

typedef struct task task;
typedef void (*task_fn)(void *arg);

task *task_new(void);    /* NULL when out of memory */
void task_free(task *t); /* not while it waits; NULL is fine */
/* Runs fn(arg) on t's stack until it returns (1) or yields (0). */
int task_start(task *t, task_fn fn, void *arg);
/* Goes on with a task that yielded: 1 when it has now returned, 0 when it
 * yielded again. */
int task_resume(task *t);
/* From inside a task: back to whoever started or resumed it. */
void task_yield(void);
/* The task running now on this thread, or NULL outside any. */
task *task_current(void);

/* ---- the loop that tasks wait on ----
 * What a client of another server (PostgreSQL, Redis) needs from the event
 * loop it lives on so that it never blocks it: its socket watched, a
 * wake-up by a deadline, and the tasks that use it suspended and resumed.
 * The API's loop threads provide it (api/wait.c). */
enum { TASK_WANT_READ = 1, TASK_WANT_WRITE = 2 };

typedef void (*task_ready_fn)(void *arg, unsigned ready); /* TASK_WANT_* bits, or 0: error */

typedef struct task_loop {
    void *ud;
    /* watch fd for the want bits, calling ready on the loop; want 0 stops
     * (before fd is closed) */
    int (*watch)(void *ud, int fd, unsigned want, task_ready_fn ready, void *arg);
    /* the loop runs its owner's tick no later than at_ms (monotonic ms) */
    void (*wake_at)(void *ud, int64_t at_ms);
    /* the running task (a token for resume), NULL outside one */
    void *(*current)(void *ud);
    /* the running task waits until resumed */
    void (*suspend)(void *ud);
    /* a waiting task goes on (on the loop, from the ready callback) */
    void (*resume)(void *ud, void *token);
} task_loop;

#endif
