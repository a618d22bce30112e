/* rtnetlink and conntrack netlink through libmnl (see rtnl.h).
 *
 * One request at a time: every request is sent with its own sequence number and its answer is
 * read to its end (the ACK of a request, the NLMSG_DONE of a dump) before the function returns,
 * so that the socket never holds a stale answer; answers to an older sequence number (left by
 * a receive that failed half-way) are skipped.  The kernel's extended ACK message, when it
 * gives one, is added to the error message.
 *
 * A struct rtnl is not locked: it may be used by one thread at a time (a thread may hand it
 * over to another).  There is no global state; conntrack_flush() without a struct conntrack
 * uses a socket of its own and may be called from any thread. */
#include "sys/rtnl.h"
#include "sys/nlack.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/hostsocks.h"
#include "core/model.h"
#include "core/names.h"
#include "core/util.h"

/* The kernel never puts more than 32 KiB in one dump message batch (and a smaller receive
 * buffer can make it truncate one); libmnl 1.0.4 has no MNL_SOCKET_DUMP_SIZE for it. */
#define NL_RECV_SIZE 32768
/* Our requests are small and bounded: interface names are checked against IFNAMSIZ. */
#define NL_REQ_SIZE 1024
/* How often a dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried. */
#define NL_DUMP_TRIES 5
/* The kernel's bridge port numbers are 10 bits wide (BR_MAX_PORTS = 1024) and 0 is reserved. */
#define BRIDGE_MAX_PORTS 1023

struct nlsock {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	struct nl_extack ack; /* the kernel's extended ACK for the last request */
	char *rbuf;    /* NL_RECV_SIZE bytes */
};

struct rtnl {
	struct nlsock s; /* first: a struct rtnl is allocated as its nlsock (nl_new) */
};

/* A request buffer, aligned for struct nlmsghdr. */
union nl_req {
	struct nlmsghdr h;
	char buf[NL_REQ_SIZE];
};

/* A callback for each data message of an answer: 0, or a negative errno with the message set
 * (the rest of the answer is then read and dropped). */
typedef int (*nl_data_cb)(const struct nlmsghdr *nlh, void *data);

/* ---- sockets and requests ---------------------------------------------------------------- */

static void nl_close(struct nlsock *s)
{
	if (s->sock)
		mnl_socket_close(s->sock);
	free(s->rbuf);
	s->sock = NULL;
	s->rbuf = NULL;
}

/* Open and bind a netlink socket of `bus`.  Returns 0 or a negative errno with no message. */
static int nl_open(struct nlsock *s, int bus)
{
	int one = 1;

	memset(s, 0, sizeof *s);
	s->rbuf = malloc(NL_RECV_SIZE);
	if (!s->rbuf)
		return -ENOMEM;
	s->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!s->sock) {
		int e = -errno;
		nl_close(s);
		return e;
	}
	if (mnl_socket_bind(s->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;
		nl_close(s);
		return e;
	}
	s->portid = mnl_socket_get_portid(s->sock);
	/* Best effort: explanations from the kernel, and ACKs without a copy of the request. */
	(void)mnl_socket_setsockopt(s->sock, NETLINK_EXT_ACK, &one, sizeof one);
	(void)mnl_socket_setsockopt(s->sock, NETLINK_CAP_ACK, &one, sizeof one);
	return 0;
}

static struct nlmsghdr *nl_msg(union nl_req *req, uint16_t type, uint16_t flags)
{
	/* libmnl 1.0.4 does not zero attribute padding: no stack bytes may leak to the kernel */
	memset(req, 0, sizeof *req);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	return nlh;
}

/* Send `nlh` and read its whole answer, passing data messages to `cb` (may be NULL).
 * A request (not a dump) gets NLM_F_ACK.  Returns 0 or a negative errno with the message set:
 * the kernel's error as "<strerror> (<kernel's explanation>)", -EINTR for a dump interrupted
 * by a concurrent change (worth a retry), the callback's error, or a socket failure. */
static int nl_talk(struct nlsock *s, struct nlmsghdr *nlh, nl_data_cb cb, void *data)
{
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	bool intr = false;
	int cb_err = 0, kerr;

	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (++s->seq == 0)
		s->seq = 1;
	nlh->nlmsg_seq = s->seq;
	s->ack.msg[0] = '\0';

	if (mnl_socket_sendto(s->sock, nlh, nlh->nlmsg_len) < 0)
		return ctr_err_sys(-errno, "netlink: cannot send a request");

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->sock, s->rbuf, NL_RECV_SIZE);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSPC)
				return ctr_err(-EMSGSIZE,
					       "netlink: an answer did not fit in %d bytes",
					       NL_RECV_SIZE);
			return ctr_err_sys(-errno, "netlink: cannot receive an answer");
		}
		const struct nlmsghdr *m = (const struct nlmsghdr *)s->rbuf;
		int len = (int)n;
		for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != s->seq || m->nlmsg_pid != s->portid)
				continue; /* left over from an earlier request */
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			switch (m->nlmsg_type) {
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				continue;
			case NLMSG_ERROR:
				kerr = nl_ack_parse(m, &s->ack);
				goto out;
			case NLMSG_DONE:
				kerr = nl_done_parse(m, &s->ack);
				goto out;
			default:
				if (cb && cb_err == 0)
					cb_err = cb(m, data);
				/* A non-dump request's answer (RTM_GETLINK) ends with the ACK. */
				continue;
			}
		}
	}
out:
	if (kerr < 0) {
		if (s->ack.msg[0])
			return ctr_err(kerr, "%s (%s)", strerror(-kerr), s->ack.msg);
		return ctr_err(kerr, "%s", strerror(-kerr));
	}
	if (cb_err < 0)
		return cb_err;
	if (intr)
		return ctr_err(-EINTR, "the kernel's list changed while it was being read");
	return 0;
}

/* ---- attributes -------------------------------------------------------------------------- */

struct attr_tab {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_tab_cb(const struct nlattr *a, void *data)
{
	struct attr_tab *t = data;
	unsigned type = mnl_attr_get_type(a);
	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

/* Index the attributes of `nlh` after `off` bytes of payload (tb has max + 1 entries). */
static void attrs_parse(const struct nlmsghdr *nlh, size_t off, const struct nlattr **tb,
			unsigned max)
{
	struct attr_tab t = { tb, max };
	memset(tb, 0, (max + 1) * sizeof *tb);
	mnl_attr_parse(nlh, (unsigned)off, attr_tab_cb, &t);
}

static void attrs_parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	struct attr_tab t = { tb, max };
	memset(tb, 0, (max + 1) * sizeof *tb);
	if (nest)
		mnl_attr_parse_nested(nest, attr_tab_cb, &t);
}

static bool attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(a);
	return true;
}

static bool attr_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return false;
	*v = mnl_attr_get_u16(a);
	return true;
}

static bool attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return false;
	*v = mnl_attr_get_u8(a);
	return true;
}

/* Copy a string attribute into buf (truncated to fit; "" when absent). */
static void attr_str(const struct nlattr *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!a || len == 0)
		return;
	const char *s = mnl_attr_get_payload(a);
	size_t n = strnlen(s, mnl_attr_get_payload_len(a));
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

/* Start the payload of a nested attribute that begins with a struct ifinfomsg
 * (VETH_INFO_PEER); returns the zeroed struct. */
static struct ifinfomsg *put_ifinfomsg(struct nlmsghdr *nlh)
{
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload_tail(nlh);
	memset(ifi, 0, MNL_ALIGN(sizeof *ifi));
	nlh->nlmsg_len += MNL_ALIGN(sizeof *ifi);
	return ifi;
}

/* ---- names ------------------------------------------------------------------------------- */

/* The kernel's dev_valid_name() rules, and no '%' (names.h, NAME_IFNAME). */
static int check_ifname(const char *name)
{
	return name_check(NAME_IFNAME, name);
}

/* ---- links ------------------------------------------------------------------------------- */

/* IF_OPER_UP of <linux/if.h>, which cannot be included with <net/if.h> */
#define OPER_UP 6

struct link_info {
	int ifindex;
	unsigned flags;
	uint32_t master;
	char name[IFNAMSIZ];
	char kind[32];
	int operstate;	/* IF_OPER_*, -1 if not said */
	int port_state; /* IFLA_BRPORT_STATE of a bridge port, -1 for other interfaces */
	uint8_t mac[6];
	bool has_mac;
	bool found;
	char alias[256];
};

static int link_info_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info *li = data;
	const struct nlattr *tb[IFLA_MAX + 1], *ltb[IFLA_INFO_MAX + 1];
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof *ifi)
		return 0;
	attrs_parse(nlh, sizeof *ifi, tb, IFLA_MAX);
	li->found = true;
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	attr_str(tb[IFLA_IFNAME], li->name, sizeof li->name);
	attr_str(tb[IFLA_IFALIAS], li->alias, sizeof li->alias);
	if (!attr_u32(tb[IFLA_MASTER], &li->master))
		li->master = 0;
	li->has_mac = tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6;
	if (li->has_mac)
		memcpy(li->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	li->operstate = -1;
	if (tb[IFLA_OPERSTATE] && mnl_attr_get_payload_len(tb[IFLA_OPERSTATE]) >= 1)
		li->operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	attrs_parse_nested(tb[IFLA_LINKINFO], ltb, IFLA_INFO_MAX);
	attr_str(ltb[IFLA_INFO_KIND], li->kind, sizeof li->kind);
	li->port_state = -1;
	char skind[16];
	attr_str(ltb[IFLA_INFO_SLAVE_KIND], skind, sizeof skind);
	if (strcmp(skind, "bridge") == 0) {
		const struct nlattr *ptb[IFLA_BRPORT_MAX + 1];
		attrs_parse_nested(ltb[IFLA_INFO_SLAVE_DATA], ptb, IFLA_BRPORT_MAX);
		if (ptb[IFLA_BRPORT_STATE] && mnl_attr_get_payload_len(ptb[IFLA_BRPORT_STATE]) >= 1)
			li->port_state = mnl_attr_get_u8(ptb[IFLA_BRPORT_STATE]);
	}
	return 0;
}

/* RTM_GETLINK by index (name NULL) or by name.  Returns 0 or the kernel's error (-ENODEV) with
 * a generic message; callers word the ones they expect. */
static int link_get(struct rtnl *nl, int ifindex, const char *name, struct link_info *li)
{
	union nl_req req;
	struct nlmsghdr *nlh = nl_msg(&req, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);

	memset(li, 0, sizeof *li);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = name ? 0 : ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	int r = nl_talk(&nl->s, nlh, link_info_cb, li);
	if (r == 0 && !li->found)
		r = ctr_err(-ENODEV, "the kernel did not describe the interface");
	return r;
}

/* "eth0", or "ifindex 7" when the interface cannot be named.  Overwrites the error message. */
static void link_name(struct rtnl *nl, int ifindex, char *buf, size_t len)
{
	struct link_info li;
	if (link_get(nl, ifindex, NULL, &li) == 0 && li.name[0])
		snprintf(buf, len, "%s", li.name);
	else
		snprintf(buf, len, "ifindex %d", ifindex);
}

/* A socket of `bus` in a struct of its own (struct rtnl, struct conntrack: one nlsock each);
 * `what` names it in the message. */
static int nl_new(struct nlsock **out, int bus, const char *what)
{
	*out = NULL;
	struct nlsock *s = calloc(1, sizeof *s);
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	int r = nl_open(s, bus);
	if (r < 0) {
		free(s);
		if (r == -ENOMEM)
			return ctr_err(r, "out of memory");
		return ctr_err_sys(r, "cannot open a %s socket", what);
	}
	*out = s;
	return 0;
}

static void nl_free(struct nlsock *s)
{
	if (!s)
		return;
	nl_close(s);
	free(s);
}

int rtnl_open(struct rtnl **out)
{
	return nl_new((struct nlsock **)out, NETLINK_ROUTE, "rtnetlink");
}

void rtnl_close(struct rtnl *nl)
{
	nl_free((struct nlsock *)nl);
}

int rtnl_link_index(struct rtnl *nl, const char *name, int *ifindex)
{
	struct link_info li;
	int r = check_ifname(name);
	if (r < 0)
		return r;
	r = link_get(nl, 0, name, &li);
	if (r == -ENODEV)
		return ctr_err(r, "no interface named %s", name);
	if (r < 0)
		return ctr_err_prefix(r, "cannot look up interface %s", name);
	*ifindex = li.ifindex;
	return 0;
}

static int check_ifindex(int ifindex)
{
	if (ifindex <= 0)
		return ctr_err(-EINVAL, "invalid interface index %d", ifindex);
	return 0;
}

int rtnl_link_mac(struct rtnl *nl, const char *name, uint8_t mac[6])
{
	struct link_info li;
	int r = check_ifname(name);
	if (r < 0)
		return r;
	if ((r = link_get(nl, 0, name, &li)) < 0)
		return ctr_err(r, "cannot read interface %s: %s", name,
			       r == -ENODEV ? "no such interface" : strerror(-r));
	if (!li.has_mac)
		return ctr_err(-ENOENT, "interface %s has no Ethernet address", name);
	memcpy(mac, li.mac, 6);
	return 0;
}

int rtnl_link_set_up(struct rtnl *nl, int ifindex, bool up)
{
	union nl_req req;
	int r = check_ifindex(ifindex);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = up ? IFF_UP : 0;
	ifi->ifi_change = IFF_UP;
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == -ENODEV)
		return ctr_err(r, "no interface with index %d", ifindex);
	if (r < 0) {
		char name[32], why[512];
		snprintf(why, sizeof why, "%s", ctr_err_msg());
		link_name(nl, ifindex, name, sizeof name);
		return ctr_err(r, "cannot bring %s %s: %s", name, up ? "up" : "down", why);
	}
	return 0;
}

#ifndef IFALIASZ
#define IFALIASZ 256 /* linux/if.h, which clashes with net/if.h */
#endif

int rtnl_link_bridge_alias(struct rtnl *nl, int ifindex, bool *is_bridge, char *buf,
			   size_t len)
{
	struct link_info li;
	int r = check_ifindex(ifindex);
	if (r < 0)
		return r;
	if ((r = link_get(nl, ifindex, NULL, &li)) < 0)
		return ctr_err_prefix(r, "cannot look up interface index %d", ifindex);
	*is_bridge = strcmp(li.kind, "bridge") == 0;
	snprintf(buf, len, "%s", li.alias);
	return 0;
}

int rtnl_link_set_alias(struct rtnl *nl, int ifindex, const char *alias)
{
	union nl_req req;
	int r = check_ifindex(ifindex);
	if (r < 0)
		return r;
	if (strlen(alias) >= IFALIASZ)
		return ctr_err(-EINVAL, "interface alias too long (%zu bytes, at most %d)",
			       strlen(alias), IFALIASZ - 1);
	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r < 0) {
		char name[IFNAMSIZ + 16], why[256];
		snprintf(why, sizeof why, "%s", ctr_err_msg());
		link_name(nl, ifindex, name, sizeof name);
		return ctr_err(r, "cannot set the alias of %s: %s", name, why);
	}
	return 0;
}

int rtnl_bridge_port_hairpin(struct rtnl *nl, const char *name, bool on)
{
	union nl_req req;
	int r = check_ifname(name);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	struct nlattr *li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	struct nlattr *sd = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, on ? 1 : 0);
	mnl_attr_nest_end(nlh, sd);
	mnl_attr_nest_end(nlh, li);
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r < 0)
		return ctr_err_prefix(r, "cannot set hairpin mode on bridge port %s", name);
	return 0;
}

int rtnl_link_wait_ready(struct rtnl *nl, const char *name, int timeout_ms)
{
	int r = check_ifname(name);
	if (r < 0)
		return r;
	struct timespec t0, now, pause = { 0, 250 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct link_info li;
		if ((r = link_get(nl, 0, name, &li)) < 0)
			return ctr_err(r, "cannot read the state of interface %s: %s", name,
				       strerror(-r));
		/* the kernel sets the operational state, then a bridge port's state, from its
		 * link watch, after it has made the device able to send */
		if ((li.operstate == OPER_UP || li.operstate == -1) &&
		    li.port_state != BR_STATE_DISABLED)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= timeout_ms)
			return 0;
		nanosleep(&pause, NULL);
	}
}

int rtnl_link_del(struct rtnl *nl, const char *name)
{
	union nl_req req;
	int r = check_ifname(name);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh = nl_msg(&req, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == -ENODEV)
		return ctr_err(r, "no interface named %s", name);
	if (r < 0)
		return ctr_err_prefix(r, "cannot delete interface %s", name);
	return 0;
}

int rtnl_bridge_create(struct rtnl *nl, const char *name, const uint8_t mac[6],
		       bool nf_call_iptables)
{
	union nl_req req;
	int r = check_ifname(name);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_BR_NF_CALL_IPTABLES, nf_call_iptables ? 1 : 0);
	mnl_attr_put_u8(nlh, IFLA_BR_NF_CALL_IP6TABLES, nf_call_iptables ? 1 : 0);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, linkinfo);
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == -EEXIST)
		return ctr_err(r, "cannot create bridge %s: interface %s already exists", name,
			       name);
	if (r < 0)
		return ctr_err_prefix(r, "cannot create bridge %s", name);
	return 0;
}

int rtnl_bridge_set_nf_call(struct rtnl *nl, int ifindex, bool nf_call_iptables)
{
	union nl_req req;
	int r = check_ifindex(ifindex);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	/* With the kind given, the kernel refuses (EOPNOTSUPP) an interface of another kind. */
	struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_BR_NF_CALL_IPTABLES, nf_call_iptables ? 1 : 0);
	mnl_attr_put_u8(nlh, IFLA_BR_NF_CALL_IP6TABLES, nf_call_iptables ? 1 : 0);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, linkinfo);
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == -ENODEV)
		return ctr_err(r, "no interface with index %d", ifindex);
	if (r < 0) {
		char name[32], why[512];
		bool br = false;
		snprintf(why, sizeof why, "%s", ctr_err_msg());
		int e = rtnl_link_is_bridge(nl, ifindex, &br);
		link_name(nl, ifindex, name, sizeof name);
		if (e == 0 && !br)
			return ctr_err(-EINVAL, "cannot set nf_call_iptables on %s: not a bridge",
				       name);
		return ctr_err(r, "cannot set nf_call_iptables on bridge %s: %s", name, why);
	}
	return 0;
}

int rtnl_link_is_bridge(struct rtnl *nl, int ifindex, bool *is_bridge)
{
	struct link_info li;
	int r = check_ifindex(ifindex);
	if (r < 0)
		return r;
	r = link_get(nl, ifindex, NULL, &li);
	if (r == -ENODEV)
		return ctr_err(r, "no interface with index %d", ifindex);
	if (r < 0)
		return ctr_err_prefix(r, "cannot look up interface index %d", ifindex);
	*is_bridge = strcmp(li.kind, "bridge") == 0;
	return 0;
}

int rtnl_veth_create(struct rtnl *nl, const char *host_name, int master_ifindex,
		     const char *peer_name, const uint8_t peer_mac[6], pid_t peer_netns_pid)
{
	union nl_req req;
	char master[32];
	int r;

	if ((r = check_ifname(host_name)) < 0 || (r = check_ifname(peer_name)) < 0 ||
	    (r = check_ifindex(master_ifindex)) < 0)
		return r;
	if (peer_netns_pid <= 0)
		return ctr_err(-EINVAL, "invalid process id %d for the peer's network namespace",
			       (int)peer_netns_pid);
	if (!peer_mac)
		return ctr_err(-EINVAL, "no MAC address for %s", peer_name);

	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master_ifindex);
	struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	struct ifinfomsg *pifi = put_ifinfomsg(nlh);
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, peer_mac);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)peer_netns_pid);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, linkinfo);

	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == 0)
		return 0;

	/* Word the failure; the lookups below overwrite the message, so they come first. */
	char why[512];
	struct link_info mli;
	snprintf(why, sizeof why, "%s", ctr_err_msg());
	int e = link_get(nl, master_ifindex, NULL, &mli);
	if (e == -ENODEV && (r == -EINVAL || r == -ENODEV)) /* the kernel says EINVAL */
		return ctr_err(-ENODEV, "cannot create veth %s: no interface with index %d to be "
			       "its master", host_name, master_ifindex);
	if (e == 0 && r == -EOPNOTSUPP && strcmp(mli.kind, "bridge") != 0)
		return ctr_err(r, "cannot create veth %s: its master %s is not a bridge", host_name,
			       mli.name);
	snprintf(master, sizeof master, "%s", e == 0 && mli.name[0] ? mli.name : "");
	if (!master[0])
		snprintf(master, sizeof master, "ifindex %d", master_ifindex);
	if (r == -EXFULL)
		return ctr_err(r, "cannot create veth %s: bridge %s has reached the kernel's limit "
			       "of %d ports", host_name, master, BRIDGE_MAX_PORTS);
	if (r == -EEXIST) {
		struct link_info li;
		if (link_get(nl, 0, host_name, &li) == 0)
			return ctr_err(r, "cannot create veth %s: interface %s already exists",
				       host_name, host_name);
		return ctr_err(r, "cannot create veth %s: interface %s already exists in the "
			       "network namespace of process %d", host_name, peer_name,
			       (int)peer_netns_pid);
	}
	if (r == -ESRCH)
		return ctr_err(r, "cannot create veth %s: no process %d (whose network namespace "
			       "should receive %s)", host_name, (int)peer_netns_pid, peer_name);
	return ctr_err(r, "cannot create veth %s (peer %s in the network namespace of process %d) "
		       "on %s: %s", host_name, peer_name, (int)peer_netns_pid, master, why);
}

/* ---- addresses and routes ---------------------------------------------------------------- */

static int addr_len(int family, int *max_prefix)
{
	if (family == AF_INET) {
		*max_prefix = 32;
		return 4;
	}
	if (family == AF_INET6) {
		*max_prefix = 128;
		return 16;
	}
	return ctr_err(-EAFNOSUPPORT, "unsupported address family %d", family);
}

/* The checks every address request starts with: the family (returns the address length),
 * the interface index, an address given (`what` names it in the error); `text` receives the
 * address as text for messages. */
static int addr_args(int family, int ifindex, const void *addr, const char *what,
		     char text[INET6_ADDRSTRLEN], int *max_prefix)
{
	int r, alen = addr_len(family, max_prefix);
	if (alen < 0)
		return alen;
	if ((r = check_ifindex(ifindex)) < 0)
		return r;
	if (!addr)
		return ctr_err(-EINVAL, "no %s", what);
	if (!inet_ntop(family, addr, text, INET6_ADDRSTRLEN))
		snprintf(text, INET6_ADDRSTRLEN, "?");
	return alen;
}

int rtnl_addr_add(struct rtnl *nl, int ifindex, int family, const void *addr, int prefixlen)
{
	union nl_req req;
	char text[INET6_ADDRSTRLEN], name[32];
	int max_prefix = 0, r;
	int alen = addr_args(family, ifindex, addr, "address to add", text, &max_prefix);

	if (alen < 0)
		return alen;
	if (prefixlen < 0 || prefixlen > max_prefix)
		return ctr_err(-EINVAL, "invalid prefix length %d for %s", prefixlen, text);

	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, (size_t)alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, (size_t)alen, addr);
	if (family == AF_INET && prefixlen < 31) {
		/* The broadcast address, as `ip addr add ... brd +` and Docker set it. */
		uint32_t a;
		memcpy(&a, addr, 4);
		uint32_t host = prefixlen == 0 ? 0xffffffffu : (0xffffffffu >> prefixlen);
		mnl_attr_put_u32(nlh, IFA_BROADCAST, a | htonl(host));
	}
	if (family == AF_INET6) {
		/* our addresses are unique by construction: no duplicate address detection, which
		 * would keep the address unusable ("tentative") for about a second */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == -EEXIST || r == 0)
		return 0;
	if (r == -ENODEV)
		return ctr_err(r, "cannot add address %s/%d: no interface with index %d", text,
			       prefixlen, ifindex);
	char why[512];
	snprintf(why, sizeof why, "%s", ctr_err_msg());
	link_name(nl, ifindex, name, sizeof name);
	return ctr_err(r, "cannot add address %s/%d to %s: %s", text, prefixlen, name, why);
}

int rtnl_route_add_default(struct rtnl *nl, int family, const void *gw, int ifindex)
{
	union nl_req req;
	char text[INET6_ADDRSTRLEN], name[32];
	int max_prefix = 0, r;
	int alen = addr_args(family, ifindex, gw, "gateway for the default route", text,
			     &max_prefix);

	if (alen < 0)
		return alen;

	struct nlmsghdr *nlh = nl_msg(&req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, (size_t)alen, gw);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == 0)
		return 0;
	char why[512];
	snprintf(why, sizeof why, "%s", ctr_err_msg());
	link_name(nl, ifindex, name, sizeof name);
	if (r == -EEXIST)
		return ctr_err(r, "cannot add the default route via %s dev %s: there is already "
			       "a default route", text, name);
	return ctr_err(r, "cannot add the default route via %s dev %s: %s", text, name, why);
}

int rtnl_neigh_set(struct rtnl *nl, int ifindex, int family, const void *addr,
		   const uint8_t mac[6], bool add)
{
	union nl_req req;
	char text[INET6_ADDRSTRLEN], name[32];
	int max_prefix = 0, r;
	int alen = addr_args(family, ifindex, addr, "address for a neighbour entry", text,
			     &max_prefix);

	if (alen < 0)
		return alen;
	if (add && !mac)
		return ctr_err(-EINVAL, "no MAC address for the neighbour entry of %s", text);

	struct nlmsghdr *nlh = nl_msg(&req, add ? RTM_NEWNEIGH : RTM_DELNEIGH,
				      add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof *nd);
	nd->ndm_family = (uint8_t)family;
	nd->ndm_ifindex = ifindex;
	nd->ndm_state = NUD_PERMANENT;
	nd->ndm_type = RTN_UNICAST;
	mnl_attr_put(nlh, NDA_DST, (size_t)alen, addr);
	if (add)
		mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	r = nl_talk(&nl->s, nlh, NULL, NULL);
	if (r == 0 || (!add && r == -ENOENT))
		return 0;
	char why[512];
	snprintf(why, sizeof why, "%s", ctr_err_msg());
	link_name(nl, ifindex, name, sizeof name);
	return ctr_err(r, "cannot %s the neighbour entry of %s on %s: %s", add ? "add" : "delete",
		       text, name, why);
}

/* The first route found that overlaps the subnet. */
struct overlap {
	uint32_t net, mask; /* the subnet; host order */
	int prefixlen;
	int ignore;
	bool found;
	uint32_t dst;       /* network order */
	int dst_len;
	int oif;            /* 0: none (blackhole...) or not known */
	uint8_t type;
	bool multipath;
};

static uint32_t prefix_mask(int len)
{
	return len <= 0 ? 0 : len >= 32 ? 0xffffffffu : ~(0xffffffffu >> len);
}

static int overlap_cb(const struct nlmsghdr *nlh, void *data)
{
	struct overlap *o = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1];
	uint32_t table, dst = 0, oif = 0;

	if (o->found || nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof *rtm)
		return 0;
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len == 0 || rtm->rtm_dst_len > 32 ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	attrs_parse(nlh, sizeof *rtm, tb, RTA_MAX);
	if (!attr_u32(tb[RTA_TABLE], &table))
		table = rtm->rtm_table;
	if (table != RT_TABLE_MAIN || !attr_u32(tb[RTA_DST], &dst))
		return 0;

	/* The output interface: RTA_OIF, or the hops of a multipath route (ignored only when
	 * every hop goes out of the ignored interface). */
	bool ignored = false, multipath = false;
	if (attr_u32(tb[RTA_OIF], &oif)) {
		ignored = o->ignore > 0 && oif == (uint32_t)o->ignore;
	} else if (tb[RTA_MULTIPATH]) {
		const struct rtnexthop *nh = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
		int left = (int)mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);
		bool all = true, any = false;
		multipath = true;
		while (left >= (int)sizeof *nh && nh->rtnh_len >= sizeof *nh &&
		       nh->rtnh_len <= left) {
			if (!any)
				oif = (uint32_t)nh->rtnh_ifindex;
			any = true;
			if (o->ignore <= 0 || nh->rtnh_ifindex != o->ignore)
				all = false;
			left -= RTNH_ALIGN(nh->rtnh_len);
			nh = RTNH_NEXT(nh);
		}
		ignored = any && all;
	}
	if (ignored)
		return 0;

	int m = rtm->rtm_dst_len < o->prefixlen ? rtm->rtm_dst_len : o->prefixlen;
	if (((ntohl(dst) ^ o->net) & prefix_mask(m)) != 0)
		return 0;
	o->found = true;
	o->dst = dst;
	o->dst_len = rtm->rtm_dst_len;
	o->oif = (int)oif;
	o->type = rtm->rtm_type;
	o->multipath = multipath;
	return 0;
}

static const char *route_type_name(uint8_t type)
{
	switch (type) {
	case RTN_BLACKHOLE:
		return "blackhole ";
	case RTN_UNREACHABLE:
		return "unreachable ";
	case RTN_PROHIBIT:
		return "prohibit ";
	case RTN_THROW:
		return "throw ";
	default:
		return "";
	}
}

int rtnl_route_overlap4(struct rtnl *nl, uint32_t net, int prefixlen, int ignore_ifindex,
			bool *overlaps, char *desc, size_t desc_len)
{
	struct overlap o;
	int r = -EINTR;

	*overlaps = false;
	if (desc && desc_len)
		desc[0] = '\0';
	if (prefixlen < 0 || prefixlen > 32)
		return ctr_err(-EINVAL, "invalid IPv4 prefix length %d", prefixlen);

	for (int tries = 0; r == -EINTR && tries < NL_DUMP_TRIES; tries++) {
		union nl_req req;
		struct nlmsghdr *nlh = nl_msg(&req, RTM_GETROUTE, NLM_F_DUMP);
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
		rtm->rtm_family = AF_INET;
		memset(&o, 0, sizeof o);
		o.net = ntohl(net);
		o.prefixlen = prefixlen;
		o.ignore = ignore_ifindex;
		r = nl_talk(&nl->s, nlh, overlap_cb, &o);
	}
	if (r < 0)
		return ctr_err_prefix(r, "cannot list the IPv4 routes");
	if (!o.found)
		return 0;
	*overlaps = true;
	if (desc && desc_len) {
		char dst[INET_ADDRSTRLEN], dev[48] = "";
		inet_ntop(AF_INET, &o.dst, dst, sizeof dst);
		if (o.oif > 0) {
			char name[32];
			link_name(nl, o.oif, name, sizeof name);
			snprintf(dev, sizeof dev, " dev %s", name);
		}
		snprintf(desc, desc_len, "%s%s/%d%s%s", route_type_name(o.type), dst, o.dst_len,
			 dev, o.multipath ? " (multipath)" : "");
	}
	return 0;
}

/* ---- conntrack --------------------------------------------------------------------------- */

struct ct_entry {
	uint8_t family;
	uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport; /* network order */
	uint8_t proto;
	bool has_zone, has_id;
	uint16_t zone;         /* network order */
	uint32_t id;           /* network order */
};

struct ct_dump {
	uint8_t family;
	const struct ct_match *m; /* sorted by ct_match_cmp */
	size_t nm;
	struct ct_entry *v;
	size_t n, cap;
};

/* Order of the matches: family, protocol, port (what a dumped entry is looked up by). */
static int ct_key_cmp(uint8_t fa, uint8_t pa, uint16_t da, uint8_t fb, uint8_t pb, uint16_t db)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return (da > db) - (da < db);
}

static int ct_match_cmp(const void *pa, const void *pb)
{
	const struct ct_match *a = pa, *b = pb;
	return ct_key_cmp(a->family, a->proto, a->dport, b->family, b->proto, b->dport);
}

/* true if the entry is one of the matches (m sorted). */
static bool ct_wanted(const struct ct_dump *d, const struct ct_entry *e, const uint8_t *rsrc,
		      uint16_t rsport)
{
	size_t alen = e->family == AF_INET6 ? 16 : 4, lo = 0, hi = d->nm;
	uint16_t dport = ntohs(e->dport);
	while (lo < hi) { /* the first match with this key */
		size_t mid = lo + (hi - lo) / 2;
		const struct ct_match *x = &d->m[mid];
		if (ct_key_cmp(x->family, x->proto, x->dport, e->family, e->proto, dport) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < d->nm; i++) {
		const struct ct_match *x = &d->m[i];
		if (ct_key_cmp(x->family, x->proto, x->dport, e->family, e->proto, dport) != 0)
			break;
		if (!x->any_dst && memcmp(x->dst, e->dst, alen) != 0)
			continue;
		if (x->to && (!rsrc || memcmp(x->to_addr, rsrc, alen) != 0 ||
			      ntohs(rsport) != x->to_port))
			continue;
		return true;
	}
	return false;
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_dump *d = data;
	const struct nlattr *tb[CTA_MAX + 1], *tt[CTA_TUPLE_MAX + 1];
	const struct nlattr *ti[CTA_IP_MAX + 1], *tp[CTA_PROTO_MAX + 1];
	const struct nlattr *rt[CTA_TUPLE_MAX + 1], *ri[CTA_IP_MAX + 1], *rp[CTA_PROTO_MAX + 1];
	struct ct_entry e;
	uint16_t rsport = 0;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return 0;
	memset(&e, 0, sizeof e);
	attrs_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_MAX);
	attrs_parse_nested(tb[CTA_TUPLE_ORIG], tt, CTA_TUPLE_MAX);
	attrs_parse_nested(tt[CTA_TUPLE_IP], ti, CTA_IP_MAX);
	attrs_parse_nested(tt[CTA_TUPLE_PROTO], tp, CTA_PROTO_MAX);
	attrs_parse_nested(tb[CTA_TUPLE_REPLY], rt, CTA_TUPLE_MAX);
	attrs_parse_nested(rt[CTA_TUPLE_IP], ri, CTA_IP_MAX);
	attrs_parse_nested(rt[CTA_TUPLE_PROTO], rp, CTA_PROTO_MAX);
	bool v6 = d->family == AF_INET6;
	size_t alen = v6 ? 16 : 4;
	const struct nlattr *sa = ti[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC];
	const struct nlattr *da = ti[v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST];
	const struct nlattr *ra = ri[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC];
	if (!attr_u8(tp[CTA_PROTO_NUM], &e.proto) ||
	    !attr_u16(tp[CTA_PROTO_DST_PORT], &e.dport) ||
	    !attr_u16(tp[CTA_PROTO_SRC_PORT], &e.sport) || !sa || !da ||
	    mnl_attr_get_payload_len(sa) != alen || mnl_attr_get_payload_len(da) != alen)
		return 0;
	if (ra && mnl_attr_get_payload_len(ra) != alen)
		ra = NULL;
	if (!attr_u16(rp[CTA_PROTO_SRC_PORT], &rsport))
		ra = NULL;
	e.family = d->family;
	memcpy(e.src, mnl_attr_get_payload(sa), alen);
	memcpy(e.dst, mnl_attr_get_payload(da), alen);
	if (!ct_wanted(d, &e, ra ? mnl_attr_get_payload(ra) : NULL, rsport))
		return 0;
	e.has_zone = attr_u16(tb[CTA_ZONE], &e.zone);
	e.has_id = attr_u32(tb[CTA_ID], &e.id);

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct ct_entry *v = cap <= SIZE_MAX / sizeof *v ? realloc(d->v, cap * sizeof *v)
								  : NULL;
		if (!v)
			return ctr_err(-ENOMEM, "out of memory");
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = e;
	return 0;
}

static struct nlmsghdr *ct_msg(union nl_req *req, uint8_t type, uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = nl_msg(req, (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type), flags);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof *nfg);
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Delete one entry by its original tuple (and zone and id, so that an entry created since the
 * dump under the same tuple is left alone).  0, -ENOENT (gone already) or another error. */
static int ct_delete(struct nlsock *s, const struct ct_entry *e)
{
	union nl_req req;
	struct nlmsghdr *nlh = ct_msg(&req, IPCTNL_MSG_CT_DELETE, 0, e->family);
	struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (e->family == AF_INET6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, e->src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, e->dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, e->src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, e->dst);
	}
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, e->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, e->dport);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	if (e->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, e->zone);
	if (e->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, e->id);
	return nl_talk(s, nlh, NULL, NULL);
}

static const char *ct_proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_DCCP:
		return "dccp";
	default:
		return "udplite";
	}
}

static bool ct_unavailable(int err)
{
	/* No nfnetlink (socket), no ctnetlink subsystem (nfnetlink says EINVAL to an unknown
	 * subsystem on older kernels; our dump request carries no attribute it could refuse). */
	return err == -EPROTONOSUPPORT || err == -ENOENT || err == -EOPNOTSUPP ||
	       err == -EINVAL || err == -EAFNOSUPPORT;
}

static bool ct_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

/* The kernel's dump filter (CTA_FILTER, Linux 5.8: commit cb8aa9a3affb "netfilter: ctnetlink:
 * add kernel side filtering for dump"): its flags, which the kernel keeps in
 * net/netfilter/nf_conntrack_netlink.c, not in a uapi header. */
#define CT_FILTER_IP_SRC (1u << 0)
#define CT_FILTER_IP_DST (1u << 1)
#define CT_FILTER_PROTO_NUM (1u << 3)
#define CT_FILTER_PROTO_SRC_PORT (1u << 4)
#define CT_FILTER_PROTO_DST_PORT (1u << 5)

static void ct_put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family, uint16_t ip_type,
			 const uint8_t *ip, uint32_t flags, uint8_t proto, uint16_t port_type,
			 uint16_t port)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type);
	if (ip) {
		struct nlattr *n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put(nlh, ip_type, family == AF_INET6 ? 16 : 4, ip);
		mnl_attr_nest_end(nlh, n);
	}
	if (flags & CT_FILTER_PROTO_NUM) {
		struct nlattr *n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
		if (port_type)
			mnl_attr_put_u16(nlh, port_type, htons(port));
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_nest_end(nlh, t);
}

/* Ask the kernel to send only the entries that may be wanted: what all the matches of the
 * dump's family share (the address and port the replies come from, for entries DNAT'd to one
 * container; else the protocol, original destination and port).  Each entry that comes back
 * is still checked by ct_wanted(), so a kernel that ignores the filter costs time only. */
static void ct_put_filter(struct nlmsghdr *nlh, const struct ct_dump *d)
{
	const struct ct_match *f = NULL;
	size_t alen = d->family == AF_INET6 ? 16 : 4;
	bool to = true, to_addr = true, to_port = true, proto = true, dst = true, dport = true;
	for (size_t i = 0; i < d->nm; i++) {
		const struct ct_match *x = &d->m[i];
		if (x->family != d->family)
			continue;
		if (!f)
			f = x;
		to = to && x->to;
		to_addr = to_addr && memcmp(x->to_addr, f->to_addr, alen) == 0;
		to_port = to_port && x->to_port == f->to_port;
		proto = proto && x->proto == f->proto;
		dst = dst && !x->any_dst && memcmp(x->dst, f->dst, alen) == 0;
		dport = dport && x->dport == f->dport;
	}
	if (!f)
		return;
	uint32_t oflags = 0, rflags = 0;
	bool v6 = d->family == AF_INET6;
	if (to && to_addr) { /* replies from the container's address */
		rflags = CT_FILTER_IP_SRC | (proto ? CT_FILTER_PROTO_NUM : 0) |
			 (proto && to_port ? CT_FILTER_PROTO_SRC_PORT : 0);
		ct_put_tuple(nlh, CTA_TUPLE_REPLY, d->family, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC,
			     f->to_addr, rflags, f->proto,
			     rflags & CT_FILTER_PROTO_SRC_PORT ? CTA_PROTO_SRC_PORT : 0, f->to_port);
	} else if (proto || dst) {
		oflags = (dst ? CT_FILTER_IP_DST : 0) | (proto ? CT_FILTER_PROTO_NUM : 0) |
			 (proto && dport ? CT_FILTER_PROTO_DST_PORT : 0);
		ct_put_tuple(nlh, CTA_TUPLE_ORIG, d->family, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST,
			     dst ? f->dst : NULL, oflags, f->proto,
			     oflags & CT_FILTER_PROTO_DST_PORT ? CTA_PROTO_DST_PORT : 0, f->dport);
	} else {
		return;
	}
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, oflags);
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, rflags);
	mnl_attr_nest_end(nlh, n);
}

/* Dump one family's entries and delete those wanted; adds to *count.  The dump is filtered
 * in the kernel; a kernel that refuses the filter gets the whole family's dump. */
static int ct_flush_family(struct nlsock *s, struct ct_dump *d, uint8_t family, unsigned *count)
{
	int r = -EINTR;
	bool filter = true;
	for (int tries = 0; r == -EINTR && tries < NL_DUMP_TRIES; tries++) {
		union nl_req req;
		struct nlmsghdr *nlh = ct_msg(&req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
		d->family = family;
		d->n = 0;
		if (filter)
			ct_put_filter(nlh, d);
		r = nl_talk(s, nlh, ct_dump_cb, d);
		if (r < 0 && r != -EINTR && r != -ENOMEM && filter) {
			filter = false; /* once more, unfiltered */
			r = -EINTR;
			ctr_err_clear();
		}
	}
	if (r < 0)
		return ct_unavailable(r) ? 0 : ctr_err_prefix(r, "cannot list the conntrack entries");
	for (size_t i = 0; i < d->n; i++) {
		const struct ct_entry *e = &d->v[i];
		r = ct_delete(s, e);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			char a[INET6_ADDRSTRLEN];
			inet_ntop(family, e->dst, a, sizeof a);
			return ctr_err_prefix(r, family == AF_INET6
						 ? "cannot delete the conntrack entries to [%s]:%u/%s"
						 : "cannot delete the conntrack entries to %s:%u/%s",
					      a, (unsigned)ntohs(e->dport), ct_proto_name(e->proto));
		}
		(*count)++;
	}
	return 0;
}

static int ct_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_STATS_GLOBAL_MAX + 1];
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return 0;
	attrs_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_STATS_GLOBAL_MAX);
	uint32_t v;
	if (attr_u32(tb[CTA_STATS_GLOBAL_ENTRIES], &v))
		*(int64_t *)data = ntohl(v);
	return 0;
}

/* The number of conntrack entries of this network namespace (IPCTNL_MSG_CT_GET_STATS, Linux
 * 3.8), or -1 when the kernel does not say: a dump walks the hash table that all namespaces
 * share (~5 ms for 262144 buckets), so an empty namespace is better asked first. */
static int64_t ct_entries(struct nlsock *s)
{
	union nl_req req;
	int64_t n = -1;
	struct nlmsghdr *nlh = ct_msg(&req, IPCTNL_MSG_CT_GET_STATS, 0, AF_UNSPEC);
	if (nl_talk(s, nlh, ct_stats_cb, &n) < 0) {
		ctr_err_clear();
		return -1;
	}
	return n;
}

struct conntrack {
	struct nlsock s; /* first, as in struct rtnl */
};
_Static_assert(sizeof(struct conntrack) == sizeof(struct nlsock) &&
		       sizeof(struct rtnl) == sizeof(struct nlsock),
	       "struct rtnl and struct conntrack are their nlsock");

int conntrack_open(struct conntrack **out)
{
	return nl_new((struct nlsock **)out, NETLINK_NETFILTER, "netfilter netlink");
}

void conntrack_close(struct conntrack *ct)
{
	nl_free((struct nlsock *)ct);
}

int conntrack_flush(struct conntrack *ct, const struct ct_match *m, size_t n, unsigned *deleted)
{
	struct conntrack *own = NULL;
	struct ct_dump d;
	unsigned count = 0;
	bool fam4 = false, fam6 = false;
	int r;

	if (deleted)
		*deleted = 0;
	for (size_t i = 0; i < n; i++) {
		if (m[i].family != AF_INET && m[i].family != AF_INET6)
			return ctr_err(-EAFNOSUPPORT, "conntrack: address family %d", m[i].family);
		if (!ct_has_ports(m[i].proto))
			return ctr_err(-EINVAL, "conntrack: protocol %d has no ports", m[i].proto);
		fam4 |= m[i].family == AF_INET;
		fam6 |= m[i].family == AF_INET6;
	}
	if (!n)
		return 0;
	memset(&d, 0, sizeof d);
	struct ct_match *sorted = malloc(n * sizeof *sorted);
	if (!sorted)
		return ctr_err(-ENOMEM, "out of memory");
	memcpy(sorted, m, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, ct_match_cmp);
	d.m = sorted;
	d.nm = n;

	if (!ct && (r = conntrack_open(&own)) < 0) {
		free(sorted);
		if (r == -EPROTONOSUPPORT) {
			ctr_err_clear();
			return 0;
		}
		return r;
	}
	struct nlsock *s = ct ? &ct->s : &own->s;
	r = 0;
	if (ct_entries(s) == 0)
		fam4 = fam6 = false; /* nothing to delete */
	if (fam4)
		r = ct_flush_family(s, &d, AF_INET, &count);
	if (!r && fam6)
		r = ct_flush_family(s, &d, AF_INET6, &count);
	if (deleted)
		*deleted = count;
	free(d.v);
	free(sorted);
	conntrack_close(own);
	return r;
}

/* ---- the host's sockets (sock_diag) ------------------------------------------------------- */

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
	attrs_parse(nlh, sizeof *m, tb, INET_DIAG_MAX);
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
	int r = nl_open(&s, NETLINK_SOCK_DIAG);
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
