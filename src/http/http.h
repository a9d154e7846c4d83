/* http.h — a small HTTP/1.1 server: epoll event loops, one per thread, each
 * with its own SO_REUSEPORT listening socket; run-to-completion handlers;
 * keep-alive, pipelining, hard limits, timeouts and graceful shutdown.
 * Also the router and the query-string parser the handlers use.
 *
 * Threads: the handler runs on the loop thread that owns the connection,
 * with that thread's context (thread_init's result); handlers of different
 * threads run concurrently, so anything they share must be thread-safe.
 * Requests: everything in http_request points into the connection's read
 * buffer and is valid only during the handler call.
 * Responses: the handler fills http_response (status, header lines, body);
 * the server adds Date, Content-Length and Connection, and drops the body
 * for HEAD. A body may also be lent (http_response_set_body_ref): it is
 * written from where it lies, with the head, by one writev, and released
 * once written. Errors from start: -1 with a message in err.
 *
 * A handler that must wait (for a database, another server) parks the
 * request (http_park) and returns; the loop serves other connections, and
 * the request's answer is given later on the same loop thread
 * (http_resume). A parked connection takes no further request until then,
 * so pipelined answers stay in order. The loop also watches the
 * descriptors and deadlines of those other servers (http_watch_*,
 * http_loop_wake_at), so nothing on the loop waits on the network.
 *
 * Closing is deferred: a connection (or watch) closed during a callback is
 * freed after the loop's turn, so no caller has to return at once. */
#ifndef TVSHOWS_HTTP_H
#define TVSHOWS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define HTTP_MAX_REQUEST_LINE 8192
#define HTTP_MAX_HEADER_BYTES 32768
#define HTTP_MAX_HEADERS      100
#define HTTP_MAX_BODY         (1024 * 1024) /* the most any route may take */
#define HTTP_CHUNK_FRAMING    4096

typedef enum {
    HTTP_GET,
    HTTP_HEAD,
    HTTP_POST,
    HTTP_PUT,
    HTTP_DELETE,
    HTTP_PATCH,
    HTTP_OPTIONS,
    HTTP_OTHER
} http_method;

typedef struct http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} http_header;

struct http_conn;
typedef struct http_loop http_loop; /* one event loop thread of a server */

typedef struct http_request {
    http_method method;
    const char *method_str;
    size_t method_len;
    const char *path; /* raw, not percent-decoded */
    size_t path_len;
    const char *query; /* after '?', raw; NULL when absent */
    size_t query_len;
    int minor_version; /* HTTP/1.0 or HTTP/1.1 */
    int keep_alive;
    int expect_continue;
    http_header headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    const char *body;
    size_t body_len;
    /* the socket peer, as 16 bytes (IPv4-mapped) and as text */
    uint8_t peer[16];
    char peer_text[48];
    struct http_conn *conn; /* the server's; what http_park needs */
} http_request;

/* The last value of a header (case-insensitive name), or NULL. */
const char *http_request_header(const http_request *r, const char *name, size_t *len);

/* Gives back a lent body once it is written or dropped. */
typedef void (*http_release_fn)(void *ref);

typedef struct http_response {
    int status;
    buf headers; /* complete "Name: value\r\n" lines */
    buf body;
    int close;   /* close the connection after this response */
    int no_body; /* a 304 / 204: no body and no Content-Length */
    /* a lent body, sent instead of body when ext is set */
    const char *ext;
    size_t ext_len;
    http_release_fn ext_release; /* NULL: the bytes outlive the server */
    void *ext_ref;
} http_response;

void http_response_header(http_response *res, const char *name, const char *value);
void http_response_headern(http_response *res, const char *name, const char *value, size_t n);
void http_response_set_body(http_response *res, const char *content_type, const char *data,
                            size_t n);
/* Lends data[0..n) as the body (replacing any body): the server writes it
 * from there and calls release(ref) once it is written, dropped (HEAD, a
 * closed connection) or replaced. release may be NULL for static bytes. */
void http_response_set_body_ref(http_response *res, const char *content_type, const char *data,
                                size_t n, http_release_fn release, void *ref);
/* The body's length, lent or not. */
size_t http_response_body_len(const http_response *res);
/* Drops a lent body (releasing it) and empties the buffered one. */
void http_response_clear_body(http_response *res);
const char *http_status_reason(int status);

typedef void (*http_handler)(void *thread_ctx, const http_request *req, http_response *res);
/* Fills the response to a request the server itself refuses (400, 408, 413,
 * 414, 417, 431, 501, 503, 505); req is NULL when nothing usable was parsed,
 * else the parsed head (its body is never read: req->body is NULL). */
typedef void (*http_error_handler)(void *thread_ctx, int status, const http_request *req,
                                   http_response *res);
/* Called once the head of a request that declares a body (a Content-Length
 * over 0, or chunked) is parsed, before a byte of the body is buffered: the
 * most body bytes this request may carry (0: none; HTTP_MAX_BODY at most).
 * A declared length over it, or a chunked body where it is 0, is answered
 * 413 at once and the connection closed without reading the body. */
typedef size_t (*http_body_limit_fn)(void *thread_ctx, const http_request *req);

#define HTTP_BODY_BUDGET_DEFAULT  ((size_t)16 << 20)
#define HTTP_BODY_TIMEOUT_DEFAULT 5000

typedef struct http_server_config {
    const char *host;
    int port;
    int threads;
    int max_connections;
    int header_timeout_ms;
    int idle_timeout_ms;
    int body_timeout_ms; /* from the end of the head to the end of the body (408 after);
                            0: HTTP_BODY_TIMEOUT_DEFAULT */
    int shutdown_timeout_ms;
    http_handler handler;
    http_error_handler error_handler; /* NULL: a plain JSON error body */
    http_body_limit_fn body_limit;    /* NULL: no request takes a body */
    /* request-body bytes buffered at once over all connections; a body that
     * would pass it gets 503 and a close (0: HTTP_BODY_BUDGET_DEFAULT) */
    size_t body_budget;
    void *app;
    /* per loop thread: make a context, release it (after the loop has ended:
     * every request still parked must be resumed here), and a hook called
     * after each batch of events (flush buffered logs, look at clocks) */
    void *(*thread_init)(void *app, http_loop *loop, int index);
    void (*thread_fini)(void *thread_ctx);
    void (*thread_idle)(void *thread_ctx);
} http_server_config;

typedef struct http_server http_server;

/* ---- parking: answering later ---- */

typedef struct http_parked http_parked;

/* Called by a handler for req: the response is given later through the
 * returned handle, and whatever the handler wrote into its own response
 * is ignored. NULL when out of memory (then answer at once).
 * Ownership: the server's, until http_resume. */
http_parked *http_park(const http_request *req);
/* The request, as the handler saw it, valid until http_resume (its bytes
 * stay where they are meanwhile). */
const http_request *http_parked_request(const http_parked *p);
/* The response to fill: empty (status 200) until filled. */
http_response *http_parked_response(http_parked *p);
/* Whether the peer is gone: the answer will be dropped (work may stop). */
int http_parked_gone(const http_parked *p);
/* Sends the filled response (or drops it when the peer is gone) and frees
 * p. Loop thread only; safe from any callback, a handler included: the
 * connection takes up its next request after the current callback. */
void http_resume(http_parked *p);

/* ---- other descriptors on the loop ---- */

typedef struct http_watch http_watch;
/* events: EPOLLIN / EPOLLOUT bits; EPOLLERR and EPOLLHUP always come. */
typedef void (*http_watch_fn)(void *arg, uint32_t events);

/* Watches fd on loop l (loop thread only); NULL when out of memory or
 * epoll refuses. The caller still owns fd. */
http_watch *http_watch_add(http_loop *l, int fd, uint32_t events, http_watch_fn cb, void *arg);
/* Changes what is watched; -1 when epoll refuses. */
int http_watch_set(http_watch *w, uint32_t events);
/* Stops watching (before the caller closes fd); no callback comes after,
 * and the memory goes after the loop's turn, so this is safe in a
 * callback, w's own included. NULL is fine. */
void http_watch_remove(http_watch *w);
/* The loop wakes no later than at (clock_mono_ms), then runs thread_idle. */
void http_loop_wake_at(http_loop *l, int64_t at_ms);
/* The loop's clock at the start of its turn (clock_mono_ms). */
int64_t http_loop_now(const http_loop *l);

/* Binds every listener (errors such as EADDRINUSE are reported here), then
 * starts the loop threads. */
int http_server_start(http_server **out, const http_server_config *cfg, char *err, size_t errlen);
/* Begins a graceful stop that resets nothing: for a drain time (1 s, or half
 * of shutdown_timeout_ms if less) the listeners go on accepting what is
 * queued, then close (at once when no connection is open); every response
 * from now on carries Connection: close; a connection idle between requests
 * is closed once idle for the drain time, so a request it sends meanwhile
 * is answered; requests in progress finish; then the loops end. After
 * shutdown_timeout_ms everything is closed. Thread-safe. */
void http_server_stop(http_server *s);
/* Waits for the loops to end, then frees the server. */
void http_server_join(http_server *s);
/* The port actually bound (useful with port 0). */
int http_server_port(const http_server *s);

/* ---- router ---- */

#define ROUTER_MAX_PARAMS 4

typedef struct http_route {
    const char *pattern; /* "/api/v1/shows/:id/episodes" */
    unsigned methods;    /* bit (1 << http_method) */
    int id;              /* the caller's route number */
    size_t max_body;     /* request-body cap in bytes (0: the route takes no body) */
} http_route;

typedef struct http_route_match {
    const http_route *route;
    const char *params[ROUTER_MAX_PARAMS]; /* raw segments (not decoded) */
    size_t param_lens[ROUTER_MAX_PARAMS];
    size_t nparams;
    unsigned allowed;             /* on 405: the methods the path accepts */
    const http_route *path_route; /* on 405: a route of that path (for metrics) */
} http_route_match;

/* 200: matched; 404: no route for the path; 405: path known, method not.
 * HEAD matches wherever GET does. */
int http_route_find(const http_route *routes, size_t n, http_method m, const char *path,
                    size_t path_len, http_route_match *out);
/* "GET, HEAD, OPTIONS" for an Allow header. */
void http_methods_format(unsigned methods, buf *out);

/* ---- query strings ---- */

#define QUERY_MAX_PARAMS 64

typedef struct query_param {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
} query_param;

typedef struct query {
    query_param params[QUERY_MAX_PARAMS];
    size_t n;
    char *storage; /* decoded bytes; owned, freed by query_free() */
} query;

/* Splits on '&', decodes %XX and '+' (space). Returns 0, or -1 on a malformed
 * escape or more than QUERY_MAX_PARAMS parameters. Decoded values may hold
 * any byte, NUL included: lengths are authoritative. */
int query_parse(query *q, const char *s, size_t n);
void query_free(query *q);
/* The last value for key (repeated parameters: the last wins), or NULL. */
const char *query_get(const query *q, const char *key, size_t *len);
/* The value of a hexadecimal digit, or -1. */
int http_hex_value(char c);
/* Percent-decodes s into out (out has room for n bytes); -1 on a bad escape. */
int http_percent_decode(const char *s, size_t n, char *out, size_t *out_len, int plus_is_space);

#endif
