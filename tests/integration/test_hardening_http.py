"""The HTTP server under the attacks of a hostile client, through raw sockets
against the built binary: request bodies nobody asked for, bytes that can
never start a request, pipelining past the output high-water mark, running
out of file descriptors, and a stop with connections still queued."""
import contextlib
import os
import resource
import signal
import socket
import subprocess
import threading
import time

import pytest

from httpraw import RawConn

MIB = 1024 * 1024


@pytest.fixture
def srv(serve):
    # long header and idle timeouts: nothing below may be answered by a timeout
    return serve(env={"HEADER_TIMEOUT": "30", "IDLE_TIMEOUT": "60"})


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def answered_at_once(c, started, within=1.0):
    """The response c got, which must have come within `within` seconds."""
    status, headers, body = c.read_response()
    assert time.time() - started < within, "answered after %.1fs" % (time.time() - started)
    return status, headers, body


# ---- 1. request bodies: route first, read a body only where one is taken ----

@pytest.mark.parametrize("line", [
    b"POST /up", b"GET /up", b"POST /nope", b"PUT /api/v1/shows/1", b"POST /api/v1/tvshows",
])
def test_a_declared_body_where_none_is_taken_gets_413_and_a_close_before_it_is_sent(srv, line):
    c = RawConn(srv.port)
    t0 = time.time()
    c.send(line + b" HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % MIB)
    status, headers, body = answered_at_once(c, t0)
    assert status == 413
    assert body == b'{"error":"This request takes no body"}'
    assert headers["connection"] == "close"
    assert c.closed_by_peer(timeout=2)
    assert srv.get("/up").status == 200


def test_a_chunked_body_where_none_is_taken_gets_413_before_its_first_chunk(srv):
    c = RawConn(srv.port)
    t0 = time.time()
    c.send(b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    status, headers, body = answered_at_once(c, t0)
    assert status == 413 and headers["connection"] == "close"
    assert c.closed_by_peer(timeout=2)


def test_a_body_is_refused_even_with_expect_100_continue(srv):
    c = RawConn(srv.port)
    t0 = time.time()
    c.send(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
    status, _, _ = answered_at_once(c, t0)
    assert status == 413  # and no "100 Continue" before it
    assert c.closed_by_peer(timeout=2)


def test_an_empty_body_is_no_body_and_keeps_the_connection(srv):
    c = RawConn(srv.port)
    for _ in range(2):
        c.send(b"GET /up HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
        status, headers, _ = c.read_response()
        assert status == 200 and "connection" not in headers
    c.close()


def test_slow_bodies_to_up_hold_no_memory(srv):
    """The attack of the finding, scaled down: many connections each
    trickling a 1 MiB body to /up. Each is refused after its head, so the
    server's memory does not grow with what they send."""
    conns = 100
    socks = []
    before = rss_kib(srv.proc.pid)
    head = b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % MIB
    for _ in range(conns):
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(head)
        socks.append(s)
    piece = b"x" * (64 * 1024)
    for _ in range(8):  # 512 KiB each, in 64 KiB steps
        for s in socks:
            try:
                s.setblocking(False)
                s.send(piece)
            except OSError:
                pass  # refused and closed: what should happen
        time.sleep(0.05)
    grown_mib = (rss_kib(srv.proc.pid) - before) / 1024
    assert grown_mib < 16, "RSS grew by %.0f MiB" % grown_mib
    refused = 0
    for s in socks:
        s.setblocking(True)
        s.settimeout(2)
        try:
            if s.recv(64).startswith(b"HTTP/1.1 413 "):
                refused += 1
        except socket.timeout:
            pass
        except OSError:
            refused += 1  # the reset of a close with unread bytes
        s.close()
    assert refused == conns
    assert srv.get("/up").status == 200


# ---- 2. bytes that can never start a request: 400 at once, not at the header timeout ----

CLIENT_HELLO = (b"\x16\x03\x01\x00\xf4\x01\x00\x00\xf0\x03\x03" + bytes(range(32, 64)) +
                b"\x20" + bytes(range(64, 96)) + b"\x00\x08\x13\x02\x13\x03\x13\x01\x00\xff")


@pytest.mark.parametrize("raw", [
    CLIENT_HELLO,                                       # TLS on the plain port
    b"\x00\x01\x02\x03\x04\x05",                        # binary
    b"GET /up HTTP/1.1\rHost: t\r\r",                   # bare CR line endings
    b" GET /up HTTP/1.1",                               # the first byte is no token's
    b"GET /up HTTP/1.1\r\nHost: t\r\nX-A: a\x01",       # a control byte in a field
    b"GET\t/up HTTP/1.1",                               # HTAB in the request line
], ids=["tls-client-hello", "binary", "bare-cr", "leading-space", "ctl-in-field", "htab-in-line"])
def test_bytes_that_cannot_start_a_request_get_400_at_once(srv, raw):
    assert not raw.endswith(b"\n")  # no line the old parser would have looked at
    c = RawConn(srv.port)
    t0 = time.time()
    c.send(raw)
    status, headers, body = answered_at_once(c, t0)
    assert status == 400 and body == b'{"error":"Bad request"}'
    assert headers["connection"] == "close"
    assert c.closed_by_peer(timeout=2)


def test_htab_in_a_field_value_is_still_fine(srv):
    c = RawConn(srv.port)
    c.send(b"GET /up HTTP/1.1\r\nHost: t\r\nX-A: a\tb\r\n\r\n")
    assert c.read_response()[0] == 200
    c.close()


# ---- 3. pipelining past the output high-water mark ----

def pipelined_answers(port, request, n, body_start):
    """Sends n copies of request at once; how many good answers come back."""
    c = RawConn(port, timeout=10)
    c.send(request * n)
    got = 0
    try:
        for _ in range(n):
            status, _, body = c.read_response()
            assert status == 200 and body.startswith(body_start)
            got += 1
    except socket.timeout:
        pass
    c.close()
    return got


def test_pipelined_requests_past_the_output_high_water_mark_are_all_answered(srv):
    """200 pipelined requests for a large document: the first ones fill the
    output past 1 MiB, which is written out whole; the rest must then be
    answered without the client sending anything more."""
    request = b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: t\r\n\r\n"
    assert pipelined_answers(srv.port, request, 200, b"{") == 200


def test_pipelined_pages_of_shows_are_all_answered(loaded):
    """The finding's own case: 200 pipelined pages of 100 shows."""
    request = b"GET /api/v1/shows?per_page=100 HTTP/1.1\r\nHost: t\r\n\r\n"
    assert pipelined_answers(loaded.server.port, request, 200, b'{"data":[') == 200


# ---- 4. running out of file descriptors ----

def cpu_seconds(pid):
    """User and system CPU time the process has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def open_file_limit(monkeypatch, soft, hard):
    """Processes started inside get this RLIMIT_NOFILE."""
    real = subprocess.Popen

    def popen(*args, **kw):
        kw["preexec_fn"] = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        return real(*args, **kw)
    with monkeypatch.context() as m:
        m.setattr(subprocess, "Popen", popen)
        yield


def flood(port, n, clients=1):
    """n connections from `clients` threads at once, each with a request sent;
    those the server took stay open."""
    socks = []
    lock = threading.Lock()

    def connect(k):
        for _ in range(k):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /up HTTP/1.1\r\nHost: t\r\n\r\n")
            with lock:
                socks.append(s)
    threads = [threading.Thread(target=connect, args=(n // clients,)) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return socks


def cpu_under(pid, seconds=3):
    t0 = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - t0


def test_max_connections_is_lowered_to_the_open_file_limit_and_the_excess_refused(serve,
                                                                                monkeypatch):
    with open_file_limit(monkeypatch, 256, 256):
        s = serve(env={"THREADS": "2", "HEADER_TIMEOUT": "30", "IDLE_TIMEOUT": "60"})
    time.sleep(0.3)
    lowered = [l for l in s.log_lines() if l.get("msg", "").startswith("MAX_CONNECTIONS lowered")]
    assert len(lowered) == 1
    assert lowered[0]["open_file_limit"] == 256 and lowered[0]["configured"] == 10000
    fit = lowered[0]["max_connections"]
    assert 0 < fit < 256
    # Several clients at once, so that both loops accept at the same moment:
    # the limit must hold across loops, not only within one.
    socks = flood(s.port, 400, clients=8)
    try:
        used = cpu_under(s.proc.pid)
        assert used < 0.5, "%.2fs of CPU in 3s with the connections held" % used
        answered = 0
        for c in socks:
            try:
                answered += c.recv(64).startswith(b"HTTP/1.1 200")
            except OSError:
                pass
        assert answered == fit  # the rest were closed at once
    finally:
        for c in socks:
            c.close()
    time.sleep(0.3)
    assert s.get("/up").status == 200


def test_the_listener_rests_when_descriptors_run_out(serve):
    """Past the clamp (the limit lowered under a running process), accept
    fails with EMFILE: the listener must rest, not spin."""
    s = serve(env={"THREADS": "2", "HEADER_TIMEOUT": "30", "IDLE_TIMEOUT": "60"})
    soft, hard = resource.prlimit(s.proc.pid, resource.RLIMIT_NOFILE)
    resource.prlimit(s.proc.pid, resource.RLIMIT_NOFILE, (64, hard))
    socks = flood(s.port, 200)
    try:
        used = cpu_under(s.proc.pid)
        assert used < 0.5, "%.2fs of CPU in 3s while out of descriptors" % used
    finally:
        for c in socks:
            c.close()
    resource.prlimit(s.proc.pid, resource.RLIMIT_NOFILE, (soft, hard))
    time.sleep(0.5)
    assert s.get("/up").status == 200


# ---- 22. SIGTERM drains: nothing queued or kept alive is reset ----

GET_UP = b"GET /up HTTP/1.1\r\nHost: t\r\n\r\n"


def keep_asking(port, request, outcome):
    """A keep-alive client: asks until an answer says Connection: close."""
    try:
        c = RawConn(port, timeout=15)
        while True:
            c.send(request)
            status, headers, _ = c.read_response()
            if status != 200:
                outcome.append("status %d" % status)
                return
            if headers.get("connection") == "close":
                outcome.append("closed")
                return
    except Exception as e:  # a reset, an EOF, a timeout: what must not happen
        outcome.append(repr(e))


def test_sigterm_under_load_answers_queued_and_keep_alive_connections(serve):
    s = serve(env={"THREADS": "1", "SHUTDOWN_TIMEOUT": "15", "HEADER_TIMEOUT": "30",
                   "IDLE_TIMEOUT": "60"})
    outcome = []
    busy = [threading.Thread(target=keep_asking, args=(
        s.port, b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: t\r\n\r\n", outcome))
        for _ in range(4)]
    for t in busy:
        t.start()
    time.sleep(0.5)
    # connections the kernel has completed and the busy loop not yet accepted
    queued = [RawConn(s.port, timeout=15) for _ in range(100)]
    s.proc.send_signal(signal.SIGTERM)
    answers = []
    for c in queued:
        try:
            c.send(GET_UP)
            status, headers, _ = c.read_response()
            answers.append((status, headers.get("connection")))
        except Exception as e:
            answers.append(repr(e))
        c.close()
    for t in busy:
        t.join(30)
    # each is answered (no reset, no EOF); those the loop read after it saw
    # the stop say Connection: close
    assert [a[0] if isinstance(a, tuple) else a for a in answers] == [200] * len(queued)
    assert answers[-1] == (200, "close")
    assert outcome == ["closed"] * len(busy)
    assert s.proc.wait(15) == 0
    s.check_clean_exit(s.stop())


def test_sigterm_answers_the_next_request_of_an_idle_keep_alive_connection(serve):
    s = serve(env={"SHUTDOWN_TIMEOUT": "15"})
    idle, silent = RawConn(s.port), RawConn(s.port)
    for c in (idle, silent):
        c.send(GET_UP)
        assert c.read_response()[0] == 200
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    idle.send(GET_UP)
    status, headers, _ = idle.read_response()
    assert status == 200 and headers["connection"] == "close"
    assert idle.closed_by_peer(timeout=2)
    # one that sends nothing more is closed after a short grace
    t0 = time.time()
    assert silent.closed_by_peer(timeout=5)
    assert 0.5 <= time.time() - t0 + 0.2 <= 3
    assert s.proc.wait(10) == 0
    s.check_clean_exit(s.stop())
