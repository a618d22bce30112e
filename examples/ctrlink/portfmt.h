/* Port output of the ctrlink CLI: the PORTS column of `ps` and the `port` command, exactly as
 * docker/cli ≥ 28 prints them.  Pure code (no system calls, no printing); self-contained, it
 * sees nothing of the library: the CLI hands it plain port lists. */
#ifndef CTRLINK_PORTFMT_H
#define CTRLINK_PORTFMT_H

#include <stddef.h>

/* One entry of the API's port list: one per bound host address, or one for a port that is
 * only exposed (ip NULL or "", public_port 0). */
struct ps_port {
	const char *ip;
	unsigned private_port;
	unsigned public_port;
	const char *type; /* "tcp", "udp", "sctp" */
};

/* The PORTS column (docker/cli DisplayablePorts), e.g.
 * "0.0.0.0:80->5000/tcp, [::]:80->5000/tcp" or "3000-3001/tcp, 3003/tcp".  The entries are
 * sorted by private port, IP (numerically, IPv4 before IPv6), public port and type; runs of
 * consecutive ports are grouped; mappings whose public port differs from the private one come
 * last.  IPs are printed in canonical form, IPv6 in brackets.  Returns a malloc'd string ("" for
 * no ports), NULL when out of memory. */
char *ps_ports_format(const struct ps_port *ports, size_t n);

/* `docker port CONTAINER [PRIVATE_PORT[/PROTO]]` over the container's published ports
 * (ports[0..n), as ctr_state_read() gives them; entries without a public port are skipped).
 * Without `arg` (NULL or ""), one line "80/tcp -> 0.0.0.0:3456" per binding; with it, one
 * line "0.0.0.0:3456" per binding of that port (proto defaults to tcp, compared without case).
 * Lines are sorted in natural order and each ends with "\n".
 * Returns 0 with the output in *out ("" when nothing is published), or
 *   -ENOENT  with *out = "no public port '<arg>' published for <container_name>",
 *   -EINVAL  with *out = "invalid port '<p>': <why>" (the protocol is not checked: an
 *            unknown one is not published, as in docker/cli),
 *   -ENOMEM  with *out = NULL.
 * *out is malloc'd in every other case; the caller frees it. */
int port_cmd_format(const struct ps_port *ports, size_t n, const char *arg,
		    const char *container_name, char **out);

#endif
