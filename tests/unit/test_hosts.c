/* Unit tests for lib/core/hosts.c: rendering /etc/hosts and updating link records by alias. */
#include <stdlib.h>
#include <string.h>

#include "core/hosts.h"
#include "tap.h"

#define DEF4 "127.0.0.1\tlocalhost\n"
#define DEF6                                                                                   \
	"::1\tlocalhost ip6-localhost ip6-loopback\n"                                          \
	"fe00::\tip6-localnet\n"                                                               \
	"ff00::\tip6-mcastprefix\n"                                                            \
	"ff02::1\tip6-allnodes\n"                                                              \
	"ff02::2\tip6-allrouters\n"
#define DEFS DEF4 DEF6

/* ---- hosts_render ------------------------------------------------------------------------ */

struct render_case {
	const char *what;
	const char *own_ip, *own_ip6, *hostname, *domainname;
	bool ipv6;
	struct hosts_link links[4];
	size_t n_links;
	const char *want; /* NULL: refused with -EINVAL and message `msg` */
	const char *msg;
};

static const struct render_case render_cases[] = {
	{ "docs: --link db:webdb", "172.17.0.6", NULL, "f0e1d2c3b4a5", NULL, true,
	  { { "172.17.0.5", NULL, "webdb", "6e5cdeb2d300", "db" } }, 1,
	  DEFS "172.17.0.5\twebdb 6e5cdeb2d300 db\n172.17.0.6\tf0e1d2c3b4a5\n", NULL },
	{ "--link db: name equals alias", "172.17.0.6", NULL, "f0e1d2c3b4a5", NULL, true,
	  { { "172.17.0.5", NULL, "db", "6e5cdeb2d300", "db" } }, 1,
	  DEFS "172.17.0.5\tdb 6e5cdeb2d300\n172.17.0.6\tf0e1d2c3b4a5\n", NULL },
	{ "--link container1:alias1 to --hostname fred", "172.17.0.3", NULL, "web", NULL, true,
	  { { "172.17.0.2", NULL, "alias1", "fred", "container1" } }, 1,
	  DEFS "172.17.0.2\talias1 fred container1\n172.17.0.3\tweb\n", NULL },
	{ "own record: hostname + domainname", "10.11.12.13", NULL, "testhostname",
	  "testdomainname", true, { }, 0,
	  DEFS "10.11.12.13\ttesthostname.testdomainname testhostname\n", NULL },
	{ "own record: FQDN hostname", "10.11.12.13", NULL, "testhostname.testdomainname.com", "",
	  true, { }, 0, DEFS "10.11.12.13\ttesthostname.testdomainname.com testhostname\n", NULL },
	{ "own record: plain hostname", "10.11.12.13", NULL, "testhostname", NULL, true, { }, 0,
	  DEFS "10.11.12.13\ttesthostname\n", NULL },
	{ "own record: dotted hostname + domainname", "10.0.0.2", NULL, "a.b", "c", true, { }, 0,
	  DEFS "10.0.0.2\ta.b.c a\n", NULL },
	{ "ipv6 off: only 127.0.0.1 localhost, no IPv6 records", "172.17.0.6", "fd00::6", "web",
	  NULL, false, { { "172.17.0.5", "fd00::5", "webdb", "c0ffee", "db" } }, 1,
	  DEF4 "172.17.0.5\twebdb c0ffee db\n172.17.0.6\tweb\n", NULL },
	{ "ipv6 on: link and own records per family", "172.17.0.6", "fd00::6", "web", "example.org",
	  true, { { "172.17.0.5", "fd00::5", "webdb", "c0ffee", "db" } }, 1,
	  DEFS "172.17.0.5\twebdb c0ffee db\nfd00::5\twebdb c0ffee db\n"
	       "172.17.0.6\tweb.example.org web\nfd00::6\tweb.example.org web\n", NULL },
	{ "no network: no own record", NULL, NULL, "web", NULL, true, { }, 0, DEFS, NULL },
	{ "empty own IP: no own record (even with IPv6)", "", "fd00::6", "web", NULL, true, { }, 0,
	  DEFS, NULL },
	{ "no network, ipv6 off", NULL, NULL, NULL, NULL, false, { }, 0, DEF4, NULL },
	{ "links in the order given; IPv6-only link", "10.0.0.9", NULL, "web", NULL, true,
	  { { "10.0.0.2", NULL, "db", "h1", "db" }, { "10.0.0.3", NULL, "cache", "h2", "redis" },
	    { NULL, "fd00::4", "v6", "h3", "six" }, { "", NULL, "none", "h4", "n" } }, 4,
	  DEFS "10.0.0.2\tdb h1\n10.0.0.3\tcache h2 redis\nfd00::4\tv6 h3 six\n10.0.0.9\tweb\n",
	  NULL },
	{ "alias equal to the hostname is written as Docker does", "10.0.0.9", NULL, "web", NULL,
	  false, { { "10.0.0.2", NULL, "db", "db", "x" } }, 1,
	  DEF4 "10.0.0.2\tdb db x\n10.0.0.9\tweb\n", NULL },
	/* refusals */
	{ "own IP with a newline", "1.2.3.4\n5.6.7.8", NULL, "web", NULL, true, { }, 0, NULL,
	  "hosts file: own IP (1.2.3.4\\n5.6.7.8) contains a space or a control character" },
	{ "hostname injecting a line", "10.0.0.2", NULL, "web\n6.6.6.6 evil", NULL, true, { }, 0,
	  NULL,
	  "hosts file: hostname (web\\n6.6.6.6 evil) contains a space or a control character" },
	{ "missing hostname", "10.0.0.2", NULL, NULL, NULL, true, { }, 0, NULL,
	  "hosts file: hostname is empty" },
	{ "domain name with a space", "10.0.0.2", NULL, "web", "a b", true, { }, 0, NULL,
	  "hosts file: domain name (a b) contains a space or a control character" },
	{ "own IPv6 with a CR", "10.0.0.2", "fd00::1\r", "web", NULL, true, { }, 0, NULL,
	  "hosts file: own IPv6 (fd00::1\\r) contains a space or a control character" },
	{ "alias with a TAB", NULL, NULL, NULL, NULL, true,
	  { { "10.0.0.2", NULL, "a\tb", "h", "n" } }, 1, NULL,
	  "hosts file: link alias (a\\tb) contains a space or a control character" },
	{ "empty linked hostname", NULL, NULL, NULL, NULL, true,
	  { { "10.0.0.2", NULL, "db", "", "n" } }, 1, NULL,
	  "hosts file: linked hostname is empty" },
	{ "missing linked name", NULL, NULL, NULL, NULL, true,
	  { { "10.0.0.2", NULL, "db", "h", NULL } }, 1, NULL, "hosts file: linked name is empty" },
	{ "link IPv6 with a newline (even when ipv6 is off)", NULL, NULL, NULL, NULL, false,
	  { { "10.0.0.2", "::1\n::2", "db", "h", "n" } }, 1, NULL,
	  "hosts file: link IPv6 (::1\\n::2) contains a space or a control character" },
	{ "link IP with DEL", NULL, NULL, NULL, NULL, false,
	  { { "10.0.0.2\x7f", NULL, "db", "h", "n" } }, 1, NULL,
	  "hosts file: link IP (10.0.0.2\\x7f) contains a space or a control character" },
	{ "linked name with a newline", NULL, NULL, NULL, NULL, false,
	  { { "10.0.0.2", NULL, "db", "h", "n\n1.1.1.1\tx" } }, 1, NULL,
	  "hosts file: linked name (n\\n1.1.1.1\\tx) contains a space or a control character" },
};

static void test_render(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(render_cases); i++) {
		const struct render_case *c = &render_cases[i];
		char *out = (char *)"garbage";
		ctr_err_clear();
		int r = hosts_render(c->own_ip, c->own_ip6, c->hostname, c->domainname, c->ipv6,
				     c->links, c->n_links, &out);
		if (c->want) {
			if (r < 0)
				diag("error: %s", ctr_err_msg());
			is_str(r == 0 ? out : NULL, c->want, "render: %s", c->what);
		} else {
			ok(r == -EINVAL && out == NULL && strcmp(ctr_err_msg(), c->msg) == 0,
			   "render refuses: %s (%s)", c->what, ctr_err_msg());
		}
		if (r == 0)
			free(out);
	}
	char *out;
	is_int(hosts_render(NULL, NULL, NULL, NULL, true, NULL, 1, &out), -EINVAL,
	       "links NULL with n_links 1 refused");
}

/* ---- hosts_update_alias ------------------------------------------------------------------ */

struct update_case {
	const char *what;
	const char *content, *alias, *ip;
	const char *want;
};

static const struct update_case update_cases[] = {
	{ "link record", "172.17.0.5\tdb 6e5cdeb2d300\n", "db", "172.17.0.9",
	  "172.17.0.9\tdb 6e5cdeb2d300\n" },
	{ "prefixAndMore untouched", "172.17.0.5\tprefixAndMore h\n172.17.0.5\tprefix h\n",
	  "prefix", "172.17.0.9", "172.17.0.5\tprefixAndMore h\n172.17.0.9\tprefix h\n" },
	{ "two aliases: update onetwo", "1.1.1.1\tonetwo h one\n1.1.1.1\tone h\n", "onetwo",
	  "2.2.2.2", "2.2.2.2\tonetwo h one\n1.1.1.1\tone h\n" },
	{ "two aliases: update one", "2.2.2.2\tonetwo h one\n1.1.1.1\tone h\n", "one", "2.2.2.2",
	  "2.2.2.2\tonetwo h one\n2.2.2.2\tone h\n" },
	{ "'.'-suffixed first name", "10.0.0.1\tdb.example db\n", "db", "10.0.0.7",
	  "10.0.0.7\tdb.example db\n" },
	{ "alias not first: untouched", "10.0.0.1\tweb db\n", "db", "10.0.0.7",
	  "10.0.0.1\tweb db\n" },
	{ "no trailing newline", "10.0.0.1\tdb", "db", "10.0.0.7", "10.0.0.7\tdb" },
	{ "alias then TAB", "10.0.0.1\tdb\tx\n", "db", "10.0.0.7", "10.0.0.7\tdb\tx\n" },
	{ "alias then CRLF", "10.0.0.1\tdb\r\nx\n", "db", "10.0.0.7", "10.0.0.7\tdb\r\nx\n" },
	{ "alias then vertical tab: not Go's \\s", "10.0.0.1\tdb\vx\n", "db", "10.0.0.7",
	  "10.0.0.1\tdb\vx\n" },
	{ "line without TAB untouched", "10.0.0.1 db\n", "db", "10.0.0.7", "10.0.0.1 db\n" },
	{ "leading blanks kept", "  10.0.0.1\tdb x\n", "db", "10.0.0.7", "  10.0.0.7\tdb x\n" },
	{ "empty address field", "\tdb x\n", "db", "10.0.0.7", "10.0.0.7\tdb x\n" },
	{ "commented record (as Docker's pattern does)", "#10.0.0.1\tdb x\n", "db", "10.0.0.7",
	  "10.0.0.7\tdb x\n" },
	{ "'.' in the alias is literal", "10.0.0.1\tmyxdb h\n10.0.0.1\tmy.db h\n", "my.db",
	  "10.0.0.7", "10.0.0.1\tmyxdb h\n10.0.0.7\tmy.db h\n" },
	{ "every matching line", "1.1.1.1\tdb a\n2.2.2.2\tx\nfd00::1\tdb a\n", "db", "3.3.3.3",
	  "3.3.3.3\tdb a\n2.2.2.2\tx\n3.3.3.3\tdb a\n" },
	{ "IPv6 new address", "1.1.1.1\tdb a\n", "db", "fd00::5", "fd00::5\tdb a\n" },
	{ "empty content", "", "db", "1.1.1.1", "" },
	{ "blank lines kept", "\n\n1.1.1.1\tdb\n\n", "db", "2.2.2.2", "\n\n2.2.2.2\tdb\n\n" },
	{ "name equal to alias in the default records", DEFS, "localhost", "10.9.9.9",
	  "10.9.9.9\tlocalhost\n10.9.9.9\tlocalhost ip6-localhost ip6-loopback\n"
	  "fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
	  "ff02::2\tip6-allrouters\n" },
};

static size_t count_lf(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_update(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(update_cases); i++) {
		const struct update_case *c = &update_cases[i];
		char *out = NULL;
		int r = hosts_update_alias(c->content, c->alias, c->ip, &out);
		if (r < 0)
			diag("error: %s", ctr_err_msg());
		bool same_lines = r == 0 && count_lf(out) == count_lf(c->content);
		if (!same_lines)
			diag("line count changed");
		is_str(same_lines ? out : NULL, c->want, "update: %s", c->what);
		free(out);
	}

	/* A rendered file: only the link records of the alias change. */
	struct hosts_link links[] = {
		{ "172.17.0.5", "fd00::5", "webdb", "6e5cdeb2d300", "db" },
		{ "172.17.0.7", NULL, "cache", "a1b2c3d4e5f6", "redis" },
	};
	char *file = NULL, *upd = NULL;
	ok(hosts_render("172.17.0.6", NULL, "web", NULL, true, links, 2, &file) == 0 &&
		   hosts_update_alias(file, "webdb", "172.17.0.8", &upd) == 0,
	   "render then update");
	is_str(upd,
	       DEFS "172.17.0.8\twebdb 6e5cdeb2d300 db\n172.17.0.8\twebdb 6e5cdeb2d300 db\n"
		    "172.17.0.7\tcache a1b2c3d4e5f6 redis\n172.17.0.6\tweb\n",
	       "both records of the alias updated (Docker's IPv6 quirk included)");
	free(file);
	free(upd);
}

struct update_err_case {
	const char *content, *alias, *ip, *msg;
};

static void test_update_errors(void)
{
	static const struct update_err_case cases[] = {
		{ "x", "", "1.1.1.1", "hosts file: alias is empty" },
		{ "x", NULL, "1.1.1.1", "hosts file: alias is empty" },
		{ "x", "db", "", "hosts file: new IP is empty" },
		{ "x", "db", NULL, "hosts file: new IP is empty" },
		{ "x", "a b", "1.1.1.1",
		  "hosts file: alias (a b) contains a space or a control character" },
		{ "x", "db", "1.1.1.1\n2.2.2.2\tevil",
		  "hosts file: new IP (1.1.1.1\\n2.2.2.2\\tevil) contains a space or a control "
		  "character" },
		{ "x", "db\n", "1.1.1.1",
		  "hosts file: alias (db\\n) contains a space or a control character" },
		{ NULL, "db", "1.1.1.1", "hosts file: no content" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *out = (char *)"garbage";
		ctr_err_clear();
		int r = hosts_update_alias(cases[i].content, cases[i].alias, cases[i].ip, &out);
		ok(r == -EINVAL && out == NULL && strcmp(ctr_err_msg(), cases[i].msg) == 0,
		   "update refuses case %zu: %s", i, ctr_err_msg());
	}
}

int main(void)
{
	test_render();
	test_update();
	test_update_errors();
	return done_testing();
}
