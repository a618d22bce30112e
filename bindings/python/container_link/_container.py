"""Container objects."""
from __future__ import annotations

import contextlib
import errno
import math
import os
import select
import signal as _signal
import tempfile
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple, Optional, Sequence, Union

from ._errors import (CommandFailed, ContainerLinkError, ContextClosed, InvalidArgument,
                      NotFound, Timeout)
from ._ffi import (Arena, Env, FileArg, call, call_json, command_list, env_list, fileno,
                   take_error, to_bytes)
from ._native import ffi, lib

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["Container", "ExecResult"]

Command = Union[str, Sequence[str]]
Signal = Union[int, str, _signal.Signals]


_now = time.monotonic


def _stop_timeout(timeout: Optional[float]) -> int:
    """The library's timeout_s for a Python timeout (None: the default)."""
    if timeout is None:
        return -1
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be a number of seconds")
    if timeout < 0 or timeout != timeout:
        raise InvalidArgument(f"invalid timeout {timeout!r}", errno.EINVAL)
    return min(int(math.ceil(timeout)), 2**31 - 1)


class ExecResult(NamedTuple):
    """What :meth:`Container.exec` returns."""

    #: the command's exit code (128+N when killed by signal N)
    exit_code: int
    #: what it wrote to stdout, with ``capture_output=True``; else None
    stdout: Optional[bytes]
    #: what it wrote to stderr, with ``capture_output=True``; else None
    stderr: Optional[bytes]


class _Exit:
    """The exit descriptor of one start(): it becomes readable when that run ends, and then
    carries the exit code (even when the container removed itself)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.code: Optional[int] = None
        self._close = weakref.finalize(self, os.close, fd)

    def wait(self, timeout: Optional[float]) -> Optional[int]:
        """The exit code, or None if `timeout` seconds ran out first."""
        deadline = None if timeout is None else _now() + timeout
        if not self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            return None
        try:
            if self.code is not None:
                return self.code
            if not self._close.alive:  # another waiter's read failed
                raise ContainerLinkError("the container's monitor ended without reporting an "
                                         "exit code", errno.EIO)
            p = select.poll()
            p.register(self._fd, select.POLLIN)
            left = None if deadline is None else max(0, deadline - _now())
            if not p.poll(None if left is None else math.ceil(left * 1000)):
                return None
            code = ffi.new("int *")
            try:
                call(lib.ctrpy_read_exit, self._fd, code)
            finally:
                self._close()  # read once: the code, or the monitor ended without one
            self.code = code[0]
            return self.code
        finally:
            self._lock.release()


def _signal_number(sig: Signal) -> int:
    if isinstance(sig, bool):
        raise TypeError("signal must be a number or a name, not bool")
    if isinstance(sig, int):
        return int(sig)
    if isinstance(sig, str):
        name = sig.upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        try:
            return int(_signal.Signals[name])
        except KeyError:
            raise InvalidArgument(f"invalid signal {sig!r}", errno.EINVAL) from None
    raise TypeError(f"signal must be a number or a name, not {type(sig).__name__}")


def _own_name(attrs: dict[str, Any]) -> str:
    """The name in an inspect dict, without Docker's leading "/"."""
    n = str(attrs["Name"])
    return n[1:] if n.startswith("/") else n


class PortMap(NamedTuple):
    """A published port of a running container: ``container_port``/``proto`` reached at
    ``host_ip``:``host_port``."""
    container_port: int
    proto: str
    host_ip: str
    host_port: int


class State(NamedTuple):
    """What :meth:`Container.state` read: the part of ``inspect()`` asked for most often."""
    id: str
    name: str
    status: str
    running: bool
    pid: Optional[int]
    exit_code: int
    ip: Optional[str]
    gateway: Optional[str]
    ip6: Optional[str]
    gateway6: Optional[str]
    ports: tuple[PortMap, ...]


class Container:
    """A container of a :class:`Context`.

    Get one from :meth:`Context.create`, :meth:`Context.run`, :meth:`Context.get` or
    :meth:`Context.list`; do not build it yourself.  It holds the container's ID and, as
    docker-py's Container does, the values of one read: :attr:`attrs`, the
    :meth:`inspect` dict, from which the properties (:attr:`name`, :attr:`status`,
    :attr:`running`, :attr:`exit_code`, :attr:`pid`, :attr:`ip`, :attr:`ports`) answer
    without asking the library.

    The held values are read anew by :meth:`reload`, and by the methods that change the
    container or wait for it to change (:meth:`start`, :meth:`stop`, :meth:`restart`,
    :meth:`kill`, :meth:`wait`, :meth:`publish`, :meth:`unpublish`, :meth:`link`,
    :meth:`unlink`, :meth:`rename`, :meth:`logs` and :meth:`write_logs` with ``follow``) when
    they are done, so ``c.start(); c.status`` is ``"running"``.  Nothing else changes them: a
    change made elsewhere (through another Container object, another process, or the
    container ending on its own) shows after :meth:`reload`.  :meth:`state` and
    :meth:`inspect` always read anew, and leave the held values alone.

    Two Container objects for the same container compare equal.  A Container may be used from
    several threads; when reads overlap, the one begun last is held.
    """

    def __init__(self, context: "Context", id: str, attrs: Optional[dict[str, Any]]) -> None:
        self._ctx = context
        self._id = id
        self._ref = id.encode()
        self._exit: Optional[_Exit] = None
        self._lock = threading.Lock()
        self._attrs = attrs  # what the last read gave (None: not read yet)
        self._reads = 0      # reads begun
        self._held = 0       # the number of the read _attrs is from

    # ---- identity ---------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The full 64-hex-digit ID."""
        return self._id

    @property
    def short_id(self) -> str:
        """The 12-digit short ID (the default hostname)."""
        return self._id[:12]

    @property
    def name(self) -> str:
        """The name, without Docker's leading "/" (held: a rename made through this object
        shows at once, one made elsewhere after :meth:`reload`)."""
        return _own_name(self.attrs)

    @property
    def context(self) -> "Context":
        """The :class:`Context` this container belongs to."""
        return self._ctx

    def __repr__(self) -> str:
        a = self._attrs
        return f"<Container {_own_name(a)} {self.short_id}>" if a else \
            f"<Container {self.short_id}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Container):
            return NotImplemented
        return self._id == other._id and self._ctx is other._ctx

    def __hash__(self) -> int:
        return hash(self._id)

    # ---- held values ------------------------------------------------------------------------

    @property
    def attrs(self) -> dict[str, Any]:
        """The held :meth:`inspect` dict: what the last read (:meth:`Context.get`,
        :meth:`Context.list`, :meth:`Context.create`, :meth:`reload`, or the end of a method
        that changes the container) gave.  It does not change until the next such read, which
        replaces it with a new dict.  Treat it as read-only: the properties answer from it."""
        a = self._attrs
        if a is None:  # (only if the read after create() failed)
            self.reload()
            a = self._attrs
            assert a is not None
        return a

    def reload(self) -> None:
        """Read the container anew (one :meth:`inspect`) and hold what it says: :attr:`attrs`
        and the properties then show it.

        Raises:
            NotFound: the container was removed (the held values stay the last ones read).
            ContextClosed: the context was closed.
        """
        n = self._begin_read()
        with self._ctx._use() as ctx:
            info = call_json(lib.ctrpy_inspect, ctx, self._ref)
        self._hold(n, info)

    def _begin_read(self) -> int:
        with self._lock:
            self._reads += 1
            return self._reads

    def _hold(self, n: int, info: dict[str, Any]) -> None:
        with self._lock:
            if n > self._held:  # an overlapping read begun later has not been held already
                self._attrs, self._held = info, n

    def _refresh(self, ctx: Any) -> None:
        """Read the held values anew, with the C context of the call that just changed the
        container (so that close() waits for this read too).  If the read fails (the
        container is gone), the held values stay as they were: the call's outcome stands."""
        n = self._begin_read()
        try:
            info = call_json(lib.ctrpy_inspect, ctx, self._ref)
        except ContainerLinkError:
            return
        self._hold(n, info)

    def _refresh_after(self) -> None:
        """_refresh() after a call that did not hold the C context, unless the context was
        closed meanwhile."""
        try:
            with self._ctx._use() as ctx:
                self._refresh(ctx)
        except ContextClosed:
            pass

    @contextlib.contextmanager
    def _changing(self) -> Iterator[Any]:
        """The C context for a call that changes the container: when the call is done
        (returned or raised), the held values are read anew before the context is let go."""
        with self._ctx._use() as ctx:
            try:
                yield ctx
            finally:
                self._refresh(ctx)

    @property
    def status(self) -> str:
        """``"created"``, ``"running"``, ``"restarting"`` or ``"exited"`` (State.Status;
        held)."""
        return str(self.attrs["State"]["Status"])

    @property
    def running(self) -> bool:
        """Whether the container is running (State.Running; held)."""
        return bool(self.attrs["State"]["Running"])

    @property
    def exit_code(self) -> int:
        """The exit code of the last run (State.ExitCode, 0 before the first; held)."""
        return int(self.attrs["State"]["ExitCode"])

    @property
    def pid(self) -> Optional[int]:
        """The host PID of the container's main process while it runs, else None (State.Pid;
        held)."""
        return self.attrs["State"]["Pid"] or None

    @property
    def ip(self) -> Optional[str]:
        """The container's IPv4 address while it runs, else None (NetworkSettings.IPAddress;
        held)."""
        return self.attrs["NetworkSettings"]["IPAddress"] or None

    @property
    def ports(self) -> dict[str, Optional[list[dict[str, str]]]]:
        """The published ports as Docker shows them (NetworkSettings.Ports; held), e.g.
        ``{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}``; an exposed port that is
        not published maps to None.  Host ports are known while the container runs."""
        return self.attrs["NetworkSettings"]["Ports"] or {}

    # ---- fresh reads ------------------------------------------------------------------------

    def inspect(self) -> dict[str, Any]:
        """The container as ``docker inspect`` shows it (one object, not a list), read anew
        (the held :attr:`attrs` stay as they are; :meth:`reload` replaces them).

        Raises:
            NotFound: the container was removed.
        """
        with self._ctx._use() as ctx:
            return call_json(lib.ctrpy_inspect, ctx, self._ref)

    def state(self) -> "State":
        """A snapshot of what is asked most often (ID, name, status, PID, exit code,
        addresses, published ports), read anew, typed, from the library
        (``ctr_state_read``): no JSON, so it is the cheap way to poll.  The held values stay
        as they are.

        Raises:
            NotFound: the container was removed.
        """
        st = ffi.new("ctr_state *")
        st.version = lib.CTR_STATE_VERSION
        with self._ctx._use() as ctx:
            call(lib.ctrpy_state_read, ctx, self._ref, st)
        try:
            s = lambda field: ffi.string(field).decode()
            ports = tuple(PortMap(p.container_port, s(p.proto), s(p.host_ip), p.host_port)
                          for p in (st.ports[i] for i in range(st.n_ports)))
            return State(s(st.id), s(st.name), s(st.status_name), bool(st.running),
                         st.pid or None, st.exit_code, s(st.ip) or None, s(st.gateway) or None,
                         s(st.ip6) or None, s(st.gateway6) or None, ports)
        finally:
            lib.ctr_state_clear(st)

    # ---- running ----------------------------------------------------------------------------

    def start(self, *, stdin: FileArg = None, stdout: FileArg = None,
              stderr: FileArg = None) -> None:
        """Start the container (a created or exited one; a running one is left alone).

        Returns once its command has been executed.  `stdin`, `stdout` and `stderr` are
        descriptors or file objects the container gets; by default stdin is /dev/null and its
        output goes to its log only (:meth:`logs`).  After start(), :meth:`wait` waits for this run
        through a descriptor the library hands out, which works for ``auto_remove``
        containers too.

        Raises:
            CommandFailed: the command could not be run (``exit_code`` says why: 127 not
                found, 126 not executable, 125 other); the container stays not running.
            NotFound, PortInUse, NoSpace, ContainerLinkError: see the C API.
        """
        so = ffi.new("ctr_start_options *")
        call(lib.ctrpy_start_options_init, so, lib.CTR_START_OPTIONS_VERSION)
        so.stdin_fd = fileno(stdin, "stdin")
        so.stdout_fd = fileno(stdout, "stdout")
        so.stderr_fd = fileno(stderr, "stderr")
        exit_fd = ffi.new("int *", -1)
        so.exit_fd = exit_fd
        ok = False
        try:
            with self._changing() as ctx:
                call(lib.ctrpy_start, ctx, self._ref, so)
            ok = True
        except CommandFailed as e:
            e.exit_code = self._failed_start_code()
            raise
        finally:
            if not ok and exit_fd[0] >= 0:
                os.close(exit_fd[0])  # (the library hands none out on failure)
        if exit_fd[0] >= 0:  # (none when the container was running already)
            self._exit = _Exit(exit_fd[0])

    def _failed_start_code(self) -> Optional[int]:
        code = ffi.new("int *")
        try:
            with self._ctx._use() as ctx:
                call(lib.ctrpy_wait, ctx, self._ref, 0, code)
        except ContainerLinkError:
            return None
        return code[0] or None

    def stop(self, timeout: Optional[float] = None) -> None:
        """Stop the container: SIGTERM, then SIGKILL after `timeout` seconds (None: 10; a
        fraction is rounded up to the next second).  Returns once it has exited and its network
        is torn down.  Stopping a container that is not running does nothing."""
        t = _stop_timeout(timeout)
        with self._changing() as ctx:
            call(lib.ctrpy_stop, ctx, self._ref, t)

    def restart(self, timeout: Optional[float] = None) -> None:
        """Restart the container, as ``docker restart``: :meth:`stop` with `timeout`, then
        start it again (its output goes to the log).  A container that is not running is just
        started; an auto-removed one is kept through its restart."""
        t = _stop_timeout(timeout)
        self._exit = None
        with self._changing() as ctx:
            call(lib.ctrpy_restart, ctx, self._ref, t)

    def kill(self, signal: Signal = _signal.SIGKILL) -> None:
        """Send `signal` (a number, a :class:`signal.Signals` or a name like ``"TERM"``) to
        the container's main process.  It returns once the signal is sent, and the held values
        are read then: the container may well still be running; :meth:`wait` for its end.

        Raises:
            WrongState: the container is not running.
            InvalidArgument: not a signal.
        """
        signo = _signal_number(signal)
        with self._changing() as ctx:
            call(lib.ctrpy_kill, ctx, self._ref, signo)

    def wait(self, timeout: Optional[float] = None) -> int:
        """Wait until the container is not running and return its exit code.

        If this object started the container, this waits for that run, and gets its exit code
        even when the container removed itself (``auto_remove``).  Otherwise it asks the
        library (ctr_wait).  `timeout` is in seconds; None waits for ever.  The held values
        are read anew when it is done, unless the context was closed meanwhile (or the
        container is gone): then they stay as they were, and the exit code is returned all
        the same.

        Raises:
            Timeout: the container still runs after `timeout` seconds.
            NotFound: the container was removed (and this object did not see its end).
        """
        if timeout is not None and (timeout < 0 or timeout != timeout):
            raise InvalidArgument(f"invalid timeout {timeout!r}", errno.EINVAL)
        ex = self._exit
        if ex is not None and ex.code is None:
            try:
                code = ex.wait(timeout)
            except ContainerLinkError:
                # the monitor ended without reporting: ask the library's record instead
                self._exit = ex = None
            else:
                self._refresh_after()
                if code is None:
                    raise Timeout(f"the container {self._id} is still running",
                                  errno.ETIMEDOUT)
                return code
        ms = -1 if timeout is None else min(int(math.ceil(timeout * 1000)), 2**31 - 1)
        out = ffi.new("int *")
        try:
            with self._changing() as ctx:
                call(lib.ctrpy_wait, ctx, self._ref, ms, out)
        except NotFound:
            if ex is not None and ex.code is not None:
                return ex.code  # it removed itself after the run we saw end
            raise
        return out[0]

    def remove(self, *, force: bool = False) -> None:
        """Remove the container and everything it owns.  The held values stay the last ones
        read (:meth:`reload` then raises NotFound).

        Raises:
            WrongState: it runs, or another container links to it, and `force` is false
                (with `force`, it is stopped and the links to it are dropped).
        """
        with self._ctx._use() as ctx:
            call(lib.ctrpy_remove, ctx, self._ref, lib.CTR_REMOVE_FORCE if force else 0)

    def exec(self, command: Command, *, env: Env = None, user: Optional[str] = None,
             workdir: Optional[str] = None, stdin: FileArg = None, stdout: FileArg = None,
             stderr: FileArg = None, input: Optional[bytes] = None,
             capture_output: bool = False) -> ExecResult:
        """Run a command inside the running container and wait for it.

        Args:
            command: a list of arguments, or a string split as a shell would.
            env: extra environment (a mapping, or "KEY=VALUE" strings), merged over the
                container's.
            user, workdir: override the container's.
            stdin, stdout, stderr: descriptors or file objects; by default /dev/null, and this
                process's own stdout and stderr.
            input: bytes fed to the command's stdin (instead of `stdin`).
            capture_output: collect stdout and stderr into the result (instead of `stdout`
                and `stderr`).

        Returns:
            an :class:`ExecResult` (exit_code, stdout, stderr).

        Raises:
            WrongState: the container is not running.
            CommandFailed: the command could not be run (``exit_code`` 127 or 126...).
        """
        if input is not None and stdin is not None:
            raise ValueError("stdin and input cannot both be given")
        if capture_output and (stdout is not None or stderr is not None):
            raise ValueError("stdout and stderr cannot be given with capture_output")
        a = Arena()
        xo = ffi.new("ctr_exec_options *")
        call(lib.ctrpy_exec_options_init, xo, lib.CTR_EXEC_OPTIONS_VERSION)
        xo.argv = a.strv(command_list(command))
        xo.env = a.strv(env_list(env))
        xo.user = a.str(user, "user")
        xo.workdir = a.str(workdir, "workdir")
        files = []
        try:
            if input is not None:
                f = tempfile.TemporaryFile()
                files.append(f)
                f.write(bytes(input))
                f.seek(0)
                stdin = f
            out = err = None
            if capture_output:
                out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
                files += [out, err]
                stdout, stderr = out, err
            xo.stdin_fd = fileno(stdin, "stdin")
            xo.stdout_fd = fileno(stdout, "stdout")
            xo.stderr_fd = fileno(stderr, "stderr")
            code = ffi.new("int *")
            msg = ffi.new("char **")
            with self._ctx._use() as ctx:
                rc = lib.ctrpy_exec(ctx, self._ref, xo, code, msg)
            if rc < 0:
                e = take_error(rc, msg[0])
                if isinstance(e, CommandFailed):
                    e.exit_code = code[0] or None
                raise e
            if out is not None and err is not None:
                out.seek(0)
                err.seek(0)
                return ExecResult(code[0], out.read(), err.read())
            return ExecResult(code[0], None, None)
        finally:
            for f in files:
                f.close()

    # ---- logs -------------------------------------------------------------------------------

    def logs(self, *, stdout: bool = True, stderr: bool = True, timestamps: bool = False,
             follow: bool = False) -> bytes:
        """What the container wrote to its log (when started without its own stdout/stderr),
        stdout and stderr interleaved in the order written.

        Args:
            stdout, stderr: which streams to include.
            timestamps: prefix each line with its RFC 3339 time.
            follow: if it runs, wait until it stops and include everything up to then.
        """
        with tempfile.TemporaryFile() as f:
            fd = f.fileno()
            self.write_logs(fd if stdout else None, fd if stderr else None,
                            timestamps=timestamps, follow=follow)
            f.seek(0)
            return f.read()

    def write_logs(self, stdout: FileArg = None, stderr: FileArg = None, *,
                   timestamps: bool = False, follow: bool = False) -> None:
        """Copy the log to descriptors or file objects as it goes (None drops a stream); with
        `follow`, keep copying until the container stops."""
        flags = (lib.CTR_LOGS_TIMESTAMPS if timestamps else 0) | \
            (lib.CTR_LOGS_FOLLOW if follow else 0)
        o, e = fileno(stdout, "stdout"), fileno(stderr, "stderr")
        with self._changing() if follow else self._ctx._use() as ctx:
            call(lib.ctrpy_logs, ctx, self._ref, o, e, flags)

    # ---- ports and links --------------------------------------------------------------------

    def publish(self, spec: Union[str, int]) -> None:
        """Publish container ports on the host, `spec` in any form ``-p`` takes: ``"8080:80"``,
        ``"127.0.0.1::53/udp"``, ``"20000-20010:20000-20010"``, ``80`` (a free host port)...
        On a running container it takes effect at once; on another, at its next start.

        Raises:
            InvalidArgument: a bad spec.
            Conflict: already published so.
            PortInUse: the host port is taken.
            NoSpace: no free host port left.
        """
        s = to_bytes(str(spec) if isinstance(spec, int) and not isinstance(spec, bool)
                     else spec, "port spec")
        with self._changing() as ctx:
            call(lib.ctrpy_publish_port, ctx, self._ref, s)

    def unpublish(self, spec: Union[str, int]) -> None:
        """Withdraw published ports: `spec` names bindings as ``-p`` does; a bare container
        port (``"80"``, ``"53/udp"``) withdraws every binding of that port.

        Raises:
            NotFound: nothing published matches.
        """
        s = to_bytes(str(spec) if isinstance(spec, int) and not isinstance(spec, bool)
                     else spec, "port spec")
        with self._changing() as ctx:
            call(lib.ctrpy_unpublish_port, ctx, self._ref, s)

    def link(self, target: Union["Container", str], alias: Optional[str] = None, *,
             env: bool = False) -> None:
        """Link this container to `target` (a Container or a reference) under `alias`
        (default: the target's name), as ``--link target:alias``.

        This container then gets ``<ALIAS>_PORT_...`` environment variables (from its next
        start) and an /etc/hosts entry (at once when it runs).  With `env`, the target's
        environment is also copied as ``<ALIAS>_ENV_*``.

        Raises:
            NotFound: no such target.
            Conflict: the alias is in use.
        """
        t = to_bytes(target.id if isinstance(target, Container) else target, "link target")
        a = ffi.NULL if alias is None else to_bytes(alias, "link alias")
        with self._changing() as ctx:
            call(lib.ctrpy_link, ctx, self._ref, t, a, lib.CTR_LINK_ENV if env else 0)

    def rename(self, new_name: str) -> None:
        """Rename this container to `new_name`, as ``docker rename``.  Links to it follow:
        the /etc/hosts files of running containers linking to it show the new name at once.

        Raises:
            InvalidArgument: an empty, invalid or unchanged name.
            Conflict: another container has that name.
        """
        n = to_bytes(new_name, "container name")
        with self._changing() as ctx:
            call(lib.ctrpy_rename, ctx, self._ref, n)

    def unlink(self, alias: str) -> None:
        """Remove this container's link `alias`.

        Raises:
            NotFound: no such link.
        """
        a = to_bytes(alias, "link alias")
        with self._changing() as ctx:
            call(lib.ctrpy_unlink, ctx, self._ref, a)
