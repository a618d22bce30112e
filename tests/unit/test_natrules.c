/* Unit tests for lib/core/natrules.c: what every NAT backend does with rules before it speaks
 * to the kernel — checks of a network and of a change, the set of dropped IDs, the orders, and
 * the coalescing of one-port rules into runs.  One TAP point per table row. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/model.h"
#include "core/natrules.h"
#include "core/util.h"
#include "tap.h"

#define A64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define B64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define C64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static uint32_t ip4(const char *s)
{
	uint32_t ip = 0;
	inet_pton(AF_INET, s, &ip);
	return ip;
}

static void test_net_check(void)
{
	static const struct {
		const char *bridge, *subnet;
		int plen;
		const char *subnet6;
		int plen6;
		bool v6;
		int want;
		const char *msg; /* part of the message, or NULL */
	} t[] = {
		{ "ctrlink0", "10.77.0.0", 16, NULL, 0, true, 0, NULL },
		{ "ctrlink0", "10.77.0.0", 32, NULL, 0, true, 0, NULL },
		{ "ctrlink0", "10.77.0.1", 16, NULL, 0, true, -EINVAL, "host bits set" },
		{ "ctrlink0", "10.77.0.0", 0, NULL, 0, true, -EINVAL, "prefix length 0" },
		{ "ctrlink0", "10.77.0.0", 33, NULL, 0, true, -EINVAL, "prefix length 33" },
		{ "br 0", "10.77.0.0", 16, NULL, 0, true, -EINVAL, "invalid bridge name" },
		{ "", "10.77.0.0", 16, NULL, 0, true, -EINVAL, "invalid bridge name" },
		{ "abcdefghijklmno", "10.77.0.0", 16, NULL, 0, true, 0, NULL },
		{ "abcdefghijklmnop", "10.77.0.0", 16, NULL, 0, true, -EINVAL, "too long (at most 15 "
		  "characters, so that" },
		{ "ctrlink0", "10.77.0.0", 16, "fd00:77::", 64, true, 0, NULL },
		{ "ctrlink0", "10.77.0.0", 16, "fd00:77::1", 64, true, -EINVAL, "IPv6 subnet" },
		{ "ctrlink0", "10.77.0.0", 16, "fd00:77::", 129, true, -EINVAL, "IPv6 subnet prefix" },
		/* a backend without IPv6 does not look at it */
		{ "ctrlink0", "10.77.0.0", 16, "fd00:77::1", 129, false, 0, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct nat_net n = { 0 };
		memcpy(n.bridge, t[i].bridge, strnlen(t[i].bridge, sizeof n.bridge));
		if (strlen(t[i].bridge) >= sizeof n.bridge)
			memcpy(n.bridge, t[i].bridge, sizeof n.bridge); /* no NUL: too long */
		n.subnet = ip4(t[i].subnet);
		n.prefixlen = t[i].plen;
		if (t[i].subnet6)
			inet_pton(AF_INET6, t[i].subnet6, n.subnet6);
		n.prefixlen6 = t[i].plen6;
		ctr_err_clear();
		int r = nat_net_check(&n, 15, ", so that it fits", t[i].v6);
		ok(r == t[i].want && (!t[i].msg || strstr(ctr_err_msg(), t[i].msg)),
		   "net %.16s %s/%d %s: %d (%s)", t[i].bridge, t[i].subnet, t[i].plen,
		   t[i].subnet6 ? t[i].subnet6 : "-", r, r ? ctr_err_msg() : "ok");
	}
}

static void test_txn_check(void)
{
	static const char *const good[] = { A64, B64 };
	static const char *const bad[] = { A64, "0123" };
	static const char *const null[] = { NULL };
	struct nat_rule one = { 0 };
	static const struct {
		const char *what;
		struct nat_txn txn;
		int want;
	} t[] = {
		{ "empty", { 0 }, 0 },
		{ "two IDs to drop", { .drop_ids = good, .n_drop_ids = 2 }, 0 },
		{ "an ID that is not one", { .drop_ids = bad, .n_drop_ids = 2 }, -EINVAL },
		{ "a NULL ID", { .drop_ids = null, .n_drop_ids = 1 }, -EINVAL },
		{ "drop count, no array", { .n_drop_ids = 1 }, -EINVAL },
		{ "del count, no array", { .n_del = 1 }, -EINVAL },
		{ "add count, no array", { .n_add = 1 }, -EINVAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		ok(nat_txn_check(&t[i].txn) == t[i].want, "txn check: %s", t[i].what);
	ok(nat_txn_check(NULL) == -EINVAL, "txn check: no txn");
	struct nat_txn w = { .add = &one, .n_add = 1 };
	ok(nat_txn_check(&w) == 0, "txn check: the rules themselves are the backends' to check");
}

static void test_ids(void)
{
	static const char *const ids[] = { C64, A64 };
	const char **s = NULL;
	ok(nat_ids_sorted(ids, 2, &s) == 0 && strcmp(s[0], A64) == 0 && strcmp(s[1], C64) == 0,
	   "ids: sorted");
	static const struct {
		const char *owner, *peer;
		bool want;
	} t[] = {
		{ A64, "", true }, { C64, "", true }, { B64, "", false }, { B64, A64, true },
		{ B64, C64, true }, { B64, B64, false }, { "", "", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		ok(nat_ids_name(s, 2, t[i].owner, t[i].peer) == t[i].want, "ids: %.4s/%.4s %s",
		   t[i].owner, t[i].peer, t[i].want ? "named" : "not named");
	ok(!nat_ids_name(s, 0, A64, ""), "ids: none given names nothing");
	free(s);
	ok(nat_ids_sorted(NULL, 0, &s) == 0 && s, "ids: an empty set is an allocation too");
	free(s);
}

static struct nat_rule dnat(const char *owner, uint8_t proto, const char *hip, unsigned lo,
			    unsigned hi, const char *cip, unsigned clo)
{
	struct nat_rule r = { .kind = NAT_RULE_DNAT, .proto = proto };
	snprintf(r.owner, sizeof r.owner, "%s", owner);
	r.u.dnat.host_ip = hip ? ip4(hip) : 0;
	r.u.dnat.hport_lo = (uint16_t)lo;
	r.u.dnat.hport_hi = (uint16_t)hi;
	r.u.dnat.cip = ip4(cip);
	r.u.dnat.cport_lo = (uint16_t)clo;
	return r;
}

static struct nat_rule link6(const char *owner, const char *peer, uint8_t proto, unsigned lo,
			     unsigned hi)
{
	struct nat_rule r = { .kind = NAT_RULE_LINK, .proto = proto, .family = AF_INET6 };
	snprintf(r.owner, sizeof r.owner, "%s", owner);
	snprintf(r.peer, sizeof r.peer, "%s", peer);
	inet_pton(AF_INET6, "fd00::3", r.u.link.src6);
	inet_pton(AF_INET6, "fd00::2", r.u.link.dst6);
	r.u.link.port_lo = (uint16_t)lo;
	r.u.link.port_hi = (uint16_t)hi;
	return r;
}

static void test_extend(void)
{
	struct nat_rule run = dnat(A64, CTR_TCP, NULL, 8080, 8081, "10.0.0.2", 80);
	struct {
		const char *what;
		struct nat_rule next;
		bool want;
		unsigned hi; /* the run's end after it */
	} t[] = {
		{ "the next port, the next container port", dnat(A64, CTR_TCP, NULL, 8082, 8082,
		  "10.0.0.2", 82), true, 8082 },
		{ "a run of two that follows", dnat(A64, CTR_TCP, NULL, 8082, 8083, "10.0.0.2", 82),
		  true, 8083 },
		{ "another offset", dnat(A64, CTR_TCP, NULL, 8082, 8082, "10.0.0.2", 90), false,
		  8081 },
		{ "a gap", dnat(A64, CTR_TCP, NULL, 8083, 8083, "10.0.0.2", 83), false, 8081 },
		{ "the same port again", dnat(A64, CTR_TCP, NULL, 8081, 8081, "10.0.0.2", 81), false,
		  8081 },
		{ "another protocol", dnat(A64, CTR_UDP, NULL, 8082, 8082, "10.0.0.2", 82), false,
		  8081 },
		{ "another owner", dnat(B64, CTR_TCP, NULL, 8082, 8082, "10.0.0.2", 82), false, 8081 },
		{ "another host address", dnat(A64, CTR_TCP, "127.0.0.1", 8082, 8082, "10.0.0.2", 82),
		  false, 8081 },
		{ "another container", dnat(A64, CTR_TCP, NULL, 8082, 8082, "10.0.0.3", 82), false,
		  8081 },
		{ "a link", link6(A64, B64, CTR_TCP, 8082, 8082), false, 8081 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct nat_rule r = run;
		bool got = nat_rule_extend(&r, &t[i].next);
		ok(got == t[i].want && r.u.dnat.hport_hi == t[i].hi && r.u.dnat.hport_lo == 8080 &&
			   r.u.dnat.cport_lo == 80,
		   "extend 8080-8081->80 by %s: %s", t[i].what, got ? "extended" : "not");
	}
	struct nat_rule l = link6(A64, B64, CTR_SCTP, 5432, 5432);
	struct nat_rule n1 = link6(A64, B64, CTR_SCTP, 5433, 5433);
	struct nat_rule n2 = link6(A64, C64, CTR_SCTP, 5434, 5434);
	ok(nat_rule_extend(&l, &n1) && l.u.link.port_hi == 5433, "extend an IPv6 link");
	ok(!nat_rule_extend(&l, &n2) && l.u.link.port_hi == 5433, "not by another peer's");
}

/* v[0..n) as "owner:lo-hi>clo" words, for comparing. */
static void show(const struct nat_rule *v, size_t n, char *buf, size_t len)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && k < len; i++) {
		const struct nat_rule *r = &v[i];
		int w = r->kind == NAT_RULE_DNAT
				? snprintf(buf + k, len - k, "%s%.1s/%u:%u-%u>%u", i ? " " : "",
					   r->owner, r->proto, r->u.dnat.hport_lo, r->u.dnat.hport_hi,
					   r->u.dnat.cport_lo)
				: snprintf(buf + k, len - k, "%sL%.1s%.1s/%u:%u-%u", i ? " " : "",
					   r->owner, r->peer, r->proto, r->u.link.port_lo,
					   r->u.link.port_hi);
		if (w < 0)
			break;
		k += (size_t)w;
	}
}

static void test_coalesce(void)
{
	static const struct {
		const char *what;
		/* one-port rules: owner letter, proto, port, container port (0: a link to B) */
		struct { char owner; uint8_t proto; unsigned port, cport; } in[8];
		size_t n;
		const char *want;
	} t[] = {
		{ "nothing", { { 0 } }, 0, "" },
		{ "one port", { { 'A', CTR_TCP, 80, 80 } }, 1, "0/0:80-80>80" },
		{ "three ports out of order", { { 'A', CTR_TCP, 82, 82 }, { 'A', CTR_TCP, 80, 80 },
		  { 'A', CTR_TCP, 81, 81 } }, 3, "0/0:80-82>80" },
		{ "a gap makes two runs", { { 'A', CTR_TCP, 80, 80 }, { 'A', CTR_TCP, 82, 82 } }, 2,
		  "0/0:80-80>80 0/0:82-82>82" },
		{ "an offset that changes", { { 'A', CTR_TCP, 80, 90 }, { 'A', CTR_TCP, 81, 91 },
		  { 'A', CTR_TCP, 82, 80 } }, 3, "0/0:80-81>90 0/0:82-82>80" },
		{ "protocols apart", { { 'A', CTR_UDP, 81, 81 }, { 'A', CTR_TCP, 80, 80 },
		  { 'A', CTR_TCP, 81, 81 }, { 'A', CTR_UDP, 80, 80 } }, 4,
		  "0/0:80-81>80 0/1:80-81>80" },
		{ "owners apart", { { 'F', CTR_TCP, 81, 81 }, { 'A', CTR_TCP, 80, 80 },
		  { 'F', CTR_TCP, 80, 80 } }, 3, "0/0:80-80>80 f/0:80-81>80" },
		{ "links", { { 'A', CTR_TCP, 5433, 0 }, { 'A', CTR_TCP, 5432, 0 },
		  { 'A', CTR_TCP, 5435, 0 } }, 3, "L0f/0:5432-5433 L0f/0:5435-5435" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct nat_rule v[8];
		for (size_t j = 0; j < t[i].n; j++) {
			const char *owner = t[i].in[j].owner == 'A' ? A64 : B64;
			v[j] = t[i].in[j].cport
				       ? dnat(owner, t[i].in[j].proto, NULL, t[i].in[j].port,
					      t[i].in[j].port, "10.0.0.2", t[i].in[j].cport)
				       : link6(owner, B64, t[i].in[j].proto, t[i].in[j].port,
					       t[i].in[j].port);
		}
		char buf[256];
		size_t m = nat_rules_coalesce(v, t[i].n);
		show(v, m, buf, sizeof buf);
		is_str(buf, t[i].want, "coalesce: %s", t[i].what);
	}
}

static void test_sorted(void)
{
	struct nat_rule v[4] = {
		dnat(B64, CTR_TCP, NULL, 80, 80, "10.0.0.2", 80),
		dnat(A64, CTR_TCP, NULL, 80, 80, "10.0.0.2", 80),
		dnat(B64, CTR_TCP, NULL, 80, 80, "10.0.0.2", 80), /* equal to v[0] */
		dnat(A64, CTR_UDP, NULL, 53, 53, "10.0.0.2", 53),
	};
	const struct nat_rule *p[4] = { &v[2], &v[0], &v[3], &v[1] };
	qsort(p, 4, sizeof *p, nat_rule_ptr_cmp);
	bool sorted = true;
	for (size_t i = 1; i < 4; i++)
		sorted = sorted && nat_rule_ptr_cmp(&p[i - 1], &p[i]) < 0;
	ok(sorted, "pointer order: strict, equal rules by position");
	size_t k = nat_rule_lower_bound(p, 4, &v[2]);
	ok(k < 4 && p[k] == &v[0], "lower bound: the first of two equal rules");
	struct nat_rule absent = dnat(A64, CTR_SCTP, NULL, 1, 1, "10.0.0.2", 1);
	ok(nat_rule_in_sorted(p, 4, &v[3]) && !nat_rule_in_sorted(p, 4, &absent),
	   "in sorted: present and absent");
	ok(!nat_rule_in_sorted(p, 0, &v[3]), "in sorted: an empty array");
}

int main(void)
{
	test_net_check();
	test_txn_check();
	test_ids();
	test_extend();
	test_coalesce();
	test_sorted();
	return done_testing();
}
