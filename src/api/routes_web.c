/* The web app's page and files (src/web/), behind the API's pipeline. */
#include "api/api_internal.h"
#include "web/web.h"

void route_web(api_thread *t, api_request *r, http_response *res)
{
    const web_file *f = web_find(r->http->path, r->http->path_len);

    (void)t;
    if (!f) {
        api_error(res, 404, "Not found", NULL);
        return;
    }
    web_respond(f, api_accepts_gzip(r->http), api_none_match(r->http, f->etag), res);
}
