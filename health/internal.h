/*
 * Internal to health/: engine.c drives the HTTP checks of http_check.c
 * through these, and verdict.c judges each finished transfer. Other modules
 * use only health.h.
 */
#ifndef PGFRONT_HEALTH_INTERNAL_H
#define PGFRONT_HEALTH_INTERNAL_H

#include <stddef.h>

#include "health/health.h"

struct hc_http;
struct hc_request;

/* The curl multi handle on loop; done is called once per started check.
 * Reads the certificate, key and CA files conf's TLS checks name. */
struct hc_http *hc_http_new(struct ev_loop *loop, const struct conf *conf,
                            void (*done)(void *token, const struct hc_result *result),
                            char *err, size_t errlen);
/* Abandons checks in flight without calling done for them. */
void hc_http_free(struct hc_http *http);

/* Starts one check of server as listener's member with tunables t; *started
 * is the request until done is called for it, or it is cancelled. */
int hc_http_start(struct hc_http *http, const struct conf_listener *listener,
                  const struct conf_server *server, const struct conf_tunables *t,
                  void *token, struct hc_request **started, char *err, size_t errlen);
/* Abandons one check in flight: done is not called for it. */
void hc_http_cancel(struct hc_request *request);

/*
 * The verdict on one finished transfer, pure: curl_code is a CURLcode,
 * os_errno CURLINFO_OS_ERRNO, curl_error the transfer's error buffer.
 * Leaves duration_ms alone.
 */
void hc_http_classify(struct hc_result *result, int curl_code, long http_status,
                      long os_errno, const char *curl_error, int expect_status,
                      uint64_t timeout_us);

#endif
