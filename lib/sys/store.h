/* The state directory (effects): files, the lock, atomic writes, and the small indexes that
 * make every operation O(1) in the number of containers.
 *
 *   <dir>/lock                    flock()ed exclusively by every operation that changes state
 *   <dir>/network.json            the network: bridge, subnet, gateway, icc, backend
 *   <dir>/alloc                   allocation index (alloc.h): addresses, host ports, cursors
 *   <dir>/containers/<id>/        config.json (the record), hosts, hostname, resolv.conf, log
 *   <dir>/names/<name>            symlink -> <id>: container names (unique)
 *   <dir>/rlinks/<child>/<parent>:<alias>   who links to <child> (reverse link index)
 *   <dir>/reserve                 space kept for the writes of a stop or removal on a full disk
 *   <dir>/pending/<id>            an operation on <id> in progress; found by the next lock
 *                                 holder only if its process died: then it is recovered
 *
 * Container records are the truth; names/, rlinks/ and alloc are indexes that gc can rebuild
 * from them.  Everything is created 0700/0600, and a state directory others can write is
 * refused.
 */
#ifndef CTR_STORE_H
#define CTR_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/record.h"

struct store {
	int dfd;     /* O_PATH|O_DIRECTORY descriptor of the state directory */
	char *path;
};

/* Open (creating it and its subdirectories when missing) the state directory. */
int store_open(struct store *st, const char *path);
void store_close(struct store *st);
/* The same for a state directory already open as `dirfd` (duplicated; the caller keeps its
 * own), `path` naming it in messages. */
int store_open_fd(struct store *st, int dirfd, const char *path);

/* Take the state lock (blocking); returns the lock descriptor (≥ 0) or a negative errno. */
int store_lock(struct store *st);
void store_unlock(int lockfd);

/* Whole-file helpers relative to the state directory.  store_read: -ENOENT if missing,
 * *buf NUL-terminated.  store_write: atomic (temporary file, fsync, rename).  store_rewrite:
 * rewrites the file in place (same inode: for files bind-mounted into containers), mode 0644
 * whatever the umask. */
int store_read(struct store *st, const char *rel, char **buf, size_t *len);
int store_write(struct store *st, const char *rel, const char *data, size_t len);
int store_rewrite(struct store *st, const char *rel, const char *data, size_t len);
int store_unlink(struct store *st, const char *rel);

/* The reserve (<dir>/reserve): space kept free for the writes of a stop or a removal on a
 * full file system.  ensure: make it (whole) if there is room, quietly; release: delete it
 * (true if there was one).  store_write() and store_rewrite() release it and retry once
 * when they meet ENOSPC; op_end() ensures it again. */
void store_reserve_ensure(struct store *st);
bool store_reserve_release(struct store *st);

/* Absolute path of `rel` inside the state directory (malloc'd). */
char *store_abspath(const struct store *st, const char *rel);

/* Container records. */
int store_rec_load(struct store *st, const char *id, struct ctr_rec **out);
/* As store_rec_load(), but a record that exists and cannot be read (damaged, or written by a
 * newer library) comes back salvaged (rec_salvage(): `unreadable` set, its name from the
 * names index when the record does not say it) instead of as an error.  Such a record is
 * never saved. */
int store_rec_load_any(struct store *st, const char *id, struct ctr_rec **out);
int store_rec_save(struct store *st, const struct ctr_rec *rec);
int store_rec_mkdir(struct store *st, const char *id);
/* What a container whose rules could not be deleted still holds: its record as it was, in
 * held/<id> (store_list(st, "held") names them). */
int store_held_save(struct store *st, const struct ctr_rec *rec);
int store_held_load(struct store *st, const char *id, struct ctr_rec **out);
int store_held_drop(struct store *st, const char *id);
/* Remove the container's directory and everything in it. */
int store_rec_remove(struct store *st, const char *id);
/* IDs of every container (NULL-terminated list, strv_free). */
int store_ids(struct store *st, char ***ids);
/* Entries of the directory `rel` (not starting with '.'; *out NULL when empty). */
int store_list(struct store *st, const char *rel, char ***out);
/* The end-of-run signal, a FIFO "containers/<id>/run.fifo".  The monitor holds it open
 * (store_run_hold(), on the container's directory descriptor) while the run lasts and closes
 * it once it has recorded the end (or dies); a descriptor from store_run_watch(), opened
 * while the monitor held it, then polls POLLHUP.  Both -errno. */
int store_run_hold(int cdir);
int store_run_watch(struct store *st, const char *id);
/* Path of a container file: "containers/<id>/<name>" into buf. */
void store_rec_file(const char *id, const char *name, char *buf, size_t len);

/* Name claims.  claim: -EEXIST (no message) if taken, *owner (may be NULL) gets its ID. */
int store_name_claim(struct store *st, const char *name, const char *id, char owner[65]);
int store_name_get(struct store *st, const char *name, char id[65]); /* -ENOENT */
/* Release `name` if `id` owns it. */
int store_name_release(struct store *st, const char *name, const char *id);

/* Reverse link index. */
int store_rlink_add(struct store *st, const char *child, const char *parent, const char *alias);
int store_rlink_del(struct store *st, const char *child, const char *parent, const char *alias);
/* Entries "<parent>:<alias>" of containers linking to `child` (NULL-terminated, strv_free). */
int store_rlinks(struct store *st, const char *child, char ***out);
int store_rlink_clear(struct store *st, const char *child);

/* Pending-operation journal. */
int store_pending_set(struct store *st, const char *id, const char *op);
int store_pending_clear(struct store *st, const char *id);
/* IDs with a pending entry (NULL-terminated; *out NULL when there are none). */
int store_pending_list(struct store *st, char ***out);

#endif
