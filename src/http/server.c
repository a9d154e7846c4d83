#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "http/parser.h"
#include "util/date.h"

#define READ_CHUNK        4096
#define KEEP_BUFFER       65536 /* larger idle buffers are given back */
#define IN_CAP            (HTTP_MAX_REQUEST_LINE + HTTP_MAX_HEADER_BYTES + HTTP_MAX_BODY + 2 * READ_CHUNK)
#define OUT_CAP           ((size_t)64 << 20)
#define OUT_HIGH_WATER    ((size_t)1 << 20) /* stop reading requests above this */
#define LEND_MIN          1024 /* smaller lent bodies are copied: an iovec costs more */
#define IOV_MAX_USED      32
#define MAX_EVENTS        256
#define ACCEPT_BACKOFF_MS 100  /* the listener rests this long when descriptors run out */
#define DRAIN_MS          1000 /* on stop: the backlog and idle connections are served this long */

/* What an epoll event points at (the listener and the eventfd are told
 * apart by address). */
enum { EV_CONN = 1, EV_WATCH };

/* A lent body in the output: written after the first `at` bytes of out. */
typedef struct out_seg {
    size_t at;
    const char *data;
    size_t len;
    http_release_fn release;
    void *ref;
} out_seg;

typedef struct http_conn conn;

struct http_conn {
    int kind; /* EV_CONN */
    int fd;
    http_loop *loop;
    size_t slot; /* index in loop->conns, while open */
    buf in;
    buf out;
    size_t out_off;
    out_seg *segs; /* lent bodies, in order; [seg_head, nsegs) unwritten */
    size_t nsegs, seg_cap, seg_head, seg_off;
    /* the request being received, relative to in.data */
    size_t scan, skip;
    long head_len;
    http_head_info info;
    http_body body;
    size_t body_held; /* bytes of the server's body budget this request holds */
    int continue_sent;
    int64_t req_start;  /* 0: no request bytes pending */
    int64_t body_start; /* when the head of a request with a body was complete */
    int64_t idle_since;
    int close_after;
    int held; /* complete requests wait in the input for the output to drain */
    int read_eof;
    int writing;           /* EPOLLOUT wanted */
    uint32_t events;       /* what epoll watches now */
    http_parked *parked;   /* the request waiting for its answer */
    size_t parked_through; /* input bytes used up to the parked request's end */
    unsigned parks;        /* requests parked so far: tells a dispatch that parked */
    int closed;            /* closed: freed after the loop's turn (and the parked answer) */
    int ready;             /* on the loop's ready list */
    conn *next;            /* on the ready or the dead list */
    uint8_t peer[16];
    char peer_text[48];
};

struct http_parked {
    conn *c;
    int head, minor, keep;
    http_request req; /* points into c->in, which is left alone until resumed */
    http_response res;
};

struct http_watch {
    int kind; /* EV_WATCH */
    int fd;
    int removed;
    http_loop *loop;
    http_watch_fn cb;
    void *arg;
    http_watch *next_dead;
};

struct http_loop {
    http_server *srv;
    int index;
    int epfd, lfd, evfd;
    pthread_t thread;
    void *ctx;
    conn **conns;
    size_t nconns, cap;
    conn *ready;              /* resumed connections whose next requests are due */
    conn *dead;               /* closed this turn */
    http_watch *dead_watches; /* removed this turn */
    int64_t now;
    int64_t wake_at; /* an owner of a watch asked to be woken then (0: none) */
    int64_t date_sec;
    char date[64];
    int stopping;
    int64_t stop_deadline;
    int64_t drain_until; /* on stop: the listener closes then, idle connections after */
    int drain_ms;
    int64_t accept_resume; /* listener unwatched until then (0: watched) */
    http_request req;
    http_response res;
};

struct http_server {
    http_server_config cfg;
    http_loop *loops;
    int nloops;
    int port;
    atomic_long conns;
    atomic_int stopping;
    atomic_size_t body_bytes; /* budget held by requests whose body is being read */
};

/* How the answer to a request is framed. */
typedef struct frame {
    int head;  /* a HEAD: the length, not the body */
    int minor; /* HTTP/1.x */
    int keep;  /* keep the connection open after it */
} frame;

static void loop_update_date(http_loop *l)
{
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = time(NULL);
    struct tm tm;

    if (t == l->date_sec)
        return;
    l->date_sec = t;
    gmtime_r(&t, &tm);
    snprintf(l->date, sizeof(l->date), "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
             days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

/* Watches what the connection needs now: its output draining, or the next
 * request (not while one is parked: its successors wait in the socket). */
static void conn_watch(http_loop *l, conn *c)
{
    uint32_t want = c->writing ? EPOLLOUT : c->parked ? 0 : EPOLLIN;
    struct epoll_event ev = {.events = want, .data.ptr = c};

    if (c->closed || want == c->events)
        return;
    if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = want;
}

static void conn_release_body(http_server *s, conn *c)
{
    if (c->body_held)
        atomic_fetch_sub(&s->body_bytes, c->body_held);
    c->body_held = 0;
}

/* Gives back the lent bodies not yet written. */
static void conn_release_segs(conn *c)
{
    for (size_t i = c->seg_head; i < c->nsegs; i++)
        if (c->segs[i].release)
            c->segs[i].release(c->segs[i].ref);
    c->nsegs = c->seg_head = c->seg_off = 0;
}

/* Unsent output bytes, lent ones included. */
static size_t conn_pending(const conn *c)
{
    size_t n = c->out.len - c->out_off;

    for (size_t i = c->seg_head; i < c->nsegs; i++)
        n += c->segs[i].len - (i == c->seg_head ? c->seg_off : 0);
    return n;
}

/* Closes the socket at once and frees the rest after the loop's turn: the
 * caller, and events of this turn that still point at c, see c->closed.
 * A parked request keeps c until it is resumed. */
static void conn_close(http_loop *l, conn *c)
{
    conn *last;

    if (c->closed)
        return;
    last = l->conns[--l->nconns];
    last->slot = c->slot;
    l->conns[c->slot] = last;
    c->closed = 1;
    conn_release_body(l->srv, c);
    conn_release_segs(c);
    close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->next = l->dead;
    l->dead = c;
    atomic_fetch_sub(&l->srv->conns, 1);
}

static void parked_free(http_parked *p)
{
    http_response_clear_body(&p->res);
    buf_free(&p->res.headers);
    buf_free(&p->res.body);
    free(p);
}

/* Frees what was closed this turn. A closed connection that is still
 * parked waits for its answer (http_resume puts it back here). */
static void loop_bury(http_loop *l)
{
    conn *c = l->dead, *keep = NULL;

    while (c) {
        conn *next = c->next;
        if (c->parked) {
            c->next = keep;
            keep = c;
        } else {
            buf_free(&c->in);
            buf_free(&c->out);
            free(c->segs);
            free(c);
        }
        c = next;
    }
    l->dead = keep;
    while (l->dead_watches) {
        http_watch *w = l->dead_watches;
        l->dead_watches = w->next_dead;
        free(w);
    }
}

static void conn_reset_request(http_loop *l, conn *c)
{
    conn_release_body(l->srv, c);
    c->scan = c->skip = 0;
    c->head_len = 0;
    c->continue_sent = 0;
    memset(&c->body, 0, sizeof(c->body));
    c->req_start = 0;
}

static void response_reset(http_response *res)
{
    res->status = 200;
    res->close = 0;
    res->no_body = 0;
    buf_reset(&res->headers);
    http_response_clear_body(res);
}

/* Queues a lent body after the output so far; a small one, or one that
 * cannot be queued, is copied instead. Takes over the reference. */
static void conn_lend(conn *c, const char *data, size_t len, http_release_fn release, void *ref)
{
    if (len >= LEND_MIN) {
        if (c->nsegs == c->seg_cap) {
            size_t cap = c->seg_cap ? c->seg_cap * 2 : 8;
            out_seg *grown = realloc(c->segs, cap * sizeof(*grown));
            if (grown) {
                c->segs = grown;
                c->seg_cap = cap;
            }
        }
        if (c->nsegs < c->seg_cap) {
            c->segs[c->nsegs++] = (out_seg){c->out.len, data, len, release, ref};
            return;
        }
    }
    buf_append(&c->out, data, len);
    if (release)
        release(ref);
}

/* Serialises res after the status line rules of RFC 9110 §6.4.1: no body
 * and no Content-Length on 1xx/204/304; HEAD keeps the length, drops the
 * body. A lent body passes to the connection (or is released). */
static void conn_append_response(http_loop *l, conn *c, http_response *res, frame f)
{
    buf *o = &c->out;
    int bodyless = res->no_body || res->status == 204 || res->status == 304;

    loop_update_date(l);
    buf_puts(o, "HTTP/1.1 ");
    buf_put_i64(o, res->status);
    buf_putc(o, ' ');
    buf_puts(o, http_status_reason(res->status));
    buf_append(o, "\r\n", 2);
    buf_puts(o, l->date);
    if (!bodyless) {
        buf_puts(o, "Content-Length: ");
        buf_put_i64(o, (int64_t)http_response_body_len(res));
        buf_append(o, "\r\n", 2);
    }
    if (!f.keep)
        buf_puts(o, "Connection: close\r\n");
    else if (f.minor == 0)
        buf_puts(o, "Connection: keep-alive\r\n");
    buf_append(o, res->headers.data ? res->headers.data : "", res->headers.len);
    buf_append(o, "\r\n", 2);
    if (!bodyless && !f.head && res->ext) {
        conn_lend(c, res->ext, res->ext_len, res->ext_release, res->ext_ref);
        res->ext = NULL; /* the connection holds it now */
    } else if (!bodyless && !f.head) {
        buf_append(o, res->body.data ? res->body.data : "", res->body.len);
    }
    http_response_clear_body(res);
}

/* Answers with an error and closes after it: no more of the request is read,
 * so its share of the body budget is given back now. */
static void conn_error(http_loop *l, conn *c, int status, const http_request *req)
{
    http_server *s = l->srv;

    conn_release_body(s, c);
    response_reset(&l->res);
    l->res.status = status;
    if (s->cfg.error_handler) {
        s->cfg.error_handler(l->ctx, status, req, &l->res);
    } else {
        char body[96];
        int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}", http_status_reason(status));
        http_response_header(&l->res, "Cache-Control", "no-store");
        http_response_set_body(&l->res, "application/json; charset=utf-8", body, (size_t)n);
    }
    l->res.status = status;
    conn_append_response(l, c, &l->res, (frame){0, 1, 0});
    c->close_after = 1;
}

static void conn_dispatch(http_loop *l, conn *c, http_request *req)
{
    frame f = {req->method == HTTP_HEAD, req->minor_version, 0};
    unsigned parks;

    memcpy(req->peer, c->peer, sizeof(req->peer));
    memcpy(req->peer_text, c->peer_text, sizeof(req->peer_text));
    req->conn = c;
    response_reset(&l->res);
    parks = c->parks;
    l->srv->cfg.handler(l->ctx, req, &l->res);
    if (c->parks != parks) {
        /* the answer comes (or, resumed before the handler returned, came)
         * through http_resume */
        response_reset(&l->res);
        return;
    }
    f.keep = req->keep_alive && !l->res.close && !l->stopping && !c->read_eof;
    conn_append_response(l, c, &l->res, f);
    if (!f.keep)
        c->close_after = 1;
}

http_parked *http_park(const http_request *req)
{
    conn *c = req->conn;
    http_parked *p;

    if (!c || c->parked || !(p = calloc(1, sizeof(*p))))
        return NULL;
    p->c = c;
    p->req = *req;
    p->head = req->method == HTTP_HEAD;
    p->minor = req->minor_version;
    p->keep = req->keep_alive;
    p->res.status = 200;
    buf_init(&p->res.headers, 1 << 20);
    buf_init(&p->res.body, OUT_CAP);
    c->parked = p;
    c->parks++;
    return p;
}

http_response *http_parked_response(http_parked *p)
{
    return &p->res;
}

const http_request *http_parked_request(const http_parked *p)
{
    return &p->req;
}

int http_parked_gone(const http_parked *p)
{
    return p->c->closed;
}

void http_resume(http_parked *p)
{
    conn *c = p->c;
    http_loop *l = c->loop;

    c->parked = NULL;
    if (!c->closed) {
        frame f = {p->head, p->minor, 0};
        f.keep = p->keep && !p->res.close && !l->stopping && !c->read_eof;
        conn_append_response(l, c, &p->res, f);
        if (!f.keep)
            c->close_after = 1;
        if (!c->ready) {
            c->ready = 1;
            c->next = l->ready;
            l->ready = c;
        }
    }
    /* a closed connection is on the dead list already: freed after this turn */
    parked_free(p);
}

/* Decides on a request's body before a byte of it is read: the route's cap
 * (the body_limit callback), then the server's budget of buffered body
 * bytes, which the request holds until it is answered. Returns 0 or the
 * status to refuse it with. */
static int conn_admit_body(http_loop *l, conn *c, const http_request *req)
{
    http_server *s = l->srv;
    size_t cap = 0, held;
    int rc;

    if (c->info.body != BODY_NONE && s->cfg.body_limit)
        cap = s->cfg.body_limit(l->ctx, req);
    if ((rc = http_body_begin(&c->body, &c->info, cap)) != 0)
        return rc;
    if (!c->body.wire_max)
        return 0;
    c->body_held = c->body.wire_max;
    held = atomic_fetch_add(&s->body_bytes, c->body_held) + c->body_held;
    if (held > s->cfg.body_budget) {
        conn_release_body(s, c);
        return 503;
    }
    c->body_start = l->now;
    return 0;
}

/* Tries to take one request from data[0..len). Returns the bytes it used,
 * 0 when more are needed (state kept in c), or -status; c->head_len is set
 * once l->req holds a parsed head. */
static long conn_take_request(http_loop *l, conn *c, char *data, size_t len)
{
    http_request *req = &l->req;
    size_t head_end, used, body_len;
    int rc;

    if (!c->head_len) {
        long h = http_head_length(data, len, &c->scan, &c->skip);
        if (h <= 0)
            return h;
        rc = http_parse_head(data + c->skip, (size_t)h, req, &c->info);
        if (rc)
            return -rc;
        c->head_len = h;
        if ((rc = conn_admit_body(l, c, req)) != 0)
            return -rc;
    } else {
        /* the head was parsed on an earlier read; parse it again to point the
         * request at the current buffer */
        http_parse_head(data + c->skip, (size_t)c->head_len, req, &c->info);
    }
    head_end = c->skip + (size_t)c->head_len;
    rc = http_body_take(&c->body, data + head_end, len - head_end, &used, &body_len);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        if (req->expect_continue && !c->continue_sent) {
            buf_puts(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
            c->continue_sent = 1;
        }
        return 0;
    }
    if (c->body.kind != BODY_NONE) {
        req->body = data + head_end;
        req->body_len = body_len;
    }
    conn_dispatch(l, c, req);
    conn_reset_request(l, c);
    return (long)(head_end + used);
}

static void conn_flush(http_loop *l, conn *c);

/* Handles every complete request in the input buffer, in order, until one
 * is parked or the output passes OUT_HIGH_WATER: then c->held says that
 * requests wait for it to drain (conn_flush takes them up). */
static void conn_process(http_loop *l, conn *c)
{
    size_t off = 0;

    c->held = 0;
    while (!c->close_after && !c->parked && !c->closed && off < c->in.len) {
        long used;
        if (conn_pending(c) >= OUT_HIGH_WATER) {
            c->held = 1;
            break;
        }
        used = conn_take_request(l, c, c->in.data + off, c->in.len - off);
        if (used < 0) {
            conn_error(l, c, (int)-used, c->head_len ? &l->req : NULL);
            break;
        }
        if (used == 0) {
            if (!c->req_start)
                c->req_start = l->now;
            break;
        }
        off += (size_t)used;
        if (c->parked) {
            /* its request points into the input: kept as it is until the
             * answer is given */
            c->parked_through = off;
            return;
        }
    }
    if (off) {
        /* offsets kept for a partial request are relative to its start, which
         * is exactly where the buffer will begin after this */
        buf_consume(&c->in, off);
    }
    if (!c->in.len) {
        c->req_start = 0;
        if (c->in.size > KEEP_BUFFER)
            buf_free(&c->in);
    }
    c->idle_since = l->now;
}

/* The unwritten output as iovecs: runs of out between the lent bodies. */
static int conn_iov(const conn *c, struct iovec *iov)
{
    size_t pos = c->out_off;
    int n = 0;

    for (size_t i = c->seg_head; n < IOV_MAX_USED; i++) {
        size_t end = i < c->nsegs ? c->segs[i].at : c->out.len;
        size_t skip = i == c->seg_head ? c->seg_off : 0;
        if (pos < end)
            iov[n++] = (struct iovec){c->out.data + pos, end - pos};
        if (i >= c->nsegs || n == IOV_MAX_USED)
            break;
        iov[n++] = (struct iovec){(void *)(c->segs[i].data + skip), c->segs[i].len - skip};
        pos = end;
    }
    return n;
}

/* Moves past k written bytes, giving back each lent body once written. */
static void conn_advance(conn *c, size_t k)
{
    while (k) {
        size_t end = c->seg_head < c->nsegs ? c->segs[c->seg_head].at : c->out.len;
        out_seg *sg;
        size_t m;
        if (c->out_off < end) {
            m = end - c->out_off < k ? end - c->out_off : k;
            c->out_off += m;
            k -= m;
            continue;
        }
        sg = &c->segs[c->seg_head];
        m = sg->len - c->seg_off < k ? sg->len - c->seg_off : k;
        c->seg_off += m;
        k -= m;
        if (c->seg_off == sg->len) {
            if (sg->release)
                sg->release(sg->ref);
            c->seg_head++;
            c->seg_off = 0;
        }
    }
}

/* Writes the output, the head and lent bodies of a response in one writev.
 * Once all of it is written, the requests held back while it drained are
 * taken up, and so on until the socket is full (then EPOLLOUT says when to
 * go on) or nothing is left: a client that sent its requests at once sends
 * nothing more to wake us. */
static void conn_flush(http_loop *l, conn *c)
{
    while (!c->closed) {
        while (conn_pending(c)) {
            struct iovec iov[IOV_MAX_USED];
            int niov = conn_iov(c, iov);
            ssize_t n = writev(c->fd, iov, niov);
            if (n > 0) {
                conn_advance(c, (size_t)n);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                c->writing = 1;
                conn_watch(l, c);
                return;
            }
            conn_close(l, c);
            return;
        }
        if (c->out.size > KEEP_BUFFER)
            buf_free(&c->out);
        buf_reset(&c->out);
        c->out_off = 0;
        c->nsegs = c->seg_head = c->seg_off = 0;
        if (c->close_after || (c->read_eof && !c->in.len && !c->parked)) {
            conn_close(l, c);
            return;
        }
        c->writing = 0;
        conn_watch(l, c);
        if (!c->held || c->parked)
            return;
        conn_process(l, c);
    }
}

/* Reads what has arrived, handing each read to the parser before the next:
 * a request refused on its head stops the reading, so the body it declared
 * is not buffered. */
static void conn_on_readable(http_loop *l, conn *c)
{
    for (int i = 0; i < 8 && !c->close_after && !c->parked && !c->closed; i++) {
        ssize_t n;
        size_t room;
        if (buf_reserve(&c->in, READ_CHUNK) != 0) {
            /* the buffer cap is above every limit the parser enforces, so
             * this is only reached by bytes past a request's body */
            conn_error(l, c, 413, NULL);
            break;
        }
        room = c->in.size - c->in.len - 1;
        n = read(c->fd, c->in.data + c->in.len, room);
        if (n == 0) {
            c->read_eof = 1;
            break;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            conn_close(l, c);
            return;
        }
        c->in.len += (size_t)n;
        c->in.data[c->in.len] = '\0';
        conn_process(l, c);
        if (c->held || (size_t)n < room)
            break; /* the output must drain first, or nothing is left to read */
    }
    if (c->closed)
        return;
    if (c->read_eof && c->in.len && !c->close_after && !c->parked && !conn_pending(c)) {
        conn_close(l, c); /* half a request, then the peer left */
        return;
    }
    conn_watch(l, c);
    conn_flush(l, c);
}

static void conn_on_event(http_loop *l, conn *c, uint32_t events)
{
    if (c->closed)
        return; /* closed earlier in this turn */
    if (c->parked && (events & (EPOLLERR | EPOLLHUP))) {
        conn_close(l, c); /* nobody is left to answer */
        return;
    }
    if (events & EPOLLOUT)
        conn_flush(l, c);
    else
        conn_on_readable(l, c);
}

/* Connections whose parked request was answered: the answer is written and
 * the requests that waited behind it are taken up. */
static void loop_run_ready(http_loop *l)
{
    while (l->ready) {
        conn *c = l->ready;
        l->ready = c->next;
        c->ready = 0;
        if (c->closed)
            continue;
        buf_consume(&c->in, c->parked_through);
        c->parked_through = 0;
        conn_process(l, c);
        conn_watch(l, c);
        conn_flush(l, c);
    }
}

http_watch *http_watch_add(http_loop *l, int fd, uint32_t events, http_watch_fn cb, void *arg)
{
    http_watch *w = calloc(1, sizeof(*w));
    struct epoll_event ev = {.events = events};

    if (!w)
        return NULL;
    *w = (http_watch){.kind = EV_WATCH, .fd = fd, .loop = l, .cb = cb, .arg = arg};
    ev.data.ptr = w;
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

int http_watch_set(http_watch *w, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};

    return epoll_ctl(w->loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void http_watch_remove(http_watch *w)
{
    if (!w || w->removed)
        return;
    w->removed = 1;
    epoll_ctl(w->loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    w->next_dead = w->loop->dead_watches;
    w->loop->dead_watches = w;
}

void http_loop_wake_at(http_loop *l, int64_t at_ms)
{
    if (!l->wake_at || at_ms < l->wake_at)
        l->wake_at = at_ms;
}

int64_t http_loop_now(const http_loop *l)
{
    return l->now;
}

static void peer_of(conn *c, const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        memset(c->peer, 0, 10);
        c->peer[10] = c->peer[11] = 0xff;
        memcpy(c->peer + 12, &in->sin_addr, 4);
        inet_ntop(AF_INET, &in->sin_addr, c->peer_text, sizeof(c->peer_text));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        memcpy(c->peer, &in6->sin6_addr, 16);
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, c->peer + 12, c->peer_text, sizeof(c->peer_text));
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, c->peer_text, sizeof(c->peer_text));
    }
}

/* Out of descriptors (or memory), the connection stays in the backlog and
 * the level-triggered listener would wake the loop again at once, for ever:
 * stop watching it for a while instead. Connections that close meanwhile
 * give descriptors back. */
static void loop_rest_listener(http_loop *l)
{
    if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->lfd, NULL) == 0)
        l->accept_resume = l->now + ACCEPT_BACKOFF_MS;
}

static void loop_watch_listener(http_loop *l)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->lfd};

    if (!l->accept_resume || l->now < l->accept_resume)
        return;
    l->accept_resume = 0;
    if (l->lfd >= 0)
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->lfd, &ev);
}

/* Takes fd into the loop; -1 when memory or epoll refuse it. */
static int loop_add_conn(http_loop *l, int fd, const struct sockaddr_storage *ss)
{
    int one = 1;
    conn *c;

    if (l->nconns == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        conn **grown = realloc(l->conns, cap * sizeof(conn *));
        if (!grown)
            return -1;
        l->conns = grown;
        l->cap = cap;
    }
    if (!(c = calloc(1, sizeof(*c))))
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->kind = EV_CONN;
    c->fd = fd;
    c->loop = l;
    c->events = EPOLLIN;
    buf_init(&c->in, IN_CAP);
    buf_init(&c->out, OUT_CAP);
    c->idle_since = l->now;
    c->req_start = l->now; /* the first request is due within the header timeout */
    peer_of(c, ss);
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &(struct epoll_event){EPOLLIN, {.ptr = c}})) {
        buf_free(&c->in);
        buf_free(&c->out);
        free(c);
        return -1;
    }
    c->slot = l->nconns;
    l->conns[l->nconns++] = c;
    return 0;
}

static void loop_accept(http_loop *l)
{
    http_server *s = l->srv;

    for (;;) {
        struct sockaddr_storage ss = {0};
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                loop_rest_listener(l);
            return;
        }
        /* The slot is reserved before the connection is taken: the loops
         * accept at once, and a load followed by an add let two of them pass
         * the limit together. */
        if (atomic_fetch_add(&s->conns, 1) >= s->cfg.max_connections || loop_add_conn(l, fd, &ss)) {
            atomic_fetch_sub(&s->conns, 1);
            close(fd);
        }
    }
}

/* Nothing received or to send: a connection between requests. */
static int conn_is_idle(const conn *c)
{
    return !c->in.len && !conn_pending(c) && !c->head_len && !c->parked;
}

/* Once a second: requests whose headers or body are late get 408
 * (slow-loris), idle keep-alive connections close, and so does anything past
 * the stop deadline. While stopping, on every turn: connections idle for the
 * drain time close. */
static void loop_check_timeouts(http_loop *l)
{
    const http_server_config *cfg = &l->srv->cfg;

    for (size_t i = l->nconns; i-- > 0;) {
        conn *c = l->conns[i];
        if (l->stopping && l->now >= l->stop_deadline) {
            conn_close(l, c);
        } else if (l->stopping && l->now >= l->drain_until && conn_is_idle(c) &&
                   l->now - c->idle_since >= l->drain_ms) {
            conn_close(l, c);
        } else if (c->parked) {
            /* its answer is on the way: the owner of the wait bounds it */
        } else if (c->writing) {
            if (l->now - c->idle_since > cfg->idle_timeout_ms)
                conn_close(l, c);
        } else if (c->req_start && !c->head_len &&
                   l->now - c->req_start >= cfg->header_timeout_ms) {
            conn_error(l, c, 408, NULL);
            conn_flush(l, c);
        } else if (c->head_len && l->now - c->body_start >= cfg->body_timeout_ms) {
            conn_error(l, c, 408, NULL); /* a body that stopped arriving */
            conn_flush(l, c);
        } else if (!c->req_start && l->now - c->idle_since >= cfg->idle_timeout_ms) {
            conn_close(l, c);
        }
    }
}

/* A graceful stop drains rather than resets (RFC 9112 §9.6): the listener
 * stays open for the drain time, so connections queued in its backlog (a
 * close would reset them) are accepted and answered; every answer from now
 * on says Connection: close; a connection idle between requests is closed
 * once it has been idle for the drain time, so a request it sends meanwhile
 * is answered. Everything ends by the stop deadline. */
static void loop_begin_stop(http_loop *l)
{
    const http_server_config *cfg = &l->srv->cfg;

    if (l->stopping)
        return;
    l->stopping = 1;
    l->stop_deadline = l->now + cfg->shutdown_timeout_ms;
    l->drain_ms = DRAIN_MS < cfg->shutdown_timeout_ms / 2 ? DRAIN_MS : cfg->shutdown_timeout_ms / 2;
    l->drain_until = l->now + l->drain_ms;
}

/* While stopping: the listener closes at the end of the drain time, or
 * as soon as no connection is left; what is queued then is still taken. */
static void loop_drain_listener(http_loop *l)
{
    if (l->lfd < 0 || (l->now < l->drain_until && l->nconns))
        return;
    loop_accept(l);
    close(l->lfd);
    l->lfd = -1;
}

/* Until the next second's checks, or sooner: the listener's rest, a
 * deadline an owner of a watch asked for, the stop's drain. */
static int loop_wait_ms(const http_loop *l)
{
    int64_t now = clock_mono_ms(), wait = l->stopping ? 50 : 1000;

    if (l->accept_resume)
        wait = l->accept_resume > now ? l->accept_resume - now : 0;
    if (l->wake_at && l->wake_at - now < wait)
        wait = l->wake_at > now ? l->wake_at - now : 0;
    return (int)wait;
}

static void loop_on_event(http_loop *l, void *p, uint32_t events)
{
    if (p == &l->lfd) {
        loop_accept(l);
    } else if (p == &l->evfd) {
        uint64_t v;
        if (read(l->evfd, &v, sizeof(v)) < 0) {
            /* nothing to do: the stop flag is what counts */
        }
    } else if (*(const int *)p == EV_WATCH) {
        http_watch *w = p;
        if (!w->removed)
            w->cb(w->arg, events);
    } else {
        conn_on_event(l, p, events);
    }
}

static void *loop_run(void *arg)
{
    http_loop *l = arg;
    http_server *s = l->srv;
    struct epoll_event events[MAX_EVENTS];
    int64_t last_check = clock_mono_ms();

    l->now = last_check;
    if (s->cfg.thread_init)
        l->ctx = s->cfg.thread_init(s->cfg.app, l, l->index);
    buf_init(&l->res.headers, 1 << 20);
    buf_init(&l->res.body, OUT_CAP);
    for (;;) {
        int n = epoll_wait(l->epfd, events, MAX_EVENTS, loop_wait_ms(l));
        l->now = clock_mono_ms();
        if (l->wake_at && l->now >= l->wake_at)
            l->wake_at = 0;
        loop_watch_listener(l);
        for (int i = 0; i < n; i++)
            loop_on_event(l, events[i].data.ptr, events[i].events);
        loop_run_ready(l);
        if (atomic_load(&s->stopping)) {
            loop_begin_stop(l);
            loop_drain_listener(l);
        }
        if (l->now - last_check >= 1000 || l->stopping) {
            loop_check_timeouts(l);
            last_check = l->now;
        }
        if (s->cfg.thread_idle)
            s->cfg.thread_idle(l->ctx);
        loop_run_ready(l); /* answers given by the idle hook */
        loop_bury(l);
        if (l->stopping && !l->nconns && l->lfd < 0)
            break;
    }
    if (s->cfg.thread_fini)
        s->cfg.thread_fini(l->ctx);
    loop_bury(l);
    buf_free(&l->res.headers);
    buf_free(&l->res.body);
    return NULL;
}

/* SO_REUSEPORT lets any process of the same user bind a port already in
 * use, so a second server would silently share it: a plain bind first tells
 * whether somebody is listening there. */
static int port_taken(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, taken;

    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    taken = bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno == EADDRINUSE;
    close(fd);
    return taken;
}

static int listen_socket(const char *host, int port, int *bound_port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char portstr[16];
    int fd = -1, one = 1, rc;

    snprintf(portstr, sizeof(portstr), "%d", port);
    if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
        snprintf(err, errlen, "HOST %s: %s", host, gai_strerror(rc));
        return -1;
    }
    if (bound_port && port && port_taken(res)) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(EADDRINUSE));
        freeaddrinfo(res);
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
        bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 4096)) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    if (bound_port) {
        union {
            struct sockaddr sa;
            struct sockaddr_in in;
            struct sockaddr_in6 in6;
        } a = {0};
        socklen_t sl = sizeof(a);
        if (getsockname(fd, &a.sa, &sl) != 0)
            *bound_port = port;
        else
            *bound_port = ntohs(a.sa.sa_family == AF_INET ? a.in.sin_port : a.in6.sin6_port);
    }
    return fd;
}

/* lfd: an already bound socket, or -1 to bind one on port */
static int loop_open(http_loop *l, int port, int lfd, char *err, size_t errlen)
{
    struct epoll_event ev = {.events = EPOLLIN};

    l->lfd = lfd;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->epfd < 0 || l->evfd < 0) {
        snprintf(err, errlen, "epoll: %s", strerror(errno));
        return -1;
    }
    if (l->lfd < 0 && (l->lfd = listen_socket(l->srv->cfg.host, port, NULL, err, errlen)) < 0)
        return -1;
    ev.data.ptr = &l->lfd;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->lfd, &ev);
    ev.data.ptr = &l->evfd;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev);
    return 0;
}

static void loop_release(http_loop *l)
{
    for (size_t i = l->nconns; i-- > 0;)
        conn_close(l, l->conns[i]);
    loop_bury(l);
    free(l->conns);
    if (l->lfd >= 0)
        close(l->lfd);
    if (l->evfd >= 0)
        close(l->evfd);
    if (l->epfd >= 0)
        close(l->epfd);
}

int http_server_start(http_server **out, const http_server_config *cfg, char *err, size_t errlen)
{
    http_server *s = calloc(1, sizeof(*s));
    int port = cfg->port, started = 0, probe = -1;

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = *cfg;
    if (!s->cfg.body_budget)
        s->cfg.body_budget = HTTP_BODY_BUDGET_DEFAULT;
    if (s->cfg.body_timeout_ms <= 0)
        s->cfg.body_timeout_ms = HTTP_BODY_TIMEOUT_DEFAULT;
    s->nloops = cfg->threads > 0 ? cfg->threads : 1;
    if (!(s->loops = calloc((size_t)s->nloops, sizeof(*s->loops))))
        goto fail;
    for (int i = 0; i < s->nloops; i++) {
        http_loop *l = &s->loops[i];
        l->srv = s;
        l->index = i;
        l->epfd = l->lfd = l->evfd = -1;
    }
    /* the first socket is bound before the others so that port 0 picks one
     * port for all of them */
    if ((probe = listen_socket(cfg->host, port, &port, err, errlen)) < 0)
        goto fail;
    s->port = port;
    for (int i = 0; i < s->nloops; i++) {
        int fd = probe;
        probe = -1; /* from here on the loop owns it */
        if (loop_open(&s->loops[i], port, fd, err, errlen) != 0)
            goto fail;
    }
    for (; started < s->nloops; started++) {
        if (pthread_create(&s->loops[started].thread, NULL, loop_run, &s->loops[started])) {
            snprintf(err, errlen, "cannot start threads");
            goto fail;
        }
    }
    *out = s;
    return 0;
fail:
    if (probe >= 0)
        close(probe);
    if (s->loops) {
        atomic_store(&s->stopping, 1);
        for (int i = 0; i < started; i++) {
            uint64_t one = 1;
            if (write(s->loops[i].evfd, &one, sizeof(one)) < 0) {
                /* the loop also sees the flag on its next wake-up */
            }
            pthread_join(s->loops[i].thread, NULL);
        }
        for (int i = 0; i < s->nloops; i++)
            loop_release(&s->loops[i]);
    }
    free(s->loops);
    free(s);
    return -1;
}

void http_server_stop(http_server *s)
{
    atomic_store(&s->stopping, 1);
    for (int i = 0; i < s->nloops; i++) {
        uint64_t one = 1;
        if (write(s->loops[i].evfd, &one, sizeof(one)) < 0) {
            /* the loop also sees the flag within a second */
        }
    }
}

void http_server_join(http_server *s)
{
    for (int i = 0; i < s->nloops; i++)
        pthread_join(s->loops[i].thread, NULL);
    for (int i = 0; i < s->nloops; i++)
        loop_release(&s->loops[i]);
    free(s->loops);
    free(s);
}

int http_server_port(const http_server *s)
{
    return s->port;
}
