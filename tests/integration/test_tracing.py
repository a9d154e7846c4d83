"""Traces: W3C traceparent in and out, the spans of a request and of a
worker's job as a local OTLP/HTTP receiver gets them, sampling, and an
export that fails without costing requests anything."""
import http.client
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import BACKEND, BIN, FIXTURES, base_env
from servers import free_port

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN = "b7ad6b7169203331"
TRACEPARENT_RE = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$")
DB_SYSTEM = "sqlite" if BACKEND == "sqlite" else "postgresql"
SERVER, CLIENT, CONSUMER = 2, 3, 5


class OtlpReceiver:
    """An OTLP/HTTP endpoint: collects the JSON documents POSTed to
    /v1/traces (each must be application/json)."""

    def __init__(self):
        self.docs = []
        self.bad = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    if self.path != "/v1/traces" or \
                            self.headers.get("Content-Type") != "application/json":
                        receiver.bad.append((self.path, self.headers.get("Content-Type")))
                    else:
                        receiver.docs.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def spans(self):
        """Every span received, each with the service.name of its resource."""
        out = []
        with self.lock:
            docs = list(self.docs)
        for doc in docs:
            for rs in doc["resourceSpans"]:
                service = attrs(rs["resource"])["service.name"]
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        out.append(dict(s, service=service))
        return out

    def trace(self, trace_id, want=1, timeout=10):
        """The spans of one trace, once at least `want` arrived."""
        deadline = time.time() + timeout
        while True:
            got = [s for s in self.spans() if s["traceId"] == trace_id]
            if len(got) >= want or time.time() > deadline:
                return got
            time.sleep(0.1)

    def dump(self):
        with self.lock:
            return json.dumps(self.docs)


def attrs(obj):
    """An OTLP attribute list as a dict (int values as ints)."""
    out = {}
    for kv in obj.get("attributes", []):
        v = kv["value"]
        if "stringValue" in v:
            out[kv["key"]] = v["stringValue"]
        else:
            assert isinstance(v["intValue"], str), "int64 values are JSON strings"
            out[kv["key"]] = int(v["intValue"])
    return out


def check_span_shape(s):
    """The protobuf JSON mapping: hex ids, Unix nanoseconds as strings."""
    assert re.fullmatch(r"[0-9a-f]{32}", s["traceId"]), s
    assert re.fullmatch(r"[0-9a-f]{16}", s["spanId"]), s
    assert "parentSpanId" not in s or re.fullmatch(r"[0-9a-f]{16}", s["parentSpanId"]), s
    start, end = int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"])
    assert isinstance(s["startTimeUnixNano"], str) and isinstance(s["endTimeUnixNano"], str)
    assert abs(start / 1e9 - time.time()) < 600 and start <= end


def server_span(spans):
    found = [s for s in spans if s["kind"] == SERVER]
    assert len(found) == 1, spans
    return found[0]


def response_context(resp):
    tp = resp.header("traceparent")
    assert tp, "no traceparent on %s" % resp.status
    m = TRACEPARENT_RE.match(tp)
    assert m, tp
    return m.group(1), m.group(2), m.group(3)


@pytest.fixture
def receiver():
    r = OtlpReceiver()
    yield r
    r.stop()


@pytest.fixture
def migrated(tvshows):
    assert tvshows.run("migrate").returncode == 0
    # data for the day the requests ask about
    p = tvshows.run("import", "--file", os.path.join(FIXTURES, "schedule-GB-2026-07-07.json"))
    assert p.returncode == 0, p.stderr


def traced(receiver, **extra):
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_TRACES_SAMPLER_ARG": "1.0",
           "CACHE_MB": "0"}
    env.update(extra)
    return env


def scrape(port):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(tvshows_trace_spans_\w+) (\S+)$", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


# ---- requests ----

def test_a_caller_s_traceparent_is_continued_and_the_database_calls_are_children(
        migrated, serve, receiver):
    mport = free_port()
    s = serve(env=traced(receiver, METRICS_PORT=mport))
    r = s.get("/api/v1/tvshows?date_from=2026-07-07&date_to=2026-07-07&distributor=Zorblax+Secret",
              headers={"traceparent": "00-%s-%s-01" % (CALLER_TRACE, CALLER_SPAN),
                       "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"})
    assert r.status == 200
    trace_id, span_id, flags = response_context(r)
    assert (trace_id, flags) == (CALLER_TRACE, "01")
    assert span_id != CALLER_SPAN
    assert r.header("tracestate") == "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"

    spans = receiver.trace(CALLER_TRACE, want=2)
    for sp in spans:
        check_span_shape(sp)
        assert sp["service"] == "tvshows-api"
    root = server_span(spans)
    # the response names the server span, whose parent is the caller's span
    assert root["spanId"] == span_id
    assert root["parentSpanId"] == CALLER_SPAN
    assert root["name"] == "GET /api/v1/tvshows"
    a = attrs(root)
    assert a["http.request.method"] == "GET"
    assert a["http.route"] == "/api/v1/tvshows"
    assert a["http.response.status_code"] == 200
    assert a["url.path"] == "/api/v1/tvshows"  # no query
    assert a["server.port"] == s.port
    assert "status" not in root

    db = [sp for sp in spans if sp is not root]
    assert db, "no database span"
    for sp in db:
        assert sp["kind"] == CLIENT
        assert sp["parentSpanId"] == root["spanId"]
        a = attrs(sp)
        assert a["db.system.name"] == DB_SYSTEM
        assert a["db.operation.name"] in ("SELECT", "BEGIN", "COMMIT", "WITH", "INSERT", "UPDATE")
        assert sp["name"].startswith(a["db.operation.name"])
        assert re.fullmatch(r"[A-Z]+( [a-z_]+)?", sp["name"]), sp["name"]
        assert int(sp["startTimeUnixNano"]) >= int(root["startTimeUnixNano"])
        assert int(sp["endTimeUnixNano"]) <= int(root["endTimeUnixNano"])
    assert any(attrs(sp).get("db.collection.name") for sp in db)
    # query values appear nowhere
    dump = receiver.dump()
    for secret in ("Zorblax", "2026-07-07", "congo", "date_from"):
        assert secret not in dump
    # every span the collector took is counted
    deadline = time.time() + 5
    while scrape(mport).get("tvshows_trace_spans_exported_total") != len(receiver.spans()) \
            and time.time() < deadline:
        time.sleep(0.2)
    m = scrape(mport)
    assert m["tvshows_trace_spans_exported_total"] == len(receiver.spans())
    assert m["tvshows_trace_spans_dropped_total"] == 0
    assert not receiver.bad


def test_each_request_without_a_traceparent_is_a_trace_of_its_own(migrated, serve, receiver):
    s = serve(env=traced(receiver))
    contexts = []
    for path in ("/api/v1/networks", "/api/v1/shows?per_page=2", "/up", "/nope"):
        r = s.get(path)
        contexts.append((path, r.status) + response_context(r))
    assert len({c[2] for c in contexts}) == 4, contexts
    for path, status, trace_id, span_id, flags in contexts:
        assert flags == "01"
        spans = receiver.trace(trace_id)
        root = server_span(spans)
        assert root["spanId"] == span_id
        assert "parentSpanId" not in root
        assert attrs(root)["http.response.status_code"] == status
        for sp in spans:
            assert sp["traceId"] == trace_id
            if sp is not root:
                assert sp["parentSpanId"] == root["spanId"]
    names = {c[0]: server_span(receiver.trace(c[2]))["name"] for c in contexts}
    assert names == {"/api/v1/networks": "GET /api/v1/networks",
                     "/api/v1/shows?per_page=2": "GET /api/v1/shows", "/up": "GET /up",
                     "/nope": "GET"}  # no route: the method alone
    nope = server_span(receiver.trace(contexts[3][2]))
    assert "http.route" not in attrs(nope) and attrs(nope)["url.path"] == "/nope"
    shows = receiver.trace(contexts[1][2])
    assert any(attrs(sp).get("db.collection.name") == "shows" for sp in shows)


@pytest.mark.parametrize("bad", [
    "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",  # uppercase
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # forbidden version
    "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # unknown version
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # zero trace id
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # zero span id
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",  # too long
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01",  # too short
])
def test_a_bad_traceparent_is_ignored_never_an_error(migrated, serve, receiver, bad):
    s = serve(env=traced(receiver))
    r = s.get("/api/v1/networks", headers={"traceparent": bad, "tracestate": "congo=t61rcWkgMzE"})
    assert r.status == 200
    trace_id, span_id, flags = response_context(r)
    assert trace_id not in (CALLER_TRACE, "0" * 32) and flags == "01"
    assert r.header("tracestate") is None  # it came with a context that was not taken
    root = server_span(receiver.trace(trace_id))
    assert root["spanId"] == span_id and "parentSpanId" not in root


def test_an_unsampled_caller_is_answered_but_not_recorded(migrated, serve, receiver):
    s = serve(env=traced(receiver))
    r = s.get("/api/v1/networks",
              headers={"traceparent": "00-%s-%s-00" % (CALLER_TRACE, CALLER_SPAN)})
    assert r.status == 200
    trace_id, _, flags = response_context(r)
    assert (trace_id, flags) == (CALLER_TRACE, "00")
    # a sampled request afterwards: once its spans are in, the first's would be
    marker = response_context(s.get("/api/v1/networks"))[0]
    assert receiver.trace(marker)
    time.sleep(1.2)
    assert not [sp for sp in receiver.spans() if sp["traceId"] == CALLER_TRACE]


def test_every_response_names_its_span_even_one_the_server_refuses(migrated, serve, receiver):
    s = serve(env=traced(receiver))
    # a body sent to a route that takes none: refused before the handler
    r = s.request("POST", "/api/v1/networks", body=b"x" * 10,
                  headers={"traceparent": "00-%s-%s-01" % (CALLER_TRACE, CALLER_SPAN)})
    assert r.status == 413
    trace_id, span_id, _ = response_context(r)
    assert trace_id == CALLER_TRACE
    root = server_span(receiver.trace(CALLER_TRACE))
    assert root["spanId"] == span_id and root["parentSpanId"] == CALLER_SPAN
    assert root["name"] == "POST"
    assert attrs(root)["http.response.status_code"] == 413
    # a head that cannot be parsed still gets one
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
        c.sendall(b"GET /up HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        head = c.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 400")
    assert re.search(r"(?im)^traceparent: 00-[0-9a-f]{32}-[0-9a-f]{16}-01\r$", head)


def test_a_feed_s_token_stays_out_of_the_trace(migrated, serve, receiver):
    s = serve(env=traced(receiver))
    token = "tok_" + "S3cr3tF33dT0k3n" * 2
    r = s.get("/feeds/%s.ics" % token)
    trace_id = response_context(r)[0]
    root = server_span(receiver.trace(trace_id))
    assert attrs(root)["http.route"] == "/feeds/:token"
    assert attrs(root)["url.path"] == "/feeds/:token"
    assert "S3cr3t" not in receiver.dump()


def test_redis_commands_are_children_of_the_server_span(migrated, serve, receiver, redis_url):
    # sent from the request's task on the loop: the budget's script, the
    # shared cache's lookup, and its write, whose reply nothing waits for
    s = serve(env=traced(receiver, REDIS_URL=redis_url, RATE_LIMIT_IP_PER_MIN="1000",
                         CACHE_MB="32"))
    r = s.get("/api/v1/networks", headers={"X-API-Key": "k3y-n0t-in-traces"})
    assert r.status == 200
    trace_id, span_id, _ = response_context(r)
    deadline = time.time() + 10
    while True:
        spans = receiver.trace(trace_id, want=3)
        cmds = [sp for sp in spans if attrs(sp).get("db.system.name") == "redis"]
        if sorted(sp["name"] for sp in cmds) == ["EVAL", "GET", "SET"] or time.time() > deadline:
            break
        time.sleep(0.1)
    assert sorted(sp["name"] for sp in cmds) == ["EVAL", "GET", "SET"], spans
    root = server_span(spans)
    for sp in cmds:
        assert sp["kind"] == CLIENT and sp["parentSpanId"] == root["spanId"] == span_id
        a = attrs(sp)
        # the command's name, never its keys or values
        assert re.fullmatch(r"[A-Z]+", sp["name"]) and a["db.operation.name"] == sp["name"]
        assert set(a) <= {"db.system.name", "db.operation.name", "server.address", "error.type"}
        assert "status" not in sp
    assert any(attrs(sp).get("db.system.name") == DB_SYSTEM for sp in spans)
    assert "k3y-n0t" not in receiver.dump()


# ---- requests that wait on one loop thread ----

TV_DAY = "/api/v1/tvshows?date_from=2026-07-07&date_to=2026-07-07"


def caller(i):
    """A sampled caller's context of its own: (trace id, span id, header)."""
    trace_id, span_id = "%032x" % (0x5eed0000 + i), "%016x" % (0xca11e400 + i)
    return trace_id, span_id, "00-%s-%s-01" % (trace_id, span_id)


def get_in_background(s, requests):
    """GETs each (path, headers) on a connection of its own; the results,
    by index, as they end."""
    results = {}

    def one(i, path, headers):
        try:
            results[i] = s.get(path, headers=headers, timeout=30)
        except Exception as e:  # a hang shows as a timeout
            results[i] = e

    threads = [threading.Thread(target=one, args=(i, p, h)) for i, (p, h) in enumerate(requests)]
    for t in threads:
        t.start()
    return threads, results


def request_trace(receiver, r, trace_id, parent, want=2):
    """The answer's spans: its server span (named by the answer, child of
    the caller's span) and the rest, each a child of that one."""
    assert r.status == 200, r.status
    got_trace, span_id, _ = response_context(r)
    assert got_trace == trace_id
    spans = receiver.trace(trace_id, want=want)
    root = server_span(spans)
    assert root["spanId"] == span_id and root["parentSpanId"] == parent
    children = [sp for sp in spans if sp is not root]
    for sp in children:
        assert sp["kind"] == CLIENT and sp["parentSpanId"] == root["spanId"], sp
    return root, children


@pytest.mark.postgres_only
def test_requests_waiting_together_on_one_loop_thread_each_keep_their_own_spans(
        migrated, db, serve, receiver):
    from test_loop_waits import Locker
    s = serve(env=traced(receiver, THREADS="1"))
    # the schedule's index is read once (and named after its table, not
    # after the subquery in its columns); requests after it read the same
    tid, sid, tp = caller(98)
    _, first = request_trace(receiver, s.get(TV_DAY, headers={"traceparent": tp}), tid, sid)
    assert "SELECT episodes" in [sp["name"] for sp in first]
    assert "SELECT meta" not in [sp["name"] for sp in first]
    # alone: the spans a request of this route has
    tid, sid, tp = caller(99)
    _, alone = request_trace(receiver, s.get(TV_DAY, headers={"traceparent": tp}), tid, sid)
    alone_names = sorted(sp["name"] for sp in alone)
    assert "SELECT episodes" in alone_names

    locker = Locker(db.url)
    locker.lock()
    try:
        threads, results = get_in_background(
            s, [(TV_DAY, {"traceparent": caller(i)[2]}) for i in range(3)])
        time.sleep(0.8)
        assert results == {}, "answered while their statements were blocked"
        # the loop thread answers another meanwhile, in a trace of its own
        up = s.get("/up", headers={"traceparent": caller(50)[2]})
        assert up.status == 200 and results == {}
    finally:
        released = time.time_ns()
        locker.release()
    for t in threads:
        t.join(30)
    assert sorted(results) == [0, 1, 2]
    assert request_trace(receiver, up, caller(50)[0], caller(50)[1], want=1)[1] == []
    for i, r in results.items():
        tid, sid, _ = caller(i)
        root, children = request_trace(receiver, r, tid, sid, want=1 + len(alone))
        # the same statements as alone, none lost to another request and
        # none taken from one: those after the wait too
        assert sorted(sp["name"] for sp in children) == alone_names, (i, children)
        # the statement that waited for the lock spans it
        waited = [sp for sp in children if int(sp["startTimeUnixNano"]) < released
                  < int(sp["endTimeUnixNano"])]
        assert [sp["name"] for sp in waited] == ["SELECT episodes"], (i, children)
        # the server span ends with the answer, not when the request parked
        assert int(root["endTimeUnixNano"]) > released
        assert all(int(sp["endTimeUnixNano"]) <= int(root["endTimeUnixNano"])
                   for sp in children)
        assert attrs(root)["http.response.status_code"] == 200
    # nothing anywhere is a child of a span outside its own trace
    by_trace = {}
    for sp in receiver.spans():
        by_trace.setdefault(sp["traceId"], set()).add(sp["spanId"])
    for sp in receiver.spans():
        if sp["kind"] == CLIENT:
            assert sp["parentSpanId"] in by_trace[sp["traceId"]], sp
    s.check_clean_exit(s.stop())


# ---- sampling and failures ----

def test_sampler_0_records_nothing(migrated, serve, receiver):
    mport = free_port()
    s = serve(env=traced(receiver, OTEL_TRACES_SAMPLER_ARG="0", METRICS_PORT=mport))
    for headers in ({}, {"traceparent": "00-%s-%s-01" % (CALLER_TRACE, CALLER_SPAN)}):
        r = s.get("/api/v1/networks", headers=headers)
        assert r.status == 200
        assert response_context(r)[2] == "00"  # answered, not recorded
    assert response_context(r)[0] == CALLER_TRACE
    time.sleep(2.5)  # two export intervals
    assert receiver.spans() == [] and receiver.docs == []
    m = scrape(mport)
    assert m["tvshows_trace_spans_exported_total"] == 0
    assert m["tvshows_trace_spans_dropped_total"] == 0


def test_bad_trace_settings_are_refused(tvshows):
    assert tvshows.run("migrate").returncode == 0
    for var, value in (("OTEL_TRACES_SAMPLER_ARG", "1.5"), ("OTEL_TRACES_SAMPLER_ARG", "1e-2"),
                       ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://127.0.0.1:4318"),
                       ("OTEL_SERVICE_NAME", "two words")):
        p = tvshows.run("serve", env={var: value})
        assert p.returncode == 2, (var, value, p.stderr)
        assert var in p.stderr and len(p.stderr.strip().splitlines()) == 1


def silent_collector():
    """A collector that takes connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held = []

    def accept():
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return
    threading.Thread(target=accept, daemon=True).start()
    return srv, held


@pytest.mark.parametrize("collector", ["refusing", "silent"])
def test_a_collector_that_fails_costs_requests_nothing(migrated, serve, collector):
    mport = free_port()
    held = []
    if collector == "refusing":
        # bound and not listening: connections are refused, and the port
        # stays ours for the test
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
    else:
        srv, held = silent_collector()
    endpoint = "http://127.0.0.1:%d" % srv.getsockname()[1]
    try:
        s = serve(env={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_TRACES_SAMPLER_ARG": "1",
                       "METRICS_PORT": mport, "CACHE_MB": "0"})
        slowest = 0
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        deadline = time.time() + 4  # spans every second meet the failing export
        n = 0
        while time.time() < deadline:
            t0 = time.time()
            c.request("GET", "/api/v1/networks")
            resp = c.getresponse()
            resp.read()
            assert resp.status == 200
            slowest = max(slowest, time.time() - t0)
            n += 1
        c.close()
        assert n > 50
        assert slowest < 0.2, "a request waited %.3f s" % slowest
        m = scrape(mport)
        assert m["tvshows_trace_spans_exported_total"] == 0
        if collector == "refusing":
            # tried twice, then dropped and counted (a silent one holds its
            # batch until the POST times out)
            assert m["tvshows_trace_spans_dropped_total"] > 0
            logs = [line for line in s.log_lines() if "trace export" in line.get("msg", "")]
            assert len(logs) == 1, logs  # said once, not per batch
            assert logs[0]["level"] == "warn"
        else:
            assert held, "the exporter never connected"
        # and the process still exits at once, cleanly
        t0 = time.time()
        rc = s.stop()
        s.check_clean_exit(rc)
        assert time.time() - t0 < 6
    finally:
        if held:
            srv.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        srv.close()
        for h in held:
            h.close()


# ---- the worker ----

def test_a_worker_job_is_a_trace_with_the_upstream_fetch_as_a_child(migrated, tvshows,
                                                                    fake_tvmaze, receiver,
                                                                    tmp_path):
    env = {"TVMAZE_BASE_URL": fake_tvmaze.url, "IMPORT_RATE": "0", "IMPORT_SCHEDULE": "0 2 * * *",
           "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_TRACES_SAMPLER_ARG": "1"}
    p = tvshows.run("jobs", "enqueue", "import", "--days", "1", "--from", "2026-07-06",
                    "--countries", "GB", "--no-web", env=env)
    assert p.returncode == 0, p.stderr
    w = subprocess.Popen([BIN, "worker"], env=base_env(dict(env, DATABASE_URL=tvshows.db_url)),
                         cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        jobs = []
        while time.time() < deadline:
            jobs = [sp for sp in receiver.spans() if sp["name"] == "import-day"]
            if jobs:
                break
            time.sleep(0.2)
        assert len(jobs) == 1, [sp["name"] for sp in receiver.spans()]
    finally:
        w.terminate()
        err = w.communicate(timeout=30)[1].decode()
    assert w.returncode == 0, err[-3000:]
    assert "Sanitizer" not in err and "runtime error" not in err, err[-3000:]

    job = jobs[0]
    assert job["kind"] == CONSUMER and "parentSpanId" not in job
    assert job["service"] == "tvshows-worker"
    assert attrs(job)["tvshows.job.type"] == "import-day"
    assert "status" not in job
    spans = receiver.trace(job["traceId"], want=3)
    for sp in spans:
        check_span_shape(sp)
    children = [sp for sp in spans if sp["spanId"] != job["spanId"]]
    assert all(sp["parentSpanId"] == job["spanId"] for sp in children)
    fetch = [sp for sp in children if sp["name"] == "GET"]
    assert len(fetch) == 1
    a = attrs(fetch[0])
    assert fetch[0]["kind"] == CLIENT
    assert a["url.full"] == fake_tvmaze.url + "/schedule?country=GB&date=2026-07-06"
    assert a["http.response.status_code"] == 200
    writes = [attrs(sp) for sp in children if sp is not fetch[0]]
    assert any(x.get("db.collection.name") == "episodes" and x["db.operation.name"] == "INSERT"
               for x in writes), writes
    assert all(x["db.system.name"] == DB_SYSTEM for x in writes)
    # the plan that fanned out is a trace of its own
    assert [sp for sp in receiver.spans() if sp["name"] == "import-plan"]
