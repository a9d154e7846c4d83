"""The importer against the fake TVmaze upstream serving the recorded
fixtures over real HTTP on loopback, with injected faults."""
import glob
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import BACKEND, BIN, FIXTURES, base_env, psql_session, sanitizer_report
from servers import free_port

TABLES = {
    "distributors": "SELECT kind, tvmaze_id, name, country_code, country_name, official_site"
                    " FROM distributors ORDER BY kind, tvmaze_id",
    "shows": "SELECT tvmaze_id, name, type, language, status, runtime, premiered, rating,"
             " genres, schedule_time, schedule_days, summary, updated FROM shows ORDER BY tvmaze_id",
    "episodes": "SELECT tvmaze_id, name, season, number, type, airdate, airtime, airstamp, runtime,"
                " rating, summary, url, show_name FROM episodes ORDER BY tvmaze_id",
    "listings": "SELECT l.source, l.day, e.tvmaze_id FROM listings l JOIN episodes e"
                " ON e.id = l.episode_id ORDER BY 1, 2, 3",
    "meta": "SELECT key, value FROM meta ORDER BY key",
}

GB_DAYS = ["2026-07-03", "2026-07-04", "2026-07-05", "2026-07-06", "2026-07-07"]


def dump(db):
    return {t: db.query(sql) for t, sql in TABLES.items()}


def items_of(*names):
    out = []
    for n in names:
        out += json.load(open(os.path.join(FIXTURES, n), encoding="utf-8"))
    return out


@pytest.fixture
def importer(tvshows, fake_tvmaze):
    """Runs `tvshows import` against the fake upstream, with fast retries."""
    def run(*args, **env):
        # one thread: requests in day order on one connection, so faults
        # land on a known request
        e = {"TVMAZE_BASE_URL": fake_tvmaze.url, "IMPORT_BACKOFF_MS": "20",
             "IMPORT_TIMEOUT": "2", "IMPORT_RATE": "0", "WORKER_CONCURRENCY": "1"}
        e.update({k: str(v) for k, v in env.items()})
        return tvshows.run("import", *args, env=e, timeout=120)
    assert tvshows.run("migrate").returncode == 0
    return run


def progress_of(p):
    """The progress lines of an import's output: (what, day) of each."""
    lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    return {(l["msg"], l["day"]) for l in lines if l["msg"] in ("imported day", "day failed")}


def gb_week(importer, **env):
    return importer("--from", "2026-07-03", "--days", "5", "--countries", "GB", "--no-web", **env)


def test_import_gb_week_over_http_matches_the_fixture_counts(importer, db, fake_tvmaze):
    p = gb_week(importer)
    assert p.returncode == 0, p.stderr
    assert "import succeeded: 5 of 5 days ok, 0 failed" in p.stdout
    items = items_of(*("schedule-GB-%s.json" % d for d in GB_DAYS))
    shows = {i["show"]["id"] for i in items}
    nets = {i["show"]["network"]["id"] for i in items if i["show"]["network"]}
    webs = {i["show"]["webChannel"]["id"] for i in items if i["show"]["webChannel"]}
    assert int(db.scalar("SELECT count(*) FROM episodes")) == len({i["id"] for i in items})
    assert int(db.scalar("SELECT count(*) FROM shows")) == len(shows)
    assert int(db.scalar("SELECT count(*) FROM distributors WHERE kind='network'")) == len(nets)
    assert int(db.scalar("SELECT count(*) FROM distributors WHERE kind='web'")) == len(webs)
    reqs = fake_tvmaze.requests()
    assert sorted(r["query"]["date"] for r in reqs) == GB_DAYS
    assert all(r["path"] == "/schedule" and r["query"]["country"] == "GB" for r in reqs)
    run = db.query("SELECT status, days_total, days_ok, days_failed, requests, retries"
                   " FROM import_runs")
    assert run == [["succeeded", "5", "5", "0", "5", "0"]]


def test_web_and_country_fixtures_map_every_quirk(importer, db):
    assert importer("--from", "2020-12-01", "--days", "1", "--countries", "US",
                    "--no-web").returncode == 0
    for day in ("2020-12-04", "2020-12-25", "2024-01-01"):
        p = importer("--from", day, "--days", "1", "--countries", "")
        assert p.returncode == 0, p.stderr
    items = items_of("schedule-US-2020-12-01.json", "schedule-web-2020-12-04.json",
                     "schedule-web-2020-12-25.json", "schedule-web-2024-01-01.json")
    ids = {i["id"] for i in items}
    specials = {i["id"] for i in items if i["number"] is None}
    unknown_time = {i["id"] for i in items if i["airtime"] == ""}
    assert int(db.scalar("SELECT count(*) FROM episodes")) == len(ids)
    assert int(db.scalar("SELECT count(*) FROM episodes WHERE number IS NULL")) == len(specials) > 0
    assert int(db.scalar("SELECT count(*) FROM episodes WHERE airtime = ''")) == len(unknown_time) > 0
    assert int(db.scalar("SELECT count(*) FROM episodes WHERE time_sort = 1440")) == len(unknown_time)
    # a global web channel has no country
    assert db.query("SELECT country_code, country_name FROM distributors"
                    " WHERE kind='web' AND name='Netflix'") == [[None, None]]
    # non-ASCII text survives (Cyrillic channel, escaped \\u text in the 2024 file)
    assert db.scalar("SELECT count(*) FROM distributors WHERE name='Иви'") == "1"
    # offsets normalised to UTC
    assert db.scalar("SELECT count(*) FROM episodes WHERE airstamp NOT LIKE '%Z'") == "0"
    # keys absent from older responses are nulls, not errors
    assert db.scalar("SELECT count(*) FROM episodes WHERE rating IS NOT NULL") == str(
        sum(1 for i in {i["id"]: i for i in items}.values()
            if (i.get("rating") or {}).get("average") is not None))


def test_a_second_import_changes_nothing(importer, db):
    p = gb_week(importer)
    assert p.returncode == 0 and "0 days unchanged upstream, not parsed" in p.stdout
    before = dump(db)
    p = gb_week(importer)
    assert p.returncode == 0 and "0 rows upserted" in p.stdout
    # the same answers again: none is parsed, yet every day counts as imported
    assert "5 days unchanged upstream, not parsed" in p.stdout
    assert "5 of 5 days ok" in p.stdout
    items = items_of(*("schedule-GB-%s.json" % d for d in GB_DAYS))
    assert "%d episodes listed" % len(items) in p.stdout
    assert dump(db) == before
    assert db.query("SELECT status, days_ok, upserted FROM import_runs ORDER BY id")[1:] == [
        ["succeeded", "5", "0"]]


def rename_episode(fixtures_dir, day, episode, name):
    path = fixtures_dir / ("schedule-GB-%s.json" % day)
    data = json.load(open(path, encoding="utf-8"))
    hits = [i for i in data if i["id"] == episode]
    assert hits
    for i in hits:
        i["name"] = name
    json.dump(data, open(path, "w", encoding="utf-8"))


def episode_name(db, episode):
    return db.scalar("SELECT name FROM episodes WHERE tvmaze_id = %d" % episode)


def test_one_changed_episode_is_written_and_the_other_days_are_not_parsed(importer, db,
                                                                          fixtures_dir):
    assert gb_week(importer).returncode == 0
    before = dump(db)
    data = json.load(open(fixtures_dir / "schedule-GB-2026-07-06.json", encoding="utf-8"))
    target = data[3]["id"]
    rename_episode(fixtures_dir, "2026-07-06", target, "Changed Upstream")
    p = gb_week(importer)
    assert p.returncode == 0, p.stderr
    assert "4 days unchanged upstream, not parsed" in p.stdout
    assert "1 rows upserted" in p.stdout
    after = dump(db)
    row = [r for r in before["episodes"] if r[0] == str(target)][0]
    assert [r for r in after["episodes"] if r not in before["episodes"]] == [
        [row[0], "Changed Upstream"] + row[2:]]
    assert int(dict(after["meta"])["generation"]) == int(dict(before["meta"])["generation"]) + 1
    # and once written, that day is skipped like the others
    p = gb_week(importer)
    assert "5 days unchanged upstream, not parsed" in p.stdout and "0 rows upserted" in p.stdout
    assert dump(db) == after


WIMBLEDON = 3656616  # in both the 07-04 and the 07-05 country schedules


def test_a_day_whose_shared_episode_another_day_rewrote_is_written_again(importer, db,
                                                                         fixtures_dir):
    assert gb_week(importer).returncode == 0
    original = episode_name(db, WIMBLEDON)
    # 07-04 now names the episode differently; 07-05, written after it, did
    # not change: a full write of both leaves 07-05's name, and so must this
    rename_episode(fixtures_dir, "2026-07-04", WIMBLEDON, "Renamed On The 4th")
    p = gb_week(importer)
    assert p.returncode == 0, p.stderr
    assert "3 days unchanged upstream, not parsed" in p.stdout
    assert episode_name(db, WIMBLEDON) == original


def test_a_day_written_from_a_file_is_fetched_and_written_again(importer, tvshows, db,
                                                              fixtures_dir, tmp_path):
    assert gb_week(importer).returncode == 0
    original = episode_name(db, WIMBLEDON)
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy(fixtures_dir / "schedule-GB-2026-07-05.json", saved)
    rename_episode(saved, "2026-07-05", WIMBLEDON, "From A File")
    p = tvshows.run("import", "--file", str(saved / "schedule-GB-2026-07-05.json"))
    assert p.returncode == 0, p.stderr
    assert episode_name(db, WIMBLEDON) == "From A File"
    p = gb_week(importer)
    assert p.returncode == 0, p.stderr
    # the file's day forgot its digest, and so did 07-04, which lists the
    # episode the file changed
    assert "3 days unchanged upstream, not parsed" in p.stdout
    assert episode_name(db, WIMBLEDON) == original


def test_a_write_the_digests_do_not_know_of_makes_every_day_written(importer, db):
    assert gb_week(importer).returncode == 0
    before = dump(db)
    original = episode_name(db, WIMBLEDON)
    # what a binary without the digests does when it writes a day
    db.execute("UPDATE episodes SET name = 'Written Elsewhere' WHERE tvmaze_id = %d" % WIMBLEDON)
    db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    p = gb_week(importer)
    assert p.returncode == 0, p.stderr
    assert "0 days unchanged upstream, not parsed" in p.stdout
    assert episode_name(db, WIMBLEDON) == original
    after = dump(db)
    assert {k: v for k, v in after.items() if k != "meta"} == \
        {k: v for k, v in before.items() if k != "meta"}
    meta = dict(after["meta"])
    assert meta["bodies_generation"] == meta["generation"]
    p = gb_week(importer)
    assert "5 days unchanged upstream, not parsed" in p.stdout


def test_a_modified_fixture_changes_exactly_the_modified_rows(importer, db, fixtures_dir):
    assert gb_week(importer).returncode == 0
    before = dump(db)
    path = fixtures_dir / "schedule-GB-2026-07-06.json"
    data = json.load(open(path, encoding="utf-8"))
    target = data[0]
    target["name"] = "A New Title"
    target["show"]["rating"] = {"average": 9.1}
    target["show"]["updated"] = target["show"]["updated"] + 1
    json.dump(data, open(path, "w", encoding="utf-8"))
    assert gb_week(importer).returncode == 0
    after = dump(db)
    assert int(dict(after["meta"])["generation"]) == int(dict(before["meta"])["generation"]) + 1
    changed_eps = [r for r in after["episodes"] if r not in before["episodes"]]
    assert [r[0] for r in changed_eps] == [str(target["id"])]
    assert changed_eps[0][1] == "A New Title"
    changed_shows = [r for r in after["shows"] if r not in before["shows"]]
    assert [r[0] for r in changed_shows] == [str(target["show"]["id"])]
    assert changed_shows[0][7] in ("9.1", "9.1000000000000001")
    assert after["distributors"] == before["distributors"]


def test_an_episode_upstream_stops_listing_disappears(importer, db, fixtures_dir, serve):
    assert gb_week(importer).returncode == 0
    path = fixtures_dir / "schedule-GB-2026-07-03.json"
    data = json.load(open(path, encoding="utf-8"))
    gone = data.pop(0)
    json.dump(data, open(path, "w", encoding="utf-8"))
    p = gb_week(importer)
    assert p.returncode == 0 and "1 episodes removed" in p.stdout
    assert db.scalar("SELECT count(*) FROM episodes WHERE tvmaze_id = %d" % gone["id"]) == "0"


def test_an_episode_listed_by_two_days_stays_while_either_lists_it(importer, db, fixtures_dir):
    assert gb_week(importer).returncode == 0
    wimbledon = 3656616  # in both the 07-04 and the 07-05 country schedules
    path = fixtures_dir / "schedule-GB-2026-07-05.json"
    data = [i for i in json.load(open(path, encoding="utf-8")) if i["id"] != wimbledon]
    json.dump(data, open(path, "w", encoding="utf-8"))
    assert gb_week(importer).returncode == 0
    assert db.scalar("SELECT count(*) FROM episodes WHERE tvmaze_id = %d" % wimbledon) == "1"
    assert db.query("SELECT l.day FROM listings l JOIN episodes e ON e.id = l.episode_id"
                    " WHERE e.tvmaze_id = %d" % wimbledon) == [["2026-07-04"]]


def test_a_404_day_fails_and_keeps_its_listings(importer, db, fake_tvmaze):
    # TVmaze lists an empty day as [], never 404: a 404 is a broken answer
    assert gb_week(importer).returncode == 0
    before = dump(db)
    fake_tvmaze.set_faults([{"path": "/schedule", "date": "2026-07-07", "kind": "404"}])
    p = gb_week(importer)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "HTTP 404" in p.stderr and "2026-07-07/country:GB" in p.stderr
    assert "import partial: 4 of 5 days ok, 1 failed" in p.stdout
    assert dump(db) == before
    assert progress_of(p) == {("imported day", "2026-07-0%d" % d) for d in range(3, 7)} | {
        ("day failed", "2026-07-07")}


REFUSE = {
    "sqlite": "CREATE TRIGGER refuse BEFORE INSERT ON listings WHEN new.day = '2026-07-05'"
              " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    "postgres": "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;"
                " CREATE TRIGGER refuse BEFORE INSERT ON listings FOR EACH ROW"
                " WHEN (NEW.day = '2026-07-05') EXECUTE FUNCTION refuse()",
}


def test_a_day_the_database_refuses_fails_alone(importer, db, fixtures_dir):
    """SQLite writes the days of a run in batches, one transaction each: a
    day that fails there fails alone, and the next run writes it."""
    listed_upstream = {}
    for day in ("03", "04", "05", "06", "07"):
        items = json.load(open(fixtures_dir / ("schedule-GB-2026-07-%s.json" % day)))
        listed_upstream["2026-07-" + day] = str(len({i["id"] for i in items}))
    db.execute(REFUSE[BACKEND])
    p = gb_week(importer)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "import partial: 4 of 5 days ok, 1 failed" in p.stdout
    assert "2026-07-05/country:GB" in p.stderr and "refused by the test" in p.stderr
    assert progress_of(p) == {("imported day", d) for d in listed_upstream
                              if d != "2026-07-05"} | {("day failed", "2026-07-05")}
    listed = dict(db.query("SELECT day, count(*) FROM listings GROUP BY day"))
    assert listed == {d: n for d, n in listed_upstream.items() if d != "2026-07-05"}
    db.execute("DROP TRIGGER refuse" + (" ON listings; DROP FUNCTION refuse()"
                                        if BACKEND == "postgres" else ""))
    p = gb_week(importer)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "import succeeded: 5 of 5 days ok" in p.stdout
    listed = dict(db.query("SELECT day, count(*) FROM listings GROUP BY day"))
    assert listed == listed_upstream


def test_a_base_url_that_answers_404_removes_nothing(importer, db, fake_tvmaze):
    assert gb_week(importer).returncode == 0
    before = dump(db)
    p = gb_week(importer, TVMAZE_BASE_URL=fake_tvmaze.url + "/v2")
    assert p.returncode == 1
    assert "import failed: 0 of 5 days ok, 5 failed" in p.stdout
    assert "HTTP 404 (check TVMAZE_BASE_URL)" in p.stderr
    assert dump(db) == before
    assert db.query("SELECT status, days_ok, days_failed, removed FROM import_runs"
                    " ORDER BY id")[-1] == ["failed", "0", "5", "0"]


def test_a_day_that_drops_most_of_its_listings_is_written_and_warned(importer, db,
                                                                        fixtures_dir):
    assert gb_week(importer).returncode == 0
    listed = int(db.scalar("SELECT count(*) FROM listings WHERE day = '2026-07-07'"))
    assert listed > 2
    path = fixtures_dir / "schedule-GB-2026-07-07.json"
    items = json.load(open(path, encoding="utf-8"))
    json.dump(items[:1], open(path, "w", encoding="utf-8"))  # well-formed, nearly empty
    p = gb_week(importer)
    assert p.returncode == 0, p.stderr
    warnings = [json.loads(line) for line in p.stdout.splitlines()
                if "dropped a large share" in line]
    assert len(warnings) == 1
    w = warnings[0]
    assert (w["day"], w["source"], w["listed_before"], w["unlisted"]) == \
        ("2026-07-07", "country:GB", listed, listed - 1)
    assert db.scalar("SELECT count(*) FROM listings WHERE day = '2026-07-07'") == "1"


def test_the_removal_warning_follows_its_setting(importer, db, fixtures_dir):
    assert gb_week(importer).returncode == 0
    path = fixtures_dir / "schedule-GB-2026-07-06.json"
    items = json.load(open(path, encoding="utf-8"))
    keep = len(items) * 3 // 4  # a quarter dropped
    json.dump(items[:keep], open(path, "w", encoding="utf-8"))
    p = gb_week(importer, IMPORT_REMOVAL_WARN="20")
    assert p.returncode == 0 and "dropped a large share" in p.stdout
    json.dump(items[:keep // 2], open(path, "w", encoding="utf-8"))
    p = gb_week(importer, IMPORT_REMOVAL_WARN="100")
    assert p.returncode == 0 and "dropped a large share" not in p.stdout


@pytest.mark.parametrize("fault,retries", [
    ({"kind": "429", "retry_after": 1}, 1),
    ({"kind": "429"}, 1),
    ({"kind": "500", "times": 2}, 2),
    ({"kind": "503"}, 1),
    ({"kind": "slow", "delay": 4}, 1),
    # on the first request, whose connection is new (libcurl itself retries
    # once when a reused connection turns out dead)
    ({"kind": "reset", "date": "2026-07-03"}, 1),
])
def test_retryable_faults_are_retried_and_the_day_succeeds(importer, db, fake_tvmaze, fault,
                                                           retries):
    fake_tvmaze.set_faults([dict({"path": "/schedule", "date": "2026-07-04"}, **fault)])
    t0 = time.time()
    p = gb_week(importer)
    assert p.returncode == 0, p.stdout + p.stderr
    run = db.query("SELECT status, days_ok, requests, retries FROM import_runs")
    assert run == [["succeeded", "5", str(5 + retries), str(retries)]]
    if fault.get("retry_after"):
        assert time.time() - t0 >= 1.0  # Retry-After was honoured
    day = fault.get("date", "2026-07-04")
    served = [r for r in fake_tvmaze.requests() if r["query"].get("date") == day]
    assert len(served) == 1 + retries and served[-1]["status"] == 200
    assert db.scalar("SELECT count(*) FROM listings WHERE day = '2026-07-04'") == "9"


@pytest.mark.parametrize("fault,message", [
    ({"kind": "500", "times": -1}, "HTTP 500 (gave up after 2 retries)"),
    ({"kind": "400"}, "HTTP 400"),
    ({"kind": "truncated"}, "not valid JSON"),
    ({"kind": "html"}, "looks like HTML"),
    ({"kind": "wrong_shape"}, "expected a JSON array of episodes, got an object"),
])
def test_a_failed_day_keeps_its_previous_data(importer, db, fake_tvmaze, fault, message):
    assert gb_week(importer).returncode == 0
    before = dump(db)
    fake_tvmaze.set_faults([dict(fault, path="/schedule", date="2026-07-05")])
    p = gb_week(importer, IMPORT_RETRIES=2)
    assert p.returncode == 1
    assert "4 of 5 days ok, 1 failed" in p.stdout
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and "2026-07-05/country:GB" in err[0] and message in err[0], p.stderr
    assert dump(db) == before
    run = db.query("SELECT status, days_ok, days_failed, failed_days FROM import_runs"
                   " ORDER BY id DESC LIMIT 1")
    assert run == [["partial", "4", "1", "2026-07-05/country:GB"]]
    first_error = db.scalar("SELECT first_error FROM import_runs ORDER BY id DESC LIMIT 1")
    assert message in first_error
    if fault["kind"] == "400":
        assert len([r for r in fake_tvmaze.requests() if r["query"].get("date") == "2026-07-05"]) == 2


def test_every_day_failing_is_a_failed_run(importer, db, fake_tvmaze):
    fake_tvmaze.set_faults([{"path": "/schedule", "kind": "400", "times": -1}])
    p = gb_week(importer)
    assert p.returncode == 1
    assert db.query("SELECT status, days_ok, days_failed FROM import_runs") == [["failed", "0", "5"]]
    assert db.scalar("SELECT count(*) FROM episodes") == "0"


def test_the_client_identifies_itself_and_asks_for_gzip(importer, fake_tvmaze):
    assert gb_week(importer).returncode == 0
    # the fake logs what it served; gzip is negotiated, and every request
    # carried our User-Agent (checked by the fake's log of headers when present)
    assert len(fake_tvmaze.requests()) == 5


def test_full_schedule_mode(importer, db, fake_tvmaze):
    p = importer("--full")
    assert p.returncode == 0, p.stderr
    assert [r["path"] for r in fake_tvmaze.requests()] == ["/schedule/full"]
    all_items = {}
    for path in sorted(glob.glob(os.path.join(FIXTURES, "schedule-*.json"))):
        for i in json.load(open(path, encoding="utf-8")):
            all_items[i["id"]] = i
    assert int(db.scalar("SELECT count(*) FROM episodes")) == len(all_items)
    days = {i["airdate"] for i in all_items.values()}
    assert {r[0] for r in db.query("SELECT DISTINCT day FROM listings WHERE source = 'full'")} == days


@pytest.mark.parametrize("shape", ["country", "web", "full"])
def test_import_from_files_of_each_shape_needs_no_network(tvshows, db, tmp_path, shape):
    src = {"country": "schedule-GB-2026-07-04.json", "web": "schedule-web-2020-12-25.json"}
    if shape == "full":
        items = []
        for n in ("schedule-GB-2026-07-03.json", "schedule-GB-2026-07-04.json"):
            for i in items_of(n):
                i = dict(i)
                i["_embedded"] = {"show": i.pop("show")}
                items.append(i)
        path = tmp_path / "full.json"
        json.dump(items, open(path, "w"))
    else:
        path = tmp_path / ("saved-%s.json" % shape)  # no telling name: inferred
        shutil.copy(os.path.join(FIXTURES, src[shape]), path)
        items = items_of(src[shape])
    assert tvshows.run("migrate").returncode == 0
    p = tvshows.run("import", "--file", str(path), env={"TVMAZE_BASE_URL": "http://127.0.0.1:9"})
    assert p.returncode == 0, p.stderr
    assert int(db.scalar("SELECT count(*) FROM episodes")) == len({i["id"] for i in items})
    sources = {r[0] for r in db.query("SELECT DISTINCT source FROM listings")}
    assert sources == {"country": {"country:GB"}, "web": {"web"}, "full": {"full"}}[shape]
    if shape == "country":
        assert db.query("SELECT DISTINCT day FROM listings") == [["2026-07-04"]]


@pytest.mark.parametrize("content,message", [
    (None, "cannot open"),
    ("not json at all", "not valid JSON"),
    ('{"name": "Not Found"}', "expected a JSON array of episodes, got an object"),
    ('[{"id": 1}]', "episode 1 has no show"),
    ('[1, 2]', "item 0 is not an episode object"),
])
def test_bad_files_give_one_clear_line_and_exit_1(tvshows, db, tmp_path, content, message):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    assert tvshows.run("migrate").returncode == 0
    p = tvshows.run("import", "--file", str(path))
    assert p.returncode == 1
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and message in lines[0], p.stderr
    assert db.scalar("SELECT count(*) FROM episodes") == "0"


@pytest.mark.parametrize("args", [["--days", "0"], ["--from", "2025-02-30"], ["--countries", "usa"],
                                  ["--file"], ["stray"], ["--full", "--from", "2026-01-01"]])
def test_bad_arguments_exit_2(tvshows, args):
    p = tvshows.run("import", *args)
    assert p.returncode == 2
    assert len(p.stderr.strip().splitlines()) == 1


def test_episodes_copy_their_show_as_last_stored_whatever_the_day_order(importer, db,
                                                                          fixtures_dir):
    # a show in several days; only the second day's payload is newer
    days = {d: json.load(open(fixtures_dir / ("schedule-GB-%s.json" % d), encoding="utf-8"))
            for d in GB_DAYS}
    seen = {}
    for d in GB_DAYS:
        for item in days[d]:
            seen.setdefault(item["show"]["id"], []).append(d)
    show_id, show_days = next((s, ds) for s, ds in seen.items() if len(set(ds)) >= 3)
    newer_day = sorted(set(show_days))[1]
    for item in days[newer_day]:
        if item["show"]["id"] == show_id:
            item["show"]["name"] = "Renamed Show"
            item["show"]["rating"] = {"average": 7.5}
            item["show"]["updated"] += 1
    json.dump(days[newer_day], open(fixtures_dir / ("schedule-GB-%s.json" % newer_day), "w",
                                    encoding="utf-8"))
    assert gb_week(importer).returncode == 0
    rows = db.query("SELECT e.airdate, e.show_name, e.show_rating FROM episodes e"
                    " JOIN shows s ON s.id = e.show_id WHERE s.tvmaze_id = %d" % show_id)
    assert len({r[0] for r in rows}) >= 3
    assert {(r[1], float(r[2])) for r in rows} == {("Renamed Show", 7.5)}
    assert db.scalar("SELECT name FROM shows WHERE tvmaze_id = %d" % show_id) == "Renamed Show"
    # imported again, the older payloads of the other days change nothing
    p = gb_week(importer)
    assert p.returncode == 0 and "0 rows upserted" in p.stdout


def test_imports_side_by_side_store_what_one_import_stores(importer, db, tmp_path, pg,
                                                           fake_tvmaze):
    # Three imports of the same week at once, three threads each: the days
    # are written side by side, the same day by three writers, the same
    # shows and episodes by all of them. What they store is what a lone
    # import on one thread stores, and the feed has each episode once.
    from conftest import Database, Tvshows
    (tmp_path / "alone").mkdir()
    alone = Database(tmp_path / "alone", pg)
    try:
        t = Tvshows(alone.url, tmp_path / "alone")
        assert t.run("migrate").returncode == 0
        assert gb_week(lambda *a, **e: t.run("import", *a, env=dict(
            e, TVMAZE_BASE_URL=fake_tvmaze.url, IMPORT_RATE="0", WORKER_CONCURRENCY="1")))\
            .returncode == 0
        env = base_env({"DATABASE_URL": db.url, "TVMAZE_BASE_URL": fake_tvmaze.url,
                        "IMPORT_RATE": "0", "WORKER_CONCURRENCY": "3"})
        runs = [subprocess.Popen([BIN, "import", "--from", GB_DAYS[0], "--days", "5",
                                  "--countries", "GB", "--no-web"], env=env, cwd=str(tmp_path),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(3)]
        for r in runs:
            out, err = r.communicate(timeout=120)
            assert r.returncode == 0, out + err
            assert "5 of 5 days ok" in out
            assert not sanitizer_report(err), err[-4000:]
        ours, theirs = dump(db), dump(alone)
        del ours["meta"], theirs["meta"]
        assert ours == theirs
        feed = "SELECT e.tvmaze_id, c.kind FROM changes c JOIN episodes e ON e.id = c.episode_id" \
               " ORDER BY 1"
        assert db.query(feed) == alone.query(feed)
        assert len(db.query(feed)) == len(ours["episodes"]) > 0
    finally:
        alone.drop()


IMPORT_LOCK = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7263002" \
              " AND objsubid = 1 AND %sgranted"


def hold_import_lock(db):
    """A transaction that holds the lock of the imports' serial part, as an
    import does, until "COMMIT;" is written to it."""
    held = psql_session(db.url)
    held.stdin.write("BEGIN;\nSELECT pg_advisory_xact_lock(7263002);\n")
    held.stdin.flush()
    for _ in range(200):
        if db.scalar(IMPORT_LOCK % "") == "1":
            return held
        time.sleep(0.05)
    raise AssertionError("the lock was never taken: " + held.stderr.read())


@pytest.mark.postgres_only
def test_a_new_episode_copies_its_show_as_renamed_while_it_was_written(importer, db,
                                                                        fixtures_dir,
                                                                        fake_tvmaze):
    # A day's new episodes are written before the import's lock, their show
    # as it was then. Renamed by another writer before the day takes the
    # lock, the show's new name is what the episodes keep.
    first = json.load(open(fixtures_dir / "schedule-GB-2026-07-03.json", encoding="utf-8"))
    later = json.load(open(fixtures_dir / "schedule-GB-2026-07-05.json", encoding="utf-8"))
    show = next(i["show"]["id"] for i in later
                if i["show"]["id"] in {f["show"]["id"] for f in first})
    assert importer("--from", "2026-07-03", "--days", "1", "--countries", "GB",
                    "--no-web").returncode == 0
    held = hold_import_lock(db)
    env = base_env({"DATABASE_URL": db.url, "TVMAZE_BASE_URL": fake_tvmaze.url,
                    "IMPORT_RATE": "0", "WORKER_CONCURRENCY": "1"})
    run = subprocess.Popen([BIN, "import", "--from", "2026-07-05", "--days", "1", "--countries",
                            "GB", "--no-web"], env=env, cwd=str(fixtures_dir),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(200):
        if db.scalar(IMPORT_LOCK % "NOT ") == "1":
            break
        time.sleep(0.05)
    assert db.scalar(IMPORT_LOCK % "NOT ") == "1", "the import never reached the lock"
    # the day's new episodes are in, not yet committed, their show as it was
    held.stdin.write("UPDATE shows SET name = 'Renamed Meanwhile', updated = updated + 1"
                     " WHERE tvmaze_id = %d;\n"
                     "UPDATE episodes SET show_name = 'Renamed Meanwhile'"
                     " WHERE show_id = (SELECT id FROM shows WHERE tvmaze_id = %d);\n"
                     "COMMIT;\n" % (show, show))
    held.stdin.close()
    assert held.wait(10) == 0, held.stderr.read()
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, out + err
    rows = db.query("SELECT e.airdate, e.show_name FROM episodes e JOIN shows s"
                    " ON s.id = e.show_id WHERE s.tvmaze_id = %d" % show)
    assert {r[0] for r in rows} >= {"2026-07-03", "2026-07-05"}
    assert {r[1] for r in rows} == {"Renamed Meanwhile"}


@pytest.mark.postgres_only
def test_the_second_of_two_writers_of_a_day_leaves_its_own_listing(importer, db, tmp_path):
    # Two writers of one day at once, the second without an episode the
    # first lists: whatever their steps before the lock, the day ends as the
    # one that commits last lists it, the episode it dropped gone.
    day = "schedule-GB-2026-07-05.json"
    items = json.load(open(os.path.join(FIXTURES, day), encoding="utf-8"))
    others = set()
    for d in GB_DAYS:
        if d != "2026-07-05":
            others |= {i["id"] for i in items_of("schedule-GB-%s.json" % d)}
    dropped = next(i for i in items if i["airdate"] == "2026-07-05" and i["id"] not in others)
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    shutil.copy(os.path.join(FIXTURES, day), first)
    json.dump([i for i in items if i["id"] != dropped["id"]],
              open(second / day, "w", encoding="utf-8"))
    held = hold_import_lock(db)
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'" \
              " AND datname = current_database()"
    env = base_env({"DATABASE_URL": db.url})
    runs = []
    for folder in (first, second):
        runs.append(subprocess.Popen([BIN, "import", "--file", str(folder / day)], env=env,
                                     cwd=str(tmp_path), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True))
        for _ in range(200):  # each in turn waits: the first for the lock held, then the second
            if db.scalar(waiting) == str(len(runs)):
                break
            time.sleep(0.05)
        assert db.scalar(waiting) == str(len(runs))
    held.stdin.write("COMMIT;\n")
    held.stdin.close()
    assert held.wait(10) == 0, held.stderr.read()
    for r in runs:
        out, err = r.communicate(timeout=60)
        assert r.returncode == 0, out + err
    listed = {int(r[0]) for r in db.query(
        "SELECT e.tvmaze_id FROM listings l JOIN episodes e ON e.id = l.episode_id"
        " WHERE l.source = 'country:GB' AND l.day = '2026-07-05'")}
    assert listed == {i["id"] for i in items if i["id"] != dropped["id"]}
    assert db.scalar("SELECT count(*) FROM episodes WHERE tvmaze_id = %d" % dropped["id"]) == "0"


def peak_rss_mb(pid):
    """VmHWM of a running process (its own peak, unlike rusage, which a
    child inherits from the process it was forked from), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def import_measured(db, tmp_path, fake_tvmaze, *args):
    """`tvshows import` watched every 10 ms: (returncode, stdout, stderr,
    peak RSS in MB, the last VmHWM read before it exited)."""
    env = base_env({"DATABASE_URL": db.url, "TVMAZE_BASE_URL": fake_tvmaze.url,
                    "IMPORT_RATE": "0", "IMPORT_RETRIES": "0", "WORKER_CONCURRENCY": "1"})
    peak = 0.0
    with open(tmp_path / "m.out", "w+") as out, open(tmp_path / "m.err", "w+") as err:
        p = subprocess.Popen([BIN, "import"] + list(args), env=env, cwd=str(tmp_path),
                             stdout=out, stderr=err)
        while p.poll() is None:
            peak = max(peak, peak_rss_mb(p.pid) or 0.0)
            time.sleep(0.01)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    assert not sanitizer_report(stderr), stderr[-4000:]
    print("tvshows import %s: peak RSS %.0f MB" % (" ".join(args), peak))
    return p.returncode, stdout, stderr, peak


def write_empty_items(path, megabytes):
    # "[{},{},…]": ten million objects' worth in 30 MB
    n = megabytes * 1000 * 1000 // 3
    with open(path, "w") as f:
        f.write("[" + ",".join(["{}"] * n) + "]")


# Peak RSS of those imports on the build machine, before the caps and with
# them: a day 2,951 MB -> 65 MB (ASan build), 2,850 MB -> 29 MB (release);
# the full schedule 2,947 MB -> 90 MB (ASan), 2,849 MB -> 41 MB (release).
# The bound leaves room for the sanitizer's overhead, not for a parse.
RSS_BOUND_MB = 200


def test_a_day_of_30_mb_of_empty_items_fails_without_parsing_it(importer, db, fixtures_dir,
                                                                 fake_tvmaze, tmp_path):
    assert gb_week(importer).returncode == 0
    before = dump(db)
    write_empty_items(fixtures_dir / "schedule-GB-2026-07-05.json", 30)
    rc, out, err, rss = import_measured(db, tmp_path, fake_tvmaze, "--from", "2026-07-03",
                                        "--days", "5", "--countries", "GB", "--no-web")
    assert rss < RSS_BOUND_MB, "peak RSS %.0f MB" % rss
    assert rc == 1, out + err
    assert "4 of 5 days ok, 1 failed" in out
    assert "2026-07-05/country:GB" in err and "the answer is larger than 16 MiB" in err, err
    assert dump(db) == before


def test_a_full_schedule_of_30_mb_of_empty_items_fails_without_parsing_it(
        importer, db, fixtures_dir, fake_tvmaze, tmp_path):
    write_empty_items(fixtures_dir / "schedule-full.json", 30)
    rc, out, err, rss = import_measured(db, tmp_path, fake_tvmaze, "--full")
    assert rss < RSS_BOUND_MB, "peak RSS %.0f MB" % rss
    assert rc == 1, out + err
    assert "more than 100000 items" in err, err
    assert db.scalar("SELECT count(*) FROM episodes") == "0"


def test_a_summary_longer_than_64_kib_fails_the_day(importer, db, fixtures_dir):
    assert gb_week(importer).returncode == 0
    before = dump(db)
    path = fixtures_dir / "schedule-GB-2026-07-04.json"
    items = json.load(open(path, encoding="utf-8"))
    items[2]["summary"] = "<p>" + "x" * (64 * 1024) + "</p>"
    json.dump(items, open(path, "w", encoding="utf-8"))
    p = gb_week(importer)
    assert p.returncode == 1
    assert "2026-07-04/country:GB" in p.stderr
    assert "item 2 holds a string longer than 64 KiB" in p.stderr, p.stderr
    assert dump(db) == before


def test_links_that_are_not_http_are_stored_as_null(importer, db, fixtures_dir):
    path = fixtures_dir / "schedule-GB-2026-07-04.json"
    items = json.load(open(path, encoding="utf-8"))
    ep, show = items[0], items[0]["show"]
    ep["url"] = "javascript:alert(document.cookie)"
    ep["image"] = {"medium": "data:text/html,<script>alert(1)</script>",
                   "original": "https://static.tvmaze.com/x.jpg"}
    for other in items:  # every copy of the show, newer than the other days'
        if other["show"]["id"] == show["id"]:
            other["show"]["officialSite"] = "vbscript:msgbox"
            other["show"]["updated"] += 1
    json.dump(items, open(path, "w", encoding="utf-8"))
    assert gb_week(importer).returncode == 0
    assert db.query("SELECT url, image_medium, image_original FROM episodes"
                    " WHERE tvmaze_id = %d" % ep["id"]) == [
        [None, None, "https://static.tvmaze.com/x.jpg"]]
    assert db.query("SELECT url, official_site FROM shows WHERE tvmaze_id = %d" % show["id"]) \
        == [[show["url"], None]]
    assert db.scalar("SELECT count(*) FROM episodes WHERE url NOT LIKE 'http%'") == "0"


@pytest.mark.parametrize("base", ["http://api.tvmaze.com", "http://10.1.2.3:8080",
                                  "ftp://127.0.0.1", "file:///etc"])
def test_a_plain_http_upstream_off_loopback_is_refused_at_start(tvshows, base):
    p = tvshows.run("import", "--days", "1", env={"TVMAZE_BASE_URL": base})
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        'tvshows: invalid TVMAZE_BASE_URL "%s": must be an https:// URL'
        ' (plain http only to a loopback host)' % base]


def test_a_redirect_to_plain_http_is_not_followed(importer, db, fake_tvmaze):
    # from the loopback stand-in to a plain-http host: refused before any
    # connection (the host does not even resolve)
    fake_tvmaze.set_faults([{"path": "/schedule", "date": "2026-07-05", "kind": "redirect",
                             "location": "http://upstream.invalid/schedule?country=GB"}])
    p = gb_week(importer)
    assert p.returncode == 1
    assert "HTTP 302 redirects to a plain http URL (only https is followed)" in p.stderr, p.stderr
    # a redirect to https is followed (here to a closed port: it fails on
    # the connection, not on the redirect)
    port = free_port()
    fake_tvmaze.set_faults([{"path": "/schedule", "date": "2026-07-05", "kind": "redirect",
                             "location": "https://127.0.0.1:%d/schedule" % port}])
    p = gb_week(importer, IMPORT_RETRIES=0)
    assert p.returncode == 1
    assert "Couldn't connect" in p.stderr and "redirects" not in p.stderr, p.stderr
