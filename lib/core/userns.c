#include "core/userns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/util.h"

int userns_mode_parse(const char *s, bool *want)
{
	if (!s || !*s || strcmp(s, "host") == 0) {
		*want = false;
		return 0;
	}
	if (strcmp(s, "auto") == 0) {
		*want = true;
		return 0;
	}
	char shown[CTR_ESC_BUF];
	msg_escape(s, shown, sizeof shown);
	return ctr_err(-EINVAL, "invalid user namespace mode \"%s\": use \"host\" (the default) or "
				"\"auto\"",
		       shown);
}

void id_ranges_free(struct id_ranges *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

int id_ranges_add(struct id_ranges *r, uint64_t start, uint64_t count)
{
	struct id_range *v = realloc(r->v, (r->n + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	r->v = v;
	r->v[r->n++] = (struct id_range){ start, count };
	return 0;
}

/* A decimal number of at most 10 digits, all of [s, end). */
static bool parse_num(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	if (s == end || end - s > 10)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

int subid_parse(const char *text, const char *name, struct id_ranges *own,
		struct id_ranges *others)
{
	size_t nlen = strlen(name);
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		uint64_t start, count;
		if (*line != '#' && c1 && c2 && c1 > line && parse_num(c1 + 1, c2, &start) &&
		    parse_num(c2 + 1, eol, &count) && count > 0) {
			bool mine = (size_t)(c1 - line) == nlen && memcmp(line, name, nlen) == 0;
			if (id_ranges_add(mine ? own : others, start, count) < 0)
				return -ENOMEM;
		}
		line = *eol ? eol + 1 : eol;
	}
	return 0;
}

int userns_pick(const struct id_ranges *pool, const struct id_ranges *taken, uint64_t *start)
{
	for (size_t p = 0; p < pool->n; p++) {
		const struct id_range *r = &pool->v[p];
		uint64_t end = r->start + r->count;
		if (end > 4294967295u) /* (uid_t)-1 is no ID */
			end = 4294967295u;
		for (uint64_t b = r->start; b + USERNS_SIZE <= end;) {
			/* past every taken range that overlaps [b, b + size), to the next slot */
			uint64_t next = b;
			for (size_t i = 0; i < taken->n; i++) {
				const struct id_range *t = &taken->v[i];
				if (t->start < b + USERNS_SIZE && b < t->start + t->count &&
				    t->start + t->count > next)
					next = t->start + t->count;
			}
			if (next == b) {
				*start = b;
				return 0;
			}
			b = r->start + (next - r->start + USERNS_SIZE - 1) / USERNS_SIZE * USERNS_SIZE;
		}
	}
	return -ENOSPC;
}

int userns_pool(const char *subid_text, struct id_ranges *pool, struct id_ranges *taken)
{
	if (subid_text && subid_parse(subid_text, USERNS_SUBID_NAME, pool, taken) < 0)
		return -ENOMEM;
	if (pool->n == 0 && id_ranges_add(pool, USERNS_DEFAULT_START,
					  USERNS_DEFAULT_END - USERNS_DEFAULT_START) < 0)
		return -ENOMEM;
	return 0;
}
