/* The port guard (anti-spoofing), pure part: what a container's bridge port may send.
 *
 * Every frame a container sends enters the bridge through the host end of its veth.  The
 * guard (nftables, bridge family: sys/nat_nft.c nft_guard_apply) lets through only frames
 * whose source MAC is the container's, and of those only IPv4 from its address, ARP that
 * speaks for its address and MAC, and IPv6 from its address, its link-local address or ::
 * (duplicate address detection).  Everything else from a guarded port (other ethertypes,
 * VLAN tags, spoofed sources) is dropped before the bridge learns or forwards it.  This file
 * turns a container's port into the set keys the guard is made of; nothing here touches the
 * kernel. */
#ifndef CTR_GUARD_H
#define CTR_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ctr_net;

struct guard_port {
	char port[16];   /* the bridge port: the host end of the container's veth */
	uint8_t mac[6];
	uint32_t ip;     /* network order */
	bool has6;
	uint8_t ip6[16];
};

/* Set keys, as nftables lays out a concatenation (each field rounded up to 4 bytes): */
#define GUARD_KEY_PORT 16 /* ifname */
#define GUARD_KEY_MAC 24  /* ifname . ether_addr */
#define GUARD_KEY4 28     /* ifname . ether_addr . ipv4_addr */
#define GUARD_KEY6 40     /* ifname . ether_addr . ipv6_addr */
#define GUARD_KEYS6 3     /* IPv6 sources of a port: its address, link-local, :: */

/* A container's port from its network record; false if it has no veth of ours (an endpoint). */
bool guard_port_of(const struct ctr_net *net, struct guard_port *out);
/* The EUI-64 link-local address of `mac`: what the kernel gives eth0 (addr_gen_mode 0). */
void guard_link_local(const uint8_t mac[6], uint8_t out[16]);
void guard_key_port(const struct guard_port *p, uint8_t key[GUARD_KEY_PORT]);
void guard_key_mac(const struct guard_port *p, uint8_t key[GUARD_KEY_MAC]);
void guard_key4(const struct guard_port *p, uint8_t key[GUARD_KEY4]);
/* The keys of the port's IPv6 sources: GUARD_KEYS6, or 0 when it has no IPv6. */
size_t guard_keys6(const struct guard_port *p, uint8_t keys[GUARD_KEYS6][GUARD_KEY6]);

#endif
