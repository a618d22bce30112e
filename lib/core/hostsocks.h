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
	uint16_t holder;  /* 0: a host process; pubports: 1 + the index of its bridge */
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

/* The host ports that other state directories of ours publish: the DNAT rules of the other
 * bridges (nat_ops.list_others), read once per operation like the sockets, each port held as a
 * socket on the rule's host address would hold it, so that hostsocks_conflict's overlap rule
 * decides for them too.  A DNAT rule of one family catches only that family's traffic: an IPv6
 * rule is held like an IPv6-only socket. */
struct nat_rule;
struct pubports {
	struct hostsocks hs;
	char (*bridge)[16]; /* the bridges named by hs's holders */
	size_t n_bridge, cap_bridge;
};

/* Record every host port of `r` (a DNAT rule; other kinds are ignored) as published on
 * `bridge`.  -ENOMEM or 0. */
int pubports_add(struct pubports *pp, const char *bridge, const struct nat_rule *r);

/* The bridge whose published port a publication of `addr`:`port` would overlap (as
 * hostsocks_conflict sees overlap), or NULL. */
const char *pubports_conflict(struct pubports *pp, int proto, int family, const uint8_t *addr,
			      uint16_t port);

void pubports_free(struct pubports *pp);

#endif
