/* Links: the `--link` value parser, the link environment variables (Docker's v28 generator) and
 * the environment merge of the final process environment.  Pure code: no system calls, no
 * global mutable state. */
#ifndef CTR_LINKS_H
#define CTR_LINKS_H

#include <stddef.h>

#include "core/model.h"
#include "core/util.h"

/* Parse a `--link` value exactly as Docker does:
 *   ""               -EINVAL "empty string specified for links"
 *   more than one :  -EINVAL "bad format for links: <value>"  (value escaped, see msg_escape)
 *   "name"           name = alias = the value, verbatim; a leading "/" is kept on both
 *   "/name:/p/alias" name = "name" (first part without its "/"), alias = the last path element of
 *                    the second part ("/foo:/c1/bar" gives foo, bar)
 *   "name:alias"     both verbatim
 * On success *name and *alias are malloc'd (free them); on error both are NULL.
 *
 * Contract: nothing else is checked here; the parts may be empty ("a:" gives alias "").  The
 * caller resolves the name, then strips one leading "/" from the alias of a one-part value (as
 * Docker's path.Join does) and calls alias_validate() on the alias. */
int linkspec_parse(const char *spec, char **name, char **alias);

/* The inputs of the environment of one link. */
struct link_env_input {
	const char *link_name;        /* full link name "/web/db"; its last element is the alias */
	const char *child_ip;         /* the child's IPv4 address, "172.17.0.2" */
	const struct ctr_port *ports; /* the child's exposed ports, any order, maybe duplicates */
	size_t n_ports;
	const char *const *child_env; /* the child's Config.Env; NULL unless _ENV_ copying was
				       * asked */
};

/* Append the link's variables ("KEY=VALUE") to the NULL-terminated list *env (which may be
 * NULL), in Docker v28's order:
 *   <A>_PORT (the lowest tcp port, else the first of sctp then udp by number),
 *   per port, sorted tcp < sctp < udp then by number, without duplicates:
 *     <A>_PORT_<n>_<PROTO>, _ADDR, _PORT, _PROTO,
 *     and after the port that closes a run of >= 2 consecutive same-protocol ports, the
 *     run's _START, _PORT_START, _END, _PORT_END;
 *   <A>_NAME=<link_name>;
 *   <A>_ENV_<key>=<value> for each child_env entry with a "=", except HOME and PATH.
 * <A> is the last element of link_name upper-cased with "-" turned into "_".
 * Returns 0, or -EINVAL (an alias element that alias_validate() refuses, an empty child_ip or
 * one with control characters or whitespace, an unknown protocol) or -ENOMEM; on error *env
 * is unchanged. */
int linkenv_render(const struct link_env_input *in, char ***env);

/* Merge `overlay` into the NULL-terminated list *base (which may be NULL), entry by entry, in
 * order:
 *   "KEY=VALUE" whose KEY is present: the first occurrence is replaced in place (and any later
 *               occurrence of KEY removed);
 *   "KEY=VALUE" with a new KEY: appended;
 *   "KEY" (no "="): every occurrence of KEY is removed.
 * Each entry sees the effect of the ones before it (so "A=1", "A=2" leaves A=2 once).
 * Returns 0 or -ENOMEM; on error *base is unchanged. */
int env_merge(char ***base, const char *const *overlay);

/* The default path of a container process. */
#define CTR_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Append PATH=CTR_DEFAULT_PATH and HOSTNAME=<hostname> to *env (the start of the final
 * environment; no TERM, as there is no tty).  Returns 0, -EINVAL (NULL hostname) or -ENOMEM;
 * on error *env is unchanged. */
int env_defaults(char ***env, const char *hostname);

#endif
