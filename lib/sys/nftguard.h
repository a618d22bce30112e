/* The port guard in the kernel: nftables' bridge family (sys/nat_nft.c), whatever the NAT
 * backend.  What it lets through is described in core/guard.h. */
#ifndef CTR_NFTGUARD_H
#define CTR_NFTGUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/guard.h"

/* Make the guard of `bridge` exist (table bridge ctrlink_<bridge>; its rules are written
 * again), drop the ports del[0..n_del) (absent ones are no error where the kernel can
 * destroy elements, 6.3+), and guard add[0..n_add).  `reset`: forget every other port first
 * (reconcile).  One atomic batch: on failure nothing changed.  0 or a negative errno with the
 * message set. */
int nft_guard_apply(const char *bridge, const struct guard_port *add, size_t n_add,
		    const struct guard_port *del, size_t n_del, bool reset);
/* Delete the guard of `bridge` (absent: not an error). */
int nft_guard_remove(const char *bridge);

#endif
