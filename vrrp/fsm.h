/*
 * The VRRP state machine of RFC 3768 section 6.4, pure: no clock (the caller
 * passes `now`), no sockets, no logging. vrrp_fsm_step() is the one function
 * that writes the state; it says what to do (send, add or remove the VIPs)
 * and why, and leaves the timers as deadlines for the caller to arm.
 */
#ifndef PGFRONT_VRRP_FSM_H
#define PGFRONT_VRRP_FSM_H

#include <stdbool.h>
#include <stdint.h>

#include "vrrp/vrrp.h"

#define VRRP_FSM_STATES 3            /* INIT, BACKUP, MASTER */

enum vrrp_event {
	VRRP_EV_STARTUP,
	VRRP_EV_SHUTDOWN,
	VRRP_EV_MASTER_DOWN,         /* Master_Down_Timer fired */
	VRRP_EV_ADVERT_TIMER,        /* Adver_Timer fired */
	VRRP_EV_ADVERT,              /* an advertisement that passed section 7.1 */
	VRRP_EV_PRIORITY,            /* our own priority changed (track_listener) */
	VRRP_EV_COUNT,
};

/* Why Master_Down_Timer is running: what its expiry will be logged as. */
enum vrrp_down_cause {
	VRRP_DOWN_SILENCE,           /* no MASTER heard for Master_Down_Interval */
	VRRP_DOWN_STOP,              /* the MASTER sent priority 0: Skew_Time only */
	VRRP_DOWN_PREEMPT,           /* a lower-priority MASTER's adverts are ignored */
};

/* What the caller must do after a step, in this order. */
enum vrrp_action {
	VRRP_ACT_SEND_STOP = 1 << 0,     /* an advert with priority 0 */
	VRRP_ACT_DEL_VIPS = 1 << 1,
	VRRP_ACT_ADD_VIPS = 1 << 2,      /* then the gratuitous ARPs */
	VRRP_ACT_SEND_ADVERT = 1 << 3,   /* an advert at the current priority */
};

struct vrrp_fsm {
	/* Set once by vrrp_fsm_init(). */
	int advert_int;              /* seconds */
	bool preempt;
	double preempt_delay;        /* seconds */
	bool start_master;           /* state = MASTER */
	uint32_t primary;            /* our address, host order: the tie-break */

	/* Written by vrrp_fsm_step() only. */
	enum vrrp_state state;
	int priority;                /* what we advertise now */
	double master_down_at;       /* 0 = timer stopped */
	double advert_at;            /* 0 = timer stopped */
	double preempt_at;           /* a lower MASTER may be preempted from then; 0 = unset */
	enum vrrp_down_cause down_cause;
	int lower_priority;          /* PREEMPT: the MASTER being preempted */
	uint32_t lower_src;
};

struct vrrp_fsm_input {
	enum vrrp_event event;
	double now;
	int priority;                /* ADVERT: the sender's; PRIORITY: our new one */
	uint32_t src;                /* ADVERT: the sender's address, host order */
};

struct vrrp_fsm_output {
	enum vrrp_state from, to;
	unsigned actions;
	bool unexpected;             /* no meaning in this state: ignored, to be logged */
	bool followed;               /* ADVERT: the sender is the MASTER we now follow */
	char cause[128];             /* why: for the transition's log line */
};

void vrrp_fsm_init(struct vrrp_fsm *f, int priority, int advert_int, bool preempt,
                   double preempt_delay, bool start_master, uint32_t primary);
void vrrp_fsm_step(struct vrrp_fsm *f, const struct vrrp_fsm_input *in,
                   struct vrrp_fsm_output *out);

/* RFC 3768 6.1: Skew_Time and Master_Down_Interval, in seconds. */
double vrrp_skew_time(int priority);
double vrrp_master_down_interval(int advert_int, int priority);

const char *vrrp_event_name(enum vrrp_event event);

#endif
