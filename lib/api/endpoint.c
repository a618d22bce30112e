/* Endpoints: published ports for addresses the library did not create (a CNI plugin chain's
 * pods, a runtime's containers).  An endpoint is a record like a container's — same port
 * allocation, rules, journal, recovery and reconcile — with no process and no veth of ours:
 * it is "running" while its network namespace lives, and it is removed when it ends (the
 * record has auto-remove), so ctr_endpoint_remove() is run_finish(). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/natplan.h"
#include "core/portplan.h"
#include "core/portspec.h"
#include "core/sha256.h"
#include "sys/proc.h"
#include "ops/internal.h"

#define OWNER_MAX 1024

CTR_API int ctr_endpoint_options_init(ctr_endpoint_options *opts, unsigned version)
{
	ctr_err_clear();
	return opt_init(OPT_ENDPOINT, opts, version);
}

static int check_owner(const char *owner)
{
	if (!owner || !owner[0])
		return ctr_err(-EINVAL, "the endpoint's owner is missing");
	if (strlen(owner) > OWNER_MAX || str_has_ctl(owner))
		return ctr_err(-EINVAL, "invalid endpoint owner \"%s\": 1 to %d bytes without "
					"control characters",
			       SHOWN(owner), OWNER_MAX);
	return 0;
}

/* The record of a new endpoint from the options (no allocation yet). */
static int build_endpoint(const ctr_endpoint_options *o, struct ctr_rec *r)
{
	int e;
	if ((e = check_owner(o->owner)) < 0)
		return e;
	if (!o->ipv4)
		return ctr_err(-EINVAL, "the endpoint's IPv4 address is missing");
	if (inet_pton(AF_INET, o->ipv4, &r->net.ip) != 1)
		return ctr_err(-EINVAL, "invalid endpoint IPv4 address \"%s\"", SHOWN(o->ipv4));
	if (o->ipv6 && inet_pton(AF_INET6, o->ipv6, r->net.ip6) != 1)
		return ctr_err(-EINVAL, "invalid endpoint IPv6 address \"%s\"", SHOWN(o->ipv6));
	if (o->ifname && (!o->ifname[0] || strlen(o->ifname) > 15 || strchr(o->ifname, '/') ||
			  str_has_ctl(o->ifname)))
		return ctr_err(-EINVAL, "invalid endpoint interface name \"%s\"", SHOWN(o->ifname));
	if (o->netns) {
		struct stat sb;
		if (o->netns[0] != '/' || str_has_ctl(o->netns) || strlen(o->netns) > 4096)
			return ctr_err(-EINVAL, "invalid network namespace path \"%s\": an absolute "
						"path",
				       SHOWN(o->netns));
		if (stat(o->netns, &sb) < 0)
			return ctr_err_sys(-errno, "network namespace %s", SHOWN(o->netns));
		r->netns_dev = (uint64_t)sb.st_dev;
		r->netns_ino = (uint64_t)sb.st_ino;
	}
	if ((e = ports_publish_specs(r, o->publish)) < 0)
		return e;
	sha256_hex(o->owner, strlen(o->owner), r->id);
	char name[24];
	snprintf(name, sizeof name, "ep-%.*s", CTR_SHORT_ID_LEN, r->id);
	if (!(r->owner = xstrdup(o->owner)) || (o->netns && !(r->netns = xstrdup(o->netns))) ||
	    (o->ifname && !(r->ifname = xstrdup(o->ifname))) || !(r->name = xstrdup(name)) ||
	    !(r->hostname = strndup(r->id, CTR_SHORT_ID_LEN)))
		return ctr_err(-ENOMEM, "out of memory");
	r->auto_remove = true; /* an endpoint that ends is gone */
	return 0;
}

static bool in_subnet4(uint32_t ip, uint32_t net, int pl)
{
	uint32_t mask = pl ? htonl(~0u << (32 - pl)) : 0;
	return (ip & mask) == net;
}

static bool in_subnet6(const uint8_t *ip, const uint8_t *net, int pl)
{
	for (int i = 0; i < 16; i++) {
		int bits = pl - 8 * i;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		if ((ip[i] & mask) != net[i])
			return false;
	}
	return true;
}

/* The endpoint's addresses must be in the network's subnets. */
static int check_addrs(const struct netcfg *cfg, const struct ctr_rec *r, bool has_ip6)
{
	char buf[64];
	if (!in_subnet4(r->net.ip, cfg->subnet, cfg->prefixlen)) {
		ip4_format(r->net.ip, buf, sizeof buf);
		char sub[20];
		ip4_format(cfg->subnet, sub, sizeof sub);
		return ctr_err(-EINVAL, "endpoint address %s is not in the network's subnet %s/%d",
			       buf, sub, cfg->prefixlen);
	}
	if (has_ip6 && cfg->prefixlen6 && !in_subnet6(r->net.ip6, cfg->subnet6, cfg->prefixlen6)) {
		ip6_format(r->net.ip6, buf, sizeof buf);
		return ctr_err(-EINVAL, "endpoint address %s is not in the network's IPv6 subnet",
			       buf);
	}
	return 0;
}

/* Under the lock: give `r` its network fields and host ports (the address is its own). */
static int plan_endpoint(struct op *op, struct ctr_rec *r, bool has_ip6)
{
	const struct netcfg *cfg;
	struct alloc *a;
	int e;
	if ((e = op_netcfg(op, &cfg)) < 0 || (e = op_alloc(op, &a)) < 0)
		return e;
	if ((e = check_addrs(cfg, r, has_ip6)) < 0)
		return e;
	struct portplan_env env;
	net_port_env(op, &env);
	struct ctr_mapping *m = NULL;
	size_t nm = 0;
	if ((e = portplan(a, &env, r->bindings, r->n_bindings, r->exposed, r->n_exposed, false, &m,
			  &nm)) < 0)
		return e;
	op->alloc_dirty = true;
	free(r->mappings);
	r->mappings = m;
	r->n_mappings = nm;
	r->has_net = true;
	r->net.gateway = cfg->gateway;
	r->net.prefixlen = cfg->prefixlen;
	if (has_ip6 && cfg->prefixlen6) {
		memcpy(r->net.gateway6, cfg->gateway6, 16);
		r->net.prefixlen6 = cfg->prefixlen6;
	} else {
		memset(r->net.ip6, 0, 16);
	}
	snprintf(r->net.bridge, sizeof r->net.bridge, "%s", cfg->bridge);
	return 0;
}

/* The endpoint of `id` (-ENOENT without a message when there is none; -EEXIST when the ID is a
 * container's). */
static int load_endpoint(struct op *op, const char *id, const char *owner, struct ctr_rec **out)
{
	int e = store_rec_load(op->st, id, out);
	if (e == -ENOENT) {
		ctr_err_clear();
		return -ENOENT;
	}
	if (e < 0)
		return e;
	if (!(*out)->owner || strcmp((*out)->owner, owner) != 0) {
		rec_free(*out);
		*out = NULL;
		return ctr_err(-EEXIST, "the ID of endpoint \"%s\" is a container's", SHOWN(owner));
	}
	return 0;
}

CTR_API int ctr_endpoint_add(ctr_ctx *ctx, const ctr_endpoint_options *given,
			     char id_out[CTR_ID_LEN + 1])
{
	ctr_err_clear();
	if (!ctx || !given)
		return ctr_err(-EINVAL, "ctr_endpoint_add: context or options is NULL");
	ctr_endpoint_options full;
	if (opt_load(OPT_ENDPOINT, &full, given) < 0)
		return -EINVAL;
	given = &full;
	struct ctr_rec *r = calloc(1, sizeof *r), *old = NULL;
	if (!r)
		return ctr_err(-ENOMEM, "out of memory");
	int e = build_endpoint(given, r);
	if (e < 0) {
		rec_free(r);
		return e;
	}
	struct op op;
	if ((e = op_begin(&op, ctx)) < 0) {
		rec_free(r);
		return e;
	}
	/* the addresses against the network that will be, before anything is made */
	struct netcfg want;
	bool recorded;
	if ((e = net_describe(ctx, &want, &recorded)) == 0 && want.subnet)
		e = check_addrs(&want, r, given->ipv6 != NULL);
	if (!e && (e = net_ensure(&op)) == 0)
		e = ports_check_backend(&op, r->bindings, r->n_bindings);
	if (!e && (e = load_endpoint(&op, r->id, r->owner, &old)) == -ENOENT)
		e = 0;
	if (e < 0)
		goto out;
	if (old) {
		/* added again (a runtime retrying): the new one replaces it */
		if ((e = op_journal(&op, r->id, "start")) < 0 || (e = net_detach(&op, old)) < 0 ||
		    (e = store_rec_save(op.st, old)) < 0)
			goto out;
		r->generation = old->generation;
	} else if ((e = op_journal(&op, r->id, "create")) < 0 ||
		   (e = store_rec_mkdir(op.st, r->id)) < 0) {
		goto out;
	}
	r->generation++;
	r->created = old ? old->created : now_ns();
	r->started = now_ns();
	r->status = ST_RUNNING;
	if ((e = plan_endpoint(&op, r, given->ipv6 != NULL)) < 0 ||
	    (e = store_rec_save(op.st, r)) < 0)
		goto undo;
	if (!old) {
		char holder[CTR_ID_LEN + 1];
		if ((e = store_name_claim(op.st, r->name, r->id, holder)) == -EEXIST)
			e = ctr_err(-EEXIST, "the endpoint's name %s is in use by container %s",
				    r->name, holder);
		/* from here on an interruption is finished by recovery: rules made whole */
		if (!e)
			e = op_journal(&op, r->id, "start");
		if (e < 0)
			goto undo;
	}
	if ((e = net_open_paths(&op, r)) < 0)
		goto undo;
	if (id_out)
		memcpy(id_out, r->id, CTR_ID_LEN + 1);
	goto out;
undo:;
	char why[2048];
	snprintf(why, sizeof why, "%s", ctr_err_msg());
	net_detach(&op, r);
	if (!old)
		store_name_release(op.st, r->name, r->id);
	store_rlink_clear(op.st, r->id);
	store_rec_remove(op.st, r->id);
	ctr_err(e, "%s", why);
out:
	rec_free(old);
	rec_free(r);
	return op_end(&op, e);
}

CTR_API int ctr_endpoint_remove(ctr_ctx *ctx, const char *owner)
{
	ctr_err_clear();
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_endpoint_remove: context is NULL");
	int e = check_owner(owner);
	if (e < 0)
		return e;
	char id[CTR_ID_LEN + 1];
	sha256_hex(owner, strlen(owner), id);
	struct op op;
	if ((e = op_begin(&op, ctx)) < 0)
		return e;
	struct ctr_rec *r = NULL;
	if ((e = load_endpoint(&op, id, owner, &r)) == -ENOENT)
		e = 0; /* removed already, or never added */
	else if (e == 0)
		e = run_finish(&op, id, r->generation, 0);
	rec_free(r);
	return op_end(&op, e);
}

/* The rule's text for a message: "tcp 0.0.0.0:8080 -> 10.88.0.5:80". */
static void rule_text(const struct nat_rule *r, char *buf, size_t len)
{
	static const char *const proto[] = { "tcp", "udp", "sctp" };
	char h[46], c[46];
	if (r->family == AF_INET6) {
		ip6_format(r->u.dnat.host_ip6, h, sizeof h);
		ip6_format(r->u.dnat.cip6, c, sizeof c);
	} else {
		ip4_format(r->u.dnat.host_ip, h, sizeof h);
		ip4_format(r->u.dnat.cip, c, sizeof c);
	}
	bool v6 = r->family == AF_INET6;
	snprintf(buf, len, "%s %s%s%s:%u-%u -> %s%s%s:%u", r->proto < 3 ? proto[r->proto] : "?",
		 v6 ? "[" : "", h, v6 ? "]" : "", r->u.dnat.hport_lo, r->u.dnat.hport_hi,
		 v6 ? "[" : "", c, v6 ? "]" : "", r->u.dnat.cport_lo);
}

CTR_API int ctr_endpoint_check(ctr_ctx *ctx, const char *owner)
{
	ctr_err_clear();
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_endpoint_check: context is NULL");
	int e = check_owner(owner);
	if (e < 0)
		return e;
	char id[CTR_ID_LEN + 1];
	sha256_hex(owner, strlen(owner), id);
	struct op op;
	if ((e = op_begin(&op, ctx)) < 0)
		return e;
	struct ctr_rec *r = NULL;
	struct nat_rule *want = NULL, *have = NULL;
	size_t nwant = 0, nhave = 0;
	if ((e = load_endpoint(&op, id, owner, &r)) == -ENOENT) {
		e = ctr_err(-ENOENT, "no endpoint of \"%s\"", SHOWN(owner));
		goto out;
	}
	if (e < 0)
		goto out;
	if (!rec_alive(r)) {
		e = ctr_err(-ENOENT, "the endpoint of \"%s\" has ended: its network namespace %s is "
				     "gone",
			    SHOWN(owner), r->netns ? SHOWN(r->netns) : "");
		goto out;
	}
	if (!r->n_mappings)
		goto out;
	if ((e = natplan_dnat(r->id, r->net.ip, NET_IP6(&r->net), r->mappings, r->n_mappings, &want,
			      &nwant)) < 0 ||
	    (e = net_rules_list(&op, &have, &nhave)) < 0) {
		char msg[600];
		snprintf(msg, sizeof msg, "%s", ctr_err_msg());
		e = ctr_err(-ENOLINK, "the rules of the endpoint of \"%s\" cannot be read: %s",
			    SHOWN(owner), msg);
		goto out;
	}
	for (size_t i = 0; i < nwant; i++) {
		bool found = false;
		for (size_t k = 0; !found && k < nhave; k++)
			found = nat_rule_equal(&want[i], &have[k]);
		if (!found) {
			char t[200];
			rule_text(&want[i], t, sizeof t);
			e = ctr_err(-ENOLINK, "the endpoint of \"%s\" misses its rule %s", SHOWN(owner),
				    t);
			break;
		}
	}
out:
	free(want);
	free(have);
	rec_free(r);
	return op_end(&op, e);
}

CTR_API int ctr_endpoint_gc(ctr_ctx *ctx, const char *const *keep, char **report_out)
{
	ctr_err_clear();
	if (!ctx)
		return ctr_err(-EINVAL, "ctr_endpoint_gc: context is NULL");
	int e;
	for (size_t i = 0; keep && keep[i]; i++)
		if ((e = check_owner(keep[i])) < 0)
			return e;
	cJSON *removed = cJSON_CreateArray();
	if (!removed)
		return ctr_err(-ENOMEM, "out of memory");
	struct op op;
	char **ids = NULL;
	if ((e = op_begin(&op, ctx)) < 0) {
		cJSON_Delete(removed);
		return e;
	}
	e = store_ids(op.st, &ids);
	for (size_t i = 0; !e && ids && ids[i]; i++) {
		struct ctr_rec *r;
		if (store_rec_load(op.st, ids[i], &r) < 0) {
			ctr_err_clear();
			continue;
		}
		bool kept = !r->owner;
		for (size_t k = 0; !kept && keep && keep[k]; k++)
			kept = strcmp(keep[k], r->owner) == 0;
		if (!kept) {
			e = run_finish(&op, r->id, r->generation, 0);
			if (!e && !cJSON_AddItemToArray(removed, cJSON_CreateString(r->owner)))
				e = ctr_err(-ENOMEM, "out of memory");
		}
		rec_free(r);
	}
	strv_free(ids);
	if ((e = op_end(&op, e)) < 0) {
		cJSON_Delete(removed);
		return e;
	}
	/* then what reconcile does: dead endpoints, indexes, and the rules made whole */
	char *rep = NULL;
	if ((e = reconcile(ctx, &rep)) < 0) {
		cJSON_Delete(removed);
		return e;
	}
	cJSON *o = cJSON_Parse(rep);
	free(rep);
	if (!o || !cJSON_AddItemToObject(o, "EndpointsRemoved", removed)) {
		cJSON_Delete(o);
		cJSON_Delete(removed);
		return ctr_err(-ENOMEM, "out of memory");
	}
	if (report_out && !(*report_out = cJSON_Print(o)))
		e = ctr_err(-ENOMEM, "out of memory");
	cJSON_Delete(o);
	return e;
}
