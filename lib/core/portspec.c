/* Port options: -p (go-connections v0.8.0 ParsePortSpec and the CLI's long syntax), --expose,
 * and the unpublish form.  Pure code.
 *
 * Everything works on (pointer, length) spans of the NUL-terminated input, so no copy of the
 * user's text is made except the rewrite of the long syntax. */
#include "core/portspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* A piece of a string. */
struct span {
	const char *s;
	size_t len;
};

static struct span span_of(const char *s, size_t len)
{
	return (struct span){ s, len };
}

static bool span_eq(struct span a, const char *lit)
{
	return a.len == strlen(lit) && memcmp(a.s, lit, a.len) == 0;
}

static const char *span_chr(struct span a, char c)
{
	return a.len ? memchr(a.s, c, a.len) : NULL;
}

/* ---- hostile input ----------------------------------------------------------------------- */

static int check_input(const char *spec, const char *what)
{
	if (!spec)
		return ctr_err(-EINVAL, "no %s given", what);
	size_t len = strnlen(spec, PORTSPEC_MAX + 1);
	if (len > PORTSPEC_MAX)
		return ctr_err(-EINVAL, "%s too long (more than %d bytes)", what, PORTSPEC_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)spec[i];
		if (c < 0x20 || c == 0x7f)
			return ctr_err(-EINVAL,
				       "%s contains a control character (0x%02x at byte %zu)",
				       what, c, i);
	}
	return 0;
}

/* ---- numbers and ranges ------------------------------------------------------------------ */

/* The failures of go-connections' parsePortNumber (strconv.ParseInt(s, 10, 0), then 0-65535),
 * in the order Go detects them: scanning left to right, the first bad byte or overflow wins. */
enum num_err { NUM_OK, NUM_EMPTY, NUM_SYNTAX, NUM_RANGE, NUM_PORT_RANGE };

static const char *num_err_text(enum num_err e)
{
	switch (e) {
	case NUM_EMPTY:
		return "value is empty";
	case NUM_SYNTAX:
		return "invalid syntax";
	case NUM_RANGE:
		return "value out of range";
	case NUM_PORT_RANGE:
		/* U+2013 EN DASH, as upstream writes it */
		return "value out of range (0\xe2\x80\x93" "65535)";
	default:
		return "";
	}
}

static enum num_err parse_port_number(struct span a, unsigned *out)
{
	if (a.len == 0)
		return NUM_EMPTY;
	size_t i = 0;
	bool neg = false;
	if (a.s[0] == '+' || a.s[0] == '-') {
		neg = a.s[0] == '-';
		i = 1;
	}
	if (i == a.len)
		return NUM_SYNTAX;
	uint64_t v = 0;
	for (; i < a.len; i++) {
		if (a.s[i] < '0' || a.s[i] > '9')
			return NUM_SYNTAX;
		if (v >= UINT64_MAX / 10 + 1)
			return NUM_RANGE;
		v *= 10;
		uint64_t v1 = v + (uint64_t)(a.s[i] - '0');
		if (v1 < v)
			return NUM_RANGE;
		v = v1;
	}
	if (neg ? v > (UINT64_C(1) << 63) : v >= (UINT64_C(1) << 63))
		return NUM_RANGE;
	if (neg ? v != 0 : v > 65535)
		return NUM_PORT_RANGE;
	*out = (unsigned)v;
	return NUM_OK;
}

/* Why a range failed (go-connections v0.8.0 parsePortRange). */
struct range_err {
	enum { RANGE_OK, RANGE_EMPTY, RANGE_START, RANGE_END, RANGE_ORDER } kind;
	enum num_err num;
	struct span part;
};

/* "a" or "a-b": split at the first '-' only; "a-a" (same text) is one port. */
static bool parse_range(struct span a, unsigned *lo, unsigned *hi, struct range_err *e)
{
	*e = (struct range_err){ RANGE_OK, NUM_OK, a };
	if (a.len == 0) {
		e->kind = RANGE_EMPTY;
		return false;
	}
	const char *dash = span_chr(a, '-');
	struct span start = span_of(a.s, dash ? (size_t)(dash - a.s) : a.len);
	struct span end = dash ? span_of(dash + 1, a.len - start.len - 1) : span_of("", 0);
	enum num_err ne = parse_port_number(start, lo);
	if (ne != NUM_OK) {
		*e = (struct range_err){ RANGE_START, ne, start };
		return false;
	}
	if (!dash || (start.len == end.len && memcmp(start.s, end.s, end.len) == 0)) {
		*hi = *lo;
		return true;
	}
	ne = parse_port_number(end, hi);
	if (ne != NUM_OK) {
		*e = (struct range_err){ RANGE_END, ne, end };
		return false;
	}
	if (*hi < *lo) {
		e->kind = RANGE_ORDER;
		return false;
	}
	return true;
}

/* ---- protocols --------------------------------------------------------------------------- */

/* Lower-case (ASCII only) into buf; a proto longer than any valid one is kept as long as it
 * fits, it can only be reported as invalid anyway.  Returns the protocol or -1. */
static int proto_lookup(struct span p, char *buf, size_t size)
{
	size_t n = p.len < size - 1 ? p.len : size - 1;
	for (size_t i = 0; i < n; i++) {
		char c = p.s[i];
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = '\0';
	uint8_t proto;
	if (p.len >= size || proto_parse(buf, &proto) < 0)
		return -1;
	return proto;
}

/* Report an invalid protocol, lower-cased as upstream reports it. */
static int proto_error(struct span p)
{
	struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; i < p.len; i++) {
		char c = p.s[i];
		sb_addc(&sb, (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c);
	}
	if (sb.oom) {
		sb_free(&sb);
		return ctr_err(-ENOMEM, "out of memory");
	}
	int r = ctr_err(-EINVAL, "invalid proto: %s", sb_str(&sb));
	sb_free(&sb);
	return r;
}

/* ---- addresses --------------------------------------------------------------------------- */

/* No field of the dotted-quad part (the whole text, or what follows the last ':') may have a
 * leading zero.  glibc's inet_pton already refuses them; other libcs may not. */
static bool dotted_ok(const char *s)
{
	const char *colon = strrchr(s, ':');
	const char *p = colon ? colon + 1 : s;
	if (!strchr(p, '.'))
		return true;
	while (*p) {
		size_t n = strspn(p, "0123456789");
		if (n > 1 && p[0] == '0')
			return false;
		p += n;
		if (*p == '.')
			p++;
		else if (*p)
			return false;
	}
	return true;
}

bool portspec_ip_literal(const char *s)
{
	unsigned char buf[16];
	if (!s || strnlen(s, CTR_IP_MAX) >= CTR_IP_MAX)
		return false;
	int af = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(af, s, buf) == 1 && dotted_ok(s);
}

bool host_ip_equal(const char *a, const char *b)
{
	unsigned char ba[16], bb[16];
	if (!*a || !*b)
		return !*a && !*b;
	int af = strchr(a, ':') ? AF_INET6 : AF_INET;
	if ((strchr(b, ':') ? AF_INET6 : AF_INET) == af && inet_pton(af, a, ba) == 1 &&
	    inet_pton(af, b, bb) == 1)
		return memcmp(ba, bb, af == AF_INET6 ? 16 : 4) == 0;
	return strcmp(a, b) == 0;
}

bool binding_equal(const struct ctr_binding *a, const struct ctr_binding *b)
{
	return a->cport.port == b->cport.port && a->cport.proto == b->cport.proto &&
	       a->hp_lo == b->hp_lo && a->hp_hi == b->hp_hi &&
	       host_ip_equal(a->host_ip, b->host_ip);
}

/* The class of a host IP under host_ip_equal, with its address bytes: 0 "", 1 IPv4, 2 IPv6,
 * 3 not an address (compared as a string).  The family is the one host_ip_equal takes. */
static int ip_class(const char *s, unsigned char buf[16])
{
	if (!*s)
		return 0;
	if (strchr(s, ':'))
		return inet_pton(AF_INET6, s, buf) == 1 ? 2 : 3;
	return inet_pton(AF_INET, s, buf) == 1 ? 1 : 3;
}

int host_ip_cmp(const char *a, const char *b)
{
	unsigned char ba[16], bb[16];
	if (strcmp(a, b) == 0)
		return 0;
	int ca = ip_class(a, ba), cb = ip_class(b, bb), c;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (ca == 1)
		c = memcmp(ba, bb, 4);
	else if (ca == 2)
		c = memcmp(ba, bb, 16);
	else
		c = strcmp(a, b);
	return (c > 0) - (c < 0);
}

int binding_cmp(const struct ctr_binding *a, const struct ctr_binding *b)
{
	int c = port_cmp(&a->cport, &b->cport);
	if (c)
		return c;
	if (a->hp_lo != b->hp_lo)
		return a->hp_lo < b->hp_lo ? -1 : 1;
	if (a->hp_hi != b->hp_hi)
		return a->hp_hi < b->hp_hi ? -1 : 1;
	return host_ip_cmp(a->host_ip, b->host_ip);
}

bool binding_covers(const struct ctr_binding *b, const struct ctr_mapping *m)
{
	if (port_cmp(&b->cport, &m->cport) != 0)
		return false;
	/* no address given: the default one, on both families when dual stack */
	if (b->host_ip[0] ? !host_ip_equal(b->host_ip, m->host_ip)
			  : !host_ip_equal("0.0.0.0", m->host_ip) && !host_ip_equal("::", m->host_ip))
		return false;
	if (b->hp_lo == 0)
		return true;
	return m->hport >= b->hp_lo && m->hport <= b->hp_hi;
}

/* Sorting pointers into one array: by binding, then by position (so that the first of equal
 * bindings in the caller's order sorts first). */
static int bptr_cmp(const void *pa, const void *pb)
{
	const struct ctr_binding *a = *(const struct ctr_binding *const *)pa;
	const struct ctr_binding *b = *(const struct ctr_binding *const *)pb;
	int c = binding_cmp(a, b);
	return c ? c : (a > b) - (a < b);
}

/* By container port only, then by position. */
static int bptr_port_cmp(const void *pa, const void *pb)
{
	const struct ctr_binding *a = *(const struct ctr_binding *const *)pa;
	const struct ctr_binding *b = *(const struct ctr_binding *const *)pb;
	int c = port_cmp(&a->cport, &b->cport);
	return c ? c : (a > b) - (a < b);
}

static const struct ctr_binding **sorted_ptrs(const struct ctr_binding *b, size_t n,
					      int (*cmp)(const void *, const void *))
{
	const struct ctr_binding **p = malloc((n + 1) * sizeof *p);
	if (!p)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = &b[i];
	qsort(p, n, sizeof *p, cmp);
	return p;
}

int bindings_first_dup(const struct ctr_binding *b, size_t nb, const struct ctr_binding *have,
		       size_t nhave, size_t *first)
{
	if (!nb || !nhave)
		return 0;
	const struct ctr_binding **p = sorted_ptrs(b, nb, bptr_cmp);
	if (!p)
		return ctr_err(-ENOMEM, "out of memory");
	size_t best = nb;
	for (size_t j = 0; j < nhave; j++) {
		size_t lo = 0, hi = nb;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (binding_cmp(p[mid], &have[j]) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* the first of the equal ones is the earliest in b's order */
		if (lo < nb && binding_cmp(p[lo], &have[j]) == 0 && (size_t)(p[lo] - b) < best)
			best = (size_t)(p[lo] - b);
	}
	free(p);
	if (best == nb)
		return 0;
	*first = best;
	return 1;
}

/* First position in `p` (sorted by container port) whose port is not less than `port`. */
static size_t port_lower_bound(const struct ctr_binding *const *p, size_t n,
			       const struct ctr_port *port)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (port_cmp(&p[mid]->cport, port) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int unpublish_match(const struct ctr_binding *b, size_t nb, bool bare,
		    const struct ctr_binding *have, size_t nhave, const struct ctr_mapping *m,
		    size_t nm, bool *drop_b, bool *drop_m, size_t *hits)
{
	const struct ctr_binding **p = sorted_ptrs(b, nb, bptr_port_cmp);
	bool *hit = calloc(nb + 1, sizeof *hit);
	if (!p || !hit) {
		free(p);
		free(hit);
		return ctr_err(-ENOMEM, "out of memory");
	}
	/* each binding and mapping is checked against the requests with its container port */
	for (size_t j = 0; j < nhave; j++) {
		drop_b[j] = false;
		for (size_t k = port_lower_bound(p, nb, &have[j].cport);
		     k < nb && port_cmp(&p[k]->cport, &have[j].cport) == 0; k++)
			if (bare || binding_equal(p[k], &have[j]))
				drop_b[j] = hit[p[k] - b] = true;
	}
	for (size_t j = 0; j < nm; j++) {
		drop_m[j] = false;
		for (size_t k = port_lower_bound(p, nb, &m[j].cport);
		     k < nb && port_cmp(&p[k]->cport, &m[j].cport) == 0; k++)
			if (bare || binding_covers(p[k], &m[j]))
				drop_m[j] = hit[p[k] - b] = true;
	}
	*hits = 0;
	for (size_t i = 0; i < nb; i++)
		*hits += hit[i];
	free(p);
	free(hit);
	return 0;
}

/* Strip the brackets of "[addr]" as Go's net.SplitHostPort(ip + ":") does; on failure return
 * the reason, worded as Go's AddrError. */
static const char *strip_brackets(struct span ip, struct span *host)
{
	/* The hostport is ip + ":", so its last colon is the appended one, at index ip.len. */
	const char *close = span_chr(ip, ']');
	if (!close)
		return "missing ']' in address";
	size_t end = (size_t)(close - ip.s);
	if (end + 1 != ip.len)
		return ip.s[end + 1] == ':' ? "too many colons in address"
					    : "missing port in address";
	if (memchr(ip.s + 1, '[', ip.len - 1))
		return "unexpected '[' in address";
	*host = span_of(ip.s + 1, end - 1);
	return NULL;
}

/* ---- -p ---------------------------------------------------------------------------------- */

static int grow(void **v, size_t n, size_t add, size_t elem)
{
	if (add > SIZE_MAX / elem - n)
		return ctr_err(-ENOMEM, "out of memory");
	void *nv = realloc(*v, (n + add) * elem);
	if (!nv)
		return ctr_err(-ENOMEM, "out of memory");
	*v = nv;
	return 0;
}

/* The long syntax of `docker run -p`: comma-separated name=value pairs, rewritten to
 * "<published>:<target>/<protocol>" (protocol defaults to tcp) and parsed as a short spec. */
static int long_syntax(const char *spec, char **out)
{
	struct span published = { "", 0 }, target = { "", 0 }, protocol = { "tcp", 3 };
	const char *p = spec;
	for (;;) {
		const char *comma = strchr(p, ',');
		struct span param = span_of(p, comma ? (size_t)(comma - p) : strlen(p));
		const char *eq = span_chr(param, '=');
		if (!eq || eq == param.s)
			return ctr_err(-EINVAL, "invalid publish opts format (should be name=value "
				       "but got '%.*s')", (int)param.len, param.s);
		struct span key = span_of(param.s, (size_t)(eq - param.s));
		struct span val = span_of(eq + 1, param.len - key.len - 1);
		if (span_eq(key, "published")) {
			published = val;
		} else if (span_eq(key, "target")) {
			target = val;
		} else if (span_eq(key, "protocol")) {
			protocol = val;
		} else if (span_eq(key, "mode")) {
			/* meaningful for swarm services only; accepted and ignored, as by docker */
			if (!span_eq(val, "ingress") && !span_eq(val, "host"))
				return ctr_err(-EINVAL, "invalid publish mode value %.*s",
					       (int)val.len, val.s);
		} else {
			return ctr_err(-EINVAL, "invalid field key %.*s", (int)key.len, key.s);
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	struct sbuf sb = SBUF_INIT;
	sb_addn(&sb, published.s, published.len);
	sb_addc(&sb, ':');
	sb_addn(&sb, target.s, target.len);
	sb_addc(&sb, '/');
	sb_addn(&sb, protocol.s, protocol.len);
	*out = sb_finish(&sb);
	return *out ? 0 : -ENOMEM;
}

/* nat.ParsePortSpec on a short spec (already free of control characters and bounded). */
static int parse_short(const char *spec, struct ctr_binding **v, size_t *n, bool *bare)
{
	size_t len = strlen(spec);
	struct span ip = { "", 0 }, host = { "", 0 }, cont;

	/* 1. split on ':': the last two parts are host and container port, the rest the IP */
	const char *last = strrchr(spec, ':');
	*bare = last == NULL;
	if (!last) {
		cont = span_of(spec, len);
	} else {
		cont = span_of(last + 1, len - (size_t)(last - spec) - 1);
		const char *prev = last;
		while (prev > spec && prev[-1] != ':')
			prev--;
		if (prev == spec) { /* exactly one ':' */
			host = span_of(spec, (size_t)(last - spec));
		} else {
			host = span_of(prev, (size_t)(last - prev));
			ip = span_of(spec, (size_t)(prev - 1 - spec));
		}
	}

	/* 2. "port[/proto]", cut at the first '/' */
	const char *slash = span_chr(cont, '/');
	struct span cport = span_of(cont.s, slash ? (size_t)(slash - cont.s) : cont.len);
	struct span pname = slash ? span_of(slash + 1, cont.len - cport.len - 1) : span_of("", 0);
	if (cport.len == 0)
		return ctr_err(-EINVAL, "no port specified: %s<empty>", spec);
	char pbuf[8];
	int proto = pname.len ? proto_lookup(pname, pbuf, sizeof pbuf) : CTR_TCP;
	if (proto < 0)
		return proto_error(pname);

	/* 3. the IP: brackets stripped, then a literal address */
	char ipbuf[CTR_IP_MAX] = "";
	if (ip.len && ip.s[0] == '[') {
		struct span stripped;
		const char *why = strip_brackets(ip, &stripped);
		if (why)
			return ctr_err(-EINVAL, "invalid IP address %.*s: address %.*s:: %s",
				       (int)ip.len, ip.s, (int)ip.len, ip.s, why);
		if (stripped.len && stripped.len < sizeof ipbuf) {
			memcpy(ipbuf, stripped.s, stripped.len);
			ipbuf[stripped.len] = '\0';
		}
		if (stripped.len && (stripped.len >= sizeof ipbuf || !portspec_ip_literal(ipbuf)))
			return ctr_err(-EINVAL, "invalid IP address: %.*s", (int)stripped.len,
				       stripped.s);
	} else if (ip.len) {
		if (ip.len < sizeof ipbuf) {
			memcpy(ipbuf, ip.s, ip.len);
			ipbuf[ip.len] = '\0';
		}
		if (ip.len >= sizeof ipbuf || !portspec_ip_literal(ipbuf))
			return ctr_err(-EINVAL, "invalid IP address: %.*s", (int)ip.len, ip.s);
	}

	/* 4. ports */
	struct range_err e;
	unsigned c_lo, c_hi, h_lo = 0, h_hi = 0;
	if (!parse_range(cport, &c_lo, &c_hi, &e))
		return ctr_err(-EINVAL, "invalid containerPort: %.*s", (int)cport.len, cport.s);
	if (host.len) {
		if (!parse_range(host, &h_lo, &h_hi, &e))
			return ctr_err(-EINVAL, "invalid hostPort: %.*s", (int)host.len, host.s);
		if (c_hi - c_lo != h_hi - h_lo && c_hi != c_lo)
			return ctr_err(-EINVAL, "invalid ranges specified for container and host "
				       "Ports: %.*s and %.*s", (int)cport.len, cport.s,
				       (int)host.len, host.s);
	}

	/* 5. expansion */
	size_t count = (size_t)(c_hi - c_lo) + 1;
	int r = grow((void **)v, *n, count, sizeof **v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		struct ctr_binding *b = &(*v)[*n + i];
		memset(b, 0, sizeof *b);
		b->cport.port = (uint16_t)(c_lo + i);
		b->cport.proto = (uint8_t)proto;
		memcpy(b->host_ip, ipbuf, sizeof b->host_ip);
		if (!host.len)
			continue;
		b->hp_zero = h_lo == 0 && h_hi == 0;
		if (count == 1) {
			b->hp_lo = (uint16_t)h_lo;
			b->hp_hi = (uint16_t)h_hi;
		} else {
			b->hp_lo = b->hp_hi = (uint16_t)(h_lo + i);
		}
	}
	*n += count;
	return 0;
}

static int parse_any(const char *spec, struct ctr_binding **v, size_t *n, bool *bare)
{
	int r = check_input(spec, "port specification");
	if (r < 0)
		return r;
	if (!strchr(spec, '='))
		return parse_short(spec, v, n, bare);
	char *conv = NULL;
	r = long_syntax(spec, &conv);
	if (r == 0)
		r = parse_short(conv, v, n, bare);
	free(conv);
	return r;
}

int portspec_parse(const char *spec, struct ctr_binding **v, size_t *n)
{
	bool bare;
	return parse_any(spec, v, n, &bare);
}

int portspec_parse_unpublish(const char *spec, struct ctr_binding **v, size_t *n, bool *bare)
{
	bool b = false;
	int r = parse_any(spec, v, n, &b);
	if (r == 0)
		*bare = b;
	return r;
}

/* ---- --expose ---------------------------------------------------------------------------- */

int expose_parse(const char *spec, struct ctr_port **v, size_t *n)
{
	int r = check_input(spec, "--expose value");
	if (r < 0)
		return r;
	size_t len = strlen(spec);
	const char *slash = strchr(spec, '/');
	struct span port = span_of(spec, slash ? (size_t)(slash - spec) : len);
	struct span pname = slash ? span_of(slash + 1, len - port.len - 1) : span_of("", 0);

	struct range_err e;
	unsigned lo, hi;
	if (!parse_range(port, &lo, &hi, &e)) {
		const char *head = "invalid range format for --expose";
		switch (e.kind) {
		case RANGE_EMPTY:
			return ctr_err(-EINVAL, "%s: %s, error: empty string specified for ports",
				       head, spec);
		case RANGE_START:
		case RANGE_END:
			return ctr_err(-EINVAL, "%s: %s, error: invalid %s port '%.*s': %s", head,
				       spec, e.kind == RANGE_START ? "start" : "end",
				       (int)e.part.len, e.part.s, num_err_text(e.num));
		default:
			return ctr_err(-EINVAL, "%s: %s, error: invalid port range: %.*s", head,
				       spec, (int)port.len, port.s);
		}
	}
	/* Docker does not check the protocol here; we can only represent tcp, udp and sctp. */
	char pbuf[8];
	int proto = pname.len ? proto_lookup(pname, pbuf, sizeof pbuf) : CTR_TCP;
	if (proto < 0)
		return proto_error(pname);

	size_t count = (size_t)(hi - lo) + 1;
	r = grow((void **)v, *n, count, sizeof **v);
	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++)
		(*v)[*n + i] = (struct ctr_port){ (uint16_t)(lo + i), (uint8_t)proto };
	*n += count;
	return 0;
}
