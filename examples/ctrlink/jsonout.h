/* JSON printed as Docker prints it: 4-space indentation, "key": value, integers without a
 * fraction, [] and {} for empty containers. */
#ifndef CTRLINK_JSONOUT_H
#define CTRLINK_JSONOUT_H

#include <cjson/cJSON.h>
#include <stdio.h>

/* Pretty-print `v` at indentation level `depth` (no trailing newline). */
void json_pretty(FILE *f, const cJSON *v, int depth);
/* Compact, as Go's json.Marshal: no spaces. */
void json_compact(FILE *f, const cJSON *v);

#endif
