#!/usr/bin/python3
"""A fresh tmpfs over a directory (/tmp, /run) that does not hide the checkout.

A test's private world mounts an empty tmpfs on /tmp and /run.  A checkout that lives under one
of them (git clone ... /tmp/x) would vanish with it: the library, ctr-monitor, the test
programs.  So before the tmpfs is mounted, every path to keep that lies under the directory is
opened (O_PATH); after it, the same path is made inside the new tmpfs and the opened directory
is bound back onto it.  Kept: the top of this checkout, $CTRLINK_BUILD and the paths given.
Call it in a private mount namespace, before /proc is remounted for a new PID namespace (the
bind goes through /proc/self/fd).  The C tests have the same in tests/system/private.h.

As a program (for shell scripts, in their own mount namespace):
    tests/private.py [--source NAME] DIR [OPTIONS [KEEP...]]
"""
import ctypes
import os
import sys

MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

TOP = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

_libc = ctypes.CDLL(None, use_errno=True)


def mount(src, dst, fstype, flags=0, data=None):
    rc = _libc.mount(src.encode() if src else None, dst.encode(),
                     fstype.encode() if fstype else None, ctypes.c_ulong(flags),
                     data.encode() if data else None)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {dst}: {os.strerror(err)}")


def _under(path, top):
    return top == "/" or path == top or path.startswith(top + "/")


def tmpfs_over(target, data=None, keep=(), source="tmpfs"):
    """Mount a tmpfs on target; the checkout and `keep` stay visible at their paths."""
    target = os.path.realpath(target)
    paths = sorted({os.path.realpath(p)
                    for p in (TOP, os.environ.get("CTRLINK_BUILD"), *keep) if p})
    kept = []
    for p in paths:  # sorted: a directory comes before what is inside it
        if _under(p, target) and os.path.exists(p) and not any(_under(p, k) for k in kept):
            kept.append(p)
    fds = [os.open(p, os.O_PATH | os.O_CLOEXEC) for p in kept]
    try:
        mount(source, target, "tmpfs", 0, data)
        for p, fd in zip(kept, fds):
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(p, mode=0o755, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(p), mode=0o755, exist_ok=True)
                open(p, "a").close()
            mount(f"/proc/self/fd/{fd}", p, None, MS_BIND | MS_REC)
    finally:
        for fd in fds:
            os.close(fd)


def main(argv):
    source = "tmpfs"
    if argv[:1] == ["--source"] and len(argv) > 1:
        source, argv = argv[1], argv[2:]
    if not argv or argv[0].startswith("-"):
        sys.exit("usage: tests/private.py [--source NAME] DIR [OPTIONS [KEEP...]]")
    tmpfs_over(argv[0], argv[1] if len(argv) > 1 and argv[1] else None, argv[2:], source)


if __name__ == "__main__":
    main(sys.argv[1:])
