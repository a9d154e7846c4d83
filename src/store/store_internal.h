/* store_internal.h — what the store's files share. Private to store/. */
#ifndef TVSHOWS_STORE_INTERNAL_H
#define TVSHOWS_STORE_INTERNAL_H

#include "store/db.h"
#include "store/store.h"
#include "util/buf.h"

struct store {
    db *db;
    char err[512];
};

/* Maps a driver result to a store result, copying the message. */
int store_fail(store *st, int db_rc);

/* Statements that differ between the dialects: [0] SQLite, [1] PostgreSQL. */
typedef const char *const dialect_sql[2];
const char *store_sql(const store *st, dialect_sql sql);

/* A set of ids in a SQL statement: the ids travel as one JSON array
 * parameter, expanded by the database (json_each / json_array_elements). */
#define SQLITE_IDS(p) "(SELECT value FROM json_each(" p "))"
#define PG_IDS(p)     "(SELECT json_array_elements_text(" p "::json)::bigint)"
#define IDS_SQL(before, p, after)                                                                  \
    {                                                                                              \
        before SQLITE_IDS(p) after, before PG_IDS(p) after                                         \
    }

#endif
