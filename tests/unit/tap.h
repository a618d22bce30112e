/* A tiny TAP producer for the unit tests: each ok()/is_*() call is one test point.  The test
 * runner counts the points ("ok N" / "not ok N") into the suite's pass/fail line. */
#ifndef CTR_TAP_H
#define CTR_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count, tap_failed;

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 2, 3))) static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

/* Print a diagnostic line (shown by the runner on failure). */
__attribute__((format(printf, 1, 2))) static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static inline int is_str(const char *got, const char *want,
							     const char *fmt, ...)
{
	int cond = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
	va_list ap;
	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("     got: %s%s%s", got ? "\"" : "", got ? got : "(null)", got ? "\"" : "");
		diag("expected: %s%s%s", want ? "\"" : "", want ? want : "(null)", want ? "\"" : "");
	}
	return cond;
}

__attribute__((format(printf, 3, 4))) static inline int is_int(long long got, long long want,
							     const char *fmt, ...)
{
	int cond = got == want;
	va_list ap;
	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("     got: %lld", got);
		diag("expected: %lld", want);
	}
	return cond;
}

/* Call at the end of main: prints the plan, returns the exit status. */
static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
