/* The libiptc NAT backend (lib/sys/nat_iptc.c) through the conformance suite (natsuite.h),
 * with its own tests: the rules it writes are read back with iptables-legacy-save (and
 * iptables -C), commits that fail (EAGAIN, ENOMEM), the xtables lock, repairs of the layout.
 *
 * It defines setsockopt() to count the table commits libiptc makes (IPT_SO_SET_REPLACE) and to
 * make some of them fail on purpose. */
#include "natsuite.h"

#define IPT_SO_SET_REPLACE_ 64 /* IPT_BASE_CTL: one call per table commit */

/* ---- counting and failing commits ------------------------------------------------------- */

static int fail_errno, fail_count; /* fail the next fail_count commits with fail_errno */

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (level == IPPROTO_IP && name == IPT_SO_SET_REPLACE_) {
		n_commits++;
		if (fail_count > 0) {
			fail_count--;
			errno = fail_errno;
			return -1;
		}
	}
	return (int)syscall(SYS_setsockopt, fd, level, name, val, len);
}

/* ---- reading the rules back ---------------------------------------------------------------- */

static char *save(void)
{
	return capture("iptables-legacy-save 2>&1");
}

/* The whole ruleset without the comment lines (times) and the counters (traffic). */
static char *save_norm(void)
{
	return capture("iptables-legacy-save 2>&1 | grep -v '^#' | "
		       "sed -e 's/\\[[0-9]*:[0-9]*\\]//g'");
}

/* Line number (from 0) of the first whole line `line` in `text`, or -1. */
static int line_index(const char *text, const char *line)
{
	size_t len = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p += len)
		if ((p == text || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0')) {
			int n = 0;
			for (const char *q = text; q < p; q++)
				n += *q == '\n';
			return n;
		}
	return -1;
}

/* Packets counted by our raw DROP rule. */
static long raw_drops(void)
{
	char *s = capture("iptables-legacy-save -c -t raw 2>&1");
	const char *want = "-A CTRLINK-RAW-" BR " -d 127.0.0.0/8 ! -i lo -j DROP";
	long pkts = -1;
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		if (line[0] == '[' && sp && strcmp(sp + 1, want) == 0)
			pkts = strtol(line + 1, NULL, 10);
	}
	free(s);
	return pkts;
}

/* A child that holds an exclusive flock on `path` for `ms` milliseconds. */
static pid_t hold_lock(const char *path, int ms)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(p[1], "y", 1) != 1)
			_exit(1);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		_exit(0);
	}
	char c = 0;
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

static const char *base_lines[] = {
	"-A PREROUTING -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-" BR,
	"-A OUTPUT -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-" BR,
	"-A POSTROUTING -j CTRLINK-POST-" BR,
	("-A CTRLINK-POST-" BR " -s 10.77.0.0/24 -d 10.77.0.0/24 -o " BR
	 " -m conntrack --ctstate DNAT -j MASQUERADE"),
	"-A CTRLINK-POST-" BR " -s 127.0.0.0/8 -o " BR " -j MASQUERADE",
	"-A CTRLINK-POST-" BR " -s 10.77.0.0/24 ! -o " BR " -j MASQUERADE",
	"-A FORWARD -j CTRLINK-FWD-" BR,
	"-A CTRLINK-FWD-" BR " -o " BR " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -o " BR " -m conntrack --ctstate DNAT -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j CTRLINK-LINK-" BR,
	"-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -i " BR " ! -o " BR " -j ACCEPT",
	"-A CTRLINK-FWD-" BR " -o " BR " -j DROP",
	"-A PREROUTING -j CTRLINK-RAW-" BR,
	"-A CTRLINK-RAW-" BR " -d 127.0.0.0/8 ! -i lo -j DROP",
};

static const char *chain_lines[] = {
	":CTRLINK-DNAT-" BR " - [0:0]", ":CTRLINK-POST-" BR " - [0:0]",
	":CTRLINK-FWD-" BR " - [0:0]",  ":CTRLINK-LINK-" BR " - [0:0]",
	":CTRLINK-RAW-" BR " - [0:0]",
};

/* The user's own rules and chain, which must survive everything. */
static const char *user_cmds[] = {
	("iptables-legacy -w -t nat -A PREROUTING -p tcp --dport 2222 -j DNAT "
	 "--to-destination 10.9.9.9:22"),
	"iptables-legacy -w -N USERCHAIN",
	"iptables-legacy -w -A USERCHAIN -s 1.2.3.4/32 -j DROP",
	"iptables-legacy -w -A FORWARD -j USERCHAIN",
	"iptables-legacy -w -t raw -A PREROUTING -s 203.0.113.7/32 -j DROP",
	"iptables-legacy -w -t nat -N USERNAT",
	"iptables-legacy -w -t nat -A USERNAT -d 198.51.100.1/32 -j RETURN",
};
static const char *user_lines[] = {
	"-A PREROUTING -p tcp -m tcp --dport 2222 -j DNAT --to-destination 10.9.9.9:22",
	":USERCHAIN - [0:0]",
	"-A USERCHAIN -s 1.2.3.4/32 -j DROP",
	"-A FORWARD -j USERCHAIN",
	"-A PREROUTING -s 203.0.113.7/32 -j DROP",
	":USERNAT - [0:0]",
	"-A USERNAT -d 198.51.100.1/32 -j RETURN",
};

static void check_user_rules(const char *when)
{
	char *s = save();
	for (size_t i = 0; i < ARRAY_SIZE(user_lines); i++)
		is_int(count_line(s, user_lines[i]), 1, "%s: user's \"%s\" is there once", when,
		       user_lines[i]);
	free(s);
}

/* ---- the suite's questions, in iptables' terms ---------------------------------------------- */

static void check_base(const char *when)
{
	char *s = save();
	for (size_t i = 0; i < ARRAY_SIZE(base_lines); i++)
		is_int(count_line(s, base_lines[i]), 1, "%s: base rule once: %s", when,
		       base_lines[i]);
	free(s);
}

static void base_extra(void)
{
	char *s = save();
	for (size_t i = 0; i < ARRAY_SIZE(chain_lines); i++)
		is_int(count_line(s, chain_lines[i]), 1, "chain once: %s", chain_lines[i]);
	ok(line_index(s, "-A FORWARD -j CTRLINK-FWD-" BR) <
		   line_index(s, "-A FORWARD -j USERCHAIN"),
	   "FORWARD jump inserted first (before the user's rule)");
	ok(line_index(s, user_lines[0]) < line_index(s, base_lines[0]),
	   "nat PREROUTING jump appended (after the user's rule)");
	ok(line_index(s, "-A PREROUTING -j CTRLINK-RAW-" BR) <
		   line_index(s, "-A PREROUTING -s 203.0.113.7/32 -j DROP"),
	   "raw PREROUTING jump inserted first");
	free(s);

	struct stat st;
	ok(stat("/run/xtables.lock", &st) == 0 && (st.st_mode & 0777) == 0600,
	   "the xtables lock /run/xtables.lock was created 0600");
}

/* list() gives the rules in the order of our chains (nat, then filter). */
static void list_check(struct nat *nat, const struct nat_rule *want, size_t n, const char *what)
{
	struct nat_rule *l = NULL;
	size_t nl = 0;
	is_int(ops->list(nat, &l, &nl), 0, "list (%s)", what);
	is_int((long long)nl, (long long)n, "list: %zu rules (%s)", n, what);
	bool same = nl == n;
	for (size_t i = 0; same && i < n; i++)
		same = nat_rule_equal(&l[i], &want[i]);
	ok(same, "list: %s, in the order of the chains", what);
	free(l);
}

/* iptables-legacy-save's lines for the add[] list of test_rules_and_traffic. */
static void added_lines(char want[7][512])
{
	snprintf(want[0], 512, "-A CTRLINK-DNAT-" BR " -p tcp -m tcp --dport 8080 -m "
		 "comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA ":80", ida);
	snprintf(want[1], 512, "-A CTRLINK-DNAT-" BR " -p tcp -m tcp --dport 9000:9010"
		 " -m comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA
		 ":7000-7010/9000", ida);
	snprintf(want[2], 512, "-A CTRLINK-DNAT-" BR " -p udp -m udp --dport 5000:5005"
		 " -m comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA, ida);
	snprintf(want[3], 512, "-A CTRLINK-DNAT-" BR " -d " HOST_IP "/32 -p tcp -m tcp "
		 "--dport 443 -m comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA,
		 ida);
	snprintf(want[4], 512, "-A CTRLINK-DNAT-" BR " -p sctp -m sctp --dport 3868 -m "
		 "comment --comment \"ctrlink:%s\" -j DNAT --to-destination " CA ":3869", ida);
	snprintf(want[5], 512, "-A CTRLINK-LINK-" BR " -s " CB "/32 -d " CA "/32 -p "
		 "tcp -m tcp --dport 5432 -m comment --comment \"ctrlink:%s:%s\" -j ACCEPT", idb,
		 ida);
	snprintf(want[6], 512, "-A CTRLINK-LINK-" BR " -s " CB "/32 -d " CA "/32 -p "
		 "udp -m udp --dport 6000:6002 -m comment --comment \"ctrlink:%s:%s\" -j ACCEPT",
		 idb, ida);
}

static void added(void)
{
	char want[7][512];
	added_lines(want);
	char *s = save();
	for (size_t i = 0; i < 7; i++)
		is_int(count_line(s, want[i]), 1, "rule present once: %s", want[i]);
	free(s);
}

static void readded(const char *before)
{
	(void)before;
	char want[7][512];
	added_lines(want);
	char *s = save();
	for (size_t i = 0; i < 7; i++)
		is_int(count_line(s, want[i]), 1, "still once: rule %zu", i);
	free(s);
}

static void listed(struct nat *nat, const struct nat_rule *add, size_t n)
{
	/* iptables' own encoding of the same rules is ours, byte for byte (-C checks). */
	is_int(sh("iptables-legacy -w -t nat -C CTRLINK-DNAT-" BR " -p tcp --dport 9000:9010 -m "
		  "comment --comment ctrlink:%s -j DNAT --to-destination " CA ":7000-7010/9000",
		  ida), 0, "iptables -C finds our DNAT rule with offset");
	is_int(sh("iptables-legacy -w -t nat -C CTRLINK-DNAT-" BR " -p udp --dport 5000:5005 -m "
		  "comment --comment ctrlink:%s -j DNAT --to-destination " CA, ida), 0,
	       "iptables -C finds our address-only DNAT rule");
	is_int(sh("iptables-legacy -w -C CTRLINK-LINK-" BR " -s " CB " -d " CA " -p tcp "
		  "--dport 5432 -m comment --comment ctrlink:%s:%s -j ACCEPT", idb, ida), 0,
	       "iptables -C finds our LINK rule");

	struct nat_rule *l = NULL;
	size_t nl = 0;
	is_int(ops->list(nat, &l, &nl), 0, "list");
	is_int((long long)nl, (long long)n, "list: as many rules as added");
	for (size_t i = 0; i < nl && i < n; i++)
		ok(nat_rule_equal(&l[i], &add[i]), "list: rule %zu is the one added", i);
	free(l);
}

static const char *const proto_names[CTR_NPROTO] = { "tcp", "udp", "sctp" };

/* A one-port rule as iptables-legacy-save shows it. */
static void dnat_line(char *buf, size_t len, const struct nat_rule *r)
{
	char cip[INET_ADDRSTRLEN], cport[16] = "";
	inet_ntop(AF_INET, &r->u.dnat.cip, cip, sizeof cip);
	if (r->u.dnat.cport_lo != r->u.dnat.hport_lo)
		snprintf(cport, sizeof cport, ":%u", r->u.dnat.cport_lo);
	snprintf(buf, len, "-A CTRLINK-DNAT-" BR " -p %s -m %s --dport %u -m comment --comment "
		 "\"ctrlink:%s\" -j DNAT --to-destination %s%s", proto_names[r->proto],
		 proto_names[r->proto], r->u.dnat.hport_lo, r->owner, cip, cport);
}

static void link_line(char *buf, size_t len, const struct nat_rule *r)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &r->u.link.src, src, sizeof src);
	inet_ntop(AF_INET, &r->u.link.dst, dst, sizeof dst);
	snprintf(buf, len, "-A CTRLINK-LINK-" BR " -s %s/32 -d %s/32 -p %s -m %s --dport %u -m "
		 "comment --comment \"ctrlink:%s:%s\" -j ACCEPT", src, dst, proto_names[r->proto],
		 proto_names[r->proto], r->u.link.port_lo, r->owner, r->peer);
}

/* A rule of someone else in our LINK chain, in the middle: left alone. */
static void foreign_link_add(void)
{
	is_int(sh("iptables-legacy -w -I CTRLINK-LINK-" BR " 20 -s 10.1.1.1/32 -j RETURN"), 0,
	       "a foreign rule inserted in the middle of our LINK chain");
}

static void foreign_link_check(const char *s)
{
	is_int(count_line(s, "-A CTRLINK-LINK-" BR " -s 10.1.1.1/32 -j RETURN"), 1,
	       "the foreign rule is still there");
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j CTRLINK-LINK-" BR), 1,
	       "the jump to the LINK chain is intact");
}

static void foreign_link_del(void)
{
	sh("iptables-legacy -w -D CTRLINK-LINK-" BR " -s 10.1.1.1/32 -j RETURN");
}

static void martian_counts(long c[2])
{
	c[0] = raw_drops();
	c[1] = 0;
}

static void iso_check(void)
{
	char *s = save();
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j DROP"), 1,
	       "isolation: -i br -o br -j DROP, once");
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -i " BR " -o " BR " -j ACCEPT"), 0,
	       "isolation: no -i br -o br -j ACCEPT");
	free(s);
}

/* A rule of the user's jumping to our chain: we cannot delete it, nothing happens. */
static void remove_all_pre(struct nat *nat)
{
	sh("iptables-legacy -w -A USERCHAIN -j CTRLINK-LINK-" BR);
	char *s0 = save_norm();
	is_int(ops->remove_all(nat), -EBUSY, "remove_all refuses while a user's rule uses a chain");
	ok(strstr(ctr_err_msg(), "CTRLINK-LINK-" BR) != NULL, "... clear message: %s",
	   ctr_err_msg());
	char *s1 = save_norm();
	is_str(s1, s0, "... and nothing changed");
	free(s0);
	free(s1);
	sh("iptables-legacy -w -D USERCHAIN -j CTRLINK-LINK-" BR);
}

static int ours_left(void)
{
	char *s = save();
	int n = count_substr(s, "CTRLINK");
	free(s);
	return n;
}

static char *rules(void)
{
	return save();
}

static char *snapshot(void)
{
	return save_norm();
}

static void after_del(void)
{
}

static void setup(void)
{
}

/* ---- the backend's own tests ------------------------------------------------------------------ */

static void test_commit_failures(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7200, 7200, CB, 80),
				link_rule(idh, idg, CTR_TCP, CA, CB, 7, 7) };
	char *s0 = save_norm();

	fail_errno = EAGAIN;
	fail_count = 1;
	int before = n_commits;
	is_int(apply_add(nat, a, 2), 0, "apply: a commit that fails with EAGAIN is retried");
	is_int(n_commits - before, 3, "... 3 commits: nat failed, nat again, filter");
	char *s = save();
	is_int(count_substr(s, idh), 2, "... the rules are there once");
	free(s);
	is_int(apply_drop(nat, idh), 0, "drop them");

	fail_errno = EAGAIN;
	fail_count = 100;
	before = n_commits;
	is_int(apply_add(nat, a, 2), -EAGAIN, "apply: EAGAIN every time fails with -EAGAIN");
	ok(strstr(ctr_err_msg(), "kept changing") != NULL, "... clear message: %s",
	   ctr_err_msg());
	is_int(n_commits - before, 5, "... after 5 tries");
	fail_count = 0;
	s = save_norm();
	is_str(s, s0, "... nothing changed");
	free(s);

	fail_errno = ENOMEM;
	fail_count = 1;
	is_int(apply_add(nat, a, 2), -ENOMEM, "apply: a commit failing with ENOMEM fails");
	ok(strstr(ctr_err_msg(), "nat") != NULL, "... clear message: %s", ctr_err_msg());
	fail_count = 0;
	s = save_norm();
	is_str(s, s0, "... nothing changed");
	free(s);
	free(s0);
}

static void test_lock(struct nat *nat)
{
	struct nat_rule a[] = { dnat(idh, CTR_TCP, NULL, 7300, 7300, CB, 80) };
	pid_t pid = hold_lock("/run/xtables.lock", 400);
	ok(pid > 0, "another process holds /run/xtables.lock for 400 ms");
	double t0 = now_ms();
	is_int(apply_add(nat, a, 1), 0, "apply waits for the lock, then succeeds");
	double dt = now_ms() - t0;
	ok(dt >= 300, "... after waiting (%.0f ms)", dt);
	if (pid > 0)
		waitpid(pid, NULL, 0);

	setenv("XTABLES_LOCKFILE", "/run/other.lock", 1);
	pid = hold_lock("/run/other.lock", 400);
	t0 = now_ms();
	is_int(apply_drop(nat, idh), 0, "XTABLES_LOCKFILE: apply waits for that lock file");
	dt = now_ms() - t0;
	ok(dt >= 300, "... after waiting (%.0f ms)", dt);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	pid = hold_lock("/run/xtables.lock", 400);
	t0 = now_ms();
	is_int(ops->ensure_base(nat), 0, "XTABLES_LOCKFILE: the default lock is not taken");
	dt = now_ms() - t0;
	ok(dt < 300, "... no wait (%.0f ms)", dt);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	unsetenv("XTABLES_LOCKFILE");
}

static void test_base_repair(struct nat *nat)
{
	/* Someone puts a rule before our POSTROUTING jump: ours stays where it is now. */
	sh("iptables-legacy -w -t nat -I POSTROUTING 1 -s 198.51.100.0/24 -j RETURN");
	int before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base with our jump no longer first");
	is_int(n_commits - before, 0, "... nothing to commit: the jump may stay there");
	char *s = save();
	ok(line_index(s, "-A POSTROUTING -s 198.51.100.0/24 -j RETURN") <
		   line_index(s, "-A POSTROUTING -j CTRLINK-POST-" BR),
	   "... the other rule is still first");
	free(s);
	sh("iptables-legacy -w -t nat -D POSTROUTING -s 198.51.100.0/24 -j RETURN");

	/* Duplicated jump, missing jump, damaged chain: repaired in one commit per table. */
	sh("iptables-legacy -w -t nat -A POSTROUTING -j CTRLINK-POST-" BR);
	sh("iptables-legacy -w -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CTRLINK-DNAT-" BR);
	sh("iptables-legacy -w -t nat -D CTRLINK-POST-" BR " 2");
	sh("iptables-legacy -w -A CTRLINK-FWD-" BR " -j ACCEPT");
	sh("iptables-legacy -w -t raw -F CTRLINK-RAW-" BR);
	before = n_commits;
	is_int(ops->ensure_base(nat), 0, "ensure_base repairs the layout");
	is_int(n_commits - before, 3, "... one commit per table");
	s = save();
	for (size_t i = 0; i < ARRAY_SIZE(base_lines); i++)
		is_int(count_line(s, base_lines[i]), 1, "repaired, once: %s", base_lines[i]);
	ok(line_index(s, base_lines[3]) + 1 == line_index(s, base_lines[4]) &&
		   line_index(s, base_lines[4]) + 1 == line_index(s, base_lines[5]),
	   "the POST chain is in order");
	is_int(count_line(s, "-A CTRLINK-FWD-" BR " -j ACCEPT"), 0, "the foreign FWD rule is gone");
	free(s);
	check_user_rules("after repair");
}

/* Time apply() of one DNAT rule with `existing` rules in our chain (median of 21). */
static void bench_one(struct nat *nat, size_t existing)
{
	struct nat_rule *v = calloc(existing, sizeof *v);
	double t[21];
	bool good = v != NULL;
	for (size_t i = 0; good && i < existing; i++)
		v[i] = dnat(idb, CTR_TCP, NULL, (uint16_t)(20000 + i), (uint16_t)(20000 + i), CB,
			    80);
	good = good && apply_add(nat, v, existing) == 0;
	for (int i = 0; good && i < 21; i++) {
		struct nat_rule x = dnat(idb, CTR_UDP, NULL, (uint16_t)(40000 + i),
					 (uint16_t)(40000 + i), CB, 53);
		double t0 = now_ms();
		good = apply_add(nat, &x, 1) == 0;
		t[i] = now_ms() - t0;
		good = good && apply_del(nat, &x, 1) == 0;
	}
	double t0 = now_ms();
	struct nat_rule *l = NULL;
	size_t n = 0;
	good = good && ops->list(nat, &l, &n) == 0 && n == existing;
	double tl = now_ms() - t0;
	free(l);
	t0 = now_ms();
	good = good && apply_drop(nat, idb) == 0;
	double td = now_ms() - t0;
	ok(good, "benchmark with %zu existing rules ran", existing);
	if (good) {
		qsort(t, 21, sizeof t[0], cmp_double);
		diag("apply(1 DNAT) with %5zu existing: median %.3f ms (min %.3f, max %.3f); "
		     "list %.3f ms; drop all %.3f ms", existing, t[10], t[0], t[20], tl, td);
	}
	free(v);
}


static void extras(struct nat *nat)
{
	test_commit_failures(nat);
	test_lock(nat);
	test_base_repair(nat);
}

static void after_drop_and_del(void)
{
}

static void after_user_check(struct nat *nat)
{
	(void)nat;
}

static void after_isolation(struct nat *nat)
{
	(void)nat;
}

static void bench(struct nat *nat)
{
	bench_one(nat, 10);
	bench_one(nat, 1000);
	bench_one(nat, 10000);
}

static const struct backend iptables = {
	.ops = &nat_iptables_ops,
	.v6 = false,
	.base = { 3, "ensure_base: one commit per table (nat, filter, raw)" },
	.base_again = { 0, "ensure_base again: nothing to commit" },
	.add = { 2, "apply: one commit for nat, one for filter" },
	.add_again = { 0, "... nothing to commit: present rules are not added twice" },
	.drop = { 2, "drop: one commit for nat, one for filter" },
	.drop_again = { 0, "... nothing to commit" },
	.del = { 1, "... one commit (nat only)" },
	.grow = { 1, "... one commit" },
	.big_add = { 1, "... in one commit" },
	.big_drop = { 1, "... one commit: only nat changed" },
	.iso_base = { 1, "... one commit (filter)" },
	.remove = { 3, "... one commit per table" },
	.remove_again = { 0, "... nothing to commit" },
	.big_n = 1000,
	.a_rules = 5 + 2 + 1,
	.a_rules_say = "container A's ID appears in 8 rules (5 DNAT, 3 links)",
	.user_cmds = user_cmds,
	.n_user_cmds = ARRAY_SIZE(user_cmds),
};

int main(void)
{
	unsetenv("XTABLES_LOCKFILE");
	return natsuite_main(&iptables);
}
