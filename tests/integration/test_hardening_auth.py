"""Authentication and limits under attack: JWT claims and the key set's
transport and refresh, per-IP keys behind a trusted proxy, a full limiter
table, per-key budgets, caching of authenticated answers, /ready, secrets in
messages and a Redis that never answers. Each test failed before its fix."""
import json
import re
import time

import pytest

from jwtkit import JwksServer, Key, token

API = "/api/v1/networks"
ISSUER = "https://issuer.test"
AUDIENCE = "tvshows-client"
JWT_ENV = {"JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE}


@pytest.fixture
def migrated(tvshows):
    assert tvshows.run("migrate").returncode == 0
    return tvshows


def bearer(s, tok, path=API):
    return s.get(path, headers={"Authorization": "Bearer " + tok})


# ---- JWT issuer, audience and token_use ----

@pytest.mark.parametrize("mode", ["jwt", "any"])
@pytest.mark.parametrize("missing", ["JWT_ISSUER", "JWT_AUDIENCE"])
def test_token_auth_refuses_to_start_without_issuer_and_audience(migrated, tmp_path, mode,
                                                                  missing):
    k = Key(str(tmp_path), "kid-1")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [k.jwk]}))
    env = dict(JWT_ENV, AUTH_MODE=mode, JWT_JWKS_FILE=str(jwks))
    env[missing] = ""  # the Terraform secret's default
    p = migrated.run("serve", env=env, timeout=20)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and missing in lines[0], p.stderr


@pytest.fixture
def jwt_server(migrated, serve, tmp_path):
    jwks = JwksServer()
    k1 = Key(str(tmp_path), "kid-1")
    jwks.keys = [k1]
    s = serve(env=dict(JWT_ENV, AUTH_MODE="jwt", JWT_JWKS_URL=jwks.url, THREADS="1"))
    yield s, jwks, k1
    jwks.stop()


def test_only_id_and_access_tokens_open_the_api(jwt_server):
    s, _, k1 = jwt_server
    assert bearer(s, token(k1, {"token_use": "id"})).status == 200
    assert bearer(s, token(k1, {"aud": None, "token_use": "access",
                                "client_id": AUDIENCE})).status == 200
    # a refresh token is no credential, whatever it names
    r = bearer(s, token(k1, {"token_use": "refresh", "client_id": AUDIENCE}))
    assert r.status == 401 and r.json() == {"error": "Unauthorized"}
    assert bearer(s, token(k1, {"token_use": "admin"})).status == 401
    # an access token belongs to its client_id: a matching aud is not enough
    assert bearer(s, token(k1, {"token_use": "access", "client_id": "another-app"})).status == 401
    assert bearer(s, token(k1, {"token_use": "access", "client_id": None})).status == 401


# ---- the key set's transport ----

@pytest.mark.parametrize("url", ["http://jwks.example.com/.well-known/jwks.json",
                                 "http://127.0.0.1.example.com/jwks.json",
                                 "http://user@10.0.0.1/jwks.json",
                                 "ftp://127.0.0.1/jwks.json"])
def test_jwks_url_must_be_https_unless_loopback(migrated, url):
    p = migrated.run("serve", env=dict(JWT_ENV, AUTH_MODE="jwt", JWT_JWKS_URL=url), timeout=20)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "JWT_JWKS_URL" in lines[0] and "https://" in lines[0], p.stderr


def test_jwks_over_http_to_loopback_and_https_elsewhere_start(migrated, serve, tmp_path):
    jwks = JwksServer()
    k1 = Key(str(tmp_path), "kid-1")
    jwks.keys = [k1]
    try:
        s = serve(env=dict(JWT_ENV, AUTH_MODE="jwt",
                           JWT_JWKS_URL=jwks.url.replace("127.0.0.1", "localhost")))
        assert bearer(s, token(k1)).status == 200
    finally:
        jwks.stop()
    # https to anywhere is accepted at start (unreachable here: nobody gets in)
    s = serve(env=dict(JWT_ENV, AUTH_MODE="jwt", JWT_JWKS_URL="https://127.0.0.1:9/jwks.json"))
    assert bearer(s, token(k1)).status == 401


def test_jwks_redirect_to_plain_http_is_not_followed(migrated, serve, tmp_path):
    target, hop = JwksServer(), JwksServer()
    k1 = Key(str(tmp_path), "kid-1")
    target.keys = [k1]
    hop.redirect = target.url  # plain http: a downgrade wherever it came from
    try:
        s = serve(env=dict(JWT_ENV, AUTH_MODE="jwt", JWT_JWKS_URL=hop.url))
        assert bearer(s, token(k1)).status == 401
        assert hop.fetches >= 1 and target.fetches == 0
        assert any(l.get("msg") == "jwks fetch failed" for l in s.log_lines())
    finally:
        target.stop()
        hop.stop()


# ---- the key set off the request path ----

def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0


def test_a_slow_key_server_never_holds_requests(jwt_server, tmp_path):
    import threading
    s, jwks, k1 = jwt_server  # one loop thread: whatever blocks it blocks every request
    assert bearer(s, token(k1)).status == 200
    jwks.delay = 2.5
    made_up = token(Key(str(tmp_path), "kid-made-up"))
    results = {}
    t = threading.Thread(target=lambda: results.update(made_up=timed(lambda: bearer(s, made_up))))
    t.start()
    time.sleep(0.3)
    up, up_s = timed(lambda: s.get("/up"))
    good, good_s = timed(lambda: bearer(s, token(k1)))
    t.join(10)
    (r, made_up_s) = results["made_up"]
    assert r.status == 401 and up.status == 200 and good.status == 200
    # the made-up kid is refused at once; the fetch it asked for runs aside
    assert made_up_s < 1.0, made_up_s
    assert up_s < 1.0 and good_s < 1.0, (up_s, good_s)
    deadline = time.time() + 5
    while time.time() < deadline and jwks.fetches < 2:
        time.sleep(0.1)
    assert jwks.fetches == 2  # the one at start, and the one the kid asked for


def test_a_rotated_key_is_accepted_within_seconds_despite_made_up_kids(jwt_server, tmp_path):
    s, jwks, k1 = jwt_server
    made_up = token(Key(str(tmp_path), "kid-made-up"))
    t_end = time.time() + 3
    while time.time() < t_end:  # a flood of made-up kids
        assert bearer(s, made_up).status == 401
        time.sleep(0.05)
    assert jwks.fetches <= 2, jwks.fetches  # one fetch for the lot
    k2 = Key(str(tmp_path), "kid-2")
    jwks.keys = [k1, k2]
    t0 = time.time()
    while bearer(s, token(k2)).status != 200:
        assert time.time() - t0 < 15, "the new key was not accepted within 15 s"
        time.sleep(0.25)
    assert jwks.fetches <= 3, jwks.fetches


# ---- per-IP keys behind a trusted proxy ----

def forwarded(s, xff):
    return s.get(API, headers={"X-Forwarded-For": xff}).status


@pytest.fixture
def proxied(migrated, serve):
    return serve(env={"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8", "RATE_LIMIT_IP_PER_MIN": "3",
                      "BLOCKLIST": "203.0.113.0/24"})


def test_an_ipv6_network_is_one_client(proxied):
    # four addresses of one /64: one budget of 3
    statuses = [forwarded(proxied, a) for a in ("2001:db8:1:2::1", "2001:db8:1:2::2",
                                                 "[2001:db8:1:2:ffff::9]:443", "2001:db8:1:2::3")]
    assert statuses == [200, 200, 200, 429]
    assert forwarded(proxied, "2001:db8:1:3::1") == 200  # the next /64 is someone else


def test_the_ipv6_prefix_is_configurable(migrated, serve):
    s = serve(env={"TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_IP_PER_MIN": "1",
                   "RATE_LIMIT_IPV6_PREFIX": "128"})
    assert [forwarded(s, "2001:db8::%d" % i) for i in range(1, 4)] == [200, 200, 200]
    assert forwarded(s, "2001:db8::1") == 429


def test_every_spelling_of_an_ipv4_address_is_one_client(proxied):
    spellings = ["198.51.100.7", "::ffff:198.51.100.7", "[::ffff:c633:6407]:8080",
                 "0:0:0:0:0:ffff:198.51.100.7"]
    assert [forwarded(proxied, a) for a in spellings] == [200, 200, 200, 429]


def test_forwarded_entries_with_ports_are_their_clients(proxied):
    # before, an entry with a port did not parse: the client was the proxy
    assert [forwarded(proxied, "198.51.100.8:5678") for _ in range(3)] == [200] * 3
    assert forwarded(proxied, "198.51.100.8:1") == 429
    assert forwarded(proxied, "198.51.100.9, 10.0.0.1:443") == 200  # not the proxy's budget
    assert proxied.get(API).status == 200  # the proxy itself still has its own
    assert forwarded(proxied, "203.0.113.9:1234") == 403
    assert forwarded(proxied, "[::ffff:203.0.113.9]:1234") == 403


def test_repeated_forwarded_for_lines_are_one_list(proxied):
    from httpraw import RawConn
    c = RawConn(proxied.port)
    try:
        # joined: "203.0.113.9, 10.0.0.1, 127.0.0.1": the client is blocked
        c.send("GET %s HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.1\r\n"
               "X-Forwarded-For: 127.0.0.1\r\n\r\n" % API)
        status, _, body = c.read_response()
        assert status == 403 and json.loads(body) == {"error": "Forbidden"}
        # the client named on the first line counts against its own budget
        for expect in (200, 200, 200, 429):
            c.send("GET %s HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.20\r\n"
                   "X-Forwarded-For: 10.0.0.7:80\r\n\r\n" % API)
            assert c.read_response()[0] == expect
    finally:
        c.close()


# ---- a full limiter table ----

def pipelined(port, requests, batch=500):
    """Sends raw requests on one keep-alive connection, a batch at a time
    (each batch answered before the next is sent); returns a Counter of the
    answers' status codes."""
    import collections
    import socket
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    counts = collections.Counter()
    status = re.compile(rb"HTTP/1\.1 (\d{3}) ")
    try:
        for i in range(0, len(requests), batch):
            part = requests[i:i + batch]
            sock.sendall(b"".join(part))
            data, got = b"", 0
            while got < len(part):
                chunk = sock.recv(1 << 20)
                assert chunk, "the server closed the connection"
                data += chunk
                # count whole answers only: each ends with its JSON body
                done = data.rfind(b"}")
                found = status.findall(data[:done + 1])
                counts.update(int(x) for x in found)
                got += len(found)
                data = data[done + 1:]
    finally:
        sock.close()
    return counts


def test_a_full_limiter_table_keeps_limiting(migrated, serve):
    # 210,000 spoofed clients through a trusted proxy fill the table (200,000);
    # then a new client must still be limited. Windows are per minute: start
    # early in one, so the flood and the check share it.
    if time.time() % 60 > 30:
        time.sleep(60.5 - time.time() % 60)
    s = serve(env={"TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_IP_PER_MIN": "5", "THREADS": "1"})
    n = 210000
    flood = [b"GET /nope HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 100.%d.%d.%d\r\n\r\n"
             % (64 + (i >> 16), (i >> 8) & 255, i & 255) for i in range(n)]
    t0 = time.time()
    counts = pipelined(s.port, flood)
    assert counts == {404: n}, counts
    flood_s = time.time() - t0
    statuses = [forwarded(s, "192.0.2.77") for _ in range(6)]
    assert statuses == [200] * 5 + [429], (statuses, flood_s)


# ---- a budget per API key ----

def test_each_configured_api_key_has_its_own_budget(migrated, serve):
    import hashlib
    keys = ["first-key-from-secrets-manager", "second-key-from-secrets-manager"]
    s = serve(env={"AUTH_MODE": "api_key", "RATE_LIMIT_KEY_PER_HOUR": "3",
                   "API_KEYS_SHA256": ",".join(hashlib.sha256(k.encode()).hexdigest()
                                               for k in keys)})
    first = [s.get(API, headers={"X-API-Key": keys[0]}).status for _ in range(4)]
    assert first == [200, 200, 200, 429]
    r = s.get(API, headers={"X-API-Key": keys[1]})
    assert r.status == 200 and r.header("RateLimit-Remaining") == "2"
    # and a key from the database is a third budget
    p = migrated.run("keys", "create", "third")
    assert p.returncode == 0
    deadline = time.time() + 5
    while (r := s.get(API, headers={"X-API-Key": p.stdout.strip()})).status == 401:
        assert time.time() < deadline  # the server loads new keys within a second
        time.sleep(0.2)
    assert r.status == 200 and r.header("RateLimit-Remaining") == "2"


# ---- caching of authenticated answers ----

def test_authenticated_answers_are_private_and_vary_on_credentials(migrated, serve):
    p = migrated.run("keys", "create", "cache")
    key = p.stdout.strip()
    s = serve(env={"AUTH_MODE": "api_key"})
    for path in (API, "/api/v1/openapi.json"):
        r = s.get(path, headers={"X-API-Key": key})
        assert r.status == 200
        assert r.header("Cache-Control") == "private, no-cache"
        vary = [v.strip().lower() for v in r.header("Vary").split(",")]
        assert "authorization" in vary and "x-api-key" in vary and "accept-encoding" in vary
        # revalidation stays cheap, and answers only the holder of a key
        etag = r.header("ETag")
        r = s.get(path, headers={"X-API-Key": key, "If-None-Match": etag})
        assert r.status == 304 and r.header("Cache-Control") == "private, no-cache"
        assert s.get(path, headers={"If-None-Match": etag}).status == 401


def test_without_auth_answers_stay_public(migrated, serve):
    s = serve()
    r = s.get(API)
    assert r.header("Cache-Control") == "public, max-age=3600"
    assert r.header("Vary") == "Accept-Encoding, Origin"


# ---- /ready ----

def test_ready_is_limited_and_blocklisted_but_up_is_not(migrated, serve):
    s = serve(env={"RATE_LIMIT_IP_PER_MIN": "3", "TRUSTED_PROXIES": "127.0.0.1",
                   "BLOCKLIST": "203.0.113.0/24", "AUTH_MODE": "api_key"})
    rs = [s.get("/ready") for _ in range(4)]
    assert [r.status for r in rs] == [200, 200, 200, 429]  # never authenticated, though
    assert rs[0].header("RateLimit-Limit") == "3"
    assert rs[3].json()["error"] == "Rate limit exceeded" and rs[3].header("Retry-After")
    assert [s.get("/up").status for _ in range(10)] == [200] * 10
    blocked = {"X-Forwarded-For": "203.0.113.5"}
    assert s.get("/ready", headers=blocked).status == 403
    assert s.get("/up", headers=blocked).status == 200


# ---- secrets in messages ----

SECRET = "S3cretPw"


@pytest.mark.parametrize("command,env,shown", [
    # mistyped scheme: refused by the configuration, echoed without the password
    ("migrate", {"DATABASE_URL": "postgress://user:S3cretPw@db.internal/tvshows"},
     "postgress://user:***@db.internal/tvshows"),
    ("serve", {"DATABASE_REPLICA_URL": "postgresql:/user:S3cretPw@replica/tvshows"}, "***@replica"),
    ("jobs", {"REDIS_URL": "redis:/:S3cretPw@cache:6379/0"}, "***@cache"),
    ("serve", {"AUTH_MODE": "jwt", "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE,
               "JWT_JWKS_URL": "http://svc:S3cretPw@idp.example/jwks.json"},
     "http://svc:***@idp.example/jwks.json"),
    # well-formed enough for the configuration, refused by libpq, which
    # quotes the URL or the piece of it that did not parse
    ("migrate", {"DATABASE_URL": "postgres://user:S3cretPw@[::1/tvshows"},
     "postgres://user:***@[::1/tvshows"),
    ("migrate", {"DATABASE_URL": "postgres://user:S3cret%zzPw@127.0.0.1:1/tvshows"}, "\"***\""),
    ("migrate", {"DATABASE_URL": "postgres://user:S3cretPw/x@127.0.0.1:1/tvshows"}, "\"***\""),
    ("migrate", {"DATABASE_URL": "postgres://user:S3cretPw@127.0.0.1:1/tvshows?password=S3cretPw"},
     "DATABASE_URL"),
    # Redis: a password with '@' is not taken for the host (which errors name)
    ("jobs", {"REDIS_URL": "redis://:S3cret@Pw@127.0.0.1:1/0"}, "unavailable"),
])
def test_urls_are_printed_without_their_passwords(tvshows, command, env, shown):
    args = [command] + (["stats"] if command == "jobs" else [])
    p = tvshows.run(*args, env=env, timeout=30)
    assert p.returncode == (1 if shown == "unavailable" else 2), p.stderr
    out = p.stdout + p.stderr
    assert "S3cret" not in out and "Pw@" not in out, out
    assert shown in out, out
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_key_material_is_never_echoed(tvshows):
    p = tvshows.run("serve", env={"API_KEYS_SHA256": "S3cretKeyMaterial"}, timeout=20)
    assert p.returncode == 2 and "API_KEYS_SHA256" in p.stderr
    assert "S3cret" not in p.stdout + p.stderr


def test_a_broken_replica_url_is_logged_without_its_password(migrated, serve):
    s = serve(env={"DATABASE_REPLICA_URL": "postgres://ro:S3cret%zzPw@127.0.0.1:1/tvshows"})
    r = s.get("/api/v1/analytics/networks")
    assert r.status == 200  # read from the primary instead
    time.sleep(0.3)
    logs = s.stdout() + s.stderr()
    assert any(l.get("msg", "").startswith("replica unavailable") for l in s.log_lines())
    assert "S3cret" not in logs


# ---- a Redis that accepts and never answers ----

class BlackHole:
    """A TCP server that accepts connections, reads what comes and never
    answers: a Redis behind a network fault or wedged."""

    def __init__(self):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.conns = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self.conns.append(c)
            threading.Thread(target=self._drain, args=(c,), daemon=True).start()

    @staticmethod
    def _drain(c):
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass

    def stop(self):
        self.running = False
        self.sock.close()
        for c in self.conns:
            c.close()


def up_latencies(s, seconds, every=0.02):
    """/up asked every `every` seconds whatever the answers (open loop, each
    on a connection of its own) while a client keeps the API busy; each
    latency counts from when the request was due, so a stalled loop shows
    in every request it held up."""
    import concurrent.futures
    import http.client
    import threading
    stop = threading.Event()

    def load():
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        while not stop.is_set():
            c.request("GET", API)
            r = c.getresponse()
            r.read()
            assert r.status == 200
        c.close()

    def probe(due):
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        c.request("GET", "/up")
        assert c.getresponse().status == 200
        c.close()
        return time.monotonic() - due

    loader = threading.Thread(target=load)
    loader.start()
    futures = []
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        t0 = time.monotonic()
        for i in range(int(seconds / every)):
            due = t0 + i * every
            time.sleep(max(0.0, due - time.monotonic()))
            futures.append(pool.submit(probe, due))
        lat = sorted(f.result() * 1000 for f in futures)
    stop.set()
    loader.join(30)
    return lat


def test_a_black_holed_redis_does_not_freeze_the_loop(migrated, serve):
    bh = BlackHole()
    try:
        s = serve(env={"REDIS_URL": "redis://127.0.0.1:%d/0" % bh.port, "THREADS": "1",
                       "RATE_LIMIT_IP_PER_MIN": "1000000"})
        for _ in range(3):  # Redis is found silent: limits and cache fall back to the process
            assert s.get(API).status == 200
        assert s.get("/ready").json()["redis"] == "down"
        # two windows of 5 s: a stall every second shows in both, while a
        # hiccup of this shared machine would spoil only one
        windows = []
        for _ in range(2):
            lat = up_latencies(s, 5)
            windows.append((lat[len(lat) // 2], lat[int(len(lat) * 0.99)], lat[-1]))
            print("black-holed Redis, /up over 5 s: %d requests, p50 %.1f ms, p99 %.1f ms, "
                  "max %.1f ms; %d connections to Redis so far"
                  % ((len(lat),) + windows[-1] + (bh.accepted,)))
            if windows[-1][1] < 200:
                break
        assert min(p99 for _, p99, _ in windows) < 200, windows
        # reconnects back off: 1 s, 2 s, 4 s … not one a second
        assert bh.accepted <= 5, bh.accepted
    finally:
        bh.stop()
