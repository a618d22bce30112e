/* Links between containers: adding and removing them, and keeping the linking containers'
 * /etc/hosts and firewall current as the linked ones come and go. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hosts.h"
#include "ops/internal.h"
#include "core/links.h"
#include "core/names.h"
#include "core/natplan.h"

/* Rewrite the hosts file of a running container from scratch (its links as they are now). */
static int rerender_hosts(struct op *op, const struct ctr_rec *rec)
{
	char *hosts;
	int e = etc_hosts_compose(op, rec, &hosts);
	if (e < 0)
		return e;
	e = etc_rewrite(op, rec, "hosts", hosts);
	free(hosts);
	return e;
}

/* The running containers linking to `child` see its change in their /etc/hosts at once.  A
 * (re)start changes the address (§2.6: the lines of the alias are rewritten in place; a
 * container without such a line, or with IPv6 lines too, gets its file rendered anew); a
 * rename (`rerender`) changes the name that ends the line, so every file is rendered anew,
 * once per parent whatever its number of aliases. */
int links_child_changed(struct op *op, const struct ctr_rec *child, bool rerender)
{
	char **rl = NULL;
	int e = store_rlinks(op->st, child->id, &rl);
	char ip[16], last[CTR_ID_LEN + 1] = "";
	ip4_format(child->net.ip, ip, sizeof ip);
	for (size_t i = 0; !e && rl && rl[i]; i++) {
		char *colon = strchr(rl[i], ':');
		struct ctr_rec *p;
		if (!colon)
			continue;
		*colon = '\0';
		if (strcmp(rl[i], last) == 0) /* rendered anew already */
			continue;
		if (store_rec_load(op->st, rl[i], &p) < 0) {
			ctr_err_clear();
			continue;
		}
		char rel[128], *old = NULL, *upd = NULL;
		store_rec_file(p->id, "hosts", rel, sizeof rel);
		if (p->status != ST_RUNNING) {
			/* its file is made at its start */
		} else if (!rerender && !child->net.prefixlen6 &&
			   store_read(op->st, rel, &old, NULL) == 0 &&
			   hosts_update_alias(old, colon + 1, ip, &upd) == 0 && strcmp(old, upd) != 0) {
			/* the library's copy, and the container's (which keeps its own lines) */
			e = store_rewrite(op->st, rel, upd, strlen(upd));
			if (!e)
				e = etc_live_alias(op, p, colon + 1, ip, upd);
		} else {
			ctr_err_clear();
			e = rerender_hosts(op, p);
			snprintf(last, sizeof last, "%s", p->id);
		}
		free(old);
		free(upd);
		rec_free(p);
	}
	strv_free(rl);
	return e;
}

/* The firewall rules of one link (empty when either side is not running, or with icc). */
static int link_rule_set(struct op *op, const struct ctr_rec *p, const struct ctr_rec *c,
			 struct nat_rule **rules, size_t *n)
{
	const struct netcfg *cfg;
	int e = op_netcfg(op, &cfg);
	*rules = NULL;
	*n = 0;
	if (e == -ENOENT) {
		ctr_err_clear();
		return 0;
	}
	if (e < 0 || cfg->icc || p->status != ST_RUNNING || c->status != ST_RUNNING || !p->has_net ||
	    !c->has_net)
		return e;
	return natplan_link(p->id, p->net.ip, NET_IP6(&p->net), c->id, c->net.ip, NET_IP6(&c->net),
			    c->exposed, c->n_exposed, rules, n);
}

int unlink_locked(struct op *op, const char *parent_id, const char *alias)
{
	struct ctr_rec *p, *c = NULL;
	int e = store_rec_load(op->st, parent_id, &p);
	if (e < 0)
		return e;
	struct ctr_link *l = rec_find_link(p, alias);
	if (!l) {
		e = ctr_err(-ENOENT, "container %s has no link with alias %s", p->name, SHOWN(alias));
		rec_free(p);
		return e;
	}
	char child[CTR_ID_LEN + 1], what[CTR_ID_LEN + 8];
	snprintf(child, sizeof child, "%s", l->target);
	if (store_rec_load(op->st, child, &c) < 0)
		ctr_err_clear();
	/* journaled: recovery makes the parent's rules, hosts and the reverse index whole */
	snprintf(what, sizeof what, "sync %s", child);
	if ((e = op_journal(op, p->id, what)) < 0) {
		rec_free(p);
		rec_free(c);
		return e;
	}
	struct nat_rule *rules = NULL;
	size_t n = 0;
	if (c)
		e = link_rule_set(op, p, c, &rules, &n);
	/* the rules first: a commit that fails leaves everything as it was */
	if (!e && n) {
		struct nat_txn txn = { .del = rules, .n_del = n };
		e = net_apply(op, &txn);
	}
	if (!e) {
		free(l->target);
		free(l->alias);
		*l = p->links[--p->n_links];
		e = store_rec_save(op->st, p);
	}
	if (!e)
		e = store_rlink_del(op->st, child, p->id, alias);
	if (!e && p->status == ST_RUNNING)
		e = rerender_hosts(op, p);
	free(rules);
	rec_free(p);
	rec_free(c);
	return e;
}

/* Whether `from` reaches `to` through links.  A container starts only after the ones it links
 * to, so a link that closes a cycle would leave every container on it unable to start. */
static bool links_reach(struct op *op, const char *from, const char *to)
{
	char **seen = NULL, **todo = NULL;
	bool found = false;
	if (strv_push(&todo, from) < 0)
		return false;
	for (size_t i = 0; !found && todo[i]; i++) {
		bool known = false;
		for (size_t k = 0; seen && seen[k] && !known; k++)
			known = strcmp(seen[k], todo[i]) == 0;
		struct ctr_rec *r;
		if (known || strv_push(&seen, todo[i]) < 0 || store_rec_load(op->st, todo[i], &r) < 0)
			continue;
		for (size_t l = 0; l < r->n_links && !found; l++)
			found = strcmp(r->links[l].target, to) == 0 ||
				strv_push(&todo, r->links[l].target) < 0;
		rec_free(r);
	}
	strv_free(seen);
	strv_free(todo);
	ctr_err_clear();
	return found;
}

CTR_API int ctr_link(ctr_ctx *ctx, const char *ref, const char *target, const char *alias,
		     unsigned flags)
{
	ctr_err_clear();
	if (!ctx || !target)
		return ctr_err(-EINVAL, "ctr_link: context or target is NULL");
	if (flags & ~CTR_LINK_ENV)
		return ctr_err(-EINVAL, "unknown ctr_link flags %#x", flags);
	struct op op;
	char pid[CTR_ID_LEN + 1], cid[CTR_ID_LEN + 1];
	struct ctr_rec *p = NULL, *c = NULL;
	struct nat_rule *rules = NULL;
	size_t n = 0;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if ((e = resolve_ref(op.st, ref, pid)) < 0 || (e = store_rec_load(op.st, pid, &p)) < 0)
		goto out;
	if ((e = resolve_ref(op.st, target, cid)) < 0) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s", ctr_err_msg());
		e = ctr_err(e == -ENOENT ? -EINVAL : e, "could not get container for %s: %s",
			    SHOWN(target), msg);
		goto out;
	}
	if ((e = store_rec_load(op.st, cid, &c)) < 0)
		goto out;
	const char *a = alias ? (alias[0] == '/' ? alias + 1 : alias) : c->name;
	if ((e = alias_validate(a)) < 0)
		goto out;
	if (strcmp(pid, cid) == 0) {
		e = ctr_err(-EINVAL, "a container cannot link to itself (%s)", p->name);
		goto out;
	}
	if (rec_find_link(p, a)) {
		e = ctr_err(-EEXIST, "container %s already has a link with alias %s", p->name, a);
		goto out;
	}
	if (links_reach(&op, cid, pid)) {
		e = ctr_err(-EINVAL,
			    "cannot link %s to %s: %s already links to %s (directly or through other "
			    "links); a container starts only after the ones it links to, so a cycle "
			    "could never start",
			    p->name, c->name, c->name, p->name);
		goto out;
	}
	char *t = xstrdup(cid), *al = xstrdup(a);
	struct ctr_link *nl = realloc(p->links, (p->n_links + 1) * sizeof *nl);
	if (nl)
		p->links = nl;
	if (!t || !al || !nl) {
		free(t);
		free(al);
		e = ctr_err(-ENOMEM, "out of memory");
		goto out;
	}
	p->links[p->n_links++] = (struct ctr_link){ t, al, (flags & CTR_LINK_ENV) != 0 };
	char what[CTR_ID_LEN + 8];
	snprintf(what, sizeof what, "sync %s", cid);
	if ((e = op_journal(&op, pid, what)) < 0 || (e = store_rlink_add(op.st, cid, pid, a)) < 0)
		goto out;
	/* live: the firewall (first: a commit that fails changes nothing) and /etc/hosts change
	 * now; the environment at the next start */
	if ((e = link_rule_set(&op, p, c, &rules, &n)) == 0 && n) {
		struct nat_txn txn = { .add = rules, .n_add = n };
		e = net_apply(&op, &txn);
	}
	if (!e && (e = store_rec_save(op.st, p)) < 0 && n) {
		char msg[2048];
		snprintf(msg, sizeof msg, "%s", ctr_err_msg());
		struct nat_txn undo = { .del = rules, .n_del = n };
		net_apply(&op, &undo);
		ctr_err(e, "%s", msg);
	}
	if (e < 0) {
		store_rlink_del(op.st, cid, pid, a);
		goto out;
	}
	if (p->status == ST_RUNNING)
		e = rerender_hosts(&op, p);
out:
	free(rules);
	rec_free(p);
	rec_free(c);
	return op_end(&op, e);
}

CTR_API int ctr_unlink(ctr_ctx *ctx, const char *ref, const char *alias)
{
	ctr_err_clear();
	if (!ctx || !alias)
		return ctr_err(-EINVAL, "ctr_unlink: context or alias is NULL");
	struct op op;
	char pid[CTR_ID_LEN + 1];
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if ((e = resolve_ref(op.st, ref, pid)) == 0)
		e = unlink_locked(&op, pid, alias[0] == '/' ? alias + 1 : alias);
	return op_end(&op, e);
}

CTR_API int ctr_rename(ctr_ctx *ctx, const char *ref, const char *new_name)
{
	ctr_err_clear();
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_rename: context is NULL");
	if (!ref || !ref[0] || !new_name || !new_name[0])
		return ctr_err(-EINVAL, "Neither old nor new names may be empty");
	struct op op;
	char id[CTR_ID_LEN + 1], owner[CTR_ID_LEN + 1];
	struct ctr_rec *r = NULL;
	char *old = NULL;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if ((e = resolve_ref(op.st, ref, id)) < 0 || (e = store_rec_load(op.st, id, &r)) < 0)
		goto out;
	const char *nn = new_name[0] == '/' ? new_name + 1 : new_name;
	if (strcmp(nn, r->name) == 0) {
		e = ctr_err(-EINVAL, "Renaming a container with the same name as its current name");
		goto out;
	}
	if ((e = name_validate(new_name)) < 0) {
		char msg[512];
		snprintf(msg, sizeof msg, "%s", ctr_err_msg());
		e = ctr_err(e, "Error when allocating new name: %s", msg);
		goto out;
	}
	/* journaled: a crash between the claim and the release is finished by recovery */
	char what[2 * CTR_NAME_MAX + 16];
	snprintf(what, sizeof what, "rename %s %s", r->name, nn);
	if ((e = op_journal(&op, id, what)) < 0)
		goto out;
	if ((e = store_name_claim(op.st, nn, id, owner)) == -EEXIST) {
		e = ctr_err(-EEXIST,
			    "Error when allocating new name: Conflict. The container name \"/%s\" is "
			    "already in use by container \"%s\". You have to remove (or rename) that "
			    "container to be able to reuse that name.",
			    nn, owner);
		goto out;
	}
	if (e < 0)
		goto out;
	old = r->name;
	if (!(r->name = xstrdup(nn))) {
		r->name = old;
		old = NULL;
		store_name_release(op.st, nn, id);
		e = ctr_err(-ENOMEM, "out of memory");
		goto out;
	}
	if ((e = store_rec_save(op.st, r)) < 0) {
		char msg[2048];
		snprintf(msg, sizeof msg, "%s", ctr_err_msg());
		store_name_release(op.st, nn, id);
		ctr_err(e, "%s", msg);
		goto out;
	}
	if ((e = store_name_release(op.st, old, id)) == 0)
		e = links_child_changed(&op, r, true);
out:
	free(old);
	rec_free(r);
	return op_end(&op, e);
}
