/* The one netlink transport (see netlink.h).
 *
 * One request at a time: every request is sent with its own sequence number and its answer is
 * read to its end (the ACK of a request, the NLMSG_DONE of a dump) before nl_request returns,
 * so that the socket never holds a stale answer; answers to an older sequence number (left by
 * a receive that failed half-way) are skipped.  A batch (nat_nft.c) is sent with nl_send and
 * its answer read with nl_recv, since only its caller knows which messages end it. */
#include "sys/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"

void nl_close(struct nlsock *s)
{
	if (s->sock)
		mnl_socket_close(s->sock);
	free(s->rbuf);
	s->sock = NULL;
	s->rbuf = NULL;
}

int nl_open(struct nlsock *s, int bus, size_t rsize, const char *who, bool *bind_failed)
{
	int one = 1;

	memset(s, 0, sizeof *s);
	s->who = who;
	s->rsize = rsize;
	if (bind_failed)
		*bind_failed = false;
	s->rbuf = malloc(rsize);
	if (!s->rbuf)
		return -ENOMEM;
	s->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!s->sock) {
		int e = -errno;
		nl_close(s);
		return e;
	}
	if (mnl_socket_bind(s->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = -errno;
		nl_close(s);
		if (bind_failed)
			*bind_failed = true;
		return e;
	}
	s->portid = mnl_socket_get_portid(s->sock);
	/* Best effort: explanations from the kernel, and ACKs without a copy of the request. */
	(void)mnl_socket_setsockopt(s->sock, NETLINK_EXT_ACK, &one, sizeof one);
	(void)mnl_socket_setsockopt(s->sock, NETLINK_CAP_ACK, &one, sizeof one);
	return 0;
}

int nl_open_named(struct nlsock *s, int bus, const char *what)
{
	int r = nl_open(s, bus, NL_RECV_SIZE, "netlink", NULL);
	if (r == -ENOMEM)
		return ctr_err(r, "out of memory");
	if (r < 0)
		return ctr_err_sys(r, "cannot open a %s socket", what);
	return 0;
}

int nl_new(struct nlsock **out, int bus, const char *what)
{
	*out = NULL;
	struct nlsock *s = calloc(1, sizeof *s);
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	int r = nl_open_named(s, bus, what);
	if (r < 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void nl_free(struct nlsock *s)
{
	if (!s)
		return;
	nl_close(s);
	free(s);
}

uint32_t nl_seq(struct nlsock *s)
{
	if (++s->seq == 0)
		s->seq = 1;
	return s->seq;
}

struct nlmsghdr *nl_msg(union nl_req *req, uint16_t type, uint16_t flags)
{
	memset(req, 0, sizeof *req);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	return nlh;
}

int nl_send(struct nlsock *s, const void *buf, size_t len)
{
	return mnl_socket_sendto(s->sock, buf, len) < 0 ? -errno : 0;
}

ssize_t nl_recv(struct nlsock *s, bool nowait)
{
	/* what mnl_socket_recvfrom() does, with MSG_DONTWAIT when asked */
	struct sockaddr_nl addr;
	struct iovec iov = { s->rbuf, s->rsize };
	struct msghdr msg = { .msg_name = &addr, .msg_namelen = sizeof addr, .msg_iov = &iov,
			      .msg_iovlen = 1 };
	for (;;) {
		ssize_t n = recvmsg(mnl_socket_get_fd(s->sock), &msg, nowait ? MSG_DONTWAIT : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (msg.msg_flags & MSG_TRUNC)
			return -ENOSPC;
		if (msg.msg_namelen != sizeof addr)
			return -EINVAL;
		return n;
	}
}

int nl_request(struct nlsock *s, struct nlmsghdr *nlh, nl_data_cb cb, void *data, bool *kernel)
{
	bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	bool intr = false;
	int cb_err = 0, kerr;

	*kernel = false;
	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = nl_seq(s);
	s->ack.msg[0] = '\0';
	s->ack.has_offs = false;
	s->dump_intr = false;

	int e = nl_send(s, nlh, nlh->nlmsg_len);
	if (e < 0)
		return ctr_err_sys(e, "%s: cannot send a request", s->who);

	for (;;) {
		ssize_t n = nl_recv(s, false);
		if (n == -ENOSPC)
			return ctr_err(-EMSGSIZE, "%s: an answer did not fit in %zu bytes", s->who,
				       s->rsize);
		if (n < 0)
			return ctr_err_sys((int)n, "%s: cannot receive an answer", s->who);
		const struct nlmsghdr *m = (const struct nlmsghdr *)s->rbuf;
		int len = (int)n;
		for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != s->seq || m->nlmsg_pid != s->portid)
				continue; /* left over from an earlier request */
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			switch (m->nlmsg_type) {
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				continue;
			case NLMSG_ERROR:
				kerr = nl_ack_parse(m, &s->ack);
				goto out;
			case NLMSG_DONE:
				kerr = nl_done_parse(m, &s->ack);
				goto out;
			default:
				if (cb && cb_err == 0)
					cb_err = cb(m, data);
				/* A non-dump request's answer (RTM_GETLINK) ends with the ACK. */
				continue;
			}
		}
	}
out:
	if (kerr < 0) {
		*kernel = true;
		return kerr;
	}
	if (cb_err < 0)
		return cb_err;
	if (intr) {
		*kernel = s->dump_intr = true;
		return -EINTR;
	}
	return 0;
}

int nl_talk(struct nlsock *s, struct nlmsghdr *nlh, nl_data_cb cb, void *data)
{
	bool kernel;
	int r = nl_request(s, nlh, cb, data, &kernel);
	if (r >= 0 || !kernel)
		return r;
	if (s->dump_intr)
		return ctr_err(-EINTR, "the kernel's list changed while it was being read");
	if (s->ack.msg[0])
		return ctr_err(r, "%s (%s)", strerror(-r), s->ack.msg);
	return ctr_err(r, "%s", strerror(-r));
}

/* ---- attributes -------------------------------------------------------------------------- */

struct attr_tab {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_tab_cb(const struct nlattr *a, void *data)
{
	struct attr_tab *t = data;
	unsigned type = mnl_attr_get_type(a);
	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

void nl_attrs_parse(const struct nlmsghdr *nlh, size_t off, const struct nlattr **tb,
		    unsigned max)
{
	struct attr_tab t = { tb, max };
	memset(tb, 0, (max + 1) * sizeof *tb);
	mnl_attr_parse(nlh, (unsigned)off, attr_tab_cb, &t);
}

void nl_attrs_parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	struct attr_tab t = { tb, max };
	memset(tb, 0, (max + 1) * sizeof *tb);
	if (nest)
		mnl_attr_parse_nested(nest, attr_tab_cb, &t);
}

bool nl_attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(a);
	return true;
}

bool nl_attr_u16(const struct nlattr *a, uint16_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U16) < 0)
		return false;
	*v = mnl_attr_get_u16(a);
	return true;
}

bool nl_attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return false;
	*v = mnl_attr_get_u8(a);
	return true;
}

void nl_attr_str(const struct nlattr *a, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!a || len == 0)
		return;
	const char *s = mnl_attr_get_payload(a);
	size_t n = strnlen(s, mnl_attr_get_payload_len(a));
	if (n >= len)
		n = len - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}
