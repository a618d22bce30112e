/* Unit tests for lib/core/plan_start.c: the pure parts of a start (the links' check, the
 * record's changes, the monitor's spec).  Table-driven. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan_start.h"
#include "tap.h"
#include "core/util.h"

static struct ctr_rec *rec_new(const char *name, enum ctr_status st)
{
	struct ctr_rec *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	snprintf(r->id, sizeof r->id, "%064d", 1);
	r->name = strdup(name);
	r->status = st;
	return r;
}

/* One link of the starting container: its alias, and how its record was found. */
struct lk {
	const char *alias;
	int err;            /* < 0: the record could not be loaded */
	enum ctr_status st; /* else its status */
};

struct links_case {
	const char *what;
	struct lk l[3];
	size_t n;      /* links of the record */
	size_t loaded; /* entries of the view (the loader stops at the first problem) */
	int rc;
	const char *msg;
};

static const struct links_case links_cases[] = {
	{ "no links", { { 0 } }, 0, 0, 0, "" },
	{ "all running", { { "db", 0, ST_RUNNING }, { "cache", 0, ST_RUNNING } }, 2, 2, 0, "" },
	{ "a removed one", { { "db", 0, ST_RUNNING }, { "cache", -ENOENT, 0 } }, 2, 2, -ENOENT,
	  "Cannot link to a removed container AS /web/cache" },
	{ "a stopped one", { { "db", 0, ST_EXITED }, { "cache", -ENOENT, 0 } }, 2, 1, -EBUSY,
	  "Cannot link to a non running container: /db AS /web/db" },
	{ "a created one, after a running one",
	  { { "db", 0, ST_RUNNING }, { "cache", 0, ST_CREATED } }, 2, 2, -EBUSY,
	  "Cannot link to a non running container: /cache AS /web/cache" },
};

static void test_links(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(links_cases); i++) {
		const struct links_case *c = &links_cases[i];
		struct ctr_rec *r = rec_new("web", ST_CREATED);
		struct ctr_rec *recs[3] = { NULL };
		int err[3] = { 0 };
		r->links = calloc(3, sizeof *r->links);
		for (size_t k = 0; k < c->n; k++) {
			r->links[k] = (struct ctr_link){ strdup("x"), strdup(c->l[k].alias), false };
			r->n_links++;
			if (k < c->loaded && c->l[k].err == 0)
				recs[k] = rec_new(c->l[k].alias, c->l[k].st);
			err[k] = c->l[k].err;
		}
		struct start_view v = { recs, err, c->loaded };
		ctr_err_clear();
		is_int(plan_start_links(r, &v), c->rc, "links, %s: result", c->what);
		is_str(ctr_err_msg(), c->msg, "links, %s: message", c->what);
		for (size_t k = 0; k < 3; k++)
			rec_free(recs[k]);
		rec_free(r);
	}
}

static void test_record(void)
{
	struct ctr_rec *r = rec_new("web", ST_EXITED);
	r->generation = 4;
	r->error = strdup("it failed");
	r->exit_code = 3;
	r->finished = 99;
	plan_start_begin(r);
	ok(r->generation == 5 && r->status == ST_STARTING && !r->error,
	   "begin: a new generation, starting, no error");
	plan_start_running(r, 1234);
	ok(r->status == ST_RUNNING && r->started == 1234 && r->finished == 0 && r->exit_code == 0,
	   "running: started now, no exit yet");
	rec_free(r);
}

static void test_launch(void)
{
	struct ctr_rec *r = rec_new("web", ST_STARTING);
	r->generation = 7;
	r->hostname = strdup("web");
	r->userns = true;
	r->userns_uid = 100000;
	r->userns_gid = 100000;
	r->userns_size = 65536;
	r->has_net = true;
	inet_pton(AF_INET, "172.17.0.2", &r->net.ip);
	r->net.prefixlen = 16;
	r->log.max_size = 1024;
	r->log.max_file = 3;
	char *env[] = { "A=1", NULL };
	uint8_t mac[6] = { 2, 0x42, 172, 17, 0, 1 };
	struct start_launch in = { "/run/x", env, 0x5, true, true, mac, "ctrlink/abc/x" };
	struct launch l;
	memset(&l, 0, sizeof l);
	plan_start_launch(r, &in, &l);
	ok(strcmp(l.id, r->id) == 0 && l.generation == 7 && l.env == env && l.caps == 0x5 &&
		   strcmp(l.state_dir, "/run/x") == 0 && strcmp(l.hostname, "web") == 0,
	   "launch: identity, environment, capabilities");
	ok(l.userns && l.userns_uid == 100000 && l.userns_size == 65536,
	   "launch: the user namespace");
	ok(l.has_net && l.ip == r->net.ip && l.prefixlen == 16 && l.has_gw_mac &&
		   memcmp(l.gw_mac, mac, 6) == 0,
	   "launch: the network and the gateway's MAC");
	ok(l.attached && l.log_max_size == 1024 && l.log_max_file == 3 &&
		   strcmp(l.cgroup, "ctrlink/abc/x") == 0,
	   "launch: output, logs, cgroup");
	r->userns = false;
	in.has_gw_mac = false;
	memset(&l, 0, sizeof l);
	plan_start_launch(r, &in, &l);
	ok(!l.userns && l.userns_size == 0 && !l.has_gw_mac, "launch: no user namespace, no MAC");
	rec_free(r);
}

static void test_exec_launch(void)
{
	struct ctr_rec *r = rec_new("web", ST_RUNNING);
	r->hostname = strdup("web");
	r->user = strdup("nobody");
	r->workdir = strdup("/srv");
	r->cgroup = strdup("ctrlink/abc/x");
	r->unconfined = true;
	r->userns = true;
	r->userns_uid = 200000;
	r->userns_gid = 300000;
	r->userns_size = 1000;
	r->pid = 4321;
	r->pid_start = 99;
	r->generation = 7;
	char *argv[] = { "sh", "-c", "true", NULL };
	char *env[] = { "A=1", NULL };
	struct exec_launch in = { .state_dir = "/run/x", .argv = argv, .env = env, .caps = 0x9 };
	struct launch l;
	memset(&l, 0, sizeof l);
	plan_exec_launch(r, &in, &l);
	ok(strcmp(l.id, r->id) == 0 && l.argv == argv && l.env == env && l.caps == 0x9 &&
		   strcmp(l.state_dir, "/run/x") == 0 && strcmp(l.hostname, "web") == 0 &&
		   l.unconfined,
	   "exec: identity, command, environment, capabilities");
	ok(strcmp(l.user, "nobody") == 0 && strcmp(l.workdir, "/srv") == 0,
	   "exec: the container's user and working directory by default");
	ok(l.userns && l.userns_uid == 200000 && l.userns_gid == 300000 && l.userns_size == 1000,
	   "exec: the container's user namespace");
	ok(l.target_pid == 4321 && l.target_start == 99 && strcmp(l.cgroup, "ctrlink/abc/x") == 0,
	   "exec: joins the running init and its cgroup");
	ok(l.generation == 0 && !l.has_net && !l.rootfs, "exec: nothing of a start's own");
	in.user = "root";
	in.workdir = "/tmp";
	r->userns = false;
	memset(&l, 0, sizeof l);
	plan_exec_launch(r, &in, &l);
	ok(strcmp(l.user, "root") == 0 && strcmp(l.workdir, "/tmp") == 0 && !l.userns &&
		   l.userns_size == 0,
	   "exec: the given user and working directory; no user namespace");
	rec_free(r);
}

int main(void)
{
	test_links();
	test_record();
	test_launch();
	test_exec_launch();
	return done_testing();
}
