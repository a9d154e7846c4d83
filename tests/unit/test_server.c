/* Tests of the HTTP server (src/http/server.c) through real sockets: each
 * test starts a server on a free loopback port with a handler of its own and
 * talks to it as a client would, from the test's thread.
 *
 * The handler echoes the request body; "/body" takes a body of up to
 * BODY_CAP bytes, every other path none; "/big" answers BIG_BYTES; the
 * paths of parking and lent bodies are described where they are tested. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "http/http.h"
#include "util/date.h"

#define BODY_CAP  64
#define BIG_BYTES (64 * 1024)

typedef struct reply {
    int status;
    int close; /* Connection: close */
    char body[BIG_BYTES + 1];
    size_t body_len;
} reply;

/* ---- parking and lent bodies ----
 * "/park" parks its request until the test writes a byte to the loop's
 * pipe (a watched descriptor, as a database socket would be) or a request
 * to "/release" comes; "/later" parks until a deadline 100 ms on
 * (http_loop_wake_at); "/lent" lends LENT_BYTES of static memory and counts
 * each release. */
#define LENT_BYTES (16 * 1024)
#define MAX_PARKED 64

typedef struct loop_ctx {
    http_loop *loop;
    int pipe[2];
    http_watch *watch;
    http_parked *parked[MAX_PARKED];
    size_t nparked;
    http_parked *later;
    int64_t later_at;
} loop_ctx;

static loop_ctx *the_loop;       /* the server runs one loop thread */
static atomic_int lent_released; /* lent bodies given back */
static atomic_int answered_gone; /* resumed after the peer had left */
static atomic_int lent_given;    /* lent bodies handed to the server */
static char lent[LENT_BYTES];

static void release_lent(void *ref)
{
    assert_ptr_equal(ref, lent);
    atomic_fetch_add(&lent_released, 1);
}

static int path_is(const http_request *req, const char *p)
{
    return req->path_len == strlen(p) && !memcmp(req->path, p, req->path_len);
}

static void resume_parked(loop_ctx *x, const char *body)
{
    for (size_t i = 0; i < x->nparked; i++) {
        http_response *res = http_parked_response(x->parked[i]);
        /* the request is whole still, other requests served meanwhile */
        assert_true(path_is(http_parked_request(x->parked[i]), "/park"));
        if (http_parked_gone(x->parked[i]))
            atomic_fetch_add(&answered_gone, 1);
        http_response_set_body(res, "text/plain", body, strlen(body));
        http_resume(x->parked[i]);
    }
    x->nparked = 0;
}

static void on_pipe(void *arg, uint32_t events)
{
    loop_ctx *x = arg;
    char b[16];

    (void)events;
    while (read(x->pipe[0], b, sizeof(b)) > 0) {
    }
    resume_parked(x, "late");
}

static void *loop_init(void *app, http_loop *loop, int index)
{
    loop_ctx *x = calloc(1, sizeof(*x));

    (void)app;
    (void)index;
    assert_non_null(x);
    x->loop = loop;
    assert_int_equal(pipe2(x->pipe, O_NONBLOCK | O_CLOEXEC), 0);
    x->watch = http_watch_add(loop, x->pipe[0], EPOLLIN, on_pipe, x);
    assert_non_null(x->watch);
    the_loop = x;
    return x;
}

static void loop_idle(void *ctx)
{
    loop_ctx *x = ctx;

    if (x->later && http_loop_now(x->loop) >= x->later_at) {
        http_response_set_body(http_parked_response(x->later), "text/plain", "woken", 5);
        http_resume(x->later);
        x->later = NULL;
    }
}

/* Every request still parked is answered before the loop's context goes. */
static void loop_fini(void *ctx)
{
    loop_ctx *x = ctx;

    resume_parked(x, "stopping");
    if (x->later)
        http_resume(x->later);
    http_watch_remove(x->watch);
    close(x->pipe[0]);
    close(x->pipe[1]);
    free(x);
    the_loop = NULL;
}

/* 1 when req was one of the parking paths (then answered or parked). */
static int park_paths(loop_ctx *x, const http_request *req, http_response *res)
{
    if (path_is(req, "/park") && x->nparked < MAX_PARKED) {
        assert_non_null(x->parked[x->nparked] = http_park(req));
        x->nparked++;
        /* whatever is written here is not the answer */
        http_response_set_body(res, "text/plain", "early", 5);
        return 1;
    }
    if (path_is(req, "/release")) {
        resume_parked(x, "released"); /* resumed from inside a handler */
        http_response_set_body(res, "text/plain", "done", 4);
        return 1;
    }
    if (path_is(req, "/at-once")) {
        /* parked, then answered before the handler returns: as a task that
         * had nothing to wait for does */
        http_parked *p = http_park(req);
        assert_non_null(p);
        http_response_set_body(http_parked_response(p), "text/plain", "at once", 7);
        http_resume(p);
        http_response_set_body(res, "text/plain", "early", 5);
        return 1;
    }
    if (path_is(req, "/later")) {
        assert_null(x->later);
        assert_non_null(x->later = http_park(req));
        x->later_at = http_loop_now(x->loop) + 100;
        http_loop_wake_at(x->loop, x->later_at);
        return 1;
    }
    if (path_is(req, "/lent")) {
        atomic_fetch_add(&lent_given, 1);
        http_response_set_body_ref(res, "text/plain", lent, sizeof(lent), release_lent, lent);
        return 1;
    }
    return 0;
}

static void echo(void *ctx, const http_request *req, http_response *res)
{
    res->status = 200;
    if (ctx && park_paths(ctx, req, res))
        return;
    if (req->path_len == 4 && !memcmp(req->path, "/big", 4)) {
        static char big[BIG_BYTES];
        memset(big, 'b', sizeof(big));
        http_response_set_body(res, "text/plain", big, sizeof(big));
        return;
    }
    http_response_set_body(res, "text/plain", req->body ? req->body : "", req->body_len);
}

static size_t body_cap(void *ctx, const http_request *req)
{
    (void)ctx;
    return req->path_len == 5 && !memcmp(req->path, "/body", 5) ? BODY_CAP : 0;
}

static http_server_config base_config(void)
{
    http_server_config c = {
        .host = "127.0.0.1",
        .port = 0,
        .threads = 1,
        .max_connections = 256,
        .header_timeout_ms = 10000,
        .idle_timeout_ms = 10000,
        .shutdown_timeout_ms = 2000,
        .handler = echo,
        .body_limit = body_cap,
    };
    return c;
}

static http_server *start(const http_server_config *cfg)
{
    http_server *s = NULL;
    char err[256];

    if (http_server_start(&s, cfg, err, sizeof(err)) != 0)
        fail_msg("server: %s", err);
    return s;
}

static void stop(http_server *s)
{
    http_server_stop(s);
    http_server_join(s);
}

static int dial(const http_server *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)http_server_port(s))};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* A client whose receive buffer stays small: loopback autotuning may grow it
 * to tens of megabytes, and a test that needs a full socket would not get one. */
static int dial_small(const http_server *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)http_server_port(s))};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), small = 64 * 1024;

    assert_true(fd >= 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

#define SEND(fd, lit) send_all(fd, lit, sizeof(lit) - 1)

/* Waits up to ms for fd to be readable; 1 when it is. */
static int readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return poll(&p, 1, ms) == 1;
}

/* One response, read byte by byte up to its head's end, then its body.
 * Returns 0, or -1 when the connection ended or nothing came within ms. */
static int read_reply(int fd, reply *r, int ms)
{
    char head[4096];
    size_t n = 0, cl = 0;
    const char *p;

    memset(r, 0, sizeof(*r));
    while (n < 4 || memcmp(head + n - 4, "\r\n\r\n", 4)) {
        if (n + 1 >= sizeof(head) || !readable(fd, ms) || recv(fd, head + n, 1, 0) != 1)
            return -1;
        n++;
    }
    head[n] = '\0';
    if (sscanf(head, "HTTP/1.1 %d", &r->status) != 1)
        return -1;
    if ((p = strstr(head, "Content-Length: ")))
        cl = strtoul(p + 16, NULL, 10);
    r->close = strstr(head, "Connection: close") != NULL;
    if (cl > BIG_BYTES)
        return -1;
    while (r->body_len < cl) {
        ssize_t got;
        if (!readable(fd, ms))
            return -1;
        got = recv(fd, r->body + r->body_len, cl - r->body_len, 0);
        if (got <= 0)
            return -1;
        r->body_len += (size_t)got;
    }
    r->body[r->body_len] = '\0';
    return 0;
}

/* 1 when the server closes the connection within ms (EOF or a reset). */
static int closed_within(int fd, int ms)
{
    char b[512];

    while (readable(fd, ms)) {
        ssize_t got = recv(fd, b, sizeof(b), 0);
        if (got == 0 || (got < 0 && errno == ECONNRESET))
            return 1;
        if (got < 0)
            return 0;
    }
    return 0;
}

/* Each test's server and the reply its client reads into. */
typedef struct fixture {
    http_server *s;
    reply r;
} fixture;

static int start_with(void **state, http_server_config cfg)
{
    fixture *f = calloc(1, sizeof(*f));

    if (!f)
        return -1;
    f->s = start(&cfg);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return start_with(state, base_config());
}

static int setup_small_budget(void **state)
{
    http_server_config cfg = base_config();

    cfg.body_budget = 100; /* one body of 64 bytes at a time */
    return start_with(state, cfg);
}

static int setup_parking(void **state)
{
    http_server_config cfg = base_config();

    cfg.thread_init = loop_init;
    cfg.thread_idle = loop_idle;
    cfg.thread_fini = loop_fini;
    atomic_store(&lent_released, 0);
    atomic_store(&answered_gone, 0);
    atomic_store(&lent_given, 0);
    memset(lent, 'L', sizeof(lent));
    return start_with(state, cfg);
}

static int setup_short_body_timeout(void **state)
{
    http_server_config cfg = base_config();

    cfg.body_timeout_ms = 200; /* the idle timeout stays at 10 s */
    return start_with(state, cfg);
}

static int teardown(void **state)
{
    fixture *f = *state;

    stop(f->s);
    free(f);
    return 0;
}

/* The next response on fd has this status (and body, unless NULL). */
static void expect_reply(fixture *f, int fd, int status, const char *body)
{
    assert_int_equal(read_reply(fd, &f->r, 2000), 0);
    assert_int_equal(f->r.status, status);
    if (body)
        assert_string_equal(f->r.body, body);
}

/* The next response on fd has this status, and the server then closes. */
static void expect_refusal(fixture *f, int fd, int status)
{
    expect_reply(f, fd, status, NULL);
    assert_true(f->r.close);
    assert_true(closed_within(fd, 1000));
    close(fd);
}

/* ---- 1. request bodies ---- */

static void test_server_reads_a_body_within_the_route_cap(void **state)
{
    fixture *f = *state;
    int fd = dial(f->s);

    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    expect_reply(f, fd, 200, "hello");
    /* a chunked one, with an extension and a trailer, on the same connection */
    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
    expect_reply(f, fd, 200, "hello world");
    assert_false(f->r.close);
    /* exactly the cap */
    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 64\r\n\r\n"
             "0123456789012345678901234567890123456789012345678901234567890123");
    expect_reply(f, fd, 200, "0123456789012345678901234567890123456789012345678901234567890123");
    close(fd);
}

static void test_server_answers_100_continue_only_to_a_body_it_takes(void **state)
{
    fixture *f = *state;
    int fd = dial(f->s);

    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    expect_reply(f, fd, 100, "");
    SEND(fd, "ok");
    expect_reply(f, fd, 200, "ok");
    close(fd);
    fd = dial(f->s);
    SEND(fd,
         "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\nExpect: 100-continue\r\n\r\n");
    expect_refusal(f, fd, 413);
}

static void test_server_refuses_a_declared_length_over_the_cap_before_it_is_sent(void **state)
{
    fixture *f = *state;
    int fd = dial(f->s);

    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n");
    expect_refusal(f, fd, 413);
}

static void test_server_refuses_any_body_where_the_route_takes_none(void **state)
{
    fixture *f = *state;
    int fd = dial(f->s);

    SEND(fd, "POST /other HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\n");
    expect_refusal(f, fd, 413);
    fd = dial(f->s);
    SEND(fd, "POST /other HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    expect_refusal(f, fd, 413);
}

static void test_server_refuses_a_chunked_body_once_it_passes_the_cap(void **state)
{
    fixture *f = *state;
    int fd = dial(f->s);

    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "28\r\n0123456789012345678901234567890123456789\r\n"
             "28\r\n"); /* 80 bytes declared: over 64 */
    expect_refusal(f, fd, 413);
}

static void test_server_refuses_chunk_framing_past_the_wire_limit(void **state)
{
    fixture *f = *state;
    char ext[1024];
    int fd = dial(f->s), answered = 0;

    /* one data byte a chunk, each with a long extension: the decoded body
     * stays under the cap while the bytes held would grow without end */
    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    memset(ext, 'e', sizeof(ext));
    for (int i = 0; i < 60 && !answered; i++) {
        /* the server may close while these are on their way: not checked */
        (void)!send(fd, "1;x=", 4, MSG_NOSIGNAL);
        (void)!send(fd, ext, sizeof(ext), MSG_NOSIGNAL);
        (void)!send(fd, "\r\nz\r\n", 5, MSG_NOSIGNAL);
        answered = readable(fd, 20);
    }
    assert_true(answered);
    expect_refusal(f, fd, 413);
}

static void test_server_body_budget_refuses_bodies_past_it_with_503(void **state)
{
    fixture *f = *state;
    int a = dial(f->s), b;

    SEND(a, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 64\r\n\r\nfirst");
    usleep(100 * 1000);
    b = dial(f->s);
    SEND(b, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 64\r\n\r\n");
    expect_refusal(f, b, 503);
    /* the first ends; its share of the budget comes back */
    close(a);
    usleep(100 * 1000);
    b = dial(f->s);
    SEND(b, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nend");
    expect_reply(f, b, 200, "end");
    close(b);
}

static void test_server_answers_408_to_a_body_that_stops_arriving(void **state)
{
    fixture *f = *state;
    int64_t t0 = clock_mono_ms();
    int fd = dial(f->s);

    SEND(fd, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    assert_true(readable(fd, 5000));
    assert_true(clock_mono_ms() - t0 < 2500); /* checked once a second */
    expect_refusal(f, fd, 408);
}

/* ---- 3. pipelining ---- */

static void test_server_answers_every_pipelined_request_past_the_high_water_mark(void **state)
{
    enum { N = 200 };
    static const char get_big[] = "GET /big HTTP/1.1\r\nHost: t\r\n\r\n";
    fixture *f = *state;
    char *all = malloc(N * (sizeof(get_big) - 1));
    int fd = dial(f->s), answered = 0;

    assert_non_null(all);
    for (int i = 0; i < N; i++)
        memcpy(all + i * (sizeof(get_big) - 1), get_big, sizeof(get_big) - 1);
    /* 200 requests at once, 12.5 MiB of answers: 1 MiB is prepared, written
     * out whole, and the rest must follow with nothing more sent */
    send_all(fd, all, N * (sizeof(get_big) - 1));
    free(all);
    while (answered < N && read_reply(fd, &f->r, 3000) == 0 && f->r.status == 200 &&
           f->r.body_len == BIG_BYTES)
        answered++;
    assert_int_equal(answered, N);
    close(fd);
}

/* ---- 4. parked requests ---- */

/* The answer to a HEAD: its head says the length, and no body follows. */
static void expect_head_only(int fd, int status, size_t length)
{
    char head[1024], want[64];
    size_t n = 0;

    while (n < 4 || memcmp(head + n - 4, "\r\n\r\n", 4)) {
        assert_true(n + 1 < sizeof(head) && readable(fd, 2000));
        assert_int_equal(recv(fd, head + n, 1, 0), 1);
        n++;
    }
    head[n] = '\0';
    snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
    assert_memory_equal(head, want, strlen(want));
    snprintf(want, sizeof(want), "Content-Length: %zu\r\n", length);
    assert_non_null(strstr(head, want));
    assert_false(readable(fd, 100));
}

/* The server gives a body back once written, just after the client may
 * have read it: wait a little for the count. */
static int eventually_released(int n)
{
    int64_t until = clock_mono_ms() + 3000;

    while (atomic_load(&lent_released) < n && clock_mono_ms() < until)
        usleep(5 * 1000);
    return atomic_load(&lent_released) == n;
}

/* Every body lent has been given back, and that held for 100 ms: the server
 * may still lend for requests it read before it saw the peer go. */
static int eventually_all_released(void)
{
    int64_t until = clock_mono_ms() + 5000, since = -1;

    while (clock_mono_ms() < until) {
        if (atomic_load(&lent_released) != atomic_load(&lent_given))
            since = -1;
        else if (since < 0)
            since = clock_mono_ms();
        else if (clock_mono_ms() - since >= 100)
            return 1;
        usleep(5 * 1000);
    }
    return 0;
}

static void wake_parked(void)
{
    assert_non_null(the_loop);
    assert_int_equal(write(the_loop->pipe[1], "x", 1), 1);
}

static void test_server_serves_others_while_a_request_is_parked(void **state)
{
    fixture *f = *state;
    int a = dial(f->s), b = dial(f->s);

    /* a parked request and one pipelined behind it: neither is answered */
    SEND(a, "GET /park HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_false(readable(a, 200));
    /* the loop goes on serving another connection meanwhile */
    SEND(b, "GET /now HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_reply(f, b, 200, "");
    /* the watched descriptor wakes it: the parked answer, then the next */
    wake_parked();
    expect_reply(f, a, 200, "late");
    assert_false(f->r.close);
    expect_reply(f, a, 200, "");
    SEND(a, "GET /again HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_reply(f, a, 200, "");
    close(a);
    close(b);
}

static void test_server_answers_parked_requests_resumed_from_a_handler(void **state)
{
    fixture *f = *state;
    int a = dial(f->s), b = dial(f->s), c = dial(f->s);

    SEND(a, "GET /park HTTP/1.1\r\nHost: t\r\n\r\n");
    SEND(b, "HEAD /park HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(100 * 1000);
    SEND(c, "GET /release HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_reply(f, c, 200, "done");
    expect_reply(f, a, 200, "released");
    /* HEAD: the length of the answer, not its body */
    expect_head_only(b, 200, strlen("released"));
    close(a);
    close(b);
    close(c);
}

static void test_server_answers_once_a_request_resumed_before_its_handler_returned(void **state)
{
    fixture *f = *state;
    int a = dial(f->s);

    SEND(a, "GET /at-once HTTP/1.1\r\nHost: t\r\n\r\n"
            "GET /at-once HTTP/1.1\r\nHost: t\r\n\r\n"
            "GET /now HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_reply(f, a, 200, "at once");
    expect_reply(f, a, 200, "at once");
    /* no empty answer of the handler's own came between them */
    expect_reply(f, a, 200, "");
    SEND(a, "GET /at-once HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_reply(f, a, 200, "at once");
    close(a);
}

static void test_server_drops_the_answer_of_a_peer_that_left(void **state)
{
    fixture *f = *state;
    int a = dial(f->s), b = dial(f->s);

    SEND(a, "GET /park HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50 * 1000);
    /* a reset: the server sees the error on the parked connection */
    setsockopt(a, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
    close(a);
    usleep(100 * 1000);
    wake_parked();
    usleep(100 * 1000);
    assert_int_equal(atomic_load(&answered_gone), 1);
    /* and the loop is well */
    SEND(b, "GET /now HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_reply(f, b, 200, "");
    close(b);
}

static void test_server_wakes_the_loop_at_the_deadline_asked_for(void **state)
{
    fixture *f = *state;
    int64_t t0 = clock_mono_ms();
    int a = dial(f->s);

    SEND(a, "GET /later HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_reply(f, a, 200, "woken");
    /* the loop would otherwise sleep a second between its checks */
    assert_true(clock_mono_ms() - t0 < 800);
    close(a);
}

static void test_server_answers_what_is_parked_when_it_stops(void **state)
{
    fixture *f = *state;
    int a = dial(f->s);

    SEND(a, "GET /park HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50 * 1000);
    http_server_stop(f->s);
    /* the deadline closes the connection; its context answers at the end */
    assert_true(closed_within(a, 5000));
    close(a);
    http_server_join(f->s);
    f->s = NULL;
}

/* ---- 5. lent bodies ---- */

static void test_server_writes_a_lent_body_and_gives_it_back(void **state)
{
    fixture *f = *state;
    int a = dial(f->s);

    SEND(a, "GET /lent HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_int_equal(read_reply(a, &f->r, 2000), 0);
    assert_int_equal(f->r.body_len, LENT_BYTES);
    assert_int_equal(f->r.body[0], 'L');
    assert_int_equal(f->r.body[LENT_BYTES - 1], 'L');
    assert_true(eventually_released(1));
    /* HEAD: given back without a byte of it written */
    SEND(a, "HEAD /lent HTTP/1.1\r\nHost: t\r\n\r\n");
    expect_head_only(a, 200, LENT_BYTES);
    assert_true(eventually_released(2));
    close(a);
}

static void test_server_pipelines_lent_bodies_in_order(void **state)
{
    enum { N = 300 }; /* 4.8 MiB: past the high-water mark, and a full socket */
    static const char both[] = "GET /lent HTTP/1.1\r\nHost: t\r\n\r\n"
                               "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc";
    fixture *f = *state;
    int a = dial(f->s), ok = 0;

    for (int i = 0; i < N; i++)
        send_all(a, both, sizeof(both) - 1);
    for (int i = 0; i < N; i++) {
        if (read_reply(a, &f->r, 3000) != 0 || f->r.body_len != LENT_BYTES ||
            f->r.body[LENT_BYTES / 2] != 'L')
            break;
        if (read_reply(a, &f->r, 3000) != 0 || strcmp(f->r.body, "abc") != 0)
            break;
        ok++;
    }
    assert_int_equal(ok, N);
    assert_true(eventually_released(N));
    close(a);
}

static void test_server_gives_back_lent_bodies_of_a_peer_that_left(void **state)
{
    enum { N = 1000 }; /* 16 MiB of answers that are never read */
    static const char get[] = "GET /lent HTTP/1.1\r\nHost: t\r\n\r\n";
    fixture *f = *state;
    int a = dial_small(f->s);

    for (int i = 0; i < N; i++)
        send_all(a, get, sizeof(get) - 1);
    /* the socket fills and lent bodies wait behind it: the server reads no
     * more requests until they drain, so some 30 of them (a slow machine
     * takes a while to get there: poll, do not guess a delay) */
    for (int ms = 0; ms < 5000 && atomic_load(&lent_given) - atomic_load(&lent_released) < 16;
         ms += 10)
        usleep(10 * 1000);
    assert_true(atomic_load(&lent_given) - atomic_load(&lent_released) >= 16);
    setsockopt(a, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
    close(a);
    /* every one lent is given back: written, or dropped with the connection */
    assert_true(eventually_all_released());
    assert_true(atomic_load(&lent_given) < N);
}

static int teardown_parking(void **state)
{
    fixture *f = *state;

    if (f->s)
        stop(f->s);
    free(f);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server_reads_a_body_within_the_route_cap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_answers_100_continue_only_to_a_body_it_takes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_refuses_a_declared_length_over_the_cap_before_it_is_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_refuses_any_body_where_the_route_takes_none,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_refuses_a_chunked_body_once_it_passes_the_cap,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_refuses_chunk_framing_past_the_wire_limit,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_body_budget_refuses_bodies_past_it_with_503,
                                        setup_small_budget, teardown),
        cmocka_unit_test_setup_teardown(test_server_answers_408_to_a_body_that_stops_arriving,
                                        setup_short_body_timeout, teardown),
        cmocka_unit_test_setup_teardown(
            test_server_answers_every_pipelined_request_past_the_high_water_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_serves_others_while_a_request_is_parked,
                                        setup_parking, teardown_parking),
        cmocka_unit_test_setup_teardown(test_server_answers_parked_requests_resumed_from_a_handler,
                                        setup_parking, teardown_parking),
        cmocka_unit_test_setup_teardown(
            test_server_answers_once_a_request_resumed_before_its_handler_returned, setup_parking,
            teardown_parking),
        cmocka_unit_test_setup_teardown(test_server_drops_the_answer_of_a_peer_that_left,
                                        setup_parking, teardown_parking),
        cmocka_unit_test_setup_teardown(test_server_wakes_the_loop_at_the_deadline_asked_for,
                                        setup_parking, teardown_parking),
        cmocka_unit_test_setup_teardown(test_server_answers_what_is_parked_when_it_stops,
                                        setup_parking, teardown_parking),
        cmocka_unit_test_setup_teardown(test_server_writes_a_lent_body_and_gives_it_back,
                                        setup_parking, teardown_parking),
        cmocka_unit_test_setup_teardown(test_server_pipelines_lent_bodies_in_order, setup_parking,
                                        teardown_parking),
        cmocka_unit_test_setup_teardown(test_server_gives_back_lent_bodies_of_a_peer_that_left,
                                        setup_parking, teardown_parking),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
