/* redis.h — a small synchronous Redis client: hiredis formats commands and
 * parses replies; the transport is ours, a plain socket or TLS (OpenSSL) for
 * rediss:// (ElastiCache with encryption in transit).
 *
 * A client is one connection, made lazily and re-made after a failure, so
 * callers simply try and fall back while Redis is down (the API degrades to
 * process memory, workers wait): a refused or broken connection is tried
 * again after a second; a Redis that does not answer in time (black-holed,
 * wedged) is tried again after 1 s, 2 s, 4 s … up to a minute, since each
 * such attempt costs its caller a whole timeout. While an attempt is put
 * off, commands return NULL at once.
 * A client on an event loop asks for non-blocking reconnects: an attempt
 * then waits at most a few milliseconds in the call that starts it, and
 * later calls look at the socket without waiting until it is up (they
 * return NULL meanwhile) or its timeout has passed.
 * Traces: every command is a client span (util/trace.h) under the
 * thread's current span, named after the command alone; on a loop it
 * begins when the command is queued and ends when its reply is handed out.
 * Threads: a client belongs to one thread.
 * Errors: redis_command() returns NULL when Redis cannot be reached or did
 * not answer in time (redis_errmsg() says why); a Redis error reply is a
 * reply of type REDIS_REPLY_ERROR. Ownership: replies are the caller's,
 * freed with freeReplyObject(). */
#ifndef TVSHOWS_REDIS_H
#define TVSHOWS_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "util/task.h"

typedef struct redis redis;

/* Parses redis://[[user]:password@]host[:port][/db] or rediss://…; does not
 * connect. NULL and a message in err when the URL is malformed. */
redis *redis_new(const char *url, int timeout_ms, char *err, size_t errlen);
void redis_free(redis *r); /* NULL is fine */
const char *redis_errmsg(const redis *r);
/* Reconnects without waiting (see above): for clients used on an event
 * loop. */
void redis_set_nonblocking_reconnect(redis *r);

redisReply *redis_command(redis *r, int argc, const char **argv, const size_t *lens);

/* ---- on an event loop ----
 * A client of a loop thread never blocks it: redis_set_loop() makes every
 * command queued and sent without waiting (pipelined with the others in
 * flight), its reply handed to a callback on the loop in the order sent.
 * A command not answered within the timeout fails the link (every command
 * waiting gets NULL) and the next attempt backs off as above. On such a
 * client redis_command() must run in a task (util/task.h): the task waits
 * for the reply, the loop goes on; outside a task it returns NULL at once.
 * The connection itself is made in steps on the loop too; only the lookup
 * of the host name (getaddrinfo) blocks, once per connect. */

/* The reply, or NULL when Redis could not be asked or did not answer in
 * time; the callback owns the reply (freeReplyObject). */
typedef void (*redis_reply_fn)(void *ud, redisReply *reply);

/* Puts the client on loop (copied). */
void redis_set_loop(redis *r, const task_loop *loop);
/* Queues a command: 0, and fn(ud, reply) is called once, later, from the
 * loop (fn NULL: the reply is dropped); -1 when it cannot be sent now
 * (Redis down and the retry not due, out of memory): fn is not called. */
int redis_send(redis *r, int argc, const char **argv, const size_t *lens, redis_reply_fn fn,
               void *ud);
/* After each turn of the loop: replies past their time fail. */
void redis_tick(redis *r);
/* At the loop's end: every command waiting gets NULL. NULL is fine. */
void redis_abandon(redis *r);
/* The same with up to extra_ms more to wait for the reply (blocking
 * commands such as XREADGROUP … BLOCK). */
redisReply *redis_command_wait(redis *r, int extra_ms, int argc, const char **argv,
                               const size_t *lens);
/* C-string arguments: redis_cmd(r, "GET", key) */
#define redis_cmd(r, ...) redis_cmd_list((r), (const char *[]){__VA_ARGS__, NULL})
/* The same with a NULL-terminated argument list. */
redisReply *redis_cmd_list(redis *r, const char **args);

#endif
