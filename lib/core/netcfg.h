/* The network of a state directory (network.json): its fields, the subnet parsers, and the
 * file's text read and written.  Pure: the store reads and writes the file (ops/op.c,
 * ops/net.c). */
#ifndef CTR_NETCFG_H
#define CTR_NETCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The network of a state directory, as recorded in network.json. */
struct netcfg {
	char bridge[16];
	uint32_t subnet, gateway; /* network order */
	int prefixlen;
	bool icc;
	int backend;              /* ctr_nat_backend, never AUTO once recorded */
	int prefixlen6;           /* 0: no IPv6 */
	uint8_t subnet6[16], gateway6[16];
	bool external;            /* the bridge is someone else's: see ctr_ctx_options */
};

/* "a.b.c.d/N" (N from 16 to 30, host bits clear) into network-order address and prefix. */
int parse_subnet(const char *s, uint32_t *net, int *prefixlen);
/* An IPv6 subnet "x::/N" (N from 48 to 96, host bits clear). */
int parse_subnet6(const char *s, uint8_t net[16], int *prefixlen);
/* The IPv6 address of a container: the IPv6 subnet plus the IPv4 address's host number. */
void ip6_for(const struct netcfg *cfg, uint32_t ip4, uint8_t out[16]);

/* "auto", "iptables", "nftables" (a ctr_nat_backend); "?" for another value. */
const char *net_backend_name(int backend);
/* network.json's text into cfg: 0, or -EINVAL when it is damaged (the message is the
 * caller's, which knows the file's path). */
int netcfg_decode(const char *buf, size_t len, struct netcfg *cfg);
/* cfg as network.json's text (malloc'd, *out); -ENOMEM. */
int netcfg_encode(const struct netcfg *cfg, char **out);

#endif
