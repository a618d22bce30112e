/* Unit tests for lib/core/portplan.c: planning host ports for a container's bindings (and -P) in the
 * allocation index, as Docker's allocator does.  One TAP point per table row. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/portplan.h"
#include "portfix.h"
#include "tap.h"
#include "core/util.h"

#define T CTR_TCP
#define U CTR_UDP
#define S CTR_SCTP
#define B(port, proto, ip, lo, hi) { { port, proto }, ip, lo, hi }
#define P(port, proto) { port, proto }

/* The probe: the host has these (proto, port) in use, on the address `ip` (NULL: on any); a
 * refusal sets a message. */
struct host {
	struct {
		int proto;
		uint16_t port;
		const char *ip;
	} busy[4];
	size_t n_busy;
	int calls;
	char last_ip[CTR_IP_MAX];
};

static int probe(void *ctx, int proto, const char *host_ip, uint16_t port)
{
	struct host *h = ctx;
	h->calls++;
	snprintf(h->last_ip, sizeof h->last_ip, "%s", host_ip);
	for (size_t i = 0; i < h->n_busy; i++)
		if (h->busy[i].proto == proto && h->busy[i].port == port &&
		    (!h->busy[i].ip || strcmp(h->busy[i].ip, host_ip) == 0))
			return ctr_err(-EADDRINUSE, "probe: %s %s:%u is in use by the host",
				       proto_name((unsigned)proto), host_ip, port);
	return 0;
}

/* A taken port before the plan: "tcp 0.0.0.0 80" style. */
struct pre {
	int proto;
	const char *ip;
	uint16_t port;
};

struct plan_case {
	const char *what;
	struct pre pre[4];
	size_t n_pre;
	struct ctr_binding b[6];
	size_t nb;
	struct ctr_port exposed[6];
	size_t nexp;
	bool publish_all, ipv6;
	struct host host;
	int rc;
	const char *want; /* the mappings ("80/tcp=0.0.0.0:8080 ...") or the message */
};

#define NO_HOST { { { 0, 0, NULL } }, 0, 0, "" }

static const struct plan_case plan_cases[] = {
	{ "nothing to do", { { 0 } }, 0, { { { 0 } } }, 0, { { 0 } }, 0, false, false, NO_HOST, 0,
	  "" },
	{ "one exact port", { { 0 } }, 0, { B(80, T, "", 8080, 8080) }, 1, { { 0 } }, 0, false,
	  false, NO_HOST, 0, "80/tcp=0.0.0.0:8080" },
	{ "ephemeral ports from the env's range, in container-port order", { { 0 } }, 0,
	  { B(81, T, "", 0, 0), B(80, T, "", 0, 0), B(443, T, "", 0, 0) }, 3, { { 0 } }, 0, false,
	  false, NO_HOST, 0,
	  "80/tcp=0.0.0.0:49153 81/tcp=0.0.0.0:49154 443/tcp=0.0.0.0:49155" },
	{ "exact host ports first, then ranges and ephemeral ones", { { 0 } }, 0,
	  { B(81, T, "", 0, 0), B(80, T, "", 49153, 49153), B(82, T, "", 0, 0),
	    B(90, T, "", 49154, 49160) }, 4, { { 0 } }, 0, false, false, NO_HOST, 0,
	  "80/tcp=0.0.0.0:49153 81/tcp=0.0.0.0:49154 82/tcp=0.0.0.0:49155 "
	  "90/tcp=0.0.0.0:49156" },
	{ "exact ports among themselves in container-port order", { { 0 } }, 0,
	  { B(9000, U, "", 9000, 9000), B(53, U, "127.0.0.1", 5353, 5353),
	    B(53, T, "", 53, 53) }, 3, { { 0 } }, 0, false, false, NO_HOST, 0,
	  "53/tcp=0.0.0.0:53 53/udp=127.0.0.1:5353 9000/udp=0.0.0.0:9000" },
	{ "the same container port on two addresses", { { 0 } }, 0,
	  { B(80, T, "127.0.0.1", 0, 0), B(80, T, "10.0.0.1", 0, 0) }, 2, { { 0 } }, 0, false,
	  false, NO_HOST, 0, "80/tcp=10.0.0.1:49153 80/tcp=127.0.0.1:49153" },
	{ "port taken on 0.0.0.0", { { T, "0.0.0.0", 80 } }, 1, { B(80, T, "", 80, 80) }, 1,
	  { { 0 } }, 0, false, false, NO_HOST, -EADDRINUSE,
	  "Bind for 0.0.0.0:80 failed: port is already allocated" },
	{ "port taken on the same specific IP", { { T, "127.0.0.1", 80 } }, 1,
	  { B(80, T, "127.0.0.1", 80, 80) }, 1, { { 0 } }, 0, false, false, NO_HOST, -EADDRINUSE,
	  "Bind for 127.0.0.1:80 failed: port is already allocated" },
	{ "0.0.0.0 wanted, a specific IP holds the port", { { T, "127.0.0.1", 80 } }, 1,
	  { B(80, T, "0.0.0.0", 80, 80) }, 1, { { 0 } }, 0, false, false, NO_HOST, -EADDRINUSE,
	  "Bind for 0.0.0.0:80 failed: port is already allocated" },
	{ "a specific IP wanted, 0.0.0.0 holds the port", { { T, "0.0.0.0", 80 } }, 1,
	  { B(80, T, "127.0.0.1", 80, 80) }, 1, { { 0 } }, 0, false, false, NO_HOST, -EADDRINUSE,
	  "Bind for 127.0.0.1:80 failed: port is already allocated" },
	{ "another specific IP is free", { { T, "127.0.0.1", 80 } }, 1,
	  { B(80, T, "127.0.0.2", 80, 80) }, 1, { { 0 } }, 0, false, false, NO_HOST, 0,
	  "80/tcp=127.0.0.2:80" },
	{ "another protocol is free", { { T, "0.0.0.0", 80 } }, 1, { B(80, U, "", 80, 80) }, 1,
	  { { 0 } }, 0, false, false, NO_HOST, 0, "80/udp=0.0.0.0:80" },
	{ "IPv6 does not collide with IPv4", { { T, "0.0.0.0", 80 } }, 1,
	  { B(80, T, "2001:db8::1", 80, 80), B(81, T, "::", 81, 81) }, 2, { { 0 } }, 0, false, true,
	  NO_HOST, 0, "80/tcp=2001:db8::1:80 81/tcp=:::81" },
	{ "IPv6 conflict is shown bracketed", { { T, "::", 80 } }, 1,
	  { B(80, T, "2001:db8::1", 80, 80) }, 1, { { 0 } }, 0, false, true, NO_HOST, -EADDRINUSE,
	  "Bind for [2001:db8::1]:80 failed: port is already allocated" },
	{ "the IPv6 loopback address is refused, saying why", { { 0 } }, 0,
	  { B(80, T, "::1", 80, 80) }, 1, { { 0 } }, 0, false, true, NO_HOST, -EADDRNOTAVAIL,
	  "cannot publish on ::1: the kernel never lets the IPv6 loopback address leave the "
	  "host's loopback interface, so no NAT can reach a container from it (publish on :: "
	  "and connect to a global address of the host, or on 127.0.0.1)" },
	{ "IPv6 unspecified conflict", { { T, "fd00::1", 8080 } }, 1,
	  { B(80, T, "::", 8080, 8080) }, 1, { { 0 } }, 0, false, true, NO_HOST, -EADDRINUSE,
	  "Bind for [::]:8080 failed: port is already allocated" },
	{ "IPv6 refused when the backend has no IPv6", { { 0 } }, 0,
	  { B(80, T, "", 8080, 8080), B(80, T, "::", 8080, 8080) }, 2, { { 0 } }, 0, false, false,
	  NO_HOST, -EAFNOSUPPORT,
	  "cannot publish on the IPv6 host address ::: the containers have no IPv6 address (give "
	  "the network an IPv6 subnet with --subnet6, which needs the nftables backend)" },
	{ "an invalid host IP", { { 0 } }, 0, { B(80, T, "1.2.3", 80, 80) }, 1, { { 0 } }, 0, false,
	  true, NO_HOST, -EINVAL, "invalid IP address: 1.2.3" },
	{ "one host port twice in one plan", { { 0 } }, 0,
	  { B(80, T, "", 8080, 8080), B(81, T, "", 8080, 8080) }, 2, { { 0 } }, 0, false, false,
	  NO_HOST, -EADDRINUSE, "Bind for 0.0.0.0:8080 failed: port is already allocated" },
	{ "a host range: its first free port", { { T, "0.0.0.0", 8000 } }, 1,
	  { B(80, T, "", 8000, 8002), B(81, T, "", 8000, 8002) }, 2, { { 0 } }, 0, false, false,
	  NO_HOST, 0, "80/tcp=0.0.0.0:8001 81/tcp=0.0.0.0:8002" },
	{ "a host range all taken", { { T, "0.0.0.0", 8000 }, { T, "127.0.0.1", 8001 } }, 2,
	  { B(80, T, "", 8000, 8001) }, 1, { { 0 } }, 0, false, false, NO_HOST, -ENOSPC,
	  "Bind for 0.0.0.0:8000-8001 failed: all ports are allocated" },
	{ "the ephemeral range exhausted (after exact ports: nothing stays taken)", { { 0 } }, 0,
	  { B(1, T, "", 0, 0), B(2, T, "", 0, 0), B(3, T, "", 0, 0), B(4, T, "", 0, 0),
	    B(5, T, "", 7, 7) }, 5, { { 0 } }, 0, false, false, NO_HOST, -ENOSPC,
	  "Bind for 0.0.0.0:49153-49155 failed: all ports are allocated" },
	{ "ephemeral IPv6", { { 0 } }, 0, { B(80, U, "2001:db8::1", 0, 0) }, 1, { { 0 } }, 0, false,
	  true, NO_HOST, 0, "80/udp=2001:db8::1:49153" },
	{ "ephemeral IPv6 exhausted",
	  { { U, "::", 49153 }, { U, "::", 49154 }, { U, "::", 49155 } }, 3,
	  { B(80, U, "2001:db8::1", 0, 0) }, 1, { { 0 } }, 0, false, true, NO_HOST, -ENOSPC,
	  "Bind for [2001:db8::1]:49153-49155 failed: all ports are allocated" },
	{ "publish_all: ephemeral ports for the exposed ports without a binding", { { 0 } }, 0,
	  { B(80, T, "", 8080, 8080) }, 1, { P(53, U), P(80, T), P(443, T) }, 3, true, false,
	  NO_HOST, 0, "80/tcp=0.0.0.0:8080 53/udp=0.0.0.0:49153 443/tcp=0.0.0.0:49153" },
	{ "publish_all: a binding on another IP counts as a binding", { { 0 } }, 0,
	  { B(80, T, "127.0.0.1", 0, 0) }, 1, { P(80, T), P(81, T) }, 2, true, false, NO_HOST, 0,
	  "80/tcp=127.0.0.1:49153 81/tcp=0.0.0.0:49154" },
	{ "publish_all: the protocol matters", { { 0 } }, 0, { B(80, U, "", 0, 0) }, 1,
	  { P(80, T), P(80, U) }, 2, true, false, NO_HOST, 0,
	  "80/tcp=0.0.0.0:49153 80/udp=0.0.0.0:49153" },
	{ "publish_all off: exposed ports are not published", { { 0 } }, 0, { { { 0 } } }, 0,
	  { P(80, T), P(443, T) }, 2, false, false, NO_HOST, 0, "" },
	{ "publish_all with nothing exposed", { { 0 } }, 0, { { { 0 } } }, 0, { { 0 } }, 0, true,
	  false, NO_HOST, 0, "" },
	{ "the probe refuses an exact port: its message", { { 0 } }, 0,
	  { B(80, T, "", 8080, 8080) }, 1, { { 0 } }, 0, false, false,
	  { { { T, 8080 } }, 1, 0, "" }, -EADDRINUSE,
	  "probe: tcp 0.0.0.0:8080 is in use by the host" },
	{ "the probe: another protocol is fine", { { 0 } }, 0, { B(80, T, "", 8080, 8080) }, 1,
	  { { 0 } }, 0, false, false, { { { U, 8080 } }, 1, 0, "" }, 0, "80/tcp=0.0.0.0:8080" },
	{ "the probe refuses an ephemeral port: skipped", { { 0 } }, 0,
	  { B(80, T, "", 0, 0), B(81, T, "10.1.1.1", 0, 0) }, 2, { { 0 } }, 0, false, false,
	  { { { T, 49153 } }, 1, 0, "" }, 0, "80/tcp=0.0.0.0:49154 81/tcp=10.1.1.1:49155" },
	{ "the probe refuses a range's ports: none left", { { 0 } }, 0,
	  { B(80, T, "", 5000, 5001) }, 1, { { 0 } }, 0, false, false,
	  { { { T, 5000 }, { T, 5001 } }, 2, 0, "" }, -ENOSPC,
	  "Bind for 0.0.0.0:5000-5001 failed: all ports are allocated" },
	{ "a failure after a probe refusal leaves nothing taken", { { 0 } }, 0,
	  { B(80, T, "", 0, 0), B(81, T, "", 81, 81), B(82, T, "", 82, 82) }, 3, { { 0 } }, 0,
	  false, false, { { { T, 82 } }, 1, 0, "" }, -EADDRINUSE,
	  "probe: tcp 0.0.0.0:82 is in use by the host" },
	/* IPv6 on: the default address is 0.0.0.0 and :: on one host port */
	{ "dual-stack: an exact port on both", { { 0 } }, 0, { B(80, T, "", 8080, 8080) }, 1,
	  { { 0 } }, 0, false, true, NO_HOST, 0, "80/tcp=0.0.0.0:8080 80/tcp=:::8080" },
	{ "dual-stack: ephemeral ports, one per container port on both", { { 0 } }, 0,
	  { B(81, U, "", 0, 0), B(80, T, "", 0, 0) }, 2, { { 0 } }, 0, false, true, NO_HOST, 0,
	  "80/tcp=0.0.0.0:49153 80/tcp=:::49153 81/udp=0.0.0.0:49153 81/udp=:::49153" },
	{ "dual-stack: the port taken on ::", { { T, "::", 8080 } }, 1,
	  { B(80, T, "", 8080, 8080) }, 1, { { 0 } }, 0, false, true, NO_HOST, -EADDRINUSE,
	  "Bind for [::]:8080 failed: port is already allocated" },
	{ "dual-stack: the port taken on an IPv6 address", { { T, "fd00::1", 8080 } }, 1,
	  { B(80, T, "", 8080, 8080) }, 1, { { 0 } }, 0, false, true, NO_HOST, -EADDRINUSE,
	  "Bind for [::]:8080 failed: port is already allocated" },
	{ "dual-stack: the port taken on 0.0.0.0", { { T, "0.0.0.0", 8080 } }, 1,
	  { B(80, T, "", 8080, 8080) }, 1, { { 0 } }, 0, false, true, NO_HOST, -EADDRINUSE,
	  "Bind for 0.0.0.0:8080 failed: port is already allocated" },
	{ "dual-stack: ephemeral skips a port taken on :: only", { { T, "::", 49153 } }, 1,
	  { B(80, T, "", 0, 0) }, 1, { { 0 } }, 0, false, true, NO_HOST, 0,
	  "80/tcp=0.0.0.0:49154 80/tcp=:::49154" },
	{ "dual-stack: a range skips a port taken on :: only", { { T, "::1", 7000 } }, 1,
	  { B(80, T, "", 7000, 7001) }, 1, { { 0 } }, 0, false, true, NO_HOST, 0,
	  "80/tcp=0.0.0.0:7001 80/tcp=:::7001" },
	{ "dual-stack: no port free on both", { { T, "::", 49153 }, { T, "0.0.0.0", 49154 },
	  { T, "::", 49155 } }, 3, { B(80, T, "", 0, 0) }, 1, { { 0 } }, 0, false, true, NO_HOST,
	  -ENOSPC, "Bind for 0.0.0.0:49153-49155 failed: all ports are allocated" },
	{ "dual-stack: an explicit 0.0.0.0 is IPv4 only", { { T, "::", 8080 } }, 1,
	  { B(80, T, "0.0.0.0", 8080, 8080) }, 1, { { 0 } }, 0, false, true, NO_HOST, 0,
	  "80/tcp=0.0.0.0:8080" },
	{ "dual-stack: an explicit :: is IPv6 only", { { T, "0.0.0.0", 8080 } }, 1,
	  { B(80, T, "::", 8080, 8080) }, 1, { { 0 } }, 0, false, true, NO_HOST, 0,
	  "80/tcp=:::8080" },
	{ "dual-stack: publish_all on both", { { 0 } }, 0, { { { 0 } } }, 0, { P(80, T) }, 1,
	  true, true, NO_HOST, 0, "80/tcp=0.0.0.0:49153 80/tcp=:::49153" },
	{ "dual-stack: the probe refuses :: for an exact port", { { 0 } }, 0,
	  { B(80, T, "", 8080, 8080) }, 1, { { 0 } }, 0, false, true,
	  { { { T, 8080, "::" } }, 1, 0, "" }, -EADDRINUSE,
	  "probe: tcp :::8080 is in use by the host" },
	{ "dual-stack: the probe refuses :: for an ephemeral port: skipped", { { 0 } }, 0,
	  { B(80, T, "", 0, 0) }, 1, { { 0 } }, 0, false, true,
	  { { { T, 49153, "::" } }, 1, 0, "" }, 0, "80/tcp=0.0.0.0:49154 80/tcp=:::49154" },
	{ "dual-stack: a later failure releases both families", { { T, "0.0.0.0", 90 } }, 1,
	  { B(80, T, "", 8080, 8080), B(81, T, "", 0, 0), B(82, T, "", 90, 90) }, 3, { { 0 } }, 0,
	  false, true, NO_HOST, -EADDRINUSE,
	  "Bind for 0.0.0.0:90 failed: port is already allocated" },
};

/* The maps' bits (what is taken), to compare before and after a failed plan. */
static bool same_maps(const struct alloc *a, const struct alloc *b)
{
	if (a->n_maps != b->n_maps)
		return false;
	return !a->n_maps || memcmp(a->maps, b->maps, a->n_maps * sizeof *a->maps) == 0;
}

static void test_plans(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(plan_cases); i++) {
		const struct plan_case *c = &plan_cases[i];
		struct alloc a, before;
		uint32_t net;
		inet_pton(AF_INET, "172.17.0.0", &net);
		if (alloc_init(&a, net, 16) < 0 || alloc_init(&before, net, 16) < 0)
			abort();
		for (size_t k = 0; k < c->n_pre; k++)
			if (take(&a, c->pre[k].proto, c->pre[k].ip, c->pre[k].port) < 0 ||
			    take(&before, c->pre[k].proto, c->pre[k].ip, c->pre[k].port) < 0)
				diag("cannot take %s:%u", c->pre[k].ip, c->pre[k].port);
		struct host h = c->host;
		struct portplan_env env = { 49153, 49155, probe, &h, c->ipv6 };
		struct ctr_mapping *m = (struct ctr_mapping *)"x";
		size_t nm = 12345;
		ctr_err_clear();
		int e = portplan(&a, &env, c->b, c->nb, c->exposed, c->nexp, c->publish_all, &m,
				 &nm);
		if (c->rc == 0) {
			char *s = e == 0 ? fmt_mappings(m, nm) : NULL;
			/* and every mapping is taken in the index */
			for (size_t k = 0; e == 0 && k < nm; k++) {
				int fam;
				uint8_t addr[16];
				host_ip_parse(m[k].host_ip, &fam, addr);
				if (!alloc_port_taken(&a, m[k].cport.proto, fam, addr, m[k].hport))
					e = ctr_err(-999, "mapping %zu not taken in the index", k);
			}
			/* releasing gives back the index as it was */
			if (e == 0)
				portplan_release(&a, m, nm);
			if (e == 0 && !same_maps(&a, &before))
				e = ctr_err(-999, "portplan_release left ports taken");
			is_str(e == 0 ? s : ctr_err_msg(), c->want, "plan: %s", c->what);
			free(s);
			if (nm != 12345)
				free(m);
		} else {
			ok(e == c->rc && strcmp(ctr_err_msg(), c->want) == 0 &&
				   same_maps(&a, &before) && nm == 12345,
			   "plan refused: %s (%d: %s)", c->what, e, ctr_err_msg());
		}
		alloc_free(&a);
		alloc_free(&before);
	}
}

/* Plans one after the other on one index: round robin through the ephemeral range, ports
 * released and taken again, release of a whole plan. */
static void test_sequence(void)
{
	struct alloc a;
	uint32_t net;
	inet_pton(AF_INET, "172.17.0.0", &net);
	if (alloc_init(&a, net, 16) < 0)
		abort();
	struct host h = NO_HOST;
	struct portplan_env env = { 49153, 49155, probe, &h, false };
	const struct ctr_binding eph[] = { B(80, T, "", 0, 0) };
	struct ctr_mapping *m[5] = { NULL };
	size_t n[5] = { 0 };
	static const char *const want[] = { "80/tcp=0.0.0.0:49153", "80/tcp=0.0.0.0:49154",
					    "80/tcp=0.0.0.0:49155" };
	for (int i = 0; i < 3; i++) {
		int e = portplan(&a, &env, eph, 1, NULL, 0, false, &m[i], &n[i]);
		char *s = e == 0 ? fmt_mappings(m[i], n[i]) : NULL;
		is_str(e == 0 ? s : ctr_err_msg(), want[i], "round robin: plan %d", i + 1);
		free(s);
	}
	is_str(h.last_ip, "0.0.0.0", "the probe is asked about the host IP as text");
	int e = portplan(&a, &env, eph, 1, NULL, 0, false, &m[3], &n[3]);
	is_str(e == -ENOSPC ? ctr_err_msg() : "(planned)",
	       "Bind for 0.0.0.0:49153-49155 failed: all ports are allocated",
	       "round robin: the range is full");
	portplan_release(&a, m[1], n[1]);
	e = portplan(&a, &env, eph, 1, NULL, 0, false, &m[3], &n[3]);
	ok(e == 0 && n[3] == 1 && m[3][0].hport == 49154, "round robin: the released port again");
	portplan_release(&a, m[0], n[0]);
	portplan_release(&a, m[2], n[2]);
	portplan_release(&a, m[3], n[3]);
	is_int((long long)a.n_maps, 0, "everything released: the index is empty");
	e = portplan(&a, &env, eph, 1, NULL, 0, false, &m[4], &n[4]);
	ok(e == 0 && m[4][0].hport == 49155, "round robin carries on after the last port (%u)",
	   e == 0 ? m[4][0].hport : 0);
	/* releasing mappings with bad addresses does nothing */
	const struct ctr_mapping bad = { { 80, T }, "not-an-ip", 49155 };
	portplan_release(&a, &bad, 1);
	ok(a.n_maps == 1, "portplan_release ignores a bad host IP");
	for (int i = 0; i < 5; i++)
		free(m[i]);
	alloc_free(&a);

	/* the probe may be NULL */
	if (alloc_init(&a, net, 16) < 0)
		abort();
	struct portplan_env noprobe = { 1000, 1000, NULL, NULL, false };
	struct ctr_mapping *mm = NULL;
	size_t nmm = 0;
	e = portplan(&a, &noprobe, eph, 1, NULL, 0, false, &mm, &nmm);
	ok(e == 0 && nmm == 1 && mm[0].hport == 1000, "no probe: ephemeral port 1000");
	free(mm);
	alloc_free(&a);

	/* dual-stack: one host port in two maps, released together; round robin goes on */
	if (alloc_init(&a, net, 16) < 0)
		abort();
	struct portplan_env dual = { 49153, 49154, NULL, NULL, true };
	e = portplan(&a, &dual, eph, 1, NULL, 0, false, &mm, &nmm);
	ok(e == 0 && nmm == 2 && a.n_maps == 2 && mm[0].hport == 49153 && mm[1].hport == 49153,
	   "dual-stack: one host port taken on 0.0.0.0 and ::");
	portplan_release(&a, mm, nmm);
	is_int((long long)a.n_maps, 0, "dual-stack: released on both");
	free(mm);
	e = portplan(&a, &dual, eph, 1, NULL, 0, false, &mm, &nmm);
	ok(e == 0 && nmm == 2 && mm[0].hport == 49154 && mm[1].hport == 49154,
	   "dual-stack: round robin goes on");
	free(mm);
	alloc_free(&a);
}

static void test_check_bindings(void)
{
	static const struct {
		const char *spec;
		struct ctr_binding b[3];
		size_t n;
		const char *msg; /* NULL: accepted */
	} cases[] = {
		{ "", { { { 0 } } }, 0, NULL },
		{ "80", { B(80, T, "", 0, 0) }, 1, NULL },
		{ "1-2", { B(1, T, "", 0, 0), B(2, T, "", 0, 0) }, 2, NULL },
		{ "0", { B(0, T, "", 0, 0) }, 1, "invalid containerPort: 0 (in \"0\")" },
		{ "8080:0/udp", { B(0, U, "", 8080, 8080) }, 1,
		  "invalid containerPort: 0 (in \"8080:0/udp\")" },
		{ "x", { B(5, T, "", 0, 0), B(6, T, "", 0, 0), B(0, S, "", 0, 0) }, 3,
		  "invalid containerPort: 0 (in \"x\")" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ctr_err_clear();
		int e = ports_check_bindings(cases[i].spec, cases[i].b, cases[i].n);
		if (!cases[i].msg)
			is_int(e, 0, "ports_check_bindings accepts \"%s\"", cases[i].spec);
		else
			ok(e == -EINVAL && strcmp(ctr_err_msg(), cases[i].msg) == 0,
			   "ports_check_bindings refuses \"%s\": %s", cases[i].spec, ctr_err_msg());
	}
}

static void test_host_ip_parse(void)
{
	static const struct {
		const char *s;
		int family; /* 0: refused */
		const char *back;
	} cases[] = {
		{ NULL, AF_INET, "0.0.0.0" },
		{ "", AF_INET, "0.0.0.0" },
		{ "0.0.0.0", AF_INET, "0.0.0.0" },
		{ "127.0.0.1", AF_INET, "127.0.0.1" },
		{ "::", AF_INET6, "::" },
		{ "::1", AF_INET6, "::1" },
		{ "FD00:0::0:1", AF_INET6, "fd00::1" },
		{ "::ffff:1.2.3.4", AF_INET6, "::ffff:1.2.3.4" },
		{ "1.2.3", 0, "invalid IP address: 1.2.3" },
		{ " 1.2.3.4", 0, "invalid IP address:  1.2.3.4" },
		{ "1.2.3.4 ", 0, "invalid IP address: 1.2.3.4 " },
		{ "[::1]", 0, "invalid IP address: [::1]" },
		{ "fe80::1%eth0", 0, "invalid IP address: fe80::1%eth0" },
		{ "localhost", 0, "invalid IP address: localhost" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int fam = -1;
		uint8_t addr[16];
		char back[64] = "";
		memset(addr, 0xaa, sizeof addr);
		ctr_err_clear();
		int e = host_ip_parse(cases[i].s, &fam, addr);
		if (e == 0) {
			inet_ntop(fam, addr, back, sizeof back);
			/* IPv4: the 12 bytes after the address stay zero */
			static const uint8_t zero[12];
			if (fam == AF_INET && memcmp(addr + 4, zero, 12) != 0)
				snprintf(back, sizeof back, "(garbage after the IPv4 address)");
		}
		if (cases[i].family)
			ok(e == 0 && fam == cases[i].family && strcmp(back, cases[i].back) == 0,
			   "host_ip_parse(%s) = %s", cases[i].s ? cases[i].s : "NULL", back);
		else
			ok(e == -EINVAL && strcmp(ctr_err_msg(), cases[i].back) == 0,
			   "host_ip_parse(%s) refused: %s", cases[i].s, ctr_err_msg());
	}
}

int main(void)
{
	test_plans();
	test_sequence();
	test_check_bindings();
	test_host_ip_parse();
	return done_testing();
}
