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
 * Rules are built by hand as struct ipt_entry + matches + target (core/natipt.c, pure; this
 * file is the kernel dialogue).  Rules we read back are
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

#include "core/model.h"
#include "core/natipt.h"
#include "core/natrules.h"
#include "core/util.h"

#define XT_LOCK_DEFAULT "/run/xtables.lock"
#define XT_LOCK_TIMEOUT_MS 30000
#define COMMIT_TRIES 5
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
	struct natipt_layout l;
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
			  const struct natipt_rule *want, size_t n, bool *changed)
{
	size_t i = 0;
	bool same = true;
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e;
	     e = iptc_next_rule(e, h), i++)
		if (i >= n || !natipt_entry_is(e, iptc_get_target(e, h), &want[i])) {
			same = false;
			break;
		}
	if (same && i == n)
		return 0;
	if (!iptc_flush_entries(chain, h))
		return iptc_fail(table, "cannot flush chain %s", chain);
	for (i = 0; i < n; i++) {
		int r = natipt_rule_check(&want[i]);
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
		       const struct natipt_rule *want, bool first, bool *changed)
{
	int r = natipt_rule_check(want);
	if (r < 0)
		return r;
	for (;;) {
		unsigned i = 0, count = 0, last = 0;
		for (const struct ipt_entry *e = iptc_first_rule(builtin, h); e;
		     e = iptc_next_rule(e, h), i++)
			if (natipt_entry_is(e, iptc_get_target(e, h), want)) {
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
	struct natipt_rule body[NATIPT_N_FWD];
	size_t n_body;
	struct natipt_rule jump[3];
	const char *builtin[3];
	bool first[3];
	size_t n_jumps;
};

/* Jump i: from `builtin`, inserted first or appended. */
static struct natipt_rule *base_jump(struct base_part *p, const char *builtin, bool first)
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
		p->chains[0] = nat->l.dnat;
		p->chains[1] = p->content = nat->l.post;
		p->n_body = natipt_post_rules(&nat->l, p->body);
		natipt_jump_local(base_jump(p, "PREROUTING", false), nat->l.dnat);
		natipt_jump_local(base_jump(p, "OUTPUT", false), nat->l.dnat);
		natipt_jump(base_jump(p, "POSTROUTING", true), nat->l.post);
		break;
	case T_FILTER:
		p->chains[0] = nat->l.link;
		p->chains[1] = p->content = nat->l.fwd;
		p->n_body = natipt_fwd_rules(&nat->l, p->body);
		natipt_jump(base_jump(p, "FORWARD", true), nat->l.fwd);
		break;
	default:
		p->chains[0] = p->content = nat->l.raw;
		natipt_raw_rule(&p->body[0]);
		p->n_body = 1;
		natipt_jump(base_jump(p, "PREROUTING", true), nat->l.raw);
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
		if (tn && !natipt_name_is(tg->u.user.name, sizeof tg->u.user.name, tn)) {
			memset(tg->u.user.name, 0, sizeof tg->u.user.name);
			natipt_set_name(tg->u.user.name, sizeof tg->u.user.name, tn);
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
	const char *chain = t == T_NAT ? nat->l.dnat : nat->l.link;
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
		if (!natipt_rule_owners(e, owner, peer))
			continue; /* not a rule of ours: left alone */
		bool del = dropped(c, owner, peer);
		struct nat_rule cur;
		if (!del && (c->n_del[k] || c->n_add[k]) && natipt_decode(e, iptc_get_target(e, h), kind, owner, peer, &cur)) {
			bool in_del = nat_rule_in_sorted(c->del[k], c->n_del[k], &cur);
			bool in_add = nat_rule_in_sorted(c->add[k], c->n_add[k], &cur);
			if ((in_del || in_add) && natipt_exact(e, iptc_get_target(e, h), &cur)) {
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
		struct natipt_rule rb;
		natipt_encode(nr, &rb);
		if ((r = natipt_rule_check(&rb)) < 0)
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
	nat->l.net = *net;
	snprintf(nat->l.dnat, sizeof nat->l.dnat, "CTRLINK-DNAT-%s", net->bridge);
	snprintf(nat->l.post, sizeof nat->l.post, "CTRLINK-POST-%s", net->bridge);
	snprintf(nat->l.fwd, sizeof nat->l.fwd, "CTRLINK-FWD-%s", net->bridge);
	snprintf(nat->l.link, sizeof nat->l.link, "CTRLINK-LINK-%s", net->bridge);
	snprintf(nat->l.raw, sizeof nat->l.raw, "CTRLINK-RAW-%s", net->bridge);
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
	const char *chain = t == T_NAT ? nat->l.dnat : nat->l.link;
	(void)changed;
	if (!iptc_is_chain(chain, h))
		return 0;
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h)) {
		char owner[ID_LEN + 1], peer[ID_LEN + 1];
		struct nat_rule cur;
		if (!natipt_rule_owners(e, owner, peer) || !natipt_decode(e, iptc_get_target(e, h), kind, owner, peer, &cur) ||
		    !natipt_exact(e, iptc_get_target(e, h), &cur))
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
		if (strncmp(chain, DNAT_PREFIX, pl) != 0 || strcmp(chain, nat->l.dnat) == 0)
			continue;
		for (const struct ipt_entry *e = iptc_first_rule(chain, h); e;
		     e = iptc_next_rule(e, h)) {
			char owner[ID_LEN + 1], peer[ID_LEN + 1];
			struct nat_rule cur;
			if (!natipt_rule_owners(e, owner, peer) ||
			    !natipt_decode(e, iptc_get_target(e, h), NAT_RULE_DNAT, owner, peer, &cur) || !natipt_exact(e, iptc_get_target(e, h), &cur))
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
		ours[n_ours++] = nat->l.dnat;
		ours[n_ours++] = nat->l.post;
	} else if (t == T_FILTER) {
		ours[n_ours++] = nat->l.fwd;
		ours[n_ours++] = nat->l.link;
	} else {
		ours[n_ours++] = nat->l.raw;
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
