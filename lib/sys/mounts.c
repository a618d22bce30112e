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
#include <unistd.h>

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
