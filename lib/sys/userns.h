/* A container in a user namespace of its own (effects, in the monitor helper and the
 * container's init).  The init is cloned into the new user namespace together with its other
 * namespaces (so that they belong to it, and container root's capabilities work on them), and
 * waits on a socket; the monitor, host root outside, writes its uid_map and gid_map and forks
 * a helper that enters the init's mount namespace and makes there what container root cannot:
 * the idmapped root file system (sys/mounts.h mnt_rootfs_tree()) attached on its path, and the
 * /etc files' tmpfs (LAUNCH_FD_ETC) attached over containers/<id> of the state directory,
 * which is not container root's to search.  The helper then hands the init the root file
 * system's descriptor ("F" with SCM_RIGHTS), or the reason it could not ("E <message>").
 * The init reaches everything else from those two descriptors, never by a host path. */
#ifndef CTR_SYS_USERNS_H
#define CTR_SYS_USERNS_H

#include <sys/types.h>

#include "core/launch.h"

/* The monitor's side, while the init `pid` waits on the other end of `sock`.  Errors go to
 * the init, which reports them as any failure of its setup. */
void userns_setup(pid_t pid, const struct launch *l, int sock);

/* The init's side: the root file system's descriptor, or a negative errno with the message
 * set. */
int userns_receive_root(int sock);

#endif
