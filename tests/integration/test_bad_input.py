"""A catalog of hostile and malformed requests: every one gets a 4xx with a
JSON error body, none a 5xx, and the server (under the sanitizers in CI)
keeps answering."""
import json

import pytest

from httpraw import RawConn

TV = "/api/v1/tvshows?"
OK_RANGE = "date_from=2026-07-03&date_to=2026-07-09"


def tv(s):
    return "GET " + TV + s


def with_range(s):
    return tv(OK_RANGE + "&" + s)


BAD_DATES = ["2025-02-30", "2025-13-01", "2025-00-10", "2025-04-31", "0000-01-01", "9999-99-99",
             "20250609", "2025/06/09", "06-09-2025", "%202025-06-09", "2025-06-09%20",
             "2025-6-9", "%2B2025-06-09", "2025-06-09T00:00:00Z", "%EF%BC%92025-06-09",
             "2025-06-09%00", "%00", "2025-06-09'%20OR%20'1'='1", "'%3B%20DROP%20TABLE%20episodes%3B--",
             "x" * 5000, "%FF%FE", "%C3%28", "%ED%A0%80", "-1", "1e9", "null", "undefined",
             "2025-02-29", "1900-02-29", "2025-06-09%0A", "%0D%0A2025-06-09", "%E2%80%AE2025-06-09"]

CATALOG = (
    [tv("date_from=%s&date_to=2026-01-01" % d) for d in BAD_DATES] +
    [tv("date_from=2025-01-01&date_to=%s" % d) for d in BAD_DATES[:12]] +
    [
        tv(""), tv("date_from="), tv("date_to=2026-01-01"), tv("date_from=%20&date_to=%20"),
        tv("date_from=2026-07-09&date_to=2026-07-03"), tv("date_from=2020-01-01&date_to=2026-01-01"),
        tv("date_from=2026-07-03&date_from=bad&date_to=2026-07-09"),
        tv("date_from[]=2026-07-03&date_to[]=2026-07-09"),
        tv("date_from=%&date_to=2026-07-09"), tv("date_from=%2&date_to=2026-07-09"),
        tv("date_from=%G1&date_to=2026-07-09"), tv("date_from=%%&date_to=2026-07-09"),
        tv("%=1&" + OK_RANGE), tv(OK_RANGE + "&page=%zz"),
        tv("&".join("p%d=1" % i for i in range(70)) + "&" + OK_RANGE),
    ] +
    [with_range("page=%s" % v) for v in ("0", "-1", "1.5", "abc", "99999999999999999999", "1e3",
                                          "%2B1", "0x10", "1%00", "1%20", "%201", "1,2",
                                          "2147483648", "-0", "NaN", "Infinity", "1'%20OR%201=1")] +
    [with_range("per_page=%s" % v) for v in ("0", "101", "-5", "2.5", "1000000", "ten", "%FF",
                                              "25;DROP%20TABLE%20shows", "1e1", "")[:9]] +
    [with_range("rating=%s" % v) for v in ("11", "-1", "10.1", "high", "NaN", "inf", "1e1",
                                            "7,5", "%00", "7.5.5", ".5", "7.", "0x7",
                                            "1234567890123456789", "7'%20OR%20'1'='1")] +
    [with_range("distributor=%s" % v) for v in ("%00", "HBO%00Max", "%01%02", "%FF%FE%FD",
                                                 "%C0%AF", "a" * 300, "%0D%0ASet-Cookie:%20x=1",
                                                 "%7F")] +
    [with_range("country=%s" % v) for v in ("%00", "%FF", "b" * 250, "US%0A")] +
    [
        "GET /api/v1/shows/1%27%20OR%201=1", "GET /api/v1/shows/-5", "GET /api/v1/shows/0",
        "GET /api/v1/shows/99999999999999999999999", "GET /api/v1/shows/1.5",
        "GET /api/v1/shows/%00/episodes", "GET /api/v1/shows/abc/episodes",
        "GET /api/v1/shows/1/episodes/extra", "GET /api/v1/shows?page=0",
        "GET /api/v1/shows?per_page=500", "GET /api/v1/shows/1/episodes?page=-1",
        "GET /api/v1/tvshows/../shows", "GET //api/v1/tvshows", "GET /api/v1/tvshows%00",
        "GET /api/v2/tvshows", "GET /API/V1/TVSHOWS", "GET /api/v1/networks/", "GET /" + "z" * 7000,
        "GET /etc/passwd", "GET /..%2F..%2Fetc%2Fpasswd", "GET /api/v1/shows/%2e%2e",
        "DELETE /api/v1/tvshows", "PUT /api/v1/shows/1", "POST /api/v1/tvshows", "PATCH /up",
        "TRACE /up", "FOO /api/v1/networks", "POST /ready", "DELETE /api/v1/openapi.json",
    ]
)

# (an unsupported Transfer-Encoding is 501 and an HTTP major version other
# than 1 is 505 by the HTTP specification; test_http_server.py checks those)
RAW_CATALOG = [
    b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    b"GET http://evil/%zz HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /up HTTP/1.1\r\nHost: t\r\nX-Bad\x01: v\r\n\r\n",
    b"GET /up HTTP/1.1\r\nHost: t\r\nX-Bad: v\x00x\r\n\r\n",
    b"GET /up HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",
    b"GET /up HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n",
    b"GET /up HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET /up HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\n\r\n",
    b"GET /up HTTP/1.1 extra\r\nHost: t\r\n\r\n",
    b"GET  /up HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /u p HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /up#frag HTTP/1.1\r\nHost: t\r\n\r\n",
    b"GET /api/v1/tvshows?date_from=\xff\xfe&date_to=2026-01-01 HTTP/1.1\r\nHost: t\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40 + b"\r\n\r\n",
]


def send(port, raw):
    c = RawConn(port, timeout=20)
    try:
        c.send(raw)
        return c.read_response()
    finally:
        c.close()


@pytest.fixture(scope="module")
def srv(loaded):
    return loaded.server


def check(status, headers, body):
    assert 400 <= status < 500, (status, body[:200])
    assert headers.get("content-type", "").startswith("application/json")
    doc = json.loads(body)
    assert isinstance(doc.get("error"), str) and doc["error"]


@pytest.mark.parametrize("line", CATALOG, ids=range(len(CATALOG)))
def test_hostile_request_gets_a_4xx_json_error(srv, line):
    raw = (line + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").encode("latin-1")
    check(*send(srv.port, raw))


@pytest.mark.parametrize("raw", RAW_CATALOG, ids=range(len(RAW_CATALOG)))
def test_hostile_raw_request_gets_a_4xx_json_error(srv, raw):
    check(*send(srv.port, raw))


def test_catalog_size_and_the_server_still_answers(srv, loaded):
    assert len(CATALOG) + len(RAW_CATALOG) >= 100
    assert srv.get("/up").status == 200
    r = srv.get(TV + OK_RANGE)
    assert r.status == 200 and r.json()["pagination"]["total_count"] == len(
        loaded.model.schedule("2026-07-03", "2026-07-09"))


@pytest.mark.parametrize("value", ["'; DROP TABLE episodes; --", "\" OR 1=1 --", "%", "_",
                                   "HBO' OR '1'='1", "\\", "*"])
def test_sql_metacharacters_in_text_filters_are_just_text(srv, loaded, value):
    import urllib.parse
    for key in ("distributor", "country"):
        r = srv.get(TV + OK_RANGE + "&" + urllib.parse.urlencode({key: value}))
        assert r.status == 200 and r.json()["data"] == []
    assert loaded.db.scalar("SELECT count(*) FROM episodes") == str(len(loaded.model.episodes))
