/* flags.h — the one flag parser of the ctrlink CLI, with the syntax and error texts of
 * spf13/pflag as docker/cli uses it: `--name=value`, `--name value`, `-n value`, `-nvalue`,
 * `-n=value`, combined short booleans (`-dP`), booleans that also take `=true`/`=false` (Go's
 * strconv.ParseBool words), repeated flags (a list appends, anything else keeps the last
 * value), `--` ends the flags, `-` alone is an argument.  Pure code: no I/O, no globals. */
#ifndef CTRLINK_FLAGS_H
#define CTRLINK_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

enum flag_type {
	FLAG_BOOL,   /* no value; "--x=false" */
	FLAG_STRING, /* one value; the last one wins */
	FLAG_LIST,   /* one value per use, in order */
	FLAG_INT,    /* a Go ParseInt(s, 0, 64) number */
};

struct flag_spec {
	const char *name; /* long name, without "--"; NULL ends the table */
	char shorthand;   /* 0: none */
	enum flag_type type;
	const char *usage; /* one line of help */
	const char *defval; /* shown in help as (default ...); NULL: none */
};

/* What one flag got.  `str` points into argv; `list` is malloc'd (free with flags_free). */
struct flag_val {
	bool set;   /* given at least once */
	bool b;     /* FLAG_BOOL */
	long long n; /* FLAG_INT */
	const char *str;
	const char **list; /* NULL-terminated */
	size_t count;
};

/* Parse argv[0..argc) against spec (vals has one entry per spec entry, zeroed by the caller).
 * With `interspersed`, flags may follow arguments (cobra's default); without, the first
 * argument ends the flags (docker run/exec, so the container's command keeps its own).
 * The arguments are stored in *args (malloc'd, NULL-terminated; pointers into argv) and
 * *nargs.  Returns
 *   0        parsed;
 *   1        help asked for (--help, or -h when no flag has that shorthand);
 *   -EINVAL  *err is pflag's message, e.g. "unknown flag: --foo",
 *            "unknown shorthand flag: 'x' in -xd", "flag needs an argument: --name",
 *            "flag needs an argument: 'e' in -e", "bad flag syntax: ---x",
 *            `invalid argument "x" for "-t, --time" flag: strconv.ParseInt: parsing "x":
 *            invalid syntax`;
 *   -ENOMEM.
 * *err is malloc'd or NULL; the caller frees it and calls flags_free either way. */
int flags_parse(const struct flag_spec *spec, struct flag_val *vals, int argc, char **argv,
		bool interspersed, const char ***args, int *nargs, char **err);

void flags_free(const struct flag_spec *spec, struct flag_val *vals);

/* The index of the flag called `name` in spec, or -1. */
int flags_index(const struct flag_spec *spec, const char *name);

/* The "Options:" lines of a help text, as pflag's FlagUsages writes them:
 * "  -f, --force          usage" / "      --name string    usage".  malloc'd; NULL on ENOMEM. */
char *flags_usage(const struct flag_spec *spec);

#endif
