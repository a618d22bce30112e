#include "core/passwd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define MAX_FIELDS 8

/* Split one line (without its newline) at ':' into at most MAX_FIELDS fields, in place. */
static size_t split(char *line, char **f)
{
	size_t n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < MAX_FIELDS; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

static bool is_num(const char *s, unsigned long *v)
{
	return parse_uint(s, 0, 0x7fffffff, v) == 0;
}

/* Walk the lines of `content`; `fn` returns true to stop. */
static bool each_line(const char *content, bool (*fn)(char **f, size_t n, void *arg), void *arg)
{
	if (!content)
		return false;
	const char *p = content;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		if (len < sizeof line && len > 0 && p[0] != '#') {
			memcpy(line, p, len);
			line[len] = '\0';
			char *f[MAX_FIELDS];
			size_t n = split(line, f);
			if (fn(f, n, arg))
				return true;
		}
		p += len + (nl ? 1 : 0);
	}
	return false;
}

struct pw_q {
	const char *name; /* or NULL to match by uid */
	unsigned long uid;
	bool found;
	unsigned long ruid, rgid;
	char name_out[256];
	char home[256];
};

static bool pw_match(char **f, size_t n, void *arg)
{
	struct pw_q *q = arg;
	unsigned long uid, gid;
	if (n < 7 || !is_num(f[2], &uid) || !is_num(f[3], &gid))
		return false;
	if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
		return false;
	q->found = true;
	q->ruid = uid;
	q->rgid = gid;
	snprintf(q->name_out, sizeof q->name_out, "%s", f[0]);
	snprintf(q->home, sizeof q->home, "%s", f[5]);
	return true;
}

struct gr_q {
	const char *name; /* group to find by name, or NULL */
	unsigned long gid;
	bool found;
	const char *member; /* collect groups that list this user */
	struct user_ids *ids;
};

static bool gr_match(char **f, size_t n, void *arg)
{
	struct gr_q *q = arg;
	unsigned long gid;
	if (n < 4 || !is_num(f[2], &gid))
		return false;
	if (q->name) {
		if (strcmp(f[0], q->name) == 0) {
			q->found = true;
			q->gid = gid;
			return true;
		}
		return false;
	}
	/* membership: comma-separated user list in field 4 */
	for (char *m = f[3]; m && *m;) {
		char *c = strchr(m, ',');
		size_t len = c ? (size_t)(c - m) : strlen(m);
		if (len == strlen(q->member) && strncmp(m, q->member, len) == 0 &&
		    q->ids->n_groups < ARRAY_SIZE(q->ids->groups)) {
			q->ids->groups[q->ids->n_groups++] = (gid_t)gid;
			break;
		}
		m = c ? c + 1 : NULL;
	}
	return false;
}

int user_resolve(const char *spec, const char *passwd, const char *group, struct user_ids *out)
{
	char user[256], grp[256] = "";
	memset(out, 0, sizeof *out);
	snprintf(out->home, sizeof out->home, "/");
	if (!spec || !*spec)
		spec = "0";
	if (strlen(spec) >= sizeof user || str_has_ctl(spec))
		return ctr_err(-EINVAL, "invalid user: too long or contains control characters");
	snprintf(user, sizeof user, "%s", spec);
	char *colon = strchr(user, ':');
	if (colon) {
		*colon = '\0';
		snprintf(grp, sizeof grp, "%s", colon + 1);
		if (!*grp)
			return ctr_err(-EINVAL, "invalid user \"%s\": empty group", spec);
	}
	if (!*user)
		return ctr_err(-EINVAL, "invalid user \"%s\": empty user", spec);

	unsigned long num;
	struct pw_q pq = { 0 };
	bool numeric = is_num(user, &num);
	if (numeric) {
		pq.uid = num;
	} else {
		pq.name = user;
	}
	each_line(passwd, pw_match, &pq);
	if (!pq.found && !numeric)
		return ctr_err(-EINVAL, "unable to find user %s: no matching entries in passwd file",
			       user);
	out->uid = (uid_t)(pq.found ? pq.ruid : num);
	out->gid = (gid_t)(pq.found ? pq.rgid : 0);
	if (pq.found && pq.home[0])
		snprintf(out->home, sizeof out->home, "%s", pq.home);

	if (*grp) {
		if (is_num(grp, &num)) {
			out->gid = (gid_t)num;
		} else {
			struct gr_q gq = { .name = grp };
			each_line(group, gr_match, &gq);
			if (!gq.found)
				return ctr_err(-EINVAL,
					       "unable to find group %s: no matching entries in group file",
					       grp);
			out->gid = (gid_t)gq.gid;
		}
	}
	/* supplementary groups only in the implicit form: "-u web:staff" gets exactly gid 50,
	 * as runc (and so Docker) does */
	if (pq.found && !*grp) {
		struct gr_q mq = { .member = pq.name_out, .ids = out };
		each_line(group, gr_match, &mq);
	}
	return 0;
}
