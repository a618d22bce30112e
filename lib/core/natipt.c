/* The iptables backend's encoding of rules (see natipt.h); pure. */
#include "core/natipt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_sctp.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "core/model.h"
#include "core/names.h"
#include "core/util.h"

#define COMMENT_PREFIX "ctrlink:"
#define ID_LEN 64

/* ---- building rules ------------------------------------------------------------------------ */

_Static_assert(sizeof(struct ipt_entry) + 2 * sizeof(struct xt_entry_match) +
		       XT_ALIGN(sizeof(struct xt_sctp_info)) +
		       XT_ALIGN(sizeof(struct xt_comment_info)) + sizeof(struct xt_entry_target) +
		       XT_ALIGN(sizeof(struct nf_nat_range2)) <= NATIPT_RULE_SPACE,
	       "the largest rule fits");
_Static_assert(XT_ALIGN(sizeof(struct xt_sctp_info)) <= 512, "spill area");


static void rule_init(struct natipt_rule *r)
{
	memset(r, 0, sizeof *r);
	r->used = sizeof(struct ipt_entry);
	r->u.e.target_offset = sizeof(struct ipt_entry);
	r->u.e.next_offset = sizeof(struct ipt_entry);
}

static uint32_t prefix_mask(int plen)
{
	return plen <= 0 ? 0 : htonl(plen >= 32 ? 0xffffffffu : ~(0xffffffffu >> plen));
}

static void rule_src(struct natipt_rule *r, uint32_t addr, int plen)
{
	r->u.e.ip.smsk.s_addr = prefix_mask(plen);
	r->u.e.ip.src.s_addr = addr & r->u.e.ip.smsk.s_addr;
}

static void rule_dst(struct natipt_rule *r, uint32_t addr, int plen)
{
	r->u.e.ip.dmsk.s_addr = prefix_mask(plen);
	r->u.e.ip.dst.s_addr = addr & r->u.e.ip.dmsk.s_addr;
}

/* An exact interface name, as iptables writes it: the mask covers the name and its NUL. */
static void set_iface(char name[IFNAMSIZ], unsigned char mask[IFNAMSIZ], const char *ifname)
{
	size_t n = strnlen(ifname, IFNAMSIZ - 1);
	memcpy(name, ifname, n);
	memset(mask, 0xff, n + 1);
}

static void rule_in(struct natipt_rule *r, const char *ifname, bool invert)
{
	set_iface(r->u.e.ip.iniface, r->u.e.ip.iniface_mask, ifname);
	if (invert)
		r->u.e.ip.invflags |= IPT_INV_VIA_IN;
}

static void rule_out(struct natipt_rule *r, const char *ifname, bool invert)
{
	set_iface(r->u.e.ip.outiface, r->u.e.ip.outiface_mask, ifname);
	if (invert)
		r->u.e.ip.invflags |= IPT_INV_VIA_OUT;
}

/* Copy an extension or chain name into a name field of `size` bytes (zeroed). */
void natipt_set_name(char *field, size_t size, const char *name)
{
	size_t n = strlen(name);
	if (n > size - 1)
		n = size - 1;
	memcpy(field, name, n);
	field[n] = '\0';
}

/* Append a match; returns its zeroed data area. */
static void *rule_match(struct natipt_rule *r, const char *name, uint8_t rev, size_t size)
{
	size_t len = sizeof(struct xt_entry_match) + XT_ALIGN(size);
	size_t off = r->used;
	if (off + len > NATIPT_RULE_SPACE || size > sizeof r->spill.b) {
		r->overflow = true;
		return r->spill.b;
	}
	struct xt_entry_match m; /* the header, copied in (simpler for compilers to check) */
	memset(&m, 0, sizeof m);
	m.u.user.match_size = (uint16_t)len;
	natipt_set_name(m.u.user.name, sizeof m.u.user.name, name);
	m.u.user.revision = rev;
	memcpy(r->u.b + off, &m, sizeof m);
	r->used = off + len;
	r->u.e.target_offset = (uint16_t)(off + len);
	r->u.e.next_offset = (uint16_t)(off + len);
	return r->u.b + off + sizeof m;
}

/* Set the target (after every match); returns its zeroed data area. */
static void *rule_target(struct natipt_rule *r, const char *name, uint8_t rev, size_t size)
{
	size_t len = sizeof(struct xt_entry_target) + XT_ALIGN(size);
	size_t off = r->used;
	r->target = name;
	if (off + len > NATIPT_RULE_SPACE || size > sizeof r->spill.b) {
		r->overflow = true;
		return r->spill.b;
	}
	struct xt_entry_target t;
	memset(&t, 0, sizeof t);
	t.u.user.target_size = (uint16_t)len;
	natipt_set_name(t.u.user.name, sizeof t.u.user.name, name);
	t.u.user.revision = rev;
	memcpy(r->u.b + off, &t, sizeof t);
	r->u.e.next_offset = (uint16_t)(off + len);
	return r->u.b + off + sizeof t;
}

/* ACCEPT, DROP, RETURN or a jump to one of our chains. */
static void rule_verdict(struct natipt_rule *r, const char *name)
{
	rule_target(r, name, 0, sizeof(int));
	r->standard = true;
}

static void rule_ctstate(struct natipt_rule *r, uint16_t states)
{
	struct xt_conntrack_mtinfo3 *c = rule_match(r, "conntrack", 3, sizeof *c);
	c->match_flags = XT_CONNTRACK_STATE;
	c->state_mask = states;
}

static void rule_masquerade(struct natipt_rule *r)
{
	struct nf_nat_ipv4_multi_range_compat *m = rule_target(r, "MASQUERADE", 0, sizeof *m);
	m->rangesize = 1;
}

static const uint8_t ip_protos[CTR_NPROTO] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

/* -p <proto> -m <proto> --dport lo[:hi] */
static void rule_dports(struct natipt_rule *r, uint8_t proto, uint16_t lo, uint16_t hi)
{
	r->u.e.ip.proto = ip_protos[proto];
	if (proto == CTR_TCP) {
		struct xt_tcp *t = rule_match(r, "tcp", 0, sizeof *t);
		t->spts[1] = 0xffff;
		t->dpts[0] = lo;
		t->dpts[1] = hi;
	} else if (proto == CTR_UDP) {
		struct xt_udp *u = rule_match(r, "udp", 0, sizeof *u);
		u->spts[1] = 0xffff;
		u->dpts[0] = lo;
		u->dpts[1] = hi;
	} else {
		struct xt_sctp_info *s = rule_match(r, "sctp", 0, sizeof *s);
		s->dpts[0] = lo;
		s->dpts[1] = hi;
		s->flags = XT_SCTP_DEST_PORTS;
		for (size_t i = 0; i < XT_NUM_SCTP_FLAGS; i++) /* as iptables initializes it */
			s->flag_info[i].chunktype = 0xff;
	}
}

static void rule_comment(struct natipt_rule *r, const char *owner, const char *peer)
{
	struct xt_comment_info *c = rule_match(r, "comment", 0, sizeof *c);
	if (peer && *peer)
		snprintf(c->comment, sizeof c->comment, COMMENT_PREFIX "%.64s:%.64s", owner, peer);
	else
		snprintf(c->comment, sizeof c->comment, COMMENT_PREFIX "%.64s", owner);
}

int natipt_rule_check(const struct natipt_rule *r)
{
	if (r->overflow)
		return ctr_err(-EOVERFLOW, "internal error: an iptables rule does not fit");
	return 0;
}

/* ---- the rules of the layout (nat.h) ------------------------------------------------------ */


void natipt_jump_local(struct natipt_rule *r, const char *chain)
{
	rule_init(r);
	struct xt_addrtype_info_v1 *a = rule_match(r, "addrtype", 1, sizeof *a);
	a->dest = XT_ADDRTYPE_LOCAL;
	rule_verdict(r, chain);
}

void natipt_jump(struct natipt_rule *r, const char *chain)
{
	rule_init(r);
	rule_verdict(r, chain);
}

/* The POSTROUTING rules; an external bridge gets the first two only.  Returns how many. */
size_t natipt_post_rules(const struct natipt_layout *nat, struct natipt_rule v[NATIPT_N_POST])
{
	const struct nat_net *n = &nat->net;
	/* -s S -d S -o br -m conntrack --ctstate DNAT -j MASQUERADE          hairpin */
	rule_init(&v[0]);
	rule_src(&v[0], n->subnet, n->prefixlen);
	rule_dst(&v[0], n->subnet, n->prefixlen);
	rule_out(&v[0], n->bridge, false);
	rule_ctstate(&v[0], XT_CONNTRACK_STATE_DNAT);
	rule_masquerade(&v[0]);
	/* -s 127.0.0.0/8 -o br -j MASQUERADE                                localhost */
	rule_init(&v[1]);
	rule_src(&v[1], htonl(0x7f000000), 8);
	rule_out(&v[1], n->bridge, false);
	rule_masquerade(&v[1]);
	/* -s S ! -o br -j MASQUERADE                                        outbound */
	rule_init(&v[2]);
	rule_src(&v[2], n->subnet, n->prefixlen);
	rule_out(&v[2], n->bridge, true);
	rule_masquerade(&v[2]);
	return n->external ? 2 : NATIPT_N_POST;
}

/* The FORWARD rules; an external bridge gets the first two only (established, DNAT'd).
 * Returns how many. */
size_t natipt_fwd_rules(const struct natipt_layout *nat, struct natipt_rule v[NATIPT_N_FWD])
{
	const char *br = nat->net.bridge;
	rule_init(&v[0]);
	rule_out(&v[0], br, false);
	rule_ctstate(&v[0], XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
				    XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED));
	rule_verdict(&v[0], "ACCEPT");
	rule_init(&v[1]);
	rule_out(&v[1], br, false);
	rule_ctstate(&v[1], XT_CONNTRACK_STATE_DNAT);
	rule_verdict(&v[1], "ACCEPT");
	rule_init(&v[2]);
	rule_in(&v[2], br, false);
	rule_out(&v[2], br, false);
	rule_verdict(&v[2], nat->link);
	rule_init(&v[3]);
	rule_in(&v[3], br, false);
	rule_out(&v[3], br, false);
	rule_verdict(&v[3], nat->net.icc ? "ACCEPT" : "DROP");
	rule_init(&v[4]);
	rule_in(&v[4], br, false);
	rule_out(&v[4], br, true);
	rule_verdict(&v[4], "ACCEPT");
	rule_init(&v[5]);
	rule_out(&v[5], br, false);
	rule_verdict(&v[5], "DROP");
	return nat->net.external ? 2 : NATIPT_N_FWD;
}

/* -d 127.0.0.0/8 ! -i lo -j DROP */
void natipt_raw_rule(struct natipt_rule *r)
{
	rule_init(r);
	rule_dst(r, htonl(0x7f000000), 8);
	rule_in(r, "lo", true);
	rule_verdict(r, "DROP");
}

/* The entry for a per-container rule (already validated). */
void natipt_encode(const struct nat_rule *nr, struct natipt_rule *r)
{
	rule_init(r);
	if (nr->kind == NAT_RULE_DNAT) {
		const typeof(nr->u.dnat) *d = &nr->u.dnat;
		if (d->host_ip)
			rule_dst(r, d->host_ip, 32);
		rule_dports(r, nr->proto, d->hport_lo, d->hport_hi);
		rule_comment(r, nr->owner, NULL);
		struct nf_nat_range2 *t = rule_target(r, "DNAT", 2, sizeof *t);
		t->flags = NF_NAT_RANGE_MAP_IPS;
		t->min_addr.ip = d->cip;
		t->max_addr.ip = d->cip;
		/* Same ports: the address alone (a DNAT never changes the port it is not given).
		 * Otherwise the port, or the run shifted by its offset:
		 * hport_lo+k -> cport_lo+k. */
		if (d->cport_lo != d->hport_lo) {
			unsigned span = (unsigned)d->hport_hi - d->hport_lo;
			t->flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
			t->min_proto.all = htons(d->cport_lo);
			t->max_proto.all = htons((uint16_t)(d->cport_lo + span));
			if (span) {
				t->flags |= NF_NAT_RANGE_PROTO_OFFSET;
				t->base_proto.all = htons(d->hport_lo);
			}
		}
	} else {
		const typeof(nr->u.link) *l = &nr->u.link;
		rule_src(r, l->src, 32);
		rule_dst(r, l->dst, 32);
		rule_dports(r, nr->proto, l->port_lo, l->port_hi);
		rule_comment(r, nr->owner, nr->peer);
		rule_verdict(r, "ACCEPT");
	}
}

/* ---- reading rules back ------------------------------------------------------------------- */

static const struct xt_entry_match *next_match(const struct ipt_entry *e, size_t *off)
{
	if (*off + sizeof(struct xt_entry_match) > e->target_offset)
		return NULL;
	const struct xt_entry_match *m = (const void *)((const char *)e + *off);
	if (m->u.match_size < sizeof *m || *off + m->u.match_size > e->target_offset)
		return NULL;
	*off += m->u.match_size;
	return m;
}

bool natipt_name_is(const char *field, size_t size, const char *name)
{
	return strncmp(field, name, size) == 0;
}

static const struct xt_entry_match *find_match(const struct ipt_entry *e, const char *name)
{
	size_t off = sizeof *e;
	const struct xt_entry_match *m;
	while ((m = next_match(e, &off)))
		if (natipt_name_is(m->u.user.name, sizeof m->u.user.name, name))
			return m;
	return NULL;
}

static size_t match_data_len(const struct xt_entry_match *m)
{
	return m->u.match_size - sizeof *m;
}

/* true if the entry `have` (read through `h`) is exactly the rule `want`.  Match and target
 * names are compared as strings: the kernel leaves garbage after their NUL. */
bool natipt_entry_is(const struct ipt_entry *have, const char *tn,
		     const struct natipt_rule *want)
{
	const struct ipt_entry *w = &want->u.e;
	if (memcmp(&have->ip, &w->ip, sizeof w->ip) != 0 ||
	    have->target_offset != w->target_offset || have->next_offset != w->next_offset)
		return false;
	size_t off = sizeof *w;
	while (off < w->target_offset) {
		const struct xt_entry_match *a = (const void *)((const char *)have + off);
		const struct xt_entry_match *b = (const void *)((const char *)w + off);
		if (a->u.match_size != b->u.match_size ||
		    a->u.user.revision != b->u.user.revision ||
		    !natipt_name_is(a->u.user.name, sizeof a->u.user.name, b->u.user.name) ||
		    memcmp(a->data, b->data, match_data_len(b)) != 0)
			return false;
		off += b->u.match_size;
	}
	if (!tn || strcmp(tn, want->target) != 0)
		return false;
	if (want->standard)
		return true;
	const struct xt_entry_target *ta = (const void *)((const char *)have + off);
	const struct xt_entry_target *tb = (const void *)((const char *)w + off);
	return ta->u.target_size == tb->u.target_size &&
	       ta->u.user.revision == tb->u.user.revision &&
	       memcmp(ta->data, tb->data, tb->u.target_size - sizeof *tb) == 0;
}

/* The owners named by a rule's "ctrlink:<owner>[:<peer>]" comment; false if it has none. */
bool natipt_rule_owners(const struct ipt_entry *e, char owner[ID_LEN + 1], char peer[ID_LEN + 1])
{
	const struct xt_entry_match *m = find_match(e, "comment");
	if (!m || match_data_len(m) < sizeof(struct xt_comment_info))
		return false;
	const char *c = ((const struct xt_comment_info *)m->data)->comment;
	size_t len = strnlen(c, XT_MAX_COMMENT_LEN);
	size_t pl = strlen(COMMENT_PREFIX);
	if (len < pl + ID_LEN || memcmp(c, COMMENT_PREFIX, pl) != 0)
		return false;
	c += pl;
	len -= pl;
	memcpy(owner, c, ID_LEN);
	owner[ID_LEN] = '\0';
	peer[0] = '\0';
	if (len == ID_LEN + 1 + ID_LEN && c[ID_LEN] == ':') {
		memcpy(peer, c + ID_LEN + 1, ID_LEN);
		peer[ID_LEN] = '\0';
		if (!id_valid(peer, ID_LEN + 1))
			return false;
	} else if (len != ID_LEN) {
		return false;
	}
	return id_valid(owner, ID_LEN + 1);
}

static bool dports_of(const struct ipt_entry *e, uint8_t *proto, uint16_t *lo, uint16_t *hi)
{
	const struct xt_entry_match *m;
	switch (e->ip.proto) {
	case IPPROTO_TCP:
		*proto = CTR_TCP;
		m = find_match(e, "tcp");
		if (!m || match_data_len(m) < sizeof(struct xt_tcp))
			return false;
		*lo = ((const struct xt_tcp *)m->data)->dpts[0];
		*hi = ((const struct xt_tcp *)m->data)->dpts[1];
		return true;
	case IPPROTO_UDP:
		*proto = CTR_UDP;
		m = find_match(e, "udp");
		if (!m || match_data_len(m) < sizeof(struct xt_udp))
			return false;
		*lo = ((const struct xt_udp *)m->data)->dpts[0];
		*hi = ((const struct xt_udp *)m->data)->dpts[1];
		return true;
	case IPPROTO_SCTP:
		*proto = CTR_SCTP;
		m = find_match(e, "sctp");
		if (!m || match_data_len(m) < sizeof(struct xt_sctp_info))
			return false;
		*lo = ((const struct xt_sctp_info *)m->data)->dpts[0];
		*hi = ((const struct xt_sctp_info *)m->data)->dpts[1];
		return true;
	default:
		return false;
	}
}

/* Decode an entry of our chain for `kind` whose comment named owner/peer.  Cheap and lenient:
 * `exact` then says whether the entry is byte for byte the rule it decodes to. */
bool natipt_decode(const struct ipt_entry *e, const char *tn, uint8_t kind, const char owner[65],
		   const char peer[65], struct nat_rule *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	memcpy(out->owner, owner, sizeof out->owner);
	memcpy(out->peer, peer, sizeof out->peer);
	uint16_t lo, hi;
	if (!dports_of(e, &out->proto, &lo, &hi))
		return false;
	if (kind == NAT_RULE_LINK) {
		if (!peer[0])
			return false;
		out->u.link.src = e->ip.src.s_addr;
		out->u.link.dst = e->ip.dst.s_addr;
		out->u.link.port_lo = lo;
		out->u.link.port_hi = hi;
		return true;
	}
	if (peer[0])
		return false;
	if (!tn || strcmp(tn, "DNAT") != 0)
		return false;
	const struct xt_entry_target *t = (const void *)((const char *)e + e->target_offset);
	if (t->u.target_size < sizeof *t + sizeof(struct nf_nat_range2) ||
	    e->target_offset + t->u.target_size > e->next_offset || t->u.user.revision != 2)
		return false;
	const struct nf_nat_range2 *range = (const void *)t->data;
	out->u.dnat.host_ip = e->ip.dmsk.s_addr ? e->ip.dst.s_addr : 0;
	out->u.dnat.hport_lo = lo;
	out->u.dnat.hport_hi = hi;
	out->u.dnat.cip = range->min_addr.ip;
	out->u.dnat.cport_lo = (range->flags & NF_NAT_RANGE_PROTO_SPECIFIED) ?
				       ntohs(range->min_proto.all) : lo;
	return true;
}

bool natipt_exact(const struct ipt_entry *e, const char *tn, const struct nat_rule *nr)
{
	struct natipt_rule r;
	natipt_encode(nr, &r);
	return !r.overflow && natipt_entry_is(e, tn, &r);
}

