/* The nftables backend's encoding of rules as set elements (see natelem.h); pure. */
#include "core/natelem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/model.h"
#include "core/names.h"
#include "core/util.h"

#define ID_LEN 64
#define COMMENT_PREFIX "ctrlink:"

const struct setdef natelem_sets[S_N] = {
	[S_DNAT4_ANY] = { "dnat4_any", DT2(DT_INET_PROTO, DT_INET_SERVICE), 8,
			  DT2(DT_IPADDR, DT_INET_SERVICE), 8, NAT_RULE_DNAT, AF_INET, true },
	[S_DNAT4_IP] = { "dnat4_ip", DT3(DT_IPADDR, DT_INET_PROTO, DT_INET_SERVICE), 12,
			 DT2(DT_IPADDR, DT_INET_SERVICE), 8, NAT_RULE_DNAT, AF_INET, false },
	[S_DNAT6_ANY] = { "dnat6_any", DT2(DT_INET_PROTO, DT_INET_SERVICE), 8,
			  DT2(DT_IP6ADDR, DT_INET_SERVICE), 20, NAT_RULE_DNAT, AF_INET6, true },
	[S_DNAT6_IP] = { "dnat6_ip", DT3(DT_IP6ADDR, DT_INET_PROTO, DT_INET_SERVICE), 24,
			 DT2(DT_IP6ADDR, DT_INET_SERVICE), 20, NAT_RULE_DNAT, AF_INET6, false },
	[S_LINKS4] = { "links4", DT4(DT_IPADDR, DT_IPADDR, DT_INET_PROTO, DT_INET_SERVICE), 16, 0,
		       0, NAT_RULE_LINK, AF_INET, false },
	[S_LINKS6] = { "links6", DT4(DT_IP6ADDR, DT_IP6ADDR, DT_INET_PROTO, DT_INET_SERVICE), 40,
		       0, 0, NAT_RULE_LINK, AF_INET6, false },
};

static const uint8_t ip_protos[CTR_NPROTO] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

static int proto_of(uint8_t ipproto)
{
	for (int i = 0; i < CTR_NPROTO; i++)
		if (ip_protos[i] == ipproto)
			return i;
	return -1;
}

/* ---- vectors ------------------------------------------------------------------------------- */

int natelem_grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *nv = realloc(*v, ncap * size);
	if (!nv)
		return ctr_err(-ENOMEM, "out of memory");
	*v = nv;
	*cap = ncap;
	return 0;
}

struct elem *natelem_push(struct evec *v)
{
	if (natelem_grow((void **)&v->v, &v->cap, v->n, sizeof *v->v) < 0)
		return NULL;
	struct elem *e = &v->v[v->n++];
	memset(e, 0, sizeof *e);
	return e;
}

int natelem_cmp(const void *pa, const void *pb)
{
	const struct elem *a = pa, *b = pb;
	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	return memcmp(a->key, b->key, sizeof a->key);
}

void natelem_sort_unique(struct evec *v)
{
	if (v->n)
		qsort(v->v, v->n, sizeof *v->v, natelem_cmp);
	size_t k = 0;
	for (size_t i = 0; i < v->n; i++)
		if (k == 0 || natelem_cmp(&v->v[k - 1], &v->v[i]) != 0)
			v->v[k++] = v->v[i];
	v->n = k;
}

/* ---- elements of a rule -------------------------------------------------------------------- */

static bool zero16(const uint8_t a[16])
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int rule_set(const struct nat_rule *r)
{
	bool v6 = r->family == AF_INET6;
	if (r->kind == NAT_RULE_LINK)
		return v6 ? S_LINKS6 : S_LINKS4;
	bool any = v6 ? zero16(r->u.dnat.host_ip6) : r->u.dnat.host_ip == 0;
	return v6 ? (any ? S_DNAT6_ANY : S_DNAT6_IP) : (any ? S_DNAT4_ANY : S_DNAT4_IP);
}

/* Append the elements of a (valid) rule, one per port. */
int natelem_of_rule(const struct nat_rule *r, struct evec *out)
{
	int s = rule_set(r);
	bool v6 = r->family == AF_INET6;
	size_t alen = v6 ? 16 : 4;
	uint8_t proto = ip_protos[r->proto];
	if (r->kind == NAT_RULE_DNAT) {
		const typeof(r->u.dnat) *d = &r->u.dnat;
		const void *hip = v6 ? (const void *)d->host_ip6 : (const void *)&d->host_ip;
		const void *cip = v6 ? (const void *)d->cip6 : (const void *)&d->cip;
		for (unsigned p = d->hport_lo; p <= d->hport_hi; p++) {
			struct elem *e = natelem_push(out);
			if (!e)
				return -ENOMEM;
			size_t off = 0;
			e->set = (uint8_t)s;
			e->rule = r;
			if (!natelem_sets[s].any) {
				memcpy(e->key, hip, alen);
				off = alen;
			}
			e->key[off] = proto;
			put16(e->key + off + 4, p);
			memcpy(e->data, cip, alen);
			put16(e->data + alen, d->cport_lo + (p - d->hport_lo));
		}
		return 0;
	}
	const typeof(r->u.link) *l = &r->u.link;
	const void *src = v6 ? (const void *)l->src6 : (const void *)&l->src;
	const void *dst = v6 ? (const void *)l->dst6 : (const void *)&l->dst;
	for (unsigned p = l->port_lo; p <= l->port_hi; p++) {
		struct elem *e = natelem_push(out);
		if (!e)
			return -ENOMEM;
		e->set = (uint8_t)s;
		e->rule = r;
		memcpy(e->key, src, alen);
		memcpy(e->key + alen, dst, alen);
		e->key[2 * alen] = proto;
		put16(e->key + 2 * alen + 4, p);
	}
	return 0;
}

/* The one-port rule an element of ours stands for; false if it is not well-formed. */
bool natelem_rule(const struct kelem *k, struct nat_rule *r)
{
	const struct setdef *sd = &natelem_sets[k->e.set];
	const uint8_t *key = k->e.key, *data = k->e.data;
	bool v6 = sd->family == AF_INET6;
	size_t alen = v6 ? 16 : 4;
	memset(r, 0, sizeof *r);
	r->kind = sd->kind;
	r->family = v6 ? AF_INET6 : 0;
	memcpy(r->owner, k->owner, sizeof r->owner);
	memcpy(r->peer, k->peer, sizeof r->peer);
	if (sd->kind == NAT_RULE_DNAT) {
		size_t off = sd->any ? 0 : alen;
		int proto = proto_of(key[off]);
		unsigned hport = get16(key + off + 4), cport = get16(data + alen);
		if (proto < 0 || !hport || !cport || k->peer[0])
			return false;
		r->proto = (uint8_t)proto;
		if (v6) {
			if (!sd->any)
				memcpy(r->u.dnat.host_ip6, key, 16);
			memcpy(r->u.dnat.cip6, data, 16);
		} else {
			if (!sd->any)
				memcpy(&r->u.dnat.host_ip, key, 4);
			memcpy(&r->u.dnat.cip, data, 4);
		}
		r->u.dnat.hport_lo = r->u.dnat.hport_hi = (uint16_t)hport;
		r->u.dnat.cport_lo = (uint16_t)cport;
		return true;
	}
	int proto = proto_of(key[2 * alen]);
	unsigned port = get16(key + 2 * alen + 4);
	if (proto < 0 || !port || !k->peer[0])
		return false;
	r->proto = (uint8_t)proto;
	if (v6) {
		memcpy(r->u.link.src6, key, 16);
		memcpy(r->u.link.dst6, key + 16, 16);
	} else {
		memcpy(&r->u.link.src, key, 4);
		memcpy(&r->u.link.dst, key + 4, 4);
	}
	r->u.link.port_lo = r->u.link.port_hi = (uint16_t)port;
	return true;
}

/* "0.0.0.0:8080/tcp -> 10.77.0.2:80" ("0.0.0.0:8080/tcp" with `host_only`) or
 * "link 10.77.0.3 -> 10.77.0.2 port 5432/tcp". */
void natelem_desc(const struct elem *e, bool host_only, char *buf, size_t len)
{
	const struct setdef *sd = &natelem_sets[e->set];
	bool v6 = sd->family == AF_INET6;
	size_t alen = v6 ? 16 : 4;
	int af = v6 ? AF_INET6 : AF_INET;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	if (sd->kind == NAT_RULE_DNAT) {
		size_t off = sd->any ? 0 : alen;
		int proto = proto_of(e->key[off]);
		static const uint8_t zero[16];
		inet_ntop(af, sd->any ? zero : e->key, a, sizeof a);
		inet_ntop(af, e->data, b, sizeof b);
		int k = snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "", a, v6 ? "]" : "",
				 get16(e->key + off + 4),
				 proto < 0 ? "?" : proto_name((unsigned)proto));
		if (!host_only && k >= 0 && (size_t)k < len)
			snprintf(buf + k, len - (size_t)k, " -> %s%s%s:%u", v6 ? "[" : "", b,
				 v6 ? "]" : "", get16(e->data + alen));
		return;
	}
	int proto = proto_of(e->key[2 * alen]);
	inet_ntop(af, e->key, a, sizeof a);
	inet_ntop(af, e->key + alen, b, sizeof b);
	snprintf(buf, len, "link %s -> %s port %u/%s", a, b, get16(e->key + 2 * alen + 4),
		 proto < 0 ? "?" : proto_name((unsigned)proto));
}

/* ---- owners in comments -------------------------------------------------------------------- */

/* The comment of an element of `rule` (NUL included in the returned length). */
size_t natelem_comment(const struct nat_rule *r, char buf[NATELEM_COMMENT_MAX + 1])
{
	if (r->kind == NAT_RULE_LINK)
		snprintf(buf, NATELEM_COMMENT_MAX + 1, "%.64s%.64s", r->owner, r->peer);
	else
		snprintf(buf, NATELEM_COMMENT_MAX + 1, COMMENT_PREFIX "%.64s", r->owner);
	return strlen(buf) + 1;
}

/* The owners named by an element's userdata, for an element of a set of `kind`. */
void natelem_owners(const uint8_t *ud, size_t len, uint8_t kind, struct kelem *k)
{
	k->owner[0] = k->peer[0] = '\0';
	for (size_t off = 0; off + 2 <= len;) {
		uint8_t type = ud[off], l = ud[off + 1];
		const char *c = (const char *)ud + off + 2;
		if (off + 2 + l > len)
			return;
		off += 2 + (size_t)l;
		if (type != NATELEM_UDATA_COMMENT || l == 0 || c[l - 1] != '\0')
			continue;
		size_t n = strlen(c), pl = strlen(COMMENT_PREFIX);
		char owner[ID_LEN + 1], peer[ID_LEN + 1];
		if (kind == NAT_RULE_DNAT) {
			if (n != pl + ID_LEN || memcmp(c, COMMENT_PREFIX, pl) != 0)
				return;
			memcpy(owner, c + pl, ID_LEN);
			owner[ID_LEN] = peer[0] = '\0';
		} else {
			if (n != 2 * ID_LEN)
				return;
			memcpy(owner, c, ID_LEN);
			memcpy(peer, c + ID_LEN, ID_LEN);
			owner[ID_LEN] = peer[ID_LEN] = '\0';
			if (!id_valid(peer, sizeof peer))
				return;
		}
		if (!id_valid(owner, sizeof owner))
			return;
		memcpy(k->owner, owner, sizeof owner);
		memcpy(k->peer, peer, sizeof peer);
		return;
	}
}

