/*
 * libFuzzer target: conf_load_string() on whole files, as `pgfront -c` reads
 * them. Beyond not crashing, the result must be coherent: 0 exactly when no
 * error was found, every kept error line "fuzz.ini:LINE: ..." with a LINE in
 * the file and in order, printable, and a second load of the same text the
 * same to the byte (nothing depends on memory left over from before).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

#define NAME "fuzz.ini"

static struct conf conf, again;
static struct conf_errors errors, errors_again;

/* The lines a reader can number: every "\n", plus a last line without one. */
static long count_lines(const char *text)
{
	long n = 0;
	const char *p = text;

	for (; *p; p++)
		if (*p == '\n')
			n++;
	return n + (p > text && p[-1] != '\n');
}

static void check_errors(int rc, long nlines)
{
	int kept = errors.count < CONF_MAX_ERRORS ? errors.count : CONF_MAX_ERRORS;
	long last = 0;

	if ((rc == 0) != (errors.count == 0) || (rc != 0 && rc != -1) || errors.count < 0)
		abort();
	for (int i = 0; i < kept; i++) {
		const char *s = errors.lines[i];
		size_t len = strnlen(s, CONF_ERROR_MAX);
		char *end;
		long line;

		if (len == CONF_ERROR_MAX || strncmp(s, NAME ":", strlen(NAME ":")) != 0)
			abort();
		for (size_t j = 0; j < len; j++)
			if ((unsigned char)s[j] < ' ' || s[j] == 0x7f)
				abort();
		line = strtol(s + strlen(NAME ":"), &end, 10);
		/* An error may name the line after the last (e.g. a read error). */
		if (*end != ':' || line < 0 || line > nlines + 1 || line < last)
			abort();
		last = line;
	}
}

static void check_conf(void)
{
	if (conf.nservers < 0 || conf.nservers > CONF_MAX_SERVERS ||
	    conf.nlisteners < 0 || conf.nlisteners > CONF_MAX_LISTENERS ||
	    conf.nvrrps < 0 || conf.nvrrps > CONF_MAX_VRRP)
		abort();
	for (int i = 0; i < conf.nservers; i++)
		if (!conf.servers[i].name[0] || !memchr(conf.servers[i].name, 0, CONF_NAME_MAX))
			abort();
	for (int i = 0; i < conf.nlisteners; i++) {
		const struct conf_listener *l = &conf.listeners[i];

		if (l->nbinds < 1 || l->nbinds > CONF_MAX_BINDS ||
		    l->nmembers < 0 || l->nmembers > CONF_MAX_SERVERS)
			abort();
		for (int m = 0; m < l->nmembers; m++)
			if (l->members[m].server < 0 || l->members[m].server >= conf.nservers)
				abort();
	}
	for (int i = 0; i < conf.nvrrps; i++) {
		const struct conf_vrrp *v = &conf.vrrps[i];

		if (v->vrid < 1 || v->vrid > 255 || v->priority < 1 || v->priority > 255 ||
		    v->nvips < 0 || v->nvips > CONF_VRRP_MAX_VIPS ||
		    v->npeers < 0 || v->npeers > CONF_VRRP_MAX_PEERS ||
		    v->track_listener < -1 || v->track_listener >= conf.nlisteners)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = conf_load_string(NAME, text, &conf, &errors);
	check_errors(rc, count_lines(text));
	if (rc == 0)
		check_conf();
	if (conf_load_string(NAME, text, &again, &errors_again) != rc ||
	    memcmp(&errors, &errors_again, sizeof errors) != 0 ||
	    memcmp(&conf, &again, sizeof conf) != 0)
		abort();
	free(text);
	return 0;
}
