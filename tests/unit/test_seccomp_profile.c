/* Unit tests for lib/core/seccomp_profile.c: which system calls the default profile refuses
 * for a given capability set (moby profiles/seccomp/default.json's "includes": {"caps"}). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/caps.h"
#include "core/seccomp_profile.h"
#include "core/util.h"
#include "tap.h"

#define BIT(n) (1ull << (n))
#define SYS_ADMIN 21

/* how many rules name `name`, and the errno of the first unconditional one (0: none) */
static size_t count(const struct sc_rule *r, size_t n, const char *name, int *err_any)
{
	size_t c = 0;
	*err_any = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0) {
			c++;
			if (r[i].op == SC_ANY && !*err_any)
				*err_any = r[i].err;
		}
	return c;
}

struct want {
	const char *name;
	int err; /* unconditional refusal with this errno; 0: no unconditional rule */
	size_t rules;
};

struct profile_case {
	const char *what;
	uint64_t caps;
	struct want w[16];
};

static const struct profile_case cases[] = {
	{ "the default set",
	  0,
	  { { "keyctl", EPERM, 1 }, { "add_key", EPERM, 1 }, { "request_key", EPERM, 1 },
	    { "unshare", EPERM, 1 }, { "mount", EPERM, 1 }, { "umount2", EPERM, 1 },
	    { "pivot_root", EPERM, 1 }, { "setns", EPERM, 1 }, { "clone", 0, 7 },
	    { "clone3", ENOSYS, 1 }, { "init_module", EPERM, 1 }, { "bpf", EPERM, 1 },
	    { "ptrace", 0, 0 }, { "chroot", 0, 0 }, { "socket", 0, 1 }, { NULL, 0, 0 } } },
	{ "with SYS_ADMIN",
	  BIT(SYS_ADMIN),
	  { { "keyctl", EPERM, 1 }, { "unshare", 0, 0 }, { "mount", 0, 0 }, { "setns", 0, 0 },
	    { "clone", 0, 0 }, { "clone3", 0, 0 }, { "bpf", 0, 0 }, { "perf_event_open", 0, 0 },
	    { "pivot_root", EPERM, 1 }, { "reboot", EPERM, 1 }, { NULL, 0, 0 } } },
	{ "with SYS_TIME, SYS_MODULE, SYS_PTRACE, BPF",
	  BIT(25) | BIT(16) | BIT(19) | BIT(39),
	  { { "clock_settime", 0, 0 }, { "settimeofday", 0, 0 }, { "init_module", 0, 0 },
	    { "finit_module", 0, 0 }, { "kcmp", 0, 0 }, { "bpf", 0, 0 },
	    { "perf_event_open", EPERM, 1 }, { "unshare", EPERM, 1 }, { NULL, 0, 0 } } },
	{ "with every capability: only what is never allowed",
	  ~0ull,
	  { { "keyctl", EPERM, 1 }, { "kexec_load", EPERM, 1 }, { "userfaultfd", EPERM, 1 },
	    { "swapon", EPERM, 1 }, { "mount", 0, 0 }, { "clone", 0, 0 }, { "acct", 0, 0 },
	    { "iopl", 0, 0 }, { "open_by_handle_at", 0, 0 }, { NULL, 0, 0 } } },
};

static void test_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct profile_case *c = &cases[i];
		uint64_t caps = c->caps ? c->caps : caps_default();
		struct sc_rule *r = NULL;
		size_t n = 0;
		int e = seccomp_profile(caps, &r, &n);
		ok(e == 0 && n > 0, "%s: %zu rules", c->what, n);
		for (const struct want *w = c->w; w->name; w++) {
			int err;
			size_t got = count(r, n, w->name, &err);
			ok(got == w->rules && err == w->err, "%s: %s: %zu rules (want %zu), errno %d "
			   "(want %d)", c->what, w->name, got, w->rules, err, w->err);
		}
		free(r);
	}
}

static void test_conditions(void)
{
	struct sc_rule *r = NULL;
	size_t n = 0;
	seccomp_profile(caps_default(), &r, &n);
	int newuser = 0, vsock = 0, persona = 0, persona_gt = 0, persona_query_hit = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r[i].name, "clone") == 0 && r[i].op == SC_MASKED_EQ &&
		    r[i].mask == 0x10000000 && r[i].value == 0x10000000)
			newuser++;
		if (strcmp(r[i].name, "socket") == 0 && r[i].op == SC_EQ && r[i].arg == 0 &&
		    r[i].value == 40)
			vsock++;
		if (strcmp(r[i].name, "personality") == 0) {
			persona++;
			if (r[i].op == SC_GT && r[i].value == 0xffffffffull)
				persona_gt++;
			/* a refusal must never match the allowed personas */
			static const uint64_t allowed[] = { 0, 8, 0x20000, 0x20008, 0xffffffff };
			for (size_t k = 0; k < ARRAY_SIZE(allowed); k++)
				if (r[i].op == SC_MASKED_EQ &&
				    (allowed[k] & r[i].mask) == r[i].value)
					persona_query_hit++;
		}
	}
	ok(newuser == 1, "clone with CLONE_NEWUSER is refused by one rule");
	ok(vsock == 1, "socket(AF_VSOCK) is refused");
	ok(persona_gt == 1 && persona > 100, "personality: %d rules, one for arguments above "
	   "32 bits", persona);
	ok(persona_query_hit == 0, "no personality rule matches 0, 8, 0x20000, 0x20008 or the "
	   "query 0xffffffff");
	/* ADDR_NO_RANDOMIZE alone and with PER_LINUX32 are refused */
	static const uint64_t refused[] = { 0x0040000, 0x0040008, 0x0400000, 0x7fffffff };
	for (size_t k = 0; k < ARRAY_SIZE(refused); k++) {
		int hit = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(r[i].name, "personality") == 0 && r[i].op == SC_MASKED_EQ &&
			    (refused[k] & r[i].mask) == r[i].value)
				hit = 1;
		ok(hit, "personality(%#llx) is refused", (unsigned long long)refused[k]);
	}
	free(r);
}

int main(void)
{
	test_cases();
	test_conditions();
	return done_testing();
}
