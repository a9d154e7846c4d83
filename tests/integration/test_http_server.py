"""The HTTP/1.1 server core, through real sockets against the built binary."""
import concurrent.futures
import socket
import subprocess
import threading
import time

import pytest

from httpraw import RawConn

GET_UP = b"GET /up HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.fixture
def srv(serve):
    return serve(env={"HEADER_TIMEOUT": "2", "IDLE_TIMEOUT": "3"})


def test_keep_alive_serves_several_requests_on_one_connection(srv):
    c = RawConn(srv.port)
    for _ in range(3):
        c.send(GET_UP)
        status, headers, body = c.read_response()
        assert status == 200 and body == b'{"status":"ok"}'
        assert "connection" not in headers  # HTTP/1.1 stays open by default
    c.close()


def test_pipelined_requests_are_answered_in_order(srv):
    c = RawConn(srv.port)
    c.send(b"GET /up HTTP/1.1\r\nHost: t\r\nX-Request-Id: first\r\n\r\n"
           b"GET /nope HTTP/1.1\r\nHost: t\r\nX-Request-Id: second\r\n\r\n"
           b"HEAD /up HTTP/1.1\r\nHost: t\r\nX-Request-Id: third\r\n\r\n")
    s1, h1, _ = c.read_response()
    s2, h2, b2 = c.read_response()
    s3, h3, b3 = c.read_response(head_request=True)
    assert (s1, h1["x-request-id"]) == (200, "first")
    assert (s2, h2["x-request-id"]) == (404, "second")
    assert b2 == b'{"error":"Not found"}'
    assert (s3, h3["x-request-id"], b3) == (200, "third", b"")
    assert h3["content-length"] == "15"
    c.close()


def test_pipelined_requests_split_at_every_byte_still_parse(srv):
    c = RawConn(srv.port)
    data = GET_UP * 2
    for i in range(len(data)):
        c.send(data[i:i + 1])
    assert c.read_response()[0] == 200
    assert c.read_response()[0] == 200
    c.close()


def test_connection_close_is_honoured(srv):
    c = RawConn(srv.port)
    c.send(b"GET /up HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    status, headers, _ = c.read_response()
    assert status == 200 and headers["connection"] == "close"
    assert c.closed_by_peer()


def test_http10_closes_by_default_and_keeps_alive_on_request(srv):
    c = RawConn(srv.port)
    c.send(b"GET /up HTTP/1.0\r\n\r\n")
    assert c.read_response()[1]["connection"] == "close"
    assert c.closed_by_peer()
    c = RawConn(srv.port)
    c.send(b"GET /up HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status, headers, _ = c.read_response()
    assert headers["connection"] == "keep-alive"
    c.send(b"GET /up HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert c.read_response()[0] == 200
    c.close()


def test_head_is_get_without_body_and_every_response_has_a_date(srv):
    get = srv.get("/up")
    head = srv.request("HEAD", "/up")
    assert head.status == get.status == 200
    assert head.body == b""
    assert head.header("Content-Length") == get.header("Content-Length")
    assert get.header("Date").endswith(" GMT")


@pytest.mark.parametrize("raw,status", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414),
    (b"GET /up HTTP/1.1\r\nHost: t\r\n" + b"X-Big: " + b"b" * 33000 + b"\r\n\r\n", 431),
    (b"GET /up HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) +
     b"\r\n", 431),
    (b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n", 413),
    (b"GET /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"0\r\n\r\n", 400),
    (b"GET /up HTTP/1.1\r\nHost : t\r\n\r\n", 400),
    (b"GET /up HTTP/1.1\r\n\r\n", 400),
    (b"GET /up HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400),
    (b"GET /up HTTP/1.1\nHost: t\n\n", 400),
    (b"GET /up HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    (b"G@T /up HTTP/1.1\r\nHost: t\r\n\r\n", 400),
    (b"GET /up?x=%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400),
])
def test_limits_and_malformed_requests_get_their_status_and_a_json_error(srv, raw, status):
    c = RawConn(srv.port)
    c.send(raw)
    got, headers, body = c.read_response()
    assert got == status
    assert body.startswith(b'{"error":')
    assert headers["cache-control"] == "no-store"
    if status != 400 or b"%zz" not in raw:
        assert c.closed_by_peer()  # framing can no longer be trusted
    c.close()
    assert srv.get("/up").status == 200


# (bodies are refused by every route of the API, test_hardening_http.py;
# the server's reading of the bodies a route takes is tests/unit/test_server.c)


def test_slow_headers_get_408_and_the_connection_closes(srv):
    c = RawConn(srv.port)
    c.send(b"GET /up HTTP/1.1\r\nHost: t\r\n")  # never finished
    t0 = time.time()
    status, _, body = c.read_response()
    assert status == 408 and b"error" in body
    assert 1.5 <= time.time() - t0 <= 6
    assert c.closed_by_peer()


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(srv):
    c = RawConn(srv.port)
    assert c.closed_by_peer(timeout=8)


def test_idle_keep_alive_connection_closes_after_the_idle_timeout(srv):
    c = RawConn(srv.port)
    c.send(GET_UP)
    assert c.read_response()[0] == 200
    t0 = time.time()
    assert c.closed_by_peer(timeout=10)
    assert 2 <= time.time() - t0 <= 8


def test_default_timeouts_are_10s_for_headers_and_75s_idle(serve):
    s = serve()
    # the port answers a moment before the line is written
    deadline = time.time() + 10
    while not [l for l in s.log_lines() if l.get("msg") == "listening"]:
        assert time.time() < deadline, "no listening line"
        time.sleep(0.05)
    c = RawConn(s.port)
    c.send(GET_UP)
    assert c.read_response()[0] == 200
    assert not c.closed_by_peer(timeout=12)  # past the header timeout: still open
    c.close()


def test_thousand_concurrent_connections_are_all_answered(serve):
    s = serve(env={"MAX_CONNECTIONS": "2000"})
    conns = [RawConn(s.port, timeout=30) for _ in range(1000)]
    for c in conns:
        c.send(GET_UP)
    statuses = [c.read_response()[0] for c in conns]
    assert statuses == [200] * 1000
    for c in conns:
        c.close()


def test_max_connections_refuses_the_excess_and_recovers(serve):
    s = serve(env={"MAX_CONNECTIONS": "5", "THREADS": "1"})
    time.sleep(0.5)  # the start-up probe's connection is gone
    held = []
    for _ in range(5):
        c = RawConn(s.port)
        c.send(GET_UP)
        assert c.read_response()[0] == 200
        held.append(c)
    extra = RawConn(s.port)
    assert extra.closed_by_peer(timeout=5)
    for c in held:
        c.close()
    time.sleep(0.3)
    assert s.get("/up").status == 200


def test_sigterm_finishes_the_request_in_flight_refuses_new_ones_and_exits_0(serve):
    s = serve(env={"SHUTDOWN_TIMEOUT": "20"})
    c = RawConn(s.port)
    c.send(b"GET /up HTTP/1.1\r\nHost: t\r\n")  # in flight
    time.sleep(0.3)
    s.proc.send_signal(15)
    time.sleep(1.5)  # past the drain time, in which queued connections are still taken
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", s.port), timeout=2)
    c.send(b"X-Rest: of the head\r\n\r\n")
    status, headers, _ = c.read_response()
    assert status == 200 and headers["connection"] == "close"
    rc = s.proc.wait(30)
    assert rc == 0
    s.check_clean_exit(s.stop())


def test_a_client_leaving_mid_response_does_not_kill_the_server(srv):
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", srv.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: t\r\n\r\n" * 50)
        sock.close()
    time.sleep(0.3)
    assert srv.get("/up").status == 200


def test_concurrent_clients_on_several_threads(srv):
    def hit(_):
        return srv.get("/up").status
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        assert set(ex.map(hit, range(200))) == {200}


def test_every_request_is_logged_as_one_json_line(srv):
    srv.get("/up", headers={"X-Request-Id": "abc-123"})
    srv.get("/nope")
    time.sleep(0.3)
    logs = [l for l in srv.log_lines() if l.get("msg") == "request"]
    first = next(l for l in logs if l["request_id"] == "abc-123")
    assert first["method"] == "GET" and first["path"] == "/up" and first["status"] == 200
    assert first["client"] == "127.0.0.1" and first["bytes"] == 15
    assert isinstance(first["duration_ms"], (int, float)) and "ts" in first
    assert any(l["path"] == "/nope" and l["status"] == 404 for l in logs)


def test_unsafe_request_ids_are_replaced(srv):
    r = srv.get("/up", headers={"X-Request-Id": "bad id\x7f"})
    rid = r.header("X-Request-Id")
    assert rid and " " not in rid and len(rid) <= 64


def test_405_carries_allow_and_a_json_body(srv):
    r = srv.request("DELETE", "/api/v1/shows")
    assert r.status == 405
    assert r.header("Allow") == "GET, HEAD, OPTIONS"
    assert r.json() == {"error": "Method not allowed"}
