/* Unit tests for lib/core/restart.c: the --restart parser with Docker's messages, the decision
 * at an exit (moby restartmanager ShouldRestart), the back-off. */
#include <errno.h>
#include <string.h>

#include "core/restart.h"
#include "core/util.h"
#include "tap.h"

struct pcase {
	const char *in;
	enum restart_policy policy;
	int max;
	const char *msg; /* NULL: accepted */
};

#define ONLY_ON_FAILURE "invalid restart policy: maximum retry count can only be used with " \
			"'on-failure'"
#define NOT_INT "invalid restart policy format: maximum retry count must be an integer"
#define UNKNOWN(x) "invalid restart policy: unknown policy '" x "'; use one of 'no', " \
		   "'always', 'on-failure', or 'unless-stopped'"

static const struct pcase parse_cases[] = {
	{ NULL, RP_NO, 0, NULL },
	{ "", RP_NO, 0, NULL },
	{ "no", RP_NO, 0, NULL },
	{ "no:0", RP_NO, 0, NULL },
	{ "always", RP_ALWAYS, 0, NULL },
	{ "unless-stopped", RP_UNLESS_STOPPED, 0, NULL },
	{ "on-failure", RP_ON_FAILURE, 0, NULL },
	{ "on-failure:", RP_ON_FAILURE, 0, NULL },
	{ "on-failure:5", RP_ON_FAILURE, 5, NULL },
	{ "on-failure:+5", RP_ON_FAILURE, 5, NULL },
	{ "on-failure:0", RP_ON_FAILURE, 0, NULL },
	{ "on-failure:2147483647", RP_ON_FAILURE, 2147483647, NULL },
	{ "on-failure:-1", RP_NO, 0, "invalid restart policy: maximum retry count cannot be "
				     "negative" },
	{ "on-failure:x", RP_NO, 0, NOT_INT },
	{ "on-failure:5x", RP_NO, 0, NOT_INT },
	{ "on-failure: 5", RP_NO, 0, NOT_INT },
	{ "on-failure:-", RP_NO, 0, NOT_INT },
	{ "on-failure:1:2", RP_NO, 0, NOT_INT },
	{ "on-failure:99999999999", RP_NO, 0, NOT_INT },
	{ ":3", RP_NO, 0, "invalid restart policy format: no policy provided before colon" },
	{ ":", RP_NO, 0, "invalid restart policy format: no policy provided before colon" },
	{ "always:3", RP_NO, 0, ONLY_ON_FAILURE },
	{ "no:1", RP_NO, 0, ONLY_ON_FAILURE },
	{ "unless-stopped:-2", RP_NO, 0, ONLY_ON_FAILURE " and cannot be negative" },
	{ "sometimes", RP_NO, 0, UNKNOWN("sometimes") },
	{ "Always", RP_NO, 0, UNKNOWN("Always") },
	{ "on-failure ", RP_NO, 0, UNKNOWN("on-failure ") },
	{ "sometimes:3", RP_NO, 0, UNKNOWN("sometimes") },
	{ "a\nb", RP_NO, 0, UNKNOWN("a\\nb") },
};

static void test_parse(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct pcase *c = &parse_cases[i];
		enum restart_policy p = RP_ALWAYS;
		int max = -7;
		ctr_err_clear();
		int r = restart_parse(c->in, &p, &max);
		if (!c->msg)
			ok(r == 0 && p == c->policy && max == c->max, "parse \"%s\"",
			   c->in ? c->in : "(null)");
		else
			ok(r == -EINVAL && strcmp(ctr_err_msg(), c->msg) == 0,
			   "parse case %zu refused: %s", i, ctr_err_msg());
	}
	for (int p = RP_NO; p <= RP_ON_FAILURE; p++) {
		enum restart_policy back;
		int max;
		ok(restart_parse(restart_policy_name((enum restart_policy)p), &back, &max) == 0 &&
			   (int)back == p,
		   "name %s parses back", restart_policy_name((enum restart_policy)p));
	}
	is_str(restart_policy_name((enum restart_policy)42), "no", "an unknown value is named no");
}

struct wcase {
	enum restart_policy p;
	int max;
	uint64_t restarts;
	int code;
	bool manual;
	bool want;
};

static const struct wcase wanted_cases[] = {
	{ RP_NO, 0, 0, 1, false, false },
	{ RP_ALWAYS, 0, 0, 0, false, true },
	{ RP_ALWAYS, 0, 1000, 137, false, true },
	{ RP_ALWAYS, 0, 0, 1, true, false },
	{ RP_UNLESS_STOPPED, 0, 0, 0, false, true },
	{ RP_UNLESS_STOPPED, 0, 0, 0, true, false },
	{ RP_ON_FAILURE, 0, 0, 0, false, false },
	{ RP_ON_FAILURE, 0, 0, 1, false, true },
	{ RP_ON_FAILURE, 0, 99999, 1, false, true },
	{ RP_ON_FAILURE, 2, 0, 1, false, true },
	{ RP_ON_FAILURE, 2, 1, 1, false, true },
	{ RP_ON_FAILURE, 2, 2, 1, false, false },
	{ RP_ON_FAILURE, 2, 1, 0, false, false },
	{ RP_ON_FAILURE, 2, 0, 1, true, false },
};

static void test_wanted(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(wanted_cases); i++) {
		const struct wcase *c = &wanted_cases[i];
		ok(restart_wanted(c->p, c->max, c->restarts, c->code, c->manual) == c->want,
		   "restart_wanted case %zu: %s max %d after %llu, code %d%s: %s", i,
		   restart_policy_name(c->p), c->max, (unsigned long long)c->restarts, c->code,
		   c->manual ? ", stopped by hand" : "", c->want ? "yes" : "no");
	}
}

static void test_delay(void)
{
	const int64_t s = 1000000000LL;
	is_int(restart_delay(0, 0), 100, "the first wait is 100 ms");
	is_int(restart_delay(100, s), 200, "then it doubles");
	is_int(restart_delay(200, 9 * s), 400, "a run under 10 s keeps doubling");
	is_int(restart_delay(25600, 0), 51200, "51.2 s");
	is_int(restart_delay(51200, 0), 60000, "capped at a minute");
	is_int(restart_delay(60000, 0), 60000, "and stays there");
	is_int(restart_delay(60000, 10 * s), 100, "a run of 10 s starts again at 100 ms");
	is_int(restart_delay(800, 3600 * s), 100, "and a long one");
	unsigned d = 0;
	for (int i = 0; i < 50; i++)
		d = restart_delay(d, 0);
	is_int(d, 60000, "fifty quick failures wait a minute");
}

int main(void)
{
	test_parse();
	test_wanted();
	test_delay();
	return done_testing();
}
