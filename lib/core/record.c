#include "core/record.h"
#include "core/names.h"
#include "core/restart.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/util.h"

/* The newest record version this library reads.  A record is written as version 1 unless it
 * holds what a library that knows only version 1 must not read as it would: version 2 has a
 * user namespace ("userns"; dropped, container root would start as host root) or runs of
 * ports as one entry each (see "runs" below; read as one port each).  Such a library shows a
 * version-2 record as "dead" instead. */
#define REC_VERSION 2
#define REC_VERSION_PLAIN 1

static const char *const status_names[] = { "created", "starting", "running", "exited" };

const char *status_name(enum ctr_status st)
{
	return (unsigned)st < ARRAY_SIZE(status_names) ? status_names[st] : "unknown";
}

void rec_free(struct ctr_rec *rec)
{
	if (!rec)
		return;
	free(rec->name);
	free(rec->owner);
	free(rec->netns);
	free(rec->ifname);
	strv_free(rec->argv);
	strv_free(rec->env);
	free(rec->hostname);
	free(rec->domainname);
	free(rec->workdir);
	free(rec->rootfs);
	free(rec->user);
	strv_free(rec->cap_add);
	strv_free(rec->cap_drop);
	free(rec->exposed);
	free(rec->bindings);
	for (size_t i = 0; i < rec->n_links; i++) {
		free(rec->links[i].target);
		free(rec->links[i].alias);
	}
	free(rec->links);
	free(rec->error);
	free(rec->cgroup);
	free(rec->mappings);
	free(rec);
}

void mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

void ip4_format(uint32_t ip, char *buf, size_t len)
{
	if (!inet_ntop(AF_INET, &ip, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}

void ip6_format(const uint8_t ip[16], char *buf, size_t len)
{
	if (!inet_ntop(AF_INET6, ip, buf, (socklen_t)len) && len)
		buf[0] = '\0';
}

void mac_from_ip4(uint32_t ip, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, &ip, 4);
}

void time_format(int64_t ns, char *buf, size_t len)
{
	if (ns <= 0) {
		snprintf(buf, len, "0001-01-01T00:00:00Z");
		return;
	}
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char head[32];
	strftime(head, sizeof head, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac == 0) {
		snprintf(buf, len, "%sZ", head);
		return;
	}
	char f[16];
	snprintf(f, sizeof f, "%09ld", frac);
	for (int i = 8; i > 0 && f[i] == '0'; i--)
		f[i] = '\0';
	snprintf(buf, len, "%s.%sZ", head, f);
}

/* ---- writing ------------------------------------------------------------------------------ */

static bool add_str(cJSON *o, const char *key, const char *v)
{
	if (!v)
		return true;
	return cJSON_AddStringToObject(o, key, v) != NULL;
}

static bool add_strv(cJSON *o, const char *key, char **v)
{
	if (!v)
		return true;
	cJSON *a = cJSON_AddArrayToObject(o, key);
	if (!a)
		return false;
	for (size_t i = 0; v[i]; i++) {
		cJSON *s = cJSON_CreateString(v[i]);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return true;
}

static bool add_u64(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static bool add_num(cJSON *o, const char *key, double v)
{
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

static bool add_ip(cJSON *o, const char *key, uint32_t ip)
{
	char buf[16];
	ip4_format(ip, buf, sizeof buf);
	return add_str(o, key, buf);
}

static bool push(cJSON *arr, cJSON *item)
{
	if (!item || !cJSON_AddItemToArray(arr, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

/* ---- runs -------------------------------------------------------------------------------
 * The model keeps one element per port (an exposed port, a binding, a mapping); on disk, a run
 * of elements that follow one another by the same steps is one entry, so that a published range
 * of 1000 ports costs one entry to write and to read, not 1000 (issue 16):
 *   exposed    "20000-20999/tcp": the ports 20000 to 20999 (a set: order does not matter)
 *   bindings,  the run's first element, with "count" (elements, at least 2), "port_step" (the
 *   mappings   container port's step) and "host_step" (the host port's); element k is the first
 *              with the container port + k * port_step and the host port(s) + k * host_step.
 * An entry without "count" is one element, exactly as records of version 1 wrote them. */

/* The steps from a to b when b may follow a in a run of bindings: the same protocol, host
 * address and kind of host port, no port going down, not the same ports. */
static bool binding_steps(const struct ctr_binding *a, const struct ctr_binding *b, unsigned *ps,
			  unsigned *hs)
{
	if (a->cport.proto != b->cport.proto || a->hp_zero != b->hp_zero ||
	    b->cport.port < a->cport.port || b->hp_lo < a->hp_lo ||
	    (a->hp_lo == 0) != (b->hp_lo == 0) || b->hp_hi - b->hp_lo != a->hp_hi - a->hp_lo ||
	    strcmp(a->host_ip, b->host_ip) != 0)
		return false;
	*ps = (unsigned)(b->cport.port - a->cport.port);
	*hs = (unsigned)(b->hp_lo - a->hp_lo);
	return *ps || *hs;
}

static bool mapping_steps(const struct ctr_mapping *a, const struct ctr_mapping *b, unsigned *ps,
			  unsigned *hs)
{
	if (a->cport.proto != b->cport.proto || b->cport.port < a->cport.port ||
	    b->hport < a->hport || strcmp(a->host_ip, b->host_ip) != 0)
		return false;
	*ps = (unsigned)(b->cport.port - a->cport.port);
	*hs = (unsigned)(b->hport - a->hport);
	return *ps || *hs;
}

/* The length of the run of v[i..n) (at least 1) and its steps; `steps` is binding_steps or
 * mapping_steps, `size` the element's. */
static size_t run_len(const void *v, size_t size, size_t i, size_t n,
		      bool (*steps)(const void *, const void *, unsigned *, unsigned *),
		      unsigned *ps, unsigned *hs)
{
	const char *base = v;
	size_t k = i + 1;
	if (k >= n || !steps(base + i * size, base + k * size, ps, hs))
		return 1;
	for (k++; k < n; k++) {
		unsigned p, h;
		if (!steps(base + (k - 1) * size, base + k * size, &p, &h) || p != *ps || h != *hs)
			break;
	}
	/* a pair whose second element starts a longer run: the first goes alone */
	unsigned p2, h2, p3, h3;
	if (k - i == 2 && i + 3 < n &&
	    steps(base + (i + 1) * size, base + (i + 2) * size, &p2, &h2) &&
	    steps(base + (i + 2) * size, base + (i + 3) * size, &p3, &h3) && p2 == p3 && h2 == h3)
		return 1;
	return k - i;
}

static bool binding_steps_v(const void *a, const void *b, unsigned *ps, unsigned *hs)
{
	return binding_steps(a, b, ps, hs);
}

static bool mapping_steps_v(const void *a, const void *b, unsigned *ps, unsigned *hs)
{
	return mapping_steps(a, b, ps, hs);
}

/* "count", "port_step", "host_step" of a run of cnt elements (nothing for one element) */
static bool add_run(cJSON *e, size_t cnt, unsigned ps, unsigned hs)
{
	return cnt < 2 || (cJSON_AddNumberToObject(e, "count", (double)cnt) &&
			   cJSON_AddNumberToObject(e, "port_step", ps) &&
			   cJSON_AddNumberToObject(e, "host_step", hs));
}

/* Whether the record holds a run of more than one element (it is then written as version 2). */
static bool has_runs(const struct ctr_rec *r)
{
	unsigned ps, hs;
	for (size_t i = 0; i + 1 < r->n_bindings; i++)
		if (binding_steps(&r->bindings[i], &r->bindings[i + 1], &ps, &hs))
			return true;
	for (size_t i = 0; i + 1 < r->n_mappings; i++)
		if (mapping_steps(&r->mappings[i], &r->mappings[i + 1], &ps, &hs))
			return true;
	for (size_t i = 0; i < r->n_exposed; i++)
		for (size_t j = i + 1; j < r->n_exposed && r->exposed[j].port <= r->exposed[i].port + 1;
		     j++)
			if (r->exposed[j].port == r->exposed[i].port + 1 &&
			    r->exposed[j].proto == r->exposed[i].proto)
				return true;
	return false;
}

/* The exposed ports in their order, each run of consecutive ports of one protocol as one entry
 * (the ports between its elements, of other protocols, are entries of their own). */
static bool add_exposed(cJSON *o, const struct ctr_rec *r)
{
	cJSON *a = cJSON_AddArrayToObject(o, "exposed");
	bool *used = calloc(r->n_exposed + 1, sizeof *used);
	bool okk = a && used;
	for (size_t i = 0; okk && i < r->n_exposed; i++) {
		const struct ctr_port *p = &r->exposed[i];
		unsigned hi = p->port;
		if (used[i])
			continue;
		for (size_t j = i + 1; j < r->n_exposed && r->exposed[j].port <= hi + 1; j++)
			if (r->exposed[j].proto == p->proto && r->exposed[j].port == hi + 1) {
				hi++;
				used[j] = true;
			}
		char buf[24];
		if (hi == p->port)
			snprintf(buf, sizeof buf, "%u/%s", (unsigned)p->port, proto_name(p->proto));
		else
			snprintf(buf, sizeof buf, "%u-%u/%s", (unsigned)p->port, hi,
				 proto_name(p->proto));
		okk = push(a, cJSON_CreateString(buf));
	}
	free(used);
	return okk;
}

static cJSON *build(const struct ctr_rec *r)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	bool okk = add_num(o, "v", r->userns || has_runs(r) ? REC_VERSION : REC_VERSION_PLAIN) &&
		   add_str(o, "id", r->id) &&
		   add_str(o, "name", r->name) && add_u64(o, "created", (uint64_t)r->created) &&
		   add_strv(o, "argv", r->argv) && add_strv(o, "env", r->env) &&
		   add_str(o, "hostname", r->hostname) && add_str(o, "domainname", r->domainname) &&
		   add_str(o, "workdir", r->workdir) && add_str(o, "rootfs", r->rootfs) &&
		   add_str(o, "user", r->user) && add_strv(o, "cap_add", r->cap_add) &&
		   add_strv(o, "cap_drop", r->cap_drop) &&
		   cJSON_AddBoolToObject(o, "publish_all", r->publish_all) &&
		   cJSON_AddBoolToObject(o, "auto_remove", r->auto_remove) &&
		   (!r->unconfined || cJSON_AddBoolToObject(o, "unconfined", true)) &&
		   (!r->restart_policy ||
		    add_str(o, "restart_policy", restart_policy_name(r->restart_policy))) &&
		   (!r->restart_max || add_num(o, "restart_max", r->restart_max)) &&
		   (!r->log.size_text[0] || (add_str(o, "log_max_size", r->log.size_text) &&
					      add_num(o, "log_max_file", r->log.max_file)));
	cJSON *a;
	okk = okk && add_exposed(o, r);
	if (okk && (okk = (a = cJSON_AddArrayToObject(o, "bindings")) != NULL))
		for (size_t i = 0, cnt; okk && i < r->n_bindings; i += cnt) {
			const struct ctr_binding *b = &r->bindings[i];
			unsigned ps = 0, hs = 0;
			char hp[16], cp[16];
			cnt = run_len(r->bindings, sizeof *b, i, r->n_bindings, binding_steps_v, &ps, &hs);
			binding_hostport(b, hp, sizeof hp);
			port_format(&b->cport, cp, sizeof cp);
			cJSON *e = cJSON_CreateObject();
			okk = push(a, e) && add_str(e, "port", cp) && add_str(e, "host_ip", b->host_ip) &&
			      add_str(e, "host_port", hp) && add_run(e, cnt, ps, hs);
		}
	if (okk && (okk = (a = cJSON_AddArrayToObject(o, "links")) != NULL))
		for (size_t i = 0; okk && i < r->n_links; i++) {
			cJSON *e = cJSON_CreateObject();
			okk = push(a, e) && add_str(e, "target", r->links[i].target) &&
			      add_str(e, "alias", r->links[i].alias) &&
			      cJSON_AddBoolToObject(e, "env", r->links[i].env);
		}
	if (okk && r->userns) {
		cJSON *u = cJSON_AddObjectToObject(o, "userns");
		okk = u && add_num(u, "uid", r->userns_uid) && add_num(u, "gid", r->userns_gid) &&
		      add_num(u, "size", r->userns_size);
	}
	if (okk && r->owner) {
		cJSON *ep = cJSON_AddObjectToObject(o, "endpoint");
		okk = ep && add_str(ep, "owner", r->owner) && add_str(ep, "netns", r->netns) &&
		      add_str(ep, "ifname", r->ifname) && add_u64(ep, "netns_dev", r->netns_dev) &&
		      add_u64(ep, "netns_ino", r->netns_ino);
	}
	okk = okk && add_str(o, "status", status_name(r->status)) && add_num(o, "pid", r->pid) &&
	      add_u64(o, "pid_start", r->pid_start) && add_num(o, "mon_pid", r->mon_pid) &&
	      add_u64(o, "mon_start", r->mon_start) && add_num(o, "exit_code", r->exit_code) &&
	      add_u64(o, "started", (uint64_t)r->started) &&
	      add_u64(o, "finished", (uint64_t)r->finished) && add_str(o, "error", r->error) &&
	      add_u64(o, "generation", r->generation) &&
	      add_u64(o, "restart_gen", r->restart_gen) &&
	      (!r->restart_count || add_u64(o, "restart_count", r->restart_count)) &&
	      (!r->restart_delay || add_num(o, "restart_delay", r->restart_delay)) &&
	      (!r->restarting || cJSON_AddBoolToObject(o, "restarting", true)) &&
	      (!r->manual_stop || cJSON_AddBoolToObject(o, "manual_stop", true)) &&
	      add_str(o, "cgroup", r->cgroup);
	if (okk && r->has_net) {
		cJSON *n = cJSON_AddObjectToObject(o, "net");
		char mac[18];
		mac_format(r->net.mac, mac, sizeof mac);
		okk = n && add_ip(n, "ip", r->net.ip) && add_ip(n, "gateway", r->net.gateway) &&
		      add_num(n, "prefixlen", r->net.prefixlen) && add_str(n, "mac", mac) &&
		      add_str(n, "veth", r->net.veth) && add_str(n, "bridge", r->net.bridge);
		if (okk && r->net.prefixlen6) {
			char a6[46], g6[46];
			ip6_format(r->net.ip6, a6, sizeof a6);
			ip6_format(r->net.gateway6, g6, sizeof g6);
			okk = add_str(n, "ip6", a6) && add_str(n, "gateway6", g6) &&
			      add_num(n, "prefixlen6", r->net.prefixlen6);
		}
	}
	if (okk && (okk = (a = cJSON_AddArrayToObject(o, "mappings")) != NULL))
		for (size_t i = 0, cnt; okk && i < r->n_mappings; i += cnt) {
			const struct ctr_mapping *m = &r->mappings[i];
			unsigned ps = 0, hs = 0;
			char cp[16];
			cnt = run_len(r->mappings, sizeof *m, i, r->n_mappings, mapping_steps_v, &ps, &hs);
			port_format(&m->cport, cp, sizeof cp);
			cJSON *e = cJSON_CreateObject();
			okk = push(a, e) && add_str(e, "port", cp) && add_str(e, "host_ip", m->host_ip) &&
			      add_num(e, "host_port", m->hport) && add_run(e, cnt, ps, hs);
		}
	if (!okk) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int rec_to_json(const struct ctr_rec *rec, char **out)
{
	cJSON *o = build(rec);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	*out = s;
	return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

struct rd {
	const char *field; /* first bad field, for the message */
	long version;      /* the document's "v" */
	bool any_version;  /* read a document of another version as if it were ours */
};

static int bad(struct rd *rd, const char *field)
{
	if (!rd->field)
		rd->field = field;
	return -EINVAL;
}

/* Optional string (absent or null → NULL).  Values never carry control characters: many end
 * up in files built line by line. */
static int get_str(struct rd *rd, const cJSON *o, const char *key, bool required, bool ctl_ok,
		   char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return required ? bad(rd, key) : 0;
	if (!cJSON_IsString(v) || (!ctl_ok && str_has_ctl(v->valuestring)))
		return bad(rd, key);
	*out = strdup(v->valuestring);
	return *out ? 0 : -ENOMEM;
}

static int get_strv(struct rd *rd, const cJSON *o, const char *key, char ***out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *e;
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return bad(rd, key);
	char **l = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *l);
	if (!l)
		return -ENOMEM;
	size_t n = 0;
	cJSON_ArrayForEach(e, v)
	{
		if (!cJSON_IsString(e)) {
			strv_free(l);
			return bad(rd, key);
		}
		if (!(l[n++] = strdup(e->valuestring))) {
			strv_free(l);
			return -ENOMEM;
		}
	}
	*out = l;
	return 0;
}

static int get_u64(struct rd *rd, const cJSON *o, const char *key, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	unsigned long x = 0;
	*out = 0;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || parse_uint(v->valuestring, 0, UINT64_MAX, &x))
		return bad(rd, key);
	*out = x;
	return 0;
}

static int get_int(struct rd *rd, const cJSON *o, const char *key, long min, long max, long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = 0;
	if (!v) /* absent reads as 0, if 0 is a value the field may have */
		return min <= 0 && max >= 0 ? 0 : bad(rd, key);
	if (!cJSON_IsNumber(v) || v->valuedouble < (double)min || v->valuedouble > (double)max ||
	    v->valuedouble != (double)(long)v->valuedouble)
		return bad(rd, key);
	*out = (long)v->valuedouble;
	return 0;
}

static bool get_bool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int get_ip(struct rd *rd, const cJSON *o, const char *key, uint32_t *out)
{
	char *s;
	int r = get_str(rd, o, key, true, false, &s);
	if (r < 0)
		return r;
	r = inet_pton(AF_INET, s, out) == 1 ? 0 : bad(rd, key);
	free(s);
	return r;
}

/* Exactly "02:42:ac:11:00:03": six pairs of hex digits joined by ':'. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)strtoul(s + 3 * i, NULL, 16);
	return true;
}

static bool valid_host_ip(const char *s)
{
	unsigned char buf[16];
	return strlen(s) < CTR_IP_MAX &&
	       (!*s || inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

static int parse_hostport(const char *s, struct ctr_binding *b)
{
	unsigned long lo, hi;
	const char *dash = strchr(s, '-');
	b->hp_lo = b->hp_hi = 0;
	b->hp_zero = false;
	if (!*s)
		return 0;
	if (strcmp(s, "0") == 0) {
		b->hp_zero = true;
		return 0;
	}
	if (!dash) {
		if (parse_uint(s, 1, 65535, &lo))
			return -EINVAL;
		b->hp_lo = b->hp_hi = (uint16_t)lo;
		return 0;
	}
	char first[8];
	size_t n = (size_t)(dash - s);
	if (n == 0 || n >= sizeof first)
		return -EINVAL;
	memcpy(first, s, n);
	first[n] = '\0';
	if (parse_uint(first, 1, 65535, &lo) || parse_uint(dash + 1, 1, 65535, &hi) || hi < lo)
		return -EINVAL;
	b->hp_lo = (uint16_t)lo;
	b->hp_hi = (uint16_t)hi;
	return 0;
}

/* An exposed entry: "80/tcp", "80" (tcp) or a run "20000-20999/tcp" (lo < hi). */
static int parse_exposed(const char *s, struct ctr_port *lo, uint16_t *hi)
{
	const char *dash = strchr(s, '-');
	if (!dash)
		return port_parse_key(s, lo) < 0 ? -EINVAL : (*hi = lo->port, 0);
	char first[8];
	size_t n = (size_t)(dash - s);
	unsigned long v;
	struct ctr_port last;
	if (n == 0 || n >= sizeof first)
		return -EINVAL;
	memcpy(first, s, n);
	first[n] = '\0';
	if (parse_uint(first, 0, 65535, &v) < 0 || port_parse_key(dash + 1, &last) < 0 ||
	    last.port <= v)
		return -EINVAL;
	lo->port = (uint16_t)v;
	lo->proto = last.proto;
	*hi = last.port;
	return 0;
}

/* The run of an entry of bindings or mappings: "count" (absent: 1), "port_step" and
 * "host_step" (absent: 1); its last element's ports (first + (count - 1) * step) must be ports,
 * and a run's elements must differ.  host_max is the largest host port of its first element
 * (0 for an ephemeral binding: its host port cannot step). */
static int get_run(struct rd *rd, const char *field, const cJSON *x, uint16_t port,
		   uint16_t host_max, size_t *count, unsigned *ps, unsigned *hs)
{
	struct rd own = { 0 }; /* a bad count or step is named by its entry's field */
	long c = 1, p = 1, h = 1;
	if ((cJSON_GetObjectItemCaseSensitive(x, "count") &&
	     get_int(&own, x, "count", 1, 65536, &c) < 0) ||
	    (c > 1 && ((cJSON_GetObjectItemCaseSensitive(x, "port_step") &&
			get_int(&own, x, "port_step", 0, 65535, &p) < 0) ||
		       (cJSON_GetObjectItemCaseSensitive(x, "host_step") &&
			get_int(&own, x, "host_step", 0, 65535, &h) < 0) ||
		       (p == 0 && h == 0) || port + (c - 1) * p > 65535 ||
		       (h && (!host_max || host_max + (c - 1) * h > 65535)))))
		return bad(rd, field);
	*count = (size_t)c;
	*ps = (unsigned)p;
	*hs = (unsigned)h;
	return 0;
}

static int parse_doc(struct rd *rd, const cJSON *o, struct ctr_rec *r)
{
	int e;
	long l;
	uint64_t u;
	char *s;
	const cJSON *a, *x;

	if (!cJSON_IsObject(o))
		return bad(rd, "(document)");
	if ((e = get_int(rd, o, "v", 1, INT32_MAX, &rd->version)) < 0)
		return e;
	if (rd->version > REC_VERSION && !rd->any_version)
		return bad(rd, "v");
	if ((e = get_str(rd, o, "id", true, false, &s)) < 0)
		return e;
	bool idok = id_valid(s, SIZE_MAX);
	if (idok)
		memcpy(r->id, s, sizeof r->id);
	free(s);
	if (!idok)
		return bad(rd, "id");
	if ((e = get_str(rd, o, "name", true, false, &r->name)) < 0 ||
	    (e = get_u64(rd, o, "created", &u)) < 0)
		return e;
	r->created = (int64_t)u;
	if ((e = get_strv(rd, o, "argv", &r->argv)) < 0 || (e = get_strv(rd, o, "env", &r->env)) < 0 ||
	    (e = get_str(rd, o, "hostname", true, false, &r->hostname)) < 0 ||
	    (e = get_str(rd, o, "domainname", false, false, &r->domainname)) < 0 ||
	    (e = get_str(rd, o, "workdir", false, true, &r->workdir)) < 0 ||
	    (e = get_str(rd, o, "rootfs", false, true, &r->rootfs)) < 0 ||
	    (e = get_str(rd, o, "user", false, false, &r->user)) < 0 ||
	    (e = get_strv(rd, o, "cap_add", &r->cap_add)) < 0 ||
	    (e = get_strv(rd, o, "cap_drop", &r->cap_drop)) < 0)
		return e;
	const cJSON *ep = cJSON_GetObjectItemCaseSensitive(o, "endpoint");
	if (ep && !cJSON_IsObject(ep))
		return bad(rd, "endpoint");
	if (ep && ((e = get_str(rd, ep, "owner", true, false, &r->owner)) < 0 ||
		   (e = get_str(rd, ep, "netns", false, false, &r->netns)) < 0 ||
		   (e = get_str(rd, ep, "ifname", false, false, &r->ifname)) < 0 ||
		   (e = get_u64(rd, ep, "netns_dev", &r->netns_dev)) < 0 ||
		   (e = get_u64(rd, ep, "netns_ino", &r->netns_ino)) < 0))
		return e;
	if (!r->owner && (!r->argv || !r->argv[0])) /* an endpoint runs no command */
		return bad(rd, "argv");
	r->publish_all = get_bool(o, "publish_all");
	r->auto_remove = get_bool(o, "auto_remove");
	r->unconfined = get_bool(o, "unconfined");
	const cJSON *un = cJSON_GetObjectItemCaseSensitive(o, "userns");
	if (un) {
		long uid, gid, size;
		if (!cJSON_IsObject(un) || rd->version < 2)
			return bad(rd, "userns");
		if ((e = get_int(rd, un, "uid", 1, UINT32_MAX, &uid)) < 0 ||
		    (e = get_int(rd, un, "gid", 1, UINT32_MAX, &gid)) < 0 ||
		    (e = get_int(rd, un, "size", 1, 65536, &size)) < 0)
			return e;
		if ((uint64_t)uid + (uint64_t)size > UINT32_MAX ||
		    (uint64_t)gid + (uint64_t)size > UINT32_MAX)
			return bad(rd, "userns");
		r->userns = true;
		r->userns_uid = (uint32_t)uid;
		r->userns_gid = (uint32_t)gid;
		r->userns_size = (uint32_t)size;
	}
	if ((e = get_str(rd, o, "restart_policy", false, false, &s)) < 0)
		return e;
	if (s) { /* a name we write: never "no", which is its absence */
		for (int p = RP_ALWAYS; p <= RP_ON_FAILURE; p++)
			if (strcmp(s, restart_policy_name((enum restart_policy)p)) == 0)
				r->restart_policy = p;
		free(s);
		s = NULL;
		if (!r->restart_policy)
			return bad(rd, "restart_policy");
	}
	if ((e = get_int(rd, o, "restart_max", 0, INT32_MAX, &l)) < 0)
		return e;
	r->restart_max = (int)l;
	if (r->restart_max && r->restart_policy != RP_ON_FAILURE)
		return bad(rd, "restart_max");
	/* the log's limits; a record written before they existed gets the default */
	log_config_default(&r->log);
	if ((e = get_str(rd, o, "log_max_size", false, false, &s)) < 0)
		return e;
	if (s) {
		int64_t size = 0;
		int pe = strlen(s) < sizeof r->log.size_text ? log_size_parse(s, &size) : -EINVAL;
		if (!pe && size > 0)
			snprintf(r->log.size_text, sizeof r->log.size_text, "%s", s);
		free(s);
		s = NULL;
		if (pe || size <= 0)
			return bad(rd, "log_max_size");
		r->log.max_size = size;
		if ((e = get_int(rd, o, "log_max_file", 1, LOG_MAX_FILE_LIMIT, &l)) < 0)
			return e;
		r->log.max_file = (int)l;
	}

	a = cJSON_GetObjectItemCaseSensitive(o, "exposed");
	if (a && !cJSON_IsArray(a))
		return bad(rd, "exposed");
	cJSON_ArrayForEach(x, a)
	{
		struct ctr_port p, run[64];
		uint16_t hi;
		if (!cJSON_IsString(x) || parse_exposed(x->valuestring, &p, &hi) < 0)
			return bad(rd, "exposed");
		for (unsigned port = p.port; port <= hi;) { /* merged in 64 at a time */
			size_t k = 0;
			for (; k < ARRAY_SIZE(run) && port <= hi; k++, port++)
				run[k] = (struct ctr_port){ .port = (uint16_t)port, .proto = p.proto };
			if ((e = rec_expose(r, run, k)) < 0)
				return e;
		}
	}

	a = cJSON_GetObjectItemCaseSensitive(o, "bindings");
	if (a && !cJSON_IsArray(a))
		return bad(rd, "bindings");
	cJSON_ArrayForEach(x, a)
	{
		struct ctr_binding b = { 0 };
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "port");
		const cJSON *ip = cJSON_GetObjectItemCaseSensitive(x, "host_ip");
		const cJSON *hp = cJSON_GetObjectItemCaseSensitive(x, "host_port");
		if (!cJSON_IsString(p) || !cJSON_IsString(ip) || !cJSON_IsString(hp) ||
		    port_parse_key(p->valuestring, &b.cport) < 0 || !valid_host_ip(ip->valuestring) ||
		    parse_hostport(hp->valuestring, &b) < 0)
			return bad(rd, "bindings");
		snprintf(b.host_ip, sizeof b.host_ip, "%s", ip->valuestring);
		size_t cnt;
		unsigned ps, hs;
		if ((e = get_run(rd, "bindings", x, b.cport.port, b.hp_hi, &cnt, &ps, &hs)) < 0)
			return e;
		struct ctr_binding *v = cnt == 1 ? &b : malloc(cnt * sizeof *v);
		if (!v)
			return -ENOMEM;
		for (size_t k = 1; k < cnt; k++) {
			v[k] = b;
			v[k].cport.port = (uint16_t)(b.cport.port + k * ps);
			v[k].hp_lo = (uint16_t)(b.hp_lo + (b.hp_lo ? k * hs : 0));
			v[k].hp_hi = (uint16_t)(b.hp_hi + (b.hp_hi ? k * hs : 0));
		}
		if (cnt > 1)
			v[0] = b;
		e = rec_add_bindings(r, v, cnt);
		if (v != &b)
			free(v);
		if (e < 0)
			return e;
	}

	a = cJSON_GetObjectItemCaseSensitive(o, "links");
	if (a && !cJSON_IsArray(a))
		return bad(rd, "links");
	cJSON_ArrayForEach(x, a)
	{
		struct ctr_link k = { 0 };
		if ((e = get_str(rd, x, "target", true, false, &k.target)) < 0 ||
		    (e = get_str(rd, x, "alias", true, false, &k.alias)) < 0 || !id_valid(k.target, SIZE_MAX)) {
			free(k.target);
			free(k.alias);
			return e < 0 ? e : bad(rd, "links");
		}
		k.env = get_bool(x, "env");
		struct ctr_link *nl = realloc(r->links, (r->n_links + 1) * sizeof *nl);
		if (!nl) {
			free(k.target);
			free(k.alias);
			return -ENOMEM;
		}
		r->links = nl;
		r->links[r->n_links++] = k;
	}

	if ((e = get_str(rd, o, "status", true, false, &s)) < 0)
		return e;
	r->status = ARRAY_SIZE(status_names);
	for (unsigned i = 0; i < ARRAY_SIZE(status_names); i++)
		if (strcmp(s, status_names[i]) == 0)
			r->status = (enum ctr_status)i;
	free(s);
	if (r->status == ARRAY_SIZE(status_names))
		return bad(rd, "status");
	if ((e = get_int(rd, o, "pid", 0, INT32_MAX, &l)) < 0)
		return e;
	r->pid = (pid_t)l;
	if ((e = get_u64(rd, o, "pid_start", &r->pid_start)) < 0 ||
	    (e = get_int(rd, o, "mon_pid", 0, INT32_MAX, &l)) < 0)
		return e;
	r->mon_pid = (pid_t)l;
	if ((e = get_u64(rd, o, "mon_start", &r->mon_start)) < 0 ||
	    (e = get_int(rd, o, "exit_code", -1, 255, &l)) < 0)
		return e;
	r->exit_code = (int)l;
	if ((e = get_u64(rd, o, "started", &u)) < 0)
		return e;
	r->started = (int64_t)u;
	if ((e = get_u64(rd, o, "finished", &u)) < 0)
		return e;
	r->finished = (int64_t)u;
	if ((e = get_str(rd, o, "error", false, true, &r->error)) < 0 ||
	    (e = get_u64(rd, o, "generation", &r->generation)) < 0 ||
	    (e = get_u64(rd, o, "restart_gen", &r->restart_gen)) < 0 ||
	    (e = get_u64(rd, o, "restart_count", &r->restart_count)) < 0 ||
	    (e = get_int(rd, o, "restart_delay", 0, RESTART_DELAY_MAX_MS, &l)) < 0)
		return e;
	r->restart_delay = (unsigned)l;
	r->restarting = get_bool(o, "restarting");
	r->manual_stop = get_bool(o, "manual_stop");
	if ((e = get_str(rd, o, "cgroup", false, false, &r->cgroup)) < 0)
		return e;
	if (r->cgroup && (r->cgroup[0] != '/' || strstr(r->cgroup, "/..") || strstr(r->cgroup, "//")))
		return bad(rd, "cgroup");

	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "net");
	if (n) {
		char *mac = NULL, *veth = NULL, *br = NULL;
		r->has_net = true;
		if ((e = get_ip(rd, n, "ip", &r->net.ip)) < 0 ||
		    (e = get_ip(rd, n, "gateway", &r->net.gateway)) < 0 ||
		    (e = get_int(rd, n, "prefixlen", 1, 32, &l)) < 0)
			return e;
		r->net.prefixlen = (int)l;
		e = get_str(rd, n, "mac", true, false, &mac);
		if (!e)
			e = get_str(rd, n, "veth", true, false, &veth);
		if (!e)
			e = get_str(rd, n, "bridge", true, false, &br);
		if (!e && (!parse_mac(mac, r->net.mac) || strlen(veth) >= sizeof r->net.veth ||
			   strlen(br) >= sizeof r->net.bridge))
			e = bad(rd, "net");
		if (!e) {
			strcpy(r->net.veth, veth);
			strcpy(r->net.bridge, br);
		}
		free(mac);
		free(veth);
		free(br);
		if (e)
			return e;
		if (cJSON_GetObjectItemCaseSensitive(n, "ip6")) {
			char *a6 = NULL, *g6 = NULL;
			if ((e = get_int(rd, n, "prefixlen6", 48, 128, &l)) < 0)
				return e;
			r->net.prefixlen6 = (int)l;
			e = get_str(rd, n, "ip6", true, false, &a6);
			if (!e)
				e = get_str(rd, n, "gateway6", true, false, &g6);
			if (!e && (inet_pton(AF_INET6, a6, r->net.ip6) != 1 ||
				   inet_pton(AF_INET6, g6, r->net.gateway6) != 1))
				e = bad(rd, "net");
			free(a6);
			free(g6);
			if (e)
				return e;
		}
	}

	a = cJSON_GetObjectItemCaseSensitive(o, "mappings");
	if (a && !cJSON_IsArray(a))
		return bad(rd, "mappings");
	size_t cap = 0;
	cJSON_ArrayForEach(x, a)
	{
		struct ctr_mapping m = { 0 };
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "port");
		const cJSON *ip = cJSON_GetObjectItemCaseSensitive(x, "host_ip");
		if (!cJSON_IsString(p) || !cJSON_IsString(ip) || !*ip->valuestring ||
		    port_parse_key(p->valuestring, &m.cport) < 0 || !valid_host_ip(ip->valuestring) ||
		    get_int(rd, x, "host_port", 1, 65535, &l) < 0)
			return bad(rd, "mappings");
		snprintf(m.host_ip, sizeof m.host_ip, "%s", ip->valuestring);
		m.hport = (uint16_t)l;
		size_t cnt;
		unsigned ps, hs;
		if ((e = get_run(rd, "mappings", x, m.cport.port, m.hport, &cnt, &ps, &hs)) < 0)
			return e;
		if (r->n_mappings + cnt > cap) {
			size_t ncap = cap ? cap : 16;
			while (ncap < r->n_mappings + cnt)
				ncap *= 2;
			struct ctr_mapping *nv = realloc(r->mappings, ncap * sizeof *nv);
			if (!nv)
				return -ENOMEM;
			r->mappings = nv;
			cap = ncap;
		}
		for (size_t k = 0; k < cnt; k++) {
			struct ctr_mapping *d = &r->mappings[r->n_mappings++];
			*d = m;
			d->cport.port = (uint16_t)(m.cport.port + k * ps);
			d->hport = (uint16_t)(m.hport + k * hs);
		}
	}
	return 0;
}

static int from_json(const char *json, size_t len, bool any_version, struct ctr_rec **out)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(json, len, &end, false);
	while (o && end < json + len && *end && strchr(" \t\n\r", *end))
		end++;
	if (o && end != json + len) { /* something after the document */
		cJSON_Delete(o);
		o = NULL;
	}
	if (!o)
		return ctr_err(-EINVAL, "state file is not valid JSON");
	struct ctr_rec *r = calloc(1, sizeof *r);
	if (!r) {
		cJSON_Delete(o);
		return ctr_err(-ENOMEM, "out of memory");
	}
	struct rd rd = { .any_version = any_version };
	int e = parse_doc(&rd, o, r);
	cJSON_Delete(o);
	if (e < 0) {
		rec_free(r);
		if (e == -ENOMEM)
			return ctr_err(e, "out of memory");
		if (rd.field && !strcmp(rd.field, "v") && rd.version > REC_VERSION)
			return ctr_err(-EINVAL, "the record is version %ld, newer than this "
						"library reads (%d): a newer libcontainer-link wrote it",
				       rd.version, REC_VERSION);
		return ctr_err(-EINVAL, "state file has a bad \"%s\" field",
			       rd.field ? rd.field : "?");
	}
	*out = r;
	return 0;
}

int rec_from_json(const char *json, size_t len, struct ctr_rec **out)
{
	return from_json(json, len, false, out);
}

int rec_salvage(const char *json, size_t len, const char *id, const char *why,
		struct ctr_rec **out)
{
	struct ctr_rec *r = NULL;
	if (!json || from_json(json, len, true, &r) < 0 || strcmp(r->id, id) != 0) {
		rec_free(r);
		if (!(r = calloc(1, sizeof *r)))
			return ctr_err(-ENOMEM, "out of memory");
		snprintf(r->id, sizeof r->id, "%s", id);
		r->status = ST_EXITED;
		r->opaque = true;
	}
	ctr_err_clear();
	free(r->error);
	r->unreadable = true;
	if (!(r->error = strdup(why ? why : "unreadable"))) {
		rec_free(r);
		return ctr_err(-ENOMEM, "out of memory");
	}
	*out = r;
	return 0;
}

/* ---- editing ------------------------------------------------------------------------------ */

/* Room for n elements of `size` in *v: grown to the next power of two, which is never less than
 * needed whatever allocated *v, and makes realloc return at once (no copy) until the next
 * power: adding elements one at a time costs O(n) copying in all, not O(n^2). */
static void *grow(void *v, size_t n, size_t size)
{
	size_t cap = 1;
	while (cap < n)
		cap *= 2;
	return realloc(v, cap * size);
}

/* The first of rec's exposed ports at or above p, from index `from` on (those below are below
 * p): that one itself when it is (as the next port of a sorted batch mostly is), else found by
 * halving. */
static size_t exposed_from(const struct ctr_rec *rec, size_t from, const struct ctr_port *p)
{
	size_t lo = from, hi = rec->n_exposed;
	if (lo >= hi || port_cmp(&rec->exposed[lo], p) >= 0)
		return lo;
	lo++;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (port_cmp(&rec->exposed[mid], p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int port_qcmp(const void *a, const void *b)
{
	return port_cmp(a, b);
}

int rec_expose(struct ctr_rec *rec, const struct ctr_port *ports, size_t n)
{
	/* the new ones, sorted, without duplicates, then merged in from the end: only the exposed
	 * ports above the smallest new one move, so appending in order costs nothing more */
	struct ctr_port one, *v = n == 1 ? &one : malloc((n + 1) * sizeof *v);
	if (!v)
		return ctr_err(-ENOMEM, "out of memory");
	if (n)
		memcpy(v, ports, n * sizeof *v);
	sort_unless_sorted(v, n, sizeof *v, port_qcmp);
	/* those not exposed yet: one walk up the exposed ports, in steps or halving */
	size_t k = 0;
	for (size_t i = 0, at = 0; i < n; i++) {
		if (k && port_cmp(&v[i], &v[k - 1]) == 0)
			continue;
		at = exposed_from(rec, at, &v[i]);
		if (at == rec->n_exposed || port_cmp(&rec->exposed[at], &v[i]) != 0)
			v[k++] = v[i];
	}
	struct ctr_port *x = k ? grow(rec->exposed, rec->n_exposed + k, sizeof *x) : NULL;
	int e = k && !x ? ctr_err(-ENOMEM, "out of memory") : 0;
	if (x) {
		rec->exposed = x;
		size_t i = rec->n_exposed, j = k, o = rec->n_exposed + k;
		while (j > 0) {
			if (i > 0 && port_cmp(&x[i - 1], &v[j - 1]) > 0)
				x[--o] = x[--i];
			else
				x[--o] = v[--j];
		}
		rec->n_exposed += k;
	}
	if (v != &one)
		free(v);
	return e;
}

int rec_add_bindings(struct ctr_rec *rec, const struct ctr_binding *b, size_t n)
{
	if (!n)
		return 0;
	struct ctr_binding *nb = grow(rec->bindings, rec->n_bindings + n, sizeof *nb);
	if (!nb)
		return ctr_err(-ENOMEM, "out of memory");
	rec->bindings = nb;
	memcpy(nb + rec->n_bindings, b, n * sizeof *b);
	rec->n_bindings += n;
	if (n == 1)
		return rec_expose(rec, &b[0].cport, 1);
	struct ctr_port *p = malloc(n * sizeof *p);
	if (!p)
		return ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		p[i] = b[i].cport;
	int e = rec_expose(rec, p, n); /* all at once: one merge, not one insertion each */
	free(p);
	return e;
}

struct ctr_link *rec_find_link(const struct ctr_rec *rec, const char *alias)
{
	for (size_t i = 0; i < rec->n_links; i++)
		if (strcmp(rec->links[i].alias, alias) == 0)
			return &rec->links[i];
	return NULL;
}
