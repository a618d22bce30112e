/* Conntrack netlink (NETLINK_NETFILTER, ctnetlink) through the one netlink transport
 * (netlink.c): deleting the entries of published ports (see conntrack.h).  conntrack_flush()
 * without a struct conntrack uses a socket of its own and may be called from any thread. */
#include "sys/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "sys/netlink.h"

struct ct_entry {
	uint8_t family;
	uint8_t src[16], dst[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport; /* network order */
	uint8_t proto;
	bool has_zone, has_id;
	uint16_t zone;         /* network order */
	uint32_t id;           /* network order */
};

struct ct_dump {
	uint8_t family;
	const struct ct_match *m; /* sorted by ct_match_cmp */
	size_t nm;
	struct ct_entry *v;
	size_t n, cap;
};

/* Order of the matches: family, protocol, port (what a dumped entry is looked up by). */
static int ct_key_cmp(uint8_t fa, uint8_t pa, uint16_t da, uint8_t fb, uint8_t pb, uint16_t db)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (pa != pb)
		return pa < pb ? -1 : 1;
	return (da > db) - (da < db);
}

static int ct_match_cmp(const void *pa, const void *pb)
{
	const struct ct_match *a = pa, *b = pb;
	return ct_key_cmp(a->family, a->proto, a->dport, b->family, b->proto, b->dport);
}

/* true if the entry is one of the matches (m sorted). */
static bool ct_wanted(const struct ct_dump *d, const struct ct_entry *e, const uint8_t *rsrc,
		      uint16_t rsport)
{
	size_t alen = e->family == AF_INET6 ? 16 : 4, lo = 0, hi = d->nm;
	uint16_t dport = ntohs(e->dport);
	while (lo < hi) { /* the first match with this key */
		size_t mid = lo + (hi - lo) / 2;
		const struct ct_match *x = &d->m[mid];
		if (ct_key_cmp(x->family, x->proto, x->dport, e->family, e->proto, dport) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < d->nm; i++) {
		const struct ct_match *x = &d->m[i];
		if (ct_key_cmp(x->family, x->proto, x->dport, e->family, e->proto, dport) != 0)
			break;
		if (!x->any_dst && memcmp(x->dst, e->dst, alen) != 0)
			continue;
		if (x->to && (!rsrc || memcmp(x->to_addr, rsrc, alen) != 0 ||
			      ntohs(rsport) != x->to_port))
			continue;
		return true;
	}
	return false;
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_dump *d = data;
	const struct nlattr *tb[CTA_MAX + 1], *tt[CTA_TUPLE_MAX + 1];
	const struct nlattr *ti[CTA_IP_MAX + 1], *tp[CTA_PROTO_MAX + 1];
	const struct nlattr *rt[CTA_TUPLE_MAX + 1], *ri[CTA_IP_MAX + 1], *rp[CTA_PROTO_MAX + 1];
	struct ct_entry e;
	uint16_t rsport = 0;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return 0;
	memset(&e, 0, sizeof e);
	nl_attrs_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_MAX);
	nl_attrs_parse_nested(tb[CTA_TUPLE_ORIG], tt, CTA_TUPLE_MAX);
	nl_attrs_parse_nested(tt[CTA_TUPLE_IP], ti, CTA_IP_MAX);
	nl_attrs_parse_nested(tt[CTA_TUPLE_PROTO], tp, CTA_PROTO_MAX);
	nl_attrs_parse_nested(tb[CTA_TUPLE_REPLY], rt, CTA_TUPLE_MAX);
	nl_attrs_parse_nested(rt[CTA_TUPLE_IP], ri, CTA_IP_MAX);
	nl_attrs_parse_nested(rt[CTA_TUPLE_PROTO], rp, CTA_PROTO_MAX);
	bool v6 = d->family == AF_INET6;
	size_t alen = v6 ? 16 : 4;
	const struct nlattr *sa = ti[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC];
	const struct nlattr *da = ti[v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST];
	const struct nlattr *ra = ri[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC];
	if (!nl_attr_u8(tp[CTA_PROTO_NUM], &e.proto) ||
	    !nl_attr_u16(tp[CTA_PROTO_DST_PORT], &e.dport) ||
	    !nl_attr_u16(tp[CTA_PROTO_SRC_PORT], &e.sport) || !sa || !da ||
	    mnl_attr_get_payload_len(sa) != alen || mnl_attr_get_payload_len(da) != alen)
		return 0;
	if (ra && mnl_attr_get_payload_len(ra) != alen)
		ra = NULL;
	if (!nl_attr_u16(rp[CTA_PROTO_SRC_PORT], &rsport))
		ra = NULL;
	e.family = d->family;
	memcpy(e.src, mnl_attr_get_payload(sa), alen);
	memcpy(e.dst, mnl_attr_get_payload(da), alen);
	if (!ct_wanted(d, &e, ra ? mnl_attr_get_payload(ra) : NULL, rsport))
		return 0;
	e.has_zone = nl_attr_u16(tb[CTA_ZONE], &e.zone);
	e.has_id = nl_attr_u32(tb[CTA_ID], &e.id);

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct ct_entry *v = cap <= SIZE_MAX / sizeof *v ? realloc(d->v, cap * sizeof *v)
								  : NULL;
		if (!v)
			return ctr_err(-ENOMEM, "out of memory");
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = e;
	return 0;
}

static struct nlmsghdr *ct_msg(union nl_req *req, uint8_t type, uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = nl_msg(req, (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type), flags);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof *nfg);
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Delete one entry by its original tuple (and zone and id, so that an entry created since the
 * dump under the same tuple is left alone).  0, -ENOENT (gone already) or another error. */
static int ct_delete(struct nlsock *s, const struct ct_entry *e)
{
	union nl_req req;
	struct nlmsghdr *nlh = ct_msg(&req, IPCTNL_MSG_CT_DELETE, 0, e->family);
	struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (e->family == AF_INET6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, e->src);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, e->dst);
	} else {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, e->src);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, e->dst);
	}
	mnl_attr_nest_end(nlh, ip);
	struct nlattr *proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, e->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, e->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, e->dport);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	if (e->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, e->zone);
	if (e->has_id)
		mnl_attr_put_u32(nlh, CTA_ID, e->id);
	return nl_talk(s, nlh, NULL, NULL);
}

static const char *ct_proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_DCCP:
		return "dccp";
	default:
		return "udplite";
	}
}

static bool ct_unavailable(int err)
{
	/* No nfnetlink (socket), no ctnetlink subsystem (nfnetlink says EINVAL to an unknown
	 * subsystem on older kernels; our dump request carries no attribute it could refuse). */
	return err == -EPROTONOSUPPORT || err == -ENOENT || err == -EOPNOTSUPP ||
	       err == -EINVAL || err == -EAFNOSUPPORT;
}

static bool ct_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP || proto == IPPROTO_UDPLITE;
}

/* The kernel's dump filter (CTA_FILTER, Linux 5.8: commit cb8aa9a3affb "netfilter: ctnetlink:
 * add kernel side filtering for dump"): its flags, which the kernel keeps in
 * net/netfilter/nf_conntrack_netlink.c, not in a uapi header. */
#define CT_FILTER_IP_SRC (1u << 0)
#define CT_FILTER_IP_DST (1u << 1)
#define CT_FILTER_PROTO_NUM (1u << 3)
#define CT_FILTER_PROTO_SRC_PORT (1u << 4)
#define CT_FILTER_PROTO_DST_PORT (1u << 5)

static void ct_put_tuple(struct nlmsghdr *nlh, uint16_t type, uint8_t family, uint16_t ip_type,
			 const uint8_t *ip, uint32_t flags, uint8_t proto, uint16_t port_type,
			 uint16_t port)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type);
	if (ip) {
		struct nlattr *n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put(nlh, ip_type, family == AF_INET6 ? 16 : 4, ip);
		mnl_attr_nest_end(nlh, n);
	}
	if (flags & CT_FILTER_PROTO_NUM) {
		struct nlattr *n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
		if (port_type)
			mnl_attr_put_u16(nlh, port_type, htons(port));
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_nest_end(nlh, t);
}

/* The kernel's filter compares IPv6 addresses the wrong way round (an address flag matches the
 * entries whose address differs: ctnetlink_filter_match_tuple() tests !ipv6_addr_cmp(), since
 * Linux 5.8 and still in 6.18), so no filter of ours asks it about an IPv6 address. */
static bool ct_filter_addr_ok(uint8_t family)
{
	return family == AF_INET;
}

/* Ask the kernel to send only the entries that may be wanted: what all the matches of the
 * dump's family share (the address and port the replies come from, for entries DNAT'd to one
 * container; else the protocol, original destination and port; no IPv6 address).  Each entry
 * that comes back is still checked by ct_wanted(), so a kernel that ignores the filter costs
 * time only. */
static void ct_put_filter(struct nlmsghdr *nlh, const struct ct_dump *d)
{
	const struct ct_match *f = NULL;
	size_t alen = d->family == AF_INET6 ? 16 : 4;
	bool to = true, to_addr = true, to_port = true, proto = true, dst = true, dport = true;
	for (size_t i = 0; i < d->nm; i++) {
		const struct ct_match *x = &d->m[i];
		if (x->family != d->family)
			continue;
		if (!f)
			f = x;
		to = to && x->to;
		to_addr = to_addr && memcmp(x->to_addr, f->to_addr, alen) == 0;
		to_port = to_port && x->to_port == f->to_port;
		proto = proto && x->proto == f->proto;
		dst = dst && !x->any_dst && memcmp(x->dst, f->dst, alen) == 0;
		dport = dport && x->dport == f->dport;
	}
	if (!f)
		return;
	uint32_t oflags = 0, rflags = 0;
	bool v6 = d->family == AF_INET6;
	to_addr = to_addr && ct_filter_addr_ok(d->family);
	dst = dst && ct_filter_addr_ok(d->family);
	if (to && (to_addr || (proto && to_port))) { /* replies from the container */
		rflags = (to_addr ? CT_FILTER_IP_SRC : 0) | (proto ? CT_FILTER_PROTO_NUM : 0) |
			 (proto && to_port ? CT_FILTER_PROTO_SRC_PORT : 0);
		ct_put_tuple(nlh, CTA_TUPLE_REPLY, d->family, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC,
			     to_addr ? f->to_addr : NULL, rflags, f->proto,
			     rflags & CT_FILTER_PROTO_SRC_PORT ? CTA_PROTO_SRC_PORT : 0, f->to_port);
	} else if (proto || dst) {
		oflags = (dst ? CT_FILTER_IP_DST : 0) | (proto ? CT_FILTER_PROTO_NUM : 0) |
			 (proto && dport ? CT_FILTER_PROTO_DST_PORT : 0);
		ct_put_tuple(nlh, CTA_TUPLE_ORIG, d->family, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST,
			     dst ? f->dst : NULL, oflags, f->proto,
			     oflags & CT_FILTER_PROTO_DST_PORT ? CTA_PROTO_DST_PORT : 0, f->dport);
	} else {
		return;
	}
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, oflags);
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, rflags);
	mnl_attr_nest_end(nlh, n);
}

/* Dump one family's entries and delete those wanted; adds to *count.  The dump is filtered
 * in the kernel; a kernel that refuses the filter gets the whole family's dump. */
static int ct_flush_family(struct nlsock *s, struct ct_dump *d, uint8_t family, unsigned *count)
{
	int r = -EINTR;
	bool filter = true;
	for (int tries = 0; r == -EINTR && tries < NL_DUMP_TRIES; tries++) {
		union nl_req req;
		struct nlmsghdr *nlh = ct_msg(&req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
		d->family = family;
		d->n = 0;
		if (filter)
			ct_put_filter(nlh, d);
		r = nl_talk(s, nlh, ct_dump_cb, d);
		if (r < 0 && r != -EINTR && r != -ENOMEM && filter) {
			filter = false; /* once more, unfiltered */
			r = -EINTR;
			ctr_err_clear();
		}
	}
	if (r < 0)
		return ct_unavailable(r) ? 0 : ctr_err_prefix(r, "cannot list the conntrack entries");
	for (size_t i = 0; i < d->n; i++) {
		const struct ct_entry *e = &d->v[i];
		r = ct_delete(s, e);
		if (r == -ENOENT)
			continue;
		if (r < 0) {
			char a[INET6_ADDRSTRLEN];
			inet_ntop(family, e->dst, a, sizeof a);
			return ctr_err_prefix(r, family == AF_INET6
						 ? "cannot delete the conntrack entries to [%s]:%u/%s"
						 : "cannot delete the conntrack entries to %s:%u/%s",
					      a, (unsigned)ntohs(e->dport), ct_proto_name(e->proto));
		}
		(*count)++;
	}
	return 0;
}

static int ct_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_STATS_GLOBAL_MAX + 1];
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return 0;
	nl_attrs_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_STATS_GLOBAL_MAX);
	uint32_t v;
	if (nl_attr_u32(tb[CTA_STATS_GLOBAL_ENTRIES], &v))
		*(int64_t *)data = ntohl(v);
	return 0;
}

/* The number of conntrack entries of this network namespace (IPCTNL_MSG_CT_GET_STATS, Linux
 * 3.8), or -1 when the kernel does not say: a dump walks the hash table that all namespaces
 * share (~5 ms for 262144 buckets), so an empty namespace is better asked first. */
static int64_t ct_entries(struct nlsock *s)
{
	union nl_req req;
	int64_t n = -1;
	struct nlmsghdr *nlh = ct_msg(&req, IPCTNL_MSG_CT_GET_STATS, 0, AF_UNSPEC);
	if (nl_talk(s, nlh, ct_stats_cb, &n) < 0) {
		ctr_err_clear();
		return -1;
	}
	return n;
}

/* Whether the kernel deletes by a filter (IPCTNL_MSG_CT_DELETE with CTA_FILTER, Linux 6.12:
 * "netfilter: ctnetlink: support CTA_FILTER for flush"): not known yet, yes, no. */
enum { CT_FDEL_UNKNOWN, CT_FDEL_YES, CT_FDEL_NO };

struct conntrack {
	struct nlsock s;
	int fdel; /* CT_FDEL_*, learnt on first use */
};

int conntrack_open(struct conntrack **out)
{
	*out = NULL;
	struct conntrack *ct = calloc(1, sizeof *ct);
	if (!ct)
		return ctr_err(-ENOMEM, "out of memory");
	int r = nl_open_named(&ct->s, NETLINK_NETFILTER, "netfilter netlink");
	if (r < 0) {
		free(ct);
		return r;
	}
	*out = ct;
	return 0;
}

void conntrack_close(struct conntrack *ct)
{
	if (!ct)
		return;
	nl_close(&ct->s);
	free(ct);
}

/* Can a kernel filter say exactly what `x` wants? */
static bool ct_filterable(const struct ct_match *x)
{
	return ct_filter_addr_ok(x->family) || (x->any_dst && !x->to);
}

/* Delete, in the kernel, the entries of one match: the filter is the whole match (protocol,
 * original destination port and address, and for `to` the address and port the replies come
 * from), and the kernel walks its table once without copying anything to us.  The request
 * carries an original tuple without a source address: a kernel without the filtered delete
 * takes it for the tuple of one entry and refuses it (-EINVAL; before Linux 5.8, which did not
 * know CTA_FILTER either), so that no kernel reads it as "flush everything".  0 or the
 * kernel's error. */
static int ct_delete_filtered(struct nlsock *s, const struct ct_match *x)
{
	union nl_req req;
	struct nlmsghdr *nlh = ct_msg(&req, IPCTNL_MSG_CT_DELETE, 0, x->family);
	bool v6 = x->family == AF_INET6;
	uint32_t oflags = CT_FILTER_PROTO_NUM | CT_FILTER_PROTO_DST_PORT, rflags = 0;
	if (!x->any_dst)
		oflags |= CT_FILTER_IP_DST;
	ct_put_tuple(nlh, CTA_TUPLE_ORIG, x->family, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST,
		     x->any_dst ? NULL : x->dst, oflags, x->proto, CTA_PROTO_DST_PORT, x->dport);
	if (x->to) {
		rflags = CT_FILTER_IP_SRC | CT_FILTER_PROTO_NUM | CT_FILTER_PROTO_SRC_PORT;
		ct_put_tuple(nlh, CTA_TUPLE_REPLY, x->family, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC,
			     x->to_addr, rflags, x->proto, CTA_PROTO_SRC_PORT, x->to_port);
	}
	struct nlattr *n = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, oflags);
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, rflags);
	mnl_attr_nest_end(nlh, n);
	return nl_talk(s, nlh, NULL, NULL);
}

/* Up to this many matches are deleted by filter, one kernel walk each (the walk skips empty
 * buckets without their locks: ~0.1 ms for 262144 of them); more take one dump (a walk that
 * locks every bucket: ms) and a delete per entry found. */
#define CT_FDEL_MAX 8

/* Delete by filter (see ct_delete_filtered): 1 done, 0 the kernel cannot (*fdel says so from
 * now on: the dump does it), or a negative errno with the message set. */
static int ct_flush_filtered(struct nlsock *s, int *fdel, const struct ct_match *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!ct_filterable(&m[i]))
			continue;
		int r = ct_delete_filtered(s, &m[i]);
		if ((r == -EINVAL || r == -EOPNOTSUPP) && *fdel != CT_FDEL_YES) {
			ctr_err_clear();
			*fdel = CT_FDEL_NO;
			return 0;
		}
		if (r < 0) {
			if (r != -EINVAL && ct_unavailable(r)) { /* no ctnetlink: nothing to delete */
				ctr_err_clear();
				return 1;
			}
			char a[INET6_ADDRSTRLEN] = "*";
			if (!m[i].any_dst)
				inet_ntop(m[i].family, m[i].dst, a, sizeof a);
			return ctr_err_prefix(r, m[i].family == AF_INET6
						 ? "cannot delete the conntrack entries to [%s]:%u/%s"
						 : "cannot delete the conntrack entries to %s:%u/%s",
					      a, (unsigned)m[i].dport, ct_proto_name(m[i].proto));
		}
		*fdel = CT_FDEL_YES;
	}
	return 1;
}

int conntrack_flush(struct conntrack *ct, const struct ct_match *m, size_t n, unsigned *deleted)
{
	struct conntrack *own = NULL;
	struct ct_dump d;
	unsigned count = 0;
	size_t nf = 0;
	int r;

	if (deleted)
		*deleted = 0;
	for (size_t i = 0; i < n; i++) {
		if (m[i].family != AF_INET && m[i].family != AF_INET6)
			return ctr_err(-EAFNOSUPPORT, "conntrack: address family %d", m[i].family);
		if (!ct_has_ports(m[i].proto))
			return ctr_err(-EINVAL, "conntrack: protocol %d has no ports", m[i].proto);
		nf += ct_filterable(&m[i]);
	}
	if (!n)
		return 0;
	if (!ct && (r = conntrack_open(&own)) < 0) {
		if (r == -EPROTONOSUPPORT) {
			ctr_err_clear();
			return 0;
		}
		return r;
	}
	struct conntrack *c = ct ? ct : own;
	struct nlsock *s = &c->s;
	int64_t before = ct_entries(s);
	bool filtered = false; /* the filterable matches are done */
	r = 0;
	if (before == 0) { /* nothing to delete */
		conntrack_close(own);
		return 0;
	}
	if (nf && nf <= CT_FDEL_MAX && c->fdel != CT_FDEL_NO) {
		r = ct_flush_filtered(s, &c->fdel, m, n);
		filtered = r > 0;
		if (filtered && deleted && before > 0) { /* the kernel does not count: the fall */
			int64_t after = ct_entries(s);
			count = after >= 0 && after < before ? (unsigned)(before - after) : 0;
		}
		r = r < 0 ? r : 0;
	}

	/* the rest: one dump per family */
	memset(&d, 0, sizeof d);
	struct ct_match *sorted = r < 0 ? NULL : malloc(n * sizeof *sorted);
	if (!r && !sorted)
		r = ctr_err(-ENOMEM, "out of memory");
	bool fam4 = false, fam6 = false;
	for (size_t i = 0; !r && i < n; i++) {
		if (filtered && ct_filterable(&m[i]))
			continue;
		sorted[d.nm++] = m[i];
		fam4 |= m[i].family == AF_INET;
		fam6 |= m[i].family == AF_INET6;
	}
	if (d.nm) {
		qsort(sorted, d.nm, sizeof *sorted, ct_match_cmp);
		d.m = sorted;
	}
	if (!r && fam4)
		r = ct_flush_family(s, &d, AF_INET, &count);
	if (!r && fam6)
		r = ct_flush_family(s, &d, AF_INET6, &count);
	if (deleted)
		*deleted = count;
	free(d.v);
	free(sorted);
	conntrack_close(own);
	return r;
}
