/* Container lifecycle: create, start, stop, kill, wait, remove, exec. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/caps.h"
#include "core/hosts.h"
#include "core/logopt.h"
#include "ops/internal.h"
#include "core/launch.h"
#include "core/links.h"
#include "core/names.h"
#include "core/portplan.h"
#include "core/portspec.h"
#include "core/plan_start.h"
#include "sys/cgroup.h"
#include "sys/proc.h"
#include "core/resolv.h"
#include "core/userns.h"

extern char **environ;

/* ---- validation (pure) -------------------------------------------------------------------- */

static int check_text(const char *what, const char *s, size_t max)
{
	if (strlen(s) > max)
		return ctr_err(-EINVAL, "%s is too long (%zu characters, at most %zu)", what, strlen(s),
			       max);
	if (str_has_ctl(s))
		return ctr_err(-EINVAL, "%s \"%s\" contains a control character", what, SHOWN(s));
	return 0;
}

static int check_env(const char *const *env)
{
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		size_t klen = eq ? (size_t)(eq - env[i]) : strlen(env[i]);
		if (klen == 0)
			return ctr_err(-EINVAL, "invalid environment variable \"%s\": empty name",
				       SHOWN(env[i]));
		if (strlen(env[i]) > 131072)
			return ctr_err(-EINVAL, "environment variable %.*s is too long", (int)klen,
				       SHOWN(env[i]));
		if (str_has_ctl(env[i]))
			return ctr_err(-EINVAL,
				       "environment variable \"%s\" contains a control character "
				       "(newline, tab, ...)",
				       SHOWN(env[i]));
	}
	return 0;
}

static int check_path(const char *what, const char *p, bool must_be_dir)
{
	int e = check_text(what, p, PATH_MAX - 64);
	if (e < 0)
		return e;
	if (p[0] != '/')
		return ctr_err(-EINVAL, "%s \"%s\" must be an absolute path", what, SHOWN(p));
	if (must_be_dir) {
		struct stat sb;
		if (stat(p, &sb) < 0)
			return ctr_err_sys(-errno, "%s \"%s\"", what, SHOWN(p));
		if (!S_ISDIR(sb.st_mode))
			return ctr_err(-ENOTDIR, "%s \"%s\" is not a directory", what, SHOWN(p));
	}
	return 0;
}

/* Checks the options and fills a new record's configuration (no ID, no name yet). */
static int build_record(const ctr_create_options *o, struct ctr_rec *r)
{
	int e;
	if (!o->argv || !o->argv[0])
		return ctr_err(-EINVAL, "no command given");
	if (!o->argv[0][0])
		return ctr_err(-EINVAL, "the command is an empty string");
	for (size_t i = 0; o->argv[i]; i++)
		if (strlen(o->argv[i]) > 131072)
			return ctr_err(-EINVAL, "argument %zu of the command is too long", i);
	if ((e = check_env(o->env)) < 0)
		return e;
	if (o->hostname && (e = name_check(NAME_HOSTNAME, o->hostname)) < 0)
		return e;
	if (o->domainname && (e = name_check(NAME_DOMAINNAME, o->domainname)) < 0)
		return e;
	if (o->workdir && (e = check_path("working directory", o->workdir, false)) < 0)
		return e;
	if (o->rootfs && (e = check_path("root filesystem", o->rootfs, true)) < 0)
		return e;
	if (o->user && (e = check_text("user", o->user, 255)) < 0)
		return e;
	uint64_t caps;
	if ((e = caps_compute(o->cap_add, o->cap_drop, &caps)) < 0)
		return e;
	if (o->seccomp && strcmp(o->seccomp, "default") != 0 && strcmp(o->seccomp, "unconfined"))
		return ctr_err(-EINVAL, "seccomp profile \"%s\" is not supported (\"default\" or "
					"\"unconfined\")",
			       SHOWN(o->seccomp));
	r->unconfined = o->seccomp && strcmp(o->seccomp, "unconfined") == 0;

	if ((e = strv_dup(&r->argv, o->argv)) < 0 || (e = strv_dup(&r->env, o->env)) < 0 ||
	    (e = strv_dup(&r->cap_add, o->cap_add)) < 0 ||
	    (e = strv_dup(&r->cap_drop, o->cap_drop)) < 0)
		return e;
	if ((o->hostname && !(r->hostname = xstrdup(o->hostname))) ||
	    (o->domainname && !(r->domainname = xstrdup(o->domainname))) ||
	    (o->workdir && !(r->workdir = xstrdup(o->workdir))) ||
	    (o->rootfs && !(r->rootfs = xstrdup(o->rootfs))) ||
	    (o->user && !(r->user = xstrdup(o->user))))
		return -ENOMEM;
	r->publish_all = o->publish_all != 0;
	r->auto_remove = o->auto_remove != 0;
	enum restart_policy policy;
	if ((e = restart_parse(o->restart_policy, &policy, &r->restart_max)) < 0)
		return e;
	r->restart_policy = (int)policy;
	if (policy != RP_NO && r->auto_remove)
		return ctr_err(-EINVAL, "can't create 'AutoRemove' container with restart policy");
	if ((e = logopt_parse(o->log_opts, &r->log)) < 0)
		return e;
	if ((e = userns_mode_parse(o->userns, &r->userns)) < 0)
		return e;
	/* the host's file system, shared by design, cannot be idmapped as a whole (proc, sysfs,
	 * devtmpfs): its files would all be "nobody" to container root, and none writable */
	if (r->userns && !r->rootfs)
		return ctr_err(-EINVAL, "a user namespace (--userns=auto) needs a root file system "
					"(--rootfs)");

	for (size_t i = 0; o->expose && o->expose[i]; i++) {
		struct ctr_port *p = NULL;
		size_t n = 0;
		e = expose_parse(o->expose[i], &p, &n);
		if (!e)
			e = rec_expose(r, p, n);
		free(p);
		if (e < 0)
			return e;
	}
	if ((e = ports_publish_specs(r, o->publish)) < 0)
		return e;
	return 0;
}

/* ---- creating ----------------------------------------------------------------------------- */

static int new_id(char id[CTR_ID_LEN + 1])
{
	unsigned char raw[CTR_ID_LEN / 2];
	size_t got = 0;
	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ctr_err_sys(-errno, "getrandom");
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static uint64_t rand64(void *unused)
{
	(void)unused;
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, 0) != sizeof v)
		v = (uint64_t)now_ns();
	return v;
}

struct taken_ctx {
	struct store *st;
};

static bool name_taken(const char *name, void *arg)
{
	char id[CTR_ID_LEN + 1];
	return store_name_get(((struct taken_ctx *)arg)->st, name, id) != -ENOENT;
}

/* Save the new record under its name (given, or generated) and claim that name. */
static int pick_name(struct op *op, struct ctr_rec *r, const char *given)
{
	char owner[CTR_ID_LEN + 1];
	int e;
	if (given) {
		if ((e = store_rec_save(op->st, r)) < 0)
			return e;
		e = store_name_claim(op->st, r->name, r->id, owner);
		if (e == -EEXIST)
			return ctr_err(-EEXIST,
				       "Conflict. The container name \"/%s\" is already in use by "
				       "container \"%s\". You have to remove (or rename) that container "
				       "to be able to reuse that name.",
				       r->name, owner);
		return e;
	}
	for (int tries = 0; tries < 4; tries++) {
		char name[128];
		struct taken_ctx tc = { op->st };
		e = name_generate(name, sizeof name, rand64, NULL, name_taken, &tc);
		if (e == -EEXIST) /* as Docker: fall back to the short ID */
			snprintf(name, sizeof name, "%.*s", CTR_SHORT_ID_LEN, r->id);
		else if (e < 0)
			return e;
		free(r->name);
		if (!(r->name = xstrdup(name)))
			return -ENOMEM;
		if ((e = store_rec_save(op->st, r)) < 0)
			return e;
		e = store_name_claim(op->st, r->name, r->id, NULL);
		if (e != -EEXIST)
			return e;
	}
	return ctr_err(-EEXIST, "could not find a free name");
}

/* Parse and check the links of the options into r->links (targets resolved). */
static int add_links(struct op *op, struct ctr_rec *r, const char *const *specs, bool env)
{
	for (size_t i = 0; specs && specs[i]; i++) {
		char *name = NULL, *alias = NULL, id[CTR_ID_LEN + 1];
		int e = linkspec_parse(specs[i], &name, &alias);
		const char *a = alias && alias[0] == '/' ? alias + 1 : alias;
		if (!e && (e = resolve_ref(op->st, name, id)) < 0) {
			char msg[300];
			snprintf(msg, sizeof msg, "%s", ctr_err_msg());
			e = ctr_err(e == -ENOENT ? -EINVAL : e, "could not get container for %s: %s",
				    SHOWN(name), msg);
		}
		/* as Docker's registerLinks (§3.2): a link whose name /<parent>/<alias> is taken is
		 * skipped, the first one winning: an alias given again, and an empty one ("db:",
		 * whose link name would be the parent's own) */
		bool skip = !e && (!a[0] || rec_find_link(r, a));
		if (!e && !skip)
			e = alias_validate(a);
		if (!e && !skip) {
			struct ctr_link *nl = realloc(r->links, (r->n_links + 1) * sizeof *nl);
			char *t = xstrdup(id), *al = xstrdup(a);
			if (nl)
				r->links = nl;
			if (!nl || !t || !al) {
				free(t);
				free(al);
				e = ctr_err(-ENOMEM, "out of memory");
			} else {
				r->links[r->n_links++] = (struct ctr_link){ t, al, env };
			}
		}
		free(name);
		free(alias);
		if (e < 0)
			return e;
	}
	return 0;
}

/* Remove every trace of a container that a create did not finish (or a remove). */
static void forget(struct op *op, const char *id, struct ctr_rec *r)
{
	if (r) {
		for (size_t i = 0; i < r->n_links; i++)
			store_rlink_del(op->st, r->links[i].target, r->id, r->links[i].alias);
		if (r->name)
			store_name_release(op->st, r->name, id);
	}
	store_rlink_clear(op->st, id);
	store_rec_remove(op->st, id);
}

/* A host file's text, about `max` bytes at most; NULL when it cannot be read. */
static char *read_host_file(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0 && sb.len < max)
		sb_addn(&sb, buf, (size_t)n);
	close(fd);
	return sb_finish(&sb);
}

/* --userns=auto: the host uid and gid ranges of a new container, each the lowest that no
 * other container of the state directory holds (under the state lock) in the pool of
 * core/userns.h. */
static int userns_allocate(struct op *op, struct ctr_rec *r)
{
	static const char *const files[2] = { "/etc/subuid", "/etc/subgid" };
	struct id_ranges pool[2] = { { 0 } }, taken[2] = { { 0 } };
	char **ids = NULL;
	int e = store_ids(op->st, &ids);
	for (int k = 0; !e && k < 2; k++) {
		char *text = read_host_file(files[k], 1u << 20);
		if (userns_pool(text, &pool[k], &taken[k]) < 0)
			e = ctr_err(-ENOMEM, "out of memory");
		free(text);
	}
	for (size_t i = 0; !e && ids[i]; i++) {
		struct ctr_rec *o;
		if (store_rec_load_any(op->st, ids[i], &o) < 0) {
			ctr_err_clear(); /* gone meanwhile */
			continue;
		}
		if (o->userns && (id_ranges_add(&taken[0], o->userns_uid, o->userns_size) < 0 ||
				  id_ranges_add(&taken[1], o->userns_gid, o->userns_size) < 0))
			e = ctr_err(-ENOMEM, "out of memory");
		rec_free(o);
	}
	uint64_t start[2] = { 0, 0 };
	for (int k = 0; !e && k < 2; k++)
		if (userns_pick(&pool[k], &taken[k], &start[k]) < 0)
			e = ctr_err(-ENOSPC, "no free range of %u host %s left for a user namespace "
					     "(from the \"%s\" entries of %s, else from %u up)",
				    USERNS_SIZE, k ? "gids" : "uids", USERNS_SUBID_NAME, files[k],
				    USERNS_DEFAULT_START);
	if (!e) {
		r->userns_uid = (uint32_t)start[0];
		r->userns_gid = (uint32_t)start[1];
		r->userns_size = USERNS_SIZE;
	}
	for (int k = 0; k < 2; k++) {
		id_ranges_free(&pool[k]);
		id_ranges_free(&taken[k]);
	}
	strv_free(ids);
	return e;
}

CTR_API int ctr_create_options_init(ctr_create_options *opts, unsigned version)
{
	ctr_err_clear();
	return opt_init(OPT_CREATE, opts, version);
}

CTR_API int ctr_create(ctr_ctx *ctx, const ctr_create_options *given,
		       char id_out[CTR_ID_LEN + 1])
{
	ctr_err_clear();
	if (!ctx || !given)
		return ctr_err(-EINVAL, "ctr_create: context or options is NULL");
	ctr_create_options full;
	if (opt_load(OPT_CREATE, &full, given) < 0)
		return -EINVAL;
	const ctr_create_options *o = &full;
	if (o->name && name_validate(o->name) < 0)
		return -EINVAL;
	if (o->name_out && o->name_out_len < CTR_NAME_MAX + 1)
		return ctr_err(-ERANGE, "ctr_create: name_out holds %zu bytes; a name needs up to "
					"%d (CTR_NAME_MAX + 1)",
			       o->name_out_len, CTR_NAME_MAX + 1);
	struct ctr_rec *r = calloc(1, sizeof *r);
	if (!r)
		return ctr_err(-ENOMEM, "out of memory");
	int e = build_record(o, r);
	if (!e)
		e = new_id(r->id);
	if (!e && o->name && !(r->name = xstrdup(o->name[0] == '/' ? o->name + 1 : o->name)))
		e = -ENOMEM;
	if (!e && !r->hostname && !(r->hostname = strndup(r->id, CTR_SHORT_ID_LEN)))
		e = ctr_err(-ENOMEM, "out of memory");
	r->created = now_ns();
	r->status = ST_CREATED;
	if (e < 0) {
		rec_free(r);
		return e;
	}

	struct op op;
	if ((e = op_begin(&op, ctx)) < 0) {
		rec_free(r);
		return e;
	}
	if ((e = add_links(&op, r, o->links, false)) == 0)
		e = add_links(&op, r, o->links_env, true);
	if (!e)
		e = ports_check_backend(&op, r->bindings, r->n_bindings);
	if (!e && r->userns)
		e = userns_allocate(&op, r);
	if (e < 0) {
		rec_free(r);
		return op_end(&op, e);
	}
	/* journal first: a create killed half-way is undone by the next operation.  The record
	 * goes before the name claim, so that an undo always knows the name to release. */
	bool claimed = false;
	if ((e = op_journal(&op, r->id, "create")) == 0 && (e = store_rec_mkdir(op.st, r->id)) == 0 &&
	    (e = pick_name(&op, r, o->name)) == 0) {
		claimed = true;
		for (size_t i = 0; !e && i < r->n_links; i++)
			e = store_rlink_add(op.st, r->links[i].target, r->id, r->links[i].alias);
	}
	if (e < 0) {
		char msg[2048];
		snprintf(msg, sizeof msg, "%s", ctr_err_msg());
		forget(&op, r->id, claimed ? r : NULL);
		ctr_err(e, "%s", msg);
	}
	if (!e && id_out)
		memcpy(id_out, r->id, CTR_ID_LEN + 1);
	if (!e && o->name_out)
		snprintf(o->name_out, o->name_out_len, "%s", r->name);
	rec_free(r);
	return op_end(&op, e);
}

/* ---- the container's files ---------------------------------------------------------------- */

static int write_file(struct op *op, const char *id, const char *name, const char *data,
		      bool in_place)
{
	char rel[128];
	store_rec_file(id, name, rel, sizeof rel);
	return in_place ? store_rewrite(op->st, rel, data, strlen(data))
			: store_write(op->st, rel, data, strlen(data));
}

static int write_etc_files(struct op *op, const struct ctr_rec *rec)
{
	char *hosts = NULL, *resolv = NULL, *host_resolv = NULL, hostname[80];
	int e = etc_hosts_compose(op, rec, &hosts);
	if (!e) {
		host_resolv = read_host_file("/etc/resolv.conf", 65536);
		e = resolv_for_container(host_resolv, &resolv);
	}
	snprintf(hostname, sizeof hostname, "%s\n", rec->hostname);
	/* in place: a running container has these bind-mounted (same inode) */
	if (!e)
		e = write_file(op, rec->id, "hosts", hosts, true);
	if (!e)
		e = write_file(op, rec->id, "hostname", hostname, true);
	if (!e)
		e = write_file(op, rec->id, "resolv.conf", resolv, true);
	free(hosts);
	free(resolv);
	free(host_resolv);
	return e;
}

/* The process environment at start or exec (§1.7): defaults, link variables, then the
 * container's own -e values, then `extra` (exec's -e). */
int build_env(struct op *op, const struct ctr_rec *rec, const char *const *extra, char ***out)
{
	char **env = NULL;
	int e = env_defaults(&env, rec->hostname);
	for (size_t i = 0; !e && i < rec->n_links; i++) {
		struct ctr_rec *k;
		const struct ctr_link *l = &rec->links[i];
		if ((e = store_rec_load(op->st, l->target, &k)) < 0)
			break;
		if (k->status != ST_RUNNING || !k->has_net) {
			e = ctr_err(-EBUSY, "Cannot link to a non running container: /%s AS /%s/%s",
				    k->name, rec->name, l->alias);
		} else {
			char ip[16], link_name[300];
			ip4_format(k->net.ip, ip, sizeof ip);
			snprintf(link_name, sizeof link_name, "/%s/%s", rec->name, l->alias);
			struct link_env_input in = { link_name, ip, k->exposed, k->n_exposed,
						     l->env ? (const char *const *)k->env : NULL };
			e = linkenv_render(&in, &env);
		}
		rec_free(k);
	}
	if (!e)
		e = env_merge(&env, (const char *const *)rec->env);
	if (!e && extra)
		e = env_merge(&env, extra);
	if (e < 0) {
		strv_free(env);
		return e;
	}
	*out = env;
	return 0;
}

/* ---- the helper --------------------------------------------------------------------------- */

/* Run the monitor helper in `mode` with descriptors fds[0..n) as its 0..n-1 (-1: /dev/null
 * for 0..2, absent above).  Returns its PID. */
/* Run the monitor helper in `mode` ("start" or "exec"; `arg`, if not NULL, its second
 * argument: the container's cgroup, whose parent a start's monitor is born in). */
static int spawn_helper(ctr_ctx *ctx, const char *mode, const char *arg, const int *fds, int n,
			pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int high[8], nullfd = -1, e = 0;
	for (int i = 0; i < n; i++)
		high[i] = -1;
	/* move every source above the target range first, so that dup2 order cannot clobber */
	for (int i = 0; i < n && !e; i++) {
		int src = fds[i];
		if (src < 0 && i <= 2) {
			if (nullfd < 0 && (nullfd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
				e = ctr_err_sys(-errno, "cannot open /dev/null");
			src = nullfd;
		}
		if (src >= 0 && !e && (high[i] = fcntl(src, F_DUPFD_CLOEXEC, 16)) < 0)
			e = ctr_err_sys(-errno, "cannot duplicate a descriptor");
	}
	const char *keep[] = { "XTABLES_LOCKFILE", "ASAN_OPTIONS", "UBSAN_OPTIONS",
			       "LSAN_OPTIONS", "CTRLINK_FAULT_MONITOR", NULL };
	/* at most one entry per name (the first, as getenv finds it): an environment that
	 * repeats a name cannot overrun envp */
	char *envp[ARRAY_SIZE(keep)];
	size_t ne = 0;
	for (size_t i = 0; keep[i]; i++)
		for (char **v = environ; v && *v; v++)
			if (str_has_prefix(*v, keep[i]) && (*v)[strlen(keep[i])] == '=') {
				envp[ne++] = *v;
				break;
			}
	envp[ne] = NULL;

	if (!e) {
		posix_spawn_file_actions_init(&fa);
		posix_spawnattr_init(&at);
		sigset_t none, all;
		sigemptyset(&none);
		sigfillset(&all);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setsigdefault(&at, &all);
		posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
		for (int i = 0; i < n; i++)
			if (high[i] >= 0)
				posix_spawn_file_actions_adddup2(&fa, high[i], i);
			else /* a slot not given (no exit-code pipe) is closed, not inherited */
				posix_spawn_file_actions_addclose(&fa, i);
		/* none of the caller's inheritable descriptors reaches the (long-lived) monitor,
		 * and none can pass for its exit-code descriptor (5) */
		posix_spawn_file_actions_addclosefrom_np(&fa, n);
		char *argv[] = { (char *)"ctr-monitor", (char *)mode, (char *)arg, NULL };
		int r = posix_spawn(pid, ctx->helper, &fa, &at, argv, envp);
		if (r)
			e = ctr_err(-r,
				    "cannot run the monitor helper %s: %s (install libcontainer-link, or "
				    "set CTRLINK_HELPER to the ctr-monitor program)",
				    ctx->helper, strerror(r));
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&at);
	}
	for (int i = 0; i < n; i++)
		if (high[i] >= 0)
			close(high[i]);
	if (nullfd >= 0)
		close(nullfd);
	return e;
}

/* Write to the helper's end of a "down" socket pair: MSG_NOSIGNAL, so that a helper (or a
 * container init) that died makes the call fail with EPIPE instead of killing the caller
 * with SIGPIPE. */
static int write_all_fd(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_spec(int fd, const struct launch *l)
{
	char *json;
	int e = launch_to_json(l, &json);
	if (e < 0)
		return e;
	char head[24];
	int hn = snprintf(head, sizeof head, "%zu\n", strlen(json));
	e = write_all_fd(fd, head, (size_t)hn);
	if (!e)
		e = write_all_fd(fd, json, strlen(json));
	free(json);
	return e < 0 ? ctr_err_sys(e, "cannot hand the container's spec to its monitor") : 0;
}

/* Read from `fd` until end of file (or `timeout_ms`), at most len-1 bytes kept. */
static int read_until_eof(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t got = 0;
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		int left = (int)((deadline - now_ns()) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ETIMEDOUT;
		char tmp[512];
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take = (size_t)n < len - 1 - got ? (size_t)n : len - 1 - got;
		memcpy(buf + got, tmp, take);
		got += take;
	}
	buf[got] = '\0';
	return (int)got;
}

/* Read one line ("P ...\n") from fd. */
static int read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t got = 0;
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	while (got + 1 < len) {
		int left = (int)((deadline - now_ns()) / 1000000);
		struct pollfd p = { fd, POLLIN, 0 };
		if (left <= 0 || poll(&p, 1, left) <= 0) {
			if (left > 0 && errno == EINTR)
				continue;
			return -ETIMEDOUT;
		}
		ssize_t n = read(fd, buf + got, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf[got++] == '\n')
			break;
	}
	buf[got] = '\0';
	return (int)got;
}

/* "E <code> <message>" from the container's setup → -ENOEXEC with the message. */
static int child_error(const char *msg, int *code)
{
	int c = 125, off = 0;
	if (sscanf(msg, "E %d %n", &c, &off) >= 1 && off > 0)
		msg += off;
	if (code)
		*code = c;
	return ctr_err(-ENOEXEC, "%s", msg);
}

/* ---- starting ----------------------------------------------------------------------------- */

CTR_API int ctr_start_options_init(ctr_start_options *opts, unsigned version)
{
	ctr_err_clear();
	return opt_init(OPT_START, opts, version);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Undo a start that failed after the record was marked starting. */
static void start_undo(struct op *op, struct ctr_rec *rec, int exit_code, const char *why)
{
	net_detach(op, rec);
	rec->status = ST_CREATED;
	rec->pid = 0;
	rec->pid_start = 0;
	rec_restart_off(rec); /* and no monitor: a policy's restart ends with its start */
	rec->exit_code = exit_code;
	free(rec->error);
	rec->error = xstrdup(why);
	free(rec->cgroup); /* its monitor removes it as it goes */
	rec->cgroup = NULL;
	store_rec_save(op->st, rec);
}

/* The start's view (core/plan_start.h): the records of rec's links, up to the first that is
 * removed or not running (the plan's check stops there). */
static int start_view_load(struct op *op, const struct ctr_rec *rec, struct start_view *v)
{
	v->n = 0;
	v->links = calloc(rec->n_links + 1, sizeof *v->links);
	v->err = calloc(rec->n_links + 1, sizeof *v->err);
	if (!v->links || !v->err)
		return ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < rec->n_links; i++) {
		struct ctr_rec *k = NULL;
		v->err[i] = store_rec_load(op->st, rec->links[i].target, &k);
		v->links[i] = v->err[i] < 0 ? NULL : k;
		v->n = i + 1;
		if (!v->links[i] || k->status != ST_RUNNING)
			break;
	}
	return 0;
}

static void start_view_free(struct start_view *v)
{
	for (size_t i = 0; v->links && i < v->n; i++)
		rec_free(v->links[i]);
	free(v->links);
	free(v->err);
}

static int do_start(struct op *op, struct ctr_rec *rec, const ctr_start_options *so)
{
	int down[2] = { -1, -1 }, up[2] = { -1, -1 }, ex[2] = { -1, -1 };
	struct launch l = { 0 };
	char **env = NULL;
	pid_t h = 0;
	int e, code = 125;

	/* links must point at running containers (checked again, with their addresses, when the
	 * environment is built) */
	struct start_view sv;
	if ((e = start_view_load(op, rec, &sv)) == 0)
		e = plan_start_links(rec, &sv);
	start_view_free(&sv);
	if (e < 0)
		return e;
	uint64_t caps;
	if ((e = caps_compute((const char *const *)rec->cap_add, (const char *const *)rec->cap_drop,
			      &caps)) < 0)
		return e;
	if ((e = net_ensure(op)) < 0)
		return e;
	if ((e = op_journal(op, rec->id, "start")) < 0)
		return e;

	plan_start_begin(rec);
	if ((e = net_plan(op, rec)) < 0 || (e = store_rec_save(op->st, rec)) < 0 ||
	    (e = write_etc_files(op, rec)) < 0 || (e = build_env(op, rec, NULL, &env)) < 0)
		goto undo;

	uint8_t gw_mac[6];
	bool has_gw_mac = rec->has_net && net_gateway_mac(op, gw_mac);
	char cg[CG_REL_MAX];
	cg_container_path(op->ctx->cg_parent, rec->id, cg);
	/* the monitor makes and enters the cgroup, or says it could not */
	struct start_launch sl = { op->st->path, env, caps,
				   so && (so->stdout_fd >= 0 || so->stderr_fd >= 0), has_gw_mac,
				   gw_mac, cg };
	plan_start_launch(rec, &sl, &l);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, down) < 0 ||
	    pipe2(up, O_CLOEXEC) < 0 ||
	    (so && so->exit_fd && pipe2(ex, O_CLOEXEC) < 0)) {
		e = ctr_err_sys(-errno, "pipe");
		goto undo;
	}
	int fds[7] = { so ? so->stdin_fd : -1, so ? so->stdout_fd : -1, so ? so->stderr_fd : -1,
		       down[0], up[1], ex[1], op->st->dfd };
	if ((e = spawn_helper(op->ctx, "start", cg, fds, 7, &h)) < 0)
		goto undo;
	close_fd(&down[0]);
	close_fd(&up[1]);
	close_fd(&ex[1]);
	while (waitpid(h, NULL, 0) < 0 && errno == EINTR)
		;
	FAULT("start.spawned");
	if ((e = send_spec(down[1], &l)) < 0)
		goto undo;

	char line[160];
	int pid = 0, mpid = 0, in_cg = 0;
	unsigned long long ps = 0, ms = 0;
	if (read_line(up[0], line, sizeof line, 30000) <= 0 || line[0] != 'P' ||
	    sscanf(line, "P %d %llu %d %llu %d", &pid, &ps, &mpid, &ms, &in_cg) < 4) {
		if (line[0] == 'E')
			e = child_error(line, &code);
		else
			e = ctr_err(-EIO, "the monitor helper did not start the container");
		goto undo;
	}
	rec->pid = pid;
	rec->pid_start = ps;
	rec->mon_pid = mpid;
	rec->mon_start = ms;
	free(rec->cgroup);
	rec->cgroup = NULL;
	if (in_cg == 1 && !(rec->cgroup = xstrdup(cg))) {
		e = -ENOMEM;
		goto undo;
	}
	char msg[2048];
	int n;
	if ((e = store_rec_save(op->st, rec)) < 0)
		goto undo;
	if ((e = net_attach(op, rec, pid)) < 0) {
		/* the init may have failed its setup (and so gone) meanwhile: its message says why */
		if (read_until_eof(up[0], msg, sizeof msg, 1000) > 0 && msg[0] == 'E')
			e = child_error(msg, &code);
		goto undo;
	}

	/* "G": the container configures its network (its mounts may have failed meanwhile:
	 * then its message is waiting on "up"); it answers "N" */
	if ((e = write_all_fd(down[1], "G", 1)) < 0) {
		if (read_until_eof(up[0], msg, sizeof msg, 5000) > 0 && msg[0] == 'E')
			e = child_error(msg, &code);
		else
			e = ctr_err_sys(e, "the container's setup ended early");
		goto undo;
	}
	FAULT("start.go");
	if ((n = read_line(up[0], msg, sizeof msg, 60000)) == 2 && strcmp(msg, "N\n") == 0) {
		/* its first packets must not meet a bridge port the kernel has not enabled yet;
		 * then the rules, and "G" again: it executes the command */
		if ((e = net_wait_ready(op, rec)) < 0 || (e = net_open_paths(op, rec)) < 0 ||
		    (e = write_all_fd(down[1], "G", 1)) < 0)
			goto undo;
		msg[0] = '\0';
		n = read_until_eof(up[0], msg, sizeof msg, 60000);
	} else if (n > 0) { /* the rest of "E ..." */
		int more = read_until_eof(up[0], msg + n, sizeof msg - (size_t)n, 5000);
		n = more < 0 ? more : n + more;
	}
	/* "X" right before the exec; end of file after it means the exec happened (the pipe is
	 * close-on-exec); "E ..." is a failure; end of file without "X" means the init died */
	if (n != 1 || msg[0] != 'X') {
		const char *err = msg[0] == 'X' ? msg + 1 : msg;
		e = n < 0    ? ctr_err(-ETIMEDOUT, "the container's setup did not finish in 60 s")
		    : *err   ? child_error(err, &code)
			     : ctr_err(-EIO, "the container's init died during its setup");
		goto undo;
	}
	plan_start_running(rec, now_ns());
	if ((e = store_rec_save(op->st, rec)) < 0)
		goto undo;
	links_child_changed(op, rec, false);
	ctr_err_clear();
	if (so && so->exit_fd) {
		*so->exit_fd = ex[0];
		ex[0] = -1;
	}
	e = 0;
	goto out;

undo:;
	char why[2048];
	snprintf(why, sizeof why, "%s", ctr_err_msg());
	if (rec->pid > 0) {
		struct proc p;
		if (proc_open(rec->pid, rec->pid_start, &p) == 0) {
			proc_signal(&p, SIGKILL);
			proc_close(&p);
		}
	}
	start_undo(op, rec, code, why);
	ctr_err(e, "%s", why);
out:
	close_fd(&down[0]);
	close_fd(&down[1]);
	close_fd(&up[0]);
	close_fd(&up[1]);
	close_fd(&ex[0]);
	close_fd(&ex[1]);
	strv_free(env);
	return e;
}

/* Wake a monitor that waits to restart `rec` (after the record says it need not): it finds
 * nothing to do and goes. */
static void kick_monitor(pid_t pid, uint64_t start)
{
	struct proc m;
	if (pid > 0 && proc_open(pid, start, &m) == 0) {
		proc_signal(&m, SIGUSR1);
		proc_close(&m);
	}
	ctr_err_clear();
}

/* Save the record, calling off a restart that waits: its monitor is told, and goes. */
static int save_calling_off(struct op *op, struct ctr_rec *rec)
{
	bool waiting = rec->restarting;
	pid_t mon = rec->mon_pid;
	uint64_t mon_start = rec->mon_start;
	if (waiting)
		rec_restart_off(rec);
	int e = store_rec_save(op->st, rec);
	if (waiting)
		kick_monitor(mon, mon_start);
	return e;
}

/* A start by hand: the policy's count and back-off start again (as Docker's restart manager
 * is reset), a hold ends, and a restart that waits is called off (this start is it). */
static int policy_reset(struct op *op, struct ctr_rec *rec)
{
	rec->restart_count = 0;
	rec->restart_delay = 0;
	rec->manual_stop = false;
	return rec->restarting ? save_calling_off(op, rec) : 0;
}

CTR_API int ctr_start(ctr_ctx *ctx, const char *ref, const ctr_start_options *so)
{
	ctr_err_clear();
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_start: context is NULL");
	ctr_start_options sfull;
	if (so && opt_load(OPT_START, &sfull, so) < 0)
		return -EINVAL;
	so = so ? &sfull : NULL;
	struct op op;
	char id[CTR_ID_LEN + 1];
	struct ctr_rec *rec = NULL;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if ((e = resolve_ref(op.st, ref, id)) == 0 && (e = store_rec_load(op.st, id, &rec)) == 0) {
		if (rec->status == ST_RUNNING)
			e = 0; /* as Docker: starting a running container is a no-op */
		else if ((e = policy_reset(&op, rec)) == 0)
			e = do_start(&op, rec, so);
	}
	rec_free(rec);
	return op_end(&op, e);
}

CTR_API int ctr_read_exit(int fd, int *exit_code)
{
	ctr_err_clear();
	char buf[16];
	size_t got = 0;
	while (got < sizeof buf - 1) {
		ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ctr_err_sys(-errno, "cannot read the exit descriptor");
		if (n == 0)
			break;
		got += (size_t)n;
		if (buf[got - 1] == '\n')
			break;
	}
	buf[got] = '\0';
	unsigned long code;
	if (got < 2 || buf[got - 1] != '\n')
		return ctr_err(-EIO, "the container's monitor ended without reporting an exit code");
	buf[got - 1] = '\0';
	if (parse_uint(buf, 0, 255, &code) < 0)
		return ctr_err(-EIO, "bad exit report \"%s\"", SHOWN(buf));
	if (exit_code)
		*exit_code = (int)code;
	return 0;
}

/* ---- the end of a run --------------------------------------------------------------------- */

/* What a container whose record we cannot read may still hold: the processes it names (by
 * PID and start time, so never another process), the veth, address and ports it says it has,
 * and every rule of ours that names it, whatever the record says. */
static void drop_unreadable(struct op *op, struct ctr_rec *rec)
{
	proc_kill(rec->pid, rec->pid_start);
	proc_kill(rec->mon_pid, rec->mon_start);
	net_detach(op, rec);
	const char *ids[] = { rec->id };
	struct nat_txn txn = { .drop_ids = ids, .n_drop_ids = 1 };
	net_apply(op, &txn);
	ctr_err_clear();
}

int run_remove_locked(struct op *op, struct ctr_rec *rec)
{
	int e = op_journal(op, rec->id, "remove");
	if (e < 0)
		return e;
	if (rec->unreadable)
		drop_unreadable(op, rec);
	/* links that point at this container: drop them from their parents */
	char **rl = NULL;
	store_rlinks(op->st, rec->id, &rl);
	for (size_t i = 0; rl && rl[i]; i++) {
		char *colon = strchr(rl[i], ':');
		if (!colon)
			continue;
		*colon = '\0';
		unlink_locked(op, rl[i], colon + 1);
	}
	strv_free(rl);
	forget(op, rec->id, rec);
	return 0;
}

int run_exit(struct op *op, const char *id, uint64_t generation, int exit_code,
	     unsigned *restart_ms)
{
	struct ctr_rec *rec;
	if (restart_ms)
		*restart_ms = 0;
	int e = store_rec_load(op->st, id, &rec);
	if (e < 0) {
		ctr_err_clear();
		return 0; /* removed meanwhile */
	}
	if (rec->generation != generation ||
	    (rec->status != ST_RUNNING && rec->status != ST_STARTING)) {
		rec_free(rec);
		return 0; /* not our run (its start failed, or another run began) */
	}
	if ((e = op_journal(op, id, "finish")) == 0) {
		net_detach(op, rec);
		rec->status = ST_EXITED;
		rec->exit_code = exit_code;
		rec->finished = now_ns();
		rec->pid = 0;
		rec->pid_start = 0;
		/* the policy's decision, as the record says it now: a stop held it before the
		 * signal went; the monitor that asks (restart_ms) stays in mon_pid to restart */
		if (restart_ms && restart_wanted(rec->restart_policy, rec->restart_max,
						 rec->restart_count, exit_code, rec->manual_stop)) {
			rec->restart_count++;
			rec->restart_delay = restart_delay(rec->restart_delay,
							   rec->finished - rec->started);
			rec->restarting = true;
			*restart_ms = rec->restart_delay;
		} else {
			rec_restart_off(rec);
		}
		e = store_rec_save(op->st, rec);
		if (!e && rec_end_removes(rec))
			e = run_remove_locked(op, rec);
	}
	rec_free(rec);
	return e;
}

int run_finish(struct op *op, const char *id, uint64_t generation, int exit_code)
{
	return run_exit(op, id, generation, exit_code, NULL);
}

int run_policy_restart(ctr_ctx *ctx, const char *id, uint64_t generation)
{
	struct op op;
	struct ctr_rec *rec;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if (store_rec_load(op.st, id, &rec) < 0) {
		ctr_err_clear();
		return op_end(&op, 0); /* removed meanwhile */
	}
	/* still ours to restart: not started, stopped or removed by anyone meanwhile.  The
	 * record says "restarting" until the start has run the command or failed (as Docker's
	 * State.Restarting), so that no reader sees the container as ended for good meanwhile */
	if (rec->restarting && rec->generation == generation && rec->status == ST_EXITED &&
	    !rec->manual_stop && (e = do_start(&op, rec, NULL)) < 0 && rec->status == ST_EXITED) {
		/* refused before it began (a link's target is not running): say why */
		rec_restart_off(rec);
		free(rec->error);
		rec->error = xstrdup(ctr_err_msg());
		store_rec_save(op.st, rec);
	}
	rec_free(rec);
	return op_end(&op, e);
}

/* A stop, a fatal kill or a removal by hand: the policy holds until the next start, and a
 * restart that waits is called off.  Saves the record if that changed it. */
static int hold_policy(struct op *op, struct ctr_rec *rec)
{
	if ((rec->restart_policy == RP_NO || rec->manual_stop) && !rec->restarting)
		return 0;
	rec->manual_stop = rec->restart_policy != RP_NO;
	return save_calling_off(op, rec);
}

/* ---- stopping ----------------------------------------------------------------------------- */

/* Handles on a running container's init and monitor (pid 0 where the process is gone). */
static void open_procs(const struct ctr_rec *rec, struct proc *c, struct proc *m)
{
	proc_open(rec->pid, rec->pid_start, c);
	proc_open(rec->mon_pid, rec->mon_start, m);
	ctr_err_clear();
}

/* After the container's init is gone: wait for its monitor to record the end, then make sure
 * it did (a monitor killed half-way leaves it to us; run_finish is a no-op when done). */
/* true if the record no longer shows run `gen` of `id` as running (or is gone). */
static bool run_recorded(struct store *st, const char *id, uint64_t gen)
{
	struct ctr_rec *rec;
	int e = store_rec_load(st, id, &rec);
	ctr_err_clear();
	if (e == -ENOENT)
		return true;
	if (e < 0)
		return false;
	bool done = rec->generation != gen || rec->status != ST_RUNNING;
	rec_free(rec);
	return done;
}

/* Wait (up to 30 s) until the monitor `mon` has recorded the end of run `gen`, or is gone.
 * Not for its exit: once the end is recorded the monitor holds nothing (no lock, no rule, no
 * cgroup) and only closes its sockets, and the close of a netfilter netlink socket waits for
 * the kernel's nf_tables destroy work of the deletions just made (one RCU grace period, ~10
 * ms); that wait is not the caller's.  The monitor's end-of-run FIFO hangs up when the end is
 * recorded (store_run_hold()); a monitor without one (an older library's) is waited out. */
static void await_recorded(struct store *st, const char *id, uint64_t gen, struct proc *mon)
{
	int w = store_run_watch(st, id);
	if (w < 0 || !run_recorded(st, id, gen))
		proc_wait_or(mon, w, 30000);
	if (w >= 0)
		close(w);
	ctr_err_clear();
}

static int await_finish(ctr_ctx *ctx, const char *id, uint64_t gen, struct proc *mon, int code)
{
	if (mon)
		await_recorded(&ctx->st, id, gen, mon);
	struct op op;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	return op_end(&op, run_finish(&op, id, gen, code));
}

static int stop_id(ctr_ctx *ctx, const char *id, int timeout_s, int sig)
{
	struct op op;
	struct ctr_rec *rec;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if ((e = store_rec_load(op.st, id, &rec)) < 0)
		return op_end(&op, e);
	if ((e = hold_policy(&op, rec)) < 0 || rec->status != ST_RUNNING) {
		rec_free(rec);
		return op_end(&op, e);
	}
	struct proc c, m;
	uint64_t gen = rec->generation;
	open_procs(rec, &c, &m);
	rec_free(rec);
	op_end(&op, 0);

	int code = 137;
	if (c.pid > 0) {
		bool gone = false;
		if (sig && timeout_s != 0 && proc_signal(&c, sig) == 0)
			gone = proc_wait(&c, timeout_s < 0 ? DEFAULT_STOP_TIMEOUT * 1000
							   : timeout_s * 1000) == 0;
		if (!gone) {
			proc_signal(&c, SIGKILL);
			FAULT("stop.kill");
			proc_wait(&c, -1);
		} else {
			code = 128 + sig;
		}
		proc_close(&c);
	}
	e = await_finish(ctx, id, gen, &m, code);
	proc_close(&m);
	/* its cgroup: the monitor leaves and removes it just after it recorded the end */
	if (e == 0) {
		run_cgroup_gone(ctx, id, 2000);
		ctr_err_clear();
	}
	return e;
}

CTR_API int ctr_stop(ctr_ctx *ctx, const char *ref, int timeout_s)
{
	ctr_err_clear();
	char id[CTR_ID_LEN + 1];
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_stop: context is NULL");
	int e = resolve_ref(&ctx->st, ref, id);
	if (e < 0)
		return e;
	return stop_id(ctx, id, timeout_s, SIGTERM);
}

/* Before a restart: an endpoint is refused; the end of a running container's current run is
 * marked as the restart's, so that --rm does not remove it.  The mark names one run only: a
 * crash before the start leaves an exited --rm container, never one that lost its --rm. */
static int restart_mark(ctr_ctx *ctx, const char *id)
{
	struct op op;
	struct ctr_rec *rec;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if ((e = store_rec_load(op.st, id, &rec)) < 0)
		return op_end(&op, e);
	if (REC_IS_ENDPOINT(rec)) {
		e = ctr_err(-EINVAL, "%s is an endpoint of %s: only containers restart", rec->name,
			    rec->owner);
	} else if (rec->auto_remove && rec->status == ST_RUNNING) {
		rec->restart_gen = rec->generation;
		e = store_rec_save(op.st, rec);
	}
	rec_free(rec);
	return op_end(&op, e);
}

/* A restart's start failed: an --rm container goes, as its end would have removed it. */
static int restart_failed(ctr_ctx *ctx, const char *id, int e)
{
	struct op op;
	struct ctr_rec *rec;
	char msg[2048];
	snprintf(msg, sizeof msg, "%s", ctr_err_msg());
	if (op_begin(&op, ctx) == 0) {
		if (store_rec_load(op.st, id, &rec) == 0) {
			if (rec->auto_remove && rec->status != ST_RUNNING &&
			    rec->status != ST_STARTING)
				run_remove_locked(&op, rec);
			rec_free(rec);
		}
		op_end(&op, 0);
	}
	return ctr_err(e, "%s", msg);
}

CTR_API int ctr_restart(ctr_ctx *ctx, const char *ref, int timeout_s)
{
	ctr_err_clear();
	char id[CTR_ID_LEN + 1];
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_restart: context is NULL");
	int e = resolve_ref(&ctx->st, ref, id);
	if (e < 0 || (e = restart_mark(ctx, id)) < 0)
		return e;
	if ((e = stop_id(ctx, id, timeout_s, SIGTERM)) == 0 && (e = ctr_start(ctx, id, NULL)) < 0)
		e = restart_failed(ctx, id, e);
	return e;
}

/* A kill of a container with a restart policy, under the lock: the stop signal and SIGKILL end
 * the run for good, so the policy holds (as Docker's ExitOnNext); another signal leaves it in
 * place.  A restart that waits has no process to signal (*waiting): a fatal signal calls it
 * off, as Docker's kill does.  *recp: the record as it then is. */
static int kill_policy(ctr_ctx *ctx, const char *id, int signo, bool *waiting,
		       struct ctr_rec **recp)
{
	struct op op;
	int e = op_begin(&op, ctx);
	if (e < 0)
		return e;
	if ((e = store_rec_load(op.st, id, recp)) < 0)
		return op_end(&op, e);
	*waiting = (*recp)->restarting;
	if ((signo == SIGKILL || signo == SIGTERM) && ((*recp)->status == ST_RUNNING || *waiting))
		e = hold_policy(&op, *recp);
	return op_end(&op, e);
}

CTR_API int ctr_kill(ctr_ctx *ctx, const char *ref, int signo)
{
	ctr_err_clear();
	char id[CTR_ID_LEN + 1];
	struct ctr_rec *rec;
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_kill: context is NULL");
	if (signo <= 0 || signo >= NSIG)
		return ctr_err(-EINVAL, "invalid signal %d", signo);
	int e = resolve_ref(&ctx->st, ref, id);
	if (e < 0 || (e = store_rec_load(&ctx->st, id, &rec)) < 0)
		return e;
	bool waiting = false;
	if (rec->restart_policy != RP_NO || rec->restarting) {
		rec_free(rec);
		rec = NULL;
		if ((e = kill_policy(ctx, id, signo, &waiting, &rec)) < 0 || waiting) {
			rec_free(rec);
			return e;
		}
	}
	struct proc c = PROC_NONE;
	if (rec->status != ST_RUNNING || proc_open(rec->pid, rec->pid_start, &c) < 0 ||
	    (e = proc_signal(&c, signo)) == -ESRCH)
		e = ctr_err(-EBUSY, "Container %s is not running", id);
	proc_close(&c);
	rec_free(rec);
	return e;
}

CTR_API int ctr_wait(ctr_ctx *ctx, const char *ref, int timeout_ms, int *exit_code)
{
	ctr_err_clear();
	char id[CTR_ID_LEN + 1];
	struct ctr_rec *rec;
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_wait: context is NULL");
	int e = resolve_ref(&ctx->st, ref, id);
	if (e < 0 || (e = store_rec_load(&ctx->st, id, &rec)) < 0)
		return e;
	if (rec->status == ST_RUNNING) {
		struct proc c, m;
		uint64_t gen = rec->generation;
		open_procs(rec, &c, &m);
		rec_free(rec);
		e = proc_wait(&c, timeout_ms);
		proc_close(&c);
		if (e == 0) /* the init is gone: its monitor records the end, or we do */
			e = await_finish(ctx, id, gen, &m, 137);
		proc_close(&m);
		if (e == -ETIMEDOUT)
			return ctr_err(e, "the container %s is still running", id);
		if (e < 0)
			return e;
		if ((e = store_rec_load(&ctx->st, id, &rec)) < 0)
			return ctr_err(-ENOENT, "the container %s exited and was removed", id);
	}
	if (exit_code)
		*exit_code = rec->exit_code;
	rec_free(rec);
	return 0;
}

/* ---- removing ----------------------------------------------------------------------------- */

static int remove_id(ctr_ctx *ctx, const char *id, bool force, bool *stopped);

CTR_API int ctr_remove(ctr_ctx *ctx, const char *ref, unsigned flags)
{
	ctr_err_clear();
	char id[CTR_ID_LEN + 1];
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_remove: context is NULL");
	if (flags & ~CTR_REMOVE_FORCE)
		return ctr_err(-EINVAL, "unknown ctr_remove flags %#x", flags);
	bool stopped = false;
	int e = resolve_ref(&ctx->st, ref, id);
	if (e < 0 || (e = remove_id(ctx, id, flags & CTR_REMOVE_FORCE, &stopped)) < 0)
		return e;
	/* the container's cgroup, outside the lock: its monitor removed it as it went, unless
	 * it was killed (or a start was); a stop made here saw to it already */
	if (!stopped)
		run_cgroup_gone(ctx, id, 2000);
	ctr_err_clear();
	return 0;
}

void run_cgroup_gone(ctr_ctx *ctx, const char *id, int wait_ms)
{
	struct cg_mounts m;
	cgroup_mounts(&m);
	char rel[CG_REL_MAX];
	if (id)
		cg_container_path(ctx->cg_parent, id, rel);
	cgroup_remove(&m, id ? rel : NULL, ctx->cg_parent, wait_ms, false);
}

/* `*stopped`: a forced removal stopped the container (and so removed its cgroup). */
static int remove_id(ctr_ctx *ctx, const char *id, bool force, bool *stopped)
{
	int e;
	for (int attempt = 0; attempt < 5; attempt++) {
		struct op op;
		struct ctr_rec *rec;
		if ((e = op_begin(&op, ctx)) < 0)
			return e;
		if ((e = store_rec_load_any(op.st, id, &rec)) < 0)
			return op_end(&op, e);
		if (rec->unreadable) {
			/* a record we cannot read: removed only when forced, with what it holds */
			e = force ? run_remove_locked(&op, rec)
				  : ctr_err(-EINVAL, "cannot remove the container %s: %s; force the "
						     "removal to remove it and what it holds",
					    id, rec->error);
			rec_free(rec);
			return op_end(&op, e);
		}
		if (rec->status == ST_RUNNING) {
			rec_free(rec);
			op_end(&op, 0);
			if (!force)
				return ctr_err(-EBUSY,
					       "You cannot remove a running container %s. Stop the "
					       "container before attempting removal or force remove",
					       id);
			if ((e = stop_id(ctx, id, 0, 0)) < 0)
				return e;
			*stopped = true;
			continue;
		}
		if (rec->restarting) {
			if (!force)
				e = ctr_err(-EBUSY,
					    "You cannot remove a restarting container %s. Stop the "
					    "container before attempting removal or force remove",
					    id);
			else
				e = hold_policy(&op, rec);
			if (e < 0) {
				rec_free(rec);
				return op_end(&op, e);
			}
		}
		char **rl = NULL;
		if (!force && (e = store_rlinks(op.st, id, &rl)) == 0 && rl && rl[0]) {
			char *colon = strchr(rl[0], ':');
			char pname[300] = "?";
			struct ctr_rec *p;
			if (colon) {
				*colon = '\0';
				if (store_rec_load(op.st, rl[0], &p) == 0) {
					snprintf(pname, sizeof pname, "%s", p->name);
					rec_free(p);
				}
			}
			e = ctr_err(-EBUSY,
				    "the container %s is linked to as /%s/%s; remove that link first "
				    "or force the removal",
				    rec->name, pname, colon ? colon + 1 : "?");
		}
		strv_free(rl);
		if (!e)
			e = run_remove_locked(&op, rec);
		rec_free(rec);
		return op_end(&op, e);
	}
	return ctr_err(-EBUSY, "the container %s keeps being restarted; not removed", id);
}

/* ---- exec --------------------------------------------------------------------------------- */

CTR_API int ctr_exec_options_init(ctr_exec_options *opts, unsigned version)
{
	ctr_err_clear();
	return opt_init(OPT_EXEC, opts, version);
}

CTR_API int ctr_exec(ctr_ctx *ctx, const char *ref, const ctr_exec_options *xo, int *exit_code)
{
	ctr_err_clear();
	if (!ctx || !xo)
		return ctr_err(-EINVAL, "ctr_exec: context or options is NULL");
	ctr_exec_options xfull;
	if (opt_load(OPT_EXEC, &xfull, xo) < 0)
		return -EINVAL;
	xo = &xfull;
	if (!xo->argv || !xo->argv[0] || !xo->argv[0][0])
		return ctr_err(-EINVAL, "no command given");
	int e;
	if ((e = check_env(xo->env)) < 0 || (xo->user && (e = check_text("user", xo->user, 255)) < 0) ||
	    (xo->workdir && (e = check_path("working directory", xo->workdir, false)) < 0))
		return e;

	struct op op;
	char id[CTR_ID_LEN + 1];
	struct ctr_rec *rec = NULL;
	struct launch l = { 0 };
	char **env = NULL;
	if ((e = op_begin(&op, ctx)) < 0)
		return e;
	if ((e = resolve_ref(op.st, ref, id)) == 0 && (e = store_rec_load(op.st, id, &rec)) == 0) {
		if (rec->status != ST_RUNNING)
			e = ctr_err(-EBUSY, "Container %s is not running", id);
		else
			e = build_env(&op, rec, xo->env, &env);
	}
	op_end(&op, 0);
	uint64_t caps = 0;
	if (!e)
		e = caps_compute((const char *const *)rec->cap_add,
				 (const char *const *)rec->cap_drop, &caps);
	if (e < 0) {
		rec_free(rec);
		strv_free(env);
		return e;
	}
	struct exec_launch in = { .state_dir = op.st->path, .argv = (char **)xo->argv,
				  .env = env, .caps = caps, .user = xo->user,
				  .workdir = xo->workdir };
	plan_exec_launch(rec, &in, &l);

	int down[2] = { -1, -1 }, up[2] = { -1, -1 };
	pid_t h;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, down) < 0 ||
	    pipe2(up, O_CLOEXEC) < 0) {
		e = ctr_err_sys(-errno, "pipe");
	} else {
		/* the state directory (6) for the compiled seccomp filter; no exit descriptor (5) */
		int fds[7] = { xo->stdin_fd, xo->stdout_fd >= 0 ? xo->stdout_fd : 1,
			       xo->stderr_fd >= 0 ? xo->stderr_fd : 2, down[0], up[1], -1,
			       ctx->st.dfd };
		e = spawn_helper(ctx, "exec", NULL, fds, 7, &h);
	}
	close_fd(&down[0]);
	close_fd(&up[1]);
	if (!e) {
		e = send_spec(down[1], &l);
		close_fd(&down[1]);
		char msg[2048];
		/* the helper says "X" (about to exec), maybe "E <code> <why>" (it could not), and
		 * "C <exit code>\n" when the command ended */
		int n = read_until_eof(up[0], msg, sizeof msg, INT32_MAX / 2);
		while (waitpid(h, NULL, 0) < 0 && errno == EINTR)
			;
		int code = -1;
		if (n >= 4 && msg[n - 1] == '\n') {
			char *c = memrchr(msg, 'C', (size_t)n - 1);
			char *endp;
			long v = c && c[1] == ' ' ? strtol(c + 2, &endp, 10) : -1;
			if (v >= 0 && v <= 255 && endp == msg + n - 1) {
				code = (int)v;
				*c = '\0';
			}
		}
		const char *err = n > 0 && msg[0] == 'X' ? msg + 1 : msg;
		if (n > 0 && *err)
			e = child_error(err, &code);
		else if (code < 0)
			e = ctr_err(-EIO, "the exec helper ended without reporting an exit code");
		if (exit_code)
			*exit_code = code < 0 ? 125 : code;
	}
	close_fd(&down[1]);
	close_fd(&up[0]);
	strv_free(env);
	rec_free(rec);
	return e;
}
