/* A tiny TCP server for benchmarks: listens on every port given, answers each connection with
 * "hello\n" and closes.  Starts in well under a millisecond (unlike an interpreter). */
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc - 1;
	struct pollfd *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
	if (!p || n < 1)
		return 2;
	for (int i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[i + 1])) };
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 128) < 0)
			return 1;
		p[i].fd = s;
		p[i].events = POLLIN;
	}
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		for (int i = 0; i < n; i++)
			if (p[i].revents & POLLIN) {
				int c = accept(p[i].fd, NULL, NULL);
				if (c >= 0) {
					ssize_t w = write(c, "hello\n", 6);
					(void)w;
					close(c);
				}
			}
	}
}
