#define _GNU_SOURCE
#include "sys/proc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads field 22 and the state (field 3) of /proc/<pid>/stat. */
static int read_stat(pid_t pid, uint64_t *start, char *state)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* the command name may contain anything: fields resume after the last ')' */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -EIO;
	p += 2;
	*state = *p;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

int proc_start_time(pid_t pid, uint64_t *out)
{
	char st;
	if (pid <= 0)
		return -ESRCH;
	return read_stat(pid, out, &st);
}

bool proc_alive(pid_t pid, uint64_t start)
{
	uint64_t s;
	char st;
	if (pid <= 0 || read_stat(pid, &s, &st) < 0)
		return false;
	return s == start && st != 'Z' && st != 'X';
}

int proc_open(pid_t pid, uint64_t start, struct proc *p)
{
	*p = (struct proc)PROC_NONE;
	if (pid <= 0)
		return -ESRCH;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno != ENOSYS)
		return errno == ESRCH ? -ESRCH : ctr_err_sys(-errno, "pidfd_open(%d)", (int)pid);
	/* (pidfd_open returns close-on-exec descriptors.)  Having the pidfd first and then
	 * checking the start time closes the PID-reuse race. */
	if (!proc_alive(pid, start)) {
		if (fd >= 0)
			close(fd);
		return -ESRCH;
	}
	p->fd = fd;
	p->pid = pid;
	p->start = start;
	return 0;
}

void proc_close(struct proc *p)
{
	if (p->fd >= 0)
		close(p->fd);
	*p = (struct proc)PROC_NONE;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	int r = proc_wait_or(p, -1, timeout_ms);
	return r > 0 ? 0 : r;
}

int proc_wait_or(struct proc *p, int fd, int timeout_ms)
{
	if (p->pid <= 0)
		return 0;
	int64_t end = now_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		/* no pidfd: look at the process every 2 ms */
		if (p->fd < 0 && !proc_alive(p->pid, p->start))
			return 0;
		int left = timeout_ms;
		if (timeout_ms >= 0 && (left = (int)((end - now_ns()) / 1000000)) < 0)
			left = 0;
		if (p->fd < 0 && (left < 0 || left > 2))
			left = 2;
		struct pollfd pf[2] = { { .fd = p->fd, .events = POLLIN },
					{ .fd = fd, .events = POLLIN } };
		int r = poll(pf, 2, left);
		if (r < 0 && errno != EINTR)
			return ctr_err_sys(-errno, "poll");
		if (r > 0 && pf[0].revents)
			return 0;
		if (r > 0 && pf[1].revents)
			return 1;
		if (timeout_ms >= 0 && now_ns() >= end)
			return -ETIMEDOUT;
	}
}

int proc_signal(struct proc *p, int sig)
{
	if (p->pid <= 0)
		return -ESRCH;
	if (p->fd < 0) {
		if (!proc_alive(p->pid, p->start) || kill(p->pid, sig) < 0)
			return -ESRCH;
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, p->fd, sig, NULL, 0) < 0)
		return errno == ESRCH ? -ESRCH : ctr_err_sys(-errno, "cannot send signal %d", sig);
	return 0;
}

void proc_kill(pid_t pid, uint64_t start)
{
	struct proc p;
	if (proc_open(pid, start, &p) == 0) {
		proc_signal(&p, SIGKILL);
		proc_wait(&p, 5000);
		proc_close(&p);
	}
	ctr_err_clear();
}
