/* Unit tests for lib/core/natplan.c: DNAT rules from mappings (runs coalesced) and link rules from
 * a child's exposed ports (runs per protocol), over IPv4 and, when the containers have IPv6
 * addresses, IPv6.  One TAP point per table row. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/natplan.h"
#include "tap.h"
#include "core/util.h"

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

/* ---- nat_rule_cmp and natplan_diff ------------------------------------------------------ */

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) % n;
}

/* A rule with each field drawn from a few values, so that equal rules and rules differing in
 * one field both come up; fields nat_rule_equal ignores (IPv4 fields of an IPv6 rule, bytes
 * after an owner's NUL, the peer of a DNAT rule) vary too. */
static struct nat_rule rnd_rule(void)
{
	static const uint8_t kinds[] = { NAT_RULE_DNAT, NAT_RULE_LINK, 7 };
	static const uint8_t fams[] = { 0, AF_INET, AF_INET6 };
	struct nat_rule r;
	memset(&r, 0, sizeof r);
	r.kind = kinds[rnd(3)];
	r.proto = (uint8_t)rnd(2);
	r.family = fams[rnd(3)];
	snprintf(r.owner, sizeof r.owner, "%s", rnd(2) ? OWNER : PEER);
	r.owner[sizeof r.owner - 2] = (char)('a' + rnd(2)); /* the last character varies */
	if (rnd(2)) { /* bytes after the NUL differ: ignored */
		r.owner[5] = '\0';
		r.owner[6 + rnd(3)] = 'x';
	}
	snprintf(r.peer, sizeof r.peer, "%s", r.kind == NAT_RULE_DNAT || rnd(2) ? "" : PEER);
	if (r.kind == NAT_RULE_DNAT) {
		r.u.dnat.host_ip = rnd(2);
		r.u.dnat.cip = rnd(2) << 24;
		r.u.dnat.host_ip6[rnd(2) * 15] = (uint8_t)rnd(2);
		r.u.dnat.cip6[15] = (uint8_t)rnd(2);
		r.u.dnat.hport_lo = (uint16_t)(8000 + rnd(2));
		r.u.dnat.hport_hi = (uint16_t)(r.u.dnat.hport_lo + rnd(2));
		r.u.dnat.cport_lo = (uint16_t)(80 + rnd(2));
	} else {
		r.u.link.src = rnd(2);
		r.u.link.dst = rnd(2) << 8;
		r.u.link.src6[0] = (uint8_t)rnd(2);
		r.u.link.dst6[15] = (uint8_t)rnd(2);
		r.u.link.port_lo = (uint16_t)(80 + rnd(2));
		r.u.link.port_hi = (uint16_t)(r.u.link.port_lo + rnd(2));
	}
	return r;
}

static int sgn(int c)
{
	return (c > 0) - (c < 0);
}

static void test_rule_cmp(void)
{
	enum { N = 300 };
	static struct nat_rule v[N];
	for (size_t i = 0; i < N; i++)
		v[i] = rnd_rule();
	size_t consistent = 0, antisym = 0, equal_pairs = 0;
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < N; j++) {
			int c = nat_rule_cmp(&v[i], &v[j]);
			consistent += (c == 0) == nat_rule_equal(&v[i], &v[j]);
			antisym += sgn(c) == -sgn(nat_rule_cmp(&v[j], &v[i]));
			equal_pairs += c == 0 && i != j;
		}
	is_int((long long)consistent, N * N, "rule_cmp: 0 exactly when nat_rule_equal");
	is_int((long long)antisym, N * N, "rule_cmp: antisymmetric");
	ok(equal_pairs > 0, "rule_cmp: the sample has equal distinct rules (%zu pairs)",
	   equal_pairs);
	/* transitivity on a subset: a <= b and b <= c imply a <= c */
	size_t bad = 0;
	for (size_t i = 0; i < 60; i++)
		for (size_t j = 0; j < 60; j++)
			for (size_t k = 0; k < 60; k++)
				if (nat_rule_cmp(&v[i], &v[j]) <= 0 && nat_rule_cmp(&v[j], &v[k]) <= 0 &&
				    nat_rule_cmp(&v[i], &v[k]) > 0)
					bad++;
	is_int((long long)bad, 0, "rule_cmp: transitive");

	struct nat_rule a = v[0], b = v[0];
	a.kind = b.kind = NAT_RULE_DNAT;
	a.family = 0;
	b.family = AF_INET;
	ok(nat_rule_cmp(&a, &b) == 0, "rule_cmp: family 0 is AF_INET");
	b.family = AF_INET6;
	ok(nat_rule_cmp(&a, &b) != 0, "rule_cmp: IPv4 and IPv6 differ");
	a.family = AF_INET6;
	a.u.dnat.host_ip = 1;
	b.u.dnat.host_ip = 2;
	ok(nat_rule_cmp(&a, &b) == 0, "rule_cmp: IPv4 fields of IPv6 rules are ignored");
	b.u.dnat.host_ip6[3] ^= 1;
	ok(nat_rule_cmp(&a, &b) != 0, "rule_cmp: IPv6 host address compared");
}

/* The pairwise diff dnat_update used to compute, as the reference. */
static void naive_diff(const struct nat_rule *a, size_t na, const struct nat_rule *b, size_t nb,
		       struct nat_rule *del, size_t *ndel, struct nat_rule *add, size_t *nadd)
{
	*ndel = *nadd = 0;
	for (size_t i = 0; i < na; i++) {
		bool keep = false;
		for (size_t j = 0; j < nb && !keep; j++)
			keep = nat_rule_equal(&a[i], &b[j]);
		if (!keep)
			del[(*ndel)++] = a[i];
	}
	for (size_t j = 0; j < nb; j++) {
		bool had = false;
		for (size_t i = 0; i < na && !had; i++)
			had = nat_rule_equal(&a[i], &b[j]);
		if (!had)
			add[(*nadd)++] = b[j];
	}
}

static bool same_rules(const struct nat_rule *x, size_t nx, const struct nat_rule *y, size_t ny)
{
	return nx == ny && (nx == 0 || memcmp(x, y, nx * sizeof *x) == 0);
}

static void test_diff(void)
{
	/* from mappings, as dnat_update does: one port published on 1000 single-port rules */
	enum { K = 1000 };
	struct ctr_mapping *m = calloc(K + 1, sizeof *m);
	for (size_t i = 0; i < K; i++) {
		m[i].cport.port = (uint16_t)(1 + i);
		snprintf(m[i].host_ip, sizeof m[i].host_ip, "0.0.0.0");
		m[i].hport = (uint16_t)(30000 + 2 * i); /* two apart: no run coalesces */
	}
	m[K] = m[0];
	m[K].cport.port = 80;
	m[K].hport = 8080;
	struct nat_rule *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, ndel = 9, nadd = 9;
	natplan_dnat(OWNER, ip4("172.17.0.2"), NULL, m, K, &a, &na);
	natplan_dnat(OWNER, ip4("172.17.0.2"), NULL, m, K + 1, &b, &nb);
	struct nat_rule del[4], add[4];
	int e = natplan_diff(a, na, b, nb, del, &ndel, add, &nadd);
	ok(e == 0 && na == K && nb == K + 1 && ndel == 0 && nadd == 1 &&
		   add[0].u.dnat.hport_lo == 8080 && add[0].u.dnat.cport_lo == 80,
	   "diff: one port published on %d: one rule added, none removed", K);
	e = natplan_diff(b, nb, a, na, del, &ndel, add, &nadd);
	ok(e == 0 && ndel == 1 && nadd == 0 && del[0].u.dnat.hport_lo == 8080,
	   "diff: and unpublished: one rule removed, none added");
	e = natplan_diff(a, na, a, na, del, &ndel, add, &nadd);
	ok(e == 0 && ndel == 0 && nadd == 0, "diff: the same list: nothing");
	e = natplan_diff(NULL, 0, NULL, 0, del, &ndel, add, &nadd);
	ok(e == 0 && ndel == 0 && nadd == 0, "diff: two empty lists");
	free(a);
	free(b);
	free(m);

	/* random lists (with duplicates and rules equal but not identical): the same result, in
	 * the same order, as the pairwise comparison */
	size_t agree = 0, rounds = 200;
	for (size_t r = 0; r < rounds; r++) {
		struct nat_rule x[40], y[40], d1[40], d2[40], a1[40], a2[40];
		size_t nx = rnd(40), ny = rnd(40), nd1, nd2, na1, na2;
		for (size_t i = 0; i < nx; i++)
			x[i] = rnd_rule();
		for (size_t j = 0; j < ny; j++)
			y[j] = rnd(3) == 0 && nx ? x[rnd((uint32_t)nx)] : rnd_rule();
		naive_diff(x, nx, y, ny, d1, &nd1, a1, &na1);
		e = natplan_diff(x, nx, y, ny, d2, &nd2, a2, &na2);
		agree += e == 0 && same_rules(d1, nd1, d2, nd2) && same_rules(a1, na1, a2, na2);
	}
	is_int((long long)agree, (long long)rounds,
	       "diff: random lists: as the pairwise comparison, in the same order");
}

int main(void)
{
	test_dnat();
	test_link();
	test_rule_cmp();
	test_diff();
	return done_testing();
}
