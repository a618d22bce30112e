#include "natplan.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int push(struct nat_rule **rules, size_t *n, const struct nat_rule *r)
{
	struct nat_rule *nr = realloc(*rules, (*n + 1) * sizeof *nr);
	if (!nr)
		return ctr_err(-ENOMEM, "out of memory");
	nr[*n] = *r;
	*rules = nr;
	(*n)++;
	return 0;
}

struct dm {
	uint8_t proto;
	uint32_t hip;
	uint16_t hport, cport;
};

static int dm_cmp(const void *pa, const void *pb)
{
	const struct dm *a = pa, *b = pb;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->hip != b->hip)
		return ntohl(a->hip) < ntohl(b->hip) ? -1 : 1;
	return (a->hport > b->hport) - (a->hport < b->hport);
}

int natplan_dnat(const char *id, uint32_t cip, const struct ctr_mapping *m, size_t n,
		 struct nat_rule **rules, size_t *nrules)
{
	struct dm *v = calloc(n ? n : 1, sizeof *v);
	size_t k = 0;
	if (!v)
		return ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		uint32_t ip;
		if (inet_pton(AF_INET, m[i].host_ip, &ip) != 1)
			continue; /* IPv6 host addresses belong to another backend */
		v[k++] = (struct dm){ m[i].cport.proto, ip, m[i].hport, m[i].cport.port };
	}
	qsort(v, k, sizeof *v, dm_cmp);
	int e = 0;
	for (size_t i = 0; i < k && !e;) {
		size_t j = i + 1;
		while (j < k && v[j].proto == v[i].proto && v[j].hip == v[i].hip &&
		       v[j].hport == v[j - 1].hport + 1 && v[j].cport == v[j - 1].cport + 1)
			j++;
		struct nat_rule r = { 0 };
		r.kind = NAT_RULE_DNAT;
		r.proto = v[i].proto;
		snprintf(r.owner, sizeof r.owner, "%s", id);
		r.u.dnat.host_ip = v[i].hip;
		r.u.dnat.hport_lo = v[i].hport;
		r.u.dnat.hport_hi = v[j - 1].hport;
		r.u.dnat.cip = cip;
		r.u.dnat.cport_lo = v[i].cport;
		e = push(rules, nrules, &r);
		i = j;
	}
	free(v);
	return e;
}

int natplan_link(const char *pid, uint32_t pip, const char *cid, uint32_t cip,
		 const struct ctr_port *exposed, size_t n, struct nat_rule **rules,
		 size_t *nrules)
{
	/* `exposed` is sorted by port then protocol: coalesce per protocol */
	int e = 0;
	for (unsigned proto = 0; proto < CTR_NPROTO && !e; proto++) {
		for (size_t i = 0; i < n && !e;) {
			if (exposed[i].proto != proto) {
				i++;
				continue;
			}
			uint16_t lo = exposed[i].port, hi = lo;
			size_t j = i + 1;
			for (; j < n; j++) {
				if (exposed[j].proto != proto)
					continue;
				if (exposed[j].port != hi + 1)
					break;
				hi = exposed[j].port;
			}
			struct nat_rule r = { 0 };
			r.kind = NAT_RULE_LINK;
			r.proto = (uint8_t)proto;
			snprintf(r.owner, sizeof r.owner, "%s", pid);
			snprintf(r.peer, sizeof r.peer, "%s", cid);
			r.u.link.src = pip;
			r.u.link.dst = cip;
			r.u.link.port_lo = lo;
			r.u.link.port_hi = hi;
			e = push(rules, nrules, &r);
			i = j;
		}
	}
	return e;
}
