#define _GNU_SOURCE
#include "sys/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"
#include "sys/mounts.h"

/* "0 <host> <size>\n" into /proc/<pid>/<file>, in one write as the kernel wants it.  The
 * writer is host root (CAP_SETUID and CAP_SETGID over the parent namespace): setgroups(2)
 * stays allowed in the container (its init sets the user's groups), see user_namespaces(7). */
static int write_map(pid_t pid, const char *file, unsigned host, unsigned size)
{
	char path[64], map[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	int n = snprintf(map, sizeof map, "0 %u %u\n", host, size);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int e = fd < 0 || write(fd, map, (size_t)n) != n ? -errno : 0;
	if (fd >= 0)
		close(fd);
	return e ? ctr_err_sys(e, "cannot write the user namespace's %s", file) : 0;
}

static void send_msg(int sock, char kind, const char *text, int fd)
{
	char buf[1100];
	int n = snprintf(buf, sizeof buf, "%c%.1000s", kind, text);
	struct iovec iov = { buf, (size_t)n };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		memset(&u, 0, sizeof u);
		m.msg_control = u.space;
		m.msg_controllen = sizeof u.space;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	while (sendmsg(sock, &m, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* In the helper, inside the init's mount namespace: what the init's setup_rootfs() starts
 * from.  The root file system's descriptor, or a negative errno with the message set. */
static int helper_mounts(pid_t pid, const struct launch *l)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	int ufd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
	int mfd = open(path, O_RDONLY | O_CLOEXEC);
	int e = ufd < 0 || mfd < 0 ? ctr_err_sys(-errno, "cannot open the container's namespaces") : 0;
	if (!e && setns(mfd, CLONE_NEWNS) < 0)
		e = ctr_err_sys(-errno, "cannot enter the container's mount namespace");
	/* nothing made here propagates back to the host's mounts */
	if (!e && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		e = ctr_err_sys(-errno, "cannot make the container's mounts private");
	if (!e && l->etc_fd < 0)
		e = ctr_err(-ENOSYS, "a user namespace needs the new mount API (Linux 5.2)");
	char dir[PATH_MAX + 96];
	snprintf(dir, sizeof dir, "/proc/self/fd/%d/containers/%s", LAUNCH_FD_STATE, l->id);
	if (!e && (e = mnt_reopen_state(l->state_dir, LAUNCH_FD_STATE)) == 0)
		e = mnt_etc_attach(l->etc_fd, dir);
	int tree = -1;
	if (!e && (tree = e = mnt_rootfs_tree(l->rootfs, ufd, l->userns_uid)) >= 0)
		e = mnt_attach(tree, AT_FDCWD, l->rootfs, "the root file system");
	if (ufd >= 0)
		close(ufd);
	if (mfd >= 0)
		close(mfd);
	if (e < 0 && tree >= 0)
		close(tree);
	return e < 0 ? e : tree;
}

void userns_setup(pid_t pid, const struct launch *l, int sock)
{
	if (write_map(pid, "uid_map", l->userns_uid, l->userns_size) < 0 ||
	    write_map(pid, "gid_map", l->userns_gid, l->userns_size) < 0) {
		send_msg(sock, 'E', ctr_err_msg(), -1);
		return;
	}
	/* a child of its own: the monitor stays in the host's mount namespace */
	pid_t h = fork();
	if (h < 0) {
		send_msg(sock, 'E', "cannot fork the user namespace's helper", -1);
		return;
	}
	if (h == 0) {
		int tree = helper_mounts(pid, l);
		send_msg(sock, tree < 0 ? 'E' : 'F', tree < 0 ? ctr_err_msg() : "", tree);
		_exit(tree < 0 ? 1 : 0);
	}
	while (waitpid(h, NULL, 0) < 0 && errno == EINTR)
		;
}

int userns_receive_root(int sock)
{
	char buf[1100];
	struct iovec iov = { buf, sizeof buf - 1 };
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.space,
			    .msg_controllen = sizeof u.space };
	ssize_t n;
	while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return ctr_err(-EIO, "the user namespace's setup ended early");
	buf[n] = '\0';
	int fd = -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof fd);
	if (buf[0] == 'F' && fd >= 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return ctr_err(-EIO, "%s", buf[0] == 'E' ? buf + 1 : "the user namespace's setup failed");
}
