/* What every NAT backend does with the rules of nat.h before it speaks to the kernel (pure):
 * checking a network and a change, the order the backends sort rules in, the set of container
 * IDs a change drops, and the coalescing of one-port rules into runs (how natplan.c plans
 * them, and how a backend that stores ports one by one lists them back). */
#ifndef CTR_NATRULES_H
#define CTR_NATRULES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/nat.h"

/* Check the network a backend handle is opened for: its bridge name (at most `bridge_max`
 * characters; `why_max` ends the message that says so, "" or ", so that ..."), the IPv4
 * subnet, and with `v6` the IPv6 subnet when there is one.  0 or -EINVAL with the message. */
int nat_net_check(const struct nat_net *net, size_t bridge_max, const char *why_max, bool v6);

/* Check the arrays of a change: counts with arrays, container IDs to drop.  0 or -EINVAL. */
int nat_txn_check(const struct nat_txn *txn);

/* The container IDs of a change's drop_ids, sorted (for nat_ids_name).  *out is the caller's
 * to free (never NULL on success).  0 or -ENOMEM with the message. */
int nat_ids_sorted(const char *const *ids, size_t n, const char ***out);
/* true if `owner` or `peer` (when not "") is one of the sorted IDs. */
bool nat_ids_name(const char *const *sorted, size_t n, const char *owner, const char *peer);

/* qsort order of an array of rule pointers: nat_rule_cmp(), then position in memory (so the
 * first of equal rules of one array sorts first). */
int nat_rule_ptr_cmp(const void *pa, const void *pb);
/* The first position in `v` (sorted by nat_rule_ptr_cmp) whose rule is not less than `key`. */
size_t nat_rule_lower_bound(const struct nat_rule *const *v, size_t n, const struct nat_rule *key);
/* true if a rule equal to `key` is in `v` (sorted by nat_rule_ptr_cmp). */
bool nat_rule_in_sorted(const struct nat_rule *const *v, size_t n, const struct nat_rule *key);

/* qsort order of rules that groups the rules of one run together, in port order: kind,
 * owners, family, protocol, addresses, first (host) port. */
int nat_rule_run_cmp(const void *pa, const void *pb);
/* If `next` continues the run `run` (same kind, owners, family, protocol and addresses; its
 * ports follow run's, and for DNAT its container ports keep the run's offset), extend `run`
 * over it and return true. */
bool nat_rule_extend(struct nat_rule *run, const struct nat_rule *next);
/* The same for rules whose owners are the caller's to know equal (natplan.c plans the rules
 * of one owner at a time). */
bool nat_run_extend(struct nat_rule *run, const struct nat_rule *next);
/* Sort v[0..n) by nat_rule_run_cmp and merge each run of consecutive ports into one rule, as
 * natplan.c plans them.  Returns the number of rules left at the front of v. */
size_t nat_rules_coalesce(struct nat_rule *v, size_t n);

#endif
