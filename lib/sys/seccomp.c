#define _GNU_SOURCE
#include "sys/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/seccomp_profile.h"
#include "core/sha256.h"
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

/* The filter of the profile rules[0..n), built with libseccomp (not loaded). */
static int build_filter(const struct sc_rule *rules, size_t n, scmp_filter_ctx *out)
{
	int e;
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	if (!f)
		return ctr_err(-ENOMEM, "cannot make the seccomp filter: out of memory");
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
	*out = f;
	return 0;
out:
	seccomp_release(f);
	return e;
}

int seccomp_load_default(uint64_t caps)
{
	struct sc_rule *rules = NULL;
	size_t n = 0;
	scmp_filter_ctx f;
	int e = seccomp_profile(caps, &rules, &n);
	if (e == 0 && (e = build_filter(rules, n, &f)) == 0) {
		if ((e = seccomp_load(f)) < 0)
			e = ctr_err_sys(e, "cannot load the seccomp filter");
		seccomp_release(f);
	}
	free(rules);
	return e;
}

/* ---- the compiled filter, kept ------------------------------------------------------------- */

/* A cache file: this header, then `len` instructions (struct sock_filter); `sum` is the
 * SHA-256 of the instructions, so a torn or changed file is never loaded. */
struct bpf_file {
	char magic[8]; /* "CTRLBPF1" */
	uint32_t len;
	uint32_t zero;
	uint8_t sum[32];
};

/* The name of the cache file of this profile: the SHA-256 of what the program depends on
 * (the rules, libseccomp's version, the architecture), in hex. */
static void cache_key(const struct sc_rule *rules, size_t n, char hex[65])
{
	struct sbuf b = SBUF_INIT;
	const struct scmp_version *v = seccomp_version();
	sb_addf(&b, "ctrlink seccomp 1 %u.%u.%u %u\n", v ? v->major : 0, v ? v->minor : 0,
		  v ? v->micro : 0, (unsigned)seccomp_arch_native());
	for (size_t i = 0; i < n; i++)
		sb_addf(&b, "%s %d %d %u %llx %llx\n", rules[i].name, rules[i].err,
			  (int)rules[i].op, rules[i].arg, (unsigned long long)rules[i].mask,
			  (unsigned long long)rules[i].value);
	sha256_hex(b.s ? b.s : "", b.len, hex);
	sb_free(&b);
}

static int read_cached(int dfd, const char *rel, struct sock_fprog *out)
{
	int fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct bpf_file h;
	struct stat st;
	int e = -EINVAL;
	struct sock_filter *ins = NULL;
	if (fstat(fd, &st) == 0 && read(fd, &h, sizeof h) == (ssize_t)sizeof h &&
	    memcmp(h.magic, "CTRLBPF1", 8) == 0 && h.len > 0 && h.len <= BPF_MAXINSNS &&
	    (off_t)(sizeof h + h.len * sizeof *ins) == st.st_size &&
	    (ins = malloc(h.len * sizeof *ins)) &&
	    read(fd, ins, h.len * sizeof *ins) == (ssize_t)(h.len * sizeof *ins)) {
		uint8_t sum[32];
		sha256(ins, h.len * sizeof *ins, sum);
		if (memcmp(sum, h.sum, 32) == 0) {
			out->len = (unsigned short)h.len;
			out->filter = ins;
			ins = NULL;
			e = 0;
		}
	}
	free(ins);
	close(fd);
	return e;
}

/* Compile with libseccomp, export the program through a temporary file (the only export this
 * libseccomp has), and keep it as `rel` (renamed into place whole). */
static int compile_cached(int dfd, const struct sc_rule *rules, size_t n, const char *rel,
			  struct sock_fprog *out)
{
	scmp_filter_ctx f;
	int e = build_filter(rules, n, &f);
	if (e < 0)
		return e;
	int fd = memfd_create("ctrlink-bpf", MFD_CLOEXEC);
	if (fd < 0 || (e = seccomp_export_bpf(f, fd)) < 0) {
		e = fd < 0 ? -errno : e;
		seccomp_release(f);
		if (fd >= 0)
			close(fd);
		return ctr_err_sys(e, "cannot export the seccomp filter");
	}
	seccomp_release(f);
	off_t size = lseek(fd, 0, SEEK_END);
	struct sock_filter *ins = NULL;
	size_t len = size > 0 ? (size_t)size / sizeof *ins : 0;
	if (len == 0 || len > BPF_MAXINSNS || (size_t)size % sizeof *ins ||
	    !(ins = malloc((size_t)size)) || pread(fd, ins, (size_t)size, 0) != size) {
		free(ins);
		close(fd);
		return ctr_err(-EINVAL, "cannot export the seccomp filter: %lld bytes",
			       (long long)size);
	}
	close(fd);
	out->len = (unsigned short)len;
	out->filter = ins;
	/* kept for the next start; where it cannot be written, the next one compiles again */
	struct bpf_file h = { .magic = "CTRLBPF1", .len = (uint32_t)len };
	sha256(ins, (size_t)size, h.sum);
	char tmp[128];
	snprintf(tmp, sizeof tmp, "%s.tmp.%d", rel, (int)getpid());
	mkdirat(dfd, "seccomp", 0700);
	int w = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w >= 0) {
		bool ok = write(w, &h, sizeof h) == (ssize_t)sizeof h &&
			  write(w, ins, (size_t)size) == size && fsync(w) == 0;
		close(w);
		if (!ok || renameat(dfd, tmp, dfd, rel) < 0)
			unlinkat(dfd, tmp, 0);
	}
	return 0;
}

int seccomp_default_prog(int dfd, uint64_t caps, struct sock_fprog *out)
{
	struct sc_rule *rules = NULL;
	size_t n = 0;
	out->len = 0;
	out->filter = NULL;
	int e = seccomp_profile(caps, &rules, &n);
	if (e < 0)
		return e;
	char key[65], rel[96];
	cache_key(rules, n, key);
	snprintf(rel, sizeof rel, "seccomp/%.32s.bpf", key);
	if (read_cached(dfd, rel, out) < 0)
		e = compile_cached(dfd, rules, n, rel, out);
	free(rules);
	return e;
}

int seccomp_load_prog(const struct sock_fprog *prog)
{
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0)
		return ctr_err_sys(-errno, "cannot load the seccomp filter");
	return 0;
}
