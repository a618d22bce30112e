/* Pure helpers shared by every NAT backend. */
#include "nat.h"

#include <string.h>
#include <sys/socket.h>

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
