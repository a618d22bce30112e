/* `ps` filters: moby daemon/list.go (foldFilter, filterByNameIDMatches,
 * includeContainerInList, portOp) and api/types/network/port.go (ParsePortRange). */
#define _GNU_SOURCE
#include "psfilter.h"

#include "errmsg.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_NAME, K_ID, K_STATUS, K_EXITED, K_PUBLISH, K_EXPOSE, K_BEFORE, K_SINCE, K_N };

static const char *const key_names[K_N] = { "name",    "id",     "status", "exited",
					    "publish", "expose", "before", "since" };

struct value {
	char *s;
	regex_t re;
	bool re_ok;
	long long code;                  /* exited */
	unsigned start, end; char *proto; /* publish, expose */
};

struct ps_filter {
	struct value *v[K_N];
	size_t n[K_N];
};

static char *trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

/* Go's strconv.ParseUint(s, 10, 16) error words, or NULL. */
static const char *parse_port_number(const char *s, unsigned *out)
{
	if (!*s)
		return "value is empty";
	unsigned long n = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return "invalid syntax";
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 65535)
			return "value out of range";
	}
	*out = (unsigned)n;
	return NULL;
}

/* network.ParsePortRange: "80", "80/udp", "8000-8080/tcp"; the protocol is lower-cased,
 * tcp by default, and not checked. */
static int parse_port_filter(const char *key, struct value *v, char **err)
{
	const char *s = v->s;
	if (strchr(s, ':'))
		return errmsg(err, "filter for '%s' should not contain ':': %s", key, s);
	if (!*s)
		return errmsg(err, "error while looking up for %s %s: invalid port range: value is empty",
			    key, s);
	const char *slash = strchr(s, '/');
	size_t rlen = slash ? (size_t)(slash - s) : strlen(s);
	char *range = strndup(s, rlen);
	v->proto = strdup(slash && slash[1] ? slash + 1 : "tcp");
	if (!range || !v->proto) {
		free(range);
		return -ENOMEM;
	}
	for (char *p = v->proto; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	char *dash = strchr(range, '-');
	if (dash)
		*dash = '\0';
	const char *why = parse_port_number(range, &v->start);
	int e = 0;
	if (why) {
		e = errmsg(err, "error while looking up for %s %s: invalid start port '%s': %s", key, s,
			 range, why);
	} else if (!dash || strcmp(range, dash + 1) == 0) {
		v->end = v->start;
	} else if ((why = parse_port_number(dash + 1, &v->end))) {
		e = errmsg(err, "error while looking up for %s %s: invalid end port '%s': %s", key, s,
			 dash + 1, why);
	} else if (v->end < v->start) {
		e = errmsg(err, "error while looking up for %s %s: invalid port range: %s", key, s, s);
	}
	free(range);
	return e;
}

/* strconv.Atoi */
static int parse_exit_code(struct value *v, char **err)
{
	const char *s = v->s, *p = s;
	if (*p == '+' || *p == '-')
		p++;
	bool digits = *p != '\0';
	for (const char *q = p; *q; q++)
		digits = digits && *q >= '0' && *q <= '9';
	if (!digits)
		return errmsg(err, "invalid filter 'exited=%s': strconv.Atoi: parsing \"%s\": invalid syntax",
			    s, s);
	errno = 0;
	v->code = strtoll(s, NULL, 10);
	if (errno == ERANGE)
		return errmsg(err, "invalid filter 'exited=%s': strconv.Atoi: parsing \"%s\": value out "
			    "of range", s, s);
	return 0;
}

static int check_status(const struct value *v, char **err)
{
	static const char *const states[] = { "created", "running",  "paused", "restarting",
					      "removing", "exited", "dead" };
	for (size_t i = 0; i < sizeof states / sizeof *states; i++)
		if (strcmp(v->s, states[i]) == 0)
			return 0;
	return errmsg(err, "invalid filter 'status=%s': invalid value for state (%s): must be one of "
		    "created, running, paused, restarting, removing, exited, dead", v->s, v->s);
}

int ps_filter_new(const char *const *values, size_t n, struct ps_filter **out, char **err)
{
	*out = NULL;
	*err = NULL;
	struct ps_filter *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	int e = 0;
	for (size_t i = 0; i < n && !e; i++) {
		const char *eq = strchr(values[i], '=');
		if (!*values[i])
			continue;
		if (!eq) {
			*err = strdup("bad format of filter (expected name=value)");
			e = *err ? -EBADMSG : -ENOMEM;
			break;
		}
		char *key = trimmed(values[i], (size_t)(eq - values[i]));
		char *val = trimmed(eq + 1, strlen(eq + 1));
		if (!key || !val) {
			free(key);
			free(val);
			e = -ENOMEM;
			break;
		}
		for (char *p = key; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		int k = 0;
		while (k < K_N && strcmp(key, key_names[k]) != 0)
			k++;
		if (k == K_N) {
			e = errmsg(err, "invalid filter '%s'", key);
			free(key);
			free(val);
			break;
		}
		free(key);
		struct value *nv = realloc(f->v[k], (f->n[k] + 1) * sizeof *nv);
		if (!nv) {
			free(val);
			e = -ENOMEM;
			break;
		}
		f->v[k] = nv;
		nv[f->n[k]++] = (struct value){ .s = val };
	}
	/* the value checks, in the daemon's order */
	for (size_t i = 0; !e && i < f->n[K_EXITED]; i++)
		e = parse_exit_code(&f->v[K_EXITED][i], err);
	for (size_t i = 0; !e && i < f->n[K_STATUS]; i++)
		e = check_status(&f->v[K_STATUS][i], err);
	for (size_t i = 0; !e && i < f->n[K_PUBLISH]; i++)
		e = parse_port_filter("publish", &f->v[K_PUBLISH][i], err);
	for (size_t i = 0; !e && i < f->n[K_EXPOSE]; i++)
		e = parse_port_filter("expose", &f->v[K_EXPOSE][i], err);
	static const int regex_keys[] = { K_NAME, K_ID, K_STATUS };
	for (size_t r = 0; !e && r < 3; r++)
		for (size_t i = 0; i < f->n[regex_keys[r]]; i++) {
			struct value *v = &f->v[regex_keys[r]][i];
			v->re_ok = regcomp(&v->re, v->s, REG_EXTENDED | REG_NOSUB) == 0;
		}
	if (e) {
		ps_filter_free(f);
		return e;
	}
	*out = f;
	return 0;
}

void ps_filter_free(struct ps_filter *f)
{
	if (!f)
		return;
	for (int k = 0; k < K_N; k++) {
		for (size_t i = 0; i < f->n[k]; i++) {
			if (f->v[k][i].re_ok)
				regfree(&f->v[k][i].re);
			free(f->v[k][i].s);
			free(f->v[k][i].proto);
		}
		free(f->v[k]);
	}
	free(f);
}

const char *ps_filter_ref(const struct ps_filter *f, const char *key)
{
	int k = strcmp(key, "before") == 0 ? K_BEFORE : strcmp(key, "since") == 0 ? K_SINCE : -1;
	if (!f || k < 0 || !f->n[k])
		return NULL;
	return f->v[k][f->n[k] - 1].s;
}

bool ps_filter_implies_all(const struct ps_filter *f)
{
	return f && f->n[K_STATUS] > 0;
}

/* filters.Args.Match: no value matches everything; else an exact value or a regexp. */
static bool match(const struct ps_filter *f, int k, const char *s)
{
	if (!f || !f->n[k])
		return true;
	for (size_t i = 0; i < f->n[k]; i++)
		if (strcmp(f->v[k][i].s, s) == 0)
			return true;
	for (size_t i = 0; i < f->n[k]; i++)
		if (f->v[k][i].re_ok && regexec(&f->v[k][i].re, s, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* a name matches with its leading '/' or without */
static bool match_name(const struct ps_filter *f, const char *name)
{
	return match(f, K_NAME, name) || match(f, K_NAME, name[0] == '/' ? name + 1 : name);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static long long jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (long long)v->valuedouble : 0;
}

/* The container's own name: the one without a second '/' (link names are /parent/alias). */
static const char *own_name(const cJSON *c)
{
	const cJSON *n;
	cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(c, "Names"))
		if (cJSON_IsString(n) && !strchr(n->valuestring + (n->valuestring[0] == '/'), '/'))
			return n->valuestring;
	return "";
}

static bool port_in(const struct value *v, size_t n, long long port, const char *type)
{
	for (size_t i = 0; i < n; i++)
		if (port >= v[i].start && port <= v[i].end && strcmp(v[i].proto, type) == 0)
			return true;
	return false;
}

static bool ports_match(const struct ps_filter *f, const cJSON *c)
{
	if (!f->n[K_PUBLISH] && !f->n[K_EXPOSE])
		return true;
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c, "Ports"))
		if (port_in(f->v[K_PUBLISH], f->n[K_PUBLISH], jnum(p, "PublicPort"), jstr(p, "Type")) ||
		    port_in(f->v[K_EXPOSE], f->n[K_EXPOSE], jnum(p, "PrivatePort"), jstr(p, "Type")))
			return true;
	return false;
}

static bool exited_match(const struct ps_filter *f, const cJSON *c, bool running)
{
	if (!f->n[K_EXITED])
		return true;
	const char *started = jstr(c, "StartedAt");
	if (running || !*started || strncmp(started, "0001-01-01T00:00:00", 19) == 0)
		return false;
	for (size_t i = 0; i < f->n[K_EXITED]; i++)
		if (f->v[K_EXITED][i].code == jnum(c, "ExitCode"))
			return true;
	return false;
}

/* filterByNameIDMatches: with id or name filters, only the containers that a unique ID
 * prefix names (when there are id filters), and of those the ones with a matching name
 * (link names included), are candidates. */
static void candidates(const struct ps_filter *f, const cJSON *list, bool *cand, size_t n)
{
	if (!f || (!f->n[K_NAME] && !f->n[K_ID])) {
		for (size_t i = 0; i < n; i++)
			cand[i] = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		cand[i] = false;
	for (size_t v = 0; v < f->n[K_ID]; v++) {
		const char *pre = f->v[K_ID][v].s;
		size_t found = SIZE_MAX, hits = 0, i = 0;
		const cJSON *c;
		cJSON_ArrayForEach(c, list) {
			const char *id = jstr(c, "Id");
			if (strcmp(id, pre) == 0) {
				found = i;
				hits = 1;
				break;
			}
			if (*pre && strncmp(id, pre, strlen(pre)) == 0) {
				found = i;
				hits++;
			}
			i++;
		}
		if (hits == 1)
			cand[found] = true;
	}
	if (!f->n[K_NAME])
		return;
	size_t i = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, list) {
		if (!f->n[K_ID] || cand[i]) {
			bool any = false;
			const cJSON *nm;
			cJSON_ArrayForEach(nm, cJSON_GetObjectItemCaseSensitive(c, "Names"))
				any = any || (cJSON_IsString(nm) && match_name(f, nm->valuestring));
			cand[i] = any;
		}
		i++;
	}
}

int ps_filter_select(const struct ps_filter *f, const cJSON *list, bool all, long long limit,
		     const char *before_id, const char *since_id, bool *keep)
{
	size_t n = (size_t)cJSON_GetArraySize(list), i = 0;
	bool *cand = calloc(n + 1, sizeof *cand);
	if (!cand)
		return -ENOMEM;
	candidates(f, list, cand, n);
	long long shown = 0;
	bool stop = false;
	const cJSON *c;
	cJSON_ArrayForEach(c, list) {
		bool k = false;
		const char *id = jstr(c, "Id");
		/* Docker's State.Running: a container that waits for its restart runs too */
		bool running = strcmp(jstr(c, "State"), "running") == 0 ||
			       strcmp(jstr(c, "State"), "restarting") == 0;
		if (!cand[i] || stop) {
			/* not a candidate */
		} else if (before_id) {
			if (strcmp(id, before_id) == 0)
				before_id = NULL;
		} else if (since_id && strcmp(id, since_id) == 0) {
			stop = true;
		} else if (!running && !all && limit <= 0) {
			/* stopped */
		} else if (!match_name(f, own_name(c)) || !match(f, K_ID, id)) {
			/* another name or ID */
		} else if (limit > 0 && shown == limit) {
			stop = true;
		} else if (f && (!exited_match(f, c, running) ||
				 !match(f, K_STATUS, jstr(c, "State")) || !ports_match(f, c))) {
			/* filtered out */
		} else {
			k = true;
			shown++;
		}
		keep[i++] = k;
	}
	free(cand);
	return 0;
}
