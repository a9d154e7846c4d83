"""Webhooks: changes POSTed to a local receiver that checks their HMAC
signatures and delivery ids, through the real worker and queue (the
database's, and Redis on the PostgreSQL run), with the receiver failing,
and with the worker killed in the middle of a delivery."""
import hashlib
import hmac
import http.server
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import BACKEND, BIN, base_env
from servers import free_port
from test_jobs import jobs
from test_observability import sample, scrape

SECRET = "s3cret-of-sixteen-chars"


class Receiver:
    """A webhook endpoint on loopback: records each POST, checks its
    signature, and answers as told (status, delay)."""

    def __init__(self):
        self.posts = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                sig = self.headers.get("X-Tvshows-Signature", "")
                parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
                want = hmac.new(SECRET.encode(), parts.get("t", "").encode() + b"." + body,
                                hashlib.sha256).hexdigest()
                with rec.lock:
                    rec.posts.append({
                        "event": self.headers.get("X-Tvshows-Event"),
                        "delivery": self.headers.get("X-Tvshows-Delivery"),
                        "signed": hmac.compare_digest(parts.get("v1", ""), want) and
                        abs(time.time() - int(parts.get("t", "0"))) < 300,
                        "body": json.loads(body), "status": rec.status})
                    status, delay = rec.status, rec.delay
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/hook" % self.port

    def accepted(self):
        with self.lock:
            return [p for p in self.posts if p["status"] == 200 and p["event"] == "changes"]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def setup(tvshows, fixtures_dir, redis_url):
    assert tvshows.run("migrate").returncode == 0
    files = [str(p) for p in sorted(fixtures_dir.glob("schedule-GB-*.json"))]
    assert tvshows.run("import", "--file", *files).returncode == 0
    env = {"DATABASE_URL": tvshows.db_url, "IMPORT_SCHEDULE": "0 2 * * *",
           "JOB_BACKOFF_MS": "200", "JOB_VISIBILITY_TIMEOUT": "3", "WORKER_CONCURRENCY": "1"}
    if BACKEND == "postgres":
        env["REDIS_URL"] = redis_url  # the Redis queue on this run, the database's on SQLite
    return tvshows, fixtures_dir, env


def start_worker(env, tmp_path, name="worker"):
    out = open(os.path.join(str(tmp_path), name + ".log"), "w")
    return subprocess.Popen([BIN, "worker"], env=base_env(env), cwd=str(tmp_path), stdout=out,
                            stderr=subprocess.STDOUT)


def reschedule(tvshows, fixtures_dir, day, minutes):
    """Moves every timed episode of a recorded day by some minutes, and
    imports that day: one rescheduled change each."""
    path = fixtures_dir / ("schedule-GB-%s.json" % day)
    items = json.load(open(path, encoding="utf-8"))
    moved = 0
    for it in items:
        if it["airtime"] and it["airdate"] == day:
            h, m = map(int, it["airtime"].split(":"))
            t = h * 60 + m + minutes
            if t >= 24 * 60:
                continue
            it["airtime"] = "%02d:%02d" % (t // 60, t % 60)
            import datetime
            stamp = datetime.datetime.fromisoformat(it["airstamp"]) + datetime.timedelta(
                minutes=minutes)
            it["airstamp"] = stamp.isoformat()
            moved += 1
    json.dump(items, open(path, "w", encoding="utf-8"))
    assert tvshows.run("import", "--file", str(path)).returncode == 0
    return moved


def wait(cond, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


def add_hook(tvshows, url, *extra):
    p = tvshows.run("webhooks", "add", url, "--secret", SECRET, *extra)
    assert p.returncode == 0, p.stderr
    return int(p.stdout.split()[1])


def delivered_changes(receiver):
    seen = {}
    for p in receiver.accepted():
        for c in p["body"]["changes"]:
            seen[c["cursor"]] = c
    return seen


def test_changes_are_delivered_signed_and_filtered(setup, receiver, db, tmp_path):
    tvshows, fixtures_dir, env = setup
    add_hook(tvshows, receiver.url, "--filter", "distributor=ITV2,TLC")
    w = start_worker(env, tmp_path)
    try:
        moved = reschedule(tvshows, fixtures_dir, "2026-07-05", 30)
        picked = int(db.scalar(
            "SELECT count(*) FROM changes c JOIN shows s ON s.id = c.show_id"
            " JOIN distributors d ON d.id = s.network_id"
            " WHERE c.kind = 'rescheduled' AND d.name IN ('ITV2', 'TLC')"))
        assert moved > picked > 0
        assert wait(lambda: len(delivered_changes(receiver)) >= picked)
        posts = receiver.accepted()
        assert all(p["signed"] for p in posts)
        for p in posts:
            assert p["delivery"] == p["body"]["delivery_id"] and len(p["delivery"]) == 32
        got = delivered_changes(receiver)
        assert len(got) == picked
        assert all(c["kind"] == "rescheduled" and c["show"]["distributor"] in ("ITV2", "TLC")
                   for c in got.values())
        assert posts[0]["body"]["summary"] == "%d episode%s rescheduled" % (
            len(posts[0]["body"]["changes"]), "" if len(posts[0]["body"]["changes"]) == 1 else "s")
        # a new webhook starts at the latest change: the first import's
        # additions were never sent
        assert all(c["kind"] != "added" for c in got.values())
        deliveries = tvshows.run("webhooks", "deliveries").stdout
        assert "delivered" in deliveries and posts[0]["delivery"] in deliveries
    finally:
        w.send_signal(signal.SIGTERM)
        assert w.wait(30) == 0


def test_a_finales_filter_delivers_the_changes_of_season_finales(setup, receiver, db, tmp_path):
    """premieres=finale keeps the changes of the episodes their season's
    length says are its last (it let none through when a change carried no
    season length)."""
    tvshows, fixtures_dir, env = setup
    # the lengths the seasons step would have stored: the last episode of
    # the day of five shows' seasons ends its season
    db.execute("INSERT INTO seasons (show_id, number, episode_order)"
               " SELECT show_id, season, max(number) FROM episodes"
               " WHERE airdate = '2026-07-05' AND number IS NOT NULL"
               " GROUP BY show_id, season ORDER BY show_id LIMIT 5")
    add_hook(tvshows, receiver.url, "--filter", "premieres=finale")
    w = start_worker(env, tmp_path)
    try:
        moved = reschedule(tvshows, fixtures_dir, "2026-07-05", 30)
        finales = {int(r[0]) for r in db.query(
            "SELECT c.episode_id FROM changes c"
            " JOIN seasons x ON x.show_id = c.show_id AND x.number = c.season"
            " WHERE c.kind = 'rescheduled' AND c.number = x.episode_order")}
        assert moved > len(finales) > 0
        assert wait(lambda: len(delivered_changes(receiver)) >= len(finales))
        time.sleep(1)  # nothing more arrives
        got = delivered_changes(receiver).values()
        assert {c["episode"]["id"] for c in got} == finales
        assert all(c["kind"] == "rescheduled" for c in got)
    finally:
        w.send_signal(signal.SIGTERM)
        assert w.wait(30) == 0


def test_a_receiver_down_for_a_while_loses_nothing(setup, receiver, tmp_path):
    tvshows, fixtures_dir, env = setup
    add_hook(tvshows, receiver.url)
    receiver.status = 503
    w = start_worker(env, tmp_path)
    try:
        moved = reschedule(tvshows, fixtures_dir, "2026-07-04", 15)
        assert wait(lambda: len(receiver.posts) >= 2)  # tried, and tried again
        assert not receiver.accepted()
        receiver.status = 200
        assert wait(lambda: len(delivered_changes(receiver)) >= moved)
        assert len(delivered_changes(receiver)) == moved
        # the retries were of the same batch: the same delivery id
        ids = {p["delivery"] for p in receiver.posts}
        assert len(ids) == 1
        out = tvshows.run("webhooks", "deliveries").stdout
        assert "failed" in out and "HTTP 503" in out and "delivered" in out
    finally:
        w.send_signal(signal.SIGTERM)
        assert w.wait(30) == 0


def hook_cursor(tvshows, hid):
    for line in tvshows.run("webhooks", "list").stdout.splitlines()[1:]:
        fields = line.split()
        if fields[0] == str(hid):
            return fields[2]
    raise AssertionError("webhook %d not listed" % hid)


def webhook_jobs(tvshows, env, state):
    listed = json.loads(jobs(tvshows, env, "list", "--format", "json"))["jobs"]
    return [j for j in listed if j["type"] == "webhook" and j["state"] == state]


def test_a_receiver_that_always_fails_is_dead_listed_and_loses_nothing(setup, receiver, tmp_path):
    tvshows, fixtures_dir, env = setup
    env = dict(env, JOB_MAX_ATTEMPTS="2")
    hid = add_hook(tvshows, receiver.url)
    receiver.status = 500
    moved = reschedule(tvshows, fixtures_dir, "2026-07-03", 10)
    cursor = hook_cursor(tvshows, hid)
    w = start_worker(env, tmp_path)
    try:
        assert wait(lambda: webhook_jobs(tvshows, env, "dead"))
        dead = webhook_jobs(tvshows, env, "dead")[0]
        assert dead["attempts"] == 2 and "HTTP 500" in dead["last_error"]
        assert len(receiver.posts) >= 2 and not receiver.accepted()
        assert len({p["delivery"] for p in receiver.posts}) == 1
        out = tvshows.run("webhooks", "deliveries", "--webhook", str(hid)).stdout
        rows = out.splitlines()[1:]
        assert len(rows) >= 2 and all(" failed " in r and "HTTP 500" in r for r in rows)
        assert receiver.posts[0]["delivery"] in out
        assert hook_cursor(tvshows, hid) == cursor  # nothing was skipped
        # the receiver back: the next dispatch sends the same batch, whole
        receiver.status = 200
        assert wait(lambda: len(delivered_changes(receiver)) >= moved)
        assert len(delivered_changes(receiver)) == moved
        assert len({p["delivery"] for p in receiver.posts}) == 1
        assert wait(lambda: hook_cursor(tvshows, hid) != cursor)
        assert " delivered " in tvshows.run("webhooks", "deliveries").stdout
    finally:
        w.send_signal(signal.SIGTERM)
        assert w.wait(30) == 0


def test_metrics_count_deliveries_and_failed_attempts(setup, receiver, tmp_path):
    tvshows, fixtures_dir, env = setup
    mport = free_port()
    add_hook(tvshows, receiver.url)
    receiver.status = 503
    w = start_worker(dict(env, METRICS_PORT=str(mport)), tmp_path)

    def counts():
        try:
            text = scrape(mport)
        except OSError:
            return None
        return (sample(text, "tvshows_webhook_deliveries_total"),
                sample(text, "tvshows_webhook_failures_total"))
    try:
        assert wait(lambda: counts() == (0, 0))
        moved = reschedule(tvshows, fixtures_dir, "2026-07-07", 25)
        assert wait(lambda: len(receiver.posts) >= 2)
        receiver.status = 200
        assert wait(lambda: len(delivered_changes(receiver)) >= moved)
        failed = [p for p in receiver.posts if p["status"] != 200]
        assert len(failed) >= 2
        assert wait(lambda: counts() == (len(receiver.accepted()), len(failed)))
    finally:
        w.send_signal(signal.SIGTERM)
        assert w.wait(30) == 0


def test_a_worker_killed_mid_delivery_delivers_again(setup, receiver, tmp_path):
    tvshows, fixtures_dir, env = setup
    add_hook(tvshows, receiver.url)
    receiver.delay = 4.0  # the first POST is still open when the worker dies
    w = start_worker(env, tmp_path)
    try:
        moved = reschedule(tvshows, fixtures_dir, "2026-07-06", 20)
        assert wait(lambda: len(receiver.posts) >= 1)
        w.send_signal(signal.SIGKILL)
        w.wait(10)
        receiver.delay = 0.0
        w = start_worker(env, tmp_path, "worker2")
        # the job comes back after the visibility timeout, and its batch
        # (the cursor never moved) is sent again
        assert wait(lambda: len(delivered_changes(receiver)) >= moved and
                    len(receiver.posts) >= 2, 60)
        assert len(delivered_changes(receiver)) == moved
        assert len({p["delivery"] for p in receiver.posts}) == 1
    finally:
        w.send_signal(signal.SIGTERM)
        assert w.wait(30) == 0


def test_the_operators_commands(tvshows, receiver, db):
    assert tvshows.run("migrate").returncode == 0
    hid = add_hook(tvshows, receiver.url, "--filter", "genre=Drama&kind=network")
    out = tvshows.run("webhooks", "list").stdout
    assert receiver.url in out and "genre=Drama&kind=network" in out
    assert SECRET not in out
    p = tvshows.run("webhooks", "test", str(hid))
    assert p.returncode == 0 and "HTTP 200" in p.stdout
    assert receiver.posts[-1]["event"] == "ping" and receiver.posts[-1]["signed"]
    p = tvshows.run("webhooks", "add", receiver.url)
    assert p.returncode == 0 and "secret: " in p.stdout  # made, shown once
    for args, msg in ((("webhooks", "add", "ftp://x"), "URL"),
                      (("webhooks", "add", receiver.url, "--filter", "genre=Soap"), "genre"),
                      (("webhooks", "add", receiver.url, "--filter", "tz=Mars"), "tz"),
                      (("webhooks", "add", receiver.url, "--filter", "list=x"), "list"),
                      (("webhooks", "add", receiver.url, "--secret", "short"), "secret"),
                      (("webhooks", "remove", "x"), "ID"), (("webhooks",), "expected")):
        p = tvshows.run(*args)
        assert p.returncode == 2 and msg in p.stderr and p.stderr.count("\n") == 1, args
    assert tvshows.run("webhooks", "remove", str(hid)).returncode == 0
    assert tvshows.run("webhooks", "remove", str(hid)).returncode == 1
    receiver.status = 500
    p = tvshows.run("webhooks", "test", str(hid + 1))
    assert p.returncode == 1 and "HTTP 500" in p.stderr
