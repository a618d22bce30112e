/* The host's sockets and the overlap rule: see hostsocks.h. */
#include "core/hostsocks.h"

#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/nat.h"

static const uint8_t zero[16];
static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int hostsocks_add(struct hostsocks *hs, int proto, int family, const uint8_t *addr,
		  uint16_t port, bool v6only)
{
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 64;
		struct host_sock *v = realloc(hs->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		hs->v = v;
		hs->cap = cap;
	}
	struct host_sock *s = &hs->v[hs->n++];
	memset(s, 0, sizeof *s);
	s->proto = (uint8_t)proto;
	s->port = port;
	s->v6only = v6only;
	if (family == AF_INET6 && memcmp(addr, v4mapped, 12) == 0) {
		s->family = AF_INET;
		memcpy(s->addr, addr + 12, 4);
	} else {
		s->family = (uint8_t)family;
		memcpy(s->addr, addr, family == AF_INET6 ? 16 : 4);
	}
	hs->sorted = false;
	return 0;
}

static int key_cmp(int proto_a, unsigned port_a, int proto_b, unsigned port_b)
{
	if (proto_a != proto_b)
		return proto_a < proto_b ? -1 : 1;
	return port_a < port_b ? -1 : port_a > port_b;
}

static int sock_cmp(const void *pa, const void *pb)
{
	const struct host_sock *a = pa, *b = pb;
	return key_cmp(a->proto, a->port, b->proto, b->port);
}

static bool overlaps(const struct host_sock *s, int family, const uint8_t *addr)
{
	size_t len = family == AF_INET6 ? 16 : 4;
	bool any = memcmp(addr, zero, len) == 0;
	bool s_any = memcmp(s->addr, zero, s->family == AF_INET6 ? 16 : 4) == 0;
	if (s->family == family)
		return any || s_any || memcmp(s->addr, addr, len) == 0;
	if (family == AF_INET) /* an IPv6 socket: only a dual-stack unspecified one takes IPv4 */
		return s_any && !s->v6only;
	return any; /* an IPv4 socket meets a publication on the unspecified IPv6 address */
}

const struct host_sock *hostsocks_conflict(struct hostsocks *hs, int proto, int family,
					   const uint8_t *addr, uint16_t port)
{
	if (!hs->sorted) {
		if (hs->n > 1)
			qsort(hs->v, hs->n, sizeof *hs->v, sock_cmp);
		hs->sorted = true;
	}
	/* the first entry of (proto, port) */
	size_t lo = 0, hi = hs->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(hs->v[mid].proto, hs->v[mid].port, proto, port) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (family == AF_INET6 && memcmp(addr, v4mapped, 12) == 0) {
		family = AF_INET;
		addr += 12;
	}
	for (size_t i = lo; i < hs->n && hs->v[i].proto == proto && hs->v[i].port == port; i++)
		if (overlaps(&hs->v[i], family, addr))
			return &hs->v[i];
	return NULL;
}

void hostsocks_free(struct hostsocks *hs)
{
	free(hs->v);
	memset(hs, 0, sizeof *hs);
}

/* The holder number of `bridge` (1 + its index), added if new; 0 when out of memory. */
static uint16_t bridge_holder(struct pubports *pp, const char *bridge)
{
	for (size_t i = pp->n_bridge; i-- > 0;) /* rules come bridge by bridge: the last first */
		if (strncmp(pp->bridge[i], bridge, sizeof pp->bridge[i]) == 0)
			return (uint16_t)(i + 1);
	if (pp->n_bridge == UINT16_MAX)
		return 0;
	if (pp->n_bridge == pp->cap_bridge) {
		size_t cap = pp->cap_bridge ? pp->cap_bridge * 2 : 4;
		char(*v)[16] = realloc(pp->bridge, cap * sizeof *v);
		if (!v)
			return 0;
		pp->bridge = v;
		pp->cap_bridge = cap;
	}
	snprintf(pp->bridge[pp->n_bridge], sizeof pp->bridge[pp->n_bridge], "%s", bridge);
	return (uint16_t)++pp->n_bridge;
}

int pubports_add(struct pubports *pp, const char *bridge, const struct nat_rule *r)
{
	if (r->kind != NAT_RULE_DNAT)
		return 0;
	uint16_t holder = bridge_holder(pp, bridge);
	if (!holder)
		return -ENOMEM;
	bool v6 = r->family == AF_INET6;
	const uint8_t *addr = v6 ? r->u.dnat.host_ip6 : (const uint8_t *)&r->u.dnat.host_ip;
	for (unsigned p = r->u.dnat.hport_lo; p && p <= r->u.dnat.hport_hi; p++) {
		int e = hostsocks_add(&pp->hs, r->proto, v6 ? AF_INET6 : AF_INET, addr, (uint16_t)p,
				      v6);
		if (e < 0)
			return e;
		pp->hs.v[pp->hs.n - 1].holder = holder;
	}
	return 0;
}

const char *pubports_conflict(struct pubports *pp, int proto, int family, const uint8_t *addr,
			      uint16_t port)
{
	const struct host_sock *s = hostsocks_conflict(&pp->hs, proto, family, addr, port);
	return s && s->holder && s->holder <= pp->n_bridge ? pp->bridge[s->holder - 1] : NULL;
}

void pubports_free(struct pubports *pp)
{
	hostsocks_free(&pp->hs);
	free(pp->bridge);
	memset(pp, 0, sizeof *pp);
}
