/* System test of the "Rules for an embeddable library" (doc: DESIGN.md), through the public
 * header only and against the shared library: exported symbols, close-on-exec descriptors (and
 * none of the caller's inheritable ones carried into a monitor), no output, the caller's
 * process-wide state left alone, never killing the caller (SIGPIPE from a dead helper), error
 * classes and "a failed call changes nothing", options versioning, one context shared by
 * threads, exit descriptors, ctr_exec (also when the caller ignores SIGCHLD).
 *
 * It isolates itself: new network, mount and PID namespaces; PID 1 of the new PID namespace
 * makes the mounts private, puts tmpfs on /run and /tmp (the checkout stays visible: private.h)
 * and a fresh /proc and /sys (of the new network namespace), brings lo up, and
 * forks the process that runs the checks.  PID 1 only reaps: the monitors the library
 * double-forks are orphaned to it, so the checking process is an ordinary embedding program
 * (not init, not a subreaper) whose children are its own.  When PID 1 exits, the kernel ends
 * every process the test started.  Output: TAP. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container-link.h"
#include "private.h"
#include "tap.h"

extern char **environ;

#define STATE_DIR "/run/ctr-embed"
#define MAX_FDS 4096
#define N_THREADS 8
#define PER_THREAD 5

/* ---- small utilities ---------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
};

static void bput(struct buf *b, const char *s, size_t n)
{
	if (n > SIZE_MAX / 4 - b->len) {
		printf("Bail out! a buffer of %zu + %zu bytes\n", b->len, n);
		exit(1);
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			printf("Bail out! out of memory\n");
			exit(1);
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void bprintf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		bput(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	bput(b, big, (size_t)n);
	free(big);
}

static char *bfinish(struct buf *b)
{
	if (!b->s)
		bput(b, "", 0);
	return b->s;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

/* diag() a text of several lines, each as its own comment line (at most `max` lines). */
static void diag_text(const char *label, const char *s, int max)
{
	int n = 0;
	diag("%s:", label);
	while (s && *s && n < max) {
		const char *nl = strchr(s, '\n');
		int len = nl ? (int)(nl - s) : (int)strlen(s);
		diag("  | %.*s", len, s);
		n++;
		s = nl ? nl + 1 : s + len;
	}
}

/* Show the first line where two texts differ. */
static void diag_diff(const char *a, const char *b)
{
	int line = 1;
	while (*a || *b) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		if (la != lb || strncmp(a, b, la) != 0) {
			diag("first difference at line %d:", line);
			diag("  before: %.*s", (int)la, a);
			diag("  after:  %.*s", (int)lb, b);
			return;
		}
		a += la + (a[la] == '\n');
		b += lb + (b[lb] == '\n');
		line++;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run a program (no shell) and capture its stdout; returns its exit status (-1: not run).
 * Only called while the process has one thread. */
static int run_capture(const char *const *argv, char **out)
{
	int p[2];
	*out = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);
		if (dup2(p[1], 1) < 0 || (nul >= 0 && dup2(nul, 2) < 0))
			_exit(127);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	struct buf b = { 0 };
	char tmp[4096];
	for (;;) {
		ssize_t n = read(p[0], tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		bput(&b, tmp, (size_t)n);
	}
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*out = bfinish(&b);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Read a whole (small) file; "" if it cannot be read. */
static char *read_text(const char *path)
{
	struct buf b = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char tmp[4096];
	ssize_t n;
	while (fd >= 0 && ((n = read(fd, tmp, sizeof tmp)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			bput(&b, tmp, (size_t)n);
	if (fd >= 0)
		close(fd);
	return bfinish(&b);
}

/* Read everything from a descriptor until end of file. */
static char *read_all_fd(int fd)
{
	struct buf b = { 0 };
	char tmp[4096];
	ssize_t n;
	while ((n = read(fd, tmp, sizeof tmp)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			bput(&b, tmp, (size_t)n);
	return bfinish(&b);
}

/* ---- a tiny JSON reader (enough for the objects the library prints) ----------------------- */

/* The value of member `key` of the object at `p` (which must point at '{'), or NULL. */
static const char *json_member(const char *p, const char *key)
{
	if (!p)
		return NULL;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '{')
		return NULL;
	int depth = 0;
	bool want_key = true;
	for (const char *s = p + 1; *s; s++) {
		char c = *s;
		if (c == '"') {
			const char *start = s + 1;
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && s[1])
					s++;
			if (!*s)
				return NULL;
			if (depth == 0 && want_key) {
				size_t n = (size_t)(s - start);
				const char *v = s + 1;
				while (isspace((unsigned char)*v))
					v++;
				if (*v != ':')
					return NULL;
				v++;
				while (isspace((unsigned char)*v))
					v++;
				if (strlen(key) == n && strncmp(start, key, n) == 0)
					return v;
				want_key = false;
				s = v - 1;
			}
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth-- == 0)
				return NULL;
		} else if (c == ',' && depth == 0) {
			want_key = true;
		}
	}
	return NULL;
}

/* Copy a JSON string value (escapes kept as they are) or a bare token into buf. */
static const char *json_text(const char *v, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	if (!v)
		return buf;
	if (*v == '"') {
		for (v++; *v && *v != '"' && o + 1 < len; v++) {
			if (*v == '\\' && v[1])
				buf[o++] = *v++;
			if (o + 1 < len)
				buf[o++] = *v;
		}
	} else {
		while (*v && !strchr(",}] \t\r\n", *v) && o + 1 < len)
			buf[o++] = *v++;
	}
	buf[o] = '\0';
	return buf;
}

static bool json_is_empty_array(const char *s)
{
	if (!s)
		return false;
	char c[3] = { 0 };
	size_t n = 0;
	for (; *s; s++)
		if (!isspace((unsigned char)*s)) {
			if (n == 2)
				return false;
			c[n++] = *s;
		}
	return n == 2 && c[0] == '[' && c[1] == ']';
}

/* ---- descriptors -------------------------------------------------------------------------- */

struct fdset {
	unsigned char open[MAX_FDS];
};

static void fds_scan(struct fdset *s)
{
	memset(s, 0, sizeof *s);
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int self = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		int fd = atoi(de->d_name);
		if (fd != self && fd >= 0 && fd < MAX_FDS)
			s->open[fd] = 1;
	}
	closedir(d);
}

static void fd_describe(int fd, char *buf, size_t len)
{
	char link[64], target[256];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, target, sizeof target - 1);
	target[n > 0 ? n : 0] = '\0';
	snprintf(buf, len, "%d -> %s", fd, target);
}

/* New descriptors (open now, not in `base`) that are not close-on-exec: diag each, count. */
static int fds_without_cloexec(const struct fdset *base)
{
	struct fdset now;
	int bad = 0;
	fds_scan(&now);
	for (int fd = 0; fd < MAX_FDS; fd++) {
		if (!now.open[fd] || base->open[fd])
			continue;
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC)) {
			char d[300];
			fd_describe(fd, d, sizeof d);
			diag("descriptor without FD_CLOEXEC: %s", d);
			bad++;
		}
	}
	return bad;
}

/* Descriptors open now that are not in `base`, as text ("" when none). */
static char *fds_added(const struct fdset *base)
{
	struct fdset now;
	struct buf b = { 0 };
	fds_scan(&now);
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (now.open[fd] && !base->open[fd]) {
			char d[300];
			fd_describe(fd, d, sizeof d);
			bprintf(&b, "%s\n", d);
		}
	return bfinish(&b);
}

/* ---- library helpers ---------------------------------------------------------------------- */

static int open_ctx(ctr_ctx **ctx)
{
	ctr_ctx_options o = CTR_CTX_OPTIONS_INIT;
	o.state_dir = STATE_DIR;
	return ctr_ctx_open(ctx, &o);
}

static const char *const SLEEP_ARGV[] = { "sleep", "1000", NULL };

static int create_named(ctr_ctx *ctx, const char *name, const char *const *argv,
			const char *const *publish, char id[CTR_ID_LEN + 1])
{
	ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
	o.name = name;
	o.argv = argv;
	o.publish = publish;
	return ctr_create(ctx, &o, id);
}

/* The containers, all of them (ctr_list with CTR_LIST_ALL); "<error>" when the call fails. */
static char *list_all(ctr_ctx *ctx)
{
	char *js = NULL;
	int rc = ctr_list(ctx, CTR_LIST_ALL, &js);
	char *copy = xstrdup(rc == 0 && js ? js : "<error>");
	ctr_free(js);
	return copy;
}

static char *inspect_copy(ctr_ctx *ctx, const char *ref)
{
	char *js = NULL;
	if (ctr_inspect(ctx, ref, &js) < 0)
		return NULL;
	char *copy = xstrdup(js);
	ctr_free(js);
	return copy;
}

/* State.<field> of a container as text ("" if it cannot be read). */
static const char *state_field(ctr_ctx *ctx, const char *ref, const char *field, char *buf,
			       size_t len)
{
	char *js = inspect_copy(ctx, ref);
	json_text(json_member(json_member(js, "State"), field), buf, len);
	free(js);
	return buf;
}

/* Everything a failed call must leave as it was: the containers, the host's interfaces and
 * IPv4 addresses, the iptables rules.  With `start_failed`, the containers' ExitCode is left
 * out: ctr_start documents that a failed start records its reason in the container's state
 * (State.Error, and the exit code 125-127 that goes with it), as Docker does. */
static char *world_snapshot(ctr_ctx *ctx, bool start_failed)
{
	struct buf b = { 0 };
	char *l = list_all(ctx);
	for (char *line = l, *next; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			next++;
		if (!start_failed || !strstr(line, "\"ExitCode\":"))
			bput(&b, line, (size_t)(next - line));
	}
	bput(&b, "\n", 1);
	free(l);
	struct if_nameindex *ni = if_nameindex();
	for (struct if_nameindex *i = ni; i && i->if_index; i++)
		bprintf(&b, "link %u %s\n", i->if_index, i->if_name);
	if (ni)
		if_freenameindex(ni);
	struct ifaddrs *ifa;
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *a = ifa; a; a = a->ifa_next)
			if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET) {
				char ip[INET_ADDRSTRLEN];
				const struct sockaddr_in *sin = (void *)a->ifa_addr;
				inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
				bprintf(&b, "addr %s %s\n", a->ifa_name, ip);
			}
		freeifaddrs(ifa);
	}
	static const char *const save[] = { "iptables-legacy-save", NULL };
	char *rules = NULL;
	run_capture(save, &rules);
	for (char *line = rules, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (line[0] == '#')
			continue;
		char *cnt = line[0] == ':' ? strstr(line, " [") : NULL;
		if (cnt)
			*cnt = '\0';
		bprintf(&b, "rule %s\n", line);
	}
	free(rules);
	return bfinish(&b);
}

static void world_same(const char *before, ctr_ctx *ctx, const char *what)
{
	bool start_failed = strncmp(what, "ctr_start", 9) == 0;
	char *after = world_snapshot(ctx, start_failed);
	int eq = strcmp(before, after) == 0;
	ok(eq, "errors: the failed %s changed nothing (containers, links, addresses, rules)",
	   what);
	if (!eq)
		diag_diff(before, after);
	free(after);
}

/* ---- 1. exported symbols ------------------------------------------------------------------ */

typedef void (*any_fn)(void);
#define API_FN(f) { #f, (any_fn)(f) }

/* Every function the public header declares. */
static const struct {
	const char *name;
	any_fn fn;
} api_fns[] = {
	API_FN(ctr_version),
	API_FN(ctr_last_error),
	API_FN(ctr_free),
	API_FN(ctr_ctx_options_init),
	API_FN(ctr_ctx_open),
	API_FN(ctr_ctx_close),
	API_FN(ctr_create_options_init),
	API_FN(ctr_create),
	API_FN(ctr_start_options_init),
	API_FN(ctr_start),
	API_FN(ctr_read_exit),
	API_FN(ctr_stop),
	API_FN(ctr_restart),
	API_FN(ctr_kill),
	API_FN(ctr_wait),
	API_FN(ctr_remove),
	API_FN(ctr_exec_options_init),
	API_FN(ctr_exec),
	API_FN(ctr_publish_port),
	API_FN(ctr_unpublish_port),
	API_FN(ctr_link),
	API_FN(ctr_unlink),
	API_FN(ctr_rename),
	API_FN(ctr_inspect),
	API_FN(ctr_state_read),
	API_FN(ctr_state_clear),
	API_FN(ctr_list),
	API_FN(ctr_logs),
	API_FN(ctr_reconcile),
	API_FN(ctr_info),
	API_FN(ctr_endpoint_options_init),
	API_FN(ctr_endpoint_add),
	API_FN(ctr_endpoint_remove),
	API_FN(ctr_endpoint_check),
	API_FN(ctr_endpoint_gc),
};
#define N_API (sizeof api_fns / sizeof api_fns[0])

/* Symbols the linker (or a sanitizer's instrumentation) defines in every shared object. */
static bool toolchain_symbol(const char *s)
{
	static const char *const exact[] = { "_init", "_fini", "_edata", "_end", "__bss_start",
					     "_DYNAMIC", "_GLOBAL_OFFSET_TABLE_", NULL };
	static const char *const prefix[] = { "__asan", "__odr_asan", "__ubsan", "__sancov",
					      "__lsan", NULL };
	for (size_t i = 0; exact[i]; i++)
		if (strcmp(s, exact[i]) == 0)
			return true;
	for (size_t i = 0; prefix[i]; i++)
		if (strncmp(s, prefix[i], strlen(prefix[i])) == 0)
			return true;
	return false;
}

static void check_symbols(void)
{
	Dl_info info;
	const char *lib = NULL;
	if (dladdr((void *)ctr_version, &info) && info.dli_fname &&
	    strstr(info.dli_fname, "libcontainer-link.so"))
		lib = info.dli_fname;
	if (!lib) { /* a non-PIE executable's canonical PLT entry: ask the dynamic linker */
		void *p = dlsym(RTLD_DEFAULT, "ctr_version");
		if (p && dladdr(p, &info) && info.dli_fname &&
		    strstr(info.dli_fname, "libcontainer-link.so"))
			lib = info.dli_fname;
	}
	ok(lib != NULL, "symbols: the library is the shared object (%s)", lib ? lib : "not found");
	if (!lib)
		return;

	const char *const argv[] = { "nm", "-D", "--defined-only", lib, NULL };
	char *out = NULL;
	int st = run_capture(argv, &out);
	ok(st == 0 && out && *out, "symbols: nm -D --defined-only %s ran (status %d)", lib, st);

	bool seen[N_API] = { false };
	int foreign = 0, total = 0;
	for (char *line = out, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		char addr[64], name[512];
		char type;
		if (sscanf(line, "%63s %c %511s", addr, &type, name) != 3)
			continue;
		char *at = strchr(name, '@'); /* symbol version */
		if (at)
			*at = '\0';
		if (type == 'U' || type == 'w' || type == 'A' || toolchain_symbol(name))
			continue;
		total++;
		if (strncmp(name, "ctr_", 4) != 0) {
			if (foreign++ < 20)
				diag("exported symbol without the ctr_ prefix: %c %s", type, name);
			continue;
		}
		for (size_t i = 0; i < N_API; i++)
			if (strcmp(name, api_fns[i].name) == 0)
				seen[i] = true;
	}
	free(out);
	ok(total > 0 && foreign == 0,
	   "symbols: every one of the %d defined dynamic symbols starts with ctr_ (%d do not)",
	   total, foreign);
	for (size_t i = 0; i < N_API; i++) {
		Dl_info fi;
		bool here = dladdr((void *)api_fns[i].fn, &fi) && fi.dli_fname &&
			    strcmp(fi.dli_fname, lib) == 0 && fi.dli_sname &&
			    strcmp(fi.dli_sname, api_fns[i].name) == 0;
		ok(seen[i] && here, "symbols: %s is exported by the shared library",
		   api_fns[i].name);
	}
	ok(total == (int)N_API, "symbols: the library exports exactly the %zu header functions "
	   "(found %d)", N_API, total);
}

/* ---- 6. options versioning ---------------------------------------------------------------- */

static bool msg_names(const char *needle)
{
	return strstr(ctr_last_error(), needle) != NULL;
}

/* A caller built against an older `version` of ctr_create_options: the fields after it are
 * not read (`cr` has one set to a value that would be refused); inspect shows `needle`. */
static void older_version(ctr_ctx *ctx, ctr_create_options *cr, unsigned version,
			  const char *needle, const char *field)
{
	char name[16];
	snprintf(name, sizeof name, "opt-v%u", version);
	cr->version = version;
	cr->name = name;
	cr->argv = SLEEP_ARGV;
	int rc = ctr_create(ctx, cr, NULL);
	char *j = rc == 0 ? inspect_copy(ctx, name) : NULL;
	ok(rc == 0 && j && strstr(j, needle),
	   "options: a version %u struct is read without %s (%d %s)", version, field, rc,
	   rc ? ctr_last_error() : "");
	free(j);
	ctr_remove(ctx, name, 0);
}

static void check_options(void)
{
	ctr_ctx_options co;
	ctr_create_options cr;
	ctr_start_options so;
	ctr_exec_options xo;
	int rc;

	memset(&co, 0xa5, sizeof co);
	rc = ctr_ctx_options_init(&co, CTR_CTX_OPTIONS_VERSION);
	ok(rc == 0 && co.version == CTR_CTX_OPTIONS_VERSION && !co.state_dir && !co.bridge &&
		   !co.subnet && co.icc == -1 && co.nat_backend == CTR_NAT_AUTO && !co.helper_path,
	   "options: ctr_ctx_options_init fills the defaults");
	memset(&cr, 0xa5, sizeof cr);
	rc = ctr_create_options_init(&cr, CTR_CREATE_OPTIONS_VERSION);
	ok(rc == 0 && cr.version == CTR_CREATE_OPTIONS_VERSION && !cr.name && !cr.argv && !cr.env &&
		   !cr.hostname && !cr.domainname && !cr.workdir && !cr.rootfs && !cr.user &&
		   !cr.cap_add && !cr.cap_drop && !cr.expose && !cr.publish && !cr.publish_all &&
		   !cr.auto_remove && !cr.links && !cr.links_env && !cr.seccomp &&
		   !cr.restart_policy && !cr.log_opts,
	   "options: ctr_create_options_init fills the defaults");
	memset(&so, 0xa5, sizeof so);
	rc = ctr_start_options_init(&so, CTR_START_OPTIONS_VERSION);
	ok(rc == 0 && so.version == CTR_START_OPTIONS_VERSION && so.stdin_fd == -1 &&
		   so.stdout_fd == -1 && so.stderr_fd == -1 && !so.exit_fd,
	   "options: ctr_start_options_init fills the defaults");
	memset(&xo, 0xa5, sizeof xo);
	rc = ctr_exec_options_init(&xo, CTR_EXEC_OPTIONS_VERSION);
	ok(rc == 0 && xo.version == CTR_EXEC_OPTIONS_VERSION && !xo.argv && !xo.env && !xo.user &&
		   !xo.workdir && xo.stdin_fd == -1 && xo.stdout_fd == -1 && xo.stderr_fd == -1,
	   "options: ctr_exec_options_init fills the defaults");

	rc = ctr_ctx_options_init(&co, 99);
	ok(rc == -EINVAL && msg_names("99"), "options: ctr_ctx_options_init(99) is -EINVAL naming "
	   "the version (%d, \"%s\")", rc, ctr_last_error());
	rc = ctr_create_options_init(&cr, 99);
	ok(rc == -EINVAL && msg_names("99"), "options: ctr_create_options_init(99) is -EINVAL "
	   "naming the version (%d, \"%s\")", rc, ctr_last_error());
	rc = ctr_start_options_init(&so, 99);
	ok(rc == -EINVAL && msg_names("99"), "options: ctr_start_options_init(99) is -EINVAL "
	   "naming the version (%d, \"%s\")", rc, ctr_last_error());
	rc = ctr_exec_options_init(&xo, 99);
	ok(rc == -EINVAL && msg_names("99"), "options: ctr_exec_options_init(99) is -EINVAL "
	   "naming the version (%d, \"%s\")", rc, ctr_last_error());
	rc = ctr_create_options_init(NULL, CTR_CREATE_OPTIONS_VERSION);
	is_int(rc, -EINVAL, "options: an _init function refuses a NULL struct");

	/* a context with an unknown version: refused before anything is made */
	static const char v99dir[] = "/run/ctr-embed-v99";
	ctr_ctx *ctx = NULL;
	co = (ctr_ctx_options)CTR_CTX_OPTIONS_INIT;
	co.version = 99;
	co.state_dir = v99dir;
	rc = ctr_ctx_open(&ctx, &co);
	ok(rc == -EINVAL && msg_names("99") && ctx == NULL && access(v99dir, F_OK) < 0,
	   "options: ctr_ctx_open with version 99 is -EINVAL naming the version, creates nothing "
	   "(%d, \"%s\")", rc, ctr_last_error());
	co.version = 0;
	rc = ctr_ctx_open(&ctx, &co);
	ok(rc == -EINVAL && access(v99dir, F_OK) < 0,
	   "options: ctr_ctx_open with version 0 (an uninitialised struct) is -EINVAL (%d)", rc);

	rc = open_ctx(&ctx);
	ok(rc == 0, "options: open a context (%d %s)", rc, ctr_last_error());
	if (rc < 0)
		return;
	char *before = list_all(ctx);
	cr = (ctr_create_options)CTR_CREATE_OPTIONS_INIT;
	cr.version = 99;
	cr.name = "opt-v99";
	cr.argv = SLEEP_ARGV;
	rc = ctr_create(ctx, &cr, NULL);
	char msg[400];
	snprintf(msg, sizeof msg, "%s", ctr_last_error());
	char *after = list_all(ctx);
	ok(rc == -EINVAL && strstr(msg, "ctr_create_options version 99") &&
		   strcmp(before, after) == 0,
	   "options: ctr_create with version 99 is -EINVAL naming the version, creates nothing "
	   "(%d, \"%s\")", rc, msg);
	free(after);
	free(before);

	/* a caller built against version 2 has no restart_policy: what lies there is not read */
	cr = (ctr_create_options)CTR_CREATE_OPTIONS_INIT;
	cr.restart_policy = "not a policy: never read";
	older_version(ctx, &cr, 2, "\"RestartPolicy\":\t{\n\t\t\t\"Name\":\t\"no\",",
		      "restart_policy");
	/* version 3 has no log_opts: the default limits, whatever lies there */
	static const char *const bad_log_opts[] = { "never=read", NULL };
	cr = (ctr_create_options)CTR_CREATE_OPTIONS_INIT;
	cr.log_opts = bad_log_opts;
	older_version(ctx, &cr, 3, "\"max-size\":\t\"1m\"", "log_opts");
	/* a caller built against version 1: its struct, in a buffer of just its size (so that
	 * the sanitizer build catches a read beyond), ends with links_env; it is created and
	 * started with the defaults of everything after */
	size_t v1 = offsetof(ctr_create_options, seccomp);
	ctr_create_options w;
	memset(&w, 0xa5, sizeof w);
	rc = ctr_create_options_init(&w, 1);
	ok(rc == 0 && w.version == 1 && !w.name && !w.links_env && ((unsigned char *)&w)[v1] == 0xa5,
	   "options: ctr_create_options_init(1) fills just a version 1 struct");
	void *c1 = malloc(v1);
	if (c1) {
		w.name = "opt-v1";
		w.argv = SLEEP_ARGV;
		memcpy(c1, &w, v1);
		rc = ctr_create(ctx, c1, NULL);
		int rs = rc == 0 ? ctr_start(ctx, "opt-v1", NULL) : rc;
		char *j = rs == 0 ? inspect_copy(ctx, "opt-v1") : NULL;
		ok(rc == 0 && rs == 0 && j && strstr(j, "\"Running\":\ttrue") &&
			   strstr(j, "\"RestartPolicy\":\t{\n\t\t\t\"Name\":\t\"no\","),
		   "options: a version 1 struct creates and starts a container (%d %d %s)", rc, rs,
		   rc || rs ? ctr_last_error() : "");
		free(j);
		ctr_remove(ctx, "opt-v1", CTR_REMOVE_FORCE);
		free(c1);
	}

	char id[CTR_ID_LEN + 1];
	rc = create_named(ctx, "opt", SLEEP_ARGV, NULL, id);
	ok(rc == 0, "options: create a container (%d %s)", rc, ctr_last_error());
	so = (ctr_start_options)CTR_START_OPTIONS_INIT;
	so.version = 99;
	rc = ctr_start(ctx, "opt", &so);
	snprintf(msg, sizeof msg, "%s", ctr_last_error());
	char run[16];
	state_field(ctx, "opt", "Running", run, sizeof run);
	ok(rc == -EINVAL && strstr(msg, "99") && strcmp(run, "false") == 0,
	   "options: ctr_start with version 99 is -EINVAL naming the version, starts nothing "
	   "(%d, \"%s\")", rc, msg);
	xo = (ctr_exec_options)CTR_EXEC_OPTIONS_INIT;
	xo.version = 99;
	static const char *const true_argv[] = { "true", NULL };
	xo.argv = true_argv;
	int code = -12345;
	rc = ctr_exec(ctx, "opt", &xo, &code);
	ok(rc == -EINVAL && msg_names("99") && code == -12345,
	   "options: ctr_exec with version 99 is -EINVAL naming the version (%d, \"%s\")", rc,
	   ctr_last_error());
	rc = ctr_remove(ctx, "opt", CTR_REMOVE_FORCE);
	ok(rc == 0, "options: remove the container (%d %s)", rc, ctr_last_error());
	ctr_ctx_close(ctx);
}

/* ---- ctr_state_read: the typed read ------------------------------------------------------ */

static void check_state(void)
{
	ctr_ctx *ctx = NULL;
	if (open_ctx(&ctx) < 0) {
		ok(0, "typed state: context: %s", ctr_last_error());
		return;
	}
	static const char *const pub[] = { "18090:80", "127.0.0.1:18091:53/udp", NULL };
	char id[CTR_ID_LEN + 1];
	int rc = create_named(ctx, "st-web", SLEEP_ARGV, pub, id);
	ok(rc == 0, "typed state: create (%s)", rc ? ctr_last_error() : "ok");
	ctr_state st = CTR_STATE_INIT;
	rc = ctr_state_read(ctx, "st-web", &st);
	ok(rc == 0 && strcmp(st.id, id) == 0 && strcmp(st.name, "st-web") == 0 &&
	   st.status == CTR_STATUS_CREATED && strcmp(st.status_name, "created") == 0 &&
	   !st.running && st.pid == 0 && st.ip[0] == '\0' && st.n_ports == 0 && !st.ports,
	   "typed state: created: status %s, pid %d, ip \"%s\", %zu ports", st.status_name, st.pid, st.ip,
	   st.n_ports);
	ctr_state_clear(&st);

	rc = ctr_start(ctx, "st-web", NULL);
	ok(rc == 0, "typed state: start (%s)", rc ? ctr_last_error() : "ok");
	rc = ctr_state_read(ctx, id, &st);
	char *js = inspect_copy(ctx, "st-web");
	char want_ip[64] = "", want_pid[32] = "";
	snprintf(want_ip, sizeof want_ip, "\"IPAddress\":\t\"%s\"", st.ip);
	snprintf(want_pid, sizeof want_pid, "\"Pid\":\t%d,", st.pid);
	ok(rc == 0 && st.status == CTR_STATUS_RUNNING && st.running && st.pid > 0 &&
	   kill(st.pid, 0) == 0 && st.ip[0] && st.gateway[0] && js && strstr(js, want_ip) &&
	   strstr(js, want_pid),
	   "typed state: running: pid %d, ip %s via %s, as inspect says", st.pid, st.ip, st.gateway);
	free(js);
	bool tcp = false, udp = false;
	for (size_t i = 0; i < st.n_ports; i++) {
		const ctr_port_map *p = &st.ports[i];
		tcp |= p->container_port == 80 && p->host_port == 18090 && !strcmp(p->proto, "tcp") &&
		       !strcmp(p->host_ip, "0.0.0.0");
		udp |= p->container_port == 53 && p->host_port == 18091 && !strcmp(p->proto, "udp") &&
		       !strcmp(p->host_ip, "127.0.0.1");
	}
	ok(st.n_ports == 2 && tcp && udp, "typed state: running: its 2 published ports (%zu)", st.n_ports);
	ctr_state_clear(&st);
	ok(st.ports == NULL && st.n_ports == 0, "typed state: ctr_state_clear frees and empties the ports");
	ctr_state_clear(&st);

	rc = ctr_stop(ctx, "st-web", 0);
	ok(rc == 0, "typed state: stop (%s)", rc ? ctr_last_error() : "ok");
	rc = ctr_state_read(ctx, "st-web", &st);
	ok(rc == 0 && st.status == CTR_STATUS_EXITED && !strcmp(st.status_name, "exited") &&
	   !st.running && st.pid == 0 && st.ip[0] == '\0' && st.n_ports == 0 && st.exit_code == 137,
	   "typed state: exited: status %s, exit code %d, pid %d, %zu ports", st.status_name,
	   st.exit_code, st.pid, st.n_ports);
	ctr_state_clear(&st);

	ctr_state bad = CTR_STATE_INIT;
	bad.version = 99;
	rc = ctr_state_read(ctx, "st-web", &bad);
	ok(rc == -EINVAL && strstr(ctr_last_error(), "ctr_state version 99"),
	   "typed state: an unknown version is refused, naming it: %d %s", rc, ctr_last_error());
	rc = ctr_state_read(ctx, "st-nosuch", &st);
	ok(rc == -ENOENT && strstr(ctr_last_error(), "No such container: st-nosuch") &&
	   st.ports == NULL, "typed state: no such container: %d %s", rc, ctr_last_error());
	rc = ctr_state_read(ctx, NULL, &st);
	ok(rc == -EINVAL, "typed state: a NULL reference is refused (%d)", rc);
	rc = ctr_remove(ctx, "st-web", 0);
	ok(rc == 0, "typed state: remove (%s)", rc ? ctr_last_error() : "ok");

	/* the name create made up, returned (name_out) */
	ctr_create_options cr = CTR_CREATE_OPTIONS_INIT;
	char name[CTR_NAME_MAX + 1] = "", small[8] = "";
	cr.argv = SLEEP_ARGV;
	cr.name_out = small;
	cr.name_out_len = sizeof small;
	char *before = list_all(ctx);
	rc = ctr_create(ctx, &cr, id);
	char why[256];
	snprintf(why, sizeof why, "%s", ctr_last_error());
	char *after = list_all(ctx);
	ok(rc == -ERANGE && strstr(why, "name_out holds 8 bytes") && strcmp(before, after) == 0,
	   "create: a name_out too small is refused and makes nothing (%d %s)", rc, why);
	free(before);
	free(after);
	cr.name_out = name;
	cr.name_out_len = sizeof name;
	rc = ctr_create(ctx, &cr, id);
	rc = rc < 0 ? rc : ctr_state_read(ctx, id, &st);
	ok(rc == 0 && strchr(name, '_') && strcmp(st.name, name) == 0,
	   "create: name_out receives the name it made up (\"%s\", the state says \"%s\")", name,
	   st.name);
	ctr_state_clear(&st);
	ctr_remove(ctx, id, CTR_REMOVE_FORCE);
	ctr_ctx_close(ctx);
}

/* ---- 2. close-on-exec --------------------------------------------------------------------- */

static void cloexec_point(const struct fdset *base, const char *call, int rc)
{
	int bad = fds_without_cloexec(base);
	ok(rc == 0 && bad == 0, "cloexec: after %s (rc %d) every descriptor the library holds is "
	   "close-on-exec (%d are not)", call, rc, bad);
	if (rc != 0)
		diag("%s: %s", call, ctr_last_error());
}

static void check_cloexec(void)
{
	struct fdset base;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	fds_scan(&base);

	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	cloexec_point(&base, "ctr_ctx_open", rc);
	if (rc < 0)
		return;
	static const char *const pub[] = { "18080:80", NULL };
	char id[CTR_ID_LEN + 1];
	rc = create_named(ctx, "fd-web", SLEEP_ARGV, pub, id);
	cloexec_point(&base, "ctr_create", rc);
	int exit_fd = -1;
	ctr_start_options so = CTR_START_OPTIONS_INIT;
	so.exit_fd = &exit_fd;
	rc = ctr_start(ctx, "fd-web", &so);
	cloexec_point(&base, "ctr_start (with exit_fd)", rc);
	char *js = NULL;
	rc = ctr_inspect(ctx, "fd-web", &js);
	ctr_free(js);
	cloexec_point(&base, "ctr_inspect", rc);
	js = NULL;
	rc = ctr_list(ctx, 0, &js);
	ctr_free(js);
	cloexec_point(&base, "ctr_list", rc);
	rc = ctr_publish_port(ctx, "fd-web", "18081:81");
	cloexec_point(&base, "ctr_publish_port (running)", rc);
	ctr_exec_options xo = CTR_EXEC_OPTIONS_INIT;
	static const char *const true_argv[] = { "true", NULL };
	xo.argv = true_argv;
	xo.stdout_fd = devnull;
	xo.stderr_fd = devnull;
	int code = -1;
	rc = ctr_exec(ctx, "fd-web", &xo, &code);
	cloexec_point(&base, "ctr_exec", rc);
	rc = ctr_stop(ctx, "fd-web", 0);
	cloexec_point(&base, "ctr_stop", rc);
	rc = ctr_remove(ctx, "fd-web", 0);
	cloexec_point(&base, "ctr_remove", rc);
	ctr_ctx_close(ctx);

	/* all that may remain is the exit descriptor it handed out */
	char *added = fds_added(&base);
	char want[300] = "";
	if (exit_fd >= 0) {
		fd_describe(exit_fd, want, sizeof want - 1);
		strcat(want, "\n");
	}
	ok(exit_fd >= 0 && strcmp(added, want) == 0,
	   "cloexec: after ctr_ctx_close only the returned exit_fd (%d) is left open", exit_fd);
	if (strcmp(added, want) != 0)
		diag_text("left open", added, 20);
	free(added);
	int fl = exit_fd >= 0 ? fcntl(exit_fd, F_GETFD) : -1;
	ok(fl >= 0 && (fl & FD_CLOEXEC), "cloexec: exit_fd is close-on-exec");
	code = -1;
	rc = exit_fd >= 0 ? ctr_read_exit(exit_fd, &code) : -EBADF;
	ok(rc == 0 && code == 137, "cloexec: exit_fd still reports the exit (137: killed by "
	   "ctr_stop with timeout 0) after ctr_ctx_close (rc %d, code %d)", rc, code);
	if (exit_fd >= 0)
		close(exit_fd);
	close(devnull);
	added = fds_added(&base);
	ok(*added == '\0', "cloexec: no descriptor left behind at all");
	if (*added)
		diag_text("left open", added, 20);
	free(added);
}

/* A careless caller leaves a descriptor inheritable (no O_CLOEXEC): the helper the library
 * runs must not carry it into the container's long-lived monitor (the caller would never see
 * end of file on the pipe, and the monitor would write into whatever sits at its exit-code
 * descriptor number). */
static void check_inherit(void)
{
	int p[2];
	if (pipe(p) < 0) {
		ok(0, "inherit: pipe: %s", strerror(errno));
		return;
	}
	int at5 = -1;
	if (p[0] != 5 && p[1] != 5 && fcntl(5, F_GETFD) < 0 && errno == EBADF)
		at5 = dup2(p[1], 5); /* where the monitor expects an exit descriptor */
	if (at5 < 0)
		diag("descriptor 5 is in use: only the plain inheritance is checked");
	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	if (rc == 0)
		rc = create_named(ctx, "inherit", SLEEP_ARGV, NULL, NULL);
	if (rc == 0)
		rc = ctr_start(ctx, "inherit", NULL);
	ok(rc == 0, "inherit: start a container while the caller has an inheritable pipe open "
	   "(%d %s)", rc, ctr_last_error());
	close(p[1]);
	if (at5 >= 0)
		close(at5);
	struct pollfd pf = { p[0], POLLIN, 0 };
	int r = poll(&pf, 1, 2000);
	ok(r == 1 && (pf.revents & POLLHUP),
	   "inherit: the caller's inheritable descriptor is not kept open by the container's "
	   "monitor (poll %d, revents %#x)", r, (unsigned)pf.revents);
	if (!(pf.revents & POLLHUP)) {
		struct buf who = { 0 };
		DIR *d = opendir("/proc");
		struct dirent *de;
		char mine[256] = "", link[64];
		snprintf(link, sizeof link, "/proc/self/fd/%d", p[0]);
		ssize_t n = readlink(link, mine, sizeof mine - 1);
		mine[n > 0 ? n : 0] = '\0';
		while (d && (de = readdir(d)) != NULL) {
			if (!isdigit((unsigned char)de->d_name[0]) || atoi(de->d_name) == getpid())
				continue;
			char dir[300];
			snprintf(dir, sizeof dir, "/proc/%s/fd", de->d_name);
			DIR *fdd = opendir(dir);
			struct dirent *fe;
			while (fdd && (fe = readdir(fdd)) != NULL) {
				char path[600], target[256];
				snprintf(path, sizeof path, "%s/%s", dir, fe->d_name);
				ssize_t m = readlink(path, target, sizeof target - 1);
				target[m > 0 ? m : 0] = '\0';
				if (m > 0 && strcmp(target, mine) == 0) {
					char comm[300];
					snprintf(comm, sizeof comm, "/proc/%s/cmdline", de->d_name);
					char *cmd = read_text(comm);
					bprintf(&who, "pid %s (%s) fd %s; ", de->d_name, cmd,
						fe->d_name);
					free(cmd);
				}
			}
			if (fdd)
				closedir(fdd);
		}
		if (d)
			closedir(d);
		diag("the pipe's write end is held by: %s", bfinish(&who));
		free(who.s);
	}
	rc = ctr_stop(ctx, "inherit", 0);
	int r2 = ctr_remove(ctx, "inherit", 0);
	ok(rc == 0 && r2 == 0, "inherit: stop and remove it (%d %d %s)", rc, r2, ctr_last_error());
	ctr_ctx_close(ctx);
	if (at5 >= 0) {
		pf.revents = 0;
		poll(&pf, 1, 2000);
		int fl = fcntl(p[0], F_GETFL);
		fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
		char got[64] = "";
		ssize_t n = read(p[0], got, sizeof got - 1);
		got[n > 0 ? n : 0] = '\0';
		ok(n <= 0, "inherit: the monitor wrote nothing into the caller's descriptor 5 "
		   "(got \"%s\")", got);
	}
	close(p[0]);
}

/* ---- 3. no output ------------------------------------------------------------------------- */

struct outcall {
	const char *what;
	int rc, want;
	char msg[400];
};

static int tmpfile_fd(void)
{
	int fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		char path[] = "/tmp/embed-out-XXXXXX";
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	return fd;
}

static void rec_call(struct outcall *c, const char *what, int rc, int want)
{
	c->what = what;
	c->rc = rc;
	c->want = want;
	snprintf(c->msg, sizeof c->msg, "%s", ctr_last_error());
}

static void check_no_output(void)
{
	struct outcall calls[24];
	size_t n = 0;
	int o1 = tmpfile_fd(), o2 = tmpfile_fd();
	fflush(stdout);
	fflush(stderr);
	int save1 = fcntl(1, F_DUPFD_CLOEXEC, 10), save2 = fcntl(2, F_DUPFD_CLOEXEC, 10);
	if (o1 < 0 || o2 < 0 || save1 < 0 || save2 < 0 || dup2(o1, 1) < 0 || dup2(o2, 2) < 0) {
		ok(0, "output: cannot redirect fds 1 and 2: %s", strerror(errno));
		return;
	}

	/* --- nothing may be printed from here until the descriptors are restored --- */
	ctr_ctx *ctx = NULL;
	char id[CTR_ID_LEN + 1];
	char *js = NULL;
	static const char *const noprog[] = { "/no/such/program", NULL };
	rec_call(&calls[n++], "ctr_ctx_open", open_ctx(&ctx), 0);
	if (ctx) {
		rec_call(&calls[n++], "ctr_create (bad name)",
			 create_named(ctx, "bad name", SLEEP_ARGV, NULL, id), -EINVAL);
		rec_call(&calls[n++], "ctr_create",
			 create_named(ctx, "quiet", SLEEP_ARGV, NULL, id), 0);
		rec_call(&calls[n++], "ctr_start", ctr_start(ctx, "quiet", NULL), 0);
		rec_call(&calls[n++], "ctr_inspect (unknown container)",
			 ctr_inspect(ctx, "nosuch", &js), -ENOENT);
		ctr_free(js);
		js = NULL;
		rec_call(&calls[n++], "ctr_publish_port (bad spec)",
			 ctr_publish_port(ctx, "quiet", "99999:80"), -EINVAL);
		rec_call(&calls[n++], "ctr_publish_port",
			 ctr_publish_port(ctx, "quiet", "18082:82"), 0);
		rec_call(&calls[n++], "ctr_list", ctr_list(ctx, CTR_LIST_ALL, &js), 0);
		ctr_free(js);
		js = NULL;
		rec_call(&calls[n++], "ctr_create (missing program)",
			 create_named(ctx, "quiet-noexec", noprog, NULL, id), 0);
		rec_call(&calls[n++], "ctr_start (missing program)",
			 ctr_start(ctx, "quiet-noexec", NULL), -ENOEXEC);
		rec_call(&calls[n++], "ctr_remove (running, no force)",
			 ctr_remove(ctx, "quiet", 0), -EBUSY);
		rec_call(&calls[n++], "ctr_logs (unknown container)",
			 ctr_logs(ctx, "nosuch", -1, -1, 0), -ENOENT);
		rec_call(&calls[n++], "ctr_info", ctr_info(ctx, &js), 0);
		ctr_free(js);
		js = NULL;
		rec_call(&calls[n++], "ctr_stop", ctr_stop(ctx, "quiet", 0), 0);
		rec_call(&calls[n++], "ctr_remove", ctr_remove(ctx, "quiet", 0), 0);
		rec_call(&calls[n++], "ctr_remove (the one that failed to start)",
			 ctr_remove(ctx, "quiet-noexec", 0), 0);
		rec_call(&calls[n++], "ctr_stop (unknown container)", ctr_stop(ctx, "quiet", 0),
			 -ENOENT);
		ctr_ctx_close(ctx);
	}
	fflush(stdout);
	fflush(stderr);
	/* --- end of the quiet zone --- */
	dup2(save1, 1);
	dup2(save2, 2);
	close(save1);
	close(save2);

	for (size_t i = 0; i < n; i++) {
		const struct outcall *c = &calls[i];
		if (c->want == 0)
			ok(c->rc == 0 && c->msg[0] == '\0',
			   "output: %s succeeds and ctr_last_error() is \"\" (rc %d, \"%s\")",
			   c->what, c->rc, c->msg);
		else
			ok(c->rc == c->want && c->msg[0] != '\0',
			   "output: %s fails with %d and ctr_last_error() says why (rc %d, \"%s\")",
			   c->what, c->want, c->rc, c->msg);
	}
	int fds[2] = { o1, o2 };
	for (int i = 0; i < 2; i++) {
		struct stat sb;
		fstat(fds[i], &sb);
		ok(sb.st_size == 0, "output: nothing was written to fd %d (%lld bytes)", i + 1,
		   (long long)sb.st_size);
		if (sb.st_size > 0) {
			lseek(fds[i], 0, SEEK_SET);
			char *text = read_all_fd(fds[i]);
			diag_text("written", text, 20);
			free(text);
		}
		close(fds[i]);
	}
}

/* ---- 4. process-wide state ---------------------------------------------------------------- */

/* Lines of /proc/thread-self/status whose keys are listed. */
static char *status_lines(const char *const *keys)
{
	char *all = read_text("/proc/thread-self/status");
	struct buf b = { 0 };
	for (char *line = all, *next; *line; line = next) {
		next = strchr(line, '\n');
		size_t len = next ? (size_t)(next - line) : strlen(line);
		next = next ? next + 1 : line + len;
		for (size_t i = 0; keys[i]; i++) {
			size_t kl = strlen(keys[i]);
			if (len > kl && strncmp(line, keys[i], kl) == 0 && line[kl] == ':') {
				bput(&b, line, len);
				bput(&b, "\n", 1);
			}
		}
	}
	free(all);
	return bfinish(&b);
}

static char *st_umask(void)
{
	static const char *const k[] = { "Umask", NULL };
	return status_lines(k);
}

static char *st_cwd(void)
{
	char buf[4096];
	return xstrdup(getcwd(buf, sizeof buf) ? buf : "<getcwd failed>");
}

static char *st_environ(void)
{
	struct buf b = { 0 };
	for (char **e = environ; e && *e; e++)
		bprintf(&b, "%s\n", *e);
	return bfinish(&b);
}

static void sigset_text(struct buf *b, const sigset_t *set)
{
	for (int s = 1; s < NSIG; s++)
		bput(b, sigismember(set, s) == 1 ? "1" : "0", 1);
}

static char *st_sigmask(void)
{
	sigset_t m;
	struct buf b = { 0 };
	sigemptyset(&m);
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	sigset_text(&b, &m);
	return bfinish(&b);
}

static char *st_sigactions(void)
{
	struct buf b = { 0 };
	for (int s = 1; s < NSIG; s++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		int r = sigaction(s, NULL, &sa);
		bprintf(&b, "%d %d %#lx %#x ", s, r, (unsigned long)(uintptr_t)sa.sa_handler,
			(unsigned)sa.sa_flags);
		sigset_text(&b, &sa.sa_mask);
		bput(&b, "\n", 1);
	}
	return bfinish(&b);
}

static char *st_rlimits(void)
{
	struct buf b = { 0 };
	for (int r = 0; r < RLIM_NLIMITS; r++) {
		struct rlimit rl = { 0, 0 };
		int e = getrlimit((__rlimit_resource_t)r, &rl);
		bprintf(&b, "%d %d %llu %llu\n", r, e, (unsigned long long)rl.rlim_cur,
			(unsigned long long)rl.rlim_max);
	}
	return bfinish(&b);
}

static char *st_namespaces(void)
{
	static const char *const ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
					  "time", "time_for_children", "user", "uts", NULL };
	struct buf b = { 0 };
	for (size_t i = 0; ns[i]; i++) {
		char path[64], target[128];
		snprintf(path, sizeof path, "/proc/thread-self/ns/%s", ns[i]);
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		bprintf(&b, "%s %s\n", ns[i], target);
	}
	char *cg = read_text("/proc/self/cgroup");
	bprintf(&b, "cgroup: %s", cg);
	free(cg);
	return bfinish(&b);
}

static char *st_creds(void)
{
	static const char *const k[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
					 "NoNewPrivs", "Seccomp", NULL };
	struct buf b = { 0 };
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	bprintf(&b, "uid %u %u %u gid %u %u %u groups", ru, eu, su, rg, eg, sg);
	gid_t groups[256];
	int ng = getgroups(256, groups);
	for (int i = 0; i < ng; i++)
		bprintf(&b, " %u", groups[i]);
	bput(&b, "\n", 1);
	char *caps = status_lines(k);
	bprintf(&b, "%s", caps);
	free(caps);
	return bfinish(&b);
}

static char *st_prctl(void)
{
	struct buf b = { 0 };
	int pdeath = -1;
	char name[17] = "";
	prctl(PR_GET_PDEATHSIG, &pdeath);
	prctl(PR_GET_NAME, name);
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	bprintf(&b, "dumpable %d pdeathsig %d name %s keepcaps %d timerslack %d nice %d "
		    "sched %d personality %#x\n",
		prctl(PR_GET_DUMPABLE), pdeath, name, prctl(PR_GET_KEEPCAPS),
		prctl(PR_GET_TIMERSLACK), nice, sched_getscheduler(0), personality(0xffffffff));
	char *oom = read_text("/proc/self/oom_score_adj");
	bprintf(&b, "oom_score_adj %s", oom);
	free(oom);
	return bfinish(&b);
}

static char *st_session(void)
{
	struct buf b = { 0 };
	bprintf(&b, "sid %d pgrp %d ppid %d\n", (int)getsid(0), (int)getpgrp(), (int)getppid());
	for (int fd = 0; fd < 3; fd++) {
		struct stat sb;
		memset(&sb, 0, sizeof sb);
		int r = fstat(fd, &sb);
		bprintf(&b, "fd %d: %d dev %llu ino %llu fdflags %d flags %#x\n", fd, r,
			(unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino,
			fcntl(fd, F_GETFD), (unsigned)fcntl(fd, F_GETFL));
	}
	return bfinish(&b);
}

static char *st_threads(void)
{
	char *all = read_text("/proc/self/status");
	struct buf b = { 0 };
	char *t = strstr(all, "\nThreads:");
	if (t)
		bput(&b, t + 1, strcspn(t + 1, "\n"));
	free(all);
	return bfinish(&b);
}

static void usr2_handler(int sig)
{
	(void)sig;
}

/* Children of ours: the number, and (in `zombies`) how many are zombies. */
static int our_children(int *zombies, struct buf *desc)
{
	int n = 0;
	*zombies = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[300];
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		char *st = read_text(path);
		char *rp = strrchr(st, ')');
		char state = 0;
		int ppid = 0;
		if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid()) {
			n++;
			if (state == 'Z')
				(*zombies)++;
			if (desc)
				bprintf(desc, "%s ", st);
		}
		free(st);
	}
	if (d)
		closedir(d);
	return n;
}

/* No child left for the caller to reap: waitpid(-1, WNOHANG) finds none, or only live ones
 * and no zombie. */
static void no_children_point(const char *when)
{
	int st;
	errno = 0;
	pid_t r = waitpid(-1, &st, WNOHANG);
	int zombies = 0;
	struct buf desc = { 0 };
	int kids = r == 0 ? our_children(&zombies, &desc) : 0;
	bool good = (r < 0 && errno == ECHILD) || (r == 0 && zombies == 0);
	ok(good, "state: %s no child process is left for the caller to reap (waitpid: %d%s%s)",
	   when, (int)r, r < 0 ? ", " : "", r < 0 ? strerror(errno) : "");
	if (r > 0)
		diag("reaped pid %d, status %#x: a child the library left behind", (int)r, st);
	if (kids)
		diag("children of ours: %s", bfinish(&desc));
	free(desc.s);
}

typedef char *(*state_fn)(void);

static void check_process_state(void)
{
	/* Give the caller's state values that are not the defaults, so that a library that
	 * "resets" something is caught too. */
	mode_t old_umask = umask(027);
	char old_cwd[4096];
	if (!getcwd(old_cwd, sizeof old_cwd))
		strcpy(old_cwd, "/");
	if (chdir("/tmp") < 0)
		diag("chdir /tmp: %s", strerror(errno));
	setenv("CTR_EMBED_MARK", "caller's value", 1);
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGRTMIN + 3);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	struct sigaction sa, old_usr2, old_pipe;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = usr2_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(SIGUSR2, &sa, &old_usr2);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old_pipe);
	struct rlimit old_core, core;
	getrlimit(RLIMIT_CORE, &old_core);
	core = old_core;
	core.rlim_cur = 0;
	setrlimit(RLIMIT_CORE, &core);

	static const struct {
		const char *what;
		state_fn fn;
	} cats[] = {
		{ "umask", st_umask },
		{ "working directory", st_cwd },
		{ "environment", st_environ },
		{ "signal mask", st_sigmask },
		{ "signal dispositions (sigaction of every signal)", st_sigactions },
		{ "resource limits", st_rlimits },
		{ "namespaces and cgroup", st_namespaces },
		{ "credentials and capabilities", st_creds },
		{ "prctl attributes, priority, scheduler, personality", st_prctl },
		{ "session, process group and descriptors 0-2", st_session },
		{ "thread count", st_threads },
	};
	enum { N_CATS = sizeof cats / sizeof cats[0] };
	char *before[N_CATS];
	for (size_t i = 0; i < N_CATS; i++)
		before[i] = cats[i].fn();

	/* a full cycle */
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ctr_ctx *ctx = NULL;
	int rc, code = -1;
	const char *step = "ctr_ctx_open";
	static const char *const pub[] = { "18083:80", NULL };
	static const char *const true_argv[] = { "true", NULL };
	ctr_exec_options xo = CTR_EXEC_OPTIONS_INIT;
	xo.argv = true_argv;
	xo.stdout_fd = devnull;
	xo.stderr_fd = devnull;
	if ((rc = open_ctx(&ctx)) == 0 && (step = "ctr_create", rc = create_named(
			ctx, "ps-web", SLEEP_ARGV, pub, NULL)) == 0 &&
	    (step = "ctr_start", rc = ctr_start(ctx, "ps-web", NULL)) == 0 &&
	    (step = "ctr_exec", rc = ctr_exec(ctx, "ps-web", &xo, &code)) == 0 &&
	    (step = "ctr_stop", rc = ctr_stop(ctx, "ps-web", 1)) == 0)
		step = "ctr_remove", rc = ctr_remove(ctx, "ps-web", 0);
	ok(rc == 0 && code == 0,
	   "state: a create/start/exec/stop/remove cycle succeeds (%s: %d %s)", step, rc,
	   ctr_last_error());
	if (rc != 0 && ctx)
		ctr_remove(ctx, "ps-web", CTR_REMOVE_FORCE);
	ctr_ctx_close(ctx);
	close(devnull);

	for (size_t i = 0; i < N_CATS; i++) {
		char *after = cats[i].fn();
		int eq = strcmp(before[i], after) == 0;
		ok(eq, "state: %s unchanged", cats[i].what);
		if (!eq)
			diag_diff(before[i], after);
		free(after);
		free(before[i]);
	}
	int sub = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &sub);
	is_int(sub, 0, "state: the process did not become a child subreaper");
	no_children_point("after the cycle,");

	/* the caller's own state back */
	setrlimit(RLIMIT_CORE, &old_core);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGUSR2, &old_usr2, NULL);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	unsetenv("CTR_EMBED_MARK");
	if (chdir(old_cwd) < 0)
		diag("chdir back: %s", strerror(errno));
	umask(old_umask);
}

/* ---- never exit ---------------------------------------------------------------------------- */

/* A helper that ends before reading what the library sends it (a crashed or mismatched
 * ctr-monitor): the library must fail the call, not kill the caller with SIGPIPE.  Run in a
 * child process so that the test survives a library that does. */
static void check_broken_helper(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		ctr_ctx *ctx = NULL;
		ctr_ctx_options o = CTR_CTX_OPTIONS_INIT;
		o.state_dir = STATE_DIR;
		o.helper_path = "/bin/true";
		int rc = ctr_ctx_open(&ctx, &o);
		if (rc == 0)
			rc = create_named(ctx, "broken-helper", SLEEP_ARGV, NULL, NULL);
		if (rc < 0)
			_exit(2);
		rc = ctr_start(ctx, "broken-helper", NULL);
		ctr_ctx_close(ctx);
		_exit(rc < 0 ? 0 : 1);
	}
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "never exit: ctr_start with a helper that ends at once fails and the caller lives "
	   "(%s %d)", WIFSIGNALED(st) ? "killed by signal" : "exit status",
	   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	char run[16] = "";
	if (rc == 0)
		state_field(ctx, "broken-helper", "Running", run, sizeof run);
	int r2 = rc == 0 ? ctr_remove(ctx, "broken-helper", CTR_REMOVE_FORCE) : rc;
	ok(rc == 0 && strcmp(run, "false") == 0 && r2 == 0,
	   "never exit: ... the container is left not running, and removable (%s, %d)", run, r2);
	ctr_ctx_close(ctx);
}

/* ---- 5. errors ---------------------------------------------------------------------------- */

static void check_errors(void)
{
	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	ok(rc == 0, "errors: open a context (%d %s)", rc, ctr_last_error());
	if (rc < 0)
		return;
	char id[CTR_ID_LEN + 1] = "", id2[CTR_ID_LEN + 1];
	char *js = NULL, *snap, want[512];
	static const char *const pub[] = { "18090:80", NULL };
	rc = create_named(ctx, "e-run", SLEEP_ARGV, pub, id);
	if (rc == 0)
		rc = ctr_start(ctx, "e-run", NULL);
	ok(rc == 0, "errors: a running container e-run publishing 18090 (%d %s)", rc,
	   ctr_last_error());

	/* bad name */
	snap = world_snapshot(ctx, false);
	rc = create_named(ctx, "bad name", SLEEP_ARGV, NULL, id2);
	ok(rc == -EINVAL && msg_names("Invalid container name (bad name)"),
	   "errors: ctr_create with a bad name is -EINVAL (%d, \"%s\")", rc, ctr_last_error());
	world_same(snap, ctx, "ctr_create (bad name)");

	/* name conflict, with Docker's text */
	rc = create_named(ctx, "e-run", SLEEP_ARGV, NULL, id2);
	snprintf(want, sizeof want, "Conflict. The container name \"/e-run\" is already in use by "
		 "container \"%s\". You have to remove (or rename) that container to be able to "
		 "reuse that name.", id);
	is_int(rc, -EEXIST, "errors: ctr_create with a name in use is -EEXIST");
	is_str(ctr_last_error(), want, "errors: the conflict message is Docker's");
	world_same(snap, ctx, "ctr_create (name in use)");

	/* unknown references */
	rc = ctr_inspect(ctx, "x", &js);
	is_int(rc, -ENOENT, "errors: ctr_inspect of an unknown container is -ENOENT");
	is_str(ctr_last_error(), "No such container: x", "errors: ... with Docker's message");
	rc = ctr_start(ctx, "x", NULL);
	ok(rc == -ENOENT && strcmp(ctr_last_error(), "No such container: x") == 0,
	   "errors: ctr_start of an unknown container is -ENOENT (%d, \"%s\")", rc,
	   ctr_last_error());
	rc = ctr_stop(ctx, "x", 0);
	ok(rc == -ENOENT, "errors: ctr_stop of an unknown container is -ENOENT (%d)", rc);
	rc = ctr_remove(ctx, "x", CTR_REMOVE_FORCE);
	ok(rc == -ENOENT, "errors: ctr_remove of an unknown container is -ENOENT (%d)", rc);
	rc = ctr_publish_port(ctx, "x", "18099:80");
	ok(rc == -ENOENT, "errors: ctr_publish_port on an unknown container is -ENOENT (%d)", rc);
	world_same(snap, ctx, "calls on an unknown container");

	/* remove of a running container without force */
	rc = ctr_remove(ctx, "e-run", 0);
	ok(rc == -EBUSY && msg_names("You cannot remove a running container"),
	   "errors: ctr_remove of a running container without force is -EBUSY (%d, \"%s\")", rc,
	   ctr_last_error());
	world_same(snap, ctx, "ctr_remove (running)");

	/* bad and duplicate port specs */
	rc = ctr_publish_port(ctx, "e-run", "bogus");
	ok(rc == -EINVAL, "errors: ctr_publish_port with a bad spec is -EINVAL (%d, \"%s\")", rc,
	   ctr_last_error());
	rc = ctr_publish_port(ctx, "e-run", "70000:80");
	ok(rc == -EINVAL, "errors: ctr_publish_port with port 70000 is -EINVAL (%d, \"%s\")", rc,
	   ctr_last_error());
	rc = ctr_publish_port(ctx, "e-run", "18090:80");
	ok(rc == -EEXIST, "errors: publishing a binding again is -EEXIST (%d, \"%s\")", rc,
	   ctr_last_error());
	world_same(snap, ctx, "ctr_publish_port calls");

	/* wait that runs out */
	int64_t t0 = now_ms();
	int code = -12345;
	rc = ctr_wait(ctx, "e-run", 100, &code);
	ok(rc == -ETIMEDOUT && now_ms() - t0 < 5000,
	   "errors: ctr_wait on a running container runs out with -ETIMEDOUT (%d)", rc);
	free(snap);

	/* a program that does not exist: the start fails, and leaves nothing behind */
	static const char *const noprog[] = { "/no/such/program", NULL };
	rc = create_named(ctx, "e-noexec", noprog, NULL, id2);
	ok(rc == 0, "errors: create e-noexec (%d %s)", rc, ctr_last_error());
	snap = world_snapshot(ctx, true);
	rc = ctr_start(ctx, "e-noexec", NULL);
	ok(rc == -ENOEXEC && msg_names("/no/such/program"),
	   "errors: ctr_start of a missing program is -ENOEXEC (%d, \"%s\")", rc,
	   ctr_last_error());
	world_same(snap, ctx, "ctr_start (missing program)");
	char buf[512];
	ok(strcmp(state_field(ctx, "e-noexec", "Running", buf, sizeof buf), "false") == 0 &&
		   *state_field(ctx, "e-noexec", "Error", buf, sizeof buf),
	   "errors: ... the container is not running and State.Error says why (\"%s\")", buf);
	rc = ctr_kill(ctx, "e-noexec", SIGKILL);
	ok(rc == -EBUSY, "errors: ctr_kill of a container that is not running is -EBUSY (%d)", rc);
	free(snap);

	/* a host port that is taken: the start fails, and leaves nothing behind */
	rc = create_named(ctx, "e-port", SLEEP_ARGV, pub, id2);
	ok(rc == 0, "errors: create e-port, also publishing 18090 (%d %s)", rc, ctr_last_error());
	snap = world_snapshot(ctx, true);
	rc = ctr_start(ctx, "e-port", NULL);
	ok(rc == -EADDRINUSE && msg_names("18090"),
	   "errors: starting it is -EADDRINUSE (%d, \"%s\")", rc, ctr_last_error());
	world_same(snap, ctx, "ctr_start (port taken)");
	free(snap);

	/* clean up */
	int r1 = ctr_remove(ctx, "e-run", CTR_REMOVE_FORCE);
	int r2 = ctr_remove(ctx, "e-noexec", 0);
	int r3 = ctr_remove(ctx, "e-port", 0);
	char *l = list_all(ctx);
	ok(!r1 && !r2 && !r3 && json_is_empty_array(l), "errors: clean up (%d %d %d)", r1, r2, r3);
	free(l);
	ctr_ctx_close(ctx);
}

/* ---- 8. exit descriptor ------------------------------------------------------------------- */

static void check_exit_fd(void)
{
	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	ok(rc == 0, "exit_fd: open a context (%d %s)", rc, ctr_last_error());
	if (rc < 0)
		return;
	static const char *const exit42[] = { "sh", "-c", "exit 42", NULL };
	static const char *const exit7[] = { "sh", "-c", "exit 7", NULL };
	int efd = -1, code = -1;
	ctr_start_options so = CTR_START_OPTIONS_INIT;
	so.exit_fd = &efd;

	rc = create_named(ctx, "x42", exit42, NULL, NULL);
	if (rc == 0)
		rc = ctr_start(ctx, "x42", &so);
	ok(rc == 0 && efd >= 0, "exit_fd: start sh -c 'exit 42' with exit_fd (%d %s)", rc,
	   ctr_last_error());
	rc = efd >= 0 ? ctr_read_exit(efd, &code) : -EBADF;
	ok(rc == 0 && code == 42, "exit_fd: ctr_read_exit gives 42 (rc %d, code %d)", rc, code);
	if (efd >= 0)
		close(efd);
	code = -1;
	rc = ctr_wait(ctx, "x42", 10000, &code);
	ok(rc == 0 && code == 42, "exit_fd: ctr_wait agrees (rc %d, code %d)", rc, code);
	rc = ctr_remove(ctx, "x42", 0);
	ok(rc == 0, "exit_fd: remove it (%d %s)", rc, ctr_last_error());

	/* auto-remove */
	efd = -1;
	code = -1;
	ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
	o.name = "xrm";
	o.argv = exit7;
	o.auto_remove = 1;
	rc = ctr_create(ctx, &o, NULL);
	if (rc == 0)
		rc = ctr_start(ctx, "xrm", &so);
	ok(rc == 0 && efd >= 0, "exit_fd: start an auto-remove sh -c 'exit 7' with exit_fd "
	   "(%d %s)", rc, ctr_last_error());
	rc = efd >= 0 ? ctr_read_exit(efd, &code) : -EBADF;
	ok(rc == 0 && code == 7, "exit_fd: ctr_read_exit gives 7 for the auto-remove container "
	   "(rc %d, code %d)", rc, code);
	if (efd >= 0)
		close(efd);
	char *js = NULL;
	rc = ctr_inspect(ctx, "xrm", &js);
	ctr_free(js);
	is_int(rc, -ENOENT, "exit_fd: the auto-remove container is gone once its exit is read");

	/* killed by a signal: 128 + N */
	efd = -1;
	code = -1;
	rc = create_named(ctx, "xkill", SLEEP_ARGV, NULL, NULL);
	if (rc == 0)
		rc = ctr_start(ctx, "xkill", &so);
	if (rc == 0)
		rc = ctr_kill(ctx, "xkill", SIGKILL);
	ok(rc == 0, "exit_fd: start a sleep and ctr_kill it with SIGKILL (%d %s)", rc,
	   ctr_last_error());
	rc = efd >= 0 ? ctr_read_exit(efd, &code) : -EBADF;
	ok(rc == 0 && code == 137, "exit_fd: ctr_read_exit gives 137 (rc %d, code %d)", rc, code);
	if (efd >= 0)
		close(efd);
	rc = ctr_remove(ctx, "xkill", CTR_REMOVE_FORCE);
	ok(rc == 0, "exit_fd: remove it (%d %s)", rc, ctr_last_error());
	ctr_ctx_close(ctx);
}

/* ---- 9. exec ------------------------------------------------------------------------------ */

static void check_exec(void)
{
	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	ok(rc == 0, "exec: open a context (%d %s)", rc, ctr_last_error());
	if (rc < 0)
		return;
	rc = create_named(ctx, "ex", SLEEP_ARGV, NULL, NULL);
	if (rc == 0)
		rc = ctr_start(ctx, "ex", NULL);
	ok(rc == 0, "exec: start a sleeping container (%d %s)", rc, ctr_last_error());

	int out[2], err[2], in[2];
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(in, O_CLOEXEC) < 0) {
		ok(0, "exec: pipes: %s", strerror(errno));
		return;
	}
	static const char *const script[] = {
		"sh", "-c",
		"echo out; echo err >&2; read line; echo \"got $line $EMBED_VAR\"; exit 3", NULL
	};
	static const char *const env[] = { "EMBED_VAR=from-exec", NULL };
	if (write(in[1], "input\n", 6) != 6)
		diag("write: %s", strerror(errno));
	close(in[1]);
	ctr_exec_options xo = CTR_EXEC_OPTIONS_INIT;
	xo.argv = script;
	xo.env = env;
	xo.stdin_fd = in[0];
	xo.stdout_fd = out[1];
	xo.stderr_fd = err[1];
	int code = -1;
	rc = ctr_exec(ctx, "ex", &xo, &code);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	char *o = read_all_fd(out[0]), *e = read_all_fd(err[0]);
	close(out[0]);
	close(err[0]);
	is_int(rc, 0, "exec: ctr_exec succeeds (%s)", ctr_last_error());
	is_int(code, 3, "exec: the exit code is the command's");
	is_str(o, "out\ngot input from-exec\n", "exec: stdout (with stdin and env) through a pipe");
	is_str(e, "err\n", "exec: stderr through a pipe");
	free(o);
	free(e);

	/* the caller ignores SIGCHLD (children are reaped by the kernel): the exit code must
	 * still be the command's */
	static const char *const exit5[] = { "sh", "-c", "exit 5", NULL };
	struct sigaction ign, old_chld;
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &ign, &old_chld);
	xo = (ctr_exec_options)CTR_EXEC_OPTIONS_INIT;
	xo.argv = exit5;
	code = -1;
	rc = ctr_exec(ctx, "ex", &xo, &code);
	sigaction(SIGCHLD, &old_chld, NULL);
	ok(rc == 0 && code == 5, "exec: the exit code is the command's when the caller ignores "
	   "SIGCHLD (rc %d, code %d, \"%s\")", rc, code, ctr_last_error());

	static const char *const missing[] = { "/no/such/program", NULL };
	xo = (ctr_exec_options)CTR_EXEC_OPTIONS_INIT;
	xo.argv = missing;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	xo.stdout_fd = devnull;
	xo.stderr_fd = devnull;
	code = -1;
	rc = ctr_exec(ctx, "ex", &xo, &code);
	ok(rc == -ENOEXEC && *ctr_last_error(),
	   "exec: a missing program is -ENOEXEC (%d, \"%s\", code %d)", rc, ctr_last_error(), code);
	rc = ctr_stop(ctx, "ex", 0);
	ok(rc == 0, "exec: stop the container (%d %s)", rc, ctr_last_error());
	static const char *const true_argv[] = { "true", NULL };
	xo.argv = true_argv;
	rc = ctr_exec(ctx, "ex", &xo, &code);
	ok(rc == -EBUSY, "exec: ctr_exec on a stopped container is -EBUSY (%d, \"%s\")", rc,
	   ctr_last_error());
	close(devnull);
	rc = ctr_remove(ctx, "ex", 0);
	ok(rc == 0, "exec: remove the container (%d %s)", rc, ctr_last_error());
	ctr_ctx_close(ctx);
}

/* ---- 7. threads --------------------------------------------------------------------------- */

struct worker {
	ctr_ctx *ctx;
	pthread_barrier_t *all_made; /* every worker's containers exist: then they are removed */
	char ids[PER_THREAD][CTR_ID_LEN + 1];
	char names[PER_THREAD][160];
	int done;           /* containers that went through every step */
	int failures;
	char first[600];    /* the first failure */
};

static void worker_fail(struct worker *w, int i, const char *step, int rc)
{
	if (w->failures++ == 0)
		snprintf(w->first, sizeof w->first, "container %d: %s: %d %s", i, step, rc,
			 ctr_last_error());
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static const char *const true_argv[] = { "true", NULL };
	for (int i = 0; i < PER_THREAD; i++) {
		ctr_create_options o = CTR_CREATE_OPTIONS_INIT;
		o.argv = true_argv;
		char *id = w->ids[i];
		int rc = ctr_create(w->ctx, &o, id);
		if (rc != 0 || *ctr_last_error()) {
			worker_fail(w, i, "ctr_create", rc);
			continue;
		}
		if ((rc = ctr_start(w->ctx, id, NULL)) != 0) {
			worker_fail(w, i, "ctr_start", rc);
			ctr_remove(w->ctx, id, CTR_REMOVE_FORCE);
			continue;
		}
		int code = -1;
		if ((rc = ctr_wait(w->ctx, id, 20000, &code)) != 0 || code != 0) {
			worker_fail(w, i, "ctr_wait (or exit code != 0)", rc ? rc : code);
			ctr_remove(w->ctx, id, CTR_REMOVE_FORCE);
			continue;
		}
		char *js = NULL;
		if ((rc = ctr_inspect(w->ctx, id, &js)) != 0) {
			worker_fail(w, i, "ctr_inspect", rc);
			ctr_remove(w->ctx, id, CTR_REMOVE_FORCE);
			continue;
		}
		char got_id[CTR_ID_LEN + 8];
		json_text(json_member(js, "Id"), got_id, sizeof got_id);
		json_text(json_member(js, "Name"), w->names[i], sizeof w->names[i]);
		ctr_free(js);
		if (strcmp(got_id, id) != 0 || w->names[i][0] != '/') {
			worker_fail(w, i, "ctr_inspect Id/Name", 0);
			ctr_remove(w->ctx, id, CTR_REMOVE_FORCE);
			w->names[i][0] = '\0';
			continue;
		}
	}
	/* the names are compared among containers that all exist at once (a removed one's name
	 * may be given again, as Docker does) */
	pthread_barrier_wait(w->all_made);
	for (int i = 0; i < PER_THREAD; i++) {
		const char *id = w->ids[i];
		int rc;
		if (!w->names[i][0])
			continue; /* failed, and removed, above */
		if ((rc = ctr_remove(w->ctx, id, 0)) != 0 || *ctr_last_error()) {
			worker_fail(w, i, "ctr_remove", rc);
			continue;
		}
		w->done++;
	}
	return NULL;
}

struct errpair {
	ctr_ctx *ctx;
	pthread_barrier_t *bar;
	int rc;
	char before[400], after[400];
};

static void *err_a(void *arg)
{
	struct errpair *p = arg;
	char *js = NULL;
	p->rc = ctr_inspect(p->ctx, "no-such-a", &js);
	snprintf(p->before, sizeof p->before, "%s", ctr_last_error());
	pthread_barrier_wait(p->bar); /* B fails, then succeeds */
	pthread_barrier_wait(p->bar);
	snprintf(p->after, sizeof p->after, "%s", ctr_last_error());
	return NULL;
}

static void *err_b(void *arg)
{
	struct errpair *p = arg;
	pthread_barrier_wait(p->bar);
	p->rc = create_named(p->ctx, "bad name b", SLEEP_ARGV, NULL, NULL);
	snprintf(p->before, sizeof p->before, "%s", ctr_last_error());
	pthread_barrier_wait(p->bar);
	snprintf(p->after, sizeof p->after, "%s", ctr_last_error());
	return NULL;
}

static void check_threads(void)
{
	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	ok(rc == 0, "threads: open one shared context (%d %s)", rc, ctr_last_error());
	if (rc < 0)
		return;
	static struct worker w[N_THREADS];
	pthread_t th[N_THREADS];
	pthread_barrier_t all_made;
	memset(w, 0, sizeof w);
	pthread_barrier_init(&all_made, NULL, N_THREADS);
	int started = 0;
	for (int t = 0; t < N_THREADS; t++) {
		w[t].ctx = ctx;
		w[t].all_made = &all_made;
		if (pthread_create(&th[t], NULL, worker_main, &w[t]) == 0)
			started++;
		else
			th[t] = 0;
	}
	for (int t = 0; t < N_THREADS; t++)
		if (th[t])
			pthread_join(th[t], NULL);
	pthread_barrier_destroy(&all_made);
	int done = 0, failures = 0;
	for (int t = 0; t < N_THREADS; t++) {
		done += w[t].done;
		failures += w[t].failures;
		if (w[t].failures)
			diag("thread %d: %d failures, first: %s", t, w[t].failures, w[t].first);
	}
	ok(started == N_THREADS && done == N_THREADS * PER_THREAD && failures == 0,
	   "threads: %d threads x %d containers created, started, waited for, inspected, removed "
	   "(%d done, %d failures)", N_THREADS, PER_THREAD, done, failures);
	int dup_ids = 0, dup_names = 0;
	for (int a = 0; a < N_THREADS * PER_THREAD; a++)
		for (int b = a + 1; b < N_THREADS * PER_THREAD; b++) {
			const struct worker *wa = &w[a / PER_THREAD], *wb = &w[b / PER_THREAD];
			const char *ia = wa->ids[a % PER_THREAD], *ib = wb->ids[b % PER_THREAD];
			const char *na = wa->names[a % PER_THREAD], *nb = wb->names[b % PER_THREAD];
			if (*ia && strcmp(ia, ib) == 0)
				dup_ids++;
			if (*na && strcmp(na, nb) == 0) {
				diag("name %s given twice", na);
				dup_names++;
			}
		}
	is_int(dup_ids, 0, "threads: no ID given twice");
	is_int(dup_names, 0, "threads: no generated name given twice");
	char *l = list_all(ctx);
	ok(json_is_empty_array(l), "threads: ctr_list(CTR_LIST_ALL) is empty at the end");
	if (!json_is_empty_array(l))
		diag_text("list", l, 20);
	free(l);

	/* ctr_last_error is per thread */
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, 2);
	struct errpair pa = { ctx, &bar, 0, "", "" }, pb = { ctx, &bar, 0, "", "" };
	char *js = NULL;
	rc = ctr_list(ctx, 0, &js); /* the main thread's last call succeeds */
	ctr_free(js);
	pthread_t ta, tb;
	pthread_create(&ta, NULL, err_a, &pa);
	pthread_create(&tb, NULL, err_b, &pb);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&bar);
	ok(pa.rc == -ENOENT && strcmp(pa.before, "No such container: no-such-a") == 0 &&
		   strcmp(pa.after, pa.before) == 0,
	   "threads: a thread's ctr_last_error() is not changed by another thread's failure "
	   "(\"%s\" then \"%s\")", pa.before, pa.after);
	ok(pb.rc == -EINVAL && strstr(pb.before, "bad name b") && strcmp(pb.after, pb.before) == 0,
	   "threads: the other thread sees its own message (\"%s\")", pb.before);
	ok(rc == 0 && *ctr_last_error() == '\0',
	   "threads: the main thread's ctr_last_error() is still \"\" (\"%s\")", ctr_last_error());
	ctr_ctx_close(ctx);
}

/* ---- the namespaces ----------------------------------------------------------------------- */

/* ---- the network is ready when ctr_start returns ------------------------------------------ */

/* First line of a sysfs file of the test's own network namespace ("" if unreadable). */
static void read_sys(const char *path, char *buf, size_t len)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* The kernel enables a new bridge port, and a bridge whose carrier went off with its last port,
 * a little after the veth's carrier comes on, and drops frames until then (a client's first
 * ARP request, and with it its SYN, for a second).  Read right after ctr_start returns, both
 * must be ready, every time; each round starts with no port on the bridge. */
static void check_ready(void)
{
	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	ok(rc == 0, "ready: open a context (%d %s)", rc, ctr_last_error());
	if (rc < 0)
		return;
	int rounds = 0, not_ready = 0;
	char why[256] = "";
	for (int i = 0; i < 20; i++) {
		rc = create_named(ctx, "ready", SLEEP_ARGV, NULL, NULL);
		if (rc == 0)
			rc = ctr_start(ctx, "ready", NULL);
		if (rc < 0) {
			snprintf(why, sizeof why, "start failed: %s", ctr_last_error());
			ctr_remove(ctx, "ready", CTR_REMOVE_FORCE);
			break;
		}
		char oper[32], port[32] = "", path[PATH_MAX];
		read_sys("/sys/class/net/ctrlink0/operstate", oper, sizeof oper);
		DIR *d = opendir("/sys/class/net/ctrlink0/brif");
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.') {
				snprintf(path, sizeof path, "/sys/class/net/ctrlink0/brif/%s/state",
					 de->d_name);
				read_sys(path, port, sizeof port);
			}
		if (d)
			closedir(d);
		if (strcmp(oper, "up") != 0 || strcmp(port, "3") != 0) { /* 3: forwarding */
			not_ready++;
			snprintf(why, sizeof why, "round %d: bridge \"%s\", port state \"%s\"", i,
				 oper, port);
		}
		rounds++;
		ctr_remove(ctx, "ready", CTR_REMOVE_FORCE);
	}
	ok(rounds == 20 && not_ready == 0, "ready: after each of 20 starts the bridge is up and "
	   "the container's port forwards (%d rounds, %d not ready; %s)", rounds, not_ready, why);
	ctr_ctx_close(ctx);
}

static int run_checks(void)
{
	alarm(150); /* a hung library call must not hang the suite */
	struct fdset start;
	fds_scan(&start);
	check_symbols();
	check_options();
	check_cloexec();
	check_state();
	check_no_output();
	check_process_state();
	check_broken_helper();
	check_inherit();
	check_errors();
	check_exit_fd();
	check_exec();
	check_threads();
	check_ready();

	ctr_ctx *ctx = NULL;
	int rc = open_ctx(&ctx);
	char *l = rc == 0 ? list_all(ctx) : xstrdup("<no context>");
	ctr_ctx_close(ctx);
	ok(json_is_empty_array(l), "end: no container left");
	free(l);
	usleep(300 * 1000); /* anything the library forked and did not wait for ends by now */
	no_children_point("at the end,");
	char *added = fds_added(&start);
	ok(*added == '\0', "end: no descriptor leaked over the whole run");
	if (*added)
		diag_text("left open", added, 20);
	free(added);
	return done_testing();
}

static int lo_up(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	int r = -1;
	if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (s >= 0)
		close(s);
	return r;
}

/* PID 1 of the new PID namespace: the private world, then the checking process; reap
 * everything until it ends. */
static int run_init(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    private_tmpfs("/run", "mode=755") < 0 || private_tmpfs("/tmp", "mode=1777") < 0 ||
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		printf("Bail out! cannot set up the private mounts: %s\n", strerror(errno));
		return 1;
	}
	if (lo_up() < 0) {
		printf("Bail out! cannot bring lo up: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	pid_t worker = fork();
	if (worker < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		return 1;
	}
	if (worker == 0) {
		int r = run_checks();
		fflush(stdout);
		exit(r);
	}
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {
			printf("Bail out! lost the checking process: %s\n", strerror(errno));
			return 1;
		}
		if (p != worker)
			continue; /* an orphaned monitor */
		if (WIFSIGNALED(st)) {
			printf("Bail out! the checking process died of signal %d\n", WTERMSIG(st));
			return 1;
		}
		return WEXITSTATUS(st);
	}
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) < 0) {
		printf("1..0 # SKIP cannot create network, mount and PID namespaces: %s\n",
		       strerror(errno));
		return 0;
	}
	fflush(stdout);
	pid_t init = fork();
	if (init < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		return 1;
	}
	if (init == 0) {
		int r = run_init();
		fflush(stdout);
		_exit(r);
	}
	int st = 0;
	while (waitpid(init, &st, 0) < 0 && errno == EINTR)
		;
	/* _exit: this process is in no PID namespace it can fork into any more (its PID 1 is
	 * gone), so exit-time hooks that clone (a leak checker's stop-the-world) would fail; the
	 * checking process ran them already */
	fflush(stdout);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}
