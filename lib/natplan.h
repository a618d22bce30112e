/* Planning the per-container NAT rules (pure): published ports become DNAT rules (runs of
 * consecutive ports with one offset coalesced into one rule), links become ACCEPT rules for
 * the child's exposed ports (runs coalesced). */
#ifndef CTR_NATPLAN_H
#define CTR_NATPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "nat.h"

/* Append DNAT rules for `m` owned by `id`: IPv4 host addresses to the container's `cip`,
 * IPv6 ones to its `cip6` (NULL: the container has no IPv6 address; IPv6 mappings are then
 * skipped). */
int natplan_dnat(const char *id, uint32_t cip, const uint8_t *cip6, const struct ctr_mapping *m,
		 size_t n, struct nat_rule **rules, size_t *nrules);

/* Append the rules of one link: parent `pid` at `pip` may reach child `cid` at `cip` on the
 * child's exposed ports; with both IPv6 addresses given, over IPv6 as well. */
int natplan_link(const char *pid, uint32_t pip, const uint8_t *pip6, const char *cid,
		 uint32_t cip, const uint8_t *cip6, const struct ctr_port *exposed, size_t n,
		 struct nat_rule **rules, size_t *nrules);

#endif
