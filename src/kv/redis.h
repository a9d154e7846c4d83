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

typedef struct redis redis;

/* Parses redis://[[user]:password@]host[:port][/db] or rediss://…; does not
 * connect. NULL and a message in err when the URL is malformed. */
redis *redis_new(const char *url, int timeout_ms, char *err, size_t errlen);
void redis_free(redis *r); /* NULL is fine */
const char *redis_errmsg(const redis *r);
/* 1 when the last command got through. */
int redis_is_up(const redis *r);
/* Reconnects without waiting (see above): for clients used on an event
 * loop. */
void redis_set_nonblocking_reconnect(redis *r);

redisReply *redis_command(redis *r, int argc, const char **argv, const size_t *lens);
/* The same with up to extra_ms more to wait for the reply (blocking
 * commands such as XREADGROUP … BLOCK). */
redisReply *redis_command_wait(redis *r, int extra_ms, int argc, const char **argv,
                               const size_t *lens);
/* C-string arguments: redis_cmd(r, "GET", key) */
#define redis_cmd(r, ...) redis_cmd_list((r), (const char *[]){__VA_ARGS__, NULL})
/* The same with a NULL-terminated argument list. */
redisReply *redis_cmd_list(redis *r, const char **args);

#endif
