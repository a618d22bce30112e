/* Planning the per-container NAT rules (pure): published ports become DNAT rules (runs of
 * consecutive ports with one offset coalesced into one rule), links become ACCEPT rules for
 * the child's exposed ports (runs coalesced). */
#ifndef CTR_NATPLAN_H
#define CTR_NATPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/nat.h"

/* Append DNAT rules for `m` owned by `id`: IPv4 host addresses to the container's `cip`,
 * IPv6 ones to its `cip6` (NULL: the container has no IPv6 address; IPv6 mappings are then
 * skipped). */
int natplan_dnat(const char *id, uint32_t cip, const uint8_t *cip6, const struct ctr_mapping *m,
		 size_t n, struct nat_rule **rules, size_t *nrules);

/* The DNAT rules that can differ when a container's mappings m[0..n) lose del[0..ndel) (some
 * of them) and gain add[0..nadd) (none of them): appended to *ra those of natplan_dnat(m) and
 * to *rb those of natplan_dnat(the mappings after) that hold, or border on (one host port
 * below or above), the host port of a changed mapping with its address and protocol.  Every
 * other rule is in both, so natplan_diff of the two gives what it gives of the whole lists,
 * in the same order.  A list holds a host port of an address and protocol once (the
 * allocator sees to it).  O(n + nadd + ndel + the rules found). */
int natplan_dnat_change(const char *id, uint32_t cip, const uint8_t *cip6,
			const struct ctr_mapping *m, size_t n, const struct ctr_mapping *add,
			size_t nadd, const struct ctr_mapping *del, size_t ndel,
			struct nat_rule **ra, size_t *nra, struct nat_rule **rb, size_t *nrb);

/* Append the rules of one link: parent `pid` at `pip` may reach child `cid` at `cip` on the
 * child's exposed ports; with both IPv6 addresses given, over IPv6 as well. */
int natplan_link(const char *pid, uint32_t pip, const uint8_t *pip6, const char *cid,
		 uint32_t cip, const uint8_t *cip6, const struct ctr_port *exposed, size_t n,
		 struct nat_rule **rules, size_t *nrules);

/* Append one rule to *rules (grown as needed, O(1) amortised).  0 or -ENOMEM. */
int natplan_push(struct nat_rule **rules, size_t *n, const struct nat_rule *r);

/* The difference between two rule lists, as nat_rule_equal() sees rules: `del` gets the rules
 * of `a` that are not in `b` (in a's order), `add` the rules of `b` not in `a` (in b's order);
 * both arrays are the caller's, with room for na and nb rules.  O((na + nb) log(na + nb)).
 * 0 or -ENOMEM (nothing written). */
int natplan_diff(const struct nat_rule *a, size_t na, const struct nat_rule *b, size_t nb,
		 struct nat_rule *del, size_t *ndel, struct nat_rule *add, size_t *nadd);

#endif
