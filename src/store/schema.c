/* The schema, as numbered migrations compiled into the binary. A migration,
 * once released, never changes: later changes are new migrations. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"
#include "util/fold.h"
#include "util/json.h"

typedef struct migration {
    int version;
    const char *name;
    dialect_sql sql;
    /* work SQL alone cannot do, in the same transaction (NULL: none) */
    int (*after)(store *st);
    /* expand only: a binary of the version before still serves a database
     * migrated to this one (a rollback during a deployment is safe) */
    int compatible;
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

/* Lookup by the show's ids elsewhere, and search by name: search_name is
 * the folded name (fold.h), filled at import; each backend indexes its
 * trigrams with its own machinery (SQLite FTS5's trigram tokenizer, kept in
 * step by triggers; PostgreSQL's pg_trgm). */
#define SHOW_LOOKUP_COLUMNS                                                                        \
    "CREATE INDEX shows_imdb ON shows (imdb);\n"                                                   \
    "CREATE INDEX shows_thetvdb ON shows (thetvdb);\n"
#define SQLITE_SHOW_SEARCH                                                                         \
    "ALTER TABLE shows ADD COLUMN imdb TEXT;\n"                                                    \
    "ALTER TABLE shows ADD COLUMN thetvdb INTEGER;\n"                                              \
    "ALTER TABLE shows ADD COLUMN search_name TEXT NOT NULL DEFAULT '';\n" SHOW_LOOKUP_COLUMNS     \
    "CREATE VIRTUAL TABLE shows_search USING fts5(search_name, content='shows',\n"                 \
    "  content_rowid='id', tokenize='trigram');\n"                                                 \
    "CREATE TRIGGER shows_search_insert AFTER INSERT ON shows BEGIN\n"                             \
    "  INSERT INTO shows_search (rowid, search_name) VALUES (new.id, new.search_name);\n"          \
    "END;\n"                                                                                       \
    "CREATE TRIGGER shows_search_delete AFTER DELETE ON shows BEGIN\n"                             \
    "  INSERT INTO shows_search (shows_search, rowid, search_name)\n"                              \
    "    VALUES ('delete', old.id, old.search_name);\n"                                            \
    "END;\n"                                                                                       \
    "CREATE TRIGGER shows_search_update AFTER UPDATE OF search_name ON shows BEGIN\n"              \
    "  INSERT INTO shows_search (shows_search, rowid, search_name)\n"                              \
    "    VALUES ('delete', old.id, old.search_name);\n"                                            \
    "  INSERT INTO shows_search (rowid, search_name) VALUES (new.id, new.search_name);\n"          \
    "END;\n" /* rows stored before the index existed: indexed as they are, so that                 \
              * the update trigger deletes exactly what the index holds */                         \
    "INSERT INTO shows_search (shows_search) VALUES ('rebuild');\n"
#define PG_SHOW_SEARCH                                                                             \
    "ALTER TABLE shows ADD COLUMN imdb TEXT, ADD COLUMN thetvdb BIGINT,\n"                         \
    "  ADD COLUMN search_name TEXT COLLATE \"C\" NOT NULL DEFAULT '';\n" SHOW_LOOKUP_COLUMNS       \
    "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"                                                    \
    "CREATE INDEX shows_search ON shows USING gin (search_name gin_trgm_ops);\n"

/* What changed for viewers, for the change feed, calendar revisions and
 * webhooks: every episode added, moved (its date or announced time; an
 * airstamp that moves without an announced time is TVmaze's placeholder,
 * not a change) or removed is a row of `changes`, written by triggers in the
 * transaction that changes the episode, whatever code path does it. seq is
 * the feed's cursor: it only grows (imports, the only writers, commit one at
 * a time under their lock), and rows older than CHANGES_RETENTION_DAYS are
 * pruned, the last pruned seq kept in meta. revision counts an episode's
 * moves (a calendar's SEQUENCE). */
#define CHANGES_COLUMNS                                                                            \
    "  created_at BIGINT NOT NULL,\n"                                                              \
    "  kind TEXT NOT NULL CHECK (kind IN ('added', 'rescheduled', 'time_known', 'removed')),\n"    \
    "  episode_id BIGINT NOT NULL,\n"                                                              \
    "  episode_tvmaze_id BIGINT NOT NULL,\n"                                                       \
    "  show_id BIGINT NOT NULL,\n"                                                                 \
    "  name TEXT, season INTEGER, number INTEGER,\n"                                               \
    "  airdate_before TEXT, airtime_before TEXT, airstamp_before TEXT,\n"                          \
    "  airdate TEXT, airtime TEXT, airstamp TEXT);\n"                                              \
    "CREATE INDEX changes_created ON changes (created_at);\n"                                      \
    "CREATE INDEX changes_show ON changes (show_id, seq);\n"                                       \
    "INSERT INTO meta (key, value) VALUES ('changes_pruned_seq', 0);\n"
#define CHANGE_INSERT                                                                              \
    "INSERT INTO changes (created_at, kind, episode_id, episode_tvmaze_id, show_id, name,"         \
    " season, number, airdate_before, airtime_before, airstamp_before, airdate, airtime,"          \
    " airstamp)"
#define SQLITE_CHANGES                                                                             \
    "ALTER TABLE episodes ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;\n"                       \
    "ALTER TABLE episodes ADD COLUMN time_changed_at INTEGER;\n"                                   \
    "CREATE TABLE changes (\n"                                                                     \
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n" CHANGES_COLUMNS                                   \
    "CREATE TRIGGER episodes_added AFTER INSERT ON episodes BEGIN\n" CHANGE_INSERT                 \
    " VALUES (unixepoch(), 'added', new.id, new.tvmaze_id, new.show_id, new.name, new.season,"     \
    " new.number, NULL, NULL, NULL, new.airdate, new.airtime, new.airstamp);\n"                    \
    "END;\n"                                                                                       \
    "CREATE TRIGGER episodes_moved AFTER UPDATE OF airdate, airtime, airstamp ON episodes\n"       \
    "  WHEN old.airdate IS NOT new.airdate OR old.airtime IS NOT new.airtime\n"                    \
    "    OR (old.airstamp IS NOT new.airstamp AND new.airtime <> '') BEGIN\n"                      \
    "  UPDATE episodes SET revision = revision + 1, time_changed_at = unixepoch()\n"               \
    "    WHERE id = new.id;\n" CHANGE_INSERT                                                       \
    " VALUES (unixepoch(), CASE WHEN old.airtime = '' AND new.airtime <> ''"                       \
    " AND old.airdate IS new.airdate THEN 'time_known' ELSE 'rescheduled' END, new.id,"            \
    " new.tvmaze_id, new.show_id, new.name, new.season, new.number, old.airdate, old.airtime,"     \
    " old.airstamp, new.airdate, new.airtime, new.airstamp);\n"                                    \
    "END;\n"                                                                                       \
    "CREATE TRIGGER episodes_removed AFTER DELETE ON episodes BEGIN\n" CHANGE_INSERT               \
    " VALUES (unixepoch(), 'removed', old.id, old.tvmaze_id, old.show_id, old.name, old.season,"   \
    " old.number, old.airdate, old.airtime, old.airstamp, NULL, NULL, NULL);\n"                    \
    "END;\n"
#define PG_NOW "extract(epoch FROM now())::bigint"
#define PG_CHANGES                                                                                 \
    "ALTER TABLE episodes ADD COLUMN revision INTEGER NOT NULL DEFAULT 0,\n"                       \
    "  ADD COLUMN time_changed_at BIGINT;\n"                                                       \
    "CREATE TABLE changes (\n"                                                                     \
    "  seq BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n" CHANGES_COLUMNS                 \
    "CREATE FUNCTION tvshows_episode_changes() RETURNS trigger LANGUAGE plpgsql AS $$\n"           \
    "BEGIN\n"                                                                                      \
    "  IF TG_OP = 'INSERT' THEN\n" CHANGE_INSERT "    VALUES (" PG_NOW                             \
    ", 'added', NEW.id, NEW.tvmaze_id, NEW.show_id, NEW.name, NEW.season,"                         \
    " NEW.number, NULL, NULL, NULL, NEW.airdate, NEW.airtime, NEW.airstamp);\n"                    \
    "    RETURN NEW;\n"                                                                            \
    "  ELSIF TG_OP = 'DELETE' THEN\n" CHANGE_INSERT "    VALUES (" PG_NOW                          \
    ", 'removed', OLD.id, OLD.tvmaze_id, OLD.show_id, OLD.name, OLD.season,"                       \
    " OLD.number, OLD.airdate, OLD.airtime, OLD.airstamp, NULL, NULL, NULL);\n"                    \
    "    RETURN OLD;\n"                                                                            \
    "  ELSIF NEW.airdate IS DISTINCT FROM OLD.airdate OR NEW.airtime IS DISTINCT FROM "            \
    "OLD.airtime\n"                                                                                \
    "      OR (NEW.airstamp IS DISTINCT FROM OLD.airstamp AND NEW.airtime <> '') THEN\n"           \
    "    NEW.revision := OLD.revision + 1;\n"                                                      \
    "    NEW.time_changed_at := " PG_NOW ";\n" CHANGE_INSERT "    VALUES (" PG_NOW                 \
    ", CASE WHEN OLD.airtime = '' AND NEW.airtime <> ''"                                           \
    " AND OLD.airdate = NEW.airdate THEN 'time_known' ELSE 'rescheduled' END, NEW.id,"             \
    " NEW.tvmaze_id, NEW.show_id, NEW.name, NEW.season, NEW.number, OLD.airdate, OLD.airtime,"     \
    " OLD.airstamp, NEW.airdate, NEW.airtime, NEW.airstamp);\n"                                    \
    "  END IF;\n"                                                                                  \
    "  RETURN NEW;\n"                                                                              \
    "END $$;\n"                                                                                    \
    "CREATE TRIGGER episodes_added AFTER INSERT ON episodes\n"                                     \
    "  FOR EACH ROW EXECUTE FUNCTION tvshows_episode_changes();\n"                                 \
    "CREATE TRIGGER episodes_moved BEFORE UPDATE OF airdate, airtime, airstamp ON episodes\n"      \
    "  FOR EACH ROW EXECUTE FUNCTION tvshows_episode_changes();\n"                                 \
    "CREATE TRIGGER episodes_removed AFTER DELETE ON episodes\n"                                   \
    "  FOR EACH ROW EXECUTE FUNCTION tvshows_episode_changes();\n"

/* The feed's rows for episodes added and removed, written once per
 * statement from its transition table instead of by a PL/pgSQL call per
 * row (a first import adds some 100,000 episodes: the calls were a fifth of
 * the server's time). The rows and their order (by episode id, the order an
 * import inserts them in) are those of the row triggers they replace; a
 * move still needs the row trigger, which sets the row's revision. */
#define PG_CHANGES_BY_STATEMENT                                                                    \
    "CREATE FUNCTION tvshows_episodes_added() RETURNS trigger LANGUAGE plpgsql AS $$\n"            \
    "BEGIN\n" CHANGE_INSERT "  SELECT " PG_NOW ", 'added', n.id, n.tvmaze_id, n.show_id, n.name,"  \
    " n.season, n.number, NULL, NULL, NULL, n.airdate, n.airtime, n.airstamp"                      \
    " FROM added_rows n ORDER BY n.id;\n"                                                          \
    "  RETURN NULL;\n"                                                                             \
    "END $$;\n"                                                                                    \
    "CREATE FUNCTION tvshows_episodes_removed() RETURNS trigger LANGUAGE plpgsql AS $$\n"          \
    "BEGIN\n" CHANGE_INSERT "  SELECT " PG_NOW                                                     \
    ", 'removed', o.id, o.tvmaze_id, o.show_id, o.name,"                                           \
    " o.season, o.number, o.airdate, o.airtime, o.airstamp, NULL, NULL, NULL"                      \
    " FROM removed_rows o ORDER BY o.id;\n"                                                        \
    "  RETURN NULL;\n"                                                                             \
    "END $$;\n"                                                                                    \
    "DROP TRIGGER episodes_added ON episodes;\n"                                                   \
    "DROP TRIGGER episodes_removed ON episodes;\n"                                                 \
    "CREATE TRIGGER episodes_added AFTER INSERT ON episodes REFERENCING NEW TABLE AS added_rows\n" \
    "  FOR EACH STATEMENT EXECUTE FUNCTION tvshows_episodes_added();\n"                            \
    "CREATE TRIGGER episodes_removed AFTER DELETE ON episodes REFERENCING OLD TABLE AS"            \
    " removed_rows\n"                                                                              \
    "  FOR EACH STATEMENT EXECUTE FUNCTION tvshows_episodes_removed();\n"

/* The feed's rows are numbered in the order their transactions commit:
 * whoever writes a row of `changes` first takes the lock a PostgreSQL
 * import takes for its serial part (LOCK_SQL, store_import_pg.c), and holds
 * it to its commit. Without it, two writers' rows could commit out of
 * their order, and a reader that had passed the later one's numbers would
 * never see the earlier one's. An import writes a day's new episodes before
 * it takes the lock, side by side with the others; the feed's rows for them
 * wait for it here. */
#define PG_CHANGES_IN_COMMIT_ORDER                                                                 \
    "CREATE FUNCTION tvshows_changes_in_order() RETURNS trigger LANGUAGE plpgsql AS $$\n"          \
    "BEGIN\n"                                                                                      \
    "  PERFORM pg_advisory_xact_lock(7263002);\n"                                                  \
    "  RETURN NULL;\n"                                                                             \
    "END $$;\n"                                                                                    \
    "CREATE TRIGGER changes_in_commit_order BEFORE INSERT ON changes\n"                            \
    "  FOR EACH STATEMENT EXECUTE FUNCTION tvshows_changes_in_order();\n"

/* Shows stored before search existed get their search form now (later
 * imports keep it). */
static int fold_stored_names(store *st)
{
    static const char sql[] = "SELECT id, name FROM shows";
    db_rows *r;
    int rc;
    buf ids;

    buf_init(&ids, (size_t)256 << 20);
    buf_putc(&ids, '[');
    if ((rc = db_query(st->db, sql, NULL, 0, &r)) != DB_OK) {
        buf_free(&ids);
        return store_fail(st, rc);
    }
    /* the pairs go back as one JSON array of [id, folded name] */
    while ((rc = db_next(r)) == 1) {
        size_t n, len;
        const char *name = db_col_text(r, 1, &n);
        char folded[FOLD_MAX * 4];
        if (!name || text_fold(name, n, folded, sizeof(folded), &len) != 0)
            continue;
        buf_printf(&ids, "%s[%lld,", ids.len > 1 ? "," : "", (long long)db_col_int(r, 0));
        buf_putc(&ids, '"');
        json_escape(&ids, folded, len);
        buf_puts(&ids, "\"]");
    }
    db_rows_close(r);
    buf_putc(&ids, ']');
    if (rc < 0) {
        buf_free(&ids);
        return store_fail(st, DB_ERR);
    }
    {
        static dialect_sql update = {
            "UPDATE shows SET search_name = j.value ->> 1 FROM json_each($1) j"
            " WHERE shows.id = j.value ->> 0",
            "UPDATE shows SET search_name = j.value ->> 1 FROM json_array_elements($1::json) j"
            " WHERE shows.id = (j.value ->> 0)::bigint"};
        db_val p = dbv_textn(ids.data, ids.len);
        rc = db_exec(st->db, store_sql(st, update), &p, 1, NULL);
    }
    buf_free(&ids);
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

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

/* Followed-show lists: an owner (the identity that made it), a name, its
 * feed token as a SHA-256 (the token is shown once), and version, bumped by
 * every change, which keys its feeds' cache. */
#define LISTS_COMMON                                                                               \
    "  owner TEXT NOT NULL,\n"                                                                     \
    "  name TEXT NOT NULL,\n"                                                                      \
    "  feed_sha256 TEXT NOT NULL UNIQUE,\n"                                                        \
    "  feed_prefix TEXT NOT NULL,\n"                                                               \
    "  created_at BIGINT NOT NULL,\n"                                                              \
    "  version BIGINT NOT NULL);\n"                                                                \
    "CREATE INDEX lists_owner ON lists (owner, id);\n"
#define LIST_SHOWS_COMMON                                                                          \
    "  added_at BIGINT NOT NULL,\n"                                                                \
    "  PRIMARY KEY (list_id, show_id))"

/* Webhooks: where changes are POSTed, the secret that signs them (kept as
 * given: signing needs it), a saved filter (the schedule's query
 * parameters), and cursor, the last change seq delivered (or passed over by
 * the filter). Each attempt to deliver is a row of webhook_deliveries. */
#define WEBHOOKS_COMMON                                                                            \
    "  url TEXT NOT NULL,\n"                                                                       \
    "  secret TEXT NOT NULL,\n"                                                                    \
    "  filter TEXT NOT NULL DEFAULT '',\n"                                                         \
    "  created_at BIGINT NOT NULL,\n"                                                              \
    "  cursor BIGINT NOT NULL);\n"
#define WEBHOOK_DELIVERIES_COMMON                                                                  \
    "  delivery_id TEXT NOT NULL,\n"                                                               \
    "  from_seq BIGINT NOT NULL,\n"                                                                \
    "  to_seq BIGINT NOT NULL,\n"                                                                  \
    "  changes INTEGER NOT NULL,\n"                                                                \
    "  status TEXT NOT NULL CHECK (status IN ('delivered', 'failed')),\n"                          \
    "  http_status INTEGER,\n"                                                                     \
    "  error TEXT,\n"                                                                              \
    "  duration_ms INTEGER NOT NULL,\n"                                                            \
    "  created_at BIGINT NOT NULL);\n"                                                             \
    "CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);\n"

/* The digest of the body each (source, day) was last written from, and the
 * episodes it listed: an import whose answer hashes the same skips parsing
 * and writing it (store_write.h). Only the import's write path
 * (store_write_day) changes the domain tables, and it keeps these right:
 * a write without a digest drops the unit's, a write that changes rows
 * other units list drops theirs. bodies_generation follows the generation
 * while only such writes change data; when a write it does not know of
 * (a binary of version 9, after a rollback) bumps the generation alone,
 * the digests no longer count, and the next write drops them all. A
 * migration that rewrites domain rows must empty this table. */
#define IMPORT_BODIES                                                                              \
    "CREATE TABLE import_bodies (\n"                                                               \
    "  source TEXT NOT NULL,\n"                                                                    \
    "  day TEXT NOT NULL,\n"                                                                       \
    "  digest TEXT NOT NULL,\n"                                                                    \
    "  episodes BIGINT NOT NULL,\n"                                                                \
    "  PRIMARY KEY (source, day));\n"                                                              \
    "INSERT INTO meta (key, value) SELECT 'bodies_generation', value FROM meta"                    \
    " WHERE key = 'generation';\n"
/* Seasons as TVmaze lists them (/shows/:id/seasons, services/seasons.h):
 * episode_order, null until TVmaze knows it, is what tells a season's
 * finale. season_checks says when a show's seasons were last asked for
 * (ok 0: TVmaze had no such show), so that a fresh show is not asked again. */
#define SEASONS_COLUMNS                                                                            \
    "  number INTEGER NOT NULL,\n"                                                                 \
    "  tvmaze_id BIGINT,\n"                                                                        \
    "  episode_order INTEGER,\n"                                                                   \
    "  premiere_date TEXT,\n"                                                                      \
    "  end_date TEXT,\n"                                                                           \
    "  PRIMARY KEY (show_id, number))"
#define SEASON_CHECKS_COLUMNS                                                                      \
    "  checked_at BIGINT NOT NULL,\n"                                                              \
    "  ok INTEGER NOT NULL);\n"

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
    {4, "shows by distributor", {SHOWS_BY_DISTRIBUTOR, SHOWS_BY_DISTRIBUTOR}, NULL, 1},
    /* new columns with defaults, a new index: version 4 writes shows as
     * before (their search names wait for the next import) */
    {5, "show search and lookup", {SQLITE_SHOW_SEARCH, PG_SHOW_SEARCH}, fold_stored_names, 1},
    /* a new table the triggers fill, whoever writes the episodes */
    {6, "episode changes", {SQLITE_CHANGES, PG_CHANGES}, NULL, 1},
    /* a new table: a binary of version 6 still runs imports (its runs
     * simply have no units) */
    {7,
     "import run units",
     {/* SQLite */
      "CREATE TABLE import_run_units (\n"
      "  run_id INTEGER NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,\n" RUN_UNITS_COMMON
      " WITHOUT ROWID;\n",
      /* PostgreSQL */
      "CREATE TABLE import_run_units (\n"
      "  run_id BIGINT NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,\n" RUN_UNITS_COMMON
      ";\n"},
     NULL,
     1},
    /* new tables only */
    {8,
     "followed-show lists",
     {/* SQLite */
      "CREATE TABLE lists (\n"
      "  id INTEGER PRIMARY KEY,\n" LISTS_COMMON "CREATE TABLE list_shows (\n"
      "  list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
      "  show_id INTEGER NOT NULL REFERENCES shows (id),\n" LIST_SHOWS_COMMON " WITHOUT ROWID;\n",
      /* PostgreSQL */
      "CREATE TABLE lists (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n" LISTS_COMMON
      "CREATE TABLE list_shows (\n"
      "  list_id BIGINT NOT NULL REFERENCES lists (id) ON DELETE CASCADE,\n"
      "  show_id BIGINT NOT NULL REFERENCES shows (id),\n" LIST_SHOWS_COMMON ";\n"},
     NULL,
     1},
    /* new tables only */
    {9,
     "webhooks",
     {/* SQLite */
      "CREATE TABLE webhooks (\n"
      "  id INTEGER PRIMARY KEY,\n" WEBHOOKS_COMMON "CREATE TABLE webhook_deliveries (\n"
      "  id INTEGER PRIMARY KEY,\n"
      "  webhook_id INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE "
      "CASCADE,\n" WEBHOOK_DELIVERIES_COMMON,
      /* PostgreSQL */
      "CREATE TABLE webhooks (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n" WEBHOOKS_COMMON
      "CREATE TABLE webhook_deliveries (\n"
      "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
      "  webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE "
      "CASCADE,\n" WEBHOOK_DELIVERIES_COMMON},
     NULL,
     1},
    /* a new table only the import reads: a binary of version 9 writes days
     * without it, which makes the digests stop counting (IMPORT_BODIES) */
    {10, "import bodies", {IMPORT_BODIES, IMPORT_BODIES}, NULL, 1},
    /* new tables only: a binary of version 10 imports and serves as before
     * (its season_finale stays null) */
    {11,
     "show seasons",
     {/* SQLite */
      "CREATE TABLE seasons (\n"
      "  show_id INTEGER NOT NULL REFERENCES shows (id) ON DELETE CASCADE,\n" SEASONS_COLUMNS
      " WITHOUT ROWID;\n"
      "CREATE TABLE season_checks (\n"
      "  show_id INTEGER PRIMARY KEY REFERENCES shows (id) ON DELETE "
      "CASCADE,\n" SEASON_CHECKS_COLUMNS,
      /* PostgreSQL */
      "CREATE TABLE seasons (\n"
      "  show_id BIGINT NOT NULL REFERENCES shows (id) ON DELETE CASCADE,\n" SEASONS_COLUMNS ";\n"
      "CREATE TABLE season_checks (\n"
      "  show_id BIGINT PRIMARY KEY REFERENCES shows (id) ON DELETE "
      "CASCADE,\n" SEASON_CHECKS_COLUMNS},
     NULL,
     1},
    /* PostgreSQL's feed triggers for additions and removals, per statement
     * (PG_CHANGES_BY_STATEMENT); SQLite's are unchanged. The feed gets the
     * same rows: a binary of version 11 imports as before. */
    {12, "change feed per statement", {"", PG_CHANGES_BY_STATEMENT}, NULL, 1},
    /* PostgreSQL only: a binary of version 12 takes the lock before its
     * first write, so it holds it already when its rows reach the feed */
    {13, "change feed in commit order", {"", PG_CHANGES_IN_COMMIT_ORDER}, NULL, 1},
};

#define NMIGRATIONS    ((int)(sizeof(migrations) / sizeof(migrations[0])))
#define MIGRATION_LOCK "7263001" /* advisory lock key: "tvshows migrate" */

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/* schema_migrations.compatible came later than the table: added where
 * missing (the migrator's own bookkeeping, not a numbered migration). */
static int ensure_compatible_column(store *st)
{
    static dialect_sql has = {
        "SELECT count(*) FROM pragma_table_info('schema_migrations') WHERE name = 'compatible'",
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = 'schema_migrations' AND column_name = 'compatible'"};
    int64_t n = 0;
    int rc = store_query_int(st, store_sql(st, has), NULL, 0, &n);

    if (rc != STORE_OK || n)
        return rc;
    rc = db_script(st->db, "ALTER TABLE schema_migrations ADD COLUMN compatible INTEGER NOT NULL"
                           " DEFAULT 0");
    /* SQLite's migrators are serialised from their write transaction on,
     * after this: one that lost the race finds the column the other added */
    if (rc != DB_OK && store_query_int(st, store_sql(st, has), NULL, 0, &n) == STORE_OK && n)
        return STORE_OK;
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

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

int store_schema_compatible(store *st, int version, int *compatible)
{
    db_val p = dbv_int(version);
    int64_t n = 0;
    int rc;

    *compatible = 0;
    /* a database the compatibility mark predates has no column: not
     * compatible, as it could not say */
    {
        static dialect_sql has = {
            "SELECT count(*) FROM pragma_table_info('schema_migrations')"
            " WHERE name = 'compatible'",
            "SELECT count(*) FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = 'schema_migrations'"
            " AND column_name = 'compatible'"};
        if ((rc = store_query_int(st, store_sql(st, has), NULL, 0, &n)) != STORE_OK || !n)
            return rc;
    }
    rc = store_query_int(st, "SELECT compatible FROM schema_migrations WHERE version = $1", &p, 1,
                         &n);
    *compatible = n == 1;
    return rc;
}

static int apply(store *st, const migration *m)
{
    db_val p[4] = {dbv_int(m->version), dbv_text(m->name), dbv_int(time(NULL)),
                   dbv_int(m->compatible)};
    int rc;

    if ((rc = db_script(st->db, store_sql(st, m->sql))) != DB_OK)
        return store_fail(st, rc);
    if (m->after && (rc = m->after(st)) != STORE_OK)
        return rc;
    rc = db_exec(st->db,
                 "INSERT INTO schema_migrations (version, name, applied_at, compatible)"
                 " VALUES ($1, $2, $3, $4)",
                 p, 4, NULL);
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_migrate(store *st, int *applied)
{
    return store_migrate_to(st, 0, applied);
}

int store_migrate_to(store *st, int to, int *applied)
{
    int pg = store_is_postgres(st), version, rc, locked = 0, unlock;

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
    if ((rc = ensure_compatible_column(st)) != STORE_OK)
        goto done;
    for (;;) {
        if ((rc = db_begin_write(st->db)) != DB_OK) {
            rc = store_fail(st, rc);
            goto done;
        }
        if ((rc = current_version(st, &version)) != STORE_OK)
            goto rollback;
        if (version >= NMIGRATIONS || (to > 0 && version >= to)) {
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
    /* a lock left held would make every other migrator wait for this
     * session to end: say so (a dead connection released it already) */
    if (locked &&
        (unlock = db_script(st->db, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")")) != DB_OK &&
        rc == STORE_OK)
        rc = store_fail(st, unlock);
    return rc;
}

int store_app_role(store *st, const char *role, const char *password)
{
    /* the names and the password travel as settings, bound, never spliced:
     * format() quotes them as an identifier and a literal */
    static const char grant[] =
        "DO $$ DECLARE r text := current_setting('tvshows.app_role');"
        " p text := current_setting('tvshows.app_password');"
        " s text := current_schema(); BEGIN"
        " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN"
        "  EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L', r, p);"
        " ELSE EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L', r, p); END IF;"
        " EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), r);"
        " EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, r);"
        " EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I',"
        "  s, r);"
        " EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', s, r);"
        " EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE,"
        "  DELETE ON TABLES TO %I', s, r);"
        " EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON"
        "  SEQUENCES TO %I', s, r);"
        " END $$";
    db_val p[2] = {dbv_text(role), dbv_text(password)};
    int rc, forget;

    if (!store_is_postgres(st))
        return STORE_OK;
    if ((rc = db_exec(st->db,
                      "SELECT set_config('tvshows.app_role', $1, false),"
                      " set_config('tvshows.app_password', $2, false)",
                      p, 2, NULL)) != DB_OK)
        return store_fail(st, rc);
    rc = db_script(st->db, grant);
    /* the password does not stay in the session's settings */
    forget = db_script(st->db, "SELECT set_config('tvshows.app_password', '', false)");
    if (rc == DB_OK)
        rc = forget;
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}
