/* The network of a state directory: subnets, addresses, network.json. */
#include "core/netcfg.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container-link.h"
#include "core/names.h"
#include "core/record.h"
#include "core/util.h"

static const char *const backend_names[] = { "auto", "iptables", "nftables" };

const char *net_backend_name(int backend)
{
	return (unsigned)backend < ARRAY_SIZE(backend_names) ? backend_names[backend] : "?";
}

/* "a.b.c.d/n" → network (masked), prefix.  -EINVAL with a message. */
int parse_subnet(const char *s, uint32_t *net, int *prefixlen)
{
	char ip[32];
	const char *slash = strchr(s, '/');
	unsigned long pl;
	if (!slash || (size_t)(slash - s) >= sizeof ip)
		return ctr_err(-EINVAL, "invalid subnet \"%s\": expected a.b.c.d/N", SHOWN(s));
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	uint32_t a;
	if (inet_pton(AF_INET, ip, &a) != 1 || parse_uint(slash + 1, 0, 32, &pl) < 0)
		return ctr_err(-EINVAL, "invalid subnet \"%s\": expected a.b.c.d/N", SHOWN(s));
	if (pl < 16 || pl > 30)
		return ctr_err(-EINVAL, "invalid subnet \"%s\": the prefix length must be 16 to 30",
			       SHOWN(s));
	uint32_t mask = htonl(~0u << (32 - pl));
	if ((a & mask) != a)
		return ctr_err(-EINVAL,
			       "invalid subnet \"%s\": host bits are set (did you mean the network "
			       "address?)",
			       SHOWN(s));
	*net = a;
	*prefixlen = (int)pl;
	return 0;
}

int parse_subnet6(const char *s, uint8_t net[16], int *prefixlen)
{
	char ip[64];
	if (strcmp(s, "none") == 0) { /* no IPv6 */
		memset(net, 0, 16);
		*prefixlen = 0;
		return 0;
	}
	const char *slash = strchr(s, '/');
	unsigned long pl;
	if (!slash || (size_t)(slash - s) >= sizeof ip)
		return ctr_err(-EINVAL, "invalid IPv6 subnet \"%s\": expected x:x::/N", SHOWN(s));
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET6, ip, net) != 1 || parse_uint(slash + 1, 0, 128, &pl) < 0)
		return ctr_err(-EINVAL, "invalid IPv6 subnet \"%s\": expected x:x::/N", SHOWN(s));
	if (pl < 48 || pl > 96)
		return ctr_err(-EINVAL,
			       "invalid IPv6 subnet \"%s\": the prefix length must be 48 to 96 (a "
			       "container's IPv6 address carries its IPv4 host number)",
			       SHOWN(s));
	for (unsigned long bit = pl; bit < 128; bit++)
		if (net[bit / 8] & (0x80 >> (bit % 8)))
			return ctr_err(-EINVAL, "invalid IPv6 subnet \"%s\": host bits are set",
				       SHOWN(s));
	if (net[0] == 0xff || (net[0] == 0xfe && (net[1] & 0xc0) == 0x80) ||
	    (net[0] == 0 && net[1] == 0))
		return ctr_err(-EINVAL,
			       "invalid IPv6 subnet \"%s\": use a global or unique local (fc00::/7) "
			       "unicast prefix, not multicast, link-local or ::/16",
			       SHOWN(s));
	*prefixlen = (int)pl;
	return 0;
}

void ip6_for(const struct netcfg *cfg, uint32_t ip4, uint8_t out[16])
{
	uint32_t mask = cfg->prefixlen ? ~0u << (32 - cfg->prefixlen) : 0;
	uint32_t host = htonl(ntohl(ip4) & ~mask);
	memcpy(out, cfg->subnet6, 16);
	memcpy(out + 12, &host, 4); /* prefix ≤ 96: the low 32 bits are ours */
}


int netcfg_decode(const char *buf, size_t len, struct netcfg *cfg)
{
	cJSON *o = cJSON_ParseWithLength(buf, len);
	const cJSON *br = cJSON_GetObjectItemCaseSensitive(o, "bridge");
	const cJSON *sn = cJSON_GetObjectItemCaseSensitive(o, "subnet");
	const cJSON *icc = cJSON_GetObjectItemCaseSensitive(o, "icc");
	const cJSON *be = cJSON_GetObjectItemCaseSensitive(o, "backend");
	const cJSON *sn6 = cJSON_GetObjectItemCaseSensitive(o, "subnet6");
	const cJSON *ext = cJSON_GetObjectItemCaseSensitive(o, "external");
	memset(cfg, 0, sizeof *cfg);
	int e = -EINVAL;
	if (cJSON_IsString(br) && strlen(br->valuestring) < sizeof cfg->bridge && cJSON_IsString(sn) &&
	    cJSON_IsBool(icc) && cJSON_IsString(be) &&
	    parse_subnet(sn->valuestring, &cfg->subnet, &cfg->prefixlen) == 0) {
		strcpy(cfg->bridge, br->valuestring);
		cfg->gateway = htonl(ntohl(cfg->subnet) + 1);
		cfg->icc = cJSON_IsTrue(icc);
		cfg->external = cJSON_IsTrue(ext);
		for (size_t i = 1; i < ARRAY_SIZE(backend_names); i++)
			if (strcmp(be->valuestring, backend_names[i]) == 0) {
				cfg->backend = (int)i;
				e = 0;
			}
		if (!e && sn6) {
			if (!cJSON_IsString(sn6) ||
			    parse_subnet6(sn6->valuestring, cfg->subnet6, &cfg->prefixlen6) < 0)
				e = -EINVAL;
			memcpy(cfg->gateway6, cfg->subnet6, 16);
			cfg->gateway6[15] |= 1;
		}
	}
	cJSON_Delete(o);
	return e;
}

int netcfg_encode(const struct netcfg *cfg, char **out)
{
	char net[16], sub[24];
	ip4_format(cfg->subnet, net, sizeof net);
	snprintf(sub, sizeof sub, "%s/%d", net, cfg->prefixlen);
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;
	char net6[46], sub6[56] = "";
	if (cfg->prefixlen6) {
		ip6_format(cfg->subnet6, net6, sizeof net6);
		snprintf(sub6, sizeof sub6, "%s/%d", net6, cfg->prefixlen6);
	}
	if (o && cJSON_AddStringToObject(o, "bridge", cfg->bridge) &&
	    cJSON_AddStringToObject(o, "subnet", sub) && cJSON_AddBoolToObject(o, "icc", cfg->icc) &&
	    cJSON_AddStringToObject(o, "backend", net_backend_name(cfg->backend)) &&
	    (!cfg->prefixlen6 || cJSON_AddStringToObject(o, "subnet6", sub6)) &&
	    (!cfg->external || cJSON_AddBoolToObject(o, "external", true)))
		s = cJSON_Print(o);
	cJSON_Delete(o);
	if (!s)
		return ctr_err(-ENOMEM, "out of memory");
	*out = s;
	return 0;
}
