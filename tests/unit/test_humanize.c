/*
 * Unit tests for examples/ctrlink/humanize.c: go-units' HumanDuration, `docker ps` CREATED
 * and STATUS, Go's RFC 3339 formatting and parsing.  One TAP point per table row.
 */
#include "tap.h"
#include "humanize.h"

#include <errno.h>
#include <limits.h>

#define MIN 60LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)
#define MONTH (30 * DAY)
#define YEAR (365 * DAY)

/* go-units' duration_test.go, in whole seconds, plus the edges of every threshold. */
static const struct {
	long long s;
	const char *want;
} durations[] = {
	{ -5, "Less than a second" },
	{ 0, "Less than a second" },
	{ 1, "1 second" },
	{ 2, "2 seconds" },
	{ 45, "45 seconds" },
	{ 46, "46 seconds" },
	{ 59, "59 seconds" },
	{ 60, "About a minute" },
	{ 119, "About a minute" },
	{ 120, "2 minutes" },
	{ 3 * MIN, "3 minutes" },
	{ 35 * MIN, "35 minutes" },
	{ 35 * MIN + 40, "35 minutes" },
	{ 45 * MIN, "45 minutes" },
	{ 45 * MIN + 40, "45 minutes" },
	{ 46 * MIN, "46 minutes" },
	{ 59 * MIN, "59 minutes" },
	{ 59 * MIN + 59, "59 minutes" },
	{ HOUR, "About an hour" },
	{ HOUR + 29 * MIN, "About an hour" },
	{ HOUR + 29 * MIN + 59, "About an hour" },
	{ HOUR + 30 * MIN, "2 hours" },
	{ HOUR + 31 * MIN, "2 hours" },
	{ HOUR + 59 * MIN, "2 hours" },
	{ 3 * HOUR, "3 hours" },
	{ 3 * HOUR + 29 * MIN, "3 hours" },
	{ 3 * HOUR + 31 * MIN, "4 hours" },
	{ 3 * HOUR + 59 * MIN, "4 hours" },
	{ 3 * HOUR + 60 * MIN, "4 hours" },
	{ 24 * HOUR, "24 hours" },
	{ DAY + 12 * HOUR, "36 hours" },
	{ 47 * HOUR + 29 * MIN, "47 hours" },
	{ 47 * HOUR + 30 * MIN, "2 days" },
	{ 2 * DAY, "2 days" },
	{ 7 * DAY, "7 days" },
	{ 13 * DAY + 5 * HOUR, "13 days" },
	{ 13 * DAY + 23 * HOUR + 29 * MIN, "13 days" },
	{ 13 * DAY + 23 * HOUR + 30 * MIN, "2 weeks" },
	{ 2 * WEEK, "2 weeks" },
	{ 2 * WEEK + 4 * DAY, "2 weeks" },
	{ 3 * WEEK, "3 weeks" },
	{ 4 * WEEK, "4 weeks" },
	{ 4 * WEEK + 3 * DAY, "4 weeks" },
	{ MONTH, "4 weeks" },
	{ MONTH + 2 * WEEK, "6 weeks" },
	{ 60 * DAY - 31 * MIN, "8 weeks" },
	{ 60 * DAY - 30 * MIN, "2 months" },	/* hours round up to 1440 */
	{ 2 * MONTH, "2 months" },
	{ 2 * MONTH + 2 * WEEK, "2 months" },
	{ 3 * MONTH, "3 months" },
	{ 3 * MONTH + WEEK, "3 months" },
	{ 5 * MONTH + 2 * WEEK, "5 months" },
	{ 13 * MONTH, "13 months" },
	{ 23 * MONTH, "23 months" },
	{ 24 * MONTH, "24 months" },
	{ 24 * MONTH + 2 * WEEK, "2 years" },
	{ 3 * YEAR + 2 * MONTH, "3 years" },
	{ 100 * YEAR, "100 years" },
	{ 1000000000000LL, "292 years" },	/* beyond time.Duration: clamped as Go does */
	{ LLONG_MAX, "292 years" },
	{ LLONG_MIN, "Less than a second" },
};

static const long long NOW = 1795864481;	/* 2026-11-28T11:14:41Z */
static const long long Z = HUMAN_TIME_ZERO;

static const struct {
	const char *state;
	int code;
	long long started, finished;
	const char *want;
} statuses[] = {
	{ "running", 0, NOW - 5, Z, "Up 5 seconds" },
	{ "running", 0, NOW, Z, "Up Less than a second" },
	{ "running", 0, NOW + 3, Z, "Up Less than a second" },	/* clock skew */
	{ "running", 0, NOW - 90, Z, "Up About a minute" },
	{ "running", 0, NOW - HOUR, Z, "Up About an hour" },
	{ "running", 0, NOW - 3 * DAY, NOW - 5 * DAY, "Up 3 days" },
	{ "paused", 0, NOW - 3 * HOUR, Z, "Up 3 hours (Paused)" },
	{ "restarting", 1, NOW - 10, NOW - 3, "Restarting (1) 3 seconds ago" },
	{ "removing", 0, NOW - 10, NOW - 3, "Removal In Progress" },
	{ "dead", 0, NOW - 10, NOW - 3, "Dead" },
	{ "created", 0, Z, Z, "Created" },
	{ "exited", 0, NOW - 10, NOW - 3, "Exited (0) 3 seconds ago" },
	{ "exited", 137, NOW - 5 * DAY, NOW - 2 * DAY, "Exited (137) 2 days ago" },
	{ "exited", -1, NOW - 10, NOW, "Exited (-1) Less than a second ago" },
	{ "exited", 0, Z, Z, "Created" },
	{ "exited", 0, NOW - 10, Z, "" },
	{ "exited", 0, NOW - 10, Z - 5, "" },
	{ "RUNNING", 0, NOW - 2, Z, "Up 2 seconds" },
	{ "weird", 0, NOW, NOW, "weird" },
	{ "", 0, NOW, NOW, "" },
	{ NULL, 0, NOW, NOW, "" },
};

static const struct {
	long long sec;
	long nsec;
	const char *want;
	int roundtrip;	/* parse_rfc3339 gives sec/nsec back (normalized) */
} stamps[] = {
	{ 0, 0, "1970-01-01T00:00:00Z", 1 },
	{ 1795864481, 0, "2026-11-28T11:14:41Z", 1 },
	{ 1795864481, 123456789, "2026-11-28T11:14:41.123456789Z", 1 },
	{ 1795864481, 500000000, "2026-11-28T11:14:41.5Z", 1 },
	{ 1795864481, 120000000, "2026-11-28T11:14:41.12Z", 1 },
	{ 1795864481, 1000, "2026-11-28T11:14:41.000001Z", 1 },
	{ 1795864481, 1, "2026-11-28T11:14:41.000000001Z", 1 },
	{ HUMAN_TIME_ZERO, 0, "0001-01-01T00:00:00Z", 1 },
	{ -1, 0, "1969-12-31T23:59:59Z", 1 },
	{ 1709208000, 0, "2024-02-29T12:00:00Z", 1 },
	{ 951868800, 0, "2000-03-01T00:00:00Z", 1 },
	{ -2203891200, 0, "1900-03-01T00:00:00Z", 1 },
	{ 253402300799, 999999999, "9999-12-31T23:59:59.999999999Z", 1 },
	{ 0, 1500000000, "1970-01-01T00:00:01.5Z", 1 },
	{ 0, -1, "1969-12-31T23:59:59.999999999Z", 1 },
	{ 253402300800, 0, "10000-01-01T00:00:00Z", 0 },
	{ HUMAN_TIME_ZERO - 366 * DAY, 0, "0000-01-01T00:00:00Z", 1 },	/* year 0 is leap */
	{ HUMAN_TIME_ZERO - (366 + 365) * DAY, 0, "-0001-01-01T00:00:00Z", 0 },
};

static const struct {
	const char *s;
	int rc;
	long long sec;
	long nsec;
} parses[] = {
	{ "2026-11-28T12:14:41+01:00", 0, 1795864481, 0 },
	{ "2026-11-28T06:14:41-05:00", 0, 1795864481, 0 },
	{ "2026-11-28T11:44:41.25+00:30", 0, 1795864481, 250000000 },
	{ "2026-11-28T11:14:41,5Z", 0, 1795864481, 500000000 },
	{ "2026-11-28T11:14:41.1234567891Z", -EINVAL, 0, 0 },	/* Go: at most 9 digits */
	{ "2026-11-28T11:14:41.000Z", 0, 1795864481, 0 },
	{ "2024-02-29T00:00:00Z", 0, 1709164800, 0 },
	{ "2000-02-29T00:00:00Z", 0, 951782400, 0 },
	{ "", -EINVAL, 0, 0 },
	{ "2026-11-28", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:41", -EINVAL, 0, 0 },
	{ "2026-11-28 11:14:41Z", -EINVAL, 0, 0 },
	{ "26-11-28T11:14:41Z", -EINVAL, 0, 0 },
	{ "2026-13-01T00:00:00Z", -EINVAL, 0, 0 },
	{ "2026-00-01T00:00:00Z", -EINVAL, 0, 0 },
	{ "2026-02-29T00:00:00Z", -EINVAL, 0, 0 },
	{ "1900-02-29T00:00:00Z", -EINVAL, 0, 0 },
	{ "2026-04-31T00:00:00Z", -EINVAL, 0, 0 },
	{ "2026-11-00T00:00:00Z", -EINVAL, 0, 0 },
	{ "2026-11-28T24:00:00Z", -EINVAL, 0, 0 },
	{ "2026-11-28T11:60:00Z", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:60Z", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:41.Z", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:41Zjunk", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:41+0100", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:41+24:00", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:41+01:60", -EINVAL, 0, 0 },
	{ "2026-11-28T11:14:4", -EINVAL, 0, 0 },
	{ "+2026-11-28T11:14:41Z", -EINVAL, 0, 0 },
};

int main(void)
{
	char buf[64];

	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		human_duration(buf, sizeof buf, durations[i].s);
		is_str(buf, durations[i].want, "human_duration(%lld)", durations[i].s);
	}

	ps_created(buf, sizeof buf, NOW - 5, NOW);
	is_str(buf, "5 seconds ago", "ps_created: 5 seconds ago");
	ps_created(buf, sizeof buf, NOW, NOW);
	is_str(buf, "Less than a second ago", "ps_created: just now");
	ps_created(buf, sizeof buf, NOW + 60, NOW);
	is_str(buf, "Less than a second ago", "ps_created: in the future");
	ps_created(buf, sizeof buf, NOW - 90, NOW);
	is_str(buf, "About a minute ago", "ps_created: About a minute ago");
	ps_created(buf, sizeof buf, NOW - 3 * WEEK, NOW);
	is_str(buf, "3 weeks ago", "ps_created: 3 weeks ago");
	ps_created(buf, sizeof buf, LLONG_MIN, LLONG_MAX);
	is_str(buf, "292 years ago", "ps_created: extreme values saturate");

	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		ps_status(buf, sizeof buf, statuses[i].state, statuses[i].code, statuses[i].started,
			  statuses[i].finished, NOW);
		is_str(buf, statuses[i].want, "ps_status(%s, %d)",
		       statuses[i].state ? statuses[i].state : "NULL", statuses[i].code);
	}

	for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
		rfc3339nano(buf, sizeof buf, stamps[i].sec, stamps[i].nsec);
		int good = strcmp(buf, stamps[i].want) == 0;
		if (good && stamps[i].roundtrip) {
			long long s = 0;
			long ns = 0;
			long long want_s = stamps[i].sec + stamps[i].nsec / 1000000000L;
			long want_ns = stamps[i].nsec % 1000000000L;
			if (want_ns < 0) {
				want_ns += 1000000000L;
				want_s--;
			}
			good = parse_rfc3339(buf, &s, &ns) == 0 && s == want_s && ns == want_ns;
		}
		ok(good, "rfc3339nano(%lld, %ld) = %s%s", stamps[i].sec, stamps[i].nsec,
		   stamps[i].want, stamps[i].roundtrip ? ", and parses back" : "");
		if (!good)
			diag("got \"%s\"", buf);
	}

	for (size_t i = 0; i < sizeof parses / sizeof parses[0]; i++) {
		long long s = -42;
		long ns = -42;
		int rc = parse_rfc3339(parses[i].s, &s, &ns);
		int good = rc == parses[i].rc &&
			   (rc || (s == parses[i].sec && ns == parses[i].nsec));
		ok(good, "parse_rfc3339(\"%s\") %s", parses[i].s,
		   parses[i].rc ? "fails" : "parses");
		if (!good)
			diag("rc=%d sec=%lld nsec=%ld", rc, s, ns);
	}

	/* edges: NULL arguments, tiny buffers, the largest times */
	long long s;
	long ns;
	ok(parse_rfc3339(NULL, &s, &ns) == -EINVAL, "parse_rfc3339(NULL) fails");
	ok(parse_rfc3339("2026-11-28T11:14:41Z", NULL, &ns) == -EINVAL, "NULL sec fails");
	human_duration(NULL, 10, 5);
	rfc3339nano(buf, 0, 0, 0);
	ok(1, "NULL or empty buffers are left alone");
	char small[6];
	ps_status(small, sizeof small, "running", 0, NOW - 5, Z, NOW);
	is_str(small, "Up 5 ", "ps_status truncates to the buffer");
	human_duration(small, 1, 5);
	is_str(small, "", "a 1-byte buffer gets an empty string");
	rfc3339nano(buf, sizeof buf, LLONG_MAX, 999999999);
	ok(strlen(buf) > 20 && buf[strlen(buf) - 1] == 'Z', "rfc3339nano(LLONG_MAX): %s", buf);
	rfc3339nano(buf, sizeof buf, LLONG_MIN, -999999999);
	ok(strlen(buf) > 20 && buf[0] == '-' && buf[strlen(buf) - 1] == 'Z',
	   "rfc3339nano(LLONG_MIN): %s", buf);
	char exact[21];
	rfc3339nano(exact, sizeof exact, 1795864481, 0);
	is_str(exact, "2026-11-28T11:14:41Z", "an exactly-sized buffer holds the whole time");

	return done_testing();
}
