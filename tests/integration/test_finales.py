"""Season finales: after an import, the seasons step asks the fake TVmaze for
/shows/:id/seasons (the recorded embeds of The Flash and House, generated
seasons for the other shows) and the API marks the last episode of a season
whose episodeOrder is known. Every answer is compared with a model computed
from the schedule files and the seasons the fake serves; the requests the
step makes are counted at the fake. The recorded schedules are moved into
the coming week so that their shows have upcoming episodes."""
import copy
import datetime
import glob
import json
import os
import re
import shutil
import time
import urllib.parse

import pytest

from conftest import FIXTURES, ROOT
from servers import free_port

TV = "/api/v1/tvshows"
CAL = "/api/v1/calendar.ics"
SEASONS = re.compile(r"^/shows/(\d+)/seasons$")
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
DAYS = 7
DERIVED = 91_000_000  # ids of derived episodes, above the recorded ones
FLASH, HOUSE = 13, 118  # shows whose seasons are recorded


def day(n):
    return (TODAY + datetime.timedelta(days=n)).isoformat()


def q(path, **params):
    return path + "?" + urllib.parse.urlencode(params)


def load(name):
    return json.load(open(os.path.join(FIXTURES, name), encoding="utf-8"))


def moved(item, date):
    """A recorded item on another day, its airstamp moved by as many days."""
    it = copy.deepcopy(item)
    delta = datetime.date.fromisoformat(date) - datetime.date.fromisoformat(it["airdate"])
    it["airdate"] = date
    if it.get("airstamp"):
        t = datetime.datetime.fromisoformat(it["airstamp"].replace("Z", "+00:00"))
        it["airstamp"] = (t + delta).isoformat()
    return it


def episode_of(template, show, n, date, season, number):
    """A US schedule item of show (a recorded show object) on date."""
    it = moved(template, date)
    it["show"] = {k: v for k, v in show.items() if k != "_embedded"}
    it["id"] = DERIVED + n
    it["url"] = "https://www.tvmaze.com/episodes/%d/derived" % it["id"]
    it["name"] = "Episode %d" % number
    it["season"], it["number"] = season, number
    return it


def write(folder, name, items):
    with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
        json.dump(items, fh)


def build_fixtures(folder):
    """The recorded GB week and a web day moved to the coming days; The
    Flash (recorded seasons: season 6 of 22 episodes, season 7 not known)
    and House (every episodeOrder null) in US schedules."""
    os.makedirs(folder)
    for i, d in enumerate(["2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06",
                           "2026-07-07"]):
        write(folder, "schedule-GB-%s.json" % day(i + 1),
              [moved(it, day(i + 1)) for it in load("schedule-GB-%s.json" % d)])
    write(folder, "schedule-web-%s.json" % day(3),
          [moved(it, day(3)) for it in load("schedule-web-2024-01-01.json")])
    template = load("schedule-US-2020-12-01.json")[0]
    flash = load("show-13-embed-seasons-2020-01-12.json")
    house = load("singlesearch-house-md-embed-seasons-2017-03-26.json")
    us = {day(1): [episode_of(template, flash, 1, day(1), 6, 21)],
          day(2): [episode_of(template, flash, 2, day(2), 6, 22),
                   episode_of(template, house, 3, day(2), 8, 1)],
          day(4): [episode_of(template, flash, 4, day(4), 7, 1)]}
    for d, items in us.items():
        write(folder, "schedule-US-%s.json" % d, items)
    for name in ("show-13-embed-seasons-2020-01-12.json",
                 "singlesearch-house-md-embed-seasons-2017-03-26.json"):
        shutil.copy(os.path.join(FIXTURES, name), folder)
    return folder


class Finales:
    """The model: each upcoming episode's season length as the fake serves
    it, and what season_finale must then say."""

    def __init__(self, folder, fake):
        from fixture_model import Model
        self.model = Model(folder)
        self.fake = fake
        self.lengths = {}
        for ep in self.model.episodes.values():
            show = self.model.show_of(ep)["id"]
            if show not in self.lengths:
                self.lengths[show] = {s["number"]: s.get("episodeOrder")
                                      for s in fake.seasons(show) or []}

    def finale(self, ep):
        length = self.lengths[self.model.show_of(ep)["id"]].get(ep["season"])
        return None if length is None else ep.get("number") == length

    def schedule(self):
        return self.model.schedule(day(0), day(DAYS - 1))

    def shows_in_order(self):
        """TVmaze ids of the shows with upcoming episodes, the soonest first."""
        first = {}
        for ep in self.schedule():
            sid = self.model.show_of(ep)["id"]
            first[sid] = min(first.get(sid, ep["airdate"]), ep["airdate"])
        return sorted(first, key=lambda s: (first[s], s))


@pytest.fixture
def world(tmp_path, tvshows, db, serve):
    from fake_tvmaze import FakeTvmaze
    folder = build_fixtures(str(tmp_path / "upcoming"))
    fake = FakeTvmaze(folder).start()
    assert tvshows.run("migrate").returncode == 0

    class World:
        pass
    w = World()
    w.folder, w.fake, w.db, w.tvshows = folder, fake, db, tvshows
    w.finales = Finales(folder, fake)
    w.env = {"TVMAZE_BASE_URL": fake.url, "IMPORT_RATE": "0", "IMPORT_BACKOFF_MS": "20",
             "IMPORT_TIMEOUT": "5"}
    w.server = None

    def run_import(*args, first=0, days=DAYS, **env):
        fake.reset_requests()
        p = tvshows.run("import", "--from", day(first), "--days", str(days), *args,
                        env=dict(dict(w.env, IMPORT_COUNTRIES="GB,US"), **env))
        assert p.returncode == 0, p.stdout + p.stderr
        return p

    def asked():
        return [int(SEASONS.match(r["path"]).group(1)) for r in fake.requests()
                if SEASONS.match(r["path"])]

    def api():
        if w.server is None:
            import openapi_check
            w.server = serve()
            w.server.spec = openapi_check.load(os.path.join(ROOT, "docs", "openapi.json"))
        return w.server

    def pages(path=TV, **params):
        out, page = [], 1
        while True:
            body = api().get(q(path, page=page, per_page=100, date_from=day(0),
                               date_to=day(DAYS - 1), **params)).json()
            if not body["data"]:
                return out
            out.extend(body["data"])
            page += 1

    w.run_import, w.asked, w.api, w.pages = run_import, asked, api, pages
    yield w
    fake.stop()


def by_url(model, got):
    eps = {e["url"]: e for e in model.model.episodes.values()}
    return [(e, eps[e["url"]]) for e in got]


def test_the_fixtures_hold_every_case(world):
    """The model has finales, episodes known not to be, and unknowns."""
    said = [world.finales.finale(e) for e in world.finales.schedule()]
    assert said.count(True) >= 5 and said.count(False) >= 20 and said.count(None) >= 20
    assert world.fake.seasons(FLASH)[5]["episodeOrder"] == 22
    assert world.fake.seasons(FLASH)[6]["episodeOrder"] is None


def test_an_import_marks_the_finales_the_seasons_say(world):
    p = world.run_import()
    shows = world.finales.shows_in_order()
    assert sorted(world.asked()) == sorted(shows)  # each show with upcoming episodes, once
    assert "seasons: %d of %d shows due asked" % (len(shows), len(shows)) in p.stdout
    got = world.pages()
    assert len(got) == len(world.finales.schedule())
    for e, m in by_url(world.finales, got):
        assert e["season_finale"] is world.finales.finale(m), e["url"]
    flash = {(e["season"], e["episode_number"]): e["season_finale"] for e in got
             if e["show"]["externals"]["tvmaze"] == FLASH}
    assert flash == {(6, 21): False, (6, 22): True, (7, 1): None}
    house = [e["season_finale"] for e in got if e["show"]["externals"]["tvmaze"] == HOUSE]
    assert house == [None]
    # a show's own episodes say the same
    show_id = next(e["show"]["id"] for e in got if e["show"]["externals"]["tvmaze"] == FLASH)
    eps = world.api().get("/api/v1/shows/%d/episodes?per_page=100" % show_id).json()["data"]
    assert {(e["season"], e["episode_number"]): e["season_finale"] for e in eps} == flash


@pytest.mark.parametrize("premieres", ["finale", "series,finale", "any,finale"])
def test_premieres_finale_keeps_exactly_the_finales(world, premieres):
    world.run_import()
    want = set(premieres.split(","))
    want |= {"series", "season"} if "any" in want else set()
    expected = [m for m in world.finales.schedule()
                if world.finales.finale(m) is True or world.finales.model.premiere(m) in want]
    got = world.pages(premieres=premieres)
    assert [e["url"] for e in got] == [m["url"] for m in expected]
    assert any(e["season_finale"] for e in got)
    # the calendar feed shares the filters
    r = world.api().get(q(CAL, date_from=day(0), date_to=day(DAYS - 1), premieres=premieres),
                        validate=False)
    assert r.status == 200
    uids = re.findall(r"UID:tvmaze-episode-(\d+)@tvshows", r.body.decode("utf-8"))
    assert sorted(int(u) for u in uids) == sorted(m["id"] for m in expected)


def test_the_change_feed_keeps_exactly_the_finales_for_premieres_finale(world):
    world.run_import()
    finales = {m["id"] for m in world.finales.schedule() if world.finales.finale(m) is True}
    assert finales
    got, cursor = [], None
    while True:
        params = dict(limit=500, premieres="finale")
        if cursor:
            params["since"] = cursor
        body = world.api().get(q("/api/v1/changes", **params)).json()
        got += body["data"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert {c["episode"]["tvmaze_id"] for c in got} == finales
    assert all(c["kind"] == "added" for c in got)


def test_the_step_is_bounded_and_fresh_shows_are_not_asked_again(world):
    shows = world.finales.shows_in_order()
    assert len(shows) > 100
    seen = []
    for start in range(0, len(shows), 40):
        p = world.run_import(IMPORT_SEASONS_MAX="40")
        # the soonest-airing shows not asked yet, 40 of them, each once
        assert world.asked() == shows[start:start + 40], p.stdout
        assert "left for the next import" in p.stdout
        seen += world.asked()
    assert sorted(seen) == sorted(shows)
    world.run_import(IMPORT_SEASONS_MAX="40")
    assert world.asked() == []  # all fresh: nothing due
    assert [e["season_finale"] for e in world.pages()] == \
        [world.finales.finale(m) for m in world.finales.schedule()]


def test_a_seasons_step_keeps_the_next_import_from_parsing_unchanged_days(world):
    """The step moves the data generation (the API must see new lengths)
    but changes no episode: the import's body digests stay good, so an
    import whose answers did not change parses none of its days."""
    def units(p):
        total = int(re.search(r"import succeeded: (\d+) of", p.stdout).group(1))
        same = int(re.search(r"(\d+) days unchanged upstream, not parsed", p.stdout).group(1))
        return total, same

    world.run_import(IMPORT_SEASONS_MAX="0")
    world.run_import(IMPORT_SEASONS_MAX="0")  # shows shared by days settle
    p = world.run_import()
    assert world.asked()  # the step wrote lengths, moving the generation
    total, before = units(p)
    assert before > total // 2, p.stdout
    again = world.run_import()
    assert units(again) == (total, before), again.stdout


def age(world, tvmaze_id, seconds):
    world.db.execute("UPDATE season_checks SET checked_at = checked_at - %d WHERE show_id ="
                     " (SELECT id FROM shows WHERE tvmaze_id = %d)" % (seconds, tvmaze_id))


def test_stale_shows_and_new_seasons_are_asked_again(world):
    world.run_import()
    shows = world.finales.shows_in_order()
    stale, new_season, too_soon = shows[3], shows[5], shows[7]
    age(world, stale, 8 * 86400)  # older than a week
    # a new season, seen a day after the last check, and just after it
    name = "schedule-US-%s.json" % day(5)
    template = load("schedule-US-2020-12-01.json")[0]
    items = []
    for n, sid in enumerate((new_season, too_soon)):
        show = world.finales.model.shows[sid]
        top = max(s for s in world.finales.lengths[sid])
        items.append(episode_of(template, show, 100 + n, day(5), top + 1, 1))
    write(world.folder, name, items)
    age(world, new_season, 21 * 3600)
    world.run_import()
    assert sorted(world.asked()) == sorted([stale, new_season])
    world.run_import()
    assert world.asked() == []


def test_a_show_tvmaze_does_not_know_is_not_asked_again(world):
    gone = world.finales.shows_in_order()[0]
    world.fake.set_faults([{"path": "/shows/%d/seasons" % gone, "kind": "404", "times": -1}])
    p = world.run_import()
    assert gone in world.asked() and "1 unknown to TVmaze" in p.stdout
    world.run_import()
    assert world.asked() == []
    got = [e for e in world.pages() if e["show"]["externals"]["tvmaze"] == gone]
    assert got and all(e["season_finale"] is None for e in got)


def test_new_lengths_reach_a_running_api(world):
    # an import whose seasons all fail: the step gives up after three
    world.fake.set_faults([{"path": "/shows/*/seasons", "kind": "500", "times": -1}])
    p = world.run_import(IMPORT_RETRIES="0")
    assert len(world.asked()) == 3 and "3 failed" in p.stdout, p.stdout
    # one day again, without the step: its shows as that day lists them
    # (a show listed on several days with different payloads is written
    # again by every import of them)
    one_day = dict(first=1, days=1, IMPORT_COUNTRIES="GB", IMPORT_WEB="false")
    world.run_import(IMPORT_SEASONS_MAX="0", **one_day)
    assert world.asked() == []
    before = world.pages()  # the API holds these days now
    assert len(before) == len(world.finales.schedule())
    assert all(e["season_finale"] is None for e in before)
    # and again, which changes nothing stored, and the seasons come: their
    # write alone must reach the API
    world.fake.clear_faults()
    p = world.run_import(**one_day)
    assert " 0 rows upserted, 0 episodes removed" in p.stdout, p.stdout
    assert "seasons changed" in p.stdout
    # the API learns of a new generation at its next poll (a quarter of a
    # second): without one, the lengths would never reach it
    want = [world.finales.finale(m) for m in world.finales.schedule()]
    deadline = time.time() + 5
    while True:
        after = world.pages()
        if [e["season_finale"] for e in after] == want or time.time() > deadline:
            break
        time.sleep(0.1)
    assert [e["season_finale"] for e in after] == want
    assert any(e["season_finale"] for e in after)


def test_an_unreachable_upstream_for_seasons_leaves_the_rest_working(world):
    dead = free_port()  # nothing listens: connections are refused
    world.fake.set_faults([{"path": "/shows/*/seasons", "kind": "redirect", "times": -1,
                            "location": "https://127.0.0.1:%d/seasons" % dead}])
    t0 = time.time()
    p = world.run_import()
    assert time.time() - t0 < 30
    assert "stopped: TVmaze is unreachable" in p.stdout, p.stdout
    assert "import succeeded" in p.stdout
    assert 1 <= len(world.asked()) <= 2  # the first show, tried once more, then no more
    assert world.db.scalar("SELECT count(*) FROM season_checks") == "0"
    got = world.pages()
    assert len(got) == len(world.finales.schedule())
    assert all(e["season_finale"] is None for e in got)
    assert world.api().get("/ready").status == 200
    # nothing was marked asked: the next import asks for every show
    world.fake.clear_faults()
    world.run_import()
    assert sorted(world.asked()) == sorted(world.finales.shows_in_order())
    assert any(e["season_finale"] for e in world.pages())


def test_the_embedded_worker_brings_finales_on_a_first_run(world, serve):
    """`scripts/run` on an empty database: the worker's first import, then
    its seasons job, with nothing done by hand."""
    s = serve(env=dict(world.env, SERVE_WORKER="true", IMPORT_DAYS=str(DAYS),
                       IMPORT_COUNTRIES="GB,US", WORKER_CONCURRENCY="2"))

    def finales():
        body = s.get(q(TV, date_from=day(0), date_to=day(DAYS - 1), premieres="finale",
                       per_page=100)).json()
        return [e["url"] for e in body["data"]]
    expected = [m["url"] for m in world.finales.schedule() if world.finales.finale(m)]
    deadline = time.time() + 90
    while time.time() < deadline and finales() != expected:
        time.sleep(0.5)
    assert finales() == expected
    jobs = [l for l in s.log_lines() if l.get("msg") == "job started"]
    assert [l["type"] for l in jobs].count("seasons") == 1
    assert sorted(world.asked()) == sorted(world.finales.shows_in_order())
    step = next(l for l in s.log_lines() if l.get("msg") == "seasons step")
    assert step["asked"] == len(world.finales.shows_in_order()) and step["requests"] == step["asked"]


def test_imports_of_files_ask_nothing(world, tvshows):
    files = sorted(glob.glob(os.path.join(world.folder, "schedule-*.json")))
    world.fake.reset_requests()
    p = tvshows.run("import", "--file", *files, env=world.env)
    assert p.returncode == 0, p.stderr
    assert world.fake.requests() == [] and "seasons:" not in p.stdout
    assert all(e["season_finale"] is None for e in world.pages())
