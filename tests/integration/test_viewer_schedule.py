"""The viewer's schedule: time zones, premieres, the filters people ask for,
search and lookup, next episodes and /upcoming. Every answer is compared with
the independent model of tests/support/fixture_model.py over the recorded
fixtures and the ones derived from them (tests/support/derived_fixtures.py),
imported through the real importer; responses are validated against
docs/openapi.json."""
import datetime
import glob
import os
import time
import urllib.parse

import pytest

from conftest import FIXTURES, ROOT, Database, Server, Tvshows, base_env

TV = "/api/v1/tvshows"
NOW_STEP = 300
ZONES = ["Pacific/Auckland", "America/Los_Angeles", "Europe/London", "UTC", "Europe/Berlin"]


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


class Viewer:
    def __init__(self, db, server, model, today):
        self.db, self.server, self.model, self.today = db, server, model, today

    def pages(self, path, per_page, **params):
        """Every page of a query, concatenated, and the set of totals seen."""
        out, page, totals = [], 1, set()
        while True:
            body = self.server.get(q(path, page=page, per_page=per_page, **params)).json()
            totals.add(body["pagination"]["total_count"])
            if not body["data"]:
                break
            out.extend(body["data"])
            page += 1
        return out, totals


@pytest.fixture(scope="module")
def viewer(tmp_path_factory, pg):
    import openapi_check
    from derived_fixtures import derive
    from fixture_model import Model
    today = datetime.datetime.now(datetime.timezone.utc).date()
    tmp = tmp_path_factory.mktemp("viewer")
    folder = derive(FIXTURES, str(tmp / "fixtures"), today=today)
    d = Database(tmp, pg)
    t = Tvshows(d.url, tmp)
    files = sorted(glob.glob(os.path.join(folder, "schedule-*.json")))
    for args in (["migrate"], ["import", "--file"] + files):
        p = t.run(*args)
        assert p.returncode == 0, p.stderr
    s = Server(base_env({"DATABASE_URL": d.url, "THREADS": "2"}), tmp).start()
    s.spec = openapi_check.load(os.path.join(ROOT, "docs", "openapi.json"))
    yield Viewer(d, s, Model(folder), today)
    s.check_clean_exit(s.stop())
    d.drop()


# ---- time zones ----

WINDOWS = [("2020-12-01", "2020-12-02"), ("2026-03-07", "2026-03-09"),
           ("2026-03-28", "2026-03-30"), ("2026-10-24", "2026-10-26"),
           ("2026-10-31", "2026-11-02"), ("2026-07-03", "2026-07-07"),
           ("2020-12-24", "2020-12-26")]


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize("zone", ZONES)
def test_zones_place_episodes_on_the_viewers_days(viewer, zone, window):
    expected = viewer.model.schedule(*window, tz=zone)
    got, totals = viewer.pages(TV, 100, date_from=window[0], date_to=window[1], tz=zone)
    assert totals == {len(expected)}
    assert [e["url"] for e in got] == [e["url"] for e in expected]
    for e, m in zip(got, expected):
        assert (e["local_date"], e["local_time"]) == viewer.model.local(m, zone)
        assert e["time_known"] == (viewer.model.instant(m) is not None)
        assert e["show"]["network"]["timezone"] is not None or e["show"]["network"]["kind"] == "web"


@pytest.mark.parametrize("per_page", [1, 7])
def test_zone_pages_never_skip_or_repeat(viewer, per_page):
    window = ("2026-03-28", "2026-03-30")
    expected = viewer.model.schedule(*window, tz="Pacific/Auckland")
    got, totals = viewer.pages(TV, per_page, date_from=window[0], date_to=window[1],
                               tz="Pacific/Auckland")
    assert totals == {len(expected)} and [e["url"] for e in got] == [e["url"] for e in expected]


def local_of(viewer, url_part, zone, day):
    body = viewer.server.get(q(TV, date_from=day, date_to=day, tz=zone, per_page=100)).json()
    return [(e["airdate"], e["airtime"], e["local_date"], e["local_time"]) for e in body["data"]
            if e["url"].endswith(url_part)]


def derived_url(viewer, date, time_):
    return next(e["url"] for e in viewer.model.episodes.values()
                if e["airdate"] == date and e["airtime"] == time_ and e["id"] >= 90_000_000)


def test_after_midnight_in_new_york_is_the_evening_before_in_los_angeles(viewer):
    url = derived_url(viewer, "2020-12-02", "00:35")
    want = {("America/Los_Angeles", "2020-12-01"): ("2020-12-01", "21:35"),
            ("America/New_York", "2020-12-02"): ("2020-12-02", "00:35"),
            ("UTC", "2020-12-02"): ("2020-12-02", "05:35"),
            ("Pacific/Auckland", "2020-12-02"): ("2020-12-02", "18:35")}
    for (zone, day), local in want.items():
        got = local_of(viewer, url, zone, day)
        assert [g[2:] for g in got] == [local], zone
    # not on the New York airdate in Los Angeles
    assert local_of(viewer, url, "America/Los_Angeles", "2020-12-02") == []


# The changes of 2026: London and Berlin move on 29 March and 25 October at
# 01:00 UTC; New York and Los Angeles on 8 March and 1 November at 02:00
# local, three hours apart. The instants are in the comments.
@pytest.mark.parametrize("date,time_,zone,local", [
    ("2026-03-29", "00:30", "Europe/Berlin", ("2026-03-29", "01:30")),  # 00:30Z, before
    ("2026-03-29", "02:30", "Europe/Berlin", ("2026-03-29", "03:30")),  # 01:30Z, after
    ("2026-03-29", "23:30", "America/Los_Angeles", ("2026-03-29", "15:30")),  # 22:30Z
    ("2026-10-25", "00:30", "Europe/Berlin", ("2026-10-25", "01:30")),  # 10-24 23:30Z
    ("2026-10-25", "02:30", "Europe/Berlin", ("2026-10-25", "03:30")),  # 02:30Z
    ("2026-03-08", "01:30", "America/Los_Angeles", ("2026-03-07", "22:30")),  # 06:30Z
    ("2026-03-08", "03:30", "America/Los_Angeles", ("2026-03-07", "23:30")),  # 07:30Z, LA still PST
    ("2026-03-08", "03:30", "Europe/London", ("2026-03-08", "07:30")),
    ("2026-11-01", "00:30", "America/Los_Angeles", ("2026-10-31", "21:30")),  # 04:30Z
    ("2026-11-01", "02:30", "America/Los_Angeles", ("2026-11-01", "00:30")),  # 07:30Z, LA still PDT
    ("2026-11-01", "23:30", "Pacific/Auckland", ("2026-11-02", "17:30")),  # 11-02 04:30Z
])
def test_daylight_saving_changes(viewer, date, time_, zone, local):
    url = derived_url(viewer, date, time_)
    day = local[0]
    assert [g[2:] for g in local_of(viewer, url, zone, day)] == [local]


def test_unknown_times_stay_on_their_airdate_after_the_timed_episodes(viewer):
    for zone in ZONES:
        body = viewer.server.get(q(TV, date_from="2026-03-29", date_to="2026-03-29", tz=zone,
                                   per_page=100)).json()
        flags = [e["time_known"] for e in body["data"]]
        assert False in flags, zone
        first = flags.index(False)
        assert all(f is False for f in flags[first:]) and all(flags[:first]), zone
        for e in body["data"][first:]:
            assert e["local_date"] == e["airdate"] == "2026-03-29" and e["local_time"] is None


def test_without_tz_nothing_changes(viewer):
    a = viewer.server.get(q(TV, date_from="2026-03-29", date_to="2026-03-29", per_page=100)).json()
    assert all("local_date" not in e and "local_time" not in e for e in a["data"])
    expected = viewer.model.schedule("2026-03-29", "2026-03-29")
    assert [e["url"] for e in a["data"]] == [e["url"] for e in expected]


@pytest.mark.parametrize("tz", ["Mars/Olympus", "europe/berlin", "../../etc/passwd",
                                "Europe/Berlin ", "UTC+1", "x" * 70, "Europe"])
def test_a_bad_zone_is_a_400_naming_tz(viewer, tz):
    r = viewer.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-03", tz=tz))
    assert r.status == 400
    assert r.json() == {"error": "Invalid parameter: tz",
                        "details": "must be an IANA time zone name such as Europe/Berlin or "
                                   "America/New_York"}


# ---- premieres and filters ----

FILTERS = [
    {"premieres": "series"}, {"premieres": "season"}, {"premieres": "any"},
    {"premieres": "series,season"}, {"premieres": "finale"},
    {"genre": "Drama"}, {"genre": "drama,comedy"}, {"genre": "Science-Fiction"},
    {"exclude_genre": "Children"}, {"genre": "Romance", "exclude_genre": "Drama"},
    {"language": "english"}, {"language": "Norwegian"}, {"language": "Klingon"},
    {"type": "Reality"}, {"type": "talk show"}, {"status": "Running"}, {"status": "ended"},
    {"kind": "web"}, {"kind": "network"}, {"kind": "web", "country": "GB"},
    {"distributor": "Netflix,HBO Max"}, {"distributor": "BBC One, BBC Two ,ITV1"},
    {"distributor": "Netflix", "premieres": "any"},
    {"new_shows": "true"}, {"new_shows": "false"},
    {"genre": "Drama", "rating": 6, "country": "US", "kind": "network"},
]


@pytest.mark.parametrize("window", [("2020-11-01", "2021-01-31"), ("2026-07-01", "2026-07-31"),
                                    ("2023-12-25", "2024-01-07")])
@pytest.mark.parametrize("filters", FILTERS)
def test_filters_match_the_model(viewer, window, filters):
    model_filters = dict(filters)
    if "new_shows" in model_filters:
        model_filters["new_shows"] = filters["new_shows"] == "true"
    if "rating" in model_filters:
        model_filters["rating"] = float(filters["rating"])
    expected = viewer.model.schedule(*window, **model_filters)
    for per_page in (4, 100):
        got, totals = viewer.pages(TV, per_page, date_from=window[0], date_to=window[1],
                                   **filters)
        assert totals == {len(expected)}
        assert [e["url"] for e in got] == [e["url"] for e in expected]


@pytest.mark.parametrize("filters", [{"genre": "Drama"}, {"premieres": "any"},
                                     {"kind": "web", "language": "English"}])
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland"])
def test_filters_combine_with_zones(viewer, filters, zone):
    window = ("2026-07-02", "2026-07-08")
    expected = viewer.model.schedule(*window, tz=zone, **filters)
    got, totals = viewer.pages(TV, 5, date_from=window[0], date_to=window[1], tz=zone, **filters)
    assert totals == {len(expected)} and [e["url"] for e in got] == [e["url"] for e in expected]


def test_premiere_field_says_which(viewer):
    got, _ = viewer.pages(TV, 100, date_from="2026-07-01", date_to="2026-07-31")
    seen = set()
    for e in got:
        m = next(x for x in viewer.model.episodes.values() if x["url"] == e["url"])
        assert e["premiere"] == viewer.model.premiere(m)
        assert e["season_finale"] is None
        seen.add(e["premiere"])
    assert seen == {None, "series", "season"}


GENRES = ("Action, Adult, Adventure, Anime, Children, Comedy, Crime, DIY, Drama, Espionage, "
          "Family, Fantasy, Food, History, Horror, Legal, Medical, Music, Mystery, Nature, "
          "Romance, Science-Fiction, Sports, Supernatural, Thriller, Travel, War, Western")


@pytest.mark.parametrize("params,key,details", [
    ({"genre": "Drame"}, "genre", "must be TVmaze genres separated by commas: " + GENRES),
    ({"genre": ","}, "genre", "must be TVmaze genres separated by commas: " + GENRES),
    ({"exclude_genre": "Soap"}, "exclude_genre",
     "must be TVmaze genres separated by commas: " + GENRES),
    ({"premieres": "pilot"}, "premieres",
     "must be series, season, any or finale (or several, separated by commas)"),
    ({"premieres": "series,"}, None, None),
    ({"kind": "cable"}, "kind", "must be network or web"),
    ({"kind": " "}, "kind", "must be network or web"),
    ({"status": "Cancelled"}, "status",
     "must be Running, Ended, To Be Determined or In Development"),
    ({"language": "x" * 61}, "language", "must be a language name such as English"),
    ({"language": "Eng\x01lish"}, "language", "must be a language name such as English"),
    ({"type": "y" * 61}, "type", "must be a show type such as Scripted or Reality"),
    ({"new_shows": "yes"}, "new_shows", "must be true or false"),
    ({"distributor": ",".join(["HBO"] * 17)}, "distributor",
     "must be a name of at most 200 characters, or up to 16 names separated by commas"),
    ({"distributor": "x" * 201 + ",HBO"}, "distributor",
     "must be a name of at most 200 characters, or up to 16 names separated by commas"),
])
def test_filter_errors_are_exact(viewer, params, key, details):
    r = viewer.server.get(q(TV, date_from="2026-07-03", date_to="2026-07-05", **params))
    if key is None:
        assert r.status == 200
        return
    assert r.status == 400
    assert r.json() == {"error": "Invalid parameter: %s" % key, "details": details}
    assert r.header("Cache-Control") == "no-store"


def test_genres_lists_the_genres_of_shows_with_episodes(viewer):
    names = set()
    for ep in viewer.model.episodes.values():
        names.update(viewer.model.show_of(ep).get("genres") or [])
    body = viewer.server.get("/api/v1/genres").json()
    assert body == {"data": sorted(names)}


# ---- search and lookup ----

SEARCHES = [
    ("eastenders", "EastEnders"), ("EASTENDERS", "EastEnders"), ("eastend", "EastEnders"),
    ("estenders", "EastEnders"), ("eastedners", "EastEnders"), ("emmerdale", "Emmerdale"),
    ("emerdale", "Emmerdale"), ("love island", "Love Island"), ("love isl", "Love Island"),
    ("aftersun", "Love Island: Aftersun"), ("eden hotel", "Éden Hotel"), ("Éden", "Éden Hotel"),
    ("forstegangstjenesten", "Førstegangstjenesten"), ("склифосовский", "Склифосовский"),
    ("Склиф", "Склифосовский"), ("var tid ar nu", "Vår tid är nu"),
    ("the mandalorian", "The Mandalorian"), ("wheel of fortnue", "Wheel of Fortune"),
    ("jeopardy", "Jeopardy!"), ("kismetse olur", "Kısmetse Olur: Aşkın Gücü"),
    ("bridgreton", "Bridgerton"), ("tonight show", "The Tonight Show Starring Jimmy Fallon"),
    ("late show colbert", "The Late Show with Stephen Colbert"), ("巨人", "進撃の巨人"),
    ("進撃の巨人", "進撃の巨人"), ("  LOVE   island!  ", "Love Island"), ("zzzzqqqq", None),
]


@pytest.fixture(scope="module")
def store_search(viewer, tmp_path_factory):
    """A second server on the same data whose searches the database's own
    trigram index answers (pg_trgm, FTS5): no name index in memory."""
    s = Server(base_env({"DATABASE_URL": viewer.db.url, "THREADS": "2", "SEARCH_INDEX_MB": "0"}),
               tmp_path_factory.mktemp("store-search")).start()
    yield s
    s.check_clean_exit(s.stop())


@pytest.mark.parametrize("answered_by", ["name index", "database index"])
@pytest.mark.parametrize("query,first", SEARCHES)
def test_search_finds_the_show_people_mean(viewer, store_search, query, first, answered_by):
    server = viewer.server if answered_by == "name index" else store_search
    body = server.get(q("/api/v1/search/shows", q=query)).json()
    names = [s["name"] for s in body["data"]]
    if first is None:
        assert names == []
    else:
        assert names and names[0] == first, names
    assert len(names) <= 10 and len(set(s["id"] for s in body["data"])) == len(names)


def test_search_limit_and_ranking_of_prefixes(viewer):
    body = viewer.server.get(q("/api/v1/search/shows", q="love island", limit=3)).json()
    names = [s["name"] for s in body["data"]]
    assert len(names) == 3 and names[0] == "Love Island"
    assert all(n.startswith("Love Island") for n in names)


def test_search_follows_a_new_import(tvshows, serve, tmp_path):
    """The name index is rebuilt for each data generation: a show imported
    while the server runs is found, and the cached answer without it is not
    served again."""
    assert tvshows.run("migrate").returncode == 0
    first = os.path.join(FIXTURES, "schedule-web-2020-12-04.json")
    assert tvshows.run("import", "--file", first).returncode == 0
    s = serve()
    path = q("/api/v1/search/shows", q="var tid ar nu")
    assert s.get(path).json() == {"data": []}
    later = os.path.join(FIXTURES, "schedule-web-2020-12-25.json")
    assert tvshows.run("import", "--file", later).returncode == 0
    deadline = time.time() + 10
    while True:
        names = [x["name"] for x in s.get(path).json()["data"]]
        if names or time.time() > deadline:
            break
        time.sleep(0.1)
    assert names and names[0] == "Vår tid är nu"


@pytest.mark.parametrize("params,key,details", [
    ({}, "q", "is required: the name, or part of the name, of a show"),
    ({"q": ""}, "q", "is required: the name, or part of the name, of a show"),
    ({"q": "x" * 201}, "q", "must be text of at most 200 characters"),
    ({"q": "a\x00b"}, "q", "must be text of at most 200 characters"),
    ({"q": "lost", "limit": "0"}, "limit", "must be an integer from 1 to 50"),
    ({"q": "lost", "limit": "51"}, "limit", "must be an integer from 1 to 50"),
])
def test_search_errors(viewer, params, key, details):
    r = viewer.server.get(q("/api/v1/search/shows", **params))
    assert r.status == 400
    assert r.json() == {"error": "Invalid parameter: %s" % key, "details": details}


def test_lookup_by_each_external_id(viewer):
    ids = set()
    for params in ({"tvmaze": 793}, {"imdb": "tt0088512"}, {"thetvdb": 71753}):
        body = viewer.server.get(q("/api/v1/lookup/shows", **params)).json()
        assert body["data"]["name"] == "EastEnders"
        assert body["data"]["externals"] == {"tvmaze": 793, "imdb": "tt0088512", "thetvdb": 71753}
        assert "summary" in body["data"]
        ids.add(body["data"]["id"])
    assert len(ids) == 1
    body = viewer.server.get(q("/api/v1/lookup/shows", imdb="tt2560140")).json()
    assert body["data"]["name"] == "進撃の巨人"


@pytest.mark.parametrize("params,status,body", [
    ({}, 400, {"error": "Give exactly one of the parameters tvmaze, imdb and thetvdb"}),
    ({"tvmaze": 1, "imdb": "tt1"}, 400,
     {"error": "Give exactly one of the parameters tvmaze, imdb and thetvdb"}),
    ({"imdb": "0088512"}, 400,
     {"error": "Invalid parameter: imdb", "details": "must be an IMDb id such as tt0944947"}),
    ({"imdb": "tt"}, 400,
     {"error": "Invalid parameter: imdb", "details": "must be an IMDb id such as tt0944947"}),
    ({"tvmaze": "12a"}, 400,
     {"error": "Invalid parameter: tvmaze", "details": "must be a positive integer id"}),
    ({"thetvdb": "0"}, 400,
     {"error": "Invalid parameter: thetvdb", "details": "must be a positive integer id"}),
    ({"tvmaze": "999999999"}, 404,
     {"error": "Resource not found", "details": "No show with tvmaze 999999999"}),
    ({"imdb": "tt0000001"}, 404,
     {"error": "Resource not found", "details": "No show with imdb tt0000001"}),
])
def test_lookup_errors(viewer, params, status, body):
    r = viewer.server.get(q("/api/v1/lookup/shows", **params))
    assert (r.status, r.json()) == (status, body)


# ---- what's next ----

def request_at_one_step(viewer, path):
    """A response and the time step it was made in (retried when the request
    straddled a step boundary)."""
    for _ in range(5):
        before = int(time.time()) // NOW_STEP * NOW_STEP
        body = viewer.server.get(path).json()
        after = int(time.time()) // NOW_STEP * NOW_STEP
        if before == after:
            return body, before
    raise AssertionError("could not make a request within one time step")


def model_next(viewer, show_id, now):
    """The model's next episode of a TVmaze show as of instant now."""
    today = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).date().isoformat()
    stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    cands = []
    for ep in viewer.model.episodes.values():
        if viewer.model.show_of(ep)["id"] != show_id or ep["airdate"] < today:
            continue
        t = viewer.model.instant(ep)
        if ep["airdate"] > today or t is None or t >= stamp:
            num = ep.get("number")
            from fixture_model import time_sort
            cands.append(((ep["airdate"], time_sort(ep.get("airtime")), ep.get("season") or 0,
                           2147483647 if num is None else num, ep["id"]), ep))
    return min(cands)[1] if cands else None


def test_every_show_says_its_next_episode(viewer):
    start = viewer.today - datetime.timedelta(days=1)
    end = viewer.today + datetime.timedelta(days=3)
    body, now = request_at_one_step(viewer, q(TV, date_from=start.isoformat(),
                                              date_to=end.isoformat(), per_page=100))
    assert body["data"]
    checked = 0
    for e in body["data"]:
        tvmaze_show = e["show"]["externals"]["tvmaze"]
        want = model_next(viewer, tvmaze_show, now)
        got = e["show"]["next_episode"]
        if want is None:
            assert got is None
            continue
        checked += 1
        assert got["airdate"] == want["airdate"] and got["name"] == want["name"]
        assert got["season"] == want["season"] and got["number"] == want.get("number")
        assert got["airstamp"] == (want["airstamp"].replace("+00:00", "Z")
                                   if want["airtime"] else None)
    assert checked > 10
    # shows whose episodes all lie in the past have none
    old = viewer.server.get(q(TV, date_from="2020-12-04", date_to="2020-12-04")).json()
    assert all(e["show"]["next_episode"] is None for e in old["data"]
               if model_next(viewer, e["show"]["externals"]["tvmaze"], now) is None)


@pytest.mark.parametrize("zone,days", [("Europe/London", 1), ("America/Los_Angeles", 2),
                                       ("Pacific/Auckland", 3), ("UTC", 1)])
def test_upcoming_is_what_is_on_from_now(viewer, zone, days):
    from zoneinfo import ZoneInfo
    body, now = request_at_one_step(viewer, q("/api/v1/upcoming", tz=zone, days=days,
                                              per_page=100))
    nowdt = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    first = nowdt.astimezone(ZoneInfo(zone)).date()
    last = first + datetime.timedelta(days=days - 1)
    expected = [e for e in viewer.model.schedule(first.isoformat(), last.isoformat(), tz=zone)
                if viewer.model.instant(e) is None or viewer.model.instant(e) >= nowdt]
    assert body["pagination"]["total_count"] == len(expected)
    assert [e["url"] for e in body["data"]] == [e["url"] for e in expected[:100]]
    assert all("local_date" in e for e in body["data"])


def test_upcoming_defaults_to_tonight_in_utc_and_checks_days(viewer):
    body = viewer.server.get("/api/v1/upcoming").json()
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert all(e["local_date"] == today for e in body["data"])
    for bad in ("0", "32", "two"):
        r = viewer.server.get(q("/api/v1/upcoming", days=bad))
        assert (r.status, r.json()) == (400, {"error": "Invalid parameter: days",
                                              "details": "must be an integer from 1 to 31"})


# ---- the schema ----

def test_migration_gives_stored_shows_their_search_names(tvshows, db, serve):
    # a database of the schema before search: shows stored then are found
    # once `tvshows migrate` has brought it up to date
    assert tvshows.run("migrate", "--to", "4").returncode == 0
    db.execute("INSERT INTO distributors (id, kind, tvmaze_id, name) VALUES (1, 'network', 1, 'BBC One')")
    db.execute("INSERT INTO shows (id, tvmaze_id, name, network_id, genres, updated)"
             " VALUES (1, 1, 'Éden Hotel', 1, '[]', 0)")
    db.execute("INSERT INTO episodes (id, tvmaze_id, show_id, name, season, number, airdate,"
             " airtime, time_sort, number_sort, show_name) VALUES (1, 1, 1, 'One', 1, 1,"
             " '2026-07-03', '', 1440, 1, 'Éden Hotel')")
    p = tvshows.run("migrate")
    assert p.returncode == 0, p.stderr
    s = serve()
    body = s.get(q("/api/v1/search/shows", q="eden")).json()
    assert [x["name"] for x in body["data"]] == ["Éden Hotel"]
