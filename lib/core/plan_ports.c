/* Plans as data for publishing and withdrawing ports, and the rules of a running container
 * (see plan_ports.h).  Pure: the view is given, the plan is returned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h" /* SHOWN(), with the escaper */
#include "core/natplan.h"
#include "core/plan_ports.h"
#include "core/portspec.h"
#include "core/util.h"

int rules_view_push(struct rule_peer **v, size_t *n, const struct ctr_rec *r, bool exposed)
{
	struct rule_peer *nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (!nv)
		return ctr_err(-ENOMEM, "out of memory");
	*v = nv;
	struct rule_peer *x = &nv[*n];
	memset(x, 0, sizeof *x);
	snprintf(x->id, sizeof x->id, "%s", r->id);
	x->ip = r->net.ip;
	if (NET_IP6(&r->net)) {
		x->has_ip6 = true;
		memcpy(x->ip6, r->net.ip6, 16);
	}
	if (exposed && r->n_exposed) {
		x->exposed = malloc(r->n_exposed * sizeof *x->exposed);
		if (!x->exposed)
			return ctr_err(-ENOMEM, "out of memory");
		memcpy(x->exposed, r->exposed, r->n_exposed * sizeof *x->exposed);
		x->n_exposed = r->n_exposed;
	}
	(*n)++;
	return 0;
}

static void peers_free(struct rule_peer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].exposed);
	free(v);
}

void rules_view_free(struct rules_view *v)
{
	peers_free(v->children, v->n_children);
	peers_free(v->parents, v->n_parents);
	v->children = v->parents = NULL;
	v->n_children = v->n_parents = 0;
}

/* Append the link rules of `rec` both ways (children first, then parents), unless icc. */
static int link_rules(const struct rules_view *v, const struct ctr_rec *rec,
		      struct nat_rule **rules, size_t *n)
{
	const uint8_t *ip6 = NET_IP6(&rec->net);
	int e = 0;
	if (v->icc)
		return 0;
	for (size_t i = 0; !e && i < v->n_children; i++) {
		const struct rule_peer *k = &v->children[i];
		e = natplan_link(rec->id, rec->net.ip, ip6, k->id, k->ip, k->has_ip6 ? k->ip6 : NULL,
				 k->exposed, k->n_exposed, rules, n);
	}
	for (size_t i = 0; !e && i < v->n_parents; i++) {
		const struct rule_peer *p = &v->parents[i];
		e = natplan_link(p->id, p->ip, p->has_ip6 ? p->ip6 : NULL, rec->id, rec->net.ip, ip6,
				 rec->exposed, rec->n_exposed, rules, n);
	}
	return e;
}

int plan_rules(const struct rules_view *v, const struct ctr_rec *rec, bool links,
	       struct nat_rule **rules, size_t *n)
{
	int e = natplan_dnat(rec->id, rec->net.ip, NET_IP6(&rec->net), rec->mappings,
			     rec->n_mappings, rules, n);
	return e || !links ? e : link_rules(v, rec, rules, n);
}

/* A copy of n elements of `size` (room for one more; never NULL unless out of memory). */
static void *copy_of(const void *src, size_t n, size_t size)
{
	void *p = malloc((n + 1) * size);
	if (p && n)
		memcpy(p, src, n * size);
	return p;
}

void port_plan_free(struct port_plan *p)
{
	free(p->bindings);
	free(p->exposed);
	free(p->mappings);
	free(p->release);
	free(p->del);
	free(p->add);
	memset(p, 0, sizeof *p);
}

void port_plan_swap(struct port_plan *p, struct ctr_rec *rec)
{
#define SWAP(f, nf)                            \
	do {                                   \
		void *t_ = rec->f;             \
		size_t n_ = rec->nf;           \
		rec->f = p->f;                 \
		rec->nf = p->nf;               \
		p->f = t_;                     \
		p->nf = n_;                    \
	} while (0)
	SWAP(bindings, n_bindings);
	SWAP(exposed, n_exposed);
	SWAP(mappings, n_mappings);
#undef SWAP
}

int plan_publish(const struct ports_view *v, const char *spec, const struct ctr_binding *b,
		 size_t nb, struct port_plan *p)
{
	const struct ctr_rec *rec = v->rec;
	memset(p, 0, sizeof *p);
	/* the first binding asked for that is there already (sorted and searched) */
	size_t dup;
	int e = bindings_first_dup(b, nb, rec->bindings, rec->n_bindings, &dup);
	if (e > 0) {
		char cp[16];
		port_format(&b[dup].cport, cp, sizeof cp);
		return ctr_err(-EEXIST, "%s is already published as \"%s\" on %s", cp, SHOWN(spec),
			       rec->name);
	}
	if (e < 0)
		return e;
	/* the new bindings, and the exposed ports they add (links open those: part of the rules) */
	struct ctr_rec t;
	memset(&t, 0, sizeof t);
	t.bindings = copy_of(rec->bindings, rec->n_bindings, sizeof *t.bindings);
	t.n_bindings = rec->n_bindings;
	t.exposed = copy_of(rec->exposed, rec->n_exposed, sizeof *t.exposed);
	t.n_exposed = rec->n_exposed;
	p->bindings = t.bindings;
	p->exposed = t.exposed;
	p->mappings = copy_of(rec->mappings, rec->n_mappings, sizeof *p->mappings);
	p->n_mappings = rec->n_mappings;
	if (!t.bindings || !t.exposed || !p->mappings)
		e = ctr_err(-ENOMEM, "out of memory");
	else
		e = rec_add_bindings(&t, b, nb);
	p->bindings = t.bindings;
	p->n_bindings = t.n_bindings;
	p->exposed = t.exposed;
	p->n_exposed = t.n_exposed;
	if (e < 0) {
		port_plan_free(p);
		return e;
	}
	p->exposed_changed = p->n_exposed != rec->n_exposed;
	for (size_t i = 0; !p->exposed_changed && i < p->n_exposed; i++)
		p->exposed_changed = port_cmp(&p->exposed[i], &rec->exposed[i]) != 0;
	if (!v->running)
		return 0;
	/* running: the host ports, taken now; the record gets them after the rules */
	struct ctr_mapping *m = NULL;
	size_t nm = 0;
	if ((e = portplan(v->alloc, v->env, b, nb, NULL, 0, false, &m, &nm)) < 0) {
		port_plan_free(p);
		return e;
	}
	struct ctr_mapping *all = realloc(p->mappings, (p->n_mappings + nm + 1) * sizeof *all);
	if (!all) {
		portplan_release(v->alloc, m, nm);
		free(m);
		port_plan_free(p);
		return ctr_err(-ENOMEM, "out of memory");
	}
	if (nm)
		memcpy(all + p->n_mappings, m, nm * sizeof *m);
	free(m);
	p->mappings = all;
	p->take = all + p->n_mappings;
	p->n_take = nm;
	p->n_mappings += nm;
	p->journal = "sync";
	return 0;
}

int plan_unpublish(const struct ports_view *v, const char *spec, const struct ctr_binding *b,
		   size_t nb, bool bare, struct port_plan *p)
{
	const struct ctr_rec *rec = v->rec;
	memset(p, 0, sizeof *p);
	/* which bindings and mappings go */
	bool *drop_b = calloc(rec->n_bindings + 1, sizeof *drop_b);
	bool *drop_m = calloc(rec->n_mappings + 1, sizeof *drop_m);
	size_t hits = 0;
	int e = 0;
	if (!drop_b || !drop_m)
		e = ctr_err(-ENOMEM, "out of memory");
	else
		e = unpublish_match(b, nb, bare, rec->bindings, rec->n_bindings, rec->mappings,
				    rec->n_mappings, drop_b, drop_m, &hits);
	if (!e && hits == 0)
		e = ctr_err(-ENOENT, "no published port matches \"%s\" on %s", SHOWN(spec),
			    rec->name);
	if (!e) {
		p->bindings = malloc((rec->n_bindings + 1) * sizeof *p->bindings);
		p->exposed = copy_of(rec->exposed, rec->n_exposed, sizeof *p->exposed);
		p->mappings = malloc((rec->n_mappings + 1) * sizeof *p->mappings);
		p->release = malloc((rec->n_mappings + 1) * sizeof *p->release);
		if (!p->bindings || !p->exposed || !p->mappings || !p->release)
			e = ctr_err(-ENOMEM, "out of memory");
	}
	if (e < 0) {
		free(drop_b);
		free(drop_m);
		port_plan_free(p);
		return e;
	}
	p->n_exposed = rec->n_exposed; /* exposed ports stay: links keep them open */
	for (size_t j = 0; j < rec->n_bindings; j++)
		if (!drop_b[j])
			p->bindings[p->n_bindings++] = rec->bindings[j];
	for (size_t j = 0; j < rec->n_mappings; j++) {
		if (!drop_m[j])
			p->mappings[p->n_mappings++] = rec->mappings[j];
		else
			p->release[p->n_release++] = rec->mappings[j];
	}
	free(drop_b);
	free(drop_m);
	if (v->running) {
		p->journal = "sync";
	} else { /* a container that does not run holds no host port */
		free(p->release);
		p->release = NULL;
		p->n_release = 0;
	}
	return 0;
}

int plan_ports_rules(const struct rules_view *v, const struct ctr_rec *rec, struct port_plan *p)
{
	struct ctr_rec after = *rec;
	after.bindings = p->bindings;
	after.n_bindings = p->n_bindings;
	after.exposed = p->exposed;
	after.n_exposed = p->n_exposed;
	after.mappings = p->mappings;
	after.n_mappings = p->n_mappings;
	struct nat_rule *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	/* the mappings change by those taken (a publish) and those given back (an unpublish):
	 * the DNAT rules away from them stay.  (When the counts do not add up, all of them.) */
	int e;
	if (rec->n_mappings + p->n_take == p->n_mappings + p->n_release)
		e = natplan_dnat_change(rec->id, rec->net.ip, NET_IP6(&rec->net), rec->mappings,
					rec->n_mappings, p->take, p->n_take, p->release,
					p->n_release, &a, &na, &b, &nb);
	else if (!(e = plan_rules(v, rec, false, &a, &na)))
		e = plan_rules(v, &after, false, &b, &nb);
	/* link rules follow the exposed ports (the links themselves do not change here) */
	if (!e && p->exposed_changed && !(e = link_rules(v, rec, &a, &na)))
		e = link_rules(v, &after, &b, &nb);
	if (!e) {
		p->del = calloc(na + 1, sizeof *p->del);
		p->add = calloc(nb + 1, sizeof *p->add);
		if (!p->del || !p->add)
			e = ctr_err(-ENOMEM, "out of memory");
	}
	if (!e) /* sorted and merged: O(n log n) for the rules that may change */
		e = natplan_diff(a, na, b, nb, p->del, &p->n_del, p->add, &p->n_add);
	free(a);
	free(b);
	return e;
}
