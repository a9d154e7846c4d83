"""The response cache: keyed by canonical parameters and data generation,
bounded by bytes, and made stale for every API process by an import."""
import glob
import json
import os
import re
import sqlite3
import subprocess
import time
import urllib.request

import pytest

from conftest import BIN, FIXTURES, base_env
from servers import PgServer, free_port

TV = "/api/v1/tvshows?"


def metric(port, name):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    m = re.search(r"^%s (\d+)" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


@pytest.fixture
def filled(tvshows, fixtures_dir):
    assert tvshows.run("migrate").returncode == 0
    files = sorted(glob.glob(str(fixtures_dir / "schedule-*.json")))
    assert tvshows.run("import", "--file", *files).returncode == 0
    return fixtures_dir


def test_parameter_order_and_spelling_share_one_entry(serve, filled):
    mport = free_port()
    s = serve(env={"METRICS_PORT": mport})
    a = s.get(TV + "date_from=2026-07-03&date_to=2026-07-09&rating=7&per_page=5")
    hits = metric(mport, "tvshows_cache_hits_total")
    b = s.get(TV + "per_page=5&rating=7.0&date_to=2026-07-09&bogus=1&date_from=2026-07-03")
    assert a.status == b.status == 200 and a.body == b.body
    assert a.header("ETag") == b.header("ETag")
    assert metric(mport, "tvshows_cache_hits_total") == hits + 1
    c = s.get(TV + "date_from=2026-07-03&date_to=2026-07-09&rating=7&per_page=6")
    assert c.body != a.body
    assert metric(mport, "tvshows_cache_hits_total") == hits + 1


def test_an_import_by_another_process_makes_cached_pages_stale_within_a_second(
        serve, filled, tvshows):
    s = serve()
    url = TV + "date_from=2026-07-06&date_to=2026-07-06&per_page=100"
    before = s.get(url)
    assert s.get(url).header("ETag") == before.header("ETag")
    path = filled / "schedule-GB-2026-07-06.json"
    data = json.load(open(path, encoding="utf-8"))
    data[0]["name"] = "Renamed By Upstream"
    json.dump(data, open(path, "w", encoding="utf-8"))
    assert tvshows.run("import", "--file", str(path)).returncode == 0
    t0 = time.time()
    time.sleep(1.0)
    after = s.get(url)
    assert after.header("ETag") != before.header("ETag")
    assert "Renamed By Upstream" in after.body.decode()
    assert time.time() - t0 < 2
    # a client holding the old tag gets the new page, not a 304
    assert s.get(url, headers={"If-None-Match": before.header("ETag")}).status == 200


def test_a_re_import_of_unchanged_data_keeps_the_cache(serve, filled, tvshows):
    mport = free_port()
    s = serve(env={"METRICS_PORT": mport})
    url = TV + "date_from=2026-07-06&date_to=2026-07-06"
    s.get(url)
    files = sorted(glob.glob(str(filled / "schedule-*.json")))
    assert tvshows.run("import", "--file", *files).returncode == 0
    time.sleep(0.6)
    hits = metric(mport, "tvshows_cache_hits_total")
    s.get(url)
    assert metric(mport, "tvshows_cache_hits_total") == hits + 1


def test_the_cache_stays_within_its_byte_bound(serve, filled):
    mport = free_port()
    s = serve(env={"METRICS_PORT": mport, "CACHE_MB": "1"})
    for day in range(1, 31):
        for per_page in (50, 100):
            s.get(TV + "date_from=2020-12-01&date_to=2020-12-%02d&per_page=%d" % (day, per_page))
    assert 0 < metric(mport, "tvshows_cache_bytes") <= 1 << 20
    assert metric(mport, "tvshows_cache_evictions_total") > 0


def test_cache_can_be_turned_off(serve, filled):
    s = serve(env={"CACHE_MB": "0"})
    url = TV + "date_from=2026-07-03&date_to=2026-07-09"
    a, b = s.get(url), s.get(url, headers={"Accept-Encoding": "gzip"})
    assert a.status == b.status == 200 and a.header("ETag") and b.header("Content-Encoding") == "gzip"
    assert s.get(url, headers={"If-None-Match": a.header("ETag")}).status == 304


def test_total_count_follows_an_import_with_the_cache_off(serve, filled, tvshows):
    # the counts are kept per day and generation: an episode that moves to
    # another day, and one that is removed, change both days' totals
    s = serve(env={"CACHE_MB": "0"})

    def total(day, **extra):
        q = "date_from=%s&date_to=%s&per_page=1" % (day, day)
        q += "".join("&%s=%s" % kv for kv in extra.items())
        return s.get(TV + q).json()["pagination"]["total_count"]

    before = {d: total(d) for d in ("2026-07-05", "2026-07-06")}
    five = total("2026-07-06", distributor="5")
    path = filled / "schedule-GB-2026-07-06.json"
    data = json.load(open(path, encoding="utf-8"))
    gone = next(e for e in data if (e["show"].get("network") or {}).get("name") == "5")
    moved = next(e for e in data if e is not gone)
    moved["airdate"] = "2026-07-05"
    data.remove(gone)
    json.dump(data, open(path, "w", encoding="utf-8"))
    assert tvshows.run("import", "--file", str(path)).returncode == 0
    time.sleep(1.0)
    assert total("2026-07-06") == before["2026-07-06"] - 2
    assert total("2026-07-05") == before["2026-07-05"] + 1
    assert total("2026-07-06", distributor="5") == five - 1 - (
        (moved["show"].get("network") or {}).get("name") == "5")


def test_totals_of_overlapping_windows_count_each_day_once(serve, filled):
    # a window read partly from days held and partly from the database
    def total(s, a, b):
        return s.get(TV + "date_from=%s&date_to=%s&per_page=1" % (a, b)).json()[
            "pagination"]["total_count"]

    fresh = serve(env={"CACHE_MB": "0"})
    whole = total(fresh, "2026-07-02", "2026-07-08")
    fresh.stop()
    s = serve(env={"CACHE_MB": "0"})
    assert total(s, "2026-07-04", "2026-07-05") > 0
    assert total(s, "2026-07-06", "2026-07-06") > 0
    assert total(s, "2026-07-02", "2026-07-08") == whole
    days = ["2026-07-0%d" % d for d in range(2, 9)]
    assert sum(total(s, d, d) for d in days) == whole > 0


def test_a_renamed_distributor_is_found_by_its_new_name_with_the_cache_off(serve, filled, tvshows):
    # the distributors are held per generation too
    s = serve(env={"CACHE_MB": "0"})

    def total(name):
        q = "date_from=2026-07-03&date_to=2026-07-07&per_page=1&distributor=" + name
        return s.get(TV + q).json()["pagination"]["total_count"]

    before = total("Channel+4")
    assert before > 0 and total("Channel+Four") == 0
    for path in sorted(glob.glob(str(filled / "schedule-GB-2026-07-0*.json"))):
        data = json.load(open(path, encoding="utf-8"))
        for e in data:
            net = e["show"].get("network") or {}
            if net.get("name") == "Channel 4":
                net["name"] = "Channel Four"
                e["show"]["updated"] += 1
        json.dump(data, open(path, "w", encoding="utf-8"))
        assert tvshows.run("import", "--file", path).returncode == 0
    time.sleep(1.0)
    assert total("Channel+Four") == before and total("Channel+4") == 0


def execute(db, sql):
    """A statement that changes rows, committed, on either backend."""
    if db.pg is not None:
        db.pg.psql(sql, dbname=db.name)
        return
    con = sqlite3.connect(db.path)
    try:
        con.execute(sql)
        con.commit()
    finally:
        con.close()


def test_a_page_larger_than_the_body_cap_is_a_500_json_error(serve, filled, db):
    # rows stored before the importer capped strings: each summary 400 KB,
    # so a page of 100 passes the 32 MiB a response may take
    big = "repeat('x', 400000)" if db.pg is not None else \
        "replace(hex(zeroblob(200000)), '0', 'x')"
    execute(db, "UPDATE episodes SET summary = %s" % big)
    s = serve()
    url = TV + "date_from=2024-01-01&date_to=2024-01-01&per_page=100"
    r = s.get(url)
    assert r.status == 500, (r.status, r.headers, len(r.body))
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert r.json() == {"error": "Internal server error"}
    assert r.header("Cache-Control") == "no-store"
    assert any(l.get("msg") == "response larger than the body cap" for l in s.log_lines())
    # a page that fits is still served
    small = s.get(TV + "date_from=2024-01-01&date_to=2024-01-01&per_page=5")
    assert small.status == 200 and len(small.json()["data"]) == 5


@pytest.mark.postgres_only
def test_a_postgres_restart_right_after_an_import_serves_cached_pages_stale(serve, tmp_path):
    pg = PgServer().start()  # its own: the test stops it
    try:
        pg.psql("CREATE DATABASE s")
        url = pg.url("s")
        env = base_env({"DATABASE_URL": url})
        files = sorted(glob.glob(os.path.join(FIXTURES, "schedule-*.json")))
        for args in (["migrate"], ["import", "--file"] + files[:-1]):
            subprocess.run([BIN] + args, env=env, check=True, capture_output=True)
        s = serve(env={"THREADS": "1"}, database_url=url)
        pages = [TV + "date_from=2026-07-0%d&date_to=2026-07-0%d" % (d, d) for d in range(3, 8)]
        pages += ["/api/v1/shows?per_page=5", "/api/v1/networks"]
        before = {p: s.get(p) for p in pages}
        assert all(r.status == 200 for r in before.values())
        # an import that changes data: the process sees the new generation
        # and every page it holds is now of older data
        subprocess.run([BIN, "import", "--file", files[-1]], env=env, check=True,
                       capture_output=True)
        time.sleep(1.0)
        pg.stop()
        try:
            for _ in range(3):
                for p in pages:
                    r = s.get(p, timeout=15)
                    assert r.status == 200, (p, r.status, r.body[:200])
                    assert r.header("Warning") == '110 - "Response is Stale"'
                    assert r.header("X-Cache") == "stale"
                    assert r.body == before[p].body and r.header("ETag") == before[p].header("ETag")
            # a page never rendered has nothing to fall back on
            r = s.get(TV + "date_from=2020-12-01&date_to=2020-12-02", timeout=15)
            assert r.status == 503 and r.json() == {"error": "Service unavailable"}
        finally:
            pg.start()
        fresh = None
        deadline = time.time() + 20
        while time.time() < deadline:
            fresh = s.get(pages[0])
            if fresh.status == 200 and fresh.header("X-Cache") is None:
                break
            time.sleep(0.3)
        assert fresh.status == 200 and fresh.header("Warning") is None
        away = [l for l in s.log_lines() if l.get("msg", "").startswith("database unavailable")]
        back = [l for l in s.log_lines() if l.get("msg") == "database available again"]
        assert len(away) == 1 and len(back) == 1, (away, back)
        s.check_clean_exit(s.stop())
    finally:
        pg.destroy()
