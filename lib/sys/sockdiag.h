/* sock_diag netlink: the host's sockets, for choosing free host ports. */
#ifndef CTR_SOCKDIAG_H
#define CTR_SOCKDIAG_H

/* Add the listening TCP sockets and the bound UDP sockets (IPv4 and IPv6) of the current
 * network namespace to `hs` (NETLINK_SOCK_DIAG; its own socket).  0, or a negative errno with
 * the message set (the kernel may lack sock_diag for a protocol: -ENOENT, -EOPNOTSUPP). */
struct hostsocks;
int sockdiag_load(struct hostsocks *hs);

#endif
