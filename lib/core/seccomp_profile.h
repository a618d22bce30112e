/* The default seccomp profile (pure): which system calls a container may not make, given its
 * capabilities.  It refuses what moby's profiles/seccomp/default.json refuses, as a list of
 * refusals over an allow-by-default filter (see doc/security.md for why not an allow list).
 * lib/sys/seccomp.c turns the rules into a filter with libseccomp. */
#ifndef CTR_SECCOMP_PROFILE_H
#define CTR_SECCOMP_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum sc_op {
	SC_ANY,       /* every call */
	SC_MASKED_EQ, /* (argument & mask) == value */
	SC_EQ,        /* argument == value */
	SC_GT,        /* argument > value */
};

struct sc_rule {
	const char *name; /* the system call, as libseccomp names it */
	int err;          /* the errno it fails with (EPERM; ENOSYS for clone3) */
	enum sc_op op;
	unsigned arg;     /* which argument the condition reads */
	uint64_t mask, value;
};

/* The refusals for a container with capability mask `caps` (bit N = capability N), in
 * *out (free() it), *n of them.  0 or -ENOMEM. */
int seccomp_profile(uint64_t caps, struct sc_rule **out, size_t *n);

#endif
