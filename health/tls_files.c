/*
 * The client certificate, key and CA files of TLS checks: read and parsed
 * once per configuration load, and put into each check's TLS context from
 * memory.
 *
 * Given paths, curl opens and parses them again at every check, on the loop
 * that relays: a slow disk would stall every session, and even from the page
 * cache, decoding a key, a certificate and a CA with OpenSSL 3 costs ~3 ms
 * of CPU here, every check. A file that cannot be read or parsed is an error
 * of the load (pgfront does not start, a reload is refused) instead of every
 * check failing; a renewed certificate takes effect at the next SIGHUP.
 */
#include "health/tls_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* PEM files of a few certificates; anything far larger is not one. */
#define TLS_FILE_MAX (1024 * 1024)

enum kind { KIND_CA, KIND_CERT, KIND_KEY };

static const char *const kind_keys[] = {
	[KIND_CA] = "check_ca_file",
	[KIND_CERT] = "check_cert_file",
	[KIND_KEY] = "check_key_file",
};

struct hc_tls_file {
	char path[CONF_PATH_MAX];
	enum kind kind;
	X509_STORE *store;          /* KIND_CA */
	X509 *cert;                 /* KIND_CERT: the leaf... */
	STACK_OF(X509) *chain;      /* ...and the rest of the file */
	EVP_PKEY *key;              /* KIND_KEY */
};

struct hc_tls_files {
	int count, size;
	struct hc_tls_file *files;  /* usually one of each kind for all */
};

static int read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > TLS_FILE_MAX) {
		snprintf(err, errlen, "not a regular file of at most %d bytes", TLS_FILE_MAX);
		close(fd);
		return -1;
	}
	*len = 0;
	*data = malloc((size_t)st.st_size + 1);
	if (!*data) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	while (*len < (size_t)st.st_size) {
		n = read(fd, *data + *len, (size_t)st.st_size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "cannot read: %s", n < 0 ? strerror(errno) : "it shrank");
			close(fd);
			free(*data);
			return -1;
		}
		*len += (size_t)n;
	}
	close(fd);
	return 0;
}

static int parse_ca(struct hc_tls_file *f, BIO *bio)
{
	STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	int added = 0;

	f->store = X509_STORE_new();
	for (int i = 0; infos && f->store && i < sk_X509_INFO_num(infos); i++) {
		X509_INFO *info = sk_X509_INFO_value(infos, i);

		if (info->x509 && X509_STORE_add_cert(f->store, info->x509) == 1)
			added++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	return added > 0 ? 0 : -1;
}

static int parse_cert(struct hc_tls_file *f, BIO *bio)
{
	X509 *x;

	f->cert = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	f->chain = sk_X509_new_null();
	if (!f->cert || !f->chain)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		if (!sk_X509_push(f->chain, x)) {
			X509_free(x);
			return -1;
		}
	return 0;
}

/* Parsed from memory: the file was read whole first. */
static int parse(struct hc_tls_file *f, const char *data, size_t len, char *err, size_t errlen)
{
	static const char *const what[] = {
		[KIND_CA] = "no PEM certificate in it",
		[KIND_CERT] = "not a PEM certificate",
		[KIND_KEY] = "not a PEM private key without a passphrase",
	};
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	int rc = -1;

	if (bio) {
		if (f->kind == KIND_CA)
			rc = parse_ca(f, bio);
		else if (f->kind == KIND_CERT)
			rc = parse_cert(f, bio);
		else
			rc = (f->key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) ? 0 : -1;
		BIO_free(bio);
	}
	ERR_clear_error();   /* the end of a PEM file reads as an error */
	if (rc < 0)
		snprintf(err, errlen, "%s", what[f->kind]);
	return rc;
}

static void file_clear(struct hc_tls_file *f)
{
	X509_STORE_free(f->store);
	X509_free(f->cert);
	sk_X509_pop_free(f->chain, X509_free);
	EVP_PKEY_free(f->key);
}

static const struct hc_tls_file *find(const struct hc_tls_files *set, const char *path,
                                      enum kind kind)
{
	for (int i = 0; set && i < set->count; i++)
		if (set->files[i].kind == kind && !strcmp(set->files[i].path, path))
			return &set->files[i];
	return NULL;
}

static const struct hc_tls_file *add(struct hc_tls_files *set, const char *path, enum kind kind,
                                     char *err, size_t errlen)
{
	struct hc_tls_file *f;
	const struct hc_tls_file *known = find(set, path, kind);
	char why[128], *data;
	size_t len;
	int rc;

	if (!path[0] || known)
		return known;
	if (set->count == set->size) {
		int size = set->size ? 2 * set->size : 4;
		struct hc_tls_file *files = realloc(set->files, (size_t)size * sizeof *files);

		if (!files) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		set->files = files;
		set->size = size;
	}
	f = &set->files[set->count];
	memset(f, 0, sizeof *f);
	snprintf(f->path, sizeof f->path, "%s", path);
	f->kind = kind;
	rc = read_file(path, &data, &len, why, sizeof why);
	if (rc == 0) {
		rc = parse(f, data, len, why, sizeof why);
		OPENSSL_cleanse(data, len);   /* perhaps a private key */
		free(data);
	}
	if (rc < 0) {
		snprintf(err, errlen, "%s %s: %s", kind_keys[kind], path, why);
		file_clear(f);
		return NULL;
	}
	set->count++;
	return f;
}

/* The three files of one member's checks, each read once for all. */
static int add_member(struct hc_tls_files *set, const struct conf_tunables *t,
                      char *err, size_t errlen)
{
	const struct hc_tls_file *cert, *key;

	if (t->check_ca_file[0] && !add(set, t->check_ca_file, KIND_CA, err, errlen))
		return -1;
	if (!t->check_cert_file[0])
		return 0;
	if (!(cert = add(set, t->check_cert_file, KIND_CERT, err, errlen)) ||
	    !(key = add(set, t->check_key_file, KIND_KEY, err, errlen)))
		return -1;
	if (X509_check_private_key(cert->cert, key->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "check_key_file %s: not the key of %s", key->path, cert->path);
		return -1;
	}
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

			if (t->check_tls && add_member(set, t, err, errlen) < 0) {
				hc_tls_files_free(set);
				return NULL;
			}
		}
	}
	return set;
}

struct hc_tls_use hc_tls_files_for(const struct hc_tls_files *set, const struct conf_tunables *t)
{
	return (struct hc_tls_use){
		.ca = t->check_ca_file[0] ? find(set, t->check_ca_file, KIND_CA) : NULL,
		.cert = t->check_cert_file[0] ? find(set, t->check_cert_file, KIND_CERT) : NULL,
		.key = t->check_key_file[0] ? find(set, t->check_key_file, KIND_KEY) : NULL,
	};
}

/*
 * Called by curl with the context of a new connection, after its own set-up:
 * references to what was parsed at the load, nothing decoded again.
 */
int hc_tls_use_apply(const struct hc_tls_use *use, void *ssl_ctx)
{
	SSL_CTX *ctx = ssl_ctx;

	if (use->ca)
		SSL_CTX_set1_cert_store(ctx, use->ca->store);
	if (use->cert && use->key) {
		if (SSL_CTX_use_certificate(ctx, use->cert->cert) != 1 ||
		    SSL_CTX_set1_chain(ctx, use->cert->chain) != 1 ||
		    SSL_CTX_use_PrivateKey(ctx, use->key->key) != 1) {
			ERR_clear_error();
			return -1;
		}
	}
	return 0;
}

void hc_tls_files_free(struct hc_tls_files *set)
{
	if (!set)
		return;
	for (int i = 0; i < set->count; i++)
		file_clear(&set->files[i]);
	free(set->files);
	free(set);
}
