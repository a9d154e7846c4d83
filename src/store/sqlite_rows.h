/* A batch of rows in memory as a table SQLite can select from: the
 * table-valued function tvshows_rows(?1), with ?1 bound to a
 * sqlite_rows_batch by sqlite_rows_bind. Its columns are c0, c1, … (up to
 * SQLITE_ROWS_MAX_COLS), each row's values in order.
 *
 * It lets a write of many rows be one statement (INSERT … SELECT … FROM
 * tvshows_rows(?1)) rather than one statement a row: SQLite then runs the
 * statement's set-up, its triggers' AUTOINCREMENT bookkeeping and its
 * RETURNING once a batch, not once a row.
 *
 * Ownership: the batch and its values are the caller's and must outlive
 * the statement's steps; nothing here copies them or keeps them after.
 * Threads: what a connection allows (one thread at a time). */
#ifndef TVSHOWS_STORE_SQLITE_ROWS_H
#define TVSHOWS_STORE_SQLITE_ROWS_H

#include <sqlite3.h>
#include <stddef.h>

#include "store/db.h"

#define SQLITE_ROWS_MAX_COLS 32

typedef struct sqlite_rows_batch {
    const db_val *rows; /* nrows × ncols values, row-major */
    size_t nrows;
    int ncols;
} sqlite_rows_batch;

/* Makes tvshows_rows known to conn. Returns an SQLite result code. */
int sqlite_rows_register(sqlite3 *conn);

/* Binds batch to parameter idx (1-based) of st. */
int sqlite_rows_bind(sqlite3_stmt *st, int idx, const sqlite_rows_batch *batch);

#endif
