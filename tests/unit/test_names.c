/* Unit tests for lib/core/names.c: name and alias validation, message escaping, the generator. */
#include <stdlib.h>
#include <string.h>

#include "core/names.h"
#include "tap.h"

#define ONLY "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
#define BADNAME(x) "Invalid container name (" x "), " ONLY
#define BADALIAS(x) "Invalid link alias (" x "), " ONLY

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- validation -------------------------------------------------------------------------- */

struct vcase {
	const char *in;
	const char *msg; /* NULL: valid */
};

static const struct vcase name_cases[] = {
	{ "ab", NULL },
	{ "web", NULL },
	{ "/web", NULL },
	{ "Web-1_x.y", NULL },
	{ "9lives", NULL },
	{ "x.", NULL },
	{ "x_", NULL },
	{ "x-", NULL },
	{ "/x.", NULL },
	{ "a", BADNAME("a") },
	{ "/a", BADNAME("/a") },
	{ "", BADNAME("") },
	{ "/", BADNAME("/") },
	{ "//web", BADNAME("//web") },
	{ "_x", BADNAME("_x") },
	{ ".x", BADNAME(".x") },
	{ "-x", BADNAME("-x") },
	{ "/_x", BADNAME("/_x") },
	{ "web/db", BADNAME("web/db") },
	{ "../etc", BADNAME("../etc") },
	{ "..", BADNAME("..") },
	{ "a b", BADNAME("a b") },
	{ "a\nb", BADNAME("a\\nb") },
	{ "web\n127.0.0.1 evil", BADNAME("web\\n127.0.0.1 evil") },
	{ "a\tb", BADNAME("a\\tb") },
	{ "a\rb", BADNAME("a\\rb") },
	{ "a\x01\x1b[31m", BADNAME("a\\x01\\x1b[31m") },
	{ "a\x7f", BADNAME("a\\x7f") },
	{ "caf\xc3\xa9", BADNAME("caf\\xc3\\xa9") },
	{ "a\0b", BADNAME("a") }, /* a C string ends at the NUL */
	{ "x;rm -rf /", BADNAME("x;rm -rf /") },
	{ "$(id)", BADNAME("$(id)") },
	{ "a`id`", BADNAME("a`id`") },
	{ "a|b", BADNAME("a|b") },
	{ "a&b", BADNAME("a&b") },
	{ "a>b", BADNAME("a>b") },
	{ "a*", BADNAME("a*") },
	{ "a:b", BADNAME("a:b") },
	{ "a=b", BADNAME("a=b") },
	{ "a\\b", BADNAME("a\\b") },
	{ "a\"b'", BADNAME("a\"b'") },
	{ "web%s%n", BADNAME("web%s%n") },
};

static const struct vcase alias_cases[] = {
	{ "db", NULL },
	{ "d", NULL },
	{ "7", NULL },
	{ "my.db-1", NULL },
	{ "db_", NULL },
	{ "db.", NULL },
	{ "DB", NULL },
	{ "", "Invalid link alias: empty" },
	{ "-db", BADALIAS("-db") },
	{ "_db", BADALIAS("_db") },
	{ ".db", BADALIAS(".db") },
	{ "/db", BADALIAS("/db") },
	{ "web/db", BADALIAS("web/db") },
	{ "db:x", BADALIAS("db:x") },
	{ "a b", BADALIAS("a b") },
	{ "db\n1.2.3.4\tevil", BADALIAS("db\\n1.2.3.4\\tevil") },
	{ "PATH=/x", BADALIAS("PATH=/x") },
	{ "d$b", BADALIAS("d$b") },
	{ "d\xff", BADALIAS("d\\xff") },
};

static void test_validate(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(name_cases); i++) {
		const struct vcase *c = &name_cases[i];
		ctr_err_clear();
		int r = name_validate(c->in);
		if (!c->msg)
			ok(r == 0 && ctr_err_msg()[0] == '\0', "name_validate ok: %s", c->in);
		else
			ok(r == -EINVAL && strcmp(ctr_err_msg(), c->msg) == 0,
			   "name_validate refuses case %zu: %s", i, ctr_err_msg());
	}
	ctr_err_clear();
	is_int(name_validate(NULL), -EINVAL, "name_validate(NULL)");

	for (size_t i = 0; i < ARRAY_SIZE(alias_cases); i++) {
		const struct vcase *c = &alias_cases[i];
		ctr_err_clear();
		int r = alias_validate(c->in);
		if (!c->msg)
			ok(r == 0, "alias_validate ok: %s", c->in);
		else
			ok(r == -EINVAL && strcmp(ctr_err_msg(), c->msg) == 0,
			   "alias_validate refuses case %zu: %s", i, ctr_err_msg());
	}
	is_int(alias_validate(NULL), -EINVAL, "alias_validate(NULL)");
	is_str(ctr_err_msg(), "Invalid link alias: empty", "alias_validate(NULL) message");
}

/* Lengths: the 128-character cap and the cut echo of long names. */
static void test_lengths(void)
{
	char *n128 = repeat('a', 128), *n129 = repeat('a', 129), *n4k = repeat('a', 4096);
	char *slash128 = malloc(130);
	if (!slash128)
		abort();
	slash128[0] = '/';
	memcpy(slash128 + 1, n128, 129);

	is_int(name_validate(n128), 0, "128-character name is valid");
	is_int(name_validate(slash128), 0, "/ + 128 characters is valid");
	is_int(name_validate(n129), -EINVAL, "129-character name is refused");
	char want[400];
	snprintf(want, sizeof want,
		 "Invalid container name (%s...), at most 128 characters are allowed", n128);
	is_str(ctr_err_msg(), want, "129 characters: message echoes 128 and ...");
	is_int(name_validate(n4k), -EINVAL, "4 KiB name is refused");
	is_str(ctr_err_msg(), want, "4 KiB name: message cut at 128 characters");

	/* 4 KiB of newlines: 64 escapes then "...". */
	char *nl4k = repeat('\n', 4096);
	nl4k[0] = 'a';
	is_int(name_validate(nl4k), -EINVAL, "4 KiB of newlines is refused");
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "Invalid container name (a");
	for (int i = 0; i < 63; i++)
		sb_add(&sb, "\\n");
	sb_add(&sb, "...), " ONLY);
	is_str(ctr_err_msg(), sb_str(&sb), "4 KiB of newlines: escaped and cut");
	ok(strchr(ctr_err_msg(), '\n') == NULL && strlen(ctr_err_msg()) < 200,
	   "message has no raw newline and a bounded length");
	sb_free(&sb);

	/* A long name with a bad character: the character message wins. */
	n4k[4000] = '!';
	is_int(name_validate(n4k), -EINVAL, "4 KiB name with '!' is refused");
	ok(strstr(ctr_err_msg(), ONLY) != NULL, "bad character reported before length");

	is_int(alias_validate(n128), 0, "128-character alias is valid");
	is_int(alias_validate(n129), -EINVAL, "129-character alias is refused");
	snprintf(want, sizeof want,
		 "Invalid link alias (%s...), at most 128 characters are allowed", n128);
	is_str(ctr_err_msg(), want, "129-character alias message");

	free(n128);
	free(n129);
	free(n4k);
	free(nl4k);
	free(slash128);
}

struct esc_case {
	const char *in;
	size_t len;
	const char *want;
};

static void test_escape(void)
{
	static const struct esc_case cases[] = {
		{ "plain-text_1.2", 64, "plain-text_1.2" },
		{ "", 64, "" },
		{ NULL, 64, "" },
		{ "\a\b\f\n\r\t\v", 64, "\\a\\b\\f\\n\\r\\t\\v" },
		{ "\x01\x1f\x7f\x80\xff", 64, "\\x01\\x1f\\x7f\\x80\\xff" },
		{ "back\\slash \"q\"", 64, "back\\slash \"q\"" },
		{ "abcdefgh", 8, "abcd..." },
		{ "abcd", 8, "abcd" },
		{ "abc\n", 8, "abc..." },      /* the escape would not fit: cut before it */
		{ "ab\n", 8, "ab\\n" },
		{ "\x01", 8, "\\x01" },
		{ "\x01z", 8, "\\x01..." },
		{ "abc", 4, "" },               /* too small a buffer: empty */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[80];
		memset(buf, 'X', sizeof buf);
		msg_escape(cases[i].in, buf, cases[i].len);
		is_str(buf, cases[i].want, "msg_escape case %zu", i);
	}
}

/* ---- IDs and the other kinds of names --------------------------------------------------- */

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_ids(void)
{
	static const struct {
		const char *in;
		size_t max;
		bool id, prefix;
	} cases[] = {
		{ ID64, SIZE_MAX, true, true },
		{ ID64, 65, true, true },
		{ ID64, 64, true, true },   /* a full 64-byte field needs no NUL */
		{ ID64, 63, false, true },  /* 63 bytes read: too short */
		{ ID64 "0", SIZE_MAX, false, false },
		{ ID64 "0", 64, true, false }, /* only 64 bytes are read */
		{ "0123", SIZE_MAX, false, true },
		{ "a", SIZE_MAX, false, true },
		{ "", SIZE_MAX, false, false },
		{ "cgroup.procs", SIZE_MAX, false, false },
		{ "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", SIZE_MAX, false,
		  false },
		{ "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef", SIZE_MAX, false,
		  false },
		{ "abc ", SIZE_MAX, false, false },
		{ "abc\n", SIZE_MAX, false, false },
		{ "web", SIZE_MAX, false, false },
		{ NULL, SIZE_MAX, false, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		is_int(id_valid(cases[i].in, cases[i].max), cases[i].id, "id_valid case %zu", i);
		is_int(id_prefix_valid(cases[i].in), cases[i].prefix, "id_prefix_valid case %zu", i);
	}
}

#define BADBR(x) "invalid bridge name \"" x "\": 1 to 15 characters of [a-zA-Z0-9_.-], not " \
	"\".\" or \"..\""
#define BADHOST(w, x) "invalid " w " \"" x "\": use 1 to 63 letters, digits, '-' and '.' (RFC 1123)"
#define BADIF(x) "invalid interface name \"" x "\" (no '/', ':', '%', spaces, \".\" or \"..\")"

static void test_kinds(void)
{
	static const struct {
		enum name_kind kind;
		const char *in;
		const char *msg; /* NULL: valid */
	} cases[] = {
		{ NAME_CONTAINER, "web", NULL },
		{ NAME_CONTAINER, "/web", NULL },
		{ NAME_CONTAINER, "a", BADNAME("a") },
		{ NAME_ALIAS, "a", NULL },
		{ NAME_ALIAS, "", "Invalid link alias: empty" },
		{ NAME_ALIAS, "/a", BADALIAS("/a") },
		{ NAME_BRIDGE, "ctrlink0", NULL },
		{ NAME_BRIDGE, "_br.x-1", NULL },
		{ NAME_BRIDGE, "123456789012345", NULL },
		{ NAME_BRIDGE, "1234567890123456", BADBR("1234567890123456") },
		{ NAME_BRIDGE, "", BADBR("") },
		{ NAME_BRIDGE, ".", BADBR(".") },   /* ctr_ctx_open took these two before */
		{ NAME_BRIDGE, "..", BADBR("..") },
		{ NAME_BRIDGE, "...", NULL },
		{ NAME_BRIDGE, "br 0", BADBR("br 0") },
		{ NAME_BRIDGE, "br/0", BADBR("br/0") },
		{ NAME_BRIDGE, "br\n0", BADBR("br\\n0") },
		{ NAME_BRIDGE, "br\xc3\xa9", BADBR("br\\xc3\\xa9") },
		{ NAME_HOSTNAME, "web", NULL },
		{ NAME_HOSTNAME, "a.b-c.d", NULL },
		{ NAME_HOSTNAME, "9", NULL },
		{ NAME_HOSTNAME, "", BADHOST("hostname", "") },
		{ NAME_HOSTNAME, "-a", BADHOST("hostname", "-a") },
		{ NAME_HOSTNAME, "a-", BADHOST("hostname", "a-") },
		{ NAME_HOSTNAME, "a.", BADHOST("hostname", "a.") },
		{ NAME_HOSTNAME, ".a", BADHOST("hostname", ".a") },
		{ NAME_HOSTNAME, "a..b", BADHOST("hostname", "a..b") },
		{ NAME_HOSTNAME, "a-.b", BADHOST("hostname", "a-.b") },
		{ NAME_HOSTNAME, "a.-b", BADHOST("hostname", "a.-b") },
		{ NAME_HOSTNAME, "a_b", BADHOST("hostname", "a_b") },
		{ NAME_HOSTNAME, "a\tb", BADHOST("hostname", "a\\tb") },
		{ NAME_HOSTNAME, "123456789012345678901234567890123456789012345678901234567890123",
		  NULL },
		{ NAME_HOSTNAME, "1234567890123456789012345678901234567890123456789012345678901234",
		  BADHOST("hostname",
			  "1234567890123456789012345678901234567890123456789012345678901234") },
		{ NAME_DOMAINNAME, "example.org", NULL },
		{ NAME_DOMAINNAME, "ex ample", BADHOST("domain name", "ex ample") },
		{ NAME_IFNAME, "eth0", NULL },
		{ NAME_IFNAME, "veth-1.x_y@z", NULL },
		{ NAME_IFNAME, "caf\xc3\xa9", NULL }, /* the kernel takes any byte but these */
		{ NAME_IFNAME, "", "an interface name is empty" },
		{ NAME_IFNAME, "0123456789abcdef",
		  "interface name \"0123456789abcde...\" is too long: at most 15 bytes" },
		{ NAME_IFNAME, "\n123456789abcdefg",
		  "interface name \"\\n123456789abcde...\" is too long: at most 15 bytes" },
		{ NAME_IFNAME, "a\x01", "interface name contains a control character" },
		{ NAME_IFNAME, "a\x7f", "interface name contains a control character" },
		{ NAME_IFNAME, "a b", BADIF("a b") },
		{ NAME_IFNAME, "a/b", BADIF("a/b") },
		{ NAME_IFNAME, "a:b", BADIF("a:b") },
		{ NAME_IFNAME, "veth%d", BADIF("veth%d") },
		{ NAME_IFNAME, ".", BADIF(".") },
		{ NAME_IFNAME, "..", BADIF("..") },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ctr_err_clear();
		int r = name_check(cases[i].kind, cases[i].in);
		bool good = name_ok(cases[i].kind, cases[i].in);
		if (!cases[i].msg) {
			ok(r == 0 && good && ctr_err_msg()[0] == '\0', "name_check ok: case %zu", i);
		} else {
			ok(r == -EINVAL && !good, "name_check refuses case %zu", i);
			is_str(ctr_err_msg(), cases[i].msg, "its message");
		}
	}
	for (int k = NAME_CONTAINER; k <= NAME_IFNAME; k++)
		ok(!name_ok(k, NULL) && name_check(k, NULL) == -EINVAL, "kind %d: NULL is refused", k);
	is_str(SHOWN("a\nb\xff"), "a\\nb\\xff", "SHOWN escapes as msg_escape does");
	char big[400];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ok(strlen(SHOWN(big)) == CTR_ESC_BUF - 1 && strcmp(SHOWN(big) + CTR_ESC_BUF - 4, "...") == 0,
	   "SHOWN cuts long text at %d characters and \"...\"", CTR_ESC_BUF - 4);
}

/* ---- generator --------------------------------------------------------------------------- */

/* Returns the values of a table in turn, then counts up. */
struct seq {
	const uint64_t *v;
	size_t n, i;
	unsigned calls;
};

static uint64_t seq_next(void *ctx)
{
	struct seq *s = ctx;
	s->calls++;
	if (s->i < s->n)
		return s->v[s->i++];
	return s->i++;
}

static uint64_t splitmix(void *ctx)
{
	uint64_t *x = ctx;
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A set of taken names (linear; small). */
struct taken_set {
	char **names;
	size_t n;
	unsigned asked;
	int take_first;       /* the first N names asked are taken regardless */
	bool plain_taken;     /* names without a digit are taken */
};

static bool is_taken(const char *name, void *ctx)
{
	struct taken_set *t = ctx;
	t->asked++;
	if (t->take_first > 0) {
		t->take_first--;
		return true;
	}
	size_t len = strlen(name);
	if (t->plain_taken && !(name[len - 1] >= '0' && name[len - 1] <= '9'))
		return true;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return true;
	return false;
}

static bool all_lower(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if (*w < 'a' || *w > 'z')
			return false;
	return true;
}

static void test_word_lists(void)
{
	ok(names_n_adjectives >= 100, "%zu adjectives", names_n_adjectives);
	ok(names_n_surnames >= 200, "%zu surnames", names_n_surnames);
	size_t maxa = 0, maxs = 0;
	bool lower = true, uniq = true;
	for (size_t i = 0; i < names_n_adjectives; i++) {
		lower &= all_lower(names_adjectives[i]);
		if (strlen(names_adjectives[i]) > maxa)
			maxa = strlen(names_adjectives[i]);
		for (size_t j = 0; j < i; j++)
			uniq &= strcmp(names_adjectives[i], names_adjectives[j]) != 0;
		for (size_t j = 0; j < names_n_surnames; j++)
			uniq &= strcmp(names_adjectives[i], names_surnames[j]) != 0;
	}
	for (size_t i = 0; i < names_n_surnames; i++) {
		lower &= all_lower(names_surnames[i]);
		if (strlen(names_surnames[i]) > maxs)
			maxs = strlen(names_surnames[i]);
		for (size_t j = 0; j < i; j++)
			uniq &= strcmp(names_surnames[i], names_surnames[j]) != 0;
	}
	ok(lower, "every word is [a-z]+");
	ok(uniq, "no word appears twice");
	ok(maxa + 1 + maxs + 1 + 1 <= CTR_GEN_NAME_MAX, "longest name (%zu) fits CTR_GEN_NAME_MAX",
	   maxa + 1 + maxs + 1);
	char longest[CTR_GEN_NAME_MAX];
	char *za = repeat('z', maxa), *zs = repeat('z', maxs);
	snprintf(longest, sizeof longest, "%s_%s9", za, zs);
	free(za);
	free(zs);
	is_int(name_validate(longest), 0, "the longest possible name is a valid name");
}

static void test_generate(void)
{
	char buf[CTR_GEN_NAME_MAX], want[CTR_GEN_NAME_MAX];

	/* Attempt 0: plain name from the first two draws. */
	static const uint64_t v1[] = { 3, 7 };
	struct seq s1 = { v1, 2, 0, 0 };
	is_int(name_generate(buf, sizeof buf, seq_next, &s1, NULL, NULL), 0, "generate plain");
	snprintf(want, sizeof want, "%s_%s", names_adjectives[3], names_surnames[7]);
	is_str(buf, want, "plain name from draws 3, 7");
	is_int(s1.calls, 2, "two draws for a plain name");
	is_int(name_validate(buf), 0, "generated name is valid");

	/* Large values wrap by modulo. */
	static const uint64_t v2[] = { UINT64_MAX, UINT64_MAX };
	struct seq s2 = { v2, 2, 0, 0 };
	is_int(name_generate(buf, sizeof buf, seq_next, &s2, NULL, NULL), 0, "generate max");
	snprintf(want, sizeof want, "%s_%s", names_adjectives[UINT64_MAX % names_n_adjectives],
		 names_surnames[UINT64_MAX % names_n_surnames]);
	is_str(buf, want, "UINT64_MAX draws");

	/* First attempt taken: attempt 1 draws adjective, surname and a digit. */
	static const uint64_t v3[] = { 0, 0, 5, 9, 1234567 };
	struct seq s3 = { v3, 5, 0, 0 };
	struct taken_set t3 = { .take_first = 1 };
	is_int(name_generate(buf, sizeof buf, seq_next, &s3, is_taken, &t3), 0,
	       "generate, 1 taken");
	snprintf(want, sizeof want, "%s_%s7", names_adjectives[5], names_surnames[9]);
	is_str(buf, want, "second attempt appends draw %% 10");
	is_int(t3.asked, 2, "taken asked twice");

	/* Plain names always taken: the result carries a digit. */
	uint64_t x = 42;
	struct taken_set t4 = { .plain_taken = true };
	is_int(name_generate(buf, sizeof buf, splitmix, &x, is_taken, &t4), 0,
	       "generate, plain taken");
	size_t bl = strlen(buf);
	ok(bl > 3 && buf[bl - 1] >= '0' && buf[bl - 1] <= '9' && strchr(buf, '_'),
	   "digit suffix when plain names are taken: %s", buf);
	is_int(name_validate(buf), 0, "suffixed name is valid");

	/* All six taken: -EEXIST after 6 asks and 2 + 5 * 3 draws. */
	struct seq s5 = { NULL, 0, 0, 0 };
	struct taken_set t5 = { .take_first = 100 };
	strcpy(buf, "untouched");
	is_int(name_generate(buf, sizeof buf, seq_next, &s5, is_taken, &t5), -EEXIST,
	       "all taken: -EEXIST");
	is_int(t5.asked, 6, "six attempts");
	is_int(s5.calls, 17, "17 draws");
	is_str(buf, "untouched", "buffer untouched on -EEXIST");
	is_str(ctr_err_msg(), "could not generate a free container name in 6 attempts",
	       "-EEXIST message");

	/* Five taken: the sixth attempt wins. */
	struct seq s6 = { NULL, 0, 0, 0 };
	struct taken_set t6 = { .take_first = 5 };
	is_int(name_generate(buf, sizeof buf, seq_next, &s6, is_taken, &t6), 0, "five taken: ok");
	snprintf(want, sizeof want, "%s_%s%u", names_adjectives[14], names_surnames[15], 16 % 10);
	is_str(buf, want, "sixth attempt's name");

	/* Bad arguments. */
	struct seq s7 = { v1, 2, 0, 0 };
	char small[4];
	is_int(name_generate(small, sizeof small, seq_next, &s7, NULL, NULL), -ERANGE,
	       "small buffer: -ERANGE");
	is_int(name_generate(buf, sizeof buf, NULL, NULL, NULL, NULL), -EINVAL, "no rand: -EINVAL");
	is_int(name_generate(NULL, 10, seq_next, &s7, NULL, NULL), -EINVAL, "no buf: -EINVAL");

	/* Many distinct names, each registered as taken once generated. */
	struct taken_set t8 = { 0 };
	t8.names = calloc(300, sizeof *t8.names);
	if (!t8.names)
		abort();
	uint64_t y = 7;
	bool all_ok = true, all_valid = true;
	for (int i = 0; i < 300; i++) {
		if (name_generate(buf, sizeof buf, splitmix, &y, is_taken, &t8) != 0) {
			all_ok = false;
			break;
		}
		all_valid &= name_validate(buf) == 0;
		t8.names[t8.n] = strdup(buf);
		if (!t8.names[t8.n])
			abort();
		t8.n++;
	}
	bool distinct = true;
	for (size_t i = 0; i < t8.n; i++)
		for (size_t j = 0; j < i; j++)
			distinct &= strcmp(t8.names[i], t8.names[j]) != 0;
	ok(all_ok && t8.n == 300, "300 names generated");
	ok(distinct, "300 generated names are distinct");
	ok(all_valid, "every generated name is valid");
	for (size_t i = 0; i < t8.n; i++)
		free(t8.names[i]);
	free(t8.names);
}

int main(void)
{
	test_validate();
	test_lengths();
	test_escape();
	test_ids();
	test_kinds();
	test_word_lists();
	test_generate();
	return done_testing();
}
