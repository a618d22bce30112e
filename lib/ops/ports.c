/* Publishing and withdrawing ports, as view -> plan -> apply (issue 14): the view is loaded
 * under the lock, the plan is pure (core/plan_ports.c), and this applier carries it out in
 * the order crash safety needs: journal, rules (one commit), record, then the host ports. */
#include <stdio.h>
#include <string.h>

#include "core/plan_ports.h"
#include "ops/internal.h"

int ports_view_load(struct op *op, const char *ref, const struct ctr_binding *check,
		    size_t ncheck, bool take, struct ctr_rec **rec, struct ports_view *v,
		    struct portplan_env *env)
{
	char id[CTR_ID_LEN + 1];
	int e;
	memset(v, 0, sizeof *v);
	*rec = NULL;
	if ((e = resolve_ref(op->st, ref, id)) < 0 || (e = store_rec_load(op->st, id, rec)) < 0 ||
	    (check && (e = ports_check_backend(op, check, ncheck)) < 0))
		return e;
	v->rec = *rec;
	v->running = (*rec)->status == ST_RUNNING;
	if (v->running && take) {
		net_port_env(op, env);
		v->env = env;
		if ((e = op_alloc(op, &v->alloc)) < 0)
			return e;
	}
	return 0;
}

/* Put the plan's rule changes in, or (`back`) take them out again. */
static int rules_apply(struct op *op, const struct port_plan *p, bool back)
{
	struct nat_txn txn = { .del = p->del, .n_del = p->n_del, .add = p->add, .n_add = p->n_add };
	if (back)
		txn = (struct nat_txn){ .del = p->add, .n_del = p->n_add, .add = p->del,
					.n_add = p->n_del };
	return txn.n_del || txn.n_add ? net_apply(op, &txn) : 0;
}

int ports_apply(struct op *op, struct ctr_rec *rec, struct port_plan *p)
{
	if (!p->journal) { /* not running: only the record changes */
		port_plan_swap(p, rec);
		return store_rec_save(op->st, rec);
	}
	/* running: the rules (one commit), then the record: a commit that fails leaves the record
	 * as it was, a crash in between is resynced from the journal */
	if (p->take) /* the planner took them in the index */
		op->alloc_dirty = true;
	struct rules_view rv;
	int e = net_rules_view(op, rec, p->exposed_changed, &rv);
	if (e == 0)
		e = plan_ports_rules(&rv, rec, p);
	else if (e == 1) /* no network recorded: no rule to change */
		e = 0;
	rules_view_free(&rv);
	if (!e && (e = op_journal(op, rec->id, p->journal)) == 0 &&
	    (e = rules_apply(op, p, false)) == 0) {
		port_plan_swap(p, rec);
		if ((e = store_rec_save(op->st, rec)) < 0) {
			/* the record could not be written: undo the rules */
			char msg[2048];
			snprintf(msg, sizeof msg, "%s", ctr_err_msg());
			rules_apply(op, p, true);
			ctr_err(e, "%s", msg);
		}
	}
	struct alloc *a;
	if (e < 0) { /* nothing of it stays: the ports taken go back */
		if (p->take && op_alloc(op, &a) == 0)
			portplan_release(a, p->take, p->n_take);
		return e;
	}
	if (p->take)
		net_flush_udp(op, p->take, p->n_take);
	if (p->release && (e = op_alloc(op, &a)) == 0) {
		portplan_release(a, p->release, p->n_release);
		op->alloc_dirty = true;
		net_flush_dnat(op, rec, p->release, p->n_release, false); /* established flows are cut */
	}
	return e;
}
