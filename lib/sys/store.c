#define _GNU_SOURCE
#include "sys/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/names.h"
#include "core/util.h"

static const char *const subdirs[] = { "containers", "names", "rlinks", "pending", "held" };

static int mkdir_p(const char *path, mode_t last_mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return ctr_err(-ENAMETOOLONG, "state directory path is too long");
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return ctr_err_sys(-errno, "cannot create %s", buf);
		*p = '/';
	}
	if (mkdir(buf, last_mode) < 0 && errno != EEXIST)
		return ctr_err_sys(-errno, "cannot create state directory %s", buf);
	return 0;
}

static int adopt(struct store *st, int fd, const char *path);

int store_open(struct store *st, const char *path)
{
	st->dfd = -1;
	st->path = NULL;
	if (!path || path[0] != '/')
		return ctr_err(-EINVAL, "state directory must be an absolute path, not \"%s\"",
			       path ? path : "");
	if (str_has_ctl(path))
		return ctr_err(-EINVAL, "state directory path contains control characters");
	int e = mkdir_p(path, 0700);
	if (e < 0)
		return e;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ctr_err_sys(-errno, "cannot open state directory %s", path);
	return adopt(st, fd, path);
}

int store_open_fd(struct store *st, int dirfd, const char *path)
{
	st->dfd = -1;
	st->path = NULL;
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return ctr_err_sys(-errno, "cannot use the state directory %s", path);
	return adopt(st, fd, path);
}

/* Check the opened state directory `fd` and make the store of it (fd is the store's, or
 * closed on failure). */
static int adopt(struct store *st, int fd, const char *path)
{
	int e;
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		e = ctr_err_sys(-errno, "cannot stat state directory %s", path);
		goto fail;
	}
	if (sb.st_uid != geteuid()) {
		e = ctr_err(-EPERM, "state directory %s belongs to uid %u, not to us; refusing to use it",
			    path, (unsigned)sb.st_uid);
		goto fail;
	}
	if (sb.st_mode & 022) {
		e = ctr_err(-EPERM,
			    "state directory %s can be written by others (mode %04o); refusing to use it",
			    path, (unsigned)(sb.st_mode & 07777));
		goto fail;
	}
	/* An existing directory keeps its mode (--state-dir /var/lib must not change the host):
	 * what is in it is protected by the modes of our own subdirectories and files (0700,
	 * 0600); a directory we create is 0700. */
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++)
		if (mkdirat(fd, subdirs[i], 0700) < 0 && errno != EEXIST) {
			e = ctr_err_sys(-errno, "cannot create %s/%s", path, subdirs[i]);
			goto fail;
		}
	st->path = strdup(path);
	if (!st->path) {
		e = ctr_err(-ENOMEM, "out of memory");
		goto fail;
	}
	st->dfd = fd;
	store_reserve_ensure(st);
	return 0;
fail:
	close(fd);
	return e;
}

void store_close(struct store *st)
{
	if (st->dfd >= 0)
		close(st->dfd);
	free(st->path);
	st->dfd = -1;
	st->path = NULL;
}

int store_lock(struct store *st)
{
	/* A new open file description per call: flock() is per description, so threads of one
	 * process exclude each other too. */
	int fd = openat(st->dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return ctr_err_sys(-errno, "cannot open the state lock %s/lock", st->path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		int e = ctr_err_sys(-errno, "cannot lock %s/lock", st->path);
		close(fd);
		return e;
	}
	return fd;
}

void store_unlock(int lockfd)
{
	if (lockfd >= 0)
		close(lockfd); /* releases the flock */
}

char *store_abspath(const struct store *st, const char *rel)
{
	struct sbuf sb = SBUF_INIT;
	sb_addf(&sb, "%s/%s", st->path, rel);
	return sb_finish(&sb);
}

int store_read(struct store *st, const char *rel, char **buf, size_t *len)
{
	int fd = openat(st->dfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		return ctr_err_sys(-errno, "cannot open %s/%s", st->path, rel);
	}
	struct sbuf sb = SBUF_INIT;
	char chunk[16384];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = ctr_err_sys(-errno, "cannot read %s/%s", st->path, rel);
			close(fd);
			sb_free(&sb);
			return e;
		}
		if (n == 0)
			break;
		sb_addn(&sb, chunk, (size_t)n);
	}
	close(fd);
	size_t l = sb.len;
	sb_addn(&sb, "", 0);
	char *s = sb_finish(&sb);
	if (!s)
		return -ENOMEM;
	*buf = s;
	if (len)
		*len = l;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- the reserve ---------------------------------------------------------------------------
 * <dir>/reserve holds STORE_RESERVE bytes of the state directory's file system, so that the
 * journal and record writes of a stop or a removal still fit when something has filled it
 * (a log, a host process writing to /run): a write that meets ENOSPC deletes the reserve and
 * tries again once; the end of every operation makes it again when there is room.  It is
 * plain space: a crash at any point leaves it missing or short, and the next operation's
 * end makes it whole. */
#define STORE_RESERVE (256 * 1024)

void store_reserve_ensure(struct store *st)
{
	struct stat sb;
	if (fstatat(st->dfd, "reserve", &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size >= STORE_RESERVE && sb.st_blocks * 512 >= STORE_RESERVE)
		return;
	int fd = openat(st->dfd, "reserve", O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	int e = fallocate(fd, 0, 0, STORE_RESERVE) < 0 ? errno : 0;
	if (e == EOPNOTSUPP) { /* no fallocate: written blocks */
		static const char zero[4096];
		e = 0;
		for (off_t at = 0; !e && at < STORE_RESERVE; at += (off_t)sizeof zero)
			if (pwrite(fd, zero, sizeof zero, at) != (ssize_t)sizeof zero)
				e = errno ? errno : ENOSPC;
	}
	close(fd);
	if (e) /* no room now: none rather than a short one, which could pass for whole */
		unlinkat(st->dfd, "reserve", 0);
}

bool store_reserve_release(struct store *st)
{
	return unlinkat(st->dfd, "reserve", 0) == 0;
}

static int write_once(struct store *st, const char *rel, const char *tmp, const char *data,
		      size_t len)
{
	if (FAULT_ENOSPC(rel))
		return -ENOSPC;
	int fd = openat(st->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	int e = write_all(fd, data, len);
	if (!e && fsync(fd) < 0)
		e = -errno;
	if (close(fd) < 0 && !e)
		e = -errno;
	if (!e && renameat(st->dfd, tmp, st->dfd, rel) < 0)
		e = -errno;
	if (e)
		unlinkat(st->dfd, tmp, 0);
	return e;
}

int store_write(struct store *st, const char *rel, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d.%d", rel, (int)getpid(), (int)gettid()) >=
	    (int)sizeof tmp)
		return ctr_err(-ENAMETOOLONG, "path too long: %s", rel);
	int e = write_once(st, rel, tmp, data, len);
	if (e == -ENOSPC && store_reserve_release(st))
		e = write_once(st, rel, tmp, data, len);
	if (e)
		return ctr_err_sys(e, "cannot write %s/%s", st->path, rel);
	FAULT("store.write");
	return 0;
}

static int rewrite_once(struct store *st, const char *rel, const char *data, size_t len)
{
	int fd = openat(st->dfd, rel, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* readable by the container's other users whatever the caller's umask */
	struct stat sb;
	int e = fstat(fd, &sb) < 0 ? -errno : 0;
	if (!e && (sb.st_mode & 07777) != 0644 && fchmod(fd, 0644) < 0)
		e = -errno;
	if (!e)
		e = write_all(fd, data, len);
	if (!e && ftruncate(fd, (off_t)len) < 0)
		e = -errno;
	close(fd);
	return e;
}

int store_rewrite(struct store *st, const char *rel, const char *data, size_t len)
{
	int e = rewrite_once(st, rel, data, len);
	if (e == -ENOSPC && store_reserve_release(st))
		e = rewrite_once(st, rel, data, len);
	if (e)
		return ctr_err_sys(e, "cannot rewrite %s/%s", st->path, rel);
	FAULT("store.rewrite");
	return 0;
}

int store_unlink(struct store *st, const char *rel)
{
	if (unlinkat(st->dfd, rel, 0) < 0 && errno != ENOENT)
		return ctr_err_sys(-errno, "cannot remove %s/%s", st->path, rel);
	FAULT("store.unlink");
	return 0;
}

/* ---- records ------------------------------------------------------------------------------ */

void store_rec_file(const char *id, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "containers/%s/%s", id, name);
}

int store_run_hold(int cdir)
{
	if (mkfifoat(cdir, "run.fifo", 0600) < 0 && errno != EEXIST)
		return -errno;
	/* read-write: a FIFO opens at once so, with or without a reader */
	int fd = openat(cdir, "run.fifo", O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int store_run_watch(struct store *st, const char *id)
{
	char rel[128];
	store_rec_file(id, "run.fifo", rel, sizeof rel);
	int fd = openat(st->dfd, rel, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int store_rec_load(struct store *st, const char *id, struct ctr_rec **out)
{
	char rel[128], *buf;
	size_t len;
	store_rec_file(id, "config.json", rel, sizeof rel);
	int e = store_read(st, rel, &buf, &len);
	if (e == -ENOENT)
		return ctr_err(-ENOENT, "No such container: %s", id);
	if (e < 0)
		return e;
	e = rec_from_json(buf, len, out);
	free(buf);
	if (e < 0)
		return ctr_err_prefix(e, "%s/%s", st->path, rel);
	if (strcmp((*out)->id, id) != 0) {
		rec_free(*out);
		*out = NULL;
		return ctr_err(-EINVAL, "%s/%s: the record names another container", st->path, rel);
	}
	return 0;
}

/* The name in the names index that points at `id` (NULL: none). */
static char *name_of(struct store *st, const char *id)
{
	char **names = NULL, *found = NULL;
	if (store_list(st, "names", &names) < 0)
		ctr_err_clear();
	for (size_t i = 0; names && names[i] && !found; i++) {
		char owner[65];
		if (store_name_get(st, names[i], owner) == 0 && strcmp(owner, id) == 0)
			found = strdup(names[i]);
	}
	ctr_err_clear();
	strv_free(names);
	return found;
}

int store_rec_load_any(struct store *st, const char *id, struct ctr_rec **out)
{
	int e = store_rec_load(st, id, out);
	if (e == 0 || e == -ENOENT || e == -ENOMEM)
		return e;
	char rel[128], *buf = NULL, *why = strdup(ctr_err_msg());
	size_t len = 0;
	store_rec_file(id, "config.json", rel, sizeof rel);
	if (store_read(st, rel, &buf, &len) < 0)
		buf = NULL;
	e = why ? rec_salvage(buf, len, id, why, out) : ctr_err(-ENOMEM, "out of memory");
	free(buf);
	free(why);
	if (e == 0 && !(*out)->name)
		(*out)->name = name_of(st, id);
	return e;
}

int store_rec_save(struct store *st, const struct ctr_rec *rec)
{
	if (rec->unreadable) /* what we salvaged is not all the record held: never written */
		return ctr_err(-EINVAL, "%s: %s", rec->id, rec->error);
	char rel[128], *json;
	store_rec_file(rec->id, "config.json", rel, sizeof rel);
	int e = rec_to_json(rec, &json);
	if (e < 0)
		return e;
	e = store_write(st, rel, json, strlen(json));
	free(json);
	return e;
}

int store_held_save(struct store *st, const struct ctr_rec *rec)
{
	char rel[96], *json;
	snprintf(rel, sizeof rel, "held/%s", rec->id);
	int e = rec_to_json(rec, &json);
	if (e == 0) {
		e = store_write(st, rel, json, strlen(json));
		free(json);
	}
	return e;
}

int store_held_load(struct store *st, const char *id, struct ctr_rec **out)
{
	char rel[96], *buf;
	size_t len;
	snprintf(rel, sizeof rel, "held/%s", id);
	int e = store_read(st, rel, &buf, &len);
	if (e == 0) {
		e = rec_from_json(buf, len, out);
		free(buf);
	}
	return e;
}

int store_held_drop(struct store *st, const char *id)
{
	char rel[96];
	snprintf(rel, sizeof rel, "held/%s", id);
	return store_unlink(st, rel);
}

int store_rec_mkdir(struct store *st, const char *id)
{
	char rel[128];
	snprintf(rel, sizeof rel, "containers/%s", id);
	if (mkdirat(st->dfd, rel, 0700) < 0)
		return ctr_err_sys(-errno, "cannot create %s/%s", st->path, rel);
	FAULT("store.mkdir");
	return 0;
}

static int remove_tree_at(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = -errno;
		close(fd);
		return e;
	}
	struct dirent *de;
	int e = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (de->d_type == DT_DIR) {
			int r = remove_tree_at(dirfd(d), de->d_name);
			if (r < 0 && !e)
				e = r;
		} else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && !e) {
			e = -errno;
		}
	}
	closedir(d);
	if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !e)
		e = -errno;
	return e;
}

int store_rec_remove(struct store *st, const char *id)
{
	char rel[128];
	snprintf(rel, sizeof rel, "containers/%s", id);
	int e = remove_tree_at(st->dfd, rel);
	if (e < 0)
		return ctr_err_sys(e, "cannot remove %s/%s", st->path, rel);
	FAULT("store.rmtree");
	return 0;
}

static bool is_id(const char *s)
{
	return id_valid(s, SIZE_MAX);
}

/* Names in directory `rel` for which `keep` is true. */
static int list_dir(struct store *st, const char *rel, bool (*keep)(const char *), char ***out)
{
	*out = NULL;
	int fd = openat(st->dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return ctr_err_sys(-errno, "cannot open %s/%s", st->path, rel);
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = ctr_err_sys(-errno, "cannot read %s/%s", st->path, rel);
		close(fd);
		return e;
	}
	struct dirent *de;
	char **v = NULL;
	int e = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (keep && !keep(de->d_name)))
			continue;
		if ((e = strv_push(&v, de->d_name)) < 0)
			break;
	}
	closedir(d);
	if (e < 0) {
		strv_free(v);
		return e;
	}
	*out = v;
	return 0;
}

int store_list(struct store *st, const char *rel, char ***out)
{
	return list_dir(st, rel, NULL, out);
}

int store_ids(struct store *st, char ***ids)
{
	int e = list_dir(st, "containers", is_id, ids);
	if (e == 0 && !*ids) {
		*ids = calloc(1, sizeof **ids);
		if (!*ids)
			return ctr_err(-ENOMEM, "out of memory");
	}
	return e;
}

/* ---- names -------------------------------------------------------------------------------- */

static int read_link_id(struct store *st, const char *rel, char id[65])
{
	ssize_t n = readlinkat(st->dfd, rel, id, 65);
	if (n < 0)
		return errno == ENOENT ? -ENOENT : ctr_err_sys(-errno, "cannot read %s/%s", st->path, rel);
	if (n != CTR_ID_LEN)
		return ctr_err(-EINVAL, "%s/%s: not a container ID", st->path, rel);
	id[CTR_ID_LEN] = '\0';
	return 0;
}

int store_name_claim(struct store *st, const char *name, const char *id, char owner[65])
{
	char rel[512];
	if (snprintf(rel, sizeof rel, "names/%s", name) >= (int)sizeof rel)
		return ctr_err(-ENAMETOOLONG, "name too long");
	if (symlinkat(id, st->dfd, rel) == 0) {
		FAULT("store.name");
		return 0;
	}
	if (errno != EEXIST)
		return ctr_err_sys(-errno, "cannot record name %s", name);
	if (owner && read_link_id(st, rel, owner) < 0)
		owner[0] = '\0';
	return -EEXIST;
}

int store_name_get(struct store *st, const char *name, char id[65])
{
	char rel[512];
	if (snprintf(rel, sizeof rel, "names/%s", name) >= (int)sizeof rel)
		return -ENOENT;
	return read_link_id(st, rel, id);
}

int store_name_release(struct store *st, const char *name, const char *id)
{
	char owner[65];
	int e = store_name_get(st, name, owner);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return e;
	if (strcmp(owner, id) != 0)
		return 0;
	char rel[512];
	snprintf(rel, sizeof rel, "names/%s", name);
	return store_unlink(st, rel);
}

/* ---- reverse links ------------------------------------------------------------------------ */

int store_rlink_add(struct store *st, const char *child, const char *parent, const char *alias)
{
	char rel[512];
	snprintf(rel, sizeof rel, "rlinks/%s", child);
	if (mkdirat(st->dfd, rel, 0700) < 0 && errno != EEXIST)
		return ctr_err_sys(-errno, "cannot create %s/%s", st->path, rel);
	if (snprintf(rel, sizeof rel, "rlinks/%s/%s:%s", child, parent, alias) >= (int)sizeof rel)
		return ctr_err(-ENAMETOOLONG, "alias too long");
	int fd = openat(st->dfd, rel, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return ctr_err_sys(-errno, "cannot create %s/%s", st->path, rel);
	close(fd);
	FAULT("store.rlink");
	return 0;
}

int store_rlink_del(struct store *st, const char *child, const char *parent, const char *alias)
{
	char rel[512];
	if (snprintf(rel, sizeof rel, "rlinks/%s/%s:%s", child, parent, alias) >= (int)sizeof rel)
		return 0;
	int e = store_unlink(st, rel);
	snprintf(rel, sizeof rel, "rlinks/%s", child);
	unlinkat(st->dfd, rel, AT_REMOVEDIR); /* only if now empty */
	return e;
}

int store_rlinks(struct store *st, const char *child, char ***out)
{
	char rel[128];
	snprintf(rel, sizeof rel, "rlinks/%s", child);
	return list_dir(st, rel, NULL, out);
}

int store_rlink_clear(struct store *st, const char *child)
{
	char rel[128];
	snprintf(rel, sizeof rel, "rlinks/%s", child);
	int e = remove_tree_at(st->dfd, rel);
	return e < 0 ? ctr_err_sys(e, "cannot remove %s/%s", st->path, rel) : 0;
}

/* ---- pending journal ---------------------------------------------------------------------- */

int store_pending_set(struct store *st, const char *id, const char *op)
{
	char rel[128];
	snprintf(rel, sizeof rel, "pending/%s", id);
	return store_write(st, rel, op, strlen(op));
}

int store_pending_clear(struct store *st, const char *id)
{
	char rel[128];
	snprintf(rel, sizeof rel, "pending/%s", id);
	return store_unlink(st, rel);
}

int store_pending_list(struct store *st, char ***out)
{
	return list_dir(st, "pending", is_id, out);
}
