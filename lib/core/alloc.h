/* The allocation index (pure): which container addresses and host ports are taken, and the
 * round-robin cursors, as bitmaps — so that allocating one more address or port costs the same
 * however many are taken.  Stored as one small binary file (<state>/alloc) under the state
 * lock; it can always be rebuilt from the container records (alloc_reset + take for each).
 *
 * Host ports are tracked per (protocol, host address): the unspecified address (0.0.0.0 or ::)
 * overlaps every specific address of its family, as Docker ≥ 28.3 does.
 */
#ifndef CTR_ALLOC_H
#define CTR_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alloc_portmap {
	uint8_t proto;
	uint8_t family;     /* AF_INET / AF_INET6 */
	uint8_t addr[16];   /* all zero: the unspecified address */
	uint8_t bits[8192]; /* bit p set: port p taken */
};

struct alloc_cursor {
	uint8_t proto, family;
	uint8_t addr[16];
	uint16_t lo, hi, last;
};

struct alloc {
	uint32_t subnet;    /* network order */
	int prefixlen;      /* 16..30 */
	uint8_t *ipmap;     /* bit per host offset in the subnet */
	uint32_t ip_last;   /* last host offset handed out (round robin) */
	struct alloc_portmap *maps;
	size_t n_maps;
	struct alloc_cursor *cursors;
	size_t n_cursors;
};

/* An empty index for a subnet (offset 0, the gateway at offset 1 and the broadcast address
 * are never handed out). */
int alloc_init(struct alloc *a, uint32_t subnet, int prefixlen);
void alloc_free(struct alloc *a);

/* Binary form.  decode fails with -EINVAL on anything it did not write (the caller then
 * rebuilds the index from the records). */
int alloc_encode(const struct alloc *a, char **buf, size_t *len);
int alloc_decode(const char *buf, size_t len, struct alloc *a);

/* Addresses. */
int alloc_ip_next(struct alloc *a, uint32_t *ip);        /* -ENOSPC when the subnet is full */
int alloc_ip_take(struct alloc *a, uint32_t ip);         /* -EADDRINUSE if taken, -EINVAL if outside */
void alloc_ip_release(struct alloc *a, uint32_t ip);
bool alloc_ip_taken(const struct alloc *a, uint32_t ip);

/* Host ports.  `addr` is 4 or 16 bytes according to family (all zero: unspecified). */
bool alloc_port_taken(const struct alloc *a, int proto, int family, const void *addr,
		      uint16_t port);
int alloc_port_take(struct alloc *a, int proto, int family, const void *addr, uint16_t port);
void alloc_port_release(struct alloc *a, int proto, int family, const void *addr, uint16_t port);
/* For releasing many ports: alloc_port_clear() frees the port but keeps its map even when it
 * becomes empty; one alloc_drop_empty() afterwards drops every map without a port taken
 * (each emptiness check reads a whole 8 KiB map, so doing it once per map, not once per port,
 * is what makes releasing a 1000-port range cheap). */
void alloc_port_clear(struct alloc *a, int proto, int family, const void *addr, uint16_t port);
void alloc_drop_empty(struct alloc *a);
/* Round-robin choice in [lo, hi] for (proto, addr), as Docker's allocator: scan upward from the
 * range's cursor + 1, wrapping once; a port is skipped if taken or if `usable` (may be NULL)
 * says the host has it in use.  Takes the port and moves the cursor.  -ENOSPC when none. */
int alloc_port_next(struct alloc *a, int proto, int family, const void *addr, uint16_t lo,
		    uint16_t hi, bool (*usable)(void *ctx, int proto, uint16_t port), void *ctx,
		    uint16_t *out);

#endif
