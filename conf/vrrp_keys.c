/*
 * [vrrp NAME] sections: the header and each key, one setter per key. What
 * depends on other keys or other sections (required keys, track_listener's
 * name, two instances on one VRID) waits for vrrp_resolve.c.
 *
 * Values follow keepalived.conf where it has them (state MASTER|BACKUP,
 * virtual_router_id, advert_int...), written the pgfront way: durations with
 * their unit, lists separated by commas.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf/state.h"

#define SEC 1000000ULL

/* vrrp_state.h is included before state.h defines the size it must match. */
_Static_assert(sizeof(((struct conf_raw_vrrp *)0)->title) == CONF_TITLE_MAX,
               "conf_raw_vrrp.title must be CONF_TITLE_MAX");

static const char *const auth_names[] = {
	[CONF_VRRP_AUTH_NONE] = "none",
	[CONF_VRRP_AUTH_PASS] = "pass",
};

const char *conf_vrrp_auth_name(enum conf_vrrp_auth auth)
{
	if ((unsigned)auth >= sizeof auth_names / sizeof auth_names[0])
		return "unknown";
	return auth_names[auth];
}

/* Addresses a host may not float: "this network", loopback, multicast, reserved. */
static bool usable_ipv4(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 28) < 14;
}

static bool parse_ipv4(const char *text, struct in_addr *out)
{
	return inet_pton(AF_INET, text, out) == 1;
}

/* Calls item() on each comma-separated element, blanks trimmed; stops at false. */
static bool each_item(const char *value, char *buf, size_t size,
                      bool (*item)(void *arg, const char *text), void *arg)
{
	const char *p = value;

	for (;;) {
		size_t n = strcspn(p, ",");
		const char *start = p + strspn(p, " \t");
		size_t len = (size_t)(p + n - start);

		while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
			len--;
		if (len >= size)
			len = size - 1;   /* too long to be valid either way */
		memcpy(buf, start, len);
		buf[len] = '\0';
		if (!item(arg, buf))
			return false;
		if (p[n] == '\0')
			return true;
		p += n + 1;
	}
}

static bool set_interface(struct conf_state *st, struct conf_vrrp *v, const char *key,
                          const char *value)
{
	size_t n = strlen(value);

	/* The kernel's own rule for a device name (dev_valid_name). */
	if (n == 0 || n >= CONF_IFNAME_MAX || strcmp(value, ".") == 0 ||
	    strcmp(value, "..") == 0 || strpbrk(value, "/: \t")) {
		conf_bad_value(st, key, value,
		               "expected an interface name of 1 to 15 characters without '/', ':' or blanks");
		return false;
	}
	strcpy(v->interface, value);
	return true;
}

static bool set_state(struct conf_state *st, struct conf_vrrp *v, const char *key,
                      const char *value)
{
	if (strcmp(value, "MASTER") == 0)
		v->start_master = true;
	else if (strcmp(value, "BACKUP") == 0)
		v->start_master = false;
	else {
		conf_bad_value(st, key, value, "expected MASTER or BACKUP");
		return false;
	}
	return true;
}

static bool set_int(struct conf_state *st, const char *key, const char *value,
                    long long min, long long max, int *out)
{
	long long n;

	if (conf_parse_int(value, min, max, &n) < 0) {
		conf_error(st, st->line, st->title, key,
		           "invalid value '%s': expected an integer in %lld..%lld", value, min, max);
		return false;
	}
	*out = (int)n;
	return true;
}

static bool set_vrid(struct conf_state *st, struct conf_vrrp *v, const char *key,
                     const char *value)
{
	return set_int(st, key, value, 1, 255, &v->vrid);
}

static bool set_priority(struct conf_state *st, struct conf_vrrp *v, const char *key,
                         const char *value)
{
	return set_int(st, key, value, 1, 255, &v->priority);
}

static bool set_garp_repeat(struct conf_state *st, struct conf_vrrp *v, const char *key,
                            const char *value)
{
	return set_int(st, key, value, 0, 100, &v->garp_repeat);
}

/* A duration in min..max microseconds; the message says the range as range_text. */
static bool set_duration(struct conf_state *st, const char *key, const char *value,
                         uint64_t min, uint64_t max, const char *range_text, uint64_t *out)
{
	uint64_t us;
	const char *why;

	if (conf_parse_duration(value, &us, &why) < 0) {
		conf_bad_value(st, key, value, why);
		return false;
	}
	if (us < min || us > max) {
		conf_bad_value(st, key, value, range_text);
		return false;
	}
	*out = us;
	return true;
}

static bool set_advert_int(struct conf_state *st, struct conf_vrrp *v, const char *key,
                           const char *value)
{
	uint64_t us;

	/* RFC 3768 5.3.7: an 8-bit count of seconds. */
	if (!set_duration(st, key, value, 1 * SEC, 255 * SEC,
	                  "expected whole seconds from 1s to 255s", &us))
		return false;
	if (us % SEC) {
		conf_bad_value(st, key, value, "VRRPv2 advertises whole seconds: expected 1s to 255s");
		return false;
	}
	v->advert_int = (int)(us / SEC);
	return true;
}

static bool set_preempt(struct conf_state *st, struct conf_vrrp *v, const char *key,
                        const char *value)
{
	if (conf_parse_bool(value, &v->preempt) < 0) {
		conf_bad_value(st, key, value, "expected yes or no (or true, false, on, off, 1, 0)");
		return false;
	}
	return true;
}

static bool set_preempt_delay(struct conf_state *st, struct conf_vrrp *v, const char *key,
                              const char *value)
{
	return set_duration(st, key, value, 0, 1000 * SEC, "expected a duration from 0s to 1000s",
	                    &v->preempt_delay_us);
}

static bool set_garp_delay(struct conf_state *st, struct conf_vrrp *v, const char *key,
                           const char *value)
{
	return set_duration(st, key, value, 0, CONF_DURATION_MAX_US,
	                    "expected 0s (none) or a duration up to 24d", &v->garp_delay_us);
}

static bool set_garp_refresh(struct conf_state *st, struct conf_vrrp *v, const char *key,
                             const char *value)
{
	return set_duration(st, key, value, 0, CONF_DURATION_MAX_US,
	                    "expected 0s (off) or a duration up to 24d", &v->garp_refresh_us);
}

static bool set_auth_type(struct conf_state *st, struct conf_vrrp *v, const char *key,
                          const char *value)
{
	for (size_t i = 0; i < sizeof auth_names / sizeof auth_names[0]; i++) {
		if (strcmp(value, auth_names[i]) == 0) {
			v->auth_type = (enum conf_vrrp_auth)i;
			return true;
		}
	}
	conf_bad_value(st, key, value, "expected none or pass");
	return false;
}

static bool set_auth_pass(struct conf_state *st, struct conf_vrrp *v, const char *key,
                          const char *value)
{
	size_t n = strlen(value);

	if (n == 0 || n > CONF_VRRP_PASS_MAX) {
		conf_bad_value(st, key, value, "expected 1 to 8 characters (VRRPv2 carries 8 bytes)");
		return false;
	}
	for (const char *p = value; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f) {
			conf_bad_value(st, key, value, "expected printable characters without blanks");
			return false;
		}
	}
	strcpy(v->auth_pass, value);
	return true;
}

static bool set_unicast_src(struct conf_state *st, struct conf_vrrp *v, const char *key,
                            const char *value)
{
	if (!parse_ipv4(value, &v->unicast_src) || !usable_ipv4(v->unicast_src)) {
		conf_bad_value(st, key, value, "expected a unicast IPv4 address of this host");
		return false;
	}
	return true;
}

struct list_ctx {
	struct conf_state *st;
	struct conf_vrrp *v;
	const char *key;
	const char *value;
};

static bool add_peer(void *arg, const char *text)
{
	struct list_ctx *c = arg;
	struct in_addr a;

	if (!parse_ipv4(text, &a) || !usable_ipv4(a)) {
		conf_bad_value(c->st, c->key, c->value,
		               "expected unicast IPv4 addresses separated by commas");
		return false;
	}
	for (int i = 0; i < c->v->npeers; i++) {
		if (c->v->unicast_peers[i].s_addr == a.s_addr) {
			conf_error(c->st, c->st->line, c->st->title, c->key, "'%s' is listed twice", text);
			return false;
		}
	}
	if (c->v->npeers >= CONF_VRRP_MAX_PEERS) {
		conf_error(c->st, c->st->line, c->st->title, c->key, "more than %d peers",
		           CONF_VRRP_MAX_PEERS);
		return false;
	}
	c->v->unicast_peers[c->v->npeers++] = a;
	return true;
}

static bool set_unicast_peer(struct conf_state *st, struct conf_vrrp *v, const char *key,
                             const char *value)
{
	struct list_ctx c = { st, v, key, value };
	char buf[32];

	return each_item(value, buf, sizeof buf, add_peer, &c);
}

/* "A.B.C.D" or "A.B.C.D/P" */
static bool parse_vip(const char *text, struct conf_vip *out)
{
	char host[INET_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	long long prefix = 32;

	if (n >= sizeof host)
		return false;
	memcpy(host, text, n);
	host[n] = '\0';
	if (!parse_ipv4(host, &out->addr))
		return false;
	if (slash && conf_parse_int(slash + 1, 1, 32, &prefix) < 0)
		return false;
	out->prefix = (int)prefix;
	return true;
}

static bool add_vip(void *arg, const char *text)
{
	struct list_ctx *c = arg;
	struct conf_vip vip;

	if (!parse_vip(text, &vip)) {
		conf_bad_value(c->st, c->key, c->value, "expected IPv4 addresses, each with an "
		               "optional /PREFIX (1..32, default 32), separated by commas");
		return false;
	}
	if (!usable_ipv4(vip.addr)) {
		conf_error(c->st, c->st->line, c->st->title, c->key,
		           "'%s' cannot float: it is a loopback, multicast or reserved address", text);
		return false;
	}
	for (int i = 0; i < c->v->nvips; i++) {
		if (c->v->vips[i].addr.s_addr == vip.addr.s_addr) {
			conf_error(c->st, c->st->line, c->st->title, c->key, "'%s' is listed twice", text);
			return false;
		}
	}
	if (c->v->nvips >= CONF_VRRP_MAX_VIPS) {
		conf_error(c->st, c->st->line, c->st->title, c->key, "more than %d addresses",
		           CONF_VRRP_MAX_VIPS);
		return false;
	}
	c->v->vips[c->v->nvips++] = vip;
	return true;
}

static bool set_vips(struct conf_state *st, struct conf_vrrp *v, const char *key,
                     const char *value)
{
	struct list_ctx c = { st, v, key, value };
	char buf[32];

	return each_item(value, buf, sizeof buf, add_vip, &c);
}

/* Run as a child on every transition: it must be there now, not at 3 a.m. */
static bool set_notify(struct conf_state *st, struct conf_vrrp *v, const char *key,
                       const char *value)
{
	if (value[0] != '/') {
		conf_bad_value(st, key, value, "expected an absolute path");
		return false;
	}
	if (strlen(value) >= CONF_PATH_MAX) {
		conf_bad_value(st, key, value, "the path is longer than 255 characters");
		return false;
	}
	if (access(value, X_OK) < 0) {
		conf_error(st, st->line, st->title, key, "cannot execute %s: %s", value,
		           strerror(errno));
		return false;
	}
	strcpy(v->notify, value);
	conf_access_note(st, value, X_OK, key);
	return true;
}

/* keepalived's startup_script_timeout and shutdown_script_timeout: 10 s, at most 1000 s. */
static bool set_notify_timeout(struct conf_state *st, struct conf_vrrp *v, const char *key,
                               const char *value)
{
	return set_duration(st, key, value, 1 * SEC, 1000 * SEC,
	                    "expected a duration from 1s to 1000s", &v->notify_timeout_us);
}

static bool set_track_listener(struct conf_state *st, struct conf_vrrp *v, const char *key,
                               const char *value)
{
	if (!conf_valid_name(value)) {
		conf_bad_value(st, key, value, "expected the name of a [listen] section");
		return false;
	}
	strcpy(v->track_listener_name, value);
	return true;
}

static bool set_track_weight(struct conf_state *st, struct conf_vrrp *v, const char *key,
                             const char *value)
{
	bool negative = value[0] == '-';
	const char *digits = value + (value[0] == '-' || value[0] == '+');
	long long n;

	if (conf_parse_int(digits, 1, 254, &n) < 0) {
		conf_bad_value(st, key, value, "expected -254..-1 or 1..254");
		return false;
	}
	v->track_weight = negative ? (int)-n : (int)n;
	return true;
}

static const struct vrrp_key_def {
	const char *name;
	bool (*set)(struct conf_state *st, struct conf_vrrp *v, const char *key,
	            const char *value);
} key_defs[CONF_VK_COUNT] = {
	[CONF_VK_INTERFACE] = { "interface", set_interface },
	[CONF_VK_STATE] = { "state", set_state },
	[CONF_VK_VIRTUAL_ROUTER_ID] = { "virtual_router_id", set_vrid },
	[CONF_VK_PRIORITY] = { "priority", set_priority },
	[CONF_VK_ADVERT_INT] = { "advert_int", set_advert_int },
	[CONF_VK_VIRTUAL_IPADDRESS] = { "virtual_ipaddress", set_vips },
	[CONF_VK_PREEMPT] = { "preempt", set_preempt },
	[CONF_VK_PREEMPT_DELAY] = { "preempt_delay", set_preempt_delay },
	[CONF_VK_AUTH_TYPE] = { "auth_type", set_auth_type },
	[CONF_VK_AUTH_PASS] = { "auth_pass", set_auth_pass },
	[CONF_VK_UNICAST_SRC] = { "unicast_src", set_unicast_src },
	[CONF_VK_UNICAST_PEER] = { "unicast_peer", set_unicast_peer },
	[CONF_VK_GARP_REPEAT] = { "garp_repeat", set_garp_repeat },
	[CONF_VK_GARP_DELAY] = { "garp_delay", set_garp_delay },
	[CONF_VK_GARP_REFRESH] = { "garp_refresh", set_garp_refresh },
	[CONF_VK_NOTIFY] = { "notify", set_notify },
	[CONF_VK_NOTIFY_TIMEOUT] = { "notify_timeout", set_notify_timeout },
	[CONF_VK_TRACK_LISTENER] = { "track_listener", set_track_listener },
	[CONF_VK_TRACK_WEIGHT] = { "track_weight", set_track_weight },
};

static int find_key(const char *name)
{
	for (int k = 0; k < CONF_VK_COUNT; k++)
		if (strcmp(key_defs[k].name, name) == 0)
			return k;
	return -1;
}

bool conf_vrrp_key_known(const char *name)
{
	return find_key(name) >= 0;
}

bool conf_vrrp_key(struct conf_state *st, const char *name, const char *value)
{
	struct conf_raw_vrrp *raw = &st->vrrps[st->index];
	struct conf_vrrp *v = &st->conf->vrrps[st->index];
	int k = find_key(name);

	if (k < 0)
		return false;
	if (conf_key_once(st, &raw->line[k], name))
		raw->ok[k] = key_defs[k].set(st, v, name, value);
	return true;
}

/* keepalived's defaults, where keepalived has one. */
static void set_defaults(struct conf_vrrp *v)
{
	v->priority = 100;
	v->advert_int = 1;
	v->preempt = true;
	v->auth_type = CONF_VRRP_AUTH_NONE;
	v->garp_repeat = 5;
	v->garp_delay_us = 5 * SEC;
	v->notify_timeout_us = 10 * SEC;
	v->track_listener = -1;
}

static int refuse(struct conf_state *st)
{
	st->kind = CONF_SEC_SKIP;
	st->title[0] = '\0';
	return -1;
}

static int check_name(struct conf_state *st, const char *name)
{
	if (name[0] == '\0') {
		conf_error(st, st->line, st->title, NULL,
		           "a [vrrp] section needs a name, e.g. [vrrp VI_01]");
		return -1;
	}
	if (!conf_valid_name(name)) {
		conf_error(st, st->line, st->title, NULL, "invalid name '%s': " CONF_NAME_RULE, name);
		return -1;
	}
	for (int i = 0; i < st->conf->nvrrps; i++) {
		if (strcmp(st->conf->vrrps[i].name, name) == 0) {
			conf_error(st, st->line, st->title, NULL, "duplicate section (first at line %d)",
			           st->conf->vrrps[i].line);
			return -1;
		}
	}
	if (st->conf->nvrrps >= CONF_MAX_VRRP) {
		conf_error(st, st->line, st->title, NULL, "too many [vrrp] sections (at most %d)",
		           CONF_MAX_VRRP);
		return -1;
	}
	return 0;
}

int conf_vrrp_open(struct conf_state *st, const char *name)
{
	struct conf_vrrp *v;
	struct conf_raw_vrrp *raw;

	if (check_name(st, name) < 0)
		return refuse(st);
	st->index = st->conf->nvrrps++;
	v = &st->conf->vrrps[st->index];
	raw = &st->vrrps[st->index];
	memset(v, 0, sizeof *v);
	memset(raw, 0, sizeof *raw);
	set_defaults(v);
	strcpy(v->name, name);
	v->line = st->line;
	snprintf(st->title, sizeof st->title, "[vrrp %s]", name);
	snprintf(raw->title, sizeof raw->title, "%s", st->title);
	st->kind = CONF_SEC_VRRP;
	return 0;
}
