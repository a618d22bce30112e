/* Contexts, locked operations and references. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops/internal.h"

#ifndef CTR_LIBEXECDIR
#define CTR_LIBEXECDIR "/usr/local/libexec"
#endif
#define HELPER_NAME "ctr-monitor"

CTR_API const char *ctr_last_error(void)
{
	return ctr_err_msg();
}

CTR_API void ctr_free(void *ptr)
{
	free(ptr);
}

CTR_API const char *ctr_version(void)
{
	return CTR_VERSION_STRING;
}

/* ---- options ------------------------------------------------------------------------------ */

CTR_API int ctr_ctx_options_init(ctr_ctx_options *opts, unsigned version)
{
	ctr_err_clear();
	return opt_init(OPT_CTX, opts, version);
}

/* "a.b.c.d/n" → network (masked), prefix.  -EINVAL with a message. */
int parse_subnet(const char *s, uint32_t *net, int *prefixlen)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	unsigned long pl;
	if (!slash || (size_t)(slash - s) >= sizeof ip)
		return ctr_err(-EINVAL, "invalid subnet \"%s\": expected a.b.c.d/N", SHOWN(s));
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	uint32_t a;
	if (inet_pton(AF_INET, ip, &a) != 1 || parse_uint(slash + 1, 0, 32, &pl) < 0)
		return ctr_err(-EINVAL, "invalid subnet \"%s\": expected a.b.c.d/N", SHOWN(s));
	if (pl < 16 || pl > 30)
		return ctr_err(-EINVAL, "invalid subnet \"%s\": the prefix length must be 16 to 30",
			       SHOWN(s));
	uint32_t mask = htonl(~0u << (32 - pl));
	if ((a & mask) != a)
		return ctr_err(-EINVAL,
			       "invalid subnet \"%s\": host bits are set (did you mean the network "
			       "address?)",
			       SHOWN(s));
	*net = a;
	*prefixlen = (int)pl;
	return 0;
}

int parse_subnet6(const char *s, uint8_t net[16], int *prefixlen)
{
	char ip[64];
	if (strcmp(s, "none") == 0) { /* no IPv6 */
		memset(net, 0, 16);
		*prefixlen = 0;
		return 0;
	}
	const char *slash = strchr(s, '/');
	unsigned long pl;
	if (!slash || (size_t)(slash - s) >= sizeof ip)
		return ctr_err(-EINVAL, "invalid IPv6 subnet \"%s\": expected x:x::/N", SHOWN(s));
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET6, ip, net) != 1 || parse_uint(slash + 1, 0, 128, &pl) < 0)
		return ctr_err(-EINVAL, "invalid IPv6 subnet \"%s\": expected x:x::/N", SHOWN(s));
	if (pl < 48 || pl > 96)
		return ctr_err(-EINVAL,
			       "invalid IPv6 subnet \"%s\": the prefix length must be 48 to 96 (a "
			       "container's IPv6 address carries its IPv4 host number)",
			       SHOWN(s));
	for (unsigned long bit = pl; bit < 128; bit++)
		if (net[bit / 8] & (0x80 >> (bit % 8)))
			return ctr_err(-EINVAL, "invalid IPv6 subnet \"%s\": host bits are set",
				       SHOWN(s));
	if (net[0] == 0xff || (net[0] == 0xfe && (net[1] & 0xc0) == 0x80) ||
	    (net[0] == 0 && net[1] == 0))
		return ctr_err(-EINVAL,
			       "invalid IPv6 subnet \"%s\": use a global or unique local (fc00::/7) "
			       "unicast prefix, not multicast, link-local or ::/16",
			       SHOWN(s));
	*prefixlen = (int)pl;
	return 0;
}

void ip6_for(const struct netcfg *cfg, uint32_t ip4, uint8_t out[16])
{
	uint32_t mask = cfg->prefixlen ? ~0u << (32 - cfg->prefixlen) : 0;
	uint32_t host = htonl(ntohl(ip4) & ~mask);
	memcpy(out, cfg->subnet6, 16);
	memcpy(out + 12, &host, 4); /* prefix ≤ 96: the low 32 bits are ours */
}

static char *find_helper(const char *given)
{
	if (given)
		return xstrdup(given);
	const char *env = secure_getenv("CTRLINK_HELPER");
	if (env && *env)
		return xstrdup(env);
	/* beside the library (the build tree, or a relocated install) */
	Dl_info info;
	if (dladdr((void *)ctr_ctx_open, &info) && info.dli_fname) {
		char path[PATH_MAX];
		const char *slash = strrchr(info.dli_fname, '/');
		if (slash && snprintf(path, sizeof path, "%.*s/" HELPER_NAME,
				      (int)(slash - info.dli_fname), info.dli_fname) < (int)sizeof path &&
		    access(path, X_OK) == 0)
			return xstrdup(path);
	}
	return xstrdup(CTR_LIBEXECDIR "/container-link/" HELPER_NAME);
}

static void ctx_free(ctr_ctx *ctx)
{
	if (!ctx)
		return;
	net_close(ctx);
	store_close(&ctx->st);
	free(ctx->helper);
	free(ctx->opt_bridge);
	free(ctx->opt_subnet);
	free(ctx->opt_subnet6);
	free(ctx);
}

int ctx_open_state(ctr_ctx **out, const char *state_dir, int dirfd)
{
	*out = NULL;
	ctr_ctx *ctx = calloc(1, sizeof *ctx);
	if (!ctx)
		return ctr_err(-ENOMEM, "out of memory");
	ctx->st.dfd = -1;
	ctx->opt_icc = -1;
	ctx->opt_backend = CTR_NAT_AUTO;
	int e = dirfd >= 0 ? store_open_fd(&ctx->st, dirfd, state_dir)
			   : store_open(&ctx->st, state_dir);
	if (e < 0) {
		ctx_free(ctx);
		return e;
	}
	struct stat sb;
	if (fstat(ctx->st.dfd, &sb) < 0) {
		e = ctr_err_sys(-errno, "cannot stat the state directory %s", ctx->st.path);
		ctx_free(ctx);
		return e;
	}
	cg_parent((uint64_t)sb.st_dev, (uint64_t)sb.st_ino, ctx->cg_parent);
	*out = ctx;
	return 0;
}

CTR_API int ctr_ctx_open(ctr_ctx **out, const ctr_ctx_options *opts)
{
	ctr_err_clear();
	ctr_ctx_options o = CTR_CTX_OPTIONS_INIT;
	if (!out)
		return ctr_err(-EINVAL, "ctr_ctx_open: out is NULL");
	*out = NULL;
	int pl, e;
	if (opts && (e = opt_load(OPT_CTX, &o, opts)) < 0)
		return e;
	if (o.bridge && (e = name_check(NAME_BRIDGE, o.bridge)) < 0)
		return e;
	uint32_t net;
	if (o.subnet && (e = parse_subnet(o.subnet, &net, &pl)) < 0)
		return e;
	uint8_t net6[16];
	if (o.subnet6 && (e = parse_subnet6(o.subnet6, net6, &pl)) < 0)
		return e;
	if (o.icc < -1 || o.icc > 1)
		return ctr_err(-EINVAL, "invalid icc %d: use -1 (recorded), 0 or 1", o.icc);
	if (o.nat_backend != CTR_NAT_AUTO && o.nat_backend != CTR_NAT_IPTABLES &&
	    o.nat_backend != CTR_NAT_NFTABLES)
		return ctr_err(-EINVAL, "invalid NAT backend %d", (int)o.nat_backend);
	if (o.external_bridge != 0 && o.external_bridge != 1)
		return ctr_err(-EINVAL, "invalid external_bridge %d: use 0 or 1", o.external_bridge);
	if (o.external_bridge && !o.bridge)
		return ctr_err(-EINVAL, "an external bridge needs its name (bridge)");

	ctr_ctx *ctx;
	if ((e = ctx_open_state(&ctx, o.state_dir ? o.state_dir : DEFAULT_STATE_DIR, -1)) < 0)
		return e;
	ctx->opt_icc = o.icc;
	ctx->opt_backend = o.nat_backend;
	ctx->opt_external = o.external_bridge;
	if ((o.bridge && !(ctx->opt_bridge = xstrdup(o.bridge))) ||
	    (o.subnet && !(ctx->opt_subnet = xstrdup(o.subnet))) ||
	    (o.subnet6 && !(ctx->opt_subnet6 = xstrdup(o.subnet6))) ||
	    !(ctx->helper = find_helper(o.helper_path))) {
		ctx_free(ctx);
		return -ENOMEM;
	}
	if ((e = net_precheck(ctx)) < 0) {
		ctx_free(ctx);
		return e;
	}
	/* finish what killed processes left half-done */
	char **pending = NULL;
	if ((e = store_pending_list(&ctx->st, &pending)) == 0 && pending) {
		struct op op;
		if ((e = op_begin(&op, ctx)) == 0)
			e = op_end(&op, 0);
	}
	strv_free(pending);
	if (e < 0) {
		ctx_free(ctx);
		return e;
	}
	*out = ctx;
	return 0;
}

CTR_API void ctr_ctx_close(ctr_ctx *ctx)
{
	ctx_free(ctx);
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
		e = recover_pending(op, pending[i]);
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
