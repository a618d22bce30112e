/* The ctrlink flag parser: spf13/pflag's syntax and messages (vendor/github.com/spf13/pflag
 * flag.go and errors.go in docker/cli), for the flags of one command. */
#define _GNU_SOURCE
#include "flags.h"

#include "errmsg.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int flags_index(const struct flag_spec *spec, const char *name)
{
	for (int i = 0; spec[i].name; i++)
		if (strcmp(spec[i].name, name) == 0)
			return i;
	return -1;
}

static int find_long(const struct flag_spec *spec, const char *name, size_t len)
{
	for (int i = 0; spec[i].name; i++)
		if (strlen(spec[i].name) == len && strncmp(spec[i].name, name, len) == 0)
			return i;
	return -1;
}

static int find_short(const struct flag_spec *spec, char c)
{
	for (int i = 0; spec[i].name; i++)
		if (spec[i].shorthand == c)
			return i;
	return -1;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -1;
}

/* The flag's name as pflag's InvalidValueError writes it: "-t, --time" or "--name". */
static const char *display_name(const struct flag_spec *f, char buf[80])
{
	if (f->shorthand)
		snprintf(buf, 80, "-%c, --%s", f->shorthand, f->name);
	else
		snprintf(buf, 80, "--%s", f->name);
	return buf;
}

static int set_value(const struct flag_spec *f, struct flag_val *v, const char *val, char **err)
{
	char nb[80];
	switch (f->type) {
	case FLAG_BOOL: {
		bool b;
		if (parse_bool(val, &b) < 0)
			return errmsg(err, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: "
				    "parsing \"%s\": invalid syntax", val, display_name(f, nb), val);
		v->b = b;
		break;
	}
	case FLAG_INT: {
		char *end;
		errno = 0;
		long long n = strtoll(val, &end, 0);
		if (!*val || *end || errno == ERANGE)
			return errmsg(err, "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: "
				    "parsing \"%s\": %s", val, display_name(f, nb), val,
				    errno == ERANGE ? "value out of range" : "invalid syntax");
		v->n = n;
		break;
	}
	case FLAG_STRING:
		v->str = val;
		break;
	case FLAG_LIST: {
		const char **l = realloc(v->list, (v->count + 2) * sizeof *l);
		if (!l)
			return -ENOMEM;
		l[v->count++] = val;
		l[v->count] = NULL;
		v->list = l;
		break;
	}
	}
	v->set = true;
	return 0;
}

static int add_arg(const char ***args, int *n, const char *a)
{
	const char **l = realloc(*args, ((size_t)*n + 2) * sizeof *l);
	if (!l)
		return -ENOMEM;
	l[(*n)++] = a;
	l[*n] = NULL;
	*args = l;
	return 0;
}

/* "--name", "--name=value", "--name value" (argv[*i] is the flag). */
static int parse_long(const struct flag_spec *spec, struct flag_val *vals, int argc, char **argv,
		      int *i, char **err)
{
	const char *s = argv[(*i)++], *name = s + 2;
	if (!*name || *name == '-' || *name == '=')
		return errmsg(err, "bad flag syntax: %s", s);
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	int k = find_long(spec, name, len);
	if (k < 0) {
		if (len == 4 && strncmp(name, "help", 4) == 0)
			return 1;
		return errmsg(err, "unknown flag: --%.*s", (int)len, name);
	}
	const char *val;
	if (eq)
		val = eq + 1;
	else if (spec[k].type == FLAG_BOOL)
		val = "true";
	else if (*i < argc)
		val = argv[(*i)++];
	else
		return errmsg(err, "flag needs an argument: --%.*s", (int)len, name);
	return set_value(&spec[k], &vals[k], val, err);
}

/* "-abc", "-nVALUE", "-n=VALUE", "-n VALUE" (argv[*i] is the group). */
static int parse_short(const struct flag_spec *spec, struct flag_val *vals, int argc, char **argv,
		       int *i, char **err)
{
	const char *group = argv[(*i)++] + 1;
	for (const char *c = group; *c;) {
		int k = find_short(spec, *c);
		if (k < 0) {
			if (*c == 'h')
				return 1;
			return errmsg(err, "unknown shorthand flag: '%c' in -%s", *c, c);
		}
		const char *val;
		const char *next = c + 1;
		if (c[1] == '=' && c[2]) {
			val = c + 2;
			next = "";
		} else if (spec[k].type == FLAG_BOOL) {
			val = "true";
		} else if (c[1]) {
			val = c + 1;
			next = "";
		} else if (*i < argc) {
			val = argv[(*i)++];
		} else {
			return errmsg(err, "flag needs an argument: '%c' in -%s", *c, c);
		}
		int e = set_value(&spec[k], &vals[k], val, err);
		if (e)
			return e;
		c = next;
	}
	return 0;
}

int flags_parse(const struct flag_spec *spec, struct flag_val *vals, int argc, char **argv,
		bool interspersed, const char ***args, int *nargs, char **err)
{
	*args = NULL;
	*nargs = 0;
	*err = NULL;
	int e = add_arg(args, nargs, NULL) < 0 ? -ENOMEM : 0; /* an empty, terminated list */
	*nargs = 0;
	for (int i = 0; i < argc && !e;) {
		const char *a = argv[i];
		if (a[0] != '-' || a[1] == '\0') {
			if (!interspersed) {
				while (i < argc && !e)
					e = add_arg(args, nargs, argv[i++]);
				break;
			}
			e = add_arg(args, nargs, argv[i++]);
		} else if (strcmp(a, "--") == 0) {
			for (i++; i < argc && !e;)
				e = add_arg(args, nargs, argv[i++]);
		} else if (a[1] == '-') {
			e = parse_long(spec, vals, argc, argv, &i, err);
		} else {
			e = parse_short(spec, vals, argc, argv, &i, err);
		}
	}
	return e;
}

void flags_free(const struct flag_spec *spec, struct flag_val *vals)
{
	for (int i = 0; spec[i].name; i++) {
		free(vals[i].list);
		vals[i].list = NULL;
		vals[i].count = 0;
	}
}

char *flags_usage(const struct flag_spec *spec)
{
	static const char *const tname[] = { [FLAG_BOOL] = "", [FLAG_STRING] = " string",
					     [FLAG_LIST] = " list", [FLAG_INT] = " int" };
	size_t width = 0;
	char left[128];
	for (int i = 0; spec[i].name; i++) {
		int n = snprintf(left, sizeof left, "  %c%c%c --%s%s", spec[i].shorthand ? '-' : ' ',
				 spec[i].shorthand ? spec[i].shorthand : ' ',
				 spec[i].shorthand ? ',' : ' ', spec[i].name, tname[spec[i].type]);
		if (n > 0 && (size_t)n > width)
			width = (size_t)n;
	}
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (int i = 0; spec[i].name; i++) {
		snprintf(left, sizeof left, "  %c%c%c --%s%s", spec[i].shorthand ? '-' : ' ',
			 spec[i].shorthand ? spec[i].shorthand : ' ', spec[i].shorthand ? ',' : ' ',
			 spec[i].name, tname[spec[i].type]);
		fprintf(f, "%-*s   %s", (int)width, left, spec[i].usage ? spec[i].usage : "");
		if (spec[i].defval)
			fprintf(f, spec[i].type == FLAG_STRING ? " (default \"%s\")" : " (default %s)",
				spec[i].defval);
		fputc('\n', f);
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}
