"""pgfront's VRRPv2 speaker between two balancers, in network namespaces.

    pgft-vrrp-sw   bridge br0, the link (PGFRONT_VRRP_NETNS changes the prefix)
    pgft-vrrp-a    balancer 198.18.145.11 (eth0)
    pgft-vrrp-b    balancer 198.18.145.12
    pgft-vrrp-c    client   198.18.145.20
    pgft-vrrp-db   backend  198.18.145.30 and .31: an echo server on :5432
                   that first says which balancer connected ("via A.B.C.D"),
                   and a Patroni stub on :8008 of each address (a checks .30,
                   b checks .31, so one balancer's checks can fail alone)

The VIP is 198.18.145.222, VRID 51, advert_int 1s. Everything is created
and removed by the module's fixture; nothing outside 198.18.145.0/24 and the
pgft-vrrp-* namespaces is used. keepalived (Debian's) runs only inside them,
with a configuration written here. Needs root; run with
/usr/bin/python3 -m pytest -v tests/integration/test_vrrp.py
"""

import os
import re
import select
import shutil
import signal
import subprocess
import time

import pytest

from helpers.netns import Lab, NsPgfront
from helpers.pgfront import BINARY, render

HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers")
VIP = "198.18.145.222"
A_ADDR, B_ADDR, CLIENT_ADDR = "198.18.145.11", "198.18.145.12", "198.18.145.20"
DB_A, DB_B = "198.18.145.30", "198.18.145.31"
ADVERT_INT = 1
# Namespaces <prefix>-sw, -a, -b...: another prefix lets two runs share a machine.
LAB_PREFIX = os.environ.get("PGFRONT_VRRP_NETNS", "pgft-vrrp")


def skew(priority):
    return (256 - priority) / 256


def master_down_interval(priority):
    return 3 * ADVERT_INT + skew(priority)


pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="network namespaces and VRRP need root")


# -- the lab ------------------------------------------------------------------

BACKEND = r"""
import socket, sys, threading
sys.path.insert(0, sys.argv[1])
from stubs import HttpStub, read_first_packet
stubs = {a: HttpStub(a, 8008) for a in sys.argv[2].split(",")}

def handle(conn, peer):
    with conn:
        conn.sendall(("via %s\n" % peer[0]).encode())
        read_first_packet(conn)         # the startup packet pgfront forwards first
        while True:
            data = conn.recv(4096)
            if not data:
                return
            conn.sendall(data)

def serve(addr):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 5432))
    s.listen(64)
    while True:
        conn, peer = s.accept()
        threading.Thread(target=handle, args=(conn, peer), daemon=True).start()

threading.Thread(target=serve, args=(sys.argv[2].split(",")[0],), daemon=True).start()
print("ready", flush=True)
for line in sys.stdin:
    try:
        _, addr, mode = line.split()
        stubs[addr].set_mode(mode)
        print("ok", flush=True)
    except Exception as e:
        print("error: %r" % e, flush=True)
"""

CLIENT = r"""
import socket, struct, sys
s = socket.create_connection((sys.argv[1], 5432), timeout=3)
s.sendall(struct.pack("!II", 13, 196608) + b"u\0x\0\0" + b"ping\n")   # StartupMessage first
buf = b""
while buf.count(b"\n") < 2:
    d = s.recv(100)
    if not d:
        break
    buf += d
print(buf.decode(errors="replace").strip().replace("\n", "|"))
"""


class Backend:
    def __init__(self, host):
        self.proc = host.popen("/usr/bin/python3", "-c", BACKEND, HELPERS,
                               "%s,%s" % (DB_A, DB_B), stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def set_mode(self, addr, mode):
        self.proc.stdin.write("mode %s %s\n" % (addr, mode))
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer == "ok", "backend: %r" % answer

    def stop(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture(scope="module")
def lab():
    for tool in ("keepalived", "tshark", "setpriv"):
        if not shutil.which(tool):
            pytest.fail("%s is not installed: scripts/install-deps installs it" % tool,
                        pytrace=False)
    with Lab(LAB_PREFIX) as lab:
        lab.host("a", A_ADDR)
        lab.host("b", B_ADDR)
        lab.host("c", CLIENT_ADDR)
        lab.host("db", DB_A, DB_B)
        lab.wait_link()
        lab.backend = Backend(lab.hosts["db"])
        try:
            yield lab
        finally:
            lab.backend.stop()


class Keepalived:
    """keepalived -P (VRRP only) in the foreground inside a namespace, with a
    generated file and pid files of its own: never the system's service."""

    def __init__(self, host, workdir, priority, state="BACKUP"):
        self.host = host
        os.makedirs(workdir, exist_ok=True)
        self.conf = os.path.join(workdir, "keepalived.conf")
        self.log_path = os.path.join(workdir, "keepalived.log")
        with open(self.conf, "w") as f:
            f.write("global_defs {\n  router_id pgft_vrrp_%s\n}\n"
                    "vrrp_instance VI_01 {\n  state %s\n  interface eth0\n"
                    "  virtual_router_id 51\n  priority %d\n  advert_int %d\n"
                    "  virtual_ipaddress {\n    %s/32\n  }\n}\n"
                    % (host.ns.rsplit("-", 1)[1], state, priority, ADVERT_INT, VIP))
        self._log = open(self.log_path, "ab")
        self.proc = host.popen("keepalived", "-n", "-l", "-D", "-G", "-P", "-f", self.conf,
                               "-p", os.path.join(workdir, "keepalived.pid"),
                               "-r", os.path.join(workdir, "vrrp.pid"),
                               stdin=subprocess.DEVNULL, stdout=self._log,
                               stderr=subprocess.STDOUT)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while not re.search(pattern, self.log()):
            assert self.proc.poll() is None, "keepalived exited:\n" + self.log()
            assert time.monotonic() < deadline, "no /%s/ in keepalived's log:\n%s" % (
                pattern, self.log())
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


@pytest.fixture
def nodes(lab, tmp_path, request):
    """start(host, config_dict) -> NsPgfront; keepalived(host, prio, state) ->
    Keepalived. At teardown: every pgfront stopped with SIGTERM must exit 0
    with no sanitizer report; the VIP is taken off every host."""
    started, kas = [], []

    def start(host, config, wrapper=(), wait=True):
        p = NsPgfront(lab.hosts[host], config, str(tmp_path / ("%s%d" % (host, len(started)))),
                      wrapper=wrapper)
        started.append(p)
        p.start()
        if wait:
            p.wait_listening()
        return p

    def keepalived(host, priority, state="BACKUP"):
        k = Keepalived(lab.hosts[host], str(tmp_path / ("ka-%s%d" % (host, len(kas)))),
                       priority, state)
        kas.append(k)
        return k

    start.keepalived = keepalived
    yield start

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    problems = []
    for p in started:
        if failed:
            print("---- %s %s (last lines)\n%s" % (p.host.ns, p.log_path, p.tail(40)))
        if p.returncode is None and p.alive():
            rc = p.stop()
            if rc != 0:
                problems.append("pgfront in %s exited %s on SIGTERM:\n%s"
                                % (p.host.ns, rc, p.tail()))
        reports = p.sanitizer_reports()
        if reports:
            problems.append("sanitizer report:\n" + "\n".join(reports[:20]))
    for k in kas:
        k.stop()
        if failed:
            print("---- keepalived in %s\n%s" % (k.host.ns, k.log()[-3000:]))
    for h in lab.hosts.values():
        h.drop(VIP)
    for addr in (DB_A, DB_B):
        lab.backend.set_mode(addr, "patroni200")
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def balancer(name, priority, state="BACKUP", preempt="yes", log_level="info",
             hold_when_down="10s", **vrrp):
    """pgfront on balancer a or b: the write port on the VIP, one backend, and
    [vrrp VI_01]; keyword arguments add to (or replace) [vrrp] keys."""
    section = {
        "interface": "eth0",
        "state": state,
        "virtual_router_id": 51,
        "priority": priority,
        "advert_int": "%ds" % ADVERT_INT,
        "virtual_ipaddress": VIP,
        "preempt": preempt,
        "garp_repeat": 2,
        "garp_delay": "1s",
    }
    section.update(vrrp)
    return {
        "global": {"log_level": log_level},
        "defaults": {"inter": "300ms", "fall": 1, "rise": 1, "timeout_check": "1s",
                     "timeout_connect": "1s"},
        "server db": {"address": "%s:5432" % DB_A,
                      "check_address": DB_A if name == "a" else DB_B},
        "listen postgres_write": {"bind": "%s:5432" % VIP, "balance": "single",
                                  "check": "HEAD /primary",
                                  "hold_when_down": hold_when_down},
        "vrrp VI_01": section,
    }


def holders(lab):
    return sorted(name for name in ("a", "b") if lab.hosts[name].has(VIP))


def wait_holder(lab, name, timeout, since=None):
    """Polls until `name` alone holds the VIP; returns seconds since `since`."""
    start = since if since is not None else time.monotonic()
    deadline = start + timeout
    while True:
        now_holders = holders(lab)
        if now_holders == [name]:
            return time.monotonic() - start
        if time.monotonic() > deadline:
            raise AssertionError("after %.2fs the VIP is on %s, not on %s alone"
                                 % (time.monotonic() - start, now_holders or "nobody", name))
        time.sleep(0.02)


def stays(lab, name, seconds):
    """Asserts that `name` alone holds the VIP for the whole time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert holders(lab) == [name], "VIP on %s, expected %s alone" % (holders(lab), name)
        time.sleep(0.1)


def through_vip(lab):
    """What the client in pgft-vrrp-c gets through VIP:5432: 'via BALANCER|ping'."""
    r = lab.hosts["c"].run("/usr/bin/python3", "-c", CLIENT, VIP, check=False)
    return r.stdout.strip() or r.stderr.strip()


def wait_through_vip(lab, balancer_addr, timeout=5):
    want = "via %s|ping" % balancer_addr
    deadline = time.monotonic() + timeout
    while True:
        got = through_vip(lab)
        if got == want:
            return
        assert time.monotonic() < deadline, "client got %r, wanted %r" % (got, want)
        time.sleep(0.2)


def pair(nodes, a_prio=101, b_prio=100, **kw):
    """a and b started together; a wins. Returns (a, b) once a holds the VIP."""
    a = nodes("a", balancer("a", a_prio, **kw))
    b = nodes("b", balancer("b", b_prio, **kw))
    # a starts first and wins its own timer; if b got there first, a preempts it.
    a.wait_log(r"vrrp VI_01: BACKUP -> MASTER", timeout=2 * master_down_interval(a_prio) + 2)
    wait_holder(a.host.lab, "a", 2)
    return a, b


# -- two pgfront balancers -----------------------------------------------------

def test_one_master_and_the_client_reaches_it_through_the_vip(lab, nodes):
    a, b = pair(nodes)
    stays(lab, "a", 1.5)
    assert "BACKUP -> MASTER" not in b.log()
    assert re.search(r"vrrp VI_01: INIT -> BACKUP \(startup", b.log())
    a.wait_log(r"postgres_write/db: INIT -> UP")
    wait_through_vip(lab, A_ADDR)
    # b's listener is bound to the VIP it does not hold (IP_FREEBIND) all along.
    b.wait_listening(1)


def test_kill9_master_backup_takes_over_then_restart_preempts(lab, nodes, tmp_path):
    a, b = pair(nodes)
    b.wait_log(r"postgres_write/db: INIT -> UP")
    a.kill9()
    killed = time.monotonic()
    # A process killed with -9 leaves its VIP behind: the host looks dead only
    # to VRRP. Measure until b has it (a still has its stale copy).
    while not lab.hosts["b"].has(VIP):
        assert time.monotonic() - killed < master_down_interval(100) + 2, \
            "b did not take the VIP:\n" + b.tail()
        time.sleep(0.02)
    took = time.monotonic() - killed
    bound = master_down_interval(100) + 0.5
    print("\nkill -9 of the MASTER: BACKUP holds the VIP after %.3fs "
          "(bound 3 x advert_int + Skew_Time + 0.5 = %.3fs)" % (took, bound))
    assert took <= bound
    assert re.search(r"vrrp VI_01: BACKUP -> MASTER \(no advertisement from a MASTER for "
                     r"3\.61s\)", b.log())
    # The gratuitous ARPs moved the client's neighbour entry to b.
    wait_through_vip(lab, B_ADDR)

    # a restarts: the VIP its killed process left is removed at once, and
    # with preempt = yes a takes the VIP back after its Master_Down_Interval.
    assert lab.hosts["a"].has(VIP)
    a2 = nodes("a", balancer("a", 101))
    restarted = time.monotonic()
    a2.wait_log(r"vrrp VI_01: removed 198\.18\.145\.222/32 from eth0, found there at "
                r"start while not MASTER")
    took = wait_holder(lab, "a", master_down_interval(101) + 1.5, since=restarted)
    print("restart of the higher priority with preempt = yes: VIP back after %.3fs "
          "(its Master_Down_Interval is %.3fs)" % (took, master_down_interval(101)))
    assert re.search(r"BACKUP -> MASTER \(preempting 198\.18\.145\.12, a MASTER of lower "
                     r"priority 100 \(ours 101\)\)", a2.log())
    b.wait_log(r"vrrp VI_01: MASTER -> BACKUP \(higher priority 101 \(ours 100\) from "
               r"198\.18\.145\.11\)")
    wait_through_vip(lab, A_ADDR)


def notify_script(tmp_path):
    record = tmp_path / "notify.log"
    script = tmp_path / "notify.sh"
    script.write_text("#!/bin/sh\necho \"$1 $2\" >> %s\n" % record)
    script.chmod(0o755)
    return str(script), record


def wait_lines(path, want, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        got = path.read_text().splitlines() if path.exists() else []
        if got == want:
            return
        assert time.monotonic() < deadline, "%s: %r, wanted %r" % (path, got, want)
        time.sleep(0.05)


def test_sigterm_master_sends_priority_0_backup_takes_over_after_skew_time(lab, nodes,
                                                                          tmp_path):
    script, record = notify_script(tmp_path)
    a, b = pair(nodes, notify=script)
    a.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    took = wait_holder(lab, "b", skew(100) + 1.5, since=sent)
    bound = skew(100) + 0.5
    print("\nSIGTERM of the MASTER: BACKUP holds the VIP after %.3fs "
          "(bound Skew_Time + 0.5 = %.3fs)" % (took, bound))
    assert took <= bound
    assert a.stop() == 0
    assert re.search(r"vrrp VI_01: MASTER -> INIT \(shutdown\)", a.log())
    assert re.search(r"BACKUP -> MASTER \(the MASTER left \(priority 0\): Skew_Time 0\.61s "
                     r"passed\)", b.log())
    # notify ran on each transition of both, in order: `notify.sh NAME STATE`.
    wait_lines(record, ["VI_01 BACKUP", "VI_01 BACKUP", "VI_01 MASTER", "VI_01 INIT",
                        "VI_01 MASTER"])


def test_reload_keeps_the_instance_and_says_what_waits_for_a_restart(lab, nodes):
    a = nodes("a", balancer("a", 100))
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(100) + 2)
    mark = a.log_mark()
    a.send_signal(signal.SIGHUP)
    a.wait_log(r"reload: .* applied", since=mark)
    assert "vrrp VI_01:" not in a.log()[mark:]
    # A changed [vrrp] runs on as it started, and the log says so.
    with open(a.config_path, "w") as f:
        f.write(render(balancer("a", 120)))
    mark = a.log_mark()
    a.send_signal(signal.SIGHUP)
    a.wait_log(r"vrrp VI_01: \[vrrp\] sections change at restart only", since=mark)
    a.wait_log(r"reload: .* applied", since=mark)
    stays(lab, "a", 1.5)
    assert "MASTER ->" not in a.log()[mark:]


def test_restart_with_preempt_no_leaves_the_lower_master(lab, nodes):
    b = nodes("b", balancer("b", 100))
    b.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(100) + 2)
    wait_holder(lab, "b", 2)
    a = nodes("a", balancer("a", 101, preempt="no"))
    a.wait_log(r"INIT -> BACKUP")
    stays(lab, "b", master_down_interval(101) + 2)
    assert "BACKUP -> MASTER" not in a.log()


def test_track_listener_moves_the_vip_and_brings_it_back(lab, nodes):
    # the write port holds clients 1 s: the priority follows once that is over
    track = {"track_listener": "postgres_write", "track_weight": -50, "hold_when_down": "1s"}
    a, b = pair(nodes, **track)
    a.wait_log(r"postgres_write/db: INIT -> UP")
    b.wait_log(r"postgres_write/db: INIT -> UP")
    a.wait_log(r"vrrp VI_01: priority 51 -> 101: listener postgres_write has an UP server")
    stays(lab, "a", 1)
    # a's checks fail (b's do not): a advertises 51, b (100) preempts it.
    lab.backend.set_mode(DB_A, "status503")
    lost = time.monotonic()
    a.wait_log(r"vrrp VI_01: listener postgres_write has no UP server: priority stays 101 "
               r"for up to 1\.0 s while it holds clients for one")
    assert "priority 101 -> 51" not in a.log()
    a.wait_log(r"vrrp VI_01: priority 101 -> 51: listener postgres_write has no UP server")
    took = wait_holder(lab, "b", master_down_interval(100) + 2, since=lost)
    print("\ntracked listener down on the MASTER: VIP on the other balancer after %.3fs"
          % took)
    assert re.search(r"BACKUP -> MASTER \(preempting 198\.18\.145\.11, a MASTER of lower "
                     r"priority 51 \(ours 100\)\)", b.log())
    wait_through_vip(lab, B_ADDR)
    # The servers come back: a is 101 again and takes the VIP back.
    lab.backend.set_mode(DB_A, "patroni200")
    back = time.monotonic()
    took = wait_holder(lab, "a", master_down_interval(101) + 2, since=back)
    print("tracked listener up again: VIP back after %.3fs" % took)
    wait_through_vip(lab, A_ADDR)


TRACK = {"track_listener": "postgres_write", "track_weight": -50, "hold_when_down": "1s"}


def with_stats(config, addr):
    config["stats"] = {"bind": "%s:5000" % addr, "auth": "admin:secret", "admin": "yes"}
    return config


def ctl(host, addr, action, target="postgres_write/db"):
    r = host.run(BINARY, "ctl", "-s", "%s:5000" % addr, "-u", "admin:secret", action, target,
                 check=False)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return r.stdout.strip()


def test_maint_of_the_only_up_server_counts_as_failing_for_track_listener(lab, nodes):
    a = nodes("a", with_stats(balancer("a", 101, **TRACK), A_ADDR))
    a.wait_log(r"vrrp VI_01: priority 51 -> 101: listener postgres_write has an UP server")
    host = lab.hosts["a"]
    # DRAIN: the server still serves its sessions and is still checked: it
    # counts as the listener's server, the priority stays.
    mark = a.log_mark()
    assert ctl(host, A_ADDR, "drain") == "postgres_write/db: DRAIN"
    time.sleep(2)       # longer than hold_when_down
    assert "priority 101 -> 51" not in a.log()[mark:]
    assert ctl(host, A_ADDR, "ready") == "postgres_write/db: READY"
    # MAINT: its checks pause and its frozen UP proves nothing: the listener
    # has no server it can vouch for, and after the hold the priority drops.
    mark = a.log_mark()
    assert ctl(host, A_ADDR, "maint") == "postgres_write/db: MAINT"
    a.wait_log(r"vrrp VI_01: listener postgres_write has no UP server: priority stays 101",
               since=mark)
    a.wait_log(r"vrrp VI_01: priority 101 -> 51: listener postgres_write has no UP server",
               since=mark)
    # Back to READY: counted again once a check has passed.
    mark = a.log_mark()
    assert ctl(host, A_ADDR, "ready") == "postgres_write/db: READY"
    a.wait_log(r"vrrp VI_01: priority 51 -> 101: listener postgres_write has an UP server "
               r"again", since=mark)


def test_tracked_listener_removed_then_restored_by_reloads_is_tracked_again(lab, nodes):
    full = balancer("a", 101, **TRACK)
    full["listen other"] = {"bind": "%s:6432" % A_ADDR, "balance": "single",
                            "check": "HEAD /primary"}
    a, b = pair(nodes, **TRACK)
    # a runs on a configuration with a second listener, kept by every reload.
    with open(a.config_path, "w") as f:
        f.write(render(full))
    mark = a.log_mark()
    a.send_signal(signal.SIGHUP)
    a.wait_log(r"reload: .* applied: 2 listener", since=mark)
    a.wait_log(r"vrrp VI_01: priority 51 -> 101: listener postgres_write has an UP server")
    # Reload without the tracked listener (and so without the track keys).
    gone = balancer("a", 101, **TRACK)
    del gone["listen postgres_write"]
    del gone["vrrp VI_01"]["track_listener"], gone["vrrp VI_01"]["track_weight"]
    gone["listen other"] = full["listen other"]
    with open(a.config_path, "w") as f:
        f.write(render(gone))
    mark = a.log_mark()
    a.send_signal(signal.SIGHUP)
    a.wait_log(r"vrrp VI_01: tracked listener postgres_write is gone: priority stays 101",
               since=mark)
    a.wait_log(r"reload: .* applied: 1 listener", since=mark)
    # And back: the listener is tracked again.
    with open(a.config_path, "w") as f:
        f.write(render(full))
    mark = a.log_mark()
    a.send_signal(signal.SIGHUP)
    a.wait_log(r"reload: .* applied: 2 listener", since=mark)
    a.wait_log(r"postgres_write/db: INIT -> UP", since=mark)
    stays(lab, "a", 1)
    # Its failure lowers the priority, and b takes the VIP.
    lab.backend.set_mode(DB_A, "status503")
    a.wait_log(r"vrrp VI_01: priority 101 -> 51: listener postgres_write has no UP server",
               since=mark, timeout=5)
    wait_holder(lab, "b", master_down_interval(100) + 2)


# A session that pings through pgfront until it ends: prints the backend's
# greeting, then "closed WHY" when it is closed, reset or silent.
HOLDER = r"""
import socket, struct, sys, time
s = socket.create_connection((sys.argv[1], 5432), timeout=2)
s.sendall(struct.pack("!II", 13, 196608) + b"u\0x\0\0")   # StartupMessage first
f = s.makefile("rb")
print(f.readline().decode().strip(), flush=True)
while True:
    try:
        s.sendall(b"ping\n")
        line = f.readline()
    except OSError as e:
        print("closed %s" % e.__class__.__name__, flush=True)
        break
    if not line:
        print("closed EOF", flush=True)
        break
    time.sleep(0.2)
"""


def read_line(proc, timeout):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no line within %ss" % timeout
    return proc.stdout.readline().strip()


@pytest.mark.parametrize("wildcard", [True, False], ids=["bind-any", "bind-vip"])
def test_sessions_through_the_vip_close_when_the_peer_takes_over(lab, nodes, wildcard):
    """Bound to 0.0.0.0, a session's local address comes from the kernel and
    only the VIP's sessions close; bound to the VIP, from the bind itself."""
    def config(name, priority):
        c = with_stats(balancer(name, priority), A_ADDR if name == "a" else B_ADDR)
        if wildcard:
            c["listen postgres_write"]["bind"] = "0.0.0.0:5432"  # the VIP and its own address
        return c

    a = nodes("a", config("a", 101))
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(101) + 2)
    a.wait_log(r"postgres_write/db: INIT -> UP")
    wait_holder(lab, "a", 2)
    c = lab.hosts["c"]
    holders_ = []
    try:
        for addr in (VIP, A_ADDR) if wildcard else (VIP,):
            holders_.append(c.popen("/usr/bin/python3", "-c", HOLDER, addr,
                                    stdout=subprocess.PIPE, text=True))
        via_vip, via_own = holders_[0], holders_[1] if wildcard else None
        assert read_line(via_vip, 5) == "via %s" % A_ADDR
        if via_own:
            assert read_line(via_own, 5) == "via %s" % A_ADDR
        # b, of higher priority, preempts a: a's VIP sessions end at once.
        b = nodes("b", config("b", 150))
        b.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(150) + 2)
        a.wait_log(r"vrrp VI_01: MASTER -> BACKUP \(higher priority 150")
        a.wait_log(r"postgres_write: 198\.18\.145\.20:\d+ -> db: its VIP moved to another "
                   r"balancer after")
        a.wait_log(r"postgres_write: closed 1 session\(s\): its VIP moved to another balancer")
        a.wait_log(r"vrrp VI_01: closed 1 session\(s\) that came through its VIPs: no longer "
                   r"MASTER")
        assert read_line(via_vip, 5).startswith("closed")
        if via_own:                 # the session to a's own address goes on
            time.sleep(1.5)
            assert via_own.poll() is None, via_own.stdout.read()
        metrics = lab.hosts["a"].run("/usr/bin/python3", "-c", METRICS, A_ADDR).stdout
        assert re.search(r'^pgfront_listener_vip_lost_sessions_total\{listener="postgres_write"'
                         r'\} 1$', metrics, re.M), metrics
    finally:
        for h in holders_:
            h.kill()
            h.wait()


METRICS = r"""
import base64, sys, urllib.request
req = urllib.request.Request("http://%s:5000/metrics" % sys.argv[1])
req.add_header("Authorization", "Basic " + base64.b64encode(b"admin:secret").decode())
print(urllib.request.urlopen(req, timeout=5).read().decode())
"""


# -- keepalived as the peer ------------------------------------------------------

def test_keepalived_master_pgfront_backup_then_priority_0_handover(lab, nodes):
    ka = nodes.keepalived("b", 150, state="MASTER")
    ka.wait_log(r"\(VI_01\) Entering MASTER STATE", timeout=master_down_interval(150) + 3)
    wait_holder(lab, "b", 2)
    a = nodes("a", balancer("a", 100))
    a.wait_log(r"INIT -> BACKUP")
    stays(lab, "b", master_down_interval(100) + 1)
    assert "BACKUP -> MASTER" not in a.log()
    assert not re.search(r"discarded", a.log())
    # keepalived stops: it sends priority 0 and pgfront takes over after Skew_Time.
    ka.proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    took = wait_holder(lab, "a", skew(100) + 1.5, since=sent)
    print("\nkeepalived MASTER stopped: pgfront holds the VIP after %.3fs (bound %.3fs)"
          % (took, skew(100) + 0.5))
    assert took <= skew(100) + 0.5
    assert "(VI_01) sent 0 priority" in ka.log()
    assert re.search(r"the MASTER left \(priority 0\)", a.log())


def test_pgfront_master_keepalived_backup_then_priority_0_handover(lab, nodes):
    a = nodes("a", balancer("a", 150, state="MASTER"))
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(150) + 2)
    ka = nodes.keepalived("b", 100)
    ka.wait_log(r"\(VI_01\) Entering BACKUP STATE")
    stays(lab, "a", master_down_interval(100) + 1)
    assert "Entering MASTER STATE" not in ka.log()
    a.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    took = wait_holder(lab, "b", skew(100) + 1.5, since=sent)
    print("\npgfront MASTER stopped: keepalived holds the VIP after %.3fs (bound %.3fs)"
          % (took, skew(100) + 0.5))
    assert took <= skew(100) + 0.5
    assert a.stop() == 0
    ka.wait_log(r"\(VI_01\) Entering MASTER STATE")


# -- on the wire --------------------------------------------------------------------

def test_tshark_decodes_adverts_and_gratuitous_arps(lab, nodes, tmp_path):
    pcap = str(tmp_path / "vrrp.pcap")
    sw = lab.sw
    cap = subprocess.Popen(["ip", "netns", "exec", sw, "tshark", "-q", "-i", "br0",
                            "-f", "ip proto 112 or arp", "-w", pcap],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # tshark says "Capturing on 'br0'" once it captures.
        line = cap.stderr.readline()
        while "Capturing on" not in line:
            assert line, "tshark did not start"
            line = cap.stderr.readline()
        a = nodes("a", balancer("a", 101, garp_repeat=3, garp_delay="1s"))
        a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(101) + 2)
        time.sleep(2.5)        # adverts, and the second burst of ARPs at 1s
    finally:
        cap.send_signal(signal.SIGINT)
        cap.wait(10)
    fields = subprocess.run(
        ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=,",
         "-e", "ip.src", "-e", "ip.ttl", "-e", "vrrp.prio", "-e", "vrrp.checksum.status",
         "-e", "vrrp.ip_addr", "-e", "arp.isgratuitous", "-e", "arp.src.proto_ipv4",
         "-e", "arp.src.hw_mac"],
        capture_output=True, text=True, timeout=30, check=True).stdout.splitlines()
    adverts = [f.split(",") for f in fields if f.startswith(A_ADDR + ",")]
    garps = [f.split(",") for f in fields if f.split(",")[5] in ("1", "True")]
    print("\ntshark: %d adverts from %s, %d gratuitous ARPs" % (len(adverts), A_ADDR, len(garps)))
    assert len(adverts) >= 2
    for src, ttl, prio, status, addr, *_ in adverts:
        # checksum status 1 = good (Wireshark's PROTO_CHECKSUM_E_GOOD)
        assert (ttl, prio, status, addr) == ("255", "101", "1", VIP), adverts
    # Two bursts of 3, from a's MAC, for the VIP.
    assert len(garps) == 6, fields
    for g in garps:
        assert g[6] == VIP and g[7] == lab.hosts["a"].mac()
    verbose = subprocess.run(["tshark", "-r", pcap, "-V", "-Y", "vrrp"], capture_output=True,
                             text=True, timeout=30).stdout
    assert "[Checksum Status: Good]" in verbose
    assert "Bad" not in verbose


SENDER = r"""
import socket, struct, sys

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff

def advert(vrid=51, prio=255, auth=0, interval=1, addrs=("198.18.145.222",),
           authdata=b"", first=0x21, bad_sum=False):
    body = struct.pack("!BBBBBBH", first, vrid, prio, len(addrs), auth, interval, 0)
    body += b"".join(socket.inet_aton(a) for a in addrs) + authdata.ljust(8, b"\0")
    s = checksum(body) ^ (1 if bad_sum else 0)
    return body[:6] + struct.pack("!H", s) + body[8:]

kinds = {
    "ttl": (64, advert()),
    "version": (255, advert(first=0x31)),
    "checksum": (255, advert(bad_sum=True)),
    "vrid": (255, advert(vrid=52)),
    "auth": (255, advert(auth=1, authdata=b"s3cret")),
    "interval": (255, advert(interval=2)),
    "truncated": (255, advert()[:12]),
    "vips": (255, advert(prio=50, addrs=("198.18.145.222", "198.18.145.223"))),
    "valid": (255, advert()),
}
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
for kind in sys.argv[2:]:
    ttl, payload = kinds[kind]
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    s.sendto(payload, ("224.0.0.18", 0))
"""


def send_adverts(lab, *kinds):
    lab.hosts["c"].run("/usr/bin/python3", "-c", SENDER, CLIENT_ADDR, *kinds)


def test_bad_adverts_are_counted_ignored_and_change_nothing(lab, nodes):
    a = nodes("a", balancer("a", 100, log_level="debug"))
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(100) + 2)
    mark = a.log_mark()
    # Each would make a MASTER of priority 100 step down (priority 255) if accepted.
    bad = ["ttl", "version", "checksum", "vrid", "auth", "interval", "truncated"]
    send_adverts(lab, *bad)
    want = {
        "ttl": r"discarded \(ttl\): IP TTL 64, must be 255",
        "version": r"discarded \(version\): version 3, not 2",
        "checksum": r"discarded \(checksum\): checksum 0x[0-9a-f]{4}, expected 0x[0-9a-f]{4}",
        "vrid": r"ignored: VRID 52, ours is 51",
        "auth": r"discarded \(auth\): authentication type 1 or password does not match "
                r"ours \(none\)",
        "interval": r"discarded \(interval\): advert_int 2s, ours is 1s",
        "truncated": r"discarded \(truncated\): truncated \(12 bytes of VRRP\)",
    }
    for kind in bad:
        a.wait_log(r"vrrp VI_01: advert from 198\.18\.145\.20 " + want[kind], timeout=3,
                   since=mark)
    # A valid advert of lower priority listing other VIPs: logged, no change.
    send_adverts(lab, "vips")
    a.wait_log(r"advert from 198\.18\.145\.20 lists 2 address\(es\) that differ", since=mark)
    stays(lab, "a", 1.5)
    assert "MASTER -> BACKUP" not in a.log()[mark:]
    # The control: the same advert, valid, does make it step down.
    send_adverts(lab, "valid")
    a.wait_log(r"MASTER -> BACKUP \(higher priority 255 \(ours 100\) from 198\.18\.145\.20\)",
               since=mark)
    assert not lab.hosts["a"].has(VIP)
    # Silence from that MASTER: a takes over again.
    a.wait_log(r"BACKUP -> MASTER \(no advertisement", timeout=master_down_interval(100) + 2,
               since=mark)


# -- rtnetlink ------------------------------------------------------------------------------

def netlink_route_fds(pid):
    """pid's NETLINK_ROUTE sockets: {fd: inode}."""
    inodes = set()
    with open("/proc/%d/net/netlink" % pid) as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == "0":                 # Eth: the protocol, 0 = NETLINK_ROUTE
                inodes.add(fields[-1])
    fds = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        m = re.fullmatch(r"socket:\[(\d+)\]", os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        if m and m.group(1) in inodes:
            fds[int(fd)] = m.group(1)
    return fds


def test_vips_move_by_netlink_without_ever_waiting_for_its_answer(lab, nodes, tmp_path):
    a = nodes("a", balancer("a", 100))
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(100) + 2)
    wait_holder(lab, "a", 2)
    fds = netlink_route_fds(a.pid)
    assert len(fds) == 1, fds
    (fd,) = fds
    # O_NONBLOCK (04000): no read of it can hold the loop, whatever the kernel does.
    flags = open("/proc/%d/fdinfo/%d" % (a.pid, fd)).read()
    assert int(re.search(r"^flags:\s+(\d+)", flags, re.M).group(1), 8) & 0o4000, flags
    trace = str(tmp_path / "strace.txt")
    st = subprocess.Popen(["strace", "-p", str(a.pid), "-e", "trace=recvfrom,recvmsg",
                           "-o", trace], stderr=subprocess.PIPE, text=True)
    try:
        assert "attached" in st.stderr.readline()
        # A peer of priority 255 appears: a steps down (the VIP goes), then
        # falls silent: a takes over again (the VIP comes back).
        mark = a.log_mark()
        send_adverts(lab, "valid")
        a.wait_log(r"MASTER -> BACKUP \(higher priority 255", since=mark)
        a.wait_log(r"vrrp VI_01: 198\.18\.145\.222/32 removed from eth0", since=mark)
        assert not lab.hosts["a"].has(VIP)
        a.wait_log(r"BACKUP -> MASTER", since=mark, timeout=master_down_interval(100) + 2)
        a.wait_log(r"vrrp VI_01: 198\.18\.145\.222/32 added to eth0", since=mark)
        wait_holder(lab, "a", 1)
        # The gratuitous ARPs follow the answer, and reach the client.
        wait_through_vip(lab, A_ADDR)
    finally:
        st.send_signal(signal.SIGINT)
        st.wait(5)
    calls = [l for l in open(trace) if re.match(r"(\d+\s+)?recv(from|msg)\(%d," % fd, l)]
    print("\n%d reads of the netlink socket, %d of them EAGAIN" % (
        len(calls), sum("EAGAIN" in c for c in calls)))
    # Its answers are read when the loop finds them there, until it is empty.
    assert calls and any("= -1 EAGAIN" in c for c in calls), calls
    assert all(re.search(r"= (\d+|-1 EAGAIN .*)$", c.strip()) for c in calls), calls


# -- notify scripts -----------------------------------------------------------------------

FLAPPER = SENDER.split("kinds = {")[0] + r"""
import time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
for _ in range(int(sys.argv[2])):
    s.sendto(advert(prio=255), ("224.0.0.18", 0))     # the MASTER steps down...
    time.sleep(0.04)
    s.sendto(advert(prio=0), ("224.0.0.18", 0))       # ...and takes over after Skew_Time
    time.sleep(0.04)
"""

# Each run notes its state and how many runs (itself included) are in progress.
NOTIFY_COUNTING = """#!/bin/sh
touch %(running)s/$$
n=$(ls %(running)s | wc -l)
echo "$1 $2 $n" >> %(record)s
sleep 0.2
rm %(running)s/$$
"""

# BACKUP's run sleeps; MASTER's ignores SIGTERM (and so does its sleep).
NOTIFY_STUCK = """#!/bin/sh
echo "start $2" >> %(record)s
if [ "$2" = MASTER ]; then trap '' TERM; sleep 7778; else sleep 7777; fi
echo "end $2" >> %(record)s
"""


def test_notify_scripts_run_at_most_4_at_once_in_order(lab, nodes, tmp_path):
    running = tmp_path / "running"
    running.mkdir()
    record = tmp_path / "notify.log"
    script = tmp_path / "notify.sh"
    script.write_text(NOTIFY_COUNTING % {"running": running, "record": record})
    script.chmod(0o755)
    # Priority 254: Skew_Time is 8 ms, so each priority-0 advert brings it back at once.
    a = nodes("a", balancer("a", 254, notify=str(script)))
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(254) + 2)
    wait_lines(record, ["VI_01 BACKUP 1", "VI_01 MASTER 1"])
    mark = a.log_mark()
    lab.hosts["c"].run("/usr/bin/python3", "-c", FLAPPER, CLIENT_ADDR, "25", timeout=30)
    # Adverts read late (a busy machine) may merge two flips into none: count
    # the transitions there were, and wait until each was told or dropped.
    deadline = time.monotonic() + 30
    settled = None
    while True:
        log = a.log()[mark:]
        changes = len(re.findall(r"vrrp VI_01: (MASTER -> BACKUP|BACKUP -> MASTER)", log))
        dropped = len(re.findall(r"notify script for \w+ dropped", log))
        lines = record.read_text().splitlines()[2:]
        done = (changes, dropped, len(lines)) if len(lines) + dropped == changes \
            and not list(running.iterdir()) and lab.hosts["a"].has(VIP) else None
        if done and done == settled:
            break
        settled = done
        assert time.monotonic() < deadline, (changes, dropped, len(lines))
        time.sleep(0.5)
    assert changes >= 20
    print("\n%d transitions: %d scripts ran, %d dropped, at most %d at once"
          % (changes, len(lines), dropped, max(int(l.split()[2]) for l in lines)))
    assert max(int(l.split()[2]) for l in lines) <= 4, lines
    # Started in transition order, the oldest waiting dropped first: the run
    # for the state it is in now is among the last 4 started (their lines may
    # land in any order).
    assert any(l.startswith("VI_01 MASTER") for l in lines[-4:]), lines[-4:]
    assert lab.hosts["a"].has(VIP)


def test_a_notify_script_past_notify_timeout_is_terminated_then_killed(lab, nodes, tmp_path):
    record = tmp_path / "notify.log"
    script = tmp_path / "notify.sh"
    script.write_text(NOTIFY_STUCK % {"record": record})
    script.chmod(0o755)
    a = nodes("a", balancer("a", 101, notify=str(script)))     # notify_timeout: 10s
    started = time.monotonic()
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(101) + 2)
    a.wait_log(r"vrrp VI_01: notify script for BACKUP still running after 10\.0 s: "
               r"sending SIGTERM", timeout=12)
    a.wait_log(r"vrrp VI_01: notify script for BACKUP killed by signal 15 after its timeout")
    assert time.monotonic() - started >= 9.5
    a.wait_log(r"vrrp VI_01: notify script for MASTER still running after 10\.0 s: "
               r"sending SIGTERM", timeout=master_down_interval(101) + 2)
    a.wait_log(r"vrrp VI_01: notify script for MASTER still running 2\.0 s after SIGTERM: "
               r"sending SIGKILL", timeout=4)
    a.wait_log(r"vrrp VI_01: notify script for MASTER killed by signal 9 after its timeout")
    # Their process groups went with them: no sleep of theirs is left.
    for what in ("sleep 7777", "sleep 7778"):
        r = subprocess.run(["pgrep", "-f", what], capture_output=True, text=True)
        assert r.stdout == "", what
    assert record.read_text().split("\n")[:2] == ["start BACKUP", "start MASTER"]
    assert "end" not in record.read_text()


# -- privileges -------------------------------------------------------------------------

def test_without_capabilities_pgfront_says_which_and_exits_1(lab, nodes):
    drop = ("setpriv", "--bounding-set", "-net_raw,-net_admin", "--inh-caps", "-all", "--")
    p = nodes("a", balancer("a", 100), wrapper=drop, wait=False)
    assert p.wait_exit(10) == 1
    assert re.search(r"pgfront lacks CAP_NET_RAW and CAP_NET_ADMIN, which \[vrrp VI_01\] "
                     r"needs", p.log()), p.log()
    assert not lab.hosts["a"].has(VIP)
    drop_admin = ("setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-all", "--")
    p = nodes("a", balancer("a", 100), wrapper=drop_admin, wait=False)
    assert p.wait_exit(10) == 1
    assert re.search(r"pgfront lacks CAP_NET_ADMIN, which", p.log()), p.log()
    # Without [vrrp], neither is needed.
    config = balancer("a", 100)
    del config["vrrp VI_01"]
    p = nodes("a", config, wrapper=drop)
    assert p.alive()


def test_switching_user_keeps_what_moving_the_vip_needs(lab, nodes):
    config = balancer("a", 100)
    config["global"]["user"] = "nobody"
    a = nodes("a", config)
    a.wait_log(r"BACKUP -> MASTER", timeout=master_down_interval(100) + 2)
    wait_holder(lab, "a", 1)
    status = open("/proc/%d/status" % a.pid).read()
    assert re.search(r"^Uid:\s+65534", status, re.M)
    # Only CAP_NET_ADMIN (bit 12) is left.
    assert re.search(r"^CapEff:\s+0000000000001000$", status, re.M), status
    assert a.stop() == 0
    assert not lab.hosts["a"].has(VIP)
    assert "removed from eth0" in a.log()
