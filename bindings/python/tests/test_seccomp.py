"""The seccomp opt-out (ctr_create_options.seccomp = "unconfined"): what the default filter
refuses (tests/system/test_security.py) works again.  Through the bindings, since the CLI's
--security-opt is not there yet."""
import os
import sys

import pytest

from conftest import PY

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "system"))
from seccomp_probe import SYSCALLS  # noqa: E402

import container_link as cl  # noqa: E402


def run(ctx, command, **kw):
    c = ctx.run(command, **kw)
    assert c.wait() == 0, c.logs()
    out = c.logs().decode()
    c.remove()
    return out


def test_unconfined_lifts_the_filter(ctx):
    got = dict(l.split(None, 1) for l in run(ctx, [PY, "-c", SYSCALLS],
                                             seccomp="unconfined").splitlines())
    assert got["keyctl"] == "0" and got["clone-newuser"] == "0", got
    assert got["unshare-newuser"] == "0" and got["personality-norandom"] == "0", got
    assert got["clone3"] != "38", got  # a real answer (EFAULT, EINVAL), not "not implemented"
    assert run(ctx, ["grep", "^Seccomp:", "/proc/self/status"],
               seccomp="unconfined").split() == ["Seccomp:", "0"]
    assert run(ctx, ["unshare", "-U", "true"], seccomp="unconfined") == ""


def test_default_and_unknown_profiles(ctx):
    for prof in (None, "default"):
        assert run(ctx, ["grep", "^Seccomp:", "/proc/self/status"],
                   seccomp=prof).split() == ["Seccomp:", "2"]
    with pytest.raises(cl.InvalidArgument, match='seccomp profile "nosuch.json"'):
        ctx.create(["true"], seccomp="nosuch.json")
