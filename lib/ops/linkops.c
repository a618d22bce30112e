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
#include "core/plan_links.h"

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

/* The firewall rules of the plan's link, planned with the recorded network (none recorded:
 * no rules). */
static int link_rules(struct op *op, const struct ctr_rec *p, const struct ctr_rec *c,
		      struct link_plan *pl)
{
	const struct netcfg *cfg;
	int e = op_netcfg(op, &cfg);
	if (e == -ENOENT) {
		ctr_err_clear();
		return plan_link_rules(NULL, p, c, pl);
	}
	return e < 0 ? e : plan_link_rules(cfg, p, c, pl);
}

/* Carry out a plan of plan_unlink(): journal, rules (a commit that fails leaves everything as
 * it was), record, reverse index, hosts file.  `c` is the child's record, NULL when gone. */
static int unlink_apply(struct op *op, struct ctr_rec *p, const struct ctr_rec *c,
			struct link_plan *pl)
{
	int e = op_journal(op, p->id, pl->journal);
	if (e < 0)
		return e;
	if (c)
		e = link_rules(op, p, c, pl);
	if (!e && pl->n_rules) {
		struct nat_txn txn = { .del = pl->rules, .n_del = pl->n_rules };
		e = net_apply(op, &txn);
	}
	if (!e && (e = link_plan_record(pl, p)) == 0)
		e = store_rec_save(op->st, p);
	if (!e)
		e = store_rlink_del(op->st, pl->child, p->id, pl->alias);
	if (!e && pl->rerender)
		e = rerender_hosts(op, p);
	return e;
}

int unlink_locked(struct op *op, const char *parent_id, const char *alias)
{
	struct ctr_rec *p, *c = NULL;
	struct link_plan pl;
	int e = store_rec_load(op->st, parent_id, &p);
	if (e < 0)
		return e;
	if ((e = plan_unlink(p, alias, &pl)) == 0) {
		if (store_rec_load(op->st, pl.child, &c) < 0)
			ctr_err_clear();
		e = unlink_apply(op, p, c, &pl);
	}
	link_plan_free(&pl);
	rec_free(p);
	rec_free(c);
	return e;
}

/* Carry out a plan of plan_link(): record (in memory), journal, reverse index, then live the
 * firewall (first: a commit that fails changes nothing) and /etc/hosts; the environment
 * changes at the next start. */
static int link_apply(struct op *op, struct ctr_rec *p, const struct ctr_rec *c,
		      struct link_plan *pl)
{
	int e;
	if ((e = link_plan_record(pl, p)) < 0 || (e = op_journal(op, p->id, pl->journal)) < 0 ||
	    (e = store_rlink_add(op->st, pl->child, p->id, pl->alias)) < 0)
		return e;
	if ((e = link_rules(op, p, c, pl)) == 0 && pl->n_rules) {
		struct nat_txn txn = { .add = pl->rules, .n_add = pl->n_rules };
		e = net_apply(op, &txn);
	}
	if (!e && (e = store_rec_save(op->st, p)) < 0 && pl->n_rules) {
		char msg[2048];
		snprintf(msg, sizeof msg, "%s", ctr_err_msg());
		struct nat_txn undo = { .del = pl->rules, .n_del = pl->n_rules };
		net_apply(op, &undo);
		ctr_err(e, "%s", msg);
	}
	if (e < 0) {
		store_rlink_del(op->st, pl->child, p->id, pl->alias);
		return e;
	}
	return pl->rerender ? rerender_hosts(op, p) : 0;
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
	struct link_plan pl = { 0 };
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
	struct link_view v = { p, NULL, false };
	if ((e = store_rec_load(op.st, cid, &c)) < 0)
		goto out;
	v.child = c;
	v.cycle = links_reach(&op, cid, pid);
	if ((e = plan_link(&v, alias, (flags & CTR_LINK_ENV) != 0, &pl)) == 0)
		e = link_apply(&op, p, c, &pl);
out:
	link_plan_free(&pl);
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
