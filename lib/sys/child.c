#define _GNU_SOURCE
#include "sys/child.h"

#include <cap-ng.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/caps.h"
#include "core/passwd.h"
#include "sys/mounts.h"
#include "sys/rtnl.h"
#include "sys/seccomp.h"
#include "sys/userns.h"
#include "core/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

__attribute__((noreturn, format(printf, 3, 4))) static void fail(int up, int code,
								  const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(msg, sizeof msg, "E %d ", code);
	vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
	va_end(ap);
	if (up >= 0) {
		ssize_t w = write(up, msg, strlen(msg));
		(void)w;
	}
	_exit(code);
}

static void fail_errno(int up, const char *what)
{
	fail(up, 125, "%s: %s", what, strerror(errno));
}

static void do_mount(int up, const char *src, const char *dst, const char *type,
		     unsigned long flags, const char *data)
{
	if (mount(src, dst, type, flags, data) < 0)
		fail(up, 125, "cannot mount %.200s on %.1000s: %s", type ? type : src, dst,
		     strerror(errno));
}

/* ---- network ------------------------------------------------------------------------------ */

static void setup_network(const struct launch *l, int up)
{
	struct rtnl *nl;
	int lo, eth;
	if (rtnl_open(&nl) < 0 || rtnl_link_index(nl, "lo", &lo) < 0 ||
	    rtnl_link_set_up(nl, lo, true) < 0)
		fail(up, 125, "cannot set up the loopback interface: %s", ctr_err_msg());
	if (l->has_net) {
		if (rtnl_link_index(nl, "eth0", &eth) < 0 ||
		    rtnl_addr_add(nl, eth, AF_INET, &l->ip, l->prefixlen) < 0 ||
		    (l->prefixlen6 && rtnl_addr_add(nl, eth, AF_INET6, l->ip6, l->prefixlen6) < 0) ||
		    rtnl_link_set_up(nl, eth, true) < 0 ||
		    /* a gateway whose MAC never changes needs no ARP: nothing to lose or wait for */
		    (l->has_gw_mac &&
		     (rtnl_neigh_set(nl, eth, AF_INET, &l->gateway, l->gw_mac, true) < 0 ||
		      (l->prefixlen6 &&
		       rtnl_neigh_set(nl, eth, AF_INET6, l->gateway6, l->gw_mac, true) < 0))) ||
		    rtnl_route_add_default(nl, AF_INET, &l->gateway, eth) < 0 ||
		    (l->prefixlen6 && rtnl_route_add_default(nl, AF_INET6, l->gateway6, eth) < 0) ||
		    rtnl_link_wait_ready(nl, "eth0", 500) < 0)
			fail(up, 125, "cannot configure eth0: %s", ctr_err_msg());
	}
	rtnl_close(nl);
}

/* ---- filesystem --------------------------------------------------------------------------- */

static void ensure_dir(int up, const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		char what[PATH_MAX + 32];
		snprintf(what, sizeof what, "cannot create %s", path);
		fail_errno(up, what);
	}
}

static void ensure_file(int up, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 && errno != EISDIR) {
		char what[PATH_MAX + 32];
		snprintf(what, sizeof what, "cannot create %s", path);
		fail_errno(up, what);
	}
	if (fd >= 0)
		close(fd);
}

/* The state directory, through the descriptor the monitor holds (LAUNCH_FD_STATE): never by
 * its path, which could be made to lead elsewhere since the library checked it. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define STATE_PATH "/proc/self/fd/" STR(LAUNCH_FD_STATE)

/* The state directory, looked up again in the new mount namespace (sys/mounts.h). */
static void reopen_state(const struct launch *l, int up)
{
	if (mnt_reopen_state(l->state_dir, LAUNCH_FD_STATE) < 0)
		fail(up, 125, "%s", ctr_err_msg());
}

/* Bind the container's own hosts, hostname and resolv.conf over the host's /etc/... (on the
 * host's filesystem, root "") */
static void bind_etc(const struct launch *l, int up, const char *root)
{
	static const char *const files[][2] = {
		{ "hosts", "etc/hosts" },
		{ "hostname", "etc/hostname" },
		{ "resolv.conf", "etc/resolv.conf" },
	};
	char src[PATH_MAX], dst[PATH_MAX];
	snprintf(dst, sizeof dst, "%s/etc", root);
	ensure_dir(up, dst, 0755);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(src, sizeof src, STATE_PATH "/containers/%s/%s", l->id, files[i][0]);
		snprintf(dst, sizeof dst, "%s/%s", root, files[i][1]);
		ensure_file(up, dst);
		do_mount(up, src, dst, NULL, MS_BIND, NULL);
	}
}

/* With --rootfs, whoever made the root filesystem (or another container running on it)
 * controls every name in it: each place we mount on is resolved inside the root
 * (root_open(): no symbolic link or ".." leads out, no FIFO or device is opened) and mounted
 * on through its descriptor, so that nothing can be swapped in between. */
static int in_root(int up, int root, const char *path, bool dir)
{
	int fd = root_open(root, path, dir, true);
	if (fd < 0)
		fail(up, 125, "%s", ctr_err_msg());
	return fd;
}

static void mount_in_root(int up, int root, const char *path, bool dir, const char *src,
			  const char *type, unsigned long flags, const char *data)
{
	int fd = in_root(up, root, path, dir);
	if (mnt_at(src, fd, path, type, flags, data) < 0)
		fail(up, 125, "%s", ctr_err_msg());
	close(fd);
}

/* The container's /dev: a fresh tmpfs (ours alone: no one else can see into it) with the
 * usual nodes bound from the host's, a new devpts instance, shm and mqueue. */
static void setup_dev(int up, int root)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	/* nodev: the nodes below are bind mounts, which keep the flags of the host's /dev; a node
	 * the container makes here with mknod(2) cannot be opened */
	mount_in_root(up, root, "dev", true, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
		      "mode=755,size=65536k");
	int dev = in_root(up, root, "dev", true);
	char src[64];
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		snprintf(src, sizeof src, "/dev/%s", nodes[i]);
		int fd = openat(dev, nodes[i], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0644);
		if (fd < 0)
			fail_errno(up, "cannot create the /dev nodes");
		close(fd);
		mount_in_root(up, dev, nodes[i], false, src, NULL, MS_BIND, NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0)
			fail_errno(up, "cannot create /dev links");
	mount_in_root(up, dev, "pts", true, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		      "newinstance,ptmxmode=0666,mode=0620,gid=5");
	mount_in_root(up, dev, "shm", true, "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      "mode=1777,size=65536k");
	mount_in_root(up, dev, "mqueue", true, "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      NULL);
	close(dev);
}

/* `tree`: in a user namespace, the root file system as the monitor's helper attached it
 * (idmapped and nodev, sys/userns.h), and the /etc files on their tmpfs (LAUNCH_FD_ETC): no
 * host path is looked up, for container root may not search them.  -1: bind the root file
 * system here, and the /etc files from the state directory. */
static void setup_rootfs(const struct launch *l, int up, int tree)
{
	if (tree >= 0) {
		if (fchdir(tree) < 0)
			fail_errno(up, "cannot enter the root filesystem");
		close(tree);
	} else {
		do_mount(up, l->rootfs, l->rootfs, NULL, MS_BIND | MS_REC, NULL);
		/* the device policy: no device node of the root filesystem (or one that
		 * container root makes with CAP_MKNOD) can be opened; /dev has the few it needs */
		if (mnt_nodev_recursive(l->rootfs) < 0)
			fail(up, 125, "%s", ctr_err_msg());
		if (chdir(l->rootfs) < 0)
			fail_errno(up, "cannot enter the root filesystem");
	}
	int root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		fail_errno(up, "cannot open the root filesystem");
	mount_in_root(up, root, "proc", true, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		      NULL);
	mount_in_root(up, root, "sys", true, "sysfs", "sysfs",
		      MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	setup_dev(up, root);
	static const char *const files[][2] = {
		{ "hosts", "etc/hosts" },
		{ "hostname", "etc/hostname" },
		{ "resolv.conf", "etc/resolv.conf" },
	};
	char src[PATH_MAX];
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		if (tree >= 0)
			snprintf(src, sizeof src, "/proc/self/fd/%d/%s", l->etc_fd, files[i][0]);
		else
			snprintf(src, sizeof src, STATE_PATH "/containers/%s/%s", l->id,
				 files[i][0]);
		mount_in_root(up, root, files[i][1], false, src, NULL, MS_BIND, NULL);
	}
	close(root);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail_errno(up, "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		fail_errno(up, "cannot detach the old root");
	if (chdir("/") < 0)
		fail_errno(up, "chdir /");
}

static void setup_hostfs(const struct launch *l, int up)
{
	do_mount(up, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	do_mount(up, "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	if (access("/dev/shm", F_OK) == 0)
		do_mount(up, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			 "mode=1777,size=65536k");
	if (access("/dev/mqueue", F_OK) == 0)
		do_mount(up, "mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			 NULL);
	bind_etc(l, up, "");
	/* hide the state directory: a container has no business with other containers' files */
	do_mount(up, "tmpfs", STATE_PATH, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
		 "mode=700,size=4k");
}

/* Docker's default (moby daemon/oci_linux.go): every group may open ICMP datagram sockets,
 * so that ping works without CAP_NET_RAW.  Per network namespace: the container's own. */
static void set_net_sysctl(int up, const char *name, const char *value)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/sys/net/%s", name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return; /* a kernel without this protocol */
	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value)) {
		char what[128];
		snprintf(what, sizeof what, "cannot set net.%s", name);
		for (char *p = what; *p; p++)
			if (*p == '/')
				*p = '.';
		fail_errno(up, what);
	}
	close(fd);
}

/* In the container's fresh network namespace, before /proc/sys turns read-only: ping through
 * ICMP datagram sockets for every group (no NET_RAW needed), and no router advertisements
 * taken from other containers (the library sets its routes; eth0, moved in later, takes the
 * namespace's defaults). */
static void net_sysctls(const struct launch *l, int up)
{
	/* in a user namespace, only its groups (the kernel refuses a gid it does not map) */
	char range[32];
	snprintf(range, sizeof range, "0 %u", l->userns ? l->userns_size - 1 : 2147483647u);
	set_net_sysctl(up, "ipv4/ping_group_range", range);
	set_net_sysctl(up, "ipv6/conf/all/accept_ra", "0");
	set_net_sysctl(up, "ipv6/conf/default/accept_ra", "0");
}

/* ---- becoming the container's process ----------------------------------------------------- */

/* A small regular file of the container (its /etc/passwd): a FIFO or a device there is
 * treated as absent, never waited on. */
static char *read_small(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0 && sb.len < (1u << 22))
		sb_addn(&sb, buf, (size_t)n);
	close(fd);
	return sb_finish(&sb);
}

static const char *env_get(char **env, const char *key)
{
	size_t k = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, k) == 0 && env[i][k] == '=')
			return env[i] + k + 1;
	return NULL;
}

static void apply_caps(int up, uint64_t caps, bool bounding)
{
	capng_clear(CAPNG_SELECT_BOTH);
	for (int c = 0; c <= caps_last() && c <= CAP_LAST_CAP; c++)
		if (caps & (1ull << c))
			capng_update(CAPNG_ADD,
				     CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_INHERITABLE |
					     CAPNG_BOUNDING_SET,
				     (unsigned)c);
	if (capng_apply(bounding ? CAPNG_SELECT_BOUNDS : CAPNG_SELECT_CAPS) < 0)
		fail(up, 125, "cannot set capabilities");
}

/* Mark every descriptor from `lowest` on close-on-exec: close_range(2) where the kernel has
 * CLOSE_RANGE_CLOEXEC (5.11), else each one /proc/self/fd lists (the container's own /proc
 * by now: a new PID namespace has it), else every number up to the limit. */
static void cloexec_from(int lowest, int up)
{
	if (syscall(SYS_close_range, (unsigned)lowest, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *de;
		int self = dirfd(d);
		while ((de = readdir(d))) {
			char *end;
			long fd = strtol(de->d_name, &end, 10);
			if (*end || end == de->d_name || fd < lowest || fd == self || fd > INT_MAX)
				continue;
			if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
				fail_errno(up, "cannot mark descriptors close-on-exec");
		}
		closedir(d);
		return;
	}
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > (1 << 20))
		max = 1 << 20;
	for (int fd = lowest; fd < max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void child_exec(const char *user, uint64_t caps, bool unconfined, const struct sock_fprog *prog,
		const char *workdir, char **argv, char **env, int up)
{
	char *passwd = read_small("/etc/passwd"), *group = read_small("/etc/group");
	struct user_ids ids;
	int e = user_resolve(user, passwd, group, &ids);
	free(passwd);
	free(group);
	if (e < 0)
		fail(up, 125, "%s", ctr_err_msg());

	if (!env_get(env, "HOME")) {
		char home[300];
		snprintf(home, sizeof home, "HOME=%s", ids.home);
		if (strv_push(&env, home) < 0)
			fail(up, 125, "out of memory");
	}

	/* The filter first, while we still have CAP_SYS_ADMIN (no no_new_privs needed); what
	 * follows (setgroups, setresuid, capset, prctl, chdir, execve) it allows. */
	if (!unconfined && (prog ? seccomp_load_prog(prog) : seccomp_load_default(caps)) < 0)
		fail(up, 125, "%s", ctr_err_msg());
	/* The bounding set shrinks while we are still root; the other sets after the switch. */
	apply_caps(up, caps, true);
	if (setgroups(ids.n_groups, ids.groups) < 0)
		fail_errno(up, "setgroups");
	if (setresgid(ids.gid, ids.gid, ids.gid) < 0)
		fail_errno(up, "setgid");
	if (setresuid(ids.uid, ids.uid, ids.uid) < 0)
		fail_errno(up, "setuid");
	if (ids.uid == 0)
		apply_caps(up, caps, false);
	/* a change of credentials clears the parent-death signal: set it again, so that a
	 * container of any user dies with its monitor */
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	const char *wd = workdir && *workdir ? workdir : "/";
	if (chdir(wd) < 0)
		fail(up, 125, "cannot change to working directory \"%s\": %s", wd, strerror(errno));

	/* Signals as a fresh process expects them. */
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);

	/* Nothing of ours may leak into the command (up closes on exec: the library's signal). */
	cloexec_from(3, up);
	if (up >= 0 && write(up, "X", 1) != 1)
		_exit(125);

	const char *cmd = argv[0];
	if (strchr(cmd, '/')) {
		execve(cmd, argv, env);
		if (errno == ENOENT)
			fail(up, 127, "exec: \"%s\": stat %s: no such file or directory", cmd, cmd);
		fail(up, 126, "exec: \"%s\": %s", cmd, strerror(errno));
	}
	const char *path = env_get(env, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	int saved = ENOENT;
	for (const char *p = path;;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char full[PATH_MAX];
		if (snprintf(full, sizeof full, "%.*s%s%s", (int)n, p, n ? "/" : "", cmd) <
		    (int)sizeof full) {
			execve(full, argv, env);
			if (errno == EACCES)
				saved = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR)
				fail(up, 126, "exec: \"%s\": %s", cmd, strerror(errno));
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	if (saved == EACCES)
		fail(up, 126, "exec: \"%s\": permission denied", cmd);
	fail(up, 127, "exec: \"%s\": executable file not found in $PATH", cmd);
}

static void wait_go(int down)
{
	char go = 0;
	while (read(down, &go, 1) < 0 && errno == EINTR)
		;
	if (go != 'G')
		_exit(125);
}

void child_init(const struct launch *l, int down, int up)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fcntl(up, F_SETFD, FD_CLOEXEC);
	setsid();
	umask(022);

	/* what needs no network first, while the library makes the veth and the rules */
	int tree = -1;
	if (l->userns) {
		/* the monitor maps our IDs, its helper makes the mounts that need host root and
		 * says so (the root file system's descriptor); until then we are nobody */
		if ((tree = userns_receive_root(l->userns_sock)) < 0)
			fail(up, 125, "%s", ctr_err_msg());
		close(l->userns_sock);
		/* still the host's root (uid 0, unmapped here): become the namespace's */
		if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			fail_errno(up, "cannot become root in the user namespace");
	} else {
		do_mount(up, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
		reopen_state(l, up);
	}
	if (l->etc_fd >= 0 && !l->userns) {
		/* the monitor's tmpfs with the /etc files over our view of containers/<id>/:
		 * what follows binds them from there (sys/mounts.h) */
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, STATE_PATH "/containers/%s", l->id);
		if (mnt_etc_attach(l->etc_fd, dir) < 0)
			fail(up, 125, "%s", ctr_err_msg());
	}
	if (l->rootfs)
		setup_rootfs(l, up, tree);
	else
		setup_hostfs(l, up);
	net_sysctls(l, up);
	if (sethostname(l->hostname, strlen(l->hostname)) < 0)
		fail_errno(up, "sethostname");
	if (l->domainname && setdomainname(l->domainname, strlen(l->domainname)) < 0)
		fail_errno(up, "setdomainname");

	/* then "G": eth0 is there; "N" back when it is configured, and "G" again to run the
	 * command (end of file instead of a "G": the start was given up) */
	wait_go(down);
	/* eth0 may have come before the namespace's defaults were set: its own setting too,
	 * before it is up.  On a network without IPv6, eth0 has none at all (as Docker does):
	 * no link-local address to reach or be reached from another container over, whatever
	 * the firewall filters, and IPv6 frames crafted by a container with NET_RAW are dropped
	 * on arrival. */
	if (l->has_net) {
		set_net_sysctl(up, "ipv6/conf/eth0/accept_ra", "0");
		/* its link-local address from its MAC, the one the port guard lets through */
		if (l->prefixlen6)
			set_net_sysctl(up, "ipv6/conf/eth0/addr_gen_mode", "0");
		if (!l->prefixlen6)
			set_net_sysctl(up, "ipv6/conf/eth0/disable_ipv6", "1");
	}
	setup_network(l, up);
	/* last, /proc/sys turns read-only */
	if (mnt_confine_proc_sys() < 0)
		fail(up, 125, "%s", ctr_err_msg());
	if (write(up, "N\n", 2) != 2)
		_exit(125);
	wait_go(down);
	close(down);
	/* in every cgroup it belongs in (the monitor's byte; end of file if it is gone) */
	if (l->placed_fd >= 0) {
		char b;
		while (read(l->placed_fd, &b, 1) < 0 && errno == EINTR)
			;
		close(l->placed_fd);
	}
	child_exec(l->user, l->caps, l->unconfined, l->seccomp_prog, l->workdir, l->argv, l->env,
		   up);
}
