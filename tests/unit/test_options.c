/* Unit tests for lib/core/options.c: the one version rule of every options struct. */
#include <stdlib.h>
#include <string.h>

#include "core/options.h"
#include "core/util.h"
#include "tap.h"

static const struct {
	enum opt_kind kind;
	const char *name;
	unsigned latest;
	size_t size;
} kinds[] = {
	{ OPT_CTX, "ctr_ctx_options", CTR_CTX_OPTIONS_VERSION, sizeof(ctr_ctx_options) },
	{ OPT_CREATE, "ctr_create_options", CTR_CREATE_OPTIONS_VERSION,
	  sizeof(ctr_create_options) },
	{ OPT_START, "ctr_start_options", CTR_START_OPTIONS_VERSION, sizeof(ctr_start_options) },
	{ OPT_EXEC, "ctr_exec_options", CTR_EXEC_OPTIONS_VERSION, sizeof(ctr_exec_options) },
	{ OPT_ENDPOINT, "ctr_endpoint_options", CTR_ENDPOINT_OPTIONS_VERSION,
	  sizeof(ctr_endpoint_options) },
};

/* The message for an unknown version v of kinds[i]. */
static void want_msg(size_t i, unsigned v, char *buf, size_t len)
{
	if (kinds[i].latest == 1)
		snprintf(buf, len, "%s version %u is not supported (this library knows version 1)",
			 kinds[i].name, v);
	else
		snprintf(buf, len, "%s version %u is not supported (this library knows versions 1 "
			 "to %u)", kinds[i].name, v, kinds[i].latest);
}

static void test_every_kind(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		const char *n = kinds[i].name;
		is_int((long long)opt_size(kinds[i].kind, kinds[i].latest), (long long)kinds[i].size,
		       "%s: the latest version is the whole struct", n);
		size_t prev = 0;
		bool growing = true;
		for (unsigned v = 1; v <= kinds[i].latest; v++) {
			size_t s = opt_size(kinds[i].kind, v);
			growing &= s > prev && s >= sizeof(unsigned);
			prev = s;
		}
		ok(growing, "%s: each version is longer than the one before", n);

		unsigned bad[] = { 0, kinds[i].latest + 1, 99 };
		for (size_t b = 0; b < ARRAY_SIZE(bad); b++) {
			char want[160], buf[512], given[512] = { 0 };
			want_msg(i, bad[b], want, sizeof want);
			is_int((long long)opt_size(kinds[i].kind, bad[b]), 0, "%s: no size for version %u",
			       n, bad[b]);
			memset(buf, 0xa5, sizeof buf);
			ctr_err_clear();
			is_int(opt_init(kinds[i].kind, buf, bad[b]), -EINVAL, "%s: init of version %u", n,
			       bad[b]);
			is_str(ctr_err_msg(), want, "%s: init of version %u names them", n, bad[b]);
			ok((unsigned char)buf[0] == 0xa5, "%s: and writes nothing", n);
			memcpy(given, &bad[b], sizeof bad[b]);
			ctr_err_clear();
			is_int(opt_load(kinds[i].kind, buf, given), -EINVAL, "%s: load of version %u", n,
			       bad[b]);
			is_str(ctr_err_msg(), want, "%s: load of version %u names them", n, bad[b]);
		}
		ctr_err_clear();
		is_int(opt_init(kinds[i].kind, NULL, kinds[i].latest), -EINVAL, "%s: init of NULL", n);
	}
}

/* A caller built against the version-1 header: its struct ends before seccomp.  It sits in a
 * buffer of exactly that size, so that a read past it is caught by the sanitizer build. */
static void test_old_create(void)
{
	size_t v1 = opt_size(OPT_CREATE, 1);
	is_int((long long)v1, (long long)offsetof(ctr_create_options, seccomp),
	       "create version 1 ends before seccomp");
	ctr_create_options *old = malloc(v1);
	if (!old)
		abort();
	memset(old, 0xa5, v1);
	is_int(opt_init(OPT_CREATE, old, 1), 0, "create: init of version 1");
	ok(old->version == 1 && !old->name && !old->argv && !old->links_env && !old->publish_all,
	   "create: version 1's fields get their defaults");
	static const char *const argv[] = { "true", NULL };
	old->name = "web";
	old->argv = argv;
	old->auto_remove = 1;

	ctr_create_options full;
	memset(&full, 0xa5, sizeof full);
	is_int(opt_load(OPT_CREATE, &full, old), 0, "create: load of version 1");
	ok(full.version == 1 && strcmp(full.name, "web") == 0 && full.argv == argv &&
		   full.auto_remove == 1,
	   "create: the fields version 1 has are the caller's");
	ok(!full.seccomp && !full.restart_policy && !full.log_opts && !full.userns,
	   "create: the fields it lacks take their defaults");
	free(old);

	/* version 3 has restart_policy, not log_opts */
	ctr_create_options v3 = CTR_CREATE_OPTIONS_INIT, got;
	v3.version = 3;
	v3.restart_policy = "always";
	v3.log_opts = (const char *const *)argv; /* beyond version 3: never read */
	v3.userns = "auto";
	is_int(opt_load(OPT_CREATE, &got, &v3), 0, "create: load of version 3");
	ok(got.restart_policy && strcmp(got.restart_policy, "always") == 0 && !got.log_opts &&
		   !got.userns,
	   "create: version 3 keeps restart_policy, the later fields are defaults");
}

static void test_old_ctx_and_defaults(void)
{
	ctr_ctx_options v1;
	memset(&v1, 0, sizeof v1);
	is_int(opt_init(OPT_CTX, &v1, 1), 0, "ctx: init of version 1");
	v1.bridge = "br1";
	v1.subnet6 = "fd00::/64"; /* beyond version 1: never read */
	v1.external_bridge = 1;
	ctr_ctx_options got;
	is_int(opt_load(OPT_CTX, &got, &v1), 0, "ctx: load of version 1");
	ok(strcmp(got.bridge, "br1") == 0 && got.icc == -1 && !got.subnet6 && !got.external_bridge,
	   "ctx: version 1's fields are the caller's, the later ones defaults");

	ctr_start_options so;
	memset(&so, 0, sizeof so);
	is_int(opt_init(OPT_START, &so, 1), 0, "start: init");
	ok(so.version == 1 && so.stdin_fd == -1 && so.stdout_fd == -1 && so.stderr_fd == -1 &&
		   !so.exit_fd,
	   "start: defaults are the _INIT macro's");
	ctr_exec_options xo;
	memset(&xo, 0, sizeof xo);
	is_int(opt_init(OPT_EXEC, &xo, 1), 0, "exec: init");
	ok(xo.stdin_fd == -1 && xo.stdout_fd == -1 && xo.stderr_fd == -1 && !xo.argv,
	   "exec: defaults are the _INIT macro's");
}

int main(void)
{
	test_every_kind();
	test_old_create();
	test_old_ctx_and_defaults();
	return done_testing();
}
