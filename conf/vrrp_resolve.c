/*
 * What can be checked of the [vrrp] sections only once the whole file is
 * read: required keys, keys that make sense only together, the [listen] that
 * track_listener names (it may come later in the file), and two instances
 * that would fight over one VRID or one address.
 *
 * A key whose own value was in error is left out of these checks: it has
 * been reported once already.
 */
#include <arpa/inet.h>
#include <string.h>

#include "conf/state.h"

static bool given(const struct conf_raw_vrrp *raw, enum conf_vrrp_key k)
{
	return raw->line[k] != 0;
}

static bool valid(const struct conf_raw_vrrp *raw, enum conf_vrrp_key k)
{
	return raw->line[k] != 0 && raw->ok[k];
}

static void required(struct conf_state *st, int i)
{
	static const struct {
		enum conf_vrrp_key key;
		const char *example;
	} keys[] = {
		{ CONF_VK_INTERFACE, "interface is required, e.g. 'interface = eth0'" },
		{ CONF_VK_VIRTUAL_ROUTER_ID, "virtual_router_id is required, e.g. 'virtual_router_id = 51'" },
		{ CONF_VK_VIRTUAL_IPADDRESS,
		  "virtual_ipaddress is required, e.g. 'virtual_ipaddress = 192.0.2.222'" },
	};
	const struct conf_raw_vrrp *raw = &st->vrrps[i];

	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (!given(raw, keys[k].key))
			conf_error(st, st->conf->vrrps[i].line, raw->title, NULL, "%s", keys[k].example);
}

/* One key needs another (or a value of another): told at the line of the first. */
static void needs(struct conf_state *st, int i, enum conf_vrrp_key key, const char *key_name,
                  bool ok, const char *what)
{
	const struct conf_raw_vrrp *raw = &st->vrrps[i];

	if (valid(raw, key) && !ok)
		conf_error(st, raw->line[key], raw->title, key_name, "%s", what);
}

static void pairs(struct conf_state *st, int i)
{
	const struct conf_raw_vrrp *raw = &st->vrrps[i];
	const struct conf_vrrp *v = &st->conf->vrrps[i];
	bool pass = v->auth_type == CONF_VRRP_AUTH_PASS;

	needs(st, i, CONF_VK_AUTH_TYPE, "auth_type", !pass || given(raw, CONF_VK_AUTH_PASS),
	      "auth_type = pass needs auth_pass");
	/* An auth_type in error has been reported already: no echo here. */
	needs(st, i, CONF_VK_AUTH_PASS, "auth_pass",
	      pass || (given(raw, CONF_VK_AUTH_TYPE) && !valid(raw, CONF_VK_AUTH_TYPE)),
	      "auth_pass needs auth_type = pass");
	needs(st, i, CONF_VK_UNICAST_SRC, "unicast_src", given(raw, CONF_VK_UNICAST_PEER),
	      "unicast_src needs unicast_peer (adverts go by multicast without peers)");
	needs(st, i, CONF_VK_TRACK_WEIGHT, "track_weight", given(raw, CONF_VK_TRACK_LISTENER),
	      "track_weight needs track_listener");
	needs(st, i, CONF_VK_TRACK_LISTENER, "track_listener", given(raw, CONF_VK_TRACK_WEIGHT),
	      "track_listener needs track_weight, e.g. 'track_weight = -50'");
	/* keepalived's rule too: a node that starts as MASTER is not one that waits. */
	needs(st, i, CONF_VK_PREEMPT, "preempt", v->preempt || !v->start_master,
	      "preempt = no needs state = BACKUP");
	needs(st, i, CONF_VK_PREEMPT_DELAY, "preempt_delay", v->preempt || v->preempt_delay_us == 0,
	      "preempt_delay needs preempt = yes");
}

static int find_listener(const struct conf *conf, const char *name)
{
	for (int i = 0; i < conf->nlisteners; i++)
		if (strcmp(conf->listeners[i].name, name) == 0)
			return i;
	return -1;
}

static void track(struct conf_state *st, int i)
{
	const struct conf_raw_vrrp *raw = &st->vrrps[i];
	struct conf_vrrp *v = &st->conf->vrrps[i];
	int line = raw->line[CONF_VK_TRACK_LISTENER];

	if (!valid(raw, CONF_VK_TRACK_LISTENER))
		return;
	v->track_listener = find_listener(st->conf, v->track_listener_name);
	if (v->track_listener < 0)
		conf_error(st, line, raw->title, "track_listener", "unknown listener '%s'",
		           v->track_listener_name);
	else if (v->priority == 255)
		/* RFC 3768 5.3.4: 255 is reserved for the router that owns the addresses. */
		conf_error(st, line, raw->title, "track_listener",
		           "the address owner (priority 255) cannot be tracked: its priority stays 255");
}

/* Two instances on one link with one VRID would be one virtual router twice. */
static void clash_vrid(struct conf_state *st, int i)
{
	const struct conf_vrrp *v = &st->conf->vrrps[i];

	if (!valid(&st->vrrps[i], CONF_VK_INTERFACE) || !valid(&st->vrrps[i], CONF_VK_VIRTUAL_ROUTER_ID))
		return;
	for (int j = 0; j < i; j++) {
		const struct conf_vrrp *o = &st->conf->vrrps[j];

		if (valid(&st->vrrps[j], CONF_VK_INTERFACE) &&
		    valid(&st->vrrps[j], CONF_VK_VIRTUAL_ROUTER_ID) &&
		    strcmp(o->interface, v->interface) == 0 && o->vrid == v->vrid) {
			conf_error(st, st->vrrps[i].line[CONF_VK_VIRTUAL_ROUTER_ID], st->vrrps[i].title,
			           "virtual_router_id", "%d on %s is already used by [vrrp %s] at line %d",
			           v->vrid, v->interface, o->name, o->line);
			return;
		}
	}
}

static void clash_vips(struct conf_state *st, int i)
{
	const struct conf_vrrp *v = &st->conf->vrrps[i];
	char text[INET_ADDRSTRLEN];

	for (int j = 0; j < i; j++) {
		const struct conf_vrrp *o = &st->conf->vrrps[j];

		for (int a = 0; a < v->nvips; a++) {
			for (int b = 0; b < o->nvips; b++) {
				if (v->vips[a].addr.s_addr != o->vips[b].addr.s_addr)
					continue;
				inet_ntop(AF_INET, &v->vips[a].addr, text, sizeof text);
				conf_error(st, st->vrrps[i].line[CONF_VK_VIRTUAL_IPADDRESS],
				           st->vrrps[i].title, "virtual_ipaddress",
				           "%s is already floated by [vrrp %s]", text, o->name);
				return;
			}
		}
	}
}

void conf_vrrp_resolve(struct conf_state *st)
{
	for (int i = 0; i < st->conf->nvrrps; i++) {
		required(st, i);
		pairs(st, i);
		track(st, i);
		clash_vrid(st, i);
		clash_vips(st, i);
	}
}
