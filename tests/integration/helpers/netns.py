"""Network namespaces for tests that need a real link: VRRP between two
balancers, a client, a backend.

    lab = Lab("pgft-vrrp")          # creates <prefix>-sw holding bridge br0
    a = lab.host("a", "198.18.145.11")   # namespace pgft-vrrp-a, eth0 into br0
    a.run("ip", "-4", "addr")
    lab.close()                     # deletes every namespace it made

Everything lives in namespaces the Lab creates and deletes: the root
namespace's interfaces are never touched (each veth is created inside the
switch namespace with its peer placed straight into the host's). Addresses
are 198.18.145.0/24 only (RFC 2544's benchmark range), with no route out.
Leftovers of a run that was killed are removed by name prefix at the start.
"""

import os
import re
import signal
import socket
import subprocess
import time

from .pgfront import BINARY, Pgfront, PgfrontError

SUBNET = "198.18.145."
PREFIX_LEN = 24


def _ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10,
                          check=check)


def namespaces():
    out = _ip("netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class Host:
    """One namespace with eth0 on the lab's bridge."""

    def __init__(self, lab, name, addrs):
        self.lab = lab
        self.ns = "%s-%s" % (lab.prefix, name)
        self.addrs = list(addrs)
        self.addr = self.addrs[0]

    def cmd(self, *args):
        return ["ip", "netns", "exec", self.ns, *args]

    def run(self, *args, check=True, timeout=10, **kw):
        return subprocess.run(self.cmd(*args), capture_output=True, text=True,
                              timeout=timeout, check=check, **kw)

    def popen(self, *args, **kw):
        return subprocess.Popen(self.cmd(*args), **kw)

    def ipv4(self):
        """The IPv4 addresses on eth0, as "A.B.C.D/P"."""
        out = _ip("-n", self.ns, "-4", "-o", "addr", "show", "dev", "eth0").stdout
        return re.findall(r"inet (\S+)", out)

    def has(self, addr):
        return any(a.split("/")[0] == addr for a in self.ipv4())

    def drop(self, addr, prefix=32):
        """Removes addr if present (a VIP left by a process killed with -9)."""
        if self.has(addr):
            _ip("-n", self.ns, "addr", "del", "%s/%d" % (addr, prefix), "dev", "eth0",
                check=False)

    def mac(self):
        out = _ip("-n", self.ns, "-o", "link", "show", "dev", "eth0").stdout
        return re.search(r"link/ether (\S+)", out).group(1)


class Lab:
    """A bridge in <prefix>-sw and hosts around it. Use as a context manager
    or call close(): the namespaces go whatever happened."""

    def __init__(self, prefix):
        if not re.fullmatch(r"[a-z0-9-]{1,20}", prefix):
            raise ValueError("bad prefix %r" % prefix)
        self.prefix = prefix
        self.sw = "%s-sw" % prefix
        self.hosts = {}
        self.sweep()
        try:
            _ip("netns", "add", self.sw)
            _ip("-n", self.sw, "link", "set", "lo", "up")
            _ip("-n", self.sw, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.sw, "link", "set", "br0", "up")
        except BaseException:
            self.close()
            raise

    def sweep(self):
        """Deletes namespaces of ours left by an earlier run that was killed."""
        for ns in namespaces():
            if ns.startswith(self.prefix + "-"):
                self._delete_ns(ns)

    def host(self, name, *addrs):
        for a in addrs:
            if not a.startswith(SUBNET):
                raise ValueError("%s is outside %s0/%d" % (a, SUBNET, PREFIX_LEN))
        h = Host(self, name, addrs)
        port = "p%d" % (len(self.hosts) + 1)
        _ip("netns", "add", h.ns)
        self.hosts[name] = h
        _ip("-n", h.ns, "link", "set", "lo", "up")
        _ip("-n", self.sw, "link", "add", port, "type", "veth", "peer", "name", "eth0",
            "netns", h.ns)
        _ip("-n", self.sw, "link", "set", port, "master", "br0")
        _ip("-n", self.sw, "link", "set", port, "up")
        for a in addrs:
            _ip("-n", h.ns, "addr", "add", "%s/%d" % (a, PREFIX_LEN), "dev", "eth0")
        _ip("-n", h.ns, "link", "set", "eth0", "up")
        return h

    def wait_link(self, timeout=5):
        """Until every host answers ARP for its address (the bridge forwards)."""
        deadline = time.monotonic() + timeout
        hosts = list(self.hosts.values())
        for h in hosts[1:]:
            while True:
                r = hosts[0].run("python3", "-c", _PROBE, h.addr, check=False)
                if r.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError("%s does not reach %s: %s" % (hosts[0].ns, h.addr,
                                                                      r.stderr))
                time.sleep(0.1)

    def _kill_processes(self, ns):
        out = _ip("netns", "pids", ns, check=False).stdout
        for pid in out.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    def _delete_ns(self, ns):
        self._kill_processes(ns)
        _ip("netns", "delete", ns, check=False)

    def close(self):
        for h in list(self.hosts.values()):
            self._delete_ns(h.ns)
        self.hosts.clear()
        self._delete_ns(self.sw)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Reachability without ping (not installed): a TCP connect to port 9 is
# refused by a host that is there, and times out for one that is not.
_PROBE = r"""
import socket, sys
s = socket.socket()
s.settimeout(0.5)
try:
    s.connect((sys.argv[1], 9))
except ConnectionRefusedError:
    sys.exit(0)
except OSError as e:
    sys.exit(str(e))
"""


def _listening_in(pid, host, port):
    """Whether pid's network namespace has a TCP listener on host:port."""
    want = "%s:%04X" % (socket.inet_aton(host)[::-1].hex().upper(), port)
    try:
        with open("/proc/%d/net/tcp" % pid) as f:
            next(f)
            return any(line.split()[1] == want and line.split()[3] == "0A" for line in f)
    except FileNotFoundError:
        return False


class NsPgfront(Pgfront):
    """pgfront run inside a Host's namespace: `ip netns exec NS pgfront -f CONFIG`.
    `ip netns exec` execs, so the process is pgfront itself (signals reach it)."""

    def __init__(self, host, config, workdir, binary=BINARY, args=(), wrapper=()):
        super().__init__(config, workdir, binary=binary, args=args)
        self.host = host
        self.wrapper = list(wrapper)

    def start(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.host.cmd(*self.wrapper, self.binary, "-f", self.config_path, *self.args),
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            cwd=self.workdir)
        return self

    def wait_listening(self, timeout=10):
        from .pgfront import listen_addresses
        deadline = time.monotonic() + timeout
        for host, port in listen_addresses(self.text):
            while not _listening_in(self.proc.pid, host, port):
                if not self.alive():
                    raise self._died("before listening on %s:%d" % (host, port))
                if time.monotonic() > deadline:
                    raise PgfrontError("pgfront not listening on %s:%d after %ss; log:\n%s"
                                       % (host, port, timeout, self.tail()))
                time.sleep(0.05)

    def kill9(self):
        self.proc.kill()
        return self.wait_exit(5)

    def wait_exit(self, timeout):
        """Waits for a pgfront that exits by itself; returns its status."""
        self.proc.wait(timeout)
        self._log.close()
        self.returncode = self.proc.returncode
        return self.returncode
