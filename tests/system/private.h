/* A fresh tmpfs over a directory (/tmp, /run) that does not hide the checkout.
 *
 * The C system tests give themselves a private world with an empty tmpfs on /run (and /tmp).
 * A checkout that lives under one of them (git clone ... /tmp/x) would vanish with it: the
 * library, ctr-monitor, the helper programs.  So before the tmpfs is mounted, every path to keep
 * that lies under the directory is opened (O_PATH); after it, the same path is made inside the
 * new tmpfs and the opened directory is bound back onto it.  Kept: the source and build trees
 * this program was built from (CTR_SOURCE_ROOT, CTR_BUILD_ROOT: checkout.h, made by the build)
 * and $CTRLINK_BUILD.  Call it in a private mount namespace, before /proc is remounted for a new
 * PID namespace (the bind goes through /proc/self/fd).  The Python tests have the same in
 * tests/private.py. */
#ifndef CTR_PRIVATE_H
#define CTR_PRIVATE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkout.h"

/* Is `path` `top` or inside it (both canonical)? */
static inline int private_under(const char *path, const char *top)
{
	size_t n = strlen(top);
	return strcmp(top, "/") == 0 ||
	       (strncmp(path, top, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

/* mkdir -p, each new directory 0755. */
static inline int private_mkdir_p(const char *path)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
		*s = c;
		if (c == '\0')
			return 0;
	}
}

/* Mount a tmpfs (options `data`) on `dir`, keeping the checkout visible; 0, or -1 and errno. */
static inline int private_tmpfs(const char *dir, const char *data)
{
	enum { N = 3 };
	const char *want[N] = { CTR_SOURCE_ROOT, CTR_BUILD_ROOT, getenv("CTRLINK_BUILD") };
	static char path[N][PATH_MAX];
	char top[PATH_MAX];
	int fd[N], n = 0;
	if (!realpath(dir, top))
		return -1;
	for (int i = 0; i < N; i++)
		if (want[i] && *want[i] && realpath(want[i], path[n]) && private_under(path[n], top))
			n++;
	/* shortest first, so that a directory comes before what lies inside it */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && strlen(path[j]) < strlen(path[j - 1]); j--) {
			char t[PATH_MAX];
			memcpy(t, path[j], sizeof t);
			memcpy(path[j], path[j - 1], sizeof t);
			memcpy(path[j - 1], t, sizeof t);
		}
	int kept = 0;
	for (int i = 0; i < n; i++) {
		int inside = 0;
		for (int j = 0; j < kept; j++)
			inside |= private_under(path[i], path[j]);
		if (inside)
			continue;
		if (kept != i)
			memcpy(path[kept], path[i], sizeof path[i]);
		if ((fd[kept] = open(path[kept], O_PATH | O_CLOEXEC)) < 0) {
			int e = errno;
			while (kept > 0)
				close(fd[--kept]);
			errno = e;
			return -1;
		}
		kept++;
	}
	int r = mount("tmpfs", top, "tmpfs", 0, data);
	for (int i = 0; i < kept && r == 0; i++) {
		char self[64];
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd[i]);
		r = private_mkdir_p(path[i]);
		if (r == 0)
			r = mount(self, path[i], NULL, MS_BIND | MS_REC, NULL);
	}
	int e = errno;
	for (int i = 0; i < kept; i++)
		close(fd[i]);
	errno = e;
	return r;
}

#endif
