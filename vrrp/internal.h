/*
 * What the files of vrrp/ share, and nobody else sees. One struct
 * vrrp_instance per [vrrp] section holds everything of it: its copy of the
 * configuration, its sockets and watchers, the state machine and the view
 * the stats page reads. Every event reaches the state machine through
 * vrrp_inst_event(), the one place that applies its answer.
 */
#ifndef PGFRONT_VRRP_INTERNAL_H
#define PGFRONT_VRRP_INTERNAL_H

#include <ev.h>

#include "common/list.h"
#include "common/events.h"
#include "common/log.h"
#include "vrrp/fsm.h"
#include "vrrp/net.h"
#include "vrrp/packet.h"
#include "vrrp/vrrp.h"

struct vrrp_child;

/* What a netlink request does to one VIP (nlq.c). */
enum vrrp_nl_kind {
	VRRP_NL_ADD,
	VRRP_NL_DEL,
	VRRP_NL_STALE,                   /* removal at start: a crash left it there */
};

struct vrrp_instance {
	struct vrrp *vrrp;
	struct conf_vrrp c;              /* a copy: a reload frees the conf it came from */
	struct vrrp_iface ifc;
	int fd;                          /* raw IPPROTO_VRRP, -1 when closed */
	ev_io io;
	ev_timer master_down;            /* armed from fsm.master_down_at */
	ev_timer advert;                 /* armed from fsm.advert_at */
	ev_timer garp_again;             /* the second burst, garp_delay after the first */
	ev_timer garp_refresh;
	struct vrrp_fsm fsm;
	struct vrrp_expect expect;
	struct vrrp_view view;
	bool track_up;                   /* the tracked listener has an UP server */
	ev_timer track_grace;            /* its loss is not yet in the priority */
	bool vips_on;                    /* added by us (or asked), not yet removed */
	int vip_adds_pending;            /* VIP additions not answered yet */
	struct log_ratelimit discard_rl;
	struct log_ratelimit send_rl;
};

struct vrrp {
	struct ev_loop *loop;
	vrrp_change_fn *on_change;
	void *on_change_arg;
	int nl_fd;                       /* rtnetlink, shared by the instances */
	ev_io nl_io;                     /* its answers */
	ev_timer nl_timer;               /* the oldest request unanswered */
	struct list nl_pending;          /* requests in flight, oldest first */
	uint32_t nl_seq;
	struct log_ratelimit nl_rl;
	int arp_fd;                      /* AF_PACKET, shared */
	int n;
	struct vrrp_instance *inst;
	struct list notify_running;      /* notify scripts running (struct vrrp_child) */
	struct list notify_waiting;      /* and waiting for a turn, oldest first */
};

/* instance.c */
int vrrp_inst_open(struct vrrp_instance *in, struct vrrp *v, const struct conf_vrrp *c,
                   char *err, size_t errlen);
void vrrp_inst_start(struct vrrp_instance *in);
void vrrp_inst_stop(struct vrrp_instance *in);
void vrrp_inst_event(struct vrrp_instance *in, enum vrrp_event event, int priority,
                     struct in_addr src);
void vrrp_inst_track(struct vrrp_instance *in, bool has_up_server, double grace);

/* rx.c: the raw socket's read callback. */
void vrrp_rx_cb(struct ev_loop *loop, ev_io *w, int revents);

/* tx.c: adverts, the VIPs and their gratuitous ARPs. */
void vrrp_tx_advert(struct vrrp_instance *in, int priority);
void vrrp_tx_vips(struct vrrp_instance *in, bool add);
void vrrp_tx_remove_stale(struct vrrp_instance *in);
void vrrp_tx_garp_start(struct vrrp_instance *in);
void vrrp_tx_garp_stop(struct vrrp_instance *in);

/* tx.c: the answer to one VIP request (0, or -errno). */
void vrrp_tx_vip_done(struct vrrp_instance *in, enum vrrp_nl_kind kind, int vip, int error);

/* nlq.c: VIP requests on the shared rtnetlink socket, answered from the loop. */
void vrrp_nlq_init(struct vrrp *v);
void vrrp_nlq_submit(struct vrrp_instance *in, enum vrrp_nl_kind kind, int vip);
void vrrp_nlq_drain(struct vrrp *v, double timeout);
void vrrp_nlq_free(struct vrrp *v);

/* notify.c */
void vrrp_notify(struct vrrp *v, const struct vrrp_instance *in);
void vrrp_notify_forget(struct vrrp *v);

/* caps.c: 0, or -1 with err naming what is missing. */
int vrrp_caps_check(const char *who, char *err, size_t errlen);

#endif
