"""The binary's command line, configuration checks and the schema migrations,
on the backend under test."""
import concurrent.futures
import json
import os
import subprocess
import time

import pytest

from conftest import BIN, base_env
from servers import PgServer, free_port


def test_help_lists_every_command_and_each_command_lists_its_options(tvshows):
    p = tvshows.run("help")
    assert p.returncode == 0
    for cmd in ("serve", "migrate", "import", "version"):
        assert cmd in p.stdout
    p = tvshows.run("serve", "--help")
    assert p.returncode == 0
    for opt in ("--port", "PORT", "--database-url", "DATABASE_URL", "--threads", "--no-worker"):
        assert opt in p.stdout
    p = tvshows.run("help", "import")
    assert "--from" in p.stdout and "--file" in p.stdout and "--full" in p.stdout


def test_version(tvshows):
    p = tvshows.run("version")
    assert p.returncode == 0 and p.stdout.startswith("tvshows ")


@pytest.mark.parametrize("env,flag,name", [
    ({"PORT": "abc"}, None, "PORT"),
    ({"PORT": "70000"}, None, "PORT"),
    ({}, "--port=0", "--port"),
    ({"DATABASE_URL": "mysql://x/y"}, None, "DATABASE_URL"),
    ({"REDIS_URL": "http://x"}, None, "REDIS_URL"),
    ({"IMPORT_SCHEDULE": "61 * * * *"}, None, "IMPORT_SCHEDULE"),
    ({"AUTH_MODE": "maybe"}, None, "AUTH_MODE"),
    ({"BLOCKLIST": "10.0.0.0/99"}, None, "BLOCKLIST"),
    ({"LOG_LEVEL": "loud"}, None, "LOG_LEVEL"),
    ({}, "--no-such-flag", "--no-such-flag"),
])
def test_bad_configuration_is_refused_with_one_line_naming_it(tvshows, env, flag, name):
    args = ["serve"] + ([flag] if flag else [])
    p = tvshows.run(*args, env=env, timeout=20)
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], p.stderr


def test_unreachable_database_is_refused_at_start(tvshows):
    port = free_port()
    p = tvshows.run("serve", env={"DATABASE_URL": "postgres://u@127.0.0.1:%d/x" % port},
                    timeout=30)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and "DATABASE_URL" in p.stderr


def test_port_in_use_is_refused(serve, tvshows):
    s = serve()
    p = tvshows.run("serve", env={"PORT": s.port}, timeout=20)
    assert p.returncode == 2 and "PORT" in p.stderr


def test_migrate_from_empty_then_again_is_a_no_op(tvshows, db):
    p = tvshows.run("migrate")
    assert p.returncode == 0, p.stderr
    applied = int(p.stdout.split('"applied":')[1].split(",")[0])
    assert applied >= 2
    tables = {r[0] for r in db.query(
        "SELECT name FROM sqlite_master WHERE type='table'" if db.pg is None else
        "SELECT tablename FROM pg_tables WHERE schemaname='public'")}
    assert {"meta", "distributors", "shows", "episodes", "listings", "import_runs",
            "schema_migrations"} <= tables
    p = tvshows.run("migrate")
    assert p.returncode == 0 and '"applied":0' in p.stdout
    assert db.scalar("SELECT count(*) FROM schema_migrations") == str(applied)
    assert {"jobs", "scheduler_ticks"} <= {r[0] for r in db.query(
        "SELECT name FROM sqlite_master WHERE type='table'" if db.pg is None else
        "SELECT tablename FROM pg_tables WHERE schemaname='public'")}


def test_concurrent_migrations_apply_each_version_once(tvshows, db):
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        results = list(ex.map(lambda _: tvshows.run("migrate"), range(6)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    applied = sum(int(r.stdout.split('"applied":')[1].split(",")[0]) for r in results)
    assert applied >= 2
    assert db.scalar("SELECT count(*) FROM schema_migrations") == str(applied)


@pytest.mark.sqlite_only
def test_serve_migrates_the_embedded_database_by_itself(serve, tmp_path):
    path = tmp_path / "sub" / "dir" / "x.db"
    s = serve(database_url="sqlite:%s" % path)
    assert s.get("/ready").json() == {"status": "ok", "database": "ok", "redis": "disabled"}
    assert path.exists()


@pytest.mark.postgres_only
def test_serve_refuses_an_unmigrated_postgres(tvshows):
    p = tvshows.run("serve", timeout=30)
    assert p.returncode == 2
    assert "tvshows migrate" in p.stderr and p.stderr.count("\n") == 1


@pytest.mark.postgres_only
def test_ready_follows_the_database_down_and_back_with_the_same_process(tmp_path):
    pg = PgServer().start()
    try:
        pg.psql("CREATE DATABASE r")
        env = base_env({"DATABASE_URL": pg.url("r"), "PORT": str(free_port()), "THREADS": "2"})
        subprocess.run([BIN, "migrate"], env=env, check=True, capture_output=True)
        from conftest import Server
        s = Server(env, tmp_path).start()
        assert s.get("/ready").status == 200
        assert s.get("/api/v1/networks").status == 200
        pg.stop()
        t0 = time.time()
        r = s.get("/ready", timeout=15)
        assert r.status == 503 and r.json()["database"] == "down"
        assert time.time() - t0 < 6
        r = s.get("/api/v1/tvshows?date_from=2025-01-01&date_to=2025-01-02", timeout=15)
        assert r.status == 503 and r.json() == {"error": "Service unavailable"}
        assert r.header("Retry-After")
        assert s.get("/up").status == 200  # liveness never touches the database
        pg.start()
        deadline = time.time() + 15
        while time.time() < deadline and s.get("/ready").status != 200:
            time.sleep(0.3)
        assert s.get("/ready").status == 200
        assert s.get("/api/v1/tvshows?date_from=2025-01-01&date_to=2025-01-03").status == 200
        s.check_clean_exit(s.stop())
    finally:
        pg.destroy()


def test_healthcheck_asks_up(serve, tvshows):
    s = serve(env={"HOST": "0.0.0.0"})
    assert tvshows.run("healthcheck", env={"HOST": "0.0.0.0", "PORT": s.port}).returncode == 0
    p = tvshows.run("healthcheck", env={"PORT": free_port()})
    assert p.returncode == 1 and p.stderr.count("\n") == 1


# ---- expand and contract: where the schema stands, and who may serve it ----

def status(tvshows):
    p = tvshows.run("migrate", "--status", "--format", "json")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_migrate_status_says_where_the_schema_stands(tvshows, db):
    latest = status(tvshows)["binary"]
    assert latest >= 6
    assert status(tvshows) == {"database": 0, "binary": latest, "oldest_compatible_binary": 0,
                               "pending": latest}
    assert tvshows.run("migrate", "--to", "4").returncode == 0
    assert status(tvshows)["database"] == 4 and status(tvshows)["pending"] == latest - 4
    assert tvshows.run("migrate").returncode == 0
    s = status(tvshows)
    assert s == {"database": latest, "binary": latest,
                 "oldest_compatible_binary": latest - 1, "pending": 0}
    assert db.scalar("SELECT count(*) FROM schema_migrations") == str(latest)  # nothing applied
    text = tvshows.run("migrate", "--status").stdout
    assert text.startswith("schema: database at version %d, this binary at %d, 0 pending" %
                           (latest, latest))


def future_migration(db, version, compatible):
    db.execute("INSERT INTO schema_migrations (version, name, applied_at, compatible)"
               " VALUES (%d, 'from a newer binary', 0, %d)" % (version, compatible))


def test_a_binary_serves_a_schema_one_compatible_version_ahead(tvshows, db, serve):
    assert tvshows.run("migrate").returncode == 0
    latest = status(tvshows)["binary"]
    future_migration(db, latest + 1, 1)
    s = serve()
    assert s.get("/ready").status == 200
    assert any(l.get("msg", "").startswith("the schema is one version ahead")
               for l in s.log_lines())
    assert status(tvshows)["oldest_compatible_binary"] == latest


def test_a_binary_refuses_a_schema_it_cannot_serve(tvshows, db):
    assert tvshows.run("migrate").returncode == 0
    latest = status(tvshows)["binary"]
    future_migration(db, latest + 1, 0)
    p = tvshows.run("serve", timeout=30)
    assert p.returncode == 2 and "newer than this binary" in p.stderr
    db.execute("UPDATE schema_migrations SET compatible = 1 WHERE version = %d" % (latest + 1))
    future_migration(db, latest + 2, 1)  # two ahead: never
    p = tvshows.run("worker", timeout=30)
    assert p.returncode == 2 and "newer than this binary" in p.stderr


@pytest.mark.postgres_only
def test_migrate_creates_the_least_privileged_application_role(tvshows, db, serve, fake_tvmaze):
    p = tvshows.run("migrate", env={"DATABASE_APP_ROLE": "tv_app",
                                    "DATABASE_APP_PASSWORD": "s3cret-'\"; DROP TABLE x"})
    assert p.returncode == 0, p.stderr
    assert "s3cret" not in p.stdout + p.stderr
    role = db.pg.psql("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles"
                      " WHERE rolname = 'tv_app'")
    assert role == "f|f|f"
    app_url = db.url.replace("postgres://postgres@", "postgres://tv_app@")
    # the role runs the service: an import and the API
    p = tvshows.run("import", "--from", "2026-07-03", "--days", "2", "--countries", "GB",
                    "--no-web", env={"DATABASE_URL": app_url, "TVMAZE_BASE_URL": fake_tvmaze.url,
                                     "IMPORT_RATE": "0"})
    assert p.returncode == 0, p.stderr
    s = serve(database_url=app_url)
    assert s.get("/api/v1/tvshows?date_from=2026-07-03&date_to=2026-07-04").json()[
        "pagination"]["total_count"] > 0
    # and no more: it cannot change the schema
    r = subprocess.run([os.path.join(db.pg.bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        app_url, "-c", "CREATE TABLE nope (x int)"], capture_output=True, text=True)
    assert r.returncode != 0 and "permission denied" in r.stderr
    # running migrate again keeps it (and sets the password again)
    assert tvshows.run("migrate", env={"DATABASE_APP_ROLE": "tv_app",
                                       "DATABASE_APP_PASSWORD": "other"}).returncode == 0
