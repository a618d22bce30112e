/* Fixtures shared by the port planners' unit tests (test_portplan.c, test_plan_ports.c):
 * mappings as one line of text, and taking a host port in an allocator by its text address. */
#ifndef CTR_TEST_PORTFIX_H
#define CTR_TEST_PORTFIX_H

#include "core/alloc.h"
#include "core/model.h"
#include "core/portplan.h"
#include "core/portspec.h"
#include "core/util.h"

/* "80/tcp=0.0.0.0:8080 ..." (free with free()) */
static inline char *fmt_mappings(const struct ctr_mapping *m, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	for (size_t i = 0; i < n; i++) {
		char cp[16];
		port_format(&m[i].cport, cp, sizeof cp);
		sb_addf(&sb, "%s%s=%s:%u", i ? " " : "", cp, m[i].host_ip, m[i].hport);
	}
	return sb_finish(&sb);
}

static inline int take(struct alloc *a, int proto, const char *ip, uint16_t port)
{
	int fam;
	uint8_t addr[16];
	int e = host_ip_parse(ip, &fam, addr);
	return e ? e : alloc_port_take(a, proto, fam, addr, port);
}

#endif
