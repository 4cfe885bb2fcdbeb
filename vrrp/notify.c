/*
 * notify = /path/cmd: run on every transition as `cmd NAME STATE`, like
 * keepalived's notify (which adds a first "INSTANCE" argument). The loop
 * never waits for it: an ev_child watcher reaps it and logs a failure.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "vrrp/internal.h"

extern char **environ;

struct vrrp_child {
	ev_child w;
	struct vrrp *vrrp;
	struct vrrp_child *next;
	char name[CONF_NAME_MAX];
	char state[16];
};

static void unlink_child(struct vrrp *v, struct vrrp_child *ch)
{
	for (struct vrrp_child **p = &v->children; *p; p = &(*p)->next) {
		if (*p == ch) {
			*p = ch->next;
			return;
		}
	}
}

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct vrrp_child *ch = w->data;
	int status = w->rstatus;

	(void)revents;
	ev_child_stop(loop, w);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warning("vrrp %s: notify script for %s exited with status %d", ch->name,
		            ch->state, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warning("vrrp %s: notify script for %s killed by signal %d", ch->name,
		            ch->state, WTERMSIG(status));
	unlink_child(ch->vrrp, ch);
	free(ch);
}

/* The child starts with default signal handling and no blocked signal, not libev's. */
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
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(pid, argv[0], NULL, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	return rc;
}

void vrrp_notify(struct vrrp *v, const struct vrrp_instance *in)
{
	const char *state = vrrp_state_name(in->view.state);
	char *argv[] = { (char *)in->c.notify, (char *)in->c.name, (char *)state, NULL };
	struct vrrp_child *ch = calloc(1, sizeof *ch);
	pid_t pid;
	int rc;

	if (!ch) {
		log_err("vrrp %s: notify: out of memory", in->c.name);
		return;
	}
	rc = spawn(argv, &pid);
	if (rc != 0) {
		log_err("vrrp %s: cannot run %s: %s", in->c.name, in->c.notify, strerror(rc));
		free(ch);
		return;
	}
	ch->vrrp = v;
	strcpy(ch->name, in->c.name);
	snprintf(ch->state, sizeof ch->state, "%s", state);
	ev_child_init(&ch->w, child_cb, pid, 0);
	ch->w.data = ch;
	ev_child_start(v->loop, &ch->w);
	ch->next = v->children;
	v->children = ch;
}

/* At exit: scripts still running are left to finish on their own. */
void vrrp_notify_forget(struct vrrp *v)
{
	while (v->children) {
		struct vrrp_child *ch = v->children;

		v->children = ch->next;
		ev_child_stop(v->loop, &ch->w);
		free(ch);
	}
}
