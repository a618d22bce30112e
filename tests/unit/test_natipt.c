/* Unit tests for lib/core/natipt.c: the iptables backend's encoding of rules as struct
 * ipt_entry + matches + target, and the way back (owners from the comment, the rule an entry
 * stands for, byte-for-byte comparison), plus the layout's rules.  Table-driven; one TAP point
 * per row. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/model.h"
#include "core/natipt.h"
#include "core/util.h"
#include "tap.h"

#define A64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define B64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static struct nat_rule rule(uint8_t kind, uint8_t proto, const char *a, const char *b,
			    unsigned lo, unsigned hi, unsigned clo)
{
	struct nat_rule r = { .kind = kind, .proto = proto };
	snprintf(r.owner, sizeof r.owner, "%s", A64);
	if (kind == NAT_RULE_DNAT) {
		if (a)
			inet_pton(AF_INET, a, &r.u.dnat.host_ip);
		inet_pton(AF_INET, b, &r.u.dnat.cip);
		r.u.dnat.hport_lo = (uint16_t)lo;
		r.u.dnat.hport_hi = (uint16_t)hi;
		r.u.dnat.cport_lo = (uint16_t)clo;
	} else {
		snprintf(r.peer, sizeof r.peer, "%s", B64);
		inet_pton(AF_INET, a, &r.u.link.src);
		inet_pton(AF_INET, b, &r.u.link.dst);
		r.u.link.port_lo = (uint16_t)lo;
		r.u.link.port_hi = (uint16_t)hi;
	}
	return r;
}

/* What iptc_get_target() says of the entry once in a table: the verdict, chain or module. */
static const char *target_of(const struct natipt_rule *r)
{
	return r->target;
}

static void test_round_trip(void)
{
	struct {
		const char *what;
		struct nat_rule r;
	} t[] = {
		{ "one tcp port", rule(NAT_RULE_DNAT, CTR_TCP, NULL, "10.77.0.2", 8080, 8080, 80) },
		{ "a run with an offset", rule(NAT_RULE_DNAT, CTR_TCP, NULL, "10.77.0.2", 9000, 9010,
					       7000) },
		{ "a udp run, same ports", rule(NAT_RULE_DNAT, CTR_UDP, NULL, "10.77.0.2", 5000, 5005,
						5000) },
		{ "one host address", rule(NAT_RULE_DNAT, CTR_TCP, "192.0.2.1", "10.77.0.2", 443, 443,
					   443) },
		{ "sctp", rule(NAT_RULE_DNAT, CTR_SCTP, NULL, "10.77.0.2", 3868, 3868, 3869) },
		{ "a link", rule(NAT_RULE_LINK, CTR_TCP, "10.77.0.3", "10.77.0.2", 5432, 5432, 0) },
		{ "a udp link run", rule(NAT_RULE_LINK, CTR_UDP, "10.77.0.3", "10.77.0.2", 6000, 6002,
					 0) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct natipt_rule e;
		natipt_encode(&t[i].r, &e);
		char owner[65], peer[65];
		struct nat_rule back;
		const char *tn = target_of(&e);
		bool good = natipt_rule_check(&e) == 0 &&
			    natipt_rule_owners(&e.u.e, owner, peer) && strcmp(owner, A64) == 0 &&
			    strcmp(peer, t[i].r.kind == NAT_RULE_LINK ? B64 : "") == 0 &&
			    natipt_decode(&e.u.e, tn, t[i].r.kind, owner, peer, &back) &&
			    nat_rule_equal(&back, &t[i].r) && natipt_exact(&e.u.e, tn, &back);
		ok(good, "round trip: %s", t[i].what);
	}
}

static void test_not_ours(void)
{
	struct nat_rule r = rule(NAT_RULE_DNAT, CTR_TCP, NULL, "10.77.0.2", 8080, 8080, 80);
	struct natipt_rule e;
	natipt_encode(&r, &e);
	struct nat_rule other = r;
	other.u.dnat.cport_lo = 81;
	ok(!natipt_exact(&e.u.e, e.target, &other), "exact: another container port is not it");
	ok(!natipt_exact(&e.u.e, "ACCEPT", &r), "exact: another target is not it");
	char owner[65] = A64, none[65] = "", peer[65] = B64;
	struct nat_rule back;
	ok(!natipt_decode(&e.u.e, "ACCEPT", NAT_RULE_DNAT, owner, none, &back),
	   "decode: a DNAT rule needs the DNAT target");
	ok(!natipt_decode(&e.u.e, e.target, NAT_RULE_DNAT, owner, peer, &back),
	   "decode: a DNAT rule has no peer");
	struct natipt_rule j;
	natipt_jump(&j, "CTRLINK-LINK-br0");
	ok(!natipt_rule_owners(&j.u.e, owner, peer), "owners: a jump without comment is not ours");
}

static void test_layout(void)
{
	static const struct {
		bool external, icc;
		size_t post, fwd;
		const char *verdict3;
	} t[] = {
		{ false, true, 3, 6, "ACCEPT" },
		{ false, false, 3, 6, "DROP" },
		{ true, true, 2, 2, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct natipt_layout l = { 0 };
		snprintf(l.net.bridge, sizeof l.net.bridge, "br0");
		inet_pton(AF_INET, "10.77.0.0", &l.net.subnet);
		l.net.prefixlen = 24;
		l.net.icc = t[i].icc;
		l.net.external = t[i].external;
		snprintf(l.link, sizeof l.link, "CTRLINK-LINK-br0");
		struct natipt_rule post[NATIPT_N_POST], fwd[NATIPT_N_FWD];
		size_t np = natipt_post_rules(&l, post), nf = natipt_fwd_rules(&l, fwd);
		bool fits = true;
		for (size_t k = 0; k < NATIPT_N_POST; k++)
			fits = fits && natipt_rule_check(&post[k]) == 0;
		for (size_t k = 0; k < NATIPT_N_FWD; k++)
			fits = fits && natipt_rule_check(&fwd[k]) == 0;
		ok(np == t[i].post && nf == t[i].fwd && fits &&
			   (!t[i].verdict3 || strcmp(fwd[3].target, t[i].verdict3) == 0) &&
			   strcmp(fwd[2].target, "CTRLINK-LINK-br0") == 0,
		   "layout (external %d, icc %d): %zu POSTROUTING, %zu FORWARD rules", t[i].external,
		   t[i].icc, np, nf);
	}
	struct natipt_rule raw;
	natipt_raw_rule(&raw);
	ok(raw.u.e.ip.dst.s_addr == htonl(0x7f000000) && raw.u.e.ip.dmsk.s_addr == htonl(0xff000000)
		   && (raw.u.e.ip.invflags & IPT_INV_VIA_IN) && strcmp(raw.target, "DROP") == 0,
	   "raw: -d 127.0.0.0/8 ! -i lo -j DROP");
}

static void test_names(void)
{
	char field[8];
	memset(field, 'x', sizeof field);
	natipt_set_name(field, sizeof field, "MASQUERADE");
	ok(strcmp(field, "MASQUER") == 0, "set_name: truncated to the field, NUL-terminated");
	char k[32] = "DNAT\0garbage";
	ok(natipt_name_is(k, sizeof k, "DNAT") && !natipt_name_is(k, sizeof k, "DNATX"),
	   "name_is: as a string, garbage after the NUL ignored");
}

int main(void)
{
	test_round_trip();
	test_not_ours();
	test_layout();
	test_names();
	return done_testing();
}
