#include "core/links.h"

#include <stdlib.h>
#include <string.h>

#include "core/names.h"

/* ---- --link values ----------------------------------------------------------------------- */

int linkspec_parse(const char *spec, char **name, char **alias)
{
	char esc[CTR_ESC_BUF];
	*name = NULL;
	*alias = NULL;
	if (!spec || !spec[0])
		return ctr_err(-EINVAL, "empty string specified for links");
	const char *colon = strchr(spec, ':');
	if (colon && strchr(colon + 1, ':')) {
		msg_escape(spec, esc, sizeof esc);
		return ctr_err(-EINVAL, "bad format for links: %s", esc);
	}
	char *n, *a;
	if (!colon) {
		n = strdup(spec);
		a = strdup(spec);
	} else if (spec[0] == '/') {
		const char *second = colon + 1;
		const char *slash = strrchr(second, '/');
		n = strndup(spec + 1, (size_t)(colon - spec - 1));
		a = strdup(slash ? slash + 1 : second);
	} else {
		n = strndup(spec, (size_t)(colon - spec));
		a = strdup(colon + 1);
	}
	if (!n || !a) {
		free(n);
		free(a);
		return ctr_err(-ENOMEM, "out of memory");
	}
	*name = n;
	*alias = a;
	return 0;
}

/* ---- a growable list of owned strings ---------------------------------------------------- */

struct strvec {
	char **v;
	size_t len, cap;
	bool oom;
};

static void vec_addf(struct strvec *vec, const char *fmt, ...) PRINTF(2, 3);

static void vec_addf(struct strvec *vec, const char *fmt, ...)
{
	if (vec->oom)
		return;
	if (vec->len == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 32;
		char **v = cap < SIZE_MAX / sizeof *v ? realloc(vec->v, cap * sizeof *v) : NULL;
		if (!v) {
			vec->oom = true;
			return;
		}
		vec->v = v;
		vec->cap = cap;
	}
	struct sbuf sb = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	char *s = sb_finish(&sb);
	if (!s) {
		vec->oom = true;
		return;
	}
	vec->v[vec->len++] = s;
}

static void vec_free(struct strvec *vec)
{
	for (size_t i = 0; i < vec->len; i++)
		free(vec->v[i]);
	free(vec->v);
	*vec = (struct strvec){ 0 };
}

/* Move every string of vec to the end of *env; vec is emptied.  0 or -ENOMEM (then nothing
 * moved, vec freed). */
static int vec_move_to(struct strvec *vec, char ***env)
{
	if (vec->oom) {
		vec_free(vec);
		return ctr_err(-ENOMEM, "out of memory");
	}
	size_t n = strv_len((const char *const *)*env);
	if (vec->len > SIZE_MAX / sizeof(char *) - n - 1) {
		vec_free(vec);
		return ctr_err(-ENOMEM, "out of memory");
	}
	char **nv = realloc(*env, (n + vec->len + 1) * sizeof *nv);
	if (!nv) {
		vec_free(vec);
		return ctr_err(-ENOMEM, "out of memory");
	}
	memcpy(nv + n, vec->v, vec->len * sizeof *nv);
	nv[n + vec->len] = NULL;
	*env = nv;
	free(vec->v);
	*vec = (struct strvec){ 0 };
	return 0;
}

/* ---- link environment -------------------------------------------------------------------- */

static const char *const proto_upper[CTR_NPROTO] = { "TCP", "UDP", "SCTP" };

/* v28 order of protocols: tcp first, then the others by name (sctp < udp). */
static int proto_rank(uint8_t proto)
{
	switch (proto) {
	case CTR_TCP: return 0;
	case CTR_SCTP: return 1;
	default: return 2;
	}
}

static int port_cmp_v28(const void *pa, const void *pb)
{
	const struct ctr_port *a = pa, *b = pb;
	int ra = proto_rank(a->proto), rb = proto_rank(b->proto);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return (a->port > b->port) - (a->port < b->port);
}

static bool has_ctl_or_space(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return true;
	return false;
}

static void emit_port(struct strvec *vec, const char *al, const char *ip, const struct ctr_port *p)
{
	const char *pn = proto_name(p->proto), *pu = proto_upper[p->proto];
	unsigned n = p->port;
	vec_addf(vec, "%s_PORT_%u_%s=%s://%s:%u", al, n, pu, pn, ip, n);
	vec_addf(vec, "%s_PORT_%u_%s_ADDR=%s", al, n, pu, ip);
	vec_addf(vec, "%s_PORT_%u_%s_PORT=%u", al, n, pu, n);
	vec_addf(vec, "%s_PORT_%u_%s_PROTO=%s", al, n, pu, pn);
}

static void emit_range(struct strvec *vec, const char *al, const char *ip,
		       const struct ctr_port *s, const struct ctr_port *e)
{
	const char *pu = proto_upper[s->proto];
	unsigned sn = s->port, en = e->port;
	vec_addf(vec, "%s_PORT_%u_%s_START=%s://%s:%u", al, sn, pu, proto_name(s->proto), ip, sn);
	vec_addf(vec, "%s_PORT_%u_%s_PORT_START=%u", al, sn, pu, sn);
	vec_addf(vec, "%s_PORT_%u_%s_END=%s://%s:%u", al, sn, pu, proto_name(e->proto), ip, en);
	vec_addf(vec, "%s_PORT_%u_%s_PORT_END=%u", al, sn, pu, en);
}

/* Sorted (v28 order), de-duplicated copy of the ports into *out (NULL when n is 0); returns
 * the count, or -ENOMEM. */
static long sorted_ports(const struct ctr_port *ports, size_t n, struct ctr_port **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	struct ctr_port *p = calloc(n, sizeof *p);
	if (!p)
		return ctr_err(-ENOMEM, "out of memory");
	memcpy(p, ports, n * sizeof *p);
	qsort(p, n, sizeof *p, port_cmp_v28);
	size_t m = 1;
	for (size_t i = 1; i < n; i++)
		if (p[i].port != p[m - 1].port || p[i].proto != p[m - 1].proto)
			p[m++] = p[i];
	*out = p;
	return (long)m;
}

int linkenv_render(const struct link_env_input *in, char ***env)
{
	char esc[CTR_ESC_BUF];
	if (!in || !in->link_name || !in->child_ip || (in->n_ports && !in->ports))
		return ctr_err(-EINVAL, "link environment: missing input");
	if (str_has_ctl(in->link_name)) {
		msg_escape(in->link_name, esc, sizeof esc);
		return ctr_err(-EINVAL, "link name (%s) contains control characters", esc);
	}
	const char *slash = strrchr(in->link_name, '/');
	const char *last = slash ? slash + 1 : in->link_name;
	int r = alias_validate(last);
	if (r < 0) {
		msg_escape(in->link_name, esc, sizeof esc);
		return ctr_err_prefix(r, "link name %s", esc);
	}
	if (!in->child_ip[0] || has_ctl_or_space(in->child_ip)) {
		msg_escape(in->child_ip, esc, sizeof esc);
		return ctr_err(-EINVAL, "link %s: invalid child IP (%s)", last, esc);
	}
	for (size_t i = 0; i < in->n_ports; i++)
		if (in->ports[i].proto >= CTR_NPROTO)
			return ctr_err(-EINVAL, "link %s: unknown protocol %u", last,
				       (unsigned)in->ports[i].proto);

	/* The prefix: the alias upper-cased, '-' turned into '_' (at most CTR_ALIAS_MAX long). */
	char al[CTR_ALIAS_MAX + 1];
	size_t alen = strlen(last);
	for (size_t i = 0; i < alen; i++) {
		char c = last[i];
		al[i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	al[alen] = '\0';

	struct ctr_port *ports;
	long np = sorted_ports(in->ports, in->n_ports, &ports);
	if (np < 0)
		return (int)np;

	const char *ip = in->child_ip;
	struct strvec vec = { 0 };
	if (np > 0)
		vec_addf(&vec, "%s_PORT=%s://%s:%u", al, proto_name(ports[0].proto), ip,
			 (unsigned)ports[0].port);
	/* A run of consecutive same-protocol ports is [rs, re]; its range block follows the
	 * per-port block of the port that closes it (the next port that does not continue it, or
	 * the last port). */
	size_t rs = 0, re = 0;
	for (size_t i = 0; i < (size_t)np; i++) {
		const struct ctr_port *p = &ports[i];
		emit_port(&vec, al, ip, p);
		const struct ctr_port *last_of_run = &ports[re];
		if (i > 0 && p->proto == last_of_run->proto &&
		    (unsigned)p->port == last_of_run->port + 1u) {
			re = i;
			if (i + 1 < (size_t)np)
				continue;
		}
		if (re != rs)
			emit_range(&vec, al, ip, &ports[rs], &ports[re]);
		rs = re = i;
	}
	free(ports);

	vec_addf(&vec, "%s_NAME=%s", al, in->link_name);
	for (const char *const *e = in->child_env; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		size_t klen = (size_t)(eq - *e);
		if ((klen == 4 && memcmp(*e, "HOME", 4) == 0) ||
		    (klen == 4 && memcmp(*e, "PATH", 4) == 0))
			continue;
		vec_addf(&vec, "%s_ENV_%s", al, *e);
	}
	return vec_move_to(&vec, env);
}

/* ---- environment merge ------------------------------------------------------------------- */

/* Length of the key of an entry: up to the first '=', or all of it. */
static size_t key_len(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq ? (size_t)(eq - e) : strlen(e);
}

static bool same_key(const char *entry, const char *key, size_t klen)
{
	return key_len(entry) == klen && memcmp(entry, key, klen) == 0;
}

/* Remove v[i] (freeing it) from a list of length *n. */
static void remove_at(char **v, size_t *n, size_t i)
{
	free(v[i]);
	memmove(v + i, v + i + 1, (*n - i) * sizeof *v); /* moves the NULL too */
	(*n)--;
}

int env_merge(char ***base, const char *const *overlay)
{
	size_t m = strv_len(overlay);
	if (m == 0)
		return 0;
	size_t n = strv_len((const char *const *)*base);
	if (m > SIZE_MAX / sizeof(char *) - n - 1)
		return ctr_err(-ENOMEM, "out of memory");

	/* Allocate everything first, so that the merge itself cannot fail half-way. */
	char **copies = calloc(m, sizeof *copies);
	if (!copies)
		return ctr_err(-ENOMEM, "out of memory");
	for (size_t j = 0; j < m; j++) {
		if (!strchr(overlay[j], '='))
			continue;
		copies[j] = strdup(overlay[j]);
		if (!copies[j])
			goto oom;
	}
	char **v = realloc(*base, (n + m + 1) * sizeof *v);
	if (!v)
		goto oom;
	v[n] = NULL;
	*base = v;

	for (size_t j = 0; j < m; j++) {
		const char *key = overlay[j];
		size_t klen = key_len(key);
		size_t i = 0;
		if (!copies[j]) {
			while (i < n)
				if (same_key(v[i], key, klen))
					remove_at(v, &n, i);
				else
					i++;
			continue;
		}
		while (i < n && !same_key(v[i], key, klen))
			i++;
		if (i == n) {
			v[n++] = copies[j];
			v[n] = NULL;
			continue;
		}
		free(v[i]);
		v[i] = copies[j];
		for (size_t k = i + 1; k < n;)
			if (same_key(v[k], key, klen))
				remove_at(v, &n, k);
			else
				k++;
	}
	free(copies);
	return 0;
oom:
	for (size_t j = 0; j < m; j++)
		free(copies[j]);
	free(copies);
	return ctr_err(-ENOMEM, "out of memory");
}

int env_defaults(char ***env, const char *hostname)
{
	if (!hostname)
		return ctr_err(-EINVAL, "env_defaults: no hostname");
	struct strvec vec = { 0 };
	vec_addf(&vec, "PATH=%s", CTR_DEFAULT_PATH);
	vec_addf(&vec, "HOSTNAME=%s", hostname);
	return vec_move_to(&vec, env);
}
