/* The CNI side of ctrlink-portmap, pure: reading the network configuration a runtime gives
 * on stdin (with its prevResult and runtimeConfig.portMappings), turning port mappings into
 * `-p` specs, and writing results and errors as the CNI specification shapes them. */
#ifndef CTRLINK_CNICONF_H
#define CTRLINK_CNICONF_H

#include <stdbool.h>
#include <stddef.h>

/* CNI error codes (spec, "Error"). */
enum {
	CNI_ERR_VERSION = 1,     /* incompatible CNI version */
	CNI_ERR_FIELD = 2,       /* unsupported field in the network configuration */
	CNI_ERR_UNKNOWN = 3,     /* container unknown or does not exist */
	CNI_ERR_ENV = 4,         /* invalid necessary environment variables */
	CNI_ERR_IO = 5,          /* I/O failure */
	CNI_ERR_DECODE = 6,      /* failed to decode content */
	CNI_ERR_CONFIG = 7,      /* invalid network configuration */
	CNI_ERR_AGAIN = 11,      /* try again later */
	CNI_ERR_NOT_READY = 50,  /* STATUS: the plugin is not available */
	/* ours (100 and up): a host port another pod holds */
	CNI_ERR_PORT_TAKEN = 100,
};

struct cni_error {
	int code;
	char msg[512];
};

struct cni_conf {
	char version[16];       /* cniVersion */
	char name[128];         /* the network's name */
	char state_dir[512];    /* "stateDir", default /run/ctrlink/cni/<name> */
	char backend[16];       /* "", "iptables", "nftables" */
	char bridge[16];        /* "bridge" given, or the host interface from prevResult */
	bool snat;              /* "snat" (default true) */
	/* from prevResult: the container's addresses and their subnets */
	char ipv4[64], subnet4[64];
	char ipv6[64], subnet6[64];
	/* runtimeConfig.portMappings as -p specs, NULL-terminated */
	char **specs;
	size_t n_specs;
	/* the GC command's cni.dev/valid-attachments as owners ("<containerID>/<ifname>") */
	char **keep;
	size_t n_keep;
	bool have_prev;         /* prevResult was given */
	char *prev;             /* prevResult as JSON text (the ADD result), or NULL */
};

/* The versions we speak, newest last (VERSION lists them). */
extern const char *const cni_versions[];
bool cni_version_ok(const char *v);

/* Parse the configuration `json` for `command` ("ADD", "DEL", "CHECK", "GC", "STATUS") and
 * interface `ifname` (the one whose addresses count).  0, or -1 with `err` filled (code and a
 * message naming the field).  Free with cni_conf_free(). */
int cni_conf_parse(const char *json, const char *command, const char *ifname,
		   struct cni_conf *c, struct cni_error *err);
void cni_conf_free(struct cni_conf *c);

/* The error document: {"cniVersion", "code", "msg"}.  malloc'd. */
char *cni_error_json(const char *version, const struct cni_error *err);
/* The ADD result: prevResult with the configuration's cniVersion (or an empty result).
 * malloc'd, NULL when out of memory. */
char *cni_result_json(const struct cni_conf *c);
/* VERSION's answer.  malloc'd. */
char *cni_version_json(const char *version);

#endif
