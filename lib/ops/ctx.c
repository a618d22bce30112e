/* Contexts: open and close, the public ctr_ctx_* functions.  The top of ops/: a context's
 * open composes the network (net.c) and recovery (recover.c), which it wires into the locked
 * operations below (op.c) as their recovery hook. */
#define _GNU_SOURCE
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
	ctx->recover = recover_pending;
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
