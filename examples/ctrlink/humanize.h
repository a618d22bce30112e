/*
 * humanize.h — the human-readable times `docker ps` prints, and RFC 3339 timestamps as
 * `docker inspect` prints them.  Pure code: no system calls (the caller passes "now"), no
 * global state.
 *
 * Every function that writes into buf (of len bytes) always NUL-terminates it when len > 0,
 * truncating if it is too small (48 bytes is always enough), and does nothing when buf is NULL
 * or len is 0.
 */
#ifndef CTRLINK_HUMANIZE_H
#define CTRLINK_HUMANIZE_H

#include <stddef.h>

/* Go's zero time.Time, 0001-01-01T00:00:00Z, in Unix seconds: what an unset StartedAt or
 * FinishedAt is.  ps_status treats any time <= this value as "zero"; rfc3339nano prints it
 * as "0001-01-01T00:00:00Z" and parse_rfc3339 returns it for that string. */
#define HUMAN_TIME_ZERO (-62135596800LL)

/* go-units' HumanDuration of a duration in whole seconds: "Less than a second" (< 1, also
 * negative), "1 second", "59 seconds", "About a minute", "N minutes", "About an hour",
 * "N hours" (hours rounded, < 48), "N days" (< 14 days), "N weeks" (< 60 days),
 * "N months" (< 2 years), "N years".  Durations over Go's maximum (about 292 years) are
 * clamped to it, as time.Sub does. */
void human_duration(char *buf, size_t len, long long seconds);

/* `docker ps` CREATED column: "<human_duration(now - created)> ago". */
void ps_created(char *buf, size_t len, long long created_unix, long long now_unix);

/* `docker ps` STATUS column, as the daemon's State.String() writes it, from the state's
 * Status word ("created", "running", "paused", "restarting", "removing", "exited", "dead"):
 *   running     "Up 5 seconds"              (StartedAt)
 *   paused      "Up 5 seconds (Paused)"
 *   restarting  "Restarting (1) 3 seconds ago"  (FinishedAt)
 *   removing    "Removal In Progress"       (the daemon's words; not "Removing")
 *   dead        "Dead"
 *   created     "Created"
 *   exited      "Exited (0) 3 seconds ago"  (FinishedAt); "Created" if it never started,
 *               "" if it started but has no FinishedAt
 * Note Docker's own spelling: "Up Less than a second", "Exited (0) Less than a second ago",
 * "Up About a minute".  An unknown state word is copied as given. */
void ps_status(char *buf, size_t len, const char *state, int exit_code, long long started_unix,
	       long long finished_unix, long long now_unix);

/* UTC time as Go's time.RFC3339Nano prints it: "2026-11-28T11:14:41.123456789Z", trailing
 * zeros of the fraction removed, no fraction when it is 0.  nsec outside [0, 1e9) is carried
 * into sec.  HUMAN_TIME_ZERO prints as "0001-01-01T00:00:00Z".  Years outside 0000..9999
 * print with more digits or a minus sign, as Go does. */
void rfc3339nano(char *buf, size_t len, long long sec, long nsec);

/* The inverse of rfc3339nano, for what Go's time.Parse(time.RFC3339Nano) accepts:
 * "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)", a fraction of 1 to 9 digits that may
 * also follow a comma.  Fields are range-checked (no Feb 30, no second 60, offsets < 24h).
 * Returns 0 and sets *sec (Unix seconds, UTC) and *nsec, or -EINVAL. */
int parse_rfc3339(const char *s, long long *sec, long *nsec);

#endif
