/*
 * HTTPS for the stats page: OpenSSL on the server's non-blocking sockets.
 * Every call returns at once; STATS_TLS_WANT says which readiness to wait
 * for (a read may need the socket writable, and the reverse).
 */
#include <ev.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>

#include "stats/internal.h"

static void openssl_error(char *err, size_t errlen, const char *what, const char *file)
{
	char reason[160] = "unknown error";
	unsigned long e = ERR_get_error();

	if (e)
		ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	snprintf(err, errlen, "stats: %s %s: %s", what, file, reason);
}

struct ssl_ctx_st *stats_tls_ctx_new(const char *cert_file, const char *key_file,
                                     char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		openssl_error(err, errlen, "cannot create a TLS context", "");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		openssl_error(err, errlen, "cannot load certificate", cert_file);
	} else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		openssl_error(err, errlen, "cannot load key", key_file);
	} else if (SSL_CTX_check_private_key(ctx) != 1) {
		openssl_error(err, errlen, "key does not match the certificate", cert_file);
	} else {
		return ctx;
	}
	SSL_CTX_free(ctx);
	return NULL;
}

void stats_tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

struct ssl_st *stats_tls_new(struct ssl_ctx_st *ctx, int fd)
{
	SSL *ssl = SSL_new(ctx);

	if (ssl && SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	if (ssl)
		SSL_set_accept_state(ssl);
	return ssl;
}

/* The outcome of a call that returned rc <= 0. */
static enum stats_tls_io outcome(SSL *ssl, int rc, int *want)
{
	switch (SSL_get_error(ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		*want = EV_READ;
		return STATS_TLS_WANT;
	case SSL_ERROR_WANT_WRITE:
		*want = EV_WRITE;
		return STATS_TLS_WANT;
	case SSL_ERROR_ZERO_RETURN:
		return STATS_TLS_EOF;
	default:
		/* The queue is per thread: a stale error would be blamed on the next peer. */
		ERR_clear_error();
		return STATS_TLS_ERROR;
	}
}

enum stats_tls_io stats_tls_handshake(struct ssl_st *ssl, int *want)
{
	int rc = SSL_do_handshake(ssl);

	return rc == 1 ? STATS_TLS_OK : outcome(ssl, rc, want);
}

enum stats_tls_io stats_tls_read(struct ssl_st *ssl, char *buf, size_t len, size_t *n,
                                 int *want)
{
	int rc = SSL_read_ex(ssl, buf, len, n);

	return rc == 1 ? STATS_TLS_OK : outcome(ssl, rc, want);
}

enum stats_tls_io stats_tls_write(struct ssl_st *ssl, const char *buf, size_t len, size_t *n,
                                  int *want)
{
	int rc = SSL_write_ex(ssl, buf, len, n);

	return rc == 1 ? STATS_TLS_OK : outcome(ssl, rc, want);
}

void stats_tls_free(struct ssl_st *ssl)
{
	/* Once, without waiting: a client that is gone costs nothing more. */
	if (SSL_is_init_finished(ssl))
		SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
}
