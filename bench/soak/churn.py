"""Churn: N short sessions through pgfront's write port (connect, startup,
one query, Terminate), pgfront's RSS and descriptors sampled before, after
each slice and after the last; they must come back to where they started.

Runs inside a network namespace of its own (soak.py makes it): loopback
only, pgfront on 127.0.0.62:5432 with one server, bench/soak/pgstub on
127.0.0.61:6432 (PostgreSQL logs in a few hundred clients a second here:
a million would take an hour), a Patroni stand-in on 127.0.0.61:8008
(tests/integration/helpers/stubs.py) that calls it the primary.

    churn.py --sessions N --clients C --out DIR     (writes DIR/churn.json)
"""

import argparse
import json
import os
import subprocess
import sys
import time

import procstat

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from helpers.stubs import PatroniStub  # noqa: E402

NODE, FRONT = "127.0.0.61", "127.0.0.62"
CONNINFO = "host=%s port=5432 user=postgres dbname=postgres connect_timeout=10" % FRONT

PGFRONT_INI = """; written by bench/soak/churn.py
[global]
maxconn = 10000
log_level = notice

[defaults]
inter = 1s
timeout_check = 2s
check_port = 8008

[server stub]
address = %s:6432

[listen churn]
bind = %s:5432
balance = single
check = HEAD /primary
""" % (NODE, FRONT)


def say(msg):
    print("soak: churn: " + msg, flush=True)


def sysctls():
    # A million connections from one address: ports are reused from
    # TIME_WAIT (tcp_tw_reuse, loopback by default) over the whole range.
    for k, v in (("net.ipv4.ip_local_port_range", "1024 65535"),
                 ("net.ipv4.tcp_tw_reuse", "1")):
        subprocess.run(["sysctl", "-q", "-w", "%s=%s" % (k, v)], check=True)


def wait_serving(pgload, out, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        p = subprocess.run([pgload, "-W", "1", "--no-setup", "--no-verify", "-q", "-d", "0.3",
                            "--connect-timeout", "500", "-w", CONNINFO, "-j",
                            os.path.join(out, "probe.json")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if p.returncode == 0:
            with open(os.path.join(out, "probe.json")) as f:
                if json.load(f)["write"]["transactions_ok"] > 0:
                    return True
        time.sleep(0.5)
    return False


def run_slice(pgload, clients, seconds, path):
    subprocess.run([pgload, "-W", str(clients // 2), "-R", str(clients - clients // 2),
                    "--reconnect", "--no-setup", "--no-verify", "-q", "-d", str(seconds),
                    "--backoff", "10", "-w", CONNINFO, "-j", path, "--label", "churn"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    with open(path) as f:
        rep = json.load(f)
    ok = fail = 0
    errors = {}
    for role in ("write", "read"):
        r = rep.get(role) or {}
        ok += r.get("transactions_ok", 0)
        fail += r.get("failed_transactions", 0) + r.get("connect_failures", 0)
        for k, v in (r.get("errors") or {}).items():
            errors[k] = errors.get(k, 0) + v
    return ok, fail, {k: v for k, v in errors.items() if v}, rep["duration_s"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--slice", type=float, default=30.0, help="seconds of one pgload run")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    pgload = os.path.join(ROOT, "bench", "pgload", "pgload")
    pgstub = os.path.join(ROOT, "bench", "soak", "pgstub")
    pgfront = os.environ.get("PGFRONT") or os.path.join(ROOT, "pgfront")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    sysctls()
    ini = os.path.join(a.out, "churn-pgfront.ini")
    with open(ini, "w") as f:
        f.write(PGFRONT_INI)
    procs = []
    api = PatroniStub(NODE, role="primary")
    result = {"sessions_target": a.sessions, "clients": a.clients, "backend": "pgstub"}
    try:
        with open(os.path.join(a.out, "churn-pgstub.log"), "w") as log:
            procs.append(subprocess.Popen([pgstub, "-v", "%s:6432" % NODE], stdout=log,
                                          stderr=subprocess.STDOUT))
        with open(os.path.join(a.out, "churn-pgfront.log"), "w") as log:
            front = subprocess.Popen([pgfront, "-f", ini], stdout=log, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, TZ="UTC"))
        procs.append(front)
        if not wait_serving(pgload, a.out):
            raise SystemExit("soak: churn: pgfront does not serve through %s:5432" % FRONT)
        time.sleep(2)
        before = procstat.sample(front.pid)
        sampler = procstat.Sampler(front.pid, 1.0).start()
        t0 = time.time()
        done = failed = 0
        errors = {}
        slices = []
        n = 0
        while done < a.sessions:
            n += 1
            ok, fail, errs, dur = run_slice(pgload, a.clients, a.slice,
                                            os.path.join(a.out, "churn-slice.json"))
            done += ok
            failed += fail
            for k, v in errs.items():
                errors[k] = errors.get(k, 0) + v
            time.sleep(1)            # the last sessions' ends reach pgfront
            s = procstat.sample(front.pid)
            slices.append({"slice": n, "sessions": done, "rate": ok / dur if dur else 0,
                           "rss_kib": s and s["rss_kib"], "fds": s and s["fds"]})
            say("%d sessions (%d failed), %.0f/s; pgfront RSS %s KiB, %s descriptors"
                % (done, failed, ok / dur if dur else 0, s and s["rss_kib"], s and s["fds"]))
            if front.poll() is not None:
                break
        seconds = time.time() - t0
        time.sleep(2)
        after = procstat.sample(front.pid)
        samples = sampler.stop()
        result.update({"sessions": done, "failed": failed, "errors": errors,
                       "seconds": seconds, "rate": done / seconds if seconds else 0,
                       "slices": slices, "pgfront_alive": front.poll() is None,
                       "pgfront_exit": front.returncode,
                       "stat": procstat.summary(before, after, samples)})
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.terminate()
        for pr in procs:
            try:
                pr.wait(10)
            except subprocess.TimeoutExpired:
                pr.kill()
        api.stop()
    with open(os.path.join(a.out, "churn-pgfront.log")) as f:
        lines = f.read().splitlines()
    result["pgfront_log_lines"] = len(lines)
    result["suspect_lines"] = sum(1 for line in lines if "it closed a session" in line)
    result["pgfront_log_sample"] = lines[:20]
    with open(os.path.join(a.out, "churn.json"), "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
