/*
 * conf_load() and conf_load_string(): one run of the reader, inih and the
 * resolver over a file or a string. The two differ only in where the
 * reader's characters come from, so the tests exercise the daemon's path.
 */
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/state.h"

static void start(const char *name, struct conf *conf, struct conf_errors *errors)
{
	memset(conf, 0, sizeof *conf);
	memset(errors, 0, sizeof *errors);
	conf->global.maxconn = 4096;
	conf->global.log_level = LOG_LEVEL_INFO;
	snprintf(conf->path, sizeof conf->path, "%s", name);
}

/* Without a state there is no conf_error(); this one error is written by hand. */
static int out_of_memory(const char *name, struct conf_errors *errors)
{
	snprintf(errors->lines[0], sizeof errors->lines[0], "%s:0: out of memory", name);
	errors->count = 1;
	return -1;
}

static struct conf_state *state_new(const char *name, struct conf *conf,
                                    struct conf_errors *errors)
{
	/* Some 150KB: too much for a caller's stack to be asked for. */
	struct conf_state *st = calloc(1, sizeof *st);

	if (st == NULL)
		return NULL;
	st->name = name;
	st->conf = conf;
	st->errors = errors;
	st->defaults.title = "[defaults]";
	if (strlen(name) >= sizeof conf->path)
		conf_error(st, 0, NULL, NULL, "the path is longer than %zu characters",
		           sizeof conf->path - 1);
	return st;
}

static int run(struct conf_state *st)
{
	int rc = ini_parse_stream(conf_read_line, st, conf_handle_key, st);

	/* Half a file would only add errors about what was never read. */
	if (st->src.read_errno) {
		conf_error(st, st->line + 1, NULL, NULL, "cannot read: %s",
		           strerror(st->src.read_errno));
		return -1;
	}
	if (rc == -2) {
		conf_error(st, st->line, NULL, NULL, "out of memory");
		return -1;
	}
	if (rc != 0)
		/* The reader hands inih only lines it accepts: a bug if reached. */
		conf_error(st, rc, NULL, NULL, "inih refused this line");
	conf_resolve(st);
	return st->errors->count ? -1 : 0;
}

int conf_load(const char *path, struct conf *conf, struct conf_errors *errors)
{
	struct conf_state *st;
	FILE *f;
	int rc;

	start(path, conf, errors);
	st = state_new(path, conf, errors);
	if (st == NULL)
		return out_of_memory(path, errors);
	f = fopen(path, "r");
	if (f == NULL) {
		conf_error(st, 0, NULL, NULL, "cannot open: %s", strerror(errno));
		free(st);
		return -1;
	}
	st->src.file = f;
	rc = run(st);
	fclose(f);
	free(st);
	return rc;
}

int conf_load_string(const char *name, const char *text, struct conf *conf,
                     struct conf_errors *errors)
{
	struct conf_state *st;
	int rc;

	if (name == NULL)
		name = "(string)";
	start(name, conf, errors);
	st = state_new(name, conf, errors);
	if (st == NULL)
		return out_of_memory(name, errors);
	st->src.text = text ? text : "";
	rc = run(st);
	free(st);
	return rc;
}
