"""Endpoints: ports published to an address the library did not create, on a bridge it does not
own (as a CNI plugin chain or a runtime makes them)."""
import errno
import json
import os
import subprocess

import pytest

import container_link as cl
from conftest import BACKEND, PY, SRV, nat_rules, tcp_try, wait_for


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True, capture_output=True)


@pytest.fixture
def pod():
    """A bridge of someone else's (br-ext, 10.77.0.1/24) and a namespace on it at 10.77.0.5,
    serving srv.py on port 80."""
    sh("ip link add br-ext type bridge && ip addr add 10.77.0.1/24 dev br-ext && "
       "ip link set br-ext up && ip netns add pod && "
       "ip link add vpod type veth peer name eth0 netns pod && ip link set vpod master br-ext && "
       "ip link set vpod up && ip -n pod addr add 10.77.0.5/24 dev eth0 && "
       "ip -n pod link set eth0 up && ip -n pod link set lo up && "
       "ip -n pod route add default via 10.77.0.1")
    srv = subprocess.Popen(["ip", "netns", "exec", "pod", PY, SRV, "tcp", "80"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: tcp_try("10.77.0.5", 80), what="the pod's server")
    yield "/run/netns/pod"
    srv.kill()


def ext_ctx():
    return cl.Context(bridge="br-ext", subnet="10.77.0.0/24", external_bridge=True,
                      nat_backend=BACKEND)


def test_endpoint_publish_check_remove(pod):
    with ext_ctx() as ctx:
        eid = ctx.add_endpoint("pod-1/eth0", "10.77.0.5", publish=["8080:80"], netns=pod,
                               ifname="eth0")
        assert len(eid) == 64
        got = wait_for(lambda: tcp_try("127.0.0.1", 8080), what="127.0.0.1:8080 -> pod")
        assert "hello from" in got and "peer 10.77.0.1" in got  # localhost is masqueraded
        assert "hello from" in (tcp_try("10.77.0.1", 8080) or "")
        ctx.check_endpoint("pod-1/eth0")
        info = ctx.get(eid[:12]).inspect()
        assert info["Endpoint"] == {"Owner": "pod-1/eth0", "NetNS": pod, "IfName": "eth0"}
        assert info["NetworkSettings"]["Ports"]["80/tcp"] == [{"HostIp": "0.0.0.0",
                                                               "HostPort": "8080"}]
        # the library does not own the bridge: nothing of it changed, no isolation rule
        assert ctx.info()["Bridge"] == "br-ext"
        ctx.remove_endpoint("pod-1/eth0")
        assert tcp_try("127.0.0.1", 8080, timeout=1) is None
        ctx.remove_endpoint("pod-1/eth0")  # twice: fine
        with pytest.raises(cl.NotFound):
            ctx.check_endpoint("pod-1/eth0")
    out = subprocess.run(["ip", "-j", "addr", "show", "br-ext"], capture_output=True,
                         text=True).stdout
    assert [a["local"] for a in json.loads(out)[0]["addr_info"]] == ["10.77.0.1"] or \
        "10.77.0.1" in out


def test_endpoint_bad_input_changes_nothing(pod):
    with ext_ctx() as ctx:
        before = nat_rules()
        cases = [
            (dict(owner="", ipv4="10.77.0.5"), "owner"),
            (dict(owner="o", ipv4="10.77.0"), "IPv4 address"),
            (dict(owner="o", ipv4="10.99.0.5", publish=["8080:80"]), "not in the network"),
            (dict(owner="o", ipv4="10.77.0.5", publish=["8080:80:90"]), "invalid IP address: 8080"),
            (dict(owner="o", ipv4="10.77.0.5", netns="/run/netns/nope"), "/run/netns/nope"),
        ]
        for kw, part in cases:
            with pytest.raises(cl.ContainerLinkError) as ei:
                ctx.add_endpoint(kw.pop("owner"), kw.pop("ipv4"), **kw)
            assert part in str(ei.value), (part, str(ei.value))
        assert ctx.list(all=True) == []
        assert nat_rules() == before


def test_endpoint_port_conflict_with_a_container_and_another_endpoint(pod):
    with ext_ctx() as ctx:
        ctx.add_endpoint("a", "10.77.0.5", publish=["8080:80"], netns=pod)
        with pytest.raises(cl.ContainerLinkError) as ei:
            ctx.add_endpoint("b", "10.77.0.6", publish=["9090:80", "8080:80"])
        assert ei.value.errno == errno.EADDRINUSE and "8080" in str(ei.value)
        assert [s["Names"] for s in ctx.summaries(all=True)] and len(ctx.list(all=True)) == 1
        # containers cannot start on a bridge that is someone else's
        with pytest.raises(cl.ContainerLinkError) as ei:
            ctx.run(["sleep", "1"])
        assert "external bridge" in str(ei.value)


def test_endpoint_gc_and_dead_namespace(pod):
    with ext_ctx() as ctx:
        ctx.add_endpoint("a", "10.77.0.5", publish=["8080:80"], netns=pod)
        ctx.add_endpoint("b", "10.77.0.6", publish=["8081:80"])
        rep = ctx.gc_endpoints(keep=["a"])
        assert rep["EndpointsRemoved"] == ["b"]
        assert len(ctx.list(all=True)) == 1
        sh("ip netns del pod")
        rep = ctx.reconcile()
        assert len(rep["ContainersFoundDead"]) == 1
        assert ctx.list(all=True) == []
        assert tcp_try("127.0.0.1", 8080, timeout=1) is None
