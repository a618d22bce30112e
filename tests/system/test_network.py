"""Bridge networking: addresses, gateway, outbound NAT, isolation, teardown, subnets."""
import ipaddress
import json
import os
import re
import shlex
import subprocess

import pytest

from conftest import (BACKEND, BUILD, CTRLINK, PY, SRV, Outside, ctl, inspect, iptables_save,
                      rules_naming, ruleset, server_container, sh,
                      tcp_request, tcp_try, wait_for)


def ip_of(name):
    return inspect(name)["NetworkSettings"]["IPAddress"]


def links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return [l.split(":")[1].strip().split("@")[0] for l in out.splitlines()]


def host_server(port):
    """A TCP server on the host (the test's namespace), on every address."""
    p = subprocess.Popen([PY, SRV, "tcp", str(port)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "ready\n"
    return p


def test_two_containers_distinct_addresses_and_gateway():
    ctl("run", "-d", "--name", "c1", "sleep", "1000")
    ctl("run", "-d", "--name", "c2", "sleep", "1000")
    a, b = inspect("c1"), inspect("c2")
    net = ipaddress.ip_network("172.17.0.0/16")
    ips = [ipaddress.ip_address(x["NetworkSettings"]["IPAddress"]) for x in (a, b)]
    assert ips[0] != ips[1] and all(i in net for i in ips)
    for x, ip in zip((a, b), ips):
        ns = x["NetworkSettings"]
        assert ns["Gateway"] == "172.17.0.1" and ns["IPPrefixLen"] == 16
        assert ns["MacAddress"] == "02:42:" + ":".join(f"{o:02x}" for o in ip.packed)
        assert ns["Bridge"] == "ctrlink0"
        br = ns["Networks"]["bridge"]
        assert br["IPAddress"] == str(ip) and br["Gateway"] == "172.17.0.1"
        assert br["MacAddress"] == ns["MacAddress"] and br["IPPrefixLen"] == 16
    # inside: eth0 has the address, the default route points at the gateway
    out = ctl("exec", "c1", "sh", "-c", "ip -o -4 addr show eth0; ip route; cat /sys/class/net/eth0/address").out
    assert f"inet {ips[0]}/16" in out
    assert "default via 172.17.0.1 dev eth0" in out
    assert a["NetworkSettings"]["MacAddress"] in out
    # the gateway (the host) answers
    srv = host_server(7000)
    try:
        for n in ("c1", "c2"):
            r = ctl("exec", n, PY, os.path.join(os.path.dirname(SRV), "client.py"), "tcp",
                    "172.17.0.1", "7000").out
            assert r.startswith("hello from ") and f"peer {ip_of(n)}" in r
    finally:
        srv.kill()


def test_outbound_is_masqueraded(outside):
    srv = outside.listen_tcp(9000)
    try:
        wait_for(lambda: outside.tcp("127.0.0.1", 9000), what="outside server")
        ctl("run", "-d", "--name", "c1", "sleep", "1000")
        r = ctl("exec", "c1", PY, os.path.join(os.path.dirname(SRV), "client.py"), "tcp",
                Outside.IP, "9000").out
        # the outside world sees the host's address, not the container's
        assert f"peer {Outside.HOST_IP}" in r
    finally:
        srv.kill()
    assert sh("sysctl -n net.ipv4.ip_forward").strip() == "1"


def test_containers_are_isolated_by_default():
    _, ip1 = server_container("srv1", 8000)
    ctl("run", "-d", "--name", "cli", "sleep", "1000")
    client = os.path.join(os.path.dirname(SRV), "client.py")
    r = ctl("exec", "cli", PY, client, "tcp", ip1, "8000", "2", check=False)
    assert r.rc != 0
    # the host can still reach it, and it can reach the outside of the bridge
    assert tcp_try(ip1, 8000)


def test_icc_lets_containers_talk():
    _, ip1 = server_container("srv1", 8000, opts=())
    ctl("rm", "-f", "srv1")
    # a fresh network with icc on (the state records it)
    env = {"CTRLINK_STATE_DIR": "/run/icc", "CTRLINK_BRIDGE": "iccbr0",
           "CTRLINK_SUBNET": "10.123.0.0/24"}
    ctl("--icc", "run", "-d", "--name", "srv", PY, SRV, "tcp", "8000", env=env)
    ip = json.loads(ctl("inspect", "srv", env=env).out)[0]["NetworkSettings"]["IPAddress"]
    assert ip.startswith("10.123.0.")
    wait_for(lambda: tcp_try(ip, 8000))
    ctl("run", "-d", "--name", "cli", "sleep", "1000", env=env)
    client = os.path.join(os.path.dirname(SRV), "client.py")
    r = ctl("exec", "cli", PY, client, "tcp", ip, "8000", env=env)
    assert r.out.startswith("hello from")
    if BACKEND == "iptables":
        assert "-A CTRLINK-FWD-iccbr0 -i iccbr0 -o iccbr0 -j ACCEPT" in iptables_save()
        # the other network is still isolating
        assert "-A CTRLINK-FWD-ctrlink0 -i ctrlink0 -o ctrlink0 -j DROP" in iptables_save()
    else:
        rs = ruleset()
        assert 'iifname "iccbr0" oifname "iccbr0" accept' in rs
        assert 'iifname "ctrlink0" oifname "ctrlink0" drop' in rs


def test_rm_leaves_no_veth_address_state_or_rule():
    cid = ctl("run", "-d", "--name", "c1", "-p", "8080:80", "sleep", "1000").out.strip()
    ip = ip_of("c1")
    assert any(l.startswith("ctl") for l in links())
    assert rules_naming(cid)
    ctl("rm", "-f", "c1")
    assert not any(l.startswith("ctl") for l in links())
    assert rules_naming(cid) == []
    assert not os.path.exists(f"/run/ctrlink/containers/{cid}")
    # the address is free again: the allocator hands it out later (round robin)
    out = sh("ip -o -4 addr show")
    assert f" {ip}/" not in out


def test_gateway_mac_never_changes():
    """A bridge without an address of its own takes its lowest port's, and changes it as
    containers come and go; containers holding the old one in their ARP cache would then send
    into the void.  Ours is fixed at creation: 02:42 and the gateway's address."""
    def mac():
        return json.loads(sh("ip -j link show ctrlink0"))[0]["address"]
    ctl("run", "-d", "--name", "c1", "sleep", "1000")
    gw = inspect("c1")["NetworkSettings"]["Gateway"]
    want = "02:42:" + ":".join(f"{int(o):02x}" for o in gw.split("."))
    assert mac() == want
    for i in range(2, 6):
        ctl("run", "-d", "--name", f"c{i}", "sleep", "1000")
        assert mac() == want
    ctl("rm", "-f", "c1", "c3")
    assert mac() == want
    # what a container learnt of its gateway stays true
    ctl("exec", "c2", PY, "-c", "import socket, sys; s = socket.socket(); s.settimeout(3); "
        f"s.connect_ex(({gw!r}, 9))")  # answered or refused: the gateway's MAC is learnt
    neigh = json.loads(ctl("exec", "c2", "ip", "-j", "neigh", "show", gw).out)
    assert neigh and neigh[0]["lladdr"] == want


def test_neighbours_need_no_arp():
    """Each side knows the other's MAC from the start (both are ours: 02:42 and the address),
    so no first packet waits for ARP, and a host with many containers, whose neighbour table
    is full, still reaches a new one at once."""
    ctl("run", "-d", "--name", "c1", "sleep", "1000")
    net = inspect("c1")["NetworkSettings"]
    ip, mac, gw = net["IPAddress"], net["MacAddress"], net["Gateway"]
    gwmac = "02:42:" + ":".join(f"{int(o):02x}" for o in gw.split("."))
    host = json.loads(sh(f"ip -j neigh show {ip} dev ctrlink0"))
    assert host and host[0]["lladdr"] == mac and "PERMANENT" in host[0]["state"]
    inside = json.loads(ctl("exec", "c1", "ip", "-j", "neigh", "show", gw).out)
    assert inside and inside[0]["lladdr"] == gwmac and "PERMANENT" in inside[0]["state"]
    ctl("stop", "-t", "0", "c1")
    assert json.loads(sh(f"ip -j neigh show {ip} dev ctrlink0")) == []


def test_command_finds_eth0_up():
    """Not only configured: its operational state is up, so its first packets go out (the
    host side, bridge port and bridge, is checked right after ctr_start in test_embed)."""
    out = ctl("run", "--rm", "ip", "-j", "link", "show", "eth0").out
    assert json.loads(out)[0]["operstate"] == "UP"


def test_concurrent_processes_get_different_addresses():
    cmd = (f"for i in 1 2 3 4 5; do {shlex.quote(CTRLINK)} run -d sleep 1000 >/dev/null || "
           "exit 1; done")
    procs = [subprocess.Popen(["sh", "-c", cmd]) for _ in range(3)]
    assert [p.wait() for p in procs] == [0, 0, 0]
    ids = ctl("ps", "-q", "--no-trunc").out.split()
    ips = [inspect(i)["NetworkSettings"]["IPAddress"] for i in ids]
    assert len(ips) == 15 and len(set(ips)) == 15


def test_default_subnet_avoids_existing_routes():
    sh("ip link add busy0 type bridge && ip addr add 172.17.5.1/24 dev busy0 && "
       "ip link set busy0 up")
    ctl("run", "-d", "--name", "c1", "sleep", "1000")
    assert ip_of("c1").startswith("172.18.")
    info = json.loads(ctl("info").out)
    assert info["Subnet"] == "172.18.0.0/16" and info["Gateway"] == "172.18.0.1"


def test_overlapping_subnet_is_refused_and_changes_nothing():
    sh("ip link add busy0 type bridge && ip addr add 10.99.1.1/24 dev busy0 && "
       "ip link set busy0 up")
    before = ruleset()
    r = ctl("--subnet", "10.99.0.0/16", "run", "-d", "--name", "c1", "sleep", "1000", check=False)
    assert r.rc == 125
    assert "subnet 10.99.0.0/16 overlaps the host's route 10.99.1.0/24 dev busy0" in r.err
    assert "ctrlink0" not in links()
    assert not os.path.exists("/run/ctrlink/network.json")
    assert ruleset() == before
    assert ctl("ps", "-a", "-q").out == ""
    for bad in ("10.99.0.0", "10.99.0.1/16", "300.1.1.1/16", "10.0.0.0/8", "10.1.2.0/31"):
        r = ctl("--subnet", bad, "ps", check=False)
        assert r.rc == 125 and "invalid subnet" in r.err


def test_bridge_created_once_by_two_processes():
    procs = [subprocess.Popen([CTRLINK, "run", "-d", "sleep", "1000"], stdout=subprocess.DEVNULL)
             for _ in range(4)]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    assert links().count("ctrlink0") == 1
    if BACKEND == "iptables":
        save = iptables_save()
        assert save.count("-A POSTROUTING -j CTRLINK-POST-ctrlink0") == 1
        assert save.count("-A FORWARD -j CTRLINK-FWD-ctrlink0") == 1
    else:
        rs = ruleset()
        assert rs.count("table inet ctrlink_ctrlink0") == 1
        assert rs.count("ct status dnat masquerade") == 1


def test_network_settings_empty_when_not_running():
    ctl("create", "--name", "c1", "true")
    ns = inspect("c1")["NetworkSettings"]
    assert ns["IPAddress"] == "" and ns["Gateway"] == "" and ns["MacAddress"] == ""
    assert ns["IPPrefixLen"] == 0 and ns["Ports"] == {}
    assert ns["Networks"]["bridge"]["IPAddress"] == ""


def test_outside_cannot_reach_containers_directly(outside):
    _, ip = server_container("srv", 8000)
    outside.run("ip", "route", "add", "172.17.0.0/16", "via", Outside.HOST_IP)
    assert outside.tcp(ip, 8000, timeout=2) is None


def test_network_cannot_change_while_containers_run():
    ctl("run", "-d", "--name", "c1", "sleep", "1000")
    r = ctl("--subnet", "10.50.0.0/16", "run", "-d", "sleep", "1000", check=False)
    assert r.rc == 125 and "cannot change while containers are running" in r.err
    ctl("rm", "-f", "c1")
    ctl("--subnet", "10.50.0.0/16", "run", "-d", "--name", "c2", "sleep", "1000")
    assert ip_of("c2").startswith("10.50.")
    assert "ctrlink0" in links()


def test_full_bridge_gives_a_clear_error_and_nothing_half_made():
    ctl("run", "-d", "--name", "first", "sleep", "1000")
    # fill the bridge up to the kernel's limit of 1023 ports with veths of our own
    cmds = []
    for i in range(1022):
        cmds.append(f"link add f{i} type veth peer name g{i}")
        cmds.append(f"link set f{i} master ctrlink0")
    subprocess.run(["ip", "-batch", "-"], input="\n".join(cmds) + "\n", text=True, check=True)
    before = ruleset()
    r = ctl("run", "-d", "--name", "full", "-p", "8080:80", "sleep", "1000", check=False)
    assert r.rc == 125
    assert "bridge ctrlink0 has reached the kernel's limit of 1023 ports" in r.err
    assert inspect("full")["State"]["Running"] is False
    assert ruleset() == before
    subprocess.run(["ip", "link", "del", "f0"], check=True)
    ctl("start", "full")
    assert inspect("full")["State"]["Running"] is True


def bridge_alias(name):
    out = subprocess.run(["ip", "-d", "link", "show", name], capture_output=True,
                         text=True).stdout
    m = re.search(r"^\s+alias (.*)$", out, re.M)
    return m.group(1) if m else ""


def test_a_bridge_belongs_to_one_state_directory():
    """A second state directory on the same bridge would hand out the same addresses, and
    each one's gc would delete the other's rules: refused, changing nothing."""
    _, ip1 = server_container("srv1", 8000)
    assert bridge_alias("ctrlink0") == "ctrlink:/run/ctrlink"
    before = ruleset()
    other = {"CTRLINK_STATE_DIR": "/run/other"}
    r = ctl("run", "-d", "--name", "c2", "sleep", "1000", env=other, check=False)
    assert r.rc == 125
    assert ("bridge ctrlink0 is the network of another state directory (/run/ctrlink); give "
            "/run/other a bridge of its own (--bridge or CTRLINK_BRIDGE)") in r.err
    assert not os.path.exists("/run/other/network.json")
    assert ruleset() == before and tcp_try(ip1, 8000)
    ctl("rm", "-f", "c2", env=other)
    # with a bridge of its own it works beside the first, on another subnet
    other["CTRLINK_BRIDGE"] = "other0"
    ctl("run", "-d", "--name", "c2", "sleep", "1000", env=other)
    assert bridge_alias("other0") == "ctrlink:/run/other"
    ip2 = json.loads(ctl("inspect", "c2", env=other).out)[0]["NetworkSettings"]["IPAddress"]
    assert ipaddress.ip_address(ip2) not in ipaddress.ip_network("172.17.0.0/16")
    ctl("rm", "-f", "c2", env=other)
    assert json.loads(ctl("gc", env=other).out)["RulesRemoved"] == 0
    assert tcp_try(ip1, 8000)


def test_a_network_change_deletes_only_a_bridge_the_library_made():
    # a bridge someone else made, used as ours (not external), then left for another
    sh("ip link add userbr0 type bridge")
    ctl("--bridge", "userbr0", "run", "--rm", "true")
    assert bridge_alias("userbr0") == ""
    ctl("--bridge", "made0", "run", "--rm", "true")
    assert "userbr0" in links()
    # a bridge the library made goes when the network leaves it
    assert bridge_alias("made0") == "ctrlink:/run/ctrlink"
    ctl("--bridge", "made1", "run", "--rm", "true")
    assert "made0" not in links() and "made1" in links()


def test_a_bad_bridge_changes_nothing_and_is_not_recorded():
    ctl("run", "--rm", "true")
    with open("/run/ctrlink/network.json") as f:
        recorded = f.read()
    before = ruleset()
    sh("ip link add notbr0 type veth peer name notbr1")
    r = ctl("--bridge", "notbr0", "run", "--rm", "true", check=False)
    assert r.rc == 125 and "interface notbr0 exists and is not a bridge" in r.err
    with open("/run/ctrlink/network.json") as f:
        assert f.read() == recorded
    assert ruleset() == before and "ctrlink0" in links()
