/* libFuzzer target: logopt_parse() and log_size_parse() on arbitrary bytes (split at '\n'
 * into --log-opt entries).  Aborts when a message carries a control character or grows
 * unbounded, or when an accepted configuration breaks its bounds or does not read back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/logopt.h"
#include "core/util.h"

static void check_msg(void)
{
	const char *m = ctr_err_msg();
	size_t n = strlen(m);
	if (n == 0 || n > 600)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] >= 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	const char **opts = calloc(size + 2, sizeof *opts);
	if (!s || !opts) {
		free(s);
		free(opts);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';

	int64_t v;
	ctr_err_clear();
	if (log_size_parse(s, &v) < 0)
		check_msg();
	else if (v < 0 || v > LOG_MAX_SIZE_LIMIT)
		abort();

	size_t n = 0;
	opts[n++] = s;
	for (size_t i = 0; i < size; i++)
		if (s[i] == '\n') {
			s[i] = '\0';
			opts[n++] = s + i + 1;
		}
	struct log_config c;
	ctr_err_clear();
	if (logopt_parse(opts, &c) < 0) {
		check_msg();
	} else {
		int64_t back;
		if (c.max_size <= 0 || c.max_size > LOG_MAX_SIZE_LIMIT || c.max_file < 1 ||
		    c.max_file > LOG_MAX_FILE_LIMIT || log_size_parse(c.size_text, &back) < 0 ||
		    back != c.max_size)
			abort();
	}
	free(opts);
	free(s);
	return 0;
}
