/* The NAT module: the firewall rules that give containers outbound masquerade, isolation,
 * published ports (DNAT) and link channels.  One interface, several backends (libiptc now;
 * nftables beside it).  Backends are effects; the rules they are given are planned by pure
 * code (natplan.c).
 *
 * Layout every backend provides for one bridge <br> with subnet S and gateway G (names shown
 * for the iptables backend):
 *
 *   nat PREROUTING  -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-<br>
 *   nat OUTPUT      -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-<br>
 *   nat POSTROUTING -j CTRLINK-POST-<br>                        (first)
 *   CTRLINK-POST-<br>:
 *       -s S -d S -o <br> -m conntrack --ctstate DNAT -j MASQUERADE   hairpin
 *       -s 127.0.0.0/8 -o <br> -j MASQUERADE                           localhost -> container
 *       -s S ! -o <br> -j MASQUERADE                                   outbound
 *   CTRLINK-DNAT-<br>:  one DNAT rule per published run of ports (NAT_RULE_DNAT)
 *   filter FORWARD  -j CTRLINK-FWD-<br>                         (first)
 *   CTRLINK-FWD-<br>:
 *       -o <br> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
 *       -o <br> -m conntrack --ctstate DNAT -j ACCEPT            published ports
 *       -i <br> -o <br> -j CTRLINK-LINK-<br>
 *       -i <br> -o <br> -j ACCEPT (icc) | DROP (isolation)
 *       -i <br> ! -o <br> -j ACCEPT                              outbound
 *       -o <br> -j DROP                                          no direct access from outside
 *   CTRLINK-LINK-<br>:  one ACCEPT per link and exposed port run (NAT_RULE_LINK)
 *   raw PREROUTING  -j CTRLINK-RAW-<br>
 *   CTRLINK-RAW-<br>:   -d 127.0.0.0/8 ! -i lo -j DROP         (CVE-2020-8558)
 *
 * Per-container rules carry their owners (container IDs) so that they can be found and removed
 * by owner, and listed back for reconcile.
 */
#ifndef CTR_NAT_H
#define CTR_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/names.h"

/* Network-wide parameters (addresses in network byte order). */
struct nat_net {
	char bridge[16];
	uint32_t subnet;
	int prefixlen;
	uint32_t gateway;
	bool icc;
	/* IPv6 (backends that support it): the containers' subnet, all zero when none */
	uint8_t subnet6[16];
	int prefixlen6;
	uint8_t gateway6[16];
	/* the bridge is someone else's (a CNI bridge): only the rules that publish ports —
	 * DNAT jumps, hairpin and localhost masquerade, forwarding of DNAT'd and established
	 * traffic, the 127.0.0.0/8 guard; no isolation, no outbound masquerade, no drop of
	 * direct traffic */
	bool external;
};

enum nat_rule_kind { NAT_RULE_DNAT = 1, NAT_RULE_LINK = 2 };

/* One per-container rule.  Addresses in network byte order, ports in host order.  family 0
 * or AF_INET uses the uint32_t addresses; AF_INET6 uses the 16-byte ones (`..6`), which only
 * backends that can do IPv6 accept (others refuse the change with -EAFNOSUPPORT). */
struct nat_rule {
	uint8_t kind;    /* enum nat_rule_kind */
	uint8_t proto;   /* enum ctr_proto */
	uint8_t family;  /* 0 / AF_INET, or AF_INET6 */
	char owner[65];  /* DNAT: the container; LINK: the linking (parent) container */
	char peer[65];   /* LINK: the linked (child) container; "" for DNAT */
	union {
		struct {
			uint32_t host_ip;            /* 0: every local address */
			uint16_t hport_lo, hport_hi; /* host ports */
			uint32_t cip;                /* container address */
			uint16_t cport_lo;           /* container port for hport_lo; the run keeps
			                                its offset: hport_lo+k -> cport_lo+k */
			uint8_t host_ip6[16];        /* AF_INET6: all zero for every local address */
			uint8_t cip6[16];
		} dnat;
		struct {
			uint32_t src;                /* parent address */
			uint32_t dst;                /* child address */
			uint16_t port_lo, port_hi;   /* child's exposed ports */
			uint8_t src6[16], dst6[16];  /* AF_INET6 */
		} link;
	} u;
};

/* true if two rules are the same rule (same kind, owners and match/target fields). */
bool nat_rule_equal(const struct nat_rule *a, const struct nat_rule *b);
/* A total order on rules consistent with nat_rule_equal(): 0 exactly when they are equal
 * (the fields nat_rule_equal ignores, such as the IPv4 fields of an IPv6 rule, are ignored
 * here too).  Returns -1, 0 or 1. */
int nat_rule_cmp(const struct nat_rule *a, const struct nat_rule *b);

/* Check the fields of rule number `i` of the list `list` ("add", "delete"), whatever the
 * backend: kind, protocol, family (0, AF_INET or AF_INET6), owner and peer IDs, ports and
 * addresses of its family.  0, or -EINVAL / -EAFNOSUPPORT with a message naming the rule.
 * Backends add their own limits (IPv6) before calling it. */
int nat_rule_check(const struct nat_rule *r, const char *list, size_t i);

/* One change, applied atomically per table (one commit per table that changes).  The hot
 * paths name exactly what to remove (`del`, computed from the records); `drop_ids` is for
 * recovery and may make a backend read the kernel's rules. */
struct nat_txn {
	/* Remove every rule that has one of these container IDs as owner or peer. */
	const char *const *drop_ids;
	size_t n_drop_ids;
	/* Remove exactly these rules (absent ones are not an error). */
	const struct nat_rule *del;
	size_t n_del;
	/* Add these rules (after the removals; a rule already present is not added twice). */
	const struct nat_rule *add;
	size_t n_add;
};

struct nat;

/* Called by list_others for each rule found, with the bridge whose table or chain holds it;
 * a negative return stops the listing and is returned. */
typedef int (*nat_rule_fn)(void *arg, const char *bridge, const struct nat_rule *r);

struct nat_ops {
	const char *name; /* "iptables", "nftables" */
	/* Prepare a handle for `net`.  Does not touch the kernel yet. */
	int (*open)(struct nat **out, const struct nat_net *net);
	void (*close)(struct nat *nat);
	/* Make the base chains and rules exist, exactly once each, in every table. */
	int (*ensure_base)(struct nat *nat);
	/* Apply a change.  The base layout of the tables it touches is ensured in the same
	 * commit.  On failure nothing changed. */
	int (*apply)(struct nat *nat, const struct nat_txn *txn);
	/* Every per-container rule found in our chains (for reconcile).  Free *out with free(). */
	int (*list)(struct nat *nat, struct nat_rule **out, size_t *n);
	/* Remove the base layout and every rule of this bridge (the network is deleted). */
	int (*remove_all)(struct nat *nat);
	/* Every DNAT rule of ours on the other bridges — other state directories' networks, found
	 * by the names of our tables or chains — passed to `fn`.  One reading of the kernel, which
	 * makes nothing: where this facility has no table here, none (0). */
	int (*list_others)(struct nat *nat, nat_rule_fn fn, void *arg);
};

extern const struct nat_ops nat_iptables_ops;
extern const struct nat_ops nat_nftables_ops;

#endif
