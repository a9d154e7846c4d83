/* The one place that knows the drivers: a URL's scheme picks one, and for
 * PostgreSQL whether it lives on an event loop (opt->loop) picks the
 * pipelined driver over the blocking one. */
#include <stdio.h>
#include <string.h>

#include "store/db_driver.h"

int db_url_is_sqlite(const char *url)
{
    return !strncmp(url, "sqlite:", 7);
}

int db_connect(db **out, const char *url, const db_options *opt, char *err, size_t errlen)
{
    *out = NULL;
    if (db_url_is_sqlite(url))
        return db_sqlite_connect(out, url + 7, opt, err, errlen);
    if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
        return opt->loop ? db_pg_async_connect(out, url, opt, err, errlen)
                         : db_pg_connect(out, url, opt, err, errlen);
    snprintf(err, errlen, "unknown database URL scheme");
    return DB_ERR;
}
