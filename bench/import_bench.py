#!/usr/bin/python3
"""Import benchmark: the seeded ~100,000-episode dataset (bench/gen_dataset.py),
served by the fake upstream over HTTP with no rate limit, imported by
`tvshows import` into SQLite and into PostgreSQL (fsync on, as in production).

    bench/import_bench.py [--episodes 100000] [--backend sqlite|postgres|both]
                          [--concurrency 2] [--bin build/release/tvshows]

Prints, per backend: wall time, episodes per second, the import's peak
resident memory and CPU time (user + system: steadier than the wall time
on a machine others share), and where the time went
(fetching, parsing, writing, summed over the import threads); then the same
for a second import of unchanged data."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from fake_tvmaze import FakeTvmaze  # noqa: E402
from servers import PgServer  # noqa: E402

START = "2026-07-01"
DAYS = 90
COUNTRIES = "US,GB"


def dataset(episodes):
    out = os.path.join(ROOT, "build", "bench-data-%d" % episodes)
    if not os.path.exists(os.path.join(out, ".done")):
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "gen_dataset.py"),
                        "--out", out, "--start", START, "--days", str(DAYS), "--episodes",
                        str(episodes), "--countries", COUNTRIES, "--seed", "42"], check=True)
        open(os.path.join(out, ".done"), "w").close()
    return out


def warm(fake, data):
    """Ask for every file once, so the fake has compressed them all before
    the clock starts."""
    for name in os.listdir(data):
        m = re.match(r"schedule-(\w+)-(\d{4}-\d\d-\d\d)\.json$", name)
        if not m:
            continue
        path = ("/schedule/web?date=%s" % m.group(2) if m.group(1) == "web"
                else "/schedule?country=%s&date=%s" % (m.group(1), m.group(2)))
        req = urllib.request.Request(fake.url + path, headers={"Accept-Encoding": "gzip"})
        urllib.request.urlopen(req).read()


def start_fake(episodes):
    """The fake upstream serving the seeded dataset, every file compressed,
    each answer sent at once (without TCP_NODELAY, Nagle's algorithm held
    every answer back ~40 ms for the importer's delayed ACK, and the fake,
    not the importer, set the pace)."""
    data = dataset(episodes)
    fake = FakeTvmaze(data, cache=True, nodelay=True)
    fake.start()
    warm(fake, data)
    return fake


def backends(choice):
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def database(backend, work, durable=True):
    """A new database: its URL, and the PostgreSQL server to destroy (None
    for SQLite)."""
    if backend == "sqlite":
        return "sqlite:%s/bench.db" % work, None
    pg = PgServer(durable=durable).start()
    pg.psql("CREATE DATABASE bench")
    return pg.url("bench"), pg


def run_import(binary, url, fake, concurrency, cwd):
    env = dict(os.environ, DATABASE_URL=url, TVMAZE_BASE_URL=fake.url, IMPORT_RATE="0",
               WORKER_CONCURRENCY=str(concurrency), LOG_LEVEL="warn")
    subprocess.run([binary, "migrate"], env=env, check=True, capture_output=True, cwd=cwd)
    t0 = time.time()
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        p = subprocess.Popen([binary, "import", "--from", START, "--days", str(DAYS),
                              "--countries", COUNTRIES], env=env, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.time() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if p.returncode != 0:
        raise SystemExit("import failed:\n" + stdout + stderr)
    summary = [l for l in stdout.splitlines() if l.startswith(("import ", "time:"))]
    listed = int(re.search(r"(\d+) episodes listed", summary[0]).group(1))
    return wall, listed, summary, usage.ru_maxrss / 1024.0, usage.ru_utime + usage.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--episodes", type=int, default=100000)
    ap.add_argument("--backend", default="both", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "release", "tvshows"))
    ap.add_argument("--no-fsync", action="store_true",
                    help="PostgreSQL without fsync (to see what durability costs)")
    args = ap.parse_args()
    fake = start_fake(args.episodes)
    work = tempfile.mkdtemp(prefix="tvshows-bench-")
    rows = []
    try:
        for backend in backends(args.backend):
            url, pg = database(backend, work, durable=not args.no_fsync)
            try:
                for label in ("first import", "re-import (unchanged)"):
                    wall, listed, summary, rss, cpu = run_import(
                        os.path.abspath(args.bin), url, fake, args.concurrency, work)
                    rows.append((backend, label, wall, listed))
                    print("%-8s %-22s %6.2f s  %7.0f episodes/s  peak RSS %5.0f MB  CPU %5.2f s"
                          % (backend, label, wall, listed / wall, rss, cpu))
                    for line in summary:
                        print("         " + line)
            finally:
                if pg:
                    pg.destroy()
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
