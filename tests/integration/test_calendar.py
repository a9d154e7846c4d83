"""iCalendar feeds (RFC 5545), parsed with a real iCalendar parser (Debian's
python3-icalendar) and compared event by event with the JSON API for the
same filters."""
import datetime
import glob
import gzip
import json
import os
import re
import shutil
import urllib.parse

import icalendar
import pytest

from conftest import FIXTURES, ROOT, Database, Server, Tvshows, base_env

CAL = "/api/v1/calendar.ics"
TV = "/api/v1/tvshows"


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


class Feeds:
    def __init__(self, db, server, tvshows, folder, model):
        self.db, self.server, self.tvshows, self.folder, self.model = (db, server, tvshows,
                                                                       folder, model)

    def calendar(self, **params):
        r = self.server.get(q(CAL, **params), validate=False)
        assert r.status == 200, r.body[:300]
        assert r.header("Content-Type") == "text/calendar; charset=utf-8"
        return r, icalendar.Calendar.from_ical(r.body.decode("utf-8"))

    def episodes(self, **params):
        out, page = [], 1
        while True:
            body = self.server.get(q(TV, page=page, per_page=100, **params)).json()
            if not body["data"]:
                return out
            out += body["data"]
            page += 1


@pytest.fixture(scope="module")
def feeds(tmp_path_factory, pg):
    import openapi_check
    from derived_fixtures import derive
    from fixture_model import Model
    today = datetime.datetime.now(datetime.timezone.utc).date()
    tmp = tmp_path_factory.mktemp("feeds")
    folder = derive(FIXTURES, str(tmp / "fixtures"), today=today)
    d = Database(tmp, pg)
    t = Tvshows(d.url, tmp)
    files = sorted(glob.glob(os.path.join(folder, "schedule-*.json")))
    for args in (["migrate"], ["import", "--file"] + files):
        p = t.run(*args)
        assert p.returncode == 0, p.stderr
    s = Server(base_env({"DATABASE_URL": d.url, "THREADS": "2"}), tmp).start()
    s.spec = openapi_check.load(os.path.join(ROOT, "docs", "openapi.json"))
    yield Feeds(d, s, t, folder, Model(folder))
    s.check_clean_exit(s.stop())
    d.drop()


def events(cal):
    return [c for c in cal.walk("VEVENT")]


def tvmaze_episode_id(url):
    return int(re.search(r"/episodes/(\d+)", url).group(1))


@pytest.mark.parametrize("params", [
    {"date_from": "2026-07-03", "date_to": "2026-07-07"},
    {"date_from": "2026-07-03", "date_to": "2026-07-07", "distributor": "BBC Two,ITV1"},
    {"date_from": "2020-12-01", "date_to": "2020-12-05", "genre": "Drama"},
    {"date_from": "2026-03-28", "date_to": "2026-03-30", "tz": "Europe/Berlin"},
    {"date_from": "2026-10-31", "date_to": "2026-11-02", "tz": "America/Los_Angeles",
     "kind": "network"},
])
def test_every_event_matches_the_json_api(feeds, params):
    r, cal = feeds.calendar(**params)
    json_eps = feeds.episodes(**params)
    evs = events(cal)
    assert json_eps and len(evs) == len(json_eps)
    by_uid = {str(e["UID"]): e for e in evs}
    assert len(by_uid) == len(evs)
    for ep in json_eps:
        ev = by_uid["tvmaze-episode-%d@tvshows" % tvmaze_episode_id(ep["url"])]
        start = ev.decoded("DTSTART")
        if ep["time_known"]:
            assert isinstance(start, datetime.datetime) and start.tzinfo is not None
            assert start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") == \
                ep["airstamp"]
            minutes = ep["runtime"] or 30
            assert ev.decoded("DTEND") - start == datetime.timedelta(minutes=minutes)
        else:
            # no invented hour: a whole day on the published airdate
            assert not isinstance(start, datetime.datetime)
            assert start.isoformat() == ep["airdate"]
            assert ev.decoded("DTEND") - start == datetime.timedelta(days=1)
        number = ep["episode_number"]
        want = ("%s \u2014 S%02dE%02d %s" % (ep["show"]["name"], ep["season"], number, ep["name"])
                if number is not None else
                "%s \u2014 S%02d special %s" % (ep["show"]["name"], ep["season"], ep["name"]))
        assert str(ev["SUMMARY"]) == want.rstrip()
        assert str(ev["URL"]) == ep["url"]
        dist = ep["show"]["distributor"]
        assert str(ev["LOCATION"]) == dist["name"]
        desc = str(ev["DESCRIPTION"])
        assert "<" not in desc and "TVmaze.com (CC BY-SA 4.0)" in desc
        assert int(ev["SEQUENCE"]) == 0


def test_lines_are_folded_and_crlf_terminated(feeds):
    r, _ = feeds.calendar(date_from="2026-07-03", date_to="2026-07-07")
    body = r.body
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # long descriptions were folded
    assert b"\n" not in body.replace(b"\r\n", b"")
    for line in lines:
        line.decode("utf-8")  # a fold never cuts a character


def test_text_is_escaped(feeds):
    _, cal = feeds.calendar(date_from="2020-12-01", date_to="2020-12-05")
    raw = feeds.calendar(date_from="2020-12-01", date_to="2020-12-05")[0].body.decode()
    assert "\\," in raw  # commas in summaries are escaped
    # and the parser gives them back unescaped
    assert any("," in str(e["DESCRIPTION"]) for e in events(cal))


def test_the_calendar_says_what_it_is(feeds):
    _, cal = feeds.calendar(date_from="2026-07-03", date_to="2026-07-07", distributor="BBC Two",
                            tz="Europe/London")
    assert str(cal["X-WR-CALNAME"]) == "TV schedule \u2014 BBC Two"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/London"
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"]).startswith("-//tvshows//")


def test_default_window_is_a_week_back_and_three_months_ahead(feeds):
    _, cal = feeds.calendar()
    today = datetime.datetime.now(datetime.timezone.utc).date()
    expected = feeds.model.schedule((today - datetime.timedelta(days=7)).isoformat(),
                                    (today + datetime.timedelta(days=90)).isoformat())
    assert expected and len(events(cal)) == len(expected)


def test_title_template(feeds):
    _, cal = feeds.calendar(date_from="2026-07-04", date_to="2026-07-04", distributor="BBC Two",
                            title="{network}: {show} {season}x{number} \u2014 {name}")
    titles = [str(e["SUMMARY"]) for e in events(cal)]
    assert titles and all(t.startswith("BBC Two: ") for t in titles)
    assert "BBC Two: Gardeners' World 59x17 \u2014 Episode 17" in titles or \
        any(re.match(r"BBC Two: .+ \d{2,4}x\d{2} \u2014 ", t) for t in titles)


@pytest.mark.parametrize("title", ["{show} {episode}", "{show", "show}", "{}", "x" * 201,
                                   "{show}\x01"])
def test_a_bad_title_template_is_a_400(feeds, title):
    r = feeds.server.get(q(CAL, title=title))
    assert r.status == 400
    assert r.json() == {"error": "Invalid parameter: title",
                        "details": "must be text of at most 200 characters that may use {show}, "
                                   "{season}, {number}, {name} and {network}"}


def test_etag_304_and_gzip(feeds):
    url = q(CAL, date_from="2026-07-03", date_to="2026-07-07")
    a = feeds.server.get(url, validate=False)
    etag = a.header("ETag")
    assert etag and feeds.server.get(url, headers={"If-None-Match": etag},
                                     validate=False).status == 304
    gz = feeds.server.get(url, headers={"Accept-Encoding": "gzip"}, validate=False)
    assert gz.header("Content-Encoding") == "gzip" and gzip.decompress(gz.body) == a.body


def test_filter_errors_are_those_of_the_schedule(feeds):
    r = feeds.server.get(q(CAL, tz="Nowhere/Else"))
    assert r.status == 400 and r.json()["error"] == "Invalid parameter: tz"
    r = feeds.server.get(q(CAL, date_from="2026-07-05", date_to="2026-07-01"))
    assert r.json() == {"error": "Start date cannot be after end date"}


def test_a_rescheduled_episode_keeps_its_uid_and_raises_its_sequence(feeds, tmp_path):
    # move one recorded episode by an hour and re-import its day
    day = "2026-07-05"
    src = os.path.join(feeds.folder, "schedule-GB-%s.json" % day)
    items = json.load(open(src, encoding="utf-8"))
    moved = next(i for i in items if i["airtime"] and i["airdate"] == day and
                 (i["show"].get("network") or {}).get("name") == "BBC Two")
    before = feeds.calendar(date_from=day, date_to=day)[1]
    uid = "tvmaze-episode-%d@tvshows" % moved["id"]
    old = next(e for e in events(before) if str(e["UID"]) == uid)
    h, m = moved["airtime"].split(":")
    moved["airtime"] = "%02d:%s" % ((int(h) + 1) % 24, m)
    stamp = datetime.datetime.fromisoformat(moved["airstamp"]) + datetime.timedelta(hours=1)
    moved["airstamp"] = stamp.isoformat()
    changed = tmp_path / ("schedule-GB-%s.json" % day)
    json.dump(items, open(changed, "w", encoding="utf-8"))
    p = feeds.tvshows.run("import", "--file", str(changed))
    assert p.returncode == 0, p.stderr
    ev = None
    for _ in range(50):  # the API sees the new generation within a second
        ev = next(e for e in events(feeds.calendar(date_from=day, date_to=day)[1])
                  if str(e["UID"]) == uid)
        if int(ev["SEQUENCE"]) == 1:
            break
        import time
        time.sleep(0.1)
    assert int(ev["SEQUENCE"]) == int(old["SEQUENCE"]) + 1 == 1
    assert ev.decoded("DTSTART") - old.decoded("DTSTART") == datetime.timedelta(hours=1)
    assert "LAST-MODIFIED" in ev and "LAST-MODIFIED" not in old
    # importing the same again moves nothing
    p = feeds.tvshows.run("import", "--file", str(changed))
    assert p.returncode == 0
    again = next(e for e in events(feeds.calendar(date_from=day, date_to=day)[1])
                 if str(e["UID"]) == uid)
    assert int(again["SEQUENCE"]) == 1
