/* ctrlink-portmap: a chained CNI plugin that publishes a pod's runtimeConfig.portMappings
 * through libcontainer-link's NAT engine (the public API only, as any embedder would).
 *
 * The runtime runs it with CNI_COMMAND and friends in the environment and the network
 * configuration on stdin (doc/cni.md).  Each CNI network gets a state directory of its own,
 * /run/ctrlink/cni/<name> by default; a pod interface is an endpoint there, owned by
 * "<CNI_CONTAINERID>/<CNI_IFNAME>". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cniconf.h"
#include "container-link.h"

static const char *version = "1.1.0"; /* of the answer: the configuration's, once read */

static int answer(const char *json)
{
	if (!json) {
		fputs("{\"code\": 5, \"msg\": \"out of memory\"}\n", stdout);
		return 1;
	}
	fputs(json, stdout);
	fputc('\n', stdout);
	free((void *)json);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int fail(int code, const char *fmt, const char *arg)
{
	struct cni_error err = { code, "" };
	snprintf(err.msg, sizeof err.msg, fmt, arg);
	answer(cni_error_json(version, &err));
	return 1;
}

/* A library failure as a CNI error: the class from the errno, the library's message. */
static int lib_fail(int e, const char *what)
{
	int code = e == -EADDRINUSE || e == -ENOSPC ? CNI_ERR_PORT_TAKEN
		   : e == -EINVAL || e == -EADDRNOTAVAIL || e == -EAFNOSUPPORT ? CNI_ERR_CONFIG
		   : e == -EAGAIN ? CNI_ERR_AGAIN
		   : e == -ENOENT ? CNI_ERR_UNKNOWN
				   : CNI_ERR_IO;
	char msg[480];
	snprintf(msg, sizeof msg, "%s: %s", what, ctr_last_error());
	return fail(code, "%s", msg);
}

static char *read_stdin(void)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 >= cap) {
			if (cap >= (8u << 20)) { /* a configuration is small */
				free(buf);
				return NULL;
			}
			char *nb = realloc(buf, cap *= 2);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		ssize_t n = read(0, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int open_ctx(const struct cni_conf *c, bool with_net, ctr_ctx **ctx)
{
	ctr_ctx_options o;
	ctr_ctx_options_init(&o, CTR_CTX_OPTIONS_VERSION);
	o.state_dir = c->state_dir;
	if (with_net) {
		o.bridge = c->bridge;
		o.subnet = c->subnet4;
		o.subnet6 = c->subnet6[0] ? c->subnet6 : NULL;
		o.external_bridge = 1;
		o.nat_backend = !strcmp(c->backend, "iptables")	  ? CTR_NAT_IPTABLES
				: !strcmp(c->backend, "nftables") ? CTR_NAT_NFTABLES
								  : CTR_NAT_AUTO;
	}
	int e = ctr_ctx_open(ctx, &o);
	return e < 0 ? lib_fail(e, "cannot open the state directory") : 0;
}

static bool state_exists(const struct cni_conf *c)
{
	struct stat sb;
	return stat(c->state_dir, &sb) == 0;
}

int main(void)
{
	const char *cmd = env("CNI_COMMAND");
	if (!cmd)
		return fail(CNI_ERR_ENV, "%s", "CNI_COMMAND is not set");
	char *in = read_stdin();
	if (strcmp(cmd, "VERSION") == 0) {
		free(in);
		return answer(cni_version_json(NULL));
	}
	bool add = !strcmp(cmd, "ADD"), del = !strcmp(cmd, "DEL"), check = !strcmp(cmd, "CHECK");
	bool gc = !strcmp(cmd, "GC"), status = !strcmp(cmd, "STATUS");
	if (!add && !del && !check && !gc && !status) {
		free(in);
		return fail(CNI_ERR_ENV, "unknown CNI_COMMAND \"%.20s\"", cmd);
	}
	if (!in)
		return fail(CNI_ERR_IO, "%s", "cannot read the network configuration from stdin");
	const char *id = env("CNI_CONTAINERID"), *ifname = env("CNI_IFNAME");
	const char *netns = env("CNI_NETNS");
	struct cni_conf c;
	struct cni_error err;
	ctr_ctx *ctx = NULL;
	int r = cni_conf_parse(in, cmd, ifname, &c, &err);
	free(in);
	if (r < 0) {
		answer(cni_error_json(version, &err));
		return 1;
	}
	version = c.version;
	if ((add || del || check) && (!id || !ifname)) {
		r = fail(CNI_ERR_ENV, "%s", !id ? "CNI_CONTAINERID is not set" : "CNI_IFNAME is not set");
		goto out;
	}
	if ((add || check) && !netns) {
		r = fail(CNI_ERR_ENV, "%s", "CNI_NETNS is not set");
		goto out;
	}
	char owner[1100];
	snprintf(owner, sizeof owner, "%.900s/%.100s", id ? id : "", ifname ? ifname : "");
	int e = 0;
	if (add) {
		if (c.n_specs) { /* a pod without host ports costs nothing */
			if ((r = open_ctx(&c, true, &ctx)) != 0)
				goto out;
			ctr_endpoint_options o;
			ctr_endpoint_options_init(&o, CTR_ENDPOINT_OPTIONS_VERSION);
			o.owner = owner;
			o.ipv4 = c.ipv4;
			o.ipv6 = c.ipv6[0] ? c.ipv6 : NULL;
			o.netns = netns;
			o.ifname = ifname;
			o.publish = (const char *const *)c.specs;
			if ((e = ctr_endpoint_add(ctx, &o, NULL)) < 0) {
				r = lib_fail(e, "cannot publish the pod's ports");
				goto out;
			}
		}
		r = answer(cni_result_json(&c));
	} else if (del || gc) {
		if (state_exists(&c)) { /* nothing was ever published on this network */
			if ((r = open_ctx(&c, false, &ctx)) != 0)
				goto out;
			e = del ? ctr_endpoint_remove(ctx, owner)
				: ctr_endpoint_gc(ctx, (const char *const *)c.keep, NULL);
			if (e < 0) {
				r = lib_fail(e, del ? "cannot remove the pod's ports"
						    : "cannot collect stale pods");
				goto out;
			}
		}
		r = 0;
	} else if (check) {
		if (c.n_specs) {
			if ((r = open_ctx(&c, false, &ctx)) != 0)
				goto out;
			if ((e = ctr_endpoint_check(ctx, owner)) < 0) {
				r = lib_fail(e, "check failed");
				goto out;
			}
		}
		r = 0;
	} else { /* STATUS: ready when the state directory and the NAT engine answer */
		if ((r = open_ctx(&c, false, &ctx)) != 0)
			goto out;
		char *info = NULL;
		if ((e = ctr_info(ctx, &info)) < 0) {
			ctr_free(info);
			r = fail(CNI_ERR_NOT_READY, "not ready: %s", ctr_last_error());
			goto out;
		}
		ctr_free(info);
		r = 0;
	}
out:
	ctr_ctx_close(ctx);
	cni_conf_free(&c);
	return r;
}
