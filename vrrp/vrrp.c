/*
 * The public face of vrrp/: starting and stopping every instance, the
 * tracked-listener input, a reload, and the read-only views.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vrrp/internal.h"

static const char *const state_names[VRRP_FSM_STATES] = {
	[VRRP_STATE_INIT] = "INIT",
	[VRRP_STATE_BACKUP] = "BACKUP",
	[VRRP_STATE_MASTER] = "MASTER",
};

static const char *const discard_names[VRRP_DISCARD_COUNT] = {
	[VRRP_DISCARD_TTL] = "ttl",
	[VRRP_DISCARD_VERSION] = "version",
	[VRRP_DISCARD_TYPE] = "type",
	[VRRP_DISCARD_TRUNCATED] = "truncated",
	[VRRP_DISCARD_CHECKSUM] = "checksum",
	[VRRP_DISCARD_VRID] = "vrid",
	[VRRP_DISCARD_AUTH] = "auth",
	[VRRP_DISCARD_INTERVAL] = "interval",
};

const char *vrrp_state_name(enum vrrp_state state)
{
	if ((unsigned)state >= VRRP_FSM_STATES)
		return "unknown";
	return state_names[state];
}

const char *vrrp_discard_name(enum vrrp_discard reason)
{
	if ((unsigned)reason >= VRRP_DISCARD_COUNT)
		return "unknown";
	return discard_names[reason];
}

static void close_all(struct vrrp *v)
{
	vrrp_nlq_free(v);
	for (int i = 0; i < v->n; i++)
		if (v->inst[i].fd >= 0)
			close(v->inst[i].fd);
	if (v->nl_fd >= 0)
		close(v->nl_fd);
	if (v->arp_fd >= 0)
		close(v->arp_fd);
	free(v->inst);
	free(v);
}

/* Sockets and interfaces of every instance, before any starts: all or none. */
static int open_all(struct vrrp *v, const struct conf *conf, char *err, size_t errlen)
{
	char who[CONF_NAME_MAX + 16];

	snprintf(who, sizeof who, "[vrrp %s]", conf->vrrps[0].name);
	if (vrrp_caps_check(who, err, errlen) < 0)
		return -1;
	v->inst = calloc((size_t)conf->nvrrps, sizeof v->inst[0]);
	if (!v->inst) {
		snprintf(err, errlen, "vrrp: out of memory");
		return -1;
	}
	if ((v->nl_fd = vrrp_nl_open(err, errlen)) < 0 || (v->arp_fd = vrrp_arp_open(err, errlen)) < 0)
		return -1;
	vrrp_nlq_init(v);
	for (int i = 0; i < conf->nvrrps; i++) {
		v->n = i + 1;
		if (vrrp_inst_open(&v->inst[i], v, &conf->vrrps[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

struct vrrp *vrrp_start(struct ev_loop *loop, const struct conf *conf,
                        char *err, size_t errlen)
{
	struct vrrp *v = calloc(1, sizeof *v);

	if (!v) {
		snprintf(err, errlen, "vrrp: out of memory");
		return NULL;
	}
	v->loop = loop;
	v->nl_fd = v->arp_fd = -1;
	if (conf->nvrrps == 0)
		return v;
	if (open_all(v, conf, err, errlen) < 0) {
		close_all(v);
		return NULL;
	}
	for (int i = 0; i < v->n; i++)
		vrrp_inst_start(&v->inst[i]);
	return v;
}

void vrrp_listener_health(struct vrrp *vrrp, int listener, bool has_up_server, double grace)
{
	if (!vrrp)
		return;
	for (int i = 0; i < vrrp->n; i++)
		if (vrrp->inst[i].c.track_listener == listener && vrrp->inst[i].fd >= 0)
			vrrp_inst_track(&vrrp->inst[i], has_up_server, grace);
}

void vrrp_stop(struct vrrp *vrrp)
{
	if (!vrrp)
		return;
	for (int i = 0; i < vrrp->n; i++)
		vrrp_inst_stop(&vrrp->inst[i]);
	if (vrrp->nl_fd >= 0)
		vrrp_nlq_drain(vrrp, 1.0);
	vrrp_notify_forget(vrrp);
	close_all(vrrp);
}

static int find_listener(const struct conf *conf, const char *name)
{
	for (int i = 0; i < conf->nlisteners; i++)
		if (strcmp(conf->listeners[i].name, name) == 0)
			return i;
	return -1;
}

static const struct conf_vrrp *find_vrrp(const struct conf *conf, const char *name)
{
	for (int i = 0; i < conf->nvrrps; i++)
		if (strcmp(conf->vrrps[i].name, name) == 0)
			return &conf->vrrps[i];
	return NULL;
}

static bool has_instance(const struct vrrp *vrrp, const char *name)
{
	for (int i = 0; vrrp && i < vrrp->n; i++)
		if (strcmp(vrrp->inst[i].c.name, name) == 0)
			return true;
	return false;
}

/* Whether a and b differ beyond where their sections sit in their files.
 * Both were zeroed before being filled (conf_vrrp_open), padding included. */
static bool same_instance(const struct conf_vrrp *a, const struct conf_vrrp *b)
{
	struct conf_vrrp x, y;

	memcpy(&x, a, sizeof x);
	memcpy(&y, b, sizeof y);
	x.line = y.line = 0;
	x.track_listener = y.track_listener = 0;
	return memcmp(&x, &y, sizeof x) == 0;
}

/*
 * Listener indexes may have moved: follow the tracked one by name, every
 * time. The name, not the index, says whether the instance tracks one: a
 * listener a reload removed may come back with the next, and is followed
 * again (its new checks then set the priority, as at start).
 */
static void follow_track(struct vrrp_instance *in, const struct conf *conf)
{
	int was = in->c.track_listener;

	if (!in->c.track_listener_name[0])
		return;
	in->c.track_listener = find_listener(conf, in->c.track_listener_name);
	/* Gone: a loss it was holding off no longer comes from it. */
	if (in->c.track_listener < 0)
		ev_timer_stop(in->vrrp->loop, &in->track_grace);
	if (in->c.track_listener < 0 && was >= 0)
		log_warning("vrrp %s: tracked listener %s is gone: priority stays %d",
		            in->c.name, in->c.track_listener_name, in->fsm.priority);
	else if (in->c.track_listener >= 0 && was < 0)
		event_log(LOG_LEVEL_NOTICE, EVENT_VRRP, "vrrp %s: tracked listener %s is back: its "
		          "checks set the priority again", in->c.name, in->c.track_listener_name);
}

void vrrp_reload(struct vrrp *vrrp, const struct conf *conf)
{
	for (int i = 0; vrrp && i < vrrp->n; i++) {
		struct vrrp_instance *in = &vrrp->inst[i];
		const struct conf_vrrp *now = find_vrrp(conf, in->c.name);

		if (!now || !same_instance(&in->c, now))
			log_warning("vrrp %s: [vrrp] sections change at restart only: this instance "
			            "runs on as it started", in->c.name);
		follow_track(in, conf);
	}
	for (int i = 0; i < conf->nvrrps; i++)
		if (!has_instance(vrrp, conf->vrrps[i].name))
			log_warning("vrrp %s: new [vrrp] sections start at restart only",
			            conf->vrrps[i].name);
}

void vrrp_set_change_cb(struct vrrp *vrrp, vrrp_change_fn *fn, void *arg)
{
	vrrp->on_change = fn;
	vrrp->on_change_arg = arg;
}

int vrrp_count(const struct vrrp *vrrp)
{
	return vrrp ? vrrp->n : 0;
}

const struct vrrp_view *vrrp_view(const struct vrrp *vrrp, int instance)
{
	if (!vrrp || instance < 0 || instance >= vrrp->n)
		return NULL;
	return &vrrp->inst[instance].view;
}
