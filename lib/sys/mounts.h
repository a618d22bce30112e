/* Mount helpers for the container's init (effects): read-only and masked paths, mount flags
 * set without disturbing the others.  Each returns 0 or a negative errno with the message set
 * (ctr_err). */
#ifndef CTR_MOUNTS_H
#define CTR_MOUNTS_H

#include <stdbool.h>

/* Bind `path` over itself and make that mount read-only (nosuid, nodev, noexec kept or
 * added).  A path that does not exist is not an error. */
int mnt_readonly(const char *path);

/* Hide `path`: a directory gets an empty read-only tmpfs, anything else /dev/null bound over
 * it.  A path that does not exist is not an error. */
int mnt_mask(const char *path);

/* Add nodev to the mount at `path` and to every mount below it (mount_setattr(2), or a bind
 * remount of the top mount where the kernel lacks it, before Linux 5.12). */
int mnt_nodev_recursive(const char *path);

/* What runc and crun hide from a container (moby oci/defaults.go, runc libcontainer
 * rootfs_linux.go maskPath/readonlyPath): the lists are applied after /proc and /sys are
 * mounted in the container's root.  Returns 0 or the first error. */
int mnt_confine_proc_sys(void);

/* The container's /etc/hosts, /etc/hostname and /etc/resolv.conf live on a tmpfs of their
 * own, MNT_ETC_SIZE big, made by the monitor (new mount API: a detached mount, in no mount
 * namespace) and filled from the state directory's copies; the container's init attaches it
 * over containers/<id>/ in its own namespace and binds the files from there.  A container
 * that writes to them fills that tmpfs, never the state directory's file system; the library
 * reaches the files through the monitor's descriptor (LAUNCH_FD_ETC) to update them.
 * mnt_etc_tmpfs: the mount's descriptor, or -errno (no new mount API: before Linux 5.2).
 * mnt_etc_attach: move it onto `path`. */
#define MNT_ETC_SIZE "1m"
int mnt_etc_tmpfs(void);
int mnt_etc_attach(int etc_fd, const char *path);

/* The library's descriptor `fd` of the state directory names a mount of the host's namespace,
 * which mount(2) refuses to use from a new one: look `path` up again here and put it on `fd`
 * only if it is the very directory `fd` names (same device and inode).  0, or a negative errno
 * with the message set. */
int mnt_reopen_state(const char *path, int fd);

#endif

/* Open `path` inside the directory `rootfd` as if it were "/": symbolic links and ".." never
 * leave it (openat2(2) RESOLVE_IN_ROOT; before Linux 5.6 no symbolic link is followed at
 * all).  The result is an O_PATH descriptor of a directory (`dir`) or a regular file, checked
 * by type: a FIFO, socket or device is refused, and never opened for reading or writing.
 * With `create`, what is missing is made: the parents as directories (0755), then the target
 * (an empty 0644 file or a 0755 directory), also where a symbolic link points to nothing
 * (inside the root, as runc's securejoin does).  Returns the descriptor or a negative errno
 * with the message set. */
int root_open(int rootfd, const char *path, bool dir, bool create);

/* mount(2) onto what an O_PATH descriptor names (through /proc/self/fd). */
int mnt_at(const char *src, int target_fd, const char *what, const char *type,
	   unsigned long flags, const char *data);

/* The root file system for a container in a user namespace (`userns_fd`): a recursive clone
 * of the mounts at `path` (open_tree(2)), nodev, and idmapped (mount_setattr(2)
 * MOUNT_ATTR_IDMAP, Linux 5.12; tmpfs from 6.3) with the namespace's mapping, so that files
 * owned by host root are owned by container root and what container root makes is owned by
 * host root on disk.  A root file system whose top directory is owned by host uid `owner`
 * (the container's root: chowned to the range by hand) is used as it is, not idmapped.  The
 * result is the clone's descriptor, still detached (move_mount(2) attaches it), or a negative
 * errno with the message set. */
int mnt_rootfs_tree(const char *path, int userns_fd, unsigned owner);
/* Attach a detached mount (`tree`, `what` for the message) on `path` relative to `dirfd`
 * (AT_FDCWD), or on what `dirfd` names when path is NULL (move_mount(2)). */
int mnt_attach(int tree, int dirfd, const char *path, const char *what);
