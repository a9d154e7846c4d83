"""Fixtures: the built binary, a fresh database per test on the backend under
test (TVSHOWS_TEST_BACKEND=sqlite|postgres), real servers on loopback, and the
fake TVmaze upstream serving the recorded fixtures."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from servers import ExternalPg, PgServer, RedisServer, free_port, wait_port  # noqa: E402

BIN = os.environ.get("TVSHOWS_BIN") or os.path.join(ROOT, "build", "dev", "tvshows")
BACKEND = os.environ.get("TVSHOWS_TEST_BACKEND", "sqlite")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "tvmaze")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer")

if BACKEND not in ("sqlite", "postgres"):
    raise SystemExit("TVSHOWS_TEST_BACKEND must be sqlite or postgres")


def sanitizer_report(text):
    return next((m for m in SANITIZER_MARKS if m in text), None)


@pytest.fixture(scope="session")
def pg():
    if BACKEND != "postgres":
        yield None
        return
    if os.environ.get("TVSHOWS_TEST_PG_URL"):
        yield ExternalPg(os.environ["TVSHOWS_TEST_PG_URL"])
        return
    server = PgServer().start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server():
    if os.environ.get("TVSHOWS_TEST_REDIS_URL"):
        yield None
        return
    server = RedisServer().start()
    yield server
    server.destroy()


@pytest.fixture
def redis_url(redis_server):
    if redis_server is None:
        return os.environ["TVSHOWS_TEST_REDIS_URL"]
    url = redis_server.url
    subprocess.run(["redis-cli", "-p", str(redis_server.port), "FLUSHALL"], check=True,
                   stdout=subprocess.DEVNULL)
    return url


class Database:
    """One fresh database on the backend under test."""

    def __init__(self, tmp_path, pg):
        self.pg = pg
        if pg is None:
            self.path = str(tmp_path / "tvshows.db")
            self.url = "sqlite:" + self.path
            self.name = None
        else:
            self.name = "t_" + uuid.uuid4().hex[:12]
            pg.psql("CREATE DATABASE %s" % self.name)
            self.url = pg.url(self.name)

    def query(self, sql):
        """Rows of a query as lists of strings (NULL as None)."""
        if self.pg is None:
            import sqlite3
            con = sqlite3.connect(self.path)
            try:
                return [[None if v is None else str(v) for v in row]
                        for row in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = self.pg.psql("COPY (%s) TO STDOUT WITH (FORMAT csv, NULL '\\N')" % sql,
                           dbname=self.name)
        import csv
        import io
        return [[None if v == "\\N" else v for v in row]
                for row in csv.reader(io.StringIO(out))]

    def execute(self, sql):
        """Runs a statement that changes data, committed."""
        if self.pg is None:
            import sqlite3
            con = sqlite3.connect(self.path)
            try:
                con.execute(sql)
                con.commit()
            finally:
                con.close()
        else:
            self.pg.psql(sql, dbname=self.name)

    def scalar(self, sql):
        rows = self.query(sql)
        return rows[0][0] if rows else None

    def drop(self):
        if self.pg is not None:
            try:
                self.pg.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
            except subprocess.CalledProcessError:
                pass


def psql_session(url):
    """A psql that reads its statements as they come: a transaction held
    open across a test's steps (PostgreSQL)."""
    return subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.fixture
def db(tmp_path, pg):
    d = Database(tmp_path, pg)
    yield d
    d.drop()


def base_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))}
    # servers run without the embedded worker unless a test asks for it
    # and without the per-IP budget (the tests of limits set their own)
    env.update({"LOG_LEVEL": "info", "LOG_FORMAT": "json", "TVMAZE_BASE_URL": "http://127.0.0.1:9",
                "SERVE_WORKER": "false", "RATE_LIMIT_IP_PER_MIN": "0"})
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:halt_on_error=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    if extra:
        env.update({k: str(v) for k, v in extra.items()})
    return env


class Tvshows:
    """Runs the binary's one-shot commands."""

    def __init__(self, db_url, tmp_path):
        self.db_url = db_url
        self.tmp_path = tmp_path

    def run(self, *args, env=None, timeout=120, input=None, check_sanitizers=True):
        e = base_env({"DATABASE_URL": self.db_url})
        if env:
            e.update({k: str(v) for k, v in env.items()})
        p = subprocess.run([BIN] + list(args), env=e, cwd=str(self.tmp_path), timeout=timeout,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           input=input)
        if check_sanitizers:
            bad = sanitizer_report(p.stderr)
            assert not bad, "sanitizer report (%s):\n%s" % (bad, p.stderr[-4000:])
        return p


@pytest.fixture
def tvshows(db, tmp_path):
    return Tvshows(db.url, tmp_path)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Server:
    """`tvshows serve` on a free loopback port."""

    def __init__(self, env, tmp_path, args=()):
        self.port = int(env.get("PORT") or free_port())
        env["PORT"] = str(self.port)
        env.setdefault("HOST", "127.0.0.1")
        self.env = env
        self.tmp_path = tmp_path
        tag = uuid.uuid4().hex[:6]
        self.out_path = str(tmp_path / ("serve-%s.out" % tag))
        self.err_path = str(tmp_path / ("serve-%s.err" % tag))
        self.args = list(args)
        self.proc = None

    def start(self, wait=True):
        self.out = open(self.out_path, "w")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([BIN, "serve"] + self.args, env=self.env,
                                     cwd=str(self.tmp_path), stdout=self.out, stderr=self.err)
        if wait:
            deadline = time.time() + 30
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError("server exited with %s:\n%s" % (
                        self.proc.returncode, self.stderr()))
                if wait_port(self.port, 0.2, self.env["HOST"]):
                    break
            else:
                raise AssertionError("server did not start:\n" + self.stderr())
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    spec = None  # an openapi_check.Spec: every response is validated against it

    def request(self, method, path, headers=None, body=None, timeout=30, validate=True):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            resp = Response(r.status, r.getheaders(), data)
        finally:
            c.close()
        if self.spec is not None and validate:
            self.spec.validate_response(method, path, resp.status, data, resp.headers)
        return resp

    def get(self, path, headers=None, **kw):
        return self.request("GET", path, headers=headers, **kw)

    def stdout(self):
        self.out.flush()
        with open(self.out_path) as f:
            return f.read()

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def log_lines(self):
        lines = []
        for line in self.stdout().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                pass
        return lines

    def stop(self, sig=signal.SIGTERM, timeout=40):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop within %ss" % timeout)
        rc = self.proc.returncode
        self.out.close()
        self.err.close()
        self.proc = None
        return rc

    def check_clean_exit(self, rc):
        err = self.stderr() if not self.err.closed else open(self.err_path).read()
        bad = sanitizer_report(err)
        assert not bad, "sanitizer report (%s):\n%s" % (bad, err[-6000:])
        assert rc == 0, "server exited with %s:\n%s" % (rc, err[-3000:])


@pytest.fixture
def serve(db, tmp_path):
    """Factory: serve(env={...}, args=[...]) starts a server; all are stopped
    at teardown and must exit 0 without sanitizer reports."""
    started = []

    def start(env=None, args=(), wait=True, database_url=None):
        e = base_env({"DATABASE_URL": database_url or db.url, "THREADS": "2"})
        if db.pg is not None and not database_url:
            # PostgreSQL is migrated by its own task before the API serves
            subprocess.run([BIN, "migrate"], env=e, check=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, cwd=str(tmp_path))
        if env:
            e.update({k: str(v) for k, v in env.items()})
        s = Server(e, tmp_path, args).start(wait=wait)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc is not None:
            rc = s.stop()
            s.check_clean_exit(rc)


@pytest.fixture
def fixtures_dir(tmp_path):
    """A private copy of the recorded TVmaze responses (tests may edit it)."""
    d = tmp_path / "tvmaze"
    shutil.copytree(FIXTURES, str(d))
    return d


@pytest.fixture
def fake_tvmaze(fixtures_dir):
    from fake_tvmaze import FakeTvmaze
    f = FakeTvmaze(str(fixtures_dir))
    f.start()
    yield f
    f.stop()


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres_only: runs only in the PostgreSQL run")
    config.addinivalue_line("markers", "sqlite_only: runs only in the SQLite run")


def pytest_collection_modifyitems(config, items):
    """Backend-specific tests are deselected (not skipped) in the other run:
    in CI a skipped test counts as a failure."""
    keep, drop = [], []
    for item in items:
        if item.get_closest_marker("postgres_only") and BACKEND != "postgres":
            drop.append(item)
        elif item.get_closest_marker("sqlite_only") and BACKEND != "sqlite":
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


class Loaded:
    """A server over a database filled from every recorded fixture through
    the real importer (`tvshows import --file`), and the independent model."""

    def __init__(self, db, server, tvshows, model):
        self.db = db
        self.server = server
        self.tvshows = tvshows
        self.model = model


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, pg):
    import glob
    import openapi_check
    from fixture_model import Model
    tmp = tmp_path_factory.mktemp("loaded")
    d = Database(tmp, pg)
    t = Tvshows(d.url, tmp)
    files = sorted(glob.glob(os.path.join(FIXTURES, "schedule-*.json")))
    for args in (["migrate"], ["import", "--file"] + files):
        p = t.run(*args)
        assert p.returncode == 0, p.stderr
    s = Server(base_env({"DATABASE_URL": d.url, "THREADS": "2"}), tmp).start()
    s.spec = openapi_check.load(os.path.join(ROOT, "docs", "openapi.json"))
    yield Loaded(d, s, t, Model(FIXTURES))
    s.check_clean_exit(s.stop())
    d.drop()
