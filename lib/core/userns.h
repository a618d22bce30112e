/* User namespaces (pure): the `--userns` mode, the subordinate ID files (/etc/subuid,
 * /etc/subgid, shadow-utils' subuid(5) format) and the choice of a container's host range.
 *
 * A container with `--userns=auto` gets container IDs 0..USERNS_SIZE-1 mapped onto a host range
 * of its own, for its uids and for its gids: USERNS_SIZE IDs that no other container of the
 * state directory holds, taken from the `containers` entries of /etc/subuid and /etc/subgid
 * (podman's `auto` takes them from there too), or, where a file has none, from
 * USERNS_DEFAULT_START up to USERNS_DEFAULT_END.  Either way a range that any entry of the file
 * gives to someone else (a user's subordinate IDs) is passed over. */
#ifndef CTR_USERNS_H
#define CTR_USERNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USERNS_SIZE 65536u
#define USERNS_DEFAULT_START 100000u
#define USERNS_DEFAULT_END 2147483648u /* exclusive: IDs stay below 2^31 */
#define USERNS_SUBID_NAME "containers"

/* "", NULL or "host": false (the host's user namespace, the default); "auto": true.  Anything
 * else: -EINVAL with the message set. */
int userns_mode_parse(const char *s, bool *want);

/* A half-open range of host IDs [start, start + count). */
struct id_range {
	uint64_t start, count;
};

struct id_ranges {
	struct id_range *v;
	size_t n;
};

void id_ranges_free(struct id_ranges *r);
/* Append; 0 or -ENOMEM. */
int id_ranges_add(struct id_ranges *r, uint64_t start, uint64_t count);

/* Parse the text of /etc/subuid or /etc/subgid ("name:start:count" lines; blank lines and
 * lines starting with '#' are skipped, as are malformed lines, which shadow-utils ignores
 * too).  Entries of `name` go to `own`, every other entry to `others`.  0 or -ENOMEM. */
int subid_parse(const char *text, const char *name, struct id_ranges *own,
		struct id_ranges *others);

/* The lowest start of a USERNS_SIZE range inside one of `pool` (at a multiple of USERNS_SIZE
 * from that range's start, pool ranges tried in order) that overlaps none of `taken`.
 * 0 and *start, or -ENOSPC (no message). */
int userns_pick(const struct id_ranges *pool, const struct id_ranges *taken, uint64_t *start);

/* The pool and the ranges to pass over for one kind of ID, from the text of its subordinate ID
 * file (NULL: no file): the `containers` entries, or the default range; `taken` gets every
 * other entry.  0 or -ENOMEM. */
int userns_pool(const char *subid_text, struct id_ranges *pool, struct id_ranges *taken);

#endif
