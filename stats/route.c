/*
 * One parsed request in, one whole response out (headers and body, in one
 * buffer that the server then writes). Who may see what, and who may act:
 *
 *   auth set       every path asks for it (401 with a Basic challenge)
 *   GET <uri>      the HTML page; <uri>;csv, <uri>;json; ";norefresh" stops
 *                  the page's auto-refresh, as HAProxy's does
 *   GET /metrics   Prometheus
 *   POST <uri>     an admin action: admin = yes, same origin, then the body
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "stats/internal.h"

#define CSP "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; " \
            "frame-ancestors 'none'"

enum page { PAGE_HTML, PAGE_CSV, PAGE_JSON, PAGE_METRICS };

struct route {
	const struct stats_sources *src;
	const struct stats_request *req;
	const char *peer;
	struct stats_buf *out;
};

/* Headers, then the body (left out for HEAD). */
static void respond(struct route *r, int status, const char *type, const char *extra,
                    const char *body, size_t len)
{
	stats_buf_printf(r->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	                 "Connection: close\r\nCache-Control: no-store\r\n"
	                 "X-Content-Type-Options: nosniff\r\nReferrer-Policy: same-origin\r\n"
	                 "Content-Security-Policy: " CSP "\r\n%s\r\n",
	                 status, stats_http_reason(status), type, len, extra ? extra : "");
	if (r->req->method != STATS_METHOD_HEAD)
		stats_buf_add(r->out, body, len);
}

static void respond_text(struct route *r, int status, const char *extra, const char *text)
{
	char body[512];
	int n = snprintf(body, sizeof body, "%d %s: %s\n", status, stats_http_reason(status), text);

	respond(r, status, "text/plain; charset=utf-8", extra, body,
	        n < 0 ? 0 : (size_t)n < sizeof body ? (size_t)n : sizeof body - 1);
}

static void serve_page(struct route *r, struct stats_snapshot *snap, double now,
                       enum page page, bool refresh)
{
	static const char *const types[] = {
		[PAGE_HTML] = "text/html; charset=utf-8",
		[PAGE_CSV] = "text/plain; charset=utf-8",
		[PAGE_JSON] = "application/json",
		[PAGE_METRICS] = "text/plain; version=0.0.4; charset=utf-8",
	};
	struct stats_buf body = { 0 };

	stats_collect(snap, r->src, now);
	switch (page) {
	case PAGE_HTML: stats_render_html(&body, snap, refresh); break;
	case PAGE_CSV: stats_render_csv(&body, snap); break;
	case PAGE_JSON: stats_render_json(&body, snap); break;
	case PAGE_METRICS: stats_render_metrics(&body, snap); break;
	}
	if (body.failed)
		respond_text(r, 500, NULL, "out of memory");
	else
		respond(r, 200, types[page], NULL, body.data ? body.data : "", body.len);
	stats_buf_free(&body);
}

/* ";csv", ";json", ";norefresh", in any order; -1 for anything else. */
static int parse_options(const char *opts, enum page *page, bool *refresh)
{
	*page = PAGE_HTML;
	*refresh = true;
	while (*opts == ';') {
		const char *o = opts + 1;
		size_t n = strcspn(o, ";");
		if (n == 3 && strncmp(o, "csv", 3) == 0)
			*page = PAGE_CSV;
		else if (n == 4 && strncmp(o, "json", 4) == 0)
			*page = PAGE_JSON;
		else if (n == 9 && strncmp(o, "norefresh", 9) == 0)
			*refresh = false;
		else
			return -1;
		opts = o + n;
	}
	return 0;
}

static void admin_answer(struct route *r, const struct stats_admin_request *a, int status,
                         const char *msg)
{
	const struct stats_request *req = r->req;
	char extra[CONF_PATH_MAX + 32];
	struct stats_buf body = { 0 };

	if (a->json) {
		stats_buf_printf(&body, "{\"ok\":%s,\"message\":", status == 200 ? "true" : "false");
		stats_buf_json(&body, msg);
		stats_buf_puts(&body, "}\n");
		respond(r, body.failed ? 500 : status, "application/json", NULL,
		        body.data ? body.data : "", body.len);
		stats_buf_free(&body);
	} else if (status == 200 && (req->has_origin || req->has_referer)) {
		/* A browser's form: back to the page, so that reloading it does not post again. */
		snprintf(extra, sizeof extra, "Location: %s\r\n", r->src->conf->stats.uri);
		respond_text(r, 303, extra, msg);
	} else {
		respond_text(r, status, NULL, msg);
	}
}

static void serve_admin(struct route *r)
{
	const struct conf_stats *st = &r->src->conf->stats;
	const struct stats_request *req = r->req;
	struct stats_admin_request a;
	const char *why = NULL;
	char msg[256];
	int status;

	if (!st->admin || !st->user[0]) {
		respond_text(r, 403, NULL, "admin actions are disabled: set admin = yes in [stats]");
		return;
	}
	if (!stats_same_origin(req)) {
		log_notice("stats: refused a cross-origin admin request from %s (Origin: %s)",
		           r->peer, req->has_origin ? req->origin : req->referer);
		respond_text(r, 403, NULL, "cross-origin request refused: Origin or Referer "
		             "does not match Host");
		return;
	}
	status = stats_admin_parse(req->content_type, req->body, req->body_len, &a, &why);
	if (status) {
		a.json = strncmp(req->content_type, "application/json", 16) == 0;
		admin_answer(r, &a, status, why);
		return;
	}
	status = stats_admin_apply(r->src, &a, msg, sizeof msg);
	log_notice("stats: %s %s/%s from %s (user %s): %s", stats_action_name(a.action),
	           a.listener, a.server, r->peer, st->user, msg);
	admin_answer(r, &a, status, msg);
}

static bool authorized(const struct route *r)
{
	const struct conf_stats *st = &r->src->conf->stats;

	if (!st->user[0])
		return true;
	return r->req->has_authorization &&
	       stats_auth_ok(r->req->authorization, st->user, st->password);
}

static void route(struct route *r, struct stats_snapshot *snap, double now)
{
	const struct stats_request *req = r->req;
	const char *uri = r->src->conf->stats.uri;
	char path[STATS_TARGET_MAX];
	size_t base;
	enum page page;
	bool refresh;

	if (!authorized(r)) {
		respond_text(r, 401, "WWW-Authenticate: Basic realm=\"pgfront stats\", "
		             "charset=\"UTF-8\"\r\n", "credentials required");
		return;
	}
	snprintf(path, sizeof path, "%.*s", (int)strcspn(req->target, "?#"), req->target);
	base = strcspn(path, ";");
	if (strcmp(path, "/metrics") == 0) {
		if (req->method == STATS_METHOD_POST)
			respond_text(r, 405, "Allow: GET, HEAD\r\n", "/metrics is read-only");
		else
			serve_page(r, snap, now, PAGE_METRICS, false);
	} else if (strlen(uri) != base || strncmp(path, uri, base) != 0 ||
	           parse_options(path + base, &page, &refresh) < 0) {
		respond_text(r, 404, NULL, "no such page");
	} else if (req->method != STATS_METHOD_POST) {
		serve_page(r, snap, now, page, refresh);
	} else if (path[base]) {
		respond_text(r, 405, "Allow: GET, HEAD\r\n", "admin actions are posted to the page");
	} else {
		serve_admin(r);
	}
}

void stats_route(const struct stats_sources *src, struct stats_snapshot *snap, double now,
                 enum stats_parse rc, const struct stats_request *req, const char *peer,
                 struct stats_buf *out)
{
	struct route r = { src, req, peer, out };

	if (!src->conf->stats.enabled)       /* [stats] gone in a reload: nothing to show */
		respond_text(&r, 503, NULL, "the stats page is not configured");
	else if (rc == STATS_PARSE_ERROR)
		respond_text(&r, req->status,
		             req->status == 405 ? "Allow: GET, HEAD, POST\r\n" : NULL, req->error);
	else
		route(&r, snap, now);
	log_debug("stats: %s %s %s: %.3s", peer, rc == STATS_PARSE_ERROR ? "-" :
	          stats_method_name(req->method), rc == STATS_PARSE_ERROR ? "-" : req->target,
	          out->data ? out->data + 9 : "?");
}
