/* The container network: the bridge and its base rules, each container's veth, address,
 * published ports and link rules. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <limits.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ops/internal.h"
#include "core/sha256.h"
#include "core/plan_ports.h"
#include "core/natplan.h"
#include "core/portplan.h"
#include "sys/nftguard.h"
#include "sys/conntrack.h"
#include "sys/rtnl.h"
#include "sys/sockdiag.h"

/* The nftables backend is wired in when it is built (NFT_BACKEND, set by meson). */
#ifndef NFT_BACKEND
#define NFT_BACKEND 0
#endif

static const struct nat_ops *backend_ops(int backend)
{
#if NFT_BACKEND
	if (backend == CTR_NAT_NFTABLES)
		return &nat_nftables_ops;
#else
	(void)backend;
#endif
	return &nat_iptables_ops;
}

/* ---- network.json ------------------------------------------------------------------------- */

static int net_save(struct store *st, const struct netcfg *cfg)
{
	char *s;
	int e = netcfg_encode(cfg, &s);
	if (e < 0)
		return e;
	e = store_write(st, "network.json", s, strlen(s));
	free(s);
	return e;
}

static void to_natnet(const struct netcfg *c, struct nat_net *n)
{
	memset(n, 0, sizeof *n);
	snprintf(n->bridge, sizeof n->bridge, "%s", c->bridge);
	n->subnet = c->subnet;
	n->prefixlen = c->prefixlen;
	n->gateway = c->gateway;
	n->icc = c->icc;
	n->external = c->external;
	if (c->prefixlen6) {
		memcpy(n->subnet6, c->subnet6, 16);
		memcpy(n->gateway6, c->gateway6, 16);
		n->prefixlen6 = c->prefixlen6;
	}
}

/* The context's NAT handle for the network `cfg` describes (opened on first use, kept for the
 * context's life: closing a netfilter socket right after deletions waits for an RCU grace
 * period, so a long-lived context pays that once).  Used only under the state lock. */
static int nat_handle(ctr_ctx *ctx, const struct netcfg *cfg, const struct nat_ops **ops,
		      struct nat **nat)
{
	struct nat_net nn;
	const struct nat_ops *o = backend_ops(cfg->backend);
	to_natnet(cfg, &nn);
	if (ctx->nat && (ctx->nat_ops != o || memcmp(&ctx->nat_net, &nn, sizeof nn) != 0)) {
		ctx->nat_ops->close(ctx->nat);
		ctx->nat = NULL;
	}
	if (!ctx->nat) {
		int e = o->open(&ctx->nat, &nn);
		if (e < 0) {
			ctx->nat = NULL;
			return e;
		}
		ctx->nat_ops = o;
		ctx->nat_net = nn;
	}
	*ops = o;
	*nat = ctx->nat;
	return 0;
}

void net_close(ctr_ctx *ctx)
{
	if (ctx->nat)
		ctx->nat_ops->close(ctx->nat);
	ctx->nat = NULL;
	nft_guard_close(ctx->guard);
	ctx->guard = NULL;
	conntrack_close(ctx->ct);
	ctx->ct = NULL;
}

/* One change with the context's handle. */
/* The context's handle on the port guard of `bridge` (kept, as the NAT handle is). */
static int guard_handle(ctr_ctx *ctx, const char *bridge)
{
	if (ctx->guard && strcmp(nft_guard_bridge(ctx->guard), bridge) != 0) {
		nft_guard_close(ctx->guard);
		ctx->guard = NULL;
	}
	return ctx->guard ? 0 : nft_guard_open(&ctx->guard, bridge);
}

/* The port guard of `bridge` (see core/guard.h), changed by one batch.  A kernel without
 * nftables' bridge family has none: the start goes on, as `info` shows (PortGuard).  Used
 * only under the state lock. */
static int guard_change(ctr_ctx *ctx, const char *bridge, const struct guard_port *add,
			size_t n_add, const struct guard_port *del, size_t n_del, bool reset)
{
	int e = guard_handle(ctx, bridge);
	if (!e)
		e = nft_guard_apply(ctx->guard, add, n_add, del, n_del, reset);
	if (e == -EPROTONOSUPPORT || e == -EAFNOSUPPORT || e == -EOPNOTSUPP) {
		ctr_err_clear();
		return 0;
	}
	return e;
}

/* Delete the guard of `bridge` (its network goes). */
static void guard_remove(ctr_ctx *ctx, const char *bridge)
{
	if (guard_handle(ctx, bridge) == 0)
		nft_guard_remove(ctx->guard);
	ctr_err_clear();
}

static int nat_do(struct op *op, const struct netcfg *cfg, const struct nat_txn *txn, bool base)
{
	const struct nat_ops *ops;
	struct nat *nat;
	int e = nat_handle(op->ctx, cfg, &ops, &nat);
	if (e < 0)
		return e;
	if (base)
		e = ops->ensure_base(nat);
	if (!e && txn)
		e = ops->apply(nat, txn);
	FAULT("nat.commit");
	return e;
}

/* ---- sysctls ------------------------------------------------------------------------------ */

static int sysctl_set(const char *path, const char *value)
{
	char cur[16] = "";
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ctr_err_sys(-errno, "cannot open %s", path);
	ssize_t n = read(fd, cur, sizeof cur - 1);
	int e = 0;
	if (n <= 0 || strncmp(cur, value, strlen(value)) != 0 || cur[strlen(value)] != '\n') {
		if (pwrite(fd, value, strlen(value), 0) < 0)
			e = ctr_err_sys(-errno, "cannot write %s", path);
	}
	close(fd);
	return e;
}

/* ---- localhost publishing (CVE-2020-8558) ------------------------------------------------- */

static void localnet_path(const char *bridge, char *path, size_t len)
{
	snprintf(path, len, "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
}

/* route_localnet is on for the bridge (or it has no such setting: nothing to guard) */
static bool localnet_on(const char *bridge)
{
	char path[96], v[4] = "";
	localnet_path(bridge, path, sizeof path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	ssize_t n = read(fd, v, sizeof v - 1);
	close(fd);
	return n > 0 && v[0] != '0';
}

/* The base rules, then route_localnet on; when the rules cannot be made, it is turned off
 * (localhost publishing stops working, rather than containers reaching the host's 127/8). */
static int localnet_guarded(struct op *op, const struct netcfg *cfg)
{
	char path[96];
	localnet_path(cfg->bridge, path, sizeof path);
	int e = nat_do(op, cfg, NULL, true);
	if (e == 0)
		return sysctl_set(path, "1");
	char *msg = strdup(ctr_err_msg());
	sysctl_set(path, "0");
	ctr_err(e, "%s", msg ? msg : "cannot make the network's base rules");
	free(msg);
	return e;
}

/* ---- deciding and making the network ------------------------------------------------------ */

static bool any_running(struct op *op)
{
	struct alloc *a;
	if (op_alloc(op, &a) < 0) {
		ctr_err_clear();
		return true; /* be careful */
	}
	size_t bytes = (1u << (32 - a->prefixlen)) / 8;
	for (size_t i = 0; i < bytes; i++)
		if (a->ipmap[i])
			return true;
	return false;
}

static int choose_subnet(struct rtnl *nl, int ignore, uint32_t *net, int *pl)
{
	/* Docker's private pool first, then a quieter corner of 10/8 */
	for (int i = 0; i < 15 + 56; i++) {
		uint32_t cand = i < 15 ? (172u << 24) | ((uint32_t)(17 + i) << 16)
				       : (10u << 24) | ((uint32_t)(200 + i - 15) << 16);
		bool overlaps;
		char desc[80];
		int e = rtnl_route_overlap4(nl, htonl(cand), 16, ignore, &overlaps, desc, sizeof desc);
		if (e < 0)
			return e;
		if (!overlaps) {
			*net = htonl(cand);
			*pl = 16;
			return 0;
		}
	}
	return ctr_err(-ENOSPC, "no free private /16 subnet found for the containers; give one with "
				"--subnet");
}

/* The host never takes router advertisements from containers on its bridge (a container would
 * become the host's IPv6 router); without IPv6 on the network the bridge has no IPv6 at all
 * (no link-local address for containers to reach the host by).  Set before the bridge is up. */
static int bridge_ipv6_settings(const struct netcfg *cfg)
{
	char path[128];
	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/accept_ra", cfg->bridge);
	if (access(path, F_OK) < 0)
		return 0; /* the kernel has no IPv6 */
	int e = sysctl_set(path, "0");
	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", cfg->bridge);
	if (!e)
		e = sysctl_set(path, cfg->prefixlen6 ? "0" : "1");
	return e;
}

/* Whose a bridge is: the library marks each bridge it makes with its state directory, in the
 * bridge's alias ("ctrlink:<state dir>", as `ip link` shows it).  A bridge marked for another
 * state directory is that one's network: another network of ours on it would hand out the
 * same addresses and each one's gc would delete the other's rules.  A bridge with no mark is
 * someone else's (or an old version's): usable, never deleted. */
static void bridge_mark(const struct store *st, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "ctrlink:%s", st->path) >= len) { /* len: IFALIASZ */
		char hex[65];
		sha256_hex(st->path, strlen(st->path), hex);
		snprintf(buf, len, "ctrlink:sha256:%s", hex);
	}
}

/* The bridge `ifindex` exists: can this state directory use it?  0, or why not. */
static int bridge_check(struct rtnl *nl, const struct store *st, const struct netcfg *cfg,
			int ifindex)
{
	bool is_br = false;
	char alias[256], mine[256];
	int e = rtnl_link_bridge_alias(nl, ifindex, &is_br, alias, sizeof alias);
	if (!e && !is_br)
		e = ctr_err(-EEXIST, "interface %s exists and is not a bridge", cfg->bridge);
	if (!e && !cfg->external) {
		bridge_mark(st, mine, sizeof mine);
		if (strncmp(alias, "ctrlink:", 8) == 0 && strcmp(alias, mine) != 0)
			e = ctr_err(-EBUSY, "bridge %s is the network of another state directory (%s); "
					    "give %s a bridge of its own (--bridge or CTRLINK_BRIDGE)",
				    cfg->bridge, alias + 8, st->path);
	}
	return e;
}

/* Whether the bridge `name` is one this state directory made (and may delete). */
static bool bridge_ours(struct rtnl *nl, const struct store *st, const char *name)
{
	int ifindex;
	bool is_br;
	char alias[256], mine[256];
	bool ours = rtnl_link_index(nl, name, &ifindex) == 0 &&
		    rtnl_link_bridge_alias(nl, ifindex, &is_br, alias, sizeof alias) == 0 && is_br;
	bridge_mark(st, mine, sizeof mine);
	ctr_err_clear();
	return ours && strcmp(alias, mine) == 0;
}

/* Make the bridge if it is missing (1: made), marked as ours; bridge_check() has passed. */
static int bridge_up(const struct netcfg *cfg, const struct store *st, struct rtnl *nl,
		     int *ifindex)
{
	int e = rtnl_link_index(nl, cfg->bridge, ifindex);
	if (e == -ENODEV && cfg->external)
		return ctr_err(-ENODEV, "the external bridge %s does not exist (its owner, e.g. the "
					"CNI bridge plugin, makes it)",
			       cfg->bridge);
	if (e != -ENODEV)
		return e;
	ctr_err_clear();
	/* the gateway's MAC from its address, as a container's is from its own (02:42:...):
	 * fixed, and the same if the bridge is ever made again */
	uint8_t mac[6];
	mac_from_ip4(cfg->gateway, mac);
	e = rtnl_bridge_create(nl, cfg->bridge, mac, true);
	if (e < 0 && e != -EEXIST)
		return e;
	char mark[256];
	bridge_mark(st, mark, sizeof mark);
	if ((e = bridge_ipv6_settings(cfg)) < 0 || (e = rtnl_link_index(nl, cfg->bridge, ifindex)) < 0 ||
	    (e = rtnl_link_set_alias(nl, *ifindex, mark)) < 0 ||
	    (e = rtnl_addr_add(nl, *ifindex, AF_INET, &cfg->gateway, cfg->prefixlen)) < 0 ||
	    (cfg->prefixlen6 &&
	     (e = rtnl_addr_add(nl, *ifindex, AF_INET6, cfg->gateway6, cfg->prefixlen6)) < 0) ||
	    (e = rtnl_link_set_up(nl, *ifindex, true)) < 0)
		return e;
	return 1; /* created */
}

/* The backend `auto` picks: nftables where the kernel offers it and the host's iptables
 * command is the nft variant (or absent), so that our rules show in the tools the host
 * uses; else iptables (legacy). */
int net_auto_backend(void)
{
	static const char *const paths[] = { "/usr/sbin/iptables", "/sbin/iptables" };
	if (!NFT_BACKEND || !nft_probe())
		return CTR_NAT_IPTABLES;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		char real[PATH_MAX];
		if (!realpath(paths[i], real))
			continue;
		return strstr(real, "legacy") ? CTR_NAT_IPTABLES : CTR_NAT_NFTABLES;
	}
	return CTR_NAT_NFTABLES;
}

static bool same6(const struct netcfg *a, const struct netcfg *b)
{
	return a->prefixlen6 == b->prefixlen6 && memcmp(a->subnet6, b->subnet6, 16) == 0;
}

/* The network the context asks for: the recorded one, changed by the options given. */
static int wanted_net(ctr_ctx *ctx, const struct netcfg *old, struct netcfg *cfg)
{
	int e;
	*cfg = old ? *old : (struct netcfg){ 0 };
	/* a bridge given says whose it is; none given keeps what is recorded */
	if (ctx->opt_bridge) {
		snprintf(cfg->bridge, sizeof cfg->bridge, "%s", ctx->opt_bridge);
		cfg->external = ctx->opt_external != 0;
	} else if (!old) {
		snprintf(cfg->bridge, sizeof cfg->bridge, "%s", DEFAULT_BRIDGE);
	}
	if (cfg->external && !ctx->opt_subnet && !old)
		return ctr_err(-EINVAL, "the external bridge %s needs its subnet", cfg->bridge);
	if (ctx->opt_icc >= 0)
		cfg->icc = ctx->opt_icc;
	if (ctx->opt_backend != CTR_NAT_AUTO)
		cfg->backend = ctx->opt_backend;
	else if (!old)
		cfg->backend = net_auto_backend();
	if (cfg->backend == CTR_NAT_NFTABLES && !NFT_BACKEND)
		return ctr_err(-EOPNOTSUPP, "the nftables NAT backend is not in this build");
	if (ctx->opt_subnet && (e = parse_subnet(ctx->opt_subnet, &cfg->subnet,
						 &cfg->prefixlen)) < 0)
		return e;
	if (ctx->opt_subnet6) { /* "none" clears it */
		if ((e = parse_subnet6(ctx->opt_subnet6, cfg->subnet6, &cfg->prefixlen6)) < 0)
			return e;
		memset(cfg->gateway6, 0, 16);
		if (cfg->prefixlen6) {
			memcpy(cfg->gateway6, cfg->subnet6, 16);
			cfg->gateway6[15] |= 1;
		}
	}
	if (cfg->prefixlen6 && cfg->backend != CTR_NAT_NFTABLES)
		return ctr_err(-EINVAL, "an IPv6 subnet needs the nftables NAT backend (the iptables "
					"backend publishes IPv4 only)");
	return 0;
}

int net_ensure(struct op *op)
{
	ctr_ctx *ctx = op->ctx;
	struct netcfg old, cfg;
	bool have_old = false;
	int e = net_load(op->st, &old);
	if (e == 0)
		have_old = true;
	else if (e != -ENOENT)
		return e;
	ctr_err_clear();
	if ((e = wanted_net(ctx, have_old ? &old : NULL, &cfg)) < 0)
		return e;

	struct rtnl *nl;
	if ((e = rtnl_open(&nl)) < 0)
		return e;
	int brindex = 0;
	if (rtnl_link_index(nl, cfg.bridge, &brindex) < 0) {
		brindex = 0;
		ctr_err_clear();
	}
	/* the bridge asked for, if it exists, is checked before anything changes */
	if (brindex && (e = bridge_check(nl, op->st, &cfg, brindex)) < 0) {
		rtnl_close(nl);
		return e;
	}
	bool subnet_given = ctx->opt_subnet != NULL;
	bool changed = !have_old || strcmp(cfg.bridge, old.bridge) != 0 ||
		       cfg.subnet != old.subnet || cfg.prefixlen != old.prefixlen ||
		       cfg.icc != old.icc || cfg.backend != old.backend || !same6(&cfg, &old);
	if (!have_old && !subnet_given)
		e = choose_subnet(nl, brindex, &cfg.subnet, &cfg.prefixlen);
	if (!e && subnet_given && changed && !cfg.external) {
		bool overlaps;
		char desc[80];
		e = rtnl_route_overlap4(nl, cfg.subnet, cfg.prefixlen, brindex, &overlaps, desc,
					sizeof desc);
		if (!e && overlaps)
			e = ctr_err(-EEXIST, "subnet %s overlaps the host's route %s", ctx->opt_subnet,
				    desc);
	}
	cfg.gateway = htonl(ntohl(cfg.subnet) + 1);
	if (!e && changed && have_old && any_running(op)) {
		char sub[20];
		ip4_format(old.subnet, sub, sizeof sub);
		e = ctr_err(-EBUSY,
			    "the network of %s is bridge %s, subnet %s/%d, icc %s, backend %s; it "
			    "cannot change while containers are running",
			    op->st->path, old.bridge, sub, old.prefixlen, old.icc ? "on" : "off",
			    net_backend_name(old.backend));
	}
	if (!e && changed && have_old &&
	    (strcmp(old.bridge, cfg.bridge) || old.subnet != cfg.subnet ||
	     old.backend != cfg.backend || !same6(&cfg, &old))) {
		/* the old layout goes: its rules, and its bridge if no one uses it */
		const struct nat_ops *ops = backend_ops(old.backend);
		struct nat_net nn;
		struct nat *nat;
		to_natnet(&old, &nn);
		if (ops->open(&nat, &nn) == 0) {
			ops->remove_all(nat);
			ops->close(nat);
		}
		guard_remove(ctx, old.bridge);
		if (!old.external && bridge_ours(nl, op->st, old.bridge))
			rtnl_link_del(nl, old.bridge);
		ctr_err_clear();
		brindex = 0;
		if (op->alloc_loaded) {
			alloc_free(&op->alloc);
			op->alloc_loaded = false;
		}
	}
	bool created = false;
	if (!e) {
		e = bridge_up(&cfg, op->st, nl, &brindex);
		created = e == 1;
		if (created) {
			FAULT("net.bridge");
			e = 0;
		}
	}
	/* recorded once the bridge is there and usable */
	if (!e && changed)
		e = net_save(op->st, &cfg);
	if (!e) {
		op->net = cfg;
		op->have_net = true;
	}
	if (!e && !cfg.icc && !cfg.external && (access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) < 0 ||
			       (cfg.prefixlen6 &&
				access("/proc/sys/net/bridge/bridge-nf-call-ip6tables", F_OK) < 0)))
		e = ctr_err(-EOPNOTSUPP, "isolating containers (icc off) needs the kernel's bridge "
					 "netfilter (br_netfilter), which is not available");
	/* a bridge we did not create just now may predate a setting: bridged traffic must go
	 * through the firewall, IPv4 and IPv6 (else isolation is only skin-deep) */
	if (!e && !created && changed && !cfg.external && (e = bridge_ipv6_settings(&cfg)) == 0)
		e = rtnl_bridge_set_nf_call(nl, brindex, true);
	if (!e)
		e = sysctl_set("/proc/sys/net/ipv4/ip_forward", "1");
	if (!e && cfg.prefixlen6)
		e = sysctl_set("/proc/sys/net/ipv6/conf/all/forwarding", "1");
	/* The base rules (with the guard that drops what containers send to 127/8) go in first,
	 * route_localnet after: never on without the guard.  A bridge found with it off (a crash
	 * between the two, a change by someone else) gets the base again, then the setting. */
	if (!e && (created || changed || !localnet_on(cfg.bridge)))
		e = localnet_guarded(op, &cfg);
	rtnl_close(nl);
	return e;
}

int net_describe(ctr_ctx *ctx, struct netcfg *cfg, bool *recorded)
{
	struct netcfg old;
	*recorded = net_load(&ctx->st, &old) == 0;
	ctr_err_clear();
	int e = wanted_net(ctx, *recorded ? &old : NULL, cfg);
	if (e == 0 && !*recorded && !ctx->opt_subnet)
		cfg->subnet = 0; /* chosen at the first start */
	if (e == 0)
		cfg->gateway = cfg->subnet ? htonl(ntohl(cfg->subnet) + 1) : 0;
	return e;
}

bool net_nft_available(void)
{
	return NFT_BACKEND && nft_probe();
}

bool net_guard_available(void)
{
	return nft_probe();
}

int net_precheck(ctr_ctx *ctx)
{
	if ((!ctx->opt_subnet && !ctx->opt_subnet6 && ctx->opt_backend == CTR_NAT_AUTO) ||
	    (ctx->opt_bridge && ctx->opt_external))
		return 0;
	struct netcfg old, cfg;
	bool have_old = net_load(&ctx->st, &old) == 0;
	ctr_err_clear();
	int e = wanted_net(ctx, have_old ? &old : NULL, &cfg);
	if (e < 0 || !ctx->opt_subnet || (have_old && old.subnet == cfg.subnet &&
					 old.prefixlen == cfg.prefixlen))
		return e;
	struct rtnl *nl;
	if ((e = rtnl_open(&nl)) < 0)
		return e;
	int brindex = 0;
	if (rtnl_link_index(nl, cfg.bridge, &brindex) < 0) {
		brindex = 0;
		ctr_err_clear();
	}
	bool overlaps = false;
	char desc[80];
	e = rtnl_route_overlap4(nl, cfg.subnet, cfg.prefixlen, brindex, &overlaps, desc, sizeof desc);
	rtnl_close(nl);
	if (!e && overlaps)
		e = ctr_err(-EEXIST, "subnet %s overlaps the host's route %s", ctx->opt_subnet, desc);
	return e;
}

/* ---- per container ------------------------------------------------------------------------ */

static void read_eph_range(uint16_t *lo, uint16_t *hi)
{
	*lo = 49153;
	*hi = 65535;
	int fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	unsigned a, b;
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "%u %u", &a, &b) == 2 && a > 0 && a <= b && b <= 65535) {
			*lo = (uint16_t)a;
			*hi = (uint16_t)b;
		}
	}
}

/* bind(2) a socket of `type` to addr:port with SO_REUSEADDR (so that a TCP port with only
 * connections in TIME_WAIT counts as free, as the kernel would let a server have it): 0, or the
 * errno of the failure. */
static int bind_test(int fam, const uint8_t *addr, int type, uint16_t port)
{
	int s = socket(fam, type | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (fam == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
		sl = sizeof *sin;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
		sl = sizeof *sin6;
	}
	int r = bind(s, (struct sockaddr *)&ss, sl) == 0 ? 0 : errno;
	close(s);
	return r;
}

/* "failed to bind host port 0.0.0.0:8080/tcp: address already in use (<why>)": Docker's words
 * for a port it cannot bind. */
static int port_in_use(int fam, const char *host_ip, uint16_t port, int proto, const char *why)
{
	return ctr_err(-EADDRINUSE,
		       "failed to bind host port %s%s%s:%u/%s: address already in use (%s)",
		       fam == AF_INET6 ? "[" : "", host_ip, fam == AF_INET6 ? "]" : "", port,
		       proto_name((unsigned)proto), why);
}

static int pubs_add(void *arg, const char *bridge, const struct nat_rule *r)
{
	return pubports_add(arg, bridge, r) < 0 ? ctr_err(-ENOMEM, "out of memory") : 0;
}

/* The host ports that other state directories publish: the DNAT rules of the other bridges in
 * our backend's tables, and in the other backend's where it is built (a host can have both;
 * that one is read as far as it can be). */
static int load_pubs(struct op *op)
{
	const struct netcfg *cfg;
	const struct nat_ops *ops, *other;
	struct nat *nat, *h;
	int e;
	if ((e = op_netcfg(op, &cfg)) < 0 || (e = nat_handle(op->ctx, cfg, &ops, &nat)) < 0 ||
	    (e = ops->list_others(nat, pubs_add, &op->pubs)) < 0)
		return e;
	other = backend_ops(ops == &nat_iptables_ops ? CTR_NAT_NFTABLES : CTR_NAT_IPTABLES);
	if (other != ops && other->open(&h, &op->ctx->nat_net) == 0) {
		(void)other->list_others(h, pubs_add, &op->pubs);
		other->close(h);
	}
	ctr_err_clear();
	return 0;
}

/* Is the host port published by another state directory of ours, or in use by a host
 * process?  Both are read once per operation, when the first port is checked (a 1000-port
 * range is one reading, not 1000): the other bridges' DNAT rules, and the host's sockets
 * (where the kernel cannot list them, each port is bind-tested instead).  A specific host
 * address must be one of the host's (a bind test of port 0, once per address).  SCTP is only
 * checked against the other state directories: the kernel does not list SCTP sockets. */
static int probe_port(void *ctx, int proto, const char *host_ip, uint16_t port)
{
	struct op *op = ctx;
	int fam, type = proto == CTR_UDP ? SOCK_DGRAM : SOCK_STREAM, err;
	uint8_t addr[16];
	static const uint8_t any[16];
	if (host_ip_parse(host_ip, &fam, addr) < 0)
		return 0;
	size_t alen = fam == AF_INET6 ? 16 : 4;
	if (proto != CTR_SCTP && memcmp(addr, any, alen) != 0 &&
	    (op->addr_ok[0] != fam || memcmp(op->addr_ok + 1, addr, alen) != 0)) {
		if (bind_test(fam, addr, type, 0) == EADDRNOTAVAIL)
			return ctr_err(-EADDRNOTAVAIL,
				       "host address %s is not an address of this host", host_ip);
		op->addr_ok[0] = (uint8_t)fam;
		memcpy(op->addr_ok + 1, addr, alen);
	}
	if (op->pubs_state == 0) {
		int e = load_pubs(op);
		op->pubs_state = e < 0 ? e : 1;
	}
	if (op->pubs_state < 0) /* the reading failed: its message was set then */
		return op->pubs_state;
	const char *br = pubports_conflict(&op->pubs, proto, fam, addr, port);
	if (br) {
		char why[64];
		snprintf(why, sizeof why, "published by another state directory, on bridge %s", br);
		return port_in_use(fam, host_ip, port, proto, why);
	}
	if (proto == CTR_SCTP)
		return 0;
	if (op->socks_state == 0) {
		op->socks_state = sockdiag_load(&op->socks) == 0 ? 1 : -1;
		ctr_err_clear();
	}
	if (op->socks_state > 0)
		err = hostsocks_conflict(&op->socks, proto, fam, addr, port) ? EADDRINUSE : 0;
	else
		err = bind_test(fam, addr, type, port);
	if (err == EADDRINUSE)
		return port_in_use(fam, host_ip, port, proto, "by a process on the host");
	return 0;
}

int ports_check_backend(struct op *op, const struct ctr_binding *b, size_t n)
{
	struct netcfg old, cfg;
	bool have = net_load(op->st, &old) == 0, v6 = false;
	ctr_err_clear();
	if (wanted_net(op->ctx, have ? &old : NULL, &cfg) == 0)
		v6 = cfg.prefixlen6 != 0;
	ctr_err_clear();
	for (size_t i = 0; i < n; i++) {
		if (strcmp(b[i].host_ip, "::1") == 0 || strcmp(b[i].host_ip, "0:0:0:0:0:0:0:1") == 0)
			return ctr_err(-EADDRNOTAVAIL,
				       "cannot publish on ::1: the kernel never lets the IPv6 loopback "
				       "address leave the host's loopback interface, so no NAT can reach "
				       "a container from it (publish on :: and connect to a global "
				       "address of the host, or on 127.0.0.1)");
		if (strchr(b[i].host_ip, ':') && !v6)
			return ctr_err(-EAFNOSUPPORT,
				       "cannot publish on the IPv6 host address %s: the containers have "
				       "no IPv6 address (give the network an IPv6 subnet with "
				       "--subnet6, which needs the nftables backend)",
				       b[i].host_ip);
	}
	return 0;
}

void net_port_env(struct op *op, struct portplan_env *env)
{
	const struct netcfg *cfg;
	memset(env, 0, sizeof *env);
	read_eph_range(&env->eph_lo, &env->eph_hi);
	env->probe = probe_port;
	env->probe_ctx = op;
	if (op_netcfg(op, &cfg) == 0)
		env->ipv6 = cfg->prefixlen6 != 0;
	ctr_err_clear();
}

int net_plan(struct op *op, struct ctr_rec *rec)
{
	const struct netcfg *cfg;
	struct alloc *a;
	int e;
	if ((e = op_netcfg(op, &cfg)) < 0 || (e = op_alloc(op, &a)) < 0)
		return e;
	if (cfg->external)
		return ctr_err(-EINVAL, "the network of %s is the external bridge %s: it takes "
					"endpoints (ctr_endpoint_add), not containers",
			       op->st->path, cfg->bridge);
	uint32_t ip;
	if ((e = alloc_ip_next(a, &ip)) < 0)
		return e;
	op->alloc_dirty = true;

	struct portplan_env env;
	net_port_env(op, &env);
	struct ctr_mapping *m = NULL;
	size_t nm = 0;
	e = portplan(a, &env, rec->bindings, rec->n_bindings, rec->exposed, rec->n_exposed,
		     rec->publish_all, &m, &nm);
	if (e < 0) {
		alloc_ip_release(a, ip);
		return e;
	}
	free(rec->mappings);
	rec->mappings = m;
	rec->n_mappings = nm;
	rec->has_net = true;
	memset(&rec->net, 0, sizeof rec->net);
	rec->net.ip = ip;
	rec->net.gateway = cfg->gateway;
	rec->net.prefixlen = cfg->prefixlen;
	mac_from_ip4(ip, rec->net.mac);
	if (cfg->prefixlen6) {
		ip6_for(cfg, ip, rec->net.ip6);
		memcpy(rec->net.gateway6, cfg->gateway6, 16);
		rec->net.prefixlen6 = cfg->prefixlen6;
	}
	/* the host end: named after the container and its run, so a new run never meets an old
	 * end that the kernel has not finished removing */
	snprintf(rec->net.veth, sizeof rec->net.veth, "ctl%.8s%04x", rec->id,
		 (unsigned)(rec->generation & 0xffff));
	snprintf(rec->net.bridge, sizeof rec->net.bridge, "%s", cfg->bridge);
	return 0;
}

/* The running link peers of `rec` (its children, then its parents) into the view, whose
 * rules (core/plan_ports.c) follow rec's links both ways. */
static int link_peers(struct op *op, const struct ctr_rec *rec, struct rules_view *v)
{
	int e = 0;
	for (size_t i = 0; !e && i < rec->n_links; i++) {
		struct ctr_rec *k;
		if (store_rec_load(op->st, rec->links[i].target, &k) < 0) {
			ctr_err_clear();
			continue;
		}
		if (k->status == ST_RUNNING && k->has_net)
			e = rules_view_push(&v->children, &v->n_children, k, true);
		rec_free(k);
	}
	char **rl = NULL;
	if (!e && (e = store_rlinks(op->st, rec->id, &rl)) == 0) {
		for (size_t i = 0; !e && rl && rl[i]; i++) {
			char pid[CTR_ID_LEN + 1];
			struct ctr_rec *p;
			snprintf(pid, sizeof pid, "%.*s", CTR_ID_LEN, rl[i]);
			if (store_rec_load(op->st, pid, &p) < 0) {
				ctr_err_clear();
				continue;
			}
			if (p->status == ST_RUNNING && p->has_net)
				e = rules_view_push(&v->parents, &v->n_parents, p, false);
			rec_free(p);
		}
	}
	strv_free(rl);
	return e;
}

/* The rules a running container has: its DNAT rules and, under isolation and if `links`,
 * the link rules of its links both ways (appended to *rules). */
static int rules_of(struct op *op, const struct netcfg *cfg, const struct ctr_rec *rec,
		    bool links, struct nat_rule **rules, size_t *n)
{
	struct rules_view v = { .icc = cfg->icc };
	int e = links && !cfg->icc ? link_peers(op, rec, &v) : 0;
	if (!e)
		e = plan_rules(&v, rec, links, rules, n);
	rules_view_free(&v);
	return e;
}

/* One ct_match per mapping of `m` (host port and address); with `rec`, only the entries
 * DNAT'd to rec's address and the mapping's container port. */
static void flush_conntrack(struct op *op, const struct ctr_rec *rec,
			    const struct ctr_mapping *m, size_t n, bool udp_only)
{
	static const uint8_t any[16];
	static const uint8_t ipproto[CTR_NPROTO] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	struct ct_match *v = n ? calloc(n, sizeof *v) : NULL;
	size_t k = 0;
	for (size_t i = 0; v && i < n; i++) {
		int fam;
		uint8_t addr[16];
		if ((udp_only && m[i].cport.proto != CTR_UDP) || m[i].cport.proto >= CTR_NPROTO ||
		    host_ip_parse(m[i].host_ip, &fam, addr) < 0)
			continue;
		struct ct_match *x = &v[k];
		size_t alen = fam == AF_INET6 ? 16 : 4;
		x->family = (uint8_t)fam;
		x->proto = ipproto[m[i].cport.proto];
		x->dport = m[i].hport;
		x->any_dst = memcmp(addr, any, alen) == 0;
		memcpy(x->dst, addr, alen);
		if (rec) {
			const uint8_t *to = fam == AF_INET6 ? NET_IP6(&rec->net) : NULL;
			if (fam == AF_INET6 && !to)
				continue;
			x->to = true;
			if (to)
				memcpy(x->to_addr, to, 16);
			else
				memcpy(x->to_addr, &rec->net.ip, 4);
			x->to_port = m[i].cport.port;
		}
		k++;
	}
	/* the context's socket, opened on first use (under the state lock) */
	if (k && !op->ctx->ct && conntrack_open(&op->ctx->ct) < 0)
		op->ctx->ct = NULL; /* a socket of its own, or nothing to flush with */
	if (k)
		conntrack_flush(op->ctx->ct, v, k, NULL);
	free(v);
	ctr_err_clear();
}

void net_flush_udp(struct op *op, const struct ctr_mapping *m, size_t n)
{
	flush_conntrack(op, NULL, m, n, true);
}

void net_flush_dnat(struct op *op, const struct ctr_rec *rec, const struct ctr_mapping *m,
		    size_t n, bool udp_only)
{
	if (rec->has_net)
		flush_conntrack(op, rec, m, n, udp_only);
}

int net_guard_sync(struct op *op, const struct guard_port *v, size_t n)
{
	const struct netcfg *cfg;
	int e = op_netcfg(op, &cfg);
	return e < 0 ? e : guard_change(op->ctx, cfg->bridge, v, n, NULL, 0, true);
}

int net_attach(struct op *op, struct ctr_rec *rec, pid_t pid)
{
	struct guard_port gp;
	const struct netcfg *cfg;
	struct rtnl *nl;
	int e, br;
	if ((e = op_netcfg(op, &cfg)) < 0 || (e = rtnl_open(&nl)) < 0)
		return e;
	if ((e = rtnl_link_index(nl, cfg->bridge, &br)) == 0)
		e = rtnl_veth_create(nl, rec->net.veth, br, "eth0", rec->net.mac, pid);
	if (!e)
		FAULT("net.veth");
	/* before the container runs: it sends only as itself, from its own port */
	if (!e && guard_port_of(&rec->net, &gp))
		e = guard_change(op->ctx, cfg->bridge, &gp, 1, NULL, 0, false);
	if (!e) /* published ports (now or later) must reach their own container too */
		e = rtnl_bridge_port_hairpin(nl, rec->net.veth, true);
	/* the host knows the container's MAC (it made it): no ARP to lose or wait for */
	if (!e)
		e = rtnl_neigh_set(nl, br, AF_INET, &rec->net.ip, rec->net.mac, true);
	if (!e && rec->net.prefixlen6)
		e = rtnl_neigh_set(nl, br, AF_INET6, rec->net.ip6, rec->net.mac, true);
	rtnl_close(nl);
	return e;
}

bool net_gateway_mac(struct op *op, uint8_t mac[6])
{
	const struct netcfg *cfg;
	struct rtnl *nl;
	uint8_t want[6];
	bool fixed = false;
	if (op_netcfg(op, &cfg) == 0 && rtnl_open(&nl) == 0) {
		mac_from_ip4(cfg->gateway, want);
		fixed = rtnl_link_mac(nl, cfg->bridge, mac) == 0 && memcmp(mac, want, 6) == 0;
		rtnl_close(nl);
	}
	ctr_err_clear();
	return fixed;
}

int net_open_paths(struct op *op, const struct ctr_rec *rec)
{
	if (!rec->has_net)
		return 0;
	const struct netcfg *cfg;
	int e = op_netcfg(op, &cfg);
	if (e < 0)
		return e;
	struct nat_rule *rules = NULL;
	size_t n = 0;
	e = rules_of(op, cfg, rec, true, &rules, &n);
	if (!e && n) {
		struct nat_txn txn = { .add = rules, .n_add = n };
		e = nat_do(op, cfg, &txn, false);
	}
	free(rules);
	if (!e)
		net_flush_udp(op, rec->mappings, rec->n_mappings);
	return e;
}

int net_wait_ready(struct op *op, const struct ctr_rec *rec)
{
	if (!rec->has_net)
		return 0;
	const struct netcfg *cfg;
	struct rtnl *nl;
	int e;
	if ((e = op_netcfg(op, &cfg)) < 0 || (e = rtnl_open(&nl)) < 0)
		return e;
	/* the port, and the bridge itself, whose carrier went off when its last port went */
	e = rtnl_link_wait_ready(nl, rec->net.veth, 500);
	if (!e)
		e = rtnl_link_wait_ready(nl, cfg->bridge, 500);
	rtnl_close(nl);
	return e;
}

/* Give back a container's address (an endpoint's is its owner's) and host ports. */
static void release(struct op *op, const struct ctr_rec *rec)
{
	struct alloc *a;
	if (op_alloc(op, &a) == 0) {
		if (!rec->owner)
			alloc_ip_release(a, rec->net.ip);
		portplan_release(a, rec->mappings, rec->n_mappings);
		op->alloc_dirty = true;
	}
	ctr_err_clear();
}

/* A container whose rules could not all be deleted keeps its address and host ports: given to
 * the next container, they would come with the stale rules.  What it held is kept in
 * held/<id> (its record as it was), which a rebuild of the index takes too, until a later
 * teardown or gc deletes every rule that names it. */
static void hold(struct op *op, const struct ctr_rec *rec)
{
	char why[512];
	snprintf(why, sizeof why, "%s", ctr_err_msg());
	if (store_held_save(op->st, rec) < 0) /* the caller reports the teardown's error */
		ctr_err(-EIO, "%s", why);
}

int net_release_held(struct op *op, bool dropped)
{
	char **ids = NULL;
	int e = store_list(op->st, "held", &ids);
	if (e < 0 || !ids)
		return e;
	if (!dropped) { /* every rule naming them, whatever they were */
		struct nat_txn txn = { .drop_ids = (const char **)ids, .n_drop_ids = strv_len(
					       (const char *const *)ids) };
		e = net_apply(op, &txn);
	}
	for (size_t i = 0; !e && ids[i]; i++) {
		struct ctr_rec *r;
		if (store_held_load(op->st, ids[i], &r) == 0) {
			release(op, r);
			rec_free(r);
		}
		ctr_err_clear();
		e = store_held_drop(op->st, ids[i]);
	}
	strv_free(ids);
	return e;
}

void net_veth_del(const char *name)
{
	struct rtnl *nl;
	if (name[0] && rtnl_open(&nl) == 0) {
		rtnl_link_del(nl, name);
		rtnl_close(nl);
	}
	ctr_err_clear();
}

int net_detach(struct op *op, struct ctr_rec *rec)
{
	if (!rec->has_net)
		return 0;
	const struct netcfg *cfg;
	int e = op_netcfg(op, &cfg);
	if (e < 0)
		return e;
	struct rtnl *nl;
	if (rec->net.veth[0] && rtnl_open(&nl) == 0) { /* an endpoint has no veth of ours */
		int br;
		if (op->defer_veth)
			snprintf(op->veth_left, sizeof op->veth_left, "%s", rec->net.veth);
		else
			rtnl_link_del(nl, rec->net.veth);
		if (rtnl_link_index(nl, cfg->bridge, &br) == 0) {
			rtnl_neigh_set(nl, br, AF_INET, &rec->net.ip, NULL, false);
			if (rec->net.prefixlen6)
				rtnl_neigh_set(nl, br, AF_INET6, rec->net.ip6, NULL, false);
		}
		rtnl_close(nl);
		FAULT("net.veth_del");
		struct guard_port gp;
		if (guard_port_of(&rec->net, &gp))
			guard_change(op->ctx, cfg->bridge, NULL, 0, &gp, 1, false); /* else gc forgets it */
	}
	ctr_err_clear();
	/* exactly the rules this container has (as attach made them): no kernel listing */
	struct nat_rule *rules = NULL;
	size_t n = 0;
	e = rules_of(op, cfg, rec, true, &rules, &n);
	if (!e && n) {
		struct nat_txn txn = { .del = rules, .n_del = n };
		e = nat_do(op, cfg, &txn, false);
	}
	free(rules);
	if (e < 0) {
		/* its address and ports are not given out with stale rules attached */
		hold(op, rec);
	} else {
		net_release_held(op, false);
		ctr_err_clear();
	}
	/* the container is going: its TCP flows end with it (and a dump of the conntrack table
	 * costs 10-20 ms whatever its size), but a UDP client would stay on the old mapping */
	net_flush_dnat(op, rec, rec->mappings, rec->n_mappings, true);
	if (e >= 0)
		release(op, rec);
	rec->has_net = false;
	memset(&rec->net, 0, sizeof rec->net);
	free(rec->mappings);
	rec->mappings = NULL;
	rec->n_mappings = 0;
	return e;
}

/* The network configuration, or 0 with *cfg NULL when none was ever made: no container has
 * had a network, so there is no rule to change. */
static int netcfg_or_none(struct op *op, const struct netcfg **cfg)
{
	int e = op_netcfg(op, cfg);
	if (e == -ENOENT) {
		ctr_err_clear();
		*cfg = NULL;
		return 0;
	}
	return e;
}

int net_rules_view(struct op *op, const struct ctr_rec *rec, bool links, struct rules_view *v)
{
	const struct netcfg *cfg;
	memset(v, 0, sizeof *v);
	int e = netcfg_or_none(op, &cfg);
	if (e < 0 || !cfg)
		return e < 0 ? e : 1;
	v->icc = cfg->icc;
	return links && !cfg->icc ? link_peers(op, rec, v) : 0;
}

int net_apply(struct op *op, const struct nat_txn *txn)
{
	const struct netcfg *cfg;
	int e = netcfg_or_none(op, &cfg);
	return e < 0 || !cfg ? e : nat_do(op, cfg, txn, false);
}

int net_resync(struct op *op, const struct ctr_rec *rec)
{
	const struct netcfg *cfg;
	int e = netcfg_or_none(op, &cfg);
	if (e < 0 || !cfg)
		return e;
	struct nat_rule *rules = NULL;
	size_t n = 0;
	if (rec->status == ST_RUNNING && rec->has_net)
		e = rules_of(op, cfg, rec, true, &rules, &n);
	const char *ids[] = { rec->id };
	struct nat_txn txn = { .drop_ids = ids, .n_drop_ids = 1, .add = rules, .n_add = n };
	if (!e)
		e = nat_do(op, cfg, &txn, false);
	free(rules);
	return e;
}

int net_rules_list(struct op *op, struct nat_rule **out, size_t *n)
{
	const struct netcfg *cfg;
	int e = op_netcfg(op, &cfg);
	if (e < 0)
		return e;
	const struct nat_ops *ops;
	struct nat *nat;
	if ((e = nat_handle(op->ctx, cfg, &ops, &nat)) < 0)
		return e;
	return ops->list(nat, out, n);
}

int net_reconcile_base(struct op *op, const struct nat_txn *txn)
{
	int e = net_ensure(op);
	if (e < 0)
		return e;
	struct rtnl *nl;
	int br;
	if ((e = rtnl_open(&nl)) < 0)
		return e;
	if ((e = rtnl_link_index(nl, op->net.bridge, &br)) == 0 && !op->net.external)
		e = rtnl_bridge_set_nf_call(nl, br, true);
	rtnl_close(nl);
	if (e < 0 || (e = localnet_guarded(op, &op->net)) < 0)
		return e;
	return txn ? nat_do(op, &op->net, txn, false) : 0;
}
