/* Restart policies: parsing, the decision at an exit, the back-off (see restart.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "core/restart.h"
#include "core/util.h"

static const char *const names[] = {
	[RP_NO] = "no",
	[RP_ALWAYS] = "always",
	[RP_UNLESS_STOPPED] = "unless-stopped",
	[RP_ON_FAILURE] = "on-failure",
};

const char *restart_policy_name(enum restart_policy p)
{
	return (unsigned)p < ARRAY_SIZE(names) ? names[p] : "no";
}

int restart_parse(const char *s, enum restart_policy *policy, int *max_retries)
{
	*policy = RP_NO;
	*max_retries = 0;
	if (!s || !*s)
		return 0;
	const char *colon = strchr(s, ':');
	size_t klen = colon ? (size_t)(colon - s) : strlen(s);
	long count = 0;
	if (colon && klen == 0)
		return ctr_err(-EINVAL, "invalid restart policy format: no policy provided before "
					"colon");
	if (colon && colon[1]) {
		/* as Go's strconv.Atoi: an optional sign and decimal digits, nothing else */
		const char *d = colon + 1 + (colon[1] == '+' || colon[1] == '-');
		char *end = NULL;
		errno = 0;
		if (*d >= '0' && *d <= '9')
			count = strtol(colon + 1, &end, 10);
		if (!end || *end || errno || count < INT_MIN || count > INT_MAX)
			return ctr_err(-EINVAL, "invalid restart policy format: maximum retry count "
						"must be an integer");
	}
	enum restart_policy p = RP_NO;
	bool known = false;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == klen && strncmp(s, names[i], klen) == 0) {
			p = (enum restart_policy)i;
			known = true;
		}
	if (!known) {
		char name[256], shown[160];
		snprintf(name, sizeof name, "%.*s", (int)(klen < sizeof name ? klen : sizeof name - 1),
			 s);
		msg_escape(name, shown, sizeof shown);
		return ctr_err(-EINVAL, "invalid restart policy: unknown policy '%s'; use one of "
					"'no', 'always', 'on-failure', or 'unless-stopped'",
			       shown);
	}
	if (p != RP_ON_FAILURE && count != 0)
		return ctr_err(-EINVAL, "invalid restart policy: maximum retry count can only be "
					"used with 'on-failure'%s",
			       count < 0 ? " and cannot be negative" : "");
	if (count < 0)
		return ctr_err(-EINVAL, "invalid restart policy: maximum retry count cannot be "
					"negative");
	*policy = p;
	*max_retries = (int)count;
	return 0;
}

bool restart_wanted(enum restart_policy p, int max_retries, uint64_t restarts, int exit_code,
		    bool manually_stopped)
{
	if (manually_stopped)
		return false;
	switch (p) {
	case RP_ALWAYS:
	case RP_UNLESS_STOPPED:
		return true;
	case RP_ON_FAILURE:
		return exit_code != 0 && (max_retries <= 0 || restarts < (uint64_t)max_retries);
	default:
		return false;
	}
}

unsigned restart_delay(unsigned last_ms, int64_t ran_ns)
{
	if (ran_ns >= RESTART_RESET_NS || last_ms == 0)
		return RESTART_DELAY_MIN_MS;
	if (last_ms >= RESTART_DELAY_MAX_MS / 2)
		return RESTART_DELAY_MAX_MS;
	return last_ms * 2;
}
