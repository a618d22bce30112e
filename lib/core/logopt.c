/* Log options: Docker's json-file max-size and max-file (see logopt.h).  Semantics from moby
 * daemon/logger/jsonfilelog/jsonfilelog.go (New, ValidateLogOpt) and docker/go-units
 * size.go (FromHumanSize). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/logopt.h"
#include "core/names.h"
#include "core/util.h"

void log_config_default(struct log_config *c)
{
	c->max_size = LOG_DEFAULT_MAX_SIZE;
	c->max_file = LOG_DEFAULT_MAX_FILE;
	snprintf(c->size_text, sizeof c->size_text, "%s", LOG_DEFAULT_MAX_SIZE_TEXT);
}

/* `n` bytes of `s`, escaped for a message (msg_escape) */
static const char *esc(const char *s, size_t n, char buf[CTR_ESC_BUF])
{
	char tmp[CTR_ESC_BUF + 8];
	if (n > sizeof tmp - 1)
		n = sizeof tmp - 1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	msg_escape(tmp, buf, CTR_ESC_BUF);
	return buf;
}
#define ESC(s) esc((s), strlen(s), (char[CTR_ESC_BUF]){ 0 })

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

int log_size_parse(const char *s, int64_t *out)
{
	const char *p = s;
	/* the number: digits, then an optional fraction */
	long double whole = 0, frac = 0, scale = 1;
	if (!digit(*p))
		goto bad;
	for (; digit(*p); p++)
		if ((whole = whole * 10 + (*p - '0')) > 1e30L)
			goto bad;
	if (*p == '.') {
		if (!digit(*++p))
			goto bad;
		for (; digit(*p); p++)
			if (scale < 1e30L)
				frac += (*p - '0') / (scale *= 10);
	}
	if (*p == ' ')
		p++;
	long double mul = 1;
	static const char units[] = "kmgtp";
	const char *u = *p ? strchr(units, lower(*p)) : NULL;
	if (u) {
		for (const char *k = units; k <= u; k++)
			mul *= 1000;
		p++;
		if (lower(*p) == 'i')
			p++;
	}
	if (lower(*p) == 'b')
		p++;
	if (*p)
		goto bad;
	long double v = (whole + frac) * mul;
	if (v > (long double)LOG_MAX_SIZE_LIMIT)
		goto bad;
	*out = (int64_t)v; /* truncated, as Go's int64(float) */
	return 0;
bad:
	return ctr_err(-EINVAL, "invalid size: '%s'", ESC(s));
}

/* The json-file keys Docker accepts that we do not implement. */
static const char *const unsupported[] = { "compress", "labels", "labels-regex", "env",
					   "env-regex", "tag" };

int logopt_parse(const char *const *opts, struct log_config *out)
{
	struct log_config c;
	log_config_default(&c);
	const char *size = NULL, *files = NULL;
	for (size_t i = 0; opts && opts[i]; i++) {
		const char *o = opts[i], *eq = strchr(o, '=');
		size_t klen = eq ? (size_t)(eq - o) : strlen(o);
		const char *val = eq ? eq + 1 : "";
		if (klen == 8 && strncmp(o, "max-size", 8) == 0) {
			size = val;
			continue;
		}
		if (klen == 8 && strncmp(o, "max-file", 8) == 0) {
			files = val;
			continue;
		}
		for (size_t k = 0; k < ARRAY_SIZE(unsupported); k++)
			if (strlen(unsupported[k]) == klen && strncmp(o, unsupported[k], klen) == 0)
				return ctr_err(-EINVAL, "log opt '%s' of the json-file log driver is "
							"not supported (only max-size and max-file)",
					       unsupported[k]);
		char key[CTR_ESC_BUF];
		return ctr_err(-EINVAL, "unknown log opt '%s' for json-file log driver",
			       esc(o, klen, key));
	}
	if (size) {
		int e = strlen(size) < sizeof c.size_text ? log_size_parse(size, &c.max_size)
							   : -EINVAL;
		if (e < 0)
			return ctr_err(e, "invalid log opt max-size=%s: invalid size: '%s'", ESC(size),
				       ESC(size));
		if (c.max_size <= 0)
			return ctr_err(-EINVAL, "max-size must be a positive number");
		snprintf(c.size_text, sizeof c.size_text, "%s", size);
		c.max_file = 1; /* Docker: one file unless max-file says more */
	}
	if (files) {
		if (!size)
			return ctr_err(-EINVAL, "max-file cannot be set without max-size (the size at "
						"which a log file is rotated)");
		/* as Go's strconv.Atoi: an optional sign and decimal digits, nothing else */
		const char *d = files + (files[0] == '+' || files[0] == '-');
		char *end = NULL;
		errno = 0;
		long n = digit(*d) ? strtol(files, &end, 10) : 0;
		if (!end || *end || errno || n > INT_MAX || n < INT_MIN)
			return ctr_err(-EINVAL, "invalid log opt max-file=%s: max-file must be an "
						"integer",
				       ESC(files));
		if (n < 1)
			return ctr_err(-EINVAL, "max-file cannot be less than 1");
		if (n > LOG_MAX_FILE_LIMIT)
			return ctr_err(-EINVAL, "max-file cannot be more than %d", LOG_MAX_FILE_LIMIT);
		c.max_file = (int)n;
	}
	*out = c;
	return 0;
}

void log_file_name(int k, char buf[LOG_FILE_NAME_MAX])
{
	if (k <= 0)
		snprintf(buf, LOG_FILE_NAME_MAX, "log.json");
	else
		snprintf(buf, LOG_FILE_NAME_MAX, "log.json.%d", k);
}
