/* Processes (effects): identity that survives PID reuse (PID + start time), pidfds. */
#ifndef CTR_PROC_H
#define CTR_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22); -ESRCH if gone. */
int proc_start_time(pid_t pid, uint64_t *out);

/* A pidfd (close-on-exec) for the process `pid` that started at `start`; -ESRCH if that process
 * is gone (or the PID now belongs to another one). */
int proc_open(pid_t pid, uint64_t start, int *pidfd);

/* true if the process `pid` that started at `start` still exists (a zombie counts as gone). */
bool proc_alive(pid_t pid, uint64_t start);

/* Wait until the process behind `pidfd` exits: 0, or -ETIMEDOUT after `timeout_ms` (< 0:
 * forever). */
int proc_wait(int pidfd, int timeout_ms);

/* Send a signal through a pidfd. */
int proc_signal(int pidfd, int sig);

/* Wall-clock time in nanoseconds since the epoch. */
int64_t now_ns(void);

#endif
