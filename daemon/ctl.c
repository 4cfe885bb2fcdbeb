/*
 * pgfront ctl [-s HOST:PORT[/URI]] [-u USER:PASSWORD] ACTION LISTENER/SERVER
 *
 * Posts the action to the stats page's admin endpoint, exactly as the page's
 * buttons do (minus the browser), and prints what pgfront answered. The
 * password may come from PGFRONT_STATS_AUTH rather than the command line,
 * where other users could read it in the process list.
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/ctl.h"

#define DEFAULT_SERVER "127.0.0.1:5000"
#define ANSWER_MAX 4096

struct answer {
	char text[ANSWER_MAX];
	size_t len;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: pgfront ctl [-s HOST:PORT[/URI]] [-u USER:PASSWORD] [-C CAFILE] ACTION "
	        "LISTENER/SERVER\n"
	        "  ACTION: ready, drain (no new sessions), maint (no new sessions, checks\n"
	        "          paused) or kill (close the sessions now)\n"
	        "  -s      the stats page (default %s); https://HOST:PORT/URI for TLS\n"
	        "  -u      its [stats] auth; default: the PGFRONT_STATS_AUTH variable\n"
	        "  -C      the CA file that signed the stats page's certificate\n",
	        DEFAULT_SERVER);
}

static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len > 63)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i]))
			return false;
	return true;
}

static bool valid_target(const char *target)
{
	const char *slash = strchr(target, '/');

	return slash && valid_name(target, (size_t)(slash - target)) &&
	       valid_name(slash + 1, strlen(slash + 1));
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t len = size * n, room = sizeof a->text - 1 - a->len;

	memcpy(a->text + a->len, data, len < room ? len : room);
	a->len += len < room ? len : room;
	a->text[a->len] = '\0';
	return len;
}

/* "HOST:PORT" or "HOST:PORT/URI" or a whole http(s) URL. */
static void make_url(const char *server, char *url, size_t size)
{
	if (strncmp(server, "http://", 7) == 0 || strncmp(server, "https://", 8) == 0)
		snprintf(url, size, "%s", server);
	else
		snprintf(url, size, "http://%s%s", server, strchr(server, '/') ? "" : "/");
}

static CURL *prepare(const char *url, const char *auth, const char *cafile, const char *body,
                     struct answer *answer, struct curl_slist *headers)
{
	CURL *curl = curl_easy_init();

	if (!curl)
		return NULL;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");   /* an http_proxy must not see this */
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
	if (auth) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERPWD, auth);
	}
	if (cafile)
		curl_easy_setopt(curl, CURLOPT_CAINFO, cafile);
	return curl;
}

/* pgfront answers "200 OK: postgres_write/pg1: DRAIN"; the message is what matters. */
static const char *message_of(const char *text)
{
	const char *colon = strstr(text, ": ");

	return colon ? colon + 2 : text;
}

static int post(const char *url, const char *auth, const char *cafile, const char *body)
{
	struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: "
	                                               "application/x-www-form-urlencoded");
	struct answer answer = { .len = 0 };
	CURL *curl = prepare(url, auth, cafile, body, &answer, headers);
	long status = 0;
	CURLcode rc;

	if (!curl || !headers) {
		fprintf(stderr, "pgfront ctl: out of memory\n");
		curl_slist_free_all(headers);
		return 1;
	}
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		fprintf(stderr, "pgfront ctl: %s: %s\n", url, curl_easy_strerror(rc));
		return 1;
	}
	if (status == 200) {
		printf("%s", message_of(answer.text));
		return 0;
	}
	fprintf(stderr, "pgfront ctl: %s", answer.len ? answer.text : "no answer\n");
	if (status == 401)
		fprintf(stderr, "pgfront ctl: give the [stats] auth with -u USER:PASSWORD or "
		        "PGFRONT_STATS_AUTH\n");
	return 1;
}

int ctl_main(int argc, char **argv)
{
	const char *server = DEFAULT_SERVER, *auth = getenv("PGFRONT_STATS_AUTH");
	const char *cafile = NULL, *action;
	char url[512], body[256];
	int opt, rc;

	while ((opt = getopt(argc, argv, "+s:u:C:h")) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'u': auth = optarg; break;
		case 'C': cafile = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 2) {
		usage(stderr);
		return 2;
	}
	action = argv[optind];
	if (strcmp(action, "ready") && strcmp(action, "drain") && strcmp(action, "maint") &&
	    strcmp(action, "kill")) {
		fprintf(stderr, "pgfront ctl: unknown action '%s': expected ready, drain, maint "
		        "or kill\n", action);
		return 2;
	}
	if (!valid_target(argv[optind + 1])) {
		fprintf(stderr, "pgfront ctl: '%s' is not LISTENER/SERVER, e.g. "
		        "postgres_write/ubn-pgsql-1\n", argv[optind + 1]);
		return 2;
	}
	make_url(server, url, sizeof url);
	snprintf(body, sizeof body, "action=%s&target=%s", action, argv[optind + 1]);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "pgfront ctl: libcurl failed to initialise\n");
		return 1;
	}
	rc = post(url, auth && auth[0] ? auth : NULL, cafile, body);
	curl_global_cleanup();
	return rc;
}
