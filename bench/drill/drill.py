"""scripts/drill: the seed's failover scenarios against pgfront, against
HAProxy + keepalived and with no balancer at all (direct: libpq's multi-host
connection strings), in the lab (scripts/lab), under the seed's load (50
writers on VIP:5432, 150 readers on VIP:5433, bench/pgload on cli), each
several times.  Writes a markdown report, an SVG timeline per run and the
raw data to a results dir, and prints the acceptance table."""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time

import events as ev
import load
import report
import scenarios
import svg
from lab import HOST_IP, HOST_NAME, LB_HOSTS, PG_HOSTS, READ_PORT, VIP, WRITE_PORT, \
    Lab, LabError, VipMonitor, VipWatcher

LEAD_IN = 10.0          # seconds of steady load before the action
MODES = ("pgfront", "haproxy", "direct")


def say(msg):
    print("drill: " + msg, flush=True)


def parse_args(argv, root):
    p = argparse.ArgumentParser(prog="scripts/drill", description=__doc__.split("\n\n")[0])
    p.add_argument("--balancers", default=",".join(MODES),
                   help="comma-separated modes: pgfront, haproxy (HAProxy + keepalived), "
                   "direct (no balancer: the clients connect to the three nodes with "
                   "target_session_attrs); default all three, in that order")
    p.add_argument("--scenarios", default=",".join(s.key for s in scenarios.ALL),
                   help="comma-separated, of: %s (default all)"
                   % ", ".join(s.key for s in scenarios.ALL))
    p.add_argument("--seconds", type=int, default=0,
                   help="length of each run's load (default per scenario: 60, kill 90)")
    p.add_argument("--runs", type=int, default=3,
                   help="runs of each (scenario, mode); the modes take turns within each "
                   "repetition (default 3)")
    p.add_argument("--writers", type=int, default=50)
    p.add_argument("--readers", type=int, default=150)
    p.add_argument("--think", type=int, default=int(os.environ.get("DRILL_THINK_MS", 100)),
                   help="ms each client pauses between transactions (default 100; 0 = "
                   "as fast as the machine goes; scenario switchover-fast always uses 0)")
    p.add_argument("--results", default=None,
                   help="results dir (default bench/drill/results/UTC-STAMP)")
    p.add_argument("--report", metavar="DIR",
                   help="no drill: write DIR's report.md and SVGs again from its results.json")
    p.add_argument("--keep-lab", action="store_true",
                   help="leave the lab up at the end (default: down, if the drill brought it up)")
    a = p.parse_args(argv)
    a.balancers = [b for b in a.balancers.split(",") if b]
    a.scenarios = [s for s in a.scenarios.split(",") if s]
    for b in a.balancers:
        if b not in MODES:
            p.error("unknown balancer %r" % b)
    if len(set(a.balancers)) != len(a.balancers) or not a.balancers:
        p.error("--balancers: each mode once")
    if a.runs < 1:
        p.error("--runs must be at least 1")
    for s in a.scenarios:
        if s not in scenarios.BY_KEY:
            p.error("unknown scenario %r" % s)
    if a.seconds and a.seconds < LEAD_IN + 10:
        p.error("--seconds must be at least %d" % (LEAD_IN + 10))
    if a.results is None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
        a.results = os.path.join(root, "bench", "drill", "results", stamp)
    # pgload writes its files from the lab's cli host, whose working directory is /
    a.results = os.path.abspath(a.results)
    return a


# --- getting the lab into the same state before every run ------------------

def probe(lab, lb_ip, leader):
    """Through balancer LB_IP: writes reach LEADER and reads both replicas."""
    w = lab.psql(lb_ip, WRITE_PORT, "SELECT host(inet_server_addr())")
    if w != [HOST_IP[leader]]:
        return "writes via %s reach %s, not %s" % (lb_ip, w, HOST_IP[leader])
    want = {HOST_IP[h] for h in PG_HOSTS if h != leader}
    seen = set()
    for _ in range(8):
        r = lab.psql(lb_ip, READ_PORT, "SELECT host(inet_server_addr())")
        if r:
            seen.add(r[0])
        if seen == want:
            return None
    return "reads via %s reach %s, not %s" % (lb_ip, sorted(seen), sorted(want))


def reset(lab, timeout=300):
    """Healthy cluster, leader pg1, VIP on lb1, both balancers routing right."""
    for h in PG_HOSTS:
        lab.run("start", h, quiet=True)               # each a no-op when running
    for lb in LB_HOSTS:
        lab.run("start-balancer", lb, quiet=True)
    lab.wait(timeout)
    leader = lab.leader()
    if leader != "pg1":
        say("switching the leader back to pg1 (from %s)" % leader)
        lab.run("patronictl", "switchover", "--leader", HOST_NAME[leader],
                "--candidate", HOST_NAME["pg1"], "--force", quiet=True)
        deadline = time.time() + timeout
        while lab.leader() != "pg1":
            if time.time() > deadline:
                raise LabError("pg1 not leader %d s after the switchover" % timeout)
            time.sleep(1)
        lab.wait(timeout)
    deadline = time.time() + 120
    for lb in LB_HOSTS:
        while True:
            why = probe(lab, HOST_IP[lb], "pg1")
            if why is None:
                break
            if time.time() > deadline:
                raise LabError("balancers do not settle: " + why)
            time.sleep(1)


def wait_leader(lab, timeout):
    deadline = time.time() + timeout
    while True:
        leader = lab.leader()
        if leader or time.time() > deadline:
            return leader
        time.sleep(1)


# --- one run ---------------------------------------------------------------

def think_of(sc, args):
    return args.think if sc.think_ms is None else sc.think_ms


def run_load(lab, ctx, sc, args, out, name, pgload):
    """The load with the action in it; returns (action time, description,
    the VIP watcher's samples)."""
    seconds = args.seconds or sc.seconds
    write_ci, read_ci = load.targets(ctx.balancer, VIP, WRITE_PORT, READ_PORT,
                                     [HOST_IP[h] for h in PG_HOSTS])
    cmd = load.command(pgload, write_ci, read_ci, args.writers, args.readers,
                       seconds, think_of(sc, args), os.path.join(out, name + ".pgload.json"),
                       os.path.join(out, name + ".acked"), "%s %s" % (sc.key, ctx.balancer))
    watcher = VipWatcher(lab.prefix).start()
    monitor = VipMonitor(lab.prefix, os.path.join(out, name + ".logs")).start()
    cpu0 = cpu_sample()
    with open(os.path.join(out, name + ".pgload.log"), "w") as logf:
        proc = lab.popen("exec", "cli", *cmd, stdout=logf)
        t0 = time.time()
        while time.time() < t0 + LEAD_IN and proc.poll() is None:
            time.sleep(0.1)
        if proc.poll() is not None:
            watcher.stop()
            monitor.stop()
            raise LabError("pgload exited early (status %s); see %s.pgload.log"
                           % (proc.returncode, name))
        action_t = time.time()
        try:
            desc = sc.act(ctx)
        except LabError as e:
            desc = "FAILED: %s" % str(e).splitlines()[0]
        say("  %.1f s: %s" % (action_t - t0, desc))
        try:
            proc.wait(seconds + 120)
        except subprocess.TimeoutExpired:
            proc.kill()
            watcher.stop()
            monitor.stop()
            raise LabError("pgload did not end within %d s" % (seconds + 120))
    cpu1 = cpu_sample()
    with open("/proc/loadavg") as f:
        ctx.machine = "CPU %d%% busy (all cores), load average %s at the end" % (
            100.0 * (cpu1[0] - cpu0[0]) / max(1, cpu1[1] - cpu0[1]), f.read().split()[0])
    ctx.netlink = monitor.stop()
    return action_t, desc, watcher.stop()


def cpu_sample():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def wait_primary(lab, timeout):
    """The leader once its PostgreSQL takes connections as a primary (after
    a crash, the leader key names the dead node until it expires)."""
    deadline = time.time() + timeout
    while True:
        leader = lab.leader()
        if leader and lab.psql(HOST_IP[leader], 5432, "SELECT pg_is_in_recovery()") == ["f"]:
            return leader
        if time.time() > deadline:
            return None
        time.sleep(1)


def verify(lab, pgload, out, name):
    leader = wait_primary(lab, 120)
    path = os.path.join(out, name + ".verify.json")
    if leader is None:
        return None, None
    lab.run("exec", "cli", *load.verify_command(pgload, HOST_IP[leader],
                                                os.path.join(out, name + ".acked"), path),
            check=False, quiet=True)
    try:
        return leader, load.read_json(path)
    except (OSError, ValueError):
        return leader, None


def collect_events(logs, samples, ctx, action_t, desc):
    evs = [ev.event(action_t, "drill", "drill", "action", desc)]
    evs += [ev.event(t, "drill", "drill", "info", text) for t, text in ctx.notes]
    # In direct mode the balancers run on but carry none of the load: what
    # they did is left out, Patroni's events stay.
    direct = ctx.balancer == "direct"
    if not direct:
        evs += ev.vip_events(samples)[1:]     # the first is the state at the start
        for host, text in ctx.netlink.items():
            evs += ev.parse_ip_monitor(text, host, VIP)
    for (host, source), text in logs.items():
        if not direct or source == "patroni":
            evs += ev.PARSERS[source](text, host)
    return evs


def save_logs(logs, out, name):
    """What the balancers and Patroni logged during the run, for a closer look."""
    d = os.path.join(out, name + ".logs")
    os.makedirs(d, exist_ok=True)
    for (host, source), text in logs.items():
        if text:
            with open(os.path.join(d, "%s-%s.log" % (host, source)), "w") as f:
                f.write(text)


def poll_gap(samples):
    """The longest time between two VIP polls: the VIP times' resolution."""
    return max((b[0] - a[0] for a, b in zip(samples, samples[1:])), default=None)


def use_mode(lab, mode):
    """Balancers for MODE: its own, or, for direct (whose load bypasses
    them), whichever runs already (pgfront on a lab that is down)."""
    if mode != "direct":
        lab.up(mode)
    elif lab.run("status", check=False, quiet=True).returncode != 0:
        lab.up("pgfront")


def run_one(lab, balancer, sc, args, pgload, run_no=1):
    name = "%s-%s-%d" % (sc.key, balancer, run_no)
    base = {"scenario": sc.key, "title": sc.title, "balancer": balancer, "name": name,
            "run": run_no}
    say("%s: %s (run %d of %d)" % (balancer, sc.title, run_no, args.runs))
    ctx = scenarios.Context(lab, balancer, None, None)
    reason = sc.skip_reason(ctx)
    if reason:
        say("  skipped: " + reason)
        return dict(base, skipped=reason)
    use_mode(lab, balancer)
    reset(lab)
    ctx.leader = lab.leader()
    ctx.vip_holder = (lab.vip_holders() or ("",))[0]
    offsets = lab.log_offsets()
    action_t, desc, samples = run_load(lab, ctx, sc, args, args.results, name, pgload)
    new_leader, verified = verify(lab, pgload, args.results, name)
    vip_after = (samples[-1][1] if samples else ()) or ("none",)
    sc.restore(ctx)
    rep = load.read_json(os.path.join(args.results, name + ".pgload.json"))
    summary = load.summarize(rep, verified, action_t)
    start, dur = summary["start_unix"], summary["duration_s"] or 0
    logs = lab.log_since(offsets)
    save_logs(logs, args.results, name)
    evs = ev.collapse(ev.within(collect_events(logs, samples, ctx, action_t, desc),
                                start - 1, start + dur + 1))
    for e in evs:
        e["t_rel"] = e["t"] - start
        e["t_action"] = e["t"] - action_t
    result = dict(base, seconds=args.seconds or sc.seconds, think_ms=think_of(sc, args),
                  action=desc, load=summary,
                  events=evs, svg=name + ".svg", vip_before=ctx.vip_holder,
                  vip_after=vip_after[0], old_leader_name=HOST_NAME.get(ctx.leader),
                  new_leader_name=HOST_NAME.get(new_leader), machine=ctx.machine,
                  vip_poll_gap=poll_gap(samples))
    result["figures"] = report.run_figures(result)
    write_svg(result, args.results)
    with open(os.path.join(args.results, name + ".json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def write_svg(r, out):
    load_ = r["load"]
    outages = {}
    for role in ("write", "read"):
        o = load_[role]["outage"]
        if o:
            outages[role] = (o["from_s"], o["to_s"])
    sub = "%s; write outage %s, read outage %s; acked writes lost: %s" % (
        r["action"], report.outage_text(load_["write"]["outage"], 500),
        report.outage_text(load_["read"]["outage"], 500), report.lost_text(r))
    events = [dict(e, t=e["t_rel"]) for e in r["events"]]
    text = svg.render("%s — %s, run %d" % (r["title"], r["balancer"], r.get("run", 1)), sub,
                      load_["timeline"],
                      events, load_["action_s"], outages)
    with open(os.path.join(out, r["svg"]), "w") as f:
        f.write(text)


# --- the whole drill ---------------------------------------------------------

def first_line(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=10)
        return (p.stdout.strip().splitlines() or ["?"])[0]
    except OSError:
        return "%s: not found" % cmd[0]


def mem_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1048576.0
    return 0.0


def environment(root, args, pgload):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    except OSError:
        pass
    return {
        "started": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": "%s, %d CPUs (%s), %.1f GiB RAM" % (platform.platform(), os.cpu_count(),
                                                          cpu, mem_gib()),
        "load": "Load: %d writers on VIP:5432 and %d readers on VIP:5433 (bench/pgload, "
                "insert mode, %d ms pause between a client's transactions, 0 in "
                "switchover-fast); the action %d s after the load's start. Direct mode: the "
                "same clients on `host=%s port=5432`, writers with "
                "target_session_attrs=%s, readers with target_session_attrs=%s and the "
                "list starting at the next node. %d run(s) "
                "of each scenario and mode, the modes taking turns within each "
                "repetition." % (args.writers, args.readers, args.think, LEAD_IN,
                                 ",".join(HOST_IP[h] for h in PG_HOSTS),
                                 load.DIRECT_WRITE_ATTRS, load.DIRECT_READ_ATTRS, args.runs),
        "runs": args.runs,
        "command": " ".join(["scripts/drill"] + sys.argv[1:]),
        "versions": [first_line([os.environ.get("PGFRONT") or os.path.join(root, "pgfront"),
                                 "-V"]),
                     first_line([pgload, "-V"]),
                     first_line(["haproxy", "-v"]), first_line(["keepalived", "-v"]),
                     first_line(["patroni", "--version"]),
                     first_line(["/usr/lib/postgresql/15/bin/postgres", "--version"]),
                     first_line(["etcd", "--version"])],
    }


def in_table_order(results):
    """Scenario by scenario, then mode (pgfront, haproxy, direct), then run."""
    keys = [s.key for s in scenarios.ALL]
    return sorted(results, key=lambda r: (keys.index(r["scenario"]),
                                          report.mode_rank(r["balancer"]), r.get("run", 1)))


def write_report(results, env, out):
    results = in_table_order(results)
    for r in results:
        if not r.get("skipped"):
            r["figures"] = report.run_figures(r)
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write(report.markdown(results, env))
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"env": env, "summary": report.aggregate(results), "runs": results}, f,
                  indent=1)
    return path


def rewrite(out):
    """report.md and the SVGs of a past drill, from its results.json."""
    with open(os.path.join(out, "results.json")) as f:
        saved = json.load(f)
    for r in saved["runs"]:
        if not r.get("skipped"):
            write_svg(r, out)
    path = write_report(saved["runs"], saved["env"], out)
    print(report.text_summary(in_table_order(saved["runs"])))
    say("report: %s" % path)
    return 0


def main(argv, root):
    args = parse_args(argv, root)
    if args.report:
        return rewrite(args.report)
    if os.geteuid() != 0:
        sys.exit("drill: run as root (the lab creates network namespaces)")
    pgload = load.find_binary(root)
    if pgload is None:
        sys.exit("drill: bench/pgload/pgload is not built (make -C bench)")
    pgfront = os.environ.get("PGFRONT") or os.path.join(root, "pgfront")
    if "pgfront" in args.balancers and not os.access(pgfront, os.X_OK):
        sys.exit("drill: %s is not built (make)" % pgfront)
    os.makedirs(args.results, exist_ok=True)
    lab = Lab(root)
    was_up = lab.run("status", check=False, quiet=True).returncode == 0
    env = environment(root, args, pgload)
    results = []
    try:
        # Repetition, scenario, mode: every mode gets its turn before a
        # scenario's next run, so drift on a shared machine hits all alike.
        for run_no in range(1, args.runs + 1):
            say("== repetition %d of %d" % (run_no, args.runs))
            for key in args.scenarios:
                for mode in args.balancers:
                    results.append(run_one(lab, mode, scenarios.BY_KEY[key], args, pgload,
                                           run_no))
                    write_report(results, env, args.results)
    finally:
        if results:
            write_report(results, env, args.results)
        if not was_up and not args.keep_lab:
            say("taking the lab down")
            lab.down()
    print()
    print(report.text_summary(in_table_order(results)))
    print()
    say("report: %s" % os.path.join(args.results, "report.md"))
    return 0
