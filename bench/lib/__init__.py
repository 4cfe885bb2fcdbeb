"""bench/run's pieces: the PostgreSQL it starts, the Patroni stand-ins, the
proxies under test, the rows it measures and the report it writes.

Addresses (loopback only, 127.0.0.51-55):
  127.0.0.51  PostgreSQL :5432 and the primary's Patroni stand-in :8008
  127.0.0.52  pgfront (write :5432, read :5433, idle-row listener :6000)
  127.0.0.53  HAProxy (the same ports, stats :5000)
  127.0.0.54, 127.0.0.55  the two "replicas": PostgreSQL listens there too,
              their stand-ins answer 200 to /replica and 503 to /primary
"""
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_DIR = "/var/tmp/pgfront-bench"
# The pgfront under test: this tree's, or another build (BENCH_PGFRONT).
PGFRONT_BIN = os.environ.get("BENCH_PGFRONT") or os.path.join(REPO, "pgfront")

PG_HOST = "127.0.0.51"
PGFRONT_HOST = "127.0.0.52"
HAPROXY_HOST = "127.0.0.53"
REPLICA_HOSTS = ("127.0.0.54", "127.0.0.55")
PG_PORT = 5432
READ_PORT = 5433
STATS_PORT = 5000
IDLE_PORT = 6000          # the proxies' listener in front of the plain TCP server
IDLE_SERVER_PORT = 6000   # the plain TCP server on PG_HOST
REST_PORT = 8008
DBNAME = "bench"
