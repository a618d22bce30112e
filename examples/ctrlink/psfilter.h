/* psfilter.h — `ps --filter`, `--last` and `--latest` over the library's container list,
 * with the daemon's semantics (moby daemon/list.go, daemon/internal/filters/parse.go):
 * values of one key OR, different keys AND; name, id and status match exactly or as an
 * (unanchored) regular expression.  Pure code: no I/O; regular expressions are POSIX
 * extended ones (Go's are RE2: the common syntax is the same). */
#ifndef CTRLINK_PSFILTER_H
#define CTRLINK_PSFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct ps_filter;

/* Parse the -f values ("key=value"; the key is lower-cased, key and value are trimmed, as
 * docker/cli's filters.ParseFlag does; an empty value is skipped).  Returns 0 and *out, or
 *   -EBADMSG  a value without '=': *err = "bad format of filter (expected name=value)";
 *   -EINVAL   the daemon's refusal: *err = "invalid filter 'foo'",
 *             "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax",
 *             "invalid filter 'status=x': invalid value for state (x): must be one of …",
 *             "filter for 'publish' should not contain ':': 80:80",
 *             "error while looking up for expose x: invalid start port 'x': invalid syntax";
 *   -ENOMEM.
 * Accepted keys: name, id, status, exited, publish, expose, before, since.  *err is
 * malloc'd (or NULL on ENOMEM); free it. */
int ps_filter_new(const char *const *values, size_t n, struct ps_filter **out, char **err);

void ps_filter_free(struct ps_filter *f);

/* The container reference of `before` or `since` (the last one given), or NULL. */
const char *ps_filter_ref(const struct ps_filter *f, const char *key);

/* True when a status filter is given: it shows stopped containers too, as -a does. */
bool ps_filter_implies_all(const struct ps_filter *f);

/* Select from `list` (ctr_list's array with every container, newest first: Id, Names, State,
 * ExitCode, StartedAt, Ports) what `docker ps` shows: running ones unless `all` or `limit`
 * > 0 (-n; -1 for none), at most `limit` of them, those created before `before_id` / after
 * `since_id` (full IDs, or NULL), matching f (may be NULL).  keep[i] is set for each
 * element.  Returns 0 or -ENOMEM. */
int ps_filter_select(const struct ps_filter *f, const cJSON *list, bool all, long long limit,
		     const char *before_id, const char *since_id, bool *keep);

#endif
