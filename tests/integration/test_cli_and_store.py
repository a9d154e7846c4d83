"""The binary's command line, configuration checks and the schema migrations,
on the backend under test."""
import concurrent.futures
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
