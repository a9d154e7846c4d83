"""Throwaway PostgreSQL and Redis servers for the tests, on loopback ports.

PostgreSQL refuses to run as root, so when the tests run as root the
cluster belongs to the `postgres` system user (created by Debian's
postgresql package) and its commands run through runuser.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_next_port = None


def free_port():
    """A loopback port nobody listens on. The SQLite and PostgreSQL suites
    run at once (scripts/test): a port the kernel picks (bind to 0) is free
    again the moment it is returned, and the other suite's next pick could
    be that very port before this one's server binds it. So each backend
    takes ports from its own half of the range below the kernel's ephemeral
    ports (which outgoing connections use), in turn, never the same twice
    in a process until the half is used up."""
    global _next_port
    top = _ephemeral_low()
    bottom = 10000
    half = (top - bottom) // 2
    lo = bottom + (half if os.environ.get("TVSHOWS_TEST_BACKEND") == "postgres" else 0)
    if _next_port is None:
        _next_port = os.getpid() % half
    for _ in range(half):
        port = lo + _next_port
        _next_port = (_next_port + 1) % half
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in %d..%d" % (lo, lo + half - 1))


def wait_port(port, timeout=30.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not dirs:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return dirs[-1]


class PgServer:
    """A PostgreSQL cluster in a temporary directory, trust auth on 127.0.0.1."""

    def __init__(self, base=None, port=None, datadir=None, replica_of=None, durable=False):
        self.bindir = pg_bindir()
        self.root = base or tempfile.mkdtemp(prefix="tvshows-pg-")
        self.datadir = datadir or os.path.join(self.root, "data")
        self.port = port or free_port()
        self.as_root = os.geteuid() == 0
        self.logfile = os.path.join(self.root, "postgres.log")
        self.running = False
        self.durable = durable  # fsync as in production (benchmarks); tests go without
        os.makedirs(self.root, exist_ok=True)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        if replica_of is None:
            self._initdb()
        else:
            self._basebackup(replica_of)

    def _run(self, argv, **kw):
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, cwd="/tmp", **kw)

    def _initdb(self):
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-A", "trust",
                   "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        with open(os.path.join(self.datadir, "postgresql.auto.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\n"
                    "unix_socket_directories = '%s'\n"
                    "max_connections = 300\nwal_level = replica\nmax_wal_senders = 5\n"
                    "shared_buffers = 128MB\n" % self.root)
            if not self.durable:
                f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        with open(os.path.join(self.datadir, "pg_hba.conf"), "a") as f:
            f.write("host replication all 127.0.0.1/32 trust\n")

    def _basebackup(self, primary):
        self._run([os.path.join(self.bindir, "pg_basebackup"), "-h", "127.0.0.1",
                   "-p", str(primary.port), "-U", "postgres", "-D", self.datadir, "-R",
                   "--checkpoint=fast",
                   "-X", "stream"])
        with open(os.path.join(self.datadir, "postgresql.auto.conf"), "a") as f:
            f.write("port = %d\nunix_socket_directories = '%s'\n" % (self.port, self.root))

    def start(self):
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-l", self.logfile,
                   "-o", "-p %d -k %s" % (self.port, self.root), "-w", "-t", "60", "start"])
        self.running = True
        return self

    def stop(self, mode="fast"):
        if self.running:
            self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", mode,
                       "-w", "stop"])
            self.running = False

    def destroy(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname="postgres"):
        return "postgres://postgres@127.0.0.1:%d/%s" % (self.port, dbname)

    def psql(self, sql, dbname="postgres"):
        out = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t",
                              "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
                              "-U", "postgres", "-d", dbname, "-c", sql],
                             check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        return out.stdout.strip()


class ExternalPg:
    """A server somebody else runs (CI service containers): TVSHOWS_TEST_PG_URL."""

    def __init__(self, url):
        self.base_url = url.rstrip("/")
        head, _, _ = self.base_url.rpartition("/")
        self.prefix = head
        self.running = True

    def url(self, dbname="postgres"):
        return "%s/%s" % (self.prefix, dbname)

    def psql(self, sql, dbname="postgres"):
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              self.url(dbname), "-c", sql],
                             check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        return out.stdout.strip()

    def destroy(self):
        pass


class RedisServer:
    """redis-server on a free loopback port, no persistence."""

    def __init__(self, base=None, port=None, persist=False):
        self.root = base or tempfile.mkdtemp(prefix="tvshows-redis-")
        self.port = port or free_port()
        self.persist = persist  # an append-only file, so a restart keeps the data
        self.proc = None

    def start(self):
        aof = ["--appendonly", "yes", "--appendfsync", "always"] if self.persist else \
            ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--dir", self.root] + aof,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            raise RuntimeError("redis-server did not start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.proc = None

    def destroy(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port
