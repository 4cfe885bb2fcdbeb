"""The Debian package as an admin gets it: `make deb` builds
dist/pgfront_VERSION_ARCH.deb, lintian has nothing against it, its unit and
man pages check, and `dpkg -i` installs it for real: user, file modes,
enabled unit, a daemon that starts from /usr/sbin with the shipped
/etc/pgfront/pgfront.ini as the pgfront user, then `dpkg --purge` removes it.

The real install happens inside a mount namespace of its own, with
overlays over /usr, /etc and /var and a tmpfs over /run/systemd: dpkg,
adduser and the maintainer scripts run as on a real machine (against this
machine's own package database), and everything they change goes when the
namespace ends. Run it in a network namespace (the daemon binds
127.0.0.1:15432, :15433, :15000).

The package is built once per run (a few minutes: the tree is copied and
built without its unit tests); PGFRONT_DEB=path uses a built one instead.
"""

import glob
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from helpers import REPO

missing = [t for t in ("dpkg-buildpackage", "dh", "dpkg-deb") if not shutil.which(t)]
pytestmark = pytest.mark.skipif(
    bool(missing), reason="%s missing: apt-get install dpkg-dev debhelper "
    "(scripts/install-deps installs them)" % ", ".join(missing))


def run(cmd, **kw):
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def deb():
    if os.environ.get("PGFRONT_DEB"):
        return os.environ["PGFRONT_DEB"]
    out = run([os.path.join(REPO, "scripts/build-deb"), "--no-check"], cwd=REPO, timeout=1800)
    assert out.returncode == 0, out.stdout + out.stderr
    m = re.search(r"^build-deb: (dist/\S+\.deb)$", out.stdout, re.M)
    assert m, out.stdout
    return os.path.join(REPO, m.group(1))


@pytest.fixture(scope="module")
def root(deb):
    """The package's files, extracted (dpkg-deb -x)."""
    d = tempfile.mkdtemp(prefix="pgfront-deb-root-")
    out = run(["dpkg-deb", "-x", deb, d])
    assert out.returncode == 0, out.stderr
    yield d
    shutil.rmtree(d)


def test_name_contents_and_conffile(deb):
    version = re.search(r'PGFRONT_VERSION "(.*)"',
                        open(os.path.join(REPO, "daemon/version.h")).read()).group(1)
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    assert os.path.basename(deb) == "pgfront_%s_%s.deb" % (version, arch)
    files = set(re.findall(r"^\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\.(/\S*)$",
                           run(["dpkg-deb", "-c", deb]).stdout, re.M))
    for f in ("/usr/sbin/pgfront", "/lib/systemd/system/pgfront.service",
              "/etc/pgfront/pgfront.ini", "/usr/share/man/man8/pgfront.8.gz",
              "/usr/share/man/man5/pgfront.ini.5.gz", "/usr/share/doc/pgfront/copyright",
              "/usr/share/doc/pgfront/examples/pgfront.ini"):
        assert f in files, sorted(files)
    assert run(["dpkg-deb", "-f", deb, "Depends"]).stdout.count("libsystemd0") == 1
    with tempfile.TemporaryDirectory() as ctrl:
        run(["dpkg-deb", "-e", deb, ctrl])
        with open(os.path.join(ctrl, "conffiles")) as f:
            assert f.read().split() == ["/etc/pgfront/pgfront.ini"]


@pytest.mark.skipif(not shutil.which("lintian"), reason="lintian missing (scripts/install-deps)")
def test_lintian_finds_no_error_or_warning(deb):
    out = run(["lintian", "--tag-display-limit", "0", deb], timeout=600)
    tags = [l for l in out.stdout.splitlines() if re.match(r"[EW]: ", l)]
    assert tags == [], out.stdout


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze missing")
def test_the_unit_verifies(root, tmp_path):
    """systemd-analyze verify, with the unit pointed at the extracted binary
    and man pages (it checks that both exist)."""
    unit = open(os.path.join(root, "lib/systemd/system/pgfront.service")).read()
    assert "ExecStart=/usr/sbin/pgfront -f ${CONFIG}" in unit
    assert "ExecStartPre=/usr/sbin/pgfront -c -f ${CONFIG}" in unit
    path = tmp_path / "pgfront.service"
    path.write_text(unit.replace("/usr/sbin/pgfront", root + "/usr/sbin/pgfront"))
    env = dict(os.environ, MANPATH=os.path.join(root, "usr/share/man"))
    out = run(["systemd-analyze", "verify", str(path)], env=env)
    assert (out.returncode, out.stdout + out.stderr) == (0, "")
    out = run(["systemd-analyze", "security", "--offline=true", str(path)])
    m = re.search(r"Overall exposure level for pgfront.service: ([0-9.]+)", out.stdout)
    assert m and float(m.group(1)) < 3.0, out.stdout


@pytest.mark.skipif(not shutil.which("mandoc"), reason="mandoc missing (scripts/install-deps)")
def test_man_pages_are_lint_clean(root):
    for page in ("man8/pgfront.8.gz", "man5/pgfront.ini.5.gz"):
        path = os.path.join(root, "usr/share/man", page)
        out = run(["mandoc", "-Tlint", "-Wwarning", path])
        assert (out.returncode, out.stdout + out.stderr) == (0, ""), page
        out = run(["man", "--warnings", "-l", path],
                  env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"))
        assert out.returncode == 0 and out.stderr == "", (page, out.stderr)
        assert "pgfront" in out.stdout


def test_the_shipped_file_is_valid_and_binds_loopback_only(root):
    conf = os.path.join(root, "etc/pgfront/pgfront.ini")
    out = run([os.path.join(root, "usr/sbin/pgfront"), "-c", "-f", conf])
    assert (out.returncode, out.stdout) == (0, "configuration is valid\n"), out.stderr
    binds = re.findall(r"^bind\s*=\s*(\S+)", open(conf).read(), re.M)
    assert binds and all(b.startswith("127.0.0.1:") for b in binds), binds
    assert not any(b.endswith(":5432") or b.endswith(":5433") for b in binds), binds


# A throwaway machine: this one's /usr, /etc and /var under overlays, in
# the script's own mount namespace, with the package installed.
OVERLAY_INSTALL = r"""
set -euo pipefail
t=$1 deb=$2
for d in usr etc var; do
	mkdir -p "$t/$d.up" "$t/$d.work"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$t/$d.up,workdir=$t/$d.work" "/$d"
done
# No running systemd here: the maintainer scripts must not start anything.
mkdir -p /run/systemd
mount -t tmpfs tmpfs /run/systemd

dpkg -s pgfront >/dev/null 2>&1 && { echo "ALREADY-INSTALLED"; exit 3; }
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$t/dpkg.log" 2>&1 ||
	{ cat "$t/dpkg.log"; exit 4; }
"""

INSTALL_SCRIPT = OVERLAY_INSTALL + r"""
echo "status=$(dpkg-query -W -f='${db:Status-Status}' pgfront)"
echo "user=$(getent passwd pgfront | cut -d: -f1,6,7)"
echo "conf=$(stat -c %U:%G:%a /etc/pgfront/pgfront.ini)"
echo "enabled=$(readlink /etc/systemd/system/multi-user.target.wants/pgfront.service || true)"
echo "man=$(man -w pgfront 2>/dev/null) $(man -w 5 pgfront.ini 2>/dev/null)"
echo "version=$(/usr/sbin/pgfront -V)"

# As the unit runs it: ExecStartPre, then the daemon, as pgfront.
as_pgfront=(setpriv --reuid=pgfront --regid=pgfront --init-groups --no-new-privs --)
echo "check=$("${as_pgfront[@]}" /usr/sbin/pgfront -c -f /etc/pgfront/pgfront.ini 2>&1)"
"${as_pgfront[@]}" /usr/sbin/pgfront -f /etc/pgfront/pgfront.ini >"$t/pgfront.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	curl -fsS -o "$t/stats.csv" "http://127.0.0.1:15000/;csv" 2>/dev/null && break
	sleep 0.1
done
echo "stats=$(grep -c '^postgres_' "$t/stats.csv" 2>/dev/null || echo 0)"
echo "daemon_user=$(ps -o user= -p $pid)"
kill -TERM $pid
rc=0; wait $pid || rc=$?
echo "daemon_exit=$rc"
sed 's/^/log: /' "$t/pgfront.log"

dpkg --purge pgfront >>"$t/dpkg.log" 2>&1 || { cat "$t/dpkg.log"; exit 5; }
echo "purged=$(dpkg-query -W -f='${db:Status-Status}' pgfront 2>/dev/null || echo gone)"
echo "left=$(ls -d /usr/sbin/pgfront /etc/pgfront /lib/systemd/system/pgfront.service \
	/etc/systemd/system/multi-user.target.wants/pgfront.service 2>/dev/null | tr '\n' ' ')"
"""


def in_overlay(script_text, deb, tmp_path, *args, timeout=300):
    """Runs SCRIPT_TEXT (bash) with the package installed in a throwaway
    overlay of this machine; skips if pgfront is installed here for real."""
    script = tmp_path / "script.sh"
    script.write_text(script_text)
    work = tempfile.mkdtemp(prefix="pgfront-deb-overlay-")
    try:
        out = run(["unshare", "--mount", "--propagation", "private", "bash", str(script),
                   work, os.path.abspath(deb), *args], timeout=timeout)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if out.returncode == 3:
        pytest.skip("a pgfront package is installed on this machine; the test will not "
                    "install over it")
    return out


@pytest.mark.skipif(os.geteuid() != 0, reason="dpkg -i and mounts need root")
def test_dpkg_install_run_and_purge(deb, tmp_path):
    before = [os.path.exists(p) for p in ("/usr/sbin/pgfront", "/etc/pgfront")]
    out = in_overlay(INSTALL_SCRIPT, deb, tmp_path)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    got = dict(l.split("=", 1) for l in out.stdout.splitlines()
               if re.match(r"^[a-z_]+=", l))
    assert got["status"] == "installed", text
    assert got["user"] == "pgfront:/nonexistent:/usr/sbin/nologin", text
    assert got["conf"] == "root:pgfront:640", text
    assert got["enabled"] == "/lib/systemd/system/pgfront.service", text
    assert got["man"] == "/usr/share/man/man8/pgfront.8.gz /usr/share/man/man5/pgfront.ini.5.gz"
    assert got["version"].startswith("pgfront "), text
    assert got["check"] == "configuration is valid", text
    # Two listeners, each a FRONTEND, one server and a BACKEND row.
    assert got["stats"] == "6", text
    assert got["daemon_user"] == "pgfront", text
    assert got["daemon_exit"] == "0", text
    assert got["purged"] in ("gone", "not-installed"), text
    assert got["left"].strip() == "", text
    # Nothing of it outside the namespace.
    assert [os.path.exists(p) for p in ("/usr/sbin/pgfront", "/etc/pgfront")] == before


LAB_SCRIPT = OVERLAY_INSTALL + r"""
lab=$3/scripts/lab
export PGFRONT_LAB_DIR=/var/tmp/pgfront-lab-deb PGFRONT_LAB_PREFIX=pgfdeb-
rc=0
"$lab" up --from-deb || rc=$?
if ((rc == 0)); then
	"$lab" status || rc=$?
	for lb in lb1 lb2; do
		echo "$lb=$("$lab" exec $lb ps -o user=,args= -C pgfront)"
	done
	echo "write=$("$lab" psql 5432 'select pg_is_in_recovery()')"
fi
"$lab" down || rc=$?
exit $rc
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")
@pytest.mark.skipif(not shutil.which("patroni"), reason="patroni missing (scripts/install-deps)")
def test_lab_up_from_deb(deb, tmp_path):
    """scripts/lab up --from-deb: both balancers run the package's
    /usr/sbin/pgfront as user pgfront with /etc/pgfront/pgfront.ini, and a
    write through the VIP reaches the primary. Its own prefix and run dir."""
    out = in_overlay(LAB_SCRIPT, deb, tmp_path, REPO, timeout=600)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-4000:]
    assert "balancer pgfront (the Debian package's /usr/sbin/pgfront)" in text, text[-4000:]
    for lb in ("lb1", "lb2"):
        assert re.search(r"^%s=pgfront +/usr/sbin/pgfront -f /etc/pgfront/pgfront.ini$" % lb,
                         text, re.M), text[-4000:]
    assert re.search(r"^write=f$", text, re.M), text[-4000:]
    assert "no namespace pgfdeb-*" in text


# --- under a real systemd ----------------------------------------------------
# systemd is not PID 1 on the test machine, but it can be in a container:
# systemd-nspawn boots the Debian root of scripts/nspawn-root (a volatile
# overlay keeps it unchanged, the network is private), where this script runs
# once at boot and writes KEY=VALUE lines for the test.

NSPAWN_ROOT = os.environ.get("PGFRONT_NSPAWN_ROOT", "/var/tmp/pgfront-nspawn-root")

NSPAWN_SCRIPT = r"""#!/bin/bash
exec >/result/log 2>&1
out() { echo "$1=$2" >>/result/kv; }
show() { systemctl show -p "$1" --value pgfront; }
wait_for() {   # wait_for PROPERTY VALUE SECONDS
	for _ in $(seq $((10 * $3))); do [[ $(show "$1") == "$2" ]] && return 0; sleep 0.1; done
	return 1
}

# dpkg -i with systemd running: the postinst enables and starts the unit,
# and `systemctl start` returns once pgfront has sent READY=1.
dpkg -i /root/pgfront.deb; out install_rc $?
out enabled "$(systemctl is-enabled pgfront)"
out active "$(show ActiveState)/$(show SubState)"
out status_text "$(show StatusText)"
pid=$(show MainPID)
out uid "$(awk '/^Uid:/ { print $2 }' /proc/$pid/status)"
out pgfront_uid "$(id -u pgfront)"
out capeff "$(awk '/^CapEff:/ { print $2 }' /proc/$pid/status)"
out nonewprivs "$(awk '/^NoNewPrivs:/ { print $2 }' /proc/$pid/status)"
out listening "$(ss -Hltn | awk '{ print $4 }' | sort | tr '\n' ' ')"

# Reload: a valid file is applied (the reload job ends after READY=1); a
# broken one is refused by ExecReload's pgfront -c, and pgfront runs on.
cp /etc/pgfront/pgfront.ini /root/good.ini
sed -i 's/^bind = 127.0.0.1:15433$/bind = 127.0.0.1:15434/' /etc/pgfront/pgfront.ini
systemctl reload pgfront; out reload_rc $?
out reload_listening "$(ss -Hltn | awk '{ print $4 }' | sort | tr '\n' ' ')"
out reload_pid_same "$([[ $(show MainPID) == "$pid" ]] && echo yes || echo no)"
echo '[bogus' >>/etc/pgfront/pgfront.ini
systemctl reload pgfront; out bad_reload_rc $?
out bad_reload_active "$(show ActiveState)/$(show SubState)"
cp /root/good.ini /etc/pgfront/pgfront.ini

# VRRP in the sandbox: a veth pair inside the container's own network.
ip link add vr0 type veth peer name vr1
ip addr add 198.18.0.1/24 dev vr0
ip link set vr0 up; ip link set vr1 up
printf '[vrrp VI_T]\ninterface = vr0\nvirtual_router_id = 77\npriority = 255\nstate = MASTER\nvirtual_ipaddress = 198.18.0.100\n' \
	>>/etc/pgfront/pgfront.ini
systemctl restart pgfront; out vrrp_restart_rc $?
sleep 1
out vip_running "$(ip -br -4 addr show vr0 | awk '{ $1 = $2 = ""; print }' | xargs)"
systemctl stop pgfront; out stop_rc $?
out stop_result "$(show Result)"
out vip_stopped "$(ip -br -4 addr show vr0 | awk '{ $1 = $2 = ""; print }' | xargs)"
cp /root/good.ini /etc/pgfront/pgfront.ini

# Watchdog: a loop that stops turning is killed and restarted.
mkdir -p /etc/systemd/system/pgfront.service.d
printf '[Service]\nWatchdogSec=2s\n' >/etc/systemd/system/pgfront.service.d/wd.conf
systemctl daemon-reload
systemctl start pgfront
sleep 3
out watchdog_restarts_before "$(show NRestarts)"
kill -STOP "$(show MainPID)"
wait_for NRestarts 1 30 && wait_for SubState running 30
out watchdog_restarts_after "$(show NRestarts)"
out watchdog_active "$(show ActiveState)/$(show SubState)"
journalctl -u pgfront --no-pager | grep -q 'Watchdog timeout' && out watchdog_logged yes
rm -r /etc/systemd/system/pgfront.service.d
systemctl daemon-reload

# A broken file at start: ExecStartPre refuses it; after 5 tries the unit
# stays failed.
systemctl stop pgfront
echo '[bogus' >>/etc/pgfront/pgfront.ini
systemctl start pgfront; out bad_start_rc $?
wait_for ActiveState failed 60
out bad_start_state "$(show ActiveState)/$(show Result)"
journalctl -u pgfront --no-pager | grep -q 'Start request repeated too quickly' && out start_limit yes

# The daemon's lines reach the journal.
out journal_started "$(journalctl -u pgfront --no-pager | grep -c 'pgfront 0.*started with /etc/pgfront/pgfront.ini')"
journalctl -u pgfront --no-pager -o short-precise >/result/journal
out done yes
systemctl poweroff
"""

NSPAWN_UNIT = """[Unit]
Description=test_deb.py under systemd
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/bash /root/systemd-test.sh
"""


def outer_mount_namespace():
    """`ip netns exec` mounts a /sys of its own, without the cgroup
    hierarchies nspawn needs. The mount namespace of the nearest ancestor
    outside it has them, and the same files otherwise (nspawn's network is
    private either way); None if there is none."""
    own = os.readlink("/proc/self/ns/mnt")
    pid = os.getppid()
    while pid > 1:
        try:
            if os.readlink("/proc/%d/ns/mnt" % pid) != own:
                return "/proc/%d/ns/mnt" % pid
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return None
    return None


@pytest.mark.skipif(not shutil.which("systemd-nspawn"),
                    reason="systemd-nspawn missing (apt-get install systemd-container)")
@pytest.mark.skipif(not os.path.exists(os.path.join(NSPAWN_ROOT, "etc/os-release")),
                    reason="no Debian root for systemd-nspawn at %s: make one with "
                    "scripts/nspawn-root (debootstrap, about 150 MB from deb.debian.org)"
                    % NSPAWN_ROOT)
def test_under_systemd_in_nspawn(deb, tmp_path):
    """pgfront.service from the package under systemd 252 (Debian 12's):
    Type=notify start, reload and refused reload, the user, capabilities and
    sandbox with a real VRRP instance, the watchdog, the start limit."""
    script = tmp_path / "systemd-test.sh"
    script.write_text(NSPAWN_SCRIPT)
    unit = tmp_path / "pgfront-systemd-test.service"
    unit.write_text(NSPAWN_UNIT)
    result = tmp_path / "result"
    result.mkdir()
    cmd = ["systemd-nspawn", "--register=no", "--keep-unit", "--quiet", "--directory",
           NSPAWN_ROOT, "--volatile=overlay", "--private-network",
           "--bind-ro=%s:/root/pgfront.deb" % os.path.abspath(deb),
           "--bind-ro=%s:/root/systemd-test.sh" % script,
           "--bind-ro=%s:/etc/systemd/system/pgfront-systemd-test.service" % unit,
           "--bind=%s:/result" % result,
           "--boot", "--", "systemd.wants=pgfront-systemd-test.service"]
    if not os.listdir("/sys/fs/cgroup"):
        outer = outer_mount_namespace()
        if outer is None:
            pytest.skip("no cgroup hierarchy under /sys/fs/cgroup here (`ip netns exec` "
                        "mounts a /sys of its own): run this test outside it; its "
                        "network is private anyway")
        cmd = ["nsenter", "--mount=" + outer, "--"] + cmd
    boot = run(cmd, timeout=600, stdin=subprocess.DEVNULL)
    kv_path = result / "kv"
    kv = dict(l.split("=", 1) for l in kv_path.read_text().splitlines()) \
        if kv_path.exists() else {}
    log = (result / "log").read_text() if (result / "log").exists() else ""
    journal = (result / "journal").read_text() if (result / "journal").exists() else ""
    text = "kv: %r\n---- log\n%s\n---- journal\n%s\n---- nspawn\n%s" % (
        kv, log[-3000:], journal[-4000:], (boot.stdout + boot.stderr)[-2000:])
    assert kv.get("done") == "yes", text
    assert kv["install_rc"] == "0", text
    assert kv["enabled"] == "enabled", text
    assert kv["active"] == "active/running", text
    assert kv["status_text"] == "2 listener(s), 1 server(s)", text
    assert kv["uid"] == kv["pgfront_uid"] != "0", text
    # CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW and nothing else.
    assert kv["capeff"] == "0000000000003400", text
    assert kv["nonewprivs"] == "1", text
    assert kv["listening"].split() == ["127.0.0.1:15000", "127.0.0.1:15432",
                                       "127.0.0.1:15433"], text
    assert kv["reload_rc"] == "0", text
    assert kv["reload_listening"].split() == ["127.0.0.1:15000", "127.0.0.1:15432",
                                             "127.0.0.1:15434"], text
    assert kv["reload_pid_same"] == "yes", text
    assert kv["bad_reload_rc"] != "0", text
    assert kv["bad_reload_active"] == "active/running", text
    assert kv["vrrp_restart_rc"] == "0", text
    assert kv["vip_running"] == "198.18.0.1/24 198.18.0.100/32", text
    assert kv["stop_rc"] == "0" and kv["stop_result"] == "success", text
    assert kv["vip_stopped"] == "198.18.0.1/24", text
    assert kv["watchdog_restarts_before"] == "0", text
    assert kv["watchdog_restarts_after"] == "1", text
    assert kv["watchdog_active"] == "active/running", text
    assert kv.get("watchdog_logged") == "yes", text
    assert kv["bad_start_rc"] != "0", text
    # systemd 252 keeps the last attempt's result (exit-code) and logs the limit.
    assert kv["bad_start_state"] == "failed/exit-code", text
    assert kv.get("start_limit") == "yes", text
    assert int(kv["journal_started"]) >= 3, text
