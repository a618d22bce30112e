/* Rendering records in Docker's shapes (pure). */
#ifndef CTR_INSPECT_H
#define CTR_INSPECT_H

#include <stddef.h>

#include "core/record.h"

struct inspect_extra {
	const char *state_dir;
	const char *const *links; /* HostConfig.Links ("/db:/web/db"), NULL-terminated or NULL */
};

/* `docker inspect` of one container (an object).  *out is malloc'd. */
int inspect_render(const struct ctr_rec *rec, const struct inspect_extra *x, char **out);

/* Append one `GET /containers/json` entry to the cJSON array `array`.  `names`: the
 * container's names ("/web" and link names "/web2/db"), sorted, NULL-terminated. */
int list_entry(const struct ctr_rec *rec, const char *const *names, void *array);

/* The typed state of a record (ctr_state_read()): fills every field of `out` but `version`;
 * `out->ports` is allocated (NULL when none).  0 or -ENOMEM (with a message). */
int inspect_state(const struct ctr_rec *r, ctr_state *out);

#endif
