/* Unit tests for lib/core/userns.c: the --userns mode, subuid(5) files, the choice of a
 * container's host range. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/userns.h"
#include "core/util.h"
#include "tap.h"

static void test_mode(void)
{
	static const struct {
		const char *in;
		int rc;
		bool want;
	} cases[] = {
		{ NULL, 0, false },    { "", 0, false },       { "host", 0, false },
		{ "auto", 0, true },   { "bogus", -EINVAL, 0 }, { "Auto", -EINVAL, 0 },
		{ "auto ", -EINVAL, 0 }, { "keep-id", -EINVAL, 0 }, { "auto:size=10", -EINVAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool want = !cases[i].want;
		ctr_err_clear();
		int rc = userns_mode_parse(cases[i].in, &want);
		ok(rc == cases[i].rc && (rc || want == cases[i].want), "mode \"%s\": %d",
		   cases[i].in ? cases[i].in : "(null)", rc);
	}
	bool w;
	userns_mode_parse("bo\ngus", &w);
	is_str(ctr_err_msg(), "invalid user namespace mode \"bo\\ngus\": use \"host\" (the default) "
			      "or \"auto\"",
	       "the message names the value, escaped");
}

static void test_subid(void)
{
	struct id_ranges own = { 0 }, others = { 0 };
	const char *text = "alice:100000:65536\n"
			   "# a comment\n"
			   "\n"
			   "containers:2147483647:2147483648\n"
			   "bob:165536:65536\n"
			   "containers:1000000:65536\n"
			   "broken line\n"
			   "c:x:1\n"
			   "d:1:\n"
			   ":5:5\n"
			   "e:1:0\n"
			   "f:99999999999:1\n"
			   "containersX:7:7\n"
			   "carol:300000:10"; /* no newline at the end */
	ok(subid_parse(text, "containers", &own, &others) == 0, "parse");
	ok(own.n == 2 && own.v[0].start == 2147483647u && own.v[0].count == 2147483648u &&
		   own.v[1].start == 1000000 && own.v[1].count == 65536,
	   "the containers entries, in order");
	ok(others.n == 4 && others.v[0].start == 100000 && others.v[1].start == 165536 &&
		   others.v[2].start == 7 && others.v[3].start == 300000 && others.v[3].count == 10,
	   "every other well-formed entry (%zu)", others.n);
	id_ranges_free(&own);
	id_ranges_free(&others);
	ok(subid_parse("", "containers", &own, &others) == 0 && own.n == 0 && others.n == 0,
	   "an empty file");
}

static uint64_t pick(const char *subid, const uint64_t *used, size_t n, int *rc)
{
	struct id_ranges pool = { 0 }, taken = { 0 };
	userns_pool(subid, &pool, &taken);
	for (size_t i = 0; i < n; i++)
		id_ranges_add(&taken, used[i], USERNS_SIZE);
	uint64_t start = 0;
	*rc = userns_pick(&pool, &taken, &start);
	id_ranges_free(&pool);
	id_ranges_free(&taken);
	return start;
}

static void test_pick(void)
{
	int rc;
	ok(pick(NULL, NULL, 0, &rc) == 100000 && rc == 0, "no file: the default base, 100000");
	ok(pick("", NULL, 0, &rc) == 100000 && rc == 0, "an empty file: the same");
	uint64_t used[] = { 100000, 165536 };
	ok(pick(NULL, used, 2, &rc) == 231072 && rc == 0, "the next free slot");
	uint64_t hole[] = { 165536 };
	ok(pick(NULL, hole, 1, &rc) == 100000 && rc == 0, "the lowest free one: a hole is reused");
	/* a user's subordinate range is passed over, to the next aligned slot */
	ok(pick("alice:100000:65536\nbob:170000:10\n", NULL, 0, &rc) == 231072 && rc == 0,
	   "users' ranges are passed over");
	ok(pick("containers:1000000:131072\n", NULL, 0, &rc) == 1000000 && rc == 0,
	   "the containers entry");
	uint64_t two[] = { 1000000, 1065536 };
	pick("containers:1000000:131072\n", two, 2, &rc);
	ok(rc == -ENOSPC, "a full containers range: -ENOSPC");
	uint64_t one[] = { 1000000 };
	ok(pick("containers:1000000:100000\ncontainers:5000000:65536\n", one, 1, &rc) == 5000000 &&
		   rc == 0,
	   "a range too small for another slot, then the next entry");
	/* a container recorded at an odd start (another library's choice) still blocks */
	uint64_t odd[] = { 130000 };
	ok(pick(NULL, odd, 1, &rc) == 231072 && rc == 0, "an unaligned taken range blocks both slots");
	ok(pick("containers:4294950000:2000000\n", NULL, 0, &rc) == 0 && rc == -ENOSPC,
	   "no range reaches (uid_t)-1");
	/* the default range: 2^31 - 100000 IDs, 32766 slots */
	struct id_ranges pool = { 0 }, taken = { 0 };
	userns_pool(NULL, &pool, &taken);
	id_ranges_add(&taken, 100000, USERNS_DEFAULT_END - 100000 - USERNS_SIZE);
	uint64_t s = 0;
	ok(userns_pick(&pool, &taken, &s) == -ENOSPC, "the default range ends below 2^31");
	id_ranges_free(&pool);
	id_ranges_free(&taken);
}

int main(void)
{
	test_mode();
	test_subid();
	test_pick();
	return done_testing();
}
