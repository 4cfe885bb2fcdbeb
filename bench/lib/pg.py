"""The plain PostgreSQL 15 the benchmark runs against (no Patroni: the
benchmark measures the proxies, not failover)."""

import os
import shutil
import subprocess

from . import DBNAME, PG_HOST, PG_PORT, REPLICA_HOSTS, RUN_DIR

PG_BIN = "/usr/lib/postgresql/15/bin"

# Settings that keep PostgreSQL from being what is measured: the data fits
# in memory, and commits do not wait for the disk (synchronous_commit=off),
# so TPC-B is bounded by CPU, as the proxies are.
SETTINGS = {
    "max_connections": 300,
    "shared_buffers": "512MB",
    "synchronous_commit": "off",
    "checkpoint_timeout": "30min",
    "max_wal_size": "4GB",
    "log_min_messages": "warning",
}


class Postgres:
    def __init__(self):
        self.base = os.path.join(RUN_DIR, "pg")
        self.data = os.path.join(self.base, "data")
        self.sock = os.path.join(self.base, "sock")
        self.log = os.path.join(self.base, "postgres.log")

    def _pg(self, *cmd, timeout=120, check=True):
        return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=check,
                              capture_output=True, text=True, timeout=timeout)

    def init(self):
        """initdb once; later runs reuse the data (and its tables)."""
        if os.path.exists(os.path.join(self.data, "PG_VERSION")):
            return
        os.makedirs(self.sock, exist_ok=True)
        for d in (RUN_DIR, self.base, self.sock):
            shutil.chown(d, "postgres")
        self._pg(PG_BIN + "/initdb", "-D", self.data, "-A", "trust", "-U", "postgres")
        with open(os.path.join(self.data, "pg_hba.conf"), "a") as f:
            f.write("host all all 127.0.0.0/8 trust\n")

    def start(self):
        if self.running():
            self.stop()
        opts = ["-c", "listen_addresses=%s" % ",".join((PG_HOST,) + REPLICA_HOSTS),
                "-c", "port=%d" % PG_PORT, "-c", "unix_socket_directories=%s" % self.sock]
        for k, v in SETTINGS.items():
            opts += ["-c", "%s=%s" % (k, v)]
        self._pg(PG_BIN + "/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "120",
                 "-o", " ".join(opts), "start")

    def running(self):
        return self._pg(PG_BIN + "/pg_ctl", "-D", self.data, "status",
                        check=False).returncode == 0

    def stop(self):
        self._pg(PG_BIN + "/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)

    def psql(self, sql, db=DBNAME, timeout=600):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", PG_HOST,
                            "-p", str(PG_PORT), "-U", "postgres", "-d", db, "-c", sql],
                           capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("psql %r: %s" % (sql[:60], p.stderr.strip()))
        return p.stdout.strip()

    def prepare(self, copy_mb, log):
        """The pgbench tables (scale 10) and bench_bulk, a table whose COPY
        text is about COPY_MB megabytes; each made only when missing."""
        if self.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % DBNAME,
                     db="postgres") != "1":
            self.psql("CREATE DATABASE %s" % DBNAME, db="postgres")
        if self.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'pgbench_branches'") != "1" \
                or self.psql("SELECT count(*) FROM pgbench_branches") != "10":
            log("pgbench -i -s 10 (once)")
            subprocess.run(["pgbench", "-i", "-q", "-s", "10", "-h", PG_HOST, "-p",
                            str(PG_PORT), "-U", "postgres", DBNAME],
                           check=True, capture_output=True, timeout=600)
        rows = copy_mb * 1000          # about 1000 bytes of COPY text per row
        have = self.psql("SELECT obj_description(to_regclass('bench_bulk'), 'pg_class')")
        if have != "rows=%d" % rows:
            log("creating bench_bulk: %d rows, ~%d MB (once per size)" % (rows, copy_mb))
            # Rows under 2 kB are stored inline and uncompressed: COPY reads
            # and writes every byte.
            self.psql("DROP TABLE IF EXISTS bench_bulk;"
                      "CREATE UNLOGGED TABLE bench_bulk (id integer, payload text);"
                      "INSERT INTO bench_bulk SELECT g, repeat(md5(g::text), 31)"
                      " FROM generate_series(1, %d) g;"
                      "COMMENT ON TABLE bench_bulk IS 'rows=%d'" % (rows, rows))
        self.psql("VACUUM ANALYZE")
