/*
 * vrrp/fsm.c with a fake clock: every (state, event) pair, then each branch
 * of RFC 3768 6.4 that depends on the advert (priority 0, higher, equal with
 * the address tie-break, lower with and without preemption, preempt_delay,
 * the owner), and two routers exchanging adverts through a simulated link.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "vrrp/fsm.h"

#define US 0xc612910bu          /* 198.18.145.11, host order */
#define LOWER 0xc612910au       /* .10 */
#define HIGHER 0xc612910cu      /* .12 */
#define T0 1000.0

static struct vrrp_fsm f;
static struct vrrp_fsm_output out;

static void step(enum vrrp_event ev, double now, int prio, uint32_t src)
{
	struct vrrp_fsm_input in = { .event = ev, .now = now, .priority = prio, .src = src };

	vrrp_fsm_step(&f, &in, &out);
}

static void assert_near(double a, double b)
{
	if (fabs(a - b) > 1e-9)
		fail_msg("%.9f != %.9f", a, b);
}

/* A fresh machine driven into state s at T0 (priority 100, advert_int 1). */
static void in_state(enum vrrp_state s)
{
	vrrp_fsm_init(&f, 100, 1, true, 0, false, US);
	if (s == VRRP_STATE_INIT)
		return;
	step(VRRP_EV_STARTUP, T0, 0, 0);
	if (s == VRRP_STATE_MASTER)
		step(VRRP_EV_MASTER_DOWN, T0 + 3.61, 0, 0);
	assert_int_equal(f.state, s);
}

static void test_timers(void **state)
{
	(void)state;
	assert_near(vrrp_skew_time(100), 156.0 / 256);
	assert_near(vrrp_skew_time(255), 1.0 / 256);
	assert_near(vrrp_master_down_interval(1, 100), 3 + 156.0 / 256);
	assert_near(vrrp_master_down_interval(2, 1), 6 + 255.0 / 256);
}

/* The canonical input of each event; ADVERT is a higher priority's. */
static const struct {
	enum vrrp_event ev;
	int prio;
	uint32_t src;
} canonical[VRRP_EV_COUNT] = {
	[VRRP_EV_STARTUP] = { VRRP_EV_STARTUP, 0, 0 },
	[VRRP_EV_SHUTDOWN] = { VRRP_EV_SHUTDOWN, 0, 0 },
	[VRRP_EV_MASTER_DOWN] = { VRRP_EV_MASTER_DOWN, 0, 0 },
	[VRRP_EV_ADVERT_TIMER] = { VRRP_EV_ADVERT_TIMER, 0, 0 },
	[VRRP_EV_ADVERT] = { VRRP_EV_ADVERT, 150, HIGHER },
	[VRRP_EV_PRIORITY] = { VRRP_EV_PRIORITY, 90, 0 },
};

/* What each pair does: next state, actions, or unexpected. */
static const struct pair_want {
	enum vrrp_state to;
	unsigned actions;
	bool unexpected;
} want[VRRP_FSM_STATES][VRRP_EV_COUNT] = {
	[VRRP_STATE_INIT] = {
		[VRRP_EV_STARTUP] = { VRRP_STATE_BACKUP, 0, false },
		[VRRP_EV_SHUTDOWN] = { VRRP_STATE_INIT, 0, true },
		[VRRP_EV_MASTER_DOWN] = { VRRP_STATE_INIT, 0, true },
		[VRRP_EV_ADVERT_TIMER] = { VRRP_STATE_INIT, 0, true },
		[VRRP_EV_ADVERT] = { VRRP_STATE_INIT, 0, true },
		[VRRP_EV_PRIORITY] = { VRRP_STATE_INIT, 0, false },
	},
	[VRRP_STATE_BACKUP] = {
		[VRRP_EV_STARTUP] = { VRRP_STATE_BACKUP, 0, true },
		[VRRP_EV_SHUTDOWN] = { VRRP_STATE_INIT, 0, false },
		[VRRP_EV_MASTER_DOWN] = { VRRP_STATE_MASTER, VRRP_ACT_ADD_VIPS | VRRP_ACT_SEND_ADVERT, false },
		[VRRP_EV_ADVERT_TIMER] = { VRRP_STATE_BACKUP, 0, true },
		[VRRP_EV_ADVERT] = { VRRP_STATE_BACKUP, 0, false },
		[VRRP_EV_PRIORITY] = { VRRP_STATE_BACKUP, 0, false },
	},
	[VRRP_STATE_MASTER] = {
		[VRRP_EV_STARTUP] = { VRRP_STATE_MASTER, 0, true },
		[VRRP_EV_SHUTDOWN] = { VRRP_STATE_INIT, VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS, false },
		[VRRP_EV_MASTER_DOWN] = { VRRP_STATE_MASTER, 0, true },
		[VRRP_EV_ADVERT_TIMER] = { VRRP_STATE_MASTER, VRRP_ACT_SEND_ADVERT, false },
		[VRRP_EV_ADVERT] = { VRRP_STATE_BACKUP, VRRP_ACT_DEL_VIPS, false },
		[VRRP_EV_PRIORITY] = { VRRP_STATE_MASTER, VRRP_ACT_SEND_ADVERT, false },
	},
};

static void test_every_pair(void **state)
{
	(void)state;
	for (int s = 0; s < VRRP_FSM_STATES; s++) {
		for (int e = 0; e < VRRP_EV_COUNT; e++) {
			const struct pair_want *w = &want[s][e];
			struct vrrp_fsm before;

			in_state((enum vrrp_state)s);
			memcpy(&before, &f, sizeof f);
			step(canonical[e].ev, T0 + 5, canonical[e].prio, canonical[e].src);
			print_message("  %-6s x %-17s -> %s\n", vrrp_state_name((enum vrrp_state)s),
			              vrrp_event_name((enum vrrp_event)e), vrrp_state_name(out.to));
			assert_int_equal(out.from, s);
			assert_int_equal(out.to, w->to);
			assert_int_equal(f.state, w->to);
			assert_int_equal(out.actions, w->actions);
			assert_int_equal(out.unexpected, w->unexpected);
			/* An unexpected event changes nothing at all. */
			if (w->unexpected)
				assert_memory_equal(&before, &f, sizeof f);
		}
	}
}

static void test_startup(void **state)
{
	(void)state;
	in_state(VRRP_STATE_INIT);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	assert_near(f.master_down_at, T0 + 3 + 156.0 / 256);
	assert_true(f.advert_at == 0);
	assert_non_null(strstr(out.cause, "startup"));

	/* The owner with state = MASTER: at once (RFC 6.4.1). */
	vrrp_fsm_init(&f, 255, 1, true, 0, true, US);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	assert_int_equal(out.to, VRRP_STATE_MASTER);
	assert_int_equal(out.actions, VRRP_ACT_ADD_VIPS | VRRP_ACT_SEND_ADVERT);
	assert_near(f.advert_at, T0 + 1);
	assert_true(f.master_down_at == 0);
	assert_non_null(strstr(out.cause, "address owner"));

	/* state = MASTER below 255 listens first, as keepalived does. */
	vrrp_fsm_init(&f, 101, 1, true, 0, true, US);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	assert_int_equal(out.to, VRRP_STATE_BACKUP);
	/* And 255 with state = BACKUP too. */
	vrrp_fsm_init(&f, 255, 1, true, 0, false, US);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	assert_int_equal(out.to, VRRP_STATE_BACKUP);
	assert_near(f.master_down_at, T0 + 3 + 1.0 / 256);

	/* preempt_delay adds to the first wait. */
	vrrp_fsm_init(&f, 100, 2, true, 4.5, false, US);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	assert_near(f.master_down_at, T0 + 6 + 156.0 / 256 + 4.5);
}

static void test_backup_adverts(void **state)
{
	(void)state;
	/* Higher: followed, timer reset to Master_Down_Interval. */
	in_state(VRRP_STATE_BACKUP);
	step(VRRP_EV_ADVERT, T0 + 2, 150, HIGHER);
	assert_true(out.followed);
	assert_near(f.master_down_at, T0 + 2 + 3 + 156.0 / 256);
	/* Equal, from a lower address: still followed (the tie-break is the MASTER's). */
	step(VRRP_EV_ADVERT, T0 + 3, 100, LOWER);
	assert_true(out.followed);
	assert_near(f.master_down_at, T0 + 3 + 3 + 156.0 / 256);
	/* Priority 0: Skew_Time only. */
	step(VRRP_EV_ADVERT, T0 + 4, 0, HIGHER);
	assert_false(out.followed);
	assert_int_equal(out.to, VRRP_STATE_BACKUP);
	assert_near(f.master_down_at, T0 + 4 + 156.0 / 256);
	step(VRRP_EV_MASTER_DOWN, T0 + 4.61, 0, 0);
	assert_int_equal(out.to, VRRP_STATE_MASTER);
	assert_non_null(strstr(out.cause, "priority 0"));
}

static void test_backup_preemption(void **state)
{
	(void)state;
	/* preempt = yes: a lower MASTER's advert is discarded, the timer runs on. */
	in_state(VRRP_STATE_BACKUP);
	step(VRRP_EV_ADVERT, T0 + 1, 50, LOWER);
	assert_false(out.followed);
	assert_near(f.master_down_at, T0 + 3 + 156.0 / 256);
	step(VRRP_EV_MASTER_DOWN, T0 + 3.61, 0, 0);
	assert_int_equal(out.to, VRRP_STATE_MASTER);
	assert_non_null(strstr(out.cause, "preempting 198.18.145.10"));

	/* preempt = no: followed like any MASTER. */
	vrrp_fsm_init(&f, 100, 1, false, 0, false, US);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	step(VRRP_EV_ADVERT, T0 + 1, 50, LOWER);
	assert_true(out.followed);
	assert_near(f.master_down_at, T0 + 1 + 3 + 156.0 / 256);

	/* ...except by the owner, which always preempts (6.4.2). */
	vrrp_fsm_init(&f, 255, 1, false, 0, false, US);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	step(VRRP_EV_ADVERT, T0 + 1, 254, LOWER);
	assert_false(out.followed);
}

static void test_preempt_delay(void **state)
{
	(void)state;
	vrrp_fsm_init(&f, 100, 1, true, 5, false, US);
	step(VRRP_EV_STARTUP, T0, 0, 0);
	/* A lower MASTER is followed for preempt_delay from its first advert... */
	step(VRRP_EV_ADVERT, T0 + 1, 50, LOWER);
	assert_true(out.followed);
	assert_near(f.preempt_at, T0 + 6);
	step(VRRP_EV_ADVERT, T0 + 5.9, 50, LOWER);
	assert_true(out.followed);
	/* ...then discarded. */
	step(VRRP_EV_ADVERT, T0 + 6.1, 50, LOWER);
	assert_false(out.followed);
	assert_near(f.master_down_at, T0 + 5.9 + 3 + 156.0 / 256);
	/* A MASTER at least as high starts the count again. */
	step(VRRP_EV_ADVERT, T0 + 7, 120, HIGHER);
	assert_true(f.preempt_at == 0);
}

static void test_master_adverts(void **state)
{
	(void)state;
	in_state(VRRP_STATE_MASTER);
	/* Lower: ignored, ours wins it over. */
	step(VRRP_EV_ADVERT, T0 + 4, 99, HIGHER);
	assert_int_equal(out.to, VRRP_STATE_MASTER);
	assert_int_equal(out.actions, 0);
	/* Equal from a lower address: ignored. */
	step(VRRP_EV_ADVERT, T0 + 4.1, 100, LOWER);
	assert_int_equal(out.to, VRRP_STATE_MASTER);
	/* Priority 0 from another: answered at once. */
	step(VRRP_EV_ADVERT, T0 + 4.2, 0, HIGHER);
	assert_int_equal(out.actions, VRRP_ACT_SEND_ADVERT);
	assert_near(f.advert_at, T0 + 5.2);
	/* Equal from a higher address: BACKUP. */
	step(VRRP_EV_ADVERT, T0 + 4.5, 100, HIGHER);
	assert_int_equal(out.to, VRRP_STATE_BACKUP);
	assert_int_equal(out.actions, VRRP_ACT_DEL_VIPS);
	assert_true(out.followed);
	assert_true(f.advert_at == 0);
	assert_near(f.master_down_at, T0 + 4.5 + 3 + 156.0 / 256);
	assert_non_null(strstr(out.cause, "equal priority 100 from a higher address 198.18.145.12"));
	/* Higher: BACKUP. */
	in_state(VRRP_STATE_MASTER);
	step(VRRP_EV_ADVERT, T0 + 4, 101, LOWER);
	assert_int_equal(out.to, VRRP_STATE_BACKUP);
	assert_non_null(strstr(out.cause, "higher priority 101 (ours 100)"));
}

static void test_priority_changes(void **state)
{
	(void)state;
	in_state(VRRP_STATE_MASTER);
	step(VRRP_EV_PRIORITY, T0 + 4, 50, 0);
	assert_int_equal(f.priority, 50);
	assert_int_equal(out.actions, VRRP_ACT_SEND_ADVERT);     /* told at once */
	assert_near(f.advert_at, T0 + 5);
	step(VRRP_EV_PRIORITY, T0 + 4.5, 50, 0);
	assert_int_equal(out.actions, 0);                        /* no change, nothing sent */
	/* A BACKUP's new priority counts from the next timer on. */
	in_state(VRRP_STATE_BACKUP);
	step(VRRP_EV_PRIORITY, T0 + 1, 200, 0);
	assert_int_equal(f.priority, 200);
	assert_int_equal(out.actions, 0);
	step(VRRP_EV_ADVERT, T0 + 2, 150, HIGHER);               /* now lower than ours */
	assert_false(out.followed);
}

static void test_shutdown(void **state)
{
	(void)state;
	in_state(VRRP_STATE_MASTER);
	step(VRRP_EV_SHUTDOWN, T0 + 9, 0, 0);
	assert_int_equal(out.to, VRRP_STATE_INIT);
	assert_int_equal(out.actions, VRRP_ACT_SEND_STOP | VRRP_ACT_DEL_VIPS);
	assert_true(f.advert_at == 0 && f.master_down_at == 0);
	assert_string_equal(out.cause, "shutdown");
	in_state(VRRP_STATE_BACKUP);
	step(VRRP_EV_SHUTDOWN, T0 + 9, 0, 0);
	assert_int_equal(out.actions, 0);
	assert_true(f.master_down_at == 0);
	/* An event outside the table is unexpected, not a crash. */
	step((enum vrrp_event)VRRP_EV_COUNT, T0 + 10, 0, 0);
	assert_true(out.unexpected);
}

/*
 * Two routers on a simulated link, a fake clock in 10ms steps: whoever's
 * timer is due acts, its adverts reach the other at once. Returns the time
 * at which `who` became MASTER (or -1).
 */
struct router {
	struct vrrp_fsm f;
	bool alive;
	double master_since;
};

static void deliver(struct router *r, double now, int prio, uint32_t src)
{
	struct vrrp_fsm_input in = { VRRP_EV_ADVERT, now, prio, src };
	struct vrrp_fsm_output o;

	if (r->alive)
		vrrp_fsm_step(&r->f, &in, &o);
	if (r->alive && o.to == VRRP_STATE_MASTER && o.from != VRRP_STATE_MASTER)
		r->master_since = now;
}

static void tick(struct router *r, struct router *other, double now)
{
	struct vrrp_fsm_input in = { .now = now };
	struct vrrp_fsm_output o;

	if (!r->alive)
		return;
	if (r->f.master_down_at && now >= r->f.master_down_at)
		in.event = VRRP_EV_MASTER_DOWN;
	else if (r->f.advert_at && now >= r->f.advert_at)
		in.event = VRRP_EV_ADVERT_TIMER;
	else
		return;
	vrrp_fsm_step(&r->f, &in, &o);
	if (o.to == VRRP_STATE_MASTER && o.from != VRRP_STATE_MASTER)
		r->master_since = now;
	if (o.actions & VRRP_ACT_SEND_ADVERT)
		deliver(other, now, r->f.priority, r->f.primary);
}

static void run_until(struct router *a, struct router *b, double *now, double end)
{
	for (; *now < end; *now += 0.01) {
		tick(a, b, *now);
		tick(b, a, *now);
	}
}

static void test_two_routers(void **state)
{
	struct router a = { .alive = true }, b = { .alive = true };
	struct vrrp_fsm_input stop = { VRRP_EV_SHUTDOWN, 0, 0, 0 };
	struct vrrp_fsm_output o;
	double now = T0;

	(void)state;
	vrrp_fsm_init(&a.f, 101, 1, true, 0, true, US);
	vrrp_fsm_init(&b.f, 100, 1, true, 0, false, HIGHER);
	{
		struct vrrp_fsm_input start = { VRRP_EV_STARTUP, now, 0, 0 };
		vrrp_fsm_step(&a.f, &start, &o);
		vrrp_fsm_step(&b.f, &start, &o);
	}
	run_until(&a, &b, &now, T0 + 10);
	/* The higher priority won, after its own Master_Down_Interval. */
	assert_int_equal(a.f.state, VRRP_STATE_MASTER);
	assert_int_equal(b.f.state, VRRP_STATE_BACKUP);
	assert_true(fabs(a.master_since - (T0 + 3 + 155.0 / 256)) < 0.011);

	/* a dies silently (kill -9): b takes over 3 x 1s + Skew_Time after a's last advert. */
	a.alive = false;
	{
		double last = a.f.advert_at - 1;   /* a's last advert */
		run_until(&a, &b, &now, now + 5);
		assert_int_equal(b.f.state, VRRP_STATE_MASTER);
		assert_true(fabs(b.master_since - (last + 3 + 156.0 / 256)) < 0.011);
	}

	/* a comes back and preempts after its Master_Down_Interval. */
	a.alive = true;
	vrrp_fsm_init(&a.f, 101, 1, true, 0, true, US);
	{
		struct vrrp_fsm_input start = { VRRP_EV_STARTUP, now, 0, 0 };
		double back = now;
		vrrp_fsm_step(&a.f, &start, &o);
		run_until(&a, &b, &now, now + 5);
		assert_int_equal(a.f.state, VRRP_STATE_MASTER);
		assert_int_equal(b.f.state, VRRP_STATE_BACKUP);
		assert_true(fabs(a.master_since - (back + 3 + 155.0 / 256)) < 0.011);
	}

	/* a stops cleanly: priority 0, b takes over after Skew_Time. */
	stop.now = now;
	vrrp_fsm_step(&a.f, &stop, &o);
	assert_true(o.actions & VRRP_ACT_SEND_STOP);
	deliver(&b, now, 0, US);
	a.alive = false;
	{
		double left = now;
		run_until(&a, &b, &now, now + 2);
		assert_int_equal(b.f.state, VRRP_STATE_MASTER);
		assert_true(fabs(b.master_since - (left + 156.0 / 256)) < 0.011);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_startup),
		cmocka_unit_test(test_backup_adverts),
		cmocka_unit_test(test_backup_preemption),
		cmocka_unit_test(test_preempt_delay),
		cmocka_unit_test(test_master_adverts),
		cmocka_unit_test(test_priority_changes),
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_two_routers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
