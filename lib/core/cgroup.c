#include "core/cgroup.h"
#include "core/names.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/sha256.h"

/* The next space-separated field of a mountinfo line, its octal escapes (\040 for a space)
 * decoded into `out`; NULL at the end of the line. */
static const char *field(const char *p, const char *end, char *out, size_t len)
{
	while (p < end && *p == ' ')
		p++;
	if (p >= end)
		return NULL;
	size_t n = 0;
	while (p < end && *p != ' ') {
		char c = *p++;
		if (c == '\\' && end - p >= 3 && p[0] >= '0' && p[0] <= '3' && p[1] >= '0' &&
		    p[1] <= '7' && p[2] >= '0' && p[2] <= '7') {
			c = (char)((p[0] - '0') * 64 + (p[1] - '0') * 8 + (p[2] - '0'));
			p += 3;
		}
		if (n + 1 < len)
			out[n++] = c;
		else
			n = len; /* too long: marked below */
	}
	if (n >= len)
		n = 0, out[0] = '\0'; /* an over-long field matches nothing */
	else
		out[n] = '\0';
	return p;
}

/* Whether the comma-separated list `opts` has the option `opt`. */
static bool has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = opts; p && *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (l == n && strncmp(p, opt, n) == 0)
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

static void take(struct cg_mount *m, bool ok, const char *path, bool ro)
{
	m->present = ok;
	m->ro = ro;
	snprintf(m->path, sizeof m->path, "%s", ok ? path : "");
}

void cg_mounts_parse(const char *text, struct cg_mounts *out)
{
	memset(out, 0, sizeof *out);
	struct cg_mount top = { 0 }, unified = { 0 };
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		/* id parent major:minor root mount-point options [optional...] - type source super */
		char f[5][CG_PATH_MAX], type[32] = "", super[512] = "", tmp[CG_PATH_MAX];
		const char *p = line;
		int i = 0;
		for (; i < 5 && p; i++)
			p = field(p, end, f[i], sizeof f[i]);
		char opts[512] = "";
		if (p)
			p = field(p, end, opts, sizeof opts);
		while (p && (p = field(p, end, tmp, sizeof tmp)) && strcmp(tmp, "-") != 0)
			;
		if (p)
			p = field(p, end, type, sizeof type);
		if (p)
			p = field(p, end, tmp, sizeof tmp); /* source */
		if (p)
			field(p, end, super, sizeof super);
		line = nl ? nl + 1 : NULL;
		if (i < 5 || !type[0])
			continue;
		const char *root = f[3], *mp = f[4];
		bool whole = strcmp(root, "/") == 0;
		bool ro = has_opt(opts, "ro") || has_opt(super, "ro");
		bool v2 = strcmp(type, "cgroup2") == 0;
		bool sd = strcmp(type, "cgroup") == 0 && has_opt(super, "name=systemd");
		/* the last mount on a place is the one seen there */
		if (strcmp(mp, "/sys/fs/cgroup") == 0)
			take(&top, v2 && whole, mp, ro);
		else if (strcmp(mp, "/sys/fs/cgroup/unified") == 0)
			take(&unified, v2 && whole, mp, ro);
		else if (strcmp(mp, "/sys/fs/cgroup/systemd") == 0)
			take(&out->systemd, sd && whole, mp, ro);
	}
	out->v2 = top.present ? top : unified;
	if (top.present)
		memset(&out->systemd, 0, sizeof out->systemd); /* hidden under the cgroup2 mount */
}

void cg_parent(uint64_t dev, uint64_t ino, char out[CG_PARENT_LEN + 1])
{
	char key[48], hex[65];
	int n = snprintf(key, sizeof key, "%" PRIu64 ":%" PRIu64, dev, ino);
	sha256_hex(key, (size_t)n, hex);
	snprintf(out, CG_PARENT_LEN + 1, "ctrlink/%.16s", hex);
}

void cg_container_path(const char *parent, const char *id, char out[CG_REL_MAX])
{
	snprintf(out, CG_REL_MAX, "/%s/%s", parent, id);
}

bool cg_container_parent(const char *rel, char out[CG_REL_MAX])
{
	const char *slash = rel ? strrchr(rel, '/') : NULL;
	if (!slash || slash == rel || rel[0] != '/' || strstr(rel, "..") ||
	    !id_valid(slash + 1, SIZE_MAX) || (size_t)(slash - rel) >= CG_REL_MAX)
		return false;
	snprintf(out, CG_REL_MAX, "%.*s", (int)(slash - rel), rel);
	return true;
}

int cg_proc_path(const char *text, bool systemd, char *out, size_t len)
{
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		/* hierarchy-ID:controller-list:cgroup-path */
		const char *c1 = memchr(line, ':', n);
		const char *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line)) : NULL;
		if (c2) {
			size_t idlen = (size_t)(c1 - line), clen = (size_t)(c2 - c1 - 1);
			bool hit = systemd ? clen == 12 && strncmp(c1 + 1, "name=systemd", 12) == 0
					   : idlen == 1 && line[0] == '0' && clen == 0;
			if (hit) {
				size_t plen = n - (size_t)(c2 + 1 - line);
				if (plen + 1 > len)
					return -ENAMETOOLONG;
				memcpy(out, c2 + 1, plen);
				out[plen] = '\0';
				return 0;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}
