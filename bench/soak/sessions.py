"""Sessions: N clients held through pgfront's write port (the VIP, :6432)
while Patroni switches over, in the lab; what the clients saw, and
pgfront's RSS and descriptors on lb1 before, at the peak and after.

The servers behind the soak's listener are bench/soak/pgstub on pg1..pg3
(:6432), not PostgreSQL (10,000 backends on 2 cores, and two descriptors a
session past pgfront's hard limit, are out of reach); their health is the
real Patroni's (`HEAD /primary` on :8008), so the switchover is Patroni's.
pgfront may hold 9900 sessions per server (the descriptors' hard limit is
20000 and cannot be raised here); clients past that wait in its queue.
The clients: bench/pgload on cli, one INSERT per client every 10 s."""

import json
import os
import time

import faults
import labsoak
import procstat
from labsoak import SESSIONS_PORT, say
from lab import HOST_NAME, VIP

import drill


def listener(st, name):
    for l in (st or {}).get("listeners", []):
        if l["name"] == name:
            return l
    return None


def wait_ramp(lab, clients, timeout):
    """Until pgfront on lb1 holds every client: its listener's sessions
    count them all, those waiting in its queue included."""
    deadline = time.time() + timeout
    seen = None
    while time.time() < deadline:
        l = listener(labsoak.stats(lab, "lb1"), "soak_write")
        if l:
            seen = (l["sessions"], l["queue"])
            if l["sessions"] >= clients:
                return seen, True
        time.sleep(2)
    return seen, False


def run(lab, pgload, out, clients, seconds, ramp_timeout):
    name = "sessions"
    drill.reset(lab)
    labsoak.start_pgstubs(lab)
    labsoak.start_apistub(lab)
    labsoak.install_conf(lab, sessions=True)
    labsoak.sysctls(lab)
    drill.reset(lab)
    pid = labsoak.pgfront_pid(lab, "lb1")
    offsets = lab.log_offsets()
    time.sleep(2)
    before = procstat.sample(pid)
    sampler = procstat.Sampler(pid, 1.0).start()
    jpath = os.path.join(out, name + ".pgload.json")
    cmd = [pgload, "-W", str(clients), "--no-setup", "--no-verify", "-q",
           "-d", str(seconds), "--think", "10000", "--connect-timeout", "600000",
           "--query-timeout", "30000", "--backoff", "100", "--label", "soak sessions",
           "-w", "host=%s port=%d user=postgres dbname=testdb" % (VIP, SESSIONS_PORT),
           "-j", jpath]
    res = {"clients": clients, "seconds": seconds, "pgfront_pid": pid}
    with open(os.path.join(out, name + ".pgload.log"), "w") as logf:
        proc = lab.popen("exec", "cli", *cmd, stdout=logf)
        t0 = time.time()
        held, ok = wait_ramp(lab, clients, ramp_timeout)
        res["ramp_s"] = time.time() - t0
        res["ramp_complete"] = ok
        res["held_before"] = held
        at_switch = procstat.sample(pid)
        leader = lab.leader()
        target = "pg2" if leader != "pg2" else "pg3"
        say("sessions: %s held after %.0f s; switchover %s -> %s"
            % (held, res["ramp_s"], leader, target))
        action_t = time.time()
        lab.run("patronictl", "switchover", "--leader", HOST_NAME[leader],
                "--candidate", HOST_NAME[target], "--force", quiet=True)
        res["switchover"] = "%s -> %s" % (HOST_NAME[leader], HOST_NAME[target])
        res["action_s"] = action_t - t0
        time.sleep(5)
        res["held_after"], res["reheld"] = wait_ramp(lab, clients,
                                                     max(10, t0 + seconds - time.time() - 5))
        res["reheld_s"] = time.time() - action_t
        proc.wait(seconds + 300)
    time.sleep(3)
    after = procstat.sample(pid)
    samples = sampler.stop()
    res["stat"] = procstat.summary(before, after, samples)
    res["at_switch"] = at_switch
    res["samples"] = samples
    st = labsoak.stats(lab, "lb1")
    res["listener_after"] = listener(st, "soak_write")
    res["pgfront_alive"] = labsoak.pgfront_pid(lab, "lb1") == pid
    with open(jpath) as f:
        res["load"] = json.load(f)
    text = lab.log_since(offsets).get(("lb1", "pgfront"), "")
    with open(os.path.join(out, name + ".lb1-pgfront.log"), "w") as f:
        f.write(text)
    res["pgfront_lines"] = faults.relevant_lines(text, 14)
    res["session_ends"] = faults.session_ends(text)
    labsoak.stop_pgstubs()
    labsoak.restore_conf(lab)
    return res
