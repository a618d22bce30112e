"""The exceptions: one class per class of failure the C library reports.

Every function of the C library returns 0 or a negative errno and leaves a message in
ctr_last_error().  The bindings turn a failure into an instance of the class mapped from the
errno (:data:`ERRNO_CLASSES`), carrying the library's message; an errno without a class of its
own (a system call that failed) gives a plain :class:`ContainerLinkError`.
"""
from __future__ import annotations

import errno as _errno
import os
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from ._container import Container

__all__ = [
    "ContainerLinkError", "InvalidArgument", "NotFound", "Conflict", "PortInUse", "WrongState",
    "NoSpace", "CommandFailed", "TryAgain", "Timeout", "PermissionDenied", "ContextClosed",
    "ERRNO_CLASSES", "error_for",
]


class ContainerLinkError(Exception):
    """Base class of every error the bindings raise.

    Attributes:
        message: the library's human-readable message (``str(error)`` is the same text).
        errno: the positive errno value the C function returned (``None`` for errors found
            by the Python layer itself, such as :class:`ContextClosed`).
        container: for :meth:`Context.run`, the container that was created but could not be
            started (it is left in the "created" state, as Docker leaves it); else ``None``.
    """

    errno: Optional[int]

    def __init__(self, message: str, errno: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.container: Optional["Container"] = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, errno={self.errno!r})"


class InvalidArgument(ContainerLinkError, ValueError):
    """A bad argument: a name, a port spec, an option (``EINVAL``)."""


class NotFound(ContainerLinkError, LookupError):
    """No such container, link or published port (``ENOENT``)."""


class Conflict(ContainerLinkError):
    """A name or link alias already in use, a port already published (``EEXIST``)."""


class PortInUse(Conflict):
    """A host port is already allocated (``EADDRINUSE``)."""


class WrongState(ContainerLinkError):
    """The container is in the wrong state: running, not running, linked to (``EBUSY``)."""


class NoSpace(ContainerLinkError):
    """No free address or host port left (``ENOSPC``)."""


class CommandFailed(ContainerLinkError):
    """The container's program (or an exec'd one) could not be started: not found, not
    executable, bad working directory, unknown user... (``ENOEXEC``).

    Attributes:
        exit_code: the exit code Docker reports for it (127 not found, 126 not executable,
            125 otherwise), or ``None`` when unknown.
    """

    def __init__(self, message: str, errno: Optional[int] = None) -> None:
        super().__init__(message, errno)
        self.exit_code: Optional[int] = None


class TryAgain(ContainerLinkError):
    """A firewall rule commit kept conflicting with another writer (``EAGAIN``)."""


class Timeout(ContainerLinkError, TimeoutError):
    """A wait ran out of time (``ETIMEDOUT``)."""


class PermissionDenied(ContainerLinkError, PermissionError):
    """Not allowed: not root, or an unsafe state directory (``EPERM``, ``EACCES``)."""


class ContextClosed(ContainerLinkError, ValueError):
    """The :class:`Context` was closed."""


#: errno → exception class; any other errno gives :class:`ContainerLinkError`.
ERRNO_CLASSES: dict[int, type[ContainerLinkError]] = {
    _errno.EINVAL: InvalidArgument,
    _errno.ENOENT: NotFound,
    _errno.EEXIST: Conflict,
    _errno.EADDRINUSE: PortInUse,
    _errno.EBUSY: WrongState,
    _errno.ENOSPC: NoSpace,
    _errno.ENOEXEC: CommandFailed,
    _errno.EAGAIN: TryAgain,
    _errno.ETIMEDOUT: Timeout,
    _errno.EPERM: PermissionDenied,
    _errno.EACCES: PermissionDenied,
}


def error_for(code: int, message: str = "") -> ContainerLinkError:
    """The exception for a C return value ``code`` (a negative errno, or a positive one) and
    the library's message (the errno's text when the library left none)."""
    err = -code if code < 0 else code
    cls = ERRNO_CLASSES.get(err, ContainerLinkError)
    if not message:
        message = os.strerror(err)
    return cls(message, err)
