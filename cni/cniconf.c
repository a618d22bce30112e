/* Reading a CNI network configuration and writing CNI answers (pure: text in, text out). */
#define _GNU_SOURCE
#include "cniconf.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const cni_versions[] = { "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };

bool cni_version_ok(const char *v)
{
	for (size_t i = 0; cni_versions[i]; i++)
		if (strcmp(v, cni_versions[i]) == 0)
			return true;
	return false;
}

static int fail(struct cni_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->code = code;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			return false;
	}
	return true;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof *nv);
	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -1;
	nv[++*n] = NULL;
	return 0;
}

/* "10.88.0.5/16" -> address "10.88.0.5" and subnet "10.88.0.0/16" (IPv4 or IPv6). */
static bool cidr_split(const char *cidr, bool *v6, char *addr, size_t alen, char *subnet,
		       size_t slen)
{
	char ip[64];
	const char *slash = strchr(cidr, '/');
	if (!slash || (size_t)(slash - cidr) >= sizeof ip)
		return false;
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	char *end;
	long pl = strtol(slash + 1, &end, 10);
	uint8_t b[16];
	*v6 = strchr(ip, ':') != NULL;
	int bits = *v6 ? 128 : 32;
	if (*end || slash[1] == '\0' || pl < 0 || pl > bits ||
	    inet_pton(*v6 ? AF_INET6 : AF_INET, ip, b) != 1)
		return false;
	snprintf(addr, alen, "%.47s", ip);
	for (int i = 0; i < bits / 8; i++) {
		int keep = (int)pl - 8 * i;
		b[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
	char net[48];
	inet_ntop(*v6 ? AF_INET6 : AF_INET, b, net, sizeof net);
	snprintf(subnet, slen, "%s/%ld", net, pl);
	return true;
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int port_mappings(const cJSON *pm, struct cni_conf *c, struct cni_error *err)
{
	if (!pm || cJSON_IsNull(pm))
		return 0;
	if (!cJSON_IsArray(pm))
		return fail(err, CNI_ERR_CONFIG, "runtimeConfig.portMappings must be an array");
	int i = 0;
	const cJSON *m;
	cJSON_ArrayForEach(m, pm)
	{
		const cJSON *hp = get(m, "hostPort"), *cp = get(m, "containerPort");
		const cJSON *pr = get(m, "protocol"), *hi = get(m, "hostIP");
		if (!cJSON_IsObject(m))
			return fail(err, CNI_ERR_CONFIG, "runtimeConfig.portMappings[%d] must be an "
							 "object", i);
		if (!cJSON_IsNumber(cp) || cp->valuedouble < 1 || cp->valuedouble > 65535 ||
		    cp->valuedouble != (int)cp->valuedouble)
			return fail(err, CNI_ERR_CONFIG, "runtimeConfig.portMappings[%d].containerPort "
							 "must be a port number (1 to 65535)",
				    i);
		if (hp && (!cJSON_IsNumber(hp) || hp->valuedouble < 0 || hp->valuedouble > 65535 ||
			   hp->valuedouble != (int)hp->valuedouble))
			return fail(err, CNI_ERR_CONFIG, "runtimeConfig.portMappings[%d].hostPort must "
							 "be a port number (0 to 65535)",
				    i);
		const char *proto = "tcp";
		if (pr && !cJSON_IsNull(pr)) {
			if (!cJSON_IsString(pr))
				return fail(err, CNI_ERR_CONFIG, "runtimeConfig.portMappings[%d].protocol "
								 "must be a string", i);
			if (!strcasecmp(pr->valuestring, "tcp") || !pr->valuestring[0])
				proto = "tcp";
			else if (!strcasecmp(pr->valuestring, "udp"))
				proto = "udp";
			else if (!strcasecmp(pr->valuestring, "sctp"))
				proto = "sctp";
			else
				return fail(err, CNI_ERR_CONFIG,
					    "runtimeConfig.portMappings[%d].protocol \"%.40s\" is not "
					    "tcp, udp or sctp",
					    i, printable(pr->valuestring) ? pr->valuestring : "?");
		}
		char host[64] = "";
		if (hi && !cJSON_IsNull(hi)) {
			uint8_t b[16];
			if (!cJSON_IsString(hi))
				return fail(err, CNI_ERR_CONFIG, "runtimeConfig.portMappings[%d].hostIP "
								 "must be a string", i);
			const char *s = hi->valuestring;
			bool v6 = strchr(s, ':') != NULL;
			if (s[0] && inet_pton(v6 ? AF_INET6 : AF_INET, s, b) != 1)
				return fail(err, CNI_ERR_CONFIG,
					    "runtimeConfig.portMappings[%d].hostIP \"%.60s\" is not an IP "
					    "address",
					    i, printable(s) ? s : "?");
			if (s[0])
				snprintf(host, sizeof host, v6 ? "[%s]:" : "%s:", s);
		}
		char spec[128], hport[8] = "";
		if (hp && hp->valueint)
			snprintf(hport, sizeof hport, "%d", hp->valueint);
		if (host[0] || hport[0])
			snprintf(spec, sizeof spec, "%s%s:%d/%s", host, hport, cp->valueint, proto);
		else /* no host port, no address: a free port (as -p 80) */
			snprintf(spec, sizeof spec, ":%d/%s", cp->valueint, proto);
		if (push(&c->specs, &c->n_specs, spec) < 0)
			return fail(err, CNI_ERR_IO, "out of memory");
		i++;
	}
	return 0;
}

/* The container's addresses from prevResult: those of the interface `ifname` inside the
 * sandbox, or every address when none says its interface. */
static int prev_result(const cJSON *pr, const char *ifname, struct cni_conf *c,
		       struct cni_error *err)
{
	if (!cJSON_IsObject(pr))
		return fail(err, CNI_ERR_CONFIG, "prevResult must be an object");
	const cJSON *ifs = get(pr, "interfaces"), *ips = get(pr, "ips"), *x;
	if (ifs && !cJSON_IsArray(ifs))
		return fail(err, CNI_ERR_CONFIG, "prevResult.interfaces must be an array");
	if (ips && !cJSON_IsArray(ips))
		return fail(err, CNI_ERR_CONFIG, "prevResult.ips must be an array");
	int want = -1, i = 0;
	cJSON_ArrayForEach(x, ifs)
	{
		const cJSON *n = get(x, "name"), *sb = get(x, "sandbox");
		bool in_sandbox = cJSON_IsString(sb) && sb->valuestring[0];
		if (cJSON_IsString(n) && in_sandbox && ifname && strcmp(n->valuestring, ifname) == 0)
			want = i;
		if (cJSON_IsString(n) && !in_sandbox && !c->bridge[0] &&
		    strlen(n->valuestring) < sizeof c->bridge)
			snprintf(c->bridge, sizeof c->bridge, "%s", n->valuestring);
		i++;
	}
	i = 0;
	cJSON_ArrayForEach(x, ips)
	{
		const cJSON *a = get(x, "address"), *ix = get(x, "interface");
		if (!cJSON_IsString(a))
			return fail(err, CNI_ERR_CONFIG, "prevResult.ips[%d].address must be a string",
				    i);
		bool v6;
		char addr[64], sub[64];
		if (!cidr_split(a->valuestring, &v6, addr, sizeof addr, sub, sizeof sub))
			return fail(err, CNI_ERR_CONFIG,
				    "prevResult.ips[%d].address \"%.60s\" is not an address/prefix", i,
				    printable(a->valuestring) ? a->valuestring : "?");
		bool ours = want < 0 || !cJSON_IsNumber(ix) || ix->valueint == want;
		if (ours && !v6 && !c->ipv4[0]) {
			snprintf(c->ipv4, sizeof c->ipv4, "%s", addr);
			snprintf(c->subnet4, sizeof c->subnet4, "%s", sub);
		} else if (ours && v6 && !c->ipv6[0]) {
			snprintf(c->ipv6, sizeof c->ipv6, "%s", addr);
			snprintf(c->subnet6, sizeof c->subnet6, "%s", sub);
		}
		i++;
	}
	if (!(c->prev = cJSON_PrintUnformatted(pr)))
		return fail(err, CNI_ERR_IO, "out of memory");
	c->have_prev = true;
	return 0;
}

static int attachments(const cJSON *va, struct cni_conf *c, struct cni_error *err)
{
	if (!va || cJSON_IsNull(va))
		return 0;
	if (!cJSON_IsArray(va))
		return fail(err, CNI_ERR_CONFIG, "cni.dev/valid-attachments must be an array");
	int i = 0;
	const cJSON *x;
	cJSON_ArrayForEach(x, va)
	{
		const cJSON *id = get(x, "containerID"), *ifn = get(x, "ifname");
		if (!cJSON_IsString(id) || !cJSON_IsString(ifn) || !id->valuestring[0] ||
		    !printable(id->valuestring) || !printable(ifn->valuestring))
			return fail(err, CNI_ERR_CONFIG, "cni.dev/valid-attachments[%d] needs "
							 "containerID and ifname", i);
		char owner[1100];
		snprintf(owner, sizeof owner, "%.900s/%.100s", id->valuestring, ifn->valuestring);
		if (push(&c->keep, &c->n_keep, owner) < 0)
			return fail(err, CNI_ERR_IO, "out of memory");
		i++;
	}
	return 0;
}

int cni_conf_parse(const char *json, const char *command, const char *ifname,
		   struct cni_conf *c, struct cni_error *err)
{
	memset(c, 0, sizeof *c);
	c->snat = true;
	cJSON *o = cJSON_Parse(json);
	if (!o)
		return fail(err, CNI_ERR_DECODE, "the network configuration is not JSON");
	int r = -1;
	const cJSON *v = get(o, "cniVersion"), *n = get(o, "name"), *x;
	if (!cJSON_IsObject(o)) {
		fail(err, CNI_ERR_DECODE, "the network configuration is not a JSON object");
		goto out;
	}
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof c->version) {
		fail(err, CNI_ERR_CONFIG, "cniVersion is missing");
		goto out;
	}
	snprintf(c->version, sizeof c->version, "%s", v->valuestring);
	if (!cni_version_ok(c->version)) {
		fail(err, CNI_ERR_VERSION, "CNI version %.15s is not supported (0.3.1 to 1.1.0)",
		     printable(c->version) ? c->version : "?");
		goto out;
	}
	if (!cJSON_IsString(n) || !name_ok(n->valuestring)) {
		fail(err, CNI_ERR_CONFIG, "name must be a network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, "
					  "under 128 characters)");
		goto out;
	}
	snprintf(c->name, sizeof c->name, "%s", n->valuestring);
	if ((x = get(o, "stateDir")) && !cJSON_IsNull(x)) {
		if (!cJSON_IsString(x) || x->valuestring[0] != '/' || !printable(x->valuestring) ||
		    strlen(x->valuestring) >= sizeof c->state_dir) {
			fail(err, CNI_ERR_CONFIG, "stateDir must be an absolute path");
			goto out;
		}
		snprintf(c->state_dir, sizeof c->state_dir, "%s", x->valuestring);
	} else {
		snprintf(c->state_dir, sizeof c->state_dir, "/run/ctrlink/cni/%s", c->name);
	}
	if ((x = get(o, "backend")) && !cJSON_IsNull(x)) {
		if (!cJSON_IsString(x) || (strcmp(x->valuestring, "iptables") &&
					   strcmp(x->valuestring, "nftables") &&
					   strcmp(x->valuestring, "auto"))) {
			fail(err, CNI_ERR_CONFIG, "backend must be \"iptables\", \"nftables\" or "
						  "\"auto\"");
			goto out;
		}
		if (strcmp(x->valuestring, "auto"))
			snprintf(c->backend, sizeof c->backend, "%s", x->valuestring);
	}
	if ((x = get(o, "snat")) && !cJSON_IsNull(x)) {
		if (!cJSON_IsBool(x)) {
			fail(err, CNI_ERR_CONFIG, "snat must be true or false");
			goto out;
		}
		c->snat = cJSON_IsTrue(x);
	}
	static const char *const conditions[] = { "conditionsV4", "conditionsV6" };
	for (size_t i = 0; i < 2; i++)
		if ((x = get(o, conditions[i])) && !cJSON_IsNull(x) &&
		    (!cJSON_IsArray(x) || cJSON_GetArraySize(x) > 0)) {
			fail(err, CNI_ERR_FIELD, "%s (iptables match conditions) is not supported by "
						 "ctrlink-portmap; publish on a host address "
						 "(hostIP) instead",
			     conditions[i]);
			goto out;
		}
	if ((x = get(o, "bridge")) && !cJSON_IsNull(x)) {
		if (!cJSON_IsString(x) || !x->valuestring[0] ||
		    strlen(x->valuestring) >= sizeof c->bridge || !printable(x->valuestring)) {
			fail(err, CNI_ERR_CONFIG, "bridge must be an interface name (1 to 15 "
						  "characters)");
			goto out;
		}
		snprintf(c->bridge, sizeof c->bridge, "%s", x->valuestring);
	}
	const cJSON *rc = get(o, "runtimeConfig");
	if (rc && !cJSON_IsNull(rc) && !cJSON_IsObject(rc)) {
		fail(err, CNI_ERR_CONFIG, "runtimeConfig must be an object");
		goto out;
	}
	if (port_mappings(get(rc, "portMappings"), c, err) < 0)
		goto out;
	bool add = strcmp(command, "ADD") == 0, check = strcmp(command, "CHECK") == 0;
	x = get(o, "prevResult");
	if ((add || check) && x && !cJSON_IsNull(x) && prev_result(x, ifname, c, err) < 0)
		goto out;
	if ((add || check) && c->n_specs) {
		if (!c->have_prev) {
			fail(err, CNI_ERR_CONFIG, "prevResult is missing: ctrlink-portmap is a chained "
						  "plugin (after bridge and host-local)");
			goto out;
		}
		if (!c->ipv4[0]) {
			fail(err, CNI_ERR_CONFIG, "prevResult.ips has no IPv4 address for %s",
			     ifname ? ifname : "the container");
			goto out;
		}
		if (!c->bridge[0]) {
			fail(err, CNI_ERR_CONFIG, "prevResult.interfaces names no host bridge (give it "
						  "as \"bridge\")");
			goto out;
		}
	}
	if (strcmp(command, "GC") == 0 &&
	    attachments(get(o, "cni.dev/valid-attachments"), c, err) < 0)
		goto out;
	r = 0;
out:
	cJSON_Delete(o);
	if (r < 0)
		cni_conf_free(c);
	return r;
}

void cni_conf_free(struct cni_conf *c)
{
	for (size_t i = 0; c->specs && c->specs[i]; i++)
		free(c->specs[i]);
	free(c->specs);
	for (size_t i = 0; c->keep && c->keep[i]; i++)
		free(c->keep[i]);
	free(c->keep);
	free(c->prev);
	c->specs = c->keep = NULL;
	c->n_keep = 0;
	c->prev = NULL;
	c->n_specs = 0;
}

char *cni_error_json(const char *version, const struct cni_error *err)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;
	if (o && cJSON_AddStringToObject(o, "cniVersion", version && *version ? version : "1.1.0") &&
	    cJSON_AddNumberToObject(o, "code", err->code) &&
	    cJSON_AddStringToObject(o, "msg", err->msg))
		s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

char *cni_result_json(const struct cni_conf *c)
{
	cJSON *out = cJSON_CreateObject(), *p = c->prev ? cJSON_Parse(c->prev) : NULL;
	char *s = NULL;
	bool ok = out && (!c->prev || p) && cJSON_AddStringToObject(out, "cniVersion", c->version);
	/* prevResult's fields after our cniVersion, in their order */
	for (cJSON *it = p ? p->child : NULL, *next; ok && it; it = next) {
		next = it->next;
		if (strcmp(it->string, "cniVersion") != 0)
			ok = cJSON_AddItemToObject(out, it->string, cJSON_DetachItemViaPointer(p, it));
	}
	if (ok)
		s = cJSON_Print(out);
	cJSON_Delete(p);
	cJSON_Delete(out);
	return s;
}

char *cni_version_json(const char *version)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_CreateStringArray(cni_versions, 4);
	char *s = NULL;
	if (o && a && cJSON_AddStringToObject(o, "cniVersion", version && *version ? version
									    : "1.1.0") &&
	    cJSON_AddItemToObject(o, "supportedVersions", a)) {
		a = NULL;
		s = cJSON_Print(o);
	}
	cJSON_Delete(a);
	cJSON_Delete(o);
	return s;
}
