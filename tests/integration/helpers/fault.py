"""pgfront with tests/shim/libfault.so preloaded: chosen libc calls fail
(setsockopt of named options, malloc of one size, TCP socket()), always or
only while a flag file exists. See tests/shim/fault.c."""

import os
import subprocess

import pytest

from . import REPO
from .pgfront import Pgfront

SHIM = os.path.join(REPO, "tests", "shim", "libfault.so")


def shim():
    if not os.path.exists(SHIM):
        pytest.fail("%s is missing: `make tests/shim/libfault.so` (make integration-test "
                    "builds it)" % SHIM, pytrace=False)
    return SHIM


class ShimmedPgfront(Pgfront):
    """pgfront with the fault shim preloaded and ENV (PGFRONT_FAULT_*) set;
    WRAPPER (e.g. prlimit ...) runs it."""

    def __init__(self, config, workdir, env, wrapper=()):
        super().__init__(config, workdir)
        self.env = {**os.environ, "LD_PRELOAD": shim(), **env}
        self.wrapper = list(wrapper)

    def start(self):
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([*self.wrapper, self.binary, "-f", self.config_path],
                                     env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, cwd=self.workdir)
        return self

    def cpu_seconds(self):
        """User + system CPU time the process has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Some server is UP: what a test waits for before it connects.
UP_RE = r"/\w+: \w+ -> UP"


@pytest.fixture
def shimmed(tmp_path):
    """shimmed(config, **env) -> a started ShimmedPgfront, up and routing;
    SIGTERM and exit 0 at teardown."""
    started = []

    def start(cfg, wrapper=(), **env):
        p = ShimmedPgfront(cfg, str(tmp_path / ("pf%d" % len(started))), env, wrapper)
        started.append(p)
        p.start()
        p.wait_listening()
        p.wait_log(UP_RE)
        return p

    yield start
    for p in started:
        if p.returncode is None:
            assert p.stop() == 0, p.tail()
