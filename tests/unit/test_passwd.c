/* Unit tests for lib/core/passwd.c: resolving -u USER[:GROUP] against a container's /etc/passwd
 * and /etc/group, as runc does.  One TAP point per table row. */
#include <stdlib.h>
#include <string.h>

#include "core/passwd.h"
#include "tap.h"
#include "core/util.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"# comment:x:5:5::/c:/bin/sh\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"\n"
	"web:x:1000:1000:Web Server:/home/web:/bin/sh\n"
	"broken:x:abc:1000::/b:/bin/sh\n"
	"badgid:x:1010:-1::/b:/bin/sh\n"
	"short:x:1001:1001\n"
	"nohome:x:1002:1002:::/bin/sh\n"
	"dup:x:1003:1003::/first:/bin/sh\n"
	"dup:x:1004:1004::/second:/bin/sh\n"
	"2000:x:3000:3000::/numname:/bin/sh\n"
	"big:x:2147483647:2147483647::/big:/bin/sh\n"
	"toobig:x:2147483648:1::/big:/bin/sh\n"
	"colons:x:1005:1005:a:b:/home/c:d:/bin/sh\n"
	"last:x:1006:1006::/last:/bin/sh"; /* no newline at the end */

static const char group[] =
	"root:x:0:\n"
	"web:x:1000:\n"
	"staff:x:50:web,alice\n"
	"# comment:x:7:web\n"
	"extra:x:2000:alice,web\n"
	"bad:x:zz:web\n"
	"short:x:60\n"
	"audio:x:29:webby,web2,we\n"
	"5000:x:5001:\n"
	"again:x:70:web,web\n"
	"tail:x:71:last"; /* no newline at the end */

struct user_case {
	const char *spec;
	const char *pw, *gr;
	const char *want; /* "uid=… gid=… home=… groups=…" or the message */
};

#define PG passwd, group

static const struct user_case cases[] = {
	{ NULL, PG, "uid=0 gid=0 home=/root groups=" },
	{ "", PG, "uid=0 gid=0 home=/root groups=" },
	{ "root", PG, "uid=0 gid=0 home=/root groups=" },
	{ "0", PG, "uid=0 gid=0 home=/root groups=" },
	{ "daemon", PG, "uid=1 gid=1 home=/usr/sbin groups=" },
	{ "web", PG, "uid=1000 gid=1000 home=/home/web groups=50,2000,70" },
	{ "1000", PG, "uid=1000 gid=1000 home=/home/web groups=50,2000,70" },
	{ "web:staff", PG, "uid=1000 gid=50 home=/home/web groups=" },
	{ "web:2000", PG, "uid=1000 gid=2000 home=/home/web groups=" },
	{ "1000:50", PG, "uid=1000 gid=50 home=/home/web groups=" },
	{ "1000:staff", PG, "uid=1000 gid=50 home=/home/web groups=" },
	{ "web:0", PG, "uid=1000 gid=0 home=/home/web groups=" },
	{ "web:5000", PG, "uid=1000 gid=5000 home=/home/web groups=" },
	{ "4242", PG, "uid=4242 gid=0 home=/ groups=" },
	{ "4242:4242", PG, "uid=4242 gid=4242 home=/ groups=" },
	{ "4242:staff", PG, "uid=4242 gid=50 home=/ groups=" },
	{ "2000", PG, "uid=2000 gid=0 home=/ groups=" },
	{ "nohome", PG, "uid=1002 gid=1002 home=/ groups=" },
	{ "dup", PG, "uid=1003 gid=1003 home=/first groups=" },
	{ "1004", PG, "uid=1004 gid=1004 home=/second groups=" },
	{ "big", PG, "uid=2147483647 gid=2147483647 home=/big groups=" },
	{ "colons", PG, "uid=1005 gid=1005 home=b groups=" },
	{ "last", PG, "uid=1006 gid=1006 home=/last groups=71" },
	{ "nobody", PG, "unable to find user nobody: no matching entries in passwd file" },
	{ "comment", PG, "unable to find user comment: no matching entries in passwd file" },
	{ "# comment", PG, "unable to find user # comment: no matching entries in passwd file" },
	{ "broken", PG, "unable to find user broken: no matching entries in passwd file" },
	{ "badgid", PG, "unable to find user badgid: no matching entries in passwd file" },
	{ "short", PG, "unable to find user short: no matching entries in passwd file" },
	{ "toobig", PG, "unable to find user toobig: no matching entries in passwd file" },
	{ "Web", PG, "unable to find user Web: no matching entries in passwd file" },
	{ "4294967296", PG,
	  "unable to find user 4294967296: no matching entries in passwd file" },
	{ "-1", PG, "unable to find user -1: no matching entries in passwd file" },
	{ "web:nogroup", PG, "unable to find group nogroup: no matching entries in group file" },
	{ "web:comment", PG, "unable to find group comment: no matching entries in group file" },
	{ "web:bad", PG, "unable to find group bad: no matching entries in group file" },
	{ "web:short", PG, "unable to find group short: no matching entries in group file" },
	{ "nobody:staff", PG, "unable to find user nobody: no matching entries in passwd file" },
	{ "web:", PG, "invalid user \"web:\": empty group" },
	{ ":staff", PG, "invalid user \":staff\": empty user" },
	{ ":", PG, "invalid user \":\": empty group" },
	{ "web:staff:x", PG, "unable to find group staff:x: no matching entries in group file" },
	/* missing files */
	{ "root", NULL, group, "unable to find user root: no matching entries in passwd file" },
	{ "0", NULL, NULL, "uid=0 gid=0 home=/ groups=" },
	{ "", NULL, NULL, "uid=0 gid=0 home=/ groups=" },
	{ "33:33", NULL, NULL, "uid=33 gid=33 home=/ groups=" },
	{ "0:staff", passwd, NULL,
	  "unable to find group staff: no matching entries in group file" },
	{ "web", passwd, NULL, "uid=1000 gid=1000 home=/home/web groups=" },
	{ "web", "", "", "unable to find user web: no matching entries in passwd file" },
	/* hostile specs */
	{ "we\nb", PG, "invalid user: too long or contains control characters" },
	{ "web\n", PG, "invalid user: too long or contains control characters" },
	{ "web:sta\tff", PG, "invalid user: too long or contains control characters" },
	{ "\x1b[2J", PG, "invalid user: too long or contains control characters" },
	{ "web\x7f", PG, "invalid user: too long or contains control characters" },
};

static char *resolve(const char *spec, const char *pw, const char *gr)
{
	struct user_ids ids;
	memset(&ids, 0x5a, sizeof ids);
	struct sbuf sb = SBUF_INIT;
	ctr_err_clear();
	int e = user_resolve(spec, pw, gr, &ids);
	if (e == -EINVAL) {
		sb_add(&sb, ctr_err_msg());
	} else if (e < 0) {
		sb_addf(&sb, "ERR(%d) %s", e, ctr_err_msg());
	} else {
		sb_addf(&sb, "uid=%u gid=%u home=%s groups=", (unsigned)ids.uid, (unsigned)ids.gid,
			ids.home);
		for (size_t i = 0; i < ids.n_groups && i < ARRAY_SIZE(ids.groups); i++)
			sb_addf(&sb, "%s%u", i ? "," : "", (unsigned)ids.groups[i]);
	}
	return sb_finish(&sb);
}

static void test_resolve(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct user_case *c = &cases[i];
		char *got = resolve(c->spec, c->pw, c->gr), shown[64] = "";
		for (size_t k = 0, o = 0; c->spec && c->spec[k] && o + 5 < sizeof shown; k++) {
			unsigned char ch = (unsigned char)c->spec[k];
			if (ch < 0x20 || ch == 0x7f)
				o += (size_t)snprintf(shown + o, sizeof shown - o, "\\x%02x", ch);
			else
				shown[o++] = (char)ch;
		}
		is_str(got, c->want, "-u %s%s%s", c->spec ? "\"" : "(NULL)", shown,
		       c->spec ? "\"" : "");
		free(got);
	}
}

/* Specs and files at their limits. */
static void test_limits(void)
{
	char *spec = malloc(4097), *got;
	memset(spec, 'a', 4096);
	spec[4096] = '\0';
	got = resolve(spec, passwd, group);
	is_str(got, "invalid user: too long or contains control characters", "a 4 KiB spec");
	free(got);

	spec[255] = '\0'; /* the longest spec taken: looked up */
	got = resolve(spec, passwd, group);
	ok(str_has_prefix(got, "unable to find user aaaa") && strlen(got) < 400,
	   "a 255-byte spec is looked up");
	free(got);
	spec[255] = 'a';
	spec[256] = '\0';
	got = resolve(spec, passwd, group);
	is_str(got, "invalid user: too long or contains control characters", "a 256-byte spec");
	free(got);
	memcpy(spec, "web:", 4); /* a long group name */
	spec[255] = '\0';
	got = resolve(spec, passwd, group);
	ok(str_has_prefix(got, "unable to find group aaaa"), "a 251-byte group name is looked up");
	free(got);
	free(spec);

	/* a line of 2 KiB is skipped, the lines after it are read */
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "long:x:1:1:");
	for (int i = 0; i < 2048; i++)
		sb_addc(&sb, 'z');
	sb_add(&sb, ":/home/long:/bin/sh\nafter:x:7:8::/after:/bin/sh\n");
	char *pw = sb_finish(&sb);
	got = resolve("after", pw, group);
	is_str(got, "uid=7 gid=8 home=/after groups=", "a line after a 2 KiB line is read");
	free(got);
	got = resolve("long", pw, group);
	is_str(got, "unable to find user long: no matching entries in passwd file",
	       "a 2 KiB line is skipped");
	free(got);
	free(pw);

	/* a long home is cut to the buffer, still terminated */
	sb_add(&sb, "h:x:9:9::/");
	for (int i = 0; i < 400; i++)
		sb_addc(&sb, 'h');
	sb_add(&sb, ":/bin/sh\n");
	pw = sb_finish(&sb);
	struct user_ids ids;
	int e = user_resolve("h", pw, NULL, &ids);
	ok(e == 0 && strlen(ids.home) == sizeof ids.home - 1 && ids.home[0] == '/',
	   "a 401-byte home is cut to %zu bytes", sizeof ids.home - 1);
	free(pw);

	/* more than 64 groups: the first 64 are kept */
	for (int i = 0; i < 70; i++)
		sb_addf(&sb, "g%d:x:%d:web\n", i, 3000 + i);
	char *gr = sb_finish(&sb);
	e = user_resolve("web", passwd, gr, &ids);
	ok(e == 0 && ids.n_groups == 64 && ids.groups[0] == 3000 && ids.groups[63] == 3063,
	   "70 groups: the first 64 are kept (%zu)", ids.n_groups);
	free(gr);
}

int main(void)
{
	test_resolve();
	test_limits();
	return done_testing();
}
