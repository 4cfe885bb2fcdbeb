"""`pgfront import HAPROXY_CFG [KEEPALIVED_CONF]`: the seed's haproxy.cfg and
keepalived.conf (as the seed wrote them, and appended to Debian 12's default
haproxy.cfg), and Patroni's documented HAProxy configurations, translated into
a pgfront.ini that `pgfront -c` accepts; what is left out is reported as
FILE:LINE, with exit status 2 when it changes routing. And the translated file,
run against stub Patroni APIs, routes the write port to the primary.

The fixtures are in fixtures/import/: the seed's texts copied from
/work/shared/seed (sections 4.4 and 4.5), Debian 12's /etc/haproxy/haproxy.cfg
(haproxy 2.6.12-1+deb12u4) with the seed's appended, Patroni's haproxy.cfg and
its confd templates rendered for three (or, Citus, four) members.
"""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from helpers.pg import startup_message
from helpers.pgfront import BINARY
from helpers.stubs import PatroniStub, TcpServer

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "import")


def fixture(name):
    return os.path.join(FIX, name)


def run_import(*paths):
    out = subprocess.run([BINARY, "import", *paths], capture_output=True, text=True, timeout=10)
    return out.returncode, out.stdout, out.stderr


def check_accepts(tmp_path, text):
    path = tmp_path / "imported.ini"
    path.write_text(text)
    out = subprocess.run([BINARY, "-c", "-f", str(path)], capture_output=True, text=True,
                         timeout=10)
    assert (out.returncode, out.stdout) == (0, "configuration is valid\n"), out.stderr
    return path


def parse(text):
    """{section: {key: value}} of an INI text, comments after ' ;' dropped;
    repeated keys (bind) become lists."""
    sections, cur = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        m = re.match(r"\[(.+)\]$", line)
        if m:
            cur = sections.setdefault(m.group(1), {})
            continue
        key, _, value = line.partition("=")
        value = re.split(r"\s;", value, 1)[0].strip()
        key = key.strip()
        if key in cur:
            cur[key] = (cur[key] if isinstance(cur[key], list) else [cur[key]]) + [value]
        else:
            cur[key] = value
    return sections


def finding_lines(stderr, name):
    """{line: text} of the FILE:LINE: findings about file NAME."""
    out = {}
    for line in stderr.splitlines():
        m = re.match(r"(.+?):(\d+): (.*)$", line)
        if m and os.path.basename(m.group(1)) == name:
            out.setdefault(int(m.group(2)), []).append(m.group(3))
    return out


SEED_SERVERS = {"ubn-pgsql-1": "192.168.145.201:5432", "ubn-pgsql-2": "192.168.145.202:5432",
                "ubn-pgsql-3": "192.168.145.203:5432"}


def assert_seed_cluster(ini):
    """What the seed's haproxy.cfg says, as pgfront keys."""
    d = ini["defaults"]
    assert ini["global"]["maxconn"] == "200"
    assert (d["retries"], d["timeout_connect"], d["timeout_client"], d["timeout_server"],
            d["timeout_check"], d["timeout_queue"]) == ("2", "4s", "30m", "30m", "5s", "4s")
    assert (d["inter"], d["fall"], d["rise"]) == ("3s", "3", "2")
    assert d["on_marked_down"] == "shutdown-sessions"
    assert (d["check_port"], d["maxconn"]) == ("8008", "90")
    servers = {s[len("server "):]: v["address"] for s, v in ini.items() if s.startswith("server ")}
    assert servers == SEED_SERVERS
    w, r = ini["listen postgres_write"], ini["listen postgres_read"]
    assert (w["bind"], w["balance"], w["check"], w["expect_status"]) == \
        ("*:5432", "single", "HEAD /primary", "200")
    assert (r["bind"], r["balance"], r["check"], r["expect_status"]) == \
        ("*:5433", "roundrobin", "HEAD /replica", "200")
    assert "servers" not in w and "servers" not in r        # every [server], in order
    assert ini["stats"] == {"bind": "*:5000", "uri": "/"}


@pytest.mark.parametrize("name", ["seed-haproxy.cfg", "debian12-seed-haproxy.cfg",
                                  "patroni-haproxy.cfg", "patroni-confd-haproxy.cfg"])
def test_the_fixtures_are_files_haproxy_accepts(name):
    """What is translated is what HAProxy itself runs (Debian's 2.6)."""
    if not shutil.which("haproxy"):
        pytest.skip("haproxy is not installed (scripts/install-deps installs it)")
    out = subprocess.run(["haproxy", "-c", "-q", "-f", fixture(name)], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0, out.stderr


def test_the_seed_translates_with_nothing_that_routes_left_out(tmp_path):
    rc, out, err = run_import(fixture("seed-haproxy.cfg"), fixture("seed-keepalived-haprx-1.conf"))
    assert rc == 0, err
    check_accepts(tmp_path, out)
    ini = parse(out)
    assert_seed_cluster(ini)
    assert ini["vrrp VI_01"] == {
        "state": "MASTER", "interface": "ens33", "virtual_router_id": "51", "priority": "101",
        "virtual_ipaddress": "192.168.145.222",
        # killall -0 haproxy, weight 2: this balancer can serve, +2
        "track_listener": "postgres_write", "track_weight": "2"}
    # each value names its line: default-server is line 23 of the seed's file
    assert re.search(r"^inter = 3s\s+; seed-haproxy\.cfg:23,33$", out, re.M), out
    # left out, and said so: log global (line 5); lvs_id and interval 2 of keepalived
    assert "seed-haproxy.cfg:5: left out 'log global'" in err
    ka = finding_lines(err, "seed-keepalived-haprx-1.conf")
    assert sorted(ka) == [3, 8], err
    assert "changes routing" not in err


def test_the_second_balancer_is_the_backup(tmp_path):
    rc, out, err = run_import(fixture("seed-haproxy.cfg"), fixture("seed-keepalived-haprx-2.conf"))
    assert rc == 0, err
    check_accepts(tmp_path, out)
    v = parse(out)["vrrp VI_01"]
    assert (v["state"], v["priority"], v["virtual_router_id"]) == ("BACKUP", "100", "51")


def test_debian_default_file_with_the_seed_appended(tmp_path):
    rc, out, err = run_import(fixture("debian12-seed-haproxy.cfg"))
    assert rc == 0, err                    # Debian's defaults apply to no proxy
    check_accepts(tmp_path, out)
    assert_seed_cluster(parse(out))
    found = finding_lines(err, "debian12-seed-haproxy.cfg")
    # Debian's defaults section (line 20), its mode http (22) and errorfiles (28-34)
    assert any("left out 'defaults'" in t and "line 38 replaces it" in t for t in found[20]), err
    assert any("left out 'mode http'" in t for t in found[22]), err
    for line in range(28, 35):
        assert any(t.startswith("left out 'errorfile") for t in found[line]), (line, err)
    # and its global lines: chroot, stats socket, user, daemon...
    for line in (4, 5, 7, 9):
        assert line in found, (line, err)
    # every finding is FILE:LINE: ...
    lines = err.splitlines()
    assert all(re.match(r"\S+:\d+: (left out|note)", l) for l in lines[:-1]), err
    assert lines[-1] == "pgfront import: %d finding(s), 0 changing routing: nothing that " \
        "routes was left out" % (len(lines) - 1), err


def test_patroni_haproxy_cfg(tmp_path):
    """Patroni's own haproxy.cfg: `option httpchk` (OPTIONS /, the primary),
    two nodes on one host with their REST APIs on 8008 and 8009."""
    rc, out, err = run_import(fixture("patroni-haproxy.cfg"))
    assert rc == 0, err
    check_accepts(tmp_path, out)
    ini = parse(out)
    b = ini["listen batman"]
    # OPTIONS answers without Patroni's body: the write port asks GET
    assert (b["bind"], b["balance"], b["check"]) == ("*:5000", "single", "GET /")
    assert ini["server postgresql_127.0.0.1_5432"] == {"address": "127.0.0.1:5432",
                                                       "check_port": "8008"}
    assert ini["server postgresql_127.0.0.1_5433"] == {"address": "127.0.0.1:5433",
                                                       "check_port": "8009"}
    assert ini["stats"]["bind"] == "*:7000"
    assert ini["global"]["maxconn"] == "100"


def test_patroni_confd_template(tmp_path):
    rc, out, err = run_import(fixture("patroni-confd-haproxy.cfg"))
    assert rc == 0, err
    check_accepts(tmp_path, out)
    ini = parse(out)
    assert (ini["listen primary"]["balance"], ini["listen primary"]["check"]) == \
        ("single", "HEAD /primary")
    assert (ini["listen replicas"]["balance"], ini["listen replicas"]["check"]) == \
        ("roundrobin", "HEAD /replica")
    assert [s for s in ini if s.startswith("server ")] == ["server pg1", "server pg2", "server pg3"]


def test_patroni_citus_template_checks_over_tls(tmp_path):
    """check-ssl, ca-file and crt become check_tls and its files; they do not
    exist on this machine, which the importer says (pgfront -c would too)."""
    rc, out, err = run_import(fixture("patroni-confd-haproxy-citus.cfg"))
    d = parse(out)["defaults"]
    assert (d["check_tls"], d["check_ca_file"], d["check_cert_file"], d["check_key_file"]) == \
        ("yes", "/etc/ssl/certs/ssl-cert-snakeoil.pem", "/etc/ssl/private/ssl-cert-snakeoil.crt",
         "/etc/ssl/private/ssl-cert-snakeoil.crt")
    if not os.path.exists("/etc/ssl/certs/ssl-cert-snakeoil.pem"):
        assert rc == 2
        assert "does not pass pgfront -c" in err and "cannot read /etc/ssl/certs" in err, err


def test_frontend_backend_old_and_new_checks_and_what_routes_differently(tmp_path):
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text("""\
global
    maxconn 300
defaults
    mode tcp
    timeout connect 2000
    timeout client 1h
    timeout server 1h
    default-server inter 2s fall 2 rise 1
frontend fe_write
    bind 127.0.0.222:5432
    default_backend be_write
backend be_write
    option httpchk OPTIONS /master
    http-check send meth HEAD uri /primary
    http-check expect status 200
    server n1 127.0.0.21:5432 check port 8008 on-marked-down shutdown-sessions
    server n2 127.0.0.22:5432 check port 8008 inter 500ms
frontend fe_read
    bind 127.0.0.222:5433
    acl net src 10.0.0.0/8
    use_backend be_read if net
    default_backend be_read
backend be_read
    balance first
    option httpchk GET /replica HTTP/1.1\\r\\nHost:\\ patroni
    server n1 127.0.0.21:5432 check port 8008 maxconn 10
    server n3 127.0.0.23 check port 8008 backup
listen web
    mode http
    bind *:8080
    server w 127.0.0.29:80 check
""")
    rc, out, err = run_import(str(cfg))
    assert rc == 2, err
    check_accepts(tmp_path, out)
    ini = parse(out)
    w, r = ini["listen fe_write"], ini["listen fe_read"]
    assert (w["bind"], w["balance"], w["check"]) == ("127.0.0.222:5432", "single", "HEAD /primary")
    assert (r["balance"], r["check"], r["backup"]) == ("first", "GET /replica", "n3")
    assert ini["defaults"]["timeout_connect"] == "2s"     # a bare number is milliseconds
    assert ini["defaults"]["timeout_client"] == "1h"
    # n1 has different settings per backend: one [server] per listener
    n1 = [s for s in ini if s.startswith("server n1")]
    assert len(n1) == 2, out
    assert ini["server n2"]["inter"] == "500ms"
    # n3 had no port: the client's, as HAProxy
    n3 = [v for s, v in ini.items() if s.startswith("server n3")][0]
    assert n3["address"] == "127.0.0.23:5433"
    found = finding_lines(err, "haproxy.cfg")
    assert any("changes routing" in t and "use_backend" in t for t in found[21]), err
    assert any("changes routing" in t and "mode http" in t for t in found[28]), err
    assert "listen web" not in ini and "listen fe_write" in ini


def test_an_unreadable_file_is_status_1(tmp_path):
    rc, out, err = run_import(str(tmp_path / "missing.cfg"))
    assert (rc, out) == (1, "")
    assert "missing.cfg" in err and "No such file" in err
    rc, _, err = run_import()
    assert rc == 1 and "usage" in err


# -- the translated file routes as HAProxy did ------------------------------

def greeting(port, timeout=10):
    """The first bytes a server behind 127.0.0.222:PORT sends: its name."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.222", port), timeout=2) as s:
                s.sendall(startup_message())    # pgfront picks a server only then
                data = s.recv(64)
                # An ErrorResponse is pgfront refusing: no server UP yet.
                if data and not data.startswith(b"E"):
                    return data.decode()
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("nothing routed on :%d within %ss" % (port, timeout))
        time.sleep(0.1)


def test_translated_seed_routes_writes_to_the_primary(tmp_path, pgfront):
    """The seed's haproxy.cfg with the stubs' addresses: the write port goes
    to the one stub answering 200 to /primary, the read port to the others."""
    text = open(fixture("seed-haproxy.cfg")).read()
    for i in (1, 2, 3):
        text = text.replace("192.168.145.20%d" % i, "127.0.0.2%d" % i)
    text = re.sub(r"bind \*:(\d+)", r"bind 127.0.0.222:\1", text)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(text)
    rc, out, err = run_import(str(cfg))
    assert rc == 0, err
    stubs, servers = {}, []
    try:
        for i, role in ((1, "replica"), (2, "primary"), (3, "replica")):
            stubs[i] = PatroniStub("127.0.0.2%d" % i, role)
            servers.append(TcpServer("127.0.0.2%d" % i, 5432, mode="silent",
                                     greeting=b"ubn-pgsql-%d" % i))
        pgfront(out)
        assert greeting(5432) == "ubn-pgsql-2"
        reads = {greeting(5433) for _ in range(4)}
        assert reads <= {"ubn-pgsql-1", "ubn-pgsql-3"} and reads, reads
        # a switchover: pg3 becomes the primary; new writes follow it
        stubs[2].set(role="replica")
        stubs[3].set(role="primary")
        deadline = time.monotonic() + 15
        while greeting(5432) != "ubn-pgsql-3":
            assert time.monotonic() < deadline, "writes never went to the new primary"
            time.sleep(0.2)
    finally:
        for s in list(stubs.values()) + servers:
            s.stop()


# -- the translated VRRP instance speaks with the seed's keepalived ------------

def lab_text(name, mapping):
    text = open(fixture(name)).read()
    for old, new in mapping.items():
        text = text.replace(old, new)
    return text


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "no %s within %ss" % (what, timeout)
        time.sleep(0.1)


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces and VRRP need root")
def test_translated_balancer_and_the_seeds_keepalived_share_the_vip(tmp_path):
    """ubn-haprx-1 translated (pgfront, MASTER 101) and ubn-haprx-2 as the seed
    wrote it (keepalived, BACKUP 100, its killall -0 haproxy check failing):
    pgfront holds the VIP; stopped, it hands the VIP to keepalived at once."""
    if not shutil.which("keepalived"):
        pytest.skip("keepalived is not installed (scripts/install-deps installs it)")
    from helpers.netns import Lab, NsPgfront
    vip, a_addr, b_addr = "198.18.145.222", "198.18.145.11", "198.18.145.12"
    # the lab's range instead of the seed's network; no packet leaves the namespaces
    mapping = {"192.168.145.222": vip, "ens33": "eth0", "192.168.145.201": "198.18.145.31",
               "192.168.145.202": "198.18.145.32", "192.168.145.203": "198.18.145.33"}
    hap, ka1 = tmp_path / "haproxy.cfg", tmp_path / "keepalived-1.conf"
    hap.write_text(lab_text("seed-haproxy.cfg", mapping))
    ka1.write_text(lab_text("seed-keepalived-haprx-1.conf", mapping))
    ka2 = tmp_path / "keepalived-2.conf"
    ka2.write_text(lab_text("seed-keepalived-haprx-2.conf", mapping))
    rc, ini, err = run_import(str(hap), str(ka1))
    assert rc == 0, err
    with Lab("pgft-imp") as lab:
        a, b = lab.host("a", a_addr), lab.host("b", b_addr)
        lab.wait_link()
        log = open(tmp_path / "keepalived.log", "ab")
        ka = b.popen("keepalived", "-n", "-l", "-D", "-P", "-f", str(ka2),
                     "-p", str(tmp_path / "ka.pid"), "-r", str(tmp_path / "vrrp.pid"),
                     stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        p = NsPgfront(a, ini, str(tmp_path / "pgfront"))
        try:
            p.start()
            wait_until(lambda: a.has(vip) and not b.has(vip), 15, "VIP on the pgfront balancer")
            time.sleep(3.5)         # keepalived's Master_Down_Interval: it hears the adverts
            assert a.has(vip) and not b.has(vip)
            p.stop()
            wait_until(lambda: b.has(vip) and not a.has(vip), 5, "VIP on keepalived's balancer")
            assert "vrrp VI_01: MASTER -> INIT (shutdown)" in p.log(), p.tail()
            assert "received priority 0 advertisement" in \
                open(tmp_path / "keepalived.log", errors="replace").read()
        except AssertionError:
            print(p.tail(40))
            print(open(tmp_path / "keepalived.log", errors="replace").read()[-3000:])
            raise
        finally:
            if p.alive():
                p.stop()
            ka.terminate()
            try:
                ka.wait(5)
            except subprocess.TimeoutExpired:
                ka.kill()
                ka.wait()
            log.close()
