"""container_link: Python bindings of libcontainer-link.

Containers with Docker's ``-p`` and ``--link``, in this process, without a daemon::

    import container_link as cl

    with cl.Context() as ctx:
        db = ctx.run(["sleep", "1000"], name="db", expose=[5432])
        web = ctx.run(["sleep", "1000"], name="web", publish=["8080:80"], links={db: "db"})
        print(web.ip, web.ports, web.inspect()["HostConfig"]["Links"])

See doc/python.md.  Every call needs root, as the C library does.
"""
from ._container import Container, ExecResult, PortMap, State
from ._context import Context, NatBackend
from ._errors import (ERRNO_CLASSES, CommandFailed, Conflict, ContainerLinkError, ContextClosed,
                      InvalidArgument, NoSpace, NotFound, PermissionDenied, PortInUse, Timeout,
                      TryAgain, WrongState)
from ._native import ffi as _native_ffi
from ._native import lib as _native_lib

__all__ = [
    "Context", "Container", "ExecResult", "NatBackend", "PortMap", "State", "version",
    "ContainerLinkError", "InvalidArgument", "NotFound", "Conflict", "PortInUse", "WrongState",
    "NoSpace", "CommandFailed", "TryAgain", "Timeout", "PermissionDenied", "ContextClosed",
    "ERRNO_CLASSES", "ID_LEN", "SHORT_ID_LEN",
]

#: Length of a container ID (hex digits) and of a short ID.
ID_LEN: int = _native_lib.CTR_ID_LEN
SHORT_ID_LEN: int = _native_lib.CTR_SHORT_ID_LEN


def version() -> str:
    """The C library's version, e.g. ``"0.1.0"``."""
    return _native_ffi.string(_native_lib.ctr_version()).decode()


__version__ = version()

# Show the public classes as container_link.X (in tracebacks, reprs and pickles).
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj
