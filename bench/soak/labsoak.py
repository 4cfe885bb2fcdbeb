"""What the soak adds to the lab of scripts/lab (through bench/drill's
Lab): pgstub on the database hosts, the API stub in front of pg1's
Patroni, the balancers' configuration for the soak, pgfront's PID and
stats, and the kernel settings ten thousand connections need."""

import json
import os
import shutil
import subprocess
import time

from lab import HOST_IP, LB_HOSTS, PG_HOSTS, LabError

HERE = os.path.dirname(os.path.abspath(__file__))
STUB_PORT = 6432              # pgstub on each database host
API_STUB_PORT = 18008         # apistub on pg1, in front of its Patroni API
STATS_PORT = 5000
RUN_DIR = "/var/tmp/pgfront-soak"
MODE_FILE = os.path.join(RUN_DIR, "apistub.mode")
SESSIONS_PORT = 6432          # the soak's write listener on the VIP
SESSION_MAXCONN = 9900        # per server: 2 descriptors a session, hard limit 20000


def say(msg):
    print("soak: " + msg, flush=True)


def pids_matching(pattern):
    p = subprocess.run(["pgrep", "-f", "--", pattern], stdout=subprocess.PIPE, text=True)
    return [int(x) for x in p.stdout.split()]


def pgfront_pid(lab, lb):
    """pgfront's PID on LB as the machine sees it (not the host's own)."""
    pids = pids_matching("pgfront -f %s/%s/pgfront.ini" % (lab.dir, lb))
    pids = [p for p in pids if open("/proc/%d/comm" % p).read().strip() == "pgfront"]
    return pids[0] if pids else None


def stats(lab, lb):
    """pgfront's stats JSON on LB, or None."""
    p = lab.run("exec", "cli", "curl", "-fsS", "--max-time", "3",
                "http://%s:%d/;json" % (HOST_IP[lb], STATS_PORT), check=False, quiet=True)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


def sysctls(lab, hosts=("cli",) + LB_HOSTS):
    """Ephemeral ports over the whole range, reused from TIME_WAIT: 10,000
    clients from one address, a million sessions over a few minutes."""
    for h in hosts:
        for kv in ("net.ipv4.ip_local_port_range=1024 65535", "net.ipv4.tcp_tw_reuse=1"):
            subprocess.run(["ip", "netns", "exec", lab.prefix + h, "sysctl", "-q", "-w", kv],
                           check=True)


# --- background processes on the lab's hosts ---------------------------------

def spawn(lab, host, log, *cmd):
    os.makedirs(RUN_DIR, exist_ok=True)
    with open(os.path.join(RUN_DIR, log), "a") as f:
        return lab.popen("exec", host, *cmd, stdout=f)


def kill_matching(pattern):
    pids = pids_matching(pattern)
    for p in pids:
        try:
            os.kill(p, 15)
        except OSError:
            pass
    return pids


def start_pgstubs(lab):
    binary = os.path.join(HERE, "pgstub")
    for h in PG_HOSTS:
        addr = "%s:%d" % (HOST_IP[h], STUB_PORT)
        if not pids_matching("pgstub -v %s" % addr):
            spawn(lab, h, "pgstub-%s.log" % h, binary, "-v", addr)


def stop_pgstubs():
    # The lab's only: a churn running beside has a pgstub of its own.
    kill_matching("%s/pgstub -v 198.18.145." % HERE)


def set_api_mode(mode):
    os.makedirs(RUN_DIR, exist_ok=True)
    with open(MODE_FILE + ".tmp", "w") as f:
        f.write(mode + "\n")
    os.replace(MODE_FILE + ".tmp", MODE_FILE)


def start_apistub(lab):
    set_api_mode("pass")
    listen = "%s:%d" % (HOST_IP["pg1"], API_STUB_PORT)
    if not pids_matching("apistub.py %s" % listen):
        spawn(lab, "pg1", "apistub.log", "/usr/bin/python3", os.path.join(HERE, "apistub.py"),
              listen, "%s:8008" % HOST_IP["pg1"], MODE_FILE)
        time.sleep(1)


def stop_apistub():
    kill_matching("apistub.py %s:%d" % (HOST_IP["pg1"], API_STUB_PORT))


# --- the balancers' configuration ------------------------------------------

def soak_conf(text, sessions):
    """The lab's pgfront.ini for the soak: pg1's Patroni API is checked
    through apistub (pass-through until a fault says otherwise); with
    SESSIONS, a write listener on :6432 over the pgstubs, which takes
    10,000 clients: [global] maxconn 10100, per server 9900 sessions (two
    descriptors each under the hard limit of 20000), the rest queued."""
    names = "ubn-pgsql-1,ubn-pgsql-2,ubn-pgsql-3"
    text = text.replace("[server ubn-pgsql-1]\naddress = %s:5432\n" % HOST_IP["pg1"],
                        "[server ubn-pgsql-1]\naddress = %s:5432\ncheck_port = %d\n"
                        % (HOST_IP["pg1"], API_STUB_PORT))
    text = text.replace("[listen postgres_write]\n", "[listen postgres_write]\nservers = %s\n"
                        % names)
    text = text.replace("[listen postgres_read]\n", "[listen postgres_read]\nservers = %s\n"
                        % names)
    if sessions:
        text = text.replace("[global]\nmaxconn = 200\n", "[global]\nmaxconn = 10100\n")
        for i, h in enumerate(PG_HOSTS, 1):
            text += "\n[server pgstub-%d]\naddress = %s:%d\ncheck_port = 8008\n" % (
                i, HOST_IP[h], STUB_PORT)
        text += ("\n[listen soak_write]\nbind = *:%d\nservers = pgstub-1,pgstub-2,pgstub-3\n"
                 "balance = single\ncheck = HEAD /primary\nexpect_status = 200\n"
                 "hold_when_down = 10s\nmaxconn = %d\ntimeout_queue = 10m\n"
                 % (SESSIONS_PORT, SESSION_MAXCONN))
    return text


def ini_path(lab, lb):
    return os.path.join(lab.dir, lb, "pgfront.ini")


def restart_balancers(lab):
    # lb2 first: lb1 keeps the VIP meanwhile, then takes it back (preempt).
    for lb in ("lb2", "lb1"):
        lab.run("stop-balancer", lb, quiet=True)
        lab.run("start-balancer", lb, quiet=True)
    lab.wait(300)


def install_conf(lab, sessions):
    if lab.balancer() != "pgfront":
        raise LabError("the soak runs with pgfront on the balancers")
    for lb in LB_HOSTS:
        path = ini_path(lab, lb)
        if not os.path.exists(path + ".lab"):
            shutil.copy(path, path + ".lab")
        with open(path + ".lab") as f:
            text = soak_conf(f.read(), sessions)
        with open(path, "w") as f:
            f.write(text)
    restart_balancers(lab)


def restore_conf(lab):
    changed = False
    for lb in LB_HOSTS:
        path = ini_path(lab, lb)
        if os.path.exists(path + ".lab"):
            os.replace(path + ".lab", path)
            changed = True
    if changed:
        restart_balancers(lab)
