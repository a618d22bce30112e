/* Plans as data (issue 14), pure: what adding or removing a link does, from a view loaded
 * under the state lock (lib/ops/linkops.c loads it and applies the plan): the parent's record
 * change, the journal verb, the firewall rules of the link, whether the parent's /etc/hosts
 * is rendered anew. */
#ifndef CTR_PLAN_LINKS_H
#define CTR_PLAN_LINKS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/nat.h"
#include "core/netcfg.h"
#include "core/record.h"

/* What ctr_link reads under the lock. */
struct link_view {
	const struct ctr_rec *parent, *child;
	bool cycle; /* the child reaches the parent through links already */
};

struct link_plan {
	bool add;                       /* a link is added (else: removed) */
	struct ctr_link link;           /* add: the new link (the plan's strings) */
	size_t index;                   /* remove: which of the parent's links goes */
	char child[CTR_ID_LEN + 1];     /* the linked container */
	char *alias;                    /* the alias (the plan's copy) */
	char journal[CTR_ID_LEN + 8];   /* "sync <child>" */
	bool rerender;                  /* the parent runs: its hosts file is rendered anew */
	struct nat_rule *rules;         /* the link's rules: added, or deleted (plan_link_rules) */
	size_t n_rules;
};

/* Plan linking view->parent to view->child as `alias` (NULL: the child's name; a leading '/'
 * is dropped), with the child's environment if `env`: Docker's and our messages for an
 * invalid alias, a link to itself, an alias in use, a cycle. */
int plan_link(const struct link_view *v, const char *alias, bool env, struct link_plan *p);
/* Plan removing the link `alias` of `parent`: -ENOENT "container <name> has no link with
 * alias <alias>" when there is none. */
int plan_unlink(const struct ctr_rec *parent, const char *alias, struct link_plan *p);
/* The firewall rules of the link from `parent` to `child` (none when no network is recorded,
 * cfg NULL, with icc, or when either side does not run with a network). */
int plan_link_rules(const struct netcfg *cfg, const struct ctr_rec *parent,
		    const struct ctr_rec *child, struct link_plan *p);
/* Make the plan's change to the parent's record (the strings of an added link move into it).
 * 0 or -ENOMEM (nothing changed). */
int link_plan_record(struct link_plan *p, struct ctr_rec *parent);
void link_plan_free(struct link_plan *p);

#endif
