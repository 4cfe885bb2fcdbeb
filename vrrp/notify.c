/*
 * notify = /path/cmd: run on every transition as `cmd NAME STATE`, like
 * keepalived's notify (which adds a first "INSTANCE" argument). The loop
 * never waits for it: an ev_child watcher reaps it and logs a failure.
 *
 * Bounded, since transitions can come faster than scripts end (a flapping
 * link, a peer sending adverts on and off): at most NOTIFY_RUNNING_MAX run
 * at once, the next ones wait in transition order, and past
 * NOTIFY_WAITING_MAX waiting the oldest waiting one is dropped (logged): the
 * latest states are the ones a script should see. A script still running
 * after the instance's notify_timeout gets SIGTERM, then SIGKILL
 * NOTIFY_KILL_GRACE later; both go to its process group, which it leads, so
 * what it started goes too.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "vrrp/internal.h"

#define NOTIFY_RUNNING_MAX 4
#define NOTIFY_WAITING_MAX 32
#define NOTIFY_KILL_GRACE 2.0    /* seconds from SIGTERM to SIGKILL */

extern char **environ;

struct vrrp_child {
	struct list_node node;        /* on vrrp->notify_waiting or notify_running */
	struct vrrp *vrrp;
	ev_child w;                   /* running: reaps it */
	ev_timer timeout;             /* running: notify_timeout, then the grace */
	bool terminated;              /* SIGTERM sent */
	double timeout_s;
	char path[CONF_PATH_MAX];
	char name[CONF_NAME_MAX];
	char state[16];
};

static void start_waiting(struct vrrp *v);

static void child_free(struct vrrp *v, struct vrrp_child *ch, struct list *from)
{
	ev_child_stop(v->loop, &ch->w);
	ev_timer_stop(v->loop, &ch->timeout);
	list_remove(from, &ch->node);
	free(ch);
}

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct vrrp_child *ch = w->data;
	struct vrrp *v = ch->vrrp;
	int status = w->rstatus;

	(void)loop;
	(void)revents;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warning("vrrp %s: notify script for %s exited with status %d", ch->name,
		            ch->state, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warning("vrrp %s: notify script for %s killed by signal %d%s", ch->name,
		            ch->state, WTERMSIG(status), ch->terminated ? " after its timeout" : "");
	child_free(v, ch, &v->notify_running);
	start_waiting(v);
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vrrp_child *ch = w->data;
	pid_t pgid = ch->w.pid;

	(void)revents;
	if (!ch->terminated) {
		log_warning("vrrp %s: notify script for %s still running after %.1f s: "
		            "sending SIGTERM", ch->name, ch->state, ch->timeout_s);
		ch->terminated = true;
		kill(-pgid, SIGTERM);
		ev_timer_set(w, NOTIFY_KILL_GRACE, 0.);
		ev_timer_start(loop, w);
		return;
	}
	log_warning("vrrp %s: notify script for %s still running %.1f s after SIGTERM: "
	            "sending SIGKILL", ch->name, ch->state, NOTIFY_KILL_GRACE);
	kill(-pgid, SIGKILL);
}

/*
 * The child starts with default signal handling and no blocked signal, not
 * libev's, in a process group of its own (so that a timeout reaches
 * whatever the script started).
 */
static int spawn(char *const argv[], pid_t *pid)
{
	posix_spawnattr_t attr;
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                         POSIX_SPAWN_SETPGROUP);
	rc = posix_spawn(pid, argv[0], NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/* Runs ch (taken off the waiting list); 0, or -1 with ch freed. */
static int run(struct vrrp *v, struct vrrp_child *ch, bool timed)
{
	char *argv[] = { ch->path, ch->name, ch->state, NULL };
	pid_t pid;
	int rc = spawn(argv, &pid);

	if (rc != 0) {
		log_err("vrrp %s: cannot run %s: %s", ch->name, ch->path, strerror(rc));
		free(ch);
		return -1;
	}
	ev_child_init(&ch->w, child_cb, pid, 0);
	ch->w.data = ch;
	ev_child_start(v->loop, &ch->w);
	ev_timer_init(&ch->timeout, timeout_cb, ch->timeout_s, 0.);
	ch->timeout.data = ch;
	if (timed)
		ev_timer_start(v->loop, &ch->timeout);
	list_push_tail(&v->notify_running, &ch->node);
	return 0;
}

static void start_waiting(struct vrrp *v)
{
	while (v->notify_running.count < NOTIFY_RUNNING_MAX && !list_empty(&v->notify_waiting)) {
		struct vrrp_child *ch = LIST_ITEM(v->notify_waiting.first, struct vrrp_child, node);

		list_remove(&v->notify_waiting, &ch->node);
		run(v, ch, true);
	}
}

void vrrp_notify(struct vrrp *v, const struct vrrp_instance *in)
{
	struct vrrp_child *ch = calloc(1, sizeof *ch);

	if (!ch) {
		log_err("vrrp %s: notify: out of memory", in->c.name);
		return;
	}
	ch->vrrp = v;
	ch->timeout_s = (double)in->c.notify_timeout_us / 1e6;
	snprintf(ch->path, sizeof ch->path, "%s", in->c.notify);
	snprintf(ch->name, sizeof ch->name, "%s", in->c.name);
	snprintf(ch->state, sizeof ch->state, "%s", vrrp_state_name(in->view.state));
	if (v->notify_waiting.count >= NOTIFY_WAITING_MAX) {
		struct vrrp_child *old = LIST_ITEM(v->notify_waiting.first, struct vrrp_child, node);

		log_warning("vrrp %s: notify script for %s dropped: %d running and %d waiting "
		            "(transitions come faster than the scripts end)", old->name, old->state,
		            NOTIFY_RUNNING_MAX, NOTIFY_WAITING_MAX);
		list_remove(&v->notify_waiting, &old->node);
		free(old);
	}
	list_push_tail(&v->notify_waiting, &ch->node);
	start_waiting(v);
}

/*
 * At exit: the waiting scripts are started too (the last transitions, INIT
 * among them, are told), and none is waited for or timed: the loop ends.
 */
void vrrp_notify_forget(struct vrrp *v)
{
	while (!list_empty(&v->notify_waiting)) {
		struct vrrp_child *ch = LIST_ITEM(v->notify_waiting.first, struct vrrp_child, node);

		list_remove(&v->notify_waiting, &ch->node);
		run(v, ch, false);
	}
	while (!list_empty(&v->notify_running))
		child_free(v, LIST_ITEM(v->notify_running.first, struct vrrp_child, node),
		           &v->notify_running);
}
