/* System test of the libiptc NAT backend (lib/sys/nat_iptc.c), in a private network + mount
 * namespace: the rules it writes are read back with iptables-legacy-save, and real TCP/UDP
 * traffic goes through them to a listener in a "container" namespace behind a bridge.
 *
 * Only this test runs commands (iptables-legacy, ip); the library never does.  It defines
 * setsockopt() to count the table commits libiptc makes (IPT_SO_SET_REPLACE) and to make some
 * of them fail on purpose. */
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

#define IPT_SO_SET_REPLACE_ 64 /* IPT_BASE_CTL: one call per table commit */
#define ETH_P_IP_ 0x0800

#define BR "ctrtest0"
#define BR_MAC "02:00:00:77:00:01"
#define GW "10.77.0.1"
#define CA "10.77.0.2" /* container A (netns ctr) */
#define CB "10.77.0.3" /* container B (netns ctr2) */
#define HOST_IP "192.0.2.1"

static const struct nat_ops *ops = &nat_iptables_ops;

/* ---- counting and failing commits ------------------------------------------------------- */

static int n_replace;              /* table commits seen */
static int fail_errno, fail_count; /* fail the next fail_count commits with fail_errno */

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (level == IPPROTO_IP && name == IPT_SO_SET_REPLACE_) {
		n_replace++;
		if (fail_count > 0) {
			fail_count--;
			errno = fail_errno;
			return -1;
		}
	}
	return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

/* ---- helpers ------------------------------------------------------------------------------ */

PRINTF(1, 2) static int sh(const char *fmt, ...)
{
	char cmd[1024];
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

/* Quiet variant: the exit status only. */
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
	char buf[4096];
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

static char *save(void)
{
	return capture("iptables-legacy-save 2>&1");
}

/* The whole ruleset without the comment lines (times) and the counters (traffic). */
static char *save_norm(void)
{
	return capture("iptables-legacy-save 2>&1 | grep -v '^#' | "
		       "sed -e 's/\\[[0-9]*:[0-9]*\\]//g'");
}

/* Occurrences of `line` as a whole line of `text`. */
static int count_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	int n = 0;
	for (const char *p = text; (p = strstr(p, line)); p += len)
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			n++;
	return n;
}

/* Line number (from 0) of the first whole line `line` in `text`, or -1. */
static int line_index(const char *text, const char *line)
{
	size_t len = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += len)
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0')) {
			int n = 0;
			for (const char *q = text; q < p; q++)
				n += *q == '\n';
			return n;
		}
	return -1;
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

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int open_nat(struct nat **nat, bool icc)
{
	struct nat_net net;
	memset(&net, 0, sizeof net);
	snprintf(net.bridge, sizeof net.bridge, "%s", BR);
	net.subnet = ip4("10.77.0.0");
	net.prefixlen = 24;
	net.gateway = ip4(GW);
	net.icc = icc;
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

static int listen_on(int type, uint16_t port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void reply_text(char *buf, size_t len, const struct sockaddr_in *local,
		       const struct sockaddr_in *peer)
{
	char p[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &peer->sin_addr, p, sizeof p);
	snprintf(buf, len, "port=%u peer=%s", ntohs(local->sin_port), p);
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
			struct sockaddr_in local, peer;
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

/* Connect (TCP) or send a datagram (UDP) to ip:port and read the answer into out.
 * 0, or a negative errno (-ETIMEDOUT when nothing answers). */
static int query(bool udp, const char *ip, uint16_t port, char *out, size_t len, int ms)
{
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK,
			0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int r = 0, err = 0;
	socklen_t el = sizeof err;
	out[0] = '\0';
	if (fd < 0)
		return -errno;
	a.sin_addr.s_addr = ip4(ip);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
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

/* Packets counted by our raw DROP rule. */
static long raw_drops(void)
{
	char *s = capture("iptables-legacy-save -c -t raw 2>&1");
	const char *want = "-A CTRLINK-RAW-" BR " -d 127.0.0.0/8 ! -i lo -j DROP";
	long pkts = -1;
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		if (line[0] == '[' && sp && strcmp(sp + 1, want) == 0)
			pkts = strtol(line + 1, NULL, 10);
	}
	free(s);
	return pkts;
}

/* A UDP socket on the host's 127.0.0.1:port; does a datagram arrive within ms? */
static bool martian_arrives(int fd, int ms)
{
	char buf[64];
	if (wait_fd(fd, POLLIN, ms) < 0)
		return false;
	return recv(fd, buf, sizeof buf, 0) > 0;
}

/* A child that holds an exclusive flock on `path` for `ms` milliseconds. */
static pid_t hold_lock(const char *path, int ms)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(p[1], "y", 1) != 1)
			_exit(1);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	char c = 0;
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* ---- the test ------------------------------------------------------------------------------ */

static char ida[65], idb[65], idc[65], idd[65], ide[65], idf[65], idg[65], idh[65];

static const char *base_lines[] = {
	"-A PREROUTING -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-" BR,
	"-A OUTPUT -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-" BR,
	"-A POSTROUTING -j CTRLINK-POST-" BR,
	("-A CTRLINK-POST-" BR " -s 10.77.0.0/24 -d 10.77.0.0/24 -o " BR
	 " -m conntrack --ctstate DNAT -j MASQUERADE"),
	"-A CTRLINK-POST-" BR " -s 127.0.0.0/8 -o " BR " -j MASQUERADE",
	"-A CTRLINK-POST-" BR " -s 10.77.0.0/24 ! -o " BR " -j MASQUERADE",
	"-A FORWARD -j CTRLINK-FWD-" BR,
	"-A CTRLINK-FWD-" BR " -o " BR " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -o " BR " -m conntrack --ctstate DNAT -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j CTRLINK-LINK-" BR,
	"-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -i " BR " ! -o " BR " -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -o " BR " -j DROP",
	"-A PREROUTING -j CTRLINK-RAW-" BR,
	"-A CTRLINK-RAW-" BR " -d 127.0.0.0/8 ! -i lo -j DROP",
};

static const char *chain_lines[] = {
	":CTRLINK-DNAT-" BR " - [0:0]", ":CTRLINK-POST-" BR " - [0:0]",
	":CTRLINK-FWD-" BR " - [0:0]",  ":CTRLINK-LINK-" BR " - [0:0]",
	":CTRLINK-RAW-" BR " - [0:0]",
};

/* The user's own rules and chain, which must survive everything. */
static const char *user_cmds[] = {
	("iptables-legacy -w -t nat -A PREROUTING -p tcp --dport 2222 -j DNAT "
	 "--to-destination 10.9.9.9:22"),
	"iptables-legacy -w -N USERCHAIN",
	"iptables-legacy -w -A USERCHAIN -s 1.2.3.4/32 -j DROP",
	"iptables-legacy -w -A FORWARD -j USERCHAIN",
	"iptables-legacy -w -t raw -A PREROUTING -s 203.0.113.7/32 -j DROP",
	"iptables-legacy -w -t nat -N USERNAT",
	"iptables-legacy -w -t nat -A USERNAT -d 198.51.100.1/32 -j RETURN",
};
static const char *user_lines[] = {
	"-A PREROUTING -p tcp -m tcp --dport 2222 -j DNAT --to-destination 10.9.9.9:22",
	":USERCHAIN - [0:0]",
	"-A USERCHAIN -s 1.2.3.4/32 -j DROP",
	"-A FORWARD -j USERCHAIN",
	"-A PREROUTING -s 203.0.113.7/32 -j DROP",
	":USERNAT - [0:0]",
	"-A USERNAT -d 198.51.100.1/32 -j RETURN",
};

static void check_user_rules(const char *when)
{
	char *s = save();
	for (size_t i = 0; i < ARRAY_SIZE(user_lines); i++)
		is_int(count_line(s, user_lines[i]), 1, "%s: user's \"%s\" is there once", when,
		       user_lines[i]);
	free(s);
}

static bool setup_network(void)
{
	bool r = true;
	r &= sh("ip link set lo up") == 0;
	r &= sh("ip link add " BR " type bridge && ip link set " BR " address " BR_MAC) == 0;
	r &= sh("ip addr add " GW "/24 dev " BR " && ip link set " BR " up") == 0;
	if (sh_q("ip link add dummy0 type dummy 2>/dev/null") == 0)
		r &= sh("ip addr add " HOST_IP "/24 dev dummy0 && ip link set dummy0 up") == 0;
	else
		r &= sh("ip addr add " HOST_IP "/32 dev lo") == 0;
	const char *ns[2] = { "ctr", "ctr2" }, *addr[2] = { CA, CB };
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
	}
	/* What the rtnetlink module does for a bridge (not the NAT module's business). */
	r &= sh("echo 1 > /proc/sys/net/ipv4/ip_forward") == 0;
	r &= sh("echo 1 > /proc/sys/net/ipv4/conf/" BR "/route_localnet") == 0;
	/* No STP: the ports forward at once; give the links a moment to come up. */
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
	is_int(ops->open(&nat, &net), 0, "open: a 15-character bridge name is accepted");
	ops->close(nat);
	net.subnet = ip4("10.77.0.5");
	is_int(ops->open(&nat, &net), -EINVAL, "open: a subnet with host bits is refused");
}

static void test_base(struct nat *nat)
{
	int before = n_replace;
	is_int(ops->ensure_base(nat), 0, "ensure_base");
	is_int(n_replace - before, 3, "ensure_base: one commit per table (nat, filter, raw)");
	before = n_replace;
	is_int(ops->ensure_base(nat), 0, "ensure_base again");
	is_int(n_replace - before, 0, "ensure_base again: nothing to commit");

	char *s = save();
	for (size_t i = 0; i < ARRAY_SIZE(base_lines); i++)
		is_int(count_line(s, base_lines[i]), 1, "base rule once: %s", base_lines[i]);
	for (size_t i = 0; i < ARRAY_SIZE(chain_lines); i++)
		is_int(count_line(s, chain_lines[i]), 1, "chain once: %s", chain_lines[i]);
	ok(line_index(s, "-A FORWARD -j CTRLINK-FWD-" BR) <
		   line_index(s, "-A FORWARD -j USERCHAIN"),
	   "FORWARD jump inserted first (before the user's rule)");
	ok(line_index(s, user_lines[0]) < line_index(s, base_lines[0]),
	   "nat PREROUTING jump appended (after the user's rule)");
	ok(line_index(s, "-A PREROUTING -j CTRLINK-RAW-" BR) <
		   line_index(s, "-A PREROUTING -s 203.0.113.7/32 -j DROP"),
	   "raw PREROUTING jump inserted first");
	free(s);

	struct stat st;
	ok(stat("/run/xtables.lock", &st) == 0 && (st.st_mode & 0777) == 0600,
	   "the xtables lock /run/xtables.lock was created 0600");
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
	char want[ARRAY_SIZE(add)][512];
	snprintf(want[0], sizeof want[0], "-A CTRLINK-DNAT-" BR " -p tcp -m tcp --dport 8080 -m "
		 "comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA ":80", ida);
	snprintf(want[1], sizeof want[1], "-A CTRLINK-DNAT-" BR " -p tcp -m tcp --dport 9000:9010"
		 " -m comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA
		 ":7000-7010/9000", ida);
	snprintf(want[2], sizeof want[2], "-A CTRLINK-DNAT-" BR " -p udp -m udp --dport 5000:5005"
		 " -m comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA, ida);
	snprintf(want[3], sizeof want[3], "-A CTRLINK-DNAT-" BR " -d " HOST_IP "/32 -p tcp -m tcp "
		 "--dport 443 -m comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA,
		 ida);
	snprintf(want[4], sizeof want[4], "-A CTRLINK-DNAT-" BR " -p sctp -m sctp --dport 3868 -m "
		 "comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA ":3869", ida);
	snprintf(want[5], sizeof want[5], "-A CTRLINK-LINK-" BR " -s " CB "/32 -d " CA "/32 -p "
		 "tcp -m tcp --dport 5432 -m comment --comment \"ctrlink:%s:%s\" -j ACCEPT", idb,
		 ida);
	snprintf(want[6], sizeof want[6], "-A CTRLINK-LINK-" BR " -s " CB "/32 -d " CA "/32 -p "
		 "udp -m udp --dport 6000:6002 -m comment --comment \"ctrlink:%s:%s\" -j ACCEPT",
		 idb, ida);

	int before = n_replace;
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply: DNAT and LINK rules added");
	is_int(n_replace - before, 2, "apply: one commit for nat, one for filter");
	char *s = save();
	for (size_t i = 0; i < ARRAY_SIZE(add); i++)
		is_int(count_line(s, want[i]), 1, "rule present once: %s", want[i]);
	free(s);

	before = n_replace;
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply the same adds again");
	is_int(n_replace - before, 0, "... nothing to commit: present rules are not added twice");
	struct nat_rule twice[] = { add[0], add[0] };
	is_int(apply_add(nat, twice, 2), 0, "apply: a rule given twice in one txn");
	s = save();
	for (size_t i = 0; i < ARRAY_SIZE(add); i++)
		is_int(count_line(s, want[i]), 1, "still once: rule %zu", i);
	free(s);

	/* iptables' own encoding of the same rules is ours, byte for byte (-C checks). */
	is_int(sh("iptables-legacy -w -t nat -C CTRLINK-DNAT-" BR " -p tcp --dport 9000:9010 -m "
		  "comment --comment ctrlink:%s -j DNAT --to-destination " CA ":7000-7010/9000",
		  ida), 0, "iptables -C finds our DNAT rule with offset");
	is_int(sh("iptables-legacy -w -t nat -C CTRLINK-DNAT-" BR " -p udp --dport 5000:5005 -m "
		  "comment --comment ctrlink:%s -j DNAT --to-destination " CA, ida), 0,
	       "iptables -C finds our address-only DNAT rule");
	is_int(sh("iptables-legacy -w -C CTRLINK-LINK-" BR " -s " CB " -d " CA " -p tcp "
		  "--dport 5432 -m comment --comment ctrlink:%s:%s -j ACCEPT", idb, ida), 0,
	       "iptables -C finds our LINK rule");

	struct nat_rule *l = NULL;
	size_t n = 0;
	is_int(ops->list(nat, &l, &n), 0, "list");
	is_int((long long)n, ARRAY_SIZE(add), "list: as many rules as added");
	for (size_t i = 0; i < n && i < ARRAY_SIZE(add); i++)
		ok(nat_rule_equal(&l[i], &add[i]), "list: rule %zu is the one added", i);
	free(l);

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
}

static void test_martian(int udp_fd, bool before_base)
{
	long d0 = raw_drops();
	ok(send_martian("ctr", "vc0", 7777) == 0, "sent a packet to 127.0.0.1:7777 from the "
	   "container's wire (%s the raw rule)", before_base ? "before" : "with");
	bool arrived = martian_arrives(udp_fd, 700);
	if (before_base) {
		ok(arrived, "control: without our raw rule it reaches the host's 127.0.0.1:7777");
		return;
	}
	ok(!arrived, "with our raw rule it does not reach the host's 127.0.0.1:7777");
	long d1 = raw_drops();
	ok(d0 >= 0 && d1 == d0 + 1, "the raw DROP rule counted it (%ld -> %ld)", d0, d1);
}

static void test_drop_and_del(struct nat *nat)
{
	/* ida: 5 DNAT rules + link rules where it is the peer (from test_rules_and_traffic).
	 * Add: idc's DNAT rules, a link idc -> idb, a link ida -> idc (ida as owner). */
	struct nat_rule add[] = {
		dnat(idc, CTR_TCP, NULL, 8100, 8100, CB, 80),
		dnat(idc, CTR_UDP, NULL, 8101, 8101, CB, 53),
		link_rule(idc, idb, CTR_TCP, CB, CA, 80, 80),
		link_rule(ida, idc, CTR_TCP, CA, CB, 5000, 5000),
	};
	is_int(apply_add(nat, add, ARRAY_SIZE(add)), 0, "apply: rules of another container");
	char *s = save();
	int a0 = count_substr(s, ida), c0 = count_substr(s, idc);
	free(s);
	is_int(a0, 5 + 2 + 1, "container A's ID appears in 8 rules (5 DNAT, 3 links)");

	int before = n_replace;
	is_int(apply_drop(nat, ida), 0, "apply: drop container A");
	is_int(n_replace - before, 2, "drop: one commit for nat, one for filter");
	s = save();
	is_int(count_substr(s, ida), 0, "no rule names A any more (as owner or peer)");
	is_int(count_substr(s, idc), c0 - 1, "the rules of C not naming A are all still there");
	for (size_t i = 0; i < ARRAY_SIZE(base_lines); i++)
		is_int(count_line(s, base_lines[i]), 1, "after drop, base rule once: %s",
		       base_lines[i]);
	free(s);

	struct nat_rule *l = NULL;
	size_t n = 0;
	is_int(ops->list(nat, &l, &n), 0, "list after drop");
	is_int((long long)n, 3, "list: the three rules left");
	ok(n == 3 && nat_rule_equal(&l[0], &add[0]) && nat_rule_equal(&l[1], &add[1]) &&
		   nat_rule_equal(&l[2], &add[2]),
	   "list: exactly C's two DNAT rules and the link C -> B");
	free(l);

	before = n_replace;
	is_int(apply_drop(nat, ida), 0, "drop A again");
	is_int(n_replace - before, 0, "... nothing to commit");

	/* Remove exactly one rule; an absent one is not an error. */
	struct nat_rule del[] = { add[1], dnat(idc, CTR_TCP, NULL, 1, 1, CB, 1) };
	before = n_replace;
	is_int(apply_del(nat, del, 2), 0, "apply: delete one rule and one absent rule");
	is_int(n_replace - before, 1, "... one commit (nat only)");
	l = NULL;
	is_int(ops->list(nat, &l, &n), 0, "list after delete");
	ok(n == 2 && nat_rule_equal(&l[0], &add[0]) && nat_rule_equal(&l[1], &add[2]),
	   "list: the deleted rule is gone, the others stay");
	free(l);
	is_int(apply_drop(nat, idc), 0, "drop C");
	l = NULL;
	is_int(ops->list(nat, &l, &n), 0, "list");
	is_int((long long)n, 0, "list: empty");
	free(l);
}

static void test_big(struct nat *nat)
{
	size_t n = 1000;
	struct nat_rule *v = calloc(n, sizeof *v);
	if (!v)
		exit(2);
	for (size_t i = 0; i < n; i++)
		v[i] = dnat(idd, i % 2 ? CTR_UDP : CTR_TCP, NULL, (uint16_t)(20000 + i),
			    (uint16_t)(20000 + i), CB, (uint16_t)(1000 + i));
	int before = n_replace;
	double t0 = now_ms();
	is_int(apply_add(nat, v, n), 0, "apply: 1000 DNAT rules");
	double t1 = now_ms();
	is_int(n_replace - before, 1, "... in one commit");
	char *s = save();
	is_int(count_substr(s, idd), 1000, "iptables-legacy-save shows all 1000");
	char line[512];
	snprintf(line, sizeof line, "-A CTRLINK-DNAT-" BR " -p udp -m udp --dport 20999 -m "
		 "comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CB ":1999", idd);
	is_int(count_line(s, line), 1, "... the last one as expected");
	free(s);
	struct nat_rule *l = NULL;
	size_t nl = 0;
	is_int(ops->list(nat, &l, &nl), 0, "list");
	bool same = nl == n;
	for (size_t i = 0; same && i < n; i++)
		same = nat_rule_equal(&l[i], &v[i]);
	ok(same, "list: the 1000 rules, in order");
	free(l);
	before = n_replace;
	double t2 = now_ms();
	is_int(apply_drop(nat, idd), 0, "drop their container");
	double t3 = now_ms();
	is_int(n_replace - before, 1, "... one commit: only nat changed");
	s = save();
	is_int(count_substr(s, idd), 0, "... all 1000 gone");
	free(s);
	diag("apply of 1000 DNAT rules: %.2f ms; drop of their container: %.2f ms", t1 - t0,
	     t3 - t2);
	free(v);
}

/* Many deletions at once in a chain with verdict rules (the chain is rebuilt): the rules
 * that stay keep their ACCEPT. */
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
	/* A rule of someone else in our LINK chain, in the middle: left alone. */
	is_int(sh("iptables-legacy -w -I CTRLINK-LINK-" BR " 20 -s 10.1.1.1/32 -j RETURN"), 0,
	       "a foreign rule inserted in the middle of our LINK chain");
	is_int(apply_drop(nat, ide), 0, "drop the owner of 40 of them");
	char *s = save();
	is_int(count_substr(s, ide), 0, "the 40 rules are gone");
	int acc = 0;
	for (int i = 40; i < 45; i++) {
		char line[512];
		snprintf(line, sizeof line, "-A CTRLINK-LINK-" BR " -s 10.77.0.%d/32 -d " CB
			 "/32 -p sctp -m sctp --dport 9 -m comment --comment \"ctrlink:%s:%s\" "
			 "-j ACCEPT", 100 + i, idg, idf);
		acc += count_line(s, line);
	}
	is_int(acc, 5, "the 5 others are intact, still -j ACCEPT");
	is_int(count_line(s, "-A CTRLINK-LINK-" BR " -s 10.1.1.1/32 -j RETURN"), 1,
	       "the foreign rule is still there");
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j CTRLINK-LINK-" BR), 1,
	       "the jump to the LINK chain is intact");
	free(s);
	is_int(apply_drop(nat, idf), 0, "drop the peer of the 5 others");
	s = save();
	is_int(count_substr(s, idg), 0, "... they are gone (dropped as peer)");
	free(s);
	sh("iptables-legacy -w -D CTRLINK-LINK-" BR " -s 10.1.1.1/32 -j RETURN");
}

static void test_invalid(struct nat *nat)
{
	char *s0 = save_norm();
	struct nat_rule bad[] = {
		dnat(idh, CTR_TCP, NULL, 7100, 7100, CB, 80),
		dnat("abc", CTR_TCP, NULL, 7101, 7101, CB, 80),
	};
	int before = n_replace;
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a rule with a short owner ID fails");
	ok(strstr(ctr_err_msg(), "owner") != NULL, "... clear message: %s", ctr_err_msg());
	is_int(n_replace - before, 0, "... nothing committed");
	bad[1] = dnat(idh, CTR_TCP, NULL, 7101, 7100, CB, 80);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a backwards port range fails");
	bad[1] = dnat(idh, CTR_TCP, NULL, 65000, 65010, CB, 65530);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a container port run past 65535 fails");
	bad[1] = dnat(idh, 7, NULL, 7101, 7101, CB, 80);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: an unknown protocol fails");
	bad[1] = link_rule(idh, "", CTR_TCP, CA, CB, 80, 80);
	is_int(apply_add(nat, bad, 2), -EINVAL, "apply: a link without peer fails");
	const char *ids[] = { "f00" };
	struct nat_txn t = { .drop_ids = ids, .n_drop_ids = 1 };
	is_int(ops->apply(nat, &t), -EINVAL, "apply: dropping a short ID fails");
	char *s1 = save_norm();
	is_str(s1, s0, "... and nothing changed");
	free(s0);
	free(s1);
}

static void test_commit_failures(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7200, 7200, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	char *s0 = save_norm();

	fail_errno = EAGAIN;
	fail_count = 1;
	int before = n_replace;
	is_int(apply_add(nat, a, 2), 0, "apply: a commit that fails with EAGAIN is retried");
	is_int(n_replace - before, 3, "... 3 commits: nat failed, nat again, filter");
	char *s = save();
	is_int(count_substr(s, idh), 2, "... the rules are there once");
	free(s);
	is_int(apply_drop(nat, idh), 0, "drop them");

	fail_errno = EAGAIN;
	fail_count = 100;
	before = n_replace;
	is_int(apply_add(nat, a, 2), -EAGAIN, "apply: EAGAIN every time fails with -EAGAIN");
	ok(strstr(ctr_err_msg(), "kept changing") != NULL, "... clear message: %s",
	   ctr_err_msg());
	is_int(n_replace - before, 5, "... after 5 tries");
	fail_count = 0;
	s = save_norm();
	is_str(s, s0, "... nothing changed");
	free(s);

	fail_errno = ENOMEM;
	fail_count = 1;
	is_int(apply_add(nat, a, 2), -ENOMEM, "apply: a commit failing with ENOMEM fails");
	ok(strstr(ctr_err_msg(), "nat") != NULL, "... clear message: %s", ctr_err_msg());
	fail_count = 0;
	s = save_norm();
	is_str(s, s0, "... nothing changed");
	free(s);
	free(s0);
}

static void test_lock(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7300, 7300, CB, 80) };
	pid_t pid = hold_lock("/run/xtables.lock", 400);
	ok(pid > 0, "another process holds /run/xtables.lock for 400 ms");
	double t0 = now_ms();
	is_int(apply_add(nat, a, 1), 0, "apply waits for the lock, then succeeds");
	double dt = now_ms() - t0;
	ok(dt >= 300, "... after waiting (%.0f ms)", dt);
	if (pid > 0)
		waitpid(pid, NULL, 0);

	setenv("XTABLES_LOCKFILE", "/run/other.lock", 1);
	pid = hold_lock("/run/other.lock", 400);
	t0 = now_ms();
	is_int(apply_drop(nat, idh), 0, "XTABLES_LOCKFILE: apply waits for that lock file");
	dt = now_ms() - t0;
	ok(dt >= 300, "... after waiting (%.0f ms)", dt);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	pid = hold_lock("/run/xtables.lock", 400);
	t0 = now_ms();
	is_int(ops->ensure_base(nat), 0, "XTABLES_LOCKFILE: the default lock is not taken");
	dt = now_ms() - t0;
	ok(dt < 300, "... no wait (%.0f ms)", dt);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	unsetenv("XTABLES_LOCKFILE");
}

static void test_base_repair(struct nat *nat)
{
	/* Someone puts a rule before our POSTROUTING jump: ours stays where it is now. */
	sh("iptables-legacy -w -t nat -I POSTROUTING 1 -s 198.51.100.0/24 -j RETURN");
	int before = n_replace;
	is_int(ops->ensure_base(nat), 0, "ensure_base with our jump no longer first");
	is_int(n_replace - before, 0, "... nothing to commit: the jump may stay there");
	char *s = save();
	ok(line_index(s, "-A POSTROUTING -s 198.51.100.0/24 -j RETURN") <
		   line_index(s, "-A POSTROUTING -j CTRLINK-POST-" BR),
	   "... the other rule is still first");
	free(s);
	sh("iptables-legacy -w -t nat -D POSTROUTING -s 198.51.100.0/24 -j RETURN");

	/* Duplicated jump, missing jump, damaged chain: repaired in one commit per table. */
	sh("iptables-legacy -w -t nat -A POSTROUTING -j CTRLINK-POST-" BR);
	sh("iptables-legacy -w -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-" BR);
	sh("iptables-legacy -w -t nat -D CTRLINK-POST-" BR " 2");
	sh("iptables-legacy -w -A CTRLINK-FWD-" BR " -j ACCEPT");
	sh("iptables-legacy -w -t raw -F CTRLINK-RAW-" BR);
	before = n_replace;
	is_int(ops->ensure_base(nat), 0, "ensure_base repairs the layout");
	is_int(n_replace - before, 3, "... one commit per table");
	s = save();
	for (size_t i = 0; i < ARRAY_SIZE(base_lines); i++)
		is_int(count_line(s, base_lines[i]), 1, "repaired, once: %s", base_lines[i]);
	ok(line_index(s, base_lines[3]) + 1 == line_index(s, base_lines[4]) &&
		   line_index(s, base_lines[4]) + 1 == line_index(s, base_lines[5]),
	   "the POST chain is in order");
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -j ACCEPT"), 0, "the foreign FWD rule is gone");
	free(s);
	check_user_rules("after repair");
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
	is_int(open_nat(&iso, false), 0, "open with icc=false");
	if (!iso) {
		free(nfcall);
		return;
	}
	is_int(ops->ensure_base(iso), 0, "ensure_base with icc=false");
	char *s = save();
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j DROP"), 1,
	       "isolation: -i br -o br -j DROP, once");
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j ACCEPT"), 0,
	       "isolation: no -i br -o br -j ACCEPT");
	free(s);

	char out[256];
	int r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 1000);
	is_int(r, -ETIMEDOUT, "isolated: B cannot reach A:5432 (dropped)");
	struct nat_rule l[] = { link_rule(idb, ida, CTR_TCP, CB, CA, 5432, 5432) };
	is_int(apply_add(iso, l, 1), 0, "apply: link B -> A, port 5432");
	r = ns_query("ctr2", false, CA, 5432, out, sizeof out, 2000);
	is_int(r, 0, "linked: B reaches A:5432 through the LINK rule");
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
	/* A rule of the user's jumping to our chain: we cannot delete it, nothing happens. */
	sh("iptables-legacy -w -A USERCHAIN -j CTRLINK-LINK-" BR);
	char *s0 = save_norm();
	is_int(ops->remove_all(nat), -EBUSY, "remove_all refuses while a user's rule uses a chain");
	ok(strstr(ctr_err_msg(), "CTRLINK-LINK-" BR) != NULL, "... clear message: %s",
	   ctr_err_msg());
	char *s1 = save_norm();
	is_str(s1, s0, "... and nothing changed");
	free(s0);
	free(s1);
	sh("iptables-legacy -w -D USERCHAIN -j CTRLINK-LINK-" BR);

	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7400, 7400, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	is_int(apply_add(nat, a, 2), 0, "some per-container rules");
	int before = n_replace;
	is_int(ops->remove_all(nat), 0, "remove_all");
	is_int(n_replace - before, 3, "... one commit per table");
	char *s = save();
	is_int(count_substr(s, "CTRLINK"), 0, "no chain, jump or rule of ours is left");
	free(s);
	check_user_rules("after remove_all");
	before = n_replace;
	is_int(ops->remove_all(nat), 0, "remove_all again");
	is_int(n_replace - before, 0, "... nothing to commit");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Time apply() of one DNAT rule with `existing` rules in our chain (median of 21). */
static void bench(struct nat *nat, size_t existing)
{
	struct nat_rule *v = calloc(existing, sizeof *v);
	double t[21];
	bool good = v != NULL;
	for (size_t i = 0; good && i < existing; i++)
		v[i] = dnat(idb, CTR_TCP, NULL, (uint16_t)(20000 + i), (uint16_t)(20000 + i), CB,
			    80);
	good = good && apply_add(nat, v, existing) == 0;
	for (int i = 0; good && i < 21; i++) {
		struct nat_rule x = dnat(idb, CTR_UDP, NULL, (uint16_t)(40000 + i),
					 (uint16_t)(40000 + i), CB, 53);
		double t0 = now_ms();
		good = apply_add(nat, &x, 1) == 0;
		t[i] = now_ms() - t0;
		good = good && apply_del(nat, &x, 1) == 0;
	}
	double t0 = now_ms();
	struct nat_rule *l = NULL;
	size_t n = 0;
	good = good && ops->list(nat, &l, &n) == 0 && n == existing;
	double tl = now_ms() - t0;
	free(l);
	t0 = now_ms();
	good = good && apply_drop(nat, idb) == 0;
	double td = now_ms() - t0;
	ok(good, "benchmark with %zu existing rules ran", existing);
	if (good) {
		qsort(t, 21, sizeof t[0], cmp_double);
		diag("apply(1 DNAT) with %5zu existing: median %.3f ms (min %.3f, max %.3f); "
		     "list %.3f ms; drop all %.3f ms", existing, t[10], t[0], t[20], tl, td);
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
	unsetenv("XTABLES_LOCKFILE");
	ok(setup_network(), "bridge " BR ", containers A " CA " and B " CB " in netns");
	const uint16_t tcp[] = { 80, 443, 7005, 5432 }, udp[] = { 5001 };
	pid_t svc = start_service("ctr", tcp, ARRAY_SIZE(tcp), udp, ARRAY_SIZE(udp));
	ok(svc > 0, "services in container A: tcp 80 443 7005 5432, udp 5001");
	bool users = true;
	for (size_t i = 0; i < ARRAY_SIZE(user_cmds); i++)
		users &= sh("%s", user_cmds[i]) == 0;
	ok(users, "the user's own rules and chains");

	int mfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in la = { .sin_family = AF_INET, .sin_port = htons(7777) };
	la.sin_addr.s_addr = ip4("127.0.0.1");
	ok(mfd >= 0 && bind(mfd, (struct sockaddr *)&la, sizeof la) == 0,
	   "a host service on 127.0.0.1:7777 (udp)");

	test_open_errors();
	struct nat *nat = NULL;
	is_int(open_nat(&nat, true), 0, "open " BR " 10.77.0.0/24");
	if (!nat)
		return done_testing();
	test_martian(mfd, true);
	test_base(nat);
	test_martian(mfd, false);
	test_rules_and_traffic(nat);
	test_drop_and_del(nat);
	test_big(nat);
	test_many_link_deletions(nat);
	test_invalid(nat);
	test_commit_failures(nat);
	test_lock(nat);
	test_base_repair(nat);
	test_isolation(nat);
	check_user_rules("after all operations");
	test_remove_all(nat);
	is_int(ops->ensure_base(nat), 0, "ensure_base after remove_all");
	bench(nat, 10);
	bench(nat, 1000);
	bench(nat, 10000);
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
