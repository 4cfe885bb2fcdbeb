/*
 * keepalived.conf's VRRP part, as pgfront import reads it: vrrp_instance
 * blocks become [vrrp] sections, a vrrp_script (or vrrp_track_process) that
 * only checks that HAProxy runs becomes tracking of pgfront's write
 * listener, and everything else is reported.
 *
 * The file is read into words with their line, braces as words of their own,
 * '#' and '!' starting comments and double quotes holding a word together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/import_int.h"

#define KA_MAX_TOKENS 20000
#define KA_MAX_SCRIPTS 32
#define KA_WORD_MAX 256

struct ka_token {
	char text[KA_WORD_MAX];
	int line;
};

struct ka_script {
	char name[CONF_NAME_MAX];
	int line;
	char script[KA_WORD_MAX];
	long long weight;
	bool reverse;
	bool haproxy;            /* only checks that HAProxy's process runs */
	bool used;               /* by a track_script */
};

struct ka {
	struct imp *im;
	struct imp_model *m;
	struct ka_token *t;
	int nt;
	struct ka_script scripts[KA_MAX_SCRIPTS];
	int nscripts;
	/* global_defs' defaults for every instance */
	char garp_delay[32], garp_repeat[32], garp_refresh[32];
	int garp_delay_line, garp_repeat_line, garp_refresh_line;
};

static bool is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void add_token(struct ka *k, const char *s, size_t n, int line)
{
	if (k->nt == KA_MAX_TOKENS) {
		k->im->oom = true;
		return;
	}
	if (n >= KA_WORD_MAX)
		n = KA_WORD_MAX - 1;
	memcpy(k->t[k->nt].text, s, n);
	k->t[k->nt].text[n] = '\0';
	k->t[k->nt].line = line;
	k->nt++;
}

static void tokenize(struct ka *k, const char *p)
{
	int line = 1;

	while (*p) {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
		} else if (*p == '#' || *p == '!') {
			while (*p && *p != '\n')
				p++;
		} else if (*p == '{' || *p == '}') {
			add_token(k, p, 1, line);
			p++;
		} else if (*p == '"') {
			const char *end = strchr(p + 1, '"');
			const char *nl = strchr(p + 1, '\n');
			if (!end || (nl && nl < end))
				end = nl ? nl : p + strlen(p);
			add_token(k, p + 1, (size_t)(end - p - 1), line);
			p = *end == '"' ? end + 1 : end;
		} else {
			const char *s = p;
			while (*p && !strchr(" \t\r\n{}#!", *p))
				p++;
			add_token(k, s, (size_t)(p - s), line);
		}
	}
}

/* The words of the statement at *i (to the end of its line or a brace). */
static int statement(const struct ka *k, int i)
{
	int n = 0;

	while (i + n < k->nt && k->t[i + n].line == k->t[i].line &&
	       !is(k->t[i + n].text, "{") && !is(k->t[i + n].text, "}"))
		n++;
	return n;
}

/* Index after the block opening at i ("{"), or i when there is none. */
static int skip_block(const struct ka *k, int i)
{
	int depth = 0;

	if (i >= k->nt || !is(k->t[i].text, "{"))
		return i;
	for (; i < k->nt; i++) {
		if (is(k->t[i].text, "{"))
			depth++;
		else if (is(k->t[i].text, "}") && --depth == 0)
			return i + 1;
	}
	return k->nt;
}

static void what_of(const struct ka *k, int i, int n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int j = 0; j < n && len + 2 < size; j++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", j ? " " : "", k->t[i + j].text);
}

static void left_out(struct ka *k, int i, int n, bool routing, const char *why)
{
	char what[160];

	what_of(k, i, n, what, sizeof what);
	conf_imp_left_out(k->im, k->t[i].line, routing, what, "%s", why);
}

/* --- vrrp_script and vrrp_track_process ---------------------------------- */

static bool checks_haproxy_process(const char *script)
{
	static const char *const how[] = {
		"killall -0", "pidof", "pgrep", "systemctl is-active", "systemctl status",
		"service haproxy status", "kill -0", "/proc/",
	};

	if (!strstr(script, "haproxy"))
		return false;
	for (size_t i = 0; i < sizeof how / sizeof how[0]; i++)
		if (strstr(script, how[i]))
			return true;
	return false;
}

static void read_script(struct ka *k, int i, bool process)
{
	struct ka_script *s;
	int end = skip_block(k, i + 2);
	int other[16], nother = 0;

	if (k->nscripts == KA_MAX_SCRIPTS || i + 1 >= k->nt)
		return;
	s = &k->scripts[k->nscripts++];
	memset(s, 0, sizeof *s);
	conf_imp_copy(s->name, sizeof s->name, k->t[i + 1].text);
	s->line = k->t[i].line;
	for (int j = i + 3; j < end - 1; ) {
		int n = statement(k, j);
		const char *w = k->t[j].text;
		if (n == 0) {
			j = skip_block(k, j);
			if (j < end && is(k->t[j].text, "}"))
				j++;
			continue;
		}
		if ((is(w, "script") || is(w, "process")) && n >= 2) {
			if (process)
				snprintf(s->script, sizeof s->script, "pidof %.200s", k->t[j + 1].text);
			else
				conf_imp_copy(s->script, sizeof s->script, k->t[j + 1].text);
		} else if (is(w, "weight") && n >= 2) {
			s->weight = atoll(k->t[j + 1].text);
			s->reverse = n >= 3 && is(k->t[j + 2].text, "reverse");
		} else {
			/* judged once the script is known: see below */
			if (nother < (int)(sizeof other / sizeof other[0]))
				other[nother++] = j;
		}
		j += n;
	}
	s->haproxy = checks_haproxy_process(s->script);
	for (int x = 0; x < nother && s->haproxy; x++)
		left_out(k, other[x], statement(k, other[x]), false, "pgfront follows its "
		         "listener's health as it changes: no script, interval or count");
}

static struct ka_script *find_script(struct ka *k, const char *name)
{
	for (int i = 0; i < k->nscripts; i++)
		if (is(k->scripts[i].name, name))
			return &k->scripts[i];
	return NULL;
}

/* --- vrrp_instance ------------------------------------------------------- */

struct inst {
	struct imp_section *sec;
	int vindex;
	char interface[CONF_IFNAME_MAX + 8];
	char vips[IMP_VALUE_MAX];
	int vips_line;
	char peers[IMP_VALUE_MAX];
	int peers_line;
	bool tracked;
};

/* The words of a { ... } list, each entry being one line. */
static void address_list(struct ka *k, struct inst *in, int i, bool peers, bool excluded)
{
	int end = skip_block(k, i);
	char *list = peers ? in->peers : in->vips;

	for (int j = i + 1; j < end - 1; ) {
		int n = statement(k, j);
		bool v6 = false;
		char host[64];
		if (n == 0) {
			j++;
			continue;
		}
		conf_imp_copy(host, sizeof host, k->t[j].text);
		if (strchr(host, '/'))
			*strchr(host, '/') = '\0';
		if (!conf_imp_numeric_host(host, &v6) || v6) {
			left_out(k, j, n, true, v6 ? "an IPv6 address: pgfront speaks VRRP "
			         "version 2, IPv4 only" : "not a numeric IPv4 address");
		} else {
			if (peers ? !in->peers_line : !in->vips_line) {
				if (peers)
					in->peers_line = k->t[j].line;
				else
					in->vips_line = k->t[j].line;
			}
			snprintf(list + strlen(list), IMP_VALUE_MAX - strlen(list), "%s%s",
			         list[0] ? ", " : "", peers ? host : k->t[j].text);
			if (n > 1 && peers)
				left_out(k, j, n, false, "pgfront sends its adverts to the address alone");
			if (n > 1 && !peers) {
				bool other_dev = false;
				for (int x = 1; x + 1 < n; x++)
					if (is(k->t[j + x].text, "dev") && !is(k->t[j + x + 1].text, in->interface))
						other_dev = true;
				left_out(k, j, n, other_dev, other_dev ? "another interface than the "
				         "instance's: pgfront adds every VIP to its interface" :
				         "pgfront adds the address alone (no brd, dev, scope or label)");
			}
			if (excluded)
				conf_imp_notice(k->im, k->t[j].line, "%s is advertised with the other VIPs: "
				           "pgfront has no excluded addresses", host);
		}
		j += n;
	}
}

static void authentication(struct ka *k, struct inst *in, int i)
{
	int end = skip_block(k, i);
	int type = -1, pass = -1;

	for (int j = i + 1; j < end - 1; ) {
		int n = statement(k, j);
		if (n >= 2 && is(k->t[j].text, "auth_type"))
			type = j;
		else if (n >= 2 && is(k->t[j].text, "auth_pass"))
			pass = j;
		else if (n)
			left_out(k, j, n, false, "not part of VRRP authentication");
		j += n ? n : 1;
	}
	if (type >= 0 && !is(k->t[type + 1].text, "PASS")) {
		left_out(k, type, 2, true, "pgfront has no IPsec AH: set auth_type = pass, "
		         "or none, on both balancers");
		return;
	}
	if (type >= 0)
		conf_imp_kv_add(in->sec, "auth_type", k->t[type].line, "pass");
	if (pass >= 0 && type >= 0) {
		struct imp_kv *kv = conf_imp_kv_add(in->sec, "auth_pass", k->t[pass].line, "%.8s",
		                               k->t[pass + 1].text);
		if (kv && strlen(k->t[pass + 1].text) > 8)
			strcpy(kv->note, "keepalived, too, uses its first 8 characters");
	}
}

/* keepalived ignores preempt_delay with nopreempt; pgfront refuses it. */
static void drop_preempt_delay(struct ka *k, struct inst *in)
{
	struct imp_section *s = in->sec;
	int nopreempt = -1, delay = -1;

	for (int i = 0; i < s->nkv; i++) {
		if (is(s->kv[i].key, "preempt") && is(s->kv[i].value, "no"))
			nopreempt = i;
		if (is(s->kv[i].key, "preempt_delay"))
			delay = i;
	}
	if (nopreempt < 0 || delay < 0)
		return;
	conf_imp_left_out(k->im, s->kv[delay].line, false, "preempt_delay", "with nopreempt, "
	             "keepalived never preempts: the delay does nothing");
	memmove(&s->kv[delay], &s->kv[delay + 1], (size_t)(s->nkv - delay - 1) * sizeof s->kv[0]);
	s->nkv--;
}

static void track_entry(struct ka *k, struct inst *in, int j, int n, const char *what)
{
	struct ka_script *s = find_script(k, k->t[j].text);
	struct imp_model *m = k->m;
	long long w;

	if (!s) {
		left_out(k, j, n, true, "no vrrp_script or vrrp_track_process of that name");
		return;
	}
	s->used = true;
	if (!s->haproxy) {
		char why[200];
		snprintf(why, sizeof why, "the %s at line %d runs '%.60s': pgfront runs no "
		         "scripts; it tracks its own listeners (track_listener)", what, s->line,
		         s->script);
		left_out(k, j, n, true, why);
		return;
	}
	if (in->tracked) {
		left_out(k, j, n, false, "pgfront tracks one listener per instance: "
		         "the first check of HAProxy is kept");
		return;
	}
	w = s->weight;
	for (int x = 1; x + 1 < n; x++)
		if (is(k->t[j + x].text, "weight"))
			w = atoll(k->t[j + x + 1].text);
	if (s->reverse)
		w = -w;
	in->tracked = true;
	m->track_line[in->vindex] = k->t[j].line;
	if (w == 0) {
		m->track_weight[in->vindex] = -254;
		snprintf(m->track_note[in->vindex], IMP_NOTE_MAX, "weight 0 in %s: FAULT while "
		         "it fails; here the lowest priority", k->im->names[CONF_IMPORT_KEEPALIVED] ?
		         "keepalived" : "");
	} else {
		m->track_weight[in->vindex] = (int)(w > 254 ? 254 : w < -254 ? -254 : w);
		char note[300];
		snprintf(note, sizeof note, "keepalived: %+lld while '%.40s' (line %d) succeeds; "
		         "here: %s", w, s->script, s->line, w > 0 ?
		         "while the listener has an UP server" : "while it has none");
		conf_imp_copy(m->track_note[in->vindex], IMP_NOTE_MAX, note);
	}
}

static void track_list(struct ka *k, struct inst *in, int i, const char *what)
{
	int end = skip_block(k, i);

	for (int j = i + 1; j < end - 1; ) {
		int n = statement(k, j);
		if (n)
			track_entry(k, in, j, n, what);
		j += n ? n : 1;
	}
}

static void seconds_key(struct ka *k, struct inst *in, const char *key, int j, bool whole)
{
	double v = atof(k->t[j + 1].text);
	long long s = (long long)(v + 0.5);

	if (whole && s < 1)
		s = 1;
	struct imp_kv *kv = conf_imp_kv_add(in->sec, key, k->t[j].line, "%llds", s);
	if (kv && (double)s != v) {
		snprintf(kv->note, sizeof kv->note, "%.20s in whole seconds", k->t[j + 1].text);
		conf_imp_notice(k->im, k->t[j].line, "%s %s: pgfront takes whole seconds, %llds", key,
		           k->t[j + 1].text, s);
	}
}

static void notify_line(struct ka *k, struct inst *in, int j, int n)
{
	const char *w = k->t[j].text;
	struct imp_kv *kv;

	if (is(w, "notify") && n >= 2 && k->t[j + 1].text[0] == '/' && !strchr(k->t[j + 1].text, ' ')) {
		left_out(k, j, n, false, "pgfront calls its notify as CMD NAME STATE, where "
		         "keepalived adds INSTANCE first and the priority last: adapt the script, "
		         "then set notify (a hint is in the [vrrp] section)");
		kv = conf_imp_kv_add(in->sec, "notify", k->t[j].line, "%s", k->t[j + 1].text);
		if (kv) {
			kv->commented = true;
			strcpy(kv->note, "arguments: NAME STATE");
		}
		return;
	}
	left_out(k, j, n, false, "pgfront runs one notify command, as CMD NAME STATE, "
	         "for every transition: a script that looks at STATE does this");
}

static bool takes_one(const char *w)
{
	static const char *const keys[] = {
		"state", "interface", "virtual_router_id", "priority", "advert_int",
		"preempt_delay", "unicast_src_ip", "garp_master_delay", "garp_master_repeat",
		"garp_master_refresh", NULL,
	};

	for (int i = 0; keys[i]; i++)
		if (is(keys[i], w))
			return true;
	return false;
}

static bool valid_value(const char *w, const char *a)
{
	long long v;
	double d;
	char *end;
	bool v6;

	if (is(w, "virtual_router_id") || is(w, "priority"))
		return conf_imp_parse_int(a, 1, 255, &v) == 0;
	if (is(w, "garp_master_repeat"))
		return conf_imp_parse_int(a, 0, 100, &v) == 0;
	if (is(w, "state"))
		return is(a, "MASTER") || is(a, "BACKUP");
	if (is(w, "interface"))
		return a[0] && strlen(a) < CONF_IFNAME_MAX && !strchr(a, '/');
	if (is(w, "unicast_src_ip"))
		return conf_imp_numeric_host(a, &v6) && !v6;
	if (is(w, "advert_int") || is(w, "preempt_delay") || strncmp(w, "garp_master_", 12) == 0) {
		d = strtod(a, &end);
		return a[0] >= '0' && a[0] <= '9' && !*end && d <= (is(w, "advert_int") ? 255 : 1000);
	}
	return true;
}

static void instance_key(struct ka *k, struct inst *in, int j, int n)
{
	const char *w = k->t[j].text;
	const char *a = n >= 2 ? k->t[j + 1].text : "";
	int line = k->t[j].line;

	if (takes_one(w) && n != 2) {
		left_out(k, j, n, true, n < 2 ? "no value" : "one value per line, as keepalived reads it");
		return;
	}
	if (!valid_value(w, a)) {
		left_out(k, j, n, true, "not a value keepalived or pgfront would take");
		return;
	}

	if (is(w, "state") && n >= 2)
		conf_imp_kv_add(in->sec, "state", line, "%s", is(a, "MASTER") ? "MASTER" : "BACKUP");
	else if (is(w, "interface") && n >= 2) {
		conf_imp_copy(in->interface, sizeof in->interface, a);
		conf_imp_kv_add(in->sec, "interface", line, "%s", a);
	} else if (is(w, "virtual_router_id") && n >= 2)
		conf_imp_kv_add(in->sec, "virtual_router_id", line, "%s", a);
	else if (is(w, "priority") && n >= 2)
		conf_imp_kv_add(in->sec, "priority", line, "%s", a);
	else if (is(w, "advert_int") && n >= 2)
		seconds_key(k, in, "advert_int", j, true);
	else if (is(w, "nopreempt"))
		conf_imp_kv_add(in->sec, "preempt", line, "no");
	else if (is(w, "preempt"))
		conf_imp_kv_add(in->sec, "preempt", line, "yes");
	else if (is(w, "preempt_delay") && n >= 2)
		seconds_key(k, in, "preempt_delay", j, false);
	else if (is(w, "unicast_src_ip") && n >= 2)
		conf_imp_kv_add(in->sec, "unicast_src", line, "%s", a);
	else if (is(w, "garp_master_delay") && n >= 2)
		seconds_key(k, in, "garp_delay", j, false);
	else if (is(w, "garp_master_repeat") && n >= 2)
		conf_imp_kv_add(in->sec, "garp_repeat", line, "%s", a);
	else if (is(w, "garp_master_refresh") && n >= 2)
		seconds_key(k, in, "garp_refresh", j, false);
	else if (strncmp(w, "notify", 6) == 0)
		notify_line(k, in, j, n);
	else if (is(w, "vrrp_version") && n >= 2 && !is(a, "2"))
		left_out(k, j, n, true, "pgfront speaks VRRP version 2 (RFC 3768)");
	else if (is(w, "track_interface") || is(w, "track_file") || is(w, "track_bfd") ||
	         is(w, "virtual_routes") || is(w, "virtual_rules") || is(w, "mcast_src_ip"))
		left_out(k, j, n, true, "pgfront has no equivalent");
	else if (is(w, "use_vmac") || is(w, "vmac_xmit_base") || is(w, "smtp_alert") ||
	         is(w, "debug") || is(w, "dont_track_primary") || is(w, "accept") ||
	         is(w, "no_accept") || is(w, "strict_mode") || is(w, "skip_check_adv_addr") ||
	         is(w, "lvs_sync_daemon_interface") || is(w, "native_ipv6") ||
	         is(w, "vrrp_version") || strncmp(w, "garp_lower_prio", 15) == 0)
		left_out(k, j, n, false, "no equivalent in pgfront, and no effect on which "
		         "balancer holds the VIPs");
	else
		left_out(k, j, n, true, "a keyword pgfront import does not know");
}

static void instance_block(struct ka *k, struct inst *in, int i, const char *key)
{
	if (is(key, "virtual_ipaddress") || is(key, "virtual_ipaddress_excluded"))
		address_list(k, in, i, false, is(key, "virtual_ipaddress_excluded"));
	else if (is(key, "unicast_peer"))
		address_list(k, in, i, true, false);
	else if (is(key, "authentication"))
		authentication(k, in, i);
	else if (is(key, "track_script"))
		track_list(k, in, i, "vrrp_script");
	else if (is(key, "track_process"))
		track_list(k, in, i, "vrrp_track_process");
	else
		conf_imp_left_out(k->im, k->t[i].line, true, key, "a block pgfront has no equivalent for");
}

static bool has_key(const struct imp_section *s, const char *key)
{
	for (int i = 0; i < s->nkv; i++)
		if (is(s->kv[i].key, key))
			return true;
	return false;
}

static void read_instance(struct ka *k, int i)
{
	struct imp_model *m = k->m;
	struct inst in = { 0 };
	int end = skip_block(k, i + 2);

	if (m->nvrrp == CONF_MAX_VRRP || i + 1 >= k->nt) {
		left_out(k, i, 2, true, "more instances than pgfront runs (8)");
		return;
	}
	in.vindex = m->nvrrp;
	in.sec = &m->vrrp[m->nvrrp++];
	memset(in.sec, 0, sizeof *in.sec);
	in.sec->file = CONF_IMPORT_KEEPALIVED;
	in.sec->line = k->t[i].line;
	{
		char name[CONF_NAME_MAX];
		size_t n = 0;
		for (const char *c = k->t[i + 1].text; *c && n + 1 < sizeof name; c++)
			name[n++] = strchr("_.-", *c) || (*c >= 'a' && *c <= 'z') ||
			            (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ? *c : '_';
		name[n] = '\0';
		snprintf(in.sec->title, sizeof in.sec->title, "vrrp %s", name);
	}
	snprintf(in.sec->comment, sizeof in.sec->comment, "vrrp_instance %.60s (line %d)",
	         k->t[i + 1].text, k->t[i].line);
	for (int j = i + 3; j < end - 1; ) {
		int n = statement(k, j);
		if (n == 0) {           /* a stray brace */
			j++;
			continue;
		}
		if (j + n < k->nt && is(k->t[j + n].text, "{")) {
			instance_block(k, &in, j + n, k->t[j].text);
			j = skip_block(k, j + n);
			continue;
		}
		/* before the list: the interface is needed to judge "dev" options */
		instance_key(k, &in, j, n);
		j += n;
	}
	drop_preempt_delay(k, &in);
	if (!in.interface[0] || !in.vips[0] || !has_key(in.sec, "virtual_router_id")) {
		conf_imp_left_out(k->im, in.sec->line, true, k->t[i + 1].text, "pgfront needs an interface, "
		             "a virtual_router_id and a virtual_ipaddress");
		m->nvrrp--;
		m->track_line[in.vindex] = 0;
		return;
	}
	if (in.vips[0])
		conf_imp_kv_add(in.sec, "virtual_ipaddress", in.vips_line, "%s", in.vips);
	if (in.peers[0])
		conf_imp_kv_add(in.sec, "unicast_peer", in.peers_line, "%s", in.peers);
	if (k->garp_delay_line)
		conf_imp_kv_add(in.sec, "garp_delay", k->garp_delay_line, "%s", k->garp_delay);
	if (k->garp_repeat_line)
		conf_imp_kv_add(in.sec, "garp_repeat", k->garp_repeat_line, "%s", k->garp_repeat);
	if (k->garp_refresh_line)
		conf_imp_kv_add(in.sec, "garp_refresh", k->garp_refresh_line, "%s", k->garp_refresh);
}

/* --- the file ------------------------------------------------------------ */

static void global_defs(struct ka *k, int i)
{
	int end = skip_block(k, i);

	for (int j = i + 1; j < end - 1; ) {
		int n = statement(k, j);
		const char *w = n ? k->t[j].text : "";
		if (n == 0) {
			j = skip_block(k, j);
			continue;
		}
		if (is(w, "vrrp_garp_master_delay") && n >= 2) {
			snprintf(k->garp_delay, sizeof k->garp_delay, "%.20ss", k->t[j + 1].text);
			k->garp_delay_line = k->t[j].line;
		} else if (is(w, "vrrp_garp_master_repeat") && n >= 2) {
			snprintf(k->garp_repeat, sizeof k->garp_repeat, "%.20s", k->t[j + 1].text);
			k->garp_repeat_line = k->t[j].line;
		} else if (is(w, "vrrp_garp_master_refresh") && n >= 2) {
			snprintf(k->garp_refresh, sizeof k->garp_refresh, "%.20ss", k->t[j + 1].text);
			k->garp_refresh_line = k->t[j].line;
		} else {
			left_out(k, j, n, false, "global_defs: no effect on which balancer holds the VIPs");
		}
		j += n;
		if (j < end && is(k->t[j].text, "{"))
			j = skip_block(k, j);
	}
}

static void top_level(struct ka *k, bool scripts_only)
{
	for (int i = 0; i < k->nt; ) {
		int n = statement(k, i);
		const char *w = n ? k->t[i].text : "";
		int next = skip_block(k, i + n);

		if (n == 0) {
			i++;
			continue;
		}
		if (scripts_only) {
			if (is(w, "vrrp_script") || is(w, "vrrp_track_process"))
				read_script(k, i, is(w, "vrrp_track_process"));
		} else if (is(w, "vrrp_instance")) {
			read_instance(k, i);
		} else if (is(w, "global_defs")) {
			global_defs(k, i + n);
		} else if (is(w, "vrrp_script") || is(w, "vrrp_track_process")) {
			/* read in the first pass; used through track_script */
		} else if (is(w, "include")) {
			left_out(k, i, n, true, "pgfront import does not follow includes: "
			         "give it the included text in one file");
		} else if (is(w, "vrrp_sync_group")) {
			left_out(k, i, n, false, "pgfront's instances move independently");
		} else if (is(w, "virtual_server") || is(w, "virtual_server_group")) {
			left_out(k, i, n, true, "LVS load balancing: pgfront is the load balancer");
		} else if (is(w, "static_ipaddress") || is(w, "static_routes") || is(w, "static_rules")) {
			left_out(k, i, n, false, "addresses and routes the system should keep itself");
		} else {
			left_out(k, i, n, true, "a keyword pgfront import does not know");
		}
		i = next > i + n ? next : i + n;
	}
}

void conf_imp_keepalived(struct imp *im, const char *text, struct imp_model *m)
{
	struct ka *k = calloc(1, sizeof *k);

	if (!k || !(k->t = malloc(KA_MAX_TOKENS * sizeof *k->t))) {
		free(k);
		im->oom = true;
		return;
	}
	k->im = im;
	k->m = m;
	tokenize(k, text);
	top_level(k, true);
	top_level(k, false);
	for (int i = 0; i < k->nscripts; i++)
		if (!k->scripts[i].used)
			conf_imp_left_out(im, k->scripts[i].line, false, k->scripts[i].name,
			             "no vrrp_instance tracks it");
	free(k->t);
	free(k);
}
