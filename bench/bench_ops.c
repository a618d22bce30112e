/* In-process benchmark of libcontainer-link's calls.  Runs in private network, mount and PID
 * namespaces of its own; prints one line per measurement: name, median, p10, p90 (ms), n.
 *
 *   bench_ops [-r REPS] [-s SCENARIO]...     scenarios: single scale range calls publish own
 *
 * single   create + start of a container with one published port, until a TCP client
 *          through the host port gets an answer; then stop + remove
 * scale    the same with 1, 100 and 500 containers already running (each with a port)
 * range    publish and unpublish a 1000-port range on a running container
 * publish  publish / unpublish one port with 0, 1000 and 10000 published ports present
 * own      publish / unpublish one port on the container that holds the ports already: none,
 *          10,000 in ten 1000-port ranges (offsets that differ, as in g_pubscale), 10,000
 *          single ports HOST:80 (issue 16: one more port costs O(change))
 * calls    create, start, inspect, list, link, unlink, stop, remove, one by one
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container-link.h"
#include "../tests/system/private.h"

static const char *tinysrv;
static int reps = 15;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, double *v, int n)
{
	if (n == 0)
		return;
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%-44s median %8.3f  p10 %8.3f  p90 %8.3f  ms  (n=%d)\n", name, med,
	       v[n / 10], v[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1], n);
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "bench_ops: %s: %s\n", what, ctr_last_error());
	exit(1);
}

static bool answers(int port)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	char buf[8] = "";
	bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0 && read(s, buf, 6) == 6 &&
		  memcmp(buf, "hello\n", 6) == 0;
	close(s);
	return ok;
}

static void wait_answer(int port)
{
	double until = now_ms() + 10000;
	while (!answers(port))
		if (now_ms() > until) {
			fprintf(stderr, "bench_ops: no answer on port %d\n", port);
			exit(1);
		}
}

/* create + start a server container named `name` publishing the specs of the NULL-ended
 * list `specs` (NULL: none) */
static void run_srv_many(ctr_ctx *ctx, const char *name, const char **specs)
{
	const char *argv[] = { tinysrv, "80", NULL };
	ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
	o.name = name;
	o.argv = argv;
	o.publish = specs;
	char id[CTR_ID_LEN + 1];
	if (ctr_create(ctx, &o, id) < 0 || ctr_start(ctx, id, NULL) < 0)
		die(name);
}

/* create + start a server container named `name` publishing spec (NULL: none) */
static void run_srv(ctr_ctx *ctx, const char *name, const char *spec)
{
	const char *pub[] = { spec, NULL };
	run_srv_many(ctx, name, spec ? pub : NULL);
}

/* report two series, named by the formats fa and fb (one %s each: `label`), and free them */
static void report2(const char *fa, const char *fb, const char *label, double *va, double *vb)
{
	char n[96];
	snprintf(n, sizeof n, fa, label);
	report(n, va, reps);
	snprintf(n, sizeof n, fb, label);
	report(n, vb, reps);
	free(va);
	free(vb);
}

static void gone(ctr_ctx *ctx, const char *name)
{
	if (ctr_stop(ctx, name, 0) < 0 || ctr_remove(ctx, name, 0) < 0)
		die(name);
}

static void single(ctr_ctx *ctx, const char *label)
{
	double *up = calloc((size_t)reps, sizeof *up), *down = calloc((size_t)reps, sizeof *down);
	for (int r = 0; r < reps; r++) {
		double t0 = now_ms();
		run_srv(ctx, "probe", "8080:80");
		wait_answer(8080);
		double t1 = now_ms();
		gone(ctx, "probe");
		double t2 = now_ms();
		up[r] = t1 - t0;
		down[r] = t2 - t1;
	}
	report2("%s: create+start+answer", "%s: stop+remove", label, up, down);
}

static void scale(ctr_ctx *ctx)
{
	static const int levels[] = { 1, 100, 500 };
	int have = 0;
	for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
		double t0 = now_ms();
		int from = have;
		for (; have < levels[l]; have++) {
			char name[32], spec[32];
			snprintf(name, sizeof name, "fill%d", have);
			snprintf(spec, sizeof spec, "%d:80", 10000 + have);
			run_srv(ctx, name, spec);
		}
		if (have > from)
			printf("# filled %d -> %d containers, %.1f ms each\n", from, have,
			       (now_ms() - t0) / (have - from));
		char label[64];
		snprintf(label, sizeof label, "with %d running", have);
		single(ctx, label);
	}
	for (int i = 0; i < have; i++) {
		char name[32];
		snprintf(name, sizeof name, "fill%d", i);
		gone(ctx, name);
	}
}

static void range(ctr_ctx *ctx)
{
	run_srv(ctx, "ranged", NULL);
	double *p = calloc((size_t)reps, sizeof *p), *u = calloc((size_t)reps, sizeof *u);
	for (int r = 0; r < reps; r++) {
		double t0 = now_ms();
		if (ctr_publish_port(ctx, "ranged", "20000-20999:20000-20999") < 0)
			die("publish range");
		double t1 = now_ms();
		if (ctr_unpublish_port(ctx, "ranged", "20000-20999:20000-20999") < 0)
			die("unpublish range");
		u[r] = now_ms() - t1;
		p[r] = t1 - t0;
	}
	report("publish a 1000-port range (running)", p, reps);
	report("unpublish a 1000-port range", u, reps);
	gone(ctx, "ranged");
	free(p);
	free(u);
}

static void publish(ctr_ctx *ctx)
{
	static const int levels[] = { 0, 1000, 10000 };
	run_srv(ctx, "pub", NULL);
	run_srv(ctx, "filler", NULL);
	int have = 0;
	for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
		/* separate rules: host ports two apart, so that no run coalesces */
		for (; have < levels[l]; have++) {
			char spec[32];
			snprintf(spec, sizeof spec, "%d:%d", 30000 + 2 * have, 1 + have);
			if (ctr_publish_port(ctx, "filler", spec) < 0)
				die("fill");
		}
		double *p = calloc((size_t)reps, sizeof *p), *u = calloc((size_t)reps, sizeof *u);
		for (int r = 0; r < reps; r++) {
			double t0 = now_ms();
			if (ctr_publish_port(ctx, "pub", "8080:80") < 0)
				die("publish");
			double t1 = now_ms();
			if (ctr_unpublish_port(ctx, "pub", "8080:80") < 0)
				die("unpublish");
			u[r] = now_ms() - t1;
			p[r] = t1 - t0;
		}
		char n[96];
		snprintf(n, sizeof n, "publish 1 port, %d published", have);
		report(n, p, reps);
		snprintf(n, sizeof n, "unpublish 1 port, %d published", have);
		report(n, u, reps);
		free(p);
		free(u);
	}
	gone(ctx, "pub");
	gone(ctx, "filler");
}

/* publish / unpublish 65000:80 on `name`, reps times; reported as "... on <label>" */
static void own_time(ctr_ctx *ctx, const char *name, const char *label)
{
	double *p = calloc((size_t)reps, sizeof *p), *u = calloc((size_t)reps, sizeof *u);
	for (int r = 0; r < reps; r++) {
		double t0 = now_ms();
		if (ctr_publish_port(ctx, name, "65000:80") < 0)
			die("publish own");
		double t1 = now_ms();
		if (ctr_unpublish_port(ctx, name, "65000:80") < 0)
			die("unpublish own");
		u[r] = now_ms() - t1;
		p[r] = t1 - t0;
	}
	report2("publish 1 port on %s", "unpublish 1 port on %s", label, p, u);
}

static void own(ctr_ctx *ctx)
{
	enum { N = 10000 };
	static char buf[N][24];
	static const char *specs[N + 1];
	run_srv(ctx, "own0", NULL);
	own_time(ctx, "own0", "a container with none");
	gone(ctx, "own0");
	/* ten 1000-port ranges, host ports 1100..11099, container ports offset by one more
	 * each range, so that no two ranges coalesce */
	for (int i = 0; i < 10; i++) {
		int h = 1100 + 1000 * i, c = 1 + 1001 * i;
		snprintf(buf[i], sizeof buf[i], "%d-%d:%d-%d", h, h + 999, c, c + 999);
		specs[i] = buf[i];
	}
	specs[10] = NULL;
	run_srv_many(ctx, "ownr", specs);
	own_time(ctx, "ownr", "one holding 10000 in ranges");
	gone(ctx, "ownr");
	for (int i = 0; i < N; i++) {
		snprintf(buf[i], sizeof buf[i], "%d:80", 1100 + i);
		specs[i] = buf[i];
	}
	specs[N] = NULL;
	run_srv_many(ctx, "owns", specs);
	own_time(ctx, "owns", "one holding 10000 singles");
	gone(ctx, "owns");
}

static void calls(ctr_ctx *ctx)
{
	enum { CREATE, START, INSPECT, LIST, LINK, UNLINK, STOP, REMOVE, N };
	static const char *names[N] = { "ctr_create", "ctr_start (1 port)", "ctr_inspect",
					"ctr_list (3 containers)", "ctr_link (both running)",
					"ctr_unlink", "ctr_stop (SIGKILL)", "ctr_remove" };
	double *v[N];
	for (int i = 0; i < N; i++)
		v[i] = calloc((size_t)reps, sizeof *v[i]);
	run_srv(ctx, "db", NULL);
	run_srv(ctx, "other", NULL);
	for (int r = 0; r < reps; r++) {
		const char *argv[] = { tinysrv, "80", NULL };
		const char *pub[] = { "8080:80", NULL };
		ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
		o.name = "web";
		o.argv = argv;
		o.publish = pub;
		char id[CTR_ID_LEN + 1], *json;
		double t = now_ms();
		if (ctr_create(ctx, &o, id) < 0)
			die("create");
		v[CREATE][r] = now_ms() - t;
		t = now_ms();
		if (ctr_start(ctx, "web", NULL) < 0)
			die("start");
		v[START][r] = now_ms() - t;
		t = now_ms();
		if (ctr_inspect(ctx, "web", &json) < 0)
			die("inspect");
		v[INSPECT][r] = now_ms() - t;
		ctr_free(json);
		t = now_ms();
		if (ctr_list(ctx, CTR_LIST_ALL, &json) < 0)
			die("list");
		v[LIST][r] = now_ms() - t;
		ctr_free(json);
		t = now_ms();
		if (ctr_link(ctx, "web", "db", "db", 0) < 0)
			die("link");
		v[LINK][r] = now_ms() - t;
		t = now_ms();
		if (ctr_unlink(ctx, "web", "db") < 0)
			die("unlink");
		v[UNLINK][r] = now_ms() - t;
		t = now_ms();
		if (ctr_stop(ctx, "web", 0) < 0)
			die("stop");
		v[STOP][r] = now_ms() - t;
		t = now_ms();
		if (ctr_remove(ctx, "web", 0) < 0)
			die("remove");
		v[REMOVE][r] = now_ms() - t;
	}
	for (int i = 0; i < N; i++) {
		report(names[i], v[i], reps);
		free(v[i]);
	}
	gone(ctx, "db");
	gone(ctx, "other");
}

static void isolate(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) < 0) {
		perror("unshare");
		exit(1);
	}
	pid_t p = fork();
	if (p < 0)
		exit(1);
	if (p > 0) {
		int st;
		waitpid(p, &st, 0);
		exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    private_tmpfs("/run", NULL) < 0 ||
	    mount("proc", "/proc", "proc", 0, NULL) < 0 || system("ip link set lo up") != 0) {
		perror("namespace setup");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *scen[8];
	int ns = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-r") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc && ns < 8)
			scen[ns++] = argv[++i];
		else {
			fprintf(stderr, "usage: bench_ops [-r REPS] [-s single|scale|range|publish|calls|own]...\n");
			return 2;
		}
	}
	if (!ns) {
		scen[ns++] = "single";
		scen[ns++] = "calls";
		scen[ns++] = "range";
		scen[ns++] = "publish";
		scen[ns++] = "scale";
	}
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
	if (n <= 0)
		return 1;
	path[n] = '\0';
	strcpy(strrchr(path, '/') + 1, "tinysrv");
	tinysrv = path;
	isolate();
	ctr_ctx *ctx;
	ctr_ctx_options co = CTR_CTX_OPTIONS_INIT;
	const char *bk = getenv("CTRLINK_NAT_BACKEND"); /* as ctrlink reads it */
	if (bk && !strcmp(bk, "iptables"))
		co.nat_backend = CTR_NAT_IPTABLES;
	else if (bk && !strcmp(bk, "nftables"))
		co.nat_backend = CTR_NAT_NFTABLES;
	if (ctr_ctx_open(&ctx, &co) < 0)
		die("open");
	run_srv(ctx, "warmup", "8080:80"); /* the bridge and base rules exist from here on */
	wait_answer(8080);
	gone(ctx, "warmup");
	for (int i = 0; i < ns; i++) {
		if (!strcmp(scen[i], "single"))
			single(ctx, "single");
		else if (!strcmp(scen[i], "scale"))
			scale(ctx);
		else if (!strcmp(scen[i], "range"))
			range(ctx);
		else if (!strcmp(scen[i], "publish"))
			publish(ctx);
		else if (!strcmp(scen[i], "calls"))
			calls(ctx);
		else if (!strcmp(scen[i], "own"))
			own(ctx);
	}
	ctr_ctx_close(ctx);
	return 0;
}
