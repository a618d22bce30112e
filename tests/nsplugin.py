"""pytest plugin: every test runs in its own fresh network, mount, PID and cgroup namespaces.

For each test, pytest's process forks a child that unshares the namespaces and forks again:
the grandchild is PID 1 of a new PID namespace, with a private mount namespace (tmpfs on /run
and /tmp, where the checkout stays visible if it lives there: tests/private.py; a fresh /proc)
and a new network namespace (loopback up).  It runs the test and sends the reports back
through a pipe.  When it exits, the kernel ends every process it started (containers and their
monitors included) and drops its namespaces: nothing the test made can outlive it or touch the
host.

Cgroups are not in any of those namespaces, so each test also gets a cgroup of its own
(tests/cgroups.py): its world starts in it, in a cgroup namespace rooted there, with the cgroup
file systems mounted again in its mount namespace, so that what the test (or the library, for
its containers) makes under /sys/fs/cgroup is made under the test's cgroup; after the test,
that cgroup and everything under it is removed.
"""
import ctypes
import os
import pickle
import signal
import subprocess
import sys
import traceback

import pytest
from _pytest.runner import runtestprotocol

import cgroups
from private import MS_PRIVATE, MS_REC, mount as _mount, tmpfs_over

CLONE_NEWCGROUP = 0x02000000
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def enter_private_world(cg=None):
    """Called in the grandchild (PID 1 of its namespace): private mounts, loopback up."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    if cg:
        cg.mount_private()
    tmpfs_over("/run", "mode=755")
    tmpfs_over("/tmp", "mode=1777")
    _mount("proc", "/proc", "proc")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def _serialize(item, reports):
    return [item.config.hook.pytest_report_to_serializable(config=item.config, report=r)
            for r in reports]


def _run_isolated(item):
    cg = cgroups.IsolatedCgroup.make()
    try:
        return _run_in(item, cg)
    finally:
        if cg:
            cg.remove()


def _run_in(item, cg):
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: new namespaces, then the test's PID 1
        os.close(rfd)
        code = 1
        try:
            flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID
            if cg:
                cg.enter()
                flags |= CLONE_NEWCGROUP
            _check(_libc.unshare(flags), "unshare")
            inner = os.fork()
            if inner == 0:
                try:
                    # as PID 1, a default SIGTERM/SIGINT would be ignored; keep them fatal
                    signal.signal(signal.SIGTERM, lambda *a: os._exit(143))
                    enter_private_world(cg)
                    reports = runtestprotocol(item, log=False, nextitem=None)
                    data = pickle.dumps(_serialize(item, reports))
                except BaseException:
                    data = pickle.dumps(traceback.format_exc())
                with os.fdopen(wfd, "wb") as f:
                    f.write(data)
                os._exit(0)
            os.close(wfd)
            _, status = os.waitpid(inner, 0)
            code = os.waitstatus_to_exitcode(status)
        except BaseException:
            traceback.print_exc()
        os._exit(code if code >= 0 else 1)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    return data, status


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if os.environ.get("CTRLINK_NO_ISOLATION"):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    data, status = _run_isolated(item)
    reports = None
    if data:
        try:
            payload = pickle.loads(data)
        except Exception:
            payload = f"cannot read the isolated test's result: {data[:200]!r}"
        if isinstance(payload, list):
            reports = [item.config.hook.pytest_report_from_serializable(config=item.config,
                                                                         data=d)
                       for d in payload]
        else:
            msg = payload
    else:
        msg = f"the isolated test process ended without a result (wait status {status})"
    if reports is None:
        from _pytest.reports import TestReport
        reports = [TestReport(item.nodeid, item.location, {}, "failed", msg, "call", [])]
    for r in reports:
        item.ihook.pytest_runtest_logreport(report=r)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
