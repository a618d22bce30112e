/* What the library hands the monitor helper to start one container (pure: the struct and
 * its JSON form), and the small protocol between them.
 *
 * Descriptors of the helper ("ctr-monitor start"):
 *   0, 1, 2   the container's stdin, and where its stdout/stderr are copied (besides the log)
 *   3         "down" (a socket): the library sends the spec ("<len>\n<json>"), later "G" (go:
 *             eth0 is there), and "G" again (run the command) after the container's "N";
 *             closing it instead makes the waiting container give up
 *   4         "up":   the monitor writes "P <pid> <pid_start> <mon_pid> <mon_start> <cg>\n"
 *                     (<cg> 1: it and the container are in the cgroup `cgroup`, 0: they
 *                     stayed in the caller's);
 *                     the container writes "N\n" when its network is configured and up,
 *                     "E <exit code> <message>" if its setup fails, or "X" right before it
 *                     executes the command; end of file after "X" (the descriptor is
 *                     close-on-exec) means the command runs
 *   5         (optional) "exit": the monitor writes "<exit code>\n" when the container ends
 *
 * "ctr-monitor exec" uses 0-4 the same way, without "G" and "N"; after the command ends it
 * writes "C <exit code>\n" on "up" (its caller may not be able to wait for it).
 */
#ifndef CTR_LAUNCH_H
#define CTR_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>

#include "container-link.h"

#define LAUNCH_FD_DOWN 3
#define LAUNCH_FD_UP 4
#define LAUNCH_FD_EXIT 5
/* In the monitor and the container's init until its exec: the state directory, opened once by
 * the library.  Everything under it is reached from this descriptor, never by its path again
 * (a path can be made to lead elsewhere between two lookups). */
#define LAUNCH_FD_STATE 6
/* In the monitor (for its whole life): the directory of the tmpfs that holds the container's
 * hosts, hostname and resolv.conf (sys/mounts.h mnt_etc_tmpfs()); the library opens the
 * files through it (pidfd_getfd) to update them. */
#define LAUNCH_FD_ETC 63

struct sock_fprog;

struct launch {
	char id[CTR_ID_LEN + 1];
	char *state_dir;
	uint64_t generation;
	char **argv;
	char **env;          /* the final environment */
	char *hostname;
	char *domainname;    /* may be NULL */
	char *workdir;       /* may be NULL: "/" */
	char *rootfs;        /* may be NULL: host filesystem */
	char *user;          /* may be NULL: root */
	uint64_t caps;       /* capability mask */
	bool unconfined;     /* no seccomp filter (the default filter otherwise) */
	/* the default filter, compiled (sys/seccomp.h): the monitor's, not in the spec; NULL:
	 * the container's init compiles it */
	const struct sock_fprog *seccomp_prog;
	bool has_net;
	uint32_t ip, gateway; /* network order */
	int prefixlen;
	int prefixlen6;      /* 0: no IPv6 */
	uint8_t ip6[16], gateway6[16];
	bool has_gw_mac;     /* the gateway's MAC is fixed: a permanent neighbour entry for it */
	uint8_t gw_mac[6];
	bool attached;       /* also copy output to fds 1 and 2 */
	uint64_t log_max_size; /* rotate log.json before it grows past this (0: never) */
	int log_max_file;    /* log files kept (log.json, log.json.1, ...) */
	char *cgroup;        /* the cgroup to run in, from each hierarchy's top (core/cgroup.h);
			      * start: made and entered if it can be; exec: joined if it exists;
			      * may be NULL */
	/* a user namespace: container IDs 0..userns_size-1 are host uids userns_uid.. and gids
	 * userns_gid.. (the monitor writes the maps; start needs rootfs) */
	bool userns;
	uint32_t userns_uid, userns_gid, userns_size;
	int userns_sock;     /* the init's, with userns: where the root file system comes from
			      * (sys/userns.h); -1 without; not part of the spec */
	int etc_fd;          /* the monitor's: LAUNCH_FD_ETC, or -1 (the state dir's files are
			      * bound); not part of the spec */
	int placed_fd;       /* the init's: the monitor writes a byte (or closes it) once the init
			      * is in every cgroup it belongs in; the init reads it before its
			      * exec; -1 without; not part of the spec */
	/* exec only: the running container to enter */
	int target_pid;
	uint64_t target_start;
};

void launch_free(struct launch *l);
int launch_to_json(const struct launch *l, char **out);
int launch_from_json(const char *json, size_t len, struct launch *l);

#endif
