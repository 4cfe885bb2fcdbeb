/*
 * http_check — one HTTP request per check, on libcurl's multi interface
 * driven by the libev loop (curl tells us which sockets and which timeout to
 * watch; we tell it what fired). No threads, nothing blocking: check hosts
 * are numeric, so curl never starts a resolver.
 *
 * Low level: this file never logs. It hands each result (judged by
 * verdict.c) to engine.c, which decides what it means and what to say.
 */
#include "health/internal.h"
#include "health/tls_files.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <ev.h>

/*
 * Patroni answers in a few hundred bytes (a primary lists its replicas). A
 * body far larger is not worth reading: the status line and headers have
 * arrived by then, so stop there and judge on the status alone.
 */
#define BODY_CAP (16 * 1024)

#define URL_MAX (16 + 3 * CONF_HOST_MAX + CONF_PATH_MAX)

/* One socket curl asked us to watch. */
struct watch {
	ev_io io;
	struct hc_http *http;
	LIST_ENTRY(watch) entry;
};

/* One check in flight. */
struct hc_request {
	struct hc_http *http;
	CURL *easy;
	void *token;
	int expect_status;
	uint64_t timeout_us;
	double started;          /* monotonic seconds */
	bool read_body;          /* check_body = patroni: keep it and parse it */
	struct hc_tls_use tls;   /* check_tls: what to present and trust */
	size_t body_len;
	bool body_capped;
	int socket_errno;        /* socket() failed with it: see open_socket() */
	char url[URL_MAX];
	char errbuf[CURL_ERROR_SIZE];
	LIST_ENTRY(hc_request) entry;
	char body[BODY_CAP];
};

struct hc_http {
	struct ev_loop *loop;
	CURLM *multi;
	/* TLS sessions, resumed by the next check of the same server: a check
	 * still opens a new connection, but skips the certificate signatures.
	 * curl keys a session by host, port and its own TLS options, which do
	 * not show the client certificate on_ssl_ctx sets: two listeners
	 * checking one server with different certificates would share it. */
	CURLSH *share;
	struct hc_tls_files *tls_files;   /* read and parsed once, at this load */
	ev_timer timer;          /* the one timeout curl asks for */
	void (*done)(void *token, const struct hc_result *result);
	LIST_HEAD(, hc_request) requests;
	LIST_HEAD(, watch) watches;
};

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- one request ---- */

static size_t keep_body(char *data, size_t size, size_t n, void *arg)
{
	struct hc_request *r = arg;

	if (size * n > BODY_CAP - r->body_len) {
		r->body_capped = true;
		return 0; /* anything but size * n aborts the transfer */
	}
	if (r->read_body)
		memcpy(r->body + r->body_len, data, size * n);
	r->body_len += size * n;
	return size * n;
}

/* IPv6 literals go in brackets, and a zone's '%' must be written %25 in a URL. */
static int format_host(char *out, size_t len, const char *host)
{
	size_t o = 0;

	if (!strchr(host, ':'))
		return snprintf(out, len, "%s", host) < (int)len ? 0 : -1;
	out[o++] = '[';
	for (; *host; host++) {
		if (o + 5 > len) /* "%25", ']' and the NUL */
			return -1;
		if (*host == '%') {
			memcpy(out + o, "%25", 3);
			o += 3;
		} else {
			out[o++] = *host;
		}
	}
	out[o++] = ']';
	out[o] = 0;
	return 0;
}

static int build_url(struct hc_request *r, const struct conf_listener *l,
                     const struct conf_server *s, const struct conf_tunables *t)
{
	char host[3 * CONF_HOST_MAX + 3];
	const char *path = l->check_path[0] ? l->check_path : "/";
	int n;

	if (format_host(host, sizeof host, s->check_host[0] ? s->check_host : s->address.host) < 0)
		return -1;
	n = snprintf(r->url, sizeof r->url, "%s://%s:%u%s", t->check_tls ? "https" : "http",
	             host, (unsigned)t->check_port, path);
	return n > 0 && (size_t)n < sizeof r->url ? 0 : -1;
}

static CURLcode set_method(CURL *e, const char *method, bool read_body)
{
	/* Patroni's HEAD and GET answer with the same status; only GET has the body. */
	if (!method[0] || strcmp(method, "GET") == 0 || (read_body && !strcmp(method, "HEAD")))
		return CURLE_OK;
	/* Patroni's HEAD reply has no Content-Length: NOBODY makes curl stop at the headers. */
	if (strcmp(method, "HEAD") == 0)
		return curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	return curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
}

/* curl's new TLS context gets what was parsed at the load (tls_files.c). */
static CURLcode on_ssl_ctx(CURL *e, void *ssl_ctx, void *arg)
{
	const struct hc_request *r = arg;

	(void)e;
	return hc_tls_use_apply(&r->tls, ssl_ctx) == 0 ? CURLE_OK : CURLE_SSL_CERTPROBLEM;
}

/*
 * A CA file of the check's own is the only trust: it replaces the CA path
 * Debian's libcurl adds by default, which would also trust every public CA
 * (and, being a directory, keeps curl from caching the parsed store, so the
 * system bundle would be parsed again, loop blocked, at every check).
 *
 * With that private CA, as with HAProxy's check-ssl and ca-file, the name is
 * not checked: check hosts are numeric and Patroni's certificates rarely carry
 * addresses. Without one, the public CAs vouch for anybody's certificate, so
 * the name must match as well (curl's default).
 */
static CURLcode set_tls(struct hc_request *r, const struct conf_tunables *t)
{
	CURL *e = r->easy;
	CURLcode c = curl_easy_setopt(e, CURLOPT_CAPATH, (char *)NULL);

	r->tls = hc_tls_files_for(r->http->tls_files, t);
	if (!c && r->tls.ca) {
		/* the store on_ssl_ctx puts in replaces whatever curl would load */
		c = curl_easy_setopt(e, CURLOPT_CAINFO, (char *)NULL);
		if (!c)
			c = curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!c && (r->tls.ca || r->tls.cert)) {
		c = curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
		if (!c)
			c = curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, r);
	}
	return c;
}

/*
 * curl's own socket() call, made here to see its errno: with the process out
 * of descriptors curl only says "could not connect", which would count
 * against a server that did nothing wrong.
 */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct hc_request *r = arg;
	int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);

	(void)purpose;
	if (fd < 0) {
		r->socket_errno = errno;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

/* Errors of this process or this host, not of the server checked. */
static bool local_errno(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

static int set_options(struct hc_request *r, const struct conf_listener *l,
                       const struct conf_tunables *t)
{
	CURL *e = r->easy;
	long timeout_ms = (long)(t->timeout_check_us / 1000);

	if (timeout_ms < 1)
		timeout_ms = 1; /* 0 would mean no timeout at all */
	if (curl_easy_setopt(e, CURLOPT_URL, r->url) ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, r) ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf) ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) ||
	    /* each check proves a new connection can be made, as a client's would
	     * (over TLS, resuming the last session: see struct hc_http) */
	    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L) ||
	    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L) ||
	    curl_easy_setopt(e, CURLOPT_SHARE, r->http->share) ||
	    /* http_proxy in the environment must not reroute checks */
	    curl_easy_setopt(e, CURLOPT_PROXY, "") ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "pgfront-check") ||
	    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) ||
	    curl_easy_setopt(e, CURLOPT_HTTP09_ALLOWED, 0L) ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_body) ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, r) ||
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket) ||
	    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, r) ||
	    set_method(e, l->check_method, r->read_body))
		return -1;
	if (t->check_tls && set_tls(r, t))
		return -1;
	return 0;
}

static void request_destroy(struct hc_request *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	free(r);
}

/* For a request the multi handle has: removing it closes its connection. */
static void request_finish(struct hc_request *r)
{
	curl_multi_remove_handle(r->http->multi, r->easy);
	LIST_REMOVE(r, entry);
	request_destroy(r);
}

int hc_http_start(struct hc_http *http, const struct conf_listener *l,
                  const struct conf_server *s, const struct conf_tunables *t,
                  void *token, struct hc_request **started, char *err, size_t errlen)
{
	struct hc_request *r = malloc(sizeof *r);
	CURLMcode mc;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(r, 0, offsetof(struct hc_request, body)); /* the body is written before read */
	r->http = http;
	r->read_body = l->check_body == CONF_CHECK_BODY_PATRONI;
	r->token = token;
	r->expect_status = l->expect_status;
	r->timeout_us = t->timeout_check_us;
	if (build_url(r, l, s, t) < 0) {
		snprintf(err, errlen, "check URL too long");
		request_destroy(r);
		return -1;
	}
	r->easy = curl_easy_init();
	if (!r->easy || set_options(r, l, t) < 0) {
		snprintf(err, errlen, "cannot set up a curl request");
		request_destroy(r);
		return -1;
	}
	r->started = monotonic_seconds();
	mc = curl_multi_add_handle(http->multi, r->easy);
	if (mc != CURLM_OK) {
		snprintf(err, errlen, "curl: %s", curl_multi_strerror(mc));
		request_destroy(r);
		return -1;
	}
	LIST_INSERT_HEAD(&http->requests, r, entry);
	*started = r;
	return 0;
}

void hc_http_cancel(struct hc_request *r)
{
	request_finish(r);
}

/* ---- curl's multi handle on the libev loop ---- */

static void deliver(struct hc_http *http, CURL *easy, CURLcode code)
{
	struct hc_result result = { 0 };
	char *priv = NULL;
	struct hc_request *r;
	long status = 0, os_errno = 0;
	void *token;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
	r = (struct hc_request *)priv;
	/* The cap stopped a body after complete headers: the status stands. */
	if (code == CURLE_WRITE_ERROR && r->body_capped)
		code = CURLE_OK;
	hc_http_classify(&result, code, status, os_errno, r->errbuf, r->expect_status,
	                 r->timeout_us);
	if (code != CURLE_OK && local_errno(r->socket_errno)) {
		result.reason = HC_REASON_LOCAL;
		snprintf(result.detail, sizeof result.detail, "cannot open a socket: %s",
		         strerror(r->socket_errno));
	}
	/* A cut-off body is no body: judged on the status alone. */
	if (r->read_body && code == CURLE_OK && !r->body_capped)
		hc_patroni_parse(r->body, r->body_len, &result.patroni);
	result.duration_ms = (monotonic_seconds() - r->started) * 1e3;
	token = r->token;
	request_finish(r);
	http->done(token, &result);
}

static void collect_done(struct hc_http *http)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(http->multi, &left))) {
		if (msg->msg == CURLMSG_DONE)
			deliver(http, msg->easy_handle, msg->data.result);
	}
}

static void on_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct hc_http *http = ((struct watch *)io->data)->http;
	int action = 0;
	int running;

	(void)loop;
	if (revents & EV_READ)
		action |= CURL_CSELECT_IN;
	if (revents & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	if (revents & EV_ERROR)
		action |= CURL_CSELECT_ERR;
	/* may free this watcher, through on_socket(CURL_POLL_REMOVE) */
	curl_multi_socket_action(http->multi, io->fd, action, &running);
	collect_done(http);
}

static void on_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct hc_http *http = timer->data;
	int running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect_done(http);
}

static void unwatch(struct hc_http *http, struct watch *w)
{
	ev_io_stop(http->loop, &w->io);
	LIST_REMOVE(w, entry);
	free(w);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct hc_http *http = arg;
	struct watch *w = sockp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (w)
			unwatch(http, w);
		return 0;
	}
	if (!w) {
		w = calloc(1, sizeof *w);
		if (!w)
			return -1; /* curl fails this multi's transfers */
		w->http = http;
		ev_init(&w->io, on_io);
		w->io.data = w;
		LIST_INSERT_HEAD(&http->watches, w, entry);
		curl_multi_assign(http->multi, fd, w);
	} else {
		ev_io_stop(http->loop, &w->io);
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	/* ev_io_set on every change: libev then treats the fd as possibly new,
	 * which it may be, since curl closes and reopens sockets. */
	ev_io_set(&w->io, fd, events);
	if (events)
		ev_io_start(http->loop, &w->io);
	return 0;
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct hc_http *http = arg;

	(void)multi;
	ev_timer_stop(http->loop, &http->timer);
	if (timeout_ms >= 0) {
		/* 0 means "now": from the loop, since curl forbids calling it back from here */
		ev_timer_set(&http->timer, (double)timeout_ms / 1e3, 0.);
		ev_timer_start(http->loop, &http->timer);
	}
	return 0;
}

/* A share handle used by this thread alone: no lock callbacks needed. */
static CURLSH *session_cache(void)
{
	CURLSH *share = curl_share_init();

	if (share && curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION)) {
		curl_share_cleanup(share);
		return NULL;
	}
	return share;
}

struct hc_http *hc_http_new(struct ev_loop *loop, const struct conf *conf,
                            void (*done)(void *token, const struct hc_result *result),
                            char *err, size_t errlen)
{
	struct hc_http *http;
	struct hc_tls_files *files;
	CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (c != CURLE_OK) {
		snprintf(err, errlen, "curl: %s", curl_easy_strerror(c));
		return NULL;
	}
	files = hc_tls_files_load(conf, err, errlen);
	if (!files) {
		curl_global_cleanup();
		return NULL;
	}
	http = calloc(1, sizeof *http);
	if (!http || !(http->multi = curl_multi_init()) || !(http->share = session_cache())) {
		snprintf(err, errlen, "curl: cannot create a multi or share handle");
		if (http && http->multi)
			curl_multi_cleanup(http->multi);
		free(http);
		hc_tls_files_free(files);
		curl_global_cleanup();
		return NULL;
	}
	http->tls_files = files;
	http->loop = loop;
	http->done = done;
	LIST_INIT(&http->requests);
	LIST_INIT(&http->watches);
	ev_init(&http->timer, on_timer);
	http->timer.data = http;
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	return http;
}

void hc_http_free(struct hc_http *http)
{
	struct hc_request *r;
	struct watch *w;

	if (!http)
		return;
	while ((r = LIST_FIRST(&http->requests)))
		request_finish(r);
	curl_multi_cleanup(http->multi);
	/* curl normally says REMOVE for each socket; whatever it did not, goes here */
	while ((w = LIST_FIRST(&http->watches)))
		unwatch(http, w);
	ev_timer_stop(http->loop, &http->timer);
	curl_share_cleanup(http->share);   /* after every easy handle that used it */
	hc_tls_files_free(http->tls_files);
	free(http);
	curl_global_cleanup();
}
