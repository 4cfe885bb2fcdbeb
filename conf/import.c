/*
 * `pgfront import`: the entry point, the findings list and the small helpers
 * the parsers and the emitter share. See conf/import.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/import_int.h"

void conf_imp_buf_add(struct imp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static struct conf_import_finding *new_finding(struct imp *im, int line)
{
	if (im->nf == im->capf) {
		int cap = im->capf ? im->capf * 2 : 32;
		struct conf_import_finding *f = realloc(im->f, (size_t)cap * sizeof *f);

		if (!f) {
			im->oom = true;
			return NULL;
		}
		im->f = f;
		im->capf = cap;
	}
	struct conf_import_finding *f = &im->f[im->nf++];
	memset(f, 0, sizeof *f);
	f->file = im->file;
	f->line = line;
	f->seq = im->nf - 1;
	return f;
}

void conf_imp_left_out(struct imp *im, int line, bool routing, const char *what,
                  const char *fmt, ...)
{
	struct conf_import_finding *f = new_finding(im, line);
	va_list ap;
	int n;

	if (!f)
		return;
	f->routing = routing;
	n = snprintf(f->text, sizeof f->text, "left out%s '%.120s': ",
	             routing ? " (changes routing)" : "", what);
	if (n < 0 || (size_t)n >= sizeof f->text)
		return;
	va_start(ap, fmt);
	vsnprintf(f->text + n, sizeof f->text - (size_t)n, fmt, ap);
	va_end(ap);
}

void conf_imp_notice(struct imp *im, int line, const char *fmt, ...)
{
	struct conf_import_finding *f = new_finding(im, line);
	va_list ap;

	if (!f)
		return;
	strcpy(f->text, "note: ");
	va_start(ap, fmt);
	vsnprintf(f->text + 6, sizeof f->text - 6, fmt, ap);
	va_end(ap);
}

struct imp_kv *conf_imp_kv_add(struct imp_section *s, const char *key, int line,
                          const char *fmt, ...)
{
	struct imp_kv *kv;
	va_list ap;

	if (s->nkv == IMP_MAX_KV)
		return NULL;
	kv = &s->kv[s->nkv++];
	memset(kv, 0, sizeof *kv);
	conf_imp_copy(kv->key, sizeof kv->key, key);
	kv->line = line;
	va_start(ap, fmt);
	vsnprintf(kv->value, sizeof kv->value, fmt, ap);
	va_end(ap);
	return kv;
}

static const struct {
	const char *name;
	bool duration;
} keys[IMP_KEY_COUNT] = {
	[IMP_RETRIES] = { "retries", false },
	[IMP_TIMEOUT_CONNECT] = { "timeout_connect", true },
	[IMP_TIMEOUT_CLIENT] = { "timeout_client", true },
	[IMP_TIMEOUT_SERVER] = { "timeout_server", true },
	[IMP_TIMEOUT_CHECK] = { "timeout_check", true },
	[IMP_TIMEOUT_QUEUE] = { "timeout_queue", true },
	[IMP_INTER] = { "inter", true },
	[IMP_FASTINTER] = { "fastinter", true },
	[IMP_DOWNINTER] = { "downinter", true },
	[IMP_FALL] = { "fall", false },
	[IMP_RISE] = { "rise", false },
	[IMP_ON_MARKED_DOWN] = { "on_marked_down", false },
	[IMP_CHECK_PORT] = { "check_port", false },
	[IMP_MAXCONN] = { "maxconn", false },
	[IMP_CHECK_TLS] = { "check_tls", false },
	[IMP_CHECK_CA_FILE] = { "check_ca_file", false },
	[IMP_CHECK_CERT_FILE] = { "check_cert_file", false },
	[IMP_CHECK_KEY_FILE] = { "check_key_file", false },
};

const char *conf_imp_key_name(enum imp_key k)
{
	return keys[k].name;
}

bool conf_imp_key_is_duration(enum imp_key k)
{
	return keys[k].duration;
}

void conf_imp_format_duration(long long us, char *buf, size_t size)
{
	static const struct {
		const char *unit;
		long long us;
	} units[] = {
		{ "d", 86400LL * 1000000 }, { "h", 3600LL * 1000000 }, { "m", 60LL * 1000000 },
		{ "s", 1000000 }, { "ms", 1000 },
	};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (us != 0 && us % units[i].us == 0) {
			snprintf(buf, size, "%lld%s", us / units[i].us, units[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%lldus", us);
}

void conf_imp_val_format(enum imp_key k, const struct imp_val *v, char *buf, size_t size)
{
	if (keys[k].duration)
		conf_imp_format_duration(v->num, buf, size);
	else if (v->str[0])
		snprintf(buf, size, "%s", v->str);
	else if (k == IMP_CHECK_TLS)
		snprintf(buf, size, "%s", v->num ? "yes" : "no");
	else
		snprintf(buf, size, "%lld", v->num);
}

bool conf_imp_val_equal(const struct imp_val *a, const struct imp_val *b)
{
	return a->set == b->set && a->num == b->num && strcmp(a->str, b->str) == 0;
}

bool conf_imp_numeric_host(const char *text, bool *v6)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, text, buf) == 1) {
		if (v6)
			*v6 = false;
		return true;
	}
	if (inet_pton(AF_INET6, text, buf) == 1) {
		if (v6)
			*v6 = true;
		return true;
	}
	return false;
}

int conf_imp_parse_int(const char *text, long long min, long long max, long long *out)
{
	char *end;
	long long n;

	if (!*text || !((*text >= '0' && *text <= '9') || *text == '-'))
		return -1;
	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno || *end || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

int conf_imp_parse_time(const char *text, long long default_unit_us, long long *us)
{
	static const struct {
		const char *unit;
		long long us;
	} units[] = {
		{ "us", 1 }, { "ms", 1000 }, { "s", 1000000 }, { "m", 60LL * 1000000 },
		{ "h", 3600LL * 1000000 }, { "d", 86400LL * 1000000 },
	};
	long long n = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > 1000000000000LL)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (!*p) {
		*us = n * default_unit_us;
		return 0;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].unit) == 0) {
			if (n > (long long)(9e18 / (double)units[i].us))
				return -1;
			*us = n * units[i].us;
			return 0;
		}
	}
	return -1;
}

bool conf_imp_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

static int by_file_and_line(const void *a, const void *b)
{
	const struct conf_import_finding *x = a, *y = b;

	if (x->file != y->file)
		return (int)x->file - (int)y->file;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	/* qsort is not stable: keep the order they were found in */
	return x->seq - y->seq;
}

int conf_import(const char *hap_name, const char *hap_text,
                const char *ka_name, const char *ka_text,
                struct conf_import_result *out)
{
	struct imp im = { .names = { hap_name, ka_name } };
	struct imp_model *model = calloc(1, sizeof *model);
	struct imp_buf buf = { 0 };

	memset(out, 0, sizeof *out);
	if (!model)
		return -1;
	im.file = CONF_IMPORT_HAPROXY;
	conf_imp_haproxy(&im, hap_text, model);
	if (ka_text) {
		im.file = CONF_IMPORT_KEEPALIVED;
		conf_imp_keepalived(&im, ka_text, model);
	}
	conf_imp_emit(&im, model, &buf);
	free(model);
	if (im.oom || buf.oom || !buf.s) {
		free(im.f);
		free(buf.s);
		return -1;
	}
	if (im.nf)
		qsort(im.f, (size_t)im.nf, sizeof *im.f, by_file_and_line);
	/* a defaults line that many proxies inherit is reported once */
	int kept = 0;
	for (int i = 0; i < im.nf; i++) {
		if (kept && im.f[kept - 1].file == im.f[i].file && im.f[kept - 1].line == im.f[i].line &&
		    strcmp(im.f[kept - 1].text, im.f[i].text) == 0)
			continue;
		im.f[kept++] = im.f[i];
	}
	im.nf = kept;
	out->ini = buf.s;
	out->ini_len = buf.len;
	out->findings = im.f;
	out->nfindings = im.nf;
	for (int i = 0; i < im.nf; i++)
		if (im.f[i].routing)
			out->routing_left_out = true;
	return 0;
}

void conf_import_free(struct conf_import_result *r)
{
	free(r->ini);
	free(r->findings);
	memset(r, 0, sizeof *r);
}
