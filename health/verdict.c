/*
 * verdict — what one finished transfer means for the pair: passed, or which
 * failure, with the few words the log line and the stats page show.
 *
 * Pure: it sees curl's result code, the status and errno curl kept, and the
 * transfer's error text; tests call it with each outcome curl can produce.
 */
#include "health/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

static bool is_tls_error(int code)
{
	switch (code) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		return true;
	}
	return false;
}

static void set_result(struct hc_result *r, enum hc_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_result(struct hc_result *r, enum hc_reason reason, const char *fmt, ...)
{
	va_list ap;

	r->reason = reason;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof r->detail, fmt, ap);
	va_end(ap);
}

/* curl's own message is the most precise one; its generic text is the fallback. */
static const char *curl_words(int code, const char *curl_error)
{
	return curl_error && curl_error[0] ? curl_error : curl_easy_strerror(code);
}

/* A socket error as errno names it, else as curl does. */
static const char *socket_words(int code, long os_errno, const char *curl_error)
{
	return os_errno ? strerror((int)os_errno) : curl_words(code, curl_error);
}

void hc_http_classify(struct hc_result *r, int curl_code, long http_status, long os_errno,
                      const char *curl_error, int expect_status, uint64_t timeout_us)
{
	r->http_status = (int)http_status;
	if (curl_code == CURLE_OK) {
		if (http_status == expect_status)
			set_result(r, HC_REASON_PASSED, "HTTP %ld", http_status);
		else if (http_status > 0)
			set_result(r, HC_REASON_STATUS, "HTTP %ld", http_status);
		else
			set_result(r, HC_REASON_MALFORMED, "malformed reply (no status)");
		return;
	}
	if (is_tls_error(curl_code)) {
		set_result(r, HC_REASON_TLS, "tls: %s", curl_words(curl_code, curl_error));
		return;
	}
	switch (curl_code) {
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED)
			set_result(r, HC_REASON_REFUSED, "connection refused");
		else
			set_result(r, HC_REASON_NETWORK, "connect: %s",
			           socket_words(curl_code, os_errno, curl_error));
		break;
	case CURLE_OPERATION_TIMEDOUT:
		set_result(r, HC_REASON_TIMEOUT, "timeout after %llu ms",
		           (unsigned long long)(timeout_us / 1000));
		break;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL: /* what curl says of an HTTP/0.9 reply */
		set_result(r, HC_REASON_MALFORMED, "malformed reply");
		break;
	case CURLE_GOT_NOTHING:
		set_result(r, HC_REASON_MALFORMED, "empty reply");
		break;
	case CURLE_RECV_ERROR:
		set_result(r, HC_REASON_NETWORK, "recv: %s",
		           socket_words(curl_code, os_errno, curl_error));
		break;
	case CURLE_SEND_ERROR:
		set_result(r, HC_REASON_NETWORK, "send: %s",
		           socket_words(curl_code, os_errno, curl_error));
		break;
	case CURLE_PARTIAL_FILE:
		set_result(r, HC_REASON_NETWORK, "reply cut short");
		break;
	default:
		set_result(r, HC_REASON_NETWORK, "%s", curl_words(curl_code, curl_error));
		break;
	}
}
