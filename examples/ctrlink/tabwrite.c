/* Go's text/tabwriter (src/text/tabwriter/tabwriter.go: format and writeLines), for
 * docker/cli's table output. */
#define _GNU_SOURCE
#include "tabwrite.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cell {
	const char *s;
	size_t len, width; /* bytes, characters */
};

struct line {
	struct cell *cells;
	size_t n;
	bool newline; /* ended by '\n' */
};

struct tw {
	struct line *lines;
	size_t nlines;
	size_t *widths, nwidths;
	size_t minwidth, padding;
	FILE *out;
};

static size_t utf8_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xc0) != 0x80;
	return w;
}

static void write_lines(struct tw *t, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct line *l = &t->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			fwrite(l->cells[j].s, 1, l->cells[j].len, t->out);
			if (j < t->nwidths)
				for (size_t k = l->cells[j].width; k < t->widths[j]; k++)
					fputc(' ', t->out);
		}
		if (l->newline)
			fputc('\n', t->out);
	}
}

/* A column is the block of consecutive lines that have a tab-terminated cell at index
 * nwidths; lines without one are written with the widths found so far. */
static void format(struct tw *t, size_t line0, size_t line1)
{
	size_t column = t->nwidths;
	for (size_t this = line0; this < line1; this++) {
		if (column + 1 >= t->lines[this].n)
			continue;
		write_lines(t, line0, this);
		line0 = this;
		size_t width = t->minwidth;
		for (; this < line1; this++) {
			const struct line *l = &t->lines[this];
			if (column + 1 >= l->n)
				break;
			if (l->cells[column].width + t->padding > width)
				width = l->cells[column].width + t->padding;
		}
		t->widths[t->nwidths++] = width;
		format(t, line0, this);
		t->nwidths--;
		line0 = this;
	}
	write_lines(t, line0, line1);
}

char *tab_align(const char *text, size_t minwidth, size_t padding)
{
	struct tw t = { .minwidth = minwidth, .padding = padding };
	size_t maxcells = 0;
	bool oom = false;
	for (const char *p = text; *p && !oom;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct line *lines = realloc(t.lines, (t.nlines + 1) * sizeof *lines);
		if (!lines) {
			oom = true;
			break;
		}
		t.lines = lines;
		struct line *l = &t.lines[t.nlines++];
		*l = (struct line){ .newline = nl != NULL };
		size_t ncells = 1;
		for (size_t i = 0; i < len; i++)
			ncells += p[i] == '\t';
		l->cells = calloc(ncells, sizeof *l->cells);
		if (!l->cells) {
			oom = true;
			break;
		}
		const char *c = p;
		for (size_t i = 0; i <= len; i++) {
			if (i == len || p[i] == '\t') {
				l->cells[l->n] = (struct cell){ c, (size_t)(p + i - c),
								utf8_width(c, (size_t)(p + i - c)) };
				l->n++;
				c = p + i + 1;
			}
		}
		if (l->n > maxcells)
			maxcells = l->n;
		p += len + (nl != NULL);
	}
	char *buf = NULL;
	size_t size = 0;
	t.widths = oom ? NULL : calloc(maxcells + 1, sizeof *t.widths);
	t.out = t.widths ? open_memstream(&buf, &size) : NULL;
	if (t.out) {
		format(&t, 0, t.nlines);
		if (fclose(t.out) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	for (size_t i = 0; i < t.nlines; i++)
		free(t.lines[i].cells);
	free(t.lines);
	free(t.widths);
	return buf;
}
