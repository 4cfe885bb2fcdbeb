/*
 * RFC 3768 section 6.4 as a table: one handler per (state, event) that has
 * a meaning, NULL where it has none (the caller logs "event X not expected
 * in state Y" rather than guess). vrrp_fsm_step() looks up the row and is
 * the only writer of f->state.
 *
 * Two choices beyond the RFC, both keepalived's, so that a keepalived peer
 * and pgfront agree during a migration:
 * - at startup only an address owner (priority 255) with state = MASTER
 *   becomes MASTER at once; everyone else listens for Master_Down_Interval
 *   first, so a restarted balancer never takes the VIP before hearing the
 *   current MASTER;
 * - preempt_delay holds off preempting a lower-priority MASTER, counted
 *   from the first of its adverts we see (and added to the wait at startup).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "vrrp/fsm.h"
#include "vrrp/packet.h"

typedef enum vrrp_state handler_fn(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                                   struct vrrp_fsm_output *out);

static const char *const event_names[VRRP_EV_COUNT] = {
	[VRRP_EV_STARTUP] = "Startup",
	[VRRP_EV_SHUTDOWN] = "Shutdown",
	[VRRP_EV_MASTER_DOWN] = "Master_Down_Timer",
	[VRRP_EV_ADVERT_TIMER] = "Adver_Timer",
	[VRRP_EV_ADVERT] = "ADVERTISEMENT",
	[VRRP_EV_PRIORITY] = "priority change",
};

const char *vrrp_event_name(enum vrrp_event event)
{
	if ((unsigned)event >= VRRP_EV_COUNT)
		return "unknown";
	return event_names[event];
}

double vrrp_skew_time(int priority)
{
	return (256.0 - priority) / 256.0;
}

double vrrp_master_down_interval(int advert_int, int priority)
{
	return 3.0 * advert_int + vrrp_skew_time(priority);
}

static const char *ip_text(uint32_t host_order, char *buf, size_t size)
{
	struct in_addr a = { .s_addr = htonl(host_order) };

	return inet_ntop(AF_INET, &a, buf, (socklen_t)size);
}

static void arm_master_down(struct vrrp_fsm *f, double at, enum vrrp_down_cause cause)
{
	f->master_down_at = at;
	f->advert_at = 0;
	f->down_cause = cause;
}

static void arm_advert(struct vrrp_fsm *f, double now)
{
	f->advert_at = now + f->advert_int;
	f->master_down_at = 0;
}

static enum vrrp_state become_master(struct vrrp_fsm *f, double now,
                                     struct vrrp_fsm_output *out)
{
	arm_advert(f, now);
	f->preempt_at = 0;
	out->actions |= VRRP_ACT_ADD_VIPS | VRRP_ACT_SEND_ADVERT;
	return VRRP_STATE_MASTER;
}

static enum vrrp_state init_startup(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                                    struct vrrp_fsm_output *out)
{
	double wait = vrrp_master_down_interval(f->advert_int, f->priority);

	if (f->priority == VRRP_PRIO_OWNER && f->start_master) {
		snprintf(out->cause, sizeof out->cause, "startup as the address owner (priority 255)");
		return become_master(f, in->now, out);
	}
	if (f->preempt)
		wait += f->preempt_delay;
	arm_master_down(f, in->now + wait, VRRP_DOWN_SILENCE);
	snprintf(out->cause, sizeof out->cause,
	         "startup: waiting %.2fs for a MASTER's advertisement", wait);
	return VRRP_STATE_BACKUP;
}

static enum vrrp_state any_priority(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                                    struct vrrp_fsm_output *out)
{
	bool changed = in->priority != f->priority;

	f->priority = in->priority;
	/* A MASTER tells the backups at once: a preempting one need not wait an interval. */
	if (changed && f->state == VRRP_STATE_MASTER) {
		arm_advert(f, in->now);
		out->actions |= VRRP_ACT_SEND_ADVERT;
	}
	return f->state;
}

static enum vrrp_state to_init(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                               struct vrrp_fsm_output *out)
{
	(void)in;
	f->master_down_at = f->advert_at = f->preempt_at = 0;
	if (f->state == VRRP_STATE_MASTER)
		out->actions |= VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS;
	snprintf(out->cause, sizeof out->cause, "shutdown");
	return VRRP_STATE_INIT;
}

static enum vrrp_state backup_master_down(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                                          struct vrrp_fsm_output *out)
{
	char addr[INET_ADDRSTRLEN];

	switch (f->down_cause) {
	case VRRP_DOWN_STOP:
		snprintf(out->cause, sizeof out->cause,
		         "the MASTER left (priority 0): Skew_Time %.2fs passed",
		         vrrp_skew_time(f->priority));
		break;
	case VRRP_DOWN_PREEMPT:
		snprintf(out->cause, sizeof out->cause,
		         "preempting %s, a MASTER of lower priority %d (ours %d)",
		         ip_text(f->lower_src, addr, sizeof addr), f->lower_priority, f->priority);
		break;
	case VRRP_DOWN_SILENCE:
	default:
		snprintf(out->cause, sizeof out->cause, "no advertisement from a MASTER for %.2fs",
		         vrrp_master_down_interval(f->advert_int, f->priority));
		break;
	}
	return become_master(f, in->now, out);
}

/* Whether a MASTER of lower priority may be preempted now (6.4.2). */
static bool may_preempt(struct vrrp_fsm *f, double now)
{
	/* 6.4.2 footnote: the owner always preempts. */
	if (!f->preempt && f->priority != VRRP_PRIO_OWNER)
		return false;
	if (f->preempt_delay <= 0)
		return true;
	if (f->preempt_at == 0)
		f->preempt_at = now + f->preempt_delay;
	return now >= f->preempt_at;
}

static enum vrrp_state backup_advert(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                                     struct vrrp_fsm_output *out)
{
	double now = in->now;

	double down = now + vrrp_master_down_interval(f->advert_int, f->priority);

	if (in->priority == VRRP_PRIO_STOP) {
		/* The MASTER is leaving: take over after Skew_Time, not 3 intervals. */
		arm_master_down(f, now + vrrp_skew_time(f->priority), VRRP_DOWN_STOP);
		return VRRP_STATE_BACKUP;
	}
	if (in->priority >= f->priority) {
		f->preempt_at = 0;
		out->followed = true;
		arm_master_down(f, down, VRRP_DOWN_SILENCE);
	} else if (!may_preempt(f, now)) {
		out->followed = true;
		arm_master_down(f, down, VRRP_DOWN_SILENCE);
	} else {
		/* Discarded: Master_Down_Timer runs out and we preempt. */
		f->down_cause = VRRP_DOWN_PREEMPT;
		f->lower_priority = in->priority;
		f->lower_src = in->src;
	}
	return VRRP_STATE_BACKUP;
}

static enum vrrp_state master_advert_timer(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                                           struct vrrp_fsm_output *out)
{
	arm_advert(f, in->now);
	out->actions |= VRRP_ACT_SEND_ADVERT;
	return VRRP_STATE_MASTER;
}

static enum vrrp_state master_advert(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                                     struct vrrp_fsm_output *out)
{
	char addr[INET_ADDRSTRLEN];

	if (in->priority == VRRP_PRIO_STOP)
		/* Another MASTER just left; say at once that there is one. */
		return master_advert_timer(f, in, out);
	if (in->priority > f->priority)
		snprintf(out->cause, sizeof out->cause, "higher priority %d (ours %d) from %s",
		         in->priority, f->priority, ip_text(in->src, addr, sizeof addr));
	else if (in->priority == f->priority && in->src > f->primary)
		snprintf(out->cause, sizeof out->cause, "equal priority %d from a higher address %s",
		         in->priority, ip_text(in->src, addr, sizeof addr));
	else
		return VRRP_STATE_MASTER;   /* a lower one: ours will win it over */
	arm_master_down(f, in->now + vrrp_master_down_interval(f->advert_int, f->priority),
	                VRRP_DOWN_SILENCE);
	out->actions |= VRRP_ACT_DEL_VIPS;
	out->followed = true;
	return VRRP_STATE_BACKUP;
}

static handler_fn *const table[VRRP_FSM_STATES][VRRP_EV_COUNT] = {
	[VRRP_STATE_INIT] = {
		[VRRP_EV_STARTUP] = init_startup,
		[VRRP_EV_PRIORITY] = any_priority,
	},
	[VRRP_STATE_BACKUP] = {
		[VRRP_EV_SHUTDOWN] = to_init,
		[VRRP_EV_MASTER_DOWN] = backup_master_down,
		[VRRP_EV_ADVERT] = backup_advert,
		[VRRP_EV_PRIORITY] = any_priority,
	},
	[VRRP_STATE_MASTER] = {
		[VRRP_EV_SHUTDOWN] = to_init,
		[VRRP_EV_ADVERT_TIMER] = master_advert_timer,
		[VRRP_EV_ADVERT] = master_advert,
		[VRRP_EV_PRIORITY] = any_priority,
	},
};

void vrrp_fsm_init(struct vrrp_fsm *f, int priority, int advert_int, bool preempt,
                   double preempt_delay, bool start_master, uint32_t primary)
{
	memset(f, 0, sizeof *f);
	f->state = VRRP_STATE_INIT;
	f->priority = priority;
	f->advert_int = advert_int;
	f->preempt = preempt;
	f->preempt_delay = preempt_delay;
	f->start_master = start_master;
	f->primary = primary;
}

void vrrp_fsm_step(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                   struct vrrp_fsm_output *out)
{
	handler_fn *h = NULL;

	memset(out, 0, sizeof *out);
	out->from = out->to = f->state;
	if ((unsigned)f->state < VRRP_FSM_STATES && (unsigned)in->event < VRRP_EV_COUNT)
		h = table[f->state][in->event];
	if (h == NULL) {
		out->unexpected = true;
		return;
	}
	out->to = h(f, in, out);
	f->state = out->to;
}
