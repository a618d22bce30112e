/* Internal interfaces of the locked operations (lib/ops/), for the public API (lib/api/) and
 * the monitor helper (lib/helper/), which links the same code.  The sections follow the files
 * in their one-way order, each calling only those above it here (and core/, sys/):
 * op.c < net.c < ports.c < etc.c < linkops.c < run.c < recover.c < ctx.c (doc/architecture.md). */
#ifndef CTR_INTERNAL_H
#define CTR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/cgroup.h"
#include "core/hostsocks.h"
#include "core/names.h"
#include "core/options.h"
#include "container-link.h"
#include "core/nat.h"
#include "core/netcfg.h"
#include "core/record.h"
#include "core/restart.h"
#include "sys/store.h"
#include "core/util.h"

#define DEFAULT_STATE_DIR "/run/ctrlink"
#define DEFAULT_BRIDGE "ctrlink0"
#define DEFAULT_STOP_TIMEOUT 10

/* ---- contexts and locked operations (op.c; opened in ctx.c) ------------------------------- */

struct op;

struct ctr_ctx {
	struct store st;
	char *helper;             /* the monitor program */
	/* network options as given to ctr_ctx_open (NULL / -1: not given) */
	char *opt_bridge, *opt_subnet, *opt_subnet6;
	int opt_icc;
	int opt_backend;
	int opt_external;
	/* the NAT handle, kept for the context's life (used under the state lock only) */
	struct nat *nat;
	const struct nat_ops *nat_ops;
	struct nat_net nat_net;
	struct nat *guard;    /* the port guard's handle (sys/nftguard.h), kept like `nat` */
	struct conntrack *ct; /* the conntrack socket (sys/conntrack.h), kept like `nat` */
	/* "ctrlink/<hash>": the parent of this state directory's container cgroups */
	char cg_parent[CG_PARENT_LEN + 1];
	/* Finish or undo what a dead process left pending on `id` (recover_pending, recover.c):
	 * op_begin calls it under the lock.  A hook, so that the locked operations (op.c) sit
	 * below the operations that recovery finishes (run.c, linkops.c). */
	int (*recover)(struct op *op, const char *id);
};

/* One locked operation: holds the state lock; the allocation index is loaded on demand and
 * written back at the end if it changed. */
struct op {
	ctr_ctx *ctx;
	struct store *st;
	int lockfd;
	bool have_net;
	struct netcfg net;
	bool alloc_loaded, alloc_dirty;
	struct alloc alloc;
	char **journal;  /* IDs this operation journaled: cleared by op_end, after the index */
	/* the host's sockets, read once per operation when a host port is first checked */
	int socks_state; /* 0 not read, 1 read, < 0 unreadable (bind tests instead) */
	struct hostsocks socks;
	/* the host ports other state directories publish, read with the host's sockets */
	int pubs_state; /* 0 not read, 1 read, < 0 the error that reading met */
	struct pubports pubs;
	uint8_t addr_ok[17]; /* the last specific host address found local: family, bytes */
	/* set by a caller whose container's processes are all gone (its monitor): net_detach
	 * leaves the host end of the veth, which the kernel removes with the container's network
	 * namespace, in veth_left for net_veth_del() after op_end (a deletion waits for an RCU
	 * barrier, ~20 ms, that no lock or waiting caller need sit through) */
	bool defer_veth;
	char veth_left[16];
};

/* Lock the state directory and recover what dead processes left half-done. */
int op_begin(struct op *op, ctr_ctx *ctx);
/* Write the allocation index if it changed, unlock.  Returns `e` (or the write's error if
 * e == 0). */
int op_end(struct op *op, int e);
/* Journal an operation on `id` ("start", "remove", "sync <child>", ...): if this process dies
 * before op_end, the next lock holder recovers it (recover.c). */
int op_journal(struct op *op, const char *id, const char *what);
/* The allocation index, loaded (or rebuilt from the records) on first use. */
int op_alloc(struct op *op, struct alloc **out);
/* The recorded network (-ENOENT: none recorded yet). */
int op_netcfg(struct op *op, const struct netcfg **out);
/* Load network.json into cfg; -ENOENT if none. */
int net_load(struct store *st, struct netcfg *cfg);

/* Resolve a reference (ID, name, link name, ID prefix) to an ID, with Docker's messages. */
int resolve_ref(struct store *st, const char *ref, char id[CTR_ID_LEN + 1]);

/* ---- network (net.c) ---------------------------------------------------------------------- */

/* Close the context's NAT handle. */
void net_close(ctr_ctx *ctx);
/* At open: a subnet given in the options that overlaps a route of the host is refused before
 * anything happens. */
int net_precheck(ctr_ctx *ctx);
/* Decide (from the context's options and what is recorded) and record the network; make the
 * bridge, base rules and sysctls exist.  Under the state lock. */
int net_ensure(struct op *op);
/* Give a starting container its link to the bridge: the veth pair, its peer created as eth0
 * in the container's namespace, the host end in hairpin mode. */
int net_attach(struct op *op, struct ctr_rec *rec, pid_t pid);
/* true (and the MAC in `mac`) when the bridge has the fixed MAC that the bridges we make get
 * (02:42: + the gateway's address), which a container may then keep as a permanent neighbour
 * entry; false for a bridge of someone else's, whose MAC may change. */
bool net_gateway_mac(struct op *op, uint8_t mac[6]);
/* After the container has brought eth0 up: wait (briefly) until the kernel has enabled its
 * bridge port and the bridge, so that the first frames to and from it are not dropped. */
int net_wait_ready(struct op *op, const struct ctr_rec *rec);
/* Then open the paths to it: its published ports and link rules (one commit), and forget stale
 * UDP conntrack entries of its host ports.  Last, so that no client is sent its way before it
 * can answer ARP: a first ARP request that goes unanswered costs a client a second. */
int net_open_paths(struct op *op, const struct ctr_rec *rec);
/* Undo net_attach (idempotent): veth, rules, conntrack entries, allocations. */
int net_detach(struct op *op, struct ctr_rec *rec);
/* Delete the host end of a veth that net_detach left (op->veth_left; gone already: fine). */
void net_veth_del(const char *name);
/* Apply a rule change with the recorded network (nothing to do when none is recorded). */
int net_apply(struct op *op, const struct nat_txn *txn);
/* The view that a running container's rules are planned from (core/plan_ports.h): whether
 * containers reach each other freely and, if `links` under isolation, its running link peers.
 * 1 (an empty view) when no network is recorded: then no container has a rule. */
struct rules_view;
int net_rules_view(struct op *op, const struct ctr_rec *rec, bool links, struct rules_view *v);
/* Make the kernel's rules of one container exactly what its record says: drop every rule
 * naming it, add its DNAT rules and the link rules of its running links, in one commit. */
int net_resync(struct op *op, const struct ctr_rec *rec);
/* Give back the addresses and ports of containers whose teardown could not delete their rules
 * (held/<id>, see net_detach), after deleting every rule naming them — or, with `dropped`,
 * because the caller has just made the rules exactly what the records say (reconcile). */
int net_release_held(struct op *op, bool dropped);
/* Every per-container rule in the kernel (for reconcile). */
int net_rules_list(struct op *op, struct nat_rule **out, size_t *n);
/* Ensure the bridge and base rules, then apply txn (reconcile). */
int net_reconcile_base(struct op *op, const struct nat_txn *txn);
struct guard_port;
/* The port guard holds exactly the ports v[0..n) (reconcile). */
int net_guard_sync(struct op *op, const struct guard_port *v, size_t n);
/* Forget the conntrack entries of the UDP host ports among `m`, whatever their destination
 * (a UDP client would otherwise stay on what the port meant before it was published). */
void net_flush_udp(struct op *op, const struct ctr_mapping *m, size_t n);
/* Forget the conntrack entries of connections that the mappings `m` of `rec` DNAT'd to it
 * (UDP only, or every protocol): a withdrawn port carries no old flow on. */
void net_flush_dnat(struct op *op, const struct ctr_rec *rec, const struct ctr_mapping *m,
		    size_t n, bool udp_only);
/* Refuse host addresses the backend cannot publish on. */
int ports_check_backend(struct op *op, const struct ctr_binding *b, size_t n);
/* The backend `auto` resolves to on this host. */
int net_auto_backend(void);
/* Can the kernel guard the bridge ports (nftables' bridge family)? */
bool net_guard_available(void);
bool net_nft_available(void);
/* The network this context would use: the recorded one changed by its options (subnet 0:
 * not chosen yet).  *recorded: whether one is recorded. */
int net_describe(ctr_ctx *ctx, struct netcfg *cfg, bool *recorded);
/* How host ports are allocated here: the ephemeral range, and the check that no host process
 * listens on a port. */
struct portplan_env;
void net_port_env(struct op *op, struct portplan_env *env);
/* Plan an address for rec (before the container exists): fills rec->net. */
int net_plan(struct op *op, struct ctr_rec *rec);

/* ---- publishing ports (ports.c) ---------------------------------------------------------- */

/* The view a publish or unpublish is planned from (core/plan_ports.h): the record of `ref`
 * (*rec, the caller's to free, set even on failure), the bindings `check` (NULL: none)
 * checked against the backend, and if the plan may `take` host ports and the container runs,
 * how host ports are found (env, the caller's) and the allocation index. */
struct ports_view;
struct port_plan;
int ports_view_load(struct op *op, const char *ref, const struct ctr_binding *check,
		    size_t ncheck, bool take, struct ctr_rec **rec, struct ports_view *v,
		    struct portplan_env *env);
/* Carry out the plan on `rec`: not running, save the record; running, journal, the rule
 * changes in one commit, the record (a failed save takes the rules back), then the host
 * ports: those taken go back if anything failed, those withdrawn are given back and their
 * flows cut. */
int ports_apply(struct op *op, struct ctr_rec *rec, struct port_plan *p);

/* ---- a container's /etc files (etc.c) ----------------------------------------------------- */

/* The hosts file of a container, from its record and its links' records in the store. */
int etc_hosts_compose(struct op *op, const struct ctr_rec *rec, char **out);
/* A container's /etc/<name> (hosts, hostname, resolv.conf).  rewrite: the state
 * directory's copy (the library's own) and, while it runs, the container's live copy.
 * live_alias: in the live copy only, the lines of `alias` get `ip` (the container's own lines
 * stay); `fallback` (the library's whole file) replaces it if it has no such line. */
int etc_live_alias(struct op *op, const struct ctr_rec *rec, const char *alias, const char *ip,
		   const char *fallback);
int etc_rewrite(struct op *op, const struct ctr_rec *rec, const char *name, const char *data);

/* ---- links (linkops.c) -------------------------------------------------------------------- */

/* Remove the link `alias` of the container `parent_id`: record, index, rules, hosts. */
int unlink_locked(struct op *op, const char *parent_id, const char *alias);
/* A linked container started (its address) or was renamed (`rerender`: its name): rewrite the
 * hosts files of the running containers linking to it. */
int links_child_changed(struct op *op, const struct ctr_rec *child, bool rerender);

/* ---- containers (run.c) ------------------------------------------------------------------- */

/* Remove the cgroup of the container `id` (NULL: none, only this state directory's parent
 * if it is empty), waiting up to `wait_ms` while it is busy.  Never under the state lock. */
void run_cgroup_gone(ctr_ctx *ctx, const char *id, int wait_ms);
/* Record a container's end (called by its monitor, and by recovery when the monitor died):
 * network down, status exited, auto-remove.  Under the state lock. */
int run_finish(struct op *op, const char *id, uint64_t generation, int exit_code);
/* run_finish for the run's own monitor: the restart policy decides too.  *restart_ms > 0: the
 * record says "restarting", with the caller as its monitor, which then waits that long and
 * calls run_policy_restart(). */
int run_exit(struct op *op, const char *id, uint64_t generation, int exit_code,
	     unsigned *restart_ms);
/* Start the run after `generation` by the policy (its own locked operation), unless the
 * container was started, stopped or removed meanwhile.  The record stays "restarting" until
 * that start has run the command (plan_start_running) or failed. */
int run_policy_restart(ctr_ctx *ctx, const char *id, uint64_t generation);

/* Remove a stopped container's state and indexes.  Under the state lock. */
int run_remove_locked(struct op *op, struct ctr_rec *rec);

/* The process environment (§1.7) of a container at start or exec. */
int build_env(struct op *op, const struct ctr_rec *rec, const char *const *extra, char ***out);

/* ---- recovery (recover.c) ----------------------------------------------------------------- */

/* Is the record's run alive: a container's monitor, or an endpoint's network namespace (the
 * path still names the namespace it named when added; no path: alive). */
bool rec_alive(const struct ctr_rec *r);

/* Finish or undo the operation that a dead process left pending on `id`. */
int recover_pending(struct op *op, const char *id);
/* A record that says running but whose monitor is dead: record its end now (lock, finish),
 * and reload *rec.  Returns 0, 1 if the container is gone (auto-removed), or an error. */
int heal_if_dead(ctr_ctx *ctx, struct ctr_rec **rec);
/* ctr_reconcile: dead monitors, indexes, and the rules, made to match the records. */
int reconcile(ctr_ctx *ctx, char **report_out);

/* ---- contexts (ctx.c) --------------------------------------------------------------------- */

/* A context on a state directory with no options (the monitor's).
 * dirfd >= 0: the state directory already open (the monitor's LAUNCH_FD_STATE). */
int ctx_open_state(ctr_ctx **out, const char *state_dir, int dirfd);

#endif
