/* netprobe: the TCP client side of the benchmarks (built by bench/meson.build).
 *
 *   netprobe serve
 *       Reads requests from stdin, one per line, answers one line each on stdout.  Run as a
 *       bash coprocess, so that waiting for an answer costs no fork+exec in a timed region:
 *         wait HOST PORT EXPECT TIMEOUT_MS   try to connect every 250 us (NETPROBE_INTERVAL_US)
 *                                            until a connection
 *                                            returns EXPECT; "ok TRIES USEC" or "fail WHY"
 *         closed HOST PORT                   "ok" if nothing answers (refused/unreachable)
 *   netprobe wait HOST PORT EXPECT TIMEOUT_MS   one request, exit status 0 if answered
 *   netprobe connrate HOST PORT EXPECT SECONDS
 *       Sequential connections (connect, read EXPECT, close) for SECONDS; prints
 *       "conn_per_s N errors E".
 *
 * `wait` starts a new non-blocking attempt every interval whatever the earlier ones are doing
 * (each lives at most 1 s), so that a SYN sent into a path that is not complete yet never
 * stalls the measurement for a retransmit timeout: the answer is seen within one interval
 * of the moment a client could first get it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long interval_us = 250; /* between attempts; NETPROBE_INTERVAL_US */

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* One attempt: 1 answered with `expect`, 0 not answered (refused, timeout, wrong data). */
static int attempt(const struct sockaddr_in *a, const char *expect, char *why, size_t whylen)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return 0;
	}
	int ok = 0;
	if (connect(s, (const struct sockaddr *)a, sizeof *a) < 0 && errno != EINPROGRESS) {
		snprintf(why, whylen, "connect: %s", strerror(errno));
		goto out;
	}
	struct pollfd p = { .fd = s, .events = POLLOUT };
	if (poll(&p, 1, 100) != 1) {
		snprintf(why, whylen, "connect: timeout");
		goto out;
	}
	int err = 0;
	socklen_t el = sizeof err;
	getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		snprintf(why, whylen, "connect: %s", strerror(err));
		goto out;
	}
	size_t want = strlen(expect), got = 0;
	char buf[256];
	if (want > sizeof buf)
		want = sizeof buf;
	long long until = now_us() + 500000;
	while (got < want) {
		p.events = POLLIN;
		int left = (int)((until - now_us()) / 1000);
		if (left <= 0 || poll(&p, 1, left) != 1) {
			snprintf(why, whylen, "read: timeout");
			goto out;
		}
		ssize_t n = read(s, buf + got, want - got);
		if (n <= 0) {
			snprintf(why, whylen, "read: %s", n == 0 ? "closed" : strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	ok = memcmp(buf, expect, want) == 0;
	if (!ok)
		snprintf(why, whylen, "unexpected answer");
out:
	close(s);
	return ok;
}

static int addr(const char *host, const char *port, struct sockaddr_in *a)
{
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(port));
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* One attempt in flight: a non-blocking socket, connecting or reading. */
struct try {
	int fd;
	int connected;
	size_t got;
	long long started;
	char buf[256];
};

/* "ok TRIES USEC" / "fail WHY" into out.  A new attempt starts every interval_us whatever
 * the earlier ones are doing, so an attempt whose SYN was dropped (a path that was not
 * complete yet) never delays the first one that can succeed; each lives at most 1 s. */
static int do_wait(const char *host, const char *port, const char *expect, long timeout_ms,
		   char *out, size_t outlen)
{
	enum { MAXT = 128 };
	struct sockaddr_in a;
	char why[128] = "no attempt";
	if (addr(host, port, &a) < 0) {
		snprintf(out, outlen, "fail bad address");
		return 1;
	}
	size_t want = strlen(expect);
	if (want > sizeof ((struct try *)0)->buf)
		want = sizeof ((struct try *)0)->buf;
	struct try t[MAXT];
	int n = 0;
	long tries = 0;
	long long t0 = now_us(), until = t0 + timeout_ms * 1000, next = t0;
	for (;;) {
		long long now = now_us();
		if (now >= next && n < MAXT) { /* start an attempt */
			next = now + interval_us;
			tries++;
			int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (s < 0) {
				snprintf(why, sizeof why, "socket: %s", strerror(errno));
			} else if (connect(s, (const struct sockaddr *)&a, sizeof a) < 0 &&
				   errno != EINPROGRESS) {
				snprintf(why, sizeof why, "connect: %s", strerror(errno));
				close(s);
			} else {
				t[n++] = (struct try){ .fd = s, .started = now };
			}
		}
		struct pollfd p[MAXT];
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ .fd = t[i].fd,
						.events = t[i].connected ? POLLIN : POLLOUT };
		long long wake = next;
		if (wake > until)
			wake = until;
		struct timespec ts = { 0, 0 };
		if (wake > now_us()) {
			long long d = wake - now_us();
			ts.tv_sec = d / 1000000;
			ts.tv_nsec = (d % 1000000) * 1000;
		}
		ppoll(p, (nfds_t)n, &ts, NULL);
		now = now_us();
		for (int i = 0; i < n; i++) {
			int done = 0; /* 1 answered, -1 failed */
			if (!t[i].connected && (p[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(t[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err) {
					snprintf(why, sizeof why, "connect: %s", strerror(err));
					done = -1;
				} else {
					t[i].connected = 1;
					if (want == 0)
						done = 1;
				}
			} else if (t[i].connected && (p[i].revents & (POLLIN | POLLERR | POLLHUP))) {
				ssize_t r = read(t[i].fd, t[i].buf + t[i].got, want - t[i].got);
				if (r <= 0) {
					snprintf(why, sizeof why, "read: %s",
						 r == 0 ? "closed before the answer" : strerror(errno));
					done = -1;
				} else if ((t[i].got += (size_t)r) == want) {
					done = memcmp(t[i].buf, expect, want) == 0 ? 1 : -1;
					if (done < 0)
						snprintf(why, sizeof why, "unexpected answer");
				}
			}
			if (!done && now - t[i].started > 1000000) {
				snprintf(why, sizeof why, "%s: timeout",
					 t[i].connected ? "read" : "connect");
				done = -1;
			}
			if (done == 1) {
				for (int k = 0; k < n; k++)
					close(t[k].fd);
				snprintf(out, outlen, "ok %ld %lld", tries, now - t0);
				return 0;
			}
			if (done < 0) {
				close(t[i].fd);
				t[i] = t[--n];
				p[i] = p[n];
				i--;
			}
		}
		if (now > until) {
			for (int k = 0; k < n; k++)
				close(t[k].fd);
			snprintf(out, outlen, "fail %s (after %ld tries)", why, tries);
			return 1;
		}
	}
}

static int serve(void)
{
	char line[1024], out[256];
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof line, stdin)) {
		char cmd[16], host[64], port[16], expect[128];
		long t = 0;
		int n = sscanf(line, "%15s %63s %15s %127s %ld", cmd, host, port, expect, &t);
		if (n == 5 && !strcmp(cmd, "wait")) {
			do_wait(host, port, expect, t, out, sizeof out);
		} else if (n >= 3 && !strcmp(cmd, "closed")) {
			struct sockaddr_in a;
			char why[128];
			if (addr(host, port, &a) < 0)
				snprintf(out, sizeof out, "fail bad address");
			else
				snprintf(out, sizeof out, "%s",
					 attempt(&a, "", why, sizeof why) ? "fail still answers" : "ok");
		} else {
			snprintf(out, sizeof out, "fail bad request");
		}
		printf("%s\n", out);
	}
	return 0;
}

static int connrate(const char *host, const char *port, const char *expect, double secs)
{
	struct sockaddr_in a;
	if (addr(host, port, &a) < 0)
		return 2;
	size_t want = strlen(expect);
	long long t0 = now_us(), until = t0 + (long long)(secs * 1e6);
	long n = 0, errs = 0;
	char buf[256];
	while (now_us() < until) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return 1;
		size_t got = 0;
		if (connect(s, (const struct sockaddr *)&a, sizeof a) == 0) {
			while (got < want) {
				ssize_t r = read(s, buf + got, want - got);
				if (r <= 0)
					break;
				got += (size_t)r;
			}
		}
		if (got == want && memcmp(buf, expect, want) == 0)
			n++;
		else
			errs++;
		close(s);
	}
	double el = (double)(now_us() - t0) / 1e6;
	printf("conn_per_s %.0f errors %ld\n", (double)n / el, errs);
	return errs > n / 100 ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *iv = getenv("NETPROBE_INTERVAL_US");
	if (iv && atol(iv) > 0 && atol(iv) < 1000000)
		interval_us = atol(iv);
	if (argc == 2 && !strcmp(argv[1], "serve"))
		return serve();
	if (argc == 6 && !strcmp(argv[1], "wait")) {
		char out[256];
		int r = do_wait(argv[2], argv[3], argv[4], atol(argv[5]), out, sizeof out);
		printf("%s\n", out);
		return r;
	}
	if (argc == 6 && !strcmp(argv[1], "connrate"))
		return connrate(argv[2], argv[3], argv[4], atof(argv[5]));
	fprintf(stderr, "usage: netprobe serve | wait HOST PORT EXPECT TIMEOUT_MS |"
			" connrate HOST PORT EXPECT SECONDS\n");
	return 2;
}
