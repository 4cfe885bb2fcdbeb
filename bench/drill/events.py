"""What the balancers and Patroni said during a drill, read from their logs.

Pure: functions take log text (the part written since the drill's start) and
return events; nothing here opens a file.  An event is a dict:

    t       seconds since the epoch (every lab daemon logs in UTC)
    host    lb1, lb2, pg1.., or "drill" / "vip"
    source  pgfront, haproxy, keepalived, patroni, vip, drill
    kind    action (what the drill did), vip (who holds the VIP), mark (a
            balancer marked a server), role (Patroni changed a node's role),
            info (anything else worth a line)
    text    one short line
"""

import datetime
import re

UTC = datetime.timezone.utc


def _epoch(dt):
    return dt.replace(tzinfo=UTC).timestamp() if dt.tzinfo is None else dt.timestamp()


def event(t, host, source, kind, text):
    return {"t": t, "host": host, "source": source, "kind": kind, "text": text}


# --- pgfront -------------------------------------------------------------

_PGFRONT_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) pgfront\[(\w+)\]: (.*)$")
_PGFRONT_HEALTH = re.compile(r"^(\S+)/(\S+): ([A-Z]+) -> ([A-Z]+)\b(.*)$")
_PGFRONT_CLOSED = re.compile(r"^(\S+)/(\S+): closed (\d+) session")
_VRRP_STATE = re.compile(r"\b(INIT|BACKUP|MASTER|FAULT)\b")


def parse_pgfront(text, host):
    """Health changes, sessions closed, VRRP transitions and warnings."""
    out = []
    for line in text.splitlines():
        m = _PGFRONT_LINE.match(line)
        if not m:
            continue
        stamp, level, msg = m.groups()
        t = _epoch(datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f"))
        h = _PGFRONT_HEALTH.match(msg)
        if h and "vrrp" not in h.group(1).lower():
            listener, server, old, new, why = h.groups()
            out.append(event(t, host, "pgfront", "mark",
                             "%s/%s %s -> %s%s" % (listener, server, old, new, why)))
            continue
        c = _PGFRONT_CLOSED.match(msg)
        if c:
            out.append(event(t, host, "pgfront", "info",
                             "%s/%s: closed %s session(s)" % c.groups()))
            continue
        if msg.startswith("vrrp ") and (("->" in msg and _VRRP_STATE.search(msg))
                                        or " added to " in msg or " removed from " in msg):
            out.append(event(t, host, "pgfront", "vip", msg))
            continue
        if level in ("warning", "err") and not msg.startswith(("postgres_write:", "postgres_read:")):
            out.append(event(t, host, "pgfront", "info", msg))
    return out


# --- HAProxy -------------------------------------------------------------

# `log stderr format iso`: "2026-11-26T02:37:54.297291+00:00 Server ..."
_HAPROXY_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d) (.*)$")
_HAPROXY_SERVER = re.compile(r"^(?:\[\w+\]\s+\(\d+\) : )?Server (\S+) is (UP|DOWN)(?:, reason: ([^,]*))?")
_HAPROXY_NONE = re.compile(r"(?:backend|proxy) '?(\S+?)'? has no server available")


def parse_haproxy(text, host):
    out = []
    for line in text.splitlines():
        m = _HAPROXY_LINE.match(line)
        if not m:
            continue          # the master's own copy, without a time stamp
        t = _epoch(datetime.datetime.fromisoformat(m.group(1)))
        msg = m.group(2)
        s = _HAPROXY_SERVER.match(msg)
        if s:
            server, state, reason = s.groups()
            out.append(event(t, host, "haproxy", "mark",
                             "%s %s%s" % (server, state, " (%s)" % reason if reason else "")))
            continue
        n = _HAPROXY_NONE.search(msg)
        if n:
            out.append(event(t, host, "haproxy", "mark", "%s has no server available" % n.group(1)))
    return out


# --- keepalived ----------------------------------------------------------

# --log-console: "Thu Nov 26 02:37:57 2026: (VI_01) Entering MASTER STATE"
_KEEPALIVED_LINE = re.compile(r"^(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}): (.*)$")
_KEEPALIVED_KEEP = (
    (re.compile(r"Entering (\w+) STATE"), "vip"),
    (re.compile(r"Changing effective priority"), "info"),
    (re.compile(r"Script `\w+` now returning"), "info"),
    (re.compile(r"received advert .* higher priority"), "info"),
    (re.compile(r"[Ss]topped|Stopping"), "info"),
)


def parse_keepalived(text, host):
    out = []
    for line in text.splitlines():
        m = _KEEPALIVED_LINE.match(line)
        if not m:
            continue
        msg = m.group(2)
        for pattern, kind in _KEEPALIVED_KEEP:
            if pattern.search(msg):
                t = _epoch(datetime.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %Y"))
                out.append(event(t, host, "keepalived", kind, msg))
                break
    return out


# --- Patroni -------------------------------------------------------------

_PATRONI_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (\w+): (.*)$")
_PATRONI_KEEP = (
    (re.compile(r"promoted self to leader"), "role"),
    (re.compile(r"[Dd]emot"), "role"),
    (re.compile(r"manual failover"), "role"),
    (re.compile(r"Lock owner: None"), "info"),
    (re.compile(r"[Ll]eader key released|released leader key"), "info"),
    (re.compile(r"pg_rewind"), "info"),
    (re.compile(r"Got response from .* (?:is in|was)"), "info"),
    (re.compile(r"following a different leader|changing primary_conninfo"), "info"),
)


def parse_patroni(text, host):
    """Role changes and a few steps of an election; one line per kind of
    message per host in a row (Patroni repeats itself every loop)."""
    out = []
    last = None
    for line in text.splitlines():
        m = _PATRONI_LINE.match(line)
        if not m:
            continue
        msg = m.group(3)
        for pattern, kind in _PATRONI_KEEP:
            if pattern.search(msg):
                if msg == last:
                    break
                last = msg
                t = _epoch(datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f"))
                out.append(event(t, host, "patroni", kind, msg[:140]))
                break
    return out


# --- ip -ts monitor address ----------------------------------------------

_IPMON_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\] (Deleted )?\d+: (\S+)\s+inet (\S+)/")


def parse_ip_monitor(text, host, address):
    """ADDRESS added to or removed from HOST's interfaces, to the microsecond."""
    out = []
    for line in text.splitlines():
        m = _IPMON_LINE.match(line)
        if not m or m.group(4) != address:
            continue
        t = _epoch(datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f"))
        what = "removed from" if m.group(2) else "added to"
        out.append(event(t, host, "netlink", "vip", "%s %s %s" % (address, what, m.group(3))))
    return out


PARSERS = {
    "pgfront": parse_pgfront,
    "haproxy": parse_haproxy,
    "keepalived": parse_keepalived,
    "patroni": parse_patroni,
}


def vip_events(samples):
    """Events from the VIP watcher's (t, holders) samples: one per change."""
    out = []
    prev = None
    for t, holders in samples:
        if holders != prev:
            where = " and ".join(holders) if holders else "no balancer"
            out.append(event(t, "vip", "vip", "vip", "VIP on %s" % where))
            prev = holders
    return out


_CLIENT = re.compile(r"\b\d+\.\d+\.\d+\.\d+:\d+\b")


def collapse(events, window=2.0):
    """One event for a burst of the same message from the same host (client
    addresses aside): the first, with "(xN)" when it came N times, each
    within WINDOW seconds of the one before.  EVENTS in time order."""
    out, last = [], {}
    for e in events:
        key = (e["host"], e["source"], e["kind"], _CLIENT.sub("*", e["text"]))
        kept = last.get(key)
        if kept is not None and e["t"] - kept["last_t"] <= window:
            kept["n"] += 1
            kept["last_t"] = e["t"]
            continue
        kept = dict(e, n=1, last_t=e["t"])
        last[key] = kept
        out.append(kept)
    for e in out:
        if e["n"] > 1:
            e["text"] = "%s (x%d in %.1f s)" % (_CLIENT.sub("*", e["text"]), e["n"],
                                               e["last_t"] - e["t"])
        del e["n"], e["last_t"]
    return out


def within(events, t0, t1):
    """Events between t0 and t1 (seconds since the epoch), in time order."""
    return sorted((e for e in events if t0 <= e["t"] <= t1), key=lambda e: e["t"])
