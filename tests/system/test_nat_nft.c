/* System test of the nftables NAT backend (lib/sys/nat_nft.c), in a private network + mount
 * namespace: what it writes is read back with nft (text and JSON), and real TCP/UDP traffic,
 * IPv4 and IPv6, goes through it to a listener in a "container" namespace behind a bridge.
 *
 * Only this test runs commands (nft, ip, iptables-legacy); the library never does.  It defines
 * sendto() to count the nfnetlink batches the library sends (one per change) and to play an
 * older kernel or a concurrent writer on purpose. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
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

#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "private.h"
#include "tap.h"

#include "core/model.h"
#include "core/nat.h"
#include "core/util.h"

#define ETH_P_IP_ 0x0800
#define NFT_TYPE(t) ((NFNL_SUBSYS_NFTABLES << 8) | (t))
#define MSG_DESTROYSETELEM_ 30

#define BR "ctrtest0"
#define TABLE "inet ctrlink_" BR
#define BR_MAC "02:00:00:77:00:01"
#define GW "10.77.0.1"
#define CA "10.77.0.2" /* container A (netns ctr) */
#define CB "10.77.0.3" /* container B (netns ctr2) */
#define HOST_IP "192.0.2.1"
#define GW6 "fd00:77::1"
#define CA6 "fd00:77::2"
#define CB6 "fd00:77::3"
#define HOST_IP6 "2001:db8::1"

static const struct nat_ops *ops = &nat_nftables_ops;

/* ---- counting and disturbing batches ------------------------------------------------------ */

static int n_batch;        /* nfnetlink batches seen */
static int n_destroy;      /* DESTROYSETELEM messages seen */
static bool old_kernel;    /* make DESTROYSETELEM unknown to the kernel, as before 6.3 */
static int stale_genid;    /* make the next N batches that carry a generation carry a stale one */

static bool is_netlink(int fd)
{
	int dom = 0;
	socklen_t l = sizeof dom;
	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 && dom == AF_NETLINK;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	const struct nlmsghdr *h = buf;
	if (len < sizeof *h || h->nlmsg_type != NFNL_MSG_BATCH_BEGIN || !is_netlink(fd))
		return (ssize_t)syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
	n_batch++;
	char *copy = malloc(len);
	if (!copy)
		return -1;
	memcpy(copy, buf, len);
	size_t left = len;
	for (struct nlmsghdr *m = (struct nlmsghdr *)copy; NLMSG_OK(m, left);
	     m = NLMSG_NEXT(m, left)) {
		if (m->nlmsg_type == NFT_TYPE(MSG_DESTROYSETELEM_)) {
			n_destroy++;
			if (old_kernel)
				m->nlmsg_type = NFT_TYPE(0xff); /* unknown to the kernel */
		}
		size_t hl = NLMSG_LENGTH(sizeof(struct nfgenmsg));
		if (m->nlmsg_type == NFNL_MSG_BATCH_BEGIN && stale_genid > 0 &&
		    m->nlmsg_len >= hl + NLA_HDRLEN + 4) {
			struct nlattr *a = (struct nlattr *)((char *)m + hl);
			if (a->nla_type == NFNL_BATCH_GENID) {
				uint32_t *g = (uint32_t *)((char *)a + NLA_HDRLEN);
				*g = htonl(ntohl(*g) - 1);
				stale_genid--;
			}
		}
	}
	ssize_t r = (ssize_t)syscall(SYS_sendto, fd, copy, len, flags, to, tolen);
	int e = errno;
	free(copy);
	errno = e;
	return r;
}

/* ---- helpers ------------------------------------------------------------------------------ */

PRINTF(1, 2) static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	fflush(stdout);
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	if (WEXITSTATUS(st))
		diag("command failed (%d): %s", WEXITSTATUS(st), cmd);
	return WEXITSTATUS(st);
}

PRINTF(1, 2) static int sh_q(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	fflush(stdout);
	int st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
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

/* Our table as nft prints it, every line without its indentation. */
static char *table_text(void)
{
	return capture("nft list table " TABLE " 2>&1 | sed -e 's/^[[:space:]]*//'");
}

/* The whole ruleset as nft prints it (for "nothing changed"). */
static char *ruleset(void)
{
	return capture("nft list ruleset 2>&1; iptables-legacy-save 2>&1 | grep -v '^#' | "
		       "sed -e 's/\\[[0-9]*:[0-9]*\\]//g'");
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

/* The body of "chain <name> {" in table_text(): its lines, up to the closing brace. */
static char *chain_body(const char *text, const char *name)
{
	char head[128];
	snprintf(head, sizeof head, "chain %s {\n", name);
	const char *p = strstr(text, head);
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	if (p) {
		p += strlen(head);
		const char *end = strstr(p, "\n}");
		if (end)
			sb_addn(&sb, p, (size_t)(end - p));
	}
	return sb_finish(&sb);
}

static void jval(struct sbuf *sb, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		sb_add(sb, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		sb_addf(sb, "%d", v->valueint);
	} else if (cJSON_IsObject(v) && cJSON_GetObjectItem(v, "concat")) {
		const cJSON *c;
		bool first = true;
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(v, "concat")) {
			if (!first)
				sb_add(sb, " . ");
			jval(sb, c);
			first = false;
		}
	} else if (cJSON_IsObject(v) && cJSON_GetObjectItem(v, "elem")) {
		const cJSON *e = cJSON_GetObjectItem(v, "elem");
		jval(sb, cJSON_GetObjectItem(e, "val"));
		const cJSON *cm = cJSON_GetObjectItem(e, "comment");
		if (cJSON_IsString(cm))
			sb_addf(sb, " # %s", cm->valuestring);
	} else {
		sb_add(sb, "?");
	}
}

/* Every element of every set and map of a table (nft -j), one per line:
 * "<set>: <key> [# <comment>][ : <data>]". */
static char *table_elements(const char *table)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "nft -j list table %s 2>/dev/null", table);
	char *js = capture(cmd);
	cJSON *root = cJSON_Parse(js);
	free(js);
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	const cJSON *o;
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "nftables")) {
		const cJSON *s = cJSON_GetObjectItem(o, "set");
		if (!s)
			s = cJSON_GetObjectItem(o, "map");
		if (!s)
			continue;
		const char *name = cJSON_GetObjectItem(s, "name")->valuestring;
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "elem")) {
			sb_addf(&sb, "%s: ", name);
			if (cJSON_IsArray(e)) { /* a map: [key, data] */
				jval(&sb, cJSON_GetArrayItem(e, 0));
				sb_add(&sb, " : ");
				jval(&sb, cJSON_GetArrayItem(e, 1));
			} else {
				jval(&sb, e);
			}
			sb_add(&sb, "\n");
		}
	}
	cJSON_Delete(root);
	return sb_finish(&sb);
}

static char *elements(void)
{
	return table_elements(TABLE);
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

static struct nat_rule link6(const char *owner, const char *peer, uint8_t proto,
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
static bool list_is(struct nat *nat, const struct nat_rule *want, size_t n)
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

/* Packets counted by a counter rule of the test's own table "ip probe" in chain `chain`. */
static long probe_count(const char *chain)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "nft list chain ip probe %s 2>/dev/null", chain);
	char *s = capture(cmd);
	const char *p = strstr(s, "counter packets ");
	long n = p ? strtol(p + strlen("counter packets "), NULL, 10) : -1;
	free(s);
	return n;
}

static bool martian_arrives(int fd, int ms)
{
	char buf[64];
	if (wait_fd(fd, POLLIN, ms) < 0)
		return false;
	return recv(fd, buf, sizeof buf, 0) > 0;
}

/* ---- the test ------------------------------------------------------------------------------ */

static char ida[65], idb[65], idc[65], idd[65], ide[65], idf[65], idg[65], idh[65];

/* The base layout for icc on, IPv4 only: chain -> its body as nft prints it. */
static const char *const base_chains[][2] = {
	{ "published", "dnat ip to ip daddr . meta l4proto . th dport map @dnat4_ip\n"
		       "meta nfproto ipv4 dnat ip to meta l4proto . th dport map @dnat4_any" },
	{ "prerouting", "type nat hook prerouting priority dstnat; policy accept;\n"
			"fib daddr type local jump published" },
	{ "output", "type nat hook output priority -100; policy accept;\n"
		    "fib daddr type local jump published" },
	{ "postrouting",
	  "type nat hook postrouting priority srcnat; policy accept;\n"
	  "ip saddr 10.77.0.0/24 ip daddr 10.77.0.0/24 oifname \"" BR "\" ct status dnat "
	  "masquerade\n"
	  "ip saddr 127.0.0.0/8 oifname \"" BR "\" masquerade\n"
	  "ip saddr 10.77.0.0/24 oifname != \"" BR "\" masquerade" },
	{ "forward",
	  "type filter hook forward priority filter; policy accept;\n"
	  "oifname \"" BR "\" ct state established,related accept\n"
	  "oifname \"" BR "\" ct status dnat accept\n"
	  "iifname \"" BR "\" oifname \"" BR "\" ip saddr . ip daddr . meta l4proto . th dport "
	  "@links4 accept\n"
	  "iifname \"" BR "\" oifname \"" BR "\" accept\n"
	  "iifname \"" BR "\" oifname != \"" BR "\" accept\n"
	  "oifname \"" BR "\" drop" },
	{ "raw_prerouting", "type filter hook prerouting priority raw; policy accept;\n"
			    "ip daddr 127.0.0.0/8 iifname != \"lo\" drop" },
};

static const char *const set_types[] = {
	"type inet_proto . inet_service : ipv4_addr . inet_service",
	"type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service",
	"type inet_proto . inet_service : ipv6_addr . inet_service",
	"type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service",
	"type ipv4_addr . ipv4_addr . inet_proto . inet_service",
	"type ipv6_addr . ipv6_addr . inet_proto . inet_service",
};

static void check_base(const char *when)
{
	char *s = table_text();
	for (size_t i = 0; i < ARRAY_SIZE(base_chains); i++) {
		char *body = chain_body(s, base_chains[i][0]);
		is_str(body, base_chains[i][1], "%s: chain %s is exactly the layout", when,
		       base_chains[i][0]);
		free(body);
	}
	for (size_t i = 0; i < ARRAY_SIZE(set_types); i++)
		is_int(count_line(s, set_types[i]), 1, "%s: set once: %s", when, set_types[i]);
	is_int(count_substr(s, "\nchain "), (long long)ARRAY_SIZE(base_chains),
	       "%s: no other chain", when);
	free(s);
}

/* The user's own firewall, which must survive everything: iptables-legacy rules, and another
 * program's nftables table with a set, elements and chains on the same hooks. */
static const char *user_cmds[] = {
	("iptables-legacy -w -t nat -A PREROUTING -p tcp --dport 2222 -j DNAT "
	 "--to-destination 10.9.9.9:22"),
	"iptables-legacy -w -N USERCHAIN",
	"iptables-legacy -w -A USERCHAIN -s 1.2.3.4/32 -j DROP",
	"iptables-legacy -w -A FORWARD -j USERCHAIN",
	("nft -f - <<'EOF'\n"
	 "table inet userfw {\n"
	 "  set blocked { type ipv4_addr; elements = { 1.2.3.4, 5.6.7.8 }; }\n"
	 "  map ports { type inet_service : ipv4_addr; elements = { 2222 : 10.9.9.9 }; }\n"
	 "  chain user_forward { type filter hook forward priority 10; policy accept;\n"
	 "    ip saddr @blocked drop; }\n"
	 "  chain user_prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
	 "    dnat ip to tcp dport map @ports; }\n"
	 "}\n"
	 "EOF"),
};

static char *user_fw(void)
{
	return capture("{ nft list table inet userfw; iptables-legacy-save; } 2>&1 | "
		       "grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//g' | grep -v CTRLINK");
}

static char *user0;

static void check_user_rules(const char *when)
{
	char *s = user_fw();
	is_str(s, user0, "%s: the user's iptables rules and nftables table (its elements too) "
	       "are unchanged", when);
	free(s);
}

static bool setup_network(void)
{
	bool r = true;
	r &= sh("ip link set lo up") == 0;
	r &= sh("ip link add " BR " type bridge && ip link set " BR " address " BR_MAC) == 0;
	r &= sh("ip addr add " GW "/24 dev " BR " && ip -6 addr add " GW6 "/64 dev " BR
		" nodad && ip link set " BR " up") == 0;
	if (sh_q("ip link add dummy0 type dummy 2>/dev/null") == 0)
		r &= sh("ip addr add " HOST_IP "/24 dev dummy0 && ip -6 addr add " HOST_IP6
			"/64 dev dummy0 nodad && ip link set dummy0 up") == 0;
	else
		r &= sh("ip addr add " HOST_IP "/32 dev lo && ip -6 addr add " HOST_IP6
			"/128 dev lo nodad") == 0;
	const char *ns[2] = { "ctr", "ctr2" }, *addr[2] = { CA, CB }, *addr6[2] = { CA6, CB6 };
	for (int i = 0; i < 2; i++) {
		r &= sh("ip netns add %s", ns[i]) == 0;
		r &= sh("ip link add vh%d type veth peer name vc%d", i, i) == 0;
		r &= sh("ip link set vh%d master " BR " up", i) == 0;
		/* Hairpin on the port (the link module's job, as Docker does). */
		r &= sh("bridge link set dev vh%d hairpin on", i) == 0;
		r &= sh("ip link set vc%d netns %s", i, ns[i]) == 0;
		r &= sh("ip -n %s link set lo up && ip -n %s addr add %s/24 dev vc%d && "
			"ip -n %s -6 addr add %s/64 dev vc%d nodad && "
			"ip -n %s link set vc%d up && ip -n %s route add default via " GW " && "
			"ip -n %s -6 route add default via " GW6,
			ns[i], ns[i], addr[i], i, ns[i], addr6[i], i, ns[i], i, ns[i], ns[i]) == 0;
	}
	/* What the rtnetlink module does for a bridge (not the NAT module's business). */
	r &= sh("echo 1 > /proc/sys/net/ipv4/ip_forward") == 0;
	r &= sh("echo 1 > /proc/sys/net/ipv6/conf/all/forwarding") == 0;
	r &= sh("echo 1 > /proc/sys/net/ipv4/conf/" BR "/route_localnet") == 0;
	usleep(300000);
	return r;
}

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
	int before = n_batch;
	is_int(ops->open(&nat, &net), 0, "open: a 15-character bridge name is accepted");
	is_int(n_batch - before, 0, "open: does not touch the kernel");
	ops->close(nat);
	net.subnet = ip4("10.77.0.5");
	is_int(ops->open(&nat, &net), -EINVAL, "open: a subnet with host bits is refused");
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
	int before = n_batch;
	is_int(ops->ensure_base(nat), 0, "ensure_base");
	is_int(n_batch - before, 1, "ensure_base: one batch");
	before = n_batch;
	is_int(ops->ensure_base(nat), 0, "ensure_base again");
	is_int(n_batch - before, 0, "ensure_base again: nothing to change, no batch");
	check_base("ensure_base");
	char *s = capture("nft list tables");
	is_str(s, "table inet userfw\ntable ip probe\ntable " TABLE "\n",
	       "one table of ours, beside the user's");
	free(s);
}

static void test_martian(int udp_fd, bool before_base)
{
	long d0 = probe_count("early"), l0 = probe_count("late");
	ok(send_martian("ctr", "vc0", 7777) == 0, "sent a packet to 127.0.0.1:7777 from the "
	   "container's wire (%s the raw rule)", before_base ? "before" : "with");
	bool arrived = martian_arrives(udp_fd, 700);
	long d1 = probe_count("early"), l1 = probe_count("late");
	if (before_base) {
		ok(arrived, "control: without our raw rule it reaches the host's 127.0.0.1:7777");
		return;
	}
	ok(!arrived, "with our raw rule it does not reach the host's 127.0.0.1:7777");
	ok(d1 == d0 + 1 && l1 == l0, "our raw_prerouting rule dropped it: counted before our "
	   "priority (%ld -> %ld), not after (%ld -> %ld)", d0, d1, l0, l1);
}

static void test_rules_and_traffic(struct nat *nat)
{
	struct nat_rule add[] = {
		dnat(ida, CTR_TCP, NULL, 8080, 8080, CA, 80),      /* single port */
		dnat(ida, CTR_TCP, NULL, 9000, 9010, CA, 7000),    /* a run with offset */
		dnat(ida, CTR_UDP, NULL, 5000, 5005, CA, 5000),    /* a run, equal ports (udp) */
		dnat(ida, CTR_TCP, HOST_IP, 443, 443, CA, 443),    /* specific host IP */
		dnat(ida, CTR_SCTP, NULL, 3868, 3868, CA, 3869),   /* sctp */
		link_rule(idb, ida, CTR_TCP, CB, CA, 5432, 5432),  /* B linked to A */
		link_rule(idb, ida, CTR_UDP, CB, CA, 6000, 6002),
	};
	int before = n_batch;
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply: DNAT and LINK rules added");
	is_int(n_batch - before, 1, "apply: one batch");
	char *s = elements();
	char line[512];
	snprintf(line, sizeof line, "dnat4_any: tcp . 8080 # ctrlink:%s : " CA " . 80", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	int run = 0;
	for (int i = 0; i <= 10; i++) {
		snprintf(line, sizeof line, "dnat4_any: tcp . %d # ctrlink:%s : " CA " . %d",
			 9000 + i, ida, 7000 + i);
		run += count_line(s, line);
	}
	is_int(run, 11, "the run 9000-9010 -> 7000-7010 is 11 elements, each with its offset");
	run = 0;
	for (int i = 0; i <= 5; i++) {
		snprintf(line, sizeof line, "dnat4_any: udp . %d # ctrlink:%s : " CA " . %d",
			 5000 + i, ida, 5000 + i);
		run += count_line(s, line);
	}
	is_int(run, 6, "the udp run 5000-5005 is 6 elements");
	snprintf(line, sizeof line, "dnat4_ip: " HOST_IP " . tcp . 443 # ctrlink:%s : " CA " . 443",
		 ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "dnat4_any: sctp . 3868 # ctrlink:%s : " CA " . 3869", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "links4: " CB " . " CA " . tcp . 5432 # %s%s", idb, ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	is_int(count_substr(s, "\n"), 1 + 11 + 6 + 1 + 1 + 1 + 3, "24 elements in all");
	free(s);

	s = elements();
	before = n_batch;
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply the same adds again");
	is_int(n_batch - before, 1, "... one batch (no reading)");
	struct nat_rule twice[] = { add[0], add[0] };
	is_int(apply_add(nat, twice, 2), 0, "apply: a rule given twice in one txn");
	char *s2 = elements();
	is_str(s2, s, "... the elements are the same: none is there twice");
	free(s);
	free(s2);

	ok(list_is(nat, add, ARRAY_SIZE(add)), "list: the rules added, runs coalesced back as "
	   "natplan makes them");

	/* ---- real traffic through the maps ---- */
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
	struct nat_rule add[] = {
		dnat(idc, CTR_TCP, NULL, 8100, 8100, CB, 80),
		dnat(idc, CTR_UDP, NULL, 8101, 8101, CB, 53),
		link_rule(idc, idb, CTR_TCP, CB, CA, 80, 80),
		link_rule(ida, idc, CTR_TCP, CA, CB, 5000, 5000),
	};
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply: rules of another container");
	char *s = elements();
	int a0 = count_substr(s, ida), c0 = count_substr(s, idc);
	free(s);
	is_int(a0, 20 + 4 + 1, "container A's ID is on 25 elements (20 DNAT, 4 + 1 link)");

	int before = n_batch;
	is_int(apply_drop(nat, ida), 0, "apply: drop container A");
	is_int(n_batch - before, 1, "drop: one batch");
	s = elements();
	is_int(count_substr(s, ida), 0, "no element names A any more (as owner or peer)");
	is_int(count_substr(s, idc), c0 - 1, "the elements of C not naming A are all still there");
	free(s);
	check_base("after drop");
	ok(list_is(nat, add, 3), "list: exactly C's two DNAT rules and the link C -> B");

	before = n_batch;
	is_int(apply_drop(nat, ida), 0, "drop A again");
	is_int(n_batch - before, 0, "... nothing to delete, no batch");

	struct nat_rule del[] = { add[1], dnat(idc, CTR_TCP, NULL, 1, 1, CB, 1) };
	before = n_batch;
	int nd = n_destroy;
	is_int(apply_del(nat, del, 2), 0, "apply: delete one rule and one absent rule");
	is_int(n_batch - before, 1, "... one batch, no reading (absent is not an error)");
	ok(n_destroy > nd, "... with DESTROYSETELEM (this kernel has it)");
	struct nat_rule left[] = { add[0], add[2] };
	ok(list_is(nat, left, 2), "list: the deleted rule is gone, the others stay");

	/* A run grows by a port (as publishing does): the old run goes, the new one comes, in
	 * one batch; the same keys are deleted and added again. */
	struct nat_rule run3 = dnat(idc, CTR_TCP, NULL, 8200, 8202, CB, 80);
	struct nat_rule run4 = dnat(idc, CTR_TCP, NULL, 8200, 8203, CB, 80);
	is_int(apply_add(nat, &run3, 1), 0, "apply: a run of 3 ports");
	struct nat_txn grow = { .del = &run3, .n_del = 1, .add = &run4, .n_add = 1 };
	before = n_batch;
	is_int(ops->apply(nat, &grow), 0, "apply: delete it and add a run of 4, same ports");
	is_int(n_batch - before, 1, "... one batch");
	struct nat_rule left2[] = { add[0], add[2], run4 };
	ok(list_is(nat, left2, 3), "list: the run of 4");
	is_int(apply_drop(nat, idc), 0, "drop C");
	ok(list_is(nat, NULL, 0), "list: empty");
}

/* An older kernel (no DESTROYSETELEM, as Debian 12's 6.1): deleting absent elements works,
 * through the reading path. */
static void test_old_kernel(void)
{
	struct nat *nat = NULL;
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7500, 7502, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	struct nat_rule absent = dnat(idh, CTR_UDP, NULL, 7600, 7600, CB, 80);
	is_int(open_nat(&nat, true, false), 0, "old kernel: a new handle");
	if (!nat)
		return;
	is_int(apply_add(nat, a, 2), 0, "old kernel: add some rules");
	old_kernel = true;
	int before = n_batch;
	is_int(apply_del(nat, a, 1), 0, "old kernel: delete present elements");
	is_int(n_batch - before, 2, "... DESTROYSETELEM refused (EINVAL), then DELSETELEM: "
	       "2 batches");
	ok(list_is(nat, a + 1, 1), "... deleted");
	struct nat_rule both[] = { a[1], absent };
	before = n_batch;
	is_int(apply_del(nat, both, 2), 0, "old kernel: delete one present and one absent rule");
	is_int(n_batch - before, 2, "... DELSETELEM of the absent one fails (ENOENT): read, then "
	       "a batch of the present one");
	ok(list_is(nat, NULL, 0), "... both gone, nothing else touched");
	before = n_batch;
	is_int(apply_del(nat, both, 2), 0, "old kernel: delete two absent rules");
	is_int(n_batch - before, 1, "... refused, read: nothing to send");
	old_kernel = false;
	ops->close(nat);
}

static void test_big(struct nat *nat)
{
	size_t n = 10000;
	struct nat_rule *v = calloc(n, sizeof *v);
	if (!v)
		exit(2);
	for (size_t i = 0; i < n; i++)
		v[i] = dnat(idd, i % 2 ? CTR_UDP : CTR_TCP, NULL, (uint16_t)(20000 + i),
			    (uint16_t)(20000 + i), CB, (uint16_t)(1000 + i));
	int before = n_batch;
	double t0 = now_ms();
	is_int(apply_add(nat, v, n), 0, "apply: 10000 DNAT rules");
	double t1 = now_ms();
	is_int(n_batch - before, 1, "... in one batch");
	char *s = elements();
	is_int(count_substr(s, idd), 10000, "nft shows all 10000 elements");
	char line[512];
	snprintf(line, sizeof line, "dnat4_any: udp . 29999 # ctrlink:%s : " CB " . 10999", idd);
	is_int(count_line(s, line), 1, "... the last one as expected");
	free(s);
	ok(list_is(nat, v, n), "list: the 10000 rules");
	before = n_batch;
	double t2 = now_ms();
	is_int(apply_drop(nat, idd), 0, "drop their container");
	double t3 = now_ms();
	is_int(n_batch - before, 1, "... one batch");
	s = elements();
	is_int(count_substr(s, idd), 0, "... all 10000 gone");
	free(s);
	diag("apply of 10000 DNAT rules: %.2f ms; drop of their container: %.2f ms", t1 - t0,
	     t3 - t2);
	free(v);
}

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
	is_int(sh("nft add element " TABLE " links4 '{ 10.1.1.1 . 10.1.1.2 . tcp . 1 }'"), 0,
	       "an element of someone else (no comment) in our links4 set");
	is_int(apply_drop(nat, ide), 0, "drop the owner of 40 of them");
	char *s = elements();
	is_int(count_substr(s, ide), 0, "the 40 elements are gone");
	int acc = 0;
	for (int i = 40; i < 45; i++) {
		char line[512];
		snprintf(line, sizeof line, "links4: 10.77.0.%d . " CB " . sctp . 9 # %s%s",
			 100 + i, idg, idf);
		acc += count_line(s, line);
	}
	is_int(acc, 5, "the 5 others are intact");
	is_int(count_line(s, "links4: 10.1.1.1 . 10.1.1.2 . tcp . 1"), 1,
	       "the foreign element is still there");
	free(s);
	ok(list_is(nat, v + 40, 5), "list: the 5, not the foreign element");
	is_int(apply_drop(nat, idf), 0, "drop the peer of the 5 others");
	s = elements();
	is_int(count_substr(s, idg), 0, "... they are gone (dropped as peer)");
	free(s);
	sh("nft delete element " TABLE " links4 '{ 10.1.1.1 . 10.1.1.2 . tcp . 1 }'");
}

static void test_invalid(struct nat *nat)
{
	char *s0 = ruleset();
	struct nat_rule bad[] = {
		dnat(idh, CTR_TCP, NULL, 7100, 7100, CB, 80),
		dnat("abc", CTR_TCP, NULL, 7101, 7101, CB, 80),
	};
	int before = n_batch;
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a rule with a short owner ID fails");
	ok(strstr(ctr_err_msg(), "owner") != NULL, "... clear message: %s", ctr_err_msg());
	is_int(n_batch - before, 0, "... no batch");
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
	is_int(n_batch - before, 0, "... no batch for any of them");
	char *s1 = ruleset();
	is_str(s1, s0, "... and nothing changed");
	free(s0);
	free(s1);
}

/* What the kernel refuses, and changes that race with ours. */
static void test_batch_failures(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7200, 7201, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	is_int(apply_add(nat, a, 2), 0, "some rules");
	char *s0 = ruleset();
	/* One host port, two destinations: the kernel refuses the whole batch. */
	struct nat_rule clash[] = { dnat(idg, CTR_TCP, NULL, 7300, 7300, CA, 80),
				    link_rule(idg, idh, CTR_UDP, CB, CA, 9, 9),
				    dnat(idg, CTR_TCP, NULL, 7201, 7201, CA, 81) };
	is_int(apply_add(nat, clash, 3), -EEXIST, "apply: a host port published to another "
	       "destination fails with EEXIST");
	ok(strstr(ctr_err_msg(), "0.0.0.0:7201/tcp") != NULL &&
		   strstr(ctr_err_msg(), "published already") != NULL,
	   "... the message names the port: %s", ctr_err_msg());
	char *s = ruleset();
	is_str(s, s0, "... and nothing of the batch was applied (all or nothing)");
	free(s);

	/* Someone changes the ruleset between our reading and our batch: read again. */
	stale_genid = 1;
	int before = n_batch;
	is_int(apply_drop(nat, idh), 0, "drop, while the ruleset changes under it once");
	is_int(n_batch - before, 2, "... the kernel refused the stale batch (ERESTART), the "
	       "second one went through");
	ok(list_is(nat, NULL, 0), "... and it is done");
	is_int(apply_add(nat, a, 2), 0, "the rules again");
	stale_genid = 100;
	before = n_batch;
	is_int(apply_drop(nat, idh), 0, "drop, while the ruleset changes all the time");
	is_int(n_batch - before, 6, "... 5 batches refused, the 6th without a generation");
	ok(list_is(nat, NULL, 0), "... and it is done");
	sh("nft add rule " TABLE " forward ip saddr 1.1.1.1 accept");
	before = n_batch;
	is_int(ops->ensure_base(nat), 0, "ensure_base, while the ruleset changes all the time");
	is_int(n_batch - before, 6, "... 5 batches refused, the 6th without a generation");
	stale_genid = 0;
	check_base("repaired under changes");
	free(s0);
}

/* Another program that commits all the time: a handle on another bridge adding and deleting
 * an element in a loop, until killed. */
static pid_t noise_start(void)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct nat_net net;
	struct nat *h = NULL;
	memset(&net, 0, sizeof net);
	snprintf(net.bridge, sizeof net.bridge, "noise0");
	net.subnet = ip4("10.78.0.0");
	net.prefixlen = 24;
	if (ops->open(&h, &net) < 0 || ops->ensure_base(h) < 0)
		_exit(1);
	char id[65];
	make_id(id, '9');
	for (uint16_t p = 1;; p = (uint16_t)(p % 60000 + 1)) {
		struct nat_rule x = dnat(id, CTR_TCP, NULL, p, p, "10.78.0.2", 80);
		if (apply_add(h, &x, 1) < 0 || apply_del(h, &x, 1) < 0)
			_exit(1);
	}
}

/* Four processes change our table at once, under a storm of commits by another program. */
static void test_concurrency(struct nat *nat)
{
	char ids[4][65];
	pid_t kids[4];
	pid_t noise = noise_start();
	ok(noise > 0, "another program commits all the time");
	usleep(100000);
	for (int k = 0; k < 4; k++) {
		make_id(ids[k], (char)('5' + k));
		fflush(stdout);
		if ((kids[k] = fork()) != 0)
			continue;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct nat *h = NULL;
		int r = open_nat(&h, true, false);
		if (r == 0)
			r = ops->ensure_base(h);
		for (int i = 0; r == 0 && i < 100; i++) {
			uint16_t p = (uint16_t)(30000 + 1000 * k + i);
			struct nat_rule x = dnat(ids[k], CTR_TCP, NULL, p, p, CA, 80);
			r = apply_add(h, &x, 1);
		}
		if (r == 0)
			r = apply_drop(h, ids[k]);
		for (int i = 0; r == 0 && i < 50; i++) {
			uint16_t p = (uint16_t)(30000 + 1000 * k + 2 * i);
			struct nat_rule x = dnat(ids[k], CTR_UDP, NULL, p, p, CA, 80);
			r = apply_add(h, &x, 1);
		}
		if (r < 0)
			fprintf(stderr, "process %d: %s\n", k, ctr_err_msg());
		_exit(r < 0);
	}
	int good = 0;
	for (int k = 0; k < 4; k++) {
		int st = 0;
		if (kids[k] > 0 && waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			good++;
	}
	is_int(good, 4, "4 processes: ensure_base, 100 adds, a drop, 50 adds each, all at once");
	struct nat_rule *want = calloc(200, sizeof *want);
	for (int k = 0; want && k < 4; k++)
		for (int i = 0; i < 50; i++) {
			uint16_t p = (uint16_t)(30000 + 1000 * k + 2 * i);
			want[50 * k + i] = dnat(ids[k], CTR_UDP, NULL, p, p, CA, 80);
		}
	ok(want && list_is(nat, want, 200), "list (while the other program commits): exactly "
	   "their 200 rules");
	is_int(ops->ensure_base(nat), 0, "ensure_base (while the other program commits)");
	for (int k = 0; k < 4; k++)
		is_int(apply_drop(nat, ids[k]), 0, "drop process %d's container", k);
	free(want);
	if (noise > 0) {
		kill(noise, SIGKILL);
		waitpid(noise, NULL, 0);
	}
	check_base("after the concurrent changes");
	ok(list_is(nat, NULL, 0), "nothing is left");
	struct nat_net net;
	struct nat *h = NULL;
	memset(&net, 0, sizeof net);
	snprintf(net.bridge, sizeof net.bridge, "noise0");
	net.subnet = ip4("10.78.0.0");
	net.prefixlen = 24;
	is_int(ops->open(&h, &net) == 0 ? ops->remove_all(h) : -1, 0, "remove the other table");
	if (h)
		ops->close(h);
}

static void test_no_lock(struct nat *nat)
{
	/* No xtables lock: nftables batches are serialized by the kernel. */
	int fd = open("/run/xtables.lock", O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "the xtables lock is held");
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7300, 7300, CB, 80) };
	double t0 = now_ms();
	is_int(apply_add(nat, a, 1), 0, "apply does not wait for it");
	is_int(apply_drop(nat, idh), 0, "drop neither");
	is_int(ops->ensure_base(nat), 0, "ensure_base neither");
	double dt = now_ms() - t0;
	ok(dt < 300, "... (%.1f ms)", dt);
	if (fd >= 0)
		close(fd);
	unlink("/run/xtables.lock");
}

static void test_base_repair(struct nat *nat)
{
	struct nat_rule keep[] = { dnat(idh, CTR_TCP, NULL, 7400, 7400, CB, 80),
				   link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	is_int(apply_add(nat, keep, 2), 0, "rules that must survive the repair");
	/* Damage: a foreign rule, a rule gone, a chain flushed, a chain and a set deleted, the
	 * table made dormant. */
	sh("nft add rule " TABLE " forward ip saddr 1.1.1.1 accept");
	sh("nft delete rule " TABLE " postrouting handle $(nft -a list chain " TABLE " postrouting"
	   " | grep '127.0.0.0/8' | sed 's/.*handle //')");
	sh("nft flush chain " TABLE " raw_prerouting");
	sh("nft flush chain " TABLE " output && nft delete chain " TABLE " output");
	sh("nft delete set " TABLE " links6");
	sh("nft add chain " TABLE " intruder '{ type filter hook input priority 0; }'");
	int before = n_batch;
	is_int(ops->ensure_base(nat), 0, "ensure_base repairs the layout");
	is_int(n_batch - before, 1, "... in one batch");
	check_base("repaired");
	char *s = table_text();
	is_int(count_substr(s, "1.1.1.1"), 0, "the foreign rule is gone");
	is_int(count_substr(s, "intruder"), 0, "the foreign chain is gone");
	free(s);
	ok(list_is(nat, keep, 2), "the elements of the maps are kept");
	/* A dormant table (and a rule gone meanwhile). */
	sh("nft add table " TABLE " '{ flags dormant; }' && nft flush chain " TABLE " forward");
	before = n_batch;
	is_int(ops->ensure_base(nat), 0, "ensure_base wakes a dormant table up");
	is_int(n_batch - before, 2, "... in two batches (the kernel takes no new rules in the "
	       "batch that changes the table's flags)");
	check_base("woken up");
	s = table_text();
	is_int(count_substr(s, "dormant"), 0, "the table is active again");
	free(s);
	ok(list_is(nat, keep, 2), "the elements of the maps are kept");
	before = n_batch;
	is_int(ops->ensure_base(nat), 0, "ensure_base again");
	is_int(n_batch - before, 0, "... nothing to change");
	is_int(apply_drop(nat, idh), 0, "drop");

	/* A set of ours with another type: made anew (its elements cannot be kept). */
	sh("nft flush chain " TABLE " published && nft delete map " TABLE " dnat4_ip && "
	   "nft add map " TABLE " dnat4_ip '{ type ipv4_addr : ipv4_addr; }'");
	is_int(ops->ensure_base(nat), 0, "ensure_base with a map of another type");
	check_base("map of another type replaced");
}

/* Another program removes every table (nft flush ruleset, a firewall reload): the next
 * change brings the table back, and the change is made. */
static void test_flush_ruleset(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 8080, 8080, CA, 80) };
	is_int(sh("nft flush ruleset"), 0, "nft flush ruleset");
	sh("%s", user_cmds[4]);
	sh("nft add table ip probe");
	int before = n_batch;
	is_int(apply_add(nat, a, 1), 0, "apply after the flush");
	is_int(n_batch - before, 3, "... 3 batches: refused (ENOENT), the layout, the change");
	check_base("after nft flush ruleset and apply");
	ok(list_is(nat, a, 1), "the element is there");
	char out[256];
	int r = query(false, HOST_IP, 8080, out, sizeof out, 2000);
	is_int(r, 0, "tcp " HOST_IP ":8080 connects again");
	is_str(out, "port=80 peer=" HOST_IP, "... to the container");
	is_int(sh("nft flush ruleset"), 0, "nft flush ruleset again");
	sh("%s", user_cmds[4]);
	sh("nft add table ip probe");
	is_int(apply_del(nat, a, 1), 0, "a delete after the flush");
	ok(list_is(nat, NULL, 0), "... nothing is there");
	is_int(apply_drop(nat, idh), 0, "a drop after the flush");
	check_base("after nft flush ruleset and a drop");
}

/* nft list ruleset > f; nft flush ruleset; nft -f f: what nft prints of our table, nft reads
 * back, comments (owners) included. */
static void test_save_restore(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 8080, 8082, CA, 80),
				dnat(idh, CTR_UDP, HOST_IP, 53, 53, CA, 53),
				link_rule(idh, idg, CTR_TCP, CB, CA, 5432, 5433) };
	is_int(apply_add(nat, a, 3), 0, "some rules");
	char *e0 = elements();
	is_int(sh("nft list ruleset > /run/saved.nft && nft flush ruleset && "
		  "nft -f /run/saved.nft"), 0, "nft list ruleset > f; nft flush ruleset; nft -f f");
	char *e1 = elements();
	is_str(e1, e0, "the elements, comments included, came back");
	free(e0);
	free(e1);
	ok(list_is(nat, a, 3), "list: the same rules");
	int before = n_batch;
	is_int(ops->ensure_base(nat), 0, "ensure_base");
	is_int(n_batch - before, 0, "... the restored layout is exactly ours");
	is_int(apply_drop(nat, idh), 0, "drop");
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
	int before = n_batch;
	is_int(ops->ensure_base(iso), 0, "ensure_base with icc=false");
	is_int(n_batch - before, 1, "... one batch");
	char *s = table_text();
	char *body = chain_body(s, "forward");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" drop"), 1,
	       "isolation: iifname br oifname br drop, once");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" accept"), 0,
	       "isolation: no iifname br oifname br accept");
	free(body);
	free(s);

	char out[256];
	int r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 1000);
	is_int(r, -ETIMEDOUT, "isolated: B cannot reach A:5432 (dropped)");
	struct nat_rule l[] = { link_rule(idb, ida, CTR_TCP, CB, CA, 5432, 5432) };
	is_int(apply_add(iso, l, 1), 0, "apply: link B -> A, port 5432");
	r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 2000);
	is_int(r, 0, "linked: B reaches A:5432 through the links4 set");
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

static void test_ipv6(void)
{
	struct nat *n6 = NULL;
	is_int(open_nat(&n6, true, true), 0, "open with an IPv6 subnet fd00:77::/64");
	if (!n6)
		return;
	int before = n_batch;
	is_int(ops->ensure_base(n6), 0, "ensure_base with IPv6");
	is_int(n_batch - before, 1, "... one batch");
	char *s = table_text();
	char *body = chain_body(s, "published");
	is_str(body, "dnat ip to ip daddr . meta l4proto . th dport map @dnat4_ip\n"
	       "meta nfproto ipv4 dnat ip to meta l4proto . th dport map @dnat4_any\n"
	       "dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat6_ip\n"
	       "meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @dnat6_any",
	       "chain published: the IPv6 maps too");
	free(body);
	body = chain_body(s, "postrouting");
	is_int(count_line(body, "ip6 saddr fd00:77::/64 ip6 daddr fd00:77::/64 oifname \"" BR
			  "\" ct status dnat masquerade"), 1, "IPv6 hairpin masquerade");
	is_int(count_line(body, "ip6 saddr fd00:77::/64 oifname != \"" BR "\" masquerade"), 1,
	       "IPv6 outbound masquerade");
	free(body);
	body = chain_body(s, "forward");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" ip6 saddr . ip6 daddr . "
			  "meta l4proto . th dport @links6 accept"), 1, "IPv6 link rule");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" icmpv6 type "
			  "nd-neighbor-solicit accept"), 1, "IPv6 neighbour solicitations pass");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" icmpv6 type "
			  "nd-neighbor-advert accept"), 1, "IPv6 neighbour advertisements pass");
	free(body);
	free(s);
	is_int(sh("nft list ruleset > /run/saved6.nft && nft flush ruleset && "
		  "nft -f /run/saved6.nft"), 0, "IPv6 layout: nft list ruleset > f; nft flush "
	       "ruleset; nft -f f");
	before = n_batch;
	is_int(ops->ensure_base(n6), 0, "ensure_base");
	is_int(n_batch - before, 0, "... the restored IPv6 layout is exactly ours");

	struct nat_rule add[] = {
		dnat6(ida, CTR_TCP, NULL, 8080, 8080, CA6, 80),
		dnat6(ida, CTR_TCP, NULL, 9000, 9010, CA6, 7000),
		dnat6(ida, CTR_UDP, NULL, 5000, 5005, CA6, 5000),
		dnat6(ida, CTR_TCP, HOST_IP6, 8443, 8443, CA6, 443),
		dnat(ida, CTR_TCP, NULL, 8080, 8080, CA, 80), /* and IPv4, beside */
		link6(idb, ida, CTR_TCP, CB6, CA6, 5432, 5432),
	};
	before = n_batch;
	is_int(apply_add(n6, add, ARRAY_SIZE(add)), 0, "apply: IPv6 and IPv4 rules");
	is_int(n_batch - before, 1, "... one batch");
	s = elements();
	char line[512];
	snprintf(line, sizeof line, "dnat6_any: tcp . 8080 # ctrlink:%s : " CA6 " . 80", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "dnat6_ip: " HOST_IP6 " . tcp . 8443 # ctrlink:%s : " CA6
		 " . 443", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "links6: " CB6 " . " CA6 " . tcp . 5432 # %s%s", idb, ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	free(s);
	ok(list_is(n6, add, ARRAY_SIZE(add)), "list: the IPv6 rules round trip");

	char out[256];
	int r = query(false, HOST_IP6, 8080, out, sizeof out, 2000);
	is_int(r, 0, "tcp [" HOST_IP6 "]:8080 connects");
	is_str(out, "port=80 peer=" HOST_IP6, "... reaches the container's port 80 over IPv6");
	r = query(false, GW6, 9005, out, sizeof out, 2000);
	is_int(r, 0, "tcp [" GW6 "]:9005 (run 9000-9010 -> 7000-7010) connects");
	is_str(out, "port=7005 peer=" GW6, "... reaches port 7005: the run keeps its offset");
	r = query(true, HOST_IP6, 5001, out, sizeof out, 2000);
	is_int(r, 0, "udp [" HOST_IP6 "]:5001 answers");
	is_str(out, "port=5001 peer=" HOST_IP6, "... from the container's port 5001");
	r = query(false, HOST_IP6, 8443, out, sizeof out, 2000);
	is_int(r, 0, "tcp [" HOST_IP6 "]:8443 (rule for that host IP only) connects");
	is_str(out, "port=443 peer=" HOST_IP6, "... reaches the container's port 443");
	r = query(false, GW6, 8443, out, sizeof out, 2000);
	is_int(r, -ECONNREFUSED, "tcp [" GW6 "]:8443 is not published (host IP rule): refused");
	r = ns_query("ctr", false, HOST_IP6, 8080, out, sizeof out, 2000);
	is_int(r, 0, "IPv6 hairpin: the container reaches itself through [" HOST_IP6 "]:8080");
	is_str(out, "port=80 peer=" GW6, "... masqueraded to the bridge address");
	r = ns_query("ctr2", false, HOST_IP6, 8080, out, sizeof out, 2000);
	is_int(r, 0, "IPv6: another container reaches A through [" HOST_IP6 "]:8080");
	is_str(out, "port=80 peer=" GW6, "... masqueraded to the bridge address");
	r = query(false, HOST_IP, 8080, out, sizeof out, 2000);
	is_int(r, 0, "IPv4 beside: tcp " HOST_IP ":8080 connects");
	is_str(out, "port=80 peer=" HOST_IP, "... to the same container");

	if (access("/proc/sys/net/bridge/bridge-nf-call-ip6tables", F_OK) == 0) {
		char *nfcall = capture("cat /proc/sys/net/bridge/bridge-nf-call-ip6tables");
		sh("echo 1 > /proc/sys/net/bridge/bridge-nf-call-ip6tables");
		struct nat *iso = NULL;
		is_int(open_nat(&iso, false, true), 0, "open with IPv6, icc=false");
		is_int(iso ? ops->ensure_base(iso) : -1, 0, "ensure_base: isolation");
		r = ns_query("ctr2", false, CA6, 5432, out, sizeof out, 2000);
		is_int(r, 0, "IPv6 link: B reaches [" CA6 "]:5432 through the links6 set");
		is_str(out, "port=5432 peer=" CB6, "... directly");
		r = ns_query("ctr2", false, CA6, 80, out, sizeof out, 1000);
		is_int(r, -ETIMEDOUT, "IPv6 isolation: B cannot reach [" CA6 "]:80");
		if (iso)
			ops->close(iso);
		is_int(ops->ensure_base(n6), 0, "icc again");
		sh("echo %d > /proc/sys/net/bridge/bridge-nf-call-ip6tables", atoi(nfcall));
		free(nfcall);
	}
	before = n_batch;
	is_int(apply_drop(n6, ida), 0, "drop A");
	is_int(n_batch - before, 1, "... one batch");
	ok(list_is(n6, NULL, 0), "... its IPv6 and IPv4 elements are gone");
	r = query(false, HOST_IP6, 8080, out, sizeof out, 1000);
	is_int(r, -ECONNREFUSED, "tcp [" HOST_IP6 "]:8080 is refused now");
	ops->close(n6);
}

static void test_remove_all(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7400, 7400, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	is_int(apply_add(nat, a, 2), 0, "some per-container rules");
	int before = n_batch;
	is_int(ops->remove_all(nat), 0, "remove_all");
	is_int(n_batch - before, 1, "... one batch");
	char *s = capture("nft list ruleset");
	is_int(count_substr(s, "ctrlink"), 0, "no table, chain, set or element of ours is left");
	free(s);
	check_user_rules("after remove_all");
	is_int(ops->remove_all(nat), 0, "remove_all again: not an error");
	ok(list_is(nat, NULL, 0), "list without the table: empty");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#define BENCH_N 21

/* Time apply() of one DNAT port with `existing` ports in the map (median of BENCH_N). */
static void bench(struct nat *nat, size_t existing)
{
	struct nat_rule *v = calloc(existing, sizeof *v);
	double ta[BENCH_N], td[BENCH_N], tha[BENCH_N], thd[BENCH_N];
	bool good = v != NULL;
	for (size_t i = 0; good && i < existing; i++)
		v[i] = dnat(idb, i % 2 ? CTR_UDP : CTR_TCP, NULL, (uint16_t)(10000 + i),
			    (uint16_t)(10000 + i), CB, 80);
	double t0 = now_ms();
	good = good && apply_add(nat, v, existing) == 0;
	double tf = now_ms() - t0;
	for (int i = 0; good && i < BENCH_N; i++) {
		struct nat_rule x = dnat(idb, CTR_SCTP, NULL, (uint16_t)(40000 + i),
					 (uint16_t)(40000 + i), CB, 53);
		t0 = now_ms();
		good = apply_add(nat, &x, 1) == 0;
		ta[i] = now_ms() - t0;
		if (good && i == 0) /* it is really there */
			good = sh("nft get element " TABLE " dnat4_any '{ sctp . 40000 }' "
				  ">/dev/null") == 0;
		t0 = now_ms();
		good = good && apply_del(nat, &x, 1) == 0;
		td[i] = now_ms() - t0;
	}
	for (int i = 0; good && i < BENCH_N; i++) {
		struct nat_rule x = dnat(idb, CTR_SCTP, NULL, (uint16_t)(40000 + i),
					 (uint16_t)(40000 + i), CB, 53);
		/* as net.c does it: a handle (a socket) for each change.  Closing a netfilter
		 * netlink socket waits for the kernel's deferred cleanup of recent deletions
		 * (one RCU grace period), so let the one above pass first. */
		usleep(50000);
		struct nat *h = NULL;
		t0 = now_ms();
		good = good && open_nat(&h, true, false) == 0 && apply_add(h, &x, 1) == 0;
		if (h)
			ops->close(h);
		tha[i] = now_ms() - t0;
		h = NULL;
		t0 = now_ms();
		good = good && open_nat(&h, true, false) == 0 && apply_del(h, &x, 1) == 0;
		if (h)
			ops->close(h);
		thd[i] = now_ms() - t0;
	}
	t0 = now_ms();
	struct nat_rule *l = NULL;
	size_t n = 0;
	good = good && ops->list(nat, &l, &n) == 0 && n == existing;
	double tl = now_ms() - t0;
	free(l);
	t0 = now_ms();
	good = good && apply_drop(nat, idb) == 0;
	double tdrop = now_ms() - t0;
	ok(good, "benchmark with %zu existing ports ran", existing);
	if (!good)
		diag("%s", ctr_err_msg());
	if (good) {
		qsort(ta, BENCH_N, sizeof ta[0], cmp_double);
		qsort(td, BENCH_N, sizeof td[0], cmp_double);
		qsort(tha, BENCH_N, sizeof tha[0], cmp_double);
		qsort(thd, BENCH_N, sizeof thd[0], cmp_double);
		diag("%5zu existing: apply(+1 port) median %.3f ms (min %.3f, max %.3f), "
		     "apply(-1 port) %.3f ms; with a handle per change: +1 %.3f ms, -1 %.3f ms; "
		     "fill %.1f ms, list %.1f ms, drop all %.1f ms", existing, ta[BENCH_N / 2],
		     ta[0], ta[BENCH_N - 1], td[BENCH_N / 2], tha[BENCH_N / 2], thd[BENCH_N / 2],
		     tf, tl, tdrop);
	}
	free(v);
}

int main(void)
{
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
	ok(setup_network(), "bridge " BR ", containers A " CA " / " CA6 " and B " CB " / " CB6
	   " in netns");
	const uint16_t tcp[] = { 80, 443, 7005, 5432 }, udp[] = { 5001 };
	pid_t svc = start_service("ctr", tcp, ARRAY_SIZE(tcp), udp, ARRAY_SIZE(udp));
	ok(svc > 0, "services in container A (IPv4 and IPv6): tcp 80 443 7005 5432, udp 5001");
	bool users = true;
	for (size_t i = 0; i < ARRAY_SIZE(user_cmds); i++)
		users &= sh("%s", user_cmds[i]) == 0;
	ok(users, "the user's own iptables rules and nftables table");
	user0 = user_fw();
	/* The test's probe: counters just before and just after our raw priority (-300). */
	ok(sh("nft -f - <<'EOF'\n"
	      "table ip probe {\n"
	      "  chain early { type filter hook prerouting priority -301; "
	      "ip daddr 127.0.0.1 udp dport 7777 counter; }\n"
	      "  chain late { type filter hook prerouting priority -299; "
	      "ip daddr 127.0.0.1 udp dport 7777 counter; }\n"
	      "}\n"
	      "EOF") == 0, "the test's probe table: counters around priority raw");

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
	test_old_kernel();
	test_big(nat);
	test_many_link_deletions(nat);
	test_invalid(nat);
	test_batch_failures(nat);
	test_no_lock(nat);
	test_concurrency(nat);
	test_base_repair(nat);
	check_user_rules("after all operations");
	test_flush_ruleset(nat);
	test_save_restore(nat);
	test_isolation(nat);
	test_ipv6();
	is_int(ops->ensure_base(nat), 0, "ensure_base without IPv6 again");
	check_base("IPv4 only again");
	check_user_rules("after all operations");
	test_remove_all(nat);
	is_int(ops->ensure_base(nat), 0, "ensure_base after remove_all");
	bench(nat, 10);
	bench(nat, 1000);
	bench(nat, 10000);
	bench(nat, 50000);
	ops->close(nat);
	close(mfd);
	if (svc > 0) {
		kill(svc, SIGKILL);
		waitpid(svc, NULL, 0);
	}
	free(user0);

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
