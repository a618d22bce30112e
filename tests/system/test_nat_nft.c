/* The nftables NAT backend (lib/sys/nat_nft.c) through the conformance suite (natsuite.h),
 * with its own tests: what it writes is read back with nft (text and JSON); an older kernel,
 * batches the kernel refuses, concurrent writers, repairs, a flushed ruleset, nft's own save
 * and restore, and IPv6 end to end.
 *
 * It defines sendto() to count the nfnetlink batches the library sends (one per change) and
 * to play an older kernel or a concurrent writer on purpose. */
#include "natsuite.h"

#include <cjson/cJSON.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#define NFT_TYPE(t) ((NFNL_SUBSYS_NFTABLES << 8) | (t))
#define MSG_DESTROYSETELEM_ 30
#define TABLE "inet ctrlink_" BR

/* ---- counting and disturbing batches ------------------------------------------------------ */

static int n_destroy;      /* DESTROYSETELEM messages seen */
static int batch_destroys; /* ... in the last batch */
static bool old_kernel;    /* make DESTROYSETELEM unknown to the kernel, as before 6.3 */
static int stale_genid;    /* make the next N batches that carry a generation carry a stale one */

static bool is_netlink(int fd)
{
	int dom = 0;
	socklen_t l = sizeof dom;
	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 && dom == AF_NETLINK;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	const struct nlmsghdr *h = buf;
	if (len < sizeof *h || h->nlmsg_type != NFNL_MSG_BATCH_BEGIN || !is_netlink(fd))
		return (ssize_t)syscall(SYS_sendto, fd, buf, len, flags, to, tolen);
	n_commits++;
	batch_destroys = 0;
	char *copy = malloc(len);
	if (!copy)
		return -1;
	memcpy(copy, buf, len);
	size_t left = len;
	for (struct nlmsghdr *m = (struct nlmsghdr *)copy; NLMSG_OK(m, left);
	     m = NLMSG_NEXT(m, left)) {
		if (m->nlmsg_type == NFT_TYPE(MSG_DESTROYSETELEM_)) {
			n_destroy++;
			batch_destroys++;
			if (old_kernel)
				m->nlmsg_type = NFT_TYPE(0xff); /* unknown to the kernel */
		}
		size_t hl = NLMSG_LENGTH(sizeof(struct nfgenmsg));
		if (m->nlmsg_type == NFNL_MSG_BATCH_BEGIN && stale_genid > 0 &&
		    m->nlmsg_len >= hl + NLA_HDRLEN + 4) {
			struct nlattr *a = (struct nlattr *)((char *)m + hl);
			if (a->nla_type == NFNL_BATCH_GENID) {
				uint32_t *g = (uint32_t *)((char *)a + NLA_HDRLEN);
				*g = htonl(ntohl(*g) - 1);
				stale_genid--;
			}
		}
	}
	ssize_t r = (ssize_t)syscall(SYS_sendto, fd, copy, len, flags, to, tolen);
	int e = errno;
	free(copy);
	errno = e;
	return r;
}

/* ---- reading the rules back ---------------------------------------------------------------- */

/* Our table as nft prints it, every line without its indentation. */
static char *table_text(void)
{
	return capture("nft list table " TABLE " 2>&1 | sed -e 's/^[[:space:]]*//'");
}

/* The whole ruleset as nft prints it (for "nothing changed"). */
static char *ruleset(void)
{
	return capture("nft list ruleset 2>&1; iptables-legacy-save 2>&1 | grep -v '^#' | "
		       "sed -e 's/\\[[0-9]*:[0-9]*\\]//g'");
}

/* The body of "chain <name> {" in table_text(): its lines, up to the closing brace. */
static char *chain_body(const char *text, const char *name)
{
	char head[128];
	snprintf(head, sizeof head, "chain %s {\n", name);
	const char *p = strstr(text, head);
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	if (p) {
		p += strlen(head);
		const char *end = strstr(p, "\n}");
		if (end)
			sb_addn(&sb, p, (size_t)(end - p));
	}
	return sb_finish(&sb);
}

static void jval(struct sbuf *sb, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		sb_add(sb, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		sb_addf(sb, "%d", v->valueint);
	} else if (cJSON_IsObject(v) && cJSON_GetObjectItem(v, "concat")) {
		const cJSON *c;
		bool first = true;
		cJSON_ArrayForEach(c, cJSON_GetObjectItem(v, "concat")) {
			if (!first)
				sb_add(sb, " . ");
			jval(sb, c);
			first = false;
		}
	} else if (cJSON_IsObject(v) && cJSON_GetObjectItem(v, "elem")) {
		const cJSON *e = cJSON_GetObjectItem(v, "elem");
		jval(sb, cJSON_GetObjectItem(e, "val"));
		const cJSON *cm = cJSON_GetObjectItem(e, "comment");
		if (cJSON_IsString(cm))
			sb_addf(sb, " # %s", cm->valuestring);
	} else {
		sb_add(sb, "?");
	}
}

/* Every element of every set and map of a table (nft -j), one per line:
 * "<set>: <key> [# <comment>][ : <data>]". */
static char *table_elements(const char *table)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "nft -j list table %s 2>/dev/null", table);
	char *js = capture(cmd);
	cJSON *root = cJSON_Parse(js);
	free(js);
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	const cJSON *o;
	cJSON_ArrayForEach(o, cJSON_GetObjectItem(root, "nftables")) {
		const cJSON *s = cJSON_GetObjectItem(o, "set");
		if (!s)
			s = cJSON_GetObjectItem(o, "map");
		if (!s)
			continue;
		const char *name = cJSON_GetObjectItem(s, "name")->valuestring;
		const cJSON *e;
		cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "elem")) {
			sb_addf(&sb, "%s: ", name);
			if (cJSON_IsArray(e)) { /* a map: [key, data] */
				jval(&sb, cJSON_GetArrayItem(e, 0));
				sb_add(&sb, " : ");
				jval(&sb, cJSON_GetArrayItem(e, 1));
			} else {
				jval(&sb, e);
			}
			sb_add(&sb, "\n");
		}
	}
	cJSON_Delete(root);
	return sb_finish(&sb);
}

static char *elements(void)
{
	return table_elements(TABLE);
}

/* Packets counted by a counter rule of the test's own table "ip probe" in chain `chain`. */
static long probe_count(const char *chain)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "nft list chain ip probe %s 2>/dev/null", chain);
	char *s = capture(cmd);
	const char *p = strstr(s, "counter packets ");
	long n = p ? strtol(p + strlen("counter packets "), NULL, 10) : -1;
	free(s);
	return n;
}

/* The base layout for icc on, IPv4 only: chain -> its body as nft prints it. */
static const char *const base_chains[][2] = {
	{ "published", "dnat ip to ip daddr . meta l4proto . th dport map @dnat4_ip\n"
		       "meta nfproto ipv4 dnat ip to meta l4proto . th dport map @dnat4_any" },
	{ "prerouting", "type nat hook prerouting priority dstnat; policy accept;\n"
			"fib daddr type local jump published" },
	{ "output", "type nat hook output priority -100; policy accept;\n"
		    "fib daddr type local jump published" },
	{ "postrouting",
	  "type nat hook postrouting priority srcnat; policy accept;\n"
	  "ip saddr 10.77.0.0/24 ip daddr 10.77.0.0/24 oifname \"" BR "\" ct status dnat "
	  "masquerade\n"
	  "ip saddr 127.0.0.0/8 oifname \"" BR "\" masquerade\n"
	  "ip saddr 10.77.0.0/24 oifname != \"" BR "\" masquerade" },
	{ "forward",
	  "type filter hook forward priority filter; policy accept;\n"
	  "oifname \"" BR "\" ct state established,related accept\n"
	  "oifname \"" BR "\" ct status dnat accept\n"
	  "iifname \"" BR "\" oifname \"" BR "\" ip saddr . ip daddr . meta l4proto . th dport "
	  "@links4 accept\n"
	  "iifname \"" BR "\" oifname \"" BR "\" accept\n"
	  "iifname \"" BR "\" oifname != \"" BR "\" accept\n"
	  "oifname \"" BR "\" drop" },
	{ "raw_prerouting", "type filter hook prerouting priority raw; policy accept;\n"
			    "ip daddr 127.0.0.0/8 iifname != \"lo\" drop" },
};

static const char *const set_types[] = {
	"type inet_proto . inet_service : ipv4_addr . inet_service",
	"type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service",
	"type inet_proto . inet_service : ipv6_addr . inet_service",
	"type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service",
	"type ipv4_addr . ipv4_addr . inet_proto . inet_service",
	"type ipv6_addr . ipv6_addr . inet_proto . inet_service",
};

static void check_base(const char *when)
{
	char *s = table_text();
	for (size_t i = 0; i < ARRAY_SIZE(base_chains); i++) {
		char *body = chain_body(s, base_chains[i][0]);
		is_str(body, base_chains[i][1], "%s: chain %s is exactly the layout", when,
		       base_chains[i][0]);
		free(body);
	}
	for (size_t i = 0; i < ARRAY_SIZE(set_types); i++)
		is_int(count_line(s, set_types[i]), 1, "%s: set once: %s", when, set_types[i]);
	is_int(count_substr(s, "\nchain "), (long long)ARRAY_SIZE(base_chains),
	       "%s: no other chain", when);
	free(s);
}

/* The user's own firewall, which must survive everything: iptables-legacy rules, and another
 * program's nftables table with a set, elements and chains on the same hooks. */
static const char *user_cmds[] = {
	("iptables-legacy -w -t nat -A PREROUTING -p tcp --dport 2222 -j DNAT "
	 "--to-destination 10.9.9.9:22"),
	"iptables-legacy -w -N USERCHAIN",
	"iptables-legacy -w -A USERCHAIN -s 1.2.3.4/32 -j DROP",
	"iptables-legacy -w -A FORWARD -j USERCHAIN",
	("nft -f - <<'EOF'\n"
	 "table inet userfw {\n"
	 "  set blocked { type ipv4_addr; elements = { 1.2.3.4, 5.6.7.8 }; }\n"
	 "  map ports { type inet_service : ipv4_addr; elements = { 2222 : 10.9.9.9 }; }\n"
	 "  chain user_forward { type filter hook forward priority 10; policy accept;\n"
	 "    ip saddr @blocked drop; }\n"
	 "  chain user_prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
	 "    dnat ip to tcp dport map @ports; }\n"
	 "}\n"
	 "EOF"),
};

static char *user_fw(void)
{
	return capture("{ nft list table inet userfw; iptables-legacy-save; } 2>&1 | "
		       "grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]//g' | grep -v CTRLINK");
}

static char *user0;

static void check_user_rules(const char *when)
{
	char *s = user_fw();
	is_str(s, user0, "%s: the user's iptables rules and nftables table (its elements too) "
	       "are unchanged", when);
	free(s);
}

/* ---- the suite's questions, in nftables' terms ---------------------------------------------- */

static char *rules(void)
{
	return elements();
}

static char *snapshot(void)
{
	return ruleset();
}

static void base_extra(void)
{
	char *s = capture("nft list tables");
	is_str(s, "table inet userfw\ntable ip probe\ntable " TABLE "\n",
	       "one table of ours, beside the user's");
	free(s);
}

static void list_check(struct nat *nat, const struct nat_rule *want, size_t n, const char *what)
{
	ok(list_is(nat, want, n), "list: %s", what);
}

static void added(void)
{
	char *s = elements();
	char line[512];
	snprintf(line, sizeof line, "dnat4_any: tcp . 8080 # ctrlink:%s : " CA " . 80", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	int run = 0;
	for (int i = 0; i <= 10; i++) {
		snprintf(line, sizeof line, "dnat4_any: tcp . %d # ctrlink:%s : " CA " . %d",
			 9000 + i, ida, 7000 + i);
		run += count_line(s, line);
	}
	is_int(run, 11, "the run 9000-9010 -> 7000-7010 is 11 elements, each with its offset");
	run = 0;
	for (int i = 0; i <= 5; i++) {
		snprintf(line, sizeof line, "dnat4_any: udp . %d # ctrlink:%s : " CA " . %d",
			 5000 + i, ida, 5000 + i);
		run += count_line(s, line);
	}
	is_int(run, 6, "the udp run 5000-5005 is 6 elements");
	snprintf(line, sizeof line, "dnat4_ip: " HOST_IP " . tcp . 443 # ctrlink:%s : " CA " . 443",
		 ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "dnat4_any: sctp . 3868 # ctrlink:%s : " CA " . 3869", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "links4: " CB " . " CA " . tcp . 5432 # %s%s", idb, ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	is_int(count_substr(s, "\n"), 1 + 11 + 6 + 1 + 1 + 1 + 3, "24 elements in all");
	free(s);
}

static void readded(const char *before)
{
	char *s2 = elements();
	is_str(s2, before, "... the elements are the same: none is there twice");
	free(s2);
}

static void listed(struct nat *nat, const struct nat_rule *add, size_t n)
{
	ok(list_is(nat, add, n), "list: the rules added, runs coalesced back as natplan makes "
	   "them");
}

static const char *const proto_names[CTR_NPROTO] = { "tcp", "udp", "sctp" };

/* A one-port rule (of every local address) as elements() shows it. */
static void dnat_line(char *buf, size_t len, const struct nat_rule *r)
{
	char cip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &r->u.dnat.cip, cip, sizeof cip);
	snprintf(buf, len, "dnat4_any: %s . %u # ctrlink:%s : %s . %u", proto_names[r->proto],
		 r->u.dnat.hport_lo, r->owner, cip, r->u.dnat.cport_lo);
}

static void link_line(char *buf, size_t len, const struct nat_rule *r)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &r->u.link.src, src, sizeof src);
	inet_ntop(AF_INET, &r->u.link.dst, dst, sizeof dst);
	snprintf(buf, len, "links4: %s . %s . %s . %u # %s%s", src, dst, proto_names[r->proto],
		 r->u.link.port_lo, r->owner, r->peer);
}

static void foreign_link_add(void)
{
	is_int(sh("nft add element " TABLE " links4 '{ 10.1.1.1 . 10.1.1.2 . tcp . 1 }'"), 0,
	       "an element of someone else (no comment) in our links4 set");
}

static void foreign_link_check(const char *s)
{
	is_int(count_line(s, "links4: 10.1.1.1 . 10.1.1.2 . tcp . 1"), 1,
	       "the foreign element is still there");
}

static void foreign_link_del(void)
{
	sh("nft delete element " TABLE " links4 '{ 10.1.1.1 . 10.1.1.2 . tcp . 1 }'");
}

/* The test's probe: counters just before and just after our raw priority (-300). */
static void martian_counts(long c[2])
{
	c[0] = probe_count("early");
	c[1] = probe_count("late");
}

static void after_del(void)
{
	ok(batch_destroys > 0, "... with DESTROYSETELEM (this kernel has it)");
}

static void iso_check(void)
{
	char *s = table_text();
	char *body = chain_body(s, "forward");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" drop"), 1,
	       "isolation: iifname br oifname br drop, once");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" accept"), 0,
	       "isolation: no iifname br oifname br accept");
	free(body);
	free(s);
}

static void remove_all_pre(struct nat *nat)
{
	(void)nat;
}

static int ours_left(void)
{
	char *s = capture("nft list ruleset");
	int n = count_substr(s, "ctrlink");
	free(s);
	return n;
}

static void setup(void)
{
	user0 = user_fw();
	ok(sh("nft -f - <<'EOF'\n"
	      "table ip probe {\n"
	      "  chain early { type filter hook prerouting priority -301; "
	      "ip daddr 127.0.0.1 udp dport 7777 counter; }\n"
	      "  chain late { type filter hook prerouting priority -299; "
	      "ip daddr 127.0.0.1 udp dport 7777 counter; }\n"
	      "}\n"
	      "EOF") == 0, "the test's probe table: counters around priority raw");
}

/* ---- the backend's own tests ------------------------------------------------------------------ */

/* An older kernel (no DESTROYSETELEM, as Debian 12's 6.1): deleting absent elements works,
 * through the reading path. */
static void test_old_kernel(void)
{
	struct nat *nat = NULL;
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7500, 7502, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	struct nat_rule absent = dnat(idh, CTR_UDP, NULL, 7600, 7600, CB, 80);
	is_int(open_nat(&nat, true, false), 0, "old kernel: a new handle");
	if (!nat)
		return;
	is_int(apply_add(nat, a, 2), 0, "old kernel: add some rules");
	old_kernel = true;
	int before = n_commits;
	is_int(apply_del(nat, a, 1), 0, "old kernel: delete present elements");
	is_int(n_commits - before, 2, "... DESTROYSETELEM refused (EINVAL), then DELSETELEM: "
	       "2 batches");
	ok(list_is(nat, a + 1, 1), "... deleted");
	struct nat_rule both[] = { a[1], absent };
	before = n_commits;
	is_int(apply_del(nat, both, 2), 0, "old kernel: delete one present and one absent rule");
	is_int(n_commits - before, 2, "... DELSETELEM of the absent one fails (ENOENT): read, then "
	       "a batch of the present one");
	ok(list_is(nat, NULL, 0), "... both gone, nothing else touched");
	before = n_commits;
	is_int(apply_del(nat, both, 2), 0, "old kernel: delete two absent rules");
	is_int(n_commits - before, 1, "... refused, read: nothing to send");
	old_kernel = false;
	ops->close(nat);
}

/* What the kernel refuses, and changes that race with ours. */
static void test_batch_failures(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7200, 7201, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	is_int(apply_add(nat, a, 2), 0, "some rules");
	char *s0 = ruleset();
	/* One host port, two destinations: the kernel refuses the whole batch. */
	struct nat_rule clash[] = { dnat(idg, CTR_TCP, NULL, 7300, 7300, CA, 80),
				    link_rule(idg, idh, CTR_UDP, CB, CA, 9, 9),
				    dnat(idg, CTR_TCP, NULL, 7201, 7201, CA, 81) };
	is_int(apply_add(nat, clash, 3), -EEXIST, "apply: a host port published to another "
	       "destination fails with EEXIST");
	ok(strstr(ctr_err_msg(), "0.0.0.0:7201/tcp") != NULL &&
		   strstr(ctr_err_msg(), "published already") != NULL,
	   "... the message names the port: %s", ctr_err_msg());
	char *s = ruleset();
	is_str(s, s0, "... and nothing of the batch was applied (all or nothing)");
	free(s);

	/* Someone changes the ruleset between our reading and our batch: read again. */
	stale_genid = 1;
	int before = n_commits;
	is_int(apply_drop(nat, idh), 0, "drop, while the ruleset changes under it once");
	is_int(n_commits - before, 2, "... the kernel refused the stale batch (ERESTART), the "
	       "second one went through");
	ok(list_is(nat, NULL, 0), "... and it is done");
	is_int(apply_add(nat, a, 2), 0, "the rules again");
	stale_genid = 100;
	before = n_commits;
	is_int(apply_drop(nat, idh), 0, "drop, while the ruleset changes all the time");
	is_int(n_commits - before, 6, "... 5 batches refused, the 6th without a generation");
	ok(list_is(nat, NULL, 0), "... and it is done");
	sh("nft add rule " TABLE " forward ip saddr 1.1.1.1 accept");
	before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base, while the ruleset changes all the time");
	is_int(n_commits - before, 6, "... 5 batches refused, the 6th without a generation");
	stale_genid = 0;
	check_base("repaired under changes");
	free(s0);
}

/* Another program that commits all the time: a handle on another bridge adding and deleting
 * an element in a loop, until killed. */
static pid_t noise_start(void)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct nat_net net;
	struct nat *h = NULL;
	memset(&net, 0, sizeof net);
	snprintf(net.bridge, sizeof net.bridge, "noise0");
	net.subnet = ip4("10.78.0.0");
	net.prefixlen = 24;
	if (ops->open(&h, &net) < 0 || ops->ensure_base(h) < 0)
		_exit(1);
	char id[65];
	make_id(id, '9');
	for (uint16_t p = 1;; p = (uint16_t)(p % 60000 + 1)) {
		struct nat_rule x = dnat(id, CTR_TCP, NULL, p, p, "10.78.0.2", 80);
		if (apply_add(h, &x, 1) < 0 || apply_del(h, &x, 1) < 0)
			_exit(1);
	}
}

/* Four processes change our table at once, under a storm of commits by another program. */
static void test_concurrency(struct nat *nat)
{
	char ids[4][65];
	pid_t kids[4];
	pid_t noise = noise_start();
	ok(noise > 0, "another program commits all the time");
	usleep(100000);
	for (int k = 0; k < 4; k++) {
		make_id(ids[k], (char)('5' + k));
		fflush(stdout);
		if ((kids[k] = fork()) != 0)
			continue;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		struct nat *h = NULL;
		int r = open_nat(&h, true, false);
		if (r == 0)
			r = ops->ensure_base(h);
		for (int i = 0; r == 0 && i < 100; i++) {
			uint16_t p = (uint16_t)(30000 + 1000 * k + i);
			struct nat_rule x = dnat(ids[k], CTR_TCP, NULL, p, p, CA, 80);
			r = apply_add(h, &x, 1);
		}
		if (r == 0)
			r = apply_drop(h, ids[k]);
		for (int i = 0; r == 0 && i < 50; i++) {
			uint16_t p = (uint16_t)(30000 + 1000 * k + 2 * i);
			struct nat_rule x = dnat(ids[k], CTR_UDP, NULL, p, p, CA, 80);
			r = apply_add(h, &x, 1);
		}
		if (r < 0)
			fprintf(stderr, "process %d: %s\n", k, ctr_err_msg());
		_exit(r < 0);
	}
	int good = 0;
	for (int k = 0; k < 4; k++) {
		int st = 0;
		if (kids[k] > 0 && waitpid(kids[k], &st, 0) == kids[k] && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0)
			good++;
	}
	is_int(good, 4, "4 processes: ensure_base, 100 adds, a drop, 50 adds each, all at once");
	struct nat_rule *want = calloc(200, sizeof *want);
	for (int k = 0; want && k < 4; k++)
		for (int i = 0; i < 50; i++) {
			uint16_t p = (uint16_t)(30000 + 1000 * k + 2 * i);
			want[50 * k + i] = dnat(ids[k], CTR_UDP, NULL, p, p, CA, 80);
		}
	ok(want && list_is(nat, want, 200), "list (while the other program commits): exactly "
	   "their 200 rules");
	is_int(ops->ensure_base(nat), 0, "ensure_base (while the other program commits)");
	for (int k = 0; k < 4; k++)
		is_int(apply_drop(nat, ids[k]), 0, "drop process %d's container", k);
	free(want);
	if (noise > 0) {
		kill(noise, SIGKILL);
		waitpid(noise, NULL, 0);
	}
	check_base("after the concurrent changes");
	ok(list_is(nat, NULL, 0), "nothing is left");
	struct nat_net net;
	struct nat *h = NULL;
	memset(&net, 0, sizeof net);
	snprintf(net.bridge, sizeof net.bridge, "noise0");
	net.subnet = ip4("10.78.0.0");
	net.prefixlen = 24;
	is_int(ops->open(&h, &net) == 0 ? ops->remove_all(h) : -1, 0, "remove the other table");
	if (h)
		ops->close(h);
}

static void test_no_lock(struct nat *nat)
{
	/* No xtables lock: nftables batches are serialized by the kernel. */
	int fd = open("/run/xtables.lock", O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "the xtables lock is held");
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7300, 7300, CB, 80) };
	double t0 = now_ms();
	is_int(apply_add(nat, a, 1), 0, "apply does not wait for it");
	is_int(apply_drop(nat, idh), 0, "drop neither");
	is_int(ops->ensure_base(nat), 0, "ensure_base neither");
	double dt = now_ms() - t0;
	ok(dt < 300, "... (%.1f ms)", dt);
	if (fd >= 0)
		close(fd);
	unlink("/run/xtables.lock");
}

static void test_base_repair(struct nat *nat)
{
	struct nat_rule keep[] = { dnat(idh, CTR_TCP, NULL, 7400, 7400, CB, 80),
				   link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	is_int(apply_add(nat, keep, 2), 0, "rules that must survive the repair");
	/* Damage: a foreign rule, a rule gone, a chain flushed, a chain and a set deleted, the
	 * table made dormant. */
	sh("nft add rule " TABLE " forward ip saddr 1.1.1.1 accept");
	sh("nft delete rule " TABLE " postrouting handle $(nft -a list chain " TABLE " postrouting"
	   " | grep '127.0.0.0/8' | sed 's/.*handle //')");
	sh("nft flush chain " TABLE " raw_prerouting");
	sh("nft flush chain " TABLE " output && nft delete chain " TABLE " output");
	sh("nft delete set " TABLE " links6");
	sh("nft add chain " TABLE " intruder '{ type filter hook input priority 0; }'");
	int before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base repairs the layout");
	is_int(n_commits - before, 1, "... in one batch");
	check_base("repaired");
	char *s = table_text();
	is_int(count_substr(s, "1.1.1.1"), 0, "the foreign rule is gone");
	is_int(count_substr(s, "intruder"), 0, "the foreign chain is gone");
	free(s);
	ok(list_is(nat, keep, 2), "the elements of the maps are kept");
	/* A dormant table (and a rule gone meanwhile). */
	sh("nft add table " TABLE " '{ flags dormant; }' && nft flush chain " TABLE " forward");
	before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base wakes a dormant table up");
	is_int(n_commits - before, 2, "... in two batches (the kernel takes no new rules in the "
	       "batch that changes the table's flags)");
	check_base("woken up");
	s = table_text();
	is_int(count_substr(s, "dormant"), 0, "the table is active again");
	free(s);
	ok(list_is(nat, keep, 2), "the elements of the maps are kept");
	before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base again");
	is_int(n_commits - before, 0, "... nothing to change");
	is_int(apply_drop(nat, idh), 0, "drop");

	/* A set of ours with another type: made anew (its elements cannot be kept). */
	sh("nft flush chain " TABLE " published && nft delete map " TABLE " dnat4_ip && "
	   "nft add map " TABLE " dnat4_ip '{ type ipv4_addr : ipv4_addr; }'");
	is_int(ops->ensure_base(nat), 0, "ensure_base with a map of another type");
	check_base("map of another type replaced");
}

/* Another program removes every table (nft flush ruleset, a firewall reload): the next
 * change brings the table back, and the change is made. */
static void test_flush_ruleset(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 8080, 8080, CA, 80) };
	is_int(sh("nft flush ruleset"), 0, "nft flush ruleset");
	sh("%s", user_cmds[4]);
	sh("nft add table ip probe");
	int before = n_commits;
	is_int(apply_add(nat, a, 1), 0, "apply after the flush");
	is_int(n_commits - before, 3, "... 3 batches: refused (ENOENT), the layout, the change");
	check_base("after nft flush ruleset and apply");
	ok(list_is(nat, a, 1), "the element is there");
	char out[256];
	int r = query(false, HOST_IP, 8080, out, sizeof out, 2000);
	is_int(r, 0, "tcp " HOST_IP ":8080 connects again");
	is_str(out, "port=80 peer=" HOST_IP, "... to the container");
	is_int(sh("nft flush ruleset"), 0, "nft flush ruleset again");
	sh("%s", user_cmds[4]);
	sh("nft add table ip probe");
	is_int(apply_del(nat, a, 1), 0, "a delete after the flush");
	ok(list_is(nat, NULL, 0), "... nothing is there");
	is_int(apply_drop(nat, idh), 0, "a drop after the flush");
	check_base("after nft flush ruleset and a drop");
}

/* nft list ruleset > f; nft flush ruleset; nft -f f: what nft prints of our table, nft reads
 * back, comments (owners) included. */
static void test_save_restore(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 8080, 8082, CA, 80),
				dnat(idh, CTR_UDP, HOST_IP, 53, 53, CA, 53),
				link_rule(idh, idg, CTR_TCP, CB, CA, 5432, 5433) };
	is_int(apply_add(nat, a, 3), 0, "some rules");
	char *e0 = elements();
	is_int(sh("nft list ruleset > /run/saved.nft && nft flush ruleset && "
		  "nft -f /run/saved.nft"), 0, "nft list ruleset > f; nft flush ruleset; nft -f f");
	char *e1 = elements();
	is_str(e1, e0, "the elements, comments included, came back");
	free(e0);
	free(e1);
	ok(list_is(nat, a, 3), "list: the same rules");
	int before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base");
	is_int(n_commits - before, 0, "... the restored layout is exactly ours");
	is_int(apply_drop(nat, idh), 0, "drop");
}

static void test_ipv6(void)
{
	struct nat *n6 = NULL;
	is_int(open_nat(&n6, true, true), 0, "open with an IPv6 subnet fd00:77::/64");
	if (!n6)
		return;
	int before = n_commits;
	is_int(ops->ensure_base(n6), 0, "ensure_base with IPv6");
	is_int(n_commits - before, 1, "... one batch");
	char *s = table_text();
	char *body = chain_body(s, "published");
	is_str(body, "dnat ip to ip daddr . meta l4proto . th dport map @dnat4_ip\n"
	       "meta nfproto ipv4 dnat ip to meta l4proto . th dport map @dnat4_any\n"
	       "dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat6_ip\n"
	       "meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @dnat6_any",
	       "chain published: the IPv6 maps too");
	free(body);
	body = chain_body(s, "postrouting");
	is_int(count_line(body, "ip6 saddr fd00:77::/64 ip6 daddr fd00:77::/64 oifname \"" BR
			  "\" ct status dnat masquerade"), 1, "IPv6 hairpin masquerade");
	is_int(count_line(body, "ip6 saddr fd00:77::/64 oifname != \"" BR "\" masquerade"), 1,
	       "IPv6 outbound masquerade");
	free(body);
	body = chain_body(s, "forward");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" ip6 saddr . ip6 daddr . "
			  "meta l4proto . th dport @links6 accept"), 1, "IPv6 link rule");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" icmpv6 type "
			  "nd-neighbor-solicit accept"), 1, "IPv6 neighbour solicitations pass");
	is_int(count_line(body, "iifname \"" BR "\" oifname \"" BR "\" icmpv6 type "
			  "nd-neighbor-advert accept"), 1, "IPv6 neighbour advertisements pass");
	free(body);
	free(s);
	is_int(sh("nft list ruleset > /run/saved6.nft && nft flush ruleset && "
		  "nft -f /run/saved6.nft"), 0, "IPv6 layout: nft list ruleset > f; nft flush "
	       "ruleset; nft -f f");
	before = n_commits;
	is_int(ops->ensure_base(n6), 0, "ensure_base");
	is_int(n_commits - before, 0, "... the restored IPv6 layout is exactly ours");

	struct nat_rule add[] = {
		dnat6(ida, CTR_TCP, NULL, 8080, 8080, CA6, 80),
		dnat6(ida, CTR_TCP, NULL, 9000, 9010, CA6, 7000),
		dnat6(ida, CTR_UDP, NULL, 5000, 5005, CA6, 5000),
		dnat6(ida, CTR_TCP, HOST_IP6, 8443, 8443, CA6, 443),
		dnat(ida, CTR_TCP, NULL, 8080, 8080, CA, 80), /* and IPv4, beside */
		link6(idb, ida, CTR_TCP, CB6, CA6, 5432, 5432),
	};
	before = n_commits;
	is_int(apply_add(n6, add, ARRAY_SIZE(add)), 0, "apply: IPv6 and IPv4 rules");
	is_int(n_commits - before, 1, "... one batch");
	s = elements();
	char line[512];
	snprintf(line, sizeof line, "dnat6_any: tcp . 8080 # ctrlink:%s : " CA6 " . 80", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "dnat6_ip: " HOST_IP6 " . tcp . 8443 # ctrlink:%s : " CA6
		 " . 443", ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	snprintf(line, sizeof line, "links6: " CB6 " . " CA6 " . tcp . 5432 # %s%s", idb, ida);
	is_int(count_line(s, line), 1, "element: %s", line);
	free(s);
	ok(list_is(n6, add, ARRAY_SIZE(add)), "list: the IPv6 rules round trip");

	char out[256];
	int r = query(false, HOST_IP6, 8080, out, sizeof out, 2000);
	is_int(r, 0, "tcp [" HOST_IP6 "]:8080 connects");
	is_str(out, "port=80 peer=" HOST_IP6, "... reaches the container's port 80 over IPv6");
	r = query(false, GW6, 9005, out, sizeof out, 2000);
	is_int(r, 0, "tcp [" GW6 "]:9005 (run 9000-9010 -> 7000-7010) connects");
	is_str(out, "port=7005 peer=" GW6, "... reaches port 7005: the run keeps its offset");
	r = query(true, HOST_IP6, 5001, out, sizeof out, 2000);
	is_int(r, 0, "udp [" HOST_IP6 "]:5001 answers");
	is_str(out, "port=5001 peer=" HOST_IP6, "... from the container's port 5001");
	r = query(false, HOST_IP6, 8443, out, sizeof out, 2000);
	is_int(r, 0, "tcp [" HOST_IP6 "]:8443 (rule for that host IP only) connects");
	is_str(out, "port=443 peer=" HOST_IP6, "... reaches the container's port 443");
	r = query(false, GW6, 8443, out, sizeof out, 2000);
	is_int(r, -ECONNREFUSED, "tcp [" GW6 "]:8443 is not published (host IP rule): refused");
	r = ns_query("ctr", false, HOST_IP6, 8080, out, sizeof out, 2000);
	is_int(r, 0, "IPv6 hairpin: the container reaches itself through [" HOST_IP6 "]:8080");
	is_str(out, "port=80 peer=" GW6, "... masqueraded to the bridge address");
	r = ns_query("ctr2", false, HOST_IP6, 8080, out, sizeof out, 2000);
	is_int(r, 0, "IPv6: another container reaches A through [" HOST_IP6 "]:8080");
	is_str(out, "port=80 peer=" GW6, "... masqueraded to the bridge address");
	r = query(false, HOST_IP, 8080, out, sizeof out, 2000);
	is_int(r, 0, "IPv4 beside: tcp " HOST_IP ":8080 connects");
	is_str(out, "port=80 peer=" HOST_IP, "... to the same container");

	if (access("/proc/sys/net/bridge/bridge-nf-call-ip6tables", F_OK) == 0) {
		char *nfcall = capture("cat /proc/sys/net/bridge/bridge-nf-call-ip6tables");
		sh("echo 1 > /proc/sys/net/bridge/bridge-nf-call-ip6tables");
		struct nat *iso = NULL;
		is_int(open_nat(&iso, false, true), 0, "open with IPv6, icc=false");
		is_int(iso ? ops->ensure_base(iso) : -1, 0, "ensure_base: isolation");
		r = ns_query("ctr2", false, CA6, 5432, out, sizeof out, 2000);
		is_int(r, 0, "IPv6 link: B reaches [" CA6 "]:5432 through the links6 set");
		is_str(out, "port=5432 peer=" CB6, "... directly");
		r = ns_query("ctr2", false, CA6, 80, out, sizeof out, 1000);
		is_int(r, -ETIMEDOUT, "IPv6 isolation: B cannot reach [" CA6 "]:80");
		if (iso)
			ops->close(iso);
		is_int(ops->ensure_base(n6), 0, "icc again");
		sh("echo %d > /proc/sys/net/bridge/bridge-nf-call-ip6tables", atoi(nfcall));
		free(nfcall);
	}
	before = n_commits;
	is_int(apply_drop(n6, ida), 0, "drop A");
	is_int(n_commits - before, 1, "... one batch");
	ok(list_is(n6, NULL, 0), "... its IPv6 and IPv4 elements are gone");
	r = query(false, HOST_IP6, 8080, out, sizeof out, 1000);
	is_int(r, -ECONNREFUSED, "tcp [" HOST_IP6 "]:8080 is refused now");
	ops->close(n6);
}

#define BENCH_N 21

/* Time apply() of one DNAT port with `existing` ports in the map (median of BENCH_N). */
static void bench_one(struct nat *nat, size_t existing)
{
	struct nat_rule *v = calloc(existing, sizeof *v);
	double ta[BENCH_N], td[BENCH_N], tha[BENCH_N], thd[BENCH_N];
	bool good = v != NULL;
	for (size_t i = 0; good && i < existing; i++)
		v[i] = dnat(idb, i % 2 ? CTR_UDP : CTR_TCP, NULL, (uint16_t)(10000 + i),
			    (uint16_t)(10000 + i), CB, 80);
	double t0 = now_ms();
	good = good && apply_add(nat, v, existing) == 0;
	double tf = now_ms() - t0;
	for (int i = 0; good && i < BENCH_N; i++) {
		struct nat_rule x = dnat(idb, CTR_SCTP, NULL, (uint16_t)(40000 + i),
					 (uint16_t)(40000 + i), CB, 53);
		t0 = now_ms();
		good = apply_add(nat, &x, 1) == 0;
		ta[i] = now_ms() - t0;
		if (good && i == 0) /* it is really there */
			good = sh("nft get element " TABLE " dnat4_any '{ sctp . 40000 }' "
				  ">/dev/null") == 0;
		t0 = now_ms();
		good = good && apply_del(nat, &x, 1) == 0;
		td[i] = now_ms() - t0;
	}
	for (int i = 0; good && i < BENCH_N; i++) {
		struct nat_rule x = dnat(idb, CTR_SCTP, NULL, (uint16_t)(40000 + i),
					 (uint16_t)(40000 + i), CB, 53);
		/* as net.c does it: a handle (a socket) for each change.  Closing a netfilter
		 * netlink socket waits for the kernel's deferred cleanup of recent deletions
		 * (one RCU grace period), so let the one above pass first. */
		usleep(50000);
		struct nat *h = NULL;
		t0 = now_ms();
		good = good && open_nat(&h, true, false) == 0 && apply_add(h, &x, 1) == 0;
		if (h)
			ops->close(h);
		tha[i] = now_ms() - t0;
		h = NULL;
		t0 = now_ms();
		good = good && open_nat(&h, true, false) == 0 && apply_del(h, &x, 1) == 0;
		if (h)
			ops->close(h);
		thd[i] = now_ms() - t0;
	}
	t0 = now_ms();
	struct nat_rule *l = NULL;
	size_t n = 0;
	good = good && ops->list(nat, &l, &n) == 0 && n == existing;
	double tl = now_ms() - t0;
	free(l);
	t0 = now_ms();
	good = good && apply_drop(nat, idb) == 0;
	double tdrop = now_ms() - t0;
	ok(good, "benchmark with %zu existing ports ran", existing);
	if (!good)
		diag("%s", ctr_err_msg());
	if (good) {
		qsort(ta, BENCH_N, sizeof ta[0], cmp_double);
		qsort(td, BENCH_N, sizeof td[0], cmp_double);
		qsort(tha, BENCH_N, sizeof tha[0], cmp_double);
		qsort(thd, BENCH_N, sizeof thd[0], cmp_double);
		diag("%5zu existing: apply(+1 port) median %.3f ms (min %.3f, max %.3f), "
		     "apply(-1 port) %.3f ms; with a handle per change: +1 %.3f ms, -1 %.3f ms; "
		     "fill %.1f ms, list %.1f ms, drop all %.1f ms", existing, ta[BENCH_N / 2],
		     ta[0], ta[BENCH_N - 1], td[BENCH_N / 2], tha[BENCH_N / 2], thd[BENCH_N / 2],
		     tf, tl, tdrop);
	}
	free(v);
}


static void extras(struct nat *nat)
{
	test_batch_failures(nat);
	test_no_lock(nat);
	test_concurrency(nat);
	test_base_repair(nat);
}

static void after_user_check(struct nat *nat)
{
	test_flush_ruleset(nat);
	test_save_restore(nat);
}

static void after_isolation(struct nat *nat)
{
	test_ipv6();
	is_int(ops->ensure_base(nat), 0, "ensure_base without IPv6 again");
	check_base("IPv4 only again");
	check_user_rules("after all operations");
}

static void after_drop_and_del(void)
{
	test_old_kernel();
}

static void bench(struct nat *nat)
{
	bench_one(nat, 10);
	bench_one(nat, 1000);
	bench_one(nat, 10000);
	bench_one(nat, 50000);
}

static const struct backend nftables = {
	.ops = &nat_nftables_ops,
	.v6 = true,
	.base = { 1, "ensure_base: one batch" },
	.base_again = { 0, "ensure_base again: nothing to change, no batch" },
	.add = { 1, "apply: one batch" },
	.add_again = { 1, "... one batch (no reading)" },
	.drop = { 1, "drop: one batch" },
	.drop_again = { 0, "... nothing to delete, no batch" },
	.del = { 1, "... one batch, no reading (absent is not an error)" },
	.grow = { 1, "... one batch" },
	.big_add = { 1, "... in one batch" },
	.big_drop = { 1, "... one batch" },
	.iso_base = { 1, "... one batch" },
	.remove = { 1, "... one batch" },
	.remove_again = { 1, "... one batch, which finds the table gone" },
	.big_n = 10000,
	.a_rules = 20 + 4 + 1,
	.a_rules_say = "container A's ID is on 25 elements (20 DNAT, 4 + 1 link)",
	.user_cmds = user_cmds,
	.n_user_cmds = ARRAY_SIZE(user_cmds),
};

int main(void)
{
	int r = natsuite_main(&nftables);
	free(user0);
	return r;
}
