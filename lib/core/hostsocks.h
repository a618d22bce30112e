/* The host's own sockets on ports we might publish (pure): a snapshot of listening TCP sockets
 * and bound UDP sockets, and the rule that says whether publishing a host address and port
 * would take traffic away from one of them.  The snapshot is read from the kernel once per
 * operation (sockdiag_load in rtnl.h), so that checking a 1000-port range costs one dump
 * instead of 1000 bind tests. */
#ifndef CTR_HOSTSOCKS_H
#define CTR_HOSTSOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct host_sock {
	uint8_t proto;    /* CTR_TCP or CTR_UDP */
	uint8_t family;   /* AF_INET / AF_INET6 (an IPv4-mapped IPv6 address is kept as IPv4) */
	bool v6only;      /* an IPv6 socket that does not take IPv4 traffic */
	uint16_t port;
	uint8_t addr[16]; /* all zero: the unspecified address */
};

struct hostsocks {
	struct host_sock *v;
	size_t n, cap;
	bool sorted;
};

/* Record a socket (`addr` 4 or 16 bytes by family, network order).  -ENOMEM or 0. */
int hostsocks_add(struct hostsocks *hs, int proto, int family, const uint8_t *addr,
		  uint16_t port, bool v6only);

/* The host socket that a publication of `addr`:`port` (family, all zero for the unspecified
 * address) would overlap, or NULL.  Addresses overlap as bind(2) sees them: equal, or either
 * one unspecified in the same family; an unspecified IPv6 socket that is not IPv6-only also
 * takes IPv4, and publishing on the unspecified IPv6 address (both families) meets IPv4
 * sockets too.  Sorts the snapshot on first use. */
const struct host_sock *hostsocks_conflict(struct hostsocks *hs, int proto, int family,
					   const uint8_t *addr, uint16_t port);

void hostsocks_free(struct hostsocks *hs);

#endif
