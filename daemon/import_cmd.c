/*
 * pgfront import HAPROXY_CFG [KEEPALIVED_CONF]
 *
 * The I/O around conf_import(): reads the two files, prints the pgfront.ini
 * on stdout and the findings on stderr as FILE:LINE: ..., then checks the
 * result as `pgfront -c` would, so that a file it prints with status 0 is one
 * pgfront accepts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/import.h"
#include "daemon/import_cmd.h"

#define INPUT_MAX (4 << 20)   /* a haproxy.cfg is kilobytes; refuse anything absurd */

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: pgfront import HAPROXY_CFG [KEEPALIVED_CONF] > pgfront.ini\n"
	        "  prints the pgfront.ini that does what HAProxy (and keepalived's VRRP)\n"
	        "  did; reports on stderr, as FILE:LINE: ..., everything left out.\n"
	        "  exit status: 0 all that routes was translated, 2 something that\n"
	        "  changes routing was left out, 1 a file could not be read\n");
}

/* The whole file as a string (malloc), or NULL with the reason printed. */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0, n;

	if (!f) {
		fprintf(stderr, "pgfront import: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	text = malloc(INPUT_MAX + 1);
	if (text) {
		while ((n = fread(text + len, 1, INPUT_MAX + 1 - len, f)) > 0)
			len += n;
		if (ferror(f) || len > INPUT_MAX) {
			fprintf(stderr, "pgfront import: %s: %s\n", path,
			        ferror(f) ? strerror(errno) : "larger than 4 MiB");
			free(text);
			text = NULL;
		} else {
			text[len] = '\0';
		}
	} else {
		fprintf(stderr, "pgfront import: out of memory\n");
	}
	fclose(f);
	return text;
}

/* Whether pgfront -c would accept the result; prints why not. */
static bool passes_check(const char *ini)
{
	static struct conf_errors errors;
	struct conf *conf = malloc(sizeof *conf);
	bool ok;

	if (!conf)
		return false;
	ok = conf_load_string("(the printed pgfront.ini)", ini, conf, &errors) == 0;
	for (int i = 0; !ok && i < errors.count && i < CONF_MAX_ERRORS; i++)
		fprintf(stderr, "pgfront import: does not pass pgfront -c: %s\n", errors.lines[i]);
	free(conf);
	return ok;
}

static void summary(const struct conf_import_result *r, int status)
{
	int routing = 0;

	for (int i = 0; i < r->nfindings; i++)
		routing += r->findings[i].routing;
	fprintf(stderr, "pgfront import: %d finding(s), %d changing routing: %s\n", r->nfindings,
	        routing, status == 0 ? "nothing that routes was left out" :
	        "review the lines above before using the file");
}

int import_main(int argc, char **argv)
{
	const char *names[2] = { NULL, NULL };
	char *texts[2] = { NULL, NULL };
	struct conf_import_result r;
	int status = 1;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '-' || (argc == 3 && argv[2][0] == '-')) {
		usage(stderr);
		return 1;
	}
	for (int i = 0; i + 1 < argc; i++) {
		names[i] = argv[i + 1];
		if (!(texts[i] = read_all(names[i])))
			goto out;
	}
	if (conf_import(names[0], texts[0], names[1], texts[1], &r) < 0) {
		fprintf(stderr, "pgfront import: out of memory\n");
		goto out;
	}
	fwrite(r.ini, 1, r.ini_len, stdout);
	fflush(stdout);
	for (int i = 0; i < r.nfindings; i++) {
		const struct conf_import_finding *f = &r.findings[i];
		if (f->line)
			fprintf(stderr, "%s:%d: %s\n", names[f->file], f->line, f->text);
		else
			fprintf(stderr, "%s: %s\n", names[f->file], f->text);
	}
	status = r.routing_left_out ? 2 : 0;
	if (!passes_check(r.ini))
		status = 2;
	summary(&r, status);
	conf_import_free(&r);
out:
	free(texts[0]);
	free(texts[1]);
	return status;
}
