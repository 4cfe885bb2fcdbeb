"""Faults: the drill's load through pgfront (50 writers, 150 readers, the
seed's settings) while one part of the lab misbehaves for a while, each
run made by bench/drill (reset, load, action, verification of the
acknowledged writes on the final primary, events); the soak adds the
faults and reads pgfront's log of the run.

Each fault starts 10 s into the load and is undone WINDOW seconds later,
during the load, so that the recovery is measured too."""

import os
import re
import subprocess
import threading
import time

import labsoak
import scenarios
from lab import HOST_IP, LabError


class Fault(scenarios.Scenario):
    window = 20.0
    seconds = 60

    def do(self, ctx):
        raise NotImplementedError

    def undo(self, ctx):
        raise NotImplementedError

    def act(self, ctx):
        self._undone = threading.Event()
        self._timer = None
        desc = self.do(ctx)
        self._timer = threading.Timer(self.window, self._end, args=(ctx,))
        self._timer.start()
        return "%s (for %.0f s)" % (desc, self.window)

    def _end(self, ctx):
        if self._undone.is_set():
            return
        self._undone.set()
        try:
            self.undo(ctx)
            ctx.note("fault undone: " + self.title)
        except (LabError, OSError, subprocess.SubprocessError) as e:
            ctx.note("fault undo FAILED: %s" % e)

    def restore(self, ctx):
        if self._timer is not None:
            self._timer.cancel()
        self._end(ctx)


class ApiFault(Fault):
    """pg1's Patroni API, as both balancers see it, through apistub."""
    mode = ""

    def do(self, ctx):
        labsoak.set_api_mode(self.mode)
        return "pg1's Patroni API (the primary's) " + self.what

    def undo(self, ctx):
        labsoak.set_api_mode("pass")


class ApiSilent(ApiFault):
    key, mode = "api-silent", "silent"
    title = "Patroni API accepts and never answers (the primary's)"
    what = "accepts and never answers"


class ApiGarbage(ApiFault):
    key, mode = "api-garbage", "garbage"
    title = "Patroni API answers garbage (the primary's)"
    what = "answers 4 KiB of random bytes"


class ApiBig(ApiFault):
    key, mode = "api-big", "big"
    title = "Patroni API answers with a 1 MB body (the primary's)"
    what = "answers its real status with a 1 MiB JSON body"


def host_procs(lab, host):
    """[(pid, comm, cmdline)] of the processes in HOST's network namespace."""
    p = subprocess.run(["ip", "netns", "pids", lab.prefix + host], stdout=subprocess.PIPE,
                       text=True)
    out = []
    for pid in p.stdout.split():
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
            with open("/proc/%s/cmdline" % pid) as f:
                cmd = f.read().replace("\0", " ").strip()
        except OSError:
            continue
        out.append((int(pid), comm, cmd))
    return out


def parent(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def signal(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except OSError:
            pass


class PgSilent(Fault):
    """A replica's postmaster stopped (SIGSTOP): the kernel still completes
    every TCP handshake on :5432 and nobody answers the startup packet. The
    readers' sessions on that replica are ended first (SIGTERM to their
    backends, as pg_terminate_backend does), so that they connect again
    and half of them meet the silent port."""
    key = "pg-silent"
    title = "PostgreSQL port accepts and never answers (a replica's)"
    node = "pg2"

    def do(self, ctx):
        procs = host_procs(ctx.lab, self.node)
        pg = {p for p, c, _ in procs if c == "postgres"}
        # The postmaster: the one postgres process whose parent is not one.
        self._postmaster = [p for p in pg if parent(p) not in pg]
        if len(self._postmaster) != 1:
            raise LabError("no single postmaster on %s: %s" % (self.node, self._postmaster))
        signal(self._postmaster, 19)          # SIGSTOP
        lbs = (HOST_IP["lb1"], HOST_IP["lb2"])
        clients = [p for p, c, cmd in procs
                   if c == "postgres" and any(" %s(" % ip in cmd for ip in lbs)]
        signal(clients, 15)
        return "SIGSTOP the postmaster of %s (a replica), its %d client sessions ended" % (
            self.node, len(clients))

    def undo(self, ctx):
        signal(getattr(self, "_postmaster", []), 18)          # SIGCONT


class EtcdStop(Fault):
    key = "etcd-stop"
    title = "etcd stopped (all three members)"
    window = 30.0
    # Patroni demotes its primary when it cannot reach etcd, and once etcd
    # is back the members race for the lock again: that takes a while.
    seconds = 150

    def do(self, ctx):
        # At once, not through scripts/lab (seconds per call on a busy
        # machine): the three members go together.
        pids = [p for h in ("pg1", "pg2", "pg3") for p, c, _ in host_procs(ctx.lab, h)
                if c == "etcd"]
        signal(pids, 15)
        return "SIGTERM etcd on pg1, pg2 and pg3 (%d processes)" % len(pids)

    def undo(self, ctx):
        for h in ("pg1", "pg2", "pg3"):
            ctx.lab.run("start-etcd", h, quiet=True)


class LinkCut(Fault):
    key = "link-cut"
    title = "the primary's link cut (ip link set eth0 down on pg1)"
    window = 40.0
    seconds = 120
    node = "pg1"

    def do(self, ctx):
        subprocess.run(["ip", "-n", ctx.lab.prefix + self.node, "link", "set", "eth0", "down"],
                       check=True)
        return "eth0 of %s (the primary) down" % self.node

    def undo(self, ctx):
        subprocess.run(["ip", "-n", ctx.lab.prefix + self.node, "link", "set", "eth0", "up"],
                       check=True)


ALL = [ApiSilent(), ApiGarbage(), ApiBig(), PgSilent(), EtcdStop(), LinkCut()]
BY_KEY = {f.key: f for f in ALL}

# pgfront's per-session line at log_level = info: not what a fault is about.
SESSION_LINE = re.compile(r" -> .*: .* after [0-9.]+ s, [0-9]+ bytes in, [0-9]+ bytes out")
STAMP = re.compile(r"^\S+ (\S+) pgfront\[(\w+)\]: ")


def relevant_lines(text, limit=14):
    """pgfront's log of a run without its per-session lines, repeated
    messages folded: [(first time, level, message, count)]."""
    seen = {}
    order = []
    for line in text.splitlines():
        if SESSION_LINE.search(line):
            continue
        m = STAMP.match(line)
        t, level = (m.group(1), m.group(2)) if m else ("", "")
        msg = line[m.end():] if m else line
        key = re.sub(r"[0-9]+(\.[0-9]+)?", "N", msg)
        if key in seen:
            seen[key][3] += 1
            continue
        seen[key] = [t, level, msg, 1]
        order.append(key)
    return [tuple(seen[k]) for k in order[:limit]], max(0, len(order) - limit)


def session_ends(text):
    """How the per-session lines say the sessions ended: {reason: count}."""
    out = {}
    for line in text.splitlines():
        m = re.search(r": (.*) after [0-9.]+ s, [0-9]+ bytes in", line)
        if m and SESSION_LINE.search(line):
            why = m.group(1).split(": ")[-1]
            out[why] = out.get(why, 0) + 1
    return out


def pgfront_logs(out, name):
    d = os.path.join(out, name + ".logs")
    texts = {}
    for lb in ("lb1", "lb2"):
        try:
            with open(os.path.join(d, "%s-pgfront.log" % lb)) as f:
                texts[lb] = f.read()
        except OSError:
            texts[lb] = ""
    return texts


def with_logs(r, out, sc):
    """A drill run's result with what pgfront logged in it."""
    logs = pgfront_logs(out, r["name"])
    r["pgfront_lines"] = {lb: relevant_lines(t) for lb, t in logs.items()}
    r["session_ends"] = {lb: session_ends(t) for lb, t in logs.items()}
    r["window_s"] = sc.window
    return r


def run(lab, args, pgload, keys, runs=1):
    """Every fault of KEYS through pgfront, RUNS times; the drill's results
    with pgfront's log lines added."""
    import drill
    drill.use_mode = lambda lab, mode: None      # the soak's balancers stay
    results = []
    labsoak.start_apistub(lab)
    labsoak.install_conf(lab, sessions=False)
    try:
        for n in range(1, runs + 1):
            for k in keys:
                sc = BY_KEY[k]
                r = drill.run_one(lab, "pgfront", sc, args, pgload, n)
                results.append(with_logs(r, args.results, sc))
                time.sleep(1)
    finally:
        labsoak.set_api_mode("pass")
        labsoak.restore_conf(lab)
        labsoak.stop_apistub()
    return results
