/* The thread-local error message of the library: every failing internal function returns a
 * negative errno and leaves a human-readable message here, which the public
 * ctr_last_error() returns.  The lowest file of lib/ (core/): every layer may set it. */
#ifndef CTR_ERR_H
#define CTR_ERR_H

#include <errno.h>

#ifndef PRINTF
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif

/* Set the message (printf-style) and return `code` (a negative errno). */
int ctr_err(int code, const char *fmt, ...) PRINTF(2, 3);
/* Set the message to "<fmt...>: <strerror(-code)>" and return `code`. */
int ctr_err_sys(int code, const char *fmt, ...) PRINTF(2, 3);
/* Prefix the current message with "<fmt...>: " and return `code`. */
int ctr_err_prefix(int code, const char *fmt, ...) PRINTF(2, 3);
/* Clear the message (at the start of every public call). */
void ctr_err_clear(void);
/* The current message ("" if none). */
const char *ctr_err_msg(void);

#endif
