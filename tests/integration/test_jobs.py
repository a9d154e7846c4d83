"""Background jobs with real processes: workers on the database queue or on
Redis, killed workers, dead jobs, competing schedulers, Redis restarts, and
the embedded worker of `tvshows serve`."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BIN, FIXTURES, Server, Tvshows, base_env
from servers import PgServer, RedisServer, free_port
from test_cache import execute

GB = ["2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06", "2026-07-07"]


class Worker:
    """`tvshows worker` as a process of its own."""

    def __init__(self, env, tmp_path, tag):
        self.out_path = str(tmp_path / ("worker-%s.out" % tag))
        self.err_path = str(tmp_path / ("worker-%s.err" % tag))
        self.proc = subprocess.Popen([BIN, "worker"], env=env, cwd=str(tmp_path),
                                     stdout=open(self.out_path, "w"),
                                     stderr=open(self.err_path, "w"))

    def logs(self):
        out = []
        for line in open(self.out_path):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(40)


@pytest.fixture(params=["database", "redis"])
def queue_kind(request):
    return request.param


@pytest.fixture
def jobs_env(tvshows, fake_tvmaze, queue_kind, redis_url, tmp_path):
    """Environment for workers and `tvshows jobs` on the chosen queue."""
    assert tvshows.run("migrate").returncode == 0
    env = {"TVMAZE_BASE_URL": fake_tvmaze.url, "IMPORT_RATE": "0", "IMPORT_BACKOFF_MS": "20",
           "IMPORT_TIMEOUT": "5", "JOB_BACKOFF_MS": "100", "JOB_VISIBILITY_TIMEOUT": "2",
           "IMPORT_SCHEDULE": "0 2 * * *", "SHUTDOWN_TIMEOUT": "10"}
    if queue_kind == "redis":
        env["REDIS_URL"] = redis_url
    return env


@pytest.fixture
def workers(tvshows, jobs_env, tmp_path):
    started = []

    def start(n=1, **extra):
        out = []
        for _ in range(n):
            env = base_env(dict(jobs_env, DATABASE_URL=tvshows.db_url, **extra))
            w = Worker(env, tmp_path, "%d" % len(started))
            started.append(w)
            out.append(w)
        return out
    yield start
    for w in started:
        rc = w.stop()
        err = open(w.err_path).read()
        assert "Sanitizer" not in err and "runtime error" not in err, err[-4000:]
        assert rc == 0 or getattr(w, "killed", False), err[-2000:]


def jobs(tvshows, jobs_env, *args):
    p = tvshows.run("jobs", *args, env=jobs_env)
    assert p.returncode == 0, p.stderr
    return p.stdout


def stats(tvshows, jobs_env):
    return json.loads(jobs(tvshows, jobs_env, "stats", "--format", "json"))


def wait_for(cond, timeout=30, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def run_done(db, n=1):
    rows = db.query("SELECT status FROM import_runs WHERE mode = 'days'"
                    " AND finished_at IS NOT NULL")
    return len(rows) >= n


@pytest.fixture
def no_catch_up(tvshows, jobs_env):
    """A recent import (from a file) so that starting workers do not enqueue
    their catch-up plan: the test's own plan is the only one."""
    p = tvshows.run("import", "--file", os.path.join(FIXTURES, "schedule-GB-2026-07-07.json"),
                    env=jobs_env)
    assert p.returncode == 0, p.stderr


def test_two_workers_run_every_job_exactly_once(tvshows, db, jobs_env, no_catch_up, workers,
                                                fake_tvmaze):
    assert "enqueued" in jobs(tvshows, jobs_env, "enqueue", "import", "--days", "5", "--from",
                              GB[0], "--countries", "GB", "--no-web")
    ws = workers(2, WORKER_CONCURRENCY="2")
    assert wait_for(lambda: run_done(db), 60)
    time.sleep(0.5)
    started = [l for w in ws for l in w.logs() if l.get("msg") == "job started"]
    days = [l["id"] for l in started if l["type"] == "import-day"]
    assert len(days) == 5 and len(set(days)) == 5, started
    assert all(l["attempt"] == 1 for l in started)
    fetched = sorted(r["query"]["date"] for r in fake_tvmaze.requests())
    assert fetched == GB
    assert db.query("SELECT status, days_total, days_ok FROM import_runs WHERE mode = 'days'") == [["succeeded", "5", "5"]]
    s = stats(tvshows, jobs_env)
    assert s["total"] == {"queued": 0, "running": 0, "retrying": 0, "dead": 0}


def test_a_killed_worker_s_job_is_delivered_again_and_completes(tvshows, db, jobs_env, no_catch_up,
                                                               workers, fake_tvmaze):
    fake_tvmaze.set_faults([{"path": "/schedule", "date": GB[2], "kind": "slow", "delay": 3}])
    jobs(tvshows, jobs_env, "enqueue", "import", "--days", "5", "--from", GB[0], "--countries",
         "GB", "--no-web")
    (a,) = workers(1, WORKER_CONCURRENCY="1")
    assert wait_for(lambda: any(r["query"].get("date") == GB[2] for r in fake_tvmaze.requests()), 30)
    a.proc.send_signal(signal.SIGKILL)  # mid-job: the slow day is being fetched
    a.killed = True
    a.proc.wait(10)
    assert db.scalar("SELECT count(*) FROM listings WHERE day = '%s'" % GB[2]) == "0"
    fake_tvmaze.clear_faults()
    (b,) = workers(1, WORKER_CONCURRENCY="1")
    assert wait_for(lambda: run_done(db), 60)
    again = [l for l in b.logs() if l.get("msg") == "job started" and l["attempt"] > 1]
    assert again, "the killed job was not delivered again"
    # consistent: every day complete once, no duplicate episodes
    counts = dict(db.query("SELECT day, count(*) FROM listings WHERE source = 'country:GB'"
                           " GROUP BY day"))
    expected = {d: len(json.load(open(os.path.join(FIXTURES, "schedule-GB-%s.json" % d))))
                for d in GB}
    assert {d: int(n) for d, n in counts.items()} == expected
    assert db.scalar("SELECT count(*) FROM episodes") == db.scalar(
        "SELECT count(DISTINCT tvmaze_id) FROM episodes")
    assert db.query("SELECT status, days_ok, days_failed FROM import_runs WHERE mode = 'days'") == [["succeeded", "5", "0"]]
    print(jobs(tvshows, jobs_env, "stats"))


def test_a_job_that_always_fails_ends_dead_after_spaced_retries(tvshows, db, jobs_env, no_catch_up,
                                                               workers, fake_tvmaze):
    fake_tvmaze.set_faults([{"path": "/schedule", "date": GB[1], "kind": "400", "times": -1}])
    jobs(tvshows, jobs_env, "enqueue", "import", "--days", "2", "--from", GB[0], "--countries",
         "GB", "--no-web")
    (w,) = workers(1, JOB_MAX_ATTEMPTS="3", JOB_BACKOFF_MS="400")
    assert wait_for(lambda: stats(tvshows, jobs_env)["total"]["dead"] == 1, 60)
    tries = [r for r in fake_tvmaze.requests() if r["query"].get("date") == GB[1]]
    assert len(tries) == 3  # 400 is not retried by the client: one request per attempt
    starts = [l for l in w.logs() if l.get("msg") == "job started" and l["type"] == "import-day"
              and l["attempt"] > 0]
    failed = [l for l in w.logs() if l.get("msg") in ("job failed, will retry", "job dead")]
    assert [l["msg"] for l in failed] == ["job failed, will retry"] * 2 + ["job dead"]
    # backoff with equal jitter: at least half of 400 ms, then of 800 ms (and
    # not much more than the whole)
    def secs(l):
        h, m, sec = l["ts"][11:23].split(":")
        return int(h) * 3600 + int(m) * 60 + float(sec)
    key = "import-day:%s:country:GB" % GB[1]
    day_starts = [secs(l) for l in starts if l["key"] == key]
    assert len(day_starts) == 3
    gaps = [b - a for a, b in zip(day_starts, day_starts[1:])]
    assert 0.2 <= gaps[0] <= 1.4 and 0.4 <= gaps[1] <= 2.2, gaps
    assert wait_for(lambda: run_done(db), 10)
    assert db.query("SELECT status, days_ok, days_failed, failed_days FROM import_runs"
                    " WHERE mode = 'days'") == [
        ["partial", "1", "1", "%s/country:GB" % GB[1]]]
    assert "HTTP 400" in jobs(tvshows, jobs_env, "list")
    assert "1 dead jobs queued again" in jobs(tvshows, jobs_env, "retry-dead")
    assert wait_for(lambda: stats(tvshows, jobs_env)["total"]["dead"] == 1, 60)


def test_two_schedulers_enqueue_one_plan_per_tick(tvshows, db, jobs_env, workers):
    ws = workers(2, IMPORT_SCHEDULE="*/3 * * * * *", IMPORT_DAYS="1", IMPORT_COUNTRIES="GB",
                 IMPORT_WEB="false")
    time.sleep(10)
    plans = [l for w in ws for l in w.logs() if l.get("msg") == "import plan enqueued"
             and l.get("why") == "schedule"]
    assert 2 <= len(plans) <= 4
    stamps = sorted(l["ts"][:19] for l in plans)
    assert len(stamps) == len(set(stamps)), "two plans for one tick: %s" % stamps
    catch_up = [l for w in ws for l in w.logs() if l.get("msg") == "import plan enqueued"
                and l.get("why") != "schedule"]
    assert len(catch_up) == 1


def test_redis_restart_during_a_run_loses_nothing(tvshows, db, fake_tvmaze, tmp_path, serve):
    r = RedisServer(persist=True).start()
    try:
        assert tvshows.run("migrate").returncode == 0
        assert tvshows.run("import", "--file", os.path.join(
            FIXTURES, "schedule-GB-2026-07-07.json")).returncode == 0  # no catch-up plan
        env = {"TVMAZE_BASE_URL": fake_tvmaze.url, "IMPORT_RATE": "0", "REDIS_URL": r.url,
               "JOB_BACKOFF_MS": "100", "IMPORT_TIMEOUT": "5", "IMPORT_SCHEDULE": "0 2 * * *"}
        fake_tvmaze.set_faults([{"path": "/schedule", "kind": "slow", "delay": 0.5, "times": -1}])
        s = serve(env=dict(env, SERVE_WORKER="true", WORKER_CONCURRENCY="1"))
        p = tvshows.run("jobs", "enqueue", "import", "--days", "5", "--from", GB[0],
                        "--countries", "GB", "--no-web", env=env)
        assert p.returncode == 0
        assert wait_for(lambda: len(fake_tvmaze.requests()) >= 1, 20)
        r.stop()
        url = "/api/v1/tvshows?date_from=2026-07-03&date_to=2026-07-09"
        for _ in range(5):
            assert s.get(url).status == 200  # degraded: process memory and the database
        assert s.get("/ready").json()["redis"] == "down"
        time.sleep(1.5)
        r.start()
        assert wait_for(lambda: run_done(db), 60)
        assert db.query("SELECT status, days_ok FROM import_runs WHERE mode = 'days'") == [["succeeded", "5"]]
        assert s.get("/ready").json()["redis"] == "ok"
        logs = s.log_lines()
        assert any(l.get("msg") == "redis unavailable, degraded" for l in logs)
    finally:
        r.destroy()


@pytest.mark.parametrize("queue_kind", ["redis"])
def test_two_api_processes_see_a_worker_import_within_a_second(tvshows, db, jobs_env, no_catch_up,
                                                               workers, serve, fake_tvmaze):
    a = serve(env={"REDIS_URL": jobs_env["REDIS_URL"]})
    b = serve(env={"REDIS_URL": jobs_env["REDIS_URL"]})
    url = "/api/v1/tvshows?date_from=2026-07-03&date_to=2026-07-03"
    assert a.get(url).json()["pagination"]["total_count"] == 0
    assert b.get(url).json()["pagination"]["total_count"] == 0
    jobs(tvshows, jobs_env, "enqueue", "import", "--days", "1", "--from", GB[0], "--countries",
         "GB", "--no-web")
    workers(1)
    assert wait_for(lambda: run_done(db), 30)
    done_at = time.time()
    n = len(json.load(open(os.path.join(FIXTURES, "schedule-GB-2026-07-03.json"))))
    seen = wait_for(lambda: a.get(url).json()["pagination"]["total_count"] == n and
                    b.get(url).json()["pagination"]["total_count"] == n, 5, 0.05)
    assert seen and time.time() - done_at < 1.0


def test_embedded_serve_fills_an_empty_database_by_itself(tmp_path, fake_tvmaze, fixtures_dir,
                                                          serve, db):
    today = time.strftime("%Y-%m-%d", time.gmtime())
    shutil.copy(fixtures_dir / "schedule-GB-2026-07-04.json",
                fixtures_dir / ("schedule-US-%s.json" % today))
    s = serve(env={"SERVE_WORKER": "true", "TVMAZE_BASE_URL": fake_tvmaze.url,
                   "IMPORT_DAYS": "1", "IMPORT_COUNTRIES": "US", "IMPORT_WEB": "false",
                   "IMPORT_RATE": "0"})
    url = "/api/v1/tvshows?date_from=2026-07-03&date_to=2026-07-05"
    n = wait_for(lambda: s.get(url).json()["pagination"]["total_count"], 30)
    assert n == 9


def test_sigterm_during_upstream_retries_hands_the_job_back_at_once(tvshows, jobs_env,
                                                                     no_catch_up, workers):
    # nothing listens there: every request is refused and waits out a long backoff
    dead_upstream = "http://127.0.0.1:%d" % free_port()
    jobs(tvshows, dict(jobs_env, TVMAZE_BASE_URL=dead_upstream), "enqueue", "import", "--days",
         "1", "--from", GB[0], "--countries", "GB", "--no-web")
    (w,) = workers(1, TVMAZE_BASE_URL=dead_upstream, IMPORT_BACKOFF_MS="20000",
                   WORKER_CONCURRENCY="1", SHUTDOWN_TIMEOUT="25")
    assert wait_for(lambda: any(l.get("msg") == "upstream retry" for l in w.logs()), 30)
    t0 = time.time()
    assert w.stop() == 0
    assert time.time() - t0 < 5, "the worker waited out the upstream backoff"
    assert any(l.get("msg") == "job handed back" for l in w.logs())
    total = stats(tvshows, jobs_env)["total"]
    assert total["dead"] == 0 and total["queued"] + total["retrying"] == 1


# ---- a run's accounting: each (day, source) counts once ----

@pytest.fixture
def durable_redis():
    """A Redis of the test's own that keeps its data across a restart."""
    r = RedisServer(persist=True).start()
    yield r
    r.destroy()


def redis_jobs_env(tvshows, fake_tvmaze, redis_url, **extra):
    assert tvshows.run("migrate").returncode == 0
    assert tvshows.run("import", "--file", os.path.join(
        FIXTURES, "schedule-GB-2026-07-07.json")).returncode == 0  # no catch-up plan
    env = {"TVMAZE_BASE_URL": fake_tvmaze.url, "IMPORT_RATE": "0", "REDIS_URL": redis_url,
           "JOB_BACKOFF_MS": "100", "IMPORT_TIMEOUT": "10", "IMPORT_SCHEDULE": "0 2 * * *",
           "SHUTDOWN_TIMEOUT": "10", "WORKER_CONCURRENCY": "1"}
    env.update(extra)
    return env


def start_worker(tvshows, env, tmp_path, tag="w"):
    return Worker(base_env(dict(env, DATABASE_URL=tvshows.db_url)), tmp_path, tag)


def stop_worker(w):
    rc = w.stop()
    err = open(w.err_path).read()
    assert "Sanitizer" not in err and "runtime error" not in err, err[-4000:]
    assert rc == 0, err[-2000:]


def fetched(fake_tvmaze, day):
    return [r for r in fake_tvmaze.requests() if r["query"].get("date") == day]


def queue_empty(tvshows, env):
    p = tvshows.run("jobs", "stats", "--format", "json", env=env)
    return p.returncode == 0 and json.loads(p.stdout)["total"] == {
        "queued": 0, "running": 0, "retrying": 0, "dead": 0}


def days_run(db):
    return db.query("SELECT status, days_total, days_ok, days_failed FROM import_runs"
                    " WHERE mode = 'days'")


def run_with_a_redis_outage(tvshows, db, fake_tvmaze, redis, tmp_path, visibility, fetch_s,
                            outage_s):
    """Five GB days on one worker; Redis stops as the third day is fetched
    (it takes fetch_s) and comes back outage_s later. Returns the worker,
    stopped once the run is finished and the queue empty."""
    env = redis_jobs_env(tvshows, fake_tvmaze, redis.url, JOB_VISIBILITY_TIMEOUT=str(visibility))
    fake_tvmaze.set_faults([{"path": "/schedule", "date": GB[2], "kind": "slow",
                             "delay": fetch_s}])
    jobs(tvshows, env, "enqueue", "import", "--days", "5", "--from", GB[0], "--countries", "GB",
         "--no-web")
    w = start_worker(tvshows, env, tmp_path)
    try:
        assert wait_for(lambda: fetched(fake_tvmaze, GB[2]), 30)
        redis.stop()  # the day finishes while Redis is away: its ack fails
        time.sleep(outage_s)
        redis.start()
        # a job whose ack was lost stays pending (running) until delivered again
        assert wait_for(lambda: run_done(db) and queue_empty(tvshows, env), 60)
    finally:
        stop_worker(w)
    return w


def test_an_acknowledgement_lost_to_a_redis_outage_is_retried_and_the_day_runs_once(
        tvshows, db, fake_tvmaze, durable_redis, tmp_path):
    w = run_with_a_redis_outage(tvshows, db, fake_tvmaze, durable_redis, tmp_path,
                                visibility=6, fetch_s=2, outage_s=3.5)
    assert len(fetched(fake_tvmaze, GB[2])) == 1, "the acknowledged day ran again"
    assert days_run(db) == [["succeeded", "5", "5", "0"]]
    logs = w.logs()
    assert any(l.get("msg") == "cannot acknowledge job, retrying" for l in logs)
    assert any(l.get("msg") == "job acknowledged" and l["tries"] > 1 for l in logs)


def test_a_day_delivered_again_after_its_acknowledgement_was_lost_counts_once(
        tvshows, db, fake_tvmaze, durable_redis, tmp_path):
    # away longer than the visibility timeout: the ack gives up, and the
    # day is delivered again once Redis is back
    w = run_with_a_redis_outage(tvshows, db, fake_tvmaze, durable_redis, tmp_path,
                                visibility=2, fetch_s=1.5, outage_s=5)
    assert len(fetched(fake_tvmaze, GB[2])) == 2
    assert days_run(db) == [["succeeded", "5", "5", "0"]]
    assert any(l.get("msg") == "job done but not acknowledged: it will be delivered again"
               for l in w.logs())


def test_a_dead_day_that_succeeds_after_retry_dead_turns_the_run_succeeded(
        tvshows, db, jobs_env, no_catch_up, workers, fake_tvmaze):
    fake_tvmaze.set_faults([{"path": "/schedule", "date": GB[1], "kind": "400", "times": -1}])
    jobs(tvshows, jobs_env, "enqueue", "import", "--days", "2", "--from", GB[0], "--countries",
         "GB", "--no-web")
    workers(1, JOB_MAX_ATTEMPTS="2")
    assert wait_for(lambda: run_done(db), 60)
    assert db.query("SELECT status, days_ok, days_failed, failed_days FROM import_runs"
                    " WHERE mode = 'days'") == [["partial", "1", "1", "%s/country:GB" % GB[1]]]
    fake_tvmaze.clear_faults()
    assert "1 dead jobs queued again" in jobs(tvshows, jobs_env, "retry-dead")
    assert wait_for(lambda: days_run(db) == [["succeeded", "2", "2", "0"]], 60), days_run(db)
    assert db.query("SELECT failed_days, first_error FROM import_runs WHERE mode = 'days'") == [
        [None, None]]


def test_a_redis_that_comes_back_empty_loses_no_day_of_a_run(tvshows, db, fake_tvmaze, tmp_path):
    r = RedisServer().start()  # no persistence: a restart comes back empty
    try:
        env = redis_jobs_env(tvshows, fake_tvmaze, r.url, JOB_VISIBILITY_TIMEOUT="2")
        fake_tvmaze.set_faults([{"path": "/schedule", "date": GB[2], "kind": "slow",
                                 "delay": 1}])
        jobs(tvshows, env, "enqueue", "import", "--days", "5", "--from", GB[0], "--countries",
             "GB", "--no-web")
        w = start_worker(tvshows, env, tmp_path)
        try:
            assert wait_for(lambda: fetched(fake_tvmaze, GB[2]), 30)
            r.stop()
            r.start()  # the jobs of the last two days are gone with its data
            assert wait_for(lambda: run_done(db), 30), days_run(db)
        finally:
            stop_worker(w)
    finally:
        r.destroy()
    assert days_run(db) == [["succeeded", "5", "5", "0"]]
    assert [len(fetched(fake_tvmaze, d)) for d in GB] == [1, 1, 1, 1, 1]
    lost = [l for l in w.logs() if l.get("msg") == "import run lost its jobs: days enqueued again"]
    assert [l["days"] for l in lost] == [2], lost


# ---- a database the worker cannot write ----

def make_read_only(path):
    """What a worker meets when the database file cannot be written (a file
    of another user, a read-only mount): SQLite then opens it read-only.
    Permissions do not stop root, so as root the file is made immutable,
    which SQLite meets the same way (the open for writing fails)."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", path], check=True)
    else:
        os.chmod(path, 0o444)


def make_writable(path):
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", path], check=True)
    else:
        os.chmod(path, 0o644)


@pytest.mark.sqlite_only
def test_a_read_only_database_is_reported_and_the_worker_resumes_once_it_is_writable(
        tvshows, db, fake_tvmaze, tmp_path):
    assert tvshows.run("migrate").returncode == 0
    assert tvshows.run("import", "--file", os.path.join(
        FIXTURES, "schedule-GB-2026-07-07.json")).returncode == 0  # no catch-up plan
    env = {"TVMAZE_BASE_URL": fake_tvmaze.url, "IMPORT_RATE": "0", "JOB_BACKOFF_MS": "100",
           "IMPORT_SCHEDULE": "0 2 * * *", "SHUTDOWN_TIMEOUT": "10"}
    plan = ("enqueue", "import", "--days", "2", "--from", GB[0], "--countries", "GB", "--no-web")
    make_read_only(db.path)
    try:
        p = tvshows.run("jobs", *plan, env=env)
        assert p.returncode == 1
        assert p.stderr.strip() == ("tvshows: jobs: the queue is unavailable:"
                                    " attempt to write a readonly database")
        w = start_worker(tvshows, env, tmp_path)
        time.sleep(3)  # a dozen claims fail meanwhile
        failing = [l for l in w.logs() if l.get("msg") == "queue unavailable: cannot claim jobs"]
        assert len(failing) == 1, failing
        assert failing[0]["error"] == "attempt to write a readonly database"
    finally:
        make_writable(db.path)
    try:
        assert "enqueued" in jobs(tvshows, env, *plan)
        assert wait_for(lambda: run_done(db), 30), days_run(db)
    finally:
        stop_worker(w)
    assert days_run(db) == [["succeeded", "2", "2", "0"]]
    assert [l["msg"] for l in w.logs() if l.get("msg", "").startswith("queue ")] == [
        "queue unavailable: cannot claim jobs", "queue available again"]


# ---- a plan while a run is in progress; a database outage mid-run ----

def test_an_import_enqueued_while_a_run_is_in_progress_is_refused(
        tvshows, db, jobs_env, no_catch_up, workers, fake_tvmaze):
    fake_tvmaze.set_faults([{"path": "/schedule", "kind": "slow", "delay": 1, "times": -1}])
    plan = ("enqueue", "import", "--days", "3", "--from", GB[0], "--countries", "GB", "--no-web")
    jobs(tvshows, jobs_env, *plan)
    workers(1, WORKER_CONCURRENCY="1")
    assert wait_for(lambda: db.scalar("SELECT days_ok FROM import_runs WHERE mode = 'days'")
                    == "1", 30)
    p = tvshows.run("jobs", *plan, env=jobs_env)
    assert p.returncode == 1
    run = db.scalar("SELECT id FROM import_runs WHERE mode = 'days'")
    assert p.stderr.strip() == (
        "tvshows: jobs: import run %s is in progress (1 of 3 days in); enqueue the next import"
        " once it has finished" % run)
    assert wait_for(lambda: run_done(db), 30)
    time.sleep(1.5)
    assert days_run(db) == [["succeeded", "3", "3", "0"]]
    assert [len(fetched(fake_tvmaze, d)) for d in GB[:3]] == [1, 1, 1]
    # once it is over, the next one is taken
    assert "enqueued" in jobs(tvshows, jobs_env, *plan)


@pytest.mark.parametrize("queue_kind", ["database"])
def test_a_plan_that_reaches_the_worker_during_a_run_is_skipped(
        tvshows, db, jobs_env, no_catch_up, workers, fake_tvmaze):
    fake_tvmaze.set_faults([{"path": "/schedule", "kind": "slow", "delay": 1, "times": -1}])
    jobs(tvshows, jobs_env, "enqueue", "import", "--days", "3", "--from", GB[0], "--countries",
         "GB", "--no-web")
    (w,) = workers(1, WORKER_CONCURRENCY="1")
    assert wait_for(lambda: db.scalar("SELECT days_ok FROM import_runs WHERE mode = 'days'")
                    == "1", 30)
    # a plan that got past the check (the scheduler's tick, a race)
    execute(db, "INSERT INTO jobs (type, payload, unique_key, state, run_at, created_at)"
                " VALUES ('import-plan', '{\"days\":3,\"from\":\"%s\",\"countries\":\"GB\","
                "\"web\":false,\"full\":false}', 'import-plan', 'queued', 0, 0)" % GB[0])
    assert wait_for(lambda: db.scalar("SELECT count(*) FROM jobs") == "0", 30)
    assert days_run(db) == [["succeeded", "3", "3", "0"]]
    assert [len(fetched(fake_tvmaze, d)) for d in GB[:3]] == [1, 1, 1]
    assert any(l.get("msg") == "import plan skipped: a run is in progress" for l in w.logs())


@pytest.mark.postgres_only
def test_retries_during_a_database_outage_do_not_fetch_their_day_again(fake_tvmaze, redis_url,
                                                                        tmp_path):
    pg = PgServer().start()  # its own: the test stops it
    try:
        pg.psql("CREATE DATABASE o")
        t = Tvshows(pg.url("o"), tmp_path)
        env = redis_jobs_env(t, fake_tvmaze, redis_url, JOB_BACKOFF_MS="200")
        fake_tvmaze.set_faults([{"path": "/schedule", "date": GB[2], "kind": "slow",
                                 "delay": 1}])
        jobs(t, env, "enqueue", "import", "--days", "5", "--from", GB[0], "--countries", "GB",
             "--no-web")
        w = start_worker(t, env, tmp_path)
        try:
            assert wait_for(lambda: fetched(fake_tvmaze, GB[2]), 30)
            pg.stop()  # the day's write fails; its retries find no database
            time.sleep(5)
            pg.start()
            assert wait_for(lambda: run_finished_in(pg, "o"), 60)
        finally:
            stop_worker(w)
        assert pg.psql("SELECT status, days_ok FROM import_runs WHERE mode = 'days'",
                       dbname="o") == "succeeded|5"
        # one fetch before the outage, one after it: none by the retries
        assert [len(fetched(fake_tvmaze, d)) for d in GB] == [1, 1, 2, 1, 1]
        msgs = [l.get("msg") for l in w.logs()]
        assert msgs.count("database unavailable: jobs wait for it") == 1
        assert msgs.count("database available again: jobs resume") == 1
    finally:
        pg.destroy()


def run_finished_in(pg, dbname):
    try:
        return pg.psql("SELECT count(*) FROM import_runs WHERE mode = 'days'"
                       " AND finished_at IS NOT NULL", dbname=dbname) == "1"
    except subprocess.CalledProcessError:
        return False
