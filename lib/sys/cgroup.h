/* Cgroups (effects): a container's own cgroup, made, entered and removed through cgroupfs
 * (core/cgroup.h has the paths).  Nothing here takes the state lock or waits under it: the
 * callers enter before anything is forked and remove after their locked work is done. */
#ifndef CTR_SYS_CGROUP_H
#define CTR_SYS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include <sys/types.h>

#include "core/cgroup.h"

/* The cgroup mounts this process sees (none if /proc/self/mountinfo cannot be read). */
void cgroup_mounts(struct cg_mounts *m);

/* Whether containers can get cgroups of their own with these mounts; if not, `why` says so
 * (a writable cgroup2 mount is needed, and the name=systemd one where it is mounted). */
bool cgroup_usable(const struct cg_mounts *m, char *why, size_t len);

/* Move the calling process into the cgroup2 cgroup `rel` ("/ctrlink/<hash>/<id>"), made if
 * missing (nothing to do if it is there already).  The v1 name=systemd hierarchy, where a
 * move waits for an RCU grace period, is cgroup_move()'s, made later.  0, or a negative errno
 * with the message; -ENODEV without a cgroup2 mount. */
int cgroup_enter(const struct cg_mounts *m, const char *rel);
/* Open <cgroup2 mount><rel> (O_PATH; `make`: mkdir -p it first): a descriptor for clone3(2)'s
 * CLONE_INTO_CGROUP, which places a new process without a move (a move between cgroups waits
 * for an RCU grace period, ~14 ms); -errno (-ENODEV: no cgroup2). */
int cgroup_open_v2(const struct cg_mounts *m, const char *rel, bool make);
/* Move the process `pid` into `rel` (made if missing) in each hierarchy, or only in the v1
 * name=systemd one (`v1_only`: cgroup2 placed it already); -errno of the first that
 * refuses. */
int cgroup_move(const struct cg_mounts *m, const char *rel, pid_t pid, bool v1_only);

/* Move the calling process into an existing cgroup `rel` of every hierarchy that has it (an
 * exec joins its container's); what is missing is skipped.  Never fails. */
void cgroup_join(const struct cg_mounts *m, const char *rel);

/* Move the calling process to the top of every hierarchy (out of its container's cgroup,
 * which it can then remove). */
void cgroup_leave(const struct cg_mounts *m);

/* Remove the cgroup `rel` and any under it, in every hierarchy.  While one is busy, retry
 * for up to `wait_ms` (the kernel lets a cgroup go a moment after its last process);
 * `until_used`: give up at once if a process lives in it (another run of the container).
 * Then `parent` ("ctrlink/<hash>") and "ctrlink" go too if they are empty (may be NULL;
 * `rel` NULL: only they).
 * 0 (also when there was none), or -EBUSY. */
int cgroup_remove(const struct cg_mounts *m, const char *rel, const char *parent, int wait_ms,
		  bool until_used);

/* The names of the cgroups under `parent` in any hierarchy (container IDs), as a list. */
int cgroup_children(const struct cg_mounts *m, const char *parent, char ***out);

#endif
