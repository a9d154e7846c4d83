#include "kv/redis.h"

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

#include "util/date.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/num.h"

#define MAX_ARGS 64
#define RETRY_MS 1000

struct redis {
    char host[256];
    char port[8];
    char user[128];
    char password[256];
    int db;
    int tls;
    int timeout_ms;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    redisReader *reader;
    int up;           /* the last command got through */
    int was_up;       /* for logging state changes once */
    int64_t retry_at; /* monotonic ms: no reconnect before */
    char err[512];
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
}

void redis_free(redis *r)
{
    if (!r)
        return;
    disconnect(r);
    if (r->ctx)
        SSL_CTX_free(r->ctx);
    free(r);
}

const char *redis_errmsg(const redis *r)
{
    return r->err;
}

int redis_is_up(const redis *r)
{
    return r && r->up;
}

/* Waits for the socket; 0 ready, -1 timeout or error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        struct pollfd p = {fd, events, 0};
        int n;
        if (left <= 0)
            return -1;
        n = poll(&p, 1, (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

static int tcp_connect(redis *r, int64_t deadline)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL, *ai;
    int rc;

    if ((rc = getaddrinfo(r->host, r->port, &hints, &res)) != 0) {
        snprintf(r->err, sizeof(r->err), "%.200s: %s", r->host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, e;
        socklen_t el = sizeof(e);
        if (fd < 0)
            continue;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
             getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0)) {
            r->fd = fd;
            freeaddrinfo(res);
            return 0;
        }
        snprintf(r->err, sizeof(r->err), "connect %.200s:%s: %s", r->host, r->port,
                 strerror(errno == EINPROGRESS ? ETIMEDOUT : errno));
        close(fd);
    }
    freeaddrinfo(res);
    return -1;
}

static int tls_handshake(redis *r, int64_t deadline)
{
    if (!r->ctx) {
        r->ctx = SSL_CTX_new(TLS_client_method());
        if (!r->ctx || SSL_CTX_set_default_verify_paths(r->ctx) != 1)
            goto fail;
        SSL_CTX_set_min_proto_version(r->ctx, TLS1_2_VERSION);
        SSL_CTX_set_verify(r->ctx, SSL_VERIFY_PEER, NULL);
    }
    if (!(r->ssl = SSL_new(r->ctx)) || SSL_set_fd(r->ssl, r->fd) != 1 ||
        SSL_set_tlsext_host_name(r->ssl, r->host) != 1 || SSL_set1_host(r->ssl, r->host) != 1)
        goto fail;
    for (;;) {
        int rc = SSL_connect(r->ssl), e;
        if (rc == 1)
            return 0;
        e = SSL_get_error(r->ssl, rc);
        if (e == SSL_ERROR_WANT_READ && wait_fd(r->fd, POLLIN, deadline) == 0)
            continue;
        if (e == SSL_ERROR_WANT_WRITE && wait_fd(r->fd, POLLOUT, deadline) == 0)
            continue;
        goto fail;
    }
fail : {
    const char *why = ERR_reason_error_string(ERR_get_error());
    snprintf(r->err, sizeof(r->err), "TLS to %.200s: %s", r->host, why ? why : "handshake failed");
}
    return -1;
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
            if ((e == SSL_ERROR_WANT_WRITE && !wait_fd(r->fd, POLLOUT, deadline)) ||
                (e == SSL_ERROR_WANT_READ && !wait_fd(r->fd, POLLIN, deadline)))
                continue;
            return -1;
        }
        w = send(r->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(r->fd, POLLOUT, deadline) != 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

static ssize_t io_read(redis *r, char *p, size_t n, int64_t deadline)
{
    for (;;) {
        ssize_t got;
        if (r->ssl) {
            int rc = SSL_read(r->ssl, p, (int)n), e;
            if (rc > 0)
                return rc;
            e = SSL_get_error(r->ssl, rc);
            if ((e == SSL_ERROR_WANT_READ && !wait_fd(r->fd, POLLIN, deadline)) ||
                (e == SSL_ERROR_WANT_WRITE && !wait_fd(r->fd, POLLOUT, deadline)))
                continue;
            return -1;
        }
        got = recv(r->fd, p, n, 0);
        if (got > 0)
            return got;
        if (got == 0)
            return -1;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
        if (wait_fd(r->fd, POLLIN, deadline) != 0)
            return -1;
    }
}

static redisReply *roundtrip(redis *r, int extra_ms, int argc, const char **argv,
                             const size_t *lens);

/* Connects, authenticates and selects the database. */
static int establish(redis *r)
{
    int64_t deadline = clock_mono_ms() + r->timeout_ms;
    redisReply *rep;
    char db[16];

    if (tcp_connect(r, deadline) != 0 || (r->tls && tls_handshake(r, deadline) != 0))
        return -1;
    if (!(r->reader = redisReaderCreate())) {
        snprintf(r->err, sizeof(r->err), "out of memory");
        return -1;
    }
    if (r->password[0]) {
        const char *a[3] = {"AUTH", r->user[0] ? r->user : r->password, r->password};
        rep = roundtrip(r, 0, r->user[0] ? 3 : 2, a, NULL);
        if (!rep || rep->type == REDIS_REPLY_ERROR) {
            snprintf(r->err, sizeof(r->err), "AUTH refused");
            if (rep)
                freeReplyObject(rep);
            return -1;
        }
        freeReplyObject(rep);
    }
    if (r->db) {
        const char *a[2] = {"SELECT", db};
        snprintf(db, sizeof(db), "%d", r->db);
        if (!(rep = roundtrip(r, 0, 2, a, NULL)))
            return -1;
        freeReplyObject(rep);
    }
    return 0;
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

redisReply *redis_command_wait(redis *r, int extra_ms, int argc, const char **argv,
                               const size_t *lens)
{
    int64_t now = clock_mono_ms();
    redisReply *rep;

    if (r->fd < 0) {
        if (now < r->retry_at)
            return NULL;
        if (establish(r) != 0) {
            disconnect(r);
            r->retry_at = now + RETRY_MS;
            goto down;
        }
    }
    if ((rep = roundtrip(r, extra_ms, argc, argv, lens))) {
        r->up = 1;
        if (!r->was_up) {
            r->was_up = 1;
            log_debug("redis connected", LF_S("host", r->host));
        }
        return rep;
    }
    disconnect(r);
    r->retry_at = now + RETRY_MS;
down:
    r->up = 0;
    metrics_inc(M_REDIS_ERRORS);
    if (r->was_up) {
        r->was_up = 0;
        log_warn("redis unavailable, degraded", LF_S("error", r->err));
    }
    return NULL;
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
