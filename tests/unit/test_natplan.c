/* Unit tests for lib/natplan.c: DNAT rules from mappings (runs coalesced) and link rules from
 * a child's exposed ports (runs per protocol), over IPv4 and, when the containers have IPv6
 * addresses, IPv6.  One TAP point per table row. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "natplan.h"
#include "tap.h"
#include "util.h"

#define OWNER "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PEER "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static uint32_t ip4(const char *s)
{
	uint32_t ip = 0;
	inet_pton(AF_INET, s, &ip);
	return ip;
}

static const uint8_t *ip6(const char *s)
{
	static uint8_t buf[4][16];
	static unsigned k;
	uint8_t *p = buf[k++ % 4];
	inet_pton(AF_INET6, s, p);
	return p;
}

/* An address of the rule's family: IPv6 ones in brackets. */
static void addr(const struct nat_rule *r, const void *v4, const uint8_t *v6, char *buf)
{
	char t[INET6_ADDRSTRLEN];
	if (r->family == AF_INET6) {
		inet_ntop(AF_INET6, v6, t, sizeof t);
		snprintf(buf, 64, "[%s]", t);
	} else {
		inet_ntop(AF_INET, v4, buf, 64);
	}
}

/* "tcp 0.0.0.0:8000-8002->172.17.0.2:80; ..." for DNAT rules, "tcp 172.17.0.3->172.17.0.2:80-81"
 * for link rules; a rule with unexpected owners or family is shown as "BAD ...". */
static char *render(const struct nat_rule *r, size_t n, const char *owner, const char *peer)
{
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	for (size_t i = 0; i < n; i++) {
		char a[64], b[64];
		if (i)
			sb_add(&sb, "; ");
		if (strcmp(r[i].owner, owner) != 0 || strcmp(r[i].peer, peer) != 0) {
			sb_add(&sb, "BAD OWNER");
			continue;
		}
		if (r[i].family != AF_INET && r[i].family != AF_INET6) {
			sb_addf(&sb, "BAD FAMILY %u", r[i].family);
			continue;
		}
		if (r[i].kind == NAT_RULE_DNAT) {
			addr(&r[i], &r[i].u.dnat.host_ip, r[i].u.dnat.host_ip6, a);
			addr(&r[i], &r[i].u.dnat.cip, r[i].u.dnat.cip6, b);
			sb_addf(&sb, "%s %s:%u", proto_name(r[i].proto), a, r[i].u.dnat.hport_lo);
			if (r[i].u.dnat.hport_hi != r[i].u.dnat.hport_lo)
				sb_addf(&sb, "-%u", r[i].u.dnat.hport_hi);
			sb_addf(&sb, "->%s:%u", b, r[i].u.dnat.cport_lo);
		} else if (r[i].kind == NAT_RULE_LINK) {
			addr(&r[i], &r[i].u.link.src, r[i].u.link.src6, a);
			addr(&r[i], &r[i].u.link.dst, r[i].u.link.dst6, b);
			sb_addf(&sb, "%s %s->%s:%u", proto_name(r[i].proto), a, b,
				r[i].u.link.port_lo);
			if (r[i].u.link.port_hi != r[i].u.link.port_lo)
				sb_addf(&sb, "-%u", r[i].u.link.port_hi);
		} else {
			sb_addf(&sb, "BAD KIND %u", r[i].kind);
		}
	}
	return sb_finish(&sb);
}

#define M(port, proto, ip, hport) { { port, proto }, ip, hport }
#define T CTR_TCP
#define U CTR_UDP
#define S CTR_SCTP

struct dnat_case {
	const char *what;
	struct ctr_mapping m[8];
	size_t n;
	const char *want;
	bool v6; /* the container has the IPv6 address fd00::2 */
};

#define C6 "->[fd00::2]:"

static const struct dnat_case dnat_cases[] = {
	{ "nothing", { { { 0 } } }, 0, "" },
	{ "one port", { M(80, T, "0.0.0.0", 8080) }, 1, "tcp 0.0.0.0:8080->172.17.0.2:80" },
	{ "a run: consecutive host and container ports, one offset",
	  { M(80, T, "0.0.0.0", 8000), M(81, T, "0.0.0.0", 8001), M(82, T, "0.0.0.0", 8002) }, 3,
	  "tcp 0.0.0.0:8000-8002->172.17.0.2:80" },
	{ "a run with offset 0",
	  { M(5000, U, "127.0.0.1", 5000), M(5001, U, "127.0.0.1", 5001) }, 2,
	  "udp 127.0.0.1:5000-5001->172.17.0.2:5000" },
	{ "unsorted input is coalesced",
	  { M(82, T, "0.0.0.0", 8002), M(80, T, "0.0.0.0", 8000), M(81, T, "0.0.0.0", 8001) }, 3,
	  "tcp 0.0.0.0:8000-8002->172.17.0.2:80" },
	{ "a gap in the host ports splits",
	  { M(80, T, "0.0.0.0", 8000), M(82, T, "0.0.0.0", 8002) }, 2,
	  "tcp 0.0.0.0:8000->172.17.0.2:80; tcp 0.0.0.0:8002->172.17.0.2:82" },
	{ "consecutive host ports, container ports not: another offset splits",
	  { M(80, T, "0.0.0.0", 8000), M(90, T, "0.0.0.0", 8001) }, 2,
	  "tcp 0.0.0.0:8000->172.17.0.2:80; tcp 0.0.0.0:8001->172.17.0.2:90" },
	{ "consecutive container ports, host ports not",
	  { M(80, T, "0.0.0.0", 8000), M(81, T, "0.0.0.0", 8005) }, 2,
	  "tcp 0.0.0.0:8000->172.17.0.2:80; tcp 0.0.0.0:8005->172.17.0.2:81" },
	{ "a run, then another offset",
	  { M(80, T, "0.0.0.0", 8000), M(81, T, "0.0.0.0", 8001), M(70, T, "0.0.0.0", 8002),
	    M(71, T, "0.0.0.0", 8003) }, 4,
	  "tcp 0.0.0.0:8000-8001->172.17.0.2:80; tcp 0.0.0.0:8002-8003->172.17.0.2:70" },
	{ "container ports descending do not coalesce",
	  { M(81, T, "0.0.0.0", 8000), M(80, T, "0.0.0.0", 8001) }, 2,
	  "tcp 0.0.0.0:8000->172.17.0.2:81; tcp 0.0.0.0:8001->172.17.0.2:80" },
	{ "another protocol splits (tcp, udp, sctp order)",
	  { M(82, S, "0.0.0.0", 8002), M(81, U, "0.0.0.0", 8001), M(80, T, "0.0.0.0", 8000) }, 3,
	  "tcp 0.0.0.0:8000->172.17.0.2:80; udp 0.0.0.0:8001->172.17.0.2:81; "
	  "sctp 0.0.0.0:8002->172.17.0.2:82" },
	{ "the same port on tcp and udp",
	  { M(53, U, "0.0.0.0", 53), M(53, T, "0.0.0.0", 53) }, 2,
	  "tcp 0.0.0.0:53->172.17.0.2:53; udp 0.0.0.0:53->172.17.0.2:53" },
	{ "another host IP splits (ordered by address)",
	  { M(81, T, "127.0.0.1", 8001), M(80, T, "0.0.0.0", 8000) }, 2,
	  "tcp 0.0.0.0:8000->172.17.0.2:80; tcp 127.0.0.1:8001->172.17.0.2:81" },
	{ "host IPs ordered numerically, not as text",
	  { M(80, T, "10.0.0.2", 80), M(80, T, "9.0.0.1", 80), M(80, T, "10.0.0.10", 80) }, 3,
	  "tcp 9.0.0.1:80->172.17.0.2:80; tcp 10.0.0.2:80->172.17.0.2:80; "
	  "tcp 10.0.0.10:80->172.17.0.2:80" },
	{ "runs per host IP",
	  { M(80, T, "0.0.0.0", 8000), M(80, T, "127.0.0.1", 8000), M(81, T, "0.0.0.0", 8001),
	    M(81, T, "127.0.0.1", 8001) }, 4,
	  "tcp 0.0.0.0:8000-8001->172.17.0.2:80; tcp 127.0.0.1:8000-8001->172.17.0.2:80" },
	{ "IPv6 host IPs are skipped",
	  { M(80, T, "::", 8000), M(81, T, "0.0.0.0", 8001), M(82, T, "::1", 8002),
	    M(83, T, "::ffff:1.2.3.4", 8003) }, 4,
	  "tcp 0.0.0.0:8001->172.17.0.2:81" },
	{ "only IPv6: no rule", { M(80, T, "::", 8000), M(81, T, "fd00::1", 8001) }, 2, "" },
	{ "an IPv6 mapping in the middle of a run does not break it",
	  { M(80, T, "0.0.0.0", 8000), M(81, T, "::", 8001), M(81, T, "0.0.0.0", 8001) }, 3,
	  "tcp 0.0.0.0:8000-8001->172.17.0.2:80" },
	{ "top of the port space",
	  { M(65535, T, "0.0.0.0", 65535), M(65534, T, "0.0.0.0", 65534), M(1, T, "0.0.0.0", 1) },
	  3, "tcp 0.0.0.0:1->172.17.0.2:1; tcp 0.0.0.0:65534-65535->172.17.0.2:65534" },
	/* the container has an IPv6 address */
	{ "IPv6: dual-stack mapping, IPv4 rule first",
	  { M(80, T, "::", 8000), M(80, T, "0.0.0.0", 8000) }, 2,
	  "tcp 0.0.0.0:8000->172.17.0.2:80; tcp [::]:8000" C6 "80", true },
	{ "IPv6: a run is coalesced",
	  { M(82, T, "::", 8002), M(80, T, "::", 8000), M(81, T, "::", 8001) }, 3,
	  "tcp [::]:8000-8002" C6 "80", true },
	{ "IPv6: another host address splits, ordered by address",
	  { M(81, T, "::1", 8001), M(80, T, "::", 8000), M(82, T, "fd00::9", 8002) }, 3,
	  "tcp [::]:8000" C6 "80; tcp [::1]:8001" C6 "81; tcp [fd00::9]:8002" C6 "82", true },
	{ "IPv6: a gap and another offset split",
	  { M(80, U, "::", 5000), M(81, U, "::", 5002), M(90, U, "::", 5003) }, 3,
	  "udp [::]:5000" C6 "80; udp [::]:5002" C6 "81; udp [::]:5003" C6 "90", true },
	{ "IPv6: families first, then protocols",
	  { M(53, U, "::", 53), M(53, T, "::", 53), M(53, U, "0.0.0.0", 53),
	    M(53, T, "0.0.0.0", 53) }, 4,
	  "tcp 0.0.0.0:53->172.17.0.2:53; udp 0.0.0.0:53->172.17.0.2:53; "
	  "tcp [::]:53" C6 "53; udp [::]:53" C6 "53", true },
	{ "IPv6: one family's run does not join the other's",
	  { M(80, T, "0.0.0.0", 8000), M(81, T, "::", 8001) }, 2,
	  "tcp 0.0.0.0:8000->172.17.0.2:80; tcp [::]:8001" C6 "81", true },
	{ "IPv6: a bad host address is skipped",
	  { M(80, T, "nonsense", 8000), M(81, T, "", 8001) }, 2, "", true },
};

static void test_dnat(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(dnat_cases); i++) {
		const struct dnat_case *c = &dnat_cases[i];
		struct nat_rule *rules = NULL;
		size_t n = 0;
		int e = natplan_dnat(OWNER, ip4("172.17.0.2"), c->v6 ? ip6("fd00::2") : NULL, c->m,
				     c->n, &rules, &n);
		bool kinds = true;
		for (size_t k = 0; k < n; k++)
			kinds = kinds && rules[k].kind == NAT_RULE_DNAT;
		char *s = render(rules, n, OWNER, "");
		is_str(e == 0 && kinds ? s : ctr_err_msg(), c->want, "dnat: %s", c->what);
		free(s);
		free(rules);
	}

	/* rules are appended to what is there */
	struct nat_rule *rules = calloc(1, sizeof *rules);
	rules[0].kind = NAT_RULE_LINK;
	snprintf(rules[0].owner, sizeof rules[0].owner, "%s", OWNER);
	snprintf(rules[0].peer, sizeof rules[0].peer, "%s", PEER);
	size_t n = 1;
	const struct ctr_mapping m[] = { M(80, T, "0.0.0.0", 8080), M(90, U, "0.0.0.0", 9090) };
	int e = natplan_dnat(OWNER, ip4("172.17.0.9"), NULL, m, 2, &rules, &n);
	ok(e == 0 && n == 3 && rules[0].kind == NAT_RULE_LINK &&
		   strcmp(rules[0].peer, PEER) == 0 && rules[1].u.dnat.cip == ip4("172.17.0.9") &&
		   rules[2].u.dnat.hport_lo == 9090,
	   "dnat appends after existing rules");
	free(rules);
}

#define P(port, proto) { port, proto }

struct link_case {
	const char *what;
	struct ctr_port exposed[8]; /* sorted by port, then protocol */
	size_t n;
	const char *want;
	bool pip6, cip6; /* the parent / the child has an IPv6 address */
};

#define L "172.17.0.3->172.17.0.2:"
#define L6 "[fd00::3]->[fd00::2]:"

static const struct link_case link_cases[] = {
	{ "nothing exposed", { { 0 } }, 0, "" },
	{ "one port", { P(80, T) }, 1, "tcp " L "80" },
	{ "a run", { P(80, T), P(81, T), P(82, T) }, 3, "tcp " L "80-82" },
	{ "a gap splits", { P(80, T), P(82, T), P(83, T) }, 3, "tcp " L "80; tcp " L "82-83" },
	{ "runs per protocol over interleaved ports",
	  { P(80, T), P(80, U), P(81, T), P(81, U), P(83, T) }, 5,
	  "tcp " L "80-81; tcp " L "83; udp " L "80-81" },
	{ "another protocol in between does not join a tcp gap",
	  { P(80, T), P(81, U), P(82, T) }, 3, "tcp " L "80; tcp " L "82; udp " L "81" },
	{ "tcp, udp and sctp, in protocol order",
	  { P(53, U), P(80, T), P(81, S), P(82, S) }, 4,
	  "tcp " L "80; udp " L "53; sctp " L "81-82" },
	{ "a run across other protocols' ports",
	  { P(1000, T), P(1000, S), P(1001, T), P(1001, U), P(1002, T), P(1002, S) }, 6,
	  "tcp " L "1000-1002; udp " L "1001; sctp " L "1000; sctp " L "1002" },
	{ "top of the port space", { P(65534, T), P(65535, T) }, 2, "tcp " L "65534-65535" },
	{ "only udp", { P(5000, U), P(5001, U), P(6000, U) }, 3,
	  "udp " L "5000-5001; udp " L "6000" },
	{ "both IPv6: the IPv4 rules, then the same over IPv6",
	  { P(53, U), P(80, T), P(81, T) }, 3,
	  "tcp " L "80-81; udp " L "53; tcp " L6 "80-81; udp " L6 "53", true, true },
	{ "only the child has IPv6: IPv4 only", { P(80, T) }, 1, "tcp " L "80", false, true },
	{ "only the parent has IPv6: IPv4 only", { P(80, T) }, 1, "tcp " L "80", true, false },
	{ "both IPv6, nothing exposed", { { 0 } }, 0, "", true, true },
};

static void test_link(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(link_cases); i++) {
		const struct link_case *c = &link_cases[i];
		struct nat_rule *rules = NULL;
		size_t n = 0;
		const uint8_t *pip6 = c->pip6 ? ip6("fd00::3") : NULL;
		const uint8_t *cip6 = c->cip6 ? ip6("fd00::2") : NULL;
		int e = natplan_link(OWNER, ip4("172.17.0.3"), pip6, PEER, ip4("172.17.0.2"), cip6,
				     c->exposed, c->n, &rules, &n);
		char *s = render(rules, n, OWNER, PEER);
		is_str(e == 0 ? s : ctr_err_msg(), c->want, "link: %s", c->what);
		free(s);
		free(rules);
	}
}

int main(void)
{
	test_dnat();
	test_link();
	return done_testing();
}
