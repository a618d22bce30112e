/* Unit tests for lib/core/logopt.c: Docker's size syntax (go-units FromHumanSize, decimal),
 * the json-file --log-opt keys max-size and max-file with Docker's messages, the default,
 * the log file names. */
#include <errno.h>
#include <string.h>

#include "core/logopt.h"
#include "core/util.h"
#include "tap.h"

struct scase {
	const char *in;
	long long want; /* -1: refused */
};

static const struct scase size_cases[] = {
	{ "0", 0 },
	{ "1", 1 },
	{ "512", 512 },
	{ "1b", 1 },
	{ "1B", 1 },
	{ "1k", 1000 },
	{ "1K", 1000 },
	{ "1kb", 1000 },
	{ "1KiB", 1000 },  /* FromHumanSize: the "i" does not make it binary */
	{ "10m", 10000000 },
	{ "10M", 10000000 },
	{ "10 MB", 10000000 },
	{ "1.5k", 1500 },
	{ "0.5m", 500000 },
	{ "1.0001k", 1000 }, /* truncated, as Go's int64(float64) */
	{ "2g", 2000000000LL },
	{ "1t", 1000000000000LL },
	{ "1p", 1000000000000000LL },
	{ "2p", -1 },       /* above LOG_MAX_SIZE_LIMIT */
	{ "", -1 },
	{ " 1m", -1 },
	{ "1m ", -1 },
	{ "1  m", -1 },
	{ "-1", -1 },
	{ "+1", -1 },
	{ "1.", -1 },
	{ ".5", -1 },
	{ "1.2.3", -1 },
	{ "10x", -1 },
	{ "1mm", -1 },
	{ "1bb", -1 },
	{ "1ib", -1 },
	{ "1e3", -1 },
	{ "m", -1 },
	{ "0x10", -1 },
	{ "99999999999999999999999999999999999", -1 },
};

static void test_sizes(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(size_cases); i++) {
		const struct scase *c = &size_cases[i];
		int64_t v = -7;
		ctr_err_clear();
		int e = log_size_parse(c->in, &v);
		if (c->want < 0) {
			char msg[128];
			snprintf(msg, sizeof msg, "invalid size: '%s'", c->in);
			ok(e == -EINVAL && strcmp(ctr_err_msg(), msg) == 0, "size \"%s\" refused (%s)",
			   c->in, ctr_err_msg());
		} else {
			ok(e == 0 && v == c->want, "size \"%s\" is %lld (got %lld)", c->in, c->want,
			   (long long)v);
		}
	}
}

struct ocase {
	const char *opts[4];
	long long size;
	int files;
	const char *text;
	const char *msg; /* NULL: accepted */
};

static const struct ocase opt_cases[] = {
	{ { NULL }, 1000000, 3, "1m", NULL },
	{ { "max-size=10m" }, 10000000, 1, "10m", NULL },
	{ { "max-size=10m", "max-file=5" }, 10000000, 5, "10m", NULL },
	{ { "max-file=5", "max-size=100k" }, 100000, 5, "100k", NULL },
	{ { "max-size=1k", "max-size=2k" }, 2000, 1, "2k", NULL },
	{ { "max-size=1k", "max-file=+2" }, 1000, 2, "1k", NULL },
	{ { "max-size=1k", "max-file=1000" }, 1000, 1000, "1k", NULL },
	{ { "max-size=10x" }, 0, 0, NULL, "invalid log opt max-size=10x: invalid size: '10x'" },
	{ { "max-size" }, 0, 0, NULL, "invalid log opt max-size=: invalid size: ''" },
	{ { "max-size=0" }, 0, 0, NULL, "max-size must be a positive number" },
	{ { "max-size=0.1" }, 0, 0, NULL, "max-size must be a positive number" },
	{ { "max-file=3" }, 0, 0, NULL, "max-file cannot be set without max-size (the size at "
					"which a log file is rotated)" },
	{ { "max-size=1m", "max-file=0" }, 0, 0, NULL, "max-file cannot be less than 1" },
	{ { "max-size=1m", "max-file=-1" }, 0, 0, NULL, "max-file cannot be less than 1" },
	{ { "max-size=1m", "max-file=x" }, 0, 0, NULL,
	  "invalid log opt max-file=x: max-file must be an integer" },
	{ { "max-size=1m", "max-file=" }, 0, 0, NULL,
	  "invalid log opt max-file=: max-file must be an integer" },
	{ { "max-size=1m", "max-file=2 " }, 0, 0, NULL,
	  "invalid log opt max-file=2 : max-file must be an integer" },
	{ { "max-size=1m", "max-file=1001" }, 0, 0, NULL, "max-file cannot be more than 1000" },
	{ { "max-size=1m", "max-file=99999999999999999999" }, 0, 0, NULL,
	  "invalid log opt max-file=99999999999999999999: max-file must be an integer" },
	{ { "mode=blocking" }, 0, 0, NULL, "unknown log opt 'mode' for json-file log driver" },
	{ { "=x" }, 0, 0, NULL, "unknown log opt '' for json-file log driver" },
	{ { "Max-Size=1m" }, 0, 0, NULL, "unknown log opt 'Max-Size' for json-file log driver" },
	{ { "max-size\n=1m" }, 0, 0, NULL,
	  "unknown log opt 'max-size\\n' for json-file log driver" },
	{ { "compress=true" }, 0, 0, NULL, "log opt 'compress' of the json-file log driver is not "
					   "supported (only max-size and max-file)" },
	{ { "tag={{.Name}}" }, 0, 0, NULL, "log opt 'tag' of the json-file log driver is not "
					   "supported (only max-size and max-file)" },
	{ { "max-size=0000000000000000000000000000000001m" }, 0, 0, NULL,
	  "invalid log opt max-size=0000000000000000000000000000000001m: invalid size: "
	  "'0000000000000000000000000000000001m'" },
};

static void test_opts(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(opt_cases); i++) {
		const struct ocase *c = &opt_cases[i];
		struct log_config lc;
		memset(&lc, 0x55, sizeof lc);
		ctr_err_clear();
		int e = logopt_parse(c->opts[0] ? c->opts : NULL, &lc);
		if (c->msg) {
			is_str(ctr_err_msg(), c->msg, "case %zu refused with its message", i);
			ok(e == -EINVAL, "case %zu: -EINVAL", i);
		} else {
			ok(e == 0 && lc.max_size == c->size && lc.max_file == c->files &&
				   strcmp(lc.size_text, c->text) == 0,
			   "case %zu: %lld bytes in %d files (\"%s\"); got %lld, %d", i, c->size,
			   c->files, c->text, (long long)lc.max_size, lc.max_file);
		}
	}
	const char *empty[] = { NULL };
	struct log_config lc;
	ok(logopt_parse(empty, &lc) == 0 && lc.max_size == LOG_DEFAULT_MAX_SIZE &&
		   lc.max_file == LOG_DEFAULT_MAX_FILE,
	   "an empty list is the default");
}

static void test_names(void)
{
	char b[LOG_FILE_NAME_MAX];
	log_file_name(0, b);
	is_str(b, "log.json", "file 0");
	log_file_name(1, b);
	is_str(b, "log.json.1", "file 1");
	log_file_name(LOG_MAX_FILE_LIMIT - 1, b);
	is_str(b, "log.json.999", "the last file");
}

int main(void)
{
	test_sizes();
	test_opts();
	test_names();
	return done_testing();
}
