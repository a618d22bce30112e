/* The nftables backend of the NAT module, spoken in-process over nfnetlink (libmnl for the
 * socket and the batch, libnftnl for tables, chains, sets and rules); the nft command is never
 * run.
 *
 * One table of our own per bridge, family inet (IPv4 and IPv6 share it): inet ctrlink_<br>.
 * Every per-container rule of nat.h is a set of elements, one per port, in a kernel hash set:
 *
 *   map dnat4_any  inet_proto . inet_service : ipv4_addr . inet_service      DNAT, every address
 *   map dnat4_ip   ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service   one address
 *   map dnat6_any, dnat6_ip                                                  the IPv6 twins
 *   set links4     ipv4_addr . ipv4_addr . inet_proto . inet_service         parent . child . port
 *   set links6                                                               the IPv6 twin
 *
 * and the rules of the layout are fixed: a published port is consulted by one DNAT rule per map
 * (`dnat ip to ip daddr . meta l4proto . th dport map @dnat4_ip`), a link by one set lookup in
 * the forward chain.  This is the design of systemd's nftables NAT and of kube-proxy's nftables
 * mode: adding the 50,000th port costs what adding the first did (one hash insertion), where
 * the iptables backend rewrites a whole table.  The chains, for bridge <br>, subnet S (and S6):
 *
 *   chain published                                                         (regular chain)
 *       meta nfproto ipv4 dnat ip to ip daddr . meta l4proto . th dport map @dnat4_ip
 *       meta nfproto ipv4 dnat ip to meta l4proto . th dport map @dnat4_any
 *       meta nfproto ipv6 ... @dnat6_ip, @dnat6_any                          (with S6)
 *   chain prerouting  (nat, prerouting, dstnat)    fib daddr type local jump published
 *   chain output      (nat, output, -100)          fib daddr type local jump published
 *   chain postrouting (nat, postrouting, srcnat)
 *       ip saddr S ip daddr S oifname <br> ct status dnat masquerade          hairpin
 *       ip saddr 127.0.0.0/8 oifname <br> masquerade                          localhost
 *       ip saddr S oifname != <br> masquerade                                 outbound
 *       ip6 saddr S6 ip6 daddr S6 oifname <br> ct status dnat masquerade      (with S6)
 *       ip6 saddr S6 oifname != <br> masquerade                               (with S6)
 *   chain forward     (filter, forward, filter)
 *       oifname <br> ct state established,related accept
 *       oifname <br> ct status dnat accept                                    published ports
 *       iifname <br> oifname <br> ip saddr . ip daddr . meta l4proto . th dport @links4 accept
 *       iifname <br> oifname <br> ip6 saddr . ... @links6 accept              (with S6)
 *       iifname <br> oifname <br> icmpv6 type nd-neighbor-solicit accept      (with S6)
 *       iifname <br> oifname <br> icmpv6 type nd-neighbor-advert accept       (with S6)
 *       iifname <br> oifname <br> accept (icc) | drop (isolation)
 *       iifname <br> oifname != <br> accept                                   outbound
 *       oifname <br> drop                                  no direct access from outside
 *   chain raw_prerouting (filter, prerouting, raw)
 *       ip daddr 127.0.0.0/8 iifname != lo drop                               (CVE-2020-8558)
 *
 * (With br_netfilter, neighbour discovery between two containers crosses the forward hook:
 * isolation must let it through, or no linked container could find the other's address.
 * There is no IPv6 twin of the localhost rules: the kernel never routes ::1 off the host.)
 *
 * Owners.  Every element carries its owners in its comment (element userdata, which nft shows
 * and parses back): "ctrlink:<owner>" on a DNAT element; on a link element the two IDs, parent
 * then child, as 128 hex digits and nothing else — nft refuses comments longer than 128
 * characters when it reads a ruleset back (nft list ruleset > f; nft -f f), and 64 + 64 leaves
 * no room for the prefix and separator that the iptables backend writes.  A map holds one
 * destination per host port: deleting a rule deletes the elements of its keys (the kernel
 * matches a deletion on the key alone), which are the rule's own since a host port is
 * allocated to one container at a time; adding a port that another destination holds fails.
 *
 * Transactions.  Every change is one nfnetlink batch: all of it or nothing, atomically for
 * every reader, and no lock (the kernel serializes batches).  The hot path never reads the
 * kernel: apply() turns the rules it is given into element deletions and additions and sends
 * them.  Adding an element that exists with the same destination is not an error (NLM_F_CREATE
 * without NLM_F_EXCL); one that exists with another destination is (a host port published
 * twice), reported with the port.  Deleting an absent element is not an error on kernels that
 * have NFT_MSG_DESTROYSETELEM (6.3 and later); before (Debian 12's 6.1), a delete of an absent
 * element fails the whole batch with ENOENT, and so does any change to a table that someone
 * removed (nft flush ruleset): on ENOENT, and only then, apply() reads our sets, recreates the
 * layout if it is gone, drops the deletions of absent elements and sends the batch again.
 * drop_ids (recovery) takes that reading path directly.  A batch that follows a reading carries
 * the generation it read (NFNL_BATCH_GENID): if anything was committed in between, the kernel
 * refuses it (ERESTART) and we read again.  Every commit in the network namespace, by any
 * program, changes the generation; so after a few refusals the last attempt goes without it
 * rather than fail (what we read of our own table, nobody else changes).
 *
 * ensure_base() reads the table (it runs when the network is created and in reconcile) and, if
 * anything differs from the layout above — a missing table, set, chain or rule, a rule someone
 * added, a changed icc, a dormant table — repairs it in one batch (two for a dormant table);
 * the elements in the maps are kept.  list() reads the elements back and rebuilds the rules
 * exactly as natplan.c plans them (consecutive ports of one owner coalesced into runs), so that
 * reconcile can compare them; remove_all() deletes the table.
 *
 * Cost.  A change costs one hash insertion or removal per port, whatever the number of ports
 * already published.  Closing a netfilter netlink socket waits for the kernel's deferred
 * cleanup of recently deleted elements (one RCU grace period, ~10 ms): a long-lived handle
 * pays it once; a handle per change pays it on each change that deleted something.
 *
 * Thread safety: no mutable globals; a handle (its socket) is used by one thread at a time. */
#define _GNU_SOURCE
#include "core/names.h"
#include "core/nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/if_ether.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "core/guard.h"
#include "core/model.h"
#include "core/natelem.h"
#include "core/natrules.h"
#include "sys/nftguard.h"
#include "sys/netlink.h"
#include "core/util.h"

#define TABLE_PREFIX "ctrlink_"
#define ID_LEN 64
#define BRIDGE_MAX 15
/* A dump message is at most 32 KiB; errors come without the request (NETLINK_CAP_ACK). */
#define RECV_SIZE 65536
/* Room for one table, chain, set or rule message of ours (the largest rule is under 1 KiB). */
#define MSG_ROOM 8192
/* The element list of a message is a nested attribute, whose length is 16 bits. */
#define ELEMS_PAYLOAD_MAX 60000
#define ELEM_ROOM 512
/* A rule of someone else in our chains may be larger than ours; it only needs to differ. */
#define RULE_MSG_MAX 8192
#define RULE_BLOB_ROOM (4 * RULE_MSG_MAX)
/* How often a reading is repeated when the ruleset changes under it. */
#define TRIES 5
/* Kernel 6.3: delete an element, absent or not (not in Debian 12's kernel headers). */
#define MSG_DESTROYSETELEM 30

/* ---- the chains ---------------------------------------------------------------------------- */

enum { C_PUBLISHED, C_PRE, C_OUT, C_POST, C_FWD, C_RAW, C_N };

struct chaindef {
	const char *name;
	const char *type; /* NULL: a regular chain */
	uint32_t hook;
	int32_t prio;
};

static const struct chaindef chains[C_N] = {
	[C_PUBLISHED] = { "published", NULL, 0, 0 },
	[C_PRE] = { "prerouting", "nat", NF_INET_PRE_ROUTING, -100 },  /* dstnat */
	[C_OUT] = { "output", "nat", NF_INET_LOCAL_OUT, -100 },
	[C_POST] = { "postrouting", "nat", NF_INET_POST_ROUTING, 100 }, /* srcnat */
	[C_FWD] = { "forward", "filter", NF_INET_FORWARD, 0 },          /* filter */
	[C_RAW] = { "raw_prerouting", "filter", NF_INET_PRE_ROUTING, -300 }, /* raw */
};

/* ---- the handle ---------------------------------------------------------------------------- */

struct nat {
	struct nat_net net;
	bool v6;           /* the network has an IPv6 subnet */
	char table[32];    /* ctrlink_<br> */
	struct nlsock nl;  /* opened on first use (nft_sock) */
	int sndbuf;        /* the socket's send buffer, as the kernel counts it */
	bool destroy;      /* delete elements with NFT_MSG_DESTROYSETELEM */
	uint16_t family;   /* of the table: NFPROTO_INET (NAT), NFPROTO_BRIDGE (the port guard) */
};

/* What the kernel answered to a request or a batch. */
struct nlres {
	int err;          /* 0 or a negative errno */
	bool kernel;      /* err is the kernel's answer (no message set yet) */
	long idx;         /* batch: the failing message (-1: the batch as a whole) */
	struct nl_extack ack; /* the kernel's explanation and the offending attribute */
};

/* A small request, aligned for struct nlmsghdr. */
union req {
	struct nlmsghdr h;
	char buf[512];
};

/* The header of a request in `q`, zeroed first (libmnl 1.0.4 does not write padding). */
static struct nlmsghdr *req_hdr(union req *q, uint16_t type, uint16_t family, uint16_t flags)
{
	memset(q, 0, sizeof *q);
	return nftnl_nlmsg_build_hdr(q->buf, type, family, flags, 0);
}

static bool zero16(const uint8_t a[16])
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0;
}

/* ---- the netlink socket -------------------------------------------------------------------- */

/* Kernel 6.3 added NFT_MSG_DESTROYSETELEM.  Reading the release is a guess (a distribution
 * may backport it, or a kernel may lack nf_tables' newer parts): a refused DESTROY message
 * makes apply() fall back to DELSETELEM anyway. */
static bool kernel_has_destroy(void)
{
	struct utsname u;
	unsigned maj = 0, min = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &maj, &min) != 2)
		return false;
	return maj > 6 || (maj == 6 && min >= 3);
}

static int nft_sock(struct nat *nat)
{
	bool bind_failed;
	if (nat->nl.sock)
		return 0;
	uint32_t seq = nat->nl.seq; /* a batch may have been numbered already */
	int r = nl_open(&nat->nl, NETLINK_NETFILTER, RECV_SIZE, "nftables", &bind_failed);
	nat->nl.seq = seq;
	if (r == -ENOMEM)
		return ctr_err(-ENOMEM, "out of memory");
	if (r < 0)
		return ctr_err_sys(r, bind_failed ? "nftables: cannot bind a netfilter netlink socket"
						  : "nftables: cannot open a netfilter netlink socket");
	socklen_t sl = sizeof nat->sndbuf;
	if (getsockopt(mnl_socket_get_fd(nat->nl.sock), SOL_SOCKET, SO_SNDBUF, &nat->sndbuf,
		       &sl) < 0)
		nat->sndbuf = 0;
	return 0;
}

/* A batch of several megabytes goes in one send: make room for it (CAP_NET_ADMIN lets us go
 * past net.core.wmem_max, as nft does). */
static void nft_sndbuf(struct nat *nat, size_t len)
{
	if (len + 4096 <= (size_t)nat->sndbuf || len > INT_MAX / 2)
		return;
	int fd = mnl_socket_get_fd(nat->nl.sock), want = (int)len + 4096;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
	socklen_t sl = sizeof nat->sndbuf;
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &nat->sndbuf, &sl) < 0)
		nat->sndbuf = 0;
}

/* Send one request — a dump, or a get (answered by its data, then an ACK) — and pass every
 * data message of the answer to `cb` (the transport's nl_request).  Returns 0 or a negative
 * errno: the kernel's error with res->kernel set and no message (the caller says what it
 * means; -EINTR: a dump interrupted by a change, worth a retry), or a socket or callback error
 * with the message set. */
static int nft_request(struct nat *nat, struct nlmsghdr *nlh, nl_data_cb cb, void *data,
		       struct nlres *res)
{
	memset(res, 0, sizeof *res);
	int r = nl_request(&nat->nl, nlh, cb, data, &res->kernel);
	if (r < 0 && res->kernel) {
		res->err = r;
		res->ack = nat->nl.ack;
	}
	return r;
}

/* Format a kernel error: "nftables: <what>: <strerror> (kernel says: <ext>)<detail>". */
PRINTF(4, 5) static int nft_fail(const struct nlres *res, int e, const char *detail,
				 const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	bool ext = res && res->ack.msg[0];
	return ctr_err(e, "nftables: %s: %s%s%s%s%s", what, strerror(-e),
		       ext ? " (kernel says: " : "", ext ? res->ack.msg : "", ext ? ")" : "",
		       detail ? detail : "");
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_GEN_ID &&
		    mnl_attr_get_payload_len(a) >= sizeof(uint32_t))
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	return 0;
}

/* The ruleset's generation: every committed batch changes it. */
static int get_genid(struct nat *nat, uint32_t *genid)
{
	union req q;
	struct nlres res;
	struct nlmsghdr *nlh = req_hdr(&q, NFT_MSG_GETGEN, AF_UNSPEC, 0);
	*genid = 0;
	int r = nft_request(nat, nlh, gen_cb, genid, &res);
	if (r < 0 && res.kernel)
		return nft_fail(&res, r, NULL, "cannot read the ruleset generation");
	return r;
}

/* ---- batches ------------------------------------------------------------------------------- */

struct msgdesc {
	uint32_t seq;
	uint16_t type;             /* NFT_MSG_* */
	size_t off;                /* of the message in the batch */
	const struct elem *elems;  /* element messages: their elements, in order */
	size_t n_elems;
	char what[96];             /* "add the elements of 3 published ports" */
};

struct batch {
	char *p;
	size_t len, cap;
	struct msgdesc *m;
	size_t n, cap_m;
	uint32_t seq0; /* of BATCH_BEGIN; the messages follow, then BATCH_END */
	bool oom;
};

static void batch_free(struct batch *b)
{
	free(b->p);
	free(b->m);
	memset(b, 0, sizeof *b);
}

/* Make room for `n` more bytes; the buffer may move (keep offsets, not pointers). */
static int batch_room(struct batch *b, size_t n)
{
	if (b->len + n <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 16384;
	while (ncap < b->len + n)
		ncap *= 2;
	char *np = realloc(b->p, ncap);
	if (!np)
		return ctr_err(-ENOMEM, "out of memory");
	memset(np + b->cap, 0, ncap - b->cap); /* attribute padding is not always written */
	b->p = np;
	b->cap = ncap;
	return 0;
}

/* Start a batch: BATCH_BEGIN, with the generation it is based on when `genid` is given. */
static int batch_init(struct nat *nat, struct batch *b, const uint32_t *genid)
{
	memset(b, 0, sizeof *b);
	int r = batch_room(b, 256);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->p);
	nlh->nlmsg_type = NFNL_MSG_BATCH_BEGIN;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = b->seq0 = nl_seq(&nat->nl);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(NFNL_SUBSYS_NFTABLES);
	if (genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(*genid));
	b->len = NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

/* A new message header at the end of the batch (room must have been made). */
static struct nlmsghdr *batch_hdr(struct nat *nat, struct batch *b, uint16_t type,
				  uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(b->p + b->len, type, nat->family, flags,
				     nl_seq(&nat->nl));
}

/* Record the message just built at the end of the batch. */
static int batch_push(struct batch *b, const struct nlmsghdr *nlh, const struct elem *elems,
		      size_t n_elems, const char *what)
{
	if (natelem_grow((void **)&b->m, &b->cap_m, b->n, sizeof *b->m) < 0)
		return -ENOMEM;
	struct msgdesc *d = &b->m[b->n++];
	d->seq = nlh->nlmsg_seq;
	d->type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	d->off = b->len;
	d->elems = elems;
	d->n_elems = n_elems;
	snprintf(d->what, sizeof d->what, "%s", what);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

/* Send the batch (nothing if it is empty) and read the kernel's answer.  Only the last message
 * asks for an ACK: the kernel answers every failing message anyway, in order, so the ACK of the
 * last one (or an error about the batch as a whole, sent instead) ends the answer, and the
 * socket never fills with the ACKs of hundreds of element messages.  The kernel processes a
 * batch within the send, so once an error has come, the rest of the answer is already queued:
 * it is read without waiting (a malformed batch may be answered by one error and no ACK).
 * Returns 0 or the first error (res says which message; no message is set for the kernel's
 * errors). */
static int batch_send(struct nat *nat, struct batch *b, struct nlres *res)
{
	memset(res, 0, sizeof *res);
	res->idx = -1;
	if (b->n == 0)
		return 0;
	int r = nft_sock(nat);
	if (r < 0 || (r = batch_room(b, 256)) < 0)
		return r;
	struct nlmsghdr *last = (struct nlmsghdr *)(b->p + b->m[b->n - 1].off);
	last->nlmsg_flags |= NLM_F_ACK;
	uint32_t last_seq = last->nlmsg_seq;
	struct nlmsghdr *end = nftnl_batch_end(b->p + b->len, nl_seq(&nat->nl));
	b->len += NLMSG_ALIGN(end->nlmsg_len);
	uint32_t end_seq = end->nlmsg_seq;

	nft_sndbuf(nat, b->len);
	if ((r = nl_send(&nat->nl, b->p, b->len)) < 0) {
		if (r == -EMSGSIZE)
			return ctr_err(-EMSGSIZE, "nftables: a batch of %zu bytes is too large "
				       "for the socket's send buffer", b->len);
		return ctr_err_sys(r, "nftables: cannot send a batch");
	}
	for (;;) {
		ssize_t n = nl_recv(&nat->nl, res->err != 0);
		if (n < 0) {
			if (res->err && n == -EAGAIN)
				return res->err;
			return ctr_err_sys((int)n, "nftables: cannot receive the answer to a "
					   "batch");
		}
		const struct nlmsghdr *m = (const struct nlmsghdr *)nat->nl.rbuf;
		int len = (int)n;
		bool done = false;
		for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_pid != nat->nl.portid || m->nlmsg_seq < b->seq0 ||
			    m->nlmsg_seq > end_seq || m->nlmsg_type != NLMSG_ERROR)
				continue;
			struct nlres cur = { 0 };
			int e = nl_ack_parse(m, &cur.ack);
			if (e < 0 && !res->err) {
				*res = cur;
				res->err = e;
				res->kernel = true;
				res->idx = -1;
				for (size_t i = 0; i < b->n; i++)
					if (b->m[i].seq == m->nlmsg_seq)
						res->idx = (long)i;
			}
			if (m->nlmsg_seq == last_seq || (e < 0 && m->nlmsg_seq == b->seq0))
				done = true;
		}
		if (done)
			return res->err;
	}
}

/* The element of the failing message that the kernel's error points at, if it says. */
static const struct elem *failed_elem(const struct batch *b, const struct nlres *res)
{
	if (res->idx < 0 || !res->ack.has_offs)
		return NULL;
	const struct msgdesc *d = &b->m[res->idx];
	if (!d->elems)
		return NULL;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(b->p + d->off);
	const struct nlattr *a, *list = NULL;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
			list = a;
	if (!list)
		return NULL;
	size_t i = 0;
	mnl_attr_for_each_nested(a, list) {
		size_t start = (size_t)((const char *)a - (const char *)nlh);
		if (res->ack.offs >= start && res->ack.offs < start + a->nla_len)
			return i < d->n_elems ? &d->elems[i] : NULL;
		i++;
	}
	return NULL;
}

/* The message for a failed batch. */
static const char *family_name(const struct nat *nat)
{
	return nat->family == NFPROTO_BRIDGE ? "bridge" : "inet";
}

static int batch_fail(const struct nat *nat, const struct batch *b, const struct nlres *res)
{
	const struct elem *e = failed_elem(b, res);
	char detail[200] = "";
	if (e) {
		char d[128];
		bool add = res->idx >= 0 && b->m[res->idx].type == NFT_MSG_NEWSETELEM;
		bool clash = add && res->err == -EEXIST && natelem_sets[e->set].kind == NAT_RULE_DNAT;
		natelem_desc(e, clash, d, sizeof d);
		if (clash)
			snprintf(detail, sizeof detail, "; host port %s is published already, to "
				 "another destination", d);
		else
			snprintf(detail, sizeof detail, "; at element %s", d);
	}
	if (res->idx < 0)
		return nft_fail(res, res->err, detail, "table %s %s: the kernel refused a batch",
				family_name(nat), nat->table);
	return nft_fail(res, res->err, detail, "table %s %s: cannot %s", family_name(nat),
			nat->table, b->m[res->idx].what);
}

/* Element messages of `type` for v[0..n), which is sorted by set: one message per set and per
 * ELEMS_PAYLOAD_MAX bytes.  The buffer grows element by element (a small change stays small),
 * so the message under construction is found again by its offset after each growth. */
static int batch_elems(struct nat *nat, struct batch *b, uint16_t type, const struct elem *v,
		       size_t n, const char *const what[2])
{
	bool add = type == NFT_MSG_NEWSETELEM;
	for (size_t i = 0; i < n;) {
		uint8_t s = v[i].set;
		const struct setdef *sd = &natelem_sets[s];
		int r = batch_room(b, MSG_ROOM);
		if (r < 0)
			return r;
		size_t off = b->len;
		struct nlmsghdr *nlh = batch_hdr(nat, b, type, add ? NLM_F_CREATE : 0);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, nat->table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, sd->name);
		size_t list_off = nlh->nlmsg_len;
		mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
		size_t first = i;
		for (; i < n && v[i].set == s && nlh->nlmsg_len - list_off < ELEMS_PAYLOAD_MAX;
		     i++) {
			if ((r = batch_room(b, nlh->nlmsg_len + ELEM_ROOM)) < 0)
				return r;
			nlh = (struct nlmsghdr *)(b->p + off);
			struct nlattr *el = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
			struct nlattr *k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
			mnl_attr_put(nlh, NFTA_DATA_VALUE, sd->key_len, v[i].key);
			mnl_attr_nest_end(nlh, k);
			if (add && sd->data_len) {
				struct nlattr *d = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
				mnl_attr_put(nlh, NFTA_DATA_VALUE, sd->data_len, v[i].data);
				mnl_attr_nest_end(nlh, d);
			}
			if (add && v[i].rule) {
				uint8_t ud[2 + NATELEM_COMMENT_MAX + 1];
				size_t cl = natelem_comment(v[i].rule, (char *)ud + 2);
				ud[0] = NATELEM_UDATA_COMMENT;
				ud[1] = (uint8_t)cl;
				mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, 2 + cl, ud);
			}
			mnl_attr_nest_end(nlh, el);
		}
		mnl_attr_nest_end(nlh, (struct nlattr *)((char *)nlh + list_off));
		r = batch_push(b, nlh, v + first, i - first, what[sd->kind == NAT_RULE_LINK]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- reading elements ---------------------------------------------------------------------- */

struct elem_dump {
	int set;
	struct kvec *out;
};

struct elem_attrs {
	const struct nlattr *key, *data, *udata;
};

static int elem_attr_cb(const struct nlattr *a, void *data)
{
	struct elem_attrs *ea = data;
	switch (mnl_attr_get_type(a)) {
	case NFTA_SET_ELEM_KEY:
		ea->key = a;
		break;
	case NFTA_SET_ELEM_DATA:
		ea->data = a;
		break;
	case NFTA_SET_ELEM_USERDATA:
		ea->udata = a;
		break;
	}
	return MNL_CB_OK;
}

/* The NFTA_DATA_VALUE inside a NFTA_SET_ELEM_KEY or _DATA, if it is `len` bytes long. */
static const void *data_value(const struct nlattr *nest, size_t len)
{
	const struct nlattr *a;
	if (!nest)
		return NULL;
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == NFTA_DATA_VALUE && mnl_attr_get_payload_len(a) == len)
			return mnl_attr_get_payload(a);
	return NULL;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_dump *d = data;
	const struct setdef *sd = &natelem_sets[d->set];
	const struct nlattr *a, *el;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a) {
			struct elem_attrs ea = { NULL, NULL, NULL };
			if (mnl_attr_get_type(el) != NFTA_LIST_ELEM ||
			    mnl_attr_parse_nested(el, elem_attr_cb, &ea) < 0)
				continue;
			const void *key = data_value(ea.key, sd->key_len);
			const void *val = sd->data_len ? data_value(ea.data, sd->data_len) : NULL;
			if (!key || (sd->data_len && !val))
				continue; /* not an element we could have written */
			struct kvec *v = d->out;
			if (natelem_grow((void **)&v->v, &v->cap, v->n, sizeof *v->v) < 0)
				return -ENOMEM;
			struct kelem *k = &v->v[v->n++];
			memset(k, 0, sizeof *k);
			k->e.set = (uint8_t)d->set;
			memcpy(k->e.key, key, sd->key_len);
			if (val)
				memcpy(k->e.data, val, sd->data_len);
			if (ea.udata)
				natelem_owners(mnl_attr_get_payload(ea.udata),
					     mnl_attr_get_payload_len(ea.udata), sd->kind, k);
		}
	}
	return 0;
}

/* One dump of the elements of set `s` of table inet `table`, appended to `out` (nft_request's
 * answer). */
static int dump_set(struct nat *nat, const char *table, int s, struct kvec *out,
		    struct nlres *res)
{
	union req q;
	struct elem_dump d = { s, out };
	struct nlmsghdr *nlh = req_hdr(&q, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, natelem_sets[s].name);
	return nft_request(nat, nlh, elems_cb, &d, res);
}

/* Read the elements of the sets in `mask` (bits of S_*) into `out`.  *genid: the generation
 * before the reading; a batch based on the reading carries it, and the kernel refuses that
 * batch if anything was committed since, during the reading too.  *consistent: no commit
 * happened during the reading (every nftables commit in the network namespace counts, ours or
 * not).  *missing: a set (or the table) does not exist. */
static int read_elems(struct nat *nat, unsigned mask, struct kvec *out, bool *missing,
		      uint32_t *genid, bool *consistent)
{
	uint32_t g1;
	int r = nft_sock(nat);
	if (r < 0 || (r = get_genid(nat, genid)) < 0)
		return r;
	out->n = 0;
	*missing = false;
	*consistent = true;
	for (int s = 0; s < S_N; s++) {
		if (!(mask & (1u << s)))
			continue;
		struct nlres res;
		r = dump_set(nat, nat->table, s, out, &res);
		if (r == -ENOENT && res.kernel)
			*missing = true;
		else if (r == -EINTR && res.kernel) /* every element came, some maybe twice */
			*consistent = false;
		else if (r < 0 && res.kernel)
			return nft_fail(&res, r, NULL, "cannot read set %s of table inet %s",
					natelem_sets[s].name, nat->table);
		else if (r < 0)
			return r;
	}
	if ((r = get_genid(nat, &g1)) < 0)
		return r;
	if (g1 != *genid)
		*consistent = false;
	return 0;
}

/* ---- building the base layout -------------------------------------------------------------- */

/* The number by which the kernel names 32-bit register i (it dumps a register that starts a
 * 16-byte one as that one): comparing what we read with what we would write needs it. */
static uint32_t R(unsigned i)
{
	return i % 4 == 0 ? NFT_REG_1 + i / 4 : NFT_REG32_00 + i;
}

struct rb {
	struct nftnl_rule *r;
	bool oom;
};

static void rb_add(struct rb *b, struct nftnl_expr *e)
{
	if (!e || !b->r)
		b->oom = true;
	if (e && b->r)
		nftnl_rule_add_expr(b->r, e);
	else if (e)
		nftnl_expr_free(e);
}

static void x_meta(struct rb *b, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	rb_add(b, e);
}

static void x_cmp(struct rb *b, uint32_t sreg, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
			b->oom = true;
	}
	rb_add(b, e);
}

static void x_payload(struct rb *b, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	}
	rb_add(b, e);
}

/* reg = (reg & mask) ^ 0 */
static void x_and(struct rb *b, uint32_t reg, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
		if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
		    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len) < 0)
			b->oom = true;
	}
	rb_add(b, e);
}

static void x_lookup(struct rb *b, const char *set, uint32_t sreg, bool map, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");
	if (e) {
		if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
			b->oom = true;
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		if (map)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);
	}
	rb_add(b, e);
}

/* dnat to the address in areg and the port in preg. */
static void x_dnat(struct rb *b, uint32_t family, uint32_t areg, uint32_t preg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, family);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, areg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, areg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, preg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, preg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
				   NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	}
	rb_add(b, e);
}

static void x_masq(struct rb *b)
{
	rb_add(b, nftnl_expr_alloc("masq"));
}

static void x_verdict(struct rb *b, int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
		if (chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
			b->oom = true;
	}
	rb_add(b, e);
}

/* meta nfproto ipv4|ipv6 */
static void m_nfproto(struct rb *b, bool v6)
{
	uint8_t p = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	x_meta(b, NFT_META_NFPROTO, R(0));
	x_cmp(b, R(0), NFT_CMP_EQ, &p, 1);
}

/* iifname|oifname [!=] name */
static void m_ifname(struct rb *b, bool in, const char *name, bool eq)
{
	char buf[IFNAMSIZ] = { 0 };
	memcpy(buf, name, strnlen(name, IFNAMSIZ - 1));
	x_meta(b, in ? NFT_META_IIFNAME : NFT_META_OIFNAME, R(0));
	x_cmp(b, R(0), eq ? NFT_CMP_EQ : NFT_CMP_NEQ, buf, IFNAMSIZ);
}

/* ip|ip6 saddr|daddr addr/plen, encoded as nft 1.0 encodes it (a prefix on a byte boundary
 * loads only its bytes), so that a ruleset nft saved and restored reads as ours. */
static void m_addr(struct rb *b, bool v6, bool src, const void *addr, int plen)
{
	uint32_t len = v6 ? 16 : 4;
	uint8_t mask[16] = { 0 }, val[16];
	memcpy(val, addr, len);
	for (int i = 0; i < (int)len; i++) {
		int bits = plen - 8 * i;
		mask[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff00 >> bits);
		val[i] &= mask[i];
	}
	bool bytes = plen > 0 && plen % 8 == 0;
	uint32_t n = bytes ? (uint32_t)plen / 8 : len;
	x_payload(b, NFT_PAYLOAD_NETWORK_HEADER, v6 ? (src ? 8 : 24) : (src ? 12 : 16), n, R(0));
	if (!bytes)
		x_and(b, R(0), mask, len);
	x_cmp(b, R(0), NFT_CMP_EQ, val, n);
}

/* iifname br oifname br icmpv6 type <type> accept: neighbour discovery between containers
 * (bridged, it crosses the forward hook when br_netfilter is on; isolation must not stop it) */
static void r_nd(struct rb *b, const char *br, uint8_t type)
{
	uint8_t icmp6 = IPPROTO_ICMPV6;
	m_ifname(b, true, br, true);
	m_ifname(b, false, br, true);
	m_nfproto(b, true);
	x_meta(b, NFT_META_L4PROTO, R(0));
	x_cmp(b, R(0), NFT_CMP_EQ, &icmp6, 1);
	x_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R(0));
	x_cmp(b, R(0), NFT_CMP_EQ, &type, 1);
	x_verdict(b, NF_ACCEPT, NULL);
}

/* ct state|status & bits != 0 */
static void m_ct(struct rb *b, uint32_t key, uint32_t bits)
{
	static const uint32_t zero;
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, R(0));
	}
	rb_add(b, e);
	x_and(b, R(0), &bits, sizeof bits);
	x_cmp(b, R(0), NFT_CMP_NEQ, &zero, sizeof zero);
}

/* fib daddr type local */
static void m_local(struct rb *b)
{
	uint32_t local = RTN_LOCAL;
	struct nftnl_expr *e = nftnl_expr_alloc("fib");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, R(0));
	}
	rb_add(b, e);
	x_cmp(b, R(0), NFT_CMP_EQ, &local, sizeof local);
}

/* meta nfproto X dnat to [ip daddr .] meta l4proto . th dport map @set */
static void r_dnat(struct rb *b, int s)
{
	bool v6 = natelem_sets[s].family == AF_INET6;
	unsigned alen = v6 ? 16 : 4, k = 0;
	m_nfproto(b, v6);
	if (!natelem_sets[s].any) {
		x_payload(b, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, alen, R(0));
		k = alen / 4;
	}
	x_meta(b, NFT_META_L4PROTO, R(k));
	x_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R(k + 1));
	x_lookup(b, natelem_sets[s].name, R(0), true, R(0));
	x_dnat(b, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4, R(0), R(alen / 4));
}

/* iifname br oifname br X saddr . X daddr . meta l4proto . th dport @set accept */
static void r_links(struct rb *b, const char *br, int s)
{
	bool v6 = natelem_sets[s].family == AF_INET6;
	unsigned w = v6 ? 4 : 1; /* registers per address */
	m_ifname(b, true, br, true);
	m_ifname(b, false, br, true);
	m_nfproto(b, v6);
	x_payload(b, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, 4 * w, R(0));
	x_payload(b, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, 4 * w, R(w));
	x_meta(b, NFT_META_L4PROTO, R(2 * w));
	x_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R(2 * w + 1));
	x_lookup(b, natelem_sets[s].name, R(0), false, 0);
	x_verdict(b, NF_ACCEPT, NULL);
}

struct rules {
	struct nftnl_rule *v[12];
	size_t n;
	bool oom;
};

static struct rb rule_new(const struct nat *nat, int c)
{
	struct rb b = { nftnl_rule_alloc(), false };
	if (b.r) {
		nftnl_rule_set_u32(b.r, NFTNL_RULE_FAMILY, NFPROTO_INET);
		if (nftnl_rule_set_str(b.r, NFTNL_RULE_TABLE, nat->table) < 0 ||
		    nftnl_rule_set_str(b.r, NFTNL_RULE_CHAIN, chains[c].name) < 0)
			b.oom = true;
	}
	return b;
}

static void rule_done(struct rules *rs, struct rb *b)
{
	if (!b->r || b->oom || rs->n == ARRAY_SIZE(rs->v)) {
		rs->oom = true;
		if (b->r)
			nftnl_rule_free(b->r);
		return;
	}
	rs->v[rs->n++] = b->r;
}

static void rules_free(struct rules *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		nftnl_rule_free(rs->v[i]);
	rs->n = 0;
}

/* The rules of chain c, as the layout (top of this file) says. */
static int chain_rules(const struct nat *nat, int c, struct rules *rs)
{
	const struct nat_net *n = &nat->net;
	const char *br = n->bridge;
	static const uint8_t lo_net[4] = { 127, 0, 0, 0 };
	struct rb b;
	memset(rs, 0, sizeof *rs);
	switch (c) {
	case C_PUBLISHED: {
		/* the maps of one address before those of every address */
		static const int order[] = { S_DNAT4_IP, S_DNAT4_ANY, S_DNAT6_IP, S_DNAT6_ANY };
		for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
			if (natelem_sets[order[i]].family == AF_INET6 && !nat->v6)
				continue;
			b = rule_new(nat, c);
			r_dnat(&b, order[i]);
			rule_done(rs, &b);
		}
		break;
	}
	case C_PRE:
	case C_OUT:
		b = rule_new(nat, c);
		m_local(&b);
		x_verdict(&b, NFT_JUMP, chains[C_PUBLISHED].name);
		rule_done(rs, &b);
		break;
	case C_POST:
		for (int v6 = 0; v6 <= (int)nat->v6; v6++) {
			const void *sub = v6 ? (const void *)n->subnet6 : (const void *)&n->subnet;
			int plen = v6 ? n->prefixlen6 : n->prefixlen;
			b = rule_new(nat, c); /* hairpin */
			m_nfproto(&b, v6);
			m_addr(&b, v6, true, sub, plen);
			m_addr(&b, v6, false, sub, plen);
			m_ifname(&b, false, br, true);
			m_ct(&b, NFT_CT_STATUS, IPS_DST_NAT);
			x_masq(&b);
			rule_done(rs, &b);
			if (!v6) { /* localhost -> container (route_localnet) */
				b = rule_new(nat, c);
				m_nfproto(&b, false);
				m_addr(&b, false, true, lo_net, 8);
				m_ifname(&b, false, br, true);
				x_masq(&b);
				rule_done(rs, &b);
			}
			if (n->external) /* its owner masquerades outbound traffic */
				continue;
			b = rule_new(nat, c); /* outbound */
			m_nfproto(&b, v6);
			m_addr(&b, v6, true, sub, plen);
			m_ifname(&b, false, br, false);
			x_masq(&b);
			rule_done(rs, &b);
		}
		break;
	case C_FWD:
		b = rule_new(nat, c);
		m_ifname(&b, false, br, true);
		m_ct(&b, NFT_CT_STATE,
		     NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
		x_verdict(&b, NF_ACCEPT, NULL);
		rule_done(rs, &b);
		b = rule_new(nat, c); /* published ports */
		m_ifname(&b, false, br, true);
		m_ct(&b, NFT_CT_STATUS, IPS_DST_NAT);
		x_verdict(&b, NF_ACCEPT, NULL);
		rule_done(rs, &b);
		if (n->external) /* no links, no isolation: the bridge's owner decides the rest */
			break;
		b = rule_new(nat, c);
		r_links(&b, br, S_LINKS4);
		rule_done(rs, &b);
		if (nat->v6) {
			b = rule_new(nat, c);
			r_links(&b, br, S_LINKS6);
			rule_done(rs, &b);
			b = rule_new(nat, c);
			r_nd(&b, br, 135); /* neighbour solicitation */
			rule_done(rs, &b);
			b = rule_new(nat, c);
			r_nd(&b, br, 136); /* neighbour advertisement */
			rule_done(rs, &b);
		}
		b = rule_new(nat, c); /* icc or isolation */
		m_ifname(&b, true, br, true);
		m_ifname(&b, false, br, true);
		x_verdict(&b, n->icc ? NF_ACCEPT : NF_DROP, NULL);
		rule_done(rs, &b);
		b = rule_new(nat, c); /* outbound */
		m_ifname(&b, true, br, true);
		m_ifname(&b, false, br, false);
		x_verdict(&b, NF_ACCEPT, NULL);
		rule_done(rs, &b);
		b = rule_new(nat, c); /* no direct access from outside */
		m_ifname(&b, false, br, true);
		x_verdict(&b, NF_DROP, NULL);
		rule_done(rs, &b);
		break;
	case C_RAW:
		b = rule_new(nat, c);
		m_nfproto(&b, false);
		m_addr(&b, false, false, lo_net, 8);
		m_ifname(&b, true, "lo", false);
		x_verdict(&b, NF_DROP, NULL);
		rule_done(rs, &b);
		break;
	}
	if (rs->oom) {
		rules_free(rs);
		return ctr_err(-ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- comparing rules ----------------------------------------------------------------------
 * A rule is compared in libnftnl's serialization: ours as we build it, the kernel's after
 * libnftnl parsed it (without its handle and position).  Both go through the same code, so
 * the attribute order is the same, and every attribute the kernel reports back is one we set. */

struct bytes {
	uint8_t *p;
	size_t len, cap;
};

static int bytes_add(struct bytes *b, const void *p, size_t n)
{
	while (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		uint8_t *np = realloc(b->p, ncap);
		if (!np)
			return ctr_err(-ENOMEM, "out of memory");
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

/* Append the serialization of `r` (its length, then its attributes) to `out`; `scratch` holds
 * RULE_BLOB_ROOM bytes. */
static int rule_blob(struct nftnl_rule *r, char *scratch, struct bytes *out)
{
	memset(scratch, 0, RULE_BLOB_ROOM); /* libmnl 1.0.4 leaves attribute padding as it is */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(scratch);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	uint32_t len = nlh->nlmsg_len;
	int e = bytes_add(out, &len, sizeof len);
	return e < 0 ? e : bytes_add(out, nlh, len);
}

/* ---- reading the table --------------------------------------------------------------------- */

struct hchain {
	char name[NFT_CHAIN_MAXNAMELEN];
	bool base, has_policy;
	uint32_t hook, policy;
	int32_t prio;
	char type[16];
	struct bytes rules; /* rule_blob() of each rule, in order */
};

struct hset {
	char name[NFT_SET_MAXNAMELEN];
	uint32_t flags, key_type, key_len, data_type, data_len;
};

struct have {
	bool table;
	uint32_t table_flags;
	struct hchain *c;
	size_t n_c, cap_c;
	struct hset *s;
	size_t n_s, cap_s;
	char *scratch; /* RULE_BLOB_ROOM bytes */
	const char *tname;
	int err;
};

static void have_free(struct have *h)
{
	for (size_t i = 0; i < h->n_c; i++)
		free(h->c[i].rules.p);
	free(h->c);
	free(h->s);
	free(h->scratch);
	memset(h, 0, sizeof *h);
}

static struct hchain *have_chain(struct have *h, const char *name)
{
	for (size_t i = 0; i < h->n_c; i++)
		if (strcmp(h->c[i].name, name) == 0)
			return &h->c[i];
	return NULL;
}

static struct hset *have_set(struct have *h, const char *name)
{
	for (size_t i = 0; i < h->n_s; i++)
		if (strcmp(h->s[i].name, name) == 0)
			return &h->s[i];
	return NULL;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct have *h = data;
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return ctr_err(-ENOMEM, "out of memory");
	if (nftnl_table_nlmsg_parse(nlh, t) == 0) {
		const char *name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
		if (name && strcmp(name, h->tname) == 0) {
			h->table = true;
			h->table_flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		}
	}
	nftnl_table_free(t);
	return 0;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct have *h = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return ctr_err(-ENOMEM, "out of memory");
	int r = 0;
	const char *tn, *name;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    (tn = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)) && strcmp(tn, h->tname) == 0 &&
	    (name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)) &&
	    (r = natelem_grow((void **)&h->c, &h->cap_c, h->n_c, sizeof *h->c)) == 0) {
		struct hchain *hc = &h->c[h->n_c++];
		memset(hc, 0, sizeof *hc);
		snprintf(hc->name, sizeof hc->name, "%s", name);
		hc->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
		hc->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
		hc->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
		hc->has_policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY);
		hc->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
		const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);
		snprintf(hc->type, sizeof hc->type, "%s", type ? type : "");
	}
	nftnl_chain_free(c);
	return r;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct have *h = data;
	struct nftnl_set *s = nftnl_set_alloc();
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	int r = 0;
	const char *tn, *name;
	if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    (tn = nftnl_set_get_str(s, NFTNL_SET_TABLE)) && strcmp(tn, h->tname) == 0 &&
	    (name = nftnl_set_get_str(s, NFTNL_SET_NAME)) &&
	    !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS) &&
	    (r = natelem_grow((void **)&h->s, &h->cap_s, h->n_s, sizeof *h->s)) == 0) {
		struct hset *hs = &h->s[h->n_s++];
		memset(hs, 0, sizeof *hs);
		snprintf(hs->name, sizeof hs->name, "%s", name);
		hs->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
		hs->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
		hs->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
		hs->data_type = nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE);
		hs->data_len = nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN);
	}
	nftnl_set_free(s);
	return r;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct have *h = data;
	struct nftnl_rule *rl = nftnl_rule_alloc();
	if (!rl)
		return ctr_err(-ENOMEM, "out of memory");
	int r = 0;
	/* A rule libnftnl cannot parse (an expression it does not know) or larger than ours
	 * counts as a rule that differs from ours: its chain is rewritten. */
	static const uint32_t differs = UINT32_MAX;
	bool parsed = nftnl_rule_nlmsg_parse(nlh, rl) == 0;
	const char *tn = nftnl_rule_get_str(rl, NFTNL_RULE_TABLE);
	const char *cn = nftnl_rule_get_str(rl, NFTNL_RULE_CHAIN);
	struct hchain *hc = cn ? have_chain(h, cn) : NULL;
	if (!tn || !cn) { /* the dump is of our table only: one of our chains differs */
		for (size_t i = 0; i < h->n_c && r >= 0; i++)
			r = bytes_add(&h->c[i].rules, &differs, sizeof differs);
	} else if (strcmp(tn, h->tname) == 0 && hc) {
		if (!parsed || nlh->nlmsg_len > RULE_MSG_MAX) {
			r = bytes_add(&hc->rules, &differs, sizeof differs);
		} else {
			nftnl_rule_unset(rl, NFTNL_RULE_HANDLE);
			nftnl_rule_unset(rl, NFTNL_RULE_POSITION);
			nftnl_rule_unset(rl, NFTNL_RULE_ID);
			nftnl_rule_unset(rl, NFTNL_RULE_POSITION_ID);
			r = rule_blob(rl, h->scratch, &hc->rules);
		}
	}
	nftnl_rule_free(rl);
	return r;
}

/* One dump of the table's objects of `type` (GETCHAIN, GETSET, GETRULE). */
static int dump_table(struct nat *nat, uint16_t type, uint16_t name_attr, nl_data_cb cb, void *h,
		      struct nlres *res)
{
	union req q;
	struct nlmsghdr *nlh = req_hdr(&q, type, NFPROTO_INET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, name_attr, nat->table);
	return nft_request(nat, nlh, cb, h, res);
}

/* Read our table: its flags, chains (with their rules) and sets.  -EINTR: a commit happened
 * while we read (any commit in the network namespace interrupts a dump; the dump still went
 * to its end); without `strict`, such a reading is taken as it is. */
static int read_table(struct nat *nat, struct have *h, bool strict)
{
	struct nlres res;
	union req q;
	struct nlmsghdr *nlh = req_hdr(&q, NFT_MSG_GETTABLE, NFPROTO_INET, 0);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, nat->table);
	int r = nft_request(nat, nlh, table_cb, h, &res);
	if (r == -ENOENT && res.kernel)
		return 0;
	static const struct {
		uint16_t type, name_attr;
		nl_data_cb cb;
	} dumps[] = {
		{ NFT_MSG_GETCHAIN, NFTA_CHAIN_TABLE, chain_cb },
		{ NFT_MSG_GETSET, NFTA_SET_TABLE, set_cb },
		{ NFT_MSG_GETRULE, NFTA_RULE_TABLE, rule_cb },
	};
	for (size_t i = 0; i < ARRAY_SIZE(dumps) && r >= 0; i++) {
		r = dump_table(nat, dumps[i].type, dumps[i].name_attr, dumps[i].cb, h, &res);
		if (r == -EINTR && res.kernel && !strict)
			r = 0;
	}
	if (r == -ENOENT && res.kernel) /* the table went away while we read it */
		return -EINTR;
	if (r < 0 && res.kernel && r != -EINTR)
		return nft_fail(&res, r, NULL, "cannot read table inet %s", nat->table);
	return r;
}

/* ---- ensure_base --------------------------------------------------------------------------- */

static bool set_ok(const struct hset *hs, int s)
{
	const struct setdef *sd = &natelem_sets[s];
	uint32_t flags = sd->data_len ? NFT_SET_MAP : 0;
	return hs->flags == flags && hs->key_type == sd->key_type && hs->key_len == sd->key_len &&
	       (!sd->data_len || (hs->data_type == sd->data_type && hs->data_len == sd->data_len));
}

static bool chain_props_ok(const struct hchain *hc, int c)
{
	const struct chaindef *cd = &chains[c];
	if (!cd->type)
		return !hc->base;
	return hc->base && hc->hook == cd->hook && hc->prio == cd->prio &&
	       strcmp(hc->type, cd->type) == 0 && (!hc->has_policy || hc->policy == NF_ACCEPT);
}

static int put_table(struct nat *nat, struct batch *b)
{
	int r = batch_room(b, MSG_ROOM);
	if (r < 0)
		return r;
	struct nftnl_table *t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, nat->table) < 0) {
		nftnl_table_free(t);
		return ctr_err(-ENOMEM, "out of memory");
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	struct nlmsghdr *nlh = batch_hdr(nat, b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return batch_push(b, nlh, NULL, 0, "create the table");
}

static int put_set(struct nat *nat, struct batch *b, int s, uint32_t id)
{
	const struct setdef *sd = &natelem_sets[s];
	int r = batch_room(b, MSG_ROOM);
	if (r < 0)
		return r;
	struct nftnl_set *st = nftnl_set_alloc();
	if (!st || nftnl_set_set_str(st, NFTNL_SET_TABLE, nat->table) < 0 ||
	    nftnl_set_set_str(st, NFTNL_SET_NAME, sd->name) < 0) {
		nftnl_set_free(st);
		return ctr_err(-ENOMEM, "out of memory");
	}
	nftnl_set_set_u32(st, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(st, NFTNL_SET_ID, id);
	nftnl_set_set_u32(st, NFTNL_SET_FLAGS, sd->data_len ? NFT_SET_MAP : 0);
	nftnl_set_set_u32(st, NFTNL_SET_KEY_TYPE, sd->key_type);
	nftnl_set_set_u32(st, NFTNL_SET_KEY_LEN, sd->key_len);
	if (sd->data_len) {
		nftnl_set_set_u32(st, NFTNL_SET_DATA_TYPE, sd->data_type);
		nftnl_set_set_u32(st, NFTNL_SET_DATA_LEN, sd->data_len);
	}
	struct nlmsghdr *nlh = batch_hdr(nat, b, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, st);
	nftnl_set_free(st);
	char what[64];
	snprintf(what, sizeof what, "create %s %s", sd->data_len ? "map" : "set", sd->name);
	return batch_push(b, nlh, NULL, 0, what);
}

static int put_chain(struct nat *nat, struct batch *b, int c)
{
	const struct chaindef *cd = &chains[c];
	int r = batch_room(b, MSG_ROOM);
	if (r < 0)
		return r;
	struct nftnl_chain *ch = nftnl_chain_alloc();
	if (!ch || nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, nat->table) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, cd->name) < 0 ||
	    (cd->type && nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, cd->type) < 0)) {
		nftnl_chain_free(ch);
		return ctr_err(-ENOMEM, "out of memory");
	}
	if (cd->type) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, cd->hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, cd->prio);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	struct nlmsghdr *nlh = batch_hdr(nat, b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	char what[NFT_CHAIN_MAXNAMELEN + 32];
	snprintf(what, sizeof what, "create chain %s", cd->name);
	return batch_push(b, nlh, NULL, 0, what);
}

/* DELRULE of a whole chain (a flush), DELCHAIN or DELSET of `name`. */
static int put_del(struct nat *nat, struct batch *b, uint16_t type, const char *name)
{
	int r = batch_room(b, MSG_ROOM);
	if (r < 0)
		return r;
	struct nlmsghdr *nlh = batch_hdr(nat, b, type, 0);
	char what[sizeof ((struct msgdesc *)0)->what]; /* the name is cut to fit the record */
	if (type == NFT_MSG_DELRULE) {
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, nat->table);
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, name);
		snprintf(what, sizeof what, "flush chain %.80s", name);
	} else if (type == NFT_MSG_DELCHAIN) {
		mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, nat->table);
		mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
		snprintf(what, sizeof what, "delete chain %.80s", name);
	} else {
		mnl_attr_put_strz(nlh, NFTA_SET_TABLE, nat->table);
		mnl_attr_put_strz(nlh, NFTA_SET_NAME, name);
		snprintf(what, sizeof what, "delete set %.80s", name);
	}
	return batch_push(b, nlh, NULL, 0, what);
}

static int put_rules(struct nat *nat, struct batch *b, int c, const struct rules *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		int r = batch_room(b, MSG_ROOM);
		if (r < 0)
			return r;
		struct nlmsghdr *nlh = batch_hdr(nat, b, NFT_MSG_NEWRULE,
						 NLM_F_CREATE | NLM_F_APPEND);
		nftnl_rule_nlmsg_build_payload(nlh, rs->v[i]);
		char what[64];
		snprintf(what, sizeof what, "add rule %zu of chain %s", i + 1, chains[c].name);
		if ((r = batch_push(b, nlh, NULL, 0, what)) < 0)
			return r;
	}
	return 0;
}

static int chain_index(const char *name)
{
	for (int c = 0; c < C_N; c++)
		if (strcmp(name, chains[c].name) == 0)
			return c;
	return -1;
}

static int set_index(const char *name)
{
	for (int s = 0; s < S_N; s++)
		if (strcmp(name, natelem_sets[s].name) == 0)
			return s;
	return -1;
}

/* The batch that makes the table what the layout says, from what `h` read; empty if it is.
 * Elements stay, except in a set that had to be made anew. */
static int base_batch(struct nat *nat, struct have *h, struct rules want[C_N],
		      struct batch *b)
{
	enum { OK, ABSENT, BAD, CONTENT };
	int cs[C_N], ss[S_N], r = 0;
	bool rewrite_all = false; /* every rule goes and comes back */
	struct bytes blob = { NULL, 0, 0 };
	for (int c = 0; c < C_N && r >= 0; c++) {
		struct hchain *hc = have_chain(h, chains[c].name);
		cs[c] = !hc ? ABSENT : !chain_props_ok(hc, c) ? BAD : OK;
		rewrite_all |= cs[c] == BAD;
		blob.len = 0;
		for (size_t i = 0; cs[c] == OK && i < want[c].n && r >= 0; i++)
			r = rule_blob(want[c].v[i], h->scratch, &blob);
		if (cs[c] == OK && (blob.len != hc->rules.len ||
				    memcmp(blob.p, hc->rules.p, blob.len) != 0))
			cs[c] = CONTENT;
	}
	free(blob.p);
	if (r < 0)
		return r;
	for (int s = 0; s < S_N; s++) {
		struct hset *hs = have_set(h, natelem_sets[s].name);
		ss[s] = !hs ? ABSENT : set_ok(hs, s) ? OK : BAD;
		rewrite_all |= ss[s] == BAD;
	}
	/* A chain or set that is not ours goes; deleting a chain or a set needs the rules that
	 * use it gone, so every chain is flushed and filled again. */
	for (size_t i = 0; i < h->n_c; i++)
		rewrite_all |= chain_index(h->c[i].name) < 0;
	for (size_t i = 0; i < h->n_s; i++)
		rewrite_all |= set_index(h->s[i].name) < 0;

	if (!h->table)
		r = put_table(nat, b);
	for (size_t i = 0; i < h->n_c && r >= 0; i++) {
		int c = chain_index(h->c[i].name);
		if ((rewrite_all || (c >= 0 && cs[c] == CONTENT)) && h->c[i].rules.len)
			r = put_del(nat, b, NFT_MSG_DELRULE, h->c[i].name);
	}
	for (size_t i = 0; i < h->n_c && r >= 0; i++) {
		int c = chain_index(h->c[i].name);
		if (c < 0 || cs[c] == BAD)
			r = put_del(nat, b, NFT_MSG_DELCHAIN, h->c[i].name);
	}
	for (size_t i = 0; i < h->n_s && r >= 0; i++) {
		int s = set_index(h->s[i].name);
		if (s < 0 || ss[s] == BAD)
			r = put_del(nat, b, NFT_MSG_DELSET, h->s[i].name);
	}
	for (int s = 0; s < S_N && r >= 0; s++)
		if (ss[s] != OK)
			r = put_set(nat, b, s, (uint32_t)s + 1);
	for (int c = 0; c < C_N && r >= 0; c++)
		if (cs[c] == ABSENT || cs[c] == BAD)
			r = put_chain(nat, b, c);
	for (int c = 0; c < C_N && r >= 0; c++) {
		if (!rewrite_all && cs[c] == OK)
			continue;
		/* a chain we create may have been created meanwhile, by someone as quick */
		if (cs[c] == ABSENT || cs[c] == BAD)
			r = put_del(nat, b, NFT_MSG_DELRULE, chains[c].name);
		if (r >= 0)
			r = put_rules(nat, b, c, &want[c]);
	}
	return r;
}

/* One attempt: read the table, repair it in a batch based on that reading (and carrying its
 * generation, if `genid_check`).  -ERESTART: the ruleset changed in between (or while we read
 * it); 1: the table was woken up, read it again. */
static int ensure_once(struct nat *nat, struct rules want[C_N], bool genid_check)
{
	struct have h = { .tname = nat->table };
	struct batch b = { 0 };
	struct nlres res = { 0 };
	uint32_t genid;
	int r = 0;
	if (!(h.scratch = malloc(RULE_BLOB_ROOM)))
		r = ctr_err(-ENOMEM, "out of memory");
	if (r >= 0)
		r = get_genid(nat, &genid);
	if (r >= 0)
		r = read_table(nat, &h, genid_check);
	if (r == -EINTR)
		r = -ERESTART;
	if (r >= 0)
		r = batch_init(nat, &b, genid_check ? &genid : NULL);
	/* A dormant table is woken up alone: the kernel refuses new base chains in the batch
	 * that changes the table's flags.  Then everything else, on a new reading. */
	bool wake = h.table && h.table_flags != 0;
	if (r >= 0)
		r = wake ? put_table(nat, &b) : base_batch(nat, &h, want, &b);
	if (r >= 0)
		r = batch_send(nat, &b, &res);
	if (r < 0 && res.kernel && r != -ERESTART)
		r = batch_fail(nat, &b, &res);
	batch_free(&b);
	have_free(&h);
	return r >= 0 && wake ? 1 : r;
}

static int nft_ensure_base(struct nat *nat)
{
	struct rules want[C_N];
	int r = nft_sock(nat);
	memset(want, 0, sizeof want);
	for (int c = 0; c < C_N && r >= 0; c++)
		r = chain_rules(nat, c, &want[c]);
	/* The last attempt goes without the generation (other programs may commit all the
	 * time): the batch is safe to repeat, a chain it creates is flushed before it is
	 * filled. */
	for (int tries = 1; r >= 0; tries++) {
		r = ensure_once(nat, want, tries <= TRIES);
		if ((r == -ERESTART && tries <= TRIES) || (r == 1 && tries <= TRIES + 1))
			r = 0;
		else if (r == 1)
			r = ctr_err(-EAGAIN, "nftables: table inet %s is made dormant again and "
				    "again", nat->table);
		else if (r == -ERESTART) /* the table went away while we read it, each time */
			r = ctr_err(-EAGAIN, "nftables: table inet %s: removed and made again "
				    "while we read it, again and again", nat->table);
		else
			break;
	}
	for (int c = 0; c < C_N; c++)
		rules_free(&want[c]);
	return r;
}

/* ---- validation ---------------------------------------------------------------------------- */

static int check_rule(const struct nat *nat, const struct nat_rule *r, bool add, size_t i)
{
	if (r->family == AF_INET6 && !nat->v6 && add)
		return ctr_err(-EAFNOSUPPORT, "nat rule %zu to add is IPv6, but the network of %s "
			       "has no IPv6 subnet", i, nat->net.bridge);
	return nat_rule_check(r, add ? "add" : "delete", i);
}

/* ---- apply --------------------------------------------------------------------------------- */

static size_t count_kind(const struct evec *v, uint8_t kind)
{
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++)
		n += natelem_sets[v->v[i].set].kind == kind;
	return n;
}

/* One batch: the deletions `del`, then the additions `add` (each sorted by set).  Returns 0,
 * -ENOENT and -ERESTART (when `quiet`) with no message, or another error with its message;
 * *no_destroy: the kernel does not know NFT_MSG_DESTROYSETELEM. */
static int send_change(struct nat *nat, const struct evec *del, const struct evec *add,
		       const uint32_t *genid, bool quiet, bool *no_destroy)
{
	struct batch b = { 0 };
	struct nlres res = { 0 };
	char w[4][64];
	size_t n[4] = { count_kind(del, NAT_RULE_DNAT), count_kind(del, NAT_RULE_LINK),
			count_kind(add, NAT_RULE_DNAT), count_kind(add, NAT_RULE_LINK) };
	for (int i = 0; i < 4; i++)
		snprintf(w[i], sizeof w[i], "%s the elements of %zu %s port%s",
			 i < 2 ? "delete" : "add", n[i], i % 2 ? "linked" : "published",
			 n[i] == 1 ? "" : "s");
	const char *wd[2] = { w[0], w[1] }, *wa[2] = { w[2], w[3] };
	uint16_t dt = nat->destroy ? MSG_DESTROYSETELEM : NFT_MSG_DELSETELEM;
	*no_destroy = false;
	int r = batch_init(nat, &b, genid);
	if (r >= 0)
		r = batch_elems(nat, &b, dt, del->v, del->n, wd);
	if (r >= 0)
		r = batch_elems(nat, &b, NFT_MSG_NEWSETELEM, add->v, add->n, wa);
	if (r >= 0)
		r = batch_send(nat, &b, &res);
	if (r < 0 && res.kernel) {
		bool on_destroy = res.idx >= 0 && b.m[res.idx].type == MSG_DESTROYSETELEM;
		if (on_destroy && (r == -EINVAL || r == -EOPNOTSUPP))
			*no_destroy = true;
		else if (!(quiet && (r == -ENOENT || r == -ERESTART)))
			r = batch_fail(nat, &b, &res);
	}
	batch_free(&b);
	return r;
}

static int kelem_cmp(const void *a, const void *b)
{
	return natelem_cmp(&((const struct kelem *)a)->e, &((const struct kelem *)b)->e);
}

/* The reading path: read our sets, delete what is there of `del` and the elements of the
 * containers in `drop`, add `add`, in a batch based on that reading.  Recreates the layout
 * when it is gone (once). */
static int apply_read(struct nat *nat, const struct evec *del, const struct evec *add,
		      const char *const *drop, size_t n_drop)
{
	struct kvec have = { NULL, 0, 0 };
	struct evec d = { NULL, 0, 0 };
	bool ensured = false;
	int r = 0;
	unsigned mask = 0;
	if (n_drop)
		mask = (1u << S_N) - 1;
	for (size_t i = 0; i < del->n; i++)
		mask |= 1u << del->v[i].set;
	for (size_t i = 0; i < add->n; i++)
		mask |= 1u << add->v[i].set;
	for (int tries = 1;; tries++) {
		/* The last attempt goes without the generation: when other programs commit
		 * all the time, a change of ours based on a slightly old reading is better
		 * than none (the elements of one container are only changed by us). */
		bool last = tries > TRIES, missing, consistent, no_destroy;
		uint32_t genid;
		if ((r = read_elems(nat, mask, &have, &missing, &genid, &consistent)) < 0)
			break;
		if (missing && !ensured) {
			/* someone removed the table or a set (nft flush ruleset, a firewall
			 * reload): the layout again, then this change */
			if ((r = nft_ensure_base(nat)) < 0)
				break;
			ensured = true;
			tries = 0;
			continue;
		}
		if (have.n)
			qsort(have.v, have.n, sizeof *have.v, kelem_cmp);
		d.n = 0;
		for (size_t i = 0; i < del->n && r >= 0; i++) {
			struct kelem key = { .e = del->v[i] };
			struct elem *e;
			if (have.n &&
			    bsearch(&key, have.v, have.n, sizeof *have.v, kelem_cmp)) {
				if (!(e = natelem_push(&d)))
					r = -ENOMEM;
				else
					*e = del->v[i];
			}
		}
		for (size_t i = 0; i < have.n && r >= 0; i++) {
			struct elem *e;
			if (!nat_ids_name(drop, n_drop, have.v[i].owner, have.v[i].peer))
				continue;
			if (!(e = natelem_push(&d)))
				r = -ENOMEM;
			else
				*e = have.v[i].e;
		}
		if (r < 0)
			break;
		natelem_sort_unique(&d);
		const uint32_t *g = last ? NULL : &genid;
		r = send_change(nat, &d, add, g, true, &no_destroy);
		if (no_destroy) { /* every element deleted is there: DELSETELEM does */
			nat->destroy = false;
			r = send_change(nat, &d, add, g, true, &no_destroy);
		}
		if (r == -ERESTART && !last)
			continue; /* the ruleset changed since we read it */
		if (r == -ENOENT || r == -ERESTART)
			r = ctr_err(r, "nftables: table inet %s: changed by someone else while "
				    "we changed it; try again", nat->table);
		break;
	}
	free(have.v);
	free(d.v);
	return r;
}

static int expand(const struct nat *nat, const struct nat_rule *v, size_t n, bool add,
		  struct evec *out)
{
	for (size_t i = 0; i < n; i++) {
		int r = check_rule(nat, &v[i], add, i);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++)
		if (natelem_of_rule(&v[i], out) < 0)
			return -ENOMEM;
	return 0;
}

static int nft_apply(struct nat *nat, const struct nat_txn *txn)
{
	int r = nat_txn_check(txn);
	if (r < 0)
		return r;
	struct evec del = { NULL, 0, 0 }, add = { NULL, 0, 0 };
	const char **drop = NULL;
	r = expand(nat, txn->del, txn->n_del, false, &del);
	if (r >= 0)
		r = expand(nat, txn->add, txn->n_add, true, &add);
	if (r >= 0 && txn->n_drop_ids)
		r = nat_ids_sorted(txn->drop_ids, txn->n_drop_ids, &drop);
	if (r < 0 || (!txn->n_drop_ids && !del.n && !add.n) || (r = nft_sock(nat)) < 0)
		goto out;
	natelem_sort_unique(&del);
	/* Additions by set; equal keys stay (the kernel accepts an element twice, or says
	 * which port has two destinations). */
	if (add.n)
		qsort(add.v, add.n, sizeof *add.v, natelem_cmp);
	if (txn->n_drop_ids) {
		r = apply_read(nat, &del, &add, drop, txn->n_drop_ids);
		goto out;
	}
	/* The hot path: one batch, no reading. */
	bool no_destroy;
	r = send_change(nat, &del, &add, NULL, true, &no_destroy);
	if (no_destroy) {
		nat->destroy = false;
		r = send_change(nat, &del, &add, NULL, true, &no_destroy);
	}
	/* ENOENT: an element to delete is absent (kernels before 6.3), or the table or a set is
	 * gone.  Read what is there and do it again. */
	if (r == -ENOENT)
		r = apply_read(nat, &del, &add, NULL, 0);
out:
	free(del.v);
	free(add.v);
	free(drop);
	return r;
}

/* ---- list ---------------------------------------------------------------------------------- */

static int nft_list(struct nat *nat, struct nat_rule **out, size_t *n)
{
	struct kvec have = { NULL, 0, 0 };
	bool missing, consistent = false;
	uint32_t genid;
	*out = NULL;
	*n = 0;
	/* A reading during which nothing was committed; if other programs commit all the time,
	 * the last one (reconcile, which asks, runs again). */
	int r = 0;
	for (int tries = 1; r >= 0 && !consistent && tries <= TRIES; tries++)
		r = read_elems(nat, (1u << S_N) - 1, &have, &missing, &genid, &consistent);
	if (r < 0) {
		free(have.v);
		return r;
	}
	struct nat_rule *v = calloc(have.n ? have.n : 1, sizeof *v);
	if (!v) {
		free(have.v);
		return ctr_err(-ENOMEM, "out of memory");
	}
	size_t k = 0;
	for (size_t i = 0; i < have.n; i++)
		if (have.v[i].owner[0] && natelem_rule(&have.v[i], &v[k]))
			k++;
	free(have.v);
	*out = v;
	*n = nat_rules_coalesce(v, k);
	return 0;
}

/* ---- list_others --------------------------------------------------------------------------- */

struct tnames {
	const char *own;
	char (*v)[NFT_TABLE_MAXNAMELEN];
	size_t n, cap;
};

static int tnames_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tnames *t = data;
	struct nftnl_table *tb = nftnl_table_alloc();
	if (!tb)
		return ctr_err(-ENOMEM, "out of memory");
	int r = 0;
	if (nftnl_table_nlmsg_parse(nlh, tb) == 0) {
		const char *name = nftnl_table_get_str(tb, NFTNL_TABLE_NAME);
		size_t pl = strlen(TABLE_PREFIX);
		if (name && strncmp(name, TABLE_PREFIX, pl) == 0 && strlen(name) <= pl + BRIDGE_MAX &&
		    strcmp(name, t->own) != 0 &&
		    (r = natelem_grow((void **)&t->v, &t->cap, t->n, sizeof *t->v)) == 0)
			snprintf(t->v[t->n++], sizeof *t->v, "%s", name);
	}
	nftnl_table_free(tb);
	return r;
}

/* Our other tables (one dump of the inet tables), then the DNAT maps of each.  A table or map
 * that goes away while we read is skipped; a dump interrupted by a commit elsewhere is taken
 * as it came (every element came, some maybe twice).  On a kernel with nf_tables as a module
 * that is not loaded, the request loads it (as nft would): that makes no table or hook. */
static int nft_list_others(struct nat *nat, nat_rule_fn fn, void *arg)
{
	struct tnames t = { nat->table, NULL, 0, 0 };
	struct kvec have = { NULL, 0, 0 };
	struct nlres res;
	union req q;
	int r = nft_sock(nat);
	if (r >= 0) {
		struct nlmsghdr *nlh = req_hdr(&q, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_DUMP);
		r = nft_request(nat, nlh, tnames_cb, &t, &res);
		if (r == -EINTR && res.kernel)
			r = 0;
		else if (r < 0 && res.kernel)
			r = nft_fail(&res, r, NULL, "cannot list the inet tables");
	}
	for (size_t i = 0; r >= 0 && i < t.n; i++) {
		for (int s = 0; r >= 0 && s < S_N; s++) {
			if (natelem_sets[s].kind != NAT_RULE_DNAT)
				continue;
			have.n = 0;
			r = dump_set(nat, t.v[i], s, &have, &res);
			if ((r == -ENOENT || r == -EINTR) && res.kernel)
				r = 0;
			else if (r < 0 && res.kernel)
				r = nft_fail(&res, r, NULL, "cannot read set %s of table inet %s",
					     natelem_sets[s].name, t.v[i]);
			for (size_t k = 0; r >= 0 && k < have.n; k++) {
				struct nat_rule rule;
				if (have.v[k].owner[0] && natelem_rule(&have.v[k], &rule))
					r = fn(arg, t.v[i] + strlen(TABLE_PREFIX), &rule);
			}
		}
	}
	free(have.v);
	free(t.v);
	return r;
}

/* ---- remove_all ---------------------------------------------------------------------------- */

static int nft_remove_all(struct nat *nat)
{
	struct batch b = { 0 };
	struct nlres res = { 0 };
	int r = batch_init(nat, &b, NULL);
	if (r >= 0)
		r = batch_room(&b, MSG_ROOM);
	if (r >= 0) {
		struct nlmsghdr *nlh = batch_hdr(nat, &b, NFT_MSG_DELTABLE, 0);
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, nat->table);
		r = batch_push(&b, nlh, NULL, 0, "delete the table");
	}
	if (r >= 0)
		r = batch_send(nat, &b, &res);
	if (r == -ENOENT && res.kernel)
		r = 0; /* gone already */
	else if (r < 0 && res.kernel)
		r = batch_fail(nat, &b, &res);
	batch_free(&b);
	return r;
}

/* ---- open and close ------------------------------------------------------------------------ */

bool nft_probe(void)
{
	struct nlsock s;
	union req q;
	bool kernel;
	if (nl_open(&s, NETLINK_NETFILTER, 8192, "nftables", NULL) < 0)
		return false;
	int r = nl_request(&s, req_hdr(&q, NFT_MSG_GETGEN, AF_UNSPEC, 0), NULL, NULL, &kernel);
	nl_close(&s);
	return r == 0;
}

static int nft_open(struct nat **out, const struct nat_net *net)
{
	*out = NULL;
	int r = nat_net_check(net, BRIDGE_MAX, "", true);
	if (r < 0)
		return r;
	bool v6 = !zero16(net->subnet6);
	struct nat *nat = calloc(1, sizeof *nat);
	if (!nat)
		return ctr_err(-ENOMEM, "out of memory");
	nat->net = *net;
	nat->v6 = v6;
	snprintf(nat->table, sizeof nat->table, TABLE_PREFIX "%s", net->bridge);
	nat->destroy = kernel_has_destroy();
	nat->family = NFPROTO_INET;
	*out = nat;
	return 0;
}

static void nft_close(struct nat *nat)
{
	if (!nat)
		return;
	nl_close(&nat->nl);
	free(nat);
}

/* ---- the port guard (anti-spoofing; bridge family) ----------------------------------------- */

/* table bridge ctrlink_<br>, whatever the NAT backend:
 *
 *   set ports { type ifname }                        the bridge ports of our containers
 *   set macs  { type ifname . ether_addr }           each port's MAC
 *   set ip4   { type ifname . ether_addr . ipv4_addr }   its IPv4 source (IPv4 and ARP)
 *   set ip6   { type ifname . ether_addr . ipv6_addr }   its IPv6 sources
 *   chain guard { type filter hook prerouting priority -300; policy accept;
 *       iifname != @ports accept
 *       iifname . ether saddr != @macs drop
 *       ether type ip iifname . ether saddr . ip saddr @ip4 accept
 *       ether type arp (Ethernet/IPv4) iifname . arp saddr ether . arp saddr ip @ip4 accept
 *       ether type ip6 iifname . ether saddr . ip6 saddr @ip6 accept
 *       drop }
 *
 * Every change sends the whole layout again (created where missing, the chain's rules
 * replaced) with its elements, in one batch: a flushed ruleset heals at the next start. */
enum { G_PORTS, G_MACS, G_IP4, G_IP6, G_N };
enum { DT_ETHERADDR = 9, DT_IFNAME = 41 };

static const struct {
	const char *name;
	uint32_t key_type, key_len;
} gsets[G_N] = {
	[G_PORTS] = { "ports", DT_IFNAME, GUARD_KEY_PORT },
	[G_MACS] = { "macs", DT2(DT_IFNAME, DT_ETHERADDR), GUARD_KEY_MAC },
	[G_IP4] = { "ip4", DT3(DT_IFNAME, DT_ETHERADDR, DT_IPADDR), GUARD_KEY4 },
	[G_IP6] = { "ip6", DT3(DT_IFNAME, DT_ETHERADDR, DT_IP6ADDR), GUARD_KEY6 },
};

#define GUARD_CHAIN "guard"

static int guard_set(struct nat *nat, struct batch *b, int s)
{
	int r = batch_room(b, MSG_ROOM);
	if (r < 0)
		return r;
	struct nftnl_set *st = nftnl_set_alloc();
	if (!st || nftnl_set_set_str(st, NFTNL_SET_TABLE, nat->table) < 0 ||
	    nftnl_set_set_str(st, NFTNL_SET_NAME, gsets[s].name) < 0) {
		nftnl_set_free(st);
		return ctr_err(-ENOMEM, "out of memory");
	}
	nftnl_set_set_u32(st, NFTNL_SET_FAMILY, NFPROTO_BRIDGE);
	nftnl_set_set_u32(st, NFTNL_SET_ID, (uint32_t)s + 1);
	nftnl_set_set_u32(st, NFTNL_SET_FLAGS, 0);
	nftnl_set_set_u32(st, NFTNL_SET_KEY_TYPE, gsets[s].key_type);
	nftnl_set_set_u32(st, NFTNL_SET_KEY_LEN, gsets[s].key_len);
	struct nlmsghdr *nlh = batch_hdr(nat, b, NFT_MSG_NEWSET, NLM_F_CREATE);
	nftnl_set_nlmsg_build_payload(nlh, st);
	nftnl_set_free(st);
	char what[48];
	snprintf(what, sizeof what, "create set %s", gsets[s].name);
	return batch_push(b, nlh, NULL, 0, what);
}

static int guard_chain(struct nat *nat, struct batch *b)
{
	int r = batch_room(b, MSG_ROOM);
	if (r < 0)
		return r;
	struct nftnl_chain *ch = nftnl_chain_alloc();
	if (!ch || nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, nat->table) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, GUARD_CHAIN) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, "filter") < 0) {
		nftnl_chain_free(ch);
		return ctr_err(-ENOMEM, "out of memory");
	}
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, 0 /* NF_BR_PRE_ROUTING */);
	nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, -300);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	struct nlmsghdr *nlh = batch_hdr(nat, b, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return batch_push(b, nlh, NULL, 0, "create chain " GUARD_CHAIN);
}

/* The chain's rules, in order: a frame of the ethertype (0: any), whose key — the port's name
 * (16 bytes), then, where given, a MAC (6, zero-padded to 8) and a source address, each at
 * its header and offset — is in the set (`inv`: not in it; no set: every frame), gets the
 * verdict. */
#define LL NFT_PAYLOAD_LL_HEADER
#define NH NFT_PAYLOAD_NETWORK_HEADER
static const struct grule {
	uint16_t ethertype;
	int set; /* -1: none */
	bool inv;
	uint32_t mac_base, mac_off, mac_len, addr_base, addr_off, addr_len;
	int verdict;
} grules[] = {
	{ 0, G_PORTS, true, 0, 0, 0, 0, 0, 0, NF_ACCEPT },  /* not ours to judge */
	{ 0, G_MACS, true, LL, 6, 6, 0, 0, 0, NF_DROP },    /* another MAC: not learnt */
	{ ETH_P_IP, G_IP4, false, LL, 6, 6, NH, 12, 4, NF_ACCEPT },
	{ ETH_P_ARP, G_IP4, false, NH, 8, 6, NH, 14, 4, NF_ACCEPT }, /* sender MAC, address */
	{ ETH_P_IPV6, G_IP6, false, LL, 6, 6, NH, 8, 16, NF_ACCEPT },
	{ 0, -1, false, 0, 0, 0, 0, 0, 0, NF_DROP }, /* any other source, ethertype, VLAN tag */
};
#undef LL
#undef NH

static void guard_rule(struct rb *b, const struct grule *g)
{
	static const uint8_t arp_eth_ip4[6] = { 0, 1, 8, 0, 6, 4 }; /* htype, ptype, hlen, plen */
	if (g->ethertype) {
		uint16_t t = htons(g->ethertype);
		x_payload(b, NFT_PAYLOAD_LL_HEADER, 12, 2, R(0));
		x_cmp(b, R(0), NFT_CMP_EQ, &t, 2);
	}
	if (g->ethertype == ETH_P_ARP) { /* for IPv4 over Ethernet */
		x_payload(b, NFT_PAYLOAD_NETWORK_HEADER, 0, 6, R(0));
		x_cmp(b, R(0), NFT_CMP_EQ, arp_eth_ip4, 6);
	}
	if (g->set >= 0) {
		x_meta(b, NFT_META_IIFNAME, R(0));
		if (g->mac_len)
			x_payload(b, g->mac_base, g->mac_off, g->mac_len, R(4));
		if (g->addr_len)
			x_payload(b, g->addr_base, g->addr_off, g->addr_len, R(6));
		struct nftnl_expr *e = nftnl_expr_alloc("lookup");
		if (e) {
			if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, gsets[g->set].name) < 0)
				b->oom = true;
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R(0));
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, g->inv ? NFT_LOOKUP_F_INV : 0);
		}
		rb_add(b, e);
	}
	x_verdict(b, g->verdict, NULL);
}

static int guard_rules(struct nat *nat, struct batch *b)
{
	int r = 0;
	for (size_t i = 0; r >= 0 && i < sizeof grules / sizeof grules[0]; i++) {
		struct rb rb = { nftnl_rule_alloc(), false };
		if (rb.r) {
			nftnl_rule_set_u32(rb.r, NFTNL_RULE_FAMILY, NFPROTO_BRIDGE);
			if (nftnl_rule_set_str(rb.r, NFTNL_RULE_TABLE, nat->table) < 0 ||
			    nftnl_rule_set_str(rb.r, NFTNL_RULE_CHAIN, GUARD_CHAIN) < 0)
				rb.oom = true;
		}
		guard_rule(&rb, &grules[i]);
		if (rb.oom || (r = batch_room(b, MSG_ROOM)) < 0) {
			nftnl_rule_free(rb.r);
			return r < 0 ? r : ctr_err(-ENOMEM, "out of memory");
		}
		struct nlmsghdr *nlh = batch_hdr(nat, b, NFT_MSG_NEWRULE,
						 NLM_F_CREATE | NLM_F_APPEND);
		nftnl_rule_nlmsg_build_payload(nlh, rb.r);
		nftnl_rule_free(rb.r);
		char what[40];
		snprintf(what, sizeof what, "add rule %zu of chain " GUARD_CHAIN, i + 1);
		r = batch_push(b, nlh, NULL, 0, what);
	}
	return r;
}

/* One element message of `type` (NEWSETELEM, DESTROYSETELEM, DELSETELEM; with no key, a
 * DELSETELEM flushes the set) for set `s`. */
static int guard_elems(struct nat *nat, struct batch *b, uint16_t type, int s,
		       const uint8_t (*keys)[GUARD_KEY6], size_t n, const char *what)
{
	int r = batch_room(b, MSG_ROOM + n * ELEM_ROOM);
	if (r < 0)
		return r;
	struct nftnl_set *st = nftnl_set_alloc();
	if (!st || nftnl_set_set_str(st, NFTNL_SET_TABLE, nat->table) < 0 ||
	    nftnl_set_set_str(st, NFTNL_SET_NAME, gsets[s].name) < 0)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		if (!e || nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys[i], gsets[s].key_len) < 0) {
			nftnl_set_elem_free(e);
			r = -ENOMEM;
			break;
		}
		nftnl_set_elem_add(st, e);
	}
	if (r < 0) {
		nftnl_set_free(st);
		return ctr_err(-ENOMEM, "out of memory");
	}
	struct nlmsghdr *nlh = batch_hdr(nat, b, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	if (n)
		nftnl_set_elems_nlmsg_build_payload(nlh, st);
	else {
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, nat->table);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, gsets[s].name);
	}
	nftnl_set_free(st);
	return batch_push(b, nlh, NULL, 0, what);
}

/* The elements of ports v[0..n) of every set, in one message per set and port. */
static int guard_port_elems(struct nat *nat, struct batch *b, uint16_t type,
			    const struct guard_port *v, size_t n)
{
	int r = 0;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		uint8_t keys[GUARD_KEYS6][GUARD_KEY6] = { { 0 } };
		char what[64];
		const char *verb = type == NFT_MSG_NEWSETELEM ? "add" : "delete";
		for (int s = 0; r >= 0 && s < G_N; s++) {
			size_t k = 1;
			if (s == G_PORTS)
				guard_key_port(&v[i], keys[0]);
			else if (s == G_MACS)
				guard_key_mac(&v[i], keys[0]);
			else if (s == G_IP4)
				guard_key4(&v[i], keys[0]);
			else if (!(k = guard_keys6(&v[i], keys)))
				continue;
			snprintf(what, sizeof what, "%s the %s of port %.15s", verb, gsets[s].name,
				 v[i].port);
			r = guard_elems(nat, b, type, s, (const uint8_t (*)[GUARD_KEY6])keys, k, what);
		}
	}
	return r;
}

int nft_guard_open(struct nat **out, const char *bridge)
{
	*out = NULL;
	if (name_check(NAME_BRIDGE, bridge) < 0)
		return -EINVAL;
	struct nat *g = calloc(1, sizeof *g);
	if (!g)
		return ctr_err(-ENOMEM, "out of memory");
	g->family = NFPROTO_BRIDGE;
	g->destroy = kernel_has_destroy();
	snprintf(g->net.bridge, sizeof g->net.bridge, "%s", bridge);
	snprintf(g->table, sizeof g->table, TABLE_PREFIX "%s", bridge);
	*out = g;
	return 0;
}

void nft_guard_close(struct nat *g)
{
	nft_close(g);
}

const char *nft_guard_bridge(const struct nat *g)
{
	return g->net.bridge;
}

/* What a missing table or set (-ENOENT) means to guard_send(). */
enum { ENOENT_FAILS, ENOENT_IS_OK, ENOENT_QUIET };

/* Send the batch `b` unless `r` (its building) failed, and free it.  -ENOENT fails with the
 * message set, is success, or is returned with no message (the caller tries again). */
static int guard_send(struct nat *g, struct batch *b, int r, int enoent)
{
	struct nlres res = { 0 };
	if (r >= 0)
		r = batch_send(g, b, &res);
	if (r == -ENOENT && res.kernel && enoent != ENOENT_FAILS)
		r = enoent == ENOENT_IS_OK ? 0 : r;
	else if (r < 0 && res.kernel)
		r = batch_fail(g, b, &res);
	batch_free(b);
	return r;
}

/* One batch: the layout (if `layout`; `reset` also empties the sets), then the changes. */
static int guard_batch(struct nat *g, const struct guard_port *add, size_t n_add,
		       const struct guard_port *del, size_t n_del, bool layout, bool reset,
		       int enoent)
{
	struct batch b;
	int r = batch_init(g, &b, NULL);
	if (r >= 0 && layout)
		r = put_table(g, &b);
	for (int s = 0; r >= 0 && layout && s < G_N; s++)
		r = guard_set(g, &b, s);
	if (r >= 0 && layout)
		r = guard_chain(g, &b);
	if (r >= 0 && layout)
		r = put_del(g, &b, NFT_MSG_DELRULE, GUARD_CHAIN);
	if (r >= 0 && layout)
		r = guard_rules(g, &b);
	for (int s = 0; r >= 0 && reset && s < G_N; s++)
		r = guard_elems(g, &b, NFT_MSG_DELSETELEM, s, NULL, 0, "flush a set");
	if (r >= 0)
		r = guard_port_elems(g, &b, g->destroy ? MSG_DESTROYSETELEM : NFT_MSG_DELSETELEM,
				     del, n_del);
	if (r >= 0)
		r = guard_port_elems(g, &b, NFT_MSG_NEWSETELEM, add, n_add);
	return guard_send(g, &b, r, enoent);
}

int nft_guard_apply(struct nat *g, const struct guard_port *add, size_t n_add,
		    const struct guard_port *del, size_t n_del, bool reset)
{
	if (reset)
		return guard_batch(g, add, n_add, del, n_del, true, true, ENOENT_FAILS);
	/* the elements alone (no rule is replaced: nothing deleted, no grace period to wait
	 * for); a guard found missing is made in a second batch */
	int r = guard_batch(g, add, n_add, del, n_del, false, false,
			    n_add ? ENOENT_QUIET : ENOENT_IS_OK);
	if (r == -ENOENT && n_add)
		r = guard_batch(g, add, n_add, NULL, 0, true, false, ENOENT_FAILS);
	return r;
}

int nft_guard_remove(struct nat *g)
{
	struct batch b;
	int r = batch_init(g, &b, NULL);
	if (r >= 0 && (r = batch_room(&b, MSG_ROOM)) >= 0) {
		struct nlmsghdr *nlh = batch_hdr(g, &b, NFT_MSG_DELTABLE, 0);
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, g->table);
		r = batch_push(&b, nlh, NULL, 0, "delete the table");
	}
	return guard_send(g, &b, r, ENOENT_IS_OK);
}

const struct nat_ops nat_nftables_ops = {
	.name = "nftables",
	.open = nft_open,
	.close = nft_close,
	.ensure_base = nft_ensure_base,
	.apply = nft_apply,
	.list = nft_list,
	.remove_all = nft_remove_all,
	.list_others = nft_list_others,
};
