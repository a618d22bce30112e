/* Unit tests for lib/core/plan_links.c: the plans of adding and removing a link (the parent's
 * record change, the journal verb, the hosts file, the link's rules).  Table-driven. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan_links.h"
#include "tap.h"
#include "core/util.h"

/* A container record: `name`, ID of digit `n`, running or not, links to IDs `links`. */
static struct ctr_rec *rec_new(const char *name, int n, bool running, const char *ip,
			       const char *const *links)
{
	struct ctr_rec *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	snprintf(r->id, sizeof r->id, "%064d", n);
	r->name = strdup(name);
	r->status = running ? ST_RUNNING : ST_CREATED;
	if (running && ip) {
		r->has_net = true;
		inet_pton(AF_INET, ip, &r->net.ip);
	}
	for (size_t i = 0; links && links[i]; i++) {
		struct ctr_link *nl = realloc(r->links, (r->n_links + 1) * sizeof *nl);
		if (!nl)
			abort();
		r->links = nl;
		nl[r->n_links++] = (struct ctr_link){ strndup(links[i], 64), strdup(links[i] + 64),
						  false };
	}
	return r;
}

struct link_case {
	const char *what;
	bool parent_runs, child_runs;
	const char *alias;
	bool self, cycle;
	int rc;
	const char *want; /* the alias linked, or the message */
};

static const struct link_case link_cases[] = {
	{ "no alias: the child's name", false, false, NULL, false, false, 0, "db" },
	{ "an alias given", false, false, "database", false, false, 0, "database" },
	{ "a leading slash is dropped", false, false, "/database", false, false, 0, "database" },
	{ "the alias in use", false, false, "cache", false, false, -EEXIST,
	  "container web already has a link with alias cache" },
	{ "a link to itself", false, false, "me", true, false, -EINVAL,
	  "a container cannot link to itself (web)" },
	{ "a cycle", false, false, NULL, false, true, -EINVAL,
	  "cannot link web to db: db already links to web (directly or through other links); a "
	  "container starts only after the ones it links to, so a cycle could never start" },
	{ "a running parent: its hosts file is rendered anew", true, false, NULL, false, false, 0,
	  "db" },
};

static void test_link(void)
{
	/* the parent has a link "cache" to container 9 (ID then alias, as rec_new reads it) */
	char cache[64 + 8];
	snprintf(cache, sizeof cache, "%064dcache", 9);
	const char *const plinks[] = { cache, NULL };
	for (size_t i = 0; i < ARRAY_SIZE(link_cases); i++) {
		const struct link_case *c = &link_cases[i];
		struct ctr_rec *p = rec_new("web", 1, c->parent_runs, "172.17.0.2", plinks);
		struct ctr_rec *k = c->self ? p : rec_new("db", 2, c->child_runs, "172.17.0.3", NULL);
		struct link_view v = { p, k, c->cycle };
		struct link_plan pl;
		ctr_err_clear();
		int rc = plan_link(&v, c->alias, i == 1, &pl);
		is_int(rc, c->rc, "link, %s: result", c->what);
		if (rc < 0) {
			is_str(ctr_err_msg(), c->want, "link, %s: message", c->what);
		} else {
			is_str(pl.link.alias, c->want, "link, %s: alias", c->what);
			is_str(pl.alias, c->want, "link, %s: alias of the reverse index", c->what);
			is_str(pl.link.target, k->id, "link, %s: target", c->what);
			ok(pl.link.env == (i == 1), "link, %s: env flag", c->what);
			char j[80];
			snprintf(j, sizeof j, "sync %s", k->id);
			is_str(pl.journal, j, "link, %s: journal", c->what);
			ok(pl.rerender == c->parent_runs, "link, %s: hosts rendered anew", c->what);
			ok(p->n_links == 1, "link, %s: the view is unchanged", c->what);
			ok(link_plan_record(&pl, p) == 0 && p->n_links == 2 &&
				   strcmp(p->links[1].alias, c->want) == 0,
			   "link, %s: the record gets the link", c->what);
		}
		link_plan_free(&pl);
		if (k != p)
			rec_free(k);
		rec_free(p);
	}
}

static void test_unlink(void)
{
	char a[64 + 8], b[64 + 8];
	snprintf(a, sizeof a, "%064ddb", 2);
	snprintf(b, sizeof b, "%064dcache", 3);
	const char *const links[] = { a, b, NULL };
	struct ctr_rec *p = rec_new("web", 1, true, "172.17.0.2", links);
	struct link_plan pl;
	ctr_err_clear();
	is_int(plan_unlink(p, "nope", &pl), -ENOENT, "unlink, no such alias: result");
	is_str(ctr_err_msg(), "container web has no link with alias nope",
	       "unlink, no such alias: message");
	link_plan_free(&pl);
	is_int(plan_unlink(p, "db", &pl), 0, "unlink db: result");
	is_int((long long)pl.index, 0, "unlink db: index");
	is_str(pl.child, p->links[0].target, "unlink db: child");
	ok(strncmp(pl.journal, "sync ", 5) == 0 && strcmp(pl.journal + 5, pl.child) == 0,
	   "unlink db: journal");
	ok(pl.rerender, "unlink db: a running parent's hosts file is rendered anew");
	ok(link_plan_record(&pl, p) == 0 && p->n_links == 1 && strcmp(p->links[0].alias, "cache") == 0,
	   "unlink db: the record keeps the other link");
	link_plan_free(&pl);
	rec_free(p);
}

struct rules_case {
	const char *what;
	bool have_cfg, icc, parent_runs, child_runs, no_child;
	size_t n_rules;
};

static const struct rules_case rules_cases[] = {
	{ "both running, isolated", true, false, true, true, false, 1 },
	{ "no network recorded", false, false, true, true, false, 0 },
	{ "icc", true, true, true, true, false, 0 },
	{ "the parent does not run", true, false, false, true, false, 0 },
	{ "the child does not run", true, false, true, false, false, 0 },
	{ "the child is gone", true, false, true, true, true, 0 },
};

static void test_rules(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules_cases); i++) {
		const struct rules_case *c = &rules_cases[i];
		struct netcfg cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.icc = c->icc;
		struct ctr_rec *p = rec_new("web", 1, c->parent_runs, "172.17.0.2", NULL);
		struct ctr_rec *k = rec_new("db", 2, c->child_runs, "172.17.0.3", NULL);
		struct ctr_port ports[] = { { 5432, CTR_TCP }, { 5433, CTR_TCP } };
		k->exposed = malloc(sizeof ports);
		memcpy(k->exposed, ports, sizeof ports);
		k->n_exposed = 2;
		struct link_plan pl = { 0 };
		is_int(plan_link_rules(c->have_cfg ? &cfg : NULL, p, c->no_child ? NULL : k, &pl), 0,
		       "rules, %s: result", c->what);
		is_int((long long)pl.n_rules, (long long)c->n_rules, "rules, %s: count", c->what);
		if (pl.n_rules)
			ok(pl.rules[0].kind == NAT_RULE_LINK && pl.rules[0].u.link.port_lo == 5432 &&
				   pl.rules[0].u.link.port_hi == 5433 &&
				   strcmp(pl.rules[0].owner, p->id) == 0 &&
				   strcmp(pl.rules[0].peer, k->id) == 0,
			   "rules, %s: the child's exposed run, parent to child", c->what);
		link_plan_free(&pl);
		rec_free(p);
		rec_free(k);
	}
}

int main(void)
{
	test_link();
	test_unlink();
	test_rules();
	return done_testing();
}
