#include "core/natplan.h"

#include <stdbool.h>
#include <stddef.h>
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

/* The host address of a mapping as its DNAT rule has it, the previous mapping's remembered
 * (parsed once for a run of mappings with one address). */
struct host_memo {
	const char *ip;
	uint8_t family; /* 0: no rule (IPv6 without an IPv6 address to go to, or no address) */
	uint8_t hip[16];
};

/* Parse `ip` into h unless h holds it already: true when parsed anew. */
static bool host_of(struct host_memo *h, const uint8_t *cip6, const char *ip)
{
	if (h->ip && strcmp(h->ip, ip) == 0)
		return false;
	memset(h->hip, 0, sizeof h->hip);
	if (inet_pton(AF_INET, ip, h->hip) == 1)
		h->family = AF_INET;
	else if (cip6 && inet_pton(AF_INET6, ip, h->hip) == 1)
		h->family = AF_INET6;
	else
		h->family = 0;
	h->ip = ip;
	return true;
}

/* What natplan_dnat sorts of `m`. */
static void dm_of(struct host_memo *h, const uint8_t *cip6, const struct ctr_mapping *m,
		  struct dm *d)
{
	host_of(h, cip6, m->host_ip);
	*d = (struct dm){ .proto = m->cport.proto, .family = h->family, .hport = m->hport,
			  .cport = m->cport.port };
	memcpy(d->hip, h->hip, sizeof d->hip);
}

int natplan_dnat(const char *id, uint32_t cip, const uint8_t *cip6, const struct ctr_mapping *m,
		 size_t n, struct nat_rule **rules, size_t *nrules)
{
	struct dm *v = calloc(n ? n : 1, sizeof *v);
	size_t k = 0;
	if (!v)
		return ctr_err(-ENOMEM, "out of memory");
	struct host_memo h = { 0 };
	for (size_t i = 0; i < n; i++) {
		dm_of(&h, cip6, &m[i], &v[k]);
		if (v[k].family)
			k++;
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

/* ---- the DNAT rules a change can touch ---- */

enum { NPORTS = 65536 };

/* One address and protocol of the changed mappings, and what a list holds of it. */
struct near {
	struct dm key;              /* family, proto, hip */
	uint64_t has[NPORTS / 64];  /* the host ports the list holds */
	uint64_t gone[NPORTS / 64]; /* those that the change takes away */
	uint64_t want[NPORTS / 64]; /* those of its rules that hold or border on a change */
	/* the container port of each host port held: cport[256 * (page[t / 256] - 1) + t % 256]
	 * (pages only where host ports are held, kept small: no allocation the size of all) */
	uint16_t page[NPORTS / 256];
	uint16_t *cport;
};

static bool bit(const uint64_t *v, unsigned i)
{
	return v[i / 64] >> (i % 64) & 1;
}

static void bit_put(uint64_t *v, unsigned i, bool on)
{
	v[i / 64] = (v[i / 64] & ~((uint64_t)1 << (i % 64))) | (uint64_t)on << (i % 64);
}

static bool same_addr(const struct dm *a, const struct dm *b)
{
	return a->family == b->family && a->proto == b->proto &&
	       memcmp(a->hip, b->hip, sizeof a->hip) == 0;
}

/* The group of `d` among g[0..ng), or ng. */
static size_t group_of(const struct near *g, size_t ng, const struct dm *d)
{
	size_t j = 0;
	while (j < ng && (!d->family || !same_addr(&g[j].key, d)))
		j++;
	return j;
}

static uint16_t *cport_at(const struct near *g, unsigned t)
{
	return &g->cport[256 * (size_t)(g->page[t / 256] - 1) + t % 256];
}

/* The offset of host port t from its container port: a rule is a run of host ports with one. */
static int offset_at(const struct near *g, unsigned t)
{
	return (int)t - *cport_at(g, t);
}

/* Mark the host ports of the rule that holds host port t (held): the longest run of held
 * ports around it with t's offset, as natplan_dnat coalesces them. */
static void want_rule(struct near *g, unsigned t)
{
	int off = offset_at(g, t);
	unsigned lo = t, hi = t;
	while (lo > 0 && bit(g->has, lo - 1) && offset_at(g, lo - 1) == off)
		lo--;
	while (hi < NPORTS - 1 && bit(g->has, hi + 1) && offset_at(g, hi + 1) == off)
		hi++;
	for (unsigned x = lo; x <= hi; x++)
		bit_put(g->want, x, true);
}

/* Mark the rules (of what g[].has holds) that hold or border on a changed host port. */
static void want_near(struct near *g, size_t ng, const uint8_t *cip6,
		      const struct ctr_mapping *chg, size_t nchg)
{
	struct host_memo h = { 0 };
	for (size_t c = 0; c < nchg; c++) {
		struct dm d;
		dm_of(&h, cip6, &chg[c], &d);
		size_t j = group_of(g, ng, &d);
		for (int t = d.hport - 1; j < ng && t <= d.hport + 1; t++)
			if (t >= 0 && t < NPORTS && bit(g[j].has, (unsigned)t) &&
			    !bit(g[j].want, (unsigned)t))
				want_rule(&g[j], (unsigned)t);
	}
}

/* Set (on) or clear what g[].has and .cport hold of the mappings chg[] (and mark them in
 * .gone if `gone`). */
static void hold(struct near *g, size_t ng, const uint8_t *cip6, const struct ctr_mapping *chg,
		 size_t nchg, bool on, bool gone)
{
	struct host_memo h = { 0 };
	for (size_t c = 0; c < nchg; c++) {
		struct dm d;
		dm_of(&h, cip6, &chg[c], &d);
		size_t j = group_of(g, ng, &d);
		if (j == ng)
			continue;
		bit_put(g[j].has, d.hport, on);
		if (gone)
			bit_put(g[j].gone, d.hport, true);
		if (on)
			*cport_at(&g[j], d.hport) = d.cport;
	}
}

/* Append to s[*ns] (room for *cap, grown as needed) the mappings m[] (of the groups gi[]: ng
 * for none) that are wanted (and, unless `all`, not gone). */
static int wanted(const struct near *g, size_t ng, const struct ctr_mapping *m, size_t n,
		  const uint32_t *gi, bool all, struct ctr_mapping **s, size_t *ns, size_t *cap)
{
	for (size_t i = 0; i < n; i++) {
		const struct near *x = gi[i] < ng ? &g[gi[i]] : NULL;
		if (!x || !bit(x->want, m[i].hport) || (!all && bit(x->gone, m[i].hport)))
			continue;
		if (*ns == *cap) { /* only if a list held a host port twice */
			struct ctr_mapping *t = realloc(*s, 2 * *cap * sizeof *t);
			if (!t)
				return ctr_err(-ENOMEM, "out of memory");
			*s = t;
			*cap *= 2;
		}
		(*s)[(*ns)++] = m[i];
	}
	return 0;
}

/* Append the DNAT rules of the wanted mappings of m[] (not gone unless `all`) and of add[]
 * (NULL: none). */
static int dnat_wanted(const char *id, uint32_t cip, const uint8_t *cip6, const struct near *g,
		       size_t ng, const struct ctr_mapping *m, size_t n, const uint32_t *gi,
		       bool all, const struct ctr_mapping *add, size_t nadd, const uint32_t *ga,
		       struct nat_rule **rules, size_t *nrules)
{
	size_t ns = 0, cap = nadd + 1; /* the host ports wanted: one mapping each */
	for (size_t j = 0; j < ng; j++)
		for (size_t w = 0; w < NPORTS / 64; w++)
			for (uint64_t b = g[j].want[w]; b; b &= b - 1)
				cap++;
	struct ctr_mapping *s = malloc(cap * sizeof *s);
	int e = s ? 0 : ctr_err(-ENOMEM, "out of memory");
	if (!e)
		e = wanted(g, ng, m, n, gi, all, &s, &ns, &cap);
	if (!e && add)
		e = wanted(g, ng, add, nadd, ga, true, &s, &ns, &cap);
	if (!e)
		e = natplan_dnat(id, cip, cip6, s, ns, rules, nrules);
	free(s);
	return e;
}

/* The pages of g[].cport: where m[] (marked in .has) or add[] (of the groups ga[]) hold host
 * ports.  The caller frees *arena. */
static int cport_pages(struct near *g, size_t ng, const struct ctr_mapping *add, size_t nadd,
		       const uint32_t *ga, uint16_t **arena)
{
	for (size_t c = 0; c < nadd; c++)
		if (ga[c] < ng)
			g[ga[c]].page[add[c].hport / 256] = 1;
	size_t total = 0, *first = malloc((ng + 1) * sizeof *first);
	if (!first)
		return ctr_err(-ENOMEM, "out of memory");
	for (size_t j = 0; j < ng; j++) {
		uint16_t np = 0;
		for (unsigned b = 0; b < NPORTS / 256; b++) {
			const uint64_t *w = &g[j].has[b * 4];
			if (g[j].page[b] || w[0] || w[1] || w[2] || w[3])
				g[j].page[b] = ++np;
		}
		first[j] = total;
		total += np;
	}
	if ((*arena = malloc((total + 1) * 256 * sizeof **arena)))
		for (size_t j = 0; j < ng; j++)
			g[j].cport = *arena + 256 * first[j];
	free(first);
	return *arena ? 0 : ctr_err(-ENOMEM, "out of memory");
}

/* The groups of the changes: their addresses and protocols (usually one or two). */
static int groups_of(const uint8_t *cip6, const struct ctr_mapping *add, size_t nadd,
		     const struct ctr_mapping *del, size_t ndel, struct near **g, size_t *ng)
{
	struct dm *keys = malloc((nadd + ndel + 1) * sizeof *keys);
	if (!keys)
		return ctr_err(-ENOMEM, "out of memory");
	size_t nk = 0;
	struct host_memo h = { 0 };
	for (size_t c = 0; c < nadd + ndel; c++) {
		struct dm d;
		dm_of(&h, cip6, c < nadd ? &add[c] : &del[c - nadd], &d);
		size_t j = 0;
		while (j < nk && !same_addr(&keys[j], &d))
			j++;
		if (d.family && j == nk)
			keys[nk++] = d;
	}
	*g = nk ? malloc(nk * sizeof **g) : NULL;
	if (nk && !*g) {
		free(keys);
		return ctr_err(-ENOMEM, "out of memory");
	}
	for (size_t j = 0; j < nk; j++) { /* .cport is read only where .has says */
		memset(&(*g)[j], 0, offsetof(struct near, cport));
		(*g)[j].key = keys[j];
	}
	free(keys);
	*ng = nk;
	return 0;
}

/* The group of each mapping of m[] (ng for none), and what g[].has holds of them: one pass,
 * each address parsed once for a run of mappings with it. */
static void groups_hold(struct near *g, size_t ng, const uint8_t *cip6,
			const struct ctr_mapping *m, size_t n, uint32_t *gi)
{
	size_t gp[CTR_NPROTO] = { 0 }; /* the group of the address with each protocol */
	struct host_memo h = { 0 };
	for (size_t i = 0; i < n; i++) {
		const struct ctr_mapping *x = &m[i];
		if (host_of(&h, cip6, x->host_ip)) {
			for (unsigned p = 0; p < CTR_NPROTO; p++) {
				struct dm d = { .family = h.family, .proto = (uint8_t)p };
				memcpy(d.hip, h.hip, sizeof d.hip);
				gp[p] = group_of(g, ng, &d);
			}
		}
		gi[i] = (uint32_t)gp[x->cport.proto]; /* < CTR_NPROTO: proto_parse() made it */
		if (gi[i] < ng)
			bit_put(g[gi[i]].has, x->hport, true);
	}
}

int natplan_dnat_change(const char *id, uint32_t cip, const uint8_t *cip6,
			const struct ctr_mapping *m, size_t n, const struct ctr_mapping *add,
			size_t nadd, const struct ctr_mapping *del, size_t ndel,
			struct nat_rule **ra, size_t *nra, struct nat_rule **rb, size_t *nrb)
{
	struct near *g = NULL;
	size_t ng = 0;
	int e = groups_of(cip6, add, nadd, del, ndel, &g, &ng);
	if (e < 0 || !ng) /* no change makes a rule: the rules stay */
		return e;
	uint32_t *gi = malloc((n + 1) * sizeof *gi);   /* the groups of m[] */
	uint32_t *ga = malloc((nadd + 1) * sizeof *ga); /* and of add[] */
	uint16_t *arena = NULL;
	if (!gi || !ga) {
		e = ctr_err(-ENOMEM, "out of memory");
		goto out;
	}
	struct host_memo h = { 0 };
	for (size_t c = 0; c < nadd; c++) {
		struct dm d;
		dm_of(&h, cip6, &add[c], &d);
		ga[c] = (uint32_t)group_of(g, ng, &d);
	}
	groups_hold(g, ng, cip6, m, n, gi);
	if ((e = cport_pages(g, ng, add, nadd, ga, &arena)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (gi[i] < ng)
			*cport_at(&g[gi[i]], m[i].hport) = m[i].cport.port;
	/* before: the rules of m[] that hold or border on a change */
	want_near(g, ng, cip6, add, nadd);
	want_near(g, ng, cip6, del, ndel);
	if ((e = dnat_wanted(id, cip, cip6, g, ng, m, n, gi, true, NULL, 0, NULL, ra, nra)) < 0)
		goto out;
	/* after: m[] without del[], with add[] (in natplan_dnat's order: the same either way) */
	hold(g, ng, cip6, del, ndel, false, true);
	hold(g, ng, cip6, add, nadd, true, false);
	for (size_t j = 0; j < ng; j++)
		memset(g[j].want, 0, sizeof g[j].want);
	want_near(g, ng, cip6, add, nadd);
	want_near(g, ng, cip6, del, ndel);
	e = dnat_wanted(id, cip, cip6, g, ng, m, n, gi, false, add, nadd, ga, rb, nrb);
out:
	free(gi);
	free(ga);
	free(arena);
	free(g);
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
