/* System test of lib/sys/rtnl.c against the real kernel.  It runs in a network and mount namespace
 * of its own (created at start), so everything it creates disappears with it and the host's
 * interfaces are never touched.  Needs root.  A child process provides a second network
 * namespace, the "container", that the veth peers go into. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private.h"
#include "sys/conntrack.h"
#include "sys/rtnl.h"
#include "tap.h"
#include "core/util.h"

#define BR "ctrbr0"
#define BR_FULL "ctrbr1"
#define HOST_SYS "/tmp/sys-host"
#define CHILD_SYS "/tmp/sys-child"
/* Give up on filling a bridge to its port limit after this long. */
#define EXFULL_BUDGET_S 10.0

static const uint8_t MAC[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
/* higher than (almost) any random MAC the kernel gives a veth: without an address of its own
 * the bridge would take its port's */
static const uint8_t BR_MAC[6] = { 0xfe, 0x42, 0x0a, 0x01, 0x02, 0x01 };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Read a small text file; "" on failure.  Strips the trailing newline. */
static const char *read_text(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return buf;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static unsigned long sys_flags(const char *sys, const char *ifname)
{
	char path[256], buf[64];
	snprintf(path, sizeof path, "%s/class/net/%s/flags", sys, ifname);
	return strtoul(read_text(path, buf, sizeof buf), NULL, 16);
}

static const char *sys_master(const char *sys, const char *ifname, char *buf, size_t len)
{
	char path[256];
	snprintf(path, sizeof path, "%s/class/net/%s/master", sys, ifname);
	ssize_t n = readlink(path, buf, len - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return n < 0 ? buf : basename(buf);
}

static int count_addr4(const char *ifname, const char *addr)
{
	struct ifaddrs *ifa, *p;
	struct in_addr want;
	int n = 0;
	inet_pton(AF_INET, addr, &want);
	if (getifaddrs(&ifa) < 0)
		return -1;
	for (p = ifa; p; p = p->ifa_next)
		if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET &&
		    strcmp(p->ifa_name, ifname) == 0 &&
		    ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr == want.s_addr)
			n++;
	freeifaddrs(ifa);
	return n;
}

/* Is there a default route via `gw` out of `ifname` in /proc/<pid>/net/route? */
static bool has_default_route(pid_t pid, const char *ifname, const char *gw)
{
	char path[64], line[256];
	struct in_addr want;
	bool found = false;
	inet_pton(AF_INET, gw, &want);
	snprintf(path, sizeof path, "/proc/%d/net/route", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof line, f)) {
		char name[IFNAMSIZ];
		unsigned dst, via;
		if (sscanf(line, "%15s %x %x", name, &dst, &via) == 3 && dst == 0 &&
		    via == want.s_addr && strcmp(name, ifname) == 0)
			found = true;
	}
	fclose(f);
	return found;
}

static bool msg_has(const char *s)
{
	return strstr(ctr_err_msg(), s) != NULL;
}

/* ---- the "container": a child process in a network namespace of its own ------------------ */

struct child {
	pid_t pid;
	int go; /* write end: closing it lets the child exit */
};

static int child_start(struct child *c)
{
	int ready[2], go[2];
	char b;
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(go[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	c->go = go[1];
	ssize_t n = read(ready[0], &b, 1);
	close(ready[0]);
	return n == 1 ? 0 : -1;
}

static void child_stop(struct child *c)
{
	close(c->go);
	waitpid(c->pid, NULL, 0);
}

/* Open an rtnl handle in the child's network namespace, and mount a sysfs that shows it. */
static int enter_child(pid_t pid, int self_ns, struct rtnl **cnl)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = setns(fd, CLONE_NEWNET);
	close(fd);
	if (r < 0)
		return -1;
	r = rtnl_open(cnl);
	if (r == 0 && (mkdir(CHILD_SYS, 0755) < 0 ||
		       mount("sysfs", CHILD_SYS, "sysfs", 0, NULL) < 0))
		r = -1;
	if (setns(self_ns, CLONE_NEWNET) < 0)
		return -1;
	return r;
}

/* ---- a conntrack entry made by hand (as `conntrack -I` does) ----------------------------- */

static void put_tuple(struct nlmsghdr *nlh, int type, int family, const void *src, const void *dst,
		      uint16_t sport, uint16_t dport)
{
	bool v6 = family == AF_INET6;
	struct nlattr *t = mnl_attr_nest_start(nlh, (uint16_t)type);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, v6 ? 16 : 4, src);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, v6 ? 16 : 4, dst);
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *p = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, t);
}

/* A UDP entry src:sport -> dst:dport whose replies come from rsrc:rsport (a DNAT when they
 * differ from dst:dport); IPv6 when the addresses have a ':'.  0 or -errno. */
static int ct_add_nat(const char *src, uint16_t sport, const char *dst, uint16_t dport,
		      const char *rsrc, uint16_t rsport)
{
	union {
		struct nlmsghdr h;
		char b[1024];
	} req, ans;
	uint8_t s[16], d[16], rs[16];
	int r = 0, fam = strchr(src, ':') ? AF_INET6 : AF_INET;
	inet_pton(fam, src, s);
	inet_pton(fam, dst, d);
	inet_pton(fam, rsrc, rs);
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req.b);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof *nfg);
	nfg->nfgen_family = (uint8_t)fam;
	nfg->version = NFNETLINK_V0;
	put_tuple(nlh, CTA_TUPLE_ORIG, fam, s, d, sport, dport);
	put_tuple(nlh, CTA_TUPLE_REPLY, fam, rs, s, rsport, sport);
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(120));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	ssize_t n = mnl_socket_recvfrom(nl, ans.b, sizeof ans.b);
	if (n < 0 || mnl_cb_run(ans.b, (size_t)n, 1, mnl_socket_get_portid(nl), NULL, NULL) < 0)
		r = -errno;
out:
	mnl_socket_close(nl);
	return r;
}

static int ct_add_udp(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	return ct_add_nat(src, sport, dst, dport, dst, dport);
}

/* ---- the tests ---------------------------------------------------------------------------- */

static void test_links(struct rtnl *nl, int *br)
{
	int idx = -1, r;
	bool isbr = true;
	char buf[64];

	r = rtnl_link_index(nl, "lo", &idx);
	is_int(r, 0, "link_index lo");
	is_int(idx, 1, "lo has index 1 in a fresh namespace");
	r = rtnl_link_index(nl, "nosuch0", &idx);
	is_int(r, -ENODEV, "link_index of a missing interface: -ENODEV");
	ok(msg_has("nosuch0"), "the message names it: %s", ctr_err_msg());
	r = rtnl_link_index(nl, "a-name-of-16-chr", &idx);
	ok(r == -EINVAL && msg_has("too long"), "a 16-byte name is refused: %s", ctr_err_msg());
	r = rtnl_link_index(nl, "a/b", &idx);
	ok(r == -EINVAL && msg_has("invalid interface name"), "a name with '/' is refused: %s",
	   ctr_err_msg());

	is_int(rtnl_bridge_create(nl, BR, BR_MAC, false), 0, "bridge_create " BR);
	is_str(read_text(HOST_SYS "/class/net/" BR "/address", buf, sizeof buf),
	       "fe:42:0a:01:02:01", "the bridge has the MAC it was given");
	r = rtnl_bridge_create(nl, BR, BR_MAC, false);
	is_int(r, -EEXIST, "bridge_create a second time: -EEXIST");
	ok(msg_has(BR " already exists"), "the message names it: %s", ctr_err_msg());
	is_int(rtnl_link_index(nl, BR, br), 0, "link_index " BR);
	ok(sys_flags(HOST_SYS, BR) & IFF_UP, "the new bridge is up");
	is_int(rtnl_link_is_bridge(nl, *br, &isbr), 0, "link_is_bridge " BR);
	ok(isbr, BR " is a bridge");
	is_int(rtnl_link_is_bridge(nl, 1, &isbr), 0, "link_is_bridge lo");
	ok(!isbr, "lo is not a bridge");
	is_int(rtnl_link_is_bridge(nl, 99999, &isbr), -ENODEV, "link_is_bridge of a missing index");

	is_str(read_text(HOST_SYS "/class/net/" BR "/bridge/nf_call_iptables", buf, sizeof buf),
	       "0", "nf_call_iptables 0 as created");
	is_int(rtnl_bridge_set_nf_call(nl, *br, true), 0, "bridge_set_nf_call 1");
	is_str(read_text(HOST_SYS "/class/net/" BR "/bridge/nf_call_iptables", buf, sizeof buf),
	       "1", "nf_call_iptables reads back 1");
	is_int(rtnl_bridge_set_nf_call(nl, *br, false), 0, "bridge_set_nf_call 0");
	is_str(read_text(HOST_SYS "/class/net/" BR "/bridge/nf_call_iptables", buf, sizeof buf),
	       "0", "nf_call_iptables reads back 0");
	r = rtnl_bridge_set_nf_call(nl, 1, true);
	ok(r < 0 && msg_has("not a bridge"), "bridge_set_nf_call on lo fails: %s", ctr_err_msg());

	is_int(rtnl_bridge_create(nl, BR_FULL, BR_MAC, true), 0, "bridge_create " BR_FULL " with nf_call");
	is_str(read_text(HOST_SYS "/class/net/" BR_FULL "/bridge/nf_call_iptables", buf,
			 sizeof buf), "1", "nf_call_iptables 1 as created");

	is_int(rtnl_link_set_up(nl, *br, false), 0, "link_set_up down");
	ok(!(sys_flags(HOST_SYS, BR) & IFF_UP), "the bridge is down");
	is_int(rtnl_link_set_up(nl, *br, true), 0, "link_set_up up");
	ok(sys_flags(HOST_SYS, BR) & IFF_UP, "the bridge is up again");
	is_int(rtnl_link_set_up(nl, 99999, true), -ENODEV, "link_set_up of a missing index");

	struct in_addr a;
	inet_pton(AF_INET, "10.1.2.1", &a);
	is_int(rtnl_addr_add(nl, *br, AF_INET, &a, 24), 0, "addr_add 10.1.2.1/24");
	is_int(rtnl_addr_add(nl, *br, AF_INET, &a, 24), 0, "addr_add the same address again");
	is_int(count_addr4(BR, "10.1.2.1"), 1, "the bridge has the address, once");
	struct in6_addr a6;
	inet_pton(AF_INET6, "fd00:1::1", &a6);
	r = rtnl_addr_add(nl, *br, AF_INET6, &a6, 64);
	is_int(r, 0, "addr_add fd00:1::1/64 %s", r ? ctr_err_msg() : "");
	r = rtnl_addr_add(nl, *br, AF_INET, &a, 33);
	ok(r == -EINVAL, "addr_add with prefix 33 is refused: %s", ctr_err_msg());
	r = rtnl_addr_add(nl, 99999, AF_INET, &a, 24);
	ok(r == -ENODEV && msg_has("99999"), "addr_add on a missing index: %s", ctr_err_msg());
}

static void test_veth(struct rtnl *nl, int br, int self_ns)
{
	struct child c;
	struct rtnl *cnl = NULL;
	char buf[256];
	int idx = -1, r;

	if (!ok(child_start(&c) == 0, "a child in a network namespace of its own"))
		return;
	r = rtnl_veth_create(nl, "vethtest0", br, "eth0", MAC, c.pid);
	is_int(r, 0, "veth_create vethtest0 / eth0 into the child %s", r ? ctr_err_msg() : "");
	is_str(sys_master(HOST_SYS, "vethtest0", buf, sizeof buf), BR,
	       "the host end is enslaved to " BR);
	ok(sys_flags(HOST_SYS, "vethtest0") & IFF_UP, "the host end is up");
	is_int(rtnl_link_index(nl, "eth0", &idx), -ENODEV, "no eth0 on the host side");

	if (!ok(enter_child(c.pid, self_ns, &cnl) == 0, "an rtnl handle in the child's namespace"))
		goto out;
	int eth0 = -1;
	is_int(rtnl_link_index(cnl, "eth0", &eth0), 0, "eth0 exists in the child");
	is_str(read_text(CHILD_SYS "/class/net/eth0/address", buf, sizeof buf),
	       "02:42:ac:11:00:02", "eth0 has the MAC");
	ok(!(sys_flags(CHILD_SYS, "eth0") & IFF_UP), "eth0 is left down");
	is_int(rtnl_link_index(cnl, "vethtest0", &idx), -ENODEV,
	       "the host end is not in the child");

	/* Up in the child: once the kernel says so, both ends and the bridge pass frames. */
	is_int(rtnl_link_set_up(cnl, eth0, true), 0, "eth0 up in the child");
	is_int(rtnl_link_wait_ready(cnl, "eth0", 5000), 0, "link_wait_ready eth0");
	is_str(read_text(CHILD_SYS "/class/net/eth0/operstate", buf, sizeof buf), "up",
	       "eth0 is operationally up after the wait");
	is_int(rtnl_link_wait_ready(nl, "vethtest0", 5000), 0, "link_wait_ready vethtest0");
	is_str(read_text(HOST_SYS "/class/net/vethtest0/brport/state", buf, sizeof buf), "3",
	       "its bridge port forwards after the wait");
	is_int(rtnl_link_wait_ready(nl, BR, 5000), 0, "link_wait_ready " BR);
	is_str(read_text(HOST_SYS "/class/net/" BR "/operstate", buf, sizeof buf), "up",
	       "the bridge is operationally up after the wait");
	is_str(read_text(HOST_SYS "/class/net/" BR "/address", buf, sizeof buf),
	       "fe:42:0a:01:02:01", "the bridge kept its MAC with a port on it");
	r = rtnl_link_wait_ready(nl, "nosuch0", 10);
	ok(r == -ENODEV && msg_has("nosuch0"), "link_wait_ready of a missing interface: %s",
	   ctr_err_msg());

	/* Errors, and nothing left behind by them. */
	r = rtnl_veth_create(nl, "vethtest0", br, "eth1", MAC, c.pid);
	ok(r == -EEXIST && msg_has("interface vethtest0 already exists"),
	   "the host name taken: %s", ctr_err_msg());
	r = rtnl_veth_create(nl, "vethtest1", br, "eth0", MAC, c.pid);
	ok(r == -EEXIST && msg_has("eth0 already exists in the network namespace"),
	   "the peer name taken in the child: %s", ctr_err_msg());
	is_int(rtnl_link_index(nl, "vethtest1", &idx), -ENODEV, "no vethtest1 left behind");
	r = rtnl_veth_create(nl, "vethtest1", br, "eth1", MAC, INT_MAX);
	ok(r == -ESRCH && msg_has("no process"), "a missing process: %s", ctr_err_msg());
	r = rtnl_veth_create(nl, "vethtest1", 99999, "eth1", MAC, c.pid);
	ok(r < 0, "a missing master: %s", ctr_err_msg());
	r = rtnl_veth_create(nl, "vethtest1", 1, "eth1", MAC, c.pid);
	ok(r < 0, "lo as the master: %s", ctr_err_msg());
	is_int(rtnl_link_index(nl, "vethtest1", &idx), -ENODEV, "no vethtest1 left behind");
	is_int(rtnl_link_index(cnl, "eth1", &idx), -ENODEV, "no eth1 left in the child");
	r = rtnl_veth_create(nl, "vethtest1", br, "eth1:0", MAC, c.pid);
	ok(r == -EINVAL && msg_has("eth1:0"), "a bad peer name: %s", ctr_err_msg());

	/* The container's side: address, up, default route. */
	struct in_addr gw, ca;
	inet_pton(AF_INET, "10.1.2.1", &gw);
	inet_pton(AF_INET, "10.1.2.2", &ca);
	r = rtnl_route_add_default(cnl, AF_INET, &gw, eth0);
	ok(r < 0, "default route before eth0 has an address fails: %s", ctr_err_msg());
	is_int(rtnl_addr_add(cnl, eth0, AF_INET, &ca, 24), 0, "addr_add 10.1.2.2/24 on eth0");
	is_int(rtnl_link_set_up(cnl, eth0, true), 0, "eth0 up");
	r = rtnl_route_add_default(cnl, AF_INET, &gw, eth0);
	is_int(r, 0, "route_add_default via 10.1.2.1 dev eth0 %s", r ? ctr_err_msg() : "");
	ok(has_default_route(c.pid, "eth0", "10.1.2.1"), "the child's default route is there");
	r = rtnl_route_add_default(cnl, AF_INET, &gw, eth0);
	ok(r == -EEXIST && msg_has("already"), "a second default route: %s", ctr_err_msg());

	is_int(rtnl_link_del(nl, "vethtest0"), 0, "link_del vethtest0");
	is_int(rtnl_link_index(nl, "vethtest0", &idx), -ENODEV, "the host end is gone");
	is_int(rtnl_link_index(cnl, "eth0", &idx), -ENODEV, "the peer is gone from the child");
	r = rtnl_link_del(nl, "vethtest0");
	ok(r == -ENODEV && msg_has("vethtest0"), "link_del again: %s", ctr_err_msg());

	/* Port limit of a bridge: fill BR_FULL. */
	int full = -1;
	is_int(rtnl_link_index(nl, BR_FULL, &full), 0, "link_index " BR_FULL);
	static double t[1100];
	int n = 0;
	double t0 = now_s();
	char host[IFNAMSIZ], peer[IFNAMSIZ];
	r = 0;
	for (; n < 1023 && now_s() - t0 < EXFULL_BUDGET_S; n++) {
		uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0x01, (uint8_t)(n >> 8), (uint8_t)n };
		snprintf(host, sizeof host, "h%d", n);
		snprintf(peer, sizeof peer, "p%d", n);
		double s = now_s();
		r = rtnl_veth_create(nl, host, full, peer, mac, c.pid);
		t[n] = now_s() - s;
		if (r < 0)
			break;
	}
	double fill = now_s() - t0;
	if (r < 0) {
		ok(0, "filling " BR_FULL ": veth %d failed: %s", n, ctr_err_msg());
	} else if (n < 1023) {
		ok(1, "EXFULL # SKIP %d veths took more than %.0f s", n, EXFULL_BUDGET_S);
	} else {
		diag("1023 veths on one bridge in %.2f s; create median: first 100 %.3f ms, "
		     "last 100 %.3f ms", fill, 1e3 * median(t, 100), 1e3 * median(t + 923, 100));
		r = rtnl_veth_create(nl, "h1023", full, "p1023", MAC, c.pid);
		is_int(r, -EXFULL, "the 1024th port: -EXFULL");
		ok(msg_has("bridge " BR_FULL " has reached the kernel's limit of 1023 ports"),
		   "the message: %s", ctr_err_msg());
		is_int(rtnl_link_index(nl, "h1023", &idx), -ENODEV, "no h1023 left behind");
		is_int(rtnl_link_index(cnl, "p1023", &idx), -ENODEV, "no p1023 left in the child");
		char port7[32];
		read_text(HOST_SYS "/class/net/h7/brport/port_no", port7, sizeof port7);
		is_int(rtnl_link_del(nl, "h7"), 0, "delete h7 (port %s)", port7);
		r = rtnl_veth_create(nl, "h1023", full, "p1023", MAC, c.pid);
		is_int(r, 0, "then the next veth gets a port %s", r ? ctr_err_msg() : "");
		is_str(read_text(HOST_SYS "/class/net/h1023/brport/port_no", buf, sizeof buf),
		       port7, "the port number h7 had");
	}
	/* The veths go with the child's namespace (the kernel batches that; deleting them one
	 * by one takes ~17 ms each here). */
out:
	rtnl_close(cnl);
	child_stop(&c);
}

static void test_routes(struct rtnl *nl, int br)
{
	struct in_addr net;
	bool over = false;
	char desc[64];
	int r;

#define OVERLAP(cidr_net, len, ignore)                                                         \
	(inet_pton(AF_INET, cidr_net, &net),                                                   \
	 r = rtnl_route_overlap4(nl, net.s_addr, len, ignore, &over, desc, sizeof desc))

	OVERLAP("10.1.0.0", 16, 0);
	ok(r == 0 && over, "10.1.0.0/16 overlaps");
	is_str(desc, "10.1.2.0/24 dev " BR, "described");
	OVERLAP("10.1.0.0", 16, br);
	ok(r == 0 && !over && desc[0] == '\0', "not when the bridge's routes are ignored");
	OVERLAP("10.2.0.0", 16, 0);
	ok(r == 0 && !over, "10.2.0.0/16 does not overlap");
	OVERLAP("10.0.0.0", 8, 0);
	ok(r == 0 && over, "10.0.0.0/8 (a superset) overlaps");
	OVERLAP("10.1.2.128", 25, 0);
	ok(r == 0 && over, "10.1.2.128/25 (a subset) overlaps");
	OVERLAP("10.1.3.0", 24, 0);
	ok(r == 0 && !over, "10.1.3.0/24 (a neighbour) does not overlap");
	OVERLAP("10.1.2.1", 32, 0);
	ok(r == 0 && over, "10.1.2.1/32 overlaps");
	is_str(desc, "10.1.2.0/24 dev " BR, "with the main table's route, not the local one");
	OVERLAP("127.0.0.0", 8, 0);
	ok(r == 0 && !over, "127/8 is in the local table only");
	OVERLAP("10.1.0.0", 33, 0);
	is_int(r, -EINVAL, "prefix 33 refused");
	r = rtnl_route_overlap4(nl, net.s_addr, 8, 0, &over, NULL, 0);
	ok(r == 0 && over, "desc may be NULL");
#undef OVERLAP
}

/* Flush with one match; returns conntrack_flush's result, the count in *n. */
static int flush1(int proto, const char *dst, uint16_t dport, const char *to, uint16_t to_port,
		  unsigned *n)
{
	struct ct_match m = { .family = AF_INET, .proto = (uint8_t)proto, .dport = dport };
	m.any_dst = !dst;
	if (dst)
		inet_pton(AF_INET, dst, m.dst);
	if (to) {
		m.to = true;
		inet_pton(AF_INET, to, m.to_addr);
		m.to_port = to_port;
	}
	return conntrack_flush(NULL, &m, 1, n);
}

static void test_conntrack(void)
{
	unsigned n = 99;
	int r;

	r = flush1(IPPROTO_UDP, NULL, 5353, NULL, 0, &n);
	ok(r == 0 && n == 0, "conntrack_flush on an empty table: %d, %u", r, n);
	r = flush1(IPPROTO_ICMP, NULL, 5353, NULL, 0, &n);
	is_int(r, -EINVAL, "a protocol without ports is refused");
	r = conntrack_flush(NULL, NULL, 0, &n);
	ok(r == 0 && n == 0, "no match, nothing to do");

	r = ct_add_udp("10.1.2.9", 40000, "10.1.2.2", 5353);
	if (!is_int(r, 0, "a conntrack entry made by hand (%s)", r ? strerror(-r) : "ok"))
		return;
	is_int(ct_add_udp("10.1.2.9", 40001, "10.1.2.2", 5354), 0, "and one to another port");
	is_int(ct_add_udp("10.1.2.9", 40002, "10.1.2.3", 5353), 0, "and one to another address");
	r = flush1(IPPROTO_TCP, NULL, 5353, NULL, 0, &n);
	ok(r == 0 && n == 0, "tcp/5353: none (%u)", n);
	r = flush1(IPPROTO_UDP, "10.9.9.9", 5353, NULL, 0, &n);
	ok(r == 0 && n == 0, "udp to 10.9.9.9:5353: none (%u)", n);
	r = flush1(IPPROTO_UDP, "10.1.2.2", 5353, NULL, 0, &n);
	ok(r == 0 && n == 1, "udp to 10.1.2.2:5353: one (%u)", n);
	r = flush1(IPPROTO_UDP, NULL, 5353, NULL, 0, &n);
	ok(r == 0 && n == 1, "udp to any:5353: the other one (%u)", n);
	r = flush1(IPPROTO_UDP, NULL, 5353, NULL, 0, &n);
	ok(r == 0 && n == 0, "udp to any:5353 again: none (%u)", n);
	r = flush1(IPPROTO_UDP, NULL, 5354, NULL, 0, NULL);
	is_int(r, 0, "udp to 5354 with deleted NULL");
	r = flush1(IPPROTO_UDP, NULL, 5354, NULL, 0, &n);
	ok(r == 0 && n == 0, "then it is gone (%u)", n);

	/* entries DNAT'd to a container (10.1.2.20:53) and one that was not */
	is_int(ct_add_nat("10.1.2.9", 41000, "10.1.2.2", 5353, "10.1.2.20", 53), 0, "a DNAT'd entry");
	is_int(ct_add_nat("10.1.2.9", 41001, "10.1.2.2", 5353, "10.1.2.21", 53), 0,
	       "one DNAT'd to another container");
	is_int(ct_add_nat("10.1.2.9", 41002, "10.1.2.2", 5353, "10.1.2.20", 54), 0,
	       "one to another container port");
	is_int(ct_add_udp("10.1.2.9", 41003, "10.1.2.2", 5353), 0, "one to the host itself");
	r = flush1(IPPROTO_UDP, NULL, 5353, "10.1.2.20", 53, &n);
	ok(r == 0 && n == 1, "to 10.1.2.20:53: exactly the one DNAT'd there (%u)", n);
	r = flush1(IPPROTO_UDP, NULL, 5353, "10.1.2.20", 53, &n);
	ok(r == 0 && n == 0, "and again: none (%u)", n);

	/* several matches, one dump: what is left goes in one call */
	struct ct_match m[3] = {
		{ .family = AF_INET, .proto = IPPROTO_UDP, .dport = 5353, .any_dst = true,
		  .to = true, .to_port = 53 },
		{ .family = AF_INET, .proto = IPPROTO_UDP, .dport = 5353, .any_dst = true,
		  .to = true, .to_port = 54 },
		{ .family = AF_INET, .proto = IPPROTO_TCP, .dport = 5353, .any_dst = true },
	};
	inet_pton(AF_INET, "10.1.2.21", m[0].to_addr);
	inet_pton(AF_INET, "10.1.2.20", m[1].to_addr);
	r = conntrack_flush(NULL, m, 3, &n);
	ok(r == 0 && n == 2, "two matches in one call: both entries (%u)", n);
	r = flush1(IPPROTO_UDP, NULL, 5353, NULL, 0, &n);
	ok(r == 0 && n == 1, "the host's own entry was left alone until now (%u)", n);

	/* the kernel filters the dump by what the matches share (issue 16): one container's
	 * address and protocol, not its port; then a destination address and port */
	is_int(ct_add_nat("10.1.2.9", 42000, "10.1.2.2", 6000, "10.1.2.20", 53), 0, "to :53");
	is_int(ct_add_nat("10.1.2.9", 42001, "10.1.2.2", 6001, "10.1.2.20", 54), 0, "to :54");
	is_int(ct_add_nat("10.1.2.9", 42002, "10.1.2.2", 6000, "10.1.2.21", 53), 0, "elsewhere");
	is_int(ct_add_udp("10.1.2.9", 42003, "10.1.2.3", 6000), 0, "to the host, 10.1.2.3");
	struct ct_match two[2] = {
		{ .family = AF_INET, .proto = IPPROTO_UDP, .dport = 6000, .any_dst = true,
		  .to = true, .to_port = 53 },
		{ .family = AF_INET, .proto = IPPROTO_UDP, .dport = 6001, .any_dst = true,
		  .to = true, .to_port = 54 },
	};
	inet_pton(AF_INET, "10.1.2.20", two[0].to_addr);
	inet_pton(AF_INET, "10.1.2.20", two[1].to_addr);
	struct conntrack *kept = NULL;
	r = conntrack_open(&kept);
	if (!r)
		r = conntrack_flush(kept, two, 2, &n);
	conntrack_close(kept);
	ok(r == 0 && n == 2, "two ports of one container, on a kept socket: both (%u)", n);
	r = flush1(IPPROTO_UDP, "10.1.2.3", 6000, NULL, 0, &n);
	ok(r == 0 && n == 1, "to 10.1.2.3:6000 only: the host's (%u)", n);
	r = flush1(IPPROTO_UDP, NULL, 6000, "10.1.2.21", 53, &n);
	ok(r == 0 && n == 1, "the other container's was left alone (%u)", n);

	/* more matches than the kernel-filtered deletes are used for (8): one dump instead */
	struct ct_match many[9];
	bool made = true;
	for (int i = 0; i < 9; i++) {
		many[i] = (struct ct_match){ .family = AF_INET, .proto = IPPROTO_UDP,
					     .dport = (uint16_t)(7000 + i), .any_dst = true,
					     .to = true, .to_port = 53 };
		inet_pton(AF_INET, "10.1.2.20", many[i].to_addr);
		made = made && ct_add_nat("10.1.2.9", (uint16_t)(43000 + i), "10.1.2.2",
					  (uint16_t)(7000 + i), "10.1.2.20", 53) == 0;
	}
	made = made && ct_add_nat("10.1.2.9", 43009, "10.1.2.2", 7000, "10.1.2.21", 53) == 0;
	ok(made, "nine DNAT'd entries and one to another container");
	r = conntrack_flush(NULL, many, 9, &n);
	ok(r == 0 && n == 9, "nine matches (one dump): the nine (%u)", n);
	r = flush1(IPPROTO_UDP, NULL, 7000, NULL, 0, &n);
	ok(r == 0 && n == 1, "the other container's was left alone (%u)", n);

	/* IPv6: a DNAT'd entry, one to another container, one to the host's other address */
	is_int(ct_add_nat("fd00::9", 44000, "fd00::2", 8000, "fd00::20", 53), 0, "IPv6: DNAT'd");
	is_int(ct_add_nat("fd00::9", 44001, "fd00::2", 8000, "fd00::21", 53), 0, "IPv6: elsewhere");
	is_int(ct_add_udp("fd00::9", 44002, "fd00::3", 8000), 0, "IPv6: to the host");
	struct ct_match six = { .family = AF_INET6, .proto = IPPROTO_UDP, .dport = 8000,
				.to = true, .to_port = 53 };
	inet_pton(AF_INET6, "fd00::2", six.dst);
	inet_pton(AF_INET6, "fd00::20", six.to_addr);
	r = conntrack_flush(NULL, &six, 1, &n);
	ok(r == 0 && n == 1, "IPv6 [fd00::2]:8000 to [fd00::20]:53: that one (%u)", n);
	six.to = false;
	r = conntrack_flush(NULL, &six, 1, &n);
	ok(r == 0 && n == 1, "IPv6 [fd00::2]:8000: the other container's (%u)", n);
	six.any_dst = true;
	r = conntrack_flush(NULL, &six, 1, &n);
	ok(r == 0 && n == 1, "IPv6 any:8000: the host's (%u)", n);
}

/* Figures for the report (no assertion on time). */
static void bench_veth(struct rtnl *nl, int br)
{
	struct child c;
	double tc[100], td[100];
	char host[IFNAMSIZ];
	int n = 0;
	if (child_start(&c) < 0)
		return;
	for (; n < 100; n++) {
		snprintf(host, sizeof host, "b%d", n);
		double s = now_s();
		int r = rtnl_veth_create(nl, host, br, "eth0", MAC, c.pid);
		tc[n] = now_s() - s;
		s = now_s();
		if (r == 0)
			r = rtnl_link_del(nl, host);
		td[n] = now_s() - s;
		if (r < 0) {
			diag("bench: %s", ctr_err_msg());
			break;
		}
	}
	if (n > 0)
		diag("veth (bridge port, peer into another namespace), median of %d: "
		     "create %.3f ms, delete %.3f ms", n, 1e3 * median(tc, (size_t)n),
		     1e3 * median(td, (size_t)n));
	child_stop(&c);
}

int main(void)
{
	struct rtnl *nl = NULL;
	int br = -1;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("1..0 # SKIP cannot make a network and mount namespace: %s\n",
		       strerror(errno));
		return 0;
	}
	/* A private /tmp for the sysfs mounts: nothing can be left behind on the host. */
	if (private_tmpfs("/tmp", "size=1m,mode=0755") < 0 ||
	    mkdir(HOST_SYS, 0755) < 0 || mount("sysfs", HOST_SYS, "sysfs", 0, NULL) < 0) {
		printf("Bail out! cannot mount a sysfs: %s\n", strerror(errno));
		return 1;
	}
	int self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (!ok(self_ns >= 0 && rtnl_open(&nl) == 0, "rtnl_open"))
		return done_testing();

	test_links(nl, &br);
	test_veth(nl, br, self_ns);
	test_routes(nl, br);
	test_conntrack();
	bench_veth(nl, br);

	rtnl_close(nl);
	close(self_ns);
	return done_testing();
}
