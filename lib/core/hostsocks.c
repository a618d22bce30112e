/* The host's sockets and the overlap rule: see hostsocks.h. */
#include "core/hostsocks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
