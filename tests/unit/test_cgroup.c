/* Unit tests for lib/core/cgroup.c: the cgroup mounts from mountinfo text (hybrid, unified,
 * read-only, a subtree, an overmount, escapes), the per-state-directory parent, and the paths
 * of /proc/<pid>/cgroup. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "core/cgroup.h"
#include "core/sha256.h"
#include "tap.h"

/* Debian 12 with systemd.unified_cgroup_hierarchy=0 (hybrid), as on the development VM */
static const char hybrid[] =
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* a pure cgroup2 host: optional fields before the separator */
static const char unified[] =
	"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
	"26 22 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"27 26 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n";

/* a container's view: read-only, and a subtree of the host's */
static const char ro[] =
	"700 600 0:24 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw\n";
static const char subtree[] =
	"700 600 0:24 /docker/abc /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n";

/* a test's private world: the host's unified mount, then another on top of it, read-only */
static const char over[] =
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	"90 41 0:38 / /sys/fs/cgroup/unified ro,relatime - cgroup2 cgroup2 rw\n";

/* and a tmpfs on top of everything at /sys/fs/cgroup: nothing counts under it */
static const char hidden[] =
	"27 26 0:24 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n"
	"95 26 0:50 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw\n";

static const char escaped[] =
	"41 31 0:38 / /sys/fs/cgroup/unified\\040x rw - cgroup2 cgroup2 rw\n"
	"42 31 0:39 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw";

static void test_mounts(void)
{
	struct cg_mounts m;
	cg_mounts_parse(hybrid, &m);
	ok(m.v2.present && !m.v2.ro, "hybrid: unified found");
	is_str(m.v2.path, "/sys/fs/cgroup/unified", "hybrid: unified at /sys/fs/cgroup/unified");
	ok(m.systemd.present && !m.systemd.ro, "hybrid: name=systemd found");
	is_str(m.systemd.path, "/sys/fs/cgroup/systemd", "hybrid: name=systemd's place");

	cg_mounts_parse(unified, &m);
	ok(m.v2.present && !m.systemd.present, "unified: cgroup2 only");
	is_str(m.v2.path, "/sys/fs/cgroup", "unified: at /sys/fs/cgroup");

	cg_mounts_parse(ro, &m);
	ok(m.v2.present && m.v2.ro, "a read-only mount is found, marked read-only");
	cg_mounts_parse(subtree, &m);
	ok(!m.v2.present, "a subtree of the hierarchy does not count");
	cg_mounts_parse(over, &m);
	ok(m.v2.present && m.v2.ro, "the mount on top is the one seen");
	cg_mounts_parse(hidden, &m);
	ok(!m.v2.present, "a cgroup2 mount hidden under a tmpfs does not count");
	cg_mounts_parse(escaped, &m);
	ok(m.v2.present, "an escaped mount point is not the standard place");
	is_str(m.v2.path, "/sys/fs/cgroup/unified", "the last line needs no newline");

	cg_mounts_parse("", &m);
	ok(!m.v2.present && !m.systemd.present, "empty text: nothing");
	cg_mounts_parse("garbage\n1 2\n\n- - -\n", &m);
	ok(!m.v2.present && !m.systemd.present, "garbage: nothing");
	cg_mounts_parse("40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemdx\n",
			&m);
	ok(!m.systemd.present, "only the name=systemd hierarchy counts");
}

static void test_paths(void)
{
	char parent[CG_PARENT_LEN + 1], hex[65], rel[CG_REL_MAX];
	cg_parent(2049, 131, parent);
	sha256_hex("2049:131", 8, hex);
	char want[CG_PARENT_LEN + 1];
	memcpy(want, "ctrlink/", 8);
	memcpy(want + 8, hex, 16);
	want[CG_PARENT_LEN] = '\0';
	is_str(parent, want, "parent: ctrlink/ and 16 hex of sha256(\"dev:ino\")");
	char other[CG_PARENT_LEN + 1];
	cg_parent(2049, 132, other);
	ok(strcmp(parent, other) != 0, "another state directory, another parent");
	cg_parent(UINT64_MAX, UINT64_MAX, other);
	ok(strlen(other) == CG_PARENT_LEN, "the largest numbers fit");

	const char *id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	cg_container_path(parent, id, rel);
	ok(rel[0] == '/' && strncmp(rel + 1, parent, CG_PARENT_LEN) == 0 &&
		   strcmp(rel + 1 + CG_PARENT_LEN + 1, id) == 0,
	   "container: /<parent>/<id>");
	char par[CG_REL_MAX];
	ok(cg_container_parent(rel, par) && par[0] == '/' && strcmp(par + 1, parent) == 0,
	   "cg_container_parent undoes cg_container_path: %s", par);
	ok(!cg_container_parent("/ctrlink/0123456789abcdef/cgroup.procs", par),
	   "a path that does not end in an ID has no container parent");
	ok(!cg_container_parent("/../x/" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", par),
	   "nor one that climbs");
	ok(!cg_container_parent(NULL, par) && !cg_container_parent("noslash", par),
	   "nor no path at all");
}

static void test_proc(void)
{
	static const char hyb[] = "9:name=systemd:/user.slice/agent.service\n8:pids:/\n"
				  "4:memory:/x\n0::/user.slice/agent.service\n";
	char out[64];
	ok(cg_proc_path(hyb, false, out, sizeof out) == 0, "hybrid: unified path found");
	is_str(out, "/user.slice/agent.service", "hybrid: the unified path");
	ok(cg_proc_path(hyb, true, out, sizeof out) == 0, "hybrid: name=systemd path found");
	is_str(out, "/user.slice/agent.service", "hybrid: the name=systemd path");
	ok(cg_proc_path("0::/\n", true, out, sizeof out) == -ENOENT,
	   "unified only: no name=systemd line");
	ok(cg_proc_path("0::/a b:c", false, out, sizeof out) == 0 && strcmp(out, "/a b:c") == 0,
	   "a path with a colon, without a newline");
	ok(cg_proc_path("10::/x\n", false, out, sizeof out) == -ENOENT,
	   "hierarchy 10 is not the unified one");
	ok(cg_proc_path("0::/0123456789012345678901234567890123456789012345678901234567890123\n",
			false, out, sizeof out) == -ENAMETOOLONG,
	   "a path longer than the buffer is refused");
	ok(cg_proc_path("", false, out, sizeof out) == -ENOENT, "empty text");
}

int main(void)
{
	test_mounts();
	test_paths();
	test_proc();
	return done_testing();
}
