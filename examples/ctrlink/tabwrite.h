/* tabwrite.h — Go's text/tabwriter as docker/cli's tables use it (minwidth 10, tabwidth 1,
 * padding 3, padchar ' ', no flags): tab-terminated cells are aligned in columns, a column
 * being a block of consecutive lines that have a cell there; the last cell of a line (the
 * text after its last tab) is not aligned.  Widths count UTF-8 characters.  Pure code. */
#ifndef CTRLINK_TABWRITE_H
#define CTRLINK_TABWRITE_H

#include <stddef.h>

/* Align `text` (lines ending in '\n'; a last line without one is kept as it is).  Returns a
 * malloc'd string, NULL when out of memory. */
char *tab_align(const char *text, size_t minwidth, size_t padding);

#endif
