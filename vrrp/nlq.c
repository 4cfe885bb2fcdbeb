/*
 * The VIP requests in flight on the shared rtnetlink socket. Each request is
 * sent at once and kept here under its sequence number; the answer is read
 * when the loop finds the socket readable, and handed to the instance
 * (vrrp_tx_vip_done), which logs it and goes on (gratuitous ARPs once its
 * VIPs are in place). A request unanswered for NL_TIMEOUT is asked again, up
 * to NL_TRIES times, then given up as ETIMEDOUT; one the instance no longer
 * wants (it left MASTER meanwhile, or came back) is dropped as ECANCELED.
 * Nothing here waits, except at exit.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "vrrp/internal.h"

#define NL_TIMEOUT 1.0          /* seconds; the kernel answers at once when well */
#define NL_TRIES 3

struct vrrp_nl_req {
	struct list_node node;        /* on vrrp->nl_pending, oldest first */
	struct vrrp_instance *in;
	enum vrrp_nl_kind kind;
	int vip;                      /* index in in->c.vips */
	uint32_t seq;
	int tries;
	double sent;                  /* ev_now() of the last send */
};

static struct vrrp_nl_req *first(const struct vrrp *v)
{
	return LIST_ITEM(v->nl_pending.first, struct vrrp_nl_req, node);
}

static void arm(struct vrrp *v)
{
	ev_timer_stop(v->loop, &v->nl_timer);
	if (list_empty(&v->nl_pending))
		return;
	/* Oldest first: the head times out first. */
	ev_timer_set(&v->nl_timer, first(v)->sent + NL_TIMEOUT - ev_now(v->loop), 0.);
	ev_timer_start(v->loop, &v->nl_timer);
}

static int send_req(struct vrrp *v, struct vrrp_nl_req *r)
{
	struct vrrp_instance *in = r->in;

	r->seq = ++v->nl_seq;
	r->tries++;
	r->sent = ev_now(v->loop);
	return vrrp_nl_request(v->nl_fd, r->seq, r->kind == VRRP_NL_ADD, in->ifc.index,
	                       &in->c.vips[r->vip]);
}

static void finish(struct vrrp *v, struct vrrp_nl_req *r, int error)
{
	list_remove(&v->nl_pending, &r->node);
	vrrp_tx_vip_done(r->in, r->kind, r->vip, error);
	free(r);
}

void vrrp_nlq_submit(struct vrrp_instance *in, enum vrrp_nl_kind kind, int vip)
{
	struct vrrp *v = in->vrrp;
	struct vrrp_nl_req *r = calloc(1, sizeof *r);
	int rc;

	if (!r) {
		vrrp_tx_vip_done(in, kind, vip, -ENOMEM);
		return;
	}
	r->in = in;
	r->kind = kind;
	r->vip = vip;
	list_push_tail(&v->nl_pending, &r->node);
	rc = send_req(v, r);
	if (rc < 0)
		finish(v, r, rc);
	else if (!ev_is_active(&v->nl_timer))
		arm(v);
}

static void on_ack(void *arg, uint32_t seq, int error)
{
	struct vrrp *v = arg;

	for (struct list_node *n = v->nl_pending.first; n; n = n->next) {
		struct vrrp_nl_req *r = LIST_ITEM(n, struct vrrp_nl_req, node);

		if (r->seq == seq) {
			finish(v, r, error);
			return;
		}
	}
	/* The answer to a request asked again since, or given up: the later one counts. */
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct vrrp *v = w->data;
	int rc;

	(void)loop;
	(void)revents;
	rc = vrrp_nl_read_acks(v->nl_fd, on_ack, v);
	if (rc < 0)
		log_limited(&v->nl_rl, LOG_LEVEL_WARNING, "vrrp: reading netlink answers: %s%s",
		            strerror(-rc), rc == -ENOBUFS ? " (unanswered requests are asked again)"
		                                          : "");
	arm(v);
}

/* Whether the instance still wants what r asks: a later change supersedes it. */
static bool still_wanted(const struct vrrp_nl_req *r)
{
	switch (r->kind) {
	case VRRP_NL_ADD:
		return r->in->vips_on;
	case VRRP_NL_DEL:
		return !r->in->vips_on;
	default:
		return true;
	}
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct vrrp *v = w->data;
	double now = ev_now(loop);
	struct list_node *n = v->nl_pending.first;

	(void)revents;
	while (n) {
		struct vrrp_nl_req *r = LIST_ITEM(n, struct vrrp_nl_req, node);

		n = n->next;
		if (r->sent + NL_TIMEOUT > now)
			continue;
		list_remove(&v->nl_pending, &r->node);
		if (!still_wanted(r)) {
			vrrp_tx_vip_done(r->in, r->kind, r->vip, -ECANCELED);
			free(r);
			continue;
		}
		if (r->tries >= NL_TRIES) {
			vrrp_tx_vip_done(r->in, r->kind, r->vip, -ETIMEDOUT);
			free(r);
			continue;
		}
		log_limited(&v->nl_rl, LOG_LEVEL_WARNING, "vrrp %s: no netlink answer in %.0f s "
		            "(try %d of %d): asking again", r->in->c.name, NL_TIMEOUT, r->tries,
		            NL_TRIES);
		list_push_tail(&v->nl_pending, &r->node);
		if (send_req(v, r) < 0) {
			list_remove(&v->nl_pending, &r->node);
			vrrp_tx_vip_done(r->in, r->kind, r->vip, -ETIMEDOUT);
			free(r);
		}
	}
	arm(v);
}

/* Without answers: the instances are going away (vrrp_start failed, or after the drain). */
void vrrp_nlq_free(struct vrrp *v)
{
	ev_io_stop(v->loop, &v->nl_io);
	ev_timer_stop(v->loop, &v->nl_timer);
	while (!list_empty(&v->nl_pending)) {
		struct vrrp_nl_req *r = first(v);

		list_remove(&v->nl_pending, &r->node);
		free(r);
	}
}

void vrrp_nlq_init(struct vrrp *v)
{
	ev_io_init(&v->nl_io, io_cb, v->nl_fd, EV_READ);
	ev_init(&v->nl_timer, timeout_cb);
	v->nl_io.data = v->nl_timer.data = v;
	v->nl_rl = (struct log_ratelimit){ .period = 10.0, .burst = 5 };
	ev_io_start(v->loop, &v->nl_io);
}

/*
 * At exit, after the last requests (the VIPs' removal): the loop is about to
 * end and no session is relayed any more, so waiting here (up to timeout
 * seconds) is what makes the VIPs go before the process does.
 */
void vrrp_nlq_drain(struct vrrp *v, double timeout)
{
	double left = timeout;

	ev_io_stop(v->loop, &v->nl_io);
	ev_timer_stop(v->loop, &v->nl_timer);
	while (!list_empty(&v->nl_pending) && left > 0) {
		struct pollfd p = { .fd = v->nl_fd, .events = POLLIN };
		double before = ev_time();

		if (poll(&p, 1, (int)(left * 1000) + 1) > 0)
			vrrp_nl_read_acks(v->nl_fd, on_ack, v);
		left -= ev_time() - before;
	}
	while (!list_empty(&v->nl_pending))
		finish(v, first(v), -ETIMEDOUT);
}
