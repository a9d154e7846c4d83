/* db_pg_internal.h — what the two PostgreSQL drivers share: the blocking
 * one (db_pg.c) and the one on an event loop (db_pg_async.c). Private to
 * store/. */
#ifndef TVSHOWS_DB_PG_INTERNAL_H
#define TVSHOWS_DB_PG_INTERNAL_H

#include <libpq-fe.h>

#include "store/db_driver.h"

#define PG_MAX_PARAMS    64
#define PG_PARAM_SCRATCH (PG_MAX_PARAMS * 26) /* room for every number's text */

/* The keywords and values of a connection (PQconnectdbParams and
 * PQconnectStartParams); vals point into url, opt and options. */
typedef struct db_pg_conn {
    const char *keys[11];
    const char *vals[11];
    char options[256];
} db_pg_conn;

void db_pg_conn_params(const char *url, const db_options *opt, db_pg_conn *c);
/* A notice processor that drops NOTICEs ("already exists, skipping"). */
void db_pg_quiet(void *arg, const char *message);
/* libpq's multi-line messages as one line, in place. */
void db_pg_one_line(char *s);
/* Parameters in libpq's form: numbers as text in scratch (of
 * PG_PARAM_SCRATCH bytes), strings as binary (their bytes, not copied).
 * -1 past PG_MAX_PARAMS or scratch. */
int db_pg_params(const db_val *p, int n, const char **vals, int *lens, int *formats, char *scratch,
                 size_t scratch_len);
/* A failed statement's message (one line) into err: DB_RETRY for a
 * deadlock or serialization failure, DB_DOWN for the statement timeout,
 * else DB_ERR. */
int db_pg_result_error(const PGresult *res, char *err, size_t errlen);
/* Rows over a result, which they own (freed by db_rows_close; on failure
 * now). */
int db_pg_rows(PGresult *res, db_rows **out);
/* The rows a command changed into *changes (may be NULL); frees res. */
int db_pg_changes(PGresult *res, int64_t *changes);

#endif
