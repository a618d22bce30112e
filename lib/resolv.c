#include "resolv.h"

#include <stdbool.h>
#include <string.h>

#include "util.h"

static bool loopback_nameserver(const char *line, size_t len)
{
	const char *p = line;
	const char *end = line + len;
	if (len < 10 || strncmp(p, "nameserver", 10) != 0)
		return false;
	p += 10;
	if (p == end || (*p != ' ' && *p != '\t'))
		return false;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	size_t n = (size_t)(end - p);
	return (n >= 4 && strncmp(p, "127.", 4) == 0) || (n >= 3 && strncmp(p, "::1", 3) == 0 &&
							  (n == 3 || p[3] == ' ' || p[3] == '\t'));
}

int resolv_for_container(const char *host, char **out)
{
	struct sbuf sb = SBUF_INIT;
	bool any = false;
	for (const char *p = host ? host : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (!loopback_nameserver(p, len)) {
			sb_addn(&sb, p, len);
			sb_addc(&sb, '\n');
			if (len > 10 && strncmp(p, "nameserver", 10) == 0)
				any = true;
		}
		p += len + (nl ? 1 : 0);
	}
	if (!any)
		sb_add(&sb, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	*out = sb_finish(&sb);
	return *out ? 0 : -ENOMEM;
}
