"""With [global] user, the files pgfront opens after switching to that user
are checked as that user: `pgfront -c` and the start fail with the file's
line, instead of "valid" and then every TLS check failing (every server
DOWN) or a notify script that cannot run."""

import os
import shutil
import subprocess
import tempfile

import pytest

from helpers.pgfront import BINARY

USER = "nobody"


@pytest.fixture
def files():
    """A directory anyone may enter (pytest's own tmp_path is root's alone)."""
    d = tempfile.mkdtemp(prefix="pgft-user-", dir="/tmp")
    os.chmod(d, 0o755)

    def make(name, mode, text="x\n"):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    make.dir = d
    yield make
    shutil.rmtree(d)


def check(files, text):
    path = os.path.join(files.dir, "pgfront.ini")
    with open(path, "w") as f:
        f.write(text)
    out = subprocess.run([BINARY, "-c", "-f", path], capture_output=True, text=True,
                         timeout=10)
    return out.returncode, out.stdout + out.stderr, path


def tls_config(cert, key, user=USER):
    return """\
[global]
user = %s
[defaults]
check_tls = yes
check_cert_file = %s
check_key_file = %s
[server pg1]
address = 127.0.0.21:5432
[listen front]
bind = 127.0.0.222:6432
check = HEAD /primary
""" % (user, cert, key)


def test_a_check_key_only_root_can_read_is_an_error(files):
    cert = files("client.crt", 0o644)
    key = files("client.key", 0o600)
    rc, out, path = check(files, tls_config(cert, key))
    assert rc == 1, out
    assert out == ("%s:6: [defaults] check_key_file: %s: not readable by user nobody "
                   "(Permission denied)\n" % (path, key)), out
    # The daemon stops at the same line, before binding anything.
    run = subprocess.run([BINARY, "-f", path], capture_output=True, text=True, timeout=10)
    assert run.returncode == 1
    assert "check_key_file: %s: not readable by user nobody" % key in run.stderr, run.stderr
    # Readable by the user: valid.
    os.chmod(key, 0o640)
    os.chown(key, 0, 65534 if USER == "nobody" else 0)   # nobody's group: nogroup
    rc, out, _ = check(files, tls_config(cert, key))
    assert (rc, out) == (0, "configuration is valid\n"), out


def test_without_user_root_only_files_are_fine(files):
    """pgfront stays root: the files are read as root, as before."""
    cert = files("client.crt", 0o600)
    key = files("client.key", 0o600)
    text = tls_config(cert, key).replace("user = nobody\n", "")
    rc, out, _ = check(files, text)
    assert (rc, out) == (0, "configuration is valid\n"), out


def test_stats_key_and_notify_script_are_checked_as_the_user(files):
    cert = files("stats.crt", 0o644)
    key = files("stats.key", 0o600)
    notify = files("notify.sh", 0o700, "#!/bin/sh\nexit 0\n")
    text = """\
[global]
user = nobody
[server pg1]
address = 127.0.0.21:5432
[listen front]
bind = 127.0.0.222:6432
check = HEAD /primary
[stats]
bind = 127.0.0.222:5000
tls_cert_file = %s
tls_key_file = %s
[vrrp VI_01]
interface = lo
virtual_router_id = 51
virtual_ipaddress = 198.18.145.222
notify = %s
""" % (cert, key, notify)
    rc, out, path = check(files, text)
    assert rc == 1, out
    assert out.splitlines() == [
        "%s:11: [stats] tls_key_file: %s: not readable by user nobody (Permission denied)"
        % (path, key),
        "%s:16: [vrrp VI_01] notify: %s: not executable by user nobody (Permission denied)"
        % (path, notify),
    ], out
