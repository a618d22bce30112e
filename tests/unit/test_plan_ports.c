/* Unit tests for lib/core/plan_ports.c: the plans of publishing and withdrawing ports (the
 * record's new port lists, the host ports taken and given back, the journal verb) and the
 * rule changes they imply.  Table-driven; each row gives several TAP points. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/natplan.h"
#include "core/plan_ports.h"
#include "core/portspec.h"
#include "portfix.h"
#include "tap.h"
#include "core/util.h"

#define T CTR_TCP
#define U CTR_UDP

struct map {
	uint16_t port;
	int proto;
	const char *ip;
	uint16_t hport;
};

/* A container "web" with the bindings of the specs `have` and (running) the mappings `m`. */
static void rec_make(struct ctr_rec *r, const char *const *have, const struct map *m,
		     bool running)
{
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "%064d", 1);
	r->name = strdup("web");
	for (size_t i = 0; have[i]; i++) {
		struct ctr_binding *b = NULL;
		size_t nb = 0;
		if (portspec_parse(have[i], &b, &nb) < 0 || rec_add_bindings(r, b, nb) < 0)
			abort();
		free(b);
	}
	size_t n = 0;
	while (m[n].port)
		n++;
	r->mappings = calloc(n + 1, sizeof *r->mappings);
	for (size_t i = 0; i < n; i++) {
		r->mappings[i].cport.port = m[i].port;
		r->mappings[i].cport.proto = (uint8_t)m[i].proto;
		snprintf(r->mappings[i].host_ip, sizeof r->mappings[i].host_ip, "%s", m[i].ip);
		r->mappings[i].hport = m[i].hport;
	}
	r->n_mappings = n;
	r->status = running ? ST_RUNNING : ST_CREATED;
	if (running) {
		r->has_net = true;
		inet_pton(AF_INET, "172.17.0.2", &r->net.ip);
	}
}

/* Free what rec_make() gave `r` (rec_free frees a record it is given whole). */
static void rec_clear(struct ctr_rec *r)
{
	struct ctr_rec *h = malloc(sizeof *h);
	if (!h)
		abort();
	*h = *r;
	rec_free(h);
}

static char *fmt_bindings(const struct ctr_binding *b, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	sb_addf(&sb, "%s", "");
	for (size_t i = 0; i < n; i++) {
		char cp[16], hp[16];
		port_format(&b[i].cport, cp, sizeof cp);
		binding_hostport(&b[i], hp, sizeof hp);
		sb_addf(&sb, "%s%s=%s:%s", i ? " " : "", cp, b[i].host_ip, hp);
	}
	return sb_finish(&sb);
}

static char *fmt_ports(const struct ctr_port *p, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	sb_addf(&sb, "%s", "");
	for (size_t i = 0; i < n; i++) {
		char cp[16];
		port_format(&p[i], cp, sizeof cp);
		sb_addf(&sb, "%s%s", i ? " " : "", cp);
	}
	return sb_finish(&sb);
}

static bool taken(const struct alloc *a, int proto, const char *ip, uint16_t port)
{
	int fam;
	uint8_t addr[16];
	return host_ip_parse(ip, &fam, addr) == 0 && alloc_port_taken(a, proto, fam, addr, port);
}

static void check_str(char *got, const char *want, const char *what, const char *field)
{
	is_str(got, want, "%s: %s", what, field);
	free(got);
}

/* ---- publish ---- */

struct pub_case {
	const char *what;
	const char *have[4]; /* published before */
	struct map m[4];     /* running: its mappings */
	bool running;
	struct map busy;     /* running: a host port another container holds */
	const char *spec;
	int rc;
	const char *want;    /* the bindings after, or the message */
	const char *exposed; /* the exposed ports after */
	bool exposed_changed;
	const char *take;    /* running: the mappings taken */
};

static const struct pub_case pub_cases[] = {
	{ "a new single port", { NULL }, { { 0 } }, false, { 0 }, "8080:80", 0,
	  "80/tcp=:8080", "80/tcp", true, NULL },
	{ "a range, pairwise", { NULL }, { { 0 } }, false, { 0 }, "8000-8002:80-82", 0,
	  "80/tcp=:8000 81/tcp=:8001 82/tcp=:8002", "80/tcp 81/tcp 82/tcp", true, NULL },
	{ "the same binding again: the container's own port", { "8080:80", NULL }, { { 0 } },
	  false, { 0 }, "8080:80", -EEXIST, "80/tcp is already published as \"8080:80\" on web",
	  NULL, false, NULL },
	{ "a range overlapping one binding: the first one there is named",
	  { "8001:81", NULL }, { { 0 } }, false, { 0 }, "8000-8002:80-82", -EEXIST,
	  "81/tcp is already published as \"8000-8002:80-82\" on web", NULL, false, NULL },
	{ "another host port for a published container port", { "8080:80", NULL }, { { 0 } },
	  false, { 0 }, "8081:80", 0, "80/tcp=:8080 80/tcp=:8081", "80/tcp", false, NULL },
	{ "the other protocol is another port", { "8080:80", NULL }, { { 0 } }, false, { 0 },
	  "8080:80/udp", 0, "80/tcp=:8080 80/udp=:8080", "80/tcp 80/udp", true, NULL },
	{ "another host IP is another binding", { "127.0.0.1:8080:80", NULL }, { { 0 } }, false,
	  { 0 }, "8080:80", 0, "80/tcp=127.0.0.1:8080 80/tcp=:8080", "80/tcp", false, NULL },
	{ "IPv6 host IPs compare as addresses", { "[::]:8080:80", NULL }, { { 0 } }, false,
	  { 0 }, "[0:0::0]:8080:80", -EEXIST,
	  "80/tcp is already published as \"[0:0::0]:8080:80\" on web", NULL, false, NULL },
	{ "running: the host port is taken and journaled", { NULL }, { { 0 } }, true, { 0 },
	  "8080:80", 0, "80/tcp=:8080", "80/tcp", true, "80/tcp=0.0.0.0:8080" },
	{ "running: the new mappings follow the old ones", { "9090:90", NULL },
	  { { 90, T, "0.0.0.0", 9090 }, { 0 } }, true, { 0 }, "127.0.0.1:8080:80/udp", 0,
	  "90/tcp=:9090 80/udp=127.0.0.1:8080", "80/udp 90/tcp", true, "80/udp=127.0.0.1:8080" },
	{ "running: a host port another container holds", { NULL }, { { 0 } }, true,
	  { 1, T, "0.0.0.0", 8080 }, "8080:80", -EADDRINUSE,
	  "Bind for 0.0.0.0:8080 failed: port is already allocated", NULL, false, NULL },
};

static void test_publish(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(pub_cases); i++) {
		const struct pub_case *c = &pub_cases[i];
		struct ctr_rec r;
		struct alloc a;
		uint32_t net;
		inet_pton(AF_INET, "172.17.0.0", &net);
		if (alloc_init(&a, net, 16) < 0)
			abort();
		rec_make(&r, c->have, c->m, c->running);
		if (c->busy.port && take(&a, c->busy.proto, c->busy.ip, c->busy.hport) < 0)
			abort();
		struct portplan_env env = { .eph_lo = 49153, .eph_hi = 49200 };
		struct ports_view v = { &r, c->running, c->running ? &a : NULL,
					c->running ? &env : NULL };
		struct ctr_binding *b = NULL;
		size_t nb = 0;
		if (portspec_parse(c->spec, &b, &nb) < 0)
			abort();
		struct port_plan p;
		ctr_err_clear();
		int rc = plan_publish(&v, c->spec, b, nb, &p);
		is_int(rc, c->rc, "%s: result", c->what);
		if (rc < 0) {
			is_str(ctr_err_msg(), c->want, "%s: message", c->what);
			ok(!p.bindings && !p.mappings && !p.take, "%s: the plan is empty", c->what);
			ok(!c->busy.port || !taken(&a, CTR_TCP, "0.0.0.0", 8081),
			   "%s: nothing else stays taken", c->what);
		} else {
			check_str(fmt_bindings(p.bindings, p.n_bindings), c->want, c->what,
				  "bindings");
			check_str(fmt_ports(p.exposed, p.n_exposed), c->exposed, c->what, "exposed");
			is_int(p.exposed_changed, c->exposed_changed, "%s: exposed changed", c->what);
			is_str(p.journal, c->running ? "sync" : NULL, "%s: journal", c->what);
			check_str(fmt_mappings(p.take, p.n_take), c->take ? c->take : "", c->what,
				  "taken");
			if (c->running)
				ok(taken(&a, p.take[0].cport.proto, p.take[0].host_ip,
					 p.take[0].hport),
				   "%s: taken in the index", c->what);
			is_int((long long)p.n_mappings, (long long)(r.n_mappings + p.n_take),
			       "%s: old mappings kept", c->what);
			/* the record is untouched until the plan is swapped in */
			is_int((long long)r.n_bindings, (long long)(p.n_bindings - nb),
			       "%s: the view is unchanged", c->what);
		}
		port_plan_free(&p);
		free(b);
		rec_clear(&r);
		alloc_free(&a);
	}
}

/* ---- unpublish ---- */

struct unpub_case {
	const char *what;
	const char *have[4];
	struct map m[4];
	bool running;
	const char *spec;
	int rc;
	const char *want;     /* the bindings after, or the message */
	const char *mappings; /* the mappings after */
	const char *release;  /* the host ports given back */
};

static const struct unpub_case unpub_cases[] = {
	{ "a port not published is named", { "8080:80", NULL }, { { 0 } }, false, "9090:90",
	  -ENOENT, "no published port matches \"9090:90\" on web", NULL, NULL },
	{ "another protocol does not match", { "8080:80", NULL }, { { 0 } }, false, "80/udp",
	  -ENOENT, "no published port matches \"80/udp\" on web", NULL, NULL },
	{ "a bare port takes every binding of it", { "8080:80", "127.0.0.1:8081:80", "81", NULL },
	  { { 0 } }, false, "80", 0, "81/tcp=:", "", NULL },
	{ "an exact binding takes only itself", { "8080:80", "127.0.0.1:8081:80", NULL },
	  { { 0 } }, false, "127.0.0.1:8081:80", 0, "80/tcp=:8080", "", NULL },
	{ "a range takes the ports it names", { "8000-8002:80-82", NULL }, { { 0 } }, false,
	  "81-82", 0, "80/tcp=:8000", "", NULL },
	{ "running: the mappings go and their host ports are given back",
	  { "8080:80", "9090:90", NULL },
	  { { 80, T, "0.0.0.0", 8080 }, { 80, T, "::", 8080 }, { 90, T, "0.0.0.0", 9090 }, { 0 } },
	  true, "8080:80", 0, "90/tcp=:9090", "90/tcp=0.0.0.0:9090",
	  "80/tcp=0.0.0.0:8080 80/tcp=:::8080" },
	{ "running: an IPv6 host IP takes only its own mapping",
	  { "[::]:8080:80", "8080:80/udp", NULL },
	  { { 80, T, "::", 8080 }, { 80, U, "0.0.0.0", 8080 }, { 0 } }, true, "[::]:8080:80", 0,
	  "80/udp=:8080", "80/udp=0.0.0.0:8080", "80/tcp=:::8080" },
};

static void test_unpublish(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(unpub_cases); i++) {
		const struct unpub_case *c = &unpub_cases[i];
		struct ctr_rec r;
		rec_make(&r, c->have, c->m, c->running);
		struct ports_view v = { &r, c->running, NULL, NULL };
		struct ctr_binding *b = NULL;
		size_t nb = 0;
		bool bare = false;
		if (portspec_parse_unpublish(c->spec, &b, &nb, &bare) < 0)
			abort();
		struct port_plan p;
		ctr_err_clear();
		int rc = plan_unpublish(&v, c->spec, b, nb, bare, &p);
		is_int(rc, c->rc, "%s: result", c->what);
		if (rc < 0) {
			is_str(ctr_err_msg(), c->want, "%s: message", c->what);
		} else {
			check_str(fmt_bindings(p.bindings, p.n_bindings), c->want, c->what,
				  "bindings");
			check_str(fmt_mappings(p.mappings, p.n_mappings), c->mappings, c->what,
				  "mappings");
			is_int((long long)p.n_exposed, (long long)r.n_exposed,
			       "%s: exposed ports stay", c->what);
			ok(!p.exposed_changed, "%s: the link rules stay", c->what);
			is_str(p.journal, c->running ? "sync" : NULL, "%s: journal", c->what);
			if (c->release)
				check_str(fmt_mappings(p.release, p.n_release), c->release, c->what,
					  "released");
			else
				ok(!p.release, "%s: nothing to give back", c->what);
		}
		port_plan_free(&p);
		free(b);
		rec_clear(&r);
	}
}

/* ---- the rules ---- */

static void test_rules(void)
{
	static const char *const none[] = { NULL };
	static const struct map nomap[] = { { 0 } };
	struct ctr_rec r, parent, child;
	rec_make(&r, none, nomap, true);
	rec_make(&parent, none, nomap, true);
	rec_make(&child, (const char *const[]){ "5432", NULL }, nomap, true);
	snprintf(parent.id, sizeof parent.id, "%064d", 2);
	snprintf(child.id, sizeof child.id, "%064d", 3);
	inet_pton(AF_INET, "172.17.0.3", &parent.net.ip);
	inet_pton(AF_INET, "172.17.0.4", &child.net.ip);
	struct rules_view rv = { 0 };
	if (rules_view_push(&rv.parents, &rv.n_parents, &parent, false) < 0 ||
	    rules_view_push(&rv.children, &rv.n_children, &child, true) < 0)
		abort();

	struct nat_rule *rules = NULL;
	size_t n = 0;
	ok(plan_rules(&rv, &r, true, &rules, &n) == 0 && n == 1 &&
		   rules[0].kind == NAT_RULE_LINK && strcmp(rules[0].owner, r.id) == 0 &&
		   strcmp(rules[0].peer, child.id) == 0 && rules[0].u.link.port_lo == 5432,
	   "rules: a child's exposed port is opened to the container");
	free(rules);
	rules = NULL;
	n = 0;
	ok(plan_rules(&rv, &r, false, &rules, &n) == 0 && n == 0,
	   "rules: without links, only DNAT rules (none here)");
	free(rules);

	/* publishing a new port on a container that a parent links to: one DNAT rule and one
	 * link rule for the parent, nothing deleted */
	struct alloc a;
	uint32_t net;
	inet_pton(AF_INET, "172.17.0.0", &net);
	if (alloc_init(&a, net, 16) < 0)
		abort();
	struct portplan_env env = { .eph_lo = 49153, .eph_hi = 49200 };
	struct ports_view v = { &r, true, &a, &env };
	struct ctr_binding *b = NULL;
	size_t nb = 0;
	struct port_plan p;
	if (portspec_parse("8080:80", &b, &nb) < 0 || plan_publish(&v, "8080:80", b, nb, &p) < 0)
		abort();
	is_int(plan_ports_rules(&rv, &r, &p), 0, "rules of a publish: planned");
	is_int((long long)p.n_del, 0, "rules of a publish: nothing deleted");
	size_t dnat = 0, link = 0;
	for (size_t i = 0; i < p.n_add; i++) {
		dnat += p.add[i].kind == NAT_RULE_DNAT && p.add[i].u.dnat.hport_lo == 8080;
		link += p.add[i].kind == NAT_RULE_LINK && strcmp(p.add[i].owner, parent.id) == 0 &&
			p.add[i].u.link.port_lo == 80;
	}
	ok(p.n_add == 2 && dnat == 1 && link == 1,
	   "rules of a publish: the DNAT rule and the parent's link rule are added");

	/* ... and withdrawing it again: the DNAT rule goes, the link rule stays */
	port_plan_swap(&p, &r);
	port_plan_free(&p);
	free(b);
	b = NULL;
	nb = 0;
	bool bare;
	if (portspec_parse_unpublish("8080:80", &b, &nb, &bare) < 0 ||
	    plan_unpublish(&v, "8080:80", b, nb, bare, &p) < 0)
		abort();
	is_int(plan_ports_rules(&rv, &r, &p), 0, "rules of an unpublish: planned");
	ok(p.n_add == 0 && p.n_del == 1 && p.del[0].kind == NAT_RULE_DNAT,
	   "rules of an unpublish: only the DNAT rule is deleted");
	port_plan_free(&p);

	/* icc: no link rules at all */
	rv.icc = true;
	rules = NULL;
	n = 0;
	ok(plan_rules(&rv, &r, true, &rules, &n) == 0 && n == 1 && rules[0].kind == NAT_RULE_DNAT,
	   "rules: icc, the DNAT rule and no link rules");
	free(rules);
	free(b);
	rules_view_free(&rv);
	alloc_free(&a);
	rec_clear(&r);
	rec_clear(&parent);
	rec_clear(&child);
}

/* ---- the rules of a change, planned near it only, against the whole plan ---- */

static void mapping_set(struct ctr_mapping *m, const struct map *x)
{
	memset(m, 0, sizeof *m);
	m->cport.port = x->port;
	m->cport.proto = (uint8_t)x->proto;
	snprintf(m->host_ip, sizeof m->host_ip, "%s", x->ip);
	m->hport = x->hport;
}

static bool mapping_same(const struct ctr_mapping *a, const struct ctr_mapping *b)
{
	return a->cport.port == b->cport.port && a->cport.proto == b->cport.proto &&
	       a->hport == b->hport && strcmp(a->host_ip, b->host_ip) == 0;
}

/* The plan of a change to the mappings of the running `r` as the planners give it: `take`
 * (ntake) appended, then `release` (nrel) taken out. */
static void plan_change(const struct ctr_rec *r, const struct ctr_mapping *take, size_t ntake,
			const struct ctr_mapping *release, size_t nrel, struct port_plan *p)
{
	memset(p, 0, sizeof *p);
	p->mappings = calloc(r->n_mappings + ntake + 1, sizeof *p->mappings);
	p->release = calloc(nrel + 1, sizeof *p->release);
	if (!p->mappings || !p->release)
		abort();
	for (size_t i = 0; i < r->n_mappings; i++) {
		bool gone = false;
		for (size_t j = 0; j < nrel && !gone; j++)
			gone = mapping_same(&r->mappings[i], &release[j]);
		if (gone)
			p->release[p->n_release++] = r->mappings[i];
		else
			p->mappings[p->n_mappings++] = r->mappings[i];
	}
	if (ntake)
		memcpy(p->mappings + p->n_mappings, take, ntake * sizeof *take);
	p->take = p->mappings + p->n_mappings;
	p->n_take = ntake;
	p->n_mappings += ntake;
	p->journal = "sync";
}

/* plan_ports_rules() gives the del and add lists of the whole plan (all the rules of `r`
 * before and after, diffed), rule for rule and in the same order. */
static bool same_as_whole(const struct rules_view *rv, const struct ctr_rec *r,
			  struct port_plan *p)
{
	struct ctr_rec after = *r;
	after.mappings = p->mappings;
	after.n_mappings = p->n_mappings;
	after.exposed = p->exposed;
	after.n_exposed = p->n_exposed;
	struct nat_rule *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, nd = 0, nad = 0;
	if (plan_rules(rv, r, p->exposed_changed, &a, &na) < 0 ||
	    plan_rules(rv, &after, p->exposed_changed, &b, &nb) < 0)
		abort();
	struct nat_rule *del = calloc(na + 1, sizeof *del), *add = calloc(nb + 1, sizeof *add);
	if (!del || !add || natplan_diff(a, na, b, nb, del, &nd, add, &nad) < 0 ||
	    plan_ports_rules(rv, r, p) < 0)
		abort();
	bool same = p->n_del == nd && p->n_add == nad;
	for (size_t i = 0; same && i < nd; i++)
		same = nat_rule_cmp(&p->del[i], &del[i]) == 0;
	for (size_t i = 0; same && i < nad; i++)
		same = nat_rule_cmp(&p->add[i], &add[i]) == 0;
	free(a);
	free(b);
	free(del);
	free(add);
	return same;
}

struct near_case {
	const char *what;
	struct map have[12]; /* the container's mappings */
	struct map take[4];  /* published */
	struct map rel[4];   /* withdrawn */
	bool v6;             /* the container has an IPv6 address */
	size_t del, add;     /* the rules deleted and added */
	size_t planned;      /* natplan_dnat_change: the rules planned before and after */
};

#define TM(port, proto, ip, hport) { port, proto, ip, hport }

static const struct near_case near_cases[] = {
	{ "empty container, one port", { { 0 } }, { TM(80, T, "0.0.0.0", 8080) }, { { 0 } },
	  false, 0, 1, 1 },
	{ "a port far from the others", { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081) },
	  { TM(80, T, "0.0.0.0", 9000) }, { { 0 } }, false, 0, 1, 1 },
	{ "extends a run above",
	  { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081), TM(1, T, "0.0.0.0", 1) },
	  { TM(82, T, "0.0.0.0", 8082) }, { { 0 } }, false, 1, 1, 2 },
	{ "extends a run below", { TM(81, T, "0.0.0.0", 8081), TM(82, T, "0.0.0.0", 8082) },
	  { TM(80, T, "0.0.0.0", 8080) }, { { 0 } }, false, 1, 1, 2 },
	{ "adjacent, another offset: a rule of its own",
	  { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081) },
	  { TM(80, T, "0.0.0.0", 8082) }, { { 0 } }, false, 0, 1, 3 },
	{ "merges two runs",
	  { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081), TM(83, T, "0.0.0.0", 8083),
	    TM(84, T, "0.0.0.0", 8084), TM(90, T, "0.0.0.0", 9000) },
	  { TM(82, T, "0.0.0.0", 8082) }, { { 0 } }, false, 2, 1, 3 },
	{ "splits a run on unpublish",
	  { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081), TM(82, T, "0.0.0.0", 8082),
	    TM(83, T, "0.0.0.0", 8083), TM(90, T, "0.0.0.0", 9000) },
	  { { 0 } }, { TM(81, T, "0.0.0.0", 8081) }, false, 1, 2, 3 },
	{ "shortens a run on unpublish",
	  { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081), TM(82, T, "0.0.0.0", 8082) },
	  { { 0 } }, { TM(82, T, "0.0.0.0", 8082) }, false, 1, 1, 2 },
	{ "the last port goes", { TM(80, T, "0.0.0.0", 8080) }, { { 0 } },
	  { TM(80, T, "0.0.0.0", 8080) }, false, 1, 0, 1 },
	{ "another host address does not join",
	  { TM(80, T, "127.0.0.1", 8080), TM(82, T, "0.0.0.0", 8082) },
	  { TM(81, T, "0.0.0.0", 8081) }, { { 0 } }, false, 1, 1, 2 },
	{ "udp does not join tcp", { TM(80, U, "0.0.0.0", 8080), TM(82, T, "0.0.0.0", 8082) },
	  { TM(81, T, "0.0.0.0", 8081) }, { { 0 } }, false, 1, 1, 2 },
	{ "IPv6 next to IPv4 does not join it",
	  { TM(80, T, "0.0.0.0", 8080), TM(81, T, "::", 8081) }, { TM(82, T, "::", 8082) },
	  { { 0 } }, true, 1, 1, 2 },
	{ "IPv6 written two ways is one address",
	  { TM(80, T, "::", 8080), TM(81, T, "0:0::0", 8081) }, { TM(82, T, "::0", 8082) },
	  { { 0 } }, true, 1, 1, 2 },
	{ "IPv6 without an IPv6 address: no rule", { TM(80, T, "::", 8080) },
	  { TM(81, T, "::", 8081) }, { { 0 } }, false, 0, 0, 0 },
	{ "a range and both families at once",
	  { TM(80, T, "0.0.0.0", 8080), TM(80, T, "::", 8080), TM(99, U, "0.0.0.0", 8081) },
	  { TM(81, T, "0.0.0.0", 8081), TM(82, T, "0.0.0.0", 8082), TM(81, T, "::", 8081),
	    TM(82, T, "::", 8082) },
	  { { 0 } }, true, 2, 2, 4 },
	{ "withdrawing a range", { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081),
				    TM(82, T, "0.0.0.0", 8082), TM(83, T, "0.0.0.0", 8083) },
	  { { 0 } }, { TM(81, T, "0.0.0.0", 8081), TM(82, T, "0.0.0.0", 8082) }, false, 1, 2, 3 },
	{ "a host port withdrawn and published again, to another port",
	  { TM(80, T, "0.0.0.0", 8080), TM(81, T, "0.0.0.0", 8081) },
	  { TM(90, T, "0.0.0.0", 8081) }, { TM(81, T, "0.0.0.0", 8081) }, false, 1, 2, 3 },
	{ "host ports at the ends", { TM(2, T, "0.0.0.0", 65535), TM(1, T, "0.0.0.0", 1) },
	  { TM(1, T, "0.0.0.0", 65534), TM(2, T, "0.0.0.0", 2) }, { { 0 } }, false, 2, 2, 4 },
};

static size_t maps_to(struct ctr_mapping *m, const struct map *x, size_t max)
{
	size_t n = 0;
	while (n < max && (x[n].port || x[n].hport)) {
		mapping_set(&m[n], &x[n]);
		n++;
	}
	return n;
}

static void rec_v6(struct ctr_rec *r)
{
	r->net.prefixlen6 = 64;
	inet_pton(AF_INET6, "fd00::2", r->net.ip6);
}

static void test_near(void)
{
	static const char *const none[] = { NULL };
	static const struct map nomap[] = { { 0 } };
	struct rules_view rv = { 0 };
	for (size_t i = 0; i < sizeof near_cases / sizeof near_cases[0]; i++) {
		const struct near_case *c = &near_cases[i];
		struct ctr_rec r;
		rec_make(&r, none, nomap, true);
		if (c->v6)
			rec_v6(&r);
		free(r.mappings);
		r.mappings = calloc(12, sizeof *r.mappings);
		r.n_mappings = maps_to(r.mappings, c->have, 12);
		struct ctr_mapping take[4], rel[4];
		size_t nt = maps_to(take, c->take, 4), nr = maps_to(rel, c->rel, 4);
		struct port_plan p;
		plan_change(&r, take, nt, rel, nr, &p);
		ok(same_as_whole(&rv, &r, &p), "near: %s: the whole plan's rules", c->what);
		ok(p.n_del == c->del && p.n_add == c->add, "near: %s: %zu deleted, %zu added",
		   c->what, p.n_del, p.n_add);
		struct nat_rule *a = NULL, *b = NULL;
		size_t na = 0, nb = 0;
		int e = natplan_dnat_change(r.id, r.net.ip, NET_IP6(&r.net), r.mappings,
					    r.n_mappings, p.take, p.n_take, p.release, p.n_release,
					    &a, &na, &b, &nb);
		ok(e == 0 && na + nb == c->planned, "near: %s: %zu rules planned", c->what,
		   na + nb);
		free(a);
		free(b);
		port_plan_free(&p);
		rec_clear(&r);
	}
}

/* Many random containers and changes: dense host ports of few addresses, offsets that often
 * agree, publishing and withdrawing (and both at once: the whole plan) */
static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static void test_near_random(void)
{
	static const char *const none[] = { NULL };
	static const struct map nomap[] = { { 0 } };
	/* address classes 0.0.0.0, 127.0.0.1, :: (written "::" or "0::"), ::1 */
	static const char *const ips[] = { "0.0.0.0", "127.0.0.1", "::", "0::", "::1" };
	static const int offs[] = { 0, 0, 1, 7000 };
	enum { SLOTS = 4 * 2 * 40, CASES = 3000 };
	uint32_t seed = 16;
	struct rules_view rv = { 0 };
	size_t bad = 0, mixed = 0, links = 0, whole = 0;
	struct rule_peer parent = { .ip = 0x0300000a };
	snprintf(parent.id, sizeof parent.id, "%064d", 2);
	for (int k = 0; k < CASES; k++) {
		struct ctr_rec r;
		rec_make(&r, none, nomap, true);
		if (rnd(&seed) % 2)
			rec_v6(&r);
		/* slot (class, proto, hport 100..139): which of them are held */
		static struct ctr_mapping all[SLOTS];
		static bool held[SLOTS];
		size_t n = 0;
		free(r.mappings);
		r.mappings = calloc(SLOTS, sizeof *r.mappings);
		for (size_t sl = 0; sl < SLOTS; sl++) {
			int c = (int)(sl / 80), proto = (int)(sl / 40 % 2), h = 100 + (int)(sl % 40);
			const char *ip = ips[c == 3 ? 4 : c == 2 ? 2 + (int)(rnd(&seed) % 2) : c];
			int off = offs[rnd(&seed) % 4];
			struct map x = { (uint16_t)(h + 1000 - off), proto, ip, (uint16_t)h };
			mapping_set(&all[sl], &x);
			held[sl] = rnd(&seed) % 3 != 0;
			if (held[sl])
				r.mappings[n++] = all[sl];
		}
		r.n_mappings = n;
		struct ctr_mapping take[8], rel[8];
		size_t nt = 0, nr = 0;
		int kind = rnd(&seed) % 5; /* 0, 1: publish; 2, 3: withdraw; 4: both */
		int want = 1 + rnd(&seed) % 8;
		for (int tries = 0; tries < 40 && nt + nr < (size_t)want; tries++) {
			size_t sl = rnd(&seed) % SLOTS;
			bool dup = false;
			for (size_t j = 0; j < nt; j++)
				dup = dup || mapping_same(&take[j], &all[sl]);
			for (size_t j = 0; j < nr; j++)
				dup = dup || mapping_same(&rel[j], &all[sl]);
			if (dup)
				continue;
			if (!held[sl] && (kind < 2 || kind == 4))
				take[nt++] = all[sl];
			else if (held[sl] && kind >= 2)
				rel[nr++] = all[sl];
		}
		struct port_plan p;
		plan_change(&r, take, nt, rel, nr, &p);
		mixed += nt && nr;
		if (nr && !nt && rnd(&seed) % 8 == 0) { /* what was given back unknown: all of it */
			p.n_release = 0;
			whole++;
		}
		/* now and then the exposed ports change too: link rules both ways */
		struct ctr_port ex = { 80, CTR_TCP };
		struct rules_view lv = { .parents = &parent, .n_parents = 1 };
		bool linked = rnd(&seed) % 4 == 0;
		if (linked) { /* exposed before or after */
			struct ctr_port **e = rnd(&seed) % 2 ? &r.exposed : &p.exposed;
			size_t *ne = e == &r.exposed ? &r.n_exposed : &p.n_exposed;
			free(*e);
			if (!(*e = malloc(sizeof **e)))
				abort();
			(*e)[0] = ex;
			*ne = 1;
			p.exposed_changed = true;
			links++;
		}
		bad += !same_as_whole(linked ? &lv : &rv, &r, &p);
		port_plan_free(&p);
		rec_clear(&r);
	}
	is_int((long long)bad, 0,
	       "near: %d random changes (%zu publish and withdraw at once, %zu with link rules, "
	       "%zu planned whole): the whole plan's rules", CASES, mixed, links, whole);
}

int main(void)
{
	test_publish();
	test_unpublish();
	test_rules();
	test_near();
	test_near_random();
	return done_testing();
}
