"""Context: options, life cycle, info, reconcile, and argument checking."""
import errno
import gc
import os
import pathlib
import re
import subprocess

import pytest

import container_link as cl
from conftest import BACKEND, fd_count


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", cl.version())
    assert cl.__version__ == cl.version()
    assert (cl.ID_LEN, cl.SHORT_ID_LEN) == (64, 12)


def test_context_manager_and_close():
    with cl.Context() as ctx:
        assert not ctx.closed and repr(ctx) == "<Context>"
        c = ctx.create(["true"], name="kept")
    assert ctx.closed and repr(ctx) == "<Context (closed)>"
    for call in (ctx.list, ctx.summaries, ctx.info, ctx.reconcile, lambda: ctx.get("kept"),
                 lambda: ctx.create(["true"]), c.inspect, c.start, c.remove):
        with pytest.raises(cl.ContextClosed, match="the context is closed"):
            call()
    ctx.close()  # again: nothing
    with cl.Context() as again:  # the state outlives the context
        assert again.get("kept") == again.get(c.id)


def test_unclosed_contexts_are_freed_when_collected():
    cl.Context().close()
    gc.collect()
    before = fd_count()
    for _ in range(20):
        cl.Context().info()
    gc.collect()
    assert fd_count() == before


def test_state_dir_bridge_subnet_icc_options():
    with cl.Context(pathlib.Path("/run/other"), bridge="br-test", subnet="10.88.0.0/24",
                    icc=True, nat_backend=cl.NatBackend.IPTABLES) as ctx:
        assert os.stat("/run/other").st_mode & 0o777 == 0o700
        c = ctx.run(["sleep", "100"], name="one")
        info = ctx.info()
        assert info["StateDir"] == "/run/other" and info["Bridge"] == "br-test"
        assert info["Subnet"] == "10.88.0.0/24" and info["Gateway"] == "10.88.0.1"
        assert info["ICC"] is True and info["NatBackend"] == "iptables"
        assert info["NetworkConfigured"] is True and info["Version"] == cl.version()
        assert c.ip.startswith("10.88.0.")
        assert "br-test" in subprocess.run(["ip", "-o", "link", "show", "br-test"],
                                           capture_output=True, text=True).stdout
        c.remove(force=True)
    with cl.Context(b"/run/other", nat_backend="auto") as ctx:  # the recorded network
        assert ctx.info()["Subnet"] == "10.88.0.0/24"
    with cl.Context() as ctx:  # another state directory knows nothing of it
        assert ctx.list(all=True) == [] and ctx.info()["StateDir"] == "/run/ctrlink"


def test_helper_path_option():
    with cl.Context() as ctx:
        helper = ctx.info()["Helper"]
        assert os.access(helper, os.X_OK)
    with cl.Context(helper_path=helper) as ctx:
        assert ctx.info()["Helper"] == helper
        assert ctx.run(["true"]).wait() == 0
    with cl.Context(helper_path="/nonexistent/ctr-monitor") as ctx:
        with pytest.raises(cl.NotFound, match="cannot run the monitor helper"):
            ctx.run(["true"])


def test_invalid_options():
    with pytest.raises(cl.InvalidArgument, match="invalid bridge name"):
        cl.Context(bridge="bad bridge!")
    with pytest.raises(cl.InvalidArgument, match="invalid subnet"):
        cl.Context(subnet="10.0.0.0/33")
    with pytest.raises(cl.InvalidArgument, match="invalid NAT backend 'bogus'"):
        cl.Context(nat_backend="bogus")
    with pytest.raises(cl.InvalidArgument, match="invalid NAT backend 7"):
        cl.Context(nat_backend=7)
    with pytest.raises(cl.InvalidArgument, match="must be an absolute path"):
        cl.Context("relative/dir")
    with pytest.raises(cl.InvalidArgument, match="NUL"):
        cl.Context("/run/x\0y")
    with pytest.raises(TypeError):
        cl.Context(icc="yes")
    with pytest.raises(TypeError):
        cl.Context(nat_backend=1.5)
    with pytest.raises(TypeError):
        cl.Context(state_dir=12)


def test_unsafe_state_dir_is_permission_denied():
    os.makedirs("/run/open")
    os.chmod("/run/open", 0o777)
    with pytest.raises(cl.PermissionDenied, match="can be written by others") as e:
        cl.Context("/run/open")
    assert e.value.errno == 1 and isinstance(e.value, PermissionError)


def test_other_system_errors_are_the_base_class():
    with pytest.raises(cl.ContainerLinkError) as e:
        cl.Context("/etc/passwd/state")
    assert type(e.value) is cl.ContainerLinkError
    assert e.value.errno == errno.ENOTDIR
    assert str(e.value) == "cannot create state directory /etc/passwd/state: Not a directory"


def test_subnet6_option_is_passed():
    # an IPv6 subnet needs the nftables backend: the library checks the pair
    with pytest.raises(cl.InvalidArgument, match="IPv6 subnet needs the nftables"):
        cl.Context("/run/v6", subnet6="fd00:c7::/64", nat_backend="iptables")
    with pytest.raises(cl.InvalidArgument):
        cl.Context("/run/v6", subnet6="not a subnet", nat_backend="iptables")


def test_info_before_any_network_and_reconcile():
    with cl.Context() as ctx:
        info = ctx.info()
        assert info["NetworkConfigured"] is False and info["Subnet"] == ""
        assert set(info["KernelFeatures"]) >= {"IptablesLegacy", "PidFd"}
        ctx.run(["sleep", "100"], name="aa")
        report = ctx.reconcile()
        assert isinstance(report, dict)
        assert report.get("RulesAdded", 0) == 0 and report.get("RulesRemoved", 0) == 0


def test_a_state_directory_path_that_leads_elsewhere_later_is_not_followed():
    """The state directory is opened once and reached through that descriptor: a path that
    later leads elsewhere (a link in it changed under a long-lived context) cannot make a
    container bind another directory's files, such as a host file posing as its hosts."""
    os.makedirs("/run/sw/a")
    os.symlink("a", "/run/sw/cur")
    with cl.Context("/run/sw/cur/state", nat_backend=BACKEND) as ctx:
        c = ctx.create(["sleep", "100"], name="victim")
        fake = f"/run/sw/b/state/containers/{c.id}"
        os.makedirs(fake, mode=0o700)
        with open("/run/sw/secret", "w") as f:
            f.write("host secret\n")
        for name in ("hosts", "hostname", "resolv.conf"):
            os.symlink("/run/sw/secret", os.path.join(fake, name))
        os.symlink("b", "/run/sw/new")
        os.replace("/run/sw/new", "/run/sw/cur")
        with pytest.raises(cl.ContainerLinkError) as ei:
            c.start()
        assert ("the state directory /run/sw/cur/state is no longer the one the library "
                "opened") in str(ei.value)
        with open("/run/sw/secret") as f:
            assert f.read() == "host secret\n"
        # the path leads to it again: the container starts, with its own files
        os.symlink("a", "/run/sw/new")
        os.replace("/run/sw/new", "/run/sw/cur")
        c.start()
        r = c.exec(["cat", "/etc/hosts"], capture_output=True)
        assert c.id[:12].encode() in r.stdout and b"secret" not in r.stdout
        c.remove(force=True)
