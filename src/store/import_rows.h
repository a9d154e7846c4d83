/* import_rows.h — what the import's two write paths share: the rows of a
 * batch as values, the specs of their tables, the memo of rows this
 * connection wrote, and the writer of one (day, source). Private to store/
 * (store_import.c, store_import_pg.c;
 * defined in import_rows.c).
 * Ownership: a writer lives for one store_write_day call and frees what it
 * holds at its end; values point into the batch, which outlives it. */
#ifndef TVSHOWS_IMPORT_ROWS_H
#define TVSHOWS_IMPORT_ROWS_H

#include "util/must_use.h"
#include "store/store_internal.h"
#include "util/idmap.h"

#define DIST_WIDTH   8  /* columns of store_dist_cols */
#define SHOW_WIDTH   25 /* columns of store_show_cols */
#define EP_OWN_WIDTH 17 /* an episode's own columns, then its show's copy */
#define EP_WIDTH     21 /* columns of store_ep_cols */

extern const char *const store_dist_cols[DIST_WIDTH];
extern const char *const store_show_cols[SHOW_WIDTH];
extern const char *const store_ep_cols[EP_WIDTH];
extern const db_upsert_spec store_dist_spec, store_show_spec, store_ep_spec;

/* Episodes carry a copy of their show's name, rating and distributors: when
 * a show's row changes, its stored episodes follow. */
#define DENORM_SQL(IDS)                                                                            \
    "UPDATE episodes SET show_name = s.name, show_rating = s.rating,"                              \
    " network_id = s.network_id, web_channel_id = s.web_channel_id"                                \
    " FROM shows s WHERE s.id = episodes.show_id AND episodes.show_id IN " IDS(                    \
        "$1") " AND (episodes.show_name IS DISTINCT FROM s.name"                                   \
              " OR episodes.show_rating IS DISTINCT FROM s.rating"                                 \
              " OR episodes.network_id IS DISTINCT FROM s.network_id"                              \
              " OR episodes.web_channel_id IS DISTINCT FROM s.web_channel_id)"
/* Episodes no source lists any more (ids: the ones a day just unlisted). */
#define ORPHANS_SQL(IDS)                                                                           \
    "DELETE FROM episodes WHERE id IN " IDS(                                                       \
        "$1") " AND NOT EXISTS (SELECT 1 FROM listings l WHERE l.episode_id = episodes.id)"

/* What an episode copies of its show, as stored, when that differs from the
 * batch's payload of the show (a newer payload was written before). */
typedef struct show_copy {
    char *name;
    db_val rating, network_id, web_channel_id;
} show_copy;

typedef struct memo_note {
    int64_t key, hash;
} memo_note;

typedef struct writer {
    store *st;
    const tv_batch *b;
    db_val *vals; /* scratch rows */
    size_t vals_cap;
    buf ids;
    memo_note *notes; /* rows written, for the memo once the commit holds */
    size_t nnotes, notes_cap;
    idmap dist_ids;     /* (kind << 56 | TVmaze id) -> our id */
    idmap show_ids;     /* TVmaze id -> our id */
    idmap show_changed; /* TVmaze id -> our id, of the shows this batch changed
                         * (PostgreSQL: of those stored before, the only ones
                         * with copies to follow and listings elsewhere) */
    idmap show_index;   /* TVmaze id -> index in b->shows */
    idmap show_copied;  /* TVmaze id -> index in copies */
    show_copy *copies;
    size_t ncopies;
    idmap ep_ids;
    idmap ep_changed; /* TVmaze id -> our id, of the episodes this batch wrote
                       * (PostgreSQL: of those stored before, as above) */
    size_t written;   /* episodes written (dated, with a show) */
    store_day_stats stats;
} writer;

/* The values of one row, in the order of the table's columns. */
void store_dist_values(const tv_distributor *d, db_val *v);
/* network and web_channel: the references the dialect stores there. */
void store_show_values(const tv_show *s, db_val network, db_val web_channel, db_val *v);
/* The episode's own columns; show_ref goes in column 1. */
void store_episode_values(const tv_episode *e, int64_t show_ref, db_val *v);
db_val store_opt_int(int has, int64_t v);
db_val store_opt_float(int has, double v);

/* nvals values of scratch space (the writer's, reused); NULL when out of
 * memory. */
db_val *store_scratch_rows(writer *w, size_t nvals);
/* A JSON array of ids in w->ids, for the *_IDS statements. */
void store_ids_begin(writer *w);
void store_ids_add(writer *w, int64_t id);
db_val store_ids_end(writer *w);
/* Runs a "SELECT key columns…, id" query into map: the key is the first
 * column, or with keyed_by_kind a distributor's memo key of the first two
 * (kind, TVmaze id); the id the column after it. */
MUST_USE int store_load_map(writer *w, const char *sql, const db_val *params, int nparams,
                            idmap *map, int keyed_by_kind);
/* The episode ids of rows r (closed here) into w->ids as above, *n
 * counting them: the listings a day just dropped. */
MUST_USE int store_read_unlisted(writer *w, db_rows *r, int64_t *n);

/* The memo: a key per distributor (its kind) and show (MEMO_SHOW) */
#define MEMO_SHOW 2
int64_t store_memo_key(int kind, int64_t tvmaze_id);
int64_t store_dist_row_key(const db_val *row);
int64_t store_show_row_key(const db_val *row);
/* Drops from rows[0..n) those this connection wrote already with the same
 * values (their ids go into map, when map is not NULL) and notes the others
 * for the memo. Returns how many rows remain, compacted at the front;
 * SIZE_MAX when out of memory. */
size_t store_skip_unchanged(writer *w, db_val *rows, size_t n, int ncols,
                            int64_t (*key_of)(const db_val *row), int key_in_map_is_key,
                            idmap *map);
/* After the commit (in a batch, the day's savepoint: a batch that does not
 * commit forgets the memo): what was written is what the database holds. */
void store_memo_commit(writer *w);
/* Empties the memo (rows it learnt that did not commit). */
void store_memo_forget(store *st);

/* PostgreSQL's rows of a day, inside the transaction store_write_day
 * opened (store_import_pg.c): fills w->stats and w->written. */
MUST_USE int store_pg_write_rows(writer *w, const char *source, const char *day);

#endif
