#include "ackfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

int pgl_ackfile_write(const char *path, int64_t run_id, const struct pgl_ranges *acked,
                      int nclients, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "# pgload acked v1\nrun_id %" PRId64 "\nclients %d\n", run_id, nclients);
	for (int c = 0; c < nclients; c++)
		for (size_t i = 0; i < acked[c].n; i++)
			fprintf(f, "range %d %" PRId64 " %" PRId64 "\n", c, acked[c].v[i].lo,
			        acked[c].v[i].hi);
	if (ferror(f) | fclose(f)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct reader {
	const char *path;
	int line;
	int64_t run_id;
	int nclients;            /* -1 until the "clients" line */
	struct pgl_ranges *acked;
	char *err;
	size_t errlen;
};

static int bad(struct reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s:%d: %s", r->path, r->line, what);
	return -1;
}

static int one_line(struct reader *r, const char *s)
{
	int64_t lo, hi;
	int c, n = 0;

	if (s[0] == '#' || s[0] == '\n' || s[0] == '\0')
		return 0;
	if (sscanf(s, "run_id %" SCNd64 "%n", &r->run_id, &n) == 1 && s[n] == '\n')
		return 0;
	if (sscanf(s, "clients %d%n", &c, &n) == 1 && s[n] == '\n') {
		if (r->nclients >= 0 || c < 0 || c > PGL_CLIENTS_MAX)
			return bad(r, "bad or repeated 'clients' line");
		r->nclients = c;
		r->acked = calloc(c > 0 ? (size_t)c : 1, sizeof(*r->acked));
		return r->acked ? 0 : bad(r, "out of memory");
	}
	if (sscanf(s, "range %d %" SCNd64 " %" SCNd64 "%n", &c, &lo, &hi, &n) == 3 &&
	    s[n] == '\n') {
		if (r->nclients < 0 || c < 0 || c >= r->nclients)
			return bad(r, "range of a client outside 'clients'");
		if (lo < 1 || hi < lo || pgl_ranges_add_range(&r->acked[c], lo, hi) < 0)
			return bad(r, "bad range");
		return 0;
	}
	return bad(r, "expected 'run_id N', 'clients N' or 'range CLIENT LO HI'");
}

static void free_all(struct pgl_ranges *acked, int n)
{
	for (int i = 0; i < n; i++)
		pgl_ranges_free(&acked[i]);
	free(acked);
}

int pgl_ackfile_read(const char *path, int64_t *run_id, struct pgl_ranges **acked,
                     int *nclients, char *err, size_t errlen)
{
	struct reader r = { .path = path, .run_id = -1, .nclients = -1, .err = err,
	                    .errlen = errlen };
	char buf[256];
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(buf, sizeof(buf), f)) {
		r.line++;
		if (!strchr(buf, '\n'))
			rc = bad(&r, "line too long or not ended");
		else
			rc = one_line(&r, buf);
	}
	fclose(f);
	if (rc == 0 && (r.run_id < 0 || r.nclients < 0))
		rc = bad(&r, "no 'run_id' or no 'clients' line");
	if (rc < 0) {
		free_all(r.acked, r.nclients);
		return -1;
	}
	*run_id = r.run_id;
	*acked = r.acked;
	*nclients = r.nclients;
	return 0;
}
