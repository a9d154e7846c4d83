#include "kv/redis.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/num.h"
#include "util/task.h"
#include "util/trace.h"

#define MAX_ARGS    64
#define RETRY_MS    1000  /* after a refused or broken connection */
#define BACKOFF_MAX 60000 /* timeouts back off 1 s, 2 s, 4 s … up to this */
#define PROBE_WAIT  20    /* ms a non-blocking reconnect may wait in one call */

/* A command sent from a loop, waiting for its reply. */
typedef struct pending {
    redis_reply_fn fn; /* NULL: the reply is dropped */
    void *ud;
    int64_t deadline; /* monotonic ms */
    redisReply *reply;
    struct pending *next;
    trace_span *span; /* recorded: its client span, ended with the reply */
} pending;

/* A connection is made in steps, so that it can be made without waiting:
 * connect, the TLS handshake, then AUTH, SELECT and PING sent at once and
 * their replies read. */
typedef enum { LINK_DOWN, LINK_CONNECTING, LINK_TLS, LINK_HELLO, LINK_UP } link_state;

struct redis {
    char host[256];
    char port[8];
    char user[128];
    char password[256];
    int db;
    int tls;
    int timeout_ms;
    int nonblocking; /* reconnects never wait more than PROBE_WAIT per call */
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    redisReader *reader;
    link_state state;
    struct addrinfo *addrs, *addr; /* while connecting: the addresses, the one tried */
    int64_t deadline;              /* of the connection attempt under way */
    int hello_left;                /* replies to the hello still to come */
    int hello_auth;                /* the first of them answers AUTH */
    int timed_out;                 /* the last failure was Redis not answering in time */
    int64_t backoff_ms;            /* the delay after the last timeout; 0 after a success */
    int up;                        /* the last command got through */
    int was_up;                    /* for logging state changes once */
    int64_t retry_at;              /* monotonic ms: no reconnect before */
    char err[512];
    /* on a loop (redis_set_loop): commands queued, sent without waiting,
     * their replies handed to callbacks in order */
    int on_loop;
    task_loop loop;
    int watched_fd; /* -1: none */
    unsigned want;
    buf out; /* commands not yet written (written once the link is up) */
    size_t out_off;
    pending *head, *tail; /* replies due, in order */
    pending *done;        /* replies to hand out from the loop */
};

/* %XX in user info */
static void url_decode_into(char *out, size_t outlen, const char *s, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 1 < outlen; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            char *end;
            long c = strtol(hex, &end, 16);
            if (*end == '\0') {
                out[o++] = (char)c;
                i += 2;
                continue;
            }
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
}

static int parse_url(redis *r, const char *url, char *err, size_t errlen)
{
    const char *p, *at, *host, *slash, *colon;
    size_t hl;

    if (!strncmp(url, "redis://", 8)) {
        p = url + 8;
    } else if (!strncmp(url, "rediss://", 9)) {
        p = url + 9;
        r->tls = 1;
    } else {
        snprintf(err, errlen, "must start with redis:// or rediss://");
        return -1;
    }
    /* the userinfo ends at the last '@': a password may hold '@' or '/',
     * and none of it may be taken for the host or port (which errors name) */
    at = strrchr(p, '@');
    slash = strchr(at ? at + 1 : p, '/');
    if (at) {
        const char *c = memchr(p, ':', (size_t)(at - p));
        if (c) {
            url_decode_into(r->user, sizeof(r->user), p, (size_t)(c - p));
            url_decode_into(r->password, sizeof(r->password), c + 1, (size_t)(at - c - 1));
        } else {
            url_decode_into(r->password, sizeof(r->password), p, (size_t)(at - p));
        }
        p = at + 1;
    }
    host = p;
    hl = slash ? (size_t)(slash - host) : strlen(host);
    colon = memrchr(host, ':', hl);
    if (host[0] == '[') { /* [IPv6]:port */
        const char *rb = memchr(host, ']', hl);
        if (!rb) {
            snprintf(err, errlen, "bad IPv6 host");
            return -1;
        }
        snprintf(r->host, sizeof(r->host), "%.*s", (int)(rb - host - 1), host + 1);
        colon = rb + 1 < host + hl && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        snprintf(r->host, sizeof(r->host), "%.*s", (int)(colon ? colon - host : (long)hl), host);
    }
    snprintf(r->port, sizeof(r->port), "%.*s", colon ? (int)(host + hl - colon - 1) : 4,
             colon ? colon + 1 : "6379");
    if (!r->host[0] || !r->port[0]) {
        snprintf(err, errlen, "needs a host");
        return -1;
    }
    if (slash && slash[1]) {
        uint64_t db;
        if (num_parse_u64(slash + 1, strlen(slash + 1), 1000, &db) != 0) {
            snprintf(err, errlen, "the database must be a number");
            return -1;
        }
        r->db = (int)db;
    }
    return 0;
}

redis *redis_new(const char *url, int timeout_ms, char *err, size_t errlen)
{
    redis *r = calloc(1, sizeof(*r));

    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->fd = -1;
    r->watched_fd = -1;
    r->state = LINK_DOWN;
    r->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    if (parse_url(r, url, err, errlen) != 0) {
        free(r);
        return NULL;
    }
    return r;
}

static void disconnect(redis *r)
{
    if (r->ssl) {
        SSL_free(r->ssl);
        r->ssl = NULL;
    }
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    if (r->reader) {
        redisReaderFree(r->reader);
        r->reader = NULL;
    }
    if (r->addrs) {
        freeaddrinfo(r->addrs);
        r->addrs = r->addr = NULL;
    }
    r->state = LINK_DOWN;
}

void redis_free(redis *r)
{
    if (!r)
        return;
    redis_abandon(r);
    buf_free(&r->out);
    disconnect(r);
    if (r->ctx)
        SSL_CTX_free(r->ctx);
    free(r);
}

const char *redis_errmsg(const redis *r)
{
    return r->err;
}

/* Waits for the socket until deadline: 0 ready, -1 error, or -1 with
 * r->timed_out set when the deadline passed. */
static int wait_fd(redis *r, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        struct pollfd p = {r->fd, events, 0};
        int n;
        if (left <= 0) {
            r->timed_out = 1;
            return -1;
        }
        n = poll(&p, 1, (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static int io_write(redis *r, const char *p, size_t n, int64_t deadline)
{
    while (n) {
        ssize_t w;
        if (r->ssl) {
            int rc = SSL_write(r->ssl, p, (int)n), e;
            if (rc > 0) {
                p += rc;
                n -= (size_t)rc;
                continue;
            }
            e = SSL_get_error(r->ssl, rc);
            if ((e == SSL_ERROR_WANT_WRITE && !wait_fd(r, POLLOUT, deadline)) ||
                (e == SSL_ERROR_WANT_READ && !wait_fd(r, POLLIN, deadline)))
                continue;
            return -1;
        }
        w = send(r->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(r, POLLOUT, deadline) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Bytes read, 0 when none are there yet (wait: with a deadline of 0), or
 * -1 on end of stream, error or timeout. */
static ssize_t io_read(redis *r, char *p, size_t n, int64_t deadline)
{
    for (;;) {
        ssize_t got;
        if (r->ssl) {
            int rc = SSL_read(r->ssl, p, (int)n), e;
            if (rc > 0)
                return rc;
            e = SSL_get_error(r->ssl, rc);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return -1;
            if (!deadline)
                return 0;
            if (wait_fd(r, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline) != 0)
                return -1;
            continue;
        }
        got = recv(r->fd, p, n, 0);
        if (got > 0)
            return got;
        if (got == 0 || (errno != EAGAIN && errno != EINTR))
            return -1;
        if (errno == EAGAIN && !deadline)
            return 0;
        if (errno == EAGAIN && wait_fd(r, POLLIN, deadline) != 0)
            return -1;
    }
}

/* ---- making a connection, in steps ---- */

/* Starts connecting to the next address left; -1 when none is. */
static int link_connect_next(redis *r)
{
    for (; r->addr; r->addr = r->addr->ai_next) {
        const struct addrinfo *ai = r->addr;
        int one = 1;
        if (r->fd >= 0)
            close(r->fd);
        r->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (r->fd < 0)
            continue;
        setsockopt(r->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(r->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        if (connect(r->fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
            r->state = LINK_CONNECTING;
            return 0;
        }
        snprintf(r->err, sizeof(r->err), "connect %.200s:%s: %s", r->host, r->port,
                 strerror(errno));
    }
    return -1;
}

static int link_start(redis *r, int64_t now)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    int rc;

    r->timed_out = 0;
    r->deadline = now + r->timeout_ms;
    if ((rc = getaddrinfo(r->host, r->port, &hints, &r->addrs)) != 0) {
        r->addrs = NULL;
        snprintf(r->err, sizeof(r->err), "%.200s: %s", r->host, gai_strerror(rc));
        return -1;
    }
    r->addr = r->addrs;
    return link_connect_next(r);
}

static int tls_fail(redis *r)
{
    const char *why = ERR_reason_error_string(ERR_get_error());

    snprintf(r->err, sizeof(r->err), "TLS to %.200s: %s", r->host, why ? why : "handshake failed");
    return -1;
}

static int tls_begin(redis *r)
{
    if (!r->ctx) {
        r->ctx = SSL_CTX_new(TLS_client_method());
        if (!r->ctx || SSL_CTX_set_default_verify_paths(r->ctx) != 1)
            return tls_fail(r);
        SSL_CTX_set_min_proto_version(r->ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
    }
    if (!(r->ssl = SSL_new(r->ctx)) || SSL_set_fd(r->ssl, r->fd) != 1 ||
        !(SSL_set_mode(r->ssl,
                       SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER) &
          SSL_MODE_ENABLE_PARTIAL_WRITE) ||
        SSL_set_tlsext_host_name(r->ssl, r->host) != 1 || SSL_set1_host(r->ssl, r->host) != 1)
        return tls_fail(r);
    r->state = LINK_TLS;
    return 0;
}

static int append_command(buf *b, int argc, const char **argv)
{
    size_t l[4];
    char *cmd = NULL;
    int n, rc;

    for (int i = 0; i < argc; i++)
        l[i] = strlen(argv[i]);
    if ((n = redisFormatCommandArgv(&cmd, argc, argv, l)) < 0)
        return -1;
    rc = buf_append(b, cmd, (size_t)n);
    redisFreeCommand(cmd);
    return rc;
}

/* AUTH, SELECT and PING in one write: their replies say the link is up. */
static int link_hello(redis *r)
{
    const char *auth[3] = {"AUTH", r->user[0] ? r->user : r->password, r->password};
    char db[16];
    const char *select[2] = {"SELECT", db}, *ping[1] = {"PING"};
    buf b;
    int rc = -1;

    buf_init(&b, 4096);
    snprintf(db, sizeof(db), "%d", r->db);
    r->hello_left = 1;
    r->hello_auth = r->password[0] != 0;
    if (!(r->reader = redisReaderCreate()) ||
        (r->hello_auth && append_command(&b, r->user[0] ? 3 : 2, auth) != 0) ||
        (r->db && append_command(&b, 2, select) != 0) || append_command(&b, 1, ping) != 0) {
        snprintf(r->err, sizeof(r->err), "out of memory");
        goto done;
    }
    r->hello_left += r->hello_auth + (r->db != 0);
    /* a few hundred bytes into an empty socket buffer: never waits */
    if (io_write(r, b.data, b.len, r->deadline) != 0) {
        snprintf(r->err, sizeof(r->err), "write to %.200s:%s failed", r->host, r->port);
        goto done;
    }
    r->state = LINK_HELLO;
    rc = 0;
done:
    buf_free(&b);
    return rc;
}

/* Reads the hello's replies that have come: 1 when all have, 0 when some
 * are still due, -1 when one refused (or the link broke). */
static int link_read_hello(redis *r)
{
    char chunk[1024];
    void *reply;

    for (;;) {
        ssize_t got;
        while (r->hello_left && redisReaderGetReply(r->reader, &reply) == REDIS_OK && reply) {
            int refused = ((redisReply *)reply)->type == REDIS_REPLY_ERROR;
            freeReplyObject(reply);
            if (refused) {
                snprintf(r->err, sizeof(r->err), "%s refused by %.200s:%s",
                         r->hello_auth       ? "AUTH"
                         : r->hello_left > 1 ? "SELECT"
                                             : "PING",
                         r->host, r->port);
                return -1;
            }
            r->hello_auth = 0;
            r->hello_left--;
        }
        if (!r->hello_left)
            return 1;
        if ((got = io_read(r, chunk, sizeof(chunk), 0)) <= 0) {
            if (got < 0)
                snprintf(r->err, sizeof(r->err), "%.200s:%s closed the connection", r->host,
                         r->port);
            return got < 0 ? -1 : 0;
        }
        if (redisReaderFeed(r->reader, chunk, (size_t)got) != REDIS_OK)
            return -1;
    }
}

/* One step towards LINK_UP without waiting: 1 up, 0 under way (*events
 * says what the socket must become), -1 failed. */
static int link_step(redis *r, short *events)
{
    for (;;) {
        struct pollfd p = {r->fd, POLLOUT, 0};
        int e = 0, rc;
        socklen_t el = sizeof(e);

        switch (r->state) {
        case LINK_CONNECTING:
            *events = POLLOUT;
            if (poll(&p, 1, 0) == 0)
                return 0;
            if (getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0 || e != 0) {
                snprintf(r->err, sizeof(r->err), "connect %.200s:%s: %s", r->host, r->port,
                         strerror(e ? e : errno));
                r->addr = r->addr ? r->addr->ai_next : NULL;
                if (link_connect_next(r) != 0)
                    return -1;
                continue;
            }
            if (r->tls ? tls_begin(r) != 0 : link_hello(r) != 0)
                return -1;
            continue;
        case LINK_TLS:
            if ((rc = SSL_connect(r->ssl)) == 1) {
                if (link_hello(r) != 0)
                    return -1;
                continue;
            }
            e = SSL_get_error(r->ssl, rc);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                return tls_fail(r);
            *events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            return 0;
        case LINK_HELLO:
            *events = POLLIN;
            if ((rc = link_read_hello(r)) == 1) {
                freeaddrinfo(r->addrs);
                r->addrs = r->addr = NULL;
                r->state = LINK_UP;
            }
            return rc;
        case LINK_UP:
            return 1;
        case LINK_DOWN:
            return -1;
        }
    }
}

/* Drives the connection towards LINK_UP, waiting on its socket until
 * `until` at most (and never past the attempt's deadline): 1 up, 0 still
 * under way, -1 failed (r->timed_out when the deadline passed). */
static int link_drive(redis *r, int64_t until)
{
    if (until > r->deadline)
        until = r->deadline;
    for (;;) {
        short events = 0;
        int rc = link_step(r, &events);
        if (rc != 0)
            return rc;
        if (clock_mono_ms() >= r->deadline) {
            r->timed_out = 1;
            snprintf(r->err, sizeof(r->err), "no answer from %.200s:%s within %d ms", r->host,
                     r->port, r->timeout_ms);
            return -1;
        }
        if (clock_mono_ms() >= until)
            return 0;
        if (wait_fd(r, events, until) != 0) {
            if (!r->timed_out)
                return -1;
            r->timed_out = 0; /* only `until`: the step above decides */
        }
    }
}

static redisReply *roundtrip(redis *r, int extra_ms, int argc, const char **argv,
                             const size_t *lens)
{
    int64_t deadline = clock_mono_ms() + r->timeout_ms + extra_ms;
    size_t l[MAX_ARGS];
    char *cmd = NULL, chunk[16384];
    void *reply = NULL;
    int n;

    if (argc > MAX_ARGS)
        return NULL;
    for (int i = 0; i < argc; i++)
        l[i] = lens ? lens[i] : strlen(argv[i]);
    if ((n = redisFormatCommandArgv(&cmd, argc, argv, l)) < 0)
        return NULL;
    if (io_write(r, cmd, (size_t)n, deadline) != 0) {
        snprintf(r->err, sizeof(r->err), "write to %.200s:%s failed", r->host, r->port);
        goto fail;
    }
    while (redisReaderGetReply(r->reader, &reply) == REDIS_OK && !reply) {
        ssize_t got = io_read(r, chunk, sizeof(chunk), deadline);
        if (got <= 0) {
            snprintf(r->err, sizeof(r->err), "no answer from %.200s:%s", r->host, r->port);
            goto fail;
        }
        if (redisReaderFeed(r->reader, chunk, (size_t)got) != REDIS_OK)
            goto fail;
    }
    redisFreeCommand(cmd);
    return reply;
fail:
    redisFreeCommand(cmd);
    return NULL;
}

/* A connection that failed: closed, and the next attempt put off. A Redis
 * that does not answer (a network fault, a wedged server) costs a caller a
 * whole timeout on each attempt, so after a timeout attempts back off
 * exponentially, up to BACKOFF_MAX; a refused or broken connection, which
 * costs nothing, is tried again after RETRY_MS. */
static void link_failed(redis *r)
{
    int64_t delay = RETRY_MS;

    disconnect(r);
    if (r->timed_out) {
        delay = r->backoff_ms ? r->backoff_ms * 2 : RETRY_MS;
        if (delay > BACKOFF_MAX)
            delay = BACKOFF_MAX;
        r->backoff_ms = delay;
    } else {
        r->backoff_ms = 0;
    }
    r->retry_at = clock_mono_ms() + delay;
    r->up = 0;
    metrics_inc(M_REDIS_ERRORS);
    if (r->was_up) {
        r->was_up = 0;
        log_warn("redis unavailable, degraded", LF_S("error", r->err), LF_I("retry_in_ms", delay));
    }
}

/* The link, made or being made: 1 usable, 0 not yet (or not now), -1
 * failed. A blocking client waits for the whole attempt; a non-blocking one
 * waits at most PROBE_WAIT in the call that starts it and leaves the rest
 * to later calls, each of which looks at the socket without waiting. */
static int link_ready(redis *r)
{
    int64_t now = clock_mono_ms(), until = now;

    if (r->state == LINK_UP)
        return 1;
    if (r->state == LINK_DOWN) {
        if (now < r->retry_at)
            return 0;
        if (link_start(r, now) != 0)
            return -1;
        until = now + PROBE_WAIT; /* a healthy Redis answers well within it */
    }
    return link_drive(r, r->nonblocking ? until : r->deadline);
}

/* ---- traces: a client span per command ---- */

/* Its name only, never its arguments (keys and values may be client
 * addresses or API key digests). */
static void cmd_span_begin(const redis *r, trace_span *s, int argc, const char **argv,
                           const size_t *lens)
{
    char name[24];
    size_t n;

    trace_begin_child(s, TRACE_CLIENT, NULL);
    if (!trace_recording(s) || argc < 1)
        return;
    n = lens ? lens[0] : strlen(argv[0]);
    if (n > sizeof(name) - 1)
        n = sizeof(name) - 1;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)toupper((unsigned char)argv[0][i]);
    trace_set_name(s, name, n);
    trace_attr_strn(s, "db.system.name", "redis", 5);
    trace_attr_strn(s, "db.operation.name", name, n);
    trace_attr_str(s, "server.address", r->host);
}

static void cmd_span_end(trace_span *s, const redisReply *rep)
{
    if (!rep || rep->type == REDIS_REPLY_ERROR) {
        trace_attr_str(s, "error.type", rep ? "redis_error" : "redis_unavailable");
        trace_set_error(s);
    }
    trace_end(s);
}

/* ---- on a loop: sent without waiting, replies to callbacks ---- */

static void lp_on_ready(void *arg, unsigned ready);

static void lp_watch(redis *r, int fd, unsigned want)
{
    if (fd != r->watched_fd && r->watched_fd >= 0) {
        r->loop.watch(r->loop.ud, r->watched_fd, 0, lp_on_ready, r);
        r->want = 0;
    }
    r->watched_fd = fd;
    if (fd >= 0 && want != r->want && r->loop.watch(r->loop.ud, fd, want, lp_on_ready, r) == 0)
        r->want = want;
}

/* Replies are handed out from the loop, never from inside a task (a
 * callback may resume one). */
static void lp_dispatch(redis *r)
{
    if (r->loop.current(r->loop.ud)) {
        if (r->done)
            r->loop.wake_at(r->loop.ud, 1);
        return;
    }
    while (r->done) {
        pending *p = r->done;
        r->done = p->next;
        if (p->span) {
            cmd_span_end(p->span, p->reply);
            free(p->span);
        }
        if (p->fn)
            p->fn(p->ud, p->reply);
        else if (p->reply)
            freeReplyObject(p->reply);
        free(p);
    }
}

/* The link failed (or timed out): every command waiting gets NULL, and
 * the next attempt is put off as link_failed says. */
static void lp_fail(redis *r)
{
    lp_watch(r, -1, 0);
    link_failed(r);
    buf_reset(&r->out);
    r->out_off = 0;
    while (r->head) {
        pending *p = r->head;
        r->head = p->next;
        p->reply = NULL;
        p->next = r->done;
        r->done = p;
    }
    r->tail = NULL;
}

void redis_abandon(redis *r)
{
    if (!r || !r->on_loop)
        return;
    if (r->head || r->state != LINK_DOWN) {
        snprintf(r->err, sizeof(r->err), "closing");
        lp_fail(r);
    }
    lp_dispatch(r);
}

/* Writes what is queued, as far as the socket takes it. */
static void lp_flush(redis *r)
{
    unsigned want = TASK_WANT_READ;

    while (r->out_off < r->out.len) {
        const char *p = r->out.data + r->out_off;
        size_t n = r->out.len - r->out_off;
        ssize_t w;
        if (r->ssl) {
            int rc = SSL_write(r->ssl, p, (int)n), e;
            if (rc > 0) {
                r->out_off += (size_t)rc;
                continue;
            }
            e = SSL_get_error(r->ssl, rc);
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                want |= e == SSL_ERROR_WANT_WRITE ? TASK_WANT_WRITE : 0;
                break;
            }
            goto fail;
        }
        w = send(r->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            r->out_off += (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN) {
            want |= TASK_WANT_WRITE;
            break;
        } else {
            goto fail;
        }
    }
    if (r->out_off == r->out.len) {
        buf_reset(&r->out);
        r->out_off = 0;
    }
    lp_watch(r, r->fd, want);
    return;
fail:
    snprintf(r->err, sizeof(r->err), "write to %.200s:%s failed", r->host, r->port);
    lp_fail(r);
}

/* Reads what has come and hands each reply to its command, in order. */
static void lp_read(redis *r)
{
    char chunk[16384];
    void *reply;
    ssize_t got;

    while ((got = io_read(r, chunk, sizeof(chunk), 0)) > 0)
        if (redisReaderFeed(r->reader, chunk, (size_t)got) != REDIS_OK)
            break;
    if (got < 0) {
        snprintf(r->err, sizeof(r->err), "%.200s:%s closed the connection", r->host, r->port);
        lp_fail(r);
        return;
    }
    while (r->head) {
        pending *p = r->head;
        if (redisReaderGetReply(r->reader, &reply) != REDIS_OK) {
            snprintf(r->err, sizeof(r->err), "bad reply from %.200s:%s", r->host, r->port);
            lp_fail(r);
            return;
        }
        if (!reply)
            break;
        r->head = p->next;
        if (!r->head)
            r->tail = NULL;
        p->reply = reply;
        p->next = r->done;
        r->done = p;
    }
    r->up = 1;
    r->backoff_ms = 0;
}

/* Connecting: one more step; once up, what was queued meanwhile goes. */
static void lp_step(redis *r)
{
    short events = 0;
    int rc = link_step(r, &events);

    if (rc < 0) {
        lp_fail(r);
    } else if (rc == 0) {
        lp_watch(r, r->fd, events & POLLOUT ? TASK_WANT_WRITE : TASK_WANT_READ);
    } else {
        r->timed_out = 0;
        if (!r->was_up) {
            r->was_up = 1;
            log_debug("redis connected", LF_S("host", r->host));
        }
        lp_flush(r);
    }
}

static void lp_on_ready(void *arg, unsigned ready)
{
    redis *r = arg;

    if (r->state != LINK_UP) {
        lp_step(r);
    } else {
        if (ready & TASK_WANT_WRITE)
            lp_flush(r);
        if (r->state == LINK_UP && (ready & TASK_WANT_READ || !ready))
            lp_read(r);
    }
    lp_dispatch(r);
}

void redis_tick(redis *r)
{
    int64_t now;

    if (!r || !r->on_loop)
        return;
    now = clock_mono_ms();
    if (r->state != LINK_DOWN && r->state != LINK_UP && now >= r->deadline) {
        r->timed_out = 1;
        snprintf(r->err, sizeof(r->err), "no answer from %.200s:%s within %d ms", r->host, r->port,
                 r->timeout_ms);
        lp_fail(r);
    } else if (r->head && now >= r->head->deadline) {
        r->timed_out = 1;
        snprintf(r->err, sizeof(r->err), "no answer from %.200s:%s within %d ms", r->host, r->port,
                 r->timeout_ms);
        lp_fail(r);
    }
    lp_dispatch(r);
}

void redis_set_loop(redis *r, const task_loop *loop)
{
    r->loop = *loop;
    r->on_loop = 1;
    r->nonblocking = 1;
    buf_init(&r->out, (size_t)64 << 20);
}

/* Queues the command (connecting first when the link is down); its
 * pending entry, or NULL when it cannot be sent now. */
static pending *lp_queue(redis *r, int argc, const char **argv, const size_t *lens,
                         redis_reply_fn fn, void *ud)
{
    int64_t now = clock_mono_ms();
    size_t l[MAX_ARGS];
    char *cmd = NULL;
    pending *p;
    int n;

    if (argc > MAX_ARGS)
        return NULL;
    if (r->state == LINK_DOWN) {
        if (now < r->retry_at)
            return NULL;
        if (link_start(r, now) != 0) {
            lp_fail(r);
            return NULL;
        }
        r->loop.wake_at(r->loop.ud, r->deadline);
        lp_step(r);
        if (r->state == LINK_DOWN)
            return NULL;
    }
    for (int i = 0; i < argc; i++)
        l[i] = lens ? lens[i] : strlen(argv[i]);
    if ((n = redisFormatCommandArgv(&cmd, argc, argv, l)) < 0 || !(p = calloc(1, sizeof(*p)))) {
        redisFreeCommand(cmd);
        return NULL;
    }
    if (buf_append(&r->out, cmd, (size_t)n) != 0) {
        redisFreeCommand(cmd);
        free(p);
        return NULL;
    }
    redisFreeCommand(cmd);
    *p = (pending){fn, ud, now + r->timeout_ms, NULL, NULL, NULL};
    if (r->tail)
        r->tail->next = p;
    else
        r->head = p;
    r->tail = p;
    r->loop.wake_at(r->loop.ud, p->deadline);
    if (r->state == LINK_UP)
        lp_flush(r);
    return p;
}

/* The command's span begins now, under the current one (a task's request),
 * and ends when its reply is handed out (lp_dispatch). */
int redis_send(redis *r, int argc, const char **argv, const size_t *lens, redis_reply_fn fn,
               void *ud)
{
    trace_span s;
    pending *p;

    if (!r->on_loop)
        return -1;
    cmd_span_begin(r, &s, argc, argv, lens);
    if (!(p = lp_queue(r, argc, argv, lens, fn, ud))) {
        cmd_span_end(&s, NULL);
        return -1;
    }
    if (trace_recording(&s) && (p->span = malloc(sizeof(s))))
        *p->span = s;
    return 0;
}

/* A task's command on a loop client: sent, and the task waits for it. */
typedef struct task_wait {
    void *token;
    redisReply *reply;
    int done;
    task_loop *loop;
} task_wait;

static void task_wake(void *ud, redisReply *reply)
{
    task_wait *w = ud;

    w->reply = reply;
    w->done = 1;
    w->loop->resume(w->loop->ud, w->token);
}

static redisReply *lp_command(redis *r, int argc, const char **argv, const size_t *lens)
{
    task_wait w = {r->loop.current(r->loop.ud), NULL, 0, &r->loop};

    /* outside a task the loop would have to wait: not here */
    if (!w.token || redis_send(r, argc, argv, lens, task_wake, &w) != 0)
        return NULL;
    while (!w.done)
        r->loop.suspend(r->loop.ud);
    return w.reply;
}

static redisReply *command_wait(redis *r, int extra_ms, int argc, const char **argv,
                                const size_t *lens)
{
    redisReply *rep;
    int ready = link_ready(r);

    if (ready == 0)
        return NULL;
    if (ready > 0) {
        r->timed_out = 0;
        if ((rep = roundtrip(r, extra_ms, argc, argv, lens))) {
            r->up = 1;
            r->backoff_ms = 0;
            if (!r->was_up) {
                r->was_up = 1;
                log_debug("redis connected", LF_S("host", r->host));
            }
            return rep;
        }
    }
    link_failed(r);
    return NULL;
}

redisReply *redis_command_wait(redis *r, int extra_ms, int argc, const char **argv,
                               const size_t *lens)
{
    trace_span s;
    redisReply *rep;

    if (r->on_loop)
        return lp_command(r, argc, argv, lens); /* redis_send spans it */
    cmd_span_begin(r, &s, argc, argv, lens);
    rep = command_wait(r, extra_ms, argc, argv, lens);
    cmd_span_end(&s, rep);
    return rep;
}

void redis_set_nonblocking_reconnect(redis *r)
{
    r->nonblocking = 1;
}

redisReply *redis_command(redis *r, int argc, const char **argv, const size_t *lens)
{
    return redis_command_wait(r, 0, argc, argv, lens);
}

redisReply *redis_cmd_list(redis *r, const char **args)
{
    int argc = 0;

    while (argc < MAX_ARGS && args[argc])
        argc++;
    return redis_command(r, argc, args, NULL);
}
