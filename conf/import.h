/*
 * `pgfront import`: a haproxy.cfg (and a keepalived.conf) translated into a
 * pgfront.ini, with a report of everything that could not be.
 *
 * Pure: the texts come in as strings and the result goes out as a string and
 * a list of findings; no file is read, nothing is logged, so the parsers can
 * be driven by unit tests and fuzzers. daemon/import_cmd.c does the I/O.
 */
#ifndef PGFRONT_CONF_IMPORT_H
#define PGFRONT_CONF_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

enum conf_import_file {
	CONF_IMPORT_HAPROXY,
	CONF_IMPORT_KEEPALIVED,
};

/* One thing left out or approximated, at one line of one input. */
struct conf_import_finding {
	enum conf_import_file file;
	int line;                 /* 1-based; 0: the file as a whole */
	bool routing;             /* leaving it out changes where clients go */
	char text[400];
	int seq;                  /* the order it was found in */
};

struct conf_import_result {
	char *ini;                /* the pgfront.ini, NUL-terminated (malloc) */
	size_t ini_len;
	struct conf_import_finding *findings;   /* malloc, sorted by file and line */
	int nfindings;
	bool routing_left_out;    /* some finding has .routing */
};

/*
 * Translates hap_text (named hap_name in comments and messages) and, when
 * ka_text is not NULL, keepalived's file too. Returns 0 with *out filled (free
 * it with conf_import_free), or -1 when memory ran out.
 */
int conf_import(const char *hap_name, const char *hap_text,
                const char *ka_name, const char *ka_text,
                struct conf_import_result *out);
void conf_import_free(struct conf_import_result *r);

#endif
