/* Unit tests for lib/core/inspect.c: `docker inspect` and `GET /containers/json` shapes.  The JSON
 * is parsed back with cJSON and checked path by path; one TAP point per table row. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/inspect.h"
#include "core/restart.h"
#include "tap.h"
#include "core/util.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ZERO_TIME "\"0001-01-01T00:00:00Z\""

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

/* A running "web": nginx, -e A=1, -p 8080:80 -p 127.0.0.1::443, exposed 80 and 443 and 53/udp,
 * network up. */
static struct ctr_rec *running_rec(void)
{
	struct ctr_rec *r = calloc(1, sizeof *r);
	memcpy(r->id, ID, sizeof r->id);
	r->name = strdup("web");
	r->created = 1700000000123456789;
	r->log = (struct log_config){ 10000000, 3, "10m" };
	r->argv = strv((const char *const[]){ "nginx", "-g", "daemon off;", NULL });
	r->env = strv((const char *const[]){ "A=1", "B=", NULL });
	r->hostname = strdup("0123456789ab");
	r->cap_add = strv((const char *const[]){ "NET_ADMIN", NULL });
	const struct ctr_port exp[] = { { 53, CTR_UDP } };
	const struct ctr_binding b[] = {
		{ { 80, CTR_TCP }, "", 8080, 8080 },
		{ { 443, CTR_TCP }, "127.0.0.1", 0, 0 },
	};
	if (rec_expose(r, exp, 1) < 0 || rec_add_bindings(r, b, 2) < 0)
		abort();
	r->status = ST_RUNNING;
	r->pid = 4242;
	r->started = 1700000001500000000;
	r->has_net = true;
	r->net.ip = ip4("172.17.0.3");
	r->net.gateway = ip4("172.17.0.1");
	r->net.prefixlen = 16;
	r->net.prefixlen6 = 64;
	inet_pton(AF_INET6, "fd00::242:ac11:3", r->net.ip6);
	inet_pton(AF_INET6, "fd00::1", r->net.gateway6);
	mac_from_ip4(r->net.ip, r->net.mac);
	snprintf(r->net.veth, sizeof r->net.veth, "veth1234");
	snprintf(r->net.bridge, sizeof r->net.bridge, "ctrlink0");
	const struct ctr_mapping m[] = {
		{ { 80, CTR_TCP }, "0.0.0.0", 8080 },
		{ { 443, CTR_TCP }, "127.0.0.1", 49153 },
	};
	r->mappings = malloc(sizeof m);
	memcpy(r->mappings, m, sizeof m);
	r->n_mappings = 2;
	return r;
}

/* An exited "db": -e PATH=/custom, no ports, the network record left behind (shown empty),
 * an error message, a stale pid. */
static struct ctr_rec *exited_rec(void)
{
	struct ctr_rec *r = calloc(1, sizeof *r);
	memcpy(r->id, ID, sizeof r->id);
	r->name = strdup("db");
	r->created = 1000000000;
	r->argv = strv((const char *const[]){ "postgres", NULL });
	r->env = strv((const char *const[]){ "PATH=/custom", NULL });
	r->hostname = strdup("db.local");
	r->domainname = strdup("example.org");
	r->user = strdup("999:999");
	r->workdir = strdup("/var/lib/pg");
	r->rootfs = strdup("/srv/rootfs");
	r->userns = true;
	r->userns_uid = 100000;
	r->userns_gid = 165536;
	r->userns_size = 65536;
	r->auto_remove = true;
	r->publish_all = true;
	r->status = ST_EXITED;
	r->exit_code = 137;
	r->pid = 4243;
	r->started = 1700000001000000000;
	r->finished = 1700000002250000000;
	r->error = strdup("oops");
	r->has_net = true;
	r->net.ip = ip4("172.17.0.4");
	r->net.prefixlen = 16;
	r->net.prefixlen6 = 64;
	inet_pton(AF_INET6, "fd00::4", r->net.ip6);
	return r;
}

struct check {
	const char *path; /* dotted; "!" at the start: must be absent; "@" at the start: the
			   * object's keys in order, joined by "," */
	const char *want; /* JSON text, compared as values (object key order aside) */
};

static const cJSON *at(const cJSON *o, const char *path)
{
	char p[256];
	snprintf(p, sizeof p, "%s", path);
	char *save = NULL;
	for (char *k = strtok_r(p, ".", &save); o && k; k = strtok_r(NULL, ".", &save))
		o = cJSON_IsArray(o) ? cJSON_GetArrayItem(o, atoi(k)) :
				       cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

static void run_checks(const char *label, const char *json, const struct check *c, size_t n)
{
	cJSON *doc = cJSON_Parse(json);
	if (!ok(doc != NULL, "%s: the output is JSON", label))
		return;
	for (size_t i = 0; i < n; i++) {
		bool absent = c[i].path[0] == '!', keys = c[i].path[0] == '@';
		const cJSON *v = at(doc, c[i].path + (absent || keys)), *k;
		if (absent) {
			ok(!v, "%s: %s absent", label, c[i].path + 1);
			continue;
		}
		if (keys) {
			struct sbuf sb = SBUF_INIT;
			sb_add(&sb, "");
			cJSON_ArrayForEach(k, v)
				sb_addf(&sb, "%s%s", k == v->child ? "" : ",", k->string);
			char *got = sb_finish(&sb);
			is_str(v ? got : NULL, c[i].want, "%s: the keys of %s in order", label,
			       c[i].path + 1);
			free(got);
			continue;
		}
		cJSON *want = cJSON_Parse(c[i].want);
		char *got = v ? cJSON_PrintUnformatted(v) : NULL;
		ok(want && v && cJSON_Compare(v, want, true), "%s: %s = %s", label, c[i].path,
		   c[i].want);
		if (!(want && v && cJSON_Compare(v, want, true)))
			diag("got %s", got ? got : "(absent)");
		free(got);
		cJSON_Delete(want);
	}
	cJSON_Delete(doc);
}

static const struct check running_checks[] = {
	{ "Id", "\"" ID "\"" },
	{ "Name", "\"/web\"" },
	{ "Created", "\"2023-11-14T22:13:20.123456789Z\"" },
	{ "Path", "\"nginx\"" },
	{ "Args", "[\"-g\",\"daemon off;\"]" },
	{ "Image", "\"\"" },
	{ "RestartCount", "0" },
	{ "HostConfig.RestartPolicy", "{\"Name\":\"no\",\"MaximumRetryCount\":0}" },
	{ "HostConfig.LogConfig", "{\"Type\":\"json-file\",\"Config\":{\"max-file\":\"3\","
				  "\"max-size\":\"10m\"}}" },
	{ "ResolvConfPath", "\"/run/ctrlink/containers/" ID "/resolv.conf\"" },
	{ "HostnamePath", "\"/run/ctrlink/containers/" ID "/hostname\"" },
	{ "HostsPath", "\"/run/ctrlink/containers/" ID "/hosts\"" },
	{ "LogPath", "\"/run/ctrlink/containers/" ID "/log.json\"" },
	{ "State.Status", "\"running\"" },
	{ "State.Running", "true" },
	{ "State.Paused", "false" },
	{ "State.Restarting", "false" },
	{ "State.OOMKilled", "false" },
	{ "State.Dead", "false" },
	{ "State.Pid", "4242" },
	{ "State.ExitCode", "0" },
	{ "State.Error", "\"\"" },
	{ "State.StartedAt", "\"2023-11-14T22:13:21.5Z\"" },
	{ "State.FinishedAt", ZERO_TIME },
	{ "Config.Hostname", "\"0123456789ab\"" },
	{ "Config.Domainname", "\"\"" },
	{ "Config.User", "\"\"" },
	{ "Config.Env", "[\"" PATH_ENV "\",\"A=1\",\"B=\"]" },
	{ "Config.Cmd", "[\"nginx\",\"-g\",\"daemon off;\"]" },
	{ "Config.ExposedPorts", "{\"53/udp\":{},\"80/tcp\":{},\"443/tcp\":{}}" },
	{ "Config.WorkingDir", "\"\"" },
	{ "Config.Rootfs", "\"\"" },
	{ "HostConfig.NetworkMode", "\"bridge\"" },
	{ "HostConfig.PortBindings",
	  "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}],"
	  "\"443/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}" },
	{ "HostConfig.Links", "[\"/db:/web/db\"]" },
	{ "HostConfig.PublishAllPorts", "false" },
	{ "HostConfig.AutoRemove", "false" },
	{ "HostConfig.CapAdd", "[\"NET_ADMIN\"]" },
	{ "HostConfig.CapDrop", "null" },
	{ "HostConfig.UsernsMode", "\"\"" },
	{ "!HostConfig.IDMappings", NULL },
	{ "NetworkSettings.Ports",
	  "{\"53/udp\":null,\"80/tcp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"8080\"}],"
	  "\"443/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"49153\"}]}" },
	{ "NetworkSettings.IPAddress", "\"172.17.0.3\"" },
	{ "NetworkSettings.IPPrefixLen", "16" },
	{ "NetworkSettings.Gateway", "\"172.17.0.1\"" },
	{ "NetworkSettings.MacAddress", "\"02:42:ac:11:00:03\"" },
	{ "NetworkSettings.Bridge", "\"ctrlink0\"" },
	{ "NetworkSettings.SandboxID", "\"" ID "\"" },
	{ "NetworkSettings.SandboxKey", "\"/proc/4242/ns/net\"" },
	{ "NetworkSettings.EndpointID", "\"" ID "\"" },
	{ "NetworkSettings.HairpinMode", "true" },
	{ "NetworkSettings.SecondaryIPAddresses", "null" },
	{ "NetworkSettings.GlobalIPv6Address", "\"fd00::242:ac11:3\"" },
	{ "NetworkSettings.GlobalIPv6PrefixLen", "64" },
	{ "NetworkSettings.IPv6Gateway", "\"fd00::1\"" },
	{ "NetworkSettings.Networks.bridge.GlobalIPv6Address", "\"fd00::242:ac11:3\"" },
	{ "NetworkSettings.Networks.bridge.GlobalIPv6PrefixLen", "64" },
	{ "NetworkSettings.Networks.bridge.IPv6Gateway", "\"fd00::1\"" },
	/* Go prints map keys sorted as strings */
	{ "@Config.ExposedPorts", "443/tcp,53/udp,80/tcp" },
	{ "@HostConfig.PortBindings", "443/tcp,80/tcp" },
	{ "@NetworkSettings.Ports", "443/tcp,53/udp,80/tcp" },
	{ "NetworkSettings.Networks.bridge.IPAddress", "\"172.17.0.3\"" },
	{ "NetworkSettings.Networks.bridge.Gateway", "\"172.17.0.1\"" },
	{ "NetworkSettings.Networks.bridge.IPPrefixLen", "16" },
	{ "NetworkSettings.Networks.bridge.MacAddress", "\"02:42:ac:11:00:03\"" },
	{ "NetworkSettings.Networks.bridge.Links", "null" },
	{ "NetworkSettings.Networks.bridge.NetworkID", "\"\"" },
	{ "!NetworkSettings.Networks.bridge.SandboxKey", NULL },
	{ "!NetworkSettings.Networks.host", NULL },
};

static const struct check exited_checks[] = {
	{ "Name", "\"/db\"" },
	{ "Created", "\"1970-01-01T00:00:01Z\"" },
	{ "Path", "\"postgres\"" },
	{ "Args", "[]" },
	{ "State.Status", "\"exited\"" },
	{ "State.Running", "false" },
	{ "State.Pid", "0" },
	{ "State.ExitCode", "137" },
	{ "State.Error", "\"oops\"" },
	{ "State.StartedAt", "\"2023-11-14T22:13:21Z\"" },
	{ "State.FinishedAt", "\"2023-11-14T22:13:22.25Z\"" },
	{ "Config.Env", "[\"PATH=/custom\"]" },
	{ "!Config.ExposedPorts", NULL },
	{ "Config.Domainname", "\"example.org\"" },
	{ "Config.User", "\"999:999\"" },
	{ "Config.WorkingDir", "\"/var/lib/pg\"" },
	{ "Config.Rootfs", "\"/srv/rootfs\"" },
	{ "HostConfig.PortBindings", "{}" },
	{ "HostConfig.Links", "null" },
	{ "HostConfig.PublishAllPorts", "true" },
	{ "HostConfig.AutoRemove", "true" },
	{ "HostConfig.CapAdd", "null" },
	{ "HostConfig.UsernsMode", "\"auto\"" },
	{ "HostConfig.IDMappings", "{\"UidMap\":[\"0:100000:65536\"],"
				   "\"GidMap\":[\"0:165536:65536\"]}" },
	{ "NetworkSettings.Ports", "{}" },
	{ "NetworkSettings.IPAddress", "\"\"" },
	{ "NetworkSettings.IPPrefixLen", "0" },
	{ "NetworkSettings.Gateway", "\"\"" },
	{ "NetworkSettings.MacAddress", "\"\"" },
	{ "NetworkSettings.Bridge", "\"\"" },
	{ "NetworkSettings.SandboxKey", "\"\"" },
	{ "NetworkSettings.EndpointID", "\"\"" },
	{ "NetworkSettings.Networks.bridge.IPAddress", "\"\"" },
	{ "NetworkSettings.Networks.bridge.IPPrefixLen", "0" },
	{ "NetworkSettings.Networks.bridge.MacAddress", "\"\"" },
	{ "NetworkSettings.HairpinMode", "false" },
	{ "NetworkSettings.GlobalIPv6Address", "\"\"" },
	{ "NetworkSettings.GlobalIPv6PrefixLen", "0" },
	{ "NetworkSettings.IPv6Gateway", "\"\"" },
	{ "NetworkSettings.Networks.bridge.GlobalIPv6Address", "\"\"" },
};

/* waiting for the policy's restart: Docker's "restarting" (Running, no Pid), its count */
static const struct check restarting_checks[] = {
	{ "State.Status", "\"restarting\"" },
	{ "State.Running", "true" },
	{ "State.Restarting", "true" },
	{ "State.Pid", "0" },
	{ "State.ExitCode", "137" },
	{ "RestartCount", "3" },
	{ "HostConfig.RestartPolicy", "{\"Name\":\"on-failure\",\"MaximumRetryCount\":5}" },
	{ "NetworkSettings.IPAddress", "\"\"" },
};

/* a created container (never started): state and ports as Docker shows them */
static const struct check created_checks[] = {
	{ "State.Status", "\"created\"" },
	{ "State.Running", "false" },
	{ "State.Pid", "0" },
	{ "State.StartedAt", ZERO_TIME },
	{ "State.FinishedAt", ZERO_TIME },
	{ "Config.ExposedPorts", "{\"53/udp\":{},\"80/tcp\":{},\"443/tcp\":{}}" },
	{ "HostConfig.PortBindings",
	  "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}],"
	  "\"443/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]}" },
	{ "NetworkSettings.Ports", "{}" },
	{ "NetworkSettings.IPAddress", "\"\"" },
	{ "HostConfig.Links", "null" }, /* an empty list too */
};

/* port bindings: several for one port, host ranges, and every exposed port null while
 * running without mappings */
static const struct check bindings_checks[] = {
	{ "HostConfig.PortBindings",
	  "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"},"
	  "{\"HostIp\":\"::1\",\"HostPort\":\"8000-9000\"}],"
	  "\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":\"53\"}]}" },
	{ "NetworkSettings.Ports", "{}" },
	{ "Config.Env", "[\"PATH=/x\"]" },
	{ "State.Status", "\"created\"" },
};

static const struct check bindings_running_checks[] = {
	{ "NetworkSettings.Ports", "{\"53/udp\":null,\"80/tcp\":null}" },
	{ "State.Status", "\"running\"" },
	{ "NetworkSettings.IPAddress", "\"\"" }, /* running without a network */
	{ "NetworkSettings.SandboxKey", "\"\"" },
	{ "NetworkSettings.GlobalIPv6Address", "\"\"" },
	{ "NetworkSettings.HairpinMode", "false" },
	{ "@NetworkSettings.Ports", "53/udp,80/tcp" },
	{ "@HostConfig.PortBindings", "53/udp,80/tcp" },
};

static void render_and_check(const char *label, struct ctr_rec *r, const char *const *links,
			     const struct check *c, size_t n)
{
	struct inspect_extra x = { "/run/ctrlink", links };
	char *out = NULL;
	int e = inspect_render(r, &x, &out);
	if (!ok(e == 0 && out, "%s: rendered (%s)", label, e ? ctr_err_msg() : "ok"))
		return;
	run_checks(label, out, c, n);
	free(out);
}

static void test_inspect(void)
{
	static const char *const links[] = { "/db:/web/db", NULL };
	static const char *const no_links[] = { NULL };
	struct ctr_rec *r = running_rec();
	render_and_check("running", r, links, running_checks, ARRAY_SIZE(running_checks));
	rec_free(r);

	r = exited_rec();
	render_and_check("exited", r, NULL, exited_checks, ARRAY_SIZE(exited_checks));
	r->restart_policy = RP_ON_FAILURE;
	r->restart_max = 5;
	r->restart_count = 3;
	r->restarting = true;
	render_and_check("restarting", r, NULL, restarting_checks, ARRAY_SIZE(restarting_checks));
	rec_free(r);

	r = running_rec();
	r->status = ST_CREATED;
	r->started = 0;
	render_and_check("created", r, no_links, created_checks, ARRAY_SIZE(created_checks));
	r->status = ST_STARTING;
	render_and_check("starting", r, no_links, created_checks, ARRAY_SIZE(created_checks));
	rec_free(r);

	r = calloc(1, sizeof *r);
	memcpy(r->id, ID, sizeof r->id);
	r->name = strdup("b");
	r->argv = strv((const char *const[]){ "sh", NULL });
	r->env = strv((const char *const[]){ "PATH=/x", NULL });
	r->hostname = strdup("b");
	const struct ctr_binding b[] = {
		{ { 80, CTR_TCP }, "", 8080, 8080 },
		{ { 53, CTR_UDP }, "", 53, 53 },
		{ { 80, CTR_TCP }, "::1", 8000, 9000 },
	};
	if (rec_add_bindings(r, b, 3) < 0)
		abort();
	render_and_check("bindings", r, NULL, bindings_checks, ARRAY_SIZE(bindings_checks));
	r->status = ST_RUNNING; /* running without mappings: every exposed port is null */
	render_and_check("bindings running", r, NULL, bindings_running_checks,
			 ARRAY_SIZE(bindings_running_checks));
	rec_free(r);
}

/* ---- inspect_state: the typed read agrees with State.Status --------------------------------- */

static void test_state(void)
{
	static const struct {
		const char *label;
		int status;
		bool restarting, unreadable;
		ctr_status_code code;
		const char *name;
		bool has_pid;
	} t[] = {
		{ "running", ST_RUNNING, false, false, CTR_STATUS_RUNNING, "running", true },
		{ "created", ST_CREATED, false, false, CTR_STATUS_CREATED, "created", false },
		{ "starting", ST_STARTING, false, false, CTR_STATUS_CREATED, "created", false },
		{ "exited", ST_EXITED, false, false, CTR_STATUS_EXITED, "exited", false },
		{ "restarting", ST_EXITED, true, false, CTR_STATUS_RESTARTING, "restarting", false },
		{ "dead", ST_RUNNING, false, true, CTR_STATUS_DEAD, "dead", true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct ctr_rec *r = running_rec();
		r->status = (enum ctr_status)t[i].status;
		r->restarting = t[i].restarting;
		r->unreadable = t[i].unreadable;
		ctr_state st = CTR_STATE_INIT;
		int e = inspect_state(r, &st);
		ok(e == 0 && st.version == CTR_STATE_VERSION && st.status == t[i].code &&
		   strcmp(st.status_name, t[i].name) == 0 && (st.pid != 0) == t[i].has_pid &&
		   (st.ip[0] != '\0') == t[i].has_pid && (st.n_ports != 0) == t[i].has_pid,
		   "state %s: status %d \"%s\", pid %d, ip \"%s\", %zu ports", t[i].label,
		   (int)st.status, st.status_name, st.pid, st.ip, st.n_ports);
		free(st.ports);
		rec_free(r);
	}
}

/* ---- list_entry ---------------------------------------------------------------------------- */

static void test_list(void)
{
	static const char *const names[] = { "/web", "/web2/db", NULL };
	cJSON *arr = cJSON_CreateArray();
	struct ctr_rec *run = running_rec(), *ex = exited_rec();
	int e1 = list_entry(run, names, arr);
	int e2 = list_entry(ex, (const char *const[]){ "/db", NULL }, arr);
	run->status = ST_STARTING;
	int e3 = list_entry(run, names, arr);
	ok(e1 == 0 && e2 == 0 && e3 == 0 && cJSON_GetArraySize(arr) == 3,
	   "list_entry appends one entry per call");
	char *json = cJSON_PrintUnformatted(arr);
	static const struct check checks[] = {
		{ "0.Id", "\"" ID "\"" },
		{ "0.Names", "[\"/web\",\"/web2/db\"]" },
		{ "0.Command", "\"nginx -g daemon off;\"" },
		{ "0.Created", "1700000000" },
		{ "0.State", "\"running\"" },
		{ "0.ExitCode", "0" },
		{ "0.StartedAt", "\"2023-11-14T22:13:21.5Z\"" },
		{ "0.FinishedAt", ZERO_TIME },
		{ "0.Ports",
		  "[{\"PrivatePort\":53,\"Type\":\"udp\"},"
		  "{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\"},"
		  "{\"IP\":\"127.0.0.1\",\"PrivatePort\":443,\"PublicPort\":49153,"
		  "\"Type\":\"tcp\"}]" },
		{ "1.Names", "[\"/db\"]" },
		{ "1.Command", "\"postgres\"" },
		{ "1.Created", "1" },
		{ "1.State", "\"exited\"" },
		{ "1.ExitCode", "137" },
		{ "1.Ports", "[]" },
		{ "2.State", "\"created\"" },
		{ "2.Ports", "[]" },
	};
	run_checks("list", json, checks, ARRAY_SIZE(checks));
	free(json);
	cJSON_Delete(arr);
	rec_free(run);
	rec_free(ex);
}

int main(void)
{
	test_inspect();
	test_state();
	test_list();
	return done_testing();
}
