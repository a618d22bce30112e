#include "core/seccomp_profile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/util.h"

/* Capability numbers (linux/capability.h) */
enum {
	C_DAC_READ_SEARCH = 2,
	C_SYS_MODULE = 16,
	C_SYS_RAWIO = 17,
	C_SYS_CHROOT = 18,
	C_SYS_PTRACE = 19,
	C_SYS_PACCT = 20,
	C_SYS_ADMIN = 21,
	C_SYS_BOOT = 22,
	C_SYS_NICE = 23,
	C_SYS_TIME = 25,
	C_SYS_TTY_CONFIG = 26,
	C_SYSLOG = 34,
	C_PERFMON = 38,
	C_BPF = 39,
};
#define CAP(c) (1ull << (c))

/* System calls moby's default profile never allows (they are in none of its lists), and
 * those it allows only with one of some capabilities ("includes": {"caps": [...]}).
 * ptrace, process_vm_readv and process_vm_writev it allows on kernels >= 4.8: so do we. */
static const struct {
	uint64_t caps; /* allowed if the container has one of these; 0: never */
	const char *const *names;
} groups[] = {
	{ 0, (const char *const[]){ "add_key", "keyctl", "request_key", "kexec_load",
				    "kexec_file_load", "userfaultfd", "swapon", "swapoff",
				    "pivot_root", "uselib", "ustat", "sysfs", "_sysctl",
				    "nfsservctl", "vm86", "vm86old", "create_module",
				    "get_kernel_syms", "query_module", "move_pages",
				    "migrate_pages", NULL } },
	{ CAP(C_SYS_ADMIN),
	  (const char *const[]){ "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
				 "lookup_dcookie", "mount", "mount_setattr", "move_mount",
				 "open_tree", "quotactl", "quotactl_fd", "setdomainname",
				 "sethostname", "setns", "umount", "umount2", "unshare", NULL } },
	{ CAP(C_SYS_ADMIN) | CAP(C_BPF), (const char *const[]){ "bpf", NULL } },
	{ CAP(C_SYS_ADMIN) | CAP(C_PERFMON), (const char *const[]){ "perf_event_open", NULL } },
	{ CAP(C_SYS_ADMIN) | CAP(C_SYSLOG), (const char *const[]){ "syslog", NULL } },
	{ CAP(C_SYS_BOOT), (const char *const[]){ "reboot", NULL } },
	{ CAP(C_SYS_CHROOT), (const char *const[]){ "chroot", NULL } },
	{ CAP(C_SYS_MODULE),
	  (const char *const[]){ "init_module", "finit_module", "delete_module", NULL } },
	{ CAP(C_SYS_PACCT), (const char *const[]){ "acct", NULL } },
	{ CAP(C_SYS_PTRACE),
	  (const char *const[]){ "kcmp", "pidfd_getfd", "process_madvise", NULL } },
	{ CAP(C_SYS_RAWIO), (const char *const[]){ "iopl", "ioperm", NULL } },
	{ CAP(C_SYS_TIME), (const char *const[]){ "settimeofday", "stime", "clock_settime",
						  "clock_settime64", NULL } },
	{ CAP(C_SYS_TTY_CONFIG), (const char *const[]){ "vhangup", NULL } },
	{ CAP(C_SYS_NICE), (const char *const[]){ "get_mempolicy", "mbind", "set_mempolicy",
						  "set_mempolicy_home_node", NULL } },
	{ CAP(C_DAC_READ_SEARCH), (const char *const[]){ "open_by_handle_at", NULL } },
};

/* clone(2) flags that make namespaces (moby's mask 2114060288 = 0x7E020000) */
static const uint64_t clone_ns_flags[] = {
	0x00020000, /* CLONE_NEWNS */
	0x02000000, /* CLONE_NEWCGROUP */
	0x04000000, /* CLONE_NEWUTS */
	0x08000000, /* CLONE_NEWIPC */
	0x10000000, /* CLONE_NEWUSER */
	0x20000000, /* CLONE_NEWPID */
	0x40000000, /* CLONE_NEWNET */
};

/* personality(2) flags that weaken the process (linux/personality.h).  moby allows only the
 * personas 0, PER_LINUX32, UNAME26 and their sum, and the query 0xffffffff; the legacy flags
 * not listed here (SHORT_INODE, WHOLE_SECONDS, STICKY_TIMEOUTS, FDPIC_FUNCPTRS) change
 * nothing a container could use against the host. */
static const uint64_t persona_bad[] = {
	0x0040000, /* ADDR_NO_RANDOMIZE */
	0x0100000, /* MMAP_PAGE_ZERO */
	0x0200000, /* ADDR_COMPAT_LAYOUT */
	0x0400000, /* READ_IMPLIES_EXEC */
	0x0800000, /* ADDR_LIMIT_32BIT */
	0x8000000, /* ADDR_LIMIT_3GB */
};

#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1 /* s390's clone takes the stack first */
#else
#define CLONE_FLAGS_ARG 0
#endif

struct rules {
	struct sc_rule *v;
	size_t n, cap;
	bool oom;
};

static void add(struct rules *r, const char *name, int err, enum sc_op op, unsigned arg,
		uint64_t mask, uint64_t value)
{
	if (r->oom)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 128;
		struct sc_rule *v = realloc(r->v, cap * sizeof *v);
		if (!v) {
			r->oom = true;
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct sc_rule){ name, err, op, arg, mask, value };
}

int seccomp_profile(uint64_t caps, struct sc_rule **out, size_t *n)
{
	struct rules r = { 0 };
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		if (caps & groups[g].caps)
			continue;
		for (const char *const *p = groups[g].names; *p; p++)
			add(&r, *p, EPERM, SC_ANY, 0, 0, 0);
	}
	if (!(caps & CAP(C_SYS_ADMIN))) {
		/* no new namespaces: clone with any of the flags fails; clone3, whose flags a
		 * filter cannot read, is "not implemented", so that the C library falls back to
		 * clone (moby: "errnoRet": 38) */
		for (size_t i = 0; i < ARRAY_SIZE(clone_ns_flags); i++)
			add(&r, "clone", EPERM, SC_MASKED_EQ, CLONE_FLAGS_ARG, clone_ns_flags[i],
			    clone_ns_flags[i]);
		add(&r, "clone3", ENOSYS, SC_ANY, 0, 0, 0);
	}
	/* AF_VSOCK sockets: the host's hypervisor sockets (moby: socket with arg0 != 40) */
	add(&r, "socket", EPERM, SC_EQ, 0, 0, 40);
	/* personality: a weakening flag with any bit of the low 32 clear (so not the query
	 * 0xffffffff), or anything above 32 bits.  A filter rule compares each argument once,
	 * so "flag set and not the query" is one rule per flag and clear bit. */
	for (size_t i = 0; i < ARRAY_SIZE(persona_bad); i++)
		for (unsigned b = 0; b < 32; b++)
			if ((1ull << b) != persona_bad[i])
				add(&r, "personality", EPERM, SC_MASKED_EQ, 0,
				    persona_bad[i] | (1ull << b), persona_bad[i]);
	add(&r, "personality", EPERM, SC_GT, 0, 0, 0xffffffffull);
	if (r.oom) {
		free(r.v);
		return ctr_err(-ENOMEM, "out of memory");
	}
	*out = r.v;
	*n = r.n;
	return 0;
}
