/* The NAT backend conformance suite: one set of tests that every backend of core/nat.h passes
 * (lib/sys/nat_iptc.c, lib/sys/nat_nft.c), in a private network + mount namespace — the
 * rules a backend writes, read back in its own terms, real TCP/UDP traffic through them to a
 * listener in a "container" namespace behind a bridge, drops and deletions, errors, isolation
 * and links, removal.  It is included by each backend's test (test_nat_iptc.c, test_nat_nft.c),
 * which gives it a struct backend (how to read its rules back, how many kernel commits each
 * change costs there) and its own extra tests, and calls natsuite_main(): one source, compiled
 * once per backend into that backend's TAP program.
 *
 * Only the tests run commands (iptables-legacy, nft, ip); the library never does.  Each
 * backend's test counts the kernel commits the library makes in n_commits (libiptc's
 * IPT_SO_SET_REPLACE, nfnetlink batches) by interposing the system call wrapper. */
#ifndef CTR_NATSUITE_H
#define CTR_NATSUITE_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private.h"
#include "tap.h"

#include "core/model.h"
#include "core/nat.h"
#include "core/util.h"

#define ETH_P_IP_ 0x0800

#define BR "ctrtest0"
#define BR_MAC "02:00:00:77:00:01"
#define GW "10.77.0.1"
#define CA "10.77.0.2" /* container A (netns ctr) */
#define CB "10.77.0.3" /* container B (netns ctr2) */
#define HOST_IP "192.0.2.1"
#define GW6 "fd00:77::1"
#define CA6 "fd00:77::2"
#define CB6 "fd00:77::3"
#define HOST_IP6 "2001:db8::1"

/* How many kernel commits a change costs, and the test point's words for it. */
struct commits {
	int n;
	const char *say;
};

/* What a backend's test gives the suite. */
struct backend {
	const struct nat_ops *ops;
	bool v6; /* the network and the containers have IPv6 addresses too */
	struct commits base, base_again, add, add_again, drop, drop_again, del, grow, big_add,
		big_drop, iso_base, remove, remove_again;
	size_t big_n; /* DNAT rules of test_big */
	int a_rules;  /* how many of its rules (elements) name A in test_drop_and_del */
	const char *a_rules_say;
	const char *const *user_cmds; /* the user's own firewall, which must survive everything */
	size_t n_user_cmds;
};

/* What the backend's test defines, in its own terms. */
/* Text of our rules (owners' IDs show in it), and of everything (for "nothing changed"). */
static char *rules(void);
static char *snapshot(void);
/* The base layout is exactly there (`when` names the moment); more of test_base. */
static void check_base(const char *when);
static void base_extra(void);
static void check_user_rules(const char *when);
/* Does list() give `want` (the backend says whether order counts)?  Test points. */
static void list_check(struct nat *nat, const struct nat_rule *want, size_t n, const char *what);
/* test_rules_and_traffic: the rules written for its add[] list; again after adding them once
 * more (`before`: rules() before that); list() and other readings of them. */
static void added(void);
static void readded(const char *before);
static void listed(struct nat *nat, const struct nat_rule *add, size_t n);
/* How rules() shows one DNAT port, and one LINK port. */
static void dnat_line(char *buf, size_t len, const struct nat_rule *r);
static void link_line(char *buf, size_t len, const struct nat_rule *r);
/* test_many_link_deletions: a LINK rule (element) of someone else among ours. */
static void foreign_link_add(void);
static void foreign_link_check(const char *rules);
static void foreign_link_del(void);
/* Packets dropped by our raw rule (two counters, compared before and after). */
static void martian_counts(long c[2]);
static void after_del(void); /* after the deletion in test_drop_and_del */
static void iso_check(void);  /* the isolation rules of icc=false */
static void remove_all_pre(struct nat *nat);
static int ours_left(void); /* how often our names show in the whole ruleset */
static void setup(void);    /* after the user's firewall is in place */
/* The backend's own tests, at their places in the sequence. */
static void after_drop_and_del(void);
static void extras(struct nat *nat);
static void after_user_check(struct nat *nat);
static void after_isolation(struct nat *nat);
static void bench(struct nat *nat);

static const struct backend *B;
static const struct nat_ops *ops;
static int n_commits; /* kernel commits seen (counted by the backend's test) */

static char ida[65], idb[65], idc[65], idd[65], ide[65], idf[65], idg[65], idh[65];

/* ---- helpers ------------------------------------------------------------------------------ */

/* Run a shell command; its exit status, or -1.  Unless `quiet`, a failure is a diagnostic. */
PRINTF(2, 0) static int vsh(bool quiet, const char *fmt, va_list ap)
{
	char cmd[2048];
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	fflush(stdout);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	if (WEXITSTATUS(st) && !quiet)
		diag("command failed (%d): %s", WEXITSTATUS(st), cmd);
	return WEXITSTATUS(st);
}

PRINTF(1, 2) static int sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsh(false, fmt, ap);
	va_end(ap);
	return r;
}

PRINTF(1, 2) static int sh_q(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsh(true, fmt, ap);
	va_end(ap);
	return r;
}

static char *capture(const char *cmd)
{
	fflush(stdout);
	FILE *f = popen(cmd, "r");
	struct sbuf sb = SBUF_INIT;
	char buf[65536];
	size_t n;
	sb_add(&sb, "");
	if (f) {
		while ((n = fread(buf, 1, sizeof buf, f)) > 0)
			sb_addn(&sb, buf, n);
		pclose(f);
	}
	char *s = sb_finish(&sb);
	if (!s) {
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return s;
}

static int count_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	int n = 0;
	for (const char *p = text; (p = strstr(p, line)); p += len)
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			n++;
	return n;
}

static int count_substr(const char *text, const char *sub)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, sub)); p += strlen(sub))
		n++;
	return n;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return 0;
	return a.s_addr;
}

static void ip6(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (s)
		inet_pton(AF_INET6, s, out);
}

static void make_id(char id[65], char c)
{
	memset(id, c, 64);
	id[64] = '\0';
}

static struct nat_rule dnat(const char *owner, uint8_t proto, const char *hip, uint16_t lo,
			    uint16_t hi, const char *cip, uint16_t clo)
{
	struct nat_rule r;
	memset(&r, 0, sizeof r);
	r.kind = NAT_RULE_DNAT;
	r.proto = proto;
	snprintf(r.owner, sizeof r.owner, "%.64s", owner); /* an ID: 64 characters */
	r.u.dnat.host_ip = hip ? ip4(hip) : 0;
	r.u.dnat.hport_lo = lo;
	r.u.dnat.hport_hi = hi;
	r.u.dnat.cip = ip4(cip);
	r.u.dnat.cport_lo = clo;
	return r;
}

static struct nat_rule dnat6(const char *owner, uint8_t proto, const char *hip, uint16_t lo,
			     uint16_t hi, const char *cip, uint16_t clo)
{
	struct nat_rule r = dnat(owner, proto, NULL, lo, hi, "0.0.0.0", clo);
	r.family = AF_INET6;
	ip6(hip, r.u.dnat.host_ip6);
	ip6(cip, r.u.dnat.cip6);
	return r;
}

static struct nat_rule link_rule(const char *owner, const char *peer, uint8_t proto,
				 const char *src, const char *dst, uint16_t lo, uint16_t hi)
{
	struct nat_rule r;
	memset(&r, 0, sizeof r);
	r.kind = NAT_RULE_LINK;
	r.proto = proto;
	snprintf(r.owner, sizeof r.owner, "%.64s", owner); /* an ID: 64 characters */
	snprintf(r.peer, sizeof r.peer, "%s", peer);
	r.u.link.src = ip4(src);
	r.u.link.dst = ip4(dst);
	r.u.link.port_lo = lo;
	r.u.link.port_hi = hi;
	return r;
}

__attribute__((unused)) static struct nat_rule link6(const char *owner, const char *peer, uint8_t proto,
			     const char *src, const char *dst, uint16_t lo, uint16_t hi)
{
	struct nat_rule r = link_rule(owner, peer, proto, "0.0.0.0", "0.0.0.0", lo, hi);
	r.family = AF_INET6;
	ip6(src, r.u.link.src6);
	ip6(dst, r.u.link.dst6);
	return r;
}

static int apply_add(struct nat *nat, const struct nat_rule *v, size_t n)
{
	struct nat_txn t = { .add = v, .n_add = n };
	return ops->apply(nat, &t);
}

static int apply_del(struct nat *nat, const struct nat_rule *v, size_t n)
{
	struct nat_txn t = { .del = v, .n_del = n };
	return ops->apply(nat, &t);
}

static int apply_drop(struct nat *nat, const char *id)
{
	const char *ids[] = { id };
	struct nat_txn t = { .drop_ids = ids, .n_drop_ids = 1 };
	return ops->apply(nat, &t);
}

/* Does list() give exactly `want` (in any order, as many times)? */
__attribute__((unused)) static bool list_is(struct nat *nat, const struct nat_rule *want, size_t n)
{
	struct nat_rule *l = NULL;
	size_t nl = 0;
	if (ops->list(nat, &l, &nl) < 0) {
		diag("list: %s", ctr_err_msg());
		return false;
	}
	bool same = nl == n;
	bool *used = calloc(n + 1, sizeof *used);
	for (size_t i = 0; same && used && i < nl; i++) {
		bool found = false;
		for (size_t j = 0; j < n && !found; j++)
			if (!used[j] && nat_rule_equal(&l[i], &want[j]))
				found = used[j] = true;
		same = found;
	}
	if (!same)
		diag("list: %zu rules, expected %zu", nl, n);
	free(used);
	free(l);
	return same && used;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int open_nat(struct nat **nat, bool icc, bool v6)
{
	struct nat_net net;
	memset(&net, 0, sizeof net);
	snprintf(net.bridge, sizeof net.bridge, "%s", BR);
	net.subnet = ip4("10.77.0.0");
	net.prefixlen = 24;
	net.gateway = ip4(GW);
	net.icc = icc;
	if (v6) {
		ip6("fd00:77::", net.subnet6);
		net.prefixlen6 = 64;
		ip6(GW6, net.gateway6);
	}
	return ops->open(nat, &net);
}

/* Normalized host firewall (no comments, no counters), to check that it never changes. */
static char *host_firewall(void)
{
	return capture("{ iptables-legacy-save 2>/dev/null; nft list ruleset 2>/dev/null; } | "
		       "grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//g' "
		       "-e 's/packets [0-9]* bytes [0-9]*//g'");
}

/* ---- processes in the container namespaces -------------------------------------------- */

static int enter_ns(const char *ns)
{
	char path[64];
	snprintf(path, sizeof path, "/run/netns/%s", ns);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

/* A dual-stack listener (IPv4 clients arrive as v4-mapped addresses). */
static int listen_on(int type, uint16_t port)
{
	int fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
	int one = 1, zero = 0;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void reply_text(char *buf, size_t len, const struct sockaddr_in6 *local,
		       const struct sockaddr_in6 *peer)
{
	char p[INET6_ADDRSTRLEN];
	if (IN6_IS_ADDR_V4MAPPED(&peer->sin6_addr))
		inet_ntop(AF_INET, &peer->sin6_addr.s6_addr[12], p, sizeof p);
	else
		inet_ntop(AF_INET6, &peer->sin6_addr, p, sizeof p);
	snprintf(buf, len, "port=%u peer=%s", ntohs(local->sin6_port), p);
}

/* A forked "container" service: answers every TCP connection and UDP datagram with
 * "port=<its local port> peer=<the client address it sees>". */
static pid_t start_service(const char *ns, const uint16_t *tcp, size_t n_tcp,
			   const uint16_t *udp, size_t n_udp)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid != 0) {
		char c = 0;
		close(p[1]);
		if (pid < 0 || read(p[0], &c, 1) != 1 || c != 'y') {
			close(p[0]);
			return -1;
		}
		close(p[0]);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(p[0]);
	struct pollfd fds[16];
	size_t n = 0;
	bool okay = enter_ns(ns) == 0 && n_tcp + n_udp <= 16;
	for (size_t i = 0; okay && i < n_tcp; i++) {
		fds[n].fd = listen_on(SOCK_STREAM, tcp[i]);
		fds[n++].events = POLLIN;
		okay = fds[n - 1].fd >= 0;
	}
	for (size_t i = 0; okay && i < n_udp; i++) {
		fds[n].fd = listen_on(SOCK_DGRAM, udp[i]);
		fds[n++].events = POLLIN;
		okay = fds[n - 1].fd >= 0;
	}
	if (write(p[1], okay ? "y" : "n", 1) != 1 || !okay)
		_exit(1);
	close(p[1]);
	for (;;) {
		if (poll(fds, n, -1) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			if (!(fds[i].revents & POLLIN))
				continue;
			struct sockaddr_in6 local, peer;
			socklen_t ll = sizeof local, pl = sizeof peer;
			char buf[128], msg[128];
			if (i < n_tcp) {
				int c = accept4(fds[i].fd, (struct sockaddr *)&peer, &pl,
						SOCK_CLOEXEC);
				if (c < 0)
					continue;
				getsockname(c, (struct sockaddr *)&local, &ll);
				reply_text(msg, sizeof msg, &local, &peer);
				if (write(c, msg, strlen(msg)) < 0)
					diag("service: write failed");
				close(c);
			} else {
				struct sockaddr *pa = (struct sockaddr *)&peer;
				if (recvfrom(fds[i].fd, buf, sizeof buf, 0, pa, &pl) < 0)
					continue;
				getsockname(fds[i].fd, (struct sockaddr *)&local, &ll);
				reply_text(msg, sizeof msg, &local, &peer);
				sendto(fds[i].fd, msg, strlen(msg), 0, pa, pl);
			}
		}
	}
}

static int wait_fd(int fd, short ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, ms);
	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

/* Connect (TCP) or send a datagram (UDP) to ip:port (IPv4 or IPv6) and read the answer into
 * out.  0, or a negative errno (-ETIMEDOUT when nothing answers). */
static int query(bool udp, const char *ip, uint16_t port, char *out, size_t len, int ms)
{
	bool v6 = strchr(ip, ':') != NULL;
	int fd = socket(v6 ? AF_INET6 : AF_INET,
			(udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_storage ss;
	socklen_t sl;
	int r = 0, err = 0;
	socklen_t el = sizeof err;
	out[0] = '\0';
	if (fd < 0)
		return -errno;
	memset(&ss, 0, sizeof ss);
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &a->sin6_addr);
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = ip4(ip);
		sl = sizeof *a;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		r = -errno;
		goto out;
	}
	if (udp) {
		if (send(fd, "hello", 5, 0) < 0) {
			r = -errno;
			goto out;
		}
	} else {
		if ((r = wait_fd(fd, POLLOUT, ms)) < 0)
			goto out;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			r = -err;
			goto out;
		}
	}
	size_t got = 0;
	for (;;) {
		if ((r = wait_fd(fd, POLLIN, ms)) < 0)
			break;
		ssize_t k = recv(fd, out + got, len - 1 - got, 0);
		if (k < 0) {
			r = -errno;
			break;
		}
		got += (size_t)k;
		out[got] = '\0';
		if (k == 0 || udp || got == len - 1)
			break;
	}
out:
	close(fd);
	return r;
}

/* query() from inside netns `ns`. */
static int ns_query(const char *ns, bool udp, const char *ip, uint16_t port, char *out,
		    size_t len, int ms)
{
	int p[2];
	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		char buf[256];
		int r = enter_ns(ns) < 0 ? -errno : query(udp, ip, port, buf, sizeof buf, ms);
		if (write(p[1], &r, sizeof r) != sizeof r ||
		    (r == 0 && write(p[1], buf, strlen(buf)) < 0))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	int r = -EIO;
	if (pid > 0 && read(p[0], &r, sizeof r) == sizeof r && r == 0) {
		ssize_t k = read(p[0], out, len - 1);
		out[k > 0 ? k : 0] = '\0';
	}
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return r;
}

static uint16_t csum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* From netns `ns`, put on the wire of `ifname` a UDP datagram to 127.0.0.1:port addressed to
 * the bridge's MAC: what an attacker in a container sends to reach the host's localhost. */
static int send_martian(const char *ns, const char *ifname, uint16_t port)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct {
			struct iphdr ip;
			struct udphdr udp;
			char data[8];
		} __attribute__((packed)) pkt;
		memset(&pkt, 0, sizeof pkt);
		memcpy(pkt.data, "martian", 8);
		pkt.ip.version = 4;
		pkt.ip.ihl = 5;
		pkt.ip.ttl = 64;
		pkt.ip.protocol = IPPROTO_UDP;
		pkt.ip.tot_len = htons(sizeof pkt);
		pkt.ip.saddr = ip4(CA);
		pkt.ip.daddr = ip4("127.0.0.1");
		pkt.ip.check = csum(&pkt.ip, sizeof pkt.ip);
		pkt.udp.source = htons(40000);
		pkt.udp.dest = htons(port);
		pkt.udp.len = htons(sizeof pkt.udp + sizeof pkt.data);
		if (enter_ns(ns) < 0)
			_exit(1);
		int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP_));
		struct sockaddr_ll ll = { .sll_family = AF_PACKET,
					  .sll_protocol = htons(ETH_P_IP_),
					  .sll_ifindex = (int)if_nametoindex(ifname),
					  .sll_halen = 6 };
		unsigned mac[6];
		sscanf(BR_MAC, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4],
		       &mac[5]);
		for (int i = 0; i < 6; i++)
			ll.sll_addr[i] = (unsigned char)mac[i];
		struct sockaddr *la = (struct sockaddr *)&ll;
		if (fd < 0 || sendto(fd, &pkt, sizeof pkt, 0, la, sizeof ll) < 0)
			_exit(1);
		_exit(0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static bool martian_arrives(int fd, int ms)
{
	char buf[64];
	if (wait_fd(fd, POLLIN, ms) < 0)
		return false;
	return recv(fd, buf, sizeof buf, 0) > 0;
}


static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void commits_are(int before, const struct commits *c)
{
	is_int(n_commits - before, c->n, "%s", c->say);
}

static bool setup_network(bool v6)
{
	bool r = true;
	r &= sh("ip link set lo up") == 0;
	r &= sh("ip link add " BR " type bridge && ip link set " BR " address " BR_MAC) == 0;
	if (v6)
		r &= sh("ip addr add " GW "/24 dev " BR " && ip -6 addr add " GW6 "/64 dev " BR
			" nodad && ip link set " BR " up") == 0;
	else
		r &= sh("ip addr add " GW "/24 dev " BR " && ip link set " BR " up") == 0;
	if (sh_q("ip link add dummy0 type dummy 2>/dev/null") == 0)
		r &= sh("ip addr add " HOST_IP "/24 dev dummy0%s && ip link set dummy0 up",
			v6 ? " && ip -6 addr add " HOST_IP6 "/64 dev dummy0 nodad" : "") == 0;
	else
		r &= sh("ip addr add " HOST_IP "/32 dev lo%s",
			v6 ? " && ip -6 addr add " HOST_IP6 "/128 dev lo nodad" : "") == 0;
	const char *ns[2] = { "ctr", "ctr2" }, *addr[2] = { CA, CB }, *addr6[2] = { CA6, CB6 };
	for (int i = 0; i < 2; i++) {
		r &= sh("ip netns add %s", ns[i]) == 0;
		r &= sh("ip link add vh%d type veth peer name vc%d", i, i) == 0;
		r &= sh("ip link set vh%d master " BR " up", i) == 0;
		/* Hairpin on the port (the link module's job, as Docker does): with
		 * br_netfilter, a DNAT back to the sender's own port is bridged out of the
		 * port it came in on. */
		r &= sh("bridge link set dev vh%d hairpin on", i) == 0;
		r &= sh("ip link set vc%d netns %s", i, ns[i]) == 0;
		r &= sh("ip -n %s link set lo up && ip -n %s addr add %s/24 dev vc%d && "
			"ip -n %s link set vc%d up && ip -n %s route add default via " GW,
			ns[i], ns[i], addr[i], i, ns[i], i, ns[i]) == 0;
		if (v6)
			r &= sh("ip -n %s -6 addr add %s/64 dev vc%d nodad && "
				"ip -n %s -6 route add default via " GW6,
				ns[i], addr6[i], i, ns[i]) == 0;
	}
	/* What the rtnetlink module does for a bridge (not the NAT module's business). */
	r &= sh("echo 1 > /proc/sys/net/ipv4/ip_forward") == 0;
	if (v6)
		r &= sh("echo 1 > /proc/sys/net/ipv6/conf/all/forwarding") == 0;
	r &= sh("echo 1 > /proc/sys/net/ipv4/conf/" BR "/route_localnet") == 0;
	/* No STP: the ports forward at once; give the links a moment to come up. */
	usleep(300000);
	return r;
}

/* ---- the conformance tests ------------------------------------------------------------------ */

static void test_open_errors(void)
{
	struct nat_net net;
	struct nat *nat = (struct nat *)1;
	memset(&net, 0, sizeof net);
	memset(net.bridge, 'b', sizeof net.bridge); /* 16 characters, no NUL */
	net.subnet = ip4("10.77.0.0");
	net.prefixlen = 24;
	is_int(ops->open(&nat, &net), -EINVAL, "open: a 16-character bridge name is refused");
	ok(strstr(ctr_err_msg(), "too long") != NULL, "open: ... with a clear message (%s)",
	   ctr_err_msg());
	ok(nat == NULL, "open: *out is NULL on failure");
	snprintf(net.bridge, sizeof net.bridge, "%s", "br 0");
	is_int(ops->open(&nat, &net), -EINVAL, "open: a bridge name with a space is refused");
	snprintf(net.bridge, sizeof net.bridge, "%s", "abcdefghijklmno"); /* 15: fits */
	int before = n_commits;
	is_int(ops->open(&nat, &net), 0, "open: a 15-character bridge name is accepted");
	is_int(n_commits - before, 0, "open: does not touch the kernel");
	ops->close(nat);
	net.subnet = ip4("10.77.0.5");
	is_int(ops->open(&nat, &net), -EINVAL, "open: a subnet with host bits is refused");
	if (!B->v6)
		return;
	net.subnet = ip4("10.77.0.0");
	ip6("fd00:77::1", net.subnet6);
	net.prefixlen6 = 64;
	is_int(ops->open(&nat, &net), -EINVAL, "open: an IPv6 subnet with host bits is refused");
	ip6("fd00:77::", net.subnet6);
	net.prefixlen6 = 0;
	is_int(ops->open(&nat, &net), -EINVAL, "open: an IPv6 prefix length 0 is refused");
}

static void test_base(struct nat *nat)
{
	int before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base");
	commits_are(before, &B->base);
	before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base again");
	commits_are(before, &B->base_again);
	check_base("ensure_base");
	base_extra();
}

static void test_martian(int udp_fd, bool before_base)
{
	long c0[2], c1[2];
	martian_counts(c0);
	ok(send_martian("ctr", "vc0", 7777) == 0, "sent a packet to 127.0.0.1:7777 from the "
	   "container's wire (%s the raw rule)", before_base ? "before" : "with");
	bool arrived = martian_arrives(udp_fd, 700);
	martian_counts(c1);
	if (before_base) {
		ok(arrived, "control: without our raw rule it reaches the host's 127.0.0.1:7777");
		return;
	}
	ok(!arrived, "with our raw rule it does not reach the host's 127.0.0.1:7777");
	ok(c0[0] >= 0 && c1[0] == c0[0] + 1 && c1[1] == c0[1],
	   "our raw rule dropped it: counted at our priority (%ld -> %ld), not after it "
	   "(%ld -> %ld)", c0[0], c1[0], c0[1], c1[1]);
}

/* The rules of test_rules_and_traffic, which the backends' hooks know too. */
static void rules_and_traffic_add(struct nat_rule add[7])
{
	add[0] = dnat(ida, CTR_TCP, NULL, 8080, 8080, CA, 80);     /* single port */
	add[1] = dnat(ida, CTR_TCP, NULL, 9000, 9010, CA, 7000);   /* a run with offset */
	add[2] = dnat(ida, CTR_UDP, NULL, 5000, 5005, CA, 5000);   /* a run, equal ports (udp) */
	add[3] = dnat(ida, CTR_TCP, HOST_IP, 443, 443, CA, 443);   /* specific host IP */
	add[4] = dnat(ida, CTR_SCTP, NULL, 3868, 3868, CA, 3869);  /* sctp */
	add[5] = link_rule(idb, ida, CTR_TCP, CB, CA, 5432, 5432); /* B linked to A */
	add[6] = link_rule(idb, ida, CTR_UDP, CB, CA, 6000, 6002);
}

static void test_rules_and_traffic(struct nat *nat)
{
	struct nat_rule add[7];
	rules_and_traffic_add(add);
	int before = n_commits;
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply: DNAT and LINK rules added");
	commits_are(before, &B->add);
	added();

	char *s = rules();
	before = n_commits;
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply the same adds again");
	commits_are(before, &B->add_again);
	struct nat_rule twice[] = { add[0], add[0] };
	is_int(apply_add(nat, twice, 2), 0, "apply: a rule given twice in one txn");
	readded(s);
	free(s);
	listed(nat, add, ARRAY_SIZE(add));

	/* ---- real traffic through the DNAT rules ---- */
	char out[256];
	int r = query(false, "127.0.0.1", 8080, out, sizeof out, 2000);
	is_int(r, 0, "tcp 127.0.0.1:8080 connects");
	is_str(out, "port=80 peer=" GW,
	       "... reaches the container's port 80, localhost masqueraded to the bridge address");
	r = query(false, HOST_IP, 8080, out, sizeof out, 2000);
	is_int(r, 0, "tcp host address " HOST_IP ":8080 connects");
	is_str(out, "port=80 peer=" HOST_IP, "... reaches the container's port 80");
	r = query(false, GW, 9005, out, sizeof out, 2000);
	is_int(r, 0, "tcp " GW ":9005 (run 9000-9010 -> 7000-7010) connects");
	is_str(out, "port=7005 peer=" GW, "... reaches port 7005: the run keeps its offset");
	r = query(true, "127.0.0.1", 5001, out, sizeof out, 2000);
	is_int(r, 0, "udp 127.0.0.1:5001 (run 5000-5005, same ports) answers");
	is_str(out, "port=5001 peer=" GW, "... from the container's port 5001");
	r = query(false, HOST_IP, 443, out, sizeof out, 2000);
	is_int(r, 0, "tcp " HOST_IP ":443 (rule for that host IP only) connects");
	is_str(out, "port=443 peer=" HOST_IP, "... reaches the container's port 443");
	r = query(false, GW, 443, out, sizeof out, 2000);
	is_int(r, -ECONNREFUSED, "tcp " GW ":443 is not published (host IP rule): refused");
	r = ns_query("ctr", false, HOST_IP, 8080, out, sizeof out, 2000);
	is_int(r, 0, "hairpin: the container reaches itself through " HOST_IP ":8080");
	is_str(out, "port=80 peer=" GW, "... masqueraded to the bridge address");
	r = ns_query("ctr2", false, HOST_IP, 8080, out, sizeof out, 2000);
	is_int(r, 0, "another container reaches A through " HOST_IP ":8080");
	is_str(out, "port=80 peer=" GW, "... masqueraded to the bridge address");
}

static void test_drop_and_del(struct nat *nat)
{
	/* ida: its DNAT rules + link rules where it is the peer (from test_rules_and_traffic).
	 * Add: idc's DNAT rules, a link idc -> idb, a link ida -> idc (ida as owner). */
	struct nat_rule add[] = {
		dnat(idc, CTR_TCP, NULL, 8100, 8100, CB, 80),
		dnat(idc, CTR_UDP, NULL, 8101, 8101, CB, 53),
		link_rule(idc, idb, CTR_TCP, CB, CA, 80, 80),
		link_rule(ida, idc, CTR_TCP, CA, CB, 5000, 5000),
	};
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply: rules of another container");
	char *s = rules();
	int a0 = count_substr(s, ida), c0 = count_substr(s, idc);
	free(s);
	is_int(a0, B->a_rules, "%s", B->a_rules_say);

	int before = n_commits;
	is_int(apply_drop(nat, ida), 0, "apply: drop container A");
	commits_are(before, &B->drop);
	s = rules();
	is_int(count_substr(s, ida), 0, "no rule names A any more (as owner or peer)");
	is_int(count_substr(s, idc), c0 - 1, "the rules of C not naming A are all still there");
	free(s);
	check_base("after drop");
	list_check(nat, add, 3, "exactly C's two DNAT rules and the link C -> B");

	before = n_commits;
	is_int(apply_drop(nat, ida), 0, "drop A again");
	commits_are(before, &B->drop_again);

	/* Remove exactly one rule; an absent one is not an error. */
	struct nat_rule del[] = { add[1], dnat(idc, CTR_TCP, NULL, 1, 1, CB, 1) };
	before = n_commits;
	is_int(apply_del(nat, del, 2), 0, "apply: delete one rule and one absent rule");
	commits_are(before, &B->del);
	after_del();
	struct nat_rule left[] = { add[0], add[2] };
	list_check(nat, left, 2, "the deleted rule is gone, the others stay");

	/* A run grows by a port (as publishing does): the old run goes, the new one comes, in
	 * one change. */
	struct nat_rule run3 = dnat(idc, CTR_TCP, NULL, 8200, 8202, CB, 80);
	struct nat_rule run4 = dnat(idc, CTR_TCP, NULL, 8200, 8203, CB, 80);
	is_int(apply_add(nat, &run3, 1), 0, "apply: a run of 3 ports");
	struct nat_txn grow = { .del = &run3, .n_del = 1, .add = &run4, .n_add = 1 };
	before = n_commits;
	is_int(ops->apply(nat, &grow), 0, "apply: delete it and add a run of 4, same ports");
	commits_are(before, &B->grow);
	struct nat_rule left2[] = { add[0], run4, add[2] };
	list_check(nat, left2, 3, "the run of 4");
	is_int(apply_drop(nat, idc), 0, "drop C");
	list_check(nat, NULL, 0, "empty");
}

static void test_big(struct nat *nat)
{
	size_t n = B->big_n;
	struct nat_rule *v = calloc(n, sizeof *v);
	if (!v)
		exit(2);
	for (size_t i = 0; i < n; i++)
		v[i] = dnat(idd, i % 2 ? CTR_UDP : CTR_TCP, NULL, (uint16_t)(20000 + i),
			    (uint16_t)(20000 + i), CB, (uint16_t)(1000 + i));
	int before = n_commits;
	double t0 = now_ms();
	is_int(apply_add(nat, v, n), 0, "apply: %zu DNAT rules", n);
	double t1 = now_ms();
	commits_are(before, &B->big_add);
	char *s = rules();
	is_int(count_substr(s, idd), (long long)n, "the rules show all %zu", n);
	char line[512];
	dnat_line(line, sizeof line, &v[n - 1]);
	is_int(count_line(s, line), 1, "... the last one as expected: %s", line);
	free(s);
	list_check(nat, v, n, "the rules, in order");
	before = n_commits;
	double t2 = now_ms();
	is_int(apply_drop(nat, idd), 0, "drop their container");
	double t3 = now_ms();
	commits_are(before, &B->big_drop);
	s = rules();
	is_int(count_substr(s, idd), 0, "... all %zu gone", n);
	free(s);
	diag("apply of %zu DNAT rules: %.2f ms; drop of their container: %.2f ms", n, t1 - t0,
	     t3 - t2);
	free(v);
}

/* Many deletions at once (iptables: the chain is rebuilt), with a rule of someone else among
 * ours: the rules that stay are intact, the foreign one too. */
static void test_many_link_deletions(struct nat *nat)
{
	struct nat_rule v[45];
	for (int i = 0; i < 45; i++) {
		char src[16];
		snprintf(src, sizeof src, "10.77.0.%d", 100 + i);
		v[i] = i < 40 ? link_rule(ide, idf, CTR_TCP, src, CA, (uint16_t)(100 + i),
					  (uint16_t)(100 + i)) :
				link_rule(idg, idf, CTR_SCTP, src, CB, 9, 9);
	}
	is_int(apply_add(nat, v, 45), 0, "apply: 45 LINK rules");
	foreign_link_add();
	is_int(apply_drop(nat, ide), 0, "drop the owner of 40 of them");
	char *s = rules();
	is_int(count_substr(s, ide), 0, "the 40 rules are gone");
	int acc = 0;
	for (int i = 40; i < 45; i++) {
		char line[512];
		link_line(line, sizeof line, &v[i]);
		acc += count_line(s, line);
	}
	is_int(acc, 5, "the 5 others are intact");
	foreign_link_check(s);
	free(s);
	list_check(nat, v + 40, 5, "the 5, not the foreign rule");
	is_int(apply_drop(nat, idf), 0, "drop the peer of the 5 others");
	s = rules();
	is_int(count_substr(s, idg), 0, "... they are gone (dropped as peer)");
	free(s);
	foreign_link_del();
}

static void test_invalid(struct nat *nat)
{
	char *s0 = snapshot();
	struct nat_rule bad[] = {
		dnat(idh, CTR_TCP, NULL, 7100, 7100, CB, 80),
		dnat("abc", CTR_TCP, NULL, 7101, 7101, CB, 80),
	};
	int before = n_commits;
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a rule with a short owner ID fails");
	ok(strstr(ctr_err_msg(), "owner") != NULL, "... clear message: %s", ctr_err_msg());
	is_int(n_commits - before, 0, "... nothing committed");
	bad[1] = dnat(idh, CTR_TCP, NULL, 7101, 7100, CB, 80);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a backwards port range fails");
	bad[1] = dnat(idh, CTR_TCP, NULL, 65000, 65010, CB, 65530);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a container port run past 65535 fails");
	bad[1] = dnat(idh, 7, NULL, 7101, 7101, CB, 80);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: an unknown protocol fails");
	bad[1] = link_rule(idh, "", CTR_TCP, CA, CB, 80, 80);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a link without peer fails");
	bad[1] = dnat6(idh, CTR_TCP, NULL, 80, 80, CA6, 80);
	is_int(apply_add(nat, bad, 2), -EAFNOSUPPORT,
	       "apply: an IPv6 rule on a network without IPv6 subnet fails");
	ok(strstr(ctr_err_msg(), "IPv6") != NULL, "... clear message: %s", ctr_err_msg());
	bad[1] = dnat6(idh, CTR_TCP, NULL, 80, 80, NULL, 80);
	bad[1].family = 77;
	is_int(apply_add(nat, bad, 2), -EAFNOSUPPORT, "apply: an unknown family fails");
	const char *ids[] = { "f00" };
	struct nat_txn t = { .drop_ids = ids, .n_drop_ids = 1 };
	is_int(ops->apply(nat, &t), -EINVAL, "apply: dropping a short ID fails");
	is_int(n_commits - before, 0, "... no commit for any of them");
	char *s1 = snapshot();
	is_str(s1, s0, "... and nothing changed");
	free(s0);
	free(s1);
}

static void test_isolation(struct nat *nat)
{
	if (access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) != 0) {
		ok(1, "# SKIP br_netfilter not available: no traffic test of the link rules");
		return;
	}
	char *nfcall = capture("cat /proc/sys/net/bridge/bridge-nf-call-iptables");
	sh("echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables");
	struct nat *iso = NULL;
	is_int(open_nat(&iso, false, false), 0, "open with icc=false");
	if (!iso) {
		free(nfcall);
		return;
	}
	int before = n_commits;
	is_int(ops->ensure_base(iso), 0, "ensure_base with icc=false");
	commits_are(before, &B->iso_base);
	iso_check();

	char out[256];
	int r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 1000);
	is_int(r, -ETIMEDOUT, "isolated: B cannot reach A:5432 (dropped)");
	struct nat_rule l[] = { link_rule(idb, ida, CTR_TCP, CB, CA, 5432, 5432) };
	is_int(apply_add(iso, l, 1), 0, "apply: link B -> A, port 5432");
	r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 2000);
	is_int(r, 0, "linked: B reaches A:5432 through the link rule");
	is_str(out, "port=5432 peer=" CB, "... directly, not masqueraded");
	r = ns_query("ctr2", false, CA, 80, out, sizeof out, 1000);
	is_int(r, -ETIMEDOUT, "linked: B still cannot reach A:80 (not linked)");
	is_int(apply_drop(iso, ida), 0, "drop A");
	r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 1000);
	is_int(r, -ETIMEDOUT, "after the drop, B cannot reach A:5432 any more");
	ops->close(iso);
	is_int(ops->ensure_base(nat), 0, "ensure_base with icc=true again");
	r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 2000);
	is_int(r, 0, "icc: B reaches A:5432 without a link");
	sh("echo %d > /proc/sys/net/bridge/bridge-nf-call-iptables", atoi(nfcall));
	free(nfcall);
}

static void test_remove_all(struct nat *nat)
{
	remove_all_pre(nat);
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7400, 7400, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	is_int(apply_add(nat, a, 2), 0, "some per-container rules");
	int before = n_commits;
	is_int(ops->remove_all(nat), 0, "remove_all");
	commits_are(before, &B->remove);
	is_int(ours_left(), 0, "no table, chain, jump, set, rule or element of ours is left");
	check_user_rules("after remove_all");
	before = n_commits;
	is_int(ops->remove_all(nat), 0, "remove_all again: not an error");
	commits_are(before, &B->remove_again);
	list_check(nat, NULL, 0, "without our rules: empty");
}

/* The whole sequence, in a private world; the TAP program's exit status. */
static int natsuite_main(const struct backend *b)
{
	B = b;
	ops = b->ops;
	make_id(ida, 'a');
	make_id(idb, 'b');
	make_id(idc, 'c');
	make_id(idd, 'd');
	make_id(ide, 'e');
	make_id(idf, 'f');
	make_id(idg, '1');
	make_id(idh, '2');
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (network and mount namespaces)\n");
		return 0;
	}
	char *host0 = host_firewall();
	int host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	/* A private world: network namespace, mount namespace, /run on a tmpfs. */
	bool priv = unshare(CLONE_NEWNET | CLONE_NEWNS) == 0 &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
		    private_tmpfs("/run", "mode=0755") == 0;
	if (!ok(priv, "private network and mount namespace, /run on a tmpfs")) {
		free(host0);
		return done_testing();
	}
	if (b->v6)
		ok(setup_network(true), "bridge " BR ", containers A " CA " / " CA6 " and B " CB
		   " / " CB6 " in netns");
	else
		ok(setup_network(false), "bridge " BR ", containers A " CA " and B " CB " in netns");
	const uint16_t tcp[] = { 80, 443, 7005, 5432 }, udp[] = { 5001 };
	pid_t svc = start_service("ctr", tcp, ARRAY_SIZE(tcp), udp, ARRAY_SIZE(udp));
	ok(svc > 0, "services in container A: tcp 80 443 7005 5432, udp 5001");
	bool users = true;
	for (size_t i = 0; i < b->n_user_cmds; i++)
		users &= sh("%s", b->user_cmds[i]) == 0;
	ok(users, "the user's own rules, chains and tables");
	setup();

	int mfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons(7777) };
	la.sin_addr.s_addr = ip4("127.0.0.1");
	ok(mfd >= 0 && bind(mfd, (struct sockaddr *)&la, sizeof la) == 0,
	   "a host service on 127.0.0.1:7777 (udp)");

	test_open_errors();
	struct nat *nat = NULL;
	is_int(open_nat(&nat, true, false), 0, "open " BR " 10.77.0.0/24");
	if (!nat)
		return done_testing();
	test_martian(mfd, true);
	test_base(nat);
	test_martian(mfd, false);
	test_rules_and_traffic(nat);
	test_drop_and_del(nat);
	after_drop_and_del();
	test_big(nat);
	test_many_link_deletions(nat);
	test_invalid(nat);
	extras(nat);
	check_user_rules("after all operations");
	after_user_check(nat);
	test_isolation(nat);
	after_isolation(nat);
	test_remove_all(nat);
	is_int(ops->ensure_base(nat), 0, "ensure_base after remove_all");
	bench(nat);
	ops->close(nat);
	close(mfd);
	if (svc > 0) {
		kill(svc, SIGKILL);
		waitpid(svc, NULL, 0);
	}

	/* Back in the host's network namespace: its firewall did not change. */
	if (host_ns >= 0 && setns(host_ns, CLONE_NEWNET) == 0) {
		char *host1 = host_firewall();
		is_str(host1, host0, "the host's firewall (iptables-legacy-save, nft) is the "
		       "same");
		free(host1);
	} else {
		ok(0, "could not go back to the host's network namespace");
	}
	if (host_ns >= 0)
		close(host_ns);
	free(host0);
	return done_testing();
}

#endif
