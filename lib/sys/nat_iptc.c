/* The iptables backend of the NAT module, written in-process through libiptc (the legacy
 * x_tables interface); the iptables command is never run.
 *
 * Every operation is one read-modify-commit under the xtables lock, exactly as the iptables
 * 1.8 tools do it: open /run/xtables.lock (or $XTABLES_LOCKFILE), flock it exclusively, load
 * only the tables the operation touches (iptc_init), edit them in memory (the base layout of
 * nat.h and the per-container rules), commit each changed table once (iptc_commit), close
 * the lock.  An unchanged table is not committed.  A commit that fails with EAGAIN (a writer
 * that ignores the lock changed the table under us) is retried on a fresh copy of that table.
 *
 * Rules are built by hand as struct ipt_entry + matches + target.  Rules we read back are
 * compared field by field (the kernel returns garbage after the NUL of match names), and a
 * per-container rule counts as ours only if it is byte for byte what we would write for the
 * struct nat_rule it decodes to, so list() and the "already present" test are exact.
 *
 * Per-container rules carry their owners in a comment: "ctrlink:<owner>" (DNAT) and
 * "ctrlink:<owner>:<peer>" (LINK), full 64-hex container IDs.
 *
 * Thread safety: no mutable globals here.  libiptc itself writes one global (the name of
 * the last function called, used by iptc_strerror); every libiptc call below is made while
 * holding the flock on an open file description of our own, so calls from several threads
 * (or handles) are serialized by the lock. */
#include "core/nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libiptc.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_sctp.h>
#include <linux/netfilter/xt_tcpudp.h>

#include "core/model.h"
#include "core/natrules.h"
#include "core/util.h"

#define XT_LOCK_DEFAULT "/run/xtables.lock"
#define XT_LOCK_TIMEOUT_MS 30000
#define COMMIT_TRIES 5
#define COMMENT_PREFIX "ctrlink:"
#define ID_LEN 64
/* Longest chain name a jump can name (the target name field holds 29 bytes with the NUL). */
#define CHAIN_MAX (XT_EXTENSION_MAXNAMELEN - 1)
#define BRIDGE_MAX 15
/* Delete at most this many rules of a chain one by one (each is a walk of the chain);
 * beyond, the chain is rebuilt from the rules it keeps. */
#define DELETE_ONE_BY_ONE 16

enum { T_NAT, T_FILTER, T_RAW, T_N };
#define TB(t) (1u << (t))
static const char *const table_names[T_N] = { "nat", "filter", "raw" };

struct nat {
	struct nat_net net;
	xt_chainlabel dnat, post, fwd, link, raw;
};

/* ---- errors ------------------------------------------------------------------------------ */

/* Report a failed libiptc call (errno is its error) and return the negative errno. */
PRINTF(2, 3) static int iptc_fail(const char *table, const char *fmt, ...)
{
	int e = errno;
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (e == 0) /* libiptc: "version error" */
		return ctr_err(-EPROTO, "iptables %s table: %s: libiptc and kernel disagree",
			       table, what);
	return ctr_err(-e, "iptables %s table: %s: %s", table, what, iptc_strerror(e));
}

/* ---- the xtables lock -------------------------------------------------------------------- */

static long ms_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Take the lock the iptables tools take; returns its fd (close it to release). */
static int xt_lock(void)
{
	const char *path = getenv("XTABLES_LOCKFILE");
	if (!path || !*path)
		path = XT_LOCK_DEFAULT;
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return ctr_err_sys(-errno, "cannot open the xtables lock %s", path);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long wait_ms = 1;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = -errno;
			close(fd);
			return ctr_err_sys(e, "cannot lock the xtables lock %s", path);
		}
		long left = XT_LOCK_TIMEOUT_MS - ms_since(&t0);
		if (left <= 0) {
			close(fd);
			return ctr_err(-EBUSY, "another program holds the xtables lock %s", path);
		}
		long ms = wait_ms < left ? wait_ms : left;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		if (wait_ms < 64)
			wait_ms *= 2;
	}
}

/* ---- building rules ------------------------------------------------------------------------
 * A rule is built in a fixed buffer: the entry, its matches, then its target.  The buffer
 * holds the largest rule we build (checked at compile time); `spill` only guards against a
 * mistake in that reasoning (the rule is then refused). */

#define RULE_SPACE 1024

struct rule {
	union {
		uint64_t align;
		unsigned char b[512];
	} spill;
	size_t used;        /* bytes of u.b in use: the entry and its matches */
	const char *target; /* a verdict, a chain of ours, or a module name ("DNAT") */
	bool standard;      /* a verdict or a jump: libiptc resolves it by name */
	bool overflow;
	union { /* last: struct ipt_entry ends in a flexible array */
		struct ipt_entry e;
		unsigned char b[RULE_SPACE];
	} u;
};

_Static_assert(sizeof(struct ipt_entry) + 2 * sizeof(struct xt_entry_match) +
		       XT_ALIGN(sizeof(struct xt_sctp_info)) +
		       XT_ALIGN(sizeof(struct xt_comment_info)) + sizeof(struct xt_entry_target) +
		       XT_ALIGN(sizeof(struct nf_nat_range2)) <= RULE_SPACE,
	       "the largest rule fits");
_Static_assert(XT_ALIGN(sizeof(struct xt_sctp_info)) <= 512, "spill area");

static void rule_init(struct rule *r)
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

static void rule_src(struct rule *r, uint32_t addr, int plen)
{
	r->u.e.ip.smsk.s_addr = prefix_mask(plen);
	r->u.e.ip.src.s_addr = addr & r->u.e.ip.smsk.s_addr;
}

static void rule_dst(struct rule *r, uint32_t addr, int plen)
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

static void rule_in(struct rule *r, const char *ifname, bool invert)
{
	set_iface(r->u.e.ip.iniface, r->u.e.ip.iniface_mask, ifname);
	if (invert)
		r->u.e.ip.invflags |= IPT_INV_VIA_IN;
}

static void rule_out(struct rule *r, const char *ifname, bool invert)
{
	set_iface(r->u.e.ip.outiface, r->u.e.ip.outiface_mask, ifname);
	if (invert)
		r->u.e.ip.invflags |= IPT_INV_VIA_OUT;
}

/* Copy an extension or chain name into a name field of `size` bytes (zeroed). */
static void set_name(char *field, size_t size, const char *name)
{
	size_t n = strlen(name);
	if (n > size - 1)
		n = size - 1;
	memcpy(field, name, n);
	field[n] = '\0';
}

/* Append a match; returns its zeroed data area. */
static void *rule_match(struct rule *r, const char *name, uint8_t rev, size_t size)
{
	size_t len = sizeof(struct xt_entry_match) + XT_ALIGN(size);
	size_t off = r->used;
	if (off + len > RULE_SPACE || size > sizeof r->spill.b) {
		r->overflow = true;
		return r->spill.b;
	}
	struct xt_entry_match m; /* the header, copied in (simpler for compilers to check) */
	memset(&m, 0, sizeof m);
	m.u.user.match_size = (uint16_t)len;
	set_name(m.u.user.name, sizeof m.u.user.name, name);
	m.u.user.revision = rev;
	memcpy(r->u.b + off, &m, sizeof m);
	r->used = off + len;
	r->u.e.target_offset = (uint16_t)(off + len);
	r->u.e.next_offset = (uint16_t)(off + len);
	return r->u.b + off + sizeof m;
}

/* Set the target (after every match); returns its zeroed data area. */
static void *rule_target(struct rule *r, const char *name, uint8_t rev, size_t size)
{
	size_t len = sizeof(struct xt_entry_target) + XT_ALIGN(size);
	size_t off = r->used;
	r->target = name;
	if (off + len > RULE_SPACE || size > sizeof r->spill.b) {
		r->overflow = true;
		return r->spill.b;
	}
	struct xt_entry_target t;
	memset(&t, 0, sizeof t);
	t.u.user.target_size = (uint16_t)len;
	set_name(t.u.user.name, sizeof t.u.user.name, name);
	t.u.user.revision = rev;
	memcpy(r->u.b + off, &t, sizeof t);
	r->u.e.next_offset = (uint16_t)(off + len);
	return r->u.b + off + sizeof t;
}

/* ACCEPT, DROP, RETURN or a jump to one of our chains. */
static void rule_verdict(struct rule *r, const char *name)
{
	rule_target(r, name, 0, sizeof(int));
	r->standard = true;
}

static void rule_ctstate(struct rule *r, uint16_t states)
{
	struct xt_conntrack_mtinfo3 *c = rule_match(r, "conntrack", 3, sizeof *c);
	c->match_flags = XT_CONNTRACK_STATE;
	c->state_mask = states;
}

static void rule_masquerade(struct rule *r)
{
	struct nf_nat_ipv4_multi_range_compat *m = rule_target(r, "MASQUERADE", 0, sizeof *m);
	m->rangesize = 1;
}

static const uint8_t ip_protos[CTR_NPROTO] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

/* -p <proto> -m <proto> --dport lo[:hi] */
static void rule_dports(struct rule *r, uint8_t proto, uint16_t lo, uint16_t hi)
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

static void rule_comment(struct rule *r, const char *owner, const char *peer)
{
	struct xt_comment_info *c = rule_match(r, "comment", 0, sizeof *c);
	if (peer && *peer)
		snprintf(c->comment, sizeof c->comment, COMMENT_PREFIX "%.64s:%.64s", owner, peer);
	else
		snprintf(c->comment, sizeof c->comment, COMMENT_PREFIX "%.64s", owner);
}

static int rule_check(const struct rule *r)
{
	if (r->overflow)
		return ctr_err(-EOVERFLOW, "internal error: an iptables rule does not fit");
	return 0;
}

/* ---- the rules of the layout (nat.h) ------------------------------------------------------ */

#define N_POST 3
#define N_FWD 6

static void jump_local(struct rule *r, const char *chain)
{
	rule_init(r);
	struct xt_addrtype_info_v1 *a = rule_match(r, "addrtype", 1, sizeof *a);
	a->dest = XT_ADDRTYPE_LOCAL;
	rule_verdict(r, chain);
}

static void jump(struct rule *r, const char *chain)
{
	rule_init(r);
	rule_verdict(r, chain);
}

/* The POSTROUTING rules; an external bridge gets the first two only.  Returns how many. */
static size_t post_rules(const struct nat *nat, struct rule v[N_POST])
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
	return n->external ? 2 : N_POST;
}

/* The FORWARD rules; an external bridge gets the first two only (established, DNAT'd).
 * Returns how many. */
static size_t fwd_rules(const struct nat *nat, struct rule v[N_FWD])
{
	const char *br = nat->net.bridge;
	rule_init(&v[0]);
	rule_out(&v[0], br, false);
	rule_ctstate(&v[0], XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) |
				    XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED));
	rule_verdict(&v[0], IPTC_LABEL_ACCEPT);
	rule_init(&v[1]);
	rule_out(&v[1], br, false);
	rule_ctstate(&v[1], XT_CONNTRACK_STATE_DNAT);
	rule_verdict(&v[1], IPTC_LABEL_ACCEPT);
	rule_init(&v[2]);
	rule_in(&v[2], br, false);
	rule_out(&v[2], br, false);
	rule_verdict(&v[2], nat->link);
	rule_init(&v[3]);
	rule_in(&v[3], br, false);
	rule_out(&v[3], br, false);
	rule_verdict(&v[3], nat->net.icc ? IPTC_LABEL_ACCEPT : IPTC_LABEL_DROP);
	rule_init(&v[4]);
	rule_in(&v[4], br, false);
	rule_out(&v[4], br, true);
	rule_verdict(&v[4], IPTC_LABEL_ACCEPT);
	rule_init(&v[5]);
	rule_out(&v[5], br, false);
	rule_verdict(&v[5], IPTC_LABEL_DROP);
	return nat->net.external ? 2 : N_FWD;
}

/* -d 127.0.0.0/8 ! -i lo -j DROP */
static void raw_rule(struct rule *r)
{
	rule_init(r);
	rule_dst(r, htonl(0x7f000000), 8);
	rule_in(r, "lo", true);
	rule_verdict(r, IPTC_LABEL_DROP);
}

/* The entry for a per-container rule (already validated). */
static void encode(const struct nat_rule *nr, struct rule *r)
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
		rule_verdict(r, IPTC_LABEL_ACCEPT);
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

static bool name_is(const char *field, size_t size, const char *name)
{
	return strncmp(field, name, size) == 0;
}

static const struct xt_entry_match *find_match(const struct ipt_entry *e, const char *name)
{
	size_t off = sizeof *e;
	const struct xt_entry_match *m;
	while ((m = next_match(e, &off)))
		if (name_is(m->u.user.name, sizeof m->u.user.name, name))
			return m;
	return NULL;
}

static size_t match_data_len(const struct xt_entry_match *m)
{
	return m->u.match_size - sizeof *m;
}

/* true if the entry `have` (read through `h`) is exactly the rule `want`.  Match and target
 * names are compared as strings: the kernel leaves garbage after their NUL. */
static bool entry_is(struct xtc_handle *h, const struct ipt_entry *have, const struct rule *want)
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
		    !name_is(a->u.user.name, sizeof a->u.user.name, b->u.user.name) ||
		    memcmp(a->data, b->data, match_data_len(b)) != 0)
			return false;
		off += b->u.match_size;
	}
	const char *tn = iptc_get_target(have, h);
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
static bool rule_owners(const struct ipt_entry *e, char owner[ID_LEN + 1], char peer[ID_LEN + 1])
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
		if (!nat_id_valid(peer, ID_LEN + 1))
			return false;
	} else if (len != ID_LEN) {
		return false;
	}
	return nat_id_valid(owner, ID_LEN + 1);
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
static bool decode(struct xtc_handle *h, const struct ipt_entry *e, uint8_t kind,
		   const char *owner, const char *peer, struct nat_rule *out)
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
	const char *tn = iptc_get_target(e, h);
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

static bool exact(struct xtc_handle *h, const struct ipt_entry *e, const struct nat_rule *nr)
{
	struct rule r;
	encode(nr, &r);
	return !r.overflow && entry_is(h, e, &r);
}

/* ---- validation ---------------------------------------------------------------------------- */

static int check_rule(const struct nat_rule *r, const char *list, size_t i)
{
	if (r->family == AF_INET6)
		return ctr_err(-EAFNOSUPPORT, "the iptables NAT backend handles IPv4 only (use the "
			       "nftables backend for IPv6)");
	return nat_rule_check(r, list, i);
}

/* ---- table sessions ------------------------------------------------------------------------ */

/* Edit one loaded table in memory; set *changed if it must be committed. */
typedef int (*table_fn)(struct nat *nat, int t, struct xtc_handle *h, void *arg,
			bool *changed);

static int load(struct nat *nat, int t, table_fn fn, void *arg, struct xtc_handle **hp,
		bool *changed)
{
	*changed = false;
	struct xtc_handle *h = iptc_init(table_names[t]);
	if (!h)
		return iptc_fail(table_names[t], "cannot read it");
	int r = fn(nat, t, h, arg, changed);
	if (r < 0) {
		iptc_free(h);
		return r;
	}
	*hp = h;
	return 0;
}

/* Under the xtables lock: load the tables in `tables`, edit each with `fn`, then commit each
 * changed one once.  All tables are edited before the first commit, so a failure while
 * editing changes nothing.  (The kernel has no transaction across tables: only a commit that
 * fails after another table's commit succeeded leaves that table changed; every txn is
 * idempotent, so repeating it completes it.) */
static int with_tables(struct nat *nat, unsigned tables, table_fn fn, void *arg)
{
	struct xtc_handle *h[T_N] = { NULL };
	bool changed[T_N] = { false };
	const char *done = NULL;
	int lock = xt_lock();
	if (lock < 0)
		return lock;
	int r = 0;
	for (int t = 0; t < T_N && r >= 0; t++)
		if (tables & TB(t))
			r = load(nat, t, fn, arg, &h[t], &changed[t]);
	for (int t = 0; t < T_N && r >= 0; t++) {
		for (int tries = 1; h[t] && changed[t]; tries++) {
			if (iptc_commit(h[t])) {
				done = table_names[t];
				break;
			}
			int e = errno;
			if (e != EAGAIN || tries == COMMIT_TRIES) {
				const char *tn = table_names[t];
				errno = e;
				if (e == EAGAIN)
					r = ctr_err(-EAGAIN, "iptables %s table: it kept "
						    "changing under us (%d tries); something "
						    "writes it without taking the xtables lock",
						    tn, tries);
				else
					r = iptc_fail(tn, "cannot commit");
				if (done)
					ctr_err_prefix(r, "(the %s table was already changed)",
						       done);
				break;
			}
			iptc_free(h[t]);
			h[t] = NULL;
			r = load(nat, t, fn, arg, &h[t], &changed[t]);
			if (r < 0)
				break;
		}
	}
	for (int t = 0; t < T_N; t++)
		if (h[t])
			iptc_free(h[t]);
	close(lock);
	return r;
}

/* ---- the base layout -------------------------------------------------------------------- */

static int ensure_chain(struct xtc_handle *h, const char *table, const char *chain,
			bool *changed)
{
	if (iptc_is_chain(chain, h))
		return 0;
	if (!iptc_create_chain(chain, h))
		return iptc_fail(table, "cannot create chain %s", chain);
	*changed = true;
	return 0;
}

/* Make a chain of ours hold exactly `want`, in order (rewritten if it differs). */
static int ensure_content(struct xtc_handle *h, const char *table, const char *chain,
			  const struct rule *want, size_t n, bool *changed)
{
	size_t i = 0;
	bool same = true;
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e;
	     e = iptc_next_rule(e, h), i++)
		if (i >= n || !entry_is(h, e, &want[i])) {
			same = false;
			break;
		}
	if (same && i == n)
		return 0;
	if (!iptc_flush_entries(chain, h))
		return iptc_fail(table, "cannot flush chain %s", chain);
	for (i = 0; i < n; i++) {
		int r = rule_check(&want[i]);
		if (r < 0)
			return r;
		if (!iptc_append_entry(chain, &want[i].u.e, h))
			return iptc_fail(table, "cannot add a rule to chain %s", chain);
	}
	*changed = true;
	return 0;
}

/* Make the jump `want` exist exactly once in a built-in chain: first, or appended.  One
 * found elsewhere in the chain stays where it is; extra copies (ours) are removed. */
static int ensure_jump(struct xtc_handle *h, const char *table, const char *builtin,
		       const struct rule *want, bool first, bool *changed)
{
	int r = rule_check(want);
	if (r < 0)
		return r;
	for (;;) {
		unsigned i = 0, count = 0, last = 0;
		for (const struct ipt_entry *e = iptc_first_rule(builtin, h); e;
		     e = iptc_next_rule(e, h), i++)
			if (entry_is(h, e, want)) {
				count++;
				last = i;
			}
		if (count == 1)
			return 0;
		*changed = true;
		if (count == 0) {
			int ok = first ? iptc_insert_entry(builtin, &want->u.e, 0, h) :
					 iptc_append_entry(builtin, &want->u.e, h);
			if (!ok)
				return iptc_fail(table, "cannot add the jump to %s in %s",
						 want->target, builtin);
			return 0;
		}
		if (!iptc_delete_num_entry(builtin, last, h))
			return iptc_fail(table, "cannot delete a duplicate jump in %s", builtin);
	}
}

/* One table's part of the layout: its chains exist, one of them holds exactly `body`, and the
 * built-in chains jump to ours (jump[i] into builtin[i], first or appended). */
struct base_part {
	const char *chains[2];
	const char *content;
	struct rule body[N_FWD];
	size_t n_body;
	struct rule jump[3];
	const char *builtin[3];
	bool first[3];
	size_t n_jumps;
};

/* Jump i: from `builtin`, inserted first or appended. */
static struct rule *base_jump(struct base_part *p, const char *builtin, bool first)
{
	p->builtin[p->n_jumps] = builtin;
	p->first[p->n_jumps] = first;
	return &p->jump[p->n_jumps++];
}

static void base_part(const struct nat *nat, int t, struct base_part *p)
{
	memset(p, 0, sizeof *p);
	switch (t) {
	case T_NAT:
		p->chains[0] = nat->dnat;
		p->chains[1] = p->content = nat->post;
		p->n_body = post_rules(nat, p->body);
		jump_local(base_jump(p, "PREROUTING", false), nat->dnat);
		jump_local(base_jump(p, "OUTPUT", false), nat->dnat);
		jump(base_jump(p, "POSTROUTING", true), nat->post);
		break;
	case T_FILTER:
		p->chains[0] = nat->link;
		p->chains[1] = p->content = nat->fwd;
		p->n_body = fwd_rules(nat, p->body);
		jump(base_jump(p, "FORWARD", true), nat->fwd);
		break;
	default:
		p->chains[0] = p->content = nat->raw;
		raw_rule(&p->body[0]);
		p->n_body = 1;
		jump(base_jump(p, "PREROUTING", true), nat->raw);
		break;
	}
}

static int base_table(struct nat *nat, int t, struct xtc_handle *h, void *arg, bool *changed)
{
	(void)arg;
	const char *tb = table_names[t];
	struct base_part *p = malloc(sizeof *p);
	if (!p)
		return ctr_err(-ENOMEM, "out of memory");
	base_part(nat, t, p);
	int r = 0;
	for (size_t i = 0; i < 2 && p->chains[i] && r >= 0; i++)
		r = ensure_chain(h, tb, p->chains[i], changed);
	if (r >= 0)
		r = ensure_content(h, tb, p->content, p->body, p->n_body, changed);
	for (size_t i = 0; i < p->n_jumps && r >= 0; i++)
		r = ensure_jump(h, tb, p->builtin[i], &p->jump[i], p->first[i], changed);
	free(p);
	return r;
}

/* ---- apply ------------------------------------------------------------------------------- */

/* The txn, split by table: [0] DNAT rules (nat), [1] LINK rules (filter). */
struct apply_ctx {
	const struct nat_txn *txn;
	const char **drop; /* sorted */
	size_t n_drop;
	const struct nat_rule **del[2], **add[2]; /* sorted by nat_rule_ptr_cmp */
	size_t n_del[2], n_add[2];
	bool *dup;  /* per txn->add index: an earlier add is the same rule */
	bool *skip; /* per txn->add index: not to be added (scratch of one table edit) */
};

static bool dropped(const struct apply_ctx *c, const char *owner, const char *peer)
{
	return nat_ids_name(c->drop, c->n_drop, owner, peer);
}

/* An existing rule equal to `cur`: the adds that equal it are already there. */
static void mark_present(struct apply_ctx *c, int k, const struct nat_rule *cur)
{
	size_t i = nat_rule_lower_bound(c->add[k], c->n_add[k], cur);
	for (; i < c->n_add[k] && nat_rule_cmp(c->add[k][i], cur) == 0; i++)
		c->skip[c->add[k][i] - c->txn->add] = true;
}

/* Delete the rules at positions idx[0] < idx[1] < ... of a chain of `total` rules. */
static int delete_rules(struct xtc_handle *h, const char *table, const char *chain,
			const unsigned *idx, size_t n, unsigned total)
{
	if (n <= DELETE_ONE_BY_ONE) {
		for (size_t i = n; i-- > 0;)
			if (!iptc_delete_num_entry(chain, idx[i], h))
				return iptc_fail(table, "cannot delete a rule of chain %s", chain);
		return 0;
	}
	/* Many: copy the rules that stay, flush, put them back (counters are kept). */
	size_t n_keep = total - n, k = 0, d = 0;
	struct ipt_entry **keep = calloc(n_keep ? n_keep : 1, sizeof *keep);
	if (!keep)
		return ctr_err(-ENOMEM, "out of memory");
	int r = 0;
	unsigned i = 0;
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e && k < n_keep;
	     e = iptc_next_rule(e, h), i++) {
		if (d < n && idx[d] == i) {
			d++;
			continue;
		}
		keep[k] = malloc(e->next_offset);
		if (!keep[k]) {
			r = ctr_err(-ENOMEM, "out of memory");
			goto out;
		}
		memcpy(keep[k], e, e->next_offset);
		/* A verdict or a jump reads back with an empty target name (the kernel's
		 * standard target): name it again, or libiptc would take it for a fall-through. */
		struct xt_entry_target *tg = (void *)((char *)keep[k] + e->target_offset);
		const char *tn = iptc_get_target(e, h);
		if (tn && !name_is(tg->u.user.name, sizeof tg->u.user.name, tn)) {
			memset(tg->u.user.name, 0, sizeof tg->u.user.name);
			set_name(tg->u.user.name, sizeof tg->u.user.name, tn);
		}
		k++;
	}
	if (k != n_keep) {
		r = ctr_err(-EIO, "iptables %s table: chain %s changed while being read", table,
			    chain);
		goto out;
	}
	if (!iptc_flush_entries(chain, h)) {
		r = iptc_fail(table, "cannot flush chain %s", chain);
		goto out;
	}
	for (k = 0; k < n_keep; k++)
		if (!iptc_append_entry(chain, keep[k], h)) {
			r = iptc_fail(table, "cannot put back a rule of chain %s", chain);
			goto out;
		}
out:
	for (k = 0; k < n_keep; k++)
		free(keep[k]);
	free(keep);
	return r;
}

static int apply_table(struct nat *nat, int t, struct xtc_handle *h, void *arg, bool *changed)
{
	struct apply_ctx *c = arg;
	const char *tb = table_names[t];
	int k = t == T_NAT ? 0 : 1;
	uint8_t kind = t == T_NAT ? NAT_RULE_DNAT : NAT_RULE_LINK;
	const char *chain = t == T_NAT ? nat->dnat : nat->link;
	int r = base_table(nat, t, h, NULL, changed);
	if (r < 0)
		return r;

	for (size_t i = 0; i < c->n_add[k]; i++) {
		size_t pos = (size_t)(c->add[k][i] - c->txn->add);
		c->skip[pos] = c->dup[pos];
	}

	/* One walk of the chain: what goes, and which adds are already there. */
	unsigned *dels = NULL, total = 0;
	size_t n_dels = 0, cap = 0;
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e;
	     e = iptc_next_rule(e, h), total++) {
		char owner[ID_LEN + 1], peer[ID_LEN + 1];
		if (!rule_owners(e, owner, peer))
			continue; /* not a rule of ours: left alone */
		bool del = dropped(c, owner, peer);
		struct nat_rule cur;
		if (!del && (c->n_del[k] || c->n_add[k]) && decode(h, e, kind, owner, peer, &cur)) {
			bool in_del = nat_rule_in_sorted(c->del[k], c->n_del[k], &cur);
			bool in_add = nat_rule_in_sorted(c->add[k], c->n_add[k], &cur);
			if ((in_del || in_add) && exact(h, e, &cur)) {
				if (in_del)
					del = true;
				else
					mark_present(c, k, &cur);
			}
		}
		if (!del)
			continue;
		if (n_dels == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			unsigned *nd = realloc(dels, ncap * sizeof *nd);
			if (!nd) {
				free(dels);
				return ctr_err(-ENOMEM, "out of memory");
			}
			dels = nd;
			cap = ncap;
		}
		dels[n_dels++] = total;
	}
	r = delete_rules(h, tb, chain, dels, n_dels, total);
	free(dels);
	if (r < 0)
		return r;
	if (n_dels)
		*changed = true;

	/* Adds, in the caller's order. */
	for (size_t i = 0; i < c->txn->n_add; i++) {
		const struct nat_rule *nr = &c->txn->add[i];
		if (nr->kind != kind || c->skip[i])
			continue;
		struct rule rb;
		encode(nr, &rb);
		if ((r = rule_check(&rb)) < 0)
			return r;
		if (!iptc_append_entry(chain, &rb.u.e, h))
			return iptc_fail(tb, "cannot add a rule to chain %s", chain);
		*changed = true;
	}
	return 0;
}

static int split_rules(const struct nat_rule *v, size_t n, const char *what,
		       const struct nat_rule **out[2], size_t cnt[2])
{
	for (size_t i = 0; i < n; i++) {
		int r = check_rule(&v[i], what, i);
		if (r < 0)
			return r;
	}
	for (int k = 0; k < 2; k++) {
		uint8_t kind = k == 0 ? NAT_RULE_DNAT : NAT_RULE_LINK;
		cnt[k] = 0;
		out[k] = calloc(n ? n : 1, sizeof *out[k]);
		if (!out[k])
			return ctr_err(-ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++)
			if (v[i].kind == kind)
				out[k][cnt[k]++] = &v[i];
		qsort(out[k], cnt[k], sizeof *out[k], nat_rule_ptr_cmp);
	}
	return 0;
}

/* ---- the operations ------------------------------------------------------------------------ */

static int ipt_open(struct nat **out, const struct nat_net *net)
{
	*out = NULL;
	char why[64];
	snprintf(why, sizeof why, ", so that its iptables chain names fit in %d", CHAIN_MAX);
	int r = nat_net_check(net, BRIDGE_MAX, why, false);
	if (r < 0)
		return r;
	struct nat *nat = calloc(1, sizeof *nat);
	if (!nat)
		return ctr_err(-ENOMEM, "out of memory");
	nat->net = *net;
	snprintf(nat->dnat, sizeof nat->dnat, "CTRLINK-DNAT-%s", net->bridge);
	snprintf(nat->post, sizeof nat->post, "CTRLINK-POST-%s", net->bridge);
	snprintf(nat->fwd, sizeof nat->fwd, "CTRLINK-FWD-%s", net->bridge);
	snprintf(nat->link, sizeof nat->link, "CTRLINK-LINK-%s", net->bridge);
	snprintf(nat->raw, sizeof nat->raw, "CTRLINK-RAW-%s", net->bridge);
	*out = nat;
	return 0;
}

static void ipt_close(struct nat *nat)
{
	free(nat);
}

static int ipt_ensure_base(struct nat *nat)
{
	return with_tables(nat, TB(T_NAT) | TB(T_FILTER) | TB(T_RAW), base_table, NULL);
}

static int ipt_apply(struct nat *nat, const struct nat_txn *txn)
{
	int r = nat_txn_check(txn);
	if (r < 0)
		return r;
	struct apply_ctx c = { .txn = txn, .n_drop = txn->n_drop_ids };
	r = split_rules(txn->del, txn->n_del, "delete", c.del, c.n_del);
	if (r >= 0)
		r = split_rules(txn->add, txn->n_add, "add", c.add, c.n_add);
	if (r < 0)
		goto out;
	if ((r = nat_ids_sorted(txn->drop_ids, c.n_drop, &c.drop)) < 0)
		goto out;
	c.dup = calloc(txn->n_add ? txn->n_add : 1, sizeof *c.dup);
	c.skip = calloc(txn->n_add ? txn->n_add : 1, sizeof *c.skip);
	if (!c.dup || !c.skip) {
		r = ctr_err(-ENOMEM, "out of memory");
		goto out;
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 1; i < c.n_add[k]; i++)
			if (nat_rule_cmp(c.add[k][i - 1], c.add[k][i]) == 0)
				c.dup[c.add[k][i] - txn->add] = true;

	unsigned tables = 0;
	if (c.n_drop || c.n_del[0] || c.n_add[0])
		tables |= TB(T_NAT);
	if (c.n_drop || c.n_del[1] || c.n_add[1])
		tables |= TB(T_FILTER);
	if (tables)
		r = with_tables(nat, tables, apply_table, &c);
out:
	for (int k = 0; k < 2; k++) {
		free(c.del[k]);
		free(c.add[k]);
	}
	free(c.drop);
	free(c.dup);
	free(c.skip);
	return r;
}

struct list_ctx {
	struct nat_rule *v;
	size_t n, cap;
};

static int list_table(struct nat *nat, int t, struct xtc_handle *h, void *arg, bool *changed)
{
	struct list_ctx *l = arg;
	uint8_t kind = t == T_NAT ? NAT_RULE_DNAT : NAT_RULE_LINK;
	const char *chain = t == T_NAT ? nat->dnat : nat->link;
	(void)changed;
	if (!iptc_is_chain(chain, h))
		return 0;
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h)) {
		char owner[ID_LEN + 1], peer[ID_LEN + 1];
		struct nat_rule cur;
		if (!rule_owners(e, owner, peer) || !decode(h, e, kind, owner, peer, &cur) ||
		    !exact(h, e, &cur))
			continue;
		if (l->n == l->cap) {
			size_t ncap = l->cap ? l->cap * 2 : 64;
			struct nat_rule *nv = realloc(l->v, ncap * sizeof *nv);
			if (!nv)
				return ctr_err(-ENOMEM, "out of memory");
			l->v = nv;
			l->cap = ncap;
		}
		l->v[l->n++] = cur;
	}
	return 0;
}

static int ipt_list(struct nat *nat, struct nat_rule **out, size_t *n)
{
	struct list_ctx l = { NULL, 0, 0 };
	*out = NULL;
	*n = 0;
	int r = with_tables(nat, TB(T_NAT) | TB(T_FILTER), list_table, &l);
	if (r < 0) {
		free(l.v);
		return r;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

/* ---- list_others ------------------------------------------------------------------------- */

#define DNAT_PREFIX "CTRLINK-DNAT-"

struct others_ctx {
	nat_rule_fn fn;
	void *arg;
};

static int others_table(struct nat *nat, int t, struct xtc_handle *h, void *arg, bool *changed)
{
	struct others_ctx *o = arg;
	size_t pl = strlen(DNAT_PREFIX);
	(void)t;
	(void)changed;
	for (const char *chain = iptc_first_chain(h); chain; chain = iptc_next_chain(h)) {
		if (strncmp(chain, DNAT_PREFIX, pl) != 0 || strcmp(chain, nat->dnat) == 0)
			continue;
		for (const struct ipt_entry *e = iptc_first_rule(chain, h); e;
		     e = iptc_next_rule(e, h)) {
			char owner[ID_LEN + 1], peer[ID_LEN + 1];
			struct nat_rule cur;
			if (!rule_owners(e, owner, peer) ||
			    !decode(h, e, NAT_RULE_DNAT, owner, peer, &cur) || !exact(h, e, &cur))
				continue;
			int r = o->fn(o->arg, chain + pl, &cur);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Does this network namespace have a legacy nat table?  (Reading one that is not there would
 * make the kernel create it, and load its module.) */
static bool have_nat_table(void)
{
	FILE *f = fopen("/proc/net/ip_tables_names", "re");
	char line[64];
	bool found = false;
	if (!f)
		return false;
	while (!found && fgets(line, sizeof line, f))
		found = strcmp(line, "nat\n") == 0;
	fclose(f);
	return found;
}

static int ipt_list_others(struct nat *nat, nat_rule_fn fn, void *arg)
{
	struct others_ctx o = { fn, arg };
	if (!have_nat_table())
		return 0;
	return with_tables(nat, TB(T_NAT), others_table, &o);
}

/* Delete the rules of built-in chain `builtin` that jump to one of `ours`. */
static int remove_jumps(struct xtc_handle *h, const char *table, const char *builtin,
			const char *const *ours, size_t n_ours, bool *changed)
{
	for (;;) {
		bool found = false;
		unsigned i = 0, last = 0;
		for (const struct ipt_entry *e = iptc_first_rule(builtin, h); e;
		     e = iptc_next_rule(e, h), i++) {
			const char *tn = iptc_get_target(e, h);
			for (size_t j = 0; tn && j < n_ours; j++)
				if (strcmp(tn, ours[j]) == 0) {
					found = true;
					last = i;
				}
		}
		if (!found)
			return 0;
		if (!iptc_delete_num_entry(builtin, last, h))
			return iptc_fail(table, "cannot delete a jump from %s", builtin);
		*changed = true;
	}
}

static int remove_table(struct nat *nat, int t, struct xtc_handle *h, void *arg, bool *changed)
{
	const char *tb = table_names[t];
	const char *ours[2];
	size_t n_ours = 0;
	(void)arg;
	if (t == T_NAT) {
		ours[n_ours++] = nat->dnat;
		ours[n_ours++] = nat->post;
	} else if (t == T_FILTER) {
		ours[n_ours++] = nat->fwd;
		ours[n_ours++] = nat->link;
	} else {
		ours[n_ours++] = nat->raw;
	}
	xt_chainlabel builtin[NF_INET_NUMHOOKS];
	size_t n_builtin = 0;
	for (const char *ch = iptc_first_chain(h); ch && n_builtin < NF_INET_NUMHOOKS;
	     ch = iptc_next_chain(h))
		if (iptc_builtin(ch, h))
			snprintf(builtin[n_builtin++], sizeof builtin[0], "%s", ch);
	for (size_t i = 0; i < n_builtin; i++) {
		int r = remove_jumps(h, tb, builtin[i], ours, n_ours, changed);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n_ours; i++) {
		if (!iptc_is_chain(ours[i], h))
			continue;
		if (!iptc_flush_entries(ours[i], h))
			return iptc_fail(tb, "cannot flush chain %s", ours[i]);
		*changed = true;
	}
	for (size_t i = 0; i < n_ours; i++) {
		unsigned refs = 0;
		if (!iptc_is_chain(ours[i], h))
			continue;
		if (!iptc_get_references(&refs, ours[i], h))
			return iptc_fail(tb, "cannot count the references to chain %s", ours[i]);
		if (refs)
			return ctr_err(-EBUSY, "iptables %s table: chain %s is still used by %u "
				       "rule(s) that are not ours; nothing was removed", tb,
				       ours[i], refs);
		if (!iptc_delete_chain(ours[i], h))
			return iptc_fail(tb, "cannot delete chain %s", ours[i]);
	}
	return 0;
}

static int ipt_remove_all(struct nat *nat)
{
	return with_tables(nat, TB(T_NAT) | TB(T_FILTER) | TB(T_RAW), remove_table, NULL);
}

const struct nat_ops nat_iptables_ops = {
	.name = "iptables",
	.open = ipt_open,
	.close = ipt_close,
	.ensure_base = ipt_ensure_base,
	.apply = ipt_apply,
	.list = ipt_list,
	.remove_all = ipt_remove_all,
	.list_others = ipt_list_others,
};
