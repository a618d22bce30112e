/* The container's side (effects), run only in the monitor helper's children: set up the
 * namespaces' contents (network, mounts, hostname), become the container's user with its
 * capabilities, and exec the command.  Failures are written to `up_fd` as
 * "E <exit code> <message>" and end the process with that exit code (127: command not found,
 * 126: not executable, 125: anything else, as Docker). */
#ifndef CTR_CHILD_H
#define CTR_CHILD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/launch.h"

/* The container's init: mounts and names first; on "G" (down_fd) the network, "N" back (up_fd);
 * on the second "G" the user, capabilities and exec (protocol: launch.h). */
__attribute__((noreturn)) void child_init(const struct launch *l, int down_fd, int up_fd);

/* Load the default seccomp filter unless `unconfined` (`prog`, compiled already, or NULL:
 * compiled here), switch to `user` (resolved in the current root), keep `caps`, change to
 * `workdir`, and exec argv with env (PATH looked up in env).  Used by init and by exec. */
__attribute__((noreturn)) void child_exec(const char *user, uint64_t caps, bool unconfined,
					  const struct sock_fprog *prog, const char *workdir,
					  char **argv, char **env, int up_fd);

#endif
