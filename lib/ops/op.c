/* Locked operations: the state lock, the journal, the allocation index and the recorded
 * network an operation loads on demand; references to containers.  The bottom of ops/: every
 * other ops file builds on it.  The recovery of what dead lock holders left pending is above
 * (recover.c), reached through the context's hook (ctx->recover, set where the context is
 * made: ctx.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/internal.h"

/* ---- network.json ------------------------------------------------------------------------- */

int net_load(struct store *st, struct netcfg *cfg)
{
	char *buf;
	size_t len;
	int e = store_read(st, "network.json", &buf, &len);
	if (e < 0)
		return e;
	e = netcfg_decode(buf, len, cfg);
	free(buf);
	if (e < 0)
		return ctr_err(-EINVAL, "%s/network.json is damaged; remove it to choose the network "
					"anew",
			       st->path);
	return 0;
}

/* ---- locked operations -------------------------------------------------------------------- */

int op_begin(struct op *op, ctr_ctx *ctx)
{
	memset(op, 0, sizeof *op);
	op->ctx = ctx;
	op->st = &ctx->st;
	op->lockfd = store_lock(&ctx->st);
	if (op->lockfd < 0)
		return op->lockfd;
	char **pending = NULL;
	int e = store_pending_list(&ctx->st, &pending);
	for (size_t i = 0; !e && pending && pending[i]; i++)
		e = ctx->recover(op, pending[i]);
	strv_free(pending);
	if (e < 0) {
		op_end(op, e);
		return e;
	}
	return 0;
}

int op_journal(struct op *op, const char *id, const char *what)
{
	int e = store_pending_set(op->st, id, what);
	if (!e)
		e = strv_push(&op->journal, id);
	return e;
}

int op_end(struct op *op, int e)
{
	if (op->alloc_loaded) {
		if (op->alloc_dirty) {
			char *buf;
			size_t len;
			char *msg = e ? strdup(ctr_err_msg()) : NULL; /* the failed operation's */
			int w = alloc_encode(&op->alloc, &buf, &len);
			if (!w) {
				w = store_write(op->st, "alloc", buf, len);
				free(buf);
			}
			if (w < 0 && msg)
				ctr_err(e, "%s", msg);
			free(msg);
			/* The operation did its work; an index that cannot be written (ENOSPC) must
			 * not fail it, nor stay behind stale (it would hand out what this operation
			 * took): delete it, and the next operation rebuilds it from the records.
			 * Only if even that fails is the operation's result the error. */
			if (w < 0 && store_unlink(op->st, "alloc") < 0 && !e)
				e = w;
			else if (w < 0 && !e)
				ctr_err_clear();
		}
		alloc_free(&op->alloc);
		op->alloc_loaded = false;
	}
	hostsocks_free(&op->socks);
	op->socks_state = 0;
	pubports_free(&op->pubs);
	op->pubs_state = 0;
	/* the journal goes last: until here a crash is recovered from it */
	for (size_t i = 0; op->journal && op->journal[i]; i++)
		store_pending_clear(op->st, op->journal[i]);
	strv_free(op->journal);
	op->journal = NULL;
	store_reserve_ensure(op->st);
	store_unlock(op->lockfd);
	op->lockfd = -1;
	return e;
}

int op_netcfg(struct op *op, const struct netcfg **out)
{
	if (!op->have_net) {
		int e = net_load(op->st, &op->net);
		if (e < 0)
			return e;
		op->have_net = true;
	}
	*out = &op->net;
	return 0;
}

static void take_rec(struct alloc *a, const struct ctr_rec *r)
{
	if ((r->status != ST_RUNNING && r->status != ST_STARTING) || !r->has_net)
		return;
	if (!r->owner) /* an endpoint's address is its owner's, not ours to hand out */
		alloc_ip_take(a, r->net.ip);
	for (size_t i = 0; i < r->n_mappings; i++) {
		const struct ctr_mapping *m = &r->mappings[i];
		uint8_t addr[16];
		int fam = strchr(m->host_ip, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(fam, m->host_ip, addr) == 1)
			alloc_port_take(a, m->cport.proto, fam, addr, m->hport);
	}
}

/* Rebuild the allocation index from the records (the index was missing or damaged). */
static int alloc_rebuild(struct op *op, const struct netcfg *net)
{
	char **ids;
	int e = alloc_init(&op->alloc, net->subnet, net->prefixlen);
	if (e < 0)
		return e;
	if ((e = store_ids(op->st, &ids)) < 0) {
		alloc_free(&op->alloc);
		return e;
	}
	for (size_t i = 0; ids[i]; i++) {
		struct ctr_rec *r; /* a record we cannot read keeps what it says it holds */
		if (store_rec_load_any(op->st, ids[i], &r) == 0) {
			take_rec(&op->alloc, r);
			rec_free(r);
		}
	}
	strv_free(ids);
	/* and what containers whose rules could not be deleted still hold (net_detach) */
	if (store_list(op->st, "held", &ids) < 0)
		ids = NULL;
	for (size_t i = 0; ids && ids[i]; i++) {
		struct ctr_rec *r;
		if (store_held_load(op->st, ids[i], &r) == 0) {
			r->status = ST_RUNNING; /* as it was when its teardown failed */
			take_rec(&op->alloc, r);
			rec_free(r);
		}
	}
	strv_free(ids);
	ctr_err_clear();
	op->alloc_dirty = true;
	return 0;
}

int op_alloc(struct op *op, struct alloc **out)
{
	if (!op->alloc_loaded) {
		const struct netcfg *net;
		int e = op_netcfg(op, &net);
		if (e < 0)
			return e;
		char *buf = NULL;
		size_t len = 0;
		e = store_read(op->st, "alloc", &buf, &len);
		if (e < 0 && e != -ENOENT) {
			free(buf);
			return e;
		}
		if (e == 0 && alloc_decode(buf, len, &op->alloc) == 0 &&
		    op->alloc.subnet == net->subnet && op->alloc.prefixlen == net->prefixlen) {
			op->alloc_dirty = false;
		} else {
			if (e == 0)
				alloc_free(&op->alloc);
			if ((e = alloc_rebuild(op, net)) < 0) {
				free(buf);
				return e;
			}
		}
		free(buf);
		op->alloc_loaded = true;
	}
	*out = &op->alloc;
	return 0;
}

/* ---- references --------------------------------------------------------------------------- */

static int not_found(const char *ref)
{
	return ctr_err(-ENOENT, "No such container: %s", SHOWN(ref));
}

int resolve_ref(struct store *st, const char *ref, char id[CTR_ID_LEN + 1])
{
	if (!ref || !*ref)
		return ctr_err(-EINVAL, "no container given");
	const char *r = ref[0] == '/' ? ref + 1 : ref;
	size_t len = strlen(r);
	if (len == 0 || len > 512)
		return not_found(ref);

	const char *slash = strchr(r, '/');
	if (slash) { /* a link name: parent/alias */
		char parent[256], pid[CTR_ID_LEN + 1];
		size_t pl = (size_t)(slash - r);
		if (pl == 0 || pl >= sizeof parent || strchr(slash + 1, '/'))
			return not_found(ref);
		memcpy(parent, r, pl);
		parent[pl] = '\0';
		if (!name_ok(NAME_CONTAINER, parent) || store_name_get(st, parent, pid) < 0)
			return not_found(ref);
		struct ctr_rec *p;
		if (store_rec_load(st, pid, &p) < 0)
			return not_found(ref);
		const struct ctr_link *k = rec_find_link(p, slash + 1);
		if (k)
			memcpy(id, k->target, CTR_ID_LEN + 1);
		rec_free(p);
		return k ? 0 : not_found(ref);
	}

	char rel[128];
	if (id_valid(r, SIZE_MAX)) {
		snprintf(rel, sizeof rel, "containers/%s", r);
		if (faccessat(st->dfd, rel, F_OK, 0) == 0) {
			memcpy(id, r, CTR_ID_LEN + 1);
			return 0;
		}
	}
	if (name_ok(NAME_CONTAINER, r)) {
		int e = store_name_get(st, r, id);
		if (e != -ENOENT)
			return e;
	}
	if (id_prefix_valid(r) && len < CTR_ID_LEN) {
		char **ids;
		int e = store_ids(st, &ids);
		if (e < 0)
			return e;
		int found = 0;
		for (size_t i = 0; ids[i]; i++)
			if (strncmp(ids[i], r, len) == 0) {
				if (found++ == 0)
					memcpy(id, ids[i], CTR_ID_LEN + 1);
			}
		strv_free(ids);
		if (found > 1)
			return ctr_err(-EINVAL, "multiple IDs found with provided prefix: %s", r);
		if (found == 1)
			return 0;
	}
	return not_found(ref);
}
