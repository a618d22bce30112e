/* Unit tests for lib/core/guard.c: the port guard's set keys, laid out as nftables lays out a
 * concatenation, and the link-local address the kernel derives from a MAC.  A table of
 * ports, each with the expected keys in hex; one TAP point per key. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/guard.h"
#include "core/record.h"
#include "tap.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}


static const struct {
	const char *what, *veth, *mac, *ip, *ip6;
	const char *port, *k4, *g6, *ll6, *any6; /* expected keys; NULL: none */
} cases[] = {
	{ "IPv4 only", "ctl0123abcd0001", "02:42:ac:11:00:02", "172.17.0.2", NULL,
	  "63746c30313233616263643030303100",
	  "63746c30313233616263643030303100" "0242ac1100020000" "ac110002", NULL, NULL, NULL },
	{ "a short name", "v1", "02:42:0a:00:00:09", "10.0.0.9", NULL,
	  "76310000000000000000000000000000",
	  "76310000000000000000000000000000" "02420a0000090000" "0a000009", NULL, NULL, NULL },
	{ "dual stack", "ctlffff00000002", "02:42:ac:11:00:03", "172.17.0.3", "fd00:c7::3",
	  "63746c66666666303030303030303200",
	  "63746c66666666303030303030303200" "0242ac1100030000" "ac110003",
	  "63746c66666666303030303030303200" "0242ac1100030000" "fd0000c7000000000000000000000003",
	  /* fe80:: + (02 xor 02)42:acff:fe11:0003 */
	  "63746c66666666303030303030303200" "0242ac1100030000" "fe800000000000000042acfffe110003",
	  "63746c66666666303030303030303200" "0242ac1100030000" "00000000000000000000000000000000" },
};

static void parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
}

int main(void)
{
	char got[2 * GUARD_KEY6 + 1];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ctr_net net;
		struct guard_port p;
		memset(&net, 0, sizeof net);
		snprintf(net.veth, sizeof net.veth, "%s", cases[i].veth);
		parse_mac(cases[i].mac, net.mac);
		inet_pton(AF_INET, cases[i].ip, &net.ip);
		if (cases[i].ip6) {
			inet_pton(AF_INET6, cases[i].ip6, net.ip6);
			net.prefixlen6 = 64;
		}
		ok(guard_port_of(&net, &p), "%s: a port of ours", cases[i].what);
		uint8_t kp[GUARD_KEY_PORT], k4[GUARD_KEY4], k6[GUARD_KEYS6][GUARD_KEY6];
		guard_key_port(&p, kp);
		hex(kp, sizeof kp, got);
		is_str(got, cases[i].port, "%s: ports key", cases[i].what);
		guard_key4(&p, k4);
		hex(k4, sizeof k4, got);
		is_str(got, cases[i].k4, "%s: ip4 key", cases[i].what);
		uint8_t km[GUARD_KEY_MAC];
		guard_key_mac(&p, km);
		hex(km, sizeof km, got);
		ok(strncmp(got, cases[i].k4, 2 * GUARD_KEY_MAC) == 0 && strlen(got) == 2 * GUARD_KEY_MAC,
		   "%s: macs key (ifname . ether_addr, the ip4 key's head)", cases[i].what);
		size_t n = guard_keys6(&p, k6);
		is_int((long long)n, cases[i].ip6 ? GUARD_KEYS6 : 0, "%s: IPv6 keys", cases[i].what);
		const char *want6[GUARD_KEYS6] = { cases[i].g6, cases[i].ll6, cases[i].any6 };
		for (size_t k = 0; k < n; k++) {
			hex(k6[k], GUARD_KEY6, got);
			is_str(got, want6[k], "%s: ip6 key %zu", cases[i].what, k);
		}
	}
	struct ctr_net endpoint;
	struct guard_port p;
	memset(&endpoint, 0, sizeof endpoint);
	ok(!guard_port_of(&endpoint, &p), "an endpoint (no veth of ours) has no port to guard");
	return done_testing();
}
