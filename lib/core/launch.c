#include "core/launch.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void launch_free(struct launch *l)
{
	free(l->state_dir);
	strv_free(l->argv);
	strv_free(l->env);
	free(l->hostname);
	free(l->domainname);
	free(l->workdir);
	free(l->rootfs);
	free(l->user);
	free(l->cgroup);
	memset(l, 0, sizeof *l);
}

static bool put_strv(cJSON *o, const char *key, char **v)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);
	if (!a)
		return false;
	for (size_t i = 0; v && v[i]; i++) {
		cJSON *s = cJSON_CreateString(v[i]);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	return true;
}

static bool put_str(cJSON *o, const char *key, const char *v)
{
	return !v || cJSON_AddStringToObject(o, key, v);
}

static bool put_u64(cJSON *o, const char *key, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%" PRIu64, v);
	return cJSON_AddStringToObject(o, key, b) != NULL;
}

int launch_to_json(const struct launch *l, char **out)
{
	cJSON *o = cJSON_CreateObject();
	char ip[16], gw[16], ip6[46], gw6[46], mac[18] = "";
	if (l->has_gw_mac)
		snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", l->gw_mac[0], l->gw_mac[1],
			 l->gw_mac[2], l->gw_mac[3], l->gw_mac[4], l->gw_mac[5]);
	inet_ntop(AF_INET, &l->ip, ip, sizeof ip);
	inet_ntop(AF_INET, &l->gateway, gw, sizeof gw);
	inet_ntop(AF_INET6, l->ip6, ip6, sizeof ip6);
	inet_ntop(AF_INET6, l->gateway6, gw6, sizeof gw6);
	bool okk = o && put_str(o, "id", l->id) && put_str(o, "state_dir", l->state_dir) &&
		   put_u64(o, "generation", l->generation) && put_strv(o, "argv", l->argv) &&
		   put_strv(o, "env", l->env) && put_str(o, "hostname", l->hostname) &&
		   put_str(o, "domainname", l->domainname) && put_str(o, "workdir", l->workdir) &&
		   put_str(o, "rootfs", l->rootfs) && put_str(o, "user", l->user) &&
		   put_u64(o, "caps", l->caps) &&
		   cJSON_AddBoolToObject(o, "unconfined", l->unconfined) &&
		   cJSON_AddBoolToObject(o, "has_net", l->has_net) &&
		   put_str(o, "ip", ip) && put_str(o, "gateway", gw) &&
		   cJSON_AddNumberToObject(o, "prefixlen", l->prefixlen) &&
		   cJSON_AddBoolToObject(o, "attached", l->attached) &&
		   put_u64(o, "log_max_size", l->log_max_size) &&
		   cJSON_AddNumberToObject(o, "log_max_file", l->log_max_file) &&
		   cJSON_AddNumberToObject(o, "prefixlen6", l->prefixlen6) &&
		   put_str(o, "ip6", ip6) && put_str(o, "gateway6", gw6) &&
		   put_str(o, "gw_mac", mac) && cJSON_AddNumberToObject(o, "target_pid", l->target_pid) &&
		   put_u64(o, "target_start", l->target_start) && put_str(o, "cgroup", l->cgroup) &&
		   (!l->userns || (put_u64(o, "userns_uid", l->userns_uid) &&
				   put_u64(o, "userns_gid", l->userns_gid) &&
				   put_u64(o, "userns_size", l->userns_size)));
	char *s = okk ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	*out = s;
	return 0;
}

static char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static char **get_strv(const cJSON *o, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key), *e;
	char **v = calloc((size_t)cJSON_GetArraySize(a) + 1, sizeof *v);
	size_t n = 0;
	if (!v)
		return NULL;
	cJSON_ArrayForEach(e, a)
	{
		if (!cJSON_IsString(e) || !(v[n++] = strdup(e->valuestring))) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

static uint64_t get_u64(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? strtoull(v->valuestring, NULL, 10) : 0;
}

int launch_from_json(const char *json, size_t len, struct launch *l)
{
	memset(l, 0, sizeof *l);
	l->etc_fd = -1;
	l->userns_sock = -1;
	l->placed_fd = -1;
	cJSON *o = cJSON_ParseWithLength(json, len);
	if (!o)
		return ctr_err(-EINVAL, "launch spec is not valid JSON");
	char *id = get_str(o, "id"), *ip = get_str(o, "ip"), *gw = get_str(o, "gateway");
	int e = 0;
	if (!id || strlen(id) != CTR_ID_LEN)
		e = ctr_err(-EINVAL, "launch spec: bad id");
	else
		memcpy(l->id, id, sizeof l->id);
	l->state_dir = get_str(o, "state_dir");
	l->generation = get_u64(o, "generation");
	l->argv = get_strv(o, "argv");
	l->env = get_strv(o, "env");
	l->hostname = get_str(o, "hostname");
	l->domainname = get_str(o, "domainname");
	l->workdir = get_str(o, "workdir");
	l->rootfs = get_str(o, "rootfs");
	l->user = get_str(o, "user");
	l->caps = get_u64(o, "caps");
	l->unconfined = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "unconfined"));
	l->has_net = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "has_net"));
	l->attached = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "attached"));
	l->log_max_size = get_u64(o, "log_max_size");
	const cJSON *lf = cJSON_GetObjectItemCaseSensitive(o, "log_max_file");
	l->log_max_file = cJSON_IsNumber(lf) && lf->valueint >= 1 ? lf->valueint : 1;
	const cJSON *pl = cJSON_GetObjectItemCaseSensitive(o, "prefixlen");
	l->prefixlen = cJSON_IsNumber(pl) ? pl->valueint : 0;
	const cJSON *pl6 = cJSON_GetObjectItemCaseSensitive(o, "prefixlen6");
	l->prefixlen6 = cJSON_IsNumber(pl6) ? pl6->valueint : 0;
	if (!e && l->prefixlen6) {
		char *a6 = get_str(o, "ip6"), *g6 = get_str(o, "gateway6");
		if (!a6 || !g6 || inet_pton(AF_INET6, a6, l->ip6) != 1 ||
		    inet_pton(AF_INET6, g6, l->gateway6) != 1)
			e = ctr_err(-EINVAL, "launch spec: bad IPv6 address");
		free(a6);
		free(g6);
	}
	char *mac = get_str(o, "gw_mac");
	if (!e && mac && *mac) {
		char end;
		uint8_t *m = l->gw_mac;
		if (sscanf(mac, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &m[0], &m[1], &m[2], &m[3],
			   &m[4], &m[5], &end) != 6)
			e = ctr_err(-EINVAL, "launch spec: bad gateway MAC address");
		l->has_gw_mac = true;
	}
	free(mac);
	const cJSON *tp = cJSON_GetObjectItemCaseSensitive(o, "target_pid");
	l->target_pid = cJSON_IsNumber(tp) ? tp->valueint : 0;
	l->target_start = get_u64(o, "target_start");
	l->cgroup = get_str(o, "cgroup");
	uint64_t uid = get_u64(o, "userns_uid"), gid = get_u64(o, "userns_gid");
	uint64_t size = get_u64(o, "userns_size");
	l->userns = size > 0;
	if (!e && l->userns && (!uid || !gid || size > 65536 || uid + size > UINT32_MAX ||
				gid + size > UINT32_MAX))
		e = ctr_err(-EINVAL, "launch spec: bad user namespace");
	l->userns_uid = (uint32_t)uid;
	l->userns_gid = (uint32_t)gid;
	l->userns_size = (uint32_t)size;
	if (!e && l->cgroup && (l->cgroup[0] != '/' || strstr(l->cgroup, "/..")))
		e = ctr_err(-EINVAL, "launch spec: bad cgroup");
	if (!e && (!l->state_dir || !l->argv || !l->argv[0] || !l->env || !l->hostname))
		e = ctr_err(-EINVAL, "launch spec: missing fields");
	if (!e && (!ip || !gw || inet_pton(AF_INET, ip, &l->ip) != 1 ||
		   inet_pton(AF_INET, gw, &l->gateway) != 1))
		e = ctr_err(-EINVAL, "launch spec: bad address");
	free(id);
	free(ip);
	free(gw);
	cJSON_Delete(o);
	if (e)
		launch_free(l);
	return e;
}
