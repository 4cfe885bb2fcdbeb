"""make soak: pgfront under load and faults, as figures.

  sessions  N clients held through the write port while Patroni switches
            over (the lab; pgstub behind pgfront): what the clients saw,
            pgfront's RSS and descriptors
  churn     N short sessions (connect, startup, one query, Terminate)
            through pgfront in a namespace of its own (pgstub behind it):
            RSS and descriptors before, after each slice, after; flat
  faults    the drill's load through pgfront while part of the lab
            misbehaves (bench/soak/faults.py): what the clients saw, what
            pgfront logged, acknowledged writes lost

SOAK_SCALE=small (or --scale small) runs the same with small numbers.
Results go to bench/soak/results/UTC-STAMP/ (report.md, results.json and
the raw data); the lab is left as it was found (down, or up)."""

import argparse
import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "drill"))

import drill  # noqa: E402  (bench/drill)
import load  # noqa: E402
from lab import Lab  # noqa: E402

import churn_run  # noqa: E402
import faults  # noqa: E402
import soakreport  # noqa: E402
import sessions  # noqa: E402

SCALES = {
    # sessions: clients, seconds of load, seconds to wait for them all
    # churn: sessions, concurrent clients, seconds per pgload run
    "small": {"sessions": (500, 120, 60), "churn": (20000, 16, 10), "fault_runs": 1},
    "full": {"sessions": (10000, 240, 150), "churn": (1000000, 32, 60), "fault_runs": 1},
}
PARTS = ("sessions", "churn", "faults")


def say(msg):
    print("soak: " + msg, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="scripts/soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", default=os.environ.get("SOAK_SCALE", "full"),
                   choices=sorted(SCALES))
    p.add_argument("--parts", default=",".join(PARTS),
                   help="comma-separated, of: %s (default all)" % ", ".join(PARTS))
    p.add_argument("--faults", default=",".join(f.key for f in faults.ALL),
                   help="comma-separated, of: %s" % ", ".join(f.key for f in faults.ALL))
    p.add_argument("--fault-runs", type=int, default=0, help="runs of each fault")
    p.add_argument("--results", default=None)
    p.add_argument("--report", metavar="DIR", help="no soak: rewrite DIR's report.md")
    a = p.parse_args(argv)
    a.parts = [x for x in a.parts.split(",") if x]
    a.faults = [x for x in a.faults.split(",") if x]
    for x in a.parts:
        if x not in PARTS:
            p.error("unknown part %r" % x)
    for x in a.faults:
        if x not in faults.BY_KEY:
            p.error("unknown fault %r" % x)
    if a.results is None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
        a.results = os.path.join(HERE, "results", stamp)
    a.results = os.path.abspath(a.results)
    return a


def drill_args(results):
    """What bench/drill's run_one reads of its command line."""
    return argparse.Namespace(seconds=0, runs=1, writers=50, readers=150,
                              think=int(os.environ.get("DRILL_THINK_MS", 100)),
                              results=results)


def save(res, env, out):
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"env": env, "results": res}, f, indent=1, default=str)
    path = os.path.join(out, "report.md")
    with open(path, "w") as f:
        f.write(soakreport.markdown(res, env))
    return path


def main(argv):
    a = parse_args(argv)
    if a.report:
        with open(os.path.join(a.report, "results.json")) as f:
            saved = json.load(f)
        say("report: " + save(saved["results"], saved["env"], a.report))
        return 0
    if os.geteuid() != 0:
        sys.exit("soak: run as root (network namespaces)")
    pgload = load.find_binary(ROOT)
    for b in (pgload, os.path.join(HERE, "pgstub"), os.path.join(ROOT, "pgfront")):
        if not b or not os.access(b, os.X_OK):
            sys.exit("soak: %s is not built (make; make -C bench)" % b)
    os.makedirs(a.results, exist_ok=True)
    scale = SCALES[a.scale]
    env = drill.environment(ROOT, drill_args(a.results), pgload)
    env["scale"] = a.scale
    env["argv"] = " ".join(["scripts/soak"] + list(argv))
    res = {}
    # Parts may be run one by one into the same dir: the others' results stay.
    try:
        with open(os.path.join(a.results, "results.json")) as f:
            res = json.load(f)["results"]
    except (OSError, ValueError, KeyError):
        pass
    lab = None
    was_up = True
    try:
        if "churn" in a.parts:
            n, clients, slice_s = scale["churn"]
            say("churn: %d sessions, %d clients" % (n, clients))
            res["churn"] = churn_run.run(a.results, n, clients, slice_s)
            save(res, env, a.results)
        if "sessions" in a.parts or "faults" in a.parts:
            lab = Lab(ROOT)
            was_up = lab.run("status", check=False, quiet=True).returncode == 0
            lab.up("pgfront")
        if "sessions" in a.parts:
            n, seconds, ramp = scale["sessions"]
            say("sessions: %d clients, %d s" % (n, seconds))
            res["sessions"] = sessions.run(lab, pgload, a.results, n, seconds, ramp)
            save(res, env, a.results)
        if "faults" in a.parts:
            runs = a.fault_runs or scale["fault_runs"]
            new = faults.run(lab, drill_args(a.results), pgload, a.faults, runs)
            keys = [f.key for f in faults.ALL]
            res["faults"] = sorted([r for r in res.get("faults", []) if r["scenario"]
                                    not in a.faults] + new,
                                   key=lambda r: (keys.index(r["scenario"]), r.get("run", 1)))
            save(res, env, a.results)
    finally:
        if res:
            say("report: " + save(res, env, a.results))
        if lab is not None and not was_up:
            say("taking the lab down")
            lab.down()
    print(soakreport.text(res))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
