/* Plans as data (issue 14), pure: what publishing or withdrawing ports does to a container,
 * computed from a view loaded under the state lock, for a small applier in lib/ops/ports.c
 * (journal, rules, record, then the host ports) to carry out.  Also the rules a running
 * container has, from a view of its running link peers (lib/ops/net.c loads it). */
#ifndef CTR_PLAN_PORTS_H
#define CTR_PLAN_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/model.h"
#include "core/nat.h"
#include "core/portplan.h"
#include "core/record.h"

/* ---- the rules of a running container ---- */

/* A running link peer with an address: a child that the container links to (its exposed
 * ports are opened to the container) or a parent that links to the container. */
struct rule_peer {
	char id[CTR_ID_LEN + 1];
	uint32_t ip;
	uint8_t ip6[16];
	bool has_ip6;
	struct ctr_port *exposed; /* children only (the view's own copy) */
	size_t n_exposed;
};

struct rules_view {
	bool icc;                    /* containers reach each other freely: no link rules */
	struct rule_peer *children;  /* in the order of the container's links */
	size_t n_children;
	struct rule_peer *parents;   /* in the order of the store's reverse links */
	size_t n_parents;
};

/* Append a peer made from the record `r` (its exposed ports copied when `exposed`). */
int rules_view_push(struct rule_peer **v, size_t *n, const struct ctr_rec *r, bool exposed);
void rules_view_free(struct rules_view *v);

/* Append the rules of the running container `rec`: its DNAT rules and, when `links` and not
 * v->icc, the link rules both ways (children first, then parents). */
int plan_rules(const struct rules_view *v, const struct ctr_rec *rec, bool links,
	       struct nat_rule **rules, size_t *n);

/* ---- publishing and withdrawing ports ---- */

/* What ctr_publish_port / ctr_unpublish_port read under the lock. */
struct ports_view {
	const struct ctr_rec *rec;
	bool running;
	struct alloc *alloc;               /* running publish: the allocation index (else NULL) */
	const struct portplan_env *env;    /* running publish: how host ports are found */
};

struct port_plan {
	/* the record's port lists after the change (the plan's own arrays) */
	struct ctr_binding *bindings;
	size_t n_bindings;
	struct ctr_port *exposed;
	size_t n_exposed;
	struct ctr_mapping *mappings;
	size_t n_mappings;
	bool exposed_changed; /* the link rules follow: the rules view needs the peers */
	/* host ports taken in view->alloc by the planner (they are the tail of `mappings`): the
	 * applier gives them back if the change does not happen */
	const struct ctr_mapping *take;
	size_t n_take;
	/* host ports to give back (and whose flows are cut) once the change is applied */
	struct ctr_mapping *release;
	size_t n_release;
	/* running: the journal verb, and the rules (filled by plan_ports_rules); NULL: only the
	 * record changes */
	const char *journal;
	struct nat_rule *del, *add;
	size_t n_del, n_add;
};

/* Plan publishing the bindings b[0..nb) of `spec` (parsed and checked): Docker's message when
 * one of them is published already.  Running, the host ports are taken in view->alloc (and
 * given back if the plan fails).  0 or a negative errno; on failure *p is empty. */
int plan_publish(const struct ports_view *v, const char *spec, const struct ctr_binding *b,
		 size_t nb, struct port_plan *p);
/* Plan withdrawing the bindings of an unpublish `spec` (portspec_parse_unpublish: b, nb,
 * bare): -ENOENT "no published port matches ..." when nothing matches. */
int plan_unpublish(const struct ports_view *v, const char *spec, const struct ctr_binding *b,
		   size_t nb, bool bare, struct port_plan *p);
/* The rule changes of a running container's plan: the difference between the rules of `rec`
 * and those of rec with the plan's lists (link rules only when the exposed ports change). */
int plan_ports_rules(const struct rules_view *v, const struct ctr_rec *rec, struct port_plan *p);
/* Put the plan's lists into `rec`, and rec's old ones into the plan (freed with it). */
void port_plan_swap(struct port_plan *p, struct ctr_rec *rec);
void port_plan_free(struct port_plan *p);

#endif
