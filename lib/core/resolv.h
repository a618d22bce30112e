/* The container's /etc/resolv.conf (pure): the host's, without loopback nameservers (they
 * cannot be reached from another network namespace); Google's public servers when none is
 * left, as Docker does. */
#ifndef CTR_RESOLV_H
#define CTR_RESOLV_H

/* `host` may be NULL (no host file).  *out is malloc'd. */
int resolv_for_container(const char *host, char **out);

#endif
