"""The web app as the binary serves it (src/web, tools/embed_web.py): the
page at its client-side routes, content-hashed assets, caching, gzip,
ETag/304, the Content-Security-Policy, and what stays the API's (JSON 404s,
authentication and budgets)."""
import gzip
import hashlib
import re
import time

import pytest

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
       "https://static.tvmaze.com data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
         "svg": "image/svg+xml"}
ASSET = re.compile(r'(?:href|src)="(/assets/[^"]+)"')
IMPORT = re.compile(r"""from\s*['"]\./([^'"]+)['"]""")
DYNAMIC_IMPORT = re.compile(r"""import\(\s*['"]\./([^'"]+)['"]\s*\)""")


@pytest.fixture
def migrated(tvshows):
    assert tvshows.run("migrate").returncode == 0
    return tvshows


@pytest.fixture
def srv(migrated, serve):
    return serve()


def page_assets(srv):
    return ASSET.findall(srv.get("/").body.decode())


def test_the_page_is_served_at_its_routes_no_cache_with_the_strict_policy(srv):
    bodies = set()
    for path in ("/", "/?week=2026-07-06&tz=Europe%2FBerlin", "/insights", "/shows/12",
                 "/shows/not-a-number"):
        r = srv.get(path)
        assert r.status == 200, path
        assert r.header("Content-Type") == "text/html; charset=utf-8"
        assert r.header("Cache-Control") == "no-cache"
        assert r.header("Content-Security-Policy") == CSP
        assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
        assert r.header("X-Content-Type-Options") == "nosniff"
        assert r.header("Referrer-Policy") == "no-referrer"
        assert r.header("Vary") == "Accept-Encoding"
        assert re.fullmatch(r'"[0-9a-f]{32}"', r.header("ETag"))
        bodies.add(r.body)
    assert len(bodies) == 1
    html = bodies.pop().decode()
    assert "<script>" not in html and "<style" not in html and " style=" not in html
    assert re.search(r'<script type="module" src="/assets/app\.[0-9a-f]{8}\.js"></script>', html)
    assert "CC BY-SA 4.0" in html and "https://www.tvmaze.com/" in html


def test_assets_are_named_by_their_content_immutable_and_typed(srv):
    assets = page_assets(srv)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    seen, queue, lazy, static = set(), list(assets), set(), {}
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        r = srv.get(path)
        assert r.status == 200, path
        name, digest, ext = re.fullmatch(r"/assets/([\w-]+)\.([0-9a-f]{8})\.(\w+)", path).groups()
        assert hashlib.sha256(r.body).hexdigest()[:8] == digest, path
        assert r.header("Content-Type") == TYPES[ext]
        assert r.header("Cache-Control") == "public, max-age=31536000, immutable"
        assert r.header("X-Content-Type-Options") == "nosniff"
        if ext == "js":
            # module imports name hashed files, which exist
            for dep in IMPORT.findall(r.body.decode()) + DYNAMIC_IMPORT.findall(r.body.decode()):
                assert re.fullmatch(r"[\w-]+\.[0-9a-f]{8}\.js", dep), (path, dep)
                queue.append("/assets/" + dep)
            static["/assets/" + name + "." + digest + ".js"] = ["/assets/" + d for d in IMPORT.findall(r.body.decode())]
            lazy.update("/assets/" + d for d in DYNAMIC_IMPORT.findall(r.body.decode()))
            assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML", r.body.decode())
    modules = [p for p in seen if p.endswith(".js")]
    assert len(modules) >= 10
    # the page preloads every module its scripts import; those loaded by
    # import() (the views other than the week, and what only they import)
    # are fetched when first shown
    needed, todo = set(), [a for a in assets if a.endswith(".js")]
    while todo:
        m = todo.pop()
        if m not in needed:
            needed.add(m)
            todo.extend(static[m])
    assert len(lazy) >= 3 and not lazy & needed
    for m in modules:
        if m in needed:
            assert m in assets, "%s is not preloaded by the page" % m
        else:
            assert m not in assets, "%s is loaded when used, not preloaded" % m


def test_gzip_when_accepted_with_its_own_etag_and_304_for_either(srv):
    for path in ["/"] + page_assets(srv):
        plain = srv.get(path)
        gz = srv.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert plain.header("Content-Encoding") is None
        assert gz.header("Content-Encoding") == "gzip", path
        assert gzip.decompress(gz.body) == plain.body
        assert len(gz.body) < len(plain.body)
        assert gz.header("ETag") == plain.header("ETag")[:-1] + '-gz"'
        refused = srv.get(path, headers={"Accept-Encoding": "gzip;q=0"})
        assert refused.header("Content-Encoding") is None
        for tag in (plain.header("ETag"), gz.header("ETag")):
            r = srv.get(path, headers={"If-None-Match": tag, "Accept-Encoding": "gzip"})
            assert r.status == 304 and r.body == b"", path
            assert r.header("ETag") == gz.header("ETag")
            assert r.header("Cache-Control") == plain.header("Cache-Control")
        assert srv.get(path, headers={"If-None-Match": '"0000"'}).status == 200
        head = srv.request("HEAD", path)
        assert head.status == 200 and head.body == b""
        assert head.header("Content-Length") == str(len(plain.body))


@pytest.mark.parametrize("path", ["/assets/app.00000000.js", "/assets/", "/assets/a/b.js",
                                  "/assets/app.js", "/api/v1/nope", "/api/v1/shows/1/x", "/shows",
                                  "/shows/1/episodes", "/insights/x", "/index.html", "/favicon.ico",
                                  "/nope"])
def test_unknown_files_and_api_paths_stay_json_404s(srv, path):
    r = srv.get(path)
    assert r.status == 404
    assert r.header("Content-Type") == "application/json; charset=utf-8"
    assert r.json() == {"error": "Not found"}


def test_the_page_is_read_only(srv):
    for method in ("POST", "PUT", "DELETE"):
        r = srv.request(method, "/")
        assert r.status == 405 and r.json() == {"error": "Method not allowed"}
        assert r.header("Allow") == "GET, HEAD, OPTIONS"
        # a body is refused before a byte of it is read: the app's routes take none
        r = srv.request(method, "/shows/1", body=b"{}", headers={"Content-Type": "application/json"})
        assert r.status == 413 and "error" in r.json()


def test_the_app_needs_no_key_and_spends_no_budget_while_its_api_calls_do(migrated, serve):
    s = serve(env={"AUTH_MODE": "api_key", "RATE_LIMIT_IP_PER_MIN": "3"})
    assets = page_assets(s)
    for _ in range(3):
        for path in ["/", "/insights"] + assets:
            r = s.get(path)
            assert r.status == 200, path
            assert r.header("RateLimit-Limit") is None
    r = s.get("/api/v1/networks")
    assert r.status == 401 and r.json() == {"error": "Invalid API key"}
    statuses = [s.get("/api/v1/networks").status for _ in range(3)]
    assert statuses[-1] == 429, statuses


def test_a_blocked_client_gets_no_page(migrated, serve):
    s = serve(env={"BLOCKLIST": "127.0.0.0/8"})
    r = s.get("/")
    assert r.status == 403 and r.json() == {"error": "Forbidden"}


def test_the_page_is_logged_like_any_request(srv):
    srv.get("/")
    srv.get("/insights")
    # each loop thread writes its access-log lines when it next idles
    want = {("/", 200), ("/insights", 200)}
    deadline = time.time() + 10
    while time.time() < deadline:
        seen = {(l["path"], l["status"]) for l in srv.log_lines() if l.get("msg") == "request"}
        if want <= seen:
            break
        time.sleep(0.1)
    assert want <= seen
