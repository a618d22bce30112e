/* Conntrack netlink: deleting the conntrack entries of published ports.  Effects only; works
 * in the network namespace the socket was opened in.  0 or a negative errno with the error
 * message set (ctr_err). */
#ifndef CTR_CONNTRACK_H
#define CTR_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One kind of conntrack entry to delete: original direction `proto` (IPPROTO_UDP, ...) of
 * `family` (AF_INET, AF_INET6) to port `dport` of `dst` (any address when `any_dst`); with `to`,
 * only the entries whose replies come from to_addr:to_port, that is connections DNAT'd there.
 * Addresses in network order (IPv4 in the first 4 bytes), ports in host order. */
struct ct_match {
	uint8_t family, proto;
	uint16_t dport;
	bool any_dst, to;
	uint8_t dst[16], to_addr[16];
	uint16_t to_port;
};

/* A NETLINK_NETFILTER socket for conntrack_flush(), kept by its owner (one thread at a time):
 * closing a netfilter socket right after an nftables commit that deleted something waits for
 * the kernel's deferred destruction of the old rules (an RCU grace period, ms), so a
 * long-lived context keeps one.  0, or a negative errno with the message set
 * (-EPROTONOSUPPORT: no nfnetlink). */
struct conntrack;
int conntrack_open(struct conntrack **out);
void conntrack_close(struct conntrack *ct); /* NULL is allowed */

/* Delete the conntrack entries that match one of `m` (n of them), through `ct` (NULL: a socket
 * of its own): nothing to do when the network namespace holds no entry (asked first); else,
 * for a few matches (up to 8; IPv6 ones only without an address, which the kernel's filter
 * compares inverted), one delete filtered in the kernel per match (Linux 6.12: the
 * kernel walks its hash table, shared by all namespaces, skipping the empty buckets, and copies
 * nothing out; a kept `ct` remembers a kernel that refuses it); otherwise one dump per address
 * family, whatever n, filtered in the kernel by what the matches share (a kernel that refuses
 * the filter gets an unfiltered dump), and a delete per entry wanted.  *deleted (may be NULL)
 * receives the number of entries removed; after a filtered delete, which the kernel does not
 * count, the fall of the namespace's entry count (other changes in the namespace at the same
 * time skew it).  A kernel without conntrack netlink is not an error. */
int conntrack_flush(struct conntrack *ct, const struct ct_match *m, size_t n, unsigned *deleted);

#endif
