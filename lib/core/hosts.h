/* The container's /etc/hosts: rendering (default, link and own records) and the update of link
 * records when a linked container gets a new address.  Pure code: no system calls, no global
 * mutable state.
 *
 * Every record is "<ip>\t<name> <name>...\n".  The inputs are validated by the callers, but
 * these functions refuse (-EINVAL) any field that contains a control character or a space, so
 * that no input can ever add a line or a name. */
#ifndef CTR_HOSTS_H
#define CTR_HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* One link of the container, as seen in its hosts file. */
struct hosts_link {
	const char *ip;             /* the child's IPv4 address; NULL or "" writes no IPv4 record */
	const char *ip6;            /* the child's global IPv6 address; NULL or "" if none */
	const char *alias;          /* the link alias, "webdb" */
	const char *child_hostname; /* the child's hostname, "6e5cdeb2d300" */
	const char *child_name;     /* the child's name without the leading "/", "db" */
};

/* Render a hosts file into *out (malloc'd):
 *   1. the default records: with ipv6, 127.0.0.1 localhost, ::1 localhost ip6-localhost
 *      ip6-loopback, fe00:: ip6-localnet, ff00:: ip6-mcastprefix, ff02::1 ip6-allnodes,
 *      ff02::2 ip6-allrouters; without ipv6 only 127.0.0.1 localhost;
 *   2. per link, in the order given: "<ip>\t<alias> <child_hostname>[ <child_name>]" (the name
 *      only when it differs from the alias), then the same names for ip6 (only with ipv6);
 *   3. the own records, unless own_ip is NULL or "" (no network): "<own_ip>\t<fqdn>[ <short>]"
 *      where fqdn is hostname or hostname.domainname and short (written only when fqdn contains
 *      a ".") is the part of fqdn before the first "."; then the same names for own_ip6 if it is
 *      set and ipv6 is true.
 * own_ip6 and domainname may be NULL or "".  hostname is required when own_ip is set.
 * Returns 0, -EINVAL (a missing or unsafe field) or -ENOMEM. */
int hosts_render(const char *own_ip, const char *own_ip6, const char *hostname,
		 const char *domainname, bool ipv6, const struct hosts_link *links, size_t n_links,
		 char **out);

/* Docker's update by alias: in every line of `content` whose first name after the first TAB is
 * exactly `alias`, followed by a space, TAB, CR, LF, FF, "." or the end of the content, the
 * address (the run of non-blank characters right before that TAB) is replaced by new_ip.  Lines
 * with a longer first name ("aliasAndMore") and all other lines are copied unchanged, so the
 * result has exactly the lines of `content`.  *out is malloc'd.
 * Returns 0, -EINVAL (NULL content, an empty alias or new_ip, or one with control characters or
 * spaces) or -ENOMEM. */
int hosts_update_alias(const char *content, const char *alias, const char *new_ip, char **out);

#endif
