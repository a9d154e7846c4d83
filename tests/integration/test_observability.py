"""Prometheus metrics, CloudWatch EMF lines, the analytical reports (checked
against results computed here, independently of the SQL), and read-replica
routing with a real streaming replica."""
import csv
import datetime
import math
import os
import io
import json
import re
import time
import urllib.request

import jsonschema
import pytest

from servers import PgServer, free_port

TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def scrape(port):
    return urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()


def sample(text, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-z_]+)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = ",".join(sorted((m.group(3) or "").split(","))) if m.group(3) else ""
        if got == want:
            return float(m.group(4))
    return None


# ---- metrics ----

def test_request_counters_and_histograms_are_exact(tvshows, serve):
    assert tvshows.run("migrate").returncode == 0
    mport = free_port()
    s = serve(env={"METRICS_PORT": mport})
    for _ in range(3):
        s.get("/up")
    for _ in range(2):
        s.get("/api/v1/networks")
    s.get("/nope")
    s.request("POST", "/up")
    text = scrape(mport)
    assert sample(text, "tvshows_http_requests_total", route="/up", method="GET", status="200") == 3
    assert sample(text, "tvshows_http_requests_total", route="/api/v1/networks", method="GET",
                  status="200") == 2
    assert sample(text, "tvshows_http_requests_total", route="none", method="GET", status="404") == 1
    assert sample(text, "tvshows_http_requests_total", route="/up", method="POST", status="405") == 1
    assert sample(text, "tvshows_http_request_duration_seconds_count", route="/up") == 4
    assert sample(text, "tvshows_http_request_duration_seconds_bucket", route="/up", le="+Inf") == 4
    assert sample(text, "tvshows_cache_misses_total") == 1
    assert sample(text, "tvshows_cache_hits_total") == 1
    assert sample(text, "tvshows_cache_stores_total") == 1  # the miss, stored once
    assert sample(text, "tvshows_import_large_removals_total") == 0
    assert sample(text, "tvshows_http_in_flight") == 0
    assert sample(text, "process_resident_memory_bytes") > 0
    for name in ("tvshows_db_errors_total", "tvshows_db_reconnects_total",
                 "tvshows_refusals_total", "tvshows_import_runs_total",
                 "tvshows_import_last_success_timestamp_seconds"):
        assert name in text
    # never on the public port
    assert s.get("/metrics").status == 404


def test_refusals_are_counted_by_reason(tvshows, serve):
    assert tvshows.run("migrate").returncode == 0
    mport = free_port()
    s = serve(env={"METRICS_PORT": mport, "AUTH_MODE": "api_key", "RATE_LIMIT_IP_PER_MIN": "3"})
    s.get("/api/v1/networks", headers={"X-API-Key": "wrong"})
    s.get("/api/v1/networks")
    s.get("/api/v1/networks")
    s.get("/api/v1/networks")
    text = scrape(mport)
    assert sample(text, "tvshows_refusals_total", reason="auth_bad_key") == 1
    assert sample(text, "tvshows_refusals_total", reason="auth_missing") == 2
    assert sample(text, "tvshows_refusals_total", reason="rate_limit_ip") == 1


def test_worker_metrics_count_runs_and_jobs(tvshows, fake_tvmaze, tmp_path):
    import subprocess
    from conftest import BIN, base_env
    assert tvshows.run("migrate").returncode == 0
    mport = free_port()
    env = base_env({"DATABASE_URL": tvshows.db_url, "TVMAZE_BASE_URL": fake_tvmaze.url,
                    "IMPORT_RATE": "0", "METRICS_PORT": str(mport), "IMPORT_SCHEDULE": "0 2 * * *"})
    assert tvshows.run("jobs", "enqueue", "import", "--days", "2", "--from", "2026-07-03",
                       "--countries", "GB", "--no-web").returncode == 0
    w = subprocess.Popen([BIN, "worker"], env=env, cwd=str(tmp_path),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        text = ""
        while time.time() < deadline:
            try:
                text = scrape(mport)
            except OSError:
                text = ""
            if sample(text, "tvshows_import_runs_total", status="succeeded"):
                break
            time.sleep(0.3)
        assert sample(text, "tvshows_import_runs_total", status="succeeded") >= 1
        assert sample(text, "tvshows_import_requests_total") >= 2
        assert sample(text, "tvshows_jobs_completed_total") >= 3  # the plan and two days
        assert sample(text, "tvshows_import_last_success_timestamp_seconds") > 0
        assert sample(text, "tvshows_queue_depth") is not None
    finally:
        w.terminate()
        assert w.wait(30) == 0


# ---- EMF ----

EMF_SCHEMA = {
    "type": "object",
    "required": ["_aws"],
    "properties": {
        "_aws": {
            "type": "object",
            "required": ["Timestamp", "CloudWatchMetrics"],
            "properties": {
                "Timestamp": {"type": "integer", "minimum": 0},
                "CloudWatchMetrics": {
                    "type": "array", "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["Namespace", "Dimensions", "Metrics"],
                        "properties": {
                            "Namespace": {"type": "string", "minLength": 1, "maxLength": 1024},
                            "Dimensions": {"type": "array", "items": {
                                "type": "array", "maxItems": 30,
                                "items": {"type": "string", "minLength": 1}}},
                            "Metrics": {"type": "array", "minItems": 1, "maxItems": 100, "items": {
                                "type": "object", "required": ["Name"],
                                "properties": {"Name": {"type": "string", "minLength": 1},
                                               "Unit": {"enum": ["Count", "Milliseconds",
                                                                 "Seconds", "Percent", "None"]}}}},
                        }}}}}},
}


def test_emf_lines_follow_the_cloudwatch_schema(tvshows, serve):
    assert tvshows.run("migrate").returncode == 0
    s = serve(env={"LOG_EMF": "true", "EMF_INTERVAL": "1"})
    for _ in range(4):
        s.get("/up")
    s.get("/api/v1/networks")
    time.sleep(2.5)
    docs = [l for l in s.log_lines() if "_aws" in l]
    assert docs
    total = 0
    for d in docs:
        jsonschema.validate(d, EMF_SCHEMA)
        spec = d["_aws"]["CloudWatchMetrics"][0]
        assert spec["Namespace"] == "TvShows"
        for dims in spec["Dimensions"]:
            for key in dims:
                assert key in d
        for m in spec["Metrics"]:
            assert isinstance(d[m["Name"]], (int, float))
        total += d["RequestCount"]
        if d["RequestCount"]:
            assert d["Latency"] >= 0
        # environments that share an account are told apart
        assert spec["Dimensions"] == [["Environment", "Service"]]
        assert (d["Environment"], d["Service"]) == ("local", "api")
    assert total == 5


def test_emf_dimensions_follow_the_settings(tvshows, serve):
    assert tvshows.run("migrate").returncode == 0
    s = serve(env={"LOG_EMF": "true", "EMF_INTERVAL": "1", "METRICS_ENVIRONMENT": "staging",
                   "METRICS_SERVICE": "api-canary"})
    time.sleep(1.5)
    docs = [l for l in s.log_lines() if "_aws" in l]
    assert docs and all((d["Environment"], d["Service"]) == ("staging", "api-canary")
                        for d in docs)
    p = tvshows.run("serve", env={"METRICS_ENVIRONMENT": "two words"})
    assert p.returncode == 2 and "METRICS_ENVIRONMENT" in p.stderr


# ---- analytics ----

def rnd(x, decimals):
    """Half away from zero, as the service rounds (Python's round() is half-even)."""
    scale = 10 ** decimals
    return math.floor(x * scale + 0.5) / scale


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def crafted():
    """A dataset with known shape: 12 channels (so the top 10 cuts), shows in
    genres of different sizes, episodes inside and outside every window and
    in every day part."""
    dists = []
    for i in range(8):
        dists.append(("network", 100 + i, "Net %02d" % i, {"name": "United States", "code": "US",
                                                        "timezone": "America/New_York"}))
    for i in range(4):
        dists.append(("web", 200 + i, "Web %02d" % i, None if i % 2 else {
            "name": "United Kingdom", "code": "GB", "timezone": "Europe/London"}))
    genres = [["Drama"], ["Drama", "Comedy"], ["Comedy"], ["Drama", "Crime"], ["Crime"],
              ["Comedy", "Crime"], ["News"], ["Drama"], ["Reality"], ["Comedy"]]
    ratings = [8.1, 7.4, None, 6.9, 5.5, 7.7, None, 9.0, 4.2, 6.0]
    items, eid = [], 1000
    offsets = [-35, -31, -30, -29, -10, -1, 0, 1, 2, 3, 6, 7, 13, 29, 30, 60, 89, 90, 91, 120]
    times = ["07:00", "13:30", "19:00", "23:30", "02:00", "", "20:15", "11:59", "12:00", "22:59"]
    for si in range(10):
        kind, did, name, country = dists[si % len(dists)]
        web = dists[(si + 3) % len(dists)] if si % 3 == 0 else None
        show = {"id": 500 + si, "url": "https://www.tvmaze.com/shows/%d" % (500 + si),
                "name": "Show %02d" % si, "type": "Scripted", "language": "English",
                "genres": genres[si], "status": "Running", "runtime": 30, "premiered": "2020-01-01",
                "schedule": {"time": "", "days": []}, "rating": {"average": ratings[si]},
                "updated": 1700000000,
                "network": {"id": did, "name": name, "country": country} if kind == "network" else None,
                "webChannel": {"id": did, "name": name, "country": country} if kind == "web" else
                ({"id": web[1], "name": web[2], "country": web[3]} if web and web[0] == "web" else None)}
        for k, off in enumerate(offsets[si % 5:]):
            for rep in range((si % 3) + 1):
                eid += 1
                t = times[(k + rep + si) % len(times)]
                items.append({"id": eid, "url": "https://www.tvmaze.com/episodes/%d" % eid,
                              "name": "Ep %d" % eid, "season": 1, "number": k + 1,
                              "type": "regular", "airdate": day(off), "airtime": t,
                              "airstamp": day(off) + "T12:00:00+00:00", "runtime": 30,
                              "rating": {"average": (5 + (eid % 5)) if eid % 3 else None},
                              "summary": None, "_embedded": {"show": show}})
    return items


def expected_networks(items):
    lo, hi = day(-30), day(90)
    per = {}
    names = {}
    for it in items:
        if not (lo <= it["airdate"] <= hi):
            continue
        s = it["_embedded"]["show"]
        for kind, d in (("network", s.get("network")), ("web", s.get("webChannel"))):
            if d:
                key = (kind, d["id"])
                names[key] = (d["name"], kind, (d.get("country") or {}).get("name"))
                per.setdefault(key, []).append(it["airdate"])
    top = sorted(per, key=lambda k: (-len(per[k]), names[k][0].encode()))[:10]
    days = [day(o) for o in range(-30, 91)]
    out, rank = [], 0
    for i, key in enumerate(top):
        counts = [per[key].count(d) for d in days]
        windows = [sum(counts[max(0, j - 6):j + 1]) for j in range(len(days))]
        if i == 0 or len(per[key]) != len(per[top[i - 1]]):
            rank = i + 1
        out.append({"rank": rank, "distributor": names[key][0], "kind": names[key][1],
                    "country": names[key][2], "episodes": len(per[key]),
                    "peak_7d": max(windows), "avg_7d": rnd(sum(windows) / len(windows), 2)})
    return out


def expected_genres(items):
    shows, eps = {}, {}
    for it in items:
        s = it["_embedded"]["show"]
        shows[s["id"]] = s
        eps.setdefault(s["id"], []).append(it)
    today = day(0)
    rows = []
    for g in sorted({g for s in shows.values() for g in s["genres"]}, key=str.encode):
        members = [s for s in shows.values() if g in s["genres"]]
        if len(members) < 3:
            continue
        all_eps = [e for s in members for e in eps[s["id"]]]
        up = [e for e in all_eps if e["airdate"] >= today]
        rated = [s["rating"]["average"] for s in members if s["rating"]["average"] is not None]
        erated = [e["rating"]["average"] for e in all_eps if e["rating"]["average"] is not None]
        rows.append({"genre": g, "shows": len(members), "episodes": len(all_eps),
                     "upcoming_episodes": len(up),
                     "upcoming_share": rnd(sum(1 for s in members if any(
                         e["airdate"] >= today for e in eps[s["id"]])) / len(members), 4),
                     "avg_show_rating": rnd(sum(rated) / len(rated), 2) if rated else None,
                     "avg_episode_rating": rnd(sum(erated) / len(erated), 2) if erated else None,
                     "rating_quartile": None})
    raw = {}
    for g in (r["genre"] for r in rows):
        rated = [s["rating"]["average"] for s in shows.values()
                 if g in s["genres"] and s["rating"]["average"] is not None]
        if rated:
            raw[g] = sum(rated) / len(rated)
    ranked = sorted((r for r in rows if r["genre"] in raw),
                    key=lambda r: (-raw[r["genre"]], r["genre"].encode()))
    n = len(ranked)
    for pos, r in enumerate(ranked):
        base, extra, start = n // 4, n % 4, 0
        for q in range(1, 5):
            size = base + (1 if q <= extra else 0)
            if pos < start + size:
                r["rating_quartile"] = q
                break
            start += size
    return rows


def expected_density(items):
    def part(t):
        h, m = map(int, t.split(":"))
        mins = h * 60 + m
        if 360 <= mins < 720:
            return "morning"
        if 720 <= mins < 1080:
            return "afternoon"
        if 1080 <= mins < 1380:
            return "prime_time"
        return "late_night"
    days = [TODAY + datetime.timedelta(days=o) for o in range(30)]
    ndays = {"weekday": sum(1 for d in days if d.weekday() < 5),
             "weekend": sum(1 for d in days if d.weekday() >= 5)}
    counts = {}
    for it in items:
        d = datetime.date.fromisoformat(it["airdate"])
        if not (days[0] <= d <= days[-1]):
            continue
        dt = "weekend" if d.weekday() >= 5 else "weekday"
        p = part(it["airtime"]) if it["airtime"] else "unknown"
        counts[(dt, p)] = counts.get((dt, p), 0) + 1
    rows = []
    for dt in ("weekday", "weekend"):
        for p in ("morning", "afternoon", "prime_time", "late_night", "unknown"):
            n = counts.get((dt, p), 0)
            rows.append({"day_type": dt, "day_part": p, "episodes": n,
                         "per_day": rnd(n / ndays[dt], 2), "busiest": False})
    known = [r for r in rows if r["day_part"] != "unknown"]
    best = max(known, key=lambda r: r["episodes"] / ndays[r["day_type"]])
    if best["episodes"]:
        best["busiest"] = True
    return rows


@pytest.fixture
def analytics_db(tvshows, tmp_path):
    items = crafted()
    path = tmp_path / "crafted.json"
    path.write_text(json.dumps(items))
    assert tvshows.run("migrate").returncode == 0
    p = tvshows.run("import", "--file", str(path))
    assert p.returncode == 0, p.stderr
    return items


@pytest.mark.parametrize("report,expect", [("networks", expected_networks),
                                            ("genres", expected_genres),
                                            ("schedule-density", expected_density)])
def test_reports_match_an_independent_computation(tvshows, analytics_db, serve, report, expect):
    p = tvshows.run("analytics", report, "--format", "json")
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["data"] == expect(analytics_db)
    s = serve()
    import openapi_check
    from conftest import ROOT
    s.spec = openapi_check.load(os.path.join(ROOT, "docs", "openapi.json"))
    api = s.get("/api/v1/analytics/" + report)  # validated against the document too
    assert api.status == 200 and api.header("ETag")
    assert api.json()["data"] == got["data"]
    # the other formats carry the same rows
    rows = list(csv.DictReader(io.StringIO(tvshows.run("analytics", report, "--format",
                                                       "csv").stdout)))
    assert len(rows) == len(got["data"]) and list(rows[0]) == list(got["data"][0])
    table = tvshows.run("analytics", report).stdout.splitlines()
    assert len(table) == len(got["data"]) + 1 and table[0].split()[0] == list(got["data"][0])[0]


def test_an_empty_database_gives_empty_reports(tvshows, serve):
    assert tvshows.run("migrate").returncode == 0
    for report in ("networks", "genres"):
        p = tvshows.run("analytics", report, "--format", "json")
        assert p.returncode == 0 and json.loads(p.stdout)["data"] == []
    dens = json.loads(tvshows.run("analytics", "schedule-density", "--format", "json").stdout)
    assert all(r["episodes"] == 0 and not r["busiest"] for r in dens["data"])
    s = serve()
    assert s.get("/api/v1/analytics/genres").json()["data"] == []
    assert s.get("/api/v1/analytics/nope").status == 404
    assert tvshows.run("analytics", "nope").returncode == 2


# ---- read replica ----

@pytest.mark.postgres_only
def test_analytics_go_to_the_replica_and_fall_back_when_it_stops(tmp_path, serve):
    from conftest import BIN, Server, base_env, Tvshows
    primary = PgServer().start()
    replica = None
    try:
        primary.psql("CREATE DATABASE r")
        t = Tvshows(primary.url("r"), tmp_path)
        assert t.run("migrate").returncode == 0
        path = tmp_path / "crafted.json"
        path.write_text(json.dumps(crafted()))
        assert t.run("import", "--file", str(path)).returncode == 0
        replica = PgServer(replica_of=primary).start()
        deadline = time.time() + 30
        while time.time() < deadline and replica.psql("SELECT count(*) FROM episodes", "r") == "0":
            time.sleep(0.2)
        mport = free_port()
        s = serve(database_url=primary.url("r"),
                  env={"DATABASE_REPLICA_URL": replica.url("r"), "METRICS_PORT": mport})
        assert s.get("/api/v1/analytics/networks").status == 200
        apps = replica.psql("SELECT string_agg(application_name, ',') FROM pg_stat_activity"
                            " WHERE datname = 'r'")
        assert "tvshows-analytics" in apps
        assert "tvshows-analytics" not in (primary.psql(
            "SELECT coalesce(string_agg(application_name, ','), '') FROM pg_stat_activity"
            " WHERE datname = 'r'") or "")
        # the CLI reads the replica too
        p = t.run("analytics", "genres", "--format", "json",
                  env={"DATABASE_REPLICA_URL": replica.url("r")})
        assert p.returncode == 0
        replica.stop()
        r = s.get("/api/v1/analytics/genres")
        assert r.status == 200 and r.json()["data"]
        text = scrape(mport)
        assert sample(text, "tvshows_db_replica_fallbacks_total") >= 1
        assert any("replica" in l.get("msg", "") for l in s.log_lines())
        p = t.run("analytics", "networks", "--format", "json",
                  env={"DATABASE_REPLICA_URL": replica.url("r")})
        assert p.returncode == 0 and json.loads(p.stdout)["data"]
        s.check_clean_exit(s.stop())
    finally:
        if replica:
            replica.destroy()
        primary.destroy()


@pytest.mark.postgres_only
def test_analytics_are_spread_over_several_replicas(tmp_path, serve):
    from conftest import Tvshows
    primary = PgServer().start()
    replicas = []
    try:
        primary.psql("CREATE DATABASE r")
        t = Tvshows(primary.url("r"), tmp_path)
        assert t.run("migrate").returncode == 0
        path = tmp_path / "crafted.json"
        path.write_text(json.dumps(crafted()))
        assert t.run("import", "--file", str(path)).returncode == 0
        for _ in range(2):
            replicas.append(PgServer(replica_of=primary).start())
        for rep in replicas:
            deadline = time.time() + 30
            while time.time() < deadline and rep.psql("SELECT count(*) FROM episodes", "r") == "0":
                time.sleep(0.2)
        mport = free_port()
        urls = " , ".join(rep.url("r") for rep in replicas)
        s = serve(database_url=primary.url("r"),
                  env={"DATABASE_REPLICA_URL": urls, "METRICS_PORT": mport, "CACHE_MB": "0",
                       "THREADS": "1"})
        for _ in range(4):
            assert s.get("/api/v1/analytics/networks").status == 200
        for rep in replicas:  # each read a share
            assert "tvshows-analytics" in rep.psql(
                "SELECT coalesce(string_agg(application_name, ','), '') FROM pg_stat_activity"
                " WHERE datname = 'r'")
        replicas[0].stop()
        for _ in range(4):
            r = s.get("/api/v1/analytics/genres")
            assert r.status == 200 and r.json()["data"]
        # the other replica answered: the primary was never needed
        assert sample(scrape(mport), "tvshows_db_replica_fallbacks_total") == 0
        replicas[1].stop()
        assert s.get("/api/v1/analytics/genres").status == 200
        assert sample(scrape(mport), "tvshows_db_replica_fallbacks_total") >= 1
        s.check_clean_exit(s.stop())
        p = t.run("serve", env={"DATABASE_REPLICA_URL": urls + ",mysql://x"})
        assert p.returncode == 2 and "DATABASE_REPLICA_URL" in p.stderr
    finally:
        for rep in replicas:
            rep.destroy()
        primary.destroy()
