/* Pure helpers shared by every NAT backend. */
#include "core/nat.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "core/model.h"
#include "core/util.h"

static bool id_eq(const char *a, const char *b, size_t n)
{
	return strncmp(a, b, n) == 0;
}

static int fam(const struct nat_rule *r)
{
	return r->family == AF_INET6 ? AF_INET6 : AF_INET;
}

bool nat_rule_equal(const struct nat_rule *a, const struct nat_rule *b)
{
	if (a->kind != b->kind || a->proto != b->proto || fam(a) != fam(b))
		return false;
	if (!id_eq(a->owner, b->owner, sizeof a->owner))
		return false;
	bool v6 = fam(a) == AF_INET6;
	switch (a->kind) {
	case NAT_RULE_DNAT:
		return (v6 ? memcmp(a->u.dnat.host_ip6, b->u.dnat.host_ip6, 16) == 0 &&
				     memcmp(a->u.dnat.cip6, b->u.dnat.cip6, 16) == 0
			   : a->u.dnat.host_ip == b->u.dnat.host_ip && a->u.dnat.cip == b->u.dnat.cip) &&
		       a->u.dnat.hport_lo == b->u.dnat.hport_lo &&
		       a->u.dnat.hport_hi == b->u.dnat.hport_hi &&
		       a->u.dnat.cport_lo == b->u.dnat.cport_lo;
	case NAT_RULE_LINK:
		return id_eq(a->peer, b->peer, sizeof a->peer) &&
		       (v6 ? memcmp(a->u.link.src6, b->u.link.src6, 16) == 0 &&
				     memcmp(a->u.link.dst6, b->u.link.dst6, 16) == 0
			   : a->u.link.src == b->u.link.src && a->u.link.dst == b->u.link.dst) &&
		       a->u.link.port_lo == b->u.link.port_lo &&
		       a->u.link.port_hi == b->u.link.port_hi;
	default:
		/* Not a rule any backend writes: only the owners can say anything. */
		return id_eq(a->peer, b->peer, sizeof a->peer);
	}
}

static int cmp_u(uint32_t a, uint32_t b)
{
	return (a > b) - (a < b);
}

static int cmp_id(const char *a, const char *b, size_t n)
{
	int c = strncmp(a, b, n);
	return (c > 0) - (c < 0);
}

static int cmp_mem(const void *a, const void *b, size_t n)
{
	int c = memcmp(a, b, n);
	return (c > 0) - (c < 0);
}

int nat_rule_cmp(const struct nat_rule *a, const struct nat_rule *b)
{
	int c;
	if ((c = cmp_u(a->kind, b->kind)) || (c = cmp_u(a->proto, b->proto)) ||
	    (c = cmp_u((uint32_t)fam(a), (uint32_t)fam(b))) ||
	    (c = cmp_id(a->owner, b->owner, sizeof a->owner)))
		return c;
	bool v6 = fam(a) == AF_INET6;
	switch (a->kind) {
	case NAT_RULE_DNAT: {
		const typeof(a->u.dnat) *x = &a->u.dnat, *y = &b->u.dnat;
		if (v6 ? (c = cmp_mem(x->host_ip6, y->host_ip6, 16)) ||
				 (c = cmp_mem(x->cip6, y->cip6, 16))
		       : (c = cmp_u(x->host_ip, y->host_ip)) || (c = cmp_u(x->cip, y->cip)))
			return c;
		if ((c = cmp_u(x->hport_lo, y->hport_lo)) || (c = cmp_u(x->hport_hi, y->hport_hi)))
			return c;
		return cmp_u(x->cport_lo, y->cport_lo);
	}
	case NAT_RULE_LINK: {
		const typeof(a->u.link) *x = &a->u.link, *y = &b->u.link;
		if ((c = cmp_id(a->peer, b->peer, sizeof a->peer)))
			return c;
		if (v6 ? (c = cmp_mem(x->src6, y->src6, 16)) || (c = cmp_mem(x->dst6, y->dst6, 16))
		       : (c = cmp_u(x->src, y->src)) || (c = cmp_u(x->dst, y->dst)))
			return c;
		if ((c = cmp_u(x->port_lo, y->port_lo)))
			return c;
		return cmp_u(x->port_hi, y->port_hi);
	}
	default:
		return cmp_id(a->peer, b->peer, sizeof a->peer);
	}
}

static bool zero16(const uint8_t a[16])
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0;
}

int nat_rule_check(const struct nat_rule *r, const char *list, size_t i)
{
	if (r->kind != NAT_RULE_DNAT && r->kind != NAT_RULE_LINK)
		return ctr_err(-EINVAL, "nat rule %zu to %s: unknown kind %u", i, list, r->kind);
	if (r->proto >= CTR_NPROTO)
		return ctr_err(-EINVAL, "nat rule %zu to %s: unknown protocol %u", i, list,
			       r->proto);
	if (r->family != 0 && r->family != AF_INET && r->family != AF_INET6)
		return ctr_err(-EAFNOSUPPORT, "nat rule %zu to %s: unknown address family %u", i,
			       list, r->family);
	bool v6 = r->family == AF_INET6;
	if (!id_valid(r->owner, sizeof r->owner))
		return ctr_err(-EINVAL, "nat rule %zu to %s: the owner is not a container ID "
			       "(64 lower-case hex digits)", i, list);
	if (r->kind == NAT_RULE_DNAT) {
		const typeof(r->u.dnat) *d = &r->u.dnat;
		if (r->peer[0])
			return ctr_err(-EINVAL, "nat rule %zu to %s: a DNAT rule has no peer", i,
				       list);
		if (d->hport_lo == 0 || d->hport_hi < d->hport_lo)
			return ctr_err(-EINVAL, "nat rule %zu to %s: invalid host ports %u-%u", i,
				       list, d->hport_lo, d->hport_hi);
		if (d->cport_lo == 0 ||
		    (unsigned)d->cport_lo + (d->hport_hi - d->hport_lo) > 65535)
			return ctr_err(-EINVAL, "nat rule %zu to %s: invalid container port %u for "
				       "host ports %u-%u", i, list, d->cport_lo, d->hport_lo,
				       d->hport_hi);
		if (v6 ? zero16(d->cip6) : d->cip == 0)
			return ctr_err(-EINVAL, "nat rule %zu to %s: no container address", i,
				       list);
	} else {
		const typeof(r->u.link) *l = &r->u.link;
		if (!id_valid(r->peer, sizeof r->peer))
			return ctr_err(-EINVAL, "nat rule %zu to %s: the peer is not a "
				       "container ID (64 lower-case hex digits)", i, list);
		if (l->port_lo == 0 || l->port_hi < l->port_lo)
			return ctr_err(-EINVAL, "nat rule %zu to %s: invalid ports %u-%u", i, list,
				       l->port_lo, l->port_hi);
		if (v6 ? zero16(l->src6) || zero16(l->dst6) : l->src == 0 || l->dst == 0)
			return ctr_err(-EINVAL, "nat rule %zu to %s: no address", i, list);
	}
	return 0;
}
