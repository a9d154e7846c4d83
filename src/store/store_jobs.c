/* The job queue in the database, for installations without Redis. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_internal.h"
#include "util/date.h"

/* PostgreSQL: FOR UPDATE SKIP LOCKED lets concurrent workers pass over a row
 * another one is claiming instead of waiting for it. SQLite has one writer
 * at a time (the claim runs in a write transaction), so it needs no lock. */
static dialect_sql claim_sql = {
    "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2,"
    " attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued'"
    " AND run_at <= $3) OR (state = 'running' AND locked_until < $3)"
    " ORDER BY run_at, id LIMIT 1)"
    " RETURNING id, type, payload, unique_key, state, attempts, run_at, locked_until, last_error",
    "UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2,"
    " attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued'"
    " AND run_at <= $3) OR (state = 'running' AND locked_until < $3)"
    " ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " RETURNING id, type, payload, unique_key, state, attempts, run_at, locked_until, last_error"};

#define JOB_COLS "id, type, payload, unique_key, state, attempts, run_at, locked_until, last_error"

static int64_t now_ms(void)
{
    return clock_now_ms();
}

static int exec(store *st, const char *sql, const db_val *p, int n, int64_t *changes)
{
    int rc = db_exec(st->db, sql, p, n, changes);

    return rc == DB_OK ? STORE_OK : store_fail(st, rc);
}

int store_job_enqueue(store *st, const char *type, const char *payload, const char *unique_key,
                      int64_t run_at_ms, int *enqueued)
{
    db_val p[5] = {dbv_text(type), dbv_text(payload), dbv_text(unique_key), dbv_int(run_at_ms),
                   dbv_int(now_ms())};
    int64_t changes = 0;
    int rc = exec(st,
                  "INSERT INTO jobs (type, payload, unique_key, state, run_at, created_at)"
                  " VALUES ($1, $2, $3, 'queued', $4, $5)"
                  " ON CONFLICT (unique_key) WHERE state <> 'dead' DO NOTHING",
                  p, 5, &changes);

    if (enqueued)
        *enqueued = changes > 0;
    return rc;
}

static void read_job(db_rows *r, arena *a, store_job *j)
{
    j->id = db_col_int(r, 0);
    j->type = arena_strdup(a, db_col_text(r, 1, NULL));
    j->payload = arena_strdup(a, db_col_text(r, 2, NULL));
    j->unique_key = arena_strdup(a, db_col_text(r, 3, NULL));
    j->state = arena_strdup(a, db_col_text(r, 4, NULL));
    j->attempts = (int)db_col_int(r, 5);
    j->run_at = db_col_int(r, 6);
    j->locked_until = db_col_null(r, 7) ? 0 : db_col_int(r, 7);
    j->last_error = arena_strdup(a, db_col_text(r, 8, NULL));
}

int store_job_claim(store *st, const char *worker, int64_t now, int64_t visibility_ms, arena *a,
                    store_job *out)
{
    db_val p[3] = {dbv_text(worker), dbv_int(now + visibility_ms), dbv_int(now)};
    db_rows *r;
    int rc;

    /* SQLite: the write lock first, so two workers never read the same
     * candidate before either updates it */
    if (!store_is_postgres(st) && (rc = db_begin_write(st->db)) != DB_OK)
        return store_fail(st, rc);
    if ((rc = db_query(st->db, store_sql(st, claim_sql), p, 3, &r)) != DB_OK) {
        rc = store_fail(st, rc);
        goto done;
    }
    rc = db_next(r);
    if (rc == 1)
        read_job(r, a, out);
    db_rows_close(r);
    rc = rc == 1 ? STORE_OK : rc == 0 ? STORE_ENOTFOUND : store_fail(st, DB_ERR);
done:
    if (!store_is_postgres(st)) {
        if (rc == STORE_ERR || rc == STORE_EDOWN)
            db_rollback(st->db);
        else if (db_commit(st->db) != DB_OK)
            rc = store_fail(st, DB_ERR);
    }
    return rc;
}

int store_job_done(store *st, int64_t id, const char *worker)
{
    db_val p[2] = {dbv_int(id), dbv_text(worker)};

    /* only the current holder may finish a job: a worker whose claim expired
     * and was taken over must not delete the new holder's job */
    return exec(st, "DELETE FROM jobs WHERE id = $1 AND locked_by = $2", p, 2, NULL);
}

int store_job_requeue(store *st, int64_t id, const char *worker, int64_t run_at_ms,
                      const char *error, int count_attempt)
{
    db_val p[5] = {dbv_int(id), dbv_text(worker), dbv_int(run_at_ms), dbv_text(error),
                   dbv_int(count_attempt ? 0 : 1)};

    return exec(st,
                "UPDATE jobs SET state = 'queued', run_at = $3, locked_by = NULL,"
                " locked_until = NULL, last_error = coalesce(CAST($4 AS TEXT), last_error),"
                " attempts = attempts - $5 WHERE id = $1 AND locked_by = $2",
                p, 5, NULL);
}

int store_job_bury(store *st, int64_t id, const char *worker, const char *error)
{
    db_val p[3] = {dbv_int(id), dbv_text(worker), dbv_text(error)};

    return exec(st,
                "UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL,"
                " last_error = $3 WHERE id = $1 AND locked_by = $2",
                p, 3, NULL);
}

int store_job_touch(store *st, int64_t id, const char *worker, int64_t until_ms)
{
    db_val p[3] = {dbv_int(id), dbv_text(worker), dbv_int(until_ms)};

    return exec(st, "UPDATE jobs SET locked_until = $3 WHERE id = $1 AND locked_by = $2", p, 3,
                NULL);
}

static void *read_job_row(db_rows *r, arena *a)
{
    store_job *j = arena_calloc(a, sizeof(*j));

    if (j)
        read_job(r, a, j);
    return j;
}

static int collect_jobs(store *st, const char *sql, const db_val *p, int np, arena *a,
                        store_page *out)
{
    int rc = store_collect(st, sql, p, np, a, read_job_row, out);

    out->total = (int64_t)out->n;
    return rc;
}

int store_job_stats(store *st, arena *a, store_page *out)
{
    /* one row per (type, state): id carries the count, attempts says whether
     * the queued ones are retries (1) or first runs (0) */
    return collect_jobs(st,
                        "SELECT count(*), type, '', NULL, state,"
                        " CASE WHEN state = 'queued' AND attempts > 0 THEN 1 ELSE 0 END, 0, 0,"
                        " NULL FROM jobs GROUP BY type, state,"
                        " CASE WHEN state = 'queued' AND attempts > 0 THEN 1 ELSE 0 END"
                        " ORDER BY 2, 5, 6",
                        NULL, 0, a, out);
}

int store_job_list(store *st, const char *state, int limit, arena *a, store_page *out)
{
    db_val p[2] = {dbv_text(state), dbv_int(limit)};

    return collect_jobs(st,
                        "SELECT " JOB_COLS " FROM jobs WHERE CAST($1 AS TEXT) IS NULL"
                        " OR state = $1 ORDER BY run_at, id LIMIT $2",
                        p, 2, a, out);
}

int store_job_retry_dead(store *st, int64_t now, int64_t *count)
{
    db_val p = dbv_int(now);

    /* a dead job whose key has a live twin stays dead: the twin does its work */
    return exec(st,
                "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, last_error = NULL"
                " WHERE state = 'dead' AND (unique_key IS NULL OR NOT EXISTS (SELECT 1 FROM"
                " jobs j WHERE j.unique_key = jobs.unique_key AND j.state <> 'dead'))",
                &p, 1, count);
}

int store_tick_claim(store *st, int64_t tick, const char *worker, int *won)
{
    db_val p[3] = {dbv_int(tick), dbv_text(worker), dbv_int(now_ms())};
    int64_t changes = 0;
    int rc = exec(st,
                  "INSERT INTO scheduler_ticks (tick, claimed_by, claimed_at) VALUES ($1, $2, $3)"
                  " ON CONFLICT (tick) DO NOTHING",
                  p, 3, &changes);

    *won = changes > 0;
    return rc;
}

int store_run_delete(store *st, int64_t id)
{
    db_val p = dbv_int(id);

    return exec(st, "DELETE FROM import_runs WHERE id = $1", &p, 1, NULL);
}

int store_last_import_start(store *st, int64_t *started_at)
{
    db_rows *r;
    int rc = db_query(st->db,
                      "SELECT coalesce(max(started_at), 0) FROM import_runs"
                      " WHERE status IN ('running', 'succeeded', 'partial')",
                      NULL, 0, &r);

    if (rc != DB_OK)
        return store_fail(st, rc);
    *started_at = db_next(r) == 1 ? db_col_int(r, 0) : 0;
    db_rows_close(r);
    return STORE_OK;
}
