/* Unit tests for lib/core/natelem.c: the nftables backend's encoding of rules as set elements —
 * the set a rule goes to, each element's key and data bytes, the owners in its comment, and the
 * way back (element -> one-port rule), for IPv4 and IPv6, DNAT and links.  Table-driven; one TAP
 * point per row. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/model.h"
#include "core/natelem.h"
#include "core/natrules.h"
#include "core/util.h"
#include "tap.h"

#define A64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define B64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static struct nat_rule dnat(uint8_t family, uint8_t proto, const char *hip, unsigned lo,
			    unsigned hi, const char *cip, unsigned clo)
{
	struct nat_rule r = { .kind = NAT_RULE_DNAT, .proto = proto, .family = family };
	snprintf(r.owner, sizeof r.owner, "%s", A64);
	if (family == AF_INET6) {
		if (hip)
			inet_pton(AF_INET6, hip, r.u.dnat.host_ip6);
		inet_pton(AF_INET6, cip, r.u.dnat.cip6);
	} else {
		if (hip)
			inet_pton(AF_INET, hip, &r.u.dnat.host_ip);
		inet_pton(AF_INET, cip, &r.u.dnat.cip);
	}
	r.u.dnat.hport_lo = (uint16_t)lo;
	r.u.dnat.hport_hi = (uint16_t)hi;
	r.u.dnat.cport_lo = (uint16_t)clo;
	return r;
}

static struct nat_rule link_rule(uint8_t family, uint8_t proto, const char *src, const char *dst,
				 unsigned lo, unsigned hi)
{
	struct nat_rule r = { .kind = NAT_RULE_LINK, .proto = proto, .family = family };
	snprintf(r.owner, sizeof r.owner, "%s", A64);
	snprintf(r.peer, sizeof r.peer, "%s", B64);
	int af = family == AF_INET6 ? AF_INET6 : AF_INET;
	inet_pton(af, src, family == AF_INET6 ? (void *)r.u.link.src6 : (void *)&r.u.link.src);
	inet_pton(af, dst, family == AF_INET6 ? (void *)r.u.link.dst6 : (void *)&r.u.link.dst);
	r.u.link.port_lo = (uint16_t)lo;
	r.u.link.port_hi = (uint16_t)hi;
	return r;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* The elements of one rule: set, key and data of the first, the description of the last. */
static void test_encode(void)
{
	struct {
		const char *what;
		struct nat_rule r;
		size_t n;
		const char *set, *key, *data, *last;
	} t[] = {
		{ "one port, every address", dnat(AF_INET, CTR_TCP, NULL, 8080, 8080, "10.77.0.2", 80),
		  1, "dnat4_any", "06000000" "1f900000", "0a4d0002" "00500000",
		  "0.0.0.0:8080/tcp -> 10.77.0.2:80" },
		{ "a run keeps its offset", dnat(0, CTR_UDP, NULL, 9000, 9002, "10.77.0.2", 7000), 3,
		  "dnat4_any", "11000000" "23280000", "0a4d0002" "1b580000",
		  "0.0.0.0:9002/udp -> 10.77.0.2:7002" },
		{ "one host address", dnat(AF_INET, CTR_SCTP, "192.0.2.1", 443, 443, "10.77.0.2", 443),
		  1, "dnat4_ip", "c0000201" "84000000" "01bb0000", "0a4d0002" "01bb0000",
		  "192.0.2.1:443/sctp -> 10.77.0.2:443" },
		{ "IPv6, every address", dnat(AF_INET6, CTR_TCP, NULL, 80, 80, "fd00::2", 8080), 1,
		  "dnat6_any", "06000000" "00500000",
		  "fd000000000000000000000000000002" "1f900000", "[::]:80/tcp -> [fd00::2]:8080" },
		{ "IPv6, one address", dnat(AF_INET6, CTR_UDP, "2001:db8::1", 53, 54, "fd00::2", 53), 2,
		  "dnat6_ip", "20010db8000000000000000000000001" "11000000" "00350000",
		  "fd000000000000000000000000000002" "00350000",
		  "[2001:db8::1]:54/udp -> [fd00::2]:54" },
		{ "a link", link_rule(AF_INET, CTR_TCP, "10.77.0.3", "10.77.0.2", 5432, 5433), 2,
		  "links4", "0a4d0003" "0a4d0002" "06000000" "15380000", "",
		  "link 10.77.0.3 -> 10.77.0.2 port 5433/tcp" },
		{ "an IPv6 link", link_rule(AF_INET6, CTR_UDP, "fd00::3", "fd00::2", 6000, 6000), 1,
		  "links6",
		  "fd000000000000000000000000000003" "fd000000000000000000000000000002" "11000000"
		  "17700000", "", "link fd00::3 -> fd00::2 port 6000/udp" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct evec v = { NULL, 0, 0 };
		int r = natelem_of_rule(&t[i].r, &v);
		char key[2 * KEY_MAX + 1] = "", data[2 * DATA_MAX + 1] = "", desc[128] = "";
		const char *set = "";
		if (r == 0 && v.n) {
			const struct setdef *sd = &natelem_sets[v.v[0].set];
			set = sd->name;
			hex(v.v[0].key, sd->key_len, key);
			hex(v.v[0].data, sd->data_len, data);
			natelem_desc(&v.v[v.n - 1], false, desc, sizeof desc);
		}
		ok(r == 0 && v.n == t[i].n && strcmp(set, t[i].set) == 0 &&
			   strcmp(key, t[i].key) == 0 && strcmp(data, t[i].data) == 0 &&
			   strcmp(desc, t[i].last) == 0 && v.v[0].rule == &t[i].r,
		   "encode %s: %zu in %s, key %s data %s; last \"%s\"", t[i].what, v.n, set, key,
		   data, desc);
		free(v.v);
	}
}

/* Element -> one-port rule -> runs again: what list() does. */
static void test_round_trip(void)
{
	struct nat_rule in[] = {
		dnat(AF_INET, CTR_TCP, NULL, 9000, 9010, "10.77.0.2", 7000),
		dnat(AF_INET, CTR_UDP, "192.0.2.1", 53, 53, "10.77.0.2", 53),
		dnat(AF_INET6, CTR_TCP, "2001:db8::1", 80, 81, "fd00::2", 8080),
		link_rule(AF_INET, CTR_SCTP, "10.77.0.3", "10.77.0.2", 1, 3),
		link_rule(AF_INET6, CTR_TCP, "fd00::3", "fd00::2", 5432, 5432),
	};
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct evec v = { NULL, 0, 0 };
		bool good = natelem_of_rule(&in[i], &v) == 0;
		struct nat_rule *back = calloc(v.n + 1, sizeof *back);
		for (size_t j = 0; good && j < v.n; j++) {
			struct kelem k = { .e = v.v[j] };
			char c[NATELEM_COMMENT_MAX + 1];
			uint8_t ud[2 + NATELEM_COMMENT_MAX + 1];
			size_t cl = natelem_comment(&in[i], c);
			ud[0] = NATELEM_UDATA_COMMENT;
			ud[1] = (uint8_t)cl;
			memcpy(ud + 2, c, cl);
			natelem_owners(ud, 2 + cl, in[i].kind, &k);
			good = natelem_rule(&k, &back[j]);
		}
		size_t m = good ? nat_rules_coalesce(back, v.n) : 0;
		ok(good && m == 1 && nat_rule_equal(&back[0], &in[i]) &&
			   strcmp(back[0].owner, A64) == 0 &&
			   strcmp(back[0].peer, in[i].kind == NAT_RULE_LINK ? B64 : "") == 0,
		   "round trip of rule %zu: %zu elements back to one rule", i, v.n);
		free(back);
		free(v.v);
	}
}

static void test_owners(void)
{
	static const struct {
		const char *what;
		uint8_t kind;
		const char *comment; /* NULL: no comment TLV */
		const char *owner, *peer;
	} t[] = {
		{ "a DNAT element of ours", NAT_RULE_DNAT, "ctrlink:" A64, A64, "" },
		{ "a link element of ours", NAT_RULE_LINK, A64 B64, A64, B64 },
		{ "a DNAT comment without the prefix", NAT_RULE_DNAT, A64, "", "" },
		{ "a DNAT comment with a short ID", NAT_RULE_DNAT, "ctrlink:0123", "", "" },
		{ "upper-case hex is not an ID", NAT_RULE_DNAT,
		  "ctrlink:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "", "" },
		{ "a link comment of one ID", NAT_RULE_LINK, A64, "", "" },
		{ "a link comment with the iptables prefix", NAT_RULE_LINK, "ctrlink:" A64 ":" B64, "",
		  "" },
		{ "no comment", NAT_RULE_DNAT, NULL, "", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		uint8_t ud[2 + 200];
		size_t len = 0;
		if (t[i].comment) {
			size_t cl = strlen(t[i].comment) + 1;
			ud[0] = NATELEM_UDATA_COMMENT;
			ud[1] = (uint8_t)cl;
			memcpy(ud + 2, t[i].comment, cl);
			len = 2 + cl;
		}
		struct kelem k;
		memset(&k, 'x', sizeof k);
		natelem_owners(ud, len, t[i].kind, &k);
		ok(strcmp(k.owner, t[i].owner) == 0 && strcmp(k.peer, t[i].peer) == 0,
		   "owners: %s", t[i].what);
	}
	uint8_t trunc[] = { NATELEM_UDATA_COMMENT, 70, 'c', 't' };
	struct kelem k;
	natelem_owners(trunc, sizeof trunc, NAT_RULE_DNAT, &k);
	ok(!k.owner[0] && !k.peer[0], "owners: a TLV longer than the userdata is ignored");
}

static void test_sort_unique(void)
{
	struct evec v = { NULL, 0, 0 };
	struct nat_rule a = dnat(AF_INET, CTR_TCP, NULL, 80, 82, "10.77.0.2", 80);
	struct nat_rule b = dnat(AF_INET, CTR_TCP, NULL, 81, 81, "10.77.0.2", 81);
	struct nat_rule l = link_rule(AF_INET, CTR_TCP, "10.77.0.3", "10.77.0.2", 1, 1);
	bool good = natelem_of_rule(&l, &v) == 0 && natelem_of_rule(&a, &v) == 0 &&
		    natelem_of_rule(&b, &v) == 0;
	natelem_sort_unique(&v);
	ok(good && v.n == 4 && v.v[0].set == S_DNAT4_ANY && v.v[3].set == S_LINKS4,
	   "sort_unique: by set, one element per key (%zu)", v.n);
	free(v.v);
}

int main(void)
{
	test_encode();
	test_round_trip();
	test_owners();
	test_sort_unique();
	return done_testing();
}
