#!/usr/bin/python3
"""HTTP benchmark of GET /api/v1/tvshows with wrk on loopback, the server and
the load generator pinned to different cores:

  warm   a 7-day window, 25 per page, gzip accepted: the response cache;
  cold   the response cache off, random 7-day windows and filters, after a
         3 s warm-up; on PostgreSQL with one API thread and with four
         (--cold-threads);
  tz     as cold, each request in a viewer's time zone with one of the
         viewer's filters (genre, kind, language, type, premieres);
  search GET /api/v1/search/shows with random 3-8 letter pieces of show
         names, some with a letter dropped or two swapped;
  nginx  the identical response bytes as a static file served by nginx
         (one worker), the anchor for the warm case;
  stall  (--stall) /up on a loop thread whose Redis has stopped answering
         (SIGSTOP), while another connection's requests count their budgets
         in that Redis: the latency a wedged Redis adds to everything else.

    bench/api_bench.py [--backend sqlite|postgres|both] [--duration 10]
                       [--episodes 100000] [--bin build/release/tvshows]
                       [--ref-bin OTHER] [--cold-threads 1,4] [--stall]

With --ref-bin, every scenario is run on both binaries in turn, on the same
data (each binary reads a database it imported itself, so the reference
may be an older schema), and each line of --bin's gets its ratio to the
reference's (the machine's noise cancels out of a ratio taken within one
run).

Reports requests/s, p50/p99 latency, server CPU time per request and the
server's peak RSS, and warm/nginx as a ratio. The data is the seeded dataset
of bench/gen_dataset.py, loaded through the real importer."""
import argparse
import datetime
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from import_bench import DAYS, START, backends, database, run_import, start_fake  # noqa: E402
from servers import free_port, wait_port  # noqa: E402

WARM_PATH = "/api/v1/tvshows?date_from=2026-07-06&date_to=2026-07-12"
SERVER_CORE, CLIENT_CORE = "0", "1"
# The cold runs are measured after this long under the same load: the
# process has opened its connections and read the days' counts once (what
# it does after each import), which is not what "cold" (no response cache)
# is about.
WARMUP_SECONDS = 3


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0


def wrk(url, conns, seconds, script=None):
    cmd = ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", "-c%d" % conns, "-d%ds" % seconds,
           "--latency", "-H", "Accept-Encoding: gzip"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    def lat(p):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)" % p, out, re.M)
        v = float(m.group(1))
        return v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": lat(50), "p99": lat(99), "requests": reqs,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def measure(pid, url, conns, seconds, script=None):
    c0 = cpu_seconds(pid)
    r = wrk(url, conns, seconds, script)
    r["cpu_us"] = (cpu_seconds(pid) - c0) / max(r["requests"], 1) * 1e6
    r["rss"] = peak_rss_mb(pid)
    return r


def serve(binary, db_url, port, cache_mb, work, threads=1, extra=None):
    env = dict(os.environ, DATABASE_URL=db_url, PORT=str(port), THREADS=str(threads),
               SERVE_WORKER="false", RATE_LIMIT_IP_PER_MIN="0", CACHE_MB=str(cache_mb))
    env.update(extra or {})
    p = subprocess.Popen(["taskset", "-c", SERVER_CORE, binary, "serve"], env=env, cwd=work,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port, 30):
        raise SystemExit("the server did not start")
    return p


def paths_script(work, name, paths):
    lua = os.path.join(work, name + ".lua")
    with open(lua, "w") as f:
        f.write("paths = {\n%s\n}\n" % ",\n".join('"%s"' % p.replace('"', "") for p in paths))
        f.write("request = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n")
    return lua


def cold_script(work, distributors):
    """A wrk script that asks random 7-day windows with random filters."""
    rnd = random.Random(7)
    paths = []
    for _ in range(2000):
        first = datetime.date.fromisoformat(START) + datetime.timedelta(days=rnd.randrange(DAYS - 7))
        q = "date_from=%s&date_to=%s" % (first, first + datetime.timedelta(days=6))
        extra = rnd.choice(["", "&rating=6", "&country=US", "&country=GB",
                            "&distributor=" + rnd.choice(distributors), "&page=2", "&page=3"])
        paths.append("/api/v1/tvshows?" + q + extra)
    return paths_script(work, "cold", paths)


ZONES = ["Europe/Berlin", "America/Los_Angeles", "America/New_York", "Pacific/Auckland",
         "Asia/Tokyo"]
VIEWER_FILTERS = ["genre=Drama", "genre=Comedy,Crime", "kind=web", "kind=network",
                  "language=English", "type=Scripted", "premieres=any", "exclude_genre=Children",
                  "genre=Drama&rating=6"]


def tz_script(work):
    """Random 7-day windows, each in a zone with one of the viewer's filters."""
    rnd = random.Random(11)
    paths = []
    for _ in range(2000):
        first = datetime.date.fromisoformat(START) + datetime.timedelta(days=rnd.randrange(DAYS - 7))
        paths.append("/api/v1/tvshows?date_from=%s&date_to=%s&tz=%s&%s" % (
            first, first + datetime.timedelta(days=6), rnd.choice(ZONES),
            rnd.choice(VIEWER_FILTERS)))
    return paths_script(work, "tz", paths)


def search_script(work, names):
    """Pieces of 3 to 8 letters of show names; one in three with a typo."""
    rnd = random.Random(13)
    paths = []
    words = [w for n in names for w in re.findall(r"[A-Za-z]{3,}", n)]
    for _ in range(2000):
        w = rnd.choice(words).lower()
        n = rnd.randint(3, min(8, len(w)))
        piece = w[:n]
        if n > 4 and rnd.random() < 1 / 3:
            i = rnd.randrange(n - 1)
            piece = (piece[:i] + piece[i + 1] + piece[i] + piece[i + 2:]
                     if rnd.random() < 0.5 else piece[:i] + piece[i + 1:])
        paths.append("/api/v1/search/shows?q=" + piece)
    return paths_script(work, "search", paths)


def show_names(base):
    names = []
    for page in range(1, 31):
        body = urllib.request.urlopen(base + "/api/v1/shows?per_page=100&page=%d" % page).read()
        names += re.findall(r'"name":"([^"]+)","type"', body.decode())
    return names


def nginx(work, body):
    port = free_port()
    root = os.path.join(work, "nginx")
    os.makedirs(os.path.join(root, "api", "v1"), exist_ok=True)
    with open(os.path.join(root, "api", "v1", "tvshows"), "wb") as f:
        f.write(body)
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon off; master_process off; worker_processes 1; pid %(w)s/nginx.pid;
error_log %(w)s/nginx.err;
events { worker_connections 4096; }
http {
  access_log %(w)s/nginx.access;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:%(p)d;
    root %(r)s;
    location /api/v1/ {
      default_type "application/json; charset=utf-8";
      add_header Content-Encoding gzip;
      add_header Cache-Control "public, max-age=3600";
      add_header Vary "Accept-Encoding, Origin";
      etag on;
    }
  }
}
""" % {"w": work, "p": port, "r": root})
    p = subprocess.Popen(["taskset", "-c", SERVER_CORE, "nginx", "-c", conf, "-p", work],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port, 10):
        raise SystemExit("nginx did not start")
    return p, port


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait(30)


def stall(binary, url, port, work, seconds):
    """/up's latency while the thread's Redis is stopped and other requests
    count their budgets in it (two wrk at once, on the client core)."""
    from servers import RedisServer
    redis = RedisServer().start()
    try:
        srv = serve(binary, url, port, 32, work, 1,
                    {"REDIS_URL": redis.url, "RATE_LIMIT_IP_PER_MIN": "100000000"})
        base = "http://127.0.0.1:%d" % port
        urllib.request.urlopen(base + WARM_PATH).read()
        redis.proc.send_signal(signal.SIGSTOP)
        load = subprocess.Popen(["taskset", "-c", CLIENT_CORE, "wrk", "-t1", "-c4",
                                 "-d%ds" % (seconds + 2), base + WARM_PATH],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            r = measure(srv.pid, base + "/up", 4, seconds)
        finally:
            load.wait()
            redis.proc.send_signal(signal.SIGCONT)
            stop(srv)
        return r
    finally:
        redis.destroy()


def run_backend(binary, backend, url, pg, work, args, distributors, body_out):
    """Every scenario of one backend on one binary: [(scenario, result)]."""
    out = []
    port = free_port()
    srv = serve(binary, url, port, 32, work)
    base = "http://127.0.0.1:%d" % port
    req = urllib.request.Request(base + WARM_PATH, headers={"Accept-Encoding": "gzip"})
    body_out.append(urllib.request.urlopen(req).read())
    if not distributors:
        nets = urllib.request.urlopen(base + "/api/v1/networks").read().decode()
        distributors += [n.replace("&", "%26").replace(" ", "%20")
                         for n in re.findall(r'"([^"]+)"', nets)[1:60] if n.isascii()]
    out.append(("warm, 64 conns", measure(srv.pid, base + WARM_PATH, 64, args.duration)))
    stop(srv)
    lua = cold_script(work, distributors)
    for threads in (args.cold_threads if pg else [1]):
        srv = serve(binary, url, port, 0, work, threads)
        wrk(base + "/", 16, WARMUP_SECONDS, lua)
        out.append(("cold, 16 conns, %d thr" % threads,
                    measure(srv.pid, base + "/", 16, args.duration, lua)))
        if threads == 1:
            # the viewer's cases, on the same server and data
            for name, script in (("tz + filter", tz_script(work)),
                                 ("search", search_script(work, show_names(base)))):
                wrk(base + "/", 16, WARMUP_SECONDS, script)
                out.append(("%s, 16 conns, 1 thr" % name,
                            measure(srv.pid, base + "/", 16, args.duration, script)))
        stop(srv)
    if args.stall:
        out.append(("/up, Redis stopped, 4 conns", stall(binary, url, port, work, args.duration)))
    return out


def ref_database(backend, work, pg):
    """A second database of the same backend, for the reference binary."""
    if backend == "sqlite":
        return "sqlite:%s/bench-ref.db" % work
    pg.psql("CREATE DATABASE bench_ref")
    return pg.url("bench_ref")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--backend", default="both", choices=["sqlite", "postgres", "both"])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--episodes", type=int, default=100000)
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "release", "tvshows"))
    ap.add_argument("--ref-bin",
                    help="a reference binary, run in turn on the same data (imported by itself)")
    ap.add_argument("--stall", action="store_true", help="add the stalled-Redis scenario")
    ap.add_argument("--cold-threads", default="1,4",
                    type=lambda v: [int(x) for x in v.split(",")],
                    help="PostgreSQL: API threads for the cold runs, one run each (all on"
                         " the one core: a thread waiting for PostgreSQL leaves the core to"
                         " another); SQLite runs one, its queries being CPU on the loop thread")
    args = ap.parse_args()
    fake = start_fake(args.episodes)
    work = tempfile.mkdtemp(prefix="tvshows-apibench-")
    bins = [("new", args.bin)] + ([("ref", args.ref_bin)] if args.ref_bin else [])
    results = []  # (backend, scenario, which binary, result)
    try:
        for backend in backends(args.backend):
            url, pg = database(backend, work)
            try:
                urls = {"new": url}
                if args.ref_bin:
                    # the reference reads a database it imported itself: a build
                    # serves at most one schema version ahead of its own
                    urls["ref"] = ref_database(backend, work, pg)
                for which, binary in bins:
                    run_import(binary, urls[which], fake, 2, work)
                if pg:
                    for u in urls.values():
                        pg.psql("VACUUM ANALYZE", u.rsplit("/", 1)[1])
                distributors, bodies = [], []
                # in turn, reference first, so neither always runs on a warmer machine
                for which, binary in reversed(bins):
                    for name, r in run_backend(binary, backend, urls[which], pg, work, args,
                                               distributors, bodies):
                        results.append((backend, name, which, r))
                if backend == "sqlite" or args.backend == "postgres":
                    ng, nport = nginx(work, bodies[-1])
                    r = measure(ng.pid, "http://127.0.0.1:%d%s" % (nport, WARM_PATH), 64,
                                args.duration)
                    results.append(("-", "nginx static, 64 conns", "new", r))
                    ng.send_signal(signal.SIGQUIT)
                    ng.wait(10)
                    print("response: %d bytes gzip" % len(bodies[-1]))
            finally:
                if pg:
                    pg.destroy()
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(results, bool(args.ref_bin))
    return 0


def report(results, with_ref):
    print("%-9s %-29s %4s %10s %9s %9s %9s %8s %6s %s" % (
        "backend", "scenario", "bin", "req/s", "p50 ms", "p99 ms", "CPU us/r", "RSS MB",
        "non2xx", "new/ref req/s, p99, CPU" if with_ref else ""))
    ref = {(b, n): r for b, n, w, r in results if w == "ref"}
    for backend, name, which, r in results:
        ratio = ""
        if which == "new" and (backend, name) in ref:
            o = ref[(backend, name)]
            ratio = "%.2fx  %.2fx  %.2fx" % (r["rps"] / o["rps"], r["p99"] / o["p99"],
                                             r["cpu_us"] / o["cpu_us"])
        print("%-9s %-29s %4s %10.0f %9.3f %9.3f %9.1f %8.1f %6d %s" % (
            backend, name, which, r["rps"], r["p50"], r["p99"], r["cpu_us"], r["rss"],
            r["errors"], ratio))
    new = [(b, n, r) for b, n, w, r in results if w == "new"]
    for backend in ("sqlite", "postgres"):
        cold = [r for b, n, r in new if b == backend and n.startswith("cold") and "1 thr" in n]
        for b, name, r in new:
            if b == backend and cold and (name.startswith("tz") or name.startswith("search")):
                print("%s %s / cold: %.2f" % (backend, name.split(",")[0], r["rps"] / cold[0]["rps"]))
    ngx = [r for b, n, r in new if n.startswith("nginx")]
    for backend, name, r in new:
        if name.startswith("warm") and ngx:
            print("%s warm / nginx: %.2f" % (backend, r["rps"] / ngx[0]["rps"]))


if __name__ == "__main__":
    sys.exit(main())
