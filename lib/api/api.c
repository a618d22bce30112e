/* Reading state (inspect, list, logs, info), publishing ports, reconcile. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/inspect.h"
#include "core/logopt.h"
#include "ops/internal.h"
#include "core/natplan.h"
#include "core/plan_ports.h"
#include "core/portplan.h"
#include "core/portspec.h"
#include "sys/cgroup.h"
#include "sys/proc.h"
#include "sys/rtnl.h"

/* ---- inspect and list --------------------------------------------------------------------- */

/* HostConfig.Links of `r`: "/<child>:/<r>/<alias>" (a removed child is left out). */
static int links_of(struct store *st, const struct ctr_rec *r, char ***out)
{
	char **v = NULL;
	int e = 0;
	for (size_t i = 0; !e && i < r->n_links; i++) {
		struct ctr_rec *k;
		if (store_rec_load(st, r->links[i].target, &k) < 0) {
			ctr_err_clear();
			continue;
		}
		char buf[600];
		snprintf(buf, sizeof buf, "/%s:/%s/%s", k->name, r->name, r->links[i].alias);
		rec_free(k);
		e = strv_push(&v, buf);
	}
	if (e < 0) {
		strv_free(v);
		return e;
	}
	*out = v;
	return 0;
}

/* The record `ref` names, as it is now: a run whose monitor died is recorded as ended first
 * (heal_if_dead()); -ENOENT also when that ending removed it (auto-remove). */
static int load_current(ctr_ctx *ctx, const char *ref, struct ctr_rec **out)
{
	char id[CTR_ID_LEN + 1];
	int e = resolve_ref(&ctx->st, ref, id);
	if (e < 0 || (e = store_rec_load(&ctx->st, id, out)) < 0)
		return e;
	if ((e = heal_if_dead(ctx, out)) != 0) {
		rec_free(*out);
		*out = NULL;
		return e == 1 ? ctr_err(-ENOENT, "No such container: %s", SHOWN(ref)) : e;
	}
	return 0;
}

CTR_API int ctr_inspect(ctr_ctx *ctx, const char *ref, char **json_out)
{
	ctr_err_clear();
	if (!ctx || !json_out)
		return ctr_err(-EINVAL, "ctr_inspect: context or output is NULL");
	struct ctr_rec *r;
	char **links = NULL;
	int e = load_current(ctx, ref, &r);
	if (e < 0)
		return e;
	if ((e = links_of(&ctx->st, r, &links)) == 0) {
		struct inspect_extra x = { ctx->st.path, (const char *const *)links };
		e = inspect_render(r, &x, json_out);
	}
	strv_free(links);
	rec_free(r);
	return e;
}

CTR_API int ctr_state_read(ctr_ctx *ctx, const char *ref, ctr_state *out)
{
	ctr_err_clear();
	if (!ctx || !ref || !out)
		return ctr_err(-EINVAL, "ctr_state_read: context, reference or output is NULL");
	if (out->version != CTR_STATE_VERSION) /* one version so far */
		return ctr_err(-EINVAL, "ctr_state version %u is not supported (this library knows "
					"version %d)",
			       out->version, CTR_STATE_VERSION);
	out->n_ports = 0;
	out->ports = NULL;
	struct ctr_rec *r;
	int e = load_current(ctx, ref, &r);
	if (e < 0)
		return e;
	e = inspect_state(r, out);
	rec_free(r);
	return e;
}

CTR_API void ctr_state_clear(ctr_state *st)
{
	if (!st)
		return;
	free(st->ports);
	st->ports = NULL;
	st->n_ports = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

CTR_API int ctr_list(ctr_ctx *ctx, unsigned flags, char **json_out)
{
	ctr_err_clear();
	if (!ctx || !json_out)
		return ctr_err(-EINVAL, "ctr_list: context or output is NULL");
	if (flags & ~CTR_LIST_ALL)
		return ctr_err(-EINVAL, "unknown ctr_list flags %#x", flags);
	char **ids;
	int e = store_ids(&ctx->st, &ids);
	if (e < 0)
		return e;
	size_t n = strv_len((const char *const *)ids);
	struct ctr_rec **recs = calloc(n + 1, sizeof *recs);
	cJSON *arr = cJSON_CreateArray();
	if (!recs || !arr)
		e = ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; !e && i < n; i++) {
		/* a record we cannot read lists as "dead" (rm -f removes it) */
		if (store_rec_load_any(&ctx->st, ids[i], &recs[i]) < 0) {
			recs[i] = NULL; /* removed meanwhile */
			ctr_err_clear();
		} else if (heal_if_dead(ctx, &recs[i]) != 0) {
			rec_free(recs[i]);
			recs[i] = NULL;
			ctr_err_clear();
		}
	}
	/* names: own name, then every link name that points at the container (§7.2) */
	char ***names = calloc(n + 1, sizeof *names);
	if (!e && !names)
		e = ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; !e && i < n; i++) {
		if (!recs[i] || !recs[i]->name)
			continue;
		char buf[300];
		snprintf(buf, sizeof buf, "/%s", recs[i]->name);
		e = strv_push(&names[i], buf);
	}
	for (size_t i = 0; !e && i < n; i++) {
		for (size_t l = 0; recs[i] && !e && l < recs[i]->n_links; l++)
			for (size_t j = 0; !e && j < n; j++)
				if (recs[j] && strcmp(recs[j]->id, recs[i]->links[l].target) == 0) {
					char buf[600];
					snprintf(buf, sizeof buf, "/%s/%s", recs[i]->name,
						 recs[i]->links[l].alias);
					e = strv_push(&names[j], buf);
				}
	}
	/* newest first, as docker ps */
	for (size_t i = 0; !e && i < n; i++) {
		size_t best = n;
		for (size_t j = 0; j < n; j++)
			if (recs[j] && (best == n || recs[j]->created > recs[best]->created))
				best = j;
		if (best == n)
			break;
		if ((flags & CTR_LIST_ALL) || rec_running(recs[best])) {
			qsort(names[best], strv_len((const char *const *)names[best]), sizeof(char *),
			      cmp_str);
			e = list_entry(recs[best], (const char *const *)names[best], arr);
		}
		rec_free(recs[best]);
		recs[best] = NULL;
	}
	if (!e) {
		*json_out = cJSON_Print(arr);
		if (!*json_out)
			e = ctr_err(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (recs)
			rec_free(recs[i]);
		if (names)
			strv_free(names[i]);
	}
	free(recs);
	free(names);
	cJSON_Delete(arr);
	strv_free(ids);
	return e;
}

/* ---- logs --------------------------------------------------------------------------------- */

static int emit_line(const char *line, size_t len, int out_fd, int err_fd, unsigned flags)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(o, "log");
	const cJSON *stream = cJSON_GetObjectItemCaseSensitive(o, "stream");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");
	int e = 0;
	if (cJSON_IsString(log) && cJSON_IsString(stream)) {
		int fd = strcmp(stream->valuestring, "stderr") == 0 ? err_fd : out_fd;
		struct sbuf sb = SBUF_INIT;
		if ((flags & CTR_LOGS_TIMESTAMPS) && cJSON_IsString(t))
			sb_addf(&sb, "%s ", t->valuestring);
		sb_add(&sb, log->valuestring);
		const char *s = sb_str(&sb);
		size_t left = sb.len;
		while (fd >= 0 && left) {
			ssize_t w = write(fd, s, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				e = ctr_err_sys(-errno, "cannot write the log");
				break;
			}
			s += w;
			left -= (size_t)w;
		}
		sb_free(&sb);
	}
	cJSON_Delete(o);
	return e;
}

/* Copy what is left of `fd` (to its end), line by line; a partial line waits in `pend`. */
static int logs_drain(int fd, struct sbuf *pend, int out_fd, int err_fd, unsigned flags)
{
	for (;;) {
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		sb_addn(pend, buf, (size_t)n);
		size_t start = 0;
		int e = 0;
		for (size_t i = 0; !e && i < pend->len; i++)
			if (pend->s[i] == '\n') {
				e = emit_line(pend->s + start, i - start, out_fd, err_fd, flags);
				start = i + 1;
			}
		memmove(pend->s, pend->s + start, pend->len - start);
		pend->len -= start;
		if (e)
			return e;
	}
}

/* Open the log files newer than `cur` (the file of that descriptor; -1 or a file no longer
 * among them: all of them), oldest first, into fds[]; fds[0] is log.json (-1 if missing).
 * Under the directory's shared flock: the monitor rotates under an exclusive one
 * (monitor.c log_rotate()), so the set is consistent. */
static void logs_open(int dir, int max_file, int cur, int *fds)
{
	struct stat cs = { 0 }, sb;
	bool have = cur >= 0 && fstat(cur, &cs) == 0;
	flock(dir, LOCK_SH);
	int newer = max_file; /* files 0 .. newer-1 are to be read */
	for (int k = 0; have && k < max_file; k++) {
		char name[LOG_FILE_NAME_MAX];
		log_file_name(k, name);
		if (fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && sb.st_ino == cs.st_ino &&
		    sb.st_dev == cs.st_dev) {
			newer = k;
			break;
		}
	}
	for (int k = 0; k < max_file; k++) {
		char name[LOG_FILE_NAME_MAX];
		log_file_name(k, name);
		fds[k] = k < newer ? openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
	}
	flock(dir, LOCK_UN);
}

/* Whether log.json is no longer the file `fd` reads (rotated away), or was emptied under it
 * (max-file 1: then read it from its start again). */
static bool logs_rotated(int dir, int fd)
{
	struct stat cs, sb;
	if (fstat(fd, &cs) < 0)
		return false;
	if (fstatat(dir, "log.json", &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return false; /* between a rotation's rename and its open: look again later */
	if (sb.st_ino != cs.st_ino || sb.st_dev != cs.st_dev)
		return true;
	off_t at = lseek(fd, 0, SEEK_CUR);
	if (at > cs.st_size)
		lseek(fd, 0, SEEK_SET);
	return false;
}

CTR_API int ctr_logs(ctr_ctx *ctx, const char *ref, int out_fd, int err_fd, unsigned flags)
{
	ctr_err_clear();
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_logs: context is NULL");
	if (flags & ~(CTR_LOGS_TIMESTAMPS | CTR_LOGS_FOLLOW))
		return ctr_err(-EINVAL, "unknown ctr_logs flags %#x", flags);
	char id[CTR_ID_LEN + 1], rel[128];
	struct ctr_rec *r;
	int e = resolve_ref(&ctx->st, ref, id);
	if (e < 0 || (e = store_rec_load(&ctx->st, id, &r)) < 0)
		return e;
	struct proc mon = PROC_NONE;
	if ((flags & CTR_LOGS_FOLLOW) && r->status == ST_RUNNING)
		proc_open(r->mon_pid, r->mon_start, &mon);
	ctr_err_clear();
	int max_file = r->log.max_file > 0 ? r->log.max_file : 1;
	rec_free(r);
	snprintf(rel, sizeof rel, "containers/%s", id);
	int dir = openat(ctx->st.dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	int *fds = calloc((size_t)max_file, sizeof *fds);
	if (dir < 0 || !fds) {
		e = !fds ? ctr_err(-ENOMEM, "out of memory")
			 : ctr_err_sys(-errno, "cannot open the log of %s", id);
		free(fds);
		if (dir >= 0)
			close(dir);
		proc_close(&mon);
		return e;
	}
	struct sbuf pend = SBUF_INIT;
	int fd = -1;
	bool last_round = mon.pid <= 0;
	for (;;) {
		/* the rotated files newer than the one read so far, oldest first, then log.json */
		logs_open(dir, max_file, fd, fds);
		if (fd >= 0) {
			e = e ? e : logs_drain(fd, &pend, out_fd, err_fd, flags);
			close(fd);
		}
		for (int k = max_file - 1; k > 0; k--)
			if (fds[k] >= 0) {
				e = e ? e : logs_drain(fds[k], &pend, out_fd, err_fd, flags);
				close(fds[k]);
			}
		fd = fds[0];
		pend.len = 0; /* lines do not span files */
		while (!e) {
			if (fd >= 0 && (e = logs_drain(fd, &pend, out_fd, err_fd, flags)) != 0)
				break;
			if (fd < 0 || logs_rotated(dir, fd))
				break;
			if (last_round)
				break;
			/* following: wait a little for more, or for the monitor to finish */
			if (proc_wait(&mon, 200) == 0)
				last_round = true;
		}
		if (e || (last_round && fd >= 0 && !logs_rotated(dir, fd)))
			break;
		if (fd < 0 && last_round)
			break;
		if (fd < 0 && !last_round && proc_wait(&mon, 200) == 0)
			last_round = true;
	}
	sb_free(&pend);
	if (fd >= 0)
		close(fd);
	free(fds);
	close(dir);
	proc_close(&mon);
	return e;
}

/* ---- publishing --------------------------------------------------------------------------- */

CTR_API int ctr_publish_port(ctr_ctx *ctx, const char *ref, const char *spec)
{
	ctr_err_clear();
	if (!ctx || !spec)
		return ctr_err(-EINVAL, "ctr_publish_port: context or spec is NULL");
	struct ctr_binding *b = NULL;
	size_t nb = 0;
	int e = portspec_parse(spec, &b, &nb);
	if (!e)
		e = ports_check_bindings(spec, b, nb);
	if (e < 0) {
		free(b);
		return e;
	}
	struct op op;
	struct ctr_rec *rec = NULL;
	struct ports_view v;
	struct portplan_env env;
	struct port_plan p = { 0 };
	if ((e = op_begin(&op, ctx)) < 0) {
		free(b);
		return e;
	}
	if ((e = ports_view_load(&op, ref, b, nb, true, &rec, &v, &env)) == 0 &&
	    (e = plan_publish(&v, spec, b, nb, &p)) == 0)
		e = ports_apply(&op, rec, &p);
	port_plan_free(&p);
	free(b);
	rec_free(rec);
	return op_end(&op, e);
}

CTR_API int ctr_unpublish_port(ctr_ctx *ctx, const char *ref, const char *spec)
{
	ctr_err_clear();
	if (!ctx || !spec)
		return ctr_err(-EINVAL, "ctr_unpublish_port: context or spec is NULL");
	struct ctr_binding *b = NULL;
	size_t nb = 0;
	bool bare = false;
	int e = portspec_parse_unpublish(spec, &b, &nb, &bare);
	if (e < 0)
		return e;
	struct op op;
	struct ctr_rec *rec = NULL;
	struct ports_view v;
	struct portplan_env env;
	struct port_plan p = { 0 };
	if ((e = op_begin(&op, ctx)) < 0) {
		free(b);
		return e;
	}
	if ((e = ports_view_load(&op, ref, NULL, 0, false, &rec, &v, &env)) == 0 &&
	    (e = plan_unpublish(&v, spec, b, nb, bare, &p)) == 0)
		e = ports_apply(&op, rec, &p);
	port_plan_free(&p);
	free(b);
	rec_free(rec);
	return op_end(&op, e);
}

/* ---- reconcile ---------------------------------------------------------------------------- */

CTR_API int ctr_reconcile(ctr_ctx *ctx, char **report_out)
{
	ctr_err_clear();
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_reconcile: context is NULL");
	return reconcile(ctx, report_out);
}

/* ---- info --------------------------------------------------------------------------------- */

CTR_API int ctr_info(ctr_ctx *ctx, char **json_out)
{
	ctr_err_clear();
	if (!ctx || !json_out)
		return ctr_err(-EINVAL, "ctr_info: context or output is NULL");
	struct netcfg cfg;
	bool have;
	int e = net_describe(ctx, &cfg, &have);
	if (e < 0)
		return e;
	cJSON *o = cJSON_CreateObject(), *f;
	char sub[24] = "", gw[16] = "", sub6[56] = "", gw6[46] = "";
	if (cfg.subnet) {
		char net[16];
		ip4_format(cfg.subnet, net, sizeof net);
		snprintf(sub, sizeof sub, "%s/%d", net, cfg.prefixlen);
		ip4_format(cfg.gateway, gw, sizeof gw);
	}
	if (cfg.prefixlen6) {
		char net6[46];
		ip6_format(cfg.subnet6, net6, sizeof net6);
		snprintf(sub6, sizeof sub6, "%s/%d", net6, cfg.prefixlen6);
		ip6_format(cfg.gateway6, gw6, sizeof gw6);
	}
	struct cg_mounts cgm;
	char cg_why[512];
	cgroup_mounts(&cgm);
	bool cg_ok = cgroup_usable(&cgm, cg_why, sizeof cg_why);
	char cg_par[CG_PARENT_LEN + 2];
	snprintf(cg_par, sizeof cg_par, "/%s", ctx->cg_parent);
	int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	bool pidfd = pfd >= 0;
	if (pfd >= 0)
		close(pfd);
	ctr_err_clear();
	bool okk = o && cJSON_AddStringToObject(o, "Version", CTR_VERSION_STRING) &&
		   cJSON_AddStringToObject(o, "StateDir", ctx->st.path) &&
		   cJSON_AddStringToObject(o, "NatBackend", net_backend_name(cfg.backend)) &&
		   cJSON_AddStringToObject(o, "Bridge", cfg.bridge) &&
		   cJSON_AddStringToObject(o, "Subnet", sub) &&
		   cJSON_AddStringToObject(o, "Gateway", gw) &&
		   cJSON_AddStringToObject(o, "Subnet6", sub6) &&
		   cJSON_AddStringToObject(o, "Gateway6", gw6) &&
		   cJSON_AddBoolToObject(o, "ICC", cfg.icc) &&
		   cJSON_AddBoolToObject(o, "NetworkConfigured", have) &&
		   cJSON_AddStringToObject(o, "Helper", ctx->helper) &&
		   (f = cJSON_AddObjectToObject(o, "Cgroups")) &&
		   cJSON_AddBoolToObject(f, "Enabled", cg_ok) &&
		   cJSON_AddStringToObject(f, "Parent", cg_par) &&
		   cJSON_AddStringToObject(f, "Unified", cgm.v2.present ? cgm.v2.path : "") &&
		   cJSON_AddStringToObject(f, "Systemd",
					   cgm.v2.present && cgm.systemd.present ? cgm.systemd.path
										 : "") &&
		   cJSON_AddStringToObject(f, "Reason", cg_why) &&
		   (f = cJSON_AddObjectToObject(o, "KernelFeatures")) &&
		   cJSON_AddBoolToObject(f, "Nftables", net_nft_available()) &&
		   cJSON_AddBoolToObject(f, "PortGuard", net_guard_available()) &&
		   cJSON_AddBoolToObject(
			   f, "BridgeNetfilter",
			   access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) == 0) &&
		   cJSON_AddBoolToObject(f, "IptablesLegacy",
					 access("/proc/net/ip_tables_names", F_OK) == 0) &&
		   cJSON_AddBoolToObject(f, "Conntrack",
					 access("/proc/sys/net/netfilter/nf_conntrack_max", F_OK) ==
						 0) &&
		   cJSON_AddBoolToObject(f, "IPv6", access("/proc/net/if_inet6", F_OK) == 0) &&
		   cJSON_AddBoolToObject(f, "PidFd", pidfd);
	char *s = okk ? cJSON_Print(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	*json_out = s;
	return 0;
}
