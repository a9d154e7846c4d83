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

/* The body of one request, read only once its head is parsed and the route
 * has said how much it takes (cap; 0: none). */
typedef struct http_body {
    http_body_kind kind;
    uint64_t length; /* BODY_LENGTH: the declared length */
    size_t cap;      /* most decoded bytes */
    size_t wire_max; /* most bytes read for it, chunk framing included */
    http_chunked chunk;
} http_body;

/* Decides before a byte of the body is read: 0 (b is ready for
 * http_body_take), or 413 for a declared length over cap or a chunked body
 * where cap is 0. A chunked body may spend as many bytes on framing as on
 * data, plus HTTP_CHUNK_FRAMING: b->wire_max bounds what it holds in memory. */
int http_body_begin(http_body *b, const http_head_info *info, size_t cap);

/* data[0..len) is what has arrived from the body's first byte on; call again
 * with a larger len (data may move) as bytes arrive. Returns 1 complete, with
 * the body at data[0..*body_len) and *used the bytes it took from data, 0
 * need more, or -status: 400 malformed, 413 over cap or over wire_max. */
int http_body_take(http_body *b, char *data, size_t len, size_t *used, size_t *body_len);

#endif
