#include "core/alloc.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"

#define MAGIC "CTRLALC1"

static uint32_t host_count(int prefixlen)
{
	return 1u << (32 - prefixlen);
}

static size_t ipmap_bytes(int prefixlen)
{
	return (host_count(prefixlen) + 7) / 8;
}

int alloc_init(struct alloc *a, uint32_t subnet, int prefixlen)
{
	memset(a, 0, sizeof *a);
	if (prefixlen < 16 || prefixlen > 30)
		return ctr_err(-EINVAL, "subnet prefix length /%d is not supported (use /16 to /30)",
			       prefixlen);
	a->subnet = subnet;
	a->prefixlen = prefixlen;
	a->ipmap = calloc(1, ipmap_bytes(prefixlen));
	if (!a->ipmap)
		return ctr_err(-ENOMEM, "out of memory");
	a->ip_last = 1; /* the gateway: the first container gets .2 */
	return 0;
}

void alloc_free(struct alloc *a)
{
	free(a->ipmap);
	free(a->maps);
	free(a->cursors);
	memset(a, 0, sizeof *a);
}

/* ---- binary form: magic, then little fields in host order (the file never leaves the host) */

struct wbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16384;
		while (cap < w->len + n)
			cap *= 2;
		char *p = realloc(w->p, cap);
		if (!p) {
			w->oom = true;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

int alloc_encode(const struct alloc *a, char **buf, size_t *len)
{
	struct wbuf w = { 0 };
	uint32_t u;
	put(&w, MAGIC, 8);
	put(&w, &a->subnet, 4);
	u = (uint32_t)a->prefixlen;
	put(&w, &u, 4);
	put(&w, &a->ip_last, 4);
	put(&w, a->ipmap, ipmap_bytes(a->prefixlen));
	u = (uint32_t)a->n_maps;
	put(&w, &u, 4);
	for (size_t i = 0; i < a->n_maps; i++)
		put(&w, &a->maps[i], sizeof a->maps[i]);
	u = (uint32_t)a->n_cursors;
	put(&w, &u, 4);
	for (size_t i = 0; i < a->n_cursors; i++)
		put(&w, &a->cursors[i], sizeof a->cursors[i]);
	if (w.oom) {
		free(w.p);
		return ctr_err(-ENOMEM, "out of memory");
	}
	*buf = w.p;
	*len = w.len;
	return 0;
}

struct rbuf {
	const char *p;
	size_t left;
};

static bool get(struct rbuf *r, void *d, size_t n)
{
	if (r->left < n)
		return false;
	memcpy(d, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

int alloc_decode(const char *buf, size_t len, struct alloc *a)
{
	struct rbuf r = { buf, len };
	char magic[8];
	uint32_t subnet, prefixlen, u;
	memset(a, 0, sizeof *a);
	if (!get(&r, magic, 8) || memcmp(magic, MAGIC, 8) || !get(&r, &subnet, 4) ||
	    !get(&r, &prefixlen, 4) || prefixlen < 16 || prefixlen > 30)
		return -EINVAL;
	int e = alloc_init(a, subnet, (int)prefixlen);
	if (e < 0)
		return e;
	if (!get(&r, &a->ip_last, 4) || a->ip_last >= host_count(a->prefixlen) ||
	    !get(&r, a->ipmap, ipmap_bytes(a->prefixlen)) || !get(&r, &u, 4) ||
	    u > r.left / sizeof(struct alloc_portmap))
		goto bad;
	a->n_maps = u;
	if (u && !(a->maps = calloc(u, sizeof *a->maps)))
		goto oom;
	for (size_t i = 0; i < a->n_maps; i++)
		if (!get(&r, &a->maps[i], sizeof a->maps[i]))
			goto bad;
	if (!get(&r, &u, 4) || u > r.left / sizeof(struct alloc_cursor))
		goto bad;
	a->n_cursors = u;
	if (u && !(a->cursors = calloc(u, sizeof *a->cursors)))
		goto oom;
	for (size_t i = 0; i < a->n_cursors; i++)
		if (!get(&r, &a->cursors[i], sizeof a->cursors[i]) ||
		    a->cursors[i].lo > a->cursors[i].hi)
			goto bad;
	if (r.left)
		goto bad;
	return 0;
oom:
	alloc_free(a);
	return ctr_err(-ENOMEM, "out of memory");
bad:
	alloc_free(a);
	return -EINVAL;
}

/* ---- addresses ---------------------------------------------------------------------------- */

static bool bit(const uint8_t *m, uint32_t i)
{
	return m[i / 8] & (1u << (i % 8));
}

static void set_bit(uint8_t *m, uint32_t i, bool on)
{
	if (on)
		m[i / 8] |= (uint8_t)(1u << (i % 8));
	else
		m[i / 8] &= (uint8_t)~(1u << (i % 8));
}

static bool ip_offset(const struct alloc *a, uint32_t ip, uint32_t *off)
{
	uint32_t mask = a->prefixlen ? ~0u << (32 - a->prefixlen) : 0;
	uint32_t h = ntohl(ip);
	if ((h & mask) != ntohl(a->subnet))
		return false;
	*off = h & ~mask;
	return true;
}

static bool reserved(const struct alloc *a, uint32_t off)
{
	return off == 0 || off == 1 || off == host_count(a->prefixlen) - 1;
}

bool alloc_ip_taken(const struct alloc *a, uint32_t ip)
{
	uint32_t off;
	return !ip_offset(a, ip, &off) || reserved(a, off) || bit(a->ipmap, off);
}

int alloc_ip_take(struct alloc *a, uint32_t ip)
{
	uint32_t off;
	if (!ip_offset(a, ip, &off) || reserved(a, off))
		return -EINVAL;
	if (bit(a->ipmap, off))
		return -EADDRINUSE;
	set_bit(a->ipmap, off, true);
	return 0;
}

void alloc_ip_release(struct alloc *a, uint32_t ip)
{
	uint32_t off;
	if (ip_offset(a, ip, &off))
		set_bit(a->ipmap, off, false);
}

int alloc_ip_next(struct alloc *a, uint32_t *ip)
{
	uint32_t n = host_count(a->prefixlen);
	uint32_t off = a->ip_last;
	for (uint32_t i = 0; i < n; i++) {
		off = (off + 1) % n;
		if (reserved(a, off) || bit(a->ipmap, off))
			continue;
		set_bit(a->ipmap, off, true);
		a->ip_last = off;
		*ip = htonl(ntohl(a->subnet) + off);
		return 0;
	}
	char net[16];
	inet_ntop(AF_INET, &a->subnet, net, sizeof net);
	return ctr_err(-ENOSPC, "no free address left in subnet %s/%d", net, a->prefixlen);
}

/* ---- ports -------------------------------------------------------------------------------- */

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static bool addr_any(int family, const void *addr)
{
	static const uint8_t zero[16];
	return memcmp(addr, zero, addr_len(family)) == 0;
}

static bool map_is(const struct alloc_portmap *m, int proto, int family, const void *addr)
{
	return m->proto == proto && m->family == family &&
	       memcmp(m->addr, addr, addr_len(family)) == 0;
}

bool alloc_port_taken(const struct alloc *a, int proto, int family, const void *addr,
		      uint16_t port)
{
	bool any = addr_any(family, addr);
	for (size_t i = 0; i < a->n_maps; i++) {
		const struct alloc_portmap *m = &a->maps[i];
		if (m->proto != proto || m->family != family || !bit(m->bits, port))
			continue;
		/* the unspecified address overlaps every address of its family */
		if (any || addr_any(family, m->addr) || map_is(m, proto, family, addr))
			return true;
	}
	return false;
}

static struct alloc_portmap *map_get(struct alloc *a, int proto, int family, const void *addr,
				     bool create)
{
	for (size_t i = 0; i < a->n_maps; i++)
		if (map_is(&a->maps[i], proto, family, addr))
			return &a->maps[i];
	if (!create)
		return NULL;
	struct alloc_portmap *n = realloc(a->maps, (a->n_maps + 1) * sizeof *n);
	if (!n)
		return NULL;
	a->maps = n;
	struct alloc_portmap *m = &a->maps[a->n_maps++];
	memset(m, 0, sizeof *m);
	m->proto = (uint8_t)proto;
	m->family = (uint8_t)family;
	memcpy(m->addr, addr, addr_len(family));
	return m;
}

int alloc_port_take(struct alloc *a, int proto, int family, const void *addr, uint16_t port)
{
	if (alloc_port_taken(a, proto, family, addr, port))
		return -EADDRINUSE;
	struct alloc_portmap *m = map_get(a, proto, family, addr, true);
	if (!m)
		return ctr_err(-ENOMEM, "out of memory");
	set_bit(m->bits, port, true);
	return 0;
}

static bool map_empty(const struct alloc_portmap *m)
{
	/* every byte equal to the first, and that one zero (memcmp is the fast scan) */
	return m->bits[0] == 0 && memcmp(m->bits, m->bits + 1, sizeof m->bits - 1) == 0;
}

void alloc_port_clear(struct alloc *a, int proto, int family, const void *addr, uint16_t port)
{
	struct alloc_portmap *m = map_get(a, proto, family, addr, false);
	if (m)
		set_bit(m->bits, port, false);
}

void alloc_drop_empty(struct alloc *a)
{
	size_t k = 0;
	for (size_t i = 0; i < a->n_maps; i++)
		if (!map_empty(&a->maps[i])) {
			if (k != i)
				a->maps[k] = a->maps[i];
			k++;
		}
	a->n_maps = k;
}

void alloc_port_release(struct alloc *a, int proto, int family, const void *addr, uint16_t port)
{
	struct alloc_portmap *m = map_get(a, proto, family, addr, false);
	if (!m)
		return;
	set_bit(m->bits, port, false);
	/* drop maps that became empty, so the index stays small */
	if (!map_empty(m))
		return;
	size_t idx = (size_t)(m - a->maps);
	memmove(m, m + 1, (a->n_maps - idx - 1) * sizeof *m);
	a->n_maps--;
}

static struct alloc_cursor *cursor_get(struct alloc *a, int proto, int family, const void *addr,
				       uint16_t lo, uint16_t hi)
{
	for (size_t i = 0; i < a->n_cursors; i++) {
		struct alloc_cursor *c = &a->cursors[i];
		if (c->proto == proto && c->family == family && c->lo == lo && c->hi == hi &&
		    memcmp(c->addr, addr, addr_len(family)) == 0)
			return c;
	}
	struct alloc_cursor *n = realloc(a->cursors, (a->n_cursors + 1) * sizeof *n);
	if (!n)
		return NULL;
	a->cursors = n;
	struct alloc_cursor *c = &a->cursors[a->n_cursors++];
	memset(c, 0, sizeof *c);
	c->proto = (uint8_t)proto;
	c->family = (uint8_t)family;
	memcpy(c->addr, addr, addr_len(family));
	c->lo = lo;
	c->hi = hi;
	c->last = hi; /* so that the first port handed out is the range's start */
	return c;
}

int alloc_port_next(struct alloc *a, int proto, int family, const void *addr, uint16_t lo,
		    uint16_t hi, bool (*usable)(void *ctx, int proto, uint16_t port), void *ctx,
		    uint16_t *out)
{
	if (lo == 0 || lo > hi)
		return ctr_err(-EINVAL, "bad port range %u-%u", lo, hi);
	struct alloc_cursor *c = cursor_get(a, proto, family, addr, lo, hi);
	if (!c)
		return ctr_err(-ENOMEM, "out of memory");
	uint32_t span = (uint32_t)hi - lo + 1;
	uint32_t p = c->last < lo || c->last > hi ? hi : c->last;
	for (uint32_t i = 0; i < span; i++) {
		p = p == hi ? lo : p + 1;
		if (alloc_port_taken(a, proto, family, addr, (uint16_t)p))
			continue;
		if (usable && !usable(ctx, proto, (uint16_t)p))
			continue;
		int e = alloc_port_take(a, proto, family, addr, (uint16_t)p);
		if (e < 0)
			return e;
		c->last = (uint16_t)p;
		*out = (uint16_t)p;
		return 0;
	}
	return ctr_err(-ENOSPC, "all ports are allocated");
}
