"""GET /api/v1/week: the episodes of /api/v1/tvshows for the same parameters
in one compact answer. Every answer is compared, field by field, with every
page of /api/v1/tvshows over the recorded fixtures (imported through the real
importer); responses are validated against docs/openapi.json."""
import gzip
import json
import os
import urllib.parse

import pytest

from conftest import ROOT

TV = "/api/v1/tvshows"
WEEK = "/api/v1/week"
EPISODE_KEYS = ["id", "show_id", "name", "season", "episode_number", "airdate", "airtime",
                "airstamp", "premiere"]
LOCAL_KEYS = ["local_date", "local_time"]


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


def tvshows(srv, **params):
    """Every page of /api/v1/tvshows, concatenated, and its total."""
    out, page = [], 1
    while True:
        body = srv.get(q(TV, page=page, per_page=100, **params)).json()
        out.extend(body["data"])
        if page >= body["pagination"]["total_pages"]:
            return out, body["pagination"]["total_count"]
        page += 1


def assert_same_as_tvshows(srv, **params):
    """The compact week of params against /api/v1/tvshows's pages; returns
    how many episodes there were."""
    expected, total = tvshows(srv, **params)
    r = srv.get(q(WEEK, **params))
    assert r.status == 200, r.body
    body = r.json()
    assert list(body) == ["data", "shows", "total_count"]
    assert body["total_count"] == total == len(expected)
    assert [e["id"] for e in body["data"]] == [e["id"] for e in expected]
    keys = EPISODE_KEYS + (LOCAL_KEYS if "tz" in params else [])
    for got, want in zip(body["data"], expected):
        assert list(got) == keys, got
        assert got["show_id"] == want["show"]["id"]
        for k in keys:
            if k != "show_id":
                assert got[k] == want[k], (k, got, want)
    # each show once, in the order of its first episode, as /tvshows has it
    firsts = {}
    for e in expected:
        firsts.setdefault(e["show"]["id"], e["show"])
    assert [s["id"] for s in body["shows"]] == list(firsts)
    for s in body["shows"]:
        want = firsts[s["id"]]
        assert list(s) == ["id", "name", "distributor"]
        assert s["name"] == want["name"]
        assert s["distributor"] == (want["distributor"]["name"] if want["distributor"] else None)
    ids = srv.get(q(WEEK, fields="id", **params)).json()
    assert ids == {"ids": [e["id"] for e in expected], "total_count": total}
    return total


WINDOWS = [("2020-11-30", "2020-12-06"), ("2026-07-06", "2026-07-12"),
           ("2026-07-13", "2026-07-19"), ("2026-03-28", "2026-03-30"), ("2030-01-01", "2030-01-07")]
ZONES = [None, "UTC", "Europe/London", "America/Los_Angeles", "Pacific/Auckland"]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("zone", ZONES)
def test_week_is_tvshows_episodes_field_by_field(loaded, window, zone):
    params = {"date_from": window[0], "date_to": window[1]}
    if zone:
        params["tz"] = zone
    n = assert_same_as_tvshows(loaded.server, **params)
    if window[0] == "2020-11-30":
        assert n > 150, "the busy week has episodes to compare"


FILTERS = [
    {"country": "United States"}, {"country": "gb"}, {"kind": "web"}, {"kind": "network"},
    {"rating": "7"}, {"premieres": "any"}, {"premieres": "series"}, {"genre": "Drama,Comedy"},
    {"exclude_genre": "Drama"}, {"language": "norwegian"}, {"type": "Scripted"},
    {"status": "Running"}, {"new_shows": "true"}, {"distributor": "Netflix,BBC One"},
    {"genre": "Drama", "kind": "network", "rating": "6"}, {"language": "Klingon"},
]


@pytest.mark.parametrize("filters", FILTERS)
@pytest.mark.parametrize("zone", [None, "Europe/London"])
def test_week_filters_are_tvshows_filters(loaded, filters, zone):
    params = {"date_from": "2020-11-30", "date_to": "2020-12-06", **filters}
    if zone:
        params["tz"] = zone
    assert_same_as_tvshows(loaded.server, **params)


BAD = [
    {},
    {"date_from": "2026-07-06"},
    {"date_from": " ", "date_to": "2026-07-12"},
    {"date_from": "2026-02-30", "date_to": "2026-03-01"},
    {"date_from": "2026-07-12", "date_to": "2026-07-06"},
    {"date_from": "2026-01-01", "date_to": "2027-01-02"},
    {"date_from": "2026-07-06", "date_to": "2026-07-12", "tz": "Mars/Olympus"},
    {"date_from": "2026-07-06", "date_to": "2026-07-12", "genre": "Drame"},
    {"date_from": "2026-07-06", "date_to": "2026-07-12", "rating": "eleven"},
    {"date_from": "2026-07-06", "date_to": "2026-07-12", "kind": "cable"},
    {"date_from": "2026-07-06", "date_to": "2026-07-12", "premieres": "pilot"},
    {"date_from": "2026-07-06", "date_to": "2026-07-12", "new_shows": "yes"},
    {"date_from": "2026-07-06", "date_to": "2026-07-12", "distributor": ",".join(["HBO"] * 17)},
]


@pytest.mark.parametrize("params", BAD)
def test_week_errors_are_tvshows_errors(loaded, params):
    want = loaded.server.get(q(TV, **params))
    got = loaded.server.get(q(WEEK, **params))
    assert want.status == 400
    assert got.status == 400 and got.json() == want.json()
    assert got.header("Cache-Control") == "no-store"


@pytest.mark.parametrize("value", ["ids", "id,name", " id", "ID", "x" * 40])
def test_week_fields_other_than_id_is_a_400(loaded, value):
    r = loaded.server.get(q(WEEK, date_from="2026-07-06", date_to="2026-07-12", fields=value))
    assert r.status == 400
    assert r.json() == {"error": "Invalid parameter: fields",
                        "details": "must be id, or absent for every field"}


def test_week_pagination_parameters_are_ignored(loaded):
    a = loaded.server.get(q(WEEK, date_from="2020-11-30", date_to="2020-12-06"))
    b = loaded.server.get(q(WEEK, date_from="2020-11-30", date_to="2020-12-06", page=2,
                            per_page=5))
    assert a.json() == b.json() and len(a.json()["data"]) > 150


def test_week_is_cached_etagged_and_gzipped_like_tvshows(loaded):
    srv = loaded.server
    path = q(WEEK, date_from="2020-11-30", date_to="2020-12-06", tz="Europe/London")
    plain = srv.get(path)
    tv = srv.get(q(TV, date_from="2020-11-30", date_to="2020-12-06"))
    assert plain.status == 200
    assert plain.header("Cache-Control") == tv.header("Cache-Control")
    assert plain.header("Vary") == tv.header("Vary")
    etag = plain.header("ETag")
    assert etag and etag.startswith('"')
    assert srv.get(path).header("ETag") == etag
    gz = srv.get(path, headers={"Accept-Encoding": "gzip"})
    assert gz.header("Content-Encoding") == "gzip"
    assert json.loads(gzip.decompress(gz.body)) == plain.json()
    assert len(gz.body) * 4 < len(plain.body)
    again = srv.get(path, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    # the compact week is a fraction of the pages it stands for
    pages = sum(len(srv.get(q(TV, date_from="2020-11-30", date_to="2020-12-06",
                              tz="Europe/London", per_page=100, page=p)).body)
                for p in (1, 2))
    assert len(plain.body) * 3 < pages


def test_week_holds_at_most_5000_episodes_and_says_how_many_match(tvshows, serve, tmp_path):
    """A window of more episodes than one answer holds: the first 5,000 in
    /api/v1/tvshows's order, total_count all of them, the same for ids."""
    import glob
    import subprocess
    import sys
    out = tmp_path / "big"
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "gen_dataset.py"),
                    "--out", str(out), "--start", "2027-03-01", "--days", "2",
                    "--episodes", "6000", "--countries", "US,GB"],
                   check=True, capture_output=True)
    files = sorted(glob.glob(str(out / "*.json")))
    assert tvshows.run("migrate").returncode == 0
    p = tvshows.run("import", "--file", *files)
    assert p.returncode == 0, p.stderr
    s = serve()
    params = {"date_from": "2027-02-28", "date_to": "2027-03-03", "tz": "UTC"}
    total = s.get(q(TV, per_page=1, **params)).json()["pagination"]["total_count"]
    assert total > 5000
    body = s.get(q(WEEK, **params)).json()
    assert body["total_count"] == total and len(body["data"]) == 5000
    first = [e["id"] for page in range(1, 51)
             for e in s.get(q(TV, per_page=100, page=page, **params)).json()["data"]]
    assert [e["id"] for e in body["data"]] == first
    assert s.get(q(WEEK, fields="id", **params)).json() == {"ids": first, "total_count": total}
