/* Plans as data (issue 14), pure parts of a start (lib/ops/run.c do_start, which loads the
 * view and carries out the effects in their order): the links' check, the record's changes as
 * the start begins and once it runs, and the monitor's spec from the record; the spec of an
 * exec's helper (lib/ops/run.c ctr_exec) from the record too. */
#ifndef CTR_PLAN_START_H
#define CTR_PLAN_START_H

#include <stdbool.h>
#include <stdint.h>

#include "core/launch.h"
#include "core/record.h"

/* The containers a starting one links to, in the order of its links: rec[i] the record of
 * links[i].target, or NULL with err[i] the error of its loading. */
struct start_view {
	struct ctr_rec **links;
	int *err;
	size_t n;
};

/* Every link must point at a running container: Docker's messages for the first that is
 * removed or not running (in the order of the links). */
int plan_start_links(const struct ctr_rec *rec, const struct start_view *v);
/* The record as the start begins: a new generation, "starting", no error. */
void plan_start_begin(struct ctr_rec *rec);
/* The record once the command runs (`now`: the time, in ns). */
void plan_start_running(struct ctr_rec *rec, int64_t now);

/* What the monitor's spec takes beside the record. */
struct start_launch {
	const char *state_dir;
	char **env;          /* the final environment (not copied) */
	uint64_t caps;
	bool attached;
	bool has_gw_mac;
	const uint8_t *gw_mac; /* with has_gw_mac */
	const char *cgroup;
};
/* Fill the monitor's spec `l` from the record (pointers into rec and `in`, not copies). */
void plan_start_launch(const struct ctr_rec *rec, const struct start_launch *in,
		       struct launch *l);

/* What an exec's spec takes beside the record of the running container. */
struct exec_launch {
	const char *state_dir;
	char **argv;         /* the command (not copied) */
	char **env;          /* the final environment (not copied) */
	uint64_t caps;
	const char *user;    /* NULL: the container's */
	const char *workdir; /* NULL: the container's */
};
/* Fill an exec helper's spec `l` (zeroed by the caller): the command joins the running
 * container's namespaces, cgroup and user namespace (pointers into rec and `in`). */
void plan_exec_launch(const struct ctr_rec *rec, const struct exec_launch *in,
		      struct launch *l);

#endif
