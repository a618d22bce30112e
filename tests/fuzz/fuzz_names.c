/* libFuzzer target: name_validate(), alias_validate(), msg_escape() and name_generate() on
 * arbitrary bytes.  Aborts when a message carries a control character or grows unbounded, or
 * when a name is accepted that the rule refuses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"

static void check_msg(void)
{
	const char *m = ctr_err_msg();
	size_t n = strlen(m);
	if (n > 400)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] >= 0x7f)
			abort();
}

static bool rule_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

struct bytes {
	const uint8_t *p;
	size_t n, i;
};

static uint64_t rand_bytes(void *ctx)
{
	struct bytes *b = ctx;
	uint64_t v = 0;
	for (int k = 0; k < 8; k++)
		v = v << 8 | (b->i < b->n ? b->p[b->i++] : 0);
	return v;
}

static bool taken_odd(const char *name, void *ctx)
{
	struct bytes *b = ctx;
	(void)name;
	return b->n && (b->p[b->n - 1] & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	ctr_err_clear();
	int r = name_validate(s);
	const char *body = s[0] == '/' ? s + 1 : s;
	if ((r == 0) != rule_ok(body, 2, CTR_NAME_MAX))
		abort();
	if (r < 0)
		check_msg();

	ctr_err_clear();
	r = alias_validate(s);
	if ((r == 0) != rule_ok(s, 1, CTR_ALIAS_MAX))
		abort();
	if (r < 0)
		check_msg();

	char esc[CTR_ESC_BUF];
	size_t len = size ? 8 + data[0] % (CTR_ESC_BUF - 7) : CTR_ESC_BUF;
	memset(esc, 'X', sizeof esc);
	msg_escape(s, esc, len);
	if (strlen(esc) >= len)
		abort();
	for (const char *p = esc; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			abort();

	struct bytes b = { data, size, 0 };
	char name[CTR_GEN_NAME_MAX];
	r = name_generate(name, sizeof name, rand_bytes, &b, taken_odd, &b);
	if (r == 0 && name_validate(name) != 0)
		abort();
	if (r != 0 && r != -EEXIST)
		abort();

	free(s);
	return 0;
}
