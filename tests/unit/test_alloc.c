/* Unit tests for lib/core/alloc.c: the allocation index (container addresses, host ports, round-robin
 * cursors) and its binary form.  Tables of steps run against one index; one TAP point per step. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/alloc.h"
#include "core/model.h"
#include "tap.h"
#include "core/util.h"

static uint32_t ip4(const char *s)
{
	uint32_t ip = 0;
	if (inet_pton(AF_INET, s, &ip) != 1)
		diag("bad test address %s", s);
	return ip;
}

static const char *ip4_str(uint32_t ip, char *buf)
{
	inet_ntop(AF_INET, &ip, buf, 16);
	return buf;
}

/* "0.0.0.0", "::1", ... into family and address bytes */
static int fam_addr(const char *s, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	diag("bad test address %s", s);
	return AF_INET;
}

/* ---- alloc_init ---------------------------------------------------------------------------- */

struct init_case {
	int prefixlen;
	int want;
	size_t ipmap_bytes; /* when accepted: how many bytes the map must cover (checked by use) */
};

static void test_init(void)
{
	static const struct init_case cases[] = {
		{ 16, 0, 8192 }, { 17, 0, 4096 }, { 24, 0, 32 }, { 29, 0, 1 }, { 30, 0, 1 },
		{ 15, -EINVAL, 0 }, { 31, -EINVAL, 0 }, { 32, -EINVAL, 0 }, { 8, -EINVAL, 0 },
		{ 0, -EINVAL, 0 }, { -1, -EINVAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct init_case *c = &cases[i];
		struct alloc a;
		char want_msg[128];
		ctr_err_clear();
		int r = alloc_init(&a, ip4("10.0.0.0"), c->prefixlen);
		if (c->want == 0) {
			/* the last host offset must be addressable: take the broadcast - 1 */
			uint32_t hosts = 1u << (32 - c->prefixlen);
			uint32_t last = htonl(ntohl(ip4("10.0.0.0")) + hosts - 2);
			ok(r == 0 && a.ipmap && a.prefixlen == c->prefixlen && a.ip_last == 1 &&
				   a.n_maps == 0 && a.n_cursors == 0 &&
				   alloc_ip_take(&a, last) == 0,
			   "init /%d accepted (map of %zu bytes)", c->prefixlen, c->ipmap_bytes);
		} else {
			snprintf(want_msg, sizeof want_msg,
				 "subnet prefix length /%d is not supported (use /16 to /30)",
				 c->prefixlen);
			ok(r == c->want && a.ipmap == NULL && strcmp(ctr_err_msg(), want_msg) == 0,
			   "init /%d refused: %s", c->prefixlen, ctr_err_msg());
		}
		alloc_free(&a);
	}
}

/* ---- addresses ----------------------------------------------------------------------------- */

enum ip_op { IP_NEXT, IP_TAKE, IP_RELEASE, IP_TAKEN };

struct ip_step {
	enum ip_op op;
	const char *ip;  /* NEXT: the address expected (NULL: -ENOSPC) */
	int want;        /* TAKE: return code; TAKEN: 1/0 */
};

struct ip_script {
	const char *subnet;
	int prefixlen;
	const char *full_msg; /* the -ENOSPC message */
	struct ip_step steps[40];
	size_t n;
};

static const struct ip_script ip_scripts[] = {
	{ "172.17.0.0", 24, "no free address left in subnet 172.17.0.0/24",
	  {
		  { IP_TAKEN, "172.17.0.0", 1 },  /* network */
		  { IP_TAKEN, "172.17.0.1", 1 },  /* gateway */
		  { IP_TAKEN, "172.17.0.255", 1 },/* broadcast */
		  { IP_TAKEN, "172.17.0.2", 0 },
		  { IP_TAKEN, "172.18.0.2", 1 },  /* outside */
		  { IP_TAKE, "172.17.0.0", -EINVAL },
		  { IP_TAKE, "172.17.0.1", -EINVAL },
		  { IP_TAKE, "172.17.0.255", -EINVAL },
		  { IP_TAKE, "10.0.0.5", -EINVAL },
		  { IP_NEXT, "172.17.0.2", 0 },   /* the first container gets .2 */
		  { IP_NEXT, "172.17.0.3", 0 },
		  { IP_TAKEN, "172.17.0.3", 1 },
		  { IP_TAKE, "172.17.0.4", 0 },
		  { IP_TAKE, "172.17.0.4", -EADDRINUSE },
		  { IP_NEXT, "172.17.0.5", 0 },   /* skips the taken .4 */
		  { IP_RELEASE, "172.17.0.3", 0 },
		  { IP_TAKEN, "172.17.0.3", 0 },
		  { IP_NEXT, "172.17.0.6", 0 },   /* round robin: .3 is not reused at once */
		  { IP_RELEASE, "172.17.0.1", 0 },/* releasing a reserved address changes nothing */
		  { IP_TAKEN, "172.17.0.1", 1 },
		  { IP_RELEASE, "10.0.0.6", 0 },  /* nor one outside the subnet */
		  { IP_TAKE, "172.17.0.254", 0 },
		  { IP_TAKE, "172.17.0.128", 0 },
		  { IP_TAKEN, "172.17.0.128", 1 },
	  }, 24 },
	{ "10.0.0.0", 30, "no free address left in subnet 10.0.0.0/30",
	  {
		  { IP_NEXT, "10.0.0.2", 0 },     /* the only host address of a /30 */
		  { IP_NEXT, NULL, 0 },           /* full */
		  { IP_TAKE, "10.0.0.3", -EINVAL },
		  { IP_TAKE, "10.0.0.2", -EADDRINUSE },
		  { IP_RELEASE, "10.0.0.2", 0 },
		  { IP_NEXT, "10.0.0.2", 0 },     /* wraps around to it again */
		  { IP_NEXT, NULL, 0 },
	  }, 7 },
	{ "192.168.7.0", 29, "no free address left in subnet 192.168.7.0/29",
	  {
		  { IP_NEXT, "192.168.7.2", 0 }, { IP_NEXT, "192.168.7.3", 0 },
		  { IP_NEXT, "192.168.7.4", 0 }, { IP_NEXT, "192.168.7.5", 0 },
		  { IP_NEXT, "192.168.7.6", 0 }, { IP_NEXT, NULL, 0 },
		  { IP_RELEASE, "192.168.7.5", 0 }, { IP_RELEASE, "192.168.7.3", 0 },
		  { IP_NEXT, "192.168.7.3", 0 },  /* wraps past .7, .0, .1 and the taken .2 */
		  { IP_NEXT, "192.168.7.5", 0 },
		  { IP_NEXT, NULL, 0 },
		  { IP_TAKEN, "192.168.7.7", 1 },
		  { IP_TAKEN, "192.168.8.2", 1 },
	  }, 13 },
	{ "172.18.0.0", 16, "no free address left in subnet 172.18.0.0/16",
	  {
		  { IP_NEXT, "172.18.0.2", 0 },
		  { IP_TAKEN, "172.18.0.255", 0 }, /* not a broadcast address in a /16 */
		  { IP_TAKE, "172.18.0.255", 0 },
		  { IP_TAKE, "172.18.1.0", 0 },
		  { IP_TAKEN, "172.18.255.255", 1 },
		  { IP_TAKE, "172.18.255.254", 0 },
		  { IP_TAKEN, "172.19.0.2", 1 },
		  { IP_NEXT, "172.18.0.3", 0 },
	  }, 8 },
};

static void run_ip_script(const struct ip_script *s)
{
	struct alloc a;
	if (alloc_init(&a, ip4(s->subnet), s->prefixlen) < 0) {
		ok(0, "init %s/%d: %s", s->subnet, s->prefixlen, ctr_err_msg());
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct ip_step *st = &s->steps[i];
		char buf[16];
		uint32_t ip = 0;
		int r;
		switch (st->op) {
		case IP_NEXT:
			ctr_err_clear();
			r = alloc_ip_next(&a, &ip);
			if (st->ip)
				is_str(r == 0 ? ip4_str(ip, buf) : ctr_err_msg(), st->ip,
				       "%s/%d step %zu: next", s->subnet, s->prefixlen, i);
			else
				ok(r == -ENOSPC && strcmp(ctr_err_msg(), s->full_msg) == 0,
				   "%s/%d step %zu: next on a full subnet: %s", s->subnet,
				   s->prefixlen, i, ctr_err_msg());
			break;
		case IP_TAKE:
			is_int(alloc_ip_take(&a, ip4(st->ip)), st->want, "%s/%d step %zu: take %s",
			       s->subnet, s->prefixlen, i, st->ip);
			break;
		case IP_RELEASE:
			alloc_ip_release(&a, ip4(st->ip));
			ok(1, "%s/%d step %zu: release %s", s->subnet, s->prefixlen, i, st->ip);
			break;
		case IP_TAKEN:
			is_int(alloc_ip_taken(&a, ip4(st->ip)), st->want,
			       "%s/%d step %zu: taken %s", s->subnet, s->prefixlen, i, st->ip);
			break;
		}
	}
	alloc_free(&a);
}

static void test_ips(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ip_scripts); i++)
		run_ip_script(&ip_scripts[i]);

	/* a /16 handed out to the last address, then wrapping to the start */
	struct alloc a;
	uint32_t ip = 0, first = 0, last = 0;
	int r = alloc_init(&a, ip4("172.20.0.0"), 16);
	size_t n = 0;
	while (r == 0 && (r = alloc_ip_next(&a, &ip)) == 0) {
		if (!n)
			first = ip;
		last = ip;
		n++;
	}
	char b1[16], b2[16];
	ok(r == -ENOSPC && n == 65533 && strcmp(ip4_str(first, b1), "172.20.0.2") == 0 &&
		   strcmp(ip4_str(last, b2), "172.20.255.254") == 0,
	   "a /16 holds 65533 containers, .0.2 to .255.254 (got %zu, %s to %s)", n, b1, b2);
	alloc_ip_release(&a, ip4("172.20.0.9"));
	alloc_ip_release(&a, ip4("172.20.128.0"));
	r = alloc_ip_next(&a, &ip);
	is_str(r == 0 ? ip4_str(ip, b1) : ctr_err_msg(), "172.20.0.9", "/16 wraps around");
	r = alloc_ip_next(&a, &ip);
	is_str(r == 0 ? ip4_str(ip, b1) : ctr_err_msg(), "172.20.128.0",
	       "/16 round robin continues");
	alloc_free(&a);
}

/* ---- ports: take, taken, release ----------------------------------------------------------- */

enum port_op { P_TAKE, P_TAKEN, P_RELEASE, P_NMAPS };

struct port_step {
	enum port_op op;
	uint8_t proto;
	const char *ip;
	uint16_t port;
	int want; /* TAKE: rc; TAKEN, RELEASE: taken (afterwards) 1/0; NMAPS: count */
	const char *what;
};

static const struct port_step port_steps[] = {
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 80, 0, "nothing taken yet" },
	{ P_TAKE, CTR_TCP, "0.0.0.0", 80, 0, "" },
	{ P_TAKE, CTR_TCP, "0.0.0.0", 80, -EADDRINUSE, "twice" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 80, 1, "" },
	{ P_TAKEN, CTR_TCP, "127.0.0.1", 80, 1, "0.0.0.0 overlaps a specific IPv4 address" },
	{ P_TAKE, CTR_TCP, "127.0.0.1", 80, -EADDRINUSE, "0.0.0.0 overlaps a specific address" },
	{ P_TAKEN, CTR_UDP, "0.0.0.0", 80, 0, "another protocol" },
	{ P_TAKEN, CTR_SCTP, "127.0.0.1", 80, 0, "another protocol" },
	{ P_TAKEN, CTR_TCP, "::", 80, 0, "0.0.0.0 does not overlap ::" },
	{ P_TAKEN, CTR_TCP, "::1", 80, 0, "0.0.0.0 does not overlap IPv6 addresses" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 81, 0, "another port" },
	{ P_TAKE, CTR_TCP, "::", 80, 0, ":: beside 0.0.0.0" },
	{ P_TAKEN, CTR_TCP, "fd00::1", 80, 1, ":: overlaps IPv6 addresses" },
	{ P_TAKE, CTR_TCP, "127.0.0.1", 81, 0, "specific address" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 81, 1, "a specific address overlaps 0.0.0.0" },
	{ P_TAKE, CTR_TCP, "0.0.0.0", 81, -EADDRINUSE, "a specific address blocks 0.0.0.0" },
	{ P_TAKEN, CTR_TCP, "10.0.0.1", 81, 0, "other specific addresses do not overlap" },
	{ P_TAKE, CTR_TCP, "10.0.0.1", 81, 0, "two specific addresses, one port" },
	{ P_TAKEN, CTR_TCP, "::", 81, 0, "IPv4 addresses do not overlap ::" },
	{ P_TAKE, CTR_TCP, "::1", 81, 0, "" },
	{ P_TAKEN, CTR_TCP, "::", 81, 1, "::1 overlaps ::" },
	{ P_TAKEN, CTR_TCP, "fe80::1", 81, 0, "" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 81, 1, "" },
	{ P_TAKE, CTR_UDP, "0.0.0.0", 81, 0, "udp beside tcp" },
	{ P_NMAPS, 0, NULL, 0, 6, "tcp 0.0.0.0, ::, 127.0.0.1, 10.0.0.1, ::1; udp 0.0.0.0" },
	{ P_RELEASE, CTR_TCP, "127.0.0.1", 81, 0, "" },
	{ P_NMAPS, 0, NULL, 0, 5, "an empty map is dropped" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 81, 1, "10.0.0.1 still holds 81" },
	{ P_RELEASE, CTR_TCP, "10.0.0.1", 81, 0, "" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 81, 0, "released" },
	{ P_NMAPS, 0, NULL, 0, 4, "" },
	{ P_RELEASE, CTR_TCP, "127.0.0.1", 80, 1, "never taken there: 0.0.0.0 still holds it" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 80, 1, "release on another address leaves 0.0.0.0" },
	{ P_RELEASE, CTR_SCTP, "0.0.0.0", 80, 0, "no such map: nothing" },
	{ P_NMAPS, 0, NULL, 0, 4, "" },
	{ P_TAKE, CTR_TCP, "0.0.0.0", 1, 0, "port 1" },
	{ P_TAKE, CTR_TCP, "0.0.0.0", 65535, 0, "port 65535" },
	{ P_RELEASE, CTR_TCP, "0.0.0.0", 80, 0, "" },
	{ P_NMAPS, 0, NULL, 0, 4, "a map with ports left is kept" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 80, 0, "" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 65535, 1, "" },
	{ P_TAKEN, CTR_TCP, "0.0.0.0", 1, 1, "" },
	{ P_RELEASE, CTR_TCP, "0.0.0.0", 1, 0, "" },
	{ P_RELEASE, CTR_TCP, "0.0.0.0", 65535, 0, "" },
	{ P_NMAPS, 0, NULL, 0, 3, "" },
	{ P_RELEASE, CTR_TCP, "::", 80, 0, "" },
	{ P_RELEASE, CTR_TCP, "::1", 81, 0, "" },
	{ P_RELEASE, CTR_UDP, "0.0.0.0", 81, 0, "" },
	{ P_NMAPS, 0, NULL, 0, 0, "everything released: no map left" },
};

static void test_ports(void)
{
	struct alloc a;
	if (alloc_init(&a, ip4("172.17.0.0"), 16) < 0)
		return (void)ok(0, "init");
	for (size_t i = 0; i < ARRAY_SIZE(port_steps); i++) {
		const struct port_step *s = &port_steps[i];
		uint8_t addr[16];
		int fam = s->ip ? fam_addr(s->ip, addr) : AF_INET;
		const char *pn = proto_name(s->proto);
		switch (s->op) {
		case P_TAKE:
			is_int(alloc_port_take(&a, s->proto, fam, addr, s->port), s->want,
			       "port step %zu: take %s %s:%u %s", i, pn, s->ip, s->port, s->what);
			break;
		case P_TAKEN:
			is_int(alloc_port_taken(&a, s->proto, fam, addr, s->port), s->want,
			       "port step %zu: taken %s %s:%u %s", i, pn, s->ip, s->port, s->what);
			break;
		case P_RELEASE:
			alloc_port_release(&a, s->proto, fam, addr, s->port);
			is_int(alloc_port_taken(&a, s->proto, fam, addr, s->port), s->want,
			       "port step %zu: release %s %s:%u, then taken: %d %s", i, pn, s->ip,
			       s->port, s->want, s->what);
			break;
		case P_NMAPS:
			is_int((long long)a.n_maps, s->want, "port step %zu: %d maps %s", i,
			       s->want, s->what);
			break;
		}
	}
	alloc_free(&a);
}

/* ---- ports: alloc_port_next ---------------------------------------------------------------- */

struct refuse {
	int proto;
	uint16_t ports[8]; /* ports the host has in use (0 ends) */
	int calls;
};

static bool usable_cb(void *ctx, int proto, uint16_t port)
{
	struct refuse *r = ctx;
	r->calls++;
	for (size_t i = 0; i < ARRAY_SIZE(r->ports) && r->ports[i]; i++)
		if (proto == r->proto && port == r->ports[i])
			return false;
	return true;
}

enum next_op { N_NEXT, N_TAKE, N_RELEASE };

struct next_step {
	enum next_op op;
	uint8_t proto;
	const char *ip;
	uint16_t lo, hi;      /* TAKE/RELEASE: lo is the port */
	uint16_t refused[4];  /* NEXT: ports `usable` refuses (for this proto) */
	int want;             /* NEXT: the port, or a negative errno */
	const char *what;
};

static const struct next_step next_steps[] = {
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 0 }, 100, "starts at the range start" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 0 }, 101, "round robin" },
	{ N_TAKE, CTR_TCP, "0.0.0.0", 102, 0, { 0 }, 0, "taken by hand" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 0 }, 103, "skips a taken port" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 104 }, -ENOSPC, "skips a refused port: none" },
	{ N_RELEASE, CTR_TCP, "0.0.0.0", 100, 0, { 0 }, 0, "" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 0 }, 104, "continues after the cursor" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 0 }, 100, "wraps to a released port" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 0 }, -ENOSPC, "full" },
	{ N_NEXT, CTR_UDP, "0.0.0.0", 100, 104, { 0 }, 100, "per protocol cursor and map" },
	{ N_NEXT, CTR_UDP, "0.0.0.0", 100, 104, { 101, 102 }, 103, "udp refusals skipped" },
	{ N_NEXT, CTR_UDP, "0.0.0.0", 100, 104, { 0 }, 104, "" },
	{ N_NEXT, CTR_UDP, "0.0.0.0", 100, 104, { 0 }, 101, "wraps to the refused ones" },
	{ N_NEXT, CTR_TCP, "127.0.0.1", 100, 104, { 0 }, -ENOSPC, "0.0.0.0 overlaps 127.0.0.1" },
	{ N_NEXT, CTR_TCP, "::", 100, 104, { 0 }, 100, "but not ::" },
	{ N_NEXT, CTR_TCP, "::1", 100, 104, { 0 }, 101, ":: overlaps ::1" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 200, { 0 }, 105, "another range, another cursor" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 200, { 0 }, 106, "" },
	{ N_RELEASE, CTR_TCP, "0.0.0.0", 101, 0, { 0 }, 0, "" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 100, 104, { 0 }, 101, "first range: after its cursor (100)" },
	{ N_NEXT, CTR_TCP, "10.0.0.1", 300, 301, { 0 }, 300, "specific address" },
	{ N_NEXT, CTR_TCP, "10.0.0.2", 300, 301, { 0 }, 300, "another specific address" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 300, 301, { 0 }, 301, "0.0.0.0 skips specific ones" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 7, 7, { 0 }, 7, "single-port range" },
	{ N_NEXT, CTR_TCP, "0.0.0.0", 7, 7, { 0 }, -ENOSPC, "" },
	{ N_NEXT, CTR_SCTP, "0.0.0.0", 65534, 65535, { 0 }, 65534, "top of the port space" },
	{ N_NEXT, CTR_SCTP, "0.0.0.0", 65534, 65535, { 0 }, 65535, "" },
	{ N_NEXT, CTR_SCTP, "0.0.0.0", 65534, 65535, { 0 }, -ENOSPC, "no wrap past 65535" },
	{ N_NEXT, CTR_SCTP, "0.0.0.0", 0, 10, { 0 }, -EINVAL, "range from 0" },
	{ N_NEXT, CTR_SCTP, "0.0.0.0", 11, 10, { 0 }, -EINVAL, "range upside down" },
};

static void test_next(void)
{
	struct alloc a;
	if (alloc_init(&a, ip4("172.17.0.0"), 16) < 0)
		return (void)ok(0, "init");
	for (size_t i = 0; i < ARRAY_SIZE(next_steps); i++) {
		const struct next_step *s = &next_steps[i];
		uint8_t addr[16];
		int fam = fam_addr(s->ip, addr);
		const char *pn = proto_name(s->proto);
		if (s->op == N_TAKE) {
			is_int(alloc_port_take(&a, s->proto, fam, addr, s->lo), 0,
			       "next step %zu: take %s %s:%u", i, pn, s->ip, s->lo);
			continue;
		}
		if (s->op == N_RELEASE) {
			alloc_port_release(&a, s->proto, fam, addr, s->lo);
			ok(!alloc_port_taken(&a, s->proto, fam, addr, s->lo),
			   "next step %zu: release %s %s:%u", i, pn, s->ip, s->lo);
			continue;
		}
		struct refuse rf = { s->proto, { 0 }, 0 };
		memcpy(rf.ports, s->refused, sizeof s->refused);
		uint16_t port = 0;
		char want_msg[64];
		ctr_err_clear();
		int r = alloc_port_next(&a, s->proto, fam, addr, s->lo, s->hi, usable_cb, &rf,
					&port);
		if (s->want > 0)
			ok(r == 0 && port == s->want &&
				   alloc_port_taken(&a, s->proto, fam, addr, port),
			   "next step %zu: %s %s %u-%u gives %d (got %d, port %u): %s", i, pn,
			   s->ip, s->lo, s->hi, s->want, r, port, s->what);
		else {
			if (s->want == -ENOSPC)
				snprintf(want_msg, sizeof want_msg, "all ports are allocated");
			else
				snprintf(want_msg, sizeof want_msg, "bad port range %u-%u", s->lo,
					 s->hi);
			ok(r == s->want && strcmp(ctr_err_msg(), want_msg) == 0,
			   "next step %zu: %s %s %u-%u refused (%d, %s): %s", i, pn, s->ip, s->lo,
			   s->hi, r, ctr_err_msg(), s->what);
		}
	}

	/* usable is optional; and it sees the protocol and only the untaken ports */
	struct refuse rf = { CTR_UDP, { 0 }, 0 };
	uint16_t port = 0;
	uint8_t any[16] = { 0 };
	int r = alloc_port_next(&a, CTR_UDP, AF_INET, any, 100, 104, NULL, NULL, &port);
	ok(r == 0 && port == 102, "next without usable: the port refused before (%d, %u)", r, port);
	r = alloc_port_next(&a, CTR_UDP, AF_INET, any, 100, 110, usable_cb, &rf, &port);
	ok(r == 0 && port == 105 && rf.calls == 1,
	   "usable is asked only about untaken ports (port %u, %d calls)", port, rf.calls);
	alloc_free(&a);
}

/* ---- binary form --------------------------------------------------------------------------- */

static bool same_alloc(const struct alloc *x, const struct alloc *y, const char **why)
{
	size_t ipb = ((1u << (32 - x->prefixlen)) + 7) / 8;
	*why = "subnet";
	if (x->subnet != y->subnet || x->prefixlen != y->prefixlen)
		return false;
	*why = "ip_last";
	if (x->ip_last != y->ip_last)
		return false;
	*why = "ipmap";
	if (memcmp(x->ipmap, y->ipmap, ipb) != 0)
		return false;
	*why = "maps";
	if (x->n_maps != y->n_maps ||
	    (x->n_maps && memcmp(x->maps, y->maps, x->n_maps * sizeof *x->maps) != 0))
		return false;
	*why = "cursors";
	if (x->n_cursors != y->n_cursors ||
	    (x->n_cursors && memcmp(x->cursors, y->cursors, x->n_cursors * sizeof *x->cursors)))
		return false;
	*why = "";
	return true;
}

/* An index with addresses, maps of both families and cursors. */
static int populate(struct alloc *a)
{
	uint32_t ip;
	uint16_t port;
	uint8_t any4[16] = { 0 }, lo4[16], v6[16];
	fam_addr("127.0.0.1", lo4);
	fam_addr("fd00::7", v6);
	int e = alloc_init(a, ip4("172.17.0.0"), 24);
	for (int i = 0; i < 5 && !e; i++)
		e = alloc_ip_next(a, &ip);
	if (!e)
		alloc_ip_release(a, ip4("172.17.0.3"));
	if (!e)
		e = alloc_port_take(a, CTR_TCP, AF_INET, any4, 8080);
	if (!e)
		e = alloc_port_take(a, CTR_UDP, AF_INET, lo4, 53);
	if (!e)
		e = alloc_port_take(a, CTR_SCTP, AF_INET6, v6, 9);
	if (!e)
		e = alloc_port_next(a, CTR_TCP, AF_INET, any4, 49153, 60999, NULL, NULL, &port);
	if (!e)
		e = alloc_port_next(a, CTR_TCP, AF_INET, any4, 49153, 60999, NULL, NULL, &port);
	if (!e)
		e = alloc_port_next(a, CTR_UDP, AF_INET6, v6, 1000, 1001, NULL, NULL, &port);
	return e;
}

static void test_roundtrip(void)
{
	struct alloc a, b;
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	const char *why = "";

	/* empty index */
	int r = alloc_init(&a, ip4("10.1.0.0"), 30);
	if (r == 0)
		r = alloc_encode(&a, &buf, &len);
	if (r == 0)
		r = alloc_decode(buf, len, &b);
	bool same = r == 0 && len == 8 + 4 + 4 + 4 + 1 + 4 + 4 && same_alloc(&a, &b, &why);
	ok(same, "empty /30 index round trips (%zu bytes) %s", len, r ? ctr_err_msg() : why);
	if (r == 0)
		alloc_free(&b);
	alloc_free(&a);
	free(buf);

	r = populate(&a);
	if (r == 0)
		r = alloc_encode(&a, &buf, &len);
	if (r < 0)
		return (void)ok(0, "populate/encode: %s", ctr_err_msg());
	size_t want_len = 8 + 12 + 32 + 4 + 4 * sizeof(struct alloc_portmap) + 4 +
			  2 * sizeof(struct alloc_cursor);
	is_int((long long)len, (long long)want_len, "encoded size: header, map, 4 maps, 2 cursors");
	r = alloc_decode(buf, len, &b);
	same = r == 0 && same_alloc(&a, &b, &why);
	ok(same, "populated index round trips %s", why);
	if (r < 0)
		return (void)free(buf);
	r = alloc_encode(&b, &buf2, &len2);
	ok(r == 0 && len2 == len && memcmp(buf, buf2, len) == 0,
	   "re-encoding gives the same bytes");
	free(buf2);

	/* the decoded index carries on where the original was */
	uint32_t ip1 = 0, ip2 = 0;
	uint16_t p1 = 0, p2 = 0;
	uint8_t any4[16] = { 0 }, lo4[16];
	fam_addr("127.0.0.1", lo4);
	alloc_ip_next(&a, &ip1);
	alloc_ip_next(&b, &ip2);
	char s1[16];
	ok(ip1 == ip2 && ip2 == ip4("172.17.0.7"), "decoded: next address %s", ip4_str(ip2, s1));
	alloc_port_next(&a, CTR_TCP, AF_INET, any4, 49153, 60999, NULL, NULL, &p1);
	alloc_port_next(&b, CTR_TCP, AF_INET, any4, 49153, 60999, NULL, NULL, &p2);
	ok(p1 == p2 && p2 == 49155, "decoded: the cursor continues (%u)", p2);
	ok(alloc_port_taken(&b, CTR_UDP, AF_INET, lo4, 53) &&
		   alloc_port_taken(&b, CTR_UDP, AF_INET, any4, 53) &&
		   !alloc_port_taken(&b, CTR_TCP, AF_INET, lo4, 53) &&
		   alloc_port_taken(&b, CTR_TCP, AF_INET, lo4, 8080),
	   "decoded: ports taken as before");
	alloc_free(&b);
	alloc_free(&a);

	/* refusals: mutations of a good buffer */
	const size_t ipmap = 20, nmaps = ipmap + 32, map0 = nmaps + 4;
	const size_t ncur = map0 + 4 * sizeof(struct alloc_portmap), cur0 = ncur + 4;
	struct {
		const char *what;
		size_t cut;        /* keep this many bytes (0: all) */
		size_t at;         /* then write `val` (4 bytes) here, unless at == SIZE_MAX */
		uint32_t val;
		bool add_byte;
	} muts[] = {
		{ "empty buffer", 0, SIZE_MAX, 0, false },
		{ "7 bytes of magic", 7, SIZE_MAX, 0, false },
		{ "header only", 20, SIZE_MAX, 0, false },
		{ "wrong magic", SIZE_MAX, 4, 0x32434c41 /* "ALC2" */, false },
		{ "prefix length 15", SIZE_MAX, 12, 15, false },
		{ "prefix length 31", SIZE_MAX, 12, 31, false },
		{ "prefix length 0", SIZE_MAX, 12, 0, false },
		{ "prefix length -1", SIZE_MAX, 12, 0xffffffff, false },
		{ "prefix length 16 (map too short for it)", SIZE_MAX, 12, 16, false },
		{ "ip_last at the host count", SIZE_MAX, 16, 256, false },
		{ "ip_last huge", SIZE_MAX, 16, 0x80000000, false },
		{ "truncated in the address map", ipmap + 10, SIZE_MAX, 0, false },
		{ "no map count", nmaps, SIZE_MAX, 0, false },
		{ "map count larger than the buffer", SIZE_MAX, nmaps, 0xffffffff, false },
		{ "map count one too many", SIZE_MAX, nmaps, 5, false },
		{ "truncated in a map", map0 + 100, SIZE_MAX, 0, false },
		{ "no cursor count", ncur, SIZE_MAX, 0, false },
		{ "cursor count larger than the buffer", SIZE_MAX, ncur, 0x10000000, false },
		{ "cursor count one too many", SIZE_MAX, ncur, 3, false },
		{ "truncated in a cursor", cur0 + 30, SIZE_MAX, 0, false },
		{ "one byte short", SIZE_MAX - 1, SIZE_MAX, 0, false },
		{ "cursor lo > hi", SIZE_MAX, cur0 + 18, 0xc001ee48 /* lo 61000, hi 49153 */,
		  false },
		{ "trailing garbage", SIZE_MAX, SIZE_MAX, 0, true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(muts); i++) {
		size_t n = muts[i].cut == SIZE_MAX ? len : muts[i].cut == SIZE_MAX - 1 ? len - 1 :
						     muts[i].cut;
		char *m = malloc(len + 1);
		memcpy(m, buf, len);
		if (muts[i].at != SIZE_MAX)
			memcpy(m + muts[i].at, &muts[i].val, 4);
		if (muts[i].add_byte)
			m[n++] = 0;
		memset(&b, 0x55, sizeof b);
		ctr_err_clear();
		r = alloc_decode(m, n, &b);
		ok(r == -EINVAL && b.ipmap == NULL && b.maps == NULL && b.cursors == NULL &&
			   b.n_maps == 0 && b.n_cursors == 0,
		   "decode refuses: %s (%d)", muts[i].what, r);
		if (r == 0)
			alloc_free(&b);
		free(m);
	}
	/* every prefix of a good buffer is refused */
	size_t bad_cut = 0;
	for (size_t n = 0; n < len && !bad_cut; n++) {
		char *m = malloc(n ? n : 1);
		memcpy(m, buf, n);
		if (alloc_decode(m, n, &b) != -EINVAL) {
			bad_cut = n ? n : SIZE_MAX;
			alloc_free(&b);
		}
		free(m);
	}
	ok(!bad_cut, "decode refuses each of the %zu truncations (first accepted: %zu)", len,
	   bad_cut);
	free(buf);
}

/* ---- ports: releasing many (alloc_port_clear + alloc_drop_empty) --------------------------- */

static void test_clear(void)
{
	struct alloc a;
	uint8_t any[16] = { 0 }, lo[16];
	fam_addr("127.0.0.1", lo);
	if (alloc_init(&a, htonl(0xac110000), 16) < 0)
		return (void)ok(0, "init");
	int e = 0;
	for (unsigned p = 20000; p < 21000 && !e; p++)
		e = alloc_port_take(&a, CTR_TCP, AF_INET, any, (uint16_t)p);
	e = e ? e : alloc_port_take(&a, CTR_UDP, AF_INET, any, 53);
	e = e ? e : alloc_port_take(&a, CTR_TCP, AF_INET, lo, 80);
	ok(e == 0 && a.n_maps == 3, "clear: three maps");
	for (unsigned p = 20000; p < 21000; p++)
		alloc_port_clear(&a, CTR_TCP, AF_INET, any, (uint16_t)p);
	alloc_port_clear(&a, CTR_SCTP, AF_INET, any, 1); /* no map: nothing */
	ok(a.n_maps == 3 && !alloc_port_taken(&a, CTR_TCP, AF_INET, any, 20500),
	   "clear: the ports are free, the empty map stays until dropped");
	alloc_drop_empty(&a);
	ok(a.n_maps == 2 && a.maps[0].proto == CTR_UDP && a.maps[1].proto == CTR_TCP &&
		   alloc_port_taken(&a, CTR_UDP, AF_INET, any, 53) &&
		   alloc_port_taken(&a, CTR_TCP, AF_INET, lo, 80),
	   "drop_empty: the empty map goes, the others stay, in order");
	alloc_port_clear(&a, CTR_TCP, AF_INET, lo, 80);
	alloc_port_clear(&a, CTR_UDP, AF_INET, any, 53);
	alloc_drop_empty(&a);
	ok(a.n_maps == 0, "drop_empty: all empty: none left");
	alloc_drop_empty(&a);
	ok(a.n_maps == 0, "drop_empty: on an empty index");
	/* a map with only the highest port taken is not empty */
	e = alloc_port_take(&a, CTR_TCP, AF_INET, any, 65535);
	alloc_drop_empty(&a);
	ok(e == 0 && a.n_maps == 1, "drop_empty: port 65535 keeps its map");
	alloc_port_release(&a, CTR_TCP, AF_INET, any, 65535);
	ok(a.n_maps == 0, "release: the last port drops its map");
	alloc_free(&a);
}

int main(void)
{
	test_init();
	test_ips();
	test_ports();
	test_next();
	test_roundtrip();
	test_clear();
	return done_testing();
}
