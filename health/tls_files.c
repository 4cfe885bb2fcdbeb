/*
 * The client certificate, key and CA files of TLS checks, read once per
 * configuration load and handed to curl as blobs.
 *
 * Given paths, curl would open and parse them again at every check, on the
 * loop that relays: a slow disk or an NFS home would stall every session.
 * Read here, a file that cannot be read is an error of the load (pgfront
 * does not start, a reload is refused) instead of every check failing; a
 * rotated certificate takes effect at the next SIGHUP.
 */
#include "health/tls_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* PEM files of a few certificates; anything far larger is not one. */
#define TLS_FILE_MAX (1024 * 1024)

struct hc_tls_file {
	char path[CONF_PATH_MAX];
	char *data;
	size_t len;
};

struct hc_tls_files {
	int count, size;
	struct hc_tls_file *files;    /* usually one of each kind for all */
};

static int read_file(struct hc_tls_file *f, const char *what, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s %s: cannot read: %s", what, f->path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TLS_FILE_MAX) {
		snprintf(err, errlen, "%s %s: not a regular file of at most %d bytes", what,
		         f->path, TLS_FILE_MAX);
		close(fd);
		return -1;
	}
	f->data = malloc((size_t)st.st_size + 1);
	if (!f->data) {
		snprintf(err, errlen, "%s %s: out of memory", what, f->path);
		close(fd);
		return -1;
	}
	while (f->len < (size_t)st.st_size) {
		n = read(fd, f->data + f->len, (size_t)st.st_size - f->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s %s: cannot read: %s", what, f->path,
			         n < 0 ? strerror(errno) : "file shrank while read");
			close(fd);
			return -1;
		}
		f->len += (size_t)n;
	}
	close(fd);
	return 0;
}

static int add(struct hc_tls_files *set, const char *path, const char *what,
               char *err, size_t errlen)
{
	struct hc_tls_file *f;

	if (!path[0] || hc_tls_file_find(set, path))
		return 0;
	if (set->count == set->size) {
		int size = set->size ? 2 * set->size : 4;
		struct hc_tls_file *files = realloc(set->files, (size_t)size * sizeof *files);

		if (!files) {
			snprintf(err, errlen, "%s %s: out of memory", what, path);
			return -1;
		}
		set->files = files;
		set->size = size;
	}
	f = &set->files[set->count];
	memset(f, 0, sizeof *f);
	snprintf(f->path, sizeof f->path, "%s", path);
	if (read_file(f, what, err, errlen) < 0) {
		free(f->data);
		return -1;
	}
	set->count++;
	return 0;
}

struct hc_tls_files *hc_tls_files_load(const struct conf *conf, char *err, size_t errlen)
{
	struct hc_tls_files *set = calloc(1, sizeof *set);

	if (!set) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int l = 0; l < conf->nlisteners; l++) {
		for (int m = 0; m < conf->listeners[l].nmembers; m++) {
			const struct conf_tunables *t = &conf->listeners[l].members[m].t;

			if (!t->check_tls)
				continue;
			if (add(set, t->check_ca_file, "check_ca_file", err, errlen) < 0 ||
			    add(set, t->check_cert_file, "check_cert_file", err, errlen) < 0 ||
			    add(set, t->check_key_file, "check_key_file", err, errlen) < 0) {
				hc_tls_files_free(set);
				return NULL;
			}
		}
	}
	return set;
}

const struct hc_tls_file *hc_tls_file_find(const struct hc_tls_files *set, const char *path)
{
	for (int i = 0; set && i < set->count; i++)
		if (!strcmp(set->files[i].path, path))
			return &set->files[i];
	return NULL;
}

struct curl_blob hc_tls_file_blob(const struct hc_tls_file *f)
{
	/* curl copies nothing: the files outlive every check of this load */
	return (struct curl_blob){ .data = f->data, .len = f->len, .flags = CURL_BLOB_NOCOPY };
}

void hc_tls_files_free(struct hc_tls_files *set)
{
	if (!set)
		return;
	for (int i = 0; i < set->count; i++) {
		explicit_bzero(set->files[i].data, set->files[i].len);  /* a private key */
		free(set->files[i].data);
	}
	free(set->files);
	free(set);
}
