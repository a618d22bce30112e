"""Contexts: one open state directory."""
from __future__ import annotations

import contextlib
import enum
import errno
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Optional, Union

from ._container import Command, Container
from ._errors import ContainerLinkError, ContextClosed, InvalidArgument, NotFound
from ._ffi import (Arena, Env, FileArg, StrLike, call, call_json, command_list, env_list,
                   to_bytes, to_str_list)
from ._native import ffi, lib

__all__ = ["Context", "NatBackend"]


class NatBackend(enum.IntEnum):
    """NAT backends (the ``nat_backend`` option of :class:`Context`)."""

    AUTO = lib.CTR_NAT_AUTO
    IPTABLES = lib.CTR_NAT_IPTABLES
    NFTABLES = lib.CTR_NAT_NFTABLES


LinkTarget = Union[Container, str]
#: Links: "name" / "name:alias" strings, Containers, (target, alias) pairs, or a mapping
#: target → alias (an alias of None is the target's name).
Links = Union[Mapping[LinkTarget, Optional[str]],
              Iterable[Union[LinkTarget, tuple[LinkTarget, Optional[str]]]], None]


def _link_specs(links: Links, what: str) -> Optional[list[bytes]]:
    if links is None:
        return None
    if isinstance(links, (str, bytes, Container)):
        links = [links]
    items = links.items() if isinstance(links, Mapping) else links
    out = []
    for item in items:
        target, alias = item if isinstance(item, tuple) else (item, None)
        if isinstance(target, Container):
            # by ID: its held name may be out of date; the default alias is its current name
            if alias is None:
                with contextlib.suppress(ContainerLinkError):
                    alias = target.state().name  # (if it is gone, the library says so)
            target = target.id
        t = to_bytes(target, what)
        out.append(t if alias is None else t + b":" + to_bytes(alias, what))
    return out


#: A restart policy: "always", "on-failure:3"..., or docker-py's {"Name": ..., "MaximumRetryCount": N}
RestartPolicy = Union[str, Mapping[str, Any], None]


def _restart_spec(policy: RestartPolicy) -> Optional[str]:
    if policy is None or isinstance(policy, str):
        return policy
    if isinstance(policy, Mapping):
        unknown = set(policy) - {"Name", "MaximumRetryCount"}
        if unknown:
            raise InvalidArgument(f"restart_policy: unknown key {sorted(unknown)[0]!r} (Name, "
                                  "MaximumRetryCount)", errno.EINVAL)
        name = policy.get("Name") or ""
        count = policy.get("MaximumRetryCount") or 0
        if not isinstance(name, str) or not isinstance(count, int) or isinstance(count, bool):
            raise TypeError("restart_policy: Name must be a str and MaximumRetryCount an int")
        return f"{name}:{count}" if count else name
    raise TypeError(f"restart_policy must be a str or a mapping, not {type(policy).__name__}")


#: Log options, docker-py style: {"Type": "json-file", "Config": {"max-size": "10m",
#: "max-file": "3"}} (docker.types.LogConfig, or the same with lower-case keys)
LogConfig = Optional[Mapping[str, Any]]


def _log_opts(config: LogConfig) -> Optional[list[bytes]]:
    if config is None:
        return None
    if not isinstance(config, Mapping):
        raise TypeError(f"log_config must be a mapping, not {type(config).__name__}")
    unknown = sorted(repr(k) for k in config if k not in ("Type", "Config", "type", "config"))
    if unknown:
        raise InvalidArgument(f"log_config: unknown key {unknown[0]} (Type, Config)",
                              errno.EINVAL)
    keys = {k.lower(): v for k, v in config.items()}
    kind = keys.get("type") or "json-file"
    if kind != "json-file":
        raise InvalidArgument(f"logging driver {kind!r} is not supported (only json-file)",
                              errno.EINVAL)
    opts = keys.get("config") or {}
    if not isinstance(opts, Mapping):
        raise TypeError("log_config: Config must be a mapping of option to value")
    out = []
    for k, v in opts.items():
        if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, (str, int)):
            raise TypeError("log_config: Config maps str options to str or int values")
        out.append(to_bytes(f"{k}={v}", "log_config"))
    return out


def _backend(value: Union[NatBackend, int, str]) -> int:
    if isinstance(value, str):
        try:
            return int(NatBackend[value.upper()])
        except KeyError:
            raise InvalidArgument(f"invalid NAT backend {value!r}: use auto, iptables or "
                                  "nftables", errno.EINVAL) from None
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"nat_backend must be a NatBackend or a name, not {type(value).__name__}")


def _flag(value: Any, what: str) -> int:
    if not isinstance(value, (bool, int)):
        raise TypeError(f"{what} must be a bool, not {type(value).__name__}")
    return 1 if value else 0


class Context:
    """An open state directory: the entry point of the library.

    ::

        with Context() as ctx:                       # state in /run/ctrlink
            web = ctx.run(["sleep", "1000"], name="web", publish=["8080:80"])

    Opening finishes or undoes whatever a killed process left half-done.  Several contexts
    (in this process or others) may share one state directory.

    A Context may be used from several threads at once.  :meth:`close` (or leaving the
    ``with`` block) waits for the calls in progress on other threads to return, then frees the
    context; later calls raise :class:`ContextClosed`.  A context that is not closed is freed
    when it is garbage collected.  Running containers keep running after close: their
    monitors watch them.

    Args:
        state_dir: the state directory (default ``/run/ctrlink``); created (mode 0700) if
            missing; one that others can write is refused.
        bridge: the bridge's name (default: the recorded one, else ``ctrlink0``).
        subnet: the containers' IPv4 subnet in CIDR form (default: the recorded one, else the
            first private /16 that overlaps no route).
        icc: inter-container communication: True lets every container reach every other,
            False isolates them unless linked, None (default) keeps what is recorded.
        nat_backend: ``"auto"`` (default), ``"iptables"`` or ``"nftables"`` (or a
            :class:`NatBackend`).
        helper_path: the monitor helper program (default: found next to the library).
        subnet6: an IPv6 subnet in CIDR form (prefix length 48 to 96), e.g.
            ``"fd00:c7::/64"``: containers then get an IPv6 address too, ports publish on IPv6
            host addresses and ``::``, and links give IPv6 hosts lines.  Needs the nftables
            backend.  Default: the recorded one, else none.
        external_bridge: True when `bridge` belongs to someone else (a CNI bridge plugin):
            it must exist, is never created, addressed or deleted, and gets only the rules
            that publish ports to endpoints (:meth:`add_endpoint`).  Needs `bridge` and
            `subnet`.

    Raises:
        InvalidArgument: a bad option.
        PermissionDenied: not root, or an unsafe state directory.
    """

    def __init__(self, state_dir: Optional[StrLike] = None, *, bridge: Optional[str] = None,
                 subnet: Optional[str] = None, icc: Optional[bool] = None,
                 nat_backend: Union[NatBackend, str] = "auto",
                 helper_path: Optional[StrLike] = None,
                 subnet6: Optional[str] = None, external_bridge: bool = False) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._users = 0
        self._ptr: Any = None
        a = Arena()
        opts = ffi.new("ctr_ctx_options *")
        call(lib.ctrpy_ctx_options_init, opts, lib.CTR_CTX_OPTIONS_VERSION)
        opts.state_dir = a.str(state_dir, "state_dir")
        opts.bridge = a.str(bridge, "bridge")
        opts.subnet = a.str(subnet, "subnet")
        opts.icc = -1 if icc is None else _flag(icc, "icc")
        opts.nat_backend = _backend(nat_backend)
        opts.helper_path = a.str(helper_path, "helper_path")
        opts.subnet6 = a.str(subnet6, "subnet6")
        opts.external_bridge = _flag(external_bridge, "external_bridge")
        out = ffi.new("ctr_ctx **")
        call(lib.ctrpy_ctx_open, out, opts)
        self._ptr = out[0]
        self._free = weakref.finalize(self, lib.ctr_ctx_close, out[0])

    # ---- life -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _use(self) -> Iterator[Any]:
        """The C context for one call; close() waits until every such call has returned."""
        with self._cond:
            if self._ptr is None:
                raise ContextClosed("the context is closed")
            self._users += 1
            ptr = self._ptr
        try:
            yield ptr
        finally:
            with self._cond:
                self._users -= 1
                if self._users == 0:
                    self._cond.notify_all()

    def close(self) -> None:
        """Close the context (again: nothing).  Waits for the calls other threads are making
        on it to return.  Containers keep running."""
        with self._cond:
            if self._ptr is None:
                return
            self._ptr = None  # no new call starts
            while self._users:
                self._cond.wait()
        self._free()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._ptr is None

    def __enter__(self) -> "Context":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Context{' (closed)' if self.closed else ''}>"

    # ---- containers -------------------------------------------------------------------------

    def create(self, command: Command, *, name: Optional[str] = None, env: Env = None,
               hostname: Optional[str] = None, domainname: Optional[str] = None,
               workdir: Optional[StrLike] = None, rootfs: Optional[StrLike] = None,
               user: Optional[str] = None, cap_add: Optional[Iterable[str]] = None,
               cap_drop: Optional[Iterable[str]] = None,
               expose: Optional[Iterable[Union[str, int]]] = None,
               publish: Optional[Iterable[Union[str, int]]] = None, publish_all: bool = False,
               auto_remove: bool = False, links: Links = None,
               links_env: Links = None, seccomp: Optional[str] = None,
               restart_policy: RestartPolicy = None,
               log_config: LogConfig = None, userns: Optional[str] = None) -> Container:
        """Create a container (not started).

        Args:
            command: the command, a list of arguments (or a string split as a shell would);
                the program is looked up in the container's PATH.
            name: its name (Docker's rule); default: a generated ``adjective_surname``.
            env: environment: a mapping (a value of None removes a default such as PATH) or
                ``"KEY=VALUE"`` strings.
            hostname: default: the 12-digit short ID.
            domainname: the own /etc/hosts line then reads ``host.domain host``.
            workdir: an absolute path inside the container (default ``/``).
            rootfs: a root filesystem directory; default: the host's filesystem seen through
                a private mount namespace.
            user: ``"name"``, ``"uid"``, ``"name:group"`` or ``"uid:gid"`` (default root).
            cap_add, cap_drop: capabilities added to / dropped from Docker's default set
                (``"NET_ADMIN"``, ``"CAP_NET_ADMIN"``, ``"ALL"``).
            expose: ports to expose, as ``--expose``: ``80``, ``"80/udp"``,
                ``"8000-8010/tcp"``.
            publish: ports to publish, as ``-p``: ``"8080:80"``, ``"127.0.0.1::53/udp"``,
                ``80``...
            publish_all: publish every exposed port to a free host port (``-P``).
            auto_remove: remove the container when it exits (``--rm``).
            links: links, as ``--link``: ``"db"``, ``"db:alias"``, a Container, a
                ``(target, alias)`` pair, or a mapping target → alias.
            links_env: links whose target's environment is also copied as ``<ALIAS>_ENV_*``.
            seccomp: ``"unconfined"``: no seccomp filter; default (None or ``"default"``):
                the default filter.
            restart_policy: as ``--restart``: ``"always"``, ``"unless-stopped"``,
                ``"on-failure"``, ``"on-failure:5"``, or docker-py's mapping
                ``{"Name": "on-failure", "MaximumRetryCount": 5}``; default: no restarts.
                The container's monitor starts it again when it ends (``RestartCount`` in
                :meth:`Container.inspect`); a stop holds the policy until the next start.
            log_config: the log's limits, as ``--log-opt`` of Docker's json-file driver,
                docker-py style: ``{"Type": "json-file", "Config": {"max-size": "10m",
                "max-file": 3}}``.  The log is rotated when the next line would take it past
                max-size (Docker's sizes, decimal: ``"10m"`` is 10 000 000 bytes), keeping
                max-file files (1 without it; max-file needs max-size).  Default:
                max-size ``"1m"``, max-file 3 (logs are in the state directory, in RAM by
                default).  :meth:`Container.logs` reads across the files.
            userns: as podman's ``--userns``: ``"auto"``: a user namespace of its own, in
                which container uids and gids 0-65535 are a range of unprivileged host IDs
                that no other container of the state directory holds (``HostConfig.IDMappings``
                in :meth:`Container.inspect`); needs `rootfs`.  Default (None or ``"host"``):
                the host's.

        Returns:
            the new :class:`Container`, holding what a read just after the creation says.

        Raises:
            InvalidArgument: a bad name, option or port spec.
            Conflict: the name is in use.
            NotFound: a link's target does not exist.
            PortInUse, NoSpace: see :meth:`Container.publish`.
        """
        a = Arena()
        o = ffi.new("ctr_create_options *")
        call(lib.ctrpy_create_options_init, o, lib.CTR_CREATE_OPTIONS_VERSION)
        o.name = a.str(name, "name")
        o.argv = a.strv(command_list(command))
        o.env = a.strv(env_list(env))
        o.hostname = a.str(hostname, "hostname")
        o.domainname = a.str(domainname, "domainname")
        o.workdir = a.str(workdir, "workdir")
        o.rootfs = a.str(rootfs, "rootfs")
        o.user = a.str(user, "user")
        o.cap_add = a.strv(to_str_list(cap_add, "cap_add"))
        o.cap_drop = a.strv(to_str_list(cap_drop, "cap_drop"))
        o.expose = a.strv(to_str_list(expose, "expose", ints=True))
        o.publish = a.strv(to_str_list(publish, "publish", ints=True))
        o.publish_all = _flag(publish_all, "publish_all")
        o.auto_remove = _flag(auto_remove, "auto_remove")
        o.links = a.strv(_link_specs(links, "links"))
        o.links_env = a.strv(_link_specs(links_env, "links_env"))
        o.seccomp = a.str(seccomp, "seccomp")
        o.restart_policy = a.str(_restart_spec(restart_policy), "restart_policy")
        o.log_opts = a.strv(_log_opts(log_config))
        o.userns = a.str(userns, "userns")
        id_out = ffi.new("char[]", lib.CTR_ID_LEN + 1)
        name_out = ffi.new("char[]", lib.CTR_NAME_MAX + 1)
        o.name_out = name_out
        o.name_out_len = lib.CTR_NAME_MAX + 1
        with self._use() as ctx:
            call(lib.ctrpy_create, ctx, o, id_out)
            return self._read(ctx, ffi.string(id_out).decode())

    def _read(self, ctx: Any, id: str) -> Container:
        """A Container holding what one inspect of container `id` says (holding nothing if
        it is already gone: it reads at its first use)."""
        try:
            info = call_json(lib.ctrpy_inspect, ctx, id.encode())
        except NotFound:
            return Container(self, id, None)
        return Container(self, id, info)

    def run(self, command: Command, *, stdin: FileArg = None, stdout: FileArg = None,
            stderr: FileArg = None, name: Optional[str] = None, env: Env = None,
            hostname: Optional[str] = None, domainname: Optional[str] = None,
            workdir: Optional[StrLike] = None, rootfs: Optional[StrLike] = None,
            user: Optional[str] = None, cap_add: Optional[Iterable[str]] = None,
            cap_drop: Optional[Iterable[str]] = None,
            expose: Optional[Iterable[Union[str, int]]] = None,
            publish: Optional[Iterable[Union[str, int]]] = None, publish_all: bool = False,
            auto_remove: bool = False, links: Links = None,
            links_env: Links = None, seccomp: Optional[str] = None,
            restart_policy: RestartPolicy = None, log_config: LogConfig = None,
            userns: Optional[str] = None) -> Container:
        """Create and start a container, as ``docker run -d``; the other options are
        :meth:`create`'s, `stdin`, `stdout` and `stderr` are :meth:`Container.start`'s.

        Returns once the command has been executed; the container runs on in the background.
        For the foreground behaviour of ``docker run``, wait for it::

            code = ctx.run(["make"], stdout=sys.stdout, stderr=sys.stderr,
                           auto_remove=True).wait()

        Raises:
            what :meth:`create` and :meth:`Container.start` raise.  When the start fails, the
            container is left created (as Docker leaves it) and is the exception's
            ``container``; an ``auto_remove`` one is removed.
        """
        c = self.create(command, name=name, env=env, hostname=hostname, domainname=domainname,
                        workdir=workdir, rootfs=rootfs, user=user, cap_add=cap_add,
                        cap_drop=cap_drop, expose=expose, publish=publish,
                        publish_all=publish_all, auto_remove=auto_remove, links=links,
                        links_env=links_env, seccomp=seccomp,
                        restart_policy=restart_policy, log_config=log_config,
                        userns=userns)
        try:
            c.start(stdin=stdin, stdout=stdout, stderr=stderr)
        except ContainerLinkError as e:
            if auto_remove:
                with contextlib.suppress(ContainerLinkError):
                    c.remove(force=True)
            else:
                e.container = c
            raise
        except BaseException:
            with contextlib.suppress(ContainerLinkError):
                c.remove(force=True)
            raise
        return c

    def get(self, ref: str) -> Container:
        """The container `ref` names: its ID, a unique ID prefix, its name (with or without
        the leading "/") or a link name such as ``"web/db"``, holding what that read said
        (:attr:`Container.attrs`).

        Raises:
            NotFound: no such container.
            InvalidArgument: an ambiguous ID prefix.
        """
        r = to_bytes(ref, "ref")
        with self._use() as ctx:
            info = call_json(lib.ctrpy_inspect, ctx, r)
        return Container(self, info["Id"], info)

    def list(self, *, all: bool = False) -> list[Container]:
        """The running containers (with `all`, every container), newest first.  Each holds
        what an inspect just after the listing said (as docker-py's ``list()`` does); one
        removed in between is left out."""
        out = []
        with self._use() as ctx:
            for s in call_json(lib.ctrpy_list, ctx, lib.CTR_LIST_ALL if all else 0):
                try:
                    info = call_json(lib.ctrpy_inspect, ctx, s["Id"].encode())
                except NotFound:
                    continue
                out.append(Container(self, info["Id"], info))
        return out

    def summaries(self, *, all: bool = False) -> list[dict[str, Any]]:
        """What :meth:`list` lists, as Docker's ``GET /containers/json`` shows it: dicts with
        Id, Names, Command, Created, State, Status and Ports."""
        with self._use() as ctx:
            return call_json(lib.ctrpy_list, ctx, lib.CTR_LIST_ALL if all else 0)

    # ---- the host -----------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """Facts about this context: Version, StateDir, NatBackend, Bridge, Subnet, Gateway,
        ICC, KernelFeatures..."""
        with self._use() as ctx:
            return call_json(lib.ctrpy_info, ctx)

    # ---- endpoints ----------------------------------------------------------------------------

    def add_endpoint(self, owner: str, ipv4: str, *, publish: Any = None,
                     ipv6: Optional[str] = None, netns: Optional[StrLike] = None,
                     ifname: Optional[str] = None) -> str:
        """Publish ports (``-p`` specs) for an address the library did not create, in one
        rule commit; returns the endpoint's ID (the SHA-256 of `owner`).  An endpoint of the
        same owner is replaced.  While `netns` (a path) names the namespace it named at the
        call, the endpoint lives; :meth:`reconcile` removes it once it does not."""
        a = Arena()
        o = ffi.new("ctr_endpoint_options *")
        call(lib.ctrpy_endpoint_options_init, o, lib.CTR_ENDPOINT_OPTIONS_VERSION)
        o.owner = a.str(owner, "owner")
        o.ipv4 = a.str(ipv4, "ipv4")
        o.ipv6 = a.str(ipv6, "ipv6")
        o.netns = a.str(netns, "netns")
        o.ifname = a.str(ifname, "ifname")
        o.publish = a.strv(to_str_list(publish, "publish", ints=True))
        out = ffi.new("char[]", lib.CTR_ID_LEN + 1)
        with self._use() as ctx:
            call(lib.ctrpy_endpoint_add, ctx, o, out)
        return ffi.string(out).decode()

    def remove_endpoint(self, owner: str) -> None:
        """Remove the endpoint of `owner` (its rules and host ports); nothing to remove is
        fine."""
        o = to_bytes(owner, "owner")
        with self._use() as ctx:
            call(lib.ctrpy_endpoint_remove, ctx, o)

    def check_endpoint(self, owner: str) -> None:
        """Raise NotFound if there is no live endpoint of `owner`, or an error naming the
        missing rule if the kernel lacks one of its rules."""
        o = to_bytes(owner, "owner")
        with self._use() as ctx:
            call(lib.ctrpy_endpoint_check, ctx, o)

    def gc_endpoints(self, keep: Any = ()) -> dict[str, Any]:
        """Remove every endpoint whose owner is not in `keep`, then reconcile; returns the
        reconcile report with EndpointsRemoved."""
        a = Arena()
        k = a.strv(to_str_list(list(keep), "keep"))
        with self._use() as ctx:
            return call_json(lib.ctrpy_endpoint_gc, ctx, k)

    def reconcile(self) -> dict[str, Any]:
        """Bring the host in line with the state directory (finish or undo interrupted
        operations, notice dead monitors, restore missing rules, drop stray ones); returns the
        report of what was done."""
        with self._use() as ctx:
            return call_json(lib.ctrpy_reconcile, ctx)

