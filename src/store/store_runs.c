/* Import runs: what `tvshows import` and the queued plans record of each
 * run, and the units (day, source) of a queued run. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"
#include "util/date.h"

int store_run_begin(store *st, const char *mode, int64_t days_total, int64_t *id)
{
    db_val p[3] = {dbv_int(time(NULL)), dbv_text(mode), dbv_int(days_total)};
    db_rows *r;
    int rc = db_query(st->db,
                      "INSERT INTO import_runs (started_at, status, mode, days_total)"
                      " VALUES ($1, 'running', $2, $3) RETURNING id",
                      p, 3, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    rc = db_next(r);
    *id = rc == 1 ? db_col_int(r, 0) : 0;
    db_rows_close(r);
    return rc == 1 ? STORE_OK : store_fail(st, DB_ERR);
}

int store_run_add(store *st, int64_t id, const store_run *d, const char *failed_day,
                  const char *error)
{
    db_val p[10] = {dbv_int(d->days_ok),   dbv_int(d->days_failed), dbv_int(d->requests),
                    dbv_int(d->retries),   dbv_int(d->upserted),    dbv_int(d->removed),
                    dbv_text(error),       dbv_text(failed_day),    dbv_int(id),
                    dbv_int(d->days_total)};
    int rc =
        db_exec(st->db,
                "UPDATE import_runs SET days_ok = days_ok + $1, days_failed = days_failed + $2,"
                " requests = requests + $3, retries = retries + $4,"
                " upserted = upserted + $5, removed = removed + $6,"
                " first_error = coalesce(first_error, $7),"
                " failed_days = CASE WHEN CAST($8 AS TEXT) IS NULL THEN failed_days"
                " WHEN failed_days IS NULL THEN CAST($8 AS TEXT)"
                " ELSE failed_days || ',' || CAST($8 AS TEXT) END,"
                " days_total = days_total + $10"
                " WHERE id = $9",
                p, 10, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

/* A run's status from its counts, once every day is in. */
#define RUN_OUTCOME                                                                                \
    "CASE WHEN days_failed = 0 THEN 'succeeded' WHEN days_ok = 0 THEN 'failed'"                    \
    " ELSE 'partial' END"

/* Runs an UPDATE of import_runs … RETURNING status: *status is the status
 * set, NULL when no row was updated. */
static int run_set_status(store *st, const char *sql, int64_t id, const char **status)
{
    db_val p[2] = {dbv_int(time(NULL)), dbv_int(id)};
    db_rows *r;
    int rc = db_query(st->db, sql, p, 2, &r);

    *status = NULL;
    if (rc != DB_OK)
        return store_fail(st, rc);
    if (db_next(r) == 1) {
        const char *s = db_col_text(r, 0, NULL);
        *status = s && !strcmp(s, "succeeded") ? "succeeded"
                  : s && !strcmp(s, "partial") ? "partial"
                                               : "failed";
    }
    db_rows_close(r);
    return STORE_OK;
}

/* A run's outcome is committed durably, and with it every day written
 * before it: the days' commits do not wait for the disk (SQLite in WAL mode
 * with synchronous=NORMAL, PostgreSQL with synchronous_commit off), and a
 * synchronous commit flushes the whole log up to it. PostgreSQL's is
 * synchronous already; SQLite's syncs the WAL for this one commit. */
static int run_sync(store *st, int full)
{
    int rc;

    if (store_is_postgres(st))
        return STORE_OK;
    rc = db_script(st->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_run_finish(store *st, int64_t id, const char **status)
{
    int rc, back;

    *status = NULL;
    if ((rc = run_sync(st, 1)) != STORE_OK)
        return rc;
    rc = run_set_status(st,
                        "UPDATE import_runs SET finished_at = $1, status = " RUN_OUTCOME
                        " WHERE id = $2 RETURNING status",
                        id, status);
    back = run_sync(st, 0);
    if (rc == STORE_OK)
        rc = back;
    if (rc == STORE_OK && !*status)
        *status = "failed";
    return rc;
}

/* ---- a queued run's units ---- */

static int run_exec(store *st, const char *sql, const db_val *p, int n)
{
    int rc = db_exec(st->db, sql, p, n, NULL);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_run_plan_unit(store *st, int64_t run, const char *day, const char *source)
{
    db_val p[4] = {dbv_int(run), dbv_text(day), dbv_text(source), dbv_int(clock_now_ms())};

    return run_exec(st,
                    "INSERT INTO import_run_units (run_id, day, source, status, changed_at)"
                    " VALUES ($1, $2, $3, 'planned', $4)"
                    " ON CONFLICT (run_id, day, source) DO NOTHING",
                    p, 4);
}

int store_run_drop_unit(store *st, int64_t run, const char *day, const char *source)
{
    db_val p[3] = {dbv_int(run), dbv_text(day), dbv_text(source)};

    return run_exec(st,
                    "DELETE FROM import_run_units WHERE run_id = $1 AND day = $2"
                    " AND source = $3 AND status = 'planned'",
                    p, 3);
}

/* The days of a run, counted from its units: each unit once, however often
 * it was reported. */
#define UNITS_OF_RUN " FROM import_run_units u WHERE u.run_id = $1"
#define RECOUNT_COUNTS                                                                             \
    "UPDATE import_runs SET days_total = (SELECT count(*)" UNITS_OF_RUN "),"                       \
    " days_ok = (SELECT count(*)" UNITS_OF_RUN " AND u.status = 'ok'),"                            \
    " days_failed = (SELECT count(*)" UNITS_OF_RUN " AND u.status = 'failed'),"
#define RECOUNT_FIRST_ERROR                                                                        \
    " first_error = (SELECT error" UNITS_OF_RUN " AND u.status = 'failed'"                         \
    " ORDER BY changed_at, day, source LIMIT 1) WHERE id = $1"
static dialect_sql recount_sql = {
    RECOUNT_COUNTS " failed_days = (SELECT group_concat(k, ',') FROM (SELECT day || '/' || source"
                   " AS k" UNITS_OF_RUN
                   " AND u.status = 'failed' ORDER BY day, source))," RECOUNT_FIRST_ERROR,
    RECOUNT_COUNTS " failed_days = (SELECT string_agg(day || '/' || source, ',' ORDER BY day,"
                   " source)" UNITS_OF_RUN " AND u.status = 'failed')," RECOUNT_FIRST_ERROR};

/* The first statement of a report: takes the run's row (PostgreSQL: the
 * reports to one run queue on it, so each recount sees the units the
 * others committed; SQLite's write lock does the same) and says whether
 * the run is still running; STORE_ENOTFOUND when it is gone. */
static dialect_sql lock_run_sql = {"SELECT status FROM import_runs WHERE id = $1",
                                   "SELECT status FROM import_runs WHERE id = $1 FOR UPDATE"};

static int run_lock(store *st, int64_t run, int *running)
{
    db_val p = dbv_int(run);
    db_rows *r;
    int rc;

    *running = 0;
    if ((rc = db_query(st->db, store_sql(st, lock_run_sql), &p, 1, &r)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = db_next(r)) == 1) {
        const char *s = db_col_text(r, 0, NULL);
        *running = s && !strcmp(s, "running");
    }
    db_rows_close(r);
    return rc == 1 ? STORE_OK : rc == 0 ? STORE_ENOTFOUND : store_fail(st, DB_ERR);
}

/* One report to a run, in one transaction: the unit's outcome (unit NULL:
 * none) and the attempt's counts, then the recount; the run is finished
 * once no unit is planned, and a finished run whose outcome a late report
 * changed (a failed day that succeeded after all) gets its new status.
 * *status is the status set by this report (NULL: none), *first 1 when the
 * run was still running. */
static int run_report(store *st, int64_t run, const db_val *unit, const store_run *counts,
                      const char **status, int *first)
{
    db_val p = dbv_int(run);
    int rc;

    *status = NULL;
    if ((rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = run_lock(st, run, first)) != STORE_OK)
        goto rollback;
    /* ok is final: a day delivered again (or failing after it succeeded)
     * never counts twice, and a failed day that succeeds later turns ok */
    if (unit && (rc = run_exec(st,
                               "INSERT INTO import_run_units (run_id, day, source, status,"
                               " error, changed_at) VALUES ($1, $2, $3, $4, $5, $6)"
                               " ON CONFLICT (run_id, day, source) DO UPDATE SET"
                               " status = excluded.status, error = excluded.error,"
                               " changed_at = excluded.changed_at"
                               " WHERE import_run_units.status <> 'ok'",
                               unit, 6)) != STORE_OK)
        goto rollback;
    if ((counts && (rc = store_run_add(st, run, counts, NULL, NULL)) != STORE_OK) ||
        (rc = run_exec(st, store_sql(st, recount_sql), &p, 1)) != STORE_OK ||
        (rc = run_set_status(st,
                             "UPDATE import_runs SET finished_at = $1, status = " RUN_OUTCOME
                             " WHERE id = $2 AND status <> " RUN_OUTCOME
                             " AND NOT EXISTS (SELECT 1 FROM import_run_units u"
                             " WHERE u.run_id = $2 AND u.status = 'planned') RETURNING status",
                             run, status)) != STORE_OK)
        goto rollback;
    if ((rc = store_commit(st)) != STORE_OK)
        *status = NULL;
    return rc;
rollback:
    db_rollback(st->db);
    *status = NULL;
    return rc;
}

/* A report that lost to a concurrent transaction is run again. */
static int run_report_retrying(store *st, int64_t run, const db_val *unit, const store_run *counts,
                               const char **status, int *first)
{
    int rc = STORE_ERETRY;

    for (int attempt = 0; attempt < STORE_RETRIES && rc == STORE_ERETRY; attempt++)
        rc = run_report(st, run, unit, counts, status, first);
    return rc;
}

int store_run_unit_done(store *st, int64_t run, const char *day, const char *source, int ok,
                        const char *error, const store_run *delta, const char **status, int *first)
{
    db_val unit[6] = {dbv_int(run),
                      dbv_text(day),
                      dbv_text(source),
                      dbv_text(ok ? "ok" : "failed"),
                      dbv_text(ok ? NULL : error),
                      dbv_int(clock_now_ms())};
    store_run counts = {0};

    if (delta) {
        counts.requests = delta->requests;
        counts.retries = delta->retries;
        counts.upserted = delta->upserted;
        counts.removed = delta->removed;
    }
    return run_report_retrying(st, run, unit, &counts, status, first);
}

int store_run_settle(store *st, int64_t run, const char **status)
{
    int first;

    return run_report_retrying(st, run, NULL, NULL, status, &first);
}

static void *read_unit(db_rows *r, arena *a)
{
    store_run_unit *u = arena_calloc(a, sizeof(*u));

    if (!u)
        return NULL;
    u->run = db_col_int(r, 0);
    u->day = arena_strdup(a, db_col_text(r, 1, NULL));
    u->source = arena_strdup(a, db_col_text(r, 2, NULL));
    return u->day && u->source ? u : NULL;
}

int store_run_stalled_units(store *st, int64_t before_ms, int limit, arena *a, store_page *out)
{
    db_val p[2] = {dbv_int(before_ms), dbv_int(limit)};
    int rc = store_collect(st,
                           "SELECT u.run_id, u.day, u.source FROM import_runs r"
                           " JOIN import_run_units u ON u.run_id = r.id"
                           " WHERE r.status = 'running' AND u.status = 'planned'"
                           " AND NOT EXISTS (SELECT 1 FROM import_run_units x"
                           " WHERE x.run_id = r.id AND x.changed_at >= $1)"
                           " ORDER BY u.run_id, u.day, u.source LIMIT $2",
                           p, 2, a, read_unit, out);

    out->total = (int64_t)out->n;
    return rc;
}

int store_run_in_progress(store *st, int64_t *run, int64_t *done, int64_t *total)
{
    db_rows *r;
    int rc = db_query(st->db,
                      "SELECT r.id, r.days_ok + r.days_failed, r.days_total FROM import_runs r"
                      " WHERE r.status = 'running' AND EXISTS (SELECT 1 FROM import_run_units u"
                      " WHERE u.run_id = r.id AND u.status = 'planned') ORDER BY r.id DESC LIMIT 1",
                      NULL, 0, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    if ((rc = db_next(r)) == 1) {
        *run = db_col_int(r, 0);
        *done = db_col_int(r, 1);
        *total = db_col_int(r, 2);
    }
    db_rows_close(r);
    return rc == 1 ? STORE_OK : rc == 0 ? STORE_ENOTFOUND : store_fail(st, DB_ERR);
}
