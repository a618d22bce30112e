/* Unit tests of examples/ctrlink/portfmt.c: the PORTS column of `ps` (docker/cli ≥ 28
 * DisplayablePorts) and the output of `port`.  One TAP point per case. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portfmt.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_ps(const struct ps_port *p, size_t n, const char *want, const char *what)
{
	char *got = ps_ports_format(p, n);
	is_str(got, want, "ps: %s", what);
	free(got);
}

static void test_ps(void)
{
	check_ps(NULL, 0, "", "no ports");

	const struct ps_port exposed[] = {
		{ NULL, 3001, 0, "tcp" }, { "", 3003, 0, "tcp" }, { NULL, 3000, 0, "tcp" },
	};
	check_ps(exposed, N(exposed), "3000-3001/tcp, 3003/tcp", "exposed 3000, 3001, 3003");

	const struct ps_port unpub[] = { { NULL, 443, 0, "tcp" }, { NULL, 80, 0, "tcp" } };
	check_ps(unpub, N(unpub), "80/tcp, 443/tcp", "unpublished 80 and 443");

	const struct ps_port zero[] = { { "0.0.0.0", 9988, 0, "tcp" } };
	check_ps(zero, N(zero), "0.0.0.0:0->9988/tcp", "public port 0");

	const struct ps_port dual[] = {
		{ "::", 5000, 80, "tcp" }, { "0.0.0.0", 5000, 80, "tcp" },
	};
	check_ps(dual, N(dual), "0.0.0.0:80->5000/tcp, [::]:80->5000/tcp", "-p 80:5000 dual stack");

	const struct ps_port range[] = {
		{ "0.0.0.0", 8002, 8002, "tcp" }, { "0.0.0.0", 8000, 8000, "tcp" },
		{ "0.0.0.0", 8001, 8001, "tcp" },
	};
	check_ps(range, N(range), "0.0.0.0:8000-8002->8000-8002/tcp", "-p 8000-8002:8000-8002");

	const struct ps_port range2[] = {
		{ "0.0.0.0", 8000, 8000, "tcp" }, { "::", 8001, 8001, "tcp" },
		{ "0.0.0.0", 8001, 8001, "tcp" }, { "::", 8000, 8000, "tcp" },
		{ "0.0.0.0", 8002, 8002, "tcp" }, { "::", 8002, 8002, "tcp" },
	};
	check_ps(range2, N(range2),
		 "0.0.0.0:8000-8002->8000-8002/tcp, [::]:8000-8002->8000-8002/tcp",
		 "same-port range on both stacks");

	const struct ps_port doc[] = {
		{ "0.0.0.0", 9876, 1234, "tcp" }, { "0.0.0.0", 7890, 4321, "tcp" },
	};
	check_ps(doc, N(doc), "0.0.0.0:4321->7890/tcp, 0.0.0.0:1234->9876/tcp",
		 "container_port.md sample: 7890 first");

	const struct ps_port ipnum[] = {
		{ "10.0.0.2", 80, 8080, "tcp" }, { "9.0.0.1", 80, 8080, "tcp" },
	};
	check_ps(ipnum, N(ipnum), "9.0.0.1:8080->80/tcp, 10.0.0.2:8080->80/tcp",
		 "IPs compare numerically");

	const struct ps_port v4v6[] = {
		{ "::1", 80, 8080, "tcp" }, { "::ffff:1.2.3.4", 80, 8080, "tcp" },
		{ "255.255.255.255", 80, 8080, "tcp" }, { "1.2.3.4", 80, 8080, "tcp" },
		{ "2001:db8::1", 80, 8080, "tcp" },
	};
	check_ps(v4v6, N(v4v6),
		 "1.2.3.4:8080->80/tcp, 255.255.255.255:8080->80/tcp, [::1]:8080->80/tcp, "
		 "[::ffff:1.2.3.4]:8080->80/tcp, [2001:db8::1]:8080->80/tcp",
		 "IPv4 before IPv6, each numerically");

	const struct ps_port pubsort[] = {
		{ "0.0.0.0", 80, 9000, "tcp" }, { "0.0.0.0", 80, 10000, "tcp" },
		{ "0.0.0.0", 80, 8000, "tcp" },
	};
	check_ps(pubsort, N(pubsort),
		 "0.0.0.0:8000->80/tcp, 0.0.0.0:9000->80/tcp, 0.0.0.0:10000->80/tcp",
		 "then by public port");

	const struct ps_port protos[] = { { NULL, 53, 0, "udp" }, { NULL, 53, 0, "tcp" } };
	check_ps(protos, N(protos), "53/tcp, 53/udp", "mixed protocols, one port");

	const struct ps_port protos2[] = {
		{ NULL, 82, 0, "tcp" }, { NULL, 81, 0, "udp" }, { NULL, 81, 0, "tcp" },
		{ NULL, 80, 0, "tcp" }, { NULL, 82, 0, "sctp" },
	};
	check_ps(protos2, N(protos2), "80-82/tcp, 81/udp, 82/sctp",
		 "mixed protocols: groups per protocol, first-seen order");

	const struct ps_port gap[] = {
		{ NULL, 90, 0, "tcp" }, { NULL, 81, 0, "udp" }, { NULL, 80, 0, "tcp" },
	};
	check_ps(gap, N(gap), "80/tcp, 90/tcp, 81/udp", "a gap emits the closed group at once");

	const struct ps_port mixed[] = {
		{ NULL, 443, 0, "tcp" }, { "::", 80, 80, "tcp" }, { "0.0.0.0", 80, 80, "tcp" },
		{ "0.0.0.0", 5432, 15432, "tcp" }, { NULL, 53, 0, "udp" },
	};
	check_ps(mixed, N(mixed),
		 "53/udp, 0.0.0.0:80->80/tcp, [::]:80->80/tcp, 443/tcp, 0.0.0.0:15432->5432/tcp",
		 "groups, then host mappings");

	const struct ps_port canon[] = {
		{ "0:0::0", 80, 8080, "tcp" },
		{ "2001:DB8:0:0:1:0:0:1", 81, 8081, "tcp" },
		{ "fe80::1%eth0", 82, 8082, "udp" },
		{ "0:0:0:0:0:ffff:102:304", 83, 8083, "tcp" },
		{ "1:0:0:2:0:0:0:3", 84, 8084, "tcp" },
	};
	check_ps(canon, N(canon),
		 "[::]:8080->80/tcp, [2001:db8::1:0:0:1]:8081->81/tcp, "
		 "[fe80::1%eth0]:8082->82/udp, [::ffff:1.2.3.4]:8083->83/tcp, "
		 "[1:0:0:2::3]:8084->84/tcp",
		 "IPs printed in canonical form");

	const struct ps_port canon_group[] = {
		{ "0:0::0", 80, 80, "tcp" }, { "::", 81, 81, "tcp" },
	};
	check_ps(canon_group, N(canon_group), "[::]:80-81->80-81/tcp",
		 "one group for two spellings of ::");

	const struct ps_port dup[] = { { NULL, 80, 0, "tcp" }, { NULL, 80, 0, "tcp" } };
	check_ps(dup, N(dup), "80/tcp, 80/tcp", "duplicate entries, as docker prints them");

	const struct ps_port odd[] = {
		{ "bogus", 80, 8080, "tcp" }, { "1.2.3.4", 80, 8080, NULL },
		{ "fe80::1%", 80, 8080, "tcp" },
	};
	check_ps(odd, N(odd), "bogus:8080->80/tcp, [fe80::1%]:8080->80/tcp, 1.2.3.4:8080->80/",
		 "unparsable IPs sort first and print as given; NULL type");

	const struct ps_port edge[] = {
		{ NULL, 65535, 0, "tcp" }, { NULL, 0, 0, "tcp" }, { NULL, 65534, 0, "tcp" },
		{ NULL, 1, 0, "tcp" },
	};
	check_ps(edge, N(edge), "0-1/tcp, 65534-65535/tcp", "ports 0 and 65535");

	struct ps_port *all = calloc(65536, sizeof *all);
	for (unsigned i = 0; i < 65536; i++)
		all[i] = (struct ps_port){ NULL, 65535 - i, 0, "tcp" };
	check_ps(all, 65536, "0-65535/tcp", "65536 exposed ports");
	for (unsigned i = 0; i < 65536; i++)
		all[i] = (struct ps_port){ "0.0.0.0", i, i % 2 ? i : i + 1, "tcp" };
	char *got = ps_ports_format(all, 65536);
	ok(got && strncmp(got, "0.0.0.0:1->1/tcp, 0.0.0.0:3->3/tcp, ", 36) == 0 &&
	   strstr(got, ", 0.0.0.0:65535->65535/tcp, 0.0.0.0:1->0/tcp, 0.0.0.0:3->2/tcp, ") &&
	   strcmp(got + strlen(got) - 24, "0.0.0.0:65535->65534/tcp") == 0,
	   "65536 alternating mappings");
	free(got);
	free(all);
}

/* ---- port ------------------------------------------------------------------------------------ */

/* NetworkSettings.Ports {"80/tcp": [0.0.0.0:3456, [::]:3456], "5432/tcp": null, ...} as the
 * typed read lists it: one entry per binding, exposed-only ports with no public port */
static const struct ps_port ports[] = {
	{ "0.0.0.0", 80, 3456, "tcp" },    { "::", 80, 3456, "tcp" },
	{ NULL, 5432, 0, "tcp" },          { "", 6379, 0, "tcp" },
	{ "127.0.0.1", 53, 5353, "udp" },  { "0.0.0.0", 9, 10000, "tcp" },
	{ "10.0.0.1", 8080, 80, "tcp" },   { "9.0.0.1", 8080, 80, "tcp" },
	{ "127.0.0.1", 8080, 10000, "tcp" }, { "127.0.0.1", 8080, 8080, "tcp" },
	{ "0:0::0", 8080, 8080, "tcp" },   { "::1", 132, 132, "sctp" },
};

static void check_port_in(const struct ps_port *p, size_t n, const char *arg, int want_rc,
			  const char *want)
{
	char *out = (char *)"unset";
	int rc = port_cmd_format(p, n, arg, "web", &out);
	if (rc != want_rc)
		diag("rc %d, expected %d", rc, want_rc);
	is_str(rc == want_rc ? out : "(wrong return code)", want, "port web %s", arg ? arg : "");
	free(out);
}

static void check_port(const char *arg, int want_rc, const char *want)
{
	check_port_in(ports, N(ports), arg, want_rc, want);
}

static void test_port(void)
{
	static const char *all =
		"9/tcp -> 0.0.0.0:10000\n"
		"53/udp -> 127.0.0.1:5353\n"
		"80/tcp -> 0.0.0.0:3456\n"
		"80/tcp -> [::]:3456\n"
		"132/sctp -> [::1]:132\n"
		"8080/tcp -> 9.0.0.1:80\n"
		"8080/tcp -> 10.0.0.1:80\n"
		"8080/tcp -> 127.0.0.1:8080\n"
		"8080/tcp -> 127.0.0.1:10000\n"
		"8080/tcp -> [::]:8080\n";
	check_port(NULL, 0, all);
	check_port("", 0, all);
	check_port("80", 0, "0.0.0.0:3456\n[::]:3456\n");
	check_port("80/tcp", 0, "0.0.0.0:3456\n[::]:3456\n");
	check_port("80/TCP", 0, "0.0.0.0:3456\n[::]:3456\n");
	check_port("80/", 0, "0.0.0.0:3456\n[::]:3456\n");
	check_port("080", 0, "0.0.0.0:3456\n[::]:3456\n");
	check_port("53/udp", 0, "127.0.0.1:5353\n");
	check_port("132/sctp", 0, "[::1]:132\n");
	check_port("8080", 0,
		   "9.0.0.1:80\n10.0.0.1:80\n127.0.0.1:8080\n127.0.0.1:10000\n[::]:8080\n");
	check_port("53", -ENOENT, "no public port '53' published for web");
	check_port("80/udp", -ENOENT, "no public port '80/udp' published for web");
	check_port("5432", -ENOENT, "no public port '5432' published for web");
	check_port("5432/tcp", -ENOENT, "no public port '5432/tcp' published for web");
	check_port("6379", -ENOENT, "no public port '6379' published for web");
	check_port("81", -ENOENT, "no public port '81' published for web");
	check_port("0", -ENOENT, "no public port '0' published for web");
	check_port("abc", -EINVAL, "invalid port 'abc': invalid syntax");
	check_port("abc/tcp", -EINVAL, "invalid port 'abc': invalid syntax");
	check_port("+80", -EINVAL, "invalid port '+80': invalid syntax");
	check_port("-1", -EINVAL, "invalid port '-1': invalid syntax");
	check_port("80-81", -EINVAL, "invalid port '80-81': invalid syntax");
	check_port("70000", -EINVAL, "invalid port '70000': value out of range");
	check_port("99999999999999999999x", -EINVAL,
		   "invalid port '99999999999999999999x': value out of range");
	check_port("/tcp", -EINVAL, "invalid port '': value is empty");
	check_port("80/xyz", -ENOENT, "no public port '80/xyz' published for web");
	check_port("80/XYZ", -ENOENT, "no public port '80/XYZ' published for web");
	check_port("80/tcp/x", -ENOENT, "no public port '80/tcp/x' published for web");

	check_port_in(NULL, 0, NULL, 0, "");
	check_port_in(NULL, 0, "80", -ENOENT, "no public port '80' published for web");
	check_port_in(NULL, 0, "abc", -EINVAL, "invalid port 'abc': invalid syntax");

	/* odd entries: no address, an upper-case protocol, no protocol */
	static const struct ps_port odd[] = {
		{ NULL, 53, 53, "UDP" }, { "0.0.0.0", 80, 1, "tcp" }, { "1.2.3.4", 7, 2, NULL },
	};
	check_port_in(odd, 3, NULL, 0, "53/udp -> :53\n80/tcp -> 0.0.0.0:1\n");
	check_port_in(odd, 3, "53/udp", 0, ":53\n");
	check_port_in(odd, 3, "7", -ENOENT, "no public port '7' published for web");

	char *out = NULL;
	int rc = port_cmd_format(NULL, 0, "80", NULL, &out);
	is_str(out, "no public port '80' published for ", "NULL container name");
	ok(rc == -ENOENT, "NULL container name: -ENOENT");
	free(out);
}

int main(void)
{
	test_ps();
	test_port();
	return done_testing();
}
