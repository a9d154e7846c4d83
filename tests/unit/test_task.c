/* Tests of tasks (src/util/task.c): they stop and go on where they were,
 * with their stack intact, and a finished task can be started again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/task.h"

typedef struct counter {
    int steps;
    int seen[8];
    task *self;
} counter;

/* Yields three times, keeping a value on its own stack across each. */
static void count_three(void *arg)
{
    counter *c = arg;
    volatile int local[64];

    for (int i = 0; i < 64; i++)
        local[i] = i * 3;
    for (int i = 0; i < 3; i++) {
        c->seen[c->steps++] = local[i * 10];
        assert_ptr_equal(task_current(), c->self);
        task_yield();
    }
    c->seen[c->steps++] = local[63];
}

static void test_task_stops_and_goes_on_where_it_was(void **state)
{
    task *t = task_new();
    counter c = {0};

    (void)state;
    assert_non_null(t);
    c.self = t;
    assert_null(task_current());
    assert_int_equal(task_start(t, count_three, &c), 0);
    assert_null(task_current()); /* back on the caller's stack */
    assert_int_equal(c.steps, 1);
    assert_int_equal(task_resume(t), 0);
    assert_int_equal(task_resume(t), 0);
    assert_int_equal(c.steps, 3);
    assert_int_equal(task_resume(t), 1); /* it returned */
    assert_int_equal(c.steps, 4);
    assert_int_equal(c.seen[0], 0);
    assert_int_equal(c.seen[1], 30);
    assert_int_equal(c.seen[2], 60);
    assert_int_equal(c.seen[3], 189);
    /* started again on the same stack */
    memset(&c, 0, sizeof(c));
    c.self = t;
    assert_int_equal(task_start(t, count_three, &c), 0);
    while (!task_resume(t)) {
    }
    assert_int_equal(c.steps, 4);
    task_free(t);
}

static void finish_at_once(void *arg)
{
    *(int *)arg = 1;
}

static void test_task_that_never_yields_is_done_at_start(void **state)
{
    task *t = task_new();
    int ran = 0;

    (void)state;
    assert_int_equal(task_start(t, finish_at_once, &ran), 1);
    assert_int_equal(ran, 1);
    task_free(t);
}

/* Several tasks interleaved, as a loop runs its waiting requests. */
static void test_tasks_interleave_without_sharing_their_stacks(void **state)
{
    enum { N = 8 };
    task *t[N];
    counter c[N];
    int done = 0;

    (void)state;
    memset(c, 0, sizeof(c));
    for (int i = 0; i < N; i++) {
        assert_non_null(t[i] = task_new());
        c[i].self = t[i];
        assert_int_equal(task_start(t[i], count_three, &c[i]), 0);
    }
    while (done < N) {
        done = 0;
        for (int i = N; i-- > 0;)
            done += c[i].steps == 4 || task_resume(t[i]);
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(c[i].seen[2], 60);
        assert_int_equal(c[i].seen[3], 189);
        task_free(t[i]);
    }
}

/* A deep stack: most of TASK_STACK can be used. */
static int depth(int n)
{
    volatile char pad[1024];

    pad[0] = (char)n;
    return n ? depth(n - 1) + pad[0] - (char)n + 1 : 0;
}

static void go_deep(void *arg)
{
    *(int *)arg = depth(150); /* about 150 KiB */
}

static void test_task_stack_holds_deep_calls(void **state)
{
    task *t = task_new();
    int d = 0;

    (void)state;
    assert_int_equal(task_start(t, go_deep, &d), 1);
    assert_int_equal(d, 150);
    task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_stops_and_goes_on_where_it_was),
        cmocka_unit_test(test_task_that_never_yields_is_done_at_start),
        cmocka_unit_test(test_tasks_interleave_without_sharing_their_stacks),
        cmocka_unit_test(test_task_stack_holds_deep_calls),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
