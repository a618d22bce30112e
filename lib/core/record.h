/* The container record: everything the library knows about one container, and its JSON form
 * on disk (pure code).  The state store (store.c) reads and writes these files; inspect.c
 * renders them in Docker's shape. */
#ifndef CTR_RECORD_H
#define CTR_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "container-link.h"
#include "core/logopt.h"
#include "core/model.h"

enum ctr_status {
	ST_CREATED = 0, /* never started, or its last start failed */
	ST_STARTING,    /* a start is in progress (or was interrupted) */
	ST_RUNNING,
	ST_EXITED,
};

const char *status_name(enum ctr_status st); /* "created", "starting", "running", "exited" */

struct ctr_link {
	char *target; /* the linked (child) container's ID */
	char *alias;
	bool env;     /* copy the child's environment as <ALIAS>_ENV_* */
};

/* The container's network while it runs (addresses in network byte order). */
struct ctr_net {
	uint32_t ip, gateway;
	int prefixlen;
	int prefixlen6;            /* 0: no IPv6 address */
	uint8_t ip6[16], gateway6[16];
	uint8_t mac[6];
	char veth[16];   /* host end */
	char bridge[16];
};

/* The container's IPv6 address, or NULL when it has none. */
#define NET_IP6(net) ((net)->prefixlen6 ? (net)->ip6 : NULL)

struct ctr_rec {
	char id[CTR_ID_LEN + 1];
	char *name;                /* without the leading '/' */
	int64_t created;           /* ns since the epoch */

	/* configuration */
	char **argv;
	char **env;                /* as given with -e, in order */
	char *hostname;
	char *domainname;          /* NULL if none */
	char *workdir;             /* NULL: "/" */
	char *rootfs;              /* NULL: the host's filesystem */
	char *user;                /* NULL: root */
	char **cap_add, **cap_drop;
	struct ctr_port *exposed;  /* sorted, unique */
	size_t n_exposed;
	struct ctr_binding *bindings; /* HostConfig.PortBindings, in the order given */
	size_t n_bindings;
	bool publish_all, auto_remove;
	bool unconfined;           /* no seccomp filter ("seccomp": "unconfined") */
	struct ctr_link *links;
	size_t n_links;
	int restart_policy;        /* enum restart_policy (core/restart.h) */
	int restart_max;           /* its MaximumRetryCount (on-failure; 0: no limit) */
	struct log_config log;     /* --log-opt max-size, max-file (core/logopt.h) */
	/* --userns=auto: container IDs 0..userns_size-1 are host uids userns_uid.. and gids
	 * userns_gid.. (core/userns.h), chosen at create and kept for the container's life */
	bool userns;
	uint32_t userns_uid, userns_gid, userns_size;

	/* state */
	enum ctr_status status;
	pid_t pid;                 /* container's init, in the host's PID namespace */
	uint64_t pid_start;        /* its start time (clock ticks since boot), guards against reuse */
	pid_t mon_pid;             /* its monitor */
	uint64_t mon_start;
	int exit_code;
	int64_t started, finished; /* ns since the epoch; 0 = never */
	char *error;               /* why the last start failed ("" or NULL: it did not) */
	uint64_t generation;       /* counts starts; a monitor only records its own run */
	uint64_t restart_gen;      /* the run that a restart ends: its end does not auto-remove */
	uint64_t restart_count;    /* RestartCount: the policy's restarts since the last start */
	unsigned restart_delay;    /* ms: the policy's last wait before a restart */
	bool restarting;           /* ended; its monitor (mon_pid) starts it again by the policy */
	bool manual_stop;          /* stopped or killed by hand: the policy waits for a start */
	char *cgroup;              /* the run's own cgroup, from each hierarchy's top
				    * ("/ctrlink/<hash>/<id>", core/cgroup.h); NULL: the run stays
				    * in its starter's (no writable cgroupfs) */
	bool has_net;
	struct ctr_net net;
	struct ctr_mapping *mappings; /* NetworkSettings.Ports: what is bound while running */
	size_t n_mappings;

	/* an endpoint (ctr_endpoint_add): an address someone else made; no process, no veth */
	char *owner;               /* NULL: a container */
	char *netns;               /* its namespace's path (NULL: none given) */
	char *ifname;
	uint64_t netns_dev, netns_ino; /* what that path named when it was added */

	/* salvaged (rec_salvage) from a record this library cannot read: shown as "dead", never
	 * saved; `error` says why */
	bool unreadable;
	bool opaque; /* unreadable, and nothing of it kept but its ID (and name) */
};

/* Whether the end of the current run removes the container (--rm, unless a restart ends it). */
static inline bool rec_end_removes(const struct ctr_rec *r)
{
	return r->auto_remove && r->restart_gen != r->generation;
}


/* Docker's State.Status: "restarting" while the policy's restart waits; a start in progress
 * shows as "created". */
static inline const char *rec_state_name(const struct ctr_rec *r)
{
	if (r->unreadable)
		return "dead";
	if (r->restarting)
		return "restarting";
	return status_name(r->status == ST_STARTING ? ST_CREATED : r->status);
}

/* A restart that waits is off: the record no longer names its monitor. */
static inline void rec_restart_off(struct ctr_rec *r)
{
	r->restarting = false;
	r->mon_pid = 0;
	r->mon_start = 0;
}

/* Docker's State.Running: running, or waiting for the policy's restart. */
static inline bool rec_running(const struct ctr_rec *r)
{
	return r->status == ST_RUNNING || r->restarting;
}

/* true for an endpoint's record */
#define REC_IS_ENDPOINT(r) ((r)->owner != NULL)

/* Free a record and everything it owns.  NULL is allowed. */
void rec_free(struct ctr_rec *rec);

/* Serialise to our state JSON (not Docker's shape).  *out is malloc'd. */
int rec_to_json(const struct ctr_rec *rec, char **out);

/* Parse our state JSON.  Refuses (with a clear message naming the field) a document that is
 * not one we wrote: wrong types, bad IDs, out-of-range numbers, control characters where a
 * file line will be built from a value. */
int rec_from_json(const char *json, size_t len, struct ctr_rec **out);

/* What can be kept of the record of container `id` that rec_from_json() refused (`why`, its
 * message): the whole record when only its version is not ours (a newer library wrote it),
 * else the ID alone.  Either way `unreadable` is set and `error` is `why`, so it lists as
 * "dead", and what it holds (processes, address, ports) can still be kept or released.
 * 0, or -ENOMEM. */
int rec_salvage(const char *json, size_t len, const char *id, const char *why,
		struct ctr_rec **out);

/* Add container ports to the exposed set (kept sorted and unique). */
int rec_expose(struct ctr_rec *rec, const struct ctr_port *ports, size_t n);

/* Add bindings (and expose their container ports). */
int rec_add_bindings(struct ctr_rec *rec, const struct ctr_binding *b, size_t n);

/* The link with `alias`, or NULL. */
struct ctr_link *rec_find_link(const struct ctr_rec *rec, const char *alias);

/* Format "02:42:ac:11:00:02" (buf ≥ 18) and IPv4 dotted quads (buf ≥ 16). */
void mac_format(const uint8_t mac[6], char *buf, size_t len);
void ip4_format(uint32_t ip, char *buf, size_t len);
/* IPv6 text form (buf ≥ 46). */
void ip6_format(const uint8_t ip[16], char *buf, size_t len);
/* Docker's classic MAC for an IPv4 address: 02:42 + the four address bytes. */
void mac_from_ip4(uint32_t ip, uint8_t mac[6]);

/* Nanoseconds since the epoch as RFC 3339 with nanoseconds, UTC, Go style
 * ("2026-11-28T11:14:41.123456789Z", trailing zeros dropped); 0 gives the Go zero time
 * "0001-01-01T00:00:00Z".  buf ≥ 40. */
void time_format(int64_t ns, char *buf, size_t len);

#endif
