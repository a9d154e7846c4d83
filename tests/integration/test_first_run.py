"""The first ten minutes of a new user, on a machine that may not reach
TVmaze: the demo week built into the binary, an unreachable upstream said
once and waited out, URLs that answer, strict command lines, output for
people, and a README whose examples work."""
import datetime
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import BIN, FIXTURES, ROOT, base_env, sanitizer_report
from servers import free_port
from test_jobs import Worker, wait_for

DEMO_FILES = ["schedule-GB-2026-07-0%d.json" % d for d in range(3, 8)] + [
    "schedule-US-2020-12-01.json", "schedule-web-2020-12-04.json",
    "schedule-web-2020-12-25.json", "schedule-web-2024-01-01.json"]
CLOSED = "http://127.0.0.1:%d"            # a loopback port nothing listens on
NO_SUCH_HOST = "https://nonexistent.invalid"  # RFC 2606: never resolves


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def week():
    t = today()
    return [(t + datetime.timedelta(days=i)).isoformat() for i in range(7)]


def fixture_items():
    items = []
    for name in DEMO_FILES:
        items += json.load(open(os.path.join(FIXTURES, name), encoding="utf-8"))
    return items


def episodes_by_day(server):
    counts = {}
    for d in week():
        r = server.get("/api/v1/tvshows?date_from=%s&date_to=%s&per_page=1" % (d, d))
        assert r.status == 200
        counts[d] = r.json()["pagination"]["total_count"]
    return counts


# ---- 1. the demo week ----

def load_demo(tvshows):
    assert tvshows.run("migrate").returncode == 0  # PostgreSQL is migrated by its own task
    p = tvshows.run("import", "--demo")
    assert p.returncode == 0, p.stderr
    return p


def test_import_demo_fills_every_day_of_the_coming_week_and_is_marked(tvshows, serve):
    p = load_demo(tvshows)
    assert "demo week loaded" in p.stdout and week()[0] in p.stdout and week()[6] in p.stdout
    s = serve()
    counts = episodes_by_day(s)
    assert all(n > 0 for n in counts.values()), counts
    # every recorded episode with an airdate is on the API, ids kept, in the week
    ids = {i["id"] for i in fixture_items() if i.get("airdate")}
    total = s.get("/api/v1/tvshows?date_from=%s&date_to=%s&per_page=1" % (
        week()[0], week()[6])).json()["pagination"]["total_count"]
    assert total >= len(ids) - 5
    page = s.get("/api/v1/tvshows?date_from=%s&date_to=%s&per_page=100" % (
        week()[0], week()[6])).json()["data"]
    for e in page:
        assert e["airdate"] in week()
        if e["airstamp"]:  # the instant moved with the date: at most a day apart
            stamp = datetime.date.fromisoformat(e["airstamp"][:10])
            assert abs((stamp - datetime.date.fromisoformat(e["airdate"])).days) <= 1, e
    assert s.get("/ready").json() == {"status": "ok", "database": "ok", "redis": "disabled",
                                      "data": "demo"}
    v = tvshows.run("version")
    assert v.returncode == 0 and v.stdout.splitlines()[0].startswith("tvshows ")
    assert "demo week, %s to %s" % (week()[0], week()[6]) in v.stdout


def day_urls(server, day, extra=""):
    urls, page = set(), 1
    while True:
        r = server.get("/api/v1/tvshows?date_from=%s&date_to=%s&per_page=100&page=%d%s" %
                       (day, day, page, extra)).json()
        urls |= {e["url"] for e in r["data"]}
        if page >= r["pagination"]["total_pages"]:
            return urls
        page += 1


def test_the_recorded_weekdays_are_kept_where_the_week_allows(tvshows, serve):
    load_demo(tvshows)
    s = serve()
    by_weekday = {datetime.date.fromisoformat(d).weekday(): day_urls(s, d, "&country=GB")
                  for d in week()}
    # the GB week was recorded Friday 3 to Tuesday 7 July 2026: each day is on
    # its weekday, with TVmaze's ids (in the urls) kept
    for name in DEMO_FILES[:5]:
        recorded = datetime.date.fromisoformat(name[12:22])
        urls = {i["url"] for i in json.load(open(os.path.join(FIXTURES, name)))
                if i["airdate"] == recorded.isoformat()}
        assert urls and urls <= by_weekday[recorded.weekday()], name


def test_the_first_real_import_removes_the_demo(tvshows, serve, db):
    load_demo(tvshows)
    s = serve()
    assert s.get("/ready").json()["data"] == "demo"
    p = tvshows.run("import", "--file", os.path.join(FIXTURES, "schedule-GB-2026-07-03.json"))
    assert p.returncode == 0, p.stderr
    assert "demo week removed" in p.stdout
    assert "data" not in s.get("/ready").json()
    assert "demo" not in tvshows.run("version").stdout
    assert set(episodes_by_day(s).values()) == {0}
    # what the real import listed is all there is
    n = len(json.load(open(os.path.join(FIXTURES, "schedule-GB-2026-07-03.json"))))
    assert db.scalar("SELECT count(*) FROM episodes") == str(n)
    assert db.scalar("SELECT count(*) FROM listings WHERE source LIKE 'demo:%'") == "0"
    r = s.get("/api/v1/tvshows?date_from=2026-07-03&date_to=2026-07-03&per_page=1")
    assert r.json()["pagination"]["total_count"] == n


def test_import_demo_again_moves_the_week_and_never_mixes_into_real_data(tvshows, db):
    load_demo(tvshows)
    first = db.scalar("SELECT count(*) FROM episodes")
    # as if loaded a week ago: loading again moves it to this week, nothing doubles
    db.execute("UPDATE meta SET value = value - 7 WHERE key = 'demo'")
    db.execute("UPDATE listings SET day = " + (
        "date(day, '-7 days')" if db.pg is None else "to_char(day::date - 7, 'YYYY-MM-DD')"))
    assert db.scalar("SELECT count(*) FROM listings WHERE day < '%s'" % week()[0]) != "0"
    assert tvshows.run("import", "--demo").returncode == 0
    assert db.scalar("SELECT count(*) FROM episodes") == first
    assert db.scalar("SELECT count(*) FROM listings WHERE day < '%s'" % week()[0]) == "0"
    # real data is never mixed with sample data
    p = tvshows.run("import", "--file", os.path.join(FIXTURES, "schedule-GB-2026-07-04.json"))
    assert p.returncode == 0
    p = tvshows.run("import", "--demo")
    assert p.returncode == 1 and "holds imported data" in p.stderr
    assert p.stderr.count("\n") == 1
    assert db.scalar("SELECT count(*) FROM listings WHERE source LIKE 'demo:%'") == "0"


@pytest.mark.sqlite_only
def test_the_demo_reaches_a_binary_without_its_source_tree(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("hiding the source tree takes a mount namespace (root)")
    binary = tmp_path / "tvshows"
    shutil.copy(BIN, binary)
    env = base_env({"DATABASE_URL": "sqlite:%s" % (tmp_path / "d.db")})
    # the repository is an empty directory for this process: only the binary is left
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                        'mount -t tmpfs none "$1" && test ! -e "$1/tests" && exec "$2" import '
                        "--demo", "sh", ROOT, str(binary)],
                       env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "demo week loaded" in p.stdout


@pytest.mark.parametrize("upstream", ["closed", "no-such-host"])
def test_serve_on_a_first_run_without_tvmaze_loads_the_demo_and_says_so(serve, upstream):
    url = CLOSED % free_port() if upstream == "closed" else NO_SUCH_HOST
    t0 = time.time()
    s = serve(env={"SERVE_WORKER": "true", "TVMAZE_BASE_URL": url})
    said = wait_for(lambda: [l for l in s.log_lines() if "demo week" in l.get("msg", "")], 10)
    assert said and time.time() - t0 < 10, s.stdout()[-3000:]
    assert len(said) == 1
    assert said[0]["msg"].startswith("TVmaze is unreachable at %s" % url)
    assert said[0]["from"] == week()[0] and said[0]["episodes"] > 500
    assert s.get("/ready").json()["data"] == "demo"
    assert all(n > 0 for n in episodes_by_day(s).values())


def test_serve_loads_no_demo_when_tvmaze_answers_or_data_is_there(serve, tvshows, fake_tvmaze):
    # TVmaze answers: its data, not the demo
    s = serve(env={"SERVE_WORKER": "true", "TVMAZE_BASE_URL": fake_tvmaze.url,
                   "IMPORT_DAYS": "1", "IMPORT_RATE": "0"})
    time.sleep(2)
    assert "data" not in s.get("/ready").json()
    assert not any("demo" in l.get("msg", "") for l in s.log_lines())
    s.check_clean_exit(s.stop())
    # not a first run: imported data is never replaced by the demo
    assert tvshows.run("import", "--file", os.path.join(
        FIXTURES, "schedule-GB-2026-07-03.json")).returncode == 0
    s = serve(env={"SERVE_WORKER": "true", "TVMAZE_BASE_URL": CLOSED % free_port()})
    time.sleep(2)
    assert "data" not in s.get("/ready").json()
    assert not any("demo week" in l.get("msg", "") for l in s.log_lines())


def test_serve_demo_flag_loads_the_week_on_the_api_only_server(serve):
    s = serve(args=["--demo"])
    assert wait_for(lambda: any(l.get("msg", "").startswith("demo week loaded")
                                for l in s.log_lines()), 10)
    assert s.get("/ready").json().get("data") == "demo"
    assert all(n > 0 for n in episodes_by_day(s).values())


# ---- 2. an unreachable upstream: said once, waited out ----

UNREACHABLE_LINE = ("TVmaze is unreachable at %s — check the network or TVMAZE_BASE_URL; "
                    "`tvshows import --demo` loads sample data")


def upstream_url(kind):
    return CLOSED % free_port() if kind == "closed" else NO_SUCH_HOST


@pytest.mark.parametrize("upstream", ["closed", "no-such-host"])
def test_foreground_import_gives_up_within_seconds_with_one_line(tvshows, upstream):
    url = upstream_url(upstream)
    assert tvshows.run("migrate").returncode == 0
    t0 = time.time()
    # the default window: 90 days of US and web, 180 units
    p = tvshows.run("import", env={"TVMAZE_BASE_URL": url}, timeout=60)
    took = time.time() - t0
    assert p.returncode == 1
    assert took < 10, "gave up after %.1f s" % took
    assert p.stderr.splitlines() == ["tvshows: " + UNREACHABLE_LINE % url], p.stderr
    # each unit tried once more at most, and only the first few units
    requests = int(p.stdout.split(" requests")[0].rsplit(" ", 1)[1])
    assert 3 <= requests <= 2 * 4, p.stdout


def stop_worker(w):
    assert w.stop() == 0
    err = open(w.err_path).read()
    assert not sanitizer_report(err), err[-3000:]


def ts(line):
    return datetime.datetime.fromisoformat(line["ts"].replace("Z", "+00:00")).timestamp()


def test_worker_says_it_once_and_pauses_the_plan_with_growing_waits(tvshows, db, tmp_path,
                                                                     fake_tvmaze):
    assert tvshows.run("migrate").returncode == 0
    port = free_port()
    url = CLOSED % port
    # fast retries: without the pause, 180 units would churn through hundreds of requests
    env = base_env({"DATABASE_URL": db.url, "TVMAZE_BASE_URL": url, "IMPORT_PAUSE": "1",
                    "IMPORT_BACKOFF_MS": "50", "IMPORT_RATE": "0", "JOB_BACKOFF_MS": "50",
                    "IMPORT_DAYS": "2", "IMPORT_COUNTRIES": "GB"})
    w = Worker(env, tmp_path, "unreachable")
    try:
        assert wait_for(lambda: any(l.get("pause_s") == 8 for l in w.logs()), 40), \
            w.logs()[-20:]
        logs = w.logs()
        said = [l for l in logs if l["msg"].startswith("TVmaze is unreachable")]
        assert [l["msg"] for l in said] == [UNREACHABLE_LINE % url]
        pauses = [l for l in logs if l["msg"] == "imports paused: TVmaze is still unreachable"]
        assert [l["pause_s"] for l in pauses][:3] == [2, 4, 8]
        # nothing asked upstream during a pause: requests come in bursts, one
        # per pause, of at most two units (WORKER_CONCURRENCY) tried twice each
        asked = [ts(l) for l in logs if l["msg"] in ("upstream retry", "import failed")]
        for p in [said[0]] + pauses[:-1]:
            wait = p.get("pause_s", p.get("imports_pause_s"))
            during = [t for t in asked if ts(p) + 0.05 < t < ts(p) + wait - 0.05]
            assert not during, (p, during)
        assert len(asked) <= 2 * 2 * (len(pauses) + 3), len(asked)
        # the plan's days wait, none is dead
        stats = json.loads(tvshows.run("jobs", "stats", "--format", "json").stdout)
        assert stats["total"]["dead"] == 0
        assert stats["total"]["queued"] + stats["total"]["retrying"] + \
            stats["total"]["running"] == 4
        # TVmaze answers again: the waiting days are imported, the run succeeds
        from fake_tvmaze import FakeTvmaze
        back = FakeTvmaze(str(fake_tvmaze.data_dir), port=port).start()
        try:
            assert wait_for(lambda: db.scalar(
                "SELECT status FROM import_runs ORDER BY id DESC LIMIT 1") == "succeeded", 40)
            assert any(l["msg"] == "TVmaze answers again: imports resume" for l in w.logs())
        finally:
            back.stop()
    finally:
        stop_worker(w)


def test_serve_on_a_first_run_defers_the_plan_without_asking(serve, tvshows):
    s = serve(env={"SERVE_WORKER": "true", "TVMAZE_BASE_URL": CLOSED % free_port()})
    assert wait_for(lambda: any(l.get("msg") == "import plan queued" for l in s.log_lines()), 15)
    time.sleep(3)
    logs = s.log_lines()
    # the probe said it; the plan's 180 days wait for the pause without a request
    assert not [l for l in logs if l.get("msg") in ("upstream retry", "import failed")]
    assert len([l for l in logs if "unreachable" in l.get("msg", "")]) == 1
    stats = json.loads(tvshows.run("jobs", "stats", "--format", "json").stdout)["total"]
    assert stats["dead"] == 0 and stats["queued"] + stats["retrying"] == 180


# ---- 3. printed URLs that work ----

def test_serve_prints_urls_that_answer(serve, tvshows):
    import urllib.request
    load_demo(tvshows)
    s = serve(env={"HOST": "0.0.0.0"})  # every address: the URLs name loopback
    # the port answers a moment before the line is written
    line = wait_for(lambda: next((l for l in s.log_lines() if l.get("msg") == "listening"),
                                 None), timeout=10)
    assert line, "no listening line"
    base = "http://127.0.0.1:%d" % s.port
    assert line["this_week"] == base + "/api/v1/tvshows?date_from=%s&date_to=%s" % (
        week()[0], week()[6])
    assert line["up"] == base + "/up"
    assert line["web_app"] == base + "/"  # the web app's own tests ask it for its page
    for url in (line["this_week"], line["up"]):
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
            body = json.loads(r.read())
    with urllib.request.urlopen(line["this_week"], timeout=10) as r:
        assert json.loads(r.read())["pagination"]["total_count"] > 0
    assert body == {"status": "ok"}


# ---- 4. strict command lines ----

COMMANDS = ["serve", "migrate", "import", "worker", "jobs", "analytics", "lists", "webhooks",
            "keys", "healthcheck", "version"]
# each command as it would run, so that only the stray argument is wrong
VALID = {"serve": [], "migrate": [], "import": [], "worker": [], "jobs": ["stats"],
         "analytics": ["genres"], "lists": ["list"], "webhooks": ["list"], "keys": ["list"],
         "healthcheck": [], "version": []}


def one_line(p):
    return p.stderr.count("\n") == 1 and p.stderr.startswith("tvshows: ")


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_refuses_a_stray_argument(tvshows, cmd):
    p = tvshows.run(cmd, *VALID[cmd], "stray", timeout=30)
    assert p.returncode == 2 and one_line(p), (p.returncode, p.stderr)
    assert "stray" in p.stderr or "expected" in p.stderr


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_refuses_a_single_dash_flag(tvshows, cmd):
    p = tvshows.run(cmd, *VALID[cmd], "-x", timeout=30)
    assert p.returncode == 2 and one_line(p), (p.returncode, p.stderr)
    assert "-x" in p.stderr and "two dashes" in p.stderr


def test_serve_p_names_the_option_meant_and_listens_nowhere(tvshows):
    port = free_port()
    p = tvshows.run("serve", "-p", str(port), timeout=10)
    assert p.returncode == 2
    assert p.stderr == ("tvshows: unknown option -p: options take two dashes, as in --port "
                        "(see --help)\n")


@pytest.mark.parametrize("cmd", COMMANDS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_works_everywhere(tvshows, cmd, flag):
    for args in ([cmd, flag], [cmd] + VALID[cmd] + [flag], ["help", cmd]):
        p = tvshows.run(*args, env={"PORT": "not a port"}, timeout=30)  # help even so
        assert p.returncode == 0 and p.stdout.startswith("Usage: tvshows %s" % cmd), args
        assert "--log-format" in p.stdout


def test_no_command_prints_the_usage_and_exits_2(tvshows):
    p = tvshows.run()
    assert p.returncode == 2
    assert "Usage: tvshows COMMAND" in p.stderr and p.stdout == ""
    for args in (["help", "import", "extra"], ["help", "nope"], ["nope"], ["-p"]):
        p = tvshows.run(*args)
        assert p.returncode == 2 and one_line(p), (args, p.stderr)


# ---- 5. output for people ----

def on_terminal(args, env, cwd, columns=200):
    """Runs the binary with stdin, stdout and stderr on a pseudo-terminal of
    `columns` columns; its exit status and everything it wrote."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    p = subprocess.Popen([BIN] + list(args), stdin=slave, stdout=slave, stderr=slave, env=env,
                         cwd=cwd)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not chunk:
            break
        out += chunk
    p.wait(60)
    os.close(master)
    return p.returncode, out.decode("utf-8", "replace")


def test_logs_are_text_on_a_terminal_and_json_otherwise(tvshows, tmp_path, db):
    env = base_env({"DATABASE_URL": db.url})
    del env["LOG_FORMAT"]
    assert tvshows.run("migrate").returncode == 0
    # a person at a terminal reads text
    rc, out = on_terminal(["migrate"], env, str(tmp_path))
    assert rc == 0 and " info  migrations applied applied=0 " in out, out
    assert '{"ts"' not in out
    # a pipe gets one JSON object a line
    p = subprocess.run([BIN, "migrate"], env=env, cwd=str(tmp_path), capture_output=True,
                       text=True)
    assert json.loads(p.stdout.splitlines()[-1])["msg"] == "migrations applied"
    # LOG_FORMAT says otherwise, either way
    rc, out = on_terminal(["migrate"], dict(env, LOG_FORMAT="json"), str(tmp_path))
    assert json.loads(out.strip().splitlines()[-1])["msg"] == "migrations applied"
    p = subprocess.run([BIN, "migrate"], env=dict(env, LOG_FORMAT="text"), cwd=str(tmp_path),
                       capture_output=True, text=True)
    assert " info  migrations applied " in p.stdout


def test_a_foreground_import_shows_one_progress_line_updated_in_place(tvshows, tmp_path, db,
                                                                     fake_tvmaze):
    assert tvshows.run("migrate").returncode == 0
    env = base_env({"DATABASE_URL": db.url, "TVMAZE_BASE_URL": fake_tvmaze.url,
                    "IMPORT_RATE": "0", "IMPORT_BACKOFF_MS": "20", "WORKER_CONCURRENCY": "1"})
    del env["LOG_FORMAT"]
    # one day answers 400: its warning goes above the progress line
    fake_tvmaze.set_faults([{"path": "/schedule", "kind": "400", "times": 1}])
    rc, out = on_terminal(["import", "--from", "2026-07-03", "--days", "5", "--countries", "GB",
                           "--no-web"], env, str(tmp_path), columns=60)
    assert rc == 1, out
    rows = out.split("\r\n")  # the terminal ends lines with CR LF
    progress = [r for r in rows if "days," in r]
    # one row: every update erases and redraws it ("\r" + erase to the end of the line)
    draws = sum(r.count("\r\x1b[K[") for r in progress)
    assert draws >= 5, out
    for r in progress:
        for drawn in r.split("\r\x1b[K")[1:]:
            if drawn.startswith("["):
                assert len(drawn) <= 59, drawn  # narrower than the terminal: never wraps
    # the warning is a line of its own, above the progress line
    warning = [r for r in rows if "warn  import failed" in r]
    assert len(warning) == 1 and "days," not in warning[0].split("\x1b[K")[-1]
    assert "/5 days" in out and "import partial: 4 of 5 days ok" in out


@pytest.mark.parametrize("queue_kind", ["database", "redis"])
def test_jobs_list_and_stats_agree_about_states(tvshows, db, tmp_path, fake_tvmaze, queue_kind,
                                                redis_url):
    assert tvshows.run("migrate").returncode == 0
    env = {"TVMAZE_BASE_URL": fake_tvmaze.url, "IMPORT_RATE": "0", "JOB_BACKOFF_MS": "600000",
           "IMPORT_SCHEDULE": "0 2 * * *", "WORKER_CONCURRENCY": "1"}
    if queue_kind == "redis":
        env["REDIS_URL"] = redis_url
    # a day that fails waits to be retried; the other is done
    fake_tvmaze.set_faults([{"path": "/schedule", "kind": "400", "times": 1}])
    assert tvshows.run("import", "--file", os.path.join(
        FIXTURES, "schedule-GB-2026-07-07.json")).returncode == 0  # no catch-up plan
    assert tvshows.run("jobs", "enqueue", "import", "--days", "2", "--from", "2026-07-03",
                       "--countries", "GB", "--no-web", env=env).returncode == 0
    w = Worker(base_env(dict(env, DATABASE_URL=db.url)), tmp_path, "states")
    try:
        assert wait_for(lambda: any(l["msg"] == "job failed, will retry" for l in w.logs()), 30)
        assert wait_for(lambda: sum(l["msg"] == "job done" for l in w.logs()) >= 2, 30)
    finally:
        stop_worker(w)

    def run(*args):
        p = tvshows.run("jobs", *args, env=env)
        assert p.returncode == 0, p.stderr
        return p.stdout
    stats = json.loads(run("stats", "--format", "json"))["total"]
    listed = json.loads(run("list", "--format", "json"))["jobs"]
    import csv
    import io
    rows = list(csv.DictReader(io.StringIO(run("list", "--format", "csv"))))
    table = [l.split("\t") for l in run("list").splitlines()[1:]]
    assert stats["retrying"] == 1
    for jobs in (listed, rows):
        assert [j["state"] for j in jobs].count("retrying") == 1
        retrying = next(j for j in jobs if j["state"] == "retrying")
        assert "HTTP 400" in retrying["last_error"] and int(retrying["attempts"]) == 1
    assert [r[2] for r in table].count("retrying") == 1
    states = {s: [j["state"] for j in listed].count(s) for s in ("queued", "running", "dead")}
    assert states == {k: stats[k] for k in states}
    stats_csv = list(csv.DictReader(io.StringIO(run("stats", "--format", "csv"))))
    assert stats_csv[-1]["type"] == "total" and stats_csv[-1]["retrying"] == "1"


def test_help_lists_only_formats_that_work(tvshows):
    for cmd, formats in (("jobs", ["table", "json", "csv"]),
                         ("analytics", ["table", "json", "csv"]),
                         ("migrate", ["table", "json"])):
        help_line = next(l for l in tvshows.run("help", cmd).stdout.splitlines()
                         if l.strip().startswith("--format"))
        for f in ("table", "json", "csv"):
            assert (f in help_line) == (f in formats), (cmd, help_line)
    assert tvshows.run("migrate").returncode == 0
    args = {"jobs": ["stats"], "analytics": ["genres"], "migrate": ["--status"]}
    for cmd, formats in (("jobs", ["table", "json", "csv"]),
                         ("analytics", ["table", "json", "csv"]), ("migrate", ["table", "json"])):
        for f in ("table", "json", "csv"):
            p = tvshows.run(cmd, *args[cmd], "--format", f)
            assert (p.returncode == 0) == (f in formats), (cmd, f, p.stderr)
            if f not in formats:
                assert p.returncode == 2 and "--format" in p.stderr


@pytest.mark.parametrize("args", [["import", "--from", "2026-02-30"],
                                  ["jobs", "enqueue", "import", "--from", "2026-13-01"],
                                  ["import", "--from", "tomorrow"]])
def test_date_errors_name_the_option(tvshows, args):
    assert tvshows.run("migrate").returncode == 0
    p = tvshows.run(*args)
    assert p.returncode == 2 and one_line(p)
    assert p.stderr.startswith('tvshows: invalid --from "%s": must be a date' % args[-1])


# ---- 6. browser clients ----

REFUSED = ("browser requests from this origin are refused: add it to CORS_ORIGINS "
           "(comma-separated) to let its pages read the API")


def test_a_refused_origin_is_logged_once_with_the_fix(serve):
    s = serve()
    for origin in ["http://localhost:5173"] * 3 + ["http://localhost:4200"] * 2 + \
            ["http://localhost:3000", "null"]:
        r = s.get("/api/v1/networks", headers={"Origin": origin})
        assert r.status == 200
        allowed = r.header("Access-Control-Allow-Origin")
        assert allowed == (origin if origin == "http://localhost:3000" else None)
    # a preflight from a refused origin counts as the same origin
    s.request("OPTIONS", "/api/v1/networks", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"})
    logged = [l for l in s.log_lines() if l.get("msg") == REFUSED]
    assert [l["origin"] for l in logged] == ["http://localhost:5173", "http://localhost:4200",
                                             "null"]
    # a client making up origins cannot flood the log or grow memory
    for i in range(100):
        s.get("/up", headers={"Origin": "http://evil-%d.example" % i})
    logged = [l for l in s.log_lines() if l.get("msg") == REFUSED]
    assert len(logged) == 64


def test_an_origin_set_in_cors_origins_is_allowed_and_not_logged(serve):
    s = serve(env={"CORS_ORIGINS": "http://localhost:5173,http://localhost:4200"})
    r = s.get("/api/v1/networks", headers={"Origin": "http://localhost:5173"})
    assert r.header("Access-Control-Allow-Origin") == "http://localhost:5173"
    assert not [l for l in s.log_lines() if l.get("msg") == REFUSED]


# ---- 7. a README whose examples work ----

def readme_requests():
    """Every curl command of the README: lines of its code blocks and the
    inline code of its tables."""
    import re
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    found, in_code = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code and line.startswith("curl "):
            found.append(line)
        elif not in_code:
            found += re.findall(r"`(curl [^`]+)`", line)
    return found


def has_data(body):
    """200 with data: episodes, shows, rows, an event, a document."""
    if "BEGIN:VCALENDAR" in body:
        return "BEGIN:VEVENT" in body
    head, sep, rest = body.partition("\n\n")  # curl -i: the headers first (text mode: LF)
    doc = json.loads(rest if sep and head.startswith("HTTP/") else body)
    if "data" in doc:
        return bool(doc["data"])
    return bool(doc.get("paths") or doc.get("status") == "ok" or doc.get("id"))


def test_every_example_request_of_the_readme_answers_with_data(tvshows, serve, db):
    load_demo(tvshows)
    s = serve()
    key = tvshows.run("keys", "create", "readme").stdout.strip()
    p = tvshows.run("lists", "create", "Soaps")
    token = p.stdout.strip()
    eastenders = s.get("/api/v1/lookup/shows?imdb=tt0088512").json()["data"]["id"]
    list_id = db.scalar("SELECT max(id) FROM lists")
    assert tvshows.run("lists", "add", list_id, str(eastenders)).returncode == 0
    # a running API learns of a new key at its next poll of the generation
    # (four a second): the README's list requests need it known
    deadline = time.time() + 10
    while s.get("/api/v1/lists", headers={"X-API-Key": key}).status != 200:
        assert time.time() < deadline, "the API never learnt of the new key"
        time.sleep(0.05)
    requests = readme_requests()
    assert len(requests) >= 15, requests  # the extraction found them
    env = dict(os.environ, KEY=key, TOKEN=token)
    for command in requests:
        assert "localhost:3000" in command, command
        line = command.replace("localhost:3000", "127.0.0.1:%d" % s.port)
        p = subprocess.run(["bash", "-c", "curl() { command curl -sS -w '\\n%{http_code}' \"$@\"; }"
                            "\n" + line], env=env, capture_output=True, text=True, timeout=30)
        body, _, status = p.stdout.rpartition("\n")
        assert p.returncode == 0 and status in ("200", "201"), (command, p.stdout, p.stderr)
        assert has_data(body), (command, body[:500])
