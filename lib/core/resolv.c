#include "core/resolv.h"

#include <stdbool.h>
#include <string.h>

#include "core/util.h"

/* The address of a "nameserver ADDR" line as the resolver reads it (the keyword at the start
 * of the line, blanks, the address) and its length (to the end of the line); NULL for any
 * other line. */
static const char *nameserver_addr(const char *line, size_t len, size_t *n)
{
	const char *p = line;
	const char *end = line + len;
	if (len < 10 || strncmp(p, "nameserver", 10) != 0)
		return NULL;
	p += 10;
	if (p == end || (*p != ' ' && *p != '\t'))
		return NULL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*n = (size_t)(end - p);
	return *n ? p : NULL;
}

static bool loopback_nameserver(const char *line, size_t len)
{
	size_t n;
	const char *p = nameserver_addr(line, len, &n);
	return p && ((n >= 4 && strncmp(p, "127.", 4) == 0) ||
		     (n >= 3 && strncmp(p, "::1", 3) == 0 &&
		      (n == 3 || p[3] == ' ' || p[3] == '\t')));
}

int resolv_for_container(const char *host, char **out)
{
	struct sbuf sb = SBUF_INIT;
	bool any = false;
	for (const char *p = host ? host : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t n;
		if (!loopback_nameserver(p, len)) {
			sb_addn(&sb, p, len);
			sb_addc(&sb, '\n');
			if (nameserver_addr(p, len, &n))
				any = true;
		}
		p += len + (nl ? 1 : 0);
	}
	if (!any)
		sb_add(&sb, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	*out = sb_finish(&sb);
	return *out ? 0 : -ENOMEM;
}
