/* Unit tests for lib/core/netcfg.c: the subnet parsers, a container's IPv6 address, and
 * network.json's text read and written back.  Tables; one TAP point per check. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "container-link.h"
#include "core/names.h"
#include "core/netcfg.h"
#include "core/util.h"
#include "tap.h"

static const struct {
	const char *in;
	int e;
	const char *net; /* expected network, when e == 0 */
	int prefixlen;
	const char *msg; /* a part of the message, when e < 0 */
} v4[] = {
	{ "172.17.0.0/16", 0, "172.17.0.0", 16, NULL },
	{ "10.88.4.0/24", 0, "10.88.4.0", 24, NULL },
	{ "10.0.0.4/30", 0, "10.0.0.4", 30, NULL },
	{ "10.0.0.0/15", -EINVAL, NULL, 0, "the prefix length must be 16 to 30" },
	{ "10.0.0.0/31", -EINVAL, NULL, 0, "the prefix length must be 16 to 30" },
	{ "10.0.0.1/24", -EINVAL, NULL, 0, "host bits are set" },
	{ "10.0.0.0", -EINVAL, NULL, 0, "expected a.b.c.d/N" },
	{ "10.0.0/24", -EINVAL, NULL, 0, "expected a.b.c.d/N" },
	{ "10.0.0.0/x", -EINVAL, NULL, 0, "expected a.b.c.d/N" },
	{ "10.0.0.0/24\n", -EINVAL, NULL, 0, "\\n" }, /* shown escaped */
};

static const struct {
	const char *in;
	int e, prefixlen;
	const char *msg;
} v6[] = {
	{ "fd00:c7::/64", 0, 64, NULL },
	{ "2001:db8:1::/48", 0, 48, NULL },
	{ "fd00::/96", 0, 96, NULL },
	{ "none", 0, 0, NULL },
	{ "fd00::/47", -EINVAL, 0, "the prefix length must be 48 to 96" },
	{ "fd00::1/64", -EINVAL, 0, "host bits are set" },
	{ "ff02::/64", -EINVAL, 0, "not multicast, link-local or ::/16" },
	{ "fe80::/64", -EINVAL, 0, "not multicast, link-local or ::/16" },
	{ "::/64", -EINVAL, 0, "not multicast, link-local or ::/16" },
	{ "fd00::", -EINVAL, 0, "expected x:x::/N" },
};

static void test_v4(void)
{
	for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
		uint32_t net = 0;
		int pl = 0;
		ctr_err_clear();
		int e = parse_subnet(v4[i].in, &net, &pl);
		is_int(e, v4[i].e, "parse_subnet %s: result", SHOWN(v4[i].in));
		if (e == 0) {
			char buf[16];
			inet_ntop(AF_INET, &net, buf, sizeof buf);
			is_str(buf, v4[i].net, "parse_subnet %s: network", SHOWN(v4[i].in));
			is_int(pl, v4[i].prefixlen, "parse_subnet %s: prefix", SHOWN(v4[i].in));
		} else {
			ok(strstr(ctr_err_msg(), v4[i].msg) != NULL, "parse_subnet %s: message \"%s\"",
			   SHOWN(v4[i].in), SHOWN(ctr_err_msg()));
		}
	}
}

static void test_v6(void)
{
	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
		uint8_t net[16];
		int pl = -1;
		ctr_err_clear();
		int e = parse_subnet6(v6[i].in, net, &pl);
		is_int(e, v6[i].e, "parse_subnet6 %s: result", v6[i].in);
		if (e == 0)
			is_int(pl, v6[i].prefixlen, "parse_subnet6 %s: prefix", v6[i].in);
		else
			ok(strstr(ctr_err_msg(), v6[i].msg) != NULL, "parse_subnet6 %s: message \"%s\"",
			   v6[i].in, SHOWN(ctr_err_msg()));
	}
}

static void test_ip6_for(void)
{
	struct netcfg c;
	memset(&c, 0, sizeof c);
	parse_subnet("172.18.0.0/16", &c.subnet, &c.prefixlen);
	parse_subnet6("fd00:c7::/64", c.subnet6, &c.prefixlen6);
	uint32_t ip4;
	inet_pton(AF_INET, "172.18.3.9", &ip4);
	uint8_t out[16];
	char buf[46];
	ip6_for(&c, ip4, out);
	inet_ntop(AF_INET6, out, buf, sizeof buf);
	is_str(buf, "fd00:c7::309", "ip6_for: the IPv4 host number in the low bits");
}

static void test_json(void)
{
	const char *text = "{\"bridge\":\"br-x\",\"subnet\":\"10.9.0.0/24\",\"icc\":false,"
			   "\"backend\":\"nftables\",\"subnet6\":\"fd00:9::/64\",\"external\":true}";
	struct netcfg c;
	is_int(netcfg_decode(text, strlen(text), &c), 0, "netcfg_decode: a whole file");
	is_str(c.bridge, "br-x", "netcfg_decode: bridge");
	is_int(c.prefixlen, 24, "netcfg_decode: prefix");
	is_int(ntohl(c.gateway) & 0xff, 1, "netcfg_decode: the gateway is the first address");
	ok(!c.icc && c.external, "netcfg_decode: icc false, external");
	is_int(c.backend, CTR_NAT_NFTABLES, "netcfg_decode: backend");
	is_int(c.prefixlen6, 64, "netcfg_decode: IPv6 prefix");
	is_int(c.gateway6[15], 1, "netcfg_decode: the IPv6 gateway is ::1 of the subnet");

	char *s = NULL;
	struct netcfg back;
	is_int(netcfg_encode(&c, &s), 0, "netcfg_encode");
	is_int(s ? netcfg_decode(s, strlen(s), &back) : -1, 0, "netcfg_encode: decodes again");
	ok(s && memcmp(&back, &c, sizeof c) == 0, "netcfg_encode: the same network back");
	free(s);

	static const char *const bad[] = {
		"", "{", "{\"bridge\":\"br\",\"subnet\":\"10.9.0.0/24\",\"icc\":false}",
		"{\"bridge\":\"br\",\"subnet\":\"10.9.0.0/24\",\"icc\":false,\"backend\":\"auto\"}",
		"{\"bridge\":\"0123456789abcdef\",\"subnet\":\"10.9.0.0/24\",\"icc\":false,"
		"\"backend\":\"iptables\"}",
		"{\"bridge\":\"br\",\"subnet\":\"10.9.0.1/24\",\"icc\":false,\"backend\":\"iptables\"}",
		"{\"bridge\":\"br\",\"subnet\":\"10.9.0.0/24\",\"icc\":false,\"backend\":\"iptables\","
		"\"subnet6\":7}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(netcfg_decode(bad[i], strlen(bad[i]), &c), -EINVAL, "netcfg_decode: damaged %zu",
		       i);
	is_str(net_backend_name(CTR_NAT_IPTABLES), "iptables", "net_backend_name: iptables");
	is_str(net_backend_name(7), "?", "net_backend_name: out of range");
}

int main(void)
{
	test_v4();
	test_v6();
	test_ip6_for();
	test_json();
	return done_testing();
}
