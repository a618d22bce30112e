#include "core/portplan.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/portspec.h"
#include "core/util.h"

int host_ip_parse(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = AF_UNSPEC; /* on failure too: the caller's variable is never left undefined */
	if (!s || !*s) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return ctr_err(-EINVAL, "invalid IP address: %s", s);
}

int ports_check_bindings(const char *spec, const struct ctr_binding *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].cport.port == 0)
			return ctr_err(-EINVAL, "invalid containerPort: 0 (in \"%s\")", spec);
	return 0;
}

/* one request: a binding with its normalised host address */
struct req {
	struct ctr_port cport;
	char ip[CTR_IP_MAX];
	int family;
	uint8_t addr[16];
	uint16_t lo, hi; /* 0,0: ephemeral */
	bool dual;       /* the default address with IPv6 on: 0.0.0.0 and :: on one port */
};

static const uint8_t any6[16];

static int req_cmp(const void *pa, const void *pb)
{
	const struct req *a = pa, *b = pb;
	bool ea = a->lo && a->lo == a->hi, eb = b->lo && b->lo == b->hi;
	if (ea != eb)
		return ea ? -1 : 1; /* exact host ports first */
	int c = port_cmp(&a->cport, &b->cport);
	if (c)
		return c;
	return strcmp(a->ip, b->ip);
}

static int port_qcmp(const void *a, const void *b)
{
	return port_cmp(a, b);
}

static void shown_ip(const struct req *r, char *buf, size_t len)
{
	if (r->family == AF_INET6)
		snprintf(buf, len, "[%s]", r->ip);
	else
		snprintf(buf, len, "%s", r->ip);
}

void portplan_release(struct alloc *a, const struct ctr_mapping *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int fam;
		uint8_t addr[16];
		if (host_ip_parse(m[i].host_ip, &fam, addr) == 0)
			alloc_port_clear(a, m[i].cport.proto, fam, addr, m[i].hport);
	}
	if (n)
		alloc_drop_empty(a); /* once, not once per port */
}

struct usable_ctx {
	const struct portplan_env *env;
	const char *ip;
	struct alloc *a;
	bool dual;
};

static bool usable(void *p, int proto, uint16_t port)
{
	struct usable_ctx *u = p;
	if (u->dual && alloc_port_taken(u->a, proto, AF_INET6, any6, port))
		return false;
	if (!u->env->probe)
		return true;
	if (u->env->probe(u->env->probe_ctx, proto, u->ip, port) < 0)
		return false;
	return !u->dual || u->env->probe(u->env->probe_ctx, proto, "::", port) == 0;
}

int portplan(struct alloc *a, const struct portplan_env *env, const struct ctr_binding *b,
	     size_t nb, const struct ctr_port *exposed, size_t nexp, bool publish_all,
	     struct ctr_mapping **out, size_t *nout)
{
	size_t nreq = 0, cap = nb + (publish_all ? nexp : 0);
	struct req *rq = calloc(cap ? cap : 1, sizeof *rq);
	struct ctr_mapping *m = calloc(cap ? 2 * cap : 1, sizeof *m);
	size_t nm = 0;
	int e = 0;
	if (!rq || !m) {
		free(rq);
		free(m);
		return ctr_err(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nb && !e; i++) {
		struct req *r = &rq[nreq++];
		r->cport = b[i].cport;
		r->lo = b[i].hp_lo;
		r->hi = b[i].hp_hi;
		e = host_ip_parse(b[i].host_ip, &r->family, r->addr);
		inet_ntop(r->family, r->addr, r->ip, sizeof r->ip);
		r->dual = env->ipv6 && !b[i].host_ip[0];
		static const uint8_t loop6[16] = { [15] = 1 };
		if (!e && r->family == AF_INET6 && memcmp(r->addr, loop6, 16) == 0)
			e = ctr_err(-EADDRNOTAVAIL,
				    "cannot publish on ::1: the kernel never lets the IPv6 loopback "
				    "address leave the host's loopback interface, so no NAT can reach a "
				    "container from it (publish on :: and connect to a global address "
				    "of the host, or on 127.0.0.1)");
		if (!e && r->family == AF_INET6 && !env->ipv6)
			e = ctr_err(-EAFNOSUPPORT,
				    "cannot publish on the IPv6 host address %s: the containers have no "
				    "IPv6 address (give the network an IPv6 subnet with --subnet6, which "
				    "needs the nftables backend)",
				    b[i].host_ip);
	}
	/* -P: the exposed ports without a binding (the bound ones sorted, then searched) */
	struct ctr_port *bound = NULL;
	if (!e && publish_all && nexp) {
		if (!(bound = malloc((nb + 1) * sizeof *bound)))
			e = ctr_err(-ENOMEM, "out of memory");
		for (size_t j = 0; bound && j < nb; j++)
			bound[j] = b[j].cport;
		if (bound)
			qsort(bound, nb, sizeof *bound, port_qcmp);
	}
	for (size_t i = 0; publish_all && i < nexp && !e; i++) {
		if (bsearch(&exposed[i], bound, nb, sizeof *bound, port_qcmp))
			continue;
		struct req *r = &rq[nreq++];
		r->cport = exposed[i];
		r->family = AF_INET;
		snprintf(r->ip, sizeof r->ip, "0.0.0.0");
		r->dual = env->ipv6;
	}
	free(bound);
	if (!e)
		qsort(rq, nreq, sizeof *rq, req_cmp);

	for (size_t i = 0; i < nreq && !e; i++) {
		struct req *r = &rq[i];
		char ipbuf[CTR_IP_MAX + 2];
		uint16_t port = 0;
		shown_ip(r, ipbuf, sizeof ipbuf);
		if (r->lo && r->lo == r->hi) {
			port = r->lo;
			if (alloc_port_taken(a, r->cport.proto, r->family, r->addr, port) ||
			    (r->dual && alloc_port_taken(a, r->cport.proto, AF_INET6, any6, port))) {
				e = ctr_err(-EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
					    alloc_port_taken(a, r->cport.proto, r->family, r->addr, port)
						    ? ipbuf
						    : "[::]",
					    port);
				break;
			}
			if (env->probe && (e = env->probe(env->probe_ctx, r->cport.proto, r->ip, port)) < 0)
				break;
			if (r->dual && env->probe &&
			    (e = env->probe(env->probe_ctx, r->cport.proto, "::", port)) < 0)
				break;
			e = alloc_port_take(a, r->cport.proto, r->family, r->addr, port);
		} else {
			uint16_t lo = r->lo ? r->lo : env->eph_lo, hi = r->lo ? r->hi : env->eph_hi;
			struct usable_ctx u = { env, r->ip, a, r->dual };
			e = alloc_port_next(a, r->cport.proto, r->family, r->addr, lo, hi, usable, &u,
					    &port);
			if (e == -ENOSPC)
				e = ctr_err(-ENOSPC, "Bind for %s:%u-%u failed: all ports are allocated",
					    ipbuf, lo, hi);
		}
		if (e < 0)
			break;
		m[nm].cport = r->cport;
		snprintf(m[nm].host_ip, sizeof m[nm].host_ip, "%s", r->ip);
		m[nm].hport = port;
		nm++;
		if (r->dual) { /* the same host port on "::", as Docker ≥ 27 */
			if ((e = alloc_port_take(a, r->cport.proto, AF_INET6, any6, port)) < 0)
				break;
			m[nm].cport = r->cport;
			snprintf(m[nm].host_ip, sizeof m[nm].host_ip, "::");
			m[nm].hport = port;
			nm++;
		}
	}
	free(rq);
	if (e < 0) {
		portplan_release(a, m, nm);
		free(m);
		return e;
	}
	*out = m;
	*nout = nm;
	return 0;
}

int ports_publish_specs(struct ctr_rec *r, const char *const *specs)
{
	for (size_t i = 0; specs && specs[i]; i++) {
		struct ctr_binding *b = NULL;
		size_t n = 0;
		int e = portspec_parse(specs[i], &b, &n);
		if (!e)
			e = ports_check_bindings(specs[i], b, n);
		if (!e)
			e = rec_add_bindings(r, b, n);
		free(b);
		if (e < 0)
			return e;
	}
	return 0;
}
