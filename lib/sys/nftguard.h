/* The port guard in the kernel: nftables' bridge family (sys/nat_nft.c), whatever the NAT
 * backend.  What it lets through is described in core/guard.h. */
#ifndef CTR_NFTGUARD_H
#define CTR_NFTGUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/guard.h"

struct nat;

/* true if the kernel answers nftables requests (one NFT_MSG_GETGEN on a socket of its own). */
bool nft_probe(void);

/* A handle on the guard of `bridge` (its socket is opened on first use and kept: closing a
 * netfilter socket after deletions waits for an RCU grace period).  Does not touch the
 * kernel.  0, or -EINVAL / -ENOMEM with the message set. */
int nft_guard_open(struct nat **out, const char *bridge);
void nft_guard_close(struct nat *g);
/* The bridge a handle is for. */
const char *nft_guard_bridge(const struct nat *g);

/* Drop the ports del[0..n_del) from the guard (absent ones are no error where the kernel can
 * destroy elements, 6.3+) and guard add[0..n_add).  A guard found missing (a flushed ruleset)
 * is made again in the same change.  `reset`: the whole layout is written again (its rules
 * replaced) and every other port forgotten first (reconcile).  One atomic batch each time: on
 * failure nothing changed.  0 or a negative errno with the message set. */
int nft_guard_apply(struct nat *g, const struct guard_port *add, size_t n_add,
		    const struct guard_port *del, size_t n_del, bool reset);
/* Delete the guard (absent: not an error). */
int nft_guard_remove(struct nat *g);

#endif
