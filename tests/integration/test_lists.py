"""Followed-show lists: the API's writes (an identity needed even when reads
are open), owner isolation, feed tokens, their feeds, the operator's CLI,
and a catalogue of hostile requests against the write endpoints."""
import json
import os
import re
import time

import icalendar
import openapi_check
import pytest

from conftest import ROOT

LISTS = "/api/v1/lists"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def app(tvshows, fixtures_dir, serve):
    assert tvshows.run("migrate").returncode == 0
    files = sorted(str(p) for p in fixtures_dir.glob("schedule-GB-*.json"))
    assert tvshows.run("import", "--file", *files).returncode == 0
    keys = []
    for name in ("alice", "bob"):
        p = tvshows.run("keys", "create", name)
        assert p.returncode == 0, p.stderr
        keys.append(p.stdout.strip())
    s = serve(env={"CACHE_MB": "8"})
    s.spec = openapi_check.load(os.path.join(ROOT, "docs", "openapi.json"))
    s.keys = keys
    for _ in range(50):  # the key set reaches the API within a second
        if s.request("GET", LISTS, headers={"X-API-Key": keys[1]}).status == 200:
            break
        time.sleep(0.1)
    return s


def call(srv, method, path, key=None, body=None, headers=None, validate=True):
    h = dict(headers or {})
    if key:
        h["X-API-Key"] = key
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    return srv.request(method, path, headers=h, body=body, validate=validate)


def show_ids(db, names):
    rows = db.query("SELECT id, name FROM shows")
    return {name: int(i) for i, name in rows if name in names}


def dump(db):
    return {t: db.query("SELECT * FROM %s ORDER BY 1, 2" % t) for t in ("lists", "list_shows")}


def test_a_list_is_made_filled_and_subscribed(app, db):
    ids = show_ids(db, ["EastEnders", "Emmerdale", "Love Island"])
    r = call(app, "POST", LISTS, app.keys[0], {"name": "Soaps"})
    assert r.status == 201 and r.header("Cache-Control") == "no-store"
    lst = r.json()["data"]
    assert lst["name"] == "Soaps" and lst["shows"] == []
    token = lst["feed_token"]
    assert re.fullmatch(r"tvf_[A-Za-z0-9_-]{43}", token)
    assert lst["feed_ics"] == "/feeds/%s.ics" % token
    assert lst["feed_token_prefix"] == token[:12]
    for name in ("EastEnders", "Emmerdale"):
        r = call(app, "PUT", "%s/%d/shows/%d" % (LISTS, lst["id"], ids[name]), app.keys[0])
        assert r.status == 204
    # adding again changes nothing
    assert call(app, "PUT", "%s/%d/shows/%d" % (LISTS, lst["id"], ids["Emmerdale"]),
                app.keys[0]).status == 204
    got = call(app, "GET", "%s/%d" % (LISTS, lst["id"]), app.keys[0]).json()["data"]
    assert sorted(s["name"] for s in got["shows"]) == ["EastEnders", "Emmerdale"]
    assert "feed_token" not in got  # shown at creation and rotation only
    # the feeds need no other credential, and hold exactly the list's shows
    feed = app.get("/feeds/%s.json?date_from=2026-07-03&date_to=2026-07-09&per_page=100" % token)
    assert feed.status == 200 and feed.header("Cache-Control") == "private, no-cache"
    names = {e["show"]["name"] for e in feed.json()["data"]}
    assert names == {"EastEnders", "Emmerdale"}
    ics = app.get("/feeds/%s.ics?date_from=2026-07-03&date_to=2026-07-09" % token, validate=False)
    assert ics.header("Content-Type") == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(ics.body.decode())
    assert str(cal["X-WR-CALNAME"]) == "Soaps"
    evs = list(cal.walk("VEVENT"))
    assert len(evs) == feed.json()["pagination"]["total_count"]
    # a removal shows in the feed at once
    assert call(app, "DELETE", "%s/%d/shows/%d" % (LISTS, lst["id"], ids["Emmerdale"]),
                app.keys[0]).status == 204
    feed = app.get("/feeds/%s.json?date_from=2026-07-03&date_to=2026-07-09&per_page=100" % token)
    assert {e["show"]["name"] for e in feed.json()["data"]} == {"EastEnders"}


def test_lists_belong_to_their_owner(app, db):
    a = call(app, "POST", LISTS, app.keys[0], {"name": "Alice's"}).json()["data"]
    b = call(app, "POST", LISTS, app.keys[1], {"name": "Bob's"}).json()["data"]
    mine = call(app, "GET", LISTS, app.keys[0]).json()["data"]
    assert [x["name"] for x in mine] == ["Alice's"]
    assert [x["name"] for x in call(app, "GET", LISTS, app.keys[1]).json()["data"]] == ["Bob's"]
    sid = show_ids(db, ["EastEnders"])["EastEnders"]
    before = dump(db)
    for method, path, body in (("GET", "%s/%d" % (LISTS, b["id"]), None),
                               ("PATCH", "%s/%d" % (LISTS, b["id"]), {"name": "mine now"}),
                               ("DELETE", "%s/%d" % (LISTS, b["id"]), None),
                               ("POST", "%s/%d/feed-token" % (LISTS, b["id"]), None),
                               ("PUT", "%s/%d/shows/%d" % (LISTS, b["id"], sid), None),
                               ("DELETE", "%s/%d/shows/%d" % (LISTS, b["id"], sid), None)):
        r = call(app, method, path, app.keys[0], body)
        assert (r.status, r.json()) == (404, {"error": "Resource not found",
                                              "details": "no such list"}), (method, path)
    assert dump(db) == before
    assert a["id"] != b["id"]


def test_writes_need_an_identity_even_when_reads_are_open(app):
    r = call(app, "POST", LISTS, None, {"name": "x"})
    assert r.status == 401 and r.json()["error"] == "Unauthorized"
    r = call(app, "POST", LISTS, "tvs_" + "A" * 43, {"name": "x"})
    assert (r.status, r.json()["error"]) == (401, "Invalid API key")
    assert app.get("/api/v1/tvshows?date_from=2026-07-03&date_to=2026-07-03").status == 200


def test_the_feed_token_rotates(app, tvshows):
    lst = call(app, "POST", LISTS, app.keys[0], {"name": "Rotating"}).json()["data"]
    old = lst["feed_token"]
    url = "/feeds/%s.json" % old
    assert app.get(url).status == 200
    r = call(app, "POST", "%s/%d/feed-token" % (LISTS, lst["id"]), app.keys[0])
    assert r.status == 200
    new = r.json()["data"]["feed_token"]
    assert new != old and r.json()["data"]["feed_token_prefix"] == new[:12]
    assert app.get(url).status == 404  # even though it was cached
    assert app.get("/feeds/%s.ics" % new, validate=False).status == 200
    # the operator can rotate it too
    p = tvshows.run("lists", "rotate", str(lst["id"]))
    assert p.returncode == 0 and p.stdout.strip().startswith("tvf_")
    assert app.get("/feeds/%s.json" % new).status == 404
    assert app.get("/feeds/%s.json" % p.stdout.strip()).status == 200


def test_unknown_and_revoked_tokens_look_the_same(app):
    lst = call(app, "POST", LISTS, app.keys[0], {"name": "T"}).json()["data"]
    revoked = lst["feed_token"]
    call(app, "POST", "%s/%d/feed-token" % (LISTS, lst["id"]), app.keys[0])
    unknown = "tvf_" + "B" * 43
    a, b = app.get("/feeds/%s.json" % revoked), app.get("/feeds/%s.json" % unknown)
    assert (a.status, a.json()) == (b.status, b.json()) == (404, {"error": "Not found"})

    def timing(token, n=40):
        t0 = time.perf_counter()
        for _ in range(n):
            app.get("/feeds/%s.ics" % token, validate=False)
        return (time.perf_counter() - t0) / n
    # the same work either way: a digest and one indexed lookup (a generous
    # bound, the machine is shared)
    ta, tb = timing(revoked), timing(unknown)
    assert abs(ta - tb) < 0.01


def test_limits_say_409(app, db):
    lst = call(app, "POST", LISTS, app.keys[0], {"name": "Full"}).json()["data"]
    # a thousand shows in the list (made up: the fixtures hold fewer)
    values = ",".join("(%d, %d, 'Show %d', '[]', 0)" % (900000 + i, 900000 + i, i)
                      for i in range(1000))
    db.execute("INSERT INTO shows (id, tvmaze_id, name, genres, updated) VALUES " + values)
    db.execute("INSERT INTO list_shows (list_id, show_id, added_at) SELECT %d, id, 0 FROM shows"
               " WHERE id >= 900000" % lst["id"])
    sid = show_ids(db, ["EastEnders"])["EastEnders"]
    r = call(app, "PUT", "%s/%d/shows/%d" % (LISTS, lst["id"], sid), app.keys[0])
    assert r.status == 409 and r.json() == {"error": "Limit reached",
                                            "details": "a list holds at most 1000 shows"}
    for i in range(100):
        assert call(app, "POST", LISTS, app.keys[1], {"name": "L%d" % i}).status == 201
    r = call(app, "POST", LISTS, app.keys[1], {"name": "one too many"})
    assert r.status == 409 and r.json() == {"error": "Limit reached",
                                            "details": "an owner keeps at most 100 lists"}


def test_the_operators_cli(tvshows, app, db):
    p = tvshows.run("lists", "create", "Operator's", "--owner", "key:99")
    assert p.returncode == 0
    token = p.stdout.strip()
    lid = int(db.scalar("SELECT id FROM lists WHERE name = 'Operator''s'"))
    sid = show_ids(db, ["EastEnders"])["EastEnders"]
    assert tvshows.run("lists", "add", str(lid), str(sid)).returncode == 0
    out = tvshows.run("lists", "show", str(lid)).stdout
    assert "EastEnders" in out and "key:99" in out
    assert "Operator's" in tvshows.run("lists", "list").stdout
    assert "Operator's" not in tvshows.run("lists", "list", "--owner", "key:1").stdout
    feed = app.get("/feeds/%s.json?date_from=2026-07-03&date_to=2026-07-09" % token).json()
    assert {e["show"]["name"] for e in feed["data"]} == {"EastEnders"}
    assert tvshows.run("lists", "remove", str(lid), str(sid)).returncode == 0
    assert tvshows.run("lists", "delete", str(lid)).returncode == 0
    assert app.get("/feeds/%s.json" % token).status == 404
    for args in (("lists",), ("lists", "create"), ("lists", "add", "1"), ("lists", "show", "x"),
                 ("lists", "frobnicate", "1"), ("lists", "create", "")):
        p = tvshows.run(*args)
        assert p.returncode == 2 and p.stderr.count("\n") == 1, args
    p = tvshows.run("lists", "add", str(lid), "999999")
    assert p.returncode == 1 and "no show" in p.stderr


# ---- hostile requests against the writes: 4xx JSON, never a 5xx, nothing written ----

def hostile(key, lid, sid):
    big = {"name": "x" * 10000}
    return [
        ("POST", LISTS, None, {"name": "no key"}, None, 401),
        ("POST", LISTS, "tvs_bogus", {"name": "bad key"}, None, 401),
        ("POST", LISTS, key, "{", JSON, 400),
        ("POST", LISTS, key, "", JSON, 400),
        ("POST", LISTS, key, "[]", JSON, 400),
        ("POST", LISTS, key, "null", JSON, 400),
        ("POST", LISTS, key, '"name"', JSON, 400),
        ("POST", LISTS, key, "{}", JSON, 400),
        ("POST", LISTS, key, {"name": 5}, None, 400),
        ("POST", LISTS, key, {"name": None}, None, 400),
        ("POST", LISTS, key, {"name": ["a"]}, None, 400),
        ("POST", LISTS, key, {"name": ""}, None, 400),
        ("POST", LISTS, key, {"name": "   "}, None, 400),
        ("POST", LISTS, key, {"name": "x" * 101}, None, 400),
        ("POST", LISTS, key, {"name": "tab\there"}, None, 400),
        ("POST", LISTS, key, {"name": "nul\u0000"}, None, 400),
        ("POST", LISTS, key, {"name": "ok", "owner": "key:1"}, None, 400),
        ("POST", LISTS, key, '{"name":"a","name":"b"}', JSON, 400),
        ("POST", LISTS, key, '{"name":"\\ud800"}', JSON, 400),
        ("POST", LISTS, key, b'{"name":"\xff"}', JSON, 400),
        ("POST", LISTS, key, {"name": "ok"}, {"Content-Type": "text/plain"}, 415),
        ("POST", LISTS, key, {"name": "ok"}, {"Content-Type": "application/jsonp"}, 415),
        ("POST", LISTS, key, json.dumps(big), JSON, 413),
        ("POST", LISTS, key, "x" * 9000, JSON, 413),
        ("PATCH", "%s/%d" % (LISTS, lid), key, {"name": 1}, None, 400),
        ("PATCH", "%s/%d" % (LISTS, lid), key, "{bad", JSON, 400),
        ("PATCH", "%s/%d" % (LISTS, lid), key, {"name": "x"}, {"Content-Type": "text/csv"}, 415),
        ("PATCH", "%s/abc" % LISTS, key, {"name": "x"}, None, 404),
        ("PATCH", "%s/0" % LISTS, key, {"name": "x"}, None, 404),
        ("PATCH", "%s/-1" % LISTS, key, {"name": "x"}, None, 404),
        ("PATCH", "%s/99999999999999999999" % LISTS, key, {"name": "x"}, None, 404),
        ("DELETE", "%s/999999" % LISTS, key, None, None, 404),
        ("PUT", "%s/%d/shows/999999" % (LISTS, lid), key, None, None, 404),
        ("PUT", "%s/%d/shows/abc" % (LISTS, lid), key, None, None, 404),
        ("PUT", "%s/%d/shows/%d" % (LISTS, lid, sid), key, {"x": 1}, None, 413),
        ("PUT", "%s/999999/shows/%d" % (LISTS, sid), key, None, None, 404),
        ("DELETE", "%s/%d/shows/%d" % (LISTS, lid, sid), key, None, None, 404),
        ("POST", "%s/%d/shows/%d" % (LISTS, lid, sid), key, None, None, 405),
        # a method the path does not take takes no body either: refused unread
        ("PUT", LISTS, key, {"name": "x"}, None, 413),
        ("POST", "%s/%d" % (LISTS, lid), key, {"name": "x"}, None, 413),
        ("PUT", LISTS, key, None, None, 405),
        ("POST", "%s/%d/feed-token" % (LISTS, lid), key, {"a": 1}, None, 413),
        ("GET", "/feeds/", None, None, None, 404),
        ("GET", "/feeds/tvf_x", None, None, None, 404),
        ("GET", "/feeds/%27%20OR%201=1.ics", None, None, None, 404),
        ("GET", "/feeds/../api/v1/lists.json", None, None, None, 404),
        ("DELETE", "/feeds/x.ics", None, None, None, 405),
    ]


def test_a_catalogue_of_hostile_requests_writes_nothing(app, db):
    lid = call(app, "POST", LISTS, app.keys[0], {"name": "Target"}).json()["data"]["id"]
    sid = show_ids(db, ["EastEnders"])["EastEnders"]
    before = dump(db)
    cases = hostile(app.keys[0], lid, sid)
    assert len(cases) >= 40
    for method, path, key, body, headers, status in cases:
        r = call(app, method, path, key, body, headers)
        assert r.status == status, (method, path, body, r.status, r.body[:200])
        assert 400 <= r.status < 500
        assert r.header("Content-Type").startswith("application/json")
        assert "error" in r.json()
    assert dump(db) == before
    assert app.get("/up").status == 200
