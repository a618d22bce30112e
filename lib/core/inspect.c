/* Rendering records in Docker's shapes (pure): `docker inspect` and `GET /containers/json`. */
#include "core/inspect.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/restart.h"
#include "core/util.h"

#define DEFAULT_PATH_ENV "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* A tiny builder: every add checks, the first failure sticks. */
struct jb {
	bool oom;
};

static cJSON *chk(struct jb *b, cJSON *item)
{
	if (!item)
		b->oom = true;
	return item;
}

static void add(struct jb *b, cJSON *o, const char *k, cJSON *v)
{
	if (!v || !cJSON_AddItemToObject(o, k, v)) {
		cJSON_Delete(v);
		b->oom = true;
	}
}

static void add_s(struct jb *b, cJSON *o, const char *k, const char *v)
{
	add(b, o, k, cJSON_CreateString(v ? v : ""));
}

static void add_n(struct jb *b, cJSON *o, const char *k, double v)
{
	add(b, o, k, cJSON_CreateNumber(v));
}

static void add_b(struct jb *b, cJSON *o, const char *k, bool v)
{
	add(b, o, k, cJSON_CreateBool(v));
}

static void add_null(struct jb *b, cJSON *o, const char *k)
{
	add(b, o, k, cJSON_CreateNull());
}

static cJSON *strv_json(struct jb *b, char **v, bool null_if_empty)
{
	if (!v || !v[0])
		return chk(b, null_if_empty ? cJSON_CreateNull() : cJSON_CreateArray());
	cJSON *a = chk(b, cJSON_CreateArray());
	for (size_t i = 0; a && v[i]; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(v[i])))
			b->oom = true;
	return a;
}

static void add_time(struct jb *b, cJSON *o, const char *k, int64_t ns)
{
	char t[48];
	time_format(ns, t, sizeof t);
	add_s(b, o, k, t);
}

/* Go prints map keys sorted as strings ("443/tcp" before "80/tcp"): so do we. */
static cJSON *sorted(cJSON *obj)
{
	if (!obj || !obj->child)
		return obj;
	cJSON *head = NULL;
	for (cJSON *c = obj->child, *next; c; c = next) {
		next = c->next;
		cJSON **pp = &head;
		while (*pp && strcmp((*pp)->string, c->string) <= 0)
			pp = &(*pp)->next;
		c->next = *pp;
		*pp = c;
	}
	/* relink prev pointers (cJSON keeps child->prev as the tail) */
	cJSON *prev = NULL;
	for (cJSON *c = head; c; c = c->next) {
		c->prev = prev;
		prev = c;
	}
	head->prev = prev;
	obj->child = head;
	return obj;
}

static cJSON *state_json(struct jb *b, const struct ctr_rec *r)
{
	cJSON *s = chk(b, cJSON_CreateObject());
	if (!s)
		return NULL;
	bool running = r->status == ST_RUNNING;
	add_s(b, s, "Status", rec_state_name(r));
	add_b(b, s, "Running", rec_running(r));
	add_b(b, s, "Paused", false);
	add_b(b, s, "Restarting", r->restarting);
	add_b(b, s, "OOMKilled", false);
	add_b(b, s, "Dead", false);
	add_n(b, s, "Pid", running ? r->pid : 0);
	add_n(b, s, "ExitCode", r->exit_code);
	add_s(b, s, "Error", r->error);
	add_time(b, s, "StartedAt", r->started);
	add_time(b, s, "FinishedAt", r->finished);
	/* as podman's: the run's cgroup, from the hierarchy's top ("": none of its own) */
	add_s(b, s, "CgroupPath", running && r->cgroup ? r->cgroup : "");
	return s;
}

static cJSON *binding_obj(struct jb *b, const char *ip, const char *port)
{
	cJSON *o = chk(b, cJSON_CreateObject());
	if (o) {
		add_s(b, o, "HostIp", ip);
		add_s(b, o, "HostPort", port);
	}
	return o;
}

/* {"80/tcp": [...], ...}; an existing key's list is extended */
static void push_port(struct jb *b, cJSON *map, const struct ctr_port *p, cJSON *entry)
{
	char key[16];
	port_format(p, key, sizeof key);
	cJSON *list = cJSON_GetObjectItemCaseSensitive(map, key);
	if (!list || cJSON_IsNull(list)) {
		if (list)
			cJSON_DeleteItemFromObjectCaseSensitive(map, key);
		list = chk(b, cJSON_CreateArray());
		add(b, map, key, list);
	}
	if (list && entry && !cJSON_AddItemToArray(list, entry)) {
		cJSON_Delete(entry);
		b->oom = true;
	}
}

static cJSON *bindings_json(struct jb *b, const struct ctr_rec *r)
{
	cJSON *m = chk(b, cJSON_CreateObject());
	for (size_t i = 0; m && i < r->n_bindings; i++) {
		char hp[16];
		binding_hostport(&r->bindings[i], hp, sizeof hp);
		push_port(b, m, &r->bindings[i].cport, binding_obj(b, r->bindings[i].host_ip, hp));
	}
	return sorted(m);
}

static cJSON *ports_json(struct jb *b, const struct ctr_rec *r)
{
	cJSON *m = chk(b, cJSON_CreateObject());
	if (!m || r->status != ST_RUNNING)
		return m; /* a stopped container shows {} */
	for (size_t i = 0; i < r->n_exposed; i++) {
		char key[16];
		port_format(&r->exposed[i], key, sizeof key);
		add_null(b, m, key);
	}
	for (size_t i = 0; i < r->n_mappings; i++) {
		char hp[8];
		snprintf(hp, sizeof hp, "%u", r->mappings[i].hport);
		push_port(b, m, &r->mappings[i].cport, binding_obj(b, r->mappings[i].host_ip, hp));
	}
	return sorted(m);
}

static void net_fields(struct jb *b, cJSON *o, const struct ctr_rec *r, bool top)
{
	bool on = r->status == ST_RUNNING && r->has_net;
	bool v6 = on && r->net.prefixlen6;
	char ip[16] = "", gw[16] = "", mac[18] = "", ip6[46] = "", gw6[46] = "";
	if (on) {
		ip4_format(r->net.ip, ip, sizeof ip);
		ip4_format(r->net.gateway, gw, sizeof gw);
		mac_format(r->net.mac, mac, sizeof mac);
	}
	if (v6) {
		ip6_format(r->net.ip6, ip6, sizeof ip6);
		ip6_format(r->net.gateway6, gw6, sizeof gw6);
	}
	if (!top) {
		add_null(b, o, "IPAMConfig");
		add_null(b, o, "Links");
		add_null(b, o, "Aliases");
		add_s(b, o, "NetworkID", "");
	}
	add_s(b, o, "EndpointID", on ? r->id : "");
	add_s(b, o, "Gateway", gw);
	add_s(b, o, "GlobalIPv6Address", ip6);
	add_n(b, o, "GlobalIPv6PrefixLen", v6 ? r->net.prefixlen6 : 0);
	add_s(b, o, "IPAddress", ip);
	add_n(b, o, "IPPrefixLen", on ? r->net.prefixlen : 0);
	add_s(b, o, "IPv6Gateway", gw6);
	add_s(b, o, "MacAddress", mac);
	if (!top)
		add_null(b, o, "DriverOpts");
}

static cJSON *network_json(struct jb *b, const struct ctr_rec *r, const struct inspect_extra *x)
{
	cJSON *n = chk(b, cJSON_CreateObject());
	if (!n)
		return NULL;
	bool on = r->status == ST_RUNNING && r->has_net;
	add_s(b, n, "Bridge", on ? r->net.bridge : "");
	add_s(b, n, "SandboxID", on ? r->id : "");
	add_b(b, n, "HairpinMode", on); /* every bridge port of ours has hairpin mode */
	add_s(b, n, "LinkLocalIPv6Address", "");
	add_n(b, n, "LinkLocalIPv6PrefixLen", 0);
	add(b, n, "Ports", ports_json(b, r));
	char key[64] = "";
	if (on)
		snprintf(key, sizeof key, "/proc/%d/ns/net", (int)r->pid);
	add_s(b, n, "SandboxKey", key);
	add_null(b, n, "SecondaryIPAddresses");
	add_null(b, n, "SecondaryIPv6Addresses");
	net_fields(b, n, r, true);
	cJSON *nets = chk(b, cJSON_CreateObject());
	add(b, n, "Networks", nets);
	cJSON *br = chk(b, cJSON_CreateObject());
	if (nets)
		add(b, nets, "bridge", br);
	if (br)
		net_fields(b, br, r, false);
	(void)x;
	return n;
}

static void path_field(struct jb *b, cJSON *o, const char *k, const struct inspect_extra *x,
		       const char *id, const char *file)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/containers/%s/%s", x->state_dir, id, file);
	add_s(b, o, k, p);
}

int inspect_render(const struct ctr_rec *r, const struct inspect_extra *x, char **out)
{
	struct jb b = { false };
	cJSON *o = chk(&b, cJSON_CreateObject());
	char name[300];
	if (!o)
		return ctr_err(-ENOMEM, "out of memory");
	add_s(&b, o, "Id", r->id);
	add_time(&b, o, "Created", r->created);
	static char *const none[] = { "", NULL }; /* an endpoint runs no command */
	char *const *argv = r->argv && r->argv[0] ? r->argv : none;
	add_s(&b, o, "Path", argv[0]);
	add(&b, o, "Args", strv_json(&b, (char **)argv + 1, false));
	if (r->owner) {
		cJSON *ep = chk(&b, cJSON_CreateObject());
		add_s(&b, ep, "Owner", r->owner);
		add_s(&b, ep, "NetNS", r->netns ? r->netns : "");
		add_s(&b, ep, "IfName", r->ifname ? r->ifname : "");
		add(&b, o, "Endpoint", ep);
	}
	add(&b, o, "State", state_json(&b, r));
	add_s(&b, o, "Image", "");
	path_field(&b, o, "ResolvConfPath", x, r->id, "resolv.conf");
	path_field(&b, o, "HostnamePath", x, r->id, "hostname");
	path_field(&b, o, "HostsPath", x, r->id, "hosts");
	path_field(&b, o, "LogPath", x, r->id, "log.json");
	snprintf(name, sizeof name, "/%s", r->name);
	add_s(&b, o, "Name", name);
	add_n(&b, o, "RestartCount", (double)r->restart_count);

	cJSON *hc = chk(&b, cJSON_CreateObject());
	add(&b, o, "HostConfig", hc);
	if (hc) {
		add_s(&b, hc, "NetworkMode", "bridge");
		add(&b, hc, "PortBindings", bindings_json(&b, r));
		add(&b, hc, "Links", strv_json(&b, (char **)x->links, true));
		add_b(&b, hc, "PublishAllPorts", r->publish_all);
		add_b(&b, hc, "AutoRemove", r->auto_remove);
		/* as Docker's: the cgroup its runs' cgroups are made under ("": its starter's) */
		char parent[256] = "";
		const char *slash = r->cgroup ? strrchr(r->cgroup, '/') : NULL;
		if (slash && slash > r->cgroup)
			snprintf(parent, sizeof parent, "%.*s", (int)(slash - r->cgroup), r->cgroup);
		add_s(&b, hc, "CgroupParent", parent);
		cJSON *rp = chk(&b, cJSON_CreateObject());
		add(&b, hc, "RestartPolicy", rp);
		if (rp) {
			add_s(&b, rp, "Name", restart_policy_name(r->restart_policy));
			add_n(&b, rp, "MaximumRetryCount", r->restart_max);
		}
		cJSON *lc = chk(&b, cJSON_CreateObject());
		add(&b, hc, "LogConfig", lc);
		if (lc) {
			add_s(&b, lc, "Type", "json-file");
			cJSON *cfg = chk(&b, cJSON_CreateObject());
			add(&b, lc, "Config", cfg);
			char files[16];
			snprintf(files, sizeof files, "%d", r->log.max_file);
			if (cfg && r->log.size_text[0]) {
				add_s(&b, cfg, "max-file", files);
				add_s(&b, cfg, "max-size", r->log.size_text);
			}
		}
		add(&b, hc, "CapAdd", strv_json(&b, r->cap_add, true));
		add(&b, hc, "CapDrop", strv_json(&b, r->cap_drop, true));
		/* Docker's field ("": the host's); podman's mode name and IDMappings */
		add_s(&b, hc, "UsernsMode", r->userns ? "auto" : "");
		cJSON *idm = r->userns ? chk(&b, cJSON_CreateObject()) : NULL;
		if (idm) {
			add(&b, hc, "IDMappings", idm);
			char map[2][40];
			snprintf(map[0], sizeof map[0], "0:%u:%u", r->userns_uid, r->userns_size);
			snprintf(map[1], sizeof map[1], "0:%u:%u", r->userns_gid, r->userns_size);
			for (int k = 0; k < 2; k++) {
				const char *one[1] = { map[k] };
				add(&b, idm, k ? "GidMap" : "UidMap", cJSON_CreateStringArray(one, 1));
			}
		}
	}

	cJSON *cf = chk(&b, cJSON_CreateObject());
	add(&b, o, "Config", cf);
	if (cf) {
		add_s(&b, cf, "Hostname", r->hostname);
		add_s(&b, cf, "Domainname", r->domainname);
		add_s(&b, cf, "User", r->user);
		if (r->n_exposed) {
			cJSON *ep = chk(&b, cJSON_CreateObject());
			add(&b, cf, "ExposedPorts", ep);
			for (size_t i = 0; ep && i < r->n_exposed; i++) {
				char key[16];
				port_format(&r->exposed[i], key, sizeof key);
				add(&b, ep, key, cJSON_CreateObject());
			}
			sorted(ep);
		}
		/* Config.Env: the default PATH (our "image" environment) with -e merged in */
		cJSON *env = chk(&b, cJSON_CreateArray());
		add(&b, cf, "Env", env);
		bool path_set = false;
		for (size_t i = 0; r->env && r->env[i]; i++)
			path_set |= str_has_prefix(r->env[i], "PATH=") || strcmp(r->env[i], "PATH") == 0;
		if (env && !path_set && !cJSON_AddItemToArray(env, cJSON_CreateString(DEFAULT_PATH_ENV)))
			b.oom = true;
		for (size_t i = 0; env && r->env && r->env[i]; i++)
			if (strchr(r->env[i], '=') &&
			    !cJSON_AddItemToArray(env, cJSON_CreateString(r->env[i])))
				b.oom = true;
		add(&b, cf, "Cmd", strv_json(&b, (char **)argv, false));
		add_s(&b, cf, "WorkingDir", r->workdir);
		add_s(&b, cf, "Image", "");
		add_s(&b, cf, "Rootfs", r->rootfs);
	}
	add(&b, o, "NetworkSettings", network_json(&b, r, x));
	char *s = b.oom ? NULL : cJSON_Print(o);
	cJSON_Delete(o);
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	*out = s;
	return 0;
}

int list_entry(const struct ctr_rec *r, const char *const *names, void *array)
{
	struct jb b = { false };
	cJSON *o = chk(&b, cJSON_CreateObject());
	if (!o || !cJSON_AddItemToArray(array, o)) {
		cJSON_Delete(o);
		return ctr_err(-ENOMEM, "out of memory");
	}
	add_s(&b, o, "Id", r->id);
	add(&b, o, "Names", strv_json(&b, (char **)names, false));
	struct sbuf cmd = SBUF_INIT;
	for (size_t i = 0; r->argv && r->argv[i]; i++) {
		if (i)
			sb_addc(&cmd, ' ');
		sb_add(&cmd, r->argv[i]);
	}
	add_s(&b, o, "Command", sb_str(&cmd));
	sb_free(&cmd);
	add_n(&b, o, "Created", (double)(r->created / 1000000000));
	add_s(&b, o, "State", rec_state_name(r));
	add_n(&b, o, "ExitCode", r->exit_code);
	add_time(&b, o, "StartedAt", r->started);
	add_time(&b, o, "FinishedAt", r->finished);
	cJSON *ports = chk(&b, cJSON_CreateArray());
	add(&b, o, "Ports", ports);
	if (ports && r->status == ST_RUNNING) {
		for (size_t i = 0; i < r->n_exposed; i++) {
			bool mapped = false;
			for (size_t j = 0; j < r->n_mappings && !mapped; j++)
				mapped = port_cmp(&r->mappings[j].cport, &r->exposed[i]) == 0;
			if (mapped)
				continue;
			cJSON *p = chk(&b, cJSON_CreateObject());
			if (p && !cJSON_AddItemToArray(ports, p)) {
				cJSON_Delete(p);
				b.oom = true;
			} else if (p) {
				add_n(&b, p, "PrivatePort", r->exposed[i].port);
				add_s(&b, p, "Type", proto_name(r->exposed[i].proto));
			}
		}
		for (size_t j = 0; j < r->n_mappings; j++) {
			cJSON *p = chk(&b, cJSON_CreateObject());
			if (p && !cJSON_AddItemToArray(ports, p)) {
				cJSON_Delete(p);
				b.oom = true;
			} else if (p) {
				add_s(&b, p, "IP", r->mappings[j].host_ip);
				add_n(&b, p, "PrivatePort", r->mappings[j].cport.port);
				add_n(&b, p, "PublicPort", r->mappings[j].hport);
				add_s(&b, p, "Type", proto_name(r->mappings[j].cport.proto));
			}
		}
	}
	return b.oom ? ctr_err(-ENOMEM, "out of memory") : 0;
}

int inspect_state(const struct ctr_rec *r, ctr_state *out)
{
	unsigned version = out->version;
	memset(out, 0, sizeof *out);
	out->version = version;
	snprintf(out->id, sizeof out->id, "%s", r->id);
	snprintf(out->name, sizeof out->name, "%s", r->name ? r->name : "");
	snprintf(out->status_name, sizeof out->status_name, "%s", rec_state_name(r));
	/* rec_state_name()'s order of precedence */
	out->status = r->unreadable		 ? CTR_STATUS_DEAD
		      : r->restarting		 ? CTR_STATUS_RESTARTING
		      : r->status == ST_RUNNING ? CTR_STATUS_RUNNING
		      : r->status == ST_EXITED	 ? CTR_STATUS_EXITED
						 : CTR_STATUS_CREATED;
	out->running = rec_running(r);
	bool running = r->status == ST_RUNNING;
	out->pid = running ? r->pid : 0;
	out->exit_code = r->exit_code;
	if (running && r->has_net) {
		ip4_format(r->net.ip, out->ip, sizeof out->ip);
		ip4_format(r->net.gateway, out->gateway, sizeof out->gateway);
		if (r->net.prefixlen6) {
			ip6_format(r->net.ip6, out->ip6, sizeof out->ip6);
			ip6_format(r->net.gateway6, out->gateway6, sizeof out->gateway6);
		}
	}
	if (!running || !r->n_mappings)
		return 0; /* as ports_json(): a stopped container shows none */
	out->ports = calloc(r->n_mappings, sizeof *out->ports);
	if (!out->ports)
		return ctr_err(-ENOMEM, "out of memory");
	out->n_ports = r->n_mappings;
	for (size_t i = 0; i < r->n_mappings; i++) {
		ctr_port_map *p = &out->ports[i];
		p->container_port = r->mappings[i].cport.port;
		p->host_port = r->mappings[i].hport;
		snprintf(p->proto, sizeof p->proto, "%s", proto_name(r->mappings[i].cport.proto));
		snprintf(p->host_ip, sizeof p->host_ip, "%s", r->mappings[i].host_ip);
	}
	return 0;
}
