/*
 * The files pgfront will open after it switched to [global] user — the
 * checks' CA, certificate and key (curl reads them at every TLS check), the
 * stats page's certificate and key (read again on reload) and the VRRP
 * notify scripts (run at each transition) — are checked as that user, not
 * as the root that reads the configuration: a root-only key passed as
 * "readable" and then failed every TLS check, and every server went DOWN.
 *
 * The check runs in a child that takes the user's uid and groups and tries
 * each file as the daemon will: open() to read, access(X_OK) to run. The
 * parent only reads one errno per file back. Run as anyone else than root,
 * there is nobody to become: what the keys' own access() found is what the
 * daemon will find (on a reload, pgfront is already that user).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/state.h"

void conf_access_note(struct conf_state *st, const char *path, int mode, const char *key)
{
	struct conf_access *a;

	if (st->naccess >= CONF_ACCESS_MAX)
		return;
	a = &st->access[st->naccess++];
	snprintf(a->path, sizeof a->path, "%s", path);
	snprintf(a->title, sizeof a->title, "%s", st->title);
	snprintf(a->key, sizeof a->key, "%s", key);
	a->mode = mode;
	a->line = st->line;
}

static int try_file(const struct conf_access *a)
{
	int fd;

	if (a->mode == X_OK)
		return access(a->path, X_OK) == 0 ? 0 : errno;
	fd = open(a->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* In the child: become the user, try every file, write one errno each. */
static void child(const struct conf_state *st, const struct passwd *pw, int out)
{
	int results[CONF_ACCESS_MAX];
	int failed = 0;

	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		failed = errno ? errno : EPERM;
	for (int i = 0; i < st->naccess; i++)
		results[i] = failed ? -failed : try_file(&st->access[i]);
	if (write(out, results, sizeof results[0] * (size_t)st->naccess) < 0)
		_exit(1);
	_exit(0);
}

/* Fills results (one errno per file, -errno if the switch itself failed); -1 on failure. */
static int run_child(const struct conf_state *st, const struct passwd *pw, int *results)
{
	size_t want = sizeof results[0] * (size_t)st->naccess, got = 0;
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);   /* the child must not write the parent's buffered output again */
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(st, pw, fds[1]);
	}
	close(fds[1]);
	while (pid > 0 && got < want) {
		ssize_t n = read(fds[0], (char *)results + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return got == want ? 0 : -1;
}

void conf_check_user_access(struct conf_state *st)
{
	const char *user = st->conf->global.user;
	int results[CONF_ACCESS_MAX];
	struct passwd *pw;

	if (!user[0] || st->naccess == 0 || geteuid() != 0)
		return;
	/* An unknown user is said at startup, where it stops pgfront. */
	pw = getpwnam(user);
	if (!pw || pw->pw_uid == 0)
		return;
	if (run_child(st, pw, results) < 0) {
		conf_error(st, st->global_user_line, "[global]", "user",
		           "cannot check the files as user %s: %s", user, strerror(errno));
		return;
	}
	for (int i = 0; i < st->naccess; i++) {
		const struct conf_access *a = &st->access[i];
		int e = results[i];

		if (e < 0)
			conf_error(st, st->global_user_line, "[global]", "user",
			           "cannot become user %s to check the files: %s", user, strerror(-e));
		if (e < 0)
			return;
		if (e > 0)
			conf_error(st, a->line, a->title, a->key, "%s: not %s by user %s (%s)",
			           a->path, a->mode == X_OK ? "executable" : "readable", user,
			           strerror(e));
	}
}
