/* ctr-monitor: the helper program the library runs for each started container (and for each
 * exec).  It is a separate, single-threaded program so that the container's setup never runs
 * inside the caller's (possibly multi-threaded, possibly large) process, and so that the
 * long-lived monitor holds none of the caller's memory or descriptors.
 *
 *   ctr-monitor start   double-forks; the monitor clones the container's init into new
 *                       namespaces, collects its output into the log, reaps it, records its
 *                       exit and tears its network down (see launch.h for the descriptors).
 *   ctr-monitor exec    enters a running container's namespaces, runs one command, and exits
 *                       with its exit code.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sys/cgroup.h"
#include "sys/child.h"
#include "ops/internal.h"
#include "core/launch.h"
#include "core/logopt.h"
#include "sys/mounts.h"
#include "sys/proc.h"
#include "sys/seccomp.h"
#include "sys/userns.h"

static int read_full(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* "<len>\n<json>" from fd */
static int read_spec(int fd, struct launch *l)
{
	char head[24];
	size_t i = 0;
	while (i < sizeof head - 1) {
		if (read_full(fd, head + i, 1) < 0)
			return -1;
		if (head[i] == '\n')
			break;
		i++;
	}
	head[i] = '\0';
	unsigned long len;
	if (parse_uint(head, 1, 64u << 20, &len) < 0)
		return -1;
	char *buf = malloc(len);
	if (!buf || read_full(fd, buf, len) < 0) {
		free(buf);
		return -1;
	}
	int e = launch_from_json(buf, len, l);
	free(buf);
	return e;
}

static int exit_code_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

/* ---- log collection ----------------------------------------------------------------------- */

struct stream {
	int fd;          /* read end of the container's pipe, -1 when closed */
	int copy_fd;     /* caller's descriptor when attached, else -1 */
	const char *name;
	struct sbuf line; /* partial line */
};

/* The log: log.json, rotated by the container's max-size and max-file (core/logopt.h) as
 * Docker's json-file driver does (moby daemon/logger/loggerutils/logfile.go): when the next
 * line would take log.json past max-size, log.json.<n-1> goes, each log.json.<k> becomes
 * log.json.<k+1> and log.json becomes log.json.1; with one file, log.json is emptied.  A
 * reader (ctr_logs) takes a shared flock on the container's directory while it opens the
 * files, the rotation an exclusive one, so that a reader sees a whole set. */
struct logf {
	int dir;          /* containers/<id>, O_DIRECTORY; -1: no log */
	int fd;           /* log.json, append; -1: none */
	off_t size;       /* its size */
	uint64_t max_size; /* 0: no limit */
	int max_file;
};

static void log_open(struct logf *lf)
{
	lf->fd = openat(lf->dir, "log.json", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
			0600);
	struct stat sb;
	lf->size = lf->fd >= 0 && fstat(lf->fd, &sb) == 0 ? sb.st_size : 0;
}

static void log_rotate(struct logf *lf)
{
	flock(lf->dir, LOCK_EX);
	if (lf->max_file < 2) {
		if (ftruncate(lf->fd, 0) == 0)
			lf->size = 0;
		flock(lf->dir, LOCK_UN);
		return;
	}
	char from[LOG_FILE_NAME_MAX], to[LOG_FILE_NAME_MAX];
	log_file_name(lf->max_file - 1, to);
	unlinkat(lf->dir, to, 0);
	for (int k = lf->max_file - 2; k >= 0; k--) {
		log_file_name(k, from);
		log_file_name(k + 1, to);
		renameat(lf->dir, from, lf->dir, to); /* a missing one (few rotations yet) is fine */
	}
	close(lf->fd);
	log_open(lf);
	flock(lf->dir, LOCK_UN);
}

static void log_line(struct logf *lf, const struct stream *s, const char *text, size_t len)
{
	if (lf->fd < 0)
		return;
	char ts[40];
	time_format(now_ns(), ts, sizeof ts);
	char *copy = strndup(text, len);
	cJSON *o = cJSON_CreateObject();
	char *out = NULL;
	if (copy && o && cJSON_AddStringToObject(o, "log", copy) &&
	    cJSON_AddStringToObject(o, "stream", s->name) && cJSON_AddStringToObject(o, "time", ts))
		out = cJSON_PrintUnformatted(o);
	if (out) {
		size_t n = strlen(out);
		out[n] = '\n'; /* replaces the NUL: write n + 1 bytes */
		if (lf->max_size && lf->size > 0 && (uint64_t)lf->size + n + 1 > lf->max_size)
			log_rotate(lf);
		if (lf->fd >= 0) {
			if (write_full(lf->fd, out, n + 1) == 0)
				lf->size += (off_t)(n + 1);
			else if (ftruncate(lf->fd, lf->size) < 0) /* no half line (a full disk) */
				lf->size = lseek(lf->fd, 0, SEEK_END);
		}
		free(out);
	}
	cJSON_Delete(o);
	free(copy);
}

/* Read what is there; returns false at end of file. */
static bool pump(struct stream *s, struct logf *lf)
{
	char buf[16384];
	ssize_t n = read(s->fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0) {
		if (s->line.len)
			log_line(lf, s, sb_str(&s->line), s->line.len);
		sb_free(&s->line);
		close(s->fd);
		s->fd = -1;
		return false;
	}
	if (s->copy_fd >= 0)
		write_full(s->copy_fd, buf, (size_t)n);
	sb_addn(&s->line, buf, (size_t)n);
	/* emit complete lines; very long lines in 16 KiB pieces, as Docker does */
	size_t start = 0;
	for (size_t i = 0; i < s->line.len; i++)
		if (s->line.s[i] == '\n' || i - start + 1 >= 16384) {
			log_line(lf, s, s->line.s + start, i - start + 1);
			start = i + 1;
		}
	if (start) {
		size_t rest = s->line.len - start;
		memmove(s->line.s, s->line.s + start, rest);
		s->line.len = rest;
		s->line.s[rest] = '\0';
	}
	return true;
}

/* ---- the /etc files ----------------------------------------------------------------------- */

/* Copy the state directory's `name` (in `dir`, containers/<id>) into the tmpfs `etc`. */
static int etc_copy(int dir, int etc, const char *name)
{
	int in = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int out = openat(etc, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	int e = in < 0 || out < 0 || fchmod(out, 0644) < 0 ? -1 : 0;
	for (char buf[16384]; !e;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -1 : 0;
			break;
		}
		e = write_full(out, buf, (size_t)n);
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return e;
}

/* The container's hosts, hostname and resolv.conf on a tmpfs of their own (sys/mounts.h),
 * held as LAUNCH_FD_ETC for the container's life; -1 without one (a kernel without the new
 * mount API: the state directory's files are bound, as before). */
static int etc_make(int dir, const struct launch *l)
{
	int m = dir >= 0 ? mnt_etc_tmpfs() : -1;
	if (m < 0)
		return -1;
	static const char *const names[] = { "hosts", "hostname", "resolv.conf" };
	int e = 0;
	for (size_t i = 0; !e && i < ARRAY_SIZE(names); i++) {
		e = etc_copy(dir, m, names[i]);
		/* container root's, as they are without a user namespace */
		if (!e && l->userns &&
		    fchownat(m, names[i], l->userns_uid, l->userns_gid, AT_SYMLINK_NOFOLLOW) < 0)
			e = -1;
	}
	if (!e && dup3(m, LAUNCH_FD_ETC, O_CLOEXEC) != LAUNCH_FD_ETC)
		e = -1;
	close(m);
	return e ? -1 : LAUNCH_FD_ETC;
}

/* ---- start -------------------------------------------------------------------------------- */

/* SIGUSR1: whoever changed the record (a stop, a start, a removal) says a restart that waits
 * is off; the wait ends early. */
static volatile sig_atomic_t kicked;

static void on_kick(int sig)
{
	(void)sig;
	kicked = 1;
}

/* The restart policy's restart: wait (a kick ends the wait), then start the next run if the
 * record still asks for it.  The new run has a monitor of its own; this one then ends. */
static void policy_restart(ctr_ctx *ctx, const struct launch *l, unsigned delay_ms)
{
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	sigdelset(&old, SIGUSR1);
	int64_t until = now_ns() + (int64_t)delay_ms * 1000000;
	for (int64_t left; !kicked && (left = until - now_ns()) > 0;) {
		struct timespec ts = { (time_t)(left / 1000000000), (long)(left % 1000000000) };
		ppoll(NULL, 0, &ts, &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* the program to run for the next run's monitor is this one */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0 || !ctx)
		return;
	self[n] = '\0';
	free(ctx->helper);
	if (!(ctx->helper = strdup(self)))
		return;
	run_policy_restart(ctx, l->id, l->generation);
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* clone3(2)'s arguments, as far as the cgroup (Linux 5.7) */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

/* clone3(2) without CLONE_VM (the child runs on a copy of our stack, as after fork), into the
 * cgroup2 cgroup `cgfd` (-1: where we are); -1 with errno. */
static pid_t clone_into(uint64_t flags, int cgfd)
{
	struct clone_args_v2 a = { .flags = flags | (cgfd >= 0 ? CLONE_INTO_CGROUP : 0),
				   .exit_signal = SIGCHLD, .cgroup = cgfd >= 0 ? (uint64_t)cgfd : 0 };
	return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

/* The default seccomp filter of the container's profile, compiled once per state directory
 * (LAUNCH_FD_STATE) and kept there (sys/seccomp.h); NULL: unconfined, or the state directory
 * not at hand (the command's init then compiles it).  Static: one per monitor, reachable
 * whatever path the monitor leaves by. */
static const struct sock_fprog *kept_filter(const struct launch *l)
{
	static struct sock_fprog prog;
	if (l->unconfined || fcntl(LAUNCH_FD_STATE, F_GETFD) < 0)
		return NULL;
	int e = seccomp_default_prog(LAUNCH_FD_STATE, l->caps, &prog);
	ctr_err_clear();
	return e == 0 ? &prog : NULL;
}

/* The orphaning fork, its child born in the cgroup2 parent of the container's cgroup `rel`
 * (from our arguments; NULL: none) where the kernel can: no move, whose RCU grace period a
 * start would wait for.  Else a plain fork (cgroup_enter() then moves). */
static pid_t fork_into_parent(const char *rel)
{
	char parent[CG_REL_MAX];
	int fd = -1;
	if (cg_container_parent(rel, parent)) {
		struct cg_mounts m;
		cgroup_mounts(&m);
		fd = cgroup_open_v2(&m, parent, true);
	}
	pid_t p = -1;
	if (fd >= 0) {
		p = clone_into(0, fd);
		close(fd);
	}
	ctr_err_clear();
	return p >= 0 ? p : fork();
}

static int monitor_start(const char *cgroup)
{
	/* First fork: the library reaps this process at once; the monitor is orphaned to init
	 * (or the caller's subreaper) and outlives the caller. */
	pid_t p = fork_into_parent(cgroup);
	if (p < 0)
		return 125;
	if (p > 0)
		_exit(0);
	setsid();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	/* nothing of the caller's process stays with the monitor: not its working directory
	 * (which it would keep busy, on a file system that then cannot be unmounted), not its
	 * umask (the container's is 022, as with runc and crun) */
	if (chdir("/") < 0)
		return 125;
	umask(022);

	struct launch l;
	if (read_spec(LAUNCH_FD_DOWN, &l) < 0) {
		write_full(LAUNCH_FD_UP, "E 125 monitor: bad launch spec", 30);
		return 125;
	}
	bool want_exit = fcntl(LAUNCH_FD_EXIT, F_GETFD) >= 0;

	/* Cgroups outside the caller's (a caller's cgroup that is killed whole, as systemd stops
	 * a unit, does not take the container with it): the monitor in the state directory's
	 * parent cgroup (born there on cgroup2, moved on v1), the container in a cgroup of its
	 * own that the init is born in (clone3), so that no process moves on cgroup2 and the
	 * container's cgroup is empty, and can go, as soon as the container is dead.  Where
	 * there is no writable cgroupfs, the container stays in the caller's, as before. */
	struct cg_mounts cgm;
	cgroup_mounts(&cgm);
	char cg_parent[CG_REL_MAX];
	bool in_cg = cg_container_parent(l.cgroup, cg_parent) && cgroup_enter(&cgm, cg_parent) == 0;
	int cgfd = in_cg ? cgroup_open_v2(&cgm, l.cgroup, true) : -1;
	ctr_err_clear();

	char path[4096];
	snprintf(path, sizeof path, "containers/%s", l.id);
	struct logf lf = { openat(LAUNCH_FD_STATE, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
							       O_NOFOLLOW), -1, 0,
			   l.log_max_size, l.log_max_file };
	if (lf.dir >= 0)
		log_open(&lf);
	/* held while the run lasts: a stop waits for it to close (store_run_hold()) */
	int run_fifo = lf.dir >= 0 ? store_run_hold(lf.dir) : -1;

	l.etc_fd = etc_make(lf.dir, &l);
	l.seccomp_prog = kept_filter(&l);

	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		write_full(LAUNCH_FD_UP, "E 125 monitor: pipe failed", 26);
		return 125;
	}

	/* with a user namespace, the others are made in it (they belong to it: container root's
	 * capabilities work on them); the init waits on `us` for its maps and mounts */
	int us[2] = { -1, -1 };
	if (l.userns && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, us) < 0) {
		write_full(LAUNCH_FD_UP, "E 125 monitor: socketpair failed", 32);
		return 125;
	}
	/* the moves that no clone flag spares (below) are made after "P", beside the caller's
	 * network work; the init waits for this pipe's byte before its exec */
	int placed[2] = { -1, -1 };
	if (in_cg && pipe2(placed, O_CLOEXEC) < 0) {
		write_full(LAUNCH_FD_UP, "E 125 monitor: pipe failed", 26);
		return 125;
	}
	uint64_t ns = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		      (l.userns ? CLONE_NEWUSER : 0);
	pid_t c = cgfd >= 0 ? clone_into(ns, cgfd) : -1;
	bool born_in = c >= 0;
	if (c < 0)
		c = (pid_t)syscall(SYS_clone, ns | SIGCHLD, NULL, NULL, NULL, NULL);
	if (cgfd >= 0)
		close(cgfd);
	if (c < 0) {
		char msg[128];
		int n = snprintf(msg, sizeof msg, "E 125 cannot create the namespaces: %s%s",
				 strerror(errno),
				 l.userns && (errno == ENOSPC || errno == EPERM)
					 ? " (a user namespace: see user.max_user_namespaces)"
					 : "");
		write_full(LAUNCH_FD_UP, msg, (size_t)n);
		return 125;
	}
	if (c == 0) {
		if (dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
			_exit(125);
		if (l.userns) {
			close(us[0]);
			l.userns_sock = us[1];
		}
		if (in_cg) {
			close(placed[1]);
			l.placed_fd = placed[0];
		}
		child_init(&l, LAUNCH_FD_DOWN, LAUNCH_FD_UP);
	}

	close(out[1]);
	close(err[1]);
	close(LAUNCH_FD_DOWN);
	if (in_cg)
		close(placed[0]);
	struct sigaction kick = { .sa_handler = on_kick };
	sigemptyset(&kick.sa_mask);
	sigaction(SIGUSR1, &kick, NULL);
	uint64_t cstart = 0, mstart = 0;
	proc_start_time(c, &cstart);
	proc_start_time(getpid(), &mstart);
	char msg[128];
	int n = snprintf(msg, sizeof msg, "P %d %llu %d %llu %d\n", (int)c,
			 (unsigned long long)cstart, (int)getpid(), (unsigned long long)mstart,
			 in_cg ? 1 : 0);
	write_full(LAUNCH_FD_UP, msg, (size_t)n);
	close(LAUNCH_FD_UP);
	/* after "P": what goes wrong from here on the init reports, after it */
	if (l.userns) {
		close(us[1]);
		userns_setup(c, &l, us[0]);
		close(us[0]);
	}
	/* the moves clone3 could not spare: into the v1 name=systemd hierarchy (us into the
	 * parent, the init into its own), or into every one on a kernel without clone3 into a
	 * cgroup.  Each waits for an RCU grace period, now while the caller attaches the
	 * network, not before "P"; the init waits for the byte before its exec, so that nothing
	 * of the container forks outside its cgroups */
	if (in_cg) {
		cgroup_move(&cgm, cg_parent, 0, true);
		cgroup_move(&cgm, l.cgroup, c, born_in);
		ctr_err_clear();
		write_full(placed[1], "M", 1);
		close(placed[1]);
	}
	int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd >= 0) {
		dup2(nullfd, 0);
		close(nullfd);
	}

	struct stream s[2] = {
		{ out[0], l.attached ? 1 : -1, "stdout", SBUF_INIT },
		{ err[0], l.attached ? 2 : -1, "stderr", SBUF_INIT },
	};
	int pidfd = (int)syscall(SYS_pidfd_open, c, 0);
	int status = 0;
	bool exited = false;
	int64_t drain_until = 0;
	while (!exited || s[0].fd >= 0 || s[1].fd >= 0) {
		struct pollfd pf[3] = {
			{ s[0].fd, POLLIN, 0 },
			{ s[1].fd, POLLIN, 0 },
			{ exited ? -1 : pidfd, POLLIN, 0 },
		};
		int timeout = -1;
		if (exited) {
			int64_t left = (drain_until - now_ns()) / 1000000;
			if (left <= 0)
				break;
			timeout = (int)left;
		} else if (pidfd < 0) {
			timeout = 100; /* no pidfd: poll for the exit */
		}
		int r = poll(pf, 3, timeout);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (s[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				pump(&s[i], &lf);
		if (!exited && waitpid(c, &status, WNOHANG) == c) {
			exited = true;
			/* the kernel kills the rest of the namespace; its output ends soon */
			drain_until = now_ns() + 2000000000LL;
		}
	}
	for (int i = 0; i < 2; i++)
		if (s[i].fd >= 0) {
			close(s[i].fd);
			sb_free(&s[i].line);
		}
	if (lf.fd >= 0)
		close(lf.fd);
	if (lf.dir >= 0)
		close(lf.dir);
	if (pidfd >= 0)
		close(pidfd);

	char veth_left[16] = "";

	int code = exit_code_of(status);
	unsigned restart_ms = 0;
	ctr_ctx *ctx = NULL;
	if (ctx_open_state(&ctx, l.state_dir, LAUNCH_FD_STATE) == 0) {
		struct op op;
		if (op_begin(&op, ctx) == 0) {
			/* every process of the container is gone: its network namespace goes, and
			 * the veth with it; deleted here only after the lock and the record */
			op.defer_veth = true;
			op_end(&op, run_exit(&op, l.id, l.generation, code, &restart_ms));
			snprintf(veth_left, sizeof veth_left, "%s", op.veth_left);
		}
	}
	if (run_fifo >= 0)
		close(run_fifo); /* the end is recorded */
	net_veth_del(veth_left);
	if (want_exit) {
		n = snprintf(msg, sizeof msg, "%d\n", code);
		write_full(LAUNCH_FD_EXIT, msg, (size_t)n);
		close(LAUNCH_FD_EXIT);
	}
	/* the container's cgroup, empty since its processes are dead (after the lock and the
	 * journal are done with; a next run that the policy starts makes it again) */
	if (in_cg)
		cgroup_remove(&cgm, l.cgroup, NULL, 1000, true);
	if (restart_ms)
		policy_restart(ctx, &l, restart_ms);
	if (in_cg) {
		/* out of the parent, and the parent with us if we were its last (a move: one RCU
		 * grace period, which nobody waits for now) */
		cgroup_leave(&cgm);
		cgroup_remove(&cgm, NULL, cg_parent + 1, 0, false);
	}
	/* last: closing a netfilter socket after deletions waits for the kernel's nf_tables
	 * destroy work (an RCU grace period); a stop or rm waits for run_fifo's close, not
	 * for this (await_recorded() in ops/run.c) */
	ctr_ctx_close(ctx);
	launch_free(&l);
	return 0;
}

/* ---- exec --------------------------------------------------------------------------------- */

static volatile pid_t exec_child;

static void forward_signal(int sig)
{
	int saved = errno;
	if (exec_child > 0)
		kill(exec_child, sig);
	errno = saved;
}

static int monitor_exec(void)
{
	struct launch l;
	if (read_spec(LAUNCH_FD_DOWN, &l) < 0) {
		write_full(LAUNCH_FD_UP, "E 125 monitor: bad exec spec", 28);
		return 125;
	}
	close(LAUNCH_FD_DOWN);
	/* the compiled filter, from the state directory, which is closed before we go in */
	const struct sock_fprog *have = kept_filter(&l);
	close(LAUNCH_FD_STATE);
	/* The command is born in the container's cgroup (clone3 into a descriptor opened here,
	 * before the container's mount namespace, whose view of cgroupfs is not ours): no move
	 * on cgroup2, whose RCU grace period an exec would wait for.  On the v1 name=systemd
	 * hierarchy, and without cgroup2, we move into it first and the command inherits it. */
	int cgfd = -1;
	if (l.cgroup) {
		struct cg_mounts cgm;
		cgroup_mounts(&cgm);
		cgfd = cgroup_open_v2(&cgm, l.cgroup, false);
		if (cgfd >= 0)
			cgroup_move(&cgm, l.cgroup, 0, true);
		else
			cgroup_join(&cgm, l.cgroup);
		ctr_err_clear();
	}
	struct proc target;
	if (proc_open(l.target_pid, l.target_start, &target) < 0) {
		write_full(LAUNCH_FD_UP, "E 125 the container is not running", 34);
		return 125;
	}
	/* Join the container's namespaces.  Its user namespace (if it has one) first: the others
	 * belong to it.  The mount namespace last but one: entering it moves us to its root; the
	 * PID namespace applies to our child. */
	static const char *const ns[] = { "user", "ipc", "uts", "net", "pid", "mnt" };
	int nsfd[ARRAY_SIZE(ns)] = { 0 }, nserr[ARRAY_SIZE(ns)] = { 0 };
	/* all opened first: once in its user namespace we are no longer host root */
	for (size_t i = l.userns ? 0 : 1; i < ARRAY_SIZE(ns); i++) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/ns/%s", l.target_pid, ns[i]);
		nsfd[i] = open(path, O_RDONLY | O_CLOEXEC);
		nserr[i] = errno;
	}
	for (size_t i = l.userns ? 0 : 1; i < ARRAY_SIZE(ns); i++) {
		int fd = nsfd[i];
		errno = nserr[i];
		if (fd < 0 || setns(fd, 0) < 0) {
			char msg[160];
			int n = snprintf(msg, sizeof msg, "E 125 cannot enter the container's %s namespace: %s",
					 ns[i], strerror(errno));
			write_full(LAUNCH_FD_UP, msg, (size_t)n);
			return 125;
		}
		close(fd);
	}
	umask(022);
	/* the signals a terminal or a supervisor sends us go on to the command (which, in a
	 * session of its own, gets none from the caller's terminal); set before the fork so that
	 * none is lost in between */
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { .sa_handler = forward_signal };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&sa.sa_mask, fwd[i]);
	sigset_t old;
	sigprocmask(SIG_BLOCK, &sa.sa_mask, &old);
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaction(fwd[i], &sa, NULL);
	pid_t c = cgfd >= 0 ? clone_into(0, cgfd) : -1;
	if (c < 0) /* clone3 refused (before Linux 5.7): not in the container's cgroup2 cgroup */
		c = fork();
	if (c < 0)
		return 125;
	if (cgfd >= 0 && c > 0)
		close(cgfd);
	if (c == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
			signal(fwd[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* A session of its own, without a controlling terminal: the command cannot push
		 * keystrokes into the caller's terminal (TIOCSTI) or take it over. */
		setsid();
		fcntl(LAUNCH_FD_UP, F_SETFD, FD_CLOEXEC);
		child_exec(l.user, l.caps, l.unconfined, have, l.workdir, l.argv, l.env, LAUNCH_FD_UP);
	}
	exec_child = c;
	sigprocmask(SIG_SETMASK, &old, NULL);
	int status;
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	/* the exit code goes up the channel: the caller may not be able to wait for us (a caller
	 * that ignores SIGCHLD has its children reaped by the kernel) */
	char msg[32];
	int n = snprintf(msg, sizeof msg, "C %d\n", exit_code_of(status));
	write_full(LAUNCH_FD_UP, msg, (size_t)n);
	close(LAUNCH_FD_UP);
	launch_free(&l);
	/* _exit: having joined another PID namespace, exit-time hooks that clone (a leak
	 * checker's stop-the-world) would find themselves in the container's namespace */
	_exit(exit_code_of(status));
}

int main(int argc, char **argv)
{
#ifdef CTR_FAULT_INJECTION
	/* the monitor counts its own fault points (the caller's count is not ours) */
	const char *mf = getenv("CTRLINK_FAULT_MONITOR");
	if (mf)
		setenv("CTRLINK_FAULT", mf, 1);
	else
		unsetenv("CTRLINK_FAULT");
#endif
	if ((argc == 2 || argc == 3) && strcmp(argv[1], "start") == 0)
		return monitor_start(argc == 3 ? argv[2] : NULL);
	if (argc == 2 && strcmp(argv[1], "exec") == 0)
		return monitor_exec();
	static const char usage[] = "ctr-monitor is run by libcontainer-link; it takes no "
				    "options of yours.\n";
	write_full(2, usage, sizeof usage - 1);
	return 2;
}
