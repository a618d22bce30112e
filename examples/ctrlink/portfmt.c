/* PORTS column of `ctrlink ps` and output of `ctrlink port`, as docker/cli ≥ 28 prints them.
 * Pure code; self-contained (no lib/ header). */
#include "portfmt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable string ----------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static bool buf_grow(struct buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len - 1) {
		b->oom = true;
		return false;
	}
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return false;
	}
	b->s = s;
	b->cap = cap;
	return true;
}

static void buf_addn(struct buf *b, const char *s, size_t n)
{
	if (!buf_grow(b, n))
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_add(struct buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if (!buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* The string (never NULL unless out of memory; then everything is freed). */
static char *buf_finish(struct buf *b)
{
	if (b->oom || !buf_grow(b, 0)) {
		free(b->s);
		*b = (struct buf){ 0 };
		return NULL;
	}
	char *s = b->s;
	*b = (struct buf){ 0 };
	return s;
}

/* Go's net.JoinHostPort: brackets when the host has a ':'. */
static void add_hostport(struct buf *b, const char *host, const char *port)
{
	if (strchr(host, ':'))
		buf_addf(b, "[%s]:%s", host, port);
	else
		buf_addf(b, "%s:%s", host, port);
}

/* ---- addresses ----------------------------------------------------------------------------- */

/* Ordering classes of an IP text; Go's netip.Addr orders by bit length (invalid, 4, 16). */
enum { IP_NONE, IP_RAW, IP_V4, IP_V6 };

#define ZONE_MAX 64

struct addr {
	int cls;
	unsigned char a[16];
	const char *zone; /* into the input, "" when none */
	char text[INET6_ADDRSTRLEN + 1 + ZONE_MAX + 1]; /* canonical form */
	const char *show; /* what to print: text, or the input itself when not an address */
};

/* Canonical text as netip.Addr.String(): dotted quad; IPv4-mapped IPv6 as ::ffff:a.b.c.d;
 * other IPv6 in lower-case hex with the first longest run (≥ 2) of zero groups as "::". */
static void addr_format(struct addr *x)
{
	char *t = x->text;
	size_t size = sizeof x->text, o = 0;
	const unsigned char *a = x->a;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (x->cls == IP_V4) {
		o = (size_t)snprintf(t, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	} else if (memcmp(a, mapped, 12) == 0) {
		o = (size_t)snprintf(t, size, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
	} else {
		unsigned g[8], zs = 8, ze = 8;
		for (unsigned i = 0; i < 8; i++)
			g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
		for (unsigned i = 0; i < 8; i++) {
			unsigned j = i;
			while (j < 8 && g[j] == 0)
				j++;
			if (j - i >= 2 && j - i > ze - zs) {
				zs = i;
				ze = j;
			}
		}
		for (unsigned i = 0; i < 8; i++) {
			if (i == zs) {
				o += (size_t)snprintf(t + o, size - o, "::");
				i = ze;
				if (i >= 8)
					break;
			} else if (i > 0) {
				o += (size_t)snprintf(t + o, size - o, ":");
			}
			o += (size_t)snprintf(t + o, size - o, "%x", g[i]);
		}
	}
	if (*x->zone)
		snprintf(t + o, size - o, "%%%s", x->zone);
	x->show = t;
}

static void addr_parse(const char *ip, struct addr *x)
{
	memset(x, 0, sizeof *x);
	x->zone = "";
	x->show = ip ? ip : "";
	if (!ip || !*ip)
		return;
	x->cls = IP_RAW;
	char tmp[INET6_ADDRSTRLEN + 1];
	const char *pct = strchr(ip, '%');
	size_t alen = pct ? (size_t)(pct - ip) : strlen(ip);
	if (alen >= sizeof tmp || (pct && (!pct[1] || strlen(pct + 1) > ZONE_MAX)))
		return;
	memcpy(tmp, ip, alen);
	tmp[alen] = '\0';
	bool v6 = strchr(tmp, ':') != NULL;
	if (pct && !v6)
		return; /* zones only for IPv6 */
	if (v6 ? inet_pton(AF_INET6, tmp, x->a) != 1 : inet_pton(AF_INET, tmp, x->a) != 1)
		return;
	x->cls = v6 ? IP_V6 : IP_V4;
	x->zone = pct ? pct + 1 : "";
	addr_format(x);
}

static int addr_cmp(const struct addr *x, const struct addr *y)
{
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	switch (x->cls) {
	case IP_NONE:
		return 0;
	case IP_RAW:
		return strcmp(x->show, y->show);
	default: {
		int c = memcmp(x->a, y->a, x->cls == IP_V4 ? 4 : 16);
		return c ? c : strcmp(x->zone, y->zone);
	}
	}
}

/* ---- ps PORTS ------------------------------------------------------------------------------ */

struct ent {
	struct addr ip;
	unsigned priv, pub;
	const char *type;
};

static int ent_cmp(const void *pa, const void *pb)
{
	const struct ent *a = pa, *b = pb;
	if (a->priv != b->priv)
		return a->priv < b->priv ? -1 : 1;
	int c = addr_cmp(&a->ip, &b->ip);
	if (c)
		return c;
	if (a->pub != b->pub)
		return a->pub < b->pub ? -1 : 1;
	return strcmp(a->type, b->type);
}

/* A run of consecutive private ports under one key: (IP text or none, type). */
struct group {
	const struct ent *key;
	unsigned first, last;
};

static bool same_key(const struct ent *a, const struct ent *b)
{
	if ((a->ip.cls == IP_NONE) != (b->ip.cls == IP_NONE))
		return false;
	if (a->ip.cls != IP_NONE && strcmp(a->ip.show, b->ip.show) != 0)
		return false;
	return strcmp(a->type, b->type) == 0;
}

static void sep(struct buf *b)
{
	if (b->len)
		buf_add(b, ", ");
}

static void add_group(struct buf *b, const struct group *g)
{
	char range[32];
	if (g->first == g->last)
		snprintf(range, sizeof range, "%u", g->first);
	else
		snprintf(range, sizeof range, "%u-%u", g->first, g->last);
	sep(b);
	if (g->key->ip.cls != IP_NONE) {
		add_hostport(b, g->key->ip.show, range);
		buf_add(b, "->");
	}
	buf_addf(b, "%s/%s", range, g->key->type);
}

char *ps_ports_format(const struct ps_port *ports, size_t n)
{
	struct buf b = { 0 };
	size_t cnt = n ? n : 1;
	struct ent *e = calloc(cnt, sizeof *e);
	struct group *g = calloc(cnt, sizeof *g);
	const struct ent **maps = calloc(cnt, sizeof *maps);
	size_t ng = 0, nm = 0;
	if (!e || !g || !maps) {
		b.oom = true;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		addr_parse(ports[i].ip, &e[i].ip);
		e[i].priv = ports[i].private_port;
		e[i].pub = ports[i].public_port;
		e[i].type = ports[i].type ? ports[i].type : "";
	}
	/* the text pointers of parsed addresses point into e[]: fix them after the move */
	if (n)
		qsort(e, n, sizeof *e, ent_cmp);
	for (size_t i = 0; i < n; i++)
		if (e[i].ip.cls == IP_V4 || e[i].ip.cls == IP_V6)
			e[i].ip.show = e[i].ip.text;

	buf_add(&b, "");
	for (size_t i = 0; i < n; i++) {
		const struct ent *x = &e[i];
		if (x->ip.cls != IP_NONE && x->pub != x->priv) {
			maps[nm++] = x;
			continue;
		}
		size_t k = 0;
		while (k < ng && !same_key(g[k].key, x))
			k++;
		if (k == ng) {
			g[ng++] = (struct group){ x, x->priv, x->priv };
			continue;
		}
		if (x->priv == g[k].last + 1) {
			g[k].last = x->priv;
			continue;
		}
		add_group(&b, &g[k]);
		g[k].first = g[k].last = x->priv;
	}
	for (size_t k = 0; k < ng; k++)
		add_group(&b, &g[k]);
	for (size_t k = 0; k < nm; k++) {
		char pub[16];
		snprintf(pub, sizeof pub, "%u", maps[k]->pub);
		sep(&b);
		add_hostport(&b, maps[k]->ip.show, pub);
		buf_addf(&b, "->%u/%s", maps[k]->priv, maps[k]->type);
	}
out:
	free(e);
	free(g);
	free(maps);
	return buf_finish(&b);
}

/* ---- port ---------------------------------------------------------------------------------- */

/* strconv.ParseUint(s, 10, 16) as network.ParsePort uses it; NULL or the reason. */
static const char *parse_u16(const char *s, size_t len, unsigned *out)
{
	if (len == 0)
		return "value is empty";
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "invalid syntax";
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 65535)
			return "value out of range";
	}
	*out = v;
	return NULL;
}

/* A key of NetworkSettings.Ports or the argument of `port`: "80", "80/TCP", "80/". */
struct pkey {
	unsigned num;
	size_t numlen;     /* length of the number text */
	const char *proto; /* into the input; "tcp" when empty */
	size_t plen;
};

static const char *parse_port_key(const char *s, struct pkey *k)
{
	const char *slash = strchr(s, '/');
	k->numlen = slash ? (size_t)(slash - s) : strlen(s);
	k->proto = slash && slash[1] ? slash + 1 : "tcp";
	k->plen = strlen(k->proto);
	return parse_u16(s, k->numlen, &k->num);
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The protocol of a key, lower-cased as network.ParsePort normalizes it. */
static void add_proto(struct buf *b, const struct pkey *k)
{
	for (size_t i = 0; i < k->plen; i++) {
		char c = lower(k->proto[i]);
		buf_addn(b, &c, 1);
	}
}

static bool same_proto(const struct pkey *a, const struct pkey *b)
{
	if (a->plen != b->plen)
		return false;
	for (size_t i = 0; i < a->plen; i++)
		if (lower(a->proto[i]) != lower(b->proto[i]))
			return false;
	return true;
}

/* fvbommel/sortorder NaturalLess: digit runs compare numerically (fewer leading zeros first
 * on a tie), digits sort before other bytes, other bytes compare bytewise. */
static bool natural_less(const char *s1, const char *s2)
{
	size_t i1 = 0, i2 = 0, l1 = strlen(s1), l2 = strlen(s2);
	while (i1 < l1 && i2 < l2) {
		unsigned char c1 = (unsigned char)s1[i1], c2 = (unsigned char)s2[i2];
		bool d1 = c1 >= '0' && c1 <= '9', d2 = c2 >= '0' && c2 <= '9';
		if (d1 != d2)
			return d1;
		if (!d1) {
			if (c1 != c2)
				return c1 < c2;
			i1++;
			i2++;
			continue;
		}
		while (i1 < l1 && s1[i1] == '0')
			i1++;
		while (i2 < l2 && s2[i2] == '0')
			i2++;
		size_t nz1 = i1, nz2 = i2;
		while (i1 < l1 && s1[i1] >= '0' && s1[i1] <= '9')
			i1++;
		while (i2 < l2 && s2[i2] >= '0' && s2[i2] <= '9')
			i2++;
		if (i1 - nz1 != i2 - nz2)
			return i1 - nz1 < i2 - nz2;
		int c = memcmp(s1 + nz1, s2 + nz2, i1 - nz1);
		if (c)
			return c < 0;
		if (nz1 != nz2)
			return nz1 < nz2;
	}
	return l1 < l2;
}

static int line_cmp(const void *pa, const void *pb)
{
	const char *a = *(char *const *)pa, *b = *(char *const *)pb;
	return natural_less(a, b) ? -1 : natural_less(b, a) ? 1 : 0;
}

struct lines {
	char **v;
	size_t n, cap;
	bool oom;
};

static void lines_push(struct lines *l, struct buf *b)
{
	char *s = buf_finish(b);
	if (!s || l->oom) {
		free(s);
		l->oom = true;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			free(s);
			l->oom = true;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = s;
}

/* One line "<prefix><JoinHostPort(ip, port)>" for a binding. */
static void add_binding(struct lines *l, const struct ps_port *p, const char *prefix)
{
	struct addr ip;
	addr_parse(p->ip ? p->ip : "", &ip);
	char port[8];
	snprintf(port, sizeof port, "%u", p->public_port);
	struct buf b = { 0 };
	buf_add(&b, prefix);
	add_hostport(&b, ip.show, port);
	lines_push(l, &b);
}

static int fail(char **out, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char **out, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*out = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(*out, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return code;
}

int port_cmd_format(const struct ps_port *ports, size_t n, const char *arg,
		    const char *container_name, char **out)
{
	struct lines l = { 0 };
	*out = NULL;
	if (!container_name)
		container_name = "";
	struct pkey want = { 0 };
	if (arg && *arg) {
		const char *why = parse_port_key(arg, &want);
		if (why)
			return fail(out, -EINVAL, "invalid port '%.*s': %s", (int)want.numlen, arg,
				    why);
	}
	for (size_t i = 0; i < n && !l.oom; i++) {
		const struct ps_port *p = &ports[i];
		if (!p->public_port || !p->type)
			continue; /* exposed only */
		struct pkey k = { .num = p->private_port, .proto = p->type,
				  .plen = strlen(p->type) };
		if (arg && *arg) {
			/* the protocol is not checked (docker/cli port.go): an unknown one is
			 * just not published */
			if (k.num == want.num && same_proto(&k, &want))
				add_binding(&l, p, "");
			continue;
		}
		struct buf prefix = { 0 };
		buf_addf(&prefix, "%u/", k.num);
		add_proto(&prefix, &k);
		buf_add(&prefix, " -> ");
		char *pre = buf_finish(&prefix);
		if (!pre) {
			l.oom = true;
			break;
		}
		add_binding(&l, p, pre);
		free(pre);
	}
	if (!l.oom && arg && *arg && l.n == 0)
		return fail(out, -ENOENT, "no public port '%s' published for %s", arg,
			    container_name);

	struct buf b = { 0 };
	if (!l.oom) {
		if (l.n)
			qsort(l.v, l.n, sizeof *l.v, line_cmp);
		buf_add(&b, "");
		for (size_t i = 0; i < l.n; i++) {
			buf_add(&b, l.v[i]);
			buf_add(&b, "\n");
		}
	}
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	if (l.oom) {
		free(b.s);
		return -ENOMEM;
	}
	*out = buf_finish(&b);
	return *out ? 0 : -ENOMEM;
}
