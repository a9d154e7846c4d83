"""Self-test of the TVmaze fake (fake_tvmaze.py) and the dataset generator.

Run: /usr/bin/python3 -m pytest tests/support/test_fake_tvmaze.py -q
"""

import glob
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from fake_tvmaze import FakeTvmaze  # noqa: E402

FIXTURES = Path(os.environ.get("TVMAZE_FIXTURES",
                               REPO / "tests" / "fixtures" / "tvmaze"))
GENERATOR = REPO / "bench" / "gen_dataset.py"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

ENVELOPE_KEYS = {"name", "message", "code", "status"}


# --------------------------------------------------------------------------
# helpers and fixtures
# --------------------------------------------------------------------------

def get(server, path, headers=None, timeout=5.0, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp, resp.read()
    finally:
        conn.close()


def get_json(server, path, **kw):
    status, resp, body = get(server, path, **kw)
    return status, json.loads(body.decode("utf-8"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    files = sorted(glob.glob(str(FIXTURES / "schedule-*.json")))
    assert files, "recorded fixtures not found in %s (set TVMAZE_FIXTURES)" % FIXTURES
    d = tmp_path_factory.mktemp("tvmaze")
    for f in files:
        shutil.copy(f, d)
    return d


@pytest.fixture(scope="module")
def server(data_dir):
    fake = FakeTvmaze(data_dir).start()
    yield fake
    fake.stop()


@pytest.fixture(autouse=True)
def clean(request):
    if "server" in request.fixturenames:
        fake = request.getfixturevalue("server")
        fake.clear_faults()
        fake.reset_requests()
    yield


def _instant(item):
    return datetime.fromisoformat(item["airstamp"]).timestamp()


# --------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------

def test_country_schedule_is_the_recorded_file(server, data_dir):
    status, resp, body = get(server, "/schedule?country=GB&date=2026-07-04")
    assert status == 200
    assert body == (data_dir / "schedule-GB-2026-07-04.json").read_bytes()
    assert resp.getheader("Content-Type") == "application/json; charset=UTF-8"
    assert resp.getheader("Cache-Control") == "public, max-age=3600"
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    assert resp.getheader("Vary") == "Accept-Encoding"
    assert resp.getheader("Content-Length") == str(len(body))
    assert resp.getheader("Content-Encoding") is None
    items = json.loads(body)
    assert len(items) == 9 and all("show" in it for it in items)


def test_country_defaults_to_us_and_missing_day_is_empty(server):
    status, items = get_json(server, "/schedule?date=2020-12-01")
    assert status == 200 and len(items) == 72
    status, items = get_json(server, "/schedule?country=GB&date=2031-01-01")
    assert status == 200 and items == []
    status, items = get_json(server, "/schedule/web?date=2031-01-01")
    assert status == 200 and items == []


@pytest.mark.parametrize("query,message", [
    ("country=UK&date=2026-07-04", "Not a valid ISO country code"),
    ("country=gb&date=2026-07-04", "Not a valid ISO country code"),
    ("country=USA&date=2026-07-04", "Not a valid ISO country code"),
    ("country=GB&date=2026-02-30", "Not a valid ISO date"),
    ("country=GB&date=20260704", "Not a valid ISO date"),
    ("country=GB&date=", "Not a valid ISO date"),
])
def test_invalid_query_is_422(server, query, message):
    status, body = get_json(server, "/schedule?" + query)
    assert status == 422
    assert body == {"name": "Unprocessable Entity", "message": message, "code": 0, "status": 422}


def test_web_schedule_and_country_filter(server, data_dir):
    status, _, body = get(server, "/schedule/web?date=2020-12-04")
    assert status == 200
    assert body == (data_dir / "schedule-web-2020-12-04.json").read_bytes()
    everything = json.loads(body)
    assert all("_embedded" in it and "show" not in it for it in everything)

    status, global_only = get_json(server, "/schedule/web?date=2020-12-04&country=")
    assert status == 200 and global_only
    assert all(it["_embedded"]["show"]["webChannel"]["country"] is None for it in global_only)
    status, ru = get_json(server, "/schedule/web?date=2020-12-04&country=RU")
    assert status == 200 and ru
    assert all(it["_embedded"]["show"]["webChannel"]["country"]["code"] == "RU" for it in ru)
    assert len(global_only) + len(ru) < len(everything)


def test_full_schedule_is_synthesised(server, data_dir):
    status, items = get_json(server, "/schedule/full")
    assert status == 200
    ids = set()
    for f in glob.glob(str(data_dir / "schedule-*.json")):
        ids.update(it["id"] for it in json.loads(Path(f).read_text(encoding="utf-8")))
    assert len(items) == len(ids) == len({it["id"] for it in items})
    assert all("show" not in it and "show" in it["_embedded"] for it in items)
    keys = [(_instant(it), it["id"]) for it in items]
    assert keys == sorted(keys)
    # The after-midnight episode listed on two GB days appears once.
    assert sum(1 for it in items if it["id"] == 3656616) == 1
    # Country items keep their key order, with _embedded last.
    first_gb = next(it for it in items if it["id"] == 3654884)
    assert list(first_gb)[-2:] == ["_links", "_embedded"]


def test_full_schedule_file_wins(tmp_path):
    (tmp_path / "schedule-full.json").write_text('[{"id":1}]')
    (tmp_path / "schedule-US-2026-01-01.json").write_text('[{"id":2}]')
    with FakeTvmaze(tmp_path) as fake:
        status, items = get_json(fake, "/schedule/full")
        assert status == 200 and items == [{"id": 1}]


def test_unknown_path_is_404(server):
    status, body = get_json(server, "/shows/1")
    assert status == 404
    assert body == {"name": "Not Found", "message": "Page not found.", "code": 0, "status": 404}


def test_files_are_read_on_every_request(server, data_dir):
    path = data_dir / "schedule-GB-2030-01-01.json"
    try:
        path.write_text('[{"id":1}]')
        assert get_json(server, "/schedule?country=GB&date=2030-01-01")[1] == [{"id": 1}]
        path.write_text('[{"id":1},{"id":2}]')
        assert get_json(server, "/schedule?country=GB&date=2030-01-01")[1] == [{"id": 1}, {"id": 2}]
    finally:
        path.unlink()


def test_gzip_when_asked(server, data_dir):
    status, resp, body = get(server, "/schedule/web?date=2024-01-01",
                             headers={"Accept-Encoding": "gzip, deflate"})
    assert status == 200
    assert resp.getheader("Content-Encoding") == "gzip"
    assert resp.getheader("Content-Length") == str(len(body))
    assert gzip.decompress(body) == (data_dir / "schedule-web-2024-01-01.json").read_bytes()
    _, resp, _ = get(server, "/schedule/web?date=2024-01-01", headers={"Accept-Encoding": "gzip;q=0"})
    assert resp.getheader("Content-Encoding") is None


def test_keep_alive(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", "/schedule?country=GB&date=2026-07-03")
        r1 = conn.getresponse()
        assert r1.status == 200 and r1.getheader("Connection") is None
        r1.read()
        sock = conn.sock
        assert sock is not None
        conn.request("GET", "/schedule?country=GB&date=2026-07-05", headers={"Accept-Encoding": "gzip"})
        r2 = conn.getresponse()
        assert r2.status == 200 and len(json.loads(gzip.decompress(r2.read()))) == 16
        assert conn.sock is sock  # same TCP connection
    finally:
        conn.close()


def test_nodelay_answers_are_not_held_back(data_dir):
    """Headers and body go out in two writes: with Nagle's algorithm on, the
    body waited for the client's delayed ACK (about 40 ms) on every request
    of a keep-alive connection, and that, not the importer, set the pace of
    the import benchmark. With nodelay, ten answers take a few milliseconds
    each."""
    fake = FakeTvmaze(data_dir, nodelay=True).start()
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request("GET", "/schedule?country=GB&date=2026-07-03")
        conn.getresponse().read()
        started = time.monotonic()
        for _ in range(10):
            conn.request("GET", "/schedule?country=GB&date=2026-07-03",
                         headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            assert resp.status == 200 and resp.read()
        assert time.monotonic() - started < 0.3
    finally:
        conn.close()
        fake.stop()


def test_parallel_clients(server, data_dir):
    expected = (data_dir / "schedule-web-2020-12-25.json").read_bytes()
    errors = []

    def worker():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            for _ in range(5):
                conn.request("GET", "/schedule/web?date=2020-12-25")
                r = conn.getresponse()
                if r.status != 200 or r.read() != expected:
                    errors.append("bad answer")
            conn.close()
        except Exception as exc:  # noqa: BLE001 - collected for the assert
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(server.requests()) == 80


# --------------------------------------------------------------------------
# faults
# --------------------------------------------------------------------------

def test_fault_429_with_and_without_retry_after(server):
    server.set_faults([
        {"path": "/schedule", "kind": "429", "retry_after": 3},
        {"path": "/schedule", "kind": "429"},
    ])
    status, resp, _ = get(server, "/schedule?country=US&date=2020-12-01")
    assert status == 429 and resp.getheader("Retry-After") == "3"
    status, resp, _ = get(server, "/schedule?country=US&date=2020-12-01")
    assert status == 429 and resp.getheader("Retry-After") is None
    status, _, _ = get(server, "/schedule?country=US&date=2020-12-01")
    assert status == 200


@pytest.mark.parametrize("kind", ["500", "502", "503", "404", "400"])
def test_fault_error_statuses(server, kind):
    server.set_faults([{"path": "/schedule/web", "kind": kind}])
    status, body = get_json(server, "/schedule/web?date=2020-12-04")
    assert status == int(kind)
    assert set(body) == ENVELOPE_KEYS and body["status"] == int(kind)
    assert get(server, "/schedule/web?date=2020-12-04")[0] == 200


def test_fault_slow(server):
    server.set_faults([{"path": "/schedule", "kind": "slow", "delay": 3}])
    started = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        get(server, "/schedule?country=GB&date=2026-07-04", timeout=0.5)
    assert time.monotonic() - started < 2
    assert get(server, "/schedule?country=GB&date=2026-07-04")[0] == 200


def test_fault_truncated(server, data_dir):
    full = (data_dir / "schedule-GB-2026-07-03.json").read_bytes()
    server.set_faults([{"path": "/schedule", "kind": "truncated", "times": 2}])
    status, resp, body = get(server, "/schedule?country=GB&date=2026-07-03")
    assert status == 200
    assert resp.getheader("Content-Type") == "application/json; charset=UTF-8"
    assert int(resp.getheader("Content-Length")) == len(body)
    assert len(full) // 3 < len(body) < len(full) and full.startswith(body)
    with pytest.raises(ValueError):
        json.loads(body)
    # gzip-compressed, the cut JSON still decompresses cleanly.
    status, resp, body = get(server, "/schedule?country=GB&date=2026-07-03",
                             headers={"Accept-Encoding": "gzip"})
    assert resp.getheader("Content-Encoding") == "gzip"
    assert full.startswith(gzip.decompress(body)) and len(gzip.decompress(body)) < len(full)


def test_fault_html(server):
    server.set_faults([{"path": "/schedule", "kind": "html"}])
    status, resp, body = get(server, "/schedule?country=GB&date=2026-07-03")
    assert status == 200
    assert resp.getheader("Content-Type") == "text/html"
    assert body.lstrip().startswith(b"<") and b"</html>" in body


def test_fault_wrong_shape(server):
    server.set_faults([{"path": "/schedule/full", "kind": "wrong_shape"}])
    status, body = get_json(server, "/schedule/full")
    assert status == 200 and body == {"message": "not a list"}


def test_fault_reset(server):
    server.set_faults([{"path": "/schedule", "kind": "reset"}])
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(server, "/schedule?country=GB&date=2026-07-03")
    assert get(server, "/schedule?country=GB&date=2026-07-03")[0] == 200
    assert [r["status"] for r in server.requests()] == [0, 200]


def test_fault_times_order_and_matching(server):
    server.set_faults([
        {"path": "/schedule", "country": "GB", "date": "2026-07-03", "kind": "500", "times": 2},
        {"path": "/schedule", "kind": "503"},
        {"path": "/schedule/web", "kind": "502", "times": -1},
    ])
    gb = "/schedule?country=GB&date=2026-07-03"
    # US does not match the first fault, so it consumes the second.
    assert get(server, "/schedule?date=2020-12-01")[0] == 503
    assert [get(server, gb)[0] for _ in range(3)] == [500, 500, 200]
    assert [get(server, "/schedule/web?date=2020-12-04")[0] for _ in range(4)] == [502] * 4
    assert [f["times"] for f in server.faults()] == [0, 0, -1]
    server.clear_faults()
    assert get(server, "/schedule/web?date=2020-12-04")[0] == 200


def test_unknown_fault_kind_is_rejected(server):
    with pytest.raises(ValueError):
        server.set_faults([{"path": "/schedule", "kind": "teapot"}])


def test_request_log(server):
    get(server, "/schedule?country=GB&date=2026-07-03")
    get(server, "/schedule/web?date=2020-12-04&country=")
    get(server, "/nope")
    assert server.requests() == [
        {"method": "GET", "path": "/schedule", "query": {"country": "GB", "date": "2026-07-03"},
         "status": 200},
        {"method": "GET", "path": "/schedule/web", "query": {"date": "2020-12-04", "country": ""},
         "status": 200},
        {"method": "GET", "path": "/nope", "query": {}, "status": 404},
    ]
    server.reset_requests()
    assert server.requests() == []


def test_control_endpoints_over_http(server):
    faults = [{"path": "/schedule", "kind": "429", "retry_after": 1, "times": 1}]
    status, _ = get_json(server, "/__faults", method="POST", body=json.dumps(faults),
                         headers={"Content-Type": "application/json"})
    assert status == 200
    status, resp, _ = get(server, "/schedule?country=GB&date=2026-07-03")
    assert status == 429 and resp.getheader("Retry-After") == "1"
    status, log = get_json(server, "/__requests")
    assert status == 200 and log == [{"method": "GET", "path": "/schedule",
                                      "query": {"country": "GB", "date": "2026-07-03"},
                                      "status": 429}]
    status, _ = get_json(server, "/__faults", method="POST", body='[{"kind":"teapot"}]')
    assert status == 400
    server.set_faults([{"path": "/schedule", "kind": "500"}])
    assert get_json(server, "/__faults", method="DELETE")[0] == 200
    assert get(server, "/schedule?country=GB&date=2026-07-03")[0] == 200
    assert get_json(server, "/__requests", method="DELETE")[0] == 200
    assert server.requests() == []  # control paths are never logged


def test_rate_limit(data_dir):
    with FakeTvmaze(data_dir, rate=3) as fake:
        statuses = []
        headers = []
        for _ in range(5):
            status, resp, _ = get(fake, "/schedule?country=GB&date=2026-07-03")
            statuses.append(status)
            headers.append(resp.getheader("Retry-After"))
        assert statuses == [200, 200, 200, 429, 429]
        assert headers == [None] * 5


def test_stop_is_prompt_and_releases_the_port(data_dir):
    fake = FakeTvmaze(data_dir).start()
    port = fake.port
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    idle.request("GET", "/schedule?country=GB&date=2026-07-03")
    idle.getresponse().read()                      # idle keep-alive connection
    fake.set_faults([{"path": "/schedule", "kind": "slow", "delay": 30}])
    outcome = []

    def slow_client():
        try:
            get(fake, "/schedule?country=GB&date=2026-07-03", timeout=20)
            outcome.append("answered")
        except (OSError, http.client.HTTPException) as exc:
            outcome.append(type(exc).__name__)

    slow = threading.Thread(target=slow_client)
    slow.start()
    time.sleep(0.2)
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2
    slow.join(5)
    assert not slow.is_alive() and outcome and outcome[0] != "answered"
    idle.close()
    with FakeTvmaze(data_dir, port=port) as again:
        assert again.port == port
        assert get(again, "/schedule?country=GB&date=2026-07-03")[0] == 200


def test_cli(data_dir, tmp_path):
    port_file = tmp_path / "port"
    proc = subprocess.Popen(
        [PYTHON, str(HERE / "fake_tvmaze.py"), "--data", str(data_dir),
         "--port-file", str(port_file), "--rate", "100"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        deadline = time.monotonic() + 5
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        port = int(port_file.read_text())
        assert line == "listening on http://127.0.0.1:%d" % port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/schedule?country=GB&date=2026-07-04")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


# --------------------------------------------------------------------------
# dataset generator
# --------------------------------------------------------------------------

def _generate(out, *extra):
    res = subprocess.run(
        [PYTHON, str(GENERATOR), "--out", str(out), "--start", "2026-07-01", "--days", "5",
         "--episodes", "3000", "--fixtures", str(FIXTURES), *extra],
        capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    a = tmp_path_factory.mktemp("gen_a")
    b = tmp_path_factory.mktemp("gen_b")
    out_a = _generate(a)
    out_b = _generate(b)
    return a, b, out_a, out_b


def test_generator_is_deterministic(generated, tmp_path):
    a, b, out_a, _ = generated
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b))
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = tmp_path / "other_seed"
    _generate(other, "--seed", "7")
    assert (other / "schedule-US-2026-07-01.json").read_bytes() != \
        (a / "schedule-US-2026-07-01.json").read_bytes()
    assert "3000 episodes" in out_a and "distinct shows" in out_a


def test_generator_output_shape(generated):
    a = generated[0]
    days = ["2026-07-0%d" % d for d in range(1, 6)]
    expected = sorted(["schedule-%s-%s.json" % (c, d) for c in ("US", "GB") for d in days]
                      + ["schedule-web-%s.json" % d for d in days])
    assert sorted(os.listdir(a)) == expected

    episodes, shows, where = {}, {}, {}
    country_untimed = web_untimed = web_rows = specials = 0
    for name in expected:
        items = json.loads((a / name).read_text(encoding="utf-8"))
        assert isinstance(items, list) and items
        web = name.startswith("schedule-web-")
        stamps = [_instant(it) for it in items]
        assert stamps == sorted(stamps)
        for it in items:
            if web:
                assert "show" not in it
                show = it["_embedded"]["show"]
                assert it["airdate"] == name[-15:-5]
                web_rows += 1
                web_untimed += it["airtime"] == ""
            else:
                assert "_embedded" not in it
                show = it["show"]
                country_untimed += it["airtime"] == ""
            assert it["airstamp"].endswith("+00:00")
            if it["number"] is None:
                assert it["type"] in ("significant_special", "insignificant_special")
                specials += 1
            body = {k: v for k, v in it.items() if k not in ("show", "_embedded")}
            assert episodes.setdefault(it["id"], body) == body
            assert shows.setdefault(show["id"], show) == show   # one payload per show
            where.setdefault(it["id"], []).append(name)
    assert abs(len(episodes) - 3000) <= 60
    assert len(shows) > 300
    assert country_untimed == 0 and web_untimed > web_rows // 3
    assert specials > 0
    # After-midnight airings are listed on two consecutive country days.
    twice = [v for v in where.values() if sum(1 for n in v if "-web-" not in n) == 2]
    assert twice
    # Every channel kind is present, including global web channels.
    assert any(s["webChannel"] and s["webChannel"]["country"] is None for s in shows.values())
    assert any(s["network"] and s["webChannel"] for s in shows.values())
    assert any(not s["name"].isascii() for s in shows.values())


def test_fake_serves_generated_dataset(generated):
    a = generated[0]
    with FakeTvmaze(a) as fake:
        status, _, body = get(fake, "/schedule?country=US&date=2026-07-03")
        assert status == 200 and body == (a / "schedule-US-2026-07-03.json").read_bytes()
        status, items = get_json(fake, "/schedule/full")
        assert status == 200 and len(items) == len({it["id"] for it in items}) >= 2900
