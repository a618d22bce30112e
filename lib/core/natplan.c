#include "core/natplan.h"

#include <stdbool.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/natrules.h"
#include "core/util.h"

/* Append one rule.  The array is grown to the next power of two: that is never less than the
 * caller's array needs, whatever allocated it, and it makes realloc return at once (no copy)
 * until the next power, so n rules cost O(n) copying, not O(n^2). */
int natplan_push(struct nat_rule **rules, size_t *n, const struct nat_rule *r)
{
	size_t cap = 1;
	while (cap < *n + 1)
		cap *= 2;
	struct nat_rule *nr = realloc(*rules, cap * sizeof *nr);
	if (!nr)
		return ctr_err(-ENOMEM, "out of memory");
	nr[*n] = *r;
	*rules = nr;
	(*n)++;
	return 0;
}

struct dm {
	uint8_t proto;
	uint8_t family;
	uint8_t hip[16]; /* IPv4 in the first 4 bytes */
	uint16_t hport, cport;
};

static int dm_cmp(const void *pa, const void *pb)
{
	const struct dm *a = pa, *b = pb;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	int c = memcmp(a->hip, b->hip, sizeof a->hip);
	if (c)
		return c;
	return (a->hport > b->hport) - (a->hport < b->hport);
}

int natplan_dnat(const char *id, uint32_t cip, const uint8_t *cip6, const struct ctr_mapping *m,
		 size_t n, struct nat_rule **rules, size_t *nrules)
{
	struct dm *v = calloc(n ? n : 1, sizeof *v);
	size_t k = 0;
	if (!v)
		return ctr_err(-ENOMEM, "out of memory");
	struct dm prev = { 0 }; /* the address of the previous mapping, parsed once for a run */
	const char *prev_ip = NULL;
	for (size_t i = 0; i < n; i++) {
		struct dm d = { .proto = m[i].cport.proto, .hport = m[i].hport,
				.cport = m[i].cport.port };
		if (prev_ip && strcmp(prev_ip, m[i].host_ip) == 0) {
			d.family = prev.family;
			memcpy(d.hip, prev.hip, sizeof d.hip);
		} else if (inet_pton(AF_INET, m[i].host_ip, d.hip) == 1) {
			d.family = AF_INET;
		} else if (cip6 && inet_pton(AF_INET6, m[i].host_ip, d.hip) == 1) {
			d.family = AF_INET6;
		}
		prev_ip = m[i].host_ip;
		prev = d;
		if (!d.family)
			continue; /* IPv6 without an IPv6 address to go to */
		v[k++] = d;
	}
	sort_unless_sorted(v, k, sizeof *v, dm_cmp);
	struct nat_rule r0 = { 0 }; /* what every rule of the container shares, formatted once */
	r0.kind = NAT_RULE_DNAT;
	snprintf(r0.owner, sizeof r0.owner, "%s", id);
	int e = 0;
	size_t first = *nrules; /* runs are coalesced among this container's rules only */
	struct nat_rule r = r0;   /* the candidate: only what changes is written for each port */
	for (size_t i = 0; i < k && !e; i++) {
		bool v6 = v[i].family == AF_INET6;
		if (i == 0 || v[i].family != v[i - 1].family) {
			r = r0;
			r.family = v[i].family;
			if (v6)
				memcpy(r.u.dnat.cip6, cip6, 16);
			else
				r.u.dnat.cip = cip;
		}
		r.proto = v[i].proto;
		if (v6)
			memcpy(r.u.dnat.host_ip6, v[i].hip, 16);
		else
			memcpy(&r.u.dnat.host_ip, v[i].hip, 4);
		r.u.dnat.hport_lo = r.u.dnat.hport_hi = v[i].hport;
		r.u.dnat.cport_lo = v[i].cport;
		if (*nrules > first && nat_run_extend(&(*rules)[*nrules - 1], &r))
			continue;
		e = natplan_push(rules, nrules, &r);
	}
	free(v);
	return e;
}

int natplan_link(const char *pid, uint32_t pip, const uint8_t *pip6, const char *cid,
		 uint32_t cip, const uint8_t *cip6, const struct ctr_port *exposed, size_t n,
		 struct nat_rule **rules, size_t *nrules)
{
	/* `exposed` is sorted by port then protocol: coalesce per protocol (and family) */
	int e = 0;
	int families = pip6 && cip6 ? 2 : 1;
	struct nat_rule r0 = { 0 }; /* what every rule of the link shares, formatted once */
	r0.kind = NAT_RULE_LINK;
	snprintf(r0.owner, sizeof r0.owner, "%s", pid);
	snprintf(r0.peer, sizeof r0.peer, "%s", cid);
	for (unsigned fp = 0; fp < (unsigned)families * CTR_NPROTO && !e; fp++) {
		unsigned proto = fp % CTR_NPROTO;
		bool v6 = fp >= CTR_NPROTO;
		size_t first = *nrules;
		struct nat_rule r = r0; /* only the ports change from one port to the next */
		r.proto = (uint8_t)proto;
		if (v6) {
			r.family = AF_INET6;
			memcpy(r.u.link.src6, pip6, 16);
			memcpy(r.u.link.dst6, cip6, 16);
		} else {
			r.family = AF_INET;
			r.u.link.src = pip;
			r.u.link.dst = cip;
		}
		for (size_t i = 0; i < n && !e; i++) {
			if (exposed[i].proto != proto)
				continue;
			r.u.link.port_lo = r.u.link.port_hi = exposed[i].port;
			if (*nrules > first && nat_run_extend(&(*rules)[*nrules - 1], &r))
				continue;
			e = natplan_push(rules, nrules, &r);
		}
	}
	return e;
}

int natplan_diff(const struct nat_rule *a, size_t na, const struct nat_rule *b, size_t nb,
		 struct nat_rule *del, size_t *ndel, struct nat_rule *add, size_t *nadd)
{
	const struct nat_rule **pa = malloc((na + nb + 1) * sizeof *pa);
	bool *ka = calloc(na + nb + 1, sizeof *ka); /* found on the other side */
	if (!pa || !ka) {
		free(pa);
		free(ka);
		return ctr_err(-ENOMEM, "out of memory");
	}
	const struct nat_rule **pb = pa + na;
	bool *kb = ka + na;
	for (size_t i = 0; i < na; i++)
		pa[i] = &a[i];
	for (size_t j = 0; j < nb; j++)
		pb[j] = &b[j];
	sort_unless_sorted(pa, na, sizeof *pa, nat_rule_ptr_cmp);
	sort_unless_sorted(pb, nb, sizeof *pb, nat_rule_ptr_cmp);
	for (size_t i = 0, j = 0; i < na && j < nb;) {
		int c = nat_rule_cmp(pa[i], pb[j]);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else { /* a run of equal rules on both sides: all of them are kept */
			const struct nat_rule *r = pa[i];
			for (; i < na && nat_rule_cmp(pa[i], r) == 0; i++)
				ka[pa[i] - a] = true;
			for (; j < nb && nat_rule_cmp(pb[j], r) == 0; j++)
				kb[pb[j] - b] = true;
		}
	}
	/* in the order of the inputs, as a pairwise comparison would give them */
	*ndel = *nadd = 0;
	for (size_t i = 0; i < na; i++)
		if (!ka[i])
			del[(*ndel)++] = a[i];
	for (size_t j = 0; j < nb; j++)
		if (!kb[j])
			add[(*nadd)++] = b[j];
	free(pa);
	free(ka);
	return 0;
}
