/* Cgroups, the pure part: where the cgroup hierarchies are mounted (from the text of
 * /proc/self/mountinfo), the path of a container's cgroup, and a process's cgroup (from the
 * text of /proc/<pid>/cgroup).  The effects are in sys/cgroup.c.
 *
 * Each started container (its monitor, its init and everything under it, exec'd commands)
 * lives in  <mount>/ctrlink/<16 hex>/<id>  where the 16 hex digits begin the SHA-256 of the
 * state directory's "<st_dev>:<st_ino>" (decimal): one parent per state directory, so two
 * state directories never share one, and gc knows its own.  That is done in the unified
 * (cgroup2) hierarchy and, where it is mounted, in the v1 "name=systemd" one (what systemd
 * kills a unit by on a hybrid host), with the same relative path. */
#ifndef CTR_CORE_CGROUP_H
#define CTR_CORE_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CG_PATH_MAX 256
/* "ctrlink/" + 16 hex */
#define CG_PARENT_LEN 24
/* "/" + parent + "/" + id, and a NUL */
#define CG_REL_MAX (CG_PARENT_LEN + 2 + 64 + 1)

struct cg_mount {
	bool present;            /* mounted at `path`, rooted at the hierarchy's top ("/") */
	bool ro;                 /* a read-only mount */
	char path[CG_PATH_MAX];  /* the mount point */
};

struct cg_mounts {
	struct cg_mount v2;      /* cgroup2: /sys/fs/cgroup, else /sys/fs/cgroup/unified (hybrid) */
	struct cg_mount systemd; /* cgroup v1 name=systemd at /sys/fs/cgroup/systemd (hybrid) */
};

/* The cgroup mounts, from mountinfo text (proc(5)).  Only the standard places count; a mount
 * point listed twice is the last mount on it (the one on top). */
void cg_mounts_parse(const char *mountinfo, struct cg_mounts *out);

/* "ctrlink/<16 hex>" of the state directory with that device and inode number. */
void cg_parent(uint64_t dev, uint64_t ino, char out[CG_PARENT_LEN + 1]);

/* "/<parent>/<id>": a container's cgroup, relative to a hierarchy's top. */
void cg_container_path(const char *parent, const char *id, char out[CG_REL_MAX]);

/* The inverse: "/<parent>/<id>" -> "/<parent>" into out; false if `rel` is not a container's
 * cgroup path (no leading '/', no 64-digit ID last, "..", too long). */
bool cg_container_parent(const char *rel, char out[CG_REL_MAX]);

/* From /proc/<pid>/cgroup text: the path in the unified hierarchy ("0::<path>"), or with
 * `systemd`, in the v1 name=systemd one.  0, or -ENOENT (not listed), -ENAMETOOLONG. */
int cg_proc_path(const char *text, bool systemd, char *out, size_t len);

#endif
