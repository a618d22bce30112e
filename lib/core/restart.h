/* Restart policies (`--restart`), as Docker's restart manager applies them (pure code): the
 * policy's parser with Docker's messages, the decision at each exit, and the back-off between
 * restarts.  The monitor applies the decision (ops/run.c run_finish, run_policy_restart). */
#ifndef CTR_RESTART_H
#define CTR_RESTART_H

#include <stdbool.h>
#include <stdint.h>

enum restart_policy {
	RP_NO = 0,
	RP_ALWAYS,
	RP_UNLESS_STOPPED,
	RP_ON_FAILURE,
};

/* Docker's shortest and longest waits before a restart, and how long a run must last for the
 * wait to start again from the shortest. */
#define RESTART_DELAY_MIN_MS 100u
#define RESTART_DELAY_MAX_MS 60000u
#define RESTART_RESET_NS (10LL * 1000000000LL)

/* "no", "always", "unless-stopped", "on-failure" */
const char *restart_policy_name(enum restart_policy p);

/* Parse `--restart`: "" or NULL (none: "no"), "no", "always", "unless-stopped",
 * "on-failure[:N]".  -EINVAL with Docker's message for a policy it refuses (an unknown name,
 * a count that is not an integer, is negative, or is given to another policy than
 * on-failure). */
int restart_parse(const char *s, enum restart_policy *policy, int *max_retries);

/* Whether a run that ended with `exit_code` is restarted: never after a manual stop; `always`
 * and `unless-stopped` always; `on-failure` when the code is not 0 and fewer than
 * `max_retries` restarts happened (0: no limit). */
bool restart_wanted(enum restart_policy p, int max_retries, uint64_t restarts, int exit_code,
		    bool manually_stopped);

/* The wait before the next restart: the shortest after a run of at least 10 s (or the first
 * time), else twice the last one, at most a minute. */
unsigned restart_delay(unsigned last_ms, int64_t ran_ns);

#endif
