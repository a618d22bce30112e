/* Unit tests for lib/core/plan_ports.c: the plans of publishing and withdrawing ports (the
 * record's new port lists, the host ports taken and given back, the journal verb) and the
 * rule changes they imply.  Table-driven; each row gives several TAP points. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

int main(void)
{
	test_publish();
	test_unpublish();
	test_rules();
	return done_testing();
}
