"""The change feed: what an import changed for viewers, read with cursors."""
import json
import os
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import BIN, base_env, psql_session

CH = "/api/v1/changes"
GB = ["2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06", "2026-07-07"]


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


@pytest.fixture
def feed(tvshows, fixtures_dir, serve):
    assert tvshows.run("migrate").returncode == 0

    def load(*days):
        files = [str(fixtures_dir / ("schedule-GB-%s.json" % d)) for d in (days or GB)]
        p = tvshows.run("import", "--file", *files)
        assert p.returncode == 0, p.stderr
    load()
    s = serve(env={"CACHE_MB": "0"})
    s.load = load
    s.dir = fixtures_dir
    return s


def all_changes(srv, since=None, limit=500, **filters):
    out, cursor = [], since
    while True:
        params = dict(limit=limit, **filters)
        if cursor:
            params["since"] = cursor
        body = srv.get(q(CH, **params)).json()
        out += body["data"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return out, cursor


def wait_for(srv, cursor, n):
    """Changes after cursor once the API sees the new generation."""
    got = []
    for _ in range(50):
        got, _ = all_changes(srv, since=cursor)
        if len(got) >= n:
            return got
        time.sleep(0.1)
    return got


def test_a_first_import_is_a_run_of_additions(feed, db):
    got, _ = all_changes(feed)
    episodes = int(db.scalar("SELECT count(*) FROM episodes"))
    assert len(got) == episodes > 0
    assert {c["kind"] for c in got} == {"added"}
    assert all(c["before"] is None and c["after"]["airdate"] for c in got)
    cursors = [c["cursor"] for c in got]
    assert cursors == sorted(cursors) and len(set(cursors)) == len(cursors)


def test_a_reimport_records_exactly_what_changed(feed, db):
    _, latest = all_changes(feed)
    assert feed.get(q(CH, since="latest")).json() == {"data": [], "next_cursor": latest,
                                                      "has_more": False}
    path = feed.dir / "schedule-GB-2026-07-06.json"
    items = json.load(open(path, encoding="utf-8"))
    timed = [i for i in items if i["airtime"] and i["airdate"] == "2026-07-06"]
    moved, removed = timed[0], timed[1]
    moved["airtime"] = "23:59"
    moved["airstamp"] = "2026-07-06T22:59:00+00:00"
    items.remove(removed)
    added = dict(timed[2], id=95_000_001, url="https://www.tvmaze.com/episodes/95000001/x")
    items.append(added)
    json.dump(items, open(path, "w", encoding="utf-8"))
    feed.load("2026-07-06")
    got = wait_for(feed, latest, 3)
    by_kind = {c["kind"]: c for c in got}
    assert sorted(c["kind"] for c in got) == ["added", "removed", "rescheduled"]
    assert by_kind["rescheduled"]["episode"]["tvmaze_id"] == moved["id"]
    assert by_kind["rescheduled"]["after"]["airtime"] == "23:59"
    assert by_kind["rescheduled"]["after"]["airstamp"] == "2026-07-06T22:59:00Z"
    assert by_kind["rescheduled"]["before"]["airtime"] != "23:59"
    assert by_kind["removed"]["episode"]["tvmaze_id"] == removed["id"]
    assert by_kind["removed"]["after"] is None
    assert by_kind["added"]["episode"]["tvmaze_id"] == 95_000_001
    # the same again changes nothing
    _, now = all_changes(feed, since=latest)
    feed.load("2026-07-06")
    time.sleep(0.6)
    assert all_changes(feed, since=now)[0] == []


def test_a_time_that_becomes_known(feed, db):
    _, latest = all_changes(feed)
    path = feed.dir / "schedule-GB-2026-07-04.json"
    items = json.load(open(path, encoding="utf-8"))
    item = next(i for i in items if i["airdate"] == "2026-07-04" and i["airtime"])
    item["airtime"] = ""
    json.dump(items, open(path, "w", encoding="utf-8"))
    feed.load("2026-07-04")
    item["airtime"] = "21:15"
    item["airstamp"] = "2026-07-04T20:15:00+00:00"
    json.dump(items, open(path, "w", encoding="utf-8"))
    feed.load("2026-07-04")
    got = wait_for(feed, latest, 2)
    assert [c["kind"] for c in got] == ["rescheduled", "time_known"]
    assert got[1]["before"]["airtime"] == "" and got[1]["before"]["airstamp"] is None
    assert got[1]["after"] == {"airdate": "2026-07-04", "airtime": "21:15",
                               "airstamp": "2026-07-04T20:15:00Z"}


@pytest.mark.parametrize("limit", [1, 7])
def test_paging_never_skips_or_repeats(feed, limit):
    whole, _ = all_changes(feed)
    paged, _ = all_changes(feed, limit=limit)
    assert [c["cursor"] for c in paged] == [c["cursor"] for c in whole]


def test_paging_while_an_import_commits(feed, tvshows, fixtures_dir, tmp_path):
    # an import of the web days runs while a client pages with a small limit
    web = sorted(str(p) for p in fixtures_dir.glob("schedule-web-*.json")) + \
        [str(fixtures_dir / "schedule-US-2020-12-01.json")]
    env = base_env({"DATABASE_URL": tvshows.db_url})
    p = subprocess.Popen([BIN, "import", "--file"] + web, env=env, cwd=str(tmp_path),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen, cursor = [], None
    while True:
        params = {"limit": 5}
        if cursor:
            params["since"] = cursor
        body = feed.get(q(CH, **params)).json()
        seen += [c["cursor"] for c in body["data"]]
        cursor = body["next_cursor"]
        if not body["has_more"] and p.poll() is not None:
            time.sleep(0.6)  # the last generation reaches the API
            rest, _ = all_changes(feed, since=cursor)
            seen += [c["cursor"] for c in rest]
            break
    assert p.wait() == 0
    final, _ = all_changes(feed)
    assert seen == [c["cursor"] for c in final]
    assert len(set(seen)) == len(seen)


def test_filters_narrow_the_feed(feed):
    whole, _ = all_changes(feed)
    bbc, _ = all_changes(feed, distributor="BBC Two")
    assert bbc and len(bbc) < len(whole)
    assert all(c["show"]["network"]["name"] == "BBC Two" for c in bbc)
    drama, _ = all_changes(feed, genre="Drama")
    assert drama and all("Drama" in c["show"]["genres"] for c in drama)


@pytest.mark.parametrize("params,key,details", [
    ({"since": "nope"}, "since", "must be a next_cursor this API gave, or latest"),
    ({"since": "c00000000000000zz"}, "since", "must be a next_cursor this API gave, or latest"),
    ({"since": "C0000000000000001"}, "since", "must be a next_cursor this API gave, or latest"),
    ({"limit": "0"}, "limit", "must be an integer from 1 to 500"),
    ({"limit": "501"}, "limit", "must be an integer from 1 to 500"),
    ({"genre": "Soap"}, "genre", None),
])
def test_bad_parameters(feed, params, key, details):
    r = feed.get(q(CH, **params))
    assert r.status == 400 and r.json()["error"] == "Invalid parameter: %s" % key
    if details:
        assert r.json()["details"] == details


def test_an_expired_cursor_is_gone(feed, db, tvshows):
    first, _ = all_changes(feed, limit=1)
    old = first[0]["cursor"]
    db.execute("UPDATE changes SET created_at = 0")
    p = tvshows.run("import", "--file", str(feed.dir / "schedule-GB-2026-07-03.json"),
                    env={"CHANGES_RETENTION_DAYS": "1"})
    assert p.returncode == 0
    assert db.scalar("SELECT count(*) FROM changes") == "0"
    for _ in range(50):
        r = feed.get(q(CH, since=old))
        if r.status == 410:
            break
        time.sleep(0.1)
    assert r.status == 410
    assert r.json()["error"] == "Cursor expired"
    # from the start (no since) works, and is empty
    assert feed.get(CH).json()["data"] == []


def feed_lock_holders(db, granted):
    return int(db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                         " AND objid = 7263002 AND objsubid = 1 AND granted = %s"
                         % ("true" if granted else "false")))


@pytest.mark.postgres_only
def test_a_change_waits_for_the_writer_of_an_earlier_one_to_commit(feed, db):
    # Two writers of the feed at once. The first's change is numbered first
    # but commits last: a reader that saw the second's number in between
    # would never see the first's. So the second waits, number and all.
    _, latest = all_changes(feed)
    first, second = [int(r[0]) for r in db.query(
        "SELECT id FROM episodes WHERE airtime <> '' ORDER BY id LIMIT 2")]
    t1 = psql_session(db.url)
    t1.stdin.write("BEGIN;\nUPDATE episodes SET airtime = '23:58' WHERE id = %d;\n" % first)
    t1.stdin.flush()
    for _ in range(100):
        if feed_lock_holders(db, granted=True):
            break
        time.sleep(0.05)
    assert feed_lock_holders(db, granted=True) == 1
    t2 = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", db.url, "-c",
                           "UPDATE episodes SET airtime = '23:59' WHERE id = %d" % second],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        if feed_lock_holders(db, granted=False):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    assert t2.poll() is None, "the second writer committed before the first"
    assert feed_lock_holders(db, granted=False) == 1
    assert all_changes(feed, since=latest)[0] == []
    t1.stdin.write("COMMIT;\n")
    t1.stdin.close()
    assert t1.wait(10) == 0, t1.stderr.read()
    assert t2.wait(10) == 0, t2.stderr.read()
    got = wait_for(feed, latest, 2)
    assert [(c["kind"], c["after"]["airtime"]) for c in got] == [("rescheduled", "23:58"),
                                                                 ("rescheduled", "23:59")]
