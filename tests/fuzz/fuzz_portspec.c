/* libFuzzer target for lib/core/portspec.c: arbitrary bytes, NUL-terminated, through the -p,
 * --expose and unpublish parsers.  Checks the invariants the callers rely on.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib -Iinclude lib/core/util.c lib/core/model.c \
 *         lib/core/portspec.c tests/fuzz/fuzz_portspec.c -o /tmp/fuzz_portspec
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/portspec.h"
#include "core/util.h"

static void check_bindings(int rc, const struct ctr_binding *v, size_t n)
{
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (rc != 0 && n != 0)
		abort(); /* an error appends nothing */
	if (rc == 0 && n == 0)
		abort(); /* success gives at least one binding */
	for (size_t i = 0; i < n; i++) {
		const struct ctr_binding *b = &v[i];
		if (b->cport.proto >= CTR_NPROTO || b->hp_lo > b->hp_hi)
			abort();
		if (strnlen(b->host_ip, sizeof b->host_ip) >= sizeof b->host_ip)
			abort();
		if (b->host_ip[0] && !portspec_ip_literal(b->host_ip))
			abort();
		if (!binding_equal(b, b))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	struct ctr_binding *v = NULL;
	size_t n = 0;
	ctr_err_clear();
	int rc = portspec_parse(s, &v, &n);
	check_bindings(rc, v, n);
	if (rc < 0 && ctr_err_msg()[0] == '\0')
		abort(); /* every error says why */

	struct ctr_binding *u = NULL;
	size_t un = 0;
	bool bare = false;
	int urc = portspec_parse_unpublish(s, &u, &un, &bare);
	check_bindings(urc, u, un);
	/* the same grammar: the same result */
	if (urc != rc || un != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!binding_equal(&v[i], &u[i]))
			abort();
	if (urc == 0 && bare) {
		for (size_t i = 0; i < un; i++)
			if (u[i].host_ip[0] || u[i].hp_lo || u[i].hp_hi)
				abort();
	}
	free(u);
	free(v);

	struct ctr_port *p = NULL;
	size_t pn = 0;
	ctr_err_clear();
	rc = expose_parse(s, &p, &pn);
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
	if (rc < 0 && ctr_err_msg()[0] == '\0')
		abort();
	if ((rc != 0) != (pn == 0))
		abort();
	for (size_t i = 0; i < pn; i++)
		if (p[i].proto >= CTR_NPROTO || (i && p[i].port != p[i - 1].port + 1))
			abort();
	free(p);

	free(s);
	return 0;
}
