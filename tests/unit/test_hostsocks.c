/* Unit tests for lib/core/hostsocks.c: which host sockets a publication of an address and port
 * would take traffic from.  A table of host sockets, then a table of publications with the
 * expected answer; one TAP point per publication. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "core/hostsocks.h"
#include "core/model.h"
#include "core/nat.h"
#include "tap.h"
#include "core/util.h"

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

static const struct {
	int proto;
	const char *addr;
	uint16_t port;
	bool v6only;
} socks[] = {
	{ CTR_TCP, "127.0.0.1", 9091, false },
	{ CTR_TCP, "::", 9092, false },          /* dual stack */
	{ CTR_TCP, "::", 9093, true },           /* IPv6 only */
	{ CTR_UDP, "0.0.0.0", 9094, false },
	{ CTR_TCP, "::ffff:10.0.0.1", 9095, false }, /* an IPv4-mapped address is IPv4 */
	{ CTR_TCP, "fd00::1", 9096, true },
	{ CTR_TCP, "0.0.0.0", 9097, false },
	{ CTR_UDP, "0.0.0.0", 9097, false },     /* the same port twice, two protocols */
	{ CTR_TCP, "10.0.0.2", 9098, false },
	{ CTR_TCP, "10.0.0.3", 9098, false },    /* two specific addresses on one port */
};

static const struct {
	int proto;
	const char *addr;
	uint16_t port;
	bool conflict;
	const char *why;
} cases[] = {
	{ CTR_TCP, "0.0.0.0", 9091, true, "a listener on one address overlaps 0.0.0.0" },
	{ CTR_TCP, "127.0.0.1", 9091, true, "the same address" },
	{ CTR_TCP, "127.0.0.2", 9091, false, "another address" },
	{ CTR_UDP, "0.0.0.0", 9091, false, "another protocol" },
	{ CTR_TCP, "0.0.0.0", 9090, false, "another port" },
	{ CTR_TCP, "::", 9091, true, "publishing on :: (both families) meets IPv4 sockets" },
	{ CTR_TCP, "fd00::5", 9091, false, "a specific IPv6 address does not meet IPv4" },
	{ CTR_TCP, "0.0.0.0", 9092, true, "a dual-stack :: listener takes IPv4" },
	{ CTR_TCP, "10.1.2.3", 9092, true, "... on every IPv4 address" },
	{ CTR_TCP, "fd00::5", 9092, true, "and every IPv6 address" },
	{ CTR_TCP, "0.0.0.0", 9093, false, "an IPv6-only :: listener leaves IPv4 alone" },
	{ CTR_TCP, "::", 9093, true, "but not IPv6" },
	{ CTR_UDP, "0.0.0.0", 9094, true, "a bound UDP socket" },
	{ CTR_TCP, "0.0.0.0", 9094, false, "TCP where UDP is taken" },
	{ CTR_TCP, "10.0.0.1", 9095, true, "a v4-mapped listener is an IPv4 one" },
	{ CTR_TCP, "::ffff:10.0.0.1", 9095, true, "and a v4-mapped publication an IPv4 one" },
	{ CTR_TCP, "10.0.0.9", 9095, false, "another IPv4 address" },
	{ CTR_TCP, "fd00::1", 9096, true, "a specific IPv6 address" },
	{ CTR_TCP, "::", 9096, true, "overlapped by ::" },
	{ CTR_TCP, "0.0.0.0", 9096, false, "not by 0.0.0.0" },
	{ CTR_UDP, "127.0.0.1", 9097, true, "0.0.0.0 overlaps a specific address" },
	{ CTR_TCP, "10.0.0.3", 9098, true, "the second of two sockets on the port" },
	{ CTR_TCP, "10.0.0.4", 9098, false, "neither of two sockets" },
	{ CTR_SCTP, "0.0.0.0", 9097, false, "SCTP is not listed" },
};

/* Other state directories' DNAT rules (pubports): each port of a rule held on its host
 * address, by its bridge; the overlap rule is hostsocks'. */
static const struct {
	const char *bridge;
	int proto;
	const char *addr; /* "" : every local address of the family given by v6 */
	bool v6;
	uint16_t lo, hi;
} pubs[] = {
	{ "ctl1", CTR_TCP, "", false, 18080, 18080 },
	{ "ctl1", CTR_UDP, "127.0.0.1", false, 18090, 18099 }, /* a range */
	{ "ctl2", CTR_TCP, "", true, 18100, 18100 },            /* IPv6, every address */
	{ "ctl2", CTR_SCTP, "10.0.0.1", false, 18110, 18110 },
	{ "ctl1", CTR_TCP, "127.0.0.1", false, 18120, 18120 },  /* back to the first bridge */
	{ "ctl3", CTR_TCP, "fd00::1", true, 18130, 18130 },
};

static const struct {
	int proto;
	const char *addr;
	uint16_t port;
	const char *bridge; /* NULL: free */
	const char *why;
} pub_cases[] = {
	{ CTR_TCP, "0.0.0.0", 18080, "ctl1", "the same port on every address" },
	{ CTR_TCP, "127.0.0.1", 18080, "ctl1", "one address under 0.0.0.0" },
	{ CTR_UDP, "0.0.0.0", 18080, NULL, "another protocol" },
	{ CTR_TCP, "0.0.0.0", 18081, NULL, "another port" },
	{ CTR_UDP, "0.0.0.0", 18095, "ctl1", "a port inside a published range" },
	{ CTR_UDP, "127.0.0.2", 18099, NULL, "the range's last port on another address" },
	{ CTR_UDP, "127.0.0.1", 18100, NULL, "past the range" },
	{ CTR_TCP, "0.0.0.0", 18100, NULL, "an IPv6 rule leaves IPv4 alone" },
	{ CTR_TCP, "::", 18100, "ctl2", "but not IPv6" },
	{ CTR_TCP, "fd00::9", 18100, "ctl2", "any IPv6 address" },
	{ CTR_SCTP, "0.0.0.0", 18110, "ctl2", "SCTP is held too" },
	{ CTR_SCTP, "10.0.0.2", 18110, NULL, "on its address only" },
	{ CTR_TCP, "127.0.0.1", 18120, "ctl1", "a bridge seen again keeps its name" },
	{ CTR_TCP, "127.0.0.2", 18120, NULL, "127.0.0.1 and 127.0.0.2 do not overlap" },
	{ CTR_TCP, "::", 18120, "ctl1", "publishing on :: meets IPv4, as for sockets" },
	{ CTR_TCP, "fd00::1", 18130, "ctl3", "a specific IPv6 address" },
	{ CTR_TCP, "fd00::2", 18130, NULL, "another IPv6 address" },
};

static void test_pubports(void)
{
	struct pubports pp = { 0 };
	int fails = 0;
	size_t ports = 0;
	for (size_t i = 0; i < ARRAY_SIZE(pubs); i++) {
		struct nat_rule r = { .kind = NAT_RULE_DNAT, .proto = (uint8_t)pubs[i].proto };
		uint8_t a[16] = { 0 };
		if (pubs[i].addr[0])
			fam_addr(pubs[i].addr, a);
		r.family = pubs[i].v6 ? AF_INET6 : 0;
		if (pubs[i].v6)
			memcpy(r.u.dnat.host_ip6, a, 16);
		else
			memcpy(&r.u.dnat.host_ip, a, 4);
		r.u.dnat.hport_lo = pubs[i].lo;
		r.u.dnat.hport_hi = pubs[i].hi;
		r.u.dnat.cport_lo = 80;
		fails += pubports_add(&pp, pubs[i].bridge, &r) < 0;
		ports += pubs[i].hi - pubs[i].lo + 1u;
	}
	struct nat_rule link = { .kind = NAT_RULE_LINK, .proto = CTR_TCP };
	link.u.link.port_lo = link.u.link.port_hi = 5432;
	fails += pubports_add(&pp, "ctl4", &link) < 0;
	ok(fails == 0 && pp.hs.n == ports && pp.n_bridge == 3,
	   "%zu published ports of 3 bridges recorded, one per port (a link rule is not one)",
	   pp.hs.n);
	for (size_t i = 0; i < ARRAY_SIZE(pub_cases); i++) {
		uint8_t a[16];
		int fam = fam_addr(pub_cases[i].addr, a);
		const char *br = pubports_conflict(&pp, pub_cases[i].proto, fam, a, pub_cases[i].port);
		ok(pub_cases[i].bridge ? br && strcmp(br, pub_cases[i].bridge) == 0 : !br,
		   "%s %s port %u: %s (%s)", proto_name((unsigned)pub_cases[i].proto),
		   pub_cases[i].addr, (unsigned)pub_cases[i].port,
		   pub_cases[i].bridge ? pub_cases[i].bridge : "free", pub_cases[i].why);
	}
	pubports_free(&pp);
	struct pubports empty = { 0 };
	uint8_t any[16] = { 0 };
	ok(!pubports_conflict(&empty, CTR_TCP, AF_INET, any, 18080), "no published port: all free");
}

int main(void)
{
	struct hostsocks hs = { 0 };
	int fails = 0;
	/* added in reverse, so that the lookup depends on the sort */
	for (size_t i = ARRAY_SIZE(socks); i-- > 0;) {
		uint8_t a[16];
		int fam = fam_addr(socks[i].addr, a);
		fails += hostsocks_add(&hs, socks[i].proto, fam, a, socks[i].port, socks[i].v6only) < 0;
	}
	ok(fails == 0 && hs.n == ARRAY_SIZE(socks), "%zu host sockets recorded", hs.n);
	ok(hs.v[ARRAY_SIZE(socks) - 1 - 4].family == AF_INET,
	   "an IPv4-mapped IPv6 address is recorded as IPv4");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t a[16];
		int fam = fam_addr(cases[i].addr, a);
		const struct host_sock *s = hostsocks_conflict(&hs, cases[i].proto, fam, a,
							       cases[i].port);
		ok(!!s == cases[i].conflict, "%s %s port %u: %s (%s)", proto_name((unsigned)cases[i].proto),
		   cases[i].addr, (unsigned)cases[i].port, cases[i].conflict ? "taken" : "free",
		   cases[i].why);
	}
	struct hostsocks empty = { 0 };
	uint8_t any[16] = { 0 };
	ok(!hostsocks_conflict(&empty, CTR_TCP, AF_INET, any, 80), "an empty snapshot takes nothing");
	/* many sockets: the search finds each one */
	struct hostsocks big = { 0 };
	uint8_t lo[16];
	fam_addr("127.0.0.1", lo);
	for (unsigned p = 1; p <= 20000; p += 2)
		hostsocks_add(&big, CTR_TCP, AF_INET, lo, (uint16_t)p, false);
	int wrong = 0;
	for (unsigned p = 1; p <= 20001; p++)
		wrong += !!hostsocks_conflict(&big, CTR_TCP, AF_INET, any, (uint16_t)p) != (p % 2 == 1 && p < 20000);
	is_int(wrong, 0, "10000 listeners on odd ports: every port of 1..20001 answered right");
	hostsocks_free(&big);
	hostsocks_free(&hs);
	test_pubports();
	return done_testing();
}
