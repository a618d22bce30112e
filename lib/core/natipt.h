/* The iptables backend's encoding of rules (pure): struct ipt_entry + matches + target built
 * by hand for the layout of nat.h and for each per-container rule, and read back — owners from
 * the "ctrlink:<owner>[:<peer>]" comment, the rule an entry stands for, and whether an entry is
 * byte for byte what we would write.  The kernel dialogue (libiptc, the xtables lock, commits)
 * is sys/nat_iptc.c's.  A target's name is passed in: for a standard target only libiptc can
 * tell it (iptc_get_target). */
#ifndef CTR_NATIPT_H
#define CTR_NATIPT_H

/* the libc's headers first, as libiptc has them (linux/in.h would clash) */
#include <net/if.h>
#include <netinet/in.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/nat.h"

#define NATIPT_N_POST 3 /* rules of our POSTROUTING chain */
#define NATIPT_N_FWD 6  /* rules of our FORWARD chain */

/* A rule is built in a fixed buffer: the entry, its matches, then its target.  The buffer
 * holds the largest rule we build (checked at compile time in natipt.c); `spill` only guards
 * against a mistake in that reasoning (the rule is then refused: natipt_rule_check). */
#define NATIPT_RULE_SPACE 1024

struct natipt_rule {
	union {
		uint64_t align;
		unsigned char b[512];
	} spill;
	size_t used;        /* bytes of u.b in use: the entry and its matches */
	const char *target; /* a verdict, a chain of ours, or a module name ("DNAT") */
	bool standard;      /* a verdict or a jump: libiptc resolves it by name */
	bool overflow;
	union { /* last: struct ipt_entry ends in a flexible array */
		struct ipt_entry e;
		unsigned char b[NATIPT_RULE_SPACE];
	} u;
};

/* A network and the names of its chains (CTRLINK-DNAT-<br>, ...). */
struct natipt_layout {
	struct nat_net net;
	char dnat[XT_TABLE_MAXNAMELEN], post[XT_TABLE_MAXNAMELEN], fwd[XT_TABLE_MAXNAMELEN],
		link[XT_TABLE_MAXNAMELEN], raw[XT_TABLE_MAXNAMELEN];
};

/* Copy an extension or chain name into a name field of `size` bytes (zeroed). */
void natipt_set_name(char *field, size_t size, const char *name);
/* Name fields compared as strings (the kernel leaves garbage after their NUL). */
bool natipt_name_is(const char *field, size_t size, const char *name);
/* 0, or -EOVERFLOW with the message for a rule that did not fit. */
int natipt_rule_check(const struct natipt_rule *r);

/* The rules of the layout: jumps (to a chain of ours, for local destinations or all), the
 * POSTROUTING and FORWARD chains' rules (an external bridge gets fewer: the count returned),
 * the raw guard of 127.0.0.0/8. */
void natipt_jump_local(struct natipt_rule *r, const char *chain);
void natipt_jump(struct natipt_rule *r, const char *chain);
size_t natipt_post_rules(const struct natipt_layout *nat, struct natipt_rule v[NATIPT_N_POST]);
size_t natipt_fwd_rules(const struct natipt_layout *nat, struct natipt_rule v[NATIPT_N_FWD]);
void natipt_raw_rule(struct natipt_rule *r);
/* The entry for a per-container rule (already validated). */
void natipt_encode(const struct nat_rule *nr, struct natipt_rule *r);

/* Reading back, `tn` being the entry's target name. */
bool natipt_entry_is(const struct ipt_entry *have, const char *tn,
		     const struct natipt_rule *want);
bool natipt_rule_owners(const struct ipt_entry *e, char owner[65], char peer[65]);
/* owner and peer: as natipt_rule_owners() gives them (65 bytes each). */
bool natipt_decode(const struct ipt_entry *e, const char *tn, uint8_t kind, const char owner[65],
		   const char peer[65], struct nat_rule *out);
bool natipt_exact(const struct ipt_entry *e, const char *tn, const struct nat_rule *nr);

#endif
