/* Unit tests for lib/core/resolv.c: the container's /etc/resolv.conf from the host's.  One TAP
 * point per table row. */
#include <stdlib.h>
#include <string.h>

#include "core/resolv.h"
#include "tap.h"
#include "core/util.h"

#define GOOGLE "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"

struct resolv_case {
	const char *what;
	const char *host;
	const char *want;
};

static const struct resolv_case cases[] = {
	{ "no host file", NULL, GOOGLE },
	{ "an empty host file", "", GOOGLE },
	{ "systemd-resolved's stub: dropped, search and options kept",
	  "# This is /run/systemd/resolve/stub-resolv.conf\n"
	  "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.com lan\n",
	  "# This is /run/systemd/resolve/stub-resolv.conf\n"
	  "options edns0 trust-ad\nsearch example.com lan\n" GOOGLE },
	{ "other servers kept in order, loopback ones dropped",
	  "nameserver 1.1.1.1\nnameserver 127.0.0.1\nnameserver ::1\nnameserver 9.9.9.9\n",
	  "nameserver 1.1.1.1\nnameserver 9.9.9.9\n" },
	{ "any 127.x address is loopback", "nameserver 127.1.2.3\nnameserver 10.0.0.1\n",
	  "nameserver 10.0.0.1\n" },
	{ "a tab after the keyword", "nameserver\t127.0.0.1\nnameserver\t8.8.8.8\n",
	  "nameserver\t8.8.8.8\n" },
	{ "several blanks after the keyword", "nameserver \t 127.0.0.1\nsearch x\n",
	  "search x\n" GOOGLE },
	{ "::1 with trailing blanks", "nameserver ::1  \nnameserver 192.168.1.1\n",
	  "nameserver 192.168.1.1\n" },
	{ "::10 and ::1:2 are not loopback", "nameserver ::10\nnameserver ::1:2\n",
	  "nameserver ::10\nnameserver ::1:2\n" },
	{ "IPv6 servers kept", "nameserver fe80::1\nnameserver 2001:4860:4860::8888\n",
	  "nameserver fe80::1\nnameserver 2001:4860:4860::8888\n" },
	{ "only loopback servers: Google's instead", "nameserver 127.0.0.1\nnameserver ::1\n",
	  GOOGLE },
	{ "no trailing newline", "nameserver 1.1.1.1", "nameserver 1.1.1.1\n" },
	{ "no trailing newline after a dropped line", "search a\nnameserver 127.0.0.1",
	  "search a\n" GOOGLE },
	{ "a commented-out server does not count", "#nameserver 1.1.1.1\n",
	  "#nameserver 1.1.1.1\n" GOOGLE },
	{ "an indented line is not a server (the resolver ignores it)",
	  " nameserver 1.1.1.1\n", " nameserver 1.1.1.1\n" GOOGLE },
	{ "a keyword without a blank is not a server", "nameserver1.1.1.1\n",
	  "nameserver1.1.1.1\n" GOOGLE },
	{ "a keyword without an address is not a server", "nameserver \n",
	  "nameserver \n" GOOGLE },
	{ "a longer keyword is not a server", "nameservers 1.1.1.1\n",
	  "nameservers 1.1.1.1\n" GOOGLE },
	{ "the keyword alone", "nameserver\n", "nameserver\n" GOOGLE },
	{ "blank lines kept", "\n\nnameserver 1.1.1.1\n\n", "\n\nnameserver 1.1.1.1\n\n" },
	{ "options only", "options ndots:5\n", "options ndots:5\n" GOOGLE },
	{ "a CRLF file keeps its CRs", "nameserver 1.1.1.1\r\n", "nameserver 1.1.1.1\r\n" },
};

static void test_resolv(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out = NULL;
		int e = resolv_for_container(cases[i].host, &out);
		is_str(e == 0 ? out : ctr_err_msg(), cases[i].want, "%s", cases[i].what);
		free(out);
	}

	/* a large file: every line kept or dropped, none lost */
	struct sbuf sb = SBUF_INIT, want = SBUF_INIT;
	for (int i = 0; i < 2000; i++) {
		sb_addf(&sb, "nameserver 127.0.0.%d\nnameserver 10.0.%d.%d\n", i % 256, i / 256,
			i % 256);
		sb_addf(&want, "nameserver 10.0.%d.%d\n", i / 256, i % 256);
	}
	char *host = sb_finish(&sb), *w = sb_finish(&want), *out = NULL;
	int e = resolv_for_container(host, &out);
	ok(e == 0 && strcmp(out, w) == 0, "a file of 4000 lines");
	free(host);
	free(w);
	free(out);
}

int main(void)
{
	test_resolv();
	return done_testing();
}
