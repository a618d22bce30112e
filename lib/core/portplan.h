/* Host port planning (pure): from a container's requested bindings (and -P) to the mappings
 * it gets, allocated in the allocation index as Docker's allocator does (§5.5–5.7):
 * bindings with an exact host port first, then ranges and ephemeral ones, each group in
 * ascending container-port order; round robin within ranges. */
#ifndef CTR_PORTPLAN_H
#define CTR_PORTPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/model.h"
#include "core/record.h"

struct portplan_env {
	uint16_t eph_lo, eph_hi; /* the ephemeral range */
	/* Is the host port free of host processes?  (An effect, injected.)  May be NULL. */
	int (*probe)(void *ctx, int proto, const char *host_ip, uint16_t port);
	void *probe_ctx;
	bool ipv6;               /* the backend can publish on IPv6 host addresses */
};

/* Allocate mappings for `b` (requested bindings) plus, when publish_all, one ephemeral
 * binding for each exposed port without a binding.  On failure nothing stays taken in `a`
 * and the message is Docker's (`Bind for 0.0.0.0:80 failed: port is already allocated`). */
int portplan(struct alloc *a, const struct portplan_env *env, const struct ctr_binding *b,
	     size_t nb, const struct ctr_port *exposed, size_t nexp, bool publish_all,
	     struct ctr_mapping **out, size_t *nout);

/* Release the mappings' host ports in `a`. */
void portplan_release(struct alloc *a, const struct ctr_mapping *m, size_t n);

/* Checks that do not depend on the host: container port 0 is refused. */
int ports_check_bindings(const char *spec, const struct ctr_binding *b, size_t n);

/* Add the `-p` specs of a NULL-terminated list (NULL: none) to the record's bindings, each
 * parsed and checked (portspec_parse(), ports_check_bindings()); the error names the spec. */
int ports_publish_specs(struct ctr_rec *r, const char *const *specs);

/* Parse a host IP text into family and address bytes ("" → 0.0.0.0). */
int host_ip_parse(const char *s, int *family, uint8_t addr[16]);

#endif
