/* Plans as data for adding and removing links (see plan_links.h).  Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/natplan.h"
#include "core/plan_links.h"
#include "core/util.h"

void link_plan_free(struct link_plan *p)
{
	free(p->link.target);
	free(p->link.alias);
	free(p->alias);
	free(p->rules);
	memset(p, 0, sizeof *p);
}

/* What both plans share: the child, the journal verb, the hosts file, the alias. */
static int plan_common(const struct ctr_rec *parent, const char *child, const char *alias,
		       struct link_plan *p)
{
	snprintf(p->child, sizeof p->child, "%s", child);
	/* journaled: recovery makes the parent's rules, hosts and the reverse index whole */
	snprintf(p->journal, sizeof p->journal, "sync %s", child);
	p->rerender = parent->status == ST_RUNNING;
	if (!(p->alias = xstrdup(alias)))
		return ctr_err(-ENOMEM, "out of memory");
	return 0;
}

int plan_link(const struct link_view *v, const char *alias, bool env, struct link_plan *p)
{
	const struct ctr_rec *pr = v->parent, *c = v->child;
	memset(p, 0, sizeof *p);
	const char *a = alias ? (alias[0] == '/' ? alias + 1 : alias) : c->name;
	int e = alias_validate(a);
	if (e < 0)
		return e;
	if (strcmp(pr->id, c->id) == 0)
		return ctr_err(-EINVAL, "a container cannot link to itself (%s)", pr->name);
	if (rec_find_link(pr, a))
		return ctr_err(-EEXIST, "container %s already has a link with alias %s", pr->name,
			       a);
	if (v->cycle)
		return ctr_err(-EINVAL,
			       "cannot link %s to %s: %s already links to %s (directly or through "
			       "other links); a container starts only after the ones it links to, so "
			       "a cycle could never start",
			       pr->name, c->name, c->name, pr->name);
	p->add = true;
	p->link = (struct ctr_link){ xstrdup(c->id), xstrdup(a), env };
	if (!p->link.target || !p->link.alias) {
		link_plan_free(p);
		return ctr_err(-ENOMEM, "out of memory");
	}
	if ((e = plan_common(pr, c->id, a, p)) < 0)
		link_plan_free(p);
	return e;
}

int plan_unlink(const struct ctr_rec *parent, const char *alias, struct link_plan *p)
{
	memset(p, 0, sizeof *p);
	const struct ctr_link *l = rec_find_link(parent, alias);
	if (!l)
		return ctr_err(-ENOENT, "container %s has no link with alias %s", parent->name,
			       SHOWN(alias));
	p->index = (size_t)(l - parent->links);
	int e = plan_common(parent, l->target, alias, p);
	if (e < 0)
		link_plan_free(p);
	return e;
}

int plan_link_rules(const struct netcfg *cfg, const struct ctr_rec *parent,
		    const struct ctr_rec *child, struct link_plan *p)
{
	free(p->rules);
	p->rules = NULL;
	p->n_rules = 0;
	if (!cfg || !child || cfg->icc || parent->status != ST_RUNNING ||
	    child->status != ST_RUNNING || !parent->has_net || !child->has_net)
		return 0;
	return natplan_link(parent->id, parent->net.ip, NET_IP6(&parent->net), child->id,
			    child->net.ip, NET_IP6(&child->net), child->exposed, child->n_exposed,
			    &p->rules, &p->n_rules);
}

int link_plan_record(struct link_plan *p, struct ctr_rec *parent)
{
	if (!p->add) {
		struct ctr_link *l = &parent->links[p->index];
		free(l->target);
		free(l->alias);
		*l = parent->links[--parent->n_links];
		return 0;
	}
	struct ctr_link *nl = realloc(parent->links, (parent->n_links + 1) * sizeof *nl);
	if (!nl)
		return ctr_err(-ENOMEM, "out of memory");
	parent->links = nl;
	nl[parent->n_links++] = p->link;
	memset(&p->link, 0, sizeof p->link);
	return 0;
}
