/* store_internal.h — what the store's files share. Private to store/. */
#ifndef TVSHOWS_STORE_INTERNAL_H
#define TVSHOWS_STORE_INTERNAL_H

#include "store/db.h"
#include "store/store.h"
#include "store/store_admin.h"
#include "store/store_jobs.h"
#include "store/store_read.h"
#include "store/store_write.h"
#include "util/buf.h"
#include "util/idmap.h"

/* What this connection has written of distributors and shows: key ->
 * our id, and key -> a hash of the row. A show appears in the schedule of
 * every day it airs; when its payload has not changed since this
 * connection last wrote it, there is nothing to write again. */
typedef struct store_memo {
    idmap ids;
    idmap hashes;
} store_memo;

#define STORE_MEMO_MAX 500000 /* entries before the memo starts over */

struct store {
    db *db;
    store_memo *memo; /* made by the first write (store_import.c); NULL on a store that reads */
    char err[512];
};

/* Maps a driver result to a store result, copying the message. */
int store_fail(store *st, int db_rc);
/* Commits the open transaction: STORE_OK, or the failure with its message
 * (the transaction rolled back). */
int store_commit(store *st);

/* Reads the current row into a struct allocated from a; NULL when out of
 * memory. */
typedef void *(*store_row_reader)(db_rows *r, arena *a);
/* Runs a query and collects its rows, read by fn, into out->rows and
 * out->n (from a); out->total is the caller's. */
int store_collect(store *st, const char *sql, const db_val *p, int np, arena *a,
                  store_row_reader fn, store_page *out);
/* The text of column col of the current row, copied into a; NULL for a
 * null (or when out of memory). */
const char *store_text(db_rows *r, arena *a, int col);
/* Runs a query whose answer is one integer (the first column of the first
 * row), into *n: 0 when there is no row. */
int store_query_int(store *st, const char *sql, const db_val *p, int np, int64_t *n);

/* Statements that differ between the dialects: [0] SQLite, [1] PostgreSQL. */
typedef const char *const dialect_sql[2];
const char *store_sql(const store *st, dialect_sql sql);

/* A set of ids in a SQL statement: the ids travel as one JSON array
 * parameter, expanded by the database. */
#define SQLITE_IDS(p) "(SELECT value FROM json_each(" p "))"
/* PostgreSQL: as an array, which the planner reckons at 10 elements (a JSON
 * set counts as 100): lists of ids are looked up by index, not hashed
 * against a scan of a table that grew since it was last analysed. */
#define PG_IDS(p) "(SELECT unnest(translate(" p "::text, '[]', '{}')::bigint[]))"
/* NOLINTBEGIN(bugprone-macro-parentheses): string literals pasted together */
#define IDS_SQL(before, p, after)                                                                  \
    {                                                                                              \
        before SQLITE_IDS(p) after, before PG_IDS(p) after                                         \
    }
/* NOLINTEND(bugprone-macro-parentheses) */

/* Every write that changes the domain moves the generation; the digests of
 * the import's answers (schema.c, IMPORT_BODIES) move with it. */
#define STORE_BUMP_GENERATION                                                                      \
    "UPDATE meta SET value = value + 1 WHERE key IN ('generation', 'bodies_generation')"

#endif
