/* What every NAT backend does with the rules of nat.h (see natrules.h); pure. */
#include "core/natrules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/names.h"
#include "core/util.h"

#define ID_LEN 64

/* ---- checks -------------------------------------------------------------------------------- */

static bool zero16(const uint8_t a[16])
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0;
}

/* true if no bit of `a` (len bytes, network order) is set past the first `plen`. */
static bool prefix_ok(const uint8_t *a, size_t len, int plen)
{
	for (size_t i = 0; i < len; i++) {
		int bits = plen - 8 * (int)i;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff00 >> bits);
		if (a[i] & ~mask)
			return false;
	}
	return true;
}

int nat_net_check(const struct nat_net *net, size_t bridge_max, const char *why_max, bool v6)
{
	if (strnlen(net->bridge, sizeof net->bridge) > bridge_max)
		return ctr_err(-EINVAL, "bridge name too long (at most %zu characters%s)",
			       bridge_max, why_max);
	if (name_check(NAME_BRIDGE, net->bridge) < 0)
		return -EINVAL;
	if (net->prefixlen < 1 || net->prefixlen > 32)
		return ctr_err(-EINVAL, "invalid subnet prefix length %d", net->prefixlen);
	if (!prefix_ok((const uint8_t *)&net->subnet, 4, net->prefixlen)) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &net->subnet, a, sizeof a);
		return ctr_err(-EINVAL, "subnet %s/%d has host bits set", a, net->prefixlen);
	}
	if (!v6 || zero16(net->subnet6))
		return 0;
	if (net->prefixlen6 < 1 || net->prefixlen6 > 128)
		return ctr_err(-EINVAL, "invalid IPv6 subnet prefix length %d", net->prefixlen6);
	if (!prefix_ok(net->subnet6, 16, net->prefixlen6)) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, net->subnet6, a, sizeof a);
		return ctr_err(-EINVAL, "IPv6 subnet %s/%d has host bits set", a, net->prefixlen6);
	}
	return 0;
}

int nat_txn_check(const struct nat_txn *txn)
{
	if (!txn)
		return ctr_err(-EINVAL, "no nat change given");
	if ((txn->n_drop_ids && !txn->drop_ids) || (txn->n_del && !txn->del) ||
	    (txn->n_add && !txn->add))
		return ctr_err(-EINVAL, "nat change: a list with a count but no array");
	for (size_t i = 0; i < txn->n_drop_ids; i++)
		if (!txn->drop_ids[i] || !id_valid(txn->drop_ids[i], ID_LEN + 1))
			return ctr_err(-EINVAL, "nat change: container ID %zu to drop is not a "
				       "container ID (64 lower-case hex digits)", i);
	return 0;
}

/* ---- the IDs a change drops ---------------------------------------------------------------- */

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int nat_ids_sorted(const char *const *ids, size_t n, const char ***out)
{
	*out = calloc(n ? n : 1, sizeof **out);
	if (!*out)
		return ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		(*out)[i] = ids[i];
	if (n)
		qsort(*out, n, sizeof **out, str_ptr_cmp);
	return 0;
}

bool nat_ids_name(const char *const *sorted, size_t n, const char *owner, const char *peer)
{
	if (!n)
		return false;
	if (owner[0] && bsearch(&owner, sorted, n, sizeof *sorted, str_ptr_cmp))
		return true;
	return peer[0] && bsearch(&peer, sorted, n, sizeof *sorted, str_ptr_cmp);
}

/* ---- orders -------------------------------------------------------------------------------- */

int nat_rule_ptr_cmp(const void *pa, const void *pb)
{
	const struct nat_rule *a = *(const struct nat_rule *const *)pa;
	const struct nat_rule *b = *(const struct nat_rule *const *)pb;
	int c = nat_rule_cmp(a, b);
	return c ? c : (a > b) - (a < b);
}

size_t nat_rule_lower_bound(const struct nat_rule *const *v, size_t n, const struct nat_rule *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (nat_rule_cmp(v[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool nat_rule_in_sorted(const struct nat_rule *const *v, size_t n, const struct nat_rule *key)
{
	size_t i = nat_rule_lower_bound(v, n, key);
	return i < n && nat_rule_cmp(v[i], key) == 0;
}

static int cmp_mem(const void *a, const void *b, size_t n)
{
	int c = memcmp(a, b, n);
	return (c > 0) - (c < 0);
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return (a > b) - (a < b);
}

int nat_rule_run_cmp(const void *pa, const void *pb)
{
	const struct nat_rule *a = pa, *b = pb;
	int c;
	if ((c = cmp_u32(a->kind, b->kind)) || (c = strcmp(a->owner, b->owner)) ||
	    (c = strcmp(a->peer, b->peer)) || (c = cmp_u32(a->family, b->family)) ||
	    (c = cmp_u32(a->proto, b->proto)))
		return c;
	bool v6 = a->family == AF_INET6;
	if (a->kind == NAT_RULE_DNAT) {
		const typeof(a->u.dnat) *x = &a->u.dnat, *y = &b->u.dnat;
		if ((c = v6 ? cmp_mem(x->host_ip6, y->host_ip6, 16) :
			      cmp_u32(ntohl(x->host_ip), ntohl(y->host_ip))) ||
		    (c = v6 ? cmp_mem(x->cip6, y->cip6, 16) :
			      cmp_u32(ntohl(x->cip), ntohl(y->cip))))
			return c;
		return cmp_u32(x->hport_lo, y->hport_lo);
	}
	const typeof(a->u.link) *x = &a->u.link, *y = &b->u.link;
	if ((c = v6 ? cmp_mem(x->src6, y->src6, 16) : cmp_u32(ntohl(x->src), ntohl(y->src))) ||
	    (c = v6 ? cmp_mem(x->dst6, y->dst6, 16) : cmp_u32(ntohl(x->dst), ntohl(y->dst))))
		return c;
	return cmp_u32(x->port_lo, y->port_lo);
}

bool nat_run_extend(struct nat_rule *run, const struct nat_rule *next)
{
	const struct nat_rule *a = run, *b = next;
	if (a->kind != b->kind || a->family != b->family || a->proto != b->proto)
		return false;
	bool v6 = a->family == AF_INET6;
	if (a->kind == NAT_RULE_DNAT) {
		const typeof(a->u.dnat) *x = &a->u.dnat, *y = &b->u.dnat;
		unsigned k = (unsigned)x->hport_hi - x->hport_lo + 1;
		if (y->hport_lo != x->hport_hi + 1u || y->hport_hi < y->hport_lo ||
		    y->cport_lo != x->cport_lo + k ||
		    (v6 ? memcmp(x->host_ip6, y->host_ip6, 16) != 0 ||
				  memcmp(x->cip6, y->cip6, 16) != 0
			: x->host_ip != y->host_ip || x->cip != y->cip))
			return false;
		run->u.dnat.hport_hi = y->hport_hi;
		return true;
	}
	if (a->kind == NAT_RULE_LINK) {
		const typeof(a->u.link) *x = &a->u.link, *y = &b->u.link;
		if (y->port_lo != x->port_hi + 1u || y->port_hi < y->port_lo ||
		    (v6 ? memcmp(x->src6, y->src6, 16) != 0 || memcmp(x->dst6, y->dst6, 16) != 0
			: x->src != y->src || x->dst != y->dst))
			return false;
		run->u.link.port_hi = y->port_hi;
		return true;
	}
	return false;
}

bool nat_rule_extend(struct nat_rule *run, const struct nat_rule *next)
{
	return strcmp(run->owner, next->owner) == 0 && strcmp(run->peer, next->peer) == 0 &&
	       nat_run_extend(run, next);
}

size_t nat_rules_coalesce(struct nat_rule *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof *v, nat_rule_run_cmp);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!m || !nat_rule_extend(&v[m - 1], &v[i]))
			v[m++] = v[i];
	return m;
}
