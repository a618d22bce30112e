/* Port options of `docker run`: `-p`/`--publish` (go-connections v0.8.0 nat.ParsePortSpec, plus
 * the CLI's `published=…,target=…` long syntax), `--expose`, and the spec of an unpublish.
 * Pure code: no system calls, no global state.  Errors are -EINVAL with Docker's message set
 * through ctr_err(), or -ENOMEM. */
#ifndef CTR_PORTSPEC_H
#define CTR_PORTSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model.h"

/* Longest spec accepted, in bytes (hostile-input bound; Docker has none). */
#define PORTSPEC_MAX 4096

/* Parse one `-p` value and append its bindings to the growable array *v (count *n):
 *   "80", "80/udp", "8000-8010", "8080:80", ":80", "1.2.3.4:8080:80", "1.2.3.4::80",
 *   "[::1]:8080:80", "::1:8080:80", "8000-8002:80-82", "8000-9000:80",
 *   "published=8080,target=80,protocol=udp".
 * A container range gives one binding per port (pairwise with an equal host range, ephemeral
 * without one); a single container port with a host range gives one binding whose host port
 * is that range (hp_lo < hp_hi).  host_ip is the literal IP as given (brackets stripped), or
 * "" when none was given.  Container port 0 is accepted, as go-connections accepts it.
 * On error nothing is appended and *v, *n are unchanged.  0, -EINVAL or -ENOMEM. */
int portspec_parse(const char *spec, struct ctr_binding **v, size_t *n);

/* Parse one `--expose` value ("80", "80/udp", "8000-8010/tcp") and append one port per
 * number of the range to *v (count *n).  Errors are prefixed
 * "invalid range format for --expose: <spec>, error: "; unlike Docker, a protocol other than
 * tcp, udp or sctp is refused ("invalid proto: <proto>").  0, -EINVAL or -ENOMEM. */
int expose_parse(const char *spec, struct ctr_port **v, size_t *n);

/* portspec_parse() for withdrawing bindings; *bare is set to true when the spec names only
 * container ports ("80", "80/udp", "8000-8010": no ':' at all), meaning "every binding of
 * these ports", and to false otherwise (then the bindings are to be matched exactly, e.g. with
 * binding_equal()).  0, -EINVAL or -ENOMEM. */
int portspec_parse_unpublish(const char *spec, struct ctr_binding **v, size_t *n, bool *bare);

/* true if `s` is a literal IPv4 or IPv6 address as Go's net.ParseIP accepts it: no host
 * name, no zone, no brackets, no leading zero in an IPv4 field. */
bool portspec_ip_literal(const char *s);

/* true if two host IPs name the same address ("::" and "0:0::0" do; "" matches only ""; texts
 * that are not addresses compare as strings). */
bool host_ip_equal(const char *a, const char *b);

/* true if two bindings are the same request: container port and protocol, host IP (by
 * host_ip_equal) and host port or range. */
bool binding_equal(const struct ctr_binding *a, const struct ctr_binding *b);

/* Total orders consistent with host_ip_equal() and binding_equal(): 0 exactly when equal
 * ("" first, then IPv4 and IPv6 addresses by their bytes, then other texts as strings;
 * bindings by container port (port_cmp), host port range, then host IP).  -1, 0 or 1. */
int host_ip_cmp(const char *a, const char *b);
int binding_cmp(const struct ctr_binding *a, const struct ctr_binding *b);

/* true if the binding `b` of an unpublish withdraws the mapping `m`: same container port,
 * same host IP (none given: the default addresses 0.0.0.0 and ::), and m's host port in b's
 * host port or range (none given: any). */
bool binding_covers(const struct ctr_binding *b, const struct ctr_mapping *m);

/* The first binding of `b` (in b's order) that is binding_equal() to one of `have`: 1 with
 * its index in *first, 0 when there is none, or -ENOMEM.  O((nb + nhave) log nb). */
int bindings_first_dup(const struct ctr_binding *b, size_t nb, const struct ctr_binding *have,
		       size_t nhave, size_t *first);

/* What withdrawing the bindings `b` of an unpublish spec (nb of them, `bare` as
 * portspec_parse_unpublish() says) takes from a container with bindings `have` and mappings
 * `m`: drop_b[j] / drop_m[j] (arrays of nhave / nm, all written) tell whether have[j] / m[j]
 * goes (bare: same container port; otherwise binding_equal() for bindings and
 * binding_covers() for mappings); *hits is how many of `b` matched at least one binding or
 * mapping.  O((nb + nhave + nm) log nb) when few requests share a container port.
 * 0 or -ENOMEM (nothing written). */
int unpublish_match(const struct ctr_binding *b, size_t nb, bool bare,
		    const struct ctr_binding *have, size_t nhave, const struct ctr_mapping *m,
		    size_t nm, bool *drop_b, bool *drop_m, size_t *hits);

#endif
