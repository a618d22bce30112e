"""A cgroup of its own for each isolated test (tests/nsplugin.py).

Cgroups belong to no namespace that the tests unshare: a cgroup made under /sys/fs/cgroup
would stay on the host after the test.  So the test's world starts in a cgroup made for it,
    <unified>/ctrlink-test.<pid>.<n>   (and the same in the v1 name=systemd hierarchy, if any)
in a new cgroup namespace rooted there, and mounts the cgroup file systems again (in its
private mount namespace) at the places the host has them: the test sees its cgroup as the top
of each hierarchy, and whatever it makes there (the library makes its containers' cgroups
under that top) is under the test's cgroup.  After the test every process in it is gone (its
PID namespace ended), and remove() deletes the whole tree, deepest first.
"""
import ctypes
import itertools
import os
import time

from private import mount

MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)

_count = itertools.count()


def host_hierarchies():
    """[(mount point, fstype, options)] of the unified and name=systemd hierarchies, as the
    library looks for them (lib/core/cgroup.c): cgroup2 at /sys/fs/cgroup, else at
    /sys/fs/cgroup/unified, and cgroup name=systemd at /sys/fs/cgroup/systemd (hybrid)."""
    last = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            a, b = line.split(" - ", 1)
            a, b = a.split(), b.split()
            last[a[4]] = (a[3], b[0], b[2], a[5])
    out = []
    top = last.get("/sys/fs/cgroup")
    uni = last.get("/sys/fs/cgroup/unified")
    sd = last.get("/sys/fs/cgroup/systemd")
    if top and top[1] == "cgroup2" and top[0] == "/":
        out.append(("/sys/fs/cgroup", "cgroup2", None))
    elif uni and uni[1] == "cgroup2" and uni[0] == "/":
        out.append(("/sys/fs/cgroup/unified", "cgroup2", None))
        if sd and sd[1] == "cgroup" and "name=systemd" in sd[2].split(",") and sd[0] == "/":
            out.append(("/sys/fs/cgroup/systemd", "cgroup", "none,name=systemd"))
    return [h for h in out if os.access(h[0], os.W_OK)]


def _rmtree(path, deadline):
    """rmdir every cgroup under path and path, deepest first; a cgroup lets go a moment
    after its last process, so EBUSY is retried until the deadline."""
    for name in os.listdir(path) if os.path.isdir(path) else []:
        sub = os.path.join(path, name)
        if os.path.isdir(sub):
            _rmtree(sub, deadline)
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class IsolatedCgroup:
    def __init__(self, hier, name):
        self.hier = hier
        self.name = name

    @classmethod
    def make(cls):
        hier = host_hierarchies()
        if not hier:
            return None
        name = f"ctrlink-test.{os.getpid()}.{next(_count)}"
        for mp, _, _ in hier:
            os.mkdir(os.path.join(mp, name))
        return cls(hier, name)

    def enter(self):
        """In the process that then unshares the cgroup namespace."""
        for mp, _, _ in self.hier:
            with open(os.path.join(mp, self.name, "cgroup.procs"), "w") as f:
                f.write("0")

    def mount_private(self):
        """In the test's private mount namespace: the hierarchies as its cgroup namespace
        sees them, rooted at its cgroup."""
        for mp, fstype, opts in self.hier:
            # the host's mount goes first (from this namespace only): the kernel refuses a
            # mount of a superblock on top of its own root
            if _libc.umount2(mp.encode(), MNT_DETACH) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"umount {mp}: {os.strerror(err)}")
            mount(fstype, mp, fstype, 0, opts)

    def remove(self):
        deadline = time.monotonic() + 10
        for mp, _, _ in self.hier:
            _rmtree(os.path.join(mp, self.name), deadline)
