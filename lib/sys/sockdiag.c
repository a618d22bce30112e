/* The host's sockets (NETLINK_SOCK_DIAG) through the one netlink transport (netlink.c): see
 * sockdiag.h. */
#include "sys/sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "core/hostsocks.h"
#include "core/model.h"
#include "core/util.h"
#include "sys/netlink.h"

struct sd_dump {
	struct hostsocks *hs;
	int proto;
	int err;
};

static int sd_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sd_dump *d = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mnl_nlmsg_get_payload_len(nlh) < sizeof *m)
		return 0;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return 0;
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	nl_attrs_parse(nlh, sizeof *m, tb, INET_DIAG_MAX);
	bool v6only = tb[INET_DIAG_SKV6ONLY] && mnl_attr_get_payload_len(tb[INET_DIAG_SKV6ONLY]) &&
		      mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]);
	if (hostsocks_add(d->hs, d->proto, m->idiag_family, (const uint8_t *)m->id.idiag_src,
			  ntohs(m->id.idiag_sport), v6only) < 0)
		return ctr_err(-ENOMEM, "out of memory");
	return 0;
}

int sockdiag_load(struct hostsocks *hs)
{
	static const struct {
		uint8_t family, ipproto, proto;
		uint32_t states;
	} q[] = {
		/* a TCP port is taken by a listener; a UDP port by any socket bound to it */
		{ AF_INET, IPPROTO_TCP, CTR_TCP, 1u << 10 /* TCP_LISTEN */ },
		{ AF_INET6, IPPROTO_TCP, CTR_TCP, 1u << 10 },
		{ AF_INET, IPPROTO_UDP, CTR_UDP, ~0u },
		{ AF_INET6, IPPROTO_UDP, CTR_UDP, ~0u },
	};
	struct nlsock s;
	int r = nl_open(&s, NETLINK_SOCK_DIAG, NL_RECV_SIZE, "netlink", NULL);
	if (r < 0)
		return r == -ENOMEM ? ctr_err(r, "out of memory")
				    : ctr_err_sys(r, "cannot open a sock_diag netlink socket");
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(q); i++) {
		size_t start = hs->n;
		r = -EINTR;
		for (int tries = 0; r == -EINTR && tries < NL_DUMP_TRIES; tries++) {
			union nl_req req;
			struct nlmsghdr *nlh = nl_msg(&req, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP);
			struct inet_diag_req_v2 *dr = mnl_nlmsg_put_extra_header(nlh, sizeof *dr);
			dr->sdiag_family = q[i].family;
			dr->sdiag_protocol = q[i].ipproto;
			dr->idiag_states = q[i].states;
			struct sd_dump d = { hs, q[i].proto, 0 };
			hs->n = start; /* a retried dump starts again */
			r = nl_talk(&s, nlh, sd_cb, &d);
		}
		/* IPv6 may be off in this kernel: then there are no IPv6 sockets */
		if (r < 0 && q[i].family == AF_INET6 && (r == -EAFNOSUPPORT || r == -ENOENT)) {
			ctr_err_clear();
			r = 0;
		}
	}
	nl_close(&s);
	if (r < 0 && r != -ENOMEM)
		ctr_err_prefix(r, "cannot list the host's sockets");
	return r;
}
