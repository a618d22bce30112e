"""The exception hierarchy and the errno mapping (every class the C API documents)."""
import errno
import os
import pickle

import pytest

import container_link as cl
from container_link._errors import error_for

DOCUMENTED = {
    errno.EINVAL: cl.InvalidArgument,
    errno.ENOENT: cl.NotFound,
    errno.EEXIST: cl.Conflict,
    errno.EBUSY: cl.WrongState,
    errno.EADDRINUSE: cl.PortInUse,
    errno.ENOSPC: cl.NoSpace,
    errno.ENOEXEC: cl.CommandFailed,
    errno.EAGAIN: cl.TryAgain,
    errno.ETIMEDOUT: cl.Timeout,
    errno.EPERM: cl.PermissionDenied,
    errno.EACCES: cl.PermissionDenied,
}


@pytest.mark.parametrize("err", sorted(DOCUMENTED))
def test_each_errno_maps_to_its_class_with_the_message(err):
    e = error_for(-err, "the library's message")
    assert type(e) is DOCUMENTED[err]
    assert isinstance(e, cl.ContainerLinkError)
    assert e.errno == err and e.message == "the library's message"
    assert str(e) == "the library's message"
    assert cl.ERRNO_CLASSES[err] is DOCUMENTED[err]
    with pytest.raises(cl.ContainerLinkError, match="library's message"):
        raise e


def test_other_errnos_give_the_base_class_and_strerror_without_message():
    e = error_for(-errno.ENOTSUP, "")
    assert type(e) is cl.ContainerLinkError
    assert e.errno == errno.ENOTSUP and str(e) == os.strerror(errno.ENOTSUP)
    assert error_for(errno.EIO, "x").errno == errno.EIO  # a positive code is taken as is


def test_hierarchy_and_builtin_bases():
    assert issubclass(cl.InvalidArgument, ValueError)
    assert issubclass(cl.NotFound, LookupError)
    assert issubclass(cl.PortInUse, cl.Conflict)
    assert issubclass(cl.Timeout, TimeoutError)
    assert issubclass(cl.PermissionDenied, PermissionError)
    assert issubclass(cl.ContextClosed, ValueError)
    for name in ("InvalidArgument", "NotFound", "Conflict", "PortInUse", "WrongState", "NoSpace",
                 "CommandFailed", "TryAgain", "Timeout", "PermissionDenied", "ContextClosed"):
        cls = getattr(cl, name)
        assert issubclass(cls, cl.ContainerLinkError) and cls.__module__ == "container_link"
    e = error_for(-errno.ETIMEDOUT, "still running")
    assert str(e) == "still running" and e.errno == errno.ETIMEDOUT  # OSError base is quiet
    assert repr(e) == "Timeout('still running', errno=110)"
    assert error_for(-errno.ENOEXEC, "x").exit_code is None
    assert error_for(-errno.EINVAL, "x").container is None


def test_exceptions_pickle():
    e = pickle.loads(pickle.dumps(cl.NotFound("No such container: x", errno.ENOENT)))
    assert type(e) is cl.NotFound and str(e) == "No such container: x"
