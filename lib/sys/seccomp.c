#include "sys/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>

#include "core/seccomp_profile.h"
#include "core/util.h"

/* The architectures a process of the native one can switch to (moby's "archMap"): a 32-bit
 * program on x86-64 is filtered as well, not let through. */
static int add_arches(scmp_filter_ctx f)
{
	static const uint32_t extra[] = {
#if defined(__x86_64__)
		SCMP_ARCH_X86, SCMP_ARCH_X32,
#elif defined(__aarch64__)
		SCMP_ARCH_ARM,
#elif defined(__s390x__)
		SCMP_ARCH_S390,
#endif
		0,
	};
	for (size_t i = 0; extra[i]; i++) {
		int e = seccomp_arch_add(f, extra[i]);
		if (e < 0 && e != -EEXIST)
			return e;
	}
	return 0;
}

int seccomp_load_default(uint64_t caps)
{
	struct sc_rule *rules = NULL;
	size_t n = 0;
	int e = seccomp_profile(caps, &rules, &n);
	if (e < 0)
		return e;
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f) {
		free(rules);
		return ctr_err(-ENOMEM, "cannot make the seccomp filter: out of memory");
	}
	/* set-user-ID programs keep working (libseccomp sets no_new_privs unless told) */
	if ((e = seccomp_attr_set(f, SCMP_FLTATR_CTL_NNP, 0)) < 0 || (e = add_arches(f)) < 0) {
		e = ctr_err_sys(e, "cannot make the seccomp filter");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct sc_rule *r = &rules[i];
		int nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp: not on this architecture */
		uint32_t act = SCMP_ACT_ERRNO((uint32_t)r->err);
		switch (r->op) {
		case SC_ANY:
			e = seccomp_rule_add(f, act, nr, 0);
			break;
		case SC_MASKED_EQ:
			e = seccomp_rule_add(f, act, nr, 1,
					     SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->mask, r->value));
			break;
		case SC_EQ:
			e = seccomp_rule_add(f, act, nr, 1, SCMP_CMP(r->arg, SCMP_CMP_EQ, r->value));
			break;
		case SC_GT:
			e = seccomp_rule_add(f, act, nr, 1, SCMP_CMP(r->arg, SCMP_CMP_GT, r->value));
			break;
		}
		/* -EDOM: a pseudo system call on one of the architectures: nothing to refuse there */
		if (e < 0 && e != -EDOM) {
			e = ctr_err_sys(e, "cannot make the seccomp filter (%s)", r->name);
			goto out;
		}
	}
	if ((e = seccomp_load(f)) < 0)
		e = ctr_err_sys(e, "cannot load the seccomp filter");
out:
	seccomp_release(f);
	free(rules);
	return e < 0 ? e : 0;
}
