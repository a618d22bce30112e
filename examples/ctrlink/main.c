/* ctrlink — a docker-like command line for libcontainer-link, built only on its public API.
 *
 * One table of commands (name, usage, handler, argument counts, flags) and one flag parser
 * (flags.c) give every command docker/cli's syntax, help and error texts.
 *
 * Exit status: the container's for `run` (foreground) and `exec`; 125 when ctrlink itself
 * fails at run/create or a flag is wrong, 126/127 when the container's command cannot be
 * invoked / found (as Docker); 1 when another command fails or the arguments are too few or
 * too many (as docker/cli's cobra argument checks). */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <ctype.h>
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
#include "flags.h"
#include "humanize.h"
#include "jsonout.h"
#include "portfmt.h"
#include "psfilter.h"
#include "tabwrite.h"
#include "template.h"

#define EXIT_OWN 125
#define EXIT_TEMPLATE_PARSE 64 /* docker/cli cli/command/inspect: a template that does not parse */

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

static void *or_die(void *p)
{
	if (!p) {
		errf("out of memory");
		exit(EXIT_OWN);
	}
	return p;
}

/* ---- strings we made, freed at the end of a command ---------------------------------------- */

struct list {
	const char **v;
	size_t n;
};

static void list_add(struct list *l, const char *s)
{
	const char **v = or_die(realloc(l->v, (l->n + 2) * sizeof *v));
	v[l->n++] = s;
	v[l->n] = NULL;
	l->v = v;
}

static void list_free_all(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- the command table --------------------------------------------------------------------- */

struct global {
	const char *state_dir, *bridge, *subnet, *backend, *subnet6;
	int icc;
};

struct command;

/* One call of a command: its parsed flags and arguments. */
struct call {
	const struct global *g;
	const struct command *cmd;
	struct flag_val *v;
	const char **args;
	int nargs;
};

struct command {
	const char *name, *use, *short_help;
	int (*run)(struct call *c);
	int min_args, max_args; /* max_args -1: no limit */
	const struct flag_spec *flags;
	bool interspersed; /* flags may follow arguments (all but run, create, exec) */
};

static const struct flag_val *flag(const struct call *c, const char *name)
{
	static const struct flag_val none;
	int i = flags_index(c->cmd->flags, name);
	return i < 0 ? &none : &c->v[i];
}

static bool fbool(const struct call *c, const char *name)
{
	return flag(c, name)->b;
}

static const char *fstr(const struct call *c, const char *name)
{
	return flag(c, name)->str;
}

static const char *const *flist(const struct call *c, const char *name)
{
	return flag(c, name)->list;
}

/* A flag error, as docker/cli's FlagErrorFunc writes it (status 125). */
static int flag_error(const struct command *cmd, const char *msg)
{
	fprintf(stderr, "%s\n\nUsage:  %s%s%s %s\n\nRun '%s%s%s --help' for more information\n", msg,
		prog, cmd->name[0] ? " " : "", cmd->name, cmd->use, prog, cmd->name[0] ? " " : "",
		cmd->name);
	return EXIT_OWN;
}

/* A wrong number of arguments, as docker/cli's cli/required.go writes it (status 1). */
static int args_error(const struct command *cmd, int n)
{
	char what[96];
	const char *see = "Run";
	if (cmd->max_args == 0) {
		snprintf(what, sizeof what, "accepts no arguments");
	} else if (cmd->max_args < 0) {
		snprintf(what, sizeof what, "requires at least %d argument%s", cmd->min_args,
			 cmd->min_args == 1 ? "" : "s");
		see = "See";
	} else if (cmd->min_args == cmd->max_args) {
		snprintf(what, sizeof what, "requires %d argument%s", cmd->min_args,
			 cmd->min_args == 1 ? "" : "s");
	} else if (cmd->min_args == 0 || n > cmd->max_args) {
		snprintf(what, sizeof what, "requires at most %d argument%s", cmd->max_args,
			 cmd->max_args == 1 ? "" : "s");
	} else {
		snprintf(what, sizeof what, "requires at least %d and at most %d argument%s",
			 cmd->min_args, cmd->max_args, cmd->max_args == 1 ? "" : "s");
	}
	if (cmd->min_args > 0 && cmd->max_args > cmd->min_args && n > cmd->max_args)
		snprintf(what, sizeof what, "requires at least %d and at most %d argument%s",
			 cmd->min_args, cmd->max_args, cmd->max_args == 1 ? "" : "s");
	fprintf(stderr, "%s: '%s %s' %s\n\nUsage:  %s %s %s\n\n%s '%s %s --help' for more information\n",
		prog, prog, cmd->name, what, prog, cmd->name, cmd->use, see, prog, cmd->name);
	return 1;
}

static void print_help(const struct command *cmd)
{
	printf("\nUsage:  %s%s%s %s\n\n%s\n", prog, cmd->name[0] ? " " : "", cmd->name, cmd->use,
	       cmd->short_help);
	if (cmd->flags && cmd->flags[0].name) {
		char *u = or_die(flags_usage(cmd->flags));
		printf("\nOptions:\n%s", u);
		free(u);
	}
}

/* ---- the context -------------------------------------------------------------------------- */

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

/* `-e KEY=VALUE` as given; `-e KEY` takes KEY from our environment, or is dropped.  The
 * strings made are added to `owned`. */
static const char **env_list(const char *const *given, struct list *owned)
{
	struct list out = { 0 };
	list_add(&out, NULL);
	out.n = 0;
	for (size_t i = 0; given && given[i]; i++) {
		if (strchr(given[i], '=')) {
			list_add(&out, given[i]);
			continue;
		}
		const char *val = getenv(given[i]);
		if (!val)
			continue;
		char *kv;
		if (asprintf(&kv, "%s=%s", given[i], val) < 0)
			or_die(NULL);
		list_add(owned, kv);
		list_add(&out, kv);
	}
	return out.v;
}

/* The long syntax of -p with a host address, `published=8080,target=80,protocol=udp,
 * host_ip=127.0.0.1` (Compose's host_ip), which the library's parser does not take:
 * rewritten to `127.0.0.1:8080:80/udp`.  Other values are the library's to parse (the long
 * syntax without host_ip included).  Returns the value to use; *made is what to free. */
static const char *publish_spec(const char *v, char **made)
{
	*made = NULL;
	if (!strchr(v, '=') || !strstr(v, "host_ip="))
		return v;
	const char *published = "", *target = "", *proto = "tcp", *ip = NULL;
	size_t lp = 0, lt = 0, lr = 3, li = 0;
	for (const char *p = v;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (!eq || eq == p)
			return v; /* the library says what is wrong with it */
		size_t kl = (size_t)(eq - p), vl = len - kl - 1;
		if (kl == 9 && strncmp(p, "published", 9) == 0)
			published = eq + 1, lp = vl;
		else if (kl == 6 && strncmp(p, "target", 6) == 0)
			target = eq + 1, lt = vl;
		else if (kl == 8 && strncmp(p, "protocol", 8) == 0)
			proto = eq + 1, lr = vl;
		else if (kl == 7 && strncmp(p, "host_ip", 7) == 0)
			ip = eq + 1, li = vl;
		else if (!(kl == 4 && strncmp(p, "mode", 4) == 0))
			return v;
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!ip)
		return v;
	bool v6 = memchr(ip, ':', li) != NULL && ip[0] != '[';
	if (asprintf(made, "%s%.*s%s:%.*s:%.*s/%.*s", v6 ? "[" : "", (int)li, ip, v6 ? "]" : "",
		     (int)lp, published, (int)lt, target, (int)lr, proto) < 0)
		or_die(NULL);
	return *made;
}

/* ---- run / create ------------------------------------------------------------------------- */

/* run's flags; create takes them all but the first, -d */
static const struct flag_spec run_flags[] = {
	{ "detach", 'd', FLAG_BOOL, "Run container in background and print container ID", NULL },
	{ "cap-add", 0, FLAG_LIST, "Add Linux capabilities", NULL },
	{ "cap-drop", 0, FLAG_LIST, "Drop Linux capabilities", NULL },
	{ "domainname", 0, FLAG_STRING, "Container NIS domain name", NULL },
	{ "env", 'e', FLAG_LIST, "Set environment variables (KEY=VALUE, or KEY to pass ours)", NULL },
	{ "expose", 0, FLAG_LIST, "Expose a port or a range of ports", NULL },
	{ "hostname", 'h', FLAG_STRING, "Container host name", NULL },
	{ "interactive", 'i', FLAG_BOOL, "Keep STDIN open (run in the foreground)", NULL },
	{ "link", 0, FLAG_LIST, "Add link to another container (name[:alias])", NULL },
	{ "link-env", 0, FLAG_LIST, "Add link, also copying its environment as ALIAS_ENV_*", NULL },
	{ "log-driver", 0, FLAG_STRING, "Logging driver for the container (json-file only)", NULL },
	{ "log-opt", 0, FLAG_LIST,
	  "Log driver options (max-size=<size>, max-file=<n>; default max-size=1m, max-file=3)",
	  NULL },
	{ "name", 0, FLAG_STRING, "Assign a name to the container", NULL },
	{ "publish", 'p', FLAG_LIST, "Publish a container's port(s) to the host", NULL },
	{ "publish-all", 'P', FLAG_BOOL, "Publish all exposed ports to random ports", NULL },
	{ "restart", 0, FLAG_STRING,
	  "Restart policy to apply when a container exits (no, always, unless-stopped, "
	  "on-failure[:max-retries])", NULL },
	{ "rm", 0, FLAG_BOOL, "Automatically remove the container when it exits", NULL },
	{ "rootfs", 0, FLAG_STRING, "Root filesystem directory (default: the host's, privately)",
	  NULL },
	{ "user", 'u', FLAG_STRING, "Username or UID (format: <name|uid>[:<group|gid>])", NULL },
	{ "userns", 0, FLAG_STRING,
	  "User namespace: host (default) or auto (container root is an unprivileged host uid; "
	  "needs --rootfs)", NULL },
	{ "workdir", 'w', FLAG_STRING, "Working directory inside the container", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

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

static int run_foreground(ctr_ctx *ctx, const char *id, bool interactive, bool auto_remove)
{
	int exit_fd = -1;
	ctr_start_options so = CTR_START_OPTIONS_INIT;
	so.stdin_fd = interactive ? 0 : -1;
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
		if (auto_remove)
			ctr_remove(ctx, id, CTR_REMOVE_FORCE);
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
	return code;
}

/* Whether `--restart` names a policy other than "no" (docker/cli's RestartPolicy.IsNone), for
 * its conflict with --rm.  A value docker/cli cannot parse is left to the library, which
 * names what is wrong with it, as docker/cli's parser does before the conflict check. */
static bool restart_is_some(const char *p)
{
	if (!p || !*p)
		return false;
	const char *colon = strchr(p, ':');
	size_t n = colon ? (size_t)(colon - p) : strlen(p);
	if (n == 0 || (n == 2 && strncmp(p, "no", 2) == 0))
		return false;
	if (colon && colon[1]) {
		const char *d = colon + 1 + (colon[1] == '+' || colon[1] == '-');
		if (!*d || d[strspn(d, "0123456789")])
			return false;
	}
	return true;
}

static int cmd_run(struct call *c)
{
	bool is_run = strcmp(c->cmd->name, "run") == 0;
	if (fbool(c, "rm") && restart_is_some(fstr(c, "restart"))) {
		errf("conflicting options: cannot specify both --restart and --rm.\nSee '%s %s "
		     "--help'.",
		     prog, c->cmd->name);
		return EXIT_OWN;
	}
	const char *driver = fstr(c, "log-driver");
	if (driver && strcmp(driver, "json-file") != 0) {
		errf("logging driver \"%s\" is not supported (only json-file)", driver);
		return EXIT_OWN;
	}
	struct list owned = { 0 }, publish = { 0 };
	ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
	o.name = fstr(c, "name");
	o.hostname = fstr(c, "hostname");
	o.domainname = fstr(c, "domainname");
	o.rootfs = fstr(c, "rootfs");
	o.workdir = fstr(c, "workdir");
	o.user = fstr(c, "user");
	o.auto_remove = fbool(c, "rm");
	o.restart_policy = fstr(c, "restart");
	o.publish_all = fbool(c, "publish-all");
	o.argv = c->args;
	const char **env = env_list(flist(c, "env"), &owned);
	o.env = env;
	o.expose = flist(c, "expose");
	for (const char *const *p = flist(c, "publish"); p && *p; p++) {
		char *made;
		list_add(&publish, publish_spec(*p, &made));
		if (made)
			list_add(&owned, made);
	}
	o.publish = publish.v;
	o.links = flist(c, "link");
	o.links_env = flist(c, "link-env");
	o.cap_add = flist(c, "cap-add");
	o.cap_drop = flist(c, "cap-drop");
	o.log_opts = flist(c, "log-opt");
	o.userns = fstr(c, "userns");

	ctr_ctx *ctx = open_ctx(c->g);
	char id[CTR_ID_LEN + 1];
	int code = 0;
	if (ctr_create(ctx, &o, id) < 0) {
		errf("%s", ctr_last_error());
		code = EXIT_OWN;
	} else if (!is_run) {
		printf("%s\n", id);
	} else if (fbool(c, "detach")) {
		if (ctr_start(ctx, id, NULL) < 0) {
			code = failed_start_code(ctx, id);
			if (o.auto_remove)
				ctr_remove(ctx, id, CTR_REMOVE_FORCE);
		} else {
			printf("%s\n", id);
		}
	} else {
		code = run_foreground(ctx, id, fbool(c, "interactive"), o.auto_remove);
	}
	ctr_ctx_close(ctx);
	free(env);
	free(publish.v);
	list_free_all(&owned);
	return code;
}

/* ---- commands over several containers ----------------------------------------------------- */

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


/* rm --link PARENT/ALIAS: moby daemon/delete.go rmLink, on ctr_unlink. */
static int remove_link(ctr_ctx *ctx, const char *arg)
{
	char *name;
	if (asprintf(&name, "%s%s", arg[0] == '/' ? "" : "/", arg) < 0)
		or_die(NULL);
	char *slash = strrchr(name, '/');
	int e = 0;
	if (slash == name) {
		errf("Conflict, cannot remove the default link name of the container");
		e = -1;
	} else {
		*slash = '\0';
		if (ctr_unlink(ctx, name + 1, slash + 1) < 0) {
			errf("%s", ctr_last_error());
			e = -1;
		}
	}
	free(name);
	return e;
}

static int cmd_each(struct call *c)
{
	const char *cmd = c->cmd->name;
	int sig = SIGKILL;
	const char *s = fstr(c, "signal");
	if (s && (sig = parse_signal(s)) < 0) {
		errf("invalid signal: %s", s);
		return EXIT_OWN;
	}
	const struct flag_val *t = flag(c, "time");
	ctr_ctx *ctx = open_ctx(c->g);
	int status = 0;
	for (int i = 0; i < c->nargs; i++) {
		const char *ref = c->args[i];
		int e, code = 0;
		if (strcmp(cmd, "stop") == 0)
			e = ctr_stop(ctx, ref, t->set ? (int)t->n : -1);
		else if (strcmp(cmd, "restart") == 0)
			e = ctr_restart(ctx, ref, t->set ? (int)t->n : -1);
		else if (strcmp(cmd, "kill") == 0)
			e = ctr_kill(ctx, ref, sig);
		else if (strcmp(cmd, "rm") == 0 && fbool(c, "link")) {
			if (remove_link(ctx, ref) < 0) {
				status = 1;
				continue;
			}
			e = 0;
		} else if (strcmp(cmd, "rm") == 0)
			e = ctr_remove(ctx, ref, fbool(c, "force") ? CTR_REMOVE_FORCE : 0);
		else if (strcmp(cmd, "wait") == 0)
			e = ctr_wait(ctx, ref, -1, &code);
		else
			e = ctr_start(ctx, ref, NULL);
		if (e < 0) {
			errf("%s", ctr_last_error());
			status = 1;
		} else if (strcmp(cmd, "wait") == 0) {
			printf("%d\n", code);
		} else {
			printf("%s\n", ref);
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

static const struct flag_spec ps_flags[] = {
	{ "all", 'a', FLAG_BOOL, "Show all containers (default shows just running)", NULL },
	{ "filter", 'f', FLAG_LIST, "Filter output based on conditions provided", NULL },
	{ "format", 0, FLAG_STRING, "Format output using a custom template: 'table', 'table "
	  "TEMPLATE', 'json' or a Go template", NULL },
	{ "last", 'n', FLAG_INT, "Show n last created containers (includes all states)", "-1" },
	{ "latest", 'l', FLAG_BOOL, "Show the latest created container (includes all states)", NULL },
	{ "no-trunc", 0, FLAG_BOOL, "Don't truncate output", NULL },
	{ "quiet", 'q', FLAG_BOOL, "Only display container IDs", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

/* docker/cli formatter/container.go: the default table, without IMAGE (there are no images) */
#define PS_TABLE "table {{.ID}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}"

/* The values a table's header row is rendered from (formatter.NewContainerContext), or, with
 * empty values, the object `--format` is checked against before listing. */
static cJSON *ps_header(bool empty)
{
	static const char *const h[][2] = {
		{ "Command", "COMMAND" }, { "CreatedAt", "CREATED AT" }, { "ID", "CONTAINER ID" },
		{ "Image", "IMAGE" },     { "Names", "NAMES" },          { "Networks", "NETWORKS" },
		{ "Ports", "PORTS" },     { "RunningFor", "CREATED" },   { "State", "STATE" },
		{ "Status", "STATUS" },
	};
	cJSON *o = or_die(cJSON_CreateObject());
	for (size_t i = 0; i < sizeof h / sizeof *h; i++)
		or_die(cJSON_AddStringToObject(o, h[i][0], empty ? "" : h[i][1]));
	return o;
}

/* docker/cli formatter.Context.preFormat: "table" cut off, spaces trimmed, the two-character
 * sequences \t and \n made a tab and a newline. */
static char *pre_format(const char *format)
{
	if (strncmp(format, "table", 5) == 0)
		format += 5;
	while (*format == ' ')
		format++;
	size_t n = strlen(format);
	while (n && format[n - 1] == ' ')
		n--;
	char *out = or_die(malloc(n + 1)), *o = out;
	for (size_t i = 0; i < n; i++) {
		if (format[i] == '\\' && i + 1 < n && (format[i + 1] == 't' || format[i + 1] == 'n')) {
			*o++ = format[i + 1] == 't' ? '\t' : '\n';
			i++;
		} else {
			*o++ = format[i];
		}
	}
	*o = '\0';
	return out;
}

/* A before= or since= reference as a full ID; NULL (reported) when there is none. */
static char *ps_ref_id(ctr_ctx *ctx, const char *ref)
{
	ctr_state st = CTR_STATE_INIT;
	if (ctr_state_read(ctx, ref, &st) < 0) {
		errf("%s", ctr_last_error());
		return NULL;
	}
	ctr_state_clear(&st);
	return or_die(strdup(st.id));
}

/* The containers ps shows, as the objects --format sees, or NULL (reported). */
static cJSON *ps_select(struct call *c, const struct ps_filter *pf)
{
	const struct flag_val *last = flag(c, "last");
	long long limit = last->set ? last->n : -1;
	if (fbool(c, "latest") && limit == -1)
		limit = 1;
	ctr_ctx *ctx = open_ctx(c->g);
	char *before = NULL, *since = NULL, *json = NULL;
	cJSON *out = NULL;
	const char *b = ps_filter_ref(pf, "before"), *s = ps_filter_ref(pf, "since");
	if ((b && !(before = ps_ref_id(ctx, b))) || (s && !(since = ps_ref_id(ctx, s)))) {
		/* reported */
	} else if (ctr_list(ctx, CTR_LIST_ALL, &json) < 0) {
		errf("%s", ctr_last_error());
	} else {
		cJSON *arr = cJSON_Parse(json);
		size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
		bool *keep = or_die(calloc(n + 1, sizeof *keep));
		if (ps_filter_select(pf, arr, fbool(c, "all") || ps_filter_implies_all(pf), limit,
				     before, since, keep) < 0)
			or_die(NULL);
		long long now = (long long)time(NULL);
		out = or_die(cJSON_CreateArray());
		const cJSON *ci;
		cJSON_ArrayForEach(ci, arr)
			if (keep[i++])
				cJSON_AddItemToArray(out, ps_object(ci, fbool(c, "no-trunc"), now));
		free(keep);
		cJSON_Delete(arr);
	}
	ctr_free(json);
	free(before);
	free(since);
	ctr_ctx_close(ctx);
	return out;
}

/* docker/cli cli/command/container/list.go runPs and formatter.Context.Write. */
static int cmd_ps(struct call *c)
{
	const char *const *fv = flist(c, "filter");
	size_t nf = flag(c, "filter")->count;
	struct ps_filter *pf = NULL;
	char *err = NULL;
	int e = ps_filter_new(fv, nf, &pf, &err);
	if (e == -EBADMSG) {
		size_t k = 0;
		while (k + 1 < nf && (!*fv[k] || strchr(fv[k], '=')))
			k++;
		char *msg;
		if (asprintf(&msg, "invalid argument \"%s\" for \"-f, --filter\" flag: %s", fv[k], err) < 0)
			or_die(NULL);
		free(err);
		e = flag_error(c->cmd, msg);
		free(msg);
		return e;
	}
	if (e < 0) {
		errf("%s", err ? err : "out of memory");
		free(err);
		return 1;
	}
	const char *format = fstr(c, "format");
	bool quiet = fbool(c, "quiet");
	if (format && *format) {
		if (quiet)
			fputs("WARNING: Ignoring custom format, because both --format and --quiet are "
			      "set.\n", stderr);
		/* the template is checked before anything is listed */
		cJSON *empty = ps_header(true);
		char *out = NULL;
		int te = template_render(format, empty, &out, &err);
		cJSON_Delete(empty);
		free(out);
		if (te < 0) {
			fprintf(stderr, "failed to %s template: %s\n", te == -EINVAL ? "parse" : "execute",
				err ? err : "out of memory");
			free(err);
			ps_filter_free(pf);
			return 1;
		}
	}
	cJSON *list = ps_select(c, pf);
	ps_filter_free(pf);
	if (!list)
		return 1;

	const char *src = format && *format ? format : "table";
	if (strcmp(src, "table") == 0 || quiet)
		src = quiet ? "{{.ID}}" : PS_TABLE;
	bool table = strncmp(src, "table", 5) == 0, json = strcmp(src, "json") == 0;
	char *tmpl = pre_format(src);
	char *rows = NULL;
	size_t rlen = 0;
	FILE *f = or_die(open_memstream(&rows, &rlen));
	int status = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, list) {
		if (json) {
			json_compact(f, o);
		} else {
			char *out;
			if (template_render(tmpl, o, &out, &err) < 0) {
				fprintf(stderr, "template parsing error: %s\n", err ? err : "out of memory");
				free(err);
				status = 1;
				break;
			}
			fputs(out, f);
			free(out);
		}
		fputc('\n', f);
	}
	fclose(f);
	if (status == 0 && table) {
		cJSON *h = ps_header(false);
		char *head = NULL, *text;
		if (template_render(tmpl, h, &head, &err) < 0)
			free(err);
		cJSON_Delete(h);
		if (asprintf(&text, "%s\n%s", head ? head : "", (char *)or_die(rows)) < 0)
			or_die(NULL);
		char *aligned = or_die(tab_align(text, 10, 3));
		fputs(aligned, stdout);
		free(aligned);
		free(text);
		free(head);
	} else if (status == 0) {
		fputs(or_die(rows), stdout);
	}
	free(rows);
	free(tmpl);
	cJSON_Delete(list);
	return status;
}

/* ---- inspect ------------------------------------------------------------------------------ */

static const struct flag_spec inspect_flags[] = {
	{ "format", 'f', FLAG_STRING, "Format output using a custom template: 'json' or a Go "
	  "template", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

/* docker/cli cli/command/inspect/inspector.go: a template that does not parse ends the
 * command at once with status 64; errors of the containers (not found, a template that
 * fails on one) are reported after the output of the others, with status 1. */
static int cmd_inspect(struct call *c)
{
	const char *format = fstr(c, "format");
	bool tmpl = format && *format && strcmp(format, "json") != 0;
	char *err = NULL, *out = NULL;
	if (tmpl && template_render(format, NULL, &out, &err) == -EINVAL) {
		fprintf(stderr, "template parsing error: %s\n", err ? err : "");
		free(err);
		return EXIT_TEMPLATE_PARSE;
	}
	free(out);
	free(err);
	ctr_ctx *ctx = open_ctx(c->g);
	cJSON *all = or_die(cJSON_CreateArray());
	struct list errs = { 0 };
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = or_die(open_memstream(&buf, &blen));
	for (int i = 0; i < c->nargs; i++) {
		char *json, *msg;
		if (ctr_inspect(ctx, c->args[i], &json) < 0) {
			if (asprintf(&msg, "%s: %s", prog, ctr_last_error()) < 0)
				or_die(NULL);
			list_add(&errs, msg);
			continue;
		}
		cJSON *o = cJSON_Parse(json);
		ctr_free(json);
		if (!tmpl) {
			cJSON_AddItemToArray(all, o);
			continue;
		}
		if (template_render(format, o, &out, &err) < 0) {
			if (asprintf(&msg, "template parsing error: %s", err ? err : "out of memory") < 0)
				or_die(NULL);
			list_add(&errs, msg);
			free(err);
		} else {
			fprintf(f, "%s\n", out);
			free(out);
		}
		cJSON_Delete(o);
	}
	ctr_ctx_close(ctx);
	fclose(f);
	if (!tmpl && format && *format)
		json_compact(stdout, all);
	else if (!tmpl)
		json_pretty(stdout, all, 0);
	fputs(tmpl && !blen ? "\n" : or_die(buf), stdout);
	if (!tmpl)
		fputc('\n', stdout);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	int status = errs.n ? 1 : 0;
	list_free_all(&errs);
	free(buf);
	cJSON_Delete(all);
	return status;
}

/* ---- port, publish, unpublish, link, unlink ----------------------------------------------- */

static int cmd_port(struct call *c)
{
	ctr_ctx *ctx = open_ctx(c->g);
	ctr_state st = CTR_STATE_INIT;
	int e = ctr_state_read(ctx, c->args[0], &st);
	if (e < 0)
		errf("%s", ctr_last_error());
	ctr_ctx_close(ctx);
	if (e < 0)
		return 1;
	struct ps_port *ports = or_die(calloc(st.n_ports + 1, sizeof *ports));
	for (size_t i = 0; i < st.n_ports; i++)
		ports[i] = (struct ps_port){ st.ports[i].host_ip, st.ports[i].container_port,
					     st.ports[i].host_port, st.ports[i].proto };
	char *out = NULL;
	/* the container as the user named it (docker/cli port.go) */
	e = port_cmd_format(ports, st.n_ports, c->nargs > 1 ? c->args[1] : NULL, c->args[0],
			    &out);
	if (e < 0)
		errf("%s", out ? out : "out of memory");
	else
		fputs(out, stdout);
	free(out);
	free(ports);
	ctr_state_clear(&st);
	return e < 0 ? 1 : 0;
}

/* Close the context of a command that deleted netfilter rules (unpublish, unlink).  The kernel
 * frees what a deletion released one RCU grace period later, and the last close of a netfilter
 * socket before then waits for it (~10 ms): the change is made, but the shell would wait.  A
 * child holds the sockets across that wait, after this process is gone, and then exits with
 * its stdio on /dev/null, so the command returns once its change is made. */
static void ctx_close_detached(ctr_ctx *ctx)
{
	fflush(NULL);
	int gone[2] = { -1, -1 }; /* the child reads EOF once this process has exited */
	pid_t p = -1;
	if (pipe2(gone, O_CLOEXEC) == 0)
		p = fork();
	if (p == 0) {
		close(gone[1]);
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0)
			for (int fd = 0; fd < 3; fd++)
				dup2(null, fd);
		char b;
		while (read(gone[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0); /* the last close of the sockets, and its wait, are this child's */
	}
	if (gone[0] >= 0)
		close(gone[0]);
	if (p < 0 && gone[1] >= 0) /* no child: this process closes the sockets itself */
		close(gone[1]);
	ctr_ctx_close(ctx); /* with a child holding them, not the sockets' last close */
}

static int cmd_publish(struct call *c)
{
	bool publish = strcmp(c->cmd->name, "publish") == 0;
	ctr_ctx *ctx = open_ctx(c->g);
	int status = 0;
	for (int k = 1; k < c->nargs; k++) {
		char *made;
		const char *spec = publish_spec(c->args[k], &made);
		int e = publish ? ctr_publish_port(ctx, c->args[0], spec)
				: ctr_unpublish_port(ctx, c->args[0], spec);
		free(made);
		if (e < 0) {
			errf("%s", ctr_last_error());
			status = 1;
		}
	}
	if (publish)
		ctr_ctx_close(ctx);
	else
		ctx_close_detached(ctx);
	return status;
}

static int cmd_link(struct call *c)
{
	ctr_ctx *ctx = open_ctx(c->g);
	int e;
	if (strcmp(c->cmd->name, "link") == 0) {
		char *t = or_die(strdup(c->args[1]));
		char *colon = strrchr(t, ':');
		const char *alias = NULL;
		if (colon) {
			*colon = '\0';
			alias = colon + 1;
		}
		e = ctr_link(ctx, c->args[0], t, alias, fbool(c, "env") ? CTR_LINK_ENV : 0);
		free(t);
	} else {
		e = ctr_unlink(ctx, c->args[0], c->args[1]);
	}
	if (e < 0)
		errf("%s", ctr_last_error());
	if (strcmp(c->cmd->name, "link") == 0)
		ctr_ctx_close(ctx);
	else
		ctx_close_detached(ctx);
	return e < 0 ? 1 : 0;
}

/* docker/cli's rename: names trimmed, both required; the error, then which rename failed */
static int cmd_rename(struct call *c)
{
	char *names[2];
	for (int i = 0; i < 2; i++) {
		const char *a = c->args[i];
		size_t n = strlen(a);
		while (n && isspace((unsigned char)a[n - 1]))
			n--;
		while (n && isspace((unsigned char)*a))
			a++, n--;
		names[i] = or_die(strndup(a, n));
	}
	int status = 0;
	if (!names[0][0] || !names[1][0]) {
		errf("Neither old nor new names may be empty");
		status = 1;
	} else {
		ctr_ctx *ctx = open_ctx(c->g);
		if (ctr_rename(ctx, names[0], names[1]) < 0) {
			errf("%s", ctr_last_error());
			errf("failed to rename container named %s", names[0]);
			status = 1;
		}
		ctr_ctx_close(ctx);
	}
	free(names[0]);
	free(names[1]);
	return status;
}

/* ---- logs, exec --------------------------------------------------------------------------- */

static int cmd_logs(struct call *c)
{
	ctr_ctx *ctx = open_ctx(c->g);
	int e = ctr_logs(ctx, c->args[0], 1, 2,
			 (fbool(c, "follow") ? CTR_LOGS_FOLLOW : 0) |
				 (fbool(c, "timestamps") ? CTR_LOGS_TIMESTAMPS : 0));
	if (e < 0)
		errf("%s", ctr_last_error());
	ctr_ctx_close(ctx);
	return e < 0 ? 1 : 0;
}

static int cmd_exec(struct call *c)
{
	struct list owned = { 0 };
	const char **env = env_list(flist(c, "env"), &owned);
	ctr_exec_options xo = CTR_EXEC_OPTIONS_INIT;
	xo.argv = c->args + 1;
	xo.env = env;
	xo.user = fstr(c, "user");
	xo.workdir = fstr(c, "workdir");
	xo.stdin_fd = fbool(c, "interactive") ? 0 : -1;
	xo.stdout_fd = 1;
	xo.stderr_fd = 2;
	ctr_ctx *ctx = open_ctx(c->g);
	int code = 0;
	int e = ctr_exec(ctx, c->args[0], &xo, &code);
	if (e < 0) {
		errf("%s", ctr_last_error());
		if (code == 0)
			code = e == -ENOEXEC ? 126 : EXIT_OWN;
	}
	ctr_ctx_close(ctx);
	free(env);
	list_free_all(&owned);
	return code;
}

/* ---- gc, info, version -------------------------------------------------------------------- */

static int cmd_json(struct call *c)
{
	ctr_ctx *ctx = open_ctx(c->g);
	char *json = NULL;
	int e = strcmp(c->cmd->name, "gc") == 0 ? ctr_reconcile(ctx, &json) : ctr_info(ctx, &json);
	ctr_ctx_close(ctx);
	if (e < 0) {
		errf("%s", ctr_last_error());
		return 1;
	}
	cJSON *o = cJSON_Parse(json);
	ctr_free(json);
	int status = 0;
	const char *format = fstr(c, "format");
	if (format) {
		char *out, *err;
		if (template_render(format, o, &out, &err) < 0) {
			fprintf(stderr, "template parsing error: %s\n", err ? err : "out of memory");
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

static int cmd_version(struct call *c)
{
	(void)c;
	printf("ctrlink version %s\n", ctr_version());
	return 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

static const struct flag_spec no_flags[] = { { NULL, 0, 0, NULL, NULL } };

static const struct flag_spec stop_flags[] = {
	{ "time", 't', FLAG_INT, "Seconds to wait before killing the container", "10" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct flag_spec kill_flags[] = {
	{ "signal", 's', FLAG_STRING, "Signal to send to the container", "KILL" },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct flag_spec rm_flags[] = {
	{ "force", 'f', FLAG_BOOL, "Force the removal of a running container (uses SIGKILL)", NULL },
	{ "link", 'l', FLAG_BOOL, "Remove the specified link", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct flag_spec logs_flags[] = {
	{ "follow", 'f', FLAG_BOOL, "Follow log output", NULL },
	{ "timestamps", 't', FLAG_BOOL, "Show timestamps", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct flag_spec exec_flags[] = {
	{ "env", 'e', FLAG_LIST, "Set environment variables", NULL },
	{ "interactive", 'i', FLAG_BOOL, "Keep STDIN open", NULL },
	{ "user", 'u', FLAG_STRING, "Username or UID (format: \"<name|uid>[:<group|gid>]\")", NULL },
	{ "workdir", 'w', FLAG_STRING, "Working directory inside the container", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct flag_spec link_flags[] = {
	{ "env", 0, FLAG_BOOL, "Also copy TARGET's environment as ALIAS_ENV_*", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct flag_spec json_flags[] = {
	{ "format", 'f', FLAG_STRING, "Format output using a Go template", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

#define CONTAINERS "CONTAINER [CONTAINER...]"
static const struct command commands[] = {
	{ "run", "[OPTIONS] COMMAND [ARG...]", "Create and run a new container", cmd_run, 1, -1,
	  run_flags, false },
	{ "create", "[OPTIONS] COMMAND [ARG...]", "Create a new container", cmd_run, 1, -1,
	  run_flags + 1, false },
	{ "start", CONTAINERS, "Start one or more containers", cmd_each, 1, -1, no_flags, true },
	{ "stop", "[OPTIONS] " CONTAINERS, "Stop one or more running containers", cmd_each, 1, -1,
	  stop_flags, true },
	{ "restart", "[OPTIONS] " CONTAINERS, "Restart one or more containers", cmd_each, 1, -1,
	  stop_flags, true },
	{ "kill", "[OPTIONS] " CONTAINERS, "Kill one or more running containers", cmd_each, 1, -1,
	  kill_flags, true },
	{ "rm", "[OPTIONS] " CONTAINERS, "Remove one or more containers", cmd_each, 1, -1,
	  rm_flags, true },
	{ "wait", CONTAINERS, "Block until one or more containers stop, then print their exit codes",
	  cmd_each, 1, -1, no_flags, true },
	{ "ps", "[OPTIONS]", "List containers", cmd_ps, 0, 0, ps_flags, true },
	{ "inspect", "[OPTIONS] " CONTAINERS, "Show low-level information on containers",
	  cmd_inspect, 1, -1, inspect_flags, true },
	{ "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", cmd_logs, 1, 1,
	  logs_flags, true },
	{ "exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "Execute a command in a running container",
	  cmd_exec, 2, -1, exec_flags, false },
	{ "port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
	  "List port mappings or a specific mapping for the container", cmd_port, 1, 2, no_flags,
	  true },
	{ "publish", "CONTAINER SPEC [SPEC...]",
	  "Publish ports of a container, also while it runs (SPEC as -p)", cmd_publish, 2, -1,
	  no_flags, true },
	{ "unpublish", "CONTAINER SPEC [SPEC...]",
	  "Withdraw published ports, also while the container runs (SPEC as -p)", cmd_publish, 2,
	  -1, no_flags, true },
	{ "link", "[OPTIONS] CONTAINER TARGET[:ALIAS]",
	  "Link a container to another, also while it runs (/etc/hosts and firewall at once, "
	  "environment at the next start)", cmd_link, 2, 2, link_flags, true },
	{ "unlink", "CONTAINER ALIAS", "Remove a link", cmd_link, 2, 2, no_flags, true },
	{ "rename", "CONTAINER NEW_NAME", "Rename a container", cmd_rename, 2, 2, no_flags, true },
	{ "gc", "[OPTIONS]", "Bring the host in line with the state (rules, crashed operations)",
	  cmd_json, 0, 0, json_flags, true },
	{ "info", "[OPTIONS]", "Show the network, NAT backend and kernel features", cmd_json, 0, 0,
	  json_flags, true },
	{ "version", "", "Show the version", cmd_version, 0, 0, no_flags, true },
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static const struct flag_spec global_flags[] = {
	{ "bridge", 0, FLAG_STRING, "Bridge name (default ctrlink0; $CTRLINK_BRIDGE)", NULL },
	{ "icc", 0, FLAG_BOOL, "Let containers reach each other without links ($CTRLINK_ICC=1)",
	  NULL },
	{ "nat-backend", 0, FLAG_STRING, "auto, iptables or nftables ($CTRLINK_NAT_BACKEND)", NULL },
	{ "state-dir", 0, FLAG_STRING, "State directory (default /run/ctrlink; $CTRLINK_STATE_DIR)",
	  NULL },
	{ "subnet", 0, FLAG_STRING, "IPv4 subnet of the bridge ($CTRLINK_SUBNET)", NULL },
	{ "subnet6", 0, FLAG_STRING, "IPv6 subnet too (nftables backend; $CTRLINK_SUBNET6)", NULL },
	{ "version", 'v', FLAG_BOOL, "Print version information and quit", NULL },
	{ NULL, 0, 0, NULL, NULL },
};

static const struct command root = {
	"", "[OPTIONS] COMMAND", "Containers with Docker's -p and --link, without a daemon.", NULL, 0,
	-1, global_flags, false,
};

static void usage(FILE *f)
{
	char *u = or_die(flags_usage(global_flags));
	fprintf(f, "Usage:  %s %s\n\n%s\n\nOptions:\n%s\nCommands:\n", prog, root.use,
		root.short_help, u);
	free(u);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].short_help);
	fprintf(f, "\nRun '%s COMMAND --help' for more information on a command.\n", prog);
}

static int count_flags(const struct flag_spec *spec)
{
	int n = 0;
	while (spec[n].name)
		n++;
	return n;
}

/* Parse a command's flags and arguments and run it. */
static int dispatch(const struct global *g, const struct command *cmd, int argc, char **argv)
{
	struct flag_val *v = or_die(calloc((size_t)count_flags(cmd->flags) + 1, sizeof *v));
	struct call c = { .g = g, .cmd = cmd, .v = v };
	char *err = NULL;
	int e = flags_parse(cmd->flags, v, argc, argv, cmd->interspersed, &c.args, &c.nargs, &err);
	int code;
	if (e == 1) {
		print_help(cmd);
		code = 0;
	} else if (e < 0) {
		code = err ? flag_error(cmd, err) : (errf("out of memory"), EXIT_OWN);
	} else if (c.nargs < cmd->min_args || (cmd->max_args >= 0 && c.nargs > cmd->max_args)) {
		code = args_error(cmd, c.nargs);
	} else {
		code = cmd->run(&c);
	}
	free(err);
	free(c.args);
	flags_free(cmd->flags, v);
	free(v);
	return code;
}

int main(int argc, char **argv)
{
	struct global g = { getenv("CTRLINK_STATE_DIR"), getenv("CTRLINK_BRIDGE"),
			    getenv("CTRLINK_SUBNET"), getenv("CTRLINK_NAT_BACKEND"),
			    getenv("CTRLINK_SUBNET6"), -1 };
	const char *icc = getenv("CTRLINK_ICC");
	if (icc && *icc)
		g.icc = strcmp(icc, "0") != 0 && strcasecmp(icc, "false") != 0;

	struct flag_val v[sizeof global_flags / sizeof *global_flags] = { 0 };
	const char **rest = NULL;
	int nrest = 0, code = -1;
	char *err = NULL;
	int e = flags_parse(global_flags, v, argc - 1, argv + 1, false, &rest, &nrest, &err);
	if (e == 1) {
		usage(stdout);
		code = 0;
	} else if (e < 0) {
		code = err ? flag_error(&root, err) : (errf("out of memory"), EXIT_OWN);
	} else if (v[flags_index(global_flags, "version")].b) {
		printf("ctrlink version %s\n", ctr_version());
		code = 0;
	} else if (nrest == 0) {
		usage(stderr);
		code = EXIT_OWN;
	}
	free(err);
	if (code < 0) {
		const char **dst[] = { &g.bridge, &g.backend, &g.state_dir, &g.subnet, &g.subnet6 };
		const char *names[] = { "bridge", "nat-backend", "state-dir", "subnet", "subnet6" };
		for (size_t i = 0; i < sizeof dst / sizeof *dst; i++) {
			const struct flag_val *f = &v[flags_index(global_flags, names[i])];
			if (f->set)
				*dst[i] = f->str;
		}
		const struct flag_val *f = &v[flags_index(global_flags, "icc")];
		if (f->set)
			g.icc = f->b;
		const struct command *cmd = NULL;
		for (size_t i = 0; i < N_COMMANDS && !cmd; i++)
			if (strcmp(commands[i].name, rest[0]) == 0)
				cmd = &commands[i];
		if (cmd) {
			code = dispatch(&g, cmd, nrest - 1, (char **)rest + 1);
		} else {
			errf("'%s' is not a ctrlink command.\nSee '%s --help'", rest[0], prog);
			code = EXIT_OWN;
		}
	}
	free(rest);
	flags_free(global_flags, v);
	return code;
}
