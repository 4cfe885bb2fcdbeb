#!/usr/bin/python3
"""Read a local Patroni cluster's state from its members' REST APIs.

Used by scripts/cluster (as a command) and by tests/integration (as a module).
Only the standard library: it runs under Debian's /usr/bin/python3.

    patroni_state.py health  NAME=HOST ...   exit 0 when healthy, else print why
    patroni_state.py summary NAME=HOST ...   one line per member
    patroni_state.py config  NAME=HOST ...   print "ttl loop_wait retry_timeout"
    patroni_state.py leader  NAME=HOST ...   print the leader's name
"""

import json
import sys
import urllib.error
import urllib.request

REST_PORT = 8008


def get_json(host, path, timeout=2.0):
    """GET http://HOST:8008/PATH and decode it; None when it does not answer.

    Patroni answers /primary, /replica... with 503 and a JSON body too, so a
    non-200 status still carries a state.
    """
    url = "http://%s:%d%s" % (host, REST_PORT, path)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except ValueError:
            return None
    except (OSError, ValueError):
        return None


def cluster_view(nodes):
    """/cluster from the first member that answers, or None."""
    for host in nodes.values():
        view = get_json(host, "/cluster")
        if view is not None and "members" in view:
            return view
    return None


def leader(nodes):
    """Name of the member holding the leader key and running, or None."""
    view = cluster_view(nodes)
    if view is None:
        return None
    for m in view["members"]:
        if m.get("role") == "leader" and m.get("state") == "running":
            return m["name"]
    return None


def health(nodes):
    """(True, summary) when one leader runs and every other node streams from it.

    Patroni 3.0 reports replicas as state "running" in /cluster; that they
    stream is read from the leader's pg_stat_replication (GET /patroni).
    """
    view = cluster_view(nodes)
    if view is None:
        return False, "no Patroni REST API answers"
    members = {m["name"]: m for m in view["members"]}
    leaders = [n for n, m in members.items() if m.get("role") == "leader"]
    if len(leaders) != 1:
        return False, "leaders in DCS: %s" % (leaders or "none")
    lead = leaders[0]
    if members[lead].get("state") != "running":
        return False, "leader %s is %s" % (lead, members[lead].get("state"))
    status = get_json(nodes[lead], "/patroni")
    if status is None or status.get("role") not in ("master", "primary"):
        return False, "leader %s does not yet report itself primary" % lead
    streaming = {r.get("application_name") for r in status.get("replication", [])
                 if r.get("state") == "streaming"}
    for name in nodes:
        if name == lead:
            continue
        m = members.get(name)
        if m is None:
            return False, "%s is not registered in the DCS" % name
        if m.get("role") != "replica" or m.get("state") != "running":
            return False, "%s is %s/%s" % (name, m.get("role"), m.get("state"))
        if name not in streaming:
            return False, "%s is not streaming from %s" % (name, lead)
        if get_json(nodes[name], "/replica") is None:
            return False, "%s REST API does not answer" % name
    return True, summary(nodes, view)


def summary(nodes, view=None):
    view = view or cluster_view(nodes)
    if view is None:
        return "no Patroni REST API answers"
    lines = []
    for m in sorted(view["members"], key=lambda m: m["name"]):
        lag = m.get("lag", "")
        lines.append("  %-4s %-15s %-8s %-9s TL %-3s lag %s" % (
            m["name"], m.get("host", "?"), m.get("role", "?"),
            m.get("state", "?"), m.get("timeline", "-"),
            "" if lag == "" else lag))
    return "\n".join(lines)


def dcs_config(nodes):
    for host in nodes.values():
        cfg = get_json(host, "/config")
        if cfg is not None and "ttl" in cfg:
            return cfg
    return None


def parse_nodes(args):
    nodes = {}
    for a in args:
        name, _, host = a.partition("=")
        if not host:
            raise SystemExit("expected NAME=HOST, got %r" % a)
        nodes[name] = host
    return nodes


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cmd, nodes = argv[1], parse_nodes(argv[2:])
    if cmd == "health":
        ok, text = health(nodes)
        print(text)
        return 0 if ok else 1
    if cmd == "summary":
        print(summary(nodes))
        return 0
    if cmd == "leader":
        name = leader(nodes)
        if name:
            print(name)
        return 0 if name else 1
    if cmd == "config":
        cfg = dcs_config(nodes)
        if cfg is None:
            return 1
        print(cfg.get("ttl"), cfg.get("loop_wait"), cfg.get("retry_timeout"))
        return 0
    raise SystemExit("unknown command %r" % cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
