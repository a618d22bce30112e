/* The port guard's set keys (pure).  See guard.h. */
#include "core/guard.h"

#include <string.h>

#include "core/record.h"

bool guard_port_of(const struct ctr_net *net, struct guard_port *out)
{
	memset(out, 0, sizeof *out);
	if (!net->veth[0])
		return false;
	memcpy(out->port, net->veth, sizeof out->port);
	out->port[sizeof out->port - 1] = '\0';
	memcpy(out->mac, net->mac, 6);
	out->ip = net->ip;
	out->has6 = net->prefixlen6 != 0;
	if (out->has6)
		memcpy(out->ip6, net->ip6, 16);
	return true;
}

void guard_link_local(const uint8_t mac[6], uint8_t out[16])
{
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = mac[0] ^ 0x02; /* the universal/local bit turns over */
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

void guard_key_port(const struct guard_port *p, uint8_t key[GUARD_KEY_PORT])
{
	memset(key, 0, GUARD_KEY_PORT);
	memcpy(key, p->port, strnlen(p->port, sizeof p->port));
}

/* ifname (16) . MAC (6, padded to 8) . address */
static void key_head(const struct guard_port *p, uint8_t *key)
{
	guard_key_port(p, key);
	memset(key + 16, 0, 8);
	memcpy(key + 16, p->mac, 6);
}

void guard_key_mac(const struct guard_port *p, uint8_t key[GUARD_KEY_MAC])
{
	key_head(p, key);
}

void guard_key4(const struct guard_port *p, uint8_t key[GUARD_KEY4])
{
	key_head(p, key);
	memcpy(key + 24, &p->ip, 4);
}

size_t guard_keys6(const struct guard_port *p, uint8_t keys[GUARD_KEYS6][GUARD_KEY6])
{
	if (!p->has6)
		return 0;
	for (size_t i = 0; i < GUARD_KEYS6; i++)
		key_head(p, keys[i]);
	memcpy(keys[0] + 24, p->ip6, 16);
	guard_link_local(p->mac, keys[1] + 24);
	memset(keys[2] + 24, 0, 16);
	return GUARD_KEYS6;
}
