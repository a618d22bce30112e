/* Fault injection (test builds only): see FAULT() in core/util.h. */
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#ifdef CTR_FAULT_INJECTION
#include <signal.h>
#include <unistd.h>

#include <stdatomic.h>

static atomic_long fault_count;

void ctr_fault(const char *point)
{
	const char *want = getenv("CTRLINK_FAULT");
	(void)point;
	if (!want || !*want)
		return;
	long n = atomic_fetch_add(&fault_count, 1) + 1;
	if (n == strtol(want, NULL, 10))
		kill(getpid(), SIGKILL);
}

bool ctr_fault_enospc(const char *rel)
{
	const char *want = getenv("CTRLINK_FAULT_ENOSPC");
	return want && strcmp(want, rel) == 0;
}
#endif
