/* Unit tests of lib/core/portspec.c: -p (go-connections v0.8.0), the long syntax, --expose and
 * the unpublish form.  One TAP point per table row. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/portspec.h"
#include "tap.h"
#include "core/util.h"

#define EN_DASH "\xe2\x80\x93"

/* ---- rendering ------------------------------------------------------------------------------
 * A binding renders as "[ip]:hostport->port/proto"; a result as "OK <b> <b>…" or "ERR <msg>",
 * or "ERR(<rc>) <msg>" for an error other than -EINVAL. */

static void add_binding(struct sbuf *sb, const struct ctr_binding *b)
{
	char hp[16], cp[16];
	binding_hostport(b, hp, sizeof hp);
	port_format(&b->cport, cp, sizeof cp);
	sb_addf(sb, " [%s]:%s->%s", b->host_ip, hp, cp);
}

static char *render_result(int rc, const struct ctr_binding *v, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	if (rc == -EINVAL) {
		sb_addf(&sb, "ERR %s", ctr_err_msg());
	} else if (rc < 0) {
		sb_addf(&sb, "ERR(%d) %s", rc, ctr_err_msg());
	} else {
		sb_add(&sb, "OK");
		for (size_t i = 0; i < n; i++)
			add_binding(&sb, &v[i]);
	}
	return sb_finish(&sb);
}

/* The spec for a test description: control bytes and non-ASCII as \xNN, truncated. */
static const char *esc(const char *s, char *buf, size_t size)
{
	size_t o = 0;
	for (; *s && o + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

struct pcase {
	const char *spec;
	const char *want; /* "OK …" or "ERR …" */
};

static const struct pcase publish_cases[] = {
	/* §5.1: one part, container port and protocol */
	{ "80", "OK []:->80/tcp" },
	{ "80/udp", "OK []:->80/udp" },
	{ "80/sctp", "OK []:->80/sctp" },
	{ "80/tcp", "OK []:->80/tcp" },
	{ "80/UDP", "OK []:->80/udp" },
	{ "80/Sctp", "OK []:->80/sctp" },
	{ "80/", "OK []:->80/tcp" },
	{ "080", "OK []:->80/tcp" },
	{ "+80", "OK []:->80/tcp" },
	{ "0", "OK []:->0/tcp" },
	{ "65535", "OK []:->65535/tcp" },
	/* two parts */
	{ "8080:80", "OK []:8080->80/tcp" },
	{ "8080:80/udp", "OK []:8080->80/udp" },
	{ ":80", "OK []:->80/tcp" },
	{ "0:80", "OK []:0->80/tcp" },
	{ "+8080:+80", "OK []:8080->80/tcp" },
	{ "00080:0080", "OK []:80->80/tcp" },
	{ "65535:65535", "OK []:65535->65535/tcp" },
	/* three parts */
	{ "1.2.3.4:8080:80", "OK [1.2.3.4]:8080->80/tcp" },
	{ "127.0.0.1:8080:80/udp", "OK [127.0.0.1]:8080->80/udp" },
	{ "1.2.3.4::80", "OK [1.2.3.4]:->80/tcp" },
	{ "0.0.0.0:0:80", "OK [0.0.0.0]:0->80/tcp" },
	{ "::80", "OK []:->80/tcp" },
	{ "::", "ERR no port specified: ::<empty>" },
	{ ":8080:80", "OK []:8080->80/tcp" },
	/* more than three parts: unbracketed IPv6 */
	{ "::1:80:80", "OK [::1]:80->80/tcp" },
	{ "::::80", "OK [::]:->80/tcp" },
	{ ":::80:80", "OK [::]:80->80/tcp" },
	{ "fe80::1:8080:80/udp", "OK [fe80::1]:8080->80/udp" },
	{ "2001:db8::1:8080:80", "OK [2001:db8::1]:8080->80/tcp" },
	{ "::ffff:1.2.3.4:80:80", "OK [::ffff:1.2.3.4]:80->80/tcp" },
	{ "2001:DB8::A::80", "OK [2001:DB8::A]:->80/tcp" },
	/* brackets */
	{ "[::1]:8080:80", "OK [::1]:8080->80/tcp" },
	{ "[::1]::80", "OK [::1]:->80/tcp" },
	{ "[::]:80:80/sctp", "OK [::]:80->80/sctp" },
	{ "[127.0.0.1]:80:80", "OK [127.0.0.1]:80->80/tcp" },
	{ "[]:80:80", "OK []:80->80/tcp" },
	{ "[2001:db8::1]:8000-8001:80-81",
	  "OK [2001:db8::1]:8000->80/tcp [2001:db8::1]:8001->81/tcp" },
	/* ranges (§5.1 step 6) */
	{ "8000-8002:80-82", "OK []:8000->80/tcp []:8001->81/tcp []:8002->82/tcp" },
	{ "8000-9000:5000", "OK []:8000-9000->5000/tcp" },
	{ "127.0.0.1:8000-9000:80/udp", "OK [127.0.0.1]:8000-9000->80/udp" },
	{ "8000-8002", "OK []:->8000/tcp []:->8001/tcp []:->8002/tcp" },
	{ ":8000-8001", "OK []:->8000/tcp []:->8001/tcp" },
	{ "1.2.3.4:8000-8001:80-81/udp", "OK [1.2.3.4]:8000->80/udp [1.2.3.4]:8001->81/udp" },
	{ "80-80", "OK []:->80/tcp" },
	{ "8080-8080:80-80", "OK []:8080->80/tcp" },
	{ "8000-8000:80", "OK []:8000->80/tcp" },
	{ "8000-08000:80", "OK []:8000->80/tcp" },
	{ "0-2:80-82", "OK []:->80/tcp []:1->81/tcp []:2->82/tcp" },
	{ "+8000-+8001:+80-+81", "OK []:8000->80/tcp []:8001->81/tcp" },
	/* long syntax (§5.3) */
	{ "published=8080,target=80", "OK []:8080->80/tcp" },
	{ "published=8080,target=80,protocol=udp", "OK []:8080->80/udp" },
	{ "target=80,published=8080,protocol=SCTP", "OK []:8080->80/sctp" },
	{ "target=80", "OK []:->80/tcp" },
	{ "target=80,protocol=", "OK []:->80/tcp" },
	{ "target=80,target=81", "OK []:->81/tcp" },
	{ "target=80,mode=host", "OK []:->80/tcp" },
	{ "mode=ingress,target=80,published=8080", "OK []:8080->80/tcp" },
	{ "published=8000-8001,target=80-81", "OK []:8000->80/tcp []:8001->81/tcp" },
	{ "published=127.0.0.1:8080,target=80", "OK [127.0.0.1]:8080->80/tcp" },
	{ "published=8080", "ERR no port specified: 8080:/tcp<empty>" },
	{ "published=8080,80",
	  "ERR invalid publish opts format (should be name=value but got '80')" },
	{ "=80", "ERR invalid publish opts format (should be name=value but got '=80')" },
	{ "published=8080,,target=80",
	  "ERR invalid publish opts format (should be name=value but got '')" },
	{ "target=80,", "ERR invalid publish opts format (should be name=value but got '')" },
	{ "target=80,host_ip=127.0.0.1", "ERR invalid field key host_ip" },
	{ "target=80,mode=global", "ERR invalid publish mode value global" },
	{ "target=80,protocol=icmp", "ERR invalid proto: icmp" },
	{ "target=80/udp", "ERR invalid proto: udp/tcp" },
	{ "target=abc", "ERR invalid containerPort: abc" },
	{ "published=x,target=80", "ERR invalid hostPort: x" },
	/* §5.2: no port */
	{ "", "ERR no port specified: <empty>" },
	{ "0.0.0.0:1234-1235:/tcp", "ERR no port specified: 0.0.0.0:1234-1235:/tcp<empty>" },
	{ "8080:", "ERR no port specified: 8080:<empty>" },
	{ "/udp", "ERR no port specified: /udp<empty>" },
	{ "/xyz", "ERR no port specified: /xyz<empty>" },
	/* bad proto, checked before anything else (v0.6+) */
	{ "80/xyz", "ERR invalid proto: xyz" },
	{ "80/XYZ", "ERR invalid proto: xyz" },
	{ "80/tcp/x", "ERR invalid proto: tcp/x" },
	{ "80/tcpx", "ERR invalid proto: tcpx" },
	{ "80/tcp ", "ERR invalid proto: tcp " },
	{ "80/icmp-long-protocol-name", "ERR invalid proto: icmp-long-protocol-name" },
	{ "abc/foo", "ERR invalid proto: foo" },
	{ "localhost:abc:80/foo", "ERR invalid proto: foo" },
	/* bracket errors */
	{ "[::1:80:80", "ERR invalid IP address [::1: address [::1:: missing ']' in address" },
	{ "[::1]x:80:80",
	  "ERR invalid IP address [::1]x: address [::1]x:: missing port in address" },
	{ "[::1]:5:80:80",
	  "ERR invalid IP address [::1]:5: address [::1]:5:: too many colons in address" },
	{ "[[::1]:80:80",
	  "ERR invalid IP address [[::1]: address [[::1]:: unexpected '[' in address" },
	{ "[::1]]:80:80",
	  "ERR invalid IP address [::1]]: address [::1]]:: missing port in address" },
	/* not an IP */
	{ "localhost:8080:80", "ERR invalid IP address: localhost" },
	{ "[localhost]:8080:80", "ERR invalid IP address: localhost" },
	{ "01.2.3.4:80:80", "ERR invalid IP address: 01.2.3.4" },
	{ "1.2.3.04:80:80", "ERR invalid IP address: 1.2.3.04" },
	{ "::ffff:01.2.3.4:80:80", "ERR invalid IP address: ::ffff:01.2.3.4" },
	{ "1.2.3:80:80", "ERR invalid IP address: 1.2.3" },
	{ "256.1.1.1:80:80", "ERR invalid IP address: 256.1.1.1" },
	{ " 1.2.3.4:80:80", "ERR invalid IP address:  1.2.3.4" },
	{ "fe80::1%eth0:80:80", "ERR invalid IP address: fe80::1%eth0" },
	{ "[fe80::1%eth0]:80:80", "ERR invalid IP address: fe80::1%eth0" },
	{ "1::2::3:80:80", "ERR invalid IP address: 1::2::3" },
	{ "00001:::80:80", "ERR invalid IP address: 00001::" },
	{ "localhost:abc:xyz", "ERR invalid IP address: localhost" },
	/* bad container port */
	{ "abc", "ERR invalid containerPort: abc" },
	{ "80-90-100", "ERR invalid containerPort: 80-90-100" },
	{ "90-80", "ERR invalid containerPort: 90-80" },
	{ "-80", "ERR invalid containerPort: -80" },
	{ "-1", "ERR invalid containerPort: -1" },
	{ "80-", "ERR invalid containerPort: 80-" },
	{ "65536", "ERR invalid containerPort: 65536" },
	{ "99999999999999999999999", "ERR invalid containerPort: 99999999999999999999999" },
	{ "++80", "ERR invalid containerPort: ++80" },
	{ "+", "ERR invalid containerPort: +" },
	{ " 80", "ERR invalid containerPort:  80" },
	{ "0x50", "ERR invalid containerPort: 0x50" },
	{ "8_0", "ERR invalid containerPort: 8_0" },
	{ "1.2.3.4:abc:xyz", "ERR invalid containerPort: xyz" },
	/* bad host port */
	{ "abc:80", "ERR invalid hostPort: abc" },
	{ "65536:80", "ERR invalid hostPort: 65536" },
	{ "-1:80", "ERR invalid hostPort: -1" },
	{ "8000-8001-8002:80", "ERR invalid hostPort: 8000-8001-8002" },
	{ "8001-8000:80", "ERR invalid hostPort: 8001-8000" },
	{ "1.2.3.4:x:80", "ERR invalid hostPort: x" },
	/* range mismatch */
	{ "8000-8001:80-82",
	  "ERR invalid ranges specified for container and host Ports: 80-82 and 8000-8001" },
	{ "8000:80-82",
	  "ERR invalid ranges specified for container and host Ports: 80-82 and 8000" },
	{ "1.2.3.4:8000-8003:80-81/udp",
	  "ERR invalid ranges specified for container and host Ports: 80-81 and 8000-8003" },
	/* hostile input */
	{ "80\n", "ERR port specification contains a control character (0x0a at byte 2)" },
	{ "80\t:80", "ERR port specification contains a control character (0x09 at byte 2)" },
	{ "\r80", "ERR port specification contains a control character (0x0d at byte 0)" },
	{ "80\x7f", "ERR port specification contains a control character (0x7f at byte 2)" },
	{ "80\x1b[31m", "ERR port specification contains a control character (0x1b at byte 2)" },
	{ "80\0garbage", "OK []:->80/tcp" },
	{ "80/tcp\xc3\xa9", "ERR invalid proto: tcp\xc3\xa9" },
	{ "\xff:80", "ERR invalid hostPort: \xff" },
};

static void test_publish_table(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(publish_cases); i++) {
		const struct pcase *c = &publish_cases[i];
		struct ctr_binding *v = NULL;
		size_t n = 0;
		ctr_err_clear();
		int rc = portspec_parse(c->spec, &v, &n);
		char *got = render_result(rc, v, n);
		char eb[96];
		is_str(got, c->want, "-p '%s'", esc(c->spec, eb, sizeof eb));
		free(got);
		free(v);
	}
}

/* Appending to a non-empty array; an error leaves it untouched. */
static void test_publish_append(void)
{
	struct ctr_binding *v = NULL;
	size_t n = 0;
	int rc = portspec_parse("8080:80", &v, &n);
	rc |= portspec_parse("9999:80", &v, &n);
	rc |= portspec_parse("127.0.0.1::53/udp", &v, &n);
	char *got = render_result(rc, v, n);
	is_str(got, "OK []:8080->80/tcp []:9999->80/tcp [127.0.0.1]:->53/udp",
	       "several -p flags append in flag order");
	free(got);

	struct ctr_binding *before = v;
	rc = portspec_parse("8000-8001:80-82", &v, &n);
	ok(rc == -EINVAL && n == 3 && v == before, "an error appends nothing");

	rc = portspec_parse(NULL, &v, &n);
	ok(rc == -EINVAL && n == 3 && strcmp(ctr_err_msg(), "no port specification given") == 0,
	   "NULL spec: %s", ctr_err_msg());
	free(v);
}

static void test_publish_big(void)
{
	struct ctr_binding *v = NULL;
	size_t n = 0;
	int rc = portspec_parse("0-65535", &v, &n);
	ok(rc == 0 && n == 65536 && v[0].cport.port == 0 && v[65535].cport.port == 65535 &&
	   v[65535].hp_lo == 0, "0-65535: one ephemeral binding per port");
	free(v);
	v = NULL;
	n = 0;
	rc = portspec_parse("0-65535:0-65535/udp", &v, &n);
	ok(rc == 0 && n == 65536 && v[1234].hp_lo == 1234 && v[1234].hp_hi == 1234 &&
	   v[1234].cport.proto == CTR_UDP, "0-65535:0-65535/udp pairwise");
	free(v);

	/* 4 KiB strings */
	char big[PORTSPEC_MAX + 2];
	memset(big, '1', PORTSPEC_MAX);
	big[PORTSPEC_MAX] = '\0';
	v = NULL;
	n = 0;
	rc = portspec_parse(big, &v, &n);
	ok(rc == -EINVAL && n == 0 && str_has_prefix(ctr_err_msg(), "invalid containerPort: 1111"),
	   "4096 digits: invalid containerPort");
	memset(big, ':', PORTSPEC_MAX);
	rc = portspec_parse(big, &v, &n);
	ok(rc == -EINVAL && n == 0 && str_has_prefix(ctr_err_msg(), "no port specified: :::"),
	   "4096 colons: no port specified");
	memcpy(big + PORTSPEC_MAX - 3, ":80", 3);
	rc = portspec_parse(big, &v, &n);
	ok(rc == -EINVAL && n == 0 && str_has_prefix(ctr_err_msg(), "invalid IP address: :::"),
	   "4093 colons then :80: invalid IP address");
	memset(big, '[', PORTSPEC_MAX);
	memcpy(big + PORTSPEC_MAX - 6, "]::80", 5);
	rc = portspec_parse(big, &v, &n);
	ok(rc == -EINVAL && str_has_prefix(ctr_err_msg(), "invalid IP address [[[["),
	   "4 KiB of brackets: bracket error");
	memset(big, 'a', PORTSPEC_MAX);
	memcpy(big, "target=", 7);
	rc = portspec_parse(big, &v, &n);
	ok(rc == -EINVAL && str_has_prefix(ctr_err_msg(), "invalid containerPort: aaaa"),
	   "4 KiB long-syntax value: invalid containerPort");
	memset(big, '1', PORTSPEC_MAX + 1);
	big[PORTSPEC_MAX + 1] = '\0';
	rc = portspec_parse(big, &v, &n);
	is_str(ctr_err_msg(), "port specification too long (more than 4096 bytes)",
	       "4097 bytes: too long");
	ok(rc == -EINVAL && n == 0 && v == NULL, "4097 bytes: -EINVAL, nothing appended");
}

/* ---- unpublish ------------------------------------------------------------------------------ */

static void test_unpublish(void)
{
	static const struct {
		const char *spec;
		int rc;
		bool bare;
	} cases[] = {
		{ "80", 0, true },
		{ "80/udp", 0, true },
		{ "8000-8010", 0, true },
		{ "8000-8010/sctp", 0, true },
		{ "8080:80", 0, false },
		{ ":80", 0, false },
		{ "1.2.3.4::80", 0, false },
		{ "::1:80:80", 0, false },
		{ "[::1]:8080:80", 0, false },
		{ "target=80", 0, false },
		{ "published=8080,target=80", 0, false },
		{ "80/xyz", -EINVAL, false },
		{ "", -EINVAL, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ctr_binding *v = NULL;
		size_t n = 0;
		bool bare = !cases[i].bare; /* must be overwritten on success */
		if (cases[i].rc < 0)
			bare = true; /* and left alone on error */
		int rc = portspec_parse_unpublish(cases[i].spec, &v, &n, &bare);
		ok(rc == cases[i].rc && (rc < 0 ? bare : bare == cases[i].bare),
		   "unpublish '%s': rc %d bare %d", cases[i].spec, rc, bare);
		free(v);
	}
	struct ctr_binding *v = NULL;
	size_t n = 0;
	bool bare = false;
	int rc = portspec_parse_unpublish("8000-8002", &v, &n, &bare);
	char *got = render_result(rc, v, n);
	is_str(got, "OK []:->8000/tcp []:->8001/tcp []:->8002/tcp", "unpublish range bindings");
	free(got);
	free(v);
}

/* ---- equality ------------------------------------------------------------------------------- */

static struct ctr_binding mk(const char *ip, unsigned port, unsigned proto, unsigned lo,
			     unsigned hi)
{
	struct ctr_binding b;
	memset(&b, 0, sizeof b);
	snprintf(b.host_ip, sizeof b.host_ip, "%s", ip);
	b.cport.port = (uint16_t)port;
	b.cport.proto = (uint8_t)proto;
	b.hp_lo = (uint16_t)lo;
	b.hp_hi = (uint16_t)hi;
	return b;
}

static void test_equal(void)
{
	struct ctr_binding a = mk("", 80, CTR_TCP, 8080, 8080);
	struct ctr_binding b = mk("", 80, CTR_TCP, 8080, 8080);
	ok(binding_equal(&a, &b), "equal bindings");
	b = mk("", 80, CTR_UDP, 8080, 8080);
	ok(!binding_equal(&a, &b), "protocol differs");
	b = mk("", 81, CTR_TCP, 8080, 8080);
	ok(!binding_equal(&a, &b), "container port differs");
	b = mk("", 80, CTR_TCP, 8080, 8081);
	ok(!binding_equal(&a, &b), "host range differs");
	b = mk("0.0.0.0", 80, CTR_TCP, 8080, 8080);
	ok(!binding_equal(&a, &b), "default IP differs from 0.0.0.0");
	a = mk("::", 80, CTR_TCP, 0, 0);
	b = mk("0:0::0", 80, CTR_TCP, 0, 0);
	ok(binding_equal(&a, &b), ":: equals 0:0::0");
	a = mk("2001:DB8::1", 80, CTR_TCP, 0, 0);
	b = mk("2001:db8:0::1", 80, CTR_TCP, 0, 0);
	ok(binding_equal(&a, &b), "IPv6 compared as addresses");
	a = mk("::ffff:1.2.3.4", 80, CTR_TCP, 0, 0);
	b = mk("1.2.3.4", 80, CTR_TCP, 0, 0);
	ok(!binding_equal(&a, &b), "IPv4-mapped IPv6 is not the IPv4 address");
	ok(host_ip_equal("", ""), "empty IPs equal");
	ok(!host_ip_equal("", "::"), "empty differs from ::");
	ok(host_ip_equal("junk", "junk") && !host_ip_equal("junk", "Junk"),
	   "non-addresses compare as strings");

	ok(portspec_ip_literal("1.2.3.4") && portspec_ip_literal("::") &&
	   portspec_ip_literal("::ffff:1.2.3.4") && portspec_ip_literal("fe80::1"),
	   "literal IPs");
	ok(!portspec_ip_literal("localhost") && !portspec_ip_literal("01.2.3.4") &&
	   !portspec_ip_literal("[::1]") && !portspec_ip_literal("fe80::1%lo") &&
	   !portspec_ip_literal("") && !portspec_ip_literal(NULL) &&
	   !portspec_ip_literal("0000:0000:0000:0000:0000:0000:0000:0000:0"),
	   "non-literal IPs");
}

/* ---- --expose ------------------------------------------------------------------------------- */

static const struct pcase expose_cases[] = {
	{ "80", "OK 80/tcp" },
	{ "80/udp", "OK 80/udp" },
	{ "80/sctp", "OK 80/sctp" },
	{ "80/UDP", "OK 80/udp" },
	{ "80/", "OK 80/tcp" },
	{ "+80", "OK 80/tcp" },
	{ "080", "OK 80/tcp" },
	{ "0", "OK 0/tcp" },
	{ "8080-8082/tcp", "OK 8080/tcp 8081/tcp 8082/tcp" },
	{ "8080-8080/udp", "OK 8080/udp" },
	{ "8080-08080", "OK 8080/tcp" },
	{ "", "ERR invalid range format for --expose: , error: empty string specified for ports" },
	{ "/tcp",
	  "ERR invalid range format for --expose: /tcp, error: empty string specified for ports" },
	{ "/udp",
	  "ERR invalid range format for --expose: /udp, error: empty string specified for ports" },
	{ "NaN/tcp", "ERR invalid range format for --expose: NaN/tcp, error: "
		     "invalid start port 'NaN': invalid syntax" },
	{ "NaN-NaN/tcp", "ERR invalid range format for --expose: NaN-NaN/tcp, error: "
			 "invalid start port 'NaN': invalid syntax" },
	{ "8080-NaN/tcp", "ERR invalid range format for --expose: 8080-NaN/tcp, error: "
			  "invalid end port 'NaN': invalid syntax" },
	{ "1234567890-8080/tcp", "ERR invalid range format for --expose: 1234567890-8080/tcp, "
				 "error: invalid start port '1234567890': value out of range (0"
				 EN_DASH "65535)" },
	{ "80000", "ERR invalid range format for --expose: 80000, error: "
		   "invalid start port '80000': value out of range (0" EN_DASH "65535)" },
	{ "99999999999999999999", "ERR invalid range format for --expose: 99999999999999999999, "
				  "error: invalid start port '99999999999999999999': "
				  "value out of range" },
	{ "99999999999999999999x", "ERR invalid range format for --expose: 99999999999999999999x, "
				   "error: invalid start port '99999999999999999999x': "
				   "value out of range" },
	{ "9x9999999999999999999", "ERR invalid range format for --expose: 9x9999999999999999999, "
				   "error: invalid start port '9x9999999999999999999': "
				   "invalid syntax" },
	{ "8082-8080", "ERR invalid range format for --expose: 8082-8080, error: "
		       "invalid port range: 8082-8080" },
	{ "8082-8080/udp", "ERR invalid range format for --expose: 8082-8080/udp, error: "
			   "invalid port range: 8082-8080" },
	{ "80-90-100", "ERR invalid range format for --expose: 80-90-100, error: "
		       "invalid end port '90-100': invalid syntax" },
	{ "8080:9090", "ERR invalid range format for --expose: 8080:9090, error: "
		       "invalid start port '8080:9090': invalid syntax" },
	{ "80-", "ERR invalid range format for --expose: 80-, error: "
		 "invalid end port '': value is empty" },
	{ "-80", "ERR invalid range format for --expose: -80, error: "
		 "invalid start port '': value is empty" },
	{ "+", "ERR invalid range format for --expose: +, error: "
	       "invalid start port '+': invalid syntax" },
	{ "8080/ncp", "ERR invalid proto: ncp" },
	{ "8080/NCP", "ERR invalid proto: ncp" },
	{ "8080/tcp/udp", "ERR invalid proto: tcp/udp" },
	{ "NaN/ncp", "ERR invalid range format for --expose: NaN/ncp, error: "
		     "invalid start port 'NaN': invalid syntax" },
	{ "80\n", "ERR --expose value contains a control character (0x0a at byte 2)" },
	{ "\t80", "ERR --expose value contains a control character (0x09 at byte 0)" },
};

static void test_expose(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(expose_cases); i++) {
		const struct pcase *c = &expose_cases[i];
		struct ctr_port *v = NULL;
		size_t n = 0;
		ctr_err_clear();
		int rc = expose_parse(c->spec, &v, &n);
		struct sbuf sb = SBUF_INIT;
		if (rc == -EINVAL) {
			sb_addf(&sb, "ERR %s", ctr_err_msg());
		} else if (rc < 0) {
			sb_addf(&sb, "ERR(%d) %s", rc, ctr_err_msg());
		} else {
			sb_add(&sb, "OK");
			for (size_t j = 0; j < n; j++) {
				char buf[16];
				port_format(&v[j], buf, sizeof buf);
				sb_addf(&sb, " %s", buf);
			}
		}
		char *got = sb_finish(&sb);
		char eb[96];
		is_str(got, c->want, "--expose '%s'", esc(c->spec, eb, sizeof eb));
		free(got);
		free(v);
	}

	struct ctr_port *v = NULL;
	size_t n = 0;
	int rc = expose_parse("0-65535/udp", &v, &n);
	ok(rc == 0 && n == 65536 && v[65535].port == 65535 && v[0].proto == CTR_UDP,
	   "--expose 0-65535/udp: 65536 ports");
	rc = expose_parse("80/xyz", &v, &n);
	ok(rc == -EINVAL && n == 65536, "--expose error appends nothing");
	rc = expose_parse(NULL, &v, &n);
	ok(rc == -EINVAL && strcmp(ctr_err_msg(), "no --expose value given") == 0,
	   "--expose NULL");
	free(v);

	char big[PORTSPEC_MAX + 2];
	memset(big, '8', PORTSPEC_MAX + 1);
	big[PORTSPEC_MAX + 1] = '\0';
	v = NULL;
	n = 0;
	rc = expose_parse(big, &v, &n);
	ok(rc == -EINVAL && n == 0 &&
	   strcmp(ctr_err_msg(), "--expose value too long (more than 4096 bytes)") == 0,
	   "--expose 4097 bytes: too long");
	big[PORTSPEC_MAX] = '\0';
	rc = expose_parse(big, &v, &n);
	ok(rc == -EINVAL && n == 0 &&
	   str_has_prefix(ctr_err_msg(), "invalid range format for --expose: 8888"),
	   "--expose 4096 digits: out of range");
}

/* ---- orders and matching (publish's duplicate check, unpublish) ---------------------------- */

static const char *const ips[] = { "",	      "0.0.0.0", "1.2.3.4",	"001.2.3.4", "::",
				   "0:0::0", "::1",	 "2001:DB8::1", "2001:db8:0::1",
				   "::ffff:1.2.3.4", "junk", "Junk", "1.2.3.4:",	"::g" };

static uint32_t rs = 777;

static uint32_t rnd(uint32_t n)
{
	rs = rs * 1103515245u + 12345u;
	return (rs >> 16) % n;
}

static struct ctr_binding rnd_binding(void)
{
	static const uint16_t hps[][2] = { { 0, 0 }, { 8080, 8080 }, { 8080, 8081 }, { 8081, 8081 } };
	unsigned h = rnd(4);
	return mk(ips[rnd(ARRAY_SIZE(ips))], (int)(80 + rnd(3)), (int)rnd(2), hps[h][0], hps[h][1]);
}

static int sgn(int c)
{
	return (c > 0) - (c < 0);
}

static void test_order(void)
{
	size_t n = ARRAY_SIZE(ips), cons = 0, anti = 0, bad = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int c = host_ip_cmp(ips[i], ips[j]);
			cons += (c == 0) == host_ip_equal(ips[i], ips[j]);
			anti += sgn(c) == -sgn(host_ip_cmp(ips[j], ips[i]));
			for (size_t k = 0; k < n; k++)
				bad += c <= 0 && host_ip_cmp(ips[j], ips[k]) <= 0 &&
				       host_ip_cmp(ips[i], ips[k]) > 0;
		}
	ok(cons == n * n && anti == n * n && bad == 0,
	   "host_ip_cmp: a total order, 0 exactly when host_ip_equal");
	ok(host_ip_cmp("", "0.0.0.0") < 0 && host_ip_cmp("9.9.9.9", "::") < 0 &&
	   host_ip_cmp("::", "0:0::0") == 0 && host_ip_cmp("1.2.3.4", "1.2.3.10") < 0,
	   "host_ip_cmp: empty, then IPv4, then IPv6, addresses by their bytes");

	enum { N = 400 };
	static struct ctr_binding v[N];
	for (size_t i = 0; i < N; i++)
		v[i] = rnd_binding();
	cons = anti = bad = 0;
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < N; j++) {
			int c = binding_cmp(&v[i], &v[j]);
			cons += (c == 0) == binding_equal(&v[i], &v[j]);
			anti += sgn(c) == -sgn(binding_cmp(&v[j], &v[i]));
		}
	for (size_t i = 0; i < 50; i++)
		for (size_t j = 0; j < 50; j++)
			for (size_t k = 0; k < 50; k++)
				bad += binding_cmp(&v[i], &v[j]) <= 0 && binding_cmp(&v[j], &v[k]) <= 0 &&
				       binding_cmp(&v[i], &v[k]) > 0;
	is_int((long long)cons, N * N, "binding_cmp: 0 exactly when binding_equal");
	is_int((long long)anti, N * N, "binding_cmp: antisymmetric");
	is_int((long long)bad, 0, "binding_cmp: transitive");
}

static struct ctr_mapping mkm(const char *ip, int port, int proto, int hport)
{
	struct ctr_mapping m;
	memset(&m, 0, sizeof m);
	snprintf(m.host_ip, sizeof m.host_ip, "%s", ip);
	m.cport.port = (uint16_t)port;
	m.cport.proto = (uint8_t)proto;
	m.hport = (uint16_t)hport;
	return m;
}

static void test_covers(void)
{
	struct ctr_binding b = mk("", 80, CTR_TCP, 0, 0);
	struct ctr_mapping m = mkm("0.0.0.0", 80, CTR_TCP, 49153);
	ok(binding_covers(&b, &m), "covers: no address, no host port: the default binding");
	m = mkm("::", 80, CTR_TCP, 49153);
	ok(binding_covers(&b, &m), "covers: no address: the IPv6 default one too");
	m = mkm("127.0.0.1", 80, CTR_TCP, 49153);
	ok(!binding_covers(&b, &m), "covers: no address: not a specific one");
	m = mkm("0.0.0.0", 80, CTR_UDP, 49153);
	ok(!binding_covers(&b, &m), "covers: not another protocol");
	b = mk("127.0.0.1", 80, CTR_TCP, 8000, 8010);
	m = mkm("127.0.0.1", 80, CTR_TCP, 8010);
	ok(binding_covers(&b, &m), "covers: host port in the range");
	m = mkm("127.0.0.1", 80, CTR_TCP, 8011);
	ok(!binding_covers(&b, &m), "covers: host port outside the range");
	b = mk("0:0::0", 80, CTR_TCP, 0, 0);
	m = mkm("::", 80, CTR_TCP, 1);
	ok(binding_covers(&b, &m), "covers: addresses compared as addresses");
}

static void test_first_dup(void)
{
	struct ctr_binding have[] = { mk("", 80, CTR_TCP, 8080, 8080), mk("::", 81, CTR_TCP, 0, 0),
				      mk("1.2.3.4", 82, CTR_UDP, 9000, 9010) };
	struct ctr_binding b[] = { mk("", 83, CTR_TCP, 0, 0), mk("0:0::0", 81, CTR_TCP, 0, 0),
				   mk("", 80, CTR_TCP, 8080, 8080), mk("", 81, CTR_TCP, 0, 0) };
	size_t first = 99;
	int r = bindings_first_dup(b, 4, have, 3, &first);
	ok(r == 1 && first == 1, "first_dup: the first in the order given (got %d, %zu)", r, first);
	r = bindings_first_dup(b + 2, 2, have, 3, &first);
	ok(r == 1 && first == 0, "first_dup: another start");
	r = bindings_first_dup(b, 1, have, 3, &first);
	ok(r == 0, "first_dup: none");
	r = bindings_first_dup(b, 4, NULL, 0, &first);
	ok(r == 0, "first_dup: nothing there yet");

	/* random: as the pairwise loop ctr_publish_port had */
	size_t agree = 0, rounds = 300;
	for (size_t k = 0; k < rounds; k++) {
		struct ctr_binding x[30], y[30];
		size_t nx = rnd(30), ny = rnd(30), want = nx, got = 99;
		for (size_t i = 0; i < nx; i++)
			x[i] = rnd_binding();
		for (size_t j = 0; j < ny; j++)
			y[j] = rnd_binding();
		for (size_t i = 0; i < nx && want == nx; i++)
			for (size_t j = 0; j < ny && want == nx; j++)
				if (binding_equal(&x[i], &y[j]))
					want = i;
		r = bindings_first_dup(x, nx, y, ny, &got);
		agree += want == nx ? r == 0 : r == 1 && got == want;
	}
	is_int((long long)agree, (long long)rounds, "first_dup: random: as the pairwise check");
}

/* The pairwise matching ctr_unpublish_port had, as the reference. */
static size_t naive_match(const struct ctr_binding *b, size_t nb, bool bare,
			  const struct ctr_binding *have, size_t nh, const struct ctr_mapping *m,
			  size_t nm, bool *db, bool *dm)
{
	size_t hits = 0;
	memset(db, 0, nh * sizeof *db);
	memset(dm, 0, nm * sizeof *dm);
	for (size_t i = 0; i < nb; i++) {
		bool hit = false;
		for (size_t j = 0; j < nh; j++)
			if (bare ? port_cmp(&b[i].cport, &have[j].cport) == 0
				 : binding_equal(&b[i], &have[j]))
				db[j] = hit = true;
		for (size_t j = 0; j < nm; j++)
			if (bare ? port_cmp(&b[i].cport, &m[j].cport) == 0 : binding_covers(&b[i], &m[j]))
				dm[j] = hit = true;
		hits += hit;
	}
	return hits;
}

static void test_unpublish_match(void)
{
	struct ctr_binding have[] = { mk("", 80, CTR_TCP, 8080, 8080), mk("", 80, CTR_UDP, 0, 0),
				      mk("127.0.0.1", 81, CTR_TCP, 0, 0) };
	struct ctr_mapping m[] = { mkm("0.0.0.0", 80, CTR_TCP, 8080), mkm("::", 80, CTR_TCP, 8080),
				   mkm("0.0.0.0", 80, CTR_UDP, 49153), mkm("127.0.0.1", 81, CTR_TCP, 49154) };
	struct ctr_binding *b = NULL;
	size_t nb = 0, hits = 99;
	bool bare = false, db[3], dm[4];
	int e = portspec_parse_unpublish("80", &b, &nb, &bare);
	e = e ? e : unpublish_match(b, nb, bare, have, 3, m, 4, db, dm, &hits);
	ok(e == 0 && bare && hits == 1 && db[0] && !db[1] && !db[2] && dm[0] && dm[1] && !dm[2] &&
		   !dm[3],
	   "match: a bare port: every binding and mapping of 80/tcp");
	free(b);
	b = NULL;
	nb = 0;
	e = portspec_parse_unpublish("8080:80", &b, &nb, &bare);
	e = e ? e : unpublish_match(b, nb, bare, have, 3, m, 4, db, dm, &hits);
	ok(e == 0 && !bare && hits == 1 && db[0] && !db[1] && dm[0] && dm[1] && !dm[3],
	   "match: host port and container port");
	free(b);
	b = NULL;
	nb = 0;
	e = portspec_parse_unpublish("127.0.0.1:49154:81", &b, &nb, &bare);
	e = e ? e : unpublish_match(b, nb, bare, have, 3, m, 4, db, dm, &hits);
	ok(e == 0 && hits == 1 && !db[2] && dm[3] && !dm[0],
	   "match: a mapping without its binding being equal");
	free(b);
	b = NULL;
	nb = 0;
	e = portspec_parse_unpublish("9000-9002:80-82", &b, &nb, &bare);
	e = e ? e : unpublish_match(b, nb, bare, have, 3, m, 4, db, dm, &hits);
	ok(e == 0 && nb == 3 && hits == 0 && !db[0] && !dm[0], "match: nothing");
	free(b);

	size_t agree = 0, rounds = 300;
	for (size_t k = 0; k < rounds; k++) {
		struct ctr_binding x[20], y[30];
		struct ctr_mapping z[30];
		bool d1[30], d2[30], e1[30], e2[30];
		size_t nx = 1 + rnd(20), ny = rnd(30), nz = rnd(30), h2 = 99;
		bool bare2 = rnd(2);
		for (size_t i = 0; i < nx; i++)
			x[i] = rnd_binding();
		for (size_t j = 0; j < ny; j++)
			y[j] = rnd_binding();
		for (size_t j = 0; j < nz; j++) {
			static const char *const mips[] = { "0.0.0.0", "::", "1.2.3.4", "0:0::0" };
			z[j] = mkm(mips[rnd(4)], (int)(80 + rnd(3)), (int)rnd(2), (int)(8079 + rnd(4)));
		}
		size_t h1 = naive_match(x, nx, bare2, y, ny, z, nz, d1, e1);
		e = unpublish_match(x, nx, bare2, y, ny, z, nz, d2, e2, &h2);
		agree += e == 0 && h1 == h2 && memcmp(d1, d2, ny * sizeof *d1) == 0 &&
			 memcmp(e1, e2, nz * sizeof *e1) == 0;
	}
	is_int((long long)agree, (long long)rounds, "match: random: as the pairwise matching");
}

int main(void)
{
	test_publish_table();
	test_publish_append();
	test_publish_big();
	test_unpublish();
	test_equal();
	test_order();
	test_covers();
	test_first_dup();
	test_unpublish_match();
	test_expose();
	return done_testing();
}
