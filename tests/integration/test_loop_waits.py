"""The loop never waits on the network: a request that waits for PostgreSQL
is parked while the same loop thread answers everyone else, and gets its
answer, or a JSON 503, never a hang. One loop thread (THREADS=1) in every
test, so "the others" are on the thread that holds the waiting requests."""
import glob
import os
import subprocess
import threading
import time

import pytest

from conftest import BIN, FIXTURES, base_env
from servers import PgServer, pg_bindir

TV = "/api/v1/tvshows?date_from=2026-07-0%d&date_to=2026-07-0%d"


@pytest.fixture
def filled(tvshows):
    assert tvshows.run("migrate").returncode == 0
    files = sorted(glob.glob(os.path.join(FIXTURES, "schedule-*.json")))
    assert tvshows.run("import", "--file", *files).returncode == 0


class Locker:
    """A psql session that holds a lock on the episodes until released."""

    def __init__(self, url):
        self.p = subprocess.Popen([os.path.join(pg_bindir(), "psql"), "-X", "-q", "-A", "-t",
                                   "-v", "ON_ERROR_STOP=1", url],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def lock(self):
        self.p.stdin.write("BEGIN; LOCK TABLE episodes IN ACCESS EXCLUSIVE MODE; "
                           "SELECT 'locked';\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == "locked"

    def release(self):
        self.p.stdin.write("COMMIT;\n\\q\n")
        self.p.stdin.flush()
        self.p.wait(10)


def in_background(s, paths, timeout=30):
    """GETs each path on a connection of its own; the results as they end."""
    results = {}

    def one(p):
        try:
            r = s.get(p, timeout=timeout)
            results[p] = (r.status, r, time.monotonic())
        except Exception as e:  # a hang shows as a timeout
            results[p] = (None, e, time.monotonic())

    threads = [threading.Thread(target=one, args=(p,)) for p in paths]
    for t in threads:
        t.start()
    return threads, results


def timed_get(s, path):
    t0 = time.monotonic()
    r = s.get(path, timeout=10)
    return r, time.monotonic() - t0


@pytest.mark.postgres_only
def test_requests_waiting_on_a_slow_statement_leave_the_loop_to_others(filled, db, serve):
    s = serve(env={"THREADS": "1", "CACHE_MB": "0"})
    assert s.get("/api/v1/openapi.json").status == 200
    locker = Locker(db.url)
    locker.lock()
    try:
        paths = [TV % (d, d) for d in range(3, 8)]
        threads, results = in_background(s, paths)
        time.sleep(0.8)
        assert results == {}, "answered while their statements were blocked"
        # the same loop thread answers the others at once, meanwhile
        for _ in range(5):
            r, took = timed_get(s, "/up")
            assert r.status == 200 and took < 0.2, took
        r, took = timed_get(s, "/api/v1/openapi.json")
        assert r.status == 200 and took < 0.5, took
        assert results == {}
    finally:
        released = time.monotonic()
        locker.release()
    for t in threads:
        t.join(20)
    assert sorted(results) == sorted(paths)
    for p, (status, r, ended) in results.items():
        assert status == 200, (p, status, r)
        assert ended >= released
        assert r.json()["data"], p
    s.check_clean_exit(s.stop())


@pytest.mark.postgres_only
def test_a_statement_past_its_timeout_answers_503_and_the_loop_goes_on(filled, db, serve):
    s = serve(env={"THREADS": "1", "CACHE_MB": "0", "DB_STATEMENT_TIMEOUT_MS": "700"})
    locker = Locker(db.url)
    locker.lock()
    try:
        threads, results = in_background(s, [TV % (3, 4), TV % (5, 6)])
        r, took = timed_get(s, "/up")
        assert r.status == 200 and took < 0.2, took
        for t in threads:
            t.join(10)
        for p, (status, r, _) in results.items():
            assert status == 503, (p, status)
            assert r.json() == {"error": "Service unavailable"}
            assert r.header("Retry-After")
    finally:
        locker.release()
    r = s.get(TV % (3, 4))
    assert r.status == 200 and r.json()["data"]
    s.check_clean_exit(s.stop())


@pytest.mark.postgres_only
def test_a_postgres_restart_under_waiting_requests_never_hangs_them(serve):
    pg = PgServer().start()  # its own: the test restarts it
    try:
        pg.psql("CREATE DATABASE r")
        url = pg.url("r")
        env = base_env({"DATABASE_URL": url})
        files = sorted(glob.glob(os.path.join(FIXTURES, "schedule-*.json")))
        for args in (["migrate"], ["import", "--file"] + files):
            subprocess.run([BIN] + args, env=env, check=True, capture_output=True)
        s = serve(env={"THREADS": "1", "CACHE_MB": "0"}, database_url=url)
        assert s.get(TV % (3, 3)).status == 200
        locker = Locker(url)
        locker.lock()
        paths = [TV % (d, d + 1) for d in range(3, 7)]
        threads, results = in_background(s, paths)
        time.sleep(0.5)
        assert results == {}
        pg.stop()  # the waiting statements' connection goes away
        r, took = timed_get(s, "/up")
        assert r.status == 200 and took < 0.2, took
        for t in threads:
            t.join(15)
        assert sorted(results) == sorted(paths), "a request hung"
        for p, (status, r, _) in results.items():
            assert status == 503, (p, status, r)
            assert r.json() == {"error": "Service unavailable"}
        try:
            locker.p.kill()
        except OSError:
            pass
        pg.start()
        deadline = time.time() + 15
        while time.time() < deadline:
            if s.get(TV % (4, 4)).status == 200:
                break
            time.sleep(0.2)
        assert s.get(TV % (4, 4)).status == 200
        s.check_clean_exit(s.stop())
    finally:
        pg.destroy()



def test_a_redis_that_stops_answering_costs_the_loop_nothing(filled, serve):
    import signal
    from servers import RedisServer
    redis = RedisServer().start()
    try:
        s = serve(env={"THREADS": "1", "REDIS_URL": redis.url,
                       "RATE_LIMIT_IP_PER_MIN": "100000"})
        assert s.get(TV % (3, 3)).status == 200  # connected, the page in Redis too
        assert s.get("/ready").json()["redis"] == "ok"
        # Redis stops answering; its connection stays open (a wedged host)
        redis.proc.send_signal(signal.SIGSTOP)
        paths = [TV % (d, d) for d in range(4, 8)] + ["/api/v1/openapi.json"]
        threads, results = in_background(s, paths)
        worst = 0
        for _ in range(20):
            r, took = timed_get(s, "/up")
            assert r.status == 200
            worst = max(worst, took)
            time.sleep(0.02)
        assert worst < 0.2, worst
        for t in threads:
            t.join(20)
        # answered, degraded to the process's budgets and cache
        assert sorted(results) == sorted(paths)
        assert all(status == 200 for status, _, _ in results.values()), results
        r = s.get("/ready")
        assert r.status == 503 and r.json()["redis"] == "down"
        redis.proc.send_signal(signal.SIGCONT)
        s.check_clean_exit(s.stop())
    finally:
        if redis.proc:
            redis.proc.send_signal(signal.SIGCONT)
        redis.destroy()
