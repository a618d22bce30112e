#define _GNU_SOURCE
#include "sys/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdint.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <unistd.h>

#define PATH_MAX_ 4096

#include "core/util.h"

/* <sys/mount.h> and <linux/mount.h> clash; only the flags we use, from the former. */
#ifndef MS_RDONLY
#define MS_RDONLY 1
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_REMOUNT 32
#define MS_NOATIME 1024
#define MS_NODIRATIME 2048
#define MS_BIND 4096
#define MS_REC 16384
#define MS_RELATIME (1 << 21)
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

int mount(const char *source, const char *target, const char *type, unsigned long flags,
	  const void *data);

/* The per-mount flags a bind remount must repeat (it replaces all of them). */
static unsigned long current_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

int mnt_readonly(const char *path)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
		if (errno == ENOENT)
			return 0;
		return ctr_err_sys(-errno, "cannot bind %s", path);
	}
	unsigned long f = current_flags(path) | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | f, NULL) < 0)
		return ctr_err_sys(-errno, "cannot make %s read-only", path);
	return 0;
}

int mnt_mask(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : ctr_err_sys(-errno, "cannot mask %s", path);
	int r = S_ISDIR(st.st_mode)
			? mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				"size=0,mode=0555")
			: mount("/dev/null", path, NULL, MS_BIND, NULL);
	if (r < 0)
		return ctr_err_sys(-errno, "cannot mask %s", path);
	return 0;
}

int mnt_nodev_recursive(const char *path)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NODEV };
	if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a, sizeof a) == 0)
		return 0;
	if (errno != ENOSYS)
		return ctr_err_sys(-errno, "cannot make %s nodev", path);
	/* before Linux 5.12: the top mount only */
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | current_flags(path) | MS_NODEV, NULL) < 0)
		return ctr_err_sys(-errno, "cannot make %s nodev", path);
	return 0;
}

int mnt_confine_proc_sys(void)
{
	/* moby oci/defaults.go DefaultLinuxSpec(): MaskedPaths and ReadonlyPaths */
	static const char *const masked[] = {
		"/proc/asound",      "/proc/acpi",        "/proc/kcore",
		"/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware",     "/sys/devices/virtual/powercap",
	};
	static const char *const readonly[] = {
		"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	};
	int e;
	for (size_t i = 0; i < ARRAY_SIZE(masked); i++)
		if ((e = mnt_mask(masked[i])) < 0)
			return e;
	for (size_t i = 0; i < ARRAY_SIZE(readonly); i++)
		if ((e = mnt_readonly(readonly[i])) < 0)
			return e;
	return 0;
}

/* ---- paths inside the container's root ---------------------------------------------------- */

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct open_how_ {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS_ 0x02
#define RESOLVE_IN_ROOT_ 0x10

/* Before openat2(2): one component at a time, refusing every symbolic link. */
static int open_nofollow_walk(int rootfd, const char *path)
{
	char buf[PATH_MAX_];
	if (strlen(path) >= sizeof buf)
		return -ENAMETOOLONG;
	strcpy(buf, path);
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	char *save = NULL;
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0) {
			close(fd);
			return -EXDEV;
		}
		int next = openat(fd, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		int e = -errno;
		close(fd);
		if (next < 0)
			return e;
		struct stat st;
		if (fstat(next, &st) == 0 && S_ISLNK(st.st_mode)) {
			close(next);
			return -ELOOP;
		}
		fd = next;
	}
	return fd;
}

static int open_in_root(int rootfd, const char *path)
{
	struct open_how_ how = { O_PATH | O_CLOEXEC, 0,
				 RESOLVE_IN_ROOT_ | RESOLVE_NO_MAGICLINKS_ };
	long fd;
	do
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
	while (fd < 0 && errno == EAGAIN);
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS)
		return open_nofollow_walk(rootfd, path);
	return -errno;
}

static int root_open_depth(int rootfd, const char *path, bool dir, bool create, int depth)
{
	if (depth > 16)
		return ctr_err(-ELOOP, "/%s: too many levels of symbolic links", path);
	int fd = open_in_root(rootfd, path);
	if (fd == -ENOENT && create) {
		/* the parent first, then the missing last component */
		char parent[PATH_MAX_];
		const char *slash = strrchr(path, '/');
		const char *name = slash ? slash + 1 : path;
		size_t plen = slash ? (size_t)(slash - path) : 0;
		if (plen >= sizeof parent || !*name)
			return ctr_err(-EINVAL, "/%s: not a usable path", path);
		memcpy(parent, path, plen);
		parent[plen] = '\0';
		int pfd;
		if (plen) {
			if ((pfd = root_open_depth(rootfd, parent, true, true, depth + 1)) < 0)
				return pfd;
		} else if ((pfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) < 0) {
			return ctr_err_sys(-errno, "/%s", path);
		}
		struct stat st;
		if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
			/* a link to nothing: make its target, inside the root */
			char target[PATH_MAX_], next[PATH_MAX_];
			ssize_t n = readlinkat(pfd, name, target, sizeof target - 1);
			close(pfd);
			if (n <= 0)
				return ctr_err_sys(n < 0 ? -errno : -ENOENT, "/%s", path);
			target[n] = '\0';
			if (target[0] == '/')
				snprintf(next, sizeof next, "%s", target + 1);
			else if ((size_t)snprintf(next, sizeof next, "%s%s%s", parent, plen ? "/" : "",
						  target) >= sizeof next)
				return ctr_err(-ENAMETOOLONG, "/%s: target too long", path);
			return root_open_depth(rootfd, next, dir, true, depth + 1);
		}
		int r;
		if (dir)
			r = mkdirat(pfd, name, 0755);
		else {
			r = openat(pfd, name,
				   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
				   0644);
			if (r >= 0)
				close(r);
		}
		int e = errno;
		close(pfd);
		if (r < 0 && e != EEXIST)
			return ctr_err_sys(-e, "cannot create /%s", path);
		fd = open_in_root(rootfd, path);
	}
	if (fd < 0)
		return ctr_err_sys(fd, "/%s in the root filesystem", path);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = -errno;
		close(fd);
		return ctr_err_sys(e, "/%s in the root filesystem", path);
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		close(fd);
		return ctr_err(dir ? -ENOTDIR : -EINVAL,
			       "/%s in the root filesystem is not a %s", path,
			       dir ? "directory" : "regular file");
	}
	return fd;
}

int root_open(int rootfd, const char *path, bool dir, bool create)
{
	while (*path == '/')
		path++;
	return root_open_depth(rootfd, *path ? path : ".", dir, create, 0);
}

int mnt_at(const char *src, int target_fd, const char *what, const char *type,
	   unsigned long flags, const char *data)
{
	char target[64];
	snprintf(target, sizeof target, "/proc/self/fd/%d", target_fd);
	if (mount(src, target, type, flags, data) < 0)
		return ctr_err_sys(-errno, "cannot mount %s on %s", type ? type : src, what);
	return 0;
}

/* ---- the container's /etc files ----------------------------------------------------------- */

int mnt_etc_tmpfs(void)
{
	int fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	int e = 0;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "size", MNT_ETC_SIZE, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "nr_inodes", "16", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		e = -errno;
	int m = -1;
	if (!e && (m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
				    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		e = -errno;
	close(fs);
	return e ? e : m;
}

int mnt_etc_attach(int etc_fd, const char *path)
{
	return mnt_attach(etc_fd, AT_FDCWD, path, "the /etc files' tmpfs");
}

int mnt_reopen_state(const char *path, int fd)
{
	struct stat want, got;
	int nfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nfd < 0 || fstat(fd, &want) < 0 || fstat(nfd, &got) < 0) {
		int e = -errno;
		if (nfd >= 0)
			close(nfd);
		return ctr_err_sys(e, "cannot open the state directory");
	}
	int e = 0;
	if (want.st_dev != got.st_dev || want.st_ino != got.st_ino)
		e = ctr_err(-ESTALE, "the state directory %s is no longer the one the library opened",
			    path);
	else if (dup3(nfd, fd, 0) < 0)
		e = ctr_err_sys(-errno, "dup3");
	close(nfd);
	return e;
}

/* ---- a root file system in a user namespace ----------------------------------------------- */

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

int mnt_rootfs_tree(const char *path, int userns_fd, unsigned owner)
{
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, path,
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return ctr_err_sys(-errno, "cannot clone the mounts of the root file system %s", path);
	struct stat st;
	if (fstat(tree, &st) < 0) {
		int e = -errno;
		close(tree);
		return ctr_err_sys(e, "root file system %s", path);
	}
	bool chowned = st.st_uid == owner;
	struct mount_attr a = { .attr_set = MOUNT_ATTR_NODEV | (chowned ? 0 : MOUNT_ATTR_IDMAP),
				.userns_fd = chowned ? 0 : (uint64_t)userns_fd };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0) {
		int e = -errno;
		close(tree);
		if (chowned)
			return ctr_err_sys(e, "cannot make the root file system %s nodev", path);
		return ctr_err_sys(e, "cannot idmap the root file system %s for the user namespace "
				      "(its file system, or a kernel before Linux 5.12, cannot; chown "
				      "it to the container's range instead, from %u: doc/security.md)",
				   path, owner);
	}
	return tree;
}

int mnt_attach(int tree, int dirfd, const char *path, const char *what)
{
	unsigned flags = MOVE_MOUNT_F_EMPTY_PATH | (path ? 0 : MOVE_MOUNT_T_EMPTY_PATH);
	if (syscall(SYS_move_mount, tree, "", dirfd, path ? path : "", flags) < 0)
		return ctr_err_sys(-errno, "cannot mount %s on %s", what, path ? path : "its place");
	return 0;
}
