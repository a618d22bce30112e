/* Unit tests for lib/core/record.c (the container record, its state JSON, editing helpers and
 * formatting) and lib/core/launch.c (the monitor's launch spec).  One TAP point per table row. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/launch.h"
#include "core/record.h"
#include "core/restart.h"
#include "tap.h"
#include "core/util.h"

#define ID1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define ID3 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static uint32_t ip4(const char *s)
{
	uint32_t ip = 0;
	inet_pton(AF_INET, s, &ip);
	return ip;
}

static char **strv(const char *const *v)
{
	char **d = NULL;
	if (strv_dup(&d, v) < 0)
		abort();
	return d;
}

static struct ctr_binding binding(uint16_t port, uint8_t proto, const char *ip, uint16_t lo,
				  uint16_t hi)
{
	struct ctr_binding b = { { port, proto }, "", lo, hi };
	snprintf(b.host_ip, sizeof b.host_ip, "%s", ip);
	return b;
}

static struct ctr_mapping mapping(uint16_t port, uint8_t proto, const char *ip, uint16_t hport)
{
	struct ctr_mapping m = { { port, proto }, "", hport };
	snprintf(m.host_ip, sizeof m.host_ip, "%s", ip);
	return m;
}

/* A record with every field set. */
static struct ctr_rec *full_rec(void)
{
	struct ctr_rec *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	memcpy(r->id, ID1, sizeof r->id);
	r->name = strdup("web");
	r->created = 1700000000123456789;
	r->log = (struct log_config){ 10000000, 3, "10m" };
	r->argv = strv((const char *const[]){ "nginx", "-g", "daemon off;", NULL });
	r->env = strv((const char *const[]){ "A=1", "B=two words", "C=", "D=line1\nline2", NULL });
	r->hostname = strdup("f0e1d2c3b4a5");
	r->domainname = strdup("example.org");
	r->workdir = strdup("/srv/www");
	r->rootfs = strdup("/var/lib/rootfs");
	r->user = strdup("www:www");
	r->cap_add = strv((const char *const[]){ "NET_ADMIN", NULL });
	r->cap_drop = strv((const char *const[]){ "MKNOD", "cap_chown", NULL });
	const struct ctr_port exp[] = { { 443, CTR_TCP }, { 53, CTR_UDP }, { 9, CTR_SCTP } };
	const struct ctr_binding b[] = {
		binding(80, CTR_TCP, "", 0, 0),
		binding(80, CTR_TCP, "127.0.0.1", 80, 80),
		binding(443, CTR_TCP, "::1", 8000, 9000),
		binding(53, CTR_UDP, "0.0.0.0", 5353, 5353),
		binding(7000, CTR_TCP, "", 7000, 7000),
	};
	if (rec_expose(r, exp, ARRAY_SIZE(exp)) < 0 || rec_add_bindings(r, b, ARRAY_SIZE(b)) < 0)
		abort();
	r->publish_all = true;
	r->auto_remove = true;
	r->links = calloc(2, sizeof *r->links);
	r->links[0] = (struct ctr_link){ strdup(ID2), strdup("db"), true };
	r->links[1] = (struct ctr_link){ strdup(ID3), strdup("cache"), false };
	r->n_links = 2;
	r->status = ST_RUNNING;
	r->pid = 4242;
	r->pid_start = 123456789012ull;
	r->mon_pid = 4240;
	r->mon_start = 18446744073709551615ull;
	r->exit_code = 0;
	r->started = 1700000001500000000;
	r->finished = 0;
	r->error = strdup("");
	r->generation = 3;
	r->has_net = true;
	r->net.ip = ip4("172.17.0.3");
	r->net.gateway = ip4("172.17.0.1");
	r->net.prefixlen = 16;
	mac_from_ip4(r->net.ip, r->net.mac);
	snprintf(r->net.veth, sizeof r->net.veth, "veth0a1b2c3d4e5");
	snprintf(r->net.bridge, sizeof r->net.bridge, "ctrlink0");
	const struct ctr_mapping m[] = {
		mapping(80, CTR_TCP, "127.0.0.1", 80),
		mapping(443, CTR_TCP, "::1", 8000),
		mapping(53, CTR_UDP, "0.0.0.0", 5353),
		mapping(80, CTR_TCP, "0.0.0.0", 49153),
		mapping(7000, CTR_TCP, "0.0.0.0", 7000),
	};
	r->mappings = malloc(sizeof m);
	memcpy(r->mappings, m, sizeof m);
	r->n_mappings = ARRAY_SIZE(m);
	return r;
}

/* Only what is required. */
static struct ctr_rec *minimal_rec(void)
{
	struct ctr_rec *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	memcpy(r->id, ID2, sizeof r->id);
	r->name = strdup("a");
	r->argv = strv((const char *const[]){ "true", NULL });
	r->hostname = strdup("fedcba987654");
	log_config_default(&r->log);
	return r;
}

/* ---- comparing records ------------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(char **a, char **b)
{
	if (!a || !b)
		return a == b;
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return !a[i] && !b[i];
}

/* The first field that differs, or NULL. */
static const char *rec_diff(const struct ctr_rec *a, const struct ctr_rec *b)
{
	if (strcmp(a->id, b->id))
		return "id";
	if (!str_eq(a->name, b->name))
		return "name";
	if (a->created != b->created)
		return "created";
	if (!strv_eq(a->argv, b->argv))
		return "argv";
	if (!strv_eq(a->env, b->env))
		return "env";
	if (!str_eq(a->hostname, b->hostname) || !str_eq(a->domainname, b->domainname))
		return "hostname/domainname";
	if (!str_eq(a->workdir, b->workdir) || !str_eq(a->rootfs, b->rootfs) ||
	    !str_eq(a->user, b->user))
		return "workdir/rootfs/user";
	if (!strv_eq(a->cap_add, b->cap_add) || !strv_eq(a->cap_drop, b->cap_drop))
		return "caps";
	if (a->n_exposed != b->n_exposed)
		return "n_exposed";
	for (size_t i = 0; i < a->n_exposed; i++)
		if (port_cmp(&a->exposed[i], &b->exposed[i]))
			return "exposed";
	if (a->n_bindings != b->n_bindings)
		return "n_bindings";
	for (size_t i = 0; i < a->n_bindings; i++) {
		const struct ctr_binding *x = &a->bindings[i], *y = &b->bindings[i];
		if (port_cmp(&x->cport, &y->cport) || strcmp(x->host_ip, y->host_ip) ||
		    x->hp_lo != y->hp_lo || x->hp_hi != y->hp_hi)
			return "bindings";
	}
	if (a->publish_all != b->publish_all || a->auto_remove != b->auto_remove)
		return "flags";
	if (a->n_links != b->n_links)
		return "n_links";
	for (size_t i = 0; i < a->n_links; i++)
		if (!str_eq(a->links[i].target, b->links[i].target) ||
		    !str_eq(a->links[i].alias, b->links[i].alias) ||
		    a->links[i].env != b->links[i].env)
			return "links";
	if (a->status != b->status || a->pid != b->pid || a->pid_start != b->pid_start ||
	    a->mon_pid != b->mon_pid || a->mon_start != b->mon_start ||
	    a->exit_code != b->exit_code)
		return "state";
	if (a->started != b->started || a->finished != b->finished ||
	    a->generation != b->generation)
		return "times/generation";
	if (a->restart_policy != b->restart_policy || a->restart_max != b->restart_max ||
	    a->restart_count != b->restart_count || a->restart_delay != b->restart_delay ||
	    a->restarting != b->restarting || a->manual_stop != b->manual_stop ||
	    a->restart_gen != b->restart_gen)
		return "restart";
	if (a->userns != b->userns || a->userns_uid != b->userns_uid ||
	    a->userns_gid != b->userns_gid || a->userns_size != b->userns_size)
		return "userns";
	if (a->log.max_size != b->log.max_size || a->log.max_file != b->log.max_file ||
	    strcmp(a->log.size_text, b->log.size_text) != 0)
		return "log";
	if (!str_eq(a->error, b->error))
		return "error";
	if (a->has_net != b->has_net)
		return "has_net";
	if (a->has_net &&
	    (a->net.ip != b->net.ip || a->net.gateway != b->net.gateway ||
	     a->net.prefixlen != b->net.prefixlen || memcmp(a->net.mac, b->net.mac, 6) ||
	     strcmp(a->net.veth, b->net.veth) || strcmp(a->net.bridge, b->net.bridge)))
		return "net";
	if (a->has_net && (a->net.prefixlen6 != b->net.prefixlen6 ||
			   (a->net.prefixlen6 && (memcmp(a->net.ip6, b->net.ip6, 16) ||
						  memcmp(a->net.gateway6, b->net.gateway6, 16)))))
		return "net IPv6";
	if (a->n_mappings != b->n_mappings)
		return "n_mappings";
	for (size_t i = 0; i < a->n_mappings; i++) {
		const struct ctr_mapping *x = &a->mappings[i], *y = &b->mappings[i];
		if (port_cmp(&x->cport, &y->cport) || strcmp(x->host_ip, y->host_ip) ||
		    x->hport != y->hport)
			return "mappings";
	}
	return NULL;
}

/* ---- round trips --------------------------------------------------------------------------- */

static void mod_none(struct ctr_rec *r)
{
	(void)r;
}

static void mod_exited(struct ctr_rec *r)
{
	r->status = ST_EXITED;
	r->exit_code = 137;
	r->finished = 1700000002000000001;
	free(r->error);
	r->error = strdup("exec failed:\n\tno such file\x1b[0m");
	r->has_net = false;
	free(r->mappings);
	r->mappings = NULL;
	r->n_mappings = 0;
}

static void mod_starting(struct ctr_rec *r)
{
	r->status = ST_STARTING;
	r->exit_code = -1;
	r->pid = 2147483647;
	r->mon_pid = 1;
	r->net.prefixlen = 32;
	r->net.ip = ip4("255.255.255.254");
	r->net.mac[5] = 0xff;
}

static void mod_empty_lists(struct ctr_rec *r)
{
	/* empty lists stay empty lists (and NULL ones NULL) */
	strv_free(r->env);
	r->env = calloc(1, sizeof *r->env);
	strv_free(r->cap_drop);
	r->cap_drop = NULL;
	free(r->domainname);
	r->domainname = NULL;
	free(r->user);
	r->user = NULL;
	r->status = ST_CREATED;
	r->created = 0;
	r->publish_all = false;
}

static void mod_ctl_free_fields(struct ctr_rec *r)
{
	/* workdir, rootfs, env and argv may carry any byte but NUL */
	free(r->workdir);
	r->workdir = strdup("/dir\nwith\ttabs");
	free(r->rootfs);
	r->rootfs = strdup("/r\x7f");
	free(r->argv[1]);
	r->argv[1] = strdup("\x01\x02 \"quoted\" \\ back\xc3\xa9");
}

static void mod_ipv6(struct ctr_rec *r)
{
	r->net.prefixlen6 = 64;
	inet_pton(AF_INET6, "fd00::242:ac11:3", r->net.ip6);
	inet_pton(AF_INET6, "fd00::1", r->net.gateway6);
}

static void mod_ipv6_edges(struct ctr_rec *r)
{
	r->net.prefixlen6 = 128;
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", r->net.ip6);
	inet_pton(AF_INET6, "::", r->net.gateway6);
}

static void mod_big_numbers(struct ctr_rec *r)
{
	r->created = INT64_MAX;
	r->started = 1;
	r->finished = INT64_MAX;
	r->pid_start = UINT64_MAX;
	r->generation = UINT64_MAX;
}

static void mod_restart_waits(struct ctr_rec *r)
{
	r->status = ST_EXITED;
	r->pid = 0;
	r->restart_policy = RP_ON_FAILURE;
	r->restart_max = 7;
	r->restart_count = 6;
	r->restart_delay = 60000;
	r->restarting = true;
}

static void mod_restart_held(struct ctr_rec *r)
{
	r->restart_policy = RP_UNLESS_STOPPED;
	r->restart_count = UINT64_MAX;
	r->manual_stop = true;
	r->restart_gen = 2;
}

static void mod_log_limits(struct ctr_rec *r)
{
	r->log.max_size = 1500;
	r->log.max_file = 1000;
	snprintf(r->log.size_text, sizeof r->log.size_text, "1.5kB");
}

static void mod_userns(struct ctr_rec *r)
{
	r->userns = true;
	r->userns_uid = 4294901759u; /* the last range below (uid_t)-1 */
	r->userns_gid = 100000;
	r->userns_size = 65536;
}

struct rt_case {
	const char *what;
	struct ctr_rec *(*make)(void);
	void (*mod)(struct ctr_rec *r);
};

static const struct rt_case rt_cases[] = {
	{ "fully populated, running", full_rec, mod_none },
	{ "minimal record", minimal_rec, mod_none },
	{ "exited, error with control characters, no network", full_rec, mod_exited },
	{ "starting, exit code -1, edge pids and prefix", full_rec, mod_starting },
	{ "empty and NULL lists, created", full_rec, mod_empty_lists },
	{ "control characters where allowed", full_rec, mod_ctl_free_fields },
	{ "64-bit extremes", full_rec, mod_big_numbers },
	{ "with an IPv6 address", full_rec, mod_ipv6 },
	{ "IPv6 /128, all-ones address, :: gateway", full_rec, mod_ipv6_edges },
	{ "on-failure:7, waiting for its seventh restart", full_rec, mod_restart_waits },
	{ "unless-stopped, held by a stop", full_rec, mod_restart_held },
	{ "log max-size=1.5kB, max-file=1000", full_rec, mod_log_limits },
	{ "a user namespace, at the top of the uid space", full_rec, mod_userns },
};

static void test_roundtrip(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(rt_cases); i++) {
		struct ctr_rec *r = rt_cases[i].make(), *back = NULL;
		rt_cases[i].mod(r);
		char *j1 = NULL, *j2 = NULL;
		const char *diff = "(not parsed)";
		int e = rec_to_json(r, &j1);
		if (e == 0)
			e = rec_from_json(j1, strlen(j1), &back);
		if (e == 0 && !(diff = rec_diff(r, back)))
			e = rec_to_json(back, &j2);
		ok(e == 0 && !diff && strcmp(j1, j2) == 0, "round trip: %s%s%s", rt_cases[i].what,
		   diff ? ": differs in " : "", diff ? diff : "");
		if (e < 0)
			diag("%s", ctr_err_msg());
		free(j1);
		free(j2);
		rec_free(r);
		rec_free(back);
	}

	/* the parsed full record, field by field */
	struct ctr_rec *r = full_rec(), *b = NULL;
	char *j = NULL;
	if (rec_to_json(r, &j) < 0 || rec_from_json(j, strlen(j), &b) < 0) {
		ok(0, "full record parsed: %s", ctr_err_msg());
	} else {
		char buf[64], hp[16];
		is_str(b->argv[2], "daemon off;", "full: argv[2]");
		is_str(b->env[3], "D=line1\nline2", "full: env keeps a newline");
		is_int((long long)b->n_exposed, 5, "full: exposed = given + bindings' ports");
		port_format(&b->exposed[0], buf, sizeof buf);
		is_str(buf, "9/sctp", "full: exposed sorted");
		binding_hostport(&b->bindings[0], hp, sizeof hp);
		is_str(hp, "", "full: host port \"\" (ephemeral)");
		binding_hostport(&b->bindings[1], hp, sizeof hp);
		is_str(hp, "80", "full: host port \"80\"");
		binding_hostport(&b->bindings[2], hp, sizeof hp);
		is_str(hp, "8000-9000", "full: host port \"8000-9000\"");
		is_str(b->bindings[2].host_ip, "::1", "full: IPv6 host IP");
		ok(b->links[0].env && !b->links[1].env, "full: link env flags");
		mac_format(b->net.mac, buf, sizeof buf);
		is_str(buf, "02:42:ac:11:00:03", "full: net.mac");
		is_int((long long)b->mon_start, (long long)UINT64_MAX, "full: mon_start 2^64-1");
		ok(strstr(j, "\"host_port\":\"8000-9000\"") && strstr(j, "\"host_port\":\"\"") &&
			   strstr(j, "\"mon_start\":\"18446744073709551615\""),
		   "full: JSON spells host ports and 64-bit numbers as strings");
	}
	free(j);
	rec_free(r);
	rec_free(b);
}

/* ---- refusals ------------------------------------------------------------------------------ */

/* Set (or delete, when `val` is NULL) the value at a dotted path ("net.mac", "bindings.0.port")
 * of the document. */
static char *mutate(const char *json, const char *path, const char *val)
{
	cJSON *doc = cJSON_Parse(json), *o = doc;
	char p[128];
	snprintf(p, sizeof p, "%s", path);
	char *save = NULL, *key = strtok_r(p, ".", &save), *next;
	while (o && key && (next = strtok_r(NULL, ".", &save))) {
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(key)) :
				       cJSON_GetObjectItemCaseSensitive(o, key);
		key = next;
	}
	if (!o || !key) {
		cJSON_Delete(doc);
		return NULL;
	}
	if (cJSON_IsArray(o)) {
		if (val)
			cJSON_ReplaceItemInArray(o, atoi(key), cJSON_Parse(val));
		else
			cJSON_DeleteItemFromArray(o, atoi(key));
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		if (val)
			cJSON_AddItemToObject(o, key, cJSON_Parse(val));
	}
	char *s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return s;
}

struct bad_case {
	const char *path;
	const char *val; /* JSON text; NULL deletes */
	const char *field;
};

static const struct bad_case bad_cases[] = {
	/* a version 1 record has no user namespace: an older library would drop it */
	{ "userns", "{\"uid\":100000,\"gid\":100000,\"size\":65536}", "userns" },
	{ "v", "0", "v" },
	{ "v", "\"1\"", "v" },
	{ "v", "1.5", "v" },
	{ "v", NULL, "v" },
	{ "id", "\"0123\"", "id" },
	{ "id", "\"" ID1 "0\"", "id" },
	{ "id", "\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"", "id" },
	{ "id", "\"0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef\"", "id" },
	{ "id", "42", "id" },
	{ "id", NULL, "id" },
	{ "name", "\"we\\nb\"", "name" },
	{ "name", "\"web\\u007f\"", "name" },
	{ "name", "7", "name" },
	{ "name", NULL, "name" },
	{ "created", "\"-1\"", "created" },
	{ "created", "1700000000", "created" },
	{ "created", "\"18446744073709551616\"", "created" },
	{ "argv", NULL, "argv" },
	{ "argv", "[]", "argv" },
	{ "argv", "\"sh\"", "argv" },
	{ "argv", "[\"sh\", 1]", "argv" },
	{ "argv", "null", "argv" },
	{ "env", "[null]", "env" },
	{ "env", "{\"A\":\"1\"}", "env" },
	{ "hostname", "\"a\\tb\"", "hostname" },
	{ "hostname", "\"h\\r\"", "hostname" },
	{ "hostname", NULL, "hostname" },
	{ "hostname", "[]", "hostname" },
	{ "domainname", "\"a\\nb\"", "domainname" },
	{ "domainname", "false", "domainname" },
	{ "user", "\"root\\n\"", "user" },
	{ "user", "0", "user" },
	{ "workdir", "1", "workdir" },
	{ "rootfs", "{}", "rootfs" },
	{ "cap_add", "\"NET_ADMIN\"", "cap_add" },
	{ "cap_drop", "[true]", "cap_drop" },
	{ "exposed", "\"80/tcp\"", "exposed" },
	{ "exposed", "[80]", "exposed" },
	{ "exposed", "[\"80/xyz\"]", "exposed" },
	{ "exposed", "[\"65536/tcp\"]", "exposed" },
	{ "exposed", "[\"/tcp\"]", "exposed" },
	{ "exposed", "[\"80/TCP\"]", "exposed" },
	{ "bindings", "{}", "bindings" },
	{ "bindings", "[1]", "bindings" },
	{ "bindings.0.port", "\"80/abc\"", "bindings" },
	{ "bindings.0.port", NULL, "bindings" },
	{ "bindings.0.host_ip", "\"1.2.3\"", "bindings" },
	{ "bindings.0.host_ip", "\"localhost\"", "bindings" },
	{ "bindings.0.host_ip", "\"fe80::1%eth0\"", "bindings" },
	{ "bindings.0.host_ip", NULL, "bindings" },
	{ "bindings.0.host_port", "\"0-80\"", "bindings" },
	{ "bindings.0.host_port", "\"65536\"", "bindings" },
	{ "bindings.0.host_port", "\"9000-8000\"", "bindings" },
	{ "bindings.0.host_port", "\"80-\"", "bindings" },
	{ "bindings.0.host_port", "\"-80\"", "bindings" },
	{ "bindings.0.host_port", "\"80-90-100\"", "bindings" },
	{ "bindings.0.host_port", "\"123456-7\"", "bindings" },
	{ "bindings.0.host_port", "\" 80\"", "bindings" },
	{ "bindings.0.host_port", "80", "bindings" },
	{ "bindings.0.host_port", NULL, "bindings" },
	{ "links", "\"db\"", "links" },
	{ "links.0.target", "\"db\"", "links" },
	{ "links.0.target", NULL, "target" },
	{ "links.0.alias", "\"d\\nb\"", "alias" },
	{ "links.0.alias", NULL, "alias" },
	{ "links.1", "[]", "target" },
	{ "status", "\"paused\"", "status" },
	{ "status", "\"Running\"", "status" },
	{ "status", "2", "status" },
	{ "status", NULL, "status" },
	{ "pid", "-1", "pid" },
	{ "pid", "2147483648", "pid" },
	{ "pid", "1.5", "pid" },
	{ "pid", "\"12\"", "pid" },
	{ "pid", "1e300", "pid" },
	{ "mon_pid", "-5", "mon_pid" },
	{ "pid_start", "5", "pid_start" },
	{ "pid_start", "\"-1\"", "pid_start" },
	{ "mon_start", "\"0x10\"", "mon_start" },
	{ "exit_code", "256", "exit_code" },
	{ "exit_code", "-2", "exit_code" },
	{ "exit_code", "true", "exit_code" },
	{ "started", "\"1.5\"", "started" },
	{ "finished", "\"\"", "finished" },
	{ "error", "[]", "error" },
	{ "generation", "3", "generation" },
	{ "restart_policy", "\"sometimes\"", "restart_policy" },
	{ "restart_policy", "\"no\"", "restart_policy" },
	{ "restart_policy", "\"on-failure:3\"", "restart_policy" },
	{ "restart_policy", "1", "restart_policy" },
	{ "restart_max", "3", "restart_max" }, /* without on-failure */
	{ "restart_max", "-1", "restart_max" },
	{ "log_max_size", "\"10x\"", "log_max_size" },
	{ "log_max_size", "\"0\"", "log_max_size" },
	{ "log_max_size", "10", "log_max_size" },
	{ "log_max_file", "0", "log_max_file" },
	{ "log_max_file", "1001", "log_max_file" },
	{ "log_max_file", "\"3\"", "log_max_file" },
	{ "log_max_size", NULL, NULL }, /* a record from before: the default */
	{ "restart_count", "1", "restart_count" },
	{ "restart_count", "\"-1\"", "restart_count" },
	{ "restart_delay", "60001", "restart_delay" },
	{ "restart_delay", "-1", "restart_delay" },
	{ "net", "7", "ip" },
	{ "net", "null", "ip" },
	{ "net.ip", "\"172.17.0.256\"", "ip" },
	{ "net.ip", "\"::1\"", "ip" },
	{ "net.ip", NULL, "ip" },
	{ "net.gateway", "\"\"", "gateway" },
	{ "net.gateway", NULL, "gateway" },
	{ "net.prefixlen", "0", "prefixlen" },
	{ "net.prefixlen", "33", "prefixlen" },
	{ "net.prefixlen", "\"16\"", "prefixlen" },
	{ "net.prefixlen", NULL, "prefixlen" },
	{ "net.mac", "\"02:42:ac:11:00\"", "net" },
	{ "net.mac", "\"02:42:ac:11:00:zz\"", "net" },
	{ "net.mac", "\"02:42:ac:11:00:03:04\"", "net" },
	{ "net.mac", "\"02:42:ac:11:00:03x\"", "net" },
	{ "net.mac", "\" 2:42:ac:11:00:03\"", "net" },
	{ "net.mac", "\"-2:42:ac:11:00:03\"", "net" },
	{ "net.mac", "\"2:42:ac:11:0:3\"", "net" },
	{ "net.mac", "\"02-42-ac-11-00-03\"", "net" },
	{ "net.mac", "\"\"", "net" },
	{ "net.mac", "\"02:42:ac:11:00:0\\n\"", "mac" },
	{ "net.mac", NULL, "mac" },
	{ "net.veth", "\"veth0123456789ab\"", "net" },
	{ "net.veth", "\"v\\n\"", "veth" },
	{ "net.veth", NULL, "veth" },
	{ "net.bridge", "\"bridge0123456789\"", "net" },
	{ "net.bridge", "1", "bridge" },
	{ "mappings", "{}", "mappings" },
	{ "mappings.0.port", "\"80\\/tcp/udp\"", "mappings" },
	{ "mappings.0.host_ip", "\"\"", "mappings" },
	{ "mappings.0.host_ip", "\"x\"", "mappings" },
	{ "mappings.0.host_ip", NULL, "mappings" },
	{ "mappings.0.host_port", "0", "host_port" },
	{ "mappings.0.host_port", "65536", "host_port" },
	{ "mappings.0.host_port", "\"80\"", "host_port" },
	{ "mappings.0.host_port", NULL, "host_port" },
	{ "mappings.1", "\"80/tcp\"", "mappings" },
};

/* On a record with an IPv6 address. */
static const struct bad_case bad6_cases[] = {
	{ "net.prefixlen6", "47", "prefixlen6" },
	{ "net.prefixlen6", "129", "prefixlen6" },
	{ "net.prefixlen6", "64.5", "prefixlen6" },
	{ "net.prefixlen6", "\"64\"", "prefixlen6" },
	{ "net.prefixlen6", NULL, "prefixlen6" },
	{ "net.ip6", "\"172.17.0.3\"", "net" },
	{ "net.ip6", "\"fd00::1%eth0\"", "net" },
	{ "net.ip6", "\"fd00::g\"", "net" },
	{ "net.ip6", "\"fd00::3\\n\"", "ip6" },
	{ "net.ip6", "null", "ip6" },
	{ "net.ip6", "5", "ip6" },
	{ "net.gateway6", NULL, "gateway6" },
	{ "net.gateway6", "\"zz\"", "net" },
	{ "net.gateway6", "[]", "gateway6" },
	{ "net.ip6", NULL, NULL }, /* no ip6: no IPv6 (prefixlen6 and gateway6 unread) */
	{ "net.prefixlen6", "48", NULL },
};

static void run_bad(const char *good, const struct bad_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *c = &cases[i];
		char *doc = mutate(good, c->path, c->val), want[96];
		struct ctr_rec *out = (struct ctr_rec *)1;
		if (!doc) {
			ok(0, "mutate %s", c->path);
			continue;
		}
		ctr_err_clear();
		int e = rec_from_json(doc, strlen(doc), &out);
		if (!c->field) {
			ok(e == 0, "accepted: %s = %s (%s)", c->path, c->val, ctr_err_msg());
			if (e == 0)
				rec_free(out);
		} else {
			snprintf(want, sizeof want, "state file has a bad \"%s\" field", c->field);
			ok(e == -EINVAL && out == (struct ctr_rec *)1 &&
				   strcmp(ctr_err_msg(), want) == 0,
			   "refused: %s = %s: %s", c->path, c->val ? c->val : "(deleted)",
			   ctr_err_msg());
		}
		free(doc);
	}
}

static void test_refusals(void)
{
	struct ctr_rec *r = full_rec();
	char *good = NULL, *good6 = NULL;
	if (rec_to_json(r, &good) < 0)
		abort();
	mod_ipv6(r);
	if (rec_to_json(r, &good6) < 0)
		abort();
	rec_free(r);
	run_bad(good, bad_cases, ARRAY_SIZE(bad_cases));
	run_bad(good6, bad6_cases, ARRAY_SIZE(bad6_cases));
	free(good6);
	r = full_rec();
	mod_userns(r);
	char *goodu = NULL;
	if (rec_to_json(r, &goodu) < 0)
		abort();
	rec_free(r);
	ok(strstr(goodu, "\"v\":2") != NULL, "a record with a user namespace is version 2");
	static const struct bad_case userns_cases[] = {
		{ "userns.gid", "1", NULL },
		{ "userns.size", "1", NULL },
		{ "v", "1", "userns" },
		{ "userns", "[]", "userns" },
		{ "userns.uid", "0", "uid" },
		{ "userns.uid", "4294901760", "userns" },
		{ "userns.gid", "\"5\"", "gid" },
		{ "userns.gid", "4294967296", "gid" },
		{ "userns.size", "0", "size" },
		{ "userns.size", "65537", "size" },
		{ "userns.size", NULL, "size" },
	};
	run_bad(goodu, userns_cases, ARRAY_SIZE(userns_cases));
	free(goodu);

	/* an ip6 added to a record without one needs its prefix length */
	char *doc = mutate(good, "net.ip6", "\"fd00::3\"");
	struct ctr_rec *o6 = NULL;
	ctr_err_clear();
	int e6 = doc ? rec_from_json(doc, strlen(doc), &o6) : 0;
	is_str(e6 == -EINVAL ? ctr_err_msg() : "(accepted)",
	       "state file has a bad \"prefixlen6\" field", "refused: net.ip6 without prefixlen6");
	rec_free(o6);
	free(doc);

	/* documents that are not a record at all */
	static const struct {
		const char *doc, *msg;
	} docs[] = {
		{ "", "state file is not valid JSON" },
		{ "{", "state file is not valid JSON" },
		{ "{\"v\":1,", "state file is not valid JSON" },
		{ "nul\x00l", "state file is not valid JSON" },
		{ "[]", "state file has a bad \"(document)\" field" },
		{ "null", "state file has a bad \"(document)\" field" },
		{ "\"v\"", "state file has a bad \"(document)\" field" },
		{ "{}", "state file has a bad \"v\" field" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		struct ctr_rec *out = NULL;
		ctr_err_clear();
		int e = rec_from_json(docs[i].doc, strlen(docs[i].doc) + (i == 3 ? 2 : 0), &out);
		ok(e == -EINVAL && !out && strcmp(ctr_err_msg(), docs[i].msg) == 0,
		   "refused document %zu: %s", i, ctr_err_msg());
	}

	/* the length is honoured: a document cut short is refused, trailing bytes are not read */
	struct ctr_rec *out = NULL;
	int e = rec_from_json(good, strlen(good) - 1, &out);
	ok(e == -EINVAL && !out, "a document one byte short is refused");
	char *padded = malloc(strlen(good) + 8);
	memcpy(padded, good, strlen(good));
	memcpy(padded + strlen(good), " \n\t\r", 4);
	e = rec_from_json(padded, strlen(good) + 4, &out);
	ok(e == 0, "trailing white space is accepted (%s)", ctr_err_msg());
	rec_free(out);
	out = NULL;
	memcpy(padded + strlen(good), "{}", 2);
	ctr_err_clear();
	e = rec_from_json(padded, strlen(good) + 2, &out);
	ok(e == -EINVAL && !out, "trailing garbage is refused (%s)", ctr_err_msg());
	rec_free(out);
	free(padded);
	free(good);
}

/* ---- editing ------------------------------------------------------------------------------- */

struct expose_case {
	const char *what;
	struct ctr_port batches[3][6];
	size_t n[3];
	const char *want;
};

static const struct expose_case expose_cases[] = {
	{ "one", { { { 80, CTR_TCP } } }, { 1 }, "80/tcp" },
	{ "unsorted batch", { { { 443, CTR_TCP }, { 80, CTR_TCP }, { 22, CTR_TCP } } }, { 3 },
	  "22/tcp 80/tcp 443/tcp" },
	{ "duplicates within a batch",
	  { { { 80, CTR_TCP }, { 80, CTR_TCP }, { 81, CTR_TCP }, { 80, CTR_TCP } } }, { 4 },
	  "80/tcp 81/tcp" },
	{ "protocols ordered tcp < udp < sctp",
	  { { { 53, CTR_SCTP }, { 53, CTR_UDP }, { 53, CTR_TCP } } }, { 3 },
	  "53/tcp 53/udp 53/sctp" },
	{ "across batches, duplicates dropped",
	  { { { 9000, CTR_UDP }, { 1, CTR_TCP } },
	    { { 1, CTR_TCP }, { 65535, CTR_TCP }, { 0, CTR_TCP } },
	    { { 9000, CTR_UDP }, { 9000, CTR_TCP }, { 500, CTR_SCTP } } },
	  { 2, 3, 3 }, "0/tcp 1/tcp 500/sctp 9000/tcp 9000/udp 65535/tcp" },
	{ "empty batch", { { { 0 } } }, { 0 }, "" },
};

static char *ports_str(const struct ctr_port *p, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "");
	for (size_t i = 0; i < n; i++) {
		char buf[16];
		port_format(&p[i], buf, sizeof buf);
		sb_addf(&sb, "%s%s", i ? " " : "", buf);
	}
	return sb_finish(&sb);
}

static void test_editing(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(expose_cases); i++) {
		const struct expose_case *c = &expose_cases[i];
		struct ctr_rec r = { 0 };
		int e = 0;
		for (size_t k = 0; k < 3 && !e; k++)
			e = rec_expose(&r, c->batches[k], c->n[k]);
		char *s = ports_str(r.exposed, r.n_exposed);
		is_str(e == 0 ? s : ctr_err_msg(), c->want, "rec_expose: %s", c->what);
		free(s);
		free(r.exposed);
	}

	/* random batches, one port at a time or many at once, against a bitmap of what is in */
	static bool in[2048 * CTR_NPROTO];
	uint32_t seed = 99;
	size_t agree = 0, rounds = 200;
	struct ctr_rec rr = { 0 };
	for (size_t k = 0; k < rounds; k++) {
		struct ctr_port v[64];
		size_t n = k % 5 == 0 ? 1 : k % 64;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			v[i].port = (uint16_t)((seed >> 16) % 2048);
			v[i].proto = (uint8_t)((seed >> 8) % CTR_NPROTO);
			in[v[i].port * CTR_NPROTO + v[i].proto] = true;
		}
		if (rec_expose(&rr, v, n) < 0)
			break;
		size_t m = 0, good = 1;
		for (size_t p = 0; p < ARRAY_SIZE(in); p++)
			if (in[p]) {
				good = good && m < rr.n_exposed && rr.exposed[m].port == p / CTR_NPROTO &&
				       rr.exposed[m].proto == p % CTR_NPROTO;
				m++;
			}
		agree += good && m == rr.n_exposed;
	}
	is_int((long long)agree, (long long)rounds,
	       "rec_expose: random batches: sorted, each port once");
	free(rr.exposed);

	/* a 1000-port range exposed in the middle of 10000 others */
	struct ctr_rec big = { 0 };
	struct ctr_port *bp = calloc(10000, sizeof *bp);
	for (size_t i = 0; i < 10000; i++)
		bp[i] = (struct ctr_port){ (uint16_t)(2 * i + 1), CTR_TCP };
	int be = rec_expose(&big, bp, 10000);
	for (size_t i = 0; i < 1000; i++)
		bp[i] = (struct ctr_port){ (uint16_t)(5000 + i), CTR_TCP }; /* half already there */
	be = be ? be : rec_expose(&big, bp, 1000);
	bool sorted = be == 0 && big.n_exposed == 10500;
	for (size_t i = 1; sorted && i < big.n_exposed; i++)
		sorted = port_cmp(&big.exposed[i - 1], &big.exposed[i]) < 0;
	ok(sorted, "rec_expose: a range into 10000 ports: %zu ports, in order", big.n_exposed);
	free(bp);
	free(big.exposed);

	/* rec_add_bindings: appends in order, exposes the container ports */
	struct ctr_rec r = { 0 };
	const struct ctr_port p80 = { 80, CTR_TCP };
	const struct ctr_binding b1[] = { binding(443, CTR_TCP, "", 0, 0),
					  binding(80, CTR_TCP, "::1", 8080, 8080) };
	const struct ctr_binding b2[] = { binding(80, CTR_TCP, "", 1, 2),
					  binding(53, CTR_UDP, "", 53, 53) };
	int e = rec_expose(&r, &p80, 1);
	e = e ? e : rec_add_bindings(&r, b1, 2);
	e = e ? e : rec_add_bindings(&r, NULL, 0);
	e = e ? e : rec_add_bindings(&r, b2, 2);
	char *s = ports_str(r.exposed, r.n_exposed);
	is_str(s, "53/udp 80/tcp 443/tcp", "rec_add_bindings exposes the bindings' ports");
	free(s);
	ok(e == 0 && r.n_bindings == 4 && r.bindings[0].cport.port == 443 &&
		   strcmp(r.bindings[1].host_ip, "::1") == 0 && r.bindings[2].hp_hi == 2 &&
		   r.bindings[3].cport.proto == CTR_UDP,
	   "rec_add_bindings keeps the bindings in the order given");
	free(r.bindings);
	free(r.exposed);

	/* rec_find_link */
	struct ctr_rec *fr = full_rec();
	struct ctr_link *l1 = rec_find_link(fr, "cache"), *l2 = rec_find_link(fr, "web");
	ok(l1 == &fr->links[1] && !l2, "rec_find_link finds by alias only");
	rec_free(fr);
	rec_free(NULL);
	ok(1, "rec_free(NULL)");
}

/* ---- formatting ---------------------------------------------------------------------------- */

static void test_format(void)
{
	static const struct {
		const char *ip, *mac;
	} macs[] = {
		{ "172.17.0.3", "02:42:ac:11:00:03" },
		{ "172.17.0.2", "02:42:ac:11:00:02" },
		{ "10.0.255.1", "02:42:0a:00:ff:01" },
		{ "0.0.0.0", "02:42:00:00:00:00" },
		{ "255.255.255.255", "02:42:ff:ff:ff:ff" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(macs); i++) {
		uint8_t mac[6];
		char buf[18], ipb[16];
		mac_from_ip4(ip4(macs[i].ip), mac);
		mac_format(mac, buf, sizeof buf);
		ip4_format(ip4(macs[i].ip), ipb, sizeof ipb);
		ok(strcmp(buf, macs[i].mac) == 0 && strcmp(ipb, macs[i].ip) == 0,
		   "mac_from_ip4(%s) = %s (%s)", macs[i].ip, buf, macs[i].mac);
	}
	char small[4] = "xyz";
	ip4_format(ip4("172.17.0.3"), small, sizeof small);
	is_str(small, "", "ip4_format into a too small buffer gives \"\"");

	static const struct {
		int64_t ns;
		const char *want;
	} times[] = {
		{ 0, "0001-01-01T00:00:00Z" },
		{ -1, "0001-01-01T00:00:00Z" },
		{ INT64_MIN, "0001-01-01T00:00:00Z" },
		{ 1, "1970-01-01T00:00:00.000000001Z" },
		{ 1000000000, "1970-01-01T00:00:01Z" },
		{ 1500000000, "1970-01-01T00:00:01.5Z" },
		{ 1120000000, "1970-01-01T00:00:01.12Z" },
		{ 1000001000, "1970-01-01T00:00:01.000001Z" },
		{ 1700000000123456789, "2023-11-14T22:13:20.123456789Z" },
		{ 1700000000100000000, "2023-11-14T22:13:20.1Z" },
		{ 1700000000000000010, "2023-11-14T22:13:20.00000001Z" },
		{ 951782400000000000, "2000-02-29T00:00:00Z" },
		{ INT64_MAX, "2262-04-11T23:47:16.854775807Z" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		char buf[40];
		time_format(times[i].ns, buf, sizeof buf);
		is_str(buf, times[i].want, "time_format(%lld)", (long long)times[i].ns);
	}

	static const char *const st[] = { "created", "starting", "running", "exited", "unknown",
					  "unknown" };
	for (int i = 0; i < 6; i++)
		is_str(status_name((enum ctr_status)(i == 5 ? -1 : i)), st[i], "status_name(%d)",
		       i == 5 ? -1 : i);
}

/* ---- launch spec --------------------------------------------------------------------------- */

static struct launch full_launch(void)
{
	struct launch l = { 0 };
	memcpy(l.id, ID1, sizeof l.id);
	l.state_dir = strdup("/run/ctrlink");
	l.generation = UINT64_MAX;
	l.argv = strv((const char *const[]){ "sh", "-c", "echo \"$A\"\n", NULL });
	l.env = strv((const char *const[]){ "PATH=/bin", "A=\x01", NULL });
	l.hostname = strdup("web");
	l.domainname = strdup("example.org");
	l.workdir = strdup("/tmp");
	l.rootfs = strdup("/srv/rootfs");
	l.user = strdup("1000:1000");
	l.caps = 0xa80425fbull | 1ull << 40;
	l.has_net = true;
	l.ip = ip4("172.17.0.9");
	l.gateway = ip4("172.17.0.1");
	l.prefixlen = 16;
	l.attached = true;
	l.log_max_size = 1000000000000000ull;
	l.log_max_file = 1000;
	l.etc_fd = -1; /* the monitor's own, never in the spec */
	l.target_pid = 31337;
	l.target_start = 99999999999ull;
	l.prefixlen6 = 64;
	inet_pton(AF_INET6, "fd00::9", l.ip6);
	inet_pton(AF_INET6, "fd00::1", l.gateway6);
	l.has_gw_mac = true;
	memcpy(l.gw_mac, "\x02\x42\xac\x11\x00\x01", 6);
	l.userns = true;
	l.userns_uid = 4294901759u;
	l.userns_gid = 231072;
	l.userns_size = 65536;
	return l;
}

static const char *launch_diff(const struct launch *a, const struct launch *b)
{
	if (strcmp(a->id, b->id) || !str_eq(a->state_dir, b->state_dir) ||
	    a->generation != b->generation)
		return "id/state_dir/generation";
	if (!strv_eq(a->argv, b->argv) || !strv_eq(a->env, b->env))
		return "argv/env";
	if (!str_eq(a->hostname, b->hostname) || !str_eq(a->domainname, b->domainname) ||
	    !str_eq(a->workdir, b->workdir) || !str_eq(a->rootfs, b->rootfs) ||
	    !str_eq(a->user, b->user))
		return "strings";
	if (a->caps != b->caps || a->has_net != b->has_net || a->ip != b->ip ||
	    a->gateway != b->gateway || a->prefixlen != b->prefixlen ||
	    a->attached != b->attached || a->target_pid != b->target_pid ||
	    a->target_start != b->target_start)
		return "numbers";
	if (a->prefixlen6 != b->prefixlen6 || memcmp(a->ip6, b->ip6, 16) ||
	    memcmp(a->gateway6, b->gateway6, 16))
		return "IPv6";
	if (a->has_gw_mac != b->has_gw_mac || (a->has_gw_mac && memcmp(a->gw_mac, b->gw_mac, 6)))
		return "gateway MAC";
	if (a->log_max_size != b->log_max_size || a->log_max_file != b->log_max_file ||
	    a->etc_fd != b->etc_fd)
		return "log/etc";
	if (a->userns != b->userns || a->userns_uid != b->userns_uid ||
	    a->userns_gid != b->userns_gid || a->userns_size != b->userns_size)
		return "userns";
	return NULL;
}

static void test_launch(void)
{
	for (int k = 0; k < 2; k++) {
		struct launch l = full_launch(), back;
		if (k == 1) { /* minimal: optional strings absent, no network, empty env */
			free(l.domainname);
			free(l.workdir);
			free(l.rootfs);
			free(l.user);
			l.domainname = l.workdir = l.rootfs = l.user = NULL;
			strv_free(l.env);
			l.env = calloc(1, sizeof *l.env);
			l.has_net = l.attached = false;
			l.ip = l.gateway = 0;
			l.prefixlen = l.target_pid = 0;
			l.caps = l.generation = l.target_start = 0;
			l.prefixlen6 = 0;
			memset(l.ip6, 0, sizeof l.ip6);
			memset(l.gateway6, 0, sizeof l.gateway6);
			l.has_gw_mac = false;
			memset(l.gw_mac, 0, sizeof l.gw_mac);
			l.userns = false;
			l.userns_uid = l.userns_gid = l.userns_size = 0;
		}
		char *j = NULL, *j2 = NULL;
		const char *diff = "(not parsed)";
		int e = launch_to_json(&l, &j);
		if (e == 0 && (e = launch_from_json(j, strlen(j), &back)) == 0) {
			diff = launch_diff(&l, &back);
			e = launch_to_json(&back, &j2);
			launch_free(&back);
		}
		ok(e == 0 && !diff && strcmp(j, j2) == 0, "launch round trip: %s%s%s",
		   k ? "minimal" : "full", diff ? ": differs in " : "", diff ? diff : "");
		free(j);
		free(j2);
		launch_free(&l);
	}

	struct launch l = full_launch();
	char *good = NULL;
	if (launch_to_json(&l, &good) < 0)
		abort();
	launch_free(&l);
	static const struct bad_case cases[] = {
		{ "id", "\"0123\"", "launch spec: bad id" },
		{ "id", NULL, "launch spec: bad id" },
		{ "id", "7", "launch spec: bad id" },
		{ "state_dir", NULL, "launch spec: missing fields" },
		{ "argv", NULL, "launch spec: missing fields" },
		{ "argv", "[]", "launch spec: missing fields" },
		{ "argv", "[\"sh\",2]", "launch spec: missing fields" },
		{ "env", "[false]", "launch spec: missing fields" },
		{ "hostname", NULL, "launch spec: missing fields" },
		{ "hostname", "1", "launch spec: missing fields" },
		{ "ip", NULL, "launch spec: bad address" },
		{ "ip", "\"172.17.0\"", "launch spec: bad address" },
		{ "gateway", "\"::1\"", "launch spec: bad address" },
		{ "ip6", NULL, "launch spec: bad IPv6 address" },
		{ "ip6", "\"10.0.0.1\"", "launch spec: bad IPv6 address" },
		{ "gateway6", "\"fd00::1::2\"", "launch spec: bad IPv6 address" },
		{ "gateway6", "6", "launch spec: bad IPv6 address" },
		{ "gw_mac", "\"02:42:ac:11:00\"", "launch spec: bad gateway MAC address" },
		{ "gw_mac", "\"02:42:ac:11:00:01:07\"", "launch spec: bad gateway MAC address" },
		{ "gw_mac", "\"02:42:ac:11:00:zz\"", "launch spec: bad gateway MAC address" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *doc = mutate(good, cases[i].path, cases[i].val);
		struct launch out;
		ctr_err_clear();
		int e = doc ? launch_from_json(doc, strlen(doc), &out) : -1;
		ok(e == -EINVAL && !out.state_dir && !out.argv && !out.hostname &&
			   strcmp(ctr_err_msg(), cases[i].field) == 0,
		   "launch refused: %s = %s: %s", cases[i].path,
		   cases[i].val ? cases[i].val : "(deleted)", ctr_err_msg());
		free(doc);
	}
	struct launch out;
	int e = launch_from_json("{\"id\":", 6, &out);
	ok(e == -EINVAL && strcmp(ctr_err_msg(), "launch spec is not valid JSON") == 0,
	   "launch refused: not JSON");
	e = launch_from_json(good, strlen(good) - 1, &out);
	ok(e == -EINVAL, "launch refused: one byte short");

	/* without prefixlen6, ip6 and gateway6 are not read */
	char *d1 = mutate(good, "prefixlen6", "0"), *d2 = d1 ? mutate(d1, "ip6", "\"x\"") : NULL;
	e = d2 ? launch_from_json(d2, strlen(d2), &out) : -1;
	ok(e == 0 && out.prefixlen6 == 0, "launch: prefixlen6 0, ip6 not read (%s)",
	   e ? ctr_err_msg() : "ok");
	if (e == 0)
		launch_free(&out);
	free(d1);
	free(d2);
	/* the first problem is the one reported */
	d1 = mutate(good, "id", "\"short\"");
	d2 = d1 ? mutate(d1, "ip6", "\"x\"") : NULL;
	ctr_err_clear();
	e = d2 ? launch_from_json(d2, strlen(d2), &out) : -1;
	ok(e == -EINVAL && strcmp(ctr_err_msg(), "launch spec: bad id") == 0,
	   "launch: a bad id and a bad ip6: the id is reported (%s)", ctr_err_msg());
	free(d1);
	free(d2);
	free(good);
}

/* A record this library refuses: the version of a newer one is named, and rec_salvage keeps
 * what it can (all of it when only the version differs, else the ID alone). */
static void test_salvage(void)
{
	struct ctr_rec *r = full_rec(), *s = NULL;
	char *good = NULL;
	if (rec_to_json(r, &good) < 0) {
		ok(0, "serialise");
		rec_free(r);
		return;
	}
	char *newer = mutate(good, "v", "7"), *extra = newer ? mutate(newer, "future", "{\"x\":1}") : NULL;
	struct ctr_rec *out = NULL;
	ctr_err_clear();
	ok(extra && rec_from_json(extra, strlen(extra), &out) == -EINVAL && !out &&
		   strcmp(ctr_err_msg(), "the record is version 7, newer than this library reads "
					 "(2): a newer libcontainer-link wrote it") == 0,
	   "a newer version is refused by name: %s", ctr_err_msg());
	ok(extra && rec_salvage(extra, strlen(extra), r->id, "why", &s) == 0 && s->unreadable &&
		   !s->opaque && str_eq(s->error, "why") && str_eq(s->name, r->name) &&
		   s->status == r->status && s->pid == r->pid && s->has_net && s->net.ip == r->net.ip &&
		   s->n_mappings == r->n_mappings && s->n_links == r->n_links &&
		   strcmp(rec_state_name(s), "dead") == 0,
	   "a newer version is salvaged whole, shown dead");
	rec_free(s);
	s = NULL;
	char other[CTR_ID_LEN + 1];
	memset(other, 'e', CTR_ID_LEN);
	other[CTR_ID_LEN] = '\0';
	const struct {
		const char *what, *doc;
		size_t len;
		const char *id;
	} opaque[] = {
		{ "half a document", good, strlen(good) / 2, r->id },
		{ "no document", NULL, 0, r->id },
		{ "another container's record", extra, extra ? strlen(extra) : 0, other },
		{ "a bad field besides the version", "{\"v\":9,\"id\":3}", 16, r->id },
	};
	for (size_t i = 0; i < sizeof opaque / sizeof opaque[0]; i++) {
		const char *id = opaque[i].id;
		ok(rec_salvage(opaque[i].doc, opaque[i].len, id, "bad", &s) == 0 && s->unreadable &&
			   s->opaque && strcmp(s->id, id) == 0 && !s->name && !s->has_net &&
			   !s->pid && !s->n_links && s->status == ST_EXITED && str_eq(s->error, "bad"),
		   "%s: the ID alone is kept", opaque[i].what);
		rec_free(s);
		s = NULL;
	}
	free(newer);
	free(extra);
	free(good);
	rec_free(r);
}

/* ---- runs (issue 16): a range is one entry on disk, read back element by element ---------- */

/* A running record that holds runs of each kind, and elements that must not join them. */
static struct ctr_rec *runs_rec(void)
{
	struct ctr_rec *r = full_rec();
	struct ctr_binding b[3000];
	struct ctr_mapping m[3000];
	size_t nb = 0, nm = 0;
	for (int i = 0; i < 1000; i++) { /* 20000-20999:30000-30999 */
		b[nb++] = binding((uint16_t)(30000 + i), CTR_TCP, "", (uint16_t)(20000 + i),
				  (uint16_t)(20000 + i));
		m[nm++] = mapping((uint16_t)(30000 + i), CTR_TCP, "0.0.0.0", (uint16_t)(20000 + i));
	}
	for (int i = 0; i < 500; i++) { /* HOST:80 singles: the container port stays */
		b[nb++] = binding(80, CTR_UDP, "10.0.0.1", (uint16_t)(1100 + i), (uint16_t)(1100 + i));
		m[nm++] = mapping(80, CTR_UDP, "10.0.0.1", (uint16_t)(1100 + i));
	}
	for (int i = 0; i < 10; i++) { /* 5000-5009 ephemeral, host ports given out two apart */
		b[nb++] = binding((uint16_t)(5000 + i), CTR_SCTP, "::", 0, 0);
		m[nm++] = mapping((uint16_t)(5000 + i), CTR_SCTP, "::", (uint16_t)(40000 + 2 * i));
	}
	for (int i = 0; i < 4; i++) { /* "0:6000-6003" */
		b[nb] = binding((uint16_t)(6000 + i), CTR_TCP, "", 0, 0);
		b[nb++].hp_zero = true;
	}
	for (int i = 0; i < 4; i++) /* host ranges stepping */
		b[nb++] = binding((uint16_t)(7000 + i), CTR_TCP, "", (uint16_t)(8000 + 10 * i),
				  (uint16_t)(8005 + 10 * i));
	/* no run: another address, a port going down, the last port */
	b[nb++] = binding(30999, CTR_TCP, "127.0.0.1", 21000, 21000);
	b[nb++] = binding(30998, CTR_TCP, "127.0.0.1", 21001, 21001);
	b[nb++] = binding(65535, CTR_TCP, "", 65535, 65535);
	m[nm++] = mapping(30999, CTR_TCP, "127.0.0.1", 21000);
	m[nm++] = mapping(65535, CTR_TCP, "0.0.0.0", 65535);
	if (rec_add_bindings(r, b, nb) < 0)
		abort();
	struct ctr_port e[] = { { 9000, CTR_UDP }, { 9001, CTR_UDP }, { 9002, CTR_UDP },
				{ 9001, CTR_TCP }, { 65535, CTR_UDP }, { 0, CTR_TCP } };
	if (rec_expose(r, e, ARRAY_SIZE(e)) < 0)
		abort();
	struct ctr_mapping *all = realloc(r->mappings, (r->n_mappings + nm) * sizeof *all);
	if (!all)
		abort();
	memcpy(all + r->n_mappings, m, nm * sizeof *m);
	r->mappings = all;
	r->n_mappings += nm;
	return r;
}

/* What a library of version 1 wrote: one entry per element. */
static char *old_format(const struct ctr_rec *r)
{
	char *j = NULL, *out = NULL;
	if (rec_to_json(r, &j) < 0)
		return NULL;
	cJSON *o = cJSON_Parse(j), *a;
	free(j);
	cJSON_ReplaceItemInObject(o, "v", cJSON_CreateNumber(1));
	cJSON_ReplaceItemInObject(o, "exposed", a = cJSON_CreateArray());
	for (size_t i = 0; i < r->n_exposed; i++) {
		char buf[16];
		port_format(&r->exposed[i], buf, sizeof buf);
		cJSON_AddItemToArray(a, cJSON_CreateString(buf));
	}
	cJSON_ReplaceItemInObject(o, "bindings", a = cJSON_CreateArray());
	for (size_t i = 0; i < r->n_bindings; i++) {
		char cp[16], hp[16];
		cJSON *e = cJSON_CreateObject();
		port_format(&r->bindings[i].cport, cp, sizeof cp);
		binding_hostport(&r->bindings[i], hp, sizeof hp);
		cJSON_AddStringToObject(e, "port", cp);
		cJSON_AddStringToObject(e, "host_ip", r->bindings[i].host_ip);
		cJSON_AddStringToObject(e, "host_port", hp);
		cJSON_AddItemToArray(a, e);
	}
	cJSON_ReplaceItemInObject(o, "mappings", a = cJSON_CreateArray());
	for (size_t i = 0; i < r->n_mappings; i++) {
		char cp[16];
		cJSON *e = cJSON_CreateObject();
		port_format(&r->mappings[i].cport, cp, sizeof cp);
		cJSON_AddStringToObject(e, "port", cp);
		cJSON_AddStringToObject(e, "host_ip", r->mappings[i].host_ip);
		cJSON_AddNumberToObject(e, "host_port", r->mappings[i].hport);
		cJSON_AddItemToArray(a, e);
	}
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static int array_len(const char *json, const char *key)
{
	cJSON *o = cJSON_Parse(json);
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, key));
	cJSON_Delete(o);
	return n;
}

/* bindings.5 and mappings.5: 20000-20999:30000-30999 (30000/tcp, host port 20000, 1000) */
static const struct bad_case run_bad_cases[] = {
	{ "bindings.5.count", "0", "bindings" },
	{ "bindings.5.count", "\"2\"", "bindings" },
	{ "bindings.5.count", "1.5", "bindings" },
	{ "bindings.5.count", "65537", "bindings" },
	{ "bindings.5.count", "1", NULL },                 /* one element, as version 1 wrote */
	{ "bindings.5.count", "6", NULL },                 /* a shorter run */
	{ "bindings.5.count", "35537", "bindings" },       /* past container port 65535 */
	{ "bindings.5.port_step", "0", NULL },             /* 30000:20000-20999, one each */
	{ "bindings.5.port_step", "-1", "bindings" },
	{ "bindings.5.port_step", "\"1\"", "bindings" },
	{ "bindings.5.host_step", "0", NULL },
	{ "bindings.5.host_step", "100", "bindings" },     /* past host port 65535 */
	{ "bindings.7.host_step", "1", "bindings" },       /* an ephemeral host port steps */
	{ "bindings.5.port_step", "0.5", "bindings" },
	{ "mappings.5.count", "0", "mappings" },
	{ "mappings.5.count", "45537", "mappings" },
	{ "mappings.5.host_step", "65536", "mappings" },
	{ "mappings.5.port_step", "null", "mappings" },
	{ "mappings.5.port_step", "0", NULL },
	{ "exposed.0", "\"90-80/tcp\"", "exposed" },
	{ "exposed.0", "\"80-80/tcp\"", "exposed" },
	{ "exposed.0", "\"80-/tcp\"", "exposed" },
	{ "exposed.0", "\"-80/tcp\"", "exposed" },
	{ "exposed.0", "\"80-90/xyz\"", "exposed" },
	{ "exposed.0", "\"80-65536/tcp\"", "exposed" },
	{ "exposed.0", "\"0-65535/udp\"", NULL },
};

static void test_runs(void)
{
	struct ctr_rec *r = runs_rec(), *back = NULL, *old = NULL;
	char *j = NULL, *j2 = NULL, *o = NULL;
	const char *diff = "(not parsed)";
	int e = rec_to_json(r, &j);
	if (!e)
		e = rec_from_json(j, strlen(j), &back);
	if (!e && !(diff = rec_diff(r, back)))
		e = rec_to_json(back, &j2);
	ok(!e && !diff && !strcmp(j, j2), "runs: round trip%s%s (%s)", diff ? ": differs in " : "",
	   diff ? diff : "", e ? ctr_err_msg() : "");
	ok(j && strstr(j, "\"v\":2,"), "runs: a record with runs is version 2");
	/* full_rec's 5 bindings + 1000 + 500 + 10 + 4 + 4 + 3 in 5 + 1 + 1 + 1 + 1 + 1 + 3 */
	is_int(j ? array_len(j, "bindings") : -1, 13, "runs: bindings, one entry per run");
	/* full_rec's 5 + 1000 + 500 + 10 + 2 in 5 + 1 + 1 + 1 + 2 */
	is_int(j ? array_len(j, "mappings") : -1, 10, "runs: mappings, one entry per run");
	ok(j && strstr(j, "\"30000-30999/tcp\"") && strstr(j, "\"9000-9002/udp\"") &&
		   strstr(j, "\"9001/tcp\"") && strstr(j, "\"0/tcp\""),
	   "runs: exposed ports as ranges per protocol");
	ok(j && strstr(j, "{\"port\":\"80/udp\",\"host_ip\":\"10.0.0.1\",\"host_port\":\"1100\","
			  "\"count\":500,\"port_step\":0,\"host_step\":1}"),
	   "runs: HOST:80 singles are one binding entry");
	ok(j && strstr(j, "{\"port\":\"5000/sctp\",\"host_ip\":\"::\",\"host_port\":40000,"
			  "\"count\":10,\"port_step\":1,\"host_step\":2}"),
	   "runs: host ports two apart are one mapping entry");
	ok(back && back->n_bindings == r->n_bindings && back->bindings[1005].hp_lo == 1100 &&
		   back->bindings[1505].hp_zero == false && back->bindings[1518].hp_zero &&
		   back->bindings[1520].hp_lo == 8010 && back->bindings[1520].hp_hi == 8015,
	   "runs: elements read back in order, kinds of host port kept");

	/* what version 1 wrote reads as the same record; written again, as runs */
	o = old_format(r);
	ok(o && array_len(o, "mappings") == (int)r->n_mappings && !strstr(o, "\"count\""),
	   "old format: one entry per element");
	const char *odiff = "(not parsed)";
	if (o && rec_from_json(o, strlen(o), &old) == 0)
		odiff = rec_diff(r, old);
	ok(!odiff, "old format: the record of version 1 reads the same%s%s (%s)",
	   odiff ? ": differs in " : "", odiff ? odiff : "", ctr_err_msg());
	char *j3 = NULL;
	ok(old && rec_to_json(old, &j3) == 0 && j && !strcmp(j3, j),
	   "old format: written again as version 2, with runs");
	free(j3);

	/* a record without a run is written exactly as version 1 wrote it */
	struct ctr_rec *plain = full_rec();
	char *pj = NULL, *po = old_format(plain);
	ok(rec_to_json(plain, &pj) == 0 && po && !strcmp(pj, po),
	   "no run: written as version 1, byte for byte");
	free(pj);
	free(po);
	rec_free(plain);

	run_bad(j, run_bad_cases, ARRAY_SIZE(run_bad_cases));
	free(j);
	free(j2);
	free(o);
	rec_free(r);
	rec_free(back);
	rec_free(old);
}

int main(void)
{
	test_roundtrip();
	test_refusals();
	test_editing();
	test_format();
	test_launch();
	test_salvage();
	test_runs();
	return done_testing();
}
