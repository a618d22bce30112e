#include "core/model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

static const char *const proto_names[CTR_NPROTO] = { "tcp", "udp", "sctp" };

const char *proto_name(unsigned proto)
{
	return proto < CTR_NPROTO ? proto_names[proto] : "?";
}

int proto_parse(const char *s, uint8_t *out)
{
	for (unsigned i = 0; i < CTR_NPROTO; i++)
		if (strcmp(s, proto_names[i]) == 0) {
			*out = (uint8_t)i;
			return 0;
		}
	return -EINVAL;
}

int port_cmp(const struct ctr_port *a, const struct ctr_port *b)
{
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return (a->proto > b->proto) - (a->proto < b->proto);
}

void port_format(const struct ctr_port *p, char *buf, size_t len)
{
	snprintf(buf, len, "%u/%s", (unsigned)p->port, proto_name(p->proto));
}

int port_parse_key(const char *s, struct ctr_port *out)
{
	char num[8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long v;
	if (n == 0 || n >= sizeof num)
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_uint(num, 0, 65535, &v) < 0)
		return -EINVAL;
	out->port = (uint16_t)v;
	out->proto = CTR_TCP;
	if (slash && proto_parse(slash + 1, &out->proto) < 0)
		return -EINVAL;
	return 0;
}

void binding_hostport(const struct ctr_binding *b, char *buf, size_t len)
{
	if (b->hp_lo == 0 && b->hp_hi == 0 && b->hp_zero)
		snprintf(buf, len, "0");
	else if (b->hp_lo == 0 && b->hp_hi == 0)
		snprintf(buf, len, "%s", "");
	else if (b->hp_lo == b->hp_hi)
		snprintf(buf, len, "%u", (unsigned)b->hp_lo);
	else
		snprintf(buf, len, "%u-%u", (unsigned)b->hp_lo, (unsigned)b->hp_hi);
}
