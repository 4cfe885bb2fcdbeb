/*
 * One [vrrp] instance on the libev loop: opening it, feeding its state
 * machine, and doing what the machine answers. vrrp_inst_event() is the
 * only caller of vrrp_fsm_step(): timers, received adverts, the tracked
 * listener and shutdown all come through it, and it logs each transition
 * once, with its cause.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vrrp/internal.h"

#define DISCARD_LOG_PERIOD 10.0
#define DISCARD_LOG_BURST 10

static int effective_priority(const struct conf_vrrp *c, bool up)
{
	int p = c->priority;

	/* The name: the index is -1 while a reload has taken the listener away. */
	if (!c->track_listener_name[0] || p == VRRP_PRIO_OWNER)
		return p;
	/* keepalived's track weight: a negative one while failing, a positive one while fine. */
	if ((c->track_weight < 0 && !up) || (c->track_weight > 0 && up))
		p += c->track_weight;
	/* 0 means "leaving" and 255 "owner": a tracked router is neither. */
	return p < 1 ? 1 : p > 254 ? 254 : p;
}

static void set_master_text(struct vrrp_instance *in, struct in_addr who)
{
	if (who.s_addr == 0)
		in->view.master[0] = '\0';
	else
		inet_ntop(AF_INET, &who, in->view.master, sizeof in->view.master);
}

static void arm(struct vrrp_instance *in, ev_timer *w, double at)
{
	struct ev_loop *loop = in->vrrp->loop;
	double delay = at - ev_now(loop);

	ev_timer_stop(loop, w);
	if (at == 0)
		return;
	ev_timer_set(w, delay > 0 ? delay : 0, 0.);
	ev_timer_start(loop, w);
}

static void transition(struct vrrp_instance *in, const struct vrrp_fsm_output *out)
{
	in->view.state = out->to;
	in->view.since = ev_now(in->vrrp->loop);
	in->view.transitions++;
	event_log(LOG_LEVEL_NOTICE, EVENT_VRRP, "vrrp %s: %s -> %s (%s)", in->c.name, vrrp_state_name(out->from),
	           vrrp_state_name(out->to), out->cause);
	if (out->to == VRRP_STATE_MASTER)
		set_master_text(in, in->ifc.primary);
	else if (out->from == VRRP_STATE_MASTER || out->to == VRRP_STATE_INIT)
		in->view.master[0] = '\0';
	if (in->c.notify[0])
		vrrp_notify(in->vrrp, in);
	if (in->vrrp->on_change) {
		struct vrrp_change change = {
			.instance = (int)(in - in->vrrp->inst), .from = out->from, .to = out->to,
		};

		in->vrrp->on_change(in->vrrp->on_change_arg, &change);
	}
}

/* The actions in the order the RFC sends them: leave first, then arrive. */
static void act(struct vrrp_instance *in, unsigned actions)
{
	if (actions & VRRP_ACT_SEND_STOP)
		vrrp_tx_advert(in, VRRP_PRIO_STOP);
	if (actions & VRRP_ACT_DEL_VIPS) {
		vrrp_tx_garp_stop(in);
		vrrp_tx_vips(in, false);
	}
	if (actions & VRRP_ACT_ADD_VIPS)
		vrrp_tx_vips(in, true);
	if (actions & VRRP_ACT_SEND_ADVERT)
		vrrp_tx_advert(in, in->fsm.priority);
	/* The gratuitous ARPs follow once netlink says the VIPs are there. */
}

void vrrp_inst_event(struct vrrp_instance *in, enum vrrp_event event, int priority,
                     struct in_addr src)
{
	struct vrrp_fsm_input input = {
		.event = event,
		.now = ev_now(in->vrrp->loop),
		.priority = priority,
		.src = ntohl(src.s_addr),
	};
	struct vrrp_fsm_output out;

	vrrp_fsm_step(&in->fsm, &input, &out);
	if (out.unexpected) {
		log_notice("vrrp %s: %s not expected in state %s: ignored", in->c.name,
		           vrrp_event_name(event), vrrp_state_name(out.from));
		return;
	}
	act(in, out.actions);
	if (out.from != out.to)
		transition(in, &out);
	if (out.followed)
		set_master_text(in, src);
	in->view.priority_advertised = in->fsm.priority;
	arm(in, &in->master_down, in->fsm.master_down_at);
	arm(in, &in->advert, in->fsm.advert_at);
}

static void apply_track(struct vrrp_instance *in, bool has_up_server)
{
	int before = in->fsm.priority, after;
	struct in_addr none = { 0 };

	in->track_up = has_up_server;
	after = effective_priority(&in->c, has_up_server);
	if (after == before)
		return;
	event_log(LOG_LEVEL_NOTICE, EVENT_VRRP, "vrrp %s: priority %d -> %d: listener %s %s", in->c.name, before, after,
	           in->c.track_listener_name,
	           has_up_server ? "has an UP server again" : "has no UP server");
	vrrp_inst_event(in, VRRP_EV_PRIORITY, after, none);
}

/*
 * A write port that loses its primary in a failover holds its clients for
 * the new one (hold_when_down); lowering the priority at once would hand
 * the VIP to the peer, which has usually not noticed the failover yet, and
 * cut every session through this balancer for nothing. The loss counts once
 * the hold is over, as clients are refused from then on.
 */
void vrrp_inst_track(struct vrrp_instance *in, bool has_up_server, double grace)
{
	struct ev_loop *loop = in->vrrp->loop;

	if (has_up_server || grace <= 0 || !in->track_up) {
		ev_timer_stop(loop, &in->track_grace);
		apply_track(in, has_up_server);
		return;
	}
	if (ev_is_active(&in->track_grace))
		return;
	log_notice("vrrp %s: listener %s has no UP server: priority stays %d for up to %.1f s "
	           "while it holds clients for one", in->c.name, in->c.track_listener_name,
	           in->fsm.priority, grace);
	ev_timer_set(&in->track_grace, grace, 0.);
	ev_timer_start(loop, &in->track_grace);
}

static void track_grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	apply_track(w->data, false);
}

static void master_down_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct in_addr none = { 0 };

	(void)loop;
	(void)revents;
	vrrp_inst_event(w->data, VRRP_EV_MASTER_DOWN, 0, none);
}

static void advert_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct in_addr none = { 0 };

	(void)loop;
	(void)revents;
	vrrp_inst_event(w->data, VRRP_EV_ADVERT_TIMER, 0, none);
}

static void init_view(struct vrrp_instance *in)
{
	struct vrrp_view *view = &in->view;

	memset(view, 0, sizeof *view);
	view->name = in->c.name;
	view->interface = in->c.interface;
	view->vrid = in->c.vrid;
	view->state = VRRP_STATE_INIT;
	view->priority_configured = in->c.priority;
	view->priority_advertised = in->fsm.priority;
	view->vips = in->c.vips;
	view->nvips = in->c.nvips;
}

static void init_expect(struct vrrp_instance *in)
{
	memset(&in->expect, 0, sizeof in->expect);
	in->expect.vrid = in->c.vrid;
	in->expect.advert_int = in->c.advert_int;
	in->expect.auth_type = in->c.auth_type == CONF_VRRP_AUTH_PASS ? VRRP_AUTH_PASS
	                                                               : VRRP_AUTH_NONE;
	/* 5.3.10: the password, padded with zeros to 8 bytes. */
	memcpy(in->expect.auth_data, in->c.auth_pass, strlen(in->c.auth_pass));
}

int vrrp_inst_open(struct vrrp_instance *in, struct vrrp *v, const struct conf_vrrp *c,
                   char *err, size_t errlen)
{
	char why[200];

	memset(in, 0, sizeof *in);
	in->vrrp = v;
	memcpy(&in->c, c, sizeof in->c);   /* padding too: vrrp_reload() compares */
	in->fd = -1;
	if (vrrp_iface_lookup(&in->c, &in->ifc, why, sizeof why) < 0 ||
	    (in->fd = vrrp_sock_open(&in->c, &in->ifc, why, sizeof why)) < 0) {
		snprintf(err, errlen, "[vrrp %s]: %s", c->name, why);
		return -1;
	}
	/* Until the health checks say otherwise, the tracked listener routes nothing. */
	in->track_up = false;
	vrrp_fsm_init(&in->fsm, effective_priority(&in->c, false), in->c.advert_int,
	              in->c.preempt, (double)in->c.preempt_delay_us / 1e6, in->c.start_master,
	              ntohl(in->ifc.primary.s_addr));
	init_expect(in);
	init_view(in);
	in->discard_rl = (struct log_ratelimit){ .period = DISCARD_LOG_PERIOD,
	                                         .burst = DISCARD_LOG_BURST };
	in->send_rl = in->discard_rl;
	ev_io_init(&in->io, vrrp_rx_cb, in->fd, EV_READ);
	ev_init(&in->master_down, master_down_cb);
	ev_init(&in->advert, advert_cb);
	ev_init(&in->track_grace, track_grace_cb);
	in->io.data = in->master_down.data = in->advert.data = in->track_grace.data = in;
	return 0;
}

void vrrp_inst_start(struct vrrp_instance *in)
{
	struct in_addr none = { 0 };
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in->ifc.primary, addr, sizeof addr);
	log_notice("vrrp %s: starting on %s from %s, VRID %d, priority %d (advertised %d), "
	           "%s every %ds", in->c.name, in->c.interface, addr, in->c.vrid, in->c.priority,
	           in->fsm.priority, in->c.npeers ? "unicast" : "multicast to 224.0.0.18",
	           in->c.advert_int);
	vrrp_tx_remove_stale(in);
	ev_io_start(in->vrrp->loop, &in->io);
	vrrp_inst_event(in, VRRP_EV_STARTUP, 0, none);
}

void vrrp_inst_stop(struct vrrp_instance *in)
{
	struct ev_loop *loop = in->vrrp->loop;
	struct in_addr none = { 0 };

	if (in->fd < 0)
		return;
	if (in->fsm.state != VRRP_STATE_INIT)
		vrrp_inst_event(in, VRRP_EV_SHUTDOWN, 0, none);
	/* Whatever the state machine thought, nothing of ours stays on the interface. */
	if (in->vips_on)
		vrrp_tx_vips(in, false);
	vrrp_tx_garp_stop(in);
	ev_io_stop(loop, &in->io);
	ev_timer_stop(loop, &in->master_down);
	ev_timer_stop(loop, &in->advert);
	ev_timer_stop(loop, &in->track_grace);
	close(in->fd);
	in->fd = -1;
}
