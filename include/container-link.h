/*
 * container-link.h — the public API of libcontainer-link.
 *
 * libcontainer-link creates containers (a process tree in its own network, mount, UTS, IPC and
 * PID namespaces), wires them to a Linux bridge, publishes their ports through kernel NAT and
 * links them as Docker's `--link` does — in the calling process, without a daemon.
 *
 * Conventions that hold for every function below:
 *
 *  - Return value: 0 on success, or a negative errno value.  The errno tells the class of the
 *    failure; ctr_last_error() gives the human-readable message (thread-local, valid until the
 *    next call into the library on the same thread).  The classes used:
 *        -EINVAL        bad argument (a name, a port spec, an option)
 *        -ENOENT        no such container
 *        -EEXIST        conflict (a name in use, a link alias in use)
 *        -EBUSY         the container is in the wrong state (running, in use by a link, ...)
 *        -EADDRINUSE    a host port is already allocated
 *        -EADDRNOTAVAIL a host address that cannot be published on (not the host's, or ::1)
 *        -EAFNOSUPPORT  an IPv6 host address where the network has no IPv6
 *        -ENOSPC        no free address or host port left
 *        -ENOEXEC       the container's program could not be started (not found, not executable,
 *                       bad working directory, ...)
 *        -EAGAIN        a rule commit kept conflicting with another writer
 *        anything else  a system call failed; the message names it
 *  - A failed call changes nothing: no half-made container, no stray address, port or rule.
 *  - `ref` names a container: its full ID, its name (with or without the leading "/"), a link
 *    name such as "web/db", or an unambiguous prefix of its ID.
 *  - Strings are NUL-terminated UTF-8.  String lists are NULL-terminated arrays.
 *  - Memory returned by the library is released with ctr_free().
 *  - Options structs carry a `version` field; initialise them with their `_INIT` macro (a
 *    designated initialiser: `ctr_create_options o = CTR_CREATE_OPTIONS_INIT;`) or the
 *    matching `_init` function, then set the fields you need.  Every options struct follows
 *    one version rule: fields are only ever added at the end, and the version number goes up
 *    with each addition.  A program built against an older header passes its older version
 *    (a shorter struct): the library reads only the fields that version has, and the later
 *    ones take their defaults, so adding a field breaks no caller.  Version 0 (a struct that
 *    was never initialised) and versions newer than the library knows are refused with
 *    -EINVAL and a message naming the struct and the version, e.g. "ctr_start_options
 *    version 2 is not supported (this library knows version 1)".  An `_init` function
 *    writes only the fields of the version it is given.
 *  - The library never prints, never exits, installs no signal handler and leaves the caller's
 *    umask, working directory, environment and signal mask alone.  Every descriptor it opens is
 *    close-on-exec.  A context may be used from several threads at once, and several processes
 *    may share one state directory.
 *  - Every function needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN in the initial namespaces).
 */
#ifndef CONTAINER_LINK_H
#define CONTAINER_LINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CTR_API __attribute__((visibility("default")))
#else
#define CTR_API
#endif

/** Length of a container ID in hex characters (the buffer needs one more for the NUL). */
#define CTR_ID_LEN 64
/** Longest container name in characters, without the optional leading "/" (the buffer for
 *  ctr_create_options.name_out needs one more for the NUL). */
#define CTR_NAME_MAX 128
/** Length of a short ID as printed by `ps` and used as the default hostname. */
#define CTR_SHORT_ID_LEN 12

/** The library's version as a string, e.g. "0.1.0". */
CTR_API const char *ctr_version(void);

/* ------------------------------------------------------------------------------------------ */
/* Errors and memory                                                                          */
/* ------------------------------------------------------------------------------------------ */

/**
 * The message of the last failed call on this thread, e.g.
 * `Conflict. The container name "/web" is already in use by container "3f…".  You have to remove
 * (or rename) that container to be able to reuse that name.`  Never NULL; "" when the last call
 * succeeded.  The pointer stays valid until the next library call on the same thread.
 */
CTR_API const char *ctr_last_error(void);

/** Free memory returned by the library (JSON strings).  NULL is allowed. */
CTR_API void ctr_free(void *ptr);

/* ------------------------------------------------------------------------------------------ */
/* Context                                                                                    */
/* ------------------------------------------------------------------------------------------ */

typedef struct ctr_ctx ctr_ctx;

/** NAT backends (see ctr_ctx_options.nat_backend). */
typedef enum {
	CTR_NAT_AUTO = 0,     /**< the best one the host offers */
	CTR_NAT_IPTABLES = 1, /**< legacy iptables through libiptc */
	CTR_NAT_NFTABLES = 2, /**< nftables through nfnetlink: one table, maps and sets */
} ctr_nat_backend;

/* Version 1 ends with helper_path; version 2 adds subnet6; version 3 adds external_bridge. */
#define CTR_CTX_OPTIONS_VERSION 3

typedef struct {
	unsigned version;      /**< CTR_CTX_OPTIONS_VERSION */
	/** State directory; NULL means "/run/ctrlink".  Created (mode 0700) if missing.  A
	 *  directory that others can write is refused. */
	const char *state_dir;
	/** Bridge name; NULL means the one recorded in the state directory, else "ctrlink0". */
	const char *bridge;
	/** IPv4 subnet in CIDR form; NULL means the recorded one, else the first private /16 that
	 *  overlaps no route of the host.  A subnet that overlaps a route (other than the bridge's
	 *  own) is refused. */
	const char *subnet;
	/** Inter-container communication: 1 lets every container on the bridge reach every other;
	 *  0 isolates them unless linked; -1 (default) keeps what is recorded (else 0). */
	int icc;
	/** NAT backend (CTR_NAT_AUTO by default). */
	ctr_nat_backend nat_backend;
	/** Path of the monitor helper program; NULL finds it (the CTRLINK_HELPER environment
	 *  variable, then beside the library, then the installed libexec path). */
	const char *helper_path;
	/** IPv6 subnet in CIDR form (prefix length 48 to 96, a global or unique local unicast
	 *  prefix), e.g. "fd00:c7::/64": containers then get an IPv6 address too (the subnet plus
	 *  their IPv4 host number), ports publish on IPv6 host addresses and "::", and links give
	 *  IPv6 hosts lines.  Needs the nftables backend.  "none": no IPv6.  NULL: the recorded
	 *  one, else none. */
	const char *subnet6;
	/** 1: the bridge belongs to someone else (a CNI `bridge` plugin, a runtime): it must
	 *  exist; the library never creates, addresses or deletes it, and writes only the rules
	 *  that publish ports to endpoints on it (ctr_endpoint_add()): DNAT, hairpin and
	 *  localhost masquerade, forwarding of DNAT'd traffic, the 127.0.0.0/8 guard.  No
	 *  isolation, no outbound masquerade (the bridge's owner does that).  `bridge` and
	 *  `subnet` are then required.  0 (default): the library's own bridge. */
	int external_bridge;
} ctr_ctx_options;

/** The defaults: every pointer NULL, `icc` -1, `nat_backend` CTR_NAT_AUTO, the rest 0. */
#define CTR_CTX_OPTIONS_INIT { .version = CTR_CTX_OPTIONS_VERSION, .icc = -1, \
	.nat_backend = CTR_NAT_AUTO }

/** Initialise `opts` to the defaults of the given version (1 to CTR_CTX_OPTIONS_VERSION):
 *  the fields that version has, and no byte beyond.  Returns 0, or -EINVAL for NULL or an
 *  unknown version.  The other _init functions do the same for their structs. */
CTR_API int ctr_ctx_options_init(ctr_ctx_options *opts, unsigned version);

/**
 * Open a context on a state directory.  `opts` may be NULL (all defaults).  Opening finishes
 * or undoes any operation that a killed process left half-done.  On success `*out` receives the
 * context; close it with ctr_ctx_close().
 */
CTR_API int ctr_ctx_open(ctr_ctx **out, const ctr_ctx_options *opts);

/** Close a context.  Running containers keep running (their monitors watch them).  NULL is
 *  allowed. */
CTR_API void ctr_ctx_close(ctr_ctx *ctx);

/* ------------------------------------------------------------------------------------------ */
/* Containers                                                                                 */
/* ------------------------------------------------------------------------------------------ */

/* Version 1 ends with links_env; version 2 adds seccomp, version 3 restart_policy, version 4
 * log_opts, version 5 userns. */
#define CTR_CREATE_OPTIONS_VERSION 6

typedef struct {
	unsigned version;           /**< CTR_CREATE_OPTIONS_VERSION */
	/** Name (Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+, one leading "/" allowed); NULL
	 *  generates an `adjective_surname` name that is not taken. */
	const char *name;
	/** The command and its arguments; argv[0] is looked up in the container's PATH.
	 *  Required. */
	const char *const *argv;
	/** Environment entries "KEY=VALUE" (or "KEY" to remove a default). */
	const char *const *env;
	/** Hostname; NULL means the 12-character short ID. */
	const char *hostname;
	/** Domain name (optional); the own /etc/hosts line then reads `host.domain host`. */
	const char *domainname;
	/** Working directory inside the container; NULL means "/". */
	const char *workdir;
	/** Root filesystem directory; NULL runs on the host's filesystem seen through a private
	 *  mount namespace. */
	const char *rootfs;
	/** User: "name", "uid", "name:group" or "uid:gid", resolved in the container's
	 *  /etc/passwd and /etc/group; NULL means root. */
	const char *user;
	/** Capabilities added to / dropped from Docker's default set ("NET_ADMIN",
	 *  "CAP_NET_ADMIN" or "ALL"). */
	const char *const *cap_add;
	const char *const *cap_drop;
	/** Exposed ports, as `--expose`: "80", "80/udp", "8000-8010/tcp". */
	const char *const *expose;
	/** Published ports, as `-p` (every form Docker accepts). */
	const char *const *publish;
	/** Publish every exposed port that has no explicit binding to a free host port (`-P`). */
	int publish_all;
	/** Remove the container when it exits (`--rm`). */
	int auto_remove;
	/** Links, as `--link name[:alias]`. */
	const char *const *links;
	/** Links whose target's environment is also copied as <ALIAS>_ENV_* (`--link-env`). */
	const char *const *links_env;
	/** The seccomp profile: NULL or "default": the default filter (Docker's default profile's
	 *  refusals, doc/security.md); "unconfined": none (`--security-opt seccomp=unconfined`). */
	const char *seccomp;
	/** The restart policy, as `--restart` (version 3): NULL or "no", "always",
	 *  "unless-stopped", "on-failure" or "on-failure:N" (at most N restarts).  The
	 *  container's monitor starts it again when it ends, after Docker's back-off (100 ms,
	 *  doubling to a minute, back to 100 ms after a run of 10 s); a stop, or a kill with
	 *  SIGTERM or SIGKILL, holds the policy until the next start.  Refused with
	 *  `auto_remove`.  See doc/api.md. */
	const char *restart_policy;
	/** Log options, as `--log-opt` of Docker's json-file driver (version 4):
	 *  "max-size=<size>" (Docker's sizes, decimal: "10m" is 10 000 000 bytes; "100k",
	 *  "1.5MB", "512") and "max-file=<n>" (1 to 1000; only with max-size; 1 without it).
	 *  The log (`containers/<id>/log.json` in the state directory) is rotated when the
	 *  next line would take it past max-size: log.json becomes log.json.1, log.json.1
	 *  log.json.2, ..., the oldest beyond max-file is deleted; with max-file=1 the file is
	 *  emptied.  So a log takes at most max-size x max-file bytes (a file also takes one
	 *  line that is bigger than max-size alone).  NULL or empty: max-size=1m, max-file=3,
	 *  because the state directory is in RAM by default (doc/api.md, "Logs").  Other keys,
	 *  and bad values, are refused (-EINVAL, the message names them). */
	const char *const *log_opts;
	/** The user namespace, as podman's `--userns` (version 5): NULL, "" or "host": the
	 *  host's (container root is host root, held back by capabilities, seccomp and mounts);
	 *  "auto": a new user namespace in which container uids and gids 0..65535 are a range
	 *  of 65536 unprivileged host IDs that no other container of the state directory holds,
	 *  chosen now and kept for the container's life (the `containers` entries of
	 *  /etc/subuid and /etc/subgid, else from 100000 up, passing over the ranges those files
	 *  give to users; inspect shows it as HostConfig.IDMappings).  Needs `rootfs`, which the
	 *  container sees through an idmapped mount: its files owned by host root are owned by
	 *  container root (a file system that cannot be idmapped must be chowned to the range,
	 *  doc/security.md).  Other values are refused (-EINVAL); no free range: -ENOSPC. */
	const char *userns;
	/** Where to write the container's name (version 6): the one given (without a leading
	 *  "/") or the one made up for it (Docker's adjective_surname), NUL-terminated, in a
	 *  buffer of `name_out_len` bytes, at least CTR_NAME_MAX + 1 (a smaller one is refused
	 *  with -ERANGE, and no container is made).  NULL: not wanted. */
	char *name_out;
	size_t name_out_len;
} ctr_create_options;

/** The defaults: every pointer NULL, every flag 0. */
#define CTR_CREATE_OPTIONS_INIT { .version = CTR_CREATE_OPTIONS_VERSION }

/** As ctr_ctx_options_init(), for ctr_create_options. */
CTR_API int ctr_create_options_init(ctr_create_options *opts, unsigned version);

/**
 * Create a container (not started).  Validates everything first; on success writes the new
 * 64-hex ID to `id_out` (which may be NULL).
 */
CTR_API int ctr_create(ctr_ctx *ctx, const ctr_create_options *opts, char id_out[CTR_ID_LEN + 1]);

#define CTR_START_OPTIONS_VERSION 1

typedef struct {
	unsigned version;   /**< CTR_START_OPTIONS_VERSION */
	/** Descriptors the container gets as stdin, stdout and stderr; -1 (the default) means
	 *  /dev/null for stdin and the container's log file for stdout and stderr. */
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
	/** If not NULL, receives a close-on-exec descriptor that becomes readable when the
	 *  container exits; read the exit code from it with ctr_read_exit().  It works for
	 *  auto-remove containers too.  The caller closes it. */
	int *exit_fd;
} ctr_start_options;

/** The defaults: the three descriptors -1, `exit_fd` NULL. */
#define CTR_START_OPTIONS_INIT { .version = CTR_START_OPTIONS_VERSION, .stdin_fd = -1, \
	.stdout_fd = -1, .stderr_fd = -1 }

/** As ctr_ctx_options_init(), for ctr_start_options. */
CTR_API int ctr_start_options_init(ctr_start_options *opts, unsigned version);

/**
 * Start a created or exited container: namespaces, network, published ports, link
 * environment and hosts entries, then the command.  Returns once the command has been
 * executed (or failed to: then -ENOEXEC and the container is left not running, with the
 * reason in ctr_last_error() and in State.Error).  `opts` may be NULL.  A restart policy's
 * count starts again at 0; a container that waits for its restart is started at once.
 */
CTR_API int ctr_start(ctr_ctx *ctx, const char *ref, const ctr_start_options *opts);

/**
 * Read the exit code from a descriptor returned through ctr_start_options.exit_fd.  Blocks
 * until the container exits.  Exit codes follow the shell's convention (128+N for signal N).
 */
CTR_API int ctr_read_exit(int exit_fd, int *exit_code);

/**
 * Stop a running container: SIGTERM, then SIGKILL after `timeout_s` seconds (a negative value
 * means 10).  Returns once the container has exited, its end is recorded, its rules, ports,
 * address and cgroup are gone; the kernel removes its network namespace, and the veth with
 * it, just after, and its monitor, which holds nothing by then, exits by itself (closing its
 * netfilter sockets can wait for one RCU grace period of the kernel).  Stopping a
 * container that is not running succeeds.  A restart policy holds until the next start, and a
 * restart that waits is called off.
 */
CTR_API int ctr_stop(ctr_ctx *ctx, const char *ref, int timeout_s);

/**
 * Restart a container, as `docker restart`: ctr_stop() with `timeout_s`, then ctr_start()
 * without options (the output goes to the log).  A container that is not running is just
 * started.  An auto-removed container (`--rm`) is kept through its restart; should the start
 * fail, it is removed as its end would have removed it.  Linked containers' hosts files follow
 * the new address.  A restart policy's count starts again at 0.  Endpoints cannot be
 * restarted (-EINVAL).
 */
CTR_API int ctr_restart(ctr_ctx *ctx, const char *ref, int timeout_s);

/**
 * Send `signo` to a running container's main process (-EBUSY if it is not running).  SIGTERM
 * and SIGKILL hold a restart policy until the next start; a container that waits for its
 * policy's restart has no process to signal: 0, and those two signals call the restart off.
 */
CTR_API int ctr_kill(ctr_ctx *ctx, const char *ref, int signo);

/**
 * Wait until the container is not running; its exit code goes to `*exit_code` (may be NULL).
 * `timeout_ms` < 0 waits forever; -ETIMEDOUT when it runs out.
 */
CTR_API int ctr_wait(ctr_ctx *ctx, const char *ref, int timeout_ms, int *exit_code);

/** Flags for ctr_remove(). */
#define CTR_REMOVE_FORCE 1u   /**< stop a running container first; drop links that point at it */

/**
 * Remove a container and everything it owns (state, log, names, link names).  A running
 * container, one that waits for its restart policy's restart, or one that others link to, is
 * refused without CTR_REMOVE_FORCE (-EBUSY).  A container whose record this library cannot
 * read (damaged, or written by a newer version; ctr_list() shows it "dead") is refused
 * without CTR_REMOVE_FORCE (-EINVAL, naming why); with it, the processes, veth, address,
 * ports and rules the record names (every rule of ours that names the container, whatever
 * the record says) go with it.  Works on a full state directory (a reserve of it is kept for
 * the writes of a stop and a removal), as ctr_stop() does.
 */
CTR_API int ctr_remove(ctr_ctx *ctx, const char *ref, unsigned flags);

#define CTR_EXEC_OPTIONS_VERSION 1

typedef struct {
	unsigned version;            /**< CTR_EXEC_OPTIONS_VERSION */
	const char *const *argv;     /**< required */
	const char *const *env;      /**< merged over the container's environment */
	const char *user;            /**< NULL: the container's user */
	const char *workdir;         /**< NULL: the container's working directory */
	int stdin_fd, stdout_fd, stderr_fd;  /**< -1: /dev/null, and the caller's 1 and 2 */
} ctr_exec_options;

/** The defaults: every pointer NULL, the three descriptors -1. */
#define CTR_EXEC_OPTIONS_INIT { .version = CTR_EXEC_OPTIONS_VERSION, .stdin_fd = -1, \
	.stdout_fd = -1, .stderr_fd = -1 }

/** As ctr_ctx_options_init(), for ctr_exec_options. */
CTR_API int ctr_exec_options_init(ctr_exec_options *opts, unsigned version);

/**
 * Run a command inside a running container (its namespaces, root, user and capabilities) and
 * wait for it.  Its exit code goes to `*exit_code`.
 */
CTR_API int ctr_exec(ctr_ctx *ctx, const char *ref, const ctr_exec_options *opts,
		     int *exit_code);

/* ------------------------------------------------------------------------------------------ */
/* Ports and links                                                                            */
/* ------------------------------------------------------------------------------------------ */

/**
 * Publish container ports on the host, `spec` in any form `-p` accepts ("8080:80",
 * "127.0.0.1::53/udp", "20000-20999:20000-20999", ...).  Works on a created container (recorded
 * for its next start) and on a running one (takes effect at once, in one rule commit).
 */
CTR_API int ctr_publish_port(ctr_ctx *ctx, const char *ref, const char *spec);

/**
 * Withdraw published ports.  `spec` names bindings as `-p` does; a bare container port
 * ("80", "80/udp") withdraws every binding of that port.
 */
CTR_API int ctr_unpublish_port(ctr_ctx *ctx, const char *ref, const char *spec);

/** Flags for ctr_link(). */
#define CTR_LINK_ENV 1u   /**< also copy the target's environment as <ALIAS>_ENV_* */

/**
 * Link container `ref` to `target` under `alias` (NULL: the target's name), as `--link`.
 * On a running container the hosts entry and the firewall change at once; environment
 * variables follow at the next start.  A link that would close a cycle is refused (-EINVAL):
 * a container starts only after the ones it links to.
 */
CTR_API int ctr_link(ctr_ctx *ctx, const char *ref, const char *target, const char *alias,
		     unsigned flags);

/** Remove the link `alias` of container `ref`. */
CTR_API int ctr_unlink(ctr_ctx *ctx, const char *ref, const char *alias);

/**
 * Rename container `ref` to `new_name` (one leading "/" is dropped), as `docker rename`.
 * Works in any state.  Links to the container follow it: they hold its ID, so
 * HostConfig.Links and <ALIAS>_NAME show the new name, and the hosts files of running
 * containers linking to it are rewritten at once.  The container's hostname is unchanged.
 * Errors: -EINVAL for an empty, invalid or unchanged name, -ENOENT when `ref` names no
 * container, -EEXIST when another container holds `new_name` (nothing changes then).
 */
CTR_API int ctr_rename(ctr_ctx *ctx, const char *ref, const char *new_name);

/* ------------------------------------------------------------------------------------------ */
/* Reading state                                                                              */
/* ------------------------------------------------------------------------------------------ */

/**
 * The container as JSON in the shape `docker inspect` prints for one container (an object,
 * not an array).  Free `*json_out` with ctr_free().
 */
CTR_API int ctr_inspect(ctr_ctx *ctx, const char *ref, char **json_out);

/** The version of ctr_state this header describes. */
#define CTR_STATE_VERSION 1

/** A container's status, as `docker inspect`'s State.Status. */
typedef enum ctr_status_code {
	CTR_STATUS_CREATED = 0,    /**< never started, or its last start failed */
	CTR_STATUS_RUNNING = 1,
	CTR_STATUS_RESTARTING = 2, /**< ended; its restart policy starts it again */
	CTR_STATUS_EXITED = 3,
	CTR_STATUS_DEAD = 4,       /**< a record this library cannot read (ctr_remove() removes it) */
} ctr_status_code;

/** One published port of a running container (NetworkSettings.Ports). */
typedef struct ctr_port_map {
	uint16_t container_port;
	uint16_t host_port;
	char proto[8];    /**< "tcp", "udp" or "sctp" */
	char host_ip[46]; /**< the address it listens on: "0.0.0.0", "::", "127.0.0.1", ... */
} ctr_port_map;

/**
 * What is read most often of a container, typed: the part of ctr_inspect()'s JSON that a
 * program asks for again and again, without JSON.  Set `version` to CTR_STATE_VERSION before
 * ctr_state_read() (or use CTR_STATE_INIT); free `ports` with ctr_state_clear().
 */
typedef struct ctr_state {
	unsigned version;
	char id[CTR_ID_LEN + 1];
	char name[256];          /**< without Docker's leading "/" */
	ctr_status_code status;
	char status_name[16];    /**< State.Status: "created", "running", "restarting", "exited", "dead" */
	int running;             /**< State.Running (1 also while it waits to restart) */
	int pid;                 /**< State.Pid: the init's host PID while it runs, else 0 */
	int exit_code;           /**< State.ExitCode of the last run (0 before the first) */
	char ip[16];             /**< NetworkSettings.IPAddress while it runs, else "" */
	char gateway[16];
	char ip6[46];            /**< NetworkSettings.GlobalIPv6Address, "" without IPv6 */
	char gateway6[46];
	size_t n_ports;          /**< NetworkSettings.Ports' bound ports, in their order there */
	ctr_port_map *ports;
} ctr_state;

/** A ctr_state ready for ctr_state_read(). */
#define CTR_STATE_INIT { .version = CTR_STATE_VERSION }

/**
 * Read a container's state into `*out` (whose `version` the caller set): the same facts, by
 * the same rules, as ctr_inspect() (a container whose monitor died is recorded as ended
 * first).  Errors: -ENOENT (no such container), -EINVAL (an ambiguous ID prefix, a NULL
 * argument, or a `version` this library does not know), -ENOMEM.  On error `*out` holds no
 * memory.  Release it with ctr_state_clear().
 */
CTR_API int ctr_state_read(ctr_ctx *ctx, const char *ref, ctr_state *out);

/** Free what ctr_state_read() allocated in `st` (its ports); `st` may be read again. */
CTR_API void ctr_state_clear(ctr_state *st);

/** Flags for ctr_list(). */
#define CTR_LIST_ALL 1u   /**< include containers that are not running */

/**
 * The containers as a JSON array, newest first, in the shape of Docker's
 * `GET /containers/json`: Id, Names (the name and the link names that point at the
 * container, each with a leading "/"), Command, Created (Unix seconds), State ("created",
 * "running", "restarting", "exited"; "dead" for a container whose record this library cannot
 * read, see ctr_remove()), Ports [{IP, PrivatePort, PublicPort, Type}], plus ExitCode, StartedAt
 * and FinishedAt (RFC 3339) from which a status text such as "Up 5 minutes" is made.
 * Free `*json_out` with ctr_free().
 */
CTR_API int ctr_list(ctr_ctx *ctx, unsigned flags, char **json_out);

/** Flags for ctr_logs(). */
#define CTR_LOGS_TIMESTAMPS 1u  /**< prefix each line with its RFC 3339 time */
#define CTR_LOGS_FOLLOW 2u      /**< keep writing until the container stops */

/**
 * Copy the log of a detached container: what it wrote to stdout to `stdout_fd`, to stderr to
 * `stderr_fd` (a negative descriptor drops that stream).  The log is what its limits keep
 * (ctr_create_options.log_opts): the rotated files, oldest first, then the current one; a
 * follower continues across rotations.
 */
CTR_API int ctr_logs(ctr_ctx *ctx, const char *ref, int stdout_fd, int stderr_fd,
		     unsigned flags);

/**
 * Bring the host in line with the state directory: finish or undo interrupted operations,
 * notice containers whose monitor died (recording their end), rebuild the indexes (prune
 * name and link entries no container backs, restore missing ones), restore missing rules and
 * remove rules of ours that no container owns.  `*report_out` (may be NULL) receives a JSON
 * object: ContainersFoundDead (IDs), NameConflicts (IDs whose name another holds),
 * IndexEntriesPruned, IndexEntriesRestored, RulesAdded, RulesRemoved, CgroupsRemoved (cgroups
 * of this state directory's containers that no live run was in, removed after the lock).
 */
CTR_API int ctr_reconcile(ctr_ctx *ctx, char **report_out);

/**
 * Facts about this context as a JSON object: Version, StateDir, NatBackend (recorded, or
 * what the options and the host would choose), Bridge, Subnet and Gateway ("" until chosen at
 * the first start), Subnet6 and Gateway6 ("" without IPv6), ICC, NetworkConfigured, Helper,
 * Cgroups {Enabled, Parent, Unified, Systemd, Reason} (whether each container gets a cgroup of
 * its own, and why not), and KernelFeatures {Nftables, BridgeNetfilter, IptablesLegacy,
 * Conntrack, IPv6, PidFd, PortGuard} (PortGuard: the port guard of doc/security.md can be
 * built, nftables' bridge family being there).
 */
CTR_API int ctr_info(ctr_ctx *ctx, char **json_out);

/* ------------------------------------------------------------------------------------------ */
/* Endpoints: published ports for addresses the library did not create                       */
/* ------------------------------------------------------------------------------------------ */

/*
 * An endpoint is an address on the context's bridge that someone else made (a CNI plugin
 * chain, a runtime): the library publishes host ports to it with the same port specs,
 * allocation, NAT backends, localhost and hairpin paths, crash safety, reconcile and conntrack
 * handling as for its own containers.  Endpoints are records in the state directory (`ps -a`
 * lists them as "endpoint"), keyed by their owner's text; their ID is the SHA-256 of it.
 * Use them on a context opened with `external_bridge` = 1 (or on the library's own bridge).
 */

#define CTR_ENDPOINT_OPTIONS_VERSION 1

typedef struct {
	unsigned version;           /**< CTR_ENDPOINT_OPTIONS_VERSION */
	/** Who the endpoint belongs to, e.g. a CNI container ID and interface
	 *  ("<containerID>/eth0"): 1 to 1024 bytes without control characters.  Required. */
	const char *owner;
	/** The endpoint's IPv4 address, in the context's subnet ("10.88.0.5").  Required. */
	const char *ipv4;
	/** Its IPv6 address, in the context's IPv6 subnet; NULL: none (IPv6 host addresses are
	 *  then refused). */
	const char *ipv6;
	/** Path of its network namespace (e.g. /run/netns/cni-…): while the path names the same
	 *  namespace as at ctr_endpoint_add(), the endpoint lives; once it does not,
	 *  ctr_reconcile() removes the endpoint and its rules.  NULL: lives until removed. */
	const char *netns;
	/** Its interface inside that namespace (recorded, shown by inspect); may be NULL. */
	const char *ifname;
	/** Published ports, as `-p` (every form Docker accepts; a host port 0 or none takes a
	 *  free one).  NULL-terminated; may be NULL (nothing published). */
	const char *const *publish;
} ctr_endpoint_options;

/** The defaults: every pointer NULL. */
#define CTR_ENDPOINT_OPTIONS_INIT { .version = CTR_ENDPOINT_OPTIONS_VERSION }

/** As ctr_ctx_options_init(), for ctr_endpoint_options. */
CTR_API int ctr_endpoint_options_init(ctr_endpoint_options *opts, unsigned version);

/**
 * Publish ports for an endpoint, in one rule commit: all of them or none (a host port that
 * another container or endpoint holds: -EADDRINUSE, nothing published).  An endpoint of the
 * same owner that exists already is replaced.  Its 64-hex ID goes to `id_out` (may be NULL).
 */
CTR_API int ctr_endpoint_add(ctr_ctx *ctx, const ctr_endpoint_options *opts,
			     char id_out[CTR_ID_LEN + 1]);

/**
 * Remove the endpoint of `owner`: its rules, host ports and UDP conntrack entries.  0 also
 * when there is none (removing twice, or after the state directory was lost, is fine).
 */
CTR_API int ctr_endpoint_remove(ctr_ctx *ctx, const char *owner);

/**
 * Check that the endpoint of `owner` exists and that the kernel holds every rule it needs
 * (its DNAT rules and the network's base rules).  0, -ENOENT (no such endpoint) or -ENOLINK
 * (a rule is missing: the message says which; ctr_reconcile() restores them).
 */
CTR_API int ctr_endpoint_check(ctr_ctx *ctx, const char *owner);

/**
 * Remove every endpoint whose owner is not in `keep` (NULL-terminated; NULL keeps none), then
 * reconcile (ctr_reconcile()).  `*report_out` (may be NULL) receives the reconcile report with
 * EndpointsRemoved (their owners) added.
 */
CTR_API int ctr_endpoint_gc(ctr_ctx *ctx, const char *const *keep, char **report_out);

#ifdef __cplusplus
}
#endif

#endif /* CONTAINER_LINK_H */
