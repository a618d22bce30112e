/* ctrlink — a docker-like command line for libcontainer-link, built only on its public API.
 *
 * Exit status: the container's for `run` (foreground) and `exec`; 125 when ctrlink itself
 * fails at run/create or cannot parse its arguments, 126/127 when the container's command
 * cannot be invoked / found (as Docker); 1 when another command fails. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container-link.h"
#include "humanize.h"
#include "jsonout.h"
#include "portfmt.h"
#include "template.h"

#define EXIT_OWN 125

static const char *prog = "ctrlink";

__attribute__((format(printf, 1, 2))) static void errf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- a small growable list of strings ----------------------------------------------------- */

struct list {
	const char **v;
	size_t n;
};

static void list_add(struct list *l, const char *s)
{
	const char **v = realloc(l->v, (l->n + 2) * sizeof *v);
	if (!v) {
		errf("out of memory");
		exit(EXIT_OWN);
	}
	v[l->n++] = s;
	v[l->n] = NULL;
	l->v = v;
}

/* ---- option parsing (Docker's style: flags first, then arguments) ------------------------- */

enum { ARG_NONE, ARG_REQ };

struct opt {
	const char *lng;
	char shrt;
	int arg;
	int id;
};

struct parsed {
	int id;
	const char *val;
};

/* Parse flags of one command from argv[*i]; stops at the first argument that is not a flag
 * (or after "--").  Calls back for each flag.  Returns 0, or prints the error and returns -1. */
static int parse_flags(const char *cmd, const struct opt *opts, int argc, char **argv, int *i,
		       int (*cb)(void *ctx, int id, const char *val), void *ctx)
{
	while (*i < argc) {
		const char *a = argv[*i];
		if (strcmp(a, "--") == 0) {
			(*i)++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		(*i)++;
		if (a[1] == '-') { /* --long[=value] */
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			const struct opt *o = NULL;
			for (const struct opt *p = opts; p->lng || p->shrt; p++)
				if (p->lng && strlen(p->lng) == len && strncmp(p->lng, name, len) == 0)
					o = p;
			if (!o) {
				errf("unknown flag: --%.*s\nSee '%s %s --help'.", (int)len, name, prog, cmd);
				return -1;
			}
			const char *val = NULL;
			if (o->arg == ARG_REQ) {
				if (eq)
					val = eq + 1;
				else if (*i < argc)
					val = argv[(*i)++];
				else {
					errf("flag needs an argument: --%s\nSee '%s %s --help'.", o->lng, prog,
					     cmd);
					return -1;
				}
			} else if (eq) {
				if (strcmp(eq + 1, "true") && strcmp(eq + 1, "false")) {
					errf("invalid argument \"%s\" for \"--%s\" flag: invalid syntax", eq + 1,
					     o->lng);
					return -1;
				}
				if (strcmp(eq + 1, "false") == 0)
					continue;
			}
			if (cb(ctx, o->id, val) < 0)
				return -1;
			continue;
		}
		for (const char *c = a + 1; *c; c++) { /* -abc, -nVALUE, -n VALUE */
			const struct opt *o = NULL;
			for (const struct opt *p = opts; p->lng || p->shrt; p++)
				if (p->shrt == *c)
					o = p;
			if (!o) {
				errf("unknown shorthand flag: '%c' in %s\nSee '%s %s --help'.", *c, a, prog,
				     cmd);
				return -1;
			}
			const char *val = NULL;
			if (o->arg == ARG_REQ) {
				if (c[1])
					val = c + 1;
				else if (*i < argc)
					val = argv[(*i)++];
				else {
					errf("flag needs an argument: '%c' in %s", *c, a);
					return -1;
				}
			}
			if (cb(ctx, o->id, val) < 0)
				return -1;
			if (val)
				break;
		}
	}
	return 0;
}

/* ---- the context -------------------------------------------------------------------------- */

struct global {
	const char *state_dir, *bridge, *subnet, *backend, *subnet6;
	int icc;
};

static ctr_ctx *open_ctx(const struct global *g)
{
	ctr_ctx_options o = CTR_CTX_OPTIONS_INIT;
	o.state_dir = g->state_dir;
	o.bridge = g->bridge;
	o.subnet = g->subnet;
	o.subnet6 = g->subnet6;
	o.icc = g->icc;
	if (g->backend) {
		if (strcmp(g->backend, "auto") == 0)
			o.nat_backend = CTR_NAT_AUTO;
		else if (strcmp(g->backend, "iptables") == 0)
			o.nat_backend = CTR_NAT_IPTABLES;
		else if (strcmp(g->backend, "nftables") == 0)
			o.nat_backend = CTR_NAT_NFTABLES;
		else {
			errf("invalid NAT backend \"%s\": use auto, iptables or nftables", g->backend);
			exit(EXIT_OWN);
		}
	}
	ctr_ctx *ctx;
	if (ctr_ctx_open(&ctx, &o) < 0) {
		errf("%s", ctr_last_error());
		exit(EXIT_OWN);
	}
	return ctx;
}

/* ---- run / create ------------------------------------------------------------------------- */

enum {
	O_DETACH = 1, O_RM, O_NAME, O_ENV, O_HOSTNAME, O_DOMAIN, O_ROOTFS, O_EXPOSE, O_PUBLISH,
	O_PUBLISH_ALL, O_LINK, O_LINK_ENV, O_WORKDIR, O_USER, O_CAP_ADD, O_CAP_DROP, O_INTERACTIVE,
	O_HELP,
};

static const struct opt run_opts[] = {
	{ "detach", 'd', ARG_NONE, O_DETACH },
	{ "rm", 0, ARG_NONE, O_RM },
	{ "name", 0, ARG_REQ, O_NAME },
	{ "env", 'e', ARG_REQ, O_ENV },
	{ "hostname", 'h', ARG_REQ, O_HOSTNAME },
	{ "domainname", 0, ARG_REQ, O_DOMAIN },
	{ "rootfs", 0, ARG_REQ, O_ROOTFS },
	{ "expose", 0, ARG_REQ, O_EXPOSE },
	{ "publish", 'p', ARG_REQ, O_PUBLISH },
	{ "publish-all", 'P', ARG_NONE, O_PUBLISH_ALL },
	{ "link", 0, ARG_REQ, O_LINK },
	{ "link-env", 0, ARG_REQ, O_LINK_ENV },
	{ "workdir", 'w', ARG_REQ, O_WORKDIR },
	{ "user", 'u', ARG_REQ, O_USER },
	{ "cap-add", 0, ARG_REQ, O_CAP_ADD },
	{ "cap-drop", 0, ARG_REQ, O_CAP_DROP },
	{ "interactive", 'i', ARG_NONE, O_INTERACTIVE },
	{ "help", 0, ARG_NONE, O_HELP },
	{ NULL, 0, 0, 0 },
};

struct run_args {
	ctr_create_options o;
	struct list env, expose, publish, link, link_env, cap_add, cap_drop;
	bool *env_owned; /* env entries built by us (-e KEY taken from our environment) */
	bool detach, interactive, help;
};

static int run_cb(void *p, int id, const char *v)
{
	struct run_args *r = p;
	switch (id) {
	case O_DETACH: r->detach = true; break;
	case O_RM: r->o.auto_remove = 1; break;
	case O_NAME: r->o.name = v; break;
	case O_ENV:
		if (!strchr(v, '=')) { /* -e KEY: the value from our environment, if set */
			const char *val = getenv(v);
			if (!val)
				break;
			char *kv;
			if (asprintf(&kv, "%s=%s", v, val) < 0)
				return -1;
			list_add(&r->env, kv);
			bool *own = realloc(r->env_owned, r->env.n * sizeof *own);
			if (!own)
				return -1;
			for (size_t k = 0; k < r->env.n; k++)
				own[k] = k + 1 == r->env.n ? true : (r->env_owned ? r->env_owned[k] : false);
			r->env_owned = own;
			break;
		}
		list_add(&r->env, v);
		if (r->env_owned) {
			bool *own = realloc(r->env_owned, r->env.n * sizeof *own);
			if (!own)
				return -1;
			own[r->env.n - 1] = false;
			r->env_owned = own;
		}
		break;
	case O_HOSTNAME: r->o.hostname = v; break;
	case O_DOMAIN: r->o.domainname = v; break;
	case O_ROOTFS: r->o.rootfs = v; break;
	case O_EXPOSE: list_add(&r->expose, v); break;
	case O_PUBLISH: list_add(&r->publish, v); break;
	case O_PUBLISH_ALL: r->o.publish_all = 1; break;
	case O_LINK: list_add(&r->link, v); break;
	case O_LINK_ENV: list_add(&r->link_env, v); break;
	case O_WORKDIR: r->o.workdir = v; break;
	case O_USER: r->o.user = v; break;
	case O_CAP_ADD: list_add(&r->cap_add, v); break;
	case O_CAP_DROP: list_add(&r->cap_drop, v); break;
	case O_INTERACTIVE: r->interactive = true; break;
	case O_HELP: r->help = true; break;
	}
	return 0;
}

static void run_usage(const char *cmd)
{
	printf("Usage:  %s %s [OPTIONS] COMMAND [ARG...]\n\n"
	       "%s a new container%s\n\n"
	       "Options:\n"
	       "      --cap-add list       Add Linux capabilities\n"
	       "      --cap-drop list      Drop Linux capabilities\n"
	       "%s"
	       "      --domainname string  Container NIS domain name\n"
	       "  -e, --env list           Set environment variables (KEY=VALUE, or KEY to pass ours)\n"
	       "      --expose list        Expose a port or a range of ports\n"
	       "  -h, --hostname string    Container host name\n"
	       "  -i, --interactive        Keep STDIN open (run in the foreground)\n"
	       "      --link list          Add link to another container (name[:alias])\n"
	       "      --link-env list      Add link, also copying its environment as ALIAS_ENV_*\n"
	       "      --name string        Assign a name to the container\n"
	       "  -p, --publish list       Publish a container's port(s) to the host\n"
	       "  -P, --publish-all        Publish all exposed ports to random ports\n"
	       "      --rm                 Automatically remove the container when it exits\n"
	       "      --rootfs string      Root filesystem directory (default: the host's, privately)\n"
	       "  -u, --user string        Username or UID (format: <name|uid>[:<group|gid>])\n"
	       "  -w, --workdir string     Working directory inside the container\n",
	       prog, cmd, strcmp(cmd, "run") == 0 ? "Create and run" : "Create",
	       strcmp(cmd, "run") == 0 ? " and run a command in it" : "",
	       strcmp(cmd, "run") == 0 ? "  -d, --detach             Run container in background "
					 "and print container ID\n"
				       : "");
}

/* Signals ctrlink forwards to a foreground container, as docker run's sig-proxy. */
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;
	int saved = errno;
	if (write(sig_pipe[1], &c, 1) < 0) {
	}
	errno = saved;
}

/* The exit code a failed start left in the container's record (127 not found, ...). */
static int failed_start_code(ctr_ctx *ctx, const char *id)
{
	int code = EXIT_OWN;
	char *msg = strdup(ctr_last_error());
	if (ctr_wait(ctx, id, 0, &code) < 0 || code == 0)
		code = EXIT_OWN;
	if (msg) {
		errf("%s", msg);
		free(msg);
	}
	return code;
}

static int do_run(struct run_args *r, const struct global *g, const char *cmd, int argc,
		  char **argv, int i)
{
	bool is_run = strcmp(cmd, "run") == 0;
	if (parse_flags(cmd, run_opts, argc, argv, &i, run_cb, r) < 0)
		return EXIT_OWN;
	if (r->help) {
		run_usage(cmd);
		return 0;
	}
	if (r->detach && !is_run) {
		errf("unknown shorthand flag: 'd' in -d");
		return EXIT_OWN;
	}
	if (i >= argc) {
		errf("\"%s %s\" requires at least 1 argument.\nSee '%s %s --help'.", prog, cmd, prog,
		     cmd);
		return EXIT_OWN;
	}
	r->o.argv = (const char *const *)argv + i;
	r->o.env = r->env.v;
	r->o.expose = r->expose.v;
	r->o.publish = r->publish.v;
	r->o.links = r->link.v;
	r->o.links_env = r->link_env.v;
	r->o.cap_add = r->cap_add.v;
	r->o.cap_drop = r->cap_drop.v;

	ctr_ctx *ctx = open_ctx(g);
	char id[CTR_ID_LEN + 1];
	if (ctr_create(ctx, &r->o, id) < 0) {
		errf("%s", ctr_last_error());
		ctr_ctx_close(ctx);
		return EXIT_OWN;
	}
	if (!is_run) {
		printf("%s\n", id);
		ctr_ctx_close(ctx);
		return 0;
	}
	if (r->detach) {
		if (ctr_start(ctx, id, NULL) < 0) {
			int code = failed_start_code(ctx, id);
			if (r->o.auto_remove)
				ctr_remove(ctx, id, CTR_REMOVE_FORCE);
			ctr_ctx_close(ctx);
			return code;
		}
		printf("%s\n", id);
		ctr_ctx_close(ctx);
		return 0;
	}

	/* foreground: our stdio is the container's, its exit code is ours */
	int exit_fd = -1;
	ctr_start_options so = CTR_START_OPTIONS_INIT;
	so.stdin_fd = r->interactive ? 0 : -1;
	so.stdout_fd = 1;
	so.stderr_fd = 2;
	so.exit_fd = &exit_fd;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
		struct sigaction sa = { .sa_handler = on_signal };
		for (size_t s = 0; s < sizeof sigs / sizeof *sigs; s++)
			sigaction(sigs[s], &sa, NULL);
	}
	if (ctr_start(ctx, id, &so) < 0) {
		int code = failed_start_code(ctx, id);
		if (r->o.auto_remove)
			ctr_remove(ctx, id, CTR_REMOVE_FORCE);
		ctr_ctx_close(ctx);
		return code;
	}
	for (;;) {
		struct pollfd p[2] = { { exit_fd, POLLIN, 0 }, { sig_pipe[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			unsigned char c;
			while (read(sig_pipe[0], &c, 1) == 1)
				ctr_kill(ctx, id, c);
		}
		if (p[0].revents & (POLLIN | POLLHUP))
			break;
	}
	int code = 0;
	if (ctr_read_exit(exit_fd, &code) < 0) {
		errf("%s", ctr_last_error());
		code = EXIT_OWN;
	}
	close(exit_fd);
	ctr_ctx_close(ctx);
	return code;
}

static void list_free(struct list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int cmd_run(const struct global *g, const char *cmd, int argc, char **argv, int i)
{
	struct run_args r = { .o = CTR_CREATE_OPTIONS_INIT };
	int code = do_run(&r, g, cmd, argc, argv, i);
	for (size_t k = 0; k < r.env.n; k++)
		if (r.env_owned && r.env_owned[k])
			free((char *)r.env.v[k]);
	free(r.env_owned);
	list_free(&r.env);
	list_free(&r.expose);
	list_free(&r.publish);
	list_free(&r.link);
	list_free(&r.link_env);
	list_free(&r.cap_add);
	list_free(&r.cap_drop);
	return code;
}

/* ---- commands over several containers ----------------------------------------------------- */

static const struct opt help_only[] = { { "help", 0, ARG_NONE, O_HELP }, { NULL, 0, 0, 0 } };

struct simple_args {
	int t;          /* stop -t */
	const char *sig;
	bool force, help;
};

enum { S_TIME = 100, S_SIGNAL, S_FORCE };

static int simple_cb(void *p, int id, const char *v)
{
	struct simple_args *a = p;
	char *end;
	switch (id) {
	case S_TIME:
		a->t = (int)strtol(v, &end, 10);
		if (*end || !*v) {
			errf("invalid argument \"%s\" for \"-t, --time\" flag: invalid syntax", v);
			return -1;
		}
		break;
	case S_SIGNAL: a->sig = v; break;
	case S_FORCE: a->force = true; break;
	case O_HELP: a->help = true; break;
	}
	return 0;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT },
		     { "KILL", SIGKILL }, { "TERM", SIGTERM }, { "USR1", SIGUSR1 },
		     { "USR2", SIGUSR2 }, { "STOP", SIGSTOP }, { "CONT", SIGCONT },
		     { "ALRM", SIGALRM }, { "WINCH", SIGWINCH } };
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		if (strcasecmp(s, sigs[i].name) == 0)
			return sigs[i].sig;
	return -1;
}

static int cmd_each(const struct global *g, const char *cmd, int argc, char **argv, int i)
{
	static const struct opt stop_opts[] = { { "time", 't', ARG_REQ, S_TIME },
						{ "help", 0, ARG_NONE, O_HELP },
						{ NULL, 0, 0, 0 } };
	static const struct opt kill_opts[] = { { "signal", 's', ARG_REQ, S_SIGNAL },
						{ "help", 0, ARG_NONE, O_HELP },
						{ NULL, 0, 0, 0 } };
	static const struct opt rm_opts[] = { { "force", 'f', ARG_NONE, S_FORCE },
					      { "help", 0, ARG_NONE, O_HELP },
					      { NULL, 0, 0, 0 } };
	static const struct opt start_opts[] = { { "help", 0, ARG_NONE, O_HELP },
						 { NULL, 0, 0, 0 } };
	const struct opt *opts = strcmp(cmd, "stop") == 0   ? stop_opts
				 : strcmp(cmd, "kill") == 0 ? kill_opts
				 : strcmp(cmd, "rm") == 0   ? rm_opts
				 : strcmp(cmd, "start") == 0 ? start_opts
							     : help_only;
	struct simple_args a = { .t = -1 };
	if (parse_flags(cmd, opts, argc, argv, &i, simple_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || i >= argc) {
		printf("Usage:  %s %s [OPTIONS] CONTAINER [CONTAINER...]\n", prog, cmd);
		return a.help ? 0 : EXIT_OWN;
	}
	int sig = SIGKILL;
	if (a.sig && (sig = parse_signal(a.sig)) < 0) {
		errf("invalid signal: %s", a.sig);
		return EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	int status = 0;
	for (; i < argc; i++) {
		int e, code = 0;
		if (strcmp(cmd, "stop") == 0)
			e = ctr_stop(ctx, argv[i], a.t);
		else if (strcmp(cmd, "kill") == 0)
			e = ctr_kill(ctx, argv[i], sig);
		else if (strcmp(cmd, "rm") == 0)
			e = ctr_remove(ctx, argv[i], a.force ? CTR_REMOVE_FORCE : 0);
		else if (strcmp(cmd, "wait") == 0)
			e = ctr_wait(ctx, argv[i], -1, &code);
		else
			e = ctr_start(ctx, argv[i], NULL);
		if (e < 0) {
			errf("%s", ctr_last_error());
			status = 1;
		} else if (strcmp(cmd, "wait") == 0) {
			printf("%d\n", code);
		} else {
			printf("%s\n", argv[i]);
		}
	}
	ctr_ctx_close(ctx);
	return status;
}

/* ---- ps ----------------------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static long long unix_of(const char *rfc)
{
	long long s = 0;
	long ns = 0;
	if (parse_rfc3339(rfc, &s, &ns) < 0)
		return 0;
	return s;
}

/* Go's %q of a string (what docker ps prints around COMMAND). */
static void go_quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;
	if (len < 3)
		return;
	buf[o++] = '"';
	for (; *s && o + 6 < len; s++) {
		if (*s == '"' || *s == '\\') {
			buf[o++] = '\\';
			buf[o++] = *s;
		} else if ((unsigned char)*s < 0x20) {
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", (unsigned char)*s);
		} else {
			buf[o++] = *s;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* Docker's Ellipsis: cut to n runes, the last being '…' */
static void ellipsis(char *dst, size_t len, const char *s, size_t n)
{
	size_t runes = 0, i = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			runes++;
	if (runes <= n) {
		snprintf(dst, len, "%s", s);
		return;
	}
	size_t keep = 0;
	for (runes = 0; s[i] && runes < n - 1; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			runes++;
		keep = i + 1;
		while (s[keep] && ((unsigned char)s[keep] & 0xc0) == 0x80)
			keep++;
	}
	snprintf(dst, len, "%.*s…", (int)keep, s);
}

struct row {
	char *cells[6];
};

static char *xstrdup_or_die(const char *s)
{
	char *d = strdup(s);
	if (!d) {
		errf("out of memory");
		exit(EXIT_OWN);
	}
	return d;
}

/* One container of the list as docker ps --format json's object (strings, as the CLI's). */
static cJSON *ps_object(const cJSON *c, bool no_trunc, long long now)
{
	char id[CTR_ID_LEN + 1], cmdq[4096], cmd[4096], created[64], status[96], names[4096];
	snprintf(id, sizeof id, "%.*s", no_trunc ? CTR_ID_LEN : CTR_SHORT_ID_LEN, jstr(c, "Id"));
	go_quote(cmdq, sizeof cmdq, jstr(c, "Command"));
	if (no_trunc)
		snprintf(cmd, sizeof cmd, "%s", cmdq);
	else {
		char cut[4096];
		ellipsis(cut, sizeof cut, jstr(c, "Command"), 20);
		go_quote(cmd, sizeof cmd, cut);
	}
	ps_created(created, sizeof created, (long long)jnum(c, "Created"), now);
	ps_status(status, sizeof status, jstr(c, "State"), (int)jnum(c, "ExitCode"),
		  unix_of(jstr(c, "StartedAt")), unix_of(jstr(c, "FinishedAt")), now);

	/* NAMES: the first name without another '/', or all of them with --no-trunc */
	names[0] = '\0';
	const cJSON *nv = cJSON_GetObjectItemCaseSensitive(c, "Names"), *n;
	size_t o = 0;
	cJSON_ArrayForEach(n, nv)
	{
		if (!cJSON_IsString(n))
			continue;
		const char *s = n->valuestring[0] == '/' ? n->valuestring + 1 : n->valuestring;
		if (no_trunc) {
			o += (size_t)snprintf(names + o, sizeof names - (o < sizeof names ? o : sizeof names),
					      "%s%s", o ? "," : "", s);
			if (o >= sizeof names)
				o = sizeof names - 1;
		} else if (!strchr(s, '/')) {
			snprintf(names, sizeof names, "%s", s);
			break;
		}
	}

	const cJSON *pv = cJSON_GetObjectItemCaseSensitive(c, "Ports"), *p;
	size_t np = (size_t)cJSON_GetArraySize(pv), k = 0;
	struct ps_port *ports = calloc(np + 1, sizeof *ports);
	cJSON_ArrayForEach(p, pv)
	{
		if (!ports)
			break;
		ports[k].ip = jstr(p, "IP");
		ports[k].private_port = (unsigned)jnum(p, "PrivatePort");
		ports[k].public_port = (unsigned)jnum(p, "PublicPort");
		ports[k].type = jstr(p, "Type");
		k++;
	}
	char *pstr = ports ? ps_ports_format(ports, k) : NULL;
	free(ports);

	cJSON *o2 = cJSON_CreateObject();
	char createdat[64];
	time_t ct = (time_t)jnum(c, "Created");
	struct tm tm;
	gmtime_r(&ct, &tm);
	strftime(createdat, sizeof createdat, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	if (!o2 || !pstr || !cJSON_AddStringToObject(o2, "Command", cmd) ||
	    !cJSON_AddStringToObject(o2, "CreatedAt", createdat) ||
	    !cJSON_AddStringToObject(o2, "ID", id) || !cJSON_AddStringToObject(o2, "Image", "") ||
	    !cJSON_AddStringToObject(o2, "Names", names) ||
	    !cJSON_AddStringToObject(o2, "Networks", "bridge") ||
	    !cJSON_AddStringToObject(o2, "Ports", pstr) ||
	    !cJSON_AddStringToObject(o2, "RunningFor", created) ||
	    !cJSON_AddStringToObject(o2, "State", jstr(c, "State")) ||
	    !cJSON_AddStringToObject(o2, "Status", status)) {
		errf("out of memory");
		exit(EXIT_OWN);
	}
	free(pstr);
	return o2;
}

/* Docker's table writer: a column is as wide as its widest cell plus 3, and at least 10. */
static void print_table(struct row *rows, size_t n, int cols)
{
	size_t w[6] = { 0 };
	for (size_t r = 0; r < n; r++)
		for (int c = 0; c < cols; c++) {
			size_t len = 0;
			for (const unsigned char *p = (const unsigned char *)rows[r].cells[c]; *p; p++)
				len += (*p & 0xc0) != 0x80;
			if (len > w[c])
				w[c] = len;
		}
	for (size_t r = 0; r < n; r++) {
		for (int c = 0; c < cols; c++) {
			fputs(rows[r].cells[c], stdout);
			if (c == cols - 1)
				break;
			size_t len = 0;
			for (const unsigned char *p = (const unsigned char *)rows[r].cells[c]; *p; p++)
				len += (*p & 0xc0) != 0x80;
			size_t width = w[c] + 3 < 10 ? 10 : w[c] + 3; /* Go's tabwriter: minwidth 10, padding 3 */
			for (size_t s = len; s < width; s++)
				fputc(' ', stdout);
		}
		fputc('\n', stdout);
	}
}

enum { P_ALL = 200, P_QUIET, P_NOTRUNC, P_FORMAT };

struct ps_args {
	bool all, quiet, no_trunc, help;
	const char *format;
};

static int ps_cb(void *p, int id, const char *v)
{
	struct ps_args *a = p;
	switch (id) {
	case P_ALL: a->all = true; break;
	case P_QUIET: a->quiet = true; break;
	case P_NOTRUNC: a->no_trunc = true; break;
	case P_FORMAT: a->format = v; break;
	case O_HELP: a->help = true; break;
	}
	return 0;
}

static int cmd_ps(const struct global *g, int argc, char **argv, int i)
{
	static const struct opt opts[] = { { "all", 'a', ARG_NONE, P_ALL },
					   { "quiet", 'q', ARG_NONE, P_QUIET },
					   { "no-trunc", 0, ARG_NONE, P_NOTRUNC },
					   { "format", 0, ARG_REQ, P_FORMAT },
					   { "help", 0, ARG_NONE, O_HELP },
					   { NULL, 0, 0, 0 } };
	struct ps_args a = { 0 };
	if (parse_flags("ps", opts, argc, argv, &i, ps_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help) {
		printf("Usage:  %s ps [-a] [-q] [--no-trunc] [--format json|TEMPLATE]\n", prog);
		return 0;
	}
	if (i < argc) {
		errf("\"%s ps\" accepts no arguments.", prog);
		return EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	char *json;
	if (ctr_list(ctx, a.all ? CTR_LIST_ALL : 0, &json) < 0) {
		errf("%s", ctr_last_error());
		ctr_ctx_close(ctx);
		return 1;
	}
	ctr_ctx_close(ctx);
	cJSON *arr = cJSON_Parse(json);
	ctr_free(json);
	long long now = (long long)time(NULL);
	const cJSON *c;
	size_t n = (size_t)cJSON_GetArraySize(arr), r = 0;
	struct row *rows = calloc(n + 1, sizeof *rows);
	if (!rows) {
		errf("out of memory");
		return EXIT_OWN;
	}
	int status = 0;
	if (!a.quiet && !a.format) {
		const char *head[] = { "CONTAINER ID", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES" };
		for (int k = 0; k < 6; k++)
			rows[0].cells[k] = xstrdup_or_die(head[k]);
		r = 1;
	}
	cJSON_ArrayForEach(c, arr)
	{
		cJSON *o = ps_object(c, a.no_trunc, now);
		if (a.quiet) {
			printf("%s\n", jstr(o, "ID"));
		} else if (a.format && strcmp(a.format, "json") == 0) {
			json_compact(stdout, o);
			fputc('\n', stdout);
		} else if (a.format) {
			char *out, *err;
			int te = template_render(a.format, o, &out, &err);
			if (te < 0) {
				errf("%s%s", te == -EINVAL ? "template parsing error: " : "",
				     err ? err : "template error");
				free(err);
				cJSON_Delete(o);
				status = 1;
				break;
			}
			printf("%s\n", out);
			free(out);
		} else {
			static const char *keys[] = { "ID", "Command", "RunningFor", "Status", "Ports",
						      "Names" };
			rows = realloc(rows, (r + 1) * sizeof *rows);
			for (int k = 0; k < 6; k++)
				rows[r].cells[k] = xstrdup_or_die(jstr(o, keys[k]));
			r++;
		}
		cJSON_Delete(o);
	}
	if (!a.quiet && !a.format)
		print_table(rows, r, 6);
	for (size_t k = 0; k < r; k++)
		for (int c2 = 0; c2 < 6; c2++)
			free(rows[k].cells[c2]);
	free(rows);
	cJSON_Delete(arr);
	return status;
}

/* ---- inspect ------------------------------------------------------------------------------ */

struct fmt_args {
	const char *format;
	bool help, follow, timestamps, interactive, env_link;
	struct list env, owned; /* owned: strings we made (freed at the end) */
	const char *user, *workdir;
};

enum { F_FORMAT = 300, F_FOLLOW, F_TIMESTAMPS, F_ENV, F_USER, F_WORKDIR, F_INTERACTIVE, F_LINKENV };

static int fmt_cb(void *p, int id, const char *v)
{
	struct fmt_args *a = p;
	switch (id) {
	case F_FORMAT: a->format = v; break;
	case F_FOLLOW: a->follow = true; break;
	case F_TIMESTAMPS: a->timestamps = true; break;
	case F_ENV:
		if (!strchr(v, '=')) { /* -e KEY: the value from our environment, if set */
			const char *val = getenv(v);
			char *kv;
			if (!val)
				break;
			if (asprintf(&kv, "%s=%s", v, val) < 0)
				return -1;
			list_add(&a->owned, kv);
			v = kv;
		}
		list_add(&a->env, v);
		break;
	case F_USER: a->user = v; break;
	case F_WORKDIR: a->workdir = v; break;
	case F_INTERACTIVE: a->interactive = true; break;
	case F_LINKENV: a->env_link = true; break;
	case O_HELP: a->help = true; break;
	}
	return 0;
}

static int cmd_inspect(const struct global *g, int argc, char **argv, int i)
{
	static const struct opt opts[] = { { "format", 'f', ARG_REQ, F_FORMAT },
					   { "help", 0, ARG_NONE, O_HELP },
					   { NULL, 0, 0, 0 } };
	struct fmt_args a = { 0 };
	if (parse_flags("inspect", opts, argc, argv, &i, fmt_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || i >= argc) {
		printf("Usage:  %s inspect [-f TEMPLATE] CONTAINER [CONTAINER...]\n", prog);
		return a.help ? 0 : EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	cJSON *all = cJSON_CreateArray();
	int status = 0;
	for (; i < argc; i++) {
		char *json;
		if (ctr_inspect(ctx, argv[i], &json) < 0) {
			errf("%s", ctr_last_error());
			status = 1;
			continue;
		}
		cJSON *o = cJSON_Parse(json);
		ctr_free(json);
		if (a.format) {
			char *out, *err;
			int te = template_render(a.format, o, &out, &err);
			if (te < 0) {
				errf("%s%s", te == -EINVAL ? "template parsing error: " : "",
				     err ? err : "template error");
				free(err);
				cJSON_Delete(o);
				status = 1;
				break;
			}
			printf("%s\n", out);
			free(out);
			cJSON_Delete(o);
		} else {
			cJSON_AddItemToArray(all, o);
		}
	}
	if (!a.format) {
		json_pretty(stdout, all, 0);
		fputc('\n', stdout);
	}
	cJSON_Delete(all);
	ctr_ctx_close(ctx);
	return status;
}

/* ---- port, publish, unpublish, link, unlink ----------------------------------------------- */

static int cmd_port(const struct global *g, int argc, char **argv, int i)
{
	struct fmt_args a = { 0 };
	if (parse_flags("port", help_only, argc, argv, &i, fmt_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || i >= argc || argc - i > 2) {
		printf("Usage:  %s port CONTAINER [PRIVATE_PORT[/PROTO]]\n", prog);
		return a.help ? 0 : EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	char *json;
	int status = 0;
	if (ctr_inspect(ctx, argv[i], &json) < 0) {
		errf("%s", ctr_last_error());
		ctr_ctx_close(ctx);
		return 1;
	}
	ctr_ctx_close(ctx);
	cJSON *o = cJSON_Parse(json);
	ctr_free(json);
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(o, "NetworkSettings");
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(ns, "Ports");
	const char *name = jstr(o, "Name");
	char *out = NULL;
	int e = port_cmd_format(ports, i + 1 < argc ? argv[i + 1] : NULL, name[0] == '/' ? name + 1 : name,
				&out);
	if (e < 0) {
		errf("%s", out ? out : "out of memory");
		status = 1;
	} else {
		fputs(out, stdout);
	}
	free(out);
	cJSON_Delete(o);
	return status;
}

static int cmd_publish(const struct global *g, const char *cmd, int argc, char **argv, int i)
{
	struct fmt_args a = { 0 };
	if (parse_flags(cmd, help_only, argc, argv, &i, fmt_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || argc - i < 2) {
		printf("Usage:  %s %s CONTAINER SPEC [SPEC...]\n\n%s ports of a container, also while "
		       "it runs (SPEC as -p).\n",
		       prog, cmd, strcmp(cmd, "publish") == 0 ? "Publish" : "Withdraw published");
		return a.help ? 0 : EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	int status = 0;
	for (int k = i + 1; k < argc; k++) {
		int e = strcmp(cmd, "publish") == 0 ? ctr_publish_port(ctx, argv[i], argv[k])
						    : ctr_unpublish_port(ctx, argv[i], argv[k]);
		if (e < 0) {
			errf("%s", ctr_last_error());
			status = 1;
		}
	}
	ctr_ctx_close(ctx);
	return status;
}

static int cmd_link(const struct global *g, const char *cmd, int argc, char **argv, int i)
{
	static const struct opt opts[] = { { "env", 0, ARG_NONE, F_LINKENV },
					   { "help", 0, ARG_NONE, O_HELP },
					   { NULL, 0, 0, 0 } };
	struct fmt_args a = { 0 };
	bool is_link = strcmp(cmd, "link") == 0;
	if (parse_flags(cmd, is_link ? opts : help_only, argc, argv, &i, fmt_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || argc - i != 2) {
		if (is_link)
			printf("Usage:  %s link [--env] CONTAINER TARGET[:ALIAS]\n\nLink CONTAINER to "
			       "TARGET, also while it runs (/etc/hosts and firewall at once, "
			       "environment at the next start).\n",
			       prog);
		else
			printf("Usage:  %s unlink CONTAINER ALIAS\n", prog);
		return a.help ? 0 : EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	int e;
	if (is_link) {
		char *t = xstrdup_or_die(argv[i + 1]);
		char *colon = strrchr(t, ':');
		const char *alias = NULL;
		if (colon) {
			*colon = '\0';
			alias = colon + 1;
		}
		e = ctr_link(ctx, argv[i], t, alias, a.env_link ? CTR_LINK_ENV : 0);
		free(t);
	} else {
		e = ctr_unlink(ctx, argv[i], argv[i + 1]);
	}
	if (e < 0)
		errf("%s", ctr_last_error());
	ctr_ctx_close(ctx);
	return e < 0 ? 1 : 0;
}

/* ---- logs, exec --------------------------------------------------------------------------- */

static int cmd_logs(const struct global *g, int argc, char **argv, int i)
{
	static const struct opt opts[] = { { "follow", 'f', ARG_NONE, F_FOLLOW },
					   { "timestamps", 't', ARG_NONE, F_TIMESTAMPS },
					   { "help", 0, ARG_NONE, O_HELP },
					   { NULL, 0, 0, 0 } };
	struct fmt_args a = { 0 };
	if (parse_flags("logs", opts, argc, argv, &i, fmt_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || argc - i != 1) {
		printf("Usage:  %s logs [-f] [-t] CONTAINER\n", prog);
		return a.help ? 0 : EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	int e = ctr_logs(ctx, argv[i], 1, 2,
			 (a.follow ? CTR_LOGS_FOLLOW : 0) | (a.timestamps ? CTR_LOGS_TIMESTAMPS : 0));
	if (e < 0)
		errf("%s", ctr_last_error());
	ctr_ctx_close(ctx);
	return e < 0 ? 1 : 0;
}

static int cmd_exec(const struct global *g, int argc, char **argv, int i)
{
	static const struct opt opts[] = { { "env", 'e', ARG_REQ, F_ENV },
					   { "user", 'u', ARG_REQ, F_USER },
					   { "workdir", 'w', ARG_REQ, F_WORKDIR },
					   { "interactive", 'i', ARG_NONE, F_INTERACTIVE },
					   { "help", 0, ARG_NONE, O_HELP },
					   { NULL, 0, 0, 0 } };
	struct fmt_args a = { 0 };
	if (parse_flags("exec", opts, argc, argv, &i, fmt_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || argc - i < 2) {
		printf("Usage:  %s exec [-i] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]\n",
		       prog);
		return a.help ? 0 : EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	ctr_exec_options xo = CTR_EXEC_OPTIONS_INIT;
	xo.argv = (const char *const *)argv + i + 1;
	xo.env = a.env.v;
	xo.user = a.user;
	xo.workdir = a.workdir;
	xo.stdin_fd = a.interactive ? 0 : -1;
	xo.stdout_fd = 1;
	xo.stderr_fd = 2;
	int code = 0;
	int e = ctr_exec(ctx, argv[i], &xo, &code);
	if (e < 0) {
		errf("%s", ctr_last_error());
		if (code == 0)
			code = e == -ENOEXEC ? 126 : EXIT_OWN;
	}
	ctr_ctx_close(ctx);
	free(a.env.v);
	for (size_t k = 0; k < a.owned.n; k++)
		free((char *)a.owned.v[k]);
	free(a.owned.v);
	return code;
}

/* ---- gc, info, version -------------------------------------------------------------------- */

static int cmd_json(const struct global *g, const char *cmd, int argc, char **argv, int i)
{
	static const struct opt opts[] = { { "format", 'f', ARG_REQ, F_FORMAT },
					   { "help", 0, ARG_NONE, O_HELP },
					   { NULL, 0, 0, 0 } };
	struct fmt_args a = { 0 };
	if (parse_flags(cmd, opts, argc, argv, &i, fmt_cb, &a) < 0)
		return EXIT_OWN;
	if (a.help || i < argc) {
		printf("Usage:  %s %s [--format TEMPLATE]\n", prog, cmd);
		return a.help ? 0 : EXIT_OWN;
	}
	ctr_ctx *ctx = open_ctx(g);
	char *json = NULL;
	int e = strcmp(cmd, "gc") == 0 ? ctr_reconcile(ctx, &json) : ctr_info(ctx, &json);
	ctr_ctx_close(ctx);
	if (e < 0) {
		errf("%s", ctr_last_error());
		return 1;
	}
	cJSON *o = cJSON_Parse(json);
	ctr_free(json);
	int status = 0;
	if (a.format) {
		char *out, *err;
		int te = template_render(a.format, o, &out, &err);
		if (te < 0) {
			errf("%s%s", te == -EINVAL ? "template parsing error: " : "",
			     err ? err : "template error");
			status = 1;
		} else {
			printf("%s\n", out);
		}
		free(out);
		free(err);
	} else {
		json_pretty(stdout, o, 0);
		fputc('\n', stdout);
	}
	cJSON_Delete(o);
	return status;
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage:  %s [OPTIONS] COMMAND\n\n"
		"Containers with Docker's -p and --link, without a daemon.\n\n"
		"Options:\n"
		"      --state-dir string    State directory (default /run/ctrlink; $CTRLINK_STATE_DIR)\n"
		"      --bridge string       Bridge name (default ctrlink0; $CTRLINK_BRIDGE)\n"
		"      --subnet string       IPv4 subnet of the bridge ($CTRLINK_SUBNET)\n"
		"      --subnet6 string      IPv6 subnet too (nftables backend; $CTRLINK_SUBNET6)\n"
		"      --icc                 Let containers reach each other without links\n"
		"                            ($CTRLINK_ICC=1)\n"
		"      --nat-backend string  auto, iptables or nftables ($CTRLINK_NAT_BACKEND)\n\n"
		"Commands:\n"
		"  run        Create and run a new container\n"
		"  create     Create a new container\n"
		"  start      Start one or more containers\n"
		"  stop       Stop one or more running containers\n"
		"  kill       Kill one or more running containers\n"
		"  rm         Remove one or more containers\n"
		"  wait       Wait for containers to stop, print their exit codes\n"
		"  ps         List containers\n"
		"  inspect    Show low-level information on containers\n"
		"  logs       Fetch the logs of a container\n"
		"  exec       Run a command in a running container\n"
		"  port       List port mappings of a container\n"
		"  publish    Publish ports of a container, also while it runs\n"
		"  unpublish  Withdraw published ports, also while it runs\n"
		"  link       Link a container to another, also while it runs\n"
		"  unlink     Remove a link\n"
		"  gc         Bring the host in line with the state (rules, crashed operations)\n"
		"  info       Show the network, NAT backend and kernel features\n"
		"  version    Show the version\n",
		prog);
}

int main(int argc, char **argv)
{
	struct global g = { getenv("CTRLINK_STATE_DIR"), getenv("CTRLINK_BRIDGE"),
			    getenv("CTRLINK_SUBNET"), getenv("CTRLINK_NAT_BACKEND"),
			    getenv("CTRLINK_SUBNET6"), -1 };
	const char *icc = getenv("CTRLINK_ICC");
	if (icc && *icc)
		g.icc = strcmp(icc, "0") != 0 && strcasecmp(icc, "false") != 0;
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		const char **dst = NULL;
		if (len == 11 && strncmp(a, "--state-dir", len) == 0)
			dst = &g.state_dir;
		else if (len == 8 && strncmp(a, "--bridge", len) == 0)
			dst = &g.bridge;
		else if (len == 8 && strncmp(a, "--subnet", len) == 0)
			dst = &g.subnet;
		else if (len == 9 && strncmp(a, "--subnet6", len) == 0)
			dst = &g.subnet6;
		else if (len == 13 && strncmp(a, "--nat-backend", len) == 0)
			dst = &g.backend;
		else if (strcmp(a, "--icc") == 0 || strcmp(a, "--icc=true") == 0) {
			g.icc = 1;
			i++;
			continue;
		} else if (strcmp(a, "--icc=false") == 0) {
			g.icc = 0;
			i++;
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
			printf("ctrlink version %s\n", ctr_version());
			return 0;
		} else {
			errf("unknown flag: %s\nSee '%s --help'.", a, prog);
			return EXIT_OWN;
		}
		if (eq) {
			*dst = eq + 1;
			i++;
		} else if (i + 1 < argc) {
			*dst = argv[i + 1];
			i += 2;
		} else {
			errf("flag needs an argument: %s", a);
			return EXIT_OWN;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_OWN;
	}
	const char *cmd = argv[i++];
	if (!strcmp(cmd, "run") || !strcmp(cmd, "create"))
		return cmd_run(&g, cmd, argc, argv, i);
	if (!strcmp(cmd, "start") || !strcmp(cmd, "stop") || !strcmp(cmd, "kill") ||
	    !strcmp(cmd, "rm") || !strcmp(cmd, "wait"))
		return cmd_each(&g, cmd, argc, argv, i);
	if (!strcmp(cmd, "ps"))
		return cmd_ps(&g, argc, argv, i);
	if (!strcmp(cmd, "inspect"))
		return cmd_inspect(&g, argc, argv, i);
	if (!strcmp(cmd, "port"))
		return cmd_port(&g, argc, argv, i);
	if (!strcmp(cmd, "publish") || !strcmp(cmd, "unpublish"))
		return cmd_publish(&g, cmd, argc, argv, i);
	if (!strcmp(cmd, "link") || !strcmp(cmd, "unlink"))
		return cmd_link(&g, cmd, argc, argv, i);
	if (!strcmp(cmd, "logs"))
		return cmd_logs(&g, argc, argv, i);
	if (!strcmp(cmd, "exec"))
		return cmd_exec(&g, argc, argv, i);
	if (!strcmp(cmd, "gc") || !strcmp(cmd, "info"))
		return cmd_json(&g, cmd, argc, argv, i);
	if (!strcmp(cmd, "version")) {
		printf("ctrlink version %s\n", ctr_version());
		return 0;
	}
	errf("'%s' is not a ctrlink command.\nSee '%s --help'", cmd, prog);
	return EXIT_OWN;
}
