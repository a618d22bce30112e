/* The thread-local error message (core/err.h), and its public reader ctr_last_error(). */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "container-link.h"

#define ERR_MAX 2048
static __thread char err_buf[ERR_MAX];

static void set_msg(const char *fmt, va_list ap)
{
	int n = vsnprintf(err_buf, sizeof err_buf, fmt, ap);
	if (n >= (int)sizeof err_buf)
		memcpy(err_buf + sizeof err_buf - 4, "...", 4);
}

int ctr_err(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_msg(fmt, ap);
	va_end(ap);
	return code;
}

int ctr_err_sys(int code, const char *fmt, ...)
{
	char head[ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	return ctr_err(code, "%s: %s", head, strerror(code < 0 ? -code : code));
}

int ctr_err_prefix(int code, const char *fmt, ...)
{
	char head[ERR_MAX], old[ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	snprintf(old, sizeof old, "%s", err_buf);
	return ctr_err(code, "%s: %s", head, old);
}

void ctr_err_clear(void)
{
	err_buf[0] = '\0';
}

const char *ctr_err_msg(void)
{
	return err_buf;
}

CTR_API const char *ctr_last_error(void)
{
	return ctr_err_msg();
}
