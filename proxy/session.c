/*
 * A client session's life: created on accept in the login phase (login.c),
 * admitted once its first packet is whole, attached to a server while
 * connecting and relaying (the member's registry, which is what
 * shutdown-sessions walks), and ended in exactly one place, session_end(),
 * which releases everything and writes the one log line.
 *
 * Only an admitted session counts: in [global] maxconn, in the listener's
 * sessions, and for a server. A client still logging in counts nowhere.
 */
#include <assert.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "proxy/internal.h"

static const char *const end_names[] = {
	[SESSION_END_CLIENT_CLOSED] = "closed by client",
	[SESSION_END_SERVER_CLOSED] = "closed by server",
	[SESSION_END_CLIENT_ERROR] = "client error",
	[SESSION_END_SERVER_ERROR] = "server error",
	[SESSION_END_CLIENT_TIMEOUT] = "client timeout",
	[SESSION_END_SERVER_TIMEOUT] = "server timeout",
	[SESSION_END_SERVER_DOWN] = "server marked down",
	[SESSION_END_KILLED] = "killed by the operator",
	[SESSION_END_RELOADED] = "removed from the configuration",
	[SESSION_END_SHUTDOWN] = "pgfront shutting down",
	[SESSION_END_NO_MEMORY] = "out of memory",
	[SESSION_END_VIP_LOST] = "its VIP moved to another balancer",
};

const char *session_end_name(enum session_end why)
{
	return end_names[why];
}

/* The address the client connected to: the bind's own, unless that is a
 * wildcard (only then is a getsockname() needed). */
static void keep_local_address(struct session *s, const struct conf_addr *bind)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (!conf_addr_is_any(bind))
		ss = bind->ss;
	else if (getsockname(s->client_fd, (struct sockaddr *)&ss, &len) < 0)
		return;                 /* AF_UNSPEC: no VIP move concerns it */
	s->local_family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		memcpy(s->local_host, &((struct sockaddr_in *)&ss)->sin_addr, sizeof(struct in_addr));
	else if (ss.ss_family == AF_INET6)
		memcpy(s->local_host, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		       sizeof(struct in6_addr));
}

struct session *session_new(struct proxy_listener *l, const struct conf_addr *bind,
                            int client_fd, const char *client)
{
	struct session *s = calloc(1, sizeof *s);

	if (s && !(s->login = calloc(1, sizeof *s->login))) {
		free(s);
		s = NULL;
	}
	if (!s)
		return NULL;
	s->login->session = s;
	s->proxy = l->proxy;
	s->rl = &l->proxy->main_rl;
	s->listener = l;
	s->member = -1;
	s->state = SESSION_LOGIN;
	s->client_fd = client_fd;
	s->server_fd = -1;
	s->started = ev_now(l->proxy->loop);
	s->last_client = s->last_server = s->started;
	snprintf(s->client, sizeof s->client, "%s", client);
	keep_local_address(s, bind);
	ev_init(&s->timer, NULL);
	s->timer.data = s;
	return s;
}

/* Its first packet is whole: from now on it counts, and it is routed. */
void session_admit(struct session *s)
{
	struct proxy_listener *l = s->listener;

	login_leave(s);
	s->state = SESSION_ROUTING;
	/* hold_when_down and the log's duration count from here. */
	s->started = s->last_client = s->last_server = ev_now(l->proxy->loop);
	l->proxy->connections++;
	l->c.sessions++;
	l->c.sessions_total++;
	if (l->c.sessions > l->c.sessions_max)
		l->c.sessions_max = l->c.sessions;
}

/* A client that never became a session (a CancelRequest): the caller owns
 * its socket now. */
void session_forget(struct session *s)
{
	assert(s->state == SESSION_LOGIN);
	login_leave(s);
	login_free(s);
	free(s);
}

void session_attach(struct session *s, int member)
{
	struct proxy_member *m = &s->listener->members[member];

	assert(s->state == SESSION_ROUTING && s->member < 0);
	s->member = member;
	list_push_head(&m->sessions, &s->member_node);
	m->c.sessions++;
	if (m->c.sessions > m->c.sessions_max)
		m->c.sessions_max = m->c.sessions;
}

/* Frees the member's slot; the session is to be routed again or released. */
void session_detach(struct session *s)
{
	struct proxy_member *m;

	if (s->member < 0)
		return;
	assert(s->state == SESSION_CONNECTING || s->state == SESSION_RELAYING);
	m = &s->listener->members[s->member];
	list_remove(&m->sessions, &s->member_node);
	m->c.sessions--;
	s->member = -1;
	s->state = SESSION_ROUTING;
}

/*
 * Adds the bytes relayed since the last fold to the listener's and the
 * server's counters. The relaying thread writes s->up.bytes and
 * s->down.bytes, and only the main thread writes the counters: so the
 * counters have one writer, and the stats page folds before it reads.
 */
void session_fold_bytes(struct session *s)
{
	struct proxy_listener *l = s->listener;
	uint64_t up = __atomic_load_n(&s->up.bytes, __ATOMIC_RELAXED);
	uint64_t down = __atomic_load_n(&s->down.bytes, __ATOMIC_RELAXED);
	struct proxy_server_counters *m;

	if (s->member < 0)
		return;
	m = &l->members[s->member].c;
	l->c.bytes_in += up - s->up_folded;
	m->bytes_in += up - s->up_folded;
	l->c.bytes_out += down - s->down_folded;
	m->bytes_out += down - s->down_folded;
	s->up_folded = up;
	s->down_folded = down;
}

/*
 * Releases everything but the client socket, which the caller owns then.
 * A freed slot only schedules the queue: this runs from teardown paths.
 */
static void session_release(struct session *s)
{
	struct proxy_listener *l = s->listener;
	bool freed_slot = s->member >= 0;
	bool admitted = s->state != SESSION_LOGIN;

	assert(s->xfer == XFER_NONE && s->rl == &s->proxy->main_rl);
	assert(!list_linked(&s->suspect_node));
	session_fold_bytes(s);
	ev_timer_stop(s->proxy->loop, &s->timer);
	if (s->state == SESSION_LOGIN) {
		login_leave(s);
		s->state = SESSION_ROUTING;
	}
	if (s->state == SESSION_QUEUED)
		queue_leave(s);
	if (s->state == SESSION_RELAYING)
		threads_unsettle(s);
	assert(!list_linked(&s->xfer_node));
	relay_stop(s);          /* the connect watcher too, while connecting */
	if (s->state == SESSION_RELAYING)
		s->rl->sessions--;
	session_detach(s);
	assert(s->state == SESSION_ROUTING);
	assert(!list_linked(&s->queue_node) && !list_linked(&s->member_node));
	if (s->server_fd >= 0)
		close(s->server_fd);
	if (admitted) {
		s->proxy->connections--;
		l->c.sessions--;
	}
	login_free(s);
	free(s);
	if (freed_slot)
		listener_slot_freed(l);
}

static void log_end(const struct session *s, enum session_end why)
{
	const struct proxy_listener *l = s->listener;
	const char *server = s->member >= 0
		? l->proxy->conf->servers[l->conf->members[s->member].server].name : "-";

	log_info("%s: %s -> %s: %s after %.3f s, %llu bytes in, %llu bytes out",
	         l->conf->name, s->client, server, session_end_name(why),
	         ev_now(s->proxy->loop) - s->started,
	         (unsigned long long)s->up.bytes, (unsigned long long)s->down.bytes);
}

void session_end(struct session *s, enum session_end why)
{
	static struct log_ratelimit no_memory_rl = { .period = 10, .burst = 5 };
	int client_fd;

	if (s->xfer != XFER_NONE)
		threads_reclaim(s);     /* stopped on its relay thread, and ours again */
	client_fd = s->client_fd;   /* -1 if a relay thread had it: closed there */
	if (why == SESSION_END_NO_MEMORY) {
		s->proxy->ended_no_memory++;
		log_limited(&no_memory_rl, LOG_LEVEL_ERR, "%s: %s: out of memory for a relay "
		            "buffer: session ended (%llu so far)", s->listener->conf->name, s->client,
		            (unsigned long long)s->proxy->ended_no_memory);
	}
	if (why == SESSION_END_SERVER_ERROR && s->member >= 0)
		listener_suspect_server(s->listener, s->member, "a session failed");
	/* A client that never sent its first packet is no session (port probes,
	 * scanners): login.c logs what matters of those, rate-limited. */
	if (s->state == SESSION_LOGIN)
		log_debug("%s: %s: %s while logging in", s->listener->conf->name, s->client,
		          session_end_name(why));
	else
		log_end(s, why);
	session_release(s);
	if (client_fd >= 0)
		close(client_fd);
}

/* The session gets no server: the client is told why instead (FATAL, SQLSTATE). */
void session_tell(struct session *s, const char *sqlstate, const char *message)
{
	struct proxy *proxy = s->proxy;
	int client_fd = s->client_fd;
	enum pg_startup_kind read = s->login && s->login->packet ? s->login->kind
	                                                         : PG_STARTUP_INVALID;
	char client[sizeof s->client];

	memcpy(client, s->client, sizeof client);
	session_release(s);
	refuse_client(proxy, client_fd, client, read, sqlstate, message);
}

/* 57P03 cannot_connect_now, counted under its reason. */
void session_refuse(struct session *s, enum proxy_refusal why, const char *message)
{
	s->listener->c.refused[why]++;
	session_tell(s, "57P03", message);
}
