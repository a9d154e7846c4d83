/* parser.h — the HTTP/1.1 request parser (RFC 9112), private to http/ and its
 * tests and fuzzers. Pure functions over a byte range: no allocation, no I/O.
 *
 * Errors are HTTP status codes: 400 malformed, 413 body too large, 414
 * request line too long, 417 unknown Expect, 431 header section too large,
 * 501 unsupported transfer coding, 505 HTTP version. */
#ifndef TVSHOWS_HTTP_PARSER_H
#define TVSHOWS_HTTP_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

typedef enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED } http_body_kind;

typedef struct http_head_info {
    http_body_kind body;
    uint64_t content_length;
} http_head_info;

/* Where the head ends. Returns the head's length (through the empty line),
 * 0 when more bytes are needed, or -status. *scan keeps the search position
 * between calls (start at 0) so trickled bytes are not scanned twice.
 * Leading empty lines (RFC 9112 §2.2) are counted into *skip and not part of
 * the head: the head starts at data + *skip. */
long http_head_length(const char *data, size_t len, size_t *scan, size_t *skip);

/* Parses a complete head of head_len bytes. Returns 0 or an error status. */
int http_parse_head(const char *data, size_t head_len, http_request *req, http_head_info *info);

/* Incremental chunked decoding (RFC 9112 §7.1) in place. */
typedef struct http_chunked {
    int state;
    uint64_t remaining; /* bytes left in the current chunk */
    size_t in;          /* bytes of input consumed */
    size_t out;         /* decoded bytes, written at data[0..out) */
    size_t line;        /* length of the current size/trailer line */
} http_chunked;

/* Call again with the same data pointer and a larger len as bytes arrive.
 * Returns 1 complete, 0 need more, or -status. */
int http_chunked_decode(http_chunked *st, char *data, size_t len, size_t max_body);

#endif
