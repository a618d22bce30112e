/* A container's /etc/hosts, /etc/hostname and /etc/resolv.conf after its start: they live on
 * a tmpfs of its monitor's (sys/mounts.h mnt_etc_tmpfs()), so that the container cannot fill
 * the state directory through them; the state directory keeps the library's copy, from which
 * the next start fills a new one.  Updates (links, renames, recovery) go to both. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "core/hosts.h"
#include "core/launch.h"
#include "ops/internal.h"
#include "sys/proc.h"

/* The tmpfs's directory, through the running container's monitor (pidfd_getfd of its
 * LAUNCH_FD_ETC; /proc/<pid>/fd/ without pidfds), or -1: not running, or no such tmpfs (a
 * monitor that binds the state directory's files). */
static int etc_dir(const struct ctr_rec *rec)
{
	if (rec->status != ST_RUNNING || rec->mon_pid <= 0)
		return -1;
	struct proc mon = PROC_NONE;
	if (proc_open(rec->mon_pid, rec->mon_start, &mon) < 0) {
		ctr_err_clear();
		return -1;
	}
	int fd = -1;
	if (mon.fd >= 0) {
		fd = (int)syscall(SYS_pidfd_getfd, mon.fd, LAUNCH_FD_ETC, 0);
	} else {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)rec->mon_pid, LAUNCH_FD_ETC);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && !proc_alive(rec->mon_pid, rec->mon_start)) {
			close(fd);
			fd = -1;
		}
	}
	proc_close(&mon);
	struct stat sb;
	struct statfs sf;
	if (fd >= 0 && (fstat(fd, &sb) < 0 || !S_ISDIR(sb.st_mode) || fstatfs(fd, &sf) < 0 ||
			sf.f_type != TMPFS_MAGIC)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The live copy's text (NUL-terminated; a NUL the container wrote ends it). */
static int live_read(int dir, const struct ctr_rec *rec, const char *name, char **out)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return ctr_err_sys(-errno, "cannot open the /etc/%s of %s", name, rec->name);
	struct sbuf sb = SBUF_INIT;
	int e = 0;
	for (char buf[16384];;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = ctr_err_sys(-errno, "cannot read the /etc/%s of %s", name, rec->name);
		if (n <= 0)
			break;
		sb_addn(&sb, buf, (size_t)n);
	}
	close(fd);
	sb_addn(&sb, "", 0);
	char *s = sb_finish(&sb);
	if (!e && !s)
		e = ctr_err(-ENOMEM, "out of memory");
	if (e) {
		free(s);
		return e;
	}
	*out = s;
	return 0;
}

/* Replace the live copy's content (emptied first: whatever the container filled its tmpfs
 * with makes room). */
static int live_write(int dir, const struct ctr_rec *rec, const char *name, const char *data)
{
	size_t len = strlen(data);
	int fd = openat(dir, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int e = fd < 0 || ftruncate(fd, 0) < 0 ? -errno : 0;
	for (const char *p = data; !e && len;) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (e)
		return ctr_err_sys(e, "cannot update the /etc/%s of %s", name, rec->name);
	FAULT("etc.live");
	return 0;
}

int etc_live_alias(struct op *op, const struct ctr_rec *rec, const char *alias, const char *ip,
		   const char *fallback)
{
	(void)op;
	int dir = etc_dir(rec);
	if (dir < 0)
		return 0;
	char *old = NULL, *upd = NULL;
	int e = live_read(dir, rec, "hosts", &old);
	if (!e && hosts_update_alias(old, alias, ip, &upd) < 0) {
		ctr_err_clear();
		upd = NULL;
	}
	if (!e)
		e = upd && strcmp(old, upd) == 0 ? 0 : live_write(dir, rec, "hosts", upd ? upd : fallback);
	close(dir);
	free(old);
	free(upd);
	return e;
}

int etc_rewrite(struct op *op, const struct ctr_rec *rec, const char *name, const char *data)
{
	char rel[128];
	store_rec_file(rec->id, name, rel, sizeof rel);
	int e = store_rewrite(op->st, rel, data, strlen(data));
	int dir = e ? -1 : etc_dir(rec);
	if (dir < 0)
		return e;
	e = live_write(dir, rec, name, data);
	close(dir);
	return e;
}

/* The hosts file of `rec`: its links' children loaded from the store, rendered by the pure
 * hosts_render() (core/hosts.c). */
int etc_hosts_compose(struct op *op, const struct ctr_rec *rec, char **out)
{
	struct hosts_link *hl = calloc(rec->n_links + 1, sizeof *hl);
	struct ctr_rec **kids = calloc(rec->n_links + 1, sizeof *kids);
	char (*ips)[16] = calloc(rec->n_links + 1, sizeof *ips);
	char (*ip6s)[46] = calloc(rec->n_links + 1, sizeof *ip6s);
	size_t n = 0;
	int e = (hl && kids && ips && ip6s) ? 0 : ctr_err(-ENOMEM, "out of memory");
	for (size_t i = 0; !e && i < rec->n_links; i++) {
		struct ctr_rec *k;
		if (store_rec_load(op->st, rec->links[i].target, &k) < 0)
			continue; /* removed: no line */
		kids[n] = k;
		if (k->status != ST_RUNNING || !k->has_net)
			continue; /* not running: no address to give */
		ip4_format(k->net.ip, ips[n], sizeof ips[n]);
		if (k->net.prefixlen6)
			ip6_format(k->net.ip6, ip6s[n], sizeof ip6s[n]);
		hl[n] = (struct hosts_link){ ips[n], k->net.prefixlen6 ? ip6s[n] : NULL,
					     rec->links[i].alias, k->hostname, k->name };
		n++;
	}
	char own[16] = "", own6[46] = "";
	if (!e && rec->has_net)
		ip4_format(rec->net.ip, own, sizeof own);
	if (!e && rec->has_net && rec->net.prefixlen6)
		ip6_format(rec->net.ip6, own6, sizeof own6);
	if (!e) {
		/* compact: drop entries skipped above */
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (hl[i].ip)
				hl[m++] = hl[i];
		e = hosts_render(own, own6[0] ? own6 : NULL, rec->hostname, rec->domainname, true, hl,
				 m, out);
	}
	for (size_t i = 0; kids && i < rec->n_links; i++)
		rec_free(kids[i]);
	free(kids);
	free(hl);
	free(ips);
	free(ip6s);
	return e;
}
