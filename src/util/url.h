/* url.h — URLs from the configuration: where they point, and how to print
 * them without their secrets.
 *
 * Redaction keeps what an operator needs to spot a typo (scheme, user, host,
 * port, path) and hides the rest: the password of the userinfo (all of the
 * userinfo for redis://, where a lone one is the password) and the values of
 * query parameters named like "password". It is written for mistyped input
 * too: a value that does not parse as a URL is still searched for a
 * "user:password@" part.
 * Pure functions, thread-safe; outputs are always NUL-terminated (and
 * truncated to fit). */
#ifndef TVSHOWS_URL_H
#define TVSHOWS_URL_H

#include <stddef.h>

/* The host of scheme://[userinfo@]host[:port][/…] into out, without IPv6
 * brackets; -1 when there is none or it does not fit. */
int url_host(const char *url, char *out, size_t outlen);
/* 1 for "localhost" and for addresses in 127.0.0.0/8 or ::1. */
int url_host_is_loopback(const char *host);
/* 1 for https://…, and for http://… to a loopback host (tests, sidecars):
 * nothing else may carry keys or data we trust. */
int url_is_secure(const char *url);
/* url with its secrets replaced by "***". */
void url_redact(const char *url, char *out, size_t outlen);
/* Removes url's secrets from msg, a C string in a buffer of cap bytes: the
 * whole url becomes its redacted form; its password and password parameters
 * (as written and percent-decoded) become "***", and so does any quoted
 * "token" that is a piece of one (libpq quotes the part of a URL it could
 * not parse, which may be half a password). */
void url_scrub(char *msg, size_t cap, const char *url);

#endif
