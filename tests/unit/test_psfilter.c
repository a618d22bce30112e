/* Unit tests of examples/ctrlink/psfilter.c: `ps --filter`, `-n` and `-l` with the daemon's
 * semantics (moby daemon/list.go). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "psfilter.h"
#include "tap.h"

/* newest first: c (created), b (running, 8080->80/tcp, 5000/udp exposed), a (exited 3),
 * d (exited 0, linked to by b as /b/db) */
static const char list_json[] =
	"[{\"Id\":\"cc11\",\"Names\":[\"/c-three\"],\"State\":\"created\",\"ExitCode\":0,"
	"\"StartedAt\":\"0001-01-01T00:00:00Z\",\"Ports\":[]},"
	"{\"Id\":\"bb22\",\"Names\":[\"/b-two\"],\"State\":\"running\",\"ExitCode\":0,"
	"\"StartedAt\":\"2026-01-01T00:00:00Z\",\"Ports\":[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,"
	"\"PublicPort\":8080,\"Type\":\"tcp\"},{\"PrivatePort\":5000,\"PublicPort\":0,"
	"\"Type\":\"udp\"}]},"
	"{\"Id\":\"aa33\",\"Names\":[\"/a-one\"],\"State\":\"exited\",\"ExitCode\":3,"
	"\"StartedAt\":\"2026-01-01T00:00:00Z\",\"Ports\":[]},"
	"{\"Id\":\"cc44\",\"Names\":[\"/b/db\",\"/d-four\"],\"State\":\"exited\",\"ExitCode\":0,"
	"\"StartedAt\":\"2026-01-01T00:00:00Z\",\"Ports\":[]}]";

/* The names selected, "c b a d" style, for filters given as one "|"-separated string. */
static void check(const char *filters, bool all, long long limit, const char *before,
		  const char *since, const char *want)
{
	const char *vals[8];
	char buf[256];
	size_t n = 0;
	snprintf(buf, sizeof buf, "%s", filters);
	for (char *t = strtok(buf, "|"); t && n < 8; t = strtok(NULL, "|"))
		vals[n++] = t;
	struct ps_filter *f = NULL;
	char *err = NULL;
	int e = ps_filter_new(vals, n, &f, &err);
	if (!ok(e == 0, "%s: parses", filters)) {
		diag("%s", err ? err : "?");
		free(err);
		return;
	}
	cJSON *list = cJSON_Parse(list_json);
	bool keep[4];
	ps_filter_select(f, list, all || ps_filter_implies_all(f), limit, before, since, keep);
	char got[64] = "";
	static const char *const nm[] = { "c", "b", "a", "d" };
	for (int i = 0; i < 4; i++)
		if (keep[i])
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", *got ? " " : "",
				 nm[i]);
	is_str(got, want, "%s (all %d, limit %lld)", filters, all, limit);
	cJSON_Delete(list);
	ps_filter_free(f);
}

static void check_err(const char *value, int code, const char *want)
{
	const char *vals[] = { value };
	struct ps_filter *f = NULL;
	char *err = NULL;
	int e = ps_filter_new(vals, 1, &f, &err);
	ok(e == code && f == NULL, "%s: refused", value);
	is_str(err, want, "%s: message", value);
	free(err);
}

int main(void)
{
	check("", false, -1, NULL, NULL, "b");
	check("", true, -1, NULL, NULL, "c b a d");
	check("", false, 2, NULL, NULL, "c b");
	check("", false, 1, NULL, NULL, "c");
	check("name=one", true, -1, NULL, NULL, "a");
	check("name=^/b", true, -1, NULL, NULL, "b");
	check("name=o", true, -1, NULL, NULL, "b a d");
	check("name=one|name=three", true, -1, NULL, NULL, "c a");
	check("name=db", true, -1, NULL, NULL, "");       /* a link name alone does not do */
	check("name=four", true, -1, NULL, NULL, "d");
	check(" NAME = one ", true, -1, NULL, NULL, "a"); /* trimmed, key lower-cased */
	check("id=bb", true, -1, NULL, NULL, "b");
	check("id=cc", true, -1, NULL, NULL, "");         /* an ambiguous prefix names nothing */
	check("id=cc11|id=aa", true, -1, NULL, NULL, "c a");
	check("id=bb22|name=one", true, -1, NULL, NULL, "");
	check("status=exited", false, -1, NULL, NULL, "a d");
	check("status=created|status=running", false, -1, NULL, NULL, "c b");
	check("exited=3", true, -1, NULL, NULL, "a");
	check("exited=0", true, -1, NULL, NULL, "d");     /* c never started */
	check("exited=0", false, -1, NULL, NULL, "");
	check("publish=8080", true, -1, NULL, NULL, "b");
	check("publish=8000-9000/tcp", true, -1, NULL, NULL, "b");
	check("publish=80", true, -1, NULL, NULL, "");
	check("expose=80/TCP", true, -1, NULL, NULL, "b");
	check("expose=5000/udp", true, -1, NULL, NULL, "b");
	check("expose=5000", true, -1, NULL, NULL, "");
	check("name=o|status=running", true, -1, NULL, NULL, "b");
	check("", true, -1, "bb22", NULL, "a d");
	check("", true, -1, NULL, "aa33", "c b");
	check("", true, -1, "cc11", "cc44", "b a");
	check("", true, 1, "cc11", NULL, "b");
	check("status=exited", false, 1, NULL, NULL, "a");

	check_err("foo=bar", -EINVAL, "invalid filter 'foo'");
	check_err("running", -EBADMSG, "bad format of filter (expected name=value)");
	check_err("status=up", -EINVAL,
		  "invalid filter 'status=up': invalid value for state (up): must be one of created, "
		  "running, paused, restarting, removing, exited, dead");
	check_err("exited=x", -EINVAL,
		  "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax");
	check_err("publish=80:80", -EINVAL, "filter for 'publish' should not contain ':': 80:80");
	check_err("publish=", -EINVAL,
		  "error while looking up for publish : invalid port range: value is empty");
	check_err("expose=x-90", -EINVAL,
		  "error while looking up for expose x-90: invalid start port 'x': invalid syntax");
	check_err("expose=80-y", -EINVAL,
		  "error while looking up for expose 80-y: invalid end port 'y': invalid syntax");
	check_err("expose=90-80", -EINVAL,
		  "error while looking up for expose 90-80: invalid port range: 90-80");
	check_err("expose=70000", -EINVAL,
		  "error while looking up for expose 70000: invalid start port '70000': value out of "
		  "range");
	return done_testing();
}
