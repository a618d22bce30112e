/* Unit tests of examples/ctrlink/flags.c (the flag parser, with spf13/pflag's syntax and
 * texts) and tabwrite.c (Go's text/tabwriter as docker/cli's tables use it). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "tabwrite.h"
#include "tap.h"

static const struct flag_spec spec[] = {
	{ "detach", 'd', FLAG_BOOL, "Detach", NULL },
	{ "publish-all", 'P', FLAG_BOOL, "All", NULL },
	{ "env", 'e', FLAG_LIST, "Env", NULL },
	{ "name", 0, FLAG_STRING, "Name", NULL },
	{ "time", 't', FLAG_INT, "Time", "10" },
	{ NULL, 0, 0, NULL, NULL },
};
enum { DETACH, ALL, ENV, NAME, TIME, NFLAGS };

struct res {
	int rc;
	struct flag_val v[NFLAGS + 1];
	const char **args;
	int nargs;
	char *err;
};

static void parse(struct res *r, bool inter, const char *line)
{
	static char buf[512];
	static char *argv[32];
	int argc = 0;
	snprintf(buf, sizeof buf, "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = strcmp(t, "''") == 0 ? "" : t;
	memset(r, 0, sizeof *r);
	r->rc = flags_parse(spec, r->v, argc, argv, inter, &r->args, &r->nargs, &r->err);
}

static void done(struct res *r)
{
	flags_free(spec, r->v);
	free(r->args);
	free(r->err);
}

static void check_err(bool inter, const char *line, const char *want)
{
	struct res r;
	parse(&r, inter, line);
	ok(r.rc == -EINVAL, "%s: fails", line);
	is_str(r.err, want, "%s: message", line);
	done(&r);
}

static void test_syntax(void)
{
	struct res r;
	parse(&r, false, "-dP --name=web -eA=1 -e B=2 --env C=3 -t 5 sh -c --x");
	ok(r.rc == 0, "a run line parses");
	ok(r.v[DETACH].b && r.v[ALL].b, "-dP sets both");
	is_str(r.v[NAME].str, "web", "--name=web");
	ok(r.v[ENV].count == 3, "three -e");
	is_str(r.v[ENV].list[0], "A=1", "-eA=1");
	is_str(r.v[ENV].list[1], "B=2", "-e B=2");
	is_str(r.v[ENV].list[2], "C=3", "--env C=3");
	ok(r.v[TIME].set && r.v[TIME].n == 5, "-t 5");
	ok(r.nargs == 3, "the command and its own flags are arguments");
	is_str(r.args[2], "--x", "not interspersed: --x stays an argument");
	ok(r.args[3] == NULL, "arguments are NULL-terminated");
	done(&r);

	parse(&r, true, "a -d b --name x --name y -- -P c");
	ok(r.rc == 0 && r.nargs == 4, "interspersed: flags between arguments, -- ends flags");
	ok(r.v[DETACH].b && !r.v[ALL].set, "-d parsed, -P after -- is an argument");
	is_str(r.v[NAME].str, "y", "the last --name wins");
	is_str(r.args[2], "-P", "-P after --");
	done(&r);

	parse(&r, true, "-d=false --publish-all=1 -t=0x10 -e= -");
	ok(r.rc == 0, "=values");
	ok(r.v[DETACH].set && !r.v[DETACH].b, "-d=false");
	ok(r.v[ALL].b, "--publish-all=1 (ParseBool)");
	ok(r.v[TIME].n == 16, "-t=0x10 (ParseInt base 0)");
	is_str(r.v[ENV].list[0], "=", "-e= is the value \"=\" (pflag: -e=V needs a V)");
	ok(r.nargs == 1 && strcmp(r.args[0], "-") == 0, "- alone is an argument");
	done(&r);

	parse(&r, true, "--help");
	ok(r.rc == 1, "--help asks for help");
	done(&r);
	parse(&r, true, "-dh");
	ok(r.rc == 1, "-h asks for help when no flag has it");
	done(&r);
	parse(&r, true, "");
	ok(r.rc == 0 && r.nargs == 0 && r.args && !r.args[0], "nothing: an empty list");
	done(&r);
}

static void test_errors(void)
{
	check_err(true, "--foo", "unknown flag: --foo");
	check_err(true, "--foo=1", "unknown flag: --foo");
	check_err(true, "-dx", "unknown shorthand flag: 'x' in -x");
	check_err(true, "-xd", "unknown shorthand flag: 'x' in -xd");
	check_err(true, "--name", "flag needs an argument: --name");
	check_err(true, "-de", "flag needs an argument: 'e' in -e");
	check_err(true, "---x", "bad flag syntax: ---x");
	check_err(true, "--=x", "bad flag syntax: --=x");
	check_err(true, "-t abc",
		  "invalid argument \"abc\" for \"-t, --time\" flag: strconv.ParseInt: parsing "
		  "\"abc\": invalid syntax");
	check_err(true, "-t 99999999999999999999",
		  "invalid argument \"99999999999999999999\" for \"-t, --time\" flag: "
		  "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
	check_err(true, "--detach=yes",
		  "invalid argument \"yes\" for \"-d, --detach\" flag: strconv.ParseBool: parsing "
		  "\"yes\": invalid syntax");
}

static void test_usage(void)
{
	char *u = flags_usage(spec);
	is_str(u,
	       "  -d, --detach        Detach\n"
	       "  -P, --publish-all   All\n"
	       "  -e, --env list      Env\n"
	       "      --name string   Name\n"
	       "  -t, --time int      Time (default 10)\n",
	       "help lines as pflag's FlagUsages");
	free(u);
}

static void check_tab(const char *in, const char *want, const char *what)
{
	char *got = tab_align(in, 10, 3);
	is_str(got, want, "tabwriter: %s", what);
	free(got);
}

static void test_tabwrite(void)
{
	check_tab("", "", "empty");
	check_tab("A\tB\nlonger text\tx\n", "A             B\nlonger text   x\n",
		  "width of the widest cell plus 3");
	check_tab("a\tb\tc\nd\te\tf\n", "a         b         c\nd         e         f\n",
		  "minimum width 10; the last cell is not padded");
	check_tab("ab\tc\nno tabs here\nxyz\td\n", "ab        c\nno tabs here\nxyz       d\n",
		  "a line without the column ends the block");
	check_tab("é\tx\n12345678901\ty\n", "é             x\n12345678901   y\n",
		  "widths count characters");
	check_tab("a\tb\nc", "a         b\nc", "a last line without newline");
}

int main(void)
{
	test_syntax();
	test_errors();
	test_usage();
	test_tabwrite();
	return done_testing();
}
