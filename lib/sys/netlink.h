/* The one netlink transport (libmnl): a bound socket, requests with their own sequence
 * numbers, answers read to their end with the kernel's errors and extended ACK, dumps, and
 * batches (nfnetlink) read back by the caller.  Used by every netlink facility in lib/sys:
 * rtnetlink (rtnl.c), conntrack (conntrack.c), sock_diag (sockdiag.c) and nftables
 * (nat_nft.c).  Effects only; a socket is used by one thread at a time. */
#ifndef CTR_NETLINK_H
#define CTR_NETLINK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sys/nlack.h"

/* The kernel never puts more than 32 KiB in one dump message batch (and a smaller receive
 * buffer can make it truncate one); libmnl 1.0.4 has no MNL_SOCKET_DUMP_SIZE for it. */
#define NL_RECV_SIZE 32768
/* Our requests are small and bounded: interface names are checked against IFNAMSIZ. */
#define NL_REQ_SIZE 1024
/* How often a dump interrupted by a concurrent change (NLM_F_DUMP_INTR) is retried. */
#define NL_DUMP_TRIES 5

struct mnl_socket;

struct nlsock {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;         /* the last sequence number given out (nl_seq) */
	struct nl_extack ack; /* the kernel's extended ACK for the last request */
	bool dump_intr;       /* the last request was a dump interrupted by a change (-EINTR) */
	char *rbuf;           /* rsize bytes */
	size_t rsize;
	const char *who;      /* names the socket in messages: "netlink", "nftables" */
};

/* A request buffer, aligned for struct nlmsghdr. */
union nl_req {
	struct nlmsghdr h;
	char buf[NL_REQ_SIZE];
};

/* A callback for each data message of an answer: 0, or a negative errno with the message set
 * (the rest of the answer is then read and dropped). */
typedef int (*nl_data_cb)(const struct nlmsghdr *nlh, void *data);

/* Open and bind a close-on-exec netlink socket of `bus` with a receive buffer of `rsize`
 * bytes, asking (best effort) for extended ACKs without a copy of the request.  0, or a
 * negative errno with no message; *bind_failed (may be NULL) says whether the socket opened
 * and its bind failed. */
int nl_open(struct nlsock *s, int bus, size_t rsize, const char *who, bool *bind_failed);
void nl_close(struct nlsock *s); /* a closed or zeroed one too */

/* nl_open(s, bus, NL_RECV_SIZE, "netlink", NULL) with the message set on failure: `what`
 * names the socket ("cannot open a <what> socket"). */
int nl_open_named(struct nlsock *s, int bus, const char *what);

/* The same in an allocation of its own (a struct rtnl is one). */
int nl_new(struct nlsock **out, int bus, const char *what);
void nl_free(struct nlsock *s);

/* The next sequence number (never 0). */
uint32_t nl_seq(struct nlsock *s);

/* A request header in `req`, zeroed first (libmnl 1.0.4 does not zero attribute padding: no
 * stack bytes may leak to the kernel). */
struct nlmsghdr *nl_msg(union nl_req *req, uint16_t type, uint16_t flags);

/* Send `len` bytes.  0 or a negative errno, no message. */
int nl_send(struct nlsock *s, const void *buf, size_t len);
/* Receive one datagram into s->rbuf (EINTR retried; `nowait`: -EAGAIN if none is queued).
 * The length, or a negative errno with no message. */
ssize_t nl_recv(struct nlsock *s, bool nowait);

/* Send `nlh` with a new sequence number and read its whole answer (the ACK of a request,
 * which gets NLM_F_ACK; the NLMSG_DONE of a dump), passing data messages to `cb` (may be
 * NULL); answers to older sequence numbers are skipped.  Returns 0; or the kernel's error
 * (*kernel set, s->ack filled, no message), -EINTR with *kernel set for a dump interrupted by
 * a concurrent change (worth a retry); or a socket or callback error with its message. */
int nl_request(struct nlsock *s, struct nlmsghdr *nlh, nl_data_cb cb, void *data, bool *kernel);

/* nl_request with the kernel's errors worded: "<strerror> (<kernel's explanation>)", and
 * "the kernel's list changed while it was being read" for -EINTR. */
int nl_talk(struct nlsock *s, struct nlmsghdr *nlh, nl_data_cb cb, void *data);

/* ---- attributes ---- */

/* Index the attributes of `nlh` after `off` bytes of payload (tb has max + 1 entries). */
void nl_attrs_parse(const struct nlmsghdr *nlh, size_t off, const struct nlattr **tb,
		    unsigned max);
void nl_attrs_parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max);
bool nl_attr_u32(const struct nlattr *a, uint32_t *v);
bool nl_attr_u16(const struct nlattr *a, uint16_t *v);
bool nl_attr_u8(const struct nlattr *a, uint8_t *v);
/* Copy a string attribute into buf (truncated to fit; "" when absent). */
void nl_attr_str(const struct nlattr *a, char *buf, size_t len);

#endif
