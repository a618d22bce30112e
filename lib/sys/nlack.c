/* Errors in netlink answers (see nlack.h). */
#include "sys/nlack.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <string.h>

static int attr_cb(const struct nlattr *a, void *data)
{
	struct nl_extack *ack = data;
	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG) {
		const char *m = mnl_attr_get_payload(a);
		size_t n = strnlen(m, mnl_attr_get_payload_len(a));
		while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		if (n >= sizeof ack->msg)
			n = sizeof ack->msg - 1;
		memcpy(ack->msg, m, n);
		ack->msg[n] = '\0';
		for (char *p = ack->msg; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	} else if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
		   mnl_attr_get_payload_len(a) >= sizeof(uint32_t)) {
		ack->offs = mnl_attr_get_u32(a);
		ack->has_offs = true;
	}
	return MNL_CB_OK;
}

/* Parse the attributes after `off` bytes of payload of an error that carries them. */
static void parse_tlvs(const struct nlmsghdr *m, size_t off, struct nl_extack *ack)
{
	memset(ack, 0, sizeof *ack);
	if ((m->nlmsg_flags & NLM_F_ACK_TLVS) && MNL_ALIGN(off) < mnl_nlmsg_get_payload_len(m))
		mnl_attr_parse(m, (unsigned)off, attr_cb, ack);
}

int nl_ack_parse(const struct nlmsghdr *m, struct nl_extack *ack)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);
	if (mnl_nlmsg_get_payload_len(m) < sizeof *e)
		return -EBADMSG;
	if (e->error < 0) {
		size_t off = sizeof *e;
		/* without NLM_F_CAPPED the failed request follows, whole */
		if (!(m->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		parse_tlvs(m, off, ack);
	}
	return e->error > 0 ? -EPROTO : e->error;
}

int nl_done_parse(const struct nlmsghdr *m, struct nl_extack *ack)
{
	int err;
	if (mnl_nlmsg_get_payload_len(m) < sizeof err)
		return 0;
	memcpy(&err, mnl_nlmsg_get_payload(m), sizeof err);
	if (err < 0)
		parse_tlvs(m, sizeof err, ack);
	return err > 0 ? -EPROTO : err;
}
