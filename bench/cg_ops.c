/* cg_ops: a small driver for instruction counts of the library's hot calls under
 * `valgrind --tool=callgrind` (bench/callgrind.sh runs it, in private namespaces).
 *
 * Each call is wrapped in an out-of-line cgop_* function, so that callgrind's inclusive cost
 * of cgop_X (collected only inside these: --toggle-collect='cgop_*') divided by the number
 * of calls (-n, default 5) is the in-process cost of one call.
 * Only this process is counted: the ctr-monitor helper and the container are other processes,
 * and time spent blocked (waiting for the helper) costs no instructions.
 *
 *   cg_ops TINYSRV [-n REPS] [-k N]
 *
 * -k N starts N other containers first (each publishing one port; not counted), to show how
 * the calls' cost grows with the number of containers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-link.h"

/* out of line, one callgrind entry each (clang has no noclone: it does not clone functions) */
#ifdef __clang__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone))
#endif

static ctr_ctx *ctx;
static const char *srv;

static void die(const char *what)
{
	fprintf(stderr, "cg_ops: %s: %s\n", what, ctr_last_error());
	exit(1);
}

static NOINLINE int cgop_create(const char *name, const char *spec)
{
	const char *argv[] = { srv, "80", NULL };
	const char *pub[] = { spec, NULL };
	ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
	o.name = name;
	o.argv = argv;
	o.publish = spec ? pub : NULL;
	char id[CTR_ID_LEN + 1];
	return ctr_create(ctx, &o, id);
}
static NOINLINE int cgop_start(const char *name) { return ctr_start(ctx, name, NULL); }
static NOINLINE int cgop_publish_1(const char *name) { return ctr_publish_port(ctx, name, "9000:90"); }
static NOINLINE int cgop_unpublish_1(const char *name) { return ctr_unpublish_port(ctx, name, "9000:90"); }
static NOINLINE int cgop_publish_range1000(const char *name)
{
	return ctr_publish_port(ctx, name, "20000-20999:20000-20999");
}
static NOINLINE int cgop_unpublish_range1000(const char *name)
{
	return ctr_unpublish_port(ctx, name, "20000-20999:20000-20999");
}
static NOINLINE int cgop_link(const char *name) { return ctr_link(ctx, name, "db", "db", 0); }
static NOINLINE int cgop_unlink(const char *name) { return ctr_unlink(ctx, name, "db"); }
static NOINLINE int cgop_inspect(const char *name)
{
	char *json;
	int e = ctr_inspect(ctx, name, &json);
	if (e == 0)
		ctr_free(json);
	return e;
}
static NOINLINE int cgop_list(void)
{
	char *json;
	int e = ctr_list(ctx, CTR_LIST_ALL, &json);
	if (e == 0)
		ctr_free(json);
	return e;
}
static NOINLINE int cgop_stop(const char *name) { return ctr_stop(ctx, name, 0); }
static NOINLINE int cgop_remove(const char *name) { return ctr_remove(ctx, name, 0); }

int main(int argc, char **argv)
{
	int reps = 5, others = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: cg_ops TINYSRV [-n REPS] [-k N]\n");
		return 2;
	}
	srv = argv[1];
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-n"))
			reps = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-k"))
			others = atoi(argv[i + 1]);
	}
	if (ctr_ctx_open(&ctx, NULL) < 0)
		die("open");
	for (int i = 0; i < others; i++) { /* not counted: outside the cgop_* functions */
		char name[32], spec[32];
		snprintf(name, sizeof name, "bg%d", i);
		snprintf(spec, sizeof spec, "%d:80", 30000 + i);
		const char *bargv[] = { srv, "80", NULL };
		const char *pub[] = { spec, NULL };
		ctr_create_options bo = CTR_CREATE_OPTIONS_INIT;
		bo.name = name;
		bo.argv = bargv;
		bo.publish = pub;
		char bid[CTR_ID_LEN + 1];
		if (ctr_create(ctx, &bo, bid) < 0 || ctr_start(ctx, name, NULL) < 0)
			die(name);
	}
	/* warm-up, not counted: the bridge, the base rules and the linked container exist */
	const char *dargv[] = { srv, "5432", NULL };
	ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
	o.name = "db";
	o.argv = dargv;
	char id[CTR_ID_LEN + 1];
	if (ctr_create(ctx, &o, id) < 0 || ctr_start(ctx, "db", NULL) < 0)
		die("db");
	for (int r = 0; r < reps; r++) {
		if (cgop_create("web", "8080:80") < 0)
			die("create");
		if (cgop_start("web") < 0)
			die("start");
		if (cgop_inspect("web") < 0)
			die("inspect");
		if (cgop_list() < 0)
			die("list");
		if (cgop_publish_1("web") < 0 || cgop_unpublish_1("web") < 0)
			die("publish 1");
		if (cgop_publish_range1000("web") < 0 || cgop_unpublish_range1000("web") < 0)
			die("publish range");
		if (cgop_link("web") < 0 || cgop_unlink("web") < 0)
			die("link");
		if (cgop_stop("web") < 0)
			die("stop");
		if (cgop_remove("web") < 0)
			die("remove");
	}
	if (ctr_stop(ctx, "db", 0) < 0 || ctr_remove(ctx, "db", 0) < 0)
		die("db gone");
	for (int i = 0; i < others; i++) {
		char name[32];
		snprintf(name, sizeof name, "bg%d", i);
		if (ctr_stop(ctx, name, 0) < 0 || ctr_remove(ctx, name, 0) < 0)
			die(name);
	}
	ctr_ctx_close(ctx);
	printf("cg_ops: %d reps done with %d other containers\n", reps, others);
	return 0;
}
