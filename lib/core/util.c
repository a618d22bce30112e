#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable string --------------------------------------------------------------------- */

static bool sb_grow(struct sbuf *sb, size_t extra)
{
	if (sb->oom)
		return false;
	if (sb->len + extra + 1 <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < sb->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			sb->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *s = realloc(sb->s, cap);
	if (!s) {
		sb->oom = true;
		return false;
	}
	sb->s = s;
	sb->cap = cap;
	return true;
}

void sb_addn(struct sbuf *sb, const char *s, size_t n)
{
	if (!sb_grow(sb, n))
		return;
	memcpy(sb->s + sb->len, s, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void sb_add(struct sbuf *sb, const char *s)
{
	sb_addn(sb, s, strlen(s));
}

void sb_addc(struct sbuf *sb, char c)
{
	sb_addn(sb, &c, 1);
}

void sb_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	if (!sb_grow(sb, (size_t)n))
		return;
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

char *sb_finish(struct sbuf *sb)
{
	if (sb->oom || !sb_grow(sb, 0)) {
		sb_free(sb);
		ctr_err(-ENOMEM, "out of memory");
		return NULL;
	}
	sb->s[sb->len] = '\0';
	char *s = sb->s;
	*sb = (struct sbuf)SBUF_INIT;
	return s;
}

void sb_free(struct sbuf *sb)
{
	free(sb->s);
	*sb = (struct sbuf)SBUF_INIT;
}

const char *sb_str(const struct sbuf *sb)
{
	return sb->s ? sb->s : "";
}

/* ---- strings ----------------------------------------------------------------------------- */

char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		ctr_err(-ENOMEM, "out of memory");
	return d;
}

size_t strv_len(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int strv_dup(char ***out, const char *const *v)
{
	*out = NULL;
	if (!v)
		return 0;
	size_t n = strv_len(v);
	char **d = calloc(n + 1, sizeof *d);
	if (!d)
		return ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		d[i] = strdup(v[i]);
		if (!d[i]) {
			strv_free(d);
			return ctr_err(-ENOMEM, "out of memory");
		}
	}
	*out = d;
	return 0;
}

bool strv_has(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int strv_push(char ***v, const char *s)
{
	size_t n = strv_len((const char *const *)*v);
	char *c = strdup(s);
	char **nv = c ? realloc(*v, (n + 2) * sizeof *nv) : NULL;
	if (!nv) {
		free(c);
		return ctr_err(-ENOMEM, "out of memory");
	}
	nv[n] = c;
	nv[n + 1] = NULL;
	*v = nv;
	return 0;
}

void strv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s || !*s)
		return -EINVAL;
	unsigned long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned long d = (unsigned long)(*p - '0');
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

void sort_unless_sorted(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	const char *b = v;
	for (size_t i = 1; i < n; i++)
		if (cmp(b + (i - 1) * size, b + i * size) > 0) {
			qsort(v, n, size, cmp);
			return;
		}
}

bool str_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}
