/* The pure parts of a start and of an exec (see plan_start.h). */
#include <stdlib.h>
#include <string.h>

#include "core/plan_start.h"
#include "core/util.h"

int plan_start_links(const struct ctr_rec *rec, const struct start_view *v)
{
	for (size_t i = 0; i < v->n && i < rec->n_links; i++) {
		const struct ctr_rec *k = v->links[i];
		if (!k)
			return ctr_err(v->err[i], "Cannot link to a removed container AS /%s/%s",
				       rec->name, rec->links[i].alias);
		if (k->status != ST_RUNNING)
			return ctr_err(-EBUSY,
				       "Cannot link to a non running container: /%s AS /%s/%s",
				       k->name, rec->name, rec->links[i].alias);
	}
	return 0;
}

void plan_start_begin(struct ctr_rec *rec)
{
	rec->generation++;
	rec->status = ST_STARTING;
	free(rec->error);
	rec->error = NULL;
}

void plan_start_running(struct ctr_rec *rec, int64_t now)
{
	rec->status = ST_RUNNING;
	rec->restarting = false; /* a policy's restart is made */
	rec->started = now;
	rec->finished = 0;
	rec->exit_code = 0;
}

/* What a start's and an exec's specs take alike from the record. */
static void launch_of_rec(const struct ctr_rec *rec, const char *state_dir, char **env,
			  uint64_t caps, struct launch *l)
{
	memcpy(l->id, rec->id, sizeof l->id);
	l->state_dir = (char *)state_dir;
	l->env = env;
	l->hostname = rec->hostname;
	l->workdir = rec->workdir;
	l->user = rec->user;
	l->caps = caps;
	l->unconfined = rec->unconfined;
	l->userns = rec->userns;
	l->userns_uid = rec->userns_uid;
	l->userns_gid = rec->userns_gid;
	l->userns_size = rec->userns ? rec->userns_size : 0;
}

void plan_start_launch(const struct ctr_rec *rec, const struct start_launch *in,
		       struct launch *l)
{
	launch_of_rec(rec, in->state_dir, in->env, in->caps, l);
	l->generation = rec->generation;
	l->argv = rec->argv;
	l->domainname = rec->domainname;
	l->rootfs = rec->rootfs;
	l->has_net = rec->has_net;
	l->ip = rec->net.ip;
	l->gateway = rec->net.gateway;
	l->prefixlen = rec->net.prefixlen;
	l->prefixlen6 = rec->net.prefixlen6;
	memcpy(l->ip6, rec->net.ip6, 16);
	memcpy(l->gateway6, rec->net.gateway6, 16);
	l->attached = in->attached;
	l->log_max_size = (uint64_t)rec->log.max_size;
	l->log_max_file = rec->log.max_file;
	l->has_gw_mac = in->has_gw_mac;
	if (in->has_gw_mac)
		memcpy(l->gw_mac, in->gw_mac, 6);
	l->cgroup = (char *)in->cgroup;
}

void plan_exec_launch(const struct ctr_rec *rec, const struct exec_launch *in,
		      struct launch *l)
{
	launch_of_rec(rec, in->state_dir, in->env, in->caps, l);
	l->argv = in->argv;
	if (in->user)
		l->user = (char *)in->user;
	if (in->workdir)
		l->workdir = (char *)in->workdir;
	l->target_pid = rec->pid;
	l->target_start = rec->pid_start;
	l->cgroup = rec->cgroup;
}
