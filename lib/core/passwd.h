/* Resolving `-u USER[:GROUP]` against a container's /etc/passwd and /etc/group (pure: the
 * caller reads the files; NSS is never used in a container's process). */
#ifndef CTR_PASSWD_H
#define CTR_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

struct user_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[64]; /* supplementary groups from /etc/group membership */
	size_t n_groups;
	char home[256];
};

/* Resolve `spec` ("name", "uid", "name:group", "uid:gid", ...).  `passwd` and `group` are the
 * files' contents (NULL when missing).  A numeric uid without a passwd entry is allowed (gid
 * 0, home "/"), as runc does; an unknown name is -EINVAL with
 * `unable to find user NAME: no matching entries in passwd file`. */
int user_resolve(const char *spec, const char *passwd, const char *group, struct user_ids *out);

#endif
