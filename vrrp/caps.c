/*
 * Capabilities. A [vrrp] instance needs CAP_NET_RAW for its raw and
 * AF_PACKET sockets (opened at start) and CAP_NET_ADMIN to add and remove
 * the VIPs (at every transition, so for the whole run). Asked of the kernel
 * with capget/capset directly: two system calls do not call for libcap.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vrrp/internal.h"

#define BIT(cap) (1u << (cap))   /* both below 32: in the first word */

static int get_caps(uint32_t *effective, uint32_t *permitted)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	*effective = data[0].effective;
	*permitted = data[0].permitted;
	return 0;
}

int vrrp_caps_check(const char *who, char *err, size_t errlen)
{
	uint32_t eff, perm;
	bool raw, admin;

	if (get_caps(&eff, &perm) < 0) {
		snprintf(err, errlen, "cannot read this process's capabilities: %s", strerror(errno));
		return -1;
	}
	raw = eff & BIT(CAP_NET_RAW);
	admin = eff & BIT(CAP_NET_ADMIN);
	if (raw && admin)
		return 0;
	snprintf(err, errlen, "pgfront lacks %s%s%s, which %s needs (CAP_NET_RAW for its raw "
	         "sockets, CAP_NET_ADMIN to add and remove the virtual IPs): run it as root or "
	         "grant them (systemd: AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN)",
	         raw ? "" : "CAP_NET_RAW", raw || admin ? "" : " and ",
	         admin ? "" : "CAP_NET_ADMIN", who);
	return -1;
}

void vrrp_before_setuid(const struct vrrp *vrrp)
{
	/* Keeps the permitted set across setuid(); the effective one is cleared. */
	if (vrrp && vrrp->n > 0)
		prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
}

int vrrp_after_setuid(const struct vrrp *vrrp, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uint32_t permitted;

	if (!vrrp || vrrp->n == 0)
		return 0;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) < 0) {
		snprintf(err, errlen, "cannot read this process's capabilities: %s", strerror(errno));
		return -1;
	}
	/* No switch of user happened (or it kept the effective set): nothing to do. */
	if (data[0].effective & BIT(CAP_NET_ADMIN))
		return 0;
	/* setuid() cleared the effective set and KEEPCAPS kept the permitted one:
	 * of it, keep CAP_NET_ADMIN alone (the sockets are open already). */
	permitted = data[0].permitted;
	memset(data, 0, sizeof data);
	data[0].effective = data[0].permitted = BIT(CAP_NET_ADMIN);
	if (!(permitted & BIT(CAP_NET_ADMIN)) || syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(err, errlen, "after the switch of user, CAP_NET_ADMIN (needed to move the "
		         "virtual IPs) could not be kept: %s",
		         permitted & BIT(CAP_NET_ADMIN) ? strerror(errno) : "not in the permitted set");
		return -1;
	}
	return 0;
}
