/* libFuzzer target for the state formats: rec_from_json() (the container record), alloc_decode()
 * (the allocation index) and launch_from_json() (the monitor's launch spec) on arbitrary bytes,
 * plus a run of allocation operations driven by the bytes.  Aborts when:
 *   - a refusal leaves output behind or a message with a control character, or what
 *     rec_salvage() keeps of it breaks a record's invariants;
 *   - an accepted record breaks an invariant (sorted unique exposed ports, a hex ID, no control
 *     character where a file line is built), or does not survive rec_to_json/rec_from_json
 *     unchanged;
 *   - an accepted allocation index does not encode back to exactly the input bytes;
 *   - an accepted launch spec does not survive launch_to_json/launch_from_json unchanged;
 *   - the allocation operations hand out a reserved or taken address or port, or the index
 *     they leave does not round trip. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/alloc.h"
#include "core/launch.h"
#include "core/record.h"
#include "core/util.h"

static void check_msg(void)
{
	const char *m = ctr_err_msg();
	size_t n = strlen(m);
	if (n == 0 || n > 1000)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)m[i] < 0x20 || m[i] == 0x7f)
			abort();
}

static void no_ctl(const char *s)
{
	if (s && str_has_ctl(s))
		abort();
}

static void check_rec(const struct ctr_rec *r)
{
	if (strlen(r->id) != CTR_ID_LEN || strspn(r->id, "0123456789abcdef") != CTR_ID_LEN)
		abort();
	if (!r->name || !r->hostname || !r->argv || !r->argv[0])
		abort();
	no_ctl(r->name);
	no_ctl(r->hostname);
	no_ctl(r->domainname);
	no_ctl(r->user);
	for (size_t i = 0; i < r->n_links; i++) {
		no_ctl(r->links[i].alias);
		if (strlen(r->links[i].target) != CTR_ID_LEN)
			abort();
	}
	for (size_t i = 1; i < r->n_exposed; i++)
		if (port_cmp(&r->exposed[i - 1], &r->exposed[i]) >= 0)
			abort();
	for (size_t i = 0; i < r->n_bindings; i++) {
		const struct ctr_binding *b = &r->bindings[i];
		bool exposed = false;
		for (size_t k = 0; k < r->n_exposed && !exposed; k++)
			exposed = port_cmp(&r->exposed[k], &b->cport) == 0;
		if (!exposed || b->hp_lo > b->hp_hi || (b->hp_lo == 0) != (b->hp_hi == 0) ||
		    b->cport.proto >= CTR_NPROTO || !memchr(b->host_ip, 0, sizeof b->host_ip))
			abort();
	}
	for (size_t i = 0; i < r->n_mappings; i++)
		if (r->mappings[i].hport == 0 || !r->mappings[i].host_ip[0] ||
		    r->mappings[i].cport.proto >= CTR_NPROTO)
			abort();
	if (r->has_net && (r->net.prefixlen < 1 || r->net.prefixlen > 32))
		abort();
	if (r->net.prefixlen6 && (!r->has_net || r->net.prefixlen6 < 48 || r->net.prefixlen6 > 128))
		abort();
	if ((unsigned)r->status > ST_EXITED || r->pid < 0 || r->mon_pid < 0 ||
	    r->exit_code < -1 || r->exit_code > 255)
		abort();
}

static void fuzz_record(const uint8_t *data, size_t size)
{
	struct ctr_rec *r = NULL, *r2 = NULL;
	char *j1 = NULL, *j2 = NULL;
	ctr_err_clear();
	if (rec_from_json((const char *)data, size, &r) < 0) {
		if (r)
			abort();
		check_msg();
		/* what a refused record salvages keeps the record's invariants, and is marked */
		static const char id[] = "0123456789abcdef0123456789abcdef"
					 "0123456789abcdef0123456789abcdef";
		if (rec_salvage((const char *)data, size, id, "refused", &r) < 0)
			return;
		if (!r->opaque) /* an opaque one is its ID alone */
			check_rec(r);
		if (!r->unreadable || strcmp(r->id, id) != 0 || rec_to_json(r, &j1) < 0 ||
		    (r->opaque && (r->name || r->argv || r->has_net || r->pid || r->n_links)))
			abort();
		free(j1);
		rec_free(r);
		return;
	}
	check_rec(r);
	if (rec_to_json(r, &j1) < 0 || rec_from_json(j1, strlen(j1), &r2) < 0)
		abort(); /* what we write we must read */
	check_rec(r2);
	if (rec_to_json(r2, &j2) < 0 || strcmp(j1, j2) != 0)
		abort(); /* and it must read back the same */
	free(j1);
	free(j2);
	rec_free(r);
	rec_free(r2);
}

static void fuzz_launch(const uint8_t *data, size_t size)
{
	struct launch l, l2;
	char *j1 = NULL, *j2 = NULL;
	ctr_err_clear();
	if (launch_from_json((const char *)data, size, &l) < 0) {
		if (l.state_dir || l.argv || l.env || l.hostname)
			abort();
		check_msg();
		return;
	}
	if (!l.state_dir || !l.argv || !l.argv[0] || !l.env || !l.hostname)
		abort();
	if (launch_to_json(&l, &j1) < 0 || launch_from_json(j1, strlen(j1), &l2) < 0)
		abort();
	if (launch_to_json(&l2, &j2) < 0 || strcmp(j1, j2) != 0)
		abort();
	free(j1);
	free(j2);
	launch_free(&l);
	launch_free(&l2);
}

/* Use a decoded index a little: every operation must stay inside its maps. */
static void poke(struct alloc *a)
{
	uint32_t ip;
	uint16_t port;
	if (alloc_ip_next(a, &ip) == 0 && !alloc_ip_taken(a, ip))
		abort();
	for (size_t i = 0; i < a->n_cursors && i < 4; i++) {
		struct alloc_cursor c = a->cursors[i];
		if (alloc_port_next(a, c.proto, c.family, c.addr, c.lo, c.hi, NULL, NULL,
				    &port) < 0)
			continue;
		if (port < c.lo || port > c.hi ||
		    !alloc_port_taken(a, c.proto, c.family, c.addr, port))
			abort();
	}
	for (size_t i = 0; i < a->n_maps && i < 4; i++) {
		struct alloc_portmap *m = &a->maps[i];
		uint8_t addr[16];
		memcpy(addr, m->addr, sizeof addr);
		alloc_port_taken(a, m->proto, m->family, addr, 80);
		alloc_port_release(a, m->proto, m->family, addr, 80);
	}
}

static void fuzz_alloc(const uint8_t *data, size_t size)
{
	struct alloc a;
	char *buf = NULL;
	size_t len = 0;
	ctr_err_clear();
	int e = alloc_decode((const char *)data, size, &a);
	if (e < 0) {
		if (a.ipmap || a.maps || a.cursors || a.n_maps || a.n_cursors)
			abort();
		return;
	}
	if (alloc_encode(&a, &buf, &len) < 0 || len != size || memcmp(buf, data, size) != 0)
		abort(); /* decode accepts only what encode writes */
	free(buf);
	poke(&a);
	alloc_free(&a);
}

/* The bytes as operations on a small index: two bytes each, [op][arg]. */
static void fuzz_alloc_ops(const uint8_t *data, size_t size)
{
	static const char *const addrs[] = { "0.0.0.0", "127.0.0.1", "10.0.0.1", "::", "::1" };
	struct alloc a, b;
	uint32_t net = htonl(0x0a580000); /* 10.88.0.0/28 */
	if (alloc_init(&a, net, 28) < 0)
		return;
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t op = data[i], arg = data[i + 1];
		int proto = op % 3, idx = (op / 3) % 5;
		int family = idx >= 3 ? AF_INET6 : AF_INET;
		uint8_t addr[16] = { 0 };
		inet_pton(family, addrs[idx], addr);
		uint16_t port = (uint16_t)(1 + arg % 16), got;
		uint32_t ip = htonl(0x0a580000 + (arg & 15));
		switch ((op / 15) % 8) {
		case 0:
			if (alloc_ip_next(&a, &ip) == 0) {
				uint32_t off = ntohl(ip) & 15;
				if (off < 2 || off == 15 || !alloc_ip_taken(&a, ip))
					abort();
			}
			break;
		case 1:
			if (alloc_ip_take(&a, ip) == 0 && !alloc_ip_taken(&a, ip))
				abort();
			break;
		case 2:
			alloc_ip_release(&a, ip);
			break;
		case 3:
		case 4: {
			bool taken = alloc_port_taken(&a, proto, family, addr, port);
			int r = alloc_port_take(&a, proto, family, addr, port);
			if ((r == 0) == taken || !alloc_port_taken(&a, proto, family, addr, port))
				abort();
			break;
		}
		case 5:
			alloc_port_release(&a, proto, family, addr, port);
			break;
		default: {
			uint16_t lo = (uint16_t)(1 + arg % 8), hi = (uint16_t)(lo + arg / 32);
			if (alloc_port_next(&a, proto, family, addr, lo, hi, NULL, NULL, &got) < 0)
				break;
			if (got < lo || got > hi || !alloc_port_taken(&a, proto, family, addr, got))
				abort();
			break;
		}
		}
	}
	char *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0;
	if (alloc_encode(&a, &buf, &len) < 0 || alloc_decode(buf, len, &b) < 0 ||
	    alloc_encode(&b, &buf2, &len2) < 0 || len != len2 || memcmp(buf, buf2, len) != 0)
		abort();
	for (size_t i = 0; i < b.n_maps; i++) { /* no empty map is kept */
		size_t k = 0;
		while (k < sizeof b.maps[i].bits && !b.maps[i].bits[k])
			k++;
		if (k == sizeof b.maps[i].bits)
			abort();
	}
	free(buf);
	free(buf2);
	alloc_free(&a);
	alloc_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_record(data, size);
	fuzz_launch(data, size);
	fuzz_alloc(data, size);
	fuzz_alloc_ops(data, size);
	return 0;
}
