/* Unit tests for lib/core/links.c: --link parsing, the link environment (v28), env merge/defaults. */
#include <stdlib.h>
#include <string.h>

#include "core/links.h"
#include "tap.h"

#define MAXL 64

/* "a\nb\n..." of a list, for one comparison per case (the diff shows in the diagnostics). */
static char *join(const char *const *v)
{
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	for (size_t i = 0; v && v[i]; i++) {
		sb_add(&sb, v[i]);
		sb_addc(&sb, '\n');
	}
	char *s = sb_finish(&sb);
	if (!s)
		abort();
	return s;
}

static int is_list(char **got, const char *const *want, const char *what)
{
	char *g = join((const char *const *)got), *w = join(want);
	int r = is_str(g, w, "%s", what);
	free(g);
	free(w);
	return r;
}

/* ---- linkspec_parse ---------------------------------------------------------------------- */

struct spec_case {
	const char *in;
	const char *name, *alias; /* expected, or NULL */
	const char *err;          /* expected message, or NULL */
};

static const struct spec_case spec_cases[] = {
	{ "db", "db", "db", NULL },
	{ "/db", "/db", "/db", NULL },
	{ "db:webdb", "db", "webdb", NULL },
	{ "web-1:my.db", "web-1", "my.db", NULL },
	{ "/foo:/c1/bar", "foo", "bar", NULL },
	{ "/foo:bar", "foo", "bar", NULL },
	{ "/foo:/c1/", "foo", "", NULL },
	{ "/foo:a/b/c", "foo", "c", NULL },
	{ "foo:/c1/bar", "foo", "/c1/bar", NULL },
	{ "a:", "a", "", NULL },
	{ ":b", "", "b", NULL },
	{ ":", "", "", NULL },
	{ "/:x", "", "x", NULL },
	{ "/", "/", "/", NULL },
	{ "db;x", "db;x", "db;x", NULL }, /* no validation here: alias_validate() refuses it */
	{ "", NULL, NULL, "empty string specified for links" },
	{ NULL, NULL, NULL, "empty string specified for links" },
	{ "a:b:c", NULL, NULL, "bad format for links: a:b:c" },
	{ "::", NULL, NULL, "bad format for links: ::" },
	{ "/a:/b:/c", NULL, NULL, "bad format for links: /a:/b:/c" },
	{ "a:b:\n1.2.3.4\tx", NULL, NULL, "bad format for links: a:b:\\n1.2.3.4\\tx" },
};

static void test_linkspec(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(spec_cases); i++) {
		const struct spec_case *c = &spec_cases[i];
		char *name = (char *)"x", *alias = (char *)"y";
		ctr_err_clear();
		int r = linkspec_parse(c->in, &name, &alias);
		if (c->err)
			ok(r == -EINVAL && !name && !alias && strcmp(ctr_err_msg(), c->err) == 0,
			   "linkspec case %zu refused: %s", i, ctr_err_msg());
		else
			ok(r == 0 && name && alias && strcmp(name, c->name) == 0 &&
				   strcmp(alias, c->alias) == 0,
			   "linkspec case %zu: %s -> name '%s' alias '%s'", i, c->in, c->name,
			   c->alias);
		if (r == 0) {
			free(name);
			free(alias);
		}
	}

	/* A long bad value is cut in the message. */
	char big[4096];
	memset(big, ':', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char *n, *a;
	is_int(linkspec_parse(big, &n, &a), -EINVAL, "4 KiB of colons refused");
	ok(strlen(ctr_err_msg()) < 200 && strstr(ctr_err_msg(), "...)") == NULL &&
		   strcmp(ctr_err_msg() + strlen(ctr_err_msg()) - 3, "...") == 0,
	   "long value cut with ...");
}

/* ---- linkenv_render ---------------------------------------------------------------------- */

#define T(p) { p, CTR_TCP }
#define U(p) { p, CTR_UDP }
#define S(p) { p, CTR_SCTP }

struct env_case {
	const char *what;
	const char *link_name, *ip;
	struct ctr_port ports[8];
	size_t n_ports;
	const char *child_env[8];
	bool copy_env;
	const char *want[MAXL];
};

#define IP "172.0.17.2"
#define BLOCK(A, P, PR, pr, ip) \
	A "_PORT_" #P "_" PR "=" pr "://" ip ":" #P, A "_PORT_" #P "_" PR "_ADDR=" ip, \
	A "_PORT_" #P "_" PR "_PORT=" #P, A "_PORT_" #P "_" PR "_PROTO=" pr
#define RANGE(A, S_, E_, PR, pr, ip) \
	A "_PORT_" #S_ "_" PR "_START=" pr "://" ip ":" #S_, \
	A "_PORT_" #S_ "_" PR "_PORT_START=" #S_, \
	A "_PORT_" #S_ "_" PR "_END=" pr "://" ip ":" #E_, A "_PORT_" #S_ "_" PR "_PORT_END=" #E_

static const struct env_case env_cases[] = {
	{ "TestLinkNaming", "/db/docker-1", IP, { T(6379) }, 1, { NULL }, false,
	  { "DOCKER_1_PORT=tcp://" IP ":6379", BLOCK("DOCKER_1", 6379, "TCP", "tcp", IP),
	    "DOCKER_1_NAME=/db/docker-1", NULL } },
	{ "TestLinkEnv", "/db/docker", IP, { T(6379) }, 1, { "PASSWORD=gordon", NULL }, true,
	  { "DOCKER_PORT=tcp://" IP ":6379", BLOCK("DOCKER", 6379, "TCP", "tcp", IP),
	    "DOCKER_NAME=/db/docker", "DOCKER_ENV_PASSWORD=gordon", NULL } },
	{ "TestLinkMultipleEnv (old): 6379-6381/tcp", "/db/docker", IP,
	  { T(6381), T(6379), T(6380) }, 3, { "PASSWORD=gordon", NULL }, true,
	  { "DOCKER_PORT=tcp://" IP ":6379", BLOCK("DOCKER", 6379, "TCP", "tcp", IP),
	    BLOCK("DOCKER", 6380, "TCP", "tcp", IP), BLOCK("DOCKER", 6381, "TCP", "tcp", IP),
	    RANGE("DOCKER", 6379, 6381, "TCP", "tcp", IP), "DOCKER_NAME=/db/docker",
	    "DOCKER_ENV_PASSWORD=gordon", NULL } },
	{ "TestLinkMultipleEnv (HEAD): 6300/udp 6379-6381/tcp 6382/udp", "/db/docker", IP,
	  { U(6382), T(6380), U(6300), T(6379), T(6381), T(6380), U(6382) }, 7,
	  { "PASSWORD=gordon", NULL }, true,
	  { "DOCKER_PORT=tcp://" IP ":6379", BLOCK("DOCKER", 6379, "TCP", "tcp", IP),
	    BLOCK("DOCKER", 6380, "TCP", "tcp", IP), BLOCK("DOCKER", 6381, "TCP", "tcp", IP),
	    BLOCK("DOCKER", 6300, "UDP", "udp", IP), RANGE("DOCKER", 6379, 6381, "TCP", "tcp", IP),
	    BLOCK("DOCKER", 6382, "UDP", "udp", IP), "DOCKER_NAME=/db/docker",
	    "DOCKER_ENV_PASSWORD=gordon", NULL } },
	{ "TestLinksEnvs: e1= e2=v2 e3=v3=v3, PATH skipped", "/second/first", "172.17.0.2", { },
	  0, { "e1=", "e2=v2", "e3=v3=v3", "PATH=/usr/local/sbin:/usr/bin", NULL }, true,
	  { "FIRST_NAME=/second/first", "FIRST_ENV_e1=", "FIRST_ENV_e2=v2", "FIRST_ENV_e3=v3=v3",
	    NULL } },
	{ "docs: --link db:webdb", "/web/webdb", "172.17.0.5", { T(5432) }, 1, { NULL }, false,
	  { "WEBDB_PORT=tcp://172.17.0.5:5432", BLOCK("WEBDB", 5432, "TCP", "tcp", "172.17.0.5"),
	    "WEBDB_NAME=/web/webdb", NULL } },
	{ "no ports, no env", "/web/db", IP, { }, 0, { NULL }, false, { "DB_NAME=/web/db", NULL } },
	{ "env not asked: not copied", "/web/db", IP, { }, 0, { "A=1", NULL }, false,
	  { "DB_NAME=/web/db", NULL } },
	{ "env asked but empty", "/web/db", IP, { }, 0, { NULL }, true,
	  { "DB_NAME=/web/db", NULL } },
	{ "env: HOME, PATH and entries without = skipped; case and empty key kept", "/web/db", IP,
	  { }, 0, { "HOME=/root", "NOEQ", "home=/h", "PATH2=x", "=v", "HOME", "B=a b", NULL }, true,
	  { "DB_NAME=/web/db", "DB_ENV_home=/h", "DB_ENV_PATH2=x", "DB_ENV_=v", "DB_ENV_B=a b",
	    NULL } },
	{ "2-port range counts", "/web/db", IP, { T(81), T(80) }, 2, { NULL }, false,
	  { "DB_PORT=tcp://" IP ":80", BLOCK("DB", 80, "TCP", "tcp", IP),
	    BLOCK("DB", 81, "TCP", "tcp", IP), RANGE("DB", 80, 81, "TCP", "tcp", IP),
	    "DB_NAME=/web/db", NULL } },
	{ "v28 default port: tcp over a lower udp", "/web/db", IP, { U(53), T(80) }, 2, { NULL },
	  false,
	  { "DB_PORT=tcp://" IP ":80", BLOCK("DB", 80, "TCP", "tcp", IP),
	    BLOCK("DB", 53, "UDP", "udp", IP), "DB_NAME=/web/db", NULL } },
	{ "same number, two protocols: no range", "/web/db", IP, { U(53), T(53) }, 2, { NULL },
	  false,
	  { "DB_PORT=tcp://" IP ":53", BLOCK("DB", 53, "TCP", "tcp", IP),
	    BLOCK("DB", 53, "UDP", "udp", IP), "DB_NAME=/web/db", NULL } },
	{ "no tcp: sctp before udp", "/web/db", IP, { U(5000), S(6000) }, 2, { NULL }, false,
	  { "DB_PORT=sctp://" IP ":6000", BLOCK("DB", 6000, "SCTP", "sctp", IP),
	    BLOCK("DB", 5000, "UDP", "udp", IP), "DB_NAME=/web/db", NULL } },
	{ "consecutive numbers, different protocols: no range", "/web/db", IP, { S(81), T(80) }, 2,
	  { NULL }, false,
	  { "DB_PORT=tcp://" IP ":80", BLOCK("DB", 80, "TCP", "tcp", IP),
	    BLOCK("DB", 81, "SCTP", "sctp", IP), "DB_NAME=/web/db", NULL } },
	{ "two ranges and a single port", "/web/db", IP,
	  { T(3000), T(2002), T(1001), T(2000), T(1000), T(2001) }, 6, { NULL }, false,
	  { "DB_PORT=tcp://" IP ":1000", BLOCK("DB", 1000, "TCP", "tcp", IP),
	    BLOCK("DB", 1001, "TCP", "tcp", IP), BLOCK("DB", 2000, "TCP", "tcp", IP),
	    RANGE("DB", 1000, 1001, "TCP", "tcp", IP), BLOCK("DB", 2001, "TCP", "tcp", IP),
	    BLOCK("DB", 2002, "TCP", "tcp", IP), BLOCK("DB", 3000, "TCP", "tcp", IP),
	    RANGE("DB", 2000, 2002, "TCP", "tcp", IP), "DB_NAME=/web/db", NULL } },
	{ "udp range closing the list", "/web/db", IP, { U(7001), T(80), U(7000) }, 3, { NULL },
	  false,
	  { "DB_PORT=tcp://" IP ":80", BLOCK("DB", 80, "TCP", "tcp", IP),
	    BLOCK("DB", 7000, "UDP", "udp", IP), BLOCK("DB", 7001, "UDP", "udp", IP),
	    RANGE("DB", 7000, 7001, "UDP", "udp", IP), "DB_NAME=/web/db", NULL } },
	{ "duplicates give one block", "/web/db", IP, { T(80), T(80), T(80) }, 3, { NULL }, false,
	  { "DB_PORT=tcp://" IP ":80", BLOCK("DB", 80, "TCP", "tcp", IP), "DB_NAME=/web/db",
	    NULL } },
	{ "ports 0 and 65534-65535", "/web/db", IP, { T(65535), T(0), T(65534) }, 3, { NULL },
	  false,
	  { "DB_PORT=tcp://" IP ":0", BLOCK("DB", 0, "TCP", "tcp", IP),
	    BLOCK("DB", 65534, "TCP", "tcp", IP), BLOCK("DB", 65535, "TCP", "tcp", IP),
	    RANGE("DB", 65534, 65535, "TCP", "tcp", IP), "DB_NAME=/web/db", NULL } },
	{ "alias with '.' and '-'", "/web/my.db-1", IP, { T(5432) }, 1, { NULL }, false,
	  { "MY.DB_1_PORT=tcp://" IP ":5432", BLOCK("MY.DB_1", 5432, "TCP", "tcp", IP),
	    "MY.DB_1_NAME=/web/my.db-1", NULL } },
	{ "mixed-case alias, link name without slash", "Db-x", IP, { }, 0, { NULL }, false,
	  { "DB_X_NAME=Db-x", NULL } },
};

static void test_linkenv(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(env_cases); i++) {
		const struct env_case *c = &env_cases[i];
		struct link_env_input in = {
			.link_name = c->link_name,
			.child_ip = c->ip,
			.ports = c->ports,
			.n_ports = c->n_ports,
			.child_env = c->copy_env ? c->child_env : NULL,
		};
		char **env = NULL;
		int r = linkenv_render(&in, &env);
		if (r < 0)
			diag("error: %s", ctr_err_msg());
		is_list(env, c->want, c->what);
		strv_free(env);
	}

	/* Appending to an existing list. */
	char **env = NULL;
	if (strv_push(&env, "PATH=/bin") < 0 || strv_push(&env, "HOSTNAME=h") < 0)
		abort();
	struct ctr_port p80 = { 80, CTR_TCP };
	struct link_env_input in = { "/web/db", "10.0.0.2", &p80, 1, NULL };
	is_int(linkenv_render(&in, &env), 0, "render onto an existing list");
	static const char *const want_app[] = {
		"PATH=/bin", "HOSTNAME=h", "DB_PORT=tcp://10.0.0.2:80",
		BLOCK("DB", 80, "TCP", "tcp", "10.0.0.2"), "DB_NAME=/web/db", NULL
	};
	is_list(env, want_app, "existing entries kept, link appended");

	/* Two links in a row. */
	struct link_env_input in2 = { "/web/cache", "10.0.0.3", NULL, 0, NULL };
	is_int(linkenv_render(&in2, &env), 0, "second link appended");
	is_str(env[strv_len((const char *const *)env) - 1], "CACHE_NAME=/web/cache",
	       "second link's name last");
	strv_free(env);

	/* Many ports: the full range 1-65535/tcp. */
	struct ctr_port *all = calloc(65535, sizeof *all);
	if (!all)
		abort();
	for (unsigned p = 1; p <= 65535; p++)
		all[p - 1] = (struct ctr_port){ (uint16_t)p, CTR_TCP };
	struct link_env_input inb = { "/web/db", "10.0.0.2", all, 65535, NULL };
	env = NULL;
	is_int(linkenv_render(&inb, &env), 0, "65535 ports");
	size_t n = strv_len((const char *const *)env);
	is_int((long long)n, 1 + 65535 * 4 + 4 + 1, "65535 ports: line count");
	is_str(env[n - 2], "DB_PORT_1_TCP_PORT_END=65535", "65535 ports: one range 1-65535");
	strv_free(env);
	free(all);
}

struct env_err_case {
	const char *link_name, *ip;
	uint8_t proto;
	const char *msg;
};

static void test_linkenv_errors(void)
{
	static const struct env_err_case cases[] = {
		{ "/web/", "10.0.0.2", CTR_TCP, "link name /web/: Invalid link alias: empty" },
		{ "", "10.0.0.2", CTR_TCP, "link name : Invalid link alias: empty" },
		{ "/web/d=b", "10.0.0.2", CTR_TCP,
		  "link name /web/d=b: Invalid link alias (d=b), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
		  "are allowed" },
		{ "/web/PATH=x:", "10.0.0.2", CTR_TCP, NULL },
		{ "/web/-db", "10.0.0.2", CTR_TCP, NULL },
		{ "/we\nb/db", "10.0.0.2", CTR_TCP,
		  "link name (/we\\nb/db) contains control characters" },
		{ "/web/db", "", CTR_TCP, "link db: invalid child IP ()" },
		{ "/web/db", "10.0.0.2\nX=1", CTR_TCP,
		  "link db: invalid child IP (10.0.0.2\\nX=1)" },
		{ "/web/db", "10.0.0.2 ", CTR_TCP, "link db: invalid child IP (10.0.0.2 )" },
		{ "/web/db", "10.0.0.2", 3, "link db: unknown protocol 3" },
		{ NULL, "10.0.0.2", CTR_TCP, "link environment: missing input" },
		{ "/web/db", NULL, CTR_TCP, "link environment: missing input" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char **env = NULL;
		if (strv_push(&env, "KEEP=1") < 0)
			abort();
		char **before = env;
		struct ctr_port p = { 80, cases[i].proto };
		struct link_env_input in = { cases[i].link_name, cases[i].ip, &p, 1, NULL };
		ctr_err_clear();
		int r = linkenv_render(&in, &env);
		ok(r == -EINVAL && env == before && strcmp(env[0], "KEEP=1") == 0 && !env[1] &&
			   (!cases[i].msg || strcmp(ctr_err_msg(), cases[i].msg) == 0),
		   "linkenv error case %zu: %s", i, ctr_err_msg());
		strv_free(env);
	}
	char **env = NULL;
	is_int(linkenv_render(NULL, &env), -EINVAL, "NULL input");
	struct link_env_input in = { "/web/db", "10.0.0.2", NULL, 2, NULL };
	is_int(linkenv_render(&in, &env), -EINVAL, "ports NULL with n_ports 2");
	ok(env == NULL, "env untouched");
}

/* ---- env_merge and env_defaults ---------------------------------------------------------- */

struct merge_case {
	const char *what;
	const char *base[8]; /* base[0] == NULL and null_base: start from NULL */
	bool null_base;
	const char *overlay[8];
	bool null_overlay;
	const char *want[12];
};

static const struct merge_case merge_cases[] = {
	{ "replace in place", { "A=1", "B=2", "C=3" }, false, { "B=9" }, false,
	  { "A=1", "B=9", "C=3" } },
	{ "append new key", { "A=1" }, false, { "C=4" }, false, { "A=1", "C=4" } },
	{ "remove key", { "A=1", "B=2" }, false, { "A" }, false, { "B=2" } },
	{ "remove unknown key: no change", { "A=1" }, false, { "Z" }, false, { "A=1" } },
	{ "empty value replaces", { "A=1" }, false, { "A=" }, false, { "A=" } },
	{ "last of two wins", { NULL }, false, { "A=1", "A=2" }, false, { "A=2" } },
	{ "set then unset", { "B=0" }, false, { "X=1", "X" }, false, { "B=0" } },
	{ "unset then set", { "X=0", "B=0" }, false, { "X", "X=1" }, false, { "B=0", "X=1" } },
	{ "duplicate base keys: first replaced, later removed", { "K=1", "J=0", "K=2" }, false,
	  { "K=9" }, false, { "K=9", "J=0" } },
	{ "duplicate base keys: all removed", { "K=1", "J=0", "K=2" }, false, { "K" }, false,
	  { "J=0" } },
	{ "NULL base", { NULL }, true, { "A=1", "B" }, false, { "A=1" } },
	{ "NULL overlay", { "A=1" }, false, { NULL }, true, { "A=1" } },
	{ "key is the whole text before '='", { "AB=1", "A=0" }, false, { "A=2", "AB" }, false,
	  { "A=2" } },
	{ "value with '='", { "A=1" }, false, { "A=b=c" }, false, { "A=b=c" } },
	{ "empty key", { "=y", "A=1" }, false, { "=x" }, false, { "=x", "A=1" } },
	{ "base entry without '='", { "NOEQ", "A=1" }, false, { "NOEQ=1" }, false,
	  { "NOEQ=1", "A=1" } },
	{ "§1.7 final environment",
	  { "PATH=" CTR_DEFAULT_PATH, "HOSTNAME=web", "DB_PORT=tcp://x:1", "DB_NAME=/web/db" },
	  false, { "DB_PORT=mine", "HOSTNAME", "FOO=bar", "PATH=/bin" }, false,
	  { "PATH=/bin", "DB_PORT=mine", "DB_NAME=/web/db", "FOO=bar" } },
};

static void test_env_merge(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(merge_cases); i++) {
		const struct merge_case *c = &merge_cases[i];
		char **base = NULL;
		if (!c->null_base && strv_dup(&base, c->base) < 0)
			abort();
		if (!base && !c->null_base) {
			base = calloc(1, sizeof *base);
			if (!base)
				abort();
		}
		int r = env_merge(&base, c->null_overlay ? NULL : c->overlay);
		if (r < 0)
			diag("error: %s", ctr_err_msg());
		is_list(base, c->want, c->what);
		strv_free(base);
	}
}

static void test_env_defaults(void)
{
	char **env = NULL;
	is_int(env_defaults(&env, "web"), 0, "env_defaults");
	static const char *const want[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=web",
		NULL
	};
	is_list(env, want, "defaults: PATH then HOSTNAME, no TERM");
	is_int(env_defaults(&env, NULL), -EINVAL, "NULL hostname refused");
	is_list(env, want, "list unchanged on error");
	strv_free(env);

	/* The whole §1.7 pipeline: defaults, link vars, user env. */
	env = NULL;
	struct ctr_port p = { 5432, CTR_TCP };
	struct link_env_input in = { "/web/db", "172.17.0.5", &p, 1, NULL };
	static const char *const user[] = { "DB_PORT_5432_TCP_ADDR=override", "HOSTNAME", "X=1",
					    NULL };
	ok(env_defaults(&env, "c0ffee") == 0 && linkenv_render(&in, &env) == 0 &&
		   env_merge(&env, user) == 0,
	   "defaults + link + merge");
	static const char *const want2[] = {
		"PATH=" CTR_DEFAULT_PATH,
		"DB_PORT=tcp://172.17.0.5:5432",
		"DB_PORT_5432_TCP=tcp://172.17.0.5:5432",
		"DB_PORT_5432_TCP_ADDR=override",
		"DB_PORT_5432_TCP_PORT=5432",
		"DB_PORT_5432_TCP_PROTO=tcp",
		"DB_NAME=/web/db",
		"X=1",
		NULL
	};
	is_list(env, want2, "final environment");
	strv_free(env);
}

int main(void)
{
	test_linkspec();
	test_linkenv();
	test_linkenv_errors();
	test_env_merge();
	test_env_defaults();
	return done_testing();
}
