#include "core/options.h"

#include <stddef.h>
#include <string.h>

#include "core/util.h"

/* For each struct, where each version ends: the first field it lacks (the last: the whole
 * struct).  The counts are checked against the _VERSION macros below. */
static const size_t ctx_sizes[] = {
	offsetof(ctr_ctx_options, subnet6),         /* 1: up to helper_path */
	offsetof(ctr_ctx_options, external_bridge), /* 2: subnet6 */
	sizeof(ctr_ctx_options),                    /* 3: external_bridge */
};
static const size_t create_sizes[] = {
	offsetof(ctr_create_options, seccomp),        /* 1: up to links_env */
	offsetof(ctr_create_options, restart_policy), /* 2: seccomp */
	offsetof(ctr_create_options, log_opts),       /* 3: restart_policy */
	offsetof(ctr_create_options, userns),         /* 4: log_opts */
	offsetof(ctr_create_options, name_out),       /* 5: userns */
	sizeof(ctr_create_options),                   /* 6: name_out, name_out_len */
};
static const size_t start_sizes[] = { sizeof(ctr_start_options) };
static const size_t exec_sizes[] = { sizeof(ctr_exec_options) };
static const size_t endpoint_sizes[] = { sizeof(ctr_endpoint_options) };

_Static_assert(ARRAY_SIZE(ctx_sizes) == CTR_CTX_OPTIONS_VERSION, "a ctr_ctx_options version");
_Static_assert(ARRAY_SIZE(create_sizes) == CTR_CREATE_OPTIONS_VERSION,
	       "a ctr_create_options version");
_Static_assert(ARRAY_SIZE(start_sizes) == CTR_START_OPTIONS_VERSION,
	       "a ctr_start_options version");
_Static_assert(ARRAY_SIZE(exec_sizes) == CTR_EXEC_OPTIONS_VERSION, "a ctr_exec_options version");
_Static_assert(ARRAY_SIZE(endpoint_sizes) == CTR_ENDPOINT_OPTIONS_VERSION,
	       "a ctr_endpoint_options version");

static const ctr_ctx_options ctx_defaults = CTR_CTX_OPTIONS_INIT;
static const ctr_create_options create_defaults = CTR_CREATE_OPTIONS_INIT;
static const ctr_start_options start_defaults = CTR_START_OPTIONS_INIT;
static const ctr_exec_options exec_defaults = CTR_EXEC_OPTIONS_INIT;
static const ctr_endpoint_options endpoint_defaults = CTR_ENDPOINT_OPTIONS_INIT;

#define TYPE(kind, name, pre) \
	[kind] = { name, pre##_sizes, ARRAY_SIZE(pre##_sizes), &pre##_defaults }

static const struct opt_type {
	const char *name;
	const size_t *sizes;
	unsigned n;
	const void *defaults; /* the latest version's _INIT */
} types[] = {
	TYPE(OPT_CTX, "ctr_ctx_options", ctx),
	TYPE(OPT_CREATE, "ctr_create_options", create),
	TYPE(OPT_START, "ctr_start_options", start),
	TYPE(OPT_EXEC, "ctr_exec_options", exec),
	TYPE(OPT_ENDPOINT, "ctr_endpoint_options", endpoint),
};

size_t opt_size(enum opt_kind kind, unsigned version)
{
	const struct opt_type *t = &types[kind];
	return version >= 1 && version <= t->n ? t->sizes[version - 1] : 0;
}

static int unsupported(const struct opt_type *t, unsigned version)
{
	if (t->n == 1)
		return ctr_err(-EINVAL, "%s version %u is not supported (this library knows "
					"version 1)", t->name, version);
	return ctr_err(-EINVAL, "%s version %u is not supported (this library knows versions 1 "
				"to %u)", t->name, version, t->n);
}

int opt_init(enum opt_kind kind, void *opts, unsigned version)
{
	const struct opt_type *t = &types[kind];
	size_t size = opt_size(kind, version);
	if (!opts || !size)
		return unsupported(t, version);
	memcpy(opts, t->defaults, size);
	memcpy(opts, &version, sizeof version); /* every struct starts with its version */
	return 0;
}

int opt_load(enum opt_kind kind, void *full, const void *given)
{
	const struct opt_type *t = &types[kind];
	unsigned version;
	memcpy(&version, given, sizeof version);
	size_t size = opt_size(kind, version);
	if (!size)
		return unsupported(t, version);
	memcpy(full, t->defaults, t->sizes[t->n - 1]);
	memcpy(full, given, size);
	return 0;
}
