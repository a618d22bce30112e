/* rtnetlink through libmnl: links, addresses, routes, neighbours.  Effects only;
 * every function works in the network namespace the socket was opened in.  All functions
 * return 0 or a negative errno with the error message set (ctr_err). */
#ifndef CTR_RTNL_H
#define CTR_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct rtnl;

/* Open a NETLINK_ROUTE socket (close-on-exec) in the caller's network namespace.  A handle is
 * not locked: one thread at a time may use it (it may be handed from thread to thread). */
int rtnl_open(struct rtnl **out);
void rtnl_close(struct rtnl *nl);

/* Index of the interface `name`; -ENODEV (message set) if there is none. */
int rtnl_link_index(struct rtnl *nl, const char *name, int *ifindex);

/* Bring an interface up (or down). */
int rtnl_link_set_up(struct rtnl *nl, int ifindex, bool up);

/* Delete the interface `name` (a veth: both ends go).  -ENODEV if it does not exist. */
int rtnl_link_del(struct rtnl *nl, const char *name);

/* Create the bridge `name` (IFLA_BR_NF_CALL_IPTABLES and IFLA_BR_NF_CALL_IP6TABLES as given,
 * so that bridged IPv4 and IPv6 traffic between its ports traverses the firewall when the
 * containers are isolated) with MAC address `mac`, and bring it up.  A bridge given its address
 * keeps it; one without takes the lowest of its ports' addresses, and changes it as ports come
 * and go — behind the back of every container that has the gateway's old address in its ARP
 * cache.  -EEXIST if an interface of that name exists (whatever its kind). */
int rtnl_bridge_create(struct rtnl *nl, const char *name, const uint8_t mac[6],
		       bool nf_call_iptables);

/* Set IFLA_BR_NF_CALL_IPTABLES and IFLA_BR_NF_CALL_IP6TABLES on an existing bridge. */
int rtnl_bridge_set_nf_call(struct rtnl *nl, int ifindex, bool nf_call_iptables);

/* true if `ifindex` is a bridge. */
int rtnl_link_is_bridge(struct rtnl *nl, int ifindex, bool *is_bridge);

/* In one lookup: whether the interface is a bridge, and its alias (IFLA_IFALIAS, what `ip link`
 * shows as "alias"; "" when it has none).  Setting the alias: at most 255 bytes. */
int rtnl_link_bridge_alias(struct rtnl *nl, int ifindex, bool *is_bridge, char *buf,
			   size_t len);
int rtnl_link_set_alias(struct rtnl *nl, int ifindex, const char *alias);

/* Create a veth pair in one request: the host end `host_name` is enslaved to `master_ifindex`
 * and up; the peer is created directly in the network namespace of process `peer_netns_pid`,
 * named `peer_name`, with MAC `peer_mac`, and left down.
 * A bridge that has no free port numbers left fails with -EXFULL and a message naming the
 * bridge and the kernel's limit. */
int rtnl_veth_create(struct rtnl *nl, const char *host_name, int master_ifindex,
		     const char *peer_name, const uint8_t peer_mac[6], pid_t peer_netns_pid);

/* The Ethernet address of interface `name`. */
int rtnl_link_mac(struct rtnl *nl, const char *name, uint8_t mac[6]);

/* Hairpin mode of a bridge port (so that traffic NATed back to the port it came from is
 * delivered, as happens for a container reaching its own published port). */
int rtnl_bridge_port_hairpin(struct rtnl *nl, const char *name, bool on);

/* Wait, up to `timeout_ms`, until the kernel has finished bringing interface `name` up: its
 * operational state is up and, for a bridge port, the port is no longer disabled.  The kernel
 * does this asynchronously after the carrier comes on, and until then it drops what the
 * device sends or the bridge forwards to it (which costs a TCP client a one-second SYN
 * retransmission).  Returns 0 whether or not the wait ended in time (a bridge with STP keeps
 * ports blocked much longer; that is its owner's choice); fails only if `name` cannot be read. */
int rtnl_link_wait_ready(struct rtnl *nl, const char *name, int timeout_ms);

/* Add an address (family AF_INET or AF_INET6, `addr` in network order).  An address that is
 * already there is not an error.  IPv6 addresses skip duplicate address detection. */
int rtnl_addr_add(struct rtnl *nl, int ifindex, int family, const void *addr, int prefixlen);

/* Add the default route via `gw` (AF_INET or AF_INET6) out of `ifindex`. */
int rtnl_route_add_default(struct rtnl *nl, int family, const void *gw, int ifindex);

/* Add (replace) or delete the permanent neighbour entry `addr` -> `mac` on `ifindex`
 * (AF_INET: ARP, AF_INET6: NDP).  Deleting an entry that is not there is not an error. */
int rtnl_neigh_set(struct rtnl *nl, int ifindex, int family, const void *addr,
		   const uint8_t mac[6], bool add);

/* Look through the main routing table for an IPv4 route that overlaps `net`/`prefixlen`
 * (network order), ignoring routes out of `ignore_ifindex` (0: none) and the default route.
 * Sets *overlaps; when it does, writes a description such as "10.0.0.0/8 dev eth0" to `desc`. */
int rtnl_route_overlap4(struct rtnl *nl, uint32_t net, int prefixlen, int ignore_ifindex,
			bool *overlaps, char *desc, size_t desc_len);

#endif
