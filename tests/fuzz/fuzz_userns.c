/* libFuzzer target: userns_mode_parse(), subid_parse(), userns_pool() and userns_pick() on
 * arbitrary bytes (a subuid(5) file).  Aborts when a message carries a control character, when
 * a parsed entry is not one the text holds (a count of 0, a number of more than 10 digits), or
 * when a picked range leaves its pool, reaches (uid_t)-1 or overlaps a taken range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/userns.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	bool want;
	ctr_err_clear();
	if (userns_mode_parse(s, &want) < 0) {
		const char *m = ctr_err_msg();
		for (size_t i = 0; m[i]; i++)
			if ((unsigned char)m[i] < 0x20)
				abort();
	}

	struct id_ranges pool = { 0 }, taken = { 0 };
	if (userns_pool(s, &pool, &taken) == 0) {
		for (size_t i = 0; i < pool.n; i++)
			if (!pool.v[i].count || pool.v[i].start > 9999999999ull)
				abort();
		/* take a few slots one after the other: each is new, inside the pool, below -1 */
		for (int k = 0; k < 4; k++) {
			uint64_t start;
			if (userns_pick(&pool, &taken, &start) < 0)
				break;
			if (start + USERNS_SIZE > 4294967295ull)
				abort();
			bool inside = false;
			for (size_t i = 0; i < pool.n; i++)
				inside |= start >= pool.v[i].start &&
					  start + USERNS_SIZE <= pool.v[i].start + pool.v[i].count;
			for (size_t i = 0; i < taken.n; i++)
				if (taken.v[i].start < start + USERNS_SIZE &&
				    start < taken.v[i].start + taken.v[i].count)
					abort();
			if (!inside || id_ranges_add(&taken, start, USERNS_SIZE) < 0)
				abort();
		}
	}
	id_ranges_free(&pool);
	id_ranges_free(&taken);
	free(s);
	return 0;
}
