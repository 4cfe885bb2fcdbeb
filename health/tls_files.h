/*
 * Internal to health/: the certificate, key and CA files of TLS checks, read
 * and parsed once when a configuration is loaded (see tls_files.c).
 */
#ifndef PGFRONT_HEALTH_TLS_FILES_H
#define PGFRONT_HEALTH_TLS_FILES_H

#include <stddef.h>

#include "conf/conf.h"

struct hc_tls_files;
struct hc_tls_file;

/* What one member's checks present and trust; NULLs: curl's defaults. */
struct hc_tls_use {
	const struct hc_tls_file *ca, *cert, *key;
};

/* Reads every file that conf's TLS checks name; NULL and err if one cannot
 * be read or parsed, or a key is not its certificate's. */
struct hc_tls_files *hc_tls_files_load(const struct conf *conf, char *err, size_t errlen);
struct hc_tls_use hc_tls_files_for(const struct hc_tls_files *set, const struct conf_tunables *t);
/* Into an OpenSSL SSL_CTX (curl's CURLOPT_SSL_CTX_FUNCTION); 0 or -1. */
int hc_tls_use_apply(const struct hc_tls_use *use, void *ssl_ctx);
void hc_tls_files_free(struct hc_tls_files *set);

#endif
