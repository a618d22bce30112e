/* The container's seccomp filter (effects): built with libseccomp from the default profile
 * (core/seccomp_profile.h) and loaded into the calling thread. */
#ifndef CTR_SECCOMP_H
#define CTR_SECCOMP_H

#include <stdint.h>

/* Load the default filter for a container with capability mask `caps`.  The caller must
 * still have CAP_SYS_ADMIN: no_new_privs is left alone, so that set-user-ID programs work in
 * the container as with Docker.  0 or a negative errno with the message set. */
int seccomp_load_default(uint64_t caps);

#endif
