/*
 * [vrrp NAME] sections: the seed's keepalived.conf translated and read back
 * field by field, the defaults, and each error with its exact line and text
 * (what `pgfront -c` prints).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

#define S 1000000ULL

static struct conf *conf;
static struct conf_errors *errs;

static int group_setup(void **state)
{
	(void)state;
	conf = calloc(1, sizeof *conf);
	errs = calloc(1, sizeof *errs);
	return conf && errs ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(conf);
	free(errs);
	return 0;
}

/* Five lines, so that a [vrrp] after it starts at line 6. */
#define BASE \
	"[server s1]\n" \
	"address = 198.18.145.30:5432\n" \
	"[listen postgres_write]\n" \
	"bind = 198.18.145.222:5432\n" \
	"check = HEAD /primary\n"

/* A valid minimal section, lines 6-9. */
#define VI \
	"[vrrp VI_01]\n" \
	"interface = eth0\n" \
	"virtual_router_id = 51\n" \
	"virtual_ipaddress = 198.18.145.222\n"

static void dump_errors(void)
{
	for (int i = 0; i < errs->count && i < CONF_MAX_ERRORS; i++)
		print_message("    got: %s\n", errs->lines[i]);
}

static void expect_ok(const char *text)
{
	int rc = conf_load_string("t.ini", text, conf, errs);

	if (rc != 0)
		dump_errors();
	assert_int_equal(rc, 0);
}

static void check_errors(const char *text, const char *const *want, int n)
{
	int rc = conf_load_string("t.ini", text, conf, errs);
	bool same = rc == -1 && errs->count == n;

	for (int i = 0; same && i < n; i++)
		same = strcmp(errs->lines[i], want[i]) == 0;
	if (!same) {
		print_message("  file:\n%s\n", text);
		for (int i = 0; i < n; i++)
			print_message("   want: %s\n", want[i]);
		dump_errors();
	}
	assert_true(same);
}

#define expect_errors(text, ...) do { \
		static const char *const want_[] = { __VA_ARGS__ }; \
		check_errors(text, want_, (int)(sizeof want_ / sizeof want_[0])); \
	} while (0)

static const char *ip(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, buf, sizeof buf);
}

static void test_seed_translated(void **state)
{
	const struct conf_vrrp *v;

	(void)state;
	expect_ok(BASE
	          "[vrrp VI_01]\n"
	          "interface = ens33\n"
	          "state = MASTER              ; initial state\n"
	          "virtual_router_id = 51\n"
	          "priority = 101\n"
	          "advert_int = 2s\n"
	          "virtual_ipaddress = 198.18.145.222, 198.18.145.223/24\n"
	          "preempt = yes\n"
	          "preempt_delay = 1.5s\n"
	          "auth_type = pass\n"
	          "auth_pass = s3cret\n"
	          "unicast_src = 198.18.145.11\n"
	          "unicast_peer = 198.18.145.12, 198.18.145.13\n"
	          "garp_repeat = 3\n"
	          "garp_delay = 0s\n"
	          "garp_refresh = 1m\n"
	          "notify = /bin/true\n"
	          "notify_timeout = 30s\n"
	          "track_listener = postgres_write\n"
	          "track_weight = -50\n");
	assert_int_equal(conf->nvrrps, 1);
	v = &conf->vrrps[0];
	assert_string_equal(v->name, "VI_01");
	assert_string_equal(v->interface, "ens33");
	assert_true(v->start_master);
	assert_int_equal(v->vrid, 51);
	assert_int_equal(v->priority, 101);
	assert_int_equal(v->advert_int, 2);
	assert_int_equal(v->nvips, 2);
	assert_string_equal(ip(v->vips[0].addr), "198.18.145.222");
	assert_int_equal(v->vips[0].prefix, 32);
	assert_string_equal(ip(v->vips[1].addr), "198.18.145.223");
	assert_int_equal(v->vips[1].prefix, 24);
	assert_true(v->preempt);
	assert_int_equal(v->preempt_delay_us, 1500000);
	assert_int_equal(v->auth_type, CONF_VRRP_AUTH_PASS);
	assert_string_equal(v->auth_pass, "s3cret");
	assert_string_equal(ip(v->unicast_src), "198.18.145.11");
	assert_int_equal(v->npeers, 2);
	assert_string_equal(ip(v->unicast_peers[1]), "198.18.145.13");
	assert_int_equal(v->garp_repeat, 3);
	assert_int_equal(v->garp_delay_us, 0);
	assert_int_equal(v->garp_refresh_us, 60 * S);
	assert_string_equal(v->notify, "/bin/true");
	assert_int_equal(v->notify_timeout_us, 30 * S);
	assert_int_equal(v->track_listener, 0);
	assert_string_equal(v->track_listener_name, "postgres_write");
	assert_int_equal(v->track_weight, -50);
	assert_int_equal(v->line, 6);
	assert_string_equal(conf_vrrp_auth_name(v->auth_type), "pass");
}

static void test_defaults(void **state)
{
	const struct conf_vrrp *v = &conf->vrrps[0];

	(void)state;
	expect_ok(BASE VI);
	assert_false(v->start_master);
	assert_int_equal(v->priority, 100);
	assert_int_equal(v->advert_int, 1);
	assert_true(v->preempt);
	assert_int_equal(v->preempt_delay_us, 0);
	assert_int_equal(v->auth_type, CONF_VRRP_AUTH_NONE);
	assert_int_equal(v->unicast_src.s_addr, 0);
	assert_int_equal(v->npeers, 0);
	assert_int_equal(v->garp_repeat, 5);
	assert_int_equal(v->garp_delay_us, 5 * S);
	assert_int_equal(v->garp_refresh_us, 0);
	assert_string_equal(v->notify, "");
	assert_int_equal(v->notify_timeout_us, 10 * S);
	assert_int_equal(v->track_listener, -1);
	/* No [vrrp] at all: none. */
	expect_ok(BASE);
	assert_int_equal(conf->nvrrps, 0);
}

static void test_several_and_order(void **state)
{
	(void)state;
	/* A [vrrp] before the [listen] it tracks; two instances on one link. */
	expect_ok("[vrrp A]\n"
	          "interface = eth0\n"
	          "virtual_router_id = 51\n"
	          "virtual_ipaddress = 198.18.145.222\n"
	          "track_listener = postgres_read\n"
	          "track_weight = +20\n"
	          "[vrrp B]\n"
	          "interface = eth0\n"
	          "virtual_router_id = 52\n"
	          "virtual_ipaddress = 198.18.145.223\n"
	          "priority = 255\n"
	          "state = MASTER\n"
	          BASE
	          "[listen postgres_read]\n"
	          "bind = 198.18.145.222:5433\n"
	          "check = HEAD /replica\n");
	assert_int_equal(conf->nvrrps, 2);
	assert_int_equal(conf->vrrps[0].track_listener, 1);
	assert_int_equal(conf->vrrps[0].track_weight, 20);
	assert_int_equal(conf->vrrps[1].priority, 255);
	/* The same VRID on two interfaces is two routers. */
	expect_ok(BASE VI
	          "[vrrp VI_02]\n"
	          "interface = eth1\n"
	          "virtual_router_id = 51\n"
	          "virtual_ipaddress = 198.18.145.224\n");
}

static const struct {
	const char *text;
	const char *error;
} cases[] = {
	/* Headers. */
	{ BASE "[vrrp]\n", "t.ini:6: [vrrp]: a [vrrp] section needs a name, e.g. [vrrp VI_01]" },
	{ BASE "[vrrp a/b]\n", "t.ini:6: [vrrp a/b]: invalid name 'a/b': use 1 to 63 characters "
	  "of A-Z a-z 0-9 _ . -" },
	{ BASE VI "[vrrp VI_01]\n", "t.ini:10: [vrrp VI_01]: duplicate section (first at line 6)" },
	/* Values. */
	{ BASE VI "interface = eth1\n", "t.ini:10: [vrrp VI_01] interface: duplicate key (first at line 7)" },
	{ BASE "[vrrp X]\ninterface = a-very-long-name0\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = 198.18.145.1\n",
	  "t.ini:7: [vrrp X] interface: invalid value 'a-very-long-name0': expected an interface "
	  "name of 1 to 15 characters without '/', ':' or blanks" },
	{ BASE "[vrrp X]\ninterface = eth0:1\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = 198.18.145.1\n",
	  "t.ini:7: [vrrp X] interface: invalid value 'eth0:1': expected an interface "
	  "name of 1 to 15 characters without '/', ':' or blanks" },
	{ BASE VI "state = master\n",
	  "t.ini:10: [vrrp VI_01] state: invalid value 'master': expected MASTER or BACKUP" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 0\nvirtual_ipaddress = 198.18.145.1\n",
	  "t.ini:8: [vrrp X] virtual_router_id: invalid value '0': expected an integer in 1..255" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 256\nvirtual_ipaddress = 198.18.145.1\n",
	  "t.ini:8: [vrrp X] virtual_router_id: invalid value '256': expected an integer in 1..255" },
	{ BASE VI "priority = 0\n",
	  "t.ini:10: [vrrp VI_01] priority: invalid value '0': expected an integer in 1..255" },
	{ BASE VI "advert_int = 1\n",
	  "t.ini:10: [vrrp VI_01] advert_int: invalid value '1': a duration needs a unit "
	  "(us, ms, s, m, h, d), e.g. '3s'" },
	{ BASE VI "advert_int = 1500ms\n",
	  "t.ini:10: [vrrp VI_01] advert_int: invalid value '1500ms': VRRPv2 advertises whole "
	  "seconds: expected 1s to 255s" },
	{ BASE VI "advert_int = 256s\n",
	  "t.ini:10: [vrrp VI_01] advert_int: invalid value '256s': expected whole seconds from "
	  "1s to 255s" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = 198.18.145.1/33\n",
	  "t.ini:9: [vrrp X] virtual_ipaddress: invalid value '198.18.145.1/33': expected IPv4 "
	  "addresses, each with an optional /PREFIX (1..32, default 32), separated by commas" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = fe80::1\n",
	  "t.ini:9: [vrrp X] virtual_ipaddress: invalid value 'fe80::1': expected IPv4 "
	  "addresses, each with an optional /PREFIX (1..32, default 32), separated by commas" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = 198.18.145.1,\n",
	  "t.ini:9: [vrrp X] virtual_ipaddress: invalid value '198.18.145.1,': expected IPv4 "
	  "addresses, each with an optional /PREFIX (1..32, default 32), separated by commas" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = 198.18.145.1, 224.0.0.18\n",
	  "t.ini:9: [vrrp X] virtual_ipaddress: '224.0.0.18' cannot float: it is a loopback, "
	  "multicast or reserved address" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = 127.0.0.5\n",
	  "t.ini:9: [vrrp X] virtual_ipaddress: '127.0.0.5' cannot float: it is a loopback, "
	  "multicast or reserved address" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 1\n"
	  "virtual_ipaddress = 198.18.145.1, 198.18.145.1/24\n",
	  "t.ini:9: [vrrp X] virtual_ipaddress: '198.18.145.1/24' is listed twice" },
	{ BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = 1\n"
	  /* RFC 5737 documentation addresses: short enough for 17 on one line. */
	  "virtual_ipaddress = 192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5,192.0.2.6,192.0.2.7,"
	  "192.0.2.8,192.0.2.9,192.0.2.10,192.0.2.11,192.0.2.12,192.0.2.13,192.0.2.14,192.0.2.15,"
	  "192.0.2.16,192.0.2.17\n",
	  "t.ini:9: [vrrp X] virtual_ipaddress: more than 16 addresses" },
	{ BASE VI "preempt = maybe\n",
	  "t.ini:10: [vrrp VI_01] preempt: invalid value 'maybe': expected yes or no (or true, "
	  "false, on, off, 1, 0)" },
	{ BASE VI "preempt_delay = 1001s\n",
	  "t.ini:10: [vrrp VI_01] preempt_delay: invalid value '1001s': expected a duration from "
	  "0s to 1000s" },
	{ BASE VI "auth_type = ah\n",
	  "t.ini:10: [vrrp VI_01] auth_type: invalid value 'ah': expected none or pass" },
	{ BASE VI "auth_type = pass\nauth_pass = 123456789\n",
	  "t.ini:11: [vrrp VI_01] auth_pass: invalid value '123456789': expected 1 to 8 "
	  "characters (VRRPv2 carries 8 bytes)" },
	{ BASE VI "unicast_src = 198.18.145\n",
	  "t.ini:10: [vrrp VI_01] unicast_src: invalid value '198.18.145': expected a unicast "
	  "IPv4 address of this host" },
	{ BASE VI "unicast_peer = 198.18.145.12, 198.18.145.12\n",
	  "t.ini:10: [vrrp VI_01] unicast_peer: '198.18.145.12' is listed twice" },
	{ BASE VI "garp_repeat = 101\n",
	  "t.ini:10: [vrrp VI_01] garp_repeat: invalid value '101': expected an integer in 0..100" },
	{ BASE VI "garp_delay = 5\n",
	  "t.ini:10: [vrrp VI_01] garp_delay: invalid value '5': a duration needs a unit "
	  "(us, ms, s, m, h, d), e.g. '3s'" },
	{ BASE VI "garp_refresh = 25d\n",
	  "t.ini:10: [vrrp VI_01] garp_refresh: invalid value '25d': expected 0s (off) or a "
	  "duration up to 24d" },
	{ BASE VI "notify = notify.sh\n",
	  "t.ini:10: [vrrp VI_01] notify: invalid value 'notify.sh': expected an absolute path" },
	{ BASE VI "notify = /nonexistent/notify.sh\n",
	  "t.ini:10: [vrrp VI_01] notify: cannot execute /nonexistent/notify.sh: No such file "
	  "or directory" },
	{ BASE VI "notify_timeout = 0s\n",
	  "t.ini:10: [vrrp VI_01] notify_timeout: invalid value '0s': expected a duration from "
	  "1s to 1000s" },
	{ BASE VI "track_listener = no such\ntrack_weight = -5\n",
	  "t.ini:10: [vrrp VI_01] track_listener: invalid value 'no such': expected the name of a "
	  "[listen] section" },
	{ BASE VI "track_weight = 0\ntrack_listener = postgres_write\n",
	  "t.ini:10: [vrrp VI_01] track_weight: invalid value '0': expected -254..-1 or 1..254" },
	{ BASE VI "track_weight = -255\ntrack_listener = postgres_write\n",
	  "t.ini:10: [vrrp VI_01] track_weight: invalid value '-255': expected -254..-1 or 1..254" },
	/* Checked once the file is read. */
	{ BASE VI "track_listener = postgres_read\ntrack_weight = -5\n",
	  "t.ini:10: [vrrp VI_01] track_listener: unknown listener 'postgres_read'" },
	{ BASE VI "track_listener = postgres_write\n",
	  "t.ini:10: [vrrp VI_01] track_listener: track_listener needs track_weight, e.g. "
	  "'track_weight = -50'" },
	{ BASE VI "track_weight = -50\n",
	  "t.ini:10: [vrrp VI_01] track_weight: track_weight needs track_listener" },
	{ BASE VI "priority = 255\ntrack_listener = postgres_write\ntrack_weight = -50\n",
	  "t.ini:11: [vrrp VI_01] track_listener: the address owner (priority 255) cannot be "
	  "tracked: its priority stays 255" },
	{ BASE VI "auth_type = pass\n",
	  "t.ini:10: [vrrp VI_01] auth_type: auth_type = pass needs auth_pass" },
	{ BASE VI "auth_pass = s3cret\n",
	  "t.ini:10: [vrrp VI_01] auth_pass: auth_pass needs auth_type = pass" },
	{ BASE VI "auth_type = none\nauth_pass = s3cret\n",
	  "t.ini:11: [vrrp VI_01] auth_pass: auth_pass needs auth_type = pass" },
	{ BASE VI "unicast_src = 198.18.145.11\n",
	  "t.ini:10: [vrrp VI_01] unicast_src: unicast_src needs unicast_peer (adverts go by "
	  "multicast without peers)" },
	{ BASE VI "state = MASTER\npreempt = no\n",
	  "t.ini:11: [vrrp VI_01] preempt: preempt = no needs state = BACKUP" },
	{ BASE VI "preempt = no\npreempt_delay = 10s\n",
	  "t.ini:11: [vrrp VI_01] preempt_delay: preempt_delay needs preempt = yes" },
	{ BASE VI "[vrrp VI_02]\ninterface = eth0\nvirtual_router_id = 51\n"
	  "virtual_ipaddress = 198.18.145.223\n",
	  "t.ini:12: [vrrp VI_02] virtual_router_id: 51 on eth0 is already used by [vrrp VI_01] "
	  "at line 6" },
	{ BASE VI "[vrrp VI_02]\ninterface = eth0\nvirtual_router_id = 52\n"
	  "virtual_ipaddress = 198.18.145.1, 198.18.145.222\n",
	  "t.ini:13: [vrrp VI_02] virtual_ipaddress: 198.18.145.222 is already floated by "
	  "[vrrp VI_01]" },
	/* Keys in the wrong section. */
	{ BASE "priority = 100\n" VI,
	  "t.ini:6: [listen postgres_write] priority: 'priority' belongs in a [vrrp] section" },
	{ BASE VI "bind = *:5432\n",
	  "t.ini:10: [vrrp VI_01] bind: 'bind' belongs in a [listen] section" },
	{ BASE VI "inter = 2s\n",
	  "t.ini:10: [vrrp VI_01] inter: 'inter' belongs in [defaults], a [listen] or a [server] "
	  "section" },
	{ BASE VI "nopreempt = yes\n", "t.ini:10: [vrrp VI_01] nopreempt: unknown key" },
};

static void test_each_error(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *want = cases[i].error;

		check_errors(cases[i].text, &want, 1);
	}
}

static void test_required_and_echoes(void **state)
{
	(void)state;
	/* Every required key missing: three errors at the header. */
	expect_errors(BASE "[vrrp X]\npriority = 100\n",
	              "t.ini:6: [vrrp X]: interface is required, e.g. 'interface = eth0'",
	              "t.ini:6: [vrrp X]: virtual_router_id is required, e.g. 'virtual_router_id = 51'",
	              "t.ini:6: [vrrp X]: virtual_ipaddress is required, e.g. "
	              "'virtual_ipaddress = 192.0.2.222'");
	/* A bad value is one error: no "required", no "needs" echo after it. */
	expect_errors(BASE "[vrrp X]\ninterface = eth0\nvirtual_router_id = x\n"
	              "virtual_ipaddress = 198.18.145.1\nauth_type = PASS\nauth_pass = abc\n",
	              "t.ini:8: [vrrp X] virtual_router_id: invalid value 'x': expected an "
	              "integer in 1..255",
	              "t.ini:10: [vrrp X] auth_type: invalid value 'PASS': expected none or pass");
	/* The keys of a header in error are not looked at. */
	expect_errors(BASE "[vrrp]\ninterface = eth0\nbogus = 1\n",
	              "t.ini:6: [vrrp]: a [vrrp] section needs a name, e.g. [vrrp VI_01]");
}

static void test_too_many(void **state)
{
	char text[4096] = BASE;

	(void)state;
	for (int i = 0; i <= CONF_MAX_VRRP; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
		         "[vrrp V%d]\ninterface = eth0\nvirtual_router_id = %d\n"
		         "virtual_ipaddress = 198.18.145.%d\n", i, i + 1, i + 1);
	expect_errors(text, "t.ini:38: [vrrp V8]: too many [vrrp] sections (at most 8)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_translated),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_several_and_order),
		cmocka_unit_test(test_each_error),
		cmocka_unit_test(test_required_and_echoes),
		cmocka_unit_test(test_too_many),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
