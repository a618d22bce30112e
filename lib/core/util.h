/* Small internal helpers shared by every part of the library: error reporting, growable
 * strings, string lists.  Pure code (no system calls) except where noted. */
#ifndef CTR_UTIL_H
#define CTR_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTR_HIDDEN __attribute__((visibility("hidden")))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))

#include "core/err.h" /* ctr_err() and the thread-local message */

/* ---- growable string ---------------------------------------------------------------------
 * A NUL-terminated string that grows as text is appended.  After an allocation failure the
 * buffer remembers it (sb.oom) and further appends do nothing; check once at the end with
 * sb_finish(), which returns the string (owned by the caller) or NULL with -ENOMEM set. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};
#define SBUF_INIT { NULL, 0, 0, false }

void sb_add(struct sbuf *sb, const char *s);
void sb_addn(struct sbuf *sb, const char *s, size_t n);
void sb_addc(struct sbuf *sb, char c);
void sb_addf(struct sbuf *sb, const char *fmt, ...) PRINTF(2, 3);
void sb_vaddf(struct sbuf *sb, const char *fmt, va_list ap);
/* Returns the string and resets `sb`; NULL (with the error set) if an append failed. */
char *sb_finish(struct sbuf *sb);
void sb_free(struct sbuf *sb);
/* The current contents (never NULL: "" when empty). */
const char *sb_str(const struct sbuf *sb);

/* ---- strings and string lists ------------------------------------------------------------ */

/* strdup that sets the error on failure (NULL in, NULL out without error). */
char *xstrdup(const char *s);
/* Length of a NULL-terminated list (NULL counts as empty). */
size_t strv_len(const char *const *v);
/* Deep copy of a NULL-terminated list; *out is NULL for a NULL input.  0 or -ENOMEM. */
int strv_dup(char ***out, const char *const *v);
/* Whether `s` is in the list (NULL counts as empty). */
bool strv_has(char *const *v, const char *s);
/* Append a copy of `s`.  0 or -ENOMEM. */
int strv_push(char ***v, const char *s);
void strv_free(char **v);

bool str_has_prefix(const char *s, const char *prefix);
/* Parse a decimal integer in [min, max]; the whole string must be digits (no sign, no
 * space).  Returns 0 or -EINVAL / -ERANGE without setting the error message. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* true if `s` contains a byte that must never reach a file line: \n, \r or another control
 * character (the tab is reported as well). */
bool str_has_ctl(const char *s);
/* qsort, after an O(n) look that finds most inputs of the library sorted already (arrays kept
 * in order, rules planned from them): then nothing moves. */
void sort_unless_sorted(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* ---- fault injection (tests only) -------------------------------------------------------
 * FAULT("what") marks a step that changes something outside the process: a state file, an
 * interface, a rule commit, a process.  With CTRLINK_FAULT=N in the environment, the Nth step
 * a process reaches kills it with SIGKILL (the monitor helper counts CTRLINK_FAULT_MONITOR
 * instead), so that a test can kill an operation at each of its steps in turn and check what
 * the next operation recovers.  Compiled out unless built with -Dfault_injection=true. */
#ifdef CTR_FAULT_INJECTION
void ctr_fault(const char *point);
#define FAULT(point) ctr_fault(point)
#else
#define FAULT(point) ((void)0)
#endif
/* FAULT_ENOSPC("rel"): true when CTRLINK_FAULT_ENOSPC names the state file `rel`: its write
 * then fails as on a full file system (store.c).  Always false unless fault injection. */
#ifdef CTR_FAULT_INJECTION
bool ctr_fault_enospc(const char *rel);
#define FAULT_ENOSPC(rel) ctr_fault_enospc(rel)
#else
#define FAULT_ENOSPC(rel) false
#endif

#endif
