/*
 * Internal to health/: the certificate, key and CA files of TLS checks, read
 * once when a configuration is loaded (see tls_files.c).
 */
#ifndef PGFRONT_HEALTH_TLS_FILES_H
#define PGFRONT_HEALTH_TLS_FILES_H

#include <curl/curl.h>
#include <stddef.h>

#include "conf/conf.h"

struct hc_tls_files;
struct hc_tls_file;

/* Reads every file that conf's TLS checks name; NULL and err if one cannot be read. */
struct hc_tls_files *hc_tls_files_load(const struct conf *conf, char *err, size_t errlen);
const struct hc_tls_file *hc_tls_file_find(const struct hc_tls_files *set, const char *path);
/* For CURLOPT_*_BLOB; valid until hc_tls_files_free. */
struct curl_blob hc_tls_file_blob(const struct hc_tls_file *f);
void hc_tls_files_free(struct hc_tls_files *set);

#endif
