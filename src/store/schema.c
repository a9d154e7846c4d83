/* The schema, as numbered migrations compiled into the binary. A migration,
 * once released, never changes: later changes are new migrations. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"

typedef struct migration {
    int version;
    const char *name;
    dialect_sql sql;
} migration;

/* Episodes carry a few columns derived at import (time_sort, number_sort and
 * the show's name, rating and distributors) so that one index holds the
 * exact order the API returns and the filters can be checked without a join:
 * a page is an index range scan, never a sort. */
#define EPISODES_COMMON                                                                            \
    "  name TEXT NOT NULL,\n"                                                                      \
    "  season INTEGER NOT NULL,\n"                                                                 \
    "  number INTEGER,\n"                                                                          \
    "  type TEXT,\n"                                                                               \
    "  airdate TEXT NOT NULL,\n"                                                                   \
    "  airtime TEXT NOT NULL,\n"                                                                   \
    "  airstamp TEXT,\n"                                                                           \
    "  runtime INTEGER,\n"                                                                         \
    "  image_medium TEXT,\n"                                                                       \
    "  image_original TEXT,\n"                                                                     \
    "  summary TEXT,\n"                                                                            \
    "  url TEXT,\n"                                                                                \
    "  time_sort INTEGER NOT NULL,\n"                                                              \
    "  number_sort INTEGER NOT NULL,\n"

#define SCHEMA_INDEXES                                                                             \
    "CREATE INDEX distributors_name ON distributors (name);\n"                                     \
    "CREATE INDEX distributors_country_code ON distributors (country_code);\n"                     \
    "CREATE INDEX distributors_country_name ON distributors (country_name);\n"                     \
    "CREATE INDEX shows_name ON shows (name, id);\n"                                               \
    "CREATE INDEX episodes_schedule ON episodes\n"                                                 \
    "  (airdate, time_sort, show_name, season, number_sort, id,\n"                                 \
    "   show_rating, network_id, web_channel_id);\n"                                               \
    "CREATE INDEX episodes_show ON episodes (show_id, airdate, season, number_sort, id);\n"        \
    "CREATE INDEX listings_episode ON listings (episode_id);\n"                                    \
    "CREATE INDEX import_runs_finished ON import_runs (status, finished_at);\n"                    \
    "INSERT INTO meta (key, value) VALUES ('generation', 0);\n"

/* The database queue (used when there is no Redis). A job is queued,
 * running (claimed until locked_until; a worker that dies lets it expire and
 * the job is claimed again) or dead; finished jobs are deleted. The partial
 * unique index makes enqueueing a job whose key is already queued or running
 * a no-op. scheduler_ticks records which process enqueued each tick. */
#define JOBS_COMMON                                                                                \
    "  type TEXT NOT NULL,\n"                                                                      \
    "  payload TEXT NOT NULL,\n"                                                                   \
    "  unique_key TEXT,\n"                                                                         \
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'dead')),\n"                      \
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"                                                     \
    "  run_at BIGINT NOT NULL,\n"                                                                  \
    "  locked_by TEXT,\n"                                                                          \
    "  locked_until BIGINT,\n"                                                                     \
    "  last_error TEXT,\n"                                                                         \
    "  created_at BIGINT NOT NULL);\n"                                                             \
    "CREATE UNIQUE INDEX jobs_unique_live ON jobs (unique_key) WHERE state <> 'dead';\n"           \
    "CREATE INDEX jobs_ready ON jobs (state, run_at, id);\n"                                       \
    "CREATE TABLE scheduler_ticks (tick BIGINT PRIMARY KEY, claimed_by TEXT NOT NULL,\n"           \
    "  claimed_at BIGINT NOT NULL);\n"

/* API keys: only the SHA-256 of a key is kept; prefix is its first
 * characters, to tell keys apart in listings. keys_version changes with
 * every create or revoke, so API processes reload their key set at once. */
#define API_KEYS_COMMON                                                                            \
    "  name TEXT NOT NULL,\n"                                                                      \
    "  prefix TEXT NOT NULL,\n"                                                                    \
    "  sha256 TEXT NOT NULL UNIQUE,\n"                                                             \
    "  created_at BIGINT NOT NULL,\n"                                                              \
    "  last_used_at BIGINT,\n"                                                                     \
    "  revoked_at BIGINT);\n"                                                                      \
    "INSERT INTO meta (key, value) VALUES ('keys_version', 0);\n"

#define SHOWS_BY_DISTRIBUTOR                                                                       \
    "CREATE INDEX shows_network ON shows (network_id);\n"                                          \
    "CREATE INDEX shows_web_channel ON shows (web_channel_id);\n"

/* An import run's units: each (day, source) its plan enqueued, planned
 * until its job reports it ok or failed. A queued run counts its days from
 * them, so a day reported twice (a job delivered again after its
 * acknowledgement was lost) counts once, and a failed day that succeeds
 * later (retry-dead) turns ok. changed_at (Unix ms) shows the scheduler
 * which running runs stopped moving (their jobs lost with Redis's data). */
#define RUN_UNITS_COMMON                                                                           \
    "  day TEXT NOT NULL,\n"                                                                       \
    "  source TEXT NOT NULL,\n"                                                                    \
    "  status TEXT NOT NULL CHECK (status IN ('planned', 'ok', 'failed')),\n"                      \
    "  error TEXT,\n"                                                                              \
    "  changed_at BIGINT NOT NULL,\n"                                                              \
    "  PRIMARY KEY (run_id, day, source))"

static const migration migrations[] = {
    {1,
     "domain schema",
     {/* SQLite */
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);\n"
      "CREATE TABLE distributors (\n"
      "  id INTEGER PRIMARY KEY,\n"
      "  kind TEXT NOT NULL CHECK (kind IN ('network', 'web')),\n"
      "  tvmaze_id INTEGER NOT NULL,\n"
      "  name TEXT NOT NULL,\n"
      "  country_code TEXT,\n"
      "  country_name TEXT,\n"
      "  country_timezone TEXT,\n"
      "  official_site TEXT,\n"
      "  updated INTEGER NOT NULL DEFAULT 0,\n"
      "  UNIQUE (kind, tvmaze_id));\n"
      "CREATE TABLE shows (\n"
      "  id INTEGER PRIMARY KEY,\n"
      "  tvmaze_id INTEGER NOT NULL UNIQUE,\n"
      "  name TEXT NOT NULL,\n"
      "  url TEXT, type TEXT, language TEXT, status TEXT,\n"
      "  runtime INTEGER, average_runtime INTEGER,\n"
      "  premiered TEXT, ended TEXT, official_site TEXT,\n"
      "  schedule_time TEXT NOT NULL DEFAULT '',\n"
      "  schedule_days TEXT NOT NULL DEFAULT '[]',\n"
      "  rating REAL, weight INTEGER,\n"
      "  network_id INTEGER REFERENCES distributors (id),\n"
      "  web_channel_id INTEGER REFERENCES distributors (id),\n"
      "  genres TEXT NOT NULL DEFAULT '[]',\n"
      "  image_medium TEXT, image_original TEXT, summary TEXT,\n"
      "  updated INTEGER NOT NULL DEFAULT 0);\n"
      "CREATE TABLE episodes (\n"
      "  id INTEGER PRIMARY KEY,\n"
      "  tvmaze_id INTEGER NOT NULL UNIQUE,\n"
      "  show_id INTEGER NOT NULL REFERENCES shows (id),\n"
      "  rating REAL,\n" EPISODES_COMMON "  show_name TEXT NOT NULL,\n"
      "  show_rating REAL,\n"
      "  network_id INTEGER,\n"
      "  web_channel_id INTEGER);\n"
      "CREATE TABLE listings (\n"
      "  source TEXT NOT NULL,\n"
      "  day TEXT NOT NULL,\n"
      "  episode_id INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,\n"
      "  PRIMARY KEY (source, day, episode_id)) WITHOUT ROWID;\n"
      "CREATE TABLE import_runs (\n"
      "  id INTEGER PRIMARY KEY,\n"
      "  started_at INTEGER NOT NULL,\n"
      "  finished_at INTEGER,\n"
      "  status TEXT NOT NULL,\n"
      "  mode TEXT NOT NULL,\n"
      "  days_total INTEGER NOT NULL DEFAULT 0,\n"
      "  days_ok INTEGER NOT NULL DEFAULT 0,\n"
      "  days_failed INTEGER NOT NULL DEFAULT 0,\n"
      "  requests INTEGER NOT NULL DEFAULT 0,\n"
      "  retries INTEGER NOT NULL DEFAULT 0,\n"
      "  upserted INTEGER NOT NULL DEFAULT 0,\n"
      "  removed INTEGER NOT NULL DEFAULT 0,\n"
      "  first_error TEXT,\n"
      "  failed_days TEXT);\n" SCHEMA_INDEXES,
      /* PostgreSQL: byte-order collation for everything the API sorts by, so
       * both backends return the same order */
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);\n"
      "CREATE TABLE distributors (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
      "  kind TEXT NOT NULL CHECK (kind IN ('network', 'web')),\n"
      "  tvmaze_id BIGINT NOT NULL,\n"
      "  name TEXT COLLATE \"C\" NOT NULL,\n"
      "  country_code TEXT,\n"
      "  country_name TEXT COLLATE \"C\",\n"
      "  country_timezone TEXT,\n"
      "  official_site TEXT,\n"
      "  updated BIGINT NOT NULL DEFAULT 0,\n"
      "  UNIQUE (kind, tvmaze_id));\n"
      "CREATE TABLE shows (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
      "  tvmaze_id BIGINT NOT NULL UNIQUE,\n"
      "  name TEXT COLLATE \"C\" NOT NULL,\n"
      "  url TEXT, type TEXT, language TEXT, status TEXT,\n"
      "  runtime INTEGER, average_runtime INTEGER,\n"
      "  premiered TEXT, ended TEXT, official_site TEXT,\n"
      "  schedule_time TEXT NOT NULL DEFAULT '',\n"
      "  schedule_days TEXT NOT NULL DEFAULT '[]',\n"
      "  rating DOUBLE PRECISION, weight INTEGER,\n"
      "  network_id BIGINT REFERENCES distributors (id),\n"
      "  web_channel_id BIGINT REFERENCES distributors (id),\n"
      "  genres TEXT NOT NULL DEFAULT '[]',\n"
      "  image_medium TEXT, image_original TEXT, summary TEXT,\n"
      "  updated BIGINT NOT NULL DEFAULT 0);\n"
      "CREATE TABLE episodes (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
      "  tvmaze_id BIGINT NOT NULL UNIQUE,\n"
      "  show_id BIGINT NOT NULL REFERENCES shows (id),\n"
      "  rating DOUBLE PRECISION,\n" EPISODES_COMMON "  show_name TEXT COLLATE \"C\" NOT NULL,\n"
      "  show_rating DOUBLE PRECISION,\n"
      "  network_id BIGINT,\n"
      "  web_channel_id BIGINT);\n"
      "CREATE TABLE listings (\n"
      "  source TEXT NOT NULL,\n"
      "  day TEXT NOT NULL,\n"
      "  episode_id BIGINT NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,\n"
      "  PRIMARY KEY (source, day, episode_id));\n"
      "CREATE TABLE import_runs (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
      "  started_at BIGINT NOT NULL,\n"
      "  finished_at BIGINT,\n"
      "  status TEXT NOT NULL,\n"
      "  mode TEXT NOT NULL,\n"
      "  days_total INTEGER NOT NULL DEFAULT 0,\n"
      "  days_ok INTEGER NOT NULL DEFAULT 0,\n"
      "  days_failed INTEGER NOT NULL DEFAULT 0,\n"
      "  requests BIGINT NOT NULL DEFAULT 0,\n"
      "  retries BIGINT NOT NULL DEFAULT 0,\n"
      "  upserted BIGINT NOT NULL DEFAULT 0,\n"
      "  removed BIGINT NOT NULL DEFAULT 0,\n"
      "  first_error TEXT,\n"
      "  failed_days TEXT);\n" SCHEMA_INDEXES}},
    {2,
     "job queue",
     {/* SQLite */
      "CREATE TABLE jobs (\n"
      "  id INTEGER PRIMARY KEY,\n" JOBS_COMMON,
      /* PostgreSQL */
      "CREATE TABLE jobs (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n" JOBS_COMMON}},
    {3,
     "api keys",
     {/* SQLite */
      "CREATE TABLE api_keys (\n"
      "  id INTEGER PRIMARY KEY,\n" API_KEYS_COMMON,
      /* PostgreSQL */
      "CREATE TABLE api_keys (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n" API_KEYS_COMMON}},
    /* a distributor filter that matches few episodes finds them by show */
    {4, "shows by distributor", {SHOWS_BY_DISTRIBUTOR, SHOWS_BY_DISTRIBUTOR}},
    {5,
     "import run units",
     {/* SQLite */
      "CREATE TABLE import_run_units (\n"
      "  run_id INTEGER NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,\n" RUN_UNITS_COMMON
      " WITHOUT ROWID;\n",
      /* PostgreSQL */
      "CREATE TABLE import_run_units (\n"
      "  run_id BIGINT NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,\n" RUN_UNITS_COMMON
      ";\n"}},
};

#define NMIGRATIONS    ((int)(sizeof(migrations) / sizeof(migrations[0])))
#define MIGRATION_LOCK "7263001" /* advisory lock key: "tvshows migrate" */

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

static int current_version(store *st, int *version)
{
    static dialect_sql exists = {
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        " AND tablename = 'schema_migrations'"};
    db_rows *r;
    int rc, have = 0;

    *version = 0;
    if ((rc = db_query(st->db, store_sql(st, exists), NULL, 0, &r)) != DB_OK)
        return store_fail(st, rc);
    if (db_next(r) == 1)
        have = db_col_int(r, 0) > 0;
    db_rows_close(r);
    if (!have)
        return STORE_OK;
    if ((rc = db_query(st->db, "SELECT coalesce(max(version), 0) FROM schema_migrations", NULL, 0,
                       &r)) != DB_OK)
        return store_fail(st, rc);
    if (db_next(r) == 1)
        *version = (int)db_col_int(r, 0);
    db_rows_close(r);
    return STORE_OK;
}

int store_schema_version(store *st, int *current, int *latest)
{
    *latest = NMIGRATIONS;
    return current_version(st, current);
}

static int apply(store *st, const migration *m)
{
    db_val p[3] = {dbv_int(m->version), dbv_text(m->name), dbv_int(time(NULL))};
    int rc;

    if ((rc = db_script(st->db, store_sql(st, m->sql))) != DB_OK)
        return store_fail(st, rc);
    rc = db_exec(st->db,
                 "INSERT INTO schema_migrations (version, name, applied_at)"
                 " VALUES ($1, $2, $3)",
                 p, 3, NULL);
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_migrate(store *st, int *applied)
{
    int pg = store_is_postgres(st), version, rc, locked = 0;

    *applied = 0;
    /* PostgreSQL: concurrent migrators queue on an advisory lock; SQLite:
     * the write transaction below serialises them */
    if (pg) {
        if ((rc = db_script(st->db, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")")) != DB_OK)
            return store_fail(st, rc);
        locked = 1;
    }
    if ((rc = db_script(st->db, create_table_sql)) != DB_OK) {
        rc = store_fail(st, rc);
        goto done;
    }
    for (;;) {
        if ((rc = db_begin_write(st->db)) != DB_OK) {
            rc = store_fail(st, rc);
            goto done;
        }
        if ((rc = current_version(st, &version)) != STORE_OK)
            goto rollback;
        if (version >= NMIGRATIONS) {
            db_rollback(st->db);
            break;
        }
        if ((rc = apply(st, &migrations[version])) != STORE_OK)
            goto rollback;
        if ((rc = db_commit(st->db)) != DB_OK) {
            rc = store_fail(st, rc);
            goto rollback;
        }
        (*applied)++;
    }
    rc = STORE_OK;
    goto done;
rollback:
    db_rollback(st->db);
done:
    if (locked)
        db_script(st->db, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")");
    return rc;
}
