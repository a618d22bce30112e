#include "core/hosts.h"

#include <stdlib.h>
#include <string.h>

#include "core/names.h"

/* A byte that may not appear in any field: a control character, DEL or a space. */
static bool bad_byte(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

static bool is_set(const char *s)
{
	return s && s[0];
}

/* 0 if `s` is a non-empty field without control characters or spaces; else -EINVAL naming it. */
static int check_field(const char *what, const char *s)
{
	char esc[CTR_ESC_BUF];
	if (!is_set(s))
		return ctr_err(-EINVAL, "hosts file: %s is empty", what);
	for (const char *p = s; *p; p++)
		if (bad_byte((unsigned char)*p)) {
			msg_escape(s, esc, sizeof esc);
			return ctr_err(-EINVAL, "hosts file: %s (%s) contains a space or a "
				       "control character", what, esc);
		}
	return 0;
}

/* Same, for a field that may be NULL or "". */
static int check_optional(const char *what, const char *s)
{
	return is_set(s) ? check_field(what, s) : 0;
}

static int check_inputs(const char *own_ip, const char *own_ip6, const char *hostname,
			const char *domainname, const struct hosts_link *links, size_t n_links)
{
	int r;
	if (is_set(own_ip)) {
		if ((r = check_field("own IP", own_ip)) < 0 ||
		    (r = check_optional("own IPv6", own_ip6)) < 0 ||
		    (r = check_field("hostname", hostname)) < 0 ||
		    (r = check_optional("domain name", domainname)) < 0)
			return r;
	}
	if (n_links && !links)
		return ctr_err(-EINVAL, "hosts file: no links");
	for (size_t i = 0; i < n_links; i++) {
		const struct hosts_link *l = &links[i];
		if ((r = check_optional("link IP", l->ip)) < 0 ||
		    (r = check_optional("link IPv6", l->ip6)) < 0 ||
		    (r = check_field("link alias", l->alias)) < 0 ||
		    (r = check_field("linked hostname", l->child_hostname)) < 0 ||
		    (r = check_field("linked name", l->child_name)) < 0)
			return r;
	}
	return 0;
}

static const char *const default_v6[][2] = {
	{ "::1", "localhost ip6-localhost ip6-loopback" },
	{ "fe00::", "ip6-localnet" },
	{ "ff00::", "ip6-mcastprefix" },
	{ "ff02::1", "ip6-allnodes" },
	{ "ff02::2", "ip6-allrouters" },
};

static void add_link_record(struct sbuf *sb, const char *ip, const struct hosts_link *l)
{
	sb_addf(sb, "%s\t%s %s", ip, l->alias, l->child_hostname);
	if (strcmp(l->alias, l->child_name) != 0)
		sb_addf(sb, " %s", l->child_name);
	sb_addc(sb, '\n');
}

static void add_own_record(struct sbuf *sb, const char *ip, const char *hostname,
			   const char *domainname)
{
	sb_addf(sb, "%s\t%s", ip, hostname);
	if (is_set(domainname))
		sb_addf(sb, ".%s", domainname);
	/* The short name: fqdn up to its first '.', when there is one.  The first '.' lies in
	 * hostname if hostname has one, else it is the one before domainname. */
	const char *dot = strchr(hostname, '.');
	if (dot || is_set(domainname)) {
		sb_addc(sb, ' ');
		sb_addn(sb, hostname, dot ? (size_t)(dot - hostname) : strlen(hostname));
	}
	sb_addc(sb, '\n');
}

int hosts_render(const char *own_ip, const char *own_ip6, const char *hostname,
		 const char *domainname, bool ipv6, const struct hosts_link *links, size_t n_links,
		 char **out)
{
	*out = NULL;
	int r = check_inputs(own_ip, own_ip6, hostname, domainname, links, n_links);
	if (r < 0)
		return r;

	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "127.0.0.1\tlocalhost\n");
	if (ipv6)
		for (size_t i = 0; i < ARRAY_SIZE(default_v6); i++)
			sb_addf(&sb, "%s\t%s\n", default_v6[i][0], default_v6[i][1]);

	for (size_t i = 0; i < n_links; i++) {
		if (is_set(links[i].ip))
			add_link_record(&sb, links[i].ip, &links[i]);
		if (ipv6 && is_set(links[i].ip6))
			add_link_record(&sb, links[i].ip6, &links[i]);
	}

	if (is_set(own_ip)) {
		add_own_record(&sb, own_ip, hostname, domainname);
		if (ipv6 && is_set(own_ip6))
			add_own_record(&sb, own_ip6, hostname, domainname);
	}

	*out = sb_finish(&sb);
	return *out ? 0 : -ENOMEM;
}

/* Go's \s: the characters that end a name in Docker's update pattern. */
static bool is_go_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

int hosts_update_alias(const char *content, const char *alias, const char *new_ip, char **out)
{
	*out = NULL;
	if (!content)
		return ctr_err(-EINVAL, "hosts file: no content");
	int r;
	if ((r = check_field("alias", alias)) < 0 || (r = check_field("new IP", new_ip)) < 0)
		return r;

	size_t alen = strlen(alias);
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, ""); /* sb_finish() of an untouched sbuf does not NUL-terminate */
	const char *line = content;
	while (*line) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl + 1 : line + strlen(line); /* LF included */
		const char *tab = memchr(line, '\t', (size_t)(end - line));
		bool match = false;
		if (tab && (size_t)(end - tab - 1) >= alen && memcmp(tab + 1, alias, alen) == 0) {
			char after = tab[1 + alen]; /* '\0' only at the end of the content */
			match = after == '\0' || after == '.' || is_go_space(after);
		}
		if (match) {
			const char *ip = tab; /* the run of non-blank characters before the TAB */
			while (ip > line && !is_go_space(ip[-1]))
				ip--;
			sb_addn(&sb, line, (size_t)(ip - line));
			sb_add(&sb, new_ip);
			sb_addn(&sb, tab, (size_t)(end - tab));
		} else {
			sb_addn(&sb, line, (size_t)(end - line));
		}
		line = end;
	}
	*out = sb_finish(&sb);
	return *out ? 0 : -ENOMEM;
}
