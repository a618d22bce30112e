/* The options structs of the public API and the one rule for their versions.  Pure code.
 *
 * Every options struct starts with `unsigned version`.  A caller built against an older header
 * passes an older version: a shorter struct, whose fields all sit where they sit in the
 * current one (fields are only ever added at the end).  The library reads just the fields the
 * caller's version has; the others take their defaults (the struct's _INIT macro).  Version 0
 * (an uninitialised struct) and versions newer than the library knows are refused, with a
 * message naming the struct and the version.  Adding a field: append it, bump the _VERSION
 * macro, the _INIT macro and the struct's list of sizes in options.c. */
#ifndef CTR_OPTIONS_H
#define CTR_OPTIONS_H

#include "container-link.h"

enum opt_kind {
	OPT_CTX,      /* ctr_ctx_options */
	OPT_CREATE,   /* ctr_create_options */
	OPT_START,    /* ctr_start_options */
	OPT_EXEC,     /* ctr_exec_options */
	OPT_ENDPOINT, /* ctr_endpoint_options */
};

/* The size of version `version` of the struct of `kind`: 0 for version 0 or one newer than
 * this library knows. */
size_t opt_size(enum opt_kind kind, unsigned version);

/* The _init functions: fill the fields version `version` of the struct has with their
 * defaults, `version` included; the bytes beyond are not touched.  Returns 0, or -EINVAL
 *   "<struct> version <v> is not supported (this library knows versions 1 to <n>)"
 * ("knows version 1" while there is one) for NULL `opts` or an unknown version. */
int opt_init(enum opt_kind kind, void *opts, unsigned version);

/* What an API function does with the caller's struct `given`: `full` (the whole struct of
 * `kind`, as this library knows it) receives the fields given's version has and the defaults
 * of the others.  Returns 0, or -EINVAL with the message of opt_init() for an unknown
 * version.  `given` must not be NULL. */
int opt_load(enum opt_kind kind, void *full, const void *given);

#endif
