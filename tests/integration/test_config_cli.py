"""`pgfront -c` as an operator runs it: every error of a file, each with its
line, exit 1; a good file, "configuration is valid", exit 0. And pgfront
itself refuses to start on a bad file, changing nothing."""

import os
import socket
import subprocess

from helpers import REPO
from helpers.pgfront import BINARY


def check(tmp_path, text, name="pgfront.ini"):
    path = tmp_path / name
    path.write_text(text)
    out = subprocess.run([BINARY, "-c", "-f", str(path)], capture_output=True, text=True,
                         timeout=10)
    return out.returncode, out.stdout + out.stderr, str(path)


GOOD = """\
[global]
maxconn = 200
[defaults]
inter = 3s
[server pg1]
address = 127.0.0.11:5432
[listen postgres_write]
bind = 127.0.0.222:5432
balance = single
check = HEAD /primary
"""


def test_a_good_file_is_valid(tmp_path):
    rc, out, _ = check(tmp_path, GOOD)
    assert (rc, out) == (0, "configuration is valid\n")


def test_the_example_translation_of_the_seed_is_valid():
    out = subprocess.run([BINARY, "-c", "-f", os.path.join(REPO, "examples/pgfront.ini")],
                         capture_output=True, text=True, timeout=10)
    assert (out.returncode, out.stdout) == (0, "configuration is valid\n")


def test_every_error_is_reported_with_its_line(tmp_path):
    text = """\
[global]
maxconn = 0
log_level = loud
[defaults]
inter = 3
fall = 3
bogus = 1
[server pg1]
address = 127.0.0.11
[server pg2]
[server pg1]
address = 127.0.0.12:5432
[listen postgres_write]
bind = *:5432
balance = random
check = HEAD /primary
servers = pg1, pg9
this line has no equals sign
[listen postgres_read]
check = HEAD /replica
"""
    rc, out, path = check(tmp_path, text)
    assert rc == 1
    lines = out.splitlines()
    expected_lines = [2, 3, 5, 7, 9, 10, 11, 15, 17, 18, 19]
    got_lines = sorted({int(l.split(":")[1]) for l in lines})
    assert got_lines == expected_lines, out
    assert all(l.startswith(path + ":") for l in lines), out
    assert "%s:5: [defaults] inter: invalid value '3': a duration needs a unit (us, ms, s, m, h, d), e.g. '3s'" \
        % path in lines, out
    assert any(l.startswith("%s:10: [server pg2]" % path) and "address is required" in l
               for l in lines), out
    assert any(l.startswith("%s:19: [listen postgres_read]" % path) and "bind is required" in l
               for l in lines), out
    assert any(l.startswith("%s:17: [listen postgres_write] servers:" % path) and "pg9" in l
               for l in lines), out


def test_an_over_long_line_is_an_error_not_a_truncation(tmp_path):
    text = GOOD + "check_address = " + "1" * 300 + "\n"
    rc, out, path = check(tmp_path, text)
    assert rc == 1
    assert "%s:11: line is longer than 198 characters" % path in out


def test_a_missing_file_is_one_clear_error(tmp_path):
    out = subprocess.run([BINARY, "-c", "-f", str(tmp_path / "nope.ini")],
                         capture_output=True, text=True, timeout=10)
    assert out.returncode == 1
    assert "nope.ini:0: cannot open: No such file or directory" in out.stderr


def test_pgfront_does_not_start_on_a_bad_file(tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text(GOOD.replace("3s", "3"))
    out = subprocess.run([BINARY, "-f", str(path)], capture_output=True, text=True,
                         timeout=10)
    assert out.returncode == 1
    assert "a duration needs a unit" in out.stderr
    with socket.socket() as s:          # it never bound its port
        assert s.connect_ex(("127.0.0.222", 5432)) != 0


def test_version():
    out = subprocess.run([BINARY, "-V"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0 and out.stdout.startswith("pgfront ")
