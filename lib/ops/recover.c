/* Recovery: finishing or undoing what a killed process left half-done.  Every operation that
 * changes more than one thing journals itself (op_journal) before its first change and
 * clears the journal after its last; the next lock holder that finds a journal entry knows
 * its writer died (the lock is held for the whole operation) and runs the matching step
 * here.  Every step is idempotent, so a recovery killed half-way is recovered again. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops/internal.h"
#include "core/guard.h"
#include "sys/cgroup.h"
#include "core/natplan.h"
#include "sys/proc.h"

/* Names pointing at `id` (a create killed before its record was written cannot say). */
static void release_names_of(struct op *op, const char *id)
{
	char **names = NULL;
	if (store_list(op->st, "names", &names) < 0) {
		ctr_err_clear();
		return;
	}
	for (size_t i = 0; names && names[i]; i++)
		store_name_release(op->st, names[i], id);
	strv_free(names);
	ctr_err_clear();
}

/* Drop the rlinks entries naming `parent` whose link the parent's record no longer has. */
static void prune_rlinks(struct op *op, const char *child, const struct ctr_rec *parent,
			 const char *parent_id)
{
	char **rl = NULL;
	if (store_rlinks(op->st, child, &rl) < 0) {
		ctr_err_clear();
		return;
	}
	for (size_t i = 0; rl && rl[i]; i++) {
		char *colon = strchr(rl[i], ':');
		if (!colon)
			continue;
		*colon = '\0';
		if (strcmp(rl[i], parent_id) != 0)
			continue;
		const struct ctr_link *l = parent ? rec_find_link(parent, colon + 1) : NULL;
		if (!l || strcmp(l->target, child) != 0)
			store_rlink_del(op->st, child, parent_id, colon + 1);
	}
	strv_free(rl);
}

int recover_pending(struct op *op, const char *id)
{
	char rel[128], *what = NULL;
	snprintf(rel, sizeof rel, "pending/%s", id);
	if (store_read(op->st, rel, &what, NULL) < 0) {
		ctr_err_clear();
		return 0;
	}
	struct ctr_rec *rec = NULL;
	if (store_rec_load(op->st, id, &rec) < 0) {
		ctr_err_clear();
		rec = NULL;
	}
	int e = 0;

	if (strcmp(what, "create") == 0) {
		/* the caller never got the ID: undo */
		if (rec) {
			for (size_t i = 0; i < rec->n_links; i++)
				store_rlink_del(op->st, rec->links[i].target, id, rec->links[i].alias);
			store_name_release(op->st, rec->name, id);
		} else {
			release_names_of(op, id);
		}
		store_rlink_clear(op->st, id);
		e = store_rec_remove(op->st, id);
	} else if (strcmp(what, "start") == 0 || strcmp(what, "finish") == 0) {
		if (rec && rec->status == ST_RUNNING && strcmp(what, "start") == 0 &&
		    (rec->owner ? rec_alive(rec) : proc_alive(rec->pid, rec->pid_start))) {
			/* the start had finished: keep it, make its rules whole */
			e = net_resync(op, rec);
		} else if (rec && (rec->status == ST_STARTING || rec->status == ST_RUNNING)) {
			proc_kill(rec->pid, rec->pid_start);
			proc_kill(rec->mon_pid, rec->mon_start);
			net_detach(op, rec);
			bool finish = strcmp(what, "finish") == 0 || rec->status == ST_RUNNING;
			rec->status = finish ? ST_EXITED : ST_CREATED;
			if (!finish) {
				free(rec->error);
				rec->error = xstrdup("the start was interrupted (its process was killed)");
				rec->exit_code = 125;
			} else {
				rec->exit_code = 137;
				rec->finished = now_ns();
			}
			rec->pid = 0;
			rec->pid_start = 0;
			rec_restart_off(rec); /* a policy's restart ends with its start */
			e = store_rec_save(op->st, rec);
			if (!e && finish && rec_end_removes(rec))
				e = run_remove_locked(op, rec);
		}
	} else if (strcmp(what, "remove") == 0) {
		if (!rec && store_rec_load_any(op->st, id, &rec) < 0)
			rec = NULL;
		if (rec) {
			e = run_remove_locked(op, rec);
		} else {
			release_names_of(op, id);
			store_rlink_clear(op->st, id);
			store_rec_remove(op->st, id);
		}
	} else if (strncmp(what, "rename ", 7) == 0) {
		/* "rename <old> <new>": the record says which name won; the other goes */
		char *nn = strchr(what + 7, ' ');
		if (nn && rec) {
			*nn++ = '\0';
			bool renamed = strcmp(rec->name, nn) == 0;
			store_name_release(op->st, renamed ? what + 7 : nn, id);
			e = links_child_changed(op, rec, true);
		}
	} else if (strncmp(what, "sync", 4) == 0) {
		/* a link, unlink, publish or unpublish: make rules and hosts match the record */
		const char *child = what[4] == ' ' ? what + 5 : NULL;
		if (child && strlen(child) == CTR_ID_LEN)
			prune_rlinks(op, child, rec, id);
		if (rec && rec->status == ST_RUNNING) {
			e = net_resync(op, rec);
			char *hosts;
			if (!e && (e = etc_hosts_compose(op, rec, &hosts)) == 0) {
				e = etc_rewrite(op, rec, "hosts", hosts);
				free(hosts);
			}
		}
	}
	free(what);
	rec_free(rec);
	/* the allocation index may hold what the dead operation had taken: rebuild it */
	if (op->alloc_loaded) {
		alloc_free(&op->alloc);
		op->alloc_loaded = false;
	}
	store_unlink(op->st, "alloc");
	if (e < 0)
		return e;
	return store_pending_clear(op->st, id);
}

/* ---- noticing dead monitors -------------------------------------------------------------- */

bool rec_alive(const struct ctr_rec *r)
{
	if (!r->owner)
		return proc_alive(r->mon_pid, r->mon_start);
	struct stat sb;
	return !r->netns || (stat(r->netns, &sb) == 0 && (uint64_t)sb.st_dev == r->netns_dev &&
			     (uint64_t)sb.st_ino == r->netns_ino);
}

/* Whether the record is one whose monitor is gone (killed): a run it would have recorded the
 * end of, or a restart it would have made. */
static bool monitor_lost(const struct ctr_rec *r)
{
	return (r->restarting || r->status == ST_RUNNING || r->status == ST_STARTING) &&
	       !rec_alive(r);
}

int heal_if_dead(ctr_ctx *ctx, struct ctr_rec **recp)
{
	if ((*recp)->unreadable || !monitor_lost(*recp))
		return 0;
	char id[CTR_ID_LEN + 1];
	memcpy(id, (*recp)->id, sizeof id);
	struct op op;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	struct ctr_rec *cur = NULL;
	if ((e = store_rec_load(op.st, id, &cur)) == 0 && monitor_lost(cur)) {
		if (cur->restarting && cur->status == ST_EXITED) {
			/* nobody will make the restart: the container stays exited */
			rec_restart_off(cur);
			e = store_rec_save(op.st, cur);
		} else {
			/* nobody will record this container's end but us */
			proc_kill(cur->pid, cur->pid_start);
			e = run_finish(&op, id, cur->generation, 137);
		}
	}
	rec_free(cur);
	e = op_end(&op, e);
	if (e < 0)
		return e;
	rec_free(*recp);
	*recp = NULL;
	e = store_rec_load(&ctx->st, id, recp);
	return e == -ENOENT ? 1 : e; /* 1: removed (auto-remove) */
}

/* ---- reconcile ---------------------------------------------------------------------------- */

/* Remove the cgroups of this state directory's containers that are not running (nor
 * starting, nor waiting to restart); returns how many went. */
static int sweep_cgroups(ctr_ctx *ctx)
{
	struct cg_mounts m;
	char **ids = NULL;
	int n = 0;
	cgroup_mounts(&m);
	if (cgroup_children(&m, ctx->cg_parent, &ids) < 0)
		return 0;
	for (size_t i = 0; ids && ids[i]; i++) {
		struct ctr_rec *r = NULL;
		bool live = false;
		if (store_rec_load_any(&ctx->st, ids[i], &r) == 0)
			live = r->unreadable || r->status == ST_RUNNING || r->status == ST_STARTING ||
			       r->restarting;
		rec_free(r);
		if (!live) {
			char rel[CG_REL_MAX];
			cg_container_path(ctx->cg_parent, ids[i], rel);
			if (cgroup_remove(&m, rel, NULL, 2000, false) == 0)
				n++;
		}
	}
	strv_free(ids);
	run_cgroup_gone(ctx, NULL, 0); /* and the parent, if that left it empty */
	ctr_err_clear();
	return n;
}

static int rule_qcmp(const void *a, const void *b)
{
	return nat_rule_cmp(a, b);
}

/* Sorted, each rule once (a parent linking to one child under two aliases wants its rules
 * twice). */
static size_t rules_unique(struct nat_rule *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, rule_qcmp);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (nat_rule_cmp(&v[i], &v[k - 1]) != 0)
			v[k++] = v[i];
	return k;
}

static int add_id(cJSON *arr, const char *id)
{
	cJSON *s = cJSON_CreateString(id);
	if (!s || !cJSON_AddItemToArray(arr, s)) {
		cJSON_Delete(s);
		return ctr_err(-ENOMEM, "out of memory");
	}
	return 0;
}

/* Re-create index entries the records call for (a name, a reverse link) that are missing. */
static int restore_indexes(struct op *op, char **ids, int *restored, cJSON *conflicts)
{
	int e = 0;
	for (size_t i = 0; !e && ids[i]; i++) {
		struct ctr_rec *r;
		if (store_rec_load(op->st, ids[i], &r) < 0) {
			ctr_err_clear();
			continue;
		}
		char owner[CTR_ID_LEN + 1];
		if (store_name_get(op->st, r->name, owner) == -ENOENT) {
			if (store_name_claim(op->st, r->name, r->id, NULL) == 0)
				(*restored)++;
		} else if (strcmp(owner, r->id) != 0) {
			e = add_id(conflicts, r->id); /* another container holds its name */
		}
		ctr_err_clear();
		for (size_t l = 0; !e && l < r->n_links; l++) {
			char rel[512];
			snprintf(rel, sizeof rel, "rlinks/%s/%s:%s", r->links[l].target, r->id,
				 r->links[l].alias);
			if (faccessat(op->st->dfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
			    store_rlink_add(op->st, r->links[l].target, r->id, r->links[l].alias) == 0)
				(*restored)++;
		}
		rec_free(r);
	}
	return e;
}

/* Remove index entries (names, reverse links) that no record backs. */
static int prune_indexes(struct op *op, int *pruned)
{
	char **names = NULL, **kids = NULL;
	int e = store_list(op->st, "names", &names);
	for (size_t i = 0; !e && names && names[i]; i++) {
		char id[CTR_ID_LEN + 1], rel[128];
		if (store_name_get(op->st, names[i], id) < 0) {
			ctr_err_clear();
			continue;
		}
		snprintf(rel, sizeof rel, "containers/%s/config.json", id);
		struct ctr_rec *r = NULL;
		bool stale = faccessat(op->st->dfd, rel, F_OK, 0) < 0;
		if (!stale && store_rec_load(op->st, id, &r) == 0)
			stale = strcmp(r->name, names[i]) != 0; /* a name it was renamed from */
		ctr_err_clear();
		rec_free(r);
		if (stale) {
			store_name_release(op->st, names[i], id);
			(*pruned)++;
		}
	}
	if (!e)
		e = store_list(op->st, "rlinks", &kids);
	for (size_t i = 0; !e && kids && kids[i]; i++) {
		struct ctr_rec *c;
		if (store_rec_load_any(op->st, kids[i], &c) < 0) {
			ctr_err_clear();
			store_rlink_clear(op->st, kids[i]);
			(*pruned)++;
			continue;
		}
		rec_free(c);
		char **rl = NULL;
		store_rlinks(op->st, kids[i], &rl);
		for (size_t j = 0; rl && rl[j]; j++) {
			char pid[CTR_ID_LEN + 1];
			snprintf(pid, sizeof pid, "%.*s", CTR_ID_LEN, rl[j]);
			struct ctr_rec *p = NULL;
			if (store_rec_load_any(op->st, pid, &p) < 0)
				ctr_err_clear();
			if (!p || !p->opaque) /* of one we know nothing of, none is known stale */
				prune_rlinks(op, kids[i], p, pid);
			rec_free(p);
		}
		strv_free(rl);
	}
	strv_free(names);
	strv_free(kids);
	return e;
}

/* Add a container's port to the guard's list (none if it has no veth of ours). */
static int guard_push(struct guard_port **v, size_t *n, const struct ctr_net *net)
{
	struct guard_port gp;
	if (!guard_port_of(net, &gp))
		return 0;
	if (!(*n & (*n + 1))) { /* at 0, 1, 3, 7, ...: room for twice as many */
		struct guard_port *nv = realloc(*v, (2 * *n + 2) * sizeof *nv);
		if (!nv)
			return ctr_err(-ENOMEM, "out of memory");
		*v = nv;
	}
	(*v)[(*n)++] = gp;
	return 0;
}

int reconcile(ctr_ctx *ctx, char **report_out)
{
	struct op op;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	cJSON *rep = cJSON_CreateObject();
	cJSON *dead = cJSON_AddArrayToObject(rep, "ContainersFoundDead");
	char **ids = NULL, **unread = NULL;
	struct nat_rule *want = NULL, *have = NULL, *del = NULL, *add = NULL;
	size_t nwant = 0, nhave = 0, ndel = 0, nadd = 0, nguards = 0;
	struct guard_port *guards = NULL;
	int pruned = 0;
	if (!rep || !dead) {
		e = ctr_err(-ENOMEM, "out of memory");
		goto out;
	}
	/* 1. containers whose processes died without their monitor recording it */
	if ((e = store_ids(op.st, &ids)) < 0)
		goto out;
	for (size_t i = 0; !e && ids[i]; i++) {
		struct ctr_rec *r;
		if (store_rec_load(op.st, ids[i], &r) < 0) {
			ctr_err_clear();
			continue;
		}
		bool active = r->status == ST_RUNNING || r->status == ST_STARTING;
		if (active && !rec_alive(r)) {
			proc_kill(r->pid, r->pid_start);
			e = run_finish(&op, r->id, r->generation, 137);
			if (!e)
				e = add_id(dead, r->id);
		}
		rec_free(r);
	}
	/* 2. the indexes, rebuilt from the records */
	int restored = 0;
	cJSON *conflicts = cJSON_AddArrayToObject(rep, "NameConflicts");
	if (!e)
		e = prune_indexes(&op, &pruned);
	if (!e)
		e = conflicts ? restore_indexes(&op, ids, &restored, conflicts)
			      : ctr_err(-ENOMEM, "out of memory");
	if (op.alloc_loaded) {
		alloc_free(&op.alloc);
		op.alloc_loaded = false;
	}
	store_unlink(op.st, "alloc");
	/* 3. the rules: exactly what the records say, nothing else in our chains */
	const struct netcfg *cfg;
	int ne = op_netcfg(&op, &cfg);
	if (ne == -ENOENT) {
		ctr_err_clear();
	} else if (!e && ne < 0) {
		e = ne;
	} else if (!e) {
		struct alloc *a;
		e = op_alloc(&op, &a); /* rebuilds */
		for (size_t i = 0; !e && ids[i]; i++) {
			struct ctr_rec *r; /* one we cannot read keeps the rules it says it has */
			if (store_rec_load_any(op.st, ids[i], &r) < 0) {
				ctr_err_clear();
				continue;
			}
			if (r->opaque && (e = strv_push(&unread, r->id)) < 0) {
				rec_free(r);
				break;
			}
			bool live = r->status == ST_RUNNING || r->status == ST_STARTING || r->opaque;
			if (live && r->has_net && (e = guard_push(&guards, &nguards, &r->net)) < 0) {
				rec_free(r);
				break;
			}
			if (r->status == ST_RUNNING && r->has_net) {
				e = natplan_dnat(r->id, r->net.ip, NET_IP6(&r->net), r->mappings,
						 r->n_mappings, &want,
						 &nwant);
				for (size_t l = 0; !e && !cfg->icc && l < r->n_links; l++) {
					struct ctr_rec *k;
					if (store_rec_load_any(op.st, r->links[l].target, &k) < 0) {
						ctr_err_clear();
						continue;
					}
					if (k->status == ST_RUNNING && k->has_net)
						e = natplan_link(r->id, r->net.ip, NET_IP6(&r->net), k->id,
								 k->net.ip, NET_IP6(&k->net),
								 k->exposed, k->n_exposed, &want, &nwant);
					rec_free(k);
				}
			}
			rec_free(r);
		}
		if (!e)
			e = net_rules_list(&op, &have, &nhave);
		/* and one we know nothing of keeps every rule that names it */
		for (size_t i = 0; !e && unread && i < nhave; i++)
			if (strv_has(unread, have[i].owner) || strv_has(unread, have[i].peer))
				e = natplan_push(&want, &nwant, &have[i]);
		/* O(rules log rules), not rules x rules: gc of 2,000 containers stays fast */
		if (!e && (!(del = calloc(nhave + 1, sizeof *del)) ||
			   !(add = calloc(nwant + 1, sizeof *add))))
			e = ctr_err(-ENOMEM, "out of memory");
		if (!e)
			e = natplan_diff(have, nhave, want, rules_unique(want, nwant), del, &ndel, add,
					 &nadd);
		if (!e) {
			struct nat_txn txn = { .del = del, .n_del = ndel, .add = add, .n_add = nadd };
			e = net_reconcile_base(&op, &txn);
		}
		if (!e) /* and the port guard: the ports of containers that may run */
			e = net_guard_sync(&op, guards, nguards);
		if (!e) /* no rule naming a held container is left: its address can go */
			e = net_release_held(&op, true);
	}
	if (!e && (!cJSON_AddNumberToObject(rep, "RulesAdded", (double)nadd) ||
		   !cJSON_AddNumberToObject(rep, "RulesRemoved", (double)ndel) ||
		   !cJSON_AddNumberToObject(rep, "IndexEntriesPruned", pruned) ||
		   !cJSON_AddNumberToObject(rep, "IndexEntriesRestored", restored)))
		e = ctr_err(-ENOMEM, "out of memory");
out:
	e = op_end(&op, e);
	/* 4. cgroups of this state directory that no live run is in (a killed monitor's, a
	 * killed start's): after the lock, as they may take a moment to empty */
	int cgone = 0;
	if (!e)
		cgone = sweep_cgroups(ctx);
	if (!e && !cJSON_AddNumberToObject(rep, "CgroupsRemoved", cgone))
		e = ctr_err(-ENOMEM, "out of memory");
	if (!e && report_out && !(*report_out = cJSON_Print(rep)))
		e = ctr_err(-ENOMEM, "out of memory");
	cJSON_Delete(rep);
	strv_free(ids);
	strv_free(unread);
	free(want);
	free(have);
	free(del);
	free(add);
	free(guards);
	return e;
}
