/* rtnetlink through libmnl: links, addresses, routes, neighbours (see rtnl.h); the requests
 * go through the one netlink transport (netlink.c), which adds the kernel's extended ACK
 * message, when it gives one, to the error message.
 *
 * A struct rtnl is not locked: it may be used by one thread at a time (a thread may hand it
 * over to another).  There is no global state. */
#include "sys/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/model.h"
#include "core/names.h"
#include "core/util.h"
#include "sys/netlink.h"

/* The kernel's bridge port numbers are 10 bits wide (BR_MAX_PORTS = 1024) and 0 is reserved. */
#define BRIDGE_MAX_PORTS 1023

struct rtnl {
	struct nlsock s; /* first: a struct rtnl is allocated as its nlsock (nl_new) */
};

/* Start the payload of a nested attribute that begins with a struct ifinfomsg
 * (VETH_INFO_PEER); returns the zeroed struct. */
static struct ifinfomsg *put_ifinfomsg(struct nlmsghdr *nlh)
{
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload_tail(nlh);
	memset(ifi, 0, MNL_ALIGN(sizeof *ifi));
	nlh->nlmsg_len += MNL_ALIGN(sizeof *ifi);
	return ifi;
}

/* An RTM_*LINK request for interface `ifindex` (0: the one named `name`, or none); returns its
 * header, the struct ifinfomsg in *ifi. */
static struct nlmsghdr *link_msg(union nl_req *req, uint16_t type, uint16_t flags, int ifindex,
				 const char *name, struct ifinfomsg **ifi)
{
	struct nlmsghdr *nlh = nl_msg(req, type, flags);
	*ifi = mnl_nlmsg_put_extra_header(nlh, sizeof **ifi);
	(*ifi)->ifi_family = AF_UNSPEC;
	(*ifi)->ifi_index = ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* The bridge's kind and its nf_call_iptables and nf_call_ip6tables (IFLA_LINKINFO). */
static void put_bridge_info(struct nlmsghdr *nlh, bool nf_call_iptables)
{
	struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_BR_NF_CALL_IPTABLES, nf_call_iptables ? 1 : 0);
	mnl_attr_put_u8(nlh, IFLA_BR_NF_CALL_IP6TABLES, nf_call_iptables ? 1 : 0);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, linkinfo);
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
	nl_attrs_parse(nlh, sizeof *ifi, tb, IFLA_MAX);
	li->found = true;
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;
	nl_attr_str(tb[IFLA_IFNAME], li->name, sizeof li->name);
	nl_attr_str(tb[IFLA_IFALIAS], li->alias, sizeof li->alias);
	if (!nl_attr_u32(tb[IFLA_MASTER], &li->master))
		li->master = 0;
	li->has_mac = tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6;
	if (li->has_mac)
		memcpy(li->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
	li->operstate = -1;
	if (tb[IFLA_OPERSTATE] && mnl_attr_get_payload_len(tb[IFLA_OPERSTATE]) >= 1)
		li->operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	nl_attrs_parse_nested(tb[IFLA_LINKINFO], ltb, IFLA_INFO_MAX);
	nl_attr_str(ltb[IFLA_INFO_KIND], li->kind, sizeof li->kind);
	li->port_state = -1;
	char skind[16];
	nl_attr_str(ltb[IFLA_INFO_SLAVE_KIND], skind, sizeof skind);
	if (strcmp(skind, "bridge") == 0) {
		const struct nlattr *ptb[IFLA_BRPORT_MAX + 1];
		nl_attrs_parse_nested(ltb[IFLA_INFO_SLAVE_DATA], ptb, IFLA_BRPORT_MAX);
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
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_GETLINK, 0, name ? 0 : ifindex, name, &ifi);

	memset(li, 0, sizeof *li);
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
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_NEWLINK, 0, ifindex, NULL, &ifi);
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
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_NEWLINK, 0, ifindex, NULL, &ifi);
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
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_NEWLINK, 0, 0, name, &ifi);
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
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_DELLINK, 0, 0, name, &ifi);
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
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, name, &ifi);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	put_bridge_info(nlh, nf_call_iptables);
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
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_NEWLINK, 0, ifindex, NULL, &ifi);
	/* With the kind given, the kernel refuses (EOPNOTSUPP) an interface of another kind. */
	put_bridge_info(nlh, nf_call_iptables);
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

	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, host_name,
					&ifi);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
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
	nl_attrs_parse(nlh, sizeof *rtm, tb, RTA_MAX);
	if (!nl_attr_u32(tb[RTA_TABLE], &table))
		table = rtm->rtm_table;
	if (table != RT_TABLE_MAIN || !nl_attr_u32(tb[RTA_DST], &dst))
		return 0;

	/* The output interface: RTA_OIF, or the hops of a multipath route (ignored only when
	 * every hop goes out of the ignored interface). */
	bool ignored = false, multipath = false;
	if (nl_attr_u32(tb[RTA_OIF], &oif)) {
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

