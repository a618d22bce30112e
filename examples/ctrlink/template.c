/*
 * template.c — a subset of Go's text/template evaluated over a cJSON document (see template.h).
 *
 * Three stages, as in Go: a lexer turns the whole template into tokens; a recursive-descent
 * parser builds a tree, allocated from an arena and freed in one go; an evaluator walks the
 * tree over the data.
 *
 * Values are cJSON items.  They are borrowed from the caller's document or from the
 * template's literals ("stable": they outlive the render), or computed by functions and owned
 * by a pool of temporaries that every statement releases when it is done ("tmp"), or owned
 * by a variable ("var").  A variable that is given a non-stable value gets its own copy;
 * {{range}}/{{with}} and function calls copy ("pin") a variable-owned value before using it,
 * since an assignment may replace the variable's copy meanwhile; so no value is freed while
 * something still points into it.
 *
 * Hostile templates: nesting is limited at parse time, printed JSON depth and output size
 * are limited, and every node evaluated, range iteration and byte built costs "work" from a
 * fixed budget, so no template can run for long or grow without bound.
 */
#include "template.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORK_LIMIT (1ull << 26)	/* cost units per render (~a byte built or copied each) */
#define NODE_COST 64ull		/* per node evaluated and per range iteration */
#define MAX_FMT_NUM 1000000	/* printf widths and precisions: fmt's "tooLarge" */
#define MAX_NUM_TEXT 512	/* longest number literal we convert */
#define SIG_BREAK 1
#define SIG_CONTINUE 2
#define SNIP 64			/* size of buffers that hold cut-down untrusted text */

/* ------------------------------------------------------------------------------------------ */
/* Small helpers: growable buffer, messages, arena, vectors, UTF-8                             */
/* ------------------------------------------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap, max;	/* max: the most bytes this buffer may hold */
};

static int buf_reserve(struct buf *b, size_t add)
{
	if (add > b->max || b->len > b->max - add)
		return -E2BIG;
	size_t need = b->len + add + 1;
	if (need <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;	/* need <= max + 1 <= 16 MiB + 1: cannot overflow */
	char *np = realloc(b->p, ncap);
	if (!np)
		return -ENOMEM;
	b->p = np;
	b->cap = ncap;
	return 0;
}

static int buf_put(struct buf *b, const void *s, size_t n)
{
	int rc = buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int buf_putc(struct buf *b, char c)
{
	return buf_put(b, &c, 1);
}

static int buf_puts(struct buf *b, const char *s)
{
	return buf_put(b, s, strlen(s));
}

static int buf_fill(struct buf *b, char c, size_t n)
{
	int rc = buf_reserve(b, n);
	if (rc)
		return rc;
	memset(b->p + b->len, c, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

__attribute__((format(printf, 2, 3))) static int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	int rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* A malloc'd formatted string, or NULL. */
__attribute__((format(printf, 1, 0))) static char *vmsg(const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s)
		vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

__attribute__((format(printf, 1, 2))) static char *msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vmsg(fmt, ap);
	va_end(ap);
	return s;
}

/* Copy at most max (< SNIP - 4) bytes of untrusted text for a message, "..." when cut;
 * control characters become '?'. */
static const char *snip(const char *s, size_t n, char out[SNIP], size_t max)
{
	size_t k = n < max ? n : max;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (n > max) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

/* Like snip, but quoted in Go's %q style (simplified), as Go prints a token. */
static const char *snip_quote(const char *s, size_t n, char out[SNIP])
{
	size_t k = 0, max = 10;
	out[k++] = '"';
	for (size_t i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out[k++] = '\\';
			out[k++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			k += (size_t)snprintf(out + k, SNIP - k, "\\x%02x", c);
		} else {
			out[k++] = (char)c;
		}
	}
	out[k++] = '"';
	if (n > max) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k] = '\0';
	return out;
}

struct ablock {
	struct ablock *next;
	size_t used, cap;
	max_align_t data[];
};

struct arena {
	struct ablock *head;
};

static void *arena_alloc(struct arena *a, size_t n)
{
	size_t al = sizeof(max_align_t);
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + al - 1) / al * al;
	struct ablock *b = a->head;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	void *p = (unsigned char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void arena_free(struct arena *a)
{
	while (a->head) {
		struct ablock *b = a->head;
		a->head = b->next;
		free(b);
	}
}

/* A stack of owned cJSON items: the template's literals, and the evaluator's temporaries. */
struct cvec {
	cJSON **v;
	size_t n, cap;
};

/* Takes ownership of c (frees it on failure). */
static int cvec_push(struct cvec *v, cJSON *c)
{
	if (!c)
		return -ENOMEM;
	if (v->n == v->cap) {
		size_t ncap = v->cap ? v->cap * 2 : 16;
		cJSON **nv = ncap < SIZE_MAX / sizeof *nv ? realloc(v->v, ncap * sizeof *nv) : NULL;
		if (!nv) {
			cJSON_Delete(c);
			return -ENOMEM;
		}
		v->v = nv;
		v->cap = ncap;
	}
	v->v[v->n++] = c;
	return 0;
}

static void cvec_release(struct cvec *v, size_t mark)
{
	while (v->n > mark)
		cJSON_Delete(v->v[--v->n]);
}

#define BAD_RUNE UINT32_MAX

/* Decode one UTF-8 sequence from s (n > 0 bytes): its length, and the rune or BAD_RUNE
 * (length 1) for an invalid byte. */
static size_t utf8_decode(const char *str, size_t n, uint32_t *r)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c = s[0];
	size_t len;
	uint32_t v, min;
	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if (n < len)
		goto bad;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*r = v;
	return len;
bad:
	*r = BAD_RUNE;
	return 1;
}

static size_t utf8_encode(uint32_t r, char out[4])
{
	if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = 0xfffd;
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xc0 | r >> 6);
		out[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xe0 | r >> 12);
		out[1] = (char)(0x80 | (r >> 6 & 0x3f));
		out[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | r >> 18);
	out[1] = (char)(0x80 | (r >> 12 & 0x3f));
	out[2] = (char)(0x80 | (r >> 6 & 0x3f));
	out[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

/* Runes in s[0:n] (an invalid byte counts as one). */
static size_t utf8_count(const char *s, size_t n)
{
	size_t count = 0;
	uint32_t r;
	for (size_t i = 0; i < n; count++)
		i += utf8_decode(s + i, n - i, &r);
	return count;
}

/* Go's strconv.IsPrint, approximated: Latin-1 controls, soft hyphen, the zero-width and
 * bidi formatting characters, line/paragraph separators, BOM and non-characters are not. */
static bool rune_printable(uint32_t r)
{
	if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xad)
		return false;
	if ((r >= 0x200b && r <= 0x200f) || (r >= 0x2028 && r <= 0x202e) ||
	    (r >= 0x2060 && r <= 0x206f) || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb))
		return false;
	if ((r & 0xfffe) == 0xfffe || (r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000)
		return false;
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Numbers: Go's formatting of float64, without libm                                          */
/* ------------------------------------------------------------------------------------------ */

/* The locale's radix character as snprintf writes it ('.' unless someone set LC_NUMERIC). */
static char radix_char(void)
{
	char probe[16];
	snprintf(probe, sizeof probe, "%.1f", 0.5);
	return probe[2] == '5' ? probe[1] : '.';
}

/* x as a long long if it is integral and in range. */
static bool as_int(double x, long long *out)
{
	if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
		return false;
	long long i = (long long)x;
	if ((double)i != x)
		return false;
	*out = i;
	return true;
}

/* Shortest decimal digits that read back as x (finite, > 0): x = d[0].d[1..] * 10^e. */
struct fdig {
	char d[32];
	int nd, e;
};

static void shortest_digits(double x, struct fdig *f)
{
	char tmp[64];
	for (int prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	f->nd = 0;
	const char *s = tmp;
	for (; *s && *s != 'e' && *s != 'E'; s++)
		if (*s >= '0' && *s <= '9' && f->nd < (int)sizeof f->d - 1)
			f->d[f->nd++] = *s;
	f->e = *s ? atoi(s + 1) : 0;
	while (f->nd > 1 && f->d[f->nd - 1] == '0')
		f->nd--;
}

static int put_exp_form(struct buf *b, const struct fdig *f, bool json, bool upper)
{
	int rc = buf_putc(b, f->d[0]);
	if (!rc && f->nd > 1) {
		rc = buf_putc(b, '.');
		if (!rc)
			rc = buf_put(b, f->d + 1, (size_t)f->nd - 1);
	}
	if (rc)
		return rc;
	int e = f->e < 0 ? -f->e : f->e;
	/* Go pads exponents to two digits; encoding/json then drops the 0 of "e-07". */
	return buf_printf(b, "%c%c%s%d", upper ? 'E' : 'e', f->e < 0 ? '-' : '+',
			  (e < 10 && !(json && f->e < 0)) ? "0" : "", e);
}

static int put_fixed_form(struct buf *b, const struct fdig *f)
{
	int rc;
	if (f->e >= f->nd - 1) {
		rc = buf_put(b, f->d, (size_t)f->nd);
		return rc ? rc : buf_fill(b, '0', (size_t)(f->e - f->nd + 1));
	}
	if (f->e >= 0) {
		rc = buf_put(b, f->d, (size_t)f->e + 1);
		if (!rc)
			rc = buf_putc(b, '.');
		return rc ? rc : buf_put(b, f->d + f->e + 1, (size_t)(f->nd - f->e - 1));
	}
	rc = buf_puts(b, "0.");
	if (!rc)
		rc = buf_fill(b, '0', (size_t)(-f->e - 1));
	return rc ? rc : buf_put(b, f->d, (size_t)f->nd);
}

/* Shortest formatting of x: mode 'g' as Go's %v/%g of a float64 (exponent form when the
 * decimal exponent is < -4 or >= 6), 'G' the same with 'E', 'j' as encoding/json (exponent
 * form below 1e-6 and from 1e21). */
static int fmt_float_short(struct buf *b, double x, int mode)
{
	if (isnan(x))
		return buf_puts(b, mode == 'j' ? "null" : "NaN");
	if (isinf(x))
		return buf_puts(b, mode == 'j' ? "null" : x > 0 ? "+Inf" : "-Inf");
	if (x == 0)
		return buf_puts(b, (signbit(x) && mode != 'j') ? "-0" : "0");
	bool neg = x < 0;
	double ax = neg ? -x : x;
	struct fdig f;
	shortest_digits(ax, &f);
	if (neg) {
		int rc = buf_putc(b, '-');
		if (rc)
			return rc;
	}
	bool expform = mode == 'j' ? (ax < 1e-6 || ax >= 1e21) : (f.e < -4 || f.e >= 6);
	return expform ? put_exp_form(b, &f, mode == 'j', mode == 'G') : put_fixed_form(b, &f);
}

/* Go's %v of a number: integers as integers (Docker's int fields), others as float64. */
static int fmt_number(struct buf *b, double x)
{
	long long i;
	if (as_int(x, &i))
		return buf_printf(b, "%lld", i);
	return fmt_float_short(b, x, 'g');
}

/* ------------------------------------------------------------------------------------------ */
/* Lexer                                                                                       */
/* ------------------------------------------------------------------------------------------ */

enum tok_type {
	TK_EOF, TK_ERROR, TK_TEXT, TK_LDELIM, TK_RDELIM, TK_SPACE, TK_FIELD, TK_VAR, TK_IDENT,
	TK_STRING, TK_RAWSTRING, TK_NUMBER, TK_CHARCONST, TK_LPAREN, TK_RPAREN, TK_PIPE,
	TK_DECLARE, TK_ASSIGN, TK_CHAR, TK_BOOL,
	TK_KEYWORD,	/* the types below print as <word> in messages */
	TK_DOT, TK_NIL, TK_IF, TK_ELSE, TK_END, TK_RANGE, TK_WITH, TK_BREAK, TK_CONTINUE,
	TK_DEFINE, TK_TEMPLATE, TK_BLOCK,
};

struct tok {
	int type;
	size_t pos, len;
};

struct lexer {
	const char *s;
	size_t n, pos;
	struct tok *t;
	size_t nt, cap;
	int paren;
	char err[160];
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
	       (unsigned char)c >= 0x80;
}

static int emit(struct lexer *l, int type, size_t pos, size_t len)
{
	if (l->nt == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct tok *nt = ncap < SIZE_MAX / sizeof *nt ? realloc(l->t, ncap * sizeof *nt)
							       : NULL;
		if (!nt)
			return -ENOMEM;
		l->t = nt;
		l->cap = ncap;
	}
	l->t[l->nt++] = (struct tok){ type, pos, len };
	return 0;
}

/* Record a lexical error as a final TK_ERROR token; returns 1 (stop) or -ENOMEM. */
__attribute__((format(printf, 2, 3))) static int lex_fail(struct lexer *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->err, sizeof l->err, fmt, ap);
	va_end(ap);
	int rc = emit(l, TK_ERROR, l->pos, 0);
	return rc ? rc : 1;
}

static int lex_bad_char(struct lexer *l, const char *what)
{
	if (l->pos >= l->n)
		return lex_fail(l, "%s", what);
	uint32_t r;
	size_t len = utf8_decode(l->s + l->pos, l->n - l->pos, &r);
	if (r == BAD_RUNE)
		return lex_fail(l, "%s byte 0x%02x", what, (unsigned char)l->s[l->pos]);
	if (rune_printable(r))
		return lex_fail(l, "%s U+%04X '%.*s'", what, (unsigned)r, (int)len, l->s + l->pos);
	return lex_fail(l, "%s U+%04X", what, (unsigned)r);
}

/* At "}}" or " -}}" (the right delimiter, with or without trim marker)? */
static bool at_rdelim(const struct lexer *l, size_t pos, bool *trim)
{
	const char *s = l->s + pos;
	size_t left = l->n - pos;
	if (left >= 4 && is_space(s[0]) && s[1] == '-' && s[2] == '}' && s[3] == '}') {
		*trim = true;
		return true;
	}
	if (left >= 2 && s[0] == '}' && s[1] == '}') {
		*trim = false;
		return true;
	}
	return false;
}

/* May an identifier, field or variable end here? */
static bool at_terminator(const struct lexer *l)
{
	if (l->pos >= l->n)
		return true;
	char c = l->s[l->pos];
	return is_space(c) || strchr(".,|:()}", c) != NULL;
}

static bool accept(struct lexer *l, const char *valid)
{
	if (l->pos < l->n && strchr(valid, l->s[l->pos])) {
		l->pos++;
		return true;
	}
	return false;
}

static void accept_run(struct lexer *l, const char *valid)
{
	while (accept(l, valid))
		;
}

/* Go's scanNumber: sign, base prefix, digits with '_', fraction, exponent, 'i'. */
static bool scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";
	accept(l, "+-");
	if (accept(l, "0")) {
		if (accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (accept(l, "oO"))
			digits = "01234567_";
		else if (accept(l, "bB"))
			digits = "01_";
	}
	accept_run(l, digits);
	if (accept(l, "."))
		accept_run(l, digits);
	if (strlen(digits) == 11 && accept(l, "eE")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && accept(l, "pP")) {
		accept(l, "+-");
		accept_run(l, "0123456789_");
	}
	accept(l, "i");
	if (l->pos < l->n && is_alnum(l->s[l->pos])) {
		l->pos++;
		return false;
	}
	return true;
}

static int keyword_type(const char *w, size_t n)
{
	static const struct {
		const char *w;
		int type;
	} kw[] = {
		{ "if", TK_IF },	   { "else", TK_ELSE },		{ "end", TK_END },
		{ "range", TK_RANGE },	   { "with", TK_WITH },		{ "break", TK_BREAK },
		{ "continue", TK_CONTINUE }, { "define", TK_DEFINE },	{ "template", TK_TEMPLATE },
		{ "block", TK_BLOCK },	   { "nil", TK_NIL },		{ "true", TK_BOOL },
		{ "false", TK_BOOL },
	};
	for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
		if (strlen(kw[i].w) == n && memcmp(kw[i].w, w, n) == 0)
			return kw[i].type;
	return TK_IDENT;
}

/* Scan a quoted token ending with q; "what" names it in the error. */
static int scan_quoted(struct lexer *l, char q, const char *what)
{
	const char *s = l->s;
	l->pos++;
	for (;;) {
		if (l->pos >= l->n || s[l->pos] == '\n')
			return lex_fail(l, "unterminated %s", what);
		char c = s[l->pos++];
		if (c == '\\') {
			if (l->pos >= l->n || s[l->pos] == '\n')
				return lex_fail(l, "unterminated %s", what);
			l->pos++;
		} else if (c == q) {
			return 0;
		}
	}
}

/* Lex the inside of an action, after "{{" (and its trim marker). */
static int lex_action(struct lexer *l, bool *trim_next)
{
	const char *s = l->s;
	l->paren = 0;
	for (;;) {
		bool trim;
		size_t start = l->pos;
		int type, rc;
		if (at_rdelim(l, l->pos, &trim)) {
			if (l->paren > 0)
				return lex_fail(l, "unclosed left paren");
			size_t dl = trim ? 4 : 2;
			rc = emit(l, TK_RDELIM, l->pos, dl);
			l->pos += dl;
			*trim_next = trim;
			return rc;
		}
		if (l->pos >= l->n)
			return lex_fail(l, "unclosed action");
		char c = s[l->pos];
		if (is_space(c)) {
			while (l->pos < l->n && is_space(s[l->pos])) {
				bool t2;
				if (at_rdelim(l, l->pos, &t2) && t2)
					break;
				l->pos++;
			}
			type = TK_SPACE;
		} else if (c == '=') {
			l->pos++;
			type = TK_ASSIGN;
		} else if (c == ':') {
			l->pos++;
			if (l->pos >= l->n || s[l->pos] != '=')
				return lex_fail(l, "expected :=");
			l->pos++;
			type = TK_DECLARE;
		} else if (c == '|') {
			l->pos++;
			type = TK_PIPE;
		} else if (c == '"') {
			if ((rc = scan_quoted(l, '"', "quoted string")))
				return rc;
			type = TK_STRING;
		} else if (c == '\'') {
			if ((rc = scan_quoted(l, '\'', "character constant")))
				return rc;
			type = TK_CHARCONST;
		} else if (c == '`') {
			const char *e = memchr(s + l->pos + 1, '`', l->n - l->pos - 1);
			if (!e)
				return lex_fail(l, "unterminated raw quoted string");
			l->pos = (size_t)(e - s) + 1;
			type = TK_RAWSTRING;
		} else if (c == '$' ||
			   (c == '.' && !(l->pos + 1 < l->n && is_digit(s[l->pos + 1])))) {
			l->pos++;
			while (l->pos < l->n && is_alnum(s[l->pos]))
				l->pos++;
			if (!at_terminator(l))
				return lex_bad_char(l, "bad character");
			type = c == '$' ? TK_VAR : l->pos - start == 1 ? TK_DOT : TK_FIELD;
		} else if (c == '.' || c == '+' || c == '-' || is_digit(c)) {
			if (!scan_number(l)) {
				char q[SNIP];
				return lex_fail(l, "bad number syntax: %s",
						snip_quote(s + start, l->pos - start, q));
			}
			type = TK_NUMBER;
		} else if (is_alnum(c)) {
			while (l->pos < l->n && is_alnum(s[l->pos]))
				l->pos++;
			if (!at_terminator(l))
				return lex_bad_char(l, "bad character");
			type = keyword_type(s + start, l->pos - start);
		} else if (c == '(') {
			l->pos++;
			l->paren++;
			type = TK_LPAREN;
		} else if (c == ')') {
			if (--l->paren < 0)
				return lex_fail(l, "unexpected right paren");
			l->pos++;
			type = TK_RPAREN;
		} else if (c > 0x20 && c < 0x7f) {
			l->pos++;
			type = TK_CHAR;
		} else {
			return lex_bad_char(l, "unrecognized character in action:");
		}
		if ((rc = emit(l, type, start, l->pos - start)))
			return rc;
	}
}

/* Lex the whole template.  Returns 0 (the tokens end with TK_EOF or TK_ERROR) or -ENOMEM. */
static int lex(struct lexer *l)
{
	const char *s = l->s;
	bool trim_next = false;
	int rc;
	for (;;) {
		const char *p = strstr(s + l->pos, "{{");
		size_t end = p ? (size_t)(p - s) : l->n;
		size_t ts = l->pos, te = end;
		bool ltrim = p && p[2] == '-' && is_space(p[3]);
		if (trim_next)
			while (ts < te && is_space(s[ts]))
				ts++;
		if (ltrim)
			while (te > ts && is_space(s[te - 1]))
				te--;
		if (te > ts && (rc = emit(l, TK_TEXT, ts, te - ts)))
			return rc;
		if (!p)
			return emit(l, TK_EOF, l->n, 0);
		l->pos = end + 2 + (ltrim ? 2 : 0);
		trim_next = false;
		if (s[l->pos] == '/' && s[l->pos + 1] == '*') {
			const char *c = strstr(s + l->pos + 2, "*/");
			if (!c)
				return lex_fail(l, "unclosed comment") < 0 ? -ENOMEM : 0;
			l->pos = (size_t)(c - s) + 2;
			bool trim;
			if (!at_rdelim(l, l->pos, &trim))
				return lex_fail(l, "comment ends before closing delimiter") < 0
					       ? -ENOMEM : 0;
			l->pos += trim ? 4 : 2;
			trim_next = trim;
			continue;
		}
		if ((rc = emit(l, TK_LDELIM, end, l->pos - end)))
			return rc;
		rc = lex_action(l, &trim_next);
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Parse tree                                                                                  */
/* ------------------------------------------------------------------------------------------ */

enum node_type {
	N_LIST, N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE, N_PIPE, N_CMD,
	N_FIELD, N_VAR, N_CHAIN, N_IDENT, N_DOT, N_NIL, N_LIT,
};

struct node {
	int type;
	size_t pos, end;		/* source span, for messages */
	struct node *next;		/* next item, command or argument */
	struct node *first, *last;	/* LIST: items; PIPE: commands; CMD: args; CHAIN: operand */
	struct node *pipe;		/* ACTION, IF, RANGE, WITH */
	struct node *list, *elselist;	/* IF, RANGE, WITH */
	const char **ids;		/* FIELD, VAR, CHAIN: the field names that follow */
	size_t nids, capids;
	const char *str;		/* TEXT: the bytes; VAR: the name ("$x") */
	size_t slen;			/* TEXT */
	const char *decl[2];		/* PIPE: declared or assigned variables */
	int ndecl;
	bool assign;			/* PIPE: "=" rather than ":=" */
	int nargs;			/* CMD */
	int fn;				/* IDENT */
	const cJSON *lit;		/* LIT, NIL */
};

enum fn_id {
	F_AND, F_OR, F_NOT, F_LEN, F_INDEX, F_PRINT, F_PRINTF, F_PRINTLN, F_EQ, F_NE, F_LT, F_LE,
	F_GT, F_GE, F_JSON, F_JOIN, F_SPLIT, F_UPPER, F_LOWER, F_TITLE, F_PAD, F_TRUNCATE,
	F_COUNT
};

static const struct fninfo {
	const char *name;
	int min, max;	/* arguments; max -1: any number */
} fns[F_COUNT] = {
	[F_AND] = { "and", 1, -1 },	   [F_OR] = { "or", 1, -1 },
	[F_NOT] = { "not", 1, 1 },	   [F_LEN] = { "len", 1, 1 },
	[F_INDEX] = { "index", 1, -1 },	   [F_PRINT] = { "print", 0, -1 },
	[F_PRINTF] = { "printf", 1, -1 },  [F_PRINTLN] = { "println", 0, -1 },
	[F_EQ] = { "eq", 2, -1 },	   [F_NE] = { "ne", 2, 2 },
	[F_LT] = { "lt", 2, 2 },	   [F_LE] = { "le", 2, 2 },
	[F_GT] = { "gt", 2, 2 },	   [F_GE] = { "ge", 2, 2 },
	[F_JSON] = { "json", 1, 1 },	   [F_JOIN] = { "join", 2, 2 },
	[F_SPLIT] = { "split", 2, 2 },	   [F_UPPER] = { "upper", 1, 1 },
	[F_LOWER] = { "lower", 1, 1 },	   [F_TITLE] = { "title", 1, 1 },
	[F_PAD] = { "pad", 3, 3 },	   [F_TRUNCATE] = { "truncate", 2, 2 },
};

/* ------------------------------------------------------------------------------------------ */
/* Parser                                                                                      */
/* ------------------------------------------------------------------------------------------ */

enum { TERM_EOF, TERM_END, TERM_ELSE, TERM_ELSE_CHAIN };

struct parser {
	const char *src;
	const struct tok *t;
	size_t nt, i;
	struct arena *ar;
	struct cvec *lits;
	const char **vars;	/* variables in scope, for "undefined variable" */
	size_t nvars, capvars;
	int depth, range_depth;
	const struct tok *term_tok;
	const char *lexerr;
	int rc;
	char *err;
};

static const struct tok *tok_at(const struct parser *p, size_t i)
{
	return &p->t[i < p->nt ? i : p->nt - 1];
}

static const struct tok *next(struct parser *p)
{
	return tok_at(p, p->i++);
}

static const struct tok *peek(struct parser *p)
{
	return tok_at(p, p->i);
}

static void backup(struct parser *p)
{
	p->i--;
}

static const struct tok *peek_ns(struct parser *p)
{
	while (peek(p)->type == TK_SPACE)
		p->i++;
	return peek(p);
}

static const struct tok *next_ns(struct parser *p)
{
	peek_ns(p);
	return next(p);
}

static int line_of(const char *src, size_t pos)
{
	int line = 1;
	for (size_t i = 0; i < pos && src[i]; i++)
		line += src[i] == '\n';
	return line;
}

__attribute__((format(printf, 3, 4))) static void *perr(struct parser *p, size_t pos,
							 const char *fmt, ...)
{
	if (p->rc)
		return NULL;
	p->rc = -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	char *m = vmsg(fmt, ap);
	va_end(ap);
	if (m)
		p->err = msg("template: :%d: %s", line_of(p->src, pos), m);
	free(m);
	return NULL;
}

static void *pnomem(struct parser *p)
{
	if (!p->rc)
		p->rc = -ENOMEM;
	return NULL;
}

/* Go's item.String(): EOF, <keyword>, or the quoted text. */
static const char *tok_desc(const struct parser *p, const struct tok *t, char out[SNIP])
{
	if (t->type == TK_EOF)
		return "EOF";
	if (t->type > TK_KEYWORD) {
		char tmp[SNIP];
		snprintf(out, SNIP, "<%s>", snip(p->src + t->pos, t->len, tmp, 20));
		return out;
	}
	return snip_quote(p->src + t->pos, t->len, out);
}

static void *unexpected(struct parser *p, const struct tok *t, const char *ctx)
{
	if (t->type == TK_ERROR)
		return perr(p, t->pos, "%s", p->lexerr);
	char d[SNIP];
	return perr(p, t->pos, "unexpected %s in %s", tok_desc(p, t, d), ctx);
}

static const struct tok *expect(struct parser *p, int type, const char *ctx)
{
	const struct tok *t = next_ns(p);
	if (t->type != type)
		return unexpected(p, t, ctx);
	return t;
}

static struct node *new_node(struct parser *p, int type, size_t pos)
{
	struct node *n = arena_alloc(p->ar, sizeof *n);
	if (!n)
		return pnomem(p);
	n->type = type;
	n->pos = n->end = pos;
	return n;
}

static void append(struct node *parent, struct node *child)
{
	if (parent->last)
		parent->last->next = child;
	else
		parent->first = child;
	parent->last = child;
}

static bool chain_add(struct parser *p, struct node *n, const char *name, size_t len)
{
	if (n->nids == n->capids) {
		size_t nc = n->capids ? n->capids * 2 : 4;
		const char **a = arena_alloc(p->ar, nc * sizeof *a);
		if (!a)
			return pnomem(p), false;
		if (n->nids)
			memcpy(a, n->ids, n->nids * sizeof *a);
		n->ids = a;
		n->capids = nc;
	}
	const char *s = arena_strndup(p->ar, name, len);
	if (!s)
		return pnomem(p), false;
	n->ids[n->nids++] = s;
	return true;
}

static bool pvar_push(struct parser *p, const char *name)
{
	if (p->nvars == p->capvars) {
		size_t nc = p->capvars ? p->capvars * 2 : 16;
		const char **nv = nc < SIZE_MAX / sizeof *nv ? realloc(p->vars, nc * sizeof *nv)
							     : NULL;
		if (!nv)
			return pnomem(p), false;
		p->vars = nv;
		p->capvars = nc;
	}
	p->vars[p->nvars++] = name;
	return true;
}

static bool pvar_defined(const struct parser *p, const char *name, size_t len)
{
	for (size_t i = p->nvars; i-- > 0;)
		if (strlen(p->vars[i]) == len && memcmp(p->vars[i], name, len) == 0)
			return true;
	return false;
}

static const cJSON *new_lit(struct parser *p, cJSON *c)
{
	if (cvec_push(p->lits, c))
		return pnomem(p);
	return c;
}

/* Decode one escape or character of a quoted literal at s[0:n] (n > 0), quote q.
 * Writes the bytes to out (up to 4) and returns how many input bytes were used, 0 on error. */
static size_t unquote_one(const char *s, size_t n, char q, char out[4], size_t *outn)
{
	uint32_t r;
	if (s[0] != '\\') {
		size_t len = utf8_decode(s, n, &r);
		if (r == BAD_RUNE) {
			*outn = utf8_encode(0xfffd, out);
			return 1;
		}
		memcpy(out, s, len);
		*outn = len;
		return len;
	}
	if (n < 2)
		return 0;
	char c = s[1];
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
	for (size_t i = 0; simple[i]; i += 2) {
		if (simple[i] == c) {
			out[0] = simple[i + 1];
			*outn = 1;
			return 2;
		}
	}
	if (c == '\'' || c == '"') {
		if (c != q)
			return 0;
		out[0] = c;
		*outn = 1;
		return 2;
	}
	size_t digits;
	int base;
	if (c == 'x') {
		digits = 2;
		base = 16;
	} else if (c == 'u') {
		digits = 4;
		base = 16;
	} else if (c == 'U') {
		digits = 8;
		base = 16;
	} else if (c >= '0' && c <= '7') {
		digits = 3;
		base = 8;
	} else {
		return 0;
	}
	size_t start = c >= '0' && c <= '7' ? 1 : 2;
	if (n < start + digits)
		return 0;
	uint32_t v = 0;
	for (size_t i = 0; i < digits; i++) {
		char d = s[start + i];
		int dv = d >= '0' && d <= '9' ? d - '0' : d >= 'a' && d <= 'f' ? d - 'a' + 10
			 : d >= 'A' && d <= 'F' ? d - 'A' + 10 : 99;
		if (dv >= base)
			return 0;
		v = v * (uint32_t)base + (uint32_t)dv;
	}
	if (c == 'x' || base == 8) {
		if (v > 255)
			return 0;
		out[0] = (char)v;	/* a byte, not a rune, as in Go */
		*outn = 1;
	} else {
		if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		*outn = utf8_encode(v, out);
	}
	return start + digits;
}

static const cJSON *parse_string_lit(struct parser *p, const struct tok *t)
{
	const char *s = p->src + t->pos + 1;
	size_t n = t->len - 2;
	char *d = malloc(n * 3 + 1);
	if (!d)
		return pnomem(p);
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (t->type == TK_RAWSTRING) {
			if (s[i] != '\r')	/* Go drops carriage returns from raw strings */
				d[k++] = s[i];
			i++;
			continue;
		}
		char out[4];
		size_t outn, used = unquote_one(s + i, n - i, '"', out, &outn);
		if (!used) {
			free(d);
			char q[SNIP];
			return perr(p, t->pos, "invalid syntax in quoted string %s",
				    snip_quote(p->src + t->pos, t->len, q));
		}
		memcpy(d + k, out, outn);
		k += outn;
		i += used;
	}
	d[k] = '\0';
	if (strlen(d) != k) {
		free(d);
		return perr(p, t->pos, "a NUL byte in a string literal is not supported");
	}
	const cJSON *c = new_lit(p, cJSON_CreateString(d));
	free(d);
	return c;
}

/* Go's number literals (ints in any base, decimal floats; no hex floats, no complex). */
static bool parse_number(const char *s, size_t n, double *out)
{
	char b[MAX_NUM_TEXT + 1];
	size_t k = 0;
	if (n > MAX_NUM_TEXT)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			b[k++] = s[i];
	b[k] = '\0';
	const char *q = b;
	bool neg = false;
	if (*q == '+' || *q == '-')
		neg = *q++ == '-';
	int base = 10;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		base = 16, q += 2;
	else if (q[0] == '0' && (q[1] == 'o' || q[1] == 'O'))
		base = 8, q += 2;
	else if (q[0] == '0' && (q[1] == 'b' || q[1] == 'B'))
		base = 2, q += 2;
	else if (q[0] == '0' && q[1] && !strpbrk(q, ".eE"))
		base = 8, q += 1;
	if (!*q)
		return false;
	if (base == 16 && strpbrk(q, ".pP")) {	/* hex float: mantissa, then p exponent */
		const char *r = q;
		size_t mant = 0;
		while (*r && strchr("0123456789abcdefABCDEF", *r))
			r++, mant++;
		if (*r == '.')
			for (r++; *r && strchr("0123456789abcdefABCDEF", *r); r++)
				mant++;
		if (!mant || (*r != 'p' && *r != 'P'))
			return false;
		r++;
		if (*r == '+' || *r == '-')
			r++;
		if (!is_digit(*r))
			return false;
		while (is_digit(*r))
			r++;
		if (*r)
			return false;
		base = 10;	/* strtod reads it */
		q = b + (neg || b[0] == '+');
	} else if (base != 10) {
		unsigned long long v = 0;
		for (; *q; q++) {
			int dv = is_digit(*q) ? *q - '0' : (*q | 0x20) >= 'a' && (*q | 0x20) <= 'f'
								   ? (*q | 0x20) - 'a' + 10 : 99;
			if (dv >= base || v > (ULLONG_MAX - (unsigned)dv) / (unsigned)base)
				return false;
			v = v * (unsigned)base + (unsigned)dv;
		}
		*out = neg ? -(double)v : (double)v;
		return true;
	}
	/* [digits][.digits][(e|E)[+-]digits], at least one digit before the exponent */
	const char *r = q;
	size_t mant = 0;
	bool hex = q[0] == '0' && (q[1] == 'x' || q[1] == 'X');
	while (!hex && is_digit(*r))
		r++, mant++;
	if (!hex && *r == '.')
		for (r++; is_digit(*r); r++)
			mant++;
	if (!hex && !mant)
		return false;
	if (!hex && (*r == 'e' || *r == 'E')) {
		r++;
		if (*r == '+' || *r == '-')
			r++;
		if (!is_digit(*r))
			return false;
		while (is_digit(*r))
			r++;
	}
	if (!hex && *r)
		return false;
	char rc = radix_char();
	if (rc != '.') {
		char *dot = strchr(b, '.');
		if (dot)
			*dot = rc;
	}
	char *end;
	double v = strtod(q, &end);
	if (*end || isinf(v))
		return false;
	*out = neg ? -v : v;
	return true;
}

static const cJSON *parse_number_lit(struct parser *p, const struct tok *t)
{
	double v;
	const char *s = p->src + t->pos;
	if (t->type == TK_CHARCONST) {
		char out[4];
		size_t outn = 0, used = 0;
		if (t->len > 2)
			used = unquote_one(s + 1, t->len - 2, '\'', out, &outn);
		uint32_t r = BAD_RUNE;
		if (used && used == t->len - 2) {
			if (outn == 1)
				r = (unsigned char)out[0];
			else
				utf8_decode(out, outn, &r);
		}
		if (!used || used != t->len - 2 || r == BAD_RUNE) {
			char q[SNIP];
			return perr(p, t->pos, "malformed character constant: %s",
				    snip(s, t->len, q, 40));
		}
		v = r;
	} else if (!parse_number(s, t->len, &v)) {
		char q[SNIP];
		return perr(p, t->pos, "illegal number syntax: %s", snip_quote(s, t->len, q));
	}
	return new_lit(p, cJSON_CreateNumber(v));
}

static bool check_arity(struct parser *p, const struct node *n, int fn, int nargs)
{
	const struct fninfo *f = &fns[fn];
	if (nargs >= f->min && (f->max < 0 || nargs <= f->max))
		return true;
	if (f->max < 0)
		perr(p, n->pos, "wrong number of args for %s: want at least %d got %d", f->name,
		     f->min, nargs);
	else
		perr(p, n->pos, "wrong number of args for %s: want %d got %d", f->name, f->min,
		     nargs);
	return false;
}

static struct node *pipeline(struct parser *p, const char *ctx, int endtype);
static struct node *item_list(struct parser *p, int *term);

static struct node *term(struct parser *p)
{
	const struct tok *t = next_ns(p);
	struct node *n;
	char q[SNIP];
	switch (t->type) {
	case TK_IDENT:
		for (int f = 0; f < F_COUNT; f++) {
			if (strlen(fns[f].name) == t->len &&
			    memcmp(fns[f].name, p->src + t->pos, t->len) == 0) {
				if (!(n = new_node(p, N_IDENT, t->pos)))
					return NULL;
				n->fn = f;
				n->end = t->pos + t->len;
				return n;
			}
		}
		return perr(p, t->pos, "function %s not defined", snip_quote(p->src + t->pos,
									       t->len, q));
	case TK_DOT:
	case TK_NIL:
		if (!(n = new_node(p, t->type == TK_DOT ? N_DOT : N_NIL, t->pos)))
			return NULL;
		n->end = t->pos + t->len;
		if (t->type == TK_NIL && !(n->lit = new_lit(p, cJSON_CreateNull())))
			return NULL;
		return n;
	case TK_VAR:
		if (!pvar_defined(p, p->src + t->pos, t->len))
			return perr(p, t->pos, "undefined variable %s",
				    snip_quote(p->src + t->pos, t->len, q));
		if (!(n = new_node(p, N_VAR, t->pos)))
			return NULL;
		if (!(n->str = arena_strndup(p->ar, p->src + t->pos, t->len)))
			return pnomem(p);
		n->end = t->pos + t->len;
		return n;
	case TK_FIELD:
		if (!(n = new_node(p, N_FIELD, t->pos)))
			return NULL;
		if (!chain_add(p, n, p->src + t->pos + 1, t->len - 1))
			return NULL;
		n->end = t->pos + t->len;
		return n;
	case TK_BOOL:
	case TK_NUMBER:
	case TK_CHARCONST:
	case TK_STRING:
	case TK_RAWSTRING:
		if (!(n = new_node(p, N_LIT, t->pos)))
			return NULL;
		n->end = t->pos + t->len;
		if (t->type == TK_BOOL)
			n->lit = new_lit(p, cJSON_CreateBool(p->src[t->pos] == 't'));
		else if (t->type == TK_STRING || t->type == TK_RAWSTRING)
			n->lit = parse_string_lit(p, t);
		else
			n->lit = parse_number_lit(p, t);
		return n->lit ? n : NULL;
	case TK_LPAREN:
		if (++p->depth > TEMPLATE_MAX_DEPTH)
			return perr(p, t->pos, "template nesting too deep (limit %d)",
				    TEMPLATE_MAX_DEPTH);
		n = pipeline(p, "parenthesized pipeline", TK_RPAREN);
		p->depth--;
		if (!n)
			return NULL;
		n->pos = t->pos;
		n->end = tok_at(p, p->i - 1)->pos + 1;
		return n;
	default:
		backup(p);
		return NULL;
	}
}

static struct node *operand(struct parser *p)
{
	struct node *n = term(p);
	if (!n || peek(p)->type != TK_FIELD)
		return n;
	struct node *c = n;
	switch (n->type) {
	case N_LIT:
	case N_DOT:
	case N_NIL: {
		char q[SNIP];
		return perr(p, peek(p)->pos, "unexpected . after term %s",
			    snip_quote(p->src + n->pos, n->end - n->pos, q));
	}
	case N_IDENT:
		if (!check_arity(p, n, n->fn, 0))
			return NULL;
		/* fall through */
	case N_PIPE:
		if (!(c = new_node(p, N_CHAIN, n->pos)))
			return NULL;
		c->first = n;
		break;
	default:
		break;
	}
	while (peek(p)->type == TK_FIELD) {
		const struct tok *t = next(p);
		if (!chain_add(p, c, p->src + t->pos + 1, t->len - 1))
			return NULL;
		c->end = t->pos + t->len;
	}
	return c;
}

static struct node *command(struct parser *p, bool *piped)
{
	struct node *cmd = new_node(p, N_CMD, peek_ns(p)->pos);
	if (!cmd)
		return NULL;
	*piped = false;
	for (;;) {
		peek_ns(p);
		struct node *op = operand(p);
		if (p->rc)
			return NULL;
		if (op) {
			append(cmd, op);
			cmd->nargs++;
			cmd->end = op->end;
		}
		const struct tok *t = next(p);
		switch (t->type) {
		case TK_SPACE:
			continue;
		case TK_RDELIM:
		case TK_RPAREN:
			backup(p);
			break;
		case TK_PIPE:
			*piped = true;
			break;
		default:
			return unexpected(p, t, "operand");
		}
		break;
	}
	if (!cmd->nargs)
		return perr(p, cmd->pos, "empty command");
	return cmd;
}

static bool check_command(struct parser *p, const struct node *cmd, int stage)
{
	const struct node *head = cmd->first;
	for (const struct node *a = head->next; a; a = a->next)
		if (a->type == N_IDENT && !check_arity(p, a, a->fn, 0))
			return false;
	if (head->type == N_IDENT)
		return check_arity(p, head, head->fn, cmd->nargs - 1 + (stage > 0));
	if (head->type == N_NIL)
		return perr(p, head->pos, "nil is not a command"), false;
	if (stage > 0 && (head->type == N_LIT || head->type == N_DOT))
		return perr(p, head->pos, "non executable command in pipeline stage %d",
			    stage + 1), false;
	if (cmd->nargs > 1 || stage > 0) {
		char q[SNIP];
		if (head->nids) {
			const char *last = head->ids[head->nids - 1];
			return perr(p, head->pos, "%s is not a method but has arguments",
				    snip(last, strlen(last), q, 40)), false;
		}
		return perr(p, head->pos, "can't give argument to non-function %s",
			    snip(p->src + head->pos, head->end - head->pos, q, 40)), false;
	}
	return true;
}

static bool add_decl(struct parser *p, struct node *pipe, const struct tok *v, bool declare)
{
	const char *name = arena_strndup(p->ar, p->src + v->pos, v->len);
	if (!name)
		return pnomem(p), false;
	if (declare) {
		if (!pvar_push(p, name))
			return false;
	} else if (!pvar_defined(p, name, v->len)) {
		char q[SNIP];
		return perr(p, v->pos, "undefined variable %s",
			    snip_quote(p->src + v->pos, v->len, q)), false;
	}
	pipe->decl[pipe->ndecl++] = name;
	return true;
}

/* "$x :=", "$x =", "$k, $v :=" at the start of a pipeline. */
static bool parse_decls(struct parser *p, struct node *pipe, const char *ctx)
{
	for (;;) {
		size_t save = p->i;
		const struct tok *v = next_ns(p);
		const struct tok *nx = peek_ns(p);
		bool comma = nx->type == TK_CHAR && p->src[nx->pos] == ',';
		if (nx->type != TK_DECLARE && nx->type != TK_ASSIGN && !comma) {
			p->i = save;
			return true;
		}
		next(p);
		if (!comma) {
			pipe->assign = nx->type == TK_ASSIGN;
			return add_decl(p, pipe, v, !pipe->assign);
		}
		if (!add_decl(p, pipe, v, true))
			return false;
		if (strcmp(ctx, "range") != 0 || pipe->ndecl >= 2)
			return perr(p, nx->pos, "too many declarations in %s", ctx), false;
		if (peek_ns(p)->type != TK_VAR)
			return perr(p, peek_ns(p)->pos, "range can only initialize variables"),
			       false;
	}
}

static bool operand_start(int type)
{
	switch (type) {
	case TK_BOOL: case TK_CHARCONST: case TK_DOT: case TK_FIELD: case TK_IDENT:
	case TK_NUMBER: case TK_NIL: case TK_RAWSTRING: case TK_STRING: case TK_VAR:
	case TK_LPAREN:
		return true;
	default:
		return false;
	}
}

static struct node *pipeline(struct parser *p, const char *ctx, int endtype)
{
	const struct tok *t = peek_ns(p);
	struct node *pipe = new_node(p, N_PIPE, t->pos);
	if (!pipe)
		return NULL;
	if (t->type == TK_VAR && !parse_decls(p, pipe, ctx))
		return NULL;
	int stage = 0;
	bool piped;
	for (;;) {
		t = peek_ns(p);
		if (t->type == endtype) {
			next(p);
			break;
		}
		if (!operand_start(t->type)) {
			next(p);
			return unexpected(p, t, ctx);
		}
		struct node *cmd = command(p, &piped);
		if (!cmd || !check_command(p, cmd, stage))
			return NULL;
		append(pipe, cmd);
		pipe->end = cmd->end;
		stage++;
	}
	if (!stage)
		return perr(p, t->pos, "missing value for %s", ctx);
	return pipe;
}

static struct node *parse_control(struct parser *p, int type, const struct tok *kw)
{
	const char *ctx = type == N_IF ? "if" : type == N_RANGE ? "range" : "with";
	if (++p->depth > TEMPLATE_MAX_DEPTH)
		return perr(p, kw->pos, "template nesting too deep (limit %d)", TEMPLATE_MAX_DEPTH);
	size_t vmark = p->nvars;
	struct node *n = new_node(p, type, kw->pos);
	if (!n)
		return NULL;
	n->end = kw->pos + kw->len;
	if (!(n->pipe = pipeline(p, ctx, TK_RDELIM)))
		return NULL;
	int term;
	if (type == N_RANGE)
		p->range_depth++;
	n->list = item_list(p, &term);
	if (type == N_RANGE)
		p->range_depth--;
	if (!n->list)
		return NULL;
	if (term == TERM_ELSE_CHAIN) {
		const struct tok *k = next_ns(p);
		if (!((type == N_IF && k->type == TK_IF) || (type == N_WITH && k->type == TK_WITH)))
			return unexpected(p, k, "input");
		struct node *sub = parse_control(p, type, k);
		if (!sub || !(n->elselist = new_node(p, N_LIST, k->pos)))
			return NULL;
		append(n->elselist, sub);
	} else if (term == TERM_ELSE) {
		if (!(n->elselist = item_list(p, &term)))
			return NULL;
		if (term == TERM_ELSE || term == TERM_ELSE_CHAIN)
			return perr(p, p->term_tok->pos, "expected end; found {{else}}");
	}
	if (term == TERM_EOF)
		return perr(p, p->term_tok->pos, "unexpected EOF");
	p->nvars = vmark;
	p->depth--;
	return n;
}

static struct node *parse_action(struct parser *p)
{
	const struct tok *k = peek_ns(p);
	struct node *n;
	switch (k->type) {
	case TK_IF:
		next(p);
		return parse_control(p, N_IF, k);
	case TK_RANGE:
		next(p);
		return parse_control(p, N_RANGE, k);
	case TK_WITH:
		next(p);
		return parse_control(p, N_WITH, k);
	case TK_BREAK:
	case TK_CONTINUE: {
		bool brk = k->type == TK_BREAK;
		next(p);
		if (!expect(p, TK_RDELIM, brk ? "{{break}}" : "{{continue}}"))
			return NULL;
		if (!p->range_depth)
			return perr(p, k->pos, "{{%s}} outside {{range}}",
				    brk ? "break" : "continue");
		if (!(n = new_node(p, brk ? N_BREAK : N_CONTINUE, k->pos)))
			return NULL;
		n->end = k->pos + k->len;
		return n;
	}
	case TK_DEFINE:
	case TK_TEMPLATE:
	case TK_BLOCK:
		return perr(p, k->pos, "{{%.*s}} is not supported", (int)k->len, p->src + k->pos);
	default:
		if (!(n = new_node(p, N_ACTION, k->pos)))
			return NULL;
		if (!(n->pipe = pipeline(p, "command", TK_RDELIM)))
			return NULL;
		n->end = n->pipe->end;
		return n;
	}
}

/* Items up to EOF, {{end}} or {{else}}; *term says which. */
static struct node *item_list(struct parser *p, int *term)
{
	struct node *list = new_node(p, N_LIST, peek(p)->pos);
	if (!list)
		return NULL;
	for (;;) {
		const struct tok *t = next(p);
		if (t->type == TK_TEXT) {
			struct node *n = new_node(p, N_TEXT, t->pos);
			if (!n)
				return NULL;
			n->str = p->src + t->pos;
			n->slen = t->len;
			n->end = t->pos + t->len;
			append(list, n);
			continue;
		}
		if (t->type == TK_EOF) {
			p->term_tok = t;
			*term = TERM_EOF;
			return list;
		}
		if (t->type != TK_LDELIM)
			return unexpected(p, t, "input");
		const struct tok *k = peek_ns(p);
		if (k->type == TK_END || k->type == TK_ELSE) {
			next(p);
			p->term_tok = k;
			if (k->type == TK_ELSE) {
				int nt = peek_ns(p)->type;
				if (nt == TK_IF || nt == TK_WITH) {
					*term = TERM_ELSE_CHAIN;
					return list;
				}
			}
			if (!expect(p, TK_RDELIM, k->type == TK_END ? "end" : "else"))
				return NULL;
			*term = k->type == TK_END ? TERM_END : TERM_ELSE;
			return list;
		}
		struct node *n = parse_action(p);
		if (!n)
			return NULL;
		append(list, n);
	}
}

static struct node *parse_template(struct parser *p)
{
	int term;
	if (!pvar_push(p, "$"))
		return NULL;
	struct node *list = item_list(p, &term);
	if (!list)
		return NULL;
	if (term == TERM_END)
		return perr(p, p->term_tok->pos, "unexpected {{end}}");
	if (term != TERM_EOF)
		return perr(p, p->term_tok->pos, "unexpected {{else}}");
	return list;
}

/* ------------------------------------------------------------------------------------------ */
/* Values                                                                                      */
/* ------------------------------------------------------------------------------------------ */

enum origin { O_STABLE, O_TMP, O_VAR };

/* How a JSON null prints, decided by the name it was found under (Docker's Go types). */
enum hint { H_NONE, H_NIL, H_SLICE, H_MAP, H_STRUCT };

struct val {
	const cJSON *j;		/* NULL: no value (a missing key) */
	unsigned char origin;	/* enum origin */
	unsigned char hint;	/* how j prints if it is null (H_STRUCT: an empty object is {}) */
	unsigned char elem;	/* the hint for j's children, H_NONE: by their key */
};

static const struct keyhint {
	const char *key;
	unsigned char self, elem;
} keyhints[] = {	/* sorted by strcmp */
	{ "Aliases", H_SLICE, H_NONE },
	{ "Annotations", H_MAP, H_NONE },
	{ "Args", H_SLICE, H_NONE },
	{ "Binds", H_SLICE, H_NONE },
	{ "BlkioDeviceReadBps", H_SLICE, H_NONE },
	{ "BlkioDeviceReadIOps", H_SLICE, H_NONE },
	{ "BlkioDeviceWriteBps", H_SLICE, H_NONE },
	{ "BlkioDeviceWriteIOps", H_SLICE, H_NONE },
	{ "BlkioWeightDevice", H_SLICE, H_NONE },
	{ "CapAdd", H_SLICE, H_NONE },
	{ "CapDrop", H_SLICE, H_NONE },
	{ "Cmd", H_SLICE, H_NONE },
	{ "DNSNames", H_SLICE, H_NONE },
	{ "DeviceCgroupRules", H_SLICE, H_NONE },
	{ "DeviceRequests", H_SLICE, H_NONE },
	{ "Devices", H_SLICE, H_NONE },
	{ "Dns", H_SLICE, H_NONE },
	{ "DnsOptions", H_SLICE, H_NONE },
	{ "DnsSearch", H_SLICE, H_NONE },
	{ "DriverOpts", H_MAP, H_NONE },
	{ "Entrypoint", H_SLICE, H_NONE },
	{ "Env", H_SLICE, H_NONE },
	{ "ExecIDs", H_SLICE, H_NONE },
	{ "ExposedPorts", H_MAP, H_STRUCT },
	{ "ExtraHosts", H_SLICE, H_NONE },
	{ "GroupAdd", H_SLICE, H_NONE },
	{ "Labels", H_MAP, H_NONE },
	{ "Links", H_SLICE, H_NONE },
	{ "MaskedPaths", H_SLICE, H_NONE },
	{ "Mounts", H_SLICE, H_NONE },
	{ "Names", H_SLICE, H_NONE },
	{ "Networks", H_MAP, H_NONE },
	{ "OnBuild", H_SLICE, H_NONE },
	{ "Options", H_MAP, H_NONE },
	{ "PortBindings", H_MAP, H_SLICE },
	{ "Ports", H_MAP, H_SLICE },
	{ "ReadonlyPaths", H_SLICE, H_NONE },
	{ "SecondaryIPAddresses", H_SLICE, H_NONE },
	{ "SecondaryIPv6Addresses", H_SLICE, H_NONE },
	{ "SecurityOpt", H_SLICE, H_NONE },
	{ "Shell", H_SLICE, H_NONE },
	{ "StorageOpt", H_MAP, H_NONE },
	{ "Sysctls", H_MAP, H_NONE },
	{ "Tmpfs", H_MAP, H_NONE },
	{ "Ulimits", H_SLICE, H_NONE },
	{ "Volumes", H_MAP, H_STRUCT },
	{ "VolumesFrom", H_SLICE, H_NONE },
};

static int keyhint_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keyhint *)elem)->key);
}

static const struct val MISSING = { NULL, O_STABLE, H_NIL, H_NONE };

static int jtype(const cJSON *j)
{
	return j->type & 0xff;
}

static const char *jstr(const cJSON *j)
{
	return j->valuestring ? j->valuestring : "";
}

static bool is_null(struct val v)
{
	return !v.j || jtype(v.j) == cJSON_NULL || jtype(v.j) == cJSON_Invalid;
}

/* The value of child c (NULL: missing) of parent, found under key (NULL: a list element). */
static struct val child_val(struct val parent, const cJSON *c, const char *key)
{
	struct val v = { c, parent.origin, H_NIL, H_NONE };
	if (!c)
		return MISSING;
	if (parent.elem != H_NONE) {
		v.hint = parent.elem;
	} else if (key) {
		const struct keyhint *k = bsearch(key, keyhints,
						  sizeof keyhints / sizeof keyhints[0],
						  sizeof keyhints[0], keyhint_cmp);
		if (k) {
			v.hint = k->self;
			v.elem = k->elem;
		}
	}
	return v;
}

static bool truth(struct val v)
{
	if (!v.j)
		return false;
	switch (jtype(v.j)) {
	case cJSON_True:
	case cJSON_Raw:
		return true;
	case cJSON_Number:
		return v.j->valuedouble != 0;
	case cJSON_String:
		return jstr(v.j)[0] != '\0';
	case cJSON_Array:
	case cJSON_Object:
		return v.j->child != NULL;
	default:
		return false;
	}
}

/* The Go type Docker users would see in messages. */
static const char *type_name(struct val v)
{
	long long i;
	if (is_null(v))
		return "<nil>";
	switch (jtype(v.j)) {
	case cJSON_False:
	case cJSON_True:
		return "bool";
	case cJSON_Number:
		return as_int(v.j->valuedouble, &i) ? "int" : "float64";
	case cJSON_String:
	case cJSON_Raw:
		return "string";
	case cJSON_Array:
		return "[]interface {}";
	case cJSON_Object:
		return "map[string]interface {}";
	default:
		return "<nil>";
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluator state                                                                             */
/* ------------------------------------------------------------------------------------------ */

struct var {
	const char *name;
	struct val v;
	cJSON *own;	/* the variable's own copy of a computed value, or NULL */
};

struct exec {
	const char *src;
	struct buf out;
	struct cvec tmp;	/* temporaries; each statement releases its own */
	struct var *vars;
	size_t nvars, capvars;
	unsigned long long work;
	const char *pend;	/* message for an error raised where no node is at hand */
	char *err;
};

/* Record an execution error at node n (the first one wins); returns rc. */
__attribute__((format(printf, 4, 5))) static int xerr(struct exec *st, const struct node *n,
						       int rc, const char *fmt, ...)
{
	if (st->err)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	char *m = vmsg(fmt, ap);
	va_end(ap);
	if (!m)
		return rc;
	size_t ls = 0;
	for (size_t i = 0; i < n->pos; i++)
		if (st->src[i] == '\n')
			ls = i + 1;
	size_t cl = n->end - n->pos;
	st->err = msg("template: :%d:%zu: executing \"\" at <%.*s%s>: %s",
		      line_of(st->src, n->pos), n->pos - ls, (int)(cl > 100 ? 100 : cl),
		      st->src + n->pos, cl > 100 ? "..." : "", m);
	free(m);
	return rc;
}

static int spend(struct exec *st, unsigned long long units)
{
	st->work += units;
	if (st->work > WORK_LIMIT) {
		st->pend = "template execution exceeded its work limit";
		return -E2BIG;
	}
	return 0;
}

static int new_tmp(struct exec *st, cJSON *c, struct val *out)
{
	int rc = cvec_push(&st->tmp, c);
	if (rc)
		return rc;
	*out = (struct val){ c, O_TMP, H_NIL, H_NONE };
	return 0;
}

static int new_string(struct exec *st, const char *s, struct val *out)
{
	int rc = spend(st, strlen(s));
	return rc ? rc : new_tmp(st, cJSON_CreateString(s), out);
}

/* What copying a computed value costs: its items and bytes (computed values are shallow). */
static unsigned long long copy_cost(const cJSON *j, int depth)
{
	unsigned long long n = 16;
	if (j->valuestring)
		n += strlen(j->valuestring);
	if (j->string)
		n += strlen(j->string);
	for (const cJSON *c = j->child; c && depth < TEMPLATE_MAX_VALUE_DEPTH; c = c->next)
		n += copy_cost(c, depth + 1);
	return n;
}

/* A value that cannot be freed under the caller's feet while a statement uses it. */
static int pin(struct exec *st, struct val *v)
{
	if (!v->j || v->origin != O_VAR)
		return 0;
	int rc = spend(st, copy_cost(v->j, 0));
	if (rc)
		return rc;
	cJSON *c = cJSON_Duplicate(v->j, 1);
	rc = cvec_push(&st->tmp, c);
	if (rc)
		return rc;
	v->j = c;
	v->origin = O_TMP;
	return 0;
}

static int var_store(struct exec *st, size_t idx, struct val v)
{
	cJSON *own = NULL;
	if (v.j && v.origin != O_STABLE) {
		int rc = spend(st, copy_cost(v.j, 0));
		if (rc)
			return rc;
		if (!(own = cJSON_Duplicate(v.j, 1)))
			return -ENOMEM;
		v.j = own;
		v.origin = O_VAR;
	}
	cJSON_Delete(st->vars[idx].own);
	st->vars[idx].own = own;
	st->vars[idx].v = v;
	return 0;
}

/* Set a variable to a fresh computed item, which it then owns. */
static int var_own(struct exec *st, size_t idx, cJSON *c)
{
	if (!c)
		return -ENOMEM;
	cJSON_Delete(st->vars[idx].own);
	st->vars[idx].own = c;
	st->vars[idx].v = (struct val){ c, O_VAR, H_NIL, H_NONE };
	return 0;
}

static int var_push(struct exec *st, const char *name, struct val v, size_t *idx)
{
	if (st->nvars == st->capvars) {
		size_t nc = st->capvars ? st->capvars * 2 : 16;
		struct var *nv = nc < SIZE_MAX / sizeof *nv ? realloc(st->vars, nc * sizeof *nv)
							     : NULL;
		if (!nv)
			return -ENOMEM;
		st->vars = nv;
		st->capvars = nc;
	}
	st->vars[st->nvars] = (struct var){ name, MISSING, NULL };
	if (idx)
		*idx = st->nvars;
	st->nvars++;
	return var_store(st, st->nvars - 1, v);
}

static void vars_pop(struct exec *st, size_t mark)
{
	while (st->nvars > mark) {
		st->nvars--;
		cJSON_Delete(st->vars[st->nvars].own);
	}
}

static bool var_find(const struct exec *st, const char *name, size_t *idx)
{
	for (size_t i = st->nvars; i-- > 0;) {
		if (strcmp(st->vars[i].name, name) == 0) {
			*idx = i;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------------------------------ */
/* Printing values: Go's %v, JSON, and printf                                                  */
/* ------------------------------------------------------------------------------------------ */

struct kid {
	const cJSON *c;
	size_t i;
};

static int kid_cmp(const void *a, const void *b)
{
	const struct kid *x = a, *y = b;
	int c = strcmp(x->c->string ? x->c->string : "", y->c->string ? y->c->string : "");
	return c ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* An object's members sorted by key, as Go iterates and prints maps.  Free *out. */
static int sorted_kids(struct exec *st, const cJSON *obj, struct kid **out, size_t *n)
{
	size_t count = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		count++;
	*out = NULL;
	*n = count;
	if (!count)
		return 0;
	int rc = spend(st, count * 4);
	if (rc)
		return rc;
	struct kid *k = count < SIZE_MAX / sizeof *k ? malloc(count * sizeof *k) : NULL;
	if (!k)
		return -ENOMEM;
	size_t i = 0;
	for (const cJSON *c = obj->child; c; c = c->next, i++)
		k[i] = (struct kid){ c, i };
	qsort(k, count, sizeof *k, kid_cmp);
	*out = k;
	return 0;
}

static int too_deep(struct exec *st)
{
	st->pend = "value nested too deeply to print";
	return -EDOM;
}

enum { PM_TOP, PM_ARG };	/* how a missing value prints: <no value> or <nil> */

/* Go's %v of v. */
static int fmt_v(struct exec *st, struct buf *b, struct val v, int mode, int depth)
{
	int rc;
	if (depth > TEMPLATE_MAX_VALUE_DEPTH)
		return too_deep(st);
	if ((rc = spend(st, 1)))
		return rc;
	if (!v.j)
		return buf_puts(b, mode == PM_TOP ? "<no value>" : "<nil>");
	switch (jtype(v.j)) {
	case cJSON_False:
		return buf_puts(b, "false");
	case cJSON_True:
		return buf_puts(b, "true");
	case cJSON_Number:
		return fmt_number(b, v.j->valuedouble);
	case cJSON_String:
	case cJSON_Raw:
		return buf_puts(b, jstr(v.j));
	case cJSON_Array:
		if ((rc = buf_putc(b, '[')))
			return rc;
		for (const cJSON *c = v.j->child; c; c = c->next) {
			if (c != v.j->child && (rc = buf_putc(b, ' ')))
				return rc;
			if ((rc = fmt_v(st, b, child_val(v, c, NULL), mode, depth + 1)))
				return rc;
		}
		return buf_putc(b, ']');
	case cJSON_Object: {
		if (!v.j->child && v.hint == H_STRUCT)
			return buf_puts(b, "{}");
		struct kid *k;
		size_t n;
		if ((rc = sorted_kids(st, v.j, &k, &n)) || (rc = buf_puts(b, "map[")))
			goto obj_out;
		for (size_t i = 0; i < n && !rc; i++) {
			const char *key = k[i].c->string ? k[i].c->string : "";
			if ((i && (rc = buf_putc(b, ' '))) || (rc = buf_puts(b, key)) ||
			    (rc = buf_putc(b, ':')))
				break;
			rc = fmt_v(st, b, child_val(v, k[i].c, key), mode, depth + 1);
		}
		if (!rc)
			rc = buf_putc(b, ']');
obj_out:
		free(k);
		return rc;
	}
	default:	/* null */
		return buf_puts(b, v.hint == H_SLICE ? "[]" : v.hint == H_MAP ? "map[]" : "<nil>");
	}
}

/* A JSON string as Go's encoder writes it with SetEscapeHTML(false). */
static int json_str(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	int rc = buf_putc(b, '"');
	for (size_t i = 0; i < n && !rc;) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			size_t j = i;
			while (j < n && (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x80 &&
			       s[j] != '"' && s[j] != '\\')
				j++;
			rc = buf_put(b, s + i, j - i);
			i = j;
			continue;
		}
		if (c < 0x80) {
			const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
					: c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
					: c == '\f' ? "\\f" : NULL;
			rc = e ? buf_puts(b, e) : buf_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		uint32_t r;
		size_t len = utf8_decode(s + i, n - i, &r);
		if (r == BAD_RUNE)
			rc = buf_puts(b, "\\ufffd");
		else if (r == 0x2028 || r == 0x2029)
			rc = buf_printf(b, "\\u%04x", (unsigned)r);
		else
			rc = buf_put(b, s + i, len);
		i += len;
	}
	return rc ? rc : buf_putc(b, '"');
}

/* Go's json.Marshal of j (objects keep their order; a missing value is null). */
static int json_put(struct exec *st, struct buf *b, const cJSON *j, int depth)
{
	int rc;
	if (depth > TEMPLATE_MAX_VALUE_DEPTH)
		return too_deep(st);
	if ((rc = spend(st, 1)))
		return rc;
	if (!j)
		return buf_puts(b, "null");
	switch (jtype(j)) {
	case cJSON_False:
		return buf_puts(b, "false");
	case cJSON_True:
		return buf_puts(b, "true");
	case cJSON_Number:
		return fmt_float_short(b, j->valuedouble, 'j');
	case cJSON_String:
		return json_str(b, jstr(j));
	case cJSON_Raw:
		return buf_puts(b, jstr(j));
	case cJSON_Array:
	case cJSON_Object: {
		bool obj = jtype(j) == cJSON_Object;
		if ((rc = buf_putc(b, obj ? '{' : '[')))
			return rc;
		for (const cJSON *c = j->child; c; c = c->next) {
			if (c != j->child && (rc = buf_putc(b, ',')))
				return rc;
			if (obj && ((rc = json_str(b, c->string ? c->string : "")) ||
				    (rc = buf_putc(b, ':'))))
				return rc;
			if ((rc = json_put(st, b, c, depth + 1)))
				return rc;
		}
		return buf_putc(b, obj ? '}' : ']');
	}
	default:
		return buf_puts(b, "null");
	}
}

/* Go's strconv.Quote (q '"') or QuoteRune (q '\'') of s[0:n]. */
static int go_quote(struct buf *b, const char *s, size_t n, char q)
{
	int rc = buf_putc(b, q);
	for (size_t i = 0; i < n && !rc;) {
		uint32_t r;
		size_t len = utf8_decode(s + i, n - i, &r);
		if (r == BAD_RUNE)
			rc = buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		else if (r == (uint32_t)q || r == '\\')
			rc = buf_printf(b, "\\%c", (char)r);
		else if (rune_printable(r))
			rc = buf_put(b, s + i, len);
		else if (r < 0x80) {
			const char *e = r == '\a' ? "\\a" : r == '\b' ? "\\b" : r == '\f' ? "\\f"
					: r == '\n' ? "\\n" : r == '\r' ? "\\r" : r == '\t' ? "\\t"
					: r == '\v' ? "\\v" : NULL;
			rc = e ? buf_puts(b, e) : buf_printf(b, "\\x%02x", (unsigned)r);
		} else if (r < 0x10000)
			rc = buf_printf(b, "\\u%04x", (unsigned)r);
		else
			rc = buf_printf(b, "\\U%08x", (unsigned)r);
		i += len;
	}
	return rc ? rc : buf_putc(b, q);
}

/* Go's strconv.CanBackquote. */
static bool can_backquote(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t len = utf8_decode(s + i, n - i, &r);
		if (r == BAD_RUNE || r == '`' || r == 0xfeff || r == 0x7f ||
		    (r < 0x20 && r != '\t'))
			return false;
		i += len;
	}
	return true;
}

struct spec {
	bool minus, plus, sharp, space, zero, has_w, has_p;
	int w, p;
};

/* Write s padded to the width (counted in runes), as fmt does. */
static int pad_put(struct buf *b, const struct spec *sp, const char *s, size_t n)
{
	size_t runes = utf8_count(s, n);
	size_t padn = sp->has_w && (size_t)sp->w > runes ? (size_t)sp->w - runes : 0;
	int rc = 0;
	if (!sp->minus)
		rc = buf_fill(b, sp->zero ? '0' : ' ', padn);
	if (!rc)
		rc = buf_put(b, s, n);
	if (!rc && sp->minus)
		rc = buf_fill(b, ' ', padn);
	return rc;
}

/* Format into a scratch buffer, then pad it into b. */
static int pad_buf(struct buf *b, const struct spec *sp, struct buf *tmp, int rc)
{
	if (!rc)
		rc = pad_put(b, sp, tmp->p ? tmp->p : "", tmp->len);
	free(tmp->p);
	return rc;
}

static int fmt_int(struct buf *b, const struct spec *sp, long long v, uint32_t verb)
{
	char dig[72];
	int nd = 0, base = verb == 'b' ? 2 : (verb == 'o' || verb == 'O') ? 8
			   : (verb == 'x' || verb == 'X') ? 16 : 10;
	const char *digits = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do {
		dig[nd++] = digits[u % (unsigned)base];
		u /= (unsigned)base;
	} while (u);
	if (sp->has_p && sp->p == 0 && v == 0)
		nd = 0;
	const char *prefix = "";
	if (verb == 'O')
		prefix = "0o";
	else if (sp->sharp)
		prefix = verb == 'x' ? "0x" : verb == 'X' ? "0X" : verb == 'b' ? "0b"
			 : (verb == 'o' && !(nd && dig[nd - 1] == '0')) ? "0" : "";
	char sign = v < 0 ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
	size_t head = (sign ? 1 : 0) + strlen(prefix), zeros = 0;
	if (sp->has_p) {
		if (sp->p > nd)
			zeros = (size_t)(sp->p - nd);
	} else if (sp->zero && sp->has_w && !sp->minus && (size_t)sp->w > head + (size_t)nd) {
		zeros = (size_t)sp->w - head - (size_t)nd;
	}
	size_t total = head + zeros + (size_t)nd;
	size_t padn = sp->has_w && (size_t)sp->w > total ? (size_t)sp->w - total : 0;
	int rc = 0;
	if (!sp->minus)
		rc = buf_fill(b, ' ', padn);
	if (!rc && sign)
		rc = buf_putc(b, sign);
	if (!rc)
		rc = buf_puts(b, prefix);
	if (!rc)
		rc = buf_fill(b, '0', zeros);
	while (!rc && nd > 0)
		rc = buf_putc(b, dig[--nd]);
	if (!rc && sp->minus)
		rc = buf_fill(b, ' ', padn);
	return rc;
}

/* C's %e %E %f %g %G with precision (and '#'), which agree with Go's for these verbs. */
static int c_float(char *out, size_t n, uint32_t verb, bool sharp, int prec, double x)
{
	switch (verb) {
	case 'e':
		return sharp ? snprintf(out, n, "%#.*e", prec, x)
			     : snprintf(out, n, "%.*e", prec, x);
	case 'E':
		return sharp ? snprintf(out, n, "%#.*E", prec, x)
			     : snprintf(out, n, "%.*E", prec, x);
	case 'g':
		return sharp ? snprintf(out, n, "%#.*g", prec, x)
			     : snprintf(out, n, "%.*g", prec, x);
	case 'G':
		return sharp ? snprintf(out, n, "%#.*G", prec, x)
			     : snprintf(out, n, "%.*G", prec, x);
	default:
		return sharp ? snprintf(out, n, "%#.*f", prec, x)
			     : snprintf(out, n, "%.*f", prec, x);
	}
}

static int fmt_float(struct buf *b, const struct spec *sp, double x, uint32_t verb)
{
	struct buf t = { .max = TEMPLATE_MAX_OUTPUT };
	int rc;
	bool neg = signbit(x) && !isnan(x);
	double ax = neg ? -x : x;
	if (isnan(x) || isinf(x)) {
		const char *s = isnan(x) ? "NaN" : neg ? "-Inf" : sp->plus ? "+Inf" : sp->space
			? " Inf" : "+Inf";
		if (isnan(x) && (sp->plus || sp->space))
			s = sp->plus ? "+NaN" : " NaN";
		struct spec nz = *sp;
		nz.zero = false;
		return pad_put(b, &nz, s, strlen(s));
	}
	if (verb == 'v' || ((verb == 'g' || verb == 'G') && !sp->has_p)) {
		rc = fmt_float_short(&t, ax, verb == 'G' ? 'G' : 'g');
	} else {
		int prec = sp->has_p ? sp->p : 6;
		int n = c_float(NULL, 0, verb, sp->sharp, prec, ax);
		rc = n < 0 ? -EINVAL : buf_reserve(&t, (size_t)n);
		if (!rc) {
			c_float(t.p, (size_t)n + 1, verb, sp->sharp, prec, ax);
			t.len = (size_t)n;
			char rch = radix_char();
			char *dot = rch != '.' ? strchr(t.p, rch) : NULL;
			if (dot)
				*dot = '.';
		}
	}
	if (rc) {
		free(t.p);
		return rc;
	}
	char sign = neg ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
	size_t total = t.len + (sign ? 1 : 0);
	size_t fill = sp->has_w && (size_t)sp->w > total ? (size_t)sp->w - total : 0;
	bool zpad = sp->zero && !sp->minus;
	if (!sp->minus && !zpad)
		rc = buf_fill(b, ' ', fill);
	if (!rc && sign)
		rc = buf_putc(b, sign);
	if (!rc && zpad)
		rc = buf_fill(b, '0', fill);
	if (!rc)
		rc = buf_put(b, t.p, t.len);
	if (!rc && sp->minus)
		rc = buf_fill(b, ' ', fill);
	free(t.p);
	return rc;
}

static int put_rune(struct buf *b, uint32_t r)
{
	char u[4];
	return buf_put(b, u, utf8_encode(r, u));
}

static int fmt_arg(struct exec *st, struct buf *b, const struct spec *sp, uint32_t verb,
		   struct val v, int depth);

/* %!verb(type=value), Go's report of a verb that does not fit the value. */
static int bad_verb(struct exec *st, struct buf *b, uint32_t verb, struct val v)
{
	int rc = buf_puts(b, "%!");
	if (!rc)
		rc = put_rune(b, verb);
	if (!rc)
		rc = buf_putc(b, '(');
	if (!rc && is_null(v))
		rc = buf_puts(b, "<nil>");
	else if (!rc && !(rc = buf_puts(b, type_name(v))) && !(rc = buf_putc(b, '=')))
		rc = fmt_v(st, b, v, PM_ARG, 1);
	return rc ? rc : buf_putc(b, ')');
}

static int fmt_str(struct exec *st, struct buf *b, const struct spec *sp, uint32_t verb,
		   struct val v, const char *s)
{
	size_t n = strlen(s);
	if (sp->has_p) {	/* precision: at most p runes */
		size_t i = 0;
		uint32_t r;
		for (int k = 0; k < sp->p && i < n; k++)
			i += utf8_decode(s + i, n - i, &r);
		n = i;
	}
	struct buf t = { .max = TEMPLATE_MAX_OUTPUT };
	int rc = 0;
	switch (verb) {
	case 'v':
	case 's':
		return pad_put(b, sp, s, n);
	case 'q':
		if (sp->sharp && can_backquote(s, n)) {
			if (!(rc = buf_putc(&t, '`')) && !(rc = buf_put(&t, s, n)))
				rc = buf_putc(&t, '`');
		} else {
			rc = go_quote(&t, s, n, '"');
		}
		return pad_buf(b, sp, &t, rc);
	case 'x':
	case 'X':
		if (sp->sharp)
			rc = buf_puts(&t, verb == 'x' ? "0x" : "0X");
		for (size_t i = 0; i < n && !rc; i++)
			rc = buf_printf(&t, verb == 'x' ? "%02x" : "%02X", (unsigned char)s[i]);
		return pad_buf(b, sp, &t, rc);
	default:
		return bad_verb(st, b, verb, v);
	}
}

/* One printf argument: Go applies the verb to each element of lists and maps. */
static int fmt_arg(struct exec *st, struct buf *b, const struct spec *sp, uint32_t verb,
		   struct val v, int depth)
{
	int rc;
	long long i;
	if (depth > TEMPLATE_MAX_VALUE_DEPTH)
		return too_deep(st);
	if ((rc = spend(st, 1)))
		return rc;
	if (verb == 'T')
		return pad_put(b, sp, type_name(v), strlen(type_name(v)));
	if (is_null(v)) {
		if (v.j && v.hint == H_SLICE)
			return buf_puts(b, "[]");
		if (v.j && v.hint == H_MAP)
			return buf_puts(b, "map[]");
		if (verb == 'v')
			return pad_put(b, sp, "<nil>", 5);
		return bad_verb(st, b, verb, v);
	}
	switch (jtype(v.j)) {
	case cJSON_False:
	case cJSON_True:
		if (verb == 'v' || verb == 't')
			return pad_put(b, sp, jtype(v.j) == cJSON_True ? "true" : "false",
				       jtype(v.j) == cJSON_True ? 4 : 5);
		return bad_verb(st, b, verb, v);
	case cJSON_Number: {
		double x = v.j->valuedouble;
		if (verb < 0x80 && strchr("eEfFgG", (int)verb))
			return fmt_float(b, sp, x, verb);
		if (!as_int(x, &i))
			return verb == 'v' ? fmt_float(b, sp, x, verb) : bad_verb(st, b, verb, v);
		if (verb < 0x80 && strchr("vdboOxX", (int)verb))
			return fmt_int(b, sp, i, verb == 'v' ? 'd' : verb);
		struct buf t = { .max = TEMPLATE_MAX_OUTPUT };
		uint32_t r = i < 0 || i > 0x10ffff ? 0xfffd : (uint32_t)i;
		char u[4];
		size_t un = utf8_encode(r, u);
		if (verb == 'c')
			return pad_buf(b, sp, &t, buf_put(&t, u, un));
		if (verb == 'q')
			return pad_buf(b, sp, &t, go_quote(&t, u, un, '\''));
		if (verb == 'U') {
			rc = buf_printf(&t, "U+%04llX", i);
			if (!rc && sp->sharp && rune_printable(r) && !(rc = buf_puts(&t, " '")) &&
			    !(rc = buf_put(&t, u, un)))
				rc = buf_putc(&t, '\'');
			return pad_buf(b, sp, &t, rc);
		}
		return bad_verb(st, b, verb, v);
	}
	case cJSON_String:
	case cJSON_Raw:
		return fmt_str(st, b, sp, verb, v, jstr(v.j));
	case cJSON_Array:
		if ((rc = buf_putc(b, '[')))
			return rc;
		for (const cJSON *c = v.j->child; c; c = c->next) {
			if (c != v.j->child && (rc = buf_putc(b, ' ')))
				return rc;
			if ((rc = fmt_arg(st, b, sp, verb, child_val(v, c, NULL), depth + 1)))
				return rc;
		}
		return buf_putc(b, ']');
	case cJSON_Object: {
		if (!v.j->child && v.hint == H_STRUCT)
			return buf_puts(b, "{}");
		struct kid *k;
		size_t n;
		if ((rc = sorted_kids(st, v.j, &k, &n)) || (rc = buf_puts(b, "map[")))
			goto obj_out;
		for (size_t ki = 0; ki < n && !rc; ki++) {
			const char *key = k[ki].c->string ? k[ki].c->string : "";
			struct val kv = { k[ki].c, v.origin, H_NIL, H_NONE };
			if ((ki && (rc = buf_putc(b, ' '))) ||
			    (rc = fmt_str(st, b, sp, verb, kv, key)) || (rc = buf_putc(b, ':')))
				break;
			rc = fmt_arg(st, b, sp, verb, child_val(v, k[ki].c, key), depth + 1);
		}
		if (!rc)
			rc = buf_putc(b, ']');
obj_out:
		free(k);
		return rc;
	}
	default:
		return bad_verb(st, b, verb, v);
	}
}

/* Read a printf width or precision as fmt's parsenum does: a number that grows past
 * MAX_FMT_NUM swallows the rest of the format (*i = len) and is not a number. */
static bool fmt_num(const char *f, size_t len, size_t *i, int *out)
{
	long v = 0;
	*out = 0;
	for (; *i < len && is_digit(f[*i]); (*i)++) {
		if (v > MAX_FMT_NUM) {
			*i = len;
			return false;
		}
		v = v * 10 + (f[*i] - '0');
	}
	*out = (int)v;
	return true;
}

/* Go's fmt.Sprintf for the verbs we know; the rest print as %!verb(type=value). */
static int do_printf(struct exec *st, struct buf *b, const char *f, const struct val *av,
		     size_t n)
{
	size_t ai = 0, len = strlen(f);
	int rc = 0;
	for (size_t i = 0; i < len && !rc;) {
		if (f[i] != '%') {
			const char *pct = memchr(f + i, '%', len - i);
			size_t j = pct ? (size_t)(pct - f) : len;
			rc = buf_put(b, f + i, j - i);
			i = j;
			continue;
		}
		i++;
		struct spec sp = { 0 };
		for (;; i++) {
			if (f[i] == '-')
				sp.minus = true, sp.zero = false;
			else if (f[i] == '+')
				sp.plus = true;
			else if (f[i] == '#')
				sp.sharp = true;
			else if (f[i] == ' ')
				sp.space = true;
			else if (f[i] == '0')
				sp.zero = !sp.minus;
			else
				break;
		}
		if (i < len && is_digit(f[i]))
			sp.has_w = fmt_num(f, len, &i, &sp.w);
		if (i < len && f[i] == '.') {
			i++;
			sp.has_p = fmt_num(f, len, &i, &sp.p);
		}
		if (i >= len) {
			rc = buf_puts(b, "%!(NOVERB)");
			break;
		}
		uint32_t verb;
		i += utf8_decode(f + i, len - i, &verb);
		if (verb == BAD_RUNE)
			verb = 0xfffd;
		if (verb == '%') {
			rc = buf_putc(b, '%');
			continue;
		}
		if (ai >= n) {
			rc = buf_puts(b, "%!");
			if (!rc)
				rc = put_rune(b, verb);
			if (!rc)
				rc = buf_puts(b, "(MISSING)");
			continue;
		}
		rc = fmt_arg(st, b, &sp, verb, av[ai++], 0);
	}
	if (!rc && ai < n) {
		rc = buf_puts(b, "%!(EXTRA ");
		for (size_t k = ai; k < n && !rc; k++) {
			if (k > ai)
				rc = buf_puts(b, ", ");
			if (!rc && is_null(av[k]))
				rc = buf_puts(b, "<nil>");
			else if (!rc && !(rc = buf_puts(b, type_name(av[k]))) &&
				 !(rc = buf_putc(b, '=')))
				rc = fmt_v(st, b, av[k], PM_ARG, 1);
		}
		if (!rc)
			rc = buf_putc(b, ')');
	}
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Functions                                                                                   */
/* ------------------------------------------------------------------------------------------ */

static int want_string(struct exec *st, const struct node *cmd, struct val v, const char **s)
{
	if (v.j && (jtype(v.j) == cJSON_String || jtype(v.j) == cJSON_Raw)) {
		*s = jstr(v.j);
		return 0;
	}
	if (is_null(v))
		return xerr(st, cmd, -EDOM, "invalid value; expected string");
	return xerr(st, cmd, -EDOM, "wrong type for value; expected string; got %s",
		    type_name(v));
}

static int want_int(struct exec *st, const struct node *cmd, struct val v, long long *i)
{
	if (v.j && jtype(v.j) == cJSON_Number && as_int(v.j->valuedouble, i))
		return 0;
	if (is_null(v))
		return xerr(st, cmd, -EDOM, "invalid value; expected int");
	return xerr(st, cmd, -EDOM, "wrong type for value; expected int; got %s", type_name(v));
}

/* 0 nil, 1 bool, 2 number, 3 string, 4 not comparable */
static int cmp_class(struct val v)
{
	if (is_null(v))
		return 0;
	switch (jtype(v.j)) {
	case cJSON_False:
	case cJSON_True:
		return 1;
	case cJSON_Number:
		return 2;
	case cJSON_String:
	case cJSON_Raw:
		return 3;
	default:
		return 4;
	}
}

/* eq/lt of a and b: *res = -1, 0, 1 (or 2: unordered, for eq only); error if incomparable. */
static int compare(struct exec *st, const struct node *cmd, const char *fn, struct val a,
		   struct val b, bool ordered, int *res)
{
	int ca = cmp_class(a), cb = cmp_class(b);
	if (ca == 4 || cb == 4 || (ordered && (ca < 2 || cb < 2)))
		return xerr(st, cmd, -EDOM, "error calling %s: invalid type for comparison", fn);
	if (ca == 0 || cb == 0) {
		*res = ca == cb ? 0 : 2;
		return 0;
	}
	if (ca != cb)
		return xerr(st, cmd, -EDOM, "error calling %s: incompatible types for comparison",
			    fn);
	if (ca == 1) {
		*res = jtype(a.j) == jtype(b.j) ? 0 : 2;
	} else if (ca == 2) {
		double x = a.j->valuedouble, y = b.j->valuedouble;
		*res = x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
	} else {
		int c = strcmp(jstr(a.j), jstr(b.j));
		*res = c < 0 ? -1 : c > 0;
	}
	return 0;
}

static int fn_index(struct exec *st, const struct node *cmd, const struct val *av, size_t n,
		    struct val *out)
{
	struct val v = av[0];
	for (size_t k = 1; k < n; k++) {
		struct val key = av[k];
		long long i;
		int t = is_null(v) ? cJSON_NULL : jtype(v.j);
		if (t == cJSON_NULL && v.j && v.hint == H_MAP) {
			v = MISSING;	/* a nil map yields the zero value */
			continue;
		}
		if (t == cJSON_NULL && !(v.j && v.hint == H_SLICE))
			return xerr(st, cmd, -EDOM, "error calling index: index of untyped nil");
		if (t == cJSON_Object) {
			if (!key.j || jtype(key.j) != cJSON_String)
				return xerr(st, cmd, -EDOM, "error calling index: value has "
					    "type %s; should be string", type_name(key));
			const char *ks = jstr(key.j);
			v = child_val(v, cJSON_GetObjectItemCaseSensitive(v.j, ks), ks);
			continue;
		}
		if (t != cJSON_Array && t != cJSON_String && t != cJSON_NULL)
			return xerr(st, cmd, -EDOM, "error calling index: can't index item of "
				    "type %s", type_name(v));
		if (!key.j || jtype(key.j) != cJSON_Number || !as_int(key.j->valuedouble, &i))
			return xerr(st, cmd, -EDOM, "error calling index: cannot index slice/array "
				    "with type %s", type_name(key));
		size_t len = t == cJSON_NULL ? 0 : t == cJSON_String ? strlen(jstr(v.j))
				  : (size_t)cJSON_GetArraySize(v.j);
		if (i < 0 || (unsigned long long)i >= len)
			return xerr(st, cmd, -EDOM, "error calling index: index out of range: %lld",
				    i);
		if (t == cJSON_String) {
			int rc = new_tmp(st, cJSON_CreateNumber((unsigned char)jstr(v.j)[i]), &v);
			if (rc)
				return rc;
			continue;
		}
		int rc = spend(st, (unsigned long long)i);
		if (rc)
			return rc;
		const cJSON *c = v.j->child;
		for (long long hop = 0; hop < i; hop++)
			c = c->next;
		v = child_val(v, c, NULL);
	}
	*out = v;
	return 0;
}

static int fn_print(struct exec *st, int fn, const struct val *av, size_t n, struct buf *b)
{
	int rc = 0;
	bool prev_str = false;
	for (size_t k = 0; k < n && !rc; k++) {
		bool str = av[k].j && jtype(av[k].j) == cJSON_String;
		if (k > 0 && (fn == F_PRINTLN || (!str && !prev_str)))
			rc = buf_putc(b, ' ');
		if (!rc)
			rc = fmt_v(st, b, av[k], PM_ARG, 0);
		prev_str = str;
	}
	if (!rc && fn == F_PRINTLN)
		rc = buf_putc(b, '\n');
	return rc;
}

/* unicode.ToUpper / ToLower for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic;
 * other runes are left as they are. */
static uint32_t rune_upper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z' ? r - 32 : r;
	if (r == 0x131)
		return 'I';
	if ((r >= 0xe0 && r <= 0xfe && r != 0xf7) || (r >= 0x3b1 && r <= 0x3cb && r != 0x3c2) ||
	    (r >= 0x430 && r <= 0x44f))
		return r - 0x20;
	if ((r >= 0x101 && r <= 0x137 && (r & 1)) || (r >= 0x13a && r <= 0x148 && !(r & 1)) ||
	    (r >= 0x14b && r <= 0x177 && (r & 1)) || (r >= 0x17a && r <= 0x17e && !(r & 1)))
		return r - 1;
	if (r >= 0x450 && r <= 0x45f)
		return r - 0x50;
	switch (r) {
	case 0xb5: return 0x39c;
	case 0xff: return 0x178;
	case 0x17f: return 'S';
	case 0x3c2: return 0x3a3;
	default: return r;
	}
}

static uint32_t rune_lower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + 32 : r;
	if (r == 0x130)
		return 'i';
	if ((r >= 0xc0 && r <= 0xde && r != 0xd7) || (r >= 0x391 && r <= 0x3ab && r != 0x3a2) ||
	    (r >= 0x410 && r <= 0x42f))
		return r + 0x20;
	if ((r >= 0x100 && r <= 0x136 && !(r & 1)) || (r >= 0x139 && r <= 0x147 && (r & 1)) ||
	    (r >= 0x14a && r <= 0x176 && !(r & 1)) || (r >= 0x179 && r <= 0x17d && (r & 1)))
		return r + 1;
	if (r >= 0x400 && r <= 0x40f)
		return r + 0x50;
	return r == 0x178 ? 0xff : r;
}

/* strings.ToUpper/ToLower/Title of s[0:n] into b: invalid UTF-8 becomes U+FFFD (as
 * strings.Map does); Title upper-cases a letter that follows a separator (not a letter,
 * digit or '_'; runes outside ASCII count as letters). */
static int map_case(struct buf *b, const char *s, size_t n, int fn)
{
	bool ascii = true, prev_sep = true;
	for (size_t i = 0; i < n && ascii; i++)
		ascii = (unsigned char)s[i] < 0x80;
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		uint32_t r;
		size_t len = utf8_decode(s + i, n - i, &r);
		if (r == BAD_RUNE)
			r = ascii ? (unsigned char)s[i] : 0xfffd;
		bool sep = r < 0x80 && !is_alnum((char)r);
		uint32_t m = fn == F_UPPER ? rune_upper(r) : fn == F_LOWER ? rune_lower(r)
			     : prev_sep ? rune_upper(r) : r;
		prev_sep = sep;
		if (m == r && r != 0xfffd)
			rc = buf_put(b, s + i, len);
		else
			rc = put_rune(b, m);
		i += len;
	}
	return rc;
}

/* The node to blame for argument i: the argument itself, or the command for a piped value. */
static const struct node *arg_node(const struct node *cmd, const struct node *const *an,
				   size_t i)
{
	return an[i] ? an[i] : cmd;
}

static int fn_strings(struct exec *st, const struct node *cmd, int fn, const struct val *av,
		      const struct node *const *an, struct val *out)
{
	const char *s, *sep;
	long long a = 0, c = 0;
	int rc = want_string(st, arg_node(cmd, an, 0), av[0], &s);
	if (rc)
		return rc;
	size_t n = strlen(s);
	struct buf b = { .max = TEMPLATE_MAX_OUTPUT };
	switch (fn) {
	case F_UPPER:
	case F_LOWER:
	case F_TITLE:
		rc = map_case(&b, s, n, fn);
		break;
	case F_PAD:
		if ((rc = want_int(st, arg_node(cmd, an, 1), av[1], &a)) ||
		    (rc = want_int(st, arg_node(cmd, an, 2), av[2], &c)))
			break;
		if (a < 0 || c < 0) {
			rc = xerr(st, cmd, -EDOM,
				  "error calling pad: strings: negative Repeat count");
			break;
		}
		if (!n)
			break;
		if ((unsigned long long)a > TEMPLATE_MAX_OUTPUT ||
		    (unsigned long long)c > TEMPLATE_MAX_OUTPUT) {
			rc = -E2BIG;
			break;
		}
		if (!(rc = buf_fill(&b, ' ', (size_t)a)) && !(rc = buf_put(&b, s, n)))
			rc = buf_fill(&b, ' ', (size_t)c);
		break;
	case F_TRUNCATE:
		if ((rc = want_int(st, arg_node(cmd, an, 1), av[1], &a)))
			break;
		if (a < 0) {
			rc = xerr(st, cmd, -EDOM, "error calling truncate: runtime error: slice "
				  "bounds out of range [:%lld]", a);
			break;
		}
		rc = buf_put(&b, s, (unsigned long long)a < n ? (size_t)a : n);
		break;
	case F_SPLIT: {
		if ((rc = want_string(st, arg_node(cmd, an, 1), av[1], &sep)))
			break;
		cJSON *arr = cJSON_CreateArray();
		if ((rc = new_tmp(st, arr, out)))
			break;
		size_t sl = strlen(sep);
		for (size_t i = 0; !rc;) {
			size_t j;
			if (!sl) {	/* split into UTF-8 sequences */
				uint32_t r;
				if (i >= n)
					break;
				j = i + utf8_decode(s + i, n - i, &r);
			} else {
				const char *hit = strstr(s + i, sep);
				j = hit ? (size_t)(hit - s) : n;
			}
			char *piece = malloc(j - i + 1);
			cJSON *item = NULL;
			if (piece) {
				memcpy(piece, s + i, j - i);
				piece[j - i] = '\0';
				item = cJSON_CreateString(piece);
				free(piece);
			}
			if (!item || !cJSON_AddItemToArray(arr, item)) {
				cJSON_Delete(item);
				rc = -ENOMEM;
				break;
			}
			rc = spend(st, NODE_COST + (j - i));
			if (sl && j >= n)
				break;
			i = sl ? j + sl : j;
		}
		return rc;
	}
	}
	if (!rc)
		rc = new_string(st, b.p ? b.p : "", out);
	free(b.p);
	return rc;
}

static int fn_join(struct exec *st, const struct node *cmd, const struct val *av,
		   const struct node *const *an, struct val *out)
{
	const char *sep;
	int rc = want_string(st, arg_node(cmd, an, 1), av[1], &sep);
	if (rc)
		return rc;
	if (!is_null(av[0]) && jtype(av[0].j) != cJSON_Array)
		return xerr(st, arg_node(cmd, an, 0), -EDOM,
			    "wrong type for value; expected []string; got %s", type_name(av[0]));
	struct buf b = { .max = TEMPLATE_MAX_OUTPUT };
	for (const cJSON *c = is_null(av[0]) ? NULL : av[0].j->child; c && !rc; c = c->next) {
		if (jtype(c) != cJSON_String) {
			rc = xerr(st, arg_node(cmd, an, 0), -EDOM,
				  "wrong type for value; expected []string; got []interface {}");
			break;
		}
		if (c != av[0].j->child)
			rc = buf_puts(&b, sep);
		if (!rc)
			rc = buf_puts(&b, jstr(c));
	}
	if (!rc)
		rc = new_string(st, b.p ? b.p : "", out);
	free(b.p);
	return rc;
}

static int apply_fn(struct exec *st, const struct node *cmd, int fn, const struct val *av,
		    const struct node *const *an, size_t n, struct val *out)
{
	struct buf b = { .max = TEMPLATE_MAX_OUTPUT };
	int rc = 0, res = 0;
	long long len = 0;
	switch (fn) {
	case F_NOT:
		return new_tmp(st, cJSON_CreateBool(!truth(av[0])), out);
	case F_LEN:
		if (!av[0].j)
			return xerr(st, cmd, -EDOM, "error calling len: len of untyped nil");
		switch (jtype(av[0].j)) {
		case cJSON_String:
		case cJSON_Raw:
			len = (long long)strlen(jstr(av[0].j));
			break;
		case cJSON_Array:
		case cJSON_Object:
			len = cJSON_GetArraySize(av[0].j);
			break;
		case cJSON_NULL:
			break;
		default:
			return xerr(st, cmd, -EDOM, "error calling len: len of type %s",
				    type_name(av[0]));
		}
		return new_tmp(st, cJSON_CreateNumber((double)len), out);
	case F_INDEX:
		return fn_index(st, cmd, av, n, out);
	case F_PRINT:
	case F_PRINTLN:
	case F_PRINTF:
	case F_JSON:
		if (fn == F_PRINTF) {
			const char *f;
			if ((rc = want_string(st, arg_node(cmd, an, 0), av[0], &f)))
				return rc;
			rc = do_printf(st, &b, f, av + 1, n - 1);
		} else if (fn == F_JSON) {
			rc = json_put(st, &b, av[0].j, 0);
		} else {
			rc = fn_print(st, fn, av, n, &b);
		}
		if (!rc)
			rc = new_string(st, b.p ? b.p : "", out);
		free(b.p);
		return rc;
	case F_EQ:
		for (size_t k = 1; k < n; k++) {
			if ((rc = compare(st, cmd, "eq", av[0], av[k], false, &res)))
				return rc;
			if (res == 0)
				break;
		}
		return new_tmp(st, cJSON_CreateBool(res == 0), out);
	case F_NE:
	case F_LT:
	case F_LE:
	case F_GT:
	case F_GE: {
		bool r;
		if ((rc = compare(st, cmd, fns[fn].name, av[0], av[1], fn != F_NE, &res)))
			return rc;
		r = fn == F_NE ? res != 0 : fn == F_LT ? res == -1
		    : fn == F_LE ? (res == -1 || res == 0) : fn == F_GT ? res == 1
		    : (res == 1 || res == 0);
		return new_tmp(st, cJSON_CreateBool(r), out);
	}
	case F_JOIN:
		return fn_join(st, cmd, av, an, out);
	default:
		return fn_strings(st, cmd, fn, av, an, out);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int eval_pipe(struct exec *st, const struct node *pipe, struct val dot, struct val *out,
		     bool bind);
static int exec_list(struct exec *st, const struct node *list, struct val dot);

static int eval_fields(struct exec *st, const struct node *n, struct val v, struct val *out)
{
	for (size_t i = 0; i < n->nids; i++) {
		if (is_null(v)) {
			v = MISSING;	/* nil map or pointer: no value (Go errors for pointers) */
			continue;
		}
		if (jtype(v.j) != cJSON_Object) {
			char q[SNIP];
			return xerr(st, n, -EDOM, "can't evaluate field %s in type %s",
				    snip(n->ids[i], strlen(n->ids[i]), q, 40), type_name(v));
		}
		v = child_val(v, cJSON_GetObjectItemCaseSensitive(v.j, n->ids[i]), n->ids[i]);
	}
	*out = v;
	return 0;
}

static int call_fn(struct exec *st, const struct node *cmd, int fn, const struct node *args,
		   int nargs, struct val dot, const struct val *final, struct val *out)
{
	int rc;
	struct val fin;
	if (final) {	/* a later argument may assign the variable it points into */
		fin = *final;
		if ((rc = pin(st, &fin)))
			return rc;
		final = &fin;
	}
	if (fn == F_AND || fn == F_OR) {	/* short-circuit, as Go 1.18 does */
		struct val v = MISSING;
		for (const struct node *a = args; a; a = a->next) {
			if ((rc = eval_pipe(st, a, dot, &v, true)))
				return rc;
			if (truth(v) == (fn == F_OR)) {
				*out = v;
				return 0;
			}
		}
		*out = final ? *final : v;
		return 0;
	}
	size_t n = (size_t)nargs + (final ? 1 : 0), i = 0;
	struct val *av = calloc(n ? n : 1, sizeof *av);
	const struct node **an = calloc(n ? n : 1, sizeof *an);
	rc = av && an ? 0 : -ENOMEM;
	for (const struct node *a = args; a && !rc; a = a->next, i++) {
		an[i] = a;
		if (!(rc = eval_pipe(st, a, dot, &av[i], true)))
			rc = pin(st, &av[i]);
	}
	if (!rc && final)
		av[i++] = *final;
	if (!rc)
		rc = apply_fn(st, cmd, fn, av, an, n, out);
	free(av);
	free(an);
	return rc;
}

/* Evaluate an operand (eval_pipe dispatches here for everything but N_PIPE). */
static int eval_operand(struct exec *st, const struct node *n, struct val dot, struct val *out)
{
	int rc;
	size_t idx;
	struct val v;
	switch (n->type) {
	case N_DOT:
		*out = dot;
		return 0;
	case N_NIL:
	case N_LIT:
		*out = (struct val){ n->lit, O_STABLE, H_NIL, H_NONE };
		return 0;
	case N_FIELD:
		return eval_fields(st, n, dot, out);
	case N_VAR:
		if (!var_find(st, n->str, &idx))
			return xerr(st, n, -EDOM, "undefined variable: %s", n->str);
		return eval_fields(st, n, st->vars[idx].v, out);
	case N_CHAIN:
		if ((rc = eval_pipe(st, n->first, dot, &v, true)))
			return rc;
		return eval_fields(st, n, v, out);
	case N_IDENT:
		return call_fn(st, n, n->fn, NULL, 0, dot, NULL, out);
	default:
		return xerr(st, n, -EDOM, "internal error: unexpected node");
	}
}

static int eval_cmd(struct exec *st, const struct node *cmd, struct val dot,
		    const struct val *final, struct val *out)
{
	const struct node *head = cmd->first;
	if (head->type == N_IDENT)
		return call_fn(st, cmd, head->fn, head->next, cmd->nargs - 1, dot, final, out);
	return eval_pipe(st, head, dot, out, true);	/* the parser allows no arguments here */
}

/* Evaluate a pipeline (or any operand node); with bind, set its declared variables. */
static int eval_pipe(struct exec *st, const struct node *pipe, struct val dot, struct val *out,
		     bool bind)
{
	int rc;
	if (pipe->type != N_PIPE)
		return eval_operand(st, pipe, dot, out);
	struct val v = MISSING;
	bool have = false;
	if ((rc = spend(st, NODE_COST)))
		return rc;
	for (const struct node *c = pipe->first; c; c = c->next) {
		if ((rc = eval_cmd(st, c, dot, have ? &v : NULL, &v)))
			return rc;
		have = true;
	}
	for (int d = 0; bind && d < pipe->ndecl; d++) {
		size_t idx;
		if (!pipe->assign) {
			rc = var_push(st, pipe->decl[d], v, NULL);
		} else if (!var_find(st, pipe->decl[d], &idx)) {
			rc = xerr(st, pipe, -EDOM, "undefined variable: %s", pipe->decl[d]);
		} else {
			rc = var_store(st, idx, v);
		}
		if (rc)
			return rc;
	}
	*out = v;
	return 0;
}

static int exec_ifwith(struct exec *st, const struct node *n, struct val dot)
{
	size_t vmark = st->nvars;
	struct val v;
	int rc = eval_pipe(st, n->pipe, dot, &v, true);
	if (!rc) {
		if (truth(v)) {
			if (n->type == N_WITH && !(rc = pin(st, &v)))
				dot = v;
			if (!rc)
				rc = exec_list(st, n->list, dot);
		} else if (n->elselist) {
			rc = exec_list(st, n->elselist, dot);
		}
	}
	vars_pop(st, vmark);
	return rc;
}

/* One range iteration: bind the variables, run the body, drop what the body made. */
static int range_iter(struct exec *st, const struct node *n, const size_t *vi, cJSON *key,
		      struct val elem)
{
	size_t tmark = st->tmp.n, bmark = st->nvars;
	int rc = spend(st, NODE_COST);
	if (!rc && n->pipe->ndecl == 2)
		rc = var_own(st, vi[0], key), key = NULL;
	if (!rc && n->pipe->ndecl)
		rc = var_store(st, vi[n->pipe->ndecl - 1], elem);
	cJSON_Delete(key);
	if (!rc)
		rc = exec_list(st, n->list, elem);
	vars_pop(st, bmark);
	cvec_release(&st->tmp, tmark);
	return rc;
}

static int exec_range(struct exec *st, const struct node *n, struct val dot)
{
	const struct node *pipe = n->pipe;
	size_t vmark = st->nvars, vi[2] = { 0, 0 };
	struct val coll;
	bool any = false;
	char q[SNIP];
	int rc = eval_pipe(st, pipe, dot, &coll, false);
	if (!rc)
		rc = pin(st, &coll);
	for (int d = 0; !rc && d < pipe->ndecl; d++) {	/* Go first sets them to the collection */
		if (!pipe->assign)
			rc = var_push(st, pipe->decl[d], coll, &vi[d]);
		else if (!var_find(st, pipe->decl[d], &vi[d]))
			rc = xerr(st, pipe, -EDOM, "undefined variable: %s", pipe->decl[d]);
		else
			rc = var_store(st, vi[d], coll);
	}
	if (rc)
		goto out;
	int t = is_null(coll) ? cJSON_NULL : jtype(coll.j);
	if (t == cJSON_Array) {
		size_t i = 0;
		for (const cJSON *c = coll.j->child; c; c = c->next, i++) {
			cJSON *key = NULL;
			if (pipe->ndecl == 2 && !(key = cJSON_CreateNumber((double)i))) {
				rc = -ENOMEM;
				break;
			}
			any = true;
			rc = range_iter(st, n, vi, key, child_val(coll, c, NULL));
			if (rc == SIG_CONTINUE)
				rc = 0;
			if (rc)
				break;
		}
	} else if (t == cJSON_Object) {
		struct kid *k;
		size_t cnt;
		if ((rc = sorted_kids(st, coll.j, &k, &cnt)))
			goto out;
		for (size_t i = 0; i < cnt; i++) {
			const char *ks = k[i].c->string ? k[i].c->string : "";
			cJSON *key = NULL;
			if (pipe->ndecl == 2 && !(key = cJSON_CreateString(ks))) {
				rc = -ENOMEM;
				break;
			}
			any = true;
			rc = range_iter(st, n, vi, key, child_val(coll, k[i].c, ks));
			if (rc == SIG_CONTINUE)
				rc = 0;
			if (rc)
				break;
		}
		free(k);
	} else if (t == cJSON_Number) {	/* Go 1.22: range over an integer */
		long long cnt;
		if (!as_int(coll.j->valuedouble, &cnt)) {
			struct buf b = { .max = 64 };
			fmt_number(&b, coll.j->valuedouble);
			rc = xerr(st, pipe, -EDOM, "range can't iterate over %s", b.p ? b.p : "?");
			free(b.p);
			goto out;
		}
		if (pipe->ndecl == 2) {
			rc = xerr(st, pipe, -EDOM, "can't use %lld to iterate over more than one "
				  "variable", cnt);
			goto out;
		}
		for (long long i = 0; i < cnt; i++) {
			size_t tmark = st->tmp.n;
			struct val iv;
			any = true;
			if (!(rc = new_tmp(st, cJSON_CreateNumber((double)i), &iv)))
				rc = range_iter(st, n, vi, NULL, iv);
			cvec_release(&st->tmp, tmark);
			if (rc == SIG_CONTINUE)
				rc = 0;
			if (rc)
				break;
		}
	} else if (t != cJSON_NULL) {
		const char *s = t == cJSON_String ? jstr(coll.j) : t == cJSON_True ? "true"
				: t == cJSON_False ? "false" : "?";
		rc = xerr(st, pipe, -EDOM, "range can't iterate over %s",
			  snip(s, strlen(s), q, 40));
		goto out;
	}
	if (rc == SIG_BREAK)
		rc = 0;
	if (!rc && !any && n->elselist)
		rc = exec_list(st, n->elselist, dot);
out:
	vars_pop(st, vmark);
	return rc;
}

static int exec_node(struct exec *st, const struct node *n, struct val dot)
{
	size_t tmark = st->tmp.n;
	struct val v;
	int rc = spend(st, NODE_COST);
	if (!rc) {
		switch (n->type) {
		case N_TEXT:
			rc = buf_put(&st->out, n->str, n->slen);
			break;
		case N_ACTION:
			rc = eval_pipe(st, n->pipe, dot, &v, true);
			if (!rc && !n->pipe->ndecl)
				rc = fmt_v(st, &st->out, v, PM_TOP, 0);
			break;
		case N_IF:
		case N_WITH:
			rc = exec_ifwith(st, n, dot);
			break;
		case N_RANGE:
			rc = exec_range(st, n, dot);
			break;
		case N_BREAK:
			rc = SIG_BREAK;
			break;
		case N_CONTINUE:
			rc = SIG_CONTINUE;
			break;
		default:
			rc = xerr(st, n, -EDOM, "internal error: unexpected node");
		}
	}
	cvec_release(&st->tmp, tmark);
	if (rc < 0 && !st->err) {
		if (st->pend)
			xerr(st, n, rc, "%s", st->pend);
		else if (rc == -E2BIG)
			xerr(st, n, rc, "output exceeds the limit of %u bytes",
			     TEMPLATE_MAX_OUTPUT);
		else if (rc == -ENOMEM)
			xerr(st, n, rc, "out of memory");
		else
			xerr(st, n, rc, "error %d", rc);
	}
	return rc;
}

static int exec_list(struct exec *st, const struct node *list, struct val dot)
{
	for (const struct node *n = list->first; n; n = n->next) {
		int rc = exec_node(st, n, dot);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Entry point                                                                                 */
/* ------------------------------------------------------------------------------------------ */

int template_render(const char *tmpl, const cJSON *data, char **out, char **err)
{
	struct lexer lx = { 0 };
	struct arena ar = { 0 };
	struct cvec lits = { 0 };
	struct parser p = { 0 };
	struct exec st = { 0 };
	char *m = NULL;
	int rc;

	if (err)
		*err = NULL;
	if (out)
		*out = NULL;
	if (!tmpl || !out) {
		if (err)
			*err = msg("template: invalid argument");
		return -EINVAL;
	}
	lx.s = tmpl;
	lx.n = strlen(tmpl);
	if ((rc = lex(&lx)))
		goto done;

	p.src = tmpl;
	p.t = lx.t;
	p.nt = lx.nt;
	p.ar = &ar;
	p.lits = &lits;
	p.lexerr = lx.err;
	const struct node *root = parse_template(&p);
	if (!root) {
		rc = p.rc ? p.rc : -EINVAL;
		m = p.err;
		p.err = NULL;
		goto done;
	}

	st.src = tmpl;
	st.out.max = TEMPLATE_MAX_OUTPUT;
	struct val dot = { data, O_STABLE, H_NIL, H_NONE };
	if ((rc = var_push(&st, "$", dot, NULL)))
		goto done;
	rc = exec_list(&st, root, dot);
	if (rc > 0)	/* break/continue cannot escape a range: the parser checks */
		rc = 0;
	if (rc) {
		m = st.err;
		st.err = NULL;
		goto done;
	}
	*out = st.out.p ? st.out.p : strdup("");
	if (*out == st.out.p)
		st.out.p = NULL;
	else if (!*out)
		rc = -ENOMEM;

done:
	if (rc && !m)
		m = msg("template: %s", rc == -ENOMEM ? "out of memory" : "error");
	vars_pop(&st, 0);
	free(st.vars);
	cvec_release(&st.tmp, 0);
	free(st.tmp.v);
	free(st.out.p);
	free(st.err);
	free(p.vars);
	free(p.err);
	cvec_release(&lits, 0);
	free(lits.v);
	arena_free(&ar);
	free(lx.t);
	if (rc && err)
		*err = m;
	else
		free(m);
	return rc;
}
