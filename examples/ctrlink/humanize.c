/*
 * humanize.c — Docker's human-readable durations and RFC 3339 timestamps (see humanize.h).
 */
#include "humanize.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Go's time.Duration is int64 nanoseconds, and time.Sub saturates at its bounds. */
#define MAX_DURATION_S 9223372036LL

/* a - b, saturated to the range of long long. */
static long long sat_sub(long long a, long long b)
{
	if (b < 0 && a > LLONG_MAX + b)
		return LLONG_MAX;
	if (b > 0 && a < LLONG_MIN + b)
		return LLONG_MIN;
	return a - b;
}

void human_duration(char *buf, size_t len, long long s)
{
	if (!buf || !len)
		return;
	if (s > MAX_DURATION_S)
		s = MAX_DURATION_S;
	if (s < 1) {
		snprintf(buf, len, "Less than a second");
		return;
	}
	if (s == 1) {
		snprintf(buf, len, "1 second");
		return;
	}
	if (s < 60) {
		snprintf(buf, len, "%lld seconds", s);
		return;
	}
	long long minutes = s / 60;
	if (minutes == 1) {
		snprintf(buf, len, "About a minute");
		return;
	}
	if (minutes < 60) {
		snprintf(buf, len, "%lld minutes", minutes);
		return;
	}
	long long hours = (s + 1800) / 3600;	/* int(d.Hours() + 0.5) */
	if (hours == 1)
		snprintf(buf, len, "About an hour");
	else if (hours < 48)
		snprintf(buf, len, "%lld hours", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", hours / 24 / 30);
	else
		snprintf(buf, len, "%lld years", s / 3600 / 24 / 365);	/* not rounded */
}

void ps_created(char *buf, size_t len, long long created_unix, long long now_unix)
{
	char d[48];
	if (!buf || !len)
		return;
	human_duration(d, sizeof d, sat_sub(now_unix, created_unix));
	snprintf(buf, len, "%s ago", d);
}

void ps_status(char *buf, size_t len, const char *state, int exit_code, long long started_unix,
	       long long finished_unix, long long now_unix)
{
	char d[48];
	if (!buf || !len)
		return;
	if (!state)
		state = "";
	if (!strcasecmp(state, "running") || !strcasecmp(state, "paused")) {
		human_duration(d, sizeof d, sat_sub(now_unix, started_unix));
		snprintf(buf, len, "Up %s%s", d, !strcasecmp(state, "paused") ? " (Paused)" : "");
	} else if (!strcasecmp(state, "restarting")) {
		human_duration(d, sizeof d, sat_sub(now_unix, finished_unix));
		snprintf(buf, len, "Restarting (%d) %s ago", exit_code, d);
	} else if (!strcasecmp(state, "removing")) {
		snprintf(buf, len, "Removal In Progress");
	} else if (!strcasecmp(state, "dead")) {
		snprintf(buf, len, "Dead");
	} else if (!strcasecmp(state, "created")) {
		snprintf(buf, len, "Created");
	} else if (!strcasecmp(state, "exited")) {
		if (started_unix <= HUMAN_TIME_ZERO) {
			snprintf(buf, len, "Created");
		} else if (finished_unix <= HUMAN_TIME_ZERO) {
			buf[0] = '\0';
		} else {
			human_duration(d, sizeof d, sat_sub(now_unix, finished_unix));
			snprintf(buf, len, "Exited (%d) %s ago", exit_code, d);
		}
	} else {
		snprintf(buf, len, "%s", state);
	}
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void rfc3339nano(char *buf, size_t len, long long sec, long nsec)
{
	if (!buf || !len)
		return;
	long long carry = nsec / 1000000000L;
	nsec %= 1000000000L;
	if (nsec < 0) {
		nsec += 1000000000L;
		carry--;
	}
	if ((carry > 0 && sec > LLONG_MAX - carry) || (carry < 0 && sec < LLONG_MIN - carry))
		carry = 0;	/* cannot happen for any real time; stay defined */
	sec += carry;
	long long days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	long long y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	char frac[16] = "";
	if (nsec) {	/* 1 to 9 digits, trailing zeros dropped */
		long f = nsec;
		int digits = 9;
		while (f % 10 == 0) {
			f /= 10;
			digits--;
		}
		snprintf(frac, sizeof frac, ".%0*ld", digits, f);
	}
	snprintf(buf, len, "%s%04lld-%02d-%02dT%02lld:%02lld:%02lld%sZ", y < 0 ? "-" : "",
		 y < 0 ? -y : y, m, d, rem / 3600, rem / 60 % 60, rem % 60, frac);
}

/* n decimal digits at *s into *out; advances *s. */
static int digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*s)[i];
		if (c < '0' || c > '9')
			return -EINVAL;
		v = v * 10 + (c - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

static int expect_char(const char **s, char c)
{
	if (**s != c)
		return -EINVAL;
	(*s)++;
	return 0;
}

int parse_rfc3339(const char *s, long long *sec, long *nsec)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, oh = 0, om = 0, osign = 0;
	long ns = 0;
	if (!s || !sec || !nsec)
		return -EINVAL;
	if (digits(&s, 4, &y) || expect_char(&s, '-') || digits(&s, 2, &mo) ||
	    expect_char(&s, '-') || digits(&s, 2, &d) || expect_char(&s, 'T') ||
	    digits(&s, 2, &h) || expect_char(&s, ':') || digits(&s, 2, &mi) ||
	    expect_char(&s, ':') || digits(&s, 2, &se))
		return -EINVAL;
	if (*s == '.' || *s == ',') {
		int n = 0;
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++, n++) {
			if (n == 9)
				return -EINVAL;	/* Go reads at most nanoseconds */
			ns = ns * 10 + (*s - '0');
		}
		for (; n < 9; n++)
			ns *= 10;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		osign = *s++ == '-' ? -1 : 1;
		if (digits(&s, 2, &oh) || expect_char(&s, ':') || digits(&s, 2, &om))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
	    mi > 59 || se > 59 || oh > 23 || om > 59)
		return -EINVAL;
	*sec = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	       osign * (oh * 3600 + om * 60);
	*nsec = ns;
	return 0;
}
