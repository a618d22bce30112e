/* Cgroups through cgroupfs (see sys/cgroup.h): mkdir, a write of "0" to cgroup.procs (the
 * writer moves itself), rmdir. */
#define _GNU_SOURCE
#include "sys/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/names.h"
#include "core/util.h"

/* The text of a small file (at most len - 1 bytes kept); -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t got = 0;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

void cgroup_mounts(struct cg_mounts *m)
{
	/* 64 KiB (from the heap, not a fresh mapping) holds the mount table of most hosts; a
	 * larger one is read again, whole */
	size_t len = 1 << 16;
	char *buf = malloc(len);
	int n = buf ? read_text("/proc/self/mountinfo", buf, len) : -ENOMEM;
	if (n >= 0 && (size_t)n + 1 >= len) {
		free(buf);
		len = 1 << 20;
		buf = malloc(len);
		n = buf ? read_text("/proc/self/mountinfo", buf, len) : -ENOMEM;
	}
	if (n >= 0)
		cg_mounts_parse(buf, m);
	else
		memset(m, 0, sizeof *m);
	free(buf);
}

/* The hierarchies to use, in order: the unified one, then name=systemd if mounted. */
static size_t hierarchies(const struct cg_mounts *m, const struct cg_mount *out[2])
{
	size_t n = 0;
	if (m->v2.present)
		out[n++] = &m->v2;
	if (m->v2.present && m->systemd.present)
		out[n++] = &m->systemd;
	return n;
}

bool cgroup_usable(const struct cg_mounts *m, char *why, size_t len)
{
	const struct cg_mount *h[2];
	size_t n = hierarchies(m, h);
	if (!n) {
		snprintf(why, len, "no cgroup2 file system at /sys/fs/cgroup or "
				   "/sys/fs/cgroup/unified");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (h[i]->ro || access(h[i]->path, W_OK) < 0) {
			snprintf(why, len, "%s is not writable (%s)", h[i]->path,
				 h[i]->ro ? "read-only" : strerror(errno));
			return false;
		}
	}
	why[0] = '\0';
	return true;
}

/* Write `pid` (0: the writer) to <mount><rel>/cgroup.procs; -errno. */
static int move_pid(const struct cg_mount *h, const char *rel, pid_t pid)
{
	char path[CG_PATH_MAX + CG_REL_MAX + 16], num[24];
	snprintf(path, sizeof path, "%s%s/cgroup.procs", h->path, rel);
	int n = snprintf(num, sizeof num, "%d", (int)pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int e = write(fd, num, (size_t)n) == n ? 0 : -errno;
	close(fd);
	return e;
}

/* mkdir -p <mount><rel>; -errno. */
static int make_path(const struct cg_mount *h, const char *rel)
{
	char path[CG_PATH_MAX + CG_REL_MAX];
	int n = snprintf(path, sizeof path, "%s%s", h->path, rel);
	for (int i = (int)strlen(h->path) + 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		int e = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
		path[i] = c;
		if (e < 0)
			return e;
	}
	return 0;
}

/* mkdir -p <mount><rel>, then `pid` (0: the writer) into it; -errno.  Another process (a
 * monitor leaving the parent it was the last of, a gc) may remove an empty cgroup between
 * the mkdir and the write: the open then fails (ENOENT), or the write finds it dead
 * (ENODEV); make it again. */
static int make_and_move(const struct cg_mount *h, const char *rel, pid_t pid)
{
	int e = 0;
	for (int attempt = 0; attempt < 5; attempt++) {
		if ((e = make_path(h, rel)) == 0)
			e = move_pid(h, rel, pid);
		if (e != -ENOENT && e != -ENODEV)
			break;
	}
	return e;
}

int cgroup_open_v2(const struct cg_mounts *m, const char *rel, bool make)
{
	if (!m->v2.present)
		return -ENODEV;
	int e = make ? make_path(&m->v2, rel) : 0;
	if (e < 0)
		return e;
	char path[CG_PATH_MAX + CG_REL_MAX];
	snprintf(path, sizeof path, "%s%s", m->v2.path, rel);
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int cgroup_move(const struct cg_mounts *m, const char *rel, pid_t pid, bool v1_only)
{
	const struct cg_mount *h[2];
	size_t n = hierarchies(m, h);
	for (size_t i = 0; i < n; i++) {
		if (v1_only && h[i] != &m->systemd)
			continue;
		int e = make_and_move(h[i], rel, pid);
		if (e < 0)
			return ctr_err_sys(e, "cannot move the container into the cgroup %s%s",
					   h[i]->path, rel);
	}
	return 0;
}

int cgroup_enter(const struct cg_mounts *m, const char *rel)
{
	if (!m->v2.present)
		return ctr_err(-ENODEV, "no cgroup2 file system at /sys/fs/cgroup or "
					"/sys/fs/cgroup/unified");
	char self[8192], was[CG_PATH_MAX];
	if (read_text("/proc/self/cgroup", self, sizeof self) >= 0 &&
	    cg_proc_path(self, false, was, sizeof was) == 0 && strcmp(was, rel) == 0)
		return 0; /* born in it (clone3 into cgroup_open_v2()): a move only costs time */
	int e = make_and_move(&m->v2, rel, 0);
	return e < 0 ? ctr_err_sys(e, "cannot move the container into the cgroup %s%s", m->v2.path,
				   rel)
		     : 0;
}

void cgroup_join(const struct cg_mounts *m, const char *rel)
{
	const struct cg_mount *h[2];
	size_t n = hierarchies(m, h);
	for (size_t i = 0; i < n; i++)
		move_pid(h[i], rel, 0);
}

void cgroup_leave(const struct cg_mounts *m)
{
	cgroup_join(m, "");
}

/* rmdir of `name` in `dfd` and of every cgroup under it, depth first; -errno of the last. */
static int rm_tree(int dfd, const char *name, int depth)
{
	int fd = depth < 16 ? openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
			    : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d && fd >= 0)
		close(fd);
	for (struct dirent *de; d && (de = readdir(d));)
		if (de->d_type == DT_DIR && strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rm_tree(dirfd(d), de->d_name, depth + 1);
	if (d)
		closedir(d);
	return unlinkat(dfd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

static bool has_procs(const struct cg_mount *h, const char *rel)
{
	char path[CG_PATH_MAX + CG_REL_MAX + 16], buf[64];
	snprintf(path, sizeof path, "%s%s/cgroup.procs", h->path, rel);
	int n = read_text(path, buf, sizeof buf);
	for (int i = 0; i < n; i++)
		if (buf[i] >= '0' && buf[i] <= '9')
			return true;
	return false;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cgroup_remove(const struct cg_mounts *m, const char *rel, const char *parent, int wait_ms,
		  bool until_used)
{
	const struct cg_mount *h[2];
	size_t n = hierarchies(m, h);
	int result = 0;
	for (size_t i = 0; i < n; i++) {
		int top = open(h[i]->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (top < 0)
			continue;
		long slept = 0;
		int e = 0;
		/* every millisecond: the last process leaves within a few (a move between cgroups
		 * waits for an RCU grace period), and each try is a few system calls */
		while (rel && (e = rm_tree(top, rel + 1, 0)) == -EBUSY && slept < wait_ms &&
		       !(until_used && has_procs(h[i], rel))) {
			sleep_ms(1);
			slept += 1;
		}
		if (e == -EBUSY)
			result = -EBUSY;
		if (parent && unlinkat(top, parent, AT_REMOVEDIR) == 0)
			unlinkat(top, "ctrlink", AT_REMOVEDIR); /* others' may be there: fine */
		close(top);
	}
	return result;
}

int cgroup_children(const struct cg_mounts *m, const char *parent, char ***out)
{
	const struct cg_mount *h[2];
	size_t n = hierarchies(m, h);
	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		char path[CG_PATH_MAX + CG_REL_MAX];
		snprintf(path, sizeof path, "%s/%s", h[i]->path, parent);
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		if (!d && fd >= 0)
			close(fd);
		for (struct dirent *de; d && (de = readdir(d));)
			if (de->d_type == DT_DIR && id_valid(de->d_name, SIZE_MAX) &&
			    !strv_has(*out, de->d_name) && strv_push(out, de->d_name) < 0) {
				closedir(d);
				strv_free(*out);
				*out = NULL;
				return -ENOMEM;
			}
		if (d)
			closedir(d);
	}
	return 0;
}
