/*
 * template.h — a subset of Go's text/template, evaluated over a cJSON document.
 *
 * This is what `ctrlink inspect -f` and `ctrlink ps --format` use to behave like
 * `docker inspect -f` / `docker ps --format`.  Pure code: no I/O, no global mutable state;
 * safe to call from several threads at once.
 *
 * Supported (Go semantics unless noted):
 *   text; comments (slash-star ... star-slash right inside the delimiters);
 *   trim markers "{{- " and " -}}"
 *   {{.}}  {{.A.B.C}}  {{$}}  {{$x}}  {{$x.A}}  {{(pipeline).A}}
 *   literals: "string" `raw` 'c' 42 0x2a 0o17 0b101 1_000 1.5 0x1p-2 true false nil
 *   pipelines {{.A | json}}; variables {{$x := .A}} {{$x = .B}}, also inside ( )
 *   {{if}} {{else if}} {{else}} {{end}}; {{with}} {{else with}} (Go 1.23); {{range}} over
 *   lists, maps (sorted keys) and integers (Go 1.22), with {{else}}, {{break}},
 *   {{continue}}, "$v :=" and "$k, $v :="
 *   functions: and or (short-circuit) not len index print printf println eq ne lt le gt ge,
 *              and docker/cli's json join split upper lower title pad truncate
 *   printf verbs: %v %s %q %d %b %o %O %x %X %c %U %t %e %E %f %F %g %G %T %%, with flags
 *   "+- #0", width and precision; Go's %!verb(type=value), %!d(MISSING), %!(EXTRA ...).
 * Not supported: define/template/block, slice, call, html, js, urlquery, method calls,
 *   complex numbers, custom delimiters, printf's %[n] argument indexes and '*' widths,
 *   NUL bytes in string literals.
 *
 * Value printing follows Go's fmt %v: strings raw, integral numbers as integers (Docker's int
 * fields), other numbers like Go's float64 (1.5, 1e-05, 1.2345675e+06), true/false, lists as
 * [a b c], objects as map[k1:v1 k2:v2] with sorted keys (an empty object under ExposedPorts
 * or Volumes as Go's struct{}: {}).  A key missing from an object prints "<no value>".
 * JSON null prints "[]" under the names of Docker's slice fields (Links, Env, Cmd, ...),
 * "map[]" under Docker's map fields (Ports, Labels, Networks, ...), "<nil>" elsewhere.
 * json prints like Go's encoder with SetEscapeHTML(false), keeping the object's key order.
 *
 * Deliberate differences from Go, where our data is JSON rather than Go structs:
 *   - a field of null is "<no value>" (Go: an error for a nil pointer); len of null is 0;
 *   - numbers are one type: lt/eq compare 2 with 1.5, and %e %f %g accept integers;
 *   - upper/lower/title map ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters;
 *     other letters are left as they are;
 *   - wrong argument counts, arguments to a field, and undefined variables are syntax
 *     errors (-EINVAL) found before anything runs (Go reports some of them while executing).
 */
#ifndef CTRLINK_TEMPLATE_H
#define CTRLINK_TEMPLATE_H

#include <cjson/cJSON.h>

/* Limits that keep hostile templates from crashing or hanging the caller. */
#define TEMPLATE_MAX_DEPTH 100			/* nesting of {{if}}/{{range}}/{{with}} and (…) */
#define TEMPLATE_MAX_OUTPUT (16u << 20)		/* bytes of output, and of any one string built */
#define TEMPLATE_MAX_VALUE_DEPTH 1000		/* nesting of JSON values printed */

/*
 * Render tmpl over data (data may be NULL: then "." has no value).
 *
 * Returns 0 and sets *out to a malloc'd NUL-terminated string (free() it), or a negative errno
 * and sets *out to NULL:
 *   -EINVAL  the template does not parse (syntax error), or tmpl/out is NULL;
 *   -EDOM    execution failed (wrong type for a function, index out of range, ...);
 *   -E2BIG   output over TEMPLATE_MAX_OUTPUT, or the work limit was hit (e.g. nested ranges);
 *   -ENOMEM  out of memory.
 * If err is not NULL, *err is set to NULL on success and, on failure, to a malloc'd message in
 * Go's style (free() it), e.g.
 *   template: :1: unexpected "}" in operand
 *   template: :1:2: executing "" at <index .A 5>: error calling index: index out of range: 5
 * (*err may stay NULL on -ENOMEM.)
 */
int template_render(const char *tmpl, const cJSON *data, char **out, char **err);

#endif
