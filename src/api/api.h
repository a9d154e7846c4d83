/* api.h — the HTTP API: the request pipeline (request id, client address,
 * blocklist, rate limits, CORS, auth, routing, caching, logging, metrics) and
 * the routes of docs/api-contract.md.
 *
 * An api_app is the process-wide state, made once by `serve` before the
 * server starts and freed after it stops. Each event-loop thread gets an
 * api_thread (its own database and Redis connections, scratch memory);
 * api_handle() and api_handle_error() are the server's callbacks.
 * Thread-safety: api_app is shared and read-only but for its atomics and the
 * thread-safe modules it owns (cache, limiter, auth); an api_thread belongs to
 * one loop. Errors: api_app_new() returns NULL after writing one line to err. */
#ifndef TVSHOWS_API_H
#define TVSHOWS_API_H

#include <stddef.h>

#include "config/config.h"
#include "http/http.h"

typedef struct api_app api_app;

api_app *api_app_new(const config *cfg, char *err, size_t errlen);
void api_app_free(api_app *app);

/* http_server_config callbacks; app is the api_app */
void *api_thread_new(void *app, http_loop *loop, int index);
void api_thread_free(void *thread_ctx);
void api_thread_idle(void *thread_ctx);
void api_handle(void *thread_ctx, const http_request *req, http_response *res);
void api_handle_error(void *thread_ctx, int status, const http_request *req, http_response *res);
/* The request-body cap of the route req goes to (its max_body; 0 for every
 * route that takes no body, an unknown path or a method the path refuses). */
size_t api_body_limit(void *thread_ctx, const http_request *req);

/* The metrics listener: GET /metrics only. Its threads need no api_app. */
void *api_metrics_thread_new(void *unused, http_loop *loop, int index);
void api_metrics_thread_free(void *thread_ctx);
void api_handle_metrics(void *thread_ctx, const http_request *req, http_response *res);

#endif
