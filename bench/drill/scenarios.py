"""The seed's failover scenarios: what the drill does to the lab, and how it
puts things back afterwards (outside the measured window).

Each scenario acts on the state reset() leaves: Patroni's leader on pg1,
the VIP on lb1, both balancers running and routing correctly."""

import time

from lab import HOST_NAME


class Scenario:
    key = ""
    title = ""
    seconds = 60          # length of the load; the action comes at lead_in
    think_ms = None       # the clients' pause; None: the drill's --think

    def skip_reason(self, ctx):
        return None

    def act(self, ctx):
        """Do it; return a one-line description (the action event)."""
        raise NotImplementedError

    def restore(self, ctx):
        pass


class StopBalancer(Scenario):
    key = "balancer"
    title = "stop the MASTER balancer"
    seconds = 60

    def skip_reason(self, ctx):
        if ctx.balancer == "direct":
            return ("direct mode: the clients connect to the PostgreSQL nodes, no balancer "
                    "is in their path")
        if ctx.balancer == "pgfront" and not ctx.lab.pgfront_has_vrrp():
            return "this pgfront has no VRRP yet ([vrrp] not accepted): the VIP cannot move"
        return None

    def act(self, ctx):
        ctx.target = ctx.vip_holder
        ctx.lab.run("stop-balancer", ctx.target, quiet=True)
        if ctx.balancer == "pgfront":
            return "SIGTERM pgfront on %s (the VIP holder)" % ctx.target
        return ("SIGTERM HAProxy on %s (the VIP holder; keepalived runs on, as in the "
                "seed's test)" % ctx.target)

    def restore(self, ctx):
        ctx.lab.run("start-balancer", ctx.target, quiet=True)


class KillBalancer(StopBalancer):
    """A crash of the balancer service: pgfront sends no priority-0 advert
    and leaves the VIP on its interface, so its peer takes over only after
    the master-down interval (3 adverts and the skew time)."""
    key = "balancer-kill"
    title = "kill -9 the MASTER balancer"

    def act(self, ctx):
        ctx.target = ctx.vip_holder
        ctx.lab.run("kill-balancer", ctx.target, quiet=True)
        # On a busy machine scripts/lab takes seconds to find the processes:
        # the kill landed between the action and this note.
        ctx.note("scripts/lab kill-balancer returned: the balancer on %s is gone" % ctx.target)
        if ctx.balancer == "pgfront":
            return "kill -9 pgfront on %s (the VIP holder)" % ctx.target
        return ("kill -9 HAProxy on %s (the VIP holder; keepalived runs on, as in the "
                "seed's test)" % ctx.target)


class Switchover(Scenario):
    key = "switchover"
    title = "patronictl switchover (planned)"
    seconds = 60

    def act(self, ctx):
        ctx.target = "pg2" if ctx.leader != "pg2" else "pg3"
        ctx.lab.run("patronictl", "switchover", "--leader", HOST_NAME[ctx.leader],
                    "--candidate", HOST_NAME[ctx.target], "--force", quiet=True)
        return "patronictl switchover %s -> %s" % (HOST_NAME[ctx.leader], HOST_NAME[ctx.target])


class SwitchoverFast(Switchover):
    """The issue asks for the switchover also with clients at full speed:
    with a pause between transactions an outage is only known to within
    think / clients, and a balancer's choices (refuse now or hold) weigh
    differently when clients retry back to back."""
    key = "switchover-fast"
    title = "patronictl switchover, clients at full speed (--think 0)"
    think_ms = 0


class StopPatroni(Scenario):
    key = "stop-patroni"
    title = "stop Patroni on the primary (the seed's test)"
    seconds = 60

    def act(self, ctx):
        ctx.target = ctx.leader
        ctx.lab.run("stop-patroni", ctx.target, quiet=True)
        ctx.note("Patroni on %s exited" % ctx.target)
        return "SIGTERM Patroni on %s (%s, the primary)" % (ctx.target, HOST_NAME[ctx.target])

    def restore(self, ctx):
        ctx.lab.run("start", ctx.target, quiet=True)


class KillPrimary(Scenario):
    key = "kill"
    title = "kill -9 the primary's PostgreSQL and Patroni (crash)"
    seconds = 90          # the leader key lives up to ttl (30 s) after the crash

    def act(self, ctx):
        ctx.target = ctx.leader
        ctx.lab.run("kill", ctx.target, quiet=True)
        # Patroni dies first (its leader key starts to age), PostgreSQL
        # after scripts/lab has found its processes: seconds later on a
        # busy machine, and the writes' outage starts there.
        ctx.note("scripts/lab kill returned: Patroni and PostgreSQL on %s are gone" % ctx.target)
        return "kill -9 Patroni and PostgreSQL on %s (%s, the primary)" % (
            ctx.target, HOST_NAME[ctx.target])

    def restore(self, ctx):
        ctx.lab.run("start", ctx.target, quiet=True)


ALL = [StopBalancer(), KillBalancer(), Switchover(), SwitchoverFast(), StopPatroni(), KillPrimary()]
BY_KEY = {s.key: s for s in ALL}


class Context:
    """What a scenario knows and leaves behind while it runs."""

    def __init__(self, lab, balancer, leader, vip_holder):
        self.lab = lab
        self.balancer = balancer
        self.leader = leader
        self.vip_holder = vip_holder
        self.target = None
        self.machine = ""         # how busy the machine was during the load
        self.netlink = {}         # {lb: `ip monitor address` output during the load}
        self.notes = []           # (time, text): drill events besides the action

    def note(self, text):
        self.notes.append((time.time(), text))
