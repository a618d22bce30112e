/* The container's seccomp filter (effects): built with libseccomp from the default profile
 * (core/seccomp_profile.h) and loaded into the calling thread. */
#ifndef CTR_SECCOMP_H
#define CTR_SECCOMP_H

#include <linux/filter.h>
#include <stdint.h>

/* Load the default filter for a container with capability mask `caps`.  The caller must
 * still have CAP_SYS_ADMIN: no_new_privs is left alone, so that set-user-ID programs work in
 * the container as with Docker.  0 or a negative errno with the message set. */
int seccomp_load_default(uint64_t caps);

/* The same filter as a BPF program (`out->filter` to free()): read from the state directory
 * `dfd`'s seccomp/<key>.bpf, where a start before kept it (key: SHA-256 of the rules,
 * libseccomp's version and the architecture; the file carries its own checksum), else
 * compiled (10-13 ms of libseccomp's work) and kept there.  0 or a negative errno. */
int seccomp_default_prog(int dfd, uint64_t caps, struct sock_fprog *out);
/* Load a program from seccomp_default_prog() into the calling thread (as
 * seccomp_load_default(): CAP_SYS_ADMIN, no no_new_privs). */
int seccomp_load_prog(const struct sock_fprog *prog);

#endif
