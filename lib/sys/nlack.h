/* Errors in netlink answers, with the kernel's extended ACK (its explanation and the offset of
 * the attribute it refused).  Pure: parses a received message, no I/O.  Shared by rtnl.c and
 * the nftables backend. */
#ifndef CTR_NLACK_H
#define CTR_NLACK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

struct nl_extack {
	char msg[256];  /* the kernel's explanation, control characters blanked, or "" */
	bool has_offs;
	uint32_t offs;  /* the refused attribute, from the start of the failed request */
};

/* The error carried by an NLMSG_ERROR: 0 for an ACK, -EBADMSG if it is truncated, otherwise
 * the kernel's negative errno; for an error, *ack is cleared and then filled from the
 * message's extended ACK attributes, if any. */
int nl_ack_parse(const struct nlmsghdr *m, struct nl_extack *ack);
/* The same for an NLMSG_DONE (a dump can fail half-way): 0 or the kernel's errno. */
int nl_done_parse(const struct nlmsghdr *m, struct nl_extack *ack);

#endif
