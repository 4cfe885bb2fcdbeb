"""The churn in a network namespace of its own (pgf-soak-churn), made
and removed here: churn.py runs inside it (loopback only, nothing of the
lab), so it needs neither the lab nor its lock."""

import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
NETNS = "pgf-soak-churn"


def run(out, sessions, clients, slice_s):
    subprocess.run(["ip", "netns", "del", NETNS], stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "add", NETNS], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", NETNS, "/usr/bin/python3",
                        os.path.join(HERE, "churn.py"), "--sessions", str(sessions),
                        "--clients", str(clients), "--slice", str(slice_s), "--out", out],
                       check=True)
    finally:
        subprocess.run(["ip", "netns", "del", NETNS])
    with open(os.path.join(out, "churn.json")) as f:
        return json.load(f)
