"""The drill's handle on the lab: scripts/lab commands, the log files, and a
watcher that polls which balancer holds the VIP."""

import os
import subprocess
import threading
import time

LAB_HOSTS = ("pg1", "pg2", "pg3", "lb1", "lb2", "cli")
PG_HOSTS = ("pg1", "pg2", "pg3")
LB_HOSTS = ("lb1", "lb2")
HOST_IP = {"pg1": "198.18.145.201", "pg2": "198.18.145.202", "pg3": "198.18.145.203",
           "lb1": "198.18.145.204", "lb2": "198.18.145.205", "cli": "198.18.145.206"}
HOST_NAME = {"pg1": "ubn-pgsql-1", "pg2": "ubn-pgsql-2", "pg3": "ubn-pgsql-3",
             "lb1": "ubn-haprx-1", "lb2": "ubn-haprx-2", "cli": "ubn-cli-1"}
VIP = "198.18.145.222"
WRITE_PORT, READ_PORT = 5432, 5433


class LabError(Exception):
    pass


class Lab:
    def __init__(self, root, run_dir=None, env=None):
        self.root = root
        self.script = os.path.join(root, "scripts", "lab")
        self.env = dict(os.environ if env is None else env)
        self.dir = run_dir or self.env.get("PGFRONT_LAB_DIR", "/var/tmp/pgfront-lab")
        self.env["PGFRONT_LAB_DIR"] = self.dir
        self.prefix = self.env.get("PGFRONT_LAB_PREFIX", "pgflab-")

    # -- scripts/lab ----------------------------------------------------
    def run(self, *args, check=True, timeout=600, quiet=False):
        p = subprocess.run([self.script, *args], env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise LabError("scripts/lab %s failed (exit %d):\n%s"
                           % (" ".join(args), p.returncode, p.stdout[-3000:]))
        if not quiet and p.stdout.strip():
            for line in p.stdout.rstrip().splitlines():
                print("    " + line, flush=True)
        return p

    def popen(self, *args, stdout=None):
        """scripts/lab ARGS in the background (e.g. exec cli pgload ...)."""
        return subprocess.Popen([self.script, *args], env=self.env, stdin=subprocess.DEVNULL,
                                stdout=stdout, stderr=subprocess.STDOUT, text=True)

    def up(self, balancer):
        self.run("up", "--balancer", balancer, timeout=900)

    def down(self):
        self.run("down", timeout=300)

    def balancer(self):
        return self.run("balancer", quiet=True).stdout.strip()

    def leader(self):
        """pg1..pg3, or None when no member holds the leader key."""
        p = self.run("leader", check=False, quiet=True)
        name = p.stdout.strip()
        return name if p.returncode == 0 and name in PG_HOSTS else None

    def wait(self, seconds=300):
        self.run("wait", str(seconds), timeout=seconds + 60, quiet=True)

    def psql(self, host, port, sql, check=False):
        """Rows of SQL through HOST:PORT from cli, as lines; None on error."""
        p = subprocess.run([self.script, "exec", "cli", "env", "-i", "PATH=/usr/bin:/bin",
                            "PGPASSWORD=postgres", "PGCONNECT_TIMEOUT=3", "psql", "-X", "-q",
                            "-At", "-h", host, "-p", str(port), "-U", "postgres", "-d",
                            "testdb", "-c", sql],
                           env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=30)
        if p.returncode != 0:
            if check:
                raise LabError("psql %s:%s failed: %s" % (host, port, p.stderr.strip()))
            return None
        return p.stdout.splitlines()

    def vip_holders(self):
        return vip_holders(self.prefix)

    def pgfront_has_vrrp(self):
        return not os.path.exists(os.path.join(self.dir, "vip-by-hand"))

    # -- logs -----------------------------------------------------------
    def log_files(self):
        """(host, source, path) of every log the drill reads events from."""
        out = []
        for h in LB_HOSTS:
            for source in ("pgfront", "haproxy", "keepalived"):
                out.append((h, source, os.path.join(self.dir, h, source + ".log")))
        for h in PG_HOSTS:
            out.append((h, "patroni", os.path.join(self.dir, h, "patroni.log")))
        return out

    def log_offsets(self):
        offsets = {}
        for _, _, path in self.log_files():
            try:
                offsets[path] = os.path.getsize(path)
            except OSError:
                offsets[path] = 0
        return offsets

    def log_since(self, offsets):
        """{(host, source): text written since OFFSETS}."""
        out = {}
        for host, source, path in self.log_files():
            try:
                with open(path, "rb") as f:
                    f.seek(offsets.get(path, 0))
                    out[(host, source)] = f.read().decode("utf-8", "replace")
            except OSError:
                continue
        return out


def vip_holders(prefix):
    """The balancers whose eth0 has the VIP, as a tuple (normally one)."""
    held = []
    for h in LB_HOSTS:
        p = subprocess.run(["ip", "-n", prefix + h, "-4", "-o", "addr", "show", "dev", "eth0"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        if " %s/" % VIP in p.stdout:
            held.append(h)
    return tuple(held)


class VipWatcher:
    """Polls vip_holders() every INTERVAL seconds in a thread; samples are
    (time, holders) pairs."""

    def __init__(self, prefix, interval=0.1):
        self.prefix = prefix
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            holders = vip_holders(self.prefix)
            self.samples.append((time.time(), holders))
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self.samples


class VipMonitor:
    """`ip -ts monitor address` on each balancer while the load runs: the
    exact time the kernel added or removed the VIP (the poll's resolution is
    0.1 s, and worse on a busy machine).  Output goes to DIR/LB-ipmonitor.log."""

    def __init__(self, prefix, out_dir):
        self.prefix = prefix
        self.paths = {h: os.path.join(out_dir, "%s-ipmonitor.log" % h) for h in LB_HOSTS}
        self.procs = []

    def start(self):
        os.makedirs(os.path.dirname(self.paths["lb1"]), exist_ok=True)
        env = dict(os.environ, TZ="UTC")
        for h, path in self.paths.items():
            with open(path, "w") as f:
                self.procs.append(subprocess.Popen(
                    ["ip", "-n", self.prefix + h, "-ts", "monitor", "address"], env=env,
                    stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT))
        return self

    def stop(self):
        """{lb: the monitor's output}."""
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        out = {}
        for h, path in self.paths.items():
            with open(path) as f:
                out[h] = f.read()
        return out

