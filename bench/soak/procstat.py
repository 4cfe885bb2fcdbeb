"""A process's memory and descriptors, read from /proc (any network
namespace: the soak's pgfront runs in the lab's or in a namespace of its
own, the PID namespace is the machine's), once or sampled in a thread."""

import os
import threading
import time


def sample(pid):
    """{"t", "rss_kib", "hwm_kib", "fds"} of PID now; None once it is gone."""
    out = {"t": time.time()}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_kib"] = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    out["hwm_kib"] = int(line.split()[1])
        out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, ValueError):
        return None
    return out


class Sampler:
    """sample(PID) every INTERVAL seconds until stop(); keeps them all."""

    def __init__(self, pid, interval=1.0):
        self.pid = pid
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            s = sample(self.pid)
            if s is None:
                return
            self.samples.append(s)
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self.samples


def peak(samples, key):
    return max((s[key] for s in samples if key in s), default=None)


def summary(before, after, samples):
    """Before, after and peak of RSS (KiB) and descriptors; the peak also
    counts VmHWM, which catches a peak between two samples."""
    every = [s for s in [before, after] + list(samples) if s]
    return {
        "rss_kib": {"before": before and before["rss_kib"], "after": after and after["rss_kib"],
                    "peak": max(peak(every, "rss_kib") or 0, peak(every, "hwm_kib") or 0)},
        "fds": {"before": before and before["fds"], "after": after and after["fds"],
                "peak": peak(every, "fds")},
    }
