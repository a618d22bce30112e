/* Processes (effects): identity that survives PID reuse (PID + start time), pidfds. */
#ifndef CTR_PROC_H
#define CTR_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22); -ESRCH if gone. */
int proc_start_time(pid_t pid, uint64_t *out);

/* A handle on one process: a pidfd where the kernel has them (5.3 and later), else the PID
 * and its start time, checked before every use (and exits found by polling). */
struct proc {
	int fd;        /* pidfd, or -1 */
	pid_t pid;     /* 0: no process */
	uint64_t start;
};
#define PROC_NONE { -1, 0, 0 }

/* Open a handle on the process `pid` that started at `start`; -ESRCH if that process is gone
 * (or the PID now belongs to another one). */
int proc_open(pid_t pid, uint64_t start, struct proc *p);
void proc_close(struct proc *p);

/* true if the process `pid` that started at `start` still exists (a zombie counts as gone). */
bool proc_alive(pid_t pid, uint64_t start);

/* Wait until the process exits: 0, or -ETIMEDOUT after `timeout_ms` (< 0: forever). */
int proc_wait(struct proc *p, int timeout_ms);
/* As proc_wait(), but also ending when `fd` (if ≥ 0) becomes readable: 0 the process exited,
 * 1 `fd` is readable, -ETIMEDOUT. */
int proc_wait_or(struct proc *p, int fd, int timeout_ms);

/* Send a signal (-ESRCH if the process is gone). */
int proc_signal(struct proc *p, int sig);

/* SIGKILL the process `pid` that started at `start`, if it still exists, and wait up to 5 s
 * for it to go.  Never fails: a process that is gone is what was asked. */
void proc_kill(pid_t pid, uint64_t start);

/* Wall-clock time in nanoseconds since the epoch. */
int64_t now_ns(void);

#endif
