#!/usr/bin/python3
"""Local stand-in for api.tvmaze.com.

Serves recorded (or generated) schedule responses at the real TVmaze paths so
the importer runs exactly the production code path; only the base URL differs.

Files are looked up in a data directory on every request (nothing is cached,
so tests may rewrite them between imports):

    GET /schedule?country=CC&date=D   -> schedule-CC-D.json, else []
    GET /schedule/web?date=D          -> schedule-web-D.json, else []
        (&country=CC keeps rows of CC's local web channels, &country= keeps
        rows of global web channels, as upstream does)
    GET /schedule/full                -> schedule-full.json, else synthesised
                                         from every schedule-*.json
    GET /shows/ID/seasons             -> seasons-ID.json; else the seasons
        embedded in a recorded show-*-embed-seasons*.json or
        singlesearch-*-embed-seasons*.json whose show is ID; else seasons
        generated from the schedule files that list show ID (generated_seasons
        says how); else 404, as upstream answers for a show it does not know

Faults (HTTP errors, slow answers, truncated or malformed bodies, connection
resets, a 302 to the fault's "location") and a sliding-window rate limit can be injected from Python or over
HTTP (POST/DELETE /__faults, GET/DELETE /__requests). A fault's "path" may be
a glob ("/shows/*/seasons").

Python use:

    fake = FakeTvmaze(data_dir).start()
    ... point the importer at fake.url ...
    fake.set_faults([{"path": "/schedule", "kind": "429", "retry_after": 2}])
    fake.requests()
    fake.stop()

Command line:

    fake_tvmaze.py --data DIR [--host H] [--port N] [--port-file F] [--rate N]
"""

import argparse
import collections
import copy
import datetime as _dt
import fnmatch
import glob
import gzip
import hashlib
import http.server
import json
import os
import re
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import urllib.parse

__all__ = ["FakeTvmaze", "FAULT_KINDS", "API_PATHS"]

API_PATHS = ("/schedule", "/schedule/web", "/schedule/full")
SEASONS_PATH = re.compile(r"^/shows/([1-9][0-9]{0,15})/seasons$")
FAULT_KINDS = ("429", "500", "502", "503", "404", "400", "slow", "truncated",
               "html", "wrong_shape", "reset", "redirect")

RATE_WINDOW_S = 10.0
DEFAULT_SLOW_DELAY_S = 40.0

_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Two uppercase letters that upstream still rejects (GB is the code for the UK).
_NOT_ISO_COUNTRIES = frozenset({"UK", "EU", "UN", "XX", "ZZ"})

_REASONS = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}

_HTML_ERROR_PAGE = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>502 Bad Gateway</title>\n</head>\n"
    "<body>\n<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n"
    "</body>\n</html>\n"
)


def _envelope(status, message):
    return {"name": _REASONS.get(status, "Error"), "message": message,
            "code": 0, "status": status}


def _dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _valid_date(value):
    if not _DATE_RE.match(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _valid_country(value):
    return bool(_COUNTRY_RE.match(value)) and value not in _NOT_ISO_COUNTRIES


def _wants_gzip(header):
    """True when an Accept-Encoding header value accepts gzip (q > 0)."""
    if not header:
        return False
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        coding = fields[0].lower()
        if coding not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in fields[1:]:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def _airstamp_key(item):
    stamp = item.get("airstamp") if isinstance(item, dict) else None
    instant = None
    if isinstance(stamp, str) and stamp:
        try:
            parsed = _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=_dt.timezone.utc)
            instant = parsed.timestamp()
        except ValueError:
            instant = None
    item_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(item_id, int):
        item_id = 0
    if instant is None:
        return (1, 0.0, item_id)
    return (0, instant, item_id)


def _item_show(item):
    if not isinstance(item, dict):
        return None
    show = item.get("show") or (item.get("_embedded") or {}).get("show")
    return show if isinstance(show, dict) else None


def generated_seasons(show_id, seen):
    """The seasons upstream would list for a show that the schedule files
    list but no recording covers. seen: {season number: (highest episode
    number listed or None, first airdate, last airdate)}. Every season seen
    is listed; by (show_id + number) % 3 its episodeOrder is the highest
    number listed (that episode is the finale), two more than that (the
    finale is not listed), or null (not announced)."""
    out = []
    for number in sorted(seen):
        top, first, last = seen[number]
        kind = (show_id + number) % 3
        order = None if top is None or kind == 2 else top if kind == 0 else top + 2
        sid = show_id * 10000 + number
        out.append({
            "id": sid, "url": "https://www.tvmaze.com/seasons/%d/generated" % sid,
            "number": number, "name": "", "episodeOrder": order,
            "premiereDate": first, "endDate": last if kind == 0 else None,
            "network": None, "webChannel": None, "image": None, "summary": None,
            "_links": {"self": {"href": "https://api.tvmaze.com/seasons/%d" % sid}},
        })
    return out


def _to_full_shape(item):
    """Country-schedule item (show at item.show) -> web/full shape (_embedded.show)."""
    if not isinstance(item, dict) or "show" not in item:
        return item
    out = {k: v for k, v in item.items() if k != "show"}
    embedded = dict(out.get("_embedded") or {})
    embedded["show"] = item["show"]
    out.pop("_embedded", None)
    out["_embedded"] = embedded
    return out


def _normalise_fault(fault):
    if not isinstance(fault, dict):
        raise ValueError("fault must be an object, got %r" % (fault,))
    kind = str(fault.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise ValueError("unknown fault kind %r (known: %s)" % (kind, ", ".join(FAULT_KINDS)))
    out = dict(fault)
    out["kind"] = kind
    times = out.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < -1:
        raise ValueError("fault times must be an integer >= -1, got %r" % (times,))
    out["times"] = times
    if "path" in out and out["path"] is not None and not isinstance(out["path"], str):
        raise ValueError("fault path must be a string")
    if kind == "redirect" and not isinstance(out.get("location"), str):
        raise ValueError("a redirect fault needs a location string")
    if out.get("retry_after") is not None and not isinstance(out["retry_after"], (int, float, str)):
        raise ValueError("fault retry_after must be a number or a string")
    if out.get("delay") is not None:
        try:
            out["delay"] = float(out["delay"])
        except (TypeError, ValueError):
            raise ValueError("fault delay must be a number of seconds") from None
    return out


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False          # never wait for idle keep-alive connections
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, fake):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request, client_address):
        # Clients hanging up (timeouts, resets) are routine here, not errors.
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or (isinstance(exc, ValueError) and "closed file" in str(exc)):
            return
        super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are dropped after this

    def version_string(self):
        return self.server_version

    # -- plumbing ---------------------------------------------------------
    def setup(self):
        # nodelay (benchmarks): TCP_NODELAY, as nginx sets it. The headers
        # and the body go out in two writes, and with Nagle on the body's
        # last segment waits for the client's delayed ACK (about 40 ms on
        # Linux) on every keep-alive request. The bytes sent are the same
        # either way; tests keep the timing they were written against.
        self.disable_nagle_algorithm = self.server.fake.nodelay
        super().setup()
        self.server.fake._track(self.connection)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._untrack(self.connection)

    def log_message(self, format, *args):  # noqa: A002 - keep stdlib signature
        if self.server.fake.verbose:
            sys.stderr.write("fake_tvmaze: %s - %s\n" % (self.address_string(), format % args))

    def _discard_body(self):
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            n = int(length)
        except ValueError:
            return b""
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, status, body, content_type="application/json; charset=UTF-8",
              extra_headers=None, compress=True, head=False):
        gz = compress and _wants_gzip(self.headers.get("Accept-Encoding"))
        if gz:
            body = self.server.fake._gzip(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "public, max-age=3600")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Vary", "Accept-Encoding")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        for name, value in (extra_headers or []):
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_control(self, status, obj):
        body = _dumps(obj)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self):
        """Drop the connection with an RST and no response bytes at all."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        # The socket's fd is only released once the makefile() reader is closed
        # too; the writer is unbuffered and holds no reference.
        try:
            self.rfile.close()
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    # -- verbs ------------------------------------------------------------
    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_OPTIONS(self):
        self._dispatch("OPTIONS")

    def _dispatch(self, method):
        fake = self.server.fake
        body = self._discard_body()
        split = urllib.parse.urlsplit(self.path)
        path = split.path or "/"
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))

        if path in ("/__faults", "/__requests"):
            self._control(method, path, body)
            return

        status, send = fake._decide(method, path, query)
        fake._log(method, path, query, status)
        send(self, method == "HEAD")

    def _control(self, method, path, body):
        fake = self.server.fake
        if path == "/__faults":
            if method == "POST":
                try:
                    faults = json.loads(body.decode("utf-8") or "null")
                    if isinstance(faults, dict):
                        faults = [faults]
                    if not isinstance(faults, list):
                        raise ValueError("expected a JSON list of faults")
                    fake.set_faults(faults)
                except (ValueError, UnicodeDecodeError) as exc:
                    self._send_control(400, {"error": str(exc)})
                    return
                self._send_control(200, {"ok": True, "faults": fake.faults()})
            elif method == "DELETE":
                fake.clear_faults()
                self._send_control(200, {"ok": True})
            elif method == "GET":
                self._send_control(200, fake.faults())
            else:
                self._send_control(405, {"error": "method not allowed"})
        else:
            if method == "GET":
                self._send_control(200, fake.requests())
            elif method == "DELETE":
                fake.reset_requests()
                self._send_control(200, {"ok": True})
            else:
                self._send_control(405, {"error": "method not allowed"})


class FakeTvmaze:
    """A local fake of api.tvmaze.com serving files from ``data_dir``."""

    def __init__(self, data_dir, host="127.0.0.1", port=0, rate=None, verbose=False,
                 cache=False, nodelay=False):
        self.data_dir = os.fspath(data_dir)
        self.host = host
        self.port = port
        self.rate = rate if rate else None
        # cache: compress each distinct body once (benchmarks, where the
        # fake's own gzip work must not compete with the importer measured)
        self.cache = {} if cache else None
        self.cache_lock = threading.Lock()
        # nodelay: answers go out at once, without Nagle's delays (benchmarks,
        # where the fake must not set the importer's pace; _Handler.setup)
        self.nodelay = nodelay
        self.verbose = verbose
        self._lock = threading.Lock()
        self._faults = []
        self._log_entries = []
        self._arrivals = collections.deque()
        self._conns = set()
        self._stopping = threading.Event()
        self._server = None
        self._thread = None
        self._seen = (None, {})  # (signature of the schedule files, show -> seasons seen)

    # -- lifecycle --------------------------------------------------------
    def start(self):
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-tvmaze", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server = self._server
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        if self._server is None:
            raise RuntimeError("FakeTvmaze is not started")
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = "[%s]" % host
        return "http://%s:%d" % (host, self.port)

    # -- faults and log -----------------------------------------------------
    def set_faults(self, faults):
        normalised = [_normalise_fault(f) for f in (faults or [])]
        with self._lock:
            self._faults = normalised

    def clear_faults(self):
        with self._lock:
            self._faults = []

    def faults(self):
        with self._lock:
            return copy.deepcopy(self._faults)

    def requests(self):
        with self._lock:
            return copy.deepcopy(self._log_entries)

    def reset_requests(self):
        with self._lock:
            self._log_entries = []

    # -- internals ----------------------------------------------------------
    def _track(self, conn):
        with self._lock:
            self._conns.add(conn)
        if self._stopping.is_set():
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _untrack(self, conn):
        with self._lock:
            self._conns.discard(conn)

    def _log(self, method, path, query, status):
        with self._lock:
            self._log_entries.append({"method": method, "path": path,
                                      "query": dict(query), "status": status})

    def _rate_limited(self):
        if not self.rate:
            return False
        now = time.monotonic()
        with self._lock:
            arrivals = self._arrivals
            while arrivals and now - arrivals[0] >= RATE_WINDOW_S:
                arrivals.popleft()
            arrivals.append(now)
            return len(arrivals) > self.rate

    def _take_fault(self, path, query):
        with self._lock:
            for fault in self._faults:
                if fault["times"] == 0:
                    continue
                fpath = fault.get("path")
                if fpath is not None and fpath != path and not fnmatch.fnmatchcase(path, fpath):
                    continue
                if "date" in fault and fault["date"] is not None \
                        and fault["date"] != query.get("date"):
                    continue
                if "country" in fault and fault["country"] is not None:
                    country = query.get("country")
                    if country is None and path == "/schedule":
                        country = "US"
                    if fault["country"] != country:
                        continue
                if fault["times"] > 0:
                    fault["times"] -= 1
                return dict(fault)
        return None

    def _gzip(self, body):
        if self.cache is None:
            return gzip.compress(body, compresslevel=6, mtime=0)
        key = hashlib.sha1(body).digest()
        with self.cache_lock:
            hit = self.cache.get(key)
        if hit is None:
            hit = gzip.compress(body, compresslevel=6, mtime=0)
            with self.cache_lock:
                self.cache[key] = hit
        return hit

    def _read_json_file(self, name):
        """Bytes of data_dir/name, or None when the file does not exist."""
        try:
            with open(os.path.join(self.data_dir, name), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def _decide(self, method, path, query):
        """Return (status, send(handler, head)) for an API request."""

        def json_sender(status, body, extra=None):
            return status, (lambda h, head: h._send(status, body, extra_headers=extra, head=head))

        def error(status, message):
            return json_sender(status, _dumps(_envelope(status, message)))

        known = path in API_PATHS or SEASONS_PATH.match(path) is not None
        if method not in ("GET", "HEAD"):
            if known:
                return error(405, "Method Not Allowed.")
            return error(404, "Page not found.")

        if not known:
            return error(404, "Page not found.")

        # Query defaults, as upstream applies them, so faults can match on them.
        effective = dict(query)
        if path == "/schedule":
            effective.setdefault("country", "US")
        if path in ("/schedule", "/schedule/web"):
            effective.setdefault("date", _dt.datetime.now(_dt.timezone.utc).date().isoformat())

        if self._rate_limited():
            return error(429, "Too many requests.")

        fault = self._take_fault(path, effective)
        if fault is not None:
            kind = fault["kind"]
            if kind == "429":
                extra = None
                if fault.get("retry_after") is not None:
                    ra = fault["retry_after"]
                    if isinstance(ra, float) and ra.is_integer():
                        ra = int(ra)
                    extra = [("Retry-After", str(ra))]
                return json_sender(429, _dumps(_envelope(429, "Too many requests.")), extra)
            if kind in ("500", "502", "503"):
                status = int(kind)
                return error(status, "Injected %s." % _REASONS[status].lower())
            if kind == "404":
                return error(404, "Page not found.")
            if kind == "400":
                return error(400, "Invalid request.")
            if kind == "reset":
                return 0, (lambda h, head: h._reset())
            if kind == "html":
                body = _HTML_ERROR_PAGE.encode("utf-8")
                return 200, (lambda h, head: h._send(200, body, content_type="text/html",
                                                    head=head))
            if kind == "redirect":
                location = fault["location"]
                return 302, (lambda h, head: h._send(
                    302, b"", extra_headers=[("Location", location)], head=head))
            if kind == "wrong_shape":
                return json_sender(200, _dumps({"message": "not a list"}))
            status, body = self._serve(path, effective, query)
            if kind == "truncated":
                cut = body[: len(body) // 2]
                return status, (lambda h, head: h._send(status, cut, head=head))
            if kind == "slow":
                delay = fault.get("delay")
                delay = DEFAULT_SLOW_DELAY_S if delay is None else float(delay)

                def send_slow(h, head):
                    if self._stopping.wait(delay):
                        h.close_connection = True
                        return
                    h._send(status, body, head=head)
                return status, send_slow
        status, body = self._serve(path, effective, query)
        return status, (lambda h, head: h._send(status, body, head=head))

    def _serve(self, path, effective, raw_query):
        """Build the normal answer: (status, body bytes)."""
        m = SEASONS_PATH.match(path)
        if m:
            seasons = self.seasons(int(m.group(1)))
            if seasons is None:
                return 404, _dumps(_envelope(404, "Page not found."))
            return 200, _dumps(seasons)
        if path == "/schedule/full":
            data = self._read_json_file("schedule-full.json")
            return 200, (data if data is not None else self._synthesise_full())

        country = effective.get("country")
        date = effective.get("date")
        if path == "/schedule":
            if not _valid_country(country):
                return 422, _dumps(_envelope(422, "Not a valid ISO country code"))
        elif country is not None and country != "" and not _valid_country(country):
            return 422, _dumps(_envelope(422, "Not a valid ISO country code"))
        if not _valid_date(date):
            return 422, _dumps(_envelope(422, "Not a valid ISO date"))

        if path == "/schedule":
            data = self._read_json_file("schedule-%s-%s.json" % (country, date))
        else:
            data = self._read_json_file("schedule-web-%s.json" % date)
            if data is not None and "country" in raw_query:
                data = self._filter_web(data, raw_query["country"])
        return 200, (data if data is not None else b"[]")

    # -- seasons -------------------------------------------------------------
    def seasons(self, show_id):
        """What GET /shows/ID/seasons answers (a list), or None for a 404."""
        data = self._read_json_file("seasons-%d.json" % show_id)
        if data is not None:
            return json.loads(data.decode("utf-8"))
        for pattern in ("show-*-embed-seasons*.json", "singlesearch-*-embed-seasons*.json"):
            for path in sorted(glob.glob(os.path.join(self.data_dir, pattern))):
                try:
                    with open(path, encoding="utf-8") as fh:
                        show = json.load(fh)
                except (OSError, ValueError):
                    continue
                if isinstance(show, dict) and show.get("id") == show_id:
                    return (show.get("_embedded") or {}).get("seasons") or []
        seen = self._seasons_seen().get(show_id)
        return generated_seasons(show_id, seen) if seen else None

    def _seasons_seen(self):
        """show id -> {season: (highest number, first airdate, last airdate)}
        over the schedule files, recomputed when any of them changed."""
        paths = sorted(glob.glob(os.path.join(self.data_dir, "schedule-*.json")))
        sig = []
        for path in paths:
            try:
                st = os.stat(path)
            except OSError:
                continue
            sig.append((path, st.st_mtime_ns, st.st_size))
        sig = tuple(sig)
        with self._lock:
            if self._seen[0] == sig:
                return self._seen[1]
        seen = {}
        for path, _, _ in sig:
            try:
                with open(path, encoding="utf-8") as fh:
                    items = json.load(fh)
            except (OSError, ValueError):
                continue
            for item in items if isinstance(items, list) else []:
                show = _item_show(item)
                season = item.get("season") if isinstance(item, dict) else None
                if show is None or not isinstance(show.get("id"), int) \
                        or not isinstance(season, int) or not _valid_date(item.get("airdate") or ""):
                    continue
                num = item.get("number")
                num = num if isinstance(num, int) else None
                top, first, last = seen.setdefault(show["id"], {}).get(
                    season, (None, item["airdate"], item["airdate"]))
                if num is not None and (top is None or num > top):
                    top = num
                seen[show["id"]][season] = (top, min(first, item["airdate"]),
                                            max(last, item["airdate"]))
        with self._lock:
            self._seen = (sig, seen)
        return seen

    @staticmethod
    def _filter_web(data, country):
        """Upstream semantics of /schedule/web?country=: XX -> local web channels of
        XX, empty -> global web channels only."""
        try:
            items = json.loads(data.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return data
        if not isinstance(items, list):
            return data
        kept = []
        for item in items:
            show = None
            if isinstance(item, dict):
                show = item.get("show") or (item.get("_embedded") or {}).get("show")
            channel = (show or {}).get("webChannel") if isinstance(show, dict) else None
            if not isinstance(channel, dict):
                continue
            code = (channel.get("country") or {}).get("code")
            if (country == "" and code is None) or (country != "" and code == country):
                kept.append(item)
        return _dumps(kept)

    def _synthesise_full(self):
        try:
            names = sorted(n for n in os.listdir(self.data_dir)
                           if n.startswith("schedule-") and n.endswith(".json")
                           and n != "schedule-full.json")
        except FileNotFoundError:
            names = []
        seen = {}
        for name in names:
            data = self._read_json_file(name)
            if data is None:
                continue
            try:
                items = json.loads(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                continue
            if not isinstance(items, list):
                continue
            for item in items:
                if not isinstance(item, dict):
                    continue
                ep_id = item.get("id")
                if ep_id in seen:
                    continue
                seen[ep_id] = _to_full_shape(item)
        merged = sorted(seen.values(), key=_airstamp_key)
        return _dumps(merged)


def _write_port_file(path, port):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".port-", dir=directory)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write("%d\n" % port)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description="Local fake of api.tvmaze.com")
    parser.add_argument("--data", required=True, help="directory with schedule-*.json files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--port-file", help="write the bound port here (atomically)")
    parser.add_argument("--rate", type=int, default=0,
                        help="answer 429 above N requests per 10 s (default: no limit)")
    parser.add_argument("--verbose", action="store_true", help="log requests to stderr")
    parser.add_argument("--cache", action="store_true",
                        help="compress each distinct body once and keep it (benchmarks)")
    args = parser.parse_args(argv)

    if not os.path.isdir(args.data):
        parser.error("--data %s is not a directory" % args.data)

    done = threading.Event()

    def on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    fake = FakeTvmaze(args.data, host=args.host, port=args.port, rate=args.rate or None,
                      verbose=args.verbose, cache=args.cache).start()
    try:
        if args.port_file:
            _write_port_file(args.port_file, fake.port)
        print("listening on %s" % fake.url, flush=True)
        while not done.wait(0.2):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
