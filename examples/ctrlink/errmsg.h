/* errmsg.h — the one way the pure CLI modules (flags.c, psfilter.c) hand back a message:
 * *err = a malloc'd printf result; returns -EINVAL, or -ENOMEM (*err NULL). */
#ifndef CTRLINK_ERRMSG_H
#define CTRLINK_ERRMSG_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 2, 3))) static inline int errmsg(char **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
	return *err ? -EINVAL : -ENOMEM;
}

#endif
