#include <string.h>
#include <strings.h>

#include "http/http.h"

const char *http_request_header(const http_request *r, const char *name, size_t *len)
{
    size_t nl = strlen(name);

    for (size_t i = r->nheaders; i-- > 0;) {
        const http_header *h = &r->headers[i];
        if (h->name_len == nl && !strncasecmp(h->name, name, nl)) {
            if (len)
                *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

void http_response_headern(http_response *res, const char *name, const char *value, size_t n)
{
    size_t from = 0;

    buf_puts(&res->headers, name);
    buf_append(&res->headers, ": ", 2);
    /* a value with CR or LF would split the response: drop those bytes,
     * copying the runs between them */
    for (size_t i = 0; i < n; i++)
        if (value[i] == '\r' || value[i] == '\n') {
            buf_append(&res->headers, value + from, i - from);
            from = i + 1;
        }
    buf_append(&res->headers, value + from, n - from);
    buf_append(&res->headers, "\r\n", 2);
}

void http_response_header(http_response *res, const char *name, const char *value)
{
    http_response_headern(res, name, value, strlen(value));
}

void http_response_clear_body(http_response *res)
{
    if (res->ext && res->ext_release)
        res->ext_release(res->ext_ref);
    res->ext = NULL;
    res->ext_len = 0;
    res->ext_release = NULL;
    res->ext_ref = NULL;
    buf_reset(&res->body);
}

void http_response_set_body(http_response *res, const char *content_type, const char *data,
                            size_t n)
{
    if (content_type)
        http_response_header(res, "Content-Type", content_type);
    http_response_clear_body(res);
    buf_append(&res->body, data, n);
}

void http_response_set_body_ref(http_response *res, const char *content_type, const char *data,
                                size_t n, http_release_fn release, void *ref)
{
    if (content_type)
        http_response_header(res, "Content-Type", content_type);
    http_response_clear_body(res);
    res->ext = data;
    res->ext_len = n;
    res->ext_release = release;
    res->ext_ref = ref;
}

size_t http_response_body_len(const http_response *res)
{
    return res->ext ? res->ext_len : res->body.len;
}

const char *http_status_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
