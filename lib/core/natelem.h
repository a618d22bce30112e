/* The nftables backend's encoding of the rules of nat.h as set elements (pure): which set a
 * rule's ports go to, the key and data of each element, the owners in its comment, and back.
 * The kernel dialogue (batches, dumps) is sys/nat_nft.c's, whose opening comment describes
 * the sets and the comments ("ctrlink:<owner>" on a DNAT element, the two IDs on a link
 * element). */
#ifndef CTR_NATELEM_H
#define CTR_NATELEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/nat.h"

/* nft's element comment (libnftnl's NFTNL_UDATA_SET_ELEM_COMMENT) and its limit: nft refuses
 * longer comments when it reads a ruleset back. */
#define NATELEM_UDATA_COMMENT 0
#define NATELEM_COMMENT_MAX 128

enum { S_DNAT4_ANY, S_DNAT4_IP, S_DNAT6_ANY, S_DNAT6_IP, S_LINKS4, S_LINKS6, S_N };

/* nft's datatype numbers, which tell nft how to show keys and data; a concatenation packs them
 * six bits apiece, the first component highest. */
enum { DT_IPADDR = 7, DT_IP6ADDR = 8, DT_INET_PROTO = 12, DT_INET_SERVICE = 13 };
#define DT2(a, b) (((a) << 6) | (b))
#define DT3(a, b, c) ((DT2(a, b) << 6) | (c))
#define DT4(a, b, c, d) ((DT3(a, b, c) << 6) | (d))

/* Keys and data are concatenations, each component in its own 32-bit register: an address
 * (4 or 16 bytes), the protocol (1 byte, zero-padded to 4), the port (2 bytes, network order,
 * zero-padded to 4). */
struct setdef {
	const char *name;
	uint32_t key_type, key_len, data_type, data_len; /* data_len 0: a set, not a map */
	uint8_t kind;                                    /* NAT_RULE_DNAT or NAT_RULE_LINK */
	uint8_t family;                                  /* AF_INET or AF_INET6 */
	bool any;                                        /* DNAT: no host address in the key */
};

/* The sets, by S_* index. */
extern const struct setdef natelem_sets[S_N];

#define KEY_MAX 40
#define DATA_MAX 20

/* One element (one port of a rule). */
struct elem {
	uint8_t set;
	uint8_t key[KEY_MAX]; /* unused bytes are zero */
	uint8_t data[DATA_MAX];
	const struct nat_rule *rule; /* an addition: the rule whose owners its comment names */
};

/* An element read from the kernel, with the owners its comment names ("" if none of ours). */
struct kelem {
	struct elem e;
	char owner[65], peer[65];
};

struct evec {
	struct elem *v;
	size_t n, cap;
};

struct kvec {
	struct kelem *v;
	size_t n, cap;
};


/* Grow the array *v of *cap elements of `size` bytes so that it holds more than n.  0 or
 * -ENOMEM with the message. */
int natelem_grow(void **v, size_t *cap, size_t n, size_t size);
/* A zeroed element at the end of v; NULL (message set) when out of memory. */
struct elem *natelem_push(struct evec *v);
/* Order of elements: set, then key (qsort). */
int natelem_cmp(const void *pa, const void *pb);
/* Sort v by natelem_cmp and keep one element of each key. */
void natelem_sort_unique(struct evec *v);
/* Append the elements of a (valid) rule, one per port.  0 or -ENOMEM. */
int natelem_of_rule(const struct nat_rule *r, struct evec *out);
/* The one-port rule an element of ours stands for; false if it is not well-formed. */
bool natelem_rule(const struct kelem *k, struct nat_rule *r);
/* "0.0.0.0:8080/tcp -> 10.77.0.2:80" ("0.0.0.0:8080/tcp" with `host_only`) or
 * "link 10.77.0.3 -> 10.77.0.2 port 5432/tcp". */
void natelem_desc(const struct elem *e, bool host_only, char *buf, size_t len);
/* The comment of an element of `r` (its length with the NUL). */
size_t natelem_comment(const struct nat_rule *r, char buf[NATELEM_COMMENT_MAX + 1]);
/* The owners named by an element's userdata, for an element of a set of `kind` (k->owner and
 * k->peer; "" when it names none of ours). */
void natelem_owners(const uint8_t *ud, size_t len, uint8_t kind, struct kelem *k);

#endif
