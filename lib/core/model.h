/* The data model shared by the pure parts of the library: protocols, container ports, port
 * bindings (what the user asked for) and mappings (what is bound). */
#ifndef CTR_MODEL_H
#define CTR_MODEL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Protocols, in Docker's allocation order (tcp < udp < sctp). */
enum ctr_proto { CTR_TCP = 0, CTR_UDP = 1, CTR_SCTP = 2, CTR_NPROTO = 3 };

/* "tcp", "udp", "sctp". */
const char *proto_name(unsigned proto);
/* Parse a lower-case protocol name; 0 or -EINVAL (no message). */
int proto_parse(const char *s, uint8_t *out);

/* A container port with its protocol: the "80/tcp" of Config.ExposedPorts. */
struct ctr_port {
	uint16_t port;
	uint8_t proto;
};

/* Order: by port number, then protocol (tcp < udp < sctp). */
int port_cmp(const struct ctr_port *a, const struct ctr_port *b);
/* "80/tcp" into buf (at least 12 bytes). */
void port_format(const struct ctr_port *p, char *buf, size_t len);
/* Parse "80/tcp" or "80" (tcp); 0 or -EINVAL (no message). */
int port_parse_key(const char *s, struct ctr_port *out);

/* Longest text form of a host IP we store (an IPv6 address without zone). */
#define CTR_IP_MAX 46

/* One requested binding: an entry of HostConfig.PortBindings["<cport>"]. */
struct ctr_binding {
	struct ctr_port cport;
	char host_ip[CTR_IP_MAX]; /* "" when not given (the default binding address) */
	uint16_t hp_lo, hp_hi;    /* 0,0 ephemeral; lo == hi one port; lo < hi any port of the range */
	bool hp_zero;             /* ephemeral asked for as host port "0" (kept, as Docker keeps it) */
};

/* HostPort as Docker prints it: "", "0", "80" or "8000-9000" (buf at least 12 bytes). */
void binding_hostport(const struct ctr_binding *b, char *buf, size_t len);

/* One actual binding: an entry of NetworkSettings.Ports["<cport>"]. */
struct ctr_mapping {
	struct ctr_port cport;
	char host_ip[CTR_IP_MAX]; /* always set: "0.0.0.0", "127.0.0.1", "::", ... */
	uint16_t hport;
};

#endif
