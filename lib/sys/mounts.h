/* Mount helpers for the container's init (effects): read-only and masked paths, mount flags
 * set without disturbing the others.  Each returns 0 or a negative errno with the message set
 * (ctr_err). */
#ifndef CTR_MOUNTS_H
#define CTR_MOUNTS_H

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

#endif
